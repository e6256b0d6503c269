//! Moving-window landscape metrics: for every cell, a metric of the square window centred on
//! it, written as a raster per metric (as FRAGSTATS' and landscapemetrics' moving windows).
//!
//! The window is `k` cells across, k the odd number of cells nearest to the window's width
//! in metres over the cell size (an even count is rounded up: a window must have a centre),
//! separately along rows and columns for non-square cells. At the raster's borders the
//! window is clipped (cells beyond the raster do not exist); nodata cells in the window are
//! not landscape. A cell that is itself nodata gets no value (NaN).
//!
//! Metrics, with the landscape-level definitions of [`crate::landscape`] applied to the
//! window (edges between two cells of the window with different classes; edges against
//! nodata and the window's border are not counted):
//! - `shdi`: −Σ pᵢ ln pᵢ, pᵢ the share of the window's valid cells in class i;
//! - `shei`: shdi / ln m, m the classes present (0 when m ≤ 1);
//! - `te` (m), `ed` (m/ha: te over the valid area);
//! - `pland:<class>`: % of the valid cells in the class;
//! - `richness`: the number of classes present;
//! - patch metrics of the window's landscape, patches of one class 8- (or 4-) connected
//!   within the window: `np`, `pd` (patches per 100 ha), `lpi` (largest patch, % of the
//!   valid area), `area_mn` (ha), `mesh` (effective mesh size, Σ patch area² / valid area,
//!   ha).
//!
//! Counts come from summed-area tables over the strip and its halo (k/2 rows above and
//! below), so each value is an integer count, the same for any strip height or thread
//! count, and their cost is independent of the window size. Patch metrics label each
//! window anew (union–find over its k² cells): their cost grows with the window's area.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::blocks;
use crate::landscape::{Nodata, open_class_map};
use crate::read::{BandSel, Frame};
use crate::sieve::Connectivity;
use crate::write::{OutputSpec, Writer};
use crate::{RasterError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Shdi,
    Shei,
    Te,
    Ed,
    Pland(i64),
    Richness,
    Np,
    Pd,
    Lpi,
    AreaMn,
    Mesh,
}

impl std::str::FromStr for Metric {
    type Err = crate::ParseError;

    /// `shdi`, `shei`, `te`, `ed`, `richness` (`pr`), `pland:CLASS`, `np`, `pd`, `lpi`,
    /// `area_mn` or `mesh`, in any case.
    fn from_str(s: &str) -> std::result::Result<Metric, crate::ParseError> {
        Metric::parse(s).ok_or_else(|| {
            crate::ParseError::expected(
                "one of shdi, shei, te, ed, richness, pland:CLASS, np, pd, lpi, area_mn, mesh",
            )
        })
    }
}

impl Metric {
    fn parse(s: &str) -> Option<Metric> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "shdi" => Metric::Shdi,
            "shei" => Metric::Shei,
            "te" => Metric::Te,
            "ed" => Metric::Ed,
            "richness" | "pr" => Metric::Richness,
            "np" => Metric::Np,
            "pd" => Metric::Pd,
            "lpi" => Metric::Lpi,
            "area_mn" => Metric::AreaMn,
            "mesh" => Metric::Mesh,
            _ => Metric::Pland(s.strip_prefix("pland:")?.parse().ok()?),
        })
    }

    /// The name used for its file (`pland_3` for `pland:3`).
    pub fn name(&self) -> String {
        match self {
            Metric::Shdi => "shdi".into(),
            Metric::Shei => "shei".into(),
            Metric::Te => "te".into(),
            Metric::Ed => "ed".into(),
            Metric::Pland(c) => format!("pland_{c}"),
            Metric::Richness => "richness".into(),
            Metric::Np => "np".into(),
            Metric::Pd => "pd".into(),
            Metric::Lpi => "lpi".into(),
            Metric::AreaMn => "area_mn".into(),
            Metric::Mesh => "mesh".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub input: PathBuf,
    pub band: BandSel,
    pub nodata: Nodata,
    /// Patch connectivity of the patch metrics (np, pd, lpi, area_mn, mesh).
    pub connectivity: Connectivity,
    /// Window width in metres.
    pub window_m: f64,
    pub metrics: Vec<Metric>,
    /// One output per metric (same order).
    pub outputs: Vec<OutputSpec>,
    pub memory: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub input: PathBuf,
    pub width: usize,
    pub height: usize,
    /// Window size in cells (columns, rows) and metres.
    pub window_cells: (usize, usize),
    pub window_m: (f64, f64),
    pub classes: Vec<i64>,
    pub nodata: Option<f64>,
    pub nodata_cells: u64,
    pub outputs: Vec<PathBuf>,
    pub km2: f64,
    /// A fill-like class that surrounds the map, where neither the file nor `--nodata`
    /// names a nodata value (its windows are measured as a class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<Frame>,
}

/// The odd number of cells nearest `len / cell` (even counts rounded up), at least 1.
pub fn cells_across(len: f64, cell: f64) -> usize {
    let k = (len / cell).round().max(1.0) as usize;
    if k.is_multiple_of(2) { k + 1 } else { k }
}

/// Summed-area table of a `rows` × `cols` indicator into `t` ((rows+1) × (cols+1)).
fn table(rows: usize, cols: usize, t: &mut Vec<u32>, ind: impl Fn(usize, usize) -> bool) {
    t.clear();
    t.resize((rows + 1) * (cols + 1), 0);
    let w = cols + 1;
    for r in 0..rows {
        let mut run = 0u32;
        for c in 0..cols {
            run += ind(r, c) as u32;
            t[(r + 1) * w + c + 1] = t[r * w + c + 1] + run;
        }
    }
}

/// Σ of the indicator over rows `[r0, r1)`, columns `[c0, c1)` (empty ranges give 0).
#[inline]
fn boxsum(t: &[u32], cols: usize, r0: usize, r1: usize, c0: usize, c1: usize) -> u32 {
    if r1 <= r0 || c1 <= c0 {
        return 0;
    }
    let w = cols + 1;
    t[r1 * w + c1] + t[r0 * w + c0] - t[r0 * w + c1] - t[r1 * w + c0]
}

/// Patches of the window `idx[q0..q1, c0..c1]` (row length `w`; 255 is nodata): their
/// number, the largest, and Σ size², in cells. `parent` and `size` are reused buffers.
#[allow(clippy::too_many_arguments)]
fn window_patches(
    idx: &[u8],
    w: usize,
    (q0, q1, c0, c1): (usize, usize, usize, usize),
    eight: bool,
    lab: &mut Vec<u32>,
    parent: &mut Vec<u32>,
    size: &mut Vec<u64>,
) -> (u64, u64, u64) {
    let cw = c1 - c0;
    lab.clear();
    lab.resize((q1 - q0) * cw, u32::MAX);
    parent.clear();
    fn root(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for r in 0..q1 - q0 {
        for c in 0..cw {
            let v = idx[(q0 + r) * w + c0 + c];
            if v == 255 {
                continue;
            }
            let mut l = u32::MAX;
            let join = |l: &mut u32, other: u32, parent: &mut Vec<u32>| {
                if other == u32::MAX {
                    return;
                }
                if *l == u32::MAX {
                    *l = other;
                } else {
                    let (a, b) = (root(parent, *l), root(parent, other));
                    if a != b {
                        parent[a.max(b) as usize] = a.min(b);
                    }
                }
            };
            let same = |rr: usize, cc: usize| idx[(q0 + rr) * w + c0 + cc] == v;
            if c > 0 && same(r, c - 1) {
                join(&mut l, lab[r * cw + c - 1], parent);
            }
            if r > 0 {
                if same(r - 1, c) {
                    join(&mut l, lab[(r - 1) * cw + c], parent);
                }
                if eight && c > 0 && same(r - 1, c - 1) {
                    join(&mut l, lab[(r - 1) * cw + c - 1], parent);
                }
                if eight && c + 1 < cw && same(r - 1, c + 1) {
                    join(&mut l, lab[(r - 1) * cw + c + 1], parent);
                }
            }
            if l == u32::MAX {
                l = parent.len() as u32;
                parent.push(l);
            }
            lab[r * cw + c] = l;
        }
    }
    size.clear();
    size.resize(parent.len(), 0);
    for &l in lab.iter() {
        if l != u32::MAX {
            let r = root(parent, l);
            size[r as usize] += 1;
        }
    }
    let (mut n, mut big, mut sq) = (0, 0, 0);
    for &k in size.iter() {
        if k > 0 {
            n += 1;
            big = big.max(k);
            sq += k * k;
        }
    }
    (n, big, sq)
}

pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    blocks::limit_gdal_cache(s.memory);
    if s.metrics.is_empty() || s.metrics.len() != s.outputs.len() {
        return Err(RasterError::Invalid(
            "no moving-window metric asked for".into(),
        ));
    }
    let band = open_class_map(&s.input, &s.band, s.nodata)?;
    let frame = match s.nodata {
        Nodata::Band => band.frame()?,
        _ => None,
    };
    let g = band.grid.clone();
    let (w, h) = (g.width, g.height);
    let input_err = |m: &str| RasterError::Input {
        path: s.input.display().to_string(),
        message: m.into(),
    };
    // in metres: a CRS in feet (US State Plane) had its 100 ft cells read as 100 m
    let (cw, ch) = g
        .pixel_metres()
        .unwrap_or((g.transform[1].abs(), g.transform[5].abs()));
    if s.window_m.is_nan() || s.window_m <= 0.0 {
        return Err(RasterError::Invalid(
            "the window must be wider than zero".into(),
        ));
    }
    let (kx, ky) = (cells_across(s.window_m, cw), cells_across(s.window_m, ch));
    let (hx, hy) = (kx / 2, ky / 2);
    // pass 1: the classes present
    let rows = blocks::strip_rows(
        h,
        w,
        16,
        band.block_rows,
        blocks::strip_budget(s.memory),
        rayon::current_num_threads(),
    )?;
    let mut classes = BTreeSet::new();
    let mut nodata_cells = 0u64;
    blocks::run(
        h,
        rows,
        |r0, n| {
            let mut codes = vec![];
            band.with_dataset(|ds| band.read_codes(ds, r0, n, &mut codes))?;
            let mut set = BTreeSet::new();
            let mut miss = 0u64;
            for c in codes {
                match c {
                    Some(v) => {
                        set.insert(v);
                    }
                    None => miss += 1,
                }
            }
            Ok((set, miss))
        },
        |_, _, (set, miss)| {
            classes.extend(set);
            nodata_cells += miss;
            if classes.len() > 250 {
                return Err(input_err(
                    "has more than 250 classes: not a class map for moving windows",
                ));
            }
            Ok(())
        },
    )?;
    let classes: Vec<i64> = classes.into_iter().collect();
    for m in &s.metrics {
        if let Metric::Pland(c) = m
            && !classes.contains(c)
        {
            return Err(input_err(&format!(
                "has no class {c} (classes: {})",
                classes
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let need_all = s
        .metrics
        .iter()
        .any(|m| matches!(m, Metric::Shdi | Metric::Shei | Metric::Richness));
    let need_edges = s
        .metrics
        .iter()
        .any(|m| matches!(m, Metric::Te | Metric::Ed));
    let need_patches = s.metrics.iter().any(|m| {
        matches!(
            m,
            Metric::Np | Metric::Pd | Metric::Lpi | Metric::AreaMn | Metric::Mesh
        )
    });
    // pass 2: strips with their halo
    let per_cell = 4 * s.metrics.len() + 4 * 3 + 1 + 8 * 3;
    let budget = blocks::strip_budget(s.memory);
    let rows = blocks::strip_rows(
        h,
        w,
        per_cell,
        band.block_rows,
        budget,
        rayon::current_num_threads(),
    )?
    .max(1);
    let (rows, tile) = blocks::tiles_for(rows, w, 4 * s.metrics.len(), s.memory / 4);
    let mut writers = s
        .outputs
        .iter()
        .zip(&s.metrics)
        .map(|(o, m)| Writer::create::<f32>(o, &g, &[&m.name()], Some(f64::NAN), tile))
        .collect::<Result<Vec<_>>>()?;
    let cell_area = cw * ch * 1.0;
    let done = std::sync::atomic::AtomicU64::new(0);
    blocks::run(
        h,
        rows,
        |r0, n| {
            let a = r0.saturating_sub(hy);
            let b = (r0 + n + hy).min(h);
            let mut codes = vec![];
            band.with_dataset(|ds| band.read_codes(ds, a, b - a, &mut codes))?;
            let idx: Vec<u8> = codes
                .iter()
                .map(|c| match c {
                    Some(v) => classes.binary_search(v).map_or(255, |i| i as u8),
                    None => 255,
                })
                .collect();
            let rr = b - a;
            let at = |r: usize, c: usize| idx[r * w + c];
            let mut t = vec![];
            table(rr, w, &mut t, |r, c| at(r, c) != 255);
            let window = |i: usize, c: usize| {
                // rows/cols of the window of output row i (absolute r0 + i), column c, in
                // the strip's coordinates
                let r = r0 + i;
                let (q0, q1) = (r.saturating_sub(hy) - a, (r + hy + 1).min(h) - a);
                let (c0, c1) = (c.saturating_sub(hx), (c + hx + 1).min(w));
                (q0, q1, c0, c1)
            };
            let cells = n * w;
            let mut valid = vec![0u32; cells];
            for i in 0..n {
                for c in 0..w {
                    let (q0, q1, c0, c1) = window(i, c);
                    valid[i * w + c] = boxsum(&t, w, q0, q1, c0, c1);
                }
            }
            let mut shdi = vec![0f64; if need_all { cells } else { 0 }];
            let mut rich = vec![0u32; if need_all { cells } else { 0 }];
            let mut pland: Vec<Vec<f32>> = vec![];
            for (k, class) in classes.iter().enumerate() {
                let wanted = s.metrics.contains(&Metric::Pland(*class));
                if !need_all && !wanted {
                    continue;
                }
                table(rr, w, &mut t, |r, c| at(r, c) == k as u8);
                let mut pl = vec![0f32; if wanted { cells } else { 0 }];
                for i in 0..n {
                    for c in 0..w {
                        let (q0, q1, c0, c1) = window(i, c);
                        let v = valid[i * w + c];
                        if v == 0 {
                            continue;
                        }
                        let cnt = boxsum(&t, w, q0, q1, c0, c1);
                        if cnt == 0 {
                            continue;
                        }
                        let p = cnt as f64 / v as f64;
                        if need_all {
                            shdi[i * w + c] -= p * p.ln();
                            rich[i * w + c] += 1;
                        }
                        if wanted {
                            pl[i * w + c] = (100.0 * p) as f32;
                        }
                    }
                }
                if wanted {
                    pland.push(pl);
                }
            }
            let mut te = vec![0f64; if need_edges { cells } else { 0 }];
            if need_edges {
                // a horizontal pair (c, c+1) lies in a window spanning columns c0..c1 when
                // c0 <= c and c + 1 < c1; a vertical pair (r, r+1) likewise in rows
                table(rr, w.saturating_sub(1), &mut t, |r, c| {
                    let (x, y) = (at(r, c), at(r, c + 1));
                    x != 255 && y != 255 && x != y
                });
                for i in 0..n {
                    for c in 0..w {
                        let (q0, q1, c0, c1) = window(i, c);
                        te[i * w + c] +=
                            boxsum(&t, w.saturating_sub(1), q0, q1, c0, c1.saturating_sub(1))
                                as f64
                                * ch;
                    }
                }
                table(rr.saturating_sub(1), w, &mut t, |r, c| {
                    let (x, y) = (at(r, c), at(r + 1, c));
                    x != 255 && y != 255 && x != y
                });
                for i in 0..n {
                    for c in 0..w {
                        let (q0, q1, c0, c1) = window(i, c);
                        te[i * w + c] +=
                            boxsum(&t, w, q0, q1.saturating_sub(1), c0, c1) as f64 * cw;
                    }
                }
            }
            // patches: (number, largest, Σ size²) per cell
            let mut patches = vec![(0u64, 0u64, 0u64); if need_patches { cells } else { 0 }];
            if need_patches {
                let (mut lab, mut parent, mut size) = (vec![], vec![], vec![]);
                let eight = s.connectivity == Connectivity::Eight;
                for i in 0..n {
                    for c in 0..w {
                        if at(r0 + i - a, c) == 255 {
                            continue;
                        }
                        patches[i * w + c] = window_patches(
                            &idx,
                            w,
                            window(i, c),
                            eight,
                            &mut lab,
                            &mut parent,
                            &mut size,
                        );
                    }
                }
            }
            let centre_missing = |i: usize, c: usize| at(r0 + i - a, c) == 255;
            let mut outs = vec![];
            let mut pl_i = 0;
            for m in &s.metrics {
                let v: Vec<f32> = match m {
                    Metric::Pland(_) => {
                        let mut v = std::mem::take(&mut pland[pl_i]);
                        pl_i += 1;
                        for (i, x) in v.iter_mut().enumerate() {
                            if centre_missing(i / w, i % w) {
                                *x = f32::NAN;
                            }
                        }
                        v
                    }
                    _ => (0..cells)
                        .map(|i| {
                            if centre_missing(i / w, i % w) {
                                return f32::NAN;
                            }
                            (match m {
                                Metric::Shdi => shdi[i],
                                Metric::Shei => {
                                    if rich[i] > 1 {
                                        shdi[i] / (rich[i] as f64).ln()
                                    } else {
                                        0.0
                                    }
                                }
                                Metric::Richness => rich[i] as f64,
                                Metric::Te => te[i],
                                Metric::Ed => te[i] / (valid[i] as f64 * cell_area) * 1e4,
                                Metric::Np => patches[i].0 as f64,
                                Metric::Pd => {
                                    patches[i].0 as f64 / (valid[i] as f64 * cell_area) * 1e6
                                }
                                Metric::Lpi => 100.0 * patches[i].1 as f64 / valid[i] as f64,
                                Metric::AreaMn => {
                                    valid[i] as f64 * cell_area / patches[i].0 as f64 / 1e4
                                }
                                Metric::Mesh => {
                                    patches[i].2 as f64 * cell_area / valid[i] as f64 / 1e4
                                }
                                Metric::Pland(_) => unreachable!(),
                            }) as f32
                        })
                        .collect(),
                };
                outs.push(v);
            }
            let d = done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
            progress(d, h as u64);
            Ok(outs)
        },
        |r0, n, outs| {
            for (wr, v) in writers.iter_mut().zip(outs) {
                wr.write_rows(1, r0, n, v)?;
            }
            Ok(())
        },
    )?;
    for wr in writers {
        wr.finish()?;
    }
    Ok(Report {
        input: s.input.clone(),
        width: w,
        height: h,
        window_cells: (kx, ky),
        window_m: (kx as f64 * cw, ky as f64 * ch),
        classes,
        nodata: band.nodata,
        nodata_cells,
        outputs: s.outputs.iter().map(|o| o.path.clone()).collect(),
        km2: g.pixels() as f64 * cell_area / 1e6,
        frame,
    })
}
