//! Two-date change detection, streamed in strips of rows.
//!
//! Change is computed per pixel from the two dates' bands (see [`Method`]); pixels missing
//! in any input (nodata rule [`NodataRule::Any`]) or masked as cloud/shadow on either date are
//! missing. A threshold (fixed, or Otsu's on the valid change values) makes a binary map
//! (1 change, 0 none), or dNBR gets the USGS / Key & Benson severity classes. A minimum
//! mapping unit removes patches smaller than a true area (see [`crate::sieve`]).
//!
//! Passes over the rasters: (1) change values, written to band 1 of the output, with their
//! range and counts (with `--standardize`, a pass of per-band statistics first); (2) with
//! Otsu, a histogram of band 1 read back; (3) classes, kept in memory when a minimum mapping
//! unit is asked (one byte per pixel plus four for labels, within the memory budget), else
//! written strip by strip.

use std::path::PathBuf;

use serde::Serialize;

use crate::blocks;
use crate::grid::{AreaMethod, Grid};
use crate::index::{Expr, Index};
use crate::mask::{self, MaskKind, NodataRule};
use crate::read::{Band, BandSpec, Resampling};
use crate::sieve::{self, Connectivity};
use crate::threshold::{self, Histogram};
use crate::write::{OutputSpec, Writer};
use crate::{RasterError, Result};

/// What is compared between the dates.
#[derive(Debug, Clone)]
pub enum Method {
    /// A spectral index per date, differenced.
    Index(Index),
    /// A band-math expression per date, differenced.
    Expr(Expr),
    /// Change vector analysis: the Euclidean norm of the per-band differences, each divided
    /// by the population standard deviation of its differences with `standardize`.
    Cva { standardize: bool },
}

/// Which way the difference goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Difference {
    /// after − before (dNDVI: vegetation loss is negative).
    AfterMinusBefore,
    /// before − after (dNBR: burn severity is positive).
    BeforeMinusAfter,
}

/// How the change values become classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Threshold {
    Fixed {
        value: f64,
    },
    Otsu {
        bins: usize,
    },
    /// dNBR severity classes (no threshold).
    DnbrClasses,
}

/// Which side of the threshold is change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// change > threshold
    Above,
    /// change < threshold
    Below,
}

/// One date: the bands the method reads (in its order) and an optional cloud mask.
#[derive(Debug, Clone)]
pub struct DateInputs {
    pub bands: Vec<BandSpec>,
    pub mask: Option<(BandSpec, MaskKind)>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub before: DateInputs,
    pub after: DateInputs,
    pub method: Method,
    pub difference: Difference,
    /// RdNBR (Miller & Thode 2007): the difference over sqrt(|before's index|).
    pub relative: bool,
    pub threshold: Threshold,
    pub direction: Direction,
    pub nodata: NodataRule,
    pub mask_buffer: usize,
    /// Minimum mapping unit (m²) and the connectivity of its patches.
    pub mmu: Option<(f64, Connectivity)>,
    /// Resampling of bands on other grids within a date.
    pub resampling: Resampling,
    /// Warp the after date onto the before date's grid when they differ (else refuse).
    pub align: Option<Resampling>,
    /// The output grid (every band resampled onto it); default the before date's first
    /// band's.
    pub grid: Option<Grid>,
    pub area: AreaMethod,
    pub memory: u64,
    pub out: OutputSpec,
    pub classes_out: Option<OutputSpec>,
    /// A folder for warped VRTs (removed by the caller).
    pub tmp: PathBuf,
    /// Change values only: band 2 left empty, no threshold, no classes (a tile of a planned
    /// run whose merge classifies the whole image: [`classify_mosaic`]).
    pub defer_classes: bool,
}

/// Class codes of the binary map and of dNBR severity; 255 is missing in byte outputs.
pub const MISSING_CLASS: u8 = 255;

/// USGS dNBR severity classes (Key & Benson 2006, unscaled dNBR): lower bound, code, name.
pub const DNBR_CLASSES: [(f64, u8, &str); 7] = [
    (f64::NEG_INFINITY, 1, "enhanced regrowth, high"),
    (-0.25, 2, "enhanced regrowth, low"),
    (-0.1, 3, "unburned"),
    (0.1, 4, "low severity"),
    (0.27, 5, "moderate-low severity"),
    (0.44, 6, "moderate-high severity"),
    (0.66, 7, "high severity"),
];

pub fn dnbr_class(v: f32) -> u8 {
    let v = v as f64;
    DNBR_CLASSES
        .iter()
        .rev()
        .find(|(lo, _, _)| v >= *lo)
        .map_or(1, |c| c.1)
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassArea {
    pub class: u8,
    pub name: String,
    pub pixels: u64,
    pub hectares: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MmuReport {
    pub square_metres: f64,
    pub connectivity: Connectivity,
    /// The equivalent pixel count on a projected grid (patches of fewer pixels go).
    pub pixels: Option<u64>,
    pub patches_removed: u64,
    pub pixels_changed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub grid: Grid,
    pub crs: String,
    pub before: Vec<Band>,
    pub after: Vec<Band>,
    pub pixels: u64,
    /// Valid change values.
    pub valid: u64,
    /// Missing in an input (nodata).
    pub nodata: u64,
    /// Masked as cloud/shadow on either date (and not already missing).
    pub masked: u64,
    pub masked_share: f64,
    pub min: f64,
    pub max: f64,
    /// The threshold used (None for dNBR classes).
    pub threshold: Option<f64>,
    pub threshold_method: Threshold,
    pub direction: Option<Direction>,
    /// CVA with standardisation: the per-band standard deviations of the differences.
    pub band_std: Vec<f64>,
    pub classes: Vec<ClassArea>,
    pub mmu: Option<MmuReport>,
    pub area_method: AreaMethod,
    pub km2: f64,
}

/// Per-strip results of the first pass.
#[derive(Debug, Default)]
struct Pass1 {
    change: Vec<f32>,
    /// Classes, when known in this pass (a fixed threshold or dNBR classes, no sieve).
    classes: Vec<u8>,
    nodata: u64,
    masked: u64,
    valid: u64,
    min: f32,
    max: f32,
}

/// Welford's running mean and sum of squared deviations, combined in row order.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn add(&mut self, x: f64) {
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }

    fn merge(&mut self, o: &Moments) {
        if o.n == 0.0 {
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n / n;
        self.m2 += o.m2 + d * d * self.n * o.n / n;
        self.n = n;
    }

    fn std(&self) -> f64 {
        (self.m2 / self.n).sqrt()
    }
}

/// A cloud mask band and how its codes mask.
type CloudMask = Option<(Band, MaskKind)>;

struct Opened {
    before: Vec<Band>,
    after: Vec<Band>,
    mask_before: CloudMask,
    mask_after: CloudMask,
    grid: Grid,
}

fn open_date(
    d: &DateInputs,
    before: Option<(&Grid, &Grid)>,
    s: &Settings,
    which: &str,
) -> Result<(Vec<Band>, CloudMask, Grid, Grid)> {
    let mut bands = vec![];
    for spec in &d.bands {
        let mut b = Band::open(spec)?;
        if s.nodata == NodataRule::Ignore {
            b.nodata = None;
        }
        bands.push(b);
    }
    let first = bands
        .first()
        .ok_or_else(|| RasterError::Invalid(format!("the {which} date has no bands")))?;
    let date_grid = first.grid.clone();
    // the dates must share their native grid (that of their first band) unless --align
    let mut across = false;
    if let Some((native, _)) = before {
        let diff = date_grid.differences(native);
        if !diff.is_empty() {
            if s.align.is_none() {
                return Err(RasterError::Input {
                    path: first.source.display().to_string(),
                    message: format!(
                        "the {which} date is not on the before date's grid ({}): {}; give --align to warp it onto that grid",
                        native.crs_name(),
                        diff.join("; ")
                    ),
                });
            }
            across = true;
        }
    }
    let target = match before {
        Some((_, t)) => t.clone(),
        None => s.grid.clone().unwrap_or_else(|| date_grid.clone()),
    };
    let mut out = vec![];
    for b in bands {
        // the --align resampling for a date warped onto the other's grid; --resampling
        // within a date and onto a chosen grid
        let how = match s.align {
            Some(a) if across && b.grid.differences(&date_grid).is_empty() => a,
            _ => s.resampling,
        };
        out.push(b.onto(&target, how, &s.tmp)?);
    }
    let m = match &d.mask {
        None => None,
        Some((spec, kind)) => {
            let b = Band::open(spec)?;
            Some((b.onto(&target, Resampling::Nearest, &s.tmp)?, kind.clone()))
        }
    };
    Ok((out, m, date_grid, target))
}

fn open(s: &Settings) -> Result<Opened> {
    let (before, mask_before, native, grid) = open_date(&s.before, None, s, "before")?;
    let (after, mask_after, _, _) = open_date(&s.after, Some((&native, &grid)), s, "after")?;
    if before.len() != after.len() {
        return Err(RasterError::Invalid(format!(
            "the dates have {} and {} bands",
            before.len(),
            after.len()
        )));
    }
    Ok(Opened {
        before,
        after,
        mask_before,
        mask_after,
        grid,
    })
}

/// Reads a date's bands and cloud mask for rows `[row0, row0 + rows)`; the mask with
/// `halo` rows of context each side for the buffer.
fn read_date(
    bands: &[Band],
    mask: &CloudMask,
    grid: &Grid,
    buffer: usize,
    row0: usize,
    rows: usize,
) -> Result<(Vec<Vec<f32>>, Vec<bool>)> {
    let mut out = vec![];
    for b in bands {
        let ds = b.open_dataset()?;
        let mut v = vec![];
        b.read_rows(&ds, row0, rows, &mut v)?;
        out.push(v);
    }
    let w = grid.width;
    let cloud = match mask {
        None => vec![false; w * rows],
        Some((b, kind)) => {
            let top = row0.saturating_sub(buffer);
            let bottom = (row0 + rows + buffer).min(grid.height);
            let ds = b.open_dataset()?;
            let mut codes = vec![];
            b.read_codes(&ds, top, bottom - top, &mut codes)?;
            let m: Vec<bool> = codes.iter().map(|c| kind.masks(*c)).collect();
            mask::buffer(&m, w, buffer, row0 - top, bottom - row0 - rows)
        }
    };
    Ok((out, cloud))
}

/// Runs change detection; `progress(rows_done, rows_total)` after each strip of each pass.
pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    blocks::limit_gdal_cache(s.memory);
    let o = open(s)?;
    let g = o.grid.clone();
    let (w, h) = (g.width, g.height);
    let nb = o.before.len();
    // classes come with the change values unless Otsu or the sieve needs them all first
    let early =
        s.defer_classes || (!matches!(s.threshold, Threshold::Otsu { .. }) && s.mmu.is_none());
    let fixed = match s.threshold {
        Threshold::Fixed { value } => Some(value),
        _ => None,
    };
    let passes = 1
        + u64::from(!early)
        + u64::from(!s.defer_classes && matches!(s.threshold, Threshold::Otsu { .. }))
        + u64::from(matches!(s.method, Method::Cva { standardize: true }));
    let total = h as u64 * passes;
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = |rows: usize| {
        let d = done.fetch_add(rows as u64, std::sync::atomic::Ordering::Relaxed) + rows as u64;
        progress(d, total);
    };
    // bytes in flight per pixel: both dates' bands as f64 raw + f32 values, masks, change
    let bpp = 2 * nb * 12 + 2 + 8;
    let block = o.before[0].block_rows;
    let rows = blocks::strip_rows(
        h,
        w,
        bpp,
        block,
        blocks::strip_budget(s.memory),
        rayon::current_num_threads(),
    )?;
    // the output bands (change and class, float32) and the optional byte class map
    let out_bpp = 8 + usize::from(s.classes_out.is_some());
    let (rows, tile) = blocks::tiles_for(rows, w, out_bpp, s.memory / 4);

    // CVA standardisation: per-band moments of the differences over pixels valid in all
    let band_std: Vec<f64> = if matches!(s.method, Method::Cva { standardize: true }) {
        let mut total_m = vec![Moments::default(); nb];
        blocks::run(
            h,
            rows,
            |r0, n| {
                let (bv, bm) = read_date(&o.before, &o.mask_before, &g, s.mask_buffer, r0, n)?;
                let (av, am) = read_date(&o.after, &o.mask_after, &g, s.mask_buffer, r0, n)?;
                // one Moments per row per band, so the sums do not depend on the strips
                let mut per_row = vec![vec![Moments::default(); nb]; n];
                for (p, (&cb, &ca)) in bm.iter().zip(&am).enumerate() {
                    if cb || ca {
                        continue;
                    }
                    let d: Vec<f32> = (0..nb).map(|k| av[k][p] - bv[k][p]).collect();
                    if d.iter().any(|x| x.is_nan()) {
                        continue;
                    }
                    for (k, x) in d.iter().enumerate() {
                        per_row[p / w][k].add(*x as f64);
                    }
                }
                tick(n);
                Ok(per_row)
            },
            |_, _, per_row| {
                for row in per_row {
                    for (t, m) in total_m.iter_mut().zip(&row) {
                        t.merge(m);
                    }
                }
                Ok(())
            },
        )?;
        total_m.iter().map(Moments::std).collect()
    } else {
        vec![]
    };
    let band_std32: Vec<f32> = band_std.iter().map(|s| *s as f32).collect();

    let row_areas = g.row_areas(s.area).unwrap_or_else(|_| vec![f64::NAN; h]);
    let mut counts = [0u64; 256];
    let mut area = [0f64; 256];
    let mut classes_writer = match &s.classes_out {
        Some(spec) => Some(Writer::create::<u8>(
            spec,
            &g,
            &["class"],
            Some(MISSING_CLASS as f64),
            tile,
        )?),
        None => None,
    };
    let mut writer = Writer::create::<f32>(&s.out, &g, &["change", "class"], Some(f64::NAN), tile)?;
    let (mut nodata, mut masked, mut valid) = (0u64, 0u64, 0u64);
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    blocks::run(
        h,
        rows,
        |r0, n| {
            let (bv, bm) = read_date(&o.before, &o.mask_before, &g, s.mask_buffer, r0, n)?;
            let (av, am) = read_date(&o.after, &o.mask_after, &g, s.mask_buffer, r0, n)?;
            let mut out = Pass1 {
                change: Vec::with_capacity(w * n),
                min: f32::INFINITY,
                max: f32::NEG_INFINITY,
                ..Default::default()
            };
            // index methods: the index of each date over the strip first (vectorised)
            let both = |f: &Kernel<'_>| {
                let rb: Vec<&[f32]> = bv.iter().map(Vec::as_slice).collect();
                let ra: Vec<&[f32]> = av.iter().map(Vec::as_slice).collect();
                let (mut ib, mut ia) = (vec![], vec![]);
                f(&rb, &mut ib);
                f(&ra, &mut ia);
                (ib, ia)
            };
            let indexed = match &s.method {
                Method::Index(i) => Some(both(&|b, o| i.apply(b, o))),
                Method::Expr(e) => Some(both(&|b, o| e.apply(b, o))),
                Method::Cva { .. } => None,
            };
            let mut missing = vec![false; w * n];
            for band in bv.iter().chain(&av) {
                for (m, x) in missing.iter_mut().zip(band) {
                    *m |= x.is_nan();
                }
            }
            let mut vb = vec![0f32; nb];
            let mut va = vec![0f32; nb];
            for p in 0..w * n {
                let v = if missing[p] {
                    out.nodata += 1;
                    f32::NAN
                } else if bm[p] || am[p] {
                    out.masked += 1;
                    f32::NAN
                } else if let Some((ib, ia)) = &indexed {
                    difference(s, ib[p], ia[p])
                } else {
                    for k in 0..nb {
                        vb[k] = bv[k][p];
                        va[k] = av[k][p];
                    }
                    change_value(s, &vb, &va, &band_std32)
                };
                if !v.is_nan() {
                    out.valid += 1;
                    out.min = out.min.min(v);
                    out.max = out.max.max(v);
                }
                out.change.push(v);
            }
            if early {
                out.classes = if s.defer_classes {
                    vec![MISSING_CLASS; out.change.len()]
                } else {
                    let rule = s.rule();
                    out.change.iter().map(|v| rule.class(fixed, *v)).collect()
                };
            }
            tick(n);
            Ok(out)
        },
        |r0, n, p| {
            nodata += p.nodata;
            masked += p.masked;
            valid += p.valid;
            lo = lo.min(p.min);
            hi = hi.max(p.max);
            writer.write_rows(1, r0, n, p.change)?;
            if early {
                tally(
                    &p.classes,
                    w,
                    &row_areas[r0..r0 + n],
                    &mut counts,
                    &mut area,
                );
                let band2 = p.classes.iter().map(|&c| class_f32(c)).collect();
                writer.write_rows(2, r0, n, band2)?;
                if let Some(cw) = classes_writer.as_mut() {
                    cw.write_rows(1, r0, n, p.classes)?;
                }
            }
            Ok(())
        },
    )?;
    // pixels whose change is NaN from the arithmetic itself (0/0) count as missing
    let pixels = g.pixels();
    let computed_nan = pixels - valid - nodata - masked;
    nodata += computed_nan;

    let (threshold, mmu_report) = if early {
        (fixed, None)
    } else {
        let stage = Stage {
            rule: s.rule(),
            grid: &g,
            rows,
            row_areas: &row_areas,
            memory: s.memory,
        };
        let c = stage.run(
            (lo, hi, valid),
            None,
            &mut writer,
            classes_writer.as_mut(),
            (&mut counts, &mut area),
            &tick,
        )?;
        (c.threshold, c.mmu)
    };
    let classes = if s.defer_classes {
        vec![]
    } else {
        class_areas(s.threshold, &counts, &area)
    };
    writer.finish()?;
    if let Some(cw) = classes_writer {
        cw.finish()?;
    }
    let km2 = row_areas.iter().sum::<f64>() * w as f64 / 1e6;
    Ok(Report {
        crs: g.crs_name(),
        grid: g,
        before: o.before,
        after: o.after,
        pixels,
        valid,
        nodata,
        masked,
        masked_share: masked as f64 / pixels as f64,
        min: if valid > 0 { lo as f64 } else { f64::NAN },
        max: if valid > 0 { hi as f64 } else { f64::NAN },
        threshold,
        threshold_method: s.threshold,
        direction: (s.threshold != Threshold::DnbrClasses && !s.defer_classes)
            .then_some(s.direction),
        band_std,
        classes,
        mmu: mmu_report,
        area_method: s.area,
        km2,
    })
}

/// How change values become classes: the threshold rule, the side of change, the minimum
/// mapping unit.
#[derive(Debug, Clone, Copy)]
pub struct ClassRule {
    pub threshold: Threshold,
    pub direction: Direction,
    /// Minimum mapping unit (m²) and the connectivity of its patches.
    pub mmu: Option<(f64, Connectivity)>,
}

impl Settings {
    fn rule(&self) -> ClassRule {
        ClassRule {
            threshold: self.threshold,
            direction: self.direction,
            mmu: self.mmu,
        }
    }
}

impl ClassRule {
    /// The class of a change value: dNBR severity, or 1 / 0 on the threshold's change side.
    fn class(&self, threshold: Option<f64>, v: f32) -> u8 {
        if v.is_nan() {
            return MISSING_CLASS;
        }
        match (self.threshold, threshold) {
            (Threshold::DnbrClasses, _) => dnbr_class(v),
            (_, Some(t)) => u8::from(match self.direction {
                Direction::Above => v as f64 > t,
                Direction::Below => (v as f64) < t,
            }),
            _ => MISSING_CLASS,
        }
    }
}

/// The area table of classes as CSV: class, name, pixels, hectares.
pub fn class_table_csv(classes: &[ClassArea]) -> String {
    let mut csv = String::from("class,name,pixels,hectares\n");
    for k in classes {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            k.class,
            crate::zone_table::csv_field(&k.name),
            k.pixels,
            k.hectares
        ));
    }
    csv
}

/// The classes of a rule with their pixel counts and areas.
fn class_areas(threshold: Threshold, counts: &[u64; 256], area: &[f64; 256]) -> Vec<ClassArea> {
    let names: Vec<(u8, String)> = match threshold {
        Threshold::DnbrClasses => DNBR_CLASSES
            .iter()
            .map(|c| (c.1, c.2.to_string()))
            .collect(),
        _ => vec![(0, "no change".into()), (1, "change".into())],
    };
    names
        .into_iter()
        .map(|(c, name)| ClassArea {
            class: c,
            name,
            pixels: counts[c as usize],
            hectares: area[c as usize] / 1e4,
        })
        .collect()
}

/// The classes stage, once every change value is known: Otsu's threshold on their histogram
/// over [min, max], the classes (sieved by the minimum mapping unit, the whole map in
/// memory), their counts and areas; band 2 of the output and the byte class map written.
struct Stage<'a> {
    rule: ClassRule,
    grid: &'a Grid,
    rows: usize,
    row_areas: &'a [f64],
    memory: u64,
}

/// What the classes stage decided.
struct Classified {
    threshold: Option<f64>,
    mmu: Option<MmuReport>,
}

impl Stage<'_> {
    /// Band 1's values strip by strip, in row order, to `f`: read back from the output being
    /// written, or from `source` (a mosaic of change tiles, band 1), whose strips are read
    /// in parallel (a dataset per strip).
    fn each_strip(
        &self,
        source: Option<&std::path::Path>,
        writer: &mut Writer,
        mut f: impl FnMut(&mut Writer, usize, usize, Vec<f32>) -> Result<()>,
    ) -> Result<()> {
        let (w, h, rows) = (self.grid.width, self.grid.height, self.rows);
        match source {
            None => {
                for r0 in (0..h).step_by(rows) {
                    blocks::check_interrupt()?;
                    let n = rows.min(h - r0);
                    let mut buf = vec![];
                    writer.read_rows(1, r0, n, &mut buf)?;
                    f(writer, r0, n, buf)?;
                }
                Ok(())
            }
            Some(path) => blocks::run(
                h,
                rows,
                |r0, n| {
                    let ds = gdal::Dataset::open(path).map_err(crate::gdal_err(path))?;
                    let b = ds.rasterband(1).map_err(crate::gdal_err(path))?;
                    let mut buf = vec![0f32; w * n];
                    b.read_into_slice::<f32>((0, r0 as isize), (w, n), (w, n), &mut buf, None)
                        .map_err(crate::gdal_err(path))?;
                    Ok(buf)
                },
                |r0, n, buf| f(writer, r0, n, buf),
            ),
        }
    }

    /// `(lo, hi, valid)`: the change values' range and count. With a `source`, band 1 is
    /// copied to the output as band 2 is written.
    fn run(
        &self,
        (lo, hi, valid): (f32, f32, u64),
        source: Option<&std::path::Path>,
        writer: &mut Writer,
        mut classes_writer: Option<&mut Writer>,
        (counts, area): (&mut [u64; 256], &mut [f64; 256]),
        tick: &dyn Fn(usize),
    ) -> Result<Classified> {
        let (g, row_areas) = (self.grid, self.row_areas);
        let (w, h) = (g.width, g.height);
        let threshold = match self.rule.threshold {
            Threshold::Fixed { value } => Some(value),
            Threshold::DnbrClasses => None,
            Threshold::Otsu { bins } => {
                if valid == 0 {
                    return Err(RasterError::Invalid(
                        "no valid change values to threshold (every pixel missing or masked)"
                            .into(),
                    ));
                }
                let mut hist = Histogram::new(lo as f64, hi as f64, bins);
                self.each_strip(source, writer, |_, _, n, buf| {
                    for v in &buf {
                        if !v.is_nan() {
                            hist.add(*v);
                        }
                    }
                    tick(n);
                    Ok(())
                })?;
                Some(threshold::otsu(&hist))
            }
        };
        let classify = |v: f32| self.rule.class(threshold, v);
        let mut mmu_report = None;
        // a strip of classes written (band 2, the byte map) with band 1 where it comes from
        // the source
        let mut put = |writer: &mut Writer,
                       r0: usize,
                       n: usize,
                       values: Vec<f32>,
                       part: Vec<u8>|
         -> Result<()> {
            tally(&part, w, &row_areas[r0..r0 + n], counts, area);
            if source.is_some() {
                writer.write_rows(1, r0, n, values)?;
            }
            writer.write_rows(2, r0, n, part.iter().map(|&c| class_f32(c)).collect())?;
            if let Some(cw) = classes_writer.as_deref_mut() {
                cw.write_rows(1, r0, n, part)?;
            }
            tick(n);
            Ok(())
        };
        if let Some((m2, conn)) = self.rule.mmu {
            let pixels = g.pixels();
            let need = pixels * 5;
            if need > self.memory {
                return Err(RasterError::Invalid(format!(
                    "the minimum mapping unit needs the whole class map in memory ({} MB for {} pixels), over the --memory budget of {} MB",
                    need / 1_000_000,
                    pixels,
                    self.memory / 1_000_000
                )));
            }
            if row_areas.iter().any(|a| a.is_nan()) {
                return Err(RasterError::Invalid(
                    "the raster has no CRS: --mmu in hectares needs pixel areas".into(),
                ));
            }
            let mut classes = vec![MISSING_CLASS; w * h];
            self.each_strip(source, writer, |_, r0, n, buf| {
                for (c, v) in classes[r0 * w..(r0 + n) * w].iter_mut().zip(&buf) {
                    *c = classify(*v);
                }
                Ok(())
            })?;
            let st =
                sieve::sieve_area(&mut classes, w, h, Some(MISSING_CLASS), row_areas, m2, conn);
            mmu_report = Some(MmuReport {
                square_metres: m2,
                connectivity: conn,
                pixels: if g.is_geographic() {
                    None
                } else {
                    Some((m2 / row_areas[0]).ceil() as u64)
                },
                patches_removed: st.patches_removed,
                pixels_changed: st.pixels_changed,
            });
            if source.is_some() {
                // band 1 read again, to go out with its classes
                self.each_strip(source, writer, |writer, r0, n, values| {
                    let part = classes[r0 * w..(r0 + n) * w].to_vec();
                    put(writer, r0, n, values, part)
                })?;
            } else {
                for r0 in (0..h).step_by(self.rows) {
                    let n = self.rows.min(h - r0);
                    let part = classes[r0 * w..(r0 + n) * w].to_vec();
                    put(writer, r0, n, vec![], part)?;
                }
            }
        } else {
            self.each_strip(source, writer, |writer, r0, n, values| {
                let part: Vec<u8> = values.iter().map(|v| classify(*v)).collect();
                put(writer, r0, n, values, part)
            })?;
        }
        Ok(Classified {
            threshold,
            mmu: mmu_report,
        })
    }
}

/// The whole image's classes of a planned run: `mosaic` (band 1: the tiles' change values,
/// written with `defer_classes`) thresholded and classified as one run over the whole grid
/// would (`lo`, `hi`, `valid`: the change values' range and count over every tile), into
/// `out` (change and class, float32) and `classes_out` (byte); the same files a single run
/// writes.
#[allow(clippy::too_many_arguments)]
pub fn classify_mosaic(
    mosaic: &std::path::Path,
    rule: ClassRule,
    (lo, hi, valid): (f32, f32, u64),
    area_method: AreaMethod,
    memory: u64,
    out: &OutputSpec,
    classes_out: &OutputSpec,
) -> Result<MosaicClasses> {
    blocks::limit_gdal_cache(memory);
    let g = Grid::of_file(mosaic)?;
    let (w, h) = (g.width, g.height);
    let rows = blocks::strip_rows(
        h,
        w,
        8,
        1,
        blocks::strip_budget(memory),
        rayon::current_num_threads(),
    )?;
    let (rows, tile) = blocks::tiles_for(rows, w, 9, memory / 4);
    let row_areas = g
        .row_areas(area_method)
        .unwrap_or_else(|_| vec![f64::NAN; h]);
    let mut classes_writer = Writer::create::<u8>(
        classes_out,
        &g,
        &["class"],
        Some(MISSING_CLASS as f64),
        tile,
    )?;
    let mut writer = Writer::create::<f32>(out, &g, &["change", "class"], Some(f64::NAN), tile)?;
    let (mut counts, mut area) = ([0u64; 256], [0f64; 256]);
    let stage = Stage {
        rule,
        grid: &g,
        rows,
        row_areas: &row_areas,
        memory,
    };
    let c = stage.run(
        (lo, hi, valid),
        Some(mosaic),
        &mut writer,
        Some(&mut classes_writer),
        (&mut counts, &mut area),
        &|_| {},
    )?;
    writer.finish()?;
    classes_writer.finish()?;
    Ok(MosaicClasses {
        threshold: c.threshold,
        classes: class_areas(rule.threshold, &counts, &area),
        mmu: c.mmu,
    })
}

/// What [`classify_mosaic`] decided and counted.
#[derive(Debug, Clone, Serialize)]
pub struct MosaicClasses {
    pub threshold: Option<f64>,
    pub classes: Vec<ClassArea>,
    pub mmu: Option<MmuReport>,
}

fn class_f32(c: u8) -> f32 {
    if c == MISSING_CLASS {
        f32::NAN
    } else {
        c as f32
    }
}

/// Adds a strip's class counts and areas (row by row, in row order).
fn tally(part: &[u8], w: usize, row_areas: &[f64], counts: &mut [u64; 256], area: &mut [f64; 256]) {
    for (r, row) in part.chunks(w).enumerate() {
        let mut c = [0u64; 256];
        for &v in row {
            c[v as usize] += 1;
        }
        for k in 0..256 {
            if c[k] > 0 {
                counts[k] += c[k];
                area[k] += c[k] as f64 * row_areas[r];
            }
        }
    }
}

/// The change value of one pixel from its bands before and after (all present).
#[inline]
fn change_value(s: &Settings, b: &[f32], a: &[f32], band_std32: &[f32]) -> f32 {
    match &s.method {
        Method::Cva { standardize } => {
            let mut sum = 0f32;
            for k in 0..b.len() {
                let mut d = a[k] - b[k];
                if *standardize {
                    d /= band_std32[k];
                }
                sum += d * d;
            }
            sum.sqrt()
        }
        m => {
            let (ib, ia) = match m {
                Method::Index(i) => (i.eval(b), i.eval(a)),
                Method::Expr(e) => (e.eval(b), e.eval(a)),
                Method::Cva { .. } => unreachable!(),
            };
            difference(s, ib, ia)
        }
    }
}

/// An index kernel over strips of bands.
type Kernel<'a> = dyn Fn(&[&[f32]], &mut Vec<f32>) + 'a;

/// The change between a pixel's index before (`ib`) and after (`ia`).
#[inline]
fn difference(s: &Settings, ib: f32, ia: f32) -> f32 {
    let d = match s.difference {
        Difference::AfterMinusBefore => ia - ib,
        Difference::BeforeMinusAfter => ib - ia,
    };
    if s.relative { d / ib.abs().sqrt() } else { d }
}

/// A small picture of a change run: the method's value before and after (the index, or the
/// first band for CVA) and the classes, decimated to at most `max_side` pixels a side.
#[derive(Debug, Clone)]
pub struct Preview {
    pub width: usize,
    pub height: usize,
    pub before: Vec<f32>,
    pub after: Vec<f32>,
    pub classes: Vec<u8>,
}

/// Reads the preview of a finished run (its output holds the classes in band 2).
pub fn preview(s: &Settings, max_side: usize) -> Result<Preview> {
    let o = open(s)?;
    let g = &o.grid;
    let k = (g.width.max(g.height) as f64 / max_side as f64).max(1.0);
    let (w, h) = (
        ((g.width as f64 / k).round() as usize).max(1),
        ((g.height as f64 / k).round() as usize).max(1),
    );
    let value = |bands: &[Band]| -> Result<Vec<f32>> {
        let vals = bands
            .iter()
            .map(|b| b.read_preview(w, h))
            .collect::<Result<Vec<_>>>()?;
        let mut v = vec![0f32; bands.len()];
        Ok((0..w * h)
            .map(|p| {
                for (x, b) in v.iter_mut().zip(&vals) {
                    *x = b[p];
                }
                if v.iter().any(|x| x.is_nan()) {
                    return f32::NAN;
                }
                match &s.method {
                    Method::Index(i) => i.eval(&v),
                    Method::Expr(e) => e.eval(&v),
                    Method::Cva { .. } => v[0],
                }
            })
            .collect())
    };
    let out = Band::open(&BandSpec::new(&s.out.path, crate::read::BandSel::Index(2)))?;
    let classes = out
        .read_preview(w, h)?
        .iter()
        .map(|c| if c.is_nan() { MISSING_CLASS } else { *c as u8 })
        .collect();
    Ok(Preview {
        width: w,
        height: h,
        before: value(&o.before)?,
        after: value(&o.after)?,
        classes,
    })
}
