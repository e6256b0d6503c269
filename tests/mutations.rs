//! Property tests of the readers of user files (issue 18): from a valid sample of each
//! format, seeded mutations — truncation at any byte, byte flips, blank lines inserted,
//! a number made `inf` or `1e400` — and every reader must return a value or an error, never
//! panic. Each reader gets the same bounded number of cases from a splitmix64 stream seeded
//! with its name, so a failure reproduces.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

mod support;
use support::samples;

const CASES: u64 = 120;

struct Rng(u64);

impl Rng {
    fn seeded(name: &str) -> Rng {
        Rng(name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        }))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `base`.
fn mutate(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = base.to_vec();
    match rng.below(5) {
        0 => b.truncate(rng.below(b.len())),
        1 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        2 => {
            let i = rng.below(b.len());
            b.splice(i..i, b"\n\n  \n".iter().copied());
        }
        3 | 4 => {
            // a number somewhere becomes inf or 1e400
            let digits: Vec<usize> = (0..b.len()).filter(|&i| b[i].is_ascii_digit()).collect();
            if !digits.is_empty() {
                let i = digits[rng.below(digits.len())];
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                    j += 1;
                }
                let with: &[u8] = if rng.below(2) == 0 { b"inf" } else { b"1e400" };
                b.splice(i..j, with.iter().copied());
            }
        }
        _ => unreachable!(),
    }
    b
}

/// Runs `read` on `CASES` mutations of `base` written to `name` in a temp folder.
fn never_panics(name: &str, base: &[u8], read: impl Fn(&Path) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let mut rng = Rng::seeded(name);
    let (mut ok, mut refused) = (0, 0);
    for case in 0..CASES {
        let bytes = mutate(base, &mut rng);
        std::fs::write(&path, &bytes).unwrap();
        match catch_unwind(AssertUnwindSafe(|| read(&path))) {
            Ok(true) => ok += 1,
            Ok(false) => refused += 1,
            Err(_) => {
                let keep = std::env::temp_dir().join(format!("terrawatt-panic-{name}"));
                let _ = std::fs::write(&keep, &bytes);
                panic!(
                    "{name}: case {case} panicked (the input is kept in {})",
                    keep.display()
                );
            }
        }
    }
    assert_eq!(ok + refused, CASES);
}

fn first_bytes(path: &Path, n: usize) -> Vec<u8> {
    let b = std::fs::read(path).unwrap();
    b[..b.len().min(n)].to_vec()
}

#[test]
fn table_reader() {
    let base = first_bytes(&samples().join("buildings.csv"), 6000);
    never_panics("buildings.csv", &base, |p| {
        terrawatt_table::Table::read(p).is_ok_and(|t| {
            t.column_names()
                .iter()
                .all(|c| t.numeric(c).is_ok() || t.strings(c).is_ok())
        })
    });
}

#[test]
fn weather_readers() {
    let base = std::fs::read(samples().join("weather-sample.csv")).unwrap();
    never_panics("pvgis.csv", &base, |p| {
        terrawatt_solar::weather::read_auto(p, 1990).is_ok()
    });
    let wind = std::fs::read(samples().join("wind-weather-sample.csv")).unwrap();
    never_panics("wind.csv", &wind[..wind.len().min(20_000)], |p| {
        terrawatt_wind::weather::WindWeather::read(p).is_ok()
    });
}

#[test]
fn meter_and_temperature_readers() {
    use terrawatt_building::series::{Freq, Meter, MeterOptions, TempUnit, Temperature};
    let base = std::fs::read(samples().join("meter-daily.csv")).unwrap();
    never_panics("meter.csv", &base, |p| {
        Meter::read(p, Freq::Daily, &MeterOptions::default()).is_ok()
    });
    let temp = b"dt,tempF\n2024-01-01T00:00:00-06:00,18.3\n2024-01-01T01:00:00-06:00,16.7\n2024-01-01T02:00:00-06:00,15.0\n".to_vec();
    never_panics("temperature.csv", &temp, |p| {
        Temperature::read(p, TempUnit::F, None, None, None).is_ok()
    });
}

#[test]
fn intensity_and_calibration_and_model_files() {
    let series = std::fs::read(samples().join("grid-intensity-hourly.csv")).unwrap();
    never_panics("intensity.csv", &series[..series.len().min(4000)], |p| {
        terrawatt_meter::hourly::IntensitySeries::load(p, false).is_ok()
    });
    let cal = br#"{"cpu_model":"Intel(R) Xeon(R) Processor","w_per_core":9.25,"idle_w":20.0,"r2":0.998,"points":[[1.0,29.2],[2.0,38.5]],"created":"2026-11-28T12:00:00Z"}"#;
    never_panics("calibration.json", cal, |p| {
        terrawatt_meter::Calibration::load(p).is_ok()
    });
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_terrawatt"))
        .args(support::FIT_OLS)
        .args([
            samples().join("buildings.csv").to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let saved = std::fs::read(&model).unwrap();
    never_panics("model.json", &saved, |p| {
        terrawatt_learn::persist::SavedModel::load(p).is_ok()
    });
}

#[path = "../crates/meter/tests/common.rs"]
mod common;

#[test]
fn reference_weather_formats() {
    // TMY3, TMY2, PSM3 and a PVGIS download from the reference data (skipped with a notice
    // where it is absent, as in a fresh clone)
    let Some(solar) = common::reference_data("solar") else {
        return;
    };
    for (file, limit) in [
        ("723170TYA.CSV", 60_000),
        ("12839.tm2", 60_000),
        ("test_psm3_2017.csv", 60_000),
        ("tmy_45.000_8.000_2005_2023.csv", 60_000),
    ] {
        let base = first_bytes(&solar.join(file), limit);
        never_panics(file, &base, |p| {
            terrawatt_solar::weather::read_auto(p, 1990).is_ok()
        });
    }
}

#[test]
fn plan_files_and_task_reports() {
    // a real plan's manifest (Parquet) and one task's report
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    support::sample_plan::plan_sample_change(&run);
    let manifest = std::fs::read(run.join("manifest.parquet")).unwrap();
    never_panics("manifest.parquet", &manifest, |p| {
        terrawatt_scale::manifest::read(p).is_ok()
    });
    support::sample_plan::run_task(&run, 0);
    let report = std::fs::read(run.join("reports/task-00000.json")).unwrap();
    never_panics("task-00000.json", &report, |p| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| terrawatt_scale::energy::TaskEnergy::of_report(0, &v).is_ok())
    });
}

#[test]
fn system_and_farm_files_through_the_command() {
    // the TOML descriptions are read by the commands: a bounded number of mutations each,
    // every one a result or an error with the energy line, never a panic
    let weather = samples().join("weather-sample.csv");
    let system =
        b"[array]\nkwp = 5.0\ntilt = 30\nazimuth = 180\n\n[losses]\nsoiling = 2.0\n".to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("system.toml");
    let mut rng = Rng::seeded("system.toml");
    for case in 0..40 {
        std::fs::write(&path, mutate(&system, &mut rng)).unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_terrawatt"))
            .args([
                "solar",
                "simulate",
                "--weather",
                weather.to_str().unwrap(),
                "--system",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.code().is_some() && !e.contains("panicked"),
            "system.toml case {case}: {e}"
        );
        assert!(
            e.lines().last().unwrap_or("").starts_with("energy "),
            "system.toml case {case}: {e}"
        );
    }
}

#[test]
fn turbine_library_power_curves() {
    // the OEDB power-curve table (reference data) and a single-curve CSV
    let Some(wind) = common::reference_data("wind") else {
        return;
    };
    let base = first_bytes(&wind.join("power_curves.csv"), 40_000);
    never_panics("power_curves.csv", &base, |p| {
        terrawatt_wind::turbine::oedb_power_curve(p, "E-126/4200").is_ok()
    });
    let curve =
        b"wind_speed,value\n0,0\n3,0\n4,66000\n8,1700000\n12,3000000\n25,3000000\n".to_vec();
    never_panics("curve.csv", &curve, |p| {
        terrawatt_wind::turbine::csv_power_curve(p).is_ok()
    });
}
