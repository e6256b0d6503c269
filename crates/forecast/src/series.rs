//! The target series on a regular grid, and exogenous weather aligned to it.
//!
//! A target file is a table (CSV, gzipped CSV, Parquet) with a time column (UTC offsets, a
//! Parquet datetime with a zone, or naive times with a named zone) and the target column.
//! Its stamps must lie on one regular grid: duplicates, out-of-order rows and stamps off the
//! grid are refused with the row; stamps absent from the grid become missing values, and
//! both they and the file's own missing values are counted. Values are never filled.

use std::path::Path;

use chrono_tz::Tz;
use terrawatt_table::Table;
use terrawatt_table::time::{Stamp, read_stamps};

use crate::{ForecastError, Result};

/// A regular series: value `i` belongs to the interval labelled `start + i·step`.
#[derive(Debug, Clone)]
pub struct Series {
    pub start: i64,
    pub step: i64,
    /// UTC offset (s east) of the file's stamps, for local clock times.
    pub offset: i32,
    pub values: Vec<f64>,
    /// Grid intervals the file has no row for.
    pub absent: usize,
    /// Rows of the file whose value is missing.
    pub missing: usize,
}

impl Series {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn time(&self, i: usize) -> i64 {
        self.start + i as i64 * self.step
    }

    /// The index of the interval labelled `t` (on the grid and inside the series).
    pub fn index_of(&self, t: i64) -> Option<usize> {
        let d = t - self.start;
        (d >= 0 && d % self.step == 0 && ((d / self.step) as usize) < self.len())
            .then(|| (d / self.step) as usize)
    }

    /// Builds the grid from stamped rows; `place(row)` names a row for messages.
    pub fn from_rows(
        path: &str,
        stamps: &[Option<Stamp>],
        values: &[f64],
        step: i64,
        place: impl Fn(usize) -> String,
    ) -> Result<Series> {
        let invalid = |message: String| ForecastError::Invalid {
            path: path.to_string(),
            message,
        };
        if stamps.is_empty() {
            return Err(invalid("no rows".into()));
        }
        let mut prev: Option<(i64, usize)> = None;
        let mut first: Option<Stamp> = None;
        for (row, s) in stamps.iter().enumerate() {
            let Some(s) = s else {
                return Err(invalid(format!("{}: no time stamp", place(row))));
            };
            let f = *first.get_or_insert(*s);
            if let Some((p, prow)) = prev {
                if s.t == p {
                    return Err(invalid(format!(
                        "{}: duplicate time {} (also at {})",
                        place(row),
                        s.rfc3339(),
                        place(prow)
                    )));
                }
                if s.t < p {
                    return Err(invalid(format!(
                        "{}: time {} comes before the previous row's; sort the file by time",
                        place(row),
                        s.rfc3339()
                    )));
                }
            }
            if (s.t - f.t) % step != 0 {
                return Err(invalid(format!(
                    "{}: time {} is off the regular {}-second grid that starts at {} (irregular interval); resample the data to one interval first",
                    place(row),
                    s.rfc3339(),
                    step,
                    f.rfc3339()
                )));
            }
            prev = Some((s.t, row));
        }
        let first = first.expect("rows");
        let last = prev.expect("rows").0;
        // every stamp a whole number of longer intervals apart: the data's interval is that
        let spacing = stamps
            .windows(2)
            .map(|w| w[1].expect("checked").t - w[0].expect("checked").t)
            .fold(0, gcd);
        if stamps.len() > 2 && spacing > step {
            return Err(invalid(format!(
                "every stamp is a multiple of {spacing} s from the next, so the data's interval is {spacing} s, not the {step} s given (--interval): {} of every {} intervals would be empty; give the data's interval",
                spacing / step - 1,
                spacing / step
            )));
        }
        let n = ((last - first.t) / step) as usize + 1;
        let mut out = vec![f64::NAN; n];
        for (s, v) in stamps.iter().zip(values) {
            let s = s.expect("checked");
            out[((s.t - first.t) / step) as usize] = *v;
        }
        let missing = values.iter().filter(|v| v.is_nan()).count();
        if missing == values.len() {
            return Err(invalid(
                "the target has no values (every row is missing)".into(),
            ));
        }
        if let Some((row, v, why, count)) = terrawatt_table::screen::implausible(values) {
            return Err(invalid(format!(
                "{}: {} is {why}{}: a glitch or a code, which would set the capacity and every score's scale; leave such cells empty (missing) and run again",
                place(row),
                if v.abs() >= 1e7 {
                    format!("{v:e}")
                } else {
                    format!("{v}")
                },
                if count > 1 {
                    format!(", as are {} other values", count - 1)
                } else {
                    String::new()
                }
            )));
        }
        // a unit changed inside the file (W to kW): the daily peaks step by about a thousand
        // (a peak per day, as a plant's output is 0 every night)
        let per_day = (86_400 / step).max(1) as usize;
        let peaks: Vec<f64> = out
            .chunks(per_day)
            .map(|d| {
                d.iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .fold(f64::NAN, f64::max)
            })
            .collect();
        if let Some((day, before, after)) = terrawatt_table::screen::unit_step(&peaks) {
            let from = chrono::DateTime::from_timestamp(first.t + day as i64 * 86_400, 0)
                .map_or(String::new(), |d| d.format("%Y-%m-%d").to_string());
            return Err(invalid(format!(
                "the target's daily peaks step by about a thousand around the day starting {from} UTC (a median of {before} before, {after} from it): a unit changed inside the file (W to kW, kWh to MWh), which would train the model on two scales. Give the whole column in one unit"
            )));
        }
        if let Some((with, steps)) = terrawatt_table::screen::cumulative(&out) {
            return Err(invalid(format!(
                "the target moves one way at {with} of its {steps} steps from interval to interval (the other way at 2 % or fewer): a meter's cumulative energy (a register), not the power or energy of each interval? Give each interval's value (the differences between consecutive readings)"
            )));
        }
        Ok(Series {
            start: first.t,
            step,
            offset: first.offset,
            values: out,
            absent: n - stamps.len(),
            missing,
        })
    }
}

/// The greatest common divisor (Euclid's).
fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

/// A table, its stamps (one per row), and named numeric columns.
pub type Columns = (Table, Vec<Option<Stamp>>, Vec<Vec<f64>>);

/// Reads a table's stamps and the named numeric columns.
pub fn read_columns(
    path: &Path,
    time_column: &str,
    columns: &[String],
    zone: Option<Tz>,
) -> Result<Columns> {
    let table = Table::read(path)?;
    let mut need = vec![time_column.to_string()];
    need.extend(columns.iter().cloned());
    table.require(&need)?;
    let stamps = read_stamps(&table, time_column, zone)?;
    let cols = columns
        .iter()
        .map(|c| table.numeric(c).map(|v| v.0))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((table, stamps, cols))
}

/// Reads the target series; `step` is the interval the user declared.
pub fn read_target(
    path: &Path,
    time_column: &str,
    target: &str,
    step: i64,
    zone: Option<Tz>,
) -> Result<Series> {
    let (table, stamps, cols) = read_columns(path, time_column, &[target.to_string()], zone)?;
    Series::from_rows(&path.display().to_string(), &stamps, &cols[0], step, |r| {
        table.place(r)
    })
    .map_err(|e| match e {
        ForecastError::Invalid { path, message } => ForecastError::Invalid {
            path,
            message: format!("column '{target}': {message}"),
        },
        e => e,
    })
}

/// Exogenous weather: sorted, distinct stamps and named columns; values between stamps are
/// interpolated linearly in time (not across a gap longer than twice the usual step).
#[derive(Debug, Clone)]
pub struct Exogenous {
    pub names: Vec<String>,
    pub times: Vec<i64>,
    pub columns: Vec<Vec<f64>>,
    /// What the weather's stamps mark, as an offset (s) from the stamp to the instant the
    /// value describes (0 for instantaneous or start-labelled values).
    pub shift: i64,
}

impl Exogenous {
    pub fn read(
        path: &Path,
        time_column: &str,
        names: &[String],
        zone: Option<Tz>,
    ) -> Result<Exogenous> {
        let (table, stamps, columns) = read_columns(path, time_column, names, zone)?;
        let p = path.display().to_string();
        for (name, col) in names.iter().zip(&columns) {
            if let Some((row, v, why, _)) = terrawatt_table::screen::implausible(col) {
                return Err(ForecastError::Invalid {
                    path: p,
                    message: format!(
                        "column '{name}', {}: {v} is {why}: a glitch or a missing-value code, which the features would carry; leave such cells empty (missing) and run again",
                        table.place(row)
                    ),
                });
            }
        }
        let mut times = Vec::with_capacity(stamps.len());
        for (row, s) in stamps.iter().enumerate() {
            let Some(s) = s else {
                return Err(ForecastError::Invalid {
                    path: p,
                    message: format!("{}: no time stamp", table.place(row)),
                });
            };
            if let Some(&prev) = times.last()
                && s.t <= prev
            {
                return Err(ForecastError::Invalid {
                    path: p,
                    message: format!(
                        "{}: time {} is not after the previous row's (duplicate or out of order)",
                        table.place(row),
                        s.rfc3339()
                    ),
                });
            }
            times.push(s.t);
        }
        Ok(Exogenous {
            names: names.to_vec(),
            times,
            columns,
            shift: 0,
        })
    }

    /// Each column at each instant of `at` (sorted ascending), NaN outside the data, across
    /// long gaps, or next to a missing value.
    pub fn align(&self, at: &[i64]) -> Vec<Vec<f64>> {
        let n = self.times.len();
        let mut steps: Vec<i64> = self.times.windows(2).map(|w| w[1] - w[0]).collect();
        steps.sort_unstable();
        let usual = steps.get(steps.len() / 2).copied().unwrap_or(i64::MAX / 4);
        let mut out = vec![Vec::with_capacity(at.len()); self.columns.len()];
        let mut k = 0usize;
        for &t0 in at {
            let t = t0 - self.shift;
            while k + 1 < n && self.times[k + 1] <= t {
                k += 1;
            }
            for (c, col) in self.columns.iter().enumerate() {
                let v = if n == 0 || t < self.times[0] || t > self.times[n - 1] {
                    f64::NAN
                } else if self.times[k] == t {
                    col[k]
                } else if k + 1 < n && self.times[k + 1] - self.times[k] <= 2 * usual {
                    let w = (t - self.times[k]) as f64 / (self.times[k + 1] - self.times[k]) as f64;
                    col[k] + w * (col[k + 1] - col[k])
                } else {
                    f64::NAN
                };
                out[c].push(v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(t: i64) -> Option<Stamp> {
        Some(Stamp { t, offset: -25_200 })
    }

    #[test]
    fn grid_keeps_gaps_and_counts_them() {
        let s = Series::from_rows(
            "f",
            &[st(0), st(900), st(2700)],
            &[1.0, f64::NAN, 3.0],
            900,
            |r| format!("row {r}"),
        )
        .unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s.absent, 1);
        assert_eq!(s.missing, 1);
        assert!(s.values[1].is_nan() && s.values[2].is_nan());
        assert_eq!(s.index_of(2700), Some(3));
        assert_eq!(s.index_of(2701), None);
    }

    #[test]
    fn bad_grids_name_the_row() {
        let place = |r| format!("row {r}");
        let e = Series::from_rows("f", &[st(0), st(900), st(900)], &[1.0; 3], 900, place)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("duplicate"), "{e}");
        let e = Series::from_rows("f", &[st(0), st(1000)], &[1.0; 2], 900, place)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1") && e.contains("irregular"), "{e}");
        let e = Series::from_rows("f", &[st(900), st(0)], &[1.0; 2], 900, place)
            .unwrap_err()
            .to_string();
        assert!(e.contains("before"), "{e}");
        let e = Series::from_rows("f", &[st(0), st(900)], &[f64::NAN; 2], 900, place)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no values"), "{e}");
    }

    #[test]
    fn weather_is_interpolated_inside_its_span_only() {
        let x = Exogenous {
            names: vec!["ghi".into()],
            times: vec![0, 1800, 3600, 9000],
            columns: vec![vec![0.0, 100.0, 200.0, 300.0]],
            shift: 0,
        };
        let a = x.align(&[-900, 0, 900, 3600, 5400, 9900]);
        assert!(a[0][0].is_nan());
        assert_eq!(&a[0][1..4], &[0.0, 50.0, 200.0]);
        assert!(a[0][4].is_nan(), "across a long gap");
        assert!(a[0][5].is_nan());
    }
}
