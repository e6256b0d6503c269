//! Spectral indices and band-math expressions, pixel by pixel in float32.
//!
//! Each index is one fused expression evaluated left to right in float32 (the order below),
//! so it equals the same numpy expression on float32 arrays bit for bit:
//!
//! | index | bands | formula |
//! |---|---|---|
//! | NDVI | red, nir | (nir − red) / (nir + red) |
//! | NBR | nir, swir2 | (nir − swir2) / (nir + swir2) |
//! | NDMI | nir, swir1 | (nir − swir1) / (nir + swir1) |
//! | NDWI | green, nir | (green − nir) / (green + nir) (McFeeters 1996) |
//! | EVI | blue, red, nir | 2.5 · (nir − red) / (nir + 6 · red − 7.5 · blue + 1) |
//! | SAVI | red, nir | 1.5 · (nir − red) / (nir + red + 0.5) (L = 0.5) |
//!
//! EVI and SAVI need surface reflectance (0–1): give `--scale` where the file stores scaled
//! integers without scale metadata (Sentinel-2: 0.0001). Division follows IEEE: 0/0 is NaN
//! (missing). A pixel with any input missing is missing.

use serde::Serialize;

use crate::{RasterError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Index {
    Ndvi,
    Nbr,
    Ndmi,
    Ndwi,
    Evi,
    Savi,
}

impl Index {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["ndvi", "nbr", "ndmi", "ndwi", "evi", "savi"];
}

impl std::str::FromStr for Index {
    type Err = crate::ParseError;

    /// The index's name, in any case.
    fn from_str(s: &str) -> std::result::Result<Index, crate::ParseError> {
        Index::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::ParseError::expected("one of ndvi, nbr, ndmi, ndwi, evi, savi"))
    }
}

impl Index {
    pub const ALL: [Index; 6] = [
        Index::Ndvi,
        Index::Nbr,
        Index::Ndmi,
        Index::Ndwi,
        Index::Evi,
        Index::Savi,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Index::Ndvi => "ndvi",
            Index::Nbr => "nbr",
            Index::Ndmi => "ndmi",
            Index::Ndwi => "ndwi",
            Index::Evi => "evi",
            Index::Savi => "savi",
        }
    }

    /// The bands it reads, in the order [`Index::eval`] takes them.
    pub fn bands(&self) -> &'static [&'static str] {
        match self {
            Index::Ndvi | Index::Savi => &["red", "nir"],
            Index::Nbr => &["nir", "swir2"],
            Index::Ndmi => &["nir", "swir1"],
            Index::Ndwi => &["green", "nir"],
            Index::Evi => &["blue", "red", "nir"],
        }
    }

    /// The index of one pixel from its bands (in [`Index::bands`] order).
    #[inline]
    pub fn eval(&self, v: &[f32]) -> f32 {
        match self {
            Index::Ndvi => {
                let (red, nir) = (v[0], v[1]);
                (nir - red) / (nir + red)
            }
            Index::Nbr | Index::Ndmi => {
                let (nir, swir) = (v[0], v[1]);
                (nir - swir) / (nir + swir)
            }
            Index::Ndwi => {
                let (green, nir) = (v[0], v[1]);
                (green - nir) / (green + nir)
            }
            Index::Evi => {
                let (blue, red, nir) = (v[0], v[1], v[2]);
                2.5f32 * (nir - red) / (nir + 6.0f32 * red - 7.5f32 * blue + 1.0f32)
            }
            Index::Savi => {
                let (red, nir) = (v[0], v[1]);
                1.5f32 * (nir - red) / (nir + red + 0.5f32)
            }
        }
    }

    /// Whether the index has constants that need surface reflectance (0–1): EVI and SAVI.
    /// A ratio index (NDVI, NBR, NDMI, NDWI) is the same on any common scale.
    pub fn needs_reflectance(self) -> bool {
        matches!(self, Index::Evi | Index::Savi)
    }

    /// The two bands whose exchange turns the index's sign over vegetation, by position in
    /// [`Index::bands`]: near infrared (bright over vegetation), then red (dark over it).
    /// NBR, NDMI and NDWI have none: a fresh burn scar has a bright shortwave infrared over
    /// a dark near infrared (NBR −0.2 to −0.5) with its bands in order, and NDMI's and
    /// NDWI's order over vegetation does not tell a swap from bare ground or water.
    pub fn swap_pair(self) -> Option<(usize, usize)> {
        match self {
            Index::Ndvi | Index::Savi | Index::Ndwi => Some((1, 0)),
            Index::Evi => Some((2, 1)),
            Index::Nbr => Some((0, 1)),
            // vegetation's NDMI is 0.2–0.4 and bare soil's below 0: neither rule tells a
            // swap (Norcia's two dates swapped: 2 % inverted, the soil line as in order)
            Index::Ndmi => None,
        }
    }

    /// Whether bare and sparse land lies above the soil line of [`Index::swap_pair`] with
    /// the bands in order: red and green below near infrared, yes; dry soils' shortwave
    /// infrared passes their near infrared, so not NBR.
    pub fn soil_line(self) -> bool {
        !matches!(self, Index::Nbr | Index::Ndmi)
    }

    /// Which files or bands are the swap pair's (dark band, bright band) on Sentinel-2 and
    /// Landsat, for a message.
    fn band_names(self) -> &'static str {
        match self {
            Index::Ndvi | Index::Savi | Index::Evi => {
                "Sentinel-2: red B04, nir B08; Landsat 8–9: red B4, nir B5; Landsat 4–7: red B3, nir B4"
            }
            Index::Ndwi => {
                "Sentinel-2: green B03, nir B08; Landsat 8–9: green B3, nir B5; Landsat 4–7: green B2, nir B4"
            }
            Index::Nbr | Index::Ndmi => {
                "Sentinel-2: nir B08 (or B8A), swir1 B11, swir2 B12; Landsat 8–9: nir B5, swir1 B6, swir2 B7; Landsat 4–7: nir B4, swir1 B5, swir2 B7"
            }
        }
    }

    /// The index over strips of bands (each `bands[k]` a strip of band k), into `out`: one
    /// loop per index over the bands zipped (vectorised by the compiler); a missing (NaN)
    /// input gives NaN through the arithmetic itself, as in [`Index::eval`].
    pub fn apply(&self, bands: &[&[f32]], out: &mut Vec<f32>) {
        out.clear();
        match self {
            Index::Ndvi | Index::Nbr | Index::Ndmi => {
                // (b1 - b0) / (b1 + b0) with (b0, b1) = (red, nir) or the negated pair
                let (a, b) = (bands[0], bands[1]);
                if matches!(self, Index::Ndvi) {
                    out.extend(
                        a.iter()
                            .zip(b)
                            .map(|(&red, &nir)| (nir - red) / (nir + red)),
                    );
                } else {
                    out.extend(
                        a.iter()
                            .zip(b)
                            .map(|(&nir, &swir)| (nir - swir) / (nir + swir)),
                    );
                }
            }
            Index::Ndwi => out.extend(
                bands[0]
                    .iter()
                    .zip(bands[1])
                    .map(|(&green, &nir)| (green - nir) / (green + nir)),
            ),
            Index::Savi => out.extend(
                bands[0]
                    .iter()
                    .zip(bands[1])
                    .map(|(&red, &nir)| 1.5f32 * (nir - red) / (nir + red + 0.5f32)),
            ),
            Index::Evi => out.extend(bands[0].iter().zip(bands[1]).zip(bands[2]).map(
                |((&blue, &red), &nir)| {
                    2.5f32 * (nir - red) / (nir + 6.0f32 * red - 7.5f32 * blue + 1.0f32)
                },
            )),
        }
    }
}

/// The largest surface reflectance an input may have: bright snow and cloud reach about
/// 1.0–1.2, and nothing natural 1.5.
pub const MOST_REFLECTANCE: f32 = 1.5;

/// The least digital number of a surface whose values carry an additive offset: Landsat
/// Collection 2 Level-2 stores reflectance ρ as (ρ + 0.2) / 0.0000275, so 0 is 7,273.
pub const OFFSET_FLOOR: f32 = 7000.0;

/// What an index's input values say of their scale: how many are above
/// [`MOST_REFLECTANCE`] and the largest; how many are valid (finite and not 0, a fill) and
/// how many of those are under [`OFFSET_FLOOR`].
///
/// With [`Screen::of_index`], also the pixels of an index's [`Index::swap_pair`]: how many
/// have both bands, and of those how many are "inverted", their dark-over-vegetation band
/// bright ([`BRIGHT`] in reflectance, or × 10,000 in digital numbers) and their normalised
/// difference (bright band − dark band) / sum at most [`INVERTED`]; and how many are bare
/// or sparse land (both bands between [`BRIGHT`] and [`SOIL_TOP`]) and of those how many lie
/// below the soil line (a difference at most [`BELOW_SOIL_LINE`]), at either scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Screen {
    pub beyond: u64,
    pub largest: f32,
    pub valid: u64,
    pub low: u64,
    pub pairs: u64,
    pub inverted: u64,
    pub inverted_dn: u64,
    pub soil: u64,
    pub soil_dn: u64,
    pub below_soil: u64,
    pub below_soil_dn: u64,
    /// The sum and count of each of an index's bands' valid values (up to three bands).
    pub band_sums: [(f64, u64); 3],
    /// Values that are a fill ([`crate::read::FILLS`]), and the first of them.
    pub fill: u64,
    pub fill_value: Option<f64>,
}

impl Default for Screen {
    fn default() -> Screen {
        Screen {
            beyond: 0,
            largest: f32::NEG_INFINITY,
            valid: 0,
            low: 0,
            pairs: 0,
            inverted: 0,
            inverted_dn: 0,
            soil: 0,
            soil_dn: 0,
            below_soil: 0,
            below_soil_dn: 0,
            band_sums: [(0.0, 0); 3],
            fill: 0,
            fill_value: None,
        }
    }
}

/// A reflectance vegetation reaches in the near infrared (0.25–0.5 when healthy, 0.15 and
/// more when sparse) and water does not in red (under 0.1 but for glint and heavy
/// sediment).
pub const BRIGHT: f32 = 0.15;

/// A normalised difference of near infrared and red that no bright surface has with its
/// bands in order: bare soil, rock and built-up areas are above 0, snow and cloud about 0,
/// glacier ice and sediment-laden water rarely below −0.3.
pub const INVERTED: f32 = -0.4;

/// The share of an index's pixels that may be inverted (see [`Screen`]) before its bands
/// are taken for swapped: none are with the bands in order on the Sentinel-2 scenes of the
/// tests; with red and near infrared swapped, 41 % and 57 % of Norcia's (OSCD) and 83–88 %
/// of the sample's are.
pub const MOST_INVERTED: f64 = 0.2;

/// The brightest reflectance of the land [`Screen`] holds to the soil line: bare soil, rock,
/// dry grass and built-up areas (0.15–0.5 in red and near infrared); snow and thick cloud,
/// whose red can pass their near infrared, are brighter.
pub const SOIL_TOP: f32 = 0.5;

/// A normalised difference of near infrared and red below the soil line: bare and sparse
/// land reflects at least as much near infrared as red (its soil line's slope is 1.0–1.3),
/// so its NDVI is above 0 with the bands in order and below −0.06 (red 13 % above near
/// infrared) only with them swapped.
pub const BELOW_SOIL_LINE: f32 = -0.06;

/// The share of the bare and sparse land (see [`Screen`]) that may lie below the soil line
/// before the bands are taken for swapped, where that land is at least [`LEAST_SOIL`] of the
/// pixels: none does with the bands in order on the Sentinel-2 scenes of the tests (the
/// eleven dry-season dates of tile 38PLR, Norcia's two); with red and near infrared swapped
/// 79–99 % of 38PLR's and 97–99 % of Norcia's does.
pub const MOST_BELOW_SOIL: f64 = 0.5;

/// The least share of an index's pixels that must be bare or sparse land for the soil line
/// to say anything of its bands.
pub const LEAST_SOIL: f64 = 0.05;

impl Screen {
    /// The values of the strips' bands.
    pub fn of<'a>(bands: impl IntoIterator<Item = &'a [f32]>) -> Screen {
        Screen::of_values(bands.into_iter().flatten().map(|v| f64::from(*v)))
    }

    /// The values.
    pub fn of_values(values: impl IntoIterator<Item = f64>) -> Screen {
        let (most, floor) = (f64::from(MOST_REFLECTANCE), f64::from(OFFSET_FLOOR));
        let mut s = Screen::default();
        for v in values {
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            s.valid += 1;
            if crate::read::FILLS.contains(&v) {
                s.fill += 1;
                s.fill_value.get_or_insert(v);
            }
            if v > most {
                s.beyond += 1;
                s.largest = s.largest.max(v as f32);
            }
            if v < floor {
                s.low += 1;
            }
        }
        s
    }

    /// The values of the strips of an index's bands (in [`Index::bands`] order), and the
    /// pixels of its [`Index::swap_pair`].
    /// Adds the sums and counts of the first three bands' valid values to `band_sums`.
    pub fn add_band_sums(&mut self, bands: &[&[f32]]) {
        for (sum, band) in self.band_sums.iter_mut().zip(bands) {
            for v in band.iter().filter(|v| v.is_finite() && **v != 0.0) {
                sum.0 += f64::from(*v);
                sum.1 += 1;
            }
        }
    }

    pub fn of_index(index: Index, bands: &[&[f32]]) -> Screen {
        let mut s = Screen::of(bands.iter().copied());
        s.add_band_sums(bands);
        let Some((hi, lo)) = index.swap_pair() else {
            return s;
        };
        for (&a, &b) in bands[hi].iter().zip(bands[lo]) {
            if !(a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
                continue;
            }
            s.pairs += 1;
            let d = (a - b) / (a + b);
            if d <= INVERTED {
                s.inverted += u64::from(b >= BRIGHT);
                s.inverted_dn += u64::from(b >= BRIGHT * 10_000.0);
            }
            let (lo, hi) = (a.min(b), a.max(b));
            let soil = lo >= BRIGHT && hi <= SOIL_TOP;
            let soil_dn = lo >= BRIGHT * 10_000.0 && hi <= SOIL_TOP * 10_000.0;
            let below = d <= BELOW_SOIL_LINE;
            s.soil += u64::from(soil);
            s.soil_dn += u64::from(soil_dn);
            s.below_soil += u64::from(soil && below);
            s.below_soil_dn += u64::from(soil_dn && below);
        }
        s
    }

    /// Both screens' values.
    pub fn add(&mut self, o: &Screen) {
        self.beyond += o.beyond;
        self.largest = self.largest.max(o.largest);
        self.valid += o.valid;
        self.low += o.low;
        self.pairs += o.pairs;
        self.inverted += o.inverted;
        self.inverted_dn += o.inverted_dn;
        self.soil += o.soil;
        self.soil_dn += o.soil_dn;
        self.below_soil += o.below_soil;
        self.below_soil_dn += o.below_soil_dn;
        for (a, b) in self.band_sums.iter_mut().zip(o.band_sums) {
            a.0 += b.0;
            a.1 += b.1;
        }
        self.fill += o.fill;
        self.fill_value = self.fill_value.or(o.fill_value);
    }

    /// The share of the pixels that are inverted, at the scale the values are on: digital
    /// numbers (× 10,000) where more than 1 % of them are above [`MOST_REFLECTANCE`].
    pub fn inverted_share(&self) -> f64 {
        if self.pairs == 0 {
            return 0.0;
        }
        let n = if self.digital_numbers() {
            self.inverted_dn
        } else {
            self.inverted
        };
        n as f64 / self.pairs as f64
    }

    /// Whether the values are digital numbers (× 10,000): more than 1 % of them above
    /// [`MOST_REFLECTANCE`].
    fn digital_numbers(&self) -> bool {
        self.beyond * 100 > self.valid
    }

    /// The share of the pixels that are bare or sparse land, and the share of those below
    /// the soil line, at the scale the values are on.
    pub fn soil_shares(&self) -> (f64, f64) {
        let (soil, below) = if self.digital_numbers() {
            (self.soil_dn, self.below_soil_dn)
        } else {
            (self.soil, self.below_soil)
        };
        if self.pairs == 0 || soil == 0 {
            return (0.0, 0.0);
        }
        (soil as f64 / self.pairs as f64, below as f64 / soil as f64)
    }
}

/// Refuses inputs that hold a fill value ([`crate::read::FILLS`]) read as a value: their
/// bands declare no nodata value, so each filled pixel would get an index (0 where every
/// band is filled) and count as valid, unchanged land. `what` names the inputs.
pub fn check_fill(s: &Screen, what: &str) -> Result<()> {
    let Some(v) = s.fill_value else {
        return Ok(());
    };
    let v = if v.abs() >= 1e7 {
        format!("{v:e}")
    } else {
        format!("{v}")
    };
    Err(RasterError::Invalid(format!(
        "{what}: {} values are {v}, a fill of cells without data, and the bands declare no \
         nodata value, so they would be read as values (an index of 0 and no change where \
         every band is filled, counted as valid). Declare it in the files (gdal_edit.py -a_nodata {v} FILE), \
         or give --nodata ignore to read them as values",
        s.fill
    )))
}

/// How to compute an index without [`check_roles`]: its formula as an expression.
pub const EXPR_WAY: &str = "--expr computes the same formula without this check";

/// Refuses an index whose bands look swapped: more than [`MOST_INVERTED`] of its pixels
/// bright in the band that is dark over vegetation and far below zero (see [`Screen`]),
/// which is vegetation with its near infrared given as red; or, over a dry scene with little
/// vegetation, more than [`MOST_BELOW_SOIL`] of its bare and sparse land below the soil
/// line. `what` names the bands' date or files; `way_out` says how to run them as they are.
pub fn check_roles(index: Index, s: &Screen, what: &str, way_out: &str) -> Result<()> {
    let share = s.inverted_share();
    let Some((hi, lo)) = index.swap_pair() else {
        return Ok(());
    };
    let names = index.bands();
    let (hn, ln) = (names[hi], names[lo]);
    let (soil, below) = s.soil_shares();
    if share <= MOST_INVERTED && index.soil_line() && soil >= LEAST_SOIL && below > MOST_BELOW_SOIL
    {
        return Err(RasterError::Invalid(format!(
            "{}: {:.0} % of the bare and sparse land of {what} ({:.0} % of its pixels, \
             reflectance {BRIGHT}–{SOIL_TOP} in both bands, 1,500–5,000 in digital numbers) has its {} band at least 13 % \
             above its {} band (({hn} − {ln}) / ({hn} + {ln}) at or below {BELOW_SOIL_LINE}), as soil, rock, dry \
             grass and built-up areas have only with the bands swapped: are the {} and {} \
             bands exchanged? Check which file or band is which ({}). If they are right (a \
             scene of old snow or of haze over water), {way_out}",
            index.name().to_uppercase(),
            below * 100.0,
            soil * 100.0,
            names[lo],
            names[hi],
            names[lo],
            names[hi],
            index.band_names(),
        )));
    }
    if share <= MOST_INVERTED {
        return Ok(());
    }
    Err(RasterError::Invalid(format!(
        "{}: {:.0} % of the pixels of {what} have a bright {} band (reflectance ≥ {BRIGHT}, 1,500 in digital numbers) \
         and ({hn} − {ln}) / ({hn} + {ln}) at or below {INVERTED}, as no surface has with its bands in order but \
         vegetation has with them swapped: are the {} and {} bands exchanged? Check which \
         file or band is which ({}). If they are right, {way_out}",
        index.name().to_uppercase(),
        share * 100.0,
        names[lo],
        names[lo],
        names[hi],
        index.band_names(),
    )))
}

/// How many times the mean of one of an index's bands may be another's (blue aside, which
/// is dark over vegetation): reflectances of one surface differ by a few times at most (near
/// infrared over red, 10–20× on dense forest), while Sentinel-2's scene classes (0–11) given
/// as near infrared beside red in digital numbers sit hundreds of times apart, and
/// reflectance beside digital numbers 10,000 times.
pub const MOST_BAND_RATIO: f64 = 50.0;

/// Refuses an index whose bands' means (see [`Screen`]) are more than [`MOST_BAND_RATIO`]
/// apart: one of them is not a reflectance band of the others' scale (the scene
/// classification band given for near infrared made NDVI −0.99…−0.94 everywhere, and a
/// change map of the sample's 48 ha clearing 0 ha). `what` names the date or files.
pub fn check_band_scales(index: Index, s: &Screen, what: &str) -> Result<()> {
    let names = index.bands();
    let means: Vec<(&str, f64)> = names
        .iter()
        .zip(s.band_sums)
        .filter(|(name, (_, n))| **name != "blue" && *n > 0)
        .map(|(name, (sum, n))| (*name, sum / n as f64))
        .collect();
    for (i, (a, ma)) in means.iter().enumerate() {
        for (b, mb) in &means[i + 1..] {
            let (big, small, mbig, msmall) = if ma.abs() >= mb.abs() {
                (a, b, ma, mb)
            } else {
                (b, a, mb, ma)
            };
            if msmall.abs() * MOST_BAND_RATIO < mbig.abs() {
                return Err(RasterError::Invalid(format!(
                    "{}: the {big} band of {what} averages {mbig:.4}, {:.0} times its {small} band ({msmall:.4}): bands of one surface differ by a few times, so one of them is not a reflectance band of the other's scale (a scene-classification or mask band such as Sentinel-2's SCL, or reflectance beside digital numbers). Check which file or band is which (--bands, --{big}, --{small})",
                    index.name().to_uppercase(),
                    (mbig / msmall).abs()
                )));
            }
        }
    }
    Ok(())
}

/// Refuses EVI or SAVI over inputs of which more than 1 % of the `read` values are above
/// [`MOST_REFLECTANCE`]: digital numbers without their scale.
pub fn check_reflectance(index: Index, s: &Screen, read: u64) -> Result<()> {
    if !index.needs_reflectance() || s.beyond == 0 || s.beyond * 100 <= read {
        return Ok(());
    }
    Err(RasterError::Invalid(format!(
        "{} needs surface reflectance (0–1), and {} of the {read} input values read are above {MOST_REFLECTANCE} (up to {}): digital numbers without their scale? Give --scale (and --offset): 0.0001 for Sentinel-2 L2A (--offset -0.1 from processing baseline 04.00, January 2022), 0.0000275 with --offset -0.2 for Landsat Collection 2",
        index.name().to_uppercase(),
        s.beyond,
        s.largest
    )))
}

/// The refusal of an index of digital numbers that carry an offset: a ratio of them is the
/// index only without one, and NDVI of Landsat Collection 2 Level-2's is far from the
/// surface's (0.33 for 0.71). `low` of `valid` values are under [`OFFSET_FLOOR`].
pub fn offset_error(index: Index, low: String) -> RasterError {
    RasterError::Invalid(format!(
        "{} of digital numbers that carry an offset: {low} under {OFFSET_FLOOR} (a reflectance of 0 is 7,273 in Landsat Collection 2 Level-2), and a ratio of such numbers is not the index. Give --scale 0.0000275 --offset -0.2 (Landsat Collection 2 Level-2)",
        index.name().to_uppercase(),
    ))
}

/// Refuses an index of digital numbers (more than 1 % of the valid values above
/// [`MOST_REFLECTANCE`]) of which fewer than 1 % are under [`OFFSET_FLOOR`]: they carry an
/// offset (see [`offset_error`]).
pub fn check_offset(index: Index, s: &Screen) -> Result<()> {
    if s.valid > 0 && s.beyond * 100 > s.valid && s.low * 100 < s.valid {
        return Err(offset_error(
            index,
            format!("{} of the {} valid input values are", s.low, s.valid),
        ));
    }
    Ok(())
}

/// A band-math expression over named bands: numbers, band names (letters, digits and
/// underscores, starting with a letter, e.g. `b8`, `nir`), `+ - * /`, `^` (power), unary
/// minus, parentheses and the functions `sqrt`, `abs`, `exp`, `ln`, `min(a, b)`,
/// `max(a, b)`. Evaluated in float32, left to right with the usual precedence (`^` binds
/// tightest and to the right), so `(b8-b4)/(b8+b4)` equals NDVI bit for bit.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    text: String,
    node: Node,
    names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Num(f32),
    Band(usize),
    Neg(Box<Node>),
    Bin(char, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Sqrt,
    Abs,
    Exp,
    Ln,
    Min,
    Max,
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr> {
        let tokens = tokenize(text)?;
        let mut p = Parser {
            text,
            tokens,
            pos: 0,
            names: vec![],
        };
        let node = p.expr()?;
        if p.pos < p.tokens.len() {
            return Err(p.error(&format!("unexpected '{}'", p.tokens[p.pos].1)));
        }
        Ok(Expr {
            text: text.to_string(),
            node,
            names: p.names,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The band names it reads, in first-use order (the order [`Expr::eval`] takes them).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    #[inline]
    pub fn eval(&self, v: &[f32]) -> f32 {
        eval(&self.node, v)
    }

    pub fn apply(&self, bands: &[&[f32]], out: &mut Vec<f32>) {
        let n = bands.first().map_or(0, |b| b.len());
        out.clear();
        let mut v = vec![0f32; bands.len()];
        for p in 0..n {
            let mut missing = false;
            for (k, b) in bands.iter().enumerate() {
                v[k] = b[p];
                missing |= b[p].is_nan();
            }
            out.push(if missing { f32::NAN } else { self.eval(&v) });
        }
    }
}

fn eval(n: &Node, v: &[f32]) -> f32 {
    match n {
        Node::Num(x) => *x,
        Node::Band(i) => v[*i],
        Node::Neg(a) => -eval(a, v),
        Node::Bin(op, a, b) => {
            let (x, y) = (eval(a, v), eval(b, v));
            match op {
                '+' => x + y,
                '-' => x - y,
                '*' => x * y,
                '/' => x / y,
                _ => x.powf(y),
            }
        }
        Node::Call(f, args) => {
            let x = eval(&args[0], v);
            match f {
                Func::Sqrt => x.sqrt(),
                Func::Abs => x.abs(),
                Func::Exp => x.exp(),
                Func::Ln => x.ln(),
                Func::Min => x.min(eval(&args[1], v)),
                Func::Max => x.max(eval(&args[1], v)),
            }
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, String)>> {
    let mut out = vec![];
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len()
                && (chars[i].1.is_ascii_digit()
                    || chars[i].1 == '.'
                    || ((chars[i].1 == 'e' || chars[i].1 == 'E')
                        && i + 1 < chars.len()
                        && (chars[i + 1].1.is_ascii_digit() || "+-".contains(chars[i + 1].1)))
                    || ((chars[i].1 == '+' || chars[i].1 == '-')
                        && i > start
                        && (chars[i - 1].1 == 'e' || chars[i - 1].1 == 'E')))
            {
                i += 1;
            }
            out.push((at, chars[start..i].iter().map(|c| c.1).collect()));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].1.is_ascii_alphanumeric() || chars[i].1 == '_') {
                i += 1;
            }
            out.push((at, chars[start..i].iter().map(|c| c.1).collect()));
        } else if "+-*/^(),".contains(c) {
            out.push((at, c.to_string()));
            i += 1;
        } else {
            return Err(RasterError::Invalid(format!(
                "--expr '{text}': unexpected character '{c}' at {}",
                at + 1
            )));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<(usize, String)>,
    pos: usize,
    names: Vec<String>,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> RasterError {
        let at = self.tokens.get(self.pos).map_or(self.text.len(), |t| t.0);
        RasterError::Invalid(format!("--expr '{}': {what} at {}", self.text, at + 1))
    }

    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(|t| t.1.as_str())
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.peek() == Some(s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Node> {
        let mut a = self.term()?;
        while let Some(op @ ("+" | "-")) = self.peek() {
            let op = op.chars().next().expect("one char");
            self.pos += 1;
            let b = self.term()?;
            a = Node::Bin(op, Box::new(a), Box::new(b));
        }
        Ok(a)
    }

    fn term(&mut self) -> Result<Node> {
        let mut a = self.unary()?;
        while let Some(op @ ("*" | "/")) = self.peek() {
            let op = op.chars().next().expect("one char");
            self.pos += 1;
            let b = self.unary()?;
            a = Node::Bin(op, Box::new(a), Box::new(b));
        }
        Ok(a)
    }

    fn unary(&mut self) -> Result<Node> {
        if self.eat("-") {
            return Ok(Node::Neg(Box::new(self.unary()?)));
        }
        if self.eat("+") {
            return self.unary();
        }
        let base = self.atom()?;
        if self.eat("^") {
            let exp = self.unary()?;
            return Ok(Node::Bin('^', Box::new(base), Box::new(exp)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Node> {
        let Some(t) = self.peek().map(str::to_string) else {
            return Err(self.error("the expression ends early"));
        };
        if t == "(" {
            self.pos += 1;
            let e = self.expr()?;
            if !self.eat(")") {
                return Err(self.error("missing ')'"));
            }
            return Ok(e);
        }
        let first = t.chars().next().expect("non-empty token");
        if first.is_ascii_digit() || first == '.' {
            let x: f64 = t
                .parse()
                .map_err(|_| self.error(&format!("'{t}' is not a number")))?;
            self.pos += 1;
            return Ok(Node::Num(x as f32));
        }
        if first.is_ascii_alphabetic() || first == '_' {
            self.pos += 1;
            if self.peek() == Some("(") {
                let f = match t.as_str() {
                    "sqrt" => Func::Sqrt,
                    "abs" => Func::Abs,
                    "exp" => Func::Exp,
                    "ln" => Func::Ln,
                    "min" => Func::Min,
                    "max" => Func::Max,
                    _ => {
                        self.pos -= 1;
                        return Err(self.error(&format!(
                            "unknown function '{t}' (sqrt, abs, exp, ln, min, max)"
                        )));
                    }
                };
                self.pos += 1;
                let mut args = vec![self.expr()?];
                while self.eat(",") {
                    args.push(self.expr()?);
                }
                if !self.eat(")") {
                    return Err(self.error("missing ')'"));
                }
                let want = if matches!(f, Func::Min | Func::Max) {
                    2
                } else {
                    1
                };
                if args.len() != want {
                    return Err(self.error(&format!("'{t}' takes {want} argument(s)")));
                }
                return Ok(Node::Call(f, args));
            }
            let name = t.to_ascii_lowercase();
            let i = match self.names.iter().position(|n| *n == name) {
                Some(i) => i,
                None => {
                    self.names.push(name);
                    self.names.len() - 1
                }
            };
            return Ok(Node::Band(i));
        }
        Err(self.error(&format!("unexpected '{t}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vegetation (red 0.05, nir 0.40), water (0.04, 0.02), bare soil (0.25, 0.30) and
    /// snow (0.85, 0.80) in reflectance: with the bands in order nothing is inverted (water
    /// is below zero but dark); with red and nir swapped the vegetation is, at either scale.
    #[test]
    fn swapped_bands_are_told_from_water_and_snow() {
        let red = [0.05f32, 0.04, 0.25, 0.85, 0.05, 0.05];
        let nir = [0.40f32, 0.02, 0.30, 0.80, 0.40, 0.40];
        let right = Screen::of_index(Index::Ndvi, &[&red, &nir]);
        assert_eq!((right.pairs, right.inverted_share()), (6, 0.0));
        assert!(check_roles(Index::Ndvi, &right, "x", "").is_ok());
        let swapped = Screen::of_index(Index::Ndvi, &[&nir, &red]);
        assert_eq!(swapped.inverted_share(), 0.5);
        let e = check_roles(Index::Ndvi, &swapped, "x", "")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("50 % of the pixels of x have a bright red band"),
            "{e}"
        );
        // the same as digital numbers (× 10,000)
        let dn = |v: &[f32]| v.iter().map(|x| x * 10_000.0).collect::<Vec<_>>();
        let s = Screen::of_index(Index::Ndvi, &[&dn(&nir), &dn(&red)]);
        assert_eq!(s.inverted_share(), 0.5);
        // a burn scar (nir 0.10, swir2 0.22: NBR −0.38) is NBR's in order; vegetation
        // (nir 0.40, swir2 0.08) with nir and swir2 swapped is not
        let (nir_burnt, swir2) = ([0.10f32; 4], [0.22f32; 4]);
        let nbr = Screen::of_index(Index::Nbr, &[&nir_burnt, &swir2]);
        assert!(check_roles(Index::Nbr, &nbr, "x", "").is_ok());
        let (nir_green, swir2) = ([0.40f32, 0.40, 0.10], [0.08f32, 0.08, 0.22]);
        let nbr = Screen::of_index(Index::Nbr, &[&nir_green, &swir2]);
        assert!(check_roles(Index::Nbr, &nbr, "x", "").is_ok());
        let nbr = Screen::of_index(Index::Nbr, &[&swir2, &nir_green]);
        let e = check_roles(Index::Nbr, &nbr, "x", "")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a bright swir2 band") && e.contains("swir2 B12"),
            "{e}"
        );
        // NDWI: green dark over vegetation (0.05) and water (0.04 over 0.02) in order;
        // vegetation's near infrared given as green is refused
        let ndwi = Screen::of_index(Index::Ndwi, &[&red, &nir]);
        assert!(check_roles(Index::Ndwi, &ndwi, "x", "").is_ok());
        let ndwi = Screen::of_index(Index::Ndwi, &[&nir, &red]);
        let e = check_roles(Index::Ndwi, &ndwi, "x", "")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a bright green band") && e.contains("green B03"),
            "{e}"
        );
    }

    /// A dry scene: bare soil (red 0.25, nir 0.30), sparse grass (0.20, 0.28), rock (0.30,
    /// 0.33) and a few pixels of snow (0.85, 0.80), water and haze over water (0.16, 0.12).
    /// No vegetation turns far below zero with the bands swapped, but the land falls below
    /// the soil line, at either scale; in order, or as NBR's pair, it passes.
    #[test]
    fn a_dry_scene_with_swapped_bands_is_below_the_soil_line() {
        let red = [0.25f32, 0.20, 0.30, 0.25, 0.85, 0.04, 0.16, 0.20];
        let nir = [0.30f32, 0.28, 0.33, 0.30, 0.80, 0.02, 0.12, 0.28];
        let right = Screen::of_index(Index::Ndvi, &[&red, &nir]);
        assert_eq!(right.soil_shares(), (5.0 / 8.0, 0.0));
        assert!(check_roles(Index::Ndvi, &right, "x", "").is_ok());
        let swapped = Screen::of_index(Index::Ndvi, &[&nir, &red]);
        assert_eq!(swapped.inverted_share(), 0.0);
        // the rock's −0.048 is within the line's tolerance
        assert_eq!(swapped.soil_shares(), (5.0 / 8.0, 0.8));
        let e = check_roles(Index::Ndvi, &swapped, "x", "way")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("80 % of the bare and sparse land of x (62 % of its pixels")
                && e.contains("are the red and nir bands exchanged?")
                && e.ends_with("way"),
            "{e}"
        );
        let dn = |v: &[f32]| v.iter().map(|x| x * 10_000.0).collect::<Vec<_>>();
        let s = Screen::of_index(Index::Ndvi, &[&dn(&nir), &dn(&red)]);
        assert_eq!(s.soil_shares(), (5.0 / 8.0, 0.8));
        assert!(check_roles(Index::Ndvi, &s, "x", "").is_err());
        // snow alone, and haze over water, are not land on the soil line
        let snowy = Screen::of_index(Index::Ndvi, &[&[0.85f32, 0.6, 0.16], &[0.80f32, 0.5, 0.12]]);
        assert_eq!(snowy.soil_shares(), (0.0, 0.0));
        assert!(check_roles(Index::Ndvi, &snowy, "x", "").is_ok());
        let nbr = Screen::of_index(Index::Nbr, &[&nir, &red]);
        assert!(check_roles(Index::Nbr, &nbr, "x", "").is_ok());
    }

    #[test]
    fn expressions_equal_the_indices_bit_for_bit() {
        let e = Expr::parse("(b8 - b4) / (b8 + b4)").unwrap();
        assert_eq!(e.names(), ["b8", "b4"]);
        let evi = Expr::parse("2.5 * (nir - red) / (nir + 6 * red - 7.5 * blue + 1)").unwrap();
        for (r, n, b) in [
            (0.031f32, 0.2457f32, 0.0123f32),
            (0.1, 0.1, 0.3),
            (0.07, 0.5, 0.02),
        ] {
            assert_eq!(
                e.eval(&[n, r]).to_bits(),
                Index::Ndvi.eval(&[r, n]).to_bits()
            );
            assert_eq!(
                evi.eval(&[n, r, b]).to_bits(),
                Index::Evi.eval(&[b, r, n]).to_bits()
            );
        }
    }

    #[test]
    fn precedence_and_functions() {
        let e = Expr::parse("-2^2 + max(a, 3) * sqrt(b) - 1e-1").unwrap();
        assert_eq!(e.eval(&[1.0, 4.0]), -4.0 + 6.0 - 0.1);
        let e = Expr::parse("2^3^2").unwrap();
        assert_eq!(e.eval(&[]), 512.0);
    }

    #[test]
    fn bad_expressions_say_where() {
        for (t, msg) in [
            ("(b1 + b2", "missing ')'"),
            ("b1 + ", "ends early"),
            ("foo(b1)", "unknown function 'foo'"),
            ("b1 $ 2", "unexpected character '$' at 4"),
            ("min(b1)", "takes 2"),
        ] {
            let e = Expr::parse(t).unwrap_err().to_string();
            assert!(e.contains(msg), "{t}: {e}");
        }
    }
}

/// What an index run computes: a built-in index or an expression.
#[derive(Debug, Clone)]
pub enum Formula {
    Index(Index),
    Expr(Expr),
}

impl Formula {
    /// The band roles it reads, in evaluation order.
    pub fn roles(&self) -> Vec<String> {
        match self {
            Formula::Index(i) => i.bands().iter().map(|s| s.to_string()).collect(),
            Formula::Expr(e) => e.names().to_vec(),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Formula::Index(i) => i.name().into(),
            Formula::Expr(e) => e.text().into(),
        }
    }

    #[inline]
    pub fn eval(&self, v: &[f32]) -> f32 {
        match self {
            Formula::Index(i) => i.eval(v),
            Formula::Expr(e) => e.eval(v),
        }
    }
}

/// Summary of an index raster.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IndexReport {
    pub formula: String,
    pub bands: Vec<crate::read::Band>,
    pub grid: crate::grid::Grid,
    pub crs: String,
    pub pixels: u64,
    pub valid: u64,
    pub missing: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub km2: f64,
    /// What the user should know (one line each, without a prefix).
    pub warnings: Vec<String>,
}

/// A warning for an expression over bands of which some carry a scale or offset tag and
/// others none, with means more than [`MOST_BAND_RATIO`] apart: reflectance beside digital
/// numbers whose tag was lost (NDVI −0.997 everywhere for 0.58). An expression may mix
/// quantities on purpose (an elevation and an index), so it is not refused.
fn expr_scale_warning(e: &Expr, bands: &[crate::read::Band], s: &Screen) -> Option<String> {
    let tagged = |b: &crate::read::Band| b.scale != 1.0 || b.offset != 0.0;
    let means: Vec<(usize, f64)> = s
        .band_sums
        .iter()
        .enumerate()
        .take(bands.len())
        .filter(|(_, (_, n))| *n > 0)
        .map(|(i, (sum, n))| (i, (sum / *n as f64).abs()))
        .collect();
    for &(i, mi) in &means {
        for &(j, mj) in &means {
            if tagged(&bands[i]) && !tagged(&bands[j]) && mi > 0.0 && mj > 0.0 {
                let r = if mi > mj { mi / mj } else { mj / mi };
                if r > MOST_BAND_RATIO {
                    return Some(format!(
                        "--expr: band {} ({}) is read with its file's scale {} and offset {} (mean {mi:.4}), band {} ({}) has no scale tag (mean {mj:.4}): {r:.0} times apart. If both are bands of one surface, the second has lost its tag (gdal_edit.py -scale {} FILE), and the result is not the index",
                        e.names()[i],
                        bands[i].label,
                        bands[i].scale,
                        bands[i].offset,
                        e.names()[j],
                        bands[j].label,
                        bands[i].scale
                    ));
                }
            }
        }
    }
    None
}

/// Computes `formula` over `bands` (its roles, in order) on `grid` (default the first
/// band's; bands on another grid are resampled onto it) into `out`, strip by strip.
#[allow(clippy::too_many_arguments)]
pub fn run(
    formula: &Formula,
    specs: &[crate::read::BandSpec],
    grid: Option<&crate::grid::Grid>,
    ignore_nodata: bool,
    resampling: crate::read::Resampling,
    memory: u64,
    out: &crate::write::OutputSpec,
    tmp: &std::path::Path,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<IndexReport> {
    use crate::read::Band;
    crate::blocks::limit_gdal_cache(memory);
    let mut bands = vec![];
    for s in specs {
        let mut b = Band::open(s)?;
        if ignore_nodata {
            b.nodata = None;
        }
        bands.push(b);
    }
    let first = &bands
        .first()
        .ok_or_else(|| RasterError::Invalid("no input bands".into()))?
        .grid;
    let grid = grid.unwrap_or(first).clone();
    let bands = bands
        .into_iter()
        .map(|b| b.onto(&grid, resampling, tmp))
        .collect::<Result<Vec<_>>>()?;
    let (w, h) = (grid.width, grid.height);
    let rows = crate::blocks::strip_rows(
        h,
        w,
        bands.len() * 12 + 4,
        bands[0].block_rows,
        crate::blocks::strip_budget(memory),
        rayon::current_num_threads(),
    )?;
    let (rows, tile) = crate::blocks::tiles_for(rows, w, 4, memory / 4);
    let mut writer =
        crate::write::Writer::create::<f32>(out, &grid, &[&formula.name()], Some(f64::NAN), tile)?;
    let (mut valid, mut lo, mut hi) = (0u64, f32::INFINITY, f32::NEG_INFINITY);
    let mut sum = 0f64;
    let mut screen = Screen::default();
    let done = std::sync::atomic::AtomicU64::new(0);
    crate::blocks::run(
        h,
        rows,
        |r0, n| {
            let mut vals = vec![];
            for b in &bands {
                let ds = b.open_dataset()?;
                let mut v = vec![];
                b.read_rows(&ds, r0, n, &mut v)?;
                vals.push(v);
            }
            let refs: Vec<&[f32]> = vals.iter().map(Vec::as_slice).collect();
            let mut o = vec![];
            let over = match formula {
                Formula::Index(i) => {
                    i.apply(&refs, &mut o);
                    Screen::of_index(*i, &refs)
                }
                Formula::Expr(e) => {
                    e.apply(&refs, &mut o);
                    let mut s = Screen::of(refs.iter().copied());
                    s.add_band_sums(&refs);
                    s
                }
            };
            // per-row sums, so the mean does not depend on the strips
            let row_sums: Vec<(u64, f64, f32, f32)> = o
                .chunks(w)
                .map(|row| {
                    row.iter().filter(|v| !v.is_nan()).fold(
                        (0u64, 0f64, f32::INFINITY, f32::NEG_INFINITY),
                        |(c, s, l, h), &v| (c + 1, s + v as f64, l.min(v), h.max(v)),
                    )
                })
                .collect();
            let d = done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
            progress(d, h as u64);
            Ok((o, row_sums, over))
        },
        |r0, n, (o, row_sums, over)| {
            screen.add(&over);
            for (c, s, l, hh) in row_sums {
                valid += c;
                sum += s;
                lo = lo.min(l);
                hi = hi.max(hh);
            }
            writer.write_rows(1, r0, n, o)
        },
    )?;
    if let Formula::Index(i) = formula {
        check_band_scales(*i, &screen, "the input")?;
        check_reflectance(*i, &screen, (w * h * bands.len()) as u64)?;
        check_offset(*i, &screen)?;
        check_roles(*i, &screen, "the input", EXPR_WAY)?;
    }
    if !ignore_nodata {
        check_fill(&screen, "the input")?;
    }
    writer.finish()?;
    let km2 = grid
        .row_areas(crate::grid::AreaMethod::Ellipsoid)
        .map(|a| a.iter().sum::<f64>() * w as f64 / 1e6)
        .unwrap_or(f64::NAN);
    let pixels = grid.pixels();
    let warnings = match formula {
        Formula::Expr(e) => expr_scale_warning(e, &bands, &screen).into_iter().collect(),
        Formula::Index(_) => vec![],
    };
    Ok(IndexReport {
        warnings,
        formula: formula.name(),
        crs: grid.crs_name(),
        grid,
        bands,
        pixels,
        valid,
        missing: pixels - valid,
        min: if valid > 0 { lo as f64 } else { f64::NAN },
        max: if valid > 0 { hi as f64 } else { f64::NAN },
        mean: if valid > 0 {
            sum / valid as f64
        } else {
            f64::NAN
        },
        km2,
    })
}
