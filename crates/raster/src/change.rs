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

use crate::baseline::BaselineOffset;
use crate::blocks;
use crate::grid::{AreaMethod, Grid};
use crate::index::{Expr, Index};
use crate::mask::{self, MaskKind, NodataRule};
use crate::read::{Band, BandSpec, Resampling};
use crate::sieve::{self, Connectivity};
use crate::stats::{Cca, CoMoments};
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
    /// Change vector analysis: the Euclidean norm of the per-band differences (after the
    /// dates' [`Normalize`] transform); with `standardize` each difference is centred on its
    /// mean and divided by its population standard deviation, (d − μ) / σ.
    Cva { standardize: bool },
    /// Iteratively reweighted multivariate alteration detection (Nielsen 2007): canonical
    /// correlation analysis of the two dates' bands, reweighted by each pixel's no-change
    /// probability until the canonical correlations change by less than `tolerance`; the
    /// change value is the chi-square statistic Σ MADᵢ² / σ²(MADᵢ) (bands degrees of
    /// freedom under no change). Invariant to any linear transform of each date's bands.
    Irmad {
        max_iterations: usize,
        tolerance: f64,
        scale: MadScale,
    },
}

/// How the MAD variates are scaled in IR-MAD's chi-square statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MadScale {
    /// Nielsen (2007): MADᵢ / sqrt(2 (1 − ρᵢ)), the variances under the final weights. The
    /// weights favour the pixels with the smallest statistic, so these variances shrink at
    /// each iteration: on a pair with no change at all, 40 % or more of the pixels end above
    /// the 0.99 quantile (tests/change_methods.rs).
    Canonical,
    /// (MADᵢ − median) / (1.4826 × median absolute deviation) over the valid pixels (a
    /// regular sample of at most 2²⁰ of them): the final canonical vectors of IR-MAD with a
    /// scale that holds while less than half the pixels change, so that the chi-square
    /// quantiles mean what they say for the unchanged pixels.
    Robust,
}

/// The multi-band methods, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodName {
    Cva,
    Irmad,
}

impl MethodName {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["cva", "irmad"];
}

impl std::str::FromStr for MethodName {
    type Err = crate::ParseError;

    /// `cva` or `irmad`.
    fn from_str(s: &str) -> std::result::Result<MethodName, crate::ParseError> {
        match s {
            "cva" => Ok(MethodName::Cva),
            "irmad" => Ok(MethodName::Irmad),
            _ => Err(crate::ParseError::expected(
                "cva or irmad (or give --index / --expr)",
            )),
        }
    }
}

impl std::fmt::Display for MethodName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MethodName::Cva => "cva",
            MethodName::Irmad => "irmad",
        })
    }
}

/// `words` (the accepted words, in order) parsed into `values`.
fn one_of<T: Copy>(
    s: &str,
    words: &[&str],
    values: &[T],
    expected: &str,
) -> std::result::Result<T, crate::ParseError> {
    words
        .iter()
        .position(|w| *w == s)
        .map(|i| values[i])
        .ok_or_else(|| crate::ParseError::expected(expected))
}

impl MadScale {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["robust", "canonical"];
}

impl std::str::FromStr for MadScale {
    type Err = crate::ParseError;

    /// `robust` or `canonical`.
    fn from_str(s: &str) -> std::result::Result<MadScale, crate::ParseError> {
        one_of(
            s,
            &["robust", "canonical"],
            &[MadScale::Robust, MadScale::Canonical],
            "robust or canonical",
        )
    }
}

impl Normalize {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["none", "zscore", "histogram", "pif"];
}

impl std::str::FromStr for Normalize {
    type Err = crate::ParseError;

    /// `none`, `zscore`, `histogram` or `pif`.
    fn from_str(s: &str) -> std::result::Result<Normalize, crate::ParseError> {
        one_of(
            s,
            &["none", "zscore", "histogram", "pif"],
            &[
                Normalize::None,
                Normalize::Zscore,
                Normalize::Histogram,
                Normalize::Pif,
            ],
            "none, zscore, histogram or pif",
        )
    }
}

impl Difference {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["after-minus-before", "before-minus-after"];
}

impl std::str::FromStr for Difference {
    type Err = crate::ParseError;

    /// `after-minus-before` or `before-minus-after`.
    fn from_str(s: &str) -> std::result::Result<Difference, crate::ParseError> {
        one_of(
            s,
            &["after-minus-before", "before-minus-after"],
            &[Difference::AfterMinusBefore, Difference::BeforeMinusAfter],
            "after-minus-before or before-minus-after",
        )
    }
}

impl Direction {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["above", "below"];
}

impl std::str::FromStr for Direction {
    type Err = crate::ParseError;

    /// `above` or `below`.
    fn from_str(s: &str) -> std::result::Result<Direction, crate::ParseError> {
        one_of(
            s,
            &["above", "below"],
            &[Direction::Above, Direction::Below],
            "above or below",
        )
    }
}

/// A threshold as asked for (`--threshold`), before the method's default and the histogram's
/// bins make it a [`Threshold`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThresholdChoice {
    Otsu,
    KittlerIllingworth,
    Em,
    Kmeans { k: usize },
    Chi2 { probability: f64 },
    DnbrClasses,
    Fixed { value: f64 },
}

impl std::str::FromStr for ThresholdChoice {
    type Err = crate::ParseError;

    /// `otsu`, `ki` (`kittler-illingworth`), `em`, `kmeans` (`kmeans:2`, `kmeans:3`),
    /// `chi2:P` (0 < P < 1), `classes`, or a finite number.
    fn from_str(s: &str) -> std::result::Result<ThresholdChoice, crate::ParseError> {
        let says = |m: &str| crate::ParseError { message: m.into() };
        Ok(match s {
            "otsu" => ThresholdChoice::Otsu,
            "ki" | "kittler-illingworth" => ThresholdChoice::KittlerIllingworth,
            "em" => ThresholdChoice::Em,
            "kmeans" | "kmeans:2" => ThresholdChoice::Kmeans { k: 2 },
            "kmeans:3" => ThresholdChoice::Kmeans { k: 3 },
            k if k.starts_with("kmeans:") => return Err(says("k is 2 or 3")),
            "classes" => ThresholdChoice::DnbrClasses,
            c if c.starts_with("chi2:") => ThresholdChoice::Chi2 {
                probability: c[5..]
                    .parse()
                    .ok()
                    .filter(|p: &f64| *p > 0.0 && *p < 1.0)
                    .ok_or_else(|| says("chi2:P needs a probability 0 < P < 1, e.g. chi2:0.99"))?,
            },
            v => ThresholdChoice::Fixed {
                value: v
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite())
                    .ok_or_else(|| {
                        crate::ParseError::expected(
                            "otsu, ki, em, kmeans, chi2:P, classes or a finite number",
                        )
                    })?,
            },
        })
    }
}

impl Method {
    /// Whether the method compares the bands themselves (CVA, IR-MAD) rather than an index.
    pub fn is_multiband(&self) -> bool {
        matches!(self, Method::Cva { .. } | Method::Irmad { .. })
    }

    /// Whether a method needs statistics of the whole image before its first change value.
    pub fn needs_whole_image(&self, normalize: Normalize) -> bool {
        matches!(
            self,
            Method::Cva { standardize: true } | Method::Irmad { .. }
        ) || normalize != Normalize::None
    }
}

/// How the two dates' bands are made comparable before a multi-band method (CVA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// The bands as read.
    None,
    /// Each date's band standardised by its own mean and population standard deviation over
    /// the pixels valid on both dates.
    Zscore,
    /// Pseudo-invariant features (Canty, Nielsen & Schmidt 2004): pixels whose IR-MAD
    /// no-change probability exceeds 0.95 are taken as unchanged, and the after date's band is
    /// mapped onto the before date's by orthogonal regression over them.
    Pif,
    /// Histogram matching: each after band mapped onto its before band through their
    /// cumulative histograms (4,096 bins over each band's range, linear within a bin) over the
    /// pixels valid on both dates; monotone, and not linear, so it also reshapes change.
    Histogram,
}

/// A minimum mapping unit: a true area, or a pixel count (for grids without a CRS).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mmu {
    SquareMetres(f64),
    Pixels(u64),
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
    /// Kittler & Illingworth's minimum error threshold on a histogram of the values.
    KittlerIllingworth {
        bins: usize,
    },
    /// The Bayes boundary of a two-Gaussian mixture fitted by EM (Bruzzone & Prieto 2000).
    Em {
        bins: usize,
    },
    /// k-means (k = 2 or 3) on a histogram of the values: the boundary between the cluster
    /// of change (the highest, or the lowest for `below`) and the next.
    Kmeans {
        bins: usize,
        k: usize,
    },
    /// IR-MAD: the chi-square quantile at `probability` with as many degrees of freedom as
    /// bands (the value no-change pixels exceed with probability 1 − p).
    Chi2 {
        probability: f64,
    },
    /// dNBR severity classes (no threshold).
    DnbrClasses,
}

impl Threshold {
    /// The histogram bins of a threshold found from the values' histogram.
    pub fn histogram_bins(&self) -> Option<usize> {
        match *self {
            Threshold::Otsu { bins }
            | Threshold::KittlerIllingworth { bins }
            | Threshold::Em { bins }
            | Threshold::Kmeans { bins, .. } => Some(bins),
            _ => None,
        }
    }

    /// The threshold known before any change value: fixed, or the chi-square quantile of
    /// `bands` degrees of freedom.
    pub fn known(&self, bands: usize) -> Option<f64> {
        match *self {
            Threshold::Fixed { value } => Some(value),
            Threshold::Chi2 { probability } => {
                Some(crate::stats::chi2_quantile(probability, bands as u32))
            }
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            Threshold::Fixed { .. } => "fixed".into(),
            Threshold::Otsu { bins } => format!("Otsu, {bins} bins"),
            Threshold::KittlerIllingworth { bins } => {
                format!("Kittler–Illingworth minimum error, {bins} bins")
            }
            Threshold::Em { bins } => {
                format!("EM two-Gaussian mixture, Bayes boundary, {bins} bins")
            }
            Threshold::Kmeans { bins, k } => format!("k-means, k = {k}, {bins} bins"),
            Threshold::Chi2 { probability } => format!("chi-square quantile {probability}"),
            Threshold::DnbrClasses => "dNBR severity classes".into(),
        }
    }
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

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::Above => "above",
            Direction::Below => "below",
        })
    }
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
    /// Minimum mapping unit and the connectivity of its patches.
    pub mmu: Option<(Mmu, Connectivity)>,
    /// The dates' radiometric normalisation before CVA.
    pub normalize: Normalize,
    /// The sanity checks of the classes (changed share, side of zero).
    pub checks: Checks,
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
    /// A window of a larger grid (a tile of a planned run): a tile with no pixel to compare
    /// (all cloud) is no error, the merge says what the whole lacks.
    pub tile: bool,
}

impl Settings {
    /// `method`'s change from `before` to `after` written to `out`, with the command line's
    /// defaults: after − before, an Otsu threshold of 256 bins with change below it, a
    /// pixel missing in any input missing, no mask buffer, no minimum mapping unit, no
    /// normalisation, the default checks, nearest resampling within a date, no alignment,
    /// the before date's grid, ellipsoidal areas, 1 GB of memory, no classes file. `tmp`
    /// holds warped VRTs while the run lasts.
    pub fn new(
        before: DateInputs,
        after: DateInputs,
        method: Method,
        out: OutputSpec,
        tmp: PathBuf,
    ) -> Settings {
        Settings {
            before,
            after,
            method,
            difference: Difference::AfterMinusBefore,
            relative: false,
            threshold: Threshold::Otsu { bins: 256 },
            direction: Direction::Below,
            nodata: NodataRule::Any,
            mask_buffer: 0,
            mmu: None,
            normalize: Normalize::None,
            checks: Checks::default(),
            resampling: Resampling::Nearest,
            align: None,
            grid: None,
            area: AreaMethod::Ellipsoid,
            memory: 1 << 30,
            out,
            classes_out: None,
            tmp,
            defer_classes: false,
            tile: false,
        }
    }
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

/// Checks of a classification that warn (or, with `strict`, refuse) when a threshold is
/// implausible: a changed share above `max_change_share`, or a threshold of a signed
/// difference on the side of zero that makes most unchanged pixels "change".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Checks {
    pub max_change_share: Option<f64>,
    pub strict: bool,
    /// An index's pair whose darkest values differ by Sentinel-2's +1,000 of processing
    /// baseline 04.00 in every band: refused, taken off the date that has it, or kept.
    pub s2_offset: BaselineOffset,
}

impl Default for Checks {
    fn default() -> Checks {
        Checks {
            max_change_share: Some(0.2),
            strict: false,
            s2_offset: BaselineOffset::Check,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MmuReport {
    /// The unit as an area (None for a pixel count on a grid without pixel areas).
    pub square_metres: Option<f64>,
    pub connectivity: Connectivity,
    /// The unit in pixels (the equivalent count on a projected grid; patches of fewer go).
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
    /// CVA with standardisation: the per-band means and standard deviations of the
    /// differences.
    pub band_mean: Vec<f64>,
    pub band_std: Vec<f64>,
    /// The dates' normalisation before CVA, with its coefficients.
    pub normalization: Option<Normalization>,
    /// IR-MAD's iterations and canonical correlations.
    pub irmad: Option<IrmadReport>,
    /// EM's fitted mixture, or k-means' centroids, when those thresholds are used.
    pub threshold_fit: Option<ThresholdFit>,
    /// Change over change + no change (None without a threshold).
    pub changed_share: Option<f64>,
    /// Implausible results found by the checks (also printed on stderr by the CLI).
    pub warnings: Vec<String>,
    pub classes: Vec<ClassArea>,
    pub mmu: Option<MmuReport>,
    pub area_method: AreaMethod,
    pub km2: f64,
}

/// A date's band transform x ↦ (x − offset) · scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Linear {
    pub offset: f64,
    pub scale: f64,
}

impl Linear {
    const IDENTITY: Linear = Linear {
        offset: 0.0,
        scale: 1.0,
    };
}

/// A band's value mapped for CVA: (x − offset) · scale, or through a lookup table.
#[derive(Debug, Clone)]
struct BandMap {
    offset: f32,
    scale: f32,
    lut: Option<Lut>,
}

impl BandMap {
    fn linear(l: &Linear) -> BandMap {
        BandMap {
            offset: l.offset as f32,
            scale: l.scale as f32,
            lut: None,
        }
    }

    #[inline]
    fn apply(&self, x: f32) -> f32 {
        match &self.lut {
            None => (x - self.offset) * self.scale,
            Some(l) => l.apply(x),
        }
    }
}

/// A piecewise-linear map given at the edges of equal bins over [lo, lo + bins · step].
#[derive(Debug, Clone)]
struct Lut {
    lo: f64,
    step: f64,
    values: Vec<f64>,
}

impl Lut {
    #[inline]
    fn apply(&self, x: f32) -> f32 {
        let n = self.values.len() - 1;
        let t = if self.step > 0.0 {
            ((x as f64 - self.lo) / self.step).clamp(0.0, n as f64)
        } else {
            0.0
        };
        let i = (t as usize).min(n.saturating_sub(1));
        let f = t - i as f64;
        let v = if n == 0 {
            self.values[0]
        } else {
            self.values[i] + f * (self.values[i + 1] - self.values[i])
        };
        v as f32
    }
}

/// The bins of histogram matching.
const MATCH_BINS: usize = 4096;

/// The normalisation applied before CVA: each band's transform per date.
#[derive(Debug, Clone, Serialize)]
pub struct Normalization {
    pub method: Normalize,
    pub before: Vec<Linear>,
    pub after: Vec<Linear>,
    /// PIF: the pixels taken as invariant (no-change probability > 0.95).
    pub invariant_pixels: Option<u64>,
}

/// What IR-MAD's iterations did.
#[derive(Debug, Clone, Serialize)]
pub struct IrmadReport {
    pub iterations: usize,
    pub converged: bool,
    pub tolerance: f64,
    /// The final canonical correlations, ascending (MAD variate 1 the least correlated).
    pub correlations: Vec<f64>,
    /// The canonical correlations of each iteration.
    pub history: Vec<Vec<f64>>,
    /// The standard deviations of the MAD variates, sqrt(2 (1 − ρᵢ)).
    pub mad_std: Vec<f64>,
    /// The degrees of freedom of the chi-square statistic (the bands).
    pub degrees_of_freedom: usize,
    /// The sum of the final no-change weights over the valid pixels.
    pub no_change_weight: f64,
    /// How the MAD variates are scaled in the change statistic, with each one's centre and
    /// scale, and (robust) the pixels they were estimated on.
    pub scale: MadScale,
    pub mad_centre: Vec<f64>,
    pub mad_scale: Vec<f64>,
    pub robust_sample: Option<u64>,
}

/// What a fitted threshold found.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ThresholdFit {
    Mixture(threshold::Mixture),
    Centroids { centroids: Vec<f64> },
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
    /// What an index's input values say of their scale and bands, before and after.
    screen: [crate::index::Screen; 2],
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
            if matches!(kind, MaskKind::Scl { .. }) {
                check_scl(&b, which)?;
            }
            Some((b.onto(&target, Resampling::Nearest, &s.tmp)?, kind.clone()))
        }
    };
    Ok((out, m, date_grid, target))
}

/// The codes of Sentinel-2's scene classification (0 no data … 11 snow).
pub const SCL_CODES: std::ops::RangeInclusive<f64> = 0.0..=11.0;

/// Refuses a scene-classification band whose values (sampled in the nine windows of the
/// baseline check) are not its codes, 0–11, in more than 1 % of the cells: another band of
/// the file (the sample scene's near infrared as `#2` for `#3` masked nothing, and mapped
/// its cloud as 24 ha of change), or a cloud probability (0–100) read as classes.
fn check_scl(b: &Band, which: &str) -> Result<()> {
    let values =
        crate::baseline::sample_windows(&[(&b.source, b.index)], (b.grid.width, b.grid.height))?;
    let valid: Vec<f64> = values[0]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let other = valid
        .iter()
        .filter(|v| !(SCL_CODES.contains(*v) && v.fract() == 0.0))
        .count();
    if valid.is_empty() || other * 100 <= valid.len() {
        return Ok(());
    }
    let largest = valid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Err(RasterError::Input {
        path: b.source.display().to_string(),
        message: format!(
            "the {which} date's scene-classification band ({}) is not one: {:.0} % of its sampled cells are not a class code 0–11 (the largest {largest}). Give the SCL band (Sentinel-2 L2A's SCL, at 20 m), or a mask of another kind as --mask-before/--mask-after (non-zero masked)",
            b.label,
            100.0 * other as f64 / valid.len() as f64
        ),
    })
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
    s.validate(nb)?;
    // classes come with the change values unless a histogram threshold or the sieve needs
    // them all first
    let histogram = s.threshold.histogram_bins().is_some();
    let early = s.defer_classes || (!histogram && s.mmu.is_none());
    let fixed = s.threshold.known(nb);
    let stat_passes = match s.method {
        Method::Irmad { .. } => 8,
        Method::Cva { standardize } => {
            u64::from(standardize)
                + match s.normalize {
                    Normalize::None => 0,
                    Normalize::Zscore => 1,
                    Normalize::Pif => 9,
                    Normalize::Histogram => 2,
                }
        }
        _ => 0,
    };
    let passes = 1 + u64::from(!early) + u64::from(!s.defer_classes && histogram) + stat_passes;
    let total = h as u64 * passes;
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = |rows: usize| {
        let d = done.fetch_add(rows as u64, std::sync::atomic::Ordering::Relaxed) + rows as u64;
        progress(d, total.max(d));
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

    // whole-image statistics of multi-band methods (IR-MAD's iterations, the normalisation,
    // the standardisation of the differences)
    let stats = Stats {
        o: &o,
        s,
        rows,
        tick: &tick,
        cache: std::sync::OnceLock::new(),
    };
    let prep = stats.prepare()?;
    drop(stats);
    let plan = &prep.plan;
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
    let mut screen = [crate::index::Screen::default(); 2];
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
                Method::Cva { .. } | Method::Irmad { .. } => None,
            };
            let rb: Vec<&[f32]> = bv.iter().map(Vec::as_slice).collect();
            let ra: Vec<&[f32]> = av.iter().map(Vec::as_slice).collect();
            out.screen = match &s.method {
                Method::Index(i) => [
                    crate::index::Screen::of_index(*i, &rb),
                    crate::index::Screen::of_index(*i, &ra),
                ],
                _ => [
                    crate::index::Screen::of(rb.iter().copied()),
                    crate::index::Screen::of(ra.iter().copied()),
                ],
            };
            let mut missing = vec![false; w * n];
            for band in bv.iter().chain(&av) {
                for (m, x) in missing.iter_mut().zip(band) {
                    *m |= !x.is_finite();
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
                    change_value(s, plan, &vb, &va)
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
            screen[0].add(&p.screen[0]);
            screen[1].add(&p.screen[1]);
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
    if let Method::Index(i) = &s.method {
        let read = pixels * 2 * i.bands().len() as u64;
        let mut both = screen[0];
        both.add(&screen[1]);
        crate::index::check_reflectance(*i, &both, read)?;
        crate::index::check_offset(*i, &both)?;
        for (name, date, sc) in [
            ("before", &o.before, &screen[0]),
            ("after", &o.after, &screen[1]),
        ] {
            let files: Vec<&str> = date.iter().map(|b| b.label.as_str()).collect();
            let what = format!("the {name} date ({})", files.join(", "));
            crate::index::check_band_scales(*i, sc, &what)?;
            crate::index::check_roles(*i, sc, &what, crate::index::EXPR_WAY)?;
        }
    }
    if s.nodata == NodataRule::Any {
        for (name, date, sc) in [
            ("before", &o.before, &screen[0]),
            ("after", &o.after, &screen[1]),
        ] {
            let files: Vec<&str> = date.iter().map(|b| b.label.as_str()).collect();
            crate::index::check_fill(sc, &format!("the {name} date ({})", files.join(", ")))?;
        }
    }
    let computed_nan = pixels - valid - nodata - masked;
    nodata += computed_nan;
    // a whole run with nothing to compare would report 0 ha of every class as a result (a
    // tile of a planned run may be all cloud; its merge says so)
    if valid == 0 && !s.defer_classes && !s.tile {
        return Err(RasterError::Invalid(format!(
            "no pixel to compare: of the {pixels} pixels, {masked} are masked (clouds, shadows, the mask rasters) and {nodata} have no value on one date or both; the change would read 0 ha of every class. Check the masks and the dates' nodata"
        )));
    }

    let (threshold, mmu_report, fit) = if early {
        (fixed, None, None)
    } else {
        let stage = Stage {
            rule: s.rule(),
            grid: &g,
            rows,
            row_areas: &row_areas,
            memory: s.memory,
            known: fixed,
        };
        let c = stage.run(
            (lo, hi, valid),
            None,
            &mut writer,
            classes_writer.as_mut(),
            (&mut counts, &mut area),
            &tick,
        )?;
        (c.threshold, c.mmu, c.fit)
    };
    let classes = if s.defer_classes {
        vec![]
    } else {
        class_areas(s.threshold, &counts, &area)
    };
    // checked before the outputs are finished: a refusal leaves nothing behind
    let (changed_share, warnings) = if s.defer_classes {
        (None, vec![])
    } else {
        s.rule().check(threshold, &counts)?
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
        band_mean: prep.band_mean,
        band_std: prep.band_std,
        normalization: prep.normalization,
        irmad: prep.irmad,
        threshold_fit: fit,
        changed_share,
        warnings,
        classes,
        mmu: mmu_report,
        area_method: s.area,
        km2,
    })
}

/// How a pixel's change value is computed from its bands.
#[derive(Debug, Clone)]
enum Plan {
    /// An index or expression difference.
    Index,
    /// CVA: each band's transform per date, then (d − μ) / σ when standardised.
    Cva {
        before: Vec<BandMap>,
        after: Vec<BandMap>,
        centre: Option<Vec<(f32, f32)>>,
    },
    /// IR-MAD's chi-square statistic with the final canonical vectors and weighted means.
    Irmad {
        cca: Cca,
        mean_before: Vec<f64>,
        mean_after: Vec<f64>,
        /// Each MAD variate's centre and scale in the statistic.
        centre: Vec<f64>,
        scale: Vec<f64>,
    },
}

/// What the statistics passes found.
struct Prepared {
    plan: Plan,
    band_mean: Vec<f64>,
    band_std: Vec<f64>,
    normalization: Option<Normalization>,
    irmad: Option<IrmadReport>,
}

/// The whole-image statistics passes over both dates.
struct Stats<'a> {
    o: &'a Opened,
    s: &'a Settings,
    rows: usize,
    tick: &'a (dyn Fn(usize) + Sync),
    /// Both dates' strips in memory, when IR-MAD iterates and they fit in half the budget
    /// (else every pass reads the files again).
    cache: std::sync::OnceLock<Vec<DateStrips>>,
}

/// A visitor of a strip's bands (before, after) and its pixels valid on both dates.
type ValidPixels<'a> = dyn FnMut(&[Vec<f32>], &[Vec<f32>], &[usize]) + 'a;

/// One strip of both dates: bands and cloud masks.
type DateStrips = (Vec<Vec<f32>>, Vec<bool>, Vec<Vec<f32>>, Vec<bool>);

/// IR-MAD's state after an iteration: the CCA and the weighted means it centres with.
struct MadFit {
    cca: Cca,
    mean_before: Vec<f64>,
    mean_after: Vec<f64>,
}

impl MadFit {
    /// The chi-square statistic of a pixel's bands `z` = (before…, after…).
    #[inline]
    fn chi2(&self, z: &[f64], buf: &mut [f64]) -> f64 {
        let p = self.cca.p;
        for k in 0..p {
            buf[k] = z[k] - self.mean_before[k];
            buf[p + k] = z[p + k] - self.mean_after[k];
        }
        let (x, y) = buf.split_at(p);
        self.cca.chi2(x, &y[..p])
    }
}

impl Stats<'_> {
    /// A strip of both dates, from memory when cached.
    fn strip(&self, r0: usize, n: usize) -> Result<std::borrow::Cow<'_, DateStrips>> {
        if let Some(c) = self.cache.get() {
            return Ok(std::borrow::Cow::Borrowed(&c[r0 / self.rows]));
        }
        let (o, s) = (self.o, self.s);
        let g = &o.grid;
        let (bv, bm) = read_date(&o.before, &o.mask_before, g, s.mask_buffer, r0, n)?;
        let (av, am) = read_date(&o.after, &o.mask_after, g, s.mask_buffer, r0, n)?;
        Ok(std::borrow::Cow::Owned((bv, bm, av, am)))
    }

    /// Reads both dates into memory for the passes to come, when they fit in half the
    /// memory budget (4 bytes a band value, 1 a mask value).
    fn cache_if_it_fits(&self) -> Result<()> {
        let g = &self.o.grid;
        let nb = self.o.before.len() as u64;
        if g.pixels() * (8 * nb + 2) > self.s.memory / 2 || self.cache.get().is_some() {
            return Ok(());
        }
        let mut strips = vec![];
        blocks::run(
            g.height,
            self.rows,
            |r0, n| Ok(self.strip(r0, n)?.into_owned()),
            |_, _, st| {
                strips.push(st);
                Ok(())
            },
        )?;
        let _ = self.cache.set(strips);
        Ok(())
    }

    /// One pass: the weighted co-moments of z = (before bands…, after bands…) over the pixels
    /// valid and unmasked on both dates; sums kept per row and merged in row order, so they
    /// do not depend on the strips or the threads.
    fn comoments(&self, weight: &(dyn Fn(&[f64], &mut [f64]) -> f64 + Sync)) -> Result<CoMoments> {
        let o = self.o;
        let g = &o.grid;
        let (w, h) = (g.width, g.height);
        let nb = o.before.len();
        let mut total = CoMoments::new(2 * nb);
        blocks::run(
            h,
            self.rows,
            |r0, n| {
                let st = self.strip(r0, n)?;
                let (bv, bm, av, am) = &*st;
                let mut per_row = Vec::with_capacity(n);
                let mut z = vec![0f64; 2 * nb];
                let mut buf = vec![0f64; 2 * nb];
                for r in 0..n {
                    let mut sums = crate::stats::RowSums::new(2 * nb);
                    for p in r * w..(r + 1) * w {
                        if bm[p] || am[p] {
                            continue;
                        }
                        let mut ok = true;
                        for k in 0..nb {
                            let (x, y) = (bv[k][p], av[k][p]);
                            ok &= x.is_finite() && y.is_finite();
                            z[k] = x as f64;
                            z[nb + k] = y as f64;
                        }
                        if !ok {
                            continue;
                        }
                        let wt = weight(&z, &mut buf);
                        sums.add(&z, wt);
                    }
                    per_row.push(sums.finish());
                }
                (self.tick)(n);
                Ok(per_row)
            },
            |_, _, per_row| {
                for row in &per_row {
                    total.merge(row);
                }
                Ok(())
            },
        )?;
        if total.weight == 0.0 {
            return Err(RasterError::Invalid(
                "no pixel is valid and unmasked on both dates: nothing to compare".into(),
            ));
        }
        Ok(total)
    }

    /// IR-MAD's iterations (Nielsen 2007): weights 1, then each pixel's no-change
    /// probability 1 − F_χ²(Z; bands) under the previous iteration's CCA; stops when no
    /// canonical correlation moves by `tolerance` or more. Returns the first (unweighted)
    /// co-moments too.
    fn irmad(
        &self,
        max_iterations: usize,
        tolerance: f64,
    ) -> Result<(MadFit, IrmadReport, CoMoments)> {
        self.cache_if_it_fits()?;
        let nb = self.o.before.len();
        let df = nb as u32;
        let mut fit: Option<MadFit> = None;
        let mut history: Vec<Vec<f64>> = vec![];
        let mut first = None;
        let mut converged = false;
        let mut weight_sum = 0.0;
        for it in 0..max_iterations.max(1) {
            crate::blocks::check_interrupt()?;
            let cm = {
                let prev = fit.as_ref();
                self.comoments(&|z, buf| match prev {
                    None => 1.0,
                    Some(f) => crate::stats::chi2_sf(f.chi2(z, buf), df),
                })?
            };
            weight_sum = cm.weight;
            let cov = cm.covariance();
            let cca = crate::stats::cca(&cov, nb).ok_or_else(|| {
                RasterError::Invalid(
                    "IR-MAD: a band is constant (or bands are linearly dependent) over the valid pixels of a date; drop it with --cva-bands".into(),
                )
            })?;
            if let Some(last) = history.last() {
                let moved = cca
                    .rho
                    .iter()
                    .zip(last)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                converged = moved < tolerance;
            }
            history.push(cca.rho.clone());
            fit = Some(MadFit {
                cca,
                mean_before: cm.mean[..nb].to_vec(),
                mean_after: cm.mean[nb..].to_vec(),
            });
            if it == 0 {
                first = Some(cm);
            }
            if converged {
                break;
            }
        }
        let fit = fit.expect("at least one iteration");
        let rep = IrmadReport {
            iterations: history.len(),
            converged,
            tolerance,
            correlations: fit.cca.rho.clone(),
            mad_std: fit
                .cca
                .rho
                .iter()
                .map(|r| (2.0 * (1.0 - r)).sqrt())
                .collect(),
            history,
            degrees_of_freedom: nb,
            no_change_weight: weight_sum,
            scale: MadScale::Canonical,
            mad_centre: vec![],
            mad_scale: vec![],
            robust_sample: None,
        };
        Ok((fit, rep, first.expect("the first iteration")))
    }

    /// The median and 1.4826 × the median absolute deviation of each MAD variate over a
    /// regular sample of the valid pixels (every k-th pixel in row-major order, k the
    /// smallest giving at most 2²⁰; the same pixels for any strips or threads), and the
    /// sample's size.
    fn robust_scale(&self, fit: &MadFit) -> Result<(Vec<f64>, Vec<f64>, u64)> {
        let o = self.o;
        let g = &o.grid;
        let (w, h) = (g.width, g.height);
        let p = o.before.len();
        let stride = g.pixels().div_ceil(1 << 20).max(1) as usize;
        let mut values: Vec<Vec<f64>> = vec![vec![]; p];
        blocks::run(
            h,
            self.rows,
            |r0, n| {
                let st = self.strip(r0, n)?;
                let (bv, bm, av, am) = &*st;
                let mut out: Vec<Vec<f64>> = vec![vec![]; p];
                let (mut x, mut y, mut m) = (vec![0.0; p], vec![0.0; p], vec![0.0; p]);
                let first = (r0 * w).div_ceil(stride) * stride;
                for gp in (first..(r0 + n) * w).step_by(stride) {
                    let q = gp - r0 * w;
                    if bm[q] || am[q] {
                        continue;
                    }
                    let mut ok = true;
                    for k in 0..p {
                        x[k] = bv[k][q] as f64 - fit.mean_before[k];
                        y[k] = av[k][q] as f64 - fit.mean_after[k];
                        ok &= x[k].is_finite() && y[k].is_finite();
                    }
                    if !ok {
                        continue;
                    }
                    fit.cca.mad(&x, &y, &mut m);
                    for k in 0..p {
                        out[k].push(m[k]);
                    }
                }
                (self.tick)(n);
                Ok(out)
            },
            |_, _, part| {
                for (v, mut part) in values.iter_mut().zip(part) {
                    v.append(&mut part);
                }
                Ok(())
            },
        )?;
        let median = |v: &mut Vec<f64>| -> f64 {
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                0.5 * (v[n / 2 - 1] + v[n / 2])
            }
        };
        let n = values[0].len() as u64;
        let (mut centre, mut scale) = (vec![], vec![]);
        for v in &mut values {
            let c = median(v);
            let mut dev: Vec<f64> = v.iter().map(|x| (x - c).abs()).collect();
            let sc = 1.4826 * median(&mut dev);
            if sc.is_nan() || sc <= 0.0 {
                return Err(RasterError::Invalid(
                    "IR-MAD: a MAD variate has no spread over half the pixels (identical dates?); use --mad-scale canonical".into(),
                ));
            }
            centre.push(c);
            scale.push(sc);
        }
        Ok((centre, scale, n))
    }

    /// Per column of z = (before bands…, after bands…) over the pixels valid on both dates:
    /// `f(column, value)` for every value, strip by strip in row order.
    fn each_valid(&self, f: &mut ValidPixels<'_>) -> Result<()> {
        let o = self.o;
        let g = &o.grid;
        let (w, h) = (g.width, g.height);
        let nb = o.before.len();
        blocks::run(
            h,
            self.rows,
            |r0, n| {
                let st = self.strip(r0, n)?.into_owned();
                let (bv, bm, av, am) = &st;
                let valid: Vec<usize> = (0..w * n)
                    .filter(|&p| {
                        !(bm[p] || am[p])
                            && (0..nb).all(|k| bv[k][p].is_finite() && av[k][p].is_finite())
                    })
                    .collect();
                (self.tick)(n);
                Ok((st, valid))
            },
            |_, _, (st, valid)| {
                f(&st.0, &st.2, &valid);
                Ok(())
            },
        )
    }

    /// Histogram matching of each after band onto its before band: two passes (ranges,
    /// then histograms of [`MATCH_BINS`] bins), and the after band's edges mapped through its
    /// cumulative histogram and the inverse of the before band's (linear within a bin).
    fn histogram_match(&self) -> Result<Vec<BandMap>> {
        let nb = self.o.before.len();
        let mut lo = vec![f64::INFINITY; 2 * nb];
        let mut hi = vec![f64::NEG_INFINITY; 2 * nb];
        self.each_valid(&mut |b, a, valid| {
            for k in 0..nb {
                for &p in valid {
                    let (x, y) = (b[k][p] as f64, a[k][p] as f64);
                    lo[k] = lo[k].min(x);
                    hi[k] = hi[k].max(x);
                    lo[nb + k] = lo[nb + k].min(y);
                    hi[nb + k] = hi[nb + k].max(y);
                }
            }
        })?;
        if lo[0] > hi[0] {
            return Err(RasterError::Invalid(
                "no pixel is valid and unmasked on both dates: nothing to compare".into(),
            ));
        }
        let step: Vec<f64> = (0..2 * nb)
            .map(|c| (hi[c] - lo[c]) / MATCH_BINS as f64)
            .collect();
        let bin = |c: usize, x: f64| -> usize {
            if step[c] > 0.0 {
                (((x - lo[c]) / step[c]) as usize).min(MATCH_BINS - 1)
            } else {
                0
            }
        };
        let mut counts = vec![vec![0u64; MATCH_BINS]; 2 * nb];
        self.each_valid(&mut |b, a, valid| {
            for k in 0..nb {
                for &p in valid {
                    counts[k][bin(k, b[k][p] as f64)] += 1;
                    counts[nb + k][bin(nb + k, a[k][p] as f64)] += 1;
                }
            }
        })?;
        let cumulative = |c: &[u64]| -> Vec<f64> {
            let mut acc = vec![0.0; c.len() + 1];
            for (i, n) in c.iter().enumerate() {
                acc[i + 1] = acc[i] + *n as f64;
            }
            acc
        };
        Ok((0..nb)
            .map(|k| {
                let (cb, ca) = (cumulative(&counts[k]), cumulative(&counts[nb + k]));
                let total = cb[MATCH_BINS];
                // the before value at cumulative count t, linear within its bin
                let inverse = |t: f64| -> f64 {
                    let i = cb.partition_point(|&c| c < t).clamp(1, MATCH_BINS) - 1;
                    let n = counts[k][i] as f64;
                    let f = if n > 0.0 {
                        ((t - cb[i]) / n).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    lo[k] + (i as f64 + f) * step[k]
                };
                let values = (0..=MATCH_BINS)
                    .map(|j| inverse(ca[j] / ca[MATCH_BINS] * total))
                    .collect();
                BandMap {
                    offset: 0.0,
                    scale: 1.0,
                    lut: Some(Lut {
                        lo: lo[nb + k],
                        step: step[nb + k],
                        values,
                    }),
                }
            })
            .collect())
    }

    /// The per-band moments of the CVA differences d = za − zb as computed in float32 (so the
    /// standardisation sees exactly the values it standardises).
    fn difference_moments(&self, before: &[BandMap], after: &[BandMap]) -> Result<Vec<Moments>> {
        let (o, s) = (self.o, self.s);
        let g = &o.grid;
        let (w, h) = (g.width, g.height);
        let nb = o.before.len();
        let mut total_m = vec![Moments::default(); nb];
        blocks::run(
            h,
            self.rows,
            |r0, n| {
                let (bv, bm) = read_date(&o.before, &o.mask_before, g, s.mask_buffer, r0, n)?;
                let (av, am) = read_date(&o.after, &o.mask_after, g, s.mask_buffer, r0, n)?;
                // one Moments per row per band, so the sums do not depend on the strips
                let mut per_row = vec![vec![Moments::default(); nb]; n];
                let mut d = vec![0f32; nb];
                for p in 0..w * n {
                    if bm[p] || am[p] {
                        continue;
                    }
                    for k in 0..nb {
                        d[k] = after[k].apply(av[k][p]) - before[k].apply(bv[k][p]);
                    }
                    if d.iter().any(|x| !x.is_finite()) {
                        continue;
                    }
                    for (k, x) in d.iter().enumerate() {
                        per_row[p / w][k].add(*x as f64);
                    }
                }
                (self.tick)(n);
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
        Ok(total_m)
    }

    fn prepare(&self) -> Result<Prepared> {
        let s = self.s;
        let nb = self.o.before.len();
        let mut out = Prepared {
            plan: Plan::Index,
            band_mean: vec![],
            band_std: vec![],
            normalization: None,
            irmad: None,
        };
        match s.method {
            Method::Index(_) => {}
            Method::Expr(ref e) => {
                expression_alike(e, &self.o.before, &self.o.after, &self.o.grid)?
            }
            Method::Irmad {
                max_iterations,
                tolerance,
                scale,
            } => {
                let (fit, mut rep, _) = self.irmad(max_iterations, tolerance)?;
                let (centre, spread) = match scale {
                    MadScale::Canonical => (vec![0.0; nb], rep.mad_std.clone()),
                    MadScale::Robust => {
                        let (c, sc, n) = self.robust_scale(&fit)?;
                        rep.robust_sample = Some(n);
                        (c, sc)
                    }
                };
                rep.scale = scale;
                rep.mad_centre = centre.clone();
                rep.mad_scale = spread.clone();
                out.irmad = Some(rep);
                out.plan = Plan::Irmad {
                    cca: fit.cca,
                    mean_before: fit.mean_before,
                    mean_after: fit.mean_after,
                    centre,
                    scale: spread,
                };
            }
            Method::Cva { standardize } => {
                let identity = vec![Linear::IDENTITY; nb];
                let (before, after) = match s.normalize {
                    Normalize::None => {
                        scales_alike(&self.o.before, &self.o.after, &self.o.grid)?;
                        (identity.clone(), identity)
                    }
                    Normalize::Histogram => (identity.clone(), identity),
                    Normalize::Zscore => {
                        let cm = self.comoments(&|_, _| 1.0)?;
                        let cov = cm.covariance();
                        let z = |k: usize| Linear {
                            offset: cm.mean[k],
                            scale: 1.0 / cov[k * 2 * nb + k].sqrt(),
                        };
                        ((0..nb).map(z).collect(), (nb..2 * nb).map(z).collect())
                    }
                    Normalize::Pif => {
                        let (fit, rep, _) = self.irmad(100, 1e-6)?;
                        let df = nb as u32;
                        let cm = self.comoments(&|z, buf| {
                            f64::from(u8::from(crate::stats::chi2_sf(fit.chi2(z, buf), df) > 0.95))
                        })?;
                        out.irmad = Some(rep);
                        let cov = cm.covariance();
                        let n2 = 2 * nb;
                        let mut after = vec![];
                        let mut before = vec![];
                        for k in 0..nb {
                            // orthogonal regression of before on after over the invariant pixels
                            let (sxx, syy, sxy) = (
                                cov[(nb + k) * n2 + nb + k],
                                cov[k * n2 + k],
                                cov[k * n2 + nb + k],
                            );
                            let slope = (syy - sxx
                                + ((syy - sxx).powi(2) + 4.0 * sxy * sxy).sqrt())
                                / (2.0 * sxy);
                            after.push(Linear {
                                offset: cm.mean[nb + k],
                                scale: slope,
                            });
                            before.push(Linear {
                                offset: cm.mean[k],
                                scale: 1.0,
                            });
                        }
                        out.normalization = Some(Normalization {
                            method: Normalize::Pif,
                            before: before.clone(),
                            after: after.clone(),
                            invariant_pixels: Some(cm.weight.round() as u64),
                        });
                        (before, after)
                    }
                };
                if s.normalize == Normalize::Zscore {
                    out.normalization = Some(Normalization {
                        method: Normalize::Zscore,
                        before: before.clone(),
                        after: after.clone(),
                        invariant_pixels: None,
                    });
                }
                let maps =
                    |v: &[Linear]| -> Vec<BandMap> { v.iter().map(BandMap::linear).collect() };
                let (before, mut after) = (maps(&before), maps(&after));
                if s.normalize == Normalize::Histogram {
                    after = self.histogram_match()?;
                    out.normalization = Some(Normalization {
                        method: Normalize::Histogram,
                        before: vec![Linear::IDENTITY; nb],
                        after: vec![Linear::IDENTITY; nb],
                        invariant_pixels: None,
                    });
                }
                let centre = if standardize {
                    let m = self.difference_moments(&before, &after)?;
                    out.band_mean = m.iter().map(|m| m.mean).collect();
                    out.band_std = m.iter().map(Moments::std).collect();
                    Some(
                        out.band_mean
                            .iter()
                            .zip(&out.band_std)
                            .map(|(m, s)| (*m as f32, *s as f32))
                            .collect(),
                    )
                } else {
                    None
                };
                out.plan = Plan::Cva {
                    before,
                    after,
                    centre,
                };
            }
        }
        Ok(out)
    }
}

/// The most two dates' typical levels of a band may differ by (as a ratio) for change vectors
/// without a normalisation: a scene under snow against one without is about 16 times brighter
/// in the visible bands; reflectance against digital numbers differs 10,000 times, a
/// percentage against a fraction 100 times, bytes against reflectance about 255 times.
const MOST_LEVEL_RATIO: f64 = 50.0;

/// The typical value of `f` over a date's bands (the median over a sample of pixels of
/// [`crate::baseline::sample_windows`], each band with its scale and offset, pixels with a
/// missing or zero value left out); `None` with fewer than 200 such pixels, or bands on
/// another grid than `grid`.
fn typical(bands: &[Band], grid: &Grid, f: &dyn Fn(&[f32]) -> f32) -> Result<Option<f64>> {
    let size = (grid.width, grid.height);
    if bands.is_empty() || bands.iter().any(|b| (b.grid.width, b.grid.height) != size) {
        return Ok(None);
    }
    let inputs: Vec<(&std::path::Path, usize)> =
        bands.iter().map(|b| (b.path.as_path(), b.index)).collect();
    let cols = crate::baseline::sample_windows(&inputs, size)?;
    let mut values = Vec::new();
    let mut v = vec![0f32; bands.len()];
    for p in 0..cols[0].len() {
        let mut ok = true;
        for (k, (c, b)) in cols.iter().zip(bands).enumerate() {
            ok &= c[p].is_finite() && c[p] != 0.0;
            v[k] = (c[p] * b.scale + b.offset) as f32;
        }
        let y = f(&v);
        if ok && y.is_finite() {
            values.push(f64::from(y));
        }
    }
    if values.len() < 200 {
        return Ok(None);
    }
    values.sort_by(f64::total_cmp);
    Ok(Some(values[values.len() / 2]))
}

/// How many times the larger of two typical values is the smaller, where both are above
/// zero and it is more than [`MOST_LEVEL_RATIO`].
fn scale_step(before: Option<f64>, after: Option<f64>) -> Option<(f64, f64, f64)> {
    let (b, a) = (before?, after?);
    let ratio = b.max(a) / b.min(a);
    (b > 0.0 && a > 0.0 && ratio > MOST_LEVEL_RATIO).then_some((b, a, ratio))
}

/// What is said of dates on different scales, and what to do.
const OTHER_SCALES: &str = "the dates are on different scales (reflectance against digital \
     numbers, or a percentage against a fraction)";

/// Refuses change vectors over dates on different scales: a band whose typical value
/// ([`typical`]) differs between the dates by more than [`MOST_LEVEL_RATIO`] times. Their
/// differences would be the larger date's values, and every bright pixel change.
fn scales_alike(before: &[Band], after: &[Band], grid: &Grid) -> Result<()> {
    for (b, a) in before.iter().zip(after) {
        let one = |x: &Band| typical(std::slice::from_ref(x), grid, &|v| v[0]);
        if let Some((lb, la, ratio)) = scale_step(one(b)?, one(a)?) {
            return Err(RasterError::Invalid(format!(
                "{} has a typical value of {lb:.4} and {} of {la:.4}, {ratio:.0} times {}: \
                 {OTHER_SCALES}, and their change vectors would be the {} date's values. Give \
                 both dates on one scale (the files' scale metadata, or --scale for both), or \
                 --normalize zscore, histogram or pif",
                b.label,
                a.label,
                if la > lb { "larger" } else { "smaller" },
                if la > lb { "after" } else { "before" },
            )));
        }
    }
    Ok(())
}

/// Refuses an expression whose typical value differs between the dates by more than
/// [`MOST_LEVEL_RATIO`] times (a band's difference over dates on different scales; a ratio
/// such as a normalised difference is alike on any scale and passes).
fn expression_alike(e: &Expr, before: &[Band], after: &[Band], grid: &Grid) -> Result<()> {
    let eval = |v: &[f32]| e.eval(v);
    let (tb, ta) = (typical(before, grid, &eval)?, typical(after, grid, &eval)?);
    if let Some((lb, la, ratio)) = scale_step(tb, ta) {
        let labels = |d: &[Band]| {
            d.iter()
                .map(|b| b.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(RasterError::Invalid(format!(
            "the expression {} has a typical value of {lb:.4} on the before date ({}) and of \
             {la:.4} on the after date ({}), {ratio:.0} times {}: {OTHER_SCALES}, and the \
             change would be the {} date's values. Give both dates on one scale (the files' \
             scale metadata, or --scale for both)",
            e.text(),
            labels(before),
            labels(after),
            if la > lb { "larger" } else { "smaller" },
            if la > lb { "after" } else { "before" },
        )));
    }
    Ok(())
}

/// How change values become classes: the threshold rule, the side of change, the minimum
/// mapping unit.
#[derive(Debug, Clone, Copy)]
pub struct ClassRule {
    pub threshold: Threshold,
    pub direction: Direction,
    /// Minimum mapping unit and the connectivity of its patches.
    pub mmu: Option<(Mmu, Connectivity)>,
    /// The checks of the result.
    pub checks: Checks,
    /// The change values are a signed difference (an index or expression), so a threshold
    /// has a side of zero that fits the direction.
    pub signed: bool,
}

impl Settings {
    fn rule(&self) -> ClassRule {
        ClassRule {
            threshold: self.threshold,
            direction: self.direction,
            mmu: self.mmu,
            checks: self.checks,
            signed: !self.method.is_multiband(),
        }
    }

    /// Refuses combinations that have no meaning, before any pixel is read.
    fn validate(&self, bands: usize) -> Result<()> {
        let bad = |m: &str| Err(RasterError::Invalid(m.into()));
        match (&self.method, self.normalize) {
            (Method::Index(_) | Method::Expr(_), n) if n != Normalize::None => {
                return bad("--normalize applies to the multi-band methods (cva)");
            }
            (Method::Irmad { .. }, n) if n != Normalize::None => {
                return bad(
                    "--normalize does not apply to irmad: IR-MAD is invariant to any linear transform of each date's bands",
                );
            }
            _ => {}
        }
        if let Method::Irmad {
            max_iterations,
            tolerance,
            ..
        } = self.method
        {
            if !(2..=MAX_MAD_BANDS).contains(&bands) {
                return Err(RasterError::Invalid(format!(
                    "irmad needs 2 to {MAX_MAD_BANDS} bands per date; got {bands}"
                )));
            }
            if max_iterations == 0 || tolerance.is_nan() || tolerance <= 0.0 {
                return bad("irmad needs at least one iteration and a positive tolerance");
            }
        }
        if self.normalize == Normalize::Pif && bands > MAX_MAD_BANDS {
            return Err(RasterError::Invalid(format!(
                "--normalize pif runs IR-MAD, which takes at most {MAX_MAD_BANDS} bands"
            )));
        }
        if let Threshold::Chi2 { probability } = self.threshold {
            if !matches!(self.method, Method::Irmad { .. }) {
                return bad(
                    "--threshold chi2:P is the chi-square quantile of IR-MAD's statistic: use it with --method irmad",
                );
            }
            if !(probability > 0.0 && probability < 1.0) {
                return bad("--threshold chi2:P needs 0 < P < 1 (e.g. chi2:0.99)");
            }
        }
        if let Threshold::Kmeans { k, .. } = self.threshold
            && !(2..=3).contains(&k)
        {
            return bad("--threshold kmeans:K takes K = 2 or 3");
        }
        if let Some(m) = self.checks.max_change_share
            && !(m > 0.0 && m <= 1.0)
        {
            return bad("--max-change-share must be in (0, 1]");
        }
        Ok(())
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

    /// The checks of a classified result: the changed share (change over change + no
    /// change) and warnings for an implausible threshold; with `strict`, a warning is an
    /// error (and nothing is written).
    pub fn check(
        &self,
        threshold: Option<f64>,
        counts: &[u64; 256],
    ) -> Result<(Option<f64>, Vec<String>)> {
        if self.threshold == Threshold::DnbrClasses {
            return Ok((None, vec![]));
        }
        let (none, change) = (counts[0], counts[1]);
        let share = (none + change > 0).then(|| change as f64 / (none + change) as f64);
        let mut warnings = vec![];
        if let (Some(t), true) = (threshold, self.signed)
            && match self.direction {
                Direction::Below => t > 0.0,
                Direction::Above => t < 0.0,
            }
        {
            warnings.push(format!(
                "the threshold {t:.6} ({}) is on the wrong side of zero for change {} it: pixels that did not change at all count as change; give a fixed --threshold, another method (e.g. --threshold ki or em), or check --direction",
                self.threshold.describe(),
                match self.direction {
                    Direction::Below => "below",
                    Direction::Above => "above",
                }
            ));
        }
        if let (Some(sh), Some(max)) = (share, self.checks.max_change_share)
            && sh > max
        {
            warnings.push(format!(
                "{:.1} % of the valid pixels are classed as change, above --max-change-share {:.1} %: the threshold ({}) is likely wrong for this image{}",
                100.0 * sh,
                100.0 * max,
                self.threshold.describe(),
                match self.threshold {
                    Threshold::Otsu { .. } => " (Otsu assumes two classes of comparable size; for rare change try --threshold ki or em, or --method irmad)",
                    Threshold::Chi2 { .. } => " (IR-MAD's no-change statistic is exceeded almost everywhere: the dates differ widely, e.g. in season; compare dates of one season, or set a fixed --threshold)",
                    _ => "; check the direction, the dates and the method",
                }
            ));
        }
        if self.checks.strict && !warnings.is_empty() {
            return Err(RasterError::Invalid(format!(
                "refused (--strict): {}",
                warnings.join("; ")
            )));
        }
        Ok((share, warnings))
    }
}

/// The area table of classes as CSV: class, name, pixels, hectares.
pub fn class_table_csv(classes: &[ClassArea]) -> String {
    let mut csv = String::from("class,name,pixels,hectares\n");
    for k in classes {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            k.class,
            terrawatt_table::csv_field(&k.name),
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
    /// The threshold known before the values (fixed, chi-square).
    known: Option<f64>,
}

/// What the classes stage decided.
struct Classified {
    threshold: Option<f64>,
    mmu: Option<MmuReport>,
    fit: Option<ThresholdFit>,
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
        let mut fit = None;
        let threshold = match self.rule.threshold.histogram_bins() {
            None => self.known,
            Some(bins) => {
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
                let why = match self.rule.threshold {
                    Threshold::Em { .. } => {
                        "the mixture fitted by EM has no single boundary between its two means, or one component collapsed onto one bin"
                    }
                    _ => "the histogram of change values has no two classes to separate",
                };
                let none = || {
                    RasterError::Invalid(format!(
                        "{}: {why} (values from {lo} to {hi}); try another --threshold (otsu, ki) or a fixed value",
                        self.rule.threshold.describe()
                    ))
                };
                Some(match self.rule.threshold {
                    Threshold::KittlerIllingworth { .. } => {
                        threshold::kittler_illingworth(&hist).ok_or_else(none)?
                    }
                    Threshold::Em { .. } => {
                        let (t, mix) = threshold::em(&hist).ok_or_else(none)?;
                        fit = Some(ThresholdFit::Mixture(mix));
                        t
                    }
                    Threshold::Kmeans { k, .. } => {
                        let c = threshold::kmeans(&hist, k).ok_or_else(none)?;
                        let t = match self.rule.direction {
                            Direction::Above => 0.5 * (c[c.len() - 2] + c[c.len() - 1]),
                            Direction::Below => 0.5 * (c[0] + c[1]),
                        };
                        fit = Some(ThresholdFit::Centroids { centroids: c });
                        t
                    }
                    _ => threshold::otsu(&hist),
                })
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
        if let Some((unit, conn)) = self.rule.mmu {
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
            let ones = vec![1.0; h];
            let (sizes, min_size): (&[f64], f64) = match unit {
                Mmu::Pixels(n) => (&ones, n as f64),
                Mmu::SquareMetres(m2) => {
                    if row_areas.iter().any(|a| a.is_nan()) {
                        return Err(RasterError::Invalid(
                            "the raster has no CRS: --mmu as an area needs pixel areas; give it in pixels (e.g. --mmu 5px)".into(),
                        ));
                    }
                    (row_areas, m2)
                }
            };
            let mut classes = vec![MISSING_CLASS; w * h];
            self.each_strip(source, writer, |_, r0, n, buf| {
                for (c, v) in classes[r0 * w..(r0 + n) * w].iter_mut().zip(&buf) {
                    *c = classify(*v);
                }
                Ok(())
            })?;
            let st = sieve::sieve_area(
                &mut classes,
                w,
                h,
                Some(MISSING_CLASS),
                sizes,
                min_size,
                conn,
            );
            let projected = !g.is_geographic() && !row_areas[0].is_nan();
            mmu_report = Some(MmuReport {
                square_metres: match unit {
                    Mmu::SquareMetres(m2) => Some(m2),
                    Mmu::Pixels(n) => projected.then(|| n as f64 * row_areas[0]),
                },
                connectivity: conn,
                pixels: match unit {
                    Mmu::Pixels(n) => Some(n),
                    Mmu::SquareMetres(m2) => projected.then(|| (m2 / row_areas[0]).ceil() as u64),
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
            fit,
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
        // a tiled run's threshold is fixed or found here (IR-MAD's chi-square needs the whole
        // image and is refused in tiles)
        known: match rule.threshold {
            Threshold::Fixed { value } => Some(value),
            _ => None,
        },
    };
    let c = stage.run(
        (lo, hi, valid),
        Some(mosaic),
        &mut writer,
        Some(&mut classes_writer),
        (&mut counts, &mut area),
        &|_| {},
    )?;
    let (changed_share, warnings) = rule.check(c.threshold, &counts)?;
    writer.finish()?;
    classes_writer.finish()?;
    Ok(MosaicClasses {
        changed_share,
        warnings,
        threshold_fit: c.fit,
        threshold: c.threshold,
        classes: class_areas(rule.threshold, &counts, &area),
        mmu: c.mmu,
    })
}

/// What [`classify_mosaic`] decided and counted.
#[derive(Debug, Clone, Serialize)]
pub struct MosaicClasses {
    pub threshold: Option<f64>,
    pub threshold_fit: Option<ThresholdFit>,
    pub changed_share: Option<f64>,
    pub warnings: Vec<String>,
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
fn change_value(s: &Settings, plan: &Plan, b: &[f32], a: &[f32]) -> f32 {
    match plan {
        Plan::Cva {
            before,
            after,
            centre,
        } => {
            let mut sum = 0f32;
            for k in 0..b.len() {
                let mut d = after[k].apply(a[k]) - before[k].apply(b[k]);
                if let Some(c) = centre {
                    d = (d - c[k].0) / c[k].1;
                }
                sum += d * d;
            }
            sum.sqrt()
        }
        Plan::Irmad {
            cca,
            mean_before,
            mean_after,
            centre,
            scale,
        } => {
            let p = b.len();
            let mut x = [0f64; MAX_MAD_BANDS];
            let mut y = [0f64; MAX_MAD_BANDS];
            let mut m = [0f64; MAX_MAD_BANDS];
            for k in 0..p {
                x[k] = b[k] as f64 - mean_before[k];
                y[k] = a[k] as f64 - mean_after[k];
            }
            cca.mad(&x[..p], &y[..p], &mut m[..p]);
            let mut z = 0.0;
            for k in 0..p {
                let d = (m[k] - centre[k]) / scale[k];
                z += d * d;
            }
            z as f32
        }
        Plan::Index => {
            let (ib, ia) = match &s.method {
                Method::Index(i) => (i.eval(b), i.eval(a)),
                Method::Expr(e) => (e.eval(b), e.eval(a)),
                _ => unreachable!("a multi-band method has its plan"),
            };
            difference(s, ib, ia)
        }
    }
}

/// The most bands IR-MAD takes (a Sentinel-2 or Landsat stack has at most 13).
pub const MAX_MAD_BANDS: usize = 32;

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
                    Method::Cva { .. } | Method::Irmad { .. } => v[0],
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
