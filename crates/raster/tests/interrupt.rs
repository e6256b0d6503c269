//! An interrupted run stops between strips with an error and leaves no file behind (its
//! own test binary: the interrupt state is process-wide).

use terrawatt_raster::blocks;
use terrawatt_raster::index::{self, Formula, Index};
use terrawatt_raster::read::{BandSel, BandSpec, Resampling};
use terrawatt_raster::write::{Compression, Format, OutputSpec};

#[path = "../../meter/tests/common.rs"]
mod common;

#[test]
fn an_interrupt_stops_the_run_and_removes_its_files() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let s2 = data.join("mapme_vegetation/s2a");
    let band = |b: &str| {
        BandSpec::new(
            s2.join(format!("S2A_38PLR_20170503_0_L2A_{b}.tif")),
            BandSel::Index(1),
        )
    };
    let out = OutputSpec {
        path: dir.path().join("ndvi.tif"),
        format: Format::Cog,
        compression: Compression::Deflate,
        level: None,
    };
    let run = || {
        index::run(
            &Formula::Index(Index::Ndvi),
            &[band("B04"), band("B08")],
            None,
            false,
            Resampling::Nearest,
            1 << 30,
            &out,
            dir.path(),
            &|_, _| {},
        )
    };
    // before a raster task is armed, an interrupt is not taken (the process would end)
    assert!(!blocks::interrupt());
    blocks::arm();
    assert!(blocks::interrupt());
    // a second interrupt is not taken either: the handler then ends the process
    assert!(!blocks::interrupt());
    let e = run().unwrap_err().to_string();
    assert!(e.contains("interrupted"), "{e}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
