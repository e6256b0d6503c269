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
    // Slurm's array indices stop below MaxArraySize (1001 by default): a larger run is
    // submitted as several arrays, each given its first task id as the script's argument
    tasks.push_str(
        "# task id = array index + the first argument (0 when none): `terrawatt submit` splits\n\
         # a run larger than the cluster's MaxArraySize, e.g. sbatch --array=0-999 tasks.sbatch 1000\n",
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
                "\"$((SLURM_ARRAY_TASK_ID + ${1:-0}))\"".into(),
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

/// Slurm's default `MaxArraySize`: array indices run from 0 to 1000.
pub const DEFAULT_MAX_ARRAY_SIZE: usize = 1001;

/// The cluster's `MaxArraySize` from `scontrol show config`; Slurm's default, with the
/// reason, when it cannot be read.
pub fn max_array_size() -> (usize, Option<String>) {
    let fallback = |why: String| {
        (
            DEFAULT_MAX_ARRAY_SIZE,
            Some(format!(
                "MaxArraySize not read ({why}): Slurm's default {DEFAULT_MAX_ARRAY_SIZE} assumed"
            )),
        )
    };
    let out = match Command::new("scontrol").args(["show", "config"]).output() {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            // its last line says why (the lines before trace the attempt)
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return fallback(last.trim().to_string());
        }
        Err(e) => return fallback(format!("cannot run scontrol: {e}")),
    };
    match parse_max_array_size(&String::from_utf8_lossy(&out.stdout)) {
        Some(n) => (n, None),
        None => fallback("no MaxArraySize line in scontrol show config".into()),
    }
}

fn parse_max_array_size(config: &str) -> Option<usize> {
    config.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "MaxArraySize")
            .then(|| v.trim().parse::<usize>().ok())
            .flatten()
            .filter(|n| *n > 0)
    })
}

/// One array of a submission: the tasks whose ids lie in
/// `offset … offset + max_array_size − 1`, as indices from `offset`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrayPart {
    pub offset: usize,
    /// The `--array` specification (indices from `offset`).
    pub spec: String,
    /// The task ids, compact (`0-3,7`).
    pub tasks: String,
}

/// Splits `ids` (ascending) into arrays whose indices stay below `max_array_size`.
pub fn array_parts(
    ids: &[usize],
    max_array_size: usize,
    max_parallel: Option<usize>,
) -> Vec<ArrayPart> {
    let m = max_array_size.max(1);
    let mut parts = vec![];
    let mut i = 0;
    while i < ids.len() {
        let offset = ids[i] / m * m;
        let j = ids[i..]
            .iter()
            .position(|id| *id >= offset + m)
            .map_or(ids.len(), |k| i + k);
        let local: Vec<usize> = ids[i..j].iter().map(|id| id - offset).collect();
        parts.push(ArrayPart {
            offset,
            spec: array_spec(&local, max_parallel),
            tasks: array_spec(&ids[i..j], None),
        });
        i = j;
    }
    parts
}

/// The sbatch arguments of each array of a submission; `previous` is the array job before
/// (the arrays run one after another when the plan limits how many tasks run at once, so
/// that the limit holds across them).
pub fn array_args(
    run: &Path,
    plan: &Plan,
    part: &ArrayPart,
    previous: Option<&str>,
) -> Vec<String> {
    let mut a = vec![format!("--array={}", part.spec)];
    if let (Some(p), Some(_)) = (previous, plan.slurm.max_parallel) {
        a.push(format!("--dependency=afterany:{p}"));
    }
    a.push(run.join(TASKS_SCRIPT).display().to_string());
    a.push(part.offset.to_string());
    a
}

/// An array job of a submission.
#[derive(Debug, Clone, Serialize)]
pub struct ArrayJob {
    pub job: String,
    #[serde(flatten)]
    pub part: ArrayPart,
}

/// The jobs one `submit` made.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    /// The array jobs (none when every task had already finished; several when the run is
    /// larger than the cluster's MaxArraySize).
    pub arrays: Vec<ArrayJob>,
    pub merge_job: String,
    /// Why Slurm's default MaxArraySize was assumed, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_array_size_note: Option<String>,
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

/// The merge's sbatch arguments: after every array job, cancelled when any task fails.
pub fn merge_sbatch_args(run: &Path, array_jobs: &[&str]) -> Vec<String> {
    let mut a = vec![];
    if !array_jobs.is_empty() {
        a.push(format!("--dependency=afterok:{}", array_jobs.join(":")));
        a.push("--kill-on-invalid-dep=yes".into());
    }
    a.push(run.join(MERGE_SCRIPT).display().to_string());
    a
}

/// Submits the arrays of `task_ids` (when any) and the merge job after them. When an
/// sbatch fails after others succeeded, the jobs already submitted are cancelled.
pub fn submit(run: &Path, plan: &Plan, task_ids: &[usize]) -> Result<Submission> {
    let (m, note) = if task_ids.is_empty() {
        (DEFAULT_MAX_ARRAY_SIZE, None)
    } else {
        max_array_size()
    };
    let mut arrays: Vec<ArrayJob> = vec![];
    let cancel = |arrays: &[ArrayJob]| {
        let ids: Vec<&str> = arrays.iter().map(|a| a.job.as_str()).collect();
        if !ids.is_empty() {
            let _ = Command::new("scancel").args(&ids).status();
        }
    };
    for part in array_parts(task_ids, m, plan.slurm.max_parallel) {
        let prev = arrays.last().map(|a| a.job.clone());
        match sbatch(&array_args(run, plan, &part, prev.as_deref())) {
            Ok(job) => arrays.push(ArrayJob { job, part }),
            Err(e) => {
                cancel(&arrays);
                return Err(e);
            }
        }
    }
    let jobs: Vec<&str> = arrays.iter().map(|a| a.job.as_str()).collect();
    let merge_job = match sbatch(&merge_sbatch_args(run, &jobs)) {
        Ok(j) => j,
        Err(e) => {
            cancel(&arrays);
            return Err(e);
        }
    };
    Ok(Submission {
        arrays,
        merge_job,
        max_array_size_note: note,
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

/// The joules of `tasks` in sacct's `-P --format=JobID,ConsumedEnergyRaw` output, and how
/// many tasks had a figure: each task's batch step, else its allocation (zero counts as
/// none: Slurm writes 0 where no energy was gathered).
fn sacct_energy(text: &str, tasks: &[String]) -> (f64, usize) {
    let mut joules = 0.0;
    let mut with = 0;
    for t in tasks {
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
    (joules, with)
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
    let (joules, with) = sacct_energy(&String::from_utf8_lossy(&out.stdout), tasks);
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
    fn arrays_split_at_max_array_size() {
        let ids: Vec<usize> = (0..16).collect();
        let parts = array_parts(&ids, 10, None);
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].offset, parts[0].spec.as_str()), (0, "0-9"));
        assert_eq!((parts[1].offset, parts[1].spec.as_str()), (10, "0-5"));
        assert_eq!(parts[1].tasks, "10-15");
        // gaps, a limit on tasks at once, and an id alone in its range
        let parts = array_parts(&[3, 9, 10, 11, 25], 10, Some(2));
        let got: Vec<(usize, &str, &str)> = parts
            .iter()
            .map(|p| (p.offset, p.spec.as_str(), p.tasks.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (0, "3,9%2", "3,9"),
                (10, "0-1%2", "10-11"),
                (20, "5%2", "25")
            ]
        );
        assert!(array_parts(&[], 10, None).is_empty());
        assert_eq!(array_parts(&[1000], 1001, None)[0].spec, "1000");
        assert_eq!(array_parts(&[1001], 1001, None)[0].spec, "0");
    }

    #[test]
    fn energy_from_sacct_lines() {
        // as `sacct -n -P --format=JobID,ConsumedEnergyRaw -j 41_0,41_1,41_2` prints it on a
        // site with an energy plugin: allocation, batch and extern steps per array task
        let text = "41_0|2310\n41_0.batch|2204\n41_0.extern|2310\n41_1|1800\n41_1.batch|0\n41_1.extern|1800\n41_2|0\n41_2.batch|\n";
        let tasks = ["41_0", "41_1", "41_2"].map(String::from);
        // task 0 by its batch step, task 1 by its allocation (batch step 0), task 2 none
        assert_eq!(sacct_energy(text, &tasks), (2204.0 + 1800.0, 2));
        assert_eq!(sacct_energy("", &tasks), (0.0, 0));
    }

    #[test]
    fn max_array_size_from_scontrol() {
        let conf = "MailType                = (null)\nMaxArraySize            = 4001\nMaxJobCount = 10000\n";
        assert_eq!(parse_max_array_size(conf), Some(4001));
        assert_eq!(parse_max_array_size("MaxJobCount = 1\n"), None);
    }

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
