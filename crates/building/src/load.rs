//! Load regression and the green model choice.
//!
//! The green choice trains each candidate and measures, with terrawatt-meter:
//! - accuracy: K-fold cross-validated MAE (the same folds for every candidate);
//! - training energy: one fit on all rows;
//! - inference energy per 1,000 predictions: predictions repeated over all rows until at
//!   least 20,000 are made, scaled to 1,000;
//! - size: the saved model's bytes.
//!
//! A candidate's *lifecycle energy* is its training energy plus its inference energy for
//! the expected number of predictions (default one million). The Pareto front holds the
//! candidates that no other beats on both MAE and lifecycle energy; the pick is the one
//! with the least lifecycle energy whose MAE is within `tolerance` (default 5 %) of the
//! best MAE. The distilled student is a depth-limited tree trained on the best ensemble's
//! predictions at the training rows and at augmented rows; its cross-validation distils
//! inside each fold, and its training energy includes its teacher's.
//!
//! Models of other libraries join as [`Learner`]s ([`green_choice_with`]): any linfa `Fit`
//! through [`LinfaLearner`], linfa-elasticnet's elastic net by [`linfa_elastic_net`].

use ndarray::{ArrayView1, ArrayView2};
use serde::Serialize;
use terrawatt_learn::boost::{BoostParams, EarlyStopping, Goss, Loss};
use terrawatt_learn::cv::{CvResult, Split, cross_validate_with};
use terrawatt_learn::distill::{Augment, distill};
use terrawatt_learn::forest::ForestParams;
use terrawatt_learn::learner::{Learner, LinfaLearner, Regressor, Standardized};
use terrawatt_learn::linear::{LinearParams, Penalty};
use terrawatt_learn::linfa_elasticnet::{ElasticNetError, ElasticNetParams};
use terrawatt_learn::tree::{MaxFeatures, TreeParams};
use terrawatt_learn::{LearnError, Model, ModelSpec};
use terrawatt_meter::Span;

/// The model families by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Ols,
    Ridge,
    ElasticNet,
    Tree,
    Forest,
    Gbm,
}

impl ModelKind {
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Ols,
        ModelKind::Ridge,
        ModelKind::ElasticNet,
        ModelKind::Tree,
        ModelKind::Forest,
        ModelKind::Gbm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Ols => "ols",
            ModelKind::Ridge => "ridge",
            ModelKind::ElasticNet => "elasticnet",
            ModelKind::Tree => "tree",
            ModelKind::Forest => "forest",
            ModelKind::Gbm => "gbm",
        }
    }
}

/// Hyper-parameters from the command line; `None` takes the family's default.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hyper {
    /// Ridge / elastic-net penalty (default 1.0 for ridge, 0.01 for elastic net).
    pub alpha: Option<f64>,
    /// Elastic-net mix (default 0.5; 1 is the lasso).
    pub l1_ratio: Option<f64>,
    /// Standardise features before a penalised fit (default on for ridge and elastic net).
    pub standardize: Option<bool>,
    pub max_depth: Option<usize>,
    /// Boosting: grow each tree best-first to at most this many leaves (default: every
    /// node down to the depth).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_leaves: Option<usize>,
    pub min_samples_leaf: Option<usize>,
    /// Features per split, as a fraction (trees and forests; default all).
    pub max_features: Option<f64>,
    pub n_trees: Option<usize>,
    pub learning_rate: Option<f64>,
    pub subsample: Option<f64>,
    /// Boosting loss: squared (default), absolute, huber, quantile.
    pub loss: Option<Loss>,
    /// Boosting: hold out 10 % and stop after 50 rounds without improvement.
    pub early_stopping: bool,
    pub seed: u64,
    /// Bins per feature, 2–256: the forest's histogram trees (default: exact splits), the
    /// booster's bins (default 256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bins: Option<usize>,
    /// Boosting: gradient-based one-side sampling (the row subsample then defaults to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goss: Option<Goss>,
}

/// The checked specification of one family with these hyper-parameters.
pub fn spec(kind: ModelKind, h: &Hyper) -> Result<ModelSpec, LearnError> {
    let max_features = h
        .max_features
        .map_or(MaxFeatures::All, MaxFeatures::Fraction);
    match kind {
        ModelKind::Ols => ModelSpec::linear(LinearParams {
            standardize: h.standardize.unwrap_or(false),
            ..LinearParams::ols()
        }),
        ModelKind::Ridge => ModelSpec::linear(LinearParams {
            penalty: Penalty::Ridge {
                alpha: h.alpha.unwrap_or(1.0),
            },
            standardize: h.standardize.unwrap_or(true),
            ..Default::default()
        }),
        ModelKind::ElasticNet => ModelSpec::linear(LinearParams {
            penalty: Penalty::ElasticNet {
                alpha: h.alpha.unwrap_or(0.01),
                l1_ratio: h.l1_ratio.unwrap_or(0.5),
            },
            standardize: h.standardize.unwrap_or(true),
            ..Default::default()
        }),
        ModelKind::Tree => ModelSpec::tree(TreeParams {
            max_depth: h.max_depth,
            min_samples_leaf: h.min_samples_leaf.unwrap_or(1),
            max_features,
            seed: h.seed,
            ..Default::default()
        }),
        ModelKind::Forest => ModelSpec::forest(ForestParams {
            n_trees: h.n_trees.unwrap_or(100),
            max_depth: h.max_depth,
            min_samples_leaf: h.min_samples_leaf.unwrap_or(1),
            max_features,
            seed: h.seed,
            max_bins: h.max_bins,
            ..Default::default()
        }),
        ModelKind::Gbm => {
            let d = BoostParams::default();
            ModelSpec::boosting(BoostParams {
                loss: h.loss.unwrap_or(Loss::Squared),
                n_trees: h.n_trees.unwrap_or(d.n_trees),
                learning_rate: h.learning_rate.unwrap_or(d.learning_rate),
                max_depth: h.max_depth.unwrap_or(d.max_depth),
                max_leaves: h.max_leaves,
                min_samples_leaf: h.min_samples_leaf.unwrap_or(d.min_samples_leaf),
                subsample: h
                    .subsample
                    .unwrap_or(if h.goss.is_some() { 1.0 } else { d.subsample }),
                early_stopping: h.early_stopping.then(EarlyStopping::default),
                seed: h.seed,
                max_bins: h.max_bins.unwrap_or(d.max_bins),
                goss: h.goss,
            })
        }
    }
}

/// Settings of the green choice.
#[derive(Debug, Clone, Serialize)]
pub struct GreenSettings {
    /// Accept MAE up to (1 + tolerance) × the best MAE.
    pub tolerance: f64,
    /// Predictions over the model's life, for lifecycle energy.
    pub expected_predictions: f64,
    /// Depth of the distilled student tree.
    pub student_depth: usize,
    pub augment: Augment,
}

impl Default for GreenSettings {
    fn default() -> Self {
        GreenSettings {
            tolerance: 0.05,
            expected_predictions: 1e6,
            student_depth: 8,
            augment: Augment::default(),
        }
    }
}

/// linfa-elasticnet's elastic net as a candidate named `linfa-elasticnet`, with `hyper`'s
/// penalty (`alpha`, default 0.01), mix (`l1_ratio`, default 0.5) and `standardize`
/// (default on), as [`ModelKind::ElasticNet`] takes them; linfa-elasticnet's own
/// convergence rule (duality gap, tolerance 1e-4, at most 1,000 sweeps). Standardised, it
/// fits the problem ours fits (see docs/learn.md for how close they come); on raw features
/// it fits another one: its intercept is the mean of `y`, the features are not centred.
pub fn linfa_elastic_net(hyper: &Hyper) -> Box<dyn Learner> {
    let params = ElasticNetParams::new()
        .penalty(hyper.alpha.unwrap_or(0.01))
        .l1_ratio(hyper.l1_ratio.unwrap_or(0.5));
    let learner = LinfaLearner::<_, ElasticNetError>::new("linfa-elasticnet", params);
    if hyper.standardize.unwrap_or(true) {
        Box::new(Standardized { inner: learner })
    } else {
        Box::new(learner)
    }
}

/// One candidate's row of the green table.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub name: String,
    pub mae: f64,
    pub mae_sd: f64,
    pub rmse: f64,
    pub r2: f64,
    pub cv_joules: f64,
    pub train_joules: f64,
    pub infer_joules_per_1000: f64,
    pub lifecycle_joules: f64,
    pub size_bytes: usize,
    pub estimate: bool,
    pub pareto: bool,
    pub picked: bool,
    /// The fitted model; `None` for a candidate of another library (and its `size_bytes`
    /// is then 0: it is not saved).
    #[serde(skip)]
    pub model: Option<Model>,
}

fn student_cv(
    teacher: &ModelSpec,
    student: &ModelSpec,
    augment: &Augment,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    splits: &[Split],
) -> Result<CvResult, LearnError> {
    cross_validate_with(x, y, splits, |xt, yt| {
        let t = teacher.fit(xt, yt)?;
        distill(&t, student, xt, Some(augment))
    })
}

fn inference_joules_per_1000(
    span: &mut Span,
    name: &str,
    model: &dyn Regressor,
    x: ArrayView2<'_, f64>,
) -> f64 {
    let rec = {
        let mut made = 0usize;
        span.phase(format!("{name}: inference"), |_| {
            while made < 20_000 {
                std::hint::black_box(model.predict_rows(x));
                made += x.nrows();
            }
        });
        (
            span.children().last().expect("phase closed").energy.joules,
            made,
        )
    };
    rec.0 * 1000.0 / rec.1 as f64
}

/// The rows, the target and the folds every candidate is evaluated on.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    pub x: ArrayView2<'a, f64>,
    pub y: ArrayView1<'a, f64>,
    pub splits: &'a [Split],
}

/// Runs the green choice over `kinds` (and a distilled student of the best ensemble).
/// Each candidate's work runs in phases of `span`, so the task report holds them.
pub fn green_choice(
    span: &mut Span,
    kinds: &[ModelKind],
    hyper: &Hyper,
    settings: &GreenSettings,
    data: Evaluation<'_>,
    progress: impl FnMut(&str),
) -> Result<Vec<Candidate>, LearnError> {
    green_choice_with(span, kinds, &[], hyper, settings, data, progress)
}

/// What the green choice measures of one candidate.
struct Measured<M> {
    cv: CvResult,
    cv_joules: f64,
    train_joules: f64,
    estimate: bool,
    infer_joules_per_1000: f64,
    model: M,
}

/// Cross-validates a candidate, trains it on all rows and times its inference, each in a
/// phase of `span` named after it.
fn measure<M: Regressor>(
    span: &mut Span,
    name: &str,
    data: Evaluation<'_>,
    fit: impl Fn(ArrayView2<'_, f64>, ArrayView1<'_, f64>) -> Result<M, LearnError> + Sync,
) -> Result<Measured<M>, LearnError> {
    let Evaluation { x, y, splits } = data;
    let cv = span.phase(format!("{name}: cross-validation"), |_| {
        cross_validate_with(x, y, splits, &fit)
    })?;
    let cv_joules = span.children().last().expect("phase").energy.joules;
    let model = span.phase(format!("{name}: training"), |_| fit(x, y))?;
    let train = span.children().last().expect("phase").energy.clone();
    let infer_joules_per_1000 = inference_joules_per_1000(span, name, &model, x);
    Ok(Measured {
        cv,
        cv_joules,
        train_joules: train.joules,
        estimate: train.estimate,
        infer_joules_per_1000,
        model,
    })
}

/// [`green_choice`] with candidates of other libraries as well (any linfa `Fit` through
/// [`LinfaLearner`], say): `others` are measured as the families are, after them and
/// before the student, on the same folds. They are not saved and teach no student.
pub fn green_choice_with(
    span: &mut Span,
    kinds: &[ModelKind],
    others: &[&dyn Learner],
    hyper: &Hyper,
    settings: &GreenSettings,
    data: Evaluation<'_>,
    mut progress: impl FnMut(&str),
) -> Result<Vec<Candidate>, LearnError> {
    let Evaluation { x, y, splits } = data;
    let mut rows: Vec<Candidate> = Vec::new();
    let mut specs: Vec<(ModelKind, ModelSpec)> = Vec::new();
    for &k in kinds {
        progress(k.name());
        let s = spec(k, hyper)?;
        let m = measure(span, k.name(), data, |xt, yt| s.fit(xt, yt))?;
        rows.push(candidate(k.name(), m, Some, settings));
        specs.push((k, s));
    }
    let n_own = rows.len();
    for learner in others {
        progress(learner.name());
        let m = measure(span, learner.name(), data, |xt, yt| {
            learner.fit_rows(xt, yt)
        })?;
        rows.push(candidate(learner.name(), m, |_| None, settings));
    }
    // the student learns from the most accurate ensemble
    let best_ensemble = rows[..n_own]
        .iter()
        .zip(&specs)
        .filter(|(_, (k, _))| matches!(k, ModelKind::Forest | ModelKind::Gbm))
        .min_by(|a, b| a.0.mae.total_cmp(&b.0.mae));
    if let Some((teacher_row, (tk, teacher_spec))) = best_ensemble {
        let name = format!("student(tree d{} ← {})", settings.student_depth, tk.name());
        progress(&name);
        let student = ModelSpec::tree(TreeParams {
            max_depth: Some(settings.student_depth),
            seed: hyper.seed,
            ..Default::default()
        })?;
        let cv = span.phase("student: cross-validation", |_| {
            student_cv(teacher_spec, &student, &settings.augment, x, y, splits)
        })?;
        let cv_joules = span.children().last().expect("phase").energy.joules;
        let teacher = teacher_row.model.as_ref().expect("kept");
        let model = span.phase("student: distillation", |_| {
            distill(teacher, &student, x, Some(&settings.augment))
        })?;
        let distil = span.children().last().expect("phase").energy.clone();
        let infer_joules_per_1000 = inference_joules_per_1000(span, "student", &model, x);
        let m = Measured {
            cv,
            cv_joules,
            train_joules: teacher_row.train_joules + distil.joules,
            estimate: distil.estimate,
            infer_joules_per_1000,
            model,
        };
        rows.push(candidate(&name, m, Some, settings));
    }
    mark(&mut rows, settings.tolerance);
    Ok(rows)
}

/// A row of the green table from a candidate's measures; `keep` gives the model to keep
/// (none for a candidate of another library).
fn candidate<M>(
    name: &str,
    m: Measured<M>,
    keep: impl FnOnce(M) -> Option<Model>,
    settings: &GreenSettings,
) -> Candidate {
    let (mae, mae_sd) = m.cv.mean_sd(|s| s.mae);
    let model = keep(m.model);
    let size_bytes = model
        .as_ref()
        .and_then(|saved| serde_json::to_string(saved).ok())
        .map_or(0, |text| text.len());
    Candidate {
        name: name.to_string(),
        mae,
        mae_sd,
        rmse: m.cv.mean_sd(|s| s.rmse).0,
        r2: m.cv.mean_sd(|s| s.r2).0,
        cv_joules: m.cv_joules,
        train_joules: m.train_joules,
        infer_joules_per_1000: m.infer_joules_per_1000,
        lifecycle_joules: m.train_joules
            + m.infer_joules_per_1000 * settings.expected_predictions / 1000.0,
        size_bytes,
        estimate: m.estimate,
        pareto: false,
        picked: false,
        model,
    }
}

/// Marks the Pareto front (MAE vs lifecycle energy) and the pick.
pub fn mark(rows: &mut [Candidate], tolerance: f64) {
    let snapshot: Vec<(f64, f64)> = rows.iter().map(|r| (r.mae, r.lifecycle_joules)).collect();
    for (i, r) in rows.iter_mut().enumerate() {
        let (m, e) = snapshot[i];
        r.pareto = !snapshot
            .iter()
            .enumerate()
            .any(|(j, &(m2, e2))| j != i && m2 <= m && e2 <= e && (m2 < m || e2 < e));
    }
    let best = snapshot.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    if let Some(pick) = rows
        .iter_mut()
        .filter(|r| r.mae <= best * (1.0 + tolerance))
        .min_by(|a, b| a.lifecycle_joules.total_cmp(&b.lifecycle_joules))
    {
        pick.picked = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, mae: f64, e: f64) -> Candidate {
        Candidate {
            name: name.into(),
            mae,
            mae_sd: 0.0,
            rmse: 0.0,
            r2: 0.0,
            cv_joules: 0.0,
            train_joules: e,
            infer_joules_per_1000: 0.0,
            lifecycle_joules: e,
            size_bytes: 0,
            estimate: true,
            pareto: false,
            picked: false,
            model: None,
        }
    }

    #[test]
    fn front_and_pick() {
        let mut rows = vec![
            row("big", 1.00, 100.0),
            row("mid", 1.04, 10.0),
            row("small", 2.00, 1.0),
            row("bad", 1.50, 50.0),
        ];
        mark(&mut rows, 0.05);
        let front: Vec<&str> = rows
            .iter()
            .filter(|r| r.pareto)
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(front, ["big", "mid", "small"]);
        let pick: Vec<&str> = rows
            .iter()
            .filter(|r| r.picked)
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(pick, ["mid"]);
    }
}
