//! The raster commands as library tasks (`terrawatt_raster::task`), called as a Rust user or
//! the Python package would: typed options, a meter span, no progress shown. A task must
//! assemble the same settings as a hand-built kernel run (so it finds the same change), run
//! its phases as child spans, say what it reads and writes before any work, and refuse
//! options that do not fit before any work.

use std::path::{Path, PathBuf};

use terrawatt_meter::{Meter, MeterConfig};
use terrawatt_raster::change::{
    self, DateInputs, Difference, Direction, Method, Mmu, Threshold, ThresholdChoice,
};
use terrawatt_raster::forest_loss::Years;
use terrawatt_raster::grid::{AreaMethod, PixelWindow};
use terrawatt_raster::index::Index;
use terrawatt_raster::mask::MaskKind;
use terrawatt_raster::read::{BandRef, BandSel, BandSpec, Resampling};
use terrawatt_raster::sample;
use terrawatt_raster::sieve::Connectivity;
use terrawatt_raster::task::{
    BandSource, ChangeTask, RasterOptions, RasterTask, RoleBand, SampleTask, Silent, TaskResults,
    TransitionsTask, ZonalTask,
};
use terrawatt_raster::write::{Compression, Format, OutputSpec};
use terrawatt_raster::zonal::{self, Features, Missing, Rule, ZoneSource};

fn meter() -> Meter {
    Meter::detect(&MeterConfig::model_only()).unwrap()
}

/// The sample scene in a fresh folder.
fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let task = SampleTask {
        out_dir: dir.path().to_path_buf(),
        seed: 0,
    };
    let mut span = meter().span("sample");
    let r = task.run(&mut span, &Silent).unwrap();
    assert!(r.text().contains("400 × 400 cells of 10 m"), "{}", r.text());
    dir
}

fn band(path: &Path, n: usize) -> BandRef {
    BandRef {
        path: path.to_path_buf(),
        band: BandSel::Index(n),
    }
}

fn options(out: PathBuf) -> RasterOptions {
    RasterOptions {
        memory: 64_000_000,
        ..RasterOptions::new(OutputSpec {
            path: out,
            format: Format::GTiff,
            compression: Compression::Deflate,
            level: None,
        })
    }
}

/// NDVI change of the sample's two dates, bands by role from each multi-band file, SCL
/// masks, a fixed threshold and a 0.5 ha minimum mapping unit.
fn ndvi_change(dir: &Path, out: &Path) -> ChangeTask {
    let (before, after) = (dir.join("scene-2023-06.tif"), dir.join("scene-2024-06.tif"));
    let raster = options(out.join("change.tif"));
    ChangeTask {
        mask_before: sample::scene_mask(&before),
        mask_after: sample::scene_mask(&after),
        threshold: Some(ThresholdChoice::Fixed { value: -0.2 }),
        mmu: Some((Mmu::SquareMetres(5_000.0), Connectivity::Four)),
        table: Some(out.join("areas.csv")),
        raster: raster.clone(),
        ..ChangeTask::new(
            Method::Index(Index::Ndvi),
            sample::scene_bands(&before),
            sample::scene_bands(&after),
            raster.out,
        )
    }
}

#[test]
fn a_change_task_is_the_kernel_run_it_describes() {
    let dir = sample();
    let out = tempfile::tempdir().unwrap();
    let task = ndvi_change(dir.path(), out.path());
    // what it reads and writes, known before any work
    let files = task.files().unwrap();
    let (before, after) = (
        dir.path().join("scene-2023-06.tif"),
        dir.path().join("scene-2024-06.tif"),
    );
    assert_eq!(
        files.inputs,
        [&before, &before, &after, &after, &before, &after].map(|p| p.clone())
    );
    assert_eq!(
        files.outputs,
        [out.path().join("change.tif"), out.path().join("areas.csv")]
    );
    assert!(!out.path().join("change.tif").exists());

    let mut span = meter().span("raster change");
    let r = task.run(&mut span, &Silent).unwrap();
    let phases: Vec<&str> = span.children().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(phases, ["change", "write"]);

    // the same run by hand: the kernel's settings written out
    let tmp = tempfile::tempdir().unwrap();
    let date = |f: &Path| DateInputs {
        bands: vec![
            BandSpec::new(f, BandSel::Index(1)),
            BandSpec::new(f, BandSel::Index(2)),
        ],
        mask: Some((BandSpec::new(f, BandSel::Index(3)), MaskKind::scl_default())),
    };
    let written = OutputSpec {
        path: tmp.path().join("c.tif"),
        ..task.raster.out.clone()
    };
    let by_hand = change::Settings {
        threshold: Threshold::Fixed { value: -0.2 },
        mmu: Some((Mmu::SquareMetres(5_000.0), Connectivity::Four)),
        memory: 64_000_000,
        ..change::Settings::new(
            date(&before),
            date(&after),
            Method::Index(Index::Ndvi),
            written,
            tmp.path().to_path_buf(),
        )
    };
    let k = change::run(&by_hand, &|_, _| {}).unwrap();
    let c = &r.change;
    assert_eq!(
        (c.valid, c.masked, c.threshold, c.direction),
        (k.valid, k.masked, k.threshold, k.direction)
    );
    let pixels = |v: &[change::ClassArea]| v.iter().map(|x| x.pixels).collect::<Vec<_>>();
    assert_eq!(pixels(&c.classes), pixels(&k.classes));
    assert!(c.classes[1].pixels > 1000, "the clearing is found");

    // the table written, the text and the JSON results of the command
    let table = std::fs::read_to_string(out.path().join("areas.csv")).unwrap();
    assert_eq!(table, change::class_table_csv(&k.classes));
    let text = r.text();
    assert!(
        text.starts_with("400 × 400 pixels (EPSG:32633, 16.00 km²) → "),
        "{text}"
    );
    assert!(
        text.contains("threshold -0.200000 (fixed), change is below"),
        "{text}"
    );
    assert!(text.contains("minimum mapping unit 0.5000 ha (4-connected, 50 pixels)"));
    let json = serde_json::to_value(&r).unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(json["change"]["valid"], c.valid);
    assert_eq!(r.unit().unwrap().name, "km² processed");
    // the quicklook: three panels the size of the preview, a legend per class and more
    let q = r.quicklook(100).unwrap();
    assert_eq!(q.panels.len(), 3);
    assert!(
        q.panels
            .iter()
            .all(|p| p.3.len() == p.1 * p.2 && p.1 == 100)
    );
    assert_eq!(q.legend.len(), c.classes.len() + 3);
}

#[test]
fn a_tiled_change_run_is_refused_or_deferred_as_the_method_needs() {
    let dir = sample();
    let out = tempfile::tempdir().unwrap();
    let mut task = ndvi_change(dir.path(), out.path());
    // a fixed threshold and no mmu: each tile classifies its own pixels
    task.mmu = None;
    let t = task.tiling().unwrap();
    assert!(!t.deferred);
    assert_eq!((t.grid.width, t.grid.height), (400, 400));
    // every file once, in the order first read
    assert_eq!(
        t.inputs,
        [
            dir.path().join("scene-2023-06.tif"),
            dir.path().join("scene-2024-06.tif")
        ]
    );
    // Otsu's threshold waits for every tile's values
    task.threshold = None;
    let t = task.tiling().unwrap();
    assert!(t.deferred && matches!(t.threshold, Threshold::Otsu { bins: 256 }));
    let (rule, area, spec) = task.class_rule().unwrap();
    assert_eq!(rule.direction, Direction::Below);
    assert!(rule.signed);
    assert_eq!((area, spec.format), (AreaMethod::Ellipsoid, Format::Cog));
    // grown masks cross tile edges
    task.mask_buffer = 2;
    let e = task.tiling().unwrap_err().to_string();
    assert!(e.contains("--mask-buffer grows masks"), "{e}");
}

#[test]
fn options_that_do_not_fit_are_refused_before_any_work() {
    let dir = sample();
    let out = tempfile::tempdir().unwrap();
    let base = ndvi_change(dir.path(), out.path());
    let refused = |t: ChangeTask, says: &str| {
        let e = t.files().unwrap_err().to_string();
        assert!(e.contains(says), "{says}: {e}");
    };
    refused(
        ChangeTask {
            threshold: Some(ThresholdChoice::DnbrClasses),
            ..base.clone()
        },
        "needs --index nbr",
    );
    refused(
        ChangeTask {
            threshold: None,
            bins: 1,
            ..base.clone()
        },
        "--bins must be at least 2",
    );
    // per-band files of CVA: the same bands on both dates
    let per_band = |files: &[&str]| BandSource {
        file: None,
        roles: vec![],
        files: files
            .iter()
            .map(|r| {
                (
                    r.to_string(),
                    band(&dir.path().join("scene-2023-06.tif"), 1),
                )
            })
            .collect(),
    };
    refused(
        ChangeTask {
            method: Method::Cva { standardize: false },
            before: per_band(&["red", "swir1"]),
            after: per_band(&["red"]),
            ..base.clone()
        },
        "--before-swir1 and --after-swir1 go together",
    );
    refused(
        ChangeTask {
            before: BandSource {
                roles: vec![],
                ..base.before.clone()
            },
            ..base.clone()
        },
        "give --bands red=N",
    );
    // a zone table by its extension; classes warped with nearest or mode only
    let zones = ZoneSource::new(dir.path().join("zones.gpkg"));
    let zonal = ZonalTask {
        zonal: zonal::Settings {
            raster: dir.path().join("treecover-2000.tif"),
            band: BandSel::Index(1),
            missing: Missing::Band,
            zones: zones.clone(),
            rule: Rule::Exact,
            area: AreaMethod::Ellipsoid,
            memory: 64_000_000,
        },
        out: Some(out.path().join("z.xlsx")),
    };
    let e = zonal.files().unwrap_err().to_string();
    assert!(e.contains(".csv, .parquet or .gpkg"), "{e}");
    let transitions = TransitionsTask {
        before: dir.path().join("landcover-2023.tif"),
        after: dir.path().join("landcover-2023.tif"),
        band: BandSel::Index(1),
        align: Some(Resampling::Bilinear),
        area: AreaMethod::Ellipsoid,
        memory: 64_000_000,
        table: None,
        zones: Some((zones, Rule::Exact)),
    };
    let e = transitions.files().unwrap_err().to_string();
    assert!(
        e.contains("--align 'bilinear': classes are warped with nearest or mode"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

/// The words and forms each option takes, and what a refusal says it expected.
#[test]
fn option_values_parse_into_their_types() {
    assert_eq!("sphere".parse::<AreaMethod>(), Ok(AreaMethod::Sphere));
    assert_eq!(
        "flat".parse::<AreaMethod>().unwrap_err().to_string(),
        "expected ellipsoid or sphere"
    );
    assert_eq!("near".parse::<Resampling>(), Ok(Resampling::Nearest));
    assert_eq!("geotiff".parse::<Format>(), Ok(Format::GTiff));
    assert_eq!("ZSTD".parse::<Compression>(), Ok(Compression::Zstd));
    assert_eq!("center".parse::<Rule>(), Ok(Rule::Centre));
    assert_eq!("NONE".parse::<Missing>(), Ok(Missing::None));
    assert_eq!("-9999".parse::<Missing>(), Ok(Missing::Value(-9999.0)));
    assert_eq!("NDVI".parse::<Index>(), Ok(Index::Ndvi));
    assert_eq!("8".parse::<Connectivity>(), Ok(Connectivity::Eight));
    assert!("6".parse::<Connectivity>().is_err());
    assert_eq!(
        "before-minus-after".parse::<Difference>(),
        Ok(Difference::BeforeMinusAfter)
    );
    assert_eq!(
        "-0.1".parse::<ThresholdChoice>(),
        Ok(ThresholdChoice::Fixed { value: -0.1 })
    );
    assert_eq!(
        "kmeans:3".parse::<ThresholdChoice>(),
        Ok(ThresholdChoice::Kmeans { k: 3 })
    );
    for (bad, says) in [
        ("kmeans:4", "k is 2 or 3"),
        ("chi2:1.5", "0 < P < 1"),
        ("inf", "a finite number"),
    ] {
        let e = bad.parse::<ThresholdChoice>().unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
    assert_eq!(
        "10,20,100,80".parse::<PixelWindow>(),
        Ok(PixelWindow {
            col: 10,
            row: 20,
            width: 100,
            height: 80
        })
    );
    assert!("1,2,3".parse::<PixelWindow>().is_err());
    assert_eq!(
        "3,2".parse::<Features>(),
        Ok(Features { start: 3, count: 2 })
    );
    for bad in ["1", "0,0", "a,1"] {
        assert!(bad.parse::<Features>().is_err(), "{bad}");
    }
    assert_eq!(
        "2000-2023".parse::<Years>(),
        Ok(Years {
            first: 2000,
            last: 2023
        })
    );
    assert_eq!(
        "2000-x".parse::<Years>().unwrap_err().to_string(),
        "'x' is not a year"
    );
    let rb: RoleBand = " Red =B04".parse().unwrap();
    assert_eq!(
        (rb.role.as_str(), rb.band),
        ("red", BandSel::Description("B04".into()))
    );
    assert!("red".parse::<RoleBand>().is_err());
    let r: BandRef = "s.tif#2".parse().unwrap();
    assert_eq!(
        (r.path, r.band),
        (PathBuf::from("s.tif"), BandSel::Index(2))
    );
    let r: BandRef = "s.tif#".parse().unwrap();
    assert_eq!(
        (r.path, r.band),
        (PathBuf::from("s.tif#"), BandSel::Index(1))
    );
}
