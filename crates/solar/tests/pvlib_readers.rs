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

fn epw_psm3() -> Value {
    serde_json::from_str(include_str!("fixtures/pvlib_epw_psm3.json")).unwrap()
}

fn fixture_path(name: &str) -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn epw_equals_pvlib_with_missing_codes_as_nan() {
    // an EPW written from the Greensboro TMY3 year (tools/reference/pvlib_epw_psm3.py), one
    // GHI set to the missing code 9999
    let fx = epw_psm3();
    let f = &fx["files"]["greensboro.epw"];
    let w = weather::read_epw(&fixture_path("greensboro.epw.gz"), 1990).unwrap();
    assert_eq!(w.len(), 8760);
    assert_eq!(
        (w.latitude, w.longitude, w.altitude, w.offset),
        (36.1, -79.95, 273.0, -5 * 3600)
    );
    // pvlib labels EPW hours by their start: the same instants as our interval starts
    let first = chrono::DateTime::parse_from_rfc3339(f["index"]["first3"][0].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert_eq!(w.times[0], first);
    assert_eq!(w.label, weather::Label::End);
    // pvlib keeps 9999 as a number; here it is missing and counted
    assert!(w.ghi[4000].is_nan());
    assert_eq!(w.missing, vec![("ghi".to_string(), 1)]);
    let st = &f["stats"];
    let finite_sum = |v: &[f64]| v.iter().filter(|x| !x.is_nan()).sum::<f64>();
    close(
        "ghi",
        finite_sum(&w.ghi),
        st["ghi"]["sum"].as_f64().unwrap() - 9999.0,
    );
    for (ours, col) in [
        (&w.dni, "dni"),
        (&w.dhi, "dhi"),
        (&w.temp_air, "temp_air"),
        (&w.temp_dew, "temp_dew"),
        (&w.pressure, "pressure"),
        (&w.wind_speed, "wind_speed"),
    ] {
        close(col, sum(ours), st[col]["sum"].as_f64().unwrap());
        close(col, ours[4000], st[col]["at_row_4000"].as_f64().unwrap());
    }
}

#[test]
fn psm3_equals_pvlib() {
    let fx = epw_psm3();
    let f = &fx["files"]["greensboro_psm3.csv"];
    let w = weather::read_auto(&fixture_path("greensboro_psm3.csv.gz"), 1990).unwrap();
    assert_eq!(w.format, "NSRDB PSM3");
    assert_eq!(w.len(), 8760);
    assert_eq!(w.interval, 3600);
    let first = chrono::DateTime::parse_from_rfc3339(f["index"]["first3"][0].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert_eq!(w.times[0], first);
    let st = &f["stats"];
    for (ours, col, scale) in [
        (&w.ghi, "ghi", 1.0),
        (&w.dni, "dni", 1.0),
        (&w.dhi, "dhi", 1.0),
        (&w.temp_air, "temp_air", 1.0),
        (&w.temp_dew, "temp_dew", 1.0),
        (&w.pressure, "pressure", 100.0),
        (&w.wind_speed, "wind_speed", 1.0),
    ] {
        close(col, sum(ours), st[col]["sum"].as_f64().unwrap() * scale);
        close(
            col,
            ours[4000],
            st[col]["at_row_4000"].as_f64().unwrap() * scale,
        );
    }
}
