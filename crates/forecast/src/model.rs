//! Features, reference forecasts and learned direct multi-horizon forecasters.
//!
//! A forecast is issued at the end of origin interval `i` (its value known) for the
//! intervals `j = i + h`, `h = 1..=H`. One learned model covers every horizon: its rows are
//! (origin, horizon) pairs with the horizon as a feature, so each refit is one fit however
//! long the horizon. Values are scaled by the capacity inside the models.
//!
//! Features of a pair: h/H; the last `lags` values at the origin; the mean and standard
//! deviation of the values of the last hour and the last three hours; with a PV site, the
//! clear-sky index at the origin, the clear-sky plane-of-array irradiance at the target and
//! at the origin, the Sun's elevation at the target; with a wind site, the hub-height wind
//! speed at the target and the turbine's power curve (fraction of nominal) at the target and
//! at the origin, from the weather's wind speed at those times; the target's local clock
//! hour and day of year (sine and cosine); the value one day before the target; exogenous
//! weather at the target. A pair with a missing feature gets no learned forecast (it is counted).
//!
//! The models learn the departure from persistence ([`base`]).
//!
//! With a site, targets with no clear-sky irradiance (the Sun down through the interval's
//! centre) are forecast 0 by every method and are left out of training and scoring.

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use terrawatt_learn::boost::{BoostParams, Boosting, Loss};
use terrawatt_learn::linear::{LinearModel, LinearParams};

use crate::Result;

/// Clear-sky irradiance below which an interval's clear-sky index is not used (W/m²).
pub const INDEX_MIN_POA: f64 = 50.0;

/// Everything the features are made from, on the target's grid.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub y: Vec<f64>,
    /// Clear-sky plane-of-array irradiance and the Sun's elevation at interval centres
    /// (empty without a site).
    pub poa_clear: Vec<f64>,
    pub elevation: Vec<f64>,
    /// Local clock hour and day of year as angles (radians) per interval.
    pub hour_angle: Vec<f64>,
    pub year_angle: Vec<f64>,
    /// With a wind site: the hub-height wind speed (m/s) and the turbine's power curve at it
    /// (fraction of nominal) per interval (empty without).
    pub wind_hub: Vec<f64>,
    pub curve_fraction: Vec<f64>,
    /// Exogenous columns aligned to the grid.
    pub exog: Vec<Vec<f64>>,
    pub exog_names: Vec<String>,
    pub steps_per_day: usize,
    pub steps_per_hour: usize,
    pub horizon: usize,
    pub lags: usize,
    pub capacity: f64,
}

impl Inputs {
    pub fn has_site(&self) -> bool {
        !self.poa_clear.is_empty()
    }

    pub fn has_wind(&self) -> bool {
        !self.curve_fraction.is_empty()
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// A target to forecast and score: with a site, one with clear-sky light.
    pub fn daytime(&self, j: usize) -> bool {
        !self.has_site() || self.poa_clear[j] > 0.0
    }

    /// Clear-sky index (value per W/m² of clear-sky POA) at origin `i`: over the last hour's
    /// intervals with enough clear-sky light and a value, else over the last day's; NaN
    /// where neither has any.
    pub fn index_at(&self, i: usize) -> f64 {
        if !self.has_site() {
            return f64::NAN;
        }
        for span in [self.steps_per_hour.max(1), self.steps_per_day] {
            let (mut sy, mut sc) = (0.0, 0.0);
            for m in 0..span.min(i + 1) {
                let k = i - m;
                if self.poa_clear[k] >= INDEX_MIN_POA && !self.y[k].is_nan() {
                    sy += self.y[k];
                    sc += self.poa_clear[k];
                }
            }
            if sc > 0.0 {
                return sy / sc;
            }
        }
        f64::NAN
    }

    /// The windows of the rolling statistics, in intervals: one hour and three hours.
    fn rolling_spans(&self) -> [usize; 2] {
        let h = self.steps_per_hour.max(1);
        [h, 3 * h]
    }

    /// Mean and standard deviation of the values present among the `span` intervals ending
    /// at `i`; NaN where none is.
    pub fn rolling(&self, i: usize, span: usize) -> (f64, f64) {
        let (mut s, mut ss, mut n) = (0.0, 0.0, 0usize);
        for m in 0..span.min(i + 1) {
            let v = self.y[i - m];
            if !v.is_nan() {
                s += v;
                ss += v * v;
                n += 1;
            }
        }
        if n == 0 {
            return (f64::NAN, f64::NAN);
        }
        let mean = s / n as f64;
        (mean, (ss / n as f64 - mean * mean).max(0.0).sqrt())
    }

    pub fn feature_names(&self) -> Vec<String> {
        let mut n = vec!["horizon".to_string()];
        n.extend((0..self.lags).map(|l| format!("lag_{l}")));
        for span in self.rolling_spans() {
            n.push(format!("rolling_mean_{span}"));
            n.push(format!("rolling_std_{span}"));
        }
        if self.has_site() {
            n.extend(
                [
                    "clear_sky_index_origin",
                    "poa_clear_target",
                    "poa_clear_origin",
                    "sun_elevation_target",
                    "clear_sky_persistence",
                    "persistence_minus_clear_sky_persistence",
                ]
                .map(String::from),
            );
        }
        if self.has_wind() {
            n.extend(
                [
                    "wind_hub_target",
                    "power_curve_fraction_target",
                    "power_curve_fraction_origin",
                ]
                .map(String::from),
            );
        }
        n.extend(["hour_sin", "hour_cos", "doy_sin", "doy_cos", "day_before"].map(String::from));
        n.extend(self.exog_names.iter().map(|c| format!("weather_{c}")));
        n
    }

    /// The features of (origin `i`, horizon `h`), or None where one is missing or the pair
    /// runs off the series.
    pub fn features(&self, i: usize, h: usize, k_origin: f64, out: &mut Vec<f64>) -> bool {
        out.clear();
        let j = i + h;
        if j >= self.len() || i + 1 < self.lags || j < self.steps_per_day {
            return false;
        }
        let cap = self.capacity;
        out.push(h as f64 / self.horizon as f64);
        for l in 0..self.lags {
            out.push(self.y[i - l] / cap);
        }
        for span in self.rolling_spans() {
            let (m, sd) = self.rolling(i, span);
            out.push(m / cap);
            out.push(sd / cap);
        }
        if self.has_site() {
            out.push(k_origin * 1000.0 / cap);
            out.push(self.poa_clear[j] / 1000.0);
            out.push(self.poa_clear[i] / 1000.0);
            out.push(self.elevation[j] / 90.0);
            let cs = k_origin * self.poa_clear[j];
            out.push(cs / cap);
            out.push((self.y[i] - cs) / cap);
        }
        if self.has_wind() {
            out.push(self.wind_hub[j]);
            out.push(self.curve_fraction[j]);
            out.push(self.curve_fraction[i]);
        }
        out.push(self.hour_angle[j].sin());
        out.push(self.hour_angle[j].cos());
        out.push(self.year_angle[j].sin());
        out.push(self.year_angle[j].cos());
        out.push(self.y[j - self.steps_per_day] / cap);
        for c in &self.exog {
            out.push(c[j]);
        }
        out.iter().all(|v| !v.is_nan())
    }
}

/// What a learned model corrects: the origin's value (persistence). The models learn the
/// target minus it (in capacity units), so they start from the forecast that is hardest to
/// beat at the shortest horizons; the clear-sky features let them move towards clear-sky
/// persistence where that is better.
pub fn base(inp: &Inputs, i: usize, _h: usize, _k_origin: f64) -> f64 {
    inp.y[i]
}

/// The reference forecasts a learned model is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The origin's value.
    Persistence,
    /// The value one day before the target.
    Diurnal,
    /// The origin's clear-sky index times the target's clear-sky irradiance.
    ClearSky,
    /// The training window's mean at the target's time of day.
    Climatology,
    /// Yang (2019): climatology and persistence blended with the lag-h autocorrelation as
    /// the persistence weight (on the clear-sky index with a site).
    OptimalBlend,
}

impl Reference {
    pub const ALL: [Reference; 5] = [
        Reference::Persistence,
        Reference::Diurnal,
        Reference::ClearSky,
        Reference::Climatology,
        Reference::OptimalBlend,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Reference::Persistence => "persistence",
            Reference::Diurnal => "diurnal",
            Reference::ClearSky => "clear_sky",
            Reference::Climatology => "climatology",
            Reference::OptimalBlend => "optimal_blend",
        }
    }

    pub fn parse(s: &str) -> Option<Reference> {
        Reference::ALL.into_iter().find(|r| r.name() == s)
    }

    pub fn needs_site(&self) -> bool {
        matches!(self, Reference::ClearSky)
    }
}

/// What the reference forecasts learn from a training window: the mean per time-of-day
/// slot, and for the blend the mean and lag-h autocorrelations of its series.
#[derive(Debug, Clone)]
pub struct ReferenceFit {
    pub climatology: Vec<f64>,
    pub blend_mean: f64,
    pub blend_rho: Vec<f64>,
}

/// Fits the references on intervals `[from, to)`.
pub fn fit_references(inp: &Inputs, from: usize, to: usize) -> ReferenceFit {
    let spd = inp.steps_per_day;
    let (mut sum, mut cnt) = (vec![0.0; spd], vec![0usize; spd]);
    for j in from..to {
        if !inp.y[j].is_nan() {
            sum[j % spd] += inp.y[j];
            cnt[j % spd] += 1;
        }
    }
    let climatology: Vec<f64> = sum
        .iter()
        .zip(&cnt)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
        .collect();
    // the blended series: clear-sky index with a site, departures from climatology without
    let series: Vec<f64> = (from..to)
        .map(|j| {
            if inp.has_site() {
                if inp.poa_clear[j] >= INDEX_MIN_POA {
                    inp.y[j] / inp.poa_clear[j]
                } else {
                    f64::NAN
                }
            } else {
                inp.y[j] - climatology[j % spd]
            }
        })
        .collect();
    let present: Vec<f64> = series.iter().copied().filter(|v| !v.is_nan()).collect();
    let mean = if present.is_empty() {
        f64::NAN
    } else {
        present.iter().sum::<f64>() / present.len() as f64
    };
    let var = present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / present.len() as f64;
    let blend_rho = (1..=inp.horizon)
        .map(|h| {
            let (mut s, mut n) = (0.0, 0usize);
            for t in 0..series.len().saturating_sub(h) {
                let (a, b) = (series[t], series[t + h]);
                if !a.is_nan() && !b.is_nan() {
                    s += (a - mean) * (b - mean);
                    n += 1;
                }
            }
            if n > 1 && var > 0.0 {
                (s / n as f64 / var).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    ReferenceFit {
        climatology,
        blend_mean: if inp.has_site() { mean } else { 0.0 },
        blend_rho,
    }
}

/// A reference forecast for (origin `i`, horizon `h`); NaN where its inputs are missing.
pub fn reference(
    inp: &Inputs,
    fit: &ReferenceFit,
    r: Reference,
    i: usize,
    h: usize,
    k: f64,
) -> f64 {
    let j = i + h;
    if inp.has_site() && inp.poa_clear[j] <= 0.0 {
        return 0.0;
    }
    let clim = fit.climatology[j % inp.steps_per_day];
    match r {
        Reference::Persistence => inp.y[i],
        Reference::Diurnal => {
            if j >= inp.steps_per_day {
                inp.y[j - inp.steps_per_day]
            } else {
                f64::NAN
            }
        }
        Reference::ClearSky => k * inp.poa_clear[j],
        Reference::Climatology => clim,
        Reference::OptimalBlend => {
            let rho = fit.blend_rho[h - 1];
            if inp.has_site() {
                (rho * k + (1.0 - rho) * fit.blend_mean) * inp.poa_clear[j]
            } else {
                clim + rho * (inp.y[i] - fit.climatology[i % inp.steps_per_day])
            }
        }
    }
}

/// The learner behind the point forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Learner {
    Gbm(BoostParams),
    /// Ridge regression (α on standardised features).
    Linear {
        alpha: f64,
    },
}

impl Learner {
    /// The boosting defaults for forecasting: 100 trees of depth 3 at rate 0.1, leaves of
    /// at least 20 rows, 64 bins, 80 % row subsampling (seeded). Shallow trees: on PVDAQ
    /// system 50 (June and January 2012, 60-day windows) depth 6 with 200 trees overfitted
    /// (1-hour RMSE 363 / 651 W against 339 / 587 W at depth 3).
    pub fn gbm(seed: u64) -> Learner {
        Learner::Gbm(BoostParams {
            loss: Loss::Squared,
            n_trees: 100,
            learning_rate: 0.1,
            max_depth: 3,
            max_leaves: None,
            min_samples_leaf: 20,
            subsample: 0.8,
            max_bins: 64,
            early_stopping: None,
            seed,
        })
    }
}

/// How quantiles are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// One boosting model per quantile with the pinball loss.
    QuantileGbm,
    /// Split conformal: the point model fitted on the first 80 % of the window, residuals
    /// on the last 20 % (per horizon, scaled by the clear-sky irradiance with a site) give
    /// each quantile's offset.
    Conformal,
    /// Conformalised quantile regression (Romano et al. 2019), per quantile: the quantile
    /// models fitted on the first 80 % of the window, each shifted by the q-quantile of its
    /// scaled residuals on the last 20 % (per horizon).
    Cqr,
}

impl IntervalMethod {
    /// The bands of a point model when none is asked for: CQR around boosting, split
    /// conformal around ridge (whose own residuals give its bands).
    pub fn default_for(learner: &Learner) -> IntervalMethod {
        match learner {
            Learner::Gbm(_) => IntervalMethod::Cqr,
            Learner::Linear { .. } => IntervalMethod::Conformal,
        }
    }

    /// Refuses bands that would come from another model than the one that forecasts:
    /// quantile boosting (alone or conformalised) beside a linear point model.
    pub fn check(self, learner: &Learner) -> Result<()> {
        match (self, learner) {
            (IntervalMethod::QuantileGbm | IntervalMethod::Cqr, Learner::Linear { .. }) => {
                Err(crate::ForecastError::Setting(format!(
                    "--intervals {}: its bands come from quantile boosting, not from the linear model that forecasts; with --model linear use --intervals conformal (the default for it)",
                    self.name()
                )))
            }
            _ => Ok(()),
        }
    }

    /// The word of `--intervals`.
    pub fn name(self) -> &'static str {
        match self {
            IntervalMethod::QuantileGbm => "gbm",
            IntervalMethod::Conformal => "conformal",
            IntervalMethod::Cqr => "cqr",
        }
    }
}

#[derive(Debug, Clone)]
enum Fitted {
    Gbm(Boosting),
    Linear(LinearModel),
}

impl Fitted {
    fn predict(&self, x: &Array2<f64>) -> Vec<f64> {
        match self {
            Fitted::Gbm(b) => b.predict(x.view()).to_vec(),
            Fitted::Linear(m) => m.predict(x.view()).to_vec(),
        }
    }
}

fn fit_one(learner: &Learner, loss: Loss, x: &Array2<f64>, y: &[f64]) -> Result<Fitted> {
    Ok(match learner {
        Learner::Gbm(p) => Fitted::Gbm(
            BoostParams { loss, ..p.clone() }
                .check()?
                .fit(x.view(), y)?,
        ),
        Learner::Linear { alpha } => Fitted::Linear(
            LinearParams {
                standardize: true,
                ..LinearParams::ridge(*alpha)
            }
            .check()?
            .fit(x.view(), ndarray::ArrayView1::from(y))?,
        ),
    })
}

/// Training rows of a window.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub origin: Vec<usize>,
    pub horizon: Vec<usize>,
    pub width: usize,
    /// Pairs with an observed daytime target left out for a missing feature.
    pub dropped: usize,
}

impl Rows {
    fn matrix(&self, pick: &[usize]) -> Array2<f64> {
        let mut a = Array2::zeros((pick.len(), self.width));
        for (r, &k) in pick.iter().enumerate() {
            a.row_mut(r).assign(&ndarray::ArrayView1::from(
                &self.x[k * self.width..(k + 1) * self.width],
            ));
        }
        a
    }
}

/// The (origin, horizon) pairs whose target lies in `[from, to)`, observed and daytime.
pub fn training_rows(inp: &Inputs, from: usize, to: usize) -> Rows {
    let mut rows = Rows {
        width: inp.feature_names().len(),
        ..Default::default()
    };
    let mut f = Vec::with_capacity(rows.width);
    for i in from.saturating_sub(1)..to {
        let k = inp.index_at(i);
        for h in 1..=inp.horizon {
            let j = i + h;
            if j < from || j >= to || inp.y[j].is_nan() || !inp.daytime(j) {
                continue;
            }
            if inp.features(i, h, k, &mut f) {
                rows.x.extend_from_slice(&f);
                rows.y.push((inp.y[j] - base(inp, i, h, k)) / inp.capacity);
                rows.origin.push(i);
                rows.horizon.push(h);
            } else {
                rows.dropped += 1;
            }
        }
    }
    rows
}

/// A fitted forecaster: the point model, and per requested quantile either a model or a
/// per-horizon conformal offset.
#[derive(Debug, Clone)]
pub struct Forecaster {
    point: Fitted,
    quantile_models: Vec<Fitted>,
    /// offsets[h-1][q] in capacity units per unit of scale.
    offsets: Vec<Vec<f64>>,
    pub quantiles: Vec<f64>,
    pub method: IntervalMethod,
    pub train_rows: usize,
    pub dropped: usize,
}

/// The residual scale of a target: its clear-sky irradiance in kW/m² (at least 0.05) with a
/// site, 1 without.
fn scale(inp: &Inputs, j: usize) -> f64 {
    if inp.has_site() {
        (inp.poa_clear[j] / 1000.0).max(0.05)
    } else {
        1.0
    }
}

/// Fits on the pairs whose targets lie in `[from, to)`.
pub fn fit(
    inp: &Inputs,
    learner: &Learner,
    quantiles: &[f64],
    method: IntervalMethod,
    from: usize,
    to: usize,
) -> Result<Forecaster> {
    if !quantiles.is_empty() {
        method.check(learner)?;
    }
    let rows = training_rows(inp, from, to);
    let n = rows.y.len();
    if n < 50 {
        return Err(crate::ForecastError::Setting(format!(
            "only {n} training pairs between intervals {from} and {to} (at least 50 needed): the training window is too short or the data too sparse"
        )));
    }
    let all: Vec<usize> = (0..n).collect();
    let use_conformal = !quantiles.is_empty() && method != IntervalMethod::QuantileGbm;
    // conformal: the last 20 % of the window (by target time) calibrates
    let (fit_idx, cal_idx): (Vec<usize>, Vec<usize>) = if use_conformal {
        let cut = from + (to - from) * 4 / 5;
        all.iter()
            .partition(|&&k| rows.origin[k] + rows.horizon[k] < cut)
    } else {
        (all.clone(), vec![])
    };
    let x = rows.matrix(&fit_idx);
    let y: Vec<f64> = fit_idx.iter().map(|&k| rows.y[k]).collect();
    // the point model sees the whole window, except where its own residuals calibrate
    let point = if method == IntervalMethod::Conformal || quantiles.is_empty() {
        fit_one(learner, Loss::Squared, &x, &y)?
    } else {
        let xa = rows.matrix(&all);
        fit_one(learner, Loss::Squared, &xa, &rows.y)?
    };
    let mut quantile_models = Vec::new();
    let mut offsets = vec![vec![]; inp.horizon];
    if !quantiles.is_empty() {
        match method {
            IntervalMethod::QuantileGbm | IntervalMethod::Cqr => {
                // checked above: the point model is boosting
                for &q in quantiles {
                    quantile_models.push(fit_one(learner, Loss::Quantile { alpha: q }, &x, &y)?);
                }
                if method == IntervalMethod::Cqr {
                    let xc = rows.matrix(&cal_idx);
                    let preds: Vec<Vec<f64>> =
                        quantile_models.iter().map(|m| m.predict(&xc)).collect();
                    for o in offsets.iter_mut() {
                        *o = vec![0.0; quantiles.len()];
                    }
                    for (qi, &q) in quantiles.iter().enumerate() {
                        let mut res: Vec<Vec<f64>> = vec![vec![]; inp.horizon];
                        for (r, &k) in cal_idx.iter().enumerate() {
                            let j = rows.origin[k] + rows.horizon[k];
                            res[rows.horizon[k] - 1]
                                .push((rows.y[k] - preds[qi][r]) / scale(inp, j));
                        }
                        for (h, r) in res.iter_mut().enumerate() {
                            r.sort_by(f64::total_cmp);
                            offsets[h][qi] = conformal_quantile(r, q);
                        }
                    }
                }
            }
            IntervalMethod::Conformal => {
                let xc = rows.matrix(&cal_idx);
                let pc = point.predict(&xc);
                let mut res: Vec<Vec<f64>> = vec![vec![]; inp.horizon];
                for (r, &k) in cal_idx.iter().enumerate() {
                    let j = rows.origin[k] + rows.horizon[k];
                    res[rows.horizon[k] - 1].push((rows.y[k] - pc[r]) / scale(inp, j));
                }
                for (h, r) in res.iter_mut().enumerate() {
                    r.sort_by(f64::total_cmp);
                    offsets[h] = quantiles
                        .iter()
                        .map(|&q| conformal_quantile(r, q))
                        .collect();
                }
            }
        }
    }
    Ok(Forecaster {
        point,
        quantile_models,
        offsets,
        quantiles: quantiles.to_vec(),
        method,
        train_rows: n,
        dropped: rows.dropped,
    })
}

/// The q-quantile of sorted calibration residuals with the finite-sample rank
/// ⌈(n+1)q⌉ (upper side) or ⌊(n+1)q⌋ (lower side), clamped to the sample.
fn conformal_quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let r = if q >= 0.5 {
        ((n + 1) as f64 * q).ceil()
    } else {
        ((n + 1) as f64 * q).floor()
    };
    let r = (r as usize).clamp(1, n);
    sorted[r - 1]
}

/// Forecasts of a set of (origin, horizon) pairs: the point and the quantiles (sorted, so
/// they never cross), in the target's units; NaN where a feature is missing; 0 at night.
#[derive(Debug, Clone, Default)]
pub struct Predictions {
    pub point: Vec<f64>,
    /// quantiles[q][pair]
    pub quantiles: Vec<Vec<f64>>,
}

pub fn predict(inp: &Inputs, f: &Forecaster, pairs: &[(usize, usize)]) -> Predictions {
    let width = inp.feature_names().len();
    let mut rows = Vec::new();
    let mut at = Vec::new();
    let mut bases = Vec::new();
    let mut buf = Vec::with_capacity(width);
    let mut last_i = usize::MAX;
    let mut k = f64::NAN;
    for (p, &(i, h)) in pairs.iter().enumerate() {
        if i != last_i {
            k = inp.index_at(i);
            last_i = i;
        }
        if inp.daytime(i + h) && inp.features(i, h, k, &mut buf) {
            rows.extend_from_slice(&buf);
            at.push(p);
            bases.push(base(inp, i, h, k));
        }
    }
    let x = Array2::from_shape_vec((at.len(), width), rows).expect("row width");
    let cap = inp.capacity;
    let nq = f.quantiles.len();
    let mut out = Predictions {
        point: pairs
            .iter()
            .map(|&(i, h)| if inp.daytime(i + h) { f64::NAN } else { 0.0 })
            .collect(),
        quantiles: vec![
            pairs
                .iter()
                .map(|&(i, h)| if inp.daytime(i + h) { f64::NAN } else { 0.0 })
                .collect();
            nq
        ],
    };
    if at.is_empty() {
        return out;
    }
    let point = f.point.predict(&x);
    let qpred: Vec<Vec<f64>> = f.quantile_models.iter().map(|m| m.predict(&x)).collect();
    let mut qs = vec![0.0; nq];
    for (r, &p) in at.iter().enumerate() {
        let (i, h) = pairs[p];
        let j = i + h;
        out.point[p] = (bases[r] + point[r] * cap).max(0.0);
        if nq == 0 {
            continue;
        }
        for q in 0..nq {
            qs[q] = bases[r]
                + match f.method {
                    IntervalMethod::QuantileGbm => qpred[q][r],
                    IntervalMethod::Cqr => qpred[q][r] + f.offsets[h - 1][q] * scale(inp, j),
                    IntervalMethod::Conformal => point[r] + f.offsets[h - 1][q] * scale(inp, j),
                } * cap;
        }
        qs.sort_by(f64::total_cmp);
        for (col, v) in out.quantiles.iter_mut().zip(&qs) {
            col[p] = v.max(0.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn conformal_ranks() {
        let r: Vec<f64> = (1..=9).map(f64::from).collect();
        // n = 9: rank ⌈10·0.9⌉ = 9 and ⌊10·0.1⌋ = 1
        assert_eq!(super::conformal_quantile(&r, 0.9), 9.0);
        assert_eq!(super::conformal_quantile(&r, 0.1), 1.0);
        assert_eq!(super::conformal_quantile(&r, 0.5), 5.0);
    }
}
