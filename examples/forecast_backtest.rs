//! A rolling-origin backtest of 1-hour-ahead PV forecasts through the library (no command
//! line): the bundled 15-minute power series with the clear sky of its site, a boosted
//! direct multi-horizon model with a 10–90 % band (conformalised quantile regression),
//! refitted daily on the 30 days before, over the first week of June 2024, scored per
//! horizon against persistence and climatology.
//!
//! `cargo run --example forecast_backtest`
//!
//! The series (notebooks-data/pv-power-15min.csv.gz, made by `terrawatt forecast sample-pv
//! --seed 0`) is a 5 kWp array at 43.6° N whose clear-sky index has a day-to-day regime and
//! 15-minute variability: a model that knows the clear sky should beat persistence an hour
//! ahead.

use std::path::Path;

use terrawatt::forecast::task::{self, BacktestSettings, DataSettings, Prepared};
use terrawatt::meter::{CarbonSettings, EnergyReport, FunctionalUnit, Meter, MeterConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/pv-power-15min.csv.gz");
    // the command line's defaults for 15-minute data forecast 1 h ahead, then what differs
    let settings = DataSettings {
        site: Some(terrawatt::forecast::sample::SITE), // the clear sky as a feature
        capacity: Some(5000.0),                        // W
        quantiles: vec![0.1, 0.9],
        ..DataSettings::new(&data, "ac_power", "15min", "1h")?.train_window("30d")?
    };
    let meter = Meter::detect(&MeterConfig::default())?;
    let mut span = meter.span("forecast-backtest");
    let prepared = Prepared::load(&settings, &mut span)?;

    let first = prepared
        .series
        .index_of(1_717_200_000) // 2024-06-01T00:00:00Z
        .ok_or("the sample reaches June 2024")?;
    let per_day = prepared.inputs.steps_per_day;
    let backtest = BacktestSettings::new("1d", prepared.series.step, first, first + 7 * per_day)?;
    let report = task::backtest(&prepared, &backtest, &mut span)?;
    print!("{}", report.text(&prepared));

    let hour = report.per_horizon.last().expect("a horizon");
    let skill = hour
        .references
        .iter()
        .find(|r| r.name == "persistence")
        .expect("persistence is a reference")
        .skill;
    println!("skill against persistence 1 h ahead: {skill:.3}");
    assert!(
        skill > 0.0,
        "the model should beat persistence 1 h ahead, skill {skill}"
    );

    let forecasts = report.backtest.pairs.len() as f64;
    let unit = FunctionalUnit::new("1,000 forecasts", forecasts / 1000.0);
    let energy = EnergyReport::new(
        &meter,
        span.finish(),
        CarbonSettings::default(),
        Some(&unit),
    );
    println!("{}", energy.line());
    Ok(())
}
