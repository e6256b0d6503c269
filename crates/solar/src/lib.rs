//! terrawatt-solar: solar physics.
//!
//! What it offers:
//! - [`spa`]: NREL's Solar Position Algorithm (Reda & Andreas 2004): topocentric zenith
//!   (with refraction from pressure and temperature) and azimuth, declination, hour angle,
//!   equation of time; the terms that depend only on time are computed once per instant
//!   and shared across sites; instants in parallel.

pub mod spa;
