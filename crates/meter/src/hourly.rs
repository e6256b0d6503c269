//! Carbon that follows the hour: a grid-intensity time series, the intensity over any
//! wall-clock interval, and the start of a run that emits least.
//!
//! Two file layouts are read:
//! - Electricity Maps' CSV export (`Datetime (UTC),Country,Zone name,Zone id,Carbon
//!   intensity gCO₂eq/kWh (direct),Carbon intensity gCO₂eq/kWh (Life cycle),…`, also the
//!   older `… (LCA)` header; names matched case-insensitively): times are UTC, the
//!   life-cycle column is used unless `direct` is asked for.
//! - A plain `datetime,g_per_kwh` table: RFC 3339 times with their offset (`Z` or
//!   `+01:00`); a time without one is refused, as its hour is unknown.
//!
//! Each value holds from its time to the next one's; the last holds for the series' step
//! (the most common interval). An interval longer than the step is a gap: an interval
//! that touches a gap is not covered. Values are average (location-based) intensities as
//! the files give them; the basis is said in the report.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::error::{MeterError, Result};
use crate::tables::split_csv_line;

/// The highest plausible grid intensity, gCO2e/kWh (the most coal-heavy grids are about
/// 1,300; a file above this is in another unit, e.g. lb/MWh or g/MWh).
pub const MAX_PLAUSIBLE_G_PER_KWH: f64 = 2_000.0;

/// Below this, gCO2e/kWh is no grid's average (the cleanest, hydro and nuclear, are about
/// 10): a value above 0 and below it is in another unit, e.g. kgCO2e/kWh.
pub const MIN_PLAUSIBLE_G_PER_KWH: f64 = 2.0;

/// An intensity series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntensitySeries {
    pub path: PathBuf,
    /// `electricity_maps` or `plain`.
    pub layout: String,
    /// The column read.
    pub column: String,
    /// `average` (location-based, as Electricity Maps' and most grid operators' series)
    /// or `marginal` (as WattTime's), as the user declares it.
    pub basis: String,
    /// Start of each value, Unix seconds (UTC), ascending.
    #[serde(skip)]
    pub starts: Vec<i64>,
    #[serde(skip)]
    pub values: Vec<f64>,
    /// The usual interval, s.
    pub step_s: i64,
    /// First covered instant and the end of the last value, Unix seconds.
    pub first_s: i64,
    pub end_s: i64,
    /// Intervals longer than the step (start, end), Unix seconds.
    pub gaps: Vec<(i64, i64)>,
}

fn parse_time(text: &str, utc: bool) -> std::result::Result<i64, String> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.timestamp());
    }
    if let Ok(d) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%:z") {
        return Ok(d.timestamp());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            if utc {
                return Ok(n.and_utc().timestamp());
            }
            return Err(format!(
                "'{t}' has no UTC offset, so its hour is unknown: write it as {}Z or with its offset (+01:00)",
                n.format("%Y-%m-%dT%H:%M:%S")
            ));
        }
    }
    Err(format!(
        "'{t}' is not a date and time (RFC 3339, e.g. 2026-03-01T14:00:00Z)"
    ))
}

impl IntensitySeries {
    /// What its step is, as the energy line names it: `hourly` (or finer: 5 to 60
    /// minutes), else the step itself (`daily`, `monthly`, `yearly`, or `3 h`): a yearly
    /// mean is no hour-by-hour accounting.
    pub fn step_name(&self) -> String {
        let s = self.step_s;
        match s {
            ..=3_600 => "hourly".into(),
            86_400 => "daily".into(),
            2_419_200..=2_678_400 => "monthly".into(),
            31_536_000..=31_622_400 => "yearly".into(),
            _ if s % 3_600 == 0 && s < 86_400 => format!("{}-hourly", s / 3_600),
            _ if s % 86_400 == 0 => format!("{}-day", s / 86_400),
            _ => format!("{s} s step"),
        }
    }
}

impl IntensitySeries {
    /// Reads a series; `direct` picks Electricity Maps' direct column over life cycle.
    pub fn load(path: &Path, direct: bool) -> Result<IntensitySeries> {
        let text = std::fs::read_to_string(path).map_err(|e| MeterError::io(path, e))?;
        let bad = |msg: String| MeterError::parse(path, msg);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}')))
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines
            .next()
            .ok_or_else(|| bad("the file is empty".into()))?;
        let names: Vec<String> = split_csv_line(header)
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let find = |pred: &dyn Fn(&str) -> bool| names.iter().position(|n| pred(n));
        let (layout, time_col, value_col, utc) = if let Some(t) = find(&|n| n == "datetime (utc)") {
            let v = if direct {
                find(&|n| n.starts_with("carbon intensity") && n.contains("(direct)"))
            } else {
                find(&|n| {
                    n.starts_with("carbon intensity")
                        && (n.contains("(life cycle)") || n.contains("(lca)"))
                })
            };
            let v = v.ok_or_else(|| {
                bad(format!(
                    "an Electricity Maps file without a 'Carbon intensity gCO₂eq/kWh ({})' column",
                    if direct { "direct" } else { "Life cycle" }
                ))
            })?;
            ("electricity_maps", t, v, true)
        } else {
            let t = find(&|n| n == "datetime" || n == "time" || n == "timestamp").ok_or_else(|| {
                bad(format!(
                    "no time column: the header is '{header}'; expected Electricity Maps' export or 'datetime,g_per_kwh'"
                ))
            })?;
            let v = find(&|n| n == "g_per_kwh" || n == "gco2e_per_kwh" || n == "gco2_per_kwh")
                .ok_or_else(|| {
                    let other = names.iter().find(|n| {
                        n.contains("kg") || n.contains("lb") || n.contains("mwh") || n.contains("per_mj")
                    });
                    bad(match other {
                        Some(o) => format!(
                            "column '{o}' is not in gCO2e/kWh: convert it and name the column g_per_kwh"
                        ),
                        None => format!(
                            "no g_per_kwh column: the header is '{header}' (the plain layout is datetime,g_per_kwh)"
                        ),
                    })
                })?;
            ("plain", t, v, false)
        };
        let mut rows: Vec<(i64, f64)> = Vec::new();
        for (line_no, line) in lines {
            let f = split_csv_line(line);
            let cell = |i: usize| f.get(i).map(|s| s.trim()).unwrap_or("");
            let at =
                parse_time(cell(time_col), utc).map_err(|e| bad(format!("line {line_no}: {e}")))?;
            let raw = cell(value_col);
            let v: f64 = raw.parse().map_err(|_| {
                bad(format!(
                    "line {line_no}: '{raw}' in column '{}' is not a number",
                    names[value_col]
                ))
            })?;
            if !v.is_finite() || v < 0.0 {
                return Err(bad(format!(
                    "line {line_no}: intensity {raw} is not a finite number ≥ 0"
                )));
            }
            if v > MAX_PLAUSIBLE_G_PER_KWH {
                return Err(bad(format!(
                    "line {line_no}: {v} gCO2e/kWh is above any grid's ({MAX_PLAUSIBLE_G_PER_KWH}): is the file in another unit (g/MWh, lb/MWh)?"
                )));
            }
            if let Some(&(prev, _)) = rows.last()
                && at <= prev
            {
                return Err(bad(format!(
                    "line {line_no}: time {} is not after the previous row's: rows must be in time order without repeats",
                    cell(time_col)
                )));
            }
            rows.push((at, v));
        }
        if rows.len() < 2 {
            return Err(bad(format!(
                "{} value(s): a series needs at least two",
                rows.len()
            )));
        }
        let largest = rows.iter().map(|r| r.1).fold(0.0, f64::max);
        if largest > 0.0 && largest < MIN_PLAUSIBLE_G_PER_KWH {
            return Err(bad(format!(
                "every value is below {MIN_PLAUSIBLE_G_PER_KWH} gCO2e/kWh (the largest {largest:.4}), which no grid is: is the file in kgCO2e/kWh (× 1000)?"
            )));
        }
        // the step: the most common interval
        let mut counts: std::collections::BTreeMap<i64, usize> = Default::default();
        for w in rows.windows(2) {
            *counts.entry(w[1].0 - w[0].0).or_default() += 1;
        }
        let step_s = counts
            .iter()
            .max_by_key(|(d, n)| (**n, std::cmp::Reverse(**d)))
            .map(|(d, _)| *d)
            .unwrap_or(3600);
        let gaps = rows
            .windows(2)
            .filter(|w| w[1].0 - w[0].0 > step_s)
            .map(|w| (w[0].0 + step_s, w[1].0))
            .collect();
        let (starts, values): (Vec<i64>, Vec<f64>) = rows.into_iter().unzip();
        Ok(IntensitySeries {
            path: path.to_path_buf(),
            layout: layout.to_string(),
            column: names[value_col].clone(),
            basis: "average".to_string(),
            first_s: starts[0],
            end_s: starts[starts.len() - 1] + step_s,
            starts,
            values,
            step_s,
            gaps,
        })
    }

    /// The value holding at instant `t` and the end of its interval, where covered.
    fn at(&self, t: i64) -> Option<(f64, i64)> {
        if t < self.first_s || t >= self.end_s {
            return None;
        }
        let i = self.starts.partition_point(|&s| s <= t) - 1;
        let end = self
            .starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.end_s)
            .min(self.starts[i] + self.step_s);
        (t < end).then_some((self.values[i], end))
    }

    /// The time-weighted mean intensity over `[from, to)` (Unix seconds, fractional), or
    /// the first uncovered instant.
    pub fn mean(&self, from: f64, to: f64) -> std::result::Result<f64, f64> {
        if to <= from {
            return self.at(from.floor() as i64).map(|(v, _)| v).ok_or(from);
        }
        let mut t = from;
        let mut acc = 0.0;
        while t < to {
            let (v, end) = self.at(t.floor() as i64).ok_or(t)?;
            let next = (end as f64).min(to);
            acc += v * (next - t);
            t = next;
        }
        Ok(acc / (to - from))
    }

    /// Whether `[from, to)` is covered.
    pub fn covers(&self, from: f64, to: f64) -> bool {
        self.mean(from, to).is_ok()
    }

    /// A readable UTC time.
    pub fn time_text(t: f64) -> String {
        DateTime::from_timestamp(t.floor() as i64, 0)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| format!("{t} s"))
    }
}

/// The emissions of running for `duration_s` at each candidate start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartChoice {
    pub start: String,
    pub start_s: f64,
    pub mean_g_per_kwh: f64,
    /// Emissions for the given energy, g (None where no energy was given).
    pub grams: Option<f64>,
}

/// The starts of a run weighed over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Starts {
    pub best: StartChoice,
    /// The window's first start.
    pub first: StartChoice,
    pub worst: StartChoice,
    /// Starts weighed.
    pub considered: usize,
    /// Starts in the window the series does not cover for the whole run (a hole in it, or
    /// its end), and the first of them (s since 1970).
    pub skipped: usize,
    pub first_skipped: Option<f64>,
}

/// The best, first and worst starts in `[earliest, latest_start]`, on the series' step
/// (plus `earliest` itself), and the starts passed over for want of values. Errs with the
/// first uncovered instant where the window's first start is not covered for the whole
/// duration.
pub fn choose_start(
    series: &IntensitySeries,
    earliest: f64,
    latest_start: f64,
    duration_s: f64,
    kwh: Option<f64>,
) -> std::result::Result<Starts, f64> {
    let choice = |s: f64| -> std::result::Result<StartChoice, f64> {
        let m = series.mean(s, s + duration_s)?;
        Ok(StartChoice {
            start: IntensitySeries::time_text(s),
            start_s: s,
            mean_g_per_kwh: m,
            grams: kwh.map(|k| k * m),
        })
    };
    let first = choice(earliest)?;
    let mut candidates = vec![first.clone()];
    let step = series.step_s as f64;
    let mut s = (earliest / step).ceil() * step;
    if s == earliest {
        s += step;
    }
    let (mut skipped, mut first_skipped) = (0, None);
    while s <= latest_start {
        match choice(s) {
            Ok(c) => candidates.push(c),
            Err(_) => {
                skipped += 1;
                first_skipped.get_or_insert(s);
            }
        }
        s += step;
    }
    let n = candidates.len();
    let best = candidates
        .iter()
        .min_by(|a, b| a.mean_g_per_kwh.total_cmp(&b.mean_g_per_kwh))
        .cloned()
        .unwrap_or_else(|| first.clone());
    let worst = candidates
        .iter()
        .max_by(|a, b| a.mean_g_per_kwh.total_cmp(&b.mean_g_per_kwh))
        .cloned()
        .unwrap_or_else(|| first.clone());
    Ok(Starts {
        best,
        first,
        worst,
        considered: n,
        skipped,
        first_skipped,
    })
}

/// A synthetic hourly intensity of a grid with solar and wind (for the sample data and
/// examples; not a real grid): 320 g/kWh, a midday solar dip of up to 170 g/kWh
/// (half-sine from 07:00 to 19:00 UTC), an evening peak of 90 g/kWh around 19:00, and a
/// wind regime (AR(1) day to day, φ = 0.7, σ = 60 g/kWh, plus ±15 g/kWh hour to hour), all
/// from a splitmix64 stream seeded with `seed`; clamped to 40–900 g/kWh, rounded to 0.1.
pub fn sample_series(seed: u64, start_unix_s: i64, hours: usize) -> Vec<(i64, f64)> {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    // a standard normal from two uniforms (Box–Muller)
    let mut normal = move || {
        let (u, v) = (next().max(1e-300), next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let mut wind = 0.0;
    (0..hours)
        .map(|h| {
            let t = start_unix_s + 3600 * h as i64;
            let hour = ((t.rem_euclid(86_400)) / 3600) as f64 + 0.5;
            if h % 24 == 0 {
                wind = 0.7 * wind + 60.0 * (1.0f64 - 0.49).sqrt() * normal();
            }
            let solar = if (7.0..19.0).contains(&hour) {
                170.0 * (std::f64::consts::PI * (hour - 7.0) / 12.0).sin()
            } else {
                0.0
            };
            let evening = 90.0 * (-((hour - 19.0) / 1.5).powi(2)).exp();
            let g = 320.0 - solar + evening + wind + 15.0 * normal();
            (t, (g.clamp(40.0, 900.0) * 10.0).round() / 10.0)
        })
        .collect()
}

/// Start times for `waves` runs of `duration_s` each, none overlapping another, all
/// within `[earliest, latest_start]`, cleanest first (greedy: the cleanest window, then the
/// cleanest that does not overlap it, …; candidates every series step, or every wave
/// length where that is shorter); returned in time order. Errs with how many fit.
pub fn schedule_waves(
    series: &IntensitySeries,
    earliest: f64,
    latest_start: f64,
    duration_s: f64,
    waves: usize,
) -> std::result::Result<Vec<StartChoice>, usize> {
    // candidates on the series' step, or on the wave's length (at least a minute) where
    // waves are shorter, so short waves pack into the cleanest hour
    let step = (series.step_s as f64).min(duration_s.max(60.0));
    let mut candidates = Vec::new();
    let mut s = earliest;
    while s <= latest_start {
        if let Ok(m) = series.mean(s, s + duration_s) {
            candidates.push(StartChoice {
                start: IntensitySeries::time_text(s),
                start_s: s,
                mean_g_per_kwh: m,
                grams: None,
            });
        }
        s = if s == earliest {
            ((earliest / step).floor() + 1.0) * step
        } else {
            s + step
        };
    }
    candidates.sort_by(|a, b| {
        a.mean_g_per_kwh
            .total_cmp(&b.mean_g_per_kwh)
            .then(a.start_s.total_cmp(&b.start_s))
    });
    let mut chosen: Vec<StartChoice> = Vec::new();
    for c in candidates {
        if chosen.len() == waves {
            break;
        }
        if chosen
            .iter()
            .all(|o| (o.start_s - c.start_s).abs() >= duration_s)
        {
            chosen.push(c);
        }
    }
    if chosen.len() < waves {
        return Err(chosen.len());
    }
    chosen.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn plain_series_means_over_intervals() {
        let (_d, p) = write(
            "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n2026-01-01T01:00:00Z,300\n2026-01-01T02:00:00+01:00,999\n",
        );
        // the third row is 01:00Z again: refused as out of order
        assert!(IntensitySeries::load(&p, false).is_err());
        let (_d, p) = write(
            "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n2026-01-01T01:00:00Z,300\n2026-01-01T03:00:00+01:00,200\n",
        );
        let s = IntensitySeries::load(&p, false).unwrap();
        assert_eq!(s.step_s, 3600);
        let t0 = 1_767_225_600.0; // 2026-01-01T00:00:00Z
        // 30 min at 100 then 30 min at 300
        assert_eq!(s.mean(t0 + 1800.0, t0 + 5400.0), Ok(200.0));
        assert_eq!(s.mean(t0, t0 + 3600.0), Ok(100.0));
        // 02:00Z–03:00Z is the last value; beyond it nothing is covered
        assert_eq!(s.mean(t0 + 7200.0, t0 + 10800.0), Ok(200.0));
        assert!(s.mean(t0 + 7200.0, t0 + 10801.0).is_err());
        assert!(s.mean(t0 - 1.0, t0 + 10.0).is_err());
    }

    #[test]
    fn gaps_are_not_covered() {
        let (_d, p) = write(
            "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n2026-01-01T01:00:00Z,100\n2026-01-01T02:00:00Z,100\n2026-01-01T05:00:00Z,100\n2026-01-01T06:00:00Z,100\n",
        );
        let s = IntensitySeries::load(&p, false).unwrap();
        assert_eq!(s.gaps.len(), 1);
        let t0 = 1_767_225_600.0;
        assert!(s.covers(t0, t0 + 3.0 * 3600.0));
        assert_eq!(s.mean(t0, t0 + 4.0 * 3600.0), Err(t0 + 3.0 * 3600.0));
    }

    #[test]
    fn bad_files_are_refused_with_the_line() {
        let cases = [
            (
                "datetime,g_per_kwh\n2026-01-01 00:00:00,100\n2026-01-01 01:00:00,100\n",
                "no UTC offset",
            ),
            (
                "datetime,kg_per_kwh\n2026-01-01T00:00:00Z,0.1\n",
                "not in gCO2e/kWh",
            ),
            (
                "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n2026-01-01T01:00:00Z,450000\n",
                "another unit",
            ),
            (
                "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n2026-01-01T01:00:00Z,-3\n",
                "line 3",
            ),
            (
                "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n2026-01-01T01:00:00Z,inf\n",
                "line 3",
            ),
            (
                "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n",
                "at least two",
            ),
        ];
        for (text, want) in cases {
            let (_d, p) = write(text);
            let e = IntensitySeries::load(&p, false).unwrap_err().to_string();
            assert!(e.contains(want) && e.contains("i.csv"), "{want}: {e}");
        }
    }

    #[test]
    fn electricity_maps_layout() {
        let (_d, p) = write(
            "Datetime (UTC),Country,Zone name,Zone id,Carbon intensity gCO₂eq/kWh (direct),Carbon intensity gCO₂eq/kWh (Life cycle),Carbon-free energy percentage (CFE%),Renewable energy percentage (RE%),Data source,Data estimated,Data estimation method\n\
2021-01-01 00:00:00,Sweden,Sweden,SE,2.54,30.02,99.42,60.13,svk.se,true,ESTIMATED_FORECASTS_HIERARCHY\n\
2021-01-01 01:00:00,Sweden,Sweden,SE,2.6,30.32,99.4,59.52,svk.se,true,ESTIMATED_FORECASTS_HIERARCHY\n",
        );
        let s = IntensitySeries::load(&p, false).unwrap();
        assert_eq!(s.layout, "electricity_maps");
        assert_eq!(s.values, vec![30.02, 30.32]);
        let d = IntensitySeries::load(&p, true).unwrap();
        assert_eq!(d.values, vec![2.54, 2.6]);
    }

    #[test]
    fn the_best_start_is_the_cleanest_window() {
        // 100, 400, 50, 50, 300: a 2 h run is cleanest from 02:00 (50, 50)
        let (_d, p) = write(
            "datetime,g_per_kwh\n2026-01-01T00:00:00Z,100\n2026-01-01T01:00:00Z,400\n2026-01-01T02:00:00Z,50\n2026-01-01T03:00:00Z,50\n2026-01-01T04:00:00Z,300\n",
        );
        let s = IntensitySeries::load(&p, false).unwrap();
        let t0 = 1_767_225_600.0;
        let Starts {
            best,
            first,
            worst,
            considered,
            skipped,
            ..
        } = choose_start(&s, t0, t0 + 3.0 * 3600.0, 7200.0, Some(2.0)).unwrap();
        assert_eq!((considered, skipped), (4, 0));
        // a window past the series' end: the starts whose run it does not cover are counted
        let past = choose_start(&s, t0, t0 + 6.0 * 3600.0, 7200.0, None).unwrap();
        assert_eq!((past.considered, past.skipped), (4, 3));
        assert_eq!(past.first_skipped, Some(t0 + 4.0 * 3600.0));
        assert_eq!(best.start, "2026-01-01T02:00:00Z");
        assert_eq!(best.mean_g_per_kwh, 50.0);
        assert_eq!(best.grams, Some(100.0));
        assert_eq!(first.mean_g_per_kwh, 250.0);
        assert_eq!(worst.mean_g_per_kwh, 250.0);
        // a window whose first start is not covered fails
        assert!(choose_start(&s, t0 - 3600.0, t0, 7200.0, None).is_err());
        // two 1 h waves: the two 50 g hours; three: and the 100 g hour
        let w = schedule_waves(&s, t0, t0 + 4.0 * 3600.0, 3600.0, 2).unwrap();
        let starts: Vec<&str> = w.iter().map(|c| c.start.as_str()).collect();
        assert_eq!(starts, ["2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"]);
        let w = schedule_waves(&s, t0, t0 + 4.0 * 3600.0, 3600.0, 3).unwrap();
        assert_eq!(w[0].start, "2026-01-01T00:00:00Z");
        // five 1 h waves fit in the five hours; six do not
        assert_eq!(schedule_waves(&s, t0, t0 + 4.0 * 3600.0, 3600.0, 6), Err(5));
    }
}
