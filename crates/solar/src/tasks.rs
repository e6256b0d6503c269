//! The solar tasks: typed settings → a typed report, with the meter's span passed in and
//! the outputs written by the task.
//!
//! - [`position`]: solar positions over a time range, to CSV or Parquet (phase
//!   `compute and write`).
//! - [`clearsky`]: clear-sky irradiance over a time range (phases `compute`, `write`).
//! - [`simulate`]: a PV system over a weather file or table (phases `read`, `simulate`,
//!   `write`).

use chrono::{DateTime, Offset as _};
use chrono_tz::Tz;

pub mod clearsky;
pub mod position;
pub mod simulate;

/// Regular instants: `n` from `start` every `step` seconds, labelled in a zone's clock (or
/// at a fixed UTC offset).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Instants {
    /// Unix seconds.
    pub start: i64,
    pub step: i64,
    pub n: i64,
    /// The zone the labels are written in; `offset` (s east) where there is none.
    pub zone: Option<Tz>,
    pub offset: i32,
}

impl Instants {
    /// The `i`-th instant, Unix seconds.
    pub fn at(&self, i: i64) -> i64 {
        self.start + i * self.step
    }

    /// The label of the `i`-th instant.
    pub fn label(&self, i: i64) -> String {
        label(self.at(i), self.zone, self.offset)
    }

    /// Years the range spans.
    pub fn years(&self) -> f64 {
        (self.n * self.step) as f64 / (365.25 * 86_400.0)
    }
}

/// The time label of an instant in the output's clock (`2019-06-21T12:00:00+02:00`).
pub fn label(t: i64, zone: Option<Tz>, offset: i32) -> String {
    let utc = DateTime::from_timestamp(t, 0).expect("in range");
    let off = match zone {
        Some(z) => utc.with_timezone(&z).offset().fix(),
        None => chrono::FixedOffset::east_opt(offset).expect("valid offset"),
    };
    utc.with_timezone(&off)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A value for a CSV cell: empty where missing.
pub(crate) fn cell(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        x.to_string()
    }
}
