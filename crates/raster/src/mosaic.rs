//! Tiles back into one raster: a VRT over the tiles (GDAL's buildvrt), then a
//! Cloud-Optimised GeoTIFF of it (GDAL's COG driver). Pixels are copied, never resampled:
//! every tile must share the CRS, pixel size, band count and sample types and sit on the
//! mosaic's pixel grid.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use gdal::{Dataset, Metadata as _};
use serde::Serialize;

use crate::blocks;
use crate::grid::Grid;
use crate::read::{CArgs, c_path, last_gdal_error, translate};
use crate::write::{Compression, Format, OutputSpec, Sample, Writer};
use crate::{RasterError, Result, gdal_err};

/// What a mosaic holds.
#[derive(Debug, Clone, Serialize)]
pub struct Mosaic {
    pub width: usize,
    pub height: usize,
    pub tiles: usize,
    pub bands: usize,
    /// Pixels of the mosaic that no tile covers (nodata in the output).
    pub uncovered_pixels: u64,
}

fn err(path: &Path, message: impl Into<String>) -> RasterError {
    RasterError::Input {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// The band count and sample types of a raster.
type Layout = (Grid, Vec<String>, Vec<Option<f64>>, Vec<String>);

fn layout(path: &Path) -> Result<Layout> {
    let ds = Dataset::open(path).map_err(gdal_err(path))?;
    let grid = Grid::of(&ds, &path.display().to_string())?;
    let mut types = vec![];
    let mut nodata = vec![];
    let mut names = vec![];
    for i in 1..=ds.raster_count() {
        let b = ds.rasterband(i).map_err(gdal_err(path))?;
        types.push(b.band_type().name());
        nodata.push(b.no_data_value());
        names.push(b.description().unwrap_or_default());
    }
    Ok((grid, types, nodata, names))
}

/// What the tiles share: the mosaic's grid, band descriptions, sample types and nodata.
type Shared = (Grid, Vec<String>, Vec<String>, Vec<Option<f64>>, Mosaic);

/// Checks that `tiles` fit one pixel grid and returns what they share and the layout.
fn check(tiles: &[PathBuf]) -> Result<Shared> {
    let first = tiles
        .first()
        .ok_or_else(|| RasterError::Invalid("no tiles to mosaic".into()))?;
    let (g0, types0, nodata0, names0) = layout(first)?;
    let t = g0.transform;
    if t[2] != 0.0 || t[4] != 0.0 {
        return Err(err(first, "is rotated: tiles must be north-up"));
    }
    let mut grids = vec![g0.clone()];
    for p in &tiles[1..] {
        let (g, types, nodata, _) = layout(p)?;
        if types != types0 {
            return Err(err(
                p,
                format!(
                    "has bands {types:?} where {} has {types0:?}",
                    first.display()
                ),
            ));
        }
        let bits = |v: &[Option<f64>]| -> Vec<Option<u64>> {
            v.iter()
                .map(|x| x.map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }))
                .collect()
        };
        if bits(&nodata) != bits(&nodata0) {
            return Err(err(
                p,
                format!(
                    "has nodata {nodata:?} where {} has {nodata0:?}",
                    first.display()
                ),
            ));
        }
        grids.push(g);
    }
    // the union of the tiles on the first tile's pixel grid
    let (mut xmin, mut ymin, mut xmax, mut ymax) = g0.bounds();
    for g in &grids[1..] {
        let (a, b, c, d) = g.bounds();
        xmin = xmin.min(a);
        ymin = ymin.min(b);
        xmax = xmax.max(c);
        ymax = ymax.max(d);
    }
    let (dx, dy) = (t[1], t[5]);
    let width = ((xmax - xmin) / dx.abs()).round() as usize;
    let height = ((ymax - ymin) / dy.abs()).round() as usize;
    let x0 = if dx > 0.0 { xmin } else { xmax };
    let y0 = if dy < 0.0 { ymax } else { ymin };
    let union = Grid {
        width,
        height,
        transform: [x0, dx, 0.0, y0, 0.0, dy],
        wkt: g0.wkt.clone(),
    };
    let mut covered = 0u64;
    for (g, p) in grids.iter().zip(tiles) {
        if g.offset_in(&union).is_none() {
            return Err(err(
                p,
                format!(
                    "is not on the pixel grid of {} ({}): {}",
                    first.display(),
                    g0.crs_name(),
                    g.differences(&g0).join("; ")
                ),
            ));
        }
        covered += g.pixels();
    }
    let m = Mosaic {
        width,
        height,
        tiles: tiles.len(),
        bands: types0.len(),
        uncovered_pixels: union.pixels().saturating_sub(covered),
    };
    Ok((union, names0, types0, nodata0, m))
}

/// Writes `vrt` (a virtual mosaic referring to the tiles by paths relative to it, on the
/// tiles' own pixel size and origin, band descriptions kept) and `cog` (a Cloud-Optimised
/// GeoTIFF of it). Byte and Float32 mosaics are streamed in strips through terrawatt's own
/// writer (DEFLATE level 1, the predictor, nearest overviews: the same file a single run
/// writes) within the `memory` budget; other sample types go through GDAL's COG driver. On
/// failure neither is left behind; the caller names them (temporary names, renamed when
/// all is done).
pub fn mosaic(tiles: &[PathBuf], vrt: &Path, cog: &Path, memory: u64) -> Result<Mosaic> {
    let (grid, names, types, nodata, m) = check(tiles)?;
    let done = build_vrt(tiles, &grid, &names, vrt).and_then(|()| {
        let same = |t: &str| types.iter().all(|x| x == t);
        let nodata = nodata.first().copied().flatten();
        if same("Float32") {
            stream::<f32>(vrt, cog, &grid, &names, nodata, memory)
        } else if same("Byte") {
            stream::<u8>(vrt, cog, &grid, &names, nodata, memory)
        } else {
            translate(
                vrt,
                cog,
                &[
                    "-of",
                    "COG",
                    "-co",
                    "COMPRESS=DEFLATE",
                    "-co",
                    "PREDICTOR=YES",
                    "-co",
                    "RESAMPLING=NEAREST",
                    "-co",
                    "BIGTIFF=IF_SAFER",
                    "-co",
                    "NUM_THREADS=ALL_CPUS",
                ]
                .map(String::from),
            )
        }
    });
    if let Err(e) = done {
        let _ = std::fs::remove_file(vrt);
        let _ = std::fs::remove_file(cog);
        return Err(e);
    }
    Ok(m)
}

/// Writes `vrt` alone (as [`mosaic`] does, without the COG).
pub fn vrt(tiles: &[PathBuf], vrt: &Path) -> Result<Mosaic> {
    let (grid, names, _, _, m) = check(tiles)?;
    build_vrt(tiles, &grid, &names, vrt).inspect_err(|_| {
        let _ = std::fs::remove_file(vrt);
    })?;
    Ok(m)
}

/// The VRT's rows in strips (read in parallel, a dataset per strip) into the writer.
fn stream<T: Sample + Default>(
    vrt: &Path,
    cog: &Path,
    grid: &Grid,
    names: &[String],
    nodata: Option<f64>,
    memory: u64,
) -> Result<()> {
    blocks::limit_gdal_cache(memory);
    let (w, h) = (grid.width, grid.height);
    let bpp = names.len() * T::BYTES;
    let rows = blocks::strip_rows(
        h,
        w,
        bpp,
        1,
        blocks::strip_budget(memory),
        rayon::current_num_threads(),
    )?;
    let (rows, tile) = blocks::tiles_for(rows, w, bpp, memory / 4);
    let spec = OutputSpec {
        path: cog.to_path_buf(),
        format: Format::Cog,
        compression: Compression::Deflate,
        level: None,
    };
    let descriptions: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut writer = Writer::create::<T>(&spec, grid, &descriptions, nodata, tile)?;
    blocks::run(
        h,
        rows,
        |r0, n| {
            let ds = Dataset::open(vrt).map_err(gdal_err(vrt))?;
            (1..=names.len())
                .map(|b| {
                    let band = ds.rasterband(b).map_err(gdal_err(vrt))?;
                    let mut v = vec![T::default(); w * n];
                    band.read_into_slice::<T>((0, r0 as isize), (w, n), (w, n), &mut v, None)
                        .map_err(gdal_err(vrt))?;
                    Ok(v)
                })
                .collect::<Result<Vec<Vec<T>>>>()
        },
        |r0, n, bands| {
            for (b, v) in bands.into_iter().enumerate() {
                writer.write_rows(b + 1, r0, n, v)?;
            }
            Ok(())
        },
    )?;
    writer.finish()
}

/// GDAL's buildvrt over `tiles` into `dst`, on `grid` exactly (its pixel size and bounds),
/// then the band descriptions.
fn build_vrt(tiles: &[PathBuf], grid: &Grid, names: &[String], dst: &Path) -> Result<()> {
    let cnames: Vec<CString> = tiles.iter().map(|p| c_path(p)).collect::<Result<_>>()?;
    let name_ptrs: Vec<*const std::os::raw::c_char> = cnames.iter().map(|c| c.as_ptr()).collect();
    let dst_c = c_path(dst)?;
    let (xmin, ymin, xmax, ymax) = grid.bounds();
    let t = &grid.transform;
    let mut args = CArgs::new(&[
        "-tr".to_string(),
        format!("{:?}", t[1].abs()),
        format!("{:?}", t[5].abs()),
        "-te".into(),
        format!("{xmin:?}"),
        format!("{ymin:?}"),
        format!("{xmax:?}"),
        format!("{ymax:?}"),
    ]);
    // SAFETY: the name and argument arrays outlive the calls (the latter NULL-terminated)
    // and hold valid C strings; the options are freed and the returned handle closed here.
    unsafe {
        let opts = gdal_sys::GDALBuildVRTOptionsNew(args.as_mut_ptr(), std::ptr::null_mut());
        if opts.is_null() {
            return Err(err(dst, "bad buildvrt options"));
        }
        let mut usage = 0;
        let out = gdal_sys::GDALBuildVRT(
            dst_c.as_ptr(),
            cnames.len() as i32,
            std::ptr::null_mut(),
            name_ptrs.as_ptr() as *mut *const std::os::raw::c_char as _,
            opts,
            &mut usage,
        );
        gdal_sys::GDALBuildVRTOptionsFree(opts);
        if out.is_null() {
            return Err(err(
                dst,
                format!("building the VRT failed: {}", last_gdal_error()),
            ));
        }
        gdal_sys::GDALClose(out);
    }
    if names.iter().any(|n| !n.is_empty()) {
        let ds = Dataset::open_ex(
            dst,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE
                    | gdal::GdalOpenFlags::GDAL_OF_RASTER,
                ..Default::default()
            },
        )
        .map_err(gdal_err(dst))?;
        for (i, n) in names.iter().enumerate() {
            let mut b = ds.rasterband(i + 1).map_err(gdal_err(dst))?;
            b.set_description(n).map_err(gdal_err(dst))?;
        }
    }
    Ok(())
}
