//! Turbines and their power curves, from the OpenEnergy-database CSVs (`power_curves.csv`:
//! one row per turbine type, one column per wind speed, empty cells where the curve has no
//! point) or a user's two-column curve.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::WindError;

fn read(path: &Path) -> Result<String, WindError> {
    std::fs::read_to_string(path).map_err(|e| WindError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

pub(crate) use terrawatt_meter::tables::split_csv_line as split_csv;

fn invalid(path: &Path, message: String) -> WindError {
    WindError::Invalid {
        path: path.to_path_buf(),
        message,
    }
}

/// The header's fields of a CSV file (an error where the file is empty) and its other
/// lines.
fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<String>), WindError> {
    let text = read(path)?;
    let mut lines = text.lines();
    let header = split_csv(
        lines
            .next()
            .ok_or_else(|| invalid(path, "the file is empty".into()))?,
    );
    Ok((header, lines.map(str::to_string).collect()))
}

/// Field `i` of the fields `f` of line `line` as a number, or the message saying it is not.
fn number(f: &[String], i: usize, line: usize) -> Result<f64, String> {
    f.get(i)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| {
            format!(
                "line {line}: '{}' is not a number",
                f.get(i).map_or("", |v| v.as_str())
            )
        })
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

    /// The value at `v`: linear between the points, held at the first and last values
    /// outside them (how efficiency curves are read). NaN gives NaN.
    pub fn value_held(&self, v: f64) -> f64 {
        let x = &self.wind_speed;
        let last = x.len() - 1;
        if v >= x[last] {
            self.power[last]
        } else if v <= x[0] {
            self.power[0]
        } else {
            self.power_at(v)
        }
    }
}

/// Names in `known` close to `name`, closest first (at most 8): the same letters and
/// digits ignoring case and punctuation, a name containing the other, a small edit
/// distance, or the same manufacturer prefix (the letters before the first digit).
pub fn close_matches<'a>(name: &str, known: &'a [String]) -> Vec<&'a str> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let prefix = |s: &[char]| -> Vec<char> {
        s.iter()
            .take_while(|c| !c.is_ascii_digit())
            .copied()
            .collect()
    };
    let q = norm(name);
    let qp = prefix(&q);
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .filter_map(|k| {
            let c = norm(k);
            let d = edit_distance(&q, &c);
            let contains = !q.is_empty()
                && (c.windows(q.len()).any(|w| w == q.as_slice())
                    || q.windows(c.len().max(1)).any(|w| w == c.as_slice()));
            let same_prefix = !qp.is_empty() && prefix(&c) == qp;
            (d <= (q.len() / 3).max(2) || contains || same_prefix)
                .then_some((if contains { 0 } else { d }, k.as_str()))
        })
        .collect();
    scored.sort_by_key(|(d, _)| *d);
    scored.into_iter().take(8).map(|(_, k)| k).collect()
}

/// Levenshtein distance.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev + usize::from(ca != cb);
            prev = row[j + 1];
            row[j + 1] = sub.min(prev + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// Reads the power curve of `turbine_type` from an OEDB `power_curves.csv` (or, the same
/// layout, its power-coefficient curve from `power_coefficient_curves.csv`).
pub fn oedb_power_curve(path: &Path, turbine_type: &str) -> Result<PowerCurve, WindError> {
    let invalid = |m: String| invalid(path, m);
    let (header, lines) = read_csv(path)?;
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
    for (k, line) in lines.iter().enumerate() {
        let f = split_csv(line);
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
    let near = close_matches(turbine_type, &known);
    Err(invalid(format!(
        "no turbine type '{turbine_type}' ({}; {} types in the file)",
        if near.is_empty() {
            "none similar".to_string()
        } else {
            format!("similar: {}", near.join(", "))
        },
        known.len()
    )))
}

/// The rotor diameter (m) of `turbine_type` from an OEDB `turbine_data.csv`.
pub fn oedb_rotor_diameter(path: &Path, turbine_type: &str) -> Result<f64, WindError> {
    oedb_turbine_value(path, turbine_type, "rotor_diameter")
}

/// The nominal power (W) of `turbine_type` from an OEDB `turbine_data.csv`.
pub fn oedb_nominal_power(path: &Path, turbine_type: &str) -> Result<f64, WindError> {
    oedb_turbine_value(path, turbine_type, "nominal_power")
}

/// A numeric column of `turbine_type`'s row in an OEDB `turbine_data.csv` (quoted fields,
/// commas inside them included, are one field each).
fn oedb_turbine_value(path: &Path, turbine_type: &str, column: &str) -> Result<f64, WindError> {
    let invalid = |m: String| invalid(path, m);
    let (header, lines) = read_csv(path)?;
    let col = header
        .iter()
        .position(|h| h.trim() == column)
        .ok_or_else(|| invalid(format!("line 1: no {column} column")))?;
    for line in &lines {
        let f = split_csv(line);
        if f.first().map(|v| v.trim()) == Some(turbine_type) {
            return f
                .get(col)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| invalid(format!("{turbine_type}: no {column}")));
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

/// The highest wind speed (m/s) a power curve may reach: turbines cut out at 20–34 m/s.
const MOST_CURVE_SPEED: f64 = 60.0;

/// The height (m) from which a turbine is a utility-scale one, and the nominal power (W)
/// below which none stands that high: small turbines (up to tens of kW) stand on towers
/// of 10–40 m.
const TALL_HUB: f64 = 50.0;
const SMALL_TURBINE: f64 = 50e3;

/// The least nominal power (W) of a turbine on a tower of 20 m or more: micro turbines
/// (hundreds of W) stand on poles of a few metres, and a 1 kW one on 18–30 m.
const MICRO_TURBINE: f64 = 500.0;

/// Refuses a curve file whose powers read as kW: its largest power is a small turbine's
/// (under 50 kW) at a hub height of 50 m or more, where only turbines of hundreds of kW
/// and more stand, or a micro turbine's (under 500 W) at 20 m or more (NREL's 20 kW
/// distributed-wind curve left in kW gave 0.0 MWh at 30 m). Library and generic turbines
/// are in W already and pass.
pub fn check_curve_unit(t: &TurbineCurve, hub_height: f64) -> Result<(), String> {
    let too_small = (hub_height >= TALL_HUB && t.nominal < SMALL_TURBINE)
        || (hub_height >= 20.0 && t.nominal < MICRO_TURBINE);
    if t.source != "csv" || !too_small {
        return Ok(());
    }
    Err(format!(
        "the curve's largest power is {} W, a {} kW turbine, and none that small stands \
         {hub_height} m high: are its values in kW? The value column is in W (kW × 1000)",
        t.nominal,
        t.nominal / 1e3
    ))
}

/// Refuses a hub lower than the rotor's radius: the blades would reach below the ground
/// (the hub height is the rotor's centre above the ground; towers stand higher than the
/// radius, by 20 m or more on utility turbines). Turbines without a known diameter pass.
pub fn check_rotor(t: &TurbineCurve, hub_height: f64) -> Result<(), String> {
    match t.rotor_diameter {
        Some(d) if hub_height > 0.0 && d / 2.0 >= hub_height => Err(format!(
            "{}: a {d} m rotor at a hub height of {hub_height} m reaches {} m from the hub, \
             below the ground; the hub height is the rotor's centre above the ground \
             (towers stand higher than the rotor's radius, by 20 m or more on utility turbines)",
            t.name,
            d / 2.0
        )),
        _ => Ok(()),
    }
}

/// A user's power curve: a CSV with `wind_speed` and `value` (W) columns (header required),
/// wind speeds increasing.
pub fn csv_power_curve(path: &Path) -> Result<PowerCurve, WindError> {
    let invalid = |m: String| invalid(path, m);
    let (header, lines) = read_csv(path)?;
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
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
    let mut line_of = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv(line);
        let num = |i: usize| number(&f, i, k + 2).map_err(invalid);
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
        line_of.push(k + 2);
    }
    if curve.wind_speed.len() < 2 {
        return Err(invalid("fewer than two points".into()));
    }
    // a point far below both its neighbours: a curve rises to its rating and falls only at
    // its end (cut-out, storm control), so this is an empty cell read as 0 or a typing slip
    // (a 0 at 10 m/s on the E-126/4200's curve took 13 % off the year without a word)
    for (i, (p, v)) in curve
        .power
        .windows(3)
        .zip(curve.wind_speed.windows(3))
        .enumerate()
    {
        let (before, here, after) = (p[0], p[1], p[2]);
        if before.min(after) > 0.0 && here < 0.1 * before.min(after) {
            return Err(invalid(format!(
                "line {}: the power at {} m/s is {here} W, between {before} W at {} and {after} W \
                 at {} m/s: an empty cell or a slip? A power curve falls only at its end",
                line_of[i + 1],
                v[1],
                v[0],
                v[2]
            )));
        }
    }
    let last = curve.wind_speed[curve.wind_speed.len() - 1];
    if last > MOST_CURVE_SPEED {
        return Err(invalid(format!(
            "the curve runs to {last} m/s, and no turbine runs above {MOST_CURVE_SPEED} m/s: \
             are its wind speeds in km/h ({:.1} m/s)? The wind_speed column is in m/s",
            last / 3.6
        )));
    }
    Ok(curve)
}

/// How the spread of wind speeds around each curve point is set when smoothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Smoothing {
    /// σ = turbulence intensity × v.
    TurbulenceIntensity { intensity: f64 },
    /// σ = 0.6 + 0.2·v (Staffell & Pfenninger 2016).
    StaffellPfenninger,
}

/// A power curve smoothed with a Gaussian of the wind speed's spread (Nørgaard & Holttinen
/// 2004): the curve is extended with zero power every `step` (the spacing of its fifth and
/// sixth points) up to its last wind speed + `range`; each point's power is the sum over
/// the window v ± `range` (every `block_width`) of width × power × Gauss(v − w; 0, σ(v)),
/// the power read from the extended curve (0 outside it), the window neither normalised
/// nor widened.
pub fn smooth(
    curve: &PowerCurve,
    smoothing: Smoothing,
    block_width: f64,
    range: f64,
) -> PowerCurve {
    let mut ws = curve.wind_speed.clone();
    let mut p = curve.power.clone();
    let max = ws[ws.len() - 1] + range;
    let step = if ws.len() > 5 {
        ws[5] - ws[4]
    } else {
        ws[1] - ws[0]
    };
    while ws[ws.len() - 1] < max {
        let next = ws[ws.len() - 1] + step;
        ws.push(next);
        p.push(0.0);
    }
    let extended = PowerCurve {
        wind_speed: ws.clone(),
        power: p,
    };
    let n = ((2.0 * range) / block_width).round() as usize + 1;
    let values = ws
        .iter()
        .map(|&v| {
            let sigma = match smoothing {
                Smoothing::TurbulenceIntensity { intensity } => v * intensity,
                Smoothing::StaffellPfenninger => v * 0.2 + 0.6,
            };
            if sigma == 0.0 {
                return 0.0;
            }
            let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
            let mut sum = 0.0;
            for k in 0..n {
                let w = (-range + k as f64 * block_width) + v;
                let x = v - w;
                let g = norm * (-(x * x) / (2.0 * sigma * sigma)).exp();
                sum += (block_width * extended.power_at(w)) * g;
            }
            sum
        })
        .collect();
    PowerCurve {
        wind_speed: ws,
        power: values,
    }
}

/// Wake losses of a wind farm applied to a power curve: a constant efficiency, or an
/// efficiency curve (wind speed, efficiency) read linearly at the power curve's speeds and
/// held at its last value beyond its end.
pub fn with_wake_losses(curve: &PowerCurve, efficiency: &WakeEfficiency) -> PowerCurve {
    let power = curve
        .wind_speed
        .iter()
        .zip(&curve.power)
        .map(|(v, p)| {
            p * match efficiency {
                WakeEfficiency::Constant(e) => *e,
                WakeEfficiency::Curve(c) => c.value_held(*v),
            }
        })
        .collect();
    PowerCurve {
        wind_speed: curve.wind_speed.clone(),
        power,
    }
}

/// A wind farm's efficiency: constant or by wind speed (the `power` field holds the
/// efficiency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WakeEfficiency {
    Constant(f64),
    Curve(PowerCurve),
}

/// Reads an efficiency curve (`wind_speed` and one column per curve, e.g. `dena_mean`);
/// repeated wind speeds are kept once.
pub fn efficiency_curve(path: &Path, column: &str) -> Result<PowerCurve, WindError> {
    let invalid = |m: String| invalid(path, m);
    let (fields, lines) = read_csv(path)?;
    let header: Vec<&str> = fields.iter().map(|h| h.trim()).collect();
    let iv = header
        .iter()
        .position(|h| *h == "wind_speed")
        .ok_or_else(|| invalid("line 1: no wind_speed column".into()))?;
    let ie = header.iter().position(|h| *h == column).ok_or_else(|| {
        invalid(format!(
            "line 1: no column '{column}' (columns: {})",
            header.join(", ")
        ))
    })?;
    let mut c = PowerCurve {
        wind_speed: Vec::new(),
        power: Vec::new(),
    };
    for (k, line) in lines.iter().enumerate() {
        let f = split_csv(line);
        let num = |i: usize| {
            f.get(i)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| invalid(format!("line {}: not a number", k + 2)))
        };
        let (v, e) = (num(iv)?, num(ie)?);
        if c.wind_speed.last() == Some(&v) {
            continue;
        }
        c.wind_speed.push(v);
        c.power.push(e);
    }
    Ok(c)
}

/// Reads one of NREL's turbine-model CSVs (`Wind Speed [m/s],Power [kW],Cp [-]`): the power
/// curve in W and the power-coefficient curve.
pub fn nrel_turbine(path: &Path) -> Result<(PowerCurve, PowerCurve), WindError> {
    let invalid = |m: String| invalid(path, m);
    let (fields, lines) = read_csv(path)?;
    let header: Vec<&str> = fields.iter().map(|h| h.trim()).collect();
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.starts_with(name))
            .ok_or_else(|| invalid(format!("line 1: no '{name}' column (an NREL turbine-model CSV has Wind Speed [m/s], Power [kW], Cp [-])")))
    };
    let (iv, ip) = (find("Wind Speed")?, find("Power")?);
    let ic = header.iter().position(|h| h.starts_with("Cp"));
    let mut power = PowerCurve {
        wind_speed: Vec::new(),
        power: Vec::new(),
    };
    let mut cp = PowerCurve {
        wind_speed: Vec::new(),
        power: Vec::new(),
    };
    for (k, line) in lines.iter().enumerate() {
        let f = split_csv(line);
        if f.iter().all(|c| c.trim().is_empty()) {
            continue; // blank rows (some files end with `,,` lines)
        }
        let num = |i: usize| number(&f, i, k + 2).map_err(invalid);
        let v = num(iv)?;
        if power.wind_speed.last().is_some_and(|last| v <= *last) {
            return Err(invalid(format!(
                "line {}: wind speeds must increase",
                k + 2
            )));
        }
        power.wind_speed.push(v);
        power.power.push(num(ip)? * 1000.0);
        // a Cp cell may be empty: the coefficient curve is then kept only if complete
        if let Some(ic) = ic
            && f.get(ic).is_some_and(|c| !c.trim().is_empty())
        {
            cp.wind_speed.push(v);
            cp.power.push(num(ic)?);
        }
    }
    if cp.wind_speed.len() != power.wind_speed.len() {
        cp.wind_speed.clear();
        cp.power.clear();
    }
    Ok((power, cp))
}

/// A turbine's power curve and nominal power (W), with where they came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurbineCurve {
    /// The turbine type, the curve file, or the generic turbine's description.
    pub name: String,
    /// The power curve of one turbine (W).
    pub curve: PowerCurve,
    /// Nominal power (W).
    pub nominal: f64,
    /// "nrel", "oedb", "csv" or "generic".
    pub source: &'static str,
    /// The rotor's diameter (m), where the source gives it (the OEDB table, a generic
    /// turbine); a curve file and NREL's curves do not.
    pub rotor_diameter: Option<f64>,
}

impl TurbineCurve {
    /// A two-column power curve file (wind speed m/s, power W); its name is the path.
    pub fn from_csv(path: &Path) -> Result<TurbineCurve, WindError> {
        let curve = csv_power_curve(path)?;
        Ok(TurbineCurve {
            name: path.display().to_string(),
            nominal: curve.nominal(),
            curve,
            source: "csv",
            rotor_diameter: None,
        })
    }

    /// A generic turbine's curve (see [`crate::generic`]).
    pub fn generic(
        g: crate::generic::GenericTurbine,
    ) -> Result<TurbineCurve, crate::generic::GenericError> {
        let valid = g.check()?;
        Ok(TurbineCurve {
            name: format!(
                "generic {:.0} kW, {} m rotor",
                g.rated_power / 1e3,
                g.rotor_diameter
            ),
            curve: valid.power_curve(),
            nominal: g.rated_power,
            source: "generic",
            rotor_diameter: Some(g.rotor_diameter),
        })
    }
}

/// A turbine type from the library folder: NREL's turbine-model CSV of that file name,
/// else the OEDB table (nominal power from turbine_data.csv where it has one, else the
/// curve's largest power).
pub fn library_turbine(name: &str, dir: &Path) -> Result<TurbineCurve, WindError> {
    let nrel = [
        dir.join("nrel_turbine_models").join(format!("{name}.csv")),
        dir.join(format!("{name}.csv")),
    ]
    .into_iter()
    .find(|p| p.is_file());
    if let Some(p) = nrel {
        let curve = nrel_turbine(&p)?.0;
        return Ok(TurbineCurve {
            name: name.into(),
            nominal: curve.nominal(),
            curve,
            source: "nrel",
            rotor_diameter: None,
        });
    }
    let curve = oedb_power_curve(&dir.join("power_curves.csv"), name)?;
    let nominal = oedb_nominal_power(&dir.join("turbine_data.csv"), name)
        .ok()
        .filter(|p| *p > 0.0)
        .unwrap_or_else(|| curve.nominal());
    Ok(TurbineCurve {
        name: name.into(),
        curve,
        nominal,
        source: "oedb",
        rotor_diameter: oedb_rotor_diameter(&dir.join("turbine_data.csv"), name)
            .ok()
            .filter(|d| d.is_finite() && *d > 0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_follow_rfc_4180_quoting() {
        assert_eq!(split_csv("a,\"b,c\",d"), ["a", "b,c", "d"]);
        assert_eq!(split_csv("\"E-126 \"\"EP8\"\"\",1"), ["E-126 \"EP8\"", "1"]);
        assert_eq!(split_csv(""), [""]);
    }

    #[test]
    fn a_quoted_header_is_read() {
        let path = std::env::temp_dir().join(format!("terrawatt-curve-{}.csv", std::process::id()));
        std::fs::write(&path, "\"wind_speed\",\"value\"\n3,0\n\"4\",100\n").unwrap();
        let curve = csv_power_curve(&path);
        let _ = std::fs::remove_file(&path);
        let curve = curve.unwrap();
        assert_eq!(curve.wind_speed, [3.0, 4.0]);
        assert_eq!(curve.power, [0.0, 100.0]);
    }
}
