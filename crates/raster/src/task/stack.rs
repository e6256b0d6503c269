//! `raster breaks --stack`: BFAST Monitor of every pixel of a stack of dated rasters, read in
//! strips of rows within the memory budget (every date's rows of a strip together; a pixel's
//! series is never held for the whole image), each strip's pixels in parallel, written as a
//! COG of four float32 bands: `break` (decimal year; missing where none), `magnitude`,
//! `history_start` and `n_history` (missing where the pixel had too short a history).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use gdal::Dataset;
use rayon::prelude::*;
use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::series::{HistoryChoice, show_time};
use super::{Files, Progress, RasterTask, TaskResults};
use crate::grid::Grid;
use crate::series::bfast::{self, History, MonitorSettings, Skip};
use crate::series::model::Design;
use crate::series::{decimal_year, parse_time, regular_times};
use crate::write::OutputSpec;
use crate::{RasterError, Result};

/// Where the dates and their rasters come from.
#[derive(Debug, Clone, PartialEq)]
pub enum StackSource {
    /// One multi-band raster, band i the date on row i of a CSV of ISO dates (a header line
    /// first), as R's bfast ships its MODIS example.
    Bands { raster: PathBuf, dates: PathBuf },
    /// A CSV `date,path[,band]` (paths relative to the CSV's folder), one row per date.
    List(PathBuf),
}

/// A stack of dated rasters.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInput {
    pub source: StackSource,
    /// Values are raw × `scale` (e.g. 0.0001 for MODIS NDVI stored × 10,000).
    pub scale: f64,
    /// A regular series of this many observations a year: each date is put on that grid
    /// (period = ⌊(day of year − 1) × N / days in the year⌋ + 1) and the trend is the
    /// position, as R's bfastts and bfastmonitor take them.
    pub per_year: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
struct Layer {
    date: NaiveDate,
    path: PathBuf,
    band: usize,
}

fn bad(path: &Path, message: String) -> RasterError {
    RasterError::Input {
        path: path.display().to_string(),
        message,
    }
}

fn read_dates(path: &Path, column: usize) -> Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<String> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"').to_string())
            .collect();
        if fields.len() <= column {
            return Err(bad(
                path,
                format!("line {}: expected {} fields", i + 1, column + 1),
            ));
        }
        rows.push(fields);
    }
    Ok(rows)
}

fn parse_date(path: &Path, line: usize, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        bad(
            path,
            format!("line {line}: '{s}' is not a date (YYYY-MM-DD)"),
        )
    })
}

impl StackInput {
    fn layers(&self) -> Result<Vec<Layer>> {
        let mut layers = match &self.source {
            StackSource::Bands { raster, dates } => {
                let rows = read_dates(dates, 0)?;
                let n = crate::read::band_count(raster)?;
                if rows.len() != n {
                    return Err(bad(
                        dates,
                        format!(
                            "{} dates for the {n} bands of {}: give one date per band",
                            rows.len(),
                            raster.display()
                        ),
                    ));
                }
                rows.iter()
                    .enumerate()
                    .map(|(i, r)| {
                        Ok(Layer {
                            date: parse_date(dates, i + 2, &r[0])?,
                            path: raster.clone(),
                            band: i + 1,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            StackSource::List(list) => {
                let dir = list.parent().unwrap_or(Path::new("."));
                read_dates(list, 1)?
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let band = match r.get(2).filter(|b| !b.is_empty()) {
                            Some(b) => b.parse().ok().filter(|b| *b > 0).ok_or_else(|| {
                                bad(
                                    list,
                                    format!("line {}: band '{b}' is not a band number", i + 2),
                                )
                            })?,
                            None => 1,
                        };
                        Ok(Layer {
                            date: parse_date(list, i + 2, &r[0])?,
                            path: dir.join(&r[1]),
                            band,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?
            }
        };
        let label = match &self.source {
            StackSource::Bands { dates, .. } => dates,
            StackSource::List(l) => l,
        };
        if layers.is_empty() {
            return Err(bad(label, "no dates".into()));
        }
        layers.sort_by_key(|l| l.date);
        if let Some(w) = layers.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(bad(
                label,
                format!("{} is given twice; give each date once", w[0].date),
            ));
        }
        Ok(layers)
    }

    /// The inputs: the list or dates file and every raster.
    fn inputs(&self) -> Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = match &self.source {
            StackSource::Bands { raster, dates } => vec![raster.clone(), dates.clone()],
            StackSource::List(l) => vec![l.clone()],
        };
        for l in self.layers()? {
            if !v.contains(&l.path) {
                v.push(l.path);
            }
        }
        Ok(v)
    }
}

/// The times and trend regressors of the layers.
fn times(layers: &[Layer], per_year: Option<usize>) -> Result<(Vec<f64>, Vec<f64>)> {
    let Some(f) = per_year else {
        let t: Vec<f64> = layers.iter().map(|l| decimal_year(l.date)).collect();
        return Ok((t.clone(), t));
    };
    let slot = |d: NaiveDate| {
        let days = if NaiveDate::from_ymd_opt(d.year(), 2, 29).is_some() {
            366
        } else {
            365
        };
        (d.year() as i64, (d.ordinal0() as usize * f / days) as i64)
    };
    let (y0, p0) = slot(layers[0].date);
    let pos: Vec<i64> = layers
        .iter()
        .map(|l| {
            let (y, p) = slot(l.date);
            (y - y0) * f as i64 + (p - p0) + 1
        })
        .collect();
    if let Some(w) = layers
        .windows(2)
        .zip(pos.windows(2))
        .find(|(_, p)| p[0] == p[1])
    {
        return Err(RasterError::Invalid(format!(
            "{} and {} fall in the same period of {f} a year; give one observation per period or leave out --per-year",
            w.0[0].date, w.0[1].date
        )));
    }
    let n = *pos.last().expect("layers") as usize;
    let grid = regular_times(y0 as i32, p0 as usize + 1, n, f);
    Ok((
        pos.iter().map(|&p| grid[p as usize - 1]).collect(),
        pos.iter().map(|&p| p as f64).collect(),
    ))
}

/// BFAST Monitor of every pixel of a stack.
#[derive(Debug, Clone, PartialEq)]
pub struct BreaksStackTask {
    pub input: StackInput,
    pub monitor: String,
    pub history: HistoryChoice,
    pub design: Design,
    pub h: f64,
    pub end: f64,
    pub level: f64,
    pub out: OutputSpec,
    pub memory: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreaksStackResults {
    pub out: PathBuf,
    pub dates: usize,
    pub first_date: String,
    pub last_date: String,
    pub width: usize,
    pub height: usize,
    pub pixels: u64,
    pub with_break: u64,
    pub without_break: u64,
    /// Pixels left missing, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Breaks per calendar year.
    pub breaks_per_year: BTreeMap<i32, u64>,
    pub monitor_start: f64,
    pub critical_value: f64,
    #[serde(skip)]
    per_year: Option<usize>,
}

impl BreaksStackTask {
    fn settings(&self) -> Result<MonitorSettings> {
        let f = self.input.per_year;
        let start = self.monitor.split('/').next().unwrap_or("");
        if self.monitor.contains('/') {
            return Err(RasterError::Invalid(format!(
                "--monitor '{}': a stack is monitored to its last date; give START only",
                self.monitor
            )));
        }
        let start =
            parse_time(start, f).map_err(|e| RasterError::Invalid(format!("--monitor {e}")))?;
        let mut s = MonitorSettings::new(start);
        s.history = match &self.history {
            HistoryChoice::Roc => History::Roc,
            HistoryChoice::All => History::All,
            HistoryChoice::From(t) => History::From(
                parse_time(t, f).map_err(|e| RasterError::Invalid(format!("--history {e}")))?,
            ),
        };
        s.design = self.design;
        s.h = self.h;
        s.end = self.end;
        s.level = self.level;
        s.critical_value()?;
        Ok(s)
    }
}

impl RasterTask for BreaksStackTask {
    type Results = BreaksStackResults;

    fn files(&self) -> Result<Files> {
        self.settings()?;
        Ok(Files {
            inputs: self.input.inputs()?,
            outputs: vec![self.out.path.clone()],
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<BreaksStackResults> {
        let settings = self.settings()?;
        let critical = settings.critical_value()?;
        let layers = self.input.layers()?;
        let (t, trend) = times(&layers, self.input.per_year)?;
        crate::blocks::limit_gdal_cache(self.memory);
        let grid = Grid::of_file(&layers[0].path)?;
        for l in &layers[1..] {
            if l.path != layers[0].path {
                let g = Grid::of_file(&l.path)?;
                let d = grid.differences(&g);
                if !d.is_empty() {
                    return Err(bad(
                        &l.path,
                        format!(
                            "is on another grid than {} ({}); warp the dates onto one grid first",
                            layers[0].path.display(),
                            d.join("; ")
                        ),
                    ));
                }
            }
        }
        let (w, h) = (grid.width, grid.height);
        let rows = crate::blocks::strip_rows(
            h,
            w,
            layers.len() * 12 + 16,
            1,
            crate::blocks::strip_budget(self.memory),
            rayon::current_num_threads(),
        )?;
        let (rows, tile) = crate::blocks::tiles_for(rows, w, 16, self.memory / 4);
        let mut writer = crate::write::Writer::create::<f32>(
            &self.out,
            &grid,
            &["break", "magnitude", "history_start", "n_history"],
            Some(f64::NAN),
            tile,
        )?;
        let scale = self.input.scale;
        let mut skipped: BTreeMap<Skip, u64> = BTreeMap::new();
        let (mut with_break, mut without) = (0u64, 0u64);
        let mut per_year: BTreeMap<i32, u64> = BTreeMap::new();
        let done = std::sync::atomic::AtomicU64::new(0);
        progress.start("breaks");
        span.phase("breaks", |_| {
            crate::blocks::run(
                h,
                rows,
                |r0, n| {
                    // every date's rows of the strip, as f64 values (NaN missing)
                    let mut values: Vec<Vec<f64>> = Vec::with_capacity(layers.len());
                    let mut open: Option<(PathBuf, Dataset)> = None;
                    for l in &layers {
                        if open.as_ref().map(|(p, _)| p != &l.path).unwrap_or(true) {
                            open = Some((
                                l.path.clone(),
                                Dataset::open(&l.path).map_err(|e| bad(&l.path, e.to_string()))?,
                            ));
                        }
                        let ds = &open.as_ref().expect("opened").1;
                        let b = ds
                            .rasterband(l.band)
                            .map_err(|e| bad(&l.path, format!("band {}: {e}", l.band)))?;
                        let nodata = b.no_data_value();
                        let mut raw = vec![0f64; w * n];
                        b.read_into_slice::<f64>((0, r0 as isize), (w, n), (w, n), &mut raw, None)
                            .map_err(|e| bad(&l.path, e.to_string()))?;
                        for v in raw.iter_mut() {
                            *v = if Some(*v) == nodata || !v.is_finite() {
                                f64::NAN
                            } else {
                                *v * scale
                            };
                        }
                        values.push(raw);
                    }
                    let results: Vec<std::result::Result<bfast::Monitor, Skip>> = (0..w * n)
                        .into_par_iter()
                        .map(|p| {
                            let y: Vec<f64> = values.iter().map(|v| v[p]).collect();
                            bfast::monitor(&t, &y, &trend, &settings, critical)
                        })
                        .collect();
                    let d =
                        done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
                    progress.rows(d, h as u64);
                    Ok(results)
                },
                |r0, n, results| {
                    let mut bands = vec![vec![f32::NAN; w * n]; 4];
                    for (p, r) in results.into_iter().enumerate() {
                        match r {
                            Ok(m) => {
                                if let Some(b) = m.break_time {
                                    bands[0][p] = b as f32;
                                    with_break += 1;
                                    *per_year.entry(b.floor() as i32).or_default() += 1;
                                } else {
                                    without += 1;
                                }
                                bands[1][p] = m.magnitude as f32;
                                bands[2][p] = m.history_start as f32;
                                bands[3][p] = m.n_history as f32;
                            }
                            Err(s) => *skipped.entry(s).or_default() += 1,
                        }
                    }
                    for (b, data) in bands.into_iter().enumerate() {
                        writer.write_rows(b + 1, r0, n, data)?;
                    }
                    Ok(())
                },
            )
        })?;
        progress.finish();
        span.phase("write", |_| writer.finish())?;
        Ok(BreaksStackResults {
            out: self.out.path.clone(),
            dates: layers.len(),
            first_date: layers[0].date.to_string(),
            last_date: layers[layers.len() - 1].date.to_string(),
            width: w,
            height: h,
            pixels: (w * h) as u64,
            with_break,
            without_break: without,
            skipped: skipped
                .into_iter()
                .map(|(k, v)| (k.reason().to_string(), v))
                .collect(),
            breaks_per_year: per_year,
            monitor_start: settings.start,
            critical_value: critical,
            per_year: self.input.per_year,
        })
    }
}

impl TaskResults for BreaksStackResults {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "BFAST Monitor of {} dates ({} to {}) on {} × {} pixels, monitoring from {}",
            self.dates,
            self.first_date,
            self.last_date,
            self.width,
            self.height,
            show_time(self.monitor_start, self.per_year)
        );
        let _ = writeln!(
            s,
            "{} pixels with a break, {} without; {} left missing",
            self.with_break,
            self.without_break,
            self.skipped.values().sum::<u64>()
        );
        for (why, n) in &self.skipped {
            let _ = writeln!(s, "  {n} pixels: {why}");
        }
        for (y, n) in &self.breaks_per_year {
            let _ = writeln!(s, "  breaks in {y}: {n}");
        }
        let _ = writeln!(s, "wrote {}", self.out.display());
        s
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("megapixel", self.pixels as f64 / 1e6))
    }

    fn warnings(&self) -> Vec<String> {
        let missing: u64 = self.skipped.values().sum();
        if missing > 0 {
            vec![format!(
                "{missing} of {} pixels have no result (counted above)",
                self.pixels
            )]
        } else {
            vec![]
        }
    }
}
