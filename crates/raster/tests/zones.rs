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
mod support;

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

/// A geographic raster of ones, `(lon0, lat0)` its top-left corner, `res` degrees a cell.
fn ones_in_degrees(path: &Path, lon0: f64, lat0: f64, res: f64, cols: usize, rows: usize) {
    let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = driver
        .create_with_band_type::<u8, _>(path, cols, rows, 1)
        .unwrap();
    ds.set_geo_transform(&[lon0, res, 0.0, lat0, 0.0, -res])
        .unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap())
        .unwrap();
    let mut b = ds.rasterband(1).unwrap();
    b.set_no_data_value(Some(255.0)).unwrap();
    let mut buf = gdal::raster::Buffer::new((cols, rows), vec![1u8; cols * rows]);
    b.write((0, 0), (cols, rows), &mut buf).unwrap();
}

/// A rectangle `[x0, x1] × [y0, y1]` of a projected CRS, its sides cut in 50 (so that it
/// keeps its shape in degrees), as a GeoJSON file naming that CRS.
fn projected_box(path: &Path, epsg: u32, (x0, y0, x1, y1): (f64, f64, f64, f64)) {
    let mut p = vec![];
    for i in 0..50 {
        let t = i as f64 / 50.0;
        p.push((x0 + (x1 - x0) * t, y0));
    }
    for i in 0..50 {
        p.push((x1, y0 + (y1 - y0) * i as f64 / 50.0));
    }
    for i in 0..50 {
        p.push((x1 - (x1 - x0) * i as f64 / 50.0, y1));
    }
    for i in 0..50 {
        p.push((x0, y1 - (y1 - y0) * i as f64 / 50.0));
    }
    p.push(p[0]);
    let ring: Vec<String> = p.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
    std::fs::write(
        path,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::{epsg}"}}}},"features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}]}}"#,
            ring.join(",")
        ),
    )
    .unwrap();
}

/// The cell centres of the raster that lie inside the projected box, each centre taken to
/// the box's CRS by PROJ: the truth, found without placing any polygon.
fn centres_in_box(
    (lon0, lat0, res, cols, rows): (f64, f64, f64, usize, usize),
    epsg: u32,
    (x0, y0, x1, y1): (f64, f64, f64, f64),
) -> usize {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    let mut wgs = SpatialRef::from_epsg(4326).unwrap();
    wgs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut to = SpatialRef::from_epsg(epsg).unwrap();
    to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let ct = CoordTransform::new(&wgs, &to).unwrap();
    let mut xs = vec![];
    let mut ys = vec![];
    for r in 0..rows {
        for c in 0..cols {
            let lon = lon0 + res * (c as f64 + 0.5);
            xs.push(if lon > 180.0 { lon - 360.0 } else { lon });
            ys.push(lat0 - res * (r as f64 + 0.5));
        }
    }
    ct.transform_coords(&mut xs, &mut ys, &mut []).unwrap();
    xs.iter()
        .zip(&ys)
        .filter(|(x, y)| **x > x0 && **x < x1 && **y > y0 && **y < y1)
        .count()
}

/// Zones in a projected CRS reprojected to a geographic raster: across the antimeridian (in
/// UTM 60, on a −180…180° and a 0…360° raster) and round the North Pole (polar
/// stereographic). Read as written, the first became its complement (the whole latitude
/// belt but the zone) and the second lost half its cells.
#[test]
fn zones_across_the_antimeridian_and_round_a_pole() {
    let dir = tempfile::tempdir().unwrap();
    let cells = |raster: &Path, zones: &Path| {
        let mut s = settings(raster, ZoneSource::new(zones));
        s.rule = Rule::Centre;
        let rep = zonal::run(&s, &|_, _| {}).unwrap();
        assert_eq!(rep.stats[0].count, rep.stats[0].cells as f64);
        rep.stats[0].cells as usize
    };
    // a box in UTM 60 from (179.5°E, 60.5°N) to (179.5°W, 61.5°N)
    let utm = {
        use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
        let mut wgs = SpatialRef::from_epsg(4326).unwrap();
        wgs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut to = SpatialRef::from_epsg(32660).unwrap();
        to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let ct = CoordTransform::new(&wgs, &to).unwrap();
        let (mut x, mut y) = (vec![179.5, -179.5], vec![60.5, 61.5]);
        ct.transform_coords(&mut x, &mut y, &mut []).unwrap();
        (x[0], y[0], x[1], y[1])
    };
    let am = dir.path().join("am.geojson");
    projected_box(&am, 32660, utm);
    for (name, grid) in [
        ("belt.tif", (-180.0, 66.0, 0.1, 3600, 100)),
        ("pacific.tif", (178.0, 62.0, 0.05, 80, 60)),
    ] {
        let (lon0, lat0, res, cols, rows) = grid;
        let raster = dir.path().join(name);
        ones_in_degrees(&raster, lon0, lat0, res, cols, rows);
        let truth = centres_in_box(grid, 32660, utm);
        assert!(truth > 80, "{name}: {truth}");
        assert_eq!(cells(&raster, &am), truth, "{name}");
    }
    // ±800 km round the North Pole in EPSG:3413, over a grid of 75–90°N
    let polar = dir.path().join("polar.geojson");
    let square = (-800e3, -800e3, 800e3, 800e3);
    projected_box(&polar, 3413, square);
    let grid = (-180.0, 90.0, 0.5, 720, 30);
    let raster = dir.path().join("arctic.tif");
    ones_in_degrees(&raster, grid.0, grid.1, grid.2, grid.3, grid.4);
    let truth = centres_in_box(grid, 3413, square);
    assert!(truth > 10_000, "{truth}");
    let ours = cells(&raster, &polar);
    // the box's sides are cut in 50 (straight in degrees between the cuts): a few cells on
    // its edge may fall either side
    assert!(
        ours.abs_diff(truth) <= truth / 200,
        "{ours} against {truth}"
    );
}

/// A band with a scale tag holds measurements (int16 × 0.0001 here), not class codes: no
/// majority, minority or per-class areas from its truncated values (which made 0.01 and 2.5
/// "classes" 0 and 2). A zone smaller than a cell that holds no cell centre is `no_cell`,
/// with a warning, not `valid` with a sum of 0.
#[test]
fn scaled_bands_have_no_classes_and_empty_zones_say_so() {
    use terrawatt_meter::{Meter, MeterConfig};
    use terrawatt_raster::task::{RasterTask, Silent, TaskResults, ZonalTask};
    let dir = tempfile::tempdir().unwrap();
    let raster = dir.path().join("scaled.tif");
    let v: Vec<i16> = (0..100)
        .map(|i| if i < 60 { 100 } else { 25_000 })
        .collect();
    support::int16_utm(&raster, 10, v, Some(0.0001));
    let zones = dir.path().join("z.geojson");
    let sq = |x0: f64, y0: f64, d: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"name":"z{x0}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#,
            x1 = x0 + d,
            y1 = y0 + d
        )
    };
    std::fs::write(
        &zones,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::32633"}}}},"features":[{},{}]}}"#,
            sq(500_000.0, 4_999_900.0, 100.0),
            // 2 m square in a cell's corner: no centre
            sq(500_012.0, 4_999_982.0, 2.0)
        ),
    )
    .unwrap();
    let out = dir.path().join("stats.csv");
    let mut task = ZonalTask {
        zonal: settings(&raster, ZoneSource::new(&zones)),
        out: Some(out.clone()),
    };
    task.zonal.rule = Rule::Centre;
    let meter = Meter::detect(&MeterConfig::model_only()).unwrap();
    let mut span = meter.span("zonal");
    let r = task.run(&mut span, &Silent).unwrap();
    let whole = &r.zonal.stats[0];
    assert!((whole.mean.unwrap() - 1.006).abs() < 1e-9);
    assert_eq!((whole.majority, whole.minority), (None, None));
    assert!(whole.classes.is_empty());
    assert_eq!(r.zonal.stats[1].cells, 0);
    let w = r.warnings().join("\n");
    assert!(
        w.contains("1 zone(s) placed on the raster hold no cell centre") && w.contains("z500012"),
        "{w}"
    );
    let table = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[1].ends_with(",valid") && rows[2].ends_with(",no_cell"),
        "{table}"
    );
    assert!(!rows[0].contains("ha_"), "{}", rows[0]);
}
