//! Indices, change detection, Otsu thresholds, the sieve and pixel areas against the
//! reference values of `tools/reference/raster_reference.py` (numpy through GDAL's Python
//! bindings, gdal_sieve.py, scikit-image, pyproj; fixtures/raster_reference.json) on the
//! real rasters of ../shared/data/raster.

use std::path::{Path, PathBuf};

use gdal::Dataset;
use serde_json::Value;
use sha2::{Digest, Sha256};
use terrawatt_raster::change::{self, Difference, Direction, Method, Threshold};
use terrawatt_raster::grid::{AreaMethod, Grid};
use terrawatt_raster::index::{self, Formula, Index};
use terrawatt_raster::read::{BandSel, BandSpec, Resampling};
use terrawatt_raster::sieve::{self, Connectivity};
use terrawatt_raster::threshold::{self, Histogram};
use terrawatt_raster::write::{Compression, Format, OutputSpec};

#[path = "../../meter/tests/common.rs"]
mod common;
mod support;
use support::{gtiff, settings};

fn fixture() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/raster_reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn hash_f32(v: &[f32]) -> String {
    let mut h = Sha256::new();
    for x in v {
        let bits = if x.is_nan() { 0x7FC0_0000 } else { x.to_bits() };
        h.update(bits.to_le_bytes());
    }
    hex(&h.finalize())
}

fn hash_i32(v: impl Iterator<Item = i32>) -> String {
    let mut h = Sha256::new();
    for x in v {
        h.update(x.to_le_bytes());
    }
    hex(&h.finalize())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn read_f32(path: &Path, band: usize) -> Vec<f32> {
    let ds = Dataset::open(path).unwrap();
    let b = ds.rasterband(band).unwrap();
    b.read_band_as::<f32>().unwrap().into_shape_and_vec().1
}

fn read_i64(path: &Path) -> (Vec<i64>, usize, usize, Option<i64>) {
    let ds = Dataset::open(path).unwrap();
    let b = ds.rasterband(1).unwrap();
    let (w, h) = b.size();
    let v = b.read_band_as::<f64>().unwrap().into_shape_and_vec().1;
    (
        v.iter().map(|x| *x as i64).collect(),
        w,
        h,
        b.no_data_value().map(|x| x as i64),
    )
}

fn no_progress(_: u64, _: u64) {}

/// An index run on the first band's grid with a 1 GB budget.
fn run_index(
    f: &Formula,
    specs: &[BandSpec],
    out: &OutputSpec,
    dir: &Path,
) -> terrawatt_raster::Result<index::IndexReport> {
    index::run(
        f,
        specs,
        None,
        false,
        Resampling::Nearest,
        1 << 30,
        out,
        dir,
        &no_progress,
    )
}

/// The band file of an OSCD date ("imgs_1", "B04").
fn oscd(data: &Path, date: &str, band: &str) -> PathBuf {
    let dir = data.join("oscd_norcia").join(date);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(&format!("_{band}.tif")))
        .unwrap()
}

fn spec(p: PathBuf, scale: Option<f64>) -> BandSpec {
    BandSpec {
        path: p,
        band: BandSel::Index(1),
        scale,
        offset: scale.map(|_| 0.0),
    }
}

const OSCD_BANDS: [(&str, &str); 6] = [
    ("blue", "B02"),
    ("green", "B03"),
    ("red", "B04"),
    ("nir", "B08"),
    ("swir1", "B11"),
    ("swir2", "B12"),
];

fn oscd_specs(data: &Path, date: &str, roles: &[&str]) -> Vec<BandSpec> {
    roles
        .iter()
        .map(|r| {
            let b = OSCD_BANDS.iter().find(|x| x.0 == *r).unwrap().1;
            spec(oscd(data, date, b), Some(0.0001))
        })
        .collect()
}

fn check_stats(v: &[f32], want: &Value, what: &str) {
    assert_eq!(
        hash_f32(v),
        want["sha256"].as_str().unwrap(),
        "{what}: hash"
    );
    let valid = v.iter().filter(|x| !x.is_nan()).count();
    assert_eq!(
        valid as u64,
        want["valid"].as_u64().unwrap(),
        "{what}: valid"
    );
}

#[test]
fn indices_equal_numpy_bit_for_bit() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for date in ["imgs_1", "imgs_2"] {
        for i in Index::ALL {
            let roles = i.bands();
            let specs = oscd_specs(&data, date, roles);
            let out = gtiff(dir.path(), &format!("{date}-{}.tif", i.name()));
            let rep = run_index(&Formula::Index(i), &specs, &out, dir.path()).unwrap();
            let v = read_f32(&out.path, 1);
            check_stats(
                &v,
                &f["oscd_norcia"][date][i.name()],
                &format!("{date} {}", i.name()),
            );
            assert_eq!(rep.valid, 385 * 241);
            n += 1;
        }
    }
    // Sentinel-2 L2A with nodata 0, as a COG, and NDVI as an expression
    for date in ["20170503", "20170722"] {
        let s2 = data.join("mapme_vegetation/s2a");
        let b = |x: &str| spec(s2.join(format!("S2A_38PLR_{date}_0_L2A_{x}.tif")), None);
        let out = OutputSpec {
            path: dir.path().join(format!("{date}.tif")),
            format: Format::Cog,
            compression: Compression::Zstd,
            level: Some(3),
        };
        let e = index::Expr::parse("(b8 - b4) / (b8 + b4)").unwrap();
        run_index(&Formula::Expr(e), &[b("B08"), b("B04")], &out, dir.path()).unwrap();
        let v = read_f32(&out.path, 1);
        check_stats(&v, &f["mapme_s2a"][date]["ndvi"], date);
        n += 1;
    }
    assert_eq!(n, 14);
}

fn f32_of(v: &Value) -> f32 {
    v.as_f64().unwrap() as f32
}

#[test]
fn differences_and_otsu_equal_numpy_and_skimage() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    // dNDVI (after − before) and dNBR (before − after) on OSCD, 20 m SWIR onto 10 m
    for (i, key, diff) in [
        (Index::Ndvi, "dndvi", Difference::AfterMinusBefore),
        (Index::Nbr, "dnbr", Difference::BeforeMinusAfter),
    ] {
        let mut s = settings(
            oscd_specs(&data, "imgs_1", i.bands()),
            oscd_specs(&data, "imgs_2", i.bands()),
            Method::Index(i),
            dir.path(),
        );
        s.difference = diff;
        s.out = gtiff(dir.path(), &format!("{key}.tif"));
        let rep = change::run(&s, &no_progress).unwrap();
        let v = read_f32(&s.out.path, 1);
        check_stats(&v, &f["oscd_norcia"][key], key);
        if key == "dndvi" {
            // Otsu on the valid values, as scikit-image with numpy 2 computes it
            let t = rep.threshold.unwrap() as f32;
            let want = f["otsu"]["oscd_dndvi"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["nbins"] == 256)
                .unwrap();
            assert_eq!(t, f32_of(&want["threshold_numpy2_edges_float32"]));
        }
    }
    // Otsu for other bin counts, on both dNDVI rasters
    let s2 = data.join("mapme_vegetation/s2a");
    let b = |d: &str, x: &str| spec(s2.join(format!("S2A_38PLR_{d}_0_L2A_{x}.tif")), None);
    let mut s = settings(
        vec![b("20170503", "B04"), b("20170503", "B08")],
        vec![b("20170722", "B04"), b("20170722", "B08")],
        Method::Index(Index::Ndvi),
        dir.path(),
    );
    s.out = gtiff(dir.path(), "s2a.tif");
    let rep = change::run(&s, &no_progress).unwrap();
    let s2a = read_f32(&s.out.path, 1);
    check_stats(&s2a, &f["mapme_s2a"]["dndvi"], "s2a dndvi");
    assert_eq!(rep.nodata, 40_000 - rep.valid);
    let oscd_dndvi = read_f32(&dir.path().join("dndvi.tif"), 1);
    for (key, v) in [("oscd_dndvi", &oscd_dndvi), ("s2a_dndvi", &s2a)] {
        let valid: Vec<f32> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        let lo = valid.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = valid.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for want in f["otsu"][key].as_array().unwrap() {
            let bins = want["nbins"].as_u64().unwrap() as usize;
            let mut h = Histogram::new(lo as f64, hi as f64, bins);
            for x in &valid {
                h.add(*x);
            }
            assert_eq!(
                threshold::otsu(&h) as f32,
                f32_of(&want["threshold_numpy2_edges_float32"]),
                "{key} {bins} bins"
            );
        }
    }
}

#[test]
fn change_vector_analysis_equals_numpy() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let t = data.join("mapme_vegetation/trend");
    let bands = |p: &str| {
        (1..=2)
            .map(|i| BandSpec::new(t.join(p), BandSel::Index(i)))
            .collect::<Vec<_>>()
    };
    for (standardize, key) in [(false, "cva"), (true, "standardised_cva")] {
        let mut s = settings(
            bands("pre_2017-05-01.tif"),
            bands("post_2017-06-26.tif"),
            Method::Cva { standardize },
            dir.path(),
        );
        s.direction = Direction::Above;
        s.out = gtiff(dir.path(), &format!("{key}.tif"));
        let rep = change::run(&s, &no_progress).unwrap();
        let want = &f["trend_cva"][key];
        let mag = read_f32(&s.out.path, 1);
        check_stats(&mag, &want["magnitude"], key);
        if standardize {
            for (got, w) in rep.band_std.iter().zip(want["sigma"].as_array().unwrap()) {
                let w = w.as_f64().unwrap();
                assert!((got - w).abs() <= 1e-12 * w, "sigma {got} vs {w}");
            }
        }
        let t = rep.threshold.unwrap() as f32;
        assert_eq!(
            t,
            f32_of(&want["otsu_256"]["threshold_numpy2_edges_float32"])
        );
        // the binary map, missing as 255, equals numpy's mask
        let class = read_f32(&s.out.path, 2);
        let codes = class
            .iter()
            .map(|c| if c.is_nan() { 255 } else { *c as i32 });
        assert_eq!(
            hash_i32(codes),
            want["mask_with_threshold_numpy2_edges_float32"]["sha256_int32"]
                .as_str()
                .unwrap(),
            "{key} mask"
        );
        assert_eq!(rep.classes[1].pixels, want["changed"].as_u64().unwrap());
    }
}

#[test]
fn sieve_equals_gdal_sieve() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    // (a) the binary map dNDVI < −0.1 of the S2 pair (missing → 0)
    let s2 = data.join("mapme_vegetation/s2a");
    let b = |d: &str, x: &str| spec(s2.join(format!("S2A_38PLR_{d}_0_L2A_{x}.tif")), None);
    let mut s = settings(
        vec![b("20170503", "B04"), b("20170503", "B08")],
        vec![b("20170722", "B04"), b("20170722", "B08")],
        Method::Index(Index::Ndvi),
        dir.path(),
    );
    s.threshold = Threshold::Fixed { value: -0.1 };
    change::run(&s, &no_progress).unwrap();
    let a: Vec<i64> = read_f32(&s.out.path, 1)
        .iter()
        .map(|v| i64::from(*v < -0.1f32))
        .collect();
    assert_eq!(
        hash_i32(a.iter().map(|x| *x as i32)),
        f["sieve"]["a_change_map"]["sha256_int32"].as_str().unwrap()
    );
    let mut runs = 0;
    for run in f["sieve"]["runs"].as_array().unwrap() {
        let input = run["input"].as_str().unwrap();
        let (mut v, w, h, nodata) = if input.starts_with("a:") {
            (a.clone(), 200, 200, None)
        } else {
            read_i64(&data.join(&input[2..]))
        };
        let nodata = if run["mask"].as_str().unwrap().contains("nomask") {
            None
        } else {
            nodata
        };
        let conn = if run["connectivity"] == 8 {
            Connectivity::Eight
        } else {
            Connectivity::Four
        };
        let before = v.clone();
        sieve::sieve_pixels(
            &mut v,
            w,
            h,
            nodata,
            run["threshold"].as_u64().unwrap(),
            conn,
        );
        let changed = v.iter().zip(&before).filter(|(x, y)| x != y).count();
        assert_eq!(
            changed as u64,
            run["changed_pixels"].as_u64().unwrap(),
            "{run}"
        );
        assert_eq!(
            hash_i32(v.iter().map(|x| *x as i32)),
            run["sha256_int32"].as_str().unwrap(),
            "{run}"
        );
        runs += 1;
    }
    assert_eq!(runs, 18);
}

#[test]
fn pixel_areas_equal_the_geodesic_reference() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let f = fixture();
    let p = data.join("mapme/Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif");
    let g = Grid::of(&Dataset::open(&p).unwrap(), "hansen").unwrap();
    let ell = g.row_areas(AreaMethod::Ellipsoid).unwrap();
    let sph = g.row_areas(AreaMethod::Sphere).unwrap();
    let geod = f["area"]["geod_m2_per_row"].as_array().unwrap();
    let sphere = f["area"]["sphere_m2_per_row"].as_array().unwrap();
    assert_eq!(ell.len(), geod.len());
    let mut worst = 0f64;
    for r in 0..ell.len() {
        let (e, want) = (ell[r], geod[r].as_f64().unwrap());
        worst = worst.max((e / want - 1.0).abs());
        let (s, want_s) = (sph[r], sphere[r].as_f64().unwrap());
        assert!((s / want_s - 1.0).abs() < 1e-12, "row {r}: {s} vs {want_s}");
    }
    assert!(worst < 1e-6, "largest relative difference {worst}");
    eprintln!("ellipsoid vs pyproj.Geod per row: largest relative difference {worst:.2e}");
    // a pixel at 18° N: the sphere is 0.55 % larger
    let at18 = &f["area"]["pixel_at_18N"];
    let d = 0.00025f64.to_radians();
    let e = terrawatt_raster::grid::cell_area(
        terrawatt_raster::grid::WGS84_A,
        terrawatt_raster::grid::WGS84_F,
        d,
        18.0f64.to_radians(),
        18.00025f64.to_radians(),
    );
    let want = at18["geod_m2"].as_f64().unwrap();
    assert!((e / want - 1.0).abs() < 1e-6, "{e} vs {want}");
    let s = terrawatt_raster::grid::cell_area(
        terrawatt_raster::grid::WGS84_A,
        0.0,
        d,
        18.0f64.to_radians(),
        18.00025f64.to_radians(),
    );
    assert!((s / e - 1.00545).abs() < 1e-4, "{}", s / e);
}

#[test]
fn results_do_not_depend_on_threads_or_memory() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let run = |threads: usize, memory: u64, name: &str| {
        let mut s = settings(
            oscd_specs(&data, "imgs_1", Index::Nbr.bands()),
            oscd_specs(&data, "imgs_2", Index::Nbr.bands()),
            Method::Index(Index::Nbr),
            dir.path(),
        );
        s.difference = Difference::BeforeMinusAfter;
        s.threshold = Threshold::Otsu { bins: 256 };
        s.direction = Direction::Above;
        s.mmu = Some((change::Mmu::SquareMetres(2000.0), Connectivity::Eight));
        s.memory = memory;
        s.out = gtiff(dir.path(), name);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let rep = pool.install(|| change::run(&s, &no_progress)).unwrap();
        (
            hash_f32(&read_f32(&s.out.path, 1)),
            hash_f32(&read_f32(&s.out.path, 2)),
            serde_json::to_string(&rep.classes).unwrap(),
            rep.threshold,
        )
    };
    let one = run(1, 1 << 30, "one.tif");
    // a 2 MB budget: strips of a few rows, many batches
    let two = run(2, 2_000_000, "two.tif");
    assert_eq!(one, two);
}

#[test]
fn expressions_on_multi_band_and_float_rasters_equal_numpy() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let rgb = data.join("rasterio/RGB.byte.tif");
    let flt = data.join("rasterio/float_raster_with_nodata.tif");
    for (expr, bands, key) in [
        (
            "(b3 - b1) / (b3 + b1)",
            vec![
                BandSpec::new(&rgb, BandSel::Index(3)),
                BandSpec::new(&rgb, BandSel::Index(1)),
            ],
            "rgb_b3_b1_normalised_difference",
        ),
        (
            "b1 * 2.5 + 1",
            vec![BandSpec::new(&flt, BandSel::Index(1))],
            "float_b1_times_2_5_plus_1",
        ),
    ] {
        let out = gtiff(dir.path(), &format!("{key}.tif"));
        run_index(
            &Formula::Expr(index::Expr::parse(expr).unwrap()),
            &bands,
            &out,
            dir.path(),
        )
        .unwrap();
        check_stats(&read_f32(&out.path, 1), &f["rasterio"][key], key);
    }
}

/// NDVI as an expression over Sentinel-2's near infrared tagged with its scale (0.0001) and
/// red left in digital numbers: every pixel near −1. It is computed (an expression may mix
/// quantities on purpose) but warned of, naming the untagged band; the two bands as
/// shipped (neither tagged) give no warning.
#[test]
fn an_expression_over_a_tagged_and_an_untagged_band_is_warned() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s2 = data.join("mapme_vegetation/s2a");
    let b08 = s2.join("S2A_38PLR_20170503_0_L2A_B08.tif");
    let b04 = s2.join("S2A_38PLR_20170503_0_L2A_B04.tif");
    let tagged = dir.path().join("B08_scaled.tif");
    {
        let src = gdal::Dataset::open(&b08).unwrap();
        let driver = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
        let ds = src
            .create_copy(&driver, &tagged, &gdal::cpl::CslStringList::new())
            .unwrap();
        ds.rasterband(1).unwrap().set_scale(0.0001).unwrap();
    }
    let e = || Formula::Expr(index::Expr::parse("(n - r) / (n + r)").unwrap());
    let out = |name: &str| OutputSpec {
        path: dir.path().join(name),
        format: Format::GTiff,
        compression: Compression::Deflate,
        level: None,
    };
    let shipped = run_index(
        &e(),
        &[spec(b08, None), spec(b04.clone(), None)],
        &out("a.tif"),
        dir.path(),
    )
    .unwrap();
    assert!(shipped.warnings.is_empty(), "{:?}", shipped.warnings);
    assert!(shipped.mean > 0.0);
    let mixed = run_index(
        &e(),
        &[spec(tagged, None), spec(b04, None)],
        &out("b.tif"),
        dir.path(),
    )
    .unwrap();
    assert!(mixed.mean < -0.99, "{}", mixed.mean);
    let w = mixed.warnings.join("\n");
    assert!(
        w.contains("band r (")
            && w.contains("has no scale tag")
            && w.contains("gdal_edit.py -scale 0.0001"),
        "{w}"
    );
}
