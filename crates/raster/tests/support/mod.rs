//! Helpers shared by the change tests (`change.rs`, `change_methods.rs`).
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
