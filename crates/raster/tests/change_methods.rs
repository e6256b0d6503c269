//! Multi-band change methods (CVA with normalisation, IR-MAD), thresholds for rare change
//! and their checks (issue 20), against tools/reference/change_methods_reference.py
//! (numpy/scipy from Nielsen 2007, Kittler & Illingworth 1986, Bruzzone & Prieto 2000;
//! fixtures/change_methods_reference.json) on the OSCD Norcia pair, and on synthetic pairs
//! whose changed patch is known: after = gain × before + offset (+ change in the patch).

use std::path::Path;

use gdal::{DriverManager, Metadata as _};
use serde_json::Value;
use terrawatt_raster::change::{
    self, Checks, Direction, MadScale, Method, Mmu, Normalize, Threshold,
};
use terrawatt_raster::read::{BandSel, BandSpec};
use terrawatt_raster::sieve::Connectivity;
use terrawatt_raster::stats;

#[path = "../../meter/tests/common.rs"]
mod common;
mod support;
use support::gtiff;

fn fixture() -> Value {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/change_methods_reference.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The shared settings with change above the threshold and no check of the changed share.
fn settings(
    before: Vec<BandSpec>,
    after: Vec<BandSpec>,
    method: Method,
    dir: &Path,
) -> change::Settings {
    change::Settings {
        direction: Direction::Above,
        checks: Checks {
            max_change_share: None,
            ..Checks::default()
        },
        ..support::settings(before, after, method, dir)
    }
}

fn read_band(path: &Path, band: usize) -> Vec<f32> {
    let ds = gdal::Dataset::open(path).unwrap();
    let b = ds.rasterband(band).unwrap();
    b.read_band_as::<f32>().unwrap().into_shape_and_vec().1
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-300),
        "{what}: {got} vs {want} (rel {rel})"
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// The Norcia bands B02, B03, B04, B08 of a date, scale 1 (as the reference reads them).
fn norcia(data: &Path, date: &str) -> Vec<BandSpec> {
    let dir = data.join("oscd_norcia").join(date);
    ["B02", "B03", "B04", "B08"]
        .iter()
        .map(|b| {
            let p = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(&format!("_{b}.tif")))
                .unwrap();
            BandSpec::new(p, BandSel::Index(1))
        })
        .collect()
}

/// Valid count, sum and samples of a float32 output against a float64 reference's stats.
fn check_values(v: &[f32], want: &Value, rel: f64, what: &str) {
    let valid: Vec<f64> = v
        .iter()
        .filter(|x| !x.is_nan())
        .map(|x| *x as f64)
        .collect();
    assert_eq!(
        valid.len() as u64,
        want["valid"].as_u64().unwrap(),
        "{what}: valid"
    );
    close(
        valid.iter().sum(),
        f(&want["sum"]),
        rel,
        &format!("{what}: sum"),
    );
    let w = want["width"].as_u64().unwrap() as usize;
    for s in want["samples"].as_array().unwrap() {
        let (r, c) = (
            s[0].as_u64().unwrap() as usize,
            s[1].as_u64().unwrap() as usize,
        );
        close(
            v[r * w + c] as f64,
            f(&s[2]),
            rel,
            &format!("{what}: sample {r},{c}"),
        );
    }
    close(
        valid.iter().cloned().fold(f64::INFINITY, f64::min),
        f(&want["min"]),
        rel,
        what,
    );
    close(
        valid.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        f(&want["max"]),
        rel,
        what,
    );
}

#[test]
fn chi_square_equals_scipy() {
    let fx = fixture();
    let q = &fx["chi2_quantiles"];
    for (df, probs) in q["ppf"].as_object().unwrap() {
        let df: u32 = df.parse().unwrap();
        for (p, want) in probs.as_object().unwrap() {
            let p: f64 = p.parse().unwrap();
            close(
                stats::chi2_quantile(p, df),
                f(want),
                1e-12,
                &format!("ppf {p} df {df}"),
            );
        }
    }
    for c in q["cdf"].as_array().unwrap() {
        let (x, df) = (f(&c["x"]), c["df"].as_u64().unwrap() as u32);
        close(
            stats::chi2_cdf(x, df),
            f(&c["cdf"]),
            1e-13,
            &format!("cdf {x} {df}"),
        );
        close(
            stats::chi2_sf(x, df),
            f(&c["sf"]),
            1e-12,
            &format!("sf {x} {df}"),
        );
    }
}

/// IR-MAD equals the numpy implementation of Nielsen (2007) on Norcia: every iteration's
/// canonical correlations, the final statistic and the chi-square classes.
#[test]
fn irmad_equals_numpy_on_norcia() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let fx = fixture();
    let want = &fx["norcia"]["irmad"];
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(
        norcia(&data, "imgs_1"),
        norcia(&data, "imgs_2"),
        Method::Irmad {
            max_iterations: want["max_iterations"].as_u64().unwrap() as usize,
            tolerance: f(&want["tolerance"]),
            scale: MadScale::Canonical,
        },
        dir.path(),
    );
    s.threshold = Threshold::Chi2 { probability: 0.99 };
    let rep = change::run(&s, &|_, _| {}).unwrap();
    let m = rep.irmad.as_ref().unwrap();
    assert_eq!(m.iterations as u64, want["iterations"].as_u64().unwrap());
    assert_eq!(m.converged, want["converged"].as_bool().unwrap());
    for (it, (got, w)) in m
        .history
        .iter()
        .zip(want["rho_per_iteration"].as_array().unwrap())
        .enumerate()
    {
        for (g, w) in got.iter().zip(w.as_array().unwrap()) {
            close(*g, f(w), 1e-9, &format!("rho, iteration {}", it + 1));
        }
    }
    for (g, w) in m
        .correlations
        .iter()
        .zip(want["final"]["rho"].as_array().unwrap())
    {
        close(*g, f(w), 1e-9, "final rho");
    }
    close(
        m.no_change_weight,
        f(&want["final"]["sum_weights_used"]),
        1e-7,
        "weights",
    );
    let z = read_band(&s.out.path, 1);
    check_values(&z, &want["final"]["z"], 1e-6, "Z");
    // the chi-square classes: the quantile, and the pixels above it (a value within float32
    // rounding of the quantile could go either way)
    let q = &want["final"]["chi2"][1];
    close(
        rep.threshold.unwrap(),
        f(&q["quantile"]),
        1e-12,
        "chi2 0.99",
    );
    let changed = rep.classes.iter().find(|c| c.class == 1).unwrap().pixels as i64;
    assert!(
        (changed - q["count_above"].as_i64().unwrap()).abs() <= 2,
        "{changed}"
    );
    // 94 % of the pixels change under IR-MAD here (two seasons apart): the check says so
    assert!(rep.changed_share.unwrap() > 0.9);
}

/// Without the cap the iterations settle (215 at 1e-8, as numpy's), and the robust scale
/// (medians over every valid pixel here) equals numpy's medians.
#[test]
fn irmad_converges_and_its_robust_scale_equals_numpy() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let fx = fixture();
    let want = &fx["norcia"]["irmad"]["uncapped"];
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(
        norcia(&data, "imgs_1"),
        norcia(&data, "imgs_2"),
        Method::Irmad {
            max_iterations: 1000,
            tolerance: 1e-8,
            scale: MadScale::Robust,
        },
        dir.path(),
    );
    s.threshold = Threshold::Chi2 { probability: 0.99 };
    let rep = change::run(&s, &|_, _| {}).unwrap();
    let m = rep.irmad.unwrap();
    assert!(m.converged);
    assert_eq!(m.iterations as u64, want["iterations"].as_u64().unwrap());
    for (g, w) in m.correlations.iter().zip(want["rho"].as_array().unwrap()) {
        close(*g, f(w), 1e-9, "rho");
    }
    let r = &want["robust"];
    for k in 0..4 {
        close(
            m.mad_centre[k].abs(),
            f(&r["centre_abs"][k]),
            1e-7,
            "median",
        );
        close(m.mad_scale[k], f(&r["scale"][k]), 1e-7, "scale");
    }
    assert_eq!(m.robust_sample, Some(92_785));
    check_values(&read_band(&s.out.path, 1), &r["z"], 1e-6, "robust Z");
    let changed = rep.classes.iter().find(|c| c.class == 1).unwrap().pixels as i64;
    assert!((changed - r["chi2"][1]["count_above"].as_i64().unwrap()).abs() <= 2);
}

#[test]
fn standardised_and_zscore_cva_equal_numpy_on_norcia() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(
        norcia(&data, "imgs_1"),
        norcia(&data, "imgs_2"),
        Method::Cva { standardize: true },
        dir.path(),
    );
    let want = &fx["norcia"]["cva_standardised"];
    let rep = change::run(&s, &|_, _| {}).unwrap();
    for (k, (m, sd)) in rep.band_mean.iter().zip(&rep.band_std).enumerate() {
        close(*m, f(&want["mu"][k]), 1e-12, "mean difference");
        close(*sd, f(&want["sigma"][k]), 1e-12, "std of the difference");
    }
    check_values(
        &read_band(&s.out.path, 1),
        &want["magnitude"],
        1e-5,
        "standardised CVA",
    );
    // per-date z-scores
    s.method = Method::Cva { standardize: false };
    s.normalize = Normalize::Zscore;
    let want = &fx["norcia"]["cva_zscore"];
    let rep = change::run(&s, &|_, _| {}).unwrap();
    let n = rep.normalization.unwrap();
    for k in 0..4 {
        close(
            n.before[k].offset,
            f(&want["before"]["mean"][k]),
            1e-12,
            "mean",
        );
        close(
            1.0 / n.before[k].scale,
            f(&want["before"]["std"][k]),
            1e-12,
            "std",
        );
        close(
            n.after[k].offset,
            f(&want["after"]["mean"][k]),
            1e-12,
            "mean",
        );
        close(
            1.0 / n.after[k].scale,
            f(&want["after"]["std"][k]),
            1e-12,
            "std",
        );
    }
    check_values(
        &read_band(&s.out.path, 1),
        &want["magnitude"],
        1e-5,
        "z-score CVA",
    );
}

/// Kittler–Illingworth and EM on the same histograms as the reference: dNDVI (bit-identical
/// values, so the thresholds equal to the last digit) and the standardised CVA magnitude.
#[test]
fn rare_change_thresholds_equal_the_reference() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let fx = fixture();
    let t = &fx["norcia"]["thresholds"];
    let dir = tempfile::tempdir().unwrap();
    let nir_red = |date: &str| {
        let b = norcia(&data, date);
        vec![b[2].clone(), b[3].clone()]
    };
    let ndvi = terrawatt_raster::index::Index::Ndvi;
    // dNDVI: the roles of NDVI are red, nir
    assert_eq!(ndvi.bands(), ["red", "nir"]);
    let mut s = settings(
        nir_red("imgs_1"),
        nir_red("imgs_2"),
        Method::Index(ndvi),
        dir.path(),
    );
    s.direction = Direction::Below;
    let h = &t["dndvi"]["histograms"]["float32"];
    s.threshold = Threshold::KittlerIllingworth { bins: 256 };
    let rep = change::run(&s, &|_, _| {}).unwrap();
    assert_eq!(
        rep.threshold.unwrap(),
        f(&h["kittler_illingworth"]["threshold"])
    );
    let below = rep.classes.iter().find(|c| c.class == 1).unwrap().pixels;
    let valid = t["dndvi"]["values"]["valid"].as_u64().unwrap();
    assert_eq!(
        below,
        valid - h["above"]["kittler_illingworth"].as_u64().unwrap()
    );
    // EM finds no boundary between the means here: refused, naming the method
    std::fs::remove_file(&s.out.path).unwrap();
    s.threshold = Threshold::Em { bins: 256 };
    let e = change::run(&s, &|_, _| {}).unwrap_err().to_string();
    assert!(e.contains("EM") && e.contains("no single boundary"), "{e}");
    assert!(!s.out.path.exists());
    // Otsu's threshold is on the wrong side of zero for loss (below): a warning, or with
    // strict an error and no output
    s.threshold = Threshold::Otsu { bins: 256 };
    s.checks = Checks::default();
    let rep = change::run(&s, &|_, _| {}).unwrap();
    close(rep.threshold.unwrap(), f(&h["otsu_threshold"]), 0.0, "otsu");
    assert!(
        rep.warnings
            .iter()
            .any(|w| w.contains("wrong side of zero")),
        "{:?}",
        rep.warnings
    );
    assert!(
        rep.warnings
            .iter()
            .any(|w| w.contains("--max-change-share")),
        "{:?}",
        rep.warnings
    );
    std::fs::remove_file(&s.out.path).unwrap();
    s.checks.strict = true;
    let e = change::run(&s, &|_, _| {}).unwrap_err().to_string();
    assert!(
        e.contains("--strict") && e.contains("wrong side of zero"),
        "{e}"
    );
    assert!(!s.out.path.exists(), "a refused run leaves no output");

    // the standardised CVA magnitude (float32 here, float64 cast to float32 there: a pixel
    // may sit one float32 step apart, so the thresholds agree to a fraction of a bin)
    let mut s = settings(
        norcia(&data, "imgs_1"),
        norcia(&data, "imgs_2"),
        Method::Cva { standardize: true },
        dir.path(),
    );
    let h = &t["cva_standardised_magnitude"]["histograms"]["float32"];
    let bin = f(&h["bin_width"]);
    s.threshold = Threshold::KittlerIllingworth { bins: 256 };
    let rep = change::run(&s, &|_, _| {}).unwrap();
    close(
        rep.threshold.unwrap(),
        f(&h["kittler_illingworth"]["threshold"]),
        1e-6,
        "KI",
    );
    s.threshold = Threshold::Em { bins: 256 };
    let rep = change::run(&s, &|_, _| {}).unwrap();
    assert!((rep.threshold.unwrap() - f(&h["em"]["threshold"])).abs() < 1e-3 * bin);
    let Some(change::ThresholdFit::Mixture(mix)) = rep.threshold_fit else {
        panic!("the mixture is reported")
    };
    assert_eq!(
        mix.iterations as u64,
        h["em"]["iterations"].as_u64().unwrap()
    );
    let changed = rep.classes.iter().find(|c| c.class == 1).unwrap().pixels as i64;
    assert!(
        (changed - h["above"]["em"].as_i64().unwrap()).abs() <= 3,
        "{changed}"
    );
}

// ---------------------------------------------------------------- known truth

const W: usize = 120;
const H: usize = 100;
/// The changed patch: rows 40..70, columns 50..80 (900 pixels).
fn in_patch(r: usize, c: usize) -> bool {
    (40..70).contains(&r) && (50..80).contains(&c)
}

/// A smooth deterministic texture per band with a little pixel noise (hash-based).
fn texture(band: usize, r: usize, c: usize, salt: u64) -> f64 {
    let x = c as f64 / W as f64;
    let y = r as f64 / H as f64;
    let base = 500.0
        + 300.0 * ((band as f64 + 1.0) * 3.1 * x + 2.0 * y).sin()
        + 200.0 * ((band as f64 + 2.0) * 2.3 * y - 1.7 * x).cos()
        + 150.0 * (9.0 * x * y + band as f64).sin();
    // sensor noise: the sum of four uniforms from splitmix64's finaliser (near-Gaussian,
    // sd ≈ 5.8), independent between bands and dates
    let mut noise = 0.0;
    for k in 0..4u64 {
        let mut z = (((r * W + c) as u64) << 16 | (band as u64) << 8 | k) ^ (salt << 40);
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        noise += (z >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    }
    base + 20.0 * noise
}

/// Writes a 4-band Float32 GeoTIFF (UTM 33N, 10 m) of `f(band, row, col)`.
fn write_stack(path: &Path, f: &dyn Fn(usize, usize, usize) -> f64) {
    let drv = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = drv.create_with_band_type::<f32, _>(path, W, H, 4).unwrap();
    ds.set_geo_transform(&[500_000.0, 10.0, 0.0, 4_700_000.0, 0.0, -10.0])
        .unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(32633).unwrap())
        .unwrap();
    for b in 0..4 {
        let mut band = ds.rasterband(b + 1).unwrap();
        let v: Vec<f32> = (0..H * W).map(|p| f(b, p / W, p % W) as f32).collect();
        let mut buf = gdal::raster::Buffer::new((W, H), v);
        band.write((0, 0), (W, H), &mut buf).unwrap();
        band.set_description(&format!("b{}", b + 1)).unwrap();
    }
}

/// Precision, recall and F1 of the change class against the patch.
fn f1(classes: &[f32]) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (p, c) in classes.iter().enumerate() {
        let (r, col) = (p / W, p % W);
        match (*c == 1.0, in_patch(r, col)) {
            (true, true) => tp += 1.0,
            (true, false) => fp += 1.0,
            (false, true) => fn_ += 1.0,
            _ => {}
        }
    }
    let (pr, re) = (tp / (tp + fp), tp / (tp + fn_));
    (pr, re, 2.0 * pr * re / (pr + re))
}

fn stack_specs(path: &Path) -> Vec<BandSpec> {
    (1..=4)
        .map(|b| BandSpec::new(path, BandSel::Index(b)))
        .collect()
}

/// The change vector added to the after date in the known patch, per band.
const CHANGE: [f64; 4] = [120.0, -90.0, 150.0, -200.0];

/// The before date of the known-truth pairs: the texture of salt 1, written to `dir/name`.
fn textured_before(dir: &Path, name: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    write_stack(&p, &|b, r, c| texture(b, r, c, 1));
    p
}

/// A pair whose after date is a per-band gain and offset of the before date (another sensor
/// calibration, another sun angle) plus a change vector in a known patch. Every
/// radiometrically invariant method finds the patch, for several gains and offsets; plain
/// and merely centred CVA do not.
#[test]
fn invariant_methods_find_a_known_patch_whatever_the_gain() {
    let dir = tempfile::tempdir().unwrap();
    let before = textured_before(dir.path(), "before.tif");
    for (case, (gain, offset)) in [
        ([1.3, 0.7, 1.1, 1.8], [-40.0, 60.0, 0.0, -150.0]),
        ([0.5, 0.6, 0.8, 2.5], [300.0, 250.0, -120.0, 90.0]),
    ]
    .into_iter()
    .enumerate()
    {
        let after = dir.path().join(format!("after{case}.tif"));
        write_stack(&after, &|b, r, c| {
            let v = gain[b] * texture(b, r, c, 2) + offset[b];
            if in_patch(r, c) { v + CHANGE[b] } else { v }
        });
        let run = |method: Method, normalize: Normalize, threshold: Threshold| {
            let mut s = settings(
                stack_specs(&before),
                stack_specs(&after),
                method,
                dir.path(),
            );
            s.normalize = normalize;
            s.threshold = threshold;
            let rep = change::run(&s, &|_, _| {}).unwrap();
            (f1(&read_band(&s.out.path, 2)), rep)
        };
        let cva = Method::Cva { standardize: false };
        let irmad = Method::Irmad {
            max_iterations: 100,
            tolerance: 1e-6,
            scale: MadScale::Robust,
        };
        let ki = Threshold::KittlerIllingworth { bins: 256 };
        let otsu = Threshold::Otsu { bins: 256 };
        // the failure without normalisation: the texture's gain swamps the change
        let ((_, _, plain), _) = run(cva.clone(), Normalize::None, otsu);
        let ((_, _, centred), _) = run(Method::Cva { standardize: true }, Normalize::None, otsu);
        assert!(
            plain < 0.5 && centred < 0.5,
            "case {case}: plain {plain}, centred {centred}"
        );
        let ((_, _, z), _) = run(cva.clone(), Normalize::Zscore, ki);
        let ((_, _, pif), rep) = run(cva.clone(), Normalize::Pif, ki);
        let ((_, _, hist), _) = run(cva.clone(), Normalize::Histogram, ki);
        let ((_, _, mad), mrep) = run(
            irmad.clone(),
            Normalize::None,
            Threshold::Chi2 { probability: 0.99 },
        );
        let ((_, _, mad_ki), _) = run(irmad, Normalize::None, ki);
        for (name, v) in [
            ("zscore", z),
            ("pif", pif),
            ("histogram", hist),
            ("irmad chi2", mad),
            ("irmad ki", mad_ki),
        ] {
            assert!(v > 0.9, "case {case}: {name} F1 {v}");
        }
        // PIF recovers the calibration: the after band mapped onto before has slope 1/gain
        let n = rep.normalization.unwrap();
        for (k, (map, g)) in n.after.iter().zip(gain).enumerate() {
            close(map.scale, 1.0 / g, 0.02, &format!("PIF slope {k}"));
        }
        assert!(mrep.irmad.unwrap().converged);
    }
}

/// Change vectors over dates on different scales (digital numbers against reflectance, a
/// percentage against a fraction) are every bright pixel: refused without a normalisation,
/// naming both files; a normalisation finds the patch. So is a band's difference given as
/// an expression, while a normalised difference passes. A date 16 times brighter (snow) is
/// not taken for another scale.
#[test]
fn change_vectors_over_dates_on_different_scales_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let before = textured_before(dir.path(), "before_dn.tif");
    let cva = Method::Cva { standardize: false };
    for (name, factor) in [("after_reflectance.tif", 1e-4), ("after_percent.tif", 1e-2)] {
        let after = dir.path().join(name);
        write_stack(&after, &|b, r, c| {
            let v = texture(b, r, c, 2) + if in_patch(r, c) { CHANGE[b] } else { 0.0 };
            v * factor
        });
        for standardize in [false, true] {
            let s = settings(
                stack_specs(&before),
                stack_specs(&after),
                Method::Cva { standardize },
                dir.path(),
            );
            let err = change::run(&s, &|_, _| {}).unwrap_err().to_string();
            assert!(
                err.contains("before_dn.tif band 1")
                    && err.contains(&format!("{name} band 1"))
                    && err.contains("different scales")
                    && err.contains("--normalize"),
                "{err}"
            );
            assert!(!s.out.path.exists(), "no output after a refusal");
        }
        let mut s = settings(
            stack_specs(&before),
            stack_specs(&after),
            cva.clone(),
            dir.path(),
        );
        s.normalize = Normalize::Zscore;
        s.threshold = Threshold::KittlerIllingworth { bins: 256 };
        change::run(&s, &|_, _| {}).unwrap();
        let (_, _, f) = f1(&read_band(&s.out.path, 2));
        assert!(f > 0.9, "{name} with zscore: F1 {f}");
        std::fs::remove_file(&s.out.path).unwrap();
    }
    // a band's difference over the same pair (an expression): refused; a normalised
    // difference is alike on any scale and passes
    let two = |p: &Path| {
        vec![
            BandSpec::new(p, BandSel::Index(1)),
            BandSpec::new(p, BandSel::Index(4)),
        ]
    };
    let after = dir.path().join("after_reflectance.tif");
    let expr = |t: &str| Method::Expr(terrawatt_raster::index::Expr::parse(t).unwrap());
    let mut s = settings(two(&before), two(&after), expr("b1"), dir.path());
    s.threshold = Threshold::Fixed { value: 0.5 };
    let err = change::run(&s, &|_, _| {}).unwrap_err().to_string();
    assert!(
        err.contains("expression b1")
            && err.contains("before_dn.tif band 1, ")
            && err.contains("different scales"),
        "{err}"
    );
    assert!(!s.out.path.exists(), "no output after a refusal");
    s.method = expr("(b2-b1)/(b2+b1)");
    change::run(&s, &|_, _| {}).unwrap();
    std::fs::remove_file(&s.out.path).unwrap();
    let snow = dir.path().join("after_snow.tif");
    write_stack(&snow, &|b, r, c| 16.0 * texture(b, r, c, 2));
    let s = settings(stack_specs(&before), stack_specs(&snow), cva, dir.path());
    change::run(&s, &|_, _| {}).unwrap();
}

#[test]
fn mmu_in_pixels_without_a_crs_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let mk = |name: &str, f: &dyn Fn(usize, usize) -> f32| {
        let p = dir.path().join(name);
        let drv = DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = drv.create_with_band_type::<f32, _>(&p, 20, 20, 1).unwrap();
        ds.set_geo_transform(&[0.0, 1.0, 0.0, 0.0, 0.0, -1.0])
            .unwrap();
        let v: Vec<f32> = (0..400).map(|p| f(p / 20, p % 20)).collect();
        let mut buf = gdal::raster::Buffer::new((20, 20), v);
        ds.rasterband(1)
            .unwrap()
            .write((0, 0), (20, 20), &mut buf)
            .unwrap();
        p
    };
    // a 3-pixel speck and a 16-pixel block of change; no CRS
    let b = mk("b.tif", &|_, _| 0.0);
    let a = mk("a.tif", &|r, c| {
        if (r == 2 && c < 3) || ((10..14).contains(&r) && (10..14).contains(&c)) {
            5.0
        } else {
            0.0
        }
    });
    let e = terrawatt_raster::index::Expr::parse("b1").unwrap();
    let mut s = settings(
        vec![BandSpec::new(&b, BandSel::Index(1))],
        vec![BandSpec::new(&a, BandSel::Index(1))],
        Method::Expr(e),
        dir.path(),
    );
    s.threshold = Threshold::Fixed { value: 1.0 };
    s.mmu = Some((Mmu::SquareMetres(5.0), Connectivity::Four));
    let err = change::run(&s, &|_, _| {}).unwrap_err().to_string();
    assert!(err.contains("no CRS") && err.contains("5px"), "{err}");
    s.mmu = Some((Mmu::Pixels(5), Connectivity::Four));
    let rep = change::run(&s, &|_, _| {}).unwrap();
    let m = rep.mmu.unwrap();
    assert_eq!(
        (m.patches_removed, m.pixels_changed, m.pixels),
        (1, 3, Some(5))
    );
    assert_eq!(
        rep.classes.iter().find(|c| c.class == 1).unwrap().pixels,
        16
    );
    // refusals before any pixel: normalisation of an index, chi2 without IR-MAD
    s.normalize = Normalize::Zscore;
    assert!(
        change::run(&s, &|_, _| {})
            .unwrap_err()
            .to_string()
            .contains("--normalize")
    );
    s.normalize = Normalize::None;
    s.threshold = Threshold::Chi2 { probability: 0.99 };
    assert!(
        change::run(&s, &|_, _| {})
            .unwrap_err()
            .to_string()
            .contains("irmad")
    );
}

/// Thread counts do not change IR-MAD (sums per row, rows in order).
#[test]
fn irmad_is_the_same_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.tif");
    let after = dir.path().join("after.tif");
    write_stack(&before, &|b, r, c| texture(b, r, c, 5));
    write_stack(&after, &|b, r, c| {
        0.9 * texture(b, r, c, 6) + if in_patch(r, c) { 80.0 } else { 0.0 }
    });
    let run = |threads: usize, name: &str| -> (Vec<f32>, Vec<f64>) {
        let mut s = settings(
            stack_specs(&before),
            stack_specs(&after),
            Method::Irmad {
                max_iterations: 30,
                tolerance: 1e-9,
                scale: MadScale::Robust,
            },
            dir.path(),
        );
        s.out = gtiff(dir.path(), name);
        s.memory = 200_000; // many small strips
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let rep = pool.install(|| change::run(&s, &|_, _| {})).unwrap();
        (read_band(&s.out.path, 1), rep.irmad.unwrap().correlations)
    };
    let (z1, r1) = run(1, "one.tif");
    let (z2, r2) = run(2, "two.tif");
    assert_eq!(r1, r2);
    assert!(z1.iter().zip(&z2).all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// A pair with no change at all (another gain and offset per band, independent noise): with
/// the robust scale the chi-square 0.99 quantile flags about 1 % of the pixels, as a
/// calibrated test should; Nielsen's canonical scale shrinks with the weights and flags
/// several times more — why robust is the default.
#[test]
fn irmad_chi_square_is_calibrated_on_unchanged_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.tif");
    let after = dir.path().join("after.tif");
    write_stack(&before, &|b, r, c| texture(b, r, c, 11));
    write_stack(&after, &|b, r, c| {
        [1.2, 0.8, 1.5, 0.9][b] * texture(b, r, c, 12) + 25.0
    });
    let share = |scale: MadScale| {
        let mut s = settings(
            stack_specs(&before),
            stack_specs(&after),
            Method::Irmad {
                max_iterations: 100,
                tolerance: 1e-6,
                scale,
            },
            dir.path(),
        );
        s.threshold = Threshold::Chi2 { probability: 0.99 };
        change::run(&s, &|_, _| {}).unwrap().changed_share.unwrap()
    };
    let robust = share(MadScale::Robust);
    let canonical = share(MadScale::Canonical);
    assert!((0.004..0.02).contains(&robust), "robust {robust}");
    assert!(canonical > 0.1, "canonical {canonical}");
}

/// Non-finite band values (inf, −inf from an overflow on write) are missing and counted, as
/// NaN is: they never reach IR-MAD's covariances or a change value (issue 18's policy).
#[test]
fn infinite_band_values_are_missing_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.tif");
    let after = dir.path().join("after.tif");
    let clean = dir.path().join("clean.tif");
    write_stack(&before, &|b, r, c| texture(b, r, c, 21));
    let after_value = |b: usize, r: usize, c: usize| {
        0.9 * texture(b, r, c, 22) + if in_patch(r, c) { 90.0 } else { 0.0 }
    };
    write_stack(&clean, &after_value);
    write_stack(&after, &|b, r, c| match (b, r, c) {
        (1, 3, 4) => f64::INFINITY,
        (2, 7, 9) => f64::NEG_INFINITY,
        _ => after_value(b, r, c),
    });
    let run = |after: &Path, name: &str| {
        let mut s = settings(
            stack_specs(&before),
            stack_specs(after),
            Method::Irmad {
                max_iterations: 50,
                tolerance: 1e-6,
                scale: MadScale::Robust,
            },
            dir.path(),
        );
        s.out = gtiff(dir.path(), name);
        let rep = change::run(&s, &|_, _| {}).unwrap();
        (rep, read_band(&s.out.path, 1))
    };
    let (rep, z) = run(&after, "inf.tif");
    let (clean_rep, clean_z) = run(&clean, "clean.tif");
    assert_eq!(rep.nodata, 2);
    assert!(z[3 * W + 4].is_nan() && z[7 * W + 9].is_nan());
    assert!(
        rep.irmad
            .as_ref()
            .unwrap()
            .correlations
            .iter()
            .all(|r| r.is_finite())
    );
    // two pixels fewer move the statistics only slightly
    assert_eq!(clean_rep.nodata, 0);
    let changed =
        |r: &change::Report| r.classes.iter().find(|c| c.class == 1).unwrap().pixels as i64;
    assert!((changed(&rep) - changed(&clean_rep)).abs() <= 10);
    assert!(
        z.iter()
            .zip(&clean_z)
            .filter(|(a, _)| a.is_finite())
            .count()
            == W * H - 2
    );
}
