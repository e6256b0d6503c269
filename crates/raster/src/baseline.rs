//! Sentinel-2's processing baseline 04.00: from 25 January 2022, ESA's L1C and L2A products
//! store a reflectance ρ as the digital number 10,000·ρ + 1,000 (`BOA_ADD_OFFSET` −1,000),
//! where earlier products store 10,000·ρ. Read with one scale, dates on both sides of the
//! change differ by 0.1 in every band, and an index over them drops at the change (NDVI of
//! a field at ρ_red 0.04, ρ_nir 0.40 reads 0.82 before and 0.56 after).
//!
//! The shift is found in the data: a date's floor, the darkest values (1st percentile, with
//! missing, zero and masked pixels left out) of its darkest band, is a dark surface's
//! 10,000·ρ without the offset (a few hundred over vegetation, water or shadow) and at
//! least 1,000 with it; a floor that rises by about 1,000 to 900 or more from the dates
//! before to those after is the offset. Earth Engine's `S2_SR_HARMONIZED` collection
//! corrects it by subtracting 1,000 from the later dates, as [`BaselineOffset::Subtract`]
//! does.

use std::path::Path;

use chrono::NaiveDate;
use gdal::Dataset;

use crate::mask::MaskKind;
use crate::{ParseError, RasterError, Result};

/// The first day of processing baseline 04.00.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 25).expect("a date")
}

/// The offset of processing baseline 04.00, in digital numbers.
pub const OFFSET_DN: f64 = 1000.0;

/// The step of the darkest values (in digital numbers) read as the baseline's offset: every
/// band's within this range.
pub const STEP_RANGE: (f64, f64) = (600.0, 1400.0);

/// What a stack or a pair of images does about the baseline's offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineOffset {
    /// Refuse bands whose darkest values step up by the offset at the change of baseline.
    #[default]
    Check,
    /// Subtract 1,000 from the digital numbers of every date from 25 January 2022 on (of a
    /// pair, from the date whose darkest values are 1,000 higher).
    Subtract,
    /// Read the values as they are, unchecked.
    Keep,
}

impl BaselineOffset {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["check", "subtract", "keep"];
}

impl std::str::FromStr for BaselineOffset {
    type Err = ParseError;

    /// `check`, `subtract` or `keep`.
    fn from_str(s: &str) -> std::result::Result<BaselineOffset, ParseError> {
        match s {
            "check" => Ok(BaselineOffset::Check),
            "subtract" => Ok(BaselineOffset::Subtract),
            "keep" => Ok(BaselineOffset::Keep),
            _ => Err(ParseError::expected("check, subtract or keep")),
        }
    }
}

/// Side of the windows the darkest values are read in (at most nine of them, spread over the
/// grid), in pixels.
const WINDOW: usize = 128;

/// The fewest valid values a darkest level is taken from.
const FEWEST: usize = 200;

/// A band of a file, and the mask band (with how its codes mask) read beside it.
#[derive(Debug, Clone, Copy)]
pub struct DarkInput<'a> {
    pub path: &'a Path,
    pub band: usize,
    pub mask: Option<(&'a Path, usize, &'a MaskKind)>,
}

/// The windows (column, row, width, height) the darkest values are read in: the whole grid
/// when it is small, else nine windows on a 3 × 3 pattern.
fn windows(width: usize, height: usize) -> Vec<(usize, usize, usize, usize)> {
    if width * height <= 9 * WINDOW * WINDOW {
        return vec![(0, 0, width, height)];
    }
    let (ww, wh) = (WINDOW.min(width), WINDOW.min(height));
    let mut out = Vec::with_capacity(9);
    for j in 0..3 {
        for i in 0..3 {
            let c = (width * (2 * i + 1) / 6)
                .saturating_sub(ww / 2)
                .min(width - ww);
            let r = (height * (2 * j + 1) / 6)
                .saturating_sub(wh / 2)
                .min(height - wh);
            out.push((c, r, ww, wh));
        }
    }
    out
}

fn read_window(
    ds: &Dataset,
    path: &Path,
    band: usize,
    w: (usize, usize, usize, usize),
) -> Result<Vec<f64>> {
    let b = ds.rasterband(band).map_err(|e| RasterError::Input {
        path: path.display().to_string(),
        message: format!("band {band}: {e}"),
    })?;
    let nodata = b.no_data_value();
    let mut v = vec![0f64; w.2 * w.3];
    b.read_into_slice::<f64>(
        (w.0 as isize, w.1 as isize),
        (w.2, w.3),
        (w.2, w.3),
        &mut v,
        None,
    )
    .map_err(|e| RasterError::Input {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    for x in v.iter_mut() {
        if Some(*x) == nodata || !x.is_finite() {
            *x = f64::NAN;
        }
    }
    Ok(v)
}

fn open(path: &Path) -> Result<Dataset> {
    Dataset::open(path).map_err(|e| RasterError::Input {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// The darkest level of a band: the 1st percentile of its raw values (missing, zero and
/// masked pixels left out), read in [`windows`] of a `width` × `height` grid; `None` with
/// under 200 such values.
pub fn dark_level(input: &DarkInput<'_>, (width, height): (usize, usize)) -> Result<Option<f64>> {
    let ds = open(input.path)?;
    let mask = input
        .mask
        .map(|(p, b, k)| open(p).map(|d| (d, p, b, k)))
        .transpose()?;
    let mut values = Vec::new();
    for w in windows(width, height) {
        let v = read_window(&ds, input.path, input.band, w)?;
        let codes = match &mask {
            Some((d, p, b, _)) => Some(read_window(d, p, *b, w)?),
            None => None,
        };
        for (k, x) in v.into_iter().enumerate() {
            let masked = match (&codes, &mask) {
                (Some(c), Some((_, _, _, kind))) => {
                    kind.masks((!c[k].is_nan()).then_some(c[k] as i64))
                }
                _ => false,
            };
            if !x.is_nan() && x != 0.0 && !masked {
                values.push(x);
            }
        }
    }
    if values.len() < FEWEST {
        return Ok(None);
    }
    values.sort_by(f64::total_cmp);
    Ok(Some(values[(values.len() - 1) / 100]))
}

/// The values of bands (file, band number) of one `width` × `height` grid at the same
/// pixels, read in [`windows`]: one vector per band, NaN where a value is missing.
pub fn sample_windows(
    bands: &[(&Path, usize)],
    (width, height): (usize, usize),
) -> Result<Vec<Vec<f64>>> {
    let mut out = vec![Vec::new(); bands.len()];
    for (k, (path, band)) in bands.iter().enumerate() {
        let ds = open(path)?;
        for w in windows(width, height) {
            out[k].extend(read_window(&ds, path, *band, w)?);
        }
    }
    Ok(out)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A date's floor: the darkest level of its darkest band (a visible band, over vegetation,
/// water or shadow), `None` where no band has a level.
pub fn floor(levels: &[Option<f64>]) -> Option<f64> {
    levels.iter().flatten().copied().reduce(f64::min)
}

/// The floors of the dates before the change of baseline and of those from it on: the
/// median of each side's (`levels[date][band]`); `None` when a side has none.
pub fn floors(levels: &[(NaiveDate, Vec<Option<f64>>)]) -> Option<(f64, f64)> {
    let side = |after: bool| {
        let mut v: Vec<f64> = levels
            .iter()
            .filter(|(d, _)| (*d >= first_day()) == after)
            .filter_map(|(_, l)| floor(l))
            .collect();
        (!v.is_empty()).then(|| median(&mut v))
    };
    Some((side(false)?, side(true)?))
}

/// Whether a floor rising from `earlier` to `later` (digital numbers) is the baseline's
/// offset: by [`STEP_RANGE`], to at least [`LEAST_FLOOR`]. Without the offset, a floor is
/// a dark surface's 10,000·ρ (a few hundred); with it, no valid value is under 1,000 but
/// a few of a scene's darkest waters.
pub fn is_offset(earlier: f64, later: f64) -> bool {
    (STEP_RANGE.0..=STEP_RANGE.1).contains(&(later - earlier)) && later >= LEAST_FLOOR
}

/// The least floor of a date with the offset, in digital numbers.
pub const LEAST_FLOOR: f64 = 900.0;

/// The floor that every date of a stack dated wholly from the change of baseline on
/// reaches when the offset is left in: 1,000 + 10,000·ρ of its darkest surface. Without
/// the offset, every date's darkest percent would have to reflect 10 % or more in the
/// darker band; mapme.vegetation's dry-season savanna, the brightest scene of the
/// reference data, has its darkest date at 901.
pub const STACK_FLOOR: f64 = 1000.0;

/// Whether a file's name makes it Sentinel-2: `S2`, `MSI` or `Sentinel` in it, the name of a
/// band file of a product's tile (`T33TUH_20230915T100031_B04_10m.jp2`: the tile, its date
/// and time, the band), or a folder it is in that is a product (`….SAFE`) or says `Sentinel`.
pub fn sentinel2_named(path: &Path) -> bool {
    let name = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .map(str::to_ascii_uppercase)
    };
    name(path).is_some_and(|n| {
        n.contains("S2") || n.contains("MSI") || n.contains("SENTINEL") || tile_band(&n)
    }) || path
        .ancestors()
        .skip(1)
        .any(|a| name(a).is_some_and(|n| n.ends_with(".SAFE") || n.contains("SENTINEL")))
}

/// Whether an upper-case file name is that of a band file of a Sentinel-2 tile: `T`, the
/// zone's two digits, three letters, `_`, the date and time (`YYYYMMDDTHHMMSS`), `_B`.
fn tile_band(n: &str) -> bool {
    let b = n.as_bytes();
    let all =
        |r: std::ops::Range<usize>, f: fn(&u8) -> bool| b.get(r).is_some_and(|s| s.iter().all(f));
    b.len() > 25
        && b[0] == b'T'
        && all(1..3, u8::is_ascii_digit)
        && all(3..6, u8::is_ascii_uppercase)
        && b[6] == b'_'
        && all(7..15, u8::is_ascii_digit)
        && b[15] == b'T'
        && all(16..22, u8::is_ascii_digit)
        && &b[22..24] == b"_B"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).expect("a date")
    }

    #[test]
    fn a_floor_that_rises_by_the_offset_is_it() {
        let levels = vec![
            (d(2021, 6), vec![Some(180.0), Some(2100.0)]),
            (d(2021, 9), vec![Some(220.0), Some(1900.0)]),
            (d(2022, 6), vec![Some(1190.0), Some(1950.0)]),
            (d(2022, 9), vec![None, Some(1150.0)]),
        ];
        assert_eq!(floor(&levels[3].1), Some(1150.0));
        let (earlier, later) = floors(&levels).expect("both sides");
        assert_eq!((earlier, later), (200.0, 1170.0));
        assert!(is_offset(earlier, later));
        // a dry season's floor rising from 200 to 850 is not the offset, nor one rising by
        // 1,600 (snow)
        assert!(!is_offset(200.0, 850.0));
        assert!(!is_offset(200.0, 1800.0));
        // one side only: no floors
        assert_eq!(floors(&levels[..2]), None);
    }

    #[test]
    fn windows_stay_inside_the_grid() {
        assert_eq!(windows(200, 200), vec![(0, 0, 200, 200)]);
        for (c, r, w, h) in windows(1000, 300) {
            assert!(c + w <= 1000 && r + h <= 300 && w == 128 && h == 128);
        }
        assert_eq!(windows(1000, 300).len(), 9);
    }

    #[test]
    fn sentinel2_is_known_by_its_product_names() {
        for p in [
            "S2B_MSIL2A_20230915_B04.tif",
            "sentinel2/red.tif",
            "x/S2A_MSIL2A_20230915T100031_N0509_R122_T33TUH_20230915T140513.SAFE/GRANULE/L2A_T33TUH_A043000_20230915T100031/IMG_DATA/R10m/T33TUH_20230915T100031_B04_10m.jp2",
            "T33TUH_20230915T100031_B04_10m.jp2",
            "T33TUH_20230915T100031_B8A.jp2",
            "2023-06-01-00_00_2023-06-01-23_59_Sentinel-2_L2A_B04_(Raw).tiff",
        ] {
            assert!(sentinel2_named(Path::new(p)), "{p}");
        }
        for p in [
            "before_B04.tif",
            "LC08_L2SP_190031_20230915_20230925_02_T1_SR_B4.TIF",
            "T33TUH_B04.tif",
            "T3_20230915T100031_B04.jp2",
            "safe/red.tif",
            "s2/red.tif",
        ] {
            assert!(!sentinel2_named(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn the_names_parse() {
        for n in BaselineOffset::NAMES {
            assert!(n.parse::<BaselineOffset>().is_ok());
        }
        assert!("harmonize".parse::<BaselineOffset>().is_err());
    }
}
