//! The Linke turbidity climatology: a 1/12° global grid of twelve monthly values stored as
//! 20 × TL in unsigned bytes (`LinkeTurbidities.h5`, dataset `LinkeTurbidity`). GDAL's HDF5
//! driver sees the 2160 × 4320 × 12 array as 2160 bands (latitude, 90° N first) of 4320 rows
//! (longitude, 180° W first) × 12 columns (month).

use std::path::Path;

use gdal::Dataset;

use crate::RasterError;

/// Index of the cell whose centre is nearest a coordinate, on a grid of `cells` cells over
/// [from, to] (ties to the even index, as numpy rounds).
fn index(value: f64, from: f64, to: f64, cells: usize) -> usize {
    let x = (value - from) / (to - from) * cells as f64 - 0.5;
    (x.round_ties_even() as i64).clamp(0, cells as i64 - 1) as usize
}

/// The twelve monthly Linke turbidities at a site (nearest grid cell, as pvlib takes it).
pub fn monthly(path: &Path, latitude: f64, longitude: f64) -> Result<[f64; 12], RasterError> {
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Err(RasterError::Invalid(format!(
            "latitude {latitude} or longitude {longitude} is out of range"
        )));
    }
    let err = |message: String| RasterError::Input {
        path: path.display().to_string(),
        message,
    };
    let ds = Dataset::open(path).map_err(|e| err(format!("GDAL cannot open it: {e}")))?;
    let bands = ds.raster_count();
    let (cols, rows) = ds.raster_size();
    if bands != 2160 || rows != 4320 || cols != 12 {
        return Err(err(format!(
            "expected 2160 bands of 4320 × 12 (the Linke climatology), found {bands} bands of {rows} × {cols}"
        )));
    }
    let lat_i = index(latitude, 90.0, -90.0, 2160);
    let lon_i = index(longitude, -180.0, 180.0, 4320);
    let band = ds
        .rasterband(lat_i + 1)
        .map_err(|e| err(format!("band {}: {e}", lat_i + 1)))?;
    let buf = band
        .read_as::<u8>((0, lon_i as isize), (12, 1), (12, 1), None)
        .map_err(|e| err(format!("reading band {} row {lon_i}: {e}", lat_i + 1)))?;
    let data = buf.data();
    let mut out = [0.0; 12];
    for (m, v) in data.iter().enumerate().take(12) {
        out[m] = *v as f64 / 20.0;
    }
    Ok(out)
}
