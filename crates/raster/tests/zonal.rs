//! Zonal statistics on the ../shared/data/raster/mapme layers (Hansen tree cover and loss
//! year, Copernicus LC100 2015/2019, GFW gross emissions; EPSG:4326) with gfw_sample.gpkg and
//! sierra_de_neiba_478140.gpkg (which reaches far beyond the rasters), against
//! exactextract 0.3.0 (exact coverage) and GDAL's rasterizer + numpy (cell centres):
//! fixtures/zonal_reference.json, made by tools/reference/zonal_reference.py.
//!
//! exactextract keeps each cell's coverage fraction in float32 (up to 3e-8 from the exact
//! value); its sums are in double. Zone statistics are compared to 1e-9 relative; one
//! class's weight to 1e-9 of the zone's count (a class of a few boundary cells carries
//! exactextract's float32 rounding); single cells' fractions to GEOS's double-precision
//! intersection areas, to 1e-10 (a longitude near 71.7° is known to 1.4e-14°, 5.7e-11 of a
//! 0.00025° cell: neither computation can be closer than that).

use std::path::Path;

use serde_json::Value;
use terrawatt_raster::coverage::Shape;
use terrawatt_raster::grid::{AreaMethod, Grid};
use terrawatt_raster::read::BandSel;
use terrawatt_raster::zonal::{self, Missing, Rule, Settings, ZoneSource};

#[path = "../../meter/tests/common.rs"]
mod common;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/zonal_reference.json")).unwrap()
}

const RASTERS: [&str; 5] = [
    "Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif",
    "Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif",
    "W080N20_LC100_v3.0.1_2015.tif",
    "W080N20_LC100_v3.0.1_2019.tif",
    "gfw_forest_carbon_gross_emissions_Mg_CO2e_px_20N_080W.tif",
];
const ZONES: [&str; 2] = ["gfw_sample.gpkg", "sierra_de_neiba_478140.gpkg"];

fn settings(dir: &Path, raster: &str, zones: &str, rule: Rule, missing: Missing) -> Settings {
    Settings {
        raster: dir.join(raster),
        band: BandSel::Index(1),
        missing,
        zones: ZoneSource::new(dir.join(zones)),
        rule,
        area: AreaMethod::Sphere,
        memory: 1 << 30,
    }
}

fn close(what: &str, ours: f64, theirs: f64, rel: f64) {
    let tol = rel * theirs.abs().max(1e-300);
    assert!(
        (ours - theirs).abs() <= tol,
        "{what}: {ours} vs {theirs} (diff {:e})",
        (ours - theirs) / theirs
    );
}

fn check(what: &str, s: &zonal::Stats, r: &Value, rel: f64, classes: bool) {
    let f = |k: &str| r[k].as_f64().unwrap();
    close(&format!("{what} count"), s.count, f("count"), rel);
    close(&format!("{what} sum"), s.sum, f("sum"), rel);
    close(&format!("{what} mean"), s.mean.unwrap(), f("mean"), rel);
    close(
        &format!("{what} variance"),
        s.variance.unwrap(),
        f("variance"),
        rel,
    );
    close(&format!("{what} stdev"), s.stdev.unwrap(), f("stdev"), rel);
    assert_eq!(s.min.unwrap(), f("min"), "{what} min");
    assert_eq!(s.max.unwrap(), f("max"), "{what} max");
    if classes {
        assert_eq!(s.majority.unwrap() as f64, f("majority"), "{what} majority");
        assert_eq!(s.minority.unwrap() as f64, f("minority"), "{what} minority");
        assert_eq!(s.classes.len() as f64, f("variety"), "{what} variety");
    } else {
        assert_eq!(s.majority, None);
    }
}

#[test]
fn zonal_statistics_equal_exactextract() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = data.join("mapme");
    let fx = fixture();
    let mut compared = 0;
    for raster in RASTERS {
        let class_like = fx["grids"][raster]["class_like"].as_bool().unwrap();
        for zones in ZONES {
            let refs = fx[raster][zones].as_array().unwrap();
            for (missing, key) in [
                (Missing::Band, "exact"),
                (Missing::None, "exact_nodata_ignored"),
                (Missing::Value(0.0), "exact_nodata_0"),
            ] {
                if refs[0].get(key).is_none() {
                    continue;
                }
                let rep = zonal::run(
                    &settings(&dir, raster, zones, Rule::Exact, missing),
                    &|_, _| {},
                )
                .unwrap();
                assert_eq!(rep.stats.len(), refs.len());
                for (s, r) in rep.stats.iter().zip(refs) {
                    let what = format!("{raster} × {zones} ({key})");
                    check(&what, s, &r[key], 1e-9, class_like);
                    compared += 1;
                    if key != "exact" {
                        continue;
                    }
                    // cells reached (with or without a value): any positive fraction
                    assert_eq!(
                        (s.cells + s.missing_cells) as f64,
                        r["cells_touched"].as_f64().unwrap(),
                        "{what}"
                    );
                    if class_like {
                        let count = s.count;
                        for c in &s.classes {
                            let k = c.value.to_string();
                            let w = r["classes"][&k].as_f64().unwrap();
                            assert!(
                                (c.weight - w).abs() <= 1e-9 * count,
                                "{what} class {k}: {} vs {w}",
                                c.weight
                            );
                            let a = r["area_m2_f64"]["spherical"][&k].as_f64().unwrap();
                            let per_cell = a / w;
                            assert!(
                                (c.hectares * 1e4 - a).abs() <= 1e-9 * count * per_cell,
                                "{what} class {k} area: {} vs {a}",
                                c.hectares * 1e4
                            );
                        }
                        close(
                            &format!("{what} area"),
                            s.hectares * 1e4,
                            r["area_m2_total"]["f64_spherical"].as_f64().unwrap(),
                            1e-9,
                        );
                    }
                }
            }
            // cell centres: whole cells, so sums are exact
            for (missing, key) in [
                (Missing::Band, "centre"),
                (Missing::Value(0.0), "centre_nodata_0"),
            ] {
                if refs[0].get(key).is_none() {
                    continue;
                }
                let rep = zonal::run(
                    &settings(&dir, raster, zones, Rule::Centre, missing),
                    &|_, _| {},
                )
                .unwrap();
                for (s, r) in rep.stats.iter().zip(refs) {
                    let what = format!("{raster} × {zones} ({key})");
                    check(&what, s, &r[key], 1e-12, class_like);
                    assert_eq!(s.cells as f64, r[key]["count"].as_f64().unwrap(), "{what}");
                    if class_like {
                        for c in &s.classes {
                            let n = r[key]["classes"][c.value.to_string()].as_f64().unwrap();
                            assert_eq!(c.weight, n, "{what} class {}", c.value);
                        }
                    }
                    compared += 1;
                }
            }
        }
    }
    assert!(compared >= 30, "{compared}");
}

#[test]
fn boundary_cells_equal_geos() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = data.join("mapme");
    let fx = fixture();
    for raster in RASTERS {
        let grid = Grid::of_file(&dir.join(raster)).unwrap();
        for zones in ZONES {
            let z = ZoneSource::new(dir.join(zones)).read(&grid).unwrap();
            let shape = Shape::new(&z.zones[0].rings, &grid.transform);
            for cell in fx[raster][zones][0]["boundary_cells"].as_array().unwrap() {
                let (r, c) = (
                    cell["row"].as_u64().unwrap() as usize,
                    cell["col"].as_u64().unwrap() as usize,
                );
                let mut f = vec![];
                shape.fractions(c, r, 1, 1, &mut f);
                let g = cell["coverage_geos"].as_f64().unwrap();
                assert!(
                    (f[0] - g).abs() < 1e-10,
                    "{raster} {zones} ({r}, {c}): {} vs {g}",
                    f[0]
                );
            }
        }
    }
}

#[test]
fn strips_and_threads_do_not_change_the_results() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = data.join("mapme");
    let raster = RASTERS[0];
    let zones = ZONES[1];
    let big = zonal::run(
        &settings(&dir, raster, zones, Rule::Exact, Missing::Band),
        &|_, _| {},
    )
    .unwrap();
    let mut s = settings(&dir, raster, zones, Rule::Exact, Missing::Band);
    s.memory = 200_000; // strips of a few rows
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let small = pool.install(|| zonal::run(&s, &|_, _| {})).unwrap();
    let a = serde_json::to_string(&big.stats).unwrap();
    let b = serde_json::to_string(&small.stats).unwrap();
    assert_eq!(a, b);
}
