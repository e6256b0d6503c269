//! What is left out of a change map: missing inputs (nodata) and clouds and their shadows.
//!
//! - Nodata rule: [`NodataRule::Any`] (the default): a pixel missing in any input is missing
//!   in the output. [`NodataRule::Ignore`]: input nodata values are read as ordinary values
//!   (as if the band declared none).
//! - Cloud masks, per date: a Sentinel-2 scene-classification band (SCL; masked classes
//!   default 3 cloud shadow, 8 and 9 cloud medium / high probability, 10 thin cirrus), a
//!   Landsat Collection 2 QA_PIXEL band (masked bits default 1 dilated cloud, 2 cirrus,
//!   3 cloud, 4 cloud shadow), or a user mask raster (non-zero masked). A missing code in the
//!   mask band masks the pixel.
//! - A buffer of `n` pixels grows every masked region by the pixels within Euclidean
//!   distance n (in pixels) of a masked one.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodataRule {
    /// A pixel missing in any input is missing.
    Any,
    /// Nodata values are read as ordinary values.
    Ignore,
}

impl NodataRule {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["any", "ignore"];
}

impl std::str::FromStr for NodataRule {
    type Err = crate::ParseError;

    /// `any` or `ignore`.
    fn from_str(s: &str) -> Result<NodataRule, crate::ParseError> {
        match s {
            "any" => Ok(NodataRule::Any),
            "ignore" => Ok(NodataRule::Ignore),
            _ => Err(crate::ParseError::expected("any or ignore")),
        }
    }
}

/// How a mask band's integer codes mask a pixel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaskKind {
    /// Sentinel-2 SCL: these classes are masked.
    Scl { classes: Vec<i64> },
    /// Landsat QA_PIXEL: a set bit among these masks.
    QaBits { bits: Vec<u32> },
    /// Any non-zero value is masked.
    NonZero,
}

impl MaskKind {
    pub fn scl_default() -> MaskKind {
        MaskKind::Scl {
            classes: vec![3, 8, 9, 10],
        }
    }

    pub fn qa_default() -> MaskKind {
        MaskKind::QaBits {
            bits: vec![1, 2, 3, 4],
        }
    }

    #[inline]
    pub fn masks(&self, code: Option<i64>) -> bool {
        let Some(c) = code else {
            return true;
        };
        match self {
            MaskKind::Scl { classes } => classes.contains(&c),
            MaskKind::QaBits { bits } => bits.iter().any(|b| (c >> b) & 1 == 1),
            MaskKind::NonZero => c != 0,
        }
    }
}

/// Grows the masked pixels of a strip (`mask`, `width` wide, whose first `halo_top` rows and
/// last `halo_bottom` rows are context from the neighbouring strips) by `radius` pixels and
/// returns the rows between the halos.
pub fn buffer(
    mask: &[bool],
    width: usize,
    radius: usize,
    halo_top: usize,
    halo_bottom: usize,
) -> Vec<bool> {
    let rows = mask.len() / width;
    let inner = rows - halo_top - halo_bottom;
    if radius == 0 {
        return mask[halo_top * width..(halo_top + inner) * width].to_vec();
    }
    let r = radius as i64;
    let offsets: Vec<(i64, i64)> = (-r..=r)
        .flat_map(|dy| (-r..=r).map(move |dx| (dy, dx)))
        .filter(|(dy, dx)| dy * dy + dx * dx <= r * r)
        .collect();
    let mut out = vec![false; inner * width];
    for y in 0..rows {
        for x in 0..width {
            if !mask[y * width + x] {
                continue;
            }
            for &(dy, dx) in &offsets {
                let (yy, xx) = (y as i64 + dy, x as i64 + dx);
                if xx < 0 || xx >= width as i64 {
                    continue;
                }
                let yi = yy - halo_top as i64;
                if yi < 0 || yi >= inner as i64 {
                    continue;
                }
                out[yi as usize * width + xx as usize] = true;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let scl = MaskKind::scl_default();
        assert!(scl.masks(Some(9)) && !scl.masks(Some(4)) && scl.masks(None));
        let qa = MaskKind::qa_default();
        // 21824: clear land in Landsat 8 C2 (bit 6 clear, bits 8-12 confidence low)
        assert!(!qa.masks(Some(21824)));
        // 22280: high-confidence cloud (bit 3)
        assert!(qa.masks(Some(22280)));
    }

    #[test]
    fn a_buffer_is_a_disk_and_crosses_strips() {
        // a 7 × 7 strip with one halo row each side; the masked pixel in the top halo
        let w = 7;
        let mut m = vec![false; w * 9];
        m[3] = true; // halo row 0, column 3
        let b = buffer(&m, w, 2, 1, 1);
        let at = |y: usize, x: usize| b[y * w + x];
        // rows 0 and 1 of the strip are 1 and 2 rows from the masked pixel
        assert!(at(0, 3) && at(0, 2) && at(0, 4) && at(1, 3));
        assert!(!at(1, 2) && !at(0, 1) && !at(2, 3));
    }
}
