//! The metered-use tasks as a library: a baseline fitted and written, savings over a
//! reporting period, a portfolio of meters, each from typed settings, run inside a meter
//! span (phases `read`, `fit`, `write`, `predict`, `meters` as the command line reports
//! them), each result with the text the command line prints.
//!
//! ```no_run
//! use terrawatt_building::series::{Freq, TempUnit};
//! use terrawatt_building::tasks::{self, BaselineSettings, Inputs};
//! use terrawatt_meter::{Meter, MeterConfig};
//!
//! let meter = Meter::detect(&MeterConfig::model_only())?;
//! let mut span = meter.span("baseline");
//! let settings = BaselineSettings {
//!     inputs: Inputs::new("meter.csv", "temperature.csv", TempUnit::F),
//!     freq: Freq::Daily,
//!     start: None,
//!     end: None,
//!     fit: Default::default(),
//! };
//! let fitted = tasks::fit_baseline(&settings, &mut span)?;
//! tasks::write_model(&fitted.fitted.baseline, "model.json".as_ref(), &mut span)?;
//! print!("{}", fitted.text(false, "model.json".as_ref(), None));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use rayon::prelude::*;
use serde::Serialize;
use terrawatt_meter::{Span, write_atomic};

use crate::BuildingError;
use crate::baseline::{self, Baseline, FitSettings, Fitted, Model, Row, Savings};
use crate::caltrack::Kind;
use crate::prepare::Masked;
use crate::series::{self, Freq, Meter, MeterOptions, TempUnit, Temperature, rfc3339};
use crate::zeros::Zeros;

type Result<T> = std::result::Result<T, BuildingError>;

fn setting(message: impl Into<String>) -> BuildingError {
    BuildingError::Setting(message.into())
}

fn io(path: &Path, what: &str, e: impl std::fmt::Display) -> BuildingError {
    BuildingError::File {
        path: path.to_path_buf(),
        message: format!("{what} {}: {e}", path.display()),
    }
}

/// A meter and its temperature file, with how to read them.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub meter: PathBuf,
    pub temperature: PathBuf,
    /// The unit of the temperature file.
    pub unit: TempUnit,
    /// The zone of naive time stamps.
    pub zone: Option<Tz>,
    /// The zone of the temperature file's naive stamps, where it is not `zone`'s (a
    /// weather station's UTC).
    pub temperature_zone: Option<Tz>,
    /// Use temperatures whose daily cycle peaks outside 10:00–19:59 of `zone`'s clock as
    /// stamped, instead of refusing them ([`Temperature::check_clock`]).
    pub allow_temperature_shift: bool,
    pub meter_time_column: Option<String>,
    pub meter_value_column: Option<String>,
    pub temperature_time_column: Option<String>,
    pub temperature_column: Option<String>,
    /// Negative usage (net metering) kept instead of refused.
    pub allow_negative: bool,
    /// What a run of zero readings the model expects use on is taken for.
    pub zeros: Zeros,
}

impl Inputs {
    /// A meter and a temperature file with the columns found by name, stamps with offsets.
    pub fn new(meter: impl Into<PathBuf>, temperature: impl Into<PathBuf>, unit: TempUnit) -> Self {
        Inputs {
            meter: meter.into(),
            temperature: temperature.into(),
            unit,
            zone: None,
            temperature_zone: None,
            allow_temperature_shift: false,
            meter_time_column: None,
            meter_value_column: None,
            temperature_time_column: None,
            temperature_column: None,
            allow_negative: false,
            zeros: Zeros::Check,
        }
    }

    /// Reads a meter file (`path`, or this input's meter) as `freq` data.
    pub fn read_meter(&self, path: &Path, freq: Freq) -> Result<Meter> {
        self.read_meter_as(path, freq, false)
    }

    /// Reads a meter file as `freq` data, the interval of a model where `of_model`.
    fn read_meter_as(&self, path: &Path, freq: Freq, of_model: bool) -> Result<Meter> {
        let opts = MeterOptions {
            time_column: self.meter_time_column.clone(),
            end_column: None,
            value_column: self.meter_value_column.clone(),
            zone: self.zone,
            allow_negative: self.allow_negative,
            zeros: self.zeros,
            freq_of_model: of_model,
        };
        Meter::read(path, freq, &opts)
    }

    /// Reads the temperature file (naive stamps in `temperature_zone`, else `zone`), and
    /// checks its clock against `zone`'s, the meter's local one, unless allowed.
    pub fn read_temperature(&self) -> Result<Temperature> {
        let t = Temperature::read(
            &self.temperature,
            self.unit,
            self.temperature_time_column.as_deref(),
            self.temperature_column.as_deref(),
            self.temperature_zone.or(self.zone),
        )?;
        if let Some(z) = self.zone
            && !self.allow_temperature_shift
        {
            t.check_clock(z)?;
        }
        Ok(t)
    }

    fn bound(&self, meter: &Meter, text: Option<&str>) -> Result<Option<i64>> {
        text.map(|t| meter.resolve(t, self.zone)).transpose()
    }
}

/// A reporting period that starts before the baseline period ends is refused unless
/// allowed: its savings would compare the model with the data it was fitted on.
pub fn check_overlap(baseline_end: &str, start: Option<i64>, allow: bool) -> Result<()> {
    let (Some(start), false) = (start, allow) else {
        return Ok(());
    };
    let Ok(end) = chrono::DateTime::parse_from_rfc3339(baseline_end) else {
        return Ok(());
    };
    if start < end.timestamp() {
        return Err(setting(format!(
            "the reporting period starts {} hours before the baseline period ends ({baseline_end}): start it at or after the baseline's end, or pass --allow-overlap",
            (end.timestamp() - start) / 3600
        )));
    }
    Ok(())
}

/// One line describing a fitted model.
pub fn describe(b: &Baseline) -> String {
    match &b.model {
        Model::DegreeDay(m) => {
            let mut s = format!("usage/day = {:.4}", m.intercept);
            if let (Some(h), Some(bh)) = (m.heating_balance_point, m.beta_hdd) {
                let _ = write!(s, " + {bh:.5} × HDD{h}");
            }
            if let (Some(c), Some(bc)) = (m.cooling_balance_point, m.beta_cdd) {
                let _ = write!(s, " + {bc:.5} × CDD{c}");
            }
            let kind = match m.kind {
                Kind::InterceptOnly => "intercept only",
                Kind::HddOnly => "HDD only",
                Kind::CddOnly => "CDD only",
                Kind::HddCdd => "HDD + CDD",
            };
            let search = b.search.as_ref().map_or(String::new(), |s| {
                format!(
                    "; {} of {} candidates qualified on a {} °F grid",
                    s.candidates_qualified, s.candidates_fitted, s.grid.step
                )
            });
            format!(
                "{kind}: {s} (°F; R² {:.4}, adjusted {:.4}{search})",
                m.r2, m.adj_r2
            )
        }
        Model::Towt(t) => {
            let months = t.months.iter().flatten().count();
            let occupied: usize = t
                .months
                .iter()
                .flatten()
                .map(|m| m.occupied.iter().filter(|o| **o).count())
                .sum();
            format!(
                "time of week and temperature: {months} month models, {:.0} occupied hours of week on average, up to {} parameters",
                occupied as f64 / months.max(1) as f64,
                t.n_params()
            )
        }
    }
}

/// The ASHRAE Guideline 14 line of a fitted baseline, with its verdict.
pub fn g14_line(b: &Baseline) -> String {
    let f = &b.fit;
    let verdict = match (f.passes_cv_rmse, f.passes_nmbe) {
        (Some(a), Some(n)) => format!(
            " — {} ({} criteria: CV(RMSE) {}, NMBE {})",
            if a && n { "passes" } else { "fails" },
            match b.freq {
                Freq::Hourly => "hourly",
                _ => "monthly",
            },
            if a { "ok" } else { "over" },
            if n { "ok" } else { "over" }
        ),
        _ => " (the guideline sets no criterion for daily data)".into(),
    };
    format!(
        "ASHRAE Guideline 14: CV(RMSE) {:.1} %, NMBE {:+.2} %, R² {:.3}, lag-1 ρ {:+.3}, n {}, p {}{verdict}",
        100.0 * f.cv_rmse,
        100.0 * f.nmbe,
        f.r2,
        f.lag1_autocorrelation,
        f.n,
        f.n_params
    )
}

/// The masked periods: a count, then the first five (all when `verbose`).
pub fn masked_lines(t: &mut String, masked: &[Masked], verbose: bool) {
    if masked.is_empty() {
        return;
    }
    // (an empty sum is −0.0)
    let usage: f64 = masked.iter().filter_map(|m| m.usage).sum::<f64>() + 0.0;
    let unknown = masked.iter().filter(|m| m.usage.is_none()).count();
    let zeros = masked
        .iter()
        .filter(|m| m.reason.ends_with(crate::zeros::MISSING))
        .count();
    let _ = writeln!(
        t,
        "masked: {} periods (holding {usage:.2} of usage{}{}); all listed in the report",
        masked.len(),
        if unknown > zeros {
            format!(
                ", {} without a usage: empty values or no rows",
                unknown - zeros
            )
        } else {
            String::new()
        },
        if zeros > 0 {
            format!(", {zeros} zero readings taken as missing")
        } else {
            String::new()
        }
    );
    let shown = if verbose {
        masked.len()
    } else {
        masked.len().min(5)
    };
    for m in &masked[..shown] {
        let _ = writeln!(t, "  {} to {}: {}", m.start, m.end, m.reason);
    }
    if shown < masked.len() {
        let _ = writeln!(t, "  … {} more (-v lists them all)", masked.len() - shown);
    }
}

// ---------------------------------------------------------------------------------------
// baseline

/// A baseline to fit: the inputs, the data interval, the baseline period and the fit's
/// settings.
#[derive(Debug, Clone)]
pub struct BaselineSettings {
    pub inputs: Inputs,
    pub freq: Freq,
    /// The baseline period's start and end (a date or a time; the whole meter without).
    pub start: Option<String>,
    pub end: Option<String>,
    pub fit: FitSettings,
}

/// A fitted baseline and the meter's unit.
#[derive(Debug)]
pub struct BaselineRun {
    pub fitted: Fitted,
    /// The meter's unit, where its file says it.
    pub unit: Option<String>,
}

/// Reads the inputs (phase `read`) and fits the baseline (phase `fit`).
pub fn fit_baseline(s: &BaselineSettings, span: &mut Span) -> Result<BaselineRun> {
    let (meter, temp) = span.phase("read", |_| -> Result<_> {
        Ok((
            s.inputs.read_meter(&s.inputs.meter, s.freq)?,
            s.inputs.read_temperature()?,
        ))
    })?;
    let start = s.inputs.bound(&meter, s.start.as_deref())?;
    let end = s.inputs.bound(&meter, s.end.as_deref())?;
    let fitted = span.phase("fit", |_| {
        baseline::fit(&meter, &temp, s.inputs.unit, start, end, &s.fit)
    })?;
    Ok(BaselineRun {
        fitted,
        unit: meter.unit.clone(),
    })
}

/// Writes a baseline model file (phase `write`), atomically.
pub fn write_model(b: &Baseline, out: &Path, span: &mut Span) -> Result<()> {
    let json = serde_json::to_vec_pretty(b).map_err(|e| io(out, "writing", e))?;
    span.phase("write", |_| write_atomic(out, &json))
        .map_err(|e| io(out, "writing", e))
}

impl BaselineRun {
    /// The text the command prints: the model, its Guideline 14 fit, sufficiency, notes and
    /// masked periods, and where the model (and a plot) were written.
    pub fn text(&self, verbose: bool, out: &Path, plot: Option<&Path>) -> String {
        let b = &self.fitted.baseline;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "baseline: {} data, {} to {}, {} periods used",
            b.freq,
            b.start,
            b.end,
            self.fitted.periods.len()
        );
        let _ = writeln!(t, "model: {}", describe(b));
        let _ = writeln!(t, "{}", g14_line(b));
        let s = &b.sufficiency;
        let _ = writeln!(
            t,
            "sufficiency: {} ({:.1} days, {:.1} % covered)",
            if s.qualified() {
                "qualified"
            } else {
                "DISQUALIFIED"
            },
            s.span_days,
            100.0 * s.covered_fraction
        );
        for d in &s.disqualifications {
            let _ = writeln!(t, "  disqualified: {d}");
        }
        for w in &s.warnings {
            let _ = writeln!(t, "  warning: {w}");
        }
        for n in &b.notes {
            let _ = writeln!(t, "note: {n}");
        }
        masked_lines(&mut t, &b.masked, verbose);
        let _ = writeln!(t, "model written to {}", out.display());
        if let Some(p) = plot {
            let _ = writeln!(t, "plot written to {}", p.display());
        }
        t
    }
}

/// Reads a baseline model file written by [`write_model`], checking its format and version.
pub fn load_model(path: &Path) -> Result<Baseline> {
    let text = std::fs::read(path).map_err(|e| io(path, "reading", e))?;
    let damaged = |m: String| BuildingError::File {
        path: path.to_path_buf(),
        message: format!("{}: {m}", path.display()),
    };
    let v: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| damaged(format!("not a JSON model file: {e}")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(baseline::FORMAT) {
        return Err(damaged(
            "not a baseline model file (written by `terrawatt building baseline`)".into(),
        ));
    }
    let version = v.get("version").and_then(|f| f.as_u64()).unwrap_or(0);
    if version != baseline::VERSION as u64 {
        return Err(damaged(format!(
            "baseline model format version {version}; this terrawatt reads version {}",
            baseline::VERSION
        )));
    }
    serde_json::from_value(v).map_err(|e| damaged(format!("the baseline model is damaged: {e}")))
}

// ---------------------------------------------------------------------------------------
// savings

/// Savings to measure: a fitted model, the reporting period's inputs and bounds.
#[derive(Debug, Clone)]
pub struct SavingsSettings {
    pub model: Baseline,
    pub inputs: Inputs,
    /// The reporting period's start (required) and end (the meter's end without).
    pub start: String,
    pub end: Option<String>,
    /// The confidence level of the uncertainty band, in (0, 1).
    pub confidence: f64,
    /// A reporting period that overlaps the baseline period is allowed.
    pub allow_overlap: bool,
}

/// Savings over a reporting period, each period's prediction, and the meter's unit.
#[derive(Debug)]
pub struct SavingsRun {
    pub savings: Savings,
    pub rows: Vec<Row>,
    pub unit: Option<String>,
}

/// Reads the inputs (phase `read`) and predicts the reporting period (phase `predict`).
pub fn savings(s: &SavingsSettings, span: &mut Span) -> Result<SavingsRun> {
    if !(s.confidence > 0.0 && s.confidence < 1.0) {
        return Err(setting(format!(
            "--confidence {} must be in (0, 1)",
            s.confidence
        )));
    }
    let (meter, temp) = span.phase("read", |_| -> Result<_> {
        Ok((
            s.inputs
                .read_meter_as(&s.inputs.meter, s.model.freq, true)?,
            s.inputs.read_temperature()?,
        ))
    })?;
    let start = s.inputs.bound(&meter, Some(&s.start))?;
    let end = s.inputs.bound(&meter, s.end.as_deref())?;
    check_overlap(&s.model.end, start, s.allow_overlap)?;
    let (savings, rows) = span.phase("predict", |_| {
        baseline::savings(&s.model, &meter, &temp, start, end, s.confidence)
    })?;
    Ok(SavingsRun {
        savings,
        rows,
        unit: meter.unit.clone(),
    })
}

impl SavingsRun {
    /// The periods as CSV: start, end, temperature (°F), observed and predicted use.
    pub fn periods_csv(&self) -> String {
        let mut csv = String::from("start,end,temperature_f,observed,predicted\n");
        for r in &self.rows {
            let _ = writeln!(
                csv,
                "{},{},{},{},{}",
                rfc3339(r.start, r.offset),
                rfc3339(r.end, r.offset),
                r.temp,
                r.observed,
                r.predicted
            );
        }
        csv
    }

    /// The lines of the savings: the period, the totals and both uncertainty bands.
    pub fn lines(&self, t: &mut String) {
        let s = &self.savings;
        let _ = writeln!(
            t,
            "reporting: {} to {}, {} periods",
            s.start, s.end, s.periods
        );
        let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1} %", 100.0 * v));
        let _ = writeln!(
            t,
            "predicted baseline {:.2}, observed {:.2}, avoided {:.2} ({})",
            s.predicted_total,
            s.observed_total,
            s.avoided,
            pct(s.fractional_savings)
        );
        let band = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("± {v:.2}"));
        let _ = writeln!(
            t,
            "uncertainty at {:.0} % confidence: {} (fsu {}, CalTRACK); {} (fsu {}, ASHRAE Guideline 14)",
            100.0 * s.confidence,
            band(s.avoided_uncertainty),
            pct(s.fsu),
            band(s.avoided_uncertainty_g14),
            pct(s.fsu_g14)
        );
        for n in &s.notes {
            let _ = writeln!(t, "note: {n}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// portfolio

/// The meter files of a folder (every .csv, .csv.gz and .parquet in it, sorted by name).
pub fn meter_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, "reading the folder", e))?;
    for e in entries {
        let p = e.map_err(|e| io(dir, "reading the folder", e))?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_file()
            && [".csv", ".csv.gz", ".parquet"]
                .iter()
                .any(|x| name.ends_with(x))
        {
            out.push(p);
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(setting(format!(
            "{}: no meter files (.csv, .csv.gz, .parquet) in the folder",
            dir.display()
        )));
    }
    Ok(out)
}

/// The meter files of a list of files and folders: folders expanded, files as given; each
/// once.
pub fn meters_of(items: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in items {
        let found = if p.is_dir() {
            meter_files(p)?
        } else if p.is_file() {
            vec![p.clone()]
        } else {
            return Err(setting(format!(
                "--meters {}: no such file or folder",
                p.display()
            )));
        };
        for f in found {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    refuse_the_same_meter_twice(&out)?;
    Ok(out)
}

/// Refuses two meter files that are one file (a link to it) or hold the same bytes once
/// decompressed (`m1.csv` beside `m1.csv.gz`): a portfolio had summed such a meter three
/// times, and its uncertainty shrank as if the copies were independent buildings.
fn refuse_the_same_meter_twice(files: &[PathBuf]) -> Result<()> {
    use std::collections::HashMap;
    use std::hash::{Hash, Hasher};
    let decoded = |f: &Path| -> Result<Vec<u8>> { Ok(terrawatt_table::read_decoded(f)?) };
    let mut seen: HashMap<(usize, u64), &PathBuf> = HashMap::new();
    let mut real: HashMap<PathBuf, &PathBuf> = HashMap::new();
    for f in files {
        let canonical = std::fs::canonicalize(f).map_err(|e| io(f, "reading", e))?;
        if let Some(first) = real.insert(canonical, f) {
            return Err(setting(format!(
                "--meters: {} and {} are the same file (a link): each meter once",
                first.display(),
                f.display()
            )));
        }
        let text = decoded(f)?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        if let Some(first) = seen.insert((text.len(), h.finish()), f)
            && decoded(first)? == text
        {
            return Err(setting(format!(
                "--meters: {} and {} hold the same readings (a file and its compressed copy?): it would be counted twice, and the uncertainty taken as two buildings'; keep one",
                first.display(),
                f.display()
            )));
        }
    }
    Ok(())
}

/// A portfolio: every meter's baseline fitted and its savings measured, with one
/// temperature file, then the totals.
#[derive(Debug, Clone)]
pub struct PortfolioSettings {
    /// The meter files (see [`meters_of`]); `inputs.meter` is not used.
    pub meters: Vec<PathBuf>,
    pub inputs: Inputs,
    pub freq: Freq,
    pub baseline_start: Option<String>,
    pub baseline_end: String,
    pub start: String,
    pub end: Option<String>,
    pub fit: FitSettings,
    pub confidence: f64,
    pub allow_overlap: bool,
    /// The unit of meters whose file does not say one.
    pub unit: Option<&'static str>,
    /// The unit every meter is converted to before the totals.
    pub convert_to: Option<&'static str>,
}

/// One meter of a portfolio.
#[derive(Debug, Serialize)]
pub struct PortfolioMeter {
    pub meter: String,
    /// `ok` or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savings: Option<Savings>,
    /// Why a meter was left out (its error, with its causes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A portfolio's meters and totals.
#[derive(Debug, Serialize)]
pub struct Portfolio {
    pub meters: Vec<PortfolioMeter>,
    pub meters_total: usize,
    pub meters_evaluated: usize,
    pub predicted_total: f64,
    pub observed_total: f64,
    pub avoided: f64,
    pub fractional_savings: f64,
    /// Root-sum-square of the meters' bands (the meters independent); none where a meter
    /// has no band.
    pub avoided_uncertainty: Option<f64>,
    pub unit: Option<String>,
    pub confidence: f64,
    /// The factor each evaluated meter was multiplied by (1 without conversion).
    #[serde(skip)]
    factors: Vec<f64>,
}

/// An error with its causes, each after ": ".
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_string()
}

type OneMeter = (Baseline, Savings, Option<String>);

fn one_meter(s: &PortfolioSettings, temp: &Temperature, path: &Path) -> Result<OneMeter> {
    let meter = s.inputs.read_meter(path, s.freq)?;
    let unit = meter.unit.clone().or(s.unit.map(str::to_string));
    let bs = s.inputs.bound(&meter, s.baseline_start.as_deref())?;
    let be = s.inputs.bound(&meter, Some(&s.baseline_end))?;
    let fitted = baseline::fit(&meter, temp, s.inputs.unit, bs, be, &s.fit)?;
    let rs = s.inputs.bound(&meter, Some(&s.start))?;
    let re = s.inputs.bound(&meter, s.end.as_deref())?;
    check_overlap(&fitted.baseline.end, rs, s.allow_overlap)?;
    let (sv, _) = baseline::savings(&fitted.baseline, &meter, temp, rs, re, s.confidence)?;
    Ok((fitted.baseline, sv, unit))
}

/// The factor from a meter's unit to the unit converted to (1 without conversion).
fn factor_of(convert_to: Option<&'static str>, u: &Option<String>) -> Result<f64> {
    let Some(target) = convert_to else {
        return Ok(1.0);
    };
    let kwh = |name: &str| {
        series::UNITS_KWH
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
    };
    match u.as_deref().and_then(series::unit_name) {
        Some(from) => Ok(kwh(from).unwrap_or(1.0) / kwh(target).unwrap_or(1.0)),
        None => Err(setting(format!(
            "--convert-to {target}: a meter's unit is {}; give it a unit column, or --unit",
            u.as_deref().map_or("not said".to_string(), |u| format!(
                "'{u}', which terrawatt does not convert"
            ))
        ))),
    }
}

/// One total needs one unit: meters in different units (or some without one) are refused,
/// or converted; the factors of the evaluated meters and the total's unit.
fn portfolio_units(
    s: &PortfolioSettings,
    results: &[(PathBuf, Result<OneMeter>)],
) -> Result<(Vec<f64>, Option<String>)> {
    let units: Vec<(String, Option<String>)> = results
        .iter()
        .filter_map(|(p, r)| r.as_ref().ok().map(|(_, _, u)| (name_of(p), u.clone())))
        .collect();
    let mut distinct: Vec<Option<String>> = units.iter().map(|(_, u)| u.clone()).collect();
    distinct.sort();
    distinct.dedup();
    if s.convert_to.is_none() && distinct.len() > 1 {
        return Err(setting(format!(
            "the meters are in different units ({}): one total would add them; convert with --convert-to kWh (a therm is 29.3071 kWh), or evaluate them apart",
            units
                .iter()
                .map(|(n, u)| format!("{n}: {}", u.as_deref().unwrap_or("no unit")))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut factors = Vec::with_capacity(units.len());
    for (n, u) in &units {
        factors.push(factor_of(s.convert_to, u).map_err(|e| setting(format!("{n}: {e}")))?);
    }
    let unit = s
        .convert_to
        .map(str::to_string)
        .or_else(|| distinct.first().cloned().flatten());
    Ok((factors, unit))
}

/// Reads the temperature (phase `read temperature`), evaluates every meter in parallel
/// (phase `meters`: a meter that fails is left out with its reason) and sums the rest.
pub fn portfolio(s: &PortfolioSettings, span: &mut Span) -> Result<Portfolio> {
    if !(s.confidence > 0.0 && s.confidence < 1.0) {
        return Err(setting(format!(
            "--confidence {} must be in (0, 1)",
            s.confidence
        )));
    }
    let temp = span.phase("read temperature", |_| s.inputs.read_temperature())?;
    let results: Vec<(PathBuf, Result<OneMeter>)> = span.phase("meters", |_| {
        s.meters
            .par_iter()
            .map(|p| (p.clone(), one_meter(s, &temp, p)))
            .collect()
    });
    let (factors, unit) = portfolio_units(s, &results)?;
    let mut factor = factors.iter().copied();
    let mut out = Portfolio {
        meters: Vec::with_capacity(results.len()),
        meters_total: s.meters.len(),
        meters_evaluated: 0,
        predicted_total: 0.0,
        observed_total: 0.0,
        avoided: 0.0,
        fractional_savings: 0.0,
        avoided_uncertainty: None,
        unit,
        confidence: s.confidence,
        factors: vec![],
    };
    let (mut var_sum, mut band_defined) = (0.0, true);
    for (path, r) in results {
        let meter = name_of(&path);
        match r {
            Ok((b, sv, _)) => {
                let k = factor.next().unwrap_or(1.0);
                out.factors.push(k);
                out.meters_evaluated += 1;
                out.predicted_total += k * sv.predicted_total;
                out.observed_total += k * sv.observed_total;
                match sv.avoided_uncertainty {
                    Some(u) => var_sum += (k * u) * (k * u),
                    None => band_defined = false,
                }
                let kind = match &b.model {
                    Model::DegreeDay(m) => serde_json::to_value(m.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    Model::Towt(_) => "towt".into(),
                };
                out.meters.push(PortfolioMeter {
                    meter,
                    status: "ok",
                    model: Some(kind),
                    savings: Some(sv),
                    reason: None,
                });
            }
            Err(e) => out.meters.push(PortfolioMeter {
                meter,
                status: "failed",
                model: None,
                savings: None,
                reason: Some(chain(&e)),
            }),
        }
    }
    out.avoided = out.predicted_total - out.observed_total;
    out.fractional_savings = out.avoided / out.predicted_total;
    out.avoided_uncertainty = band_defined.then(|| var_sum.sqrt());
    Ok(out)
}

impl Portfolio {
    /// A line per meter: its savings, or why it was left out.
    pub fn meter_lines(&self) -> String {
        let mut t = String::new();
        let pct = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{:.1} %", 100.0 * v));
        for m in &self.meters {
            match (&m.savings, &m.reason) {
                (Some(s), _) => {
                    let _ = writeln!(
                        t,
                        "{}: predicted {:.2}, observed {:.2}, avoided {:.2} ({}), fsu {}",
                        m.meter,
                        s.predicted_total,
                        s.observed_total,
                        s.avoided,
                        pct(s.fractional_savings),
                        pct(s.fsu)
                    );
                }
                (None, reason) => {
                    let _ = writeln!(
                        t,
                        "{}: left out — {}",
                        m.meter,
                        reason.as_deref().unwrap_or("")
                    );
                }
            }
        }
        t
    }

    /// The meter lines and the totals' line.
    pub fn text(&self) -> String {
        let mut t = self.meter_lines();
        let _ = writeln!(
            t,
            "portfolio: {} of {} meters; predicted {:.2}, observed {:.2}, avoided {:.2}{} ({:.1} %), uncertainty at {:.0} %: {}",
            self.meters_evaluated,
            self.meters_total,
            self.predicted_total,
            self.observed_total,
            self.avoided,
            self.unit
                .as_deref()
                .map_or(String::new(), |u| format!(" {u}")),
            100.0 * self.fractional_savings,
            100.0 * self.confidence,
            self.avoided_uncertainty.map_or("n/a".into(), |b| format!(
                "± {b:.2} (root-sum-square, meters independent)"
            ))
        );
        t
    }

    /// The table of meters as CSV (each meter's own figures, in its own unit).
    pub fn csv(&self) -> String {
        let mut csv = String::from(
            "meter,status,model,predicted_total,observed_total,avoided,fractional_savings,fsu,avoided_uncertainty,reason\n",
        );
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
        for m in &self.meters {
            match &m.savings {
                Some(s) => {
                    let _ = writeln!(
                        csv,
                        "{},ok,{},{},{},{},{},{},{},",
                        m.meter,
                        m.model.as_deref().unwrap_or(""),
                        s.predicted_total,
                        s.observed_total,
                        s.avoided,
                        opt(s.fractional_savings),
                        opt(s.fsu),
                        opt(s.avoided_uncertainty)
                    );
                }
                None => {
                    let reason = m.reason.as_deref().unwrap_or("");
                    let _ = writeln!(
                        csv,
                        "{},failed,,,,,,,,\"{}\"",
                        m.meter,
                        reason.replace('"', "'")
                    );
                }
            }
        }
        csv
    }
}
