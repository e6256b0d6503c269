//! Zonal statistics: per polygon, the count, sum, mean, min, max, standard deviation and
//! variance of a band's values, its majority and minority value and the area of each class,
//! weighting every cell by the fraction of it the polygon covers (as exactextract), or by
//! the cell-centre rule (1 when the centre is inside, as GDAL's rasterizer).
//!
//! Definitions (w = a cell's weight, x its value; cells with a missing value — the band's
//! nodata or NaN — are left out of every statistic and counted apart):
//! - count = Σw; sum = Σw·x; mean = sum / count;
//! - variance = Σw·(x − mean)² / Σw (population, weighted), stdev = √variance (per row from
//!   sums about the row's first value, rows merged by Chan et al.'s pairwise update);
//! - min, max over cells with w > 0;
//! - majority / minority: the value with the largest / smallest Σw (ties: the larger value
//!   for the majority, the smaller for the minority, as exactextract), on integer bands only;
//! - area per class (integer bands) and in all: Σw × the cell's true area (planar on
//!   projected grids; ellipsoidal or spherical per row on geographic ones), in hectares.
//!
//! How it runs: each zone's window (the cells its bounds reach, clipped to the raster) is cut
//! into strips of rows sized by the memory budget; strips of all zones run in parallel; each
//! strip returns one accumulator per row; accumulators are merged row by row in zone and
//! row order. A row's weights and its accumulator depend on that row alone, so the results
//! are the same for any strip height, memory budget or thread count, and equal to the
//! whole-raster computation.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::blocks;
use crate::coverage::{Shape, Window};
use crate::grid::{AreaMethod, Grid};
use crate::read::{Band, BandSel, BandSpec};
use crate::zones::{self, Invalid, Zones};
use crate::{RasterError, Result};

/// How a cell's weight in a zone is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The fraction of the cell inside the polygon.
    Exact,
    /// 1 when the cell's centre is inside, else 0.
    Centre,
}

impl Rule {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["exact", "centre"];
}

impl std::str::FromStr for Rule {
    type Err = crate::ParseError;

    /// `exact`, or `centre` (`center`).
    fn from_str(s: &str) -> std::result::Result<Rule, crate::ParseError> {
        match s {
            "exact" => Ok(Rule::Exact),
            "centre" | "center" => Ok(Rule::Centre),
            _ => Err(crate::ParseError::expected("exact or centre")),
        }
    }
}

/// Where the zones come from.
#[derive(Debug, Clone)]
pub struct ZoneSource {
    pub path: PathBuf,
    pub layer: Option<String>,
    /// The CRS of a layer that declares none.
    pub crs: Option<String>,
    pub invalid: Invalid,
    /// Keep each geometry as read, to write it back out (GeoPackage tables).
    pub keep_geometry: bool,
    /// Only the features from this index (in reading order), this many of them (a task of
    /// a planned run); all when `None`.
    pub part: Option<(usize, usize)>,
}

/// A run of a layer's features in reading order: `START,COUNT` (a task of a planned run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    pub start: usize,
    pub count: usize,
}

impl std::str::FromStr for Features {
    type Err = crate::ParseError;

    /// `START,COUNT`, COUNT at least 1.
    fn from_str(s: &str) -> std::result::Result<Features, crate::ParseError> {
        match crate::grid::numbers(s) {
            Some([start, count]) if count > 0 => Ok(Features { start, count }),
            _ => Err(crate::ParseError::expected(
                "START,COUNT (COUNT at least 1)",
            )),
        }
    }
}

impl ZoneSource {
    pub fn new(path: impl Into<PathBuf>) -> ZoneSource {
        ZoneSource {
            path: path.into(),
            layer: None,
            crs: None,
            invalid: Invalid::Repair,
            keep_geometry: false,
            part: None,
        }
    }

    pub fn read(&self, grid: &Grid) -> Result<Zones> {
        zones::read(
            &self.path,
            self.layer.as_deref(),
            &grid.wkt,
            self.crs.as_deref(),
            self.invalid,
            self.keep_geometry,
            self.part,
        )
    }
}

/// Which value of the band is missing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The band's nodata value (and NaN).
    Band,
    /// This value (and NaN).
    Value(f64),
    /// None but NaN.
    None,
}

impl std::str::FromStr for Missing {
    type Err = crate::ParseError;

    /// `band`, `none` (any case) or a number.
    fn from_str(s: &str) -> std::result::Result<Missing, crate::ParseError> {
        match s.to_ascii_lowercase().as_str() {
            "band" => Ok(Missing::Band),
            "none" => Ok(Missing::None),
            v => v
                .parse()
                .map(Missing::Value)
                .map_err(|_| crate::ParseError::expected("band, none or a number")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub raster: PathBuf,
    pub band: BandSel,
    pub missing: Missing,
    pub zones: ZoneSource,
    pub rule: Rule,
    pub area: AreaMethod,
    pub memory: u64,
}

/// One class's weight and area in a zone.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassShare {
    pub value: i64,
    /// Σw over the class's cells.
    pub weight: f64,
    pub hectares: f64,
}

/// The statistics of one zone (`None` where a zone has no cell with a value).
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Cells with a value and w > 0.
    pub cells: u64,
    pub count: f64,
    pub sum: f64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub stdev: Option<f64>,
    pub variance: Option<f64>,
    pub majority: Option<i64>,
    pub minority: Option<i64>,
    /// Area of the cells with a value (Σw × cell area), ha.
    pub hectares: f64,
    /// Cells with w > 0 whose value is missing, their Σw and area (ha).
    pub missing_cells: u64,
    pub missing_weight: f64,
    pub missing_hectares: f64,
    /// Per class, ascending (integer bands).
    pub classes: Vec<ClassShare>,
    /// The zone's polygon reaches no cell of the raster.
    pub outside: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub raster: PathBuf,
    pub band: usize,
    pub crs: String,
    pub nodata: Option<f64>,
    pub rule: Rule,
    pub area: AreaMethod,
    pub zones: Zones,
    pub stats: Vec<Stats>,
    /// Zones that reach no cell.
    pub outside: usize,
    /// Area of the cells read (the zones' windows), km².
    pub km2: f64,
    /// The code that frames an integer band declaring no nodata value: the fill a clip
    /// wrote without saying ([`crate::read::Frame`]), counted in every statistic.
    pub frame: Option<crate::read::Frame>,
}

/// A zone placed on the grid.
pub(crate) struct Placed {
    pub shape: Shape,
    pub window: Window,
}

/// The zones' shapes and windows on `grid` (`None`: no cell reached).
pub(crate) fn place(z: &Zones, grid: &Grid) -> Result<Vec<Option<Placed>>> {
    let t = &grid.transform;
    if t[2] != 0.0 || t[4] != 0.0 {
        return Err(RasterError::Invalid(
            "zonal statistics on a rotated grid are not supported".into(),
        ));
    }
    let globe = grid.is_geographic().then(|| {
        let (x0, _, x1, _) = grid.bounds();
        (x0, x1)
    });
    Ok(z.zones
        .iter()
        .map(|zone| {
            let shape = match globe {
                Some((x0, x1)) => Shape::new(&zones::rings_on_globe(&zone.rings, x0, x1), t),
                None => Shape::new(&zone.rings, t),
            };
            shape
                .window(grid.width, grid.height)
                .map(|window| Placed { shape, window })
        })
        .collect())
}

impl ZoneSource {
    /// Refuses a whole layer none of whose polygons reaches the raster (a layer of another
    /// place, or read in the wrong CRS): every row would be empty. A planned run's task
    /// takes a share of the layer (`part`), which may lie wholly outside, and passes.
    pub(crate) fn require_reach(
        &self,
        zones: &Zones,
        placed: &[Option<Placed>],
        grid: &Grid,
    ) -> Result<()> {
        let with_shape = zones.zones.iter().filter(|z| !z.rings.is_empty()).count();
        let out = zones
            .zones
            .iter()
            .zip(placed)
            .filter(|(z, p)| outside(z, p))
            .count();
        if self.part.is_some() || with_shape == 0 || out < with_shape {
            return Ok(());
        }
        let t = &grid.transform;
        let (x1, y1) = (
            t[0] + t[1] * grid.width as f64,
            t[3] + t[5] * grid.height as f64,
        );
        Err(RasterError::Input {
            path: self.path.display().to_string(),
            message: format!(
                "none of its {with_shape} polygons reaches the raster ({} to {}, {} to {} in {}; the layer is in {}): do they cover the same place, and is the layer's CRS right?",
                t[0].min(x1),
                t[0].max(x1),
                t[3].min(y1),
                t[3].max(y1),
                grid.crs_name(),
                zones.crs
            ),
        })
    }
}

/// Whether a zone has a geometry that reaches no cell of the raster (a skipped or empty
/// zone is reported as such, not as outside).
pub(crate) fn outside(z: &crate::zones::Zone, p: &Option<Placed>) -> bool {
    p.is_none() && !z.rings.is_empty()
}

/// The area (km²) of the zones' windows: the cells read.
pub(crate) fn windows_km2(placed: &[Option<Placed>], row_areas: &[f64]) -> f64 {
    placed
        .iter()
        .flatten()
        .map(|p| {
            let w = p.window;
            row_areas[w.row0..w.row0 + w.rows].iter().sum::<f64>() * w.cols as f64
        })
        .sum::<f64>()
        / 1e6
}

/// A strip of one zone's window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job {
    pub zone: usize,
    pub row0: usize,
    pub rows: usize,
}

/// Strips of every placed zone, each of at most `budget` bytes at `bytes_per_cell` with the
/// strips in flight, and of about a million cells (so large zones spread over the pool).
pub(crate) fn jobs(
    placed: &[Option<Placed>],
    bytes_per_cell: usize,
    memory: u64,
) -> Result<Vec<Job>> {
    let budget =
        blocks::strip_budget(memory) / blocks::in_flight(rayon::current_num_threads()) as u64;
    let mut out = vec![];
    for (zone, p) in placed.iter().enumerate() {
        let Some(p) = p else { continue };
        let w = p.window;
        let per_row = (w.cols * bytes_per_cell) as u64;
        if per_row > budget {
            return Err(RasterError::Invalid(format!(
                "a row of zone #{} spans {} cells ({per_row} bytes), more than the memory budget \
                 gives one strip ({budget} bytes); raise --memory",
                zone + 1,
                w.cols
            )));
        }
        let rows = ((budget / per_row) as usize)
            .min((1 << 20) / w.cols.max(1))
            .max(1);
        let mut r = 0;
        while r < w.rows {
            let n = rows.min(w.rows - r);
            out.push(Job {
                zone,
                row0: w.row0 + r,
                rows: n,
            });
            r += n;
        }
    }
    Ok(out)
}

/// Runs `compute` over the jobs in parallel, handing results to `consume` in job order.
pub(crate) fn run_jobs<R: Send>(
    jobs: &[Job],
    progress: &(dyn Fn(u64, u64) + Sync),
    compute: impl Fn(&Job) -> Result<R> + Sync,
    mut consume: impl FnMut(&Job, R) -> Result<()>,
) -> Result<()> {
    let total: u64 = jobs.iter().map(|j| j.rows as u64).sum();
    let mut done = 0u64;
    blocks::run(
        jobs.len(),
        1,
        |i, _| compute(&jobs[i]),
        |i, _, r| {
            consume(&jobs[i], r)?;
            done += jobs[i].rows as u64;
            progress(done, total);
            Ok(())
        },
    )
}

/// The weights of a job's cells (its zone's window columns), row-major.
pub(crate) fn weights(p: &Placed, rule: Rule, job: &Job, out: &mut Vec<f64>) {
    let w = p.window;
    match rule {
        Rule::Exact => p.shape.fractions(w.col0, job.row0, w.cols, job.rows, out),
        Rule::Centre => p.shape.centres(w.col0, job.row0, w.cols, job.rows, out),
    }
}

/// One row's (or a zone's) sums.
#[derive(Debug, Clone, Default)]
struct Acc {
    cells: u64,
    w: f64,
    sum: f64,
    /// Within a row: sums of w·d and w·d² with d = x − shift (the row's first value).
    shift: f64,
    sd: f64,
    sd2: f64,
    /// Per row once closed, and merged across rows (Chan et al.'s pairwise update).
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    area: f64,
    miss_cells: u64,
    miss_w: f64,
    miss_area: f64,
    classes: BTreeMap<i64, (f64, f64)>,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Default::default()
        }
    }

    /// Adds a cell of weight `w` > 0 and value `x` of the row; its class goes to `tally`.
    /// (Areas are Σw × the row's cell area, at [`Acc::close_row`].)
    #[inline]
    fn add(&mut self, w: f64, x: f64, tally: Option<&mut Tally>) {
        if x.is_nan() {
            self.miss_cells += 1;
            self.miss_w += w;
            return;
        }
        if self.cells == 0 {
            self.shift = x;
        }
        self.cells += 1;
        let d = x - self.shift;
        self.w += w;
        self.sd += w * d;
        self.sd2 += w * d * d;
        self.sum += w * x;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        if let Some(t) = tally {
            t.add(x as i64, w);
        }
    }

    /// Ends a row of cells of area `a` (m²): its areas, mean and Σw·(x − mean)² (from the
    /// sums about the row's first value).
    fn close_row(mut self, a: f64) -> Acc {
        self.area = self.w * a;
        self.miss_area = self.miss_w * a;
        for v in self.classes.values_mut() {
            v.1 = v.0 * a;
        }
        if self.cells > 0 {
            self.mean = self.shift + self.sd / self.w;
            self.m2 = (self.sd2 - self.sd * self.sd / self.w).max(0.0);
        }
        self
    }

    /// Merges `o` (the rows after this one).
    fn merge(&mut self, o: Acc) {
        if o.cells > 0 {
            if self.cells == 0 {
                (self.mean, self.m2) = (o.mean, o.m2);
            } else {
                let total = self.w + o.w;
                let d = o.mean - self.mean;
                self.mean += d * o.w / total;
                self.m2 += o.m2 + d * d * self.w * o.w / total;
            }
            self.w += o.w;
            self.cells += o.cells;
            self.sum += o.sum;
            self.area += o.area;
            self.min = self.min.min(o.min);
            self.max = self.max.max(o.max);
        }
        self.miss_cells += o.miss_cells;
        self.miss_w += o.miss_w;
        self.miss_area += o.miss_area;
        for (k, (w, a)) in o.classes {
            let e = self.classes.entry(k).or_insert((0.0, 0.0));
            e.0 += w;
            e.1 += a;
        }
    }

    fn stats(self, outside: bool) -> Stats {
        let any = self.cells > 0 && self.w > 0.0;
        let pick = |better: fn(f64, f64) -> bool| {
            let mut best: Option<(i64, f64)> = None;
            for (&k, &(w, _)) in &self.classes {
                if best.is_none_or(|(_, bw)| better(w, bw)) {
                    best = Some((k, w));
                }
            }
            best.map(|b| b.0)
        };
        let variance = any.then(|| self.m2.max(0.0) / self.w);
        Stats {
            cells: self.cells,
            count: self.w,
            sum: self.sum,
            mean: any.then(|| self.sum / self.w),
            min: any.then_some(self.min),
            max: any.then_some(self.max),
            stdev: variance.map(f64::sqrt),
            variance,
            majority: pick(|w, b| w >= b),
            minority: pick(|w, b| w < b),
            hectares: self.area / 1e4,
            missing_cells: self.miss_cells,
            missing_weight: self.miss_w,
            missing_hectares: self.miss_area / 1e4,
            classes: self
                .classes
                .iter()
                .map(|(&value, &(weight, a))| ClassShare {
                    value,
                    weight,
                    hectares: a / 1e4,
                })
                .collect(),
            outside,
        }
    }
}

/// A row's sums per class value: a dense table for bands of at most 16 bits (no map lookup
/// per cell), a map otherwise; emptied into the row's accumulator in value order.
struct Tally {
    dense: Vec<f64>,
    offset: i64,
    touched: Vec<usize>,
    sparse: BTreeMap<i64, f64>,
}

impl Tally {
    fn for_band(band: &Band) -> Option<Tally> {
        // a band with a scale or offset tag holds measurements stored as integers (NDVI ×
        // 10,000), not class codes: truncating its values would make classes of them
        if band.scale != 1.0 || band.offset != 0.0 {
            return None;
        }
        let (size, offset) = match band.data_type.as_str() {
            "Byte" => (256, 0),
            "Int8" => (256, -128),
            "UInt16" => (65536, 0),
            "Int16" => (65536, -32768),
            _ if band.is_integer() => (0, 0),
            _ => return None,
        };
        Some(Tally {
            dense: vec![0.0; size],
            offset,
            touched: vec![],
            sparse: BTreeMap::new(),
        })
    }

    #[inline]
    fn add(&mut self, v: i64, w: f64) {
        let i = v - self.offset;
        if i >= 0 && (i as usize) < self.dense.len() {
            let e = &mut self.dense[i as usize];
            if *e == 0.0 {
                self.touched.push(i as usize);
            }
            *e += w;
        } else {
            *self.sparse.entry(v).or_insert(0.0) += w;
        }
    }

    /// Moves the row's weights into `out` (areas set when the row closes) and clears the
    /// table.
    fn drain(&mut self, out: &mut BTreeMap<i64, (f64, f64)>) {
        for &i in &self.touched {
            out.insert(
                i as i64 + self.offset,
                (std::mem::take(&mut self.dense[i]), 0.0),
            );
        }
        self.touched.clear();
        for (k, w) in std::mem::take(&mut self.sparse) {
            out.insert(k, (w, 0.0));
        }
    }
}

/// Refuses statistics of a band that declares no nodata value where a zone's least or
/// greatest value is one of [`crate::read::FILLS`]: fill counted as values makes the mean, sum and
/// spread the fill's (an NDVI mean of −1,979 for 0.57).
fn refuse_fill(s: &Settings, zones: &Zones, stats: &[Stats]) -> Result<()> {
    for (k, st) in stats.iter().enumerate() {
        let Some(v) = [st.min, st.max]
            .into_iter()
            .flatten()
            .find(|v| crate::read::FILLS.contains(v))
        else {
            continue;
        };
        let v = if v.abs() >= 1e7 {
            format!("{v:e}")
        } else {
            format!("{v}")
        };
        return Err(RasterError::Invalid(format!(
            "{}: zone {} holds the value {v}, a fill of cells without data, and the band \
             declares no nodata value, so it would be counted in the mean, the sum and the \
             spread. Give --nodata {v} to leave such cells out (as missing), or --nodata none to \
             count them as values",
            s.raster.display(),
            zones.label(k),
        )));
    }
    Ok(())
}

/// Computes the statistics of every zone.
pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    blocks::limit_gdal_cache(s.memory);
    let mut band = Band::open(&BandSpec::new(&s.raster, s.band.clone()))?;
    match s.missing {
        Missing::Band => {}
        Missing::Value(v) => band.nodata = Some(v),
        Missing::None => band.nodata = None,
    }
    let undeclared = s.missing == Missing::Band && band.nodata.is_none();
    let grid = band.grid.clone();
    let zones = s.zones.read(&grid)?;
    let row_areas = grid.row_areas(s.area)?;
    let placed = place(&zones, &grid)?;
    s.zones.require_reach(&zones, &placed, &grid)?;
    let jobs = jobs(&placed, 24, s.memory)?;
    let mut accs: Vec<Acc> = (0..placed.len()).map(|_| Acc::new()).collect();
    run_jobs(
        &jobs,
        progress,
        |job| {
            let p = placed[job.zone].as_ref().expect("jobs are of placed zones");
            let w = p.window;
            let mut values = vec![];
            band.with_dataset(|ds| {
                band.read_window(ds, (w.col0, job.row0), (w.cols, job.rows), &mut values)
            })?;
            let mut weights_ = vec![];
            weights(p, s.rule, job, &mut weights_);
            let mut tally = Tally::for_band(&band);
            let rows: Vec<Acc> = (0..job.rows)
                .map(|r| {
                    let mut acc = Acc::new();
                    let a = row_areas[job.row0 + r];
                    let (ws, xs) = (
                        &weights_[r * w.cols..(r + 1) * w.cols],
                        &values[r * w.cols..(r + 1) * w.cols],
                    );
                    for (&wt, &x) in ws.iter().zip(xs) {
                        if wt > 0.0 {
                            acc.add(wt, x, tally.as_mut());
                        }
                    }
                    if let Some(t) = tally.as_mut() {
                        t.drain(&mut acc.classes);
                    }
                    acc.close_row(a)
                })
                .collect();
            Ok(rows)
        },
        |job, rows| {
            let acc = &mut accs[job.zone];
            for r in rows {
                acc.merge(r);
            }
            Ok(())
        },
    )?;
    let km2 = windows_km2(&placed, &row_areas);
    let stats: Vec<Stats> = accs
        .into_iter()
        .zip(&placed)
        .zip(&zones.zones)
        .map(|((a, p), z)| a.stats(outside(z, p)))
        .collect();
    if undeclared {
        refuse_fill(s, &zones, &stats)?;
    }
    // a float band's values would be cut to whole numbers in the frame's test
    let frame = if undeclared && !band.data_type.starts_with("Float") {
        band.frame()?
    } else {
        None
    };
    Ok(Report {
        frame,
        raster: s.raster.clone(),
        band: band.index,
        crs: grid.crs_name(),
        nodata: band.nodata,
        rule: s.rule,
        area: s.area,
        outside: stats.iter().filter(|x| x.outside).count(),
        zones,
        stats,
        km2,
    })
}
