//! End-to-end tests of `terrawatt building` (issue 3): fit → predict on the bundled
//! sample, the green choice's table and plot, and every bad input the issue names — each
//! a clear error, a non-zero exit, no output and untouched inputs.

use std::path::{Path, PathBuf};

mod support;
use support::{s, stderr, stdout, terrawatt};

#[path = "../crates/meter/tests/common.rs"]
mod common;

/// The sample's heating load as the target, its cooling load left out.
const HEATING: [&str; 4] = ["--target", "heating_kwh_m2", "--exclude", "cooling_kwh_m2"];

fn sample() -> PathBuf {
    support::samples().join("buildings.csv")
}

/// A small table: 12 rows of three features and a target.
fn small_csv(dir: &Path, name: &str, edit: impl Fn(usize, &mut Vec<String>)) -> PathBuf {
    let mut text = String::from("a,b,c,load\n");
    for i in 0..12 {
        let mut row: Vec<String> = vec![
            format!("{}", i as f64 * 1.5),
            format!("{}", (i * 7 % 5) as f64),
            format!("{}", 10.0 - i as f64),
            format!("{}", 3.0 * i as f64 + (i * 7 % 5) as f64),
        ];
        edit(i, &mut row);
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn fit_then_predict_on_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let report = dir.path().join("fit.json");
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&sample()),
        HEATING[0],
        HEATING[1],
        HEATING[2],
        HEATING[3],
        "--model",
        "forest",
        "--n-trees",
        "30",
        "--out",
        s(&model),
        "--report",
        s(&report),
        "--importance",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("permutation importance"), "{out}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(r["results"]["mae"].as_f64().unwrap() > 0.0);
    assert_eq!(r["energy"]["sci"]["unit"], "1,000 predictions");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(saved["format"], "terrawatt-model");
    assert_eq!(saved["features"].as_array().unwrap().len(), 12);

    let preds = dir.path().join("p.csv");
    let o = terrawatt(&[
        "building",
        "predict",
        "--model",
        s(&model),
        "--data",
        s(&sample()),
        "--out",
        s(&preds),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["results"]["predictions"], 400);
    let text = std::fs::read_to_string(&preds).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "row,prediction,heating_kwh_m2"
    );
    assert_eq!(text.lines().count(), 401);
    // the training data lies inside its own ranges, which the model file keeps
    assert_eq!(saved["ranges"].as_array().unwrap().len(), 12);
    assert_eq!(
        r["results"]["outside_training_range"],
        serde_json::json!([])
    );
    // floor areas in ft² (the sample's × 10.764): the rows above the training range said
    let sample_text = std::fs::read_to_string(sample()).unwrap();
    let mut ft2 = String::new();
    for (i, l) in sample_text.lines().enumerate() {
        let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
        if i > 0 {
            cells[0] = format!("{}", cells[0].parse::<f64>().unwrap() * 10.764);
        }
        ft2.push_str(&cells.join(","));
        ft2.push('\n');
    }
    let ft2_file = dir.path().join("ft2.csv");
    std::fs::write(&ft2_file, ft2).unwrap();
    let predict_ft2 = |extra: &[&str]| {
        let mut a = vec![
            "building",
            "predict",
            "--model",
            s(&model),
            "--data",
            s(&ft2_file),
            "--out",
            s(&preds),
        ];
        a.extend_from_slice(extra);
        terrawatt(&a)
    };
    let o = predict_ft2(&["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outside = &r["results"]["outside_training_range"];
    assert_eq!(outside.as_array().unwrap().len(), 1, "{outside}");
    assert_eq!(outside[0]["feature"], "floor_area_m2");
    let (least, greatest) = (
        saved["ranges"][0][0].as_f64().unwrap(),
        saved["ranges"][0][1].as_f64().unwrap(),
    );
    let above = sample_text
        .lines()
        .skip(1)
        .filter(|l| {
            let v = l.split(',').next().unwrap().parse::<f64>().unwrap() * 10.764;
            v > greatest || v < least
        })
        .count();
    assert!(above > 200, "{above}");
    assert_eq!(outside[0]["rows"], above);
    let o = predict_ft2(&[]);
    assert!(
        stdout(&o).contains("another unit than in training?"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_histogram_forest_fits_close_to_the_exact_one_and_saves_its_bins() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample();
    let fit = |extra: &[&str]| {
        let model = dir.path().join(format!("forest{}.json", extra.len()));
        let mut args = HEATING.to_vec();
        args.extend(["--model", "forest", "--n-trees", "20"]);
        args.extend(extra);
        let (r, saved) = fitted(&data, &model, &args);
        (r["results"]["mae"].as_f64().unwrap(), saved.to_string())
    };
    // an exact forest on a large table suggests the histogram trees
    let large = dir.path().join("large.parquet");
    parquet_table(&large, 100_000);
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&large),
        "--target",
        "load",
        "--model",
        "forest",
        "--n-trees",
        "1",
        "--max-depth",
        "2",
        "--drop-missing",
        "--features",
        "a",
        "--out",
        s(&dir.path().join("large.json")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("note: exact splits on 100000 rows; --max-bins 255"),
        "{text}"
    );
    let (exact, saved_exact) = fit(&[]);
    let (binned, saved) = fit(&["--max-bins", "16"]);
    assert!(
        !saved_exact.contains("max_bins"),
        "exact models are saved as before"
    );
    assert!(
        saved.contains("\"max_bins\":16"),
        "the histogram's bins are saved"
    );
    // 16 bins of the sample's features lose little in-sample accuracy
    assert!(binned > 0.0 && binned < 1.5 * exact, "{binned} vs {exact}");
}

#[test]
fn green_choice_prints_the_table_and_draws_the_front() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("auto.json");
    let plot = dir.path().join("front.png");
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&sample()),
        "--target",
        "cooling_kwh_m2",
        "--exclude",
        "heating_kwh_m2",
        "--model",
        "auto",
        "--cv",
        "5",
        "--out",
        s(&model),
        "--plot",
        s(&plot),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = r["results"]["candidates"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        &names[..6],
        ["ols", "ridge", "elasticnet", "tree", "forest", "gbm"]
    );
    assert!(names[6].starts_with("student("), "{names:?}");
    assert_eq!(rows.iter().filter(|c| c["picked"] == true).count(), 1);
    let best = rows
        .iter()
        .map(|c| c["mae"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let picked = rows.iter().find(|c| c["picked"] == true).unwrap();
    assert!(picked["mae"].as_f64().unwrap() <= best * 1.05 + 1e-12);
    assert_eq!(picked["pareto"], true);
    for c in rows {
        assert!(c["train_joules"].as_f64().unwrap() > 0.0, "{c}");
        assert!(c["infer_joules_per_1000"].as_f64().unwrap() > 0.0, "{c}");
    }
    let png = std::fs::read(&plot).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

/// Runs `args`, expects a failure whose first line holds `words`, and no `out` file.
fn fails(args: &[&str], words: &str, out: &Path) {
    let o = terrawatt(args);
    assert!(!o.status.success(), "{args:?} should fail");
    let err = stderr(&o);
    assert!(
        err.lines().next().unwrap_or("").contains(words),
        "{args:?}: {err}"
    );
    assert!(err.lines().last().unwrap().starts_with("energy "), "{err}");
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

/// `building fit --data DATA --out OUT` and `extra`.
fn fit_args(data: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    ["building", "fit", "--data", s(data), "--out", s(out)]
        .iter()
        .chain(extra)
        .map(|x| x.to_string())
        .collect()
}

/// [`fitted`] of boosting with `trees` trees on `data`'s `load`, missing rows dropped, and
/// `extra`, its model to `model`.
fn gbm_fit(
    data: &Path,
    model: &Path,
    trees: &str,
    extra: &[&str],
) -> (serde_json::Value, serde_json::Value) {
    let mut args = vec!["--target", "load", "--model", "gbm", "--n-trees", trees];
    args.push("--drop-missing");
    args.extend(extra);
    fitted(data, model, &args)
}

/// A `building fit` that succeeds, with `--json`: its report and the saved model.
fn fitted(data: &Path, model: &Path, extra: &[&str]) -> (serde_json::Value, serde_json::Value) {
    let mut args = fit_args(data, model, extra);
    args.push("--json".into());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = terrawatt(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = serde_json::from_slice(&o.stdout).unwrap();
    let saved = serde_json::from_str(&std::fs::read_to_string(model).unwrap()).unwrap();
    (r, saved)
}

/// The in-sample MAE of a fit's report.
fn mae_of(r: &serde_json::Value) -> f64 {
    r["results"]["mae"].as_f64().unwrap()
}

/// [`fails`] with owned arguments.
fn refused(args: Vec<String>, words: &str, out: &Path) {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(&a, words, out);
}

#[test]
fn bad_inputs_fail_clearly_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("model.json");
    let good = small_csv(d, "good.csv", |_, _| {});
    let text = small_csv(d, "text.csv", |i, r| {
        if i == 4 {
            r[1] = "five".into()
        }
    });
    let nan = small_csv(d, "nan.csv", |i, r| {
        if i == 6 {
            r[2] = "NA".into()
        }
    });
    let constant_target = small_csv(d, "ct.csv", |_, r| r[3] = "7".into());
    let before: Vec<Vec<u8>> = [&good, &text, &nan, &constant_target]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();

    let fit = |data: &Path, extra: &[&str]| fit_args(data, &out, extra);
    let run = |args: Vec<String>, words: &str| refused(args, words, &out);
    // a logger's −999 among the features: refused with its row, on CSV as on Parquet by
    // columns (below)
    let code = small_csv(d, "code.csv", |i, r| {
        if i == 5 {
            r[0] = "-999".into()
        }
    });
    run(
        fit(&code, &["--target", "load", "--model", "ols"]),
        "column 'a', row 6 (line 7): -999 is a missing-value code, outside the other values' range (0 to 16.5)",
    );
    // a tolerance of 5 meant as 5 %: it would accept any model within 500 % of the best
    run(
        fit(
            &good,
            &["--target", "load", "--model", "auto", "--tolerance", "5"],
        ),
        "--tolerance 5: a share of the best MAE from 0 to under 1 (0.05 is 5 %); for 5 % give 0.05",
    );
    // missing target column: lists what is missing and what is there
    run(
        fit(&good, &["--target", "heat", "--model", "ols"]),
        "missing column(s) [\"heat\"]; the file has [\"a\", \"b\", \"c\", \"load\"]",
    );
    // text in a numeric column: names the column, row and line
    run(
        fit(&text, &["--target", "load", "--model", "ols"]),
        "column 'b', row 5 (line 6): 'five' is not a number",
    );
    // NaN in features: refused, with the option named
    run(
        fit(&nan, &["--target", "load", "--model", "ols"]),
        "column 'c' has 1 missing value(s), the first at row 7 (line 8)",
    );
    // a constant target
    run(
        fit(&constant_target, &["--target", "load", "--model", "ols"]),
        "the target column 'load' is constant",
    );
    // fewer rows than folds
    let mut cv: Vec<String> = [
        "building",
        "cv",
        "--data",
        s(&good),
        "--target",
        "load",
        "--model",
        "ols",
        "--cv",
        "20",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    cv.extend(["--folds-out".to_string(), s(&out).to_string()]);
    run(cv, "12 rows cannot make 20 folds");
    // invalid hyper-parameters, before any work
    run(
        fit(
            &good,
            &["--target", "load", "--model", "gbm", "--learning-rate", "2"],
        ),
        "invalid hyper-parameter learning_rate = 2",
    );
    run(
        fit(
            &good,
            &[
                "--target",
                "load",
                "--model",
                "forest",
                "--max-features",
                "0",
            ],
        ),
        "invalid hyper-parameter max_features = 0",
    );
    run(
        fit(
            &good,
            &["--target", "load", "--model", "forest", "--max-bins", "1"],
        ),
        "invalid hyper-parameter max_bins = 1",
    );
    run(
        fit(
            &good,
            &[
                "--target", "load", "--model", "gbm", "--goss", "--loss", "absolute",
            ],
        ),
        "invalid hyper-parameter loss = Absolute: squared with GOSS",
    );
    // an unknown model name: clap lists the choices, exit 2
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&good),
        "--target",
        "load",
        "--model",
        "xgboost",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("possible values: ols, ridge, elasticnet, tree, forest, gbm, auto"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());

    // NaN with --drop-missing: the row is dropped and counted
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&nan),
        "--target",
        "load",
        "--model",
        "ols",
        "--drop-missing",
        "--out",
        s(&out),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["results"]["data"]["dropped_rows"], 1);
    assert_eq!(r["results"]["data"]["missing"][0]["column"], "c");

    // a constant feature column is left out and reported
    let constant_feature = small_csv(d, "cf.csv", |_, r| r[0] = "2".into());
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&constant_feature),
        "--target",
        "load",
        "--model",
        "ols",
        "--out",
        s(&d.join("m2.json")),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["results"]["data"]["constant_columns_left_out"][0], "a");

    // a model file applied to data with other features
    let other = d.join("other.csv");
    std::fs::write(&other, "x,y\n1,2\n3,4\n").unwrap();
    let preds = d.join("p.csv");
    let o = terrawatt(&[
        "building",
        "predict",
        "--model",
        s(&out),
        "--data",
        s(&other),
        "--out",
        s(&preds),
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("the model was trained on features [a, b, c]; the data lacks [a, b, c]"),
        "{err}"
    );
    assert!(!preds.exists());
    // a file that is not a model
    let o = terrawatt(&[
        "building",
        "predict",
        "--model",
        s(&good),
        "--data",
        s(&good),
        "--out",
        s(&preds),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a model file"), "{}", stderr(&o));

    let after: Vec<Vec<u8>> = [&good, &text, &nan, &constant_target]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after, "inputs are never touched");
}

/// A Parquet table of `n` rows: features a, b, c (row 7 of `b` missing, row 11 of `c`
/// infinite), a text column, a constant column and the target `load`.
fn parquet_table(path: &Path, n: usize) {
    parquet_table_with(path, n, |_| {});
}

/// [`parquet_table`] with column `c` passed through `edit`.
fn parquet_table_with(path: &Path, n: usize, edit: impl Fn(&mut Vec<f64>)) {
    use terrawatt::table::{OutColumn, write_parquet_columns};
    let f = |i: usize, k: usize| ((i * (7 + 6 * k) + 3 * k) % (97 + k)) as f64 / 10.0;
    let real = |v: Vec<f64>| OutColumn::Real(v.into_iter().map(Some).collect());
    let mut b: Vec<Option<f64>> = (0..n).map(|i| Some(f(i, 1))).collect();
    b[7] = None;
    let mut c: Vec<f64> = (0..n).map(|i| f(i, 2)).collect();
    c[11] = f64::INFINITY;
    edit(&mut c);
    let load: Vec<f64> = (0..n)
        .map(|i| 3.0 * f(i, 0) + (f(i, 1) * 0.7).sin() * 4.0 + 0.1 * f(i, 3))
        .collect();
    write_parquet_columns(
        path,
        vec![
            ("a".into(), real((0..n).map(|i| f(i, 0)).collect())),
            ("b".into(), OutColumn::Real(b)),
            ("c".into(), real(c)),
            (
                "kind".into(),
                OutColumn::Text((0..n).map(|i| Some(format!("k{}", i % 3))).collect()),
            ),
            ("flat".into(), real(vec![1.5; n])),
            ("load".into(), real(load)),
        ],
    )
    .unwrap();
}

/// Boosting on Parquet selects its columns as it reads them: the target among the features,
/// a feature named twice, or a missing-value code among a column's values is refused there
/// too, with no output.
#[test]
fn boosting_on_parquet_refuses_the_target_or_a_repeated_column_among_the_features() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("loads.parquet");
    parquet_table(&data, 300);
    let out = dir.path().join("m.json");
    let coded = dir.path().join("coded.parquet");
    parquet_table_with(&coded, 300, |c| c[40] = -9999.0);
    for (table, features, said) in [
        (&data, "a,load", "include the target column 'load'"),
        (&data, "a,c,a", "'a' is named twice"),
        (
            &coded,
            "a,c",
            "column 'c', row 41: -9999 is a missing-value code",
        ),
    ] {
        let name = table.file_name().unwrap().to_str().unwrap();
        support::fails(
            &[
                "building",
                "fit",
                "--data",
                s(table),
                "--target",
                "load",
                "--features",
                features,
                "--model",
                "gbm",
                "--drop-missing",
                "--memory",
                "1GB",
                "--out",
                s(&out),
            ],
            &out,
            &[said, name],
        );
    }
}

#[test]
fn boosting_on_parquet_reads_a_column_at_a_time_and_fits_the_model_of_the_whole_table() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("loads.parquet");
    parquet_table(&data, 3000);
    let before = std::fs::read(&data).unwrap();
    let fit = |name: &str, extra: &[&str]| gbm_fit(&data, &dir.path().join(name), "20", extra);
    // GOSS on the same rows: its own model, close to the one on every row
    let (goss, _) = fit("goss.json", &["--goss"]);
    let (goss_mae, mae) = (mae_of(&goss), mae_of(&fit("all.json", &[]).0));
    assert!(
        goss_mae != mae && goss_mae < 1.2 * mae,
        "{goss_mae} vs {mae}"
    );
    let (by_columns, m1) = fit("columns.json", &["--memory", "1GB"]);
    // permutation importance needs the rows whole: the table is read whole
    let (whole, m2) = fit("whole.json", &["--importance"]);
    assert_eq!(by_columns["results"]["read"]["by_columns"], true);
    assert!(whole["results"]["read"].is_null());
    assert_eq!(m1["model"], m2["model"], "the same model either way");
    assert_eq!(m1["features"], m2["features"]);
    assert_eq!(m1["ranges"], m2["ranges"], "the same ranges either way");
    assert_eq!(m1["ranges"].as_array().unwrap().len(), 3);
    let d = &by_columns["results"]["data"];
    assert_eq!(d, &whole["results"]["data"]);
    assert_eq!(d["dropped_rows"], 2);
    assert_eq!(d["rows"], 2998);
    assert_eq!(d["features"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(d["constant_columns_left_out"], serde_json::json!(["flat"]));
    assert_eq!(by_columns["results"]["mae"], whole["results"]["mae"]);
    assert_eq!(
        std::fs::read(&data).unwrap(),
        before,
        "the input is untouched"
    );

    // refusals: a bound too small, a bound where the table is held whole, a missing value
    let out = dir.path().join("refused.json");
    let args = |extra: &[&str]| {
        let mut e = vec!["--target", "load"];
        e.extend(extra);
        fit_args(&data, &out, &e)
    };
    let run = |args: Vec<String>, words: &str| refused(args, words, &out);
    run(
        args(&["--model", "gbm", "--drop-missing", "--memory", "100KB"]),
        "--memory 0.1 MB: boosting on 3000 rows × 5 features",
    );
    run(
        args(&["--model", "forest", "--memory", "1GB"]),
        "--memory 1.00 GB: only gradient boosting",
    );
    run(
        args(&["--model", "gbm"]),
        "column 'b' has 1 missing value(s), the first at row 8",
    );
    // a truncated file: an error naming it, read by columns as whole
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &before[..before.len() / 2]).unwrap();
    let e = ["--target", "load", "--model", "gbm", "--drop-missing"];
    refused(
        fit_args(&cut, &out, &e),
        "cut.parquet: cannot read as Parquet",
        &out,
    );
}

#[test]
fn a_histogram_forest_on_parquet_is_read_a_column_at_a_time_too() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("loads.parquet");
    parquet_table(&data, 2000);
    let fit = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "--target",
            "load",
            "--model",
            "forest",
            "--max-bins",
            "64",
            "--n-trees",
            "5",
            "--max-depth",
            "6",
            "--drop-missing",
        ];
        args.extend(extra);
        fitted(&data, &dir.path().join(name), &args)
    };
    let (by_columns, m1) = fit("columns.json", &["--memory", "1GB"]);
    let (whole, m2) = fit("whole.json", &["--importance"]);
    assert_eq!(by_columns["results"]["read"]["by_columns"], true);
    assert!(whole["results"]["read"].is_null());
    assert_eq!(m1["model"], m2["model"], "the same forest either way");
    assert_eq!(
        by_columns["results"]["in_sample"],
        whole["results"]["in_sample"]
    );
    assert_eq!(by_columns["results"]["data"], whole["results"]["data"]);
}

/// ENB2012 fitted on its heating load with the features taken by default: its cooling load,
/// another outcome, is among them and follows the target at r 0.976 (the fit's R² rose from
/// 0.916 to 0.969 with it). It is named in a note and in the report; excluded, no note.
#[test]
fn a_default_feature_that_follows_the_target_is_named() {
    let Some((data, dir)) = common::data_and_dir("building") else {
        return;
    };
    let (enb, model) = (data.join("ENB2012.csv"), dir.path().join("m.json"));
    let args = fit_args(&enb, &model, &["--target", "Y1", "--model", "ols"]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = terrawatt(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("note: feature 'Y2' follows the target Y1 closely (r 0.976)")
            && text.contains("--exclude Y2"),
        "{text}"
    );
    let (r, _) = fitted(&enb, &model, &["--target", "Y1", "--model", "ols"]);
    let close = &r["results"]["data"]["features_close_to_target"];
    assert_eq!(close.as_array().unwrap().len(), 1, "{close}");
    assert_eq!(close[0]["feature"], "Y2");
    let (r, _) = fitted(
        &enb,
        &model,
        &["--target", "Y1", "--exclude", "Y2", "--model", "ols"],
    );
    assert_eq!(
        r["results"]["data"]["features_close_to_target"],
        serde_json::json!([])
    );
    // a misspelt --exclude kept the column it meant, with no word: refused, naming it
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&enb),
        "--target",
        "Y1",
        "--exclude",
        "y2",
        "--model",
        "ols",
        "--out",
        s(&model),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("missing column(s) [\"y2\"]"),
        "{}",
        stderr(&o)
    );
}

/// A Parquet table read a column at a time names the same close feature, with the same r,
/// as the table read whole, also when rows with a missing value are dropped.
#[test]
fn a_close_feature_is_named_the_same_read_whole_or_by_columns() {
    use terrawatt::table::{OutColumn, write_parquet_columns};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("two-outcomes.parquet");
    let n = 2000;
    let x = |i: usize| ((i * 37 + 11) % 101) as f64;
    let y: Vec<f64> = (0..n).map(|i| 2.0 * x(i) + ((i * 13) % 7) as f64).collect();
    let mut other: Vec<Option<f64>> = (0..n)
        .map(|i| Some(0.5 * y[i] + ((i * 5) % 3) as f64))
        .collect();
    other[17] = None;
    let real = |v: Vec<f64>| OutColumn::Real(v.into_iter().map(Some).collect());
    write_parquet_columns(
        &data,
        vec![
            (
                "x".into(),
                real((0..n).map(|i| ((i * 7) % 31) as f64).collect()),
            ),
            ("other".into(), OutColumn::Real(other)),
            ("load".into(), real(y)),
        ],
    )
    .unwrap();
    let fit = |name: &str, extra: &[&str]| gbm_fit(&data, &dir.path().join(name), "5", extra).0;
    let by_columns = fit("columns.json", &["--memory", "1GB"]);
    let whole = fit("whole.json", &["--importance"]);
    assert_eq!(by_columns["results"]["read"]["by_columns"], true);
    let close = &by_columns["results"]["data"]["features_close_to_target"];
    assert_eq!(close.as_array().unwrap().len(), 1, "{close}");
    assert_eq!(close[0]["feature"], "other");
    assert!(close[0]["r"].as_f64().unwrap() > 0.97, "{close}");
    assert_eq!(by_columns["results"]["data"], whole["results"]["data"]);
}

/// ENB2012 with a row number in front (`id`, 1 to 768) fitted with the features taken by
/// default: the id, whose order follows the file's (sorted by shape), is named in a note
/// and in the report; ENB2012 as it is has none.
#[test]
fn a_default_feature_that_counts_the_rows_is_named() {
    let Some((data, dir)) = common::data_and_dir("building") else {
        return;
    };
    let text = std::fs::read_to_string(data.join("ENB2012.csv")).unwrap();
    let with_id: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("id,{l}")
            } else {
                format!("{i},{l}")
            }
        })
        .collect();
    let enb = dir.path().join("enb_id.csv");
    std::fs::write(&enb, with_id.join("\n")).unwrap();
    let model = dir.path().join("m.json");
    let extra = ["--target", "Y1", "--exclude", "Y2", "--model", "ols"];
    let args = fit_args(&enb, &model, &extra);
    let o = terrawatt(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("note: feature 'id' counts the rows") && said.contains("--exclude id"),
        "{said}"
    );
    let (r, _) = fitted(&enb, &model, &extra);
    assert_eq!(
        r["results"]["data"]["features_counting_rows"],
        serde_json::json!(["id"])
    );
    let (r, _) = fitted(&data.join("ENB2012.csv"), &model, &extra);
    assert_eq!(
        r["results"]["data"]["features_counting_rows"],
        serde_json::json!([])
    );
}

/// Ten rows of the sample's buildings for twelve features: OLS passed through every row
/// ("in-sample R² 1.0000") and said nothing of it. A note says the in-sample scores mean
/// nothing there; the sample's 400 rows get none.
#[test]
fn a_fit_with_as_many_parameters_as_rows_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample()).unwrap();
    let ten: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    let data = dir.path().join("ten.csv");
    std::fs::write(&data, ten).unwrap();
    let fit = |data: &Path| {
        let model = dir.path().join("m.json");
        let o = terrawatt(&support::with(
            &support::FIT_OLS,
            &[s(data), "--out", s(&model)],
        ));
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let said = fit(&data);
    assert!(
        said.contains("note: 10 rows for") && said.contains("in-sample scores say nothing"),
        "{said}"
    );
    assert!(!fit(&sample()).contains("in-sample scores say nothing"));
}
