//! Polygons that are not simple: outside the raster, invalid (a self-intersecting "bow
//! tie"), of another geometry type, without a CRS; per-polygon transitions against the
//! per-class weights exactextract gives each date (fixtures/zonal_reference.json).

use std::path::Path;

use serde_json::Value;
use terrawatt_raster::grid::AreaMethod;
use terrawatt_raster::read::BandSel;
use terrawatt_raster::transitions;
use terrawatt_raster::zonal::{self, Missing, Rule, Settings, ZoneSource};
use terrawatt_raster::zones::{Invalid, Status};

#[path = "../../meter/tests/common.rs"]
mod common;

const TREECOVER: &str = "mapme/Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif";

/// A GeoJSON file of polygons given as coordinate rings (EPSG:4326, as GeoJSON is).
fn geojson(path: &Path, features: &[(&str, &str)]) {
    let f: Vec<String> = features
        .iter()
        .map(|(kind, coords)| {
            format!(r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"{kind}","coordinates":{coords}}}}}"#)
        })
        .collect();
    std::fs::write(
        path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            f.join(",")
        ),
    )
    .unwrap();
}

fn settings(raster: &Path, zones: ZoneSource) -> Settings {
    Settings {
        raster: raster.to_path_buf(),
        band: BandSel::Index(1),
        missing: Missing::Band,
        zones,
        rule: Rule::Exact,
        area: AreaMethod::Ellipsoid,
        memory: 1 << 28,
    }
}

// the Hansen tile spans x −71.73775…−71.68975, y 18.63175…18.687
const INSIDE: &str =
    "[[[-71.73,18.64],[-71.70,18.64],[-71.70,18.68],[-71.73,18.68],[-71.73,18.64]]]";
const FAR: &str = "[[[10.0,45.0],[10.1,45.0],[10.1,45.1],[10.0,45.1],[10.0,45.0]]]";
// a bow tie: its two triangles meet at (−71.715, 18.66)
const BOWTIE: &str =
    "[[[-71.73,18.64],[-71.70,18.68],[-71.70,18.64],[-71.73,18.68],[-71.73,18.64]]]";

#[test]
fn outside_invalid_and_other_geometries() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let raster = data.join(TREECOVER);
    let zones = dir.path().join("z.geojson");
    geojson(
        &zones,
        &[("Polygon", INSIDE), ("Polygon", FAR), ("Polygon", BOWTIE)],
    );
    let rep = zonal::run(&settings(&raster, ZoneSource::new(&zones)), &|_, _| {}).unwrap();
    assert_eq!(rep.stats.len(), 3);
    assert!(!rep.stats[0].outside && rep.stats[0].count > 10_000.0);
    // outside: no cell, nothing dropped silently
    assert!(rep.stats[1].outside);
    assert_eq!((rep.stats[1].cells, rep.stats[1].count), (0, 0.0));
    assert_eq!(rep.stats[1].mean, None);
    assert_eq!(rep.outside, 1);
    // the bow tie is repaired into its two triangles: half the square's area
    assert_eq!(rep.zones.repaired, 1);
    assert_eq!(rep.zones.zones[2].status, Status::Repaired);
    assert!(
        rep.zones.zones[2]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("Self-intersection")),
        "{:?}",
        rep.zones.zones[2].reason
    );
    let half = rep.stats[0].count / 2.0;
    assert!(
        (rep.stats[2].count - half).abs() < 1e-6 * half,
        "{} vs {half}",
        rep.stats[2].count
    );
    // skipped: counted, no cells
    let mut z = ZoneSource::new(&zones);
    z.invalid = Invalid::Skip;
    let rep = zonal::run(&settings(&raster, z), &|_, _| {}).unwrap();
    assert_eq!(rep.zones.skipped, 1);
    assert_eq!(rep.stats[2].cells, 0);
    assert!(!rep.stats[2].outside, "skipped, not outside");
    assert_eq!(rep.outside, 1);
    // refused: the feature is named
    let mut z = ZoneSource::new(&zones);
    z.invalid = Invalid::Error;
    let e = zonal::run(&settings(&raster, z), &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("z.geojson") && e.contains("feature") && e.contains("invalid"),
        "{e}"
    );
    // a line is not a zone
    let lines = dir.path().join("l.geojson");
    geojson(&lines, &[("LineString", "[[-71.73,18.64],[-71.70,18.68]]")]);
    let e = zonal::run(&settings(&raster, ZoneSource::new(&lines)), &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("l.geojson") && e.contains("LINESTRING") && e.contains("polygons"),
        "{e}"
    );
}

#[test]
fn a_layer_without_crs_is_refused_unless_stated() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let raster = data.join(TREECOVER);
    // a shapefile without a .prj, written through OGR
    let shp = dir.path().join("nocrs.shp");
    {
        use gdal::vector::{Geometry, LayerAccess, LayerOptions, OGRwkbGeometryType};
        let driver = gdal::DriverManager::get_driver_by_name("ESRI Shapefile").unwrap();
        let mut ds = driver.create_vector_only(&shp).unwrap();
        let mut lyr = ds
            .create_layer(LayerOptions {
                name: "nocrs",
                srs: None,
                ty: OGRwkbGeometryType::wkbPolygon,
                options: None,
            })
            .unwrap();
        let g = Geometry::from_wkt(
            "POLYGON((-71.73 18.64,-71.70 18.64,-71.70 18.68,-71.73 18.68,-71.73 18.64))",
        )
        .unwrap();
        lyr.create_feature(g).unwrap();
    }
    assert!(!dir.path().join("nocrs.prj").exists());
    let e = zonal::run(&settings(&raster, ZoneSource::new(&shp)), &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nocrs.shp") && e.contains("no CRS") && e.contains("--zones-crs"),
        "{e}"
    );
    let mut z = ZoneSource::new(&shp);
    z.crs = Some("EPSG:4326".into());
    let rep = zonal::run(&settings(&raster, z), &|_, _| {}).unwrap();
    assert!(rep.stats[0].count > 10_000.0);
}

#[test]
fn transitions_per_polygon_sum_to_each_dates_classes() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let fx: Value = serde_json::from_str(include_str!("fixtures/zonal_reference.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        data.join("mapme/W080N20_LC100_v3.0.1_2015.tif"),
        data.join("mapme/W080N20_LC100_v3.0.1_2019.tif"),
    );
    for zones in ["gfw_sample.gpkg", "sierra_de_neiba_478140.gpkg"] {
        let s = transitions::Settings {
            before: a.clone(),
            after: b.clone(),
            band: BandSel::Index(1),
            align: None,
            area: AreaMethod::Sphere,
            memory: 1 << 28,
            tmp: dir.path().to_path_buf(),
        };
        let rep = transitions::run_zones(
            &s,
            &ZoneSource::new(data.join("mapme").join(zones)),
            Rule::Exact,
            &|_, _| {},
        )
        .unwrap();
        let m = &rep.matrices[0];
        type Key = fn(&transitions::ZoneTransition) -> i64;
        let (from, to): (Key, Key) = (|t| t.from, |t| t.to);
        for (date, file, key) in [
            (0, "W080N20_LC100_v3.0.1_2015.tif", from),
            (1, "W080N20_LC100_v3.0.1_2019.tif", to),
        ] {
            let r = &fx[file][zones][0];
            let count = r["exact"]["count"].as_f64().unwrap();
            let classes = r["classes"].as_object().unwrap();
            for (k, w) in classes {
                let class: i64 = k.parse().unwrap();
                let ours: f64 = m
                    .transitions
                    .iter()
                    .filter(|t| key(t) == class)
                    .map(|t| t.weight)
                    .sum();
                let w = w.as_f64().unwrap();
                assert!(
                    (ours - w).abs() <= 1e-9 * count,
                    "{zones} date {date} class {k}: {ours} vs {w}"
                );
            }
        }
    }
}
