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
}
