//! Random forests (Breiman 2001): bootstrap samples, CART trees grown in parallel (rayon
//! over trees), predictions averaged. Tree `t` draws from its own stream of the seed (see
//! [`crate::rng::Rng::stream`]), and averages are summed in tree order, so a seed gives the
//! same forest and the same predictions at any thread count.
//!
//! Splits are exact (every distinct value, as scikit-learn's) by default. With
//! [`ForestParams::max_bins`] each feature is binned once for the whole forest (the
//! booster's bins: every distinct value where there are few, equal-frequency edges where
//! there are many), and each tree is grown on its bootstrap rows by the booster's histogram
//! grower (as LightGBM's random-forest mode grows them): split search reads per-node
//! histograms of the centred target, a split's threshold is its bin's upper edge, and a
//! leaf's value is the exact mean of its rows' targets. At a million rows this is one to
//! two orders of magnitude faster than exact splits (docs/benchmarks.md).

use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::sync::Mutex;

use crate::boost::grow::{Codes, Grower, Grown, Rows, leaves_of_binned};
use crate::boost::{Binned, Bins};
use crate::error::{LearnError, Result, param};
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
    /// Split on at most this many bins per feature, 2–256 (histogram trees); `None`: exact
    /// splits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bins: Option<usize>,
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
            max_bins: None,
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
        if let Some(b) = self.max_bins
            && !(2..=256).contains(&b)
        {
            return Err(param("max_bins", b, "2 to 256"));
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
        let p = &self.0;
        let n = y.len();
        if n == 0 {
            return Err(LearnError::Data("a forest needs at least 1 row".into()));
        }
        if p.max_bins.is_some() && n > u32::MAX as usize {
            return Err(LearnError::Data(format!(
                "histogram trees take at most {} rows, not {n}",
                u32::MAX
            )));
        }
        let trees = match p.max_bins {
            None => {
                let cols = columns(x);
                let tree_params = p.tree_params();
                (0..p.n_trees)
                    .into_par_iter()
                    .map(|t| {
                        let mut rng = Rng::stream(p.seed, t as u64);
                        let idx = self.sample(n, &mut rng);
                        fit_exact(&cols, y, idx, &tree_params, &mut rng)
                    })
                    .collect()
            }
            Some(max_bins) => self.fit_binned(x, y, max_bins),
        };
        Ok(Forest {
            trees,
            params: p.clone(),
        })
    }

    /// Tree `t`'s rows: a bootstrap sample in increasing order, or every row.
    fn sample(&self, n: usize, rng: &mut Rng) -> Vec<usize> {
        if self.0.bootstrap {
            // the draws counted, then listed in order (a sort of the draws, in linear time)
            let mut count = vec![0u32; n];
            for _ in 0..n {
                count[rng.below(n)] += 1;
            }
            let mut v = Vec::with_capacity(n);
            for (i, &c) in count.iter().enumerate() {
                v.extend(std::iter::repeat_n(i, c as usize));
            }
            v
        } else {
            (0..n).collect()
        }
    }

    /// Histogram trees on features binned once for the forest.
    fn fit_binned(&self, x: ArrayView2<'_, f64>, y: &[f64], max_bins: usize) -> Vec<Tree> {
        let bins = Bins::fit_rows(x, None, max_bins);
        let codes = Codes::new(x, None, &bins);
        self.grow_binned(&bins, &codes, y)
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    /// Fits histogram trees on rows binned beforehand (by [`crate::boost::BinnedBuilder`],
    /// say, from a table read a column at a time) with the forest's `max_bins`, and returns
    /// the in-sample predictions with it: the forest and the predictions of
    /// [`ValidForestParams::fit`] and [`Forest::predict`] on the array.
    pub fn fit_binned_rows(&self, data: &Binned, y: &[f64]) -> Result<(Forest, Vec<f64>)> {
        let p = &self.0;
        if p.max_bins != Some(data.max_bins()) {
            return Err(LearnError::Data(format!(
                "the rows were binned with at most {} bins, the forest asks for {:?}",
                data.max_bins(),
                p.max_bins
            )));
        }
        if y.is_empty() || y.len() != data.rows() {
            return Err(LearnError::Data(format!(
                "{} targets for {} binned rows",
                y.len(),
                data.rows()
            )));
        }
        let grown = self.grow_binned(&data.bins, &data.codes, y);
        // each row's leaf values added tree by tree in tree order, as `predict` adds them
        let mut pred = vec![-0.0; y.len()];
        for (tree, bin_thr) in &grown {
            pred.par_chunks_mut(4096).enumerate().for_each(|(c, out)| {
                let rows: Vec<usize> = (0..out.len()).collect();
                for batch in rows.chunks(8) {
                    let ks = leaves_of_binned(tree, bin_thr, &data.codes, batch, c * 4096);
                    for (&j, k) in batch.iter().zip(ks) {
                        out[j] += tree.nodes[k].value;
                    }
                }
            });
        }
        let n_trees = grown.len() as f64;
        pred.iter_mut().for_each(|v| *v /= n_trees);
        let forest = Forest {
            trees: grown.into_iter().map(|(t, _)| t).collect(),
            params: p.clone(),
        };
        Ok((forest, pred))
    }

    /// Bytes per row that [`ValidForestParams::fit_binned_rows`] holds on rows of `d`
    /// features: the codes, the targets and predictions, and per tree being grown (one a
    /// thread) its bootstrap draws and its moving rows with their scratch.
    pub fn binned_fit_bytes_per_row(d: usize) -> u64 {
        let w = d.div_ceil(8).max(1) as u64;
        let threads = rayon::current_num_threads() as u64;
        8 * w + d as u64 + 2 * 8 + threads * (2 * 8 * (w + 1) + 16)
    }

    /// The trees grown on binned rows, each with its splits' bin thresholds.
    fn grow_binned(&self, bins: &Bins, codes: &Codes, y: &[f64]) -> Vec<(Tree, Vec<u8>)> {
        let p = &self.0;
        // splits are found on the centred target (f32 in the grower's rows); leaf values
        // are exact means of the targets
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let g: Vec<f64> = y.iter().map(|v| v - mean).collect();
        let k = p.max_features.resolve(codes.d);
        let sw = codes.w + 1;
        (0..p.n_trees)
            .into_par_iter()
            // the row buffers are reused by the trees of one task
            .map_init(Vec::new, |buffers: &mut Vec<u64>, t| {
                let mut rng = Rng::stream(p.seed, t as u64);
                let ids: Vec<u32> = self
                    .sample(y.len(), &mut rng)
                    .into_iter()
                    .map(|i| i as u32)
                    .collect();
                buffers.resize(2 * ids.len() * sw, 0);
                let (rows, scratch) = buffers.split_at_mut(ids.len() * sw);
                rows.par_chunks_mut(sw * 4096)
                    .zip(ids.par_chunks(4096))
                    .for_each(|(out, ids)| Rows::fill(out, ids, codes, |i| g[i]));
                let grower = Grower {
                    bins,
                    codes,
                    max_depth: p.max_depth.unwrap_or(usize::MAX),
                    max_leaves: usize::MAX,
                    min_leaf: p.min_samples_leaf,
                    min_split: p.min_samples_split,
                    features: (k < codes.d).then(|| (k, Mutex::new(rng))),
                    amp: None,
                };
                let Grown {
                    mut tree,
                    leaves,
                    bin_thr,
                } = grower.grow(rows, scratch, None);
                for leaf in &leaves {
                    let (mut sum, mut count) = (0.0, 0usize);
                    leaf.for_each_row([&*rows, &*scratch], codes, |i| {
                        sum += y[i as usize];
                        count += 1;
                    });
                    tree.nodes[leaf.node].value = sum / count as f64;
                }
                (tree, bin_thr)
            })
            .collect()
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
    fn histogram_trees_split_where_exact_trees_do_on_few_distinct_values() {
        // every distinct value has its own bin, so the candidate splits of a node are the
        // exact ones: on the same rows, the trees part them alike (their thresholds may
        // differ between two values that no row of the node holds, so the trees are
        // compared on all the rows, without bootstrap samples)
        let mut r = Rng::new(3);
        let x = ndarray::Array2::from_shape_fn((2000, 3), |(_, j)| r.below([11, 8, 5][j]) as f64);
        let y: Vec<f64> = (0..2000)
            .map(|i| 2.0 * x[[i, 0]] + if x[[i, 1]] > 3.0 { 5.0 } else { 0.0 } + r.normal())
            .collect();
        let fit = |max_bins| {
            ForestParams {
                n_trees: 2,
                max_depth: Some(8),
                min_samples_leaf: 5,
                bootstrap: false,
                max_bins,
                ..Default::default()
            }
            .check()
            .unwrap()
            .fit(x.view(), &y)
            .unwrap()
        };
        let (exact, binned) = (fit(None), fit(Some(256)));
        for (a, b) in exact.trees.iter().zip(&binned.trees) {
            assert_eq!(a.n_leaves(), b.n_leaves());
        }
        let (pa, pb) = (exact.predict(x.view()), binned.predict(x.view()));
        for (a, b) in pa.iter().zip(pb.iter()) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        // and the known step is found: 5 between x1 = 3 and 4 at equal x0
        let at = |x1: f64| binned.predict(ndarray::array![[5.0, x1, 2.0]].view())[0];
        assert!(
            (at(6.0) - at(1.0) - 5.0).abs() < 0.5,
            "{} {}",
            at(6.0),
            at(1.0)
        );
    }

    #[test]
    fn a_forest_on_rows_binned_by_columns_is_the_forest_of_the_array() {
        let mut r = Rng::new(8);
        let x = ndarray::Array2::from_shape_fn((3000, 4), |_| r.uniform() * 10.0);
        let y: Vec<f64> = (0..3000)
            .map(|i| x[[i, 0]].sin() * 3.0 + x[[i, 1]] + r.normal())
            .collect();
        let p = ForestParams {
            n_trees: 6,
            max_depth: Some(6),
            max_bins: Some(64),
            ..Default::default()
        }
        .check()
        .unwrap();
        let whole = p.fit(x.view(), &y).unwrap();
        let mut b = crate::boost::BinnedBuilder::new(64);
        b.start(x.nrows());
        for c in x.columns() {
            b.push(&c.to_vec());
        }
        let binned = b.finish();
        let (forest, pred) = p.fit_binned_rows(&binned, &y).unwrap();
        assert_eq!(forest, whole);
        assert_eq!(Array1::from(pred), whole.predict(x.view()));
        // another bin count, or targets of other rows, are refused
        let other = ForestParams {
            max_bins: Some(32),
            ..p.params().clone()
        };
        assert!(other.check().unwrap().fit_binned_rows(&binned, &y).is_err());
        assert!(p.fit_binned_rows(&binned, &y[1..]).is_err());
    }

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
        for bad in [
            ForestParams {
                n_trees: 0,
                ..Default::default()
            },
            ForestParams {
                max_bins: Some(1),
                ..Default::default()
            },
            ForestParams {
                max_bins: Some(257),
                ..Default::default()
            },
        ] {
            assert!(bad.check().is_err());
        }
    }
}
