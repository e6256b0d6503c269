//! `terrawatt building …`: load regression, cross-validation, the green model choice.

use std::fmt::Write as _;

use anyhow::{Context as _, Result, bail};
use serde_json::json;
use terrawatt_building::load::{self, GreenSettings, Hyper, ModelKind};
use terrawatt_learn::boost::Loss;
use terrawatt_learn::cv::{self, Split};
use terrawatt_learn::importance::permutation_importance;
use terrawatt_learn::metrics::Scores;
use terrawatt_learn::persist::SavedModel;
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_table::{MissingPolicy, Selection, Table};

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

struct Loaded {
    table: Table,
    sel: Selection,
}

fn load_table(
    span: &mut Span,
    d: &DataArgs,
    target: Option<&str>,
    features: Option<&[String]>,
    keep_constant: bool,
) -> Result<Loaded> {
    span.phase("load", |_| {
        let table = Table::read(&d.data)?;
        let policy = if d.drop_missing {
            MissingPolicy::DropRows
        } else {
            MissingPolicy::Error
        };
        let sel = table.select_with(target, features, &d.exclude, policy, keep_constant)?;
        Ok(Loaded { table, sel })
    })
}

fn data_notes(l: &Loaded, t: &mut String) -> Result<serde_json::Value> {
    let s = &l.sel;
    writeln!(
        t,
        "data: {} rows, {} features [{}]{}",
        s.rows.len(),
        s.features.len(),
        s.features.join(", "),
        s.target
            .as_ref()
            .map_or(String::new(), |t| format!(", target {t}"))
    )?;
    if s.dropped_rows > 0 {
        let per: Vec<String> = s.missing.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        writeln!(
            t,
            "dropped {} of {} rows with missing values ({})",
            s.dropped_rows,
            l.table.n_rows(),
            per.join(", ")
        )?;
    }
    if !s.constant.is_empty() {
        writeln!(t, "left out constant column(s): {}", s.constant.join(", "))?;
    }
    Ok(json!({
        "rows": s.rows.len(),
        "rows_in_file": l.table.n_rows(),
        "dropped_rows": s.dropped_rows,
        "missing": s.missing.iter().map(|(c, n)| json!({"column": c, "count": n})).collect::<Vec<_>>(),
        "constant_columns_left_out": s.constant,
        "features": s.features,
        "target": s.target,
    }))
}

fn scores_json(s: &Scores) -> serde_json::Value {
    json!({"mae": s.mae, "rmse": s.rmse, "r2": s.r2, "mape": s.mape, "cv_rmse": s.cv_rmse, "nmbe": s.nmbe})
}

/// `building fit`.
pub fn fit(span: &mut Span, ctx: &Ctx, a: &BuildingFitArgs) -> Result<Outcome> {
    check_output(&a.out, &[&a.data.data])?;
    if let Some(p) = &a.plot {
        check_output(p, &[&a.data.data, &a.out])?;
    }
    if !(a.tolerance.is_finite() && a.tolerance >= 0.0) {
        bail!("--tolerance {}: must be ≥ 0", a.tolerance);
    }
    let h = hyper(&a.hyper)?;
    // check the hyper-parameters before reading anything
    let spec = match kind(a.hyper.model) {
        Some(k) => Some(load::spec(k, &h)?),
        None => {
            for k in ModelKind::ALL {
                load::spec(k, &h)?;
            }
            None
        }
    };
    let TargetArgs { target, features } = &a.target;
    let loaded = load_table(span, &a.data, Some(target), features.as_deref(), false)?;
    let mut t = String::new();
    let data = data_notes(&loaded, &mut t)?;
    let sel = &loaded.sel;
    let (x, y) = (sel.x.view(), sel.y.as_ref().expect("a target").view());
    let mut results = json!({ "data": data });
    let model = match spec {
        Some(spec) => {
            let model = span.phase("fit", |_| spec.fit(x, y))?;
            let pred = span.phase("score", |_| model.predict(x));
            let s = Scores::of(&y.to_vec(), &pred.to_vec(), model.n_params());
            writeln!(
                t,
                "{} fitted on {} rows: in-sample MAE {:.4}, RMSE {:.4}, R² {:.4}",
                spec.name(),
                y.len(),
                s.mae,
                s.rmse,
                s.r2
            )?;
            results["model"] = json!(spec.name());
            results["in_sample"] = scores_json(&s);
            results["mae"] = json!(s.mae);
            model
        }
        None => {
            let folds = cv::kfold_assignment(y.len(), a.cv, a.hyper.seed)?;
            let splits = cv::splits_from_folds(&folds);
            let settings = GreenSettings {
                tolerance: a.tolerance,
                expected_predictions: a.expected_predictions,
                ..Default::default()
            };
            let bar = ctx.progress(ModelKind::ALL.len() as u64 + 1, "green choice");
            let rows = load::green_choice(
                span,
                &ModelKind::ALL,
                &h,
                &settings,
                load::Evaluation {
                    x: x.reborrow(),
                    y: y.reborrow(),
                    splits: &splits,
                },
                |name| {
                    bar.set_message(format!("green choice: {name}"));
                    bar.inc(1);
                },
            )?;
            bar.finish_and_clear();
            green_table(&rows, a, &mut t)?;
            let picked = rows.iter().find(|r| r.picked).expect("one is picked");
            results["model"] = json!(picked.name);
            results["mae"] = json!(picked.mae);
            results["candidates"] = json!(rows);
            results["tolerance"] = json!(a.tolerance);
            results["expected_predictions"] = json!(a.expected_predictions);
            results["folds"] = json!(a.cv);
            if let Some(p) = &a.plot {
                span.phase("plot", |_| crate::plot::pareto(p, &rows, target))?;
                writeln!(t, "front drawn to {}", p.display())?;
            }
            picked.model.clone().expect("kept")
        }
    };
    if a.importance {
        let imp = span.phase("importance", |_| {
            permutation_importance(&model, x, y, 5, a.hyper.seed)
        });
        writeln!(
            t,
            "permutation importance (MAE increase when shuffled, mean ± sd of 5):"
        )?;
        let mut order: Vec<usize> = (0..imp.len()).collect();
        order.sort_by(|&i, &j| imp[j].mean.total_cmp(&imp[i].mean));
        for i in order {
            writeln!(
                t,
                "  {:<20} {:>10.4} ± {:.4}",
                sel.features[i], imp[i].mean, imp[i].sd
            )?;
        }
        results["permutation_importance"] = json!(
            imp.iter()
                .map(|i| json!({"feature": sel.features[i.feature], "mean": i.mean, "sd": i.sd}))
                .collect::<Vec<_>>()
        );
        if let Some(ii) = model.impurity_importance() {
            results["impurity_importance"] = json!(
                sel.features
                    .iter()
                    .zip(ii)
                    .map(|(f, v)| json!({"feature": f, "importance": v}))
                    .collect::<Vec<_>>()
            );
        }
    }
    let mut saved = SavedModel::new(model, sel.features.clone(), target.clone(), y.len());
    saved.meta = json!({ "seed": a.hyper.seed, "data": a.data.data.display().to_string() });
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, saved.to_json().as_bytes())
    })
    .with_context(|| format!("saving the model to {}", a.out.display()))?;
    writeln!(t, "model saved to {}", a.out.display())?;
    Ok(Outcome {
        results,
        text: t,
        unit: Some(FunctionalUnit::new(
            "1,000 predictions",
            y.len() as f64 / 1000.0,
        )),
    })
}

fn green_table(rows: &[load::Candidate], a: &BuildingFitArgs, t: &mut String) -> Result<()> {
    let est = if rows.iter().any(|r| r.estimate) {
        " (model estimates)"
    } else {
        ""
    };
    writeln!(
        t,
        "green model choice: {}-fold CV MAE; energy measured by the meter{est}; lifecycle = training + inference of {:.0} predictions",
        a.cv, a.expected_predictions
    )?;
    writeln!(
        t,
        "  {:<26} {:>16} {:>8} {:>12} {:>14} {:>10} {:>13}",
        "model", "MAE ± sd", "R²", "training J", "J / 1,000 pred", "size kB", "lifecycle J"
    )?;
    for r in rows {
        let mark = match (r.picked, r.pareto) {
            (true, _) => " ◀ picked (Pareto)",
            (false, true) => " · Pareto front",
            _ => "",
        };
        writeln!(
            t,
            "  {:<26} {:>8.4} ± {:<6.4} {:>8.4} {:>12.3} {:>14.5} {:>10.1} {:>13.3}{mark}",
            r.name,
            r.mae,
            r.mae_sd,
            r.r2,
            r.train_joules,
            r.infer_joules_per_1000,
            r.size_bytes as f64 / 1000.0,
            r.lifecycle_joules
        )?;
    }
    let best = rows.iter().map(|r| r.mae).fold(f64::INFINITY, f64::min);
    writeln!(
        t,
        "picked: the least lifecycle energy with MAE ≤ {:.4} (best {:.4} + {:.0} %)",
        best * (1.0 + a.tolerance),
        best,
        a.tolerance * 100.0
    )?;
    Ok(())
}

/// `building predict`.
pub fn predict(span: &mut Span, _ctx: &Ctx, a: &BuildingPredictArgs) -> Result<Outcome> {
    check_output(&a.out, &[&a.data.data, &a.model])?;
    let saved = span.phase("load model", |_| SavedModel::load(&a.model))?;
    let table = span.phase("load", |_| Table::read(&a.data.data))?;
    let available = table.column_names();
    saved.locate_features(&available)?;
    let policy = if a.data.drop_missing {
        MissingPolicy::DropRows
    } else {
        MissingPolicy::Error
    };
    let sel = table.select_with(None, Some(&saved.features), &[], policy, true)?;
    let pred = span.phase("predict", |_| saved.model.predict(sel.x.view()));
    let n = table.n_rows();
    let mut full = vec![f64::NAN; n];
    for (&r, p) in sel.rows.iter().zip(pred.iter()) {
        full[r] = *p;
    }
    let rows: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let target = available
        .contains(&saved.target)
        .then(|| table.numeric(&saved.target))
        .transpose()?;
    span.phase("write", |_| match &target {
        Some((obs, _)) => terrawatt_table::write_csv_atomic(
            &a.out,
            &["row", "prediction", saved.target.as_str()],
            &[&rows, &full, obs],
        ),
        None => terrawatt_table::write_csv_atomic(&a.out, &["row", "prediction"], &[&rows, &full]),
    })?;
    let mut t = String::new();
    writeln!(
        t,
        "{} predictions written to {}",
        sel.rows.len(),
        a.out.display()
    )?;
    if sel.dropped_rows > 0 {
        writeln!(
            t,
            "{} rows with missing features left without a prediction",
            sel.dropped_rows
        )?;
    }
    let mut results = json!({
        "predictions": sel.rows.len(),
        "rows_without_prediction": sel.dropped_rows,
        "model_kind": saved.model.kind(),
        "features": saved.features,
    });
    if let Some((obs, _)) = &target {
        let pairs: Vec<(f64, f64)> = obs
            .iter()
            .zip(&full)
            .filter(|(o, p)| !o.is_nan() && !p.is_nan())
            .map(|(o, p)| (*o, *p))
            .collect();
        if !pairs.is_empty() {
            let (o, p): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
            let s = Scores::of(&o, &p, 0);
            writeln!(
                t,
                "against {}: MAE {:.4}, RMSE {:.4}, R² {:.4}",
                saved.target, s.mae, s.rmse, s.r2
            )?;
            results["scores"] = scores_json(&s);
            results["mae"] = json!(s.mae);
        }
    }
    Ok(Outcome {
        results,
        text: t,
        unit: Some(FunctionalUnit::new(
            "1,000 predictions",
            sel.rows.len() as f64 / 1000.0,
        )),
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
    let spec = load::spec(k, &hyper(&a.hyper)?)?;
    let mut exclude = a.data.exclude.clone();
    exclude.extend(a.groups.iter().cloned());
    let d = DataArgs {
        exclude,
        ..a.data.clone()
    };
    let loaded = load_table(
        span,
        &d,
        Some(&a.target.target),
        a.target.features.as_deref(),
        false,
    )?;
    let mut t = String::new();
    let data = data_notes(&loaded, &mut t)?;
    let sel = &loaded.sel;
    let (x, y) = (sel.x.view(), sel.y.as_ref().expect("a target").view());
    let folds = match &a.groups {
        Some(g) => {
            let all = loaded.table.strings(g)?;
            let groups: Vec<String> = sel.rows.iter().map(|&r| all[r].clone()).collect();
            cv::group_kfold_assignment(&groups, a.cv)?
        }
        None => cv::kfold_assignment(y.len(), a.cv, a.hyper.seed)?,
    };
    let splits: Vec<Split> = cv::splits_from_folds(&folds);
    let res = span.phase("cross-validation", |_| {
        cv::cross_validate(&spec, x, y, &splits)
    })?;
    writeln!(t, "{}-fold cross-validation of {}:", a.cv, spec.name())?;
    writeln!(t, "  fold   rows      MAE     RMSE       R²")?;
    for f in &res.folds {
        writeln!(
            t,
            "  {:>4} {:>6} {:>8.4} {:>8.4} {:>8.4}",
            f.fold, f.n_test, f.scores.mae, f.scores.rmse, f.scores.r2
        )?;
    }
    let (mae, mae_sd) = res.mean_sd(|s| s.mae);
    let (rmse, rmse_sd) = res.mean_sd(|s| s.rmse);
    let (r2, r2_sd) = res.mean_sd(|s| s.r2);
    writeln!(
        t,
        "  mean ± sd: MAE {mae:.4} ± {mae_sd:.4}, RMSE {rmse:.4} ± {rmse_sd:.4}, R² {r2:.4} ± {r2_sd:.4}"
    )?;
    span.phase("write", |_| -> Result<()> {
        let file_rows: Vec<f64> = sel.rows.iter().map(|&r| r as f64).collect();
        if let Some(p) = &a.folds_out {
            let f: Vec<f64> = folds.iter().map(|&k| k as f64).collect();
            terrawatt_table::write_csv_atomic(p, &["row", "fold"], &[&file_rows, &f])?;
        }
        if let Some(p) = &a.oof_out {
            terrawatt_table::write_csv_atomic(p, &["row", "prediction"], &[&file_rows, &res.oof])?;
        }
        Ok(())
    })?;
    let n_pred = res.folds.iter().map(|f| f.n_test).sum::<usize>();
    Ok(Outcome {
        results: json!({
            "data": data,
            "model": spec.name(),
            "folds": res.folds,
            "mae": mae, "mae_sd": mae_sd,
            "rmse": rmse, "rmse_sd": rmse_sd,
            "r2": r2, "r2_sd": r2_sd,
            "seed": a.hyper.seed,
        }),
        text: t,
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
