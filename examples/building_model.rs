//! A building load model fitted with the green choice, through the library (no command
//! line): every model family cross-validated on the bundled sample buildings, its training
//! and inference energy measured by the meter, and the cheapest model within 5 % of the
//! best MAE picked.
//!
//! `cargo run --example building_model`
//!
//! The sample buildings (notebooks-data/buildings.csv, made by `terrawatt building sample
//! --rows 400 --seed 0`) have a heating load from a degree-day heat balance: products of
//! U-values, areas and degree days that a straight line cannot follow, so the picked model
//! should beat ordinary least squares.

use std::path::Path;

use terrawatt::building::load_tasks::{self, Data, FitSettings};
use terrawatt::meter::{CarbonSettings, EnergyReport, FunctionalUnit, Meter, MeterConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/buildings.csv");
    let settings = FitSettings {
        model: None, // the green choice over every family
        folds: 5,
        ..FitSettings::new(Data {
            path: data.clone(),
            target: Some("heating_kwh_m2".into()),
            features: None,
            exclude: vec!["cooling_kwh_m2".into()],
            drop_missing: false,
        })
    };
    let meter = Meter::detect(&MeterConfig::default())?;
    let mut span = meter.span("building-model");
    let fitted = load_tasks::fit(&settings, &mut span, |name| {
        eprintln!("cross-validating {name}")
    })?;
    print!("{}", fitted.table_text());

    let picked = fitted
        .candidates
        .iter()
        .find(|c| c.picked)
        .expect("one picked");
    let ols = fitted
        .candidates
        .iter()
        .find(|c| c.name == "ols")
        .expect("OLS is a candidate");
    assert!(
        picked.mae < ols.mae,
        "the picked model ({}, CV MAE {:.3}) should beat OLS (CV MAE {:.3})",
        picked.name,
        picked.mae,
        ols.mae
    );
    println!(
        "picked {}: CV MAE {:.3} against OLS's {:.3} kWh/m²",
        picked.name, picked.mae, ols.mae
    );

    let unit = FunctionalUnit::new("1,000 predictions", fitted.rows as f64 / 1000.0);
    let report = EnergyReport::new(
        &meter,
        span.finish(),
        CarbonSettings::default(),
        Some(&unit),
    );
    println!("{}", report.line());
    Ok(())
}
