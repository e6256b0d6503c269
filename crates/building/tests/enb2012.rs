//! Issue 3's quality bar on the UCI Energy Efficiency data (ENB2012, 768 buildings):
//! 10-fold shuffled CV with seed 0, the folds exported by `terrawatt building cv
//! --folds-out` and scikit-learn run on exactly those folds by
//! `tools/reference/sklearn_enb2012.py` (fixtures/sklearn_enb2012.json).
//!
//! - OLS: per-fold MAE equal to scikit-learn's LinearRegression within 0.001 and its
//!   out-of-fold predictions within 1e-6 (the design is rank-deficient: X2 = X3 + 2·X4);
//! - forest: MAE at least as good as RandomForestRegressor(100);
//! - boosting (defaults): heating MAE ≤ 0.19, cooling ≤ 0.37.

use std::path::{Path, PathBuf};

use terrawatt_building::load::{self, Hyper, ModelKind};
use terrawatt_learn::cv::{self, CvResult};

mod support;

/// The package folder, as cargo gives it when the test runs (a test binary built in
/// another checkout that shares the target folder must not look in that checkout).
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name)
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("sklearn_enb2012.json")).unwrap())
        .unwrap()
}

fn run(path: &Path, target: &str, kind: ModelKind) -> CvResult {
    let sel = support::select(path, target);
    assert_eq!(
        sel.features,
        ["X1", "X2", "X3", "X4", "X5", "X6", "X7", "X8"]
    );
    let y = sel.y.unwrap();
    let folds = cv::kfold_assignment(y.len(), 10, 0).unwrap();
    let spec = load::spec(kind, &Hyper::default()).unwrap();
    cv::cross_validate(
        &spec,
        sel.x.view(),
        y.view(),
        &cv::splits_from_folds(&folds),
    )
    .unwrap()
}

#[test]
fn folds_are_the_exported_ones() {
    let text = std::fs::read_to_string(fixture("enb2012_folds_seed0.csv")).unwrap();
    let exported: Vec<usize> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(exported, cv::kfold_assignment(768, 10, 0).unwrap());
}

#[test]
fn ols_equals_scikit_learn_on_the_same_folds() {
    let Some(path) = support::enb2012() else {
        return;
    };
    let r = reference();
    for target in ["Y1", "Y2"] {
        let ours = run(&path, target, ModelKind::Ols);
        let theirs = &r["results"][target]["ols"];
        for (f, fold) in ours.folds.iter().enumerate() {
            let want = theirs["mae"]["folds"][f].as_f64().unwrap();
            assert!(
                (fold.scores.mae - want).abs() < 1e-3,
                "{target} fold {f}: {} vs {want}",
                fold.scores.mae
            );
        }
        let oof = theirs["oof_predictions"].as_array().unwrap();
        for (i, (a, b)) in ours.oof.iter().zip(oof).enumerate() {
            let b = b.as_f64().unwrap();
            assert!((a - b).abs() < 1e-6, "{target} row {i}: {a} vs {b}");
        }
        let (mae, _) = ours.mean_sd(|s| s.mae);
        let want = theirs["mae"]["mean"].as_f64().unwrap();
        assert!((mae - want).abs() < 1e-3, "{target}: {mae} vs {want}");
    }
}

#[test]
fn forest_at_least_as_good_as_scikit_learns() {
    let Some(path) = support::enb2012() else {
        return;
    };
    let r = reference();
    for target in ["Y1", "Y2"] {
        let (mae, _) = run(&path, target, ModelKind::Forest).mean_sd(|s| s.mae);
        let theirs = r["results"][target]["forest"]["mae"]["mean"]
            .as_f64()
            .unwrap();
        assert!(
            mae <= theirs,
            "{target}: forest MAE {mae} vs scikit-learn {theirs}"
        );
    }
}

#[test]
fn boosting_defaults_reach_the_bar() {
    let Some(path) = support::enb2012() else {
        return;
    };
    for (target, bar) in [("Y1", 0.19), ("Y2", 0.37)] {
        let (mae, _) = run(&path, target, ModelKind::Gbm).mean_sd(|s| s.mae);
        assert!(mae <= bar, "{target}: boosting MAE {mae} > {bar}");
    }
}
