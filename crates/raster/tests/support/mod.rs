//! Helpers shared by the change tests (`change.rs`, `change_methods.rs`).
#![allow(dead_code)]

use std::path::Path;

use terrawatt_raster::change::{self, DateInputs, Difference, Direction, Method, Threshold};
use terrawatt_raster::grid::AreaMethod;
use terrawatt_raster::mask::NodataRule;
use terrawatt_raster::read::{BandSpec, Resampling};
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
    change::Settings {
        before: DateInputs {
            bands: before,
            mask: None,
        },
        after: DateInputs {
            bands: after,
            mask: None,
        },
        method,
        difference: Difference::AfterMinusBefore,
        relative: false,
        threshold: Threshold::Otsu { bins: 256 },
        direction: Direction::Below,
        nodata: NodataRule::Any,
        mask_buffer: 0,
        mmu: None,
        normalize: change::Normalize::None,
        checks: change::Checks::default(),
        resampling: Resampling::Nearest,
        align: None,
        grid: None,
        area: AreaMethod::Ellipsoid,
        memory: 1 << 30,
        out: gtiff(dir, "change.tif"),
        classes_out: None,
        tmp: dir.to_path_buf(),
        defer_classes: false,
    }
}
