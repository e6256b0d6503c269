//! Checks a series' clock against the Sun.
//!
//! On a clear day a series that follows the sunlight (PV power, measured irradiance) has
//! its daily centre of mass, Σ t·P(t) / Σ P(t) over the daylight intervals, where the
//! clear-sky irradiance's is, whatever its scale. A file whose time stamps are shifted (a
//! daylight-saving clock written under a fixed UTC offset, a logger on the wrong zone,
//! interval ends read as starts) moves the series' centre away from the Sun's by the shift.
//! Per day, both centres are taken over the same intervals (daylight by the Sun or by the
//! series, the series observed); days whose series does not follow the clear sky's shape
//! moved by that shift (correlation below [`MIN_CORRELATION`]: cloud) or lack more than a
//! tenth of their daylight values are left out; each month's shift is the median of its
//! days.

use serde::Serialize;

/// Correlation of a day's power with its clear-sky irradiance above which the day counts.
pub const MIN_CORRELATION: f64 = 0.95;
/// Days a month needs to report a shift.
pub const MIN_DAYS: usize = 3;
/// A shift (or a seasonal swing) of at least this many minutes is reported as a warning.
pub const WARN_MINUTES: f64 = 30.0;

/// The median shift of one month's clear days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthShift {
    /// Local month, YYYY-MM.
    pub month: String,
    /// The power's daily centre minus the clear sky's, minutes (positive: the power comes
    /// later than the Sun says).
    pub minutes: f64,
    /// Clear days it is the median of.
    pub days: usize,
}

/// Per-month shifts of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ClockCheck {
    pub months: Vec<MonthShift>,
}

/// Checks `y` against the clear-sky irradiance `poa` at the interval centres `times`
/// (Unix seconds) on a clock `offset` seconds east of UTC.
pub fn check(y: &[f64], poa: &[f64], times: &[i64], offset: i32) -> ClockCheck {
    let local_day = |t: i64| (t + offset as i64).div_euclid(86_400);
    let mut per_month: Vec<(String, Vec<f64>)> = Vec::new();
    let mut k = 0;
    while k < times.len() {
        let day = local_day(times[k]);
        let mut end = k;
        while end < times.len() && local_day(times[end]) == day {
            end += 1;
        }
        if let Some(shift) = day_shift(&y[k..end], &poa[k..end], &times[k..end]) {
            let date = chrono::DateTime::from_timestamp(day * 86_400, 0).expect("in range");
            let month = date.format("%Y-%m").to_string();
            match per_month.last_mut() {
                Some((m, v)) if *m == month => v.push(shift),
                _ => per_month.push((month, vec![shift])),
            }
        }
        k = end;
    }
    let months = per_month
        .into_iter()
        .filter(|(_, v)| v.len() >= MIN_DAYS)
        .map(|(month, mut v)| {
            v.sort_by(f64::total_cmp);
            let m = v.len();
            let median = if m % 2 == 1 {
                v[m / 2]
            } else {
                (v[m / 2 - 1] + v[m / 2]) / 2.0
            };
            MonthShift {
                month,
                minutes: median,
                days: m,
            }
        })
        .collect();
    ClockCheck { months }
}

/// One day's shift in minutes, if the day counts.
fn day_shift(y: &[f64], poa: &[f64], times: &[i64]) -> Option<f64> {
    // daylight by the Sun or by the power (a shifted clock moves power past sunset)
    let lit: Vec<usize> = (0..y.len())
        .filter(|&j| poa[j] > 0.0 || y[j] > 0.0)
        .collect();
    let seen: Vec<usize> = lit
        .iter()
        .copied()
        .filter(|&j| y[j].is_finite() && y[j] >= 0.0)
        .collect();
    if lit.len() < 8 || seen.len() * 10 < lit.len() * 9 {
        return None;
    }
    let t0 = times[seen[0]];
    let centre = |w: &dyn Fn(usize) -> f64| {
        let (s, st) = seen.iter().fold((0.0, 0.0), |(s, st), &j| {
            (s + w(j), st + w(j) * (times[j] - t0) as f64)
        });
        st / s
    };
    let shift = (centre(&|j| y[j]) - centre(&|j| poa[j])) / 60.0;
    // a clear day: the power follows the clear sky moved by that shift (whole intervals)
    let step = (times[1] - times[0]) as f64 / 60.0;
    let k = (shift / step).round() as isize;
    let moved = |j: usize| {
        let i = j as isize - k;
        if i >= 0 && (i as usize) < poa.len() {
            poa[i as usize]
        } else {
            0.0
        }
    };
    (correlation(&seen, |j| y[j], moved) >= MIN_CORRELATION).then_some(shift)
}

/// Pearson's correlation of `a` and `b` over the indices `at` (0 when either is constant).
fn correlation(at: &[usize], a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64) -> f64 {
    let n = at.len() as f64;
    let (ma, mb) = at
        .iter()
        .fold((0.0, 0.0), |(x, y), &j| (x + a(j) / n, y + b(j) / n));
    let (mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0);
    for &j in at {
        let (da, db) = (a(j) - ma, b(j) - mb);
        saa += da * da;
        sbb += db * db;
        sab += da * db;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

impl ClockCheck {
    /// The months shifted most forwards and most backwards.
    pub fn extremes(&self) -> Option<(&MonthShift, &MonthShift)> {
        let max = self
            .months
            .iter()
            .max_by(|a, b| a.minutes.total_cmp(&b.minutes))?;
        let min = self
            .months
            .iter()
            .min_by(|a, b| a.minutes.total_cmp(&b.minutes))?;
        Some((max, min))
    }

    /// The median of the months' shifts (minutes), if any month has one.
    pub fn median(&self) -> Option<f64> {
        let mut v: Vec<f64> = self.months.iter().map(|m| m.minutes).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let m = v.len();
        Some(if m % 2 == 1 {
            v[m / 2]
        } else {
            (v[m / 2 - 1] + v[m / 2]) / 2.0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 15-minute intervals over `days` days from 2012-01-01 UTC, a bell-shaped clear sky
    /// centred on noon, and power that is the clear sky `shift(day)` minutes later.
    fn series(days: i64, shift: impl Fn(i64) -> f64) -> (Vec<f64>, Vec<f64>, Vec<i64>) {
        let start = 1_325_376_000; // 2012-01-01T00:00:00Z
        let bell = |minute: f64| {
            let x = (minute - 720.0) / 300.0;
            if x.abs() < 1.0 {
                1000.0 * (std::f64::consts::FRAC_PI_2 * x).cos()
            } else {
                0.0
            }
        };
        let (mut y, mut poa, mut t) = (vec![], vec![], vec![]);
        for d in 0..days {
            for k in 0..96 {
                let minute = k as f64 * 15.0 + 7.5;
                t.push(start + d * 86_400 + (minute * 60.0) as i64);
                poa.push(bell(minute));
                y.push(4.0 * bell(minute - shift(d)));
            }
        }
        (y, poa, t)
    }

    #[test]
    fn a_known_shift_is_found_month_by_month() {
        // January on time, February an hour late (a daylight-saving clock)
        let (y, poa, t) = series(60, |d| if d >= 31 { 60.0 } else { 0.0 });
        let c = check(&y, &poa, &t, 0);
        assert_eq!(c.months.len(), 2);
        assert_eq!(c.months[0].month, "2012-01");
        assert!(c.months[0].minutes.abs() < 1.0, "{:?}", c.months[0]);
        assert_eq!(c.months[1].month, "2012-02");
        assert!(
            (c.months[1].minutes - 60.0).abs() < 3.0,
            "{:?}",
            c.months[1]
        );
        let (max, min) = c.extremes().unwrap();
        assert_eq!(
            (max.month.as_str(), min.month.as_str()),
            ("2012-02", "2012-01")
        );
        assert!((c.median().unwrap() - 30.0).abs() < 2.0);
    }

    #[test]
    fn an_aligned_clock_and_cloudy_or_gappy_days_say_nothing() {
        let (mut y, poa, t) = series(31, |_| 0.0);
        let c = check(&y, &poa, &t, 0);
        assert!(c.months[0].minutes.abs() < 1e-9);
        // a day of noise (cloud) and a day with its afternoon missing are left out
        for k in 0..96 {
            y[k] = ((k * 7919) % 13) as f64 * 100.0 * (poa[k] > 0.0) as u8 as f64;
            if k >= 48 {
                y[96 + k] = f64::NAN;
            }
        }
        assert_eq!(check(&y, &poa, &t, 0).months[0].days, 29);
    }
}
