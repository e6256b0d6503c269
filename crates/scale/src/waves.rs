//! The unfinished tasks of a planned run in waves, each wave at the cleanest hours of an
//! intensity series that fit before the deadline, with the `sbatch --begin` line of each.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use terrawatt_meter::hourly::{IntensitySeries, schedule_waves};
use terrawatt_meter::units;
use terrawatt_meter::when::When;

use crate::energy::TaskEnergy;
use crate::manifest::{Plan, report_path};
use crate::{Result, ScaleError, slurm};

/// What waves to plan. `when.duration_s` and `when.joules` are one task's; where they are
/// `None` the finished tasks' reports set them.
#[derive(Debug, Clone)]
pub struct WaveSettings {
    pub run: PathBuf,
    /// The window and the series; `duration_s` is overridden by `duration_s` below.
    pub when: When,
    /// One task's wall time, s (the longest finished task's, to the minute above, without).
    pub duration_s: Option<f64>,
    /// Tasks at once (the plan's `--max-parallel`, else 1, without).
    pub parallel: Option<usize>,
}

/// One wave.
#[derive(Debug, Serialize)]
pub struct Wave {
    pub start: String,
    pub tasks: Vec<usize>,
    pub mean_g_per_kwh: f64,
    pub grams: Option<f64>,
}

/// The waves and their saving against the waves back to back.
#[derive(Debug, Serialize)]
pub struct Waves {
    pub run: PathBuf,
    pub tasks: usize,
    pub remaining: usize,
    pub parallel: usize,
    pub wave_duration_s: f64,
    pub joules_per_task: Option<f64>,
    pub waves: Vec<Wave>,
    pub saving_share: f64,
    #[serde(skip)]
    from: f64,
    #[serde(skip)]
    saved_grams: Option<f64>,
}

fn settings(m: String) -> ScaleError {
    ScaleError::Settings(m)
}

/// The finished tasks' energy and the ids of those not finished.
fn split_done(run: &Path, tasks: usize) -> (Vec<TaskEnergy>, Vec<usize>) {
    let (mut done, mut remaining) = (Vec::new(), Vec::new());
    for id in 0..tasks {
        let report = std::fs::read_to_string(report_path(run, id))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        match report.map(|r| TaskEnergy::of_report(id, &r)) {
            Some(Ok(e)) => done.push(e),
            _ => remaining.push(id),
        }
    }
    (done, remaining)
}

/// One task's duration and energy: as given, else from the finished tasks.
fn per_task(s: &WaveSettings, done: &[TaskEnergy]) -> Result<(f64, Option<f64>)> {
    let duration = match s.duration_s {
        Some(d) => d,
        None if !done.is_empty() => {
            // the longest finished task, to the minute above: a wave lasts as its slowest task
            let longest = done.iter().map(|e| e.wall_s).fold(0.0, f64::max);
            ((longest / 60.0).ceil() * 60.0).max(60.0)
        }
        None => {
            return Err(settings(format!(
                "{}: no task has finished, so give --duration (one task's wall time)",
                s.run.display()
            )));
        }
    };
    let joules = match s.when.joules {
        Some(j) => Some(j),
        None if !done.is_empty() => {
            Some(done.iter().map(|e| e.joules).sum::<f64>() / done.len() as f64)
        }
        None => None,
    };
    Ok((duration, joules))
}

/// Plans the waves of a run's unfinished tasks.
pub fn plan_waves(s: &WaveSettings) -> Result<Waves> {
    let plan = Plan::read(&s.run)?;
    let (done, remaining) = split_done(&s.run, plan.tasks);
    if remaining.is_empty() {
        return Err(settings(format!(
            "{}: every one of its {} tasks has a report: nothing left to schedule",
            s.run.display(),
            plan.tasks
        )));
    }
    let (duration, per_task_j) = per_task(s, &done)?;
    if s.parallel == Some(0) {
        return Err(settings("--parallel 0: at least 1".into()));
    }
    let parallel = s.parallel.or(plan.slurm.max_parallel).unwrap_or(1).max(1);
    let waves: Vec<&[usize]> = remaining.chunks(parallel).collect();
    let when = When {
        duration_s: duration,
        ..s.when.clone()
    };
    let w = when.window()?;
    let (series, from, latest) = (&w.series, w.from, w.latest_start);
    let chosen = schedule_waves(series, from, latest, duration, waves.len()).map_err(|fit| {
        settings(format!(
            "{} waves of {} tasks ({} each) do not fit between {} and {} in the series' covered hours: room for {fit}; allow more time, or more tasks at once (--parallel)",
            waves.len(),
            parallel,
            units::seconds(duration),
            IntensitySeries::time_text(from),
            IntensitySeries::time_text(latest + duration)
        ))
    })?;
    // the reference: the waves back to back from the earliest start
    let mut back_to_back = 0.0;
    for (k, wave) in waves.iter().enumerate() {
        let start = from + k as f64 * duration;
        back_to_back += series.mean(start, start + duration).map_err(|t| {
            settings(format!(
                "{}: the series does not cover {} (the waves back to back from {})",
                when.intensity.display(),
                IntensitySeries::time_text(t),
                IntensitySeries::time_text(from)
            ))
        })? * wave.len() as f64;
    }
    let scheduled: f64 = chosen
        .iter()
        .zip(&waves)
        .map(|(c, w)| c.mean_g_per_kwh * w.len() as f64)
        .sum();
    let kwh = per_task_j.map(|j| j / 3.6e6);
    Ok(Waves {
        run: s.run.clone(),
        tasks: plan.tasks,
        remaining: remaining.len(),
        parallel,
        wave_duration_s: duration,
        joules_per_task: per_task_j,
        waves: chosen
            .iter()
            .zip(&waves)
            .map(|(c, w)| Wave {
                start: c.start.clone(),
                tasks: w.to_vec(),
                mean_g_per_kwh: c.mean_g_per_kwh,
                grams: kwh.map(|k| k * c.mean_g_per_kwh * w.len() as f64),
            })
            .collect(),
        saving_share: 1.0 - scheduled / back_to_back.max(1e-12),
        from,
        saved_grams: kwh.map(|k| k * (back_to_back - scheduled)),
    })
}

impl Waves {
    /// The plan as text: a line per wave with its `sbatch` line, the saving, the merge.
    pub fn text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{} unfinished task(s) of {} in {} wave(s) of at most {}, {} each{}",
            self.remaining,
            self.tasks,
            self.waves.len(),
            self.parallel,
            units::seconds(self.wave_duration_s),
            match self.joules_per_task {
                Some(j) => format!(", {} per task", units::joules(j)),
                None => String::new(),
            }
        );
        for w in &self.waves {
            let ids = slurm::array_spec(&w.tasks, None);
            let _ = writeln!(
                t,
                "  {}  tasks {ids:<20} {:.1} g/kWh{}",
                w.start,
                w.mean_g_per_kwh,
                w.grams
                    .map_or_else(String::new, |g| format!("  {}", units::grams_co2e(g)))
            );
            let _ = writeln!(
                t,
                "      TZ=UTC sbatch --begin={} --array={ids} {} 0",
                w.start.trim_end_matches('Z'),
                self.run.join(slurm::TASKS_SCRIPT).display()
            );
        }
        let _ = writeln!(
            t,
            "Against the waves back to back from {}: {:.0} % less operational carbon{}",
            IntensitySeries::time_text(self.from),
            self.saving_share * 100.0,
            match self.saved_grams {
                Some(g) => format!(" ({})", units::grams_co2e(g)),
                None => String::new(),
            }
        );
        let _ = writeln!(
            t,
            "Then `terrawatt merge {}` after the last wave (or submit the merge with --dependency on the waves' jobs).",
            self.run.display()
        );
        t
    }
}
