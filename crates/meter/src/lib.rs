//! terrawatt-meter: the energy and carbon a task costs.
//!
//! What it offers:
//! - [`Meter`]: detects the best energy source — Linux powercap RAPL ([`rapl`]), the perf
//!   `power` PMU ([`perf`]), else a stated power model ([`model`]) — and says why the
//!   others are not used ([`SourceProbe`]).
//! - [`Span`]: a task and its nested phases; a closed span ([`SpanRecord`]) holds wall
//!   time, process CPU time, and energy with its method and uncertainty. Counter figures
//!   and model figures are shared out by one convention ([`attribute`]): busy CPU time
//!   pays the power above idle, every CPU-second shares the idle power; task + others +
//!   idle = the machine's total.
//! - [`hardware`]: the physical processor behind `/proc/cpuinfo` (microarchitecture,
//!   package topology) for the power model on virtual machines and SMT.
//! - [`carbon`]: grid intensity per country (ISO alpha-2/alpha-3) and cloud region, PUE,
//!   embodied emissions, and the Software Carbon Intensity (ISO/IEC 21031).
//! - [`report`]: the task's [`EnergyReport`] (JSON) and its one-line summary.
//! - [`codecarbon`]: rows in CodeCarbon 3.x's `emissions.csv` format.
//! - [`calibrate`]: fits per-core power from RAPL for the model.
//! - [`info`]: what the meter sees on this machine (`energy info`).
//! - [`when`]: the start of least carbon for a run, over an hourly intensity series.
//! - [`sweep`]: a command at 1, 2, … threads, with its energy-optimal thread count.
//!
//! It depends on no other terrawatt crate, and never on GDAL or polars. Readings are
//! taken at span boundaries only: no thread samples in the background.
//!
//! A task metered: a span with its phases, the report with its carbon and the Software
//! Carbon Intensity per functional unit:
//!
//! ```
//! use terrawatt_meter::{
//!     CarbonSettings, EnergyReport, FunctionalUnit, GridIntensity, Meter, MeterConfig,
//! };
//!
//! let meter = Meter::detect(&MeterConfig::default())?; // RAPL, perf, else the power model
//! let mut task = meter.span("task");
//! let data: Vec<f64> = task.phase("load", |_| (0..100_000).map(f64::from).collect());
//! let sum: f64 = task.phase("compute", |_| data.iter().sum());
//! assert_eq!(sum, 4_999_950_000.0);
//! let record = task.finish();
//! assert_eq!(record.children.len(), 2); // the phases, each with its own energy
//!
//! let carbon = CarbonSettings { grid: GridIntensity::country("FR")?, ..Default::default() };
//! let unit = FunctionalUnit::new("record", 1e5);
//! let report = EnergyReport::new(&meter, record, carbon, Some(&unit));
//! assert!(report.footprint.joules >= 0.0 && report.footprint.sci.is_some());
//! println!("{}", report.line()); // energy … J (method) · Wh · gCO2e @ g/kWh · SCI …
//! # Ok::<(), terrawatt_meter::MeterError>(())
//! ```

pub mod calibrate;
pub mod carbon;
pub mod codecarbon;
mod error;
pub mod hardware;
pub mod hourly;
pub mod hwmon;
pub mod info;
pub mod meter;
pub mod model;
pub mod perf;
pub mod rapl;
pub mod report;
pub mod source;
pub mod sweep;
pub mod system;
pub mod tables;
pub mod units;
pub mod when;

use std::io::Write;
use std::path::Path;

pub use carbon::{Embodied, GridIntensity, IntensityBasis};
pub use error::{MeterError, Result};
pub use meter::{
    ATTRIBUTION_CONVENTION, Attribution, Energy, Meter, MeterConfig, Span, SpanRecord, attribute,
    machine_seconds,
};
pub use model::{Calibration, PowerBasis, PowerModel};
pub use report::{CarbonSettings, EnergyReport, Footprint, FunctionalUnit, Sci};
pub use source::{Method, SourceProbe, Unavailable};

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed,
/// then renamed over `path`. Parent folders are created.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| MeterError::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(MeterError::io(path, e));
    }
    Ok(())
}
