//! CalTRACK 2.0 daily and billing models (docs/baselines.md § 4): a balance-point grid
//! search over intercept-only, HDD-only, CDD-only and HDD+CDD candidates, OLS for daily data
//! and WLS by period length for billing data, qualification on signs (and p-values where
//! asked), selection by adjusted R². The grid is searched in parallel.

use crate::BuildingError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use terrawatt_learn::stats::t_two_sided_p;

use crate::prepare::Prepared;
use crate::series::Freq;

/// Settings of the grid search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridSettings {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    /// Slopes must have a two-sided p-value below this, when set.
    pub max_p_value: Option<f64>,
    pub min_nonzero_periods: usize,
    pub min_degree_days_per_year: f64,
}

impl Default for GridSettings {
    fn default() -> Self {
        GridSettings {
            min: 30.0,
            max: 90.0,
            step: 3.0,
            max_p_value: None,
            min_nonzero_periods: 10,
            min_degree_days_per_year: 20.0,
        }
    }
}

impl GridSettings {
    pub fn check(&self) -> Result<(), BuildingError> {
        if !(self.step > 0.0 && self.step <= 3.0) {
            return Err(BuildingError::Fit(format!(
                "--bp-step {} must be in (0, 3] °F (CalTRACK's grid is 3 °F or finer)",
                self.step
            )));
        }
        if !(self.min.is_finite() && self.max.is_finite() && self.min <= self.max) {
            return Err(BuildingError::Fit(format!(
                "--bp-min {} must not exceed --bp-max {}",
                self.min, self.max
            )));
        }
        if let Some(p) = self.max_p_value
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(BuildingError::Fit(format!(
                "--max-p-value {p} must be in (0, 1]"
            )));
        }
        Ok(())
    }

    /// The balance points: min, min + step, … ≤ max.
    pub fn points(&self) -> Vec<f64> {
        let n = ((self.max - self.min) / self.step + 1e-9).floor() as usize;
        (0..=n).map(|i| self.min + i as f64 * self.step).collect()
    }
}

/// The candidate families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    InterceptOnly,
    HddOnly,
    CddOnly,
    HddCdd,
}

/// A fitted degree-day model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DegreeDayModel {
    pub kind: Kind,
    pub heating_balance_point: Option<f64>,
    pub cooling_balance_point: Option<f64>,
    pub intercept: f64,
    pub beta_hdd: Option<f64>,
    pub beta_cdd: Option<f64>,
    pub p_value_hdd: Option<f64>,
    pub p_value_cdd: Option<f64>,
    pub r2: f64,
    pub adj_r2: f64,
    /// Periods fitted.
    pub n: usize,
    /// Parameters, the intercept included.
    pub k: usize,
    pub qualified: bool,
}

impl DegreeDayModel {
    /// Predicted usage of a period (its days × the per-day model).
    pub fn predict(&self, p: &Prepared, freq: Freq) -> f64 {
        let mut per_day = self.intercept;
        if let (Some(h), Some(b)) = (self.heating_balance_point, self.beta_hdd) {
            per_day += b * p.hdd(h);
        }
        if let (Some(c), Some(b)) = (self.cooling_balance_point, self.beta_cdd) {
            per_day += b * p.cdd(c);
        }
        match freq {
            Freq::Billing => per_day * p.n_days,
            _ => per_day,
        }
    }
}

/// The outcome of a grid search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Search {
    pub selected: DegreeDayModel,
    pub candidates_fitted: usize,
    pub candidates_qualified: usize,
    pub heating_points_qualifying: Vec<f64>,
    pub cooling_points_qualifying: Vec<f64>,
}

/// Weighted least squares of y on 1 and up to two regressors, in closed form on centred
/// sums. Returns (intercept, slopes, p-values of slopes, R², SSE) or None when singular.
fn wls(w: &[f64], y: &[f64], xs: &[&[f64]]) -> Option<(f64, Vec<f64>, Vec<f64>, f64)> {
    let n = y.len();
    let sw: f64 = w.iter().sum();
    let ybar = w.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() / sw;
    let xbar: Vec<f64> = xs
        .iter()
        .map(|x| w.iter().zip(x.iter()).map(|(a, b)| a * b).sum::<f64>() / sw)
        .collect();
    let k = xs.len();
    let mut s = [[0.0f64; 2]; 2];
    let mut sy = [0.0f64; 2];
    let mut syy = 0.0;
    for i in 0..n {
        let dy = y[i] - ybar;
        syy += w[i] * dy * dy;
        for a in 0..k {
            let da = xs[a][i] - xbar[a];
            sy[a] += w[i] * da * dy;
            for b in 0..=a {
                s[a][b] += w[i] * da * (xs[b][i] - xbar[b]);
            }
        }
    }
    // inverse of the centred cross-product matrix
    let inv: [[f64; 2]; 2] = match k {
        0 => [[0.0; 2]; 2],
        1 => {
            if s[0][0] <= 0.0 {
                return None;
            }
            [[1.0 / s[0][0], 0.0], [0.0, 0.0]]
        }
        _ => {
            let det = s[0][0] * s[1][1] - s[1][0] * s[1][0];
            if det <= 1e-12 * s[0][0] * s[1][1] || det <= 0.0 {
                return None;
            }
            [
                [s[1][1] / det, -s[1][0] / det],
                [-s[1][0] / det, s[0][0] / det],
            ]
        }
    };
    let beta: Vec<f64> = (0..k)
        .map(|a| (0..k).map(|b| inv[a][b] * sy[b]).sum())
        .collect();
    let intercept = ybar - (0..k).map(|a| beta[a] * xbar[a]).sum::<f64>();
    let mut sse = 0.0;
    for i in 0..n {
        let mut f = intercept;
        for a in 0..k {
            f += beta[a] * xs[a][i];
        }
        sse += w[i] * (y[i] - f).powi(2);
    }
    let df = n as f64 - (k + 1) as f64;
    let sigma2 = sse / df;
    let pvals = (0..k)
        .map(|a| {
            let se = (sigma2 * inv[a][a]).sqrt();
            t_two_sided_p(beta[a] / se, df)
        })
        .collect();
    let r2 = if syy > 0.0 { 1.0 - sse / syy } else { 0.0 };
    Some((intercept, beta, pvals, r2))
}

struct Data<'a> {
    w: Vec<f64>,
    y: Vec<f64>,
    n_days: Vec<f64>,
    periods: &'a [Prepared],
}

/// ≥ 20 degree days a year and, for daily data, ≥ 10 periods with non-zero degree days
/// (CalTRACK 2.0 § 3.2.2.2.1 exempts billing data from the count).
fn degree_days_ok(dd: &[f64], n_days: &[f64], freq: Freq, g: &GridSettings) -> bool {
    let nonzero = dd.iter().filter(|v| **v > 0.0).count();
    let total: f64 = dd.iter().zip(n_days).map(|(a, b)| a * b).sum();
    let days: f64 = n_days.iter().sum();
    (freq == Freq::Billing || nonzero >= g.min_nonzero_periods)
        && total * 365.0 / days >= g.min_degree_days_per_year
}

fn candidate(
    data: &Data<'_>,
    kind: Kind,
    h: Option<(f64, &[f64])>,
    c: Option<(f64, &[f64])>,
    g: &GridSettings,
) -> Option<DegreeDayModel> {
    let mut xs: Vec<&[f64]> = Vec::new();
    if let Some((_, x)) = h {
        xs.push(x);
    }
    if let Some((_, x)) = c {
        xs.push(x);
    }
    let (intercept, beta, pv, r2) = wls(&data.w, &data.y, &xs)?;
    let n = data.y.len();
    let k = xs.len() + 1;
    let adj_r2 = 1.0 - (1.0 - r2) * (n as f64 - 1.0) / (n as f64 - k as f64);
    let (mut bh, mut bc, mut ph, mut pc) = (None, None, None, None);
    let mut i = 0;
    if h.is_some() {
        bh = Some(beta[i]);
        ph = Some(pv[i]);
        i += 1;
    }
    if c.is_some() {
        bc = Some(beta[i]);
        pc = Some(pv[i]);
    }
    let slopes_ok = bh.is_none_or(|b| b > 0.0) && bc.is_none_or(|b| b > 0.0);
    let p_ok = g
        .max_p_value
        .is_none_or(|m| ph.is_none_or(|p| p < m) && pc.is_none_or(|p| p < m));
    Some(DegreeDayModel {
        kind,
        heating_balance_point: h.map(|(v, _)| v),
        cooling_balance_point: c.map(|(v, _)| v),
        intercept,
        beta_hdd: bh,
        beta_cdd: bc,
        p_value_hdd: ph,
        p_value_cdd: pc,
        r2,
        adj_r2,
        n,
        k,
        qualified: slopes_ok && p_ok && intercept >= 0.0,
    })
}

/// The grid search on usable baseline periods.
pub fn fit(periods: &[Prepared], freq: Freq, g: &GridSettings) -> Result<Search, BuildingError> {
    g.check()?;
    let n = periods.len();
    if n < 3 {
        return Err(BuildingError::Fit(format!(
            "{n} usable baseline periods; a degree-day model needs at least 3"
        )));
    }
    let (w, y): (Vec<f64>, Vec<f64>) = match freq {
        Freq::Billing => periods
            .iter()
            .map(|p| (p.n_days, p.period.value / p.n_days))
            .unzip(),
        _ => periods.iter().map(|p| (1.0, p.period.value)).unzip(),
    };
    let n_days: Vec<f64> = match freq {
        Freq::Billing => periods.iter().map(|p| p.n_days).collect(),
        _ => vec![1.0; n],
    };
    let data = Data {
        w,
        y,
        n_days,
        periods,
    };
    let points = g.points();
    let hdd: Vec<(f64, Vec<f64>)> = points
        .par_iter()
        .map(|h| (*h, data.periods.iter().map(|p| p.hdd(*h)).collect()))
        .collect();
    let cdd: Vec<(f64, Vec<f64>)> = points
        .par_iter()
        .map(|c| (*c, data.periods.iter().map(|p| p.cdd(*c)).collect()))
        .collect();
    let hq: Vec<&(f64, Vec<f64>)> = hdd
        .iter()
        .filter(|(_, x)| degree_days_ok(x, &data.n_days, freq, g))
        .collect();
    let cq: Vec<&(f64, Vec<f64>)> = cdd
        .iter()
        .filter(|(_, x)| degree_days_ok(x, &data.n_days, freq, g))
        .collect();

    // candidates in the documented order; fitted in parallel, selected in order
    let mut cands: Vec<Option<DegreeDayModel>> =
        vec![candidate(&data, Kind::InterceptOnly, None, None, g)];
    cands.extend(
        hq.par_iter()
            .map(|(h, x)| candidate(&data, Kind::HddOnly, Some((*h, x)), None, g))
            .collect::<Vec<_>>(),
    );
    cands.extend(
        cq.par_iter()
            .map(|(c, x)| candidate(&data, Kind::CddOnly, None, Some((*c, x)), g))
            .collect::<Vec<_>>(),
    );
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (i, h) in hq.iter().enumerate() {
        for (j, c) in cq.iter().enumerate() {
            if c.0 >= h.0 {
                pairs.push((i, j));
            }
        }
    }
    cands.extend(
        pairs
            .par_iter()
            .map(|(i, j)| {
                candidate(
                    &data,
                    Kind::HddCdd,
                    Some((hq[*i].0, &hq[*i].1)),
                    Some((cq[*j].0, &cq[*j].1)),
                    g,
                )
            })
            .collect::<Vec<_>>(),
    );
    let fitted: Vec<DegreeDayModel> = cands.into_iter().flatten().collect();
    let mut best: Option<&DegreeDayModel> = None;
    for m in fitted.iter().filter(|m| m.qualified) {
        if best.is_none_or(|b| m.adj_r2 > b.adj_r2) {
            best = Some(m);
        }
    }
    let qualified = fitted.iter().filter(|m| m.qualified).count();
    let Some(best) = best else {
        return Err(BuildingError::Fit(format!(
            "no candidate model qualifies ({} fitted; the intercept-only model has a negative intercept {:.4})",
            fitted.len(),
            fitted.first().map_or(f64::NAN, |m| m.intercept)
        )));
    };
    Ok(Search {
        selected: best.clone(),
        candidates_fitted: fitted.len(),
        candidates_qualified: qualified,
        heating_points_qualifying: hq.iter().map(|(h, _)| *h).collect(),
        cooling_points_qualifying: cq.iter().map(|(c, _)| *c).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::Period;

    fn day(i: usize, temp: f64, value: f64) -> Prepared {
        Prepared {
            period: Period {
                start: i as i64 * 86_400,
                end: (i as i64 + 1) * 86_400,
                offset: 0,
                value,
                row: i,
            },
            temp,
            days: vec![(temp, 1.0)],
            n_days: 1.0,
        }
    }

    #[test]
    fn a_weak_slope_fails_the_p_value_rule_when_asked() {
        // usage barely related to heating degree days: a positive but insignificant slope
        let noise = [
            0.9, -1.1, 0.4, 1.3, -0.7, -0.2, 1.0, -1.4, 0.6, -0.8, 0.3, 1.1, -0.5, -1.0, 0.8, 0.2,
            -0.3, 0.7, -0.9, 0.5,
        ];
        let periods: Vec<Prepared> = (0..40)
            .map(|i| {
                let t = 30.0 + (i % 20) as f64 * 3.0;
                day(
                    i,
                    t,
                    10.0 + 0.015 * (60.0 - t).max(0.0) + noise[(i * 7) % 20],
                )
            })
            .collect();
        let plain = fit(&periods, Freq::Daily, &GridSettings::default()).unwrap();
        assert_ne!(plain.selected.kind, Kind::InterceptOnly);
        let strict = GridSettings {
            max_p_value: Some(0.1),
            ..Default::default()
        };
        let with_p = fit(&periods, Freq::Daily, &strict).unwrap();
        assert!(with_p.candidates_qualified < plain.candidates_qualified);
        if with_p.selected.kind != Kind::InterceptOnly {
            assert!(with_p.selected.p_value_hdd.is_none_or(|p| p < 0.1));
            assert!(with_p.selected.p_value_cdd.is_none_or(|p| p < 0.1));
        }
        // a grid step over 3 °F is refused
        let coarse = GridSettings {
            step: 4.0,
            ..Default::default()
        };
        assert!(
            fit(&periods, Freq::Daily, &coarse)
                .unwrap_err()
                .to_string()
                .contains("--bp-step")
        );
    }

    #[test]
    fn exact_data_are_recovered() {
        // 200 days, usage = 5 + 0.3·HDD55 + 0.8·CDD70 exactly
        let periods: Vec<Prepared> = (0..200)
            .map(|i| {
                let t = 20.0 + (i as f64 * 0.37) % 70.0;
                day(
                    i,
                    t,
                    5.0 + 0.3 * (55.0 - t).max(0.0) + 0.8 * (t - 70.0).max(0.0),
                )
            })
            .collect();
        let g = GridSettings {
            step: 1.0,
            ..Default::default()
        };
        let m = fit(&periods, Freq::Daily, &g).unwrap().selected;
        assert_eq!(m.kind, Kind::HddCdd);
        assert_eq!(
            (m.heating_balance_point, m.cooling_balance_point),
            (Some(55.0), Some(70.0))
        );
        assert!((m.intercept - 5.0).abs() < 1e-9);
        assert!((m.beta_hdd.unwrap() - 0.3).abs() < 1e-9);
        assert!((m.beta_cdd.unwrap() - 0.8).abs() < 1e-9);
    }
}
