//! terrawatt: AI-for-climate analytics that measures its own footprint.
//!
//! This facade re-exports the workspace's crates, so one dependency gives the whole
//! library:
//! - [`meter`]: energy and carbon accounting for every task (spans, counters, the power
//!   model, grid intensity, reports).
//! - [`table`]: CSV / Parquet tables on polars, time stamps, durations.
//! - [`learn`]: models (linear, trees, forests, boosting), cross-validation, metrics.
//! - [`building`]: load regression with the green model choice; CalTRACK baselines,
//!   ASHRAE Guideline 14 and savings.
//! - [`solar`]: solar position, clear sky, irradiance and PV systems.
//! - [`wind`]: wind profiles, air density, turbines and farms.
//! - [`forecast`]: renewable-output forecasts with quantiles and backtests.
//! - [`raster`]: rasters on GDAL: indices, change, zonal statistics, forest loss,
//!   landscape metrics, accuracy and area.
//! - [`scale`]: planned runs past one machine (manifests, tiles, Slurm, merged energy).
//! - [`plot`]: the charts.
//!
//! [`app`] is the command line itself: the program, and [`app::call`], a command run inside
//! the calling process (the Python package's way in).
//!
//! It also holds [`workload`], the deterministic synthetic workload that the demo, the
//! examples and the meter's benchmarks run.
pub use terrawatt_building as building;
pub use terrawatt_forecast as forecast;
pub use terrawatt_learn as learn;
pub use terrawatt_meter as meter;
pub use terrawatt_plot as plot;
pub use terrawatt_raster as raster;
pub use terrawatt_scale as scale;
pub use terrawatt_solar as solar;
pub use terrawatt_table as table;
pub use terrawatt_wind as wind;

pub mod app;
mod cli;
mod commands;
mod task;
pub mod workload;

pub(crate) use app::{dispatch, parse_named};
