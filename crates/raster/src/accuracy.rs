//! Map accuracy and area estimation, as forest-monitoring agencies report them.
//!
//! - [`census`]: a confusion matrix of every pixel (map against a wall-to-wall reference):
//!   overall, user's and producer's accuracy, F1 per class (2UP / (U + P)) and Cohen's kappa
//!   (p₀ − pₑ) / (1 − pₑ).
//! - [`stratified`]: the good-practice estimators of Olofsson et al. (2014), "Good practices
//!   for estimating area and assessing accuracy of land change", Remote Sensing of
//!   Environment 148, 42–57, for a stratified random sample whose strata are the map classes:
//!   p̂ᵢⱼ = Wᵢ nᵢⱼ / nᵢ· (eq. 4, Wᵢ the mapped share of class i); overall accuracy Σ p̂ⱼⱼ
//!   (eq. 1) with V = Σ Wᵢ² Uᵢ (1 − Uᵢ) / (nᵢ· − 1) (eq. 5); user's accuracy Uᵢ = p̂ᵢᵢ / p̂ᵢ·
//!   with V = Uᵢ (1 − Uᵢ) / (nᵢ· − 1) (eq. 6); producer's accuracy Pⱼ = p̂ⱼⱼ / p̂·ⱼ with
//!   eq. 7's variance; the area proportion p̂·ₖ = Σᵢ Wᵢ nᵢₖ / nᵢ· (eq. 9) with
//!   S = sqrt(Σᵢ Wᵢ² (nᵢₖ/nᵢ·)(1 − nᵢₖ/nᵢ·) / (nᵢ· − 1)) (eq. 10); the area Â = A p̂·ₖ and
//!   its 95 % interval ± 1.96 A S (eq. 11).
//! - [`sample_design`]: the stratified random sample to interpret, drawn reproducibly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gdal::DriverManager;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};
use serde::Serialize;

use crate::blocks;
use crate::grid::{AreaMethod, Grid};
use crate::read::{Band, BandSel, BandSpec, Resampling};
use crate::{RasterError, Result};

/// A square confusion matrix: `counts[i * k + j]` units of map class `classes[i]` (row) and
/// reference class `classes[j]` (column).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    pub classes: Vec<i64>,
    pub counts: Vec<f64>,
}

impl Matrix {
    /// From (map, reference) → count pairs; the classes are every code seen on either side.
    pub fn from_pairs(pairs: &BTreeMap<(i64, i64), f64>, extra: &[i64]) -> Matrix {
        let mut classes: Vec<i64> = pairs
            .keys()
            .flat_map(|(a, b)| [*a, *b])
            .chain(extra.iter().copied())
            .collect();
        classes.sort_unstable();
        classes.dedup();
        let k = classes.len();
        let mut counts = vec![0.0; k * k];
        for ((m, r), n) in pairs {
            let i = classes.binary_search(m).expect("a class seen");
            let j = classes.binary_search(r).expect("a class seen");
            counts[i * k + j] += n;
        }
        Matrix { classes, counts }
    }

    pub fn k(&self) -> usize {
        self.classes.len()
    }

    fn row_sum(&self, i: usize) -> f64 {
        let k = self.k();
        self.counts[i * k..(i + 1) * k].iter().sum()
    }

    fn col_sum(&self, j: usize) -> f64 {
        let k = self.k();
        (0..k).map(|i| self.counts[i * k + j]).sum()
    }
}

/// Accuracy of one class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassAccuracy {
    pub class: i64,
    pub users: f64,
    pub producers: f64,
    pub f1: f64,
}

/// Accuracy of a wall-to-wall comparison (every unit counted).
#[derive(Debug, Clone, Serialize)]
pub struct Census {
    pub total: f64,
    pub overall: f64,
    pub kappa: f64,
    pub classes: Vec<ClassAccuracy>,
}

/// Overall, user's, producer's accuracy, F1 and Cohen's kappa of a matrix of counts.
pub fn census(m: &Matrix) -> Census {
    let k = m.k();
    let total: f64 = m.counts.iter().sum();
    let diag: f64 = (0..k).map(|i| m.counts[i * k + i]).sum();
    let pe: f64 = (0..k).map(|i| m.row_sum(i) * m.col_sum(i)).sum::<f64>() / (total * total);
    let p0 = diag / total;
    let classes = (0..k)
        .map(|i| {
            let nii = m.counts[i * k + i];
            let (u, p) = (nii / m.row_sum(i), nii / m.col_sum(i));
            ClassAccuracy {
                class: m.classes[i],
                users: u,
                producers: p,
                f1: 2.0 * nii / (m.row_sum(i) + m.col_sum(i)),
            }
        })
        .collect();
    Census {
        total,
        overall: p0,
        kappa: (p0 - pe) / (1.0 - pe),
        classes,
    }
}

/// The estimates of one class from a stratified sample.
#[derive(Debug, Clone, Serialize)]
pub struct ClassEstimate {
    pub class: i64,
    /// Sample units in the class's stratum (the map class) and its mapped total.
    pub sample: f64,
    pub mapped: f64,
    pub users: f64,
    pub users_se: f64,
    pub producers: f64,
    pub producers_se: f64,
    pub area_proportion: f64,
    pub area_proportion_se: f64,
    /// The area estimate and its 95 % half width, in the unit of the mapped totals.
    pub area: f64,
    pub area_ci95: f64,
}

/// Olofsson et al. (2014)'s estimates from a sample.
#[derive(Debug, Clone, Serialize)]
pub struct Stratified {
    pub overall: f64,
    pub overall_se: f64,
    /// p̂ᵢⱼ, row-major (map rows, reference columns).
    pub proportions: Vec<f64>,
    pub classes: Vec<ClassEstimate>,
    pub total: f64,
}

/// The 1.96 of a two-sided 95 % normal interval, as Olofsson et al. use it.
pub const Z95: f64 = 1.96;

/// Olofsson et al. (2014)'s stratified estimators from a matrix of sample counts (strata =
/// map classes, rows) and each map class's mapped total (area or pixels; same order).
pub fn stratified(m: &Matrix, mapped: &[f64]) -> Result<Stratified> {
    let k = m.k();
    if mapped.len() != k {
        return Err(RasterError::Invalid(format!(
            "{} mapped totals for {k} classes",
            mapped.len()
        )));
    }
    let total: f64 = mapped.iter().sum();
    for (i, &mapped_i) in mapped.iter().enumerate() {
        let n = m.row_sum(i);
        if mapped_i > 0.0 && n < 2.0 {
            return Err(RasterError::Invalid(format!(
                "map class {} has {} sample unit{}: the estimators need at least 2 per stratum (eq. 5–10 divide by n − 1)",
                m.classes[i],
                n,
                if n == 1.0 { "" } else { "s" }
            )));
        }
        if mapped_i == 0.0 && n > 0.0 {
            return Err(RasterError::Invalid(format!(
                "{n} sample units fall in map class {}, which the map does not have: the sample was not drawn from this map",
                m.classes[i]
            )));
        }
    }
    let w: Vec<f64> = mapped.iter().map(|a| a / total).collect();
    let n: Vec<f64> = (0..k).map(|i| m.row_sum(i)).collect();
    // share of stratum i's sample in reference class j
    let q = |i: usize, j: usize| {
        if n[i] > 0.0 {
            m.counts[i * k + j] / n[i]
        } else {
            0.0
        }
    };
    let mut p = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            p[i * k + j] = w[i] * q(i, j);
        }
    }
    let strata: Vec<usize> = (0..k).filter(|&i| n[i] > 0.0).collect();
    let users: Vec<f64> = (0..k).map(|i| q(i, i)).collect();
    let overall: f64 = (0..k).map(|j| p[j * k + j]).sum();
    let overall_var: f64 = strata
        .iter()
        .map(|&i| w[i] * w[i] * users[i] * (1.0 - users[i]) / (n[i] - 1.0))
        .sum();
    let mut classes = vec![];
    for j in 0..k {
        let col: f64 = (0..k).map(|i| p[i * k + j]).sum();
        let producers = p[j * k + j] / col;
        // eq. 7: N̂·ⱼ = Σᵢ Nᵢ· nᵢⱼ / nᵢ· (mapped totals as Nᵢ·)
        let nj: f64 = strata.iter().map(|&i| mapped[i] * q(i, j)).sum();
        let uj = users[j];
        let first = if n[j] > 1.0 {
            mapped[j] * mapped[j] * (1.0 - producers).powi(2) * uj * (1.0 - uj) / (n[j] - 1.0)
        } else {
            0.0
        };
        let second: f64 = strata
            .iter()
            .filter(|&&i| i != j)
            .map(|&i| mapped[i] * mapped[i] * q(i, j) * (1.0 - q(i, j)) / (n[i] - 1.0))
            .sum::<f64>()
            * producers
            * producers;
        let producers_var = (first + second) / (nj * nj);
        let area_var: f64 = strata
            .iter()
            .map(|&i| w[i] * w[i] * q(i, j) * (1.0 - q(i, j)) / (n[i] - 1.0))
            .sum();
        let se = area_var.sqrt();
        classes.push(ClassEstimate {
            class: m.classes[j],
            sample: n[j],
            mapped: mapped[j],
            users: uj,
            users_se: if n[j] > 1.0 {
                (uj * (1.0 - uj) / (n[j] - 1.0)).sqrt()
            } else {
                f64::NAN
            },
            producers,
            producers_se: producers_var.sqrt(),
            area_proportion: col,
            area_proportion_se: se,
            area: col * total,
            area_ci95: Z95 * se * total,
        });
    }
    Ok(Stratified {
        overall,
        overall_se: overall_var.sqrt(),
        proportions: p,
        classes,
        total,
    })
}

/// How a sample's size is shared among the strata (map classes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Allocation {
    /// In proportion to each class's mapped pixels.
    Proportional,
    /// The same number in each class.
    Equal,
    /// Proportional, but at least `min` in every class (Olofsson et al. 2014, §5.1.2: rare
    /// change classes get enough units for their user's accuracy); the others shrink in
    /// proportion so that the total stays n.
    Minimum { min: u64 },
}

impl std::str::FromStr for Allocation {
    type Err = crate::ParseError;

    /// `proportional`, `equal` or `min:N` (N ≥ 2).
    fn from_str(s: &str) -> std::result::Result<Allocation, crate::ParseError> {
        match s {
            "proportional" => Ok(Allocation::Proportional),
            "equal" => Ok(Allocation::Equal),
            o => match o.strip_prefix("min:").map(str::parse::<u64>) {
                Some(Ok(min)) if min >= 2 => Ok(Allocation::Minimum { min }),
                _ => Err(crate::ParseError::expected(
                    "proportional, equal or min:N (N ≥ 2, each class's least units)",
                )),
            },
        }
    }
}

/// Shares `n` units among strata of `sizes` pixels; largest remainders, ties to the first;
/// never more units than a stratum has pixels.
pub fn allocate(n: u64, sizes: &[u64], how: Allocation) -> Result<Vec<u64>> {
    let present: Vec<usize> = (0..sizes.len()).filter(|&i| sizes[i] > 0).collect();
    let pixels: u64 = sizes.iter().sum();
    if present.is_empty() {
        return Err(RasterError::Invalid(
            "the map has no classified pixel to sample".into(),
        ));
    }
    if n > pixels {
        return Err(RasterError::Invalid(format!(
            "a sample of {n} from a map of {pixels} classified pixels"
        )));
    }
    let share = |n: u64, weights: &[f64]| -> Vec<u64> {
        let total: f64 = weights.iter().sum();
        let exact: Vec<f64> = weights.iter().map(|w| n as f64 * w / total).collect();
        let mut out: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
        let mut left = n - out.iter().sum::<u64>();
        let mut order: Vec<usize> = (0..weights.len()).collect();
        order.sort_by(|&a, &b| {
            (exact[b] - exact[b].floor())
                .total_cmp(&(exact[a] - exact[a].floor()))
                .then(a.cmp(&b))
        });
        for &i in order.iter().cycle() {
            if left == 0 {
                break;
            }
            if weights[i] > 0.0 {
                out[i] += 1;
                left -= 1;
            }
        }
        out
    };
    let mut out = match how {
        Allocation::Proportional => share(n, &sizes.iter().map(|&s| s as f64).collect::<Vec<_>>()),
        Allocation::Equal => share(
            n,
            &sizes
                .iter()
                .map(|&s| f64::from(u8::from(s > 0)))
                .collect::<Vec<_>>(),
        ),
        Allocation::Minimum { min } => {
            let floor: Vec<u64> = sizes.iter().map(|&s| min.min(s)).collect();
            let fixed: u64 = floor.iter().sum();
            if fixed > n {
                return Err(RasterError::Invalid(format!(
                    "{} classes × at least {min} units = {fixed}, more than the sample of {n}",
                    present.len()
                )));
            }
            // proportional shares first; classes under the minimum are raised to it and the
            // rest shared in proportion among the others, until none is under
            let mut raised = vec![false; sizes.len()];
            loop {
                let free = n
                    - (0..sizes.len())
                        .filter(|&i| raised[i])
                        .map(|i| floor[i])
                        .sum::<u64>();
                let weights: Vec<f64> = (0..sizes.len())
                    .map(|i| if raised[i] { 0.0 } else { sizes[i] as f64 })
                    .collect();
                let mut s = share(free, &weights);
                let mut again = false;
                for i in 0..sizes.len() {
                    if raised[i] {
                        s[i] = floor[i];
                    } else if sizes[i] > 0 && s[i] < floor[i] {
                        raised[i] = true;
                        again = true;
                    }
                }
                if !again {
                    break s;
                }
            }
        }
    };
    // a stratum never gives more units than it has pixels: the excess goes to the others
    let mut excess = 0;
    for (o, &s) in out.iter_mut().zip(sizes) {
        if *o > s {
            excess += *o - s;
            *o = s;
        }
    }
    while excess > 0 {
        let mut moved = false;
        for (o, &s) in out.iter_mut().zip(sizes) {
            if excess > 0 && *o < s {
                *o += 1;
                excess -= 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    Ok(out)
}

/// splitmix64 (Steele, Lea & Flood 2014): the sample's random stream.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject).
    pub fn below(&mut self, n: u64) -> u64 {
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }
}

/// `m` distinct ranks in [0, n), sorted (Floyd's algorithm: every m-subset equally likely).
pub fn distinct_ranks(rng: &mut SplitMix, n: u64, m: u64) -> Vec<u64> {
    let mut chosen = std::collections::BTreeSet::new();
    for j in n - m..n {
        let t = rng.below(j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

/// Pixels and true area of each class of a class map.
#[derive(Debug, Clone, Serialize)]
pub struct MapClasses {
    pub grid: Grid,
    /// class → (pixels, hectares); hectares NaN on a grid without a CRS.
    pub classes: BTreeMap<i64, (u64, f64)>,
    pub missing: u64,
}

fn open_map(path: &Path, band: &BandSel) -> Result<Band> {
    Band::open(&BandSpec::new(path, band.clone()))?.require_integer("a class map")
}

/// Runs `compute` on the codes of each strip of rows of the class map (strips sized for
/// `memory`; `None` where missing), in parallel, and `consume` on its results, strips in
/// order.
fn over_codes<R: Send>(
    map: &Band,
    memory: u64,
    compute: impl Fn(usize, usize, Vec<Option<i64>>) -> Result<R> + Sync,
    consume: impl FnMut(usize, usize, R) -> Result<()>,
) -> Result<()> {
    let (w, h) = (map.grid.width, map.grid.height);
    let rows = blocks::strip_rows(
        h,
        w,
        24,
        map.block_rows,
        blocks::strip_budget(memory),
        rayon::current_num_threads(),
    )?;
    blocks::run(
        h,
        rows,
        |r0, n| {
            let ds = map.open_dataset()?;
            let mut codes = vec![];
            map.read_codes(&ds, r0, n, &mut codes)?;
            compute(r0, n, codes)
        },
        consume,
    )
}

/// Counts each class's pixels and area (per row, rows in order: the same for any strips or
/// threads).
pub fn map_classes(
    path: &Path,
    band: &BandSel,
    area: AreaMethod,
    memory: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<MapClasses> {
    blocks::limit_gdal_cache(memory);
    let map = open_map(path, band)?;
    let g = map.grid.clone();
    let (w, h) = (g.width, g.height);
    let row_areas = g.row_areas(area).unwrap_or_else(|_| vec![f64::NAN; h]);
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut classes: BTreeMap<i64, (u64, f64)> = BTreeMap::new();
    let mut missing = 0;
    over_codes(
        &map,
        memory,
        |_, n, codes| {
            let per_row: Vec<(BTreeMap<i64, u64>, u64)> = codes
                .chunks(w)
                .map(|row| {
                    let mut m = BTreeMap::new();
                    let mut miss = 0;
                    for c in row {
                        match c {
                            Some(c) => *m.entry(*c).or_insert(0u64) += 1,
                            None => miss += 1,
                        }
                    }
                    (m, miss)
                })
                .collect();
            let d = done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
            progress(d, h as u64);
            Ok(per_row)
        },
        |r0, _, per_row| {
            for (i, (m, miss)) in per_row.into_iter().enumerate() {
                missing += miss;
                for (c, k) in m {
                    let e = classes.entry(c).or_insert((0, 0.0));
                    e.0 += k;
                    e.1 += k as f64 * row_areas[r0 + i] / 1e4;
                }
            }
            Ok(())
        },
    )?;
    Ok(MapClasses {
        grid: g,
        classes,
        missing,
    })
}

/// Where the reference classes come from.
#[derive(Debug, Clone)]
pub enum Reference {
    /// A wall-to-wall reference raster of class codes (a census).
    Raster { path: PathBuf, band: BandSel },
    /// A vector layer with the reference class in `field`: sample points (a stratified
    /// random sample of the map's classes: Olofsson et al.'s estimators), or polygons
    /// (reference areas: a census of the map cells whose centre they hold).
    Vector {
        path: PathBuf,
        layer: Option<String>,
        field: String,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub map: PathBuf,
    pub band: BandSel,
    pub reference: Reference,
    /// Only these classes count (others excluded, counted); all when None.
    pub classes: Option<Vec<i64>>,
    /// Warp a reference raster on another grid onto the map's (nearest or mode).
    pub align: Option<Resampling>,
    pub area: AreaMethod,
    pub memory: u64,
    pub tmp: PathBuf,
    /// Assess the classes as coded even where another coding of them agrees far better
    /// with the reference ([`recoding`]).
    pub as_coded: bool,
}

/// Units left out of the comparison, each counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Excluded {
    pub map_missing: u64,
    pub reference_missing: u64,
    pub outside_map: u64,
    pub other_classes: u64,
    /// Cells inside reference polygons of different classes.
    pub ambiguous: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// "census" (every pixel of a reference raster) or "stratified sample" (points).
    pub design: String,
    /// Pixels (census) or sample units (points), map classes in rows.
    pub matrix: Matrix,
    /// The census matrix in hectares.
    pub matrix_hectares: Option<Vec<f64>>,
    pub accuracy: Census,
    /// Olofsson et al. (2014)'s estimates (points), areas in hectares.
    pub estimates: Option<Stratified>,
    /// Each class's mapped hectares and, for a census, its reference hectares.
    pub map_hectares: Vec<f64>,
    pub reference_hectares: Option<Vec<f64>>,
    pub excluded: Excluded,
    /// What the user should know: a fill-like class surrounding the map or the reference
    /// raster where the file declares no nodata value ([`crate::read::Frame`]).
    pub warnings: Vec<String>,
}

fn kept(classes: &Option<Vec<i64>>, c: i64) -> bool {
    classes.as_ref().is_none_or(|l| l.contains(&c))
}

/// The (map, reference) pairs of a vector reference's units, with what was left out.
struct Pairs<'a> {
    classes: &'a Option<Vec<i64>>,
    units: BTreeMap<(i64, i64), f64>,
    hectares: BTreeMap<(i64, i64), f64>,
    excluded: Excluded,
}

impl Pairs<'_> {
    fn new(classes: &Option<Vec<i64>>) -> Pairs<'_> {
        Pairs {
            classes,
            units: BTreeMap::new(),
            hectares: BTreeMap::new(),
            excluded: Excluded::default(),
        }
    }

    /// A unit whose map value (NaN: missing) and reference class are known.
    fn add(&mut self, map_value: f64, reference: i64, hectares: f64) {
        if map_value.is_nan() {
            self.excluded.map_missing += 1;
            return;
        }
        let m = map_value as i64;
        if !kept(self.classes, m) || !kept(self.classes, reference) {
            self.excluded.other_classes += 1;
            return;
        }
        *self.units.entry((m, reference)).or_insert(0.0) += 1.0;
        *self.hectares.entry((m, reference)).or_insert(0.0) += hectares;
    }
}

/// Compares a class map with its reference; refused where the classes look coded
/// differently on the two sides ([`recoding`]) unless `as_coded`.
pub fn run(s: &Settings, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report> {
    let (report, reference) = match &s.reference {
        Reference::Raster { path, band } => (census_run(s, path, band, progress)?, path),
        Reference::Vector { path, layer, field } => {
            if first_geometry_is_point(path, layer.as_deref())? {
                let r = points_run(s, path, layer.as_deref(), field, progress)?;
                (r, path)
            } else {
                (polygons_run(s, path, layer.as_deref(), field)?, path)
            }
        }
    };
    let mut report = report;
    report.warnings = frame_warnings(s, &report)?;
    if let Some(r) = recoding(&report.matrix).filter(|_| !s.as_coded) {
        let moves: Vec<String> = r
            .moves
            .iter()
            .map(|(m, c, share)| {
                format!(
                    "map {m} is reference {c} for {:.0} % of its units",
                    share * 100.0
                )
            })
            .collect();
        return Err(RasterError::Invalid(format!(
            "{} against {}: {}; kappa {:.2} as coded, {:.2} with the map's classes so \
             recoded. Are the two coded differently (a legend of 0/1 against 0/255, or \
             against 1/2)? Recode one, or give --as-coded to assess the codes as they are",
            s.map.display(),
            reference.display(),
            moves.join(", "),
            r.kappa,
            r.recoded_kappa
        )));
    }
    Ok(report)
}

/// The warnings of a map, and of a reference raster, that a fill-like class surrounds
/// where the file declares no nodata value: on the map it is a stratum and a class of the
/// matrix; on both, its agreement raises the overall accuracy.
fn frame_warnings(s: &Settings, report: &Report) -> Result<Vec<String>> {
    let m = &report.matrix;
    let total: f64 = m.counts.iter().sum();
    let share = |code: i64, of_map: bool| {
        m.classes.iter().position(|c| *c == code).map_or(0.0, |i| {
            (if of_map { m.row_sum(i) } else { m.col_sum(i) }) / total.max(1.0)
        })
    };
    let way_out = |code: i64| {
        format!(
            "declare it (gdal_edit.py -a_nodata {code} FILE) or list the legend without it (--classes)"
        )
    };
    let mut out = vec![];
    if let Some(f) = open_map(&s.map, &s.band)?.frame()? {
        out.push(f.warning(
            "the map",
            &s.map,
            Some(share(f.code, true)),
            &way_out(f.code),
        ));
    }
    if let Reference::Raster { path, band } = &s.reference
        && let Some(f) = open_map(path, band)?.frame()?
    {
        out.push(f.warning(
            "the reference",
            path,
            Some(share(f.code, false)),
            &way_out(f.code),
        ));
    }
    Ok(out)
}

/// A coding of the map's classes under which they agree with the reference far better
/// than as coded: what each recoded class becomes and the share of its units there, and
/// Cohen's kappa before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Recoding {
    pub moves: Vec<(i64, i64, f64)>,
    pub kappa: f64,
    pub recoded_kappa: f64,
}

/// The share of a map class's units that must fall on another reference class for it to
/// count as coded differently, the least share of all units it holds, and the gain of
/// kappa that makes the recoding the likelier reading: a map whose classes are merely
/// confused gains little from any one-to-one recoding.
const RECODED_SHARE: f64 = 0.5;
const RECODED_WEIGHT: f64 = 0.001;
const RECODED_GAIN: f64 = 0.2;

/// The one-to-one recoding of the map's classes (each onto the reference class where most
/// of its units are, the largest cells first) when it raises kappa by [`RECODED_GAIN`] or
/// more to 0.4 or more, and moves a class holding [`RECODED_WEIGHT`] of the units of which
/// [`RECODED_SHARE`] or more fall on another code: a map 0/1 against a reference 0/255
/// (0.49 as coded, 1.00 recoded), or 0/1 against 1/2 (−0.05, 1.00).
pub fn recoding(m: &Matrix) -> Option<Recoding> {
    let k = m.k();
    let total: f64 = m.counts.iter().sum();
    if k < 2 || total <= 0.0 {
        return None;
    }
    let mut cells: Vec<(usize, usize)> = (0..k).flat_map(|i| (0..k).map(move |j| (i, j))).collect();
    cells.sort_by(|a, b| {
        m.counts[b.0 * k + b.1]
            .total_cmp(&m.counts[a.0 * k + a.1])
            .then(a.cmp(b))
    });
    let mut onto: Vec<Option<usize>> = vec![None; k];
    let mut taken = vec![false; k];
    for (i, j) in cells {
        if m.counts[i * k + j] > 0.0 && onto[i].is_none() && !taken[j] {
            onto[i] = Some(j);
            taken[j] = true;
        }
    }
    let (mut agree, mut chance) = (0.0, 0.0);
    for (i, j) in onto.iter().enumerate() {
        if let Some(j) = *j {
            agree += m.counts[i * k + j];
            chance += m.row_sum(i) * m.col_sum(j);
        }
    }
    let (p0, pe) = (agree / total, chance / (total * total));
    let recoded_kappa = (p0 - pe) / (1.0 - pe);
    let kappa = census(m).kappa;
    let moves: Vec<(i64, i64, f64)> = onto
        .iter()
        .enumerate()
        .filter_map(|(i, j)| {
            let j = (*j)?;
            let (row, n) = (m.row_sum(i), m.counts[i * k + j]);
            (i != j && row >= RECODED_WEIGHT * total && n >= RECODED_SHARE * row)
                .then(|| (m.classes[i], m.classes[j], n / row))
        })
        .collect();
    let gain = recoded_kappa - if kappa.is_nan() { 0.0 } else { kappa };
    (!moves.is_empty() && recoded_kappa >= 0.4 && gain >= RECODED_GAIN).then_some(Recoding {
        moves,
        kappa,
        recoded_kappa,
    })
}

fn census_run(
    s: &Settings,
    path: &Path,
    band: &BandSel,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Report> {
    if band != &s.band {
        // the pair is read with one band selection
        return Err(RasterError::Invalid(
            "the map and the reference raster are read with the same --band".into(),
        ));
    }
    let t = crate::transitions::run(
        &crate::transitions::Settings {
            before: s.map.clone(),
            after: path.to_path_buf(),
            band: band.clone(),
            align: s.align,
            area: s.area,
            memory: s.memory,
            tmp: s.tmp.clone(),
        },
        progress,
    )?;
    let mut excluded = Excluded {
        map_missing: t.missing_before + t.missing_both,
        reference_missing: t.missing_after,
        ..Default::default()
    };
    let mut pixels = BTreeMap::new();
    let mut hectares = BTreeMap::new();
    for tr in &t.transitions {
        if !kept(&s.classes, tr.from) || !kept(&s.classes, tr.to) {
            excluded.other_classes += tr.cells;
            continue;
        }
        pixels.insert((tr.from, tr.to), tr.cells as f64);
        hectares.insert((tr.from, tr.to), tr.hectares);
    }
    if pixels.is_empty() {
        return Err(RasterError::Invalid(
            "no pixel has a class on both the map and the reference".into(),
        ));
    }
    let extra = s.classes.clone().unwrap_or_default();
    let matrix = Matrix::from_pairs(&pixels, &extra);
    let ha = Matrix::from_pairs(&hectares, &extra);
    let k = ha.k();
    let map_hectares = (0..k).map(|i| ha.row_sum(i)).collect();
    let reference_hectares = (0..k).map(|j| ha.col_sum(j)).collect();
    Ok(Report {
        design: "census".into(),
        accuracy: census(&matrix),
        matrix,
        matrix_hectares: Some(ha.counts),
        estimates: None,
        map_hectares,
        reference_hectares: Some(reference_hectares),
        excluded,
        warnings: vec![],
    })
}

fn input(path: &Path, m: impl Into<String>) -> RasterError {
    RasterError::Input {
        path: path.display().to_string(),
        message: m.into(),
    }
}

/// The layer `layer` of the vector file `path` opened as `ds`, or its first.
fn vector_layer<'a>(
    ds: &'a gdal::Dataset,
    path: &Path,
    layer: Option<&str>,
) -> Result<gdal::vector::Layer<'a>> {
    match layer {
        Some(name) => ds
            .layer_by_name(name)
            .map_err(|_| input(path, format!("no layer '{name}'"))),
        None => ds.layer(0).map_err(|_| input(path, "has no layer")),
    }
}

/// Whether the layer's first feature with a geometry is a point (else polygons are expected).
fn first_geometry_is_point(path: &Path, layer: Option<&str>) -> Result<bool> {
    let ds = crate::zones::open_vector(path)?;
    let mut lyr = vector_layer(&ds, path, layer)?;
    for f in lyr.features() {
        if let Some(g) = f.geometry() {
            let t = g.geometry_type();
            return Ok([
                OGRwkbGeometryType::wkbPoint,
                OGRwkbGeometryType::wkbPoint25D,
                OGRwkbGeometryType::wkbPointM,
                OGRwkbGeometryType::wkbPointZM,
            ]
            .contains(&t));
        }
    }
    Err(input(path, "the layer has no geometry"))
}

/// The class code of a reference attribute.
fn class_code(v: &crate::zones::Value) -> Option<std::result::Result<i64, String>> {
    use crate::zones::Value;
    match v {
        Value::Null => None,
        Value::Int(i) => Some(Ok(*i)),
        Value::Real(r) if r.fract() == 0.0 && r.is_finite() => Some(Ok(*r as i64)),
        Value::Text(t) if t.trim().is_empty() => None,
        Value::Text(t) => Some(t.trim().parse().map_err(|_| t.clone())),
        Value::Real(r) => Some(Err(r.to_string())),
    }
}

/// Reference polygons: every map cell whose centre a polygon holds is compared with the
/// polygon's class (a census of the reference areas); a cell in polygons of different
/// classes is ambiguous and left out (counted), one in several of the same class counts once.
fn polygons_run(s: &Settings, path: &Path, layer: Option<&str>, field: &str) -> Result<Report> {
    let map = open_map(&s.map, &s.band)?;
    let g = map.grid.clone();
    if g.transform[2] != 0.0 || g.transform[4] != 0.0 {
        return Err(input(&s.map, "a rotated grid is not supported"));
    }
    let zones = crate::zones::read(
        path,
        layer,
        &g.wkt,
        None,
        crate::zones::Invalid::Repair,
        false,
        None,
    )?;
    let fi = zones
        .fields
        .iter()
        .position(|(n, _)| n == field)
        .ok_or_else(|| {
            let names: Vec<&str> = zones.fields.iter().map(|(n, _)| n.as_str()).collect();
            input(
                path,
                format!(
                    "no field '{field}' (fields: {}); name the reference class with --field",
                    names.join(", ")
                ),
            )
        })?;
    let row_areas = g
        .row_areas(s.area)
        .unwrap_or_else(|_| vec![f64::NAN; g.height]);
    let mds = map.open_dataset()?;
    let mut tally = Pairs::new(&s.classes);
    // cell → its reference class (None: ambiguous)
    let mut cells: BTreeMap<usize, Option<i64>> = BTreeMap::new();
    let (mut inside, mut v) = (vec![], vec![]);
    let globe = g.is_geographic().then(|| {
        let (x0, _, x1, _) = g.bounds();
        (x0, x1)
    });
    for z in &zones.zones {
        let Some(code) = class_code(&z.attributes[fi]) else {
            continue;
        };
        let code = code.map_err(|t| {
            input(
                path,
                format!(
                    "feature {:?}: field '{field}' = '{t}' is not a class code",
                    z.fid
                ),
            )
        })?;
        let shape = match globe {
            Some((x0, x1)) => crate::coverage::Shape::new(
                &crate::zones::rings_on_globe(&z.rings, x0, x1),
                &g.transform,
            ),
            None => crate::coverage::Shape::new(&z.rings, &g.transform),
        };
        let Some(win) = shape.window(g.width, g.height) else {
            tally.excluded.outside_map += 1;
            continue;
        };
        shape.centres(win.col0, win.row0, win.cols, win.rows, &mut inside);
        for (i, w) in inside.iter().enumerate() {
            if *w < 1.0 {
                continue;
            }
            let cell = (win.row0 + i / win.cols) * g.width + win.col0 + i % win.cols;
            match cells.get(&cell) {
                None => {
                    cells.insert(cell, Some(code));
                }
                Some(Some(c)) if *c != code => {
                    cells.insert(cell, None);
                }
                _ => {}
            }
        }
    }
    for (cell, class) in cells {
        let Some(reference) = class else {
            tally.excluded.ambiguous += 1;
            continue;
        };
        let (r, c) = (cell / g.width, cell % g.width);
        map.read_window(&mds, (c, r), (1, 1), &mut v)?;
        tally.add(v[0], reference, row_areas[r] / 1e4);
    }
    let Pairs {
        units: pixels,
        hectares,
        excluded,
        ..
    } = tally;
    if pixels.is_empty() {
        return Err(input(
            path,
            "no map cell lies in a reference polygon with a class",
        ));
    }
    let extra = s.classes.clone().unwrap_or_default();
    let matrix = Matrix::from_pairs(&pixels, &extra);
    let ha = Matrix::from_pairs(&hectares, &extra);
    let k = ha.k();
    Ok(Report {
        design: "census of reference polygons".into(),
        accuracy: census(&matrix),
        matrix,
        map_hectares: (0..k).map(|i| ha.row_sum(i)).collect(),
        reference_hectares: Some((0..k).map(|j| ha.col_sum(j)).collect()),
        matrix_hectares: Some(ha.counts),
        estimates: None,
        excluded,
        warnings: vec![],
    })
}

fn points_run(
    s: &Settings,
    path: &Path,
    layer: Option<&str>,
    field: &str,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Report> {
    let map = open_map(&s.map, &s.band)?;
    let g = map.grid.clone();
    let t = g.transform;
    if t[2] != 0.0 || t[4] != 0.0 {
        return Err(input(&s.map, "a rotated grid is not supported"));
    }
    if g.wkt.is_empty() {
        return Err(input(
            &s.map,
            "has no CRS: sample points cannot be placed on it",
        ));
    }
    let ds = crate::zones::open_vector(path)?;
    let mut lyr = vector_layer(&ds, path, layer)?;
    let fields: Vec<String> = lyr.defn().fields().map(|f| f.name()).collect();
    let fi = fields.iter().position(|f| f == field).ok_or_else(|| {
        input(
            path,
            format!(
                "no field '{field}' (fields: {}); name the reference class with --field",
                fields.join(", ")
            ),
        )
    })?;
    let mut src = lyr.spatial_ref().ok_or_else(|| {
        input(
            path,
            "the layer has no CRS: its points cannot be placed on the map",
        )
    })?;
    let mut dst = SpatialRef::from_wkt(&g.wkt).map_err(|e| input(&s.map, e.to_string()))?;
    src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let ct = if src == dst {
        None
    } else {
        Some(CoordTransform::new(&src, &dst).map_err(|e| input(path, e.to_string()))?)
    };
    let mds = map.open_dataset()?;
    let mut tally = Pairs::new(&s.classes);
    let mut v = vec![];
    // sample-design's points carry the class they were drawn in: where the map says
    // otherwise, the sample was drawn on another map and its strata weigh wrongly
    let drawn_in = fields.iter().position(|f| f == "map_class");
    let (mut compared, mut differ, mut first_differ) = (0usize, 0usize, None);
    for (n, f) in lyr.features().enumerate() {
        let fid = f.fid().unwrap_or(n as u64);
        let Some(geom) = f.geometry() else {
            return Err(input(path, format!("feature {fid} has no geometry")));
        };
        if geom.geometry_type() != OGRwkbGeometryType::wkbPoint
            && geom.geometry_type() != OGRwkbGeometryType::wkbPoint25D
        {
            return Err(input(
                path,
                format!(
                    "feature {fid} is not a point ({}): the reference sample is points",
                    geom.geometry_name()
                ),
            ));
        }
        let (mut x, mut y, _) = geom.get_point(0);
        if let Some(ct) = &ct {
            let (mut xs, mut ys, mut zs) = ([x], [y], [0.0]);
            ct.transform_coords(&mut xs, &mut ys, &mut zs)
                .map_err(|e| input(path, format!("feature {fid}: {e}")))?;
            (x, y) = (xs[0], ys[0]);
        }
        let reference = match f.field(fi).map_err(|e| input(path, e.to_string()))? {
            None => None,
            Some(gdal::vector::FieldValue::IntegerValue(i)) => Some(i as i64),
            Some(gdal::vector::FieldValue::Integer64Value(i)) => Some(i),
            Some(gdal::vector::FieldValue::RealValue(r)) if r.fract() == 0.0 && r.is_finite() => {
                Some(r as i64)
            }
            Some(gdal::vector::FieldValue::StringValue(t)) if t.trim().is_empty() => None,
            Some(gdal::vector::FieldValue::StringValue(t)) => {
                Some(t.trim().parse().map_err(|_| {
                    input(
                        path,
                        format!("feature {fid}: field '{field}' = '{t}' is not a class code"),
                    )
                })?)
            }
            Some(o) => {
                return Err(input(
                    path,
                    format!("feature {fid}: field '{field}' = {o:?} is not a class code"),
                ));
            }
        };
        let col = ((x - t[0]) / t[1]).floor();
        let row = ((y - t[3]) / t[5]).floor();
        if !(col >= 0.0 && row >= 0.0 && (col as usize) < g.width && (row as usize) < g.height) {
            tally.excluded.outside_map += 1;
            continue;
        }
        let Some(reference) = reference else {
            tally.excluded.reference_missing += 1;
            continue;
        };
        map.read_window(&mds, (col as usize, row as usize), (1, 1), &mut v)?;
        if let Some(k) = drawn_in
            && let Ok(Some(drawn)) = f.field_as_integer64(k)
            && v[0].is_finite()
        {
            compared += 1;
            if drawn != v[0] as i64 {
                differ += 1;
                first_differ.get_or_insert((fid, drawn, v[0] as i64));
            }
        }
        tally.add(v[0], reference, 0.0);
    }
    if let Some((fid, drawn, now)) = first_differ {
        return Err(input(
            path,
            format!(
                "{differ} of the {compared} points' map_class (the class sample-design drew them in) differ from {}'s at their place (first: feature {fid}, map_class {drawn}, the map {now}): the sample was drawn on another map, and the stratified estimates would weigh this map's strata by the other's draws (a user's accuracy of 0.96 for 0.70, and an area whose 95 % interval missed the truth). Draw the sample on this map (raster sample-design)",
                s.map.display()
            ),
        ));
    }
    let Pairs {
        units: pairs,
        excluded,
        ..
    } = tally;
    if pairs.is_empty() {
        return Err(input(
            path,
            "no sample point has a class on both the map and the reference",
        ));
    }
    let counts = map_classes(&s.map, &s.band, s.area, s.memory, progress)?;
    let mapped_classes: Vec<i64> = counts
        .classes
        .keys()
        .copied()
        .filter(|c| kept(&s.classes, *c))
        .collect();
    let matrix = Matrix::from_pairs(&pairs, &mapped_classes);
    let no_crs_area = counts.classes.values().any(|(_, ha)| ha.is_nan());
    let mapped: Vec<f64> = matrix
        .classes
        .iter()
        .map(|c| {
            counts
                .classes
                .get(c)
                .map_or(0.0, |(px, ha)| if no_crs_area { *px as f64 } else { *ha })
        })
        .collect();
    let estimates = stratified(&matrix, &mapped).map_err(|e| input(path, e.to_string()))?;
    Ok(Report {
        design: "stratified sample".into(),
        accuracy: census(&matrix),
        matrix,
        matrix_hectares: None,
        estimates: Some(estimates),
        map_hectares: mapped,
        reference_hectares: None,
        excluded,
        warnings: vec![],
    })
}

/// The settings of a stratified random sample of a class map.
#[derive(Debug, Clone)]
pub struct DesignSettings {
    pub map: PathBuf,
    pub band: BandSel,
    pub n: u64,
    pub allocation: Allocation,
    pub seed: u64,
    /// Only these classes are strata (all when None).
    pub classes: Option<Vec<i64>>,
    pub area: AreaMethod,
    pub memory: u64,
    /// The GeoPackage of points written.
    pub out: PathBuf,
}

/// One stratum of a sample design.
#[derive(Debug, Clone, Serialize)]
pub struct Stratum {
    pub class: i64,
    pub pixels: u64,
    pub hectares: f64,
    pub sample: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DesignReport {
    pub strata: Vec<Stratum>,
    pub n: u64,
    pub seed: u64,
    pub allocation: Allocation,
    pub crs: String,
    /// A fill-like class surrounding the map where the file declares no nodata value, when
    /// it is a stratum ([`crate::read::Frame`]).
    pub warnings: Vec<String>,
}

/// Draws a stratified random sample of pixels (strata = map classes; within a stratum every
/// set of its size equally likely: Floyd's algorithm on the stratum's pixel ranks in
/// row-major order, one splitmix64 stream seeded with `seed`, strata in ascending class
/// order) and writes it as a GeoPackage of pixel-centre points with `id`, `map_class`,
/// `row`, `col` and an empty `reference` field to fill in.
pub fn sample_design(
    s: &DesignSettings,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<DesignReport> {
    let counts = map_classes(&s.map, &s.band, s.area, s.memory, &|d, t| {
        progress(d, 2 * t)
    })?;
    let g = counts.grid.clone();
    if g.transform[2] != 0.0 || g.transform[4] != 0.0 {
        return Err(input(&s.map, "a rotated grid is not supported"));
    }
    let strata: Vec<(i64, u64, f64)> = counts
        .classes
        .iter()
        .filter(|(c, _)| kept(&s.classes, **c))
        .map(|(c, (px, ha))| (*c, *px, *ha))
        .collect();
    if let Some(l) = &s.classes {
        for c in l {
            if !strata.iter().any(|t| t.0 == *c) {
                return Err(input(
                    &s.map,
                    format!("class {c} (--classes) is not on the map"),
                ));
            }
        }
    }
    let sizes: Vec<u64> = strata.iter().map(|t| t.1).collect();
    let alloc = allocate(s.n, &sizes, s.allocation)?;
    let mut rng = SplitMix::new(s.seed);
    // per class: its sorted ranks, and the position of the next one
    let mut ranks: BTreeMap<i64, (Vec<u64>, usize, u64)> = BTreeMap::new();
    for ((c, n, _), m) in strata.iter().zip(&alloc) {
        ranks.insert(*c, (distinct_ranks(&mut rng, *n, *m), 0, 0));
    }
    let map = open_map(&s.map, &s.band)?;
    let total: u64 = sizes.iter().sum();
    let warnings = map
        .frame()?
        .into_iter()
        .filter_map(|f| {
            let (_, px, _) = strata.iter().find(|t| t.0 == f.code)?;
            Some(f.warning(
                "the map",
                &s.map,
                Some(*px as f64 / total.max(1) as f64),
                &format!(
                    "declare it (gdal_edit.py -a_nodata {} FILE) or list the strata without it (--classes)",
                    f.code
                ),
            ))
        })
        .collect();
    let (w, h) = (g.width, g.height);
    let mut points: Vec<(i64, usize, usize)> = Vec::with_capacity(s.n as usize);
    over_codes(
        &map,
        s.memory,
        |r0, n, codes| {
            progress((h + r0 + n) as u64, 2 * h as u64);
            Ok(codes)
        },
        |r0, _, codes| {
            for (p, c) in codes.iter().enumerate() {
                let Some(c) = c else { continue };
                let Some((r, next, seen)) = ranks.get_mut(c) else {
                    continue;
                };
                if *next < r.len() && r[*next] == *seen {
                    points.push((*c, r0 + p / w, p % w));
                    *next += 1;
                }
                *seen += 1;
            }
            Ok(())
        },
    )?;
    write_points(&s.out, &g, &points)?;
    Ok(DesignReport {
        strata: strata
            .iter()
            .zip(&alloc)
            .map(|((c, px, ha), m)| Stratum {
                class: *c,
                pixels: *px,
                hectares: *ha,
                sample: *m,
            })
            .collect(),
        n: s.n,
        seed: s.seed,
        allocation: s.allocation,
        crs: g.crs_name(),
        warnings,
    })
}

/// Writes sample points at pixel centres as a GeoPackage layer `sample` (atomically).
fn write_points(path: &Path, g: &Grid, points: &[(i64, usize, usize)]) -> Result<()> {
    let mut tmp = crate::write::tmp_name(path, "tmp").into_os_string();
    tmp.push(".gpkg");
    let tmp = PathBuf::from(tmp);
    let t = g.transform;
    let written = (|| -> std::result::Result<(), gdal::errors::GdalError> {
        let driver = DriverManager::get_driver_by_name("GPKG")?;
        let mut ds = driver.create_vector_only(&tmp)?;
        let srs = if g.wkt.is_empty() {
            None
        } else {
            Some(SpatialRef::from_wkt(&g.wkt)?)
        };
        let lyr = ds.create_layer(LayerOptions {
            name: "sample",
            srs: srs.as_ref(),
            ty: OGRwkbGeometryType::wkbPoint,
            options: None,
        })?;
        lyr.create_defn_fields(&[
            ("id", OGRFieldType::OFTInteger64),
            ("map_class", OGRFieldType::OFTInteger64),
            ("row", OGRFieldType::OFTInteger64),
            ("col", OGRFieldType::OFTInteger64),
            ("reference", OGRFieldType::OFTInteger64),
        ])?;
        let txn = ds.start_transaction()?;
        {
            let lyr = txn.layer(0)?;
            for (i, &(c, r, col)) in points.iter().enumerate() {
                let mut f = gdal::vector::Feature::new(lyr.defn())?;
                let x = t[0] + (col as f64 + 0.5) * t[1];
                let y = t[3] + (r as f64 + 0.5) * t[5];
                let mut p = Geometry::empty(OGRwkbGeometryType::wkbPoint)?;
                p.add_point_2d((x, y));
                f.set_geometry(p)?;
                f.set_field_integer64(0, i as i64 + 1)?;
                f.set_field_integer64(1, c)?;
                f.set_field_integer64(2, r as i64)?;
                f.set_field_integer64(3, col as i64)?;
                f.set_field_null(4)?;
                f.create(&lyr)?;
            }
        }
        txn.commit()?;
        ds.close()?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(input(path, format!("writing the GeoPackage failed: {e}")));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        input(path, e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(classes: &[i64], counts: &[f64]) -> Matrix {
        Matrix {
            classes: classes.to_vec(),
            counts: counts.to_vec(),
        }
    }

    /// A change map 0/1 (90 % right) against references coded 0/255 and 1/2 is found with
    /// its moves; the same map against a 0/1 reference, and a map whose two classes are
    /// merely confused (60 % right), are not.
    #[test]
    fn classes_coded_differently_are_told_from_confused_ones() {
        // rows map 0, 1, 255; columns reference 0, 1, 255
        let m = matrix(
            &[0, 1, 255],
            &[900.0, 0.0, 50.0, 10.0, 0.0, 90.0, 0.0, 0.0, 0.0],
        );
        let r = recoding(&m).unwrap();
        assert_eq!(r.moves, [(1, 255, 0.9)]);
        assert!(r.recoded_kappa > 0.7 && r.kappa < 0.4, "{r:?}");
        // rows map 0, 1, 2; columns reference 0, 1, 2
        let m = matrix(
            &[0, 1, 2],
            &[0.0, 900.0, 50.0, 0.0, 10.0, 90.0, 0.0, 0.0, 0.0],
        );
        let r = recoding(&m).unwrap();
        assert_eq!(
            r.moves.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(),
            [(0, 1), (1, 2)]
        );
        // coded alike
        assert!(recoding(&matrix(&[0, 1], &[900.0, 50.0, 10.0, 90.0])).is_none());
        // confused: 60 % right, a recoding would be 40 % right
        assert!(recoding(&matrix(&[0, 1], &[60.0, 40.0, 40.0, 60.0])).is_none());
        // one rare class mostly wrong beside a large right one: no kappa to gain
        let m = matrix(
            &[1, 2, 3],
            &[5000.0, 10.0, 0.0, 0.0, 500.0, 10.0, 0.0, 12.0, 8.0],
        );
        assert!(recoding(&m).is_none());
    }

    #[test]
    fn kappa_of_a_hand_case() {
        // [[20, 5], [10, 15]]: p0 = 0.7, pe = (25·30 + 25·20) / 50² = 0.5, kappa = 0.4
        let m = Matrix {
            classes: vec![0, 1],
            counts: vec![20.0, 5.0, 10.0, 15.0],
        };
        let c = census(&m);
        assert!((c.overall - 0.7).abs() < 1e-15);
        assert!((c.kappa - 0.4).abs() < 1e-15);
        assert!((c.classes[0].users - 0.8).abs() < 1e-15);
        assert!((c.classes[0].producers - 20.0 / 30.0).abs() < 1e-15);
    }

    #[test]
    fn allocations() {
        assert_eq!(
            allocate(10, &[70, 20, 10], Allocation::Proportional).unwrap(),
            [7, 2, 1]
        );
        assert_eq!(
            allocate(9, &[70, 20, 10], Allocation::Equal).unwrap(),
            [3, 3, 3]
        );
        // at least 3 each: 7 / 2 / 1 → the two small ones raised to 3, the first keeps 4
        assert_eq!(
            allocate(10, &[70, 20, 10], Allocation::Minimum { min: 3 }).unwrap(),
            [4, 3, 3]
        );
        // 14 / 4 / 2 → the last raised to 3, the other 17 shared 70:20 → 13.22 / 3.78
        assert_eq!(
            allocate(20, &[70, 20, 10], Allocation::Minimum { min: 3 }).unwrap(),
            [13, 4, 3]
        );
        // a class smaller than its share gives the rest away
        assert_eq!(allocate(6, &[100, 1], Allocation::Equal).unwrap(), [5, 1]);
        assert!(allocate(10, &[3, 3], Allocation::Proportional).is_err());
    }

    #[test]
    fn floyd_draws_distinct_sorted_ranks() {
        let mut rng = SplitMix::new(42);
        let r = distinct_ranks(&mut rng, 100, 30);
        assert_eq!(r.len(), 30);
        assert!(r.windows(2).all(|w| w[0] < w[1]) && *r.last().unwrap() < 100);
        assert_eq!(distinct_ranks(&mut rng, 5, 5), [0, 1, 2, 3, 4]);
    }
}
