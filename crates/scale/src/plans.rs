//! Plans: the tasks of a run (tiles of a raster, runs of a layer's polygons, sites of a
//! table, groups of meter files), each a row of the manifest with its commands, inputs and
//! outputs, and the merge of their outputs; the run folder with the plan, the manifest and
//! the batch scripts. A task's commands are terrawatt command lines; the caller checks them
//! (`check`), since parsing them is the command line's business.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use terrawatt_raster::grid::Grid;

use crate::manifest::{
    self, ChangeClasses, MergeSpec, Output, Plan, RasterMerge, SlurmSettings, SumSpec, TableMerge,
    TaskRow,
};
use crate::{Result, ScaleError, slurm, tiles};

/// Checks a task's command line (the caller parses it); the error says why it is refused.
pub type Check<'a> = dyn Fn(&[String]) -> Result<()> + 'a;

fn settings(m: String) -> ScaleError {
    ScaleError::Settings(m)
}

/// `p` made absolute against the current folder.
pub fn absolute(p: &Path) -> Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| ScaleError::Io {
                path: p.to_path_buf(),
                source: e,
            })?
            .join(p)
    })
}

/// The run folder's absolute path, after checking it is absent or empty (nothing made yet).
pub fn check_run_dir(dir: &Path) -> Result<PathBuf> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| settings(format!("reading {}: {e}", dir.display())))?
            .next()
            .is_none();
        if !empty {
            return Err(settings(format!(
                "{}: the run folder exists and is not empty; give a new folder (a run is resumed with `terrawatt submit {}`)",
                dir.display(),
                dir.display()
            )));
        }
    }
    absolute(dir)
}

/// A task that runs one command and writes one table (role `role`, part `label`).
pub fn table_task(
    id: usize,
    label: String,
    inputs: Vec<PathBuf>,
    role: &str,
    out: PathBuf,
    argv: Vec<String>,
) -> TaskRow {
    TaskRow {
        task_id: id,
        label: label.clone(),
        window: None,
        bbox: None,
        inputs,
        outputs: vec![Output {
            role: role.into(),
            part: label,
            path: out,
        }],
        commands: vec![argv],
    }
}

/// A merge that concatenates one table role into `out` (and sums it where asked).
pub fn one_table(role: &str, out: &str, sum: Option<SumSpec>) -> MergeSpec {
    MergeSpec {
        tables: vec![TableMerge {
            role: role.into(),
            out: out.into(),
            sum,
        }],
        ..MergeSpec::default()
    }
}

/// A name safe in file names: letters, digits, `-`, `_`, `.`; others become `_`.
pub fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// tiles

/// Tiles of a raster command: each task runs `raster COMMAND ARGS --window … --format gtiff
/// --out tiles/COMMAND-LABEL.tif` and whatever `more(label)` adds (options and outputs).
#[allow(clippy::too_many_arguments)]
pub fn tile_tasks(
    command: &str,
    args: &[String],
    grid: &Grid,
    tile: (usize, usize),
    inputs: &[PathBuf],
    run: &Path,
    more: impl Fn(&str) -> (Vec<String>, Vec<Output>),
    check: &Check<'_>,
) -> Result<(Vec<TaskRow>, String)> {
    let (tw, th) = tile;
    let inputs: Vec<PathBuf> = inputs.iter().map(|p| absolute(p)).collect::<Result<_>>()?;
    let cut = tiles::tiles(grid.width, grid.height, tw, th);
    let mut rows = vec![];
    for (id, t) in cut.iter().enumerate() {
        let label = t.label();
        let path = run.join("tiles").join(format!("{command}-{label}.tif"));
        let mut argv = vec!["raster".to_string(), command.into()];
        argv.extend(args.iter().cloned());
        argv.extend([
            "--window".to_string(),
            format!("{},{},{},{}", t.col_off, t.row_off, t.width, t.height),
            "--format".into(),
            "gtiff".into(),
            "--out".into(),
            path.display().to_string(),
        ]);
        let (options, extra) = more(&label);
        argv.extend(options);
        if id == 0 {
            check(&argv)?;
        }
        let (x0, y0, x1, y1) = grid
            .window((t.col_off, t.row_off), (t.width, t.height))?
            .bounds();
        let mut outputs = vec![Output {
            role: command.into(),
            part: label.clone(),
            path,
        }];
        outputs.extend(extra);
        rows.push(TaskRow {
            task_id: id,
            label,
            window: Some([t.col_off, t.row_off, t.width, t.height]),
            bbox: Some([x0, y0, x1, y1]),
            inputs: inputs.clone(),
            outputs,
            commands: vec![argv],
        });
    }
    let note = format!(
        "{} × {} pixels ({}) in {} tiles of up to {tw} × {th} pixels ({} × {})",
        grid.width,
        grid.height,
        grid.crs_name(),
        cut.len(),
        cut.iter().map(|t| t.tile_col).max().unwrap_or(0) + 1,
        cut.iter().map(|t| t.tile_row).max().unwrap_or(0) + 1,
    );
    Ok((rows, note))
}

/// What a tile of a change run writes besides its change values: its classes and areas,
/// unless the classes wait for the whole image (`deferred`).
pub fn change_tile_outputs(run: &Path, label: &str, deferred: bool) -> (Vec<String>, Vec<Output>) {
    if deferred {
        return (vec!["--defer-classes".into()], vec![]);
    }
    let classes = run.join("tiles").join(format!("classes-{label}.tif"));
    let table = run.join("tables").join(format!("areas-{label}.csv"));
    (
        vec![
            "--classes-out".into(),
            classes.display().to_string(),
            "--table".into(),
            table.display().to_string(),
        ],
        vec![
            Output {
                role: "classes".into(),
                part: label.into(),
                path: classes,
            },
            Output {
                role: "areas".into(),
                part: label.into(),
                path: table,
            },
        ],
    )
}

/// The merge of a change run: the whole image's classes from the tiles' change values
/// (`deferred`, thresholded as `how`), else mosaics of the tiles' values and classes and
/// their areas summed; and a note for the deferred case.
pub fn change_merge(deferred: bool, how: &str) -> (MergeSpec, Option<String>) {
    if deferred {
        let note = format!(
            "the tasks write change values; the merge thresholds ({how}) and classifies (minimum mapping unit) the whole image, as one run would"
        );
        let merge = MergeSpec {
            change_classes: Some(ChangeClasses {
                role: "change".into(),
                vrt: "change-values.vrt".into(),
                out: "change.tif".into(),
                classes_out: "classes.tif".into(),
                table: "areas.csv".into(),
            }),
            ..MergeSpec::default()
        };
        return (merge, Some(note));
    }
    let merge = MergeSpec {
        rasters: vec![
            RasterMerge {
                role: "change".into(),
                vrt: "change.vrt".into(),
                cog: "change.tif".into(),
            },
            RasterMerge {
                role: "classes".into(),
                vrt: "classes.vrt".into(),
                cog: "classes.tif".into(),
            },
        ],
        tables: vec![TableMerge {
            role: "areas".into(),
            out: "areas-by-tile.csv".into(),
            sum: Some(SumSpec {
                out: "areas.csv".into(),
                key: vec!["class".into(), "name".into()],
                sum: vec!["pixels".into(), "hectares".into()],
                quadrature: vec![],
            }),
        }],
        change_classes: None,
    };
    (merge, None)
}

// ---------------------------------------------------------------------------------------
// sites

/// One site of a site table: its name, command line, inputs and output.
struct Site {
    name: String,
    argv: Vec<String>,
    inputs: Vec<PathBuf>,
    out: PathBuf,
}

/// The columns of a site table that name files (relative to the table's folder).
const PATH_COLUMNS: [&str; 5] = [
    "data",
    "weather",
    "site_file",
    "power_curve",
    "turbine_library",
];

/// One site's command line: a flag per non-empty column (`site_file` → `--site`, others
/// `--name-with-dashes`), files made absolute and checked, then `args` and `--out`.
#[allow(clippy::too_many_arguments)]
fn site_argv(
    place: &str,
    i: usize,
    columns: &[String],
    values: &[Vec<String>],
    base: &Path,
    args: &[String],
    out: &Path,
) -> Result<(Vec<String>, Vec<PathBuf>)> {
    let mut argv = vec!["forecast".to_string(), "backtest".into()];
    let mut inputs = vec![];
    for (c, v) in columns.iter().zip(values) {
        let v = v[i].trim();
        if v.is_empty() {
            if c == "data" {
                return Err(settings(format!("{place}: no data file")));
            }
            continue;
        }
        let flag = match c.as_str() {
            "site_file" => "--site".to_string(),
            c => format!("--{}", c.replace('_', "-")),
        };
        let value = if PATH_COLUMNS.contains(&c.as_str()) {
            let p = Path::new(v);
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            };
            if !p.exists() {
                return Err(settings(format!(
                    "{place}: column {c}: {} does not exist",
                    p.display()
                )));
            }
            inputs.push(p.clone());
            p.display().to_string()
        } else {
            v.to_string()
        };
        argv.push(flag);
        argv.push(value);
    }
    argv.extend(args.iter().cloned());
    argv.extend(["--out".to_string(), out.display().to_string()]);
    Ok((argv, inputs))
}

/// The sites of a table (a `site` column, a `data` column, and a column per option of
/// `forecast backtest`), each checked by `check(argv, place)`.
fn read_sites(
    table: &Path,
    run: &Path,
    args: &[String],
    check: &dyn Fn(&[String], &str) -> Result<()>,
) -> Result<Vec<Site>> {
    let t = terrawatt_table::Table::read(table)?;
    t.require(&["site".to_string(), "data".to_string()])?;
    let base = table
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = absolute(base)?;
    let names = t.strings("site")?;
    let columns: Vec<String> = t
        .column_names()
        .into_iter()
        .filter(|c| c != "site")
        .collect();
    let values: Vec<Vec<String>> = columns
        .iter()
        .map(|c| t.strings(c))
        .collect::<std::result::Result<_, _>>()?;
    let mut seen: Vec<String> = vec![];
    let mut sites = vec![];
    for (i, name) in names.iter().enumerate() {
        let place = format!("{} row {} (site '{name}')", table.display(), i + 2);
        if name.trim().is_empty() {
            return Err(settings(format!(
                "{} row {}: the site has no name",
                table.display(),
                i + 2
            )));
        }
        let safe = file_safe(name.trim());
        if seen.contains(&safe) {
            return Err(settings(format!(
                "{place}: another site has this name (as a file name: {safe})"
            )));
        }
        seen.push(safe.clone());
        let out = run.join("tables").join(format!("forecasts-{safe}.csv"));
        let (argv, inputs) = site_argv(&place, i, &columns, &values, &base, args, &out)?;
        check(&argv, &place)?;
        sites.push(Site {
            name: name.trim().to_string(),
            argv,
            inputs,
            out,
        });
    }
    if sites.is_empty() {
        return Err(settings(format!("{}: no sites", table.display())));
    }
    Ok(sites)
}

/// Backtests of the sites of a table, `per_task` sites a task, each writing its forecasts;
/// the merge concatenates them. `check(argv, place)` checks each site's command line.
pub fn site_tasks(
    table: &Path,
    run: &Path,
    per_task: usize,
    args: &[String],
    check: &dyn Fn(&[String], &str) -> Result<()>,
) -> Result<(Vec<TaskRow>, MergeSpec, String)> {
    let sites = read_sites(table, run, args, check)?;
    let mut rows = vec![];
    for (id, chunk) in sites.chunks(per_task).enumerate() {
        let label = if chunk.len() == 1 {
            chunk[0].name.clone()
        } else {
            format!("{} … {}", chunk[0].name, chunk[chunk.len() - 1].name)
        };
        let mut inputs: Vec<PathBuf> = vec![];
        for s in chunk {
            for p in &s.inputs {
                if !inputs.contains(p) {
                    inputs.push(p.clone());
                }
            }
        }
        rows.push(TaskRow {
            task_id: id,
            label,
            window: None,
            bbox: None,
            inputs,
            outputs: chunk
                .iter()
                .map(|s| Output {
                    role: "forecasts".into(),
                    part: s.name.clone(),
                    path: s.out.clone(),
                })
                .collect(),
            commands: chunk.iter().map(|s| s.argv.clone()).collect(),
        });
    }
    let note = format!(
        "{} sites, {} per task; every site's scores in results.json after the merge",
        sites.len(),
        per_task
    );
    Ok((rows, one_table("forecasts", "forecasts.csv", None), note))
}

// ---------------------------------------------------------------------------------------
// the run folder

/// How a plan's tasks and merge run: the batch settings, the manifest's format, the
/// executable and the global options they carry.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub slurm: SlurmSettings,
    /// `manifest.parquet` or `manifest.csv`.
    pub manifest: String,
    pub executable: PathBuf,
    pub workdir: PathBuf,
    /// The global options the tasks and the merge run with.
    pub global_args: Vec<String>,
    pub merge_memory: Option<String>,
}

/// A run written: its plan, and the text saying what was planned.
#[derive(Debug)]
pub struct Planned {
    pub run: PathBuf,
    pub plan: Plan,
}

/// Creates the run folder (and its `tiles`, `tables`, `reports`, `logs`), writes the
/// manifest, the batch scripts and the plan.
pub fn write_run(
    run: &Path,
    kind: &str,
    rows: Vec<TaskRow>,
    merge: MergeSpec,
    notes: Vec<String>,
    s: RunSettings,
) -> Result<Planned> {
    let plan = Plan {
        terrawatt: env!("CARGO_PKG_VERSION").into(),
        kind: kind.into(),
        created_utc: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tasks: rows.len(),
        manifest: s.manifest,
        executable: s.executable,
        workdir: s.workdir,
        global_args: s.global_args,
        slurm: s.slurm,
        merge,
        merge_memory: s.merge_memory,
        notes,
    };
    for sub in ["tiles", "tables", "reports", "logs"] {
        std::fs::create_dir_all(run.join(sub))
            .map_err(|e| settings(format!("creating {}: {e}", run.join(sub).display())))?;
    }
    manifest::write(&run.join(&plan.manifest), &rows)?;
    slurm::write_scripts(run, &plan)?;
    plan.write(run)?;
    Ok(Planned {
        run: run.to_path_buf(),
        plan,
    })
}

impl Planned {
    /// What was planned, its notes, and how to run it.
    pub fn text(&self) -> String {
        let run = self.run.display();
        let mut text = String::new();
        let _ = writeln!(
            text,
            "planned {} {} task(s) in {run}",
            self.plan.tasks, self.plan.kind
        );
        for n in &self.plan.notes {
            let _ = writeln!(text, "  {n}");
        }
        let _ = writeln!(
            text,
            "run them: terrawatt submit {run} (Slurm), or terrawatt submit {run} --local"
        );
        text
    }
}
