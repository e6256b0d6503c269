//! CCDC, continuous change detection (Zhu & Woodcock 2014, "Continuous change detection and
//! classification of land cover using all available Landsat data", RSE 144:152–171), as USGS
//! lcmap-pyccd 2021.7.19 computes it with its defaults (tools/reference/ccd_algorithm.md is
//! the procedure written down from it): seven Landsat bands, a harmonic model per band
//! fitted by LASSO (coordinate descent, alpha 1), a stable start found by a robust
//! multitemporal screen (Tmask) and a stability test, then monitoring: a change after six
//! consecutive observations whose χ² statistic over green, red, nir, swir1 and swir2 exceeds
//! the 0.99 quantile, single exceedances above 0.999999 removed as outliers; segments with
//! start, end and break days, their coefficients, RMSE and change magnitude.
//!
//! Only pyccd's standard procedure is implemented: a pixel with under a quarter of clear or
//! water observations gets no segment here (pyccd fits its snow or insufficient-clear
//! fallback model).

/// Bands, in pyccd's order.
pub const BANDS: [&str; 7] = ["blue", "green", "red", "nir", "swir1", "swir2", "thermal"];
const DETECTION: [usize; 5] = [1, 2, 3, 4, 5];
const TMASK: [usize; 2] = [1, 4];
const MEOW: usize = 12;
const PEEK: usize = 6;
const DAY_DELTA: f64 = 365.0;
const YEAR: f64 = 365.2425;
const CHANGE_THRESHOLD: f64 = 15.086272469388987;
const OUTLIER_THRESHOLD: f64 = 35.88818687961042;
const T_CONST: f64 = 4.89;
/// 2017-12-31: the one-off statistics use the dates up to it.
const STAT_ORD: i64 = 736694;
const CURVE_START: u32 = 14;
const CURVE_END: u32 = 24;

/// One band's model over a segment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BandModel {
    /// Median of |residual| over the last peek window (0 for start and end segments).
    pub magnitude: f64,
    pub rmse: f64,
    /// Slope per ordinal day, then cos/sin of 1, 2, 3 cycles a year (zero where unused).
    pub coefficients: [f64; 7],
    pub intercept: f64,
}

/// A segment of a pixel's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Segment {
    /// Ordinal days (0001-01-01 = 1).
    pub start_day: i64,
    pub end_day: i64,
    pub break_day: i64,
    pub observation_count: usize,
    /// 1 where the segment ends in a change, else 0.
    pub change_probability: f64,
    /// 4, 6 or 8 coefficients; 14 a start segment, 24 an end segment.
    pub curve_qa: u32,
    pub bands: Vec<BandModel>,
}

/// A fitted band model: LASSO coefficients, intercept and RMSE.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fit {
    w: [f64; 7],
    intercept: f64,
    rmse: f64,
}

impl Fit {
    fn predict(&self, t: f64) -> f64 {
        let x = design(t);
        self.intercept + x.iter().zip(&self.w).map(|(a, b)| a * b).sum::<f64>()
    }
}

fn design(t: f64) -> [f64; 7] {
    let w = std::f64::consts::TAU / YEAR;
    [
        t,
        (w * t).cos(),
        (w * t).sin(),
        (2.0 * w * t).cos(),
        (2.0 * w * t).sin(),
        (3.0 * w * t).cos(),
        (3.0 * w * t).sin(),
    ]
}

/// The coefficient count for a window of `m` observations: 4, 6 or 8.
fn coefficients_for(m: usize) -> usize {
    if m < 18 {
        4
    } else if m < 24 {
        6
    } else {
        8
    }
}

/// scikit-learn's `Lasso(alpha=1.0, max_iter=1000, tol=1e-4)` on the first `k − 1` design
/// columns (trend and harmonics) with an intercept: cyclic coordinate descent on centred
/// data, stopped by the duality gap.
fn lasso(t: &[f64], y: &[f64], k: usize) -> Fit {
    let m = t.len();
    let cols = k - 1;
    let rows: Vec<[f64; 7]> = t
        .iter()
        .map(|&x| {
            let mut d = design(x);
            for v in d.iter_mut().skip(cols) {
                *v = 0.0;
            }
            d
        })
        .collect();
    let mut xbar = [0.0; 7];
    for r in &rows {
        for j in 0..7 {
            xbar[j] += r[j];
        }
    }
    for v in xbar.iter_mut() {
        *v /= m as f64;
    }
    let ybar = y.iter().sum::<f64>() / m as f64;
    let xc: Vec<[f64; 7]> = rows
        .iter()
        .map(|r| {
            let mut c = [0.0; 7];
            for j in 0..7 {
                c[j] = r[j] - xbar[j];
            }
            c
        })
        .collect();
    let yc: Vec<f64> = y.iter().map(|v| v - ybar).collect();
    let lambda = m as f64;
    let mut norm2 = [0.0; 7];
    for r in &xc {
        for j in 0..7 {
            norm2[j] += r[j] * r[j];
        }
    }
    let mut w = [0.0f64; 7];
    let mut r = yc.clone();
    let tol = 1e-4 * yc.iter().map(|v| v * v).sum::<f64>();
    for iter in 0..1000 {
        let (mut w_max, mut d_max) = (0.0f64, 0.0f64);
        for j in 0..7 {
            if norm2[j] == 0.0 {
                continue;
            }
            let old = w[j];
            if old != 0.0 {
                for (ri, xi) in r.iter_mut().zip(&xc) {
                    *ri += old * xi[j];
                }
            }
            let rho: f64 = xc.iter().zip(&r).map(|(xi, ri)| xi[j] * ri).sum();
            w[j] = rho.signum() * (rho.abs() - lambda).max(0.0) / norm2[j];
            if w[j] != 0.0 {
                for (ri, xi) in r.iter_mut().zip(&xc) {
                    *ri -= w[j] * xi[j];
                }
            }
            d_max = d_max.max((w[j] - old).abs());
            w_max = w_max.max(w[j].abs());
        }
        if w_max == 0.0 || d_max / w_max < 1e-4 || iter == 999 {
            let dual = (0..7)
                .map(|j| {
                    xc.iter()
                        .zip(&r)
                        .map(|(xi, ri)| xi[j] * ri)
                        .sum::<f64>()
                        .abs()
                })
                .fold(0.0, f64::max);
            let r2: f64 = r.iter().map(|v| v * v).sum();
            let (c, mut gap) = if dual > lambda {
                let c = lambda / dual;
                (c, 0.5 * (r2 + r2 * c * c))
            } else {
                (1.0, r2)
            };
            let l1: f64 = w.iter().map(|v| v.abs()).sum();
            gap += lambda * l1 - c * r.iter().zip(&yc).map(|(a, b)| a * b).sum::<f64>();
            if gap < tol {
                break;
            }
        }
    }
    let intercept = ybar - (0..7).map(|j| xbar[j] * w[j]).sum::<f64>();
    let mut fit = Fit {
        w,
        intercept,
        rmse: 0.0,
    };
    let ssr: f64 = t
        .iter()
        .zip(y)
        .map(|(&x, &v)| (v - fit.predict(x)).powi(2))
        .sum();
    fit.rmse = (ssr / (m as f64 - k as f64)).sqrt();
    fit
}

/// The median as numpy takes it (mean of the middle two for an even count).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Least squares of `rows` (each with its response) by Givens rotations.
fn least_squares(rows: &[(Vec<f64>, f64)], k: usize) -> Option<Vec<f64>> {
    let mut g = super::ls::Givens::new(k);
    for (x, y) in rows {
        g.push(x, *y);
    }
    g.coefficients()
}

/// pyccd's robust fit (bisquare, at most four reweightings, stopped when no coefficient
/// grows by more than 1e-8) of `y` on `x`: the predictions.
fn robust_predict(x: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = x[0].len();
    let rows: Vec<(Vec<f64>, f64)> = x.iter().cloned().zip(y.iter().copied()).collect();
    let mut beta = least_squares(&rows, k)?;
    let predict = |b: &[f64]| -> Vec<f64> {
        x.iter()
            .map(|r| r.iter().zip(b).map(|(a, c)| a * c).sum())
            .collect()
    };
    let mad = |r: &[f64]| {
        let mut a: Vec<f64> = r.iter().map(|v| v.abs()).collect();
        a.sort_by(f64::total_cmp);
        median(a[(k - 1).min(a.len())..].to_vec()) / 0.6745
    };
    let resid: Vec<f64> = predict(&beta).iter().zip(y).map(|(p, v)| v - p).collect();
    if mad(&resid) < f64::EPSILON {
        return Some(predict(&beta));
    }
    let mut g = super::ls::Givens::new(k);
    for r in x {
        g.push(r, 0.0);
    }
    let adjust: Vec<f64> = x
        .iter()
        .map(|r| 1.0 / (1.0 - g.leverage(r).unwrap_or(0.0).min(0.9999)).sqrt())
        .collect();
    let ymean = y.iter().sum::<f64>() / y.len() as f64;
    let ystd = (y.iter().map(|v| (v - ymean).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
    for _ in 0..4 {
        let r: Vec<f64> = predict(&beta)
            .iter()
            .zip(y)
            .zip(&adjust)
            .map(|((p, v), a)| (v - p) * a)
            .collect();
        let s = (f64::EPSILON * ystd).max(mad(&r));
        let weights: Vec<f64> = r
            .iter()
            .map(|v| {
                let u = v / s;
                if u.abs() < 4.685 {
                    (1.0 - (u / 4.685).powi(2)).powi(2)
                } else {
                    0.0
                }
            })
            .collect();
        let wrows: Vec<(Vec<f64>, f64)> = x
            .iter()
            .zip(y)
            .zip(&weights)
            .map(|((r, v), w)| (r.iter().map(|a| a * w.sqrt()).collect(), v * w.sqrt()))
            .collect();
        let Some(next) = least_squares(&wrows, k) else {
            break;
        };
        // pyccd's convergence test: done when no coefficient grew by more than 1e-8
        let grew = next.iter().zip(&beta).any(|(n, o)| n - o > 1e-8);
        beta = next;
        if !grew {
            break;
        }
    }
    Some(predict(&beta))
}

/// The kept observations of one pixel, and the one-off statistics.
struct Pixel<'a> {
    t: Vec<f64>,
    /// The kept observations' rows in the input (removed ones drop out).
    keep: Vec<usize>,
    bands: &'a [Vec<f64>; 7],
    dates: &'a [i64],
    vario: [f64; 7],
    peek: usize,
    threshold: f64,
}

impl Pixel<'_> {
    fn n(&self) -> usize {
        self.keep.len()
    }

    fn day(&self, i: usize) -> i64 {
        self.dates[self.keep[i]]
    }

    fn value(&self, b: usize, i: usize) -> f64 {
        self.bands[b][self.keep[i]]
    }

    fn remove(&mut self, i: usize) {
        self.keep.remove(i);
        self.t.remove(i);
    }

    fn fit(&self, s: usize, e: usize, k: usize) -> [Fit; 7] {
        let t = &self.t[s..e];
        std::array::from_fn(|b| {
            let y: Vec<f64> = (s..e).map(|i| self.value(b, i)).collect();
            lasso(t, &y, k)
        })
    }

    /// The χ² statistic of observation `i` against `models` with comparison RMSEs `rho`.
    fn statistic(&self, i: usize, models: &[Fit; 7], rho: &[f64; 7]) -> f64 {
        DETECTION
            .iter()
            .map(|&b| {
                let r = (self.value(b, i) - models[b].predict(self.t[i])).abs();
                (r / self.vario[b].max(rho[b])).powi(2)
            })
            .sum()
    }

    /// Tmask: the window's observations flagged as outliers by a robust fit of green and
    /// swir1.
    fn tmask(&self, s: usize, e: usize) -> Vec<bool> {
        let a = std::f64::consts::TAU / YEAR;
        let cycle = a / ((self.t[e - 1] - self.t[s]) / YEAR).ceil().max(1.0);
        let x: Vec<Vec<f64>> = (s..e)
            .map(|i| {
                let t = self.t[i];
                vec![
                    (a * t).cos(),
                    (a * t).sin(),
                    (cycle * t).cos(),
                    (cycle * t).sin(),
                    1.0,
                ]
            })
            .collect();
        let mut out = vec![false; e - s];
        for b in TMASK {
            let y: Vec<f64> = (s..e).map(|i| self.value(b, i)).collect();
            if let Some(p) = robust_predict(&x, &y) {
                for (k, (pv, v)) in p.iter().zip(&y).enumerate() {
                    if (pv - v).abs() > T_CONST * self.vario[b] {
                        out[k] = true;
                    }
                }
            }
        }
        out
    }

    /// A stable start from [s, e), with its 4-coefficient models.
    fn initialize(&mut self, mut s: usize, mut e: usize) -> Option<(usize, usize, [Fit; 7])> {
        while e + MEOW < self.n() {
            if ((self.day(e - 1) - self.day(s)) as f64) < DAY_DELTA {
                e += 1;
                continue;
            }
            let outliers = self.tmask(s, e);
            let kept: Vec<usize> = (s..e).filter(|i| !outliers[i - s]).collect();
            if kept.is_empty() {
                e += 1;
                continue;
            }
            let span = (self.day(kept[kept.len() - 1]) - self.day(kept[0])) as f64;
            if span < DAY_DELTA || kept.len() < MEOW {
                e += 1;
                continue;
            }
            for i in (s..e).rev().filter(|i| outliers[i - s]) {
                self.remove(i);
                e -= 1;
            }
            let models = self.fit(s, e, 4);
            let days = (self.day(e - 1) - self.day(s)) as f64;
            let z: f64 = DETECTION
                .iter()
                .map(|&b| {
                    let m = &models[b];
                    let v = self.vario[b].max(m.rmse);
                    let first = (self.value(b, s) - m.predict(self.t[s])).abs();
                    let last = (self.value(b, e - 1) - m.predict(self.t[e - 1])).abs();
                    ((m.w[0] * days).abs() + first + last) / v
                })
                .map(|z| z * z)
                .sum();
            if z < self.threshold {
                return Some((s, e, models));
            }
            s += 1;
            e += 1;
        }
        None
    }

    /// Takes in observations before a stable start while they fit its models.
    fn lookback(
        &mut self,
        mut s: usize,
        mut e: usize,
        before: usize,
        models: &[Fit; 7],
    ) -> (usize, usize) {
        let rho: [f64; 7] = std::array::from_fn(|b| models[b].rmse);
        while s > before {
            let idx: Vec<usize> = if s - before > self.peek {
                (s + 1 - self.peek..s).rev().collect()
            } else if s <= self.peek {
                (0..s).rev().collect()
            } else {
                (before..s).rev().collect()
            };
            let stats: Vec<f64> = idx
                .iter()
                .map(|&i| self.statistic(i, models, &rho))
                .collect();
            if stats.iter().cloned().fold(f64::INFINITY, f64::min) > self.threshold {
                break;
            }
            if stats[0] > OUTLIER_THRESHOLD {
                self.remove(s - 1);
                s -= 1;
                e -= 1;
            } else {
                s -= 1;
            }
        }
        (s, e)
    }

    /// Monitors from a stable window: the segment and where the next search starts.
    fn lookforward(&mut self, s: usize, mut e: usize) -> (Segment, usize) {
        let mut models: Option<[Fit; 7]> = None;
        let (mut fs, mut fe) = (s, e);
        let mut last_peek = e;
        let mut change = false;
        let mut magnitudes = [0.0; 7];
        while e + self.peek <= self.n() {
            let m = e - s;
            let k = coefficients_for(m);
            let span = (self.day(e - 1) - self.day(s)) as f64;
            let fit_span = (self.day(fe - 1) - self.day(fs)) as f64;
            if models.is_none() || m < 24 || span >= 1.33 * fit_span {
                fs = s;
                fe = e;
                models = Some(self.fit(s, e, k));
            }
            let mods = models.as_ref().expect("fitted");
            let peek: Vec<usize> = (e..e + self.peek).collect();
            let rho: [f64; 7] = if m <= 24 {
                std::array::from_fn(|b| mods[b].rmse)
            } else {
                let last = self.t[e + self.peek - 1];
                let mut near: Vec<(f64, usize)> = (fs..fe)
                    .map(|i| {
                        let d = self.t[i] - last;
                        (((d / 365.25).round() * 365.25 - d).abs(), i)
                    })
                    .collect();
                near.sort_by(|a, b| a.0.total_cmp(&b.0));
                std::array::from_fn(|b| {
                    near.iter()
                        .take(24)
                        .map(|&(_, i)| (self.value(b, i) - mods[b].predict(self.t[i])).powi(2))
                        .sum::<f64>()
                        .sqrt()
                        / 4.0
                })
            };
            let stats: Vec<f64> = peek
                .iter()
                .map(|&i| self.statistic(i, mods, &rho))
                .collect();
            last_peek = e;
            magnitudes = std::array::from_fn(|b| {
                median(
                    peek.iter()
                        .map(|&i| (self.value(b, i) - mods[b].predict(self.t[i])).abs())
                        .collect(),
                )
            });
            if stats.iter().cloned().fold(f64::INFINITY, f64::min) > self.threshold {
                change = true;
                break;
            }
            if stats[0] > OUTLIER_THRESHOLD {
                self.remove(e);
                continue;
            }
            e += 1;
        }
        let mods = models.unwrap_or_else(|| self.fit(s, e, coefficients_for(e - s)));
        let seg = Segment {
            start_day: self.day(s),
            end_day: self.day(e - 1),
            break_day: self.day(last_peek),
            observation_count: e - s,
            change_probability: if change { 1.0 } else { 0.0 },
            curve_qa: coefficients_for(e - s) as u32,
            bands: (0..7)
                .map(|b| BandModel {
                    magnitude: magnitudes[b],
                    rmse: mods[b].rmse,
                    coefficients: mods[b].w,
                    intercept: mods[b].intercept,
                })
                .collect(),
        };
        (seg, e)
    }

    fn catch(&self, a: usize, b: usize, qa: u32) -> Segment {
        let models = self.fit(a, b, 4);
        Segment {
            start_day: self.day(a),
            end_day: self.day(b - 1),
            break_day: if b < self.n() {
                self.day(b)
            } else {
                self.day(self.n() - 1)
            },
            observation_count: b - a,
            change_probability: 0.0,
            curve_qa: qa,
            bands: models
                .iter()
                .map(|m| BandModel {
                    magnitude: 0.0,
                    rmse: m.rmse,
                    coefficients: m.w,
                    intercept: m.intercept,
                })
                .collect(),
        }
    }
}

/// The QA class of a Collection 1 `pixel_qa` value: 0 fill, 1 clear, 2 water, 3 shadow,
/// 4 snow, 5 cloud (pyccd's precedence); `None` for a value it refuses.
pub fn qa_class(q: u16) -> Option<u8> {
    let bit = |k: u16| q >> k & 1 == 1;
    Some(if bit(0) {
        0
    } else if bit(5) {
        5
    } else if bit(3) {
        3
    } else if bit(4) {
        4
    } else if bit(2) {
        2
    } else if bit(1) || (bit(8) && bit(9)) || bit(10) {
        1
    } else {
        return None;
    })
}

/// What CCDC found in one pixel: its segments, and which input observations it used.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub segments: Vec<Segment>,
    /// Per input observation (in the input's order), whether it was used.
    pub processing_mask: Vec<bool>,
}

/// CCDC of one pixel: `dates` (ordinal days, increasing), the seven bands (reflectance ×
/// 10,000; thermal in kelvin × 10) and the QA values.
pub fn detect(dates: &[i64], bands: &[Vec<f64>; 7], qa: &[u16]) -> Detection {
    let n0 = dates.len();
    let class: Vec<Option<u8>> = qa.iter().map(|&q| qa_class(q)).collect();
    // thermal to °C × 100
    let mut b = bands.clone();
    for v in b[6].iter_mut() {
        *v = 10.0 * *v - 27315.0;
    }
    let none = Detection {
        segments: vec![],
        processing_mask: vec![false; n0],
    };
    let stat: Vec<usize> = (0..n0).filter(|&i| dates[i] <= STAT_ORD).collect();
    let nonfill = stat
        .iter()
        .filter(|&&i| class[i].is_some_and(|c| c != 0))
        .count();
    let clear = stat
        .iter()
        .filter(|&&i| matches!(class[i], Some(1 | 2)))
        .count();
    if nonfill == 0 || (clear as f64) / (nonfill as f64) < 0.25 {
        return none;
    }
    let mut keep = Vec::new();
    for i in 0..n0 {
        let ok = matches!(class[i], Some(1 | 2))
            && b[6][i] > -9320.0
            && b[6][i] < 7070.0
            && (0..6).all(|k| b[k][i] > 0.0 && b[k][i] < 10000.0)
            && (i == 0 || dates[i] != dates[i - 1]);
        if ok {
            keep.push(i);
        }
    }
    if keep.len() <= MEOW {
        return none;
    }
    let stat_keep: Vec<usize> = keep
        .iter()
        .copied()
        .filter(|&i| dates[i] <= STAT_ORD)
        .collect();
    let gaps: Vec<f64> = stat_keep
        .windows(2)
        .map(|w| (dates[w[1]] - dates[w[0]]) as f64)
        .collect();
    let delta = median(gaps) + 0.001;
    let mut peek = (6.0 * 16.0 / delta).round_ties_even() as usize;
    if peek < PEEK {
        peek = PEEK;
    }
    let threshold = if peek == PEEK {
        CHANGE_THRESHOLD
    } else {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        ChiSquared::new(5.0)
            .expect("5 degrees of freedom")
            .inverse_cdf(1.0 - 0.01f64.powf(PEEK as f64 / peek as f64))
    };
    let vario: [f64; 7] = std::array::from_fn(|k| variogram(&stat_keep, dates, &b[k]));
    if vario.iter().any(|v| v.is_nan()) {
        return none;
    }
    let mut px = Pixel {
        t: keep.iter().map(|&i| dates[i] as f64).collect(),
        keep,
        bands: &b,
        dates,
        vario,
        peek,
        threshold,
    };
    let mut results = Vec::new();
    let (mut s, mut e) = (0usize, MEOW);
    let mut previous_end = 0usize;
    let mut first = true;
    while e + MEOW <= px.n() {
        let Some((s1, e1, models)) = px.initialize(s, e) else {
            break;
        };
        (s, e) = (s1, e1);
        if s > previous_end {
            (s, e) = px.lookback(s, e, previous_end, &models);
        }
        if first && s - previous_end > px.peek {
            results.push(px.catch(previous_end, s, CURVE_START));
        }
        first = false;
        if e + px.peek > px.n() {
            break;
        }
        let (seg, stop) = px.lookforward(s, e);
        results.push(seg);
        previous_end = stop;
        (s, e) = (stop, stop + MEOW);
    }
    if previous_end + px.peek < px.n() {
        results.push(px.catch(previous_end, px.n(), CURVE_END));
    }
    let mut mask = vec![false; n0];
    for &i in &px.keep {
        mask[i] = true;
    }
    Detection {
        segments: results,
        processing_mask: mask,
    }
}

/// pyccd's adjusted variogram of one band over the observations `idx`: the median absolute
/// difference at the first lag whose most common day gap exceeds 30 days (pairs more than
/// 30 days apart), or of consecutive pairs.
fn variogram(idx: &[usize], dates: &[i64], v: &[f64]) -> f64 {
    if idx.len() < 2 {
        return f64::NAN;
    }
    let mut out = median(idx.windows(2).map(|w| (v[w[1]] - v[w[0]]).abs()).collect());
    for lag in 1..idx.len() {
        let pairs: Vec<(i64, f64)> = (0..idx.len() - lag)
            .map(|i| {
                (
                    dates[idx[i + lag]] - dates[idx[i]],
                    (v[idx[i + lag]] - v[idx[i]]).abs(),
                )
            })
            .collect();
        let mut counts: std::collections::BTreeMap<i64, usize> = Default::default();
        for (d, _) in &pairs {
            *counts.entry(*d).or_default() += 1;
        }
        let top = counts.values().copied().max().unwrap_or(0);
        let mode = counts
            .iter()
            .find(|(_, c)| **c == top)
            .map_or(0, |(d, _)| *d);
        if mode > 30 {
            out = median(
                pairs
                    .iter()
                    .filter(|(d, _)| *d > 30)
                    .map(|(_, a)| *a)
                    .collect(),
            );
            break;
        }
    }
    out
}
