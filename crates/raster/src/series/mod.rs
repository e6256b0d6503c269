//! Image time series: a pixel's (or a table's) series of dated observations, its season–trend
//! model, break detection by BFAST Monitor, and monotonic trend (Theil–Sen, Mann–Kendall).
//!
//! Time is in decimal years. Two conventions, as users of R's bfast meet them:
//! - true dates: `t = year + (day_of_year − 1) / days_in_year`, the trend regressor is `t`;
//! - a regular series of `per_year` observations a year (R's `ts`, bfast's `bfastts`):
//!   `t_i = t_0 + i / per_year` computed as R's `time()` does, the trend regressor is the
//!   1-based position (a missing observation keeps its number). Results then equal R's.

pub mod bfast;
pub mod ccd;
pub mod critical;
pub mod ls;
pub mod model;
pub mod sample;
pub mod trend;

use chrono::{Datelike, NaiveDate};

use crate::RasterError;

/// The standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// `year + (day_of_year − 1) / days_in_year`.
pub fn decimal_year(d: NaiveDate) -> f64 {
    let year = d.year();
    let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366.0
    } else {
        365.0
    };
    year as f64 + (d.ordinal0() as f64) / days
}

/// The times of a regular series of `n` observations, `per_year` a year, whose first is
/// observation `period` (1-based) of `year`, as R's `time()` of a `ts` computes them: the
/// first and last exact, the rest by equal steps between them.
pub fn regular_times(year: i32, period: usize, n: usize, per_year: usize) -> Vec<f64> {
    let f = per_year as f64;
    let t0 = year as f64 + (period as f64 - 1.0) / f;
    if n < 2 {
        return vec![t0; n];
    }
    let t1 = t0 + (n as f64 - 1.0) / f;
    let by = (t1 - t0) / (n as f64 - 1.0);
    let mut t: Vec<f64> = (0..n).map(|i| t0 + i as f64 * by).collect();
    t[n - 1] = t1;
    t
}

/// A time given by a user: an ISO date (`2010-06-26`), R's `YEAR(PERIOD)` of a regular
/// series (`2010(13)`: needs `per_year`) or a decimal year (`2010.5`).
pub fn parse_time(text: &str, per_year: Option<usize>) -> Result<f64, RasterError> {
    let s = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(decimal_year(d));
    }
    if let Some((y, rest)) = s.split_once('(') {
        let p = rest.strip_suffix(')');
        let (Ok(year), Some(Ok(period))) = (
            y.trim().parse::<i32>(),
            p.map(|p| p.trim().parse::<usize>()),
        ) else {
            return Err(RasterError::Invalid(format!(
                "'{text}': expected YEAR(PERIOD), e.g. 2010(13)"
            )));
        };
        let Some(f) = per_year else {
            return Err(RasterError::Invalid(format!(
                "'{text}': YEAR(PERIOD) needs the observations per year (--per-year)"
            )));
        };
        if period == 0 || period > f {
            return Err(RasterError::Invalid(format!(
                "'{text}': the period must be 1 to {f}"
            )));
        }
        return Ok(year as f64 + (period as f64 - 1.0) / f as f64);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (1000.0..10000.0).contains(&v) => Ok(v),
        _ => Err(RasterError::Invalid(format!(
            "'{text}': expected a date (2010-06-26), a decimal year (2010.5) or YEAR(PERIOD) with --per-year"
        ))),
    }
}

/// The (year, 1-based period) of the regular grid point nearest `t`.
pub fn year_period(t: f64, per_year: usize) -> (i32, usize) {
    let k = (t * per_year as f64).round() as i64;
    let f = per_year as i64;
    (k.div_euclid(f) as i32, (k.rem_euclid(f) + 1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(decimal_year(d(2010, 1, 1)), 2010.0);
        assert_eq!(decimal_year(d(2012, 12, 31)), 2012.0 + 365.0 / 366.0);
        assert_eq!(
            parse_time("2010(13)", Some(23)).unwrap(),
            2010.0 + 12.0 / 23.0
        );
        assert!(parse_time("2010(13)", None).is_err());
        assert!(parse_time("2010(24)", Some(23)).is_err());
        assert_eq!(parse_time("2010.5", None).unwrap(), 2010.5);
        assert!(parse_time("inf", None).is_err());
        let t = regular_times(2000, 4, 263, 23);
        assert_eq!(t[0], 2000.0 + 3.0 / 23.0);
        assert_eq!(year_period(t[262], 23), (2011, 13));
        let p = normal_cdf(1.959963984540054);
        assert!((p - 0.975).abs() < 1e-13, "{p}");
    }
}
