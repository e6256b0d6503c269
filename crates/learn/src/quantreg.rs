//! Linear quantile regression (Koenker & Bassett 1978): the β minimising
//! `Σᵢ ρ_τ(yᵢ − xᵢᵀβ)`, with `ρ_τ(r) = r·(τ − 1[r < 0])` the pinball loss, solved exactly
//! as the linear programme it is by a primal–dual interior-point method with Mehrotra's
//! predictor–corrector, on the dual in bounded form (Koenker & Portnoy 1997, the
//! "Frisch–Newton" method of R's quantreg):
//!
//! ```text
//! max yᵀa   subject to   Xᵀa = (1 − τ)·Xᵀ1,   0 ≤ a ≤ 1
//! ```
//!
//! whose equality multipliers are β. Each step solves one p × p system `XᵀΘX` (Cholesky);
//! its n × p² products are summed over fixed blocks of rows in parallel and added in block
//! order, so the result does not depend on the thread count.

use rayon::prelude::*;

use crate::error::Result;
use crate::linalg::{cholesky, cholesky_solve};

/// Rows per block of the parallel sums (fixed: the sums' order does not move with threads).
const BLOCK: usize = 4096;

/// An exact fit.
pub(crate) struct QuantileFit {
    /// β over the columns of the design (the caller's intercept column included).
    pub beta: Vec<f64>,
    pub iterations: usize,
}

/// Σᵢ f(i, row i) over row blocks, blocks added in order.
fn block_sum(
    x: &[f64],
    p: usize,
    len: usize,
    f: impl Fn(usize, &[f64], &mut [f64]) + Sync,
) -> Vec<f64> {
    let n = x.len() / p;
    let parts: Vec<Vec<f64>> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut acc = vec![0.0; len];
            for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                f(i, &x[i * p..(i + 1) * p], &mut acc);
            }
            acc
        })
        .collect();
    let mut out = vec![0.0; len];
    for part in parts {
        for (o, v) in out.iter_mut().zip(part) {
            *o += v;
        }
    }
    out
}

/// Xᵀv.
fn xt_times(x: &[f64], p: usize, v: &[f64]) -> Vec<f64> {
    block_sum(x, p, p, |i, row, acc| {
        for (a, r) in acc.iter_mut().zip(row) {
            *a += r * v[i];
        }
    })
}

/// X·β.
fn x_times(x: &[f64], p: usize, beta: &[f64]) -> Vec<f64> {
    x.par_chunks(p)
        .map(|row| row.iter().zip(beta).map(|(a, b)| a * b).sum())
        .collect()
}

/// XᵀΘX, factored.
fn normal_matrix(x: &[f64], p: usize, theta: &[f64]) -> Vec<f64> {
    let mut m = block_sum(x, p, p * p, |i, row, acc| {
        let t = theta[i];
        for (a, &ra) in row.iter().enumerate() {
            let ta = t * ra;
            for (o, &rb) in acc[a * p..=a * p + a].iter_mut().zip(&row[..=a]) {
                *o += ta * rb;
            }
        }
    });
    // a pivot that is not clearly positive (a direction the data do not determine: a
    // constant or duplicated column) is set huge, so that direction's step is 0 (Wright
    // 1997, "Primal–Dual Interior-Point Methods", §11.1)
    let scale = (0..p).map(|j| m[j * p + j]).fold(0.0, f64::max);
    cholesky(&mut m, p, 1e-13 * scale, true);
    m
}

fn solve(l: &[f64], p: usize, b: &[f64]) -> Vec<f64> {
    let mut z = b.to_vec();
    cholesky_solve(l, p, &mut z);
    z
}

/// The largest step in [0, 1] keeping `v + α·dv ≥ 0`.
fn max_step(v: &[f64], dv: &[f64]) -> f64 {
    v.iter()
        .zip(dv)
        .filter(|(_, d)| **d < 0.0)
        .map(|(a, d)| -a / d)
        .fold(1.0, f64::min)
}

/// Fits the τ-quantile of `y` on the row-major n × p design `x` (its intercept column,
/// if any, included). Stops when the duality gap is below `tol` × (1 + |objective|) with
/// both residuals as small, after at most `max_iter` steps (an error if it has not).
pub(crate) fn fit(
    x: &[f64],
    p: usize,
    y: &[f64],
    tau: f64,
    max_iter: usize,
    tol: f64,
) -> Result<QuantileFit> {
    let n = y.len();
    // the primal start: a = 1 − τ meets the equality exactly
    let mut a = vec![1.0 - tau; n];
    let mut s = vec![tau; n];
    let b = xt_times(x, p, &a);
    // the dual start: least squares, z − w equal to its residuals' negation
    let m0 = normal_matrix(x, p, &vec![1.0; n]);
    let mut beta = solve(&m0, p, &xt_times(x, p, y));
    let fitted = x_times(x, p, &beta);
    let mean_abs = fitted
        .iter()
        .zip(y)
        .map(|(f, o)| (o - f).abs())
        .sum::<f64>()
        / n as f64;
    let y_scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1e-300);
    let delta = mean_abs.max(1e-6 * y_scale);
    // dual slack for a ≥ 0 (z) and for a ≤ 1 (w): c − Aᵀy = z − w with c = −y and the
    // equality multipliers −β, so z − w = Xβ − y
    let mut z: Vec<f64> = fitted
        .iter()
        .zip(y)
        .map(|(f, o)| (f - o).max(0.0) + delta)
        .collect();
    let mut w: Vec<f64> = fitted
        .iter()
        .zip(y)
        .map(|(f, o)| (o - f).max(0.0) + delta)
        .collect();
    let b_norm = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for it in 1..=max_iter {
        let xb = x_times(x, p, &beta);
        // residuals of Aa = b and of the dual (c − Aᵀy − z + w = −y + Xβ − z + w)
        let ax = xt_times(x, p, &a);
        let rb: Vec<f64> = b.iter().zip(&ax).map(|(b, v)| b - v).collect();
        let rc: Vec<f64> = (0..n).map(|i| xb[i] - y[i] - z[i] + w[i]).collect();
        let gap: f64 = (0..n).map(|i| a[i] * z[i] + s[i] * w[i]).sum();
        let primal: f64 = -(0..n).map(|i| y[i] * a[i]).sum::<f64>();
        let rb_max = rb.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let rc_max = rc.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if gap <= tol * (1.0 + primal.abs())
            && rb_max <= tol * (1.0 + b_norm)
            && rc_max <= tol * (1.0 + y_scale)
        {
            return Ok(QuantileFit {
                beta,
                iterations: it - 1,
            });
        }
        let mu = gap / (2 * n) as f64;
        let theta: Vec<f64> = (0..n).map(|i| 1.0 / (z[i] / a[i] + w[i] / s[i])).collect();
        let l = normal_matrix(x, p, &theta);
        // a Newton direction for complementarity targets (r_az, r_sw)
        let direction = |r_az: &[f64], r_sw: &[f64]| {
            let rho: Vec<f64> = (0..n)
                .map(|i| rc[i] - r_az[i] / a[i] + r_sw[i] / s[i])
                .collect();
            let t_rho: Vec<f64> = (0..n).map(|i| theta[i] * rho[i]).collect();
            let rhs: Vec<f64> = rb
                .iter()
                .zip(xt_times(x, p, &t_rho))
                .map(|(r, v)| r + v)
                .collect();
            // dy = −dβ
            let dy = solve(&l, p, &rhs);
            let x_dy = x_times(x, p, &dy);
            let da: Vec<f64> = (0..n).map(|i| theta[i] * (x_dy[i] - rho[i])).collect();
            let dz: Vec<f64> = (0..n).map(|i| (r_az[i] - z[i] * da[i]) / a[i]).collect();
            let dw: Vec<f64> = (0..n).map(|i| (r_sw[i] + w[i] * da[i]) / s[i]).collect();
            (dy, da, dz, dw)
        };
        let steps = |da: &[f64], dz: &[f64], dw: &[f64]| {
            let ds: Vec<f64> = da.iter().map(|d| -d).collect();
            let ap = max_step(&a, da).min(max_step(&s, &ds));
            let ad = max_step(&z, dz).min(max_step(&w, dw));
            (ap, ad)
        };
        // predictor (affine scaling)
        let r_az: Vec<f64> = (0..n).map(|i| -a[i] * z[i]).collect();
        let r_sw: Vec<f64> = (0..n).map(|i| -s[i] * w[i]).collect();
        let (_, da, dz, dw) = direction(&r_az, &r_sw);
        let (ap, ad) = steps(&da, &dz, &dw);
        let gap_aff: f64 = (0..n)
            .map(|i| {
                (a[i] + ap * da[i]) * (z[i] + ad * dz[i])
                    + (s[i] - ap * da[i]) * (w[i] + ad * dw[i])
            })
            .sum();
        let sigma = (gap_aff / gap).clamp(0.0, 1.0).powi(3);
        // corrector, centred at σμ
        let r_az: Vec<f64> = (0..n)
            .map(|i| sigma * mu - a[i] * z[i] - da[i] * dz[i])
            .collect();
        let r_sw: Vec<f64> = (0..n)
            .map(|i| sigma * mu - s[i] * w[i] + da[i] * dw[i])
            .collect();
        let (dy, da, dz, dw) = direction(&r_az, &r_sw);
        let (ap, ad) = steps(&da, &dz, &dw);
        let (ap, ad) = ((0.99995 * ap).min(1.0), (0.99995 * ad).min(1.0));
        for i in 0..n {
            a[i] += ap * da[i];
            s[i] -= ap * da[i];
            z[i] += ad * dz[i];
            w[i] += ad * dw[i];
        }
        for (bj, d) in beta.iter_mut().zip(&dy) {
            *bj -= ad * d;
        }
    }
    Err(crate::LearnError::Data(format!(
        "quantile regression (τ = {tau}) did not reach its optimum in {max_iter} interior-point steps"
    )))
}
