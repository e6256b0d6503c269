//! Slurm: the batch scripts of a run, `sbatch` for the task array and the merge job that
//! waits for it (`afterok`, cancelled when any task fails: `--kill-on-invalid-dep=yes`),
//! and what a task learns from its environment.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::manifest::Plan;
use crate::{Result, ScaleError, write_atomic};

pub const TASKS_SCRIPT: &str = "tasks.sbatch";
pub const MERGE_SCRIPT: &str = "merge.sbatch";

/// A word for a POSIX shell: single-quoted unless plainly safe.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn header(plan: &Plan, name: &str, log: &str, array: Option<&str>) -> String {
    let s = &plan.slurm;
    let mut out = String::from("#!/bin/bash\n");
    out.push_str(&format!("#SBATCH --job-name={}\n", shell_word(name)));
    if let Some(a) = array {
        out.push_str(&format!("#SBATCH --array={a}\n"));
    }
    out.push_str(&format!(
        "#SBATCH --cpus-per-task={}\n",
        s.cpus_per_task.max(1)
    ));
    if let Some(m) = &s.mem {
        out.push_str(&format!("#SBATCH --mem={}\n", shell_word(m)));
    }
    if let Some(t) = &s.time {
        out.push_str(&format!("#SBATCH --time={}\n", shell_word(t)));
    }
    if let Some(p) = &s.partition {
        out.push_str(&format!("#SBATCH --partition={}\n", shell_word(p)));
    }
    if let Some(a) = &s.account {
        out.push_str(&format!("#SBATCH --account={}\n", shell_word(a)));
    }
    out.push_str(&format!("#SBATCH --output={log}\n"));
    out.push_str(&format!(
        "#SBATCH --chdir={}\n",
        shell_word(&plan.workdir.display().to_string())
    ));
    out.push_str("set -eu\n");
    out
}

fn command_line(plan: &Plan, rest: &[String]) -> String {
    let mut words = vec![shell_word(&plan.executable.display().to_string())];
    words.extend(plan.global_args.iter().map(|a| shell_word(a)));
    words.extend(rest.iter().map(|a| {
        if a.starts_with('$') || a.starts_with("\"$") {
            a.clone()
        } else {
            shell_word(a)
        }
    }));
    words.join(" ")
}

/// Writes `tasks.sbatch` (the array: one task per manifest row) and `merge.sbatch`.
pub fn write_scripts(run: &Path, plan: &Plan) -> Result<()> {
    let run_s = run.display().to_string();
    let logs = format!("{}/logs", run_s);
    let array = array_spec(
        &(0..plan.tasks).collect::<Vec<_>>(),
        plan.slurm.max_parallel,
    );
    let mut tasks = header(
        plan,
        &plan.slurm.job_name,
        &shell_word(&format!("{logs}/task-%a-%A.log")),
        Some(&array),
    );
    tasks.push_str(&format!(
        "exec {}\n",
        command_line(
            plan,
            &[
                "run-task".into(),
                "--manifest".into(),
                format!("{run_s}/{}", plan.manifest),
                "--task-id".into(),
                "\"$SLURM_ARRAY_TASK_ID\"".into(),
            ]
        )
    ));
    let mut merge = header(
        plan,
        &format!("{}-merge", plan.slurm.job_name),
        &shell_word(&format!("{logs}/merge-%j.log")),
        None,
    );
    merge.push_str(&format!(
        "exec {}\n",
        command_line(plan, &merge_args(run, plan))
    ));
    std::fs::create_dir_all(run.join("logs")).map_err(crate::io_err(run))?;
    write_atomic(&run.join(TASKS_SCRIPT), tasks.as_bytes())?;
    write_atomic(&run.join(MERGE_SCRIPT), merge.as_bytes())
}

/// The merge's command line after the global options: its report in the run folder, its
/// memory budget where the plan set one.
pub fn merge_args(run: &Path, plan: &Plan) -> Vec<String> {
    let mut a = vec![
        "--report".to_string(),
        crate::manifest::merge_report_path(run)
            .display()
            .to_string(),
        "merge".into(),
        run.display().to_string(),
    ];
    if let Some(m) = &plan.merge_memory {
        a.extend(["--memory".to_string(), m.clone()]);
    }
    a
}

/// A compact array specification: `0-3,7,9-12`, with `%N` to run at most N at once.
pub fn array_spec(ids: &[usize], max_parallel: Option<usize>) -> String {
    let mut parts: Vec<String> = vec![];
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", ids[i], ids[j])
        } else {
            ids[i].to_string()
        });
        i = j + 1;
    }
    let mut s = parts.join(",");
    if let Some(n) = max_parallel {
        s.push_str(&format!("%{n}"));
    }
    s
}

/// The jobs one `submit` made.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    /// The array job (none when every task had already finished).
    pub array_job: Option<String>,
    pub array: Option<String>,
    pub merge_job: String,
}

/// Runs sbatch with `args` and returns the job id it prints (`--parsable`).
fn sbatch(args: &[String]) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .map_err(|e| {
            ScaleError::Slurm(format!(
                "cannot run sbatch ({e}); is Slurm installed and on PATH?"
            ))
        })?;
    if !out.status.success() {
        return Err(ScaleError::Slurm(format!(
            "{} (sbatch {})",
            String::from_utf8_lossy(&out.stderr).trim(),
            args.join(" ")
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // "<id>" or "<id>;<cluster>"
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() {
        return Err(ScaleError::Slurm("printed no job id".into()));
    }
    Ok(id)
}

/// Submits the array of `task_ids` (when any) and the merge job after it.
pub fn submit(run: &Path, plan: &Plan, task_ids: &[usize]) -> Result<Submission> {
    let tasks = run.join(TASKS_SCRIPT).display().to_string();
    let merge = run.join(MERGE_SCRIPT).display().to_string();
    let (array_job, array) = if task_ids.is_empty() {
        (None, None)
    } else {
        let spec = array_spec(task_ids, plan.slurm.max_parallel);
        let id = sbatch(&[format!("--array={spec}"), tasks])?;
        (Some(id), Some(spec))
    };
    let mut args = vec![];
    if let Some(id) = &array_job {
        args.push(format!("--dependency=afterok:{id}"));
        args.push("--kill-on-invalid-dep=yes".into());
    }
    args.push(merge);
    let merge_job = sbatch(&args)?;
    Ok(Submission {
        array_job,
        array,
        merge_job,
    })
}

/// Of `jobs`, those Slurm still holds (pending or running; array tasks by their array job).
pub fn still_queued(jobs: &[String]) -> Result<Vec<String>> {
    if jobs.is_empty() {
        return Ok(vec![]);
    }
    let out = Command::new("squeue")
        .args(["-h", "-o", "%F %i"])
        .output()
        .map_err(|e| ScaleError::Slurm(format!("cannot run squeue ({e})")))?;
    if !out.status.success() {
        return Err(ScaleError::Slurm(format!(
            "squeue: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found: Vec<String> = vec![];
    for line in text.lines() {
        for field in line.split_whitespace() {
            let id = field.split('_').next().unwrap_or(field);
            if jobs.iter().any(|j| j == id) && !found.iter().any(|f| f == id) {
                found.push(id.to_string());
            }
        }
    }
    Ok(found)
}

/// Where and under which job a task runs (Slurm's variables; the host name elsewhere).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Placement {
    pub node: String,
    pub job_id: Option<String>,
    pub array_job_id: Option<String>,
    pub array_task_id: Option<String>,
    pub cpus_per_task: Option<usize>,
    pub cluster: Option<String>,
}

impl Placement {
    /// From the process's environment.
    pub fn from_env() -> Placement {
        Placement::from_vars(|k| std::env::var(k).ok())
    }

    /// From variables looked up by `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Placement {
        let node = get("SLURMD_NODENAME")
            .or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .ok()
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Placement {
            node,
            job_id: get("SLURM_JOB_ID"),
            array_job_id: get("SLURM_ARRAY_JOB_ID"),
            array_task_id: get("SLURM_ARRAY_TASK_ID"),
            cpus_per_task: get("SLURM_CPUS_PER_TASK").and_then(|v| v.trim().parse().ok()),
            cluster: get("SLURM_CLUSTER_NAME"),
        }
    }
}

/// Slurm's own energy figure for the tasks (`sacct`'s ConsumedEnergyRaw), where the site
/// enables an AcctGatherEnergyType plugin and accounting storage.
#[derive(Debug, Clone, Serialize)]
pub struct SlurmEnergy {
    pub available: bool,
    /// The sum over the tasks that have a figure, J.
    pub joules: Option<f64>,
    pub tasks_with_energy: usize,
    pub tasks: usize,
    /// Why there is no figure, or what it covers.
    pub note: String,
}

/// Asks sacct for the energy of array tasks given as `<array job>_<task>`.
pub fn consumed_energy(tasks: &[String]) -> SlurmEnergy {
    let none = |note: String| SlurmEnergy {
        available: false,
        joules: None,
        tasks_with_energy: 0,
        tasks: tasks.len(),
        note,
    };
    if tasks.is_empty() {
        return none("no task ran under Slurm".into());
    }
    let out = match Command::new("sacct")
        .args(["-n", "-P", "--format=JobID,ConsumedEnergyRaw", "-j"])
        .arg(tasks.join(","))
        .output()
    {
        Ok(o) => o,
        Err(e) => return none(format!("sacct cannot run: {e}")),
    };
    if !out.status.success() {
        return none(format!(
            "sacct: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut joules = 0.0;
    let mut with = 0;
    for t in tasks {
        // the batch step's figure, else the allocation's
        let value = |id: &str| {
            text.lines().find_map(|l| {
                let (j, e) = l.split_once('|')?;
                (j == id).then(|| e.trim().parse::<f64>().ok()).flatten()
            })
        };
        if let Some(e) = value(&format!("{t}.batch"))
            .filter(|e| *e > 0.0)
            .or_else(|| value(t).filter(|e| *e > 0.0))
        {
            joules += e;
            with += 1;
        }
    }
    if with == 0 {
        return none(
            "sacct has no ConsumedEnergy for these tasks (AcctGatherEnergyType is none or accounting is not gathered)"
                .into(),
        );
    }
    SlurmEnergy {
        available: true,
        joules: Some(joules),
        tasks_with_energy: with,
        tasks: tasks.len(),
        note: "the node's energy over each task's run, whole node: it includes other jobs and idle power unless the allocation is exclusive".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_specs() {
        assert_eq!(array_spec(&[0, 1, 2, 3, 7, 9, 10], None), "0-3,7,9-10");
        assert_eq!(array_spec(&[4], Some(2)), "4%2");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("/a/b.tif"), "/a/b.tif");
        assert_eq!(shell_word("it's here"), "'it'\\''s here'");
    }

    #[test]
    fn placement_from_slurm_variables() {
        let p = Placement::from_vars(|k| match k {
            "SLURMD_NODENAME" => Some("n2".into()),
            "SLURM_CPUS_PER_TASK" => Some("4".into()),
            "SLURM_ARRAY_TASK_ID" => Some("7".into()),
            _ => None,
        });
        assert_eq!(p.node, "n2");
        assert_eq!(p.cpus_per_task, Some(4));
        assert_eq!(p.array_task_id.as_deref(), Some("7"));
    }
}
