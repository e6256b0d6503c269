//! Checks a PV series' clock against the Sun.
//!
//! On a clear day the power's daily centre of mass, Σ t·P(t) / Σ P(t) over the daylight
//! intervals, falls where the clear-sky plane-of-array irradiance's does, whatever the
//! system's size. A file whose time stamps are shifted (a daylight-saving clock written
//! under a fixed UTC offset, a logger on the wrong zone, interval ends read as starts) moves
//! the power's centre away from the Sun's by the shift. Per day, both centres are taken over
//! the same intervals (daylight by the Sun or by the power, power observed); days whose power does not follow the clear
//! sky's shape moved by that shift (correlation below [`MIN_CORRELATION`]: cloud) or lack
//! more than a tenth of their daylight values are left out; each month's shift is the
//! median of its days.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

use crate::series::Series;

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
    /// A line for the user when a month is shifted by [`WARN_MINUTES`] or more, or the
    /// shift swings that much between months.
    pub fn warning(&self) -> Option<String> {
        let max = self
            .months
            .iter()
            .max_by(|a, b| a.minutes.total_cmp(&b.minutes))?;
        let min = self
            .months
            .iter()
            .min_by(|a, b| a.minutes.total_cmp(&b.minutes))?;
        let worst = max.minutes.abs().max(min.minutes.abs());
        if worst < WARN_MINUTES && max.minutes - min.minutes < WARN_MINUTES {
            return None;
        }
        Some(format!(
            "clock: on clear days the power's daily centre is {:+.0} min from the Sun's in {} and {:+.0} min in {} (median per month, {} months): the time stamps look shifted (a daylight-saving clock under a fixed offset?), which misaligns the clear-sky features; check the file's clock (results: clock_check)",
            max.minutes,
            max.month,
            min.minutes,
            min.month,
            self.months.len()
        ))
    }
}

/// A correction of the power's clock (`--fix-time-shift`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeFix {
    /// Every stamp is this many seconds late (negative: early): each value moves that much
    /// earlier, onto the interval it belongs to.
    Constant(i64),
    /// The stamps are the wall clock of a zone with daylight saving written under the
    /// file's fixed offset: each stamp's clock reading is read as that zone's local time
    /// (a repeated autumn hour as its first, daylight-saving, occurrence).
    Zone(Tz),
}

impl TimeFix {
    /// `+60min`, `-30min`, `1h` (the stamps are that late) or an IANA zone
    /// (`America/Denver`).
    pub fn parse(text: &str) -> crate::Result<TimeFix> {
        let t = text.trim();
        if t.starts_with(['+', '-']) || t.starts_with(|c: char| c.is_ascii_digit()) {
            let (sign, rest) = match t.strip_prefix('-') {
                Some(r) => (-1, r),
                None => (1, t.trim_start_matches('+')),
            };
            let s = terrawatt_table::time::parse_duration(rest)
                .map_err(|e| crate::ForecastError::Setting(e.to_string()))?;
            return Ok(TimeFix::Constant(sign * s));
        }
        t.parse::<Tz>().map(TimeFix::Zone).map_err(|_| {
            crate::ForecastError::Setting(format!("'{t}': expected a shift such as +60min or -30min (the stamps are that late), or an IANA zone such as America/Denver (the stamps are its daylight-saving wall clock)"))
        })
    }

    fn describe(&self) -> String {
        match self {
            TimeFix::Constant(s) => format!(
                "stamps {:+} min late: values moved {} min earlier",
                s / 60,
                s / 60
            ),
            TimeFix::Zone(z) => format!("stamps read as {z} wall-clock time"),
        }
    }
}

/// What a clock fix did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeFixReport {
    pub fix: String,
    /// Values moved to another interval.
    pub moved: usize,
    /// Values that landed on an interval another value had already taken: the later row
    /// is dropped (counted here).
    pub collided: usize,
    /// Values moved outside the series' span (dropped).
    pub outside: usize,
    /// Stamps whose clock reading is no wall-clock time of the zone (in its spring-forward
    /// gap): left where they were.
    pub not_wall_clock: usize,
    /// The clock check before the fix (the one after it is the task's `clock_check`).
    pub before: ClockCheck,
}

/// Moves the series' values by `fix`; intervals left without a value are missing. A
/// constant shift must be a whole number of intervals.
pub fn apply(series: &mut Series, fix: TimeFix) -> crate::Result<TimeFixReport> {
    if let TimeFix::Constant(s) = fix
        && s % series.step != 0
    {
        return Err(crate::ForecastError::Setting(format!(
            "a shift of {} s is not a whole number of {} s intervals",
            s, series.step
        )));
    }
    let n = series.len();
    let mut out = vec![f64::NAN; n];
    let mut taken = vec![false; n];
    let (mut moved, mut collided, mut outside, mut gap) = (0, 0, 0, 0);
    for i in 0..n {
        let v = series.values[i];
        if v.is_nan() {
            continue;
        }
        let t = series.time(i);
        let truth = match fix {
            TimeFix::Constant(s) => t - s,
            TimeFix::Zone(z) => {
                let clock = DateTime::from_timestamp(t + series.offset as i64, 0)
                    .expect("in range")
                    .naive_utc();
                match z.from_local_datetime(&clock).earliest() {
                    Some(d) => {
                        clock.and_utc().timestamp() - d.offset().fix().local_minus_utc() as i64
                    }
                    None => {
                        gap += 1;
                        t
                    }
                }
            }
        };
        match series.index_of(truth) {
            Some(j) if taken[j] => collided += 1,
            Some(j) => {
                out[j] = v;
                taken[j] = true;
                moved += usize::from(j != i);
            }
            None => outside += 1,
        }
    }
    let missing = out.iter().filter(|v| v.is_nan()).count();
    series.values = out;
    series.missing = missing.saturating_sub(series.absent);
    Ok(TimeFixReport {
        fix: fix.describe(),
        moved,
        collided,
        outside,
        not_wall_clock: gap,
        before: ClockCheck::default(),
    })
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
        let w = c.warning().expect("an hour's swing is reported");
        assert!(w.contains("2012-02") && w.contains("+60"), "{w}");
    }

    #[test]
    fn an_aligned_clock_and_cloudy_or_gappy_days_say_nothing() {
        let (mut y, poa, t) = series(31, |_| 0.0);
        let c = check(&y, &poa, &t, 0);
        assert!(c.months[0].minutes.abs() < 1e-9);
        assert_eq!(c.warning(), None);
        // a day of noise (cloud) and a day with its afternoon missing are left out
        for k in 0..96 {
            y[k] = ((k * 7919) % 13) as f64 * 100.0 * (poa[k] > 0.0) as u8 as f64;
            if k >= 48 {
                y[96 + k] = f64::NAN;
            }
        }
        assert_eq!(check(&y, &poa, &t, 0).months[0].days, 29);
    }

    /// 15-minute power over 60 days from 2012-03-01 local standard time (−07:00): a bell
    /// centred on 12:00 of the true clock; `stamp_of(true instant)` gives where the file
    /// puts it.
    fn shifted(true_to_stamp: impl Fn(i64) -> Option<i64>) -> (Series, impl Fn(i64) -> f64) {
        let start = 1_330_585_200; // 2012-03-01T00:00:00-07:00
        let bell = move |t: i64| {
            let minute =
                ((t - 7 * 3600).rem_euclid(86_400)) as f64 / 60.0 - 5.0 * 60.0 - 7.0 * 60.0;
            let x = minute / 300.0;
            if x.abs() < 1.0 {
                1000.0 * (std::f64::consts::FRAC_PI_2 * x).cos()
            } else {
                0.0
            }
        };
        let n = 60 * 96;
        let mut values = vec![f64::NAN; n];
        for i in 0..n {
            let truth = start + i as i64 * 900;
            if let Some(stamp) = true_to_stamp(truth) {
                let j = (stamp - start) / 900;
                if (0..n as i64).contains(&j) {
                    values[j as usize] = bell(truth);
                }
            }
        }
        let series = Series {
            start,
            step: 900,
            offset: -7 * 3600,
            values,
            absent: 0,
            missing: 0,
        };
        (series, bell)
    }

    #[test]
    fn a_daylight_saving_clock_under_a_fixed_offset_is_put_back() {
        // the logger stamps its Denver wall clock with −07:00: an hour late from 11 March
        let denver: Tz = "America/Denver".parse().unwrap();
        let (mut s, bell) = shifted(|t| {
            let wall = DateTime::from_timestamp(t, 0)
                .unwrap()
                .with_timezone(&denver)
                .naive_local();
            Some(wall.and_utc().timestamp() + 7 * 3600)
        });
        assert_eq!(
            s.values.iter().filter(|v| v.is_nan()).count(),
            4,
            "the skipped wall hour"
        );
        let r = apply(&mut s, TimeFix::parse("America/Denver").unwrap()).unwrap();
        assert_eq!((r.collided, r.outside, r.not_wall_clock), (0, 0, 0));
        // every value from 02:00 on 11 March (the change) on, but the last hour's (beyond the end)
        assert_eq!(r.moved, 60 * 96 - (10 * 96 + 8) - 4);
        let n = s.len();
        for j in 0..n {
            if j < n - 4 {
                assert_eq!(s.values[j], bell(s.time(j)), "interval {j}");
            } else {
                assert!(s.values[j].is_nan(), "nothing is known of the last hour");
            }
        }
        assert_eq!(s.missing, 4);
    }

    #[test]
    fn a_constant_shift_is_put_back_and_must_be_whole_intervals() {
        let (mut s, bell) = shifted(|t| Some(t + 1800));
        let r = apply(&mut s, TimeFix::parse("+30min").unwrap()).unwrap();
        assert_eq!((r.moved, r.outside, r.collided), (60 * 96 - 2, 0, 0));
        assert!(
            s.values[..s.len() - 2]
                .iter()
                .enumerate()
                .all(|(j, v)| *v == bell(s.time(j)))
        );
        assert_eq!(TimeFix::parse("-1h").unwrap(), TimeFix::Constant(-3600));
        assert!(
            apply(&mut s, TimeFix::parse("7min").unwrap())
                .unwrap_err()
                .to_string()
                .contains("whole number")
        );
        let e = TimeFix::parse("Mars/Olympus").unwrap_err().to_string();
        assert!(e.contains("IANA zone"), "{e}");
    }
}
