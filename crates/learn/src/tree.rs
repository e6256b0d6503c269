//! Regression trees (CART, Breiman et al. 1984) with squared-error splits.
//!
//! [`fit_exact`] grows a tree on raw values: at each node, each candidate feature's values
//! are sorted and every boundary between distinct values is tried; the threshold is the
//! midpoint (as scikit-learn's). A split maximises the decrease of the sum of squared
//! errors, `S_L²/n_L + S_R²/n_R − S²/n`. The same [`Tree`] type holds the trees that the
//! histogram booster grows.

use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Result, param};
use crate::rng::Rng;

/// Sentinel feature index of a leaf.
pub const LEAF: u32 = u32::MAX;

/// A node: a leaf (`feature == LEAF`) or a split `x[feature] <= threshold` → left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    /// The node's prediction (the mean of its training targets, or the booster's value).
    pub value: f64,
    /// Training rows that reached it.
    pub n: u32,
}

impl Node {
    /// A leaf reached by `n` training rows, its value still to be set.
    pub fn leaf(n: usize) -> Node {
        Node {
            feature: LEAF,
            threshold: 0.0,
            left: 0,
            right: 0,
            value: 0.0,
            n: n as u32,
        }
    }
}

/// A fitted regression tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub n_features: usize,
    /// Decrease of the squared error credited to each feature (unnormalised).
    pub importance: Vec<f64>,
}

impl Tree {
    /// The prediction for one row.
    pub fn predict_row(&self, row: impl Fn(usize) -> f64) -> f64 {
        self.nodes[self.leaf_of(row)].value
    }

    /// The index of the leaf a row reaches.
    pub fn leaf_of(&self, row: impl Fn(usize) -> f64) -> usize {
        let mut i = 0usize;
        loop {
            let n = &self.nodes[i];
            if n.feature == LEAF {
                return i;
            }
            i = if row(n.feature as usize) <= n.threshold {
                n.left
            } else {
                n.right
            } as usize;
        }
    }

    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        x.rows()
            .into_iter()
            .map(|r| self.predict_row(|j| r[j]))
            .collect()
    }

    pub fn depth(&self) -> usize {
        fn d(t: &Tree, i: usize) -> usize {
            let n = &t.nodes[i];
            if n.feature == LEAF {
                0
            } else {
                1 + d(t, n.left as usize).max(d(t, n.right as usize))
            }
        }
        d(self, 0)
    }

    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.feature == LEAF).count()
    }
}

/// How many features a split considers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeatures {
    All,
    Sqrt,
    /// A fraction of the features, at least one.
    Fraction(f64),
    Count(usize),
}

impl MaxFeatures {
    pub fn resolve(self, d: usize) -> usize {
        let k = match self {
            MaxFeatures::All => d,
            MaxFeatures::Sqrt => (d as f64).sqrt().round() as usize,
            MaxFeatures::Fraction(f) => (f * d as f64).round() as usize,
            MaxFeatures::Count(c) => c,
        };
        k.clamp(1, d.max(1))
    }
}

/// Unchecked parameters of a regression tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeParams {
    /// `None`: grow until the other rules stop it.
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub max_features: MaxFeatures,
    pub seed: u64,
}

impl Default for TreeParams {
    fn default() -> Self {
        TreeParams {
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::All,
            seed: 0,
        }
    }
}

/// Checked tree parameters.
#[derive(Debug, Clone, PartialEq)]
#[repr(transparent)]
pub struct ValidTreeParams(pub(crate) TreeParams);

impl TreeParams {
    /// Rejects invalid values before any training.
    pub fn check(self) -> Result<ValidTreeParams> {
        self.validate()?;
        Ok(ValidTreeParams(self))
    }

    /// The rules of [`TreeParams::check`].
    pub(crate) fn validate(&self) -> Result<()> {
        if self.max_depth == Some(0) {
            return Err(param("max_depth", 0, "at least 1 (or none)"));
        }
        if self.min_samples_split < 2 {
            return Err(param(
                "min_samples_split",
                self.min_samples_split,
                "at least 2",
            ));
        }
        if self.min_samples_leaf < 1 {
            return Err(param(
                "min_samples_leaf",
                self.min_samples_leaf,
                "at least 1",
            ));
        }
        match self.max_features {
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(param("max_features", f, "a fraction in (0, 1]"));
            }
            MaxFeatures::Count(0) => return Err(param("max_features", 0, "at least 1")),
            _ => {}
        }
        Ok(())
    }
}

impl ValidTreeParams {
    pub fn params(&self) -> &TreeParams {
        &self.0
    }

    /// Fits on all rows.
    pub fn fit(&self, x: ArrayView2<'_, f64>, y: &[f64]) -> Result<Tree> {
        let cols = columns(x);
        let idx: Vec<usize> = (0..y.len()).collect();
        Ok(fit_exact(
            &cols,
            y,
            idx,
            &self.0,
            &mut Rng::new(self.0.seed),
        ))
    }
}

/// Feature-major copy of `x`.
pub fn columns(x: ArrayView2<'_, f64>) -> Vec<Vec<f64>> {
    x.columns().into_iter().map(|c| c.to_vec()).collect()
}

struct Best {
    feature: usize,
    threshold: f64,
    gain: f64,
}

/// Grows a tree on the rows `idx` (repeats allowed: a bootstrap sample).
pub fn fit_exact(
    cols: &[Vec<f64>],
    y: &[f64],
    mut idx: Vec<usize>,
    p: &TreeParams,
    rng: &mut Rng,
) -> Tree {
    let d = cols.len();
    let k = p.max_features.resolve(d);
    let mut tree = Tree {
        nodes: Vec::new(),
        n_features: d,
        importance: vec![0.0; d],
    };
    // (node id, start, end, depth)
    let mut stack = vec![(0usize, 0usize, idx.len(), 0usize)];
    tree.nodes.push(Node::leaf(idx.len()));
    let mut feats: Vec<usize> = (0..d).collect();
    let mut pairs: Vec<(f64, f64)> = Vec::with_capacity(idx.len());
    while let Some((node, lo, hi, depth)) = stack.pop() {
        let rows = &idx[lo..hi];
        let m = rows.len();
        let sum: f64 = rows.iter().map(|&i| y[i]).sum();
        let mean = sum / m as f64;
        tree.nodes[node].value = mean;
        tree.nodes[node].n = m as u32;
        let sse_parent: f64 = rows.iter().map(|&i| (y[i] - mean).powi(2)).sum();
        let can_split = m >= p.min_samples_split
            && m >= 2 * p.min_samples_leaf
            && p.max_depth.is_none_or(|md| depth < md)
            && sse_parent > 1e-12 * (1.0 + mean * mean) * m as f64;
        if !can_split {
            continue;
        }
        if k < d {
            rng.shuffle(&mut feats);
        }
        let mut best: Option<Best> = None;
        for &f in feats.iter().take(k) {
            pairs.clear();
            pairs.extend(rows.iter().map(|&i| (cols[f][i], y[i])));
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut sl = 0.0;
            let base = sum * sum / m as f64;
            for s in 0..m - 1 {
                sl += pairs[s].1;
                let nl = s + 1;
                if pairs[s].0 == pairs[s + 1].0 || nl < p.min_samples_leaf {
                    continue;
                }
                let nr = m - nl;
                if nr < p.min_samples_leaf {
                    break;
                }
                let sr = sum - sl;
                let gain = sl * sl / nl as f64 + sr * sr / nr as f64 - base;
                if best.as_ref().is_none_or(|b| gain > b.gain) {
                    let (a, b) = (pairs[s].0, pairs[s + 1].0);
                    let mut t = a + (b - a) / 2.0;
                    if t >= b {
                        t = a;
                    }
                    best = Some(Best {
                        feature: f,
                        threshold: t,
                        gain,
                    });
                }
            }
        }
        let Some(b) = best.filter(|b| b.gain > 0.0) else {
            continue;
        };
        // partition rows[lo..hi]: left (<= threshold) first, order kept
        let (mut left, mut right): (Vec<usize>, Vec<usize>) = idx[lo..hi]
            .iter()
            .partition(|&&i| cols[b.feature][i] <= b.threshold);
        let nl = left.len();
        idx[lo..lo + nl].copy_from_slice(&left);
        idx[lo + nl..hi].copy_from_slice(&right);
        left.clear();
        right.clear();
        tree.importance[b.feature] += b.gain;
        let l = tree.nodes.len();
        tree.nodes.extend([Node::leaf(0), Node::leaf(0)]);
        let n = &mut tree.nodes[node];
        n.feature = b.feature as u32;
        n.threshold = b.threshold;
        n.left = l as u32;
        n.right = l as u32 + 1;
        stack.push((l + 1, lo + nl, hi, depth + 1));
        stack.push((l, lo, lo + nl, depth + 1));
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn a_step_is_found_exactly() {
        let x = array![[1.0], [2.0], [3.0], [10.0], [11.0], [12.0]];
        let y = [1.0, 1.0, 1.0, 5.0, 5.0, 5.0];
        let t = TreeParams::default()
            .check()
            .unwrap()
            .fit(x.view(), &y)
            .unwrap();
        assert_eq!(t.nodes[0].threshold, 6.5);
        assert_eq!(t.n_leaves(), 2);
        assert_eq!(
            t.predict(array![[0.0], [7.0]].view()).to_vec(),
            vec![1.0, 5.0]
        );
    }

    #[test]
    fn depth_and_leaf_rules_hold() {
        let x: ndarray::Array2<f64> =
            ndarray::Array2::from_shape_fn((64, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
        let y: Vec<f64> = (0..64).map(|i| (i % 7) as f64).collect();
        let p = TreeParams {
            max_depth: Some(3),
            min_samples_leaf: 5,
            ..Default::default()
        };
        let t = p.check().unwrap().fit(x.view(), &y).unwrap();
        assert!(t.depth() <= 3);
        assert!(
            t.nodes
                .iter()
                .filter(|n| n.feature == LEAF)
                .all(|n| n.n >= 5)
        );
        assert!(
            TreeParams {
                min_samples_split: 1,
                ..Default::default()
            }
            .check()
            .is_err()
        );
        assert!(
            TreeParams {
                max_depth: Some(0),
                ..Default::default()
            }
            .check()
            .is_err()
        );
    }
}
