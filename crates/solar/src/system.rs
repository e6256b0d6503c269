//! From weather to AC power: a PV system (fixed tilt or a single-axis tracker, PVWatts DC
//! and inverter) simulated over a weather series, interval by interval, in parallel.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::irradiance::{self as irr, AirmassModel};
use crate::pv::{self, Losses, SapmParams};
use crate::spa::{self, Site};
use crate::tracking::Tracker;
use crate::weather::{Label, Weather};

mod file;
pub use file::{Location, SystemFile, reads_as_radians};

/// How the array is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Mount {
    Fixed { tilt: f64, azimuth: f64 },
    SingleAxis(Tracker),
}

/// Sky diffuse models for the plane of array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkyModel {
    Isotropic,
    HayDavies,
    Perez,
    Klucher,
    Reindl,
}

/// Cell temperature models.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum TemperatureModel {
    Sapm(SapmParams),
    Pvsyst {
        u_c: f64,
        u_v: f64,
        efficiency: f64,
        absorption: f64,
    },
    Faiman {
        u0: f64,
        u1: f64,
    },
    /// Fuentes (1987), run in time order over consecutive intervals.
    Fuentes(pv::Fuentes),
}

/// Reflection losses of the module cover on the beam reaching the cells.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Iam {
    /// No cover losses (pvlib's `aoi_model='no_loss'`).
    None,
    /// De Soto et al. (2006): index n, extinction K (1/m), thickness L (m); PVWatts uses
    /// 1.526, 4, 0.002 on the beam.
    Physical { n: f64, k: f64, l: f64 },
}

impl std::str::FromStr for SkyModel {
    type Err = crate::ParseNameError;

    /// `isotropic`, `haydavies` (or `hay_davies`), `perez`, `klucher`, `reindl`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "isotropic" => Ok(SkyModel::Isotropic),
            "haydavies" | "hay_davies" => Ok(SkyModel::HayDavies),
            "perez" => Ok(SkyModel::Perez),
            "klucher" => Ok(SkyModel::Klucher),
            "reindl" => Ok(SkyModel::Reindl),
            other => Err(crate::ParseNameError {
                value: other.into(),
                expected: "isotropic, haydavies, perez, klucher or reindl",
            }),
        }
    }
}

impl std::str::FromStr for Iam {
    type Err = crate::ParseNameError;

    /// `none`, or `physical` (or `glass`): PVWatts' glass cover.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Iam::None),
            "physical" | "glass" => Ok(Iam::Physical {
                n: 1.526,
                k: 4.0,
                l: 0.002,
            }),
            other => Err(crate::ParseNameError {
                value: other.into(),
                expected: "none or physical",
            }),
        }
    }
}

/// A PV system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    /// Cover losses on the beam: the DC model gets the transmitted POA, the temperature
    /// model the incident one (as PVWatts does).
    pub iam: Iam,
    pub mount: Mount,
    /// DC nameplate (kW) and temperature coefficient of power (1/°C).
    pub kwp: f64,
    pub gamma_pdc: f64,
    /// AC rating of the inverter (kW); its DC input rating is this / eta_nom.
    pub inverter_kw: f64,
    pub eta_nom: f64,
    pub eta_ref: f64,
    pub albedo: f64,
    /// Whether a weather file's albedo takes the place of `albedo` where it has one (as
    /// pvlib's ModelChain takes a weather `albedo` column): true unless the system file
    /// states its albedo.
    #[serde(default)]
    pub weather_albedo: bool,
    pub sky: SkyModel,
    pub temperature: TemperatureModel,
    pub losses: Losses,
}

/// The largest DC/AC ratio (and the inverse of the smallest) a system may have: arrays are
/// oversized up to about 2 for their inverters, and an inverter more than 3× the array
/// is no design.
pub const MOST_DC_AC: f64 = 3.0;

impl System {
    /// Checks every setting; the message names it.
    pub fn check(&self) -> Result<(), crate::SolarError> {
        use crate::SolarError as E;
        match self.mount {
            Mount::Fixed { tilt, azimuth } => {
                if !(0.0..=90.0).contains(&tilt) {
                    return Err(E::setting("tilt", format!("tilt {tilt} is outside 0..90°")));
                }
                if !(0.0..=360.0).contains(&azimuth) {
                    return Err(E::setting(
                        "azimuth",
                        format!("azimuth {azimuth} is outside 0..360°"),
                    ));
                }
            }
            Mount::SingleAxis(t) => {
                if !(t.gcr > 0.0 && t.gcr < 1.0) {
                    return Err(E::setting(
                        "gcr",
                        format!("tracker gcr {} must be in (0, 1)", t.gcr),
                    ));
                }
                if !(0.0..=90.0).contains(&t.max_angle) {
                    return Err(E::setting(
                        "max_angle",
                        format!("tracker max_angle {} is outside 0..90°", t.max_angle),
                    ));
                }
            }
        }
        if self.kwp.is_nan() || self.kwp <= 0.0 {
            return Err(E::setting(
                "kwp",
                format!("kwp {} must be positive", self.kwp),
            ));
        }
        if self.inverter_kw.is_nan() || self.inverter_kw <= 0.0 {
            return Err(E::setting(
                "inverter_kw",
                format!("inverter_kw {} must be positive", self.inverter_kw),
            ));
        }
        // DC/AC ratios are built from about 0.8 to 2 (PVWatts' default 1.2); a thousandfold
        // one is kW and W mixed: the inverter clips the year to nothing, or never starts
        let ratio = self.kwp / self.inverter_kw;
        if !(MOST_DC_AC.recip()..=MOST_DC_AC).contains(&ratio) {
            let hint = if ratio > 300.0 {
                ": is the array's kwp in W?"
            } else if ratio < 1.0 / 300.0 {
                ": is the inverter's kw in W?"
            } else {
                ""
            };
            return Err(E::setting(
                "inverter_kw",
                format!(
                    "a DC/AC ratio of {ratio:.4} (kwp {} over the inverter's kw {}) is outside {:.2}..{MOST_DC_AC}, where systems are built{hint}",
                    self.kwp,
                    self.inverter_kw,
                    MOST_DC_AC.recip()
                ),
            ));
        }
        if !(-0.02..=0.0).contains(&self.gamma_pdc) {
            return Err(E::setting(
                "gamma_pdc",
                format!("gamma_pdc {} is outside −0.02..0 per °C", self.gamma_pdc),
            ));
        }
        if !(0.0..=1.0).contains(&self.albedo) {
            return Err(E::setting(
                "albedo",
                format!("albedo {} is outside 0..1", self.albedo),
            ));
        }
        // an efficiency is a fraction; a datasheet's "96 %" written as 96 made the AC twice
        // the DC, and 96.37 as the reference efficiency took 99 % of the year away
        for (key, eta) in [("eta_nom", self.eta_nom), ("eta_ref", self.eta_ref)] {
            if !(eta > 0.0 && eta <= 1.0) {
                let hint = if eta > 1.0 && eta <= 100.0 {
                    format!(": a percentage? Write {}", eta / 100.0)
                } else {
                    String::new()
                };
                return Err(E::setting(
                    key,
                    format!("the inverter's {key} {eta} is outside 0..1 (a fraction){hint}"),
                ));
            }
        }
        self.losses.check()
    }
}

/// One interval's results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub apparent_zenith: f64,
    pub azimuth: f64,
    pub surface_tilt: f64,
    pub surface_azimuth: f64,
    pub aoi: f64,
    pub poa_global: f64,
    pub poa_direct: f64,
    pub poa_diffuse: f64,
    /// POA after the cover's losses on the beam (= POA without an IAM model).
    pub poa_transmitted: f64,
    pub temp_cell: f64,
    /// W.
    pub pdc: f64,
    pub pac: f64,
}

/// A simulation's series and totals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Simulation {
    pub steps: Vec<Step>,
    /// kWh over the intervals with a value; intervals whose AC power is NaN (missing input).
    pub energy_kwh: f64,
    pub missing_intervals: usize,
    pub hours: f64,
    /// kWh/kWp, and energy over DC nameplate × the hours with a value.
    pub specific_yield: f64,
    pub capacity_factor: f64,
    pub loss_percent: f64,
    /// Where each interval was evaluated.
    pub evaluated_at: Label,
}

/// Whether the Sun's geometric centre is above the horizon at some moment of each interval
/// (looked at its start, centre and end): the definition PVWatts uses (sunrise and sunset
/// at the hour angle acos(−tan φ tan δ)) to decide when to step its thermal model.
pub fn sun_up_in_intervals(w: &Weather, delta_t: f64) -> Vec<bool> {
    let site = Site {
        elevation: w.altitude,
        ..Site::new(w.latitude, w.longitude)
    };
    (0..w.len())
        .into_par_iter()
        .map(|i| {
            [Label::Start, Label::Centre, Label::End].iter().any(|&at| {
                let tt = spa::time_terms(w.at(i, at) as f64, delta_t);
                spa::position(&tt, &site).elevation > 0.0
            })
        })
        .collect()
}

/// Simulates `system` at the weather's site. `at` chooses the instant of each interval
/// where the Sun's position is taken (its centre is the physical choice; a file's own label
/// reproduces tools that use the stamps as they are). Missing weather gives NaN power.
pub fn simulate(w: &Weather, system: &System, at: Label, delta_t: f64) -> Simulation {
    let n = w.len();
    let times: Vec<f64> = (0..n).map(|i| w.at(i, at) as f64).collect();
    let tt = spa::time_terms_many(&times, delta_t);
    let loss = system.losses.total();
    let pdc0 = system.kwp * 1000.0;
    let inv_pdc0 = system.inverter_kw * 1000.0 / system.eta_nom;
    let perez = irr::perez_model("allsitescomposite1990").expect("bundled");
    let steps: Vec<Step> = (0..n)
        .into_par_iter()
        .map(|i| {
            let pressure = if w.pressure[i].is_nan() {
                101_325.0
            } else {
                w.pressure[i]
            };
            let site = Site {
                latitude: w.latitude,
                longitude: w.longitude,
                elevation: w.altitude,
                pressure: pressure / 100.0,
                temperature: if w.temp_air[i].is_nan() {
                    12.0
                } else {
                    w.temp_air[i]
                },
                refraction: 0.5667,
            };
            let p = spa::position(&tt[i], &site);
            let (z, az) = (p.apparent_zenith, p.azimuth);
            let doy = day_of_year_utc(times[i]);
            let e0 = irr::extra_spencer(doy);
            let (tilt, saz) = match system.mount {
                Mount::Fixed { tilt, azimuth } => (tilt, azimuth),
                Mount::SingleAxis(t) => {
                    let s = t.state(z, az);
                    // below the horizon the tracker lies flat
                    if s.theta.is_nan() {
                        (0.0, t.axis_azimuth)
                    } else {
                        (s.surface_tilt, s.surface_azimuth)
                    }
                }
            };
            let (ghi, dni, dhi) = (w.ghi[i], w.dni[i], w.dhi[i]);
            let aoi = irr::aoi(tilt, saz, z, az);
            let am = irr::airmass_relative(z, AirmassModel::KastenYoung1989);
            let sky = match system.sky {
                SkyModel::Isotropic => irr::isotropic(tilt, dhi),
                SkyModel::HayDavies => irr::hay_davies(tilt, saz, dhi, dni, e0, z, az),
                SkyModel::Perez => {
                    // no diffuse light, no diffuse on the plane (pvlib gives NaN for 0/0 here)
                    if dhi == 0.0 {
                        0.0
                    } else {
                        irr::perez(tilt, saz, dhi, dni, e0, z, az, am, perez)
                    }
                }
                SkyModel::Klucher => irr::klucher(tilt, saz, dhi, ghi, z, az),
                SkyModel::Reindl => irr::reindl(tilt, saz, dhi, dni, ghi, e0, z, az),
            };
            let albedo = match w.albedo.get(i) {
                Some(a) if system.weather_albedo && a.is_finite() => *a,
                _ => system.albedo,
            };
            let ground = irr::ground_diffuse(tilt, ghi, albedo);
            let poa = irr::poa(aoi, dni, sky, ground);
            let (ta, ws) = (w.temp_air[i], w.wind_speed[i]);
            let tc = match system.temperature {
                TemperatureModel::Sapm(prm) => pv::sapm_cell(poa.global, ta, ws, &prm),
                TemperatureModel::Pvsyst {
                    u_c,
                    u_v,
                    efficiency,
                    absorption,
                } => pv::pvsyst_cell(poa.global, ta, ws, u_c, u_v, efficiency, absorption),
                TemperatureModel::Faiman { u0, u1 } => pv::faiman(poa.global, ta, ws, u0, u1),
                // computed below, in time order
                TemperatureModel::Fuentes(_) => f64::NAN,
            };
            Step {
                apparent_zenith: z,
                azimuth: az,
                surface_tilt: tilt,
                surface_azimuth: saz,
                aoi,
                poa_global: poa.global,
                poa_direct: poa.direct,
                poa_diffuse: poa.diffuse,
                poa_transmitted: match system.iam {
                    Iam::None => poa.global,
                    Iam::Physical { n, k, l } => {
                        poa.global - (1.0 - irr::iam_physical(aoi, n, k, l)) * poa.direct
                    }
                },
                temp_cell: tc,
                pdc: f64::NAN,
                pac: f64::NAN,
            }
        })
        .collect();
    let mut steps = steps;
    if let TemperatureModel::Fuentes(f) = system.temperature {
        let poa: Vec<f64> = steps.iter().map(|s| s.poa_global).collect();
        let hours = vec![w.interval as f64 / 3600.0; n];
        let up = sun_up_in_intervals(w, delta_t);
        let t = pv::fuentes_with_sun(&poa, &w.temp_air, &w.wind_speed, &hours, Some(&up), &f);
        for (s, v) in steps.iter_mut().zip(t) {
            s.temp_cell = v;
        }
    }
    steps.par_iter_mut().for_each(|s| {
        s.pdc = pv::pvwatts_dc(s.poa_transmitted, s.temp_cell, pdc0, system.gamma_pdc, 25.0)
            * (1.0 - loss / 100.0);
        s.pac = pv::pvwatts_inverter(s.pdc, inv_pdc0, system.eta_nom, system.eta_ref);
    });
    let h = w.interval as f64 / 3600.0;
    let valid: Vec<&Step> = steps.iter().filter(|s| !s.pac.is_nan()).collect();
    let energy_kwh = valid.iter().map(|s| s.pac * h / 1000.0).sum::<f64>();
    let hours = valid.len() as f64 * h;
    Simulation {
        energy_kwh,
        missing_intervals: n - valid.len(),
        hours,
        specific_yield: energy_kwh / system.kwp,
        capacity_factor: if hours > 0.0 {
            energy_kwh / (system.kwp * hours)
        } else {
            f64::NAN
        },
        loss_percent: loss,
        evaluated_at: at,
        steps,
    }
}

/// Day of year (1..366) of Unix seconds, in UTC.
pub fn day_of_year_utc(t: f64) -> f64 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(t.floor() as i64, 0).map_or(f64::NAN, |d| d.ordinal() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_of_year() {
        assert_eq!(day_of_year_utc(0.0), 1.0);
        assert_eq!(day_of_year_utc(951_782_400.0), 60.0); // 2000-02-29
        assert_eq!(day_of_year_utc(978_220_800.0), 366.0); // 2000-12-31
        assert_eq!(day_of_year_utc(1_609_459_199.0), 366.0); // 2020-12-31T23:59:59Z
    }
}
