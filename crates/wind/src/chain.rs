//! Weather → wind speed, temperature and density at hub height → power, hour by hour.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::WindError;
use crate::profile;
use crate::turbine::{self, PowerCurve};
use crate::weather::WindWeather;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindSpeedModel {
    Logarithmic,
    Hellman,
    /// Linear through the two measurement heights nearest the hub (nearest first).
    InterpolationExtrapolation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemperatureModel {
    LinearGradient,
    InterpolationExtrapolation,
}

/// How power follows from the hub-height conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum PowerModel {
    PowerCurve {
        curve: PowerCurve,
        density_correction: bool,
    },
    PowerCoefficient {
        cp: PowerCurve,
        rotor_diameter: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DensityModel {
    Barometric,
    IdealGas,
}

/// How hub-height conditions are found (windpowerlib ModelChain's defaults by default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChainSettings {
    pub hub_height: f64,
    pub wind_speed_model: WindSpeedModel,
    pub temperature_model: TemperatureModel,
    pub density_model: DensityModel,
    pub obstacle_height: f64,
    pub hellman_exponent: Option<f64>,
}

impl ChainSettings {
    pub fn new(hub_height: f64) -> ChainSettings {
        ChainSettings {
            hub_height,
            wind_speed_model: WindSpeedModel::Logarithmic,
            temperature_model: TemperatureModel::LinearGradient,
            density_model: DensityModel::Barometric,
            obstacle_height: 0.0,
            hellman_exponent: None,
        }
    }
}

/// One hour at hub height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HubHour {
    pub wind_speed: f64,
    pub temperature: f64,
    pub density: f64,
    /// W.
    pub power: f64,
}

/// Runs the chain; a measurement at hub height is used as it is.
pub fn run(
    w: &WindWeather,
    power: &PowerModel,
    s: &ChainSettings,
) -> Result<Vec<HubHour>, WindError> {
    run_with_wind_efficiency(w, power, s, None)
}

/// Runs the chain with the hub-height wind speed reduced by a wind efficiency curve
/// (wind speed → efficiency, read linearly and held at its ends) before the power is
/// found: v·η(v), the wake model of the dena and Knorr curves. [`HubHour::wind_speed`]
/// stays the undisturbed speed.
pub fn run_with_wind_efficiency(
    w: &WindWeather,
    power: &PowerModel,
    s: &ChainSettings,
    wind_efficiency: Option<&PowerCurve>,
) -> Result<Vec<HubHour>, WindError> {
    let need = |v: &str| {
        w.closest(v, s.hub_height)
            .ok_or_else(|| WindError::Invalid {
                path: w.path.clone(),
                message: format!(
                    "no '{v}' column (columns: {})",
                    w.columns
                        .iter()
                        .map(|c| format!("{} at {} m", c.variable, c.height))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    };
    let ws = need("wind_speed")?;
    let tc = need("temperature")?;
    let pc = need("pressure")?;
    let z0 = w.closest("roughness_length", 0.0);
    // the log profile holds above the obstacles, not among them: a wind measured below
    // their height (100 ft typed as 100 m over an 80 m mast) made 75 % capacity factors
    if s.wind_speed_model == WindSpeedModel::Logarithmic
        && s.obstacle_height > 0.0
        && ws.height != s.hub_height
        && ws.height <= s.obstacle_height
    {
        return Err(WindError::Setting {
            field: "obstacle height",
            message: format!(
                "{} m is at or above the height the wind is measured at ({} m): the logarithmic profile holds above the obstacles, not among them. Give the obstacles' height in metres (feet? 1 ft = 0.3048 m), or a wind speed measured above them",
                s.obstacle_height, ws.height
            ),
        });
    }
    if s.wind_speed_model == WindSpeedModel::Logarithmic
        && z0.is_none()
        && ws.height != s.hub_height
    {
        return Err(WindError::Invalid {
            path: w.path.clone(),
            message: "the logarithmic profile needs a 'roughness_length' column".into(),
        });
    }
    let two = |v: &str| -> Result<(&crate::weather::Column, &crate::weather::Column), WindError> {
        let mut cols: Vec<&crate::weather::Column> =
            w.columns.iter().filter(|c| c.variable == v).collect();
        cols.sort_by(|a, b| {
            (a.height - s.hub_height)
                .abs()
                .total_cmp(&(b.height - s.hub_height).abs())
        });
        if cols.len() < 2 {
            return Err(WindError::Invalid {
                path: w.path.clone(),
                message: format!("interpolation needs '{v}' at two heights"),
            });
        }
        Ok((cols[0], cols[1]))
    };
    let lin = |a: &crate::weather::Column, b: &crate::weather::Column, i: usize| {
        (b.values[i] - a.values[i]) / (b.height - a.height) * (s.hub_height - a.height)
            + a.values[i]
    };
    let ws2 = if s.wind_speed_model == WindSpeedModel::InterpolationExtrapolation {
        Some(two("wind_speed")?)
    } else {
        None
    };
    let tc2 = if s.temperature_model == TemperatureModel::InterpolationExtrapolation {
        Some(two("temperature")?)
    } else {
        None
    };
    let hours: Vec<HubHour> = (0..w.times.len())
        .into_par_iter()
        .map(|i| {
            let v = if ws.height == s.hub_height {
                ws.values[i]
            } else if let Some((a, b)) = ws2 {
                lin(a, b, i)
            } else {
                match s.wind_speed_model {
                    WindSpeedModel::Logarithmic => profile::logarithmic(
                        ws.values[i],
                        ws.height,
                        s.hub_height,
                        z0.map_or(f64::NAN, |z| z.values[i]),
                        s.obstacle_height,
                    ),
                    WindSpeedModel::Hellman => profile::hellman(
                        ws.values[i],
                        ws.height,
                        s.hub_height,
                        z0.map(|z| z.values[i]),
                        s.hellman_exponent,
                    ),
                    WindSpeedModel::InterpolationExtrapolation => unreachable!("handled above"),
                }
            };
            let t = if tc.height == s.hub_height {
                tc.values[i]
            } else if let Some((a, b)) = tc2 {
                lin(a, b, i)
            } else {
                profile::linear_gradient(tc.values[i], tc.height, s.hub_height)
            };
            let rho = match s.density_model {
                DensityModel::Barometric => {
                    profile::barometric(pc.values[i], pc.height, s.hub_height, t)
                }
                DensityModel::IdealGas => {
                    profile::ideal_gas(pc.values[i], pc.height, s.hub_height, t)
                }
            };
            let wind_speed = v;
            let v = wind_efficiency.map_or(v, |e| v * e.value_held(v));
            HubHour {
                wind_speed,
                temperature: t,
                density: rho,
                power: match power {
                    PowerModel::PowerCurve {
                        curve,
                        density_correction: false,
                    } => curve.power_at(v),
                    PowerModel::PowerCurve {
                        curve,
                        density_correction: true,
                    } => turbine::power_density_corrected(curve, v, rho),
                    PowerModel::PowerCoefficient { cp, rotor_diameter } => {
                        turbine::power_from_cp(cp, *rotor_diameter, v, rho)
                    }
                },
            }
        })
        .collect();
    Ok(hours)
}

/// A model name that is not one of the accepted words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}': expected {expected}")]
pub struct ParseModelError {
    pub value: String,
    /// The accepted words, as a sentence.
    pub expected: &'static str,
}

impl std::str::FromStr for WindSpeedModel {
    type Err = ParseModelError;

    /// `logarithmic`, `hellman`, `interpolation` (or `interpolation_extrapolation`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "logarithmic" => Ok(WindSpeedModel::Logarithmic),
            "hellman" => Ok(WindSpeedModel::Hellman),
            "interpolation" | "interpolation_extrapolation" => {
                Ok(WindSpeedModel::InterpolationExtrapolation)
            }
            other => Err(ParseModelError {
                value: other.into(),
                expected: "logarithmic, hellman or interpolation",
            }),
        }
    }
}

impl std::str::FromStr for DensityModel {
    type Err = ParseModelError;

    /// `barometric`, `ideal-gas` (or `ideal_gas`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "barometric" => Ok(DensityModel::Barometric),
            "ideal-gas" | "ideal_gas" => Ok(DensityModel::IdealGas),
            other => Err(ParseModelError {
                value: other.into(),
                expected: "barometric or ideal-gas",
            }),
        }
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn model_names() {
        assert_eq!(
            "interpolation".parse::<WindSpeedModel>(),
            Ok(WindSpeedModel::InterpolationExtrapolation)
        );
        assert_eq!(
            "ideal_gas".parse::<DensityModel>(),
            Ok(DensityModel::IdealGas)
        );
        let e = "cubic".parse::<WindSpeedModel>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "'cubic': expected logarithmic, hellman or interpolation"
        );
    }
}
