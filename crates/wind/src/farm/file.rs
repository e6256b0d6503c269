//! The farm file (TOML; docs/wind.md): a name, the turbine library, fleets, wake losses
//! and smoothing. Paths in it are relative to the file.

use std::path::{Path, PathBuf};

use crate::WindError;
use crate::farm::{Farm, FarmSettings, FarmSmoothing, Fleet, SmoothingOrder, Spread, WakeLosses};
use crate::generic::GenericTurbine;
use crate::turbine::{self, TurbineCurve, WakeEfficiency};

/// The farm file's layout.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FarmFile {
    name: Option<String>,
    /// Folder of the turbine library (relative to the farm file); the caller's otherwise.
    turbine_library: Option<PathBuf>,
    fleet: Vec<FleetToml>,
    wake: Option<WakeToml>,
    smoothing: Option<SmoothingToml>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetToml {
    turbine: Option<String>,
    power_curve: Option<PathBuf>,
    generic: Option<GenericToml>,
    hub_height: f64,
    number_of_turbines: Option<f64>,
    total_capacity_kw: Option<f64>,
    nominal_kw: Option<f64>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericToml {
    rated_kw: f64,
    rotor_diameter: f64,
    cut_in: f64,
    rated_speed: f64,
    cut_out: f64,
    cp_max: Option<f64>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WakeToml {
    model: String,
    efficiency: Option<f64>,
    efficiency_curve: Option<PathBuf>,
    efficiency_column: Option<String>,
    curves: Option<PathBuf>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SmoothingToml {
    method: String,
    order: Option<String>,
    block_width: Option<f64>,
    turbulence_intensity: Option<f64>,
}

/// The wind efficiency curves windpowerlib ships (dena-Netzstudie II; Knorr 2016).
pub const WIND_EFFICIENCY_CURVES: [&str; 7] = [
    "dena_mean",
    "knorr_mean",
    "dena_extreme1",
    "dena_extreme2",
    "knorr_extreme1",
    "knorr_extreme2",
    "knorr_extreme3",
];

/// A farm file read and checked: the farm, how it is modelled, what it read.
#[derive(Debug, Clone)]
pub struct FarmPlan {
    /// The file's `name`, else the file's stem.
    pub name: String,
    /// The fleets, checked.
    pub farm: Farm,
    /// Where each fleet's curve came from ("nrel", "oedb", "csv", "generic").
    pub sources: Vec<&'static str>,
    /// Wake losses and smoothing.
    pub settings: FarmSettings,
    /// Every file read: the farm file, curves, efficiency curves.
    pub inputs: Vec<PathBuf>,
}

/// The file being read: its path, its folder, the turbine library.
struct Reader<'a> {
    path: &'a Path,
    base: &'a Path,
    library: Option<PathBuf>,
    inputs: Vec<PathBuf>,
}

/// The least wake efficiency of a farm (a constant, or a curve's largest value): measured
/// wake losses of large offshore arrays reach 10–20 %, never half the power.
pub const LEAST_FARM_EFFICIENCY: f64 = 0.5;

impl Reader<'_> {
    fn bad(&self, key: impl Into<String>, message: String) -> WindError {
        WindError::Key {
            path: self.path.to_path_buf(),
            key: key.into(),
            message,
        }
    }

    fn rel(&self, q: &Path) -> PathBuf {
        self.base.join(q)
    }
}

impl FarmPlan {
    /// Reads a farm file; `library` is the turbine library folder when the file names
    /// none.
    pub fn from_toml_file(path: &Path, library: Option<&Path>) -> Result<FarmPlan, WindError> {
        let text = std::fs::read_to_string(path).map_err(|e| WindError::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
        let f: FarmFile = toml::from_str(&text).map_err(|e| WindError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut r = Reader {
            path,
            base,
            library: f
                .turbine_library
                .as_deref()
                .map(|q| base.join(q))
                .or_else(|| library.map(Path::to_path_buf)),
            inputs: vec![path.to_path_buf()],
        };
        if f.fleet.is_empty() {
            return Err(r.bad(
                "fleet",
                "no [[fleet]]: a farm needs at least one fleet".into(),
            ));
        }
        let mut fleets = Vec::new();
        let mut sources = Vec::new();
        for (i, fl) in f.fleet.iter().enumerate() {
            let (fleet, source) = r.fleet(i + 1, fl)?;
            sources.push(source);
            fleets.push(fleet);
        }
        let farm = Farm::new(fleets).map_err(|e| r.bad("fleet", e.to_string()))?;
        let wake_losses = r.wake(f.wake.unwrap_or(WakeToml {
            model: "dena_mean".into(),
            ..WakeToml::default()
        }))?;
        let smoothing = match f.smoothing {
            None => None,
            Some(s) => Some(r.smoothing(s)?),
        };
        Ok(FarmPlan {
            name: f.name.unwrap_or_else(|| {
                path.file_stem()
                    .map_or("farm".into(), |s| s.to_string_lossy().into_owned())
            }),
            farm,
            sources,
            settings: FarmSettings {
                wake_losses,
                smoothing,
            },
            inputs: r.inputs,
        })
    }
}

impl Reader<'_> {
    /// Fleet `k` (1-based): its turbine and its number of turbines.
    fn fleet(&mut self, k: usize, fl: &FleetToml) -> Result<(Fleet, &'static str), WindError> {
        let t = self.fleet_turbine(k, fl)?;
        let bad = |key: &str, message: String| self.bad(format!("fleet {k}.{key}"), message);
        let nominal = match fl.nominal_kw {
            Some(kw) if kw.is_finite() && kw > 0.0 => kw * 1e3,
            Some(kw) => {
                return Err(bad(
                    "nominal_kw",
                    format!("fleet {k} ({}): nominal_kw: {kw} must be > 0", t.name),
                ));
            }
            None => t.nominal,
        };
        if t.source != "csv" && !(0.5..=2.0).contains(&(t.nominal / nominal)) {
            // a library or generic turbine carries its rating: nominal_kw far from it is
            // another unit (4.2 for 4,200 kW made 6,000 turbines of a 25.2 MW fleet)
            return Err(bad(
                "nominal_kw",
                format!(
                    "fleet {k} ({}): nominal_kw {} kW, and the turbine is rated {} kW: MW \
                     (or W) given for kW? Leave nominal_kw out to take the turbine's rating",
                    t.name,
                    nominal / 1e3,
                    t.nominal / 1e3
                ),
            ));
        }
        if t.source == "csv" && !(0.5..=2.0).contains(&(t.nominal / nominal)) {
            return Err(bad(
                "nominal_kw",
                format!(
                    "fleet {k} ({}): the curve's largest power is {} W, nominal_kw {} kW: \
                     the curve's value column is in W{}",
                    t.name,
                    t.nominal,
                    nominal / 1e3,
                    if (t.nominal * 1e3 / nominal - 1.0).abs() < 0.5 {
                        " (its values read as kW)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        turbine::check_curve_unit(&t, fl.hub_height).map_err(|m| {
            bad(
                "power_curve",
                format!("fleet {k}: power_curve {}: {m}", t.name),
            )
        })?;
        turbine::check_rotor(&t, fl.hub_height)
            .map_err(|m| bad("hub_height", format!("fleet {k}: hub_height: {m}")))?;
        let n = match (fl.number_of_turbines, fl.total_capacity_kw) {
            (Some(n), None) => n,
            (None, Some(kw)) => {
                if !(kw.is_finite() && kw > 0.0) {
                    return Err(bad(
                        "total_capacity_kw",
                        format!(
                            "fleet {k} ({}): total_capacity_kw: {kw} must be > 0",
                            t.name
                        ),
                    ));
                }
                if kw * 1e3 < nominal {
                    return Err(bad(
                        "total_capacity_kw",
                        format!(
                            "fleet {k} ({}): total_capacity_kw {kw} is less than one {} kW turbine ({:.4} of one): MW given for kW? ({kw} MW is {} kW)",
                            t.name,
                            nominal / 1e3,
                            kw * 1e3 / nominal,
                            kw * 1e3
                        ),
                    ));
                }
                kw * 1e3 / nominal
            }
            (Some(n), Some(kw)) => {
                if (n * nominal - kw * 1e3).abs() >= 1.0 {
                    return Err(bad(
                        "total_capacity_kw",
                        format!(
                            "fleet {k} ({}): number_of_turbines {n} × {} kW ≠ total_capacity_kw {kw}: give one of them",
                            t.name,
                            nominal / 1e3
                        ),
                    ));
                }
                n
            }
            (None, None) => {
                return Err(bad(
                    "number_of_turbines",
                    format!(
                        "fleet {k} ({}): missing field number_of_turbines (or total_capacity_kw)",
                        t.name
                    ),
                ));
            }
        };
        Ok((
            Fleet {
                name: t.name,
                curve: t.curve,
                nominal_power: nominal,
                hub_height: fl.hub_height,
                number_of_turbines: n,
            },
            t.source,
        ))
    }

    /// Fleet `k`'s turbine: a library type, a curve file or a generic turbine.
    fn fleet_turbine(&mut self, k: usize, fl: &FleetToml) -> Result<TurbineCurve, WindError> {
        match (&fl.turbine, &fl.power_curve, &fl.generic) {
            (Some(name), None, None) => {
                let dir = self.library.as_deref().ok_or_else(|| {
                    self.bad(
                        format!("fleet {k}.turbine"),
                        format!(
                            "fleet {k}: turbine '{name}' needs a turbine library: \
                             --turbine-library DIR or turbine_library = \"DIR\" in the file"
                        ),
                    )
                })?;
                turbine::library_turbine(name, dir).map_err(|e| {
                    self.bad(
                        format!("fleet {k}.turbine"),
                        format!("fleet {k}: turbine: {e}"),
                    )
                })
            }
            (None, Some(c), None) => {
                let c = self.rel(c);
                let t = TurbineCurve::from_csv(&c).map_err(|e| {
                    self.bad(
                        format!("fleet {k}.power_curve"),
                        format!("fleet {k}: power_curve: {e}"),
                    )
                })?;
                self.inputs.push(c);
                Ok(t)
            }
            (None, None, Some(g)) => TurbineCurve::generic(GenericTurbine {
                rated_power: g.rated_kw * 1e3,
                rotor_diameter: g.rotor_diameter,
                cut_in: g.cut_in,
                rated_speed: g.rated_speed,
                cut_out: g.cut_out,
                cp_max: g.cp_max,
            })
            .map_err(|e| {
                let key = format!("fleet {k}: generic.{}", e.user_field());
                self.bad(key.replace(": ", "."), format!("{key}: {}", e.message))
            }),
            _ => Err(self.bad(
                format!("fleet {k}"),
                format!("fleet {k}: give exactly one of turbine, power_curve or generic"),
            )),
        }
    }

    /// The `[wake]` table.
    fn wake(&mut self, wake: WakeToml) -> Result<WakeLosses, WindError> {
        let only_for = |set: bool, key: &str, model: &str| -> Result<(), WindError> {
            if set {
                return Err(self.bad(
                    format!("wake.{key}"),
                    format!(
                        "[wake] {key} applies to model {model}, not '{}'",
                        wake.model
                    ),
                ));
            }
            Ok(())
        };
        let efficiency_set = wake.efficiency.is_some() || wake.efficiency_curve.is_some();
        match wake.model.as_str() {
            "none" => {
                only_for(efficiency_set, "efficiency", "wind_farm_efficiency")?;
                only_for(wake.curves.is_some(), "curves", "dena_* / knorr_*")?;
                Ok(WakeLosses::None)
            }
            "wind_farm_efficiency" => {
                only_for(wake.curves.is_some(), "curves", "dena_* / knorr_*")?;
                let efficiency = self.power_efficiency(&wake)?;
                Ok(WakeLosses::PowerEfficiency { efficiency })
            }
            name => {
                only_for(efficiency_set, "efficiency", "wind_farm_efficiency")?;
                self.wind_efficiency(name, wake.curves.as_deref())
            }
        }
    }

    /// `[wake]` of model wind_farm_efficiency: a constant or a curve. An efficiency under
    /// [`LEAST_FARM_EFFICIENCY`] (a constant, or a curve's largest) is refused: a wake loss
    /// written where the efficiency goes (0.08 for 0.92) made the farm's energy 11 times
    /// too small.
    fn power_efficiency(&mut self, wake: &WakeToml) -> Result<WakeEfficiency, WindError> {
        match (wake.efficiency, &wake.efficiency_curve) {
            (Some(e), None) => {
                if !(e > 0.0 && e <= 1.0) {
                    return Err(self.bad(
                        "wake.efficiency",
                        format!("[wake] efficiency: {e} must be in (0, 1]"),
                    ));
                }
                if e < LEAST_FARM_EFFICIENCY {
                    return Err(self.bad(
                        "wake.efficiency",
                        format!(
                            "[wake] efficiency: {e} would lose {:.0} % of the farm's power to wakes, where farms lose 5–20 %: a loss given as the efficiency? Write {}",
                            100.0 * (1.0 - e),
                            1.0 - e
                        ),
                    ));
                }
                Ok(WakeEfficiency::Constant(e))
            }
            (None, Some(c)) => {
                let c = self.rel(c);
                let column = wake.efficiency_column.as_deref().unwrap_or("efficiency");
                let curve = turbine::efficiency_curve(&c, column).map_err(|e| {
                    self.bad(
                        "wake.efficiency_curve",
                        format!("[wake] efficiency_curve: {e}"),
                    )
                })?;
                if curve.wind_speed.is_empty()
                    || curve.power.iter().any(|e| !(*e >= 0.0 && *e <= 1.0))
                {
                    return Err(self.bad(
                        "wake.efficiency_curve",
                        format!(
                            "[wake] efficiency_curve: {}: column '{column}' must hold efficiencies in [0, 1]",
                            c.display()
                        ),
                    ));
                }
                let most = curve.power.iter().copied().fold(0.0, f64::max);
                if most < LEAST_FARM_EFFICIENCY {
                    return Err(self.bad(
                        "wake.efficiency_curve",
                        format!(
                            "[wake] efficiency_curve: {}: column '{column}' is at most {most}: losses of {:.0} % or more at every speed, where farms lose 5–20 %: losses given as efficiencies? Give 1 − loss",
                            c.display(),
                            100.0 * (1.0 - most)
                        ),
                    ));
                }
                self.inputs.push(c);
                Ok(WakeEfficiency::Curve(curve))
            }
            _ => Err(self.bad(
                "wake.efficiency",
                "[wake] model wind_farm_efficiency needs one of efficiency = 0.9 or efficiency_curve = \"FILE\"".into(),
            )),
        }
    }

    /// `[wake]` of a wind efficiency curve model (dena_*, knorr_*, or a curve file's
    /// column).
    fn wind_efficiency(
        &mut self,
        name: &str,
        curves: Option<&Path>,
    ) -> Result<WakeLosses, WindError> {
        let file = match (curves, name.split('_').next()) {
            (Some(c), _) => self.rel(c),
            (None, Some(prefix @ ("dena" | "knorr"))) => self
                .library
                .as_deref()
                .map(|d| d.join(format!("wind_efficiency_curves_{prefix}.csv")))
                .ok_or_else(|| {
                    self.bad(
                        "wake.model",
                        format!(
                            "[wake] model '{name}' reads wind_efficiency_curves_{prefix}.csv: \
                             give --turbine-library DIR or [wake] curves = \"FILE\""
                        ),
                    )
                })?,
            _ => {
                return Err(self.bad(
                    "wake.model",
                    format!(
                        "[wake] model '{name}': expected none, wind_farm_efficiency or a wind \
                         efficiency curve ({}; others with curves = \"FILE\")",
                        WIND_EFFICIENCY_CURVES.join(", ")
                    ),
                ));
            }
        };
        let curve = turbine::efficiency_curve(&file, name)
            .map_err(|e| self.bad("wake.model", format!("[wake] model: {e}")))?;
        if curve.wind_speed.is_empty() {
            return Err(self.bad(
                "wake.model",
                format!("[wake] model: {}: no rows", file.display()),
            ));
        }
        self.inputs.push(file);
        Ok(WakeLosses::WindEfficiency {
            name: name.into(),
            curve,
        })
    }

    /// The `[smoothing]` table.
    fn smoothing(&self, s: SmoothingToml) -> Result<FarmSmoothing, WindError> {
        let spread = match s.method.as_str() {
            "turbulence_intensity" => Spread::TurbulenceIntensity {
                intensity: s.turbulence_intensity,
            },
            "staffell_pfenninger" | "Staffell_Pfenninger" => {
                if s.turbulence_intensity.is_some() {
                    return Err(self.bad(
                        "smoothing.turbulence_intensity",
                        "[smoothing] turbulence_intensity applies to method turbulence_intensity"
                            .into(),
                    ));
                }
                Spread::StaffellPfenninger
            }
            other => {
                return Err(self.bad(
                    "smoothing.method",
                    format!(
                        "[smoothing] method '{other}': expected turbulence_intensity or staffell_pfenninger"
                    ),
                ));
            }
        };
        let order = match s.order.as_deref().unwrap_or("wind_farm_power_curves") {
            "wind_farm_power_curves" => SmoothingOrder::WindFarmPowerCurves,
            "turbine_power_curves" => SmoothingOrder::TurbinePowerCurves,
            other => {
                return Err(self.bad(
                    "smoothing.order",
                    format!(
                        "[smoothing] order '{other}': expected wind_farm_power_curves or turbine_power_curves"
                    ),
                ));
            }
        };
        let block_width = s.block_width.unwrap_or(0.5);
        if !(block_width > 0.0 && block_width <= 5.0) {
            return Err(self.bad(
                "smoothing.block_width",
                format!("[smoothing] block_width: {block_width} m/s must be in (0, 5]"),
            ));
        }
        if let Some(ti) = s.turbulence_intensity
            && !(ti > 0.0 && ti < 1.0)
        {
            return Err(self.bad(
                "smoothing.turbulence_intensity",
                format!("[smoothing] turbulence_intensity: {ti} must be in (0, 1)"),
            ));
        }
        Ok(FarmSmoothing {
            spread,
            order,
            block_width,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("terrawatt-wind-farm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    const GENERIC: &str = "[[fleet]]\nhub_height = 100\n\
        generic = { rated_kw = 3000, rotor_diameter = 110, cut_in = 3, rated_speed = 12, cut_out = 25 }\n";

    #[test]
    fn a_generic_fleet_without_wake_losses() {
        let p = file(
            "ok.toml",
            &format!("{GENERIC}number_of_turbines = 4\n[wake]\nmodel = \"none\"\n"),
        );
        let plan = FarmPlan::from_toml_file(&p, None).unwrap();
        assert_eq!(plan.name, "ok");
        assert_eq!(plan.sources, ["generic"]);
        assert_eq!(plan.farm.number_of_turbines(), 4.0);
        assert_eq!(plan.settings.wake_losses, WakeLosses::None);
        assert!(plan.settings.smoothing.is_none());
        assert_eq!(plan.inputs, [p]);
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let p = file("count.toml", GENERIC);
        let e = FarmPlan::from_toml_file(&p, None).unwrap_err();
        let WindError::Key { key, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(key, "fleet 1.number_of_turbines");
        assert!(e.to_string().starts_with(&p.display().to_string()));
        assert!(e.to_string().contains("missing field number_of_turbines"));

        let p = file(
            "smooth.toml",
            &format!(
                "{GENERIC}number_of_turbines = 1\n[wake]\nmodel = \"none\"\n\
                 [smoothing]\nmethod = \"box\"\n"
            ),
        );
        match FarmPlan::from_toml_file(&p, None).unwrap_err() {
            WindError::Key { key, message, .. } => {
                assert_eq!(key, "smoothing.method");
                assert!(message.contains("expected turbulence_intensity or staffell_pfenninger"));
            }
            e => panic!("{e}"),
        }

        // the default wake model reads the dena curves of a turbine library
        let p = file("dena.toml", &format!("{GENERIC}number_of_turbines = 1\n"));
        match FarmPlan::from_toml_file(&p, None).unwrap_err() {
            WindError::Key { key, .. } => assert_eq!(key, "wake.model"),
            e => panic!("{e}"),
        }

        let e = FarmPlan::from_toml_file(&p.with_file_name("absent.toml"), None).unwrap_err();
        assert!(matches!(e, WindError::Read { .. }), "{e}");
    }
}
