//! The grid of a raster (size, geotransform, CRS), how two grids differ, and the true area of
//! its pixels.
//!
//! Pixel areas: planar (|a·e − b·d| in the CRS's linear unit², converted to m²) for projected
//! CRSs; for geographic CRSs the area of the cell between two parallels and two meridians on
//! the CRS's ellipsoid (by the authalic-latitude formula, exact for such a cell) or, with
//! [`AreaMethod::Sphere`], on a sphere of radius 6,378,137 m (as exactextract computes it).

use gdal::Dataset;
use gdal::spatial_ref::SpatialRef;
use serde::Serialize;

use crate::{RasterError, Result};

/// WGS84's semi-major axis and the sphere radius exactextract uses (m).
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84's flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Size, geotransform (GDAL order: x0, pixel width, row rotation, y0, column rotation, pixel
/// height) and CRS (WKT; empty when the raster has none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    pub width: usize,
    pub height: usize,
    pub transform: [f64; 6],
    pub wkt: String,
}

/// How a pixel's area is computed on a geographic grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaMethod {
    /// On the CRS's ellipsoid (default).
    Ellipsoid,
    /// On the sphere of radius 6,378,137 m.
    Sphere,
}

/// A window of a grid, in pixels: `COL,ROW,WIDTH,HEIGHT` (a tile of a planned run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PixelWindow {
    pub col: usize,
    pub row: usize,
    pub width: usize,
    pub height: usize,
}

/// `N,N,…`: exactly `N` whole numbers.
pub(crate) fn numbers<const N: usize>(s: &str) -> Option<[usize; N]> {
    let v: Vec<usize> = s
        .split(',')
        .map(|x| x.trim().parse().ok())
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

impl std::str::FromStr for PixelWindow {
    type Err = crate::ParseError;

    fn from_str(s: &str) -> std::result::Result<PixelWindow, crate::ParseError> {
        let [col, row, width, height] = numbers(s)
            .ok_or_else(|| crate::ParseError::expected("COL,ROW,WIDTH,HEIGHT in pixels"))?;
        Ok(PixelWindow {
            col,
            row,
            width,
            height,
        })
    }
}

impl std::fmt::Display for PixelWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.col, self.row, self.width, self.height
        )
    }
}

impl AreaMethod {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["ellipsoid", "sphere"];
}

impl std::str::FromStr for AreaMethod {
    type Err = crate::ParseError;

    /// `ellipsoid` or `sphere`.
    fn from_str(s: &str) -> std::result::Result<AreaMethod, crate::ParseError> {
        match s {
            "ellipsoid" => Ok(AreaMethod::Ellipsoid),
            "sphere" => Ok(AreaMethod::Sphere),
            _ => Err(crate::ParseError::expected("ellipsoid or sphere")),
        }
    }
}

impl std::fmt::Display for AreaMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AreaMethod::Ellipsoid => "ellipsoid",
            AreaMethod::Sphere => "sphere",
        })
    }
}

impl Grid {
    pub fn of(ds: &Dataset, path: &str) -> Result<Grid> {
        let (width, height) = ds.raster_size();
        let transform = ds.geo_transform().map_err(|_| RasterError::Input {
            path: path.into(),
            message: "has no geotransform (not georeferenced)".into(),
        })?;
        Ok(Grid {
            width,
            height,
            transform,
            wkt: ds.projection(),
        })
    }

    /// The grid of a raster file.
    pub fn of_file(path: &std::path::Path) -> Result<Grid> {
        if !path.exists() {
            return Err(RasterError::Input {
                path: path.display().to_string(),
                message: "no such file".into(),
            });
        }
        let ds = Dataset::open(path).map_err(crate::gdal_err(path))?;
        Grid::of(&ds, &path.display().to_string())
    }

    pub fn pixels(&self) -> u64 {
        self.width as u64 * self.height as u64
    }

    fn srs(&self) -> Option<SpatialRef> {
        if self.wkt.is_empty() {
            None
        } else {
            SpatialRef::from_wkt(&self.wkt).ok()
        }
    }

    /// A short name of the CRS (EPSG code where GDAL finds one).
    pub fn crs_name(&self) -> String {
        match self.srs() {
            None => "no CRS".into(),
            Some(s) => match (s.auth_name(), s.auth_code()) {
                (Some(a), Ok(c)) => format!("{a}:{c}"),
                _ => s.name().unwrap_or_else(|| "unnamed CRS".into()),
            },
        }
    }

    pub fn is_geographic(&self) -> bool {
        self.srs().is_some_and(|s| s.is_geographic())
    }

    /// Bounds (xmin, ymin, xmax, ymax) of a north-up grid.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let t = &self.transform;
        let (x0, x1) = (t[0], t[0] + t[1] * self.width as f64);
        let (y0, y1) = (t[3], t[3] + t[5] * self.height as f64);
        (x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1))
    }

    /// What differs between this grid and `other`, in words (empty when they are the same:
    /// same CRS, size, and origin and pixel size within 1e-6 of a pixel).
    pub fn differences(&self, other: &Grid) -> Vec<String> {
        let mut d = vec![];
        let same_crs = match (self.srs(), other.srs()) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        if !same_crs {
            d.push(format!("CRS {} vs {}", self.crs_name(), other.crs_name()));
        }
        let (a, b) = (&self.transform, &other.transform);
        let tol_x = 1e-6 * a[1].abs().max(b[1].abs());
        let tol_y = 1e-6 * a[5].abs().max(b[5].abs());
        if (a[1] - b[1]).abs() > tol_x
            || (a[5] - b[5]).abs() > tol_y
            || a[2] != b[2]
            || a[4] != b[4]
        {
            d.push(format!(
                "pixel size {} × {} vs {} × {}",
                a[1], a[5], b[1], b[5]
            ));
        }
        if (a[0] - b[0]).abs() > tol_x || (a[3] - b[3]).abs() > tol_y {
            d.push(format!(
                "origin ({}, {}) vs ({}, {})",
                a[0], a[3], b[0], b[3]
            ));
        }
        if (self.width, self.height) != (other.width, other.height) {
            d.push(format!(
                "size {} × {} vs {} × {} pixels",
                self.width, self.height, other.width, other.height
            ));
        }
        d
    }

    /// The pixel's width and height in metres on a projected grid (`None` on a geographic
    /// grid or one without a CRS).
    pub fn pixel_metres(&self) -> Option<(f64, f64)> {
        let srs = self.srs()?;
        if srs.is_geographic() {
            return None;
        }
        let u = srs.linear_units();
        Some((self.transform[1].abs() * u, self.transform[5].abs() * u))
    }

    /// The window of `cols` × `rows` pixels at (`col0`, `row0`) of this grid: same CRS and
    /// pixel size, origin moved by whole pixels. Refused where it does not lie inside.
    pub fn window(
        &self,
        (col0, row0): (usize, usize),
        (cols, rows): (usize, usize),
    ) -> Result<Grid> {
        if cols == 0 || rows == 0 || col0 + cols > self.width || row0 + rows > self.height {
            return Err(RasterError::Invalid(format!(
                "the window of {cols} × {rows} pixels at column {col0}, row {row0} does not lie inside the grid of {} × {} pixels",
                self.width, self.height
            )));
        }
        let t = &self.transform;
        let (c, r) = (col0 as f64, row0 as f64);
        Ok(Grid {
            width: cols,
            height: rows,
            transform: [
                t[0] + c * t[1] + r * t[2],
                t[1],
                t[2],
                t[3] + c * t[4] + r * t[5],
                t[4],
                t[5],
            ],
            wkt: self.wkt.clone(),
        })
    }

    /// Where this grid lies in `outer` as a window of whole pixels: the column and row of
    /// its first pixel, when both share CRS and pixel size (within 1e-6 of a pixel), this
    /// origin falls on one of `outer`'s pixel corners (within 1e-6 of a pixel) and the
    /// window lies inside.
    pub fn offset_in(&self, outer: &Grid) -> Option<(usize, usize)> {
        let (a, b) = (&self.transform, &outer.transform);
        if a[2] != 0.0 || a[4] != 0.0 || b[2] != 0.0 || b[4] != 0.0 {
            return None;
        }
        if (a[1] - b[1]).abs() > 1e-6 * b[1].abs() || (a[5] - b[5]).abs() > 1e-6 * b[5].abs() {
            return None;
        }
        let c = (a[0] - b[0]) / b[1];
        let r = (a[3] - b[3]) / b[5];
        let (cr, rr) = (c.round(), r.round());
        if (c - cr).abs() > 1e-6 || (r - rr).abs() > 1e-6 || cr < 0.0 || rr < 0.0 {
            return None;
        }
        let (c0, r0) = (cr as usize, rr as usize);
        if c0 + self.width > outer.width || r0 + self.height > outer.height {
            return None;
        }
        let same_crs = match (self.srs(), outer.srs()) {
            (None, None) => true,
            (Some(x), Some(y)) => x == y,
            _ => false,
        };
        same_crs.then_some((c0, r0))
    }

    /// The area (m²) of one pixel in each row. Rotated grids are refused.
    pub fn row_areas(&self, method: AreaMethod) -> Result<Vec<f64>> {
        let t = &self.transform;
        if t[2] != 0.0 || t[4] != 0.0 {
            return Err(RasterError::Invalid(
                "pixel areas of a rotated grid are not supported".into(),
            ));
        }
        let srs = self.srs().ok_or_else(|| {
            RasterError::Invalid("the raster has no CRS: pixel areas are unknown".into())
        })?;
        if srs.is_geographic() {
            let (a, f) = match method {
                AreaMethod::Sphere => (WGS84_A, 0.0),
                AreaMethod::Ellipsoid => {
                    let a = srs.semi_major().unwrap_or(WGS84_A);
                    let b = srs.semi_minor().unwrap_or(a * (1.0 - WGS84_F));
                    (a, (a - b) / a)
                }
            };
            let unit = srs.angular_units(); // radians per CRS unit
            let dlon = (t[1] * unit).abs();
            Ok((0..self.height)
                .map(|r| {
                    let top = (t[3] + t[5] * r as f64) * unit;
                    let bottom = (t[3] + t[5] * (r + 1) as f64) * unit;
                    cell_area(a, f, dlon, top, bottom)
                })
                .collect())
        } else {
            let unit = srs.linear_units();
            let area = (t[1] * t[5] - t[2] * t[4]).abs() * unit * unit;
            Ok(vec![area; self.height])
        }
    }
}

/// Area (m²) of the cell between latitudes `p1`, `p2` and `dlon` apart in longitude (all in
/// radians) on the ellipsoid of semi-major axis `a` and flattening `f` (a sphere when f = 0):
/// b²·Δλ/2·|q(φ₂) − q(φ₁)| with q the authalic function.
pub fn cell_area(a: f64, f: f64, dlon: f64, p1: f64, p2: f64) -> f64 {
    if f == 0.0 {
        return a * a * dlon * (p1.sin() - p2.sin()).abs();
    }
    let e2 = f * (2.0 - f);
    let e = e2.sqrt();
    let q = |p: f64| {
        let s = p.sin();
        let es = e * s;
        s / (1.0 - es * es) + ((1.0 + es) / (1.0 - es)).ln() / (2.0 * e)
    };
    let b2 = a * a * (1.0 - e2);
    b2 * dlon / 2.0 * (q(p1) - q(p2)).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_ellipsoid() {
        // the area of the WGS84 ellipsoid: 510,065,621.72 km²
        let a = cell_area(
            WGS84_A,
            WGS84_F,
            std::f64::consts::TAU,
            std::f64::consts::FRAC_PI_2,
            -std::f64::consts::FRAC_PI_2,
        );
        assert!((a / 1e6 - 510_065_621.72).abs() < 0.01, "{a}");
    }

    #[test]
    fn windows_of_whole_pixels() {
        let g = Grid {
            width: 385,
            height: 241,
            transform: [13.0721, 1.08e-4, 0.0, 42.8069, 0.0, -1.08e-4],
            wkt: String::new(),
        };
        let w = g.window((97, 61), (97, 61)).unwrap();
        assert_eq!(w.offset_in(&g), Some((97, 61)));
        assert_eq!((w.width, w.height), (97, 61));
        assert_eq!(g.offset_in(&g), Some((0, 0)));
        // not inside, or not on the pixel corners
        assert!(g.window((300, 0), (97, 61)).is_err());
        let mut half = w.clone();
        half.transform[0] += 0.5 * 1.08e-4;
        assert_eq!(half.offset_in(&g), None);
        let mut big = g.clone();
        big.width += 1;
        assert_eq!(big.offset_in(&g), None);
    }
}
