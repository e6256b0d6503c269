//! Helpers shared by the integration tests: the binary with the user's own settings
//! removed from its environment, its output as text, the energy-line check, and a real
//! planned run of the sample scenes ([`sample_plan`]).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod sample_plan;

/// Settings a user's shell may hold that would change what a test sees.
const USER_ENV: [&str; 6] = [
    "TERRAWATT_COUNTRY",
    "TERRAWATT_CPU_W_PER_CORE",
    "TERRAWATT_POWER_MODEL",
    "TERRAWATT_TURBINE_LIBRARY",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_CPUS_PER_TASK",
];

/// The `terrawatt` binary, ready for arguments.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_terrawatt"));
    for v in USER_ENV {
        c.env_remove(v);
    }
    c
}

/// Runs `terrawatt args…`.
pub fn terrawatt(args: &[&str]) -> Output {
    command().args(args).output().expect("the binary runs")
}

/// Runs `terrawatt args…` of owned arguments.
pub fn terrawatt_strings(args: &[String]) -> Output {
    terrawatt(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The arguments as owned strings.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs the binary with `args`, which must succeed; its standard output.
pub fn succeeds(args: &[&str]) -> String {
    let o = terrawatt(args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The last stderr line is the energy line, with its method and band.
pub fn assert_energy_line(o: &Output) {
    let err = stderr(o);
    let last = err.lines().last().unwrap_or("");
    assert!(last.starts_with("energy "), "no energy line last: {err}");
    assert!(last.contains("gCO2e @ "), "{last}");
    assert!(
        ["estimate ±", "estimate −", "measured ±"]
            .iter()
            .any(|k| last.contains(k)),
        "the figure must say how it was obtained: {last}"
    );
}

/// Runs `args` and expects a failure: each of `expect` on stderr, the energy line printed
/// all the same, and no `out`.
pub fn fails(args: &[&str], out: &Path, expect: &[&str]) {
    refused(&terrawatt(args), out, expect);
}

/// A run refused: a non-zero exit, each of `expect` in its stderr, the energy line
/// printed, and no `out` written.
pub fn refused(o: &Output, out: &Path, expect: &[&str]) {
    let e = stderr(o);
    assert!(!o.status.success(), "should fail: {e}");
    for x in expect {
        assert!(e.contains(x), "'{x}' not in: {e}");
    }
    assert!(e.contains("energy "), "the energy line is printed: {e}");
    assert!(!out.exists(), "no output on failure");
}

/// Asserts band 1 of two rasters equal, value for value, to 1e-5 (missing where the other
/// is missing).
pub fn same_band(a: &Path, b: &Path) {
    for (x, y) in band_values(a, 1).iter().zip(band_values(b, 1)) {
        assert!(
            (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-5,
            "{x} against {y}"
        );
    }
}

/// The names of the files in `dir` that `keep` takes.
pub fn file_names(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| keep(n))
        .collect()
}

/// The sample data of notebooks-data/, in the package folder as cargo gives it at run time
/// (not the one this binary was built in).
pub fn samples() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("notebooks-data")
}

/// A quick building fit: ordinary least squares of the heating load (the cooling load left
/// out); `--data` comes next.
/// NREL PVDAQ system 50 (Golden, CO) as a forecast's PV site: the array of its metadata.
pub const SYSTEM_50_SITE: [&str; 10] = [
    "--site-lat",
    "39.7406",
    "--site-lon",
    "-105.1775",
    "--site-elevation",
    "1730",
    "--tilt",
    "45",
    "--azimuth",
    "158",
];

pub const FIT_OLS: [&str; 9] = [
    "building",
    "fit",
    "--target",
    "heating_kwh_m2",
    "--exclude",
    "cooling_kwh_m2",
    "--model",
    "ols",
    "--data",
];

/// A folder `meters` in `dir` holding two of eemeter's Illinois sample meters from `data`:
/// gas (HDD only) and electricity (CDD only), daily.
pub fn illinois_meters(data: &Path, dir: &Path) -> PathBuf {
    let folder = dir.join("meters");
    std::fs::create_dir(&folder).unwrap();
    for f in [
        "il-gas-hdd-only-daily.csv.gz",
        "il-electricity-cdd-only-daily.csv.gz",
    ] {
        std::fs::copy(data.join(f), folder.join(f)).unwrap();
    }
    folder
}

/// The daily CalTRACK window of eemeter's Illinois samples in `data`: their temperature
/// (°F), the baseline 2015-12-27 to 2016-12-26, the reporting period 2017-01-04 to
/// 2018-01-04.
pub fn illinois_daily(data: &Path) -> Vec<String> {
    [
        "--temperature",
        s(&data.join("il-tempF.csv.gz")),
        "--temperature-unit",
        "F",
        "--freq",
        "daily",
        "--baseline-start",
        "2015-12-27",
        "--baseline-end",
        "2016-12-26",
        "--start",
        "2017-01-04",
        "--end",
        "2018-01-04",
    ]
    .map(String::from)
    .to_vec()
}

/// `base` followed by `extra`.
pub fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = base.to_vec();
    a.extend_from_slice(extra);
    a
}

/// A copy of the GeoTIFF `src` at `out` with `f` applied to its first band's valid values
/// (not nodata, not 0, a fill).
pub fn copy_with(src: &Path, out: &Path, f: impl Fn(f64) -> f64) {
    let gtiff = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let copy = gdal::Dataset::open(src)
        .unwrap()
        .create_copy(&gtiff, out, &Default::default())
        .unwrap();
    let mut b = copy.rasterband(1).unwrap();
    let nd = b.no_data_value();
    let (w, h) = copy.raster_size();
    let mut v = b.read_as::<f64>((0, 0), (w, h), (w, h), None).unwrap();
    for x in v.data_mut() {
        if Some(*x) != nd && *x != 0.0 {
            *x = f(*x);
        }
    }
    b.write((0, 0), (w, h), &mut v).unwrap();
}

/// A one-band GeoTIFF at `out` on `src`'s grid (its size, transform and CRS, no nodata
/// declared) whose values are `f` of each of `src`'s first band's, read as `T`, row by row
/// with their index.
pub fn write_like<T: gdal::raster::GdalType + Copy>(
    src: &Path,
    out: &Path,
    f: impl Fn(usize, T) -> T,
) {
    let src = gdal::Dataset::open(src).unwrap();
    let (w, h) = src.raster_size();
    let mut v = src
        .rasterband(1)
        .unwrap()
        .read_as::<T>((0, 0), (w, h), (w, h), None)
        .unwrap();
    for (i, x) in v.data_mut().iter_mut().enumerate() {
        *x = f(i, *x);
    }
    let gtiff = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = gtiff.create_with_band_type::<T, _>(out, w, h, 1).unwrap();
    ds.set_geo_transform(&src.geo_transform().unwrap()).unwrap();
    ds.set_projection(&src.projection()).unwrap();
    ds.rasterband(1)
        .unwrap()
        .write((0, 0), (w, h), &mut v)
        .unwrap();
}

/// A copy of the GeoTIFF `src` at `out` whose bands declare no nodata value (their fill
/// left as it is).
pub fn without_nodata(src: &Path, out: &Path) {
    let gtiff = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let copy = gdal::Dataset::open(src)
        .unwrap()
        .create_copy(&gtiff, out, &Default::default())
        .unwrap();
    for i in 1..=copy.raster_count() {
        copy.rasterband(i).unwrap().set_no_data_value(None).unwrap();
    }
}

/// A copy of a Sentinel-2 L2A band (digital numbers 10,000·ρ, before processing baseline
/// 04.00) as Landsat Collection 2 Level-2 stores the same reflectance: (ρ + 0.2) /
/// 0.0000275, rounded; 0 (a fill) and nodata stay.
pub fn as_landsat_c2(src: &Path, out: &Path) {
    copy_with(src, out, |x| ((x * 0.0001 + 0.2) / 0.0000275).round());
}

/// Every value of band `band` of a raster, row by row, as read (nodata not masked).
pub fn band_values(p: &Path, band: usize) -> Vec<f64> {
    let ds = gdal::Dataset::open(p).unwrap();
    let (w, h) = ds.raster_size();
    let b = ds.rasterband(band).unwrap();
    b.read_as::<f64>((0, 0), (w, h), (w, h), None)
        .unwrap()
        .data()
        .to_vec()
}
