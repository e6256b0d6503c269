//! Least squares by Givens rotations: rows are added one at a time to an upper-triangular
//! factor R (and Qᵀy), so the fit after every row costs O(k²) and is as exact as a fresh
//! QR of all rows so far — what recursive residuals need, and what a per-pixel fit of a few
//! regressors wants.

/// The factor of the rows added so far.
#[derive(Debug, Clone)]
pub struct Givens {
    k: usize,
    /// Row-major k × k upper triangle.
    r: Vec<f64>,
    qty: Vec<f64>,
    rss: f64,
    rows: usize,
}

impl Givens {
    pub fn new(k: usize) -> Givens {
        Givens {
            k,
            r: vec![0.0; k * k],
            qty: vec![0.0; k],
            rss: 0.0,
            rows: 0,
        }
    }

    /// Rows added so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The residual sum of squares of the least-squares fit to the rows so far (exact once
    /// the rows determine the coefficients).
    pub fn rss(&self) -> f64 {
        self.rss
    }

    /// Adds the row `x` with response `y`.
    pub fn push(&mut self, x: &[f64], mut y: f64) {
        let k = self.k;
        let mut x = x.to_vec();
        for j in 0..k {
            let b = x[j];
            if b == 0.0 {
                continue;
            }
            let a = self.r[j * k + j];
            let h = a.hypot(b);
            let (c, s) = (a / h, b / h);
            self.r[j * k + j] = h;
            for (l, xl) in x.iter_mut().enumerate().skip(j + 1) {
                let rv = self.r[j * k + l];
                self.r[j * k + l] = c * rv + s * *xl;
                *xl = -s * rv + c * *xl;
            }
            let q = self.qty[j];
            self.qty[j] = c * q + s * y;
            y = -s * q + c * y;
        }
        self.rss += y * y;
        self.rows += 1;
    }

    /// Whether the rows so far determine every coefficient: no diagonal of R below 1e-10
    /// of the largest.
    pub fn determined(&self) -> bool {
        let k = self.k;
        let d: Vec<f64> = (0..k).map(|j| self.r[j * k + j].abs()).collect();
        let top = d.iter().cloned().fold(0.0, f64::max);
        top > 0.0 && d.iter().all(|&v| v > 1e-10 * top)
    }

    /// The coefficients (back-substitution), `None` where the rows do not determine them.
    pub fn coefficients(&self) -> Option<Vec<f64>> {
        if !self.determined() {
            return None;
        }
        let k = self.k;
        let mut b = self.qty.clone();
        for j in (0..k).rev() {
            let row = &self.r[j * k..(j + 1) * k];
            let v = b[j] - (j + 1..k).map(|l| row[l] * b[l]).sum::<f64>();
            b[j] = v / row[j];
        }
        Some(b)
    }

    /// |R⁻ᵀ x|² = xᵀ(XᵀX)⁻¹x (forward substitution); `None` where not determined.
    pub fn leverage(&self, x: &[f64]) -> Option<f64> {
        if !self.determined() {
            return None;
        }
        let k = self.k;
        let mut z = vec![0.0; k];
        let mut sum = 0.0;
        for j in 0..k {
            let v = x[j]
                - z[..j]
                    .iter()
                    .enumerate()
                    .map(|(l, zl)| self.r[l * k + j] * zl)
                    .sum::<f64>();
            z[j] = v / self.r[j * k + j];
            sum += z[j] * z[j];
        }
        Some(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_and_its_residuals() {
        // y = 1 + 2x + e with e = (+1, -1, +1, -1): b = (1, 2) is not the fit; the fit
        // of four points is checked against the normal equations solved by hand.
        let xs = [0.0, 1.0, 2.0, 3.0];
        let ys = [2.0, 2.0, 6.0, 6.0];
        let mut g = Givens::new(2);
        for (x, y) in xs.iter().zip(ys) {
            g.push(&[1.0, *x], y);
        }
        let b = g.coefficients().unwrap();
        // slope = cov/var = (sum (x-1.5)(y-4)) / 5 = (3+1+1+3)... = 8/5 = 1.6; a = 4 - 1.6*1.5
        assert!(
            (b[1] - 1.6).abs() < 1e-14 && (b[0] - 1.6).abs() < 1e-14,
            "{b:?}"
        );
        let rss: f64 = xs
            .iter()
            .zip(ys)
            .map(|(x, y)| (y - b[0] - b[1] * x).powi(2))
            .sum();
        assert!((g.rss() - rss).abs() < 1e-12);
        assert!(!Givens::new(2).determined());
    }
}
