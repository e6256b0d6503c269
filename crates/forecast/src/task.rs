//! The forecasting tasks: the data prepared ([`Prepared::load`]), a rolling-origin
//! backtest ([`backtest`]) and a forecast past the data ([`predict`]), with the meter's
//! span passed in (phases `read`, `physics`, `read weather`; `backtest`, `write`; `fit`,
//! `predict`, `write`), the outputs written and the summaries the command prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;
use terrawatt_meter::Span;
use terrawatt_table::time::{Stamp, parse_stamp, rfc3339};

use crate::backtest::{self, Backtest, Score};
use crate::model::{self, Inputs, IntervalMethod, Learner};
use crate::physics::{self, PvSite, WindSite};
use crate::series::{self, Exogenous, Series};
use crate::{ForecastError, Result};

/// A word that is not one of a closed set's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}': expected {expected}")]
pub struct ParseNameError {
    pub value: String,
    /// The accepted words, as a sentence.
    pub expected: &'static str,
}

/// What the data's stamps mark within their interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StampLabel {
    Start,
    End,
    Centre,
}

impl StampLabel {
    /// Seconds from the stamp to the interval's centre.
    pub fn shift(self, step: i64) -> i64 {
        match self {
            StampLabel::Start => step / 2,
            StampLabel::End => -step / 2,
            StampLabel::Centre => 0,
        }
    }
}

impl std::str::FromStr for StampLabel {
    type Err = ParseNameError;

    /// `start`, `end`, `centre` (or `center`).
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "start" => Ok(StampLabel::Start),
            "end" => Ok(StampLabel::End),
            "centre" | "center" => Ok(StampLabel::Centre),
            other => Err(ParseNameError {
                value: other.into(),
                expected: "start, end or centre",
            }),
        }
    }
}

impl std::str::FromStr for IntervalMethod {
    type Err = ParseNameError;

    /// `cqr`, `quantile` (`gbm`, its name where quantile boosting was the only kind) or
    /// `conformal`.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "quantile" | "gbm" => Ok(IntervalMethod::Quantile),
            "conformal" => Ok(IntervalMethod::Conformal),
            "cqr" => Ok(IntervalMethod::Cqr),
            other => Err(ParseNameError {
                value: other.into(),
                expected: "cqr, quantile or conformal",
            }),
        }
    }
}

impl PvSite {
    /// Reads a site file (TOML: latitude, longitude, elevation, tilt, azimuth[, albedo,
    /// linke]); not yet checked.
    pub fn from_toml_file(path: &Path) -> Result<PvSite> {
        let text = std::fs::read_to_string(path).map_err(|e| ForecastError::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
        toml::from_str(&text).map_err(|e| ForecastError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

/// The data, its site and the model, as checked settings.
#[derive(Debug, Clone)]
pub struct DataSettings {
    /// The target series and its columns.
    pub data: PathBuf,
    pub time_column: String,
    pub target: String,
    /// The zone of naive stamps.
    pub zone: Option<Tz>,
    /// The interval (s) and the horizon (steps), with the horizon as written.
    pub step: i64,
    pub horizon: usize,
    pub horizon_text: String,
    /// The training window (steps), as written too.
    pub window: usize,
    pub train_window_text: String,
    pub label: StampLabel,
    /// Exogenous weather and the columns used as features.
    pub weather: Option<PathBuf>,
    pub weather_time_column: String,
    pub weather_columns: Vec<String>,
    /// The weather's wind speed column of a wind site.
    pub wind_column: Option<String>,
    pub site: Option<PvSite>,
    pub wind: Option<WindSite>,
    /// In the target's unit; the largest value when `None`.
    pub capacity: Option<f64>,
    pub learner: Learner,
    pub method: IntervalMethod,
    /// Sorted, distinct, in (0, 1).
    pub quantiles: Vec<f64>,
    pub lags: usize,
    /// A correction of the power's clock (`--fix-time-shift`), applied after reading.
    pub fix_time: Option<crate::clock::TimeFix>,
    /// The zone of the weather's naive stamps, where it is not `zone`'s (`--weather-tz`).
    pub weather_zone: Option<Tz>,
    /// Use weather whose irradiance or wind follows the target hours off its stamps
    /// (`--allow-weather-shift`), which is otherwise refused.
    pub allow_weather_shift: bool,
}

/// Everything read and derived from the inputs.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The settings it was prepared with.
    pub settings: DataSettings,
    /// The target on its regular grid.
    pub series: Series,
    /// The model's inputs (target, physics, calendar, weather).
    pub inputs: Inputs,
    /// Seconds from a stamp to its interval's centre.
    pub label_shift: i64,
    /// The weather as read, to align again to times past the data.
    pub weather: Option<Exogenous>,
    /// With a PV site: the power's clock against the Sun's, month by month (after the
    /// fix, where one is asked for).
    pub clock: Option<crate::clock::ClockCheck>,
    /// What the clock fix did, with the check before it.
    pub time_fix: Option<crate::clock::TimeFixReport>,
}

/// The weather file's rows and each column's missing values (empty, NaN or infinite),
/// which stay missing: a forecast whose features need one is left out.
pub fn weather_line(w: &Exogenous, path: &Path) -> String {
    let missing: Vec<String> = w
        .names
        .iter()
        .zip(&w.columns)
        .map(|(n, c)| format!("'{n}' {}", c.iter().filter(|v| !v.is_finite()).count()))
        .collect();
    format!(
        "{}: {} rows; missing values (empty, NaN or infinite), kept missing: {} (a forecast whose features need one is left out)",
        path.display(),
        w.times.len(),
        missing.join(", ")
    )
}

/// An instant's stamp on the series' clock.
pub fn stamp(s: &Series, i: usize) -> String {
    rfc3339(s.time(i), s.offset)
}

/// A date or timestamp; one without an offset is on a clock `offset` seconds east of UTC.
pub fn instant(text: &str, offset: i32) -> Result<i64> {
    if let Ok(s) = parse_stamp(text, None) {
        return Ok(s.t);
    }
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight"))
        })
        .map_err(|_| {
            ForecastError::Setting(format!(
                "'{text}' is not a date or timestamp (e.g. 2012-01-01 or 2012-01-01T00:00:00-07:00)"
            ))
        })?;
    Ok(naive.and_utc().timestamp() - offset as i64)
}

/// The local clock hour and day of year of an instant as angles (radians) on a clock
/// `offset` seconds east of UTC.
fn calendar_angles(t: i64, offset: i32) -> (f64, f64) {
    let local = chrono::DateTime::from_timestamp(t + offset as i64, 0).expect("in range");
    let secs = chrono::Timelike::num_seconds_from_midnight(&local) as f64;
    let doy = chrono::Datelike::ordinal0(&local) as f64;
    (
        secs / 86_400.0 * std::f64::consts::TAU,
        doy / 365.25 * std::f64::consts::TAU,
    )
}

fn set_weather(inputs: &mut Inputs, mut aligned: Vec<Vec<f64>>, wind: Option<&WindSite>) {
    if let Some(w) = wind {
        let v = aligned.pop().expect("the wind column is read last");
        inputs.wind_hub = w.hub_wind(&v);
        inputs.curve_fraction = w.curve_fraction(&inputs.wind_hub);
    }
    inputs.exog = aligned;
}

impl Prepared {
    /// What the clock fix did and what the clock check found, a line each (empty where
    /// neither has anything to say).
    pub fn clock_lines(&self) -> String {
        let mut t = String::new();
        if let Some(f) = &self.time_fix {
            let _ = writeln!(
                t,
                "clock fixed ({}): {} values moved, {} dropped on a taken interval, {} moved outside the series, {} not on the zone's wall clock",
                f.fix, f.moved, f.collided, f.outside, f.not_wall_clock
            );
        }
        if let Some(w) = self.clock.as_ref().and_then(crate::clock::warning) {
            let _ = writeln!(t, "{w}");
        }
        if let Some(site) = &self.settings.site
            && let Some(n) = terrawatt_solar::tasks::simulate::facing_the_pole(
                site.tilt,
                site.azimuth,
                site.latitude,
            )
        {
            let _ = writeln!(t, "note: site: {n}");
        }
        if let Some(n) = self.outage_days() {
            let _ = writeln!(t, "{n}");
        }
        t
    }

    /// The note of whole days of zeros in daylight at a PV site (the Sun 10° or more up at
    /// four or more values, all of them 0): an outage or snow logged as zeros, which are
    /// trained on and scored as output (a week of them in the sample raised the skill
    /// against climatology from 0.64 to 0.87 with nothing said).
    fn outage_days(&self) -> Option<String> {
        let i = &self.inputs;
        if !i.has_site() {
            return None;
        }
        let s = &self.series;
        let day_of = |k: usize| (s.start + s.offset as i64 + k as i64 * s.step).div_euclid(86_400);
        let mut days: Vec<(i64, usize, bool)> = Vec::new(); // (day, daylight values, all zero)
        for (k, (&y, &e)) in i.y.iter().zip(&i.elevation).enumerate() {
            if e < 10.0 || !y.is_finite() {
                continue;
            }
            let d = day_of(k);
            match days.last_mut() {
                Some(last) if last.0 == d => {
                    last.1 += 1;
                    last.2 &= y == 0.0;
                }
                _ => days.push((d, 1, y == 0.0)),
            }
        }
        let out: Vec<i64> = days
            .iter()
            .filter(|(_, n, zero)| *zero && *n >= 4)
            .map(|d| d.0)
            .collect();
        let first = *out.first()?;
        let date = chrono::DateTime::from_timestamp(first * 86_400, 0)
            .map_or(String::new(), |t| t.format("%Y-%m-%d").to_string());
        Some(format!(
            "note: {} whole days of zeros in daylight at the site (the first {date}): an outage or snow logged as zeros? They are trained on and scored as the plant's output, which flatters the scores; empty those values to leave them out",
            out.len()
        ))
    }

    /// Reads the series (phase `read`), the clear sky (phase `physics`, with a site) and
    /// the weather (phase `read weather`), and builds the model's inputs.
    pub fn load(s: &DataSettings, span: &mut Span) -> Result<Prepared> {
        if !s.quantiles.is_empty() {
            s.method.check(&s.learner)?;
        }
        let step = s.step;
        let steps_per_day = (86_400 / step) as usize;
        let mut series = span.phase("read", |_| {
            series::read_target(&s.data, &s.time_column, &s.target, step, s.zone)
        })?;
        if series.len() <= s.horizon + steps_per_day {
            return Err(ForecastError::Setting(format!(
                "{}: {} intervals of data are not enough for a {} horizon (at least a day plus the horizon is needed)",
                s.data.display(),
                series.len(),
                s.horizon_text
            )));
        }
        if s.site.is_some() {
            spike(s, &series, Bound::Pv)?;
        } else if s.wind.is_some() {
            spike(s, &series, Bound::Wind)?;
        }
        let capacity = capacity(s, &series)?;
        let (lowest, highest) = series
            .values
            .iter()
            .filter(|v| !v.is_nan())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let label_shift = s.label.shift(step);
        let n = series.len();
        let centres: Vec<i64> = (0..n).map(|i| series.time(i) + label_shift).collect();
        let clear = match &s.site {
            Some(site) => span.phase("physics", |_| physics::clear_sky(site, &centres)),
            None => physics::ClearSky::default(),
        };
        let time_fix = match s.fix_time {
            Some(fix) => {
                let before = (!clear.poa.is_empty()).then(|| {
                    crate::clock::check(&series.values, &clear.poa, &centres, series.offset)
                });
                let mut report = crate::clock::apply(&mut series, fix).map_err(|e| {
                    ForecastError::Setting(format!("--fix-time-shift: {}: {e}", s.data.display()))
                })?;
                report.before = before.unwrap_or_default();
                Some(report)
            }
            None => None,
        };
        if let Some(site) = &s.site {
            refuse_power_in_the_dark(s, site, &series, &clear.elevation, step)?;
        }
        let (hour_angle, year_angle): (Vec<f64>, Vec<f64>) = centres
            .iter()
            .map(|&t| calendar_angles(t, series.offset))
            .unzip();
        let (weather, aligned) = read_weather(s, span, &centres)?;
        if let Some(x) = &weather {
            refuse_the_target_as_weather(s, &series, x)?;
            refuse_shifted_weather(s, &series, x)?;
        }
        let mut inputs = Inputs {
            y: series.values.clone(),
            poa_clear: clear.poa,
            elevation: clear.elevation,
            hour_angle,
            year_angle,
            wind_hub: vec![],
            curve_fraction: vec![],
            exog: vec![],
            exog_names: s.weather_columns.clone(),
            steps_per_day,
            steps_per_hour: (3600 / step).max(1) as usize,
            horizon: s.horizon,
            lags: s.lags,
            capacity,
            floor: lowest.min(0.0),
            ceiling: highest.max(capacity),
        };
        if let (Some(w), Some(col), Some(speeds)) = (&s.wind, &s.wind_column, aligned.last()) {
            if let Some(unit) = terrawatt_table::screen::unit_named(col).filter(|u| u.is_speed()) {
                return Err(ForecastError::Setting(format!(
                    "--wind-column {col}: its name states {}, and the wind site reads m/s through its turbine's power curve: convert the column (km/h ÷ 3.6, knots × 0.514, mph × 0.447), or rename it if its name is wrong",
                    unit.name()
                )));
            }
            let days = series.len() as f64 * step as f64 / 86_400.0;
            if let Some(why) =
                terrawatt_wind::weather::other_unit(speeds, days, w.measurement_height)
            {
                return Err(ForecastError::Setting(format!(
                    "--wind-column {col}: {why}: the wind site reads m/s; convert the column"
                )));
            }
        }
        set_weather(&mut inputs, aligned, s.wind.as_ref());
        let clock = inputs
            .has_site()
            .then(|| crate::clock::check(&inputs.y, &inputs.poa_clear, &centres, series.offset));
        Ok(Prepared {
            settings: s.clone(),
            series,
            inputs,
            label_shift,
            weather,
            clock,
            time_fix,
        })
    }
}

/// How many times the 99.9th percentile of a PV site's positive values its output may
/// reach: AC power is clipped at the inverter, and cloud enhancement lifts a 15-minute mean
/// 10–20 % over clear sky (system 50's largest value is 1.07 times its 99.9th percentile,
/// the sample's 1.01 times).
const MOST_OVER_PEAK: f64 = 1.3;

/// Positive values a PV series needs for its 99.9th percentile to stand below a few glitches.
const PEAK_VALUES: usize = 2000;

/// The least ratio of the 99th percentile to the 99.9th of a wind site's positive values
/// for the series to reach its turbines' rated output (a flat top: the E-126/4200 on
/// windpowerlib's example year, 0.98); a calm season's series, which never reaches it, is
/// not bounded by its own top (its strongest hour can be twice its 99.9th percentile).
const FLAT_TOP: f64 = 0.97;

/// Which physics bounds a site's output from above.
#[derive(Clone, Copy, PartialEq)]
enum Bound {
    /// A PV system: the inverter clips it.
    Pv,
    /// A wind site: the power curve is flat from rated wind speed to cut-out.
    Wind,
}

/// Refuses a site's target with values above [`MOST_OVER_PEAK`] times its 99.9th
/// percentile (or its fifth largest value, if lower): a glitch (a logger's spike, a unit
/// slip on one row) that would set the capacity, every normalised score and the bands'
/// scale, yet stays under the ten times of the screen every target passes
/// ([`terrawatt_table::screen::implausible`]). At a wind site only where the series
/// reaches its rated output ([`FLAT_TOP`]).
fn spike(s: &DataSettings, series: &Series, bound: Bound) -> Result<()> {
    let mut positive: Vec<f64> = series.values.iter().copied().filter(|v| *v > 0.0).collect();
    if positive.len() < PEAK_VALUES {
        return Ok(());
    }
    // the 99.9th percentile, or the fifth largest value where that is lower (up to four
    // glitches stay above it)
    let k = ((positive.len() as f64 * 0.999) as usize).min(positive.len() - 5);
    let peak = *positive.select_nth_unstable_by(k, f64::total_cmp).1;
    if bound == Bound::Wind {
        let k99 = (positive.len() as f64 * 0.99) as usize;
        let p99 = *positive.select_nth_unstable_by(k99, f64::total_cmp).1;
        if p99 < FLAT_TOP * peak {
            return Ok(());
        }
    }
    let over = |v: &f64| *v > MOST_OVER_PEAK * peak;
    let Some(i) = series.values.iter().position(over) else {
        return Ok(());
    };
    let count = series.values.iter().filter(|v| over(v)).count();
    let v = series.values[i];
    let why = match bound {
        Bound::Pv => {
            "as a PV system's output never is (its inverter clips it; cloud enhancement adds \
             10–20 % over clear sky)"
        }
        Bound::Wind => {
            "where the series reaches its turbines' rated output (its 99th percentile is \
             within 3 % of its 99.9th) and a wind site's output never passes it (the power \
             curve is flat from rated wind speed to cut-out)"
        }
    };
    Err(ForecastError::Setting(format!(
        "{}: column '{}' at {} is {v}, {:.2} times the series' 99.9th percentile ({peak}){}, \
         {why}: a glitch, which would set the capacity and every score's scale; leave such \
         cells empty (missing) and run again",
        s.data.display(),
        s.target,
        stamp(series, i),
        v / peak,
        if count > 1 {
            format!(", as are {} other values", count - 1)
        } else {
            String::new()
        }
    )))
}

fn capacity(s: &DataSettings, series: &Series) -> Result<f64> {
    let highest = series
        .values
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .fold(0.0, f64::max);
    match s.capacity {
        // a capacity in another unit than the target's (kW for W: 1000×) would scale
        // every feature and score wrongly without failing
        Some(c) if c > 0.0 && highest > 1.5 * c => Err(ForecastError::Setting(format!(
            "--capacity {c} is below the largest value of column '{}' in {}, {highest} ({:.1}×): give the capacity in the target's own unit, or leave it out to use the largest value",
            s.target,
            s.data.display(),
            highest / c
        ))),
        Some(c) if c > 0.0 && highest > 0.0 && highest < 0.01 * c => {
            Err(ForecastError::Setting(format!(
                "--capacity {c} is over 100 times the largest value of column '{}' in {}, {highest}: give the capacity in the target's own unit, or leave it out to use the largest value",
                s.target,
                s.data.display()
            )))
        }
        Some(c) if c > 0.0 => Ok(c),
        Some(c) => Err(ForecastError::Setting(format!(
            "--capacity {c} must be positive"
        ))),
        None => {
            let m = highest;
            if m <= 0.0 {
                return Err(ForecastError::Setting(format!(
                    "{}: column '{}' is never positive; give --capacity",
                    s.data.display(),
                    s.target
                )));
            }
            Ok(m)
        }
    }
}

type Aligned = (Option<Exogenous>, Vec<Vec<f64>>);

fn read_weather(s: &DataSettings, span: &mut Span, centres: &[i64]) -> Result<Aligned> {
    match &s.weather {
        Some(p) => {
            if s.weather_columns.is_empty() && s.wind.is_none() {
                return Err(ForecastError::Setting(format!(
                    "--weather {} needs --weather-columns (e.g. ghi,temp_air) or --wind-column",
                    p.display()
                )));
            }
            let mut names = s.weather_columns.clone();
            names.extend(s.wind_column.iter().cloned());
            let x = span.phase("read weather", |_| {
                Exogenous::read(p, &s.weather_time_column, &names, s.weather_zone.or(s.zone))
            })?;
            let aligned = x.align(centres);
            Ok((Some(x), aligned))
        }
        None => {
            if !s.weather_columns.is_empty() {
                return Err(ForecastError::Setting(
                    "--weather-columns needs --weather FILE".into(),
                ));
            }
            Ok((None, vec![]))
        }
    }
}

/// Words in a weather column's name that make it irradiance, which the power of a PV
/// system follows without a lag.
const IRRADIANCE_WORDS: [&str; 10] = [
    "ghi",
    "dni",
    "dhi",
    "poa",
    "irrad",
    "radiation",
    "ssrd",
    "swdown",
    "sw_down",
    "shortwave",
];

/// The least lag (s) between the target and an irradiance or wind column that is refused
/// as a shifted clock: more than a stamp's label (the start or the end of an hour) moves.
pub const WEATHER_SHIFT: i64 = 7200;

/// Pearson's correlation of the pairs where both are finite; `None` under 100 pairs or
/// without spread.
fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .collect();
    if pairs.len() < 100 {
        return None;
    }
    let n = pairs.len() as f64;
    let (ma, mb) = pairs
        .iter()
        .fold((0.0, 0.0), |(p, q), (x, y)| (p + x / n, q + y / n));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// How far below the horizon (degrees) the Sun is at an interval's centre for the interval
/// to count as dark, besides its motion over half the interval (at most 0.25° a minute):
/// civil twilight's end, where a PV array's output is nil.
pub const DARK_ELEVATION: f64 = -6.0;

/// The share of a PV target's output in dark intervals ([`DARK_ELEVATION`]) above which it
/// is refused.
pub const MOST_DARK_SHARE: f64 = 0.05;

/// Refuses a PV site's target that produces in the dark: more than [`MOST_DARK_SHARE`] of
/// its output (values above 2 % of the largest, so that an inverter's standby readings do
/// not count) falls in intervals whose centre has the Sun [`DARK_ELEVATION`] or further
/// below the horizon. Hours off the Sun mean the site or the clock is wrong (a longitude
/// east for west, naive UTC stamps read in a local zone), and every clear-sky feature and
/// every score in daylight with it: the Sun-down intervals, forecast 0 and not scored,
/// would be the real daytime.
fn refuse_power_in_the_dark(
    s: &DataSettings,
    site: &PvSite,
    series: &Series,
    elevation: &[f64],
    step: i64,
) -> Result<()> {
    let dark = DARK_ELEVATION - 0.25 * step as f64 / 60.0 / 2.0;
    let highest = series
        .values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0, |m: f64, &v| m.max(v));
    let (mut all, mut in_dark) = (0.0, 0.0);
    for (&v, &e) in series.values.iter().zip(elevation) {
        if v.is_finite() && v > 0.02 * highest {
            all += v;
            if e < dark {
                in_dark += v;
            }
        }
    }
    if all <= 0.0 || in_dark <= MOST_DARK_SHARE * all {
        return Ok(());
    }
    Err(ForecastError::Invalid {
        path: s.data.display().to_string(),
        message: format!(
            "{:.0} % of column '{}' (its values above 2 % of the largest) falls while the Sun is {:.1}° or more below the horizon at the site (latitude {}, longitude {}): a PV system's output is nil then, so the site or the time stamps are wrong. Check the longitude's sign (east is positive, west negative: Golden, Colorado is -105.18), and the stamps' zone (naive stamps are read in --tz's zone, UTC without it), or leave the site out if the target is not a PV system's output",
            100.0 * in_dark / all,
            s.target,
            -dark,
            site.latitude,
            site.longitude
        ),
    })
}

/// Refuses an irradiance column (by its name: `ghi`, `poa`, `ssrd`, …) or the wind column
/// that the target follows best 2 h or more off its stamps, within ±12 h, by 0.1 or more
/// in correlation: a clock in another zone (naive UTC stamps read in `--tz`'s), which
/// hands the model the weather of other hours. Temperature lags the Sun by nature: at a PV
/// site it is judged by the hour its daily cycle peaks ([`refuse_shifted_temperature`]).
fn refuse_shifted_weather(s: &DataSettings, series: &Series, x: &Exogenous) -> Result<()> {
    if s.allow_weather_shift {
        return Ok(());
    }
    let stamps: Vec<i64> = (0..series.len()).map(|i| series.time(i)).collect();
    let reach = (43_200 / s.step).max(1);
    for (c, name) in x.names.iter().enumerate() {
        let lower = name.to_lowercase();
        let wind = s.wind_column.as_deref() == Some(name.as_str());
        if !wind && !IRRADIANCE_WORDS.iter().any(|w| lower.contains(w)) {
            let clock = match (&s.site, s.zone) {
                (Some(site), _) => Some(DayClock::Solar(site.longitude)),
                (None, Some(zone)) => Some(DayClock::Local(zone)),
                _ => None,
            };
            if let Some(clock) = clock {
                refuse_shifted_temperature(s, clock, x, c)?;
            }
            continue;
        }
        let r_at = |k: i64| {
            let at: Vec<i64> = stamps.iter().map(|t| t + k * s.step).collect();
            pearson(&series.values, &x.align(&at).swap_remove(c))
        };
        let Some(r0) = r_at(0) else {
            continue;
        };
        let (mut best_k, mut best) = (0, r0);
        for k in -reach..=reach {
            if let Some(r) = r_at(k)
                && r > best
            {
                (best_k, best) = (k, r);
            }
        }
        let lag = best_k * s.step;
        if best >= 0.5 && lag.abs() >= WEATHER_SHIFT && best - r0 >= 0.1 {
            return Err(ForecastError::Invalid {
                path: s
                    .weather
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string()),
                message: format!(
                    "column '{name}': its stamps run {:.1} h {} against the target's (the target matches it best so, correlation {best:.2}, against {r0:.2} as stamped): naive UTC stamps read in --tz's zone, or another zone's? Give the weather's zone with --weather-tz (e.g. UTC), or --allow-weather-shift to use it as stamped",
                    lag.abs() as f64 / 3600.0,
                    if lag > 0 { "late" } else { "early" }
                ),
            });
        }
    }
    Ok(())
}

/// The hours of the day ([`DayClock`]) in which the mean daily cycle of an air temperature
/// may peak: stations see it from 13:00 to 16:00 solar time, coasts and reanalyses earlier
/// (PSM3's at system 50, from MERRA-2, at noon in every season), and a local clock can run
/// two hours after the Sun; outside 10:00–18:59 the stamps are on another clock.
pub const TEMPERATURE_PEAK_HOURS: std::ops::RangeInclusive<usize> = 10..=18;

/// The least swing (°C or K) of the mean daily cycle that [`TEMPERATURE_PEAK_HOURS`]
/// judges: under it (an overcast, polar or maritime month) the peak hour means little.
pub const TEMPERATURE_CYCLE: f64 = 3.0;

/// The clock a temperature's daily cycle is read on: the site's solar time (by its
/// longitude), or, without a site, the local time of the target's zone (`--tz`), which
/// runs up to two hours after the Sun's in the west of a zone under daylight saving.
#[derive(Debug, Clone, Copy)]
enum DayClock {
    Solar(f64),
    Local(Tz),
}

impl DayClock {
    /// The hour of the day (0–23) of instant `t` on this clock.
    fn hour(self, t: i64) -> usize {
        use chrono::{Offset, TimeZone};
        let offset = match self {
            DayClock::Solar(longitude) => (longitude / 15.0 * 3600.0).round() as i64,
            DayClock::Local(zone) => chrono::DateTime::from_timestamp(t, 0).map_or(0, |utc| {
                i64::from(
                    zone.offset_from_utc_datetime(&utc.naive_utc())
                        .fix()
                        .local_minus_utc(),
                )
            }),
        };
        ((t + offset).rem_euclid(86_400) / 3600) as usize
    }

    fn name(self) -> String {
        match self {
            DayClock::Solar(_) => "local solar time".into(),
            DayClock::Local(zone) => format!("{zone} time"),
        }
    }
}

/// Refuses an air-temperature column (by its name: `temp…`, `t2m`, `tas`; not a dew
/// point, nor a soil, water or indoor temperature) whose mean daily cycle, over three days
/// or more, swings by [`TEMPERATURE_CYCLE`] or more and peaks outside
/// [`TEMPERATURE_PEAK_HOURS`] of `clock`'s day: naive UTC stamps read in `--tz`'s zone,
/// five hours or more off.
fn refuse_shifted_temperature(
    s: &DataSettings,
    clock: DayClock,
    x: &Exogenous,
    c: usize,
) -> Result<()> {
    let lower = x.names[c].to_lowercase();
    let air = lower.contains("temp") || lower == "t2m" || lower == "tas" || lower == "t_air";
    // not the air's: dew and wet-bulb points, and soil, water and indoor temperatures,
    // whose cycles peak later or not at all
    let other = [
        "dew", "wet", "soil", "ground", "water", "sea", "sst", "indoor", "inside", "room",
    ];
    if !air || other.iter().any(|w| lower.contains(w)) {
        return Ok(());
    }
    let by_hour = x
        .times
        .iter()
        .zip(&x.columns[c])
        .map(|(&t, &v)| (clock.hour(t + x.shift), v));
    let Some((peak, swing)) = terrawatt_table::screen::daily_cycle(by_hour) else {
        return Ok(());
    };
    if swing < TEMPERATURE_CYCLE || TEMPERATURE_PEAK_HOURS.contains(&peak) {
        return Ok(());
    }
    let finite = || {
        x.times
            .iter()
            .zip(&x.columns[c])
            .filter(|p| p.1.is_finite())
    };
    let days = match (finite().next(), finite().next_back()) {
        (Some(a), Some(b)) => (b.0 - a.0) / 86_400 + 1,
        _ => 0,
    };
    // against 12:00–16:00 (reanalyses such as PSM3's peak at noon, stations later)
    let (near, far, way) = terrawatt_table::screen::hours_off(peak, 12, 16);
    Err(ForecastError::Invalid {
        path: s
            .weather
            .as_ref()
            .map_or(String::new(), |p| p.display().to_string()),
        message: format!(
            "column '{}': its mean daily cycle ({swing:.1} degrees over {} days) peaks at {peak:02}:00 {}, where air is warmest from noon to 16:00: its stamps run {near}–{far} h {way} (naive UTC stamps read in --tz's zone, or another zone's?). Give the weather's zone with --weather-tz (e.g. UTC), or --allow-weather-shift to use it as stamped",
            x.names[c],
            days,
            clock.name(),
        ),
    })
}

/// Refuses a weather column that is the target itself: equal to it, or to it times a
/// constant (W and kW), within a thousandth of the column's largest value at every stamp
/// of the series the weather has. Such a column hands the model the answer (its skill
/// would be a leak's): the same file given as --data and --weather, or the power among a
/// combined table's --weather-columns.
fn refuse_the_target_as_weather(s: &DataSettings, series: &Series, x: &Exogenous) -> Result<()> {
    let stamps: Vec<i64> = (0..series.len()).map(|i| series.time(i)).collect();
    for (name, w) in x.names.iter().zip(x.align(&stamps)) {
        let pairs: Vec<(f64, f64)> = series
            .values
            .iter()
            .zip(&w)
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| (*a, *b))
            .collect();
        let nonzero = pairs.iter().filter(|p| p.0 != 0.0).count();
        let Some(&(y0, w0)) = pairs.iter().max_by(|a, b| a.0.abs().total_cmp(&b.0.abs())) else {
            continue;
        };
        if nonzero < 10 || w0 == 0.0 {
            continue;
        }
        let c = w0 / y0;
        let scale = pairs.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
        if pairs
            .iter()
            .all(|&(a, b)| (b - c * a).abs() <= 1e-3 * scale)
        {
            let times = if c == 1.0 {
                String::new()
            } else {
                format!(" times {c}")
            };
            return Err(ForecastError::Setting(format!(
                "--weather {}: column '{name}' is the target '{}' of {}{times} at all {} times both have: it would hand the model the answer, and the skill scores would be a leak's; leave it out of --weather-columns",
                s.weather.as_deref().unwrap_or(Path::new("")).display(),
                s.target,
                s.data.display(),
                pairs.len()
            )));
        }
        let (a, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let r = pearson(&a, &b).unwrap_or(0.0);
        if r >= PLANT_CORRELATION {
            return Err(ForecastError::Setting(format!(
                "--weather {}: column '{name}' follows the target '{}' of {} at r = {r:.4} over the {} times both have, as only a measurement of the plant itself does (its DC power or current, another meter, the target rounded or in another unit; measured irradiance follows PV output at r 0.86–0.97 on NREL's PVDAQ systems): it would hand the model the answer, and the skill scores would be a leak's; leave it out of --weather-columns",
                s.weather.as_deref().unwrap_or(Path::new("")).display(),
                s.target,
                s.data.display(),
                pairs.len()
            )));
        }
    }
    Ok(())
}

/// The correlation with the target from which a weather column is taken for a measurement
/// of the plant: on NREL's PVDAQ SERF West and RSF II, DC power follows AC power at r 0.998
/// and 0.9999, DC current at 0.997–0.998, a second AC meter at 0.997; plane-of-array
/// irradiance, the closest weather, at 0.86–0.97.
pub const PLANT_CORRELATION: f64 = 0.995;

/// A duration (`15min`, `1h`, `30d`) in whole steps of `step` seconds; the error names the
/// option (`horizon`, `train-window`, `refit`) and says what to write.
fn steps(name: &str, text: &str, step: i64) -> Result<usize> {
    let s = crate::parse_duration(text).ok_or_else(|| {
        ForecastError::Setting(format!(
            "--{name} '{text}': expected a duration such as 15min, 1h, 4h, 60d"
        ))
    })?;
    if step <= 0 || s % step != 0 {
        return Err(ForecastError::Setting(format!(
            "--{name} {text} is not a whole number of the interval ({step} s)"
        )));
    }
    Ok((s / step) as usize)
}

impl DataSettings {
    /// The command line's defaults (`terrawatt forecast backtest|predict`) for the target
    /// column `target` of `data`, stamped every `interval` (`15min`, `1h`) and forecast
    /// `horizon` ahead (`1h`; shorter than a day): time column `time`, offsets in the
    /// stamps (no zone), stamps at the start of each interval, a 60-day training window, no
    /// weather and no site, capacity the largest value, the model chosen at each fit
    /// ([`Learner::auto`], seed 0) with 8 lags, split-conformal bands around each
    /// horizon's winner and no quantiles. The steps and the texts the results quote are set together.
    pub fn new(
        data: impl Into<PathBuf>,
        target: impl Into<String>,
        interval: &str,
        horizon: &str,
    ) -> Result<DataSettings> {
        let step = crate::parse_duration(interval).ok_or_else(|| {
            ForecastError::Setting(format!(
                "--interval '{interval}': expected a duration such as 15min, 1h, 4h, 60d"
            ))
        })?;
        if 86_400 % step != 0 {
            return Err(ForecastError::Setting(format!(
                "--interval {interval} does not divide a day"
            )));
        }
        let h = steps("horizon", horizon, step)?;
        if h >= (86_400 / step) as usize {
            return Err(ForecastError::Setting(format!(
                "--horizon {horizon} must be shorter than a day (the day-before value is a feature)"
            )));
        }
        Ok(DataSettings {
            data: data.into(),
            time_column: "time".into(),
            target: target.into(),
            zone: None,
            step,
            horizon: h,
            horizon_text: horizon.into(),
            window: steps("train-window", "60d", step)?,
            train_window_text: "60d".into(),
            label: StampLabel::Start,
            weather: None,
            weather_time_column: "time".into(),
            weather_columns: vec![],
            wind_column: None,
            site: None,
            wind: None,
            capacity: None,
            learner: Learner::auto(0),
            method: IntervalMethod::Conformal,
            quantiles: vec![],
            lags: 8,
            fix_time: None,
            weather_zone: None,
            allow_weather_shift: false,
        })
    }

    /// The training window (`30d`, a whole number of steps), its steps and its text.
    pub fn train_window(self, text: &str) -> Result<DataSettings> {
        Ok(DataSettings {
            window: steps("train-window", text, self.step)?,
            train_window_text: text.into(),
            ..self
        })
    }
}

impl BacktestSettings {
    /// Origins `[first, last)` refitted every `refit` (`1d`, a whole number of the data's
    /// steps of `step` seconds), without a CSV of the forecasts; the steps and the text the
    /// results quote are set together.
    pub fn new(refit: &str, step: i64, first: usize, last: usize) -> Result<BacktestSettings> {
        Ok(BacktestSettings {
            refit: steps("refit", refit, step)?,
            refit_text: refit.into(),
            first,
            last,
            out: None,
        })
    }
}

/// A backtest's period and outputs.
#[derive(Debug, Clone)]
pub struct BacktestSettings {
    /// Refit period (steps), as written too.
    pub refit: usize,
    pub refit_text: String,
    /// Origins `[first, last)`.
    pub first: usize,
    pub last: usize,
    /// CSV of every forecast.
    pub out: Option<PathBuf>,
}

/// A backtest and its scores.
#[derive(Debug, Clone)]
pub struct BacktestReport {
    /// The period and outputs it ran with.
    pub settings: BacktestSettings,
    /// Every forecast.
    pub backtest: Backtest,
    /// Per horizon, and overall (horizon 0).
    pub per_horizon: Vec<Score>,
    pub overall: Score,
    /// Pairs with an observed target left out for a missing forecast or reference.
    pub left_out: usize,
    /// Under `--model auto`: what won how often, and the energy the choice weighed.
    pub auto: Option<model::AutoChoices>,
}

/// The forecasts at the longest horizon over a week, for a chart.
#[derive(Debug, Clone)]
pub struct Week {
    /// Days since the first target.
    pub x: Vec<f64>,
    pub observed: Vec<f64>,
    pub forecast: Vec<f64>,
    /// The lowest and highest quantile, with two or more.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// Runs the backtest (phase `backtest`), scores it and writes every forecast (phase
/// `write`).
pub fn backtest(p: &Prepared, s: &BacktestSettings, span: &mut Span) -> Result<BacktestReport> {
    let q = &p.settings.quantiles;
    let settings = backtest::Settings {
        learner: p.settings.learner.clone(),
        quantiles: q.clone(),
        method: p.settings.method,
        window: p.settings.window,
        refit: s.refit,
        first: s.first,
        last: s.last,
    };
    let costs = match &p.settings.learner {
        Learner::Auto(a) => {
            let to = s.first + 1;
            Some(candidate_costs(
                p,
                a,
                to.saturating_sub(p.settings.window),
                to,
                span,
            )?)
        }
        _ => None,
    };
    let bt = span
        .phase("backtest", |_| backtest::run(&p.inputs, &settings))
        .map_err(|e| match e {
            ForecastError::Setting(m) => {
                ForecastError::Setting(format!("{m} (first origin {})", stamp(&p.series, s.first)))
            }
            e => e,
        })?;
    let (per, all, left_out) = backtest::score(&p.inputs, &bt, q);
    // scores of nothing read as a perfect forecast (RMSE 0.0 in the report): refused
    if all.n == 0 {
        return Err(ForecastError::Setting(format!(
            "no forecast could be scored: of the pairs with an observed target, {left_out} were left out for a missing forecast or reference, and none was scored (a training window too short for the model's lags and features, or weather missing over the test period?); give a longer --train-window or check the weather's cover"
        )));
    }
    if let Some(out) = &s.out {
        let csv = forecasts_csv(p, &bt);
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, csv.as_bytes())
        })
        .map_err(|e| ForecastError::Write {
            path: out.clone(),
            source: e,
        })?;
    }
    let auto = match (&p.settings.learner, costs) {
        (Learner::Auto(a), Some((names, joules, estimate))) => Some(model::AutoChoices::new(
            a,
            &names,
            &joules,
            estimate,
            p.inputs.horizon,
            &bt.choices,
        )),
        _ => None,
    };
    Ok(BacktestReport {
        settings: s.clone(),
        backtest: bt,
        per_horizon: per,
        overall: all,
        left_out,
        auto,
    })
}

/// Measures one fit of each `--model auto` candidate on the window `[from, to)` (phase
/// `auto: one fit of each candidate`, a phase per candidate, each fit repeated until it
/// has run 0.1 s or 20 times): the candidates' names, joules per fit, and whether those
/// are model estimates.
fn candidate_costs(
    p: &Prepared,
    a: &model::AutoParams,
    from: usize,
    to: usize,
    span: &mut Span,
) -> Result<(Vec<String>, Vec<f64>, bool)> {
    let cands = a.candidates(&p.inputs);
    let rows = model::training_rows(&p.inputs, from, to);
    span.phase("auto: one fit of each candidate", |sp| {
        let mut joules = Vec::with_capacity(cands.len());
        let mut estimate = false;
        for c in &cands {
            let started = std::time::Instant::now();
            let reps = sp.phase(c.name(), |_| -> Result<usize> {
                let mut reps = 0;
                while reps < 20 && (reps == 0 || started.elapsed().as_secs_f64() < 0.1) {
                    model::fit_candidate_once(&p.inputs, c, &rows, from, to)?;
                    reps += 1;
                }
                Ok(reps)
            })?;
            let e = &sp.children().last().expect("phase").energy;
            joules.push(e.joules / reps as f64);
            estimate |= e.estimate;
        }
        Ok((
            cands.iter().map(model::Candidate::name).collect(),
            joules,
            estimate,
        ))
    })
}

fn cell(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// Every forecast: origin, target, horizon, observed, forecast, quantiles, references.
fn forecasts_csv(p: &Prepared, bt: &Backtest) -> String {
    let s = &p.series;
    let mut csv = String::from("origin,target,horizon_minutes,observed,forecast");
    for q in &p.settings.quantiles {
        let _ = write!(csv, ",q{q}");
    }
    for (r, _) in &bt.references {
        let _ = write!(csv, ",{}", r.name());
    }
    csv.push('\n');
    for (k, &(i, h)) in bt.pairs.iter().enumerate() {
        let _ = write!(
            csv,
            "{},{},{},{},{}",
            stamp(s, i),
            stamp(s, i + h),
            h as i64 * s.step / 60,
            cell(p.inputs.y[i + h]),
            cell(bt.point[k])
        );
        for q in &bt.quantiles {
            let _ = write!(csv, ",{}", cell(q[k]));
        }
        for (_, r) in &bt.references {
            let _ = write!(csv, ",{}", cell(r[k]));
        }
        csv.push('\n');
    }
    csv
}

fn short(name: &str) -> &str {
    match name {
        "persistence" => "persist",
        "climatology" => "clim",
        "optimal_blend" => "blend",
        other => other,
    }
}

impl BacktestReport {
    /// The longest horizon's forecasts over the first week of targets.
    pub fn week(&self, p: &Prepared) -> Week {
        let bt = &self.backtest;
        let h = p.inputs.horizon;
        let first = self.settings.first;
        let step = p.series.step;
        let pick: Vec<usize> = (0..bt.pairs.len())
            .filter(|&k| bt.pairs[k].1 == h)
            .take(7 * p.inputs.steps_per_day)
            .collect();
        let nq = p.settings.quantiles.len();
        Week {
            x: pick
                .iter()
                .map(|&k| (bt.pairs[k].0 + h - first - h) as f64 * step as f64 / 86_400.0)
                .collect(),
            observed: pick
                .iter()
                .map(|&k| p.inputs.y[bt.pairs[k].0 + h])
                .collect(),
            forecast: pick.iter().map(|&k| bt.point[k]).collect(),
            band: (nq >= 2).then(|| {
                (
                    pick.iter().map(|&k| bt.quantiles[0][k]).collect(),
                    pick.iter().map(|&k| bt.quantiles[nq - 1][k]).collect(),
                )
            }),
        }
    }

    /// Skill against each reference by horizon: (horizons in minutes, one line per
    /// reference named `vs NAME`).
    pub fn skill_lines(&self, step: i64) -> (Vec<f64>, Vec<(String, Vec<f64>)>) {
        let per = &self.per_horizon;
        let x = per
            .iter()
            .map(|sc| (sc.horizon as i64 * step / 60) as f64)
            .collect();
        let lines = self
            .backtest
            .references
            .iter()
            .enumerate()
            .map(|(r, (name, _))| {
                (
                    format!("vs {}", name.name()),
                    per.iter().map(|sc| sc.references[r].skill).collect(),
                )
            })
            .collect();
        (x, lines)
    }

    /// The summary the command prints: the data, the backtest, the score table.
    pub fn text(&self, p: &Prepared) -> String {
        let (d, s, bt) = (&p.settings, &p.series, &self.backtest);
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{} '{}': {} intervals of {} s from {} ({} not in the file, {} missing values, kept missing); capacity {:.1}",
            d.data.display(),
            d.target,
            s.len(),
            s.step,
            stamp(s, 0),
            s.absent,
            s.missing,
            p.inputs.capacity
        );
        if let (Some(w), Some(path)) = (&p.weather, &d.weather) {
            let _ = writeln!(t, "{}", weather_line(w, path));
        }
        let _ = writeln!(
            t,
            "backtest: origins {} to {} ({} forecasts: {} origins, 1 to {} steps ahead), {} refits every {} on {} before, {} training pairs on average{}",
            stamp(s, self.settings.first),
            stamp(s, self.settings.last - 1),
            bt.pairs.len(),
            self.settings.last - self.settings.first,
            p.inputs.horizon,
            bt.refits,
            self.settings.refit_text,
            d.train_window_text,
            bt.train_rows_mean.round(),
            match d.site {
                Some(_) => "; targets with the Sun down are forecast 0 and not scored",
                None => "",
            }
        );
        let _ = writeln!(
            t,
            "scored: {} pairs with an observed target{}; {} left out for a missing forecast or reference",
            self.overall.n,
            if d.site.is_some() { " in daylight" } else { "" },
            self.left_out
        );
        let zeros = self.overall.zero_pairs;
        if d.site.is_none() && self.overall.n > 0 && zeros * 5 >= self.overall.n {
            let _ = writeln!(
                t,
                "warning: {zeros} of the {} pairs scored ({:.0} %) have the target at 0 (a PV target's nights?): forecasts there are easy, and they raise the skill and the band's coverage. For a PV target, give the site (--site-lat, --site-lon, --tilt, --azimuth, or --site FILE) to score daylight only",
                self.overall.n,
                100.0 * zeros as f64 / self.overall.n as f64
            );
        }
        if bt.thin_refits > 0 {
            let _ = writeln!(
                t,
                "warning: {} of {} refits trained on fewer than half the pairs their {} window could hold (gaps in the data); their forecasts and bands rest on little",
                bt.thin_refits, bt.refits, d.train_window_text
            );
        }
        if let (Some((fewest, mean)), Some((_, nominal))) =
            (bt.calibration_pairs, self.overall.coverage)
        {
            // a conformal band's coverage over the calibration draw is Beta-distributed
            // about the nominal with this standard deviation (Vovk 2012; Angelopoulos &
            // Bates 2021, §3.2)
            if mean < 100.0 {
                let sd = (nominal * (1.0 - nominal) / (mean + 2.0)).sqrt();
                let _ = writeln!(
                    t,
                    "warning: the bands were calibrated on {mean:.0} pairs a horizon on average (as few as {fewest}): the last 20 % of each {} window; with so few, a band's coverage can miss its nominal {:.0} % by ±{:.0} points (one standard deviation) whatever the model",
                    d.train_window_text,
                    100.0 * nominal,
                    100.0 * sd
                );
            }
        }
        if bt.bands_widened > 0 {
            let _ = writeln!(
                t,
                "bands: {} of {} forecasts ({:.1} %) had the point forecast outside their band, which was widened to hold it",
                bt.bands_widened,
                bt.pairs.len(),
                100.0 * bt.bands_widened as f64 / bt.pairs.len().max(1) as f64
            );
        }
        t.push_str(&p.clock_lines());
        if let Some(a) = &self.auto {
            t.push_str(&a.lines(s.step as f64 / 60.0));
        }
        t.push_str(&self.table(p));
        t
    }

    fn table(&self, p: &Prepared) -> String {
        let mut t = format!(
            "{:>8} {:>7} {:>9} {:>9} {:>7} {:>8}",
            "horizon", "n", "MAE", "RMSE", "nRMSE", "bias"
        );
        for r in &self.overall.references {
            let _ = write!(t, " {:>13}", format!("skill_{}", short(r.name)));
        }
        let nq = p.settings.quantiles.len();
        if nq >= 2 {
            let _ = write!(t, " {:>9} {:>9}", "CRPS", "coverage");
        }
        t.push('\n');
        let all = std::iter::once(&self.overall);
        for sc in self.per_horizon.iter().chain(all) {
            let h = if sc.horizon == 0 {
                "all".to_string()
            } else {
                format!("{}min", sc.horizon as i64 * p.series.step / 60)
            };
            let _ = write!(
                t,
                "{:>8} {:>7} {:>9.2} {:>9.2} {:>6.2}% {:>8.2}",
                h,
                sc.n,
                sc.mae,
                sc.rmse,
                100.0 * sc.nrmse,
                sc.bias
            );
            for r in &sc.references {
                let _ = write!(t, " {:>13.3}", r.skill);
            }
            if let (Some(c), Some((cov, nominal))) = (sc.crps, sc.coverage) {
                let _ = write!(
                    t,
                    " {:>9.2} {:>4.1}/{:.0}%",
                    c,
                    100.0 * cov,
                    100.0 * nominal
                );
            }
            t.push('\n');
        }
        if nq == 1 {
            t.push_str(
                "one quantile: its pinball loss is in the report; a band's coverage and the CRPS need two or more\n",
            );
        }
        t
    }
}

/// One forecast of [`predict`].
#[derive(Debug, Clone, Serialize)]
pub struct PredictRow {
    /// The target's stamp.
    pub target: String,
    pub forecast: f64,
    pub quantiles: Vec<f64>,
}

/// A forecast past the data.
#[derive(Debug, Clone)]
pub struct PredictReport {
    /// The last value known.
    pub origin: String,
    /// Steps forecast.
    pub horizon: usize,
    /// Training pairs, and pairs dropped for a missing feature.
    pub train_rows: usize,
    pub dropped: usize,
    /// One per step.
    pub rows: Vec<PredictRow>,
    /// Steps without a forecast.
    pub missing: usize,
    pub out: PathBuf,
    /// Under `--model auto`: the candidates' validation and the winner.
    pub choice: Option<model::Choice>,
    /// Bands widened to hold their point forecast ([`model::Predictions::widened`]).
    pub bands_widened: usize,
    /// Intervals of the file after the last value, all missing: the forecast starts this
    /// many steps before the file ends.
    pub trailing_missing: usize,
    /// The file's last interval.
    pub file_end: String,
}

impl PredictReport {
    /// The summary the command prints.
    pub fn text(&self) -> String {
        let mut t = format!(
            "forecast from {} (last value) for {} steps, trained on {} pairs ({} dropped for a missing feature); written to {}\n",
            self.origin,
            self.horizon,
            self.train_rows,
            self.dropped,
            self.out.display()
        );
        if self.trailing_missing > 0 {
            let _ = writeln!(
                t,
                "note: the file's last {} intervals (to {}) have no value, so the forecast starts from the last value, before the file ends: {} of its {} steps are for times the file already spans",
                self.trailing_missing,
                self.file_end,
                self.trailing_missing.min(self.horizon),
                self.horizon
            );
        }
        if self.missing > 0 {
            let _ = writeln!(
                t,
                "{} steps have no forecast (a feature is missing at the origin or target)",
                self.missing
            );
        }
        if self.bands_widened > 0 {
            let _ = writeln!(
                t,
                "bands: {} of {} steps had the point forecast outside their band, which was widened to hold it",
                self.bands_widened, self.horizon
            );
        }
        if let Some(c) = &self.choice {
            let rmse: Vec<String> = c
                .candidates
                .iter()
                .map(|c| format!("{} {:.2}", c.name, c.error))
                .collect();
            let _ = writeln!(
                t,
                "model auto: winners by horizon step {} (most accurate: {}); validation {} over the window's last {} fifth(s) ({} pairs): {}",
                c.winners.join(", "),
                c.most_accurate.join(", "),
                c.metric.to_uppercase(),
                c.folds,
                c.validation_pairs,
                rmse.join(", ")
            );
            if let Some(w) = c.thin_warning() {
                t.push_str(&w);
            }
        }
        t
    }
}

/// Extends the inputs by `extra` steps past the data (physics, calendar, weather).
fn extend(p: &mut Prepared, extra: usize) {
    let s = &p.series;
    let n = s.len();
    let times: Vec<i64> = (n..n + extra)
        .map(|i| s.start + i as i64 * s.step + p.label_shift)
        .collect();
    p.inputs.y.extend(std::iter::repeat_n(f64::NAN, extra));
    if let Some(site) = &p.settings.site {
        let c = physics::clear_sky(site, &times);
        p.inputs.poa_clear.extend(c.poa);
        p.inputs.elevation.extend(c.elevation);
    }
    for &t in &times {
        let (h, y) = calendar_angles(t, s.offset);
        p.inputs.hour_angle.push(h);
        p.inputs.year_angle.push(y);
    }
    if let Some(x) = &p.weather {
        let all: Vec<i64> = (0..n + extra)
            .map(|i| s.start + i as i64 * s.step + p.label_shift)
            .collect();
        set_weather(&mut p.inputs, x.align(&all), p.settings.wind.as_ref());
    }
}

/// Forecasts the horizon after the data's last value, trained on the window before it
/// (phases `fit`, `predict`), and writes the forecast (phase `write`).
pub fn predict(mut p: Prepared, out: &Path, span: &mut Span) -> Result<PredictReport> {
    let s = p.series.clone();
    let n = s.len();
    let Some(origin) = (0..n).rev().find(|&i| !s.values[i].is_nan()) else {
        return Err(ForecastError::Setting(format!(
            "{}: column '{}' has no values",
            p.settings.data.display(),
            p.settings.target
        )));
    };
    let h = p.inputs.horizon;
    let extra = (origin + h + 1).saturating_sub(n);
    if extra > 0 {
        extend(&mut p, extra);
    }
    let to = origin + 1;
    let from = to.saturating_sub(p.settings.window);
    let d = &p.settings;
    let f = span
        .phase("fit", |_| {
            model::fit(&p.inputs, &d.learner, &d.quantiles, d.method, from, to)
        })
        .map_err(|e| ForecastError::Setting(e.to_string()))?;
    let pairs: Vec<(usize, usize)> = (1..=h).map(|k| (origin, k)).collect();
    let pred = span.phase("predict", |_| model::predict(&p.inputs, &f, &pairs));
    let mut csv = String::from("target,horizon_minutes,forecast");
    for q in &d.quantiles {
        let _ = write!(csv, ",q{q}");
    }
    csv.push('\n');
    let mut rows = Vec::new();
    for (k, &(i, hh)) in pairs.iter().enumerate() {
        let target = Stamp {
            t: s.start + (i + hh) as i64 * s.step,
            offset: s.offset,
        };
        let _ = write!(
            csv,
            "{},{},{}",
            target.rfc3339(),
            hh as i64 * s.step / 60,
            cell(pred.point[k])
        );
        for q in &pred.quantiles {
            let _ = write!(csv, ",{}", cell(q[k]));
        }
        csv.push('\n');
        rows.push(PredictRow {
            target: target.rfc3339(),
            forecast: pred.point[k],
            quantiles: pred.quantiles.iter().map(|q| q[k]).collect(),
        });
    }
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(out, csv.as_bytes())
    })
    .map_err(|e| ForecastError::Write {
        path: out.to_path_buf(),
        source: e,
    })?;
    Ok(PredictReport {
        trailing_missing: n - 1 - origin,
        file_end: stamp(&s, n - 1),
        origin: stamp(&s, origin),
        horizon: h,
        train_rows: f.train_rows,
        dropped: f.dropped,
        missing: pred.point.iter().filter(|v| v.is_nan()).count(),
        rows,
        out: out.to_path_buf(),
        choice: f.choice,
        bands_widened: pred.widened,
    })
}

/// A score as the report's JSON holds it.
pub fn score_json(sc: &Score, step: i64) -> serde_json::Value {
    let minutes = |h: usize| h as i64 * step / 60;
    let mut o = json!({
        "horizon_steps": sc.horizon,
        "horizon_minutes": minutes(sc.horizon),
        "n": sc.n,
        "mae": sc.mae,
        "rmse": sc.rmse,
        "nrmse": sc.nrmse,
        "bias": sc.bias,
        "pinball": sc.pinball.iter().map(|(q, l)| json!({"quantile": q, "loss": l})).collect::<Vec<_>>(),
        "coverage": sc.coverage.map(|c| c.0),
        "coverage_nominal": sc.coverage.map(|c| c.1),
        "crps": sc.crps,
    });
    for r in &sc.references {
        o[format!("skill_vs_{}", r.name)] = json!(r.skill);
        o[format!("rmse_{}", r.name)] = json!(r.rmse);
        o[format!("mae_{}", r.name)] = json!(r.mae);
    }
    o
}

impl BacktestReport {
    /// The results the report's JSON holds.
    pub fn results(&self, p: &Prepared) -> serde_json::Value {
        let r = self;
        let (d, s, bt) = (&p.settings, &p.series, &r.backtest);
        let overall = score_json(&r.overall, s.step);
        json!({
            "data": d.data,
            "target": d.target,
            "interval_seconds": s.step,
            "horizon_steps": p.inputs.horizon,
            "capacity": p.inputs.capacity,
            "site": d.site,
            "wind_site": d.wind.as_ref().map(|w| json!({
                "nominal_power": w.nominal,
                "measurement_height": w.measurement_height,
                "hub_height": w.hub_height,
                "roughness_length": w.roughness_length,
                "obstacle_height": w.obstacle_height,
            })),
            "model": d.learner,
            "model_choice": r.auto,
            "intervals": if d.quantiles.is_empty() { serde_json::Value::Null } else { json!(d.method) },
            "quantiles": d.quantiles,
            "features": p.inputs.feature_names(),
            "first_origin": stamp(s, r.settings.first),
            "last_origin": stamp(s, r.settings.last - 1),
            "refits": bt.refits,
            "train_pairs_mean": bt.train_rows_mean,
            "thin_refits": bt.thin_refits,
            "calibration_pairs": bt.calibration_pairs.map(|(fewest, mean)| json!({"fewest": fewest, "mean": mean})),
            "bands_widened_to_the_point": bt.bands_widened,
            "dropped_training_pairs": bt.dropped_training_pairs,
            "forecasts": bt.pairs.len(),
            "scored": r.overall.n,
            "left_out": r.left_out,
            "clock_check": p.clock,
            "time_fix": p.time_fix,
            "absent_intervals": s.absent,
            "missing_values": s.missing,
            "per_horizon": r.per_horizon.iter().map(|sc| score_json(sc, s.step)).collect::<Vec<_>>(),
            "overall": overall,
            "skill_vs_persistence": overall["skill_vs_persistence"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_with_the_command_lines_defaults() {
        let d = DataSettings::new("pv.csv", "ac_power", "15min", "1h").unwrap();
        assert_eq!((d.step, d.horizon, d.window), (900, 4, 60 * 96));
        assert_eq!((d.horizon_text.as_str(), d.lags), ("1h", 8));
        let d = d.train_window("30d").unwrap();
        assert_eq!((d.window, d.train_window_text.as_str()), (30 * 96, "30d"));
        assert!(DataSettings::new("pv.csv", "p", "15min", "1h10min").is_err());
        assert!(DataSettings::new("pv.csv", "p", "1h", "1d").is_err());
        let b = BacktestSettings::new("1d", 900, 10, 20).unwrap();
        assert_eq!(
            (b.refit, b.refit_text.as_str(), b.first, b.last),
            (96, "1d", 10, 20)
        );
        assert!(BacktestSettings::new("soon", 900, 0, 1).is_err());
    }

    #[test]
    fn closed_sets_parse_with_their_words() {
        assert_eq!("center".parse::<StampLabel>(), Ok(StampLabel::Centre));
        assert_eq!(StampLabel::End.shift(900), -450);
        assert_eq!(
            "middle".parse::<StampLabel>().unwrap_err().to_string(),
            "'middle': expected start, end or centre"
        );
        assert_eq!(
            "gbm".parse::<IntervalMethod>(),
            Ok(IntervalMethod::Quantile)
        );
        assert_eq!(
            "quantile".parse::<IntervalMethod>(),
            Ok(IntervalMethod::Quantile)
        );
        assert!("bands".parse::<IntervalMethod>().is_err());
    }

    #[test]
    fn naive_instants_are_on_the_data_clock() {
        assert_eq!(instant("2024-06-01", 0).unwrap(), 1_717_200_000);
        assert_eq!(instant("2024-06-01", 3600).unwrap(), 1_717_200_000 - 3600);
        assert_eq!(
            instant("2024-06-01T00:00:00+02:00", 0).unwrap(),
            1_717_200_000 - 7200
        );
        assert!(matches!(instant("June", 0), Err(ForecastError::Setting(_))));
    }

    #[test]
    fn a_bad_site_is_a_setting_error() {
        let site = PvSite {
            tilt: 95.0,
            ..crate::sample::SITE
        };
        let e = site.check().unwrap_err();
        assert!(matches!(e, ForecastError::Setting(_)));
        assert_eq!(e.to_string(), "tilt 95 is outside 0..90°");
    }
}
