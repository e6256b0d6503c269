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
//! - [`zeros`]: runs of zero readings the model expects use on (a gap an export wrote as
//!   0), refused, taken as missing or kept as the user says.
//! - [`sample`]: a generator of synthetic buildings with physically plausible loads (the
//!   project's sample data).
//!
//! The green choice on synthetic buildings (the CalTRACK tasks have their example in
//! [`tasks`]): every family cross-validated with its energy measured, the cheapest model
//! within 5 % of the best MAE picked, and saved:
//!
//! ```
//! use terrawatt_building::load::Hyper;
//! use terrawatt_building::load_tasks::{self, Data, FitSettings};
//! use terrawatt_building::sample;
//! use terrawatt_meter::{Meter, MeterConfig};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("buildings.csv");
//! let columns = sample::buildings(150, 0);
//! let columns: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
//! terrawatt_table::write_csv_atomic(&path, &sample::COLUMNS, &columns)?;
//!
//! let settings = FitSettings {
//!     data: Data {
//!         path: path.clone(),
//!         target: Some("heating_kwh_m2".into()),
//!         features: None, // every numeric column but the target and those excluded
//!         exclude: vec!["cooling_kwh_m2".into()],
//!         drop_missing: false,
//!     },
//!     model: None, // the green choice; Some(ModelKind::Gbm) fits one family
//!     hyper: Hyper::default(),
//!     folds: 3,
//!     tolerance: 0.05,
//!     expected_predictions: 1e6,
//!     importance: false,
//!     memory: None, // Some(bytes): a bound, for boosting on Parquet read by columns
//! };
//! let meter = Meter::detect(&MeterConfig::model_only())?;
//! let mut span = meter.span("fit");
//! let fitted = load_tasks::fit(&settings, &mut span, |_candidate| {})?;
//! let picked = fitted.candidates.iter().find(|c| c.picked).expect("one is picked");
//! assert!(picked.pareto && picked.lifecycle_joules > 0.0);
//! assert_eq!(fitted.target, "heating_kwh_m2");
//! fitted.save(&dir.path().join("model.json"), 0, &path, &mut span)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod baseline;
pub mod caltrack;
pub mod error;
pub mod g14;
pub mod load;
pub mod load_tasks;
pub(crate) mod nullable;
pub mod prepare;
pub mod sample;
pub mod series;
pub mod tasks;
pub mod towt;
pub mod zeros;

/// The seeded random stream of terrawatt-learn.
use terrawatt_learn::rng as load_rng;

pub use error::BuildingError;
