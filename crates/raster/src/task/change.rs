//! `raster change`: two-date change detection, and the pieces of a tiled run of it.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::{BandSource, Files, Progress, RasterOptions, RasterTask, TaskResults, unique};
use crate::baseline::{self, BaselineOffset, DarkInput};
use crate::change::{
    self, Checks, ClassRule, DateInputs, Difference, Direction, Method, Mmu, Normalize, Threshold,
    ThresholdChoice,
};
use crate::grid::{AreaMethod, Grid};
use crate::index::{Formula, Index};
use crate::mask::MaskKind;
use crate::read::{Band, BandRef, BandSel, BandSpec, Resampling};
use crate::sieve::Connectivity;
use crate::write::{Format, OutputSpec};
use crate::{RasterError, Result};

/// Change between two dates: the method's value per pixel (band 1 of `raster.out`), classes
/// by a threshold (band 2, and `classes_out`), areas per class (`table`), a PNG `quicklook`
/// (drawn by the caller from [`ChangeResults::quicklook`]).
#[derive(Debug, Clone)]
pub struct ChangeTask {
    pub method: Method,
    /// The dates' radiometric normalisation before CVA.
    pub normalize: Normalize,
    pub before: BandSource,
    pub after: BandSource,
    /// CVA and IR-MAD over multi-band files: these bands (all when empty).
    pub multiband: Vec<BandSel>,
    /// A cloud mask of each date.
    pub mask_before: Option<(BandRef, MaskKind)>,
    pub mask_after: Option<(BandRef, MaskKind)>,
    /// Default after − before (before − after for NBR: dNBR).
    pub difference: Option<Difference>,
    /// RdNBR: the difference over sqrt(|before's index|).
    pub relative: bool,
    /// Default Otsu; dNBR severity classes for NBR; chi2:0.99 for IR-MAD.
    pub threshold: Option<ThresholdChoice>,
    /// Histogram bins of the otsu, ki, em and kmeans thresholds.
    pub bins: usize,
    pub checks: Checks,
    /// Default below for an index difference after − before, above otherwise.
    pub direction: Option<Direction>,
    /// Grow masks by this many pixels.
    pub mask_buffer: usize,
    /// Minimum mapping unit and the connectivity of its patches.
    pub mmu: Option<(Mmu, Connectivity)>,
    /// Warp the after date onto the before date's grid when they differ.
    pub align: Option<Resampling>,
    pub area: AreaMethod,
    pub raster: RasterOptions,
    pub classes_out: Option<PathBuf>,
    pub table: Option<PathBuf>,
    pub quicklook: Option<PathBuf>,
    /// Change values only (band 2 left empty; no threshold, no classes): a tile of a planned
    /// run whose merge classifies the whole image.
    pub defer_classes: bool,
}

/// What the options come to: how the change is decided, and the bands read.
struct Resolved {
    difference: Difference,
    threshold: Threshold,
    direction: Direction,
    before: Vec<BandSpec>,
    after: Vec<BandSpec>,
    mask_before: Option<(BandSpec, MaskKind)>,
    mask_after: Option<(BandSpec, MaskKind)>,
    /// What the bands' checks warn of, before the change is computed.
    warnings: Vec<String>,
}

impl Resolved {
    /// Every file read: bands of both dates, then masks.
    fn inputs(&self) -> Vec<PathBuf> {
        let bands = self
            .before
            .iter()
            .chain(&self.after)
            .map(|b| b.path.clone());
        let masks = [&self.mask_before, &self.mask_after]
            .into_iter()
            .flatten()
            .map(|m| m.0.path.clone());
        bands.chain(masks).collect()
    }
}

/// A date's floor ([`baseline::floor`]): the darkest level of its darkest band, in its raw
/// digital numbers.
fn floor_of(specs: &[BandSpec], mask: Option<&(BandSpec, MaskKind)>) -> Result<Option<f64>> {
    let mask = mask
        .map(|(m, k)| Band::open(m).map(|b| (b, k)))
        .transpose()?;
    let levels = specs
        .iter()
        .map(|s| {
            let b = Band::open(s)?;
            let size = (b.grid.width, b.grid.height);
            // a mask on another grid (a 20 m SCL beside 10 m bands) is left out here
            let m = mask
                .as_ref()
                .filter(|(m, _)| (m.grid.width, m.grid.height) == size)
                .map(|(m, k)| (m.path.as_path(), m.index, *k));
            let input = DarkInput {
                path: &b.path,
                band: b.index,
                mask: m,
            };
            baseline::dark_level(&input, size)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(baseline::floor(&levels))
}

/// The date in the name of a date's first band file that has one (YYYYMMDD or YYYY-MM-DD).
fn date_of(specs: &[BandSpec]) -> Option<chrono::NaiveDate> {
    specs.iter().find_map(|s| {
        s.path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(super::stack::date_in_name)
    })
}

/// Whether a band file's name makes it Sentinel-2 ([`baseline::sentinel2_named`]).
fn sentinel2_name(specs: &[BandSpec]) -> bool {
    specs.iter().any(|s| baseline::sentinel2_named(&s.path))
}

/// One date's bands as Sentinel-2 from processing baseline 04.00 on (by a Sentinel-2 file
/// name dated 25 January 2022 or later): under `subtract`, 1,000 taken off its digital
/// numbers (returns true); under `check`, refused when read without an offset and its
/// floor is 900 or more, the +1,000 left in ([`baseline::LEAST_FLOOR`]).
pub(crate) fn dated_offset(
    index: Index,
    specs: &mut [BandSpec],
    mask: Option<&(BandSpec, MaskKind)>,
    how: BaselineOffset,
    which: &str,
) -> Result<bool> {
    let Some(date) = date_of(specs).filter(|d| *d >= baseline::first_day()) else {
        return Ok(false);
    };
    if how == BaselineOffset::Keep || !sentinel2_name(specs) {
        return Ok(false);
    }
    if how == BaselineOffset::Subtract {
        subtract_offset(specs)?;
        return Ok(true);
    }
    if unshifted(specs)?
        && let Some(floor) = floor_of(specs, mask)?
        && floor >= baseline::LEAST_FLOOR
    {
        return Err(RasterError::Input {
            path: specs[0].path.display().to_string(),
            message: format!(
                "{which}a Sentinel-2 product of {date} (by its name), when processing baseline 04.00 stores 10,000·ρ + 1,000, read without an offset, and its darkest values (1st percentile of the darker of {}) are {floor:.0}: the +1,000 is still in them, and {} of them is not the surface's. Give --s2-offset subtract (or --offset -0.1 with --scale 0.0001), or --s2-offset keep if it is already taken off",
                Formula::Index(index).roles().join(" and "),
                index.name().to_uppercase()
            ),
        });
    }
    Ok(false)
}

/// Takes Sentinel-2's 1,000 off a date's digital numbers (in its bands' offsets).
fn subtract_offset(specs: &mut [BandSpec]) -> Result<()> {
    for spec in specs.iter_mut() {
        let b = Band::open(spec)?;
        spec.scale = Some(b.scale);
        spec.offset = Some(b.offset - baseline::OFFSET_DN * b.scale);
    }
    Ok(())
}

/// Whether a date's bands are read without an offset (theirs, or one given).
fn unshifted(specs: &[BandSpec]) -> Result<bool> {
    for spec in specs {
        if Band::open(spec)?.offset != 0.0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A Sentinel-2 pair (by a file's name) whose names do not date both images, neither
/// dated from 25 January 2022 on, read without an offset: the image whose floor is about
/// 1,000 above the other's ([`baseline::is_offset`]) is named (before: false, after: true)
/// with both floors (the higher first).
fn undated_offset(
    (before, after): (&[BandSpec], &[BandSpec]),
    masks: [Option<&(BandSpec, MaskKind)>; 2],
) -> Result<Option<(bool, f64, f64)>> {
    let (db, da) = (date_of(before), date_of(after));
    let later = |d: Option<chrono::NaiveDate>| d.is_some_and(|d| d >= baseline::first_day());
    if (db.is_some() && da.is_some())
        || later(db)
        || later(da)
        || !(sentinel2_name(before) || sentinel2_name(after))
        || !(unshifted(before)? && unshifted(after)?)
    {
        return Ok(None);
    }
    let (Some(fb), Some(fa)) = (floor_of(before, masks[0])?, floor_of(after, masks[1])?) else {
        return Ok(None);
    };
    Ok(if baseline::is_offset(fb, fa) {
        Some((true, fa, fb))
    } else if baseline::is_offset(fa, fb) {
        Some((false, fb, fa))
    } else {
        None
    })
}

/// An index's pair checked for Sentinel-2's +1,000 of processing baseline 04.00
/// ([`crate::baseline`]). A pair whose files' names date it on both sides of 25 January
/// 2022, with the later date's floor above the earlier's by about 1,000, is refused under
/// `check`; each date from that day on is then held to [`dated_offset`]. Under `subtract`,
/// 1,000 is taken off the bands of the dates from that day on (none: refused). A Sentinel-2
/// pair whose names do not date both images is judged by its floors alone
/// ([`undated_offset`]): a season, haze or snow can raise them as much, so under `check`
/// the step is a warning (returned; an error under `strict`), and under `subtract` the
/// 1,000 is taken off the higher.
fn baseline_offset(
    index: Index,
    (mut before, mut after): (Vec<BandSpec>, Vec<BandSpec>),
    masks: [Option<&(BandSpec, MaskKind)>; 2],
    (how, strict): (BaselineOffset, bool),
) -> Result<(Vec<BandSpec>, Vec<BandSpec>, Option<String>)> {
    let first = baseline::first_day();
    let dates = date_of(&before).zip(date_of(&after));
    // which side is from the change of baseline on, the other before it
    let later = match dates {
        Some((b, a)) if b < first && a >= first => Some(("after", "before")),
        Some((b, a)) if a < first && b >= first => Some(("before", "after")),
        _ => None,
    };
    if how == BaselineOffset::Check
        && let Some((has, other)) = later
    {
        let (fb, fa) = (floor_of(&before, masks[0])?, floor_of(&after, masks[1])?);
        if let Some((high, low)) = if has == "after" {
            fa.zip(fb)
        } else {
            fb.zip(fa)
        } && baseline::is_offset(low, high)
        {
            return Err(RasterError::Invalid(format!(
                "the darkest values (1st percentile of the darker of {}) are {high:.0} in the {has} image (from 25 January 2022 on, by its name) and {low:.0} in the {other}: Sentinel-2's processing baseline 04.00 adds 1,000 to the digital numbers from that day, and {} would change everywhere. Give --s2-offset subtract to take it off the {has} image, or --s2-offset keep to read both as they are",
                Formula::Index(index).roles().join(" and "),
                index.name().to_uppercase()
            )));
        }
    }
    // a pair whose names do not date it: the image whose floor is 1,000 higher
    if let Some((in_after, high, low)) = undated_offset((&before, &after), masks)? {
        let (has, other) = if in_after {
            ("after", "before")
        } else {
            ("before", "after")
        };
        if how == BaselineOffset::Check {
            let warning = format!(
                "the darkest values (1st percentile of the darker of {}) are {high:.0} in the {has} image and {low:.0} in the {other}, Sentinel-2 by the files' names, which do not date both: if the {has} image is a product from 25 January 2022 on, processing baseline 04.00's +1,000 is in it and {} changes everywhere: give --s2-offset subtract to take it off; if a brighter season, haze or snow raised them, --s2-offset keep reads both as they are",
                Formula::Index(index).roles().join(" and "),
                index.name().to_uppercase()
            );
            if strict {
                return Err(RasterError::Invalid(format!(
                    "refused (--strict): {warning}"
                )));
            }
            return Ok((before, after, Some(warning)));
        }
        subtract_offset(if in_after { &mut after } else { &mut before })?;
        return Ok((before, after, None));
    }
    let b = dated_offset(index, &mut before, masks[0], how, "the before image: ")?;
    let a = dated_offset(index, &mut after, masks[1], how, "the after image: ")?;
    if how == BaselineOffset::Subtract && !a && !b {
        return Err(RasterError::Invalid(format!(
            "--s2-offset subtract takes Sentinel-2's 1,000 off the dates from 25 January 2022 on, and the files' names {}: leave --s2-offset out",
            match dates {
                Some((b, a)) => format!("date the pair {b} and {a}"),
                None => "do not date both images (YYYYMMDD), nor are the darkest values of one 1,000 above the other's".into(),
            }
        )));
    }
    Ok((before, after, None))
}

/// Refuses the same bands of the same files as both dates (the same file under two paths,
/// or a copy of it, too): the change between a date and itself is none, and its threshold
/// is noise.
fn refuse_one_date_twice(before: &[BandSpec], after: &[BandSpec]) -> Result<()> {
    use super::same_file;
    let same = before.len() == after.len()
        && before
            .iter()
            .zip(after)
            .all(|(b, a)| b.band == a.band && same_file(&b.path, &a.path));
    if same {
        let files = |specs: &[BandSpec]| {
            let mut names: Vec<String> =
                specs.iter().map(|b| b.path.display().to_string()).collect();
            names.dedup();
            names.join(", ")
        };
        return Err(RasterError::Invalid(format!(
            "the before and after dates are the same bands of the same file(s), or of copies of them (before {}; after {}): give the other date's file",
            files(before),
            files(after)
        )));
    }
    Ok(())
}

/// Refuses a pair whose files' names date the before image after the after image: every
/// change would be read the wrong way (a clearing as regrowth), and the areas of the
/// change class would be those of the opposite change.
fn refuse_dates_reversed(before: &[BandSpec], after: &[BandSpec]) -> Result<()> {
    let named = |specs: &[BandSpec]| {
        specs.iter().find_map(|s| {
            let name = s.path.file_name()?.to_str()?;
            super::stack::date_in_name(name).map(|d| (d, name.to_string()))
        })
    };
    if let (Some((b, bn)), Some((a, an))) = (named(before), named(after))
        && b > a
    {
        return Err(RasterError::Invalid(format!(
            "the before image is dated {b} and the after image {a} (by the dates in their \
             files' names, {bn} and {an}): the dates are given the wrong way round, and the \
             change would be the reverse (a clearing read as regrowth). Give the earlier \
             image as the before date; if a name's date is not its acquisition's (a \
             processing date), copy the file under a name without it"
        )));
    }
    Ok(())
}

/// A change run cut into tiles: the whole output grid, the input files, and whether the
/// classes wait for the merge (a threshold from the histogram and the minimum mapping unit
/// need every change value first).
#[derive(Debug, Clone)]
pub struct ChangeTiling {
    pub grid: Grid,
    pub inputs: Vec<PathBuf>,
    pub deferred: bool,
    pub threshold: Threshold,
}

const SPECTRAL_ORDER: [&str; 6] = ["blue", "green", "red", "nir", "swir1", "swir2"];

impl ChangeTask {
    /// `method`'s change from `before` to `after` written to `out`, with the command line's
    /// defaults: no normalisation, every band of multi-band files, no masks, the method's
    /// difference, threshold and direction, 256 histogram bins, the default checks, no mask
    /// buffer, no minimum mapping unit, no alignment, ellipsoidal areas,
    /// [`RasterOptions::new`], no classes file, table or quicklook.
    pub fn new(method: Method, before: BandSource, after: BandSource, out: OutputSpec) -> Self {
        ChangeTask {
            method,
            normalize: Normalize::None,
            before,
            after,
            multiband: Vec::new(),
            mask_before: None,
            mask_after: None,
            difference: None,
            relative: false,
            threshold: None,
            bins: 256,
            checks: Checks::default(),
            direction: None,
            mask_buffer: 0,
            mmu: None,
            align: None,
            area: AreaMethod::Ellipsoid,
            raster: RasterOptions::new(out),
            classes_out: None,
            table: None,
            quicklook: None,
            defer_classes: false,
        }
    }

    fn is_multiband(&self) -> bool {
        self.method.is_multiband()
    }

    /// The threshold asked for, or the method's default.
    fn threshold(&self) -> Result<Threshold> {
        let is_nbr = matches!(self.method, Method::Index(Index::Nbr));
        let bins = || {
            if self.bins < 2 {
                return Err(RasterError::Invalid("--bins must be at least 2".into()));
            }
            Ok(self.bins)
        };
        Ok(match self.threshold {
            None if is_nbr && !self.relative => Threshold::DnbrClasses,
            None if matches!(self.method, Method::Irmad { .. }) => {
                Threshold::Chi2 { probability: 0.99 }
            }
            None | Some(ThresholdChoice::Otsu) => Threshold::Otsu { bins: bins()? },
            Some(ThresholdChoice::KittlerIllingworth) => {
                Threshold::KittlerIllingworth { bins: bins()? }
            }
            Some(ThresholdChoice::Em) => Threshold::Em { bins: bins()? },
            Some(ThresholdChoice::Kmeans { k }) => Threshold::Kmeans { bins: bins()?, k },
            Some(ThresholdChoice::Chi2 { probability }) => Threshold::Chi2 { probability },
            Some(ThresholdChoice::DnbrClasses) if !is_nbr => {
                return Err(RasterError::Invalid(
                    "--threshold classes (dNBR severity) needs --index nbr".into(),
                ));
            }
            Some(ThresholdChoice::DnbrClasses) => Threshold::DnbrClasses,
            Some(ThresholdChoice::Fixed { value }) => Threshold::Fixed { value },
        })
    }

    /// The bands of each date.
    fn bands(&self) -> Result<(Vec<BandSpec>, Vec<BandSpec>)> {
        let (b, a, o) = (&self.before, &self.after, &self.raster);
        match &self.method {
            Method::Cva { .. } | Method::Irmad { .. } if b.file.is_none() && a.file.is_none() => {
                self.per_band_files()
            }
            Method::Cva { .. } | Method::Irmad { .. } => {
                let (Some(bf), Some(af)) = (&b.file, &a.file) else {
                    return Err(RasterError::Invalid(
                        "--method cva and irmad need both --before FILE and --after FILE (multi-band)"
                            .into(),
                    ));
                };
                let sel: Vec<BandSel> = if self.multiband.is_empty() {
                    let n = crate::read::band_count(bf)?;
                    (1..=n).map(BandSel::Index).collect()
                } else {
                    self.multiband.clone()
                };
                let mk = |p: &PathBuf| sel.iter().map(|s| o.spec(p, s.clone())).collect();
                Ok((mk(bf), mk(af)))
            }
            Method::Index(_) | Method::Expr(_) => {
                let roles = match &self.method {
                    Method::Index(i) => Formula::Index(*i).roles(),
                    Method::Expr(e) => e.names().to_vec(),
                    _ => unreachable!("an index or an expression"),
                };
                Ok((
                    b.specs(&roles, "before-", o)?,
                    a.specs(&roles, "after-", o)?,
                ))
            }
        }
    }

    /// CVA and IR-MAD over one file per band: the roles given, in spectral order, the same
    /// for both dates.
    fn per_band_files(&self) -> Result<(Vec<BandSpec>, Vec<BandSpec>)> {
        let (b, a) = (&self.before, &self.after);
        let roles: Vec<String> = SPECTRAL_ORDER
            .iter()
            .filter(|r| b.file_of(r).is_some() || a.file_of(r).is_some())
            .map(|r| r.to_string())
            .collect();
        if roles.is_empty() {
            let name = match self.method {
                Method::Irmad { .. } => "irmad",
                _ => "cva",
            };
            return Err(RasterError::Invalid(format!(
                "--method {name} needs --before FILE and --after FILE (multi-band) or per-band files (--before-red FILE --after-red FILE …)"
            )));
        }
        if let Some(r) = roles
            .iter()
            .find(|r| b.file_of(r).is_none() || a.file_of(r).is_none())
        {
            return Err(RasterError::Invalid(format!(
                "--before-{r} and --after-{r} go together: the dates must have the same bands"
            )));
        }
        Ok((
            b.specs(&roles, "before-", &self.raster)?,
            a.specs(&roles, "after-", &self.raster)?,
        ))
    }

    /// The options resolved: defaults by method, the bands and masks of each date.
    fn resolve(&self) -> Result<Resolved> {
        let difference = match self.difference {
            Some(d) => d,
            None if matches!(self.method, Method::Index(Index::Nbr)) => {
                Difference::BeforeMinusAfter
            }
            None => Difference::AfterMinusBefore,
        };
        let threshold = self.threshold()?;
        let direction = match (self.direction, &self.method, difference) {
            (Some(d), _, _) => d,
            (None, Method::Cva { .. } | Method::Irmad { .. }, _) => Direction::Above,
            (None, _, Difference::AfterMinusBefore) => Direction::Below,
            (None, _, Difference::BeforeMinusAfter) => Direction::Above,
        };
        let (before, after) = self.bands()?;
        refuse_one_date_twice(&before, &after)?;
        refuse_dates_reversed(&before, &after)?;
        let mask = |m: &Option<(BandRef, MaskKind)>| {
            m.as_ref()
                .map(|(b, kind)| (b.spec(None, None), kind.clone()))
        };
        let (mask_before, mask_after) = (mask(&self.mask_before), mask(&self.mask_after));
        let (before, after, warning) = match self.method {
            Method::Index(index) if self.checks.s2_offset != BaselineOffset::Keep => {
                baseline_offset(
                    index,
                    (before, after),
                    [mask_before.as_ref(), mask_after.as_ref()],
                    (self.checks.s2_offset, self.checks.strict),
                )?
            }
            _ => (before, after, None),
        };
        Ok(Resolved {
            difference,
            threshold,
            direction,
            before,
            after,
            mask_before,
            mask_after,
            warnings: warning.into_iter().collect(),
        })
    }

    /// For a tiled run: checks that the tiles put together equal one run over the whole
    /// grid. Every change value depends on its own pixels alone, unless masks are grown
    /// (across tile edges) or a method needs statistics of the whole image: those are
    /// refused. Thresholds from the histogram and the minimum mapping unit are left to the
    /// merge.
    pub fn tiling(&self) -> Result<ChangeTiling> {
        let r = self.resolve()?;
        let refuse = |m: &str| Err(RasterError::Invalid(m.into()));
        let whole = "needs the whole image at once, so tiles would differ from one run";
        if self.mask_buffer > 0 {
            return refuse(
                "--mask-buffer grows masks across tile edges: not available in a tiled run",
            );
        }
        match self.method {
            Method::Cva { standardize: true } => {
                return refuse(&format!(
                    "--standardize (each band's mean and standard deviation) {whole}"
                ));
            }
            Method::Irmad { .. } => {
                return refuse(&format!(
                    "irmad (canonical correlations of the whole image, iterated) {whole}"
                ));
            }
            _ => {}
        }
        if self.normalize != Normalize::None {
            return refuse(&format!(
                "--normalize (statistics of each date over the whole image) {whole}"
            ));
        }
        Ok(ChangeTiling {
            grid: self.raster.full_grid(&r.before[0].path)?,
            inputs: unique(r.inputs()),
            deferred: r.threshold.histogram_bins().is_some() || self.mmu.is_some(),
            threshold: r.threshold,
        })
    }

    /// How a planned run's merge classifies the mosaic of the tiles' change values: the
    /// rule, the pixel areas and the outputs' format (a COG, with the run's compression).
    pub fn class_rule(&self) -> Result<(ClassRule, AreaMethod, OutputSpec)> {
        let r = self.resolve()?;
        let out = OutputSpec {
            format: Format::Cog,
            ..self.raster.out.clone()
        };
        Ok((
            ClassRule {
                threshold: r.threshold,
                direction: r.direction,
                mmu: self.mmu,
                checks: self.checks,
                signed: !self.is_multiband(),
            },
            self.area,
            out,
        ))
    }

    /// The kernel's settings, with `tmp` for warped bands.
    fn settings(&self, r: Resolved, tmp: PathBuf) -> Result<change::Settings> {
        let out = self.raster.out.clone();
        let grid = self.raster.out_grid(&r.before[0].path)?;
        Ok(change::Settings {
            before: DateInputs {
                bands: r.before,
                mask: r.mask_before,
            },
            after: DateInputs {
                bands: r.after,
                mask: r.mask_after,
            },
            method: self.method.clone(),
            difference: r.difference,
            relative: self.relative,
            threshold: r.threshold,
            direction: r.direction,
            nodata: self.raster.nodata,
            mask_buffer: self.mask_buffer,
            mmu: self.mmu,
            normalize: self.normalize,
            checks: self.checks,
            resampling: self.raster.resampling,
            align: self.align,
            grid,
            area: self.area,
            memory: self.raster.memory,
            classes_out: self.classes_out.as_ref().map(|p| OutputSpec {
                path: p.clone(),
                ..out.clone()
            }),
            out,
            tmp,
            defer_classes: self.defer_classes,
            tile: self.raster.window.is_some(),
        })
    }
}

impl RasterTask for ChangeTask {
    type Results = ChangeResults;

    fn files(&self) -> Result<Files> {
        let outputs = [
            Some(&self.raster.out.path),
            self.classes_out.as_ref(),
            self.table.as_ref(),
            self.quicklook.as_ref(),
        ];
        Ok(Files {
            inputs: self.resolve()?.inputs(),
            outputs: outputs.into_iter().flatten().cloned().collect(),
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<ChangeResults> {
        let mut r = self.resolve()?;
        let warnings = std::mem::take(&mut r.warnings);
        let tmp = super::tmp_dir(&self.raster.out.path)?;
        let settings = self.settings(r, tmp.path().to_path_buf())?;
        let mut rep = super::rows_phase(span, progress, "change", |p| change::run(&settings, p))?;
        rep.warnings.splice(0..0, warnings);
        if let Some(t) = &self.table {
            super::write_text(span, t, &change::class_table_csv(&rep.classes))?;
        }
        Ok(ChangeResults {
            out: settings.out.clone(),
            classes_out: self.classes_out.clone(),
            change: rep,
            settings,
            _warped: tmp,
        })
    }
}

/// What a change run found; it keeps its warped bands until dropped, for the quicklook.
#[derive(Debug, Serialize)]
pub struct ChangeResults {
    pub out: OutputSpec,
    pub classes_out: Option<PathBuf>,
    pub change: change::Report,
    #[serde(skip)]
    settings: change::Settings,
    #[serde(skip)]
    _warped: tempfile::TempDir,
}

impl TaskResults for ChangeResults {
    fn text(&self) -> String {
        let rep = &self.change;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{} × {} pixels ({}, {:.2} km²) → {}",
            rep.grid.width,
            rep.grid.height,
            rep.crs,
            rep.km2,
            self.out.path.display()
        );
        let _ = writeln!(
            text,
            "valid {} · missing {} · masked {} ({:.1} %); change from {:.4} to {:.4}",
            rep.valid,
            rep.nodata,
            rep.masked,
            100.0 * rep.masked_share,
            rep.min,
            rep.max
        );
        text.push_str(&method_text(rep));
        if let Some(t) = rep.threshold {
            let _ = writeln!(
                text,
                "threshold {t:.6} ({}), change is {}{}",
                rep.threshold_method.describe(),
                rep.direction.unwrap_or(Direction::Above),
                rep.changed_share
                    .map(|s| format!(": {:.2} % of valid pixels", 100.0 * s))
                    .unwrap_or_default()
            );
        }
        if let Some(m) = &rep.mmu {
            let _ = writeln!(
                text,
                "minimum mapping unit {} ({}-connected{}): {} patches merged, {} pixels changed",
                m.square_metres
                    .map(|a| format!("{:.4} ha", a / 1e4))
                    .unwrap_or_else(|| "in pixels".into()),
                m.connectivity.neighbours(),
                m.pixels
                    .map(|p| format!(", {p} pixels"))
                    .unwrap_or_default(),
                m.patches_removed,
                m.pixels_changed
            );
        }
        for k in &rep.classes {
            let _ = writeln!(
                text,
                "  {:>2} {:<26} {:>12} px {:>14.4} ha",
                k.class, k.name, k.pixels, k.hectares
            );
        }
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        let km2 = self.change.km2;
        km2.is_finite()
            .then(|| FunctionalUnit::new("km² processed", km2))
    }

    fn warnings(&self) -> Vec<String> {
        self.change.warnings.clone()
    }
}

/// The lines of the normalisation and of IR-MAD's iterations.
fn method_text(rep: &change::Report) -> String {
    let mut text = String::new();
    if let Some(n) = &rep.normalization {
        let coef = |v: &[change::Linear]| {
            v.iter()
                .map(|l| format!("({:.4} − {:.4})·{:.6}", "x", l.offset, l.scale))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            text,
            "normalised ({:?}{}): before {}; after {}",
            n.method,
            n.invariant_pixels
                .map(|p| format!(", {p} invariant pixels"))
                .unwrap_or_default(),
            coef(&n.before),
            coef(&n.after)
        );
    }
    if let Some(m) = &rep.irmad {
        let _ = writeln!(
            text,
            "IR-MAD: {} iterations ({}), canonical correlations {}",
            m.iterations,
            if m.converged {
                format!("converged to {:e}", m.tolerance)
            } else {
                "NOT converged: raise --max-iterations".into()
            },
            m.correlations
                .iter()
                .map(|r| format!("{r:.6}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    text
}

/// An RGB colour.
pub type Rgb = [u8; 3];

/// A quicklook of a change run: the value before and after (the index, or the first band)
/// in one stretch, and the classes, with a legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Quicklook {
    /// Title, width, height and the pixels, row by row.
    pub panels: Vec<(String, usize, usize, Vec<Rgb>)>,
    pub legend: Vec<(Rgb, String)>,
}

/// A colour between brown (low) and green (high) for a value in [0, 1]; grey for missing.
fn ramp(t: f32) -> Rgb {
    if t.is_nan() {
        return [235, 235, 235];
    }
    let t = t.clamp(0.0, 1.0);
    let stops = [
        (166.0, 97.0, 26.0),
        (245.0, 245.0, 200.0),
        (26.0, 150.0, 65.0),
    ];
    let (a, b, u) = if t < 0.5 {
        (stops[0], stops[1], t * 2.0)
    } else {
        (stops[1], stops[2], (t - 0.5) * 2.0)
    };
    let mix = |x: f32, y: f32| (x + (y - x) * u) as u8;
    [mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2)]
}

/// The colours of the classes: dNBR severity, or change (red) and no change (grey).
fn palette(threshold: &Threshold) -> Vec<(u8, Rgb)> {
    if matches!(threshold, Threshold::DnbrClasses) {
        vec![
            (1, [122, 135, 55]),
            (2, [172, 190, 77]),
            (3, [10, 224, 66]),
            (4, [255, 247, 11]),
            (5, [255, 175, 56]),
            (6, [255, 100, 27]),
            (7, [164, 31, 214]),
        ]
    } else {
        vec![(0, [200, 200, 200]), (1, [215, 25, 28])]
    }
}

impl ChangeResults {
    /// The quicklook, at most `max_side` pixels across (read from the inputs and the output
    /// again).
    pub fn quicklook(&self, max_side: usize) -> Result<Quicklook> {
        let s = &self.settings;
        let p = change::preview(s, max_side)?;
        // one stretch for both dates: the 2nd and 98th percentiles of their values
        let mut all: Vec<f32> = p
            .before
            .iter()
            .chain(&p.after)
            .copied()
            .filter(|v| !v.is_nan())
            .collect();
        all.sort_by(f32::total_cmp);
        let (lo, hi) = if all.is_empty() {
            (0.0, 1.0)
        } else {
            (all[all.len() / 50], all[all.len() * 49 / 50])
        };
        let span = if hi > lo { hi - lo } else { 1.0 };
        let colour = |v: &f32| ramp((v - lo) / span);
        let palette = palette(&s.threshold);
        let class_colour = |c: &u8| {
            palette
                .iter()
                .find(|(k, _)| k == c)
                .map_or([255, 255, 255], |x| x.1)
        };
        let what = match &s.method {
            Method::Index(i) => i.name().to_uppercase(),
            Method::Expr(e) => e.text().to_string(),
            Method::Cva { .. } | Method::Irmad { .. } => "band 1".into(),
        };
        let mut legend: Vec<(Rgb, String)> = self
            .change
            .classes
            .iter()
            .map(|k| {
                (
                    class_colour(&k.class),
                    format!("{} ({:.1} ha)", k.name, k.hectares),
                )
            })
            .collect();
        legend.push(([255, 255, 255], "missing or masked".into()));
        legend.push((ramp(0.0), format!("{what} {lo:.2}")));
        legend.push((ramp(1.0), format!("{what} {hi:.2}")));
        let (w, h) = (p.width, p.height);
        Ok(Quicklook {
            panels: vec![
                (
                    format!("before: {what}"),
                    w,
                    h,
                    p.before.iter().map(colour).collect(),
                ),
                (
                    format!("after: {what}"),
                    w,
                    h,
                    p.after.iter().map(colour).collect(),
                ),
                (
                    "change".into(),
                    w,
                    h,
                    p.classes.iter().map(class_colour).collect(),
                ),
            ],
            legend,
        })
    }
}
