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

pub mod chain;
pub mod farm;
pub mod generic;
pub mod profile;
pub mod sample;
pub mod simulate;
pub mod turbine;
pub mod weather;

use std::path::PathBuf;

/// Errors of the crate's tasks: each names the file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WindError {
    #[error(transparent)]
    Weather(#[from] weather::WeatherError),
    #[error(transparent)]
    Turbine(#[from] turbine::TurbineError),
    #[error(transparent)]
    Chain(#[from] chain::ChainError),
    #[error(transparent)]
    FarmFile(#[from] farm::FarmFileError),
    /// A farm that cannot be simulated, with the farm file it came from.
    #[error("{}: {source}", path.display())]
    Farm {
        path: PathBuf,
        #[source]
        source: farm::FarmError,
    },
    /// An output that could not be written.
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: terrawatt_meter::MeterError,
    },
}
