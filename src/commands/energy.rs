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
    if let Some(p) = &cpu.platform {
        writeln!(
            t,
            "Platform (DMI): {p}{}",
            if cpu.platform_virtual {
                " — a virtual machine"
            } else {
                ""
            }
        )?;
    }
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
        if method == Method::Model {
            "model"
        } else {
            "counters"
        },
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

/// `energy when`.
pub fn when(span: &mut Span, ctx: &Ctx, a: &crate::cli::WhenArgs) -> Result<Outcome> {
    use terrawatt_meter::hourly::{IntensitySeries, choose_start};
    if let Some(run) = &a.plan {
        return when_plan(span, ctx, a, run);
    }
    let duration_text = a.duration.as_deref().unwrap_or_default();
    let duration = parse_duration(duration_text).map_err(|e| anyhow::anyhow!("--duration {e}"))?;
    let joules = match (&a.energy_from, a.joules) {
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
    };
    let (series, from, latest_start) = window(a, duration)?;
    let kwh = joules.map(|j| j / 3.6e6);
    let (best, first, worst, n) = choose_start(&series, from, latest_start, duration, kwh)
        .map_err(|t| {
            anyhow::anyhow!(
                "{}: the series covers {} to {} and not {} (a run starting {}{}); give --from inside it",
                a.intensity.display(),
                IntensitySeries::time_text(series.first_s as f64),
                IntensitySeries::time_text(series.end_s as f64),
                IntensitySeries::time_text(t),
                IntensitySeries::time_text(from),
                if a.from.is_none() { " (now)" } else { "" }
            )
        })?;
    let mut t = String::new();
    let g = |c: &terrawatt_meter::hourly::StartChoice| match c.grams {
        Some(g) => format!(
            "{} ({:.1} g/kWh)",
            terrawatt_meter::units::grams_co2e(g),
            c.mean_g_per_kwh
        ),
        None => format!("{:.1} gCO2e/kWh", c.mean_g_per_kwh),
    };
    writeln!(
        t,
        "{} starts considered for a {} run between {} and {} (series {}, {}, step {} s)",
        n,
        duration_text,
        IntensitySeries::time_text(from),
        IntensitySeries::time_text(latest_start),
        a.intensity.display(),
        series.column,
        series.step_s
    )?;
    writeln!(t, "  best start  {}  {}", best.start, g(&best))?;
    writeln!(
        t,
        "  {}  {}  {}",
        if a.from.is_some() {
            "from      "
        } else {
            "now       "
        },
        first.start,
        g(&first)
    )?;
    writeln!(t, "  worst start {}  {}", worst.start, g(&worst))?;
    let saving = 1.0 - best.mean_g_per_kwh / first.mean_g_per_kwh.max(1e-12);
    writeln!(
        t,
        "Starting at {} instead of {} saves {:.0} % of the run's operational carbon{}",
        best.start,
        if a.from.is_some() { "--from" } else { "now" },
        saving * 100.0,
        match (best.grams, first.grams) {
            (Some(b), Some(f)) => format!(" ({})", terrawatt_meter::units::grams_co2e(f - b)),
            _ => " (give --joules or --energy-from for grams)".into(),
        }
    )?;
    Ok(Outcome {
        results: json!({
            "series": series,
            "duration_s": duration,
            "joules": joules,
            "candidates": n,
            "best": best,
            "first": first,
            "worst": worst,
            "saving_share": saving,
        }),
        text: t,
        unit: None,
    })
}

/// The series and the window of starts for a run of `duration` s: from `--from` (or now)
/// to the latest start that ends within `--within` (24 h) and before `--deadline`.
fn window(
    a: &crate::cli::WhenArgs,
    duration: f64,
) -> Result<(terrawatt_meter::hourly::IntensitySeries, f64, f64)> {
    let series = terrawatt_meter::hourly::IntensitySeries::load(&a.intensity, a.direct)?;
    let from = match &a.from {
        Some(t) => parse_instant("--from", t)?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
    };
    let within = match &a.within {
        Some(w) => parse_duration(w).map_err(|e| anyhow::anyhow!("--within {e}"))?,
        None => 86_400.0,
    };
    Ok((series, from, latest_start(a, from, within, duration)?))
}

/// The latest start for a run of `duration` s from `from`: within `within` s, and before
/// `--deadline`.
fn latest_start(a: &crate::cli::WhenArgs, from: f64, within: f64, duration: f64) -> Result<f64> {
    let mut latest = from + within - duration;
    if let Some(d) = &a.deadline {
        latest = latest.min(parse_instant("--deadline", d)? - duration);
    }
    if latest < from {
        bail!(
            "a {} run cannot end within the window (--within / --deadline) from {}",
            terrawatt_meter::units::seconds(duration),
            terrawatt_meter::hourly::IntensitySeries::time_text(from)
        );
    }
    Ok(latest)
}

/// `energy when --plan RUN`: waves of the unfinished tasks at the cleanest hours.
fn when_plan(
    _span: &mut Span,
    _ctx: &Ctx,
    a: &crate::cli::WhenArgs,
    run: &std::path::Path,
) -> Result<Outcome> {
    use terrawatt_meter::hourly::{IntensitySeries, schedule_waves};
    use terrawatt_scale::energy::TaskEnergy;
    use terrawatt_scale::manifest::{Plan, report_path};
    let plan = Plan::read(run)?;
    let mut done = Vec::new();
    let mut remaining = Vec::new();
    for id in 0..plan.tasks {
        let path = report_path(run, id);
        let report = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        match report.map(|r| TaskEnergy::of_report(id, &r)) {
            Some(Ok(e)) => done.push(e),
            _ => remaining.push(id),
        }
    }
    if remaining.is_empty() {
        bail!(
            "{}: every one of its {} tasks has a report: nothing left to schedule",
            run.display(),
            plan.tasks
        );
    }
    let duration = match &a.duration {
        Some(d) => parse_duration(d).map_err(|e| anyhow::anyhow!("--duration {e}"))?,
        None if !done.is_empty() => {
            // the longest finished task, to the minute above: a wave lasts as its slowest task
            let longest = done.iter().map(|e| e.wall_s).fold(0.0, f64::max);
            ((longest / 60.0).ceil() * 60.0).max(60.0)
        }
        None => bail!(
            "{}: no task has finished, so give --duration (one task's wall time)",
            run.display()
        ),
    };
    let per_task_j = match (a.joules, &a.energy_from) {
        (Some(j), _) if j.is_finite() && j >= 0.0 => Some(j),
        (Some(j), _) => bail!("--joules {j}: must be a finite number ≥ 0"),
        (None, Some(_)) => bail!(
            "--energy-from is for one run: with --plan give --joules per task, or let finished tasks' reports set it"
        ),
        (None, None) if !done.is_empty() => {
            Some(done.iter().map(|e| e.joules).sum::<f64>() / done.len() as f64)
        }
        (None, None) => None,
    };
    let parallel = a.parallel.or(plan.slurm.max_parallel).unwrap_or(1).max(1);
    if a.parallel == Some(0) {
        bail!("--parallel 0: at least 1");
    }
    let waves: Vec<&[usize]> = remaining.chunks(parallel).collect();
    let (series, from, latest) = window(a, duration)?;
    let chosen = schedule_waves(&series, from, latest, duration, waves.len()).map_err(|fit| {
        anyhow::anyhow!(
            "{} waves of {} tasks ({} each) do not fit between {} and {} in the series' covered hours: room for {fit}; allow more time, or more tasks at once (--parallel)",
            waves.len(),
            parallel,
            terrawatt_meter::units::seconds(duration),
            IntensitySeries::time_text(from),
            IntensitySeries::time_text(latest + duration)
        )
    })?;
    // the reference: the waves back to back from the earliest start
    let mut back_to_back = 0.0;
    for (k, wave) in waves.iter().enumerate() {
        let s = from + k as f64 * duration;
        back_to_back += series.mean(s, s + duration).map_err(|t| {
            anyhow::anyhow!(
                "{}: the series does not cover {} (the waves back to back from {})",
                a.intensity.display(),
                IntensitySeries::time_text(t),
                IntensitySeries::time_text(from)
            )
        })? * wave.len() as f64;
    }
    let scheduled: f64 = chosen
        .iter()
        .zip(&waves)
        .map(|(c, w)| c.mean_g_per_kwh * w.len() as f64)
        .sum();
    let kwh = per_task_j.map(|j| j / 3.6e6);
    let mut t = String::new();
    writeln!(
        t,
        "{} unfinished task(s) of {} in {} wave(s) of at most {parallel}, {} each{}",
        remaining.len(),
        plan.tasks,
        waves.len(),
        terrawatt_meter::units::seconds(duration),
        match per_task_j {
            Some(j) => format!(", {} per task", terrawatt_meter::units::joules(j)),
            None => String::new(),
        }
    )?;
    let mut rows = Vec::new();
    for (c, w) in chosen.iter().zip(&waves) {
        let ids = array_list(w);
        let grams = kwh.map(|k| k * c.mean_g_per_kwh * w.len() as f64);
        writeln!(
            t,
            "  {}  tasks {ids:<20} {:.1} g/kWh{}",
            c.start,
            c.mean_g_per_kwh,
            grams.map_or_else(String::new, |g| format!(
                "  {}",
                terrawatt_meter::units::grams_co2e(g)
            ))
        )?;
        writeln!(
            t,
            "      TZ=UTC sbatch --begin={} --array={ids} {} 0",
            c.start.trim_end_matches('Z'),
            run.join(terrawatt_scale::slurm::TASKS_SCRIPT).display()
        )?;
        rows.push(json!({ "start": c.start, "tasks": w, "mean_g_per_kwh": c.mean_g_per_kwh, "grams": grams }));
    }
    let saving = 1.0 - scheduled / back_to_back.max(1e-12);
    writeln!(
        t,
        "Against the waves back to back from {}: {:.0} % less operational carbon{}",
        IntensitySeries::time_text(from),
        saving * 100.0,
        match kwh {
            Some(k) => format!(
                " ({})",
                terrawatt_meter::units::grams_co2e(k * (back_to_back - scheduled))
            ),
            None => String::new(),
        }
    )?;
    writeln!(
        t,
        "Then `terrawatt merge {}` after the last wave (or submit the merge with --dependency on the waves' jobs).",
        run.display()
    )?;
    Ok(Outcome {
        results: json!({
            "run": run,
            "tasks": plan.tasks,
            "remaining": remaining.len(),
            "parallel": parallel,
            "wave_duration_s": duration,
            "joules_per_task": per_task_j,
            "waves": rows,
            "saving_share": saving,
        }),
        text: t,
        unit: None,
    })
}

/// Slurm's array list for task ids: `0-3,7,9-10`.
fn array_list(ids: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            ids[i].to_string()
        } else {
            format!("{}-{}", ids[i], ids[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// `energy sweep -- COMMAND`.
pub fn sweep(span: &mut Span, ctx: &Ctx, a: &crate::cli::SweepArgs) -> Result<Outcome> {
    use terrawatt_meter::system::ProcessCpu;
    let n = a
        .max_threads
        .unwrap_or_else(|| span.meter().cpu().logical_cpus)
        .max(1);
    if a.max_threads == Some(0) {
        bail!("--max-threads 0: at least 1");
    }
    let (program, args) = a
        .command
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("give the command after --"))?;
    let mut rows = Vec::new();
    let mut t = String::from("threads   wall s    CPU s    energy            carbon\n");
    for k in 1..=n {
        let before = ProcessCpu::children();
        let mut run = span.meter().span(format!("threads={k}"));
        let status = std::process::Command::new(program)
            .args(args)
            .env("RAYON_NUM_THREADS", k.to_string())
            .env("OMP_NUM_THREADS", k.to_string())
            .stdout(std::process::Stdio::null())
            .status();
        let after = ProcessCpu::children();
        let (user, system) = (
            after.user_s - before.user_s,
            after.system_s - before.system_s,
        );
        // the run's phase and the sweep's own span both hold the child's CPU time
        run.add_external(user, system, after.peak_rss_bytes);
        span.add_external(user, system, after.peak_rss_bytes);
        let rec = run.finish();
        let fail = match status {
            Ok(s) if s.success() => None,
            Ok(s) => Some(format!("exited with {s}")),
            Err(e) => Some(format!("could not start: {e}")),
        };
        let fp = terrawatt_meter::Footprint::of(&rec, &ctx.carbon, None);
        span.adopt(rec.clone());
        if let Some(why) = fail {
            bail!(
                "`{}` at {k} thread(s) {why}; the runs measured before it:\n{}",
                a.command.join(" "),
                t.trim_end()
            );
        }
        writeln!(
            t,
            "{k:>7} {:>8.2} {:>8.2}    {:<17} {}",
            rec.wall_s,
            rec.cpu_s(),
            terrawatt_meter::units::joules(fp.joules),
            terrawatt_meter::units::grams_co2e(fp.co2e_g)
        )?;
        rows.push(json!({
            "threads": k,
            "wall_s": rec.wall_s,
            "cpu_s": rec.cpu_s(),
            "joules": fp.joules,
            "joules_low": fp.joules_low,
            "joules_high": fp.joules_high,
            "co2e_g": fp.co2e_g,
            "method": fp.method,
        }));
    }
    let pick = |key: &str| {
        rows.iter()
            .min_by(|x, y| {
                x[key]
                    .as_f64()
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&y[key].as_f64().unwrap_or(f64::INFINITY))
            })
            .and_then(|r| r["threads"].as_u64())
            .unwrap_or(1)
    };
    let (green, fast) = (pick("joules"), pick("wall_s"));
    writeln!(
        t,
        "Energy-optimal: {green} thread(s); time-optimal: {fast} thread(s){}",
        if green == fast {
            ""
        } else {
            " — the fastest setting is not the greenest"
        }
    )?;
    if span.meter().method().is_estimate() {
        writeln!(
            t,
            "(model estimates: energy follows CPU time here; a measured counter also sees idle and uncore power, where fewer threads for longer can cost more)"
        )?;
    }
    Ok(Outcome {
        results: json!({
            "command": a.command,
            "runs": rows,
            "energy_optimal_threads": green,
            "time_optimal_threads": fast,
        }),
        text: t,
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
