//! Meters a workload of its own with nested spans and prints the report.
//!
//! `cargo run --release --example meter_workload`
//!
//! The workload is the demo's: synthetic hourly temperature at 200 sites for 10 years,
//! reduced to daily means, then degree days at 35 balance points. The task opens a span;
//! `weather` and `degree-days` are its phases; the SCI unit is the site-year.

use terrawatt::meter::{CarbonSettings, EnergyReport, FunctionalUnit, GridIntensity, Meter};
use terrawatt::workload;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let meter = Meter::detect(&Default::default())?;
    let (sites, years, seed) = (200, 10, 0);
    let grid = workload::balance_grid(10.0, 27.0, 0.5);

    let mut task = meter.span("example");
    let daily = task.phase("weather", |_| {
        workload::all_daily_means(seed, sites, years * 365)
    });
    let dd = task.phase("degree-days", |_| workload::all_degree_days(&daily, &grid));
    let record = task.finish();

    let carbon = CarbonSettings {
        grid: GridIntensity::country("DE")?,
        ..Default::default()
    };
    let unit = FunctionalUnit::new("site-year", (sites * years) as f64);
    let report = EnergyReport::new(&meter, record, carbon, Some(&unit));
    let hdd18: f64 = dd.iter().map(|s| s[16].0).sum::<f64>() / (sites * years) as f64;
    println!("mean HDD at 18 °C: {hdd18:.1} K·d per site-year");
    for phase in &report.span.children {
        println!(
            "{:<12} {:.3} s wall, {:.3} s CPU, {:.2} J",
            phase.name,
            phase.wall_s,
            phase.cpu_s(),
            phase.energy.joules
        );
    }
    println!("{}", serde_json::to_string_pretty(&report.footprint)?);
    println!("{}", report.line());
    Ok(())
}
