//! Writing rasters: tiled GeoTIFFs and Cloud-Optimised GeoTIFFs (COG), DEFLATE or ZSTD,
//! written by terrawatt itself so that tiles are compressed on all cores as the strips
//! arrive, and a raster larger than memory streams straight to disk.
//!
//! - Rows arrive in order, band by band (each band in row order; the bands of a file may be
//!   written at different times). Once a row of tiles is complete its tiles are cut, the
//!   TIFF predictor applied (horizontal differencing for integers, the floating-point
//!   predictor of TIFF Technical Note 3 for floats) and compressed in parallel (rayon), and
//!   appended to a part file of that band and resolution.
//! - A COG has overviews, halving (rounded up) until the raster fits one tile, picked by
//!   nearest neighbour (class values stay classes) as rows stream: overview row `i` is row
//!   `⌊½ + i·(H/h)⌋` of the level above (`H`, `h` the two heights, the ratio in double
//!   precision), and likewise for columns, each level from the one above: GDAL's rule for
//!   nearest overviews, so the overviews equal those GDAL's COG driver builds (and
//!   `gdaladdo -r nearest` on a single-band or pixel-interleaved file; on a band-interleaved
//!   one GDAL 3.6 picks every level from full resolution).
//! - [`Writer::finish`] writes the header, GDAL's structural-metadata block (so GDAL reports
//!   `LAYOUT=COG`), the image file directories (full resolution first, then the overviews),
//!   and then the tile data, smallest overview first and full resolution last, each tile
//!   between a 4-byte size leader and a copy of its last 4 bytes, as GDAL's COG driver lays
//!   them out. Bands are planar (`PlanarConfiguration=2`): band 1's tiles, then band 2's.
//!   BigTIFF when the file would pass 4 GB.
//! - Georeferencing, band descriptions and nodata are those GDAL writes: a one-pixel GeoTIFF
//!   with the same grid, bands and nodata is made by GDAL in memory and its GeoTIFF and
//!   GDAL tags are copied.
//! - Everything is written under temporary names beside the target and the finished file is
//!   renamed into place, so a failed run leaves no partial file and never touches an
//!   existing one.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use gdal::raster::GdalType;
use gdal::{DriverManager, Metadata};
use rayon::prelude::*;
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

impl Format {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["cog", "gtiff"];
}

impl std::str::FromStr for Format {
    type Err = crate::ParseError;

    /// `cog` or `gtiff` (or `geotiff`).
    fn from_str(s: &str) -> std::result::Result<Format, crate::ParseError> {
        match s {
            "cog" => Ok(Format::Cog),
            "gtiff" | "geotiff" => Ok(Format::GTiff),
            _ => Err(crate::ParseError::expected("cog or gtiff")),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Cog => "cog",
            Format::GTiff => "gtiff",
        })
    }
}

impl Compression {
    /// The words that name the values, as help and completions list them (each parses).
    pub const NAMES: &'static [&'static str] = &["deflate", "zstd", "none"];
}

impl std::str::FromStr for Compression {
    type Err = crate::ParseError;

    /// `deflate`, `zstd` or `none`, in any case.
    fn from_str(s: &str) -> std::result::Result<Compression, crate::ParseError> {
        match s.to_ascii_lowercase().as_str() {
            "deflate" => Ok(Compression::Deflate),
            "zstd" => Ok(Compression::Zstd),
            "none" => Ok(Compression::None),
            _ => Err(crate::ParseError::expected("deflate, zstd or none")),
        }
    }
}

impl Compression {
    /// The TIFF compression code.
    fn code(&self) -> u16 {
        match self {
            Compression::Deflate => 8,
            Compression::Zstd => 50000,
            Compression::None => 1,
        }
    }

    /// The levels accepted.
    fn levels(&self) -> (u8, u8) {
        match self {
            Compression::Deflate => (1, 9),
            Compression::Zstd => (1, 22),
            Compression::None => (0, 255),
        }
    }
}

/// Where and how an output is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputSpec {
    pub path: PathBuf,
    pub format: Format,
    pub compression: Compression,
    /// The compression level (DEFLATE 1–9, ZSTD 1–22); default 1 (with the floating-point
    /// predictor, DEFLATE level 6 made float32 change maps less than 1 % smaller at about
    /// twice the time).
    pub level: Option<u8>,
}

/// A sample type the writer stores: unsigned bytes or float32.
pub trait Sample: GdalType + Copy + Send + Sync + 'static {
    const BYTES: usize;
    const FLOAT: bool;
    /// Appends the values as little-endian bytes.
    fn put(values: &[Self], out: &mut Vec<u8>);
    /// The values as little-endian bytes (borrowed on little-endian machines).
    fn as_bytes(values: &[Self]) -> std::borrow::Cow<'_, [u8]>;
    /// The bytes of one value.
    fn bytes_of(v: f64) -> Vec<u8>;
}

impl Sample for u8 {
    const BYTES: usize = 1;
    const FLOAT: bool = false;
    fn put(values: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(values);
    }
    fn as_bytes(values: &[u8]) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(values)
    }
    fn bytes_of(v: f64) -> Vec<u8> {
        vec![v as u8]
    }
}

impl Sample for f32 {
    const BYTES: usize = 4;
    const FLOAT: bool = true;
    fn put(values: &[f32], out: &mut Vec<u8>) {
        out.reserve(values.len() * 4);
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    fn as_bytes(values: &[f32]) -> std::borrow::Cow<'_, [u8]> {
        if cfg!(target_endian = "little") {
            std::borrow::Cow::Borrowed(bytemuck::cast_slice(values))
        } else {
            let mut out = vec![];
            f32::put(values, &mut out);
            std::borrow::Cow::Owned(out)
        }
    }
    fn bytes_of(v: f64) -> Vec<u8> {
        (v as f32).to_le_bytes().to_vec()
    }
}

/// One band of one resolution: rows received, rows waiting for a complete row of tiles, and
/// the part file its compressed tiles go to.
#[derive(Debug)]
struct Plane {
    received: usize,
    pending: Vec<u8>,
    flushed: usize,
    path: PathBuf,
    file: File,
    len: u64,
    /// (offset of the tile's data in the part file, its length)
    tiles: Vec<(u64, u64)>,
}

#[derive(Debug)]
struct Level {
    width: usize,
    height: usize,
    /// For an overview: the column of the level above each column takes.
    cols: Vec<usize>,
    planes: Vec<Plane>,
}

impl Level {
    fn tiles_x(&self, tile: usize) -> usize {
        self.width.div_ceil(tile)
    }
}

/// A raster being written; dropped without [`Writer::finish`], its temporary files are
/// removed.
#[derive(Debug)]
pub struct Writer {
    spec: OutputSpec,
    coder: Coder,
    tags: Vec<Entry>,
    levels: Vec<Level>,
    tmp: PathBuf,
    big_above: u64,
}

/// A temporary name beside `path` (hidden, tagged, with the process id).
pub(crate) fn tmp_name(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

fn io_err(path: &Path, what: &str) -> impl Fn(std::io::Error) -> RasterError {
    let p = path.display().to_string();
    let what = what.to_string();
    move |e| RasterError::Input {
        path: p.clone(),
        message: format!("{what}: {e}"),
    }
}

impl Writer {
    /// Creates the output: `descriptions.len()` bands of `T` on `grid`, with `nodata`, in
    /// square tiles of `tile` pixels (a multiple of 16).
    pub fn create<T: Sample>(
        spec: &OutputSpec,
        grid: &Grid,
        descriptions: &[&str],
        nodata: Option<f64>,
        tile: usize,
    ) -> Result<Writer> {
        assert!(
            tile >= 16 && tile.is_multiple_of(16),
            "tiles are multiples of 16"
        );
        let level = spec.level.unwrap_or(1);
        let (lo, hi) = spec.compression.levels();
        if level < lo || level > hi {
            return Err(RasterError::Invalid(format!(
                "compression level {level} is outside {lo}–{hi} for {:?}",
                spec.compression
            )));
        }
        let tags = template_tags::<T>(spec, grid, descriptions, nodata)?;
        let mut sizes = vec![(grid.width, grid.height)];
        if spec.format == Format::Cog {
            let (mut w, mut h) = (grid.width, grid.height);
            while w > tile || h > tile {
                w = w.div_ceil(2);
                h = h.div_ceil(2);
                sizes.push((w, h));
            }
        }
        let mut levels = Vec::with_capacity(sizes.len());
        for (l, &(w, h)) in sizes.iter().enumerate() {
            let cols = if l == 0 {
                vec![]
            } else {
                (0..w).map(|i| nearest(i, sizes[l - 1].0, w)).collect()
            };
            let mut planes = Vec::with_capacity(descriptions.len());
            for b in 0..descriptions.len() {
                let path = tmp_name(&spec.path, &format!("part{l}-{b}"));
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                    .map_err(io_err(&spec.path, "creating a part file"))?;
                planes.push(Plane {
                    received: 0,
                    pending: vec![],
                    flushed: 0,
                    path,
                    file,
                    len: 0,
                    tiles: vec![],
                });
            }
            levels.push(Level {
                width: w,
                height: h,
                cols,
                planes,
            });
        }
        Ok(Writer {
            tmp: tmp_name(&spec.path, "partial"),
            spec: spec.clone(),
            coder: Coder {
                tile,
                bytes: T::BYTES,
                float: T::FLOAT,
                compression: spec.compression,
                level,
                pad: T::bytes_of(nodata.unwrap_or(0.0)),
            },
            tags,
            levels,
            big_above: u32::MAX as u64,
        })
    }

    /// The file size above which a BigTIFF is written (default 4 GiB, where a classic
    /// TIFF's 32-bit offsets end).
    pub fn bigtiff_above(mut self, bytes: u64) -> Writer {
        self.big_above = bytes.min(u32::MAX as u64);
        self
    }

    /// Writes rows `[row0, row0 + rows)` of band `band` (1-based); each band's rows come in
    /// order.
    pub fn write_rows<T: Sample>(
        &mut self,
        band: usize,
        row0: usize,
        rows: usize,
        data: Vec<T>,
    ) -> Result<()> {
        assert_eq!(T::BYTES, self.coder.bytes, "one sample type per file");
        let b = band - 1;
        let plane = &self.levels[0].planes[b];
        if row0 != plane.received || data.len() != rows * self.levels[0].width {
            return Err(RasterError::Invalid(format!(
                "{}: band {band} rows {row0}.. written out of order (next is {})",
                self.spec.path.display(),
                plane.received
            )));
        }
        self.push(0, b, &T::as_bytes(&data), rows)
    }

    /// Hands `rows` rows to a plane of level `l`, and the rows they give to the overviews.
    fn push(&mut self, l: usize, b: usize, raw: &[u8], rows: usize) -> Result<()> {
        let (bytes, tile) = (self.coder.bytes, self.coder.tile);
        let (below, rest) = self.levels.split_at_mut(l + 1);
        let lvl = &mut below[l];
        let row0 = lvl.planes[b].received;
        let row_bytes = lvl.width * bytes;
        let mut child = (vec![], 0usize);
        if let Some(next) = rest.first() {
            let mut i = next.planes[b].received;
            let (ph, h) = (lvl.height, next.height);
            for r in row0..row0 + rows {
                if i < h && nearest(i, ph, h) == r {
                    let src = &raw[(r - row0) * row_bytes..(r - row0 + 1) * row_bytes];
                    for &c in &next.cols {
                        child.0.extend_from_slice(&src[c * bytes..(c + 1) * bytes]);
                    }
                    i += 1;
                    child.1 += 1;
                }
            }
        }
        let plane = &mut lvl.planes[b];
        // room for a row of tiles and a strip, once: no doubling growth
        let want = tile * row_bytes + raw.len();
        if plane.pending.capacity() < want {
            plane.pending.reserve_exact(want - plane.pending.len());
        }
        plane.pending.extend_from_slice(raw);
        plane.received += rows;
        self.flush(l, b)?;
        if child.1 > 0 {
            self.push(l + 1, b, &child.0, child.1)?;
        }
        Ok(())
    }

    /// Compresses and stores the complete rows of tiles of a plane (and the last, partial
    /// one when the plane is complete).
    fn flush(&mut self, l: usize, b: usize) -> Result<()> {
        let tile = self.coder.tile;
        let lvl = &mut self.levels[l];
        let (w, h) = (lvl.width, lvl.height);
        let tiles_x = lvl.tiles_x(tile);
        let plane = &mut lvl.planes[b];
        let row_bytes = w * self.coder.bytes;
        loop {
            let waiting = plane.received - plane.flushed;
            let rows = if waiting >= tile {
                tile
            } else if plane.received == h && waiting > 0 {
                waiting
            } else {
                return Ok(());
            };
            let chunk = &plane.pending[..rows * row_bytes];
            let coder = &self.coder;
            let encoded: Vec<Vec<u8>> = (0..tiles_x)
                .into_par_iter()
                .map(|tx| coder.encode(chunk, w, rows, tx))
                .collect::<Result<_>>()?;
            let framed = self.spec.format == Format::Cog;
            let total: usize = encoded.iter().map(|t| t.len() + 8).sum();
            let mut buf = Vec::with_capacity(total);
            for t in &encoded {
                let start = plane.len + buf.len() as u64 + if framed { 4 } else { 0 };
                if framed {
                    buf.extend_from_slice(&(t.len() as u32).to_le_bytes());
                }
                buf.extend_from_slice(t);
                if framed {
                    buf.extend_from_slice(&t[t.len().saturating_sub(4)..]);
                }
                plane.tiles.push((start, t.len() as u64));
            }
            plane
                .file
                .write_all(&buf)
                .map_err(io_err(&self.spec.path, "writing tiles"))?;
            plane.len += buf.len() as u64;
            plane.pending.drain(..rows * row_bytes);
            plane.flushed += rows;
        }
    }

    /// Reads back rows of a float32 band already written (full resolution).
    pub fn read_rows(
        &self,
        band: usize,
        row0: usize,
        rows: usize,
        out: &mut Vec<f32>,
    ) -> Result<()> {
        assert!(
            self.coder.float && self.coder.bytes == 4,
            "float32 bands only"
        );
        let lvl = &self.levels[0];
        let plane = &lvl.planes[band - 1];
        let (w, tile) = (lvl.width, self.coder.tile);
        if row0 + rows > plane.flushed {
            return Err(RasterError::Invalid(format!(
                "{}: band {band} rows {row0}..{} read before they were written",
                self.spec.path.display(),
                row0 + rows
            )));
        }
        out.clear();
        out.resize(w * rows, 0.0);
        let tiles_x = lvl.tiles_x(tile);
        let coder = &self.coder;
        for ty in row0 / tile..(row0 + rows).div_ceil(tile) {
            let decoded: Vec<Vec<u8>> = (0..tiles_x)
                .into_par_iter()
                .map(|tx| {
                    let (off, len) = plane.tiles[ty * tiles_x + tx];
                    let mut data = vec![0u8; len as usize];
                    plane
                        .file
                        .read_exact_at(&mut data, off)
                        .map_err(io_err(&self.spec.path, "reading tiles back"))?;
                    coder.decode(&data)
                })
                .collect::<Result<_>>()?;
            let (r_lo, r_hi) = ((ty * tile).max(row0), ((ty + 1) * tile).min(row0 + rows));
            for r in r_lo..r_hi {
                let tr = r - ty * tile;
                let dst = &mut out[(r - row0) * w..(r - row0 + 1) * w];
                for (tx, t) in decoded.iter().enumerate() {
                    let c0 = tx * tile;
                    let n = tile.min(w - c0);
                    for (k, v) in dst[c0..c0 + n].iter_mut().enumerate() {
                        let p = (tr * tile + k) * 4;
                        *v = f32::from_le_bytes([t[p], t[p + 1], t[p + 2], t[p + 3]]);
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the file and renames it into place.
    pub fn finish(mut self) -> Result<()> {
        for (l, lvl) in self.levels.iter().enumerate() {
            for (b, p) in lvl.planes.iter().enumerate() {
                if p.flushed != lvl.height {
                    return Err(RasterError::Invalid(format!(
                        "{}: band {} (level {l}) has {} of {} rows",
                        self.spec.path.display(),
                        b + 1,
                        p.flushed,
                        lvl.height
                    )));
                }
            }
        }
        let cog = self.spec.format == Format::Cog;
        // data order: smallest overview first, full resolution last; band by band
        let order: Vec<(usize, usize)> = (0..self.levels.len())
            .rev()
            .flat_map(|l| (0..self.levels[l].planes.len()).map(move |b| (l, b)))
            .collect();
        let data: u64 = order
            .iter()
            .map(|&(l, b)| self.levels[l].planes[b].len)
            .sum();
        let ghost = if cog { ghost() } else { vec![] };
        let big = self.directories(false, &ghost, &order, 0).1 + data > self.big_above;
        let prefix = self.directories(big, &ghost, &order, 0).1;
        let ifds = self.directories(big, &ghost, &order, prefix).0;
        let mut out = File::create(&self.tmp).map_err(io_err(&self.spec.path, "creating"))?;
        let mut head = Vec::with_capacity(prefix as usize);
        if big {
            head.extend_from_slice(b"II\x2b\x00\x08\x00\x00\x00");
            head.extend_from_slice(&(16 + pad2(ghost.len()) as u64).to_le_bytes());
        } else {
            head.extend_from_slice(b"II\x2a\x00");
            head.extend_from_slice(&(8 + pad2(ghost.len()) as u32).to_le_bytes());
        }
        head.extend_from_slice(&ghost);
        if ghost.len() % 2 == 1 {
            head.push(0);
        }
        for ifd in &ifds {
            head.extend_from_slice(ifd);
        }
        debug_assert_eq!(head.len() as u64, prefix);
        let werr = io_err(&self.spec.path, "writing");
        out.write_all(&head).map_err(&werr)?;
        for &(l, b) in &order {
            let p = &mut self.levels[l].planes[b];
            let mut f = File::open(&p.path).map_err(&werr)?;
            let copied = std::io::copy(&mut f, &mut out).map_err(&werr)?;
            if copied != p.len {
                return Err(RasterError::Invalid(format!(
                    "{}: part file of band {} level {l} has {copied} bytes, {} expected",
                    self.spec.path.display(),
                    b + 1,
                    p.len
                )));
            }
            let _ = std::fs::remove_file(&p.path);
        }
        out.sync_all().map_err(&werr)?;
        drop(out);
        std::fs::rename(&self.tmp, &self.spec.path).map_err(|e| RasterError::Input {
            path: self.spec.path.display().to_string(),
            message: format!("moving the finished file into place: {e}"),
        })?;
        self.tmp = PathBuf::new();
        Ok(())
    }

    /// The image file directories (full resolution, then the overviews), laid out after the
    /// header and the ghost block, with the tile data starting at `data_start`; and the
    /// length of header + ghost + directories.
    fn directories(
        &self,
        big: bool,
        ghost: &[u8],
        order: &[(usize, usize)],
        data_start: u64,
    ) -> (Vec<Vec<u8>>, u64) {
        // where each plane's part starts in the file
        let mut starts = vec![vec![0u64; self.levels[0].planes.len()]; self.levels.len()];
        let mut at = data_start;
        for &(l, b) in order {
            starts[l][b] = at;
            at += self.levels[l].planes[b].len;
        }
        let mut pos = (if big { 16 } else { 8 }) + pad2(ghost.len()) as u64;
        let mut ifds = vec![];
        let n = self.levels.len();
        for (l, lvl) in self.levels.iter().enumerate() {
            let entries = self.entries(l, lvl, &starts[l], big);
            let size = ifd_size(&entries, big);
            let next = if l + 1 < n { pos + size } else { 0 };
            ifds.push(serialize_ifd(&entries, big, pos, next));
            pos += size;
        }
        (ifds, pos)
    }

    fn entries(&self, l: usize, lvl: &Level, starts: &[u64], big: bool) -> Vec<Entry> {
        let bands = lvl.planes.len();
        let bits = (self.coder.bytes * 8) as u16;
        let mut e = vec![
            Entry::longs(254, &[u32::from(l > 0)]),
            Entry::longs(256, &[lvl.width as u32]),
            Entry::longs(257, &[lvl.height as u32]),
            Entry::shorts(258, &vec![bits; bands]),
            Entry::shorts(259, &[self.spec.compression.code()]),
            Entry::shorts(262, &[1]),
            Entry::shorts(277, &[bands as u16]),
            Entry::shorts(284, &[if bands > 1 { 2 } else { 1 }]),
            Entry::longs(322, &[self.coder.tile as u32]),
            Entry::longs(323, &[self.coder.tile as u32]),
        ];
        if self.spec.compression != Compression::None {
            e.push(Entry::shorts(317, &[if self.coder.float { 3 } else { 2 }]));
        }
        let mut offsets = vec![];
        let mut counts = vec![];
        for (p, &start) in lvl.planes.iter().zip(starts) {
            for &(off, len) in &p.tiles {
                offsets.push(start + off);
                counts.push(len);
            }
        }
        e.push(Entry::offsets(324, &offsets, big));
        e.push(Entry::offsets(325, &counts, big));
        if bands > 1 {
            e.push(Entry::shorts(338, &vec![0; bands - 1]));
        }
        e.push(Entry::shorts(
            339,
            &vec![if self.coder.float { 3 } else { 1 }; bands],
        ));
        for t in &self.tags {
            if l == 0 || t.tag == TAG_GDAL_NODATA {
                e.push(t.clone());
            }
        }
        e.sort_by_key(|x| x.tag);
        e
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        for lvl in &self.levels {
            for p in &lvl.planes {
                let _ = std::fs::remove_file(&p.path);
            }
        }
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The source of overview pixel `i` of `dst` pixels from `src` pixels (GDAL's nearest rule).
fn nearest(i: usize, src: usize, dst: usize) -> usize {
    ((0.5 + i as f64 * (src as f64 / dst as f64)) as usize).min(src - 1)
}

/// GDAL's structural-metadata block of a COG, after the header.
fn ghost() -> Vec<u8> {
    let body = "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\nBLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n";
    format!(
        "GDAL_STRUCTURAL_METADATA_SIZE={:06} bytes\n{body}",
        body.len()
    )
    .into_bytes()
}

fn pad2(n: usize) -> usize {
    n + n % 2
}

/// Cuts, predicts and compresses tiles, and undoes it.
#[derive(Debug)]
struct Coder {
    tile: usize,
    bytes: usize,
    float: bool,
    compression: Compression,
    level: u8,
    /// the bytes of one padding sample (the nodata value, or 0)
    pad: Vec<u8>,
}

impl Coder {
    /// Tile `tx` of the `rows` rows in `chunk` (rows of `w` samples), padded to a full tile.
    fn encode(&self, chunk: &[u8], w: usize, rows: usize, tx: usize) -> Result<Vec<u8>> {
        let (t, s) = (self.tile, self.bytes);
        let mut buf = Vec::with_capacity(t * t * s);
        let c0 = tx * t;
        let n = t.min(w - c0);
        for r in 0..t {
            if r < rows {
                let row = &chunk[(r * w + c0) * s..(r * w + c0 + n) * s];
                buf.extend_from_slice(row);
            }
            let have = if r < rows { n } else { 0 };
            for _ in have..t {
                buf.extend_from_slice(&self.pad);
            }
        }
        if self.compression == Compression::None {
            return Ok(buf);
        }
        let mut row = vec![0u8; t * s];
        for r in buf.chunks_exact_mut(t * s) {
            if self.float {
                // bytes regrouped most significant first (Technical Note 3)
                let (p0, rest) = row.split_at_mut(t);
                let (p1, rest) = rest.split_at_mut(t);
                let (p2, p3) = rest.split_at_mut(t);
                for ((((v, a), b), c), d) in r
                    .chunks_exact(4)
                    .zip(p0.iter_mut())
                    .zip(p1.iter_mut())
                    .zip(p2.iter_mut())
                    .zip(p3.iter_mut())
                {
                    (*a, *b, *c, *d) = (v[3], v[2], v[1], v[0]);
                }
            } else {
                row.copy_from_slice(r);
            }
            // then each byte minus the one before it
            r[0] = row[0];
            for (o, pair) in r[1..].iter_mut().zip(row.windows(2)) {
                *o = pair[1].wrapping_sub(pair[0]);
            }
        }
        match self.compression {
            Compression::Deflate => {
                let mut c =
                    flate2::Compress::new(flate2::Compression::new(self.level.into()), true);
                let mut out = Vec::with_capacity(buf.len() / 2 + 64);
                loop {
                    let done = c.total_in() as usize;
                    let status = c
                        .compress_vec(&buf[done..], &mut out, flate2::FlushCompress::Finish)
                        .map_err(|e| RasterError::Invalid(format!("DEFLATE: {e}")))?;
                    if status == flate2::Status::StreamEnd {
                        return Ok(out);
                    }
                    out.reserve(out.capacity().max(4096));
                }
            }
            Compression::Zstd => zstd::bulk::compress(&buf, self.level.into())
                .map_err(|e| RasterError::Invalid(format!("ZSTD: {e}"))),
            Compression::None => unreachable!(),
        }
    }

    /// A stored tile back to its samples.
    fn decode(&self, data: &[u8]) -> Result<Vec<u8>> {
        let (t, s) = (self.tile, self.bytes);
        let size = t * t * s;
        let mut buf = match self.compression {
            Compression::None => data.to_vec(),
            Compression::Deflate => {
                let mut d = flate2::Decompress::new(true);
                let mut out = Vec::with_capacity(size);
                d.decompress_vec(data, &mut out, flate2::FlushDecompress::Finish)
                    .map_err(|e| RasterError::Invalid(format!("DEFLATE: {e}")))?;
                out
            }
            Compression::Zstd => zstd::bulk::decompress(data, size)
                .map_err(|e| RasterError::Invalid(format!("ZSTD: {e}")))?,
        };
        if buf.len() != size {
            return Err(RasterError::Invalid(format!(
                "a stored tile decoded to {} bytes, {size} expected",
                buf.len()
            )));
        }
        if self.compression != Compression::None {
            let mut row = vec![0u8; t * s];
            for r in buf.chunks_exact_mut(t * s) {
                for i in 1..r.len() {
                    r[i] = r[i].wrapping_add(r[i - 1]);
                }
                if self.float {
                    for i in 0..t {
                        for k in 0..s {
                            row[i * s + s - 1 - k] = r[k * t + i];
                        }
                    }
                    r.copy_from_slice(&row);
                }
            }
        }
        Ok(buf)
    }
}

/// A TIFF directory entry: tag, field type, count and the value's bytes (little-endian).
#[derive(Debug, Clone)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u64,
    bytes: Vec<u8>,
}

const TAG_GDAL_NODATA: u16 = 42113;
/// The tags taken from GDAL's own GeoTIFF: model pixel scale, tie point, transformation,
/// the three GeoKey tags, GDAL's metadata (band descriptions) and nodata.
const COPIED: [u16; 8] = [
    33550,
    33922,
    34264,
    34735,
    34736,
    34737,
    42112,
    TAG_GDAL_NODATA,
];

impl Entry {
    fn shorts(tag: u16, v: &[u16]) -> Entry {
        Entry {
            tag,
            typ: 3,
            count: v.len() as u64,
            bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    fn longs(tag: u16, v: &[u32]) -> Entry {
        Entry {
            tag,
            typ: 4,
            count: v.len() as u64,
            bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    /// Offsets or byte counts: LONG in a classic TIFF, LONG8 in a BigTIFF.
    fn offsets(tag: u16, v: &[u64], big: bool) -> Entry {
        if big {
            Entry {
                tag,
                typ: 16,
                count: v.len() as u64,
                bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            }
        } else {
            let v: Vec<u32> = v.iter().map(|&x| x as u32).collect();
            Entry::longs(tag, &v)
        }
    }
}

fn type_size(typ: u16) -> Option<usize> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

fn ifd_size(entries: &[Entry], big: bool) -> u64 {
    let (head, entry, inline) = if big { (8 + 8, 20, 8) } else { (2 + 4, 12, 4) };
    let out_of_line: usize = entries
        .iter()
        .filter(|e| e.bytes.len() > inline)
        .map(|e| pad2(e.bytes.len()))
        .sum();
    (head + entry * entries.len() + out_of_line) as u64
}

/// A directory at `pos`, its out-of-line values right after it.
fn serialize_ifd(entries: &[Entry], big: bool, pos: u64, next: u64) -> Vec<u8> {
    let (head, entry, inline) = if big { (8 + 8, 20, 8) } else { (2 + 4, 12, 4) };
    let mut extra_at = pos + (head + entry * entries.len()) as u64;
    let mut out = vec![];
    let mut extra = vec![];
    if big {
        out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    } else {
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    }
    for e in entries {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.typ.to_le_bytes());
        let mut value = vec![0u8; inline];
        if e.bytes.len() <= inline {
            value[..e.bytes.len()].copy_from_slice(&e.bytes);
        } else {
            let off = if big {
                extra_at.to_le_bytes().to_vec()
            } else {
                (extra_at as u32).to_le_bytes().to_vec()
            };
            value[..off.len()].copy_from_slice(&off);
            extra.extend_from_slice(&e.bytes);
            if e.bytes.len() % 2 == 1 {
                extra.push(0);
            }
            extra_at += pad2(e.bytes.len()) as u64;
        }
        if big {
            out.extend_from_slice(&e.count.to_le_bytes());
        } else {
            out.extend_from_slice(&(e.count as u32).to_le_bytes());
        }
        out.extend_from_slice(&value);
    }
    if big {
        out.extend_from_slice(&next.to_le_bytes());
    } else {
        out.extend_from_slice(&(next as u32).to_le_bytes());
    }
    out.extend_from_slice(&extra);
    out
}

static TEMPLATE: AtomicU64 = AtomicU64::new(0);

/// GDAL's georeferencing, band-description and nodata tags for this grid and these bands,
/// from a one-pixel GeoTIFF GDAL writes in memory.
fn template_tags<T: Sample>(
    spec: &OutputSpec,
    grid: &Grid,
    descriptions: &[&str],
    nodata: Option<f64>,
) -> Result<Vec<Entry>> {
    let name = format!(
        "/vsimem/terrawatt-template-{}-{}.tif",
        std::process::id(),
        TEMPLATE.fetch_add(1, Ordering::Relaxed)
    );
    let path = &spec.path;
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(gdal_err(path))?;
    {
        let mut ds = driver
            .create_with_band_type::<T, _>(&name, 1, 1, descriptions.len())
            .map_err(gdal_err(path))?;
        ds.set_geo_transform(&grid.transform)
            .map_err(gdal_err(path))?;
        if !grid.wkt.is_empty() {
            ds.set_projection(&grid.wkt).map_err(gdal_err(path))?;
        }
        for (i, d) in descriptions.iter().enumerate() {
            let mut b = ds.rasterband(i + 1).map_err(gdal_err(path))?;
            b.set_description(d).map_err(gdal_err(path))?;
            if nodata.is_some() {
                b.set_no_data_value(nodata).map_err(gdal_err(path))?;
            }
        }
    }
    let bytes = gdal::vsi::get_vsi_mem_file_bytes_owned(&name).map_err(gdal_err(path))?;
    let _ = gdal::vsi::unlink_mem_file(format!("{name}.aux.xml"));
    parse_tags(&bytes).ok_or_else(|| {
        RasterError::Invalid(format!(
            "{}: GDAL's GeoTIFF tags could not be read",
            path.display()
        ))
    })
}

/// The copied tags of the first directory of a little-endian classic TIFF.
fn parse_tags(b: &[u8]) -> Option<Vec<Entry>> {
    if b.get(0..4)? != b"II\x2a\x00" {
        return None;
    }
    let u16_at = |p: usize| Some(u16::from_le_bytes(b.get(p..p + 2)?.try_into().ok()?));
    let u32_at = |p: usize| Some(u32::from_le_bytes(b.get(p..p + 4)?.try_into().ok()?));
    let ifd = u32_at(4)? as usize;
    let n = u16_at(ifd)? as usize;
    let mut out = vec![];
    for i in 0..n {
        let e = ifd + 2 + 12 * i;
        let tag = u16_at(e)?;
        if !COPIED.contains(&tag) {
            continue;
        }
        let typ = u16_at(e + 2)?;
        let count = u32_at(e + 4)? as usize;
        let size = type_size(typ)? * count;
        let bytes = if size <= 4 {
            b.get(e + 8..e + 8 + size)?.to_vec()
        } else {
            let off = u32_at(e + 8)? as usize;
            b.get(off..off + size)?.to_vec()
        };
        out.push(Entry {
            tag,
            typ,
            count: count as u64,
            bytes,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictors_round_trip() {
        let pad = f32::NAN.to_le_bytes();
        for compression in [Compression::Deflate, Compression::Zstd, Compression::None] {
            let c = Coder {
                tile: 16,
                bytes: 4,
                float: true,
                compression,
                level: 1,
                pad: pad.to_vec(),
            };
            let w = 21;
            let vals: Vec<f32> = (0..w * 5).map(|i| (i as f32 * 0.37).sin() * 1e3).collect();
            let mut raw = vec![];
            f32::put(&vals, &mut raw);
            let t = c.decode(&c.encode(&raw, w, 5, 1).unwrap()).unwrap();
            // tile 1 holds columns 16..21 then padding
            let v = |r: usize, k: usize| {
                let p = (r * 16 + k) * 4;
                f32::from_le_bytes([t[p], t[p + 1], t[p + 2], t[p + 3]])
            };
            assert_eq!(v(3, 2), vals[3 * w + 18]);
            assert!(v(3, 7).is_nan() && v(9, 0).is_nan());
        }
    }
}
