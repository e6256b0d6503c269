//! Landscape metrics of a classified raster, at class and landscape level, as FRAGSTATS
//! defines them and pylandstats computes them: number of patches, patch density, largest
//! patch index, total edge, edge density, mean patch area, total core area, effective mesh
//! size, proportion of landscape, Shannon diversity and evenness.
//!
//! The raster streams in strips of rows (parallel, within the memory budget). Each strip
//! labels its patches (union–find, 4 or 8 connectivity) and reports the patches that touch
//! its first or last row; strips are stitched in row order along their shared rows, and a
//! patch is finished (its area counted into the statistics) once no later row can reach it.
//! Edges are counted per pair of adjacent cells (each strip also reads the row above it);
//! core cells look `edge_depth` rows above and below. Every total is an integer count of
//! cells or cell sides, so the metrics are the same for any strip height or thread count,
//! and equal to the whole-raster computation.
//!
//! Nodata cells belong to no class and no patch and are not landscape area; an edge between
//! a class and nodata (or the raster's border) is counted only with `count_boundary`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::blocks;
use crate::read::{Band, BandSel, BandSpec, Frame};
use crate::sieve::Connectivity;
use crate::{RasterError, Result};

/// Which raw value is nodata.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Nodata {
    /// The band's own nodata value (none if it has none).
    Band,
    /// This value (e.g. 0, pylandstats' default).
    Value(i64),
    /// No value is nodata.
    None,
}

impl std::str::FromStr for Nodata {
    type Err = crate::ParseError;

    /// `band`, `none` (any case) or an integer.
    fn from_str(s: &str) -> std::result::Result<Nodata, crate::ParseError> {
        match s.to_ascii_lowercase().as_str() {
            "band" => Ok(Nodata::Band),
            "none" => Ok(Nodata::None),
            v => v
                .parse()
                .map(Nodata::Value)
                .map_err(|_| crate::ParseError::expected("band, none or an integer value")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub input: PathBuf,
    pub band: BandSel,
    pub nodata: Nodata,
    pub connectivity: Connectivity,
    /// Core area: cells farther than this many cells (4-neighbour steps) from an edge
    /// (at least 1; pylandstats' default is 1).
    pub edge_depth: usize,
    /// Count edges against nodata and the raster's border as edge.
    pub count_boundary: bool,
    pub memory: u64,
    /// A raster with more distinct values is refused as no class map ([`MOST_CLASSES`]
    /// by default; at most 65,534).
    pub max_classes: usize,
}

/// Metrics of one class, or of the whole landscape (`class` None).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub class: Option<i64>,
    /// hectares
    pub total_area: f64,
    /// % of the landscape (class level)
    pub proportion_of_landscape: Option<f64>,
    pub number_of_patches: u64,
    /// patches per 100 ha
    pub patch_density: f64,
    /// % of the landscape in the largest patch
    pub largest_patch_index: f64,
    /// metres
    pub total_edge: f64,
    /// metres per hectare
    pub edge_density: f64,
    /// hectares
    pub area_mn: f64,
    /// hectares
    pub total_core_area: f64,
    /// hectares
    pub effective_mesh_size: f64,
    /// landscape level
    pub shannon_diversity_index: Option<f64>,
    /// landscape level
    pub shannon_evenness_index: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub input: PathBuf,
    pub width: usize,
    pub height: usize,
    pub cell_width: f64,
    pub cell_height: f64,
    pub nodata: Option<i64>,
    pub nodata_cells: u64,
    pub connectivity: Connectivity,
    pub edge_depth: usize,
    pub count_boundary: bool,
    pub classes: Vec<Metrics>,
    pub landscape: Metrics,
    /// km² of the raster processed
    pub km2: f64,
    /// A fill-like class that surrounds the map, where neither the file nor `--nodata`
    /// names a nodata value (it is counted as a class).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<Frame>,
}

/// Per-class integer totals.
#[derive(Debug, Clone, Default)]
struct ClassSums {
    cells: u64,
    core: u64,
    /// cell sides against other classes: vertical sides (length = cell height), horizontal
    /// sides (length = cell width)
    sides_v: u64,
    sides_h: u64,
    /// sides against nodata or the border
    border_v: u64,
    border_h: u64,
    patches: u64,
    largest: u64,
    sum_sq: u128,
}

impl ClassSums {
    fn add_patch(&mut self, cells: u64) {
        self.patches += 1;
        self.largest = self.largest.max(cells);
        self.sum_sq += u128::from(cells) * u128::from(cells);
    }

    fn merge(&mut self, o: &ClassSums) {
        self.cells += o.cells;
        self.core += o.core;
        self.sides_v += o.sides_v;
        self.sides_h += o.sides_h;
        self.border_v += o.border_v;
        self.border_h += o.border_h;
        self.patches += o.patches;
        self.largest = self.largest.max(o.largest);
        self.sum_sq += o.sum_sq;
    }
}

const NONE: u32 = u32::MAX;

/// What a strip hands over: its sums, its patches touching its first or last row, and the
/// patch ids along those rows.
struct Strip {
    sums: Vec<ClassSums>,
    /// (class index, cells) of the open patches, by local id
    open: Vec<(u16, u64)>,
    top: Vec<u32>,
    bottom: Vec<u32>,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

fn union(parent: &mut [u32], a: u32, b: u32) -> u32 {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra == rb {
        return ra;
    }
    let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
    parent[hi as usize] = lo;
    lo
}

/// The most classes a class map is taken to have by default (land-cover legends have
/// tens, CORINE 44, and most are Byte rasters): a raster with more distinct values is
/// another kind (reflectance, an index, elevation), whose every value would be a class.
pub const MOST_CLASSES: usize = 256;

/// Class indices of raw codes (nodata → `NO_CLASS`).
const NO_CLASS: u16 = u16::MAX;

struct Classes {
    codes: Vec<i64>,
    index: HashMap<i64, u16>,
}

impl Classes {
    fn of(&self, code: Option<i64>, last: &mut (i64, u16)) -> u16 {
        match code {
            None => NO_CLASS,
            Some(c) if c == last.0 => last.1,
            Some(c) => {
                let i = self.index[&c];
                *last = (c, i);
                i
            }
        }
    }
}

/// Reads rows `[r0, r0 + n)` as class indices, `NO_CLASS` outside the raster.
fn read_classes(band: &Band, classes: &Classes, r0: isize, n: usize) -> Result<Vec<u16>> {
    let (w, h) = (band.grid.width, band.grid.height as isize);
    let mut out = vec![NO_CLASS; w * n];
    let lo = r0.max(0);
    let hi = (r0 + n as isize).min(h);
    if hi > lo {
        let ds = band.open_dataset()?;
        let mut codes = vec![];
        band.read_codes(&ds, lo as usize, (hi - lo) as usize, &mut codes)?;
        let mut last = (i64::MIN, NO_CLASS);
        let off = ((lo - r0) as usize) * w;
        for (o, c) in out[off..].iter_mut().zip(&codes) {
            *o = classes.of(*c, &mut last);
        }
    }
    Ok(out)
}

/// A class map for landscape metrics: an integer band with the nodata rule applied, on a
/// north-up projected grid (rotated and geographic grids are refused, the file named).
pub fn open_class_map(input: &Path, band: &BandSel, nodata: Nodata) -> Result<Band> {
    let mut b =
        Band::open(&BandSpec::new(input, band.clone()))?.require_integer("landscape metrics")?;
    b.nodata = match nodata {
        Nodata::Band => b.nodata,
        Nodata::Value(v) => Some(v as f64),
        Nodata::None => None,
    };
    let err = |m: &str| RasterError::Input {
        path: input.display().to_string(),
        message: m.into(),
    };
    let t = &b.grid.transform;
    if t[2] != 0.0 || t[4] != 0.0 {
        return Err(err(
            "the grid is rotated; landscape metrics need north-up cells",
        ));
    }
    if b.grid.is_geographic() {
        return Err(err(
            "the CRS is geographic (degrees); landscape metrics need a projected CRS with cells in metres (warp it first, e.g. gdalwarp -t_srs EPSG:…)",
        ));
    }
    Ok(b)
}

/// Computes the metrics.
pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    blocks::limit_gdal_cache(s.memory);
    let band = open_class_map(&s.input, &s.band, s.nodata)?;
    let frame = match s.nodata {
        Nodata::Band => band.frame()?,
        _ => None,
    };
    let g = band.grid.clone();
    let (w, h) = (g.width, g.height);
    // in metres: a CRS in feet (US State Plane) had its 100 ft cells read as 100 m
    let (cw, ch) = g
        .pixel_metres()
        .unwrap_or((g.transform[1].abs(), g.transform[5].abs()));
    let depth = s.edge_depth;
    if depth == 0 {
        return Err(RasterError::Invalid(
            "the edge depth must be at least one cell".into(),
        ));
    }
    let halo = depth;
    // bytes per pixel in flight: codes (f64 raw + Option<i64>), class indices, labels
    let rows = blocks::strip_rows(
        h,
        w,
        34,
        band.block_rows,
        blocks::strip_budget(s.memory),
        rayon::current_num_threads(),
    )?
    .max(halo);
    let total_rows = 2 * h as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = |n: usize| {
        let d = done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
        progress(d, total_rows);
    };

    // pass 1: the classes present
    let mut present = BTreeSet::new();
    let mut nodata_cells = 0u64;
    blocks::run(
        h,
        rows,
        |r0, n| {
            let ds = band.open_dataset()?;
            let mut codes = vec![];
            band.read_codes(&ds, r0, n, &mut codes)?;
            let mut set = BTreeSet::new();
            let mut missing = 0u64;
            let mut last = None;
            for c in &codes {
                match c {
                    None => missing += 1,
                    Some(v) if Some(*v) != last => {
                        set.insert(*v);
                        last = Some(*v);
                    }
                    _ => {}
                }
            }
            tick(n);
            Ok((set, missing))
        },
        |_, _, (set, missing)| {
            present.extend(set);
            nodata_cells += missing;
            Ok(())
        },
    )?;
    if present.len() >= NO_CLASS as usize {
        return Err(RasterError::Input {
            path: s.input.display().to_string(),
            message: format!("{} distinct classes; at most 65,534", present.len()),
        });
    }
    if present.len() > s.max_classes {
        let (least, greatest) = (
            present.first().copied().unwrap_or_default(),
            present.last().copied().unwrap_or_default(),
        );
        return Err(RasterError::Input {
            path: s.input.display().to_string(),
            message: if s.max_classes < MOST_CLASSES {
                format!(
                    "{} distinct values ({least} to {greatest}), more than the --max-classes {} given",
                    present.len(),
                    s.max_classes
                )
            } else {
                format!(
                    "{} distinct values ({least} to {greatest}) where a class map has tens: landscape metrics take a classified raster (a land cover), not reflectance, an index or elevation; is it the right file and band? (A legend this large: raise --max-classes.)",
                    present.len()
                )
            },
        });
    }
    let classes = Classes {
        codes: present.iter().copied().collect(),
        index: present
            .iter()
            .enumerate()
            .map(|(i, c)| (*c, i as u16))
            .collect(),
    };
    let m = classes.codes.len();

    // pass 2: sums, and patches stitched across strips
    let mut totals = vec![ClassSums::default(); m];
    let mut frontier: Vec<u32> = vec![];
    let mut frags: Vec<(u16, u64)> = vec![];
    let eight = s.connectivity == Connectivity::Eight;
    blocks::run(
        h,
        rows,
        |r0, n| {
            let top = r0 as isize - halo as isize;
            let buf = read_classes(&band, &classes, top, n + 2 * halo)?;
            let strip = analyse(&buf, w, n, halo, m, depth, eight, r0 + n == h);
            tick(n);
            Ok(strip)
        },
        |_, _, strip| {
            for (t, x) in totals.iter_mut().zip(&strip.sums) {
                t.merge(x);
            }
            stitch(&mut frontier, &mut frags, strip, eight, w, &mut totals);
            Ok(())
        },
    )?;
    // the last strip's open patches are finished
    for (c, cells) in frags.drain(..) {
        totals[c as usize].add_patch(cells);
    }

    let cell_area = cw * ch;
    let landscape_cells: u64 = totals.iter().map(|t| t.cells).sum();
    let a = landscape_cells as f64 * cell_area;
    let per_class: Vec<Metrics> = totals
        .iter()
        .zip(&classes.codes)
        .map(|(t, &code)| {
            let edge = if s.count_boundary {
                (t.sides_v + t.border_v) as f64 * ch + (t.sides_h + t.border_h) as f64 * cw
            } else {
                t.sides_v as f64 * ch + t.sides_h as f64 * cw
            };
            metrics(Some(code), t, edge, cell_area, a, landscape_cells)
        })
        .collect();
    let all = totals.iter().fold(ClassSums::default(), |mut acc, t| {
        acc.merge(t);
        acc
    });
    // each side between two classes is counted by both classes
    let mut edge = (all.sides_v / 2) as f64 * ch + (all.sides_h / 2) as f64 * cw;
    if s.count_boundary {
        edge += all.border_v as f64 * ch + all.border_h as f64 * cw;
    }
    let mut landscape = metrics(None, &all, edge, cell_area, a, landscape_cells);
    let shdi: f64 = -totals
        .iter()
        .filter(|t| t.cells > 0)
        .map(|t| {
            let p = t.cells as f64 / landscape_cells as f64;
            p * p.ln()
        })
        .sum::<f64>();
    landscape.shannon_diversity_index = Some(shdi);
    landscape.shannon_evenness_index = Some(if m > 1 { shdi / (m as f64).ln() } else { 0.0 });
    Ok(Report {
        input: s.input.clone(),
        width: w,
        height: h,
        cell_width: cw,
        cell_height: ch,
        nodata: band.nodata.map(|v| v as i64),
        nodata_cells,
        connectivity: s.connectivity,
        edge_depth: depth,
        count_boundary: s.count_boundary,
        classes: per_class,
        landscape,
        km2: (w * h) as f64 * cell_area / 1e6,
        frame,
    })
}

/// The metrics of a class (or, with `class` None, the landscape) from its integer sums;
/// `edge` in metres, `a` the landscape area in m².
fn metrics(
    class: Option<i64>,
    t: &ClassSums,
    edge: f64,
    cell_area: f64,
    a: f64,
    landscape_cells: u64,
) -> Metrics {
    let (cells, patches) = (t.cells, t.patches);
    let area = cells as f64 * cell_area;
    Metrics {
        class,
        total_area: area / 1e4,
        proportion_of_landscape: class.map(|_| 100.0 * cells as f64 / landscape_cells as f64),
        number_of_patches: patches,
        patch_density: patches as f64 / a * 1e4 * 100.0,
        largest_patch_index: 100.0 * t.largest as f64 / landscape_cells as f64,
        total_edge: edge,
        edge_density: edge / a * 1e4,
        area_mn: if patches > 0 {
            area / patches as f64 / 1e4
        } else {
            f64::NAN
        },
        total_core_area: t.core as f64 * cell_area / 1e4,
        effective_mesh_size: t.sum_sq as f64 * cell_area * cell_area / a / 1e4,
        shannon_diversity_index: None,
        shannon_evenness_index: None,
    }
}

/// Sums and patches of one strip: `buf` holds `halo` rows above, the strip's `n` rows and
/// `halo` rows below (class indices, `NO_CLASS` for nodata and outside the raster).
#[allow(clippy::too_many_arguments)]
fn analyse(
    buf: &[u16],
    w: usize,
    n: usize,
    halo: usize,
    m: usize,
    depth: usize,
    eight: bool,
    last: bool,
) -> Strip {
    let at = |r: isize, c: isize| -> u16 {
        if c < 0 || c >= w as isize {
            NO_CLASS
        } else {
            buf[((r + halo as isize) as usize) * w + c as usize]
        }
    };
    let mut sums = vec![ClassSums::default(); m];
    // cells, sides and core cells
    for r in 0..n as isize {
        for c in 0..w as isize {
            let k = at(r, c);
            // the side to the left and the side above, counted for both cells
            let left = at(r, c - 1);
            let up = at(r - 1, c);
            if k != left {
                side(&mut sums, k, left, true);
            }
            if k != up {
                side(&mut sums, k, up, false);
            }
            if k == NO_CLASS {
                continue;
            }
            let t = &mut sums[k as usize];
            t.cells += 1;
            // the raster's right border, and its bottom border below its last row (the
            // left and top borders are the sides against the cells outside, read as nodata)
            if c + 1 == w as isize {
                t.border_v += 1;
            }
            if last && r + 1 == n as isize {
                t.border_h += 1;
            }
            if is_core(&at, r, c, k, depth) {
                t.core += 1;
            }
        }
    }
    let (open, top, bottom) = label(buf, w, n, halo, eight, &mut sums);
    Strip {
        sums,
        open,
        top,
        bottom,
    }
}

/// Counts the side between cells of classes `a` and `b` (one of them may be nodata).
fn side(sums: &mut [ClassSums], a: u16, b: u16, vertical: bool) {
    for (x, other) in [(a, b), (b, a)] {
        if x == NO_CLASS {
            continue;
        }
        let t = &mut sums[x as usize];
        match (other == NO_CLASS, vertical) {
            (false, true) => t.sides_v += 1,
            (false, false) => t.sides_h += 1,
            (true, true) => t.border_v += 1,
            (true, false) => t.border_h += 1,
        }
    }
}

/// Whether every cell within `depth` 4-neighbour steps is of class `k` (cells outside the
/// raster and nodata cells are edge).
fn is_core(at: &impl Fn(isize, isize) -> u16, r: isize, c: isize, k: u16, depth: usize) -> bool {
    let d = depth as isize;
    for dr in -d..=d {
        let span = d - dr.abs();
        for dc in -span..=span {
            if at(r + dr, c + dc) != k {
                return false;
            }
        }
    }
    true
}

/// Labels the strip's patches; closed ones go into `sums`, open ones (touching the strip's
/// first or last row) are returned with the ids along those rows.
#[allow(clippy::type_complexity)]
fn label(
    buf: &[u16],
    w: usize,
    n: usize,
    halo: usize,
    eight: bool,
    sums: &mut [ClassSums],
) -> (Vec<(u16, u64)>, Vec<u32>, Vec<u32>) {
    let cls = |r: usize, c: usize| buf[(r + halo) * w + c];
    let mut labels = vec![NONE; w * n];
    let mut parent: Vec<u32> = vec![];
    for r in 0..n {
        for c in 0..w {
            let k = cls(r, c);
            if k == NO_CLASS {
                continue;
            }
            let mut id = NONE;
            let link = |other: u32, id: &mut u32, parent: &mut Vec<u32>| {
                if other == NONE {
                    return;
                }
                *id = if *id == NONE {
                    other
                } else {
                    union(parent, *id, other)
                };
            };
            if c > 0 && cls(r, c - 1) == k {
                link(labels[r * w + c - 1], &mut id, &mut parent);
            }
            if r > 0 {
                if cls(r - 1, c) == k {
                    link(labels[(r - 1) * w + c], &mut id, &mut parent);
                }
                if eight {
                    if c > 0 && cls(r - 1, c - 1) == k {
                        link(labels[(r - 1) * w + c - 1], &mut id, &mut parent);
                    }
                    if c + 1 < w && cls(r - 1, c + 1) == k {
                        link(labels[(r - 1) * w + c + 1], &mut id, &mut parent);
                    }
                }
            }
            if id == NONE {
                id = parent.len() as u32;
                parent.push(id);
            }
            labels[r * w + c] = id;
        }
    }
    // cells per root
    let mut cells = vec![0u64; parent.len()];
    let mut class = vec![NO_CLASS; parent.len()];
    for (p, l) in labels.iter_mut().enumerate() {
        if *l != NONE {
            let root = find(&mut parent, *l);
            *l = root;
            cells[root as usize] += 1;
            class[root as usize] = cls(p / w, p % w);
        }
    }
    // open patches: roots on the first or last row
    let mut open_id: BTreeMap<u32, u32> = BTreeMap::new();
    let mut open = vec![];
    let mut rows_ids = |row: usize, open_id: &mut BTreeMap<u32, u32>| -> Vec<u32> {
        labels[row * w..(row + 1) * w]
            .iter()
            .map(|&l| {
                if l == NONE {
                    return NONE;
                }
                *open_id.entry(l).or_insert_with(|| {
                    open.push((class[l as usize], cells[l as usize]));
                    (open.len() - 1) as u32
                })
            })
            .collect()
    };
    let top = rows_ids(0, &mut open_id);
    let bottom = rows_ids(n - 1, &mut open_id);
    for (root, &k) in class.iter().enumerate() {
        if k != NO_CLASS && !open_id.contains_key(&(root as u32)) {
            sums[k as usize].add_patch(cells[root]);
        }
    }
    (open, top, bottom)
}

/// Joins a strip's open patches to those along the previous strip's last row; patches no
/// longer reachable are finished into `totals`.
fn stitch(
    frontier: &mut Vec<u32>,
    frags: &mut Vec<(u16, u64)>,
    strip: Strip,
    eight: bool,
    w: usize,
    totals: &mut [ClassSums],
) {
    let base = frags.len() as u32;
    frags.extend(strip.open.iter().copied());
    let mut parent: Vec<u32> = (0..frags.len() as u32).collect();
    if !frontier.is_empty() {
        for c in 0..w {
            let t = strip.top[c];
            if t == NONE {
                continue;
            }
            let t = t + base;
            let k = frags[t as usize].0;
            let lo = if eight { c.saturating_sub(1) } else { c };
            let hi = if eight { (c + 1).min(w - 1) } else { c };
            for &f in &frontier[lo..=hi] {
                if f != NONE && frags[f as usize].0 == k {
                    union(&mut parent, t, f);
                }
            }
        }
    }
    // cells per root
    let mut cells = vec![0u64; frags.len()];
    for i in 0..frags.len() as u32 {
        let r = find(&mut parent, i);
        cells[r as usize] += frags[i as usize].1;
    }
    // roots along the new last row stay open
    let mut keep: BTreeMap<u32, u32> = BTreeMap::new();
    let mut next = vec![];
    let new_frontier: Vec<u32> = strip
        .bottom
        .iter()
        .map(|&b| {
            if b == NONE {
                return NONE;
            }
            let r = find(&mut parent, b + base);
            *keep.entry(r).or_insert_with(|| {
                next.push((frags[r as usize].0, cells[r as usize]));
                (next.len() - 1) as u32
            })
        })
        .collect();
    for i in 0..frags.len() as u32 {
        if find(&mut parent, i) == i && !keep.contains_key(&i) {
            totals[frags[i as usize].0 as usize].add_patch(cells[i as usize]);
        }
    }
    *frontier = new_frontier;
    *frags = next;
}
