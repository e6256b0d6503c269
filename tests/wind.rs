//! End-to-end tests of `terrawatt wind simulate`.

use std::path::Path;
use std::process::{Command, Output};

#[path = "../crates/meter/tests/common.rs"]
mod common;

fn terrawatt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_terrawatt"))
        .args(args)
        .env_remove("TERRAWATT_COUNTRY")
        .env_remove("TERRAWATT_TURBINE_LIBRARY")
        .output()
        .expect("the binary runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn e126_at_135_m_and_bad_inputs() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("r.json");
    let series = tmp.path().join("s.csv");
    let weather = dir.join("example_weather.csv");
    let o = terrawatt(&[
        "--report",
        s(&rep),
        "wind",
        "simulate",
        "--weather",
        s(&weather),
        "--turbine",
        "E-126/4200",
        "--turbine-library",
        s(&dir),
        "--hub-height",
        "135",
        "--out",
        s(&series),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    let mwh = r["results"]["annual_energy_mwh"].as_f64().unwrap();
    // windpowerlib 0.2.2: 11,591.901465953624 MWh
    assert!((mwh - 11_591.901_465_953_624).abs() < 1e-6, "{mwh}");
    assert_eq!(
        std::fs::read_to_string(&series).unwrap().lines().count(),
        8761
    );
    // a user's power curve: the library's E-126/4200 written as a CSV gives the same year
    let curve = tmp.path().join("curve.csv");
    let mut text = String::from("wind_speed,value\n");
    for (v, p) in (1..=25).zip([
        0.0, 0.0, 58e3, 185e3, 400e3, 745e3, 1200e3, 1790e3, 2450e3, 3120e3, 3660e3, 4000e3,
        4150e3, 4200e3, 4200e3, 4200e3, 4200e3, 4200e3, 4200e3, 4200e3, 4200e3, 4200e3, 4200e3,
        4200e3, 4200e3,
    ]) {
        text.push_str(&format!("{v},{p}\n"));
    }
    std::fs::write(&curve, text).unwrap();
    let rep2 = tmp.path().join("r2.json");
    let o = terrawatt(&[
        "--report",
        s(&rep2),
        "wind",
        "simulate",
        "--weather",
        s(&weather),
        "--power-curve",
        s(&curve),
        "--hub-height",
        "135",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep2).unwrap()).unwrap();
    assert!((r2["results"]["annual_energy_mwh"].as_f64().unwrap() - mwh).abs() < 1e-6);
    // bad inputs: unknown turbine (similar names listed), no library, bad hub height
    let e = |args: &[&str]| {
        let o = terrawatt(args);
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let msg = e(&[
        "wind",
        "simulate",
        "--weather",
        s(&weather),
        "--turbine",
        "E-999",
        "--turbine-library",
        s(&dir),
        "--hub-height",
        "135",
    ]);
    assert!(
        msg.contains("no turbine type 'E-999'") && msg.contains("E-126/4200"),
        "{msg}"
    );
    let msg = e(&[
        "wind",
        "simulate",
        "--weather",
        s(&weather),
        "--turbine",
        "E-126/4200",
        "--hub-height",
        "135",
    ]);
    assert!(msg.contains("--turbine-library"), "{msg}");
    let msg = e(&[
        "wind",
        "simulate",
        "--weather",
        s(&weather),
        "--power-curve",
        s(&curve),
        "--hub-height",
        "-5",
    ]);
    assert!(msg.contains("--hub-height"), "{msg}");
    assert!(msg.lines().last().unwrap().starts_with("energy "));
}
