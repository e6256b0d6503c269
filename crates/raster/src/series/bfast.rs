//! BFAST Monitor (Verbesselt, Zeileis & Herold 2012, "Near real-time disturbance detection
//! using satellite image time series", RSE 123:98–108): a season–trend model fitted on a
//! stable history, and the OLS-MOSUM of its residuals over the monitoring period against the
//! boundary of Zeileis, Leisch, Kleiber & Hornik (2005).
//!
//! The steps, as R's `bfastmonitor` takes them with its defaults:
//! 1. History = the observations before the monitoring start. Its stable part is chosen by
//!    the reversed-order CUSUM ("ROC"): the recursive residuals (Brown, Durbin & Evans 1975)
//!    of the history in reverse time order; their CUSUM `W_j = Σ_{i≤j} w_i / (σ_w √m)`
//!    (σ_w the sample standard deviation, m residuals) is tested by `S = max |W_j| / (1 + 2j/m)`
//!    with the Brownian-motion p-value of Zeileis et al. (2002); where p < level, the history
//!    starts right after the first j with |W_j| > λ(1 + 2j/m), λ solving p(λ) = level.
//! 2. OLS of the model on the stable history (n observations, k regressors):
//!    b, σ = √(RSS / (n − k)), R².
//! 3. For every later observation t = n+1..N: `MO_t = Σ_{i=t−K+1..t} e_i / (σ √n)`, K = ⌊h n⌋,
//!    against `c √(2 logPlus(t / n))` (logPlus(x) = 1 for x ≤ e, else log x); c from the
//!    simulated table for h, the horizon (`end`) and the level.
//! 4. The break is the first t with |MO_t| above the boundary; the magnitude is the median
//!    residual over the monitoring period.

use super::ls::Givens;
use super::model::{Design, design_row};
use super::normal_cdf;
use crate::RasterError;

/// How the stable history is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum History {
    /// Reversed-order CUSUM at `level` (bfastmonitor's "ROC").
    Roc,
    /// Every observation before the monitoring start.
    All,
    /// The observations from this time (decimal year) on.
    From(f64),
    /// The observations from the first time to the second (both decimal years, the second
    /// before the monitoring start); those after it and before the start are left out.
    Between(f64, f64),
}

/// The settings of a monitoring run.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSettings {
    /// The first monitored time (decimal year): observations before it are the history.
    pub start: f64,
    pub history: History,
    pub design: Design,
    /// The MOSUM bandwidth as a share of the stable history (0.25, 0.5 or 1).
    pub h: f64,
    /// The monitoring horizon as a multiple of the history (2, 4, 6, 8 or 10).
    pub end: f64,
    /// The significance level of the monitoring (0.001 … 0.05 in steps of 0.001).
    pub level: f64,
    /// The significance level of the ROC history test.
    pub roc_level: f64,
}

impl MonitorSettings {
    /// bfastmonitor's defaults: ROC history, order-3 harmonics with a trend, h = 0.25,
    /// end = 10, levels 0.05.
    pub fn new(start: f64) -> MonitorSettings {
        MonitorSettings {
            start,
            history: History::Roc,
            design: Design::default(),
            h: 0.25,
            end: 10.0,
            level: 0.05,
            roc_level: 0.05,
        }
    }

    /// The critical value of the monitoring boundary; an error for settings off the table.
    pub fn critical_value(&self) -> Result<f64, RasterError> {
        super::critical::mosum(self.h, self.end, self.level)
    }
}

/// The ROC test of a history.
#[derive(Debug, Clone, PartialEq)]
pub struct Roc {
    pub statistic: f64,
    pub p_value: f64,
    /// The 1-based index, in reverse order, of the first boundary crossing (where p < level).
    pub crossing: Option<usize>,
    /// The index (0-based, into the history) of the first stable observation.
    pub start_index: usize,
}

/// The result of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    /// The first observation of the stable history (decimal year).
    pub history_start: f64,
    pub n_history: usize,
    pub n_monitor: usize,
    /// Intercept, trend, cos 1..K, sin 1..K.
    pub coefficients: Vec<f64>,
    pub r_squared: f64,
    /// √(RSS / (n − k)), the MOSUM's scale.
    pub sigma: f64,
    pub roc: Option<Roc>,
    /// The monitored observations' times, MOSUM values and boundary.
    pub times: Vec<f64>,
    pub mosum: Vec<f64>,
    pub boundary: Vec<f64>,
    /// The first time the MOSUM leaves the boundary.
    pub break_time: Option<f64>,
    /// The median residual over the monitoring period.
    pub magnitude: f64,
}

/// Why a series gave no result (a pixel left missing, counted by its reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// Fewer stable-history observations than the model and the MOSUM window need.
    ShortHistory,
    /// No observation at or after the monitoring start.
    NoMonitoring,
    /// The history does not determine the model (e.g. all on one date of the year).
    Singular,
}

impl Skip {
    pub fn reason(self) -> &'static str {
        match self {
            Skip::ShortHistory => "too few history observations for the model",
            Skip::NoMonitoring => "no observation in the monitoring period",
            Skip::Singular => "the history does not determine the season-trend model",
        }
    }
}

/// p-value of `sup |W(t)| / (1 + 2t)` for a Brownian motion W on [0, 1] (Zeileis et al.
/// 2002, the Rec-CUSUM test's limit; the linear branch below 0.3 as strucchange takes it).
pub fn p_brownian_max(s: f64) -> f64 {
    if s < 0.3 {
        return 1.0 - 0.1465 * s;
    }
    let phi = normal_cdf;
    2.0 * (1.0 - phi(3.0 * s) + (-4.0 * s * s).exp() * (phi(s) + phi(5.0 * s) - 1.0)
        - (-16.0 * s * s).exp() * (1.0 - phi(s)))
}

/// λ with `p_brownian_max(λ) = level` (bisection to the last bit).
pub fn roc_lambda(level: f64) -> f64 {
    let (mut lo, mut hi) = (0.3, 10.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if p_brownian_max(mid) > level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Recursive residuals of rows taken in the given order: `w_r` for r = k+1..n; `None` where
/// the first k rows do not determine the model.
pub fn recursive_residuals(rows: &[(Vec<f64>, f64)], k: usize) -> Option<Vec<f64>> {
    let mut g = Givens::new(k);
    let mut w = Vec::with_capacity(rows.len().saturating_sub(k));
    for (i, (x, y)) in rows.iter().enumerate() {
        if i >= k {
            let b = g.coefficients()?;
            let lev = g.leverage(x)?;
            let fit: f64 = x.iter().zip(&b).map(|(a, c)| a * c).sum();
            w.push((y - fit) / (1.0 + lev).sqrt());
        }
        g.push(x, *y);
    }
    Some(w)
}

/// The reversed-order CUSUM test of a history (rows in time order).
pub fn roc(rows: &[(Vec<f64>, f64)], k: usize, level: f64) -> Option<Roc> {
    let reversed: Vec<(Vec<f64>, f64)> = rows.iter().rev().cloned().collect();
    let w = recursive_residuals(&reversed, k)?;
    let m = w.len();
    if m < 2 {
        return None;
    }
    let mean = w.iter().sum::<f64>() / m as f64;
    let sd = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1) as f64).sqrt();
    let scale = sd * (m as f64).sqrt();
    let mut cum = 0.0;
    let mut process = Vec::with_capacity(m);
    for v in &w {
        cum += v;
        process.push(cum / scale);
    }
    let bound = |j: usize| 1.0 + 2.0 * j as f64 / m as f64;
    let statistic = process
        .iter()
        .enumerate()
        .map(|(i, p)| p.abs() / bound(i + 1))
        .fold(0.0, f64::max);
    let p_value = p_brownian_max(statistic);
    let mut crossing = None;
    let mut start_index = 0;
    if p_value < level {
        let lambda = roc_lambda(level);
        if let Some(i) = process
            .iter()
            .enumerate()
            .position(|(i, p)| p.abs() > lambda * bound(i + 1))
        {
            let j = i + 1;
            crossing = Some(j);
            // reversed row k + j is forward row n − k − j (0-based); start right after it
            start_index = rows.len() - k - j + 1;
        }
    }
    Some(Roc {
        statistic,
        p_value,
        crossing,
        start_index,
    })
}

/// Runs BFAST Monitor on one series: `t` (decimal years, increasing), `y` (NaN missing) and
/// the trend regressor of each observation (its position in a regular series, or `t`).
pub fn monitor(
    t: &[f64],
    y: &[f64],
    trend: &[f64],
    s: &MonitorSettings,
    critical: f64,
) -> Result<Monitor, Skip> {
    let gap = match s.history {
        History::Between(_, to) => to,
        _ => f64::INFINITY,
    };
    let obs: Vec<usize> = (0..t.len())
        .filter(|&i| y[i].is_finite() && !(t[i] > gap && t[i] < s.start))
        .collect();
    let k = s.design.columns();
    let row = |i: usize| (design_row(&s.design, t[i], trend[i]), y[i]);
    let history: Vec<usize> = obs.iter().copied().filter(|&i| t[i] < s.start).collect();
    let first = match s.history {
        History::All => 0,
        History::From(from) | History::Between(from, _) => history
            .iter()
            .position(|&i| t[i] >= from)
            .unwrap_or(history.len()),
        History::Roc => 0,
    };
    let mut roc_result = None;
    let first = if s.history == History::Roc {
        if history.len() <= k + 1 {
            return Err(Skip::ShortHistory);
        }
        let rows: Vec<(Vec<f64>, f64)> = history.iter().map(|&i| row(i)).collect();
        let r = roc(&rows, k, s.roc_level).ok_or(Skip::Singular)?;
        let f = r.start_index;
        roc_result = Some(r);
        f
    } else {
        first
    };
    let stable = &history[first..];
    let n = stable.len();
    let window = (s.h * n as f64).floor() as usize;
    if n <= k || window <= 1 {
        return Err(Skip::ShortHistory);
    }
    let used: Vec<usize> = obs
        .iter()
        .copied()
        .filter(|&i| t[i] >= t[stable[0]])
        .collect();
    if used.len() == n {
        return Err(Skip::NoMonitoring);
    }
    let mut g = Givens::new(k);
    for &i in stable {
        let (x, v) = row(i);
        g.push(&x, v);
    }
    let b = g.coefficients().ok_or(Skip::Singular)?;
    let resid: Vec<f64> = used
        .iter()
        .map(|&i| {
            let (x, v) = row(i);
            v - x.iter().zip(&b).map(|(a, c)| a * c).sum::<f64>()
        })
        .collect();
    let rss: f64 = resid[..n].iter().map(|e| e * e).sum();
    let mean = stable.iter().map(|&i| y[i]).sum::<f64>() / n as f64;
    let tss: f64 = stable.iter().map(|&i| (y[i] - mean).powi(2)).sum();
    let sigma = (rss / (n - k) as f64).sqrt();
    let scale = sigma * (n as f64).sqrt();
    let mut times = Vec::with_capacity(used.len() - n);
    let mut mosum = Vec::with_capacity(used.len() - n);
    let mut boundary = Vec::with_capacity(used.len() - n);
    let mut break_time = None;
    for p in n..used.len() {
        let sum: f64 = resid[p + 1 - window..=p].iter().sum();
        let mo = sum / scale;
        let x = (p + 1) as f64 / n as f64;
        let log_plus = if x > std::f64::consts::E { x.ln() } else { 1.0 };
        let bd = critical * (2.0 * log_plus).sqrt();
        if break_time.is_none() && mo.abs() > bd {
            break_time = Some(t[used[p]]);
        }
        times.push(t[used[p]]);
        mosum.push(mo);
        boundary.push(bd);
    }
    let mut monitored: Vec<f64> = used
        .iter()
        .zip(&resid)
        .filter(|(i, _)| t[**i] >= s.start)
        .map(|(_, e)| *e)
        .collect();
    if monitored.is_empty() {
        return Err(Skip::NoMonitoring);
    }
    Ok(Monitor {
        history_start: t[stable[0]],
        n_history: n,
        n_monitor: monitored.len(),
        coefficients: b,
        r_squared: 1.0 - rss / tss,
        sigma,
        roc: roc_result,
        times,
        mosum,
        boundary,
        break_time,
        magnitude: median(&mut monitored),
    })
}

/// The median (mean of the middle two for an even count); the slice is reordered.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}
