//! A year of PV output through the library (no command line): a 5 kWp array at 30° facing
//! south on the bundled weather year, from weather to plane of array, cell temperature,
//! PVWatts DC and AC, with its annual energy, specific yield and capacity factor.
//!
//! `cargo run --example pv_year`
//!
//! The weather (notebooks-data/weather-sample.csv, made by `terrawatt solar sample-weather
//! --seed 0`) is a synthetic PVGIS typical year at 43.6° N, 1.44° E (Toulouse): a well
//! placed array there yields 1,100 to 1,600 kWh per kWp in a year.

use std::path::{Path, PathBuf};

use terrawatt::meter::{CarbonSettings, EnergyReport, FunctionalUnit, Meter, MeterConfig};
use terrawatt::solar::system::System;
use terrawatt::solar::tasks::simulate::{self, Settings, WeatherSource};
use terrawatt::solar::weather::Label;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let weather: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/weather-sample.csv");
    // 5 kWp at 30° facing south, the other settings PVWatts-like (the same as a system
    // file's `[array]` of kwp, tilt and azimuth); the site is the weather file's
    let system = System::pvwatts(5.0, 30.0, 180.0)?;

    let settings = Settings {
        weather: WeatherSource::File(weather), // the format is recognised (PVGIS TMY CSV)
        year: 2019,
        system: system.into(),
        system_path: None, // built in code, not read from a file
        at: Label::Centre,
        delta_t: 69.0,
        fill_gaps: None,
        allow_partial: false,
        allow_clock_shift: false,
        allow_open_closure: false,
        allow_dim_sky: false,
        out: None, // or Some(path): every interval as CSV
    };
    let meter = Meter::detect(&MeterConfig::default())?;
    let mut span = meter.span("pv-year");
    let report = simulate::run(&settings, &mut span)?;
    print!("{}", report.text());

    let sim = &report.simulation;
    assert!(report.whole, "the sample is a whole typical year");
    assert!(
        (1100.0..1600.0).contains(&sim.specific_yield),
        "a 30° south array at 43.6° N yields 1,100–1,600 kWh/kWp, computed {:.0}",
        sim.specific_yield
    );

    let unit = FunctionalUnit::new("site-year", sim.hours / 8766.0);
    let report = EnergyReport::new(
        &meter,
        span.finish(),
        CarbonSettings::default(),
        Some(&unit),
    );
    println!("{}", report.line());
    Ok(())
}
