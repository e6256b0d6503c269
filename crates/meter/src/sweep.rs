//! A command run at 1, 2, … threads (`RAYON_NUM_THREADS` and `OMP_NUM_THREADS` set), each
//! run a phase of the span with the child's CPU time, and the energy-optimal and
//! time-optimal thread counts.

use std::fmt::Write as _;

use serde::Serialize;

use crate::system::ProcessCpu;
use crate::{CarbonSettings, Footprint, MeterError, Result, Span, units};

/// One run of the sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRun {
    pub threads: usize,
    pub wall_s: f64,
    pub cpu_s: f64,
    pub joules: f64,
    pub joules_low: f64,
    pub joules_high: f64,
    pub co2e_g: f64,
    pub method: crate::Method,
}

/// The runs and the thread counts of the least energy and the least time.
#[derive(Debug, Serialize)]
pub struct Sweep {
    pub command: Vec<String>,
    pub runs: Vec<SweepRun>,
    pub energy_optimal_threads: usize,
    pub time_optimal_threads: usize,
    #[serde(skip)]
    estimate: bool,
}

fn table_header() -> String {
    String::from("threads   wall s    CPU s    energy            carbon\n")
}

fn row_text(r: &SweepRun) -> String {
    format!(
        "{:>7} {:>8.2} {:>8.2}    {:<17} {}\n",
        r.threads,
        r.wall_s,
        r.cpu_s,
        units::joules(r.joules),
        units::grams_co2e(r.co2e_g)
    )
}

/// Runs `command` (program and arguments) at 1 to `max_threads` threads, each inside a
/// phase `threads=K` of `span`. A run that fails stops the sweep, its error listing the
/// runs measured before it.
pub fn sweep(
    span: &mut Span,
    carbon: &CarbonSettings,
    command: &[String],
    max_threads: usize,
) -> Result<Sweep> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| MeterError::Schedule("give the command after --".into()))?;
    let mut runs: Vec<SweepRun> = Vec::new();
    for k in 1..=max_threads.max(1) {
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
        let fp = Footprint::of(&rec, carbon, None);
        span.adopt(rec.clone());
        if let Some(why) = fail {
            let done: String = runs.iter().map(row_text).collect();
            return Err(MeterError::Schedule(format!(
                "`{}` at {k} thread(s) {why}; the runs measured before it:\n{}",
                command.join(" "),
                (table_header() + &done).trim_end()
            )));
        }
        runs.push(SweepRun {
            threads: k,
            wall_s: rec.wall_s,
            cpu_s: rec.cpu_s(),
            joules: fp.joules,
            joules_low: fp.joules_low,
            joules_high: fp.joules_high,
            co2e_g: fp.co2e_g,
            method: fp.method,
        });
    }
    let pick = |key: fn(&SweepRun) -> f64| {
        runs.iter()
            .min_by(|x, y| key(x).total_cmp(&key(y)))
            .map_or(1, |r| r.threads)
    };
    Ok(Sweep {
        command: command.to_vec(),
        energy_optimal_threads: pick(|r| r.joules),
        time_optimal_threads: pick(|r| r.wall_s),
        runs,
        estimate: span.meter().method().is_estimate(),
    })
}

impl Sweep {
    /// The table of runs and the two optima.
    pub fn text(&self) -> String {
        let mut t = table_header();
        for r in &self.runs {
            t.push_str(&row_text(r));
        }
        let (green, fast) = (self.energy_optimal_threads, self.time_optimal_threads);
        let _ = writeln!(
            t,
            "Energy-optimal: {green} thread(s); time-optimal: {fast} thread(s){}",
            if green == fast {
                ""
            } else {
                " — the fastest setting is not the greenest"
            }
        );
        if self.estimate {
            let _ = writeln!(
                t,
                "(model estimates: energy follows CPU time here; a measured counter also sees idle and uncore power, where fewer threads for longer can cost more)"
            );
        }
        t
    }
}
