//! Small dense linear algebra: the one-sided Jacobi SVD (Hestenes 1958; Demmel & Veselić
//! 1992) of a tall matrix held as columns, and least squares from it.

/// The thin SVD `A = U Σ Vᵀ` of an n×p matrix given as p columns, n ≥ p is not required.
#[derive(Debug, Clone)]
pub struct Svd {
    /// `A V` columns: column k is `σ_k u_k`.
    pub av: Vec<Vec<f64>>,
    /// Singular values σ_k (not sorted).
    pub sigma: Vec<f64>,
    /// V as p columns of length p.
    pub v: Vec<Vec<f64>>,
}

/// The lower Cholesky factor L (L Lᵀ = M) of the symmetric p × p row-major matrix `m`
/// (its lower triangle read), in place. A pivot not above `floor` gives false, or with
/// `set_huge` is set to 1e64 so that its direction is solved as 0 and the factoring goes on.
pub(crate) fn cholesky(m: &mut [f64], p: usize, floor: f64, set_huge: bool) -> bool {
    for j in 0..p {
        let mut diag = m[j * p + j];
        for k in 0..j {
            diag -= m[j * p + k] * m[j * p + k];
        }
        let l = if diag.is_finite() && diag > floor {
            diag.sqrt()
        } else if set_huge {
            1e64
        } else {
            return false;
        };
        m[j * p + j] = l;
        for i in (j + 1)..p {
            let mut v = m[i * p + j];
            for k in 0..j {
                v -= m[i * p + k] * m[j * p + k];
            }
            m[i * p + j] = v / l;
        }
    }
    true
}

/// Solves L Lᵀ z = b in place, L from [`cholesky`].
pub(crate) fn cholesky_solve(l: &[f64], p: usize, b: &mut [f64]) {
    for i in 0..p {
        for k in 0..i {
            b[i] -= l[i * p + k] * b[k];
        }
        b[i] /= l[i * p + i];
    }
    for i in (0..p).rev() {
        for k in (i + 1)..p {
            b[i] -= l[k * p + i] * b[k];
        }
        b[i] /= l[i * p + i];
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// One-sided Jacobi: rotates column pairs until all are orthogonal to working precision.
pub fn svd_columns(mut cols: Vec<Vec<f64>>) -> Svd {
    let p = cols.len();
    let mut v: Vec<Vec<f64>> = (0..p)
        .map(|i| (0..p).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let eps = f64::EPSILON;
    let n = cols.first().map_or(0, Vec::len);
    // a column this small is numerically zero (a dependent column): leave it be
    let max_norm2 = cols.iter().map(|c| dot(c, c)).fold(0.0, f64::max);
    let negligible = max_norm2 * (eps * n.max(p) as f64).powi(2);
    // orthogonal to working precision: n·ε (Demmel & Veselić 1992)
    let tol = eps * n.max(p) as f64;
    for _sweep in 0..60 {
        let mut rotated = false;
        for i in 0..p {
            for j in (i + 1)..p {
                let alpha = dot(&cols[i], &cols[i]);
                let beta = dot(&cols[j], &cols[j]);
                if alpha <= negligible || beta <= negligible {
                    continue;
                }
                let gamma = dot(&cols[i], &cols[j]);
                if gamma == 0.0 || gamma.abs() <= tol * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                let (lo, hi) = cols.split_at_mut(j);
                for (a, b) in lo[i].iter_mut().zip(hi[0].iter_mut()) {
                    let (x, y) = (*a, *b);
                    *a = c * x - s * y;
                    *b = s * x + c * y;
                }
                let (lo, hi) = v.split_at_mut(j);
                for (a, b) in lo[i].iter_mut().zip(hi[0].iter_mut()) {
                    let (x, y) = (*a, *b);
                    *a = c * x - s * y;
                    *b = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let sigma = cols.iter().map(|c| dot(c, c).sqrt()).collect();
    Svd { av: cols, sigma, v }
}

impl Svd {
    /// Numerical rank: singular values above `max(n, p) · ε · σ_max` (numpy's lstsq rule).
    pub fn rank_cutoff(&self) -> f64 {
        let n = self.av.first().map_or(0, |c| c.len());
        let smax = self.sigma.iter().cloned().fold(0.0, f64::max);
        smax * (n.max(self.sigma.len()) as f64) * f64::EPSILON
    }

    /// The numerical rank.
    pub fn rank(&self) -> usize {
        let cut = self.rank_cutoff();
        self.sigma.iter().filter(|s| **s > cut).count()
    }

    /// `Σ_k f(σ_k) · (a_kᵀ y) · v_k` over the kept singular values, with `a_k = σ_k u_k`:
    /// f(σ) = 1/σ² gives the minimum-norm least-squares solution, 1/(σ² + λ) ridge.
    pub fn solve(&self, y: &[f64], filter: impl Fn(f64) -> f64) -> Vec<f64> {
        let p = self.v.len();
        let cut = self.rank_cutoff();
        let mut beta = vec![0.0; p];
        for k in 0..p {
            let s = self.sigma[k];
            if s <= cut {
                continue;
            }
            let coef = dot(&self.av[k], y) * filter(s);
            for (b, vk) in beta.iter_mut().zip(&self.v[k]) {
                *b += coef * vk;
            }
        }
        beta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_min_norm_on_a_rank_deficient_design() {
        // column 2 = column 0 + column 1: rank 2
        let a = vec![
            vec![1.0, 2.0, 3.0, 4.0],
            vec![0.0, 1.0, 0.0, 1.0],
            vec![1.0, 3.0, 3.0, 5.0],
        ];
        let y = [1.0, 3.0, 2.0, 5.0];
        let svd = svd_columns(a.clone());
        assert_eq!(svd.rank(), 2);
        let beta = svd.solve(&y, |s| 1.0 / (s * s));
        // normal equations hold: Aᵀ(y − Aβ) = 0
        let fitted: Vec<f64> = (0..4)
            .map(|i| (0..3).map(|j| a[j][i] * beta[j]).sum())
            .collect();
        for col in &a {
            let g: f64 = col
                .iter()
                .zip(y.iter().zip(&fitted))
                .map(|(x, (y, f))| x * (y - f))
                .sum();
            assert!(g.abs() < 1e-10, "{g}");
        }
        // minimum norm: β is orthogonal to the null space (1, 1, −1)
        assert!((beta[0] + beta[1] - beta[2]).abs() < 1e-10, "{beta:?}");
    }
}
