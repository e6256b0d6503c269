//! CalTRACK hourly: time of week and temperature (docs/baselines.md § 5). One model per
//! calendar month on a weighted three-month window (0.5 / 1 / 0.5), occupancy per hour of
//! week from the sign of the residuals of a CDD65/HDD50 fit (threshold 0.65), temperature
//! bins [30, 45, 55, 65, 75, 90] °F merged until each holds 20 hours, per occupancy state.
//!
//! The weighted least squares uses the design's structure: the 168 hour-of-week indicators
//! are orthogonal, so their block of the normal equations is diagonal and is eliminated
//! exactly (Schur complement); only the temperature block (≤ 14 columns) is solved densely.

use crate::BuildingError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use terrawatt_learn::linalg::svd_columns;

use crate::prepare::Prepared;
use crate::series::{hour_of_week, local_month};

pub const DEFAULT_ENDPOINTS: [f64; 6] = [30.0, 45.0, 55.0, 65.0, 75.0, 90.0];

/// Settings of the hourly model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TowtSettings {
    pub endpoints: Vec<f64>,
    pub min_bin_hours: usize,
    pub occupancy_threshold: f64,
    pub neighbour_weight: f64,
}

impl Default for TowtSettings {
    fn default() -> Self {
        TowtSettings {
            endpoints: DEFAULT_ENDPOINTS.to_vec(),
            min_bin_hours: 20,
            occupancy_threshold: 0.65,
            neighbour_weight: 0.5,
        }
    }
}

/// The model of one calendar month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthModel {
    pub month: u32,
    pub occupied: Vec<bool>,
    pub endpoints_occupied: Vec<f64>,
    pub endpoints_unoccupied: Vec<f64>,
    /// Coefficient of each hour of week; None where the window has no hour of it.
    pub hour_of_week: Vec<Option<f64>>,
    pub beta_occupied: Vec<f64>,
    pub beta_unoccupied: Vec<f64>,
    /// Hours with weight > 0 in the window.
    pub n_hours: usize,
    /// Columns kept in the design.
    pub n_params: usize,
}

/// A fitted hourly model: one month model per calendar month (None without data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TowtModel {
    pub settings: TowtSettings,
    pub months: Vec<Option<MonthModel>>,
}

/// The segmented temperature features of `t` for `endpoints`.
pub fn features(t: f64, endpoints: &[f64]) -> Vec<f64> {
    let k = endpoints.len();
    let mut f = Vec::with_capacity(k + 1);
    if k == 0 {
        f.push(t);
        return f;
    }
    f.push(t.min(endpoints[0]));
    for j in 0..k - 1 {
        f.push(
            (t - endpoints[j])
                .max(0.0)
                .min(endpoints[j + 1] - endpoints[j]),
        );
    }
    f.push((t - endpoints[k - 1]).max(0.0));
    f
}

/// Merges bins with fewer than `min` temperatures (docs § 5).
pub fn merge_bins(temps: &[f64], endpoints: &[f64], min: usize) -> Vec<f64> {
    let mut e = endpoints.to_vec();
    loop {
        if e.is_empty() {
            return e;
        }
        let mut counts = vec![0usize; e.len() + 1];
        for t in temps {
            // bin i: (e[i-1], e[i]]
            let i = e.partition_point(|b| *b < *t);
            counts[i] += 1;
        }
        let Some(first) = counts.iter().position(|c| *c < min) else {
            return e;
        };
        if first == counts.len() - 1 {
            e.remove(first - 1);
        } else {
            e.remove(first);
        }
    }
}

fn month_of(p: &Prepared) -> u32 {
    local_month(p.period.start, p.period.offset).1
}

/// Dense min-norm least squares of columns (already scaled by √w) against `y`.
fn lstsq(cols: Vec<Vec<f64>>, y: &[f64]) -> Vec<f64> {
    let svd = svd_columns(cols);
    svd.solve(y, |s| 1.0 / (s * s))
}

struct Window<'a> {
    idx: Vec<usize>,
    w: Vec<f64>,
    hours: &'a [Prepared],
    tow: &'a [usize],
}

fn occupancy(win: &Window<'_>, threshold: f64) -> Vec<bool> {
    let n = win.idx.len();
    let sw: Vec<f64> = win.w.iter().map(|w| w.sqrt()).collect();
    let mut cols = vec![vec![0.0; n]; 3];
    let mut y = vec![0.0; n];
    for (r, &i) in win.idx.iter().enumerate() {
        let t = win.hours[i].temp;
        cols[0][r] = sw[r];
        cols[1][r] = sw[r] * (t - 65.0).max(0.0);
        cols[2][r] = sw[r] * (50.0 - t).max(0.0);
        y[r] = sw[r] * win.hours[i].period.value;
    }
    let b = lstsq(cols, &y);
    let mut above = [0usize; 168];
    let mut count = [0usize; 168];
    for &i in &win.idx {
        let p = &win.hours[i];
        let f = b[0] + b[1] * (p.temp - 65.0).max(0.0) + b[2] * (50.0 - p.temp).max(0.0);
        count[win.tow[i]] += 1;
        if p.period.value > f {
            above[win.tow[i]] += 1;
        }
    }
    (0..168)
        .map(|h| count[h] > 0 && above[h] as f64 / count[h] as f64 > threshold)
        .collect()
}

fn fit_month(
    month: u32,
    hours: &[Prepared],
    tow: &[usize],
    months: &[u32],
    s: &TowtSettings,
) -> Option<MonthModel> {
    let prev = if month == 1 { 12 } else { month - 1 };
    let next = if month == 12 { 1 } else { month + 1 };
    let mut idx = Vec::new();
    let mut w = Vec::new();
    for (i, m) in months.iter().enumerate() {
        let wi = if *m == month {
            1.0
        } else if *m == prev || *m == next {
            s.neighbour_weight
        } else {
            continue;
        };
        idx.push(i);
        w.push(wi);
    }
    if !idx.iter().any(|i| months[*i] == month) {
        return None;
    }
    let win = Window { idx, w, hours, tow };
    let occupied = occupancy(&win, s.occupancy_threshold);
    let temps_of = |occ: bool| -> Vec<f64> {
        win.idx
            .iter()
            .filter(|i| occupied[tow[**i]] == occ)
            .map(|i| hours[*i].temp)
            .collect()
    };
    let e_occ = merge_bins(&temps_of(true), &s.endpoints, s.min_bin_hours);
    let e_unocc = merge_bins(&temps_of(false), &s.endpoints, s.min_bin_hours);
    let (ko, ku) = (e_occ.len() + 1, e_unocc.len() + 1);
    let kf = ko + ku;
    // normal equations: D (168, diagonal), B (168 × kf), C (kf × kf), rhs r_d, r_f
    let mut d = [0.0f64; 168];
    let mut b = vec![vec![0.0f64; kf]; 168];
    let mut c = vec![vec![0.0f64; kf]; kf];
    let mut rd = [0.0f64; 168];
    let mut rf = vec![0.0f64; kf];
    let mut f = vec![0.0f64; kf];
    for (r, &i) in win.idx.iter().enumerate() {
        let p = &hours[i];
        let h = tow[i];
        let wi = win.w[r];
        f.iter_mut().for_each(|v| *v = 0.0);
        if occupied[h] {
            f[..ko].copy_from_slice(&features(p.temp, &e_occ));
        } else {
            f[ko..].copy_from_slice(&features(p.temp, &e_unocc));
        }
        let y = p.period.value;
        d[h] += wi;
        rd[h] += wi * y;
        for a in 0..kf {
            if f[a] == 0.0 {
                continue;
            }
            let wf = wi * f[a];
            b[h][a] += wf;
            rf[a] += wf * y;
            for (cb, fb) in c[a].iter_mut().zip(&f) {
                *cb += wf * fb;
            }
        }
    }
    // feature columns that are zero for every weighted hour are left out
    let keep: Vec<usize> = (0..kf).filter(|a| c[*a][*a] > 0.0).collect();
    // Schur complement S = C − Bᵀ D⁻¹ B, rhs r_f − Bᵀ D⁻¹ r_d
    let m = keep.len();
    let mut schur = vec![vec![0.0f64; m]; m];
    let mut rs = vec![0.0f64; m];
    for (ia, &a) in keep.iter().enumerate() {
        rs[ia] = rf[a];
        for (ib, &bb) in keep.iter().enumerate() {
            schur[ia][ib] = c[a][bb];
        }
    }
    for h in 0..168 {
        if d[h] <= 0.0 {
            continue;
        }
        for (ia, &a) in keep.iter().enumerate() {
            let ba = b[h][a] / d[h];
            if ba == 0.0 {
                continue;
            }
            rs[ia] -= ba * rd[h];
            for (ib, &bb) in keep.iter().enumerate() {
                schur[ia][ib] -= ba * b[h][bb];
            }
        }
    }
    // symmetric: columns of S are its rows; the pseudo-inverse solution S⁺ rs
    let beta_kept = if m > 0 {
        let svd = svd_columns(schur.clone());
        // S = U Σ Vᵀ with S symmetric; the solve on S as a "design" gives argmin ‖Sβ − rs‖
        svd.solve(&rs, |s| 1.0 / (s * s))
    } else {
        Vec::new()
    };
    let mut beta = vec![0.0f64; kf];
    for (ia, &a) in keep.iter().enumerate() {
        beta[a] = beta_kept[ia];
    }
    let hour_coef: Vec<Option<f64>> = (0..168)
        .map(|h| {
            (d[h] > 0.0).then(|| (rd[h] - (0..kf).map(|a| b[h][a] * beta[a]).sum::<f64>()) / d[h])
        })
        .collect();
    let n_params = hour_coef.iter().filter(|v| v.is_some()).count() + m;
    Some(MonthModel {
        month,
        occupied,
        endpoints_occupied: e_occ,
        endpoints_unoccupied: e_unocc,
        hour_of_week: hour_coef,
        beta_occupied: beta[..ko].to_vec(),
        beta_unoccupied: beta[ko..].to_vec(),
        n_hours: win.idx.len(),
        n_params,
    })
}

/// Fits the twelve month models (in parallel).
pub fn fit(hours: &[Prepared], settings: &TowtSettings) -> Result<TowtModel, BuildingError> {
    if hours.len() < 168 {
        return Err(BuildingError::Fit(format!(
            "{} usable baseline hours; the hourly model needs at least a week",
            hours.len()
        )));
    }
    let tow: Vec<usize> = hours
        .iter()
        .map(|p| hour_of_week(p.period.start, p.period.offset))
        .collect();
    let months: Vec<u32> = hours.iter().map(month_of).collect();
    let fitted: Vec<Option<MonthModel>> = (1..=12u32)
        .into_par_iter()
        .map(|m| fit_month(m, hours, &tow, &months, settings))
        .collect();
    Ok(TowtModel {
        settings: settings.clone(),
        months: fitted,
    })
}

impl TowtModel {
    /// The prediction for an hour, or why there is none.
    pub fn predict(&self, p: &Prepared) -> Result<f64, BuildingError> {
        let month = month_of(p);
        let Some(m) = &self.months[month as usize - 1] else {
            return Err(BuildingError::Fit(format!(
                "no baseline data for calendar month {month}"
            )));
        };
        let h = hour_of_week(p.period.start, p.period.offset);
        let Some(base) = m.hour_of_week[h] else {
            return Err(BuildingError::Fit(format!(
                "hour of week {h} is absent from month {month}'s baseline window"
            )));
        };
        let (e, beta) = if m.occupied[h] {
            (&m.endpoints_occupied, &m.beta_occupied)
        } else {
            (&m.endpoints_unoccupied, &m.beta_unoccupied)
        };
        let f = features(p.temp, e);
        Ok(base + f.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>())
    }

    /// The parameters of the month model with the most columns.
    pub fn n_params(&self) -> usize {
        self.months
            .iter()
            .flatten()
            .map(|m| m.n_params)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_sum_to_temperature() {
        for t in [-10.0, 30.0, 44.0, 60.0, 89.9, 95.0] {
            let f = features(t, &DEFAULT_ENDPOINTS);
            assert_eq!(f.len(), 7);
            assert!((f.iter().sum::<f64>() - t).abs() < 1e-12, "{t}: {f:?}");
        }
        assert_eq!(features(50.0, &[45.0, 55.0]), vec![45.0, 5.0, 0.0]);
    }

    #[test]
    fn bins_merge_from_the_first_short_one() {
        // 25 hours in (45, 55], 25 in (55, 65], nothing else
        let temps: Vec<f64> = (0..25)
            .map(|i| 46.0 + 0.3 * i as f64)
            .chain((0..25).map(|i| 56.0 + 0.3 * i as f64))
            .collect();
        // (-inf,30] short → drop 30; (-inf,45] short → drop 45; … last (65, inf) short → drop 65
        assert_eq!(merge_bins(&temps, &DEFAULT_ENDPOINTS, 20), vec![55.0]);
        assert!(merge_bins(&[50.0; 5], &DEFAULT_ENDPOINTS, 20).is_empty());
    }
}
