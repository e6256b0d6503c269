//! A synthetic two-date Sentinel-2-like scene and its land-cover map, for the demo and the
//! examples: a 400 × 400 grid of 10 m cells in UTM zone 33N (EPSG:32633), seeded and
//! deterministic.
//!
//! - A smooth landscape field (a sum of seeded plane waves) sets the land cover: water in
//!   the lowest part, cropland, grassland, forest on the highest, and a built-up block.
//! - Each date is one GeoTIFF with three UInt16 bands, `B04` (red), `B08` (near infrared),
//!   reflectance × 10,000, and `SCL` (the scene classification: 4 vegetation, 5 bare soil,
//!   6 water, 3 cloud shadow, 9 cloud high probability); 0 is nodata in every band. Red and
//!   near infrared follow each class's NDVI, with ±0.03 of seeded pixel noise.
//! - The later date has a clearing: forest inside a rotated ellipse with a ragged edge turned
//!   to bare soil; and a cloud (bright, SCL 9) with its shadow (SCL 3) to the south-east.

use std::path::Path;

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::{DriverManager, Metadata};

use crate::{Result, gdal_err};

pub const SIZE: usize = 400;
const CELL: f64 = 10.0;
const ORIGIN: (f64, f64) = (500_000.0, 4_800_000.0);

/// SplitMix64: seeded, portable pseudo-random numbers.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in [0, 1) from a seed and a key.
fn unit(seed: u64, key: u64) -> f64 {
    (mix(seed ^ mix(key)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Land-cover classes of the sample.
pub const FOREST: u8 = 1;
pub const GRASS: u8 = 2;
pub const CROP: u8 = 3;
pub const WATER: u8 = 4;
pub const BUILT: u8 = 5;

fn class_ndvi_red(c: u8) -> (f64, f64) {
    match c {
        FOREST => (0.80, 0.030),
        GRASS => (0.55, 0.060),
        CROP => (0.45, 0.080),
        WATER => (-0.30, 0.020),
        _ => (0.10, 0.150),
    }
}

/// The land cover of the earlier date.
pub fn landcover(seed: u64) -> Vec<u8> {
    let waves: Vec<(f64, f64, f64, f64)> = (0..6)
        .map(|k| {
            let theta = unit(seed, 10 + k) * std::f64::consts::TAU;
            let wavelength = 60.0 + 180.0 * unit(seed, 20 + k);
            let phase = unit(seed, 30 + k) * std::f64::consts::TAU;
            let amp = 1.0 / (1.0 + k as f64 * 0.5);
            (theta, std::f64::consts::TAU / wavelength, phase, amp)
        })
        .collect();
    let norm: f64 = waves.iter().map(|w| w.3).sum();
    let mut out = vec![0u8; SIZE * SIZE];
    for r in 0..SIZE {
        for c in 0..SIZE {
            let (x, y) = (c as f64, r as f64);
            let f: f64 = waves
                .iter()
                .map(|(t, w, p, a)| a * (w * (x * t.cos() + y * t.sin()) + p).sin())
                .sum::<f64>()
                / norm;
            let built = (300..340).contains(&r) && (40..110).contains(&c);
            out[r * SIZE + c] = if built {
                BUILT
            } else if f > 0.15 {
                FOREST
            } else if f > -0.1 {
                GRASS
            } else if f > -0.45 {
                CROP
            } else {
                WATER
            };
        }
    }
    out
}

/// Whether a cell is in the clearing (an ellipse centred at (150, 230), semi-axes 70 × 35
/// cells, rotated 30°, with a ragged edge).
fn in_clearing(seed: u64, r: usize, c: usize) -> bool {
    let (dx, dy) = (c as f64 - 230.0, r as f64 - 150.0);
    let (s, co) = (30f64.to_radians().sin(), 30f64.to_radians().cos());
    let (u, v) = (dx * co + dy * s, -dx * s + dy * co);
    let d = (u / 70.0).powi(2) + (v / 35.0).powi(2);
    d < 1.0 + 0.15 * (unit(seed, 1_000_000 + (r * SIZE + c) as u64) - 0.5)
}

fn in_disc(r: usize, c: usize, cr: f64, cc: f64, radius: f64) -> bool {
    (r as f64 - cr).powi(2) + (c as f64 - cc).powi(2) < radius * radius
}

/// The three bands (B04, B08, SCL) of a date: `later` adds the clearing and the cloud.
pub fn scene(seed: u64, later: bool) -> [Vec<u16>; 3] {
    let lc = landcover(seed);
    let mut red = vec![0u16; SIZE * SIZE];
    let mut nir = vec![0u16; SIZE * SIZE];
    let mut scl = vec![0u16; SIZE * SIZE];
    let date = if later { 2 } else { 1 };
    for r in 0..SIZE {
        for c in 0..SIZE {
            let p = r * SIZE + c;
            let mut class = lc[p];
            let cleared = later && class == FOREST && in_clearing(seed, r, c);
            let (mut ndvi, mut rho) = if cleared {
                class = 0;
                (0.15, 0.120)
            } else {
                class_ndvi_red(class)
            };
            ndvi += 0.06 * (unit(seed, (date * 10_000_000 + p) as u64) - 0.5);
            rho *= 1.0 + 0.1 * (unit(seed, (date * 20_000_000 + p) as u64) - 0.5);
            let mut n = rho * (1.0 + ndvi) / (1.0 - ndvi);
            let mut code = match class {
                WATER => 6,
                BUILT | 0 => 5,
                _ => 4,
            };
            if later && in_disc(r, c, 80.0, 320.0, 28.0) {
                (rho, n, code) = (0.40, 0.45, 9);
            } else if later && in_disc(r, c, 100.0, 345.0, 28.0) {
                (rho, n) = (rho * 0.3, n * 0.3);
                code = 3;
            }
            red[p] = ((rho * 10_000.0).round() as u16).max(1);
            nir[p] = ((n * 10_000.0).round() as u16).max(1);
            scl[p] = code;
        }
    }
    [red, nir, scl]
}

/// Writes `scene-2023-06.tif`, `scene-2024-06.tif` and `landcover-2023.tif` into `dir`.
pub fn write_all(dir: &Path, seed: u64) -> Result<()> {
    let srs = SpatialRef::from_epsg(32633).map_err(gdal_err(dir))?;
    let wkt = srs.to_wkt().map_err(gdal_err(dir))?;
    let gt = [ORIGIN.0, CELL, 0.0, ORIGIN.1, 0.0, -CELL];
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(gdal_err(dir))?;
    let mut opts = RasterCreationOptions::new();
    for (k, v) in [
        ("COMPRESS", "DEFLATE"),
        ("PREDICTOR", "2"),
        ("TILED", "YES"),
    ] {
        opts.set_name_value(k, v).map_err(gdal_err(dir))?;
    }
    for (name, later) in [("scene-2023-06.tif", false), ("scene-2024-06.tif", true)] {
        let path = dir.join(name);
        let bands = scene(seed, later);
        let mut ds = driver
            .create_with_band_type_with_options::<u16, _>(&path, SIZE, SIZE, 3, &opts)
            .map_err(gdal_err(&path))?;
        ds.set_geo_transform(&gt).map_err(gdal_err(&path))?;
        ds.set_projection(&wkt).map_err(gdal_err(&path))?;
        for (i, (data, desc)) in bands.into_iter().zip(["B04", "B08", "SCL"]).enumerate() {
            let mut b = ds.rasterband(i + 1).map_err(gdal_err(&path))?;
            b.set_description(desc).map_err(gdal_err(&path))?;
            b.set_no_data_value(Some(0.0)).map_err(gdal_err(&path))?;
            let mut buf = Buffer::new((SIZE, SIZE), data);
            b.write((0, 0), (SIZE, SIZE), &mut buf)
                .map_err(gdal_err(&path))?;
        }
    }
    let path = dir.join("landcover-2023.tif");
    let mut ds = driver
        .create_with_band_type_with_options::<u8, _>(&path, SIZE, SIZE, 1, &opts)
        .map_err(gdal_err(&path))?;
    ds.set_geo_transform(&gt).map_err(gdal_err(&path))?;
    ds.set_projection(&wkt).map_err(gdal_err(&path))?;
    let mut b = ds.rasterband(1).map_err(gdal_err(&path))?;
    b.set_description("land cover").map_err(gdal_err(&path))?;
    b.set_no_data_value(Some(0.0)).map_err(gdal_err(&path))?;
    let mut buf = Buffer::new((SIZE, SIZE), landcover(seed));
    b.write((0, 0), (SIZE, SIZE), &mut buf)
        .map_err(gdal_err(&path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scene_has_every_class_a_clearing_and_a_cloud() {
        let lc = landcover(0);
        for k in [FOREST, GRASS, CROP, WATER, BUILT] {
            assert!(lc.iter().filter(|&&c| c == k).count() > 500, "class {k}");
        }
        let [_, _, scl] = scene(0, true);
        assert!(scl.iter().filter(|&&c| c == 9).count() > 1000);
        assert!(scl.iter().filter(|&&c| c == 3).count() > 500);
        let [_, _, scl0] = scene(0, false);
        assert!(!scl0.contains(&9));
        assert_eq!(scene(0, true), scene(0, true));
    }
}
