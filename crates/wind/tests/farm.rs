//! Wind farms against windpowerlib's TurbineClusterModelChain (issue 6: wind farms with
//! wake-efficiency curves; every option to 1e-6 relative), on its example weather year
//! with 6 × E-126/4200 at 135 m, V90/2000 × 6 MW at 80 m and 2 × V112/3000 at 94 m
//! (fixtures/windpowerlib_farm.csv, made by tools/reference/windpowerlib_farm.py); and the
//! generic power curve.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use terrawatt_wind::chain::{ChainSettings, DensityModel, WindSpeedModel};
use terrawatt_wind::farm::{
    self, Farm, FarmSettings, FarmSmoothing, Fleet, SmoothingOrder, Spread, WakeLosses,
};
use terrawatt_wind::generic::GenericTurbine;
use terrawatt_wind::turbine::{self, WakeEfficiency};
use terrawatt_wind::weather::WindWeather;

#[path = "../../meter/tests/common.rs"]
mod common;

fn data() -> Option<PathBuf> {
    common::reference_data("wind")
}

fn fleet(dir: &Path, name: &str, hub_height: f64, n: Option<f64>, capacity: Option<f64>) -> Fleet {
    let nominal = turbine::oedb_nominal_power(&dir.join("turbine_data.csv"), name).unwrap();
    Fleet {
        name: name.into(),
        curve: turbine::oedb_power_curve(&dir.join("power_curves.csv"), name).unwrap(),
        nominal_power: nominal,
        hub_height,
        number_of_turbines: n.unwrap_or_else(|| capacity.unwrap() / nominal),
    }
}

/// The fixture's rows as column name → value.
fn fixture() -> Vec<HashMap<String, String>> {
    let text = include_str!("fixtures/windpowerlib_farm.csv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn every_farm_option_matches_windpowerlib() {
    let Some(dir) = data() else {
        return;
    };
    let w = WindWeather::read(&dir.join("example_weather.csv")).unwrap();
    let farm = Farm::new(vec![
        fleet(&dir, "E-126/4200", 135.0, Some(6.0), None),
        fleet(&dir, "V90/2000", 80.0, None, Some(6e6)),
        fleet(&dir, "V112/3000", 94.0, Some(2.0), None),
    ])
    .unwrap();
    let curve = |file: &str, name: &str| {
        turbine::efficiency_curve(
            &dir.join(format!("wind_efficiency_curves_{file}.csv")),
            name,
        )
        .unwrap()
    };
    let rows = fixture();
    assert_eq!(rows.len(), 13);
    for r in &rows {
        let run = &r["run"];
        let num = |k: &str| r[k].parse::<f64>().unwrap();
        let efficiency = match r["farm_efficiency"].as_str() {
            "" => None,
            "dena_mean_curve" => Some(WakeEfficiency::Curve(curve("dena", "dena_mean"))),
            e => Some(WakeEfficiency::Constant(e.parse().unwrap())),
        };
        let wake_losses = match r["wake_losses_model"].as_str() {
            "none" => WakeLosses::None,
            "wind_farm_efficiency" => WakeLosses::PowerEfficiency {
                efficiency: efficiency.unwrap(),
            },
            name => WakeLosses::WindEfficiency {
                name: name.into(),
                curve: curve(name.split('_').next().unwrap(), name),
            },
        };
        let smoothing = (r["smoothing"] == "true").then(|| FarmSmoothing {
            spread: match r["standard_deviation_method"].as_str() {
                "turbulence_intensity" => Spread::TurbulenceIntensity { intensity: None },
                "Staffell_Pfenninger" => Spread::StaffellPfenninger,
                other => panic!("{other}"),
            },
            order: match r["smoothing_order"].as_str() {
                "turbine_power_curves" => SmoothingOrder::TurbinePowerCurves,
                "wind_farm_power_curves" => SmoothingOrder::WindFarmPowerCurves,
                other => panic!("{other}"),
            },
            block_width: 0.5,
        });
        let chain = ChainSettings {
            wind_speed_model: match r["wind_speed_model"].as_str() {
                "logarithmic" => WindSpeedModel::Logarithmic,
                "hellman" => WindSpeedModel::Hellman,
                other => panic!("{other}"),
            },
            density_model: match r["density_model"].as_str() {
                "barometric" => DensityModel::Barometric,
                "ideal_gas" => DensityModel::IdealGas,
                other => panic!("{other}"),
            },
            ..ChainSettings::new(0.0)
        };
        let settings = FarmSettings {
            wake_losses,
            smoothing,
        };
        let out = farm::simulate(
            &w,
            &farm,
            &settings,
            &chain,
            r["density_correction"] == "true",
        )
        .unwrap();
        let rel = |got: f64, want: f64| (got - want).abs() / want.abs().max(1.0);
        assert!(
            rel(out.hub_height, num("mean_hub_height_m")) < 1e-12,
            "{run}: hub height"
        );
        assert!(rel(farm.nominal_power(), num("nominal_power_w")) < 1e-12);
        if !r["turbulence_intensity"].is_empty() {
            assert!(
                rel(
                    out.turbulence_intensity.unwrap(),
                    num("turbulence_intensity")
                ) < 1e-12,
                "{run}: turbulence intensity"
            );
        }
        let mwh: f64 = out.hours.iter().map(|h| h.power).sum::<f64>() / 1e6;
        let want = num("annual_energy_mwh");
        eprintln!(
            "{run:50} {mwh:14.6} MWh  windpowerlib {want:14.6}  {:+.2e}",
            (mwh - want) / want
        );
        assert!(rel(mwh, want) < 1e-6, "{run}: {mwh} vs windpowerlib {want}");
        for (i, want) in r["first_48_hours_w"].split(' ').enumerate() {
            let want: f64 = want.parse().unwrap();
            let got = out.hours[i].power;
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{run} hour {i}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn farm_checks_name_the_fleet_and_field() {
    let c = turbine::PowerCurve {
        wind_speed: vec![0.0, 10.0, 20.0],
        power: vec![0.0, 1e6, 1e6],
    };
    let f = |n: f64, h: f64| Fleet {
        name: "T".into(),
        curve: c.clone(),
        nominal_power: 1e6,
        hub_height: h,
        number_of_turbines: n,
    };
    for (fleets, want) in [
        (vec![], "no fleet"),
        (
            vec![f(1.0, 100.0), f(0.0, 100.0)],
            "fleet 2 (T): number_of_turbines",
        ),
        (vec![f(2.0, -1.0)], "fleet 1 (T): hub_height"),
    ] {
        let e = Farm::new(fleets).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
    // one fleet at one height: the mean hub height is that height, the curve n × the
    // turbine's (with the zero point added after its last speed)
    let farm = Farm::new(vec![f(3.0, 100.0)]).unwrap();
    assert!((farm.mean_hub_height() - 100.0).abs() < 1e-12);
    let pc = farm.power_curve(None, None);
    assert_eq!(pc.wind_speed, vec![0.0, 10.0, 20.0, 20.5]);
    assert_eq!(pc.power, vec![0.0, 3e6, 3e6, 0.0]);
    // two heights weighed by capacity: exp((2 ln 100 + ln 50)/3)
    let farm = Farm::new(vec![f(2.0, 100.0), f(1.0, 50.0)]).unwrap();
    let want = ((2.0 * 100f64.ln() + 50f64.ln()) / 3.0).exp();
    assert!((farm.mean_hub_height() - want).abs() < 1e-12);
}

#[test]
fn generic_curve_shape() {
    // 3.6 MW, 120 m: the cubic at Cp 0.45 reaches 3.6 MW at v* ≈ 10.2 m/s; the knee runs
    // from 2v* − 12 to 12 m/s
    let g = GenericTurbine {
        rated_power: 3.6e6,
        rotor_diameter: 120.0,
        cut_in: 3.0,
        rated_speed: 12.0,
        cut_out: 25.0,
        cp_max: None,
    }
    .check()
    .unwrap();
    let area = std::f64::consts::PI * 60.0 * 60.0;
    let v_star = (3.6e6 / (0.5 * 1.225 * area * 0.45)).cbrt();
    assert!((g.v_star() - v_star).abs() < 1e-12);
    assert!((g.knee_start() - (2.0 * v_star - 12.0)).abs() < 1e-12);
    for (v, want) in [
        (2.99, 0.0),
        (3.0, 0.5 * 1.225 * area * 0.45 * 27.0),
        (6.0, 0.5 * 1.225 * area * 0.45 * 216.0),
        (12.0, 3.6e6),
        (25.0, 3.6e6),
        (25.01, 0.0),
    ] {
        assert!(
            (g.power_at(v) - want).abs() < 1e-6,
            "{v}: {}",
            g.power_at(v)
        );
    }
    // rising, below rated, continuous with the cubic's slope at the knee start
    let mut last = 0.0;
    for k in 300..1200 {
        let p = g.power_at(k as f64 / 100.0);
        assert!(p >= last && p <= 3.6e6, "{k}");
        last = p;
    }
    let v1 = g.knee_start();
    let slope = |v: f64| (g.power_at(v + 1e-6) - g.power_at(v - 1e-6)) / 2e-6;
    assert!((slope(v1 - 1e-4) - slope(v1 + 1e-4)).abs() / slope(v1) < 1e-3);
    // the tabulated curve agrees with the exact one between its points
    let c = g.power_curve();
    for k in 0..3000 {
        let v = k as f64 / 100.0;
        assert!(
            (c.power_at(v) - g.power_at(v)).abs() < 2e-3 * 3.6e6
                || (v - 3.0).abs() < 0.011
                || (v - 25.0).abs() < 0.011,
            "{v}: {} vs {}",
            c.power_at(v),
            g.power_at(v)
        );
    }
    // small rotor: Cp raised to reach rated at the rated speed; too small: Betz refuses
    let g = GenericTurbine {
        rotor_diameter: 95.0,
        ..*g.turbine()
    }
    .check()
    .unwrap();
    assert!(g.power_coefficient() > 0.45 && g.knee_start() == 12.0);
    let e = GenericTurbine {
        rotor_diameter: 80.0,
        ..*g.turbine()
    }
    .check()
    .unwrap_err();
    assert_eq!(e.field, "rotor_diameter");
    assert!(e.to_string().contains("Betz"), "{e}");
    for (t, field) in [
        (
            GenericTurbine {
                cut_in: 13.0,
                ..*g.turbine()
            },
            "rated_speed",
        ),
        (
            GenericTurbine {
                cut_out: 11.0,
                ..*g.turbine()
            },
            "cut_out",
        ),
        (
            GenericTurbine {
                rated_power: 0.0,
                ..*g.turbine()
            },
            "rated_power",
        ),
        (
            GenericTurbine {
                cp_max: Some(0.7),
                ..*g.turbine()
            },
            "cp_max",
        ),
    ] {
        assert_eq!(t.check().unwrap_err().field, field);
    }
}

/// The generic curve against the manufacturers' curves of the OEDB library: each turbine
/// with a power curve and a rotor diameter, its cut-in (first speed with power), rated
/// speed (first speed at 99.5 % of the curve's largest power) and cut-out (last speed),
/// annual energy at 100 m on the example weather (logarithmic profile, plain curve).
#[test]
fn generic_curve_against_the_library() {
    use terrawatt_wind::chain::{self, PowerModel};
    let Some(dir) = data() else {
        return;
    };
    let w = WindWeather::read(&dir.join("example_weather.csv")).unwrap();
    let text = std::fs::read_to_string(dir.join("power_curves.csv")).unwrap();
    let names: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let energy = |curve: turbine::PowerCurve| -> f64 {
        let power = PowerModel::PowerCurve {
            curve,
            density_correction: false,
        };
        chain::run(&w, &power, &ChainSettings::new(100.0))
            .unwrap()
            .iter()
            .map(|h| h.power)
            .sum::<f64>()
            / 1e6
    };
    let mut ratios = Vec::new();
    let mut textbook = Vec::new();
    for name in &names {
        let data = dir.join("turbine_data.csv");
        let (Ok(d), Ok(p_r)) = (
            turbine::oedb_rotor_diameter(&data, name),
            turbine::oedb_nominal_power(&data, name),
        ) else {
            continue;
        };
        let c = turbine::oedb_power_curve(&dir.join("power_curves.csv"), name).unwrap();
        let max = c.nominal();
        let at =
            |f: &dyn Fn(f64) -> bool| c.wind_speed[c.power.iter().position(|p| f(*p)).unwrap()];
        let (cut_in, rated) = (at(&|p| p > 0.0), at(&|p| p >= 0.995 * max));
        let cut_out = *c.wind_speed.last().unwrap();
        let g = GenericTurbine {
            rated_power: p_r,
            rotor_diameter: d,
            cut_in,
            rated_speed: rated,
            cut_out,
            cp_max: None,
        }
        .check()
        .unwrap();
        let e = energy(c.clone());
        ratios.push(energy(g.power_curve()) / e - 1.0);
        // the textbook cubic through the rated power at the rated speed
        let cubic = turbine::PowerCurve {
            wind_speed: (0..=(cut_out * 100.0) as usize)
                .map(|k| k as f64 / 100.0)
                .collect(),
            power: (0..=(cut_out * 100.0) as usize)
                .map(|k| {
                    let v = k as f64 / 100.0;
                    if v < cut_in {
                        0.0
                    } else {
                        p_r * (v / rated).powi(3).min(1.0)
                    }
                })
                .collect(),
        };
        textbook.push(energy(cubic) / e - 1.0);
    }
    let q = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p).round() as usize]
    };
    let (med, p10, p90) = (
        q(&mut ratios, 0.5),
        q(&mut ratios, 0.1),
        q(&mut ratios, 0.9),
    );
    eprintln!(
        "{} turbines: generic vs manufacturer annual energy: median {:+.1} %, 10–90 % {:+.1} … {:+.1} %; textbook cubic median {:+.1} %",
        ratios.len(),
        100.0 * med,
        100.0 * p10,
        100.0 * p90,
        100.0 * q(&mut textbook, 0.5)
    );
    assert!(ratios.len() > 60);
    assert!(
        med.abs() < 0.03 && p10 > -0.1 && p90 < 0.1,
        "{med} {p10} {p90}"
    );
}
