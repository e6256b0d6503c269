//! terrawatt-wind: wind power physics.
//!
//! What it offers today:
//! - [`profile`]: wind speed at hub height (logarithmic profile with obstacle height,
//!   Hellman power law; linear inter/extrapolation in [`chain`]), temperature at hub height (linear gradient), air density
//!   (barometric, ideal gas).
//! - [`turbine`]: power and power-coefficient curves, rotor diameters and nominal powers from the
//!   OpenEnergy-database turbine library CSVs; power from a curve, with the density
//!   correction, or from cp; Gaussian smoothing of a curve (turbulence intensity,
//!   Staffell–Pfenninger); wind-farm wake losses (constant or an efficiency curve).
//! - [`chain`]: weather → hub-height conditions → power, hour by hour (windpowerlib's
//!   ModelChain defaults: logarithmic profile, linear temperature gradient, barometric
//!   density, power curve).
//! - [`generic`]: a power curve generated from rated power, rotor diameter and cut-in,
//!   rated and cut-out speeds (constant power coefficient, a knee into the rated power).
//! - [`farm`]: wind farms — fleets aggregated into one power curve at the mean hub height,
//!   wake losses (power efficiency, dena/Knorr wind efficiency curves), smoothing of the
//!   turbine or farm curves (windpowerlib's TurbineClusterModelChain).
//! - [`weather`]: weather tables with a (variable, height) two-row header.
//! - [`simulate`]: the simulation tasks (a turbine, a farm): weather read, simulated, the
//!   year's totals and summary, the hourly series written.
//!
//! A generic 3.6 MW turbine at 100 m on the synthetic weather year, through the turbine
//! task (a farm runs the same way: [`farm::FarmPlan::from_toml_file`] and
//! [`simulate::run_farm`]):
//!
//! ```
//! use terrawatt_meter::{Meter, MeterConfig};
//! use terrawatt_wind::chain::ChainSettings;
//! use terrawatt_wind::generic::GenericTurbine;
//! use terrawatt_wind::simulate::{self, Settings};
//! use terrawatt_wind::turbine::TurbineCurve;
//!
//! let dir = std::env::temp_dir().join(format!("terrawatt-wind-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let weather = dir.join("weather.csv");
//! std::fs::write(&weather, terrawatt_wind::sample::weather_csv(0))?; // wind at 10 and 80 m
//!
//! let turbine = TurbineCurve::generic(GenericTurbine {
//!     rated_power: 3.6e6, // W
//!     rotor_diameter: 120.0,
//!     cut_in: 3.0,
//!     rated_speed: 12.0,
//!     cut_out: 25.0,
//!     cp_max: None,
//! })?;
//! let settings = Settings {
//!     weather,
//!     speed_unit: None, // m/s, checked; Some(SpeedUnit::KilometresPerHour) converts
//!     turbine,
//!     chain: ChainSettings::new(100.0), // windpowerlib's ModelChain defaults
//!     density_correction: false,
//!     out: None, // Some(path) writes the hourly series (CSV)
//! };
//! let meter = Meter::detect(&MeterConfig::model_only())?;
//! let mut span = meter.span("simulate");
//! let report = simulate::run(&settings, &mut span)?;
//! assert!(report.totals.full_year());
//! let cf = report.totals.capacity_factor;
//! assert!((0.15..0.6).contains(&cf), "{cf}");
//! print!("{}", report.text());
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod chain;
pub mod farm;
pub mod generic;
pub mod profile;
pub mod sample;
pub mod simulate;
pub mod turbine;
pub mod weather;

use std::path::PathBuf;

/// Errors of the crate: a file that cannot be read or used (each names the file, and the
/// key, line or column where there is one), a farm that cannot be simulated, an output not
/// written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WindError {
    /// A weather table or turbine library that could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A weather table, turbine library or curve whose content cannot be used.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// A farm file that could not be read.
    #[error("reading {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A farm file that is not TOML, or not the farm file's keys.
    #[error("{}: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    /// A farm file's value at `key` (e.g. `fleet 2.nominal_kw`, `wake.model`) that cannot
    /// be used; `message` says what to give instead.
    #[error("{}: {message}", path.display())]
    Key {
        path: PathBuf,
        key: String,
        message: String,
    },
    /// A farm without fleets.
    #[error("the farm has no fleet")]
    EmptyFarm,
    /// A fleet's bad value, named by fleet number (1-based) and field.
    #[error("fleet {fleet} ({name}): {field}: {message}")]
    Fleet {
        fleet: usize,
        name: String,
        field: &'static str,
        message: String,
    },
    /// A farm setting that cannot be used.
    #[error("{field}: {message}")]
    Setting {
        field: &'static str,
        message: String,
    },
    /// A farm that cannot be simulated, with the farm file it came from.
    #[error("{}: {source}", path.display())]
    Farm {
        path: PathBuf,
        #[source]
        source: Box<WindError>,
    },
    /// An output that could not be written.
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: terrawatt_meter::MeterError,
    },
}
