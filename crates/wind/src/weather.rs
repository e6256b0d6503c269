//! Weather tables with a two-row header (variable name, height in m), as windpowerlib
//! writes them: `variable_name,pressure,temperature,wind_speed,…` then
//! `height,0,2,10,…`, then rows with a timestamp carrying its UTC offset.

use crate::WindError;
use crate::turbine::split_csv;
use std::path::{Path, PathBuf};

/// One variable measured at one height.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub variable: String,
    pub height: f64,
    pub values: Vec<f64>,
}

/// A weather table.
#[derive(Debug, Clone)]
pub struct WindWeather {
    pub path: PathBuf,
    /// Unix seconds of each row.
    pub times: Vec<i64>,
    pub columns: Vec<Column>,
    /// Values set to missing because no instrument reads them: (column, count, the rule).
    pub screened: Vec<(String, usize, String)>,
}

/// The unit a table's wind speeds are written in; they are converted to m/s when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpeedUnit {
    MetresPerSecond,
    KilometresPerHour,
    Knots,
    MilesPerHour,
}

impl SpeedUnit {
    /// Metres per second in one of the unit.
    pub fn metres_per_second(self) -> f64 {
        match self {
            SpeedUnit::MetresPerSecond => 1.0,
            SpeedUnit::KilometresPerHour => 1.0 / 3.6,
            SpeedUnit::Knots => 1852.0 / 3600.0,
            SpeedUnit::MilesPerHour => 0.44704,
        }
    }

    /// The unit's symbol, as it is parsed.
    pub fn symbol(self) -> &'static str {
        match self {
            SpeedUnit::MetresPerSecond => "m/s",
            SpeedUnit::KilometresPerHour => "km/h",
            SpeedUnit::Knots => "kn",
            SpeedUnit::MilesPerHour => "mph",
        }
    }
}

impl std::str::FromStr for SpeedUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<SpeedUnit, String> {
        match s {
            "m/s" => Ok(SpeedUnit::MetresPerSecond),
            "km/h" => Ok(SpeedUnit::KilometresPerHour),
            "kn" => Ok(SpeedUnit::Knots),
            "mph" => Ok(SpeedUnit::MilesPerHour),
            _ => Err(format!("'{s}': expected m/s, km/h, kn or mph")),
        }
    }
}

/// The highest long-run mean wind speed (m/s) taken without the unit being stated: the
/// windiest wind-farm sites have 10–12 m/s at hub height and less near the ground; a table
/// in km/h (× 3.6) of an ordinary site reads above it.
fn windiest_mean(height: f64) -> f64 {
    if height <= 30.0 { 10.0 } else { 12.0 }
}

/// The hourly wind speed (m/s) that only the strongest storms reach.
const STORM_SPEED: f64 = 40.0;

/// Why wind speeds (m/s, measured at `height` m over `days` days) read as another unit:
/// their mean over a month or more above the windiest sites' ([`windiest_mean`]), or more
/// than 1 % of the values (and at least 3) above storm speed; `None` where they read as
/// m/s. The reason ends with what they would be in km/h and knots.
pub fn other_unit(values: &[f64], days: f64, height: f64) -> Option<String> {
    let v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let stormy = v.iter().filter(|x| **x > STORM_SPEED).count();
    let limit = windiest_mean(height);
    let why = if days >= 30.0 && mean > limit {
        format!(
            "their mean over {days:.0} days is {mean:.1} m/s, windier than any wind farm's site \
             (at most {limit} m/s at {height} m)"
        )
    } else if stormy >= 3 && stormy * 100 > v.len() {
        format!(
            "{stormy} of {} values are above {STORM_SPEED} m/s, which only the strongest storms reach",
            v.len()
        )
    } else {
        return None;
    };
    Some(format!(
        "{why}. In km/h the mean is {:.1} m/s, in knots {:.1}",
        mean / 3.6,
        mean * SpeedUnit::Knots.metres_per_second()
    ))
}

/// Refuses wind speeds that read as another unit than m/s ([`other_unit`]). Used when the
/// table's unit is not stated.
fn check_speed_unit(path: &Path, times: &[i64], c: &Column) -> Result<(), WindError> {
    let days = (times[times.len() - 1] - times[0]) as f64 / 86_400.0;
    match other_unit(&c.values, days, c.height) {
        None => Ok(()),
        Some(why) => Err(WindError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "wind_speed at {} m: {why}: state the unit (--wind-speed-unit km/h, kn or mph; m/s if they are m/s)",
                c.height
            ),
        }),
    }
}

/// How much slower, on average, the wind may blow at a greater height than at a lower one
/// before the heights are taken for mislabelled: wind speed grows with height over any
/// surface, on average over a day or more (a stable night can reverse it for hours).
const SLOWER_ALOFT: f64 = 0.95;

/// Refuses wind speeds whose mean at a greater height is below [`SLOWER_ALOFT`] times the
/// mean at a lower one, over the hours both have (a day or more): their heights are
/// exchanged or mistyped in the header's second row (80 and 10 exchanged took 70 % off a
/// year, read at the wrong heights).
fn check_heights(path: &Path, columns: &[Column]) -> Result<(), WindError> {
    let speeds: Vec<&Column> = columns
        .iter()
        .filter(|c| c.variable == "wind_speed")
        .collect();
    for (i, lo) in speeds.iter().enumerate() {
        for hi in speeds.iter().skip(i + 1) {
            let (lo, hi) = if lo.height <= hi.height {
                (lo, hi)
            } else {
                (hi, lo)
            };
            if lo.height == hi.height {
                continue;
            }
            let (mut n, mut sum_lo, mut sum_hi) = (0usize, 0.0, 0.0);
            for (a, b) in lo.values.iter().zip(&hi.values) {
                if a.is_finite() && b.is_finite() {
                    n += 1;
                    sum_lo += a;
                    sum_hi += b;
                }
            }
            if n >= 24 && sum_hi < SLOWER_ALOFT * sum_lo {
                return Err(WindError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "the wind at {} m is slower than at {} m (means {:.2} and {:.2} m/s over {n} rows), \
                         and wind grows with height: are the heights in the header's second row \
                         exchanged or mistyped?",
                        hi.height,
                        lo.height,
                        sum_hi / n as f64,
                        sum_lo / n as f64
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The plausible range of a windpowerlib variable (its units: m/s, K, Pa, m), and its name.
fn plausible(variable: &str) -> Option<(f64, f64, &'static str)> {
    match variable {
        "wind_speed" => Some((0.0, 113.0, "wind speed outside 0…113 m/s")),
        "temperature" => Some((183.0, 343.0, "temperature outside 183…343 K (−90…+70 °C)")),
        "pressure" => Some((30_000.0, 110_000.0, "pressure outside 30–110 kPa")),
        // the log profile divides by ln(h/z0): a length of 0 has none
        "roughness_length" => Some((
            f64::MIN_POSITIVE,
            10.0,
            "roughness length at or below 0 or above 10 m",
        )),
        _ => None,
    }
}

/// The median of the finite values (NaN if none).
fn median_of(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// What a column whose values mostly fall outside their range was most likely given in.
fn unit_hint(variable: &str, median: f64) -> String {
    let within = |lo: f64, hi: f64| (lo..=hi).contains(&median);
    match variable {
        "temperature" if within(-90.0, 70.0) => {
            format!(
                "they read as °C (median {median}); the file's temperatures are in K (°C + 273.15)"
            )
        }
        "pressure" if within(300.0, 1100.0) => {
            format!(
                "they read as hPa (median {median}); the file's pressures are in Pa (hPa × 100)"
            )
        }
        "pressure" if within(30.0, 110.0) => {
            format!(
                "they read as kPa (median {median}); the file's pressures are in Pa (kPa × 1000)"
            )
        }
        "roughness_length" if median == 0.0 => "a roughness length is above 0 (0.0002 m over open sea, 0.03 over grass, 1 m and more over forest and towns); give the site's".into(),
        _ => format!("median {median}: check the column's unit (windpowerlib's: m/s, K, Pa, m)"),
    }
}

impl WindWeather {
    /// Reads a table whose wind speeds are in m/s; speeds that read as another unit are
    /// refused (see [`WindWeather::read_in`]).
    pub fn read(path: &Path) -> Result<WindWeather, WindError> {
        WindWeather::read_in(path, None)
    }

    /// Reads a table whose wind speeds are in `speed_unit`, converted to m/s. With `None`
    /// they are taken as m/s, and refused where they cannot be: a mean over a month or more
    /// above the windiest sites' (10 m/s up to 30 m, 12 m/s above), or more than 1 % of the
    /// values above 40 m/s.
    pub fn read_in(path: &Path, speed_unit: Option<SpeedUnit>) -> Result<WindWeather, WindError> {
        let text = std::fs::read_to_string(path).map_err(|e| WindError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let invalid = |m: String| WindError::Invalid {
            path: path.to_path_buf(),
            message: m,
        };
        let mut lines = text.lines();
        let names = split_csv(
            lines
                .next()
                .ok_or_else(|| invalid("the file is empty".into()))?,
        );
        let heights = split_csv(
            lines
                .next()
                .ok_or_else(|| invalid("no height line".into()))?,
        );
        if heights.first().map(|h| h.trim()) != Some("height") || heights.len() != names.len() {
            return Err(invalid(
                "line 2: expected 'height,' and one height per variable".into(),
            ));
        }
        let mut columns: Vec<Column> = Vec::new();
        for (n, h) in names[1..].iter().zip(&heights[1..]) {
            columns.push(Column {
                variable: n.trim().to_string(),
                height: h
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("line 2: height '{h}' is not a number")))?,
                values: Vec::new(),
            });
        }
        let mut times = Vec::new();
        for (k, line) in lines.enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let lineno = k + 3;
            let f = split_csv(line);
            if f.len() != names.len() {
                return Err(invalid(format!(
                    "line {lineno}: {} fields, the header has {} (a row cut short?)",
                    f.len(),
                    names.len()
                )));
            }
            let t = chrono::DateTime::parse_from_str(f[0].trim(), "%Y-%m-%d %H:%M:%S%:z")
                .or_else(|_| chrono::DateTime::parse_from_rfc3339(f[0].trim()))
                .map_err(|_| {
                    invalid(format!(
                        "line {lineno}: '{}' is not a timestamp with a UTC offset",
                        f[0]
                    ))
                })?;
            times.push(t.timestamp());
            for (c, v) in columns.iter_mut().zip(&f[1..]) {
                let v = v.trim();
                c.values.push(if v.is_empty() {
                    f64::NAN
                } else {
                    v.parse().map_err(|_| {
                        invalid(format!(
                            "line {lineno}: '{v}' in {} is not a number",
                            c.variable
                        ))
                    })?
                });
            }
        }
        if times.is_empty() {
            return Err(invalid(
                "no data rows after the header: nothing to simulate".into(),
            ));
        }
        for w in times.windows(2) {
            if w[1] <= w[0] {
                return Err(invalid("timestamps are not strictly increasing".into()));
            }
        }
        // one policy with every reader: non-finite values, missing-value codes and values no
        // instrument reads are missing, counted per column
        let mut screened = Vec::new();
        for c in &mut columns {
            // the stated unit's factor to m/s, applied after the missing-value codes are seen
            let k = match speed_unit {
                Some(unit) if c.variable == "wind_speed" => unit.metres_per_second(),
                _ => 1.0,
            };
            let range = plausible(&c.variable);
            let median = median_of(&c.values);
            let (mut non_finite, mut codes, mut out) = (0, 0, 0);
            for v in c.values.iter_mut() {
                if v.is_nan() {
                    continue;
                }
                // a code is missing where no real value could be it (99999 Pa is a pressure)
                let code = matches!(*v, -999.0 | -9999.0 | 9999.0 | 99999.0);
                *v *= k;
                let outside = range.is_some_and(|(lo, hi, _)| *v < lo || *v > hi);
                if !v.is_finite() {
                    non_finite += 1;
                } else if code && (outside || range.is_none()) {
                    codes += 1;
                } else if outside {
                    out += 1;
                } else {
                    continue;
                }
                *v = f64::NAN;
            }
            let name = format!("{} at {} m", c.variable, c.height);
            let read = c.values.iter().filter(|v| v.is_finite()).count() + out;
            if let Some((_, _, why)) = range
                && out * 2 > read
            {
                return Err(invalid(format!(
                    "{name}: {out} of its {read} values are {why}: {}",
                    unit_hint(&c.variable, median)
                )));
            }
            for (n, why) in [
                (non_finite, "infinite"),
                (codes, "a missing-value code (−999, −9999, 9999, 99999)"),
                (out, range.map_or("", |r| r.2)),
            ] {
                if n > 0 {
                    screened.push((name.clone(), n, why.to_string()));
                }
            }
        }
        if speed_unit.is_none() {
            for c in columns.iter().filter(|c| c.variable == "wind_speed") {
                check_speed_unit(path, &times, c)?;
            }
        }
        check_heights(path, &columns)?;
        Ok(WindWeather {
            path: path.to_path_buf(),
            times,
            columns,
            screened,
        })
    }

    /// The column of `variable` whose height is closest to `height` (the first on a tie).
    pub fn closest(&self, variable: &str, height: f64) -> Option<&Column> {
        self.columns
            .iter()
            .filter(|c| c.variable == variable)
            .min_by(|a, b| {
                (a.height - height)
                    .abs()
                    .total_cmp(&(b.height - height).abs())
            })
    }
}
