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
//! One pass: the strips of every zone's window are read and weighed in parallel (across
//! zones too); each zone's rows are handed in order to a stream that labels the forest
//! patches row by row (union–find over the previous row's labels only) and decides a patch —
//! its forest, loss and emissions by loss year added to the totals when it is larger than
//! the minimum — as soon as a row no longer reaches it. Memory is a few words per column of
//! the window plus the strips in flight, whatever the polygon's size; the order of every sum
//! is fixed by the rows, so the results do not depend on strip height or thread count.

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

/// The years of a report: `FIRST-LAST`, e.g. 2000-2023.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Years {
    pub first: i32,
    pub last: i32,
}

impl std::str::FromStr for Years {
    type Err = crate::ParseError;

    fn from_str(s: &str) -> std::result::Result<Years, crate::ParseError> {
        let (p, q) = s
            .split_once('-')
            .ok_or_else(|| crate::ParseError::expected("FIRST-LAST, e.g. 2000-2023"))?;
        let year = |y: &str| {
            y.trim().parse::<i32>().map_err(|_| crate::ParseError {
                message: format!("'{y}' is not a year"),
            })
        };
        Ok(Years {
            first: year(p)?,
            last: year(q)?,
        })
    }
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

/// A forest cell of a row: its column in the window, area (m²), loss-year value (0: none)
/// and emissions (NaN: none).
#[derive(Debug, Clone, Copy)]
struct ForestCell {
    col: u32,
    area: f64,
    loss: u8,
    emissions: f64,
}

/// A patch being built: its area, and per loss-year value its lost area and emissions.
#[derive(Debug, Default)]
struct Patch {
    area: f64,
    lost: Vec<(u8, f64, f64)>,
}

impl Patch {
    fn add_lost(&mut self, v: u8, area: f64, emissions: f64) {
        match self.lost.iter_mut().find(|e| e.0 == v) {
            Some(e) => {
                e.1 += area;
                e.2 += emissions;
            }
            None => self.lost.push((v, area, emissions)),
        }
    }

    fn add(&mut self, c: &ForestCell) {
        self.area += c.area;
        if c.loss > 0 {
            let e = if c.emissions.is_nan() {
                0.0
            } else {
                c.emissions
            };
            self.add_lost(c.loss, c.area, e);
        }
    }

    fn absorb(&mut self, o: Patch) {
        self.area += o.area;
        for (v, a, e) in o.lost {
            self.add_lost(v, a, e);
        }
    }
}

const NONE: u32 = u32::MAX;

/// Forest patches streamed row by row (4-connectivity): only the previous row's labels are
/// kept; a patch is decided — kept when larger than the minimum, its forest, loss and
/// emissions then added to the totals — as soon as a row no longer reaches it. Memory is a
/// few words per column of the window, whatever its height.
struct Stream {
    prev: Vec<u32>,
    cur: Vec<u32>,
    parent: Vec<u32>,
    patches: Vec<Option<Patch>>,
    min_patch_m2: f64,
    /// Kept forest (m²), and per loss-year value lost area and emissions.
    forest: f64,
    loss: Vec<f64>,
    emissions: Vec<f64>,
    n_patches: u64,
    n_kept: u64,
    unfiltered: f64,
}

impl Stream {
    fn new(cols: usize, min_patch_m2: f64) -> Stream {
        Stream {
            prev: vec![NONE; cols],
            cur: vec![NONE; cols],
            parent: vec![],
            patches: vec![],
            min_patch_m2,
            forest: 0.0,
            loss: vec![0.0; 256],
            emissions: vec![0.0; 256],
            n_patches: 0,
            n_kept: 0,
            unfiltered: 0.0,
        }
    }

    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (ra, rb) = (find(&mut self.parent, a), find(&mut self.parent, b));
        if ra == rb {
            return ra;
        }
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        self.parent[hi as usize] = lo;
        let p = self.patches[hi as usize]
            .take()
            .expect("a root has its patch");
        self.patches[lo as usize]
            .as_mut()
            .expect("a root has its patch")
            .absorb(p);
        lo
    }

    fn decide(&mut self, p: Patch) {
        self.n_patches += 1;
        self.unfiltered += p.area;
        if self.min_patch_m2 <= 0.0 || p.area > self.min_patch_m2 {
            self.n_kept += 1;
            self.forest += p.area;
            for (v, a, e) in p.lost {
                self.loss[v as usize] += a;
                self.emissions[v as usize] += e;
            }
        }
    }

    /// The next row's forest cells (ascending columns).
    fn row(&mut self, cells: &[ForestCell]) {
        self.cur.fill(NONE);
        for cell in cells {
            let c = cell.col as usize;
            let up = self.prev[c];
            let left = if c > 0 { self.cur[c - 1] } else { NONE };
            let l = match (up, left) {
                (NONE, NONE) => {
                    let id = self.parent.len() as u32;
                    self.parent.push(id);
                    self.patches.push(Some(Patch::default()));
                    id
                }
                (u, NONE) => find(&mut self.parent, u),
                (NONE, l) => find(&mut self.parent, l),
                (u, l) => self.union(u, l),
            };
            self.cur[c] = l;
            self.patches[l as usize]
                .as_mut()
                .expect("a root has its patch")
                .add(cell);
        }
        // patches no cell of this row reaches are complete; the others are renumbered
        let n = self.parent.len();
        let mut map = vec![NONE; n];
        let mut next_parent = vec![];
        let mut next_patches = vec![];
        for k in 0..self.cur.len() {
            let l = self.cur[k];
            if l == NONE {
                continue;
            }
            let r = find(&mut self.parent, l) as usize;
            if map[r] == NONE {
                map[r] = next_parent.len() as u32;
                next_parent.push(map[r]);
                next_patches.push(self.patches[r].take());
            }
            self.cur[k] = map[r];
        }
        for id in 0..n {
            if let Some(p) = self.patches[id].take() {
                self.decide(p);
            }
        }
        self.parent = next_parent;
        self.patches = next_patches;
        std::mem::swap(&mut self.prev, &mut self.cur);
    }

    /// Decides the patches still open after the last row.
    fn finish(&mut self) {
        self.row(&[]);
    }
}

/// One row's cells for the stream, and its zone and missing areas (m²).
struct Row {
    cells: Vec<ForestCell>,
    zone: f64,
    missing: f64,
    /// Cells of the zone read, and those whose loss year is after [`LATEST_LOSS`].
    read: usize,
    late: usize,
    /// Cells whose loss year reads as a calendar year (2001–2100).
    calendar: usize,
    /// Cells with a canopy value, those of exactly 1, those above 1 and those above 100.
    covered: usize,
    ones: usize,
    above_one: usize,
    above_100: usize,
}

/// The latest loss-year value a loss layer can hold (loss in 2050): a layer with many
/// larger values is another layer (the tree cover's canopy %, given as the loss years).
const LATEST_LOSS: f64 = 50.0;

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
    // a share given for a percentage: 0.3 would count every cell with a trace of canopy
    if s.min_cover > 0.0 && s.min_cover < 1.0 {
        return Err(RasterError::Invalid(format!(
            "min cover {} %: the threshold is a percentage of canopy cover (30 for 30 %), and Hansen's cover is whole percents, so this counts every cell with any canopy as forest; give {} for {} %, or 0 for any canopy",
            s.min_cover,
            s.min_cover * 100.0,
            s.min_cover * 100.0
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
    s.zones.require_reach(&zones, &placed, &grid)?;
    let jobs = zonal::jobs(&placed, 72, s.memory)?;
    let total_rows: u64 = jobs.iter().map(|j| j.rows as u64).sum::<u64>();
    let mut done = 0u64;
    let years_of = |st: &Stream| -> Vec<Year> {
        (s.years.0..=s.years.1)
            .map(|year| {
                let v = (year - 2000) as usize;
                let lost: f64 = st.loss[1..=v].iter().sum();
                let (loss, emis) = if v == 0 {
                    (0.0, 0.0)
                } else {
                    (st.loss[v], st.emissions[v])
                };
                Year {
                    year,
                    forest_ha: (st.forest - lost) / 1e4,
                    loss_ha: loss / 1e4,
                    emissions_mg: em.as_ref().map(|_| emis),
                }
            })
            .collect()
    };
    // zones reaching no cell; the others are filled as their strips are consumed
    let mut results: Vec<Option<ZoneLoss>> = placed
        .iter()
        .enumerate()
        .map(|(zi, p)| {
            p.is_none().then(|| ZoneLoss {
                outside: zonal::outside(&zones.zones[zi], &None),
                patches: 0,
                patches_kept: 0,
                forest_2000_unfiltered_ha: 0.0,
                zone_ha: 0.0,
                missing_treecover_ha: 0.0,
                years: years_of(&Stream::new(0, 0.0)),
            })
        })
        .collect();
    // strips of all zones run in parallel; each zone's rows reach its stream in order (a
    // zone's strips are consecutive jobs), one stream open at a time
    struct Open {
        zone: usize,
        stream: Stream,
        zone_m2: f64,
        missing_m2: f64,
    }
    let close = |mut o: Open| -> ZoneLoss {
        o.stream.finish();
        ZoneLoss {
            outside: false,
            patches: o.stream.n_patches,
            patches_kept: o.stream.n_kept,
            forest_2000_unfiltered_ha: o.stream.unfiltered / 1e4,
            zone_ha: o.zone_m2 / 1e4,
            missing_treecover_ha: o.missing_m2 / 1e4,
            years: years_of(&o.stream),
        }
    };
    let mut open: Option<Open> = None;
    let (mut read, mut late, mut calendar) = (0usize, 0usize, 0usize);
    let (mut covered, mut ones, mut above_one, mut above_100) = (0usize, 0usize, 0usize, 0usize);
    zonal::run_jobs(
        &jobs,
        &|_, _| {},
        |job| {
            let p = placed[job.zone].as_ref().expect("jobs are of placed zones");
            let w = p.window;
            let (mut cover, mut loss, mut emis, mut wt) = (vec![], vec![], vec![], vec![]);
            let (at, size) = ((w.col0, job.row0), (w.cols, job.rows));
            tc.with_dataset(|ds| tc.read_window(ds, at, size, &mut cover))?;
            ly.with_dataset(|ds| ly.read_window(ds, at, size, &mut loss))?;
            if let Some(em) = &em {
                em.with_dataset(|ds| em.read_window(ds, at, size, &mut emis))?;
            }
            zonal::weights(p, s.rule, job, &mut wt);
            let rows: Vec<Row> = (0..job.rows)
                .map(|r| {
                    let a = row_areas[job.row0 + r];
                    let mut row = Row {
                        cells: vec![],
                        zone: 0.0,
                        missing: 0.0,
                        read: 0,
                        late: 0,
                        calendar: 0,
                        covered: 0,
                        ones: 0,
                        above_one: 0,
                        above_100: 0,
                    };
                    for c in 0..w.cols {
                        let i = r * w.cols + c;
                        if wt[i] <= 0.0 {
                            continue;
                        }
                        let area = wt[i] * a;
                        row.zone += area;
                        row.read += 1;
                        row.late += usize::from(loss[i] > LATEST_LOSS);
                        row.calendar += usize::from((2001.0..=2100.0).contains(&loss[i]));
                        let x = cover[i];
                        if x.is_nan() {
                            row.missing += area;
                            continue;
                        }
                        row.covered += 1;
                        row.ones += usize::from(x == 1.0);
                        row.above_one += usize::from(x > 1.0);
                        row.above_100 += usize::from(x > 100.0);
                        if x <= s.min_cover {
                            continue;
                        }
                        let v = loss[i];
                        row.cells.push(ForestCell {
                            col: c as u32,
                            area,
                            loss: if (1.0..=255.0).contains(&v) {
                                v as u8
                            } else {
                                0
                            },
                            emissions: emis.get(i).copied().unwrap_or(f64::NAN),
                        });
                    }
                    row
                })
                .collect();
            Ok(rows)
        },
        |job, rows| {
            if open.as_ref().map(|o| o.zone) != Some(job.zone) {
                if let Some(o) = open.take() {
                    let zi = o.zone;
                    results[zi] = Some(close(o));
                }
                let cols = placed[job.zone].as_ref().map_or(0, |p| p.window.cols);
                open = Some(Open {
                    zone: job.zone,
                    stream: Stream::new(cols, s.min_patch_m2),
                    zone_m2: 0.0,
                    missing_m2: 0.0,
                });
            }
            let o = open.as_mut().expect("opened above");
            for row in &rows {
                o.stream.row(&row.cells);
                o.zone_m2 += row.zone;
                o.missing_m2 += row.missing;
                read += row.read;
                late += row.late;
                calendar += row.calendar;
                covered += row.covered;
                ones += row.ones;
                above_one += row.above_one;
                above_100 += row.above_100;
            }
            done += job.rows as u64;
            progress(done, total_rows);
            Ok(())
        },
    )?;
    if let Some(o) = open.take() {
        let zi = o.zone;
        results[zi] = Some(close(o));
    }
    // a loss layer coded by calendar year holds them only where loss was: often a small
    // share of the cells (0.8 % in the test tile's zone, whose loss then read as none)
    if calendar > 0 && calendar == late {
        return Err(RasterError::Invalid(format!(
            "{}: {calendar} of the zones' {read} cells hold a loss year of 2001–2100, a calendar year, where Hansen's lossyear codes loss in 2001 as 1 (0 for no loss): as given, no loss would be counted. Subtract 2000 from the loss cells (0 stays 0)",
            s.lossyear.display()
        )));
    }
    // canopy cover is a percentage: a layer above 100 is on another scale (0–250 bytes made
    // the threshold 12 %), and one of only 0 and 1 is a forest mask, no cell of which
    // passes a threshold of 1 % or more (0 ha of forest, where the mask held 1,996 ha); a
    // zone of bare land in a percent layer is 0 nearly everywhere, with few cells at 1 %
    if above_100 > 0 {
        return Err(RasterError::Invalid(format!(
            "{}: {above_100} of the zones' {covered} cells with a canopy value are above 100, and canopy cover is a percentage (0–100): a layer on another scale (0–250, 0–255)? Rescale it to percent",
            s.treecover.display()
        )));
    }
    if covered >= 100 && above_one == 0 && ones * 10 >= covered && s.min_cover >= 1.0 {
        return Err(RasterError::Invalid(format!(
            "{}: every one of the zones' {covered} cells with a value is 0 or 1 ({ones} are 1): a forest mask (1 forest), not canopy cover in percent, so none passes --min-cover {}. Give the percent cover layer, or the mask × 100 with --min-cover 0",
            s.treecover.display(),
            s.min_cover
        )));
    }
    if late > 0 && late * 100 >= read {
        return Err(RasterError::Invalid(format!(
            "{}: {late} of the zones' {read} cells hold a loss year above {LATEST_LOSS} (loss after 2050), which no loss layer holds: is it the tree cover (canopy %)? Check --treecover and --lossyear",
            s.lossyear.display()
        )));
    }
    let results: Vec<ZoneLoss> = results
        .into_iter()
        .map(|r| r.expect("every zone is placed or not"))
        .collect();
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
