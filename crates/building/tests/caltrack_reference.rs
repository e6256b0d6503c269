//! Baselines and savings against the plain numpy implementation of docs/baselines.md
//! (tools/reference/caltrack_reference.py) on the eemeter sample meters, to 1e-6.

use std::path::Path;

use serde_json::Value;
use terrawatt_building::baseline::{self, FitSettings, Model};
use terrawatt_building::caltrack::GridSettings;
use terrawatt_building::series::{Freq, Meter, MeterOptions, TempUnit, Temperature, parse_stamp};

#[path = "../../meter/tests/common.rs"]
mod common;

fn fixture() -> Value {
    let text = include_str!("fixtures/caltrack_reference.json");
    serde_json::from_str(text).unwrap()
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    let scale = want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol * scale,
        "{what}: got {got}, reference {want} (|Δ| {:.3e})",
        (got - want).abs()
    );
}

fn opt(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn instant(v: &Value) -> i64 {
    parse_stamp(v.as_str().unwrap(), None).unwrap().t
}

fn run(case: &Value, dir: &Path, temp: &Temperature) {
    let name = case["case"].as_str().unwrap();
    let freq = Freq::parse(case["interval"].as_str().unwrap()).unwrap();
    let meter = Meter::read(
        &dir.join(case["meter_file"].as_str().unwrap()),
        freq,
        &MeterOptions::default(),
    )
    .unwrap();
    let mut settings = FitSettings {
        allow_insufficient: true,
        ..Default::default()
    };
    if let Some(step) = case.get("bp_grid").and_then(|g| g["step"].as_f64()) {
        settings.grid = GridSettings {
            step,
            ..Default::default()
        };
    }
    let b = &case["baseline_bounds"];
    let fitted = baseline::fit(
        &meter,
        temp,
        TempUnit::F,
        Some(instant(&b["start"])),
        Some(instant(&b["end"])),
        &settings,
    )
    .unwrap();
    let base = &fitted.baseline;
    // sufficiency
    let s = &case["baseline"]["sufficiency"];
    assert_eq!(
        base.sufficiency.qualified(),
        s["sufficient"].as_bool().unwrap(),
        "{name}"
    );
    close(
        &format!("{name} span"),
        base.sufficiency.span_days,
        s["span_days"].as_f64().unwrap(),
        1e-12,
    );
    close(
        &format!("{name} covered"),
        base.sufficiency.covered_fraction,
        s["covered_fraction"].as_f64().unwrap(),
        1e-12,
    );
    assert_eq!(
        base.masked.len() as u64,
        case["baseline"]["masked"]["count"].as_u64().unwrap(),
        "{name}"
    );
    // model
    let m = &case["model"];
    match &base.model {
        Model::DegreeDay(dd) => {
            let kind = serde_json::to_value(dd.kind).unwrap();
            assert_eq!(
                kind.as_str().unwrap(),
                m["type"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(dd.heating_balance_point, opt(&m["h"]), "{name}");
            assert_eq!(dd.cooling_balance_point, opt(&m["c"]), "{name}");
            close(
                &format!("{name} β0"),
                dd.intercept,
                m["beta0"].as_f64().unwrap(),
                1e-6,
            );
            if let Some(bh) = opt(&m["beta_h"]) {
                close(&format!("{name} βh"), dd.beta_hdd.unwrap(), bh, 1e-6);
            }
            if let Some(bc) = opt(&m["beta_c"]) {
                close(&format!("{name} βc"), dd.beta_cdd.unwrap(), bc, 1e-6);
            }
            close(
                &format!("{name} adj R²"),
                dd.adj_r2,
                m["adj_r2"].as_f64().unwrap(),
                1e-9,
            );
            let search = base.search.as_ref().unwrap();
            assert_eq!(
                search.candidates_fitted as u64,
                case["candidates"]["n_candidates"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                search.candidates_qualified as u64,
                case["candidates"]["n_qualified"].as_u64().unwrap(),
                "{name}"
            );
        }
        Model::Towt(t) => {
            for (i, want) in m["months"].as_array().unwrap().iter().enumerate() {
                let got = t.months[i].as_ref().unwrap();
                let occ: Vec<bool> = want["occupied"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_bool().unwrap())
                    .collect();
                assert_eq!(got.occupied, occ, "{name} month {}", i + 1);
                let e = |k: &str| -> Vec<f64> {
                    want["endpoints"][k]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect()
                };
                assert_eq!(
                    got.endpoints_occupied,
                    e("occupied"),
                    "{name} month {}",
                    i + 1
                );
                assert_eq!(
                    got.endpoints_unoccupied,
                    e("unoccupied"),
                    "{name} month {}",
                    i + 1
                );
                let how = want["coefficients"]["hour_of_week"].as_array().unwrap();
                for (h, w) in how.iter().enumerate() {
                    close(
                        &format!("{name} month {} how {h}", i + 1),
                        got.hour_of_week[h].unwrap_or(0.0),
                        w.as_f64().unwrap(),
                        1e-6,
                    );
                }
                for (k, w) in want["coefficients"]["occupied"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                {
                    close(
                        &format!("{name} month {} occ {k}", i + 1),
                        got.beta_occupied[k],
                        w.as_f64().unwrap(),
                        1e-6,
                    );
                }
                for (k, w) in want["coefficients"]["unoccupied"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                {
                    close(
                        &format!("{name} month {} unocc {k}", i + 1),
                        got.beta_unoccupied[k],
                        w.as_f64().unwrap(),
                        1e-6,
                    );
                }
            }
        }
    }
    // fitted values
    let want_fit = case["baseline"]["fitted"]["fitted"].as_array().unwrap();
    assert_eq!(fitted.fitted.len(), want_fit.len(), "{name}");
    for (i, (g, w)) in fitted.fitted.iter().zip(want_fit).enumerate() {
        close(&format!("{name} fitted {i}"), *g, w.as_f64().unwrap(), 1e-6);
    }
    // Guideline 14
    let g = &case["g14"];
    assert_eq!(base.fit.n as u64, g["n"].as_u64().unwrap(), "{name}");
    assert_eq!(base.fit.n_params as u64, g["p"].as_u64().unwrap(), "{name}");
    close(
        &format!("{name} CV(RMSE)"),
        base.fit.cv_rmse,
        g["cvrmse"].as_f64().unwrap(),
        1e-9,
    );
    close(
        &format!("{name} NMBE"),
        base.fit.nmbe,
        g["nmbe"].as_f64().unwrap(),
        1e-9,
    );
    close(
        &format!("{name} R²"),
        base.fit.r2,
        g["r2"].as_f64().unwrap(),
        1e-9,
    );
    close(
        &format!("{name} ρ"),
        base.fit.lag1_autocorrelation,
        g["rho"].as_f64().unwrap(),
        1e-9,
    );
    // savings
    let r = &case["reporting_bounds"];
    let (sv, rows) = baseline::savings(
        base,
        &meter,
        temp,
        Some(instant(&r["start"])),
        Some(instant(&r["end"])),
        0.90,
    )
    .unwrap();
    let want_pred = case["reporting"]["predictions"]["predicted"]
        .as_array()
        .unwrap();
    let want_start = case["reporting"]["predictions"]["start"]
        .as_array()
        .unwrap();
    if want_pred.len() == rows.len() {
        for (i, (row, w)) in rows.iter().zip(want_pred).enumerate() {
            assert_eq!(
                row.start,
                instant(&want_start[i]),
                "{name} reporting start {i}"
            );
            close(
                &format!("{name} predicted {i}"),
                row.predicted,
                w.as_f64().unwrap(),
                1e-6,
            );
        }
    }
    let w = &case["savings"];
    close(
        &format!("{name} predicted"),
        sv.predicted_total,
        w["predicted_total"].as_f64().unwrap(),
        1e-6,
    );
    close(
        &format!("{name} observed"),
        sv.observed_total,
        w["observed_total"].as_f64().unwrap(),
        1e-9,
    );
    close(
        &format!("{name} F"),
        sv.fractional_savings.unwrap(),
        w["fractional_savings"].as_f64().unwrap(),
        1e-6,
    );
    assert_eq!(sv.m as u64, w["m"].as_u64().unwrap(), "{name}");
    close(
        &format!("{name} M"),
        sv.months,
        w["M"].as_f64().unwrap(),
        1e-9,
    );
    close(
        &format!("{name} n′"),
        sv.n_prime,
        w["n_prime"].as_f64().unwrap(),
        1e-6,
    );
    close(
        &format!("{name} t"),
        sv.t.unwrap(),
        w["t"].as_f64().unwrap(),
        1e-9,
    );
    close(
        &format!("{name} fsu"),
        sv.fsu.unwrap(),
        w["fsu"].as_f64().unwrap(),
        1e-6,
    );
    close(
        &format!("{name} fsu_g14"),
        sv.fsu_g14.unwrap(),
        w["fsu_g14"].as_f64().unwrap(),
        1e-6,
    );
    close(
        &format!("{name} band"),
        sv.avoided_uncertainty.unwrap(),
        w["avoided_band"].as_f64().unwrap(),
        1e-6,
    );
}

#[test]
fn equals_the_reference_implementation() {
    let Some(dir) = common::reference_data("building") else {
        return;
    };
    let temp =
        Temperature::read(&dir.join("il-tempF.csv.gz"), TempUnit::F, None, None, None).unwrap();
    let fx = fixture();
    for case in fx["cases"].as_array().unwrap() {
        run(case, &dir, &temp);
    }
}
