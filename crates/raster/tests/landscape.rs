//! Landscape metrics against pylandstats (tools/reference/landscape_reference.py →
//! fixtures/landscape_reference.json) on the CORINE rasters of
//! ../shared/data/raster/pylandstats, and the same results for any strip height.

use std::path::Path;

use serde_json::Value;
use terrawatt_raster::landscape::{self, Metrics, Nodata, Report, Settings};
use terrawatt_raster::read::BandSel;
use terrawatt_raster::sieve::Connectivity;

#[path = "../../meter/tests/common.rs"]
mod common;

fn fixture() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/landscape_reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn settings(
    input: &Path,
    conn: Connectivity,
    depth: usize,
    boundary: bool,
    memory: u64,
) -> Settings {
    Settings {
        input: input.to_path_buf(),
        band: BandSel::Index(1),
        nodata: Nodata::Band,
        connectivity: conn,
        edge_depth: depth,
        count_boundary: boundary,
        memory,
        max_classes: terrawatt_raster::landscape::MOST_CLASSES,
    }
}

fn run(s: &Settings) -> Report {
    landscape::run(s, &|_, _| {}).unwrap()
}

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-9 * want.abs().max(1e-12);
    assert!(
        (got - want).abs() <= tol,
        "{what}: terrawatt {got} vs pylandstats {want}"
    );
}

fn check(m: &Metrics, want: &Value, depth: usize, boundary: bool, what: &str) {
    let f = |k: &str| want[k].as_f64().unwrap_or_else(|| panic!("{what}: no {k}"));
    close(m.total_area, f("total_area"), &format!("{what} total_area"));
    assert_eq!(
        m.number_of_patches as f64,
        f("number_of_patches"),
        "{what} NP"
    );
    close(m.patch_density, f("patch_density"), &format!("{what} PD"));
    close(
        m.largest_patch_index,
        f("largest_patch_index"),
        &format!("{what} LPI"),
    );
    close(m.area_mn, f("area_mn"), &format!("{what} AREA_MN"));
    close(
        m.effective_mesh_size,
        f("effective_mesh_size"),
        &format!("{what} MESH"),
    );
    let b = if boundary { "true" } else { "false" };
    close(
        m.total_edge,
        f(&format!("total_edge_boundary_{b}")),
        &format!("{what} TE"),
    );
    close(
        m.edge_density,
        f(&format!("edge_density_boundary_{b}")),
        &format!("{what} ED"),
    );
    close(
        m.total_core_area,
        f(&format!("total_core_area_depth_{depth}")),
        &format!("{what} TCA"),
    );
    if let Some(p) = m.proportion_of_landscape {
        close(p, f("proportion_of_landscape"), &format!("{what} PLAND"));
    }
    if let Some(h) = m.shannon_diversity_index {
        close(h, f("shannon_diversity_index"), &format!("{what} SHDI"));
        close(
            m.shannon_evenness_index.unwrap(),
            f("shannon_evenness_index"),
            &format!("{what} SHEI"),
        );
    }
}

#[test]
fn metrics_equal_pylandstats() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let fx = fixture();
    let runs = fx["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    for r in runs {
        let file = r["file"].as_str().unwrap();
        let conn = match r["connectivity"].as_u64().unwrap() {
            4 => Connectivity::Four,
            _ => Connectivity::Eight,
        };
        let path = data.join("pylandstats").join(file);
        for depth in [1, 2] {
            for boundary in [false, true] {
                let rep = run(&settings(&path, conn, depth, boundary, 1 << 30));
                let what = format!("{file} {conn:?} depth {depth} boundary {boundary}");
                let classes = r["classes"].as_object().unwrap();
                assert_eq!(rep.classes.len(), classes.len(), "{what}: classes");
                for m in &rep.classes {
                    let c = m.class.unwrap().to_string();
                    check(
                        m,
                        &classes[&c],
                        depth,
                        boundary,
                        &format!("{what} class {c}"),
                    );
                }
                check(
                    &rep.landscape,
                    &r["landscape"],
                    depth,
                    boundary,
                    &format!("{what} landscape"),
                );
            }
        }
    }
}

#[test]
fn strips_of_any_height_give_the_whole_raster_result() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let path = data.join("pylandstats/ls250_12.tif");
    for conn in [Connectivity::Four, Connectivity::Eight] {
        let whole = run(&settings(&path, conn, 1, true, 1 << 30));
        // 130 rows: 1 GB holds them in one strip; 60 kB gives strips of a few rows
        for memory in [60_000, 200_000] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap();
            let part = pool.install(|| run(&settings(&path, conn, 1, true, memory)));
            assert_eq!(part.classes, whole.classes, "{conn:?} at {memory} bytes");
            assert_eq!(part.landscape, whole.landscape);
        }
    }
}

#[test]
fn bad_inputs_are_refused() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    // float values
    let float = data.join("rasterio/float_raster_with_nodata.tif");
    let e = landscape::run(
        &settings(&float, Connectivity::Eight, 0, false, 1 << 30),
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("integer class values") && e.contains("float_raster_with_nodata.tif"),
        "{e}"
    );
    // degrees
    let geo = data.join("mapme/W080N20_LC100_v3.0.1_2015.tif");
    let e = landscape::run(
        &settings(&geo, Connectivity::Eight, 0, false, 1 << 30),
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("geographic"), "{e}");
    // missing file
    let e = landscape::run(
        &settings(
            &data.join("pylandstats/nope.tif"),
            Connectivity::Eight,
            0,
            false,
            1 << 30,
        ),
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("nope.tif"), "{e}");
}

/// A class map of 200 × 150 cells whose classes (1–3 in bands) fill an ellipse and
/// `outside` the rest, written with `nodata` declared or not, tiled 64 × 64 or striped.
fn ellipse_map(path: &Path, outside: u8, nodata: Option<f64>, tiled: bool) {
    let (w, h) = (200usize, 150usize);
    let drv = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut options = gdal::raster::RasterCreationOptions::new();
    if tiled {
        for (k, v) in [("TILED", "YES"), ("BLOCKXSIZE", "64"), ("BLOCKYSIZE", "64")] {
            options.set_name_value(k, v).unwrap();
        }
    }
    let mut ds = drv
        .create_with_band_type_with_options::<u8, _>(path, w, h, 1, &options)
        .unwrap();
    ds.set_geo_transform(&[600_000.0, 30.0, 0.0, 5_000_000.0, 0.0, -30.0])
        .unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(32631).unwrap())
        .unwrap();
    let mut b = ds.rasterband(1).unwrap();
    if let Some(v) = nodata {
        b.set_no_data_value(Some(v)).unwrap();
    }
    let v: Vec<u8> = (0..w * h)
        .map(|p| {
            let (r, c) = ((p / w) as f64, (p % w) as f64);
            let (x, y) = ((c - 99.5) / 100.0, (r - 74.5) / 75.0);
            if x * x + y * y <= 0.95 {
                1 + (p % w / 70) as u8
            } else {
                outside
            }
        })
        .collect();
    let mut buf = gdal::raster::Buffer::new((w, h), v);
    b.write((0, 0), (w, h), &mut buf).unwrap();
}

#[test]
fn a_fill_that_surrounds_an_undeclared_map_is_its_frame() {
    let dir = tempfile::tempdir().unwrap();
    let frame = |outside: u8, nodata: Option<f64>, tiled: bool| {
        let p = dir.path().join(format!("m{outside}{nodata:?}{tiled}.tif"));
        ellipse_map(&p, outside, nodata, tiled);
        let mut s = settings(&p, Connectivity::Eight, 1, false, 64 << 20);
        s.max_classes = 256;
        run(&s).frame
    };
    // the ellipse touches each side only near its middle: the fill holds the corners and
    // nearly every edge cell, striped or tiled
    for tiled in [false, true] {
        let f = frame(0, None, tiled).expect("a frame of 0");
        assert_eq!(f.code, 0);
        assert!(f.edge_share > 0.9, "{}", f.edge_share);
        assert_eq!(frame(255, None, tiled).map(|f| f.code), Some(255));
    }
    // declared, or an ordinary class code: no frame
    assert_eq!(frame(0, Some(0.0), false), None);
    assert_eq!(frame(7, None, false), None);
}
