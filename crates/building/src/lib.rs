//! terrawatt-building: building energy.
//!
//! What it offers:
//! - [`load`]: regression of heating/cooling load from building features — model
//!   specifications from names and hyper-parameters, and the green model choice: every
//!   candidate (and a distilled student) cross-validated, its training and inference energy
//!   measured by the meter, the Pareto front of accuracy against energy, and the cheapest
//!   model within a tolerance of the best accuracy.
//! - [`g14`]: ASHRAE Guideline 14 goodness-of-fit (CV(RMSE), NMBE with n − p, R², lag-1
//!   autocorrelation of residuals) with the guideline's pass/fail criteria.
//! - [`sample`]: a generator of synthetic buildings with physically plausible loads (the
//!   project's sample data).

pub mod g14;
pub mod load;
pub mod sample;

/// The seeded random stream of terrawatt-learn.
use terrawatt_learn::rng as load_rng;
