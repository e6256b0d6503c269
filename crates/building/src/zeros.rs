//! Runs of zero readings. Utility and AMI exports often write an outage, a vacancy or a
//! meter exchange as 0 rather than leaving the cell empty; taken as real use, a summer of
//! such zeros makes 44 % "savings" of a 4 % measure, and a baseline's zeros pass the
//! coverage rule that the same gap left empty fails (docs/baselines.md § 8).
//!
//! A zero is not always a gap: a heating-only gas meter reads 0 all summer. What tells
//! the two apart is the model: a run of zeros is taken for a gap where the model expects
//! use there, more than [`SIGMAS`] times its RMSE and more than [`LEAST_SHARE`] of the
//! meter's mean use per period. The gas meter's summer prediction is its intercept, near
//! 0; an electricity meter's is its base load and cooling.

use serde::{Deserialize, Serialize};

use crate::BuildingError;
use crate::prepare::{Masked, Prepared};
use crate::series::{Freq, Meter, Period, rfc3339};

/// The shortest run of zero readings looked at, days: a day or two at 0 is an outage or a
/// holiday shutdown as often as an export's gap, and moves a year's total little.
pub const LEAST_RUN_DAYS: f64 = 3.0;

/// How many RMSEs of the model the use it expects over a run must exceed.
pub const SIGMAS: f64 = 3.0;

/// The share of the meter's mean use per period the use it expects over a run must exceed.
pub const LEAST_SHARE: f64 = 0.25;

/// How the reason of a zero reading taken as missing ends.
pub const MISSING: &str = "taken as missing (--zeros missing)";

/// What a run of zero readings the model expects use on is taken for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Zeros {
    /// Refused, naming the run: the user says which it is.
    #[default]
    Check,
    /// Gaps written as 0: left out as missing, counted and listed.
    Missing,
    /// Real readings: the building used nothing.
    Keep,
}

/// A run of consecutive zero readings of [`LEAST_RUN_DAYS`] or more: [start, end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub start: i64,
    pub end: i64,
    pub offset: i32,
    pub end_offset: i32,
    pub periods: usize,
}

impl Run {
    pub fn days(&self) -> f64 {
        (self.end - self.start) as f64 / crate::series::DAY as f64
    }

    fn holds(&self, p: &Period) -> bool {
        p.start >= self.start && p.end <= self.end
    }
}

/// The runs of zero readings (each period 0, each starting where the one before ends)
/// that span [`LEAST_RUN_DAYS`] or more, in time order.
pub fn runs(periods: &[Period]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut current: Option<Run> = None;
    for p in periods {
        let zero = p.value == 0.0;
        current = match current {
            Some(mut r) if zero && p.start == r.end => {
                r.end = p.end;
                r.end_offset = p.offset;
                r.periods += 1;
                Some(r)
            }
            other => {
                out.extend(other);
                zero.then_some(Run {
                    start: p.start,
                    end: p.end,
                    offset: p.offset,
                    end_offset: p.offset,
                    periods: 1,
                })
            }
        };
    }
    out.extend(current);
    out.retain(|r| r.days() >= LEAST_RUN_DAYS);
    out
}

/// A run the model expects use on: its mean prediction per period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unexpected {
    pub run: Run,
    pub expected: f64,
}

/// The model's scale, per period: its RMSE and the meter's mean use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub rmse: f64,
    pub mean: f64,
}

impl Scale {
    /// From a Guideline 14 fit (CV(RMSE) with n − p) and the total it was fitted on.
    pub fn of(fit: &crate::g14::Fit, total: f64) -> Option<Scale> {
        let mean = total / fit.n as f64;
        let rmse = fit.cv_rmse * mean;
        (rmse.is_finite() && mean.is_finite() && mean > 0.0).then_some(Scale { rmse, mean })
    }

    fn floor(&self) -> f64 {
        (SIGMAS * self.rmse).max(LEAST_SHARE * self.mean)
    }
}

/// The runs over whose prepared periods the model's mean prediction exceeds the scale's
/// floor (periods it cannot predict are passed over).
pub fn unexpected(
    runs: &[Run],
    ok: &[Prepared],
    scale: Scale,
    predict: impl Fn(&Prepared) -> Option<f64>,
) -> Vec<Unexpected> {
    runs.iter()
        .filter_map(|r| {
            let v: Vec<f64> = ok
                .iter()
                .filter(|p| r.holds(&p.period))
                .filter_map(&predict)
                .collect();
            let expected = v.iter().sum::<f64>() / v.len() as f64;
            (!v.is_empty() && expected > scale.floor()).then_some(Unexpected { run: *r, expected })
        })
        .collect()
}

fn per(freq: Freq) -> &'static str {
    match freq {
        Freq::Hourly => "an hour",
        Freq::Daily => "a day",
        Freq::Billing => "a bill",
    }
}

/// Applies `meter.zeros` to the runs found: an error under [`Zeros::Check`]; under
/// [`Zeros::Missing`] their periods are moved from `ok` to `masked`, with the reason.
pub fn apply(
    meter: &Meter,
    found: &[Unexpected],
    scale: Scale,
    ok: &mut Vec<Prepared>,
    masked: &mut Vec<Masked>,
) -> Result<(), BuildingError> {
    let Some(first) = found.first() else {
        return Ok(());
    };
    match meter.zeros {
        Zeros::Keep => Ok(()),
        Zeros::Check => {
            let days: f64 = found.iter().map(|u| u.run.days()).sum();
            let r = first.run;
            Err(BuildingError::Invalid {
                path: meter.path.clone(),
                message: format!(
                    "{} run(s) of zero readings, {days:.1} days in all, where the model expects use: the first from {} to {} ({} periods), where it expects {:.2} {} (its RMSE {:.2}, the meter's mean {:.2}). A gap the export wrote as 0? Give --zeros missing to leave such runs out as gaps (counted and listed), or --zeros keep if the building used nothing",
                    found.len(),
                    rfc3339(r.start, r.offset),
                    rfc3339(r.end, r.end_offset),
                    r.periods,
                    first.expected,
                    per(meter.freq),
                    scale.rmse,
                    scale.mean,
                ),
            })
        }
        Zeros::Missing => {
            let (gone, kept): (Vec<Prepared>, Vec<Prepared>) = std::mem::take(ok)
                .into_iter()
                .partition(|p| found.iter().any(|u| u.run.holds(&p.period)));
            *ok = kept;
            for p in gone {
                let u = found.iter().find(|u| u.run.holds(&p.period)).expect("held");
                masked.push(Masked {
                    start: crate::prepare::start_text(&p.period),
                    end: rfc3339(p.period.end, p.period.offset),
                    reason: format!(
                        "a zero reading in a run of {:.1} days where the model expects {:.2} {}: {MISSING}",
                        u.run.days(),
                        u.expected,
                        per(meter.freq)
                    ),
                    usage: None,
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(i: i64, v: f64) -> Period {
        Period {
            start: i * crate::series::DAY,
            end: (i + 1) * crate::series::DAY,
            offset: 0,
            value: v,
            row: i as usize,
        }
    }

    #[test]
    fn runs_of_three_days_or_more_only() {
        let values = [5.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0];
        let periods: Vec<Period> = values
            .iter()
            .enumerate()
            .map(|(i, v)| day(i as i64, *v))
            .collect();
        let r = runs(&periods);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].periods, r[0].days()), (4, 4.0));
        assert_eq!((r[1].periods, r[1].start), (3, 9 * crate::series::DAY));
        // a missing day breaks a run: the periods are not consecutive
        let mut gap = periods.clone();
        gap.remove(6);
        assert_eq!(runs(&gap).len(), 1);
    }
}
