//! Cost of the meter: a span's open + close, a RAPL read, and a 1-second task metered
//! against the same task bare. `cargo bench -p terrawatt-meter --bench span`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use terrawatt_meter::rapl::Rapl;
use terrawatt_meter::{Meter, MeterConfig};

fn model_meter() -> Meter {
    Meter::detect(&MeterConfig::model_only()).unwrap()
}

fn zone(root: &Path, dir: &str, name: &str) {
    let d = root.join(dir);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("name"), format!("{name}\n")).unwrap();
    std::fs::write(d.join("energy_uj"), "123456789\n").unwrap();
    std::fs::write(d.join("max_energy_range_uj"), "262143328850\n").unwrap();
}

/// About one second of single-threaded arithmetic.
fn one_second_of_work(iters: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..iters {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
    }
    x
}

fn spans(c: &mut Criterion) {
    let meter = model_meter();
    c.bench_function("span open+close (model)", |b| {
        b.iter(|| black_box(meter.span("bench").finish()))
    });
    c.bench_function("span with a nested phase (model)", |b| {
        b.iter(|| {
            let mut s = meter.span("task");
            s.phase("phase", |_| ());
            black_box(s.finish())
        })
    });

    let dir = tempfile::tempdir().unwrap();
    zone(dir.path(), "intel-rapl:0", "package-0");
    zone(dir.path(), "intel-rapl:0:2", "dram");
    zone(dir.path(), "intel-rapl:1", "package-1");
    zone(dir.path(), "intel-rapl:1:2", "dram");
    let rapl = Rapl::probe(dir.path()).unwrap();
    c.bench_function("RAPL read, 2 packages + 2 DRAM zones", |b| {
        b.iter(|| black_box(rapl.read().unwrap()))
    });
}

fn task_overhead(c: &mut Criterion) {
    // size the work to about one second on this machine
    let t0 = Instant::now();
    black_box(one_second_of_work(50_000_000));
    let per_iter = t0.elapsed().as_secs_f64() / 50_000_000.0;
    let iters = (1.0 / per_iter) as u64;
    let meter = model_meter();
    let mut g = c.benchmark_group("1 s task");
    g.sample_size(10).measurement_time(Duration::from_secs(12));
    g.bench_function("bare", |b| b.iter(|| black_box(one_second_of_work(iters))));
    g.bench_function("metered (task + 3 phases)", |b| {
        b.iter(|| {
            let mut s = meter.span("task");
            let x = s.phase("load", |_| 0u64);
            let y = s.phase("compute", |_| one_second_of_work(iters));
            s.phase("write", |_| ());
            black_box((x, y, s.finish()))
        })
    });
    g.finish();
}

criterion_group!(benches, spans, task_overhead);
criterion_main!(benches);
