//! A PV series' clock: checked against the Sun ([`check`], from `terrawatt_solar::clock`:
//! the power's daily centre on clear days against the clear-sky plane-of-array
//! irradiance's, per month), said when it is off ([`warning`]), and corrected on request
//! ([`TimeFix`], `--fix-time-shift`).

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

pub use terrawatt_solar::clock::{
    ClockCheck, MIN_CORRELATION, MIN_DAYS, MonthShift, WARN_MINUTES, check,
};

use crate::series::Series;

/// A line for the user when a month is shifted by [`WARN_MINUTES`] or more, or the shift
/// swings that much between months.
pub fn warning(c: &ClockCheck) -> Option<String> {
    let (max, min) = c.extremes()?;
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
        c.months.len()
    ))
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

    fn month(month: &str, minutes: f64) -> MonthShift {
        MonthShift {
            month: month.into(),
            minutes,
            days: 20,
        }
    }

    #[test]
    fn a_shifted_month_or_a_swing_is_a_warning() {
        let c = |months| ClockCheck { months };
        let w = warning(&c(vec![month("2012-01", 0.4), month("2012-02", 60.2)]))
            .expect("an hour's swing is reported");
        assert!(w.contains("2012-02") && w.contains("+60"), "{w}");
        assert!(warning(&c(vec![month("2012-01", -45.0), month("2012-02", -44.0)])).is_some());
        assert_eq!(
            warning(&c(vec![month("2012-01", 3.0), month("2012-02", -8.0)])),
            None
        );
        assert_eq!(warning(&c(vec![])), None);
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
