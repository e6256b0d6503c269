//! terrawatt-wind: wind power physics.
//!
//! What it offers today:
//! - [`profile`]: wind speed at hub height (logarithmic profile with obstacle height,
//!   Hellman power law; linear inter/extrapolation in [`chain`]), temperature at hub height (linear gradient), air density
//!   (barometric, ideal gas).
//! - [`turbine`]: power and power-coefficient curves and rotor diameters from the
//!   OpenEnergy-database turbine library CSVs; power from a curve, with the density
//!   correction, or from cp; Gaussian smoothing of a curve (turbulence intensity,
//!   Staffell–Pfenninger); wind-farm wake losses (constant or an efficiency curve).
//! - [`chain`]: weather → hub-height conditions → power, hour by hour (windpowerlib's
//!   ModelChain defaults: logarithmic profile, linear temperature gradient, barometric
//!   density, power curve).
//! - [`weather`]: weather tables with a (variable, height) two-row header.

pub mod chain;
pub mod profile;
pub mod turbine;
pub mod weather;
