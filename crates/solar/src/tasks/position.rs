//! Solar positions over a time range, written as they are computed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use terrawatt_meter::Span;

use crate::SolarError;
use crate::spa::{self, Site};
use crate::tasks::Instants;

/// The columns written after `time`.
pub const COLUMNS: [&str; 8] = [
    "apparent_zenith",
    "zenith",
    "apparent_elevation",
    "elevation",
    "azimuth",
    "equation_of_time",
    "declination",
    "hour_angle",
];

fn values(p: &spa::Position) -> [f64; 8] {
    [
        p.apparent_zenith,
        p.zenith,
        p.apparent_elevation,
        p.elevation,
        p.azimuth,
        p.equation_of_time,
        p.declination,
        p.hour_angle,
    ]
}

/// The output's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Written in chunks of 65,536 instants.
    Csv,
    Parquet,
}

/// Solar positions of a site.
#[derive(Debug, Clone)]
pub struct Settings {
    pub site: Site,
    /// TT − UT (s).
    pub delta_t: f64,
    pub instants: Instants,
    pub out: PathBuf,
    pub format: Format,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Report {
    pub instants: Instants,
    pub site: Site,
    pub out: PathBuf,
}

impl Report {
    /// The summary the command prints.
    pub fn text(&self) -> String {
        let i = &self.instants;
        format!(
            "{} solar positions ({} to {}, every {} s) at {:.4}°, {:.4}° written to {}\n",
            i.n,
            i.label(0),
            i.label(i.n - 1),
            i.step,
            self.site.latitude,
            self.site.longitude,
            self.out.display()
        )
    }
}

fn tmp_path(out: &Path) -> PathBuf {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map_or("out".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ))
}

/// Computes and writes the positions in one `compute and write` phase, to a temporary
/// file renamed at the end; `progress(done, total)` after each chunk; `stopped()` asked
/// between chunks (a stop leaves no file and returns [`SolarError::Interrupted`]).
pub fn run(
    settings: &Settings,
    span: &mut Span,
    progress: &(dyn Fn(u64, u64) + Sync),
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<Report, SolarError> {
    let tmp = tmp_path(&settings.out);
    let result = span.phase("compute and write", |_| match settings.format {
        Format::Csv => write_csv(settings, &tmp, progress, stopped),
        Format::Parquet => write_parquet(settings, &tmp, stopped),
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &settings.out).map_err(|e| SolarError::WriteFile {
        path: settings.out.clone(),
        source: e,
    })?;
    Ok(Report {
        instants: settings.instants,
        site: settings.site,
        out: settings.out.clone(),
    })
}

fn write_csv(
    s: &Settings,
    tmp: &Path,
    progress: &(dyn Fn(u64, u64) + Sync),
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<(), SolarError> {
    let chunk = 1 << 16;
    let n = s.instants.n;
    let file = std::fs::File::create(tmp).map_err(|e| SolarError::WriteFile {
        path: tmp.to_path_buf(),
        source: e,
    })?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "time,{}", COLUMNS.join(","))?;
    let mut i0 = 0i64;
    while i0 < n {
        if stopped() {
            return Err(SolarError::Interrupted);
        }
        let i1 = (i0 + chunk).min(n);
        let times: Vec<f64> = (i0..i1).map(|i| s.instants.at(i) as f64).collect();
        let pos = spa::positions(&times, &[s.site], s.delta_t).remove(0);
        for (k, p) in pos.iter().enumerate() {
            write!(w, "{}", s.instants.label(i0 + k as i64))?;
            for v in values(p) {
                write!(w, ",{v}")?;
            }
            writeln!(w)?;
        }
        progress(i1 as u64, n as u64);
        i0 = i1;
    }
    w.flush()?;
    Ok(())
}

fn write_parquet(
    s: &Settings,
    tmp: &Path,
    stopped: &(dyn Fn() -> bool + Sync),
) -> Result<(), SolarError> {
    let n = s.instants.n;
    let times: Vec<f64> = (0..n).map(|i| s.instants.at(i) as f64).collect();
    let pos = spa::positions(&times, &[s.site], s.delta_t).remove(0);
    if stopped() {
        return Err(SolarError::Interrupted);
    }
    let labels: Vec<String> = (0..n).map(|i| s.instants.label(i)).collect();
    let cols: Vec<Vec<f64>> = (0..COLUMNS.len())
        .map(|j| pos.iter().map(|p| values(p)[j]).collect())
        .collect();
    let named: Vec<(&str, &[f64])> = COLUMNS
        .iter()
        .zip(&cols)
        .map(|(c, v)| (*c, v.as_slice()))
        .collect();
    terrawatt_table::write_parquet_atomic(tmp, ("time", labels), &named)?;
    Ok(())
}
