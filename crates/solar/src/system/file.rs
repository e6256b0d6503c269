//! The system file (TOML; docs/solar.md): an optional `[location]`, the `[array]`, an
//! optional `[inverter]` and `[losses]`.

use std::path::Path;

use crate::SolarError;
use crate::pv::{Fuentes, Losses, SapmParams};
use crate::system::{Iam, Mount, SkyModel, System, TemperatureModel};
use crate::tracking::Tracker;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    location: Option<Location>,
    array: ArrayToml,
    inverter: Option<InverterToml>,
    losses: Option<Losses>,
}

/// The site a system file names (`[location]`); it replaces the weather file's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
    /// m; the weather file's when not given.
    pub altitude: Option<f64>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrayToml {
    kwp: f64,
    #[serde(default = "default_gamma")]
    gamma_pdc: f64,
    /// Stated, it is used for every hour; left out, the weather file's where it has one,
    /// else 0.25.
    albedo: Option<f64>,
    #[serde(default = "default_sky")]
    sky: String,
    #[serde(default = "default_temperature")]
    temperature: String,
    #[serde(default = "default_mount")]
    mount: String,
    /// Installed NOCT for the Fuentes model (°C; PVWatts: 45 open rack, 49 roof mount).
    noct_installed: Option<f64>,
    /// Cover losses on the beam: none (default) or physical (glass, as PVWatts).
    iam: Option<String>,
    tilt: Option<f64>,
    azimuth: Option<f64>,
    axis_tilt: Option<f64>,
    axis_azimuth: Option<f64>,
    max_angle: Option<f64>,
    backtrack: Option<bool>,
    gcr: Option<f64>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct InverterToml {
    kw: Option<f64>,
    eta_nom: Option<f64>,
    eta_ref: Option<f64>,
}

fn default_gamma() -> f64 {
    -0.0047
}
fn default_albedo() -> f64 {
    0.25
}
fn default_sky() -> String {
    "perez".into()
}
fn default_temperature() -> String {
    "sapm_open_rack_glass_glass".into()
}
fn default_mount() -> String {
    "fixed".into()
}

/// A system file read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemFile {
    /// The system, checked.
    pub system: System,
    /// The file's `[location]`, not yet checked.
    pub location: Option<Location>,
}

impl From<System> for SystemFile {
    /// A system built in code, without a `[location]` (the site is the weather's).
    fn from(system: System) -> SystemFile {
        SystemFile {
            system,
            location: None,
        }
    }
}

impl System {
    /// A fixed array with the system file's defaults (an `[array]` of `kwp`, `tilt` and
    /// `azimuth` only), checked. Those follow PVWatts version 5 (Dobos 2014, NREL/TP-6A20-
    /// 62641): a standard module's temperature coefficient −0.47 %/°C, a DC/AC ratio of 1.2,
    /// an inverter of nominal efficiency 0.96 (reference 0.9637) and 14.08 % of system
    /// losses; with the Perez sky, SAPM open-rack glass/glass cell temperature, albedo 0.25
    /// and no cover losses (PVWatts itself uses the physical cover model and albedo 0.2).
    /// `tilt` from horizontal and `azimuth` clockwise from north (180 is south), degrees.
    pub fn pvwatts(kwp: f64, tilt: f64, azimuth: f64) -> Result<System, SolarError> {
        let system = System {
            iam: Iam::None,
            mount: Mount::Fixed { tilt, azimuth },
            kwp,
            gamma_pdc: default_gamma(),
            inverter_kw: kwp / 1.2,
            eta_nom: 0.96,
            eta_ref: 0.9637,
            albedo: default_albedo(),
            weather_albedo: true,
            sky: SkyModel::Perez,
            temperature: TemperatureModel::Sapm(SapmParams::OPEN_RACK_GLASS_GLASS),
            losses: Losses::default(),
        };
        system.check()?;
        Ok(system)
    }
}

fn bad(path: &Path, key: &str, message: String) -> SolarError {
    SolarError::File {
        path: path.to_path_buf(),
        key: key.into(),
        message,
    }
}

impl System {
    /// Reads and checks a system file; errors name the file and the key.
    pub fn from_toml_file(path: &Path) -> Result<SystemFile, SolarError> {
        let text = std::fs::read_to_string(path).map_err(|e| SolarError::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
        let f: FileToml = toml::from_str(&text).map_err(|e| bad(path, "", e.to_string()))?;
        let a = &f.array;
        let mount = mount(path, a)?;
        let sky: SkyModel = a
            .sky
            .parse()
            .map_err(|e| bad(path, "array.sky", format!("[array] sky {e}")))?;
        let temperature = temperature(path, a)?;
        let iam: Iam = a
            .iam
            .as_deref()
            .unwrap_or("none")
            .parse()
            .map_err(|e| bad(path, "array.iam", format!("[array] iam {e}")))?;
        let inv = f.inverter.as_ref();
        let system = System {
            iam,
            mount,
            kwp: a.kwp,
            gamma_pdc: a.gamma_pdc,
            inverter_kw: inv.and_then(|i| i.kw).unwrap_or(a.kwp / 1.2),
            eta_nom: inv.and_then(|i| i.eta_nom).unwrap_or(0.96),
            eta_ref: inv.and_then(|i| i.eta_ref).unwrap_or(0.9637),
            albedo: a.albedo.unwrap_or_else(default_albedo),
            weather_albedo: a.albedo.is_none(),
            sky,
            temperature,
            losses: f.losses.unwrap_or_default(),
        };
        system.check().map_err(|e| {
            let key = match &e {
                SolarError::Setting { name, .. } => *name,
                _ => "",
            };
            bad(path, key, e.to_string())
        })?;
        Ok(SystemFile {
            system,
            location: f.location,
        })
    }
}

fn mount(path: &Path, a: &ArrayToml) -> Result<Mount, SolarError> {
    // a key of the other mount would be ignored: a tracker's `tilt` meant as its axis_tilt
    // took 8 % off the year, a fixed array's tracker keys said nothing
    let fixed_keys = [("tilt", a.tilt.is_some()), ("azimuth", a.azimuth.is_some())];
    let tracker_keys = [
        ("axis_tilt", a.axis_tilt.is_some()),
        ("axis_azimuth", a.axis_azimuth.is_some()),
        ("max_angle", a.max_angle.is_some()),
        ("backtrack", a.backtrack.is_some()),
        ("gcr", a.gcr.is_some()),
    ];
    let (foreign, hint) = match a.mount.as_str() {
        "fixed" => (
            &tracker_keys[..],
            "they are single_axis keys (mount = \"single_axis\")",
        ),
        "single_axis" => (
            &fixed_keys[..],
            "they are a fixed array's keys: a tracker's axis is set by axis_tilt and axis_azimuth",
        ),
        _ => (&[][..], ""),
    };
    let given: Vec<&str> = foreign
        .iter()
        .filter(|(_, g)| *g)
        .map(|(k, _)| *k)
        .collect();
    if let Some(first) = given.first() {
        return Err(bad(
            path,
            &format!("array.{first}"),
            format!(
                "[array] mount = \"{}\" does not use {}: {hint}",
                a.mount,
                given.join(", ")
            ),
        ));
    }
    let half = std::f64::consts::FRAC_PI_2;
    let whole = std::f64::consts::TAU;
    for (key, value, limit) in [
        ("tilt", a.tilt, half),
        ("azimuth", a.azimuth, whole),
        ("axis_tilt", a.axis_tilt, half),
        ("axis_azimuth", a.axis_azimuth, whole),
        ("max_angle", a.max_angle, half),
    ] {
        refuse_radians(path, key, value, limit)?;
    }
    match a.mount.as_str() {
        "fixed" => Ok(Mount::Fixed {
            tilt: a.tilt.ok_or_else(|| {
                bad(
                    path,
                    "array.tilt",
                    "[array] tilt is required for a fixed mount".into(),
                )
            })?,
            azimuth: a.azimuth.unwrap_or(180.0),
        }),
        "single_axis" => Ok(Mount::SingleAxis(Tracker {
            axis_tilt: a.axis_tilt.unwrap_or(0.0),
            axis_azimuth: a.axis_azimuth.unwrap_or(180.0),
            max_angle: a.max_angle.unwrap_or(60.0),
            backtrack: a.backtrack.unwrap_or(true),
            gcr: a.gcr.unwrap_or(0.35),
        })),
        other => Err(bad(
            path,
            "array.mount",
            format!("[array] mount '{other}': expected fixed or single_axis"),
        )),
    }
}

/// Whether an angle given in degrees reads as radians: above 0, at most `limit` (π/2 for a
/// tilt, 2π for an azimuth) and not a whole number of degrees. A tilt of 0.5236 is 30° in
/// radians and a flat roof in degrees (Golden's PSM3 2017: 5,529.1 kWh for 6,414.9, 14 %
/// less); nobody surveys an array's tilt to a fraction of one degree.
pub fn reads_as_radians(v: f64, limit: f64) -> bool {
    v > 0.0 && v <= limit + 1e-9 && v.fract() != 0.0
}

/// Refuses an angle that [`reads_as_radians`].
fn refuse_radians(
    path: &Path,
    key: &str,
    value: Option<f64>,
    limit: f64,
) -> Result<(), SolarError> {
    match value {
        Some(v) if reads_as_radians(v, limit) => Err(bad(
            path,
            &format!("array.{key}"),
            format!(
                "[array] {key} = {v} reads as {v}°: is it in radians ({:.1}°)? Angles are in degrees; write a whole number of degrees",
                v.to_degrees()
            ),
        )),
        _ => Ok(()),
    }
}

/// The range of an installed nominal operating cell temperature, °C: modules run 40–50 °C
/// at NOCT on open racks and up to about 70 °C built into a roof. 45 °C written in °F (113)
/// or in K (318) lies beyond: read as °C they took 20 % and all of the Greensboro TMY3
/// year.
pub const NOCT_RANGE_C: (f64, f64) = (20.0, 80.0);

fn temperature(path: &Path, a: &ArrayToml) -> Result<TemperatureModel, SolarError> {
    let noct = a.noct_installed.unwrap_or(45.0);
    let (lo, hi) = NOCT_RANGE_C;
    if !(lo..=hi).contains(&noct) {
        return Err(bad(
            path,
            "array.noct_installed",
            format!(
                "[array] noct_installed = {noct} is not a cell temperature in °C ({lo}–{hi}; 45 on an open rack): in °F ({:.1} °C) or K ({:.1} °C)?",
                (noct - 32.0) / 1.8,
                noct - 273.15
            ),
        ));
    }
    let tilt = a.tilt.unwrap_or(30.0);
    Ok(match a.temperature.as_str() {
        "sapm_open_rack_glass_glass" => TemperatureModel::Sapm(SapmParams::OPEN_RACK_GLASS_GLASS),
        "sapm_open_rack_glass_polymer" => {
            TemperatureModel::Sapm(SapmParams::OPEN_RACK_GLASS_POLYMER)
        }
        "sapm_close_mount_glass_glass" => {
            TemperatureModel::Sapm(SapmParams::CLOSE_MOUNT_GLASS_GLASS)
        }
        "sapm_insulated_back_glass_polymer" => {
            TemperatureModel::Sapm(SapmParams::INSULATED_BACK_GLASS_POLYMER)
        }
        "faiman" => TemperatureModel::Faiman { u0: 25.0, u1: 6.84 },
        "fuentes_pvwatts" => TemperatureModel::Fuentes(Fuentes::pvwatts(noct, tilt)),
        "fuentes" => TemperatureModel::Fuentes(Fuentes::pvlib(noct, tilt)),
        "pvsyst" => TemperatureModel::Pvsyst {
            u_c: 29.0,
            u_v: 0.0,
            efficiency: 0.1,
            absorption: 0.9,
        },
        other => {
            return Err(bad(
                path,
                "array.temperature",
                format!(
                    "[array] temperature '{other}': expected sapm_open_rack_glass_glass, sapm_open_rack_glass_polymer, sapm_close_mount_glass_glass, sapm_insulated_back_glass_polymer, faiman, pvsyst, fuentes or fuentes_pvwatts"
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("terrawatt-solar-system-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_system_file_with_its_defaults() {
        let p = file(
            "ok.toml",
            "[location]\nlatitude = 36.1\nlongitude = -79.95\n\
             [array]\nkwp = 4.0\ntilt = 30\nsky = \"hay_davies\"\niam = \"glass\"\n",
        );
        let f = System::from_toml_file(&p).unwrap();
        assert_eq!(f.system.sky, SkyModel::HayDavies);
        assert!(matches!(f.system.iam, Iam::Physical { .. }));
        assert_eq!(f.system.inverter_kw, 4.0 / 1.2);
        assert_eq!(
            f.system.mount,
            Mount::Fixed {
                tilt: 30.0,
                azimuth: 180.0
            }
        );
        assert_eq!(f.location.unwrap().altitude, None);
    }

    #[test]
    fn pvwatts_is_a_system_file_of_size_tilt_and_azimuth() {
        let p = file(
            "pvwatts.toml",
            "[array]\nkwp = 5.0\ntilt = 30\nazimuth = 200\n",
        );
        let f = System::from_toml_file(&p).unwrap();
        assert_eq!(System::pvwatts(5.0, 30.0, 200.0).unwrap(), f.system);
        assert_eq!(SystemFile::from(f.system.clone()).location, None);
        assert!(System::pvwatts(5.0, 95.0, 180.0).is_err());
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        for (text, want) in [
            ("[array]\nkwp = 4.0\n", "array.tilt"),
            // angles in radians: 30°, south, a tracker's 60°
            ("[array]\nkwp = 4.0\ntilt = 0.5236\n", "array.tilt"),
            // 45 °C as K and as °F
            (
                "[array]\nkwp = 4.0\ntilt = 30\ntemperature = \"fuentes\"\nnoct_installed = 318\n",
                "array.noct_installed",
            ),
            (
                "[array]\nkwp = 4.0\ntilt = 30\ntemperature = \"fuentes\"\nnoct_installed = 113\n",
                "array.noct_installed",
            ),
            (
                "[array]\nkwp = 4.0\ntilt = 30\nazimuth = 3.1416\n",
                "array.azimuth",
            ),
            (
                "[array]\nkwp = 4.0\nmount = \"single_axis\"\nmax_angle = 1.0472\n",
                "array.max_angle",
            ),
            (
                "[array]\nkwp = 4.0\ntilt = 30\nsky = \"hay\"\n",
                "array.sky",
            ),
            (
                "[array]\nkwp = 4.0\ntilt = 30\nmount = \"pole\"\n",
                "array.mount",
            ),
            ("[array]\nkwp = -1\ntilt = 30\n", "kwp"),
            ("[array]\nkwp = 4.0\ntilt = 95\n", "tilt"),
        ] {
            let p = file("bad.toml", text);
            match System::from_toml_file(&p).unwrap_err() {
                SolarError::File { key, path, .. } => {
                    assert_eq!(key, want);
                    assert_eq!(path, p);
                }
                e => panic!("{e}"),
            }
        }
    }

    /// Keys of the other mount, an efficiency in percent, losses as fractions and angles
    /// in radians: each would have been read without a word (an AC twice the DC, a year
    /// 16 % too large, a 30° roof as flat).
    #[test]
    fn a_careless_system_file_is_refused_with_what_to_write() {
        let p = file("rad.toml", "[array]\nkwp = 4.0\ntilt = 0.5236\n");
        let e = System::from_toml_file(&p).unwrap_err().to_string();
        assert!(
            e.contains("tilt = 0.5236 reads as 0.5236°: is it in radians (30.0°)?"),
            "{e}"
        );
        // whole degrees, and a flat array, are read as written
        for ok in ["tilt = 1\n", "tilt = 0\n", "tilt = 2\nazimuth = 3\n"] {
            let p = file("ok.toml", &format!("[array]\nkwp = 4.0\n{ok}"));
            assert!(System::from_toml_file(&p).is_ok(), "{ok}");
        }
        let losses = |v: [f64; 10]| {
            let keys = [
                "soiling",
                "shading",
                "snow",
                "mismatch",
                "wiring",
                "connections",
                "lid",
                "nameplate_rating",
                "age",
                "availability",
            ];
            let mut t = String::from("[losses]\n");
            for (k, x) in keys.iter().zip(v) {
                t.push_str(&format!("{k} = {x}\n"));
            }
            t
        };
        let array = "[array]\nkwp = 4.0\ntilt = 30\n";
        for (text, key, want) in [
            (
                "[array]\nkwp = 4.0\nmount = \"single_axis\"\ntilt = 30\n".to_string(),
                "array.tilt",
                "does not use tilt: they are a fixed array's keys",
            ),
            (
                format!("{array}max_angle = 50\ngcr = 0.4\n"),
                "array.max_angle",
                "does not use max_angle, gcr: they are single_axis keys",
            ),
            (
                format!("{array}[inverter]\neta_nom = 96\n"),
                "eta_nom",
                "eta_nom 96 is outside 0..1 (a fraction): a percentage? Write 0.96",
            ),
            (
                format!("{array}[inverter]\neta_ref = 0\n"),
                "eta_ref",
                "eta_ref 0 is outside 0..1",
            ),
            (
                format!(
                    "{array}{}",
                    losses([0.02, 0.03, 0.0, 0.02, 0.02, 0.005, 0.015, 0.01, 0.0, 0.03])
                ),
                "losses",
                "every one given is under 1 (soiling = 0.02, shading = 0.03",
            ),
            (
                format!(
                    "{array}{}",
                    losses([2.0, 3.0, 0.0, 2.0, 2.0, -0.5, 1.5, 1.0, 0.0, 3.0])
                ),
                "losses",
                "connections = -0.5 is outside 0..100",
            ),
        ] {
            let p = file("careless.toml", &text);
            match System::from_toml_file(&p).unwrap_err() {
                SolarError::File {
                    key: k, message, ..
                } => {
                    assert_eq!(k, key, "{message}");
                    assert!(message.contains(want), "{message}");
                }
                e => panic!("{e}"),
            }
        }
        // PVWatts' own losses (connections 0.5 among larger ones) are read; three half
        // percents alone are taken for fractions
        for (v, ok) in [
            ([2.0, 3.0, 0.0, 2.0, 2.0, 0.5, 1.5, 1.0, 0.0, 3.0], true),
            ([0.5, 0.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0], false),
        ] {
            let p = file("ok-losses.toml", &format!("{array}{}", losses(v)));
            let r = System::from_toml_file(&p);
            assert_eq!(r.is_ok(), ok, "{v:?}: {r:?}");
        }
        // a [losses] of one key takes PVWatts' defaults for the rest (it was a parse error
        // naming a missing field); a misspelt key is refused, not defaulted
        let p = file("one-loss.toml", &format!("{array}[losses]\nsoiling = 5\n"));
        let f = System::from_toml_file(&p).unwrap();
        assert_eq!(
            f.system.losses,
            Losses {
                soiling: 5.0,
                ..Losses::default()
            }
        );
        let p = file("misspelt.toml", &format!("{array}[losses]\nsoil = 5\n"));
        let e = System::from_toml_file(&p).unwrap_err().to_string();
        assert!(e.contains("soil"), "{e}");
    }
}
