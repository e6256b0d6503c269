//! Distillation (Buciluǎ, Caruana & Niculescu-Mizil 2006, "Model compression"): a compact
//! student is trained on a large teacher's predictions, optionally on extra inputs sampled
//! around the training rows, so that it learns the teacher's function where data is thin.

use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate};

use crate::error::{Result, param};
use crate::model::{Model, ModelSpec};
use crate::rng::Rng;

/// Extra inputs: `per_row` copies of each training row, every feature moved by
/// N(0, (scale · sd_j)²) and clipped to the feature's observed range; features with at most
/// `discrete_max` distinct values are instead resampled from their observed values.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Augment {
    pub per_row: usize,
    pub scale: f64,
    pub discrete_max: usize,
    pub seed: u64,
}

impl Default for Augment {
    fn default() -> Self {
        Augment {
            per_row: 4,
            scale: 0.1,
            discrete_max: 12,
            seed: 0,
        }
    }
}

/// Samples the augmented inputs (the training rows are not included).
pub fn augment(x: ArrayView2<'_, f64>, a: &Augment) -> Result<Array2<f64>> {
    if a.per_row == 0 {
        return Err(param("per_row", 0, "at least 1"));
    }
    if !(a.scale.is_finite() && a.scale >= 0.0) {
        return Err(param("scale", a.scale, "a number ≥ 0"));
    }
    let (n, d) = x.dim();
    let stats: Vec<(f64, f64, f64, Vec<f64>)> = (0..d)
        .map(|j| {
            let c = x.column(j);
            let mean = c.sum() / n as f64;
            let sd = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            let (lo, hi) = c
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(*v), h.max(*v))
                });
            let mut distinct: Vec<f64> = c.to_vec();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            (sd, lo, hi, distinct)
        })
        .collect();
    let mut rng = Rng::new(a.seed);
    let mut out = Array2::zeros((n * a.per_row, d));
    for i in 0..n {
        for k in 0..a.per_row {
            let r = i * a.per_row + k;
            for j in 0..d {
                let (sd, lo, hi, distinct) = &stats[j];
                out[[r, j]] = if distinct.len() <= a.discrete_max {
                    if rng.uniform() < a.scale.min(1.0) {
                        distinct[rng.below(distinct.len())]
                    } else {
                        x[[i, j]]
                    }
                } else {
                    (x[[i, j]] + a.scale * sd * rng.normal()).clamp(*lo, *hi)
                };
            }
        }
    }
    Ok(out)
}

/// Trains `student` on `teacher`'s predictions at `x` (and at augmented inputs).
pub fn distill(
    teacher: &Model,
    student: &ModelSpec,
    x: ArrayView2<'_, f64>,
    augmentation: Option<&Augment>,
) -> Result<Model> {
    let inputs = match augmentation {
        Some(a) => {
            let extra = augment(x, a)?;
            concatenate(Axis(0), &[x.reborrow(), extra.view()]).expect("same number of columns")
        }
        None => x.to_owned(),
    };
    let targets: Array1<f64> = teacher.predict(inputs.view());
    student.fit(inputs.view(), targets.view())
}
