//! `terrawatt demo`: one small task of each pillar that exists, each with its energy line,
//! and a total: the meter's own workload (synthetic weather → degree days), the building
//! load model's cross-validation, a CalTRACK baseline with its savings, and a year of PV
//! output on the sample weather.

use std::fmt::Write as _;

use std::path::PathBuf;

use anyhow::{Result, bail};
use serde_json::json;
use terrawatt::workload;
use terrawatt_building::baseline::{self, FitSettings};
use terrawatt_building::load::{self, Hyper, ModelKind};
use terrawatt_building::series::{Freq, Meter, MeterOptions, TempUnit, Temperature};
use terrawatt_learn::cv;
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_table::{MissingPolicy, Table};

use crate::cli::DemoArgs;
use crate::task::{Ctx, Outcome};

pub fn run(span: &mut Span, ctx: &Ctx, args: &DemoArgs) -> Result<Outcome> {
    if args.sites == 0 || args.years == 0 {
        bail!("--sites and --years must be at least 1");
    }
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
    let mut t = String::new();
    writeln!(
        t,
        "degree days: {} synthetic sites × {} years, {} balance points (10–27 °C): mean HDD18 {:.1} K·d/yr, CDD18 {:.1} K·d/yr",
        args.sites, args.years, n_points, hdd18, cdd18
    )?;
    let degree_day_line = ctx.line(phase, Some(&unit));
    writeln!(t, "  {degree_day_line}")?;
    let degree_days = json!({
        "name": "degree-days",
        "sites": args.sites,
        "years": args.years,
        "seed": args.seed,
        "balance_points": n_points,
        "hdd18_per_site_year": hdd18,
        "cdd18_per_site_year": cdd18,
        "checksum": checksum,
        "energy_line": degree_day_line,
    });

    // building: 5-fold CV of the boosted load model on the bundled sample
    let buildings = sample_dir(args)?.join("buildings.csv");
    let mut building = span.phase("building-load-cv", |p| -> Result<serde_json::Value> {
        let table = p.phase("load", |_| Table::read(&buildings))?;
        let sel = table.select(
            Some("heating_kwh_m2"),
            None,
            &["cooling_kwh_m2".to_string()],
            MissingPolicy::Error,
        )?;
        let y = sel.y.as_ref().expect("a target");
        let hyper = Hyper {
            seed: args.seed,
            ..Default::default()
        };
        let spec = load::spec(ModelKind::Gbm, &hyper)?;
        let splits = cv::splits_from_folds(&cv::kfold_assignment(y.len(), 5, args.seed)?);
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
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let rows = building["rows"].as_u64().unwrap_or(0) as f64;
    let per_1000 = FunctionalUnit::new("1,000 predictions", rows / 1000.0);
    let building_line = ctx.line(phase, Some(&per_1000));
    writeln!(
        t,
        "building load: gradient boosting, 5-fold CV on {rows} sample buildings (heating, kWh/m² per year): MAE {:.2} ± {:.2}, R² {:.3}",
        building["mae"].as_f64().unwrap_or(f64::NAN),
        building["mae_sd"].as_f64().unwrap_or(f64::NAN),
        building["r2"].as_f64().unwrap_or(f64::NAN)
    )?;
    writeln!(t, "  {building_line}")?;
    building["energy_line"] = json!(building_line);

    // baselines: CalTRACK daily baseline on 2024, savings over 2025 (the sample's retrofit)
    let dir = sample_dir(args)?;
    let meter_path = dir.join("meter-daily.csv");
    let temp_path = dir.join("temperature-hourly.csv.gz");
    let mut savings = span.phase("baseline-savings", |p| -> Result<serde_json::Value> {
        let (meter, temp) = p.phase("load", |_| -> Result<_> {
            Ok((
                Meter::read(&meter_path, Freq::Daily, &MeterOptions::default())?,
                Temperature::read(&temp_path, TempUnit::F, None, None, None)?,
            ))
        })?;
        let cut = meter
            .resolve(terrawatt_building::sample::SAMPLE_RETROFIT, None)
            .map_err(|e| anyhow::anyhow!(e))?;
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
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let per_meter = FunctionalUnit::new("meter", 1.0);
    let savings_line = ctx.line(phase, Some(&per_meter));
    writeln!(
        t,
        "baseline and savings: CalTRACK daily baseline on 2024 of the sample meter, {}; 2025 savings {:.1} % ± {:.1} % (90 %, CalTRACK fsu; the sample was made with 10 %)",
        savings["model"].as_str().unwrap_or(""),
        100.0 * savings["fractional_savings"].as_f64().unwrap_or(f64::NAN),
        100.0
            * savings["fractional_savings"].as_f64().unwrap_or(f64::NAN)
            * savings["fsu"].as_f64().unwrap_or(f64::NAN)
    )?;
    writeln!(t, "  {savings_line}")?;
    savings["energy_line"] = json!(savings_line);

    // solar: a 5 kWp fixed array on the sample weather year
    let weather_path = dir.join("weather-sample.csv");
    let mut solar = span.phase("solar-simulate", |p| -> Result<serde_json::Value> {
        use terrawatt_solar::pv::{Losses, SapmParams};
        use terrawatt_solar::system::{Mount, SkyModel, System, TemperatureModel, simulate};
        let w = p.phase("load", |_| {
            terrawatt_solar::weather::read_auto(&weather_path, 2019)
        })?;
        let system = System {
            iam: terrawatt_solar::system::Iam::None,
            mount: Mount::Fixed {
                tilt: 30.0,
                azimuth: 180.0,
            },
            kwp: 5.0,
            gamma_pdc: -0.0047,
            inverter_kw: 5.0 / 1.2,
            eta_nom: 0.96,
            eta_ref: 0.9637,
            albedo: 0.25,
            sky: SkyModel::Perez,
            temperature: TemperatureModel::Sapm(SapmParams::OPEN_RACK_GLASS_GLASS),
            losses: Losses::default(),
        };
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
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let per_site_year = FunctionalUnit::new("site-year", 1.0);
    let solar_line = ctx.line(phase, Some(&per_site_year));
    writeln!(
        t,
        "solar: 5 kWp at 30° south on the sample weather year (43.6° N): {:.0} kWh AC, {:.0} kWh/kWp, capacity factor {:.1} %",
        solar["annual_energy_kwh"].as_f64().unwrap_or(f64::NAN),
        solar["specific_yield"].as_f64().unwrap_or(f64::NAN),
        100.0 * solar["capacity_factor"].as_f64().unwrap_or(f64::NAN)
    )?;
    writeln!(t, "  {solar_line}")?;
    solar["energy_line"] = json!(solar_line);

    // wind: a generic 3.6 MW turbine on the sample wind year
    let wind_path = dir.join("wind-weather-sample.csv");
    let mut wind = span.phase("wind-simulate", |p| {
        crate::commands::wind::demo_simulate(p, &wind_path)
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let per_turbine_year = FunctionalUnit::new(
        "turbine-year",
        wind["hours"].as_f64().unwrap_or(0.0) / 8760.0,
    );
    let wind_line = ctx.line(phase, Some(&per_turbine_year));
    writeln!(
        t,
        "wind: a generic 3.6 MW turbine (rotor 120 m) at 100 m on the sample wind year: {:.0} MWh, capacity factor {:.1} %",
        wind["annual_energy_mwh"].as_f64().unwrap_or(f64::NAN),
        100.0 * wind["capacity_factor"].as_f64().unwrap_or(f64::NAN)
    )?;
    writeln!(t, "  {wind_line}")?;
    wind["energy_line"] = json!(wind_line);

    // forecasting: a week of 1-hour-ahead PV forecasts on the 15-minute sample
    let pv_path = dir.join("pv-power-15min.csv.gz");
    let mut forecast = span.phase("forecast-backtest", |p| {
        crate::commands::forecast::demo_backtest(p, &pv_path)
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let per_1000 = FunctionalUnit::new(
        "1,000 forecasts",
        forecast["forecasts"].as_f64().unwrap_or(0.0) / 1000.0,
    );
    let forecast_line = ctx.line(phase, Some(&per_1000));
    writeln!(
        t,
        "forecast: 1-hour-ahead backtest of the 5 kWp sample's 15-minute power, 1–7 June 2024 ({} forecasts, {} daily refits): nRMSE {:.1} %, skill {:.2} vs persistence, {:.2} vs climatology, 10–90 % band holds {:.0} %",
        forecast["forecasts"],
        forecast["refits"],
        100.0 * forecast["nrmse_1h"].as_f64().unwrap_or(f64::NAN),
        forecast["skill_vs_persistence_1h"]
            .as_f64()
            .unwrap_or(f64::NAN),
        forecast["skill_vs_climatology_1h"]
            .as_f64()
            .unwrap_or(f64::NAN),
        100.0 * forecast["coverage_1h"].as_f64().unwrap_or(f64::NAN)
    )?;
    writeln!(t, "  {forecast_line}")?;
    forecast["energy_line"] = json!(forecast_line);

    // rasters: change detection on the sample scene, landscape metrics on its land cover
    let mut change = span.phase("raster-change", |p| {
        crate::commands::raster::demo_change(p, &dir)
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let per_km2 = FunctionalUnit::new("km² processed", change["km2"].as_f64().unwrap_or(0.0));
    let change_line = ctx.line(phase, Some(&per_km2));
    writeln!(
        t,
        "raster change: NDVI 2023-06 → 2024-06 on the sample scene (16 km², 10 m), SCL clouds and shadows masked ({:.1} %), dNDVI < −0.2, 0.5 ha minimum mapping unit: {:.2} ha cleared",
        100.0 * change["masked_share"].as_f64().unwrap_or(f64::NAN),
        change["changed_ha"].as_f64().unwrap_or(f64::NAN)
    )?;
    writeln!(t, "  {change_line}")?;
    change["energy_line"] = json!(change_line);
    let mut landscape = span.phase("landscape", |p| {
        crate::commands::raster::demo_landscape(p, &dir)
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let per_km2 = FunctionalUnit::new("km² processed", landscape["km2"].as_f64().unwrap_or(0.0));
    let landscape_line = ctx.line(phase, Some(&per_km2));
    writeln!(
        t,
        "landscape: the sample land cover (5 classes): {} patches, Shannon diversity {:.3}; forest effective mesh size {:.1} ha, core area {:.1} ha",
        landscape["patches"],
        landscape["shannon_diversity"].as_f64().unwrap_or(f64::NAN),
        landscape["forest_mesh_ha"].as_f64().unwrap_or(f64::NAN),
        landscape["forest_core_ha"].as_f64().unwrap_or(f64::NAN)
    )?;
    writeln!(t, "  {landscape_line}")?;
    landscape["energy_line"] = json!(landscape_line);
    let mut forest = span.phase("forest-loss", |p| {
        crate::commands::raster::demo_forest_loss(p, &dir)
    })?;
    let phase = span.children().last().expect("the phase just closed");
    let per_km2 = FunctionalUnit::new("km² processed", forest["km2"].as_f64().unwrap_or(0.0));
    let forest_line = ctx.line(phase, Some(&per_km2));
    let reserve = &forest["zones"][0];
    writeln!(
        t,
        "forest loss: the sample reserve (canopy > 30 %, patches > 1 ha): {:.2} ha of forest in 2000, {:.2} ha in 2024 ({:.2} ha lost in {} years with loss)",
        reserve["forest_2000_ha"].as_f64().unwrap_or(f64::NAN),
        reserve["forest_2024_ha"].as_f64().unwrap_or(f64::NAN),
        reserve["loss_ha"].as_f64().unwrap_or(f64::NAN),
        reserve["years_with_loss"]
    )?;
    writeln!(t, "  {forest_line}")?;
    forest["energy_line"] = json!(forest_line);
    writeln!(
        t,
        "9 tasks; their total is the energy line that ends the command"
    )?;
    Ok(Outcome {
        results: json!({ "tasks": [degree_days, building, savings, solar, wind, forecast, change, landscape, forest] }),
        text: t,
        unit: Some(FunctionalUnit::new("demo run", 1.0)),
    })
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
