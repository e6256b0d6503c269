//! The bands a formula or a method reads, and the output raster of `index` and `change`.

use std::path::{Path, PathBuf};

use crate::grid::{Grid, PixelWindow};
use crate::mask::NodataRule;
use crate::read::{BandRef, BandSel, BandSpec, Resampling};
use crate::write::OutputSpec;
use crate::{ParseError, RasterError, Result};

/// The output raster and how the inputs are read onto its grid.
#[derive(Debug, Clone, PartialEq)]
pub struct RasterOptions {
    pub out: OutputSpec,
    /// The memory budget of the strips in flight, bytes.
    pub memory: u64,
    /// Scale and offset for every input band instead of the files' own (value = raw × scale
    /// + offset).
    pub scale: Option<f64>,
    pub offset: Option<f64>,
    pub nodata: NodataRule,
    /// Resampling of bands on another grid than the output's.
    pub resampling: Resampling,
    /// The output grid: that of this raster; default the grid of the first band.
    pub grid: Option<PathBuf>,
    /// Only this window of the output grid, in pixels: column, row, width, height (a tile of
    /// a planned run).
    pub window: Option<PixelWindow>,
}

impl RasterOptions {
    /// `out` on the first band's grid, whole, with the command line's defaults: the files'
    /// own scale and offset, a pixel missing in any input missing, nearest resampling,
    /// 1 GB of memory.
    pub fn new(out: OutputSpec) -> RasterOptions {
        RasterOptions {
            out,
            memory: 1 << 30,
            scale: None,
            offset: None,
            nodata: NodataRule::Any,
            resampling: Resampling::Nearest,
            grid: None,
            window: None,
        }
    }

    /// The whole output grid: that of --grid, or of `first` (the first band).
    pub fn full_grid(&self, first: &Path) -> Result<Grid> {
        Grid::of_file(self.grid.as_deref().unwrap_or(first))
    }

    /// The output grid: --grid's or the first band's, cut to the window; `None` when neither
    /// is given (the first band's grid, whole).
    pub fn out_grid(&self, first: &Path) -> Result<Option<Grid>> {
        let Some(w) = self.window else {
            return self.grid.as_deref().map(Grid::of_file).transpose();
        };
        self.full_grid(first)?
            .window((w.col, w.row), (w.width, w.height))
            .map(Some)
            .map_err(|e| RasterError::Invalid(format!("--window {w}: {e}")))
    }

    /// A band with the options' scale and offset.
    pub(crate) fn spec(&self, path: &Path, band: BandSel) -> BandSpec {
        BandSpec {
            path: path.to_path_buf(),
            band,
            scale: self.scale,
            offset: self.offset,
        }
    }
}

/// A role given to a band of the multi-band file (`red=3`, `nir=B08`).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleBand {
    /// Lower case.
    pub role: String,
    pub band: BandSel,
}

impl std::str::FromStr for RoleBand {
    type Err = ParseError;

    /// `ROLE=BAND` (an index or a description).
    fn from_str(s: &str) -> std::result::Result<RoleBand, ParseError> {
        let (r, b) = s
            .split_once('=')
            .ok_or_else(|| ParseError::expected("ROLE=BAND, e.g. red=3"))?;
        Ok(RoleBand {
            role: r.trim().to_ascii_lowercase(),
            band: BandSel::parse(b.trim()),
        })
    }
}

/// A name of an expression and its band (`swir=s2.tif#B11`).
#[derive(Debug, Clone, PartialEq)]
pub struct NamedBand {
    /// Lower case.
    pub name: String,
    pub band: BandRef,
}

impl std::str::FromStr for NamedBand {
    type Err = ParseError;

    /// `NAME=FILE` or `NAME=FILE#BAND`.
    fn from_str(s: &str) -> std::result::Result<NamedBand, ParseError> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| ParseError::expected("NAME=FILE"))?;
        Ok(NamedBand {
            name: k.trim().to_ascii_lowercase(),
            band: v.parse().unwrap_or_else(|e| match e {}),
        })
    }
}

/// Where the bands of a date come from: a multi-band file whose bands have roles (`roles`;
/// `bN` is its band N), and files of their own for some roles (`files`, the first of a role
/// wins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BandSource {
    pub file: Option<PathBuf>,
    pub roles: Vec<RoleBand>,
    pub files: Vec<(String, BandRef)>,
}

impl BandSource {
    /// The file of its own of `role`.
    pub fn file_of(&self, role: &str) -> Option<&BandRef> {
        self.files.iter().find(|(r, _)| r == role).map(|(_, b)| b)
    }

    /// The band of each role, in order: its own file, or the multi-band file's band with that
    /// role. `flag` is the prefix of the per-role options (`before-` for `--before-red`).
    pub fn specs(&self, roles: &[String], flag: &str, o: &RasterOptions) -> Result<Vec<BandSpec>> {
        roles
            .iter()
            .map(|role| {
                if let Some(b) = self.file_of(role) {
                    return Ok(b.spec(o.scale, o.offset));
                }
                let Some(file) = &self.file else {
                    return Err(RasterError::Invalid(format!(
                        "no input for band '{role}': give --{flag}{role} FILE (or a multi-band file with --bands)"
                    )));
                };
                let mapped = self.roles.iter().rev().find(|m| &m.role == role);
                let band = match mapped {
                    Some(m) => m.band.clone(),
                    None => match role.strip_prefix('b').and_then(|n| n.parse::<usize>().ok()) {
                        Some(n) => BandSel::Index(n),
                        None => {
                            return Err(RasterError::Invalid(format!(
                                "which band of {} is '{role}'? give --bands {role}=N",
                                file.display()
                            )));
                        }
                    },
                };
                Ok(o.spec(file, band))
            })
            .collect()
    }
}
