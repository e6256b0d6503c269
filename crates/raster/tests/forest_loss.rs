//! Forest area, loss and emissions per polygon and year on the Hansen GFC-2023 tiles and the
//! GFW gross-emissions layer of ../shared/data/raster/mapme, with gfw_sample.gpkg and
//! sierra_de_neiba_478140.gpkg, against mapme.biodiversity's rules reproduced in numpy + GDAL
//! (+ exactextract's coverage fractions): fixtures/forest_loss_reference.json, made by
//! tools/reference/forest_loss_reference.py, whose mapme variant reproduces mapme's own test
//! snapshot. Three parameter sets (cover > 30 % / 1 ha patches; > 10 % / no filter; > 50 % /
//! 5 ha), exact coverage and cell-centre rules, sphere and ellipsoid cell areas.

use std::path::Path;

use serde_json::Value;
use terrawatt_raster::forest_loss::{self, Settings};
use terrawatt_raster::grid::AreaMethod;
use terrawatt_raster::zonal::{Rule, ZoneSource};

#[path = "../../meter/tests/common.rs"]
mod common;

fn settings(dir: &Path, polygon: &str, case: &Value) -> Settings {
    let variant = case["variant"].as_str().unwrap();
    Settings {
        treecover: dir.join("Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif"),
        lossyear: dir.join("Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif"),
        emissions: Some(dir.join("gfw_forest_carbon_gross_emissions_Mg_CO2e_px_20N_080W.tif")),
        zones: ZoneSource::new(dir.join(format!("{polygon}.gpkg"))),
        min_cover: case["min_cover"].as_f64().unwrap(),
        min_patch_m2: case["min_size_ha"].as_f64().unwrap() * 1e4,
        years: (2000, 2023),
        rule: if variant.starts_with("cell_centre") {
            Rule::Centre
        } else {
            Rule::Exact
        },
        area: if variant.ends_with("ellipsoid_area") {
            AreaMethod::Ellipsoid
        } else {
            AreaMethod::Sphere
        },
        memory: 1 << 30,
    }
}

fn close(what: &str, ours: f64, theirs: f64, tol: f64) {
    assert!(
        (ours - theirs).abs() <= tol,
        "{what}: {ours} vs {theirs} (diff {:e})",
        ours - theirs
    );
}

#[test]
fn forest_loss_follows_mapme() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = data.join("mapme");
    let fx: Value =
        serde_json::from_str(include_str!("fixtures/forest_loss_reference.json")).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 24);
    for case in cases {
        let polygon = case["polygon"].as_str().unwrap();
        let what = format!(
            "{polygon} cover>{} min {} ha {}",
            case["min_cover"], case["min_size_ha"], case["variant"]
        );
        let rep = forest_loss::run(&settings(&dir, polygon, case), &|_, _| {}).unwrap();
        let z = &rep.results[0];
        let st = &case["stats"];
        assert_eq!(z.patches, st["patches"].as_u64().unwrap(), "{what} patches");
        assert_eq!(
            z.patches_kept,
            st["patches_kept"].as_u64().unwrap(),
            "{what} kept"
        );
        let forest = case["treecover_ha"].as_array().unwrap();
        let loss = case["loss_ha"].as_array().unwrap();
        let emis = case["emissions_mg_co2e"].as_array().unwrap();
        // areas: 1e-9 of the 2000 forest (the reference's coverage fractions are float32)
        let scale = forest[0].as_f64().unwrap();
        for (i, y) in z.years.iter().enumerate() {
            assert_eq!(y.year, 2000 + i as i32);
            close(
                &format!("{what} forest {}", y.year),
                y.forest_ha,
                forest[i].as_f64().unwrap(),
                1e-9 * scale,
            );
            close(
                &format!("{what} loss {}", y.year),
                y.loss_ha,
                loss[i].as_f64().unwrap(),
                1e-9 * scale,
            );
            let e = emis[i].as_f64().unwrap();
            close(
                &format!("{what} emissions {}", y.year),
                y.emissions_mg.unwrap(),
                e,
                1e-9 * e.abs().max(1.0),
            );
        }
    }
}

#[test]
fn mapme_snapshot() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = data.join("mapme");
    let fx: Value =
        serde_json::from_str(include_str!("fixtures/forest_loss_reference.json")).unwrap();
    let v = &fx["validation"];
    assert!(v.is_object(), "{v}");
    // mapme's own test snapshot (calc_treecover_area / calc_treecoverloss_emissions on
    // gfw_sample, cover > 10 %, patches > 1 ha, 2000–2005), to its printed digits
    let case = serde_json::json!({
        "variant": "mapme", "min_cover": 10.0, "min_size_ha": 1.0
    });
    let rep = forest_loss::run(&settings(&dir, "gfw_sample", &case), &|_, _| {}).unwrap();
    let snap = &v["mapme_snapshot"];
    for (i, (t, e)) in snap["treecover_ha"]
        .as_array()
        .unwrap()
        .iter()
        .zip(snap["emissions_mg_co2e"].as_array().unwrap())
        .enumerate()
    {
        let y = &rep.results[0].years[i];
        let (t, e) = (t.as_f64().unwrap(), e.as_f64().unwrap());
        // printed to 4 decimals
        assert!(
            (y.forest_ha - t).abs() <= 5.1e-5,
            "{}: {} vs {t}",
            y.year,
            y.forest_ha
        );
        assert!(
            (y.emissions_mg.unwrap() - e).abs() <= 5.1e-5,
            "{}: {:?} vs {e}",
            y.year,
            y.emissions_mg
        );
    }
}

#[test]
fn strips_and_threads_do_not_change_forest_loss() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = data.join("mapme");
    let case = serde_json::json!({"variant": "mapme", "min_cover": 30.0, "min_size_ha": 1.0});
    let whole =
        forest_loss::run(&settings(&dir, "sierra_de_neiba_478140", &case), &|_, _| {}).unwrap();
    let mut s = settings(&dir, "sierra_de_neiba_478140", &case);
    s.memory = 300_000; // strips of a few rows
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let strips = pool.install(|| forest_loss::run(&s, &|_, _| {})).unwrap();
    assert_eq!(
        serde_json::to_string(&whole.results).unwrap(),
        serde_json::to_string(&strips.results).unwrap()
    );
    assert!(whole.results[0].patches > 10);
}

/// Hansen's canopy cover turned into a forest mask (1 where cover > 30 %), given as the
/// tree cover: 0 ha of forest for 1,996 ha, since no cell passes 30 %. On a 0–250 scale
/// (× 2.5), the threshold fell to 12 % (2,040 ha). Both are refused, naming the layer; the
/// mask × 100 with a threshold of 0 gives the forest of the cover itself.
#[test]
fn a_forest_mask_or_a_cover_beyond_100_is_refused() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = data.join("mapme");
    let tmp = tempfile::tempdir().unwrap();
    let source = dir.join("Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif");
    let derive = |name: &str, f: &dyn Fn(u8) -> u8| {
        let src = gdal::Dataset::open(&source).unwrap();
        let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
        let path = tmp.path().join(name);
        let ds = src
            .create_copy(&driver, &path, &gdal::cpl::CslStringList::new())
            .unwrap();
        let mut b = ds.rasterband(1).unwrap();
        let (w, h) = b.size();
        let mut buf = b.read_as::<u8>((0, 0), (w, h), (w, h), None).unwrap();
        for v in buf.data_mut() {
            *v = f(*v);
        }
        b.write((0, 0), (w, h), &mut buf).unwrap();
        path
    };
    let run = |treecover: std::path::PathBuf, min_cover: f64| {
        let case = serde_json::json!({
            "variant": "exact", "min_cover": min_cover, "min_size_ha": 0.0
        });
        let s = Settings {
            treecover,
            ..settings(&dir, "gfw_sample", &case)
        };
        forest_loss::run(&s, &|_, _| {})
    };
    let forest = |r: &forest_loss::Report| r.results[0].years[0].forest_ha;
    let truth = forest(&run(source.clone(), 30.0).unwrap());
    let mask = derive("mask.tif", &|v| u8::from(v > 30));
    let e = run(mask, 30.0).unwrap_err().to_string();
    assert!(e.contains("mask.tif") && e.contains("a forest mask"), "{e}");
    let hundred = derive("mask100.tif", &|v| if v > 30 { 100 } else { 0 });
    let from_mask = forest(&run(hundred, 0.0).unwrap());
    assert!(
        (from_mask - truth).abs() < 1e-9,
        "{from_mask} against {truth}"
    );
    let scaled = derive("x25.tif", &|v| (f64::from(v) * 2.5).round() as u8);
    let e = run(scaled, 30.0).unwrap_err().to_string();
    assert!(e.contains("x25.tif") && e.contains("above 100"), "{e}");
}
