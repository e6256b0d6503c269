//! Sizes with their units: bytes (`512MB`, `1GB`), lengths (`1km`, `500m`) and areas
//! (`0.5ha`, `5000m2`, `0.01km2`). The one parser behind every size flag (`--memory`,
//! `--merge-memory`, `--window`, `--tile-size`, `--mmu`, `--min-patch`, …), beside
//! [`crate::time::parse_duration`].
//!
//! An error's text starts with the value, quoted, so that a caller that knows the flag says
//! `format!("{flag} {error}")`: "--memory '0' must be positive".

use crate::TableError;

/// The number before the first of `units` (suffix, multiplier) that ends `text` (lower-cased
/// and trimmed by the caller), and that unit's multiplier.
fn split_unit<'a>(t: &'a str, units: &[(&str, f64)]) -> Option<(&'a str, f64)> {
    units
        .iter()
        .find_map(|(suffix, m)| t.strip_suffix(suffix).map(|n| (n.trim(), *m)))
}

/// A memory size in bytes: `512MB`, `1GB`, `2G`, `64K`, or plain bytes (decimal units:
/// 1 GB = 10⁹ bytes); case-insensitive; positive.
pub fn parse_bytes(text: &str) -> Result<u64, TableError> {
    let t = text.trim().to_ascii_uppercase();
    let units = [
        ("GB", 1e9),
        ("G", 1e9),
        ("MB", 1e6),
        ("M", 1e6),
        ("KB", 1e3),
        ("K", 1e3),
        ("B", 1.0),
    ];
    let (number, mult) = split_unit(&t, &units).unwrap_or((t.as_str(), 1.0));
    let v: f64 = number.parse().map_err(|_| TableError::NotBytes {
        text: text.to_string(),
    })?;
    if v.is_nan() || v <= 0.0 {
        return Err(TableError::NotPositive {
            text: text.to_string(),
        });
    }
    Ok((v * mult) as u64)
}

/// A length in metres, its unit required: `1km`, `500m`; positive and finite.
pub fn parse_length(text: &str) -> Result<f64, TableError> {
    let t = text.trim().to_ascii_lowercase();
    let (number, mult) =
        split_unit(&t, &[("km", 1e3), ("m", 1.0)]).ok_or_else(|| TableError::NoUnit {
            text: text.to_string(),
            examples: "1km or 500m",
        })?;
    let v = number_of(text, number)?;
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        return Err(TableError::NotPositive {
            text: text.to_string(),
        });
    }
    Ok(v * mult)
}

/// An area in square metres, its unit required: `0.5ha`, `5000m2`, `0.01km2`; positive, or
/// zero too when `allow_zero`.
pub fn parse_area(text: &str, allow_zero: bool) -> Result<f64, TableError> {
    let t = text.trim().to_ascii_lowercase();
    let (number, mult) =
        split_unit(&t, &[("km2", 1e6), ("ha", 1e4), ("m2", 1.0)]).ok_or_else(|| {
            TableError::NoUnit {
                text: text.to_string(),
                examples: "0.5ha, 5000m2 or 0.01km2",
            }
        })?;
    let v = number_of(text, number)?;
    let text = text.to_string();
    if v.is_nan() || v < 0.0 {
        return Err(if allow_zero {
            TableError::Negative { text }
        } else {
            TableError::NotPositive { text }
        });
    }
    if v == 0.0 && !allow_zero {
        return Err(TableError::NotPositive { text });
    }
    Ok(v * mult)
}

fn number_of(text: &str, number: &str) -> Result<f64, TableError> {
    number.parse().map_err(|_| TableError::NotANumber {
        text: text.to_string(),
        number: number.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        for (t, want) in [
            ("512MB", 512_000_000),
            ("1GB", 1_000_000_000),
            ("2g", 2_000_000_000),
            ("64 K", 64_000),
            ("100", 100),
            ("1.5GB", 1_500_000_000),
            (" 10b ", 10),
        ] {
            assert_eq!(parse_bytes(t).unwrap(), want, "{t}");
        }
        assert_eq!(
            parse_bytes("lots").unwrap_err().to_string(),
            "'lots': expected a size such as 1GB or 512MB"
        );
        assert_eq!(
            parse_bytes("0GB").unwrap_err().to_string(),
            "'0GB' must be positive"
        );
        for t in ["-1MB", "NaN", "", "1TB"] {
            assert!(parse_bytes(t).is_err(), "{t}");
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(parse_length("1km").unwrap(), 1000.0);
        assert_eq!(parse_length(" 500 m").unwrap(), 500.0);
        assert_eq!(parse_length("2.5KM").unwrap(), 2500.0);
        assert_eq!(
            format!("--window {}", parse_length("500").unwrap_err()),
            "--window '500': give a unit, e.g. 1km or 500m"
        );
        assert_eq!(
            parse_length("xkm").unwrap_err().to_string(),
            "'xkm': 'x' is not a number"
        );
        for t in ["0m", "-1km", "infm", "NaNm"] {
            assert!(
                matches!(parse_length(t), Err(TableError::NotPositive { .. })),
                "{t}"
            );
        }
    }

    #[test]
    fn areas() {
        assert_eq!(parse_area("0.5ha", false).unwrap(), 5000.0);
        assert_eq!(parse_area("5000m2", false).unwrap(), 5000.0);
        assert_eq!(parse_area("0.01km2", false).unwrap(), 10_000.0);
        assert_eq!(parse_area("0ha", true).unwrap(), 0.0);
        assert_eq!(
            parse_area("0ha", false).unwrap_err().to_string(),
            "'0ha' must be positive"
        );
        assert_eq!(
            parse_area("-1ha", true).unwrap_err().to_string(),
            "'-1ha' must be zero or more"
        );
        assert_eq!(
            parse_area("0.5", false).unwrap_err().to_string(),
            "'0.5': give a unit, e.g. 0.5ha, 5000m2 or 0.01km2"
        );
    }
}
