//! `terrawatt energy …`

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;
use terrawatt_meter::calibrate::calibrate as run_calibration;
use terrawatt_meter::model::Calibration;
use terrawatt_meter::when::When;
use terrawatt_meter::{Span, tables};
use terrawatt_scale::waves::WaveSettings;

use crate::cli::CalibrateArgs;
use crate::task::{Ctx, Outcome};

/// `energy info`: the sources, why those not used are not, the model and the grid.
pub fn info(span: &mut Span, ctx: &Ctx) -> Result<Outcome> {
    let meter = span.meter();
    Ok(Outcome {
        results: terrawatt_meter::info::json(meter, &ctx.carbon),
        text: terrawatt_meter::info::text(meter, &ctx.carbon),
        unit: None,
    })
}

/// `energy calibrate`: needs RAPL (or the perf PMU); says why not and fails where absent.
pub fn calibrate(span: &mut Span, ctx: &Ctx, args: &CalibrateArgs) -> Result<Outcome> {
    if !(args.step_seconds.is_finite() && args.step_seconds >= 0.5) {
        bail!("--step-seconds {}: must be at least 0.5", args.step_seconds);
    }
    let Some(out) = args.out.clone().or_else(Calibration::default_path) else {
        bail!("no config folder ($XDG_CONFIG_HOME and $HOME unset): give --out FILE");
    };
    let meter = span.meter().clone();
    let n = meter.cpu().logical_cpus as u64 + 1;
    let bar = ctx.progress(n, "calibrating");
    let cal = span.phase("calibrate", |_| {
        run_calibration(
            &meter,
            Duration::from_secs_f64(args.step_seconds),
            |k, _| bar.set_position(k as u64),
        )
    });
    bar.finish_and_clear();
    let cal = cal?;
    span.phase("write", |_| cal.save(&out))?;
    let mut t = String::new();
    for (k, w) in &cal.points {
        writeln!(t, "  {k:>3} busy cores: {w:8.2} W")?;
    }
    writeln!(
        t,
        "Fit: {:.2} W idle + {:.2} W per busy core (r² {:.4}); saved to {}",
        cal.idle_w,
        cal.w_per_core,
        cal.r2,
        out.display()
    )?;
    Ok(Outcome {
        results: json!({ "calibration": cal, "path": out }),
        text: t,
        unit: None,
    })
}

/// `energy countries`.
pub fn countries(_ctx: &Ctx) -> Result<Outcome> {
    let rows = tables::countries();
    let mut t = String::from("alpha2 alpha3 g/kWh   year country\n");
    for r in rows {
        writeln!(
            t,
            "{:<6} {:<6} {:>7.1} {} {}",
            r.alpha2, r.alpha3, r.g_per_kwh, r.year, r.name
        )?;
    }
    writeln!(
        t,
        "{} countries; source: {}",
        rows.len(),
        rows.first().map_or("", |r| r.source.as_str())
    )?;
    let list: Vec<_> = rows
        .iter()
        .map(|r| json!({"alpha2": r.alpha2, "alpha3": r.alpha3, "country": r.name, "g_per_kwh": r.g_per_kwh, "year": r.year}))
        .collect();
    Ok(Outcome {
        results: json!({ "countries": list }),
        text: t,
        unit: None,
    })
}

/// `energy regions`.
pub fn regions(_ctx: &Ctx) -> Result<Outcome> {
    let rows = tables::cloud_regions();
    let mut t = String::from("region                          g/kWh  country\n");
    for r in rows {
        writeln!(
            t,
            "{:<31} {:>6.0}  {} ({})",
            format!("{}:{}", r.provider, r.region),
            r.g_per_kwh,
            r.country,
            r.alpha3
        )?;
    }
    let list: Vec<_> = rows
        .iter()
        .map(|r| json!({"provider": r.provider, "region": r.region, "alpha3": r.alpha3, "g_per_kwh": r.g_per_kwh, "source": r.source}))
        .collect();
    Ok(Outcome {
        results: json!({ "regions": list }),
        text: t,
        unit: None,
    })
}

/// `3h`, `90m`, `45s`, `2d`, `1h30m` → seconds (the one duration parser).
pub fn parse_duration(text: &str) -> Result<f64> {
    terrawatt_table::time::parse_duration(text)
        .map(|s| s as f64)
        .map_err(|e| anyhow::anyhow!(e))
}

fn parse_instant(flag: &str, text: &str) -> Result<f64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|d| d.timestamp() as f64)
        .map_err(|_| {
            anyhow::anyhow!(
                "{flag} '{text}': not an RFC 3339 time with its offset (e.g. 2026-03-01T14:00:00Z)"
            )
        })
}

/// `--energy-from` or `--joules`: the run's energy, J.
fn run_joules(a: &crate::cli::WhenArgs) -> Result<Option<f64>> {
    Ok(match (&a.energy_from, a.joules) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("--energy-from {}: {e}", path.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("--energy-from {}: not a JSON report ({e})", path.display())
            })?;
            let j = v["energy"]["joules"].as_f64().ok_or_else(|| {
                anyhow::anyhow!(
                    "--energy-from {}: no energy.joules (is it a terrawatt --report file?)",
                    path.display()
                )
            })?;
            Some(j)
        }
        (None, Some(j)) if j.is_finite() && j >= 0.0 => Some(j),
        (None, Some(j)) => bail!("--joules {j}: must be a finite number ≥ 0"),
        (None, None) => None,
    })
}

/// The run to place: the series, the window (`--from`, `--within`, `--deadline`).
fn when_settings(a: &crate::cli::WhenArgs, duration_s: f64, joules: Option<f64>) -> Result<When> {
    Ok(When {
        intensity: a.intensity.clone(),
        direct: a.direct,
        duration_s,
        from: a
            .from
            .as_deref()
            .map(|t| parse_instant("--from", t))
            .transpose()?,
        within_s: match &a.within {
            Some(w) => parse_duration(w).map_err(|e| anyhow::anyhow!("--within {e}"))?,
            None => 86_400.0,
        },
        deadline: a
            .deadline
            .as_deref()
            .map(|t| parse_instant("--deadline", t))
            .transpose()?,
        joules,
    })
}

/// `energy when`.
pub fn when(span: &mut Span, ctx: &Ctx, a: &crate::cli::WhenArgs) -> Result<Outcome> {
    if let Some(run) = &a.plan {
        return when_plan(span, ctx, a, run);
    }
    let duration_text = a.duration.as_deref().unwrap_or_default();
    let duration = parse_duration(duration_text).map_err(|e| anyhow::anyhow!("--duration {e}"))?;
    // --joules is the IT energy and takes --pue; a report's energy.joules has it already
    let joules = run_joules(a)?.map(|j| {
        if a.energy_from.is_none() {
            j * ctx.carbon.pue
        } else {
            j
        }
    });
    let choice = terrawatt_meter::when::when(&when_settings(a, duration, joules)?)?;
    Ok(Outcome {
        results: serde_json::to_value(&choice)?,
        text: choice.text(duration_text),
        unit: None,
    })
}

/// `energy when --plan RUN`: waves of the unfinished tasks at the cleanest hours.
fn when_plan(
    _span: &mut Span,
    ctx: &Ctx,
    a: &crate::cli::WhenArgs,
    run: &std::path::Path,
) -> Result<Outcome> {
    let duration_s = a
        .duration
        .as_deref()
        .map(|d| parse_duration(d).map_err(|e| anyhow::anyhow!("--duration {e}")))
        .transpose()?;
    let joules = match (a.joules, &a.energy_from) {
        (Some(j), _) if j.is_finite() && j >= 0.0 => Some(j * ctx.carbon.pue),
        (Some(j), _) => bail!("--joules {j}: must be a finite number ≥ 0"),
        (None, Some(_)) => bail!(
            "--energy-from is for one run: with --plan give --joules per task, or let finished tasks' reports set it"
        ),
        (None, None) => None,
    };
    let waves = terrawatt_scale::waves::plan_waves(&WaveSettings {
        run: run.to_path_buf(),
        when: when_settings(a, duration_s.unwrap_or(0.0), joules)?,
        duration_s,
        parallel: a.parallel,
    })?;
    Ok(Outcome {
        results: serde_json::to_value(&waves)?,
        text: waves.text(),
        unit: None,
    })
}

/// `energy sweep -- COMMAND`.
pub fn sweep(span: &mut Span, ctx: &Ctx, a: &crate::cli::SweepArgs) -> Result<Outcome> {
    if a.max_threads == Some(0) {
        bail!("--max-threads 0: at least 1");
    }
    let n = a
        .max_threads
        .unwrap_or_else(|| span.meter().cpu().logical_cpus)
        .max(1);
    let s = terrawatt_meter::sweep::sweep(span, &ctx.carbon, &a.command, n)?;
    Ok(Outcome {
        results: serde_json::to_value(&s)?,
        text: s.text(),
        unit: None,
    })
}

/// `energy sample-intensity`.
pub fn sample_intensity(
    span: &mut Span,
    _ctx: &Ctx,
    a: &crate::cli::SampleIntensityArgs,
) -> Result<Outcome> {
    if a.days == 0 || a.days > 3660 {
        bail!("--days {}: 1 to 3660", a.days);
    }
    let start = parse_instant("--start", &a.start)? as i64;
    let rows = terrawatt_meter::hourly::sample_series(a.seed, start, a.days * 24);
    let mut csv = String::from("datetime,g_per_kwh\n");
    for (t, g) in &rows {
        let d = chrono::DateTime::from_timestamp(*t, 0).expect("a time in range");
        writeln!(csv, "{},{g}", d.format("%Y-%m-%dT%H:%M:%SZ"))?;
    }
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, csv.as_bytes())
    })?;
    let mean = rows.iter().map(|r| r.1).sum::<f64>() / rows.len() as f64;
    Ok(Outcome {
        results: json!({ "path": a.out, "hours": rows.len(), "mean_g_per_kwh": mean }),
        text: format!(
            "{} hourly values written to {} (mean {mean:.1} gCO2e/kWh)\n",
            rows.len(),
            a.out.display()
        ),
        unit: None,
    })
}
