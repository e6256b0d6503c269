//! Statistics of multi-band change detection: weighted means and covariances accumulated
//! in row order, the chi-square distribution, small dense symmetric linear algebra, and the
//! canonical correlation analysis of two dates (the core of IR-MAD).
//!
//! - [`CoMoments`]: weighted mean and co-moment matrix, updated one observation at a time
//!   (West 1979) and combined pairwise (Chan, Golub & LeVeque 1979), so sums kept per row and
//!   merged in row order do not depend on how rows are cut into strips or on the threads.
//! - [`chi2_cdf`] / [`chi2_quantile`]: the regularised lower incomplete gamma function
//!   P(k/2, x/2) by its power series and Legendre's continued fraction (Abramowitz & Stegun
//!   6.5.29 and 6.5.31), with Γ of integer and half-integer arguments computed exactly.
//! - [`cca`]: canonical correlations and vectors of two groups of variables from their joint
//!   covariance (Hotelling 1936), solved as a symmetric eigenproblem through a Cholesky
//!   factor; [`symmetric_eigen`] is the cyclic Jacobi method.

// Index loops here follow the formulas' subscripts (row-major matrices).
#![allow(clippy::needless_range_loop)]

/// Weighted mean and co-moment matrix (Σ w (x − m)(x − m)ᵀ) of `d`-dimensional observations.
#[derive(Debug, Clone, PartialEq)]
pub struct CoMoments {
    pub weight: f64,
    pub count: u64,
    pub mean: Vec<f64>,
    /// Row-major d × d.
    pub comoment: Vec<f64>,
}

impl CoMoments {
    pub fn new(d: usize) -> CoMoments {
        CoMoments {
            weight: 0.0,
            count: 0,
            mean: vec![0.0; d],
            comoment: vec![0.0; d * d],
        }
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Combines `o` into `self` (as if its observations had been added after).
    pub fn merge(&mut self, o: &CoMoments) {
        self.count += o.count;
        if o.weight == 0.0 {
            return;
        }
        let d = self.dim();
        let w = self.weight + o.weight;
        let f = self.weight * o.weight / w;
        let delta: Vec<f64> = (0..d).map(|k| o.mean[k] - self.mean[k]).collect();
        for k in 0..d {
            self.mean[k] += delta[k] * o.weight / w;
        }
        for i in 0..d {
            for j in 0..d {
                self.comoment[i * d + j] += o.comoment[i * d + j] + f * delta[i] * delta[j];
            }
        }
        self.weight = w;
    }

    /// The population covariance (co-moments over the weight), row-major d × d.
    pub fn covariance(&self) -> Vec<f64> {
        self.comoment.iter().map(|c| c / self.weight).collect()
    }
}

/// Weighted sums of one row's observations about a shift (the row's first observation):
/// Σw, Σw(z − s) and the upper triangle of Σw(z − s)(z − s)ᵀ, turned into [`CoMoments`] at
/// the end of the row. No division per observation, half the products of a full update;
/// the shift keeps the sums as exact as centred ones for data of one scale.
#[derive(Debug, Clone)]
pub struct RowSums {
    shift: Vec<f64>,
    weight: f64,
    count: u64,
    s1: Vec<f64>,
    /// Upper triangle, row-major (i ≤ j).
    s2: Vec<f64>,
    d: Vec<f64>,
}

impl RowSums {
    pub fn new(dim: usize) -> RowSums {
        RowSums {
            shift: vec![],
            weight: 0.0,
            count: 0,
            s1: vec![0.0; dim],
            s2: vec![0.0; dim * (dim + 1) / 2],
            d: vec![0.0; dim],
        }
    }

    #[inline]
    pub fn add(&mut self, z: &[f64], w: f64) {
        self.count += 1;
        if w <= 0.0 {
            return;
        }
        if self.shift.is_empty() {
            self.shift = z.to_vec();
        }
        let n = z.len();
        for k in 0..n {
            self.d[k] = z[k] - self.shift[k];
        }
        self.weight += w;
        let mut t = 0;
        for i in 0..n {
            let wi = w * self.d[i];
            self.s1[i] += wi;
            for j in i..n {
                self.s2[t] += wi * self.d[j];
                t += 1;
            }
        }
    }

    /// The row's weighted mean and co-moments.
    pub fn finish(&self) -> CoMoments {
        let n = self.s1.len();
        let mut c = CoMoments::new(n);
        c.count = self.count;
        if self.weight == 0.0 {
            return c;
        }
        c.weight = self.weight;
        let m: Vec<f64> = self.s1.iter().map(|x| x / self.weight).collect();
        let mut t = 0;
        for i in 0..n {
            c.mean[i] = self.shift[i] + m[i];
            for j in i..n {
                let v = self.s2[t] - self.s1[i] * m[j];
                c.comoment[i * n + j] = v;
                c.comoment[j * n + i] = v;
                t += 1;
            }
        }
        c
    }
}

/// ln Γ(a) for a = k/2, k ≥ 1: exact products of (n − 1)! and Γ(n + ½) = (2n)! √π / (4ⁿ n!).
fn ln_gamma_half(k: u32) -> f64 {
    if k.is_multiple_of(2) {
        (1..k / 2).map(|i| (i as f64).ln()).sum()
    } else {
        // Γ(1/2) = √π; Γ(x + 1) = x Γ(x)
        let mut s = 0.5 * std::f64::consts::PI.ln();
        let mut x = 0.5;
        while x + 0.25 < k as f64 / 2.0 {
            s += x.ln();
            x += 1.0;
        }
        s
    }
}

/// The chi-square distribution's CDF with `df` degrees of freedom at `x`.
pub fn chi2_cdf(x: f64, df: u32) -> f64 {
    gamma_pq(x, df).0
}

/// The chi-square survival function 1 − CDF (computed as such: exact in the far tail).
pub fn chi2_sf(x: f64, df: u32) -> f64 {
    gamma_pq(x, df).1
}

/// (P, Q) = the regularised lower and upper incomplete gamma functions at (df/2, x/2).
fn gamma_pq(x: f64, df: u32) -> (f64, f64) {
    if x.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    if x == f64::INFINITY {
        return (1.0, 0.0);
    }
    let a = df as f64 / 2.0;
    let z = x / 2.0;
    if df.is_multiple_of(2) && df <= 64 {
        // integer a: Q(a, z) = e^(−z) Σ_{i<a} zⁱ / i!
        let (mut term, mut sum) = (1.0f64, 1.0f64);
        for i in 1..df / 2 {
            term *= z / i as f64;
            sum += term;
        }
        let q = ((-z).exp() * sum).min(1.0);
        return (1.0 - q, q);
    }
    let log_front = a * z.ln() - z - ln_gamma_half(df);
    if z < a + 1.0 {
        // P(a, z) = e^(−z) z^a / Γ(a) · Σ zⁿ / (a (a + 1) … (a + n))   (A&S 6.5.29)
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= z / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        let p = (sum.ln() + log_front).exp().min(1.0);
        (p, 1.0 - p)
    } else {
        // Q(a, z) by Legendre's continued fraction (A&S 6.5.31), evaluated with Lentz's method
        let tiny = 1e-300;
        let mut b = z + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        let q = (log_front + h.ln()).exp().min(1.0);
        (1.0 - q, q)
    }
}

/// The chi-square quantile: the x with `chi2_cdf(x, df) = p` (0 < p < 1), by bisection to
/// the last bit.
pub fn chi2_quantile(p: f64, df: u32) -> f64 {
    let (mut lo, mut hi) = (0.0f64, df as f64 + 10.0);
    while chi2_cdf(hi, df) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if chi2_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Eigenvalues (ascending) and eigenvectors (columns of the row-major n × n result) of a
/// symmetric matrix by the cyclic Jacobi method.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        let scale: f64 = (0..n).map(|i| a[i * n + i] * a[i * n + i]).sum::<f64>();
        if off <= 1e-30 * scale.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[i * n + i].total_cmp(&a[j * n + j]));
    let vals = order.iter().map(|&i| a[i * n + i]).collect();
    let mut vecs = vec![0.0; n * n];
    for (c, &i) in order.iter().enumerate() {
        for k in 0..n {
            vecs[k * n + c] = v[k * n + i];
        }
    }
    (vals, vecs)
}

/// The lower Cholesky factor of a symmetric positive-definite n × n matrix, or None.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                if d.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// L⁻¹ of a lower-triangular n × n matrix.
fn lower_inverse(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    for c in 0..n {
        for i in c..n {
            let rhs = if i == c { 1.0 } else { 0.0 };
            let s: f64 = (c..i).map(|k| l[i * n + k] * inv[k * n + c]).sum();
            inv[i * n + c] = (rhs - s) / l[i * n + i];
        }
    }
    inv
}

fn matmul(a: &[f64], b: &[f64], n: usize, m: usize, p: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * p];
    for i in 0..n {
        for k in 0..m {
            let aik = a[i * m + k];
            for j in 0..p {
                c[i * p + j] += aik * b[k * p + j];
            }
        }
    }
    c
}

fn transpose(a: &[f64], n: usize, m: usize) -> Vec<f64> {
    let mut t = vec![0.0; n * m];
    for i in 0..n {
        for j in 0..m {
            t[j * n + i] = a[i * m + j];
        }
    }
    t
}

/// Canonical correlation analysis of two groups of `p` variables each.
#[derive(Debug, Clone, PartialEq)]
pub struct Cca {
    pub p: usize,
    /// Canonical correlations, ascending (the first pair is the least correlated).
    pub rho: Vec<f64>,
    /// Canonical vectors of the first group, row i the i-th (aᵢᵀ Σxx aᵢ = 1).
    pub a: Vec<f64>,
    /// Canonical vectors of the second group, row i the i-th (bᵢᵀ Σyy bᵢ = 1, aᵢᵀ Σxy bᵢ = ρᵢ ≥ 0).
    pub b: Vec<f64>,
}

/// CCA from the joint covariance of (x, y) (2p × 2p, row-major): the ρ², a solve
/// Σxy Σyy⁻¹ Σyx a = ρ² Σxx a, symmetrised as C = Lx⁻¹ Σxy Σyy⁻¹ Σyx Lx⁻ᵀ with Σxx = Lx Lxᵀ;
/// b = Σyy⁻¹ Σyx a / ρ. None when Σxx or Σyy is singular (a constant band).
pub fn cca(cov: &[f64], p: usize) -> Option<Cca> {
    let n2 = 2 * p;
    let block = |r0: usize, c0: usize| -> Vec<f64> {
        let mut m = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                m[i * p + j] = cov[(r0 + i) * n2 + c0 + j];
            }
        }
        m
    };
    let (sxx, sxy, syy) = (block(0, 0), block(0, p), block(p, p));
    let syx = transpose(&sxy, p, p);
    let lx = cholesky(&sxx, p)?;
    let ly = cholesky(&syy, p)?;
    let lxi = lower_inverse(&lx, p);
    let lyi = lower_inverse(&ly, p);
    let syy_inv = matmul(&transpose(&lyi, p, p), &lyi, p, p, p);
    // M = Σxy Σyy⁻¹ Σyx, C = Lx⁻¹ M Lx⁻ᵀ
    let m = matmul(&matmul(&sxy, &syy_inv, p, p, p), &syx, p, p, p);
    let mut c = matmul(&matmul(&lxi, &m, p, p, p), &transpose(&lxi, p, p), p, p, p);
    for i in 0..p {
        for j in 0..i {
            let s = 0.5 * (c[i * p + j] + c[j * p + i]);
            c[i * p + j] = s;
            c[j * p + i] = s;
        }
    }
    let (vals, vecs) = symmetric_eigen(&c, p);
    let lxit = transpose(&lxi, p, p);
    let mut rho = vec![0.0; p];
    let mut a = vec![0.0; p * p];
    let mut b = vec![0.0; p * p];
    for i in 0..p {
        let r = vals[i].clamp(0.0, 1.0).sqrt();
        rho[i] = r;
        let v: Vec<f64> = (0..p).map(|k| vecs[k * p + i]).collect();
        let ai = matmul(&lxit, &v, p, p, 1);
        let bi = matmul(&matmul(&syy_inv, &syx, p, p, p), &ai, p, p, 1);
        // bᵢ scaled to unit variance (dividing by ρ, or by its own norm where ρ ≈ 0)
        let var_b: f64 = (0..p)
            .map(|k| bi[k] * (0..p).map(|l| syy[k * p + l] * bi[l]).sum::<f64>())
            .sum();
        let sb = if var_b > 0.0 { var_b.sqrt() } else { 1.0 };
        for k in 0..p {
            a[i * p + k] = ai[k];
            b[i * p + k] = bi[k] / sb;
        }
    }
    Some(Cca { p, rho, a, b })
}

impl Cca {
    /// The MAD variates MADᵢ = aᵢᵀ x − bᵢᵀ y of centred observations, into `out`.
    #[inline]
    pub fn mad(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let p = self.p;
        for (i, o) in out.iter_mut().enumerate().take(p) {
            let (ai, bi) = (&self.a[i * p..(i + 1) * p], &self.b[i * p..(i + 1) * p]);
            let mut m = 0.0;
            for k in 0..p {
                m += ai[k] * x[k] - bi[k] * y[k];
            }
            *o = m;
        }
    }

    /// The MAD statistic Σᵢ MADᵢ² / (2 (1 − ρᵢ)) of centred observations x and y, with
    /// MADᵢ = aᵢᵀ x − bᵢᵀ y.
    #[inline]
    pub fn chi2(&self, x: &[f64], y: &[f64]) -> f64 {
        let p = self.p;
        let mut z = 0.0;
        for i in 0..p {
            let (ai, bi) = (&self.a[i * p..(i + 1) * p], &self.b[i * p..(i + 1) * p]);
            let mut m = 0.0;
            for k in 0..p {
                m += ai[k] * x[k] - bi[k] * y[k];
            }
            z += m * m / (2.0 * (1.0 - self.rho[i]));
        }
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_of_halves() {
        // Γ(1/2) = √π, Γ(3) = 2, Γ(5/2) = 3√π/4
        assert!((ln_gamma_half(1) - 0.5 * std::f64::consts::PI.ln()).abs() < 1e-15);
        assert!((ln_gamma_half(6) - 2f64.ln()).abs() < 1e-15);
        let g52 = 0.75 * std::f64::consts::PI.sqrt();
        assert!((ln_gamma_half(5) - g52.ln()).abs() < 1e-15);
    }

    #[test]
    fn chi2_with_two_degrees_is_exponential() {
        // df = 2: F(x) = 1 − e^(−x/2), known in closed form
        for x in [0.01, 0.5, 1.0, 3.0, 7.5, 20.0, 60.0] {
            let want = 1.0 - (-x / 2.0f64).exp();
            assert!((chi2_cdf(x, 2) - want).abs() < 1e-14, "{x}");
        }
        let q = chi2_quantile(0.99, 2);
        assert!((q - (-2.0 * 0.01f64.ln())).abs() < 1e-10, "{q}");
    }

    #[test]
    fn comoments_merge_equals_sequential() {
        let xs: Vec<[f64; 2]> = (0..50)
            .map(|i| {
                [
                    (i as f64 * 0.37).sin() * 10.0,
                    (i as f64 * 0.11).cos() + i as f64,
                ]
            })
            .collect();
        let mut one = RowSums::new(2);
        for (i, x) in xs.iter().enumerate() {
            one.add(x, 1.0 + (i % 3) as f64);
        }
        let all = one.finish();
        let (mut ra, mut rb) = (RowSums::new(2), RowSums::new(2));
        for (i, x) in xs.iter().enumerate() {
            let t = if i < 20 { &mut ra } else { &mut rb };
            t.add(x, 1.0 + (i % 3) as f64);
        }
        let mut a = ra.finish();
        a.merge(&rb.finish());
        // against the two-pass definition
        let wsum: f64 = (0..50).map(|i| 1.0 + (i % 3) as f64).sum();
        let mean0 = xs
            .iter()
            .enumerate()
            .map(|(i, x)| (1.0 + (i % 3) as f64) * x[0])
            .sum::<f64>()
            / wsum;
        assert!((all.mean[0] - mean0).abs() < 1e-12);
        for (u, v) in all.comoment.iter().zip(&a.comoment) {
            assert!((u - v).abs() < 1e-9 * u.abs().max(1.0));
        }
        assert!((all.mean[0] - a.mean[0]).abs() < 1e-12);
    }

    #[test]
    fn cca_of_a_linear_copy_is_perfect() {
        // y = 2x + noise-free: every canonical correlation is 1 except through independent parts
        let cov = [
            1.0, 0.3, 2.0, 0.6, //
            0.3, 2.0, 0.6, 4.0, //
            2.0, 0.6, 4.0, 1.2, //
            0.6, 4.0, 1.2, 8.0,
        ];
        // regularise y so Σyy is exactly 4 Σxx (y = 2x): correlations 1
        let c = cca(&cov, 2).unwrap();
        for r in &c.rho {
            assert!((r - 1.0).abs() < 1e-9, "{r}");
        }
    }

    #[test]
    fn jacobi_on_a_known_matrix() {
        // [[2,1],[1,2]]: eigenvalues 1 and 3
        let (vals, vecs) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((vals[0] - 1.0).abs() < 1e-14 && (vals[1] - 3.0).abs() < 1e-14);
        assert!((vecs[0].abs() - 0.5f64.sqrt()).abs() < 1e-14);
    }
}
