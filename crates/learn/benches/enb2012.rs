//! Fit times on ENB2012 (768 rows, 8 features, target Y1 heating load) with the
//! hyper-parameters of the scikit-learn side (`benches/compare/sklearn_enb2012_speed.py`):
//! GradientBoosting(1000 trees, rate 0.05, depth 5, subsample 0.8), RandomForest(100), OLS.
//!
//! `cargo bench -p terrawatt-learn --bench enb2012` (skips with a notice without the data).
//! A second group fits boosting on a million synthetic rows.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array1, Array2};
use terrawatt_learn::ModelSpec;
use terrawatt_learn::boost::BoostParams;
use terrawatt_learn::forest::ForestParams;
use terrawatt_learn::linear::LinearParams;

fn enb2012() -> Option<(Array2<f64>, Array1<f64>)> {
    let path = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../../../shared/data/building/ENB2012.csv");
    let text = std::fs::read_to_string(&path).ok()?;
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim()
                .split(',')
                .map(|v| v.parse().expect("a number"))
                .collect()
        })
        .collect();
    let x = Array2::from_shape_fn((rows.len(), 8), |(i, j)| rows[i][j]);
    let y = rows.iter().map(|r| r[8]).collect();
    Some((x, y))
}

fn fits(c: &mut Criterion) {
    let Some((x, y)) = enb2012() else {
        eprintln!("notice: skipping: ENB2012.csv is absent");
        return;
    };
    let gbm = ModelSpec::boosting(BoostParams {
        n_trees: 1000,
        learning_rate: 0.05,
        max_depth: 5,
        subsample: 0.8,
        ..Default::default()
    })
    .unwrap();
    let forest = ModelSpec::forest(ForestParams::default()).unwrap();
    let ols = ModelSpec::linear(LinearParams::ols()).unwrap();
    let mut g = c.benchmark_group("ENB2012 fit");
    g.sample_size(10);
    g.bench_function("gbm 1000 trees, depth 5, rate 0.05, subsample 0.8", |b| {
        b.iter(|| black_box(gbm.fit(x.view(), y.view()).unwrap()))
    });
    g.bench_function("forest 100 trees", |b| {
        b.iter(|| black_box(forest.fit(x.view(), y.view()).unwrap()))
    });
    g.bench_function("ols", |b| {
        b.iter(|| black_box(ols.fit(x.view(), y.view()).unwrap()))
    });
    g.finish();
    let model = gbm.fit(x.view(), y.view()).unwrap();
    let rows = x.slice(ndarray::s![..700, ..]).to_owned();
    c.bench_function("gbm predict 700 rows", |b| {
        b.iter(|| black_box(model.predict(rows.view())))
    });
}

/// Boosting on a million synthetic rows (8 features, a smooth signal plus noise, seeded),
/// to show that histogram split finding scales: 50 trees of depth 6.
fn million_rows(c: &mut Criterion) {
    let n = 1_000_000;
    let mut r = terrawatt_learn::rng::Rng::new(1);
    let x = Array2::from_shape_fn((n, 8), |_| r.uniform() * 10.0);
    let y: Array1<f64> = x
        .rows()
        .into_iter()
        .map(|row| row[0].sin() * 3.0 + row[1] * row[2] / 10.0 - row[3] + 0.5 * r.normal())
        .collect();
    let gbm = ModelSpec::boosting(BoostParams {
        n_trees: 50,
        max_depth: 6,
        ..Default::default()
    })
    .unwrap();
    let mut g = c.benchmark_group("1,000,000 rows × 8 features");
    g.sample_size(10);
    g.bench_function("gbm 50 trees, depth 6, subsample 0.8", |b| {
        b.iter(|| black_box(gbm.fit(x.view(), y.view()).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, fits, million_rows);
criterion_main!(benches);
