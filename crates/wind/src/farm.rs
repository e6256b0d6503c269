//! Wind farms: fleets of turbines (a power curve, a hub height, a number of turbines)
//! modelled as one aggregated power curve at the farm's mean hub height, with wake losses
//! and power-curve smoothing, as windpowerlib's TurbineClusterModelChain does it.
//!
//! - Mean hub height (Knorr 2016, p. 35): h = exp(Σ ln(h_k)·P_k / Σ P_k), P_k the
//!   installed capacity of fleet k (its number of turbines × nominal power).
//! - Farm power curve: each fleet's curve × its number of turbines, summed on the union of
//!   their wind speeds. Before summing, an unsmoothed curve that does not start at 0 m/s
//!   gets a zero point at 0 m/s, and one that does not end at zero power gets a zero point
//!   0.5 m/s after its last speed. Between its points a fleet's curve is read linearly;
//!   before its first point it adds nothing, after its last point it adds its last value.
//! - Smoothing (optional): the Gaussian smoothing of [`turbine::smooth`] (window ±15 m/s)
//!   on each turbine's curve before the sum, or on the farm curve after it. The turbulence
//!   intensity is the user's, else the mean of the weather's `turbulence_intensity`
//!   values, else 1/ln(h/z0) with z0 the mean roughness length and h the first fleet's hub
//!   height (windpowerlib estimates it once, for the first fleet).
//! - Wake losses: none; a power efficiency (constant or by wind speed) applied to the farm
//!   curve after smoothing ([`turbine::with_wake_losses`]); or a wind efficiency curve
//!   (dena, Knorr) that reduces the hub-height wind speed hour by hour, v·η(v)
//!   ([`chain::run_with_wind_efficiency`]).

use serde::Serialize;

mod file;
/// The highest hub height (m) taken: the tallest turbines stand about 180 m; a height in
/// feet reads 3.28 times higher.
pub const MOST_HUB: f64 = 250.0;

pub use file::FarmPlan;

use crate::WindError;
use crate::chain::{self, ChainSettings, HubHour, PowerModel};
use crate::turbine::{self, PowerCurve, Smoothing, WakeEfficiency};
use crate::weather::WindWeather;

/// Turbines of one type at one hub height.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fleet {
    pub name: String,
    /// The power curve of one turbine (W).
    pub curve: PowerCurve,
    /// Nominal power of one turbine (W): weighs the mean hub height, sums to the farm's
    /// capacity.
    pub nominal_power: f64,
    /// m.
    pub hub_height: f64,
    /// May be fractional (a capacity that is not a whole number of turbines).
    pub number_of_turbines: f64,
}

impl Fleet {
    /// Installed capacity (W).
    pub fn capacity(&self) -> f64 {
        self.number_of_turbines * self.nominal_power
    }
}

/// A checked wind farm: at least one fleet, each with a usable curve, a positive nominal
/// power, hub height and number of turbines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Farm {
    fleets: Vec<Fleet>,
}

impl Farm {
    pub fn new(fleets: Vec<Fleet>) -> Result<Farm, WindError> {
        if fleets.is_empty() {
            return Err(WindError::EmptyFarm);
        }
        for (i, f) in fleets.iter().enumerate() {
            let bad = |field: &'static str, message: String| WindError::Fleet {
                fleet: i + 1,
                name: f.name.clone(),
                field,
                message,
            };
            if !(f.number_of_turbines.is_finite() && f.number_of_turbines > 0.0) {
                return Err(bad(
                    "number_of_turbines",
                    format!("{} must be > 0", f.number_of_turbines),
                ));
            }
            if !(f.hub_height.is_finite() && f.hub_height > 0.0 && f.hub_height <= MOST_HUB) {
                return Err(bad(
                    "hub_height",
                    format!(
                        "{} m must be in (0, {MOST_HUB}]: no turbine's hub stands higher than about 180 m{}",
                        f.hub_height,
                        if f.hub_height > MOST_HUB {
                            " (feet? 1 ft = 0.3048 m)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            if !(f.nominal_power.is_finite() && f.nominal_power > 0.0) {
                return Err(bad(
                    "nominal_power",
                    format!("{} W must be > 0", f.nominal_power),
                ));
            }
            let c = &f.curve;
            if c.wind_speed.len() < 2 || c.wind_speed.len() != c.power.len() {
                return Err(bad("power_curve", "fewer than two points".into()));
            }
            if c.wind_speed
                .windows(2)
                .any(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
                || c.wind_speed[0] < 0.0
                || c.power.iter().any(|p| p.is_nan() || *p < 0.0)
            {
                return Err(bad(
                    "power_curve",
                    "wind speeds must increase from ≥ 0 and powers be ≥ 0".into(),
                ));
            }
        }
        Ok(Farm { fleets })
    }

    pub fn fleets(&self) -> &[Fleet] {
        &self.fleets
    }

    /// Installed capacity (W).
    pub fn nominal_power(&self) -> f64 {
        self.fleets.iter().map(Fleet::capacity).sum()
    }

    pub fn number_of_turbines(&self) -> f64 {
        self.fleets.iter().map(|f| f.number_of_turbines).sum()
    }

    /// exp(Σ ln(h_k)·P_k / Σ P_k) (Knorr 2016, p. 35).
    pub fn mean_hub_height(&self) -> f64 {
        (self
            .fleets
            .iter()
            .map(|f| f.hub_height.ln() * f.capacity())
            .sum::<f64>()
            / self.nominal_power())
        .exp()
    }

    /// The farm's power curve (W): fleets summed, smoothed (if asked) and reduced by a
    /// power efficiency (if given); see the module's notes.
    pub fn power_curve(
        &self,
        smoothing: Option<&CurveSmoothing>,
        efficiency: Option<&WakeEfficiency>,
    ) -> PowerCurve {
        let per_turbine = smoothing.is_some_and(|s| s.order == SmoothingOrder::TurbinePowerCurves);
        let curves: Vec<PowerCurve> = self
            .fleets
            .iter()
            .map(|f| {
                let mut c = match smoothing {
                    Some(s) if per_turbine => {
                        turbine::smooth(&f.curve, s.smoothing, s.block_width, s.range)
                    }
                    _ => padded(&f.curve),
                };
                for p in &mut c.power {
                    *p *= f.number_of_turbines;
                }
                c
            })
            .collect();
        let mut speeds: Vec<f64> = curves
            .iter()
            .flat_map(|c| c.wind_speed.iter().copied())
            .collect();
        speeds.sort_by(f64::total_cmp);
        speeds.dedup();
        let power = speeds
            .iter()
            .map(|&v| {
                curves
                    .iter()
                    .map(|c| {
                        let last = c.wind_speed.len() - 1;
                        if v < c.wind_speed[0] {
                            0.0
                        } else if v > c.wind_speed[last] {
                            c.power[last]
                        } else {
                            c.power_at(v)
                        }
                    })
                    .sum()
            })
            .collect();
        let mut farm = PowerCurve {
            wind_speed: speeds,
            power,
        };
        if let Some(s) = smoothing
            && !per_turbine
        {
            farm = turbine::smooth(&farm, s.smoothing, s.block_width, s.range);
        }
        if let Some(e) = efficiency {
            farm = turbine::with_wake_losses(&farm, e);
        }
        farm
    }
}

/// A curve with a zero point at 0 m/s where it starts later, and one 0.5 m/s after its
/// end where it ends above zero.
fn padded(c: &PowerCurve) -> PowerCurve {
    let mut out = c.clone();
    if out.wind_speed[0] != 0.0 {
        out.wind_speed.insert(0, 0.0);
        out.power.insert(0, 0.0);
    }
    let last = out.wind_speed.len() - 1;
    if out.power[last] != 0.0 {
        out.wind_speed.push(out.wind_speed[last] + 0.5);
        out.power.push(0.0);
    }
    out
}

/// When smoothing happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmoothingOrder {
    /// Each turbine's curve, before the sum.
    TurbinePowerCurves,
    /// The farm's curve, after the sum.
    WindFarmPowerCurves,
}

/// How the wind speed's spread is set when a farm's curves are smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Spread {
    /// σ = turbulence intensity × v; the intensity from the weather when `None`.
    TurbulenceIntensity { intensity: Option<f64> },
    /// σ = 0.6 + 0.2·v.
    StaffellPfenninger,
}

/// Smoothing of a farm as set (the turbulence intensity may still be open).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FarmSmoothing {
    pub spread: Spread,
    pub order: SmoothingOrder,
    /// m/s between the points of the Gaussian sum (windpowerlib: 0.5).
    pub block_width: f64,
}

/// Smoothing with its spread resolved, as [`Farm::power_curve`] takes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurveSmoothing {
    pub smoothing: Smoothing,
    pub order: SmoothingOrder,
    pub block_width: f64,
    /// Half-width of the Gaussian window, m/s (windpowerlib: 15).
    pub range: f64,
}

/// A farm's wake losses.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum WakeLosses {
    None,
    /// The farm curve × a power efficiency (windpowerlib's 'wind_farm_efficiency').
    PowerEfficiency {
        efficiency: WakeEfficiency,
    },
    /// The hub-height wind speed × a wind efficiency curve (windpowerlib's 'dena_mean',
    /// 'knorr_mean', …).
    WindEfficiency {
        name: String,
        curve: PowerCurve,
    },
}

/// How a farm is modelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FarmSettings {
    pub wake_losses: WakeLosses,
    pub smoothing: Option<FarmSmoothing>,
}

/// A farm's simulated year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FarmRun {
    pub hub_height: f64,
    /// The turbulence intensity smoothing used, where it used one.
    pub turbulence_intensity: Option<f64>,
    pub curve: PowerCurve,
    /// Hub-height conditions at the mean hub height and the farm's power (W).
    pub hours: Vec<HubHour>,
}

/// 1/ln(h/z0): the turbulence intensity of a neutral surface layer (Knorr 2016, p. 88).
pub fn estimate_turbulence_intensity(height: f64, roughness_length: f64) -> f64 {
    1.0 / (height / roughness_length).ln()
}

/// The mean of the values of every column named `variable` (NaN skipped), with their
/// count; `None` where there is no such column or no value.
fn column_mean(w: &WindWeather, variable: &str) -> Option<(f64, usize)> {
    let values: Vec<f64> = w
        .columns
        .iter()
        .filter(|c| c.variable == variable)
        .flat_map(|c| c.values.iter().copied())
        .filter(|v| !v.is_nan())
        .collect();
    (!values.is_empty()).then(|| {
        (
            values.iter().sum::<f64>() / values.len() as f64,
            values.len(),
        )
    })
}

/// Simulates the farm: the weather carried to the mean hub height by `chain` (its hub
/// height is replaced), the farm curve, the wake model. Power is per the
/// `density_correction` of the power curve (a farm has no power-coefficient curve).
pub fn simulate(
    w: &WindWeather,
    farm: &Farm,
    settings: &FarmSettings,
    chain_settings: &ChainSettings,
    density_correction: bool,
) -> Result<FarmRun, WindError> {
    let hub_height = farm.mean_hub_height();
    let mut ti_used = None;
    let smoothing = match settings.smoothing {
        None => None,
        Some(s) => {
            if !(s.block_width > 0.0 && s.block_width <= 5.0) {
                return Err(WindError::Setting {
                    field: "block_width",
                    message: format!("{} m/s must be in (0, 5]", s.block_width),
                });
            }
            let smoothing = match s.spread {
                Spread::StaffellPfenninger => Smoothing::StaffellPfenninger,
                Spread::TurbulenceIntensity { intensity } => {
                    let ti = match intensity {
                        Some(ti) => ti,
                        None => match column_mean(w, "turbulence_intensity") {
                            Some((ti, _)) => ti,
                            None => {
                                let (z0, _) =
                                    column_mean(w, "roughness_length").ok_or_else(|| {
                                        WindError::Setting {
                                            field: "turbulence_intensity",
                                            message: format!(
                                                "smoothing by turbulence intensity needs it given, \
                                             or a 'turbulence_intensity' or 'roughness_length' \
                                             column in {}",
                                                w.path.display()
                                            ),
                                        }
                                    })?;
                                estimate_turbulence_intensity(farm.fleets[0].hub_height, z0)
                            }
                        },
                    };
                    if !(ti.is_finite() && ti > 0.0 && ti < 1.0) {
                        return Err(WindError::Setting {
                            field: "turbulence_intensity",
                            message: format!("{ti} must be in (0, 1)"),
                        });
                    }
                    ti_used = Some(ti);
                    Smoothing::TurbulenceIntensity { intensity: ti }
                }
            };
            Some(CurveSmoothing {
                smoothing,
                order: s.order,
                block_width: s.block_width,
                range: 15.0,
            })
        }
    };
    let efficiency = match &settings.wake_losses {
        WakeLosses::PowerEfficiency { efficiency } => Some(efficiency),
        _ => None,
    };
    let curve = farm.power_curve(smoothing.as_ref(), efficiency);
    let wind_efficiency = match &settings.wake_losses {
        WakeLosses::WindEfficiency { curve, .. } => Some(curve),
        _ => None,
    };
    let power = PowerModel::PowerCurve {
        curve: curve.clone(),
        density_correction,
    };
    let s = ChainSettings {
        hub_height,
        ..*chain_settings
    };
    let hours = chain::run_with_wind_efficiency(w, &power, &s, wind_efficiency)?;
    Ok(FarmRun {
        hub_height,
        turbulence_intensity: ti_used,
        curve,
        hours,
    })
}
