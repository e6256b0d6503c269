//! Land-cover transitions: the from–to matrix between two classified rasters, in cells and
//! in hectares of true area (planar cells on projected grids; ellipsoidal or spherical
//! cells per row on geographic ones).
//!
//! The two rasters must share one grid: a difference (CRS, pixel size, origin, size) is an
//! error that names it, unless the second is warped onto the first (`align`, nearest
//! neighbour or mode: classes are never averaged). Cells missing in either date are
//! counted, not dropped silently. Counts are summed per row and rows in order, so the
//! hectares do not depend on the strips or the thread count.
//!
//! Per polygon ([`run_zones`]): each cell weighs its coverage fraction (or 1 by the
//! cell-centre rule), so a pair's hectares are Σ weight × cell area over the polygon.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::blocks;
use crate::grid::AreaMethod;
use crate::read::{Band, BandSel, BandSpec, Frame, Resampling};
use crate::zonal::{self, Rule, ZoneSource};
use crate::zones::Zones;
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
    /// A fill-like class that surrounds the map before / after, where the file declares no
    /// nodata value (it is counted as a class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_before: Option<Frame>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_after: Option<Frame>,
}

fn open(path: &Path, band: &BandSel) -> Result<Band> {
    Band::open(&BandSpec::new(path, band.clone()))?
        .require_integer("class maps (transitions, accuracy)")
}

/// One polygon's transition: Σ weight (cells) and hectares.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ZoneTransition {
    pub from: i64,
    pub to: i64,
    pub weight: f64,
    pub hectares: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneMatrix {
    pub outside: bool,
    pub transitions: Vec<ZoneTransition>,
    /// Hectares missing (nodata) in either date.
    pub missing_hectares: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZonesReport {
    pub before: PathBuf,
    pub after: PathBuf,
    pub crs: String,
    pub aligned: Option<Resampling>,
    pub rule: Rule,
    pub zones: Zones,
    pub matrices: Vec<ZoneMatrix>,
    pub outside: usize,
    pub km2: f64,
}

/// The two bands on one grid (the second warped when asked).
fn pair(s: &Settings) -> Result<(Band, Band, bool)> {
    let before = open(&s.before, &s.band)?;
    let mut after = open(&s.after, &s.band)?;
    let diff = after.grid.differences(&before.grid);
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
            Some(r) => after = after.onto(&before.grid, r, &s.tmp)?,
        }
    }
    Ok((before, after, !diff.is_empty()))
}

/// The from–to matrix of each polygon.
pub fn run_zones(
    s: &Settings,
    zones: &ZoneSource,
    rule: Rule,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ZonesReport> {
    blocks::limit_gdal_cache(s.memory);
    let (before, after, aligned) = pair(s)?;
    let g = before.grid.clone();
    let z = zones.read(&g)?;
    let row_areas = g.row_areas(s.area)?;
    let placed = zonal::place(&z, &g)?;
    zones.require_reach(&z, &placed, &g)?;
    let jobs = zonal::jobs(&placed, 24, s.memory)?;
    type Row = (BTreeMap<(i64, i64), (f64, f64)>, f64);
    let mut acc: Vec<Row> = (0..placed.len()).map(|_| (BTreeMap::new(), 0.0)).collect();
    zonal::run_jobs(
        &jobs,
        progress,
        |job| {
            let p = placed[job.zone].as_ref().expect("jobs are of placed zones");
            let w = p.window;
            let (mut b, mut a, mut wt) = (vec![], vec![], vec![]);
            before.with_dataset(|ds| {
                before.read_window(ds, (w.col0, job.row0), (w.cols, job.rows), &mut b)
            })?;
            after.with_dataset(|ds| {
                after.read_window(ds, (w.col0, job.row0), (w.cols, job.rows), &mut a)
            })?;
            zonal::weights(p, rule, job, &mut wt);
            let rows: Vec<Row> = (0..job.rows)
                .map(|r| {
                    let area = row_areas[job.row0 + r];
                    let mut map = BTreeMap::new();
                    let mut missing = 0.0;
                    for i in r * w.cols..(r + 1) * w.cols {
                        if wt[i] <= 0.0 {
                            continue;
                        }
                        if b[i].is_nan() || a[i].is_nan() {
                            missing += wt[i] * area;
                            continue;
                        }
                        let e = map.entry((b[i] as i64, a[i] as i64)).or_insert((0.0, 0.0));
                        e.0 += wt[i];
                        e.1 += wt[i] * area;
                    }
                    (map, missing)
                })
                .collect();
            Ok(rows)
        },
        |job, rows| {
            let (map, missing) = &mut acc[job.zone];
            for (m, miss) in rows {
                for (k, (w, a)) in m {
                    let e = map.entry(k).or_insert((0.0, 0.0));
                    e.0 += w;
                    e.1 += a;
                }
                *missing += miss;
            }
            Ok(())
        },
    )?;
    let matrices: Vec<ZoneMatrix> = acc
        .into_iter()
        .zip(&placed)
        .zip(&z.zones)
        .map(|(((map, missing), p), zone)| ZoneMatrix {
            outside: zonal::outside(zone, p),
            transitions: map
                .into_iter()
                .map(|((from, to), (weight, a))| ZoneTransition {
                    from,
                    to,
                    weight,
                    hectares: a / 1e4,
                })
                .collect(),
            missing_hectares: missing / 1e4,
        })
        .collect();
    let km2 = zonal::windows_km2(&placed, &row_areas);
    Ok(ZonesReport {
        before: s.before.clone(),
        after: s.after.clone(),
        crs: g.crs_name(),
        aligned: if aligned { s.align } else { None },
        rule,
        outside: matrices.iter().filter(|m| m.outside).count(),
        zones: z,
        matrices,
        km2,
    })
}

/// Computes the from–to matrix.
pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    blocks::limit_gdal_cache(s.memory);
    let (before, after, aligned) = pair(s)?;
    let g = before.grid.clone();
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
        aligned: if aligned { s.align } else { None },
        transitions,
        missing_before: missing[0],
        missing_after: missing[1],
        missing_both: missing[2],
        km2: row_areas.iter().sum::<f64>() * w as f64 / 1e6,
        frame_before: before.frame()?,
        frame_after: after.frame()?,
    })
}
