//! Helpers shared by the raster tests (`change.rs`, `change_methods.rs`, `series.rs`,
//! `zones.rs`).
#![allow(dead_code)]

use std::path::Path;

use terrawatt_raster::change::{self, DateInputs, Method};
use terrawatt_raster::read::BandSpec;
use terrawatt_raster::write::{Compression, Format, OutputSpec};

/// A DEFLATE GeoTIFF `name` in `dir`.
pub fn gtiff(dir: &Path, name: &str) -> OutputSpec {
    OutputSpec {
        path: dir.join(name),
        format: Format::GTiff,
        compression: Compression::Deflate,
        level: None,
    }
}

/// Change of `before` and `after` by `method`, unmasked: after − before, an Otsu threshold
/// of 256 bins, change below it, the default checks, no minimum mapping unit, written to
/// `dir/change.tif`.
pub fn settings(
    before: Vec<BandSpec>,
    after: Vec<BandSpec>,
    method: Method,
    dir: &Path,
) -> change::Settings {
    change::Settings::new(
        DateInputs {
            bands: before,
            mask: None,
        },
        DateInputs {
            bands: after,
            mask: None,
        },
        method,
        gtiff(dir, "change.tif"),
        dir.to_path_buf(),
    )
}

/// A square int16 GeoTIFF of `side` cells of 10 m in UTM 33N (top-left 500,000 m E,
/// 5,000,000 m N), nodata −32,768, the values row by row, with a scale tag where given.
pub fn int16_utm(path: &Path, side: usize, values: Vec<i16>, scale: Option<f64>) {
    let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<i16, _>(path, side, side, 1)
        .unwrap();
    ds.set_geo_transform(&[500_000.0, 10.0, 0.0, 5_000_000.0, 0.0, -10.0])
        .unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(32633).unwrap())
        .unwrap();
    let mut b = ds.rasterband(1).unwrap();
    b.set_no_data_value(Some(-32768.0)).unwrap();
    if let Some(s) = scale {
        b.set_scale(s).unwrap();
    }
    let mut buf = gdal::raster::Buffer::new((side, side), values);
    b.write((0, 0), (side, side), &mut buf).unwrap();
}
