//! Models of other libraries in the green choice, on the UCI Energy Efficiency data
//! (ENB2012, 768 buildings; 10-fold shuffled CV with seed 0 as in `enb2012.rs`): any linfa
//! `Fit` joins as a candidate, and linfa-elasticnet's elastic net is compared with ours.

use ndarray::{Array1, Array2};
use terrawatt_building::load::{
    self, Evaluation, GreenSettings, Hyper, ModelKind, green_choice_with, linfa_elastic_net,
};
use terrawatt_learn::LearnError;
use terrawatt_learn::cv::{self, Split};
use terrawatt_learn::learner::{Learner, LinfaLearner, Standardized};
use terrawatt_learn::linear::LinearParams;
use terrawatt_learn::linfa_elasticnet::ElasticNetParams;
use terrawatt_meter::meter::{Meter, MeterConfig};

mod support;

/// ENB2012's features X1–X8 and the target `target` (Y1 or Y2), or `None` (with a notice)
/// when the shared data is absent and `TERRAWATT_REFERENCE_DATA` is not set.
fn enb2012(target: &str) -> Option<(Array2<f64>, Array1<f64>)> {
    let sel = support::select(&support::enb2012()?, target);
    Some((sel.x, sel.y.unwrap()))
}

fn splits() -> Vec<Split> {
    cv::splits_from_folds(&cv::kfold_assignment(768, 10, 0).unwrap())
}

fn mae(learner: &dyn Learner, x: &Array2<f64>, y: &Array1<f64>) -> f64 {
    cv::cross_validate_learner(learner, x.view(), y.view(), &splits())
        .unwrap()
        .mean_sd(|s| s.mae)
        .0
}

#[test]
fn the_green_choice_takes_linfa_models() {
    let Some((x, y)) = enb2012("Y1") else { return };
    let meter = Meter::detect(&MeterConfig::model_only()).unwrap();
    let mut span = meter.span("green choice");
    let splits = splits();
    let elastic = linfa_elastic_net(&Hyper::default());
    let ols = LinfaLearner::<_, LearnError>::new("ols (linfa Fit)", LinearParams::ols());
    let mut seen = Vec::new();
    let rows = green_choice_with(
        &mut span,
        &[ModelKind::Ols, ModelKind::Ridge],
        &[elastic.as_ref(), &ols],
        &Hyper::default(),
        &GreenSettings::default(),
        Evaluation {
            x: x.view(),
            y: y.view(),
            splits: &splits,
        },
        |name| seen.push(name.to_string()),
    )
    .unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["ols", "ridge", "linfa-elasticnet", "ols (linfa Fit)"]
    );
    assert_eq!(seen, names);
    // our OLS through linfa's Fit is our OLS, fold by fold
    assert_eq!(rows[3].mae.to_bits(), rows[0].mae.to_bits());
    assert_eq!(rows[3].rmse.to_bits(), rows[0].rmse.to_bits());
    for r in &rows {
        assert!(r.mae.is_finite() && r.mae > 0.0, "{}: {}", r.name, r.mae);
        assert!(r.lifecycle_joules > 0.0, "{}", r.name);
    }
    assert!(rows[2].model.is_none() && rows[2].size_bytes == 0);
    assert!(rows[0].model.is_some() && rows[0].size_bytes > 0);
    assert_eq!(rows.iter().filter(|r| r.picked).count(), 1);
    // each candidate's phases are in the span, named after it
    let phases: Vec<&str> = span.children().iter().map(|c| c.name.as_str()).collect();
    for p in [
        "linfa-elasticnet: cross-validation",
        "linfa-elasticnet: training",
        "linfa-elasticnet: inference",
    ] {
        assert!(phases.contains(&p), "{phases:?}");
    }
}

/// linfa-elasticnet against our elastic net, same penalty (α 0.01, ρ 0.5) on the same
/// folds (figures in docs/learn.md): standardised, the two agree; on raw features they do
/// not (linfa-elasticnet does not centre the features for its intercept).
#[test]
fn linfa_elasticnet_against_ours() {
    for target in ["Y1", "Y2"] {
        let Some((x, y)) = enb2012(target) else {
            return;
        };
        let ours = load::spec(ModelKind::ElasticNet, &Hyper::default()).unwrap();
        let linfa = linfa_elastic_net(&Hyper::default());
        let raw = Hyper {
            standardize: Some(false),
            ..Default::default()
        };
        let ours_raw = load::spec(ModelKind::ElasticNet, &raw).unwrap();
        let linfa_raw = linfa_elastic_net(&raw);
        let tight = Standardized {
            inner: LinfaLearner::<_, _>::new(
                "linfa-elasticnet (tolerance 1e-10)",
                ElasticNetParams::new()
                    .penalty(0.01)
                    .l1_ratio(0.5)
                    .tolerance(1e-10)
                    .max_iterations(100_000),
            ),
        };
        let (a, b) = (mae(&ours, &x, &y), mae(linfa.as_ref(), &x, &y));
        let t = mae(&tight, &x, &y);
        let (c, d) = (mae(&ours_raw, &x, &y), mae(linfa_raw.as_ref(), &x, &y));
        eprintln!(
            "{target}: standardised: ours {a:.6}, linfa {b:.6}, linfa tight {t:.6}; \
             raw: ours {c:.6}, linfa {d:.6}"
        );
        // standardised: the same problem; linfa's default tolerance within 0.1 %, and
        // converged hard, within 1e-4 of ours
        assert!((a - b).abs() < 1e-3 * a, "{target}: ours {a} vs linfa {b}");
        assert!(
            (a - t).abs() < 1e-4,
            "{target}: ours {a} vs linfa converged {t}"
        );
        // raw features: another model (intercept without centring), over 0.5 % apart
        assert!((c - d).abs() > 5e-3 * c, "{target}: ours {c} vs linfa {d}");
    }
}
