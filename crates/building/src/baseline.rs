//! A weather-normalised baseline: fitted on a baseline window, kept as a JSON model file,
//! and the savings it measures over a reporting window (docs/baselines.md §§ 3–7).

use serde::{Deserialize, Serialize};
use terrawatt_learn::stats::t_quantile;

use crate::BuildingError;
use crate::caltrack::{self, DegreeDayModel, GridSettings};
use crate::g14::{self, Fit, Interval};
use crate::prepare::{
    Masked, Prepared, Sufficiency, prepare, start_text, sufficiency, window_bounds,
};
use crate::series::{Freq, Meter, TempUnit, Temperature, rfc3339};
use crate::towt::{self, TowtModel, TowtSettings};
use crate::zeros::{self, Zeros};

pub const FORMAT: &str = "terrawatt-baseline";
pub const VERSION: u32 = 1;

/// The fitted model of either family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Model {
    /// CalTRACK daily/billing.
    DegreeDay(DegreeDayModel),
    /// CalTRACK hourly.
    Towt(TowtModel),
}

/// The grid search's counts (daily/billing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSummary {
    pub grid: GridSettings,
    pub candidates_fitted: usize,
    pub candidates_qualified: usize,
    pub heating_points_qualifying: Vec<f64>,
    pub cooling_points_qualifying: Vec<f64>,
}

/// A baseline model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub format: String,
    pub version: u32,
    pub freq: Freq,
    pub temperature_unit: TempUnit,
    pub meter: String,
    pub temperature: String,
    pub start: String,
    pub end: String,
    pub model: Model,
    pub search: Option<SearchSummary>,
    /// Guideline 14 goodness of fit on the baseline.
    pub fit: Fit,
    pub baseline_total: f64,
    pub sufficiency: Sufficiency,
    pub masked: Vec<Masked>,
    pub notes: Vec<String>,
    /// The mean temperature (°F) of each calendar month (January first) over the
    /// baseline's hours, where it has 14 days or more of them: what a reporting period's
    /// temperatures are held to (absent from model files written before it).
    #[serde(default)]
    pub monthly_temperature: Vec<Option<f64>>,
    /// The meter's unit, where its file says it (a `unit` column, or a value column named
    /// `kwh`, `therms`, …): what a reporting meter is held to (absent from model files
    /// written before it).
    #[serde(default)]
    pub unit: Option<String>,
}

/// The mean temperature (°F) of each calendar month of the local clock `offset` over
/// [s, e), where the month has 14 days (336 readings) or more.
pub fn monthly_temperature(temp: &Temperature, s: i64, e: i64, offset: i32) -> Vec<Option<f64>> {
    let mut sums = [(0.0f64, 0usize); 12];
    for (t, v) in temp.times.iter().zip(&temp.values) {
        if *t >= s && *t < e && v.is_finite() {
            let m = crate::series::local_month(*t, offset).1 as usize - 1;
            sums[m].0 += v;
            sums[m].1 += 1;
        }
    }
    sums.iter()
        .map(|(sum, n)| (*n >= 14 * 24).then(|| sum / *n as f64))
        .collect()
}

/// How far (°F) every month of a reporting period compared may sit from the baseline's
/// same month, all on one side, before its temperatures are taken for another unit: a
/// month's mean strays from its usual by 10 °F in a rare year; °C read as °F sits 24–56 °F
/// below it (−10…30 °C), and the baseline's grid of balance points is in °F.
pub const MOST_MONTHLY_SHIFT_F: f64 = 20.0;

/// Refuses reporting temperatures whose every month compared (14 days or more, and in the
/// baseline) sits more than [`MOST_MONTHLY_SHIFT_F`] from the baseline's, on one side.
fn check_reporting_temperatures(
    baseline: &Baseline,
    temp: &Temperature,
    (s, e, offset): (i64, i64, i32),
) -> Result<(), BuildingError> {
    let now = monthly_temperature(temp, s, e, offset);
    let shifts: Vec<f64> = now
        .iter()
        .zip(&baseline.monthly_temperature)
        .filter_map(|(a, b)| Some((*a)? - (*b)?))
        .collect();
    let Some(least) = shifts.iter().map(|d| d.abs()).reduce(f64::min) else {
        return Ok(());
    };
    let one_side = shifts.iter().all(|d| *d < 0.0) || shifts.iter().all(|d| *d > 0.0);
    if !(one_side && least > MOST_MONTHLY_SHIFT_F) {
        return Ok(());
    }
    let mean = shifts.iter().sum::<f64>() / shifts.len() as f64;
    let unit = baseline.temperature_unit;
    Err(BuildingError::Fit(format!(
        "{}: the reporting period's temperatures are {:.1} °F {} than the baseline's in the same calendar months ({} compared, each by more than {MOST_MONTHLY_SHIFT_F} °F), which no year's weather is: are they in another unit? The model reads them as {unit:?}, as its baseline's were; give --temperature-unit for this file",
        temp.path.display(),
        mean.abs(),
        if mean < 0.0 { "colder" } else { "warmer" },
        shifts.len(),
    )))
}

/// How a baseline is fitted.
#[derive(Debug, Clone, Default)]
pub struct FitSettings {
    pub grid: GridSettings,
    pub towt: TowtSettings,
    pub allow_insufficient: bool,
}

/// A baseline with its fitted values on the usable periods (time order).
#[derive(Debug, Clone)]
pub struct Fitted {
    pub baseline: Baseline,
    pub periods: Vec<Prepared>,
    pub fitted: Vec<f64>,
}

pub fn interval(freq: Freq) -> Interval {
    match freq {
        Freq::Hourly => Interval::Hourly,
        Freq::Daily => Interval::Daily,
        Freq::Billing => Interval::Monthly,
    }
}

impl Baseline {
    /// The prediction of one period, or why there is none.
    pub fn predict(&self, p: &Prepared) -> Result<f64, BuildingError> {
        predict_with(&self.model, self.freq, p)
    }
}

fn predict_with(model: &Model, freq: Freq, p: &Prepared) -> Result<f64, BuildingError> {
    match model {
        Model::DegreeDay(m) => Ok(m.predict(p, freq)),
        Model::Towt(m) => m.predict(p),
    }
}

/// The meter's periods inside [start, end) and their bounds (start, end and the offsets to
/// write them in); an error when none lies there or the temperature covers none of them.
fn select(
    meter: &Meter,
    temp: &Temperature,
    start: Option<i64>,
    end: Option<i64>,
    what: &str,
) -> Result<Window, BuildingError> {
    if let (Some(a), Some(b)) = (start, end)
        && b <= a
    {
        let offset = meter.periods.first().map_or(0, |p| p.offset);
        return Err(BuildingError::Setting(format!(
            "the {what} window ends ({}) {} it starts ({}): are --start and --end exchanged?",
            rfc3339(b, offset),
            if b == a { "as" } else { "before" },
            rfc3339(a, offset)
        )));
    }
    let periods = meter.window(start, end);
    let Some((s, e, offset, end_offset)) = window_bounds(&periods) else {
        return Err(BuildingError::Fit(format!(
            "{}: no period lies inside the {} window",
            meter.path.display(),
            what
        )));
    };
    let (t0, t1) = temp.span();
    if periods.iter().all(|p| p.end <= t0 || p.start >= t1) {
        return Err(BuildingError::Fit(format!(
            "{} ({} to {}) does not cover any {} period of {} ({} to {})",
            temp.path.display(),
            rfc3339(t0, offset),
            rfc3339(t1, offset),
            what,
            meter.path.display(),
            rfc3339(s, offset),
            rfc3339(e, end_offset)
        )));
    }
    Ok(Window {
        periods,
        bounds: (s, e, offset, end_offset),
    })
}

/// Selected periods and their bounds: start, end, and the offsets to write them in.
struct Window {
    periods: Vec<crate::series::Period>,
    bounds: (i64, i64, i32, i32),
}

/// A usable period that the model cannot predict, and why.
fn masked_period(p: &Prepared, reason: String) -> Masked {
    Masked {
        start: start_text(&p.period),
        end: rfc3339(p.period.end, p.period.offset),
        reason,
        usage: Some(p.period.value),
    }
}

/// Why a baseline's periods were masked, where most of them were for want of temperature
/// readings: a daily or 3-hourly temperature file fails CalTRACK's hourly coverage rule on
/// every day, and "usable periods cover 0.0 %" alone named the meter.
fn temperature_reason(masked: &[Masked], periods: usize, temp: &Temperature) -> Option<String> {
    let short: Vec<&Masked> = masked
        .iter()
        .filter(|m| {
            m.reason.starts_with("temperature coverage")
                || m.reason.starts_with("no temperature reading")
                || m.reason.starts_with("outside the temperature file")
        })
        .collect();
    let first = short.first()?;
    (2 * short.len() >= periods).then(|| {
        format!(
            "{} of the {periods} periods are masked for want of temperature readings (the first: {}, {}): the coverage rule counts hourly readings; is {} hourly, and does it cover the baseline?",
            short.len(),
            first.start,
            first.reason,
            temp.path.display()
        )
    })
}

/// The model of `freq`'s family fitted on `ok`, and the grid search's counts.
fn fit_model(
    ok: &[Prepared],
    freq: Freq,
    settings: &FitSettings,
) -> Result<(Model, Option<SearchSummary>), BuildingError> {
    Ok(match freq {
        Freq::Daily | Freq::Billing => {
            let found = caltrack::fit(ok, freq, &settings.grid)?;
            let summary = SearchSummary {
                grid: settings.grid,
                candidates_fitted: found.candidates_fitted,
                candidates_qualified: found.candidates_qualified,
                heating_points_qualifying: found.heating_points_qualifying,
                cooling_points_qualifying: found.cooling_points_qualifying,
            };
            (Model::DegreeDay(found.selected), Some(summary))
        }
        Freq::Hourly => (Model::Towt(towt::fit(ok, &settings.towt)?), None),
    })
}

fn n_params(model: &Model) -> usize {
    match model {
        Model::DegreeDay(m) => m.k,
        Model::Towt(m) => m.n_params(),
    }
}

/// Screens the baseline's runs of zero readings ([`crate::zeros`]): a model is fitted
/// without them, and the runs it expects use on are refused or left out as the meter's
/// `zeros` says. Where no model can be fitted without them, they are kept, with a note.
fn screen_baseline_zeros(
    meter: &Meter,
    periods: &[crate::series::Period],
    settings: &FitSettings,
    (ok, masked): (&mut Vec<Prepared>, &mut Vec<Masked>),
    notes: &mut Vec<String>,
) -> Result<(), BuildingError> {
    let runs = zeros::runs(periods);
    if runs.is_empty() || meter.zeros == Zeros::Keep {
        return Ok(());
    }
    let held = |p: &Prepared| {
        runs.iter()
            .any(|r| p.period.start >= r.start && p.period.end <= r.end)
    };
    let trial: Vec<Prepared> = ok.iter().filter(|p| !held(p)).cloned().collect();
    let Ok((model, _)) = fit_model(&trial, meter.freq, settings) else {
        notes.push(format!(
            "{} run(s) of zero readings ({:.1} days) kept as use: no model could be fitted without them to tell a gap written as 0 from a building that used nothing",
            runs.len(),
            runs.iter().map(zeros::Run::days).sum::<f64>()
        ));
        return Ok(());
    };
    let (y, fitted): (Vec<f64>, Vec<f64>) = trial
        .iter()
        .filter_map(|p| Some((p.period.value, predict_with(&model, meter.freq, p).ok()?)))
        .unzip();
    let fit = g14::evaluate(&y, &fitted, n_params(&model), interval(meter.freq));
    let Some(scale) = zeros::Scale::of(&fit, y.iter().sum()) else {
        return Ok(());
    };
    let found = zeros::unexpected(&runs, ok, scale, |p| {
        predict_with(&model, meter.freq, p).ok()
    });
    zeros::apply(meter, &found, scale, ok, masked)
}

/// Fits a baseline on the meter's periods inside [start, end).
pub fn fit(
    meter: &Meter,
    temp: &Temperature,
    unit: TempUnit,
    start: Option<i64>,
    end: Option<i64>,
    settings: &FitSettings,
) -> Result<Fitted, BuildingError> {
    let Window {
        periods,
        bounds: (s, e, offset, end_offset),
    } = select(meter, temp, start, end, "baseline")?;
    let (mut ok, mut masked) = prepare(&periods, temp, meter.freq);
    let mut notes = meter.notes.clone();
    screen_baseline_zeros(
        meter,
        &periods,
        settings,
        (&mut ok, &mut masked),
        &mut notes,
    )?;
    let mut suff = sufficiency(&ok, s, e, (offset, end_offset), meter.freq);
    if !suff.qualified() {
        suff.disqualifications
            .extend(temperature_reason(&masked, periods.len(), temp));
    }
    if temp.missing > 0 {
        notes.push(format!(
            "{}: {} temperature value(s) missing (empty, NA, NaN or infinite): each period uses the hours it has, under the coverage rule",
            temp.path.display(),
            temp.missing
        ));
    }
    if !suff.qualified() {
        if settings.allow_insufficient {
            notes.push("fitted although disqualified (--allow-insufficient)".into());
        } else {
            return Err(BuildingError::Disqualified(suff.disqualifications.clone()));
        }
    }
    let (model, search) = fit_model(&ok, meter.freq, settings)?;
    let n_params = n_params(&model);
    let mut periods = Vec::with_capacity(ok.len());
    let mut fitted = Vec::with_capacity(ok.len());
    let mut y = Vec::with_capacity(ok.len());
    for p in ok {
        match predict_with(&model, meter.freq, &p) {
            Ok(v) => {
                fitted.push(v);
                y.push(p.period.value);
                periods.push(p);
            }
            Err(reason) => masked.push(masked_period(&p, reason.to_string())),
        }
    }
    let baseline = Baseline {
        format: FORMAT.into(),
        version: VERSION,
        freq: meter.freq,
        temperature_unit: unit,
        meter: meter.path.display().to_string(),
        temperature: temp.path.display().to_string(),
        start: rfc3339(s, offset),
        end: rfc3339(e, end_offset),
        model,
        search,
        fit: g14::evaluate(&y, &fitted, n_params, interval(meter.freq)),
        baseline_total: y.iter().sum(),
        sufficiency: suff,
        masked,
        notes,
        monthly_temperature: monthly_temperature(temp, s, e, offset),
        unit: meter.unit.clone(),
    };
    Ok(Fitted {
        baseline,
        periods,
        fitted,
    })
}

/// Coefficients (a, b, c) of a·M² + b·M + c (Sun & Baltazar 2013) per interval.
pub fn sun_baltazar(freq: Freq) -> (f64, f64, f64) {
    match freq {
        Freq::Billing => (-0.00022, 0.03306, 0.94054),
        Freq::Daily => (-0.00024, 0.03535, 1.00286),
        // none published for hourly data: the Guideline 14 factor
        Freq::Hourly => (0.0, 0.0, 1.26),
    }
}

/// The savings over a reporting window.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Savings {
    pub start: String,
    pub end: String,
    pub periods: usize,
    pub predicted_total: f64,
    pub observed_total: f64,
    pub avoided: f64,
    pub fractional_savings: Option<f64>,
    pub confidence: f64,
    /// Baseline points n, effective n′, parameters p, reporting points m, months M.
    pub n: usize,
    pub n_prime: f64,
    pub p: usize,
    pub m: usize,
    pub months: f64,
    pub t: Option<f64>,
    /// ΔA/A, CalTRACK (Sun & Baltazar) form.
    pub fsu: Option<f64>,
    /// ΔA/A, ASHRAE Guideline 14 (1.26) form.
    pub fsu_g14: Option<f64>,
    /// ΔA in energy units, both forms.
    pub avoided_uncertainty: Option<f64>,
    pub avoided_uncertainty_g14: Option<f64>,
    pub masked: Vec<Masked>,
    /// Usage held by masked periods (where known).
    pub masked_usage: f64,
    pub notes: Vec<String>,
}

/// One reporting period: start, end, observed, predicted.
#[derive(Debug, Clone)]
pub struct Row {
    pub start: i64,
    pub end: i64,
    pub offset: i32,
    pub temp: f64,
    /// Days of the period (1 for daily data).
    pub n_days: f64,
    pub observed: f64,
    pub predicted: f64,
}

/// Predicts the baseline over the meter's periods inside [start, end) and measures savings.
/// Reporting use this many times the baseline's prediction, or less than its inverse, is
/// refused as a meter in another unit: efficiency measures move use by tens of percent, and
/// a building that stood empty still uses a tenth of its prediction or more (a meter that
/// read nothing is a run of zeros, [`crate::zeros`]); kWh for therms or ccf (29.3 and 30.4
/// times) and Wh for kWh lie beyond. MJ for kWh (3.6 times) does not: a meter whose file
/// names its unit is held to the model's.
pub const UNIT_RATIO: f64 = 20.0;

/// Refuses a reporting meter whose file names another unit than the baseline meter's.
fn check_unit(baseline: &Baseline, meter: &Meter) -> Result<(), BuildingError> {
    match (&baseline.unit, &meter.unit) {
        (Some(b), Some(m)) if b != m => Err(BuildingError::Invalid {
            path: meter.path.clone(),
            message: format!(
                "the meter is in {m} but the model's baseline meter ({}) was in {b}: savings would compare {m} with {b}. Convert one meter to the other's unit and fit or measure again",
                baseline.meter
            ),
        }),
        _ => Ok(()),
    }
}

pub fn savings(
    baseline: &Baseline,
    meter: &Meter,
    temp: &Temperature,
    start: Option<i64>,
    end: Option<i64>,
    confidence: f64,
) -> Result<(Savings, Vec<Row>), BuildingError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(BuildingError::Fit(format!(
            "--confidence {confidence} must be in (0, 1)"
        )));
    }
    if meter.freq != baseline.freq {
        return Err(BuildingError::Fit(format!(
            "the model is {} but the meter was read as {} data",
            baseline.freq, meter.freq
        )));
    }
    let Window {
        periods,
        bounds: (s, e, offset, end_offset),
    } = select(meter, temp, start, end, "reporting")?;
    check_reporting_temperatures(baseline, temp, (s, e, offset))?;
    check_unit(baseline, meter)?;
    let (mut ok, mut masked) = prepare(&periods, temp, meter.freq);
    masked.extend(crate::prepare::holes(&periods, meter.freq));
    if meter.zeros != Zeros::Keep
        && let Some(scale) = zeros::Scale::of(&baseline.fit, baseline.baseline_total)
    {
        let found = zeros::unexpected(&zeros::runs(&periods), &ok, scale, |p| {
            baseline.predict(p).ok()
        });
        zeros::apply(meter, &found, scale, &mut ok, &mut masked)?;
    }
    // the window asked for beyond the meter's rows: said, as a hole would be
    let days = |a: i64, b: i64| (b - a) as f64 / crate::series::DAY as f64;
    if let Some(asked) = start.filter(|t| *t < s) {
        masked.insert(
            0,
            Masked {
                start: rfc3339(asked, offset),
                end: rfc3339(s, offset),
                reason: format!(
                    "no row in the meter file: the reporting window asked for starts {:.1} days before its first row in it",
                    days(asked, s)
                ),
                usage: None,
            },
        );
    }
    if let Some(asked) = end.filter(|t| *t > e) {
        masked.push(Masked {
            start: rfc3339(e, end_offset),
            end: rfc3339(asked, end_offset),
            reason: format!(
                "no row in the meter file: the reporting window asked for ends {:.1} days after its last row in it",
                days(e, asked)
            ),
            usage: None,
        });
    }
    let mut rows = Vec::with_capacity(ok.len());
    for p in &ok {
        match baseline.predict(p) {
            Ok(v) => rows.push(Row {
                start: p.period.start,
                end: p.period.end,
                offset: p.period.offset,
                temp: p.temp,
                n_days: p.n_days,
                observed: p.period.value,
                predicted: v,
            }),
            Err(reason) => masked.push(masked_period(p, reason.to_string())),
        }
    }
    if rows.is_empty() {
        return Err(BuildingError::Fit(format!(
            "no reporting period can be predicted ({} masked; first: {})",
            masked.len(),
            masked
                .first()
                .map_or(String::new(), |m| format!("{} {}", m.start, m.reason))
        )));
    }
    let predicted_total: f64 = rows.iter().map(|r| r.predicted).sum();
    let observed_total: f64 = rows.iter().map(|r| r.observed).sum();
    // a reporting meter in another unit than the baseline's (Wh for kWh) makes "savings" of
    // thousands of percent; a building that stood empty uses little, not a thousandth
    let ratio = observed_total / predicted_total;
    if predicted_total > 0.0
        && observed_total > 0.0
        && !(1.0 / UNIT_RATIO..=UNIT_RATIO).contains(&ratio)
    {
        return Err(BuildingError::Fit(format!(
            "{}: the reporting period's use is {ratio:.4} times the baseline's prediction for it ({observed_total:.2} against {predicted_total:.2}): is the meter in another unit than the baseline's (Wh for kWh, kWh for therms)? Give both in one unit",
            meter.path.display()
        )));
    }
    let avoided = predicted_total - observed_total;
    let fractional = (predicted_total > 0.0).then(|| avoided / predicted_total);
    let fit = &baseline.fit;
    let n = fit.n;
    let p = fit.n_params;
    let m = rows.len();
    let days: f64 = rows.iter().map(|r| r.n_days).sum();
    let months = days / 30.4375;
    let rho = fit.lag1_autocorrelation;
    let n_prime = if rho.is_nan() {
        n as f64
    } else {
        (n as f64 * (1.0 - rho) / (1.0 + rho)).min(n as f64)
    };
    // t with the baseline's n − p degrees of freedom (CalTRACK 2.0 § 4.3.2.4.2)
    let df = n as f64 - p as f64;
    let mut notes = Vec::new();
    let t = if df > 0.0 {
        Some(t_quantile(0.5 + confidence / 2.0, df))
    } else {
        notes.push(format!(
            "the savings uncertainty is not defined: n − p = {n} − {p} ≤ 0 (too few baseline points)"
        ));
        None
    };
    let (a, b, c) = sun_baltazar(baseline.freq);
    let shape = ((n as f64 / n_prime) * (1.0 + 2.0 / n_prime) / m as f64).sqrt();
    let rel_unc = |coef: f64| t.map(|t| coef * t * fit.cv_rmse * shape);
    let sb = a * months * months + b * months + c;
    // the Sun & Baltazar correction is a quadratic fitted over reporting periods of up to a
    // few years: where it turns negative the uncertainty is not defined (never negative)
    let sb_defined = sb > 0.0;
    if !sb_defined {
        notes.push(format!(
            "the savings uncertainty is not defined: the Sun & Baltazar correction a·M² + b·M + c is {sb:.3} ≤ 0 at M = {months:.1} months, outside the range it was fitted for"
        ));
    }
    let rel_unc = |coef: f64| rel_unc(coef).filter(|u| u.is_finite() && *u >= 0.0);
    let rel_unc_sb = || if sb_defined { rel_unc(sb) } else { None };
    let avoided_uncertainty = rel_unc_sb().map(|u| u * predicted_total);
    let avoided_uncertainty_g14 = rel_unc(1.26).map(|u| u * predicted_total);
    let positive = fractional.filter(|f| *f > 0.0);
    if positive.is_none() {
        notes.push("no savings (F ≤ 0): the fractional savings uncertainty is not defined".into());
    }
    let fsu = positive.and_then(|f| rel_unc_sb().map(|u| u / f));
    let fsu_g14 = positive.and_then(|f| rel_unc(1.26).map(|u| u / f));
    let masked_usage = masked.iter().filter_map(|m| m.usage).sum::<f64>() + 0.0;
    Ok((
        Savings {
            start: rfc3339(s, offset),
            end: rfc3339(e, end_offset),
            periods: m,
            predicted_total,
            observed_total,
            avoided,
            fractional_savings: fractional,
            confidence,
            n,
            n_prime,
            p,
            m,
            months,
            t,
            fsu,
            fsu_g14,
            avoided_uncertainty,
            avoided_uncertainty_g14,
            masked,
            masked_usage,
            notes,
        },
        rows,
    ))
}
