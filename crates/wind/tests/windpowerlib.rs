//! The wind chain against windpowerlib's ModelChain on its example weather year with the
//! E-126/4200 at 135 m (tools/reference/windpowerlib_modelchain.py).

use std::path::PathBuf;

use terrawatt_wind::chain::{self, ChainSettings};
use terrawatt_wind::turbine::oedb_power_curve;
use terrawatt_wind::weather::WindWeather;

#[path = "../../meter/tests/common.rs"]
mod common;

fn data() -> Option<PathBuf> {
    common::reference_data("wind")
}

#[test]
fn annual_energy_with_the_modelchain_defaults() {
    let Some(dir) = data() else {
        return;
    };
    let w = WindWeather::read(&dir.join("example_weather.csv")).unwrap();
    assert_eq!(w.times.len(), 8760);
    let curve = oedb_power_curve(&dir.join("power_curves.csv"), "E-126/4200").unwrap();
    assert_eq!(curve.nominal(), 4_200_000.0);
    let hours = chain::run(&w, &curve, &ChainSettings::new(135.0)).unwrap();
    let mwh: f64 = hours.iter().map(|h| h.power).sum::<f64>() / 1e6;
    eprintln!("annual energy {mwh:.4} MWh");
    // windpowerlib's figure for this case (issue 6): 11,591.9 MWh
    assert!((mwh - 11_591.9).abs() / 11_591.9 < 1e-4, "{mwh}");
}
