//! A CalTRACK daily baseline fitted on 2024 of the bundled sample meter, then the savings
//! of 2025 with their uncertainty, through the library (no command line).
//!
//! `cargo run --example caltrack_savings`
//!
//! The sample building (notebooks-data/meter-daily.csv, made by `terrawatt building
//! sample-meter --seed 0`) uses 10 % less from 2025-01-01: the savings should say so.

use std::path::Path;

use terrawatt::building::series::{Freq, TempUnit};
use terrawatt::building::tasks::{self, BaselineSettings, Inputs, SavingsSettings};
use terrawatt::meter::{CarbonSettings, EnergyReport, Meter, MeterConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data");
    let inputs = Inputs::new(
        data.join("meter-daily.csv"),
        data.join("temperature-hourly.csv.gz"),
        TempUnit::F,
    );
    let meter = Meter::detect(&MeterConfig::default())?;
    let mut span = meter.span("caltrack-savings");

    // the baseline period: 2024 (the meter's first year)
    let baseline = tasks::fit_baseline(
        &BaselineSettings {
            inputs: inputs.clone(),
            freq: Freq::Daily,
            start: None,
            end: Some("2025-01-01".into()),
            fit: Default::default(),
        },
        &mut span,
    )?;
    println!("model: {}", tasks::describe(&baseline.fitted.baseline));
    println!("{}", tasks::g14_line(&baseline.fitted.baseline));

    // the reporting period: 2025
    let run = tasks::savings(
        &SavingsSettings {
            model: baseline.fitted.baseline,
            inputs,
            start: "2025-01-01".into(),
            end: None,
            confidence: 0.9,
            allow_overlap: false,
        },
        &mut span,
    )?;
    let mut text = String::new();
    run.lines(&mut text);
    print!("{text}");
    let s = &run.savings;
    let share = s.fractional_savings.unwrap_or(f64::NAN);
    assert!(
        (0.05..0.15).contains(&share),
        "the sample building saves 10 %, measured {share}"
    );

    let report = EnergyReport::new(&meter, span.finish(), CarbonSettings::default(), None);
    println!("{}", report.line());
    Ok(())
}
