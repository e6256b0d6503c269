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
    let power = chain::PowerModel::PowerCurve {
        curve,
        density_correction: false,
    };
    let hours = chain::run(&w, &power, &ChainSettings::new(135.0)).unwrap();
    let mwh: f64 = hours.iter().map(|h| h.power).sum::<f64>() / 1e6;
    eprintln!("annual energy {mwh:.4} MWh");
    // windpowerlib's figure for this case (issue 6): 11,591.9 MWh
    assert!((mwh - 11_591.9).abs() / 11_591.9 < 1e-4, "{mwh}");
}

#[test]
fn every_option_implemented_matches_windpowerlib() {
    use terrawatt_wind::chain::{DensityModel, PowerModel, TemperatureModel, WindSpeedModel};
    use terrawatt_wind::turbine::oedb_rotor_diameter;
    let Some(dir) = data() else {
        return;
    };
    let fx: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/windpowerlib_modelchain.json")).unwrap();
    let w = WindWeather::read(&dir.join("example_weather.csv")).unwrap();
    let curve = oedb_power_curve(&dir.join("power_curves.csv"), "E-126/4200").unwrap();
    let base = ChainSettings::new(135.0);
    let plain = PowerModel::PowerCurve {
        curve: curve.clone(),
        density_correction: false,
    };
    let corrected = PowerModel::PowerCurve {
        curve: curve.clone(),
        density_correction: true,
    };
    let cp = PowerModel::PowerCoefficient {
        cp: oedb_power_curve(&dir.join("power_coefficient_curves.csv"), "E-126/4200").unwrap(),
        rotor_diameter: oedb_rotor_diameter(&dir.join("turbine_data.csv"), "E-126/4200").unwrap(),
    };
    for (run, settings, power) in [
        ("default", base, &plain),
        (
            "c_interp_extrap",
            ChainSettings {
                wind_speed_model: WindSpeedModel::InterpolationExtrapolation,
                temperature_model: TemperatureModel::InterpolationExtrapolation,
                ..base
            },
            &plain,
        ),
        ("d_density_correction", base, &corrected),
        ("e_power_coefficient_curve", base, &cp),
        (
            "a_hellman",
            ChainSettings {
                wind_speed_model: WindSpeedModel::Hellman,
                ..base
            },
            &plain,
        ),
        (
            "b_ideal_gas",
            ChainSettings {
                density_model: DensityModel::IdealGas,
                ..base
            },
            &plain,
        ),
        (
            "f_obstacle_height_20",
            ChainSettings {
                obstacle_height: 20.0,
                ..base
            },
            &plain,
        ),
    ] {
        let r = &fx["runs"][run];
        let hours = chain::run(&w, power, &settings).unwrap();
        let mwh: f64 = hours.iter().map(|h| h.power).sum::<f64>() / 1e6;
        let want = r["annual_energy_mwh"].as_f64().unwrap();
        assert!(
            (mwh - want).abs() <= 1e-9 * want,
            "{run}: {mwh} vs windpowerlib {want}"
        );
        let s = &r["samples"];
        for (k, row) in s["rows"].as_array().unwrap().iter().enumerate() {
            let i = row.as_u64().unwrap() as usize;
            for (name, got) in [
                ("wind_speed_hub", hours[i].wind_speed),
                ("temperature_hub", hours[i].temperature),
                ("density_hub", hours[i].density),
                ("power_output", hours[i].power),
            ] {
                let want = s[name][k].as_f64().unwrap();
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "{run} {name} row {i}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn smoothing_and_wake_losses_equal_windpowerlib() {
    use terrawatt_wind::turbine::{self, Smoothing, WakeEfficiency};
    let Some(dir) = data() else {
        return;
    };
    let fx: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/windpowerlib_curves.json")).unwrap();
    let curve = oedb_power_curve(&dir.join("power_curves.csv"), "E-126/4200").unwrap();
    let dena = turbine::efficiency_curve(&dir.join("wind_efficiency_curves_dena.csv"), "dena_mean")
        .unwrap();
    let close = |what: &str, got: &turbine::PowerCurve, want: &serde_json::Value| {
        let ws = want["wind_speed"].as_array().unwrap();
        let vs = want["value"].as_array().unwrap();
        assert_eq!(got.wind_speed.len(), ws.len(), "{what}");
        for (i, (w, v)) in ws.iter().zip(vs).enumerate() {
            assert!(
                (got.wind_speed[i] - w.as_f64().unwrap()).abs() < 1e-12,
                "{what} speed {i}"
            );
            let v = v.as_f64().unwrap();
            assert!(
                (got.power[i] - v).abs() <= 1e-9 * v.abs().max(1.0),
                "{what} {i}: {} vs {v}",
                got.power[i]
            );
        }
    };
    let get = |key: &str| -> &serde_json::Value { &fx["curves"][key] };
    let ti = turbine::smooth(
        &curve,
        Smoothing::TurbulenceIntensity { intensity: 0.15 },
        0.5,
        15.0,
    );
    close(
        "turbulence intensity",
        &ti,
        get("smooth_turbulence_intensity"),
    );
    close(
        "Staffell-Pfenninger",
        &turbine::smooth(&curve, Smoothing::StaffellPfenninger, 0.5, 15.0),
        get("smooth_staffell_pfenninger"),
    );
    close(
        "0.8",
        &turbine::with_wake_losses(&curve, &WakeEfficiency::Constant(0.8)),
        get("wake_losses_constant_0_8"),
    );
    let dena = WakeEfficiency::Curve(dena);
    close(
        "dena",
        &turbine::with_wake_losses(&curve, &dena),
        get("wake_losses_dena_mean"),
    );
    close(
        "smoothed, then dena",
        &turbine::with_wake_losses(&ti, &dena),
        get("smooth_turbulence_intensity_then_wake_losses_dena_mean"),
    );
}

#[test]
fn nrel_turbine_models_read_in_watts() {
    let Some(dir) = data() else {
        return;
    };
    let folder = dir.join("nrel_turbine_models");
    let mut n = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_none_or(|e| e != "csv") {
            continue; // the folder's licence
        }
        let (power, cp) = terrawatt_wind::turbine::nrel_turbine(&p).unwrap();
        assert!(power.wind_speed.len() > 10, "{}", p.display());
        assert!(cp.wind_speed.is_empty() || cp.wind_speed == power.wind_speed);
        assert!(power.nominal() > 0.0);
        n += 1;
    }
    assert_eq!(n, 76);
    // the NREL 15 MW reference turbine reaches its rating
    let (p15, _) = terrawatt_wind::turbine::nrel_turbine(
        &folder.join("2019ORCost_NREL_Reference_15MW_248.csv"),
    )
    .unwrap();
    assert!(
        (p15.nominal() - 15e6).abs() < 0.02 * 15e6,
        "{}",
        p15.nominal()
    );
    // a file that is not one
    let e = terrawatt_wind::turbine::nrel_turbine(&dir.join("example_weather.csv"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("example_weather.csv") && e.contains("Wind Speed"),
        "{e}"
    );
}
