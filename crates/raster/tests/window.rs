//! Moving-window landscape metrics on the pylandstats CORINE rasters (ls250_06, ls250_12),
//! windows of 5 and 9 cells, against pylandstats 3.1 on the clipped window arrays at 40
//! centres per file and window (corners, borders, cells that change between the dates,
//! seeded draws): fixtures/landscape_window_reference.json, made by
//! tools/reference/landscape_window_reference.py: SHDI, SHEI, TE, ED, PLAND, richness, and
//! the patch metrics NP (8- and 4-connected), PD, LPI, AREA_MN, MESH. The rasters store
//! float32: values are compared to float32 precision (1e-6 relative).

use std::path::Path;

use gdal::Dataset;
use serde_json::Value;
use terrawatt_raster::landscape::Nodata;
use terrawatt_raster::read::BandSel;
use terrawatt_raster::sieve::Connectivity;
use terrawatt_raster::window::{self, Metric, Settings};
use terrawatt_raster::write::{Compression, Format, OutputSpec};

#[path = "../../meter/tests/common.rs"]
mod common;

fn read(p: &Path) -> (usize, Vec<f32>) {
    let ds = Dataset::open(p).unwrap();
    let (w, h) = ds.raster_size();
    let b = ds.rasterband(1).unwrap();
    (
        w,
        b.read_as::<f32>((0, 0), (w, h), (w, h), None)
            .unwrap()
            .data()
            .to_vec(),
    )
}

fn settings(
    input: &Path,
    k: usize,
    cell: f64,
    metrics: &[Metric],
    dir: &Path,
    memory: u64,
) -> Settings {
    Settings {
        input: input.to_path_buf(),
        band: BandSel::Index(1),
        nodata: Nodata::Band,
        connectivity: Connectivity::Eight,
        window_m: k as f64 * cell,
        metrics: metrics.to_vec(),
        outputs: metrics
            .iter()
            .map(|m| OutputSpec {
                path: dir.join(format!("{}.tif", m.name())),
                format: Format::GTiff,
                compression: Compression::Deflate,
                level: None,
            })
            .collect(),
        memory,
    }
}

fn close(what: &str, ours: f32, theirs: f64) {
    let tol = 1e-6 * theirs.abs().max(1.0);
    assert!(
        (f64::from(ours) - theirs).abs() <= tol,
        "{what}: {ours} vs {theirs}"
    );
}

#[test]
fn moving_windows_equal_pylandstats_on_clipped_windows() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let fx: Value =
        serde_json::from_str(include_str!("fixtures/landscape_window_reference.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for (file, f) in fx["files"].as_object().unwrap() {
        let input = data.join("pylandstats").join(file);
        let cell = f["cell"][0].as_f64().unwrap();
        for (k, windows) in f["windows"].as_object().unwrap() {
            let k: usize = k.parse().unwrap();
            let windows = windows.as_array().unwrap();
            // every class that appears in a sampled window
            let mut classes: Vec<i64> = windows
                .iter()
                .flat_map(|w| {
                    w["pland"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(|c| c.parse().unwrap())
                })
                .collect();
            classes.sort();
            classes.dedup();
            let mut metrics = vec![
                Metric::Shdi,
                Metric::Shei,
                Metric::Te,
                Metric::Ed,
                Metric::Richness,
            ];
            metrics.extend(classes.iter().map(|&c| Metric::Pland(c)));
            let out = dir.path().join(format!("{file}-{k}"));
            std::fs::create_dir_all(&out).unwrap();
            let rep = window::run(
                &settings(&input, k, cell, &metrics, &out, 1 << 30),
                &|_, _| {},
            )
            .unwrap();
            assert_eq!(rep.window_cells, (k, k));
            let layers: Vec<(usize, Vec<f32>)> = metrics
                .iter()
                .map(|m| read(&out.join(format!("{}.tif", m.name()))))
                .collect();
            for w in windows {
                let (r, c) = (
                    w["row"].as_u64().unwrap() as usize,
                    w["col"].as_u64().unwrap() as usize,
                );
                let at = |m: usize| layers[m].1[r * layers[m].0 + c];
                let what = format!("{file} k={k} ({r}, {c})");
                if w["centre_nodata"].as_bool().unwrap() {
                    assert!(at(0).is_nan(), "{what}: a nodata centre has no value");
                    continue;
                }
                close(&format!("{what} shdi"), at(0), w["shdi"].as_f64().unwrap());
                close(&format!("{what} shei"), at(1), w["shei"].as_f64().unwrap());
                close(
                    &format!("{what} te"),
                    at(2),
                    w["total_edge"].as_f64().unwrap(),
                );
                close(
                    &format!("{what} ed"),
                    at(3),
                    w["edge_density"].as_f64().unwrap(),
                );
                let pland = w["pland"].as_object().unwrap();
                assert_eq!(at(4) as usize, pland.len(), "{what} richness");
                for (i, class) in classes.iter().enumerate() {
                    let p = pland
                        .get(&class.to_string())
                        .map_or(0.0, |v| v.as_f64().unwrap());
                    close(&format!("{what} pland {class}"), at(5 + i), p);
                }
                compared += 1;
            }
        }
    }
    assert!(compared >= 100, "{compared}");
}

#[test]
fn strips_and_threads_do_not_change_moving_windows() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let input = data.join("pylandstats/ls250_12.tif");
    let dir = tempfile::tempdir().unwrap();
    let metrics = [Metric::Shdi, Metric::Ed, Metric::Pland(12), Metric::Mesh];
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    window::run(
        &settings(&input, 9, 250.0, &metrics, &a, 1 << 30),
        &|_, _| {},
    )
    .unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    // a budget of a few rows per strip: strips shorter than the window's halo
    pool.install(|| {
        window::run(
            &settings(&input, 9, 250.0, &metrics, &b, 400_000),
            &|_, _| {},
        )
    })
    .unwrap();
    for m in &metrics {
        let (_, x) = read(&a.join(format!("{}.tif", m.name())));
        let (_, y) = read(&b.join(format!("{}.tif", m.name())));
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(&y) {
            assert!(p.to_bits() == q.to_bits(), "{}: {p} vs {q}", m.name());
        }
    }
}
