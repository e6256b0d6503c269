//! Forecasting renewable output: a regular target series with gaps kept as gaps
//! ([`series`]), physics for a PV site (clear-sky plane-of-array irradiance, [`physics`]),
//! reference forecasts (persistence, diurnal persistence, clear-sky-index persistence,
//! climatology and the optimal climatology–persistence blend of Yang 2019) and learned
//! direct multi-horizon models with quantiles ([`model`]), and rolling-origin backtests
//! scored per horizon ([`backtest`]); the tasks the command runs ([`task`]).
//!
//! Conventions: instants are Unix seconds; a series' values are indexed on a regular grid;
//! a missing value is NaN and stays NaN (a forecast that needs it is not made, and is
//! counted). Results do not depend on the thread count: every fit is seeded and
//! independent of the others.

pub mod backtest;
pub mod model;
pub mod physics;
pub mod sample;
pub mod series;
pub mod task;

/// Errors of reading data and of settings; each names the file, column or row.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForecastError {
    #[error(transparent)]
    Table(#[from] terrawatt_table::TableError),
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{0}")]
    Setting(String),
    #[error(transparent)]
    Learn(#[from] terrawatt_learn::LearnError),
    /// A file that could not be read.
    #[error("reading {}", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An output that could not be written.
    #[error("writing {}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: terrawatt_meter::MeterError,
    },
}

pub type Result<T, E = ForecastError> = std::result::Result<T, E>;

/// A duration written `15min`, `30s`, `1h`, `4h`, `60d` (also `15m`, `1h30m`), in seconds:
/// the one parser of [`terrawatt_table::time::parse_duration`].
pub fn parse_duration(text: &str) -> Option<i64> {
    terrawatt_table::time::parse_duration(text).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::parse_duration("15min"), Some(900));
        assert_eq!(super::parse_duration("4h"), Some(14_400));
        assert_eq!(super::parse_duration("60d"), Some(5_184_000));
        assert_eq!(super::parse_duration("0h"), None);
        assert_eq!(super::parse_duration("h"), Some(3600));
        assert_eq!(super::parse_duration("3 weeks"), None);
    }
}
