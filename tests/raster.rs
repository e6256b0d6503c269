//! End-to-end tests of `terrawatt raster`: a change map with cloud masks, a minimum
//! mapping unit, a class table and a COG; grids that differ refused (or aligned with
//! --align); bad inputs refused with the file or option named, a non-zero exit and no
//! output left behind.

use std::path::{Path, PathBuf};

mod support;
use support::{s, stderr, terrawatt, with};

#[path = "../crates/meter/tests/common.rs"]
mod common;

fn s2(data: &Path, date: &str, band: &str) -> PathBuf {
    data.join(format!(
        "mapme_vegetation/s2a/S2A_38PLR_{date}_0_L2A_{band}.tif"
    ))
}

/// The band `band` (`B04`) of one of OSCD Norcia's dates (`dir`, its `imgs_1` or `imgs_2`).
fn norcia_band(dir: &Path, band: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(&format!("_{band}.tif")))
        .unwrap()
}

/// `raster index --index ndvi` of `red` and `nir` into `out`, with `extra`.
fn ndvi_index(red: &Path, nir: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut a = vec![
        "raster",
        "index",
        "--index",
        "ndvi",
        "--red",
        s(red),
        "--nir",
        s(nir),
        "--out",
        s(out),
    ];
    a.extend_from_slice(extra);
    terrawatt(&a)
}

/// `raster change --index ndvi` of the red and NIR bands of two dates at a threshold of
/// −0.1 into `out`; `head` goes before the command (`--report FILE`), `extra` after.
fn ndvi_change(
    head: &[&str],
    before: (&Path, &Path),
    after: (&Path, &Path),
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut a = head.to_vec();
    a.extend([
        "raster",
        "change",
        "--index",
        "ndvi",
        "--before-red",
        s(before.0),
        "--before-nir",
        s(before.1),
        "--after-red",
        s(after.0),
        "--after-nir",
        s(after.1),
        "--threshold",
        "-0.1",
        "--out",
        s(out),
    ]);
    a.extend_from_slice(extra);
    terrawatt(&a)
}

#[test]
fn change_with_cloud_masks_and_a_minimum_mapping_unit() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let (out, classes, table, rep) = (
        dir.path().join("change.tif"),
        dir.path().join("classes.tif"),
        dir.path().join("areas.csv"),
        dir.path().join("r.json"),
    );
    let (b4a, b8a, scla) = (
        s2(&data, "20170503", "B04"),
        s2(&data, "20170503", "B08"),
        s2(&data, "20170503", "SCL"),
    );
    let (b4b, b8b, sclb) = (
        s2(&data, "20170722", "B04"),
        s2(&data, "20170722", "B08"),
        s2(&data, "20170722", "SCL"),
    );
    let o = terrawatt(&[
        "--report",
        s(&rep),
        "raster",
        "change",
        "--index",
        "ndvi",
        "--before-red",
        s(&b4a),
        "--before-nir",
        s(&b8a),
        "--after-red",
        s(&b4b),
        "--after-nir",
        s(&b8b),
        "--scl-before",
        s(&scla),
        "--scl-after",
        s(&sclb),
        "--mask-buffer",
        "1",
        "--threshold",
        "-0.05",
        "--mmu",
        "150ha",
        "--out",
        s(&out),
        "--classes-out",
        s(&classes),
        "--table",
        s(&table),
        "--quicklook",
        s(&dir.path().join("look.png")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    eprintln!("{text}");
    assert!(stderr(&o).contains("SCI") && stderr(&o).contains("per km² processed"));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    let c = &r["results"]["change"];
    // 20170503 is about a quarter cloud (SCL 8, 9, 10); the buffer adds a ring
    let share = c["masked_share"].as_f64().unwrap();
    assert!(share > 0.25 && share < 0.5, "{share}");
    assert_eq!(
        c["pixels"].as_u64().unwrap(),
        c["valid"].as_u64().unwrap()
            + c["nodata"].as_u64().unwrap()
            + c["masked"].as_u64().unwrap()
    );
    // 150 ha on 549 m pixels (30.1 ha each): patches of fewer than 5 pixels go
    assert_eq!(c["mmu"]["pixels"], 5);
    assert!(c["mmu"]["patches_removed"].as_u64().unwrap() > 0);
    let classes_ha: f64 = c["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["hectares"].as_f64().unwrap())
        .sum();
    let px = 549.0 * 549.0 / 1e4;
    assert!((classes_ha - c["valid"].as_f64().unwrap() * px).abs() < 1e-6 * classes_ha);
    let csv = std::fs::read_to_string(&table).unwrap();
    assert!(
        csv.starts_with("class,name,pixels,hectares\n0,no change,"),
        "{csv}"
    );
    // the outputs: a COG with overviews, and the byte class map with 255 missing
    let ds = gdal::Dataset::open(&out).unwrap();
    assert_eq!(ds.raster_count(), 2);
    use gdal::Metadata;
    assert_eq!(
        ds.metadata_item("LAYOUT", "IMAGE_STRUCTURE").as_deref(),
        Some("COG")
    );
    let cl = gdal::Dataset::open(&classes).unwrap();
    let b = cl.rasterband(1).unwrap();
    assert_eq!(b.no_data_value(), Some(255.0));
    let v = b.read_band_as::<u8>().unwrap().into_shape_and_vec().1;
    let changed = v.iter().filter(|x| **x == 1).count() as u64;
    assert_eq!(changed, c["classes"][1]["pixels"].as_u64().unwrap());
    // nothing left behind but the outputs
    let mut names = support::file_names(dir.path(), |_| true);
    names.sort();
    assert_eq!(
        names,
        [
            "areas.csv",
            "change.tif",
            "classes.tif",
            "look.png",
            "r.json"
        ]
    );
    // the quicklook: three panels and a legend
    let png = std::fs::read(dir.path().join("look.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

/// [`support::fails`], and no temporary file left beside `out`.
fn fails(args: &[&str], out: &Path, expect: &[&str]) {
    support::fails(args, out, expect);
    let left = support::file_names(out.parent().unwrap(), |n| n.starts_with('.'));
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn grids_that_differ_are_named_or_aligned() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let out = dir.path().join("c.tif");
    let (a, b) = (
        data.join("pylandstats/ls100_06.tif"),
        data.join("pylandstats/ls100_12.tif"),
    );
    let args = [
        "raster",
        "change",
        "--expr",
        "b1",
        "--before",
        s(&a),
        "--after",
        s(&b),
        "--threshold",
        "0.5",
        "--direction",
        "above",
        "--nodata",
        "ignore",
        "--out",
        s(&out),
    ];
    fails(
        &args,
        &out,
        &["ls100_12.tif", "not on the before date's grid", "--align"],
    );
    let o = terrawatt(&args);
    let e = stderr(&o);
    assert!(e.contains("pixel size") || e.contains("origin"), "{e}");
    let mut with = args.to_vec();
    with.push("--align");
    let o = terrawatt(&with);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.exists());
}

#[test]
fn bad_inputs_are_refused() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let out = dir.path().join("o.tif");
    let rgb = data.join("rasterio/RGB.byte.tif");
    let base = ["raster", "index", "--out", s(&out)];
    // a missing file
    fails(
        &with(
            &base,
            &["--index", "ndvi", "--red", "nope.tif", "--nir", "nope.tif"],
        ),
        &out,
        &["nope.tif", "no such file"],
    );
    // a band that is not there, by index and by description
    fails(
        &with(
            &base,
            &[
                "--index",
                "ndvi",
                "--input",
                s(&rgb),
                "--bands",
                "red=1,nir=4",
            ],
        ),
        &out,
        &["RGB.byte.tif", "no band 4"],
    );
    fails(
        &with(
            &base,
            &[
                "--index",
                "ndvi",
                "--input",
                s(&rgb),
                "--bands",
                "red=1,nir=B8",
            ],
        ),
        &out,
        &["RGB.byte.tif", "no band described 'B8'"],
    );
    // a role without a band
    fails(
        &with(&base, &["--index", "ndvi", "--input", s(&rgb)]),
        &out,
        &["--bands red=N"],
    );
    // a bad expression says where
    fails(
        &with(&base, &["--expr", "(b1 - b3", "--input", s(&rgb)]),
        &out,
        &["missing ')'"],
    );
    let s2a = |b: &str| s2(&data, "20170503", b);
    let (b4, b8, scl) = (s2a("B04"), s2a("B08"), s2a("SCL"));
    let (a4, a8) = (s2(&data, "20170523", "B04"), s2(&data, "20170523", "B08"));
    let cbase = [
        "raster",
        "change",
        "--before-red",
        s(&b4),
        "--before-nir",
        s(&b8),
        "--after-red",
        s(&a4),
        "--after-nir",
        s(&a8),
        "--out",
        s(&out),
    ];
    fails(
        &with(&cbase, &["--index", "ndvi", "--mmu", "0.5"]),
        &out,
        &["--mmu '0.5'", "unit"],
    );
    fails(
        &with(&cbase, &["--index", "ndvi", "--threshold", "classes"]),
        &out,
        &["--index nbr"],
    );
    // every pixel masked: nothing to threshold
    fails(
        &with(
            &cbase,
            &[
                "--index",
                "ndvi",
                "--scl-before",
                s(&scl),
                "--scl-classes",
                "0,1,2,3,4,5,6,7,8,9,10,11",
            ],
        ),
        &out,
        &["no pixel to compare: of the 40000 pixels", "are masked"],
    );
    // and with a threshold given, which had written a map of 0 ha of every class
    fails(
        &with(
            &cbase,
            &[
                "--index",
                "ndvi",
                "--threshold",
                "-0.2",
                "--scl-before",
                s(&scl),
                "--scl-classes",
                "0,1,2,3,4,5,6,7,8,9,10,11",
            ],
        ),
        &out,
        &[
            "no pixel to compare",
            "the change would read 0 ha of every class",
        ],
    );
    // the whole class map does not fit a tiny budget with --mmu
    fails(
        &with(
            &cbase,
            &["--index", "ndvi", "--mmu", "1ha", "--memory", "100KB"],
        ),
        &out,
        &["--memory"],
    );
    // an output over an input is refused
    let o = terrawatt(&[
        "raster",
        "index",
        "--index",
        "ndvi",
        "--input",
        s(&rgb),
        "--bands",
        "red=1,nir=2",
        "--out",
        s(&rgb),
    ]);
    assert!(!o.status.success());
}

#[test]
fn a_chosen_grid_takes_every_band() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let out = dir.path().join("ndmi20.tif");
    let band = |b: &str| norcia_band(&data.join("oscd_norcia/imgs_1"), b);
    let (b08, b11) = (band("B08"), band("B11"));
    // NDMI at 20 m: the 10 m NIR averaged onto the SWIR's grid
    let o = terrawatt(&[
        "raster",
        "index",
        "--index",
        "ndmi",
        "--nir",
        s(&b08),
        "--swir1",
        s(&b11),
        "--grid",
        s(&b11),
        "--resampling",
        "average",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ds = gdal::Dataset::open(&out).unwrap();
    assert_eq!(ds.raster_size(), (193, 121));
    let g = gdal::Dataset::open(&b11).unwrap().geo_transform().unwrap();
    assert_eq!(ds.geo_transform().unwrap(), g);
}

#[test]
fn a_class_map_framed_by_an_undeclared_fill_is_warned() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    // pylandstats' maps of the canton of Vaud with their fill (255, the half of the
    // rectangle outside the canton) undeclared, as a clip that writes it without saying
    let [a, b] = ["06", "12"].map(|y| {
        let p = dir.path().join(format!("ls250_{y}.tif"));
        support::without_nodata(&data.join(format!("pylandstats/ls250_{y}.tif")), &p);
        p
    });
    let warned = |args: &[&str], expect: &[&str]| {
        let o = terrawatt(args);
        assert!(o.status.success(), "{}", stderr(&o));
        let e = stderr(&o);
        for x in expect {
            assert!(e.contains(x), "{x:?} not in {e}");
        }
        e.matches("surrounds it").count()
    };
    let landscape = ["raster", "landscape", "--input", s(&a)];
    let e = [
        "ls250_06.tif declares no nodata value and class 255 surrounds it",
        "100 % of the edge cells; 49.9 % of all cells",
        "--nodata 255 leaves it out",
    ];
    assert_eq!(warned(&landscape, &e), 1);
    let windows = dir.path().join("windows");
    let windowed = [
        "--window",
        "1km",
        "--metrics",
        "shdi",
        "--out-dir",
        s(&windows),
    ];
    assert_eq!(warned(&with(&landscape, &windowed), &e[..1]), 1);
    // declared, the metrics are pylandstats' (576 patches) and nothing is said
    let t = dir.path().join("metrics.csv");
    let declared = with(
        &landscape,
        &["--nodata", "255", "--connectivity", "4", "--table", s(&t)],
    );
    assert_eq!(warned(&declared, &[]), 0);
    let csv = std::fs::read_to_string(&t).unwrap();
    assert!(csv.lines().last().unwrap().contains(",576,"), "{csv}");
    // transitions and accuracy name each map
    let pair = ["--before", s(&a), "--after", s(&b)];
    let e = [
        "the before map",
        "the after map",
        "gdal_edit.py -a_nodata 255",
    ];
    assert_eq!(warned(&with(&["raster", "transitions"], &pair), &e), 2);
    let accuracy = ["raster", "accuracy", "--map", s(&a), "--reference", s(&b)];
    let e = ["the map", "the reference", "--classes"];
    assert_eq!(warned(&accuracy, &e), 2);
    let points = dir.path().join("points.gpkg");
    let design = ["raster", "sample-design", "--map", s(&a), "--n", "200"];
    let design = with(&design, &["--out", s(&points)]);
    assert_eq!(warned(&design, &["the map", "--classes"]), 1);
    // the files as published declare it: nothing is said
    let published = data.join("pylandstats/ls250_06.tif");
    assert_eq!(
        warned(&["raster", "landscape", "--input", s(&published)], &[]),
        0
    );
    // a clip whose polygon reaches one corner of its box: the fill of the map's last
    // quarter of rows and columns given a class (3), so the fill holds three corners, 75 %
    // of two sides and 88 % of the edge cells; still named
    let cornered = dir.path().join("cornered.tif");
    std::fs::copy(&a, &cornered).unwrap();
    {
        let ds = gdal::Dataset::open_ex(
            &cornered,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE,
                ..Default::default()
            },
        )
        .unwrap();
        let mut b = ds.rasterband(1).unwrap();
        let (w, h) = ds.raster_size();
        let mut v = b.read_as::<u8>((0, 0), (w, h), (w, h), None).unwrap();
        for (i, x) in v.data_mut().iter_mut().enumerate() {
            if i / w >= h - h / 4 && i % w >= w - w / 4 && *x == 255 {
                *x = 3;
            }
        }
        b.write((0, 0), (w, h), &mut v).unwrap();
    }
    let e = [
        "cornered.tif declares no nodata value and class 255 surrounds it",
        "(three of the four corners, 88 % of the edge cells",
    ];
    assert_eq!(
        warned(&["raster", "landscape", "--input", s(&cornered)], &e),
        1
    );
}

#[test]
fn landscape_and_transitions_from_the_command_line() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let ls = data.join("pylandstats/ls250_06.tif");
    let table = dir.path().join("metrics.csv");
    let o = terrawatt(&[
        "raster",
        "landscape",
        "--input",
        s(&ls),
        "--connectivity",
        "4",
        "--table",
        s(&table),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &stderr(&o);
    assert!(
        out.contains("energy ") && out.contains("per km² processed"),
        "{out}"
    );
    let csv = std::fs::read_to_string(&table).unwrap();
    // 21 classes and the landscape; pylandstats: 576 patches with 4-connectivity
    assert_eq!(csv.lines().count(), 1 + 21 + 1);
    let last = csv.lines().last().unwrap();
    assert!(
        last.starts_with("landscape,,") && last.contains(",576,"),
        "{last}"
    );
    // a float raster: refused, no table
    let bad = dir.path().join("bad.csv");
    fails(
        &[
            "raster",
            "landscape",
            "--input",
            s(&data.join("rasterio/float_raster_with_nodata.tif")),
            "--table",
            s(&bad),
        ],
        &bad,
        &["float_raster_with_nodata.tif", "integer class values"],
    );
    // transitions: the ls100 pair differs in grid, refused then aligned
    let a = data.join("pylandstats/ls100_06.tif");
    let b = data.join("pylandstats/ls100_12.tif");
    let t = dir.path().join("fromto.csv");
    fails(
        &[
            "raster",
            "transitions",
            "--before",
            s(&a),
            "--after",
            s(&b),
            "--table",
            s(&t),
        ],
        &t,
        &["ls100_12.tif", "--align"],
    );
    let o = terrawatt(&[
        "raster",
        "transitions",
        "--before",
        s(&a),
        "--after",
        s(&b),
        "--align",
        "--table",
        s(&t),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&t).unwrap();
    assert!(
        csv.starts_with("from,to,cells,hectares\n") && csv.lines().count() > 20,
        "{csv}"
    );
}

/// The mapme folder and its Hansen tree cover, loss year and GFW emissions tiles.
fn hansen(data: &Path) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let m = data.join("mapme");
    let tc = m.join("Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif");
    let ly = m.join("Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif");
    let em = m.join("gfw_forest_carbon_gross_emissions_Mg_CO2e_px_20N_080W.tif");
    (m, tc, ly, em)
}

#[test]
fn zonal_forest_loss_and_windows_from_the_command_line() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let (m, tc, ly, em) = hansen(&data);
    let zones = m.join("sierra_de_neiba_478140.gpkg");
    // zonal statistics in the three formats
    for ext in ["csv", "parquet", "gpkg"] {
        let out = dir.path().join(format!("zonal.{ext}"));
        let o = terrawatt(&[
            "raster",
            "zonal",
            "--input",
            s(&tc),
            "--zones",
            s(&zones),
            "--out",
            s(&out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("energy "));
        assert!(out.metadata().unwrap().len() > 100, "{ext}");
    }
    // the Parquet table reads back with its typed columns
    let pq = terrawatt_table::Table::read(&dir.path().join("zonal.parquet")).unwrap();
    assert_eq!(pq.n_rows(), 1);
    for c in [
        "fid", "WDPAID", "ISO3", "count", "majority", "ha_95", "status",
    ] {
        assert!(
            pq.column_names().iter().any(|n| n == c),
            "{c} in {:?}",
            pq.column_names()
        );
    }
    let csv = std::fs::read_to_string(dir.path().join("zonal.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| row[head.iter().position(|h| *h == n).unwrap()];
    assert_eq!(col("WDPAID"), "478140");
    assert_eq!(col("ISO3"), "DOM");
    assert_eq!(col("majority"), "95");
    assert!(col("count").parse::<f64>().unwrap() > 30_000.0);
    // the GeoPackage keeps the polygon and its attributes, and adds the statistics
    let gpkg = gdal::Dataset::open(dir.path().join("zonal.gpkg")).unwrap();
    {
        use gdal::vector::LayerAccess;
        let mut lyr = gpkg.layer(0).unwrap();
        let f = lyr.features().next().unwrap();
        assert!(f.geometry().unwrap().area() > 0.01);
        let i = f.field_index("majority").unwrap();
        assert_eq!(f.field_as_integer64(i).unwrap(), Some(95));
        let i = f.field_index("zone_fid").unwrap();
        assert_eq!(f.field_as_integer64(i).unwrap(), Some(1));
    }
    // forest loss per polygon and year, with emissions and a plot
    let (table, plot) = (dir.path().join("loss.csv"), dir.path().join("loss.png"));
    let o = terrawatt(&[
        "raster",
        "forest-loss",
        "--treecover",
        s(&tc),
        "--lossyear",
        s(&ly),
        "--emissions",
        s(&em),
        "--zones",
        s(&m.join("gfw_sample.gpkg")),
        "--min-cover",
        "30",
        "--min-patch",
        "1ha",
        "--area",
        "sphere",
        "--out",
        s(&table),
        "--plot",
        s(&plot),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = std::fs::read_to_string(&table).unwrap();
    assert_eq!(t.lines().count(), 1 + 24);
    // mapme's rules on the sphere (tests/fixtures/forest_loss_reference.json): 2007.10 ha
    let y2000: Vec<&str> = t.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(y2000[1], "2000");
    assert!((y2000[2].parse::<f64>().unwrap() - 2007.0999335954948).abs() < 1e-6);
    assert!(plot.metadata().unwrap().len() > 1000);
    // land-cover transitions per polygon
    let tr = dir.path().join("tr.csv");
    let o = terrawatt(&[
        "raster",
        "transitions",
        "--before",
        s(&m.join("W080N20_LC100_v3.0.1_2015.tif")),
        "--after",
        s(&m.join("W080N20_LC100_v3.0.1_2019.tif")),
        "--zones",
        s(&zones),
        "--table",
        s(&tr),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = std::fs::read_to_string(&tr).unwrap();
    assert!(
        t.starts_with("fid,WDPAID,ISO3,from,to,cells,hectares"),
        "{t}"
    );
    // moving windows
    let wdir = dir.path().join("win");
    let o = terrawatt(&[
        "raster",
        "landscape",
        "--input",
        s(&data.join("pylandstats/ls250_06.tif")),
        "--window",
        "1km",
        "--metrics",
        "shdi,ed,pland:12",
        "--out-dir",
        s(&wdir),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("window 5 × 5 cells"), "{text}");
    for f in ["shdi.tif", "ed.tif", "pland_12.tif"] {
        assert!(wdir.join(f).exists(), "{f}");
    }
}

#[test]
fn bad_zone_inputs_are_refused() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let (m, tc, ly, em) = hansen(&data);
    let zones = m.join("gfw_sample.gpkg");
    let out = dir.path().join("out.csv");
    // no such polygons file
    fails(
        &[
            "raster",
            "zonal",
            "--input",
            s(&tc),
            "--zones",
            "nope.gpkg",
            "--out",
            s(&out),
        ],
        &out,
        &["nope.gpkg", "no such file"],
    );
    // a table format the extension does not say
    let bad = dir.path().join("out.xlsx");
    fails(
        &[
            "raster",
            "zonal",
            "--input",
            s(&tc),
            "--zones",
            s(&zones),
            "--out",
            s(&bad),
        ],
        &bad,
        &["out.xlsx", ".csv, .parquet or .gpkg"],
    );
    // classes from a float raster
    fails(
        &[
            "raster",
            "forest-loss",
            "--treecover",
            s(&em),
            "--lossyear",
            s(&ly),
            "--zones",
            s(&zones),
            "--out",
            s(&out),
        ],
        &out,
        &["gfw_forest_carbon", "Float32", "integer"],
    );
    fails(
        &[
            "raster",
            "transitions",
            "--before",
            s(&em),
            "--after",
            s(&ly),
            "--zones",
            s(&zones),
            "--table",
            s(&out),
        ],
        &out,
        &["gfw_forest_carbon", "Float32", "integer"],
    );
    // years past the layer's version
    fails(
        &[
            "raster",
            "forest-loss",
            "--treecover",
            s(&tc),
            "--lossyear",
            s(&ly),
            "--zones",
            s(&zones),
            "--years",
            "2000-2030",
            "--out",
            s(&out),
        ],
        &out,
        &["2030", "GFC-2023"],
    );
    // layers on different grids
    fails(
        &[
            "raster",
            "forest-loss",
            "--treecover",
            s(&tc),
            "--lossyear",
            s(&m.join("W080N20_LC100_v3.0.1_2015.tif")),
            "--years",
            "2000-2019",
            "--zones",
            s(&zones),
            "--out",
            s(&out),
        ],
        &out,
        &["W080N20_LC100_v3.0.1_2015.tif", "not on the grid"],
    );
    // a polygon that is not one
    let lines = dir.path().join("lines.geojson");
    std::fs::write(
        &lines,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[-71.73,18.64],[-71.70,18.68]]}}]}"#,
    )
    .unwrap();
    fails(
        &[
            "raster",
            "zonal",
            "--input",
            s(&tc),
            "--zones",
            s(&lines),
            "--out",
            s(&out),
        ],
        &out,
        &["lines.geojson", "LINESTRING", "polygons"],
    );
}

/// Issue 20 on the command line: Otsu on a real Sentinel-2 dNDVI picks a positive
/// threshold for loss (change below it) and flags most of the image — a warning on stderr
/// and in the report, or with --strict a refusal that writes nothing; IR-MAD from per-band
/// files; the accuracy of its class map and a sample design for it; refusals.
#[test]
fn implausible_thresholds_warn_or_refuse_and_irmad_runs_from_band_files() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let (out, rep) = (dir.path().join("dndvi.tif"), dir.path().join("r.json"));
    let base = [
        "raster",
        "change",
        "--index",
        "ndvi",
        "--before-red",
        s2(&data, "20170503", "B04")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
        "--before-nir",
        s2(&data, "20170503", "B08")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
        "--after-red",
        s2(&data, "20170722", "B04")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
        "--after-nir",
        s2(&data, "20170722", "B08")
            .to_str()
            .unwrap()
            .to_owned()
            .leak(),
    ];
    let o = terrawatt(&with(
        &["--report", s(&rep)],
        &with(&base, &["--out", s(&out)]),
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("warning:") && e.contains("wrong side of zero"),
        "{e}"
    );
    assert!(e.contains("--max-change-share"), "{e}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    let c = &r["results"]["change"];
    assert!(c["threshold"].as_f64().unwrap() > 0.0);
    assert!(c["changed_share"].as_f64().unwrap() > 0.5);
    assert_eq!(c["warnings"].as_array().unwrap().len(), 2);
    std::fs::remove_file(&out).unwrap();
    fails(
        &with(&base, &["--out", s(&out), "--strict"]),
        &out,
        &["--strict", "wrong side of zero"],
    );
    // the pair greens almost everywhere (dNDVI from −0.2 to 0.4): no histogram threshold
    // finds a loss class, and each says so; a fixed loss threshold passes the checks
    for t in ["ki", "em", "kmeans:3"] {
        let o = terrawatt(&with(&base, &["--out", s(&out), "--threshold", t]));
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("wrong side of zero"),
            "{t}: {}",
            stderr(&o)
        );
    }
    let o = terrawatt(&with(
        &["--report", s(&rep)],
        &with(
            &base,
            &["--out", s(&out), "--threshold", "-0.1", "--strict"],
        ),
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    assert!(r["results"]["change"]["changed_share"].as_f64().unwrap() < 0.01);

    // refusals before any work
    let o2 = dir.path().join("x.tif");
    fails(
        &with(&base, &["--out", s(&o2), "--threshold", "chi2:0.99"]),
        &o2,
        &["chi2", "irmad"],
    );
    fails(
        &with(&base, &["--out", s(&o2), "--normalize", "zscore"]),
        &o2,
        &["--normalize"],
    );
    fails(
        &with(&base, &["--out", s(&o2), "--threshold", "chi2:1.5"]),
        &o2,
        &["0 < P < 1"],
    );
    fails(
        &with(&base, &["--out", s(&o2), "--mmu", "0px"]),
        &o2,
        &["--mmu", "pixels"],
    );

    // IR-MAD over four Norcia bands given one file per band and date
    let oscd = |date: &str, band: &str| -> String {
        norcia_band(&data.join("oscd_norcia").join(date), band)
            .to_string_lossy()
            .into_owned()
    };
    let (mad, classes) = (dir.path().join("mad.tif"), dir.path().join("classes.tif"));
    let mut args: Vec<String> = ["raster", "change", "--method", "irmad"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    for (role, band) in [
        ("blue", "B02"),
        ("green", "B03"),
        ("red", "B04"),
        ("nir", "B08"),
        ("swir1", "B11"),
    ] {
        for (when, date) in [("before", "imgs_1"), ("after", "imgs_2")] {
            args.push(format!("--{when}-{role}"));
            args.push(oscd(date, band));
        }
    }
    args.extend(
        [
            "--out",
            s(&mad),
            "--classes-out",
            s(&classes),
            "--mmu",
            "3px",
        ]
        .map(String::from),
    );
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = terrawatt(&with(&["--report", s(&rep)], &a));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    let c = &r["results"]["change"];
    assert_eq!(
        c["irmad"]["degrees_of_freedom"], 5,
        "the 20 m band resampled in"
    );
    assert_eq!(c["irmad"]["scale"], "robust");
    assert_eq!(c["mmu"]["pixels"], 3);
    // a date missing one of the other's bands is refused
    let mut bad = a.clone();
    let i = bad.iter().position(|x| *x == "--after-swir1").unwrap();
    bad.drain(i..i + 2);
    let o3 = dir.path().join("y.tif");
    let i = bad.iter().position(|x| *x == "--out").unwrap();
    bad[i + 1] = s(&o3);
    bad.retain(|x| *x != "--classes-out" && *x != s(&classes));
    fails(&bad, &o3, &["--before-swir1 and --after-swir1 go together"]);

    // a sample design of the class map, and the map's accuracy against itself
    let sample = dir.path().join("sample.gpkg");
    let o = terrawatt(&[
        "raster",
        "sample-design",
        "--map",
        s(&classes),
        "--n",
        "100",
        "--allocation",
        "min:30",
        "--out",
        s(&sample),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("100 points"), "{text}");
    let table = dir.path().join("acc.csv");
    let text = support::succeeds(&[
        "raster",
        "accuracy",
        "--map",
        s(&classes),
        "--reference",
        s(&classes),
        "--table",
        s(&table),
    ]);
    assert!(
        text.contains("overall accuracy 1.0000 · kappa 1.0000"),
        "{text}"
    );
    assert!(
        std::fs::read_to_string(&table)
            .unwrap()
            .starts_with("class,users_accuracy")
    );
    // the sample has no interpretation yet: every reference missing, refused with the file
    let o = terrawatt(&[
        "raster",
        "accuracy",
        "--map",
        s(&classes),
        "--reference",
        s(&sample),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no sample point has a class"),
        "{}",
        stderr(&o)
    );
    // the map as the output of its own sample design is refused
    let before = std::fs::read(&classes).unwrap();
    let o = terrawatt(&[
        "raster",
        "sample-design",
        "--map",
        s(&classes),
        "--n",
        "10",
        "--out",
        s(&classes),
    ]);
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read(&classes).unwrap(),
        before,
        "the input is untouched"
    );
}

/// Messages a person can act on (issue 18, part 6): a text file named .tif is "not a raster
/// GDAL can read", once; a missing file's OS error is said once.
#[test]
fn unreadable_inputs_are_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake.tif");
    std::fs::write(&fake, "not a raster\n").unwrap();
    let out = dir.path().join("x.tif");
    let o = terrawatt(&[
        "raster",
        "index",
        "--index",
        "ndvi",
        "--red",
        s(&fake),
        "--nir",
        s(&fake),
        "--out",
        s(&out),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    let first = e.lines().next().unwrap();
    assert!(first.contains("is not a raster GDAL can read"), "{e}");
    assert!(!first.contains("NULL pointer"), "{e}");
    let o = terrawatt(&[
        "building",
        "fit",
        "--data",
        s(&dir.path().join("none.csv")),
        "--target",
        "y",
        "--out",
        s(&out),
    ]);
    let e = stderr(&o);
    assert_eq!(e.matches("(os error 2)").count(), 1, "{e}");
}

/// Careless inputs on the project's sample scene: one date given as both (its change is
/// none, and a threshold of it is noise), the Hansen layers swapped (the loss years read
/// as canopy %, the canopy as loss years: no forest anywhere), a reflectance band as a
/// class map, and zones of another place are refused, naming the files, with no output.
#[test]
fn one_date_twice_swapped_forest_layers_or_reflectance_as_classes_are_refused() {
    let d = support::samples();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tif");
    let scene = d.join("scene-2023-06.tif");
    // the NDVI change of the scene against `after`
    let change = |after: &Path| {
        vec![
            "raster".to_string(),
            "change".into(),
            "--index".into(),
            "ndvi".into(),
            "--before".into(),
            s(&scene).into(),
            "--after".into(),
            s(after).into(),
            "--bands".into(),
            "red=B04,nir=B08".into(),
            "--out".into(),
            s(&out).into(),
        ]
    };
    let refused = |args: Vec<String>, expect: &[&str]| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&a, &out, expect);
    };
    refused(
        change(&scene),
        &["the same bands of the same file", "scene-2023-06.tif"],
    );
    // the same file under another path
    let link = dir.path().join("again.tif");
    std::os::unix::fs::symlink(&scene, &link).unwrap();
    refused(change(&link), &["the same bands of the same file"]);
    // a copy of it under another name (said as 0 ha of change, with no word)
    let copy = dir.path().join("scene-2024-06.tif");
    std::fs::copy(&scene, &copy).unwrap();
    refused(
        change(&copy),
        &["or of copies of them", "scene-2024-06.tif"],
    );
    let table = dir.path().join("loss.csv");
    let (tc, ly, zones) = (
        d.join("treecover-2000.tif"),
        d.join("lossyear.tif"),
        d.join("zones.gpkg"),
    );
    // forest loss of the zones from `cover` and `loss`
    let forest_loss = |cover: &Path, loss: &Path| {
        vec![
            "raster".to_string(),
            "forest-loss".into(),
            "--treecover".into(),
            s(cover).into(),
            "--lossyear".into(),
            s(loss).into(),
            "--zones".into(),
            s(&zones).into(),
            "--years".into(),
            "2000-2024".into(),
            "--out".into(),
            s(&table).into(),
        ]
    };
    let loss_refused = |cover: &Path, loss: &Path, expect: &[&str]| {
        let a = forest_loss(cover, loss);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        fails(&a, &table, expect);
    };
    loss_refused(
        &ly,
        &tc,
        &[
            "treecover-2000.tif",
            "loss year above 50",
            "is it the tree cover",
        ],
    );
    // the right way round runs
    std::fs::remove_file(&table).ok();
    let o = support::terrawatt_strings(&forest_loss(&tc, &ly));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&table).unwrap();
    // loss coded by calendar year (2020–2024 as 2020…, the rest none): too few cells for
    // the tree cover's screen, and read as no loss at all before
    let calendar = dir.path().join("lossyear-calendar.tif");
    support::write_like(
        &ly,
        &calendar,
        |_, y: u16| if y >= 20 { 2000 + y } else { 0 },
    );
    loss_refused(
        &tc,
        &calendar,
        &[
            "lossyear-calendar.tif",
            "a calendar year, where Hansen's lossyear codes loss in 2001 as 1",
            "Subtract 2000",
        ],
    );
    // a share for the percentage: every cell with a trace of canopy would be forest
    let mut a = forest_loss(&tc, &ly);
    a.extend(["--min-cover".to_string(), "0.3".into()]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    fails(&a, &table, &["min cover 0.3 %", "give 30 for 30 %"]);
    // landscape metrics of a reflectance band (345 distinct values) rather than a class map
    let metrics = dir.path().join("metrics.csv");
    fails(
        &[
            "raster",
            "landscape",
            "--input",
            s(&scene),
            "--table",
            s(&metrics),
        ],
        &metrics,
        &["345 distinct values", "not reflectance", "--max-classes"],
    );
    // zones of another place (a polygon on the equator, the scene in Europe): every row
    // would be empty
    let far = dir.path().join("far.geojson");
    std::fs::write(
        &far,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"far"},"geometry":{"type":"Polygon","coordinates":[[[30,0],[30.1,0],[30.1,0.1],[30,0.1],[30,0]]]}}]}"#,
    )
    .unwrap();
    let stats = dir.path().join("zonal.csv");
    fails(
        &[
            "raster",
            "zonal",
            "--input",
            s(&d.join("landcover-2023.tif")),
            "--zones",
            s(&far),
            "--out",
            s(&stats),
        ],
        &stats,
        &[
            "far.geojson",
            "none of its 1 polygons reaches the raster",
            "EPSG:32633",
        ],
    );
    let landscape = |n: &str, extra: &[&str]| {
        let mut a = vec![
            "raster",
            "landscape",
            "--input",
            s(&scene),
            "--max-classes",
            n,
        ];
        a.extend_from_slice(extra);
        terrawatt(&a)
    };
    let o = landscape("400", &["--table", s(&metrics)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // a limit below the map's values names the limit; 0 is refused as no limit
    for (n, said) in [
        (
            "200",
            "345 distinct values (190 to 1575), more than the --max-classes 200 given",
        ),
        ("0", "0 is not in 1..=65534"),
    ] {
        let o = landscape(n, &[]);
        assert_eq!(o.status.code(), Some(2 - u8::from(n != "0") as i32), "{n}");
        assert!(stderr(&o).contains(said), "{}", stderr(&o));
    }
}

/// EVI and SAVI have constants made for reflectance (0–1): over digital numbers (the
/// sample's reflectance × 10,000) they gave a SAVI of up to 1.25 with exit 0. Refused with
/// the scale to give; with `--scale 0.0001` they run. NDVI, a ratio, runs on either.
#[test]
fn indices_that_need_reflectance_refuse_digital_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (
        support::samples().join("scene-2023-06.tif"),
        support::samples().join("scene-2024-06.tif"),
    );
    let out = dir.path().join("out.tif");
    let index = |name: &str, extra: &[&str]| {
        let mut a = vec!["raster", "index", "--index", name, "--input", s(&before)];
        a.extend(["--bands", "red=B04,nir=B08,blue=B04", "--out", s(&out)]);
        a.extend_from_slice(extra);
        terrawatt(&a)
    };
    for name in ["savi", "evi"] {
        let o = index(name, &[]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let e = stderr(&o);
        assert!(
            e.contains("needs surface reflectance (0–1)") && e.contains("--scale"),
            "{e}"
        );
        assert!(!out.exists());
        let o = index(name, &["--scale", "0.0001"]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::remove_file(&out).unwrap();
    }
    assert!(index("ndvi", &[]).status.success());
    std::fs::remove_file(&out).unwrap();
    let change = |extra: &[&str]| {
        let mut a = vec![
            "raster",
            "change",
            "--before",
            s(&before),
            "--after",
            s(&after),
        ];
        a.extend([
            "--bands",
            "red=B04,nir=B08",
            "--index",
            "savi",
            "--out",
            s(&out),
        ]);
        a.extend_from_slice(extra);
        terrawatt(&a)
    };
    let o = change(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("SAVI needs surface reflectance"));
    assert!(!out.exists());
    let o = change(&["--scale", "0.0001"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// NDVI change over Norcia's two Sentinel-2 dates, the later named for 2023 and written as
/// processing baseline 04.00 stores it (+1,000): refused with the date that has it;
/// `--s2-offset subtract` gives the change of the dates as they are; `keep` reads them as
/// they are (NDVI falls everywhere). `subtract` on the real pair (2016 both) is refused.
#[test]
fn an_index_pair_across_sentinel2_baseline_0400() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let band = |date: &str, b: &str| norcia_band(&data.join(date), b);
    // the earlier date under a name with its acquisition date (OSCD's dates.txt): its
    // granule's name has only the date it was processed
    let (red1, nir1) = (
        dir.path().join("S2_20150711_B04.tif"),
        dir.path().join("S2_20150711_B08.tif"),
    );
    support::copy_with(&band("imgs_1", "B04"), &red1, |x| x);
    support::copy_with(&band("imgs_1", "B08"), &nir1, |x| x);
    let (red2, nir2) = (band("imgs_2", "B04"), band("imgs_2", "B08"));
    // the later date moved to 2023 (by its name) and written with the +1,000; the
    // pair as it is, 2015 and 2017, is not checked
    let (red2o, nir2o) = (
        dir.path().join("S2_20230915_B04.tif"),
        dir.path().join("S2_20230915_B08.tif"),
    );
    support::copy_with(&red2, &red2o, |x| x + 1000.0);
    support::copy_with(&nir2, &nir2o, |x| x + 1000.0);
    let rep = dir.path().join("r.json");
    let run = |after: (&Path, &Path), out: &Path, extra: &[&str]| {
        ndvi_change(&["--report", s(&rep)], (&red1, &nir1), after, out, extra)
    };
    let out = |n: &str| dir.path().join(n);
    support::refused(
        &run((&red2o, &nir2o), &out("refused.tif"), &[]),
        &out("refused.tif"),
        &[
            "1350 in the after image (from 25 January 2022 on, by its name) and 385",
            "processing baseline 04.00",
            "--s2-offset subtract",
        ],
    );
    let changed = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", stderr(o));
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
        r["results"]["change"]["classes"][1]["pixels"]
            .as_u64()
            .unwrap()
    };
    let plain = changed(&run((&red2, &nir2), &out("plain.tif"), &[]));
    let subtracted = changed(&run(
        (&red2o, &nir2o),
        &out("subtracted.tif"),
        &["--s2-offset", "subtract"],
    ));
    let kept = changed(&run(
        (&red2o, &nir2o),
        &out("kept.tif"),
        &["--s2-offset", "keep", "--max-change-share", "1"],
    ));
    assert_eq!(subtracted, plain);
    support::same_band(&out("subtracted.tif"), &out("plain.tif"));
    // (51,334 of the 92,785 pixels against 19,928)
    assert!(kept > 2 * plain, "{kept} against {plain}");
    // the real pair, 2015 and 2017: nothing to subtract
    let o = run((&red2, &nir2), &out("x.tif"), &["--s2-offset", "subtract"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("date the pair 2015-07-11 and"),
        "{}",
        stderr(&o)
    );
    assert!(!out("x.tif").exists());
}

/// Norcia's pair under names that do not date it (`S2_before_…`, `S2_after_…`), the after
/// image written with processing baseline 04.00's +1,000: the floors alone name the after
/// image in a warning (a season can raise them as much: mapme.vegetation's May and July
/// 2017 floors are 901 and 1,681), refused under `--strict`; `--s2-offset subtract` takes
/// the 1,000 off it and gives the change of the dates as they are; `keep` reads them as
/// they are, silently. The same pair without the offset passes without the warning. The band files of a product's tile (`T33TUH_20230915T…_B04_10m`,
/// no `S2` in the name) are known as Sentinel-2: dated across the change of baseline, the
/// pair is refused too.
#[test]
fn an_undated_sentinel2_pair_is_judged_by_its_floors() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let band = |date: &str, b: &str| norcia_band(&data.join(date), b);
    let out = |n: &str| dir.path().join(n);
    let copy = |date: &str, name: &str, add: f64| {
        let p = (
            out(&format!("{name}B04.tif")),
            out(&format!("{name}B08.tif")),
        );
        support::copy_with(&band(date, "B04"), &p.0, |x| x + add);
        support::copy_with(&band(date, "B08"), &p.1, |x| x + add);
        p
    };
    let before = copy("imgs_1", "S2_before_", 0.0);
    let after = copy("imgs_2", "S2_after_", 0.0);
    let shifted = copy("imgs_2", "S2_after_offset_", 1000.0);
    let rep = out("r.json");
    let run = |after: &(PathBuf, PathBuf), o: &Path, extra: &[&str]| {
        ndvi_change(
            &["--report", s(&rep)],
            (&before.0, &before.1),
            (&after.0, &after.1),
            o,
            extra,
        )
    };
    let warning = [
        "are 1350 in the after image and 385 in the before",
        "which do not date both",
        "if the after image is a product from 25 January 2022 on",
        "give --s2-offset subtract",
    ];
    support::refused(
        &run(&shifted, &out("refused.tif"), &["--strict"]),
        &out("refused.tif"),
        &warning,
    );
    let o = run(&shifted, &out("warned.tif"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for w in warning {
        assert!(stderr(&o).contains(w), "{w}: {}", stderr(&o));
    }
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).unwrap()).unwrap();
    let warned = r["results"]["change"]["warnings"].to_string();
    assert!(warned.contains(warning[0]), "{warned}");
    let o = run(&after, &out("plain.tif"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("which do not date both"));
    let o = run(
        &shifted,
        &out("subtracted.tif"),
        &["--s2-offset", "subtract"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    support::same_band(&out("subtracted.tif"), &out("plain.tif"));
    let o = run(
        &shifted,
        &out("kept.tif"),
        &["--s2-offset", "keep", "--max-change-share", "1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("which do not date both"));
    // nothing 1,000 higher to take off
    support::refused(
        &run(&after, &out("x.tif"), &["--s2-offset", "subtract"]),
        &out("x.tif"),
        &["nor are the darkest values of one 1,000 above the other's"],
    );
    // a tile's band files, dated 2016 and 2023 by their names
    let tile1 = copy("imgs_1", "T33TUH_20160811T100032_", 0.0);
    let tile2 = copy("imgs_2", "T33TUH_20230915T100031_", 1000.0);
    support::refused(
        &ndvi_change(
            &[],
            (&tile1.0, &tile1.1),
            (&tile2.0, &tile2.1),
            &out("tile.tif"),
            &[],
        ),
        &out("tile.tif"),
        &["in the after image (from 25 January 2022 on, by its name)"],
    );
}

/// NDVI of Landsat Collection 2 Level-2 digital numbers read raw (their offset: 0 is 7,273)
/// is refused by `raster index` and `raster change` with the scale and offset to give, and
/// nothing is written; with them, NDVI equals that of the same reflectance as Sentinel-2
/// stores it. The files are mapme.vegetation's real Sentinel-2 bands written as Landsat
/// Collection 2 stores the same reflectance; Sentinel-2's own digital numbers pass.
#[test]
fn an_index_of_landsat_c2_digital_numbers_needs_their_offset() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let landsat = |date: &str, band: &str| {
        let p = dir.path().join(format!("LC08_{date}_{band}.tif"));
        support::as_landsat_c2(&s2(&data, date, band), &p);
        p
    };
    let (red, nir) = (landsat("20170503", "B04"), landsat("20170503", "B08"));
    let (red2, nir2) = (landsat("20170722", "B04"), landsat("20170722", "B08"));
    let out = dir.path().join("ndvi.tif");
    let index = ndvi_index;
    support::refused(
        &index(&red, &nir, &out, &[]),
        &out,
        &[
            "NDVI of digital numbers that carry an offset",
            "--scale 0.0000275 --offset -0.2",
        ],
    );
    let o = index(
        &red,
        &nir,
        &out,
        &["--scale", "0.0000275", "--offset", "-0.2"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let want = dir.path().join("s2.tif");
    let (r, n) = (s2(&data, "20170503", "B04"), s2(&data, "20170503", "B08"));
    let o = index(&r, &n, &want, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |p: &Path| support::band_values(p, 1);
    let (got, want) = (read(&out), read(&want));
    let diffs: Vec<f64> = got
        .iter()
        .zip(&want)
        .filter(|(g, w)| g.is_finite() && w.is_finite())
        .map(|(g, w)| (g - w).abs())
        .collect();
    assert!(diffs.len() > 30_000, "{}", diffs.len());
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    assert!(mean < 1e-3, "{mean}");
    // two dates of them: a change map of NDVI differences is refused likewise
    let change = dir.path().join("change.tif");
    support::refused(
        &ndvi_change(&[], (&red, &nir), (&red2, &nir2), &change, &[]),
        &change,
        &["carry an offset"],
    );
}

/// Norcia's dates named and written as Sentinel-2 products from processing baseline 04.00
/// (2022 and 2023, +1,000): `raster index` of one, and `raster change` of both, read
/// without an offset are refused (their darkest values are 1,350 and more); with
/// `--s2-offset subtract` they equal the index and the change of the dates as they are.
/// The same files named for 2016 and 2017 pass.
#[test]
fn sentinel2_products_from_2022_keep_no_offset_unnoticed() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let shifted = |date: &str, name: &str, band: &str| {
        let p = dir.path().join(format!("S2B_MSIL2A_{name}_{band}.tif"));
        support::copy_with(&norcia_band(&data.join(date), band), &p, |x| x + 1000.0);
        p
    };
    let (r1, n1) = (
        shifted("imgs_1", "20220601", "B04"),
        shifted("imgs_1", "20220601", "B08"),
    );
    let (r2, n2) = (
        shifted("imgs_2", "20230915", "B04"),
        shifted("imgs_2", "20230915", "B08"),
    );
    let out = |n: &str| dir.path().join(n);
    let index = ndvi_index;
    support::refused(
        &index(&r2, &n2, &out("refused.tif"), &[]),
        &out("refused.tif"),
        &[
            "a Sentinel-2 product of 2023-09-15 (by its name)",
            "the +1,000 is still in them",
            "--s2-offset subtract",
        ],
    );
    let o = index(
        &r2,
        &n2,
        &out("subtracted.tif"),
        &["--s2-offset", "subtract"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (r, n) = (
        norcia_band(&data.join("imgs_2"), "B04"),
        norcia_band(&data.join("imgs_2"), "B08"),
    );
    let o = index(&r, &n, &out("plain.tif"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // the real product, of 2017: nothing to subtract
    support::refused(
        &index(&r, &n, &out("x.tif"), &["--s2-offset", "subtract"]),
        &out("x.tif"),
        &["the bands' names do not date them so"],
    );
    let same = support::same_band;
    same(&out("subtracted.tif"), &out("plain.tif"));
    let o = index(
        &r2,
        &n2,
        &out("offset.tif"),
        &["--scale", "0.0001", "--offset", "-0.1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // both dates from 2022 on, in a change
    let change = |before: (&Path, &Path), after: (&Path, &Path), o: &Path, extra: &[&str]| {
        ndvi_change(&[], before, after, o, extra)
    };
    support::refused(
        &change((&r1, &n1), (&r2, &n2), &out("c-refused.tif"), &[]),
        &out("c-refused.tif"),
        &["the before image: a Sentinel-2 product of 2022-06-01"],
    );
    let o = change(
        (&r1, &n1),
        (&r2, &n2),
        &out("c-subtracted.tif"),
        &["--s2-offset", "subtract"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (r0, n0) = (
        norcia_band(&data.join("imgs_1"), "B04"),
        norcia_band(&data.join("imgs_1"), "B08"),
    );
    let o = change((&r0, &n0), (&r, &n), &out("c-plain.tif"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    same(&out("c-subtracted.tif"), &out("c-plain.tif"));
}

/// `raster change --index ndvi` of the sample's two dates, their bands by `bands`, into
/// `out`, with `extra`.
fn sample_ndvi_change(bands: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let d = support::samples();
    let (before, after) = (d.join("scene-2023-06.tif"), d.join("scene-2024-06.tif"));
    ndvi_change_of((&before, &after), bands, out, extra)
}

/// `raster change --index ndvi` of two multi-band files, their bands by `bands`, into
/// `out`, with `extra`.
fn ndvi_change_of(
    (before, after): (&Path, &Path),
    bands: &str,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let a = [
        "raster",
        "change",
        "--index",
        "ndvi",
        "--before",
        s(before),
        "--after",
        s(after),
        "--bands",
        bands,
        "--out",
        s(out),
    ];
    terrawatt(&with(&a, extra))
}

/// Red and near infrared exchanged: vegetation's index turns far below zero where its
/// "red" is bright, which no surface has with its bands in order. Refused for an index and
/// for a change (each date), on the sample scene and on OSCD Norcia; the bands in order pass.
#[test]
fn swapped_red_and_near_infrared_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tif");
    let o = sample_ndvi_change("red=2,nir=1", &out, &[]);
    assert!(!o.status.success() && !out.exists());
    let e = stderr(&o);
    for want in [
        "NDVI: ",
        "% of the pixels of the before date",
        "are the red and nir bands exchanged?",
    ] {
        assert!(e.contains(want), "{e}");
    }
    let o = sample_ndvi_change("red=1,nir=2", &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // an index of one date
    let before = support::samples().join("scene-2023-06.tif");
    let idx = dir.path().join("ndvi.tif");
    let red = format!("{}#2", before.display());
    let nir = format!("{}#1", before.display());
    support::refused(
        &ndvi_index(Path::new(&red), Path::new(&nir), &idx, &[]),
        &idx,
        &["of the input have a bright red band", "--expr"],
    );
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let norcia = data.join("oscd_norcia");
    let (b1, n1) = (
        norcia_band(&norcia.join("imgs_1"), "B04"),
        norcia_band(&norcia.join("imgs_1"), "B08"),
    );
    let (b2, n2) = (
        norcia_band(&norcia.join("imgs_2"), "B04"),
        norcia_band(&norcia.join("imgs_2"), "B08"),
    );
    // swapped in the after date only
    let out = dir.path().join("norcia.tif");
    let o = ndvi_change(&[], (&b1, &n1), (&n2, &b2), &out, &[]);
    assert!(!o.status.success() && !out.exists());
    let e = stderr(&o);
    assert!(e.contains("% of the pixels of the after date"), "{e}");
    let o = ndvi_change(&[], (&b1, &n1), (&b2, &n2), &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// NBR's near infrared and shortwave infrared 2, and NDWI's green and near infrared,
/// exchanged: OSCD Norcia's vegetation turns far below zero where the band dark over it is
/// bright (27 % of the pixels for NBR, 52 % for NDWI; none in order). Refused, naming the
/// bands; the bands in order pass. NDMI has no check: swapped, 2 % of Norcia's pixels turn
/// so far, and dry soil's NDMI is below zero in order.
#[test]
fn swapped_bands_of_nbr_and_ndwi_are_refused() {
    let Some((data, dir)) = common::data_and_dir("raster/oscd_norcia") else {
        return;
    };
    let band = |b: &str| norcia_band(&data.join("imgs_1"), b);
    let out = dir.path().join("index.tif");
    let index = |name: &str, (r1, f1): (&str, &Path), (r2, f2): (&str, &Path)| {
        let a = [
            "raster",
            "index",
            "--index",
            name,
            r1,
            s(f1),
            r2,
            s(f2),
            "--out",
            s(&out),
        ];
        terrawatt(&a)
    };
    let (nir, swir2, green) = (band("B08"), band("B12"), band("B03"));
    for (name, (r1, r2), (a, b), want) in [
        (
            "nbr",
            ("--nir", "--swir2"),
            (&nir, &swir2),
            "NBR: 27 % of the pixels of the input have a bright swir2 band",
        ),
        (
            "ndwi",
            ("--green", "--nir"),
            (&green, &nir),
            "NDWI: 52 % of the pixels of the input have a bright green band",
        ),
    ] {
        let o = index(name, (r1, a), (r2, b));
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::remove_file(&out).unwrap();
        support::refused(
            &index(name, (r1, b), (r2, a)),
            &out,
            &[want, "exchanged?", "--expr"],
        );
    }
}

/// A dry scene (mapme.vegetation's Sentinel-2 tile 38PLR in May–July 2017, NDVI 0.03–0.2)
/// has too little vegetation for its swapped bands to turn far below zero, but its bare and
/// sparse land then lies below the soil line (red above near infrared): refused, for an
/// index and for a change whose two dates are both swapped (which had mapped loss as gain);
/// in order, both pass.
#[test]
fn a_dry_scene_with_red_and_near_infrared_swapped_is_refused() {
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (r1, n1) = (s2(&data, "20170503", "B04"), s2(&data, "20170503", "B08"));
    let (r2, n2) = (s2(&data, "20170722", "B04"), s2(&data, "20170722", "B08"));
    let idx = dir.path().join("ndvi.tif");
    support::refused(
        &ndvi_index(&n1, &r1, &idx, &[]),
        &idx,
        &[
            "NDVI: 79 % of the bare and sparse land of the input (69 % of its pixels",
            "are the red and nir bands exchanged?",
            "--expr",
        ],
    );
    let o = ndvi_index(&r1, &n1, &idx, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("change.tif");
    support::refused(
        &ndvi_change(&[], (&n1, &r1), (&n2, &r2), &out, &[]),
        &out,
        &["of the bare and sparse land of the before date"],
    );
    let o = ndvi_change(&[], (&r1, &n1), (&r2, &n2), &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The scene-classification band given for near infrared (`--bands red=1,nir=3`, a slip
/// for nir=2; a Sentinel-2 SCL file for B08): NDVI −0.99…−0.94 everywhere, and a change
/// map of the sample's clearing 0 ha, both with exit 0 before. The two bands' means sit
/// 123 times apart (reflectances of one surface a few times): refused, for an index and a
/// change, on the sample and on mapme.vegetation's L2A files.
#[test]
fn a_class_band_given_as_near_infrared_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scene = support::samples().join("scene-2023-06.tif");
    let idx = dir.path().join("ndvi.tif");
    let index = |bands: &str| {
        terrawatt(&[
            "raster",
            "index",
            "--index",
            "ndvi",
            "--input",
            s(&scene),
            "--bands",
            bands,
            "--out",
            s(&idx),
        ])
    };
    support::refused(
        &index("red=1,nir=3"),
        &idx,
        &[
            "NDVI: the red band of the input averages",
            "123 times its nir band",
            "(--bands, --red, --nir)",
        ],
    );
    let o = index("red=1,nir=2");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("change.tif");
    support::refused(
        &sample_ndvi_change("red=1,nir=3", &out, &[]),
        &out,
        &["times its nir band"],
    );
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let (r1, c1) = (s2(&data, "20170503", "B04"), s2(&data, "20170503", "SCL"));
    let (r2, c2) = (s2(&data, "20170722", "B04"), s2(&data, "20170722", "SCL"));
    support::refused(
        &ndvi_change(&[], (&r1, &c1), (&r2, &c2), &out, &[]),
        &out,
        &["of the before date (", "times its nir band"],
    );
}

/// A sample drawn on one change map (threshold −0.2), interpreted, then scored against a
/// map of another threshold (−0.5): its points' `map_class` differ from that map's at
/// their place, and the stratified estimates had weighed its strata by the other map's
/// draws with exit 0; refused, naming the count and the first point. On its own map it runs.
#[test]
fn a_sample_drawn_on_another_map_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let map = |threshold: &str| {
        let (out, classes) = (
            dir.path().join(format!("c{threshold}.tif")),
            dir.path().join(format!("classes{threshold}.tif")),
        );
        let extra = ["--threshold", threshold, "--classes-out", s(&classes)];
        let o = sample_ndvi_change("red=1,nir=2", &out, &extra);
        assert!(o.status.success(), "{}", stderr(&o));
        classes
    };
    let (drawn, other) = (map("-0.2"), map("-0.5"));
    let sample = dir.path().join("sample.gpkg");
    let o = terrawatt(&[
        "raster",
        "sample-design",
        "--map",
        s(&drawn),
        "--n",
        "100",
        "--allocation",
        "min:40",
        "--out",
        s(&sample),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // interpreted perfectly: each point's reference is the class it was drawn in
    {
        let ds = gdal::Dataset::open_ex(
            &sample,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE
                    | gdal::GdalOpenFlags::GDAL_OF_VECTOR,
                ..Default::default()
            },
        )
        .unwrap();
        ds.execute_sql(
            "UPDATE sample SET reference = map_class",
            None,
            gdal::vector::sql::Dialect::DEFAULT,
        )
        .unwrap();
    }
    let accuracy = |map: &Path| {
        terrawatt(&[
            "raster",
            "accuracy",
            "--map",
            s(map),
            "--reference",
            s(&sample),
        ])
    };
    let o = accuracy(&drawn);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = accuracy(&other);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("sample.gpkg")
            && e.contains("points' map_class (the class sample-design drew them in) differ from")
            && e.contains("Draw the sample on this map"),
        "{e}"
    );
}

/// A change map's classes 0/1 against a reference coded 0/2: refused with the recoding
/// that agrees (map 1 is reference 2 for all its pixels; kappa 0.49 as coded, 1.00
/// recoded; overall accuracy 0.95, as class 0 holds most pixels); `--as-coded` assesses the
/// codes as they are. (A map against itself passes: the sample-design test above.)
#[test]
fn an_accuracy_against_a_reference_coded_otherwise_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (change, classes) = (dir.path().join("c.tif"), dir.path().join("cl.tif"));
    let o = sample_ndvi_change(
        "red=1,nir=2",
        &change,
        &["--threshold", "-0.2", "--classes-out", s(&classes)],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let reference = dir.path().join("ref02.tif");
    support::copy_with(&classes, &reference, |v| v + 1.0);
    let table = dir.path().join("t.csv");
    let accuracy = |extra: &[&str]| {
        let a = [
            "raster",
            "accuracy",
            "--map",
            s(&classes),
            "--reference",
            s(&reference),
            "--table",
            s(&table),
        ];
        terrawatt(&with(&a, extra))
    };
    support::refused(
        &accuracy(&[]),
        &table,
        &[
            "ref02.tif: map 1 is reference 2 for 100 % of its units",
            "1.00 with the map's classes so recoded",
            "--as-coded",
        ],
    );
    let o = accuracy(&["--as-coded"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(support::stdout(&o).contains("class    1: user's 0.0000"));
}

/// The dates given the wrong way round, by the dates in the files' names: refused before
/// any work (the change would read the sample's clearing as regrowth; transitions would be
/// read backwards); in order, the same files run.
#[test]
fn dates_given_the_wrong_way_round_are_refused() {
    let d = support::samples();
    let dir = tempfile::tempdir().unwrap();
    let (early, late) = (
        dir.path().join("S2_20230615.tif"),
        dir.path().join("S2_20240615.tif"),
    );
    std::fs::copy(d.join("scene-2023-06.tif"), &early).unwrap();
    std::fs::copy(d.join("scene-2024-06.tif"), &late).unwrap();
    let out = dir.path().join("c.tif");
    let change =
        |before: &Path, after: &Path| ndvi_change_of((before, after), "red=1,nir=2", &out, &[]);
    support::refused(
        &change(&late, &early),
        &out,
        &[
            "the before image is dated 2024-06-15 and the after image 2023-06-15",
            "S2_20240615.tif and S2_20230615.tif",
            "the wrong way round",
        ],
    );
    let o = change(&early, &late);
    assert!(o.status.success(), "{}", stderr(&o));
    // land-cover maps by the years in their names (Copernicus LC100 2019 before 2015)
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let lc = |y: u32| data.join(format!("mapme/W080N20_LC100_v3.0.1_{y}.tif"));
    let (later, earlier) = (lc(2019), lc(2015));
    let table = dir.path().join("tr.csv");
    let a = [
        "raster",
        "transitions",
        "--before",
        s(&later),
        "--after",
        s(&earlier),
        "--table",
        s(&table),
    ];
    support::refused(
        &terrawatt(&a),
        &table,
        &[
            "--before is of 2019 and --after of 2015",
            "the wrong way round",
        ],
    );
}

/// Zonal statistics of a float band whose fill (−9999) is not declared as its nodata value:
/// refused, naming the zone and the `--nodata` to give (the reserve's NDVI mean was −1,979
/// for 0.57); with `--nodata -9999` the fill is missing and counted; a band that declares
/// its nodata passes.
#[test]
fn an_undeclared_fill_in_zonal_statistics_is_refused() {
    let scene = support::samples().join("scene-2023-06.tif");
    let (red, nir) = (
        format!("{}#1", scene.display()),
        format!("{}#2", scene.display()),
    );
    let dir = tempfile::tempdir().unwrap();
    let ndvi = dir.path().join("ndvi.tif");
    let o = ndvi_index(
        Path::new(&red),
        Path::new(&nir),
        &ndvi,
        &["--format", "gtiff"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // the same values with NaN and the first 100 rows as −9999, no nodata declared
    let filled = dir.path().join("filled.tif");
    let width = gdal::Dataset::open(&ndvi).unwrap().raster_size().0;
    support::write_like(&ndvi, &filled, |i, x: f32| {
        if x.is_nan() || i < 100 * width {
            -9999.0
        } else {
            x
        }
    });
    let table = dir.path().join("z.csv");
    let zones = support::samples().join("zones.gpkg");
    let zonal = |input: &Path, extra: &[&str]| {
        let a = [
            "raster",
            "zonal",
            "--input",
            s(input),
            "--zones",
            s(&zones),
            "--out",
            s(&table),
        ];
        terrawatt(&with(&a, extra))
    };
    support::refused(
        &zonal(&filled, &[]),
        &table,
        &[
            "filled.tif: zone reserve holds the value -9999",
            "declares no nodata value",
            "--nodata -9999",
        ],
    );
    let o = zonal(&filled, &["--nodata", "-9999"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&table).unwrap();
    let reserve = text.lines().find(|l| l.contains("reserve")).unwrap();
    let mean: f64 = reserve.split(',').nth(6).unwrap().parse().unwrap();
    assert!((0.0..1.0).contains(&mean), "{reserve}");
    std::fs::remove_file(&table).unwrap();
    let o = zonal(&ndvi, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The sample's scenes as float32 with their first 100 rows −9999 in red and near
/// infrared and no nodata declared: `raster index` and `raster change` refuse them (a
/// quarter of the grid counted as valid, unchanged land: 400 ha of "no change"), naming the
/// date and how to declare the fill; `--nodata ignore` reads them as values.
#[test]
fn an_undeclared_fill_in_index_and_change_inputs_is_refused() {
    let d = support::samples();
    let dir = tempfile::tempdir().unwrap();
    let filled = |name: &str| {
        let src = gdal::Dataset::open(d.join(name)).unwrap();
        let (w, h) = src.raster_size();
        let out = dir.path().join(name.replace(".tif", "-filled.tif"));
        let gtiff = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = gtiff
            .create_with_band_type::<f32, _>(&out, w, h, 2)
            .unwrap();
        ds.set_geo_transform(&src.geo_transform().unwrap()).unwrap();
        ds.set_projection(&src.projection()).unwrap();
        for k in 1..=2 {
            let b = src.rasterband(k).unwrap();
            let mut v = b.read_as::<f32>((0, 0), (w, h), (w, h), None).unwrap();
            v.data_mut()[..100 * w].fill(-9999.0);
            ds.rasterband(k)
                .unwrap()
                .write((0, 0), (w, h), &mut v)
                .unwrap();
        }
        out
    };
    let (before, after) = (filled("scene-2023-06.tif"), filled("scene-2024-06.tif"));
    let out = dir.path().join("c.tif");
    support::refused(
        &ndvi_change_of((&before, &after), "red=1,nir=2", &out, &[]),
        &out,
        &[
            "the before date (",
            "80000 values are -9999",
            "gdal_edit.py -a_nodata -9999",
        ],
    );
    let red = format!("{}#1", before.display());
    let nir = format!("{}#2", before.display());
    let idx = dir.path().join("i.tif");
    support::refused(
        &ndvi_index(Path::new(&red), Path::new(&nir), &idx, &[]),
        &idx,
        &["the input: 80000 values are -9999"],
    );
    let o = ndvi_change_of(
        (&before, &after),
        "red=1,nir=2",
        &out,
        &["--nodata", "ignore"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Copernicus LC100 2015 against 2019 with 2019's codes each raised by one (the same map in
/// another legend) read as 100 % change (68,560 ha for 8 ha) with nothing said; now a
/// warning names the recoding and both kappas, as `raster accuracy` refuses such a pair.
/// The maps as published say nothing of it. One map given as both years (a copy under
/// another name) is refused.
#[test]
fn transitions_between_two_legends_are_warned() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let (a, b) = (
        data.join("mapme/W080N20_LC100_v3.0.1_2015.tif"),
        data.join("mapme/W080N20_LC100_v3.0.1_2019.tif"),
    );
    let recoded = dir.path().join("lc100_2019_recoded.tif");
    support::copy_with(&b, &recoded, |v| v + 1.0);
    let transitions = |after: &Path| {
        let o = terrawatt(&[
            "raster",
            "transitions",
            "--before",
            s(&a),
            "--after",
            s(after),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let e = transitions(&recoded);
    assert!(
        e.contains("agree far better under a one-to-one recoding than as coded")
            && e.contains("lc100_2019_recoded.tif")
            && e.contains("recode one to the other's legend"),
        "{e}"
    );
    let e = transitions(&b);
    assert!(!e.contains("one-to-one recoding"), "{e}");
    // one year's map given as both, under another name: every cell "unchanged", unsaid
    let copy = dir.path().join("W080N20_LC100_v3.0.1_2016.tif");
    std::fs::copy(&a, &copy).unwrap();
    let o = terrawatt(&[
        "raster",
        "transitions",
        "--before",
        s(&a),
        "--after",
        s(&copy),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("are the same map (one file, or copies of it)") && e.contains("_2016.tif"),
        "{e}"
    );
}

/// A zone that is one multipolygon of two overlapping 100 ha squares (175 ha together),
/// repaired with `--invalid repair`: GEOS's repair cuts the overlap out rather than merging
/// it (150 ha), and only "repaired" was said. The zones' line now gives the area before and
/// after the repair.
#[test]
fn a_repair_that_changes_a_zones_area_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let square = |x: f64, y: f64| {
        format!(
            "[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]",
            x + 1000.0,
            x + 1000.0,
            y + 1000.0,
            y + 1000.0
        )
    };
    let zones = dir.path().join("overlap.geojson");
    std::fs::write(
        &zones,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:32633"}}}},"features":[{{"type":"Feature","properties":{{"name":"two"}},"geometry":{{"type":"MultiPolygon","coordinates":[{},{}]}}}}]}}"#,
            square(501_000.0, 4_797_000.0),
            square(501_500.0, 4_797_000.0)
        ),
    )
    .unwrap();
    let o = terrawatt(&[
        "raster",
        "zonal",
        "--input",
        s(&support::samples().join("landcover-2023.tif")),
        "--zones",
        s(&zones),
        "--invalid",
        "repair",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("the repair changed its area from 2.000000e6 to 1.500000e6 (-25.0 %"),
        "{text}"
    );
}

/// A class map in US survey feet (EPSG:2263, 20 × 20 cells of 100 ft, half class 1, half
/// class 2) had its cells read as 100 m: 400 ha, TE 2,000 m, ED 5 with exit 0. Its cells
/// are 30.480 m: 37.16 ha, TE 609.6 m, ED 16.4 m/ha, as zonal already measured them.
#[test]
fn a_class_map_in_feet_is_measured_in_metres() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("feet.tif");
    {
        let gtiff = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = gtiff
            .create_with_band_type::<u8, _>(&map, 20, 20, 1)
            .unwrap();
        ds.set_geo_transform(&[980_000.0, 100.0, 0.0, 200_000.0, 0.0, -100.0])
            .unwrap();
        let srs = gdal::spatial_ref::SpatialRef::from_epsg(2263).unwrap();
        ds.set_spatial_ref(&srs).unwrap();
        let v: Vec<u8> = (0..400).map(|i| if i % 20 < 10 { 1 } else { 2 }).collect();
        let mut buf = gdal::raster::Buffer::new((20, 20), v);
        ds.rasterband(1)
            .unwrap()
            .write((0, 0), (20, 20), &mut buf)
            .unwrap();
    }
    let table = dir.path().join("m.csv");
    let text = support::succeeds(&[
        "raster",
        "landscape",
        "--input",
        s(&map),
        "--table",
        s(&table),
    ]);
    assert!(
        text.contains("20 × 20 cells of 30.480 × 30.480 m"),
        "{text}"
    );
    let csv = std::fs::read_to_string(&table).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let land: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
    let col = |name: &str| -> f64 {
        let i = head
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{csv}"));
        land[i].parse().unwrap()
    };
    assert!((col("total_area_ha") - 37.16).abs() < 0.01, "{csv}");
    assert!((col("total_edge_m") - 609.6).abs() < 0.1, "{csv}");
}

/// A scene-classification band that is not one: the sample scene's near infrared given as
/// its SCL (`#2` for `#3`) masked nothing and mapped the cloud and its shadow as change
/// (72.44 ha for 47.95). Its values are not class codes 0–11: refused, naming the band. On
/// tile 38PLR the real SCL passes and its near infrared given as the SCL is refused.
#[test]
fn a_mask_band_that_is_not_a_scene_classification_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = support::samples();
    let (b, a) = (d.join("scene-2023-06.tif"), d.join("scene-2024-06.tif"));
    let out = dir.path().join("change.tif");
    let change = |k: &str| {
        let (sb, sa) = (
            format!("{}#{k}", b.display()),
            format!("{}#{k}", a.display()),
        );
        let args = [
            "raster",
            "change",
            "--index",
            "ndvi",
            "--before",
            s(&b),
            "--after",
            s(&a),
            "--bands",
            "red=1,nir=2",
            "--scl-before",
            &sb,
            "--scl-after",
            &sa,
            "--threshold",
            "-0.2",
            "--mmu",
            "0.5ha",
            "--out",
            s(&out),
        ];
        terrawatt(&args)
    };
    support::refused(
        &change("2"),
        &out,
        &[
            "the before date's scene-classification band",
            "scene-2023-06.tif band 2) is not one: 100 % of its sampled cells are not a class code 0–11",
        ],
    );
    let o = change("3");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("masked 4136 (2.6 %)"));
    let Some(data) = common::reference_data("raster") else {
        return;
    };
    let (r1, n1, c1) = (
        s2(&data, "20170503", "B04"),
        s2(&data, "20170503", "B08"),
        s2(&data, "20170503", "SCL"),
    );
    let (r2, n2, c2) = (
        s2(&data, "20170722", "B04"),
        s2(&data, "20170722", "B08"),
        s2(&data, "20170722", "SCL"),
    );
    let with_scl = |scl: (&Path, &Path)| {
        ndvi_change(
            &[],
            (&r1, &n1),
            (&r2, &n2),
            &out,
            &[
                "--scl-before",
                s(scl.0),
                "--scl-after",
                s(scl.1),
                "--align",
                "nearest",
            ],
        )
    };
    let o = with_scl((&c1, &c2));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&out).unwrap();
    support::refused(
        &with_scl((&c1, &n2)),
        &out,
        &["the after date's scene-classification band"],
    );
}

/// GFW's gross emissions per hectare (`…_Mg_CO2e_ha_…`: the per-cell layer over each
/// cell's 0.0727 ha) summed over the lost cells as per cell: 13.7 times the emissions with
/// nothing said. Refused by its name; under a name that does not say, by the 4,840 Mg CO2e
/// it makes a lost hectare emit (the per-cell layer: 353, 52,403.0 Mg over 148.35 ha).
#[test]
fn an_emissions_layer_per_hectare_is_refused() {
    let Some((data, dir)) = common::data_and_dir("raster/mapme") else {
        return;
    };
    let px = data.join("gfw_forest_carbon_gross_emissions_Mg_CO2e_px_20N_080W.tif");
    let out = dir.path().join("loss.csv");
    let run = |emissions: &Path| {
        terrawatt(&[
            "raster",
            "forest-loss",
            "--treecover",
            s(&data.join("Hansen_GFC-2023-v1.11_treecover2000_20N_080W.tif")),
            "--lossyear",
            s(&data.join("Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif")),
            "--emissions",
            s(emissions),
            "--zones",
            s(&data.join("gfw_sample.gpkg")),
            "--out",
            s(&out),
        ])
    };
    let o = run(&px);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("lost 148.35 ha, 7.43 %, 52403.0 Mg CO2e"),
        "{text}"
    );
    std::fs::remove_file(&out).unwrap();
    // a 30 m cell at 18.5° N
    let ha = (0.00025 * 111_320.0 * 18.5f64.to_radians().cos()) * (0.00025 * 110_574.0) / 1e4;
    let named = dir
        .path()
        .join("gfw_forest_carbon_gross_emissions_Mg_CO2e_ha_20N_080W.tif");
    support::copy_with(&px, &named, |v| v / ha);
    support::refused(
        &run(&named),
        &out,
        &["the name says Mg CO2e per hectare", "_Mg_CO2e_px_"],
    );
    let unnamed = dir.path().join("emissions.tif");
    std::fs::copy(&named, &unnamed).unwrap();
    support::refused(
        &run(&unnamed),
        &out,
        &[
            "emissions.tif: the loss emitted 48",
            "Mg CO2e a hectare",
            "per hectare rather than per cell",
        ],
    );
}

/// rasterio's RGB.byte.tif with its nodata tag lost: the black collar (0, a third of the
/// north-west quarter) was averaged in with nothing said (mean 32.57 for 49.12). The zonal
/// run now warns of the frame and names `--nodata 0`, which gives the tagged file's mean.
#[test]
fn zonal_statistics_over_an_undeclared_frame_are_warned() {
    let Some((data, dir)) = common::data_and_dir("raster/rasterio") else {
        return;
    };
    let rgb = data.join("RGB.byte.tif");
    let bare = dir.path().join("rgb_nonodata.tif");
    support::without_nodata(&rgb, &bare);
    let ds = gdal::Dataset::open(&rgb).unwrap();
    let g = ds.geo_transform().unwrap();
    let (w, h) = ds.raster_size();
    let (x0, y1) = (g[0], g[3]);
    let (x1, y0) = (x0 + g[1] * w as f64 / 2.0, y1 + g[5] * h as f64 / 2.0);
    let zones = dir.path().join("quarter.geojson");
    std::fs::write(
        &zones,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:32618"}}}},"features":[{{"type":"Feature","properties":{{"name":"q"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"#
        ),
    )
    .unwrap();
    let mean = |raster: &Path, extra: &[&str]| {
        let out = dir.path().join("z.csv");
        let a = [
            "raster",
            "zonal",
            "--input",
            s(raster),
            "--zones",
            s(&zones),
            "--out",
            s(&out),
        ];
        let o = terrawatt(&with(&a, extra));
        assert!(o.status.success(), "{}", stderr(&o));
        let t = terrawatt_table::Table::read(&out).unwrap();
        (t.numeric("mean").unwrap().0[0], stderr(&o))
    };
    let (tagged, e) = mean(&rgb, &[]);
    assert!(!e.contains("warning"), "{e}");
    let (bare_mean, e) = mean(&bare, &[]);
    assert!(
        e.contains("rgb_nonodata.tif declares no nodata value and class 0 surrounds it")
            && e.contains("--nodata 0 leaves it out of every statistic"),
        "{e}"
    );
    assert!(bare_mean < 0.7 * tagged, "{bare_mean} {tagged}");
    let (left_out, _) = mean(&bare, &["--nodata", "0"]);
    assert_eq!(left_out, tagged);
}
