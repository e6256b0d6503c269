//! Random forests (Breiman 2001): bootstrap samples, exact CART trees grown in parallel
//! (rayon over trees), predictions averaged. Tree `t` draws from its own stream of the seed
//! (see [`crate::rng::Rng::stream`]), and averages are summed in tree order, so a seed gives
//! the same forest and the same predictions at any thread count.

use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, param};
use crate::rng::Rng;
use crate::tree::{MaxFeatures, Tree, TreeParams, columns, fit_exact};

/// Unchecked parameters of a random forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    pub n_trees: usize,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub max_features: MaxFeatures,
    /// Draw a bootstrap sample per tree (else every tree sees all rows).
    pub bootstrap: bool,
    pub seed: u64,
}

impl Default for ForestParams {
    /// scikit-learn's RandomForestRegressor defaults: 100 trees, all features, full depth.
    fn default() -> Self {
        ForestParams {
            n_trees: 100,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::All,
            bootstrap: true,
            seed: 0,
        }
    }
}

/// Checked forest parameters.
#[derive(Debug, Clone, PartialEq)]
#[repr(transparent)]
pub struct ValidForestParams(ForestParams);

impl ForestParams {
    /// Rejects invalid values before any training.
    pub fn check(self) -> Result<ValidForestParams> {
        self.validate()?;
        Ok(ValidForestParams(self))
    }

    /// The rules of [`ForestParams::check`]: at least one tree, and valid tree rules.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.n_trees == 0 {
            return Err(param("n_trees", 0, "at least 1"));
        }
        self.tree_params().validate()
    }

    /// The rules each tree of the forest grows by.
    fn tree_params(&self) -> TreeParams {
        TreeParams {
            max_depth: self.max_depth,
            min_samples_split: self.min_samples_split,
            min_samples_leaf: self.min_samples_leaf,
            max_features: self.max_features,
            seed: self.seed,
        }
    }
}

/// A fitted forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    pub trees: Vec<Tree>,
    pub params: ForestParams,
}

impl ValidForestParams {
    pub fn params(&self) -> &ForestParams {
        &self.0
    }

    pub fn fit(&self, x: ArrayView2<'_, f64>, y: &[f64]) -> Result<Forest> {
        let cols = columns(x);
        let n = y.len();
        let p = &self.0;
        let tree_params = p.tree_params();
        let trees = (0..p.n_trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = Rng::stream(p.seed, t as u64);
                let idx: Vec<usize> = if p.bootstrap {
                    let mut v: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
                    v.sort_unstable();
                    v
                } else {
                    (0..n).collect()
                };
                fit_exact(&cols, y, idx, &tree_params, &mut rng)
            })
            .collect();
        Ok(Forest {
            trees,
            params: p.clone(),
        })
    }
}

impl Forest {
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let rows: Vec<f64> = x
            .rows()
            .into_iter()
            .collect::<Vec<_>>()
            .par_iter()
            .map(|r| {
                self.trees
                    .iter()
                    .map(|t| t.predict_row(|j| r[j]))
                    .sum::<f64>()
                    / self.trees.len() as f64
            })
            .collect();
        Array1::from(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_forest_at_any_thread_count() {
        let x = ndarray::Array2::from_shape_fn((200, 3), |(i, j)| ((i * 31 + j * 7) % 23) as f64);
        let y: Vec<f64> = (0..200).map(|i| x[[i, 0]] * 2.0 - x[[i, 1]]).collect();
        let p = ForestParams {
            n_trees: 16,
            ..Default::default()
        }
        .check()
        .unwrap();
        let (a, b) = crate::on_one_and_two_threads(|| p.fit(x.view(), &y).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.predict(x.view()), b.predict(x.view()));
        assert!(
            ForestParams {
                n_trees: 0,
                ..Default::default()
            }
            .check()
            .is_err()
        );
    }
}
