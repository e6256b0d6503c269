//! The merge of a planned run: every task done (else nothing is merged and the message
//! says which to run again), then the tasks' results into `results.json`, the raster tiles
//! into mosaics (VRT and COG), a change run's classes over the whole image, the tables
//! concatenated (and summed where the plan says), and the tasks' energy summed in
//! `energy.json` and `energy-by-task.csv`. Everything is written under waiting names and
//! renamed into place when all of it is done; an error or an interrupt leaves none of it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use terrawatt_meter::Span;
use terrawatt_raster::change::ClassRule;
use terrawatt_raster::grid::AreaMethod;
use terrawatt_raster::write::OutputSpec;

use crate::energy::{self, TaskEnergy};
use crate::manifest::{self, ChangeClasses, TaskRow};
use crate::status::{NotDone, RunState, failed_attempts, ids_text, read_json, task_done};
use crate::{Result, ScaleError, slurm, tables};

/// The class rule, area method and output of a change run, from its first task's command.
pub type ClassRuleOf<'a> = dyn Fn(&[String]) -> Result<(ClassRule, AreaMethod, OutputSpec)> + 'a;

/// A merge: the run and the memory the mosaics may use.
pub struct MergeSettings<'a> {
    pub run: PathBuf,
    /// Bytes the mosaics and the classification may hold in memory.
    pub memory: u64,
    /// The class rule of a change run whose classes wait for the whole image (from the
    /// tasks' command line, which the caller parses).
    pub class_rule: &'a ClassRuleOf<'a>,
}

impl std::fmt::Debug for MergeSettings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MergeSettings")
            .field("run", &self.run)
            .field("memory", &self.memory)
            .finish_non_exhaustive()
    }
}

/// What a merge wrote, as the report's results, and its text.
#[derive(Debug)]
pub struct Merged {
    pub results: Value,
    text: String,
}

impl Merged {
    /// The text of the merge: mosaics, classes, tables and the tasks' energy.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What the user should know that is not an error: the warnings of the change classes
    /// made in the merge (a threshold past its bound, a changed share past its limit).
    pub fn warnings(&self) -> Vec<String> {
        self.results["classes"]["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str().map(String::from))
            .collect()
    }
}

fn settings(m: String) -> ScaleError {
    ScaleError::Settings(m)
}

fn json_err(path: &Path) -> impl Fn(serde_json::Error) -> ScaleError + '_ {
    move |e| ScaleError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The value at `pointer`, moved out (null where there is none).
fn take(v: &mut Value, pointer: &str) -> Value {
    v.pointer_mut(pointer)
        .map(Value::take)
        .unwrap_or(Value::Null)
}

/// What the merge keeps of a task's report.
struct ReportDigest {
    energy: TaskEnergy,
    /// `<array job>_<array task>` where the task ran under Slurm.
    slurm: Option<String>,
    /// The first command's change summary (range and count), when asked for.
    change: Value,
}

/// Files written under waiting names, and where each goes.
struct Staged {
    run: PathBuf,
    files: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    /// The waiting name of a file of the run folder (recorded to be renamed).
    fn name(&mut self, name: &str) -> PathBuf {
        // GDAL's GeoPackage driver wants the ending on the file it creates
        let gpkg = if name.ends_with(".gpkg") { ".gpkg" } else { "" };
        let p = self
            .run
            .join(format!(".{name}.{}.partial{gpkg}", std::process::id()));
        self.files.push((p.clone(), self.run.join(name)));
        p
    }

    /// Writes a file under its waiting name.
    fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let p = self.name(name);
        crate::write_atomic(&p, bytes)
    }

    fn discard(&self) {
        for (p, _) in &self.files {
            let _ = std::fs::remove_file(p);
        }
    }

    fn commit(&self) -> Result<()> {
        for (from, to) in &self.files {
            std::fs::rename(from, to)
                .map_err(|e| settings(format!("renaming to {}: {e}", to.display())))?;
        }
        Ok(())
    }
}

/// Writes one report's commands into the results array.
fn write_commands(
    w: &mut impl std::io::Write,
    first: &mut bool,
    r: &TaskRow,
    cmds: Vec<Value>,
) -> std::io::Result<()> {
    for (k, mut c) in cmds.into_iter().enumerate() {
        let entry = json!({
            "task_id": r.task_id,
            "part": r.outputs.get(k).map(|o| o.part.clone()).unwrap_or_else(|| r.label.clone()),
            "command": take(&mut c, "/command"),
            "results": take(&mut c, "/results"),
        });
        // pretty, each entry indented as an element of the array
        let text = serde_json::to_string_pretty(&entry).map_err(std::io::Error::other)?;
        w.write_all(if *first { b"\n" } else { b",\n" })?;
        *first = false;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                w.write_all(b"\n")?;
            }
            w.write_all(b"  ")?;
            w.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

/// Reads the tasks' reports one at a time: writes every command's results, by task and
/// part, into `results_path` (a JSON array) as it goes and returns what the merge keeps.
fn digest_reports(
    run: &Path,
    rows: &[TaskRow],
    keep_change: bool,
    results_path: &Path,
) -> Result<Vec<ReportDigest>> {
    let io = |e: std::io::Error| ScaleError::Io {
        path: results_path.to_path_buf(),
        source: e,
    };
    let file = std::fs::File::create(results_path).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    w.write_all(b"[").map_err(io)?;
    let mut first = true;
    let mut digests = Vec::with_capacity(rows.len());
    for r in rows {
        terrawatt_raster::blocks::check_interrupt()?;
        let path = manifest::report_path(run, r.task_id);
        let mut rep = read_json(&path)?;
        let energy = TaskEnergy::of_report(r.task_id, &rep)
            .map_err(|e| settings(format!("{}: {e}", path.display())))?;
        let p = &rep["results"]["placement"];
        let slurm = match (p["array_job_id"].as_str(), p["array_task_id"].as_str()) {
            (Some(j), Some(t)) => Some(format!("{j}_{t}")),
            _ => None,
        };
        let change = if keep_change {
            take(&mut rep, "/results/commands/0/results/change")
        } else {
            Value::Null
        };
        let cmds = match take(&mut rep, "/results/commands") {
            Value::Array(c) => c,
            _ => vec![],
        };
        write_commands(&mut w, &mut first, r, cmds).map_err(io)?;
        digests.push(ReportDigest {
            energy,
            slurm,
            change,
        });
    }
    w.write_all(if first { b"]\n" } else { b"\n]\n" })
        .map_err(io)?;
    w.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    Ok(digests)
}

/// The range and count of the change values over every tile, from the tasks' reports.
fn change_range(run: &Path, rows: &[TaskRow], digests: &[ReportDigest]) -> Result<(f32, f32, u64)> {
    let (mut lo, mut hi, mut valid) = (f32::INFINITY, f32::NEG_INFINITY, 0u64);
    for (row, d) in rows.iter().zip(digests) {
        let c = &d.change;
        let report = manifest::report_path(run, row.task_id);
        let n = c["valid"].as_u64().ok_or_else(|| {
            settings(format!(
                "{}: no count of valid change values",
                report.display()
            ))
        })?;
        if n > 0 {
            let (Some(a), Some(b)) = (c["min"].as_f64(), c["max"].as_f64()) else {
                return Err(settings(format!(
                    "{}: no range of the change values",
                    report.display()
                )));
            };
            lo = lo.min(a as f32);
            hi = hi.max(b as f32);
            valid += n;
        }
    }
    Ok((lo, hi, valid))
}

/// The classes of a change run's mosaic (see [`ChangeClasses`]): the rule from the tasks'
/// own command line, the change values' range and count from their reports.
fn change_classes(
    s: &MergeSettings<'_>,
    rows: &[TaskRow],
    digests: &[ReportDigest],
    cc: &ChangeClasses,
    staged: &mut Staged,
) -> Result<Value> {
    let run = &s.run;
    let (rule, area, out) = (s.class_rule)(&rows[0].commands[0])?;
    let (lo, hi, valid) = change_range(run, rows, digests)?;
    let tiles: Vec<PathBuf> = rows
        .iter()
        .flat_map(|r| r.outputs.iter().filter(|o| o.role == cc.role))
        .map(|o| o.path.clone())
        .collect();
    let vrt = staged.name(&cc.vrt);
    terrawatt_raster::mosaic::vrt(&tiles, &vrt)?;
    let out_spec = OutputSpec {
        path: staged.name(&cc.out),
        ..out.clone()
    };
    let classes_spec = OutputSpec {
        path: staged.name(&cc.classes_out),
        ..out
    };
    let m = terrawatt_raster::change::classify_mosaic(
        &vrt,
        rule,
        (lo, hi, valid),
        area,
        s.memory,
        &out_spec,
        &classes_spec,
    )?;
    let csv = terrawatt_raster::change::class_table_csv(&m.classes);
    staged.write(&cc.table, csv.as_bytes())?;
    Ok(json!({
        "out": run.join(&cc.out),
        "classes_out": run.join(&cc.classes_out),
        "table": run.join(&cc.table),
        "min": lo, "max": hi, "valid": valid,
        "threshold": m.threshold,
        "rule": format!("{:?}", rule.threshold),
        "classes": m.classes,
        "mmu": m.mmu,
        "changed_share": m.changed_share,
        "threshold_fit": m.threshold_fit,
        "warnings": m.warnings,
    }))
}

/// Refuses a merge while a task is not done, naming them and what to run.
fn check_done(state: &RunState) -> Result<()> {
    let (run, rows, missing) = (&state.run, &state.rows, &state.missing);
    if missing.is_empty() {
        return Ok(());
    }
    let failed: Vec<usize> = failed_attempts(run).iter().map(|t| t.task_id).collect();
    let why: Vec<String> = rows
        .iter()
        .filter(|r| missing.contains(&r.task_id))
        .filter_map(|r| {
            task_done(run, r)
                .err()
                .filter(|w| *w != NotDone::NoReport)
                .map(|w| w.to_string())
        })
        .take(3)
        .collect();
    Err(settings(format!(
        "{} of {} tasks are not done (no report, a report cut short, or an output gone or not the size its report recorded): {} (reports in {}{}){}; nothing merged. Run only those: terrawatt submit {}",
        missing.len(),
        rows.len(),
        ids_text(missing),
        run.join("reports").display(),
        if why.is_empty() {
            String::new()
        } else {
            format!("; {}", why.join("; "))
        },
        if failed.is_empty() {
            String::new()
        } else {
            format!("; failed attempts recorded for {}", ids_text(&failed))
        },
        run.display()
    )))
}

/// The mosaics of the plan's raster roles (phase `mosaic ROLE` each).
fn mosaics(
    s: &MergeSettings<'_>,
    state: &RunState,
    span: &mut Span,
    staged: &mut Staged,
) -> Result<Vec<Value>> {
    let mut out = vec![];
    for m in &state.plan.merge.rasters {
        let tiles: Vec<PathBuf> = state
            .rows
            .iter()
            .flat_map(|r| r.outputs.iter().filter(|o| o.role == m.role))
            .map(|o| o.path.clone())
            .collect();
        let (vrt, cog) = (staged.name(&m.vrt), staged.name(&m.cog));
        let mo = span.phase(format!("mosaic {}", m.role), |_| {
            terrawatt_raster::mosaic::mosaic(&tiles, &vrt, &cog, s.memory)
        })?;
        out.push(json!({ "role": m.role, "vrt": s.run.join(&m.vrt), "cog": s.run.join(&m.cog), "mosaic": mo }));
    }
    Ok(out)
}

/// The plan's tables concatenated (phase `table ROLE` each), summed where asked.
fn merge_tables(state: &RunState, span: &mut Span, staged: &mut Staged) -> Result<Vec<Value>> {
    let run = &state.run;
    let mut out = vec![];
    for t in &state.plan.merge.tables {
        let parts: Vec<(usize, String, PathBuf)> = state
            .rows
            .iter()
            .flat_map(|r| {
                r.outputs
                    .iter()
                    .filter(|o| o.role == t.role)
                    .map(|o| (r.task_id, o.part.clone(), o.path.clone()))
            })
            .collect();
        let tmp_out = staged.name(&t.out);
        // by the merged table's extension: CSV streamed (with sums where asked),
        // Parquet a row group per part, GeoPackage a feature at a time
        let ext = Path::new(&t.out)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let m = span.phase(format!("table {}", t.role), |_| -> Result<_> {
            Ok(match ext.as_str() {
                "parquet" => tables::Merged {
                    header: vec![],
                    rows: terrawatt_table::concat_parquet(&parts, &tmp_out)?,
                    sums: None,
                },
                "gpkg" => tables::Merged {
                    header: vec![],
                    rows: terrawatt_raster::zone_table::concat_gpkg(&parts, &tmp_out)?,
                    sums: None,
                },
                _ => tables::concat_into(&parts, &tmp_out, t.sum.as_ref())?,
            })
        })?;
        let mut entry = json!({ "role": t.role, "out": run.join(&t.out), "rows": m.rows });
        if let (Some(s), Some(summed)) = (&t.sum, m.sums) {
            staged.write(&s.out, summed.to_csv().as_bytes())?;
            let header = summed.header.clone();
            entry["sums"] = summed
                .rows
                .iter()
                .map(|r| {
                    header
                        .iter()
                        .zip(r)
                        .map(|(h, v)| (h.clone(), Value::from(v.clone())))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                })
                .collect::<Vec<Value>>()
                .into();
            entry["sums_out"] = json!(run.join(&s.out));
        }
        out.push(entry);
    }
    Ok(out)
}

/// The tasks' energy summed (failed attempts apart), Slurm's own figure (phase `sacct`),
/// written to `energy-by-task.csv` and `energy.json`.
fn merge_energy(
    state: &RunState,
    digests: &[ReportDigest],
    span: &mut Span,
    staged: &mut Staged,
) -> Result<(energy::RunEnergy, slurm::SlurmEnergy)> {
    let tasks: Vec<TaskEnergy> = digests.iter().map(|d| d.energy.clone()).collect();
    let summed = energy::sum(tasks, &failed_attempts(&state.run));
    // Slurm's own figure where the tasks ran under Slurm and the site gathers energy
    let slurm_tasks: Vec<String> = digests.iter().filter_map(|d| d.slurm.clone()).collect();
    let slurm_energy = span.phase("sacct", |_| slurm::consumed_energy(&slurm_tasks));
    let mut csv = String::from(
        "task_id,node,method,estimate,joules,it_joules,joules_low,joules_high,co2e_g,wall_s,cpu_s\n",
    );
    for t in &summed.tasks {
        let _ = writeln!(
            csv,
            "{},{},{},{},{:?},{:?},{:?},{:?},{:?},{:?},{:?}",
            t.task_id,
            terrawatt_table::csv_field(&t.node),
            t.method,
            t.estimate,
            t.joules,
            t.it_joules,
            t.joules_low,
            t.joules_high,
            t.co2e_g,
            t.wall_s,
            t.cpu_s
        );
    }
    staged.write("energy-by-task.csv", csv.as_bytes())?;
    let energy_json =
        json!({ "kind": state.plan.kind, "energy": summed, "slurm_accounting": slurm_energy });
    let path = state.run.join("energy.json");
    let text = serde_json::to_string_pretty(&energy_json).map_err(json_err(&path))?;
    staged.write("energy.json", format!("{text}\n").as_bytes())?;
    Ok((summed, slurm_energy))
}

fn merge_all(
    s: &MergeSettings<'_>,
    state: &RunState,
    span: &mut Span,
    staged: &mut Staged,
) -> Result<Value> {
    let run = &state.run;
    // the reports, one at a time (a command's results may hold a row per polygon):
    // every command's results go to results.json as they are read; kept are each
    // task's energy, Slurm ids and, for classes in the merge, its change values' range
    let classes = state.plan.merge.change_classes.as_ref();
    let digests: Vec<ReportDigest> = span.phase("reports", |_| {
        let path = staged.name("results.json");
        digest_reports(run, &state.rows, classes.is_some(), &path)
    })?;
    let rasters = mosaics(s, state, span, staged)?;
    // a change run whose classes wait for the whole image: thresholded and classified
    // here, over the tiles' change values, as one run would
    let mut classified = Value::Null;
    if let Some(cc) = classes {
        classified = span.phase("classes", |_| {
            change_classes(s, &state.rows, &digests, cc, staged)
        })?;
    }
    let table_out = merge_tables(state, span, staged)?;
    let (summed, slurm_energy) = merge_energy(state, &digests, span, staged)?;
    Ok(
        json!({ "run": run, "kind": state.plan.kind, "tasks": state.rows.len(), "rasters": rasters, "tables": table_out, "energy": summed, "slurm_accounting": slurm_energy, "classes": classified }),
    )
}

/// Merges a run whose tasks are all done. Ctrl-C / SIGTERM stop it between reports and
/// strips, leaving none of its files.
pub fn merge(s: &MergeSettings<'_>, span: &mut Span) -> Result<Merged> {
    let state = RunState::read(&s.run)?;
    check_done(&state)?;
    terrawatt_raster::blocks::arm();
    // everything is written under temporary names, renamed when all is done
    let mut staged = Staged {
        run: state.run.clone(),
        files: vec![],
    };
    let results = match merge_all(s, &state, span, &mut staged) {
        Ok(r) => r,
        Err(e) => {
            staged.discard();
            return Err(e);
        }
    };
    staged.commit()?;
    let text = merge_text(&state, &results);
    Ok(Merged { results, text })
}

fn merge_text(state: &RunState, results: &Value) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "merged {} {} tasks in {}",
        state.rows.len(),
        state.plan.kind,
        state.run.display()
    );
    for m in results["rasters"].as_array().into_iter().flatten() {
        let _ = writeln!(
            text,
            "  {}: {} × {} pixels from {} tiles → {}",
            m["role"].as_str().unwrap_or(""),
            m["mosaic"]["width"],
            m["mosaic"]["height"],
            m["mosaic"]["tiles"],
            m["cog"].as_str().unwrap_or("")
        );
    }
    if let Some(c) = results["classes"].as_object() {
        classes_text(&mut text, c);
    }
    for t in results["tables"].as_array().into_iter().flatten() {
        let _ = writeln!(
            text,
            "  {}: {} rows → {}",
            t["role"].as_str().unwrap_or(""),
            t["rows"],
            t["out"].as_str().unwrap_or("")
        );
    }
    energy_text(&mut text, &results["energy"], &results["slurm_accounting"]);
    let _ = writeln!(text, "  (this merge's own energy: the line below)");
    text
}

fn classes_text(text: &mut String, c: &serde_json::Map<String, Value>) {
    let _ = writeln!(
        text,
        "  classes of the whole image: threshold {} over {} valid values in [{}, {}] → {}",
        c["threshold"]
            .as_f64()
            .map_or("none (dNBR classes)".into(), |t| format!("{t:.6}")),
        c["valid"],
        c["min"],
        c["max"],
        c["out"].as_str().unwrap_or("")
    );
    for k in c["classes"].as_array().into_iter().flatten() {
        let _ = writeln!(
            text,
            "    {:>2} {:<26} {:>12} px {:>14.4} ha",
            k["class"],
            k["name"].as_str().unwrap_or(""),
            k["pixels"],
            k["hectares"].as_f64().unwrap_or(f64::NAN)
        );
    }
}

fn energy_text(text: &mut String, e: &Value, sa: &Value) {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let _ = writeln!(
        text,
        "  energy of the tasks: {:.1} J ({:.4} Wh, {:.1}–{:.1} J), {:.4} gCO2e{}",
        f(&e["total"]["joules"]),
        f(&e["total"]["wh"]),
        f(&e["total"]["joules_low"]),
        f(&e["total"]["joules_high"]),
        f(&e["total"]["co2e_g"]),
        if e["includes_estimates"].as_bool() == Some(true) {
            " (includes model estimates)"
        } else {
            ""
        }
    );
    for (node, s) in e["by_node"].as_object().into_iter().flatten() {
        let _ = writeln!(
            text,
            "    {node}: {} task(s), {:.1} J, {:.2} CPU-s",
            s["tasks"],
            f(&s["joules"]),
            f(&s["cpu_s"])
        );
    }
    for (method, s) in e["by_method"].as_object().into_iter().flatten() {
        let _ = writeln!(text, "    by {method}: {:.1} J", f(&s["joules"]));
    }
    if e["failed_attempts"]["tasks"].as_u64().unwrap_or(0) > 0 {
        let _ = writeln!(
            text,
            "  failed attempts: {} ({:.1} J, not in the total)",
            e["failed_attempts"]["tasks"],
            f(&e["failed_attempts"]["joules"])
        );
    }
    if sa["available"].as_bool() == Some(true) {
        let _ = writeln!(
            text,
            "  Slurm's ConsumedEnergy for {} of {} tasks: {:.1} J ({})",
            sa["tasks_with_energy"],
            sa["tasks"],
            f(&sa["joules"]),
            sa["note"].as_str().unwrap_or("")
        );
    } else if sa["tasks"].as_u64().unwrap_or(0) > 0 {
        let _ = writeln!(
            text,
            "  Slurm's own energy accounting: none ({})",
            sa["note"].as_str().unwrap_or("")
        );
    }
}
