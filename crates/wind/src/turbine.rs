//! Turbines and their power curves, from the OpenEnergy-database CSVs (`power_curves.csv`:
//! one row per turbine type, one column per wind speed, empty cells where the curve has no
//! point) or a user's two-column curve.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Errors reading a turbine library; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TurbineError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// A power curve: wind speeds (m/s, increasing) and power (W).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerCurve {
    pub wind_speed: Vec<f64>,
    pub power: Vec<f64>,
}

impl PowerCurve {
    /// Power at `v`: linear between the curve's points, 0 outside them (below cut-in and
    /// above cut-out). NaN gives NaN.
    pub fn power_at(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        let x = &self.wind_speed;
        let n = x.len();
        if n == 0 || v < x[0] || v > x[n - 1] {
            return 0.0;
        }
        let k = x.partition_point(|s| *s <= v).clamp(1, n - 1);
        let (x0, x1, y0, y1) = (x[k - 1], x[k], self.power[k - 1], self.power[k]);
        if x1 == x0 {
            y1
        } else {
            y0 + (y1 - y0) * (v - x0) / (x1 - x0)
        }
    }

    /// The largest power on the curve.
    pub fn nominal(&self) -> f64 {
        self.power.iter().copied().fold(0.0, f64::max)
    }
}

/// Reads the power curve of `turbine_type` from an OEDB `power_curves.csv` (or, the same
/// layout, its power-coefficient curve from `power_coefficient_curves.csv`).
pub fn oedb_power_curve(path: &Path, turbine_type: &str) -> Result<PowerCurve, TurbineError> {
    let text = std::fs::read_to_string(path).map_err(|e| TurbineError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let invalid = |m: String| TurbineError::Invalid {
        path: path.to_path_buf(),
        message: m,
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| invalid("the file is empty".into()))?
        .split(',')
        .collect();
    if header.first().map(|h| h.trim()) != Some("turbine_type") {
        return Err(invalid(
            "line 1: not an OEDB power-curve table (first column turbine_type)".into(),
        ));
    }
    let speeds: Vec<f64> = header[1..]
        .iter()
        .map(|h| {
            h.trim()
                .parse::<f64>()
                .map_err(|_| invalid(format!("line 1: wind speed '{h}' is not a number")))
        })
        .collect::<Result<_, _>>()?;
    let mut known = Vec::new();
    for (k, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let name = f[0].trim();
        known.push(name.to_string());
        if name != turbine_type {
            continue;
        }
        let mut curve = PowerCurve {
            wind_speed: Vec::new(),
            power: Vec::new(),
        };
        for (i, cell) in f[1..].iter().enumerate() {
            let c = cell.trim();
            if c.is_empty() {
                continue;
            }
            let p: f64 = c
                .parse()
                .map_err(|_| invalid(format!("line {}: '{c}' is not a number", k + 2)))?;
            curve.wind_speed.push(speeds[i]);
            curve.power.push(p);
        }
        return Ok(curve);
    }
    let near: Vec<&String> = known
        .iter()
        .filter(|n| n.starts_with(&turbine_type[..turbine_type.len().min(2)]))
        .take(8)
        .collect();
    Err(invalid(format!(
        "no turbine type '{turbine_type}' (similar: {near:?}; {} types in the file)",
        known.len()
    )))
}

/// The rotor diameter (m) of `turbine_type` from an OEDB `turbine_data.csv`.
pub fn oedb_rotor_diameter(path: &Path, turbine_type: &str) -> Result<f64, TurbineError> {
    let text = std::fs::read_to_string(path).map_err(|e| TurbineError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let invalid = |m: String| TurbineError::Invalid {
        path: path.to_path_buf(),
        message: m,
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| invalid("the file is empty".into()))?
        .split(',')
        .collect();
    let col = header
        .iter()
        .position(|h| h.trim() == "rotor_diameter")
        .ok_or_else(|| invalid("line 1: no rotor_diameter column".into()))?;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.first().map(|v| v.trim()) == Some(turbine_type) {
            return f
                .get(col)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| invalid(format!("{turbine_type}: no rotor diameter")));
        }
    }
    Err(invalid(format!("no turbine type '{turbine_type}'")))
}

/// The power curve re-drawn for air density ρ (kg/m³): each wind speed of the standard
/// curve (ρ = 1.225) moves to v·(1.225/ρ)^p, with p rising linearly from 1/3 at 7.5 m/s to
/// 2/3 at 12.5 m/s (Svenningsen 2010, as IEC 61400-12 and windpowerlib apply it); the power
/// at `v` is read from the moved curve.
pub fn power_density_corrected(curve: &PowerCurve, v: f64, rho: f64) -> f64 {
    if v.is_nan() || rho.is_nan() {
        return f64::NAN;
    }
    let moved = PowerCurve {
        wind_speed: curve
            .wind_speed
            .iter()
            .map(|s| {
                let p = if *s <= 7.5 {
                    1.0 / 3.0
                } else if *s >= 12.5 {
                    2.0 / 3.0
                } else {
                    1.0 / 3.0 + (s - 7.5) / 5.0 * (1.0 / 3.0)
                };
                s * (1.225 / rho).powf(p)
            })
            .collect(),
        power: curve.power.clone(),
    };
    moved.power_at(v)
}

/// Power from a power-coefficient curve: ρ/8 · π · D² · v³ · cp(v) (cp 0 outside the curve).
pub fn power_from_cp(cp: &PowerCurve, diameter: f64, v: f64, rho: f64) -> f64 {
    rho / 8.0 * diameter * diameter * std::f64::consts::PI * v.powi(3) * cp.power_at(v)
}

/// A user's power curve: a CSV with `wind_speed` and `value` (W) columns (header required),
/// wind speeds increasing.
pub fn csv_power_curve(path: &Path) -> Result<PowerCurve, TurbineError> {
    let text = std::fs::read_to_string(path).map_err(|e| TurbineError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let invalid = |m: String| TurbineError::Invalid {
        path: path.to_path_buf(),
        message: m,
    };
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| invalid("the file is empty".into()))?
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    let (iv, ip) = (
        header
            .iter()
            .position(|h| h == "wind_speed")
            .ok_or_else(|| invalid("line 1: no wind_speed column".into()))?,
        header
            .iter()
            .position(|h| h == "value")
            .ok_or_else(|| invalid("line 1: no value column".into()))?,
    );
    let mut curve = PowerCurve {
        wind_speed: Vec::new(),
        power: Vec::new(),
    };
    for (k, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| -> Result<f64, TurbineError> {
            f.get(i)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "line {}: '{}' is not a number",
                        k + 2,
                        f.get(i).unwrap_or(&"")
                    ))
                })
        };
        let (v, p) = (num(iv)?, num(ip)?);
        if p < 0.0 || v < 0.0 {
            return Err(invalid(format!(
                "line {}: negative wind speed or power",
                k + 2
            )));
        }
        if curve.wind_speed.last().is_some_and(|last| v <= *last) {
            return Err(invalid(format!(
                "line {}: wind speeds must increase",
                k + 2
            )));
        }
        curve.wind_speed.push(v);
        curve.power.push(p);
    }
    if curve.wind_speed.len() < 2 {
        return Err(invalid("fewer than two points".into()));
    }
    Ok(curve)
}
