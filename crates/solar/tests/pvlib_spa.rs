//! NREL SPA against the paper's example and pvlib 0.16.1's `spa_python(how='numpy')` at
//! 5 sites × 2,000 instants over 2015–2025 (tools/reference/pvlib_spa.py).

use serde_json::Value;
use terrawatt_solar::spa::{self, Site};

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/pvlib_spa.json")).unwrap()
}

fn unix(s: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp() as f64
}

#[test]
fn the_papers_example_and_pvlibs_values() {
    let fx = fixture();
    let ex = &fx["paper_example"];
    let i = &ex["inputs"];
    let site = Site {
        latitude: i["latitude"].as_f64().unwrap(),
        longitude: i["longitude"].as_f64().unwrap(),
        elevation: i["elevation_m"].as_f64().unwrap(),
        pressure: i["pressure_mbar"].as_f64().unwrap(),
        temperature: i["temperature_c"].as_f64().unwrap(),
        refraction: i["atmos_refract_deg"].as_f64().unwrap(),
    };
    let tt = spa::time_terms(
        unix(i["utc_time"].as_str().unwrap()),
        i["delta_t_s"].as_f64().unwrap(),
    );
    let p = spa::position(&tt, &site);
    // the paper's Table A5.1, to its printed digits
    let paper = &ex["paper"];
    assert!((p.apparent_zenith - paper["zenith"].as_f64().unwrap_or(50.11162)).abs() < 1e-5);
    assert!((p.azimuth - 194.34024).abs() < 1e-5);
    assert!((tt.l - 24.018_261_691_7).abs() < 1e-9);
    assert!((tt.r - 0.996_542_297_4).abs() < 1e-10);
    // pvlib, to 1e-7°
    let pv = &ex["pvlib"];
    for (name, got) in [
        ("apparent_zenith", p.apparent_zenith),
        ("zenith", p.zenith),
        ("apparent_elevation", p.apparent_elevation),
        ("elevation", p.elevation),
        ("azimuth", p.azimuth),
        ("equation_of_time", p.equation_of_time),
    ] {
        let want = pv[name].as_f64().unwrap();
        assert!((got - want).abs() < 1e-7, "{name}: {got} vs pvlib {want}");
    }
}

#[test]
fn five_sites_over_ten_years_agree_with_pvlib() {
    let fx = fixture();
    let spec = &fx["sites_spec"];
    let pressure = spec["pressure_pa"].as_f64().unwrap() / 100.0;
    let temperature = spec["temperature_c"].as_f64().unwrap();
    let delta_t = spec["delta_t_s"].as_f64().unwrap();
    let mut worst: f64 = 0.0;
    for s in fx["sites"].as_array().unwrap() {
        let site = Site {
            latitude: s["latitude"].as_f64().unwrap(),
            longitude: s["longitude"].as_f64().unwrap(),
            elevation: s["altitude_m"].as_f64().unwrap(),
            pressure,
            temperature,
            refraction: 0.5667,
        };
        let times: Vec<f64> = s["time"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| unix(t.as_str().unwrap()))
            .collect();
        let pos = spa::positions(&times, &[site], delta_t).remove(0);
        for name in [
            "apparent_zenith",
            "zenith",
            "apparent_elevation",
            "elevation",
            "azimuth",
            "equation_of_time",
        ] {
            let want = s[name].as_array().unwrap();
            for (k, p) in pos.iter().enumerate() {
                let got = match name {
                    "apparent_zenith" => p.apparent_zenith,
                    "zenith" => p.zenith,
                    "apparent_elevation" => p.apparent_elevation,
                    "elevation" => p.elevation,
                    "azimuth" => p.azimuth,
                    _ => p.equation_of_time,
                };
                let w = want[k].as_f64().unwrap();
                // azimuth wraps at 0/360
                let mut d = (got - w).abs();
                if name == "azimuth" {
                    d = d.min(360.0 - d);
                }
                worst = worst.max(d);
                assert!(
                    d < 1e-7,
                    "{} {name} at {}: {got} vs pvlib {w}",
                    s["name"],
                    s["time"][k]
                );
            }
        }
    }
    eprintln!("largest difference from pvlib: {worst:.2e}°");
}

#[test]
fn sunrise_transit_sunset_agree_with_pvlib() {
    let fx: Value = serde_json::from_str(include_str!("fixtures/pvlib_irradiance.json")).unwrap();
    let rst = &fx["sun_rise_set_transit"];
    let delta_t = rst["delta_t"].as_f64().unwrap();
    let mut worst: f64 = 0.0;
    let mut polar = 0;
    for site in rst["sites"].as_array().unwrap() {
        let (lat, lon) = (
            site["latitude"].as_f64().unwrap(),
            site["longitude"].as_f64().unwrap(),
        );
        for day in site["days"].as_array().unwrap() {
            let start = unix(&format!("{}T00:00:00Z", day["date_utc"].as_str().unwrap()));
            let got = spa::rise_set_transit_ut(start, lat, lon, delta_t);
            let t = day["transit_unix"].as_f64().unwrap();
            worst = worst.max((got.transit - t).abs());
            for (g, key) in [(got.sunrise, "sunrise_unix"), (got.sunset, "sunset_unix")] {
                match (g, day[key].as_f64()) {
                    (Some(g), Some(w)) => worst = worst.max((g - w).abs()),
                    (None, None) => polar += 1,
                    (g, w) => panic!(
                        "{} {}: {key} {g:?} vs pvlib {w:?}",
                        site["name"], day["date_utc"]
                    ),
                }
            }
        }
    }
    // float seconds of the day × 86,400 at Unix magnitudes resolve ~1e-5 s
    assert!(worst < 1e-4, "largest difference {worst} s");
    eprintln!("sunrise/transit/sunset: largest difference from pvlib {worst:.1e} s");
    assert_eq!(polar, 32, "McMurdo's polar days and nights");
}
