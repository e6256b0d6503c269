//! A run's folder: `plan.json` (what kind of run, how its outputs merge, the Slurm
//! settings), `manifest.parquet` or `manifest.csv` (one row per task), `tasks.sbatch` and
//! `merge.sbatch`, and as tasks finish `reports/task-NNNNN.json`.
//!
//! Manifest columns: `task_id`, `label`, `col_off`, `row_off`, `width`, `height` (the
//! pixel window of a tile, empty otherwise), `xmin`, `ymin`, `xmax`, `ymax` (its bounding
//! box in the raster's CRS), `inputs` (a JSON array of paths), `outputs` (a JSON array of
//! `{role, part, path}`) and `commands` (a JSON array of argument vectors, each a terrawatt
//! command the task runs in order).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use terrawatt_table::{OutColumn, Table};

use crate::{Result, ScaleError, invalid, io_err, write_atomic};

/// One output file of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// What it is (e.g. `change`, `classes`, `areas`): outputs of one role merge together.
    pub role: String,
    /// Which part of the run it holds (a tile, a site, a group of meters).
    pub part: String,
    pub path: PathBuf,
}

/// One task of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task_id: usize,
    pub label: String,
    /// col_off, row_off, width, height.
    pub window: Option<[usize; 4]>,
    /// xmin, ymin, xmax, ymax.
    pub bbox: Option<[f64; 4]>,
    pub inputs: Vec<PathBuf>,
    pub outputs: Vec<Output>,
    pub commands: Vec<Vec<String>>,
}

/// A raster role merged into one mosaic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RasterMerge {
    pub role: String,
    /// File names in the run folder.
    pub vrt: String,
    pub cog: String,
}

/// Sums of a concatenated table by key columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SumSpec {
    pub out: String,
    pub key: Vec<String>,
    /// Columns summed.
    pub sum: Vec<String>,
    /// Columns combined in quadrature (√Σx², independent uncertainties); empty when any
    /// row of the group has none.
    #[serde(default)]
    pub quadrature: Vec<String>,
}

/// A table role concatenated into one CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMerge {
    pub role: String,
    pub out: String,
    pub sum: Option<SumSpec>,
}

/// A change run whose tasks wrote change values only: the merge thresholds and classifies
/// the whole mosaic (Otsu's threshold, the minimum mapping unit), as one run would.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeClasses {
    /// The role of the change-value tiles.
    pub role: String,
    /// File names in the run folder: the VRT of the tiles' values, the change raster
    /// (values and classes), the byte class map, the area per class.
    pub vrt: String,
    pub out: String,
    pub classes_out: String,
    pub table: String,
}

/// How a run's outputs merge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MergeSpec {
    pub rasters: Vec<RasterMerge>,
    pub tables: Vec<TableMerge>,
    #[serde(default)]
    pub change_classes: Option<ChangeClasses>,
}

/// The resources each task asks Slurm for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlurmSettings {
    pub job_name: String,
    pub partition: Option<String>,
    pub account: Option<String>,
    pub cpus_per_task: usize,
    /// Memory per node, as sbatch takes it (e.g. 8G).
    pub mem: Option<String>,
    /// Time limit, as sbatch takes it (e.g. 01:00:00).
    pub time: Option<String>,
    /// At most this many array tasks at once (sbatch's `%N`).
    pub max_parallel: Option<usize>,
}

/// The plan of a run (`plan.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub terrawatt: String,
    /// e.g. "raster change".
    pub kind: String,
    pub created_utc: String,
    pub tasks: usize,
    /// The manifest's file name in the run folder.
    pub manifest: String,
    /// The terrawatt executable the scripts run.
    pub executable: PathBuf,
    /// The folder relative paths in the commands are taken from (where the plan was made).
    pub workdir: PathBuf,
    /// Global options (carbon, meter) every task and the merge run with.
    pub global_args: Vec<String>,
    pub slurm: SlurmSettings,
    pub merge: MergeSpec,
    /// The merge's memory budget (its `--memory`), where the plan sets one.
    #[serde(default)]
    pub merge_memory: Option<String>,
    /// What the plan decided, in words (tiles, sites per task, …).
    pub notes: Vec<String>,
}

pub const PLAN_FILE: &str = "plan.json";

impl Plan {
    pub fn read(run: &Path) -> Result<Plan> {
        let p = run.join(PLAN_FILE);
        let text = std::fs::read_to_string(&p).map_err(io_err(&p))?;
        serde_json::from_str(&text).map_err(|e| invalid(&p, format!("not a terrawatt plan: {e}")))
    }

    pub fn write(&self, run: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a plan serialises");
        write_atomic(&run.join(PLAN_FILE), format!("{text}\n").as_bytes())
    }
}

/// Where a task's report goes.
pub fn report_path(run: &Path, task_id: usize) -> PathBuf {
    run.join("reports").join(format!("task-{task_id:05}.json"))
}

/// Where the merge's own report goes (its energy: the run's total is the tasks' sum in
/// energy.json plus this).
pub fn merge_report_path(run: &Path) -> PathBuf {
    run.join("reports").join("merge.json")
}

/// Where a failed attempt's report goes (one file per attempt).
pub fn failed_report_path(run: &Path, task_id: usize, attempt: &str) -> PathBuf {
    run.join("reports")
        .join("failed")
        .join(format!("task-{task_id:05}-{attempt}.json"))
}

const COLUMNS: [&str; 13] = [
    "task_id", "label", "col_off", "row_off", "width", "height", "xmin", "ymin", "xmax", "ymax",
    "inputs", "outputs", "commands",
];

/// Writes the manifest as Parquet (`.parquet`) or CSV (any other extension).
pub fn write(path: &Path, rows: &[TaskRow]) -> Result<()> {
    let json = |v: &dyn erased::Ser| v.to_json();
    let win = |i: usize| -> Vec<Option<i64>> {
        rows.iter().map(|r| r.window.map(|w| w[i] as i64)).collect()
    };
    let bbox =
        |i: usize| -> Vec<Option<f64>> { rows.iter().map(|r| r.bbox.map(|b| b[i])).collect() };
    let text = |f: &dyn Fn(&TaskRow) -> String| -> Vec<Option<String>> {
        rows.iter().map(|r| Some(f(r))).collect()
    };
    let columns = vec![
        (
            "task_id".to_string(),
            OutColumn::Int(rows.iter().map(|r| Some(r.task_id as i64)).collect()),
        ),
        ("label".into(), OutColumn::Text(text(&|r| r.label.clone()))),
        ("col_off".into(), OutColumn::Int(win(0))),
        ("row_off".into(), OutColumn::Int(win(1))),
        ("width".into(), OutColumn::Int(win(2))),
        ("height".into(), OutColumn::Int(win(3))),
        ("xmin".into(), OutColumn::Real(bbox(0))),
        ("ymin".into(), OutColumn::Real(bbox(1))),
        ("xmax".into(), OutColumn::Real(bbox(2))),
        ("ymax".into(), OutColumn::Real(bbox(3))),
        ("inputs".into(), OutColumn::Text(text(&|r| json(&r.inputs)))),
        (
            "outputs".into(),
            OutColumn::Text(text(&|r| json(&r.outputs))),
        ),
        (
            "commands".into(),
            OutColumn::Text(text(&|r| json(&r.commands))),
        ),
    ];
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return terrawatt_table::write_parquet_columns(path, columns).map_err(ScaleError::from);
    }
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
    // Writing to memory cannot fail.
    let _ = writer.write_record(COLUMNS);
    for (i, r) in rows.iter().enumerate() {
        let mut fields: Vec<String> = vec![r.task_id.to_string(), r.label.clone()];
        for (_, c) in &columns[2..] {
            fields.push(match c {
                OutColumn::Int(v) => v[i].map(|x| x.to_string()).unwrap_or_default(),
                OutColumn::Real(v) => v[i].map(|x| format!("{x:?}")).unwrap_or_default(),
                OutColumn::Text(v) => v[i].clone().unwrap_or_default(),
            });
        }
        let _ = writer.write_record(&fields);
    }
    let csv = writer.into_inner().unwrap_or_default();
    write_atomic(path, &csv)
}

mod erased {
    pub trait Ser {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).expect("manifest cells serialise")
        }
    }
}

/// Reads a manifest (Parquet or CSV), checking every row: ids 0…n−1 in order, JSON cells
/// that parse; an error names the file, the row and the column.
pub fn read(path: &Path) -> Result<Vec<TaskRow>> {
    let t = Table::read(path)?;
    let names: Vec<String> = COLUMNS.iter().map(|s| s.to_string()).collect();
    t.require(&names)?;
    let n = t.n_rows();
    let (ids, _) = t.numeric("task_id")?;
    let labels = t.strings("label")?;
    let num = |c: &str| t.numeric(c).map(|(v, _)| v);
    let wins: Vec<Vec<f64>> = ["col_off", "row_off", "width", "height"]
        .iter()
        .map(|c| num(c))
        .collect::<std::result::Result<_, _>>()?;
    let boxes: Vec<Vec<f64>> = ["xmin", "ymin", "xmax", "ymax"]
        .iter()
        .map(|c| num(c))
        .collect::<std::result::Result<_, _>>()?;
    let inputs = t.strings("inputs")?;
    let outputs = t.strings("outputs")?;
    let commands = t.strings("commands")?;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let bad = |col: &str, m: String| invalid(path, format!("row {} ({col}): {m}", i + 1));
        if ids[i] != i as f64 {
            return Err(bad(
                "task_id",
                format!("task ids must run 0, 1, 2, … in order; found {}", ids[i]),
            ));
        }
        let window = if wins.iter().all(|w| w[i].is_nan()) {
            None
        } else if wins.iter().any(|w| w[i].is_nan() || w[i] < 0.0) {
            return Err(bad(
                "col_off/row_off/width/height",
                "a partial window".into(),
            ));
        } else {
            Some([0, 1, 2, 3].map(|k| wins[k][i] as usize))
        };
        let bbox = if boxes.iter().all(|b| b[i].is_nan()) {
            None
        } else {
            Some([0, 1, 2, 3].map(|k| boxes[k][i]))
        };
        rows.push(TaskRow {
            task_id: i,
            label: labels[i].clone(),
            window,
            bbox,
            inputs: serde_json::from_str(&inputs[i]).map_err(|e| bad("inputs", e.to_string()))?,
            outputs: serde_json::from_str(&outputs[i])
                .map_err(|e| bad("outputs", e.to_string()))?,
            commands: serde_json::from_str(&commands[i])
                .map_err(|e| bad("commands", e.to_string()))?,
        });
    }
    if rows.is_empty() {
        return Err(invalid(path, "the manifest has no tasks"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<TaskRow> {
        vec![
            TaskRow {
                task_id: 0,
                label: "r0c0".into(),
                window: Some([0, 0, 10, 5]),
                bbox: Some([1.5, -2.0, 3.25, 0.1]),
                inputs: vec!["/a, b.tif".into()],
                outputs: vec![Output {
                    role: "change".into(),
                    part: "r0c0".into(),
                    path: "/run/tiles/\"x\".tif".into(),
                }],
                commands: vec![vec!["raster".into(), "change".into(), "--x".into()]],
            },
            TaskRow {
                task_id: 1,
                label: "sites a, b".into(),
                window: None,
                bbox: None,
                inputs: vec![],
                outputs: vec![],
                commands: vec![vec!["forecast".into()], vec!["forecast".into()]],
            },
        ]
    }

    #[test]
    fn round_trip_csv_and_parquet() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["m.csv", "m.parquet"] {
            let p = dir.path().join(name);
            write(&p, &rows()).unwrap();
            assert_eq!(read(&p).unwrap(), rows(), "{name}");
        }
    }

    #[test]
    fn ids_out_of_order_are_refused_with_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        let mut r = rows();
        r[1].task_id = 5;
        write(&p, &r).unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("row 2 (task_id)"), "{e}");
    }
}
