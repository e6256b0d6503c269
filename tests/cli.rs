//! End-to-end tests of the `terrawatt` binary (issue 2): the energy line after every
//! command, `energy info` on this machine, the CodeCarbon emissions.csv, the JSON report,
//! thread-count independence, and failures that leave no output and touch no input.

use std::path::Path;
use std::process::Command;

mod support;
use support::{assert_energy_line, stderr, stdout, terrawatt, terrawatt_strings as run};

const CODECARBON_HEADER: &str = "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,tracking_mode,cpu_utilization_percent,gpu_utilization_percent,ram_utilization_percent,ram_used_gb,on_cloud,pue,wue";

const SMALL: [&str; 4] = ["--sites", "20", "--years", "2"];

/// `building fit` of the sample's heating load on `data` into `out`, then `extra` (OLS unless
/// `extra` names a --model).
fn fit_args(data: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let model: &[&str] = if extra.contains(&"--model") {
        &[]
    } else {
        &["--model", "ols"]
    };
    let (d, o) = (data.to_str().unwrap(), out.to_str().unwrap());
    [
        "building",
        "fit",
        "--data",
        d,
        "--target",
        "heating_kwh_m2",
        "--exclude",
        "cooling_kwh_m2",
        "--out",
        o,
    ]
    .iter()
    .chain(model)
    .chain(extra)
    .map(|x| x.to_string())
    .collect()
}

#[test]
fn energy_info_explains_the_sources() {
    let o = terrawatt(&["energy", "info"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("rapl"), "{out}");
    assert!(out.contains("perf"), "{out}");
    assert!(out.contains("model"), "{out}");
    if !Path::new("/sys/class/powercap").exists() {
        // this machine: no powercap, so RAPL is absent and the model is in use
        let rapl = out
            .lines()
            .find(|l| l.trim_start().starts_with("rapl"))
            .unwrap();
        assert!(rapl.contains("not used: absent"), "{rapl}");
        assert!(
            out.contains("No hardware energy counter is readable here"),
            "{out}"
        );
        assert!(out.contains("model  IN USE"), "{out}");
        assert!(
            stderr(&o)
                .lines()
                .last()
                .unwrap()
                .contains("model estimate")
        );
    }
    assert_energy_line(&o);
}

#[test]
fn calibrate_without_rapl_says_so_and_fails() {
    if Path::new("/sys/class/powercap").exists() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "notice: skipping: this machine has powercap"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cal.json");
    let o = terrawatt(&["energy", "calibrate", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("calibration needs a readable energy counter"),
        "{err}"
    );
    assert!(err.contains("rapl: absent"), "{err}");
    assert!(!out.exists());
    assert_energy_line(&o);
}

#[test]
fn demo_appends_codecarbon_rows_under_the_exact_header() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("e.csv");
    let csv_s = csv.to_str().unwrap();
    for _ in 0..2 {
        // embodied emissions set: they go to the JSON report, not the `emissions` column
        let mut args = vec![
            "demo",
            "--country",
            "FR",
            "--embodied-kgco2e",
            "1000",
            "--emissions-csv",
            csv_s,
        ];
        args.extend(SMALL);
        let o = terrawatt(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_energy_line(&o);
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], CODECARBON_HEADER);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header.len(), 38);
    for row in &lines[1..] {
        // no field here holds a comma, so a plain split is exact
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), 38, "{row}");
        let col = |name: &str| f[header.iter().position(|h| *h == name).unwrap()];
        let duration: f64 = col("duration").parse().unwrap();
        let emissions: f64 = col("emissions").parse().unwrap();
        let energy: f64 = col("energy_consumed").parse().unwrap();
        let cpu: f64 = col("cpu_energy").parse().unwrap();
        let ram: f64 = col("ram_energy").parse().unwrap();
        assert!(duration > 0.0 && energy > 0.0);
        assert!((cpu + ram - energy).abs() <= 1e-12 + 1e-9 * energy);
        // kg = kWh × 56.039 g/kWh / 1000 (France 2023): operational only, as CodeCarbon's
        assert!((emissions - energy * 56.039 / 1000.0).abs() <= 1e-12 + 1e-9 * emissions);
        for zero in ["gpu_power", "gpu_energy", "water_consumed"] {
            assert_eq!(col(zero), "0", "{zero} is 0.0 as CodeCarbon writes it");
        }
        assert_eq!(col("country_iso_code"), "FRA");
        assert_eq!(col("country_name"), "France");
        assert_eq!(col("tracking_mode"), "process");
        assert_eq!(col("on_cloud"), "N");
        assert_eq!(col("pue"), "1");
        for empty in ["gpu_count", "python_version", "longitude", "wue"] {
            assert_eq!(col(empty), "", "{empty} must stay empty");
        }
    }
    assert_ne!(
        lines[1].split(',').nth(2),
        lines[2].split(',').nth(2),
        "run ids differ"
    );
}

#[test]
fn report_json_carries_results_and_the_energy_record() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut args = vec!["demo", "--report", report.to_str().unwrap(), "--pue", "1.2"];
    args.extend(SMALL);
    let o = terrawatt(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["command"], "demo");
    let e = &v["energy"];
    let it = e["it_joules"].as_f64().unwrap();
    let j = e["joules"].as_f64().unwrap();
    assert!((j - 1.2 * it).abs() < 1e-9 * j, "PUE applied: {j} vs {it}");
    assert_eq!(e["carbon"]["grid"]["basis"], "world_average");
    assert_eq!(e["sci"]["unit"], "demo run");
    assert_eq!(e["sci"]["units"].as_f64().unwrap(), 1.0);
    let span = &e["span"];
    assert_eq!(span["name"], "demo");
    assert_eq!(span["children"][0]["name"], "degree-days");
    let phases: Vec<&str> = span["children"][0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["weather", "compute"]);
    if e["method"] == "model" {
        assert_eq!(e["estimate"], true);
        assert!(e["model"]["w_per_cpu"].as_f64().unwrap() > 0.0);
    }
    // --json prints the same structure on stdout
    let mut args = vec!["demo", "--json"];
    args.extend(SMALL);
    let o = terrawatt(&args);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["results"]["tasks"][0]["checksum"].as_f64().is_some());
    // the raster tasks on the sample scene: the clearing found, the land cover measured
    let tasks = v["results"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 10);
    assert_eq!(tasks[6]["name"], "raster-change");
    let cleared = tasks[6]["changed_ha"].as_f64().unwrap();
    assert!((40.0..60.0).contains(&cleared), "cleared {cleared} ha");
    assert_eq!(tasks[7]["name"], "landscape");
    assert!(tasks[7]["patches"].as_u64().unwrap() > 5);
    // forest loss in the reserve: the 2024 clearing (~48 ha) and the small earlier ones
    assert_eq!(tasks[8]["name"], "forest-loss");
    let reserve = &tasks[8]["zones"][0];
    assert_eq!(reserve["name"], "reserve");
    let lost = reserve["loss_ha"].as_f64().unwrap();
    assert!((50.0..70.0).contains(&lost), "lost {lost} ha");
    assert!(reserve["years_with_loss"].as_u64().unwrap() >= 4);
    // BFAST Monitor on the sample stack finds its drops
    assert_eq!(tasks[9]["name"], "breaks");
    assert!(
        tasks[9]["drops_found"].as_f64().unwrap() > 0.9,
        "{}",
        tasks[9]
    );
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let run = |threads: &str| {
        let mut args = vec![
            "demo",
            "--json",
            "--threads",
            threads,
            "--sites",
            "64",
            "--years",
            "3",
        ];
        args.push("--seed");
        args.push("7");
        let o = terrawatt(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        v["results"].clone()
    };
    let mut one = run("1");
    let mut two = run("2");
    // the energy lines inside the results differ run to run; the numbers may not
    for r in [&mut one, &mut two] {
        for task in r["tasks"].as_array_mut().unwrap() {
            task["energy_line"] = serde_json::Value::Null;
        }
    }
    assert_eq!(one, two);
    assert_eq!(one["tasks"][1]["name"], "building-load-cv");
    assert_eq!(one["tasks"][2]["name"], "baseline-savings");
    assert_eq!(one["tasks"][3]["name"], "solar-simulate");
    assert_eq!(one["tasks"][4]["name"], "wind-simulate");
    assert_eq!(one["tasks"][5]["name"], "forecast-backtest");
    // the forecast task beats persistence an hour ahead on the sample
    assert!(one["tasks"][5]["skill_vs_persistence_1h"].as_f64().unwrap() > 0.0);
}

#[test]
fn bad_settings_fail_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let r = report.to_str().unwrap();
    let bad_csv = dir.path().join("other.csv");
    std::fs::write(&bad_csv, "a,b\n1,2\n").unwrap();
    // (args, expected words in the error)
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["demo", "--country", "XX", "--report", r],
            "unknown country code 'XX'",
        ),
        (
            vec!["demo", "--cloud-region", "aws:mars-1", "--report", r],
            "unknown cloud region",
        ),
        (
            vec!["demo", "--pue", "0.5", "--report", r],
            "invalid PUE 0.5",
        ),
        // mL/kWh given as L/kWh
        (
            vec!["demo", "--wue", "1800", "--report", r],
            "--wue 1800 L/kWh: above any data centre's",
        ),
        (
            vec!["demo", "--grid-intensity=-1", "--report", r],
            "invalid grid intensity",
        ),
        (
            vec!["demo", "--cpu-watts-per-core=0", "--report", r],
            "invalid per-core power",
        ),
        (
            vec![
                "demo",
                "--embodied-kgco2e",
                "100",
                "--machine-share",
                "2",
                "--report",
                r,
            ],
            "invalid machine share",
        ),
        (
            vec![
                "demo",
                "--emissions-csv",
                bad_csv.to_str().unwrap(),
                "--report",
                r,
            ],
            "is not CodeCarbon's emissions.csv header",
        ),
        (
            vec!["demo", "--report", "/nonexistent-dir/r.json"],
            "does not exist",
        ),
        (
            vec!["demo", "--sites", "0", "--report", r],
            "--sites and --years must be at least 1",
        ),
    ];
    for (args, words) in cases {
        let o = terrawatt(&args);
        assert!(!o.status.success(), "{args:?} should fail");
        let err = stderr(&o);
        let first = err.lines().next().unwrap_or("");
        assert!(
            first.starts_with("error: ") && first.contains(words),
            "{args:?}: {err}"
        );
        assert_eq!(
            err.lines().count(),
            2,
            "one error line and the energy line: {err}"
        );
        assert_energy_line(&o);
        assert!(!report.exists(), "{args:?} left a report");
    }
    assert_eq!(std::fs::read_to_string(&bad_csv).unwrap(), "a,b\n1,2\n");
}

#[test]
fn completions_and_usage_errors() {
    let o = terrawatt(&["completions", "bash"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("_terrawatt"));
    assert_energy_line(&o);
    let o = terrawatt(&["no-such-command"]);
    assert_eq!(o.status.code(), Some(2));
    assert_energy_line(&o);
}

#[test]
fn countries_and_regions_list_the_tables() {
    let o = terrawatt(&["energy", "countries"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("FR     FRA       56.0 2023 France")),
        "{out}"
    );
    assert!(out.contains("213 countries"));
    let o = terrawatt(&["energy", "regions"]);
    assert!(stdout(&o).contains("gcp:europe-west1"));
}

/// `--report` and `--emissions-csv` never overwrite a file the command is given: an input
/// CSV, an input raster (`FILE#BAND` too), or the command's own output — refused before any
/// work, the file untouched, the energy line printed.
#[test]
fn report_and_emissions_never_overwrite_a_given_file() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("b.csv");
    std::fs::copy(repo.join("notebooks-data/buildings.csv"), &data).unwrap();
    let scene = dir.path().join("s.tif");
    std::fs::copy(repo.join("notebooks-data/scene-2023-06.tif"), &scene).unwrap();
    let model = dir.path().join("m.json");
    let (d, sc, m) = (
        data.to_str().unwrap(),
        scene.to_str().unwrap(),
        model.to_str().unwrap(),
    );
    let with = |extra: &[&str]| fit_args(&data, &model, extra);
    let band1 = format!("{sc}#1");
    let report_eq = format!("--report={d}");
    let cases: Vec<(Vec<String>, &Path)> = vec![
        (with(&["--report", d]), &data),
        (with(&[&report_eq]), &data),
        (with(&["--emissions-csv", d]), &data),
        (with(&["--report", m]), &model),
        (
            [
                "raster",
                "index",
                "--index",
                "ndvi",
                "--red",
                &band1,
                "--nir",
                &format!("{sc}#2"),
                "--out",
                &dir.path().join("ndvi.tif").to_string_lossy(),
                "--report",
                sc,
            ]
            .iter()
            .map(|x| x.to_string())
            .collect(),
            &scene,
        ),
    ];
    for (args, victim) in cases {
        let before = std::fs::read(victim).ok();
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = terrawatt(&a);
        assert!(!o.status.success(), "{a:?}");
        let e = stderr(&o);
        assert!(
            e.contains("would destroy it") || e.contains("one would overwrite the other"),
            "{e}"
        );
        assert_energy_line(&o);
        assert_eq!(
            std::fs::read(victim).ok(),
            before,
            "{} untouched",
            victim.display()
        );
        assert!(
            !model.exists() || victim == model.as_path(),
            "no work was done"
        );
    }
    // every written path goes through the same check: --out on the input, through a hard
    // link too, a plot on the model, an output under a file
    let link = dir.path().join("link.csv");
    std::fs::hard_link(&data, &link).unwrap();
    let plot_on_model = fit_args(&data, &model, &["--plot", m]);
    let out_on_link = fit_args(&data, &link, &[]);
    let out_on_data = fit_args(&data, &data, &[]);
    let under_a_file = fit_args(&data, &data.join("m.json"), &[]);
    for (args, want) in [
        (&out_on_data, "would destroy it"),
        (&out_on_link, "would destroy it"),
        (&plot_on_model, "name the same file"),
        (&under_a_file, "is a file, not a folder"),
    ] {
        let before = std::fs::read(&data).unwrap();
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = terrawatt(&a);
        assert!(!o.status.success(), "{a:?}");
        assert!(stderr(&o).contains(want), "{want}: {}", stderr(&o));
        assert_energy_line(&o);
        assert_eq!(std::fs::read(&data).unwrap(), before);
        assert!(!model.exists());
    }
    // a report beside, not on, the inputs is written
    let rep = dir.path().join("r.json");
    let o = terrawatt(
        &with(&["--report", rep.to_str().unwrap()])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(rep.exists() && model.exists());
}

/// A damaged calibration file does not stop commands (issue 18, part 5): one warning that
/// names it and says how to recalibrate, the processor table instead, the energy line.
#[test]
fn a_damaged_calibration_falls_back_to_the_table_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("terrawatt");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("calibration.json"),
        "{\"cpu_model\": \"x\", \"w_per_co",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_terrawatt"))
        .args(["energy", "info"])
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("TERRAWATT_COUNTRY")
        .env_remove("TERRAWATT_CPU_W_PER_CORE")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.matches("calibration.json").count(), 1, "{e}");
    assert!(e.contains("terrawatt energy calibrate"), "{e}");
    assert_energy_line(&o);
}

/// A header that names a column twice is refused with both positions (issue 18, part 4),
/// not renamed and used as a feature.
#[test]
fn a_column_named_twice_is_refused() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo.join("notebooks-data/buildings.csv")).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let mut names: Vec<&str> = header.split(',').collect();
    names[1] = names[0];
    let data = dir.path().join("dup.csv");
    std::fs::write(&data, format!("{}\n{rest}", names.join(","))).unwrap();
    let out = dir.path().join("m.json");
    let o = run(&fit_args(&data, &out, &[]));
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains(&format!("'{}' twice (columns 1 and 2)", names[0])),
        "{e}"
    );
    assert!(!out.exists());
    assert_energy_line(&o);
}

/// The target among `--features` (a model shown its own answer fits it exactly) and a
/// feature named twice are refused, naming the column, with no output, on CSV and on
/// Parquet read by columns (boosting).
#[test]
fn the_target_or_a_repeated_column_among_the_features_is_refused() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = repo.join("notebooks-data/buildings.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    for (features, model, said) in [
        (
            "u_wall,heating_kwh_m2",
            "ols",
            "include the target column 'heating_kwh_m2'",
        ),
        (
            "u_wall,heating_kwh_m2",
            "gbm",
            "include the target column 'heating_kwh_m2'",
        ),
        ("u_wall,u_roof,u_wall", "ols", "'u_wall' is named twice"),
    ] {
        let o = run(&fit_args(
            &data,
            &out,
            &["--features", features, "--model", model],
        ));
        assert_eq!(o.status.code(), Some(1), "{features} {model}");
        let e = stderr(&o);
        assert!(e.contains(said) && e.contains("buildings.csv"), "{e}");
        assert!(!out.exists());
        assert_energy_line(&o);
    }
}

/// `--quantile 2` is named as the user gave it, with what a quantile is (issue 18, part 6).
#[test]
fn a_quantile_outside_0_1_is_named_as_given() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let data = repo.join("notebooks-data/buildings.csv");
    let o = run(&fit_args(
        &data,
        &out,
        &["--model", "gbm", "--loss", "quantile", "--quantile", "2"],
    ));
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("--quantile 2: a quantile is a probability in (0, 1)"),
        "{e}"
    );
    assert!(!e.contains("alpha"), "{e}");
    assert!(!out.exists());
}
