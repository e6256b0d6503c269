//! The OSCD Norcia Sentinel-2 pair (../shared/data/raster/oscd_norcia) as the tiled-run
//! tests use it, and rasters read back as bits.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The file of band `name` (B04, B08, B12, …) of date 1 or 2.
pub fn band(data: &Path, date: usize, name: &str) -> String {
    let mut f: Vec<PathBuf> = std::fs::read_dir(data.join(format!("imgs_{date}")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(&format!("_{name}.tif")))
        .collect();
    f.sort();
    f.remove(0).display().to_string()
}

/// NDVI change of the 10 m bands, the threshold left to the caller.
pub fn ndvi_bands(data: &Path) -> Vec<String> {
    vec![
        "--index".into(),
        "ndvi".into(),
        "--before-red".into(),
        band(data, 1, "B04"),
        "--before-nir".into(),
        band(data, 1, "B08"),
        "--after-red".into(),
        band(data, 2, "B04"),
        "--after-nir".into(),
        band(data, 2, "B08"),
    ]
}

/// NDVI change of the 10 m bands with a fixed threshold.
pub fn ndvi_args(data: &Path) -> Vec<String> {
    let mut a = ndvi_bands(data);
    a.extend(["--threshold".into(), "-0.1".into()]);
    a
}

/// Every band's values as bits (NaN-exact).
pub fn bands(p: &Path) -> Vec<Vec<u64>> {
    let ds = gdal::Dataset::open(p).unwrap();
    let (w, h) = ds.raster_size();
    (1..=ds.raster_count())
        .map(|i| {
            let v = ds
                .rasterband(i)
                .unwrap()
                .read_as::<f64>((0, 0), (w, h), (w, h), None)
                .unwrap();
            v.data().iter().map(|x| x.to_bits()).collect()
        })
        .collect()
}
