//! Accuracy and area estimation (issue 20): the estimators against
//! tools/reference/olofsson_reference.py (written from Olofsson et al. 2014's equations;
//! its section 5 example and a case computed by hand; fixtures/olofsson_reference.json),
//! and end to end on a synthetic map whose true classes are known: a census, then a
//! stratified sample drawn by `sample_design`, interpreted from the truth, whose area
//! estimate must cover the true area.

use std::path::Path;

use gdal::DriverManager;
use gdal::vector::LayerAccess;
use serde_json::Value;
use terrawatt_raster::accuracy::{
    self, Allocation, DesignSettings, Matrix, Reference, Settings, census, stratified,
};
use terrawatt_raster::grid::AreaMethod;
use terrawatt_raster::read::BandSel;

fn fixture() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/olofsson_reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn matrix(case: &Value) -> Matrix {
    let rows = case["counts"].as_array().unwrap();
    Matrix {
        classes: (0..rows.len() as i64).collect(),
        counts: rows
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect(),
    }
}

fn close(got: f64, want: &Value, what: &str) {
    let w = want.as_f64().unwrap();
    assert!(
        (got - w).abs() <= 1e-12 * w.abs().max(1.0),
        "{what}: {got} vs {w}"
    );
}

/// Olofsson et al. (2014) §5 and the hand case: every estimate and standard error.
#[test]
fn stratified_estimators_equal_the_reference() {
    let fx = fixture();
    for name in ["olofsson2014", "hand"] {
        let c = &fx[name];
        let m = matrix(c);
        let area = c["pixel_area_ha"].as_f64().unwrap();
        let mapped: Vec<f64> = c["map_pixels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() * area)
            .collect();
        let st = stratified(&m, &mapped).unwrap();
        close(st.overall, &c["overall_accuracy"], name);
        close(st.overall_se, &c["overall_accuracy_se"], name);
        let k = m.k();
        for i in 0..k {
            for j in 0..k {
                close(st.proportions[i * k + j], &c["p_hat"][i][j], name);
            }
        }
        for (j, e) in st.classes.iter().enumerate() {
            let what = format!("{name} class {j}");
            close(e.users, &c["users_accuracy"][j], &what);
            close(e.users_se, &c["users_accuracy_se"][j], &what);
            close(e.producers, &c["producers_accuracy"][j], &what);
            close(e.producers_se, &c["producers_accuracy_se"][j], &what);
            close(e.area_proportion, &c["area_proportion"][j], &what);
            close(e.area_proportion_se, &c["area_proportion_se"][j], &what);
            close(e.area, &c["area_ha"][j], &what);
            close(e.area_ci95, &c["area_ci95_ha"][j], &what);
        }
    }
    // the paper's printed area of deforestation: 21,158 ± 6,158 ha
    let c = &fx["olofsson2014"];
    let mapped: Vec<f64> = [200_000.0, 150_000.0, 3_200_000.0, 6_450_000.0]
        .iter()
        .map(|p| p * 0.09)
        .collect();
    let st = stratified(&matrix(c), &mapped).unwrap();
    assert_eq!(st.classes[0].area.round(), 21_158.0);
    assert_eq!(st.classes[0].area_ci95.round(), 6_158.0);
}

#[test]
fn census_accuracy_and_kappa_equal_the_reference() {
    let fx = fixture();
    for name in ["census", "census_2x2"] {
        let c = &fx[name];
        let a = census(&matrix(c));
        close(a.overall, &c["overall_accuracy"], name);
        close(a.kappa, &c["kappa"], name);
        for (j, k) in a.classes.iter().enumerate() {
            close(k.users, &c["users_accuracy"][j], name);
            close(k.producers, &c["producers_accuracy"][j], name);
            close(k.f1, &c["f1"][j], name);
        }
    }
}

#[test]
fn too_small_or_foreign_samples_are_refused() {
    let m = Matrix {
        classes: vec![0, 1],
        counts: vec![5.0, 0.0, 0.0, 1.0],
    };
    let e = stratified(&m, &[10.0, 5.0]).unwrap_err().to_string();
    assert!(e.contains("map class 1 has 1 sample unit"), "{e}");
    let m = Matrix {
        classes: vec![0, 1],
        counts: vec![5.0, 0.0, 1.0, 3.0],
    };
    let e = stratified(&m, &[10.0, 0.0]).unwrap_err().to_string();
    assert!(e.contains("does not have"), "{e}");
}

// ------------------------------------------------------------------ known truth

const W: usize = 200;
const H: usize = 150;

/// The true classes: 1 (change) in a blob and a strip, 0 elsewhere.
fn truth(r: usize, c: usize) -> u8 {
    let blob = (r as f64 - 60.0).powi(2) + (c as f64 - 70.0).powi(2) < 30.0f64.powi(2);
    u8::from(blob || (110..118).contains(&r))
}

/// The map: the truth with errors known by construction: misses the blob's right edge
/// (omission) and adds a false square (commission); 255 is nodata in a corner.
fn map(r: usize, c: usize) -> u8 {
    if r < 5 && c < 5 {
        return 255;
    }
    if (20..40).contains(&r) && (150..170).contains(&c) {
        return 1;
    }
    if truth(r, c) == 1 && c > 90 && r < 100 {
        return 0;
    }
    truth(r, c)
}

fn write_classes(path: &Path, f: &dyn Fn(usize, usize) -> u8) {
    let drv = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = drv.create_with_band_type::<u8, _>(path, W, H, 1).unwrap();
    ds.set_geo_transform(&[600_000.0, 30.0, 0.0, 5_000_000.0, 0.0, -30.0])
        .unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(32631).unwrap())
        .unwrap();
    let mut b = ds.rasterband(1).unwrap();
    b.set_no_data_value(Some(255.0)).unwrap();
    let v: Vec<u8> = (0..W * H).map(|p| f(p / W, p % W)).collect();
    let mut buf = gdal::raster::Buffer::new((W, H), v);
    b.write((0, 0), (W, H), &mut buf).unwrap();
}

#[test]
fn census_and_sample_recover_a_known_map_error() {
    let dir = tempfile::tempdir().unwrap();
    let map_path = dir.path().join("map.tif");
    let truth_path = dir.path().join("truth.tif");
    write_classes(&map_path, &map);
    write_classes(&truth_path, &|r, c| {
        if r < 5 && c < 5 { 255 } else { truth(r, c) }
    });
    // counted by hand over the same pixels
    let mut n = [[0f64; 2]; 2];
    for r in 0..H {
        for c in 0..W {
            let m = map(r, c);
            if m != 255 {
                n[m as usize][truth(r, c) as usize] += 1.0;
            }
        }
    }
    let settings = |reference| Settings {
        map: map_path.clone(),
        band: BandSel::Index(1),
        reference,
        classes: None,
        align: None,
        area: AreaMethod::Ellipsoid,
        memory: 1 << 28,
        tmp: dir.path().to_path_buf(),
        as_coded: false,
    };
    let rep = accuracy::run(
        &settings(Reference::Raster {
            path: truth_path.clone(),
            band: BandSel::Index(1),
        }),
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(rep.matrix.counts, [n[0][0], n[0][1], n[1][0], n[1][1]]);
    assert_eq!(rep.excluded.map_missing, 25);
    let total = n[0][0] + n[0][1] + n[1][0] + n[1][1];
    let oa = (n[0][0] + n[1][1]) / total;
    assert!((rep.accuracy.overall - oa).abs() < 1e-15);
    let true_ha = (n[0][1] + n[1][1]) * 0.09;
    assert!((rep.reference_hectares.as_ref().unwrap()[1] - true_ha).abs() < 1e-9);

    // a stratified sample with at least 60 units per class, interpreted from the truth
    let sample = dir.path().join("sample.gpkg");
    let design = DesignSettings {
        map: map_path.clone(),
        band: BandSel::Index(1),
        n: 300,
        allocation: Allocation::Minimum { min: 60 },
        seed: 7,
        classes: None,
        area: AreaMethod::Ellipsoid,
        memory: 1 << 28,
        out: sample.clone(),
    };
    let d = accuracy::sample_design(&design, &|_, _| {}).unwrap();
    assert_eq!(d.strata.iter().map(|s| s.sample).sum::<u64>(), 300);
    assert!(d.strata.iter().all(|s| s.sample >= 60));
    {
        let ds = gdal::Dataset::open_ex(
            &sample,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR
                    | gdal::GdalOpenFlags::GDAL_OF_UPDATE,
                ..Default::default()
            },
        )
        .unwrap();
        let mut lyr = ds.layer(0).unwrap();
        let rows: Vec<(u64, usize, usize, i64)> = lyr
            .features()
            .map(|f| {
                (
                    f.fid().unwrap(),
                    f.field_as_integer64(2).unwrap().unwrap() as usize,
                    f.field_as_integer64(3).unwrap().unwrap() as usize,
                    f.field_as_integer64(1).unwrap().unwrap(),
                )
            })
            .collect();
        assert_eq!(rows.len(), 300);
        for (fid, r, c, m) in rows {
            assert_eq!(m, map(r, c) as i64, "the point's map class is the map's");
            let mut f = lyr.feature(fid).unwrap();
            f.set_field_integer64(4, truth(r, c) as i64).unwrap();
            lyr.set_feature(f).unwrap();
        }
    }
    let rep = accuracy::run(
        &settings(Reference::Vector {
            path: sample.clone(),
            layer: None,
            field: "reference".into(),
        }),
        &|_, _| {},
    )
    .unwrap();
    let st = rep.estimates.unwrap();
    let e = &st.classes[1];
    // the map's own area of change is biased (omission > commission here); the estimate's
    // 95 % interval covers the true area
    let mapped_ha = (n[1][0] + n[1][1]) * 0.09;
    assert!((e.mapped - mapped_ha).abs() < 1e-9);
    assert!(
        (e.area - true_ha).abs() < e.area_ci95,
        "estimate {} ± {} vs true {true_ha} (mapped {mapped_ha})",
        e.area,
        e.area_ci95
    );
    assert!((e.area - true_ha).abs() < (mapped_ha - true_ha).abs());

    // reference polygons (UTM 31N, given in WGS84 to be reprojected): a rectangle of change
    // over the strip and one of no change across the false square; the census counts the
    // cells whose centre each holds, as counted here by hand
    let polys = dir.path().join("polygons.gpkg");
    {
        use gdal::vector::{Geometry, LayerOptions, OGRFieldType, OGRwkbGeometryType};
        let drv = DriverManager::get_driver_by_name("GPKG").unwrap();
        let mut ds = drv.create_vector_only(&polys).unwrap();
        let mut wgs84 = gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap();
        let mut utm = gdal::spatial_ref::SpatialRef::from_epsg(32631).unwrap();
        wgs84
            .set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
        utm.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
        let ct = gdal::spatial_ref::CoordTransform::new(&utm, &wgs84).unwrap();
        let lyr = ds
            .create_layer(LayerOptions {
                name: "truth",
                srs: Some(&wgs84),
                ty: OGRwkbGeometryType::wkbPolygon,
                options: None,
            })
            .unwrap();
        lyr.create_defn_fields(&[("label", OGRFieldType::OFTInteger)])
            .unwrap();
        // (row0, row1, col0, col1) in cells: edges on cell borders
        for (rows, cols, class) in [((110, 118), (20, 60), 1), ((15, 45), (140, 180), 0)] {
            let x = |c: usize| 600_000.0 + 30.0 * c as f64;
            let y = |r: usize| 5_000_000.0 - 30.0 * r as f64;
            let wkt = format!(
                "POLYGON(({} {}, {} {}, {} {}, {} {}, {} {}))",
                x(cols.0),
                y(rows.0),
                x(cols.1),
                y(rows.0),
                x(cols.1),
                y(rows.1),
                x(cols.0),
                y(rows.1),
                x(cols.0),
                y(rows.0)
            );
            let mut geom = Geometry::from_wkt(&wkt).unwrap();
            geom.transform_inplace(&ct).unwrap();
            let mut f = gdal::vector::Feature::new(lyr.defn()).unwrap();
            f.set_geometry(geom).unwrap();
            f.set_field_integer(0, class).unwrap();
            f.create(&lyr).unwrap();
        }
    }
    let rep = accuracy::run(
        &settings(Reference::Vector {
            path: polys.clone(),
            layer: None,
            field: "label".into(),
        }),
        &|_, _| {},
    )
    .unwrap();
    let mut want = [[0f64; 2]; 2];
    for r in 110..118 {
        for c in 20..60 {
            want[map(r, c) as usize][1] += 1.0;
        }
    }
    for r in 15..45 {
        for c in 140..180 {
            want[map(r, c) as usize][0] += 1.0;
        }
    }
    assert_eq!(rep.design, "census of reference polygons");
    // a field the layer does not have is refused, naming the ones it has
    let e = accuracy::run(
        &settings(Reference::Vector {
            path: polys.clone(),
            layer: None,
            field: "class".into(),
        }),
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no field 'class'") && e.contains("label"), "{e}");
    assert_eq!(
        rep.matrix.counts,
        [want[0][0], want[0][1], want[1][0], want[1][1]]
    );

    // the same seed draws the same points on any thread count
    let again = dir.path().join("again.gpkg");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        accuracy::sample_design(
            &DesignSettings {
                out: again.clone(),
                memory: 40_000,
                ..design.clone()
            },
            &|_, _| {},
        )
    })
    .unwrap();
    let cells = |p: &Path| -> Vec<(i64, i64)> {
        let ds = gdal::Dataset::open(p).unwrap();
        let mut l = ds.layer(0).unwrap();
        l.features()
            .map(|f| {
                (
                    f.field_as_integer64(2).unwrap().unwrap(),
                    f.field_as_integer64(3).unwrap().unwrap(),
                )
            })
            .collect()
    };
    let mut first = cells(&sample);
    first.sort_unstable();
    let mut second = cells(&again);
    second.sort_unstable();
    assert_eq!(first, second);
}
