//! NREL's PVWatts hourly reference outputs (../shared/data/solar/pvwatts_8760_*.csv): the
//! file carries its system, the hourly beam, diffuse, ambient temperature and wind, and
//! PVWatts' plane-of-array irradiance, cell temperature, DC and AC output.

use std::path::PathBuf;

use terrawatt_solar::pv::{self, Fuentes};

#[path = "../../meter/tests/common.rs"]
mod common;

struct Pvw {
    tilt: f64,
    rows: Vec<[f64; 11]>,
}

fn read(path: &PathBuf) -> Pvw {
    let text = std::fs::read_to_string(path).unwrap();
    let mut tilt = f64::NAN;
    let mut rows = Vec::new();
    let mut data = false;
    for line in text.lines() {
        let f: Vec<&str> = line.split(',').collect();
        if f[0].starts_with("Array Tilt") {
            tilt = f[1].parse().unwrap();
        }
        if f[0] == "Month" {
            data = true;
            continue;
        }
        if data && f[0].parse::<f64>().is_ok() {
            let mut r = [0.0; 11];
            for (k, v) in f.iter().take(11).enumerate() {
                r[k] = v.trim().parse().unwrap();
            }
            rows.push(r);
        }
    }
    Pvw { tilt, rows }
}

#[test]
fn fuentes_cell_temperature_near_pvwatts() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    for (file, noct) in [
        ("pvwatts_8760_rackmount.csv", 45.0),
        ("pvwatts_8760_roofmount.csv", 49.0),
    ] {
        let p = read(&dir.join(file));
        assert_eq!(p.rows.len(), 8760);
        let poa: Vec<f64> = p.rows.iter().map(|r| r[7]).collect();
        let tamb: Vec<f64> = p.rows.iter().map(|r| r[5]).collect();
        let wind: Vec<f64> = p.rows.iter().map(|r| r[6]).collect();
        let t = pv::fuentes(
            &poa,
            &tamb,
            &wind,
            &[1.0; 8760],
            &Fuentes::pvwatts(noct, p.tilt),
        );
        let mut worst: f64 = 0.0;
        let mut sum = 0.0;
        let mut n = 0;
        for (i, r) in p.rows.iter().enumerate() {
            if r[7] > 0.0 {
                worst = worst.max((t[i] - r[8]).abs());
                sum += (t[i] - r[8]).abs();
                n += 1;
            }
        }
        let mean = sum / n as f64;
        eprintln!(
            "{file}: {n} daytime hours, cell temperature vs PVWatts: mean |Δ| {mean:.4} °C, largest {worst:.4} °C"
        );
        // Fuentes on PVWatts' own POA: close but not yet PVWatts' 0.01 °C (PVWatts feeds the
        // model its transmitted POA and treats sunrise/sunset hours apart; docs/solar.md)
        assert!(
            mean < 0.2 && worst < 2.0,
            "{file}: mean {mean}, largest {worst}"
        );
    }
}
