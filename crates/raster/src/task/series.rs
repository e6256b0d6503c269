//! `raster breaks` and `raster trend` on one series from a table (CSV or Parquet: a time
//! column and a value column, e.g. a field's mean NDVI or one pixel exported from elsewhere):
//! the same models as on a stack, one series at a time, so that a user checks a series
//! before running a tile.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_table::Table;

use super::{Files, Progress, RasterTask, TaskResults};
use crate::series::bfast::{self, History, MonitorSettings};
use crate::series::model::{Design, predict};
use crate::series::trend::{self, MannKendall, TheilSen};
use crate::series::{parse_time, regular_times, year_period};
use crate::{RasterError, Result};

/// The decimal years a time column may hold.
pub const YEARS: std::ops::RangeInclusive<f64> = 1000.0..=3000.0;

/// A series in a table.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInput {
    pub path: PathBuf,
    /// The time column: decimal years, or dates (`2010-06-26`, a timestamp's date).
    pub time: String,
    pub value: String,
    /// A regular series of this many observations a year (R's `ts`): the decimal-year times
    /// are put on that grid (each within a hundredth of a step, or refused) and the trend
    /// regressor is the position, as R's bfast takes it.
    pub per_year: Option<usize>,
}

/// A series' observations in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Observations {
    /// Decimal years.
    pub t: Vec<f64>,
    /// NaN where missing.
    pub y: Vec<f64>,
    /// The trend regressor: the position (regular series) or the time.
    pub trend: Vec<f64>,
    pub missing: usize,
    pub per_year: Option<usize>,
}

impl SeriesInput {
    /// Reads and checks the series: times present and increasing, values missing kept as
    /// missing and counted.
    pub fn read(&self) -> Result<Observations> {
        let table = Table::read(&self.path).map_err(|e| self.invalid(e.to_string()))?;
        let (y, missing) = table
            .numeric(&self.value)
            .map_err(|e| self.invalid(e.to_string()))?;
        let t = if table.is_numeric(&self.time) {
            let (t, gaps) = table
                .numeric(&self.time)
                .map_err(|e| self.invalid(e.to_string()))?;
            if gaps > 0 {
                let row = t.iter().position(|v| v.is_nan()).unwrap_or(0);
                return Err(self.invalid(format!(
                    "column '{}', {}: no time; every row needs one",
                    self.time,
                    table.place(row)
                )));
            }
            // an observation's number (1…720) read as a year made a slope per year 24 times
            // too small for 24 observations a year
            if let Some(row) = t.iter().position(|v| !YEARS.contains(v)) {
                return Err(self.invalid(format!(
                    "column '{}', {}: {} is not a year ({}–{}): times are dates or decimal years. An observation's number? Give year + (number − 1) / observations a year, with --per-year for a regular series",
                    self.time,
                    table.place(row),
                    t[row],
                    YEARS.start(),
                    YEARS.end()
                )));
            }
            t
        } else {
            if self.per_year.is_some() {
                return Err(self.invalid(format!(
                    "--per-year takes a time column of decimal years (a regular series); column '{}' holds dates, which are used as they are",
                    self.time
                )));
            }
            let text = table
                .strings(&self.time)
                .map_err(|e| self.invalid(e.to_string()))?;
            let mut t = Vec::with_capacity(text.len());
            for (row, s) in text.iter().enumerate() {
                let day = s.get(..10).unwrap_or(s);
                t.push(parse_time(day, None).map_err(|_| {
                    self.invalid(format!(
                        "column '{}', {}: '{s}' is not a date (YYYY-MM-DD) or a decimal year",
                        self.time,
                        table.place(row)
                    ))
                })?);
            }
            t
        };
        if t.is_empty() {
            return Err(self.invalid("the table has no rows".into()));
        }
        for i in 1..t.len() {
            if t[i] <= t[i - 1] {
                return Err(self.invalid(format!(
                    "column '{}', {}: {} is {} the time before it; give each time once, in order",
                    self.time,
                    table.place(i),
                    t[i],
                    if t[i] == t[i - 1] {
                        "the same as"
                    } else {
                        "before"
                    }
                )));
            }
        }
        let (t, trend) = match self.per_year {
            None => (t.clone(), t),
            Some(f) => {
                let (year, period) = year_period(t[0], f);
                let grid = regular_times(year, period, t.len(), f);
                if let Some(i) = (0..t.len()).find(|&i| (t[i] - grid[i]).abs() > 0.01 / f as f64) {
                    return Err(self.invalid(format!(
                        "column '{}', {}: {} is not on the regular grid of {f} a year that starts at {year}({period}) ({:.6} expected); a gap must be a row with a missing value",
                        self.time,
                        table.place(i),
                        t[i],
                        grid[i]
                    )));
                }
                (grid, (1..=t.len()).map(|i| i as f64).collect())
            }
        };
        Ok(Observations {
            t,
            y,
            trend,
            missing,
            per_year: self.per_year,
        })
    }

    fn invalid(&self, message: String) -> RasterError {
        let text = message;
        let shown = self.path.display().to_string();
        if text.starts_with(&shown) {
            RasterError::Invalid(text)
        } else {
            RasterError::Input {
                path: shown,
                message: text,
            }
        }
    }

    fn label(&self) -> String {
        format!("{} '{}'", self.path.display(), self.value)
    }
}

/// One series against its model, to look at: the observations, the model's value at each
/// (NaN before the stable history), and the dates that matter.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub label: String,
    pub t: Vec<f64>,
    pub y: Vec<f64>,
    pub fit: Vec<f64>,
    pub history_start: f64,
    pub monitor_start: f64,
    pub break_time: Option<f64>,
    pub magnitude: f64,
}

impl Explained {
    /// The model of `m` over `t` (from its stable history's start on).
    pub fn new(
        label: String,
        (t, y, trend): (&[f64], &[f64], &[f64]),
        s: &MonitorSettings,
        m: &bfast::Monitor,
    ) -> Explained {
        let fit = t
            .iter()
            .zip(trend)
            .map(|(&x, &tr)| {
                if x >= m.history_start {
                    predict(&s.design, &m.coefficients, x, tr)
                } else {
                    f64::NAN
                }
            })
            .collect();
        Explained {
            label,
            t: t.to_vec(),
            y: y.to_vec(),
            fit,
            history_start: m.history_start,
            monitor_start: s.start,
            break_time: m.break_time,
            magnitude: m.magnitude,
        }
    }
}

/// A time as a person reads it: `2010.913 (2010(22))` for a regular series, `2010.913
/// (2010-11-29)` otherwise.
pub fn show_time(t: f64, per_year: Option<usize>) -> String {
    match per_year {
        Some(f) => {
            let (y, p) = year_period(t, f);
            format!("{t:.6} ({y}({p}))")
        }
        None => {
            let year = t.floor() as i32;
            let days = if chrono::NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
                366.0
            } else {
                365.0
            };
            let doy = ((t - year as f64) * days).round() as u32;
            match chrono::NaiveDate::from_yo_opt(year, doy + 1) {
                Some(d) => format!("{t:.6} ({d})"),
                None => format!("{t:.6}"),
            }
        }
    }
}

/// The stable-history choice of the command line: `roc`, `all`, or a time.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryChoice {
    Roc,
    All,
    From(String),
}

impl std::str::FromStr for HistoryChoice {
    type Err = crate::ParseError;

    /// `roc`, `all`, or the history's first time (a date, a decimal year or YEAR(PERIOD)),
    /// or its first and last times as `START/END`.
    fn from_str(s: &str) -> std::result::Result<HistoryChoice, crate::ParseError> {
        Ok(match s {
            "roc" | "ROC" => HistoryChoice::Roc,
            "all" => HistoryChoice::All,
            "" => {
                return Err(crate::ParseError::expected(
                    "roc, all or the history's first time",
                ));
            }
            other => HistoryChoice::From(other.to_string()),
        })
    }
}

/// BFAST Monitor's settings as the command line gives them (for a series or a stack).
#[derive(Debug, Clone, PartialEq)]
pub struct Monitoring {
    /// The monitoring period: `START` or `START/END` (dates, decimal years or YEAR(PERIOD));
    /// observations after END are left out (a series only: a stack is monitored to its
    /// last date).
    pub monitor: String,
    pub history: HistoryChoice,
    pub design: Design,
    pub h: f64,
    pub end: f64,
    pub level: f64,
}

impl Monitoring {
    /// bfastmonitor's defaults from `monitor`: ROC history, three harmonics and a trend,
    /// h 0.25, horizon 10, level 0.05.
    pub fn new(monitor: &str) -> Monitoring {
        Monitoring {
            monitor: monitor.into(),
            history: HistoryChoice::Roc,
            design: Design::default(),
            h: 0.25,
            end: 10.0,
            level: 0.05,
        }
    }

    /// Refuses a seasonal model (harmonics) over a history shorter than a year: its
    /// harmonics are fitted on part of a season cycle and extrapolated, so the monitoring
    /// reads the rest of the cycle as breaks (803 of 803 fitted pixels of the sample stack
    /// with 8 months of history, against its truth of none before 2021). Under two years,
    /// a warning (with one year, 97 % of the pixels broke). `first` is the first time of
    /// the series (decimal year).
    pub fn check_history(&self, s: &MonitorSettings, first: f64) -> Result<Option<String>> {
        if s.design.harmonics == 0 || !first.is_finite() {
            return Ok(None);
        }
        let (from, to) = match s.history {
            History::Roc | History::All => (first, s.start),
            History::From(f) => (f.max(first), s.start),
            History::Between(f, t) => (f.max(first), t),
        };
        let years = to - from;
        let span = format!(
            "the history before --monitor {} spans {:.1} months (from {:.3})",
            self.monitor,
            12.0 * years,
            from
        );
        if years < 1.0 {
            return Err(RasterError::Invalid(format!(
                "{span}: a model with {} harmonics needs at least a year of history, or it reads the rest of the season cycle as breaks (nearly every pixel). Give an earlier history or a later --monitor, or --harmonics 0 (no season)",
                s.design.harmonics
            )));
        }
        Ok((years < 2.0).then(|| {
            format!(
                "{span}: a seasonal model on under two years of history breaks at many pixels that did not change (97 % of the sample stack's with one year); two years or more, or --harmonics 0, are safer"
            )
        }))
    }

    /// The model's settings and the last time kept (infinite without END), each option
    /// checked (the critical value must be in the table).
    pub fn settings(&self, per_year: Option<usize>) -> Result<(MonitorSettings, f64)> {
        let (start, until) = match self.monitor.split_once('/') {
            Some((a, b)) if !b.trim().is_empty() => (a, Some(b)),
            Some((a, _)) => (a, None),
            None => (self.monitor.as_str(), None),
        };
        let flag = |e: RasterError| RasterError::Invalid(format!("--monitor {e}"));
        let start = parse_time(start, per_year).map_err(flag)?;
        let until = match until {
            Some(u) => parse_time(u, per_year).map_err(flag)?,
            None => f64::INFINITY,
        };
        if until <= start {
            return Err(RasterError::Invalid(format!(
                "--monitor '{}': the end is not after the start",
                self.monitor
            )));
        }
        let mut s = MonitorSettings::new(start);
        s.history = match &self.history {
            HistoryChoice::Roc => History::Roc,
            HistoryChoice::All => History::All,
            HistoryChoice::From(text) => {
                let time = |t: &str| {
                    parse_time(t, per_year)
                        .map_err(|e| RasterError::Invalid(format!("--history {e}")))
                };
                let (from, to) = match text.split_once('/') {
                    Some((a, b)) if !b.trim().is_empty() => (time(a)?, Some(time(b)?)),
                    Some((a, _)) => (time(a)?, None),
                    None => (time(text)?, None),
                };
                if from >= start || to.is_some_and(|to| to >= start || to <= from) {
                    return Err(RasterError::Invalid(format!(
                        "--history '{text}': give START or START/END before the monitoring start (END after START)"
                    )));
                }
                match to {
                    Some(to) => History::Between(from, to),
                    None => History::From(from),
                }
            }
        };
        s.design = self.design;
        s.h = self.h;
        s.end = self.end;
        s.level = self.level;
        s.critical_value()?;
        Ok((s, until))
    }
}

/// BFAST Monitor on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct BreaksTask {
    pub input: SeriesInput,
    pub monitoring: Monitoring,
    /// The series with its fit, residuals and the MOSUM (CSV).
    pub out: Option<PathBuf>,
}

/// What BFAST Monitor found in one series.
#[derive(Debug, Clone, Serialize)]
pub struct BreaksResults {
    pub series: String,
    pub observations: usize,
    pub missing: usize,
    pub history: String,
    pub history_start: f64,
    pub n_history: usize,
    pub monitor_start: f64,
    pub n_monitor: usize,
    pub coefficient_names: Vec<String>,
    pub coefficients: Vec<f64>,
    pub r_squared: f64,
    pub sigma: f64,
    pub roc_statistic: Option<f64>,
    pub roc_p_value: Option<f64>,
    pub critical_value: f64,
    pub break_time: Option<f64>,
    pub magnitude: f64,
    pub out: Option<PathBuf>,
    #[serde(skip)]
    per_year: Option<usize>,
}

impl BreaksTask {
    fn settings(&self, per_year: Option<usize>) -> Result<(MonitorSettings, f64)> {
        self.monitoring.settings(per_year)
    }
}

impl BreaksTask {
    /// The series against its model (what `run` finds, for a chart).
    pub fn explain(&self) -> Result<Explained> {
        let obs = self.input.read()?;
        let (settings, until) = self.settings(obs.per_year)?;
        let critical = settings.critical_value()?;
        let keep: Vec<usize> = (0..obs.t.len()).filter(|&i| obs.t[i] <= until).collect();
        let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let (t, y, trend) = (pick(&obs.t), pick(&obs.y), pick(&obs.trend));
        let m = bfast::monitor(&t, &y, &trend, &settings, critical).map_err(|skip| {
            RasterError::Invalid(format!("{}: {}", self.input.label(), skip.reason()))
        })?;
        Ok(Explained::new(
            self.input.label(),
            (&t, &y, &trend),
            &settings,
            &m,
        ))
    }
}

impl RasterTask for BreaksTask {
    type Results = BreaksResults;

    fn files(&self) -> Result<Files> {
        self.settings(self.input.per_year)?;
        Ok(Files {
            inputs: vec![self.input.path.clone()],
            outputs: self.out.iter().cloned().collect(),
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, _progress: &dyn Progress) -> Result<BreaksResults> {
        let obs = span.phase("read", |_| self.input.read())?;
        let (settings, until) = self.settings(obs.per_year)?;
        let critical = settings.critical_value()?;
        let keep: Vec<usize> = (0..obs.t.len()).filter(|&i| obs.t[i] <= until).collect();
        let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let (t, y, trend) = (pick(&obs.t), pick(&obs.y), pick(&obs.trend));
        let first = (0..t.len())
            .find(|&i| y[i].is_finite())
            .map_or(f64::NAN, |i| t[i]);
        self.monitoring.check_history(&settings, first)?;
        let m = span.phase("breaks", |_| {
            bfast::monitor(&t, &y, &trend, &settings, critical)
        });
        let m = m.map_err(|skip| {
            RasterError::Invalid(format!(
                "{}: {} (history before {}: {} observations with values; the model has {} coefficients and the MOSUM window needs h × n > 1)",
                self.input.label(),
                skip.reason(),
                show_time(settings.start, obs.per_year),
                (0..t.len()).filter(|&i| t[i] < settings.start && y[i].is_finite()).count(),
                settings.design.columns()
            ))
        })?;
        if let Some(out) = &self.out {
            span.phase("write", |_| write_fit(out, &t, &y, &trend, &settings, &m))?;
        }
        Ok(BreaksResults {
            series: self.input.label(),
            observations: t.len(),
            missing: y.iter().filter(|v| v.is_nan()).count(),
            history: match settings.history {
                History::Roc => "ROC".into(),
                History::All => "all".into(),
                History::From(f) => format!("from {f}"),
                History::Between(f, to) => format!("from {f} to {to}"),
            },
            history_start: m.history_start,
            n_history: m.n_history,
            monitor_start: settings.start,
            n_monitor: m.n_monitor,
            coefficient_names: settings.design.names(),
            coefficients: m.coefficients.clone(),
            r_squared: m.r_squared,
            sigma: m.sigma,
            roc_statistic: m.roc.as_ref().map(|r| r.statistic),
            roc_p_value: m.roc.as_ref().map(|r| r.p_value),
            critical_value: critical,
            break_time: m.break_time,
            magnitude: m.magnitude,
            out: self.out.clone(),
            per_year: obs.per_year,
        })
    }
}

/// The series, the model's fit from the history start on, the residuals and the MOSUM with
/// its boundary over the monitoring period, as CSV.
fn write_fit(
    out: &Path,
    t: &[f64],
    y: &[f64],
    trend: &[f64],
    s: &MonitorSettings,
    m: &bfast::Monitor,
) -> Result<()> {
    let n = t.len();
    let mut fitted = vec![f64::NAN; n];
    let mut resid = vec![f64::NAN; n];
    let mut mosum = vec![f64::NAN; n];
    let mut boundary = vec![f64::NAN; n];
    for i in 0..n {
        if t[i] >= m.history_start {
            fitted[i] = predict(&s.design, &m.coefficients, t[i], trend[i]);
            resid[i] = y[i] - fitted[i];
        }
    }
    for (k, tm) in m.times.iter().enumerate() {
        if let Some(i) = t.iter().position(|v| v == tm) {
            mosum[i] = m.mosum[k];
            boundary[i] = m.boundary[k];
        }
    }
    terrawatt_table::write_csv_atomic(
        out,
        &["time", "value", "fitted", "residual", "mosum", "boundary"],
        &[t, y, &fitted, &resid, &mosum, &boundary],
    )
    .map_err(|e| RasterError::Write {
        path: out.display().to_string(),
        message: e.to_string(),
    })
}

impl TaskResults for BreaksResults {
    fn text(&self) -> String {
        let show = |t: f64| show_time(t, self.per_year);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "BFAST Monitor of {}: {} observations ({} missing)",
            self.series, self.observations, self.missing
        );
        let roc = match (self.roc_statistic, self.roc_p_value) {
            (Some(st), Some(p)) => format!(" (ROC statistic {st:.4}, p {p:.4})"),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "stable history ({}): from {}, {} observations{roc}",
            self.history,
            show(self.history_start),
            self.n_history
        );
        let _ = writeln!(
            s,
            "model: {}; R² {:.6}, σ {:.6}",
            self.coefficient_names
                .iter()
                .zip(&self.coefficients)
                .map(|(n, c)| format!("{n} {c:.6}"))
                .collect::<Vec<_>>()
                .join(", "),
            self.r_squared,
            self.sigma
        );
        let _ = writeln!(
            s,
            "monitoring: from {}, {} observations, OLS-MOSUM critical value {:.6}",
            show(self.monitor_start),
            self.n_monitor,
            self.critical_value
        );
        match self.break_time {
            Some(b) => {
                let _ = writeln!(s, "break: {}, magnitude {:.8}", show(b), self.magnitude);
            }
            None => {
                let _ = writeln!(s, "break: none, magnitude {:.8}", self.magnitude);
            }
        }
        if let Some(o) = &self.out {
            let _ = writeln!(s, "wrote {}", o.display());
        }
        s
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("series", 1.0))
    }
}

/// Theil–Sen and Mann–Kendall of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendTask {
    pub input: SeriesInput,
    /// The seasonal Kendall test over this many seasons (position modulo the period).
    pub seasonal: Option<usize>,
    /// The Theil–Sen bounds' confidence (0.95).
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendResults {
    pub series: String,
    pub observations: usize,
    pub missing: usize,
    /// Per year (the time in decimal years).
    pub theil_sen: Option<TheilSenOut>,
    pub mann_kendall: Option<MannKendall>,
    pub seasonal_mann_kendall: Option<MannKendall>,
    pub seasons: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TheilSenOut {
    pub slope_per_year: f64,
    pub intercept: f64,
    pub low: f64,
    pub high: f64,
    pub confidence: f64,
}

/// The trend settings a series and a stack share: a confidence in (0, 1), seasons ≥ 1.
pub(crate) fn check_trend(confidence: f64, seasonal: Option<usize>) -> Result<()> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RasterError::Invalid(format!(
            "--confidence {confidence}: give a share between 0 and 1, e.g. 0.95"
        )));
    }
    if seasonal == Some(0) {
        return Err(RasterError::Invalid(
            "--seasonal 0: give the seasons a year, e.g. 23".into(),
        ));
    }
    Ok(())
}

impl RasterTask for TrendTask {
    type Results = TrendResults;

    fn files(&self) -> Result<Files> {
        check_trend(self.confidence, self.seasonal)?;
        Ok(Files {
            inputs: vec![self.input.path.clone()],
            ..Files::default()
        })
    }

    fn run(&self, span: &mut Span, _progress: &dyn Progress) -> Result<TrendResults> {
        self.files()?;
        let obs = span.phase("read", |_| self.input.read())?;
        span.phase("trend", |_| {
            let ts: Option<TheilSen> = trend::theil_sen(&obs.t, &obs.y, self.confidence);
            Ok(TrendResults {
                series: self.input.label(),
                observations: obs.t.len(),
                missing: obs.missing,
                theil_sen: ts.map(|t| TheilSenOut {
                    slope_per_year: t.slope,
                    intercept: t.intercept,
                    low: t.low,
                    high: t.high,
                    confidence: self.confidence,
                }),
                mann_kendall: trend::mann_kendall(&obs.y),
                seasonal_mann_kendall: self
                    .seasonal
                    .and_then(|p| trend::seasonal_mann_kendall(&obs.y, p)),
                seasons: self.seasonal,
            })
        })
    }
}

impl TaskResults for TrendResults {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "trend of {}: {} observations ({} missing)",
            self.series, self.observations, self.missing
        );
        match &self.theil_sen {
            Some(t) if t.low.is_nan() => {
                let _ = writeln!(
                    s,
                    "Theil–Sen slope {:.6} per year ({:.0} % bounds not defined: {} observations are too few), intercept {:.6}",
                    t.slope_per_year,
                    t.confidence * 100.0,
                    self.observations,
                    t.intercept
                );
            }
            Some(t) => {
                let _ = writeln!(
                    s,
                    "Theil–Sen slope {:.6} per year ({:.0} % bounds {:.6} … {:.6}), intercept {:.6}",
                    t.slope_per_year,
                    t.confidence * 100.0,
                    t.low,
                    t.high,
                    t.intercept
                );
            }
            None => s.push_str("Theil–Sen: fewer than two times with values\n"),
        }
        let mk = |s: &mut String, name: &str, m: &Option<MannKendall>| match m {
            Some(m) => {
                let _ = writeln!(
                    s,
                    "{name}: S {}, var(S) {:.1}, z {:.4}, p {:.4}, τ {:.4} ({})",
                    m.s,
                    m.var_s,
                    m.z,
                    m.p,
                    m.tau,
                    if m.p < 0.05 {
                        if m.s > 0 {
                            "increasing at 5 %"
                        } else {
                            "decreasing at 5 %"
                        }
                    } else {
                        "no trend at 5 %"
                    }
                );
            }
            None => {
                let _ = writeln!(s, "{name}: too few values");
            }
        };
        mk(&mut s, "Mann–Kendall", &self.mann_kendall);
        if let Some(p) = self.seasons {
            mk(
                &mut s,
                &format!("seasonal Kendall ({p} seasons)"),
                &self.seasonal_mann_kendall,
            );
        }
        s
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("series", 1.0))
    }
}

/// CCDC (as lcmap-pyccd) of one pixel's Landsat series from a table: a date column and the
/// columns `blue`, `green`, `red`, `nir`, `swir1`, `swir2` (reflectance × 10,000), `thermal`
/// (kelvin × 10) and `qa` (Collection 1 `pixel_qa`).
#[derive(Debug, Clone, PartialEq)]
pub struct CcdcTask {
    pub path: PathBuf,
    pub time: String,
    /// The segments as CSV: days, dates, counts, change, curve QA, and per band magnitude,
    /// RMSE, intercept and the seven coefficients.
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CcdcResults {
    pub series: String,
    pub observations: usize,
    /// Observations CCDC used (clear or water, values in range, outliers removed).
    pub used: usize,
    pub segments: Vec<crate::series::ccd::Segment>,
    pub out: Option<PathBuf>,
}

fn date_of(day: i64) -> String {
    chrono::NaiveDate::from_num_days_from_ce_opt(day as i32)
        .map_or(day.to_string(), |d| d.to_string())
}

/// A Landsat series: ordinal days, the seven bands, the QA values.
type Landsat = (Vec<i64>, [Vec<f64>; 7], Vec<u16>);

impl CcdcTask {
    fn read(&self) -> Result<Landsat> {
        let input = |m: String| RasterError::Input {
            path: self.path.display().to_string(),
            message: m,
        };
        let table = Table::read(&self.path).map_err(|e| RasterError::Invalid(e.to_string()))?;
        let text = table
            .strings(&self.time)
            .map_err(|e| RasterError::Invalid(e.to_string()))?;
        let mut days = Vec::with_capacity(text.len());
        for (row, s) in text.iter().enumerate() {
            let d = chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
                .map_err(|_| {
                    input(format!(
                        "column '{}', {}: '{s}' is not a date (YYYY-MM-DD)",
                        self.time,
                        table.place(row)
                    ))
                })?;
            days.push(i64::from(chrono::Datelike::num_days_from_ce(&d)));
        }
        if let Some(i) = (1..days.len()).find(|&i| days[i] < days[i - 1]) {
            return Err(input(format!(
                "column '{}', {}: the dates are not in order; sort the table by date",
                self.time,
                table.place(i)
            )));
        }
        let mut bands: [Vec<f64>; 7] = Default::default();
        for (b, name) in crate::series::ccd::BANDS.iter().enumerate() {
            bands[b] = table
                .numeric(name)
                .map_err(|e| RasterError::Invalid(e.to_string()))?
                .0;
        }
        let (qa, _) = table
            .numeric("qa")
            .map_err(|e| RasterError::Invalid(e.to_string()))?;
        // a missing value or QA makes the observation fill
        let qa: Vec<u16> = qa
            .iter()
            .enumerate()
            .map(|(i, q)| {
                if q.is_nan() || bands.iter().any(|b| b[i].is_nan()) || *q < 0.0 || *q > 65535.0 {
                    1
                } else {
                    *q as u16
                }
            })
            .collect();
        Ok((days, bands, qa))
    }
}

impl RasterTask for CcdcTask {
    type Results = CcdcResults;

    fn files(&self) -> Result<Files> {
        Ok(Files {
            inputs: vec![self.path.clone()],
            outputs: self.out.iter().cloned().collect(),
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, _progress: &dyn Progress) -> Result<CcdcResults> {
        let (days, bands, qa) = span.phase("read", |_| self.read())?;
        let found = span.phase("ccdc", |_| crate::series::ccd::detect(&days, &bands, &qa));
        if let Some(out) = &self.out {
            span.phase("write", |_| write_segments(out, &found.segments))?;
        }
        Ok(CcdcResults {
            series: self.path.display().to_string(),
            observations: days.len(),
            used: found.processing_mask.iter().filter(|u| **u).count(),
            segments: found.segments,
            out: self.out.clone(),
        })
    }
}

fn write_segments(out: &Path, segs: &[crate::series::ccd::Segment]) -> Result<()> {
    let mut s = String::from(
        "start_date,end_date,break_date,start_day,end_day,break_day,observation_count,change_probability,curve_qa",
    );
    for b in crate::series::ccd::BANDS {
        let _ = write!(s, ",{b}_magnitude,{b}_rmse,{b}_intercept");
        for k in 0..7 {
            let _ = write!(s, ",{b}_coef{k}");
        }
    }
    s.push('\n');
    for g in segs {
        let _ = write!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            date_of(g.start_day),
            date_of(g.end_day),
            date_of(g.break_day),
            g.start_day,
            g.end_day,
            g.break_day,
            g.observation_count,
            g.change_probability,
            g.curve_qa
        );
        for m in &g.bands {
            let _ = write!(s, ",{},{},{}", m.magnitude, m.rmse, m.intercept);
            for c in m.coefficients {
                let _ = write!(s, ",{c}");
            }
        }
        s.push('\n');
    }
    terrawatt_meter::write_atomic(out, s.as_bytes()).map_err(|e| RasterError::Write {
        path: out.display().to_string(),
        message: e.to_string(),
    })
}

impl TaskResults for CcdcResults {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "CCDC of {}: {} observations, {} used (clear or water, in range, outliers removed)",
            self.series, self.observations, self.used
        );
        if self.segments.is_empty() {
            s.push_str("no segment: too few clear observations for a model\n");
        }
        for g in &self.segments {
            let kind = match g.curve_qa {
                14 => "start segment".to_string(),
                24 => "end segment".to_string(),
                k => format!("{k} coefficients"),
            };
            let _ = writeln!(
                s,
                "{} to {} ({} observations, {kind}): {}",
                date_of(g.start_day),
                date_of(g.end_day),
                g.observation_count,
                if g.change_probability > 0.0 {
                    format!(
                        "change on {} (magnitude green {:.0}, red {:.0}, nir {:.0}, swir1 {:.0}, swir2 {:.0})",
                        date_of(g.break_day),
                        g.bands[1].magnitude,
                        g.bands[2].magnitude,
                        g.bands[3].magnitude,
                        g.bands[4].magnitude,
                        g.bands[5].magnitude
                    )
                } else {
                    "no change".into()
                }
            );
        }
        if let Some(o) = &self.out {
            let _ = writeln!(s, "wrote {}", o.display());
        }
        s
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("series", 1.0))
    }
}
