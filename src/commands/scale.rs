//! Past one machine: `plan` (a run folder with a manifest and Slurm scripts), `run-task`
//! (one manifest row), `merge` (mosaics, tables, summed energy) and `submit` (sbatch, or
//! `--local` on this machine).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, CommandFactory, Subcommand};
use serde_json::{Value, json};
use terrawatt_meter::Span;
use terrawatt_raster::change::ClassRule;
use terrawatt_raster::grid::AreaMethod;
use terrawatt_raster::task::Task;
use terrawatt_raster::write::OutputSpec;
use terrawatt_scale::manifest::{
    self, MergeSpec, Output, RasterMerge, SlurmSettings, SumSpec, TaskRow,
};
use terrawatt_scale::merge::MergeSettings;
use terrawatt_scale::slurm::{self, Placement};
use terrawatt_scale::status::{self, RunState, TaskStart, ids_text, read_json};
use terrawatt_scale::{ScaleError, plans, tiles};

use crate::cli::{Cli, Command, one_of};
use crate::task::{Ctx, Outcome};

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Satellite rasters cut into tiles.
    #[command(subcommand)]
    Raster(PlanRaster),
    /// Forecast backtests, sites shared among tasks.
    #[command(subcommand)]
    Forecast(PlanForecast),
    /// Building savings, meters shared among tasks.
    #[command(subcommand)]
    Building(PlanBuilding),
}

#[derive(Debug, Subcommand)]
pub enum PlanRaster {
    /// Two-date change detection, one task per tile. Plan options first, then the options
    /// of `raster change` (without --out, --format, --classes-out, --table, --window).
    Change(PlanTilesArgs),
    /// Spectral indices and band math, one task per tile. Plan options first, then the
    /// options of `raster index` (without --out, --format and --window).
    Index(PlanTilesArgs),
    /// Zonal statistics, polygons shared among tasks. Plan options first, then the options
    /// of `raster zonal` (without --out and --features).
    Zonal(PlanZonesArgs),
    /// Forest loss per polygon, polygons shared among tasks. Plan options first, then the
    /// options of `raster forest-loss` (without --out, --features and --plot).
    ForestLoss(PlanZonesArgs),
    /// Land-cover transitions per polygon (from–to matrices), polygons shared among tasks.
    /// Plan options first, then the options of `raster transitions` with --zones (without
    /// --table and --features).
    Transitions(PlanZonesArgs),
    /// BFAST Monitor of a stack, one task per tile. Plan options first, then the options of
    /// `raster breaks --stack` (without --out, --format, --window, --classes-out and
    /// --quicklook).
    Breaks(PlanTilesArgs),
    /// Theil–Sen and Mann–Kendall of a stack, one task per tile. Plan options first, then
    /// the options of `raster trend --stack` (without --out, --format and --window).
    Trend(PlanTilesArgs),
}

#[derive(Debug, Args)]
pub struct PlanZonesArgs {
    #[command(flatten)]
    pub plan: PlanCommon,
    /// Polygons per task (in the layer's reading order).
    #[arg(long, default_value_t = 100, value_name = "N", help_heading = "Tasks")]
    pub per_task: usize,
    /// The merged table's format: csv, parquet (typed columns) or gpkg (the polygons with
    /// their rows); the tasks write theirs alike.
    #[arg(long, default_value = "csv", value_name = "FORMAT", value_parser = one_of::<String>(&["csv", "parquet", "gpkg"]), help_heading = "Tasks")]
    pub table_format: String,
    /// The options of the command.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PlanForecast {
    /// Backtests of many sites: one row of --sites per site. Plan options first, then the
    /// options of `forecast backtest` shared by every site (without --data and --out).
    Backtest(PlanBacktestArgs),
}

#[derive(Debug, Subcommand)]
pub enum PlanBuilding {
    /// Savings of many meters (as `building portfolio`). Plan options first, then the
    /// options of `building portfolio` (without --meters and --out).
    Savings(PlanSavingsArgs),
}

#[derive(Debug, Args)]
pub struct PlanCommon {
    /// The run folder to create (absent or empty).
    #[arg(long, value_name = "DIR", help_heading = "Run folder")]
    pub out: PathBuf,
    /// The manifest: parquet or csv.
    #[arg(long, default_value = "parquet", value_parser = one_of::<String>(&["parquet", "csv"]), help_heading = "Run folder")]
    pub manifest_format: String,
    /// Slurm partition of the tasks and the merge.
    #[arg(long, help_heading = "Slurm")]
    pub partition: Option<String>,
    /// Slurm account to charge.
    #[arg(long, help_heading = "Slurm")]
    pub account: Option<String>,
    /// CPUs of each task (the size of its thread pool).
    #[arg(long, default_value_t = 1, value_name = "N", help_heading = "Slurm")]
    pub cpus_per_task: usize,
    /// Memory per node, as sbatch takes it (e.g. 8G).
    #[arg(long, value_name = "SIZE", help_heading = "Slurm")]
    pub mem: Option<String>,
    /// Time limit of each task and the merge, as sbatch takes it (e.g. 01:00:00).
    #[arg(long, value_name = "LIMIT", help_heading = "Slurm")]
    pub time: Option<String>,
    /// At most this many array tasks at once.
    #[arg(long, value_name = "N", help_heading = "Slurm")]
    pub max_parallel: Option<usize>,
    /// Slurm job name [default: terrawatt-<kind>].
    #[arg(long, help_heading = "Slurm")]
    pub job_name: Option<String>,
    /// Memory budget of the merge (its --memory, e.g. 8GB): a minimum mapping unit over
    /// the whole image holds 5 bytes a pixel [default: 1GB].
    #[arg(long, value_name = "SIZE", help_heading = "Run folder")]
    pub merge_memory: Option<String>,
    /// The terrawatt executable the batch scripts run [default: this one].
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Run folder",
        hide_short_help = true
    )]
    pub executable: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanTilesArgs {
    #[command(flatten)]
    pub plan: PlanCommon,
    /// Tile size in pixels: 4096px (square) or 2048x1024px (columns × rows); or a length
    /// on a projected grid (40km, 5000m), the nearest whole number of pixels.
    #[arg(long, value_name = "SIZE", help_heading = "Tasks")]
    pub tile_size: String,
    /// The options of the command.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PlanBacktestArgs {
    #[command(flatten)]
    pub plan: PlanCommon,
    /// CSV or Parquet, one row per site: `site` (a name), `data` (its target file) and any
    /// `forecast backtest` option as a column (site_lat, tilt, capacity, weather, start, …;
    /// `site_file` for --site); empty cells leave the option out. Relative paths are taken
    /// from the file's folder.
    #[arg(long, value_name = "FILE", help_heading = "Tasks")]
    pub sites: PathBuf,
    /// Sites per task.
    #[arg(long, default_value_t = 1, value_name = "N", help_heading = "Tasks")]
    pub per_task: usize,
    /// The options of `forecast backtest` shared by every site.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PlanSavingsArgs {
    #[command(flatten)]
    pub plan: PlanCommon,
    /// Folder of meter files (every .csv, .csv.gz and .parquet in it).
    #[arg(long, value_name = "DIR", help_heading = "Tasks")]
    pub meters: PathBuf,
    /// Meters per task.
    #[arg(long, default_value_t = 1, value_name = "N", help_heading = "Tasks")]
    pub per_task: usize,
    /// The options of `building portfolio`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunTaskArgs {
    /// The run's manifest (plan.json beside it).
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The row to run [default: $SLURM_ARRAY_TASK_ID].
    #[arg(long, env = "SLURM_ARRAY_TASK_ID", value_name = "N")]
    pub task_id: usize,
    /// Run again even when the task's report and outputs exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The run folder.
    #[arg(value_name = "DIR")]
    pub run: PathBuf,
    /// Memory budget of the mosaics (e.g. 1GB, 512MB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The run folder.
    #[arg(value_name = "DIR")]
    pub run: PathBuf,
    /// Run the tasks one after another and then the merge on this machine, without Slurm.
    #[arg(long)]
    pub local: bool,
    /// Say what is done, what is missing and what would be submitted; submit nothing.
    #[arg(long)]
    pub dry_run: bool,
}

// ---------------------------------------------------------------------------------------
// plan

/// Options the plan sets itself, per command.
fn refuse_options(args: &[String], reserved: &[&str], what: &str) -> Result<()> {
    let globals: Vec<String> = Cli::command()
        .get_arguments()
        .filter(|a| a.is_global_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    for a in args {
        let name = a.split('=').next().unwrap_or(a);
        if reserved.contains(&name) {
            bail!("{name}: the plan sets it for each task of {what}; leave it out");
        }
        if globals.iter().any(|g| g == name) {
            bail!(
                "{name} is an option of every command: give it before `plan` (terrawatt {name} … plan …) and the tasks and the merge run with it"
            );
        }
    }
    Ok(())
}

/// Parses a command line of terrawatt (without the program name).
fn parse(argv: &[String]) -> Result<Cli> {
    Ok(parse_named(argv)?.0)
}

/// Parses a command line of terrawatt (without the program name) and names its command.
fn parse_named(argv: &[String]) -> Result<(Cli, String)> {
    crate::parse_named(std::iter::once("terrawatt".to_string()).chain(argv.iter().cloned()))
        .map_err(|e| anyhow!("{}", e.render().to_string().trim_end()))
}

/// The global options that a plan carries into its tasks and merge.
fn carried_globals(g: &crate::cli::Global) -> Vec<String> {
    let mut out = vec![];
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(format!("--{k}"));
            out.push(v);
        }
    };
    push("country", g.country.clone());
    push("cloud-region", g.cloud_region.clone());
    push("grid-intensity", g.grid_intensity.map(|v| v.to_string()));
    push("pue", (g.pue != 1.0).then(|| g.pue.to_string()));
    push("embodied-kgco2e", g.embodied_kgco2e.map(|v| v.to_string()));
    if g.embodied_kgco2e.is_some() {
        push("lifetime-years", Some(g.lifetime_years.to_string()));
        push("machine-share", Some(g.machine_share.to_string()));
    }
    push(
        "cpu-watts-per-core",
        g.cpu_watts_per_core.map(|v| v.to_string()),
    );
    push(
        "mem-watts-per-gb",
        g.mem_watts_per_gb.map(|v| v.to_string()),
    );
    if g.energy_model {
        out.push("--energy-model".into());
    }
    out
}

/// Writes the plan, the manifest and the scripts, and says what was planned.
fn finish_plan(
    ctx: &Ctx,
    common: &PlanCommon,
    run: &Path,
    kind: &str,
    rows: Vec<TaskRow>,
    merge: MergeSpec,
    notes: Vec<String>,
) -> Result<Outcome> {
    if common.max_parallel == Some(0) || common.cpus_per_task == 0 {
        bail!("--max-parallel and --cpus-per-task must be at least 1");
    }
    if let Some(m) = &common.merge_memory {
        terrawatt_table::size::parse_bytes(m).map_err(|e| anyhow!("--merge-memory {e}"))?;
    }
    let manifest = match common.manifest_format.as_str() {
        "parquet" => "manifest.parquet",
        "csv" => "manifest.csv",
        o => bail!("--manifest-format '{o}': expected parquet or csv"),
    };
    let executable = match &common.executable {
        Some(p) => plans::absolute(p)?,
        None => std::env::current_exe().context("finding this terrawatt")?,
    };
    let settings = plans::RunSettings {
        slurm: SlurmSettings {
            job_name: common
                .job_name
                .clone()
                .unwrap_or_else(|| format!("terrawatt-{}", kind.replace(' ', "-"))),
            partition: common.partition.clone(),
            account: common.account.clone(),
            cpus_per_task: common.cpus_per_task.max(1),
            mem: common.mem.clone(),
            time: common.time.clone(),
            max_parallel: common.max_parallel,
        },
        manifest: manifest.into(),
        executable,
        workdir: std::env::current_dir()?,
        global_args: carried_globals(&ctx.global),
        merge_memory: common.merge_memory.clone(),
    };
    let planned = plans::write_run(run, kind, rows, merge, notes, settings)?;
    Ok(Outcome {
        results: json!({ "run": run, "plan": planned.plan }),
        text: planned.text(),
        unit: None,
    })
}

/// Checks a task's command line by parsing it.
fn check(argv: &[String]) -> terrawatt_scale::Result<()> {
    parse(argv)
        .map(|_| ())
        .map_err(|e| ScaleError::Settings(format!("the tasks' command: {e:#}")))
}

pub fn plan(_span: &mut Span, ctx: &Ctx, p: &PlanCommand) -> Result<Outcome> {
    match p {
        PlanCommand::Raster(PlanRaster::Change(a)) => plan_change(ctx, a),
        PlanCommand::Raster(PlanRaster::Index(a)) => plan_index(ctx, a),
        PlanCommand::Raster(PlanRaster::Zonal(a)) => plan_zones(ctx, a, "zonal"),
        PlanCommand::Raster(PlanRaster::ForestLoss(a)) => plan_zones(ctx, a, "forest-loss"),
        PlanCommand::Raster(PlanRaster::Transitions(a)) => plan_zones(ctx, a, "transitions"),
        PlanCommand::Raster(PlanRaster::Breaks(a)) => plan_stack(ctx, a, "breaks"),
        PlanCommand::Raster(PlanRaster::Trend(a)) => plan_stack(ctx, a, "trend"),
        PlanCommand::Forecast(PlanForecast::Backtest(a)) => plan_backtest(ctx, a),
        PlanCommand::Building(PlanBuilding::Savings(a)) => plan_savings(ctx, a),
    }
}

/// The library task of a plan's `raster <command>` options (with a placeholder output).
fn parse_raster(a: &[String], command: &str) -> Result<Task> {
    let mut probe = vec!["raster".to_string(), command.into()];
    probe.extend(a.iter().cloned());
    probe.extend(if command == "transitions" {
        ["--table".to_string(), "planned.csv".into()]
    } else {
        ["--out".to_string(), "planned.tif".into()]
    });
    let Command::Raster(r) = parse(&probe)?.command else {
        unreachable!("parsed as a raster command")
    };
    r.task()
}

/// The tasks of a tiled plan: one per tile of `grid`, each running `raster <command>` with
/// the plan's options, the tile's window and a tiled GeoTIFF `tiles/<command>-<tile>.tif`
/// (role `<command>`), plus what `more` gives for the tile (options and outputs).
fn tile_tasks(
    a: &PlanTilesArgs,
    command: &str,
    grid: &terrawatt_raster::grid::Grid,
    inputs: &[PathBuf],
    run: &Path,
    more: impl Fn(&str) -> (Vec<String>, Vec<Output>),
) -> Result<(Vec<TaskRow>, String)> {
    let tile = tile_pixels(&a.tile_size, grid)?;
    Ok(plans::tile_tasks(
        command, &a.args, grid, tile, inputs, run, more, &check,
    )?)
}

fn plan_change(ctx: &Ctx, a: &PlanTilesArgs) -> Result<Outcome> {
    refuse_options(
        &a.args,
        &[
            "--out",
            "--format",
            "--classes-out",
            "--table",
            "--window",
            "--quicklook",
            "--defer-classes",
        ],
        "raster change",
    )?;
    let Task::Change(change) = parse_raster(&a.args, "change")? else {
        unreachable!("parsed as raster change")
    };
    let tiling = change.tiling()?;
    let run = plans::check_run_dir(&a.plan.out)?;
    let deferred = tiling.deferred;
    let (rows, note) = tile_tasks(a, "change", &tiling.grid, &tiling.inputs, &run, |label| {
        plans::change_tile_outputs(&run, label, deferred)
    })?;
    let how = match tiling.threshold {
        terrawatt_raster::change::Threshold::Otsu { .. } => "Otsu".into(),
        t => t.describe(),
    };
    let (merge, more) = plans::change_merge(deferred, &how);
    let notes: Vec<String> = std::iter::once(note).chain(more).collect();
    finish_plan(ctx, &a.plan, &run, "raster change", rows, merge, notes)
}

/// A tile size in pixels (`4096px`, `2048x1024px`), or in metres on a projected grid
/// (`40km`, `5000m`: the nearest whole number of pixels).
fn tile_pixels(size: &str, grid: &terrawatt_raster::grid::Grid) -> Result<(usize, usize)> {
    if let Some(px) = tiles::parse_size(size) {
        return Ok(px);
    }
    let bad = || {
        anyhow!(
            "--tile-size '{size}': expected pixels (4096px, 2048x1024px) or a length (40km, 5000m)"
        )
    };
    let t = size.trim().to_ascii_lowercase();
    if !(t.ends_with("km") || t.ends_with('m')) {
        return Err(bad());
    }
    let m = terrawatt_table::size::parse_length(size).map_err(|e| anyhow!("--tile-size {e}"))?;
    let (dx, dy) = grid.pixel_metres().ok_or_else(|| {
        anyhow!(
            "--tile-size '{size}': the grid ({}) is not projected in metres; give the tile size in pixels",
            grid.crs_name()
        )
    })?;
    let px = |d: f64| ((m / d).round() as usize).max(1);
    Ok((px(dx), px(dy)))
}

/// Tiles of an index: each task runs `raster index --window …`; the merge mosaics them.
fn plan_index(ctx: &Ctx, a: &PlanTilesArgs) -> Result<Outcome> {
    refuse_options(&a.args, &["--out", "--format", "--window"], "raster index")?;
    let Task::Index(index) = parse_raster(&a.args, "index")? else {
        unreachable!("parsed as raster index")
    };
    let (grid, inputs) = index.tiling()?;
    let run = plans::check_run_dir(&a.plan.out)?;
    let (rows, note) = tile_tasks(a, "index", &grid, &inputs, &run, |_| (vec![], vec![]))?;
    let merge = MergeSpec {
        rasters: vec![RasterMerge {
            role: "index".into(),
            vrt: "index.vrt".into(),
            cog: "index.tif".into(),
        }],
        ..MergeSpec::default()
    };
    finish_plan(ctx, &a.plan, &run, "raster index", rows, merge, vec![note])
}

/// Breaks or trends of a stack: each task runs `raster breaks|trend --window …` over every
/// date of its tile; the merge mosaics the tiles (each pixel is computed alone, so the
/// mosaic is one run's raster).
fn plan_stack(ctx: &Ctx, a: &PlanTilesArgs, command: &str) -> Result<Outcome> {
    let what = format!("raster {command}");
    refuse_options(
        &a.args,
        &[
            "--out",
            "--format",
            "--window",
            "--classes-out",
            "--quicklook",
        ],
        &what,
    )?;
    let (grid, inputs) = match parse_raster(&a.args, command)? {
        Task::Breaks(t) => t.input.tiling()?,
        Task::Trend(t) => t.input.tiling()?,
        _ => unreachable!("parsed as raster breaks or trend"),
    };
    let run = plans::check_run_dir(&a.plan.out)?;
    let (rows, note) = tile_tasks(a, command, &grid, &inputs, &run, |_| (vec![], vec![]))?;
    let merge = MergeSpec {
        rasters: vec![RasterMerge {
            role: command.into(),
            vrt: format!("{command}.vrt"),
            cog: format!("{command}.tif"),
        }],
        ..MergeSpec::default()
    };
    finish_plan(ctx, &a.plan, &run, &what, rows, merge, vec![note])
}

/// Zonal statistics or forest loss, the layer's polygons shared among tasks: each task
/// reads its own run of features (`--features START,COUNT`) and writes its CSV; the merge
/// concatenates them — the rows of one run over the whole layer, in its order.
fn plan_zones(ctx: &Ctx, a: &PlanZonesArgs, command: &str) -> Result<Outcome> {
    if a.per_task == 0 {
        bail!("--per-task must be at least 1");
    }
    let what = format!("raster {command}");
    // the option that names the command's table
    let out_flag = if command == "transitions" {
        "--table"
    } else {
        "--out"
    };
    refuse_options(&a.args, &[out_flag, "--features", "--plot"], &what)?;
    let ext = a.table_format.to_ascii_lowercase();
    if !matches!(ext.as_str(), "csv" | "parquet" | "gpkg") {
        bail!(
            "--table-format '{}': expected csv, parquet or gpkg",
            a.table_format
        );
    }
    let (zones, mut inputs) = match parse_raster(&a.args, command)? {
        Task::Zonal(z) => (z.zonal.zones, vec![z.zonal.raster]),
        Task::ForestLoss(f) => {
            let mut i = vec![f.treecover, f.lossyear];
            i.extend(f.emissions);
            (f.zones, i)
        }
        Task::Transitions(t) => {
            let Some((zones, _)) = t.zones else {
                bail!("raster transitions: a plan shares polygons among tasks: give --zones");
            };
            (zones, vec![t.before, t.after])
        }
        _ => unreachable!("parsed as zonal, forest-loss or transitions"),
    };
    let (zones, layer) = (zones.path, zones.layer);
    let n = terrawatt_raster::zones::feature_count(&zones, layer.as_deref())?;
    if n == 0 {
        bail!("{}: the layer has no features", zones.display());
    }
    inputs.push(zones.clone());
    let inputs: Vec<PathBuf> = inputs
        .iter()
        .map(|p| plans::absolute(p))
        .collect::<terrawatt_scale::Result<_>>()?;
    let run = plans::check_run_dir(&a.plan.out)?;
    let role = command.replace('-', "_");
    let mut rows = vec![];
    for (id, start) in (0..n).step_by(a.per_task).enumerate() {
        let count = a.per_task.min(n - start);
        let label = format!("features {start}–{}", start + count - 1);
        let out = run.join("tables").join(format!("{command}-{id:05}.{ext}"));
        let mut argv = vec!["raster".to_string(), command.into()];
        argv.extend(a.args.iter().cloned());
        argv.extend([
            "--features".to_string(),
            format!("{start},{count}"),
            out_flag.into(),
            out.display().to_string(),
        ]);
        if id == 0 {
            parse(&argv).context("the tasks' command")?;
        }
        rows.push(plans::table_task(
            id,
            label,
            inputs.clone(),
            &role,
            out,
            argv,
        ));
    }
    let merge = plans::one_table(&role, &format!("{command}.{ext}"), None);
    let notes = vec![format!(
        "{n} polygons of {}, {} per task",
        zones.display(),
        a.per_task
    )];
    finish_plan(ctx, &a.plan, &run, &what, rows, merge, notes)
}

fn plan_backtest(ctx: &Ctx, a: &PlanBacktestArgs) -> Result<Outcome> {
    if a.per_task == 0 {
        bail!("--per-task must be at least 1");
    }
    refuse_options(
        &a.args,
        &["--data", "--out", "--plot", "--plot-skill"],
        "forecast backtest",
    )?;
    let run = plans::check_run_dir(&a.plan.out)?;
    let check_site = |argv: &[String], place: &str| -> terrawatt_scale::Result<()> {
        refuse_options(&argv[2..argv.len() - 2], &[], "forecast backtest")
            .and_then(|()| parse(argv).map(|_| ()))
            .map_err(|e| ScaleError::Settings(format!("{place}: {e:#}")))
    };
    let (rows, merge, note) = plans::site_tasks(&a.sites, &run, a.per_task, &a.args, &check_site)?;
    finish_plan(
        ctx,
        &a.plan,
        &run,
        "forecast backtest",
        rows,
        merge,
        vec![note],
    )
}

fn plan_savings(ctx: &Ctx, a: &PlanSavingsArgs) -> Result<Outcome> {
    if a.per_task == 0 {
        bail!("--per-task must be at least 1");
    }
    refuse_options(&a.args, &["--meters", "--out"], "building savings")?;
    let files = terrawatt_building::tasks::meter_files(&a.meters)?;
    let files: Vec<PathBuf> = files
        .iter()
        .map(|p| plans::absolute(p))
        .collect::<terrawatt_scale::Result<_>>()?;
    let run = plans::check_run_dir(&a.plan.out)?;
    let mut rows = vec![];
    for (id, chunk) in files.chunks(a.per_task).enumerate() {
        let name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let label = if chunk.len() == 1 {
            name(&chunk[0])
        } else {
            format!("{} … {}", name(&chunk[0]), name(&chunk[chunk.len() - 1]))
        };
        let out = run.join("tables").join(format!("savings-{id:05}.csv"));
        let mut argv = vec!["building".to_string(), "portfolio".into()];
        for f in chunk {
            argv.push("--meters".into());
            argv.push(f.display().to_string());
        }
        argv.extend(a.args.iter().cloned());
        argv.extend(["--out".to_string(), out.display().to_string()]);
        if id == 0 {
            parse(&argv).context("the tasks' command")?;
        }
        rows.push(plans::table_task(
            id,
            label,
            chunk.to_vec(),
            "savings",
            out,
            argv,
        ));
    }
    let merge = plans::one_table(
        "savings",
        "savings.csv",
        Some(SumSpec {
            out: "savings-total.csv".into(),
            key: vec!["status".into()],
            sum: vec![
                "predicted_total".into(),
                "observed_total".into(),
                "avoided".into(),
            ],
            quadrature: vec!["avoided_uncertainty".into()],
        }),
    );
    let notes = vec![format!(
        "{} meters of {}, {} per task; totals summed by status, uncertainty root-sum-square (meters independent)",
        files.len(),
        a.meters.display(),
        a.per_task
    )];
    finish_plan(ctx, &a.plan, &run, "building savings", rows, merge, notes)
}

// ---------------------------------------------------------------------------------------
// run-task

/// The run folder of a manifest.
fn run_of(manifest: &Path) -> Result<PathBuf> {
    let m = std::fs::canonicalize(manifest)
        .with_context(|| format!("{}: no such manifest", manifest.display()))?;
    Ok(m.parent().unwrap_or(Path::new("/")).to_path_buf())
}

/// Where run-task writes its report when it succeeds, and when it fails.
pub fn task_report_paths(a: &RunTaskArgs) -> Option<(PathBuf, PathBuf)> {
    let run = run_of(&a.manifest).ok()?;
    // a task id the manifest does not have gets no report, not even a failed attempt (the
    // merge would count it)
    let rows = manifest::read(&a.manifest).ok()?;
    if !rows.iter().any(|r| r.task_id == a.task_id) {
        return None;
    }
    let p = Placement::from_env();
    let attempt = match (&p.array_job_id, &p.job_id) {
        (Some(j), _) | (None, Some(j)) => format!("job{j}"),
        _ => format!("pid{}", std::process::id()),
    };
    Some((
        manifest::report_path(&run, a.task_id),
        manifest::failed_report_path(&run, a.task_id, &attempt),
    ))
}

pub fn run_task(span: &mut Span, ctx: &Ctx, a: &RunTaskArgs) -> Result<Outcome> {
    let task = TaskStart::open(&a.manifest, a.task_id, env!("CARGO_PKG_VERSION"))?;
    if task.done && !a.force {
        let (results, text) = task.skipped();
        return Ok(Outcome {
            results,
            text,
            unit: None,
        });
    }
    let placement = Placement::from_env();
    // the pool: --threads, else Slurm's CPUs per task, else every CPU
    if ctx.global.threads.is_none()
        && let Some(n) = placement.cpus_per_task.filter(|n| *n > 0)
    {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting up the thread pool")?;
    }
    let workdir = &task.plan.workdir;
    std::env::set_current_dir(workdir)
        .with_context(|| format!("entering the plan's folder {}", workdir.display()))?;
    let mut text = String::new();
    if let Some(why) = &task.redo {
        writeln!(text, "task {}: run again: {why}", a.task_id)?;
    }
    let done = run_commands(span, ctx, &task, &mut text)?;
    task.check_outputs()?;
    writeln!(
        text,
        "task {} ({}) on {}: {} command(s), {} output(s) → {}",
        a.task_id,
        task.row.label,
        placement.node,
        done.len(),
        task.row.outputs.len(),
        task.report.display()
    )?;
    Ok(Outcome {
        results: task.results(&placement, rayon::current_num_threads(), done),
        text,
        unit: None,
    })
}

/// The task's commands, each a phase of the span, in this process.
fn run_commands(
    span: &mut Span,
    ctx: &Ctx,
    task: &TaskStart,
    text: &mut String,
) -> Result<Vec<Value>> {
    let (id, row) = (task.row.task_id, &task.row);
    let mut done = vec![];
    for (k, argv) in row.commands.iter().enumerate() {
        let (cli, name) = parse_named(argv).with_context(|| format!("task {id} command {k}"))?;
        if matches!(
            cli.command,
            Command::Plan(_) | Command::RunTask(_) | Command::Merge(_) | Command::Submit(_)
        ) {
            bail!("task {id} command {k}: a task cannot plan, run, merge or submit");
        }
        let out = span
            .phase(format!("{name} #{k}"), |sp| {
                crate::dispatch(&cli.command, sp, ctx)
            })
            .with_context(|| format!("task {id} ({}) command {k} ({name})", row.label))?;
        text.push_str(&out.text);
        done.push(json!({ "command": name, "argv": argv, "results": out.results }));
    }
    Ok(done)
}

/// The results of a failed attempt (for its report under reports/failed).
pub fn failed_results(a: &RunTaskArgs, error: &anyhow::Error) -> Value {
    json!({
        "task_id": a.task_id,
        "failed": true,
        "error": format!("{error:#}"),
        "placement": Placement::from_env(),
    })
}

// ---------------------------------------------------------------------------------------
// merge

/// The class rule of a change run, from its first task's command line.
fn class_rule(argv: &[String]) -> terrawatt_scale::Result<(ClassRule, AreaMethod, OutputSpec)> {
    let rule = || -> Result<_> {
        let Command::Raster(r) = parse(argv)?.command else {
            bail!("task 0 does not run raster change");
        };
        let Task::Change(a) = r.task()? else {
            bail!("task 0 does not run raster change");
        };
        Ok(a.class_rule()?)
    };
    rule().map_err(|e| ScaleError::Settings(format!("{e:#}")))
}

pub fn merge(span: &mut Span, ctx: &Ctx, a: &MergeArgs) -> Result<Outcome> {
    let memory =
        terrawatt_table::size::parse_bytes(&a.memory).map_err(|e| anyhow!("--memory {e}"))?;
    let merged = terrawatt_scale::merge::merge(
        &MergeSettings {
            run: a.run.clone(),
            memory,
            class_rule: &class_rule,
        },
        span,
    )?;
    let warnings = merged.warnings();
    if !ctx.global.in_process {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    let text = merged.text().to_string();
    let mut results = merged.results;
    if let (false, Some(o)) = (warnings.is_empty(), results.as_object_mut()) {
        o.insert("warnings".into(), serde_json::json!(warnings));
    }
    Ok(Outcome {
        text,
        results,
        unit: None,
    })
}

// ---------------------------------------------------------------------------------------
// submit

pub fn submit(_span: &mut Span, _ctx: &Ctx, a: &SubmitArgs) -> Result<Outcome> {
    let state = RunState::read(&a.run)?;
    if a.dry_run {
        let d = status::dry_run(&state);
        return Ok(Outcome {
            results: serde_json::to_value(&d)?,
            text: d.text().to_string(),
            unit: None,
        });
    }
    if a.local {
        return submit_local(&state);
    }
    let sub = status::submit(&state)?;
    Ok(Outcome {
        results: serde_json::to_value(&sub)?,
        text: sub.text(),
        unit: None,
    })
}

/// Runs the tasks not done here, one after another, each in its own process, then the merge.
fn submit_local(s: &RunState) -> Result<Outcome> {
    let (run, plan, rows, missing) = (&s.run, &s.plan, &s.rows, &s.missing);
    let exe = std::env::current_exe().context("finding this terrawatt")?;
    let mut failed = vec![];
    for id in missing {
        let status = std::process::Command::new(&exe)
            .args(&plan.global_args)
            .arg("run-task")
            .arg("--manifest")
            .arg(run.join(&plan.manifest))
            .arg("--task-id")
            .arg(id.to_string())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .stdin(std::process::Stdio::null())
            .status()
            .with_context(|| format!("running task {id}"))?;
        if !status.success() {
            failed.push(*id);
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} task(s) failed: {}; the merge was not run. Mend the cause and run `terrawatt submit {} --local` again: only the missing tasks run",
            failed.len(),
            ids_text(&failed),
            run.display()
        );
    }
    let merge_report = manifest::merge_report_path(run);
    let status = std::process::Command::new(&exe)
        .args(&plan.global_args)
        .args(slurm::merge_args(run, plan))
        .stdin(std::process::Stdio::null())
        .status()
        .context("running the merge")?;
    if !status.success() {
        bail!("the merge failed (see above)");
    }
    // the processes' energy, each in its report: this line below is this process's own
    let tasks = read_json(&run.join("energy.json"))?;
    let merged = read_json(&merge_report)?;
    let j = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let (t_j, m_j) = (
        j(&tasks["energy"]["total"]["joules"]),
        j(&merged["energy"]["joules"]),
    );
    let (t_g, m_g) = (
        j(&tasks["energy"]["total"]["co2e_g"]),
        j(&merged["energy"]["co2e_g"]),
    );
    let now: f64 = missing
        .iter()
        .filter_map(|id| {
            read_json(&manifest::report_path(run, *id))
                .ok()
                .and_then(|r| r["energy"]["joules"].as_f64())
        })
        .sum();
    Ok(Outcome {
        results: json!({
            "local": true, "ran": missing, "skipped": rows.len() - missing.len(), "merged": true,
            "energy": { "tasks_joules": t_j, "tasks_run_now_joules": now, "merge_joules": m_j,
                "joules": t_j + m_j, "co2e_g": t_g + m_g },
        }),
        text: format!(
            "ran {} task(s) here ({} done before) and the merge of {}\nthe run's energy: tasks {:.1} J (of which run now {:.1} J) + merge {:.1} J = {:.1} J, {:.4} gCO2e (each process's own line above; this process's below)\n",
            missing.len(),
            rows.len() - missing.len(),
            run.display(),
            t_j,
            now,
            m_j,
            t_j + m_j,
            t_g + m_g
        ),
        unit: None,
    })
}
