//! `building baseline`, `building savings`, `building portfolio`, `building sample-meter`:
//! weather-normalised baselines of metered use and the savings they measure
//! (docs/baselines.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use chrono_tz::Tz;
use serde_json::json;
use terrawatt_building::BuildingError;
use terrawatt_building::baseline::FitSettings;
use terrawatt_building::caltrack::GridSettings;
use terrawatt_building::sample;
use terrawatt_building::series::{self, Freq, TempUnit, rfc3339};
use terrawatt_building::tasks::{self, Inputs};
use terrawatt_building::zeros::Zeros;
use terrawatt_meter::{FunctionalUnit, Span, write_atomic};

use crate::cli::{
    BaselineArgs, FreqName, GridArgs, MeterInputArgs, PortfolioArgs, SampleMeterArgs, SavingsArgs,
    ZerosName,
};
use crate::plot;
use crate::task::check_output;
use crate::task::{Ctx, Outcome};

fn freq(f: FreqName) -> Freq {
    match f {
        FreqName::Daily => Freq::Daily,
        FreqName::Billing => Freq::Billing,
        FreqName::Hourly => Freq::Hourly,
    }
}

fn zeros(z: ZerosName) -> Zeros {
    match z {
        ZerosName::Check => Zeros::Check,
        ZerosName::Missing => Zeros::Missing,
        ZerosName::Keep => Zeros::Keep,
    }
}

fn zone(tz: &Option<String>) -> Result<Option<Tz>> {
    tz.as_deref()
        .map(series::parse_zone)
        .transpose()
        .map_err(|e| anyhow!(e))
}

fn unit(s: &str) -> Result<TempUnit> {
    TempUnit::parse(s).ok_or_else(|| anyhow!("--temperature-unit '{s}': expected F or C"))
}

fn grid(g: &GridArgs) -> Result<GridSettings> {
    let s = GridSettings {
        min: g.bp_min,
        max: g.bp_max,
        step: g.bp_step,
        max_p_value: g.max_p_value,
        ..Default::default()
    };
    s.check().map_err(|e| anyhow!(e))?;
    Ok(s)
}

/// The inputs of the meter options: `unit` is the temperature file's.
fn inputs(input: &MeterInputArgs, u: TempUnit, zone: Option<Tz>) -> Result<Inputs> {
    Ok(Inputs {
        meter: input.meter.clone(),
        temperature: input.temperature.clone(),
        unit: u,
        zone,
        temperature_zone: self::zone(&input.temperature_tz)?,
        allow_temperature_shift: input.allow_temperature_shift,
        meter_time_column: input.meter_time_column.clone(),
        meter_value_column: input.meter_value_column.clone(),
        temperature_time_column: input.temperature_time_column.clone(),
        temperature_column: input.temperature_column.clone(),
        allow_negative: input.allow_negative,
        zeros: zeros(input.zeros),
    })
}

pub fn baseline(span: &mut Span, ctx: &Ctx, a: &BaselineArgs) -> Result<Outcome> {
    let z = zone(&a.input.tz)?;
    let u = unit(a.input.temperature_unit.as_deref().ok_or_else(|| {
        anyhow!(
            "--temperature-unit is required: say whether {} is in F or C",
            a.input.temperature.display()
        )
    })?)?;
    let settings = tasks::BaselineSettings {
        inputs: inputs(&a.input, u, z)?,
        freq: freq(a.freq),
        start: a.start.clone(),
        end: a.end.clone(),
        fit: FitSettings {
            grid: grid(&a.grid)?,
            allow_insufficient: a.grid.allow_insufficient,
            ..Default::default()
        },
    };
    check_output(&a.out, &[&a.input.meter, &a.input.temperature])?;
    if let Some(p) = &a.plot {
        check_output(p, &[&a.input.meter, &a.input.temperature, &a.out])?;
    }
    let run = tasks::fit_baseline(&settings, span).map_err(|e| match e {
        BuildingError::Disqualified(_) => anyhow!(
            "{}: {e} (no model written; --allow-insufficient writes it with the disqualifications recorded)",
            a.input.meter.display()
        ),
        other => anyhow!(other),
    })?;
    let b = &run.fitted.baseline;
    if let Some(p) = &a.plot {
        let unit = run.unit.clone().unwrap_or_else(|| "meter units".into());
        span.phase("plot", |_| plot::baseline(p, &run.fitted, &unit))?;
    }
    tasks::write_model(b, &a.out, span)?;
    Ok(Outcome {
        results: json!({
            "model_file": a.out,
            "baseline": b,
            "periods_used": run.fitted.periods.len(),
            "masked_count": b.masked.len(),
        }),
        text: run.text(ctx.global.verbose, &a.out, a.plot.as_deref()),
        unit: Some(FunctionalUnit::new("meter", 1.0)),
    })
}

pub fn savings(span: &mut Span, ctx: &Ctx, a: &SavingsArgs) -> Result<Outcome> {
    let z = zone(&a.input.tz)?;
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!("--confidence {} must be in (0, 1)", a.confidence);
    }
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &[&a.input.meter, &a.input.temperature, &a.model])?;
    }
    let model = tasks::load_model(&a.model)?;
    let u = match &a.input.temperature_unit {
        Some(s) => unit(s)?,
        None => model.temperature_unit,
    };
    let settings = tasks::SavingsSettings {
        model,
        inputs: inputs(&a.input, u, z)?,
        start: a.start.clone(),
        end: a.end.clone(),
        confidence: a.confidence,
        allow_overlap: a.allow_overlap,
    };
    let run = tasks::savings(&settings, span)?;
    if let Some(out) = &a.out {
        let csv = run.periods_csv();
        span.phase("write", |_| write_atomic(out, csv.as_bytes()))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(p) = &a.plot {
        span.phase("plot", |_| plot_savings(p, &run))?;
    }
    let s = &run.savings;
    let mut t = String::new();
    writeln!(t, "model: {}", tasks::describe(&settings.model))?;
    run.lines(&mut t);
    tasks::masked_lines(&mut t, &s.masked, ctx.global.verbose);
    if let Some(o) = &a.out {
        writeln!(t, "periods written to {}", o.display())?;
    }
    if let Some(p) = &a.plot {
        writeln!(t, "plot written to {}", p.display())?;
    }
    let mut results = serde_json::to_value(s)?;
    results["model_file"] = json!(a.model);
    results["masked_count"] = json!(s.masked.len());
    Ok(Outcome {
        results,
        text: t,
        unit: Some(FunctionalUnit::new("meter", 1.0)),
    })
}

fn plot_savings(p: &Path, run: &tasks::SavingsRun) -> Result<()> {
    let (rows, s) = (&run.rows, &run.savings);
    let t0 = rows[0].start;
    let x: Vec<f64> = rows
        .iter()
        .map(|r| (r.start - t0) as f64 / 86_400.0)
        .collect();
    let obs: Vec<f64> = rows.iter().map(|r| r.observed).collect();
    let pred: Vec<f64> = rows.iter().map(|r| r.predicted).collect();
    let unit = run.unit.clone().unwrap_or_else(|| "meter units".into());
    Ok(plot::savings(
        p,
        "Savings: baseline prediction against observed use",
        &unit,
        t0,
        rows[0].offset as i64,
        &x,
        &obs,
        &pred,
        s.avoided_uncertainty.map(|u| (u, s.confidence)),
    )?)
}

/// `--unit` and `--convert-to`, checked.
fn units(a: &PortfolioArgs) -> Result<(Option<&'static str>, Option<&'static str>)> {
    let unit_of = |u: &str, flag: &str| -> Result<&'static str> {
        series::unit_name(u).ok_or_else(|| {
            anyhow!(
                "{flag} '{u}': not a unit terrawatt converts (kWh, Wh, MWh, therms, ccf, MJ, GJ)"
            )
        })
    };
    Ok((
        a.unit
            .as_deref()
            .map(|u| unit_of(u, "--unit"))
            .transpose()?,
        a.convert_to
            .as_deref()
            .map(|u| unit_of(u, "--convert-to"))
            .transpose()?,
    ))
}

pub fn portfolio(span: &mut Span, _ctx: &Ctx, a: &PortfolioArgs) -> Result<Outcome> {
    let z = zone(&a.tz)?;
    let u = unit(&a.temperature_unit)?;
    let fit = FitSettings {
        grid: grid(&a.grid)?,
        allow_insufficient: a.grid.allow_insufficient,
        ..Default::default()
    };
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!("--confidence {} must be in (0, 1)", a.confidence);
    }
    let files = tasks::meters_of(&a.meters)?;
    if let Some(o) = &a.out {
        let inputs: Vec<&Path> = files
            .iter()
            .map(PathBuf::as_path)
            .chain([a.temperature.as_path()])
            .collect();
        check_output(o, &inputs)?;
    }
    let (unit, convert_to) = units(a)?;
    let mut input = Inputs::new(PathBuf::new(), a.temperature.clone(), u);
    input.zone = z;
    input.temperature_zone = zone(&a.temperature_tz)?;
    input.allow_temperature_shift = a.allow_temperature_shift;
    input.allow_negative = a.allow_negative;
    input.zeros = zeros(a.zeros);
    let settings = tasks::PortfolioSettings {
        meters: files,
        inputs: input,
        freq: freq(a.freq),
        baseline_start: a.baseline_start.clone(),
        baseline_end: a.baseline_end.clone(),
        start: a.start.clone(),
        end: a.end.clone(),
        fit,
        confidence: a.confidence,
        allow_overlap: a.allow_overlap,
        unit,
        convert_to,
    };
    let p = tasks::portfolio(&settings, span)?;
    if p.meters_evaluated == 0 {
        bail!(
            "no meter in {} could be evaluated:\n{}",
            a.meters
                .iter()
                .map(|m| m.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            p.meter_lines()
        );
    }
    if let Some(o) = &a.out {
        let csv = p.csv();
        span.phase("write", |_| write_atomic(o, csv.as_bytes()))
            .with_context(|| format!("writing {}", o.display()))?;
    }
    Ok(Outcome {
        results: serde_json::to_value(&p)?,
        text: p.text(),
        unit: Some(FunctionalUnit::new("meter", settings.meters.len() as f64)),
    })
}

pub fn sample_meter(span: &mut Span, _ctx: &Ctx, a: &SampleMeterArgs) -> Result<Outcome> {
    check_output(&a.out_meter, &[])?;
    check_output(&a.out_temperature, &[&a.out_meter])?;
    let hourly = match a.freq {
        FreqName::Daily => false,
        FreqName::Hourly => true,
        FreqName::Billing => bail!("--freq billing: the sample meter is daily or hourly"),
    };
    let s = span.phase("generate", |_| sample::meter_sample(hourly, a.seed));
    let mut m = String::from("start,value\n");
    for (t, o, v) in &s.meter {
        writeln!(m, "{},{v}", rfc3339(*t, *o))?;
    }
    let mut tc = String::from("dt,tempF\n");
    for (t, o, v) in &s.temperature {
        writeln!(tc, "{},{v}", rfc3339(*t, *o))?;
    }
    span.phase("write", |_| -> Result<()> {
        write_atomic(&a.out_meter, m.as_bytes())?;
        write_atomic(&a.out_temperature, tc.as_bytes())?;
        Ok(())
    })?;
    Ok(Outcome {
        results: json!({
            "meter": a.out_meter, "temperature": a.out_temperature, "seed": a.seed,
            "periods": s.meter.len(), "hours": s.temperature.len(), "retrofit": sample::SAMPLE_RETROFIT,
        }),
        text: format!(
            "{} {} meter periods and {} hourly temperatures (seed {}, retrofit on {}) written to {} and {}\n",
            s.meter.len(),
            if hourly { "hourly" } else { "daily" },
            s.temperature.len(),
            a.seed,
            sample::SAMPLE_RETROFIT,
            a.out_meter.display(),
            a.out_temperature.display()
        ),
        unit: Some(FunctionalUnit::new("meter", 1.0)),
    })
}
