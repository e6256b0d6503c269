//! The sample change (NDVI, SCL masks, dNDVI < −0.2, a 0.5 ha minimum mapping unit) planned
//! in tiles as `terrawatt plan raster change` plans it, each tile run here through the
//! library's change task with its report written as `terrawatt run-task` writes it, then the
//! run merged by `terrawatt_scale::merge` (the classes decided over the whole mosaic).
//!
//! `cargo run --example planned_run`
//!
//! What the library does not do: read a task's command line (a manifest row holds the
//! `terrawatt raster change …` arguments; parsing them into a task lives in the binary), so
//! the example builds each tile's task in code and writes the command line beside it for
//! `terrawatt submit --local` or Slurm. The merged change must be that of one run of the
//! same task over the whole image (notebooks-data/scene-*.tif, made by `terrawatt raster
//! sample --seed 0`), to the pixel.

use std::path::{Path, PathBuf};

use terrawatt::meter::{CarbonSettings, EnergyReport, Meter, MeterConfig};
use terrawatt::raster::change::{Direction, Method, Mmu, ThresholdChoice};
use terrawatt::raster::grid::PixelWindow;
use terrawatt::raster::index::Index;
use terrawatt::raster::sample;
use terrawatt::raster::sieve::Connectivity;
use terrawatt::raster::task::{self, ChangeTask, RasterOptions, RasterTask};
use terrawatt::raster::write::{Compression, Format, OutputSpec};
use terrawatt::scale::manifest::{self, Output, Plan, TaskRow};
use terrawatt::scale::merge::{self, MergeSettings};
use terrawatt::scale::status::{self, RunState, TaskStart};
use terrawatt::scale::{plans, slurm, tiles};

/// Tiles of 160 × 160 pixels: 3 × 3 over the 400 × 400 scene.
const TILE: usize = 160;
const MEMORY: u64 = 256_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data");
    let dir = tempfile::tempdir()?;
    let run = dir.path().join("run");
    let whole = change_task(&data, None, dir.path().join("whole.tif"));

    // the plan: the whole grid cut into tiles, one task each; the classes wait for the merge
    let tiling = whole.tiling()?;
    assert!(
        tiling.deferred,
        "the minimum mapping unit needs the whole image"
    );
    let cut = tiles::tiles(tiling.grid.width, tiling.grid.height, TILE, TILE);
    let rows: Vec<TaskRow> = cut
        .iter()
        .enumerate()
        .map(|(task_id, t)| {
            let label = t.label();
            let path = run.join("tiles").join(format!("change-{label}.tif"));
            let window = [t.col_off, t.row_off, t.width, t.height];
            TaskRow {
                task_id,
                commands: vec![command_line(&data, window, &path)],
                label: label.clone(),
                window: Some(window),
                bbox: None,
                inputs: tiling.inputs.clone(),
                outputs: vec![Output {
                    role: "change".into(),
                    part: label,
                    path,
                }],
            }
        })
        .collect();
    // the tiles write change values; the merge thresholds and classifies the whole image
    let (merge_spec, note) = plans::change_merge(true, "otsu");
    let plan = Plan {
        terrawatt: env!("CARGO_PKG_VERSION").into(),
        kind: "raster change".into(),
        created_utc: "2026-01-01T00:00:00Z".into(),
        tasks: rows.len(),
        manifest: "manifest.csv".into(),
        executable: PathBuf::from("terrawatt"),
        workdir: std::env::current_dir()?,
        global_args: Vec::new(),
        slurm: slurm_settings(),
        merge: merge_spec,
        merge_memory: None,
        notes: vec![format!(
            "{} tiles of up to {TILE} × {TILE} pixels",
            cut.len()
        )]
        .into_iter()
        .chain(note)
        .collect(),
    };
    std::fs::create_dir_all(run.join("tiles"))?;
    manifest::write(&run.join(&plan.manifest), &rows)?;
    slurm::write_scripts(&run, &plan)?;
    plan.write(&run)?;
    let state = RunState::read(&run)?;
    print!("{}", status::dry_run(&state).text());
    assert_eq!(state.missing.len(), rows.len());

    // each task as `run-task` runs it: opened from the manifest, its tile computed, its
    // report (results and energy) written where the merge reads it
    let meter = Meter::detect(&MeterConfig::default())?;
    let placement = slurm::Placement::from_env();
    let manifest_path = run.join(&plan.manifest);
    for row in &rows {
        let start = TaskStart::open(&manifest_path, row.task_id, env!("CARGO_PKG_VERSION"))?;
        let [col, row_off, width, height] = row.window.expect("a tile");
        let window = PixelWindow {
            col,
            row: row_off,
            width,
            height,
        };
        let tile = change_task(&data, Some(window), row.outputs[0].path.clone());
        let mut span = meter.span(&row.label);
        let done = span.phase("raster change #0", |s| tile.run(s, &task::Silent))?;
        start.check_outputs()?;
        let commands = vec![serde_json::json!({
            "command": "raster change",
            "argv": row.commands[0],
            "results": done,
        })];
        let energy = EnergyReport::new(&meter, span.finish(), CarbonSettings::default(), None);
        let report = serde_json::json!({
            "results": start.results(&placement, 1, commands),
            "energy": energy,
        });
        std::fs::create_dir_all(start.report.parent().expect("a reports folder"))?;
        std::fs::write(&start.report, serde_json::to_vec_pretty(&report)?)?;
    }
    let state = RunState::read(&run)?;
    assert!(
        state.missing.is_empty(),
        "tasks not done: {:?}",
        state.missing
    );

    // the merge: mosaic, threshold and minimum mapping unit over the whole image
    let mut span = meter.span("merge");
    let class_rule = |_: &[String]| whole.class_rule().map_err(Into::into);
    let merged = merge::merge(
        &MergeSettings {
            run: run.clone(),
            memory: MEMORY,
            class_rule: &class_rule,
        },
        &mut span,
    )?;
    print!("{}", merged.text());
    let changed_ha = merged.results["classes"]["classes"]
        .as_array()
        .and_then(|c| c.iter().find(|k| k["class"] == 1))
        .and_then(|k| k["hectares"].as_f64())
        .expect("the merge's change class");

    // the same change in one run over the whole image
    let one = span.phase("raster change", |s| whole.run(s, &task::Silent))?;
    let class = |k: u8| one.change.classes.iter().find(|c| c.class == k);
    let (one_ha, one_px) = class(1).map_or((0.0, 0), |c| (c.hectares, c.pixels));
    println!("changed: {changed_ha:.2} ha in tiles, {one_ha:.2} ha in one run");
    let tiled_px = merged.results["classes"]["classes"]
        .as_array()
        .and_then(|c| c.iter().find(|k| k["class"] == 1))
        .and_then(|k| k["pixels"].as_u64());
    assert_eq!(
        tiled_px,
        Some(one_px),
        "changed pixels: tiles against one run"
    );
    assert!(
        (changed_ha - one_ha).abs() < 1e-6 * one_ha.max(1.0),
        "tiles {changed_ha} ha, one run {one_ha} ha"
    );

    let report = EnergyReport::new(&meter, span.finish(), CarbonSettings::default(), None);
    println!("{}", report.line());
    Ok(())
}

/// The sample change, in a window of the grid (a tile: change values only, GeoTIFF) or
/// whole.
fn change_task(data: &Path, window: Option<PixelWindow>, out: PathBuf) -> ChangeTask {
    let (before, after) = (
        data.join("scene-2023-06.tif"),
        data.join("scene-2024-06.tif"),
    );
    let out = OutputSpec {
        path: out,
        format: if window.is_some() {
            Format::GTiff
        } else {
            Format::Cog
        },
        compression: Compression::Deflate,
        level: None,
    };
    ChangeTask {
        mask_before: sample::scene_mask(&before),
        mask_after: sample::scene_mask(&after),
        threshold: Some(ThresholdChoice::Fixed { value: -0.2 }),
        direction: Some(Direction::Below),
        mask_buffer: 0, // a grown mask would cross the tiles' edges
        mmu: Some((Mmu::SquareMetres(5_000.0), Connectivity::Eight)),
        raster: RasterOptions {
            memory: MEMORY,
            window,
            ..RasterOptions::new(out.clone())
        },
        defer_classes: window.is_some(),
        ..ChangeTask::new(
            Method::Index(Index::Ndvi),
            sample::scene_bands(&before),
            sample::scene_bands(&after),
            out,
        )
    }
}

/// The command line of a tile, as `terrawatt plan raster change` writes it.
fn command_line(data: &Path, window: [usize; 4], out: &Path) -> Vec<String> {
    let f = |name: &str| data.join(name).display().to_string();
    let [c, r, w, h] = window;
    [
        "raster",
        "change",
        "--index",
        "ndvi",
        "--before",
        &f("scene-2023-06.tif"),
        "--after",
        &f("scene-2024-06.tif"),
        "--bands",
        "red=1,nir=2",
        "--scl-before",
        &format!("{}#3", f("scene-2023-06.tif")),
        "--scl-after",
        &format!("{}#3", f("scene-2024-06.tif")),
        "--threshold",
        "-0.2",
        "--direction",
        "below",
        "--mmu",
        "0.5ha",
        "--connectivity",
        "8",
        "--window",
        &format!("{c},{r},{w},{h}"),
        "--format",
        "gtiff",
        "--out",
        &out.display().to_string(),
        "--defer-classes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// One CPU per task, the job named after the run's kind.
fn slurm_settings() -> manifest::SlurmSettings {
    manifest::SlurmSettings {
        job_name: "terrawatt-raster-change".into(),
        cpus_per_task: 1,
        ..Default::default()
    }
}
