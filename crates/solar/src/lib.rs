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
//! - [`pv`]: SAPM, PVsyst and Faiman temperature; PVWatts DC, losses and inverter.

pub mod irradiance;
pub mod pv;
pub mod sample;
pub mod spa;
pub mod system;
pub mod tracking;
pub mod weather;
