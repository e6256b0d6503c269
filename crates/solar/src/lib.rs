//! terrawatt-solar: solar physics.
//!
//! What it offers:
//! - [`spa`]: NREL's Solar Position Algorithm (Reda & Andreas 2004): topocentric zenith
//!   (with refraction from pressure and temperature) and azimuth, declination, hour angle,
//!   equation of time; the terms that depend only on time are computed once per instant
//!   and shared across sites; instants in parallel.
//! - [`irradiance`]: extraterrestrial irradiance, air mass (seven models), clear sky
//!   (Haurwitz, Ineichen–Perez), Erbs decomposition, angle of incidence, isotropic,
//!   Hay–Davies and Perez (1990) sky diffuse, ground-reflected, plane of array.
//! - [`tracking`]: single-axis trackers with backtracking.
//! - [`weather`]: weather files (TMY3, TMY2, EPW, NSRDB PSM3, PVGIS TMY) with explicit
//!   interval labelling.
//! - [`system`]: weather → plane of array → cell temperature → PVWatts DC and AC, per
//!   interval in parallel; annual energy, specific yield, capacity factor.
//! - [`sample`]: a synthetic weather year (the project's sample data).
//! - [`tasks`]: the solar position, clear-sky and PV simulation tasks (settings → report,
//!   outputs written).
//! - [`clock`]: a series's time stamps checked against the Sun (clear days' centre).
//! - [`pv`]: SAPM, PVsyst and Faiman temperature; PVWatts DC, losses and inverter.
//!
//! A year of a 5 kWp array on the synthetic weather year, through the simulation task (as
//! `terrawatt solar simulate` runs it):
//!
//! ```
//! use terrawatt_meter::{Meter, MeterConfig};
//! use terrawatt_solar::system::System;
//! use terrawatt_solar::tasks::simulate::{self, Settings, WeatherSource};
//! use terrawatt_solar::weather::Label;
//!
//! let dir = std::env::temp_dir().join(format!("terrawatt-solar-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let weather = dir.join("weather.csv");
//! std::fs::write(&weather, terrawatt_solar::sample::pvgis_csv(0))?; // PVGIS TMY, 43.6° N
//!
//! let settings = Settings {
//!     weather: WeatherSource::File(weather), // the format is recognised
//!     year: 2019,
//!     // 5 kWp at 30° facing south, or System::from_toml_file(path)? for a system file
//!     system: System::pvwatts(5.0, 30.0, 180.0)?.into(),
//!     system_path: None,
//!     at: Label::Centre,
//!     delta_t: 69.0,
//!     fill_gaps: None,
//!     allow_partial: false,
//!     allow_clock_shift: false,
//!     allow_open_closure: false,
//!     allow_dim_sky: false,
//!     out: None, // Some(path) writes every interval (CSV)
//! };
//! let meter = Meter::detect(&MeterConfig::model_only())?;
//! let mut span = meter.span("simulate");
//! let report = simulate::run(&settings, &mut span)?;
//! assert!(report.whole); // a whole typical year: its figures are annual
//! let kwh_per_kwp = report.simulation.specific_yield;
//! assert!((1100.0..1600.0).contains(&kwh_per_kwp), "{kwh_per_kwp}");
//! print!("{}", report.text());
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod clock;
pub mod irradiance;
pub mod pv;
pub mod sample;
pub mod spa;
pub mod system;
pub mod tasks;
pub mod tracking;
pub mod weather;

use std::path::PathBuf;

/// Errors of the crate: a setting out of range, a file that cannot be read or used (each
/// names the file, and the key or line where there is one), an output not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolarError {
    /// A setting out of its range; `message` names it (`latitude 95 is outside −90..90°`).
    #[error("{message}")]
    Setting { name: &'static str, message: String },
    /// A file that could not be read.
    #[error("reading {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file whose content cannot be used; `key` is the key or column at fault (empty
    /// where the whole file is).
    #[error("{}: {message}", path.display())]
    File {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error(transparent)]
    Table(#[from] terrawatt_table::TableError),
    /// A file that could not be created or renamed into place.
    #[error("writing {}", path.display())]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing an output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Stopped by an interrupt; no output written.
    #[error("interrupted; no output written")]
    Interrupted,
    /// An output that could not be written.
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: terrawatt_meter::MeterError,
    },
}

impl SolarError {
    pub(crate) fn setting(name: &'static str, message: String) -> SolarError {
        SolarError::Setting { name, message }
    }
}

/// A word that is not one of a closed set's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}': expected {expected}")]
pub struct ParseNameError {
    pub value: String,
    /// The accepted words, as a sentence.
    pub expected: &'static str,
}
