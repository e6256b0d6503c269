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
//!
//! A backtest of 1-hour-ahead forecasts of the synthetic 15-minute PV series (three days of
//! origins, refitted daily on the 30 days before), through the tasks the command runs:
//!
//! ```
//! use terrawatt_forecast::model::{IntervalMethod, Learner};
//! use terrawatt_forecast::task::{self, BacktestSettings, DataSettings, Prepared, StampLabel};
//! use terrawatt_meter::{Meter, MeterConfig};
//!
//! let dir = std::env::temp_dir().join(format!("terrawatt-forecast-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let data = dir.join("pv.csv");
//! std::fs::write(&data, terrawatt_forecast::sample::pv_power_csv(0))?; // from 2024-03-01
//!
//! let settings = DataSettings {
//!     data,
//!     time_column: "time".into(),
//!     target: "ac_power".into(),
//!     zone: None,
//!     step: 900,
//!     horizon: 4, // 1 h of 15-minute steps
//!     horizon_text: "1h".into(),
//!     window: 30 * 96,
//!     train_window_text: "30d".into(),
//!     label: StampLabel::Start,
//!     weather: None,
//!     weather_time_column: "time".into(),
//!     weather_columns: vec![],
//!     wind_column: None,
//!     site: Some(terrawatt_forecast::sample::SITE), // the clear sky as a feature
//!     wind: None,
//!     capacity: Some(5000.0),
//!     learner: Learner::gbm(0),
//!     method: IntervalMethod::Cqr,
//!     quantiles: vec![0.1, 0.9],
//!     lags: 8,
//!     fix_time: None,
//!     weather_zone: None,
//!     allow_weather_shift: false,
//! };
//! let meter = Meter::detect(&MeterConfig::model_only())?;
//! let mut span = meter.span("backtest");
//! let p = Prepared::load(&settings, &mut span)?;
//! let first = p.series.index_of(1_717_200_000).expect("2024-06-01T00:00Z is in the data");
//! let day = p.inputs.steps_per_day;
//! let backtest = BacktestSettings {
//!     refit: day,
//!     refit_text: "1d".into(),
//!     first,
//!     last: first + 3 * day,
//!     out: None, // Some(path) writes every forecast (CSV)
//! };
//! let report = task::backtest(&p, &backtest, &mut span)?;
//! assert_eq!(report.backtest.pairs.len(), 3 * day * 4); // every origin, every horizon
//! let hour = report.per_horizon.last().expect("a horizon");
//! let persistence = hour.references.iter().find(|r| r.name == "persistence").unwrap();
//! assert!(persistence.skill > 0.0, "{}", persistence.skill);
//! print!("{}", report.text(&p));
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod backtest;
pub mod clock;
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
