//! A small wind farm's year through the library (no command line): a farm file with two
//! fleets of generic turbines and a wind efficiency curve for the wakes, read by
//! `FarmPlan::from_toml_file`, simulated hour by hour by the farm task; then the same farm
//! without wakes, for the wake losses.
//!
//! `cargo run --example wind_farm`
//!
//! The weather (notebooks-data/wind-weather-sample.csv, made by `terrawatt wind
//! sample-weather --seed 0`) is a synthetic year with wind at 10 m and 80 m. The wake curve
//! written below is illustrative (not a published one): the hub-height wind speed is
//! reduced by up to 6 %, which costs the farm several per cent of its energy.

use std::path::Path;

use terrawatt::meter::{CarbonSettings, EnergyReport, FunctionalUnit, Meter, MeterConfig};
use terrawatt::wind::chain::ChainSettings;
use terrawatt::wind::farm::{FarmPlan, WakeLosses};
use terrawatt::wind::simulate::{self, FarmSettings};

/// The farm file (docs/wind.md); paths in it are relative to it.
const FARM: &str = r#"
name = "Example farm"

[[fleet]]
hub_height = 100
number_of_turbines = 4
generic = { rated_kw = 3600, rotor_diameter = 120, cut_in = 3, rated_speed = 12, cut_out = 25 }

[[fleet]]
hub_height = 80
number_of_turbines = 3
generic = { rated_kw = 2000, rotor_diameter = 90, cut_in = 3.5, rated_speed = 13, cut_out = 25 }

[wake]
model = "example_wake"       # a column of the curves file
curves = "wake-curves.csv"
"#;

/// A wind efficiency curve: hub-height wind speed (m/s) → the share the farm sees.
const WAKE_CURVES: &str = "wind_speed,example_wake
0,1.0
3,0.99
4,0.95
6,0.94
9,0.96
13,0.975
18,0.99
25,0.995
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let weather =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/wind-weather-sample.csv");
    let dir = tempfile::tempdir()?; // removed at the end
    let farm_file = dir.path().join("farm.toml");
    std::fs::write(&farm_file, FARM)?;
    std::fs::write(dir.path().join("wake-curves.csv"), WAKE_CURVES)?;
    // no turbine library: the fleets are generic turbines
    let plan = FarmPlan::from_toml_file(&farm_file, None)?;

    let settings = FarmSettings {
        weather,
        speed_unit: None, // m/s (a mean no site reaches is refused)
        farm_file,
        chain: ChainSettings::new(plan.farm.mean_hub_height()),
        plan,
        density_correction: false,
        out: None, // or Some(path): the hourly series as CSV
    };
    let meter = Meter::detect(&MeterConfig::default())?;
    let mut span = meter.span("wind-farm");
    let report = simulate::run_farm(&settings, &mut span)?;
    print!("{}", report.text());

    // the same farm without wakes
    let mut no_wakes = settings.clone();
    no_wakes.plan.settings.wake_losses = WakeLosses::None;
    let free = simulate::run_farm(&no_wakes, &mut span)?;
    let loss = 1.0 - report.totals.mwh / free.totals.mwh;
    println!(
        "without wakes {:.1} MWh: wake losses {:.1} % of the energy",
        free.totals.mwh,
        100.0 * loss
    );
    assert!(
        loss > 0.0 && loss < 0.30,
        "wake losses should be positive and below 30 %, computed {:.1} %",
        100.0 * loss
    );

    let turbine_years = report.plan.farm.number_of_turbines() * report.totals.years;
    let unit = FunctionalUnit::new("turbine-year", turbine_years);
    let energy = EnergyReport::new(
        &meter,
        span.finish(),
        CarbonSettings::default(),
        Some(&unit),
    );
    println!("{}", energy.line());
    Ok(())
}
