//! Regression metrics. `y` is observed, `p` predicted.
//!
//! CV(RMSE) and NMBE follow ASHRAE Guideline 14-2014 (annex B): with `dof = n − p` where
//! the model has `p` parameters (pass `p = 0` for the plain `n` form),
//! `CV(RMSE) = sqrt(Σ(y−ŷ)² / (n − p)) / ȳ` and `NMBE = Σ(y−ŷ) / ((n − p) · ȳ)`, both as
//! fractions (× 100 for per cent).

/// Mean absolute error.
pub fn mae(y: &[f64], p: &[f64]) -> f64 {
    y.iter().zip(p).map(|(a, b)| (a - b).abs()).sum::<f64>() / y.len() as f64
}

/// Root mean squared error.
pub fn rmse(y: &[f64], p: &[f64]) -> f64 {
    (y.iter().zip(p).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / y.len() as f64).sqrt()
}

/// Coefficient of determination (1 − SSE/SST); NaN where y is constant.
pub fn r2(y: &[f64], p: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let sse: f64 = y.iter().zip(p).map(|(a, b)| (a - b).powi(2)).sum();
    let sst: f64 = y.iter().map(|a| (a - mean).powi(2)).sum();
    if sst == 0.0 {
        f64::NAN
    } else {
        1.0 - sse / sst
    }
}

/// Mean absolute percentage error (fraction), over rows with y ≠ 0; NaN if none.
pub fn mape(y: &[f64], p: &[f64]) -> f64 {
    let (s, n) = y
        .iter()
        .zip(p)
        .filter(|(a, _)| **a != 0.0)
        .fold((0.0, 0usize), |(s, n), (a, b)| {
            (s + ((a - b) / a).abs(), n + 1)
        });
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// CV(RMSE) with `n − n_params` degrees of freedom (fraction).
pub fn cv_rmse(y: &[f64], p: &[f64], n_params: usize) -> f64 {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sse: f64 = y.iter().zip(p).map(|(a, b)| (a - b).powi(2)).sum();
    (sse / (n - n_params as f64)).sqrt() / mean
}

/// NMBE with `n − n_params` degrees of freedom (fraction; positive: the model under-predicts).
pub fn nmbe(y: &[f64], p: &[f64], n_params: usize) -> f64 {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let bias: f64 = y.iter().zip(p).map(|(a, b)| a - b).sum();
    bias / ((n - n_params as f64) * mean)
}

/// Mean pinball (quantile) loss at quantile `alpha`.
pub fn pinball(y: &[f64], p: &[f64], alpha: f64) -> f64 {
    y.iter()
        .zip(p)
        .map(|(a, b)| {
            let d = a - b;
            if d >= 0.0 {
                alpha * d
            } else {
                (alpha - 1.0) * d
            }
        })
        .sum::<f64>()
        / y.len() as f64
}

/// Mean and sample standard deviation (n − 1; 0 for a single value).
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// The usual set, as reported per fold.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scores {
    pub mae: f64,
    pub rmse: f64,
    pub r2: f64,
    pub mape: f64,
    pub cv_rmse: f64,
    pub nmbe: f64,
}

impl Scores {
    /// All metrics (CV(RMSE) and NMBE with `n − n_params`).
    pub fn of(y: &[f64], p: &[f64], n_params: usize) -> Scores {
        Scores {
            mae: mae(y, p),
            rmse: rmse(y, p),
            r2: r2(y, p),
            mape: mape(y, p),
            cv_rmse: cv_rmse(y, p, n_params),
            nmbe: nmbe(y, p, n_params),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        let y = [3.0, -0.5, 2.0, 7.0];
        let p = [2.5, 0.0, 2.0, 8.0];
        // scikit-learn's documented examples for these arrays
        assert!((mae(&y, &p) - 0.5).abs() < 1e-12);
        assert!((rmse(&y, &p) - 0.375f64.sqrt()).abs() < 1e-12);
        assert!((r2(&y, &p) - 0.948_608_137_044_967_9).abs() < 1e-12);
        let y = [1.0, 2.0, 3.0, 4.0];
        let p = [1.5, 1.5, 3.5, 3.5];
        // Σ(y−ŷ) = 0, SSE = 1, ȳ = 2.5
        assert_eq!(nmbe(&y, &p, 0), 0.0);
        assert!((cv_rmse(&y, &p, 0) - 0.5 / 2.5).abs() < 1e-12);
        assert!((cv_rmse(&y, &p, 2) - (0.5f64).sqrt() / 2.5).abs() < 1e-12);
        // pinball at 0.9: under-predictions cost 0.9, over-predictions 0.1
        let q = pinball(&[10.0, 10.0], &[9.0, 11.0], 0.9);
        assert!((q - 0.5).abs() < 1e-12);
        assert!(r2(&[2.0, 2.0], &[2.0, 2.0]).is_nan());
    }
}
