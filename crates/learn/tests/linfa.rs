//! linfa's traits on the crate's models, on the UCI Energy Efficiency table (ENB2012, 768
//! buildings; heating load Y1 from X1–X8): fitting through linfa gives bit-identical
//! predictions to the crate's own API, linfa's `Dataset::fold` and `cross_validate` work
//! with the models, and bad hyper-parameters are refused by `ParamGuard`. Linear quantile
//! regression on the same table equals scikit-learn's `QuantileRegressor`.

use std::path::PathBuf;

use linfa::prelude::*;
use ndarray::{Array1, Array2, s};
use terrawatt_learn::boost::BoostParams;
use terrawatt_learn::cv::{self, Split};
use terrawatt_learn::forest::ForestParams;
use terrawatt_learn::learner::LinfaLearner;
use terrawatt_learn::linear::LinearParams;
use terrawatt_learn::tree::TreeParams;
use terrawatt_learn::{LearnError, Model, ModelSpec, linfa};

/// The package folder, as cargo gives it when the test runs (a test binary built in
/// another checkout that shares the target folder must not look in that checkout).
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

/// ENB2012's features X1–X8 and heating load Y1, or `None` (with a notice) when the
/// shared data is absent and `TERRAWATT_REFERENCE_DATA` is not set.
fn enb2012() -> Option<(Array2<f64>, Array1<f64>)> {
    enb2012_target(8)
}

/// ENB2012's features X1–X8 and the target in column `col` (8 Y1, 9 Y2).
fn enb2012_target(col: usize) -> Option<(Array2<f64>, Array1<f64>)> {
    let p = manifest_dir().join("../../../shared/data/building/ENB2012.csv");
    if !p.exists() {
        if std::env::var_os("TERRAWATT_REFERENCE_DATA").is_some() {
            panic!(
                "{} is missing and TERRAWATT_REFERENCE_DATA is set",
                p.display()
            );
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "notice: skipping: {} is absent",
            p.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap().trim(),
        "X1,X2,X3,X4,X5,X6,X7,X8,Y1,Y2"
    );
    let rows: Vec<Vec<f64>> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 768);
    let x = Array2::from_shape_fn((rows.len(), 8), |(i, j)| rows[i][j]);
    let y = rows.iter().map(|r| r[col]).collect();
    Some((x, y))
}

fn specs() -> Vec<ModelSpec> {
    vec![
        ModelSpec::linear(LinearParams::ols()).unwrap(),
        ModelSpec::linear(LinearParams {
            standardize: true,
            ..LinearParams::ridge(1.0)
        })
        .unwrap(),
        ModelSpec::linear(LinearParams {
            standardize: true,
            ..LinearParams::elastic_net(0.01, 0.5)
        })
        .unwrap(),
        ModelSpec::tree(TreeParams {
            max_depth: Some(8),
            ..Default::default()
        })
        .unwrap(),
        ModelSpec::forest(ForestParams {
            n_trees: 20,
            ..Default::default()
        })
        .unwrap(),
        ModelSpec::boosting(BoostParams::default()).unwrap(),
    ]
}

/// An owned dataset of one target.
type Rows = DatasetBase<Array2<f64>, Array1<f64>>;

/// Fits `p` through linfa and predicts through linfa's `Predict`.
fn linfa_predictions<P, O>(p: &P, train: &Rows, test: &Array2<f64>) -> Array1<f64>
where
    P: Fit<Array2<f64>, Array1<f64>, LearnError, Object = O>,
    O: PredictInplace<Array2<f64>, Array1<f64>>,
{
    p.fit(train).unwrap().predict(test)
}

#[test]
fn fitting_through_linfa_gives_the_same_predictions() {
    let Some((x, y)) = enb2012() else { return };
    let (train, test) = (x.slice(s![..600, ..]), x.slice(s![600.., ..]).to_owned());
    let yt = y.slice(s![..600]);
    let ds: Rows = Dataset::new(train.to_owned(), yt.to_owned());
    for spec in specs() {
        let own = spec.fit(train, yt).unwrap();
        let want = own.predict(test.view()).to_vec();
        // the spec, and each checked and unchecked parameter struct, through linfa
        let through_spec: Model = Fit::fit(&spec, &ds).unwrap();
        assert_eq!(through_spec, own, "{}", spec.name());
        let through_views: Model = Fit::fit(&spec, &DatasetBase::new(train, yt)).unwrap();
        assert_eq!(through_views, own, "{}", spec.name());
        let got = match &spec {
            ModelSpec::Linear(p) => {
                let unchecked = linfa_predictions(p.params(), &ds, &test);
                assert_eq!(unchecked, linfa_predictions(p, &ds, &test));
                unchecked
            }
            ModelSpec::Tree(p) => {
                let unchecked = linfa_predictions(p.params(), &ds, &test);
                assert_eq!(unchecked, linfa_predictions(p, &ds, &test));
                unchecked
            }
            ModelSpec::Forest(p) => {
                let unchecked = linfa_predictions(p.params(), &ds, &test);
                assert_eq!(unchecked, linfa_predictions(p, &ds, &test));
                unchecked
            }
            ModelSpec::Boosting(p) => {
                let unchecked = linfa_predictions(p.params(), &ds, &test);
                assert_eq!(unchecked, linfa_predictions(p, &ds, &test));
                unchecked
            }
        };
        assert_eq!(got.to_vec(), want, "{}", spec.name());
        // the fitted enum predicts in place as well, on a view
        let mut inplace = Array1::zeros(test.nrows());
        own.predict_inplace(&test.view(), &mut inplace);
        assert_eq!(inplace.to_vec(), want, "{}", spec.name());
    }
}

/// linfa's `Dataset::fold`: each fold fitted through linfa predicts its validation rows
/// exactly as the crate's own fit on the same training rows.
#[test]
fn linfa_folds_fit_our_models() {
    let Some((x, y)) = enb2012() else { return };
    let ds: Rows = Dataset::new(x, y);
    for spec in specs().into_iter().filter(|s| s.name() != "forest") {
        let mut maes = Vec::new();
        for (train, valid) in ds.fold(5) {
            let model = Fit::fit(&spec, &train).unwrap();
            let pred: Array1<f64> = Predict::predict(&model, valid.records());
            let own = spec
                .fit(train.records().view(), train.targets().view())
                .unwrap()
                .predict(valid.records().view());
            assert_eq!(pred, own, "{}", spec.name());
            maes.push(pred.mean_absolute_error(valid.targets()).unwrap());
        }
        assert_eq!(maes.len(), 5);
        assert!(maes.iter().all(|m| m.is_finite()), "{maes:?}");
    }
}

/// The splits linfa's `iter_fold` makes on `n` rows: fold `i` validates on rows
/// `i·(n/k) .. (i+1)·(n/k)` and trains on every other row.
fn linfa_splits(n: usize, k: usize) -> Vec<Split> {
    let size = n / k;
    (0..k)
        .map(|i| Split {
            test: (i * size..(i + 1) * size).collect(),
            train: (0..n)
                .filter(|r| !(i * size..(i + 1) * size).contains(r))
                .collect(),
        })
        .collect()
}

/// linfa's `cross_validate_single` over several of our specifications agrees with the
/// crate's own cross-validation on the same splits (the training rows reach the models in
/// another order there, so sums round differently: within 1e-9).
#[test]
fn linfa_cross_validation_takes_our_models() {
    let Some((x, y)) = enb2012() else { return };
    let specs: Vec<ModelSpec> = specs()
        .into_iter()
        .filter(|s| matches!(s, ModelSpec::Linear(_)))
        .collect();
    let mut ds: Rows = Dataset::new(x.clone(), y.clone());
    let maes = ds
        .cross_validate_single(10, &specs, |pred, truth| pred.mean_absolute_error(truth))
        .unwrap();
    let splits = linfa_splits(768, 10);
    for (spec, linfa_mae) in specs.iter().zip(&maes) {
        let own = cv::cross_validate(spec, x.view(), y.view(), &splits).unwrap();
        let (mae, _) = own.mean_sd(|s| s.mae);
        assert!(
            (mae - linfa_mae).abs() < 1e-9,
            "{}: {mae} vs linfa {linfa_mae}",
            spec.name()
        );
    }
    // the folds of a linfa learner are those of the spec, to the bit
    let ols = LinfaLearner::<_, LearnError>::new("ols", LinearParams::ols());
    let via = cv::cross_validate_learner(&ols, x.view(), y.view(), &splits).unwrap();
    let own = cv::cross_validate(&specs[0], x.view(), y.view(), &splits).unwrap();
    assert_eq!(via.oof.len(), own.oof.len());
    for (a, b) in via.oof.iter().zip(&own.oof) {
        assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
    }
}

fn refused<P>(p: P, name: &str)
where
    P: ParamGuard<Error = LearnError> + Clone + std::fmt::Debug,
{
    let e = p.check_ref().err().expect("refused by check_ref");
    assert!(
        matches!(&e, LearnError::Param { name: n, .. } if *n == name),
        "{e}"
    );
    let e = p.check().err().expect("refused by check");
    assert!(e.to_string().contains(name), "{e}");
}

#[test]
fn bad_hyper_parameters_are_refused_by_check() {
    refused(LinearParams::ridge(-1.0), "alpha");
    refused(LinearParams::elastic_net(0.1, 1.5), "l1_ratio");
    refused(
        TreeParams {
            min_samples_split: 1,
            ..Default::default()
        },
        "min_samples_split",
    );
    refused(
        ForestParams {
            n_trees: 0,
            ..Default::default()
        },
        "n_trees",
    );
    refused(
        ForestParams {
            max_depth: Some(0),
            ..Default::default()
        },
        "max_depth",
    );
    refused(
        BoostParams {
            learning_rate: 0.0,
            ..Default::default()
        },
        "learning_rate",
    );
    // good parameters pass both ways, and check_ref hands back the same values
    let p = TreeParams {
        max_depth: Some(3),
        ..Default::default()
    };
    assert_eq!(p.check_ref().unwrap().params(), &p);
    assert_eq!(ParamGuard::check(p.clone()).unwrap().params(), &p);
    // fitting unchecked parameters through linfa checks them first
    let ds: Rows = Dataset::new(Array2::zeros((4, 1)), Array1::zeros(4));
    let e = Fit::fit(&LinearParams::ridge(f64::NAN), &ds).unwrap_err();
    assert!(matches!(e, LearnError::Param { name: "alpha", .. }), "{e}");
    // and a dataset whose targets do not match its rows is refused, not fitted
    let bad = DatasetBase::new(Array2::<f64>::zeros((4, 1)), Array1::<f64>::zeros(3));
    let e = Fit::fit(&LinearParams::ols(), &bad).unwrap_err();
    assert!(matches!(e, LearnError::Linfa(_)), "{e}");
}

/// Linear quantile regression against scikit-learn's `QuantileRegressor(alpha=0,
/// solver="highs")` (fixture from `tools/reference/sklearn_quantile_enb2012.py`): on the
/// full-rank design (X2 left out) the same optimum, coefficients within 1e-6 of the largest;
/// on all eight features (rank 7, optimal coefficients not unique) the same pinball loss.
#[test]
fn quantile_regression_equals_scikit_learn() {
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(manifest_dir().join("tests/fixtures/quantile_enb2012.json"))
            .unwrap(),
    )
    .unwrap();
    let Some((x_all, y1)) = enb2012_target(8) else {
        return;
    };
    let (_, y2) = enb2012_target(9).unwrap();
    let fits = fixture["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 12);
    for fit in fits {
        let tau = fit["quantile"].as_f64().unwrap();
        let y = if fit["target"] == "Y1" { &y1 } else { &y2 };
        let cols: Vec<usize> = fit["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap()[1..].parse::<usize>().unwrap() - 1)
            .collect();
        let x = x_all.select(ndarray::Axis(1), &cols);
        let model = LinearParams::quantile(tau)
            .check()
            .unwrap()
            .fit(x.view(), y.view())
            .unwrap();
        let pred = model.predict(x.view());
        let loss = pred
            .iter()
            .zip(y)
            .map(|(p, o)| {
                let r = o - p;
                if r >= 0.0 { tau * r } else { (tau - 1.0) * r }
            })
            .sum::<f64>()
            / y.len() as f64;
        let want = fit["mean_pinball"].as_f64().unwrap();
        let what = format!("{} {} τ={tau}", fit["design"], fit["target"]);
        assert!(
            (loss - want).abs() <= 1e-9 * want,
            "{what}: pinball {loss} against scikit-learn's {want}"
        );
        if fit["design"] == "full_rank" {
            let coef: Vec<f64> = fit["coef"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_f64().unwrap())
                .collect();
            let big = coef.iter().fold(0.0f64, |m, c| m.max(c.abs()));
            for (a, b) in model.coef.iter().zip(&coef) {
                assert!(
                    (a - b).abs() <= 1e-6 * big,
                    "{what}: {:?} against {coef:?}",
                    model.coef
                );
            }
            let b0 = fit["intercept"].as_f64().unwrap();
            assert!(
                (model.intercept - b0).abs() <= 1e-6 * big.max(b0.abs()),
                "{what}"
            );
        }
    }
}
