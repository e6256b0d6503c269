//! Monotonic trend of a series: the Theil–Sen slope (Sen 1968) with its confidence bounds,
//! and the Mann–Kendall test (Mann 1945, Kendall 1975) with the tie correction, or its
//! seasonal form (Hirsch, Slack & Smith 1982, "Techniques of trend analysis for monthly
//! water quality data", Water Resources Research 18:107–121).

use super::normal_cdf;

/// The Theil–Sen line.
#[derive(Debug, Clone, PartialEq)]
pub struct TheilSen {
    /// The median of the pairwise slopes (pairs with equal x left out).
    pub slope: f64,
    /// median(y) − slope · median(x).
    pub intercept: f64,
    /// The slope's bounds at `confidence` (Sen 1968; ties in x corrected); NaN where the
    /// points are too few for them (their ranks fall outside the pairwise slopes).
    pub low: f64,
    pub high: f64,
}

/// The Theil–Sen line of the points whose y is finite; `None` with fewer than two distinct x.
pub fn theil_sen(x: &[f64], y: &[f64], confidence: f64) -> Option<TheilSen> {
    let (xs, ys): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let n = xs.len();
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let dx = xs[j] - xs[i];
            if dx != 0.0 {
                slopes.push((ys[j] - ys[i]) / dx);
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let slope = middle(&slopes);
    let intercept = median(&ys) - slope * median(&xs);
    // Sen's bounds: the order statistics (N ∓ z σ_S)/2 of the N slopes, σ_S² the variance
    // of Kendall's S under ties in x
    let z = inverse_normal(0.5 + confidence / 2.0);
    let var = (n * (n - 1) * (2 * n + 5)) as f64 - tie_term(&xs);
    let sigma = (var / 18.0).sqrt();
    // where the ranks fall outside the slopes (too few points for the confidence), the
    // bounds are not defined: the extreme slopes (scipy's theilslopes clamps to them) are
    // no interval at that confidence, and 4 points' excluded 0 beside a test at p 0.09
    let count = slopes.len() as f64;
    let lower = ((count - z * sigma) / 2.0).round_ties_even() as i64 - 1;
    let upper = ((count + z * sigma) / 2.0).round_ties_even() as i64;
    let defined = lower >= 0 && upper < slopes.len() as i64;
    Some(TheilSen {
        slope,
        intercept,
        low: if defined {
            slopes[lower as usize]
        } else {
            f64::NAN
        },
        high: if defined {
            slopes[upper as usize]
        } else {
            f64::NAN
        },
    })
}

/// The Mann–Kendall test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MannKendall {
    /// Kendall's S.
    pub s: i64,
    /// Its variance under no trend, with the tie correction.
    pub var_s: f64,
    /// The normal score with the continuity correction.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Kendall's τ = S / Σ n(n−1)/2.
    pub tau: f64,
    /// The values used (finite ones).
    pub n: usize,
}

fn s_and_var(v: &[f64]) -> (i64, f64) {
    let n = v.len();
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += match v[j].partial_cmp(&v[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let var = ((n * n.saturating_sub(1) * (2 * n + 5)) as f64 - tie_term(v)) / 18.0;
    (s, var)
}

fn finish(s: i64, var_s: f64, pairs: f64, n: usize) -> MannKendall {
    let z = if s > 0 {
        (s - 1) as f64 / var_s.sqrt()
    } else if s < 0 {
        (s + 1) as f64 / var_s.sqrt()
    } else {
        0.0
    };
    MannKendall {
        s,
        var_s,
        z,
        p: 2.0 * (1.0 - normal_cdf(z.abs())),
        tau: s as f64 / pairs,
        n,
    }
}

/// The Mann–Kendall test of the finite values in time order; `None` with fewer than 3.
pub fn mann_kendall(y: &[f64]) -> Option<MannKendall> {
    let v: Vec<f64> = y.iter().copied().filter(|a| a.is_finite()).collect();
    let n = v.len();
    if n < 3 {
        return None;
    }
    let (s, var) = s_and_var(&v);
    Some(finish(s, var, (n * (n - 1)) as f64 / 2.0, n))
}

/// The seasonal Kendall test: S and its variance summed over the seasons (position modulo
/// `period`, missing values in place), each season on its finite values.
pub fn seasonal_mann_kendall(y: &[f64], period: usize) -> Option<MannKendall> {
    let (mut s, mut var, mut pairs, mut n) = (0i64, 0.0, 0.0, 0usize);
    for season in 0..period.max(1) {
        let v: Vec<f64> = y
            .iter()
            .skip(season)
            .step_by(period.max(1))
            .copied()
            .filter(|a| a.is_finite())
            .collect();
        let (si, vi) = s_and_var(&v);
        s += si;
        var += vi;
        pairs += (v.len() * v.len().saturating_sub(1)) as f64 / 2.0;
        n += v.len();
    }
    (var > 0.0).then(|| finish(s, var, pairs, n))
}

/// Σ t(t−1)(2t+5) over the groups of equal values.
fn tie_term(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let mut total = 0.0;
    let mut i = 0;
    while i < s.len() {
        let mut j = i + 1;
        while j < s.len() && s[j] == s[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        total += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j;
    }
    total
}

fn middle(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    middle(&s)
}

fn inverse_normal(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(p)
}
