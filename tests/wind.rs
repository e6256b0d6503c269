//! End-to-end tests of `terrawatt wind simulate`.

use std::path::Path;
use std::process::Output;

mod support;
use support::{s, stderr, terrawatt, with};

#[path = "../crates/meter/tests/common.rs"]
mod common;

/// A generic 3 MW turbine (rotor 110 m, cut-in 3, rated 12, cut-out 25 m/s) at 80 m.
const GENERIC: [&str; 12] = [
    "--rated-kw",
    "3000",
    "--hub-height",
    "80",
    "--rotor-diameter",
    "110",
    "--cut-in",
    "3",
    "--rated-speed",
    "12",
    "--cut-out",
    "25",
];

/// `terrawatt [--report REPORT] wind simulate --weather WEATHER extra…`.
fn simulate(report: Option<&Path>, weather: &Path, extra: &[&str]) -> Output {
    let mut a = vec![];
    if let Some(r) = report {
        a.extend(["--report", s(r)]);
    }
    a.extend(["wind", "simulate", "--weather", s(weather)]);
    a.extend_from_slice(extra);
    terrawatt(&a)
}

/// The E-126/4200 of the turbine library `dir` at a 135 m hub, its series written to `out`.
fn e126_at_135_m<'a>(dir: &'a Path, out: &'a Path) -> [&'a str; 8] {
    [
        "--turbine",
        "E-126/4200",
        "--turbine-library",
        s(dir),
        "--hub-height",
        "135",
        "--out",
        s(out),
    ]
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
    let o = simulate(Some(&rep), &weather, &e126_at_135_m(&dir, &series));
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
    let o = simulate(
        Some(&rep2),
        &weather,
        &["--power-curve", s(&curve), "--hub-height", "135"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep2).unwrap()).unwrap();
    assert!((r2["results"]["annual_energy_mwh"].as_f64().unwrap() - mwh).abs() < 1e-6);
    // bad inputs: unknown turbine (similar names listed), no library, bad hub height
    let e = |extra: &[&str]| {
        let o = simulate(None, &weather, extra);
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    for (name, first) in [
        ("E-126/420", "E-126/4200"),
        ("e126-4200", "E-126/4200"),
        ("V90/200", "V90/2000"),
    ] {
        let msg = e(&[
            "--turbine",
            name,
            "--turbine-library",
            s(&dir),
            "--hub-height",
            "135",
        ]);
        assert!(
            msg.contains(&format!("no turbine type '{name}' (similar: {first}")),
            "{msg}"
        );
        assert!(msg.contains("power_curves.csv"), "{msg}");
    }
    let msg = e(&["--turbine", "E-126/4200", "--hub-height", "135"]);
    assert!(msg.contains("--turbine-library"), "{msg}");
    // the library's E-126/4200 (127 m rotor) on a 60 m tower: refused, naming both
    let msg = e(&[
        "--turbine",
        "E-126/4200",
        "--turbine-library",
        s(&dir),
        "--hub-height",
        "60",
    ]);
    assert!(
        msg.contains("E-126/4200: a 127 m rotor at a hub height of 60 m"),
        "{msg}"
    );
    let msg = e(&["--power-curve", s(&curve), "--hub-height", "-5"]);
    assert!(msg.contains("--hub-height"), "{msg}");
    assert!(msg.lines().last().unwrap().starts_with("energy "));

    // coverage (issue 18, part 3): a header with no rows is refused; a month of the year is
    // reported as the energy over the hours it covers, never as annual
    let text = std::fs::read_to_string(&weather).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header_rows = lines
        .iter()
        .position(|l| l.starts_with("2010-"))
        .expect("windpowerlib's example weather starts in 2010");
    let empty = tmp.path().join("empty.csv");
    std::fs::write(&empty, lines[..header_rows].join("\n") + "\n").unwrap();
    let curve_at_135 = ["--power-curve", s(&curve), "--hub-height", "135"];
    let o = simulate(None, &empty, &curve_at_135);
    assert!(!o.status.success());
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("no data rows"), "{msg}");
    let month = tmp.path().join("january.csv");
    std::fs::write(&month, lines[..header_rows + 744].join("\n") + "\n").unwrap();
    let o = simulate(Some(&rep), &month, &curve_at_135);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("over the 744 h with weather (of a 31.0-day span: not a whole year"),
        "{out}"
    );
    assert!(!out.contains("annual energy"), "{out}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    assert!(r["results"]["annual_energy_mwh"].is_null());
    assert_eq!(r["results"]["covered_hours"], 744.0);
}

/// The fixture row `run` of windpowerlib's TurbineClusterModelChain
/// (tools/reference/windpowerlib_farm.py): its annual energy and mean hub height.
fn windpowerlib_farm(run: &str) -> (f64, f64) {
    let text = include_str!("../crates/wind/tests/fixtures/windpowerlib_farm.csv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row: Vec<&str> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[0] == run)
        .unwrap();
    (
        row[col("annual_energy_mwh")].parse().unwrap(),
        row[col("mean_hub_height_m")].parse().unwrap(),
    )
}

const FLEETS: &str = r#"
[[fleet]]
turbine = "E-126/4200"
hub_height = 135
number_of_turbines = 6

[[fleet]]
turbine = "V90/2000"
hub_height = 80
total_capacity_kw = 6000

[[fleet]]
turbine = "V112/3000"
hub_height = 94
number_of_turbines = 2
"#;

#[test]
fn farms_equal_windpowerlib_through_the_cli() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let weather = dir.join("example_weather.csv");
    for (run, extra) in [
        // no [wake]: windpowerlib's default, the dena mean wind efficiency curve
        ("dena_mean", ""),
        ("no_wake_losses", "[wake]\nmodel = \"none\"\n"),
        (
            "farm_efficiency_0_9",
            "[wake]\nmodel = \"wind_farm_efficiency\"\nefficiency = 0.9\n",
        ),
        (
            "smooth_ti_turbine_curves",
            "[wake]\nmodel = \"none\"\n[smoothing]\nmethod = \"turbulence_intensity\"\norder = \"turbine_power_curves\"\n",
        ),
        (
            "smooth_ti_farm_curves_efficiency_dena_mean_curve",
            &format!(
                "[wake]\nmodel = \"wind_farm_efficiency\"\nefficiency_curve = \"{}\"\nefficiency_column = \"dena_mean\"\n[smoothing]\nmethod = \"turbulence_intensity\"\n",
                s(&dir.join("wind_efficiency_curves_dena.csv"))
            ),
        ),
        (
            "smooth_sp_farm_curves_dena_mean",
            "[wake]\nmodel = \"dena_mean\"\n[smoothing]\nmethod = \"staffell_pfenninger\"\n",
        ),
    ] {
        let farm = tmp.path().join(format!("{run}.toml"));
        std::fs::write(&farm, format!("name = \"{run}\"\n{FLEETS}{extra}")).unwrap();
        let rep = tmp.path().join(format!("{run}.json"));
        let series = tmp.path().join(format!("{run}.csv"));
        let plot = tmp.path().join(format!("{run}.png"));
        let o = simulate(
            Some(&rep),
            &weather,
            &[
                "--farm",
                s(&farm),
                "--turbine-library",
                s(&dir),
                "--out",
                s(&series),
                "--plot",
                s(&plot),
            ],
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{run}: {stderr}");
        assert!(
            stderr.lines().last().unwrap().starts_with("energy "),
            "{stderr}"
        );
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
        let res = &r["results"];
        let (want, hub) = windpowerlib_farm(run);
        let mwh = res["annual_energy_mwh"].as_f64().unwrap();
        assert!(
            (mwh - want).abs() <= 1e-6 * want,
            "{run}: {mwh} vs windpowerlib {want}"
        );
        assert!((res["mean_hub_height"].as_f64().unwrap() - hub).abs() < 1e-9);
        assert_eq!(res["nominal_power_w"].as_f64().unwrap(), 37.2e6);
        assert_eq!(res["number_of_turbines"].as_f64().unwrap(), 11.0);
        let cf = res["capacity_factor"].as_f64().unwrap();
        assert!((cf - mwh / (37.2 * 8760.0)).abs() < 1e-12);
        // the SCI unit: 11 turbines × one year (8,760 h of 8,766)
        assert_eq!(r["energy"]["sci"]["unit"], "turbine-year");
        let units = r["energy"]["sci"]["units"].as_f64().unwrap();
        assert!((units - 11.0 * 8760.0 / 8766.0).abs() < 1e-9, "{units}");
        let lines: Vec<String> = std::fs::read_to_string(&series)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        assert_eq!(lines.len(), 8761);
        let sum: f64 = lines[1..]
            .iter()
            .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
            .sum();
        assert!((sum / 1e6 - want).abs() <= 1e-6 * want);
        assert!(std::fs::metadata(&plot).unwrap().len() > 1000);
    }
}

#[test]
fn generic_turbines_alone_and_in_a_farm() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let weather = dir.join("example_weather.csv");
    let generic = [
        "--rated-kw",
        "4200",
        "--rotor-diameter",
        "127",
        "--cut-in",
        "3",
        "--rated-speed",
        "14",
        "--cut-out",
        "25",
    ];
    let rep = tmp.path().join("g.json");
    let mut args = vec!["--hub-height", "135"];
    args.extend(generic);
    let o = simulate(Some(&rep), &weather, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    let mwh = r["results"]["annual_energy_mwh"].as_f64().unwrap();
    assert_eq!(r["results"]["source"], "generic");
    assert_eq!(r["results"]["nominal_power_w"].as_f64().unwrap(), 4.2e6);
    // the E-126/4200's own curve gives 11,591.9 MWh here; the generic one comes close
    eprintln!("generic E-126/4200-like turbine at 135 m: {mwh:.1} MWh (library curve 11,591.9)");
    assert!((mwh / 11_591.9 - 1.0).abs() < 0.05, "{mwh}");
    // the same turbine as a two-turbine farm without wake losses: twice the energy
    let farm = tmp.path().join("g.toml");
    std::fs::write(
        &farm,
        "[[fleet]]\nhub_height = 135\nnumber_of_turbines = 2\n\
         generic = { rated_kw = 4200, rotor_diameter = 127, cut_in = 3, rated_speed = 14, cut_out = 25 }\n\
         [wake]\nmodel = \"none\"\n",
    )
    .unwrap();
    let rep2 = tmp.path().join("f.json");
    let o = simulate(Some(&rep2), &weather, &["--farm", s(&farm)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep2).unwrap()).unwrap();
    let farm_mwh = r2["results"]["annual_energy_mwh"].as_f64().unwrap();
    assert!(
        (farm_mwh - 2.0 * mwh).abs() < 1e-6 * mwh,
        "{farm_mwh} vs 2 × {mwh}"
    );
    // bad generic values name the flag; a partial set is a usage error
    let mut bad = vec!["--hub-height", "135"];
    let mut small = generic;
    small[3] = "60";
    bad.extend(small);
    let o = simulate(None, &weather, &bad);
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        msg.contains("--rotor-diameter") && msg.contains("Betz"),
        "{msg}"
    );
    let o = simulate(
        None,
        &weather,
        &["--hub-height", "135", "--rated-kw", "4200"],
    );
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(msg.contains("--rotor-diameter"), "{msg}");
    assert!(msg.lines().last().unwrap().starts_with("energy "), "{msg}");
    // a hub height in feet (328 ft is 100 m); a hub below the rotor's radius (127 m rotor
    // at 60 m: the blades reach the ground)
    for (hub, wants) in [
        ("328", ["--hub-height 328 m must be in (0, 250]", "feet?"]),
        (
            "60",
            [
                "--rotor-diameter 127 m at --hub-height 60 m",
                "the blades reach 63.5 m",
            ],
        ),
    ] {
        let mut bad = vec!["--hub-height", hub];
        bad.extend(generic);
        let o = simulate(None, &weather, &bad);
        assert_eq!(o.status.code(), Some(1));
        let msg = String::from_utf8_lossy(&o.stderr);
        assert!(wants.iter().all(|w| msg.contains(w)), "{msg}");
    }
    // at 64 m they clear it
    let mut clear = vec!["--hub-height", "64"];
    clear.extend(generic);
    assert!(simulate(None, &weather, &clear).status.success());
}

#[test]
fn bad_farm_files_fail_clearly_and_write_nothing() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let weather = dir.join("example_weather.csv");
    let out = tmp.path().join("series.csv");
    let e126 = "[[fleet]]\nturbine = \"E-126/4200\"\n";
    for (k, (farm, wants)) in [
        (
            format!("{e126}number_of_turbines = 6\n"),
            vec!["missing field", "hub_height"],
        ),
        (
            format!("{e126}hub_height = 135\nnumber_of_turbines = 6\nhub_heigth = 2\n"),
            vec!["unknown field", "hub_heigth"],
        ),
        (
            format!("{e126}hub_height = 135\nnumber_of_turbines = 0\n"),
            vec!["fleet 1 (E-126/4200)", "number_of_turbines", "> 0"],
        ),
        (
            format!("{e126}hub_height = 135\n"),
            vec!["fleet 1 (E-126/4200)", "number_of_turbines"],
        ),
        // 6 MW written as kW: 0.0014 of a turbine
        (
            format!("{e126}hub_height = 135\ntotal_capacity_kw = 6\n"),
            vec![
                "fleet 1 (E-126/4200)",
                "total_capacity_kw 6 is less than one 4200 kW turbine",
                "MW given for kW?",
            ],
        ),
        (
            "[[fleet]]\nturbine = \"E-126/420\"\nhub_height = 135\nnumber_of_turbines = 1\n"
                .to_string(),
            vec!["fleet 1: turbine", "no turbine type 'E-126/420'", "similar: E-126/4200"],
        ),
        (
            format!("{e126}hub_height = 135\nnumber_of_turbines = 1\n[wake]\nmodel = \"dena_avg\"\n"),
            vec!["[wake] model", "dena_avg", "dena_mean"],
        ),
        (
            format!("{e126}hub_height = 135\nnumber_of_turbines = 6\n[wake]\nmodel = \"wind_farm_efficiency\"\nefficiency = 0.08\n"),
            vec!["[wake] efficiency: 0.08 would lose 92 %", "Write 0.92"],
        ),
        (
            format!("{e126}hub_height = 135\nnumber_of_turbines = 1\n[wake]\nmodel = \"wind_farm_efficiency\"\n"),
            vec!["[wake]", "efficiency"],
        ),
        (
            format!("{e126}hub_height = 135\nnumber_of_turbines = 1\n[smoothing]\nmethod = \"gauss\"\n"),
            vec!["[smoothing] method 'gauss'"],
        ),
        ("name = \"empty\"\nfleet = []\n".to_string(), vec!["no [[fleet]]"]),
        // 4.2 MW written as kW: 6,000 turbines of a 25.2 MW fleet
        (
            format!("{e126}hub_height = 135\ntotal_capacity_kw = 25200\nnominal_kw = 4.2\n"),
            vec![
                "fleet 1 (E-126/4200): nominal_kw 4.2 kW, and the turbine is rated 4200 kW",
                "Leave nominal_kw out",
            ],
        ),
        // the E-126's 127 m rotor on a 60 m tower: the blades would reach the ground
        (
            format!("{e126}hub_height = 60\nnumber_of_turbines = 1\n"),
            vec!["fleet 1: hub_height", "a 127 m rotor at a hub height of 60 m"],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let path = tmp.path().join(format!("farm{k}.toml"));
        std::fs::write(&path, &farm).unwrap();
        let o = simulate(
            None,
            &weather,
            &["--farm", s(&path), "--turbine-library", s(&dir), "--out", s(&out)],
        );
        let msg = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{farm}");
        assert!(msg.contains(s(&path)), "the message names the file: {msg}");
        for want in wants {
            assert!(msg.contains(want), "{want:?} not in {msg}");
        }
        assert!(msg.lines().last().unwrap().starts_with("energy "), "{msg}");
        assert!(!out.exists(), "{farm}: an output was written");
    }
    // a farm with --hub-height is a usage error
    let path = tmp.path().join("farm0.toml");
    let o = simulate(None, &weather, &["--farm", s(&path), "--hub-height", "100"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--hub-height"));
}

#[test]
fn impossible_wind_weather_is_missing_and_a_cut_row_is_refused() {
    // issue 18: one policy with every reader — inf, a −9999 code and a negative speed are
    // missing and counted; a row cut short is refused with its line
    let dir = tempfile::tempdir().unwrap();
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/wind-weather-sample.csv");
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut out = String::new();
    for (i, l) in text.lines().enumerate() {
        let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
        match i {
            10 => f[6] = "inf".into(),
            11 => f[6] = "-9999".into(),
            12 => f[6] = "-4.2".into(),
            _ => {}
        }
        out.push_str(&f.join(","));
        out.push('\n');
    }
    let w = dir.path().join("w.csv");
    std::fs::write(&w, &out).unwrap();
    let generic = with(&GENERIC, &["--json"]);
    let o = simulate(None, &w, &generic);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let screened = v["results"]["screened"].to_string();
    for want in [
        "wind_speed at 80 m",
        "infinite",
        "missing-value code",
        "0…113 m/s",
    ] {
        assert!(screened.contains(want), "{want}: {screened}");
    }
    assert_eq!(v["results"]["missing_hours"], 3);
    // three hours without weather: not an annual figure
    assert!(v["results"]["annual_energy_mwh"].is_null());
    // five rows deleted: said, and not annual either
    let deleted: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| !(100..105).contains(i))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let d = dir.path().join("deleted.csv");
    std::fs::write(&d, deleted).unwrap();
    let o = simulate(None, &d, &generic);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["results"]["deleted_hours"], 5.0);
    assert!(v["results"]["annual_energy_mwh"].is_null());
    assert_eq!(v["results"]["covered_hours"], 8755.0);
    // a row cut short
    let mut cut = String::new();
    for (i, l) in out.lines().enumerate() {
        if i == 20 {
            let f: Vec<&str> = l.split(',').collect();
            cut.push_str(&f[..f.len() - 1].join(","));
        } else {
            cut.push_str(l);
        }
        cut.push('\n');
    }
    let c = dir.path().join("cut.csv");
    std::fs::write(&c, cut).unwrap();
    let o = simulate(None, &c, &generic);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("line 21: 6 fields, the header has 7"), "{e}");
}

/// A column in another unit than windpowerlib's (temperatures in °C, pressures in hPa) is
/// refused with the unit it reads as, not screened away value by value; a file with no
/// hour the chain can use is refused rather than totalled as nothing over no hours.
#[test]
fn weather_in_another_unit_or_with_no_usable_hour_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/wind-weather-sample.csv");
    let text = std::fs::read_to_string(&sample).unwrap();
    let names: Vec<String> = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    // every value of one variable changed by `f` (or emptied)
    let edited = |name: &str, variable: &str, f: &dyn Fn(f64) -> String| {
        let mut out = String::new();
        for (i, l) in text.lines().enumerate() {
            let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
            if i >= 2 {
                for (c, n) in names.iter().enumerate() {
                    if n == variable {
                        cells[c] = f(cells[c].parse().unwrap());
                    }
                }
            }
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        let p = dir.path().join(name);
        std::fs::write(&p, out).unwrap();
        p
    };
    let out = dir.path().join("series.csv");
    let generic = with(&GENERIC, &["--density-correction", "--out", s(&out)]);
    for (file, variable, f, said) in [
        (
            "celsius.csv",
            "temperature",
            &(|v: f64| format!("{:.2}", v - 273.15)) as &dyn Fn(f64) -> String,
            "read as °C",
        ),
        (
            "hpa.csv",
            "pressure",
            &|v: f64| format!("{:.2}", v / 100.0),
            "read as hPa",
        ),
        (
            "calm.csv",
            "wind_speed",
            &|_| String::new(),
            "no hour of the",
        ),
    ] {
        let w = edited(file, variable, f);
        let o = simulate(None, &w, &generic);
        assert_eq!(o.status.code(), Some(1), "{file}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(said) && e.contains(file), "{e}");
        assert!(!out.exists());
    }
}

/// Wind speeds in km/h are refused unless their unit is stated; stated, they give the year
/// of the same speeds in m/s. A power curve in kW is refused at a utility hub height, and
/// in a farm beside its fleet's nominal power.
#[test]
fn wind_speeds_in_km_h_and_a_curve_in_kw_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/wind-weather-sample.csv");
    let text = std::fs::read_to_string(&sample).unwrap();
    let names: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let mut kmh = String::new();
    for (i, l) in text.lines().enumerate() {
        let cells: Vec<String> = l
            .split(',')
            .zip(&names)
            .map(|(c, n)| match (i, *n) {
                (2.., "wind_speed") => format!("{}", c.parse::<f64>().unwrap() * 3.6),
                _ => c.to_string(),
            })
            .collect();
        kmh.push_str(&cells.join(","));
        kmh.push('\n');
    }
    let w = dir.path().join("kmh.csv");
    std::fs::write(&w, kmh).unwrap();
    let out = dir.path().join("series.csv");
    let generic = with(&GENERIC, &["--out", s(&out)]);
    let o = simulate(None, &w, &generic);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("kmh.csv") && e.contains("windier than any") && e.contains("--wind-speed-unit"),
        "{e}"
    );
    assert!(!out.exists());
    let stated = simulate(None, &w, &with(&generic, &["--wind-speed-unit", "km/h"]));
    assert!(stated.status.success(), "{}", stderr(&stated));
    let converted = std::fs::read_to_string(&out).unwrap();
    let plain = simulate(None, &sample, &generic);
    assert!(plain.status.success());
    let first_line = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .map(str::to_string)
    };
    assert_eq!(first_line(&stated), first_line(&plain));
    assert_eq!(
        converted.lines().count(),
        std::fs::read_to_string(&out).unwrap().lines().count()
    );

    // a 3 MW curve written in kW
    let mut curve = String::from("wind_speed,value\n");
    for v in 0..=25 {
        let p = if v < 3 {
            0.0
        } else {
            (3000.0 * ((v as f64 - 3.0) / 9.0).powi(3)).min(3000.0)
        };
        curve.push_str(&format!("{v},{p}\n"));
    }
    let c = dir.path().join("curve-kw.csv");
    std::fs::write(&c, &curve).unwrap();
    let o = simulate(
        None,
        &sample,
        &[
            "--power-curve",
            s(&c),
            "--hub-height",
            "100",
            "--out",
            s(&out),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("curve-kw.csv") && e.contains("are its values in kW?"),
        "{e}"
    );
    // a small turbine's curve on a small tower passes
    let o = simulate(
        None,
        &sample,
        &["--power-curve", s(&c), "--hub-height", "30"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // in a farm, beside the fleet's nominal power
    let farm = dir.path().join("farm.toml");
    std::fs::write(
        &farm,
        "[[fleet]]\npower_curve = \"curve-kw.csv\"\nhub_height = 30\nnumber_of_turbines = 4\nnominal_kw = 3000\n",
    )
    .unwrap();
    let o = simulate(None, &sample, &["--farm", s(&farm)]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("nominal_kw 3000 kW") && e.contains("read as kW"),
        "{e}"
    );
}

/// windpowerlib's weather year with its two wind heights exchanged in the header's second
/// row (80 m read as 10 m: −70 % with exit 0), NREL's 20 kW distributed-wind curve left in
/// kW on a 30 m tower (0.0 MWh), and a curve with an empty cell read as 0 at 10 m/s (−13 %):
/// each refused, naming the file and the line or heights.
#[test]
fn exchanged_heights_a_small_curve_in_kw_and_a_holed_curve_are_refused() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir.join("example_weather.csv")).unwrap();
    let swapped = text.replacen("height,0,2,10,0,10,80", "height,0,2,80,0,10,10", 1);
    assert_ne!(swapped, text);
    let w = tmp.path().join("swapped.csv");
    std::fs::write(&w, swapped).unwrap();
    let out = tmp.path().join("series.csv");
    let e126 = e126_at_135_m(&dir, &out);
    support::refused(
        &simulate(None, &w, &e126),
        &out,
        &[
            "swapped.csv",
            "the wind at 80 m is slower than at 10 m",
            "are the heights in the header's second row exchanged or mistyped?",
        ],
    );
    let o = simulate(None, &dir.join("example_weather.csv"), &e126);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&out).unwrap();
    // NREL's DW20 curve (kW) as the value column
    let nrel = std::fs::read_to_string(dir.join("nrel_turbine_models/2019COE_DW20_20kW_12.4.csv"))
        .unwrap();
    let mut kw = String::from("wind_speed,value\n");
    let mut w_curve = kw.clone();
    for l in nrel.lines().skip(1) {
        let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        kw.push_str(&format!("{},{}\n", f[0], f[1]));
        w_curve.push_str(&format!("{},{}\n", f[0], f[1] * 1000.0));
    }
    let (c_kw, c_w) = (tmp.path().join("dw20-kw.csv"), tmp.path().join("dw20.csv"));
    std::fs::write(&c_kw, kw).unwrap();
    std::fs::write(&c_w, &w_curve).unwrap();
    let weather = dir.join("example_weather.csv");
    let small = |c: &Path| {
        let a = [
            "--power-curve",
            s(c),
            "--hub-height",
            "30",
            "--out",
            s(&out),
        ];
        simulate(None, &weather, &a)
    };
    support::refused(
        &small(&c_kw),
        &out,
        &["dw20-kw.csv", "a 0.02", "30 m high: are its values in kW?"],
    );
    let o = small(&c_w);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&out).unwrap();
    // the same curve in W with the cell at 10 m/s emptied into 0
    let holed: String = w_curve
        .lines()
        .map(|l| {
            if l.starts_with("10,") {
                "10,0".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c_hole = tmp.path().join("holed.csv");
    std::fs::write(&c_hole, holed).unwrap();
    support::refused(
        &small(&c_hole),
        &out,
        &[
            "holed.csv",
            "the power at 10 m/s is 0 W, between",
            "an empty cell or a slip?",
        ],
    );
}

/// Two years of weather (windpowerlib's example year, then the same hours a year later) had
/// been summed into "annual energy 23,184 MWh", twice the year's 11,592. A series longer
/// than a year gets no annual figure: its energy over its hours, and the mean per year of
/// 365.25 days.
#[test]
fn a_weather_series_of_two_years_is_not_one_year() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let one = std::fs::read_to_string(dir.join("example_weather.csv")).unwrap();
    let mut two = one.clone();
    for l in one.lines().skip(2) {
        two.push_str(&l.replacen("2010-", "2011-", 1));
        two.push('\n');
    }
    let weather = tmp.path().join("two_years.csv");
    std::fs::write(&weather, two).unwrap();
    let rep = tmp.path().join("r.json");
    let series = tmp.path().join("s.csv");
    let o = simulate(Some(&rep), &weather, &e126_at_135_m(&dir, &series));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    let res = &r["results"];
    assert!(res["annual_energy_mwh"].is_null(), "{res}");
    let total = res["energy_mwh"].as_f64().unwrap();
    assert!(
        (total - 2.0 * 11_591.901_465_953_624).abs() < 1e-5,
        "{total}"
    );
    // 8,766 h a year over 17,520 h
    let mean = res["mean_annual_energy_mwh"].as_f64().unwrap();
    assert!(
        (mean - 11_591.901_465_953_624 * 8766.0 / 8760.0).abs() < 1e-5,
        "{mean}"
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("(a 2.0-year span: not one year)") && !text.contains("annual energy"),
        "{text}"
    );
}

/// An obstacle as high as the mast or higher (100 ft of trees typed as 100 m, over
/// windpowerlib's 80 m wind speed) put the profile's displacement at the anemometer: a
/// capacity factor of 56.9 % (at 113 m, 75 %) for 31.5 %. Refused, naming both heights.
/// A roughness length of 0 (ln(h/0)) was "no hour has all the weather the chain needs";
/// it is named now.
#[test]
fn obstacles_above_the_mast_and_a_roughness_of_zero_are_refused() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.csv");
    let weather = dir.join("example_weather.csv");
    let e126 = e126_at_135_m(&dir, &out);
    let o = simulate(None, &weather, &with(&e126, &["--obstacle-height", "30"]));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&out).unwrap();
    for h in ["80", "100"] {
        support::refused(
            &simulate(None, &weather, &with(&e126, &["--obstacle-height", h])),
            &out,
            &[
                &format!(
                    "obstacle height: {h} m is at or above the height the wind is measured at (80 m)"
                ),
                "1 ft = 0.3048 m",
            ],
        );
    }
    let text = std::fs::read_to_string(&weather).unwrap();
    let mut zero = String::new();
    for (i, l) in text.lines().enumerate() {
        let mut f: Vec<&str> = l.split(',').collect();
        if i >= 2 {
            f[4] = "0";
        }
        zero.push_str(&f.join(","));
        zero.push('\n');
    }
    let z0 = tmp.path().join("z0.csv");
    std::fs::write(&z0, zero).unwrap();
    support::refused(
        &simulate(None, &z0, &e126),
        &out,
        &[
            "roughness_length at 0 m: 8760 of its 8760 values are roughness length at or below 0",
            "above 0 (0.0002 m over open sea",
        ],
    );
}

/// windpowerlib's year as daily means: the power curve on a day's mean speed misses its
/// windy hours (11,263.8 MWh for 11,591.9, 2.8 % less), with nothing said. A note now says
/// the steps are a day long and what that costs.
#[test]
fn weather_at_daily_steps_is_noted() {
    let Some(dir) = common::reference_data("wind") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.csv");
    let text = std::fs::read_to_string(dir.join("example_weather.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut daily = format!("{}\n{}\n", lines[0], lines[1]);
    for day in lines[2..].chunks(24) {
        let rows: Vec<Vec<&str>> = day.iter().map(|l| l.split(',').collect()).collect();
        let mean = |k: usize| {
            rows.iter()
                .map(|r| r[k].parse::<f64>().unwrap())
                .sum::<f64>()
                / rows.len() as f64
        };
        let fields: Vec<String> = std::iter::once(rows[0][0].to_string())
            .chain((1..rows[0].len()).map(|k| mean(k).to_string()))
            .collect();
        daily.push_str(&fields.join(","));
        daily.push('\n');
    }
    let weather = tmp.path().join("daily.csv");
    std::fs::write(&weather, daily).unwrap();
    let o = simulate(None, &weather, &e126_at_135_m(&dir, &out));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("365 intervals; annual energy 11263.8 MWh")
            && text.contains("note: the weather is at 24.0 h steps")
            && text.contains("2.8 % less"),
        "{text}"
    );
}
