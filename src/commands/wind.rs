//! `terrawatt wind …`: wind power physics.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_wind::chain::{self, ChainSettings, TemperatureModel};
use terrawatt_wind::farm::{FarmPlan, Spread};
use terrawatt_wind::generic::GenericTurbine;
use terrawatt_wind::simulate::{self, FarmReport, Totals};
use terrawatt_wind::turbine::{self, TurbineCurve};

use crate::cli::WindSimulateArgs;
use crate::task::check_output;
use crate::task::{Ctx, Outcome};

fn chain_settings(a: &WindSimulateArgs, hub_height: f64) -> Result<ChainSettings> {
    let wind_speed_model = a
        .wind_speed_model
        .parse()
        .map_err(|e| anyhow!("--wind-speed-model {e}"))?;
    let density_model = a
        .density_model
        .parse()
        .map_err(|e| anyhow!("--density-model {e}"))?;
    Ok(ChainSettings {
        wind_speed_model,
        temperature_model: TemperatureModel::LinearGradient,
        density_model,
        obstacle_height: a.obstacle_height,
        ..ChainSettings::new(hub_height)
    })
}

fn check_obstacle(a: &WindSimulateArgs, hub_height: f64) -> Result<()> {
    if !(a.obstacle_height >= 0.0 && 0.7 * a.obstacle_height < hub_height) {
        bail!(
            "--obstacle-height {} m must be ≥ 0 and 0.7 × it below the hub height ({hub_height} m)",
            a.obstacle_height
        );
    }
    Ok(())
}

/// Refuses a generic turbine whose blades would reach the ground: the rotor's radius at or
/// above the hub height (a radius given as the height, or a height in other units).
fn check_rotor(a: &WindSimulateArgs, hub_height: f64) -> Result<()> {
    if let (Some(_), Some(d)) = (a.rated_kw, a.rotor_diameter)
        && d / 2.0 >= hub_height
    {
        bail!(
            "--rotor-diameter {d} m at --hub-height {hub_height} m: the blades reach {} m from the hub, below the ground; the hub height is the rotor's centre above the ground (towers stand higher than the rotor's radius, by 20 m or more on utility turbines)",
            d / 2.0
        );
    }
    Ok(())
}

/// The turbine the arguments name: generic, a curve file or a library type.
fn turbine_of(a: &WindSimulateArgs) -> Result<TurbineCurve> {
    Ok(
        match (&a.power_curve, &a.turbine, &a.turbine_library, a.rated_kw) {
            (_, _, _, Some(rated_kw)) => TurbineCurve::generic(GenericTurbine {
                rated_power: rated_kw * 1e3,
                rotor_diameter: a.rotor_diameter.unwrap_or(f64::NAN),
                cut_in: a.cut_in.unwrap_or(f64::NAN),
                rated_speed: a.rated_speed.unwrap_or(f64::NAN),
                cut_out: a.cut_out.unwrap_or(f64::NAN),
                cp_max: a.cp_max,
            })
            .map_err(|e| anyhow!("--{}: {}", e.user_field().replace('_', "-"), e.message))?,
            (Some(p), _, _, None) => TurbineCurve::from_csv(p)?,
            (None, Some(t), Some(dir), None) => turbine::library_turbine(t, dir)?,
            (None, Some(_), None, None) => {
                bail!("--turbine needs --turbine-library DIR (or TERRAWATT_TURBINE_LIBRARY)")
            }
            (None, None, _, None) => bail!(
                "give --turbine NAME with --turbine-library DIR, --power-curve FILE, the generic \
                 turbine's --rated-kw --rotor-diameter --cut-in --rated-speed --cut-out, or --farm FILE"
            ),
        },
    )
}

pub fn simulate(span: &mut Span, _ctx: &Ctx, a: &WindSimulateArgs) -> Result<Outcome> {
    if let Some(f) = &a.farm {
        return simulate_farm(span, a, f);
    }
    let hub_height = a
        .hub_height
        .ok_or_else(|| anyhow!("--hub-height M is required (or give --farm FILE)"))?;
    let most = terrawatt_wind::farm::MOST_HUB;
    if !(hub_height > 0.0 && hub_height <= most) {
        bail!(
            "--hub-height {hub_height} m must be in (0, {most}]: no turbine's hub stands higher than about 180 m{}",
            if hub_height > most {
                " (feet? 1 ft = 0.3048 m)"
            } else {
                ""
            }
        );
    }
    check_obstacle(a, hub_height)?;
    check_rotor(a, hub_height)?;
    let chain = chain_settings(a, hub_height)?;
    let mut inputs: Vec<&Path> = vec![&a.weather];
    if let Some(p) = &a.power_curve {
        inputs.push(p);
    }
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &inputs)?;
    }
    let settings = simulate::Settings {
        weather: a.weather.clone(),
        speed_unit: a.wind_speed_unit,
        turbine: turbine_of(a)?,
        chain,
        density_correction: a.density_correction,
        out: a.out.clone(),
    };
    let r = simulate::run(&settings, span)?;
    plot(span, a, &r.times, &r.hours, &r.totals)?;
    let t = &r.turbine;
    let mut results = year_results(&r.totals, &r.screened);
    results["turbine"] = json!(t.name);
    results["source"] = json!(t.source);
    results["hub_height"] = json!(r.hub_height);
    results["nominal_power_w"] = json!(t.nominal);
    results["settings"] = json!(chain);
    Ok(Outcome {
        results,
        text: r.text(),
        unit: Some(FunctionalUnit::new("turbine-year", r.totals.years)),
    })
}

/// The totals' part of the results.
fn year_results(y: &Totals, screened: &[(String, usize, String)]) -> Value {
    json!({
        "annual_energy_mwh": y.full_year().then_some(y.mwh),
        "mean_annual_energy_mwh": y.mean_annual_mwh(),
        "energy_mwh": y.mwh,
        "covered_hours": y.covered_hours(),
        "span_hours": y.span_h,
        "deleted_hours": y.deleted_h,
        "capacity_factor": y.capacity_factor,
        "missing_hours": y.missing,
        "screened": screened.iter().map(|(c, n, why)| json!({"column": c, "count": n, "rule": why})).collect::<Vec<_>>(),
    })
}

/// The monthly plot (--plot).
fn plot(
    span: &mut Span,
    a: &WindSimulateArgs,
    times: &[i64],
    hours: &[chain::HubHour],
    y: &Totals,
) -> Result<()> {
    if let Some(p) = &a.plot {
        let monthly = crate::plot::monthly_sums(
            times
                .iter()
                .zip(hours)
                .map(|(t, h)| (*t, h.power * y.step_h / 1e6)),
            0,
        );
        span.phase("plot", |_| {
            crate::plot::monthly_bars(p, "Energy per month", "MWh", &monthly)
        })?;
    }
    Ok(())
}

fn simulate_farm(span: &mut Span, a: &WindSimulateArgs, path: &Path) -> Result<Outcome> {
    let plan = FarmPlan::from_toml_file(path, a.turbine_library.as_deref())?;
    let hub_height = plan.farm.mean_hub_height();
    check_obstacle(a, hub_height)?;
    let chain = chain_settings(a, hub_height)?;
    let mut inputs: Vec<&Path> = plan.inputs.iter().map(PathBuf::as_path).collect();
    inputs.push(&a.weather);
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &inputs)?;
    }
    let settings = simulate::FarmSettings {
        weather: a.weather.clone(),
        speed_unit: a.wind_speed_unit,
        farm_file: path.to_path_buf(),
        plan,
        chain,
        density_correction: a.density_correction,
        out: a.out.clone(),
    };
    let r = simulate::run_farm(&settings, span)?;
    plot(span, a, &r.times, &r.run.hours, &r.totals)?;
    let n = r.plan.farm.number_of_turbines();
    Ok(Outcome {
        results: farm_results(&r, &chain),
        text: r.text(),
        unit: Some(FunctionalUnit::new("turbine-year", n * r.totals.years)),
    })
}

fn farm_results(r: &FarmReport, chain: &ChainSettings) -> Value {
    let farm = &r.plan.farm;
    let smoothing = r.plan.settings.smoothing.map(|s| {
        json!({
            "method": match s.spread {
                Spread::TurbulenceIntensity { .. } => "turbulence_intensity",
                Spread::StaffellPfenninger => "staffell_pfenninger",
            },
            "order": s.order,
            "block_width": s.block_width,
            "turbulence_intensity": r.run.turbulence_intensity,
        })
    });
    let mut results = year_results(&r.totals, &r.screened);
    results["farm"] = json!(r.plan.name);
    results["fleets"] = farm
        .fleets()
        .iter()
        .zip(&r.plan.sources)
        .map(|(f, s)| {
            json!({
                "turbine": f.name,
                "source": s,
                "hub_height": f.hub_height,
                "number_of_turbines": f.number_of_turbines,
                "nominal_power_w": f.nominal_power,
            })
        })
        .collect();
    results["number_of_turbines"] = json!(farm.number_of_turbines());
    results["mean_hub_height"] = json!(farm.mean_hub_height());
    results["nominal_power_w"] = json!(farm.nominal_power());
    results["wake_losses"] = json!(r.wake_text());
    results["smoothing"] = json!(smoothing);
    results["settings"] = json!(chain);
    results
}

pub fn sample_weather(span: &mut Span, _ctx: &Ctx, a: &crate::cli::SampleArgs) -> Result<Outcome> {
    check_output(&a.out, &[])?;
    let text = span.phase("generate", |_| terrawatt_wind::sample::weather_csv(a.seed));
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, text.as_bytes())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    Ok(Outcome {
        results: json!({ "out": a.out, "seed": a.seed, "hours": 8760 }),
        text: format!(
            "{}: a synthetic hourly weather year (2019, wind at 10 m and 80 m), seed {}\n",
            a.out.display(),
            a.seed
        ),
        unit: None,
    })
}
