//! `terrawatt demo`: one small task of each pillar that exists, each with its energy line,
//! and a total: the meter's own workload (synthetic weather → degree days), the building
//! load model's cross-validation, a CalTRACK baseline with its savings, and a year of PV
//! output on the sample weather.

use std::fmt::Write as _;

use std::path::{Path, PathBuf};

use crate::workload;
use anyhow::{Result, bail};
use serde_json::json;
use terrawatt_building::baseline::{self, FitSettings};
use terrawatt_building::load::{self, Hyper, ModelKind};
use terrawatt_building::series::{Freq, Meter, MeterOptions, TempUnit, Temperature};
use terrawatt_learn::cv;
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_table::{MissingPolicy, Table};

use crate::cli::DemoArgs;
use crate::task::{Ctx, Outcome};

type Value = serde_json::Value;

/// One task of the demo: run as a phase of the span, its line of text and its energy line
/// (per its functional unit) added to the text, the energy line kept in its results.
fn step(
    span: &mut Span,
    ctx: &Ctx,
    t: &mut String,
    name: &str,
    work: impl FnOnce(&mut Span) -> Result<Value>,
    unit: impl FnOnce(&Value) -> FunctionalUnit,
    line: impl FnOnce(&Value) -> String,
) -> Result<Value> {
    let mut v = span.phase(name, work)?;
    let phase = span.children().last().expect("the phase just closed");
    let energy_line = ctx.line(phase, Some(&unit(&v)));
    writeln!(t, "{}", line(&v))?;
    writeln!(t, "  {energy_line}")?;
    v["energy_line"] = json!(energy_line);
    Ok(v)
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

pub fn run(span: &mut Span, ctx: &Ctx, args: &DemoArgs) -> Result<Outcome> {
    if args.sites == 0 || args.years == 0 {
        bail!("--sites and --years must be at least 1");
    }
    let mut t = String::new();
    let mut tasks = vec![degree_days(span, ctx, args, &mut t)?];
    tasks.extend(building_steps(span, ctx, args, &mut t)?);
    tasks.extend(renewable_steps(span, ctx, args, &mut t)?);
    tasks.extend(raster_steps(span, ctx, args, &mut t)?);
    writeln!(
        t,
        "10 tasks; their total is the energy line that ends the command"
    )?;
    Ok(Outcome {
        results: json!({ "tasks": tasks }),
        text: t,
        unit: Some(FunctionalUnit::new("demo run", 1.0)),
    })
}

/// The meter's own workload: synthetic weather at many sites, reduced to degree days.
fn degree_days(span: &mut Span, ctx: &Ctx, args: &DemoArgs, t: &mut String) -> Result<Value> {
    let days = args.years * 365;
    let grid = workload::balance_grid(10.0, 27.0, 0.5);
    let bar = ctx.progress(2, "degree days");
    let (dd, n_points) = span.phase("degree-days", |task| {
        let daily = task.phase("weather", |_| {
            workload::all_daily_means(args.seed, args.sites, days)
        });
        bar.inc(1);
        let dd = task.phase("compute", |_| workload::all_degree_days(&daily, &grid));
        bar.inc(1);
        (dd, grid.len())
    });
    bar.finish_and_clear();
    let phase = span.children().last().expect("the phase just closed");
    let site_years = (args.sites * args.years) as f64;
    let unit = FunctionalUnit::new("site-year", site_years);
    let i18 = grid
        .iter()
        .position(|&b| b == 18.0)
        .expect("18 °C is on the grid");
    let per_year =
        |f: &dyn Fn(&(f64, f64)) -> f64| dd.iter().map(|s| f(&s[i18])).sum::<f64>() / site_years;
    let hdd18 = per_year(&|p| p.0);
    let cdd18 = per_year(&|p| p.1);
    let checksum: f64 = dd.iter().flatten().map(|(h, c)| h + c).sum();
    writeln!(
        t,
        "degree days: {} synthetic sites × {} years, {} balance points (10–27 °C): mean HDD18 {:.1} K·d/yr, CDD18 {:.1} K·d/yr",
        args.sites, args.years, n_points, hdd18, cdd18
    )?;
    let degree_day_line = ctx.line(phase, Some(&unit));
    writeln!(t, "  {degree_day_line}")?;
    Ok(json!({
        "name": "degree-days",
        "sites": args.sites,
        "years": args.years,
        "seed": args.seed,
        "balance_points": n_points,
        "hdd18_per_site_year": hdd18,
        "cdd18_per_site_year": cdd18,
        "checksum": checksum,
        "energy_line": degree_day_line,
    }))
}

/// Building: 5-fold CV of the boosted load model on the bundled sample buildings.
fn building_cv(p: &mut Span, buildings: &std::path::Path, seed: u64) -> Result<Value> {
    let table = p.phase("load", |_| Table::read(buildings))?;
    let sel = table.select(
        Some("heating_kwh_m2"),
        None,
        &["cooling_kwh_m2".to_string()],
        MissingPolicy::Error,
    )?;
    let y = sel.y.as_ref().expect("a target");
    let hyper = Hyper {
        seed,
        ..Default::default()
    };
    let spec = load::spec(ModelKind::Gbm, &hyper)?;
    let splits = cv::splits_from_folds(&cv::kfold_assignment(y.len(), 5, seed)?);
    let res = p.phase("cross-validation", |_| {
        cv::cross_validate(&spec, sel.x.view(), y.view(), &splits)
    })?;
    let (mae, sd) = res.mean_sd(|s| s.mae);
    let (r2, _) = res.mean_sd(|s| s.r2);
    Ok(json!({
        "name": "building-load-cv",
        "data": buildings.display().to_string(),
        "target": "heating_kwh_m2",
        "rows": y.len(),
        "model": "gbm",
        "folds": 5,
        "mae": mae,
        "mae_sd": sd,
        "r2": r2,
    }))
}

/// Baselines: a CalTRACK daily baseline on 2024, savings over 2025 (the sample's retrofit).
fn baseline_savings(p: &mut Span, dir: &std::path::Path) -> Result<Value> {
    let meter_path = dir.join("meter-daily.csv");
    let temp_path = dir.join("temperature-hourly.csv.gz");
    let (meter, temp) = p.phase("load", |_| -> Result<_> {
        Ok((
            Meter::read(&meter_path, Freq::Daily, &MeterOptions::default())?,
            Temperature::read(&temp_path, TempUnit::F, None, None, None)?,
        ))
    })?;
    let cut = meter.resolve(terrawatt_building::sample::SAMPLE_RETROFIT, None)?;
    let fitted = p.phase("fit", |_| {
        baseline::fit(
            &meter,
            &temp,
            TempUnit::F,
            None,
            Some(cut),
            &FitSettings::default(),
        )
    })?;
    let (s, _) = p.phase("savings", |_| {
        baseline::savings(&fitted.baseline, &meter, &temp, Some(cut), None, 0.90)
    })?;
    Ok(json!({
        "name": "baseline-savings",
        "meter": meter_path.display().to_string(),
        "model": terrawatt_building::tasks::describe(&fitted.baseline),
        "cv_rmse": fitted.baseline.fit.cv_rmse,
        "predicted_total": s.predicted_total,
        "observed_total": s.observed_total,
        "fractional_savings": s.fractional_savings,
        "fsu": s.fsu,
    }))
}

/// The building load model's cross-validation and the baseline with its savings.
fn building_steps(
    span: &mut Span,
    ctx: &Ctx,
    args: &DemoArgs,
    t: &mut String,
) -> Result<Vec<Value>> {
    let dir = sample_dir(args)?;
    let buildings = dir.join("buildings.csv");
    let building = step(
        span,
        ctx,
        t,
        "building-load-cv",
        |p| building_cv(p, &buildings, args.seed),
        |v| FunctionalUnit::new("1,000 predictions", f64_of(&v["rows"]) / 1000.0),
        |v| {
            format!(
                "building load: gradient boosting, 5-fold CV on {} sample buildings (heating, kWh/m² per year): MAE {:.2} ± {:.2}, R² {:.3}",
                v["rows"].as_u64().unwrap_or(0) as f64,
                f64_of(&v["mae"]),
                f64_of(&v["mae_sd"]),
                f64_of(&v["r2"])
            )
        },
    )?;
    let savings = step(
        span,
        ctx,
        t,
        "baseline-savings",
        |p| baseline_savings(p, &dir),
        |_| FunctionalUnit::new("meter", 1.0),
        |v| {
            format!(
                "baseline and savings: CalTRACK daily baseline on 2024 of the sample meter, {}; 2025 savings {:.1} % ± {:.1} % (90 %, CalTRACK fsu; the sample was made with 10 %)",
                v["model"].as_str().unwrap_or(""),
                100.0 * f64_of(&v["fractional_savings"]),
                100.0 * f64_of(&v["fractional_savings"]) * f64_of(&v["fsu"])
            )
        },
    )?;
    Ok(vec![building, savings])
}

/// Solar: a 5 kWp fixed array on the sample weather year.
fn solar_simulate(p: &mut Span, weather_path: &std::path::Path) -> Result<Value> {
    use terrawatt_solar::system::{System, simulate};
    let w = p.phase("load", |_| {
        terrawatt_solar::weather::read_auto(weather_path, 2019)
    })?;
    let system = System::pvwatts(5.0, 30.0, 180.0)?;
    let sim = p.phase("simulate", |_| {
        simulate(&w, &system, terrawatt_solar::weather::Label::Centre, 69.0)
    });
    Ok(json!({
        "name": "solar-simulate",
        "weather": weather_path.display().to_string(),
        "kwp": 5.0,
        "annual_energy_kwh": sim.energy_kwh,
        "specific_yield": sim.specific_yield,
        "capacity_factor": sim.capacity_factor,
    }))
}

/// A year of PV and wind output, and a week of PV forecasts.
fn renewable_steps(
    span: &mut Span,
    ctx: &Ctx,
    args: &DemoArgs,
    t: &mut String,
) -> Result<Vec<Value>> {
    let dir = sample_dir(args)?;
    let weather_path = dir.join("weather-sample.csv");
    let solar = step(
        span,
        ctx,
        t,
        "solar-simulate",
        |p| solar_simulate(p, &weather_path),
        |_| FunctionalUnit::new("site-year", 1.0),
        |v| {
            format!(
                "solar: 5 kWp at 30° south on the sample weather year (43.6° N): {:.0} kWh AC, {:.0} kWh/kWp, capacity factor {:.1} %",
                f64_of(&v["annual_energy_kwh"]),
                f64_of(&v["specific_yield"]),
                100.0 * f64_of(&v["capacity_factor"])
            )
        },
    )?;
    let wind_path = dir.join("wind-weather-sample.csv");
    let wind = step(
        span,
        ctx,
        t,
        "wind-simulate",
        |p| wind_simulate(p, &wind_path),
        |v| FunctionalUnit::new("turbine-year", v["hours"].as_f64().unwrap_or(0.0) / 8760.0),
        |v| {
            format!(
                "wind: a generic 3.6 MW turbine (rotor 120 m) at 100 m on the sample wind year: {:.0} MWh, capacity factor {:.1} %",
                f64_of(&v["annual_energy_mwh"]),
                100.0 * f64_of(&v["capacity_factor"])
            )
        },
    )?;
    let pv_path = dir.join("pv-power-15min.csv.gz");
    let forecast = step(
        span,
        ctx,
        t,
        "forecast-backtest",
        |p| forecast_backtest(p, &pv_path),
        |v| {
            FunctionalUnit::new(
                "1,000 forecasts",
                v["forecasts"].as_f64().unwrap_or(0.0) / 1000.0,
            )
        },
        |v| {
            format!(
                "forecast: 1-hour-ahead backtest of the 5 kWp sample's 15-minute power, 1–7 June 2024 ({} forecasts, {} daily refits): nRMSE {:.1} %, skill {:.2} vs persistence, {:.2} vs climatology, 10–90 % band holds {:.0} %",
                v["forecasts"],
                v["refits"],
                100.0 * f64_of(&v["nrmse_1h"]),
                f64_of(&v["skill_vs_persistence_1h"]),
                f64_of(&v["skill_vs_climatology_1h"]),
                100.0 * f64_of(&v["coverage_1h"])
            )
        },
    )?;
    Ok(vec![solar, wind, forecast])
}

/// Rasters: change detection on the sample scene, landscape metrics on its land cover and
/// forest loss in its reserve.
fn raster_steps(span: &mut Span, ctx: &Ctx, args: &DemoArgs, t: &mut String) -> Result<Vec<Value>> {
    let dir = sample_dir(args)?;
    let km2 = |v: &Value| FunctionalUnit::new("km² processed", v["km2"].as_f64().unwrap_or(0.0));
    let change = step(
        span,
        ctx,
        t,
        "raster-change",
        |p| {
            Ok(serde_json::to_value(terrawatt_raster::task::demo::change(
                p, &dir,
            )?)?)
        },
        km2,
        change_text,
    )?;
    let landscape = step(
        span,
        ctx,
        t,
        "landscape",
        |p| {
            Ok(serde_json::to_value(
                terrawatt_raster::task::demo::landscape(p, &dir)?,
            )?)
        },
        km2,
        landscape_text,
    )?;
    let forest = step(
        span,
        ctx,
        t,
        "forest-loss",
        |p| {
            Ok(serde_json::to_value(
                terrawatt_raster::task::demo::forest_loss(p, &dir)?,
            )?)
        },
        km2,
        forest_text,
    )?;
    let breaks = step(
        span,
        ctx,
        t,
        "breaks",
        |p| {
            Ok(serde_json::to_value(terrawatt_raster::task::demo::breaks(
                p, &dir,
            )?)?)
        },
        |v| FunctionalUnit::new("megapixel", v["megapixels"].as_f64().unwrap_or(0.0)),
        breaks_text,
    )?;
    Ok(vec![change, landscape, forest, breaks])
}

/// The demo line of the change step.
fn change_text(v: &Value) -> String {
    format!(
        "raster change: NDVI 2023-06 → 2024-06 on the sample scene (16 km², 10 m), SCL clouds and shadows masked ({:.1} %), dNDVI < −0.2, 0.5 ha minimum mapping unit: {:.2} ha cleared",
        100.0 * f64_of(&v["masked_share"]),
        f64_of(&v["changed_ha"])
    )
}

/// The demo line of the landscape step.
fn landscape_text(v: &Value) -> String {
    format!(
        "landscape: the sample land cover (5 classes): {} patches, Shannon diversity {:.3}; forest effective mesh size {:.1} ha, core area {:.1} ha",
        v["patches"],
        f64_of(&v["shannon_diversity"]),
        f64_of(&v["forest_mesh_ha"]),
        f64_of(&v["forest_core_ha"])
    )
}

/// The demo line of the forest-loss step.
fn forest_text(v: &Value) -> String {
    let reserve = &v["zones"][0];
    format!(
        "forest loss: the sample reserve (canopy > 30 %, patches > 1 ha): {:.2} ha of forest in 2000, {:.2} ha in 2024 ({:.2} ha lost in {} years with loss)",
        f64_of(&reserve["forest_2000_ha"]),
        f64_of(&reserve["forest_2024_ha"]),
        f64_of(&reserve["loss_ha"]),
        reserve["years_with_loss"]
    )
}

/// The demo line of the breaks step.
fn breaks_text(v: &Value) -> String {
    format!(
        "breaks: BFAST Monitor on the sample NDVI stack ({} pixels × {} dates, a third clouded), monitoring from 2021: {:.1} % of the {} drops found (median {:.0} days after), false alarms on {:.1} % of stable pixels",
        v["pixels"],
        v["dates"],
        100.0 * f64_of(&v["drops_found"]),
        v["drops"],
        f64_of(&v["median_delay_days"]),
        100.0 * f64_of(&v["false_alarms"])
    )
}

/// The demo's wind task: a generic 3.6 MW turbine (rotor 120 m, cut-in 3, rated 12,
/// cut-out 25 m/s) at 100 m on the sample weather year, windpowerlib's chain defaults.
fn wind_simulate(span: &mut Span, weather: &Path) -> Result<serde_json::Value> {
    let w = span.phase("read", |_| {
        terrawatt_wind::weather::WindWeather::read(weather)
    })?;
    let g = terrawatt_wind::generic::GenericTurbine {
        rated_power: 3.6e6,
        rotor_diameter: 120.0,
        cut_in: 3.0,
        rated_speed: 12.0,
        cut_out: 25.0,
        cp_max: None,
    }
    .check()
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let power = terrawatt_wind::chain::PowerModel::PowerCurve {
        curve: g.power_curve(),
        density_correction: false,
    };
    let hours = span.phase("simulate", |_| {
        terrawatt_wind::chain::run(
            &w,
            &power,
            &terrawatt_wind::chain::ChainSettings::new(100.0),
        )
    })?;
    let present: Vec<f64> = hours
        .iter()
        .map(|h| h.power)
        .filter(|p| !p.is_nan())
        .collect();
    let mwh = present.iter().sum::<f64>() / 1e6;
    Ok(json!({
        "name": "wind-simulate",
        "weather": weather.display().to_string(),
        "annual_energy_mwh": mwh,
        "capacity_factor": mwh / (3.6 * present.len() as f64),
        "hours": present.len(),
    }))
}

/// The demo's forecast task: a week of 1-hour-ahead backtest on the PV sample (30-day window,
/// daily refits, 10–90 % quantiles), scored against the reference forecasts.
fn forecast_backtest(span: &mut Span, data: &Path) -> Result<serde_json::Value> {
    let s = terrawatt_forecast::sample::SITE;
    use terrawatt_forecast::model::{IntervalMethod, Learner};
    use terrawatt_forecast::task::{self, BacktestSettings, DataSettings, Prepared, StampLabel};
    let d = DataSettings {
        data: data.to_path_buf(),
        time_column: "time".into(),
        target: "ac_power".into(),
        zone: None,
        step: 900,
        horizon: 4,
        horizon_text: "1h".into(),
        window: 30 * 96,
        train_window_text: "30d".into(),
        label: StampLabel::Start,
        weather: None,
        weather_time_column: "time".into(),
        weather_columns: vec![],
        wind_column: None,
        site: Some(s),
        wind: None,
        capacity: Some(5000.0),
        learner: Learner::gbm(0),
        method: IntervalMethod::Cqr,
        quantiles: vec![0.1, 0.9],
        lags: 8,
        fix_time: None,
        weather_zone: None,
        allow_weather_shift: false,
    };
    let p = Prepared::load(&d, span)?;
    let first = p
        .series
        .index_of(1_717_200_000) // 2024-06-01T00:00:00Z
        .ok_or_else(|| anyhow::anyhow!("{}: does not reach June 2024", data.display()))?;
    let settings = BacktestSettings {
        refit: p.inputs.steps_per_day,
        refit_text: "1d".into(),
        first,
        last: first + 7 * p.inputs.steps_per_day,
        out: None,
    };
    let r = task::backtest(&p, &settings, span)?;
    let bt = &r.backtest;
    let h = r.per_horizon.last().expect("a horizon");
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

/// `--samples`, else `./notebooks-data`, else the source tree's.
fn sample_dir(args: &DemoArgs) -> Result<PathBuf> {
    let candidates: Vec<PathBuf> = match &args.samples {
        Some(d) => vec![d.clone()],
        None => vec![
            PathBuf::from("notebooks-data"),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("notebooks-data"),
        ],
    };
    candidates
        .iter()
        .find(|d| d.join("buildings.csv").exists())
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no sample data: looked for buildings.csv in {}",
                candidates
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}
