//! How well BFAST Monitor finds drops it is known to contain: synthetic stacks (64 × 64
//! pixels, 8 years of 23 dates, half the pixels with a drop of 0.15–0.40 NDVI at a random
//! date in the last three years) at three noise levels and three cloud shares, each run
//! through the stack task with bfastmonitor's defaults (ROC history, three harmonics, h 0.25,
//! level 0.05); the breaks compared with the truth pixel by pixel.
//!
//! `cargo run --release --example breaks_detection`
//!
//! Prints a Markdown table (docs/benchmarks.md keeps it): per noise and cloud share, the
//! share of drops found at or after their date, missed, and flagged before it; the false
//! alarms on pixels without a drop; the delay of the found ones in days (median and 90th
//! percentile). Checks that with little noise and no clouds nearly every drop is found.

use terrawatt::meter::{Meter, MeterConfig};
use terrawatt::raster::series::sample::StackSpec;
use terrawatt::raster::task::{BreaksStackTask, RasterTask, SampleStackTask, Silent, StackInput};

fn band(path: &std::path::Path, i: usize) -> Result<Vec<f32>, Box<dyn std::error::Error>> {
    let ds = gdal::Dataset::open(path)?;
    let (w, h) = ds.raster_size();
    Ok(ds
        .rasterband(i)?
        .read_as::<f32>((0, 0), (w, h), (w, h), None)?
        .data()
        .to_vec())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let meter = Meter::detect(&MeterConfig::model_only())?;
    let mut span = meter.span("breaks detection");
    println!(
        "| noise (NDVI sd) | clouds | drops found | missed | flagged early | false alarms | delay median (days) | delay p90 (days) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for noise in [0.02, 0.05, 0.10] {
        for cloud in [0.0, 0.3, 0.6] {
            let dir = tempfile::tempdir()?;
            let spec = StackSpec {
                noise,
                cloud,
                ..StackSpec::default()
            };
            SampleStackTask {
                out_dir: dir.path().to_path_buf(),
                spec: spec.clone(),
            }
            .run(&mut span, &Silent)?;
            let out = dir.path().join("breaks.tif");
            BreaksStackTask::new(
                StackInput::bands(
                    dir.path().join("stack.tif"),
                    dir.path().join("dates.csv"),
                    0.0001,
                ),
                &format!("{}-01-01", spec.monitor_year),
                &out,
            )
            .run(&mut span, &Silent)?;
            let found = band(&out, 1)?;
            let (mut hit, mut missed, mut early, mut alarms, mut stable) = (0, 0, 0, 0, 0);
            let mut delays = Vec::new();
            for (p, b) in found.iter().enumerate() {
                match (spec.truth(p), b.is_nan()) {
                    (Some(_), true) => missed += 1,
                    (Some((when, _)), false) if f64::from(*b) >= when - 1e-4 => {
                        hit += 1;
                        delays.push((f64::from(*b) - when) * 365.25);
                    }
                    (Some(_), false) => early += 1,
                    (None, nan) => {
                        stable += 1;
                        alarms += usize::from(!nan);
                    }
                }
            }
            delays.sort_by(f64::total_cmp);
            let drops = (hit + missed + early) as f64;
            let pct = |k: usize, of: f64| 100.0 * k as f64 / of;
            let q = |f: f64| {
                delays
                    .get(((delays.len() as f64 - 1.0) * f) as usize)
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            println!(
                "| {noise:.2} | {:.0} % | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.0} | {:.0} |",
                cloud * 100.0,
                pct(hit, drops),
                pct(missed, drops),
                pct(early, drops),
                pct(alarms, stable as f64),
                q(0.5),
                q(0.9)
            );
            if noise == 0.02 && cloud == 0.0 {
                assert!(
                    pct(hit, drops) > 90.0,
                    "only {hit} of {drops} clear drops found"
                );
            }
        }
    }
    drop(span);
    Ok(())
}
