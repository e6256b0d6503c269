//! Land-cover transitions on the Copernicus LC100 2015 and 2019 tiles of
//! ../shared/data/raster/mapme (EPSG:4326) and the pylandstats CORINE rasters: counts equal
//! a direct count of the pairs GDAL reads, hectares the counts times the pixel areas
//! (checked against pyproj in change.rs), and grids that differ are refused or aligned.

use std::collections::BTreeMap;
use std::path::Path;

use gdal::Dataset;
use terrawatt_raster::grid::{AreaMethod, Grid};
use terrawatt_raster::read::{BandSel, Resampling};
use terrawatt_raster::transitions::{self, Settings};

#[path = "../../meter/tests/common.rs"]
mod common;

fn settings(
    before: &Path,
    after: &Path,
    align: Option<Resampling>,
    memory: u64,
    tmp: &Path,
) -> Settings {
    Settings {
        before: before.to_path_buf(),
        after: after.to_path_buf(),
        band: BandSel::Index(1),
        align,
        area: AreaMethod::Ellipsoid,
        memory,
        tmp: tmp.to_path_buf(),
    }
}

fn codes(p: &Path) -> (Vec<f64>, Option<f64>) {
    let ds = Dataset::open(p).unwrap();
    let b = ds.rasterband(1).unwrap();
    let (w, h) = ds.raster_size();
    (
        b.read_as::<f64>((0, 0), (w, h), (w, h), None)
            .unwrap()
            .data()
            .to_vec(),
        b.no_data_value(),
    )
}

#[test]
fn lc100_transitions_equal_a_direct_count() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let a = data.join("mapme/W080N20_LC100_v3.0.1_2015.tif");
    let b = data.join("mapme/W080N20_LC100_v3.0.1_2019.tif");
    let rep = transitions::run(&settings(&a, &b, None, 1 << 30, dir.path()), &|_, _| {}).unwrap();
    let (va, na) = codes(&a);
    let (vb, nb) = codes(&b);
    let grid = Grid::of_file(&a).unwrap();
    let areas = grid.row_areas(AreaMethod::Ellipsoid).unwrap();
    let mut want: BTreeMap<(i64, i64), (u64, f64)> = BTreeMap::new();
    let mut missing = 0u64;
    for (p, (x, y)) in va.iter().zip(&vb).enumerate() {
        if Some(*x) == na || Some(*y) == nb {
            missing += 1;
            continue;
        }
        let e = want.entry((*x as i64, *y as i64)).or_insert((0, 0.0));
        e.0 += 1;
        e.1 += areas[p / grid.width] / 1e4;
    }
    assert_eq!(rep.transitions.len(), want.len());
    for t in &rep.transitions {
        let (cells, ha) = want[&(t.from, t.to)];
        assert_eq!(t.cells, cells, "{} → {}", t.from, t.to);
        assert!(
            (t.hectares - ha).abs() <= 1e-9 * ha,
            "{} → {}: {} vs {ha}",
            t.from,
            t.to,
            t.hectares
        );
    }
    assert_eq!(
        rep.missing_before + rep.missing_after + rep.missing_both,
        missing
    );
    assert!(
        rep.transitions.iter().any(|t| t.from != t.to),
        "some land cover changed"
    );
    // the same at a budget of a few rows and one thread
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let small = pool.install(|| {
        transitions::run(&settings(&a, &b, None, 400_000, dir.path()), &|_, _| {}).unwrap()
    });
    assert_eq!(small.transitions, rep.transitions);
}

#[test]
fn grids_that_differ_are_refused_or_aligned() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let a = data.join("pylandstats/ls100_06.tif");
    let b = data.join("pylandstats/ls100_12.tif");
    let e = transitions::run(&settings(&a, &b, None, 1 << 30, dir.path()), &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("ls100_12.tif") && e.contains("--align"), "{e}");
    let rep = transitions::run(
        &settings(&a, &b, Some(Resampling::Nearest), 1 << 30, dir.path()),
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(rep.aligned, Some(Resampling::Nearest));
    let cells: u64 = rep.transitions.iter().map(|t| t.cells).sum();
    let total = (rep.width * rep.height) as u64;
    assert_eq!(
        cells + rep.missing_before + rep.missing_after + rep.missing_both,
        total
    );
    // ls250: one grid, no warp
    let rep = transitions::run(
        &settings(
            &data.join("pylandstats/ls250_06.tif"),
            &data.join("pylandstats/ls250_12.tif"),
            None,
            1 << 30,
            dir.path(),
        ),
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(rep.aligned, None);
    // a float raster is refused
    let f = data.join("rasterio/float_raster_with_nodata.tif");
    let e = transitions::run(&settings(&f, &f, None, 1 << 30, dir.path()), &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("integer class values"), "{e}");
}
