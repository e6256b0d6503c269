//! Cross-validation: shuffled K-fold, grouped K-fold, and rolling-origin (time-series)
//! splits; folds are fitted in parallel.

use ndarray::{ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{LearnError, Result};
use crate::learner::{Learner, Regressor};
use crate::metrics::Scores;
use crate::model::ModelSpec;
use crate::rng::Rng;

/// One split: rows to train on and rows to test on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Shuffled K-fold: rows are permuted by a Fisher–Yates shuffle of the seed, then cut into
/// `k` consecutive chunks, the first `n mod k` one row larger. Returns each row's fold.
pub fn kfold_assignment(n: usize, k: usize, seed: u64) -> Result<Vec<usize>> {
    if k < 2 {
        return Err(LearnError::Data(format!("{k} folds: need at least 2")));
    }
    if n < k {
        return Err(LearnError::Data(format!(
            "{n} rows cannot make {k} folds: give at most {n} folds or more rows"
        )));
    }
    let mut perm: Vec<usize> = (0..n).collect();
    Rng::new(seed).shuffle(&mut perm);
    let mut fold = vec![0; n];
    let (base, extra) = (n / k, n % k);
    let mut pos = 0;
    for f in 0..k {
        let size = base + usize::from(f < extra);
        for &row in &perm[pos..pos + size] {
            fold[row] = f;
        }
        pos += size;
    }
    Ok(fold)
}

/// Grouped K-fold: whole groups go to one fold; groups are placed largest first into the
/// fold with the fewest rows so far (as scikit-learn's GroupKFold). Returns each row's fold.
pub fn group_kfold_assignment(groups: &[String], k: usize) -> Result<Vec<usize>> {
    let mut sizes: std::collections::BTreeMap<&str, usize> = Default::default();
    for g in groups {
        *sizes.entry(g.as_str()).or_default() += 1;
    }
    if sizes.len() < k {
        return Err(LearnError::Data(format!(
            "{} groups cannot make {k} folds",
            sizes.len()
        )));
    }
    let mut order: Vec<(&str, usize)> = sizes.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut load = vec![0usize; k];
    let mut fold_of: std::collections::HashMap<&str, usize> = Default::default();
    for (g, s) in order {
        let f = (0..k).min_by_key(|&f| (load[f], f)).expect("k ≥ 1");
        load[f] += s;
        fold_of.insert(g, f);
    }
    Ok(groups.iter().map(|g| fold_of[g.as_str()]).collect())
}

/// Splits from a fold assignment.
pub fn splits_from_folds(fold: &[usize]) -> Vec<Split> {
    let k = fold.iter().max().map_or(0, |m| m + 1);
    (0..k)
        .map(|f| Split {
            train: (0..fold.len()).filter(|&i| fold[i] != f).collect(),
            test: (0..fold.len()).filter(|&i| fold[i] == f).collect(),
        })
        .collect()
}

/// Rolling-origin splits over rows in time order: `n_splits` test blocks of `n / (n_splits
/// + 1)` rows each at the end of the series; each trains on everything before its block
/// (or on the last `max_train` rows before it).
pub fn time_series_splits(
    n: usize,
    n_splits: usize,
    max_train: Option<usize>,
) -> Result<Vec<Split>> {
    let test = n / (n_splits + 1);
    if n_splits < 1 || test == 0 {
        return Err(LearnError::Data(format!(
            "{n} rows cannot make {n_splits} time-series splits"
        )));
    }
    let first = n - n_splits * test;
    Ok((0..n_splits)
        .map(|s| {
            let start = first + s * test;
            let lo = max_train.map_or(0, |m| start.saturating_sub(m));
            Split {
                train: (lo..start).collect(),
                test: (start..start + test).collect(),
            }
        })
        .collect())
}

/// The outcome of one fold.
#[derive(Debug, Clone, Serialize)]
pub struct FoldResult {
    pub fold: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub scores: Scores,
}

/// Per-fold scores and the out-of-fold predictions (NaN for rows in no test block).
#[derive(Debug, Clone, Serialize)]
pub struct CvResult {
    pub folds: Vec<FoldResult>,
    pub oof: Vec<f64>,
}

impl CvResult {
    /// Mean and sample standard deviation (n − 1) of a score over folds.
    pub fn mean_sd(&self, f: impl Fn(&Scores) -> f64) -> (f64, f64) {
        let v: Vec<f64> = self.folds.iter().map(|r| f(&r.scores)).collect();
        crate::metrics::mean_sd(&v)
    }
}

/// Fits `spec` on each split's training rows and scores it on its test rows, folds in
/// parallel. Scores use `n − p` with the fitted model's parameter count.
pub fn cross_validate(
    spec: &ModelSpec,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    splits: &[Split],
) -> Result<CvResult> {
    cross_validate_with(x, y, splits, |xt, yt| spec.fit(xt, yt))
}

/// [`cross_validate`] for any [`Learner`] (a model of another library, say).
pub fn cross_validate_learner(
    learner: &dyn Learner,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    splits: &[Split],
) -> Result<CvResult> {
    cross_validate_with(x, y, splits, |xt, yt| learner.fit_rows(xt, yt))
}

/// [`cross_validate`] with any way of fitting a model on a fold's training rows (a
/// teacher and its distilled student, say).
pub fn cross_validate_with<M: Regressor>(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    splits: &[Split],
    fit: impl Fn(ArrayView2<'_, f64>, ArrayView1<'_, f64>) -> Result<M> + Sync,
) -> Result<CvResult> {
    let folds: Vec<(FoldResult, Vec<f64>)> = splits
        .par_iter()
        .enumerate()
        .map(|(k, s)| {
            let xt = x.select(Axis(0), &s.train);
            let yt = y.select(Axis(0), &s.train);
            let model = fit(xt.view(), yt.view())?;
            let pred = model
                .predict_rows(x.select(Axis(0), &s.test).view())
                .to_vec();
            let obs: Vec<f64> = s.test.iter().map(|&i| y[i]).collect();
            Ok((
                FoldResult {
                    fold: k,
                    n_train: s.train.len(),
                    n_test: s.test.len(),
                    scores: Scores::of(&obs, &pred, model.n_params()),
                },
                pred,
            ))
        })
        .collect::<Result<_>>()?;
    let mut oof = vec![f64::NAN; y.len()];
    let mut out = Vec::with_capacity(folds.len());
    for ((r, pred), s) in folds.into_iter().zip(splits) {
        for (&i, p) in s.test.iter().zip(pred) {
            oof[i] = p;
        }
        out.push(r);
    }
    Ok(CvResult { folds: out, oof })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfold_sizes_and_coverage() {
        let f = kfold_assignment(23, 5, 0).unwrap();
        let mut sizes = [0; 5];
        f.iter().for_each(|&k| sizes[k] += 1);
        assert_eq!(sizes, [5, 5, 5, 4, 4]);
        assert_eq!(f, kfold_assignment(23, 5, 0).unwrap());
        assert_ne!(f, kfold_assignment(23, 5, 1).unwrap());
        let e = kfold_assignment(3, 10, 0).unwrap_err();
        assert!(e.to_string().contains("3 rows cannot make 10 folds"), "{e}");
    }

    #[test]
    fn groups_stay_together() {
        let g: Vec<String> = ["a", "a", "a", "b", "b", "c", "d", "d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let f = group_kfold_assignment(&g, 2).unwrap();
        assert_eq!(f[0], f[1]);
        assert_eq!(f[1], f[2]);
        assert_eq!(f[3], f[4]);
        assert_eq!(f[6], f[7]);
        // loads: a=3 → fold 0; b=2 → 1; d=2 → 1; c=1 → 0
        assert_eq!(f, vec![0, 0, 0, 1, 1, 0, 1, 1]);
    }

    #[test]
    fn rolling_origin() {
        let s = time_series_splits(10, 3, None).unwrap();
        assert_eq!(s[0].train, (0..4).collect::<Vec<_>>());
        assert_eq!(s[0].test, vec![4, 5]);
        assert_eq!(s[2].test, vec![8, 9]);
        let s = time_series_splits(10, 3, Some(2)).unwrap();
        assert_eq!(s[2].train, vec![6, 7]);
    }
}
