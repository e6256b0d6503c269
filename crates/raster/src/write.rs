//! Writing rasters: a tiled GeoTIFF or a Cloud-Optimised GeoTIFF (COG), DEFLATE or ZSTD
//! (a COG's tiles compressed on all cores by GDAL, `NUM_THREADS=ALL_CPUS`), written under a temporary
//! name beside the target and renamed into place only when complete, so a failed run leaves
//! no partial file and never touches an existing one.
//!
//! A COG is made in two steps: the strips go into an uncompressed tiled GeoTIFF (ZSTD level 1
//! above 4 GB), which GDAL's COG driver then copies with overviews (nearest-neighbour, so
//! class values stay classes) and the final compression (level 1 by default, with the
//! floating-point predictor for float data).

use std::path::{Path, PathBuf};

use gdal::raster::{Buffer, GdalType, RasterCreationOptions};
use gdal::{Dataset, DriverManager, Metadata};
use serde::Serialize;

use crate::grid::Grid;
use crate::{RasterError, Result, gdal_err};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Cog,
    GTiff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Deflate,
    Zstd,
    None,
}

impl Compression {
    pub fn parse(s: &str) -> Option<Compression> {
        match s.to_ascii_lowercase().as_str() {
            "deflate" => Some(Compression::Deflate),
            "zstd" => Some(Compression::Zstd),
            "none" => Some(Compression::None),
            _ => None,
        }
    }

    fn gdal(&self) -> &'static str {
        match self {
            Compression::Deflate => "DEFLATE",
            Compression::Zstd => "ZSTD",
            Compression::None => "NONE",
        }
    }
}

/// Where and how an output is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputSpec {
    pub path: PathBuf,
    pub format: Format,
    pub compression: Compression,
    /// The compression level (DEFLATE 1–12, ZSTD 1–22); default 1 (with the floating-point
    /// predictor, DEFLATE level 6 made float32 change maps less than 1 % smaller at about
    /// twice the time).
    pub level: Option<u8>,
}

/// Uncompressed intermediate files for a COG up to this size; ZSTD level 1 above.
const RAW_INTERMEDIATE_MAX: u64 = 4_000_000_000;

/// A raster being written; dropped without [`Writer::finish`], its temporary file is removed.
#[derive(Debug)]
pub struct Writer {
    spec: OutputSpec,
    tmp: PathBuf,
    ds: Option<Dataset>,
    float: bool,
}

fn tmp_name(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.{tag}-{}.tif", std::process::id()))
}

fn options(pairs: &[(&str, String)]) -> Result<RasterCreationOptions> {
    let mut o = RasterCreationOptions::new();
    for (k, v) in pairs {
        o.set_name_value(k, v)
            .map_err(|e| RasterError::Invalid(format!("creation option {k}={v}: {e}")))?;
    }
    Ok(o)
}

impl Writer {
    /// Creates the output: `descriptions.len()` bands of `T` on `grid`, with `nodata`, in
    /// square tiles of `tile` pixels (a multiple of 16; a COG is retiled to 512).
    pub fn create<T: GdalType + Copy>(
        spec: &OutputSpec,
        grid: &Grid,
        descriptions: &[&str],
        nodata: Option<f64>,
        tile: usize,
    ) -> Result<Writer> {
        let tmp = tmp_name(&spec.path, "partial");
        let driver = DriverManager::get_driver_by_name("GTiff").map_err(gdal_err(&spec.path))?;
        let float = matches!(
            T::datatype(),
            gdal::raster::GdalDataType::Float32 | gdal::raster::GdalDataType::Float64
        );
        let bytes = grid.pixels() * descriptions.len() as u64 * std::mem::size_of::<T>() as u64;
        let (compress, level) = match (spec.format, spec.compression) {
            // the COG driver compresses once, at the copy
            (Format::Cog, _) if bytes <= RAW_INTERMEDIATE_MAX => ("NONE", 1),
            (Format::Cog, _) => ("ZSTD", 1),
            (Format::GTiff, c) => (c.gdal(), spec.level.unwrap_or(1)),
        };
        let mut pairs = vec![
            ("TILED", "YES".to_string()),
            ("BLOCKXSIZE", tile.to_string()),
            ("BLOCKYSIZE", tile.to_string()),
            ("COMPRESS", compress.into()),
            ("BIGTIFF", "IF_SAFER".into()),
        ];
        // No NUM_THREADS here: GDAL 3.6's threaded compression of blocks evicted from a
        // small block cache deadlocked on a 2-gigapixel map; the strips are computed on all
        // cores anyway, and the COG copy below compresses on all cores.
        match compress {
            "DEFLATE" => pairs.push(("ZLEVEL", level.to_string())),
            "ZSTD" => pairs.push(("ZSTD_LEVEL", level.to_string())),
            _ => {}
        }
        if compress != "NONE" {
            pairs.push(("PREDICTOR", if float { "3" } else { "2" }.into()));
        }
        if descriptions.len() > 1 {
            pairs.push(("INTERLEAVE", "BAND".into()));
        }
        let mut ds = driver
            .create_with_band_type_with_options::<T, _>(
                &tmp,
                grid.width,
                grid.height,
                descriptions.len(),
                &options(&pairs)?,
            )
            .map_err(gdal_err(&spec.path))?;
        ds.set_geo_transform(&grid.transform)
            .map_err(gdal_err(&spec.path))?;
        if !grid.wkt.is_empty() {
            ds.set_projection(&grid.wkt).map_err(gdal_err(&spec.path))?;
        }
        for (i, d) in descriptions.iter().enumerate() {
            let mut b = ds.rasterband(i + 1).map_err(gdal_err(&spec.path))?;
            b.set_description(d).map_err(gdal_err(&spec.path))?;
            if nodata.is_some() {
                b.set_no_data_value(nodata).map_err(gdal_err(&spec.path))?;
            }
        }
        Ok(Writer {
            spec: spec.clone(),
            tmp,
            ds: Some(ds),
            float,
        })
    }

    pub fn dataset(&self) -> &Dataset {
        self.ds.as_ref().expect("open until finished")
    }

    /// Writes rows `[row0, row0 + rows)` of band `band` (1-based).
    pub fn write_rows<T: GdalType + Copy>(
        &mut self,
        band: usize,
        row0: usize,
        rows: usize,
        data: Vec<T>,
    ) -> Result<()> {
        let ds = self.ds.as_ref().expect("open until finished");
        let width = ds.raster_size().0;
        let mut b = ds.rasterband(band).map_err(gdal_err(&self.spec.path))?;
        let mut buf = Buffer::new((width, rows), data);
        b.write((0, row0 as isize), (width, rows), &mut buf)
            .map_err(gdal_err(&self.spec.path))
    }

    /// Reads back rows of a band already written (float32 values).
    pub fn read_rows(
        &self,
        band: usize,
        row0: usize,
        rows: usize,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let ds = self.ds.as_ref().expect("open until finished");
        let width = ds.raster_size().0;
        let b = ds.rasterband(band).map_err(gdal_err(&self.spec.path))?;
        out.resize(width * rows, 0.0);
        b.read_into_slice::<f32>((0, row0 as isize), (width, rows), (width, rows), out, None)
            .map_err(gdal_err(&self.spec.path))
    }

    /// Closes the file, makes the COG if asked, and renames it into place.
    pub fn finish(mut self) -> Result<()> {
        let mut ds = self.ds.take().expect("open until finished");
        ds.flush_cache().map_err(gdal_err(&self.spec.path))?;
        let done = match self.spec.format {
            Format::GTiff => {
                drop(ds);
                self.tmp.clone()
            }
            Format::Cog => {
                let cog = tmp_name(&self.spec.path, "cog");
                let driver =
                    DriverManager::get_driver_by_name("COG").map_err(gdal_err(&self.spec.path))?;
                let mut pairs = vec![
                    ("COMPRESS", self.spec.compression.gdal().to_string()),
                    ("NUM_THREADS", "ALL_CPUS".into()),
                    ("BLOCKSIZE", "512".into()),
                    ("OVERVIEW_RESAMPLING", "NEAREST".into()),
                    ("BIGTIFF", "IF_SAFER".into()),
                ];
                if self.spec.compression != Compression::None {
                    pairs.push((
                        "PREDICTOR",
                        if self.float { "FLOATING_POINT" } else { "YES" }.into(),
                    ));
                    pairs.push(("LEVEL", self.spec.level.unwrap_or(1).to_string()));
                }
                let res = ds.create_copy(&driver, &cog, &options(&pairs)?);
                drop(ds);
                let _ = std::fs::remove_file(&self.tmp);
                match res {
                    Ok(c) => drop(c),
                    Err(e) => {
                        let _ = std::fs::remove_file(&cog);
                        return Err(gdal_err(&self.spec.path)(e));
                    }
                }
                cog
            }
        };
        std::fs::rename(&done, &self.spec.path).map_err(|e| RasterError::Input {
            path: self.spec.path.display().to_string(),
            message: format!("moving the finished file into place: {e}"),
        })?;
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.ds.take();
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
