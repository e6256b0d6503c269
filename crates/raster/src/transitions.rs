//! Land-cover transitions: the from–to matrix between two classified rasters, in cells and
//! in hectares of true area (planar cells on projected grids; ellipsoidal or spherical
//! cells per row on geographic ones).
//!
//! The two rasters must share one grid: a difference (CRS, pixel size, origin, size) is an
//! error that names it, unless the second is warped onto the first (`align`, nearest
//! neighbour or mode: classes are never averaged). Cells missing in either date are
//! counted, not dropped silently. Counts are summed per row and rows in order, so the
//! hectares do not depend on the strips or the thread count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::blocks;
use crate::grid::AreaMethod;
use crate::read::{Band, BandSel, BandSpec, Resampling};
use crate::{RasterError, Result};

#[derive(Debug, Clone)]
pub struct Settings {
    pub before: PathBuf,
    pub after: PathBuf,
    pub band: BandSel,
    /// Warp the second raster onto the first's grid with this resampling (nearest or mode).
    pub align: Option<Resampling>,
    pub area: AreaMethod,
    pub memory: u64,
    /// Where warped rasters are written while the run lasts.
    pub tmp: PathBuf,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Transition {
    pub from: i64,
    pub to: i64,
    pub cells: u64,
    pub hectares: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub before: PathBuf,
    pub after: PathBuf,
    pub width: usize,
    pub height: usize,
    pub crs: String,
    pub aligned: Option<Resampling>,
    /// Every (from, to) pair present, sorted.
    pub transitions: Vec<Transition>,
    /// Cells missing (nodata) before, after, and in both.
    pub missing_before: u64,
    pub missing_after: u64,
    pub missing_both: u64,
    pub km2: f64,
}

fn open(path: &Path, band: &BandSel) -> Result<Band> {
    Band::open(&BandSpec::new(path, band.clone()))?.require_integer("transitions")
}

/// Computes the from–to matrix.
pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    blocks::limit_gdal_cache(s.memory);
    let before = open(&s.before, &s.band)?;
    let mut after = open(&s.after, &s.band)?;
    let g = before.grid.clone();
    let diff = after.grid.differences(&g);
    if !diff.is_empty() {
        match s.align {
            None => {
                return Err(RasterError::Input {
                    path: s.after.display().to_string(),
                    message: format!(
                        "not on the grid of {}: {}; warp it with --align nearest|mode",
                        s.before.display(),
                        diff.join("; ")
                    ),
                });
            }
            Some(r) => after = after.onto(&g, r, &s.tmp)?,
        }
    }
    let (w, h) = (g.width, g.height);
    let row_areas = g.row_areas(s.area)?;
    let rows = blocks::strip_rows(
        h,
        w,
        2 * 24,
        before.block_rows,
        blocks::strip_budget(s.memory),
        rayon::current_num_threads(),
    )?;
    let done = std::sync::atomic::AtomicU64::new(0);
    // per row: (pair → cells), missing counts
    type Row = (BTreeMap<(i64, i64), u64>, [u64; 3]);
    let mut cells: BTreeMap<(i64, i64), u64> = BTreeMap::new();
    let mut hectares: BTreeMap<(i64, i64), f64> = BTreeMap::new();
    let mut missing = [0u64; 3];
    blocks::run(
        h,
        rows,
        |r0, n| {
            let (db, da) = (before.open_dataset()?, after.open_dataset()?);
            let (mut b, mut a) = (vec![], vec![]);
            before.read_codes(&db, r0, n, &mut b)?;
            after.read_codes(&da, r0, n, &mut a)?;
            let mut out: Vec<Row> = Vec::with_capacity(n);
            for r in 0..n {
                let mut map = BTreeMap::new();
                let mut miss = [0u64; 3];
                let mut run: Option<((i64, i64), u64)> = None;
                for p in r * w..(r + 1) * w {
                    match (b[p], a[p]) {
                        (Some(x), Some(y)) => match &mut run {
                            Some((pair, k)) if *pair == (x, y) => *k += 1,
                            _ => {
                                if let Some((pair, k)) = run.take() {
                                    *map.entry(pair).or_insert(0) += k;
                                }
                                run = Some(((x, y), 1));
                            }
                        },
                        (None, Some(_)) => miss[0] += 1,
                        (Some(_), None) => miss[1] += 1,
                        (None, None) => miss[2] += 1,
                    }
                }
                if let Some((pair, k)) = run {
                    *map.entry(pair).or_insert(0) += k;
                }
                out.push((map, miss));
            }
            let d = done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
            progress(d, h as u64);
            Ok(out)
        },
        |r0, _, out| {
            for (i, (map, miss)) in out.into_iter().enumerate() {
                let area = row_areas[r0 + i];
                for (pair, k) in map {
                    *cells.entry(pair).or_insert(0) += k;
                    *hectares.entry(pair).or_insert(0.0) += k as f64 * area / 1e4;
                }
                for (t, m) in missing.iter_mut().zip(miss) {
                    *t += m;
                }
            }
            Ok(())
        },
    )?;
    let transitions = cells
        .into_iter()
        .map(|(pair, k)| Transition {
            from: pair.0,
            to: pair.1,
            cells: k,
            hectares: hectares[&pair],
        })
        .collect();
    Ok(Report {
        before: s.before.clone(),
        after: s.after.clone(),
        width: w,
        height: h,
        crs: g.crs_name(),
        aligned: if diff.is_empty() { None } else { s.align },
        transitions,
        missing_before: missing[0],
        missing_after: missing[1],
        missing_both: missing[2],
        km2: row_areas.iter().sum::<f64>() * w as f64 / 1e6,
    })
}
