//! The season–trend model of a pixel's series (Verbesselt et al. 2010, 2012):
//! `y_t = a + b·trend_t + Σ_{j=1..K} [γ_j cos(2πjt) + δ_j sin(2πjt)] + ε_t`, t in decimal years.
//! The columns are ordered as R's bfastpp builds them: intercept, trend, cos 1..K, sin 1..K.

/// The regressors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Design {
    /// K, the harmonic order (0 … 3 in the command line; more are allowed here).
    pub harmonics: usize,
    /// Whether the model has a trend term.
    pub trend: bool,
}

impl Default for Design {
    /// bfastmonitor's default: trend and three harmonics.
    fn default() -> Design {
        Design {
            harmonics: 3,
            trend: true,
        }
    }
}

impl Design {
    /// The number of regressors.
    pub fn columns(&self) -> usize {
        1 + usize::from(self.trend) + 2 * self.harmonics
    }

    /// The columns' names, in order (`intercept`, `trend`, `cos1`, …, `sin1`, …).
    pub fn names(&self) -> Vec<String> {
        let mut v = vec!["intercept".to_string()];
        if self.trend {
            v.push("trend".into());
        }
        v.extend((1..=self.harmonics).map(|j| format!("cos{j}")));
        v.extend((1..=self.harmonics).map(|j| format!("sin{j}")));
        v
    }
}

/// The regressors of one observation at time `t` (decimal year) whose trend value is
/// `trend` (its position in a regular series, or `t` itself).
pub fn design_row(d: &Design, t: f64, trend: f64) -> Vec<f64> {
    let mut x = Vec::with_capacity(d.columns());
    x.push(1.0);
    if d.trend {
        x.push(trend);
    }
    let w = 2.0 * std::f64::consts::PI * t;
    x.extend((1..=d.harmonics).map(|j| (w * j as f64).cos()));
    x.extend((1..=d.harmonics).map(|j| (w * j as f64).sin()));
    x
}

/// The model's value at `t` with coefficients `b`.
pub fn predict(d: &Design, b: &[f64], t: f64, trend: f64) -> f64 {
    design_row(d, t, trend)
        .iter()
        .zip(b)
        .map(|(x, c)| x * c)
        .sum()
}
