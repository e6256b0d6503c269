//! Where a planned run stands: which tasks are done (a whole report with its energy, every
//! output the size the report recorded), which are not and why, and the energy of failed
//! attempts; what `submit --dry-run` would do.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::energy::TaskEnergy;
use crate::manifest::{self, Plan, TaskRow};
use crate::{Result, ScaleError, slurm};

/// Why a task is not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDone {
    /// It has no report.
    NoReport,
    /// Its report is cut short or has no energy record, or an output is gone or not the
    /// size its report recorded.
    Damaged(String),
}

impl std::fmt::Display for NotDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotDone::NoReport => f.write_str("no report"),
            NotDone::Damaged(why) => f.write_str(why),
        }
    }
}

/// A JSON file.
pub fn read_json(p: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(p).map_err(|e| ScaleError::Io {
        path: p.to_path_buf(),
        source: e,
    })?;
    serde_json::from_str(&text).map_err(|e| ScaleError::Invalid {
        path: p.to_path_buf(),
        message: format!("not a JSON report: {e}"),
    })
}

/// Whether a task is done: its report parses as a task report with its energy, and every
/// output exists with the size the report recorded. The error says why not (a truncated
/// report, an output gone or cut), so that the task is run again and the message says so.
pub fn task_done(run: &Path, row: &TaskRow) -> std::result::Result<(), NotDone> {
    let path = manifest::report_path(run, row.task_id);
    if !path.is_file() {
        return Err(NotDone::NoReport);
    }
    let damaged = NotDone::Damaged;
    let report: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| {
            damaged(format!(
                "{} is not a whole JSON report (cut short?)",
                path.display()
            ))
        })?;
    TaskEnergy::of_report(row.task_id, &report)
        .map_err(|e| damaged(format!("{}: {e}", path.display())))?;
    for o in &row.outputs {
        let Ok(meta) = std::fs::metadata(&o.path) else {
            return Err(damaged(format!("output {} is gone", o.path.display())));
        };
        let recorded = report["results"]["output_bytes"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|e| e["path"].as_str() == Some(&o.path.display().to_string()))
            })
            .and_then(|e| e["bytes"].as_u64());
        if let Some(bytes) = recorded
            && bytes != meta.len()
        {
            return Err(damaged(format!(
                "output {} is {} bytes, the report recorded {bytes}",
                o.path.display(),
                meta.len()
            )));
        }
    }
    Ok(())
}

/// The tasks not done (see [`task_done`]).
pub fn missing_tasks(run: &Path, rows: &[TaskRow]) -> Vec<usize> {
    rows.iter()
        .filter(|r| task_done(run, r).is_err())
        .map(|r| r.task_id)
        .collect()
}

/// Failed attempts' energy, read from `reports/failed`.
pub fn failed_attempts(run: &Path) -> Vec<TaskEnergy> {
    let dir = run.join("reports").join("failed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|p| {
            let v = read_json(p).ok()?;
            let id = v["results"]["task_id"].as_u64()? as usize;
            TaskEnergy::of_report(id, &v).ok()
        })
        .collect()
}

/// Task ids as a Slurm array list (`0-3,7`).
pub fn ids_text(ids: &[usize]) -> String {
    slurm::array_spec(ids, None)
}

/// A run folder, its plan and its tasks, with those not done.
#[derive(Debug)]
pub struct RunState {
    pub run: PathBuf,
    pub plan: Plan,
    pub rows: Vec<TaskRow>,
    /// The tasks not done.
    pub missing: Vec<usize>,
}

impl RunState {
    /// Reads a run folder (made absolute).
    pub fn read(run: &Path) -> Result<RunState> {
        let run = std::fs::canonicalize(run).map_err(|e| {
            ScaleError::Settings(format!("{}: no such run folder: {e}", run.display()))
        })?;
        let plan = Plan::read(&run)?;
        let rows = manifest::read(&run.join(&plan.manifest))?;
        let missing = missing_tasks(&run, &rows);
        Ok(RunState {
            run,
            plan,
            rows,
            missing,
        })
    }

    /// Why the first `n` tasks not done are not (those without a report left out).
    pub fn reasons(&self, n: usize) -> Vec<(usize, NotDone)> {
        self.rows
            .iter()
            .filter(|r| self.missing.contains(&r.task_id))
            .filter_map(|r| {
                task_done(&self.run, r)
                    .err()
                    .filter(|w| *w != NotDone::NoReport)
                    .map(|w| (r.task_id, w))
            })
            .take(n)
            .collect()
    }
}

/// What `submit` would do: the tasks to run, the arrays and the merge job.
#[derive(Debug, Serialize)]
pub struct DryRun {
    pub dry_run: bool,
    pub tasks: usize,
    pub missing: Vec<usize>,
    /// Tasks to run that have failed attempts on record.
    pub failed: Vec<usize>,
    pub arrays: Vec<slurm::ArrayPart>,
    pub max_array_size: usize,
    pub max_array_size_note: Option<String>,
    #[serde(skip)]
    text: String,
}

impl DryRun {
    /// The plan of the submission, as text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// What `submit` would do for a run, without doing it.
pub fn dry_run(s: &RunState) -> DryRun {
    let failed: Vec<usize> = failed_attempts(&s.run)
        .iter()
        .map(|t| t.task_id)
        .filter(|id| s.missing.contains(id))
        .collect();
    let mut text = format!(
        "{}: {} task(s), {} done, {} to run{}\n",
        s.run.display(),
        s.rows.len(),
        s.rows.len() - s.missing.len(),
        s.missing.len(),
        if s.missing.is_empty() {
            String::new()
        } else {
            format!(" ({})", ids_text(&s.missing))
        }
    );
    for (id, why) in s.reasons(10) {
        let _ = writeln!(text, "  task {id}: run again: {why}");
    }
    if !failed.is_empty() {
        let _ = writeln!(text, "failed attempts recorded for {}", ids_text(&failed));
    }
    let (m, note) = if s.missing.is_empty() {
        (slurm::DEFAULT_MAX_ARRAY_SIZE, None)
    } else {
        slurm::max_array_size()
    };
    let parts = slurm::array_parts(&s.missing, m, s.plan.slurm.max_parallel);
    for (k, part) in parts.iter().enumerate() {
        let prev = (k > 0).then(|| format!("<array job {k}>"));
        let _ = writeln!(
            text,
            "would run: sbatch {}",
            slurm::array_args(&s.run, &s.plan, part, prev.as_deref()).join(" ")
        );
    }
    if let Some(n) = &note {
        let _ = writeln!(text, "{n}");
    }
    let holders: Vec<String> = (1..=parts.len())
        .map(|k| format!("<array job {k}>"))
        .collect();
    let _ = writeln!(
        text,
        "would run: sbatch {}",
        slurm::merge_sbatch_args(
            &s.run,
            &holders.iter().map(String::as_str).collect::<Vec<_>>()
        )
        .join(" ")
    );
    DryRun {
        dry_run: true,
        tasks: s.rows.len(),
        missing: s.missing.clone(),
        failed,
        arrays: parts,
        max_array_size: m,
        max_array_size_note: note,
        text,
    }
}

/// A submission to Slurm: the arrays of the tasks not done and the merge job after them,
/// recorded in `submissions.json` beside the plan.
#[derive(Debug, Serialize)]
pub struct Submitted {
    pub local: bool,
    pub run: PathBuf,
    pub tasks: Vec<usize>,
    pub submission: slurm::Submission,
    #[serde(skip)]
    done_before: usize,
}

/// Submits the tasks not done, and the merge; refused while a job of an earlier
/// submission of the run is still queued or running.
pub fn submit(s: &RunState) -> Result<Submitted> {
    let log = s.run.join("submissions.json");
    let mut all: Vec<Value> = if log.is_file() {
        read_json(&log)?.as_array().cloned().unwrap_or_default()
    } else {
        vec![]
    };
    let earlier: Vec<String> = all
        .iter()
        .flat_map(|e| {
            let arrays = e["submission"]["arrays"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            arrays
                .iter()
                .filter_map(|a| a["job"].as_str().map(String::from))
                .chain(e["submission"]["merge_job"].as_str().map(String::from))
                .collect::<Vec<_>>()
        })
        .collect();
    let queued = slurm::still_queued(&earlier)?;
    if !queued.is_empty() {
        return Err(ScaleError::Settings(format!(
            "job(s) {} of an earlier submission of {} are still queued or running: wait for them (squeue) or cancel them (scancel) before submitting again",
            queued.join(", "),
            s.run.display()
        )));
    }
    let sub = slurm::submit(&s.run, &s.plan, &s.missing)?;
    all.push(serde_json::json!({
        "submitted_utc": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "tasks": s.missing,
        "submission": sub,
    }));
    let text = serde_json::to_string_pretty(&all).map_err(|e| ScaleError::Invalid {
        path: log.clone(),
        message: e.to_string(),
    })?;
    crate::write_atomic(&log, format!("{text}\n").as_bytes())?;
    Ok(Submitted {
        local: false,
        run: s.run.clone(),
        tasks: s.missing.clone(),
        submission: sub,
        done_before: s.rows.len() - s.missing.len(),
    })
}

impl Submitted {
    /// The jobs submitted, as text.
    pub fn text(&self) -> String {
        let sub = &self.submission;
        let mut text = if sub.arrays.is_empty() {
            format!(
                "every task has its report; submitted merge job {}\n",
                sub.merge_job
            )
        } else {
            let arrays: Vec<String> = sub
                .arrays
                .iter()
                .map(|a| format!("{} (tasks {})", a.job, a.part.tasks))
                .collect();
            format!(
                "submitted array job{} {} ({} done before) and merge job {} after {} (cancelled if any task fails)\n",
                if arrays.len() > 1 { "s" } else { "" },
                arrays.join(", "),
                self.done_before,
                sub.merge_job,
                if arrays.len() > 1 { "them" } else { "it" }
            )
        };
        if let Some(n) = &sub.max_array_size_note {
            let _ = writeln!(text, "{n}");
        }
        text
    }
}

/// A task about to run: its run folder, plan and row, and why it runs again (a report
/// that is cut short, an output gone or not its recorded size).
#[derive(Debug)]
pub struct TaskStart {
    pub run: PathBuf,
    pub plan: Plan,
    pub row: TaskRow,
    /// Where its report goes.
    pub report: PathBuf,
    /// Why a task with a report runs again.
    pub redo: Option<NotDone>,
    /// Done before (a whole report and its outputs): skipped unless forced.
    pub done: bool,
}

impl TaskStart {
    /// Opens task `task_id` of a manifest: refused when the run was planned by another
    /// version of terrawatt (`version`, the running one) or has no such task.
    pub fn open(manifest: &Path, task_id: usize, version: &str) -> Result<TaskStart> {
        let m = std::fs::canonicalize(manifest).map_err(|e| {
            ScaleError::Settings(format!("{}: no such manifest: {e}", manifest.display()))
        })?;
        let run = m.parent().unwrap_or(Path::new("/")).to_path_buf();
        let plan = Plan::read(&run)?;
        if plan.terrawatt != version {
            return Err(ScaleError::Settings(format!(
                "{} was planned with terrawatt {} and this is {version}: a run's tasks must all come from one version (plan it again, or run the plan's own executable {})",
                run.display(),
                plan.terrawatt,
                plan.executable.display()
            )));
        }
        let rows = manifest::read(manifest)?;
        let row = rows.get(task_id).cloned().ok_or_else(|| {
            ScaleError::Settings(format!(
                "task {task_id}: {} has tasks 0 to {}",
                manifest.display(),
                rows.len() - 1
            ))
        })?;
        let report = manifest::report_path(&run, task_id);
        let redo = task_done(&run, &row).err().filter(|_| report.is_file());
        let done = redo.is_none() && report.is_file();
        Ok(TaskStart {
            run,
            plan,
            row,
            report,
            redo,
            done,
        })
    }

    /// The results of a skipped task, and its line.
    pub fn skipped(&self) -> (Value, String) {
        (
            serde_json::json!({ "skipped": true, "task_id": self.row.task_id, "report": self.report }),
            format!(
                "task {} ({}): done before ({}); skipped\n",
                self.row.task_id,
                self.row.label,
                self.report.display()
            ),
        )
    }

    /// The outputs the task's commands did not write (an error names them).
    pub fn check_outputs(&self) -> Result<()> {
        let missing: Vec<String> = self
            .row
            .outputs
            .iter()
            .filter(|o| !o.path.is_file())
            .map(|o| o.path.display().to_string())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ScaleError::Settings(format!(
            "task {}: its commands ended without writing {}",
            self.row.task_id,
            missing.join(", ")
        )))
    }

    /// The task's results: where it ran, its outputs with their sizes (which the merge
    /// checks), and each command's results (`commands`).
    pub fn results(
        &self,
        placement: &slurm::Placement,
        threads: usize,
        commands: Vec<Value>,
    ) -> Value {
        let row = &self.row;
        serde_json::json!({
            "task_id": row.task_id,
            "label": row.label,
            "kind": self.plan.kind,
            "placement": placement,
            "threads": threads,
            "outputs": row.outputs,
            "output_bytes": row
                .outputs
                .iter()
                .map(|o| serde_json::json!({
                    "path": o.path.display().to_string(),
                    "bytes": std::fs::metadata(&o.path).map(|m| m.len()).unwrap_or(0),
                }))
                .collect::<Vec<_>>(),
            "commands": commands,
        })
    }
}
