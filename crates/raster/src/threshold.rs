//! Otsu's threshold (Otsu 1979) on a histogram of float32 values, computed as
//! scikit-image's `threshold_otsu` does on a float32 image (with numpy 2):
//!
//! - bins span [min, max] in float32: step = (max − min) / bins, edge k = k·step + min,
//!   the last edge max; a value falls in [edge k, edge k+1) (the last bin closed), found
//!   as numpy's histogram finds it (an estimate, then one correction each way);
//! - bin centres (edge k + edge k+1) / 2; counts, cumulative weights, class means and the
//!   between-class variance w₁·w₂·(m₁ − m₂)² in float32, summed in bin order;
//! - the threshold is the centre of the first bin with the largest variance; all values
//!   equal gives that value.
//!
//! Beside it, thresholds for change that is rare (where Otsu's equal-size assumption fails):
//! Kittler–Illingworth minimum error, the EM/Bayes threshold of a two-Gaussian mixture
//! (Bruzzone & Prieto 2000), and k-means on the binned values.

/// A histogram of float32 values over a known range.
#[derive(Debug, Clone)]
pub struct Histogram {
    lo: f32,
    hi: f32,
    edges: Vec<f32>,
    counts: Vec<u64>,
}

impl Histogram {
    /// `bins` bins over [lo, hi] (the values' min and max).
    pub fn new(lo: f64, hi: f64, bins: usize) -> Histogram {
        let (lo, hi) = (lo as f32, hi as f32);
        let n = bins.max(1);
        let step = (hi - lo) / n as f32;
        let mut edges: Vec<f32> = (0..n).map(|k| k as f32 * step + lo).collect();
        edges.push(hi);
        Histogram {
            lo,
            hi,
            edges,
            counts: vec![0; n],
        }
    }

    pub fn bins(&self) -> usize {
        self.counts.len()
    }

    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Adds a value (ignored outside [lo, hi] or NaN).
    #[inline]
    pub fn add(&mut self, x: f32) {
        if !(x >= self.lo && x <= self.hi) {
            return;
        }
        let n = self.counts.len();
        if self.hi == self.lo {
            self.counts[0] += 1;
            return;
        }
        let f = (x - self.lo) / (self.hi - self.lo) * n as f32;
        let mut i = (f as usize).min(n - 1);
        if x < self.edges[i] {
            i -= 1;
        }
        if x >= self.edges[i + 1] && i != n - 1 {
            i += 1;
        }
        self.counts[i] += 1;
    }

    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
    }

    pub fn centres(&self) -> Vec<f32> {
        self.edges.windows(2).map(|e| (e[0] + e[1]) / 2.0).collect()
    }
}

/// Otsu's threshold of the values in `h`.
pub fn otsu(h: &Histogram) -> f64 {
    if h.lo == h.hi {
        return h.lo as f64;
    }
    let c: Vec<f32> = h.counts.iter().map(|&n| n as f32).collect();
    let centres = h.centres();
    let n = c.len();
    let p: Vec<f32> = c.iter().zip(&centres).map(|(a, b)| a * b).collect();
    let cumsum = |v: &mut dyn Iterator<Item = f32>| -> Vec<f32> {
        let mut s = 0f32;
        v.map(|x| {
            s += x;
            s
        })
        .collect()
    };
    let w1 = cumsum(&mut c.iter().copied());
    let mut w2 = cumsum(&mut c.iter().rev().copied());
    w2.reverse();
    let s1 = cumsum(&mut p.iter().copied());
    let mut s2 = cumsum(&mut p.iter().rev().copied());
    s2.reverse();
    let m1: Vec<f32> = s1.iter().zip(&w1).map(|(s, w)| s / w).collect();
    let m2: Vec<f32> = s2.iter().zip(&w2).map(|(s, w)| s / w).collect();
    let mut best = (0usize, f32::NEG_INFINITY);
    for k in 0..n - 1 {
        let d = m1[k] - m2[k + 1];
        let v = (w1[k] * w2[k + 1]) * (d * d);
        // the first maximum (NaN never wins, as numpy's argmax would pick it: no NaN occurs
        // since the first and last bins hold the min and the max)
        if v > best.1 {
            best = (k, v);
        }
    }
    centres[best.0] as f64
}

/// Counts and float32 bin centres (as f64) of a histogram's bins.
fn binned(h: &Histogram) -> (Vec<f64>, Vec<f64>) {
    let c = h.counts.iter().map(|&n| n as f64).collect();
    let x = h.centres().iter().map(|&v| v as f64).collect();
    (c, x)
}

/// Class weight, mean and population variance of bins `r` (counts `c`, centres `x`).
fn class_stats(c: &[f64], x: &[f64]) -> (f64, f64, f64) {
    let n: f64 = c.iter().sum();
    if n == 0.0 {
        return (0.0, f64::NAN, f64::NAN);
    }
    let m = c.iter().zip(x).map(|(c, x)| c * x).sum::<f64>() / n;
    let v = c
        .iter()
        .zip(x)
        .map(|(c, x)| c * (x - m) * (x - m))
        .sum::<f64>()
        / n;
    (n, m, v)
}

/// Whether bins `c` hold values in at least two bins (a class with a spread).
fn spread(c: &[f64]) -> bool {
    c.iter().filter(|&&n| n > 0.0).nth(1).is_some()
}

/// Kittler & Illingworth's minimum error threshold (Pattern Recognition 19(1), 1986): the
/// split of the histogram into two Gaussian classes that minimises
/// J(k) = 1 + 2 (P₁ ln σ₁ + P₂ ln σ₂) − 2 (P₁ ln P₁ + P₂ ln P₂), class 1 the bins 0..=k;
/// splits leaving a class with fewer than two non-empty bins (no spread) are skipped. The
/// threshold is bin k's centre (the first minimum), as Otsu's is; None when no split has two
/// spread classes.
pub fn kittler_illingworth(h: &Histogram) -> Option<f64> {
    let (c, x) = binned(h);
    let total: f64 = c.iter().sum();
    let mut best: Option<(usize, f64)> = None;
    for k in 0..c.len().saturating_sub(1) {
        if !spread(&c[..=k]) || !spread(&c[k + 1..]) {
            continue;
        }
        let (n1, _, v1) = class_stats(&c[..=k], &x[..=k]);
        let (n2, _, v2) = class_stats(&c[k + 1..], &x[k + 1..]);
        let (p1, p2) = (n1 / total, n2 / total);
        let j = 1.0 + (p1 * v1.ln() + p2 * v2.ln()) - 2.0 * (p1 * p1.ln() + p2 * p2.ln());
        if best.is_none_or(|(_, b)| j < b) {
            best = Some((k, j));
        }
    }
    best.map(|(k, _)| x[k])
}

/// A two-component Gaussian mixture fitted to a histogram.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Mixture {
    pub weight: [f64; 2],
    pub mean: [f64; 2],
    pub std: [f64; 2],
    pub iterations: usize,
    pub converged: bool,
}

/// ln(Pᵢ N(x; μᵢ, σᵢ)) of both components.
fn log_components(x: f64, p: &[f64; 2], m: &[f64; 2], s: &[f64; 2]) -> [f64; 2] {
    let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    [0, 1].map(|i| p[i].ln() - s[i].ln() - half_ln_2pi - (x - m[i]).powi(2) / (2.0 * s[i] * s[i]))
}

fn log_add(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// The threshold of Bruzzone & Prieto (IEEE TGRS 38(3), 2000, §II): the two classes' priors,
/// means and variances estimated by expectation–maximisation on the binned values (counts
/// as weights, bin centres as values), started from the two classes of Otsu's split, until
/// the log-likelihood changes by less than 1e-10 of itself (at most 10,000 iterations); the
/// threshold is the Bayes minimum-error boundary P₁ N(x; μ₁, σ₁) = P₂ N(x; μ₂, σ₂), the one
/// root between the means. None when a component collapses onto one bin (σ under 1e-3 of a
/// bin: the likelihood is unbounded there) or no single root lies between the means.
pub fn em(h: &Histogram) -> Option<(f64, Mixture)> {
    let (c, x) = binned(h);
    let bin = (h.hi as f64 - h.lo as f64) / c.len() as f64;
    let t0 = otsu(h) as f32;
    let split = h.centres().iter().rposition(|&v| v <= t0)?;
    if !spread(&c[..=split]) || !spread(&c[split + 1..]) {
        return None;
    }
    let (n1, m1, v1) = class_stats(&c[..=split], &x[..=split]);
    let (n2, m2, v2) = class_stats(&c[split + 1..], &x[split + 1..]);
    let total = n1 + n2;
    let (mut p, mut m, mut s) = ([n1 / total, n2 / total], [m1, m2], [v1.sqrt(), v2.sqrt()]);
    let log_likelihood = |p: &[f64; 2], m: &[f64; 2], s: &[f64; 2]| -> f64 {
        c.iter()
            .zip(&x)
            .filter(|(n, _)| **n > 0.0)
            .map(|(n, &xi)| {
                let l = log_components(xi, p, m, s);
                n * log_add(l[0], l[1])
            })
            .sum()
    };
    let mut ll = log_likelihood(&p, &m, &s);
    let (mut iterations, mut converged) = (0, false);
    let mut g = vec![[0.0; 2]; c.len()];
    while iterations < 10_000 {
        iterations += 1;
        // E: each bin's responsibilities
        for (gi, &xi) in g.iter_mut().zip(&x) {
            let l = log_components(xi, &p, &m, &s);
            let lm = log_add(l[0], l[1]);
            *gi = [(l[0] - lm).exp(), (l[1] - lm).exp()];
        }
        // M
        for j in 0..2 {
            let sg: f64 = c.iter().zip(&g).map(|(n, gi)| n * gi[j]).sum();
            let mj = c
                .iter()
                .zip(&g)
                .zip(&x)
                .map(|((n, gi), xi)| n * gi[j] * xi)
                .sum::<f64>()
                / sg;
            let vj = c
                .iter()
                .zip(&g)
                .zip(&x)
                .map(|((n, gi), xi)| n * gi[j] * (xi - mj).powi(2))
                .sum::<f64>()
                / sg;
            p[j] = sg / total;
            m[j] = mj;
            s[j] = vj.sqrt();
        }
        let narrowest = s[0].min(s[1]);
        if narrowest.is_nan() || narrowest < 1e-3 * bin || p[0].min(p[1]) == 0.0 {
            return None;
        }
        let next = log_likelihood(&p, &m, &s);
        let moved = (next - ll).abs();
        ll = next;
        if moved < 1e-10 * next.abs() {
            converged = true;
            break;
        }
    }
    let mix = Mixture {
        weight: p,
        mean: m,
        std: s,
        iterations,
        converged,
    };
    let (v1, v2) = (s[0] * s[0], s[1] * s[1]);
    // the log densities' difference as a quadratic qa x² + qb x + qc = 0
    let qb = m[0] / v1 - m[1] / v2;
    let qc =
        m[1] * m[1] / (2.0 * v2) - m[0] * m[0] / (2.0 * v1) + (p[0] * s[1] / (p[1] * s[0])).ln();
    let (lo, hi) = (m[0].min(m[1]), m[0].max(m[1]));
    let roots: Vec<f64> = if s[0] == s[1] {
        vec![-qc / qb]
    } else {
        let qa = 1.0 / (2.0 * v2) - 1.0 / (2.0 * v1);
        let disc = qb * qb - 4.0 * qa * qc;
        if disc < 0.0 {
            return None;
        }
        // the numerically stable pair of roots
        let q = -0.5 * (qb + qb.signum() * disc.sqrt());
        vec![q / qa, qc / q]
    };
    let inside: Vec<f64> = roots.into_iter().filter(|r| *r >= lo && *r <= hi).collect();
    (inside.len() == 1).then(|| (inside[0], mix))
}

/// 1-D k-means (Lloyd's iterations) on a histogram's bins, weighted by their counts, started
/// at the weighted quantiles (i + ½)/k; the centroids ascending. Exact for the binned values.
pub fn kmeans(h: &Histogram, k: usize) -> Option<Vec<f64>> {
    let (c, x) = binned(h);
    let total: f64 = c.iter().sum();
    if k < 2 || total == 0.0 {
        return None;
    }
    let mut cent: Vec<f64> = (0..k)
        .map(|i| {
            let target = (i as f64 + 0.5) / k as f64 * total;
            let mut acc = 0.0;
            for (ci, xi) in c.iter().zip(&x) {
                acc += ci;
                if acc >= target {
                    return *xi;
                }
            }
            *x.last().unwrap()
        })
        .collect();
    let mut assign = vec![usize::MAX; c.len()];
    for _ in 0..1000 {
        let mut changed = false;
        for i in 0..c.len() {
            let j = (0..k)
                .min_by(|&a, &b| (x[i] - cent[a]).abs().total_cmp(&(x[i] - cent[b]).abs()))
                .unwrap();
            if assign[i] != j {
                assign[i] = j;
                changed = true;
            }
        }
        let mut s = vec![0.0; k];
        let mut w = vec![0.0; k];
        for i in 0..c.len() {
            s[assign[i]] += c[i] * x[i];
            w[assign[i]] += c[i];
        }
        for j in 0..k {
            if w[j] > 0.0 {
                cent[j] = s[j] / w[j];
            }
        }
        if !changed {
            break;
        }
    }
    cent.sort_by(f64::total_cmp);
    cent.dedup();
    (cent.len() >= 2).then_some(cent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_modes() {
        let mut h = Histogram::new(0.0, 10.0, 10);
        for x in [0.0f32, 0.5, 1.0, 1.2, 9.0, 9.5, 10.0, 8.7] {
            h.add(x);
        }
        assert_eq!(h.counts().iter().sum::<u64>(), 8);
        let t = otsu(&h);
        assert!(t > 1.2 && t < 8.7, "{t}");
    }

    #[test]
    fn the_maximum_falls_in_the_last_bin() {
        let mut h = Histogram::new(-1.0, 1.0, 4);
        h.add(1.0);
        h.add(-1.0);
        h.add(0.0);
        assert_eq!(h.counts(), &[1, 0, 1, 1]);
    }

    /// Two Gaussians of known parameters, binned: the mixture and both minimum-error
    /// thresholds recover them (a case whose answer is known: the Bayes boundary of
    /// 0.9 N(0, 1) and 0.1 N(6, 1) solves ln 9 = 6x − 18, x = 3 + ln 9 / 6).
    #[test]
    fn rare_class_mixture() {
        let mut h = Histogram::new(-6.0, 12.0, 720);
        // deterministic quantiles of each Gaussian (inverse CDF by bisection on erf-free
        // midpoints would do; a fine Riemann sum of the densities is enough here)
        let n = 2_000_000f64;
        for (w, m) in [(0.9, 0.0), (0.1, 6.0)] {
            let step = 0.0005;
            let mut x = m - 6.0;
            while x <= m + 6.0 {
                let d = (-(x - m) * (x - m) / 2.0f64).exp() / (2.0 * std::f64::consts::PI).sqrt();
                let k = (w * n * d * step).round() as u64;
                for _ in 0..k {
                    h.add(x as f32);
                }
                x += step;
            }
        }
        let want = 3.0 + 9f64.ln() / 6.0;
        let (t, mix) = em(&h).unwrap();
        assert!((t - want).abs() < 0.05, "EM {t} vs {want}");
        assert!((mix.weight[0] - 0.9).abs() < 0.01 && (mix.mean[1] - 6.0).abs() < 0.05);
        let ki = kittler_illingworth(&h).unwrap();
        assert!((ki - want).abs() < 0.1, "KI {ki} vs {want}");
        let c = kmeans(&h, 2).unwrap();
        assert!((c[0]).abs() < 0.1 && (c[1] - 6.0).abs() < 0.1, "{c:?}");
    }
}
