//! `terrawatt solar …`: solar physics.

use anyhow::{Context as _, Result, anyhow, bail};
use chrono_tz::Tz;
use serde_json::json;
use terrawatt_building::series::{parse_stamp, parse_zone};
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_solar::spa::Site;
use terrawatt_solar::system::System;
use terrawatt_solar::tasks::{Instants, clearsky, position, simulate as sim};
use terrawatt_solar::weather::{Label, TableSettings};

use crate::cli::{SolarPositionArgs, TableFormat};
use crate::task::check_output;
use crate::task::{Ctx, Outcome};

/// `30s`, `1min`, `15min`, `1h`, `1d` → seconds (the one duration parser).
pub fn parse_freq(s: &str) -> Result<i64> {
    terrawatt_table::time::parse_duration(s).map_err(|e| anyhow!("--freq {e}"))
}

fn zone_of(tz: Option<&str>) -> Result<Option<Tz>> {
    tz.map(parse_zone).transpose().map_err(|e| anyhow!(e))
}

pub fn position(span: &mut Span, ctx: &Ctx, a: &SolarPositionArgs) -> Result<Outcome> {
    let zone = zone_of(a.tz.as_deref())?;
    let site = Site {
        latitude: a.lat,
        longitude: a.lon,
        elevation: a.elevation,
        pressure: a.pressure,
        temperature: a.temperature,
        refraction: 0.5667,
    };
    site.check()
        .map_err(|e| anyhow!("--lat/--lon/--elevation/--pressure/--temperature: {e}"))?;
    if !a.delta_t.is_finite() || a.delta_t.abs() > 10_000.0 {
        bail!("--delta-t {} s is outside ±10,000 s", a.delta_t);
    }
    let instants = time_range(&a.start, &a.end, &a.freq, zone)?;
    check_output(&a.out, &[])?;
    let settings = position::Settings {
        site,
        delta_t: a.delta_t,
        instants,
        out: a.out.clone(),
        format: match a.format {
            TableFormat::Csv => position::Format::Csv,
            TableFormat::Parquet => position::Format::Parquet,
        },
    };
    let bar = ctx.progress(instants.n as u64, "solar position");
    // Ctrl-C / SIGTERM stop the writing between chunks: the temporary file is removed and
    // the energy line printed, as for a raster task
    terrawatt_raster::blocks::arm();
    let result = position::run(&settings, span, &|done, _| bar.set_position(done), &|| {
        terrawatt_raster::blocks::check_interrupt().is_err()
    });
    bar.finish_and_clear();
    let report = result?;
    Ok(Outcome {
        results: json!({
            "out": a.out,
            "instants": instants.n,
            "step_seconds": instants.step,
            "site": site,
            "delta_t": a.delta_t,
            "columns": position::COLUMNS,
        }),
        text: report.text(),
        unit: Some(FunctionalUnit::new("site-year", instants.years())),
    })
}

fn time_range(start: &str, end: &str, freq: &str, zone: Option<Tz>) -> Result<Instants> {
    let s = parse_stamp(start, zone).map_err(|e| anyhow!("--start: {e}"))?;
    let e = parse_stamp(end, zone).map_err(|e| anyhow!("--end: {e}"))?;
    let step = parse_freq(freq)?;
    if e.t <= s.t {
        bail!("--end {end} is not after --start {start}");
    }
    let n = ((e.t - s.t) + step - 1) / step;
    if n > 200_000_000 {
        bail!("{n} instants: more than 200 million; split the range");
    }
    Ok(Instants {
        start: s.t,
        step,
        n,
        zone,
        offset: s.offset,
    })
}

/// `--linke` (one value or twelve) or `--linke-file` (the climatology at the site).
fn linke_of(span: &mut Span, a: &crate::cli::SolarClearskyArgs) -> Result<clearsky::Linke> {
    let linke: Vec<f64> = a
        .linke
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| anyhow!("--linke '{}': not a number", v.trim()))
        })
        .collect::<Result<_>>()?;
    let linke = match (&a.linke_file, linke.len()) {
        (Some(f), _) => clearsky::Linke::Monthly(
            span.phase("linke climatology", |_| {
                terrawatt_raster::linke::monthly(f, a.lat, a.lon)
            })
            .map_err(|e| anyhow!("--linke-file: {e}"))?,
        ),
        (None, 1) => clearsky::Linke::Constant(linke[0]),
        (None, 12) => clearsky::Linke::Monthly(linke.try_into().expect("twelve")),
        (None, n) => bail!("--linke takes one value or twelve monthly values, not {n}"),
    };
    if linke.values().iter().any(|v| !(*v > 0.0 && *v < 20.0)) {
        bail!("--linke values must be in (0, 20)");
    }
    Ok(linke)
}

pub fn clearsky(span: &mut Span, _ctx: &Ctx, a: &crate::cli::SolarClearskyArgs) -> Result<Outcome> {
    let zone = zone_of(a.tz.as_deref())?;
    let site = Site {
        elevation: a.elevation,
        ..Site::new(a.lat, a.lon)
    };
    site.check()
        .map_err(|e| anyhow!("--lat/--lon/--elevation: {e}"))?;
    let linke = linke_of(span, a)?;
    if !((0.0..=1.0).contains(&a.aod700) && a.precipitable_water >= 0.0) {
        bail!("--aod700 must be in 0..1 and --precipitable-water ≥ 0");
    }
    let instants = time_range(&a.start, &a.end, &a.freq, zone)?;
    check_output(&a.out, &[])?;
    let settings = clearsky::Settings {
        site,
        model: match a.model {
            crate::cli::ClearskyModel::Ineichen => clearsky::Model::Ineichen,
            crate::cli::ClearskyModel::Haurwitz => clearsky::Model::Haurwitz,
            crate::cli::ClearskyModel::Solis => clearsky::Model::Solis,
        },
        linke,
        aod700: a.aod700,
        precipitable_water: a.precipitable_water,
        instants,
        out: a.out.clone(),
    };
    let report = clearsky::run(&settings, span)?;
    Ok(Outcome {
        results: json!({ "out": a.out, "instants": instants.n, "model": format!("{:?}", a.model).to_lowercase(), "linke": linke.values() }),
        text: report.text(),
        unit: Some(FunctionalUnit::new("site-year", instants.years())),
    })
}

/// Where the weather comes from: a table (its zone, label and columns) or a file.
fn weather_source(a: &crate::cli::SolarSimulateArgs) -> Result<sim::WeatherSource> {
    if !a.table {
        return Ok(sim::WeatherSource::File(a.weather.clone()));
    }
    let zone = zone_of(a.tz.as_deref())?;
    let text = a.label.as_deref().unwrap_or("start");
    let label = Label::parse(text)
        .ok_or_else(|| anyhow!("--label '{text}': expected start, end or centre"))?;
    Ok(sim::WeatherSource::Table(TableSettings {
        path: a.weather.clone(),
        zone,
        label,
        columns: a.columns.clone(),
        latitude: a.lat,
        longitude: a.lon,
        elevation: a.elevation,
    }))
}

pub fn simulate(span: &mut Span, _ctx: &Ctx, a: &crate::cli::SolarSimulateArgs) -> Result<Outcome> {
    let at = Label::parse(&a.position_at).ok_or_else(|| {
        anyhow!(
            "--position-at '{}': expected start, centre or end",
            a.position_at
        )
    })?;
    let system = System::from_toml_file(&a.system)?;
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &[&a.weather, &a.system])?;
    }
    let settings = sim::Settings {
        weather: weather_source(a)?,
        year: a.year,
        system,
        system_path: Some(a.system.clone()),
        at,
        delta_t: a.delta_t,
        fill_gaps: a.fill_gaps,
        allow_partial: a.allow_partial,
        allow_clock_shift: a.allow_clock_shift,
        allow_open_closure: a.allow_open_closure,
        allow_dim_sky: a.allow_dim_sky,
        out: a.out.clone(),
    };
    let r = sim::run(&settings, span)?;
    let w = &r.weather;
    if let Some(p) = &a.plot {
        let kwh = |s: &terrawatt_solar::system::Step| s.pac * w.interval as f64 / 3.6e6;
        let monthly = crate::plot::monthly_sums(
            w.times
                .iter()
                .zip(&r.simulation.steps)
                .map(|(t, s)| (*t, kwh(s))),
            w.offset as i64,
        );
        span.phase("plot", |_| {
            crate::plot::monthly_bars(p, "AC energy per month", "kWh", &monthly)
        })?;
    }
    Ok(Outcome {
        results: simulate_results(a, &r),
        text: r.text(),
        unit: Some(FunctionalUnit::new(
            "site-year",
            r.simulation.hours / 8766.0,
        )),
    })
}

fn simulate_results(a: &crate::cli::SolarSimulateArgs, r: &sim::Report) -> serde_json::Value {
    let (w, sim) = (&r.weather, &r.simulation);
    json!({
        "weather": a.weather,
        "format": w.format,
        "site": { "name": w.name, "latitude": w.latitude, "longitude": w.longitude, "altitude": w.altitude },
        "system": r.system,
        "annual_energy_kwh": r.whole.then_some(sim.energy_kwh),
        "energy_kwh": sim.energy_kwh,
        "covered_hours": r.covered_hours,
        "year_hours": r.year_hours,
        "coverage": r.coverage,
        "holes": r.holes,
        "screened": w.screened.iter().map(|(c, n, why)| json!({"column": c, "count": n, "rule": why})).collect::<Vec<_>>(),
        "specific_yield_kwh_per_kwp": sim.specific_yield,
        "mean_annual_energy_kwh": r.mean_annual().map(|m| m.0),
        "mean_annual_specific_yield_kwh_per_kwp": r.mean_annual().map(|m| m.1),
        "capacity_factor": sim.capacity_factor,
        "missing_intervals": sim.missing_intervals,
        "filled": r.fills.iter().map(|(c, f, l)| json!({"column": c, "filled": f, "left_missing": l})).collect::<Vec<_>>(),
        "loss_percent": sim.loss_percent,
        "evaluated_at": r.at,
        "notes": r.notes,
        "clock_check": r.clock,
    })
}

pub fn sample_weather(
    span: &mut Span,
    _ctx: &Ctx,
    a: &crate::cli::SolarSampleArgs,
) -> Result<Outcome> {
    check_output(&a.out, &[])?;
    let text = span.phase("generate", |_| terrawatt_solar::sample::pvgis_csv(a.seed));
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, text.as_bytes())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    let (lat, lon, elev) = terrawatt_solar::sample::SITE;
    Ok(Outcome {
        results: json!({ "out": a.out, "seed": a.seed, "latitude": lat, "longitude": lon, "elevation": elev, "hours": 8760 }),
        text: format!(
            "a synthetic weather year (seed {}, {lat}° N, {lon}° E, {elev} m; PVGIS TMY CSV layout) written to {}\n",
            a.seed,
            a.out.display()
        ),
        unit: Some(FunctionalUnit::new("site-year", 1.0)),
    })
}
