//! When to run: the start with the least carbon for a run of a given length, over an
//! hourly intensity series ([`hourly::IntensitySeries`]), from now (or a given time) to
//! the latest start that ends within a window and before a deadline.
//!
//! ```no_run
//! use terrawatt_meter::when::{When, when};
//! let choice = when(&When {
//!     intensity: "grid-intensity-hourly.csv".into(),
//!     direct: false,
//!     duration_s: 3.0 * 3600.0,
//!     from: Some(1_780_000_000.0),
//!     within_s: 86_400.0,
//!     deadline: None,
//!     joules: Some(2.0e6),
//! })?;
//! print!("{}", choice.text("3h"));
//! # Ok::<(), terrawatt_meter::MeterError>(())
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::hourly::{self, IntensitySeries, StartChoice};
use crate::{MeterError, Result, units};

/// A run to place in time.
#[derive(Debug, Clone)]
pub struct When {
    /// The hourly intensity series (see [`IntensitySeries::load`]).
    pub intensity: PathBuf,
    /// The series' direct (operational) column rather than its life-cycle one.
    pub direct: bool,
    /// The run's length, s.
    pub duration_s: f64,
    /// The earliest start, s since 1970 (now without).
    pub from: Option<f64>,
    /// The run ends within this many seconds of the earliest start.
    pub within_s: f64,
    /// The run ends by this time, s since 1970.
    pub deadline: Option<f64>,
    /// The run's energy, J, for grams as well as intensities.
    pub joules: Option<f64>,
}

/// The series and the window of starts for a run.
#[derive(Debug)]
pub struct Window {
    pub series: IntensitySeries,
    /// The earliest start, s since 1970.
    pub from: f64,
    /// The latest start, s since 1970.
    pub latest_start: f64,
}

/// Now, s since 1970.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn schedule(message: String) -> MeterError {
    MeterError::Schedule(message)
}

impl When {
    /// Loads the series and finds the window of starts: from the earliest start to the
    /// latest that ends within `within_s` and before the deadline.
    pub fn window(&self) -> Result<Window> {
        let series = IntensitySeries::load(&self.intensity, self.direct)?;
        let from = self.from.unwrap_or_else(now);
        let mut latest = from + self.within_s - self.duration_s;
        if let Some(d) = self.deadline {
            latest = latest.min(d - self.duration_s);
        }
        if latest < from {
            return Err(schedule(format!(
                "a {} run cannot end within the window (--within / --deadline) from {}",
                units::seconds(self.duration_s),
                IntensitySeries::time_text(from)
            )));
        }
        Ok(Window {
            series,
            from,
            latest_start: latest,
        })
    }
}

/// The best, the first and the worst start of a run.
#[derive(Debug, Serialize)]
pub struct WhenChoice {
    pub series: IntensitySeries,
    pub duration_s: f64,
    pub joules: Option<f64>,
    /// Starts considered.
    pub candidates: usize,
    /// Starts in the window passed over: the series does not cover their whole run (a
    /// hole in it, or its end), and the first of them.
    pub skipped: usize,
    pub first_skipped: Option<String>,
    pub best: StartChoice,
    /// The earliest start (now, or `from`).
    pub first: StartChoice,
    pub worst: StartChoice,
    /// The share of the first start's carbon the best start saves.
    pub saving_share: f64,
    #[serde(skip)]
    from: f64,
    #[serde(skip)]
    latest_start: f64,
    #[serde(skip)]
    from_given: bool,
    #[serde(skip)]
    intensity: PathBuf,
}

/// Finds the start of the least carbon for the run.
pub fn when(w: &When) -> Result<WhenChoice> {
    let Window {
        series,
        from,
        latest_start,
    } = w.window()?;
    let kwh = w.joules.map(|j| j / 3.6e6);
    let starts =
        hourly::choose_start(&series, from, latest_start, w.duration_s, kwh).map_err(|t| {
            schedule(format!(
                "{}: the series covers {} to {} and not {} (a run starting {}{}); give --from inside it",
                w.intensity.display(),
                IntensitySeries::time_text(series.first_s as f64),
                IntensitySeries::time_text(series.end_s as f64),
                IntensitySeries::time_text(t),
                IntensitySeries::time_text(from),
                if w.from.is_none() { " (now)" } else { "" }
            ))
        })?;
    let hourly::Starts {
        best,
        first,
        worst,
        considered,
        skipped,
        first_skipped,
    } = starts;
    let saving_share = 1.0 - best.mean_g_per_kwh / first.mean_g_per_kwh.max(1e-12);
    Ok(WhenChoice {
        series,
        duration_s: w.duration_s,
        joules: w.joules,
        candidates: considered,
        skipped,
        first_skipped: first_skipped.map(IntensitySeries::time_text),
        best,
        first,
        worst,
        saving_share,
        from,
        latest_start,
        from_given: w.from.is_some(),
        intensity: w.intensity.clone(),
    })
}

impl WhenChoice {
    /// The text of the choice; `duration` is the run's length as the user wrote it.
    pub fn text(&self, duration: &str) -> String {
        let g = |c: &StartChoice| match c.grams {
            Some(g) => format!("{} ({:.1} g/kWh)", units::grams_co2e(g), c.mean_g_per_kwh),
            None => format!("{:.1} gCO2e/kWh", c.mean_g_per_kwh),
        };
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{} starts considered for a {} run between {} and {} (series {}, {}, step {} s)",
            self.candidates,
            duration,
            IntensitySeries::time_text(self.from),
            IntensitySeries::time_text(self.latest_start),
            self.intensity.display(),
            self.series.column,
            self.series.step_s
        );
        let _ = writeln!(t, "  best start  {}  {}", self.best.start, g(&self.best));
        let _ = writeln!(
            t,
            "  {}  {}  {}",
            if self.from_given {
                "from      "
            } else {
                "now       "
            },
            self.first.start,
            g(&self.first)
        );
        let _ = writeln!(t, "  worst start {}  {}", self.worst.start, g(&self.worst));
        let _ = writeln!(
            t,
            "Starting at {} instead of {} saves {:.0} % of the run's operational carbon{}",
            self.best.start,
            if self.from_given { "--from" } else { "now" },
            self.saving_share * 100.0,
            match (self.best.grams, self.first.grams) {
                (Some(b), Some(f)) => format!(" ({})", units::grams_co2e(f - b)),
                _ => " (give --joules or --energy-from for grams)".into(),
            }
        );
        if let Some(at) = &self.first_skipped {
            let end = IntensitySeries::time_text(self.series.end_s as f64);
            let _ = writeln!(
                t,
                "note: {} start(s) in the window were not weighed, the series having no value for part of their run (the first at {at}; {}): the best start may be among them",
                self.skipped,
                match self.series.gaps.first() {
                    Some((a, b)) => format!(
                        "the series has {} hole(s), the first from {} to {}, and ends {end}",
                        self.series.gaps.len(),
                        IntensitySeries::time_text(*a as f64),
                        IntensitySeries::time_text(*b as f64)
                    ),
                    None => format!("the series ends {end}"),
                }
            );
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if self.from_given && self.from < now - 3600.0 {
            let _ = writeln!(
                t,
                "note: --from {} is in the past: this is the choice in hindsight, on the series' recorded values, not a plan (leave --from out to start from now)",
                IntensitySeries::time_text(self.from)
            );
        }
        t
    }
}
