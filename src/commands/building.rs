//! `terrawatt building …`: load regression, cross-validation, the green model choice.

use anyhow::{Result, anyhow, bail};
use serde_json::json;
use terrawatt_building::load::{Hyper, ModelKind};
use terrawatt_building::load_tasks::{self, Data};
use terrawatt_learn::boost::{Goss, Loss};
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_table::size;

use crate::cli::{
    BuildingCvArgs, BuildingFitArgs, BuildingPredictArgs, BuildingSampleArgs, DataArgs, HyperArgs,
    LossName, ModelName, TargetArgs,
};
use crate::task::{Ctx, Outcome, check_output};

fn hyper(h: &HyperArgs) -> Result<Hyper> {
    let q = h.quantile.unwrap_or(0.9);
    if !(q > 0.0 && q < 1.0) {
        bail!("--quantile {q}: a quantile is a probability in (0, 1), e.g. 0.9");
    }
    Ok(Hyper {
        alpha: h.alpha,
        l1_ratio: h.l1_ratio,
        standardize: h.standardize,
        max_depth: h.max_depth,
        max_leaves: h.max_leaves,
        min_samples_leaf: h.min_samples_leaf,
        max_features: h.max_features,
        n_trees: h.n_trees,
        learning_rate: h.learning_rate,
        subsample: h.subsample,
        loss: h.loss.map(|l| match l {
            LossName::Squared => Loss::Squared,
            LossName::Absolute => Loss::Absolute,
            LossName::Huber => Loss::Huber { alpha: q },
            LossName::Quantile => Loss::Quantile { alpha: q },
        }),
        early_stopping: h.early_stopping,
        seed: h.seed,
        max_bins: h.max_bins,
        goss: h.goss.then(|| {
            let d = Goss::default();
            Goss {
                top_rate: h.top_rate.unwrap_or(d.top_rate),
                other_rate: h.other_rate.unwrap_or(d.other_rate),
            }
        }),
    })
}

fn kind(m: ModelName) -> Option<ModelKind> {
    Some(match m {
        ModelName::Ols => ModelKind::Ols,
        ModelName::Ridge => ModelKind::Ridge,
        ModelName::Elasticnet => ModelKind::ElasticNet,
        ModelName::Tree => ModelKind::Tree,
        ModelName::Forest => ModelKind::Forest,
        ModelName::Gbm => ModelKind::Gbm,
        ModelName::Auto => return None,
    })
}

/// The data options as the library's data settings.
fn data(d: &DataArgs, t: &TargetArgs) -> Data {
    Data {
        path: d.data.clone(),
        target: Some(t.target.clone()),
        features: t.features.clone(),
        exclude: d.exclude.clone(),
        drop_missing: d.drop_missing,
    }
}

/// `building fit`.
pub fn fit(span: &mut Span, ctx: &Ctx, a: &BuildingFitArgs) -> Result<Outcome> {
    check_output(&a.out, &[&a.data.data])?;
    if let Some(p) = &a.plot {
        check_output(p, &[&a.data.data, &a.out])?;
    }
    let settings = load_tasks::FitSettings {
        data: data(&a.data, &a.target),
        model: kind(a.hyper.model),
        hyper: hyper(&a.hyper)?,
        folds: a.cv,
        tolerance: a.tolerance,
        expected_predictions: a.expected_predictions,
        importance: a.importance,
        memory: a
            .memory
            .as_deref()
            .map(|m| size::parse_bytes(m).map_err(|e| anyhow!("--memory {e}")))
            .transpose()?,
    };
    let bar = ctx.progress(ModelKind::ALL.len() as u64 + 1, "green choice");
    let fitted = load_tasks::fit(&settings, span, |name| {
        bar.set_message(format!("green choice: {name}"));
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    let front = a.plot.as_deref().filter(|_| !fitted.candidates.is_empty());
    if let Some(p) = front {
        span.phase("plot", |_| {
            crate::plot::pareto(p, &fitted.candidates, &a.target.target)
        })?;
    }
    fitted.save(&a.out, a.hyper.seed, &a.data.data, span)?;
    Ok(Outcome {
        results: fitted.results.clone(),
        text: fitted.text(front, &a.out),
        unit: Some(FunctionalUnit::new(
            "1,000 predictions",
            fitted.rows as f64 / 1000.0,
        )),
    })
}

/// `building predict`.
pub fn predict(span: &mut Span, _ctx: &Ctx, a: &BuildingPredictArgs) -> Result<Outcome> {
    check_output(&a.out, &[&a.data.data, &a.model])?;
    let r = load_tasks::predict(
        &load_tasks::PredictSettings {
            data: a.data.data.clone(),
            model: a.model.clone(),
            out: a.out.clone(),
            drop_missing: a.data.drop_missing,
        },
        span,
    )?;
    Ok(Outcome {
        text: r.text().to_string(),
        unit: Some(FunctionalUnit::new(
            "1,000 predictions",
            r.predictions as f64 / 1000.0,
        )),
        results: r.results,
    })
}

/// `building cv`.
pub fn cv(span: &mut Span, _ctx: &Ctx, a: &BuildingCvArgs) -> Result<Outcome> {
    for out in [&a.folds_out, &a.oof_out].into_iter().flatten() {
        check_output(out, &[&a.data.data])?;
    }
    let Some(k) = kind(a.hyper.model) else {
        bail!("`building cv` evaluates one model family: `--model auto` belongs to `building fit`");
    };
    let settings = load_tasks::CvSettings {
        data: data(&a.data, &a.target),
        model: k,
        hyper: hyper(&a.hyper)?,
        folds: a.cv,
        groups: a.groups.clone(),
    };
    let run = load_tasks::cross_validate(&settings, span)?;
    run.write(a.folds_out.as_deref(), a.oof_out.as_deref(), span)?;
    let n_pred = run.result.folds.iter().map(|f| f.n_test).sum::<usize>();
    Ok(Outcome {
        results: run.results.clone(),
        text: run.text().to_string(),
        unit: Some(FunctionalUnit::new(
            "1,000 predictions",
            n_pred as f64 / 1000.0,
        )),
    })
}

/// `building sample`.
pub fn sample(span: &mut Span, _ctx: &Ctx, a: &BuildingSampleArgs) -> Result<Outcome> {
    check_output(&a.out, &[])?;
    if a.rows == 0 {
        bail!("--rows must be at least 1");
    }
    let cols = span.phase("generate", |_| {
        terrawatt_building::sample::buildings(a.rows, a.seed)
    });
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    span.phase("write", |_| {
        terrawatt_table::write_csv_atomic(&a.out, &terrawatt_building::sample::COLUMNS, &refs)
    })?;
    Ok(Outcome {
        results: json!({ "rows": a.rows, "seed": a.seed, "columns": terrawatt_building::sample::COLUMNS }),
        text: format!(
            "{} synthetic buildings (seed {}) written to {}\n",
            a.rows,
            a.seed,
            a.out.display()
        ),
        unit: Some(FunctionalUnit::new("building", a.rows as f64)),
    })
}
