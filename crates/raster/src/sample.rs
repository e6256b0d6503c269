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
//! - Hansen-like forest layers on the same grid: `treecover-2000.tif` (canopy %, Byte:
//!   forest 55–95, grassland 5–25, cropland 0–10, built-up 0–5, water 0) and `lossyear.tif`
//!   (Byte, 0 no loss, v = loss in 2000 + v, nodata 255): the clearing is lost in 2024 (24)
//!   and eight seeded small clearings (centred on forest in the reserve's part of the grid)
//!   in years 2003–2022; and `zones.gpkg`, two
//!   polygons in EPSG:4326 (so they are reprojected): a reserve (a 14-sided polygon around
//!   the clearing, with a hole) and a corridor (a rectangle), with `name` and `iucn`.

use std::path::Path;

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::{DriverManager, Metadata};

use crate::{Result, gdal_err};

/// A date of the sample as a change task reads it: `B04` (band 1) the red, `B08` (band 2)
/// the near infrared.
pub fn scene_bands(path: &Path) -> crate::task::BandSource {
    let role = |role: &str, n: usize| crate::task::RoleBand {
        role: role.into(),
        band: crate::read::BandSel::Index(n),
    };
    crate::task::BandSource {
        file: Some(path.to_path_buf()),
        roles: vec![role("red", 1), role("nir", 2)],
        files: Vec::new(),
    }
}

/// A date's cloud mask: its `SCL` band (3), with Sentinel-2's default classes masked.
pub fn scene_mask(path: &Path) -> Option<(crate::read::BandRef, crate::mask::MaskKind)> {
    let band = crate::read::BandRef {
        path: path.to_path_buf(),
        band: crate::read::BandSel::Index(3),
    };
    Some((band, crate::mask::MaskKind::scl_default()))
}

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

/// Canopy cover in 2000 (%), from the land cover with seeded noise.
pub fn treecover(seed: u64) -> Vec<u8> {
    let lc = landcover(seed);
    lc.iter()
        .enumerate()
        .map(|(p, &class)| {
            let u = unit(seed, 30_000_000 + p as u64);
            let (lo, hi) = match class {
                FOREST => (55.0, 95.0),
                GRASS => (5.0, 25.0),
                CROP => (0.0, 10.0),
                BUILT => (0.0, 5.0),
                _ => (0.0, 0.0),
            };
            (lo + (hi - lo) * u).round() as u8
        })
        .collect()
}

/// The seeded small clearings: (row, column, radius, loss-year value), centred on forest
/// cells of the reserve's part of the grid outside the large clearing.
fn small_clearings(seed: u64) -> Vec<(f64, f64, f64, u8)> {
    let lc = landcover(seed);
    let forest: Vec<(usize, usize)> = (60..260)
        .flat_map(|r| (140..340).map(move |c| (r, c)))
        .filter(|&(r, c)| lc[r * SIZE + c] == FOREST && !in_clearing(seed, r, c))
        .collect();
    if forest.is_empty() {
        return vec![];
    }
    (0..8)
        .map(|k| {
            let i = (forest.len() as f64 * unit(seed, 40_000_000 + 4 * k)) as usize;
            let (r, c) = forest[i.min(forest.len() - 1)];
            let radius = 3.0 + 7.0 * unit(seed, 40_000_002 + 4 * k);
            let year = 3 + (20.0 * unit(seed, 40_000_003 + 4 * k)) as u8;
            (r as f64, c as f64, radius, year)
        })
        .collect()
}

/// Loss years (0 none, v = 2000 + v) of the forest: the clearing in 2024, and the small
/// clearings.
pub fn lossyear(seed: u64) -> Vec<u8> {
    let lc = landcover(seed);
    let small = small_clearings(seed);
    let mut out = vec![0u8; SIZE * SIZE];
    for r in 0..SIZE {
        for c in 0..SIZE {
            let p = r * SIZE + c;
            if lc[p] != FOREST {
                continue;
            }
            if in_clearing(seed, r, c) {
                out[p] = 24;
            } else if let Some(&(_, _, _, y)) = small
                .iter()
                .find(|&&(cr, cc, rad, _)| in_disc(r, c, cr, cc, rad))
            {
                out[p] = y;
            }
        }
    }
    out
}

/// The zones' rings in the grid's CRS (x, y): the reserve (outer ring, hole) and the
/// corridor.
type Rings = Vec<Vec<(f64, f64)>>;

fn zone_rings() -> Vec<(&'static str, &'static str, Rings)> {
    let at = |r: f64, c: f64| (ORIGIN.0 + c * CELL, ORIGIN.1 - r * CELL);
    let ring = |cr: f64, cc: f64, radius: f64, n: usize| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let t = std::f64::consts::TAU * k as f64 / n as f64;
                let rad = radius * (1.0 + 0.12 * (3.0 * t).sin());
                at(cr + rad * t.sin(), cc + rad * t.cos())
            })
            .collect();
        v.push(v[0]);
        v
    };
    let mut hole = ring(210.0, 300.0, 18.0, 8);
    hole.reverse();
    let corridor = vec![
        at(300.0, 20.0),
        at(300.0, 200.0),
        at(360.0, 200.0),
        at(360.0, 20.0),
        at(300.0, 20.0),
    ];
    vec![
        ("reserve", "II", vec![ring(160.0, 240.0, 120.0, 14), hole]),
        ("corridor", "VI", vec![corridor]),
    ]
}

/// Writes `zones.gpkg` (EPSG:4326).
fn write_zones(path: &Path) -> Result<()> {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform};
    use gdal::vector::{Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};
    let e = gdal_err(path);
    let mut utm = SpatialRef::from_epsg(32633).map_err(&e)?;
    let mut geo = SpatialRef::from_epsg(4326).map_err(&e)?;
    utm.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    geo.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let ct = CoordTransform::new(&utm, &geo).map_err(&e)?;
    let _ = std::fs::remove_file(path);
    // a fixed timestamp in the GeoPackage's tables, so the file is the same on every run
    let _ = gdal::config::set_config_option("OGR_CURRENT_DATE", "2024-06-01T00:00:00.000Z");
    let driver = DriverManager::get_driver_by_name("GPKG").map_err(&e)?;
    let mut ds = driver.create_vector_only(path).map_err(&e)?;
    let lyr = ds
        .create_layer(LayerOptions {
            name: "zones",
            srs: Some(&geo),
            ty: OGRwkbGeometryType::wkbPolygon,
            options: None,
        })
        .map_err(&e)?;
    lyr.create_defn_fields(&[
        ("name", OGRFieldType::OFTString),
        ("iucn", OGRFieldType::OFTString),
    ])
    .map_err(&e)?;
    for (name, iucn, rings) in zone_rings() {
        let mut poly = Geometry::empty(OGRwkbGeometryType::wkbPolygon).map_err(&e)?;
        for r in rings {
            let mut lr = Geometry::empty(OGRwkbGeometryType::wkbLinearRing).map_err(&e)?;
            for (x, y) in r {
                lr.add_point_2d((x, y));
            }
            poly.add_geometry(lr).map_err(&e)?;
        }
        let poly = poly.transform(&ct).map_err(&e)?;
        let mut f = gdal::vector::Feature::new(lyr.defn()).map_err(&e)?;
        f.set_geometry(poly).map_err(&e)?;
        f.set_field_string(0, name).map_err(&e)?;
        f.set_field_string(1, iucn).map_err(&e)?;
        f.create(&lyr).map_err(&e)?;
    }
    Ok(())
}

/// The GTiff driver and the creation options of the sample files: DEFLATE with the
/// horizontal predictor, tiled, then `extra`. Errors name `dir`.
pub(crate) fn gtiff(
    dir: &Path,
    extra: &[(&str, &str)],
) -> Result<(gdal::Driver, RasterCreationOptions)> {
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(gdal_err(dir))?;
    let mut opts = RasterCreationOptions::new();
    for (k, v) in [
        ("COMPRESS", "DEFLATE"),
        ("PREDICTOR", "2"),
        ("TILED", "YES"),
    ]
    .iter()
    .chain(extra)
    {
        opts.set_name_value(k, v).map_err(gdal_err(dir))?;
    }
    Ok((driver, opts))
}

/// Writes `scene-2023-06.tif`, `scene-2024-06.tif`, `landcover-2023.tif`,
/// `treecover-2000.tif`, `lossyear.tif` and `zones.gpkg` into `dir`.
pub fn write_all(dir: &Path, seed: u64) -> Result<()> {
    let srs = SpatialRef::from_epsg(32633).map_err(gdal_err(dir))?;
    let wkt = srs.to_wkt().map_err(gdal_err(dir))?;
    let gt = [ORIGIN.0, CELL, 0.0, ORIGIN.1, 0.0, -CELL];
    let (driver, opts) = gtiff(dir, &[])?;
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
    for (name, desc, data, nodata) in [
        (
            "landcover-2023.tif",
            "land cover",
            landcover(seed),
            Some(0.0),
        ),
        (
            "treecover-2000.tif",
            "tree cover 2000 (%)",
            treecover(seed),
            None,
        ),
        (
            "lossyear.tif",
            "loss year (2000 + v)",
            lossyear(seed),
            Some(255.0),
        ),
    ] {
        let path = dir.join(name);
        let mut ds = driver
            .create_with_band_type_with_options::<u8, _>(&path, SIZE, SIZE, 1, &opts)
            .map_err(gdal_err(&path))?;
        ds.set_geo_transform(&gt).map_err(gdal_err(&path))?;
        ds.set_projection(&wkt).map_err(gdal_err(&path))?;
        let mut b = ds.rasterband(1).map_err(gdal_err(&path))?;
        b.set_description(desc).map_err(gdal_err(&path))?;
        if nodata.is_some() {
            // (set only when there is one: clearing it makes GDAL write a .aux.xml)
            b.set_no_data_value(nodata).map_err(gdal_err(&path))?;
        }
        let mut buf = Buffer::new((SIZE, SIZE), data);
        b.write((0, 0), (SIZE, SIZE), &mut buf)
            .map_err(gdal_err(&path))?;
    }
    write_zones(&dir.join("zones.gpkg"))
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
