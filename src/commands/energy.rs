//! `terrawatt energy …`

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::json;
use terrawatt_meter::calibrate::calibrate as run_calibration;
use terrawatt_meter::model::{Calibration, CorePowerSource};
use terrawatt_meter::{Method, Span, tables};

use crate::cli::CalibrateArgs;
use crate::task::{Ctx, Outcome};

/// `energy info`: the sources, why those not used are not, the model and the grid.
pub fn info(span: &mut Span, ctx: &Ctx) -> Result<Outcome> {
    let meter = span.meter().clone();
    let mut t = String::new();
    let method = meter.method();
    writeln!(t, "Energy sources, best first:")?;
    for p in meter.probes() {
        match &p.unavailable {
            None if p.method == Method::Model => {
                writeln!(t, "  model  IN USE: {}", meter.model().describe())?;
            }
            None => writeln!(
                t,
                "  {:<6} IN USE: counters {}",
                p.method,
                p.domains.join(", ")
            )?,
            Some(why) => writeln!(t, "  {:<6} not used: {why}", p.method)?,
        }
    }
    if method == Method::Model {
        writeln!(
            t,
            "No hardware energy counter is readable here: every figure is a model estimate \
             (CPU-seconds × power per busy logical CPU + resident GB × memory power, × PUE), labelled as such with its band."
        )?;
    } else {
        writeln!(
            t,
            "Figures are measured by {method} for the whole machine and shared out by CPU time: task + other processes + idle = measured."
        )?;
    }
    let cpu = meter.cpu();
    let machine = meter.machine();
    writeln!(
        t,
        "CPU: {} — {} logical CPUs, {} physical cores, {} socket(s)",
        if cpu.model_name.is_empty() {
            "(unnamed)"
        } else {
            &cpu.model_name
        },
        cpu.logical_cpus,
        cpu.physical_cores,
        cpu.sockets
    )?;
    writeln!(t, "Charged: {}", meter.model().share.summary)?;
    if method != Method::Model {
        writeln!(
            t,
            "Idle power for the attribution: {:.2} W per logical CPU ({})",
            meter.model().idle_w_per_cpu,
            meter.model().idle_from
        )?;
    }
    writeln!(
        t,
        "Attribution ({}): {}",
        if method == Method::Model { "model" } else { "counters" },
        terrawatt_meter::ATTRIBUTION_CONVENTION
    )?;
    if let Some(b) = machine.ram_total_bytes {
        writeln!(t, "Memory: {:.1} GiB", b as f64 / (1u64 << 30) as f64)?;
    }
    let cal = Calibration::default_path();
    let cal_state = match &cal {
        Some(p) if p.exists() => format!("{} (present)", p.display()),
        Some(p) => format!(
            "{} (none: `terrawatt energy calibrate` makes one where RAPL is readable)",
            p.display()
        ),
        None => "no config folder ($XDG_CONFIG_HOME and $HOME unset)".into(),
    };
    writeln!(t, "Calibration file: {cal_state}")?;
    let grid = &ctx.carbon.grid;
    writeln!(
        t,
        "Grid: {:.1} gCO2e/kWh ({}; {}) · PUE {}{}",
        grid.g_per_kwh,
        grid.label(),
        grid.source,
        ctx.carbon.pue,
        match &ctx.carbon.embodied {
            Some(m) => format!(
                " · embodied {} kgCO2e over {} years, share {}",
                m.total_kg, m.lifetime_years, m.share
            ),
            None => " · embodied emissions not counted".into(),
        }
    )?;
    let model = meter.model();
    let results = json!({
        "method": method,
        "estimate": method.is_estimate(),
        "sources": meter.probes(),
        "model": model,
        "model_from_tdp_table": matches!(model.core_source, CorePowerSource::TdpTable { .. }),
        "share": model.share,
        "attribution_convention": terrawatt_meter::ATTRIBUTION_CONVENTION,
        "machine": machine,
        "calibration_file": cal,
        "carbon": ctx.carbon,
    });
    Ok(Outcome {
        results,
        text: t,
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
