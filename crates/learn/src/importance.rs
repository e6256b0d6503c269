//! Permutation importance (Breiman 2001; Fisher, Rudin & Dominici 2019): the increase of
//! a score when one feature's column is shuffled, breaking its link to the target.

use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::Serialize;

use crate::metrics;
use crate::model::Model;
use crate::rng::Rng;

/// One feature's importance: the mean and sample standard deviation over repeats of
/// (MAE with the column shuffled − MAE as is).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Importance {
    pub feature: usize,
    pub mean: f64,
    pub sd: f64,
}

/// Features in parallel; feature `j`, repeat `r` shuffles with stream `j · repeats + r` of
/// the seed, so results do not depend on the thread count.
pub fn permutation_importance(
    model: &Model,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    repeats: usize,
    seed: u64,
) -> Vec<Importance> {
    let yv = y.to_vec();
    let base = metrics::mae(&yv, &model.predict(x).to_vec());
    (0..x.ncols())
        .into_par_iter()
        .map(|j| {
            let mut xp: Array2<f64> = x.to_owned();
            let drops: Vec<f64> = (0..repeats.max(1))
                .map(|r| {
                    let mut col: Vec<f64> = x.column(j).to_vec();
                    Rng::stream(seed, (j * repeats.max(1) + r) as u64).shuffle(&mut col);
                    xp.column_mut(j).assign(&ArrayView1::from(&col));
                    metrics::mae(&yv, &model.predict(xp.view()).to_vec()) - base
                })
                .collect();
            let (mean, sd) = metrics::mean_sd(&drops);
            Importance {
                feature: j,
                mean,
                sd,
            }
        })
        .collect()
}
