//! `terrawatt forecast …`: rolling-origin backtests and forecasts of a renewable-output
//! series, with reference forecasts and skill scores.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use terrawatt_forecast::model::{AutoParams, IntervalMethod, Learner};
use terrawatt_forecast::parse_duration;
use terrawatt_forecast::physics::{PvSite, WindSite};
use terrawatt_forecast::task::{
    self, BacktestReport, BacktestSettings, DataSettings, Prepared, StampLabel, instant, stamp,
};
use terrawatt_learn::boost::{BoostParams, Loss};
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_table::time::parse_zone;

use crate::cli::one_of;
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
    /// Target series: CSV (gzipped too) or Parquet.
    ///
    /// A time column and the target; stamps must be regular (--interval); missing values stay missing.
    #[arg(long, value_name = "FILE", help_heading = "Data")]
    pub data: PathBuf,
    /// The column to forecast (e.g. AC power in W).
    #[arg(long, value_name = "COL", help_heading = "Data")]
    pub target: String,
    /// The time column of --data.
    ///
    /// Timestamps with UTC offsets, a Parquet datetime with a zone, or naive times with --tz.
    #[arg(
        long,
        default_value = "time",
        value_name = "COL",
        help_heading = "Data"
    )]
    pub time_column: String,
    /// Time zone (IANA) of naive timestamps.
    #[arg(long, value_name = "ZONE", help_heading = "Data")]
    pub tz: Option<String>,
    /// The data's interval (e.g. 15min, 1h); every stamp must lie on this grid.
    #[arg(long, value_name = "DURATION", help_heading = "Data")]
    pub interval: String,
    /// How far ahead to forecast (e.g. 1h, 4h): horizon / interval steps.
    #[arg(long, value_name = "DURATION", help_heading = "Data")]
    pub horizon: String,
    /// What the data's stamps mark: start (default), end or centre of the interval.
    #[arg(long, default_value = "start", value_parser = one_of::<String>(&["start", "end", "centre"]), help_heading = "Data", hide_short_help = true)]
    pub label: String,
    /// Corrects the power's clock before anything is fitted: a shift (`+60min`: the stamps
    /// are an hour late; `-30min`), or an IANA zone whose daylight-saving wall clock the
    /// stamps are, written under the file's fixed offset (`America/Denver`). The clock
    /// check (results: clock_check, time_fix) reports the shift before and after.
    #[arg(
        long,
        value_name = "SHIFT|ZONE",
        help_heading = "Data",
        hide_short_help = true
    )]
    pub fix_time_shift: Option<String>,
    /// Exogenous weather (measured or forecast) at the target times.
    ///
    /// E.g. NSRDB PSM3; a table with its own time column (--weather-time-column).
    #[arg(long, value_name = "FILE", help_heading = "Weather")]
    pub weather: Option<PathBuf>,
    /// The weather's time column.
    #[arg(
        long,
        default_value = "time",
        value_name = "COL",
        help_heading = "Weather",
        hide_short_help = true
    )]
    pub weather_time_column: String,
    /// Weather columns used as features, e.g. ghi,temp_air.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "COLS",
        help_heading = "Weather"
    )]
    pub weather_columns: Vec<String>,
    /// Time zone (IANA) of the weather's naive timestamps, where it is not --tz's (e.g. UTC
    /// for a reanalysis).
    #[arg(
        long,
        value_name = "ZONE",
        help_heading = "Weather",
        hide_short_help = true
    )]
    pub weather_tz: Option<String>,
    /// Use irradiance or wind columns that the target follows 2 h or more off their stamps
    /// (refused otherwise: a clock in another zone).
    #[arg(long, help_heading = "Weather", hide_short_help = true)]
    pub allow_weather_shift: bool,
    /// PV site latitude, degrees north (or --site).
    ///
    /// A PV site gives the physics features and the clear-sky references.
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "DEG",
        help_heading = "PV site"
    )]
    pub site_lat: Option<f64>,
    /// Site longitude, degrees east.
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "DEG",
        help_heading = "PV site"
    )]
    pub site_lon: Option<f64>,
    /// Site altitude (m).
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "PV site",
        hide_short_help = true
    )]
    pub site_elevation: f64,
    /// Array tilt and azimuth (°, azimuth clockwise from north).
    #[arg(long, help_heading = "PV site", hide_short_help = true)]
    pub tilt: Option<f64>,
    /// Array azimuth, degrees clockwise from north (180 = south).
    #[arg(long, help_heading = "PV site", hide_short_help = true)]
    pub azimuth: Option<f64>,
    /// Linke turbidity of the clear sky.
    #[arg(
        long,
        default_value_t = 3.0,
        help_heading = "PV site",
        hide_short_help = true
    )]
    pub linke: f64,
    /// A TOML file of the site: latitude, longitude, elevation, tilt, azimuth.
    ///
    /// albedo and linke may be given too.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["site_lat", "site_lon"], help_heading = "PV site")]
    pub site: Option<PathBuf>,
    /// Wind site: the --weather column of wind speed, m/s.
    ///
    /// It gives the wind features: hub-height wind and the turbine's power curve at the
    /// target and the origin.
    #[arg(long, value_name = "COL", help_heading = "Wind site")]
    pub wind_column: Option<String>,
    /// Height of --wind-column's wind speed (m); brought to --hub-height by the logarithmic
    /// profile with --roughness-length and --obstacle-height.
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "M",
        help_heading = "Wind site",
        hide_short_help = true
    )]
    pub wind_height: f64,
    /// Hub height of the turbine, m.
    #[arg(
        long,
        value_name = "M",
        help_heading = "Wind site",
        hide_short_help = true
    )]
    pub hub_height: Option<f64>,
    /// Roughness length of the terrain, m, for the logarithmic wind profile.
    #[arg(
        long,
        default_value_t = 0.15,
        value_name = "M",
        help_heading = "Wind site",
        hide_short_help = true
    )]
    pub roughness_length: f64,
    /// Height of obstacles around the turbine, m (the profile's displacement).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "M",
        help_heading = "Wind site",
        hide_short_help = true
    )]
    pub obstacle_height: f64,
    /// The turbine: a type of --turbine-library, or its own --power-curve CSV.
    #[arg(long, value_name = "NAME", help_heading = "Wind site")]
    pub turbine: Option<String>,
    /// Folder with the OpenEnergy-database turbine CSVs (turbine_data.csv, power_curves.csv).
    #[arg(
        long,
        value_name = "DIR",
        env = "TERRAWATT_TURBINE_LIBRARY",
        help_heading = "Wind site",
        hide_short_help = true
    )]
    pub turbine_library: Option<PathBuf>,
    /// A power curve CSV (wind_speed, value in W) instead of the library's turbine.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "turbine",
        help_heading = "Wind site",
        hide_short_help = true
    )]
    pub power_curve: Option<PathBuf>,
    /// Capacity in the target's unit [default: the largest value].
    ///
    /// It normalises the errors and bounds the forecasts; a capacity below 1/1.5 of the
    /// largest value, or above 100 times it, is refused (another unit).
    #[arg(long, help_heading = "Data")]
    pub capacity: Option<f64>,
    /// The point model: auto (chosen by validation), gbm or linear.
    ///
    /// gbm: gradient boosting (also `boosting`); linear: ridge regression on standardised
    /// features (also `ridge`). auto: at each refit, the reference forecasts, ridge and boosting at two sizes
    /// (--trees × --max-depth, and half the trees one level shallower) are scored on the
    /// window's last --auto-folds fifths, each forecast by fits on what precedes it; per
    /// horizon, the cheapest within --auto-tolerance of the best RMSE wins.
    #[arg(
        long,
        default_value = "auto",
        value_parser = one_of::<String>(&["auto", "gbm", "boosting", "linear", "ridge"]),
        help_heading = "Model"
    )]
    pub model: String,
    /// The point forecast's loss: squared (a mean) or absolute (a median: boosting with the
    /// absolute loss, linear median regression, auto's candidates compared by MAE; the 0.5
    /// band is then the point).
    #[arg(
        long,
        default_value = "squared",
        value_parser = one_of::<String>(&["squared", "absolute"]),
        help_heading = "Model",
        hide_short_help = true
    )]
    pub loss: String,
    /// With --model auto: a cheaper candidate wins when its validation RMSE is within this
    /// share of the best one's (0.01 is 1 %).
    #[arg(
        long,
        default_value_t = 0.01,
        value_name = "SHARE",
        help_heading = "Model",
        hide_short_help = true
    )]
    pub auto_tolerance: f64,
    /// With --model auto: validation folds, each a fifth of the training window, rolling
    /// back from its end (1 to 3); more folds cost proportionally more fits.
    #[arg(long, default_value_t = terrawatt_forecast::model::FOLDS as u8, value_parser = clap::value_parser!(u8).range(1..=3), help_heading = "Model", hide_short_help = true)]
    pub auto_folds: u8,
    /// Quantiles to forecast, e.g. 0.1,0.5,0.9.
    #[arg(long, value_delimiter = ',', help_heading = "Model")]
    pub quantiles: Vec<f64>,
    /// How quantiles are made, from the model that forecasts: cqr (quantile models of its
    /// kind, quantile boosting or linear quantile regression, on 80 % of the window,
    /// calibrated on the last 20 %; the default for gbm and linear), quantile (those models
    /// alone; `gbm` names it for boosting) or conformal (split conformal residuals of the
    /// point model, the cheapest; the default for auto, the only one auto takes).
    #[arg(long, help_heading = "Model", hide_short_help = true)]
    pub intervals: Option<String>,
    /// Values at the origin used as features.
    #[arg(
        long,
        default_value_t = 8,
        help_heading = "Model",
        hide_short_help = true
    )]
    pub lags: usize,
    /// Training window before each fit.
    #[arg(
        long,
        default_value = "60d",
        value_name = "DURATION",
        help_heading = "Model"
    )]
    pub train_window: String,
    /// Boosting: trees, learning rate, depth; ridge: --alpha.
    #[arg(
        long,
        default_value_t = 100,
        help_heading = "Model",
        hide_short_help = true
    )]
    pub trees: usize,
    /// Boosting: the learning rate.
    #[arg(
        long,
        default_value_t = 0.1,
        help_heading = "Model",
        hide_short_help = true
    )]
    pub learning_rate: f64,
    /// Boosting: the trees' depth.
    #[arg(
        long,
        default_value_t = 3,
        help_heading = "Model",
        hide_short_help = true
    )]
    pub max_depth: usize,
    /// Ridge: the penalty.
    #[arg(
        long,
        default_value_t = 1.0,
        help_heading = "Model",
        hide_short_help = true
    )]
    pub alpha: f64,
    /// Seed of the boosting's row subsampling.
    #[arg(
        long,
        default_value_t = 0,
        help_heading = "Model",
        hide_short_help = true
    )]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The first forecast origin: a date or a timestamp [default: the data's last 365 days].
    ///
    /// Naive dates and times are in the data's clock; a date is its local midnight.
    #[arg(long, help_heading = "Period")]
    pub start: Option<String>,
    /// The end of the period (exclusive), as --start [default: the data's end].
    #[arg(long, help_heading = "Period")]
    pub end: Option<String>,
    /// Refit period.
    #[arg(
        long,
        default_value = "1d",
        value_name = "DURATION",
        help_heading = "Period"
    )]
    pub refit: String,
    /// CSV of every forecast.
    ///
    /// Columns: origin, target, horizon, observed, forecast, quantiles, references.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// PNG: a week of forecasts at the longest horizon against the observations.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
    /// PNG: skill against each reference by horizon.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Output",
        hide_short_help = true
    )]
    pub plot_skill: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// CSV of the forecast.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
}

fn site_from(a: &DataArgs) -> Result<Option<PvSite>> {
    let site = if let Some(p) = &a.site {
        Some((PvSite::from_toml_file(p)?, p.display().to_string()))
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
    terrawatt_wind::turbine::check_rotor(&t, hub_height)
        .map_err(|e| anyhow!("wind site (--hub-height {hub_height}): {e}"))?;
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
fn duration(name: &str, text: &str) -> Result<i64> {
    parse_duration(text)
        .ok_or_else(|| anyhow!("--{name} '{text}': expected a duration such as 15min, 1h, 4h, 60d"))
}

/// The data, site and model options as checked settings.
/// The interval, the horizon in intervals and the training window in intervals, checked
/// against each other.
fn steps(a: &DataArgs) -> Result<(i64, usize, usize)> {
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
    if horizon >= (86_400 / step) as usize {
        bail!(
            "--horizon {} must be shorter than a day (the day-before value is a feature)",
            a.horizon
        );
    }
    Ok((step, horizon, (window_s / step) as usize))
}

/// The quantiles, sorted and distinct, and the way their bands are made for `learner`.
fn bands(a: &DataArgs, learner: &Learner) -> Result<(Vec<f64>, IntervalMethod)> {
    let mut quantiles = a.quantiles.clone();
    for q in &quantiles {
        if !(*q > 0.0 && *q < 1.0) {
            bail!("--quantiles: {q} is not in (0, 1)");
        }
    }
    quantiles.sort_by(f64::total_cmp);
    quantiles.dedup();
    let method: IntervalMethod = match &a.intervals {
        Some(m)
            if m == "gbm" && matches!(learner, Learner::Linear { .. } | Learner::LinearMedian) =>
        {
            bail!(
                "--intervals gbm: quantile boosting is not the linear model that forecasts; with --model linear use --intervals quantile (linear quantile regression), cqr or conformal (the default)"
            )
        }
        Some(m) => m.parse().map_err(|e| anyhow!("--intervals {e}"))?,
        None => IntervalMethod::default_for(learner),
    };
    if !quantiles.is_empty() {
        method.check(learner)?;
    }
    Ok((quantiles, method))
}

fn data_settings(a: &DataArgs) -> Result<DataSettings> {
    let zone =
        a.tz.as_deref()
            .map(parse_zone)
            .transpose()
            .map_err(|e| anyhow!(e))?;
    let (step, horizon, window) = steps(a)?;
    let label: StampLabel = a.label.parse().map_err(|e| anyhow!("--label {e}"))?;
    let learner = learner_of(a)?;
    let (quantiles, method) = bands(a, &learner)?;
    let site = site_from(a)?;
    let wind = wind_from(a)?;
    if a.lags == 0 {
        bail!("--lags must be at least 1");
    }
    Ok(DataSettings {
        data: a.data.clone(),
        time_column: a.time_column.clone(),
        target: a.target.clone(),
        zone,
        step,
        horizon,
        horizon_text: a.horizon.clone(),
        window,
        train_window_text: a.train_window.clone(),
        label,
        weather: a.weather.clone(),
        weather_time_column: a.weather_time_column.clone(),
        weather_columns: a.weather_columns.clone(),
        wind_column: a.wind_column.clone(),
        site,
        wind,
        capacity: a.capacity,
        learner,
        method,
        quantiles,
        lags: a.lags,
        weather_zone: a
            .weather_tz
            .as_deref()
            .map(parse_zone)
            .transpose()
            .map_err(|e| anyhow!("--weather-tz: {e}"))?,
        allow_weather_shift: a.allow_weather_shift,
        fix_time: a
            .fix_time_shift
            .as_deref()
            .map(terrawatt_forecast::clock::TimeFix::parse)
            .transpose()
            .map_err(|e| anyhow!("--fix-time-shift {e}"))?,
    })
}

fn learner_of(a: &DataArgs) -> Result<Learner> {
    let boosting = |trees: usize, depth: usize| BoostParams {
        learning_rate: a.learning_rate,
        ..Learner::boost_params(trees, depth, a.seed)
    };
    let absolute = a.loss == "absolute";
    let l = match a.model.as_str() {
        "ridge" if absolute => bail!(
            "--loss absolute with --model ridge: ridge is the squared loss penalised; --model linear --loss absolute is linear median regression"
        ),
        "gbm" | "boosting" if absolute => Learner::Gbm(BoostParams {
            loss: Loss::Absolute,
            ..boosting(a.trees, a.max_depth)
        }),
        "linear" if absolute => Learner::LinearMedian,
        "auto" => Learner::Auto(AutoParams {
            alpha: a.alpha,
            boosting: vec![
                boosting((a.trees / 2).max(1), a.max_depth.saturating_sub(1).max(1)),
                boosting(a.trees, a.max_depth),
            ],
            references: true,
            tolerance: a.auto_tolerance,
            folds: usize::from(a.auto_folds),
            absolute,
        }),
        "gbm" | "boosting" => Learner::Gbm(boosting(a.trees, a.max_depth)),
        "linear" | "ridge" => Learner::Linear { alpha: a.alpha },
        other => bail!("--model '{other}': expected auto, gbm, boosting, linear or ridge"),
    };
    l.check()?;
    Ok(l)
}

/// The origins `[first, last)` of --start and --end (the last 365 days by default).
fn origins(a: &BacktestArgs, p: &Prepared) -> Result<(usize, usize)> {
    let s = &p.series;
    let step = s.step;
    let n = s.len();
    let first = match &a.start {
        Some(t) => {
            let t = instant(t, s.offset)?;
            ((t - s.start).max(0) + step - 1) / step
        }
        None => (n as i64 - 365 * 86_400 / step).max(p.settings.window as i64),
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
    Ok((first, last))
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
    let p = Prepared::load(&data_settings(d)?, span)?;
    let step = p.series.step;
    if refit_s % step != 0 {
        bail!(
            "--refit {} is not a whole number of --interval {}",
            a.refit,
            d.interval
        );
    }
    let (first, last) = origins(a, &p)?;
    let settings = BacktestSettings {
        refit: (refit_s / step) as usize,
        refit_text: a.refit.clone(),
        first,
        last,
        out: a.out.clone(),
    };
    let r = task::backtest(&p, &settings, span)?;
    plots(span, a, &p, &r)?;
    Ok(Outcome {
        results: r.results(&p),
        text: r.text(&p),
        unit: Some(FunctionalUnit::new(
            "1,000 forecasts",
            r.backtest.pairs.len() as f64 / 1000.0,
        )),
    })
}

/// The week's forecasts (--plot) and the skill by horizon (--plot-skill).
fn plots(span: &mut Span, a: &BacktestArgs, p: &Prepared, r: &BacktestReport) -> Result<()> {
    let s = &p.series;
    if let Some(path) = &a.plot {
        let w = r.week(p);
        let at = stamp(s, r.settings.first + p.inputs.horizon);
        let title = format!("{} ahead from {at}: forecast vs observed", a.data.horizon);
        let x_desc = format!("days since {at}");
        let y_desc = format!("{}, in the data's unit", a.data.target);
        span.phase("plot", |_| {
            crate::plot::forecast_band(
                path,
                crate::plot::Axes {
                    title: &title,
                    x: &x_desc,
                    y: &y_desc,
                },
                &w.x,
                &w.observed,
                &w.forecast,
                w.band.as_ref().map(|(l, h)| (l.as_slice(), h.as_slice())),
            )
        })?;
    }
    if let Some(path) = &a.plot_skill {
        let (x, lines) = r.skill_lines(s.step);
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
    Ok(())
}

pub fn predict(span: &mut Span, _ctx: &Ctx, a: &PredictArgs) -> Result<Outcome> {
    let d = &a.data;
    let mut inputs: Vec<&Path> = vec![&d.data];
    if let Some(w) = &d.weather {
        inputs.push(w);
    }
    check_output(&a.out, &inputs)?;
    let p = Prepared::load(&data_settings(d)?, span)?;
    // the clock's check and fix are said here as in a backtest
    let (clock, fix, lines) = (json!(p.clock), json!(p.time_fix), p.clock_lines());
    let r = task::predict(p, &a.out, span)?;
    Ok(Outcome {
        results: json!({
            "origin": r.origin,
            "missing_at_the_end": r.trailing_missing,
            "file_end": r.file_end,
            "horizon_steps": r.horizon,
            "train_pairs": r.train_rows,
            "forecasts": r.rows,
            "missing": r.missing,
            "bands_widened_to_the_point": r.bands_widened,
            "model_choice": r.choice,
            "clock_check": clock,
            "time_fix": fix,
        }),
        text: r.text() + &lines,
        unit: Some(FunctionalUnit::new(
            "1,000 forecasts",
            r.horizon as f64 / 1000.0,
        )),
    })
}
