//! Rolling-origin backtests: forecasts from every origin of a period, the models refitted
//! every N intervals on a window of the data before the refit, blocks run in parallel (each
//! block's fit and forecasts depend only on the data, so the result is the same at any
//! thread count); scores per horizon on a common set of pairs.

use rayon::prelude::*;
use serde::Serialize;

use crate::Result;
use crate::model::{self, Inputs, IntervalMethod, Learner, Reference};

/// Backtest settings, in intervals of the series.
#[derive(Debug, Clone)]
pub struct Settings {
    pub learner: Learner,
    pub quantiles: Vec<f64>,
    pub method: IntervalMethod,
    /// Training window before each refit, and the refit period.
    pub window: usize,
    pub refit: usize,
    /// Origins `[first, last)`.
    pub first: usize,
    pub last: usize,
}

/// Every forecast of a backtest: pairs (origin, horizon) in origin order.
#[derive(Debug, Clone, Default)]
pub struct Backtest {
    pub pairs: Vec<(usize, usize)>,
    pub point: Vec<f64>,
    pub quantiles: Vec<Vec<f64>>,
    pub references: Vec<(Reference, Vec<f64>)>,
    pub refits: usize,
    /// Mean training pairs per refit, and pairs dropped for a missing feature (summed).
    pub train_rows_mean: f64,
    /// Refits trained on fewer than half the pairs their window could hold (every target
    /// in it, in daylight with a site, at every horizon): gaps in the data left their
    /// forecasts and bands resting on little.
    pub thin_refits: usize,
    pub dropped_training_pairs: usize,
    /// Calibrated bands: the fewest calibration residuals of a horizon in any refit, and
    /// the mean over refits of each refit's fewest.
    pub calibration_pairs: Option<(usize, f64)>,
    /// Under `--model auto`: each refit's choice, in order.
    pub choices: Vec<model::Choice>,
    /// Bands moved to hold their point forecast (see [`model::Predictions::widened`]).
    pub bands_widened: usize,
}

/// The references a series can have: the clear-sky one only with a site.
pub fn references_for(inp: &Inputs) -> Vec<Reference> {
    Reference::ALL
        .into_iter()
        .filter(|r| inp.has_site() || !r.needs_site())
        .collect()
}

pub fn run(inp: &Inputs, s: &Settings) -> Result<Backtest> {
    if s.first >= s.last {
        return Err(crate::ForecastError::Setting(
            "the backtest period holds no forecast origin".into(),
        ));
    }
    let refs = references_for(inp);
    let blocks: Vec<usize> = (s.first..s.last).step_by(s.refit.max(1)).collect();
    struct Block {
        pairs: Vec<(usize, usize)>,
        pred: model::Predictions,
        refs: Vec<Vec<f64>>,
        rows: usize,
        /// The pairs the window could hold.
        possible: usize,
        dropped: usize,
        choice: Option<model::Choice>,
        calibration: Option<usize>,
    }
    let done: Vec<Result<Block>> = blocks
        .par_iter()
        .map(|&b0| {
            let to = b0 + 1;
            let from = to.saturating_sub(s.window);
            let f = model::fit(inp, &s.learner, &s.quantiles, s.method, from, to)?;
            let rf = model::fit_references(inp, from, to);
            let b1 = (b0 + s.refit).min(s.last);
            let pairs: Vec<(usize, usize)> = (b0..b1)
                .flat_map(|i| (1..=inp.horizon).map(move |h| (i, h)))
                .filter(|&(i, h)| i + h < inp.len())
                .collect();
            let pred = model::predict(inp, &f, &pairs);
            let mut last_i = usize::MAX;
            let mut k = f64::NAN;
            let mut refs_out = vec![Vec::with_capacity(pairs.len()); refs.len()];
            for &(i, h) in &pairs {
                if i != last_i {
                    k = inp.index_at(i);
                    last_i = i;
                }
                for (r, out) in refs.iter().zip(refs_out.iter_mut()) {
                    out.push(model::reference(inp, &rf, *r, i, h, k));
                }
            }
            Ok(Block {
                pairs,
                pred,
                refs: refs_out,
                rows: f.train_rows,
                possible: (from..to).filter(|&j| inp.daytime(j)).count() * inp.horizon,
                dropped: f.dropped,
                calibration: f.calibration_pairs,
                choice: f.choice,
            })
        })
        .collect();
    let mut bt = Backtest {
        quantiles: vec![Vec::new(); s.quantiles.len()],
        references: refs.iter().map(|r| (*r, Vec::new())).collect(),
        refits: blocks.len(),
        ..Default::default()
    };
    let mut rows = 0usize;
    let mut thin = 0;
    let mut calibration: Vec<usize> = Vec::new();
    for b in done {
        let b = b?;
        bt.pairs.extend(b.pairs);
        bt.bands_widened += b.pred.widened;
        bt.point.extend(b.pred.point);
        for (q, v) in b.pred.quantiles.into_iter().enumerate() {
            bt.quantiles[q].extend(v);
        }
        for (r, v) in b.refs.into_iter().enumerate() {
            bt.references[r].1.extend(v);
        }
        rows += b.rows;
        thin += usize::from(2 * b.rows < b.possible);
        bt.dropped_training_pairs += b.dropped;
        bt.choices.extend(b.choice);
        calibration.extend(b.calibration);
    }
    bt.calibration_pairs = calibration.iter().min().map(|&m| {
        (
            m,
            calibration.iter().sum::<usize>() as f64 / calibration.len() as f64,
        )
    });
    bt.train_rows_mean = rows as f64 / blocks.len() as f64;
    bt.thin_refits = thin;
    Ok(bt)
}

/// Scores of one horizon (or of all, `horizon` 0).
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub horizon: usize,
    pub n: usize,
    pub mae: f64,
    pub rmse: f64,
    /// RMSE over the capacity.
    pub nrmse: f64,
    /// Mean of forecast − observed.
    pub bias: f64,
    /// Per reference: (name, RMSE, skill = 1 − RMSE_model / RMSE_reference).
    pub references: Vec<RefScore>,
    pub pinball: Vec<(f64, f64)>,
    /// Share of observations inside [lowest, highest] quantile, and its nominal value.
    pub coverage: Option<(f64, f64)>,
    /// CRPS approximated by the quantile score: 2 × the mean pinball loss over the quantiles
    /// (two or more).
    pub crps: Option<f64>,
    /// Pairs whose target is 0 (a PV target's nights, where no site says the Sun is
    /// down): easy to forecast, and inside any band that holds 0.
    pub zero_pairs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefScore {
    pub name: &'static str,
    pub mae: f64,
    pub rmse: f64,
    pub skill: f64,
}

/// Pairs scored: the target observed and in daylight, the model's point and every reference
/// present. Returns the per-horizon scores, the overall score, and how many pairs with an
/// observed daytime target were left out for a missing forecast.
pub fn score(inp: &Inputs, bt: &Backtest, quantiles: &[f64]) -> (Vec<Score>, Score, usize) {
    let mut keep = Vec::with_capacity(bt.pairs.len());
    let mut left_out = 0;
    for (p, &(i, h)) in bt.pairs.iter().enumerate() {
        let j = i + h;
        if inp.y[j].is_nan() || !inp.daytime(j) {
            continue;
        }
        let present = !bt.point[p].is_nan()
            && bt.references.iter().all(|(_, v)| !v[p].is_nan())
            && bt.quantiles.iter().all(|v| !v[p].is_nan());
        if present {
            keep.push(p);
        } else {
            left_out += 1;
        }
    }
    let one = |horizon: usize| -> Score {
        let sel: Vec<usize> = keep
            .iter()
            .copied()
            .filter(|&p| horizon == 0 || bt.pairs[p].1 == horizon)
            .collect();
        let n = sel.len();
        let obs = |p: usize| {
            let (i, h) = bt.pairs[p];
            inp.y[i + h]
        };
        let errs = |f: &dyn Fn(usize) -> f64| -> (f64, f64, f64) {
            let (mut a, mut s, mut b) = (0.0, 0.0, 0.0);
            for &p in &sel {
                let e = f(p) - obs(p);
                a += e.abs();
                s += e * e;
                b += e;
            }
            let nf = n.max(1) as f64;
            (a / nf, (s / nf).sqrt(), b / nf)
        };
        let (mae, rmse, bias) = errs(&|p| bt.point[p]);
        let references = bt
            .references
            .iter()
            .map(|(r, v)| {
                let (m, e, _) = errs(&|p| v[p]);
                RefScore {
                    name: r.name(),
                    mae: m,
                    rmse: e,
                    skill: 1.0 - rmse / e,
                }
            })
            .collect();
        let pinball: Vec<(f64, f64)> = quantiles
            .iter()
            .enumerate()
            .map(|(q, &a)| {
                let s: f64 = sel
                    .iter()
                    .map(|&p| {
                        let d = obs(p) - bt.quantiles[q][p];
                        if d >= 0.0 { a * d } else { (a - 1.0) * d }
                    })
                    .sum();
                (a, s / n.max(1) as f64)
            })
            .collect();
        let coverage = (quantiles.len() >= 2).then(|| {
            let (lo, hi) = (0, quantiles.len() - 1);
            let inside = sel
                .iter()
                .filter(|&&p| obs(p) >= bt.quantiles[lo][p] && obs(p) <= bt.quantiles[hi][p])
                .count();
            (
                inside as f64 / n.max(1) as f64,
                quantiles[hi] - quantiles[lo],
            )
        });
        // the quantile score approximates the CRPS from two quantiles up; one quantile's
        // doubled pinball loss is no such thing
        let crps = (quantiles.len() >= 2)
            .then(|| 2.0 * pinball.iter().map(|p| p.1).sum::<f64>() / pinball.len() as f64);
        let zero_pairs = sel.iter().filter(|&&p| obs(p) == 0.0).count();
        Score {
            horizon,
            n,
            mae,
            rmse,
            nrmse: rmse / inp.capacity,
            bias,
            references,
            pinball,
            coverage,
            crps,
            zero_pairs,
        }
    };
    let per: Vec<Score> = (1..=inp.horizon).map(one).collect();
    (per, one(0), left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refits_on_gappy_windows_are_counted_thin() {
        // 40 days of a daily cycle; days 10 to 16 are missing, and the day after them has
        // no day-before value, so a 10-day window ending on day 21 holds 3 days of training
        // pairs
        let n = 40 * 96;
        let tau = std::f64::consts::TAU;
        let y: Vec<f64> = (0..n)
            .map(|t| {
                if (10 * 96..17 * 96).contains(&t) {
                    f64::NAN
                } else {
                    50.0 + 10.0 * ((t % 96) as f64 / 96.0 * tau).sin() + ((t * 7919) % 13) as f64
                }
            })
            .collect();
        let inp = crate::model::tests::inputs(y, vec![]);
        let s = Settings {
            learner: Learner::Linear { alpha: 1.0 },
            quantiles: vec![],
            method: IntervalMethod::Conformal,
            window: 10 * 96,
            refit: 96,
            first: 21 * 96,
            last: 35 * 96,
        };
        let bt = run(&inp, &s).unwrap();
        assert_eq!(bt.refits, 14);
        // the windows ending on days 21 and 22 hold 3 and 4 days of pairs; the one ending
        // on day 23 holds 5 of 10, exactly half, which is not fewer
        assert_eq!(bt.thin_refits, 2, "{}", bt.thin_refits);
    }
}
