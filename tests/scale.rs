//! Planned runs on this machine (issue 9): `plan` → `submit --local` → `merge`, for the
//! three kinds of plan, on real data. The merged outputs equal one process over the same
//! inputs; tasks already done are skipped; bad plans and incomplete runs are refused with
//! what is wrong named and nothing merged.

use std::path::{Path, PathBuf};

use std::process::Output;

#[path = "../crates/meter/tests/common.rs"]
mod common;
mod norcia;

use norcia::{band, bands, ndvi_args, ndvi_bands};

mod support;
use support::{s, strings, terrawatt_strings};

fn run_ok(args: &[String]) -> Output {
    let o = terrawatt_strings(args);
    assert!(
        o.status.success(),
        "{args:?}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn run_err(args: &[String]) -> String {
    let o = terrawatt_strings(args);
    assert!(!o.status.success(), "{args:?} should fail");
    let e = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(e.lines().last().unwrap_or("").starts_with("energy "), "{e}");
    e
}

/// `head`, then `args`, then `tail`: a command line.
fn line(head: &[&str], args: &[String], tail: &[&str]) -> Vec<String> {
    let mut a = strings(head);
    a.extend(args.iter().cloned());
    a.extend(strings(tail));
    a
}

/// `terrawatt [global…] plan raster <command> <options…> --out <run> <args…>`, which must
/// succeed.
fn plan_raster(
    run: &Path,
    global: &[&str],
    command: &str,
    options: &[&str],
    args: &[String],
) -> Output {
    let mut head: Vec<&str> = global.to_vec();
    head.extend(["plan", "raster", command]);
    head.extend(options);
    head.extend(["--out", s(run)]);
    run_ok(&line(&head, args, &[]))
}

/// One run of `raster <command> args --out <dir>/single.tif`, then a plan of it in tiles of
/// `tile` (whose summary must say `says`) run here: (the single output, the run folder).
fn one_run_and_tiles(
    dir: &Path,
    command: &str,
    args: &[String],
    tile: &str,
    says: &str,
) -> (PathBuf, PathBuf) {
    let single = dir.join("single.tif");
    run_ok(&line(&["raster", command], args, &["--out", s(&single)]));
    let run = dir.join("run");
    let o = plan_raster(&run, &[], command, &["--tile-size", tile], args);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains(says), "{said}");
    run_ok(&strings(&["submit", s(&run), "--local"]));
    (single, run)
}

/// One run of `raster change args` writing single.tif, single-classes.tif and single.csv
/// in `dir`: its output and those three paths.
fn change_once(dir: &Path, args: &[String]) -> (Output, [PathBuf; 3]) {
    let files = ["single.tif", "single-classes.tif", "single.csv"].map(|f| dir.join(f));
    let o = run_ok(&line(
        &["raster", "change"],
        args,
        &[
            "--out",
            s(&files[0]),
            "--classes-out",
            s(&files[1]),
            "--table",
            s(&files[2]),
        ],
    ));
    (o, files)
}

/// The merged change, classes and area table of a run equal one run's, byte for byte.
fn same_as_one_run(run: &Path, [single, classes, table]: [&Path; 3]) {
    assert!(std::fs::read(run.join("change.tif")).unwrap() == std::fs::read(single).unwrap());
    assert!(std::fs::read(run.join("classes.tif")).unwrap() == std::fs::read(classes).unwrap());
    assert_eq!(
        std::fs::read_to_string(run.join("areas.csv")).unwrap(),
        std::fs::read_to_string(table).unwrap()
    );
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn tiled_change_on_norcia_equals_one_run_and_resumes() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let args = ndvi_args(&data);
    let (_, [single, classes, table]) = change_once(dir.path(), &args);

    // 3 × 4 tiles, a CSV manifest, two threads per task
    let run = dir.path().join("run");
    plan_raster(
        &run,
        &["--pue", "1.2"],
        "change",
        &[
            "--tile-size",
            "128x64px",
            "--manifest-format",
            "csv",
            "--cpus-per-task",
            "2",
        ],
        &args,
    );
    let plan = json(&run.join("plan.json"));
    assert_eq!(plan["tasks"], 16); // ceil(385/128) = 4 columns × ceil(241/64) = 4 rows
    assert_eq!(plan["global_args"], serde_json::json!(["--pue", "1.2"]));
    let script = std::fs::read_to_string(run.join("tasks.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-15"), "{script}");
    assert!(script.contains("#SBATCH --cpus-per-task=2"), "{script}");
    assert!(script.contains("--pue 1.2 run-task --manifest"), "{script}");
    let manifest = std::fs::read_to_string(run.join("manifest.csv")).unwrap();
    assert!(manifest.starts_with("task_id,label,col_off,row_off,width,height,xmin,"));
    assert!(manifest.contains("\n5,r1c1,128,64,128,64,"), "{manifest}");

    let o = run_ok(&strings(&["submit", s(&run), "--local"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ran 16 task(s) here"));
    assert_eq!(bands(&run.join("change.tif")), bands(&single));
    assert_eq!(bands(&run.join("classes.tif")), bands(&classes));
    let gt = |p: &Path| gdal::Dataset::open(p).unwrap().geo_transform().unwrap();
    assert_eq!(gt(&run.join("change.tif")), gt(&single));
    // the VRT reads the same pixels; the COGs are the very files one run writes
    assert_eq!(bands(&run.join("change.vrt")), bands(&single));
    assert!(std::fs::read(run.join("change.tif")).unwrap() == std::fs::read(&single).unwrap());
    assert!(std::fs::read(run.join("classes.tif")).unwrap() == std::fs::read(&classes).unwrap());

    // areas summed over the tiles equal the single run's: pixels exactly, hectares to 1e-12
    let rows = |p: &Path| -> Vec<Vec<String>> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(String::from).collect())
            .collect()
    };
    let one = rows(&table);
    let merged = rows(&run.join("areas.csv"));
    assert_eq!(one.len(), merged.len());
    for (x, y) in one.iter().zip(&merged) {
        assert_eq!((&x[0], &x[1], &x[2]), (&y[0], &y[1], &y[2]));
        let (hx, hy): (f64, f64) = (x[3].parse().unwrap(), y[4].parse().unwrap());
        assert!((hx - hy).abs() <= 1e-12 * hx, "{hx} vs {hy}");
    }
    assert_eq!(rows(&run.join("areas-by-tile.csv")).len(), 32);

    // the energy: each task's report, their sum, the PUE carried into the tasks
    let e = json(&run.join("energy.json"));
    let mut sum = 0.0;
    for i in 0..16 {
        let r = json(&run.join(format!("reports/task-{i:05}.json")));
        assert_eq!(r["energy"]["carbon"]["pue"], 1.2);
        assert_eq!(r["results"]["threads"], rayon_threads());
        sum += r["energy"]["joules"].as_f64().unwrap();
    }
    let total = e["energy"]["total"]["joules"].as_f64().unwrap();
    assert!((total - sum).abs() <= 1e-9 * sum, "{total} vs {sum}");
    let csv = std::fs::read_to_string(run.join("energy-by-task.csv")).unwrap();
    assert_eq!(csv.lines().count(), 17);
    // the merge's own report beside the tasks'; submit --local adds them up
    let merge = json(&run.join("reports/merge.json"));
    assert_eq!(merge["energy"]["carbon"]["pue"], 1.2);
    let out = String::from_utf8_lossy(&o.stdout);
    let m_j = merge["energy"]["joules"].as_f64().unwrap();
    assert!(
        out.contains(&format!(
            "the run's energy: tasks {total:.1} J (of which run now {sum:.1} J) + merge {m_j:.1} J"
        )),
        "{out}"
    );

    // resumed: nothing left to run; a task run again by hand is skipped, its report kept
    let before = std::fs::read_to_string(run.join("reports/task-00003.json")).unwrap();
    let o = run_ok(&strings(&["submit", s(&run), "--local"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ran 0 task(s) here (16 done before)"));
    let m = run.join("manifest.csv");
    let o = run_ok(&strings(&[
        "run-task",
        "--manifest",
        s(&m),
        "--task-id",
        "3",
    ]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("skipped"));
    assert_eq!(
        std::fs::read_to_string(run.join("reports/task-00003.json")).unwrap(),
        before
    );
    // a task id the manifest does not have: refused, and no failed attempt is recorded for
    // the merge to count (issue 18, part 5)
    run_err(&strings(&[
        "run-task",
        "--manifest",
        s(&m),
        "--task-id",
        "99",
    ]));
    let failed = run.join("reports/failed");
    let recorded: Vec<_> = std::fs::read_dir(&failed)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        !recorded
            .iter()
            .any(|n| n.to_string_lossy().contains("00099")),
        "{recorded:?}"
    );

    // a lost report: the merge names the task and writes nothing
    std::fs::remove_file(run.join("reports/task-00007.json")).unwrap();
    std::fs::remove_file(run.join("change.tif")).unwrap();
    let e = run_err(&strings(&["merge", s(&run)]));
    assert!(e.contains("1 of 16 tasks") && e.contains(": 7 "), "{e}");
    let o = run_ok(&strings(&["submit", s(&run), "--dry-run"]));
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains("16 task(s), 15 done, 1 to run (7)") && t.contains("sbatch --array=7 "),
        "{t}"
    );
    assert!(!run.join("change.tif").exists());
    // a report that is not one: named, no panic, nothing written (the earlier merge's
    // results stay as they were)
    let results = std::fs::read(run.join("results.json")).unwrap();
    std::fs::write(
        run.join("reports/task-00007.json"),
        r#"{"results": "lost"}"#,
    )
    .unwrap();
    let e = run_err(&strings(&["merge", s(&run)]));
    assert!(
        e.contains("task-00007.json") && e.contains("no energy figure"),
        "{e}"
    );
    assert!(!run.join("change.tif").exists());
    assert!(std::fs::read(run.join("results.json")).unwrap() == results);
    let left = support::file_names(&run, |n| n.contains("partial"));
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn tiled_dnbr_with_resampled_20m_bands_equals_one_run() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let band = |date: usize, b: &str| band(&data, date, b);
    // B12 (20 m) brought onto the 10 m grid of B08 bilinearly, tile by tile
    let args: Vec<String> = vec![
        "--index".into(),
        "nbr".into(),
        "--before-nir".into(),
        band(1, "B08"),
        "--before-swir2".into(),
        band(1, "B12"),
        "--after-nir".into(),
        band(2, "B08"),
        "--after-swir2".into(),
        band(2, "B12"),
        "--resampling".into(),
        "bilinear".into(),
    ];
    let single = dir.path().join("single.tif");
    let table = dir.path().join("single.csv");
    run_ok(&line(
        &["raster", "change"],
        &args,
        &["--out", s(&single), "--table", s(&table)],
    ));
    let run = dir.path().join("run");
    plan_raster(&run, &[], "change", &["--tile-size", "150px"], &args);
    // a task that cannot write its tile: submit --local stops before the merge, naming it
    let blocker = run.join("tiles/change-r0c1.tif");
    std::fs::create_dir(&blocker).unwrap();
    let e = run_err(&strings(&["submit", s(&run), "--local"]));
    assert!(e.contains("1 task(s) failed: 1;"), "{e}");
    assert!(!run.join("change.tif").exists() && !run.join("energy.json").exists());
    assert_eq!(
        std::fs::read_dir(run.join("reports/failed"))
            .unwrap()
            .count(),
        1
    );
    // mended: only that task runs, then the merge
    std::fs::remove_dir(&blocker).unwrap();
    let o = run_ok(&strings(&["submit", s(&run), "--local"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ran 1 task(s) here (5 done before)"));
    assert_eq!(bands(&run.join("change.tif")), bands(&single));
    // dNBR class names hold commas: quoted in every table
    let areas = std::fs::read_to_string(run.join("areas.csv")).unwrap();
    assert!(
        areas.contains("\n1,\"enhanced regrowth, high\",10537,0,"),
        "{areas}"
    );
    let one = std::fs::read_to_string(&table).unwrap();
    assert!(
        one.contains("\n1,\"enhanced regrowth, high\",10537,"),
        "{one}"
    );
}

#[test]
fn tiles_in_kilometres_with_cloud_masks_equal_one_run() {
    let Some((data, dir)) = common::data_and_dir("raster/mapme_vegetation/s2a") else {
        return;
    };
    let f = |date: &str, band: &str| {
        data.join(format!("S2A_38PLR_{date}_0_L2A_{band}.tif"))
            .display()
            .to_string()
    };
    // Sentinel-2 L2A, 549 m pixels (EPSG:32638), both dates' SCL cloud classes masked
    let args: Vec<String> = strings(&[
        "--index",
        "ndvi",
        "--before-red",
        &f("20170503", "B04"),
        "--before-nir",
        &f("20170503", "B08"),
        "--after-red",
        &f("20170722", "B04"),
        "--after-nir",
        &f("20170722", "B08"),
        "--scl-before",
        &f("20170503", "SCL"),
        "--scl-after",
        &f("20170722", "SCL"),
        "--threshold",
        "-0.1",
    ]);
    // 27 km / 549 m = 49.2 → 49 pixels: 5 × 5 tiles over 200 × 200
    let (single, run) = one_run_and_tiles(
        dir.path(),
        "change",
        &args,
        "27km",
        "in 25 tiles of up to 49 × 49 pixels",
    );
    assert!(std::fs::read(run.join("change.tif")).unwrap() == std::fs::read(&single).unwrap());
}

/// Each feature of a GeoPackage's one layer: its fields (type and value) as text, its
/// geometry as WKB.
fn gpkg_rows(p: &Path) -> Vec<(Vec<String>, Vec<u8>)> {
    use gdal::vector::LayerAccess;
    let ds = gdal::Dataset::open(p).unwrap();
    assert_eq!(ds.layer_count(), 1, "{p:?}");
    let mut l = ds.layer(0).unwrap();
    let n = l.defn().fields().count();
    l.features()
        .map(|f| {
            let fields = (0..n)
                .map(|i| format!("{:?}", f.field(i).unwrap()))
                .collect();
            (
                fields,
                f.geometry().map(|g| g.wkb().unwrap()).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn polygons_shared_among_tasks_equal_one_run() {
    let Some(m) = common::reference_data("raster/mapme") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // the study polygon and the protected area in one layer (an OGR union VRT)
    let zones = dir.path().join("zones.vrt");
    let layer = |f: &str, l: &str| {
        format!(
            "<OGRVRTLayer name=\"{l}\"><SrcDataSource>{}</SrcDataSource><SrcLayer>{l}</SrcLayer></OGRVRTLayer>",
            m.join(f).display()
        )
    };
    std::fs::write(
        &zones,
        format!(
            "<OGRVRTDataSource><OGRVRTUnionLayer name=\"zones\">{}{}</OGRVRTUnionLayer></OGRVRTDataSource>",
            layer("gfw_sample.gpkg", "gfw_sample"),
            layer("sierra_de_neiba_478140.gpkg", "sierra_de_neiba_478140")
        ),
    )
    .unwrap();
    let tc = m.join("Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif");
    let ly = m.join("Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif");
    let em = m.join("gfw_forest_carbon_gross_emissions_Mg_CO2e_px_20N_080W.tif");
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "forest-loss",
            strings(&[
                "--treecover",
                s(&tc),
                "--lossyear",
                s(&ly),
                "--emissions",
                s(&em),
                "--zones",
                s(&zones),
                "--min-cover",
                "30",
                "--min-patch",
                "1ha",
            ]),
        ),
        ("zonal", strings(&["--input", s(&tc), "--zones", s(&zones)])),
        (
            "transitions",
            strings(&[
                "--before",
                s(&m.join("W080N20_LC100_v3.0.1_2015.tif")),
                "--after",
                s(&m.join("W080N20_LC100_v3.0.1_2019.tif")),
                "--zones",
                s(&zones),
            ]),
        ),
    ];
    // one run over the layer and a plan of one polygon per task, its tables as `format`:
    // the single run's table and the merged one
    let single_and_planned = |command: &str, args: &[String], format: &str| {
        let single = dir.path().join(format!("{command}-one.{format}"));
        let flag = if command == "transitions" {
            "--table"
        } else {
            "--out"
        };
        run_ok(&line(&["raster", command], args, &[flag, s(&single)]));
        let run = dir.path().join(format!("run-{command}-{format}"));
        plan_raster(
            &run,
            &[],
            command,
            &["--per-task", "1", "--table-format", format],
            args,
        );
        assert_eq!(json(&run.join("plan.json"))["tasks"], 2, "{command}");
        run_ok(&strings(&["submit", s(&run), "--local"]));
        (single, run.join(format!("{command}.{format}")))
    };
    for (command, args) in &cases {
        let (single, merged) = single_and_planned(command, args, "csv");
        let merged = std::fs::read_to_string(merged).unwrap();
        let one = std::fs::read_to_string(&single).unwrap();
        assert_eq!(merged.lines().count(), one.lines().count(), "{command}");
        // each row of the single run, after its task and part
        for (k, (m, o)) in merged.lines().zip(one.lines()).enumerate().skip(1) {
            assert!(m.ends_with(o), "{command} row {k}: {m} vs {o}");
        }
        // both polygons' rows: the second task's start with its own task id
        assert!(merged.lines().any(|l| l.starts_with("1,features 1–1,")));
    }
    // merged as a GeoPackage (the polygons with their rows) and as Parquet (typed columns)
    for ((command, args), format) in cases.iter().zip(["gpkg", "parquet", "gpkg"]) {
        let (single, merged) = single_and_planned(command, args, format);
        if format == "gpkg" {
            let (one, m) = (gpkg_rows(&single), gpkg_rows(&merged));
            assert_eq!(m.len(), one.len(), "{command}");
            assert!(!one.is_empty());
            for (k, (m, o)) in m.iter().zip(&one).enumerate() {
                // task and part first, then the very fields and geometry of one run
                assert_eq!(m.0[2..], o.0[..], "{command} feature {k}");
                assert_eq!(m.1, o.1, "{command} feature {k}: geometry");
            }
            let last = &m.last().unwrap().0;
            assert_eq!(last[0], "Some(Integer64Value(1))");
            assert_eq!(last[1], "Some(StringValue(\"features 1–1\"))");
        } else {
            let (one, m) = (
                terrawatt_table::Table::read(&single).unwrap(),
                terrawatt_table::Table::read(&merged).unwrap(),
            );
            assert_eq!(m.n_rows(), one.n_rows(), "{command}");
            assert_eq!(m.column_names()[2..], one.column_names()[..], "{command}");
            for c in one.column_names() {
                if one.is_numeric(&c) {
                    let (a, b) = (m.numeric(&c).unwrap().0, one.numeric(&c).unwrap().0);
                    let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same && a.len() == b.len(), "{command} {c}: {a:?} vs {b:?}");
                } else {
                    assert_eq!(m.strings(&c).unwrap(), one.strings(&c).unwrap(), "{c}");
                }
            }
            assert_eq!(m.numeric("task").unwrap().0, [0.0, 1.0]);
        }
    }
    // a table format the merge cannot write
    let bad = dir.path().join("run-xlsx");
    let e = run_err(&line(
        &[
            "plan",
            "raster",
            "zonal",
            "--table-format",
            "xlsx",
            "--out",
            s(&bad),
        ],
        &cases[1].1,
        &[],
    ));
    assert!(
        e.contains("--table-format 'xlsx': expected csv, parquet or gpkg"),
        "{e}"
    );
    assert!(!bad.exists());
    // transitions: polygons are what a plan shares; the table is the plan's to name
    let plain: Vec<String> = cases[2].1[..4].to_vec();
    let e = run_err(&line(
        &["plan", "raster", "transitions", "--out", s(&bad)],
        &plain,
        &[],
    ));
    assert!(e.contains("give --zones"), "{e}");
    let e = run_err(&line(
        &["plan", "raster", "transitions", "--out", s(&bad)],
        &cases[2].1,
        &["--table", "t.csv"],
    ));
    assert!(e.contains("--table: the plan sets it"), "{e}");
    assert!(!bad.exists());
    // a run of features past the layer's end, or not START,COUNT
    for (features, says) in [
        ("2,1", "has 2 features: none from index 2"),
        ("1", "expected START,COUNT"),
        ("0,0", "expected START,COUNT"),
    ] {
        let e = run_err(&strings(&[
            "raster",
            "zonal",
            "--input",
            s(&tc),
            "--zones",
            s(&zones),
            "--features",
            features,
            "--out",
            s(&dir.path().join("x.csv")),
        ]));
        assert!(e.contains(says), "{features}: {e}");
        assert!(!dir.path().join("x.csv").exists());
    }
}

#[test]
fn tiled_band_math_equals_one_run() {
    let Some((data, dir)) = common::data_and_dir("raster/rasterio") else {
        return;
    };
    // Landsat-derived RGB (300 m, EPSG:32618, nodata 0): band math over tiles of 60 km
    let args = strings(&[
        "--input",
        s(&data.join("RGB.byte.tif")),
        "--expr",
        "(b3-b1)/(b3+b1)",
    ]);
    // 60 km / 300 m = 200 pixels: 4 × 4 tiles over 791 × 718
    let (single, run) = one_run_and_tiles(
        dir.path(),
        "index",
        &args,
        "60km",
        "in 16 tiles of up to 200 × 200 pixels",
    );
    assert_eq!(bands(&run.join("index.tif")), bands(&single));
    assert!(std::fs::read(run.join("index.tif")).unwrap() == std::fs::read(&single).unwrap());
}

#[test]
fn otsu_and_a_minimum_mapping_unit_over_tiles_equal_one_run() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    // Otsu's threshold (the default) and a 0.5 ha sieve: both need every change value, so
    // the tasks write change values and the merge classifies the whole image
    let mut args = ndvi_bands(&data);
    args.extend(strings(&["--mmu", "0.5ha", "--connectivity", "8"]));
    let (o, [single, classes, table]) = change_once(dir.path(), &args);
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    let run = dir.path().join("run");
    let o = plan_raster(
        &run,
        &[],
        "change",
        &["--merge-memory", "512MB", "--tile-size", "100px"],
        &args,
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("the merge thresholds (Otsu)"));
    let script = std::fs::read_to_string(run.join("merge.sbatch")).unwrap();
    assert!(
        script.contains(" merge ") && script.ends_with("--memory 512MB\n"),
        "{script}"
    );
    let o = run_ok(&strings(&["submit", s(&run), "--local"]));
    // the same threshold, and the very files one run writes
    let threshold = said
        .lines()
        .find(|l| l.starts_with("threshold "))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let merged = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        merged.contains(&format!(
            "classes of the whole image: threshold {threshold} "
        )),
        "{merged}"
    );
    let r = json(&run.join("results.json"));
    assert!(r.as_array().unwrap().len() == 12);
    same_as_one_run(&run, [&single, &classes, &table]);
    let m = json(&run.join("reports/merge.json"));
    let t = m["results"]["classes"]["threshold"].as_f64().unwrap();
    assert_eq!(format!("{t:.6}"), threshold);
    assert!(
        m["results"]["classes"]["mmu"]["patches_removed"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// Kittler–Illingworth's threshold (issue 20) is found by the merge over the whole image as
/// one run finds it, the checks' warnings with it; `--normalize` and IR-MAD need the whole
/// image and are refused in tiles.
#[test]
fn rare_change_thresholds_over_tiles_equal_one_run() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let mut args = ndvi_bands(&data);
    args.extend(strings(&["--threshold", "ki"]));
    let (_, [single, classes, table]) = change_once(dir.path(), &args);
    let run = dir.path().join("run");
    let o = plan_raster(&run, &[], "change", &["--tile-size", "100px"], &args);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Kittler–Illingworth"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    run_ok(&strings(&["submit", s(&run), "--local"]));
    same_as_one_run(&run, [&single, &classes, &table]);
    for extra in [&["--normalize", "zscore"][..], &["--method", "irmad"][..]] {
        let mut a: Vec<String> = ndvi_bands(&data)[2..].to_vec();
        if extra[0] == "--normalize" {
            a = ndvi_bands(&data);
        }
        a.extend(strings(extra));
        let e = run_err(&line(
            &["plan", "raster", "change", "--tile-size", "100px", "--out"],
            &[s(&dir.path().join("refused")).to_string()],
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        assert!(e.contains("whole image") || e.contains("applies"), "{e}");
        assert!(!dir.path().join("refused").exists());
    }
}

/// The tasks' pool: two threads (--cpus-per-task is Slurm's; here the machine's).
fn rayon_threads() -> serde_json::Value {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    serde_json::json!(n)
}

#[test]
fn bad_plans_are_refused_before_anything_is_written() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let run = dir.path().join("run");
    let plan = |extra: &[&str], tail: &[String]| -> Vec<String> {
        let mut a = strings(&["plan", "raster", "change", "--out", s(&run)]);
        a.extend(strings(extra));
        a.extend(tail.iter().cloned());
        a
    };
    let args = ndvi_args(&data);
    // masks grown across tile edges would differ from one run
    let mut grown = args.clone();
    grown.extend(strings(&[
        "--mask-before",
        &band(&data, 1, "B01"),
        "--mask-buffer",
        "2",
    ]));
    let e = run_err(&plan(&["--tile-size", "100px"], &grown));
    assert!(
        e.contains("--mask-buffer grows masks across tile edges"),
        "{e}"
    );
    // options the plan sets itself
    let mut with_out = args.clone();
    with_out.extend(strings(&["--out", "x.tif"]));
    let e = run_err(&plan(&["--tile-size", "100px"], &with_out));
    assert!(e.contains("--out: the plan sets it"), "{e}");
    // options of every command belong before `plan`
    let mut with_country = args.clone();
    with_country.extend(strings(&["--country", "FR"]));
    let e = run_err(&plan(&["--tile-size", "100px"], &with_country));
    assert!(e.contains("give it before `plan`"), "{e}");
    // a tile size that is not pixels
    let e = run_err(&plan(&["--tile-size", "10km"], &args));
    assert!(
        e.contains("--tile-size '10km'") && e.contains("not projected"),
        "{e}"
    );
    let e = run_err(&plan(&["--tile-size", "big"], &args));
    assert!(e.contains("expected pixels"), "{e}");
    assert!(!run.exists(), "nothing written");
    // a run folder in use
    std::fs::create_dir(&run).unwrap();
    std::fs::write(run.join("x"), "").unwrap();
    let e = run_err(&plan(&["--tile-size", "100px"], &args));
    assert!(e.contains("not empty"), "{e}");
    // a task that does not exist
    std::fs::remove_file(run.join("x")).unwrap();
    run_ok(&plan(&["--tile-size", "200px"], &args));
    let m = run.join("manifest.parquet");
    let e = run_err(&strings(&[
        "run-task",
        "--manifest",
        s(&m),
        "--task-id",
        "4",
    ]));
    assert!(e.contains("task 4:") && e.contains("tasks 0 to 3"), "{e}");
    // a run's tasks all come from the version that planned it
    let p = run.join("plan.json");
    let text = std::fs::read_to_string(&p).unwrap();
    let version = format!("\"terrawatt\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{text}");
    std::fs::write(&p, text.replace(&version, "\"terrawatt\": \"0.0.1\"")).unwrap();
    let e = run_err(&strings(&[
        "run-task",
        "--manifest",
        s(&m),
        "--task-id",
        "0",
    ]));
    assert!(e.contains("planned with terrawatt 0.0.1"), "{e}");
    assert!(!run.join("reports/task-00000.json").exists());
}

#[test]
fn meters_shared_among_tasks_sum_to_one_portfolio() {
    let Some((data, dir)) = common::data_and_dir("building") else {
        return;
    };
    let folder = support::illinois_meters(&data, dir.path());
    let common_args = support::illinois_daily(&data);
    let run = dir.path().join("run");
    run_ok(&line(
        &[
            "plan",
            "building",
            "savings",
            "--meters",
            s(&folder),
            "--per-task",
            "1",
            "--out",
            s(&run),
        ],
        &common_args,
        &[],
    ));
    assert_eq!(json(&run.join("plan.json"))["tasks"], 2);
    run_ok(&strings(&["submit", s(&run), "--local"]));
    // one portfolio over the folder
    let single = dir.path().join("p.csv");
    run_ok(&line(
        &["building", "portfolio", "--meters", s(&folder)],
        &common_args,
        &["--out", s(&single)],
    ));
    let merged = std::fs::read_to_string(run.join("savings.csv")).unwrap();
    let one = std::fs::read_to_string(&single).unwrap();
    // the same rows, each after its task and part
    for (m, o) in merged.lines().skip(1).zip(one.lines().skip(1)) {
        assert!(m.ends_with(o), "{m} vs {o}");
    }
    assert_eq!(merged.lines().count(), one.lines().count());
    // totals: the meters' reference sums (tools/reference/caltrack_reference.py)
    let total = std::fs::read_to_string(run.join("savings-total.csv")).unwrap();
    let ok: Vec<&str> = total
        .lines()
        .find(|l| l.starts_with("ok,"))
        .unwrap()
        .split(',')
        .collect();
    let p: f64 = ok[1].parse().unwrap();
    let o: f64 = ok[3].parse().unwrap();
    assert!((p - (1049.3617634628931 + 9351.49)).abs() < 0.01, "{p}");
    assert!((o - (960.22 + 8971.16)).abs() < 1e-6, "{o}");
}

#[test]
fn sites_shared_among_tasks_equal_their_own_backtests() {
    let Some((data, dir)) = common::data_and_dir("solar") else {
        return;
    };
    let parquet = data.join("pvdaq/system_50_ac_power_2_full_DST.parquet");
    // two sites on one series: the second with its own capacity and window
    let sites = dir.path().join("sites.csv");
    std::fs::write(
        &sites,
        format!(
            "site,data,capacity,start,end\nserf-east,{p},,2012-06-01,2012-06-04\nserf-east-b,{p},5000,2012-07-01,2012-07-03\n",
            p = parquet.display()
        ),
    )
    .unwrap();
    let shared = strings(&[
        "--time-column",
        "measured_on",
        "--target",
        "ac_power_2",
        "--interval",
        "15min",
        "--horizon",
        "1h",
        "--model",
        "linear",
    ]);
    let shared: Vec<String> = shared
        .into_iter()
        .chain(strings(&support::SYSTEM_50_SITE))
        .collect();
    let run = dir.path().join("run");
    run_ok(&line(
        &[
            "plan",
            "forecast",
            "backtest",
            "--sites",
            s(&sites),
            "--per-task",
            "2",
            "--out",
            s(&run),
        ],
        &shared,
        &[],
    ));
    assert_eq!(json(&run.join("plan.json"))["tasks"], 1);
    run_ok(&strings(&["submit", s(&run), "--local"]));
    let merged = std::fs::read_to_string(run.join("forecasts.csv")).unwrap();
    // the second site by itself
    let own = dir.path().join("b.csv");
    let mut a = strings(&["forecast", "backtest", "--data", s(&parquet)]);
    a.extend(strings(&[
        "--capacity",
        "5000",
        "--start",
        "2012-07-01",
        "--end",
        "2012-07-03",
    ]));
    a.extend(shared.iter().cloned());
    a.extend(strings(&["--out", s(&own)]));
    run_ok(&a);
    let own = std::fs::read_to_string(&own).unwrap();
    let b: Vec<&str> = merged
        .lines()
        .filter(|l| l.starts_with("0,serf-east-b,"))
        .collect();
    assert_eq!(b.len(), own.lines().count() - 1);
    for (m, o) in b.iter().zip(own.lines().skip(1)) {
        assert_eq!(m.strip_prefix("0,serf-east-b,"), Some(o));
    }
    assert!(merged.lines().any(|l| l.starts_with("0,serf-east,")));
    // every site's scores, by part
    let results = json(&run.join("results.json"));
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert_eq!(results[1]["part"], "serf-east-b");
    assert!(results[1]["results"]["per_horizon"].is_array());

    // a bad row is named with its site, before anything is written
    std::fs::write(
        &sites,
        format!("site,data,capacity\nx,{},steep\n", parquet.display()),
    )
    .unwrap();
    let run2 = dir.path().join("run2");
    let mut a = strings(&[
        "plan",
        "forecast",
        "backtest",
        "--sites",
        s(&sites),
        "--out",
        s(&run2),
    ]);
    a.extend(shared[..shared.len() - 2].iter().cloned());
    let e = run_err(&a);
    assert!(e.contains("row 2 (site 'x')") && e.contains("steep"), "{e}");
}

#[test]
fn a_report_cut_short_or_an_output_changed_is_run_again() {
    // issue 18: a truncated task report once counted as done forever
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    support::sample_plan::plan_sample_change(&run);
    run_ok(&strings(&["submit", s(&run), "--local"]));
    let report = run.join("reports/task-00001.json");
    let text = std::fs::read_to_string(&report).unwrap();
    std::fs::write(&report, &text[..text.len() / 2]).unwrap();
    let o = run_ok(&strings(&["submit", s(&run), "--dry-run"]));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("3 done, 1 to run (1)"), "{said}");
    assert!(
        said.contains("task 1: run again") && said.contains("cut short"),
        "{said}"
    );
    let e = run_err(&strings(&["merge", s(&run)]));
    assert!(e.contains("are not done") && e.contains("submit"), "{e}");
    run_ok(&strings(&["submit", s(&run), "--local"]));
    let o = run_ok(&strings(&["submit", s(&run), "--dry-run"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("4 done, 0 to run"));
    // an output cut after its task: not the size the report recorded, so run again
    let v = json(&run.join("reports/task-00002.json"));
    let out = PathBuf::from(v["results"]["output_bytes"][0]["path"].as_str().unwrap());
    let bytes = std::fs::read(&out).unwrap();
    std::fs::write(&out, &bytes[..bytes.len() - 100]).unwrap();
    let o = run_ok(&strings(&["submit", s(&run), "--dry-run"]));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("task 2: run again") && said.contains("the report recorded"),
        "{said}"
    );
    run_ok(&strings(&["submit", s(&run), "--local"]));
    assert_eq!(std::fs::read(&out).unwrap().len(), bytes.len());
    run_ok(&strings(&["merge", s(&run)]));
}

/// BFAST Monitor and the trend tests of the sample stack over 3 × 3 tiles: the merged
/// rasters are one run's, byte for byte; a series (no stack) cannot be planned.
#[test]
fn tiled_breaks_and_trends_equal_one_run() {
    let nb = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data/ndvi-stack");
    let stack = nb.join("stack.tif");
    let dates = nb.join("dates.csv");
    for (command, extra) in [
        ("breaks", &["--monitor", "2021-01-01"][..]),
        ("trend", &["--seasonal", "23"][..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut args = strings(&[
            "--stack",
            s(&stack),
            "--dates",
            s(&dates),
            "--scale",
            "0.0001",
        ]);
        args.extend(strings(extra));
        let (single, run) = one_run_and_tiles(
            dir.path(),
            command,
            &args,
            "12px",
            "in 9 tiles of up to 12 × 12 pixels",
        );
        let merged = run.join(format!("{command}.tif"));
        assert!(
            std::fs::read(&merged).unwrap() == std::fs::read(&single).unwrap(),
            "{command}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("s.csv");
    std::fs::write(&csv, "time,v\n2020.0,1\n").unwrap();
    let argv = line(
        &[
            "plan",
            "raster",
            "breaks",
            "--tile-size",
            "12px",
            "--out",
            s(&dir.path().join("run")),
        ],
        &strings(&[
            "--series",
            s(&csv),
            "--value",
            "v",
            "--monitor",
            "2021-01-01",
        ]),
        &[],
    );
    let o = terrawatt_strings(&argv);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("give --stack"));
}
