//! The raster commands as library tasks: typed options in, the kernels' settings assembled
//! from them, each phase run in a child span of the caller's meter span, the tables written,
//! and results that carry their JSON, their text and their functional unit. The command line
//! (`terrawatt raster …`), a Rust user and the Python package call the same code.
//!
//! A task first says what it reads and writes ([`RasterTask::files`], resolving its options:
//! an option that does not fit is refused here, before any work), so that the caller checks
//! every output against every input; then [`RasterTask::run`] does the work:
//!
//! - [`IndexTask`]: a spectral index or band-math expression (phase `index`);
//! - [`ChangeTask`]: two-date change (phases `change`, `write`), and the pieces of a tiled
//!   run ([`ChangeTask::tiling`], [`ChangeTask::class_rule`]);
//! - [`LandscapeTask`], [`WindowTask`]: landscape metrics (`landscape`, `write`), moving
//!   windows (`moving window`);
//! - [`TransitionsTask`]: from–to matrices, whole or per polygon (`transitions`, `write`);
//! - [`ZonalTask`], [`ForestLossTask`]: per-polygon tables (`zonal` / `forest loss`,
//!   `write`);
//! - [`AccuracyTask`], [`SampleDesignTask`]: map accuracy (`accuracy`, `write`) and the
//!   stratified sample to interpret (`sample`);
//! - [`BreaksTask`], [`TrendTask`]: BFAST Monitor and Theil–Sen / Mann–Kendall of one
//!   series from a table (`read`, `breaks` / `trend`, `write`);
//! - [`SampleTask`]: the synthetic sample scene (`write`); [`demo`]: the demo's three runs.

mod accuracy;
mod bands;
mod change;
pub mod demo;
mod index;
mod landscape;
mod series;
mod stack;
mod transitions;
mod zonal;

use std::path::{Path, PathBuf};

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use crate::{RasterError, Result};

pub use accuracy::{AccuracyResults, AccuracyTask, SampleDesignResults, SampleDesignTask};
pub use bands::{BandSource, NamedBand, RasterOptions, RoleBand};
pub use change::{ChangeResults, ChangeTask, ChangeTiling, Quicklook};
pub use index::{IndexResults, IndexTask};
pub use landscape::{LandscapeResults, LandscapeTask, WindowResults, WindowTask};
pub use series::{
    BreaksResults, BreaksTask, CcdcResults, CcdcTask, Explained, HistoryChoice, Monitoring,
    Observations, SeriesInput, TrendResults, TrendTask, show_time,
};
pub use stack::{
    BreaksStackResults, BreaksStackTask, CcdcStackResults, CcdcStackTask, SampleStackResults,
    SampleStackTask, StackInput, StackSource, TrendStackResults, TrendStackTask,
};
pub use transitions::{Transitions, TransitionsResults, TransitionsTask};
pub use zonal::{ForestLossResults, ForestLossTask, LinePlot, ZonalResults, ZonalTask};

/// How a task shows its progress: each long phase starts, reports rows done, and finishes.
pub trait Progress: Sync {
    /// A phase that reports its rows begins.
    fn start(&self, _phase: &str) {}
    /// Rows done of `total` in the phase begun last.
    fn rows(&self, _done: u64, _total: u64) {}
    /// That phase ended.
    fn finish(&self) {}
}

/// No progress shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// What a task reads and writes: the caller checks every output against every input before
/// any work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Files {
    pub inputs: Vec<PathBuf>,
    pub outputs: Vec<PathBuf>,
    /// Folders the task writes into, created by the caller before the checks.
    pub folders: Vec<PathBuf>,
}

/// A raster task.
pub trait RasterTask {
    type Results: TaskResults;

    /// What the task reads and writes, its options resolved (and refused when they do not
    /// fit each other or the files).
    fn files(&self) -> Result<Files>;

    /// Runs the task inside `span`, each phase a child span.
    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<Self::Results>;
}

/// What a task found: results for a JSON report, the text a person reads, and the
/// functional unit of its Software Carbon Intensity.
pub trait TaskResults: Serialize {
    fn text(&self) -> String;

    fn unit(&self) -> Option<FunctionalUnit>;

    /// What the user should know that is not an error (one line each, without a prefix).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Any raster task, as a command line gives it.
#[derive(Debug)]
pub enum Task {
    Index(Box<IndexTask>),
    Change(Box<ChangeTask>),
    Landscape(Box<LandscapeTask>),
    Window(Box<WindowTask>),
    Transitions(Box<TransitionsTask>),
    Zonal(Box<ZonalTask>),
    ForestLoss(Box<ForestLossTask>),
    Accuracy(Box<AccuracyTask>),
    SampleDesign(Box<SampleDesignTask>),
    Sample(SampleTask),
    /// BFAST Monitor of a stack.
    Breaks(Box<BreaksStackTask>),
    /// Theil–Sen and Mann–Kendall of a stack.
    Trend(Box<TrendStackTask>),
}

/// The synthetic sample scene (two dates of B04/B08/SCL with a clearing and a cloud, a land
/// cover, Hansen-like tree cover and loss years, and two zones) written into a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleTask {
    pub out_dir: PathBuf,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleResults {
    pub out_dir: PathBuf,
    pub seed: u64,
    pub size: usize,
}

impl RasterTask for SampleTask {
    type Results = SampleResults;

    fn files(&self) -> Result<Files> {
        Ok(Files {
            folders: vec![self.out_dir.clone()],
            ..Files::default()
        })
    }

    fn run(&self, span: &mut Span, _progress: &dyn Progress) -> Result<SampleResults> {
        span.phase("write", |_| {
            crate::sample::write_all(&self.out_dir, self.seed)
        })?;
        Ok(SampleResults {
            out_dir: self.out_dir.clone(),
            seed: self.seed,
            size: crate::sample::SIZE,
        })
    }
}

impl TaskResults for SampleResults {
    fn text(&self) -> String {
        let n = self.size;
        format!(
            "wrote scene-2023-06.tif, scene-2024-06.tif, landcover-2023.tif, treecover-2000.tif, lossyear.tif ({n} × {n} cells of 10 m, EPSG:32633) and zones.gpkg (EPSG:4326) in {}\n",
            self.out_dir.display()
        )
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        None
    }
}

/// Runs `f` as the phase `name` of `span`, its rows reported to `progress`.
pub(crate) fn rows_phase<T>(
    span: &mut Span,
    progress: &dyn Progress,
    name: &str,
    f: impl FnOnce(&(dyn Fn(u64, u64) + Sync)) -> Result<T>,
) -> Result<T> {
    progress.start(name);
    let out = span.phase(name, |_| f(&|done, total| progress.rows(done, total)));
    progress.finish();
    out
}

/// A folder for warped bands beside `out` (or the system's), removed when dropped.
pub(crate) fn tmp_dir(out: &Path) -> Result<tempfile::TempDir> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".terrawatt-warp-")
        .tempdir_in(dir)
        .or_else(|_| tempfile::tempdir())
        .map_err(|e| RasterError::Invalid(format!("a temporary folder for warped bands: {e}")))
}

/// Writes `text` to `path` atomically, as the phase `write`.
pub(crate) fn write_text(span: &mut Span, path: &Path, text: &str) -> Result<()> {
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(path, text.as_bytes()).map_err(|e| RasterError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    })
}

/// Every path once, in the order first given.
pub(crate) fn unique(paths: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = vec![];
    for p in paths {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Whether two files hold the same bytes: read side by side up to the first difference,
/// which two dates' images reach within their first blocks (only copies are read whole).
pub(crate) fn same_bytes(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    if ma.len() != mb.len() || !ma.is_file() {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let Ok(n) = fa.read(&mut x) else {
            return false;
        };
        if n == 0 {
            return true;
        }
        if fb.read_exact(&mut y[..n]).is_err() || x[..n] != y[..n] {
            return false;
        }
    }
}

/// Whether two paths are one file (the same path, a link to it) or copies of one file.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
        || same_bytes(a, b)
}
