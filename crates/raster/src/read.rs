//! Reading bands: by index or by description, with the band's scale/offset (or the user's)
//! applied and its nodata (and NaN) turned into missing values (NaN), in strips of rows.
//!
//! A value is `raw as f32 × scale + offset` in float32 (two roundings, no fused multiply-add),
//! so indices computed from it equal a numpy computation on `ReadAsArray().astype(float32)`
//! bit for bit. A pixel whose raw value equals the band's nodata value is missing.

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

use gdal::{Dataset, Metadata};
use serde::Serialize;

use crate::grid::Grid;
use crate::{RasterError, Result, gdal_err};

/// A band of a file: its 1-based index or its description (e.g. "B8", "nir").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum BandSel {
    Index(usize),
    Description(String),
}

impl BandSel {
    /// "3" is an index; anything else a description.
    pub fn parse(s: &str) -> BandSel {
        match s.parse::<usize>() {
            Ok(i) => BandSel::Index(i),
            Err(_) => BandSel::Description(s.to_string()),
        }
    }
}

impl std::str::FromStr for BandSel {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<BandSel, Self::Err> {
        Ok(BandSel::parse(s))
    }
}

/// A band named as `FILE` (its band 1) or `FILE#BAND` (an index or a description).
#[derive(Debug, Clone, PartialEq)]
pub struct BandRef {
    pub path: PathBuf,
    pub band: BandSel,
}

impl std::str::FromStr for BandRef {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<BandRef, Self::Err> {
        let (path, band) = match s.rsplit_once('#') {
            Some((p, b)) if !b.is_empty() => (p, BandSel::parse(b)),
            _ => (s, BandSel::Index(1)),
        };
        Ok(BandRef {
            path: PathBuf::from(path),
            band,
        })
    }
}

impl BandRef {
    /// The band, read with these overrides of its scale and offset.
    pub fn spec(&self, scale: Option<f64>, offset: Option<f64>) -> BandSpec {
        BandSpec {
            path: self.path.clone(),
            band: self.band.clone(),
            scale,
            offset,
        }
    }
}

/// Where a band comes from, with optional overrides of its scale and offset.
#[derive(Debug, Clone, PartialEq)]
pub struct BandSpec {
    pub path: PathBuf,
    pub band: BandSel,
    pub scale: Option<f64>,
    pub offset: Option<f64>,
}

impl BandSpec {
    pub fn new(path: impl Into<PathBuf>, band: BandSel) -> BandSpec {
        BandSpec {
            path: path.into(),
            band,
            scale: None,
            offset: None,
        }
    }
}

/// How a band is resampled onto another grid (GDAL's warper).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resampling {
    Nearest,
    Bilinear,
    Cubic,
    Average,
    Mode,
}

impl Resampling {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["nearest", "bilinear", "cubic", "average", "mode"];
}

impl std::str::FromStr for Resampling {
    type Err = crate::ParseError;

    /// `nearest` (or `near`), `bilinear`, `cubic`, `average` or `mode`.
    fn from_str(s: &str) -> std::result::Result<Resampling, crate::ParseError> {
        Ok(match s {
            "nearest" | "near" => Resampling::Nearest,
            "bilinear" => Resampling::Bilinear,
            "cubic" => Resampling::Cubic,
            "average" => Resampling::Average,
            "mode" => Resampling::Mode,
            _ => {
                return Err(crate::ParseError::expected(
                    "nearest, bilinear, cubic, average or mode",
                ));
            }
        })
    }
}

impl std::fmt::Display for Resampling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resampling::Nearest => "nearest",
            Resampling::Bilinear => "bilinear",
            Resampling::Cubic => "cubic",
            Resampling::Average => "average",
            Resampling::Mode => "mode",
        })
    }
}

impl Resampling {
    fn gdal_name(&self) -> &'static str {
        match self {
            Resampling::Nearest => "near",
            Resampling::Bilinear => "bilinear",
            Resampling::Cubic => "cubic",
            Resampling::Average => "average",
            Resampling::Mode => "mode",
        }
    }
}

/// Values that fill the cells of a raster without data where its nodata value is not
/// declared: the codes of archives and loggers, float32's extremes (GDAL's and many
/// tools' float fill) and NetCDF's default float fill.
pub const FILLS: [f64; 6] = [
    -9999.0,
    -999.0,
    -99999.0,
    f32::MIN as f64,
    f32::MAX as f64,
    9.969_209_968_386_869e36,
];

/// An opened band: what to read, how to turn it into values, and its grid.
#[derive(Debug, Clone, Serialize)]
pub struct Band {
    /// The user's file and band, for messages and reports.
    pub label: String,
    pub source: PathBuf,
    /// What is read: the file itself, or a warped VRT of it on another grid.
    #[serde(skip)]
    pub path: PathBuf,
    pub index: usize,
    pub nodata: Option<f64>,
    pub scale: f64,
    pub offset: f64,
    pub grid: Grid,
    #[serde(skip)]
    pub block_rows: usize,
    pub data_type: String,
    /// Resampled onto another grid (with this method).
    pub resampled: Option<Resampling>,
}

fn input_err(path: &Path, message: impl Into<String>) -> RasterError {
    RasterError::Input {
        path: path.display().to_string(),
        message: message.into(),
    }
}

impl Band {
    pub fn open(spec: &BandSpec) -> Result<Band> {
        let p = &spec.path;
        if !p.exists() {
            return Err(input_err(p, "no such file"));
        }
        let ds = Dataset::open(p).map_err(gdal_err(p))?;
        let n = ds.raster_count();
        let index = match &spec.band {
            BandSel::Index(i) => {
                if *i == 0 || *i > n {
                    return Err(input_err(
                        p,
                        format!("has {n} band(s); there is no band {i}"),
                    ));
                }
                *i
            }
            BandSel::Description(d) => {
                let mut found = None;
                let mut names = vec![];
                for i in 1..=n {
                    let b = ds.rasterband(i).map_err(gdal_err(p))?;
                    let desc = b.description().unwrap_or_default();
                    if desc.eq_ignore_ascii_case(d) {
                        found = Some(i);
                        break;
                    }
                    names.push(desc);
                }
                found.ok_or_else(|| {
                    input_err(
                        p,
                        format!(
                            "no band described '{d}' (descriptions: {})",
                            names
                                .iter()
                                .map(|s| if s.is_empty() { "(none)" } else { s.as_str() })
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?
            }
        };
        let b = ds.rasterband(index).map_err(gdal_err(p))?;
        let grid = Grid::of(&ds, &p.display().to_string())?;
        let scale = spec.scale.or(b.scale()).unwrap_or(1.0);
        let offset = spec.offset.or(b.offset()).unwrap_or(0.0);
        Ok(Band {
            label: format!("{} band {index}", p.display()),
            source: p.clone(),
            path: p.clone(),
            index,
            nodata: b.no_data_value(),
            scale,
            offset,
            block_rows: b.block_size().1.max(1),
            data_type: b.band_type().name(),
            grid,
            resampled: None,
        })
    }

    /// The band resampled onto `grid` by GDAL's warper (a warped VRT written in `tmp`, read
    /// lazily), unless it is already on it.
    pub fn onto(self, grid: &Grid, how: Resampling, tmp: &Path) -> Result<Band> {
        if self.grid.differences(grid).is_empty() {
            return Ok(self);
        }
        let src = std::fs::canonicalize(&self.source)
            .map_err(|e| input_err(&self.source, e.to_string()))?;
        if let Some((col0, row0)) = grid.offset_in(&self.grid) {
            // a window of whole pixels: read as it is (a VRT of the window), never resampled
            let out = tmp.join(format!(
                "window-{col0}-{row0}-{}-{}.vrt",
                self.index,
                src.display().to_string().replace(['/', '\\', ':'], "_")
            ));
            let args: Vec<String> = [
                "-of".to_string(),
                "VRT".into(),
                "-srcwin".into(),
                col0.to_string(),
                row0.to_string(),
                grid.width.to_string(),
                grid.height.to_string(),
            ]
            .into();
            translate(&src, &out, &args)?;
            return Ok(Band {
                path: out,
                grid: grid.clone(),
                ..self
            });
        }
        let (xmin, ymin, xmax, ymax) = grid.bounds();
        let name = format!(
            "warp-{}-{}.vrt",
            self.index,
            src.display().to_string().replace(['/', '\\', ':'], "_")
        );
        let out = tmp.join(name);
        let args: Vec<String> = [
            "-of".to_string(),
            "VRT".into(),
            "-te".into(),
            format!("{xmin:.17e}"),
            format!("{ymin:.17e}"),
            format!("{xmax:.17e}"),
            format!("{ymax:.17e}"),
            "-ts".into(),
            grid.width.to_string(),
            grid.height.to_string(),
            "-t_srs".into(),
            grid.wkt.clone(),
            "-r".into(),
            how.gdal_name().into(),
        ]
        .into();
        warp(&src, &out, &args)?;
        let grid_now = Grid::of(
            &Dataset::open(&out).map_err(gdal_err(&out))?,
            &out.display().to_string(),
        )?;
        Ok(Band {
            path: out,
            grid: grid_now,
            resampled: Some(how),
            ..self
        })
    }

    /// Whether the band holds integers (class maps).
    pub fn is_integer(&self) -> bool {
        matches!(
            self.data_type.as_str(),
            "Byte" | "Int8" | "UInt16" | "Int16" | "UInt32" | "Int32" | "UInt64" | "Int64"
        )
    }

    /// The band, if its values are integers (class maps); else an error naming the file,
    /// the band and its type, and `what` needs integers.
    pub fn require_integer(self, what: &str) -> Result<Band> {
        if self.is_integer() {
            return Ok(self);
        }
        Err(input_err(
            &self.source,
            format!(
                "band {} is {}: {what} need integer class values",
                self.index, self.data_type
            ),
        ))
    }

    pub fn open_dataset(&self) -> Result<Dataset> {
        Dataset::open(&self.path).map_err(gdal_err(&self.source))
    }

    /// Runs `f` on this thread's open dataset of the band (opened once per thread and file,
    /// and kept: jobs of many small windows do not reopen the file).
    pub fn with_dataset<T>(&self, f: impl FnOnce(&Dataset) -> Result<T>) -> Result<T> {
        thread_local! {
            static OPEN: std::cell::RefCell<Vec<(PathBuf, Dataset)>> =
                const { std::cell::RefCell::new(Vec::new()) };
        }
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            let i = match open.iter().position(|(p, _)| *p == self.path) {
                Some(i) => i,
                None => {
                    if open.len() >= 4 {
                        open.remove(0);
                    }
                    open.push((self.path.clone(), self.open_dataset()?));
                    open.len() - 1
                }
            };
            f(&open[i].1)
        })
    }

    /// The values (raw × scale + offset in float64; NaN where missing) of the window of
    /// `cols` × `rows` cells at (`col0`, `row0`), row-major into `out`.
    pub fn read_window(
        &self,
        ds: &Dataset,
        (col0, row0): (usize, usize),
        (cols, rows): (usize, usize),
        out: &mut Vec<f64>,
    ) -> Result<()> {
        let b = ds.rasterband(self.index).map_err(gdal_err(&self.source))?;
        out.clear();
        out.resize(cols * rows, 0.0);
        b.read_into_slice::<f64>(
            (col0 as isize, row0 as isize),
            (cols, rows),
            (cols, rows),
            out,
            None,
        )
        .map_err(gdal_err(&self.source))?;
        let (scale, offset) = (self.scale, self.offset);
        let plain = scale == 1.0 && offset == 0.0;
        for v in out.iter_mut() {
            if self.missing(*v) {
                *v = f64::NAN;
            } else if !plain {
                *v = *v * scale + offset;
            }
        }
        Ok(())
    }

    /// The raw values of rows `[row0, row0 + rows)`.
    fn read_raw(&self, ds: &Dataset, row0: usize, rows: usize) -> Result<Vec<f64>> {
        let w = self.grid.width;
        let b = ds.rasterband(self.index).map_err(gdal_err(&self.source))?;
        let mut raw = vec![0f64; w * rows];
        b.read_into_slice::<f64>((0, row0 as isize), (w, rows), (w, rows), &mut raw, None)
            .map_err(gdal_err(&self.source))?;
        Ok(raw)
    }

    /// Whether a raw value is missing (NaN or the nodata value).
    #[inline]
    fn missing(&self, r: f64) -> bool {
        r.is_nan() || self.nodata == Some(r)
    }

    /// A raw value as a value: NaN where missing, else raw × scale + offset in float32.
    #[inline]
    fn value(&self, r: f64) -> f32 {
        if self.missing(r) {
            f32::NAN
        } else {
            (r as f32) * self.scale as f32 + self.offset as f32
        }
    }

    /// Rows `[row0, row0 + rows)` as values (NaN where missing) into `out`.
    pub fn read_rows(
        &self,
        ds: &Dataset,
        row0: usize,
        rows: usize,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        if matches!(
            self.data_type.as_str(),
            "Byte" | "Int8" | "UInt16" | "Int16" | "Float32"
        ) {
            // every raw value of these types is a float32: read as float32 (half the bytes
            // of float64) and convert in place, with the same arithmetic as `value`
            let w = self.grid.width;
            let b = ds.rasterband(self.index).map_err(gdal_err(&self.source))?;
            out.clear();
            out.resize(w * rows, 0.0);
            b.read_into_slice::<f32>((0, row0 as isize), (w, rows), (w, rows), out, None)
                .map_err(gdal_err(&self.source))?;
            let (scale, offset) = (self.scale as f32, self.offset as f32);
            match self.nodata {
                Some(nd) => {
                    for v in out.iter_mut() {
                        *v = if f64::from(*v) == nd {
                            f32::NAN
                        } else {
                            *v * scale + offset
                        };
                    }
                }
                None => {
                    for v in out.iter_mut() {
                        *v = *v * scale + offset;
                    }
                }
            }
            return Ok(());
        }
        let raw = self.read_raw(ds, row0, rows)?;
        out.clear();
        out.extend(raw.iter().map(|&r| self.value(r)));
        Ok(())
    }

    /// Rows as raw integer codes (for class, SCL and QA bands); `None` where the raw value is
    /// the nodata value.
    pub fn read_codes(
        &self,
        ds: &Dataset,
        row0: usize,
        rows: usize,
        out: &mut Vec<Option<i64>>,
    ) -> Result<()> {
        let raw = self.read_raw(ds, row0, rows)?;
        out.clear();
        out.extend(raw.iter().map(|&r| {
            if self.missing(r) {
                None
            } else {
                Some(r as i64)
            }
        }));
        Ok(())
    }
}

/// A class code that surrounds a class map: three or four of its corners, at least half of
/// three of its sides and most of its edge cells, where the file declares no nodata value.
/// It is how the area outside a clipped map looks when the clip wrote its fill (0, the
/// type's largest value, −1, −9999…) without declaring it; a clip's polygon can reach one
/// corner of its own bounding box (a straight border there), so one corner and one side may
/// hold the map's classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Frame {
    pub code: i64,
    /// How many of the four corners hold the code (3 or 4).
    pub corners: u8,
    /// Share of the edge cells read (the first and last rows, the first and last columns at
    /// up to 512 rows) that hold the code.
    pub edge_share: f64,
}

impl Frame {
    /// The codes a clip writes as its fill.
    fn is_fill_code(code: i64) -> bool {
        matches!(
            code,
            0 | -1 | -999 | -9999 | 127 | 255 | 32767 | 65535 | -128 | -32768 | 2147483647
        ) || code == u32::MAX as i64
    }

    /// The warning for a class map (`what`: "the class map", "the before map"…), with the
    /// share of its cells the code holds where it is known, and the way to leave it out
    /// (`way_out`).
    pub fn warning(
        &self,
        what: &str,
        path: &Path,
        cells_share: Option<f64>,
        way_out: &str,
    ) -> String {
        format!(
            "{what} {} declares no nodata value and class {} surrounds it ({} corners, {:.0} % of the edge cells{}): if it is the area outside the data, {way_out}; as given, it is counted as a class",
            path.display(),
            self.code,
            if self.corners == 4 {
                "the four"
            } else {
                "three of the four"
            },
            100.0 * self.edge_share,
            cells_share.map_or(String::new(), |c| format!(
                "; {:.1} % of all cells",
                100.0 * c
            ))
        )
    }
}

impl Band {
    /// The code that frames this class map, if any (see [`Frame`]); none where the band
    /// declares a nodata value or is one row or column wide.
    pub fn frame(&self) -> Result<Option<Frame>> {
        let (w, h) = (self.grid.width, self.grid.height);
        if self.nodata.is_some() || w < 3 || h < 3 {
            return Ok(None);
        }
        let ds = self.open_dataset()?;
        let mut row = vec![];
        // the four sides: top, bottom, left, right
        let mut sides: [Vec<Option<i64>>; 4] = Default::default();
        self.read_codes(&ds, 0, 1, &mut row)?;
        sides[0] = row.clone();
        self.read_codes(&ds, h - 1, 1, &mut row)?;
        sides[1] = row.clone();
        // the side columns cell by cell, so that only their blocks are read (a tiled file's
        // first and last columns of tiles, a striped file's sampled strips)
        let b = ds.rasterband(self.index).map_err(gdal_err(&self.source))?;
        let mut cell = [0f64];
        let step = h.div_ceil(512).max(1);
        for r in (0..h).step_by(step).chain([h - 1]) {
            for (side, col) in [(2, 0), (3, w - 1)] {
                b.read_into_slice::<f64>(
                    (col as isize, r as isize),
                    (1, 1),
                    (1, 1),
                    &mut cell,
                    None,
                )
                .map_err(gdal_err(&self.source))?;
                sides[side].push((!self.missing(cell[0])).then_some(cell[0] as i64));
            }
        }
        let corners = [sides[0][0], sides[0][w - 1], sides[1][0], sides[1][w - 1]];
        // the code of three corners at least (two codes cannot both hold three of four)
        let Some((code, held_corners)) = corners
            .iter()
            .flatten()
            .map(|c| (*c, corners.iter().filter(|o| **o == Some(*c)).count()))
            .find(|(_, n)| *n >= 3)
        else {
            return Ok(None);
        };
        if !Frame::is_fill_code(code) {
            return Ok(None);
        }
        let held = |s: &[Option<i64>]| s.iter().filter(|c| **c == Some(code)).count();
        let all: usize = sides.iter().map(Vec::len).sum();
        let edge_share = sides.iter().map(|s| held(s)).sum::<usize>() as f64 / all as f64;
        let half_sides = sides.iter().filter(|s| 2 * held(s) >= s.len()).count();
        if half_sides >= 3 && edge_share >= 0.6 {
            Ok(Some(Frame {
                code,
                corners: held_corners as u8,
                edge_share,
            }))
        } else {
            Ok(None)
        }
    }
}

/// The number of bands of a raster file.
pub fn band_count(path: &Path) -> Result<usize> {
    if !path.exists() {
        return Err(input_err(path, "no such file"));
    }
    Ok(Dataset::open(path).map_err(gdal_err(path))?.raster_count())
}

/// Command-line style options as GDAL's utility functions take them: a NULL-terminated
/// vector of C strings, kept alive with it.
pub(crate) struct CArgs {
    _owned: Vec<CString>,
    ptrs: Vec<*mut std::os::raw::c_char>,
}

impl CArgs {
    pub(crate) fn new(args: &[String]) -> CArgs {
        let owned: Vec<CString> = args
            .iter()
            .map(|a| CString::new(a.as_str()).expect("no NUL in options"))
            .collect();
        let mut ptrs: Vec<*mut std::os::raw::c_char> =
            owned.iter().map(|c| c.as_ptr() as *mut _).collect();
        ptrs.push(std::ptr::null_mut());
        CArgs {
            _owned: owned,
            ptrs,
        }
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut *mut std::os::raw::c_char {
        self.ptrs.as_mut_ptr()
    }
}

/// A path as a C string (refused where it holds a NUL byte).
pub(crate) fn c_path(p: &Path) -> Result<CString> {
    CString::new(p.display().to_string()).map_err(|_| input_err(p, "path has a NUL byte"))
}

/// GDAL's last error message.
pub(crate) fn last_gdal_error() -> String {
    // SAFETY: CPLGetLastErrorMsg returns a valid (possibly empty) C string owned by GDAL.
    unsafe {
        CStr::from_ptr(gdal_sys::CPLGetLastErrorMsg())
            .to_string_lossy()
            .into_owned()
    }
}

/// GDAL's warper (gdalwarp) from `src` to `dst` with command-line style options.
pub fn warp(src: &Path, dst: &Path, args: &[String]) -> Result<()> {
    let ds = Dataset::open(src).map_err(gdal_err(src))?;
    let mut c_args = CArgs::new(args);
    let dst_c = c_path(dst)?;
    // SAFETY: the argument vector is NULL-terminated and outlives the calls; the source
    // dataset handle stays open for the call; the returned handle is closed here.
    unsafe {
        let opts = gdal_sys::GDALWarpAppOptionsNew(c_args.as_mut_ptr(), std::ptr::null_mut());
        if opts.is_null() {
            return Err(input_err(src, format!("bad warp options {args:?}")));
        }
        let mut srcs = [ds.c_dataset()];
        let mut usage = 0;
        let out = gdal_sys::GDALWarp(
            dst_c.as_ptr(),
            std::ptr::null_mut(),
            1,
            srcs.as_mut_ptr(),
            opts,
            &mut usage,
        );
        gdal_sys::GDALWarpAppOptionsFree(opts);
        if out.is_null() {
            return Err(input_err(
                src,
                format!("warping failed: {}", last_gdal_error()),
            ));
        }
        gdal_sys::GDALClose(out);
    }
    Ok(())
}

/// GDAL's translator (gdal_translate) from `src` to `dst` with command-line style options.
pub fn translate(src: &Path, dst: &Path, args: &[String]) -> Result<()> {
    let ds = Dataset::open(src).map_err(gdal_err(src))?;
    let mut c_args = CArgs::new(args);
    let dst_c = c_path(dst)?;
    // SAFETY: the argument vector is NULL-terminated and outlives the calls; the source
    // dataset handle stays open for the call; the returned handle is closed here.
    unsafe {
        let opts = gdal_sys::GDALTranslateOptionsNew(c_args.as_mut_ptr(), std::ptr::null_mut());
        if opts.is_null() {
            return Err(input_err(src, format!("bad translate options {args:?}")));
        }
        let mut usage = 0;
        let out = gdal_sys::GDALTranslate(dst_c.as_ptr(), ds.c_dataset(), opts, &mut usage);
        gdal_sys::GDALTranslateOptionsFree(opts);
        if out.is_null() {
            return Err(input_err(
                src,
                format!("translating failed: {}", last_gdal_error()),
            ));
        }
        gdal_sys::GDALClose(out);
    }
    Ok(())
}

impl Band {
    /// The whole band decimated to `w × h` (nearest neighbour), as values (NaN missing).
    pub fn read_preview(&self, w: usize, h: usize) -> Result<Vec<f32>> {
        let ds = self.open_dataset()?;
        let b = ds.rasterband(self.index).map_err(gdal_err(&self.source))?;
        let mut raw = vec![0f64; w * h];
        b.read_into_slice::<f64>(
            (0, 0),
            (self.grid.width, self.grid.height),
            (w, h),
            &mut raw,
            Some(gdal::raster::ResampleAlg::NearestNeighbour),
        )
        .map_err(gdal_err(&self.source))?;
        Ok(raw.iter().map(|&r| self.value(r)).collect())
    }
}
