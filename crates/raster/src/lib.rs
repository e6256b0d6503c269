//! terrawatt-raster: rasters on GDAL.
//!
//! - [`accuracy`]: confusion matrices, overall/user's/producer's accuracy, F1, kappa, and
//!   Olofsson et al. (2014)'s area estimates with confidence intervals from a stratified
//!   sample; the stratified random sample drawn as points.
//! - [`grid`]: a raster's grid, how two grids differ, true pixel areas.
//! - [`baseline`]: Sentinel-2's +1,000 from processing baseline 04.00 (January 2022), found
//!   in the data and taken off.
//! - [`read`]: bands chosen by index or description, scale/offset and nodata applied, read in
//!   row strips; bands on another grid resampled onto a reference grid through GDAL's warper.
//! - [`blocks`]: strips of rows sized by a memory budget, computed in parallel and consumed
//!   in order.
//! - [`index`]: spectral indices (NDVI, NBR, NDMI, NDWI, EVI, SAVI) and band-math expressions.
//! - [`mask`]: nodata rules and cloud/shadow masks (Sentinel-2 SCL classes, Landsat QA bits).
//! - [`threshold`]: Otsu's threshold on a histogram, as scikit-image computes it;
//!   Kittler–Illingworth minimum error, the EM/Bayes threshold of a two-Gaussian mixture and
//!   k-means for rare change.
//! - [`stats`]: weighted co-moments in row order, the chi-square distribution, canonical
//!   correlation analysis (IR-MAD's core).
//! - [`sieve`]: connected components and a sieve of small patches, as GDAL's sieve filter.
//! - [`change`]: two-date change detection (index differences, dNBR classes, RdNBR, change
//!   vector analysis with radiometric normalisation, IR-MAD), thresholds and their sanity
//!   checks, minimum mapping unit and areas.
//! - [`coverage`]: exact cell coverage fractions of polygons, and the cell-centre rule.
//! - [`forest_loss`]: forest area, loss and emissions per polygon and year from Hansen GFC
//!   layers, by mapme.biodiversity's rules.
//! - [`landscape`]: class- and landscape-level landscape metrics (FRAGSTATS definitions),
//!   patches stitched across strips.
//! - [`window`]: moving-window landscape metrics (Shannon diversity and evenness, edge,
//!   class proportions, richness, patch number, density, largest patch, mean area, mesh),
//!   a raster per metric.
//! - [`transitions`]: the from–to matrix of two classified rasters in hectares.
//! - [`sample`]: a synthetic two-date scene (clearing, cloud) and its land-cover map.
//! - [`zones`]: polygons from any OGR source, reprojected to a raster's CRS, repaired or
//!   refused when invalid.
//! - [`zonal`]: zonal statistics per polygon with exact coverage fractions or the cell-centre
//!   rule, parallel over polygons and strips.
//! - [`zone_table`]: tables of per-zone results as CSV or GeoPackage.
//! - [`mosaic`]: tiles back into one raster (a VRT over them, then a Cloud-Optimised
//!   GeoTIFF), pixels copied, never resampled.
//! - [`write`]: GeoTIFF / Cloud-Optimised GeoTIFF output written atomically.
//! - [`task`]: the raster commands as library tasks (typed options → settings, phases in a
//!   meter span, results with their text, the tables written), as the CLI runs them.
//! - [`linke`]: the monthly Linke turbidity climatology (Remund et al. 2003, as distributed
//!   with SoDa / pvlib in `LinkeTurbidities.h5`) read through GDAL's HDF5 driver.
//!
//! The sample scene written by [`sample`], and NDVI change on it through the change task
//! (the demo's settings): the clearing of the later date is found, at about its true size.
//!
//! ```
//! use terrawatt_meter::{Meter, MeterConfig};
//! use terrawatt_raster::{sample, task};
//!
//! let dir = tempfile::tempdir()?;
//! sample::write_all(dir.path(), 0)?;
//! let meter = Meter::detect(&MeterConfig::model_only())?;
//! let mut span = meter.span("change");
//! let change = task::demo::change(&mut span, dir.path())?;
//! // a ragged ellipse of 70 × 35 cells of 10 m (about 77 ha), partly under a cloud
//! assert!(change.changed_ha > 30.0 && change.changed_ha < 90.0, "{}", change.changed_ha);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod accuracy;
pub mod baseline;
pub mod blocks;
pub mod change;
pub mod coverage;
pub mod forest_loss;
pub mod grid;
pub mod index;
pub mod landscape;
pub mod linke;
pub mod mask;
pub mod mosaic;
pub mod read;
pub mod sample;
pub mod series;
pub mod sieve;
pub mod stats;
pub mod task;
pub mod threshold;
pub mod transitions;
pub mod window;
pub mod write;
pub mod zonal;
pub mod zone_table;
pub mod zones;

/// Errors of the raster tasks; each names the file, band or option at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RasterError {
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    /// Stopped by an interrupt (see [`blocks::interrupt`]); temporary files are removed.
    #[error("interrupted; no output written")]
    Interrupted,
    /// An output that could not be written.
    #[error("writing {path}: {message}")]
    Write { path: String, message: String },
    #[error("{path}: {source}")]
    Gdal {
        path: String,
        #[source]
        source: gdal::errors::GdalError,
    },
}

pub type Result<T> = std::result::Result<T, RasterError>;

/// A value an option does not take, and what it takes: the error of the options' `FromStr`
/// (`"sphere"` parses as [`grid::AreaMethod::Sphere`]; `"flat"` is "expected ellipsoid or
/// sphere").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
}

impl ParseError {
    /// "expected {what}".
    pub(crate) fn expected(what: &str) -> ParseError {
        ParseError {
            message: format!("expected {what}"),
        }
    }
}

pub(crate) fn gdal_err(path: &std::path::Path) -> impl Fn(gdal::errors::GdalError) -> RasterError {
    let p = path.display().to_string();
    move |source| {
        match &source {
        // GDAL could not open it and said nothing: name what that means
        gdal::errors::GdalError::NullPointer { method_name, msg }
            if method_name.starts_with("GDALOpen") && msg.trim().is_empty() =>
        {
            RasterError::Input {
                path: p.clone(),
                message: "is not a raster GDAL can read (an unknown format, or a damaged or truncated file)".into(),
            }
        }
        _ => RasterError::Gdal {
            path: p.clone(),
            source,
        },
    }
    }
}
