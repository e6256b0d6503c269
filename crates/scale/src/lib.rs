//! terrawatt-scale: past one machine.
//!
//! The task contract: a manifest row and a task index in; the task's outputs and its energy
//! report out. Nothing here schedules work: Slurm does (a job array of the tasks and a merge
//! job that waits for all of them), and other engines need only a thin adapter that runs
//! `terrawatt run-task` with an index.
//!
//! - [`manifest`]: the tasks of a run (id, label, pixel window and bounding box, inputs,
//!   outputs, the commands each runs) as Parquet or CSV; the run's plan (kind, merge rules,
//!   Slurm settings) as JSON beside it.
//! - [`tiles`]: a raster's grid cut into tiles of whole pixels.
//! - [`slurm`]: the batch scripts, `sbatch` for the array and the dependent merge, the
//!   array index and node a task runs under, compact array specifications.
//! - [`energy`]: task energy reports summed: in total, by node and by method.
//! - [`tables`]: per-task CSV tables concatenated (with the task and part of each row) and
//!   summed by key columns.
//! - [`plans`]: the tasks of a plan (tiles, polygons, sites, meters), its merge, and the
//!   run folder with the manifest, the scripts and the plan.
//! - [`merge`]: a run's outputs merged (results, mosaics, a change run's classes, tables)
//!   and its tasks' energy summed, all or nothing.
//! - [`status`]: which tasks of a run are done and why the others are not; what a
//!   submission would do, and the Slurm submission with its log.
//! - [`waves`]: a run's unfinished tasks in waves at the cleanest hours of an intensity
//!   series.
//!
//! A run in small: a grid cut into tiles, one manifest row per tile, each task metered
//! and its energy report read back as the merge reads it, the run's energy summed:
//!
//! ```
//! use terrawatt_meter::{EnergyReport, Meter, MeterConfig};
//! use terrawatt_scale::{energy, manifest, tiles};
//!
//! let tiles = tiles::tiles(1000, 600, 512, 512); // a 1000 × 600 grid, 512-pixel tiles
//! assert_eq!(tiles.len(), 4);
//! assert_eq!((tiles[3].width, tiles[3].height), (488, 88)); // the last take what is left
//!
//! let rows: Vec<manifest::TaskRow> = tiles
//!     .iter()
//!     .enumerate()
//!     .map(|(task_id, t)| manifest::TaskRow {
//!         task_id,
//!         label: t.label(),
//!         window: Some([t.col_off, t.row_off, t.width, t.height]),
//!         bbox: None,
//!         inputs: vec![],
//!         outputs: vec![],
//!         commands: vec![],
//!     })
//!     .collect();
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("manifest.csv"); // or .parquet
//! manifest::write(&path, &rows)?;
//! assert_eq!(manifest::read(&path)?, rows);
//!
//! // each task's report: its results and its energy record, as `run-task` writes it
//! let meter = Meter::detect(&MeterConfig::model_only())?;
//! let tasks = rows
//!     .iter()
//!     .map(|row| {
//!         let span = meter.span(&row.label);
//!         let energy = EnergyReport::new(&meter, span.finish(), Default::default(), None);
//!         let report = serde_json::json!({
//!             "results": { "placement": { "node": "node-1" } },
//!             "energy": energy,
//!         });
//!         energy::TaskEnergy::of_report(row.task_id, &report)
//!     })
//!     .collect::<Result<Vec<_>, _>>()?;
//! let run = energy::sum(tasks, &[]);
//! assert_eq!((run.total.tasks, run.by_node["node-1"].tasks), (4, 4));
//! assert!(run.includes_estimates); // the power model's figures are labelled estimates
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod energy;
pub mod manifest;
pub mod merge;
pub mod plans;
pub mod slurm;
pub mod status;
pub mod tables;
pub mod tiles;
pub mod waves;

use std::path::{Path, PathBuf};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScaleError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{0}")]
    Settings(String),
    /// A task report that is cut short or has no whole energy record.
    #[error("{0}")]
    Report(String),
    #[error(transparent)]
    Table(#[from] terrawatt_table::TableError),
    /// A raster of the run (a tile, a mosaic, a table of polygons) that cannot be merged.
    #[error(transparent)]
    Raster(#[from] terrawatt_raster::RasterError),
    #[error("sbatch: {0}")]
    Slurm(String),
    #[error(transparent)]
    Write(#[from] terrawatt_meter::MeterError),
}

pub type Result<T> = std::result::Result<T, ScaleError>;

pub(crate) fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ScaleError + '_ {
    move |source| ScaleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> ScaleError {
    ScaleError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Writes `bytes` to `path` atomically (the meter's writer: a temporary file in the same
/// folder, flushed, renamed; parent folders created).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    terrawatt_meter::write_atomic(path, bytes).map_err(ScaleError::from)
}
