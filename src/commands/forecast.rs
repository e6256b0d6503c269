//! `terrawatt forecast …`: rolling-origin backtests and forecasts of a renewable-output
//! series, with reference forecasts and skill scores.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use terrawatt_forecast::backtest::{self, Settings};
use terrawatt_forecast::model::{self, Inputs, IntervalMethod, Learner};
use terrawatt_forecast::physics::{self, PvSite, WindSite};
use terrawatt_forecast::series::{self, Exogenous, Series};
use terrawatt_forecast::{ForecastError, parse_duration};
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_table::time::{Stamp, parse_stamp, parse_zone, rfc3339};

use crate::task::check_output;
use crate::task::{Ctx, Outcome};

#[derive(Debug, Subcommand)]
pub enum ForecastCommand {
    /// Rolling-origin backtest: forecasts from every origin of a period, refitted every
    /// --refit on the --train-window before; skill against reference forecasts per horizon.
    Backtest(BacktestArgs),
    /// Forecasts the --horizon after the data's last value, trained on the last window.
    Predict(PredictArgs),
    /// Writes the synthetic 15-minute PV power sample (notebooks-data/pv-power-15min.csv).
    SamplePv(crate::cli::SampleArgs),
}

pub fn sample_pv(span: &mut Span, _ctx: &Ctx, a: &crate::cli::SampleArgs) -> Result<Outcome> {
    check_output(&a.out, &[])?;
    let text = span.phase("generate", |_| {
        terrawatt_forecast::sample::pv_power_csv(a.seed)
    });
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, text.as_bytes())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    let s = terrawatt_forecast::sample::SITE;
    Ok(Outcome {
        results: json!({ "out": a.out, "seed": a.seed, "site": s, "rows": text.lines().count() - 1 }),
        text: format!(
            "{}: 120 days of 15-minute AC power of a 5 kWp array at {}° N, {}° E (tilt {}°, azimuth {}°), seed {}\n",
            a.out.display(),
            s.latitude,
            s.longitude,
            s.tilt,
            s.azimuth,
            a.seed
        ),
        unit: None,
    })
}

/// The data, site and model options both commands share.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Target series: CSV (gzipped too) or Parquet with a time column and the target.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The column to forecast (e.g. AC power in W).
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// The time column of --data (timestamps with UTC offsets, a Parquet datetime with a
    /// zone, or naive times with --tz).
    #[arg(long, default_value = "time", value_name = "COL")]
    pub time_column: String,
    /// Time zone (IANA) of naive timestamps.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// The data's interval (e.g. 15min, 1h); every stamp must lie on this grid.
    #[arg(long, value_name = "DURATION")]
    pub interval: String,
    /// How far ahead to forecast (e.g. 1h, 4h): horizon / interval steps.
    #[arg(long, value_name = "DURATION")]
    pub horizon: String,
    /// What the data's stamps mark: start (default), end or centre of the interval.
    #[arg(long, default_value = "start")]
    pub label: String,
    /// Exogenous weather (measured or forecast) at the target times, e.g. NSRDB PSM3.
    #[arg(long, value_name = "FILE")]
    pub weather: Option<PathBuf>,
    /// The weather's time column.
    #[arg(long, default_value = "time", value_name = "COL")]
    pub weather_time_column: String,
    /// Weather columns used as features (comma-separated, e.g. ghi,temp_air).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub weather_columns: Vec<String>,
    /// PV site for the physics features and the clear-sky references (or --site).
    #[arg(long, allow_hyphen_values = true)]
    pub site_lat: Option<f64>,
    /// Site longitude, degrees east.
    #[arg(long, allow_hyphen_values = true)]
    pub site_lon: Option<f64>,
    /// Site altitude (m).
    #[arg(long, default_value_t = 0.0)]
    pub site_elevation: f64,
    /// Array tilt and azimuth (°, azimuth clockwise from north).
    #[arg(long)]
    pub tilt: Option<f64>,
    /// Array azimuth, degrees clockwise from north (180 = south).
    #[arg(long)]
    pub azimuth: Option<f64>,
    /// Linke turbidity of the clear sky.
    #[arg(long, default_value_t = 3.0)]
    pub linke: f64,
    /// A TOML file with latitude, longitude, elevation, tilt, azimuth[, albedo, linke].
    #[arg(long, value_name = "FILE", conflicts_with_all = ["site_lat", "site_lon"])]
    pub site: Option<PathBuf>,
    /// Wind site: the --weather column of wind speed (m/s) for the wind features (hub-height
    /// wind and the turbine's power curve at the target and the origin).
    #[arg(long, value_name = "COL")]
    pub wind_column: Option<String>,
    /// Height of --wind-column's wind speed (m); brought to --hub-height by the logarithmic
    /// profile with --roughness-length and --obstacle-height.
    #[arg(long, default_value_t = 10.0, value_name = "M")]
    pub wind_height: f64,
    /// Hub height of the turbine, m.
    #[arg(long, value_name = "M")]
    pub hub_height: Option<f64>,
    #[arg(long, default_value_t = 0.15, value_name = "M")]
    pub roughness_length: f64,
    #[arg(long, default_value_t = 0.0, value_name = "M")]
    pub obstacle_height: f64,
    /// The turbine: a type of --turbine-library, or its own --power-curve CSV.
    #[arg(long, value_name = "NAME")]
    pub turbine: Option<String>,
    #[arg(long, value_name = "DIR", env = "TERRAWATT_TURBINE_LIBRARY")]
    pub turbine_library: Option<PathBuf>,
    /// A power curve CSV (wind_speed, value in W) instead of the library's turbine.
    #[arg(long, value_name = "FILE", conflicts_with = "turbine")]
    pub power_curve: Option<PathBuf>,
    /// Capacity in the target's unit, for normalised errors (default: the largest value).
    #[arg(long)]
    pub capacity: Option<f64>,
    /// gbm (gradient boosting) or linear (ridge).
    #[arg(long, default_value = "gbm")]
    pub model: String,
    /// Quantiles to forecast, e.g. 0.1,0.5,0.9.
    #[arg(long, value_delimiter = ',')]
    pub quantiles: Vec<f64>,
    /// How quantiles are made: cqr (quantile-loss boosting on 80 % of the window,
    /// calibrated on the last 20 %), gbm (quantile-loss boosting alone) or conformal (split
    /// conformal residuals of the point model).
    #[arg(long, default_value = "cqr")]
    pub intervals: String,
    /// Values at the origin used as features.
    #[arg(long, default_value_t = 8)]
    pub lags: usize,
    /// Training window before each fit.
    #[arg(long, default_value = "60d", value_name = "DURATION")]
    pub train_window: String,
    /// Boosting: trees, learning rate, depth; ridge: --alpha.
    #[arg(long, default_value_t = 100)]
    pub trees: usize,
    #[arg(long, default_value_t = 0.1)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 3)]
    pub max_depth: usize,
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Seed of the boosting's row subsampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// First and last (exclusive) forecast origin: a date or timestamp (naive ones in the
    /// data's clock). Default: the last 365 days of the data.
    #[arg(long)]
    pub start: Option<String>,
    /// The end of the period: a date (local midnight) or a timestamp, as the start.
    #[arg(long)]
    pub end: Option<String>,
    /// Refit period.
    #[arg(long, default_value = "1d", value_name = "DURATION")]
    pub refit: String,
    /// CSV of every forecast (origin, target, horizon, observed, forecast, quantiles,
    /// references).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// PNG: a week of forecasts at the longest horizon against the observations.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// PNG: skill against each reference by horizon.
    #[arg(long, value_name = "FILE")]
    pub plot_skill: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// CSV of the forecast.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Everything read and derived from the inputs.
struct Prepared {
    series: Series,
    inputs: Inputs,
    learner: Learner,
    method: IntervalMethod,
    quantiles: Vec<f64>,
    window: usize,
    site: Option<PvSite>,
    wind: Option<WindSite>,
    label_shift: i64,
    /// The weather as read, to align again to times past the data.
    weather: Option<Exogenous>,
}

fn site_from(a: &DataArgs) -> Result<Option<PvSite>> {
    let site = if let Some(p) = &a.site {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let s: PvSite = toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", p.display()))?;
        Some((s, p.display().to_string()))
    } else {
        match (a.site_lat, a.site_lon, a.tilt, a.azimuth) {
            (None, None, None, None) => None,
            (Some(latitude), Some(longitude), Some(tilt), Some(azimuth)) => Some((
                PvSite {
                    latitude,
                    longitude,
                    elevation: a.site_elevation,
                    tilt,
                    azimuth,
                    albedo: 0.2,
                    linke: a.linke,
                },
                "--site-lat/--site-lon/--tilt/--azimuth".to_string(),
            )),
            _ => bail!(
                "a PV site needs all of --site-lat, --site-lon, --tilt and --azimuth (or --site FILE)"
            ),
        }
    };
    match site {
        Some((s, from)) => {
            s.check().map_err(|e| anyhow!("{from}: {e}"))?;
            Ok(Some(s))
        }
        None => Ok(None),
    }
}

fn wind_from(a: &DataArgs) -> Result<Option<WindSite>> {
    let Some(col) = &a.wind_column else {
        if a.hub_height.is_some() || a.turbine.is_some() || a.power_curve.is_some() {
            bail!("a wind site needs --wind-column COL (a column of --weather)");
        }
        return Ok(None);
    };
    if a.weather.is_none() {
        bail!("--wind-column {col} needs --weather FILE");
    }
    let hub_height = a
        .hub_height
        .ok_or_else(|| anyhow!("--wind-column needs --hub-height M"))?;
    let t = match (&a.turbine, &a.power_curve, &a.turbine_library) {
        (Some(name), None, Some(dir)) => terrawatt_wind::turbine::library_turbine(name, dir)?,
        (Some(_), None, None) => {
            bail!("--turbine needs --turbine-library DIR (or TERRAWATT_TURBINE_LIBRARY)")
        }
        (None, Some(p), _) => terrawatt_wind::turbine::TurbineCurve::from_csv(p)?,
        _ => bail!(
            "--wind-column needs --turbine NAME (with --turbine-library) or --power-curve FILE"
        ),
    };
    let w = WindSite {
        curve: t.curve,
        nominal: t.nominal,
        measurement_height: a.wind_height,
        hub_height,
        roughness_length: a.roughness_length,
        obstacle_height: a.obstacle_height,
    };
    w.check()
        .map_err(|e| anyhow!("wind site (--turbine {}): {e}", t.name))?;
    Ok(Some(w))
}

/// Puts the weather aligned to the grid into the inputs: the feature columns, and with a
/// wind site the hub-height wind and the power curve from the wind column (the last one).
fn set_weather(inputs: &mut Inputs, mut aligned: Vec<Vec<f64>>, wind: Option<&WindSite>) {
    if let Some(w) = wind {
        let v = aligned.pop().expect("the wind column is read last");
        inputs.wind_hub = w.hub_wind(&v);
        inputs.curve_fraction = w.curve_fraction(&inputs.wind_hub);
    }
    inputs.exog = aligned;
}

fn duration(name: &str, text: &str) -> Result<i64> {
    parse_duration(text)
        .ok_or_else(|| anyhow!("--{name} '{text}': expected a duration such as 15min, 1h, 4h, 60d"))
}

fn prepare(span: &mut Span, a: &DataArgs) -> Result<Prepared> {
    let zone =
        a.tz.as_deref()
            .map(parse_zone)
            .transpose()
            .map_err(|e| anyhow!(e))?;
    let step = duration("interval", &a.interval)?;
    let horizon_s = duration("horizon", &a.horizon)?;
    if horizon_s % step != 0 {
        bail!(
            "--horizon {} is not a whole number of --interval {}",
            a.horizon,
            a.interval
        );
    }
    let horizon = (horizon_s / step) as usize;
    let window_s = duration("train-window", &a.train_window)?;
    if 86_400 % step != 0 {
        bail!("--interval {} does not divide a day", a.interval);
    }
    let steps_per_day = (86_400 / step) as usize;
    if horizon >= steps_per_day {
        bail!(
            "--horizon {} must be shorter than a day (the day-before value is a feature)",
            a.horizon
        );
    }
    let label_shift = match a.label.as_str() {
        "start" => step / 2,
        "end" => -step / 2,
        "centre" | "center" => 0,
        other => bail!("--label '{other}': expected start, end or centre"),
    };
    let mut quantiles = a.quantiles.clone();
    for q in &quantiles {
        if !(*q > 0.0 && *q < 1.0) {
            bail!("--quantiles: {q} is not in (0, 1)");
        }
    }
    quantiles.sort_by(f64::total_cmp);
    quantiles.dedup();
    let method = match a.intervals.as_str() {
        "gbm" => IntervalMethod::QuantileGbm,
        "conformal" => IntervalMethod::Conformal,
        "cqr" => IntervalMethod::Cqr,
        other => bail!("--intervals '{other}': expected cqr, gbm or conformal"),
    };
    let learner = match a.model.as_str() {
        "gbm" => {
            let Learner::Gbm(mut p) = Learner::gbm(a.seed) else {
                unreachable!()
            };
            p.n_trees = a.trees;
            p.learning_rate = a.learning_rate;
            p.max_depth = a.max_depth;
            p.clone().check().map_err(|e| anyhow!("{e}"))?;
            Learner::Gbm(p)
        }
        "linear" => Learner::Linear { alpha: a.alpha },
        other => bail!("--model '{other}': expected gbm or linear"),
    };
    let site = site_from(a)?;
    let wind = wind_from(a)?;
    if a.lags == 0 {
        bail!("--lags must be at least 1");
    }
    let series = span.phase("read", |_| {
        series::read_target(&a.data, &a.time_column, &a.target, step, zone)
    })?;
    if series.len() <= horizon + steps_per_day {
        bail!(
            "{}: {} intervals of data are not enough for a {} horizon (at least a day plus the horizon is needed)",
            a.data.display(),
            series.len(),
            a.horizon
        );
    }
    let window = (window_s / step) as usize;
    let capacity = match a.capacity {
        Some(c) if c > 0.0 => c,
        Some(c) => bail!("--capacity {c} must be positive"),
        None => {
            let m = series
                .values
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .fold(0.0, f64::max);
            if m <= 0.0 {
                bail!(
                    "{}: column '{}' is never positive; give --capacity",
                    a.data.display(),
                    a.target
                );
            }
            m
        }
    };
    let n = series.len();
    let centres: Vec<i64> = (0..n).map(|i| series.time(i) + label_shift).collect();
    let clear = match &site {
        Some(s) => span.phase("physics", |_| physics::clear_sky(s, &centres)),
        None => physics::ClearSky::default(),
    };
    let (hour_angle, year_angle): (Vec<f64>, Vec<f64>) = centres
        .iter()
        .map(|&t| calendar_angles(t, series.offset))
        .unzip();
    let mut weather = None;
    let mut aligned = vec![];
    match &a.weather {
        Some(p) => {
            if a.weather_columns.is_empty() && wind.is_none() {
                bail!(
                    "--weather {} needs --weather-columns (e.g. ghi,temp_air) or --wind-column",
                    p.display()
                );
            }
            let mut names = a.weather_columns.clone();
            names.extend(a.wind_column.iter().cloned());
            let x = span.phase("read weather", |_| {
                Exogenous::read(p, &a.weather_time_column, &names, zone)
            })?;
            aligned = x.align(&centres);
            weather = Some(x);
        }
        None => {
            if !a.weather_columns.is_empty() {
                bail!("--weather-columns needs --weather FILE");
            }
        }
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
        exog_names: a.weather_columns.clone(),
        steps_per_day,
        steps_per_hour: (3600 / step).max(1) as usize,
        horizon,
        lags: a.lags,
        capacity,
    };
    set_weather(&mut inputs, aligned, wind.as_ref());
    Ok(Prepared {
        series,
        inputs,
        learner,
        method,
        quantiles,
        window,
        site,
        wind,
        label_shift,
        weather,
    })
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

/// A date or timestamp on the data's clock when it carries no offset.
fn instant(text: &str, offset: i32) -> Result<i64> {
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
            anyhow!(
                "'{text}' is not a date or timestamp (e.g. 2012-01-01 or 2012-01-01T00:00:00-07:00)"
            )
        })?;
    Ok(naive.and_utc().timestamp() - offset as i64)
}

fn stamp(s: &Series, i: usize) -> String {
    rfc3339(s.time(i), s.offset)
}

pub fn backtest(span: &mut Span, _ctx: &Ctx, a: &BacktestArgs) -> Result<Outcome> {
    let d = &a.data;
    for o in [&a.out, &a.plot, &a.plot_skill].into_iter().flatten() {
        let mut inputs: Vec<&Path> = vec![&d.data];
        if let Some(w) = &d.weather {
            inputs.push(w);
        }
        check_output(o, &inputs)?;
    }
    let refit_s = duration("refit", &a.refit)?;
    let p = prepare(span, d)?;
    let s = &p.series;
    let step = s.step;
    if refit_s % step != 0 {
        bail!(
            "--refit {} is not a whole number of --interval {}",
            a.refit,
            d.interval
        );
    }
    let n = s.len();
    let first = match &a.start {
        Some(t) => {
            let t = instant(t, s.offset)?;
            ((t - s.start).max(0) + step - 1) / step
        }
        None => (n as i64 - 365 * 86_400 / step).max(p.window as i64) as i64,
    } as usize;
    let last = match &a.end {
        Some(t) => (((instant(t, s.offset)? - s.start) + step - 1) / step).max(0) as usize,
        None => n,
    }
    .min(n.saturating_sub(1));
    if first >= last {
        bail!(
            "no forecast origin between --start and --end inside the data ({} to {})",
            stamp(s, 0),
            stamp(s, n - 1)
        );
    }
    if first < p.inputs.steps_per_day {
        bail!(
            "the first origin {} leaves less than a day of data before it; start later",
            stamp(s, first)
        );
    }
    let settings = Settings {
        learner: p.learner.clone(),
        quantiles: p.quantiles.clone(),
        method: p.method,
        window: p.window,
        refit: (refit_s / step) as usize,
        first,
        last,
    };
    let bt = span
        .phase("backtest", |_| backtest::run(&p.inputs, &settings))
        .map_err(|e| match e {
            ForecastError::Setting(m) => anyhow!("{m} (first origin {})", stamp(s, first)),
            e => anyhow!(e),
        })?;
    let (per, all, left_out) = backtest::score(&p.inputs, &bt, &p.quantiles);
    let minutes = |h: usize| h as i64 * step / 60;
    // outputs
    if let Some(out) = &a.out {
        let mut csv = String::from("origin,target,horizon_minutes,observed,forecast");
        for q in &p.quantiles {
            write!(csv, ",q{q}")?;
        }
        for (r, _) in &bt.references {
            write!(csv, ",{}", r.name())?;
        }
        csv.push('\n');
        let v = |x: f64| {
            if x.is_nan() {
                String::new()
            } else {
                format!("{x}")
            }
        };
        for (k, &(i, h)) in bt.pairs.iter().enumerate() {
            write!(
                csv,
                "{},{},{},{},{}",
                stamp(s, i),
                stamp(s, i + h),
                minutes(h),
                v(p.inputs.y[i + h]),
                v(bt.point[k])
            )?;
            for q in &bt.quantiles {
                write!(csv, ",{}", v(q[k]))?;
            }
            for (_, r) in &bt.references {
                write!(csv, ",{}", v(r[k]))?;
            }
            csv.push('\n');
        }
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, csv.as_bytes())
        })
        .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(path) = &a.plot {
        // the longest horizon over the first week of targets
        let h = p.inputs.horizon;
        let week = 7 * p.inputs.steps_per_day;
        let pick: Vec<usize> = (0..bt.pairs.len())
            .filter(|&k| bt.pairs[k].1 == h)
            .take(week)
            .collect();
        let x: Vec<f64> = pick
            .iter()
            .map(|&k| (bt.pairs[k].0 + h - first - h) as f64 * step as f64 / 86_400.0)
            .collect();
        let obs: Vec<f64> = pick
            .iter()
            .map(|&k| p.inputs.y[bt.pairs[k].0 + h])
            .collect();
        let fc: Vec<f64> = pick.iter().map(|&k| bt.point[k]).collect();
        let lohi = (p.quantiles.len() >= 2).then(|| {
            let lo: Vec<f64> = pick.iter().map(|&k| bt.quantiles[0][k]).collect();
            let hi: Vec<f64> = pick
                .iter()
                .map(|&k| bt.quantiles[p.quantiles.len() - 1][k])
                .collect();
            (lo, hi)
        });
        let title = format!(
            "{} ahead from {}: forecast vs observed",
            d.horizon,
            stamp(s, first + h)
        );
        let x_desc = format!("days since {}", stamp(s, first + h));
        let y_desc = format!("{}, in the data's unit", d.target);
        span.phase("plot", |_| {
            crate::plot::forecast_band(
                path,
                crate::plot::Axes {
                    title: &title,
                    x: &x_desc,
                    y: &y_desc,
                },
                &x,
                &obs,
                &fc,
                lohi.as_ref().map(|(l, h)| (l.as_slice(), h.as_slice())),
            )
        })?;
    }
    if let Some(path) = &a.plot_skill {
        let x: Vec<f64> = per.iter().map(|sc| minutes(sc.horizon) as f64).collect();
        let lines: Vec<(String, Vec<f64>)> = bt
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
        span.phase("plot", |_| {
            crate::plot::lines(
                path,
                crate::plot::Axes {
                    title: "RMSE skill by horizon",
                    x: "horizon (minutes)",
                    y: "skill (1 − RMSE / RMSE of the reference)",
                },
                &x,
                &lines,
            )
        })?;
    }
    // report
    let mut t = String::new();
    writeln!(
        t,
        "{} '{}': {} intervals of {} s from {} ({} not in the file, {} missing values, kept missing); capacity {:.1}",
        d.data.display(),
        d.target,
        n,
        step,
        stamp(s, 0),
        s.absent,
        s.missing,
        p.inputs.capacity
    )?;
    writeln!(
        t,
        "backtest: origins {} to {} ({} forecasts of {} steps), {} refits every {} on {} before, {} training pairs on average{}",
        stamp(s, first),
        stamp(s, last - 1),
        bt.pairs.len(),
        p.inputs.horizon,
        bt.refits,
        a.refit,
        d.train_window,
        bt.train_rows_mean.round(),
        match p.site {
            Some(_) => "; targets with the Sun down are forecast 0 and not scored",
            None => "",
        }
    )?;
    writeln!(
        t,
        "scored: {} pairs with an observed target{}; {} left out for a missing forecast or reference",
        all.n,
        if p.site.is_some() { " in daylight" } else { "" },
        left_out
    )?;
    write!(
        t,
        "{:>8} {:>7} {:>9} {:>9} {:>7} {:>8}",
        "horizon", "n", "MAE", "RMSE", "nRMSE", "bias"
    )?;
    for r in &all.references {
        write!(t, " {:>13}", format!("skill_{}", short(r.name)))?;
    }
    if !p.quantiles.is_empty() {
        write!(t, " {:>9} {:>9}", "CRPS", "coverage")?;
    }
    t.push('\n');
    for sc in per.iter().chain(std::iter::once(&all)) {
        let h = if sc.horizon == 0 {
            "all".to_string()
        } else {
            format!("{}min", minutes(sc.horizon))
        };
        write!(
            t,
            "{:>8} {:>7} {:>9.2} {:>9.2} {:>6.2}% {:>8.2}",
            h,
            sc.n,
            sc.mae,
            sc.rmse,
            100.0 * sc.nrmse,
            sc.bias
        )?;
        for r in &sc.references {
            write!(t, " {:>13.3}", r.skill)?;
        }
        if let (Some(c), Some((cov, nominal))) = (sc.crps, sc.coverage) {
            write!(
                t,
                " {:>9.2} {:>4.1}/{:.0}%",
                c,
                100.0 * cov,
                100.0 * nominal
            )?;
        }
        t.push('\n');
    }
    let json_score = |sc: &backtest::Score| {
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
    };
    let overall = json_score(&all);
    Ok(Outcome {
        results: json!({
            "data": d.data,
            "target": d.target,
            "interval_seconds": step,
            "horizon_steps": p.inputs.horizon,
            "capacity": p.inputs.capacity,
            "site": p.site,
            "wind_site": p.wind.as_ref().map(|w| json!({
                "nominal_power": w.nominal,
                "measurement_height": w.measurement_height,
                "hub_height": w.hub_height,
                "roughness_length": w.roughness_length,
                "obstacle_height": w.obstacle_height,
            })),
            "model": p.learner,
            "intervals": if p.quantiles.is_empty() { serde_json::Value::Null } else { json!(p.method) },
            "quantiles": p.quantiles,
            "features": p.inputs.feature_names(),
            "first_origin": stamp(s, first),
            "last_origin": stamp(s, last - 1),
            "refits": bt.refits,
            "train_pairs_mean": bt.train_rows_mean,
            "dropped_training_pairs": bt.dropped_training_pairs,
            "forecasts": bt.pairs.len(),
            "scored": all.n,
            "left_out": left_out,
            "absent_intervals": s.absent,
            "missing_values": s.missing,
            "per_horizon": per.iter().map(json_score).collect::<Vec<_>>(),
            "overall": overall,
            "skill_vs_persistence": overall["skill_vs_persistence"],
        }),
        text: t,
        unit: Some(FunctionalUnit::new(
            "1,000 forecasts",
            bt.pairs.len() as f64 / 1000.0,
        )),
    })
}

fn short(name: &str) -> &str {
    match name {
        "persistence" => "persist",
        "climatology" => "clim",
        "optimal_blend" => "blend",
        other => other,
    }
}

pub fn predict(span: &mut Span, _ctx: &Ctx, a: &PredictArgs) -> Result<Outcome> {
    let d = &a.data;
    let mut inputs: Vec<&Path> = vec![&d.data];
    if let Some(w) = &d.weather {
        inputs.push(w);
    }
    check_output(&a.out, &inputs)?;
    let mut p = prepare(span, d)?;
    let s = p.series.clone();
    let n = s.len();
    // the last value known; extend the grid by the horizon for the targets' physics
    let Some(origin) = (0..n).rev().find(|&i| !s.values[i].is_nan()) else {
        bail!("{}: column '{}' has no values", d.data.display(), d.target);
    };
    let h = p.inputs.horizon;
    let extra = (origin + h + 1).saturating_sub(n);
    if extra > 0 {
        let times: Vec<i64> = (n..n + extra)
            .map(|i| s.start + i as i64 * s.step + p.label_shift)
            .collect();
        p.inputs.y.extend(std::iter::repeat_n(f64::NAN, extra));
        if let Some(site) = &p.site {
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
            set_weather(&mut p.inputs, x.align(&all), p.wind.as_ref());
        }
    }
    let to = origin + 1;
    let from = to.saturating_sub(p.window);
    let f = span
        .phase("fit", |_| {
            model::fit(&p.inputs, &p.learner, &p.quantiles, p.method, from, to)
        })
        .map_err(|e| anyhow!("{e}"))?;
    let pairs: Vec<(usize, usize)> = (1..=h).map(|k| (origin, k)).collect();
    let pred = span.phase("predict", |_| model::predict(&p.inputs, &f, &pairs));
    let mut csv = String::from("target,horizon_minutes,forecast");
    for q in &p.quantiles {
        write!(csv, ",q{q}")?;
    }
    csv.push('\n');
    let v = |x: f64| {
        if x.is_nan() {
            String::new()
        } else {
            format!("{x}")
        }
    };
    let mut rows = Vec::new();
    for (k, &(i, hh)) in pairs.iter().enumerate() {
        let target = Stamp {
            t: s.start + (i + hh) as i64 * s.step,
            offset: s.offset,
        };
        write!(
            csv,
            "{},{},{}",
            target.rfc3339(),
            hh as i64 * s.step / 60,
            v(pred.point[k])
        )?;
        for q in &pred.quantiles {
            write!(csv, ",{}", v(q[k]))?;
        }
        csv.push('\n');
        rows.push(json!({
            "target": target.rfc3339(),
            "forecast": pred.point[k],
            "quantiles": pred.quantiles.iter().map(|q| q[k]).collect::<Vec<_>>(),
        }));
    }
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, csv.as_bytes())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    let missing = pred.point.iter().filter(|v| v.is_nan()).count();
    let mut t = String::new();
    writeln!(
        t,
        "forecast from {} (last value) for {} steps, trained on {} pairs ({} dropped for a missing feature); written to {}",
        stamp(&s, origin),
        h,
        f.train_rows,
        f.dropped,
        a.out.display()
    )?;
    if missing > 0 {
        writeln!(
            t,
            "{missing} steps have no forecast (a feature is missing at the origin or target)"
        )?;
    }
    Ok(Outcome {
        results: json!({
            "origin": stamp(&s, origin),
            "horizon_steps": h,
            "train_pairs": f.train_rows,
            "forecasts": rows,
            "missing": missing,
        }),
        text: t,
        unit: Some(FunctionalUnit::new("1,000 forecasts", h as f64 / 1000.0)),
    })
}

/// The demo's forecast task: a week of 1-hour-ahead backtest on the PV sample (30-day window,
/// daily refits, 10–90 % quantiles), scored against the reference forecasts.
pub fn demo_backtest(span: &mut Span, data: &Path) -> Result<serde_json::Value> {
    let s = terrawatt_forecast::sample::SITE;
    let d = DataArgs {
        data: data.to_path_buf(),
        target: "ac_power".into(),
        time_column: "time".into(),
        tz: None,
        interval: "15min".into(),
        horizon: "1h".into(),
        label: "start".into(),
        weather: None,
        weather_time_column: "time".into(),
        weather_columns: vec![],
        site_lat: Some(s.latitude),
        site_lon: Some(s.longitude),
        site_elevation: s.elevation,
        tilt: Some(s.tilt),
        azimuth: Some(s.azimuth),
        linke: s.linke,
        site: None,
        wind_column: None,
        wind_height: 10.0,
        hub_height: None,
        roughness_length: 0.15,
        obstacle_height: 0.0,
        turbine: None,
        turbine_library: None,
        power_curve: None,
        capacity: Some(5000.0),
        model: "gbm".into(),
        quantiles: vec![0.1, 0.9],
        intervals: "cqr".into(),
        lags: 8,
        train_window: "30d".into(),
        trees: 100,
        learning_rate: 0.1,
        max_depth: 3,
        alpha: 1.0,
        seed: 0,
    };
    let p = prepare(span, &d)?;
    let first = p
        .series
        .index_of(1_717_200_000) // 2024-06-01T00:00:00Z
        .ok_or_else(|| anyhow!("{}: does not reach June 2024", data.display()))?;
    let settings = Settings {
        learner: p.learner.clone(),
        quantiles: p.quantiles.clone(),
        method: p.method,
        window: p.window,
        refit: p.inputs.steps_per_day,
        first,
        last: first + 7 * p.inputs.steps_per_day,
    };
    let bt = span.phase("backtest", |_| backtest::run(&p.inputs, &settings))?;
    let (per, _, _) = backtest::score(&p.inputs, &bt, &p.quantiles);
    let h = per.last().expect("a horizon");
    let skill = |name: &str| {
        h.references
            .iter()
            .find(|r| r.name == name)
            .map_or(f64::NAN, |r| r.skill)
    };
    Ok(json!({
        "name": "forecast-backtest",
        "data": data.display().to_string(),
        "forecasts": bt.pairs.len(),
        "refits": bt.refits,
        "rmse_1h": h.rmse,
        "nrmse_1h": h.nrmse,
        "skill_vs_persistence_1h": skill("persistence"),
        "skill_vs_climatology_1h": skill("climatology"),
        "coverage_1h": h.coverage.map(|c| c.0),
    }))
}
