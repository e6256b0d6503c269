//! The load-model tasks as a library: fit (one model family, or the green choice over
//! all of them), predict with a saved model, cross-validate — each from typed settings,
//! inside a meter span (phases `load`, `fit`, `score`, `importance`, `write`,
//! `cross-validation`, `predict` as the command line reports them), each result with the
//! text the command line prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use terrawatt_learn::Model;
use terrawatt_learn::ModelSpec;
use terrawatt_learn::boost::{Binned, BinnedBuilder};
use terrawatt_learn::cv::{self, Split};
use terrawatt_learn::forest::ValidForestParams;
use terrawatt_learn::importance::permutation_importance;
use terrawatt_learn::metrics::Scores;
use terrawatt_learn::persist::SavedModel;
use terrawatt_meter::Span;
use terrawatt_table::columns::{ColumnSink, ParquetColumns};
use terrawatt_table::{MissingPolicy, Selection, Table};

use crate::BuildingError;
use crate::load::{self, Candidate, GreenSettings, Hyper, ModelKind};

type Result<T> = std::result::Result<T, BuildingError>;

/// A table of buildings: the file, the columns to use and what to do with missing values.
#[derive(Debug, Clone)]
pub struct Data {
    pub path: PathBuf,
    /// The target column (none for prediction).
    pub target: Option<String>,
    /// The feature columns (every numeric column but the target and `exclude` without).
    pub features: Option<Vec<String>>,
    pub exclude: Vec<String>,
    /// Rows with a missing value dropped (counted) instead of refused.
    pub drop_missing: bool,
}

/// A table read and its columns selected.
#[derive(Debug)]
pub struct Loaded {
    pub table: Table,
    pub sel: Selection,
    /// The features were every numeric column (none named).
    pub defaulted: bool,
}

/// How closely a feature taken by default may follow the target (|Pearson's r|) before it
/// is named as maybe another outcome: ENB2012's cooling load follows its heating load at
/// 0.976, its closest building feature (overall height) at 0.889.
pub const CLOSE_TO_TARGET: f64 = 0.97;

/// The features of `correlations` that follow the target at [`CLOSE_TO_TARGET`] or more.
fn close_to_target(correlations: impl IntoIterator<Item = (String, f64)>) -> Vec<(String, f64)> {
    correlations
        .into_iter()
        .filter(|(_, r)| r.abs() >= CLOSE_TO_TARGET)
        .collect()
}

impl Data {
    /// Reads the table and selects its columns (phase `load`).
    pub fn load(&self, span: &mut Span) -> Result<Loaded> {
        span.phase("load", |_| {
            let table = Table::read(&self.path)?;
            let policy = if self.drop_missing {
                MissingPolicy::DropRows
            } else {
                MissingPolicy::Error
            };
            let sel = table.select_with(
                self.target.as_deref(),
                self.features.as_deref(),
                &self.exclude,
                policy,
                false,
            )?;
            Ok(Loaded {
                table,
                sel,
                defaulted: self.features.is_none(),
            })
        })
    }
}

impl Loaded {
    /// The lines on the data (rows, features, dropped rows, constant columns) and the same
    /// as JSON.
    pub fn notes(&self, t: &mut String) -> Value {
        let s = &self.sel;
        // features taken by default that follow the target closely: another outcome?
        let close = match (&s.y, self.defaulted) {
            (Some(y), true) => {
                let y = y.to_vec();
                close_to_target(s.features.iter().enumerate().filter_map(|(j, f)| {
                    terrawatt_table::screen::correlation(&s.x.column(j).to_vec(), &y)
                        .map(|r| (f.clone(), r))
                }))
            }
            _ => vec![],
        };
        let counters: Vec<String> = if self.defaulted {
            s.features
                .iter()
                .enumerate()
                .filter(|(j, _)| terrawatt_table::screen::counts_rows(&s.x.column(*j).to_vec()))
                .map(|(_, f)| f.clone())
                .collect()
        } else {
            vec![]
        };
        Notes {
            rows: s.rows.len(),
            rows_in_file: self.table.n_rows(),
            dropped_rows: s.dropped_rows,
            missing: &s.missing,
            constant: &s.constant,
            features: &s.features,
            target: s.target.as_deref(),
            close: &close,
            counters: &counters,
        }
        .write(t)
    }
}

/// What a selection kept and left out, for [`Loaded::notes`] and the fit on columns.
struct Notes<'a> {
    rows: usize,
    rows_in_file: usize,
    dropped_rows: usize,
    missing: &'a [(String, usize)],
    constant: &'a [String],
    features: &'a [String],
    target: Option<&'a str>,
    /// Features taken by default that follow the target closely, and their r.
    close: &'a [(String, f64)],
    /// Features taken by default that count the rows
    /// ([`terrawatt_table::screen::counts_rows`]).
    counters: &'a [String],
}

impl Notes<'_> {
    fn write(&self, t: &mut String) -> Value {
        let _ = writeln!(
            t,
            "data: {} rows, {} features [{}]{}",
            self.rows,
            self.features.len(),
            self.features.join(", "),
            self.target
                .map_or(String::new(), |t| format!(", target {t}"))
        );
        if self.dropped_rows > 0 {
            let per: Vec<String> = self
                .missing
                .iter()
                .map(|(c, n)| format!("{c}: {n}"))
                .collect();
            let _ = writeln!(
                t,
                "dropped {} of {} rows with missing values ({})",
                self.dropped_rows,
                self.rows_in_file,
                per.join(", ")
            );
        }
        if !self.constant.is_empty() {
            let _ = writeln!(
                t,
                "left out constant column(s): {}",
                self.constant.join(", ")
            );
        }
        for (f, r) in self.close {
            let _ = writeln!(
                t,
                "note: feature '{f}' follows the target {} closely (r {r:.3}): another outcome measured with it, unknown when predicting? --exclude {f} if so",
                self.target.unwrap_or_default()
            );
        }
        for f in self.counters {
            let _ = writeln!(
                t,
                "note: feature '{f}' counts the rows (whole numbers rising or falling row by row): an identifier, which carries the file's order into the model? --exclude {f} if so"
            );
        }
        // as many parameters as rows: a linear fit passes through every row (R² 1 in
        // sample, nothing learnt), and in-sample scores say nothing of any model
        let too_few = self.target.is_some() && self.rows <= self.features.len() + 1;
        if too_few {
            let _ = writeln!(
                t,
                "note: {} rows for {} features: a linear model has as many parameters as rows (with its intercept) and fits them exactly, so in-sample scores say nothing; cross-validate (building cv) or give more rows",
                self.rows,
                self.features.len()
            );
        }
        json!({
            "features_close_to_target": self.close.iter().map(|(f, r)| json!({"feature": f, "r": r})).collect::<Vec<_>>(),
            "features_counting_rows": self.counters,
            "fewer_rows_than_parameters": too_few,
            "rows": self.rows,
            "rows_in_file": self.rows_in_file,
            "dropped_rows": self.dropped_rows,
            "missing": self.missing.iter().map(|(c, n)| json!({"column": c, "count": n})).collect::<Vec<_>>(),
            "constant_columns_left_out": self.constant,
            "features": self.features,
            "target": self.target,
        })
    }
}

/// The scores as JSON.
pub fn scores_json(s: &Scores) -> Value {
    json!({"mae": s.mae, "rmse": s.rmse, "r2": s.r2, "mape": s.mape, "cv_rmse": s.cv_rmse, "nmbe": s.nmbe})
}

// ---------------------------------------------------------------------------------------
// fit

/// A load model to fit: one family, or the green choice over all of them.
#[derive(Debug, Clone)]
pub struct FitSettings {
    pub data: Data,
    /// One family; `None`: the green choice.
    pub model: Option<ModelKind>,
    pub hyper: Hyper,
    /// Folds of the green choice's cross-validation.
    pub folds: usize,
    /// The green choice's tolerance on MAE (a share of the best).
    pub tolerance: f64,
    /// Predictions the model will make in its life (the green choice's inference energy).
    pub expected_predictions: f64,
    /// Permutation importance (5 shuffles) after the fit.
    pub importance: bool,
    /// A bound on the memory of the fit (bytes). Boosting and histogram forests on a
    /// Parquet table read it a column at a time into bin codes whatever the bound; with one, a fit whose estimate
    /// exceeds it is refused before any column is read, and every other fit (which holds
    /// the table whole) is refused.
    pub memory: Option<u64>,
}

/// A fitted load model, what was measured on the way, and the text of it.
#[derive(Debug)]
pub struct Fitted {
    pub model: Model,
    pub features: Vec<String>,
    pub target: String,
    pub rows: usize,
    /// Each feature's training range, [least, greatest], kept in the model file.
    pub ranges: Vec<[f64; 2]>,
    /// The green choice's candidates (empty for one family).
    pub candidates: Vec<Candidate>,
    pub results: Value,
    /// The text up to the green choice's table (or the family's line), then the rest.
    text_head: String,
    text_tail: String,
}

impl FitSettings {
    /// The command line's defaults (`terrawatt building fit`): one family, gradient boosting
    /// with its own hyper-parameters and seed 0; for the green choice (`model: None`) 10
    /// folds, a 5 % tolerance on MAE and 1,000,000 predictions over the model's life; no
    /// permutation importance.
    pub fn new(data: Data) -> FitSettings {
        FitSettings {
            data,
            model: Some(ModelKind::Gbm),
            hyper: Hyper::default(),
            folds: 10,
            tolerance: 0.05,
            expected_predictions: 1e6,
            importance: false,
            memory: None,
        }
    }
}

fn check_fit(s: &FitSettings) -> Result<()> {
    if !(s.tolerance.is_finite() && (0.0..1.0).contains(&s.tolerance)) {
        return Err(BuildingError::Setting(format!(
            "--tolerance {}: a share of the best MAE from 0 to under 1 (0.05 is 5 %){}",
            s.tolerance,
            if s.tolerance >= 1.0 && s.tolerance < 100.0 {
                format!("; for {} % give {}", s.tolerance, s.tolerance / 100.0)
            } else {
                String::new()
            }
        )));
    }
    // the hyper-parameters are checked before anything is read
    match s.model {
        Some(k) => load::spec(k, &s.hyper).map(|_| ())?,
        None => {
            for k in ModelKind::ALL {
                load::spec(k, &s.hyper)?;
            }
        }
    }
    Ok(())
}

/// Fits one family (phases `fit`, `score`) or runs the green choice; `progress` hears
/// each candidate's name.
pub fn fit(s: &FitSettings, span: &mut Span, progress: impl FnMut(&str)) -> Result<Fitted> {
    check_fit(s)?;
    let target = s.data.target.clone().ok_or_else(|| {
        BuildingError::Setting("a load model needs a target column (--target)".into())
    })?;
    if let Some(budget) = s.memory
        && !by_columns(s)
    {
        return Err(BuildingError::Setting(format!(
            "--memory {}: only gradient boosting (--model gbm, no --early-stopping) and \
             histogram forests (--model forest --max-bins), without --importance, on a \
             Parquet table fit within a bound, reading the table a column at a time; other \
             fits hold the table whole: leave --memory out",
            gb(budget)
        )));
    }
    if by_columns(s) {
        return fit_by_columns(s, span, target);
    }
    let loaded = s.data.load(span)?;
    let mut head = String::new();
    let data = loaded.notes(&mut head);
    let sel = &loaded.sel;
    let (x, y) = (sel.x.view(), sel.y.as_ref().expect("a target").view());
    let mut results = json!({ "data": data });
    let (model, candidates) = match s.model {
        Some(k) => {
            let spec = load::spec(k, &s.hyper)?;
            let (model, fitted) = span.phase("fit", |_| spec.fit_scored(x, y))?;
            // boosting's fit already holds its in-sample predictions
            let pred = span.phase("score", |_| fitted.unwrap_or_else(|| model.predict(x)));
            let sc = Scores::of(&y.to_vec(), &pred.to_vec(), model.n_params());
            let _ = writeln!(
                head,
                "{} fitted on {} rows: in-sample MAE {:.4}, RMSE {:.4}, R² {:.4}",
                spec.name(),
                y.len(),
                sc.mae,
                sc.rmse,
                sc.r2
            );
            if let ModelSpec::Forest(p) = &spec
                && p.params().max_bins.is_none()
                && y.len() >= EXACT_FOREST_ROWS
            {
                let _ = writeln!(
                    head,
                    "note: exact splits on {} rows; --max-bins 255 grows histogram trees, 40× faster at a million rows at the same accuracy",
                    y.len()
                );
            }
            results["model"] = json!(spec.name());
            results["in_sample"] = scores_json(&sc);
            results["mae"] = json!(sc.mae);
            (model, vec![])
        }
        None => {
            let folds = cv::kfold_assignment(y.len(), s.folds, s.hyper.seed)?;
            let splits = cv::splits_from_folds(&folds);
            let settings = GreenSettings {
                tolerance: s.tolerance,
                expected_predictions: s.expected_predictions,
                ..Default::default()
            };
            let data = load::Evaluation {
                x: x.reborrow(),
                y: y.reborrow(),
                splits: &splits,
            };
            let rows =
                load::green_choice(span, &ModelKind::ALL, &s.hyper, &settings, data, progress)?;
            green_table(&rows, s, &mut head);
            let picked = rows.iter().find(|r| r.picked).expect("one is picked");
            results["model"] = json!(picked.name);
            results["mae"] = json!(picked.mae);
            results["candidates"] = json!(rows);
            results["tolerance"] = json!(s.tolerance);
            results["expected_predictions"] = json!(s.expected_predictions);
            results["folds"] = json!(s.folds);
            let model = picked.model.clone().expect("kept");
            (model, rows)
        }
    };
    let mut tail = String::new();
    if s.importance {
        importance(span, &model, sel, y, s.hyper.seed, &mut results, &mut tail);
    }
    Ok(Fitted {
        model,
        features: sel.features.clone(),
        target,
        rows: y.len(),
        ranges: terrawatt_learn::persist::ranges_of(x),
        candidates,
        results,
        text_head: head,
        text_tail: tail,
    })
}

/// Rows from which an exact forest's text suggests histogram trees.
const EXACT_FOREST_ROWS: usize = 100_000;

/// Whether the fit reads the table a column at a time: boosting, on Parquet, with no step
/// that needs the rows whole (early stopping's held-out rows, permutation importance).
fn by_columns(s: &FitSettings) -> bool {
    let parquet = || {
        let mut head = [0u8; 4];
        std::fs::File::open(&s.data.path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok_and(|_| &head == b"PAR1")
    };
    let binned = match s.model {
        Some(ModelKind::Gbm) => !s.hyper.early_stopping,
        Some(ModelKind::Forest) => s.hyper.max_bins.is_some(),
        _ => false,
    };
    binned && !s.importance && parquet()
}

/// `bytes` in GB or MB, for messages.
fn gb(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

/// The columns, as they are read, binned for the booster.
/// The binned features, and each one's range.
struct BinSink(BinnedBuilder, Vec<[f64; 2]>);

impl ColumnSink for BinSink {
    fn start(&mut self, rows: usize) {
        self.0.start(rows);
        self.1.clear();
    }
    fn push(&mut self, values: &[f64]) {
        self.0.push(values);
        self.1
            .push(terrawatt_learn::persist::range_of(values.iter().copied()));
    }
}

/// Boosting or a histogram forest on a Parquet table read a column at a time (phase
/// `load`: the columns read, checked and binned), so that the table is never held whole:
/// the model equals the one fitted on the table read whole.
fn fit_by_columns(s: &FitSettings, span: &mut Span, target: String) -> Result<Fitted> {
    let spec = load::spec(s.model.expect("one family"), &s.hyper)?;
    let (max_bins, per_row, what): (usize, fn(usize) -> u64, &str) = match &spec {
        ModelSpec::Boosting(p) => (p.params().max_bins, Binned::fit_bytes_per_row, "boosting"),
        ModelSpec::Forest(p) => (
            p.params().max_bins.expect("histogram trees"),
            ValidForestParams::binned_fit_bytes_per_row,
            "a histogram forest",
        ),
        _ => unreachable!("only boosting and histogram forests are fitted by columns"),
    };
    let columns = ParquetColumns::open(&s.data.path)?;
    let n = columns.n_rows() as u64;
    let d = match &s.data.features {
        Some(f) => f.len(),
        None => columns.column_names().len().saturating_sub(1),
    };
    // the fit's buffers, the targets, and a column being read (its frame, its values and
    // a copy of the kept rows)
    let need = n * (per_row(d) + 8 + 3 * 8);
    if let Some(budget) = s.memory
        && need > budget
    {
        return Err(BuildingError::Setting(format!(
            "--memory {}: {what} on {} rows × {d} features of {} needs about {}; raise \
             --memory, or fit a sample of the rows",
            gb(budget),
            n,
            s.data.path.display(),
            gb(need)
        )));
    }
    let policy = if s.data.drop_missing {
        MissingPolicy::DropRows
    } else {
        MissingPolicy::Error
    };
    let mut sink = BinSink(BinnedBuilder::new(max_bins), Vec::new());
    let (sel, binned, ranges) = span.phase("load", |_| -> Result<_> {
        let sel = columns.select(
            Some(&target),
            s.data.features.as_deref(),
            &s.data.exclude,
            policy,
            &mut sink,
        )?;
        Ok((sel, sink.0.finish(), sink.1))
    })?;
    let mut head = String::new();
    let data = Notes {
        rows: sel.rows,
        rows_in_file: columns.n_rows(),
        dropped_rows: sel.dropped_rows,
        missing: &sel.missing,
        constant: &sel.constant,
        features: &sel.features,
        target: Some(&target),
        close: &if s.data.features.is_none() {
            close_to_target(sel.correlations.iter().cloned())
        } else {
            vec![]
        },
        counters: if s.data.features.is_none() {
            &sel.counters
        } else {
            &[]
        },
    }
    .write(&mut head);
    let y = sel.y.as_ref().expect("a target");
    let (model, pred) = span.phase("fit", |_| match &spec {
        ModelSpec::Boosting(p) => p
            .fit_binned(&binned, y)
            .map(|(m, pred)| (Model::Boosting(m), pred)),
        ModelSpec::Forest(p) => p
            .fit_binned_rows(&binned, y)
            .map(|(m, pred)| (Model::Forest(m), pred)),
        _ => unreachable!("checked above"),
    })?;
    drop(binned);
    let sc = span.phase("score", |_| Scores::of(y, &pred, model.n_params()));
    let _ = writeln!(
        head,
        "{} fitted on {} rows (read a column at a time): in-sample MAE {:.4}, RMSE {:.4}, R² {:.4}",
        spec.name(),
        y.len(),
        sc.mae,
        sc.rmse,
        sc.r2
    );
    let mut results = json!({ "data": data });
    results["model"] = json!(spec.name());
    results["in_sample"] = scores_json(&sc);
    results["mae"] = json!(sc.mae);
    results["read"] = json!({
        "by_columns": true,
        "memory_estimate_bytes": need,
        "memory_bound_bytes": s.memory,
    });
    Ok(Fitted {
        model,
        features: sel.features.clone(),
        target,
        rows: y.len(),
        ranges,
        candidates: vec![],
        results,
        text_head: head,
        text_tail: String::new(),
    })
}

fn importance(
    span: &mut Span,
    model: &Model,
    sel: &Selection,
    y: ndarray::ArrayView1<'_, f64>,
    seed: u64,
    results: &mut Value,
    t: &mut String,
) {
    let x = sel.x.view();
    let imp = span.phase("importance", |_| {
        permutation_importance(model, x, y, 5, seed)
    });
    let _ = writeln!(
        t,
        "permutation importance (MAE increase when shuffled, mean ± sd of 5):"
    );
    let mut order: Vec<usize> = (0..imp.len()).collect();
    order.sort_by(|&i, &j| imp[j].mean.total_cmp(&imp[i].mean));
    for i in order {
        let _ = writeln!(
            t,
            "  {:<20} {:>10.4} ± {:.4}",
            sel.features[i], imp[i].mean, imp[i].sd
        );
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

fn green_table(rows: &[Candidate], s: &FitSettings, t: &mut String) {
    let est = if rows.iter().any(|r| r.estimate) {
        " (model estimates)"
    } else {
        ""
    };
    let _ = writeln!(
        t,
        "green model choice: {}-fold CV MAE; energy measured by the meter{est}; lifecycle = training + inference of {:.0} predictions",
        s.folds, s.expected_predictions
    );
    let _ = writeln!(
        t,
        "  {:<26} {:>16} {:>8} {:>12} {:>14} {:>10} {:>13}",
        "model", "MAE ± sd", "R²", "training J", "J / 1,000 pred", "size kB", "lifecycle J"
    );
    for r in rows {
        let mark = match (r.picked, r.pareto) {
            (true, _) => " ◀ picked (Pareto)",
            (false, true) => " · Pareto front",
            _ => "",
        };
        let _ = writeln!(
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
        );
    }
    let best = rows.iter().map(|r| r.mae).fold(f64::INFINITY, f64::min);
    let _ = writeln!(
        t,
        "picked: the least lifecycle energy with MAE ≤ {:.4} (best {:.4} + {:.0} %)",
        best * (1.0 + s.tolerance),
        best,
        s.tolerance * 100.0
    );
}

impl Fitted {
    /// Saves the model (phase `write`) with its features, target, seed and data file.
    pub fn save(&self, out: &Path, seed: u64, data: &Path, span: &mut Span) -> Result<()> {
        let mut saved = SavedModel::new(
            self.model.clone(),
            self.features.clone(),
            self.target.clone(),
            self.rows,
        );
        saved.meta = json!({ "seed": seed, "data": data.display().to_string() });
        saved.ranges = self.ranges.clone();
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, saved.to_json().as_bytes())
        })
        .map_err(|e| BuildingError::File {
            path: out.to_path_buf(),
            message: format!("saving the model to {}: {e}", out.display()),
        })
    }

    /// The data's notes and the fit's line, or the green choice's table of candidates (with
    /// the rule that picked one), without saving the model; the permutation importance
    /// follows when it was asked for.
    pub fn table_text(&self) -> String {
        format!("{}{}", self.text_head, self.text_tail)
    }

    /// The text the command prints: the data, the fit (or the green choice's table), where
    /// the front was drawn, the importance, where the model was saved.
    pub fn text(&self, front: Option<&Path>, out: &Path) -> String {
        let mut t = self.text_head.clone();
        if let Some(p) = front.filter(|_| !self.candidates.is_empty()) {
            let _ = writeln!(t, "front drawn to {}", p.display());
        }
        t.push_str(&self.text_tail);
        let _ = writeln!(t, "model saved to {}", out.display());
        t
    }
}

// ---------------------------------------------------------------------------------------
// prediction

/// Predictions of a saved model for the rows of a table.
#[derive(Debug, Clone)]
pub struct PredictSettings {
    /// The table (CSV, gzipped CSV or Parquet) with the model's feature columns.
    pub data: PathBuf,
    /// The saved model (`building fit --out`).
    pub model: PathBuf,
    /// The CSV written: `row`, `prediction`, and the target where the table has it.
    pub out: PathBuf,
    /// Rows with a missing feature get no prediction (and are counted) instead of an error.
    pub drop_missing: bool,
}

/// What a prediction run wrote and found.
#[derive(Debug)]
pub struct Predicted {
    /// Rows predicted.
    pub predictions: usize,
    /// Rows left without a prediction for a missing feature.
    pub dropped: usize,
    /// Features with rows outside the range the model was trained on.
    pub outside: Vec<terrawatt_learn::persist::Outside>,
    /// Scores against the table's target column, where it has one with predicted rows.
    pub scores: Option<(String, Scores)>,
    pub results: Value,
    text: String,
}

impl Predicted {
    /// The text the command prints.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Predicts with a saved model (phases `load model`, `load`, `predict`, `write`); the output
/// has one line per row of the table, NaN where a row had a missing feature.
pub fn predict(s: &PredictSettings, span: &mut Span) -> Result<Predicted> {
    let saved = span.phase("load model", |_| SavedModel::load(&s.model))?;
    let table = span.phase("load", |_| Table::read(&s.data))?;
    let available = table.column_names();
    saved.locate_features(&available)?;
    let policy = if s.drop_missing {
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
    let name = saved.target.as_str();
    span.phase("write", |_| match &target {
        Some((obs, _)) => terrawatt_table::write_csv_atomic(
            &s.out,
            &["row", "prediction", name],
            &[&rows, &full, obs],
        ),
        None => terrawatt_table::write_csv_atomic(&s.out, &["row", "prediction"], &[&rows, &full]),
    })?;
    let outside = saved.outside_training(sel.x.view());
    let scores = target.and_then(|(obs, _)| {
        let (o, p): (Vec<f64>, Vec<f64>) = obs
            .iter()
            .zip(&full)
            .filter(|(o, p)| !o.is_nan() && !p.is_nan())
            .map(|(o, p)| (*o, *p))
            .unzip();
        (!o.is_empty()).then(|| (saved.target.clone(), Scores::of(&o, &p, 0)))
    });
    let mut results = json!({
        "predictions": sel.rows.len(),
        "rows_without_prediction": sel.dropped_rows,
        "model_kind": saved.model.kind(),
        "features": saved.features,
        "outside_training_range": outside,
    });
    if let Some((_, sc)) = &scores {
        results["scores"] = scores_json(sc);
        results["mae"] = json!(sc.mae);
    }
    let mut r = Predicted {
        predictions: sel.rows.len(),
        dropped: sel.dropped_rows,
        outside,
        scores,
        results,
        text: String::new(),
    };
    r.text = predict_text(&r, &s.out);
    Ok(r)
}

fn predict_text(r: &Predicted, out: &Path) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} predictions written to {}",
        r.predictions,
        out.display()
    );
    if r.dropped > 0 {
        let _ = writeln!(
            t,
            "{} rows with missing features left without a prediction",
            r.dropped
        );
    }
    for o in &r.outside {
        let _ = writeln!(
            t,
            "note: {}: {} of {} rows outside the training range {}…{}, where the model extrapolates{}",
            o.feature,
            o.rows,
            o.of,
            o.least,
            o.greatest,
            if 2 * o.rows > o.of {
                " (most of them: another unit than in training?)"
            } else {
                ""
            }
        );
    }
    if let Some((target, s)) = &r.scores {
        let _ = writeln!(
            t,
            "against {target}: MAE {:.4}, RMSE {:.4}, R² {:.4}",
            s.mae, s.rmse, s.r2
        );
    }
    t
}

// ---------------------------------------------------------------------------------------
// cross-validation

/// A cross-validation of one family: by k folds, or by groups of a column.
#[derive(Debug, Clone)]
pub struct CvSettings {
    pub data: Data,
    pub model: ModelKind,
    pub hyper: Hyper,
    pub folds: usize,
    /// A column whose groups stay whole (group k-fold); it is not a feature.
    pub groups: Option<String>,
}

/// A cross-validation: per fold and out of fold.
#[derive(Debug)]
pub struct CvRun {
    pub loaded: Loaded,
    pub folds: Vec<usize>,
    pub result: cv::CvResult,
    pub results: Value,
    text: String,
}

/// Cross-validates one family (phase `cross-validation`).
pub fn cross_validate(s: &CvSettings, span: &mut Span) -> Result<CvRun> {
    let spec = load::spec(s.model, &s.hyper)?;
    let mut data = s.data.clone();
    data.exclude.extend(s.groups.iter().cloned());
    let loaded = data.load(span)?;
    let mut t = String::new();
    let notes = loaded.notes(&mut t);
    let sel = &loaded.sel;
    let (x, y) = (sel.x.view(), sel.y.as_ref().expect("a target").view());
    let folds = match &s.groups {
        Some(g) => {
            let all = loaded.table.strings(g)?;
            let groups: Vec<String> = sel.rows.iter().map(|&r| all[r].clone()).collect();
            cv::group_kfold_assignment(&groups, s.folds)?
        }
        None => cv::kfold_assignment(y.len(), s.folds, s.hyper.seed)?,
    };
    let splits: Vec<Split> = cv::splits_from_folds(&folds);
    let res = span.phase("cross-validation", |_| {
        cv::cross_validate(&spec, x, y, &splits)
    })?;
    let _ = writeln!(t, "{}-fold cross-validation of {}:", s.folds, spec.name());
    let _ = writeln!(t, "  fold   rows      MAE     RMSE       R²");
    for f in &res.folds {
        let _ = writeln!(
            t,
            "  {:>4} {:>6} {:>8.4} {:>8.4} {:>8.4}",
            f.fold, f.n_test, f.scores.mae, f.scores.rmse, f.scores.r2
        );
    }
    let (mae, mae_sd) = res.mean_sd(|s| s.mae);
    let (rmse, rmse_sd) = res.mean_sd(|s| s.rmse);
    let (r2, r2_sd) = res.mean_sd(|s| s.r2);
    let _ = writeln!(
        t,
        "  mean ± sd: MAE {mae:.4} ± {mae_sd:.4}, RMSE {rmse:.4} ± {rmse_sd:.4}, R² {r2:.4} ± {r2_sd:.4}"
    );
    let results = json!({
        "data": notes,
        "model": spec.name(),
        "folds": res.folds,
        "mae": mae, "mae_sd": mae_sd,
        "rmse": rmse, "rmse_sd": rmse_sd,
        "r2": r2, "r2_sd": r2_sd,
        "seed": s.hyper.seed,
    });
    Ok(CvRun {
        loaded,
        folds,
        result: res,
        results,
        text: t,
    })
}

impl CvRun {
    /// The text the command prints: the data, a line per fold, mean ± sd.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Writes the fold of each row and the out-of-fold predictions (phase `write`).
    pub fn write(
        &self,
        folds_out: Option<&Path>,
        oof_out: Option<&Path>,
        span: &mut Span,
    ) -> Result<()> {
        let file_rows: Vec<f64> = self.loaded.sel.rows.iter().map(|&r| r as f64).collect();
        span.phase("write", |_| -> Result<()> {
            if let Some(p) = folds_out {
                let f: Vec<f64> = self.folds.iter().map(|&k| k as f64).collect();
                terrawatt_table::write_csv_atomic(p, &["row", "fold"], &[&file_rows, &f])?;
            }
            if let Some(p) = oof_out {
                terrawatt_table::write_csv_atomic(
                    p,
                    &["row", "prediction"],
                    &[&file_rows, &self.result.oof],
                )?;
            }
            Ok(())
        })
    }
}
