//! `terrawatt wind …`: wind power physics.

use std::fmt::Write as _;

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::json;
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_wind::chain::{
    self, ChainSettings, DensityModel, PowerModel, TemperatureModel, WindSpeedModel,
};
use terrawatt_wind::turbine;
use terrawatt_wind::weather::WindWeather;

use crate::cli::WindSimulateArgs;
use crate::commands::building::check_output;
use crate::task::{Ctx, Outcome};

pub fn simulate(span: &mut Span, _ctx: &Ctx, a: &WindSimulateArgs) -> Result<Outcome> {
    let wind_speed_model = match a.wind_speed_model.as_str() {
        "logarithmic" => WindSpeedModel::Logarithmic,
        "hellman" => WindSpeedModel::Hellman,
        "interpolation" | "interpolation_extrapolation" => {
            WindSpeedModel::InterpolationExtrapolation
        }
        other => {
            bail!("--wind-speed-model '{other}': expected logarithmic, hellman or interpolation")
        }
    };
    let density_model = match a.density_model.as_str() {
        "barometric" => DensityModel::Barometric,
        "ideal-gas" | "ideal_gas" => DensityModel::IdealGas,
        other => bail!("--density-model '{other}': expected barometric or ideal-gas"),
    };
    if !(a.hub_height > 0.0 && a.hub_height < 500.0) {
        bail!("--hub-height {} m must be in (0, 500)", a.hub_height);
    }
    if !(a.obstacle_height >= 0.0 && 0.7 * a.obstacle_height < a.hub_height) {
        bail!(
            "--obstacle-height {} m must be ≥ 0 and 0.7 × it below the hub height",
            a.obstacle_height
        );
    }
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &[&a.weather])?;
    }
    let (curve, name) = match (&a.power_curve, &a.turbine, &a.turbine_library) {
        (Some(p), _, _) => (turbine::csv_power_curve(p)?, p.display().to_string()),
        (None, Some(t), Some(dir)) => {
            // NREL's turbine-model CSVs by file name, else the OEDB table
            let nrel = [
                dir.join("nrel_turbine_models").join(format!("{t}.csv")),
                dir.join(format!("{t}.csv")),
            ]
            .into_iter()
            .find(|p| p.is_file());
            match nrel {
                Some(p) => (turbine::nrel_turbine(&p)?.0, t.clone()),
                None => (
                    turbine::oedb_power_curve(&dir.join("power_curves.csv"), t)?,
                    t.clone(),
                ),
            }
        }
        (None, Some(_), None) => {
            bail!("--turbine needs --turbine-library DIR (or TERRAWATT_TURBINE_LIBRARY)")
        }
        (None, None, _) => {
            bail!("give --turbine NAME with --turbine-library DIR, or --power-curve FILE")
        }
    };
    let w = span.phase("read", |_| WindWeather::read(&a.weather))?;
    let settings = ChainSettings {
        wind_speed_model,
        temperature_model: TemperatureModel::LinearGradient,
        density_model,
        obstacle_height: a.obstacle_height,
        ..ChainSettings::new(a.hub_height)
    };
    let power = PowerModel::PowerCurve {
        curve: curve.clone(),
        density_correction: a.density_correction,
    };
    let hours = span
        .phase("simulate", |_| chain::run(&w, &power, &settings))
        .map_err(|e| anyhow!(e))?;
    let valid: Vec<f64> = hours
        .iter()
        .map(|h| h.power)
        .filter(|p| !p.is_nan())
        .collect();
    let missing = hours.len() - valid.len();
    let step_h = if w.times.len() > 1 {
        (w.times[1] - w.times[0]) as f64 / 3600.0
    } else {
        1.0
    };
    let mwh = valid.iter().sum::<f64>() * step_h / 1e6;
    let nominal = curve.nominal();
    let cf = mwh * 1e6 / (nominal * valid.len() as f64 * step_h);
    if let Some(out) = &a.out {
        let mut csv = String::from("time,wind_speed_hub,temperature_hub,density_hub,power\n");
        for (t, h) in w.times.iter().zip(&hours) {
            let stamp = chrono::DateTime::from_timestamp(*t, 0)
                .expect("in range")
                .format("%Y-%m-%dT%H:%M:%SZ");
            writeln!(
                csv,
                "{stamp},{},{},{},{}",
                h.wind_speed, h.temperature, h.density, h.power
            )?;
        }
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, csv.as_bytes())
        })
        .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(p) = &a.plot {
        let monthly = crate::plot::monthly_sums(
            w.times
                .iter()
                .zip(&hours)
                .map(|(t, h)| (*t, h.power * step_h / 1e6)),
            0,
        );
        span.phase("plot", |_| {
            crate::plot::monthly_bars(p, "Energy per month, MWh", &monthly)
        })?;
    }
    let mut t = String::new();
    writeln!(
        t,
        "{name} at {} m: {} hours; annual energy {mwh:.1} MWh · capacity factor {:.1} % (nominal {:.0} kW)",
        a.hub_height,
        hours.len(),
        100.0 * cf,
        nominal / 1000.0
    )?;
    if missing > 0 {
        writeln!(
            t,
            "missing: {missing} hours without power (missing weather); the totals cover the rest"
        )?;
    }
    let years = valid.len() as f64 * step_h / 8766.0;
    Ok(Outcome {
        results: json!({
            "turbine": name,
            "hub_height": a.hub_height,
            "annual_energy_mwh": mwh,
            "capacity_factor": cf,
            "nominal_power_w": nominal,
            "missing_hours": missing,
            "settings": settings,
        }),
        text: t,
        unit: Some(FunctionalUnit::new("turbine-year", years)),
    })
}
