//! terrawatt-building: building energy.
//!
//! What it offers:
//! - [`load`]: regression of heating/cooling load from building features — model
//!   specifications from names and hyper-parameters, and the green model choice: every
//!   candidate (and a distilled student) cross-validated, its training and inference energy
//!   measured by the meter, the Pareto front of accuracy against energy, and the cheapest
//!   model within a tolerance of the best accuracy.
//! - [`load_tasks`]: the load-model tasks (fit, the green choice, cross-validation) from
//!   typed settings, run in a meter span, with the text the command line prints.
//! - [`g14`]: ASHRAE Guideline 14 goodness-of-fit (CV(RMSE), NMBE with n − p, R², lag-1
//!   autocorrelation of residuals) with the guideline's pass/fail criteria.
//! - [`series`]: meter and temperature files with explicit time zones (offsets or a named
//!   zone), checked for order, duplicates and negative usage.
//! - [`prepare`]: periods joined to temperature by instant, masking with reasons, CalTRACK
//!   data sufficiency.
//! - [`caltrack`]: CalTRACK 2.0 daily and billing degree-day models (balance-point grid).
//! - [`towt`]: CalTRACK hourly time-of-week-and-temperature models.
//! - [`baseline`]: baseline model files, Guideline 14 fit, savings with their uncertainty.
//! - [`tasks`]: the metered-use tasks (baseline, savings, portfolio) from typed settings,
//!   run in a meter span, with the text the command line prints.
//! - [`sample`]: a generator of synthetic buildings with physically plausible loads (the
//!   project's sample data).

pub mod baseline;
pub mod caltrack;
pub mod g14;
pub mod load;
pub mod load_tasks;
pub(crate) mod nullable;
pub mod prepare;
pub mod sample;
pub mod series;
pub mod tasks;
pub mod towt;

/// The seeded random stream of terrawatt-learn.
use terrawatt_learn::rng as load_rng;
