//! Weather readers against pvlib 0.16.1's iotools on the files in ../shared/data/solar
//! (tools/reference/pvlib_readers.py): every value, summed per column, and the first
//! records.

use serde_json::Value;
use terrawatt_solar::weather;

#[path = "../../meter/tests/common.rs"]
mod common;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/pvlib_readers.json")).unwrap()
}

fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {got} vs pvlib {want}"
    );
}

#[test]
fn tmy2_equals_pvlib_in_si_units() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    let fx = fixture();
    let f = &fx["files"]["12839.tm2"];
    let st = &f["stats"];
    let w = weather::read_tmy2(&dir.join("12839.tm2"), 1962).unwrap();
    assert_eq!(w.len(), 8760);
    let m = &f["metadata"];
    close("latitude", w.latitude, m["latitude"].as_f64().unwrap());
    close("longitude", w.longitude, m["longitude"].as_f64().unwrap());
    close("altitude", w.altitude, m["altitude"].as_f64().unwrap());
    assert_eq!(w.offset, -5 * 3600);
    // pvlib's index labels the start of each hour: the same instants as our interval starts
    let first = chrono::DateTime::parse_from_rfc3339(f["index"]["first3"][0].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert_eq!(w.times[0], first);
    assert_eq!(w.label, weather::Label::End);
    assert!(w.missing.is_empty(), "{:?}", w.missing);
    for (ours, col, scale) in [
        (&w.ghi, "GHI", 1.0),
        (&w.dni, "DNI", 1.0),
        (&w.dhi, "DHI", 1.0),
        (&w.temp_air, "DryBulb", 0.1),
        (&w.temp_dew, "DewPoint", 0.1),
        (&w.pressure, "Pressure", 100.0),
        (&w.wind_speed, "Wspd", 0.1),
    ] {
        close(col, sum(ours), st[col]["sum"].as_f64().unwrap() * scale);
        for (k, v) in st[col]["first5"].as_array().unwrap().iter().enumerate() {
            close(col, ours[k], v.as_f64().unwrap() * scale);
        }
    }
}

#[test]
fn pvgis_tmy_equals_pvlib() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    let fx = fixture();
    let f = &fx["files"]["tmy_45.000_8.000_2005_2023.csv"];
    let st = &f["stats"];
    let w = weather::read_pvgis_tmy(&dir.join("tmy_45.000_8.000_2005_2023.csv"), 1990).unwrap();
    assert_eq!(w.len(), 8760);
    assert_eq!((w.latitude, w.longitude, w.altitude), (45.0, 8.0, 250.0));
    // ordered within one year, hour by hour
    assert!(w.times.windows(2).all(|p| p[1] - p[0] == 3600));
    for (ours, col) in [
        (&w.ghi, "ghi"),
        (&w.dni, "dni"),
        (&w.dhi, "dhi"),
        (&w.temp_air, "temp_air"),
        (&w.wind_speed, "wind_speed"),
        (&w.pressure, "pressure"),
    ] {
        close(col, sum(ours), st[col]["sum"].as_f64().unwrap());
        // pvlib keeps the file's order, which starts with January: the first records agree
        for (k, v) in st[col]["first5"].as_array().unwrap().iter().enumerate() {
            close(col, ours[k], v.as_f64().unwrap());
        }
    }
}

#[test]
fn formats_are_recognised_and_others_refused() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    for (file, format) in [
        ("723170TYA.CSV", "TMY3"),
        ("12839.tm2", "TMY2"),
        ("tmy_45.000_8.000_2005_2023.csv", "PVGIS TMY"),
    ] {
        assert_eq!(
            weather::read_auto(&dir.join(file), 1990).unwrap().format,
            format
        );
    }
    let e = weather::read_auto(&dir.join("pvwatts_8760_rackmount.csv"), 1990)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("pvwatts_8760_rackmount.csv") && e.contains("not a weather format"),
        "{e}"
    );
}
