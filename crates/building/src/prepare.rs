//! Periods joined to temperature, masking with reasons, and CalTRACK data sufficiency
//! (docs/baselines.md §§ 2–3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::series::{DAY, Freq, Period, Stamp, Temperature, local_month, rfc3339};

/// A period ready for a model: its temperatures and usage.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub period: Period,
    /// Mean temperature (°F) of the period.
    pub temp: f64,
    /// (mean temperature, weight in days) of each day of a billing period; the period itself
    /// for daily and hourly data.
    pub days: Vec<(f64, f64)>,
    /// Days of the period: 1 for daily data, (end − start)/24 h for billing, 1/24 for hourly.
    pub n_days: f64,
}

impl Prepared {
    /// Mean daily heating degree days at balance point `h`.
    pub fn hdd(&self, h: f64) -> f64 {
        let (mut s, mut w) = (0.0, 0.0);
        for (t, d) in &self.days {
            s += d * (h - t).max(0.0);
            w += d;
        }
        s / w
    }

    /// Mean daily cooling degree days at balance point `c`.
    pub fn cdd(&self, c: f64) -> f64 {
        let (mut s, mut w) = (0.0, 0.0);
        for (t, d) in &self.days {
            s += d * (t - c).max(0.0);
            w += d;
        }
        s / w
    }
}

/// A period left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Masked {
    pub start: String,
    pub end: String,
    pub reason: String,
    /// The usage it held, where known.
    pub usage: Option<f64>,
}

/// The longest a monthly bill runs, days; and how much longer than the meter's median bill a
/// period may be. A bill left out of a file without `end` stretches the one before it over
/// both months with one month's usage (the Illinois sample with June 2017's bill deleted: a
/// 61-day "bill", predicted 2,194 against 929, and savings of 20 % for 9 %).
pub const LONGEST_BILL_DAYS: f64 = 35.0;
pub const LONGEST_BILL_SHARE: f64 = 1.5;

/// The median length of the periods that hold a value, days.
fn median_days(periods: &[Period]) -> f64 {
    let mut d: Vec<f64> = periods
        .iter()
        .filter(|p| !p.value.is_nan())
        .map(Period::days)
        .collect();
    if d.is_empty() {
        return f64::NAN;
    }
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

/// The holes between periods (where one starts after the previous one ends: rows missing
/// from the file), as masked periods of unknown usage, so that a figure over the window
/// says what it lacks as it does for rows whose usage is empty.
pub fn holes(periods: &[Period], freq: Freq) -> Vec<Masked> {
    let step = match freq {
        Freq::Hourly => crate::series::HOUR,
        Freq::Daily | Freq::Billing => DAY,
    };
    periods
        .windows(2)
        .filter(|w| w[1].start > w[0].end)
        .map(|w| {
            let n = (w[1].start - w[0].end) as f64 / step as f64;
            let unit = if step == DAY { "day" } else { "hour" };
            Masked {
                start: rfc3339(w[0].end, w[0].offset),
                end: rfc3339(w[1].start, w[1].offset),
                reason: format!(
                    "no row in the meter file ({n:.0} {unit}{} between rows {} and {})",
                    if n == 1.0 { "" } else { "s" },
                    w[0].row + 1,
                    w[1].row + 1
                ),
                usage: None,
            }
        })
        .collect()
}

/// Joins periods to temperature; returns the usable periods and the masked ones.
pub fn prepare(periods: &[Period], temp: &Temperature, freq: Freq) -> (Vec<Prepared>, Vec<Masked>) {
    let (t0, t1) = temp.span();
    let mut ok = Vec::with_capacity(periods.len());
    let mut masked = Vec::new();
    let median = median_days(periods);
    for p in periods {
        let mask = |reason: String| Masked {
            start: rfc3339(p.start, p.offset),
            end: rfc3339(p.end, p.offset),
            reason,
            usage: (!p.value.is_nan()).then_some(p.value),
        };
        if p.value.is_nan() {
            masked.push(mask("usage missing".into()));
            continue;
        }
        if freq == Freq::Billing
            && p.days() > LONGEST_BILL_DAYS
            && p.days() > LONGEST_BILL_SHARE * median
        {
            masked.push(mask(format!(
                "a bill of {:.0} days, the meter's others {median:.0} (median): a bill missing from the file (row {}), so one month's usage would stand for both? Give each bill's end in an `end` column",
                p.days(),
                p.row + 1
            )));
            continue;
        }
        if p.end <= t0 || p.start >= t1 {
            masked.push(mask("outside the temperature file's range".into()));
            continue;
        }
        let (mean, coverage) = temp.mean_in(p.start, p.end);
        let need = freq.min_coverage();
        if coverage <= 0.0 {
            masked.push(mask("no temperature reading in the period".into()));
            continue;
        }
        if coverage < need {
            masked.push(mask(format!(
                "temperature coverage {:.1} % < {:.0} %",
                100.0 * coverage,
                100.0 * need
            )));
            continue;
        }
        let (days, n_days) = match freq {
            Freq::Daily => (vec![(mean, 1.0)], 1.0),
            Freq::Hourly => (vec![(mean, 1.0)], 1.0 / 24.0),
            Freq::Billing => {
                let mut days = Vec::new();
                let mut s = p.start;
                while s < p.end {
                    let e = (s + DAY).min(p.end);
                    let (m, cov) = temp.mean_in(s, e);
                    if cov >= 0.5 {
                        days.push((m, (e - s) as f64 / DAY as f64));
                    }
                    s = e;
                }
                (days, p.days())
            }
        };
        if days.is_empty() {
            masked.push(mask("no day with temperature coverage ≥ 50 %".into()));
            continue;
        }
        ok.push(Prepared {
            period: *p,
            temp: mean,
            days,
            n_days,
        });
    }
    (ok, masked)
}

/// The CalTRACK data sufficiency of a baseline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sufficiency {
    pub span_days: f64,
    /// Days covered by usable periods / span.
    pub covered_fraction: f64,
    /// Calendar month (01–12, years merged) → covered fraction of the baseline's days in it.
    pub monthly_coverage: BTreeMap<String, f64>,
    pub disqualifications: Vec<String>,
    pub warnings: Vec<String>,
}

impl Sufficiency {
    pub fn qualified(&self) -> bool {
        self.disqualifications.is_empty()
    }
}

/// Sufficiency of the usable periods `ok` over the baseline [start, end).
pub fn sufficiency(
    ok: &[Prepared],
    start: i64,
    end: i64,
    offsets: (i32, i32),
    freq: Freq,
) -> Sufficiency {
    let (offset, end_offset) = offsets;
    let span_days = (end - start) as f64 / DAY as f64;
    // (+ 0.0: the sum of no periods is −0.0, printed "-0.0 %")
    let covered: f64 = ok.iter().map(|p| p.period.days()).sum::<f64>() + 0.0;
    let covered_fraction = if span_days > 0.0 {
        covered / span_days
    } else {
        0.0
    };
    // days of each local month inside the baseline, and the covered days in it
    let mut month_total: BTreeMap<u32, f64> = BTreeMap::new();
    let mut month_cov: BTreeMap<u32, f64> = BTreeMap::new();
    let mut t = start;
    while t < end {
        let e = (t + 3600).min(end);
        *month_total.entry(local_month(t, offset).1).or_default() += (e - t) as f64 / DAY as f64;
        t = e;
    }
    for p in ok {
        let mut t = p.period.start;
        while t < p.period.end {
            let e = (t + 3600).min(p.period.end);
            *month_cov
                .entry(local_month(t, p.period.offset).1)
                .or_default() += (e - t) as f64 / DAY as f64;
            t = e;
        }
    }
    let mut monthly_coverage = BTreeMap::new();
    let mut disqualifications = Vec::new();
    let mut warnings = Vec::new();
    if span_days < 365.0 - 1e-9 {
        disqualifications.push(format!(
            "the baseline spans {span_days:.1} days; CalTRACK needs 365 ({} to {})",
            rfc3339(start, offset),
            rfc3339(end, end_offset)
        ));
    }
    if covered_fraction < 0.9 {
        disqualifications.push(format!(
            "usable periods cover {:.1} % of the baseline's days; CalTRACK needs 90 %",
            100.0 * covered_fraction
        ));
    }
    for (m, total) in &month_total {
        let frac = month_cov.get(m).copied().unwrap_or(0.0) / total;
        let key = format!("{m:02}");
        match freq {
            Freq::Hourly if frac < 0.9 => disqualifications.push(format!(
                "{key}: usable hours cover {:.1} % of the month's hours in the baseline; CalTRACK hourly needs 90 %",
                100.0 * frac
            )),
            Freq::Daily | Freq::Billing if frac < 0.5 => warnings.push(format!(
                "{key}: usable periods cover {:.1} % of the month's days in the baseline (< 50 %)",
                100.0 * frac
            )),
            _ => {}
        }
        monthly_coverage.insert(key, frac);
    }
    Sufficiency {
        span_days,
        covered_fraction,
        monthly_coverage,
        disqualifications,
        warnings,
    }
}

/// The span of selected periods: the first one's start to the last one's end.
/// Also the offsets of the first and the last period (to write the bounds in).
pub fn window_bounds(periods: &[Period]) -> Option<(i64, i64, i32, i32)> {
    let first = periods.first()?;
    let last = periods.last()?;
    Some((first.start, last.end, first.offset, last.offset))
}

/// `2016-03-14T00:00:00-05:00` of a period's start.
pub fn start_text(p: &Period) -> String {
    Stamp {
        t: p.start,
        offset: p.offset,
    }
    .rfc3339()
}
