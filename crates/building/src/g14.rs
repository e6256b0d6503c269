//! ASHRAE Guideline 14-2014 goodness-of-fit of a baseline model: CV(RMSE) and NMBE with
//! the n − p correction (annex B), R², the lag-1 autocorrelation of the residuals (which
//! sets the effective number of points `n' = n·(1 − ρ)/(1 + ρ)` in the savings
//! uncertainty), and pass/fail against the guideline's calibration criteria: monthly data
//! CV(RMSE) ≤ 15 % and |NMBE| ≤ 5 %, hourly data ≤ 30 % and ≤ 10 %. The guideline sets no
//! criterion for daily data: its flags are left empty.

use serde::{Deserialize, Serialize};
use terrawatt_learn::metrics;

/// The interval of the metered data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Hourly,
    Daily,
    Monthly,
}

impl Interval {
    /// (CV(RMSE) limit, |NMBE| limit) as fractions, where the guideline sets them.
    pub fn criteria(self) -> Option<(f64, f64)> {
        match self {
            Interval::Monthly => Some((0.15, 0.05)),
            Interval::Hourly => Some((0.30, 0.10)),
            Interval::Daily => None,
        }
    }
}

/// The goodness-of-fit of a baseline. A figure that is not defined (NaN) is written as
/// null and read back as NaN.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    pub n: usize,
    /// Model parameters p in n − p.
    pub n_params: usize,
    /// Fractions (0.12 = 12 %).
    #[serde(deserialize_with = "crate::nullable::f64")]
    pub cv_rmse: f64,
    #[serde(deserialize_with = "crate::nullable::f64")]
    pub nmbe: f64,
    #[serde(deserialize_with = "crate::nullable::f64")]
    pub r2: f64,
    /// Lag-1 autocorrelation of the residuals, in time order.
    #[serde(deserialize_with = "crate::nullable::f64")]
    pub lag1_autocorrelation: f64,
    /// `None` where the guideline sets no criterion for the interval.
    pub passes_cv_rmse: Option<bool>,
    pub passes_nmbe: Option<bool>,
}

/// Lag-1 autocorrelation of `e` (in time order): Σ(e_t − ē)(e_{t−1} − ē) / Σ(e_t − ē)².
pub fn lag1_autocorrelation(e: &[f64]) -> f64 {
    let n = e.len() as f64;
    let mean = e.iter().sum::<f64>() / n;
    let den: f64 = e.iter().map(|v| (v - mean).powi(2)).sum();
    let num: f64 = e.windows(2).map(|w| (w[1] - mean) * (w[0] - mean)).sum();
    if den == 0.0 { f64::NAN } else { num / den }
}

/// Evaluates observed `y` against predicted `p` (both in time order).
pub fn evaluate(y: &[f64], p: &[f64], n_params: usize, interval: Interval) -> Fit {
    let residuals: Vec<f64> = y.iter().zip(p).map(|(a, b)| a - b).collect();
    let cv_rmse = metrics::cv_rmse(y, p, n_params);
    let nmbe = metrics::nmbe(y, p, n_params);
    let crit = interval.criteria();
    Fit {
        n: y.len(),
        n_params,
        cv_rmse,
        nmbe,
        r2: metrics::r2(y, p),
        lag1_autocorrelation: lag1_autocorrelation(&residuals),
        passes_cv_rmse: crit.map(|(c, _)| cv_rmse <= c),
        passes_nmbe: crit.map(|(_, b)| nmbe.abs() <= b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand() {
        // 12 months, a model that is 10 % low in winter and exact otherwise
        let y = [
            100.0, 90.0, 70.0, 50.0, 40.0, 35.0, 35.0, 40.0, 50.0, 70.0, 90.0, 100.0,
        ];
        let p: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| if (2..=9).contains(&i) { *v } else { v * 0.9 })
            .collect();
        let f = evaluate(&y, &p, 2, Interval::Monthly);
        // residuals 10, 9, 0 … 0, 9, 10: SSE 362, Σ = 38, ȳ = 770/12
        let mean = 770.0 / 12.0;
        assert!((f.cv_rmse - (362.0f64 / 10.0).sqrt() / mean).abs() < 1e-12);
        assert!((f.nmbe - 38.0 / (10.0 * mean)).abs() < 1e-12);
        assert_eq!(f.passes_cv_rmse, Some(true)); // 9.4 % ≤ 15 %
        assert_eq!(f.passes_nmbe, Some(false)); // 5.9 % > 5 %
        assert_eq!(evaluate(&y, &p, 2, Interval::Daily).passes_nmbe, None);
        // alternating residuals are negatively autocorrelated; a trend positively
        assert!(lag1_autocorrelation(&[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]) < -0.8);
        assert!(lag1_autocorrelation(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) > 0.4);
        // Σ(e_t − ē)(e_{t−1} − ē) / Σ(e_t − ē)² for 1..6: 8.75 / 17.5
        assert!((lag1_autocorrelation(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) - 0.5).abs() < 1e-12);
    }
}
