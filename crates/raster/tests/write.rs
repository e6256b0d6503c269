//! The GeoTIFF/COG writer against GDAL on real rasters of ../shared/data/raster: GDAL reads
//! back every value written, the overviews equal those `gdaladdo -r nearest` (GDAL's
//! BuildOverviews) makes from the same full-resolution data, the layout is a COG's (the
//! checks of GDAL's validate_cloud_optimized_geotiff.py), and BigTIFFs read the same.

use std::path::Path;

use gdal::{Dataset, DriverManager, Metadata};
use terrawatt_raster::grid::Grid;
use terrawatt_raster::write::{Compression, Format, OutputSpec, Sample, Writer};

#[path = "../../meter/tests/common.rs"]
mod common;

fn spec(path: &Path, format: Format, compression: Compression) -> OutputSpec {
    OutputSpec {
        path: path.to_path_buf(),
        format,
        compression,
        level: None,
    }
}

/// Writes `bands` (each `w × h`, row-major) through the writer in strips of `strip` rows,
/// band after band.
fn write<T: Sample>(
    out: &OutputSpec,
    grid: &Grid,
    bands: &[Vec<T>],
    nodata: Option<f64>,
    tile: usize,
    strip: usize,
    big_above: Option<u64>,
) {
    let names: Vec<String> = (1..=bands.len()).map(|b| format!("band {b}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut w = Writer::create::<T>(out, grid, &names, nodata, tile).unwrap();
    if let Some(b) = big_above {
        w = w.bigtiff_above(b);
    }
    for (b, v) in bands.iter().enumerate() {
        for r0 in (0..grid.height).step_by(strip) {
            let n = strip.min(grid.height - r0);
            let part = v[r0 * grid.width..(r0 + n) * grid.width].to_vec();
            w.write_rows(b + 1, r0, n, part).unwrap();
        }
    }
    w.finish().unwrap();
}

/// How many values differ bit-wise (NaN equal to NaN of the same bits).
fn differing(a: &[f32], b: &[f32]) -> usize {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.to_bits() != y.to_bits())
        .count()
}

/// Every band and overview of `path` against `want` and GDAL's own nearest overviews of it.
fn check_against_gdal(path: &Path, want: &[Vec<f32>], levels: usize) {
    let ds = Dataset::open(path).unwrap();
    let (w, h) = ds.raster_size();
    let mem = DriverManager::get_driver_by_name("GTiff").unwrap();
    let name = format!(
        "/vsimem/ovr-{}.tif",
        path.file_name().unwrap().to_string_lossy()
    );
    // pixel-interleaved, as GDAL's COG driver builds them (GDAL picks band-interleaved
    // files' nearest overviews from full resolution instead of from the level above)
    let mut opts = gdal::raster::RasterCreationOptions::new();
    opts.set_name_value("INTERLEAVE", "PIXEL").unwrap();
    let mut copy = ds.create_copy(&mem, &name, &opts).unwrap();
    let factors: Vec<i32> = (1..=levels).map(|k| 1 << k).collect();
    copy.build_overviews("NEAREST", &factors, &[]).unwrap();
    for (b, v) in want.iter().enumerate() {
        let band = ds.rasterband(b + 1).unwrap();
        let got = band.read_as::<f32>((0, 0), (w, h), (w, h), None).unwrap();
        assert_eq!(
            differing(got.data(), v),
            0,
            "{} band {}",
            path.display(),
            b + 1
        );
        assert_eq!(band.overview_count().unwrap() as usize, levels);
        let reference = copy.rasterband(b + 1).unwrap();
        for k in 0..levels {
            let o = band.overview(k).unwrap();
            let r = reference.overview(k).unwrap();
            assert_eq!(o.size(), r.size(), "overview {k} size");
            let (ow, oh) = o.size();
            let a = o.read_as::<f32>((0, 0), (ow, oh), (ow, oh), None).unwrap();
            let e = r.read_as::<f32>((0, 0), (ow, oh), (ow, oh), None).unwrap();
            assert_eq!(
                differing(a.data(), e.data()),
                0,
                "band {} overview {k}",
                b + 1
            );
        }
    }
    drop(copy);
    let _ = gdal::vsi::unlink_mem_file(&name);
}

/// The checks of GDAL's COG validator: structural metadata, IFDs before data in order,
/// smallest overview's data first, blocks in row-major order with size leaders and
/// repeated trailers.
fn check_cog_layout(path: &Path) {
    let ds = Dataset::open(path).unwrap();
    assert_eq!(
        ds.metadata_item("LAYOUT", "IMAGE_STRUCTURE").as_deref(),
        Some("COG")
    );
    let bytes = std::fs::read(path).unwrap();
    let bands = ds.raster_count();
    for b in 1..=bands {
        let main = ds.rasterband(b).unwrap();
        let mut all = vec![main];
        for k in 0..all[0].overview_count().unwrap() {
            let o = ds.rasterband(b).unwrap().overview(k as usize).unwrap();
            all.push(o);
        }
        let mut ifds = vec![];
        let mut first_blocks = vec![];
        for band in &all {
            ifds.push(
                band.metadata_item("IFD_OFFSET", "TIFF")
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
            let (bw, bh) = band.block_size();
            let (w, h) = band.size();
            let mut last = 0u64;
            for y in 0..h.div_ceil(bh) {
                for x in 0..w.div_ceil(bw) {
                    let item = |k: &str| {
                        band.metadata_item(&format!("{k}_{x}_{y}"), "TIFF")
                            .unwrap()
                            .parse::<usize>()
                            .unwrap()
                    };
                    let (off, size) = (item("BLOCK_OFFSET"), item("BLOCK_SIZE"));
                    assert!(off as u64 > last, "blocks in row-major order");
                    last = off as u64;
                    let leader = u32::from_le_bytes(bytes[off - 4..off].try_into().unwrap());
                    assert_eq!(leader as usize, size, "size leader");
                    assert_eq!(
                        bytes[off + size - 4..off + size],
                        bytes[off + size..off + size + 4],
                        "trailer"
                    );
                    if x == 0 && y == 0 {
                        first_blocks.push(off as u64);
                    }
                }
            }
        }
        assert!(
            ifds.windows(2).all(|p| p[0] < p[1]),
            "IFDs in order: {ifds:?}"
        );
        assert!(
            first_blocks.windows(2).all(|p| p[0] > p[1]),
            "smallest overview's data first: {first_blocks:?}"
        );
        assert!(first_blocks.last().unwrap() > ifds.last().unwrap());
    }
}

#[test]
fn cog_and_geotiff_read_back_through_gdal_with_gdal_overviews() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    // a Sentinel-2 band (385 × 241, UInt16) as float32, with NaN for a block of pixels
    let src = data.join("oscd_norcia/imgs_1");
    let b04 = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("_B04.tif"))
        .unwrap();
    let grid = Grid::of_file(&b04).unwrap();
    let ds = Dataset::open(&b04).unwrap();
    let (w, h) = (grid.width, grid.height);
    let raw = ds
        .rasterband(1)
        .unwrap()
        .read_as::<f32>((0, 0), (w, h), (w, h), None)
        .unwrap();
    let mut v1 = raw.data().to_vec();
    for r in 40..90 {
        for c in 100..180 {
            v1[r * w + c] = f32::NAN;
        }
    }
    let v2: Vec<f32> = v1.iter().map(|x| (x / 1000.0).sqrt()).collect();
    let bands = vec![v1, v2];
    for (name, format, compression, tile, strip, levels) in [
        ("deflate.tif", Format::Cog, Compression::Deflate, 64, 64, 3),
        ("zstd.tif", Format::Cog, Compression::Zstd, 32, 32, 4),
        ("none.tif", Format::Cog, Compression::None, 128, 128, 2),
        // strips that are not whole tile rows
        ("strips.tif", Format::Cog, Compression::Deflate, 16, 7, 5),
        ("plain.tif", Format::GTiff, Compression::Deflate, 64, 100, 0),
    ] {
        let out = dir.path().join(name);
        write(
            &spec(&out, format, compression),
            &grid,
            &bands,
            Some(f64::NAN),
            tile,
            strip,
            None,
        );
        check_against_gdal(&out, &bands, levels);
        if format == Format::Cog {
            check_cog_layout(&out);
        }
        let back = Dataset::open(&out).unwrap();
        assert_eq!(
            back.spatial_ref().unwrap().to_wkt().unwrap(),
            ds.spatial_ref().unwrap().to_wkt().unwrap()
        );
        assert_eq!(back.geo_transform().unwrap(), ds.geo_transform().unwrap());
        let b1 = back.rasterband(1).unwrap();
        assert!(b1.no_data_value().unwrap().is_nan());
        assert_eq!(b1.description().unwrap(), "band 1");
    }
    // a BigTIFF (64-bit offsets) reads the same
    let out = dir.path().join("big.tif");
    write(
        &spec(&out, Format::Cog, Compression::Deflate),
        &grid,
        &bands,
        Some(f64::NAN),
        64,
        64,
        Some(1),
    );
    assert_eq!(&std::fs::read(&out).unwrap()[..4], b"II\x2b\x00");
    check_against_gdal(&out, &bands, 3);
    check_cog_layout(&out);
    // nothing else left in the folder
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "big.tif",
            "deflate.tif",
            "none.tif",
            "plain.tif",
            "strips.tif",
            "zstd.tif"
        ]
    );
}

#[test]
fn byte_classes_on_a_geographic_grid() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    // Hansen loss year (192 × 221, Byte, nodata 255, EPSG:4326)
    let path = data.join("mapme/Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif");
    let grid = Grid::of_file(&path).unwrap();
    let ds = Dataset::open(&path).unwrap();
    let (w, h) = (grid.width, grid.height);
    let v = ds
        .rasterband(1)
        .unwrap()
        .read_as::<u8>((0, 0), (w, h), (w, h), None)
        .unwrap()
        .data()
        .to_vec();
    let out = dir.path().join("loss.tif");
    write(
        &spec(&out, Format::Cog, Compression::Deflate),
        &grid,
        std::slice::from_ref(&v),
        Some(255.0),
        16,
        48,
        None,
    );
    check_cog_layout(&out);
    let back = Dataset::open(&out).unwrap();
    let b = back.rasterband(1).unwrap();
    assert_eq!(b.no_data_value(), Some(255.0));
    assert_eq!(
        b.read_as::<u8>((0, 0), (w, h), (w, h), None)
            .unwrap()
            .data(),
        &v[..]
    );
    let as_f32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    check_against_gdal(&out, &[as_f32], 4);
}

#[test]
fn rows_out_of_order_and_a_short_band_are_refused() {
    let Some((data, dir)) = common::data_and_dir("raster") else {
        return;
    };
    let grid =
        Grid::of_file(&data.join("mapme/Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif")).unwrap();
    let out = dir.path().join("x.tif");
    let mut w = Writer::create::<u8>(
        &spec(&out, Format::Cog, Compression::Deflate),
        &grid,
        &["a"],
        None,
        16,
    )
    .unwrap();
    let row = vec![0u8; grid.width];
    let e = w.write_rows(1, 5, 1, row.clone()).unwrap_err().to_string();
    assert!(e.contains("out of order"), "{e}");
    w.write_rows(1, 0, 1, row).unwrap();
    let e = w.finish().unwrap_err().to_string();
    assert!(e.contains("has 0 of 221 rows") || e.contains("rows"), "{e}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
    let bad = OutputSpec {
        level: Some(12),
        ..spec(&out, Format::Cog, Compression::Deflate)
    };
    let e = Writer::create::<u8>(&bad, &grid, &["a"], None, 16)
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside 1–9"), "{e}");
}
