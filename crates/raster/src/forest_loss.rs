//! Forest area, loss and gross emissions per polygon and year from Hansen Global Forest
//! Change layers (tree cover 2000, loss year) and optionally Global Forest Watch's gross
//! emissions layer, by the rules of mapme.biodiversity's `treecover_area` and
//! `treecoverloss_emissions` indicators (GFC-2023 generation, mapme 0.9.x):
//!
//! 1. A cell is forest in 2000 when its canopy cover is **greater than** `min_cover` percent
//!    (a cover equal to the threshold is not forest; 100 is). Tree-cover nodata is not forest.
//! 2. Only cells the polygon reaches take part: coverage fraction > 0 (or, with the
//!    cell-centre rule, cells whose centre is inside, weight 1).
//! 3. A cell's area is its weight × its true area (by default on the sphere of radius
//!    6,378,137 m, as mapme through exactextractr; or on the ellipsoid).
//! 4. Forest cells form patches by **4-connectivity**, built once on the 2000 forest inside
//!    the polygon (cells outside it or outside the raster cut patches). A patch's size is the
//!    sum of its cells' areas in the polygon; patches **larger than** `min_patch` are kept,
//!    the others are not forest in any year (`min_patch` 0 keeps every patch).
//! 5. Loss-year value v (1…) is loss in year 2000 + v; 0 and nodata are no loss. Loss in a
//!    year is the area of kept forest cells lost that year; forest in year y is the 2000
//!    forest minus the loss of 2001…y (loss in 2000 is 0).
//! 6. Emissions in a year are the sum of the emissions layer (Mg CO2e per cell) over the kept
//!    forest cells lost that year, **not weighted** by coverage (as mapme); NaN and nodata
//!    cells add nothing.
//!
//! Two passes per zone, each over strips of its window in parallel: the first labels the
//! forest patches row by row (union–find; a label per window cell, 4 bytes) and sums their
//! areas; the second sums each row's forest, loss and emissions by loss year, with the kept
//! patches. Sums are kept per row and merged in row order, and labels are given in row
//! order, so the results do not depend on strip height or thread count.

use std::path::PathBuf;

use serde::Serialize;

use crate::grid::{AreaMethod, Grid};
use crate::read::{Band, BandSel, BandSpec};
use crate::zonal::{self, Rule, ZoneSource};
use crate::zones::Zones;
use crate::{RasterError, Result};

#[derive(Debug, Clone)]
pub struct Settings {
    pub treecover: PathBuf,
    pub lossyear: PathBuf,
    pub emissions: Option<PathBuf>,
    pub zones: ZoneSource,
    /// Canopy threshold, percent (forest when cover > min_cover).
    pub min_cover: f64,
    /// Minimum patch size, m² (patches larger are kept; 0 keeps all).
    pub min_patch_m2: f64,
    /// First and last year reported (from 2000).
    pub years: (i32, i32),
    pub rule: Rule,
    pub area: AreaMethod,
    pub memory: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Year {
    pub year: i32,
    pub forest_ha: f64,
    pub loss_ha: f64,
    /// Mg CO2e (when an emissions layer is given).
    pub emissions_mg: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneLoss {
    pub outside: bool,
    /// Forest patches in the polygon in 2000, and those kept by the size rule.
    pub patches: u64,
    pub patches_kept: u64,
    /// Forest in 2000 before the size rule, ha.
    pub forest_2000_unfiltered_ha: f64,
    /// Area of the cells the polygon reaches, ha; and of those with no tree-cover value.
    pub zone_ha: f64,
    pub missing_treecover_ha: f64,
    pub years: Vec<Year>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub treecover: PathBuf,
    pub lossyear: PathBuf,
    pub emissions: Option<PathBuf>,
    pub crs: String,
    pub min_cover: f64,
    pub min_patch_ha: f64,
    pub rule: Rule,
    pub area: AreaMethod,
    pub rules: Vec<String>,
    pub zones: Zones,
    pub results: Vec<ZoneLoss>,
    pub outside: usize,
    pub km2: f64,
}

/// The rules applied, in words (for reports).
pub fn rules(s: &Settings) -> Vec<String> {
    vec![
        format!("forest in 2000: canopy cover > {} %", s.min_cover),
        match s.rule {
            Rule::Exact => "cells with any part in the polygon, weighted by the part's area".into(),
            Rule::Centre => "cells whose centre is in the polygon, whole".into(),
        },
        "patches of 4-connected forest cells in the polygon (2000)".into(),
        if s.min_patch_m2 > 0.0 {
            format!("patches larger than {} ha kept", s.min_patch_m2 / 1e4)
        } else {
            "every patch kept".into()
        },
        "loss year v = loss in 2000 + v; forest(y) = forest(2000) − loss 2001…y".into(),
        "emissions: the layer's Mg CO2e summed over lost kept-forest cells, unweighted".into(),
        match s.area {
            AreaMethod::Sphere => "cell areas on the sphere of radius 6,378,137 m".into(),
            AreaMethod::Ellipsoid => "cell areas on the ellipsoid".into(),
        },
    ]
}

fn open(path: &PathBuf, what: &str, integer: bool) -> Result<Band> {
    let b = Band::open(&BandSpec::new(path, BandSel::Index(1)))?;
    if integer {
        b.require_integer(what)
    } else {
        Ok(b)
    }
}

fn same_grid(b: &Band, reference: &Band) -> Result<()> {
    let d = b.grid.differences(&reference.grid);
    if d.is_empty() {
        return Ok(());
    }
    Err(RasterError::Input {
        path: b.source.display().to_string(),
        message: format!(
            "not on the grid of {}: {}",
            reference.source.display(),
            d.join("; ")
        ),
    })
}

/// Union–find with path halving.
fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        parent[x as usize] = parent[parent[x as usize] as usize];
        x = parent[x as usize];
    }
    x
}

/// Patch labels of one zone's window.
struct Patches {
    cols: usize,
    /// Per window cell: 0 (not forest) or a provisional label.
    labels: Vec<u32>,
    parent: Vec<u32>,
    /// Area (m²) summed per provisional label.
    area: Vec<f64>,
}

impl Patches {
    fn new(cols: usize, rows: usize) -> Patches {
        Patches {
            cols,
            labels: vec![0; cols * rows],
            parent: vec![0],
            area: vec![0.0],
        }
    }

    /// Labels window row `r` given its forest cells' areas (`None`: not forest).
    fn row(&mut self, r: usize, cells: &[Option<f64>]) {
        let cols = self.cols;
        for (c, cell) in cells.iter().enumerate() {
            let Some(a) = *cell else { continue };
            let up = if r > 0 {
                self.labels[(r - 1) * cols + c]
            } else {
                0
            };
            let left = if c > 0 {
                self.labels[r * cols + c - 1]
            } else {
                0
            };
            let l = match (up, left) {
                (0, 0) => {
                    let l = self.parent.len() as u32;
                    self.parent.push(l);
                    self.area.push(0.0);
                    l
                }
                (u, 0) => u,
                (0, l) => l,
                (u, l) => {
                    let (ru, rl) = (find(&mut self.parent, u), find(&mut self.parent, l));
                    if ru != rl {
                        let (lo, hi) = (ru.min(rl), ru.max(rl));
                        self.parent[hi as usize] = lo;
                    }
                    l
                }
            };
            self.labels[r * cols + c] = l;
            self.area[l as usize] += a;
        }
    }

    /// Which provisional labels belong to kept patches; the number of patches and of kept
    /// ones; the unfiltered forest area (m²).
    fn keep(&mut self, min_patch_m2: f64) -> (Vec<bool>, u64, u64, f64) {
        let n = self.parent.len();
        let mut size = vec![0.0; n];
        for l in 1..n {
            let root = find(&mut self.parent, l as u32) as usize;
            size[root] += self.area[l];
        }
        let mut patches = 0;
        let mut kept_n = 0;
        let mut total = 0.0;
        let mut kept_root = vec![false; n];
        for l in 1..n {
            if self.parent[l] == l as u32 {
                patches += 1;
                total += size[l];
                if min_patch_m2 <= 0.0 || size[l] > min_patch_m2 {
                    kept_root[l] = true;
                    kept_n += 1;
                }
            }
        }
        let kept = (0..n)
            .map(|l| l > 0 && kept_root[find(&mut self.parent, l as u32) as usize])
            .collect();
        (kept, patches, kept_n, total)
    }
}

/// One row's sums in the second pass.
#[derive(Clone)]
struct RowSums {
    forest: f64,
    zone: f64,
    missing: f64,
    /// By loss-year value 0…255: area (m²) and emissions.
    loss: Vec<f64>,
    emissions: Vec<f64>,
}

impl RowSums {
    fn new() -> RowSums {
        RowSums {
            forest: 0.0,
            zone: 0.0,
            missing: 0.0,
            loss: vec![0.0; 256],
            emissions: vec![0.0; 256],
        }
    }

    fn merge(&mut self, o: &RowSums) {
        self.forest += o.forest;
        self.zone += o.zone;
        self.missing += o.missing;
        for (a, b) in self.loss.iter_mut().zip(&o.loss) {
            *a += b;
        }
        for (a, b) in self.emissions.iter_mut().zip(&o.emissions) {
            *a += b;
        }
    }
}

/// Forest, loss and emissions per zone and year.
pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    crate::blocks::limit_gdal_cache(s.memory);
    if s.years.0 < 2000 || s.years.1 < s.years.0 || s.years.1 > 2000 + 255 {
        return Err(RasterError::Invalid(format!(
            "years {}–{}: the range must start in 2000 or later and not run backwards",
            s.years.0, s.years.1
        )));
    }
    if !(0.0..=100.0).contains(&s.min_cover) {
        return Err(RasterError::Invalid(format!(
            "min cover {} %: expected 0–100",
            s.min_cover
        )));
    }
    let tc = open(&s.treecover, "tree cover", true)?;
    let ly = open(&s.lossyear, "loss years", true)?;
    same_grid(&ly, &tc)?;
    let em = match &s.emissions {
        Some(p) => {
            let b = open(p, "emissions", false)?;
            same_grid(&b, &tc)?;
            Some(b)
        }
        None => None,
    };
    let grid: Grid = tc.grid.clone();
    let zones = s.zones.read(&grid)?;
    let row_areas = grid.row_areas(s.area)?;
    let placed = zonal::place(&zones, &grid)?;
    // per window cell: the label (4 B) for the whole window, and strips of values
    for (i, p) in placed.iter().enumerate() {
        if let Some(p) = p {
            let need = (p.window.cols * p.window.rows) as u64 * 4;
            if need > s.memory / 2 {
                return Err(RasterError::Invalid(format!(
                    "zone #{} spans {} × {} cells: its patch labels need {need} bytes, more than \
                     half the memory budget; raise --memory",
                    i + 1,
                    p.window.cols,
                    p.window.rows
                )));
            }
        }
    }
    let jobs = zonal::jobs(&placed, 40, s.memory / 2)?;
    let total_rows: u64 = 2 * jobs.iter().map(|j| j.rows as u64).sum::<u64>();
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = |n: usize| {
        let d = done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
        progress(d, total_rows);
    };
    let mut results = vec![];
    let mut k = 0;
    for (zi, p) in placed.iter().enumerate() {
        let Some(p) = p else {
            results.push(ZoneLoss {
                outside: zonal::outside(&zones.zones[zi], &None),
                patches: 0,
                patches_kept: 0,
                forest_2000_unfiltered_ha: 0.0,
                zone_ha: 0.0,
                missing_treecover_ha: 0.0,
                years: (s.years.0..=s.years.1)
                    .map(|year| Year {
                        year,
                        forest_ha: 0.0,
                        loss_ha: 0.0,
                        emissions_mg: em.as_ref().map(|_| 0.0),
                    })
                    .collect(),
            });
            continue;
        };
        let start = k;
        while k < jobs.len() && jobs[k].zone == zi {
            k += 1;
        }
        let zjobs = &jobs[start..k];
        let w = p.window;
        // pass 1: forest cells (with their areas), labelled row by row
        let mut patches = Patches::new(w.cols, w.rows);
        zonal::run_jobs(
            zjobs,
            &|_, _| {},
            |job| {
                let (mut cover, mut wt) = (vec![], vec![]);
                tc.with_dataset(|ds| {
                    tc.read_window(ds, (w.col0, job.row0), (w.cols, job.rows), &mut cover)
                })?;
                zonal::weights(p, s.rule, job, &mut wt);
                let cells: Vec<Option<f64>> = (0..job.rows * w.cols)
                    .map(|i| {
                        let a = row_areas[job.row0 + i / w.cols];
                        let (x, wi) = (cover[i], wt[i]);
                        (wi > 0.0 && !x.is_nan() && x > s.min_cover).then_some(wi * a)
                    })
                    .collect();
                tick(job.rows);
                Ok(cells)
            },
            |job, cells| {
                for r in 0..job.rows {
                    patches.row(job.row0 - w.row0 + r, &cells[r * w.cols..(r + 1) * w.cols]);
                }
                Ok(())
            },
        )?;
        let (kept, n_patches, n_kept, unfiltered) = patches.keep(s.min_patch_m2);
        let labels = &patches.labels;
        // pass 2: sums per row of kept forest, loss and emissions by loss year
        let mut sums = RowSums::new();
        zonal::run_jobs(
            zjobs,
            &|_, _| {},
            |job| {
                let (mut cover, mut loss, mut emis, mut wt) = (vec![], vec![], vec![], vec![]);
                tc.with_dataset(|ds| {
                    tc.read_window(ds, (w.col0, job.row0), (w.cols, job.rows), &mut cover)
                })?;
                ly.with_dataset(|ds| {
                    ly.read_window(ds, (w.col0, job.row0), (w.cols, job.rows), &mut loss)
                })?;
                if let Some(em) = &em {
                    em.with_dataset(|ds| {
                        em.read_window(ds, (w.col0, job.row0), (w.cols, job.rows), &mut emis)
                    })?;
                }
                zonal::weights(p, s.rule, job, &mut wt);
                let base = (job.row0 - w.row0) * w.cols;
                let rows: Vec<RowSums> = (0..job.rows)
                    .map(|r| {
                        let mut rs = RowSums::new();
                        let a = row_areas[job.row0 + r];
                        for c in 0..w.cols {
                            let i = r * w.cols + c;
                            if wt[i] <= 0.0 {
                                continue;
                            }
                            let area = wt[i] * a;
                            rs.zone += area;
                            if cover[i].is_nan() {
                                rs.missing += area;
                            }
                            if !kept[labels[base + i] as usize] {
                                continue;
                            }
                            rs.forest += area;
                            let v = loss[i];
                            if !(1.0..=255.0).contains(&v) {
                                continue;
                            }
                            let v = v as usize;
                            rs.loss[v] += area;
                            if let Some(e) = emis.get(i)
                                && !e.is_nan()
                            {
                                rs.emissions[v] += e;
                            }
                        }
                        rs
                    })
                    .collect();
                tick(job.rows);
                Ok(rows)
            },
            |_, rows| {
                for r in &rows {
                    sums.merge(r);
                }
                Ok(())
            },
        )?;
        let years = (s.years.0..=s.years.1)
            .map(|year| {
                let v = (year - 2000) as usize;
                let lost: f64 = sums.loss[1..=v].iter().sum();
                let (loss, emis) = if v == 0 {
                    (0.0, 0.0)
                } else {
                    (sums.loss[v], sums.emissions[v])
                };
                Year {
                    year,
                    forest_ha: (sums.forest - lost) / 1e4,
                    loss_ha: loss / 1e4,
                    emissions_mg: em.as_ref().map(|_| emis),
                }
            })
            .collect();
        results.push(ZoneLoss {
            outside: false,
            patches: n_patches,
            patches_kept: n_kept,
            forest_2000_unfiltered_ha: unfiltered / 1e4,
            zone_ha: sums.zone / 1e4,
            missing_treecover_ha: sums.missing / 1e4,
            years,
        });
    }
    let km2 = zonal::windows_km2(&placed, &row_areas);
    Ok(Report {
        treecover: s.treecover.clone(),
        lossyear: s.lossyear.clone(),
        emissions: s.emissions.clone(),
        crs: grid.crs_name(),
        min_cover: s.min_cover,
        min_patch_ha: s.min_patch_m2 / 1e4,
        rule: s.rule,
        area: s.area,
        rules: rules(s),
        outside: results.iter().filter(|r| r.outside).count(),
        zones,
        results,
        km2,
    })
}
