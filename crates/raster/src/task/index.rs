//! `raster index`: a spectral index or a band-math expression.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::{BandSource, Files, Progress, RasterOptions, RasterTask, TaskResults, unique};
use crate::baseline::BaselineOffset;
use crate::grid::Grid;
use crate::index::{self, Formula};
use crate::mask::NodataRule;
use crate::read::BandSpec;
use crate::write::OutputSpec;
use crate::{RasterError, Result};

/// An index of the bands of `bands` (by the formula's roles or names), written to
/// `raster.out`.
#[derive(Debug, Clone)]
pub struct IndexTask {
    pub formula: Formula,
    pub bands: BandSource,
    pub raster: RasterOptions,
    /// Sentinel-2's +1,000 from processing baseline 04.00, for an index of a Sentinel-2
    /// product dated (by its name) from 25 January 2022 on: checked, subtracted or kept.
    pub s2_offset: BaselineOffset,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexResults {
    pub out: OutputSpec,
    pub index: index::IndexReport,
}

impl IndexTask {
    /// The band of each of the formula's roles.
    fn specs(&self) -> Result<Vec<BandSpec>> {
        let mut specs = self.bands.specs(&self.formula.roles(), "", &self.raster)?;
        if specs.is_empty() {
            return Err(RasterError::Invalid("no input bands".into()));
        }
        if let Formula::Index(index) = self.formula {
            let subtracted =
                super::change::dated_offset(index, &mut specs, None, self.s2_offset, "")?;
            if self.s2_offset == BaselineOffset::Subtract && !subtracted {
                return Err(RasterError::Invalid(
                    "--s2-offset subtract takes Sentinel-2's 1,000 off a product dated (by its file name) 25 January 2022 or later, and the bands' names do not date them so: leave --s2-offset out".into(),
                ));
            }
        }
        Ok(specs)
    }

    /// For a tiled run: the whole output grid and the input files (every output pixel
    /// depends on its own input pixels alone).
    pub fn tiling(&self) -> Result<(Grid, Vec<PathBuf>)> {
        let specs = self.specs()?;
        let grid = self.raster.full_grid(&specs[0].path)?;
        Ok((grid, unique(specs.into_iter().map(|s| s.path))))
    }
}

impl RasterTask for IndexTask {
    type Results = IndexResults;

    fn files(&self) -> Result<Files> {
        Ok(Files {
            inputs: self.specs()?.into_iter().map(|s| s.path).collect(),
            outputs: vec![self.raster.out.path.clone()],
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<IndexResults> {
        let specs = self.specs()?;
        let r = &self.raster;
        let grid = r.out_grid(&specs[0].path)?;
        let tmp = super::tmp_dir(&r.out.path)?;
        let index = super::rows_phase(span, progress, "index", |p| {
            index::run(
                &self.formula,
                &specs,
                grid.as_ref(),
                r.nodata == NodataRule::Ignore,
                r.resampling,
                r.memory,
                &r.out,
                tmp.path(),
                p,
            )
        })?;
        Ok(IndexResults {
            out: r.out.clone(),
            index,
        })
    }
}

impl TaskResults for IndexResults {
    fn warnings(&self) -> Vec<String> {
        self.index.warnings.clone()
    }

    fn text(&self) -> String {
        let rep = &self.index;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{}: {} of {} × {} pixels ({}, {:.2} km²) → {}",
            rep.formula,
            self.out.format,
            rep.grid.width,
            rep.grid.height,
            rep.crs,
            rep.km2,
            self.out.path.display()
        );
        let _ = writeln!(
            text,
            "valid {} ({:.1} %), missing {}; min {:.4}, mean {:.4}, max {:.4}",
            rep.valid,
            100.0 * rep.valid as f64 / rep.pixels as f64,
            rep.missing,
            rep.min,
            rep.mean,
            rep.max
        );
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        let km2 = self.index.km2;
        km2.is_finite()
            .then(|| FunctionalUnit::new("km² processed", km2))
    }
}
