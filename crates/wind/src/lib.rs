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

pub mod chain;
pub mod farm;
pub mod generic;
pub mod profile;
pub mod sample;
pub mod turbine;
pub mod weather;
