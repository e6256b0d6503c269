//! Fit times of the baselines on the eemeter sample meters, the same work as the eemeter
//! side (`tools/reference/eemeter_baselines.py`, which times eemeter's fits): the CalTRACK daily grid search on a
//! 1 °F grid (30–90 °F) and on the default 3 °F grid over a 365-day baseline, and the hourly
//! TOWT fit (twelve month models) on a year of hourly data. Reading the files is outside the
//! timed part, as on the eemeter side.
//!
//! `cargo bench -p terrawatt-building --bench baselines` (skips with a notice without the
//! data).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use terrawatt_building::baseline::{self, FitSettings};
use terrawatt_building::caltrack::GridSettings;
use terrawatt_building::series::{Freq, Meter, MeterOptions, TempUnit, Temperature, parse_stamp};

fn data() -> Option<PathBuf> {
    let p = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../../../shared/data/building");
    if p.join("il-tempF.csv.gz").exists() {
        Some(p)
    } else {
        eprintln!("notice: skipping: reference data {} is absent", p.display());
        None
    }
}

fn t(s: &str) -> i64 {
    parse_stamp(s, None).unwrap().t
}

fn bench(c: &mut Criterion) {
    let Some(dir) = data() else {
        return;
    };
    let temp =
        Temperature::read(&dir.join("il-tempF.csv.gz"), TempUnit::F, None, None, None).unwrap();
    let (s, e) = (
        t("2015-12-27T00:00:00-06:00"),
        t("2016-12-26T00:00:00-06:00"),
    );
    let daily = Meter::read(
        &dir.join("il-electricity-cdd-only-daily.csv.gz"),
        Freq::Daily,
        &MeterOptions::default(),
    )
    .unwrap();
    let hourly = Meter::read(
        &dir.join("il-electricity-cdd-hdd-hourly.csv.gz"),
        Freq::Hourly,
        &MeterOptions::default(),
    )
    .unwrap();
    let mut g = c.benchmark_group("baselines");
    g.sample_size(20);
    for step in [1.0, 3.0] {
        let settings = FitSettings {
            grid: GridSettings {
                step,
                ..Default::default()
            },
            ..Default::default()
        };
        g.bench_function(format!("daily fit, {step} °F grid"), |b| {
            b.iter(|| {
                black_box(
                    baseline::fit(&daily, &temp, TempUnit::F, Some(s), Some(e), &settings).unwrap(),
                )
            })
        });
    }
    let settings = FitSettings::default();
    g.bench_function("hourly TOWT fit, one year", |b| {
        b.iter(|| {
            black_box(
                baseline::fit(&hourly, &temp, TempUnit::F, Some(s), Some(e), &settings).unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
