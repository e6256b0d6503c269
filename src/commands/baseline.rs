//! `building baseline`, `building savings`, `building portfolio`, `building sample-meter`:
//! weather-normalised baselines of metered use and the savings they measure
//! (docs/baselines.md).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use chrono_tz::Tz;
use rayon::prelude::*;
use serde_json::json;
use terrawatt_building::baseline::{self, Baseline, FitSettings, Model, Savings};
use terrawatt_building::caltrack::{GridSettings, Kind};
use terrawatt_building::sample;
use terrawatt_building::series::{self, Freq, Meter, MeterOptions, TempUnit, Temperature, rfc3339};
use terrawatt_meter::{FunctionalUnit, Span, write_atomic};

use crate::cli::{
    BaselineArgs, FreqName, GridArgs, MeterInputArgs, PortfolioArgs, SampleMeterArgs, SavingsArgs,
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

fn read_meter(path: &Path, input: &MeterInputArgs, f: Freq, zone: Option<Tz>) -> Result<Meter> {
    let opts = MeterOptions {
        time_column: input.meter_time_column.clone(),
        end_column: None,
        value_column: input.meter_value_column.clone(),
        zone,
        allow_negative: input.allow_negative,
    };
    Ok(Meter::read(path, f, &opts)?)
}

fn read_temperature(input: &MeterInputArgs, u: TempUnit, zone: Option<Tz>) -> Result<Temperature> {
    Ok(Temperature::read(
        &input.temperature,
        u,
        input.temperature_time_column.as_deref(),
        input.temperature_column.as_deref(),
        zone,
    )?)
}

/// A reporting period that starts before the baseline period ends is refused unless
/// allowed: its savings would compare the model with the data it was fitted on.
fn check_overlap(baseline_end: &str, start: Option<i64>, allow: bool) -> Result<()> {
    let (Some(start), false) = (start, allow) else {
        return Ok(());
    };
    let Ok(end) = chrono::DateTime::parse_from_rfc3339(baseline_end) else {
        return Ok(());
    };
    if start < end.timestamp() {
        bail!(
            "the reporting period starts {} hours before the baseline period ends ({baseline_end}): start it at or after the baseline's end, or pass --allow-overlap",
            (end.timestamp() - start) / 3600
        );
    }
    Ok(())
}

fn bound(meter: &Meter, text: Option<&str>, zone: Option<Tz>) -> Result<Option<i64>> {
    text.map(|t| meter.resolve(t, zone))
        .transpose()
        .map_err(|e| anyhow!(e))
}

/// One line describing a fitted model.
pub fn describe(b: &Baseline) -> String {
    match &b.model {
        Model::DegreeDay(m) => {
            let mut s = format!("usage/day = {:.4}", m.intercept);
            if let (Some(h), Some(bh)) = (m.heating_balance_point, m.beta_hdd) {
                write!(s, " + {bh:.5} × HDD{h}").unwrap();
            }
            if let (Some(c), Some(bc)) = (m.cooling_balance_point, m.beta_cdd) {
                write!(s, " + {bc:.5} × CDD{c}").unwrap();
            }
            let kind = match m.kind {
                Kind::InterceptOnly => "intercept only",
                Kind::HddOnly => "HDD only",
                Kind::CddOnly => "CDD only",
                Kind::HddCdd => "HDD + CDD",
            };
            let search = b.search.as_ref().map_or(String::new(), |s| {
                format!(
                    "; {} of {} candidates qualified on a {} °F grid",
                    s.candidates_qualified, s.candidates_fitted, s.grid.step
                )
            });
            format!(
                "{kind}: {s} (°F; R² {:.4}, adjusted {:.4}{search})",
                m.r2, m.adj_r2
            )
        }
        Model::Towt(t) => {
            let months = t.months.iter().flatten().count();
            let occupied: usize = t
                .months
                .iter()
                .flatten()
                .map(|m| m.occupied.iter().filter(|o| **o).count())
                .sum();
            format!(
                "time of week and temperature: {months} month models, {:.0} occupied hours of week on average, up to {} parameters",
                occupied as f64 / months.max(1) as f64,
                t.n_params()
            )
        }
    }
}

fn g14_line(b: &Baseline) -> String {
    let f = &b.fit;
    let verdict = match (f.passes_cv_rmse, f.passes_nmbe) {
        (Some(a), Some(n)) => format!(
            " — {} ({} criteria: CV(RMSE) {}, NMBE {})",
            if a && n { "passes" } else { "fails" },
            match b.freq {
                Freq::Hourly => "hourly",
                _ => "monthly",
            },
            if a { "ok" } else { "over" },
            if n { "ok" } else { "over" }
        ),
        _ => " (the guideline sets no criterion for daily data)".into(),
    };
    format!(
        "ASHRAE Guideline 14: CV(RMSE) {:.1} %, NMBE {:+.2} %, R² {:.3}, lag-1 ρ {:+.3}, n {}, p {}{verdict}",
        100.0 * f.cv_rmse,
        100.0 * f.nmbe,
        f.r2,
        f.lag1_autocorrelation,
        f.n,
        f.n_params
    )
}

fn masked_lines(
    t: &mut String,
    masked: &[terrawatt_building::prepare::Masked],
    verbose: bool,
) -> Result<()> {
    if masked.is_empty() {
        return Ok(());
    }
    let usage: f64 = masked.iter().filter_map(|m| m.usage).sum();
    let unknown = masked.iter().filter(|m| m.usage.is_none()).count();
    writeln!(
        t,
        "masked: {} periods (holding {usage:.2} of usage{}); all listed in the report",
        masked.len(),
        if unknown > 0 {
            format!(", {unknown} with usage missing")
        } else {
            String::new()
        }
    )?;
    let shown = if verbose {
        masked.len()
    } else {
        masked.len().min(5)
    };
    for m in &masked[..shown] {
        writeln!(t, "  {} to {}: {}", m.start, m.end, m.reason)?;
    }
    if shown < masked.len() {
        writeln!(t, "  … {} more (-v lists them all)", masked.len() - shown)?;
    }
    Ok(())
}

pub fn baseline(span: &mut Span, ctx: &Ctx, a: &BaselineArgs) -> Result<Outcome> {
    let f = freq(a.freq);
    let z = zone(&a.input.tz)?;
    let u = unit(a.input.temperature_unit.as_deref().ok_or_else(|| {
        anyhow!(
            "--temperature-unit is required: say whether {} is in F or C",
            a.input.temperature.display()
        )
    })?)?;
    let g = grid(&a.grid)?;
    check_output(&a.out, &[&a.input.meter, &a.input.temperature])?;
    if let Some(p) = &a.plot {
        check_output(p, &[&a.input.meter, &a.input.temperature, &a.out])?;
    }
    let (meter, temp) = span.phase("read", |_| -> Result<_> {
        Ok((
            read_meter(&a.input.meter, &a.input, f, z)?,
            read_temperature(&a.input, u, z)?,
        ))
    })?;
    let start = bound(&meter, a.start.as_deref(), z)?;
    let end = bound(&meter, a.end.as_deref(), z)?;
    let settings = FitSettings {
        grid: g,
        allow_insufficient: a.grid.allow_insufficient,
        ..Default::default()
    };
    let fitted = span
        .phase("fit", |_| {
            baseline::fit(&meter, &temp, u, start, end, &settings)
        })
        .map_err(|e| match e {
            baseline::BaselineError::Disqualified(_) => anyhow!(
                "{}: {e} (no model written; --allow-insufficient writes it with the disqualifications recorded)",
                a.input.meter.display()
            ),
            other => anyhow!(other),
        })?;
    let b = &fitted.baseline;
    if let Some(p) = &a.plot {
        let unit = meter.unit.clone().unwrap_or_else(|| "meter units".into());
        span.phase("plot", |_| plot_baseline(p, &fitted, &unit))?;
    }
    let text_json = serde_json::to_vec_pretty(b)?;
    span.phase("write", |_| write_atomic(&a.out, &text_json))
        .with_context(|| format!("writing {}", a.out.display()))?;
    let mut t = String::new();
    writeln!(
        t,
        "baseline: {} data, {} to {}, {} periods used",
        b.freq,
        b.start,
        b.end,
        fitted.periods.len()
    )?;
    writeln!(t, "model: {}", describe(b))?;
    writeln!(t, "{}", g14_line(b))?;
    let s = &b.sufficiency;
    writeln!(
        t,
        "sufficiency: {} ({:.1} days, {:.1} % covered)",
        if s.qualified() {
            "qualified"
        } else {
            "DISQUALIFIED"
        },
        s.span_days,
        100.0 * s.covered_fraction
    )?;
    for d in &s.disqualifications {
        writeln!(t, "  disqualified: {d}")?;
    }
    for w in &s.warnings {
        writeln!(t, "  warning: {w}")?;
    }
    for n in &b.notes {
        writeln!(t, "note: {n}")?;
    }
    masked_lines(&mut t, &b.masked, ctx.global.verbose)?;
    writeln!(t, "model written to {}", a.out.display())?;
    if let Some(p) = &a.plot {
        writeln!(t, "plot written to {}", p.display())?;
    }
    Ok(Outcome {
        results: json!({
            "model_file": a.out,
            "baseline": b,
            "periods_used": fitted.periods.len(),
            "masked_count": b.masked.len(),
        }),
        text: t,
        unit: Some(FunctionalUnit::new("meter", 1.0)),
    })
}

fn plot_baseline(path: &Path, fitted: &baseline::Fitted, unit: &str) -> Result<()> {
    let b = &fitted.baseline;
    let title = format!("Baseline: usage against temperature ({})", b.freq);
    match &b.model {
        Model::DegreeDay(m) => {
            let per_day = |v: f64, p: &terrawatt_building::prepare::Prepared| match b.freq {
                Freq::Billing => v / p.n_days,
                _ => v,
            };
            let points: Vec<(f64, f64)> = fitted
                .periods
                .iter()
                .map(|p| (p.temp, per_day(p.period.value, p)))
                .collect();
            let (lo, hi) = points
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), p| {
                    (a.min(p.0), c.max(p.0))
                });
            let curve: Vec<(f64, f64)> = (0..=200)
                .map(|i| {
                    let t = lo + (hi - lo) * i as f64 / 200.0;
                    let mut v = m.intercept;
                    if let (Some(h), Some(bh)) = (m.heating_balance_point, m.beta_hdd) {
                        v += bh * (h - t).max(0.0);
                    }
                    if let (Some(c), Some(bc)) = (m.cooling_balance_point, m.beta_cdd) {
                        v += bc * (t - c).max(0.0);
                    }
                    (t, v)
                })
                .collect();
            plot::scatter_with_model(
                path,
                plot::Axes {
                    title: &title,
                    x: "mean temperature of the period, °F",
                    y: &format!("use per day, {unit}/day"),
                },
                &points,
                &curve,
                true,
                &m.heating_balance_point
                    .filter(|_| m.beta_hdd.is_some())
                    .map(|h| (h, format!("heating balance point {h} °F")))
                    .into_iter()
                    .chain(
                        m.cooling_balance_point
                            .filter(|_| m.beta_cdd.is_some())
                            .map(|c| (c, format!("cooling balance point {c} °F"))),
                    )
                    .collect::<Vec<_>>(),
            )
        }
        Model::Towt(_) => {
            let points: Vec<(f64, f64)> = fitted
                .periods
                .iter()
                .map(|p| (p.temp, p.period.value))
                .collect();
            let model: Vec<(f64, f64)> = fitted
                .periods
                .iter()
                .zip(&fitted.fitted)
                .map(|(p, v)| (p.temp, *v))
                .collect();
            plot::scatter_with_model(
                path,
                plot::Axes {
                    title: &title,
                    x: "temperature, °F",
                    y: &format!("use per hour, {unit}/h"),
                },
                &points,
                &model,
                false,
                &[],
            )
        }
    }
}

fn load_model(path: &Path) -> Result<Baseline> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a JSON model file", path.display()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(baseline::FORMAT) {
        bail!(
            "{}: not a baseline model file (written by `terrawatt building baseline`)",
            path.display()
        );
    }
    let version = v.get("version").and_then(|f| f.as_u64()).unwrap_or(0);
    if version != baseline::VERSION as u64 {
        bail!(
            "{}: baseline model format version {version}; this terrawatt reads version {}",
            path.display(),
            baseline::VERSION
        );
    }
    serde_json::from_value(v)
        .with_context(|| format!("{}: the baseline model is damaged", path.display()))
}

fn savings_lines(t: &mut String, s: &Savings) -> Result<()> {
    writeln!(
        t,
        "reporting: {} to {}, {} periods",
        s.start, s.end, s.periods
    )?;
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1} %", 100.0 * v));
    writeln!(
        t,
        "predicted baseline {:.2}, observed {:.2}, avoided {:.2} ({})",
        s.predicted_total,
        s.observed_total,
        s.avoided,
        pct(s.fractional_savings)
    )?;
    let band = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("± {v:.2}"));
    writeln!(
        t,
        "uncertainty at {:.0} % confidence: {} (fsu {}, CalTRACK); {} (fsu {}, ASHRAE Guideline 14)",
        100.0 * s.confidence,
        band(s.avoided_uncertainty),
        pct(s.fsu),
        band(s.avoided_uncertainty_g14),
        pct(s.fsu_g14)
    )?;
    for n in &s.notes {
        writeln!(t, "note: {n}")?;
    }
    Ok(())
}

pub fn savings(span: &mut Span, ctx: &Ctx, a: &SavingsArgs) -> Result<Outcome> {
    let z = zone(&a.input.tz)?;
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!("--confidence {} must be in (0, 1)", a.confidence);
    }
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &[&a.input.meter, &a.input.temperature, &a.model])?;
    }
    let model = load_model(&a.model)?;
    let u = match &a.input.temperature_unit {
        Some(s) => unit(s)?,
        None => model.temperature_unit,
    };
    let (meter, temp) = span.phase("read", |_| -> Result<_> {
        Ok((
            read_meter(&a.input.meter, &a.input, model.freq, z)?,
            read_temperature(&a.input, u, z)?,
        ))
    })?;
    let start = bound(&meter, Some(&a.start), z)?;
    let end = bound(&meter, a.end.as_deref(), z)?;
    check_overlap(&model.end, start, a.allow_overlap)?;
    let (s, rows) = span.phase("predict", |_| {
        baseline::savings(&model, &meter, &temp, start, end, a.confidence)
    })?;
    if let Some(out) = &a.out {
        let mut csv = String::from("start,end,temperature_f,observed,predicted\n");
        for r in &rows {
            writeln!(
                csv,
                "{},{},{},{},{}",
                rfc3339(r.start, r.offset),
                rfc3339(r.end, r.offset),
                r.temp,
                r.observed,
                r.predicted
            )?;
        }
        span.phase("write", |_| write_atomic(out, csv.as_bytes()))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(p) = &a.plot {
        let t0 = rows[0].start;
        let x: Vec<f64> = rows
            .iter()
            .map(|r| (r.start - t0) as f64 / 86_400.0)
            .collect();
        let obs: Vec<f64> = rows.iter().map(|r| r.observed).collect();
        let pred: Vec<f64> = rows.iter().map(|r| r.predicted).collect();
        let unit = meter.unit.clone().unwrap_or_else(|| "meter units".into());
        span.phase("plot", |_| {
            plot::savings(
                p,
                "Savings: baseline prediction against observed use",
                &unit,
                t0,
                rows[0].offset as i64,
                &x,
                &obs,
                &pred,
                s.avoided_uncertainty.map(|u| (u, s.confidence)),
            )
        })?;
    }
    let mut t = String::new();
    writeln!(t, "model: {}", describe(&model))?;
    savings_lines(&mut t, &s)?;
    masked_lines(&mut t, &s.masked, ctx.global.verbose)?;
    if let Some(o) = &a.out {
        writeln!(t, "periods written to {}", o.display())?;
    }
    if let Some(p) = &a.plot {
        writeln!(t, "plot written to {}", p.display())?;
    }
    let mut results = serde_json::to_value(&s)?;
    results["model_file"] = json!(a.model);
    results["masked_count"] = json!(s.masked.len());
    Ok(Outcome {
        results,
        text: t,
        unit: Some(FunctionalUnit::new("meter", 1.0)),
    })
}

/// The meter files of a folder (every .csv, .csv.gz and .parquet in it, sorted by name).
pub fn meter_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in
        std::fs::read_dir(dir).with_context(|| format!("reading the folder {}", dir.display()))?
    {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_file()
            && [".csv", ".csv.gz", ".parquet"]
                .iter()
                .any(|x| name.ends_with(x))
        {
            out.push(p);
        }
    }
    out.sort();
    if out.is_empty() {
        bail!(
            "{}: no meter files (.csv, .csv.gz, .parquet) in the folder",
            dir.display()
        );
    }
    Ok(out)
}

/// The meter files of `--meters`: folders expanded, files as given; each once.
fn meters_of(items: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in items {
        let found = if p.is_dir() {
            meter_files(p)?
        } else if p.is_file() {
            vec![p.clone()]
        } else {
            bail!("--meters {}: no such file or folder", p.display());
        };
        for f in found {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    Ok(out)
}

pub fn portfolio(span: &mut Span, _ctx: &Ctx, a: &PortfolioArgs) -> Result<Outcome> {
    let f = freq(a.freq);
    let z = zone(&a.tz)?;
    let u = unit(&a.temperature_unit)?;
    let g = grid(&a.grid)?;
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!("--confidence {} must be in (0, 1)", a.confidence);
    }
    let files = meters_of(&a.meters)?;
    if let Some(o) = &a.out {
        let inputs: Vec<&Path> = files
            .iter()
            .map(PathBuf::as_path)
            .chain([a.temperature.as_path()])
            .collect();
        check_output(o, &inputs)?;
    }
    let input = MeterInputArgs {
        meter: PathBuf::new(),
        temperature: a.temperature.clone(),
        temperature_unit: Some(a.temperature_unit.clone()),
        tz: a.tz.clone(),
        meter_time_column: None,
        meter_value_column: None,
        temperature_time_column: None,
        temperature_column: None,
        allow_negative: a.allow_negative,
    };
    let temp = span.phase("read temperature", |_| read_temperature(&input, u, z))?;
    let settings = FitSettings {
        grid: g,
        allow_insufficient: a.grid.allow_insufficient,
        ..Default::default()
    };
    let unit_of = |u: &str, flag: &str| -> Result<&'static str> {
        terrawatt_building::series::unit_name(u).ok_or_else(|| {
            anyhow!(
                "{flag} '{u}': not a unit terrawatt converts (kWh, Wh, MWh, therms, ccf, MJ, GJ)"
            )
        })
    };
    let default_unit = a
        .unit
        .as_deref()
        .map(|u| unit_of(u, "--unit"))
        .transpose()?;
    let convert_to = a
        .convert_to
        .as_deref()
        .map(|u| unit_of(u, "--convert-to"))
        .transpose()?;
    let one = |path: &PathBuf| -> Result<(Baseline, Savings, Option<String>)> {
        let meter = read_meter(path, &input, f, z)?;
        let unit = meter.unit.clone().or(default_unit.map(str::to_string));
        let bs = bound(&meter, a.baseline_start.as_deref(), z)?;
        let be = bound(&meter, Some(&a.baseline_end), z)?;
        let fitted = baseline::fit(&meter, &temp, u, bs, be, &settings)?;
        let rs = bound(&meter, Some(&a.start), z)?;
        let re = bound(&meter, a.end.as_deref(), z)?;
        check_overlap(&fitted.baseline.end, rs, a.allow_overlap)?;
        let (s, _) = baseline::savings(&fitted.baseline, &meter, &temp, rs, re, a.confidence)?;
        Ok((fitted.baseline, s, unit))
    };
    let results: Vec<Result<(Baseline, Savings, Option<String>)>> =
        span.phase("meters", |_| files.par_iter().map(one).collect());
    // one total needs one unit: meters in different units (or some without one) are
    // refused, or converted with --convert-to
    let name_of = |p: &PathBuf| {
        p.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string()
    };
    let units: Vec<(String, Option<String>)> = files
        .iter()
        .zip(&results)
        .filter_map(|(p, r)| r.as_ref().ok().map(|(_, _, u)| (name_of(p), u.clone())))
        .collect();
    let factor_of = |u: &Option<String>| -> Result<f64> {
        let Some(target) = convert_to else {
            return Ok(1.0);
        };
        let kwh = |name: &str| {
            terrawatt_building::series::UNITS_KWH
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, k)| *k)
        };
        match u.as_deref().and_then(terrawatt_building::series::unit_name) {
            Some(from) => Ok(kwh(from).unwrap_or(1.0) / kwh(target).unwrap_or(1.0)),
            None => bail!(
                "--convert-to {target}: a meter's unit is {}; give it a unit column, or --unit",
                u.as_deref().map_or("not said".to_string(), |u| format!(
                    "'{u}', which terrawatt does not convert"
                ))
            ),
        }
    };
    let mut distinct: Vec<Option<String>> = units.iter().map(|(_, u)| u.clone()).collect();
    distinct.sort();
    distinct.dedup();
    if convert_to.is_none() && distinct.len() > 1 {
        bail!(
            "the meters are in different units ({}): one total would add them; convert with --convert-to kWh (a therm is 29.3071 kWh), or evaluate them apart",
            units
                .iter()
                .map(|(n, u)| format!("{n}: {}", u.as_deref().unwrap_or("no unit")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut factors = Vec::with_capacity(results.len());
    for (n, u) in &units {
        factors.push(factor_of(u).map_err(|e| anyhow!("{n}: {e}"))?);
    }
    let total_unit = convert_to
        .map(str::to_string)
        .or_else(|| distinct.first().cloned().flatten());
    let mut factor = factors.into_iter();
    let mut t = String::new();
    let mut rows = Vec::new();
    let mut csv = String::from(
        "meter,status,model,predicted_total,observed_total,avoided,fractional_savings,fsu,avoided_uncertainty,reason\n",
    );
    let (mut p_sum, mut o_sum, mut var_sum, mut ok_count) = (0.0, 0.0, 0.0, 0usize);
    let mut band_defined = true;
    for (path, r) in files.iter().zip(&results) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        match r {
            Ok((b, s, _)) => {
                let k = factor.next().unwrap_or(1.0);
                ok_count += 1;
                p_sum += k * s.predicted_total;
                o_sum += k * s.observed_total;
                match s.avoided_uncertainty {
                    Some(u) => var_sum += (k * u) * (k * u),
                    None => band_defined = false,
                }
                let kind = match &b.model {
                    Model::DegreeDay(m) => serde_json::to_value(m.kind)?
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    Model::Towt(_) => "towt".into(),
                };
                let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
                writeln!(
                    csv,
                    "{name},ok,{kind},{},{},{},{},{},{},",
                    s.predicted_total,
                    s.observed_total,
                    s.avoided,
                    opt(s.fractional_savings),
                    opt(s.fsu),
                    opt(s.avoided_uncertainty)
                )?;
                writeln!(
                    t,
                    "{name}: predicted {:.2}, observed {:.2}, avoided {:.2} ({}), fsu {}",
                    s.predicted_total,
                    s.observed_total,
                    s.avoided,
                    s.fractional_savings
                        .map_or("n/a".into(), |v| format!("{:.1} %", 100.0 * v)),
                    s.fsu
                        .map_or("n/a".into(), |v| format!("{:.1} %", 100.0 * v))
                )?;
                rows.push(json!({"meter": name, "status": "ok", "model": kind, "savings": s}));
            }
            Err(e) => {
                let reason = format!("{e:#}");
                writeln!(csv, "{name},failed,,,,,,,,\"{}\"", reason.replace('"', "'"))?;
                writeln!(t, "{name}: left out — {reason}")?;
                rows.push(json!({"meter": name, "status": "failed", "reason": reason}));
            }
        }
    }
    if ok_count == 0 {
        bail!(
            "no meter in {} could be evaluated:\n{t}",
            a.meters
                .iter()
                .map(|m| m.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(o) = &a.out {
        span.phase("write", |_| write_atomic(o, csv.as_bytes()))
            .with_context(|| format!("writing {}", o.display()))?;
    }
    let avoided = p_sum - o_sum;
    let band = band_defined.then(|| var_sum.sqrt());
    writeln!(
        t,
        "portfolio: {ok_count} of {} meters; predicted {p_sum:.2}, observed {o_sum:.2}, avoided {avoided:.2}{} ({:.1} %), uncertainty at {:.0} %: {}",
        files.len(),
        total_unit
            .as_deref()
            .map_or(String::new(), |u| format!(" {u}")),
        100.0 * avoided / p_sum,
        100.0 * a.confidence,
        band.map_or("n/a".into(), |b| format!(
            "± {b:.2} (root-sum-square, meters independent)"
        ))
    )?;
    Ok(Outcome {
        results: json!({
            "meters": rows,
            "meters_total": files.len(),
            "meters_evaluated": ok_count,
            "predicted_total": p_sum,
            "observed_total": o_sum,
            "avoided": avoided,
            "fractional_savings": avoided / p_sum,
            "avoided_uncertainty": band,
            "unit": total_unit,
            "confidence": a.confidence,
        }),
        text: t,
        unit: Some(FunctionalUnit::new("meter", files.len() as f64)),
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
