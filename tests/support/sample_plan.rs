//! A planned run of the bundled sample scenes, shared by the integration tests that need a
//! real plan: `raster change` (NDVI) in four 200-pixel tiles.

use std::path::{Path, PathBuf};
use std::process::Output;

/// notebooks-data.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data")
}

/// Plans the sample change in four tiles into `run` (which must succeed).
pub fn plan_sample_change(run: &Path) -> Output {
    let scene = |n: &str| samples().join(n).to_str().unwrap().to_string();
    let o = super::command()
        .args([
            "plan",
            "raster",
            "change",
            "--tile-size",
            "200px",
            "--out",
            run.to_str().unwrap(),
            "--before",
            &scene("scene-2023-06.tif"),
            "--after",
            &scene("scene-2024-06.tif"),
            "--bands",
            "red=B04",
            "--bands",
            "nir=B08",
            "--index",
            "ndvi",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Runs one task of the plan in `run` here (which must succeed).
pub fn run_task(run: &Path, id: usize) {
    let o = super::command()
        .args([
            "run-task",
            "--manifest",
            run.join("manifest.parquet").to_str().unwrap(),
            "--task-id",
            &id.to_string(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
