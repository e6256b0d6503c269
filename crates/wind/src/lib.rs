//! terrawatt-wind: wind power physics.
//!
//! What it offers today:
//! - [`profile`]: wind speed at hub height (logarithmic profile with obstacle height,
//!   Hellman power law), temperature at hub height (linear gradient), air density
//!   (barometric, ideal gas).
//! - [`turbine`]: power curves from the OpenEnergy-database turbine library CSVs; power
//!   from a curve.
//! - [`chain`]: weather → hub-height conditions → power, hour by hour (windpowerlib's
//!   ModelChain defaults: logarithmic profile, linear temperature gradient, barometric
//!   density, power curve).
//! - [`weather`]: weather tables with a (variable, height) two-row header.

pub mod chain;
pub mod profile;
pub mod turbine;
pub mod weather;
