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
