//! Irradiance, temperature and PVWatts models against pvlib 0.16.1 on the Greensboro TMY3
//! year (every fifth hour of 8,760; tools/reference/pvlib_irradiance.py): within 1e-6
//! relative (absolute below 1 W/m², 1e-6 °C), NaN where pvlib gives NaN.

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, Datelike};
use terrawatt_solar::irradiance::{self as irr, AirmassModel};
use terrawatt_solar::pv::{self, Losses, SapmParams};
use terrawatt_solar::spa::{self, Site};
use terrawatt_solar::system::{System, simulate};
use terrawatt_solar::tracking::Tracker;
use terrawatt_solar::weather::Label;

#[path = "../../meter/tests/common.rs"]
mod common;

struct Fixture {
    cols: HashMap<String, Vec<f64>>,
    n: usize,
}

impl Fixture {
    fn load() -> Fixture {
        let gz: &[u8] = include_bytes!("fixtures/pvlib_irradiance.csv.gz");
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let mut cols: HashMap<String, Vec<f64>> =
            header.iter().map(|h| (h.clone(), Vec::new())).collect();
        let mut n = 0;
        for line in lines {
            for (h, v) in header.iter().zip(line.split(',')) {
                // the time column is text; empty fields are missing
                let x = if h == "time" || v.is_empty() {
                    f64::NAN
                } else {
                    v.parse().unwrap()
                };
                cols.get_mut(h).unwrap().push(x);
            }
            n += 1;
        }
        Fixture { cols, n }
    }

    fn c(&self, name: &str) -> &[f64] {
        self.cols
            .get(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }
}

/// Compares a computed column against pvlib's, row by row.
fn check(name: &str, got: &[f64], want: &[f64]) {
    let mut worst: f64 = 0.0;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{name} row {i}: pvlib NaN, got {g}");
            continue;
        }
        let d = (g - w).abs();
        let tol = 1e-6 * w.abs().max(1.0);
        assert!(d <= tol, "{name} row {i}: {g} vs pvlib {w}");
        worst = worst.max(d / w.abs().max(1.0));
    }
    eprintln!("{name:28} worst relative difference {worst:.1e}");
}

fn doy_utc(unix: f64) -> f64 {
    DateTime::from_timestamp(unix as i64, 0).unwrap().ordinal() as f64
}

#[test]
fn agrees_with_pvlib_on_a_tmy3_year() {
    let f = Fixture::load();
    let n = f.n;
    let (lat, lon, alt) = (36.1, -79.95, 273.0);
    let unix = f.c("unix");
    let (ghi, dni, dhi) = (f.c("ghi"), f.c("dni"), f.c("dhi"));
    let (tair, wind, pres) = (f.c("temp_air"), f.c("wind_speed"), f.c("pressure"));
    let map = |g: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..n).map(g).collect() };

    // solar position with the file's pressure and temperature
    let pos: Vec<spa::Position> = (0..n)
        .map(|i| {
            let site = Site {
                latitude: lat,
                longitude: lon,
                elevation: alt,
                pressure: pres[i] / 100.0,
                temperature: tair[i],
                refraction: 0.5667,
            };
            spa::position(&spa::time_terms(unix[i], 67.0), &site)
        })
        .collect();
    check(
        "apparent_zenith",
        &map(&|i| pos[i].apparent_zenith),
        f.c("apparent_zenith"),
    );
    check("zenith", &map(&|i| pos[i].zenith), f.c("zenith"));
    check("azimuth", &map(&|i| pos[i].azimuth), f.c("azimuth"));
    // from here on, pvlib's own solar position as input
    let (az_app, zen, az) = (f.c("apparent_zenith"), f.c("zenith"), f.c("azimuth"));
    let el_app = f.c("apparent_elevation");

    let e0 = map(&|i| irr::extra_spencer(doy_utc(unix[i])));
    check("dni_extra_spencer", &e0, f.c("dni_extra_spencer"));
    check(
        "dni_extra_asce",
        &map(&|i| irr::extra_asce(doy_utc(unix[i]))),
        f.c("dni_extra_asce"),
    );
    check(
        "dni_extra_nrel",
        &map(&|i| irr::extra_from_distance(spa::time_terms(unix[i], 67.0).r)),
        f.c("dni_extra_nrel"),
    );
    for m in AirmassModel::ALL {
        check(
            &format!("airmass_{}", m.name()),
            &map(&|i| irr::airmass_relative(az_app[i], m)),
            f.c(&format!("airmass_{}", m.name())),
        );
    }
    let am = f.c("airmass_kastenyoung1989");
    let am_abs = map(&|i| irr::airmass_absolute(am[i], pres[i]));
    check("airmass_absolute", &am_abs, f.c("airmass_absolute"));

    check(
        "cs_haurwitz_ghi",
        &map(&|i| irr::haurwitz(az_app[i])),
        f.c("cs_haurwitz_ghi"),
    );
    let ine: Vec<irr::ClearSky> = (0..n)
        .map(|i| irr::ineichen(az_app[i], am_abs[i], 3.0, alt, e0[i]))
        .collect();
    check(
        "cs_ineichen_ghi",
        &map(&|i| ine[i].ghi),
        f.c("cs_ineichen_ghi"),
    );
    check(
        "cs_ineichen_dni",
        &map(&|i| ine[i].dni),
        f.c("cs_ineichen_dni"),
    );
    check(
        "cs_ineichen_dhi",
        &map(&|i| ine[i].dhi),
        f.c("cs_ineichen_dhi"),
    );
    let lt = f.c("linke_pvlib");
    let ine_lt: Vec<irr::ClearSky> = (0..n)
        .map(|i| irr::ineichen(az_app[i], am_abs[i], lt[i], alt, e0[i]))
        .collect();
    check(
        "cs_ineichen_lt_ghi",
        &map(&|i| ine_lt[i].ghi),
        f.c("cs_ineichen_lt_ghi"),
    );
    check(
        "cs_ineichen_lt_dni",
        &map(&|i| ine_lt[i].dni),
        f.c("cs_ineichen_lt_dni"),
    );
    let sol: Vec<irr::ClearSky> = (0..n)
        .map(|i| irr::simplified_solis(el_app[i], 0.1, 1.0, pres[i], e0[i]))
        .collect();
    check("cs_solis_ghi", &map(&|i| sol[i].ghi), f.c("cs_solis_ghi"));
    check("cs_solis_dni", &map(&|i| sol[i].dni), f.c("cs_solis_dni"));
    check("cs_solis_dhi", &map(&|i| sol[i].dhi), f.c("cs_solis_dhi"));

    let erbs: Vec<(f64, f64, f64)> = (0..n).map(|i| irr::erbs(ghi[i], zen[i], e0[i])).collect();
    check("erbs_dni", &map(&|i| erbs[i].0), f.c("erbs_dni"));
    check("erbs_dhi", &map(&|i| erbs[i].1), f.c("erbs_dhi"));
    check("erbs_kt", &map(&|i| erbs[i].2), f.c("erbs_kt"));

    let disc: Vec<(f64, f64, f64)> = (0..n)
        .map(|i| irr::disc(ghi[i], zen[i], doy_utc(unix[i]), pres[i]))
        .collect();
    check("disc_dni", &map(&|i| disc[i].0), f.c("disc_dni"));
    check("disc_kt", &map(&|i| disc[i].1), f.c("disc_kt"));
    check("disc_airmass", &map(&|i| disc[i].2), f.c("disc_airmass"));

    for (backtrack, col) in [(true, "trk_theta"), (false, "trk_theta_nobacktrack")] {
        let t = Tracker {
            axis_tilt: 0.0,
            axis_azimuth: 180.0,
            max_angle: 60.0,
            backtrack,
            gcr: 0.35,
        };
        let st: Vec<_> = (0..n).map(|i| t.state(az_app[i], az[i])).collect();
        check(col, &map(&|i| st[i].theta), f.c(col));
        if backtrack {
            check(
                "trk_surface_tilt",
                &map(&|i| st[i].surface_tilt),
                f.c("trk_surface_tilt"),
            );
            check(
                "trk_surface_azimuth",
                &map(&|i| st[i].surface_azimuth),
                f.c("trk_surface_azimuth"),
            );
            check("trk_aoi", &map(&|i| st[i].aoi), f.c("trk_aoi"));
        }
    }

    let (tilt, saz) = (30.0, 180.0);
    let aoi = map(&|i| irr::aoi(tilt, saz, az_app[i], az[i]));
    check("aoi", &aoi, f.c("aoi"));
    check(
        "sky_isotropic",
        &map(&|i| irr::isotropic(tilt, dhi[i])),
        f.c("sky_isotropic"),
    );
    check(
        "sky_haydavies",
        &map(&|i| irr::hay_davies(tilt, saz, dhi[i], dni[i], e0[i], az_app[i], az[i])),
        f.c("sky_haydavies"),
    );
    check(
        "sky_klucher",
        &map(&|i| irr::klucher(tilt, saz, dhi[i], ghi[i], az_app[i], az[i])),
        f.c("sky_klucher"),
    );
    check(
        "sky_reindl",
        &map(&|i| irr::reindl(tilt, saz, dhi[i], dni[i], ghi[i], e0[i], az_app[i], az[i])),
        f.c("sky_reindl"),
    );
    let coef = irr::perez_model("allsitescomposite1990").unwrap();
    let sky = map(&|i| {
        irr::perez(
            tilt, saz, dhi[i], dni[i], e0[i], az_app[i], az[i], am[i], coef,
        )
    });
    check("sky_perez", &sky, f.c("sky_perez"));
    let ground = map(&|i| irr::ground_diffuse(tilt, ghi[i], 0.25));
    check("ground_diffuse", &ground, f.c("ground_diffuse"));
    let poa: Vec<irr::Poa> = (0..n)
        .map(|i| irr::poa(aoi[i], dni[i], sky[i], ground[i]))
        .collect();
    check("poa_global", &map(&|i| poa[i].global), f.c("poa_global"));
    check("poa_direct", &map(&|i| poa[i].direct), f.c("poa_direct"));
    check("poa_diffuse", &map(&|i| poa[i].diffuse), f.c("poa_diffuse"));

    // temperature and PVWatts on pvlib's POA with NaN as 0 (as the reference does)
    let g = map(&|i| {
        if poa[i].global.is_nan() {
            0.0
        } else {
            poa[i].global
        }
    });
    let p = SapmParams::OPEN_RACK_GLASS_GLASS;
    let tcell = map(&|i| pv::sapm_cell(g[i], tair[i], wind[i], &p));
    check("t_sapm_cell", &tcell, f.c("t_sapm_cell"));
    check(
        "t_sapm_module",
        &map(&|i| pv::sapm_module(g[i], tair[i], wind[i], &p)),
        f.c("t_sapm_module"),
    );
    check(
        "t_pvsyst_cell",
        &map(&|i| pv::pvsyst_cell(g[i], tair[i], wind[i], 29.0, 0.0, 0.1, 0.9)),
        f.c("t_pvsyst_cell"),
    );
    check(
        "t_faiman",
        &map(&|i| pv::faiman(g[i], tair[i], wind[i], 25.0, 6.84)),
        f.c("t_faiman"),
    );
    let pdc = map(&|i| pv::pvwatts_dc(g[i], tcell[i], 4000.0, -0.0047, 25.0));
    check("pdc", &pdc, f.c("pdc"));
    let loss = Losses::default().total();
    let net = map(&|i| pdc[i] * (1.0 - loss / 100.0));
    check("pdc_net", &net, f.c("pdc_net"));
    check(
        "pac",
        &map(&|i| pv::pvwatts_inverter(net[i], 4000.0, 0.96, 0.9637)),
        f.c("pac"),
    );
}

#[test]
fn tmy3_reader_matches_pvlib() {
    let Some(path) = common::reference_data("solar/723170TYA.CSV") else {
        return;
    };
    let w = terrawatt_solar::weather::read_tmy3(&path, 1990).unwrap();
    assert_eq!(w.len(), 8760);
    assert_eq!((w.latitude, w.longitude, w.altitude), (36.1, -79.95, 273.0));
    assert_eq!(w.offset, -5 * 3600);
    let f = Fixture::load();
    let unix = f.c("unix");
    for (k, i) in (0..8760).step_by(5).enumerate() {
        assert_eq!((w.times[i] + 3600) as f64, unix[k], "row {i}");
        for (name, ours) in [
            ("ghi", &w.ghi),
            ("dni", &w.dni),
            ("dhi", &w.dhi),
            ("temp_air", &w.temp_air),
            ("wind_speed", &w.wind_speed),
            ("pressure", &w.pressure),
            ("temp_dew", &w.temp_dew),
        ] {
            let want = f.c(name)[k];
            assert!(
                (ours[i] - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{name} row {i}: {} vs {want}",
                ours[i]
            );
        }
    }
    // weather → AC, with the stamps as pvlib uses them (hour ends)
    // PVWatts' defaults (Perez sky, SAPM open rack glass/glass) with pvlib's 3.84 kW inverter
    let system = System {
        inverter_kw: 3.84,
        ..System::pvwatts(4.0, 30.0, 180.0).unwrap()
    };
    let sim = simulate(&w, &system, Label::End, 67.0);
    let rows: Vec<usize> = (0..8760).step_by(5).collect();
    check(
        "pipeline poa_global",
        &rows
            .iter()
            .map(|i| sim.steps[*i].poa_global)
            .collect::<Vec<_>>(),
        &f.c("poa_global")
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { *v })
            .collect::<Vec<_>>(),
    );
    check(
        "pipeline pac",
        &rows.iter().map(|i| sim.steps[*i].pac).collect::<Vec<_>>(),
        f.c("pac"),
    );
    // DIRINT needs consecutive hours: the full year, sampled where the fixture has rows
    let zen: Vec<f64> = (0..8760)
        .map(|i| {
            let site = Site {
                latitude: w.latitude,
                longitude: w.longitude,
                elevation: w.altitude,
                pressure: w.pressure[i] / 100.0,
                temperature: w.temp_air[i],
                refraction: 0.5667,
            };
            spa::position(&spa::time_terms((w.times[i] + 3600) as f64, 67.0), &site).zenith
        })
        .collect();
    let doy: Vec<f64> = (0..8760)
        .map(|i| doy_utc((w.times[i] + 3600) as f64))
        .collect();
    for (dew, col) in [
        (Some(w.temp_dew.as_slice()), "dirint_dni"),
        (None, "dirint_nodew_dni"),
    ] {
        let d = irr::dirint(&w.ghi, &zen, &doy, &w.pressure, dew, true);
        check(
            col,
            &rows.iter().map(|i| d[*i]).collect::<Vec<_>>(),
            f.c(col),
        );
    }
    // Fuentes runs through the year (each hour starts from the last)
    let poa_year: Vec<f64> = sim.steps.iter().map(|s| s.poa_global).collect();
    let tf = pv::fuentes(
        &poa_year,
        &w.temp_air,
        &w.wind_speed,
        &vec![1.0; 8760],
        &pv::Fuentes::pvlib(45.0, 30.0),
    );
    check(
        "t_fuentes",
        &rows.iter().map(|i| tf[*i]).collect::<Vec<_>>(),
        f.c("t_fuentes"),
    );
}
