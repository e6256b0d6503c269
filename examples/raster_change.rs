//! NDVI change between the bundled sample scene's two dates through the library's change
//! task (the same task as `terrawatt raster change`): SCL clouds and shadows masked (grown by
//! one pixel), change where dNDVI < −0.2, a 0.5 ha minimum mapping unit; the change map, the
//! classes and the table written into a temporary folder.
//!
//! `cargo run --example raster_change`
//!
//! The 2024 date of the sample (notebooks-data/scene-*.tif, made by `terrawatt raster sample
//! --seed 0`) has one clearing: forest inside a ragged ellipse of 70 × 35 cells of 10 m
//! (about 77 ha) turned to bare soil, partly under a cloud. The changed area must be the
//! demo's (its own settings of the same kernel) and of the clearing's size.

use std::path::Path;

use terrawatt::meter::{CarbonSettings, EnergyReport, Meter, MeterConfig};
use terrawatt::raster::change::{Direction, Method, Mmu, ThresholdChoice};
use terrawatt::raster::index::Index;
use terrawatt::raster::sample;
use terrawatt::raster::sieve::Connectivity;
use terrawatt::raster::task::{self, ChangeTask, RasterOptions, RasterTask, Silent, TaskResults};
use terrawatt::raster::write::{Compression, Format, OutputSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data");
    let out = tempfile::tempdir()?;
    // a date: B04 is the red band (1), B08 the near infrared (2), SCL the cloud mask (3)
    let scene = |name: &str| data.join(name);
    let (before, after) = (scene("scene-2023-06.tif"), scene("scene-2024-06.tif"));
    let out_spec = OutputSpec {
        path: out.path().join("dndvi.tif"),
        format: Format::Cog,
        compression: Compression::Deflate,
        level: None,
    };
    // after − before, change below −0.2, masks grown by a pixel, a 0.5 ha minimum mapping unit
    let change = ChangeTask {
        mask_before: sample::scene_mask(&before),
        mask_after: sample::scene_mask(&after),
        threshold: Some(ThresholdChoice::Fixed { value: -0.2 }),
        direction: Some(Direction::Below),
        mask_buffer: 1,
        mmu: Some((Mmu::SquareMetres(5_000.0), Connectivity::Eight)),
        raster: RasterOptions {
            memory: 256_000_000,
            ..RasterOptions::new(out_spec.clone())
        },
        classes_out: Some(out.path().join("classes.tif")),
        table: Some(out.path().join("areas.csv")),
        ..ChangeTask::new(
            Method::Index(Index::Ndvi),
            sample::scene_bands(&before),
            sample::scene_bands(&after),
            out_spec,
        )
    };
    // what the task reads and writes, checked before any work
    let files = change.files()?;
    println!(
        "reads {} files, writes {}",
        files.inputs.len(),
        files.outputs.len()
    );

    let meter = Meter::detect(&MeterConfig::default())?;
    let mut span = meter.span("raster-change");
    let results = change.run(&mut span, &Silent)?;
    print!("{}", results.text());
    for w in results.warnings() {
        println!("warning: {w}");
    }
    let changed_ha = results
        .change
        .classes
        .iter()
        .find(|c| c.class == 1)
        .map_or(0.0, |c| c.hectares);
    println!("changed: {changed_ha:.2} ha");
    for f in &files.outputs {
        assert!(f.exists(), "{} was not written", f.display());
    }

    // the demo's run: its own settings of the change kernel, in its own phase
    let demo = span.phase("demo", |s| task::demo::change(s, &data))?;
    assert!(
        (changed_ha - demo.changed_ha).abs() <= 0.01 * demo.changed_ha,
        "the task found {changed_ha} ha, the demo {} ha",
        demo.changed_ha
    );
    // the clearing: an ellipse of π·70·35 cells of 1 are with a ragged edge, partly clouded
    let ellipse_ha = std::f64::consts::PI * 70.0 * 35.0 / 100.0;
    assert!(
        (0.5 * ellipse_ha..1.2 * ellipse_ha).contains(&changed_ha),
        "the clearing is about {ellipse_ha:.0} ha, found {changed_ha} ha"
    );

    let report = EnergyReport::new(&meter, span.finish(), CarbonSettings::default(), None);
    println!("{}", report.line());
    Ok(())
}
