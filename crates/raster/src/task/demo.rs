//! The demo's raster runs on the sample scene ([`crate::sample`]), each a phase of the
//! caller's span, each summed up in a few figures.

use std::path::Path;

use serde::Serialize;
use terrawatt_meter::Span;

use crate::change::{self, DateInputs, Method, Threshold};
use crate::forest_loss;
use crate::grid::AreaMethod;
use crate::index::Index;
use crate::landscape::{self, Nodata};
use crate::mask::MaskKind;
use crate::read::{BandSel, BandSpec};
use crate::sieve::Connectivity;
use crate::write::{Compression, Format, OutputSpec};
use crate::zonal;
use crate::{RasterError, Result};

/// The demo's memory budget.
const MEMORY: u64 = 256_000_000;

#[derive(Debug, Clone, Serialize)]
pub struct DemoChange {
    pub name: &'static str,
    pub scene: String,
    pub pixels: u64,
    pub masked_share: f64,
    pub changed_ha: f64,
    pub km2: f64,
}

/// NDVI of the sample scene's two dates, SCL clouds and shadows masked, change where
/// dNDVI < −0.2, a 0.5 ha minimum mapping unit (phase `change`).
pub fn change(span: &mut Span, dir: &Path) -> Result<DemoChange> {
    let tmp = tempfile::tempdir()
        .map_err(|e| RasterError::Invalid(format!("a temporary folder: {e}")))?;
    let date = |name: &str| -> DateInputs {
        let f = dir.join(name);
        DateInputs {
            bands: vec![
                BandSpec::new(&f, BandSel::Index(1)),
                BandSpec::new(&f, BandSel::Index(2)),
            ],
            mask: Some((
                BandSpec::new(&f, BandSel::Index(3)),
                MaskKind::scl_default(),
            )),
        }
    };
    let out = OutputSpec {
        path: tmp.path().join("change.tif"),
        format: Format::Cog,
        compression: Compression::Deflate,
        level: None,
    };
    let settings = change::Settings {
        threshold: Threshold::Fixed { value: -0.2 },
        mask_buffer: 1,
        mmu: Some((change::Mmu::SquareMetres(5_000.0), Connectivity::Eight)),
        memory: MEMORY,
        ..change::Settings::new(
            date("scene-2023-06.tif"),
            date("scene-2024-06.tif"),
            Method::Index(Index::Ndvi),
            out,
            tmp.path().to_path_buf(),
        )
    };
    let rep = span.phase("change", |_| change::run(&settings, &|_, _| {}))?;
    let changed = rep
        .classes
        .iter()
        .find(|c| c.class == 1)
        .map_or(0.0, |c| c.hectares);
    Ok(DemoChange {
        name: "raster-change",
        scene: dir.join("scene-2024-06.tif").display().to_string(),
        pixels: rep.pixels,
        masked_share: rep.masked_share,
        changed_ha: changed,
        km2: rep.km2,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoLandscape {
    pub name: &'static str,
    pub patches: u64,
    pub shannon_diversity: Option<f64>,
    pub forest_mesh_ha: Option<f64>,
    pub forest_core_ha: Option<f64>,
    pub km2: f64,
}

/// Landscape metrics of the sample land cover (8-connectivity, edge depth 1; phase
/// `landscape`).
pub fn landscape(span: &mut Span, dir: &Path) -> Result<DemoLandscape> {
    let settings = landscape::Settings {
        input: dir.join("landcover-2023.tif"),
        band: BandSel::Index(1),
        nodata: Nodata::Band,
        connectivity: Connectivity::Eight,
        edge_depth: 1,
        count_boundary: false,
        memory: MEMORY,
        max_classes: landscape::MOST_CLASSES,
    };
    let rep = span.phase("landscape", |_| landscape::run(&settings, &|_, _| {}))?;
    let forest = rep.classes.iter().find(|c| c.class == Some(1));
    Ok(DemoLandscape {
        name: "landscape",
        patches: rep.landscape.number_of_patches,
        shannon_diversity: rep.landscape.shannon_diversity_index,
        forest_mesh_ha: forest.map(|f| f.effective_mesh_size),
        forest_core_ha: forest.map(|f| f.total_core_area),
        km2: rep.km2,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoZoneLoss {
    pub name: Option<String>,
    pub forest_2000_ha: f64,
    pub forest_2024_ha: f64,
    pub loss_ha: f64,
    pub years_with_loss: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoForestLoss {
    pub name: &'static str,
    pub zones: Vec<DemoZoneLoss>,
    pub km2: f64,
}

/// Forest loss in the sample's two zones (the reserve and the corridor): canopy > 30 %,
/// patches > 1 ha, 2000–2024 (phase `forest-loss`).
pub fn forest_loss(span: &mut Span, dir: &Path) -> Result<DemoForestLoss> {
    let settings = forest_loss::Settings {
        treecover: dir.join("treecover-2000.tif"),
        lossyear: dir.join("lossyear.tif"),
        emissions: None,
        zones: zonal::ZoneSource::new(dir.join("zones.gpkg")),
        min_cover: 30.0,
        min_patch_m2: 1e4,
        years: (2000, 2024),
        rule: zonal::Rule::Exact,
        area: AreaMethod::Ellipsoid,
        memory: MEMORY,
    };
    let rep = span.phase("forest-loss", |_| forest_loss::run(&settings, &|_, _| {}))?;
    let zones = rep
        .results
        .iter()
        .zip(&rep.zones.zones)
        .map(|(r, z)| {
            let first = r.years.first().map_or(0.0, |y| y.forest_ha);
            let last = r.years.last().map_or(0.0, |y| y.forest_ha);
            DemoZoneLoss {
                name: z.attributes.first().map(|a| a.to_string()),
                forest_2000_ha: first,
                forest_2024_ha: last,
                loss_ha: first - last,
                years_with_loss: r.years.iter().filter(|y| y.loss_ha > 0.0).count(),
            }
        })
        .collect();
    Ok(DemoForestLoss {
        name: "forest-loss",
        zones,
        km2: rep.km2,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoBreaks {
    pub name: &'static str,
    pub pixels: u64,
    pub dates: usize,
    /// Pixels with a drop in the truth, and the share of them flagged at or after it.
    pub drops: u64,
    pub drops_found: f64,
    /// The share of pixels without a drop that were flagged.
    pub false_alarms: f64,
    /// Median days from a drop to its detection.
    pub median_delay_days: f64,
    pub megapixels: f64,
}

/// BFAST Monitor on the sample NDVI stack (`ndvi-stack/`: 32 × 32 pixels, 8 years of 23
/// dates, a third clouded, half the pixels with a drop from 2021 on), bfastmonitor's
/// defaults, monitoring from 2021; the breaks compared with the stack's truth (phase
/// `breaks`).
pub fn breaks(span: &mut Span, dir: &Path) -> Result<DemoBreaks> {
    use super::{BreaksStackTask, RasterTask, Silent, StackInput};
    let stack = dir.join("ndvi-stack");
    let tmp = tempfile::tempdir()
        .map_err(|e| RasterError::Invalid(format!("a temporary folder: {e}")))?;
    let out = tmp.path().join("breaks.tif");
    let res = BreaksStackTask::new(
        StackInput::bands(stack.join("stack.tif"), stack.join("dates.csv"), 0.0001),
        "2021-01-01",
        &out,
    )
    .run(span, &Silent)?;
    let read = |p: &Path| -> Result<Vec<f32>> {
        let ds = gdal::Dataset::open(p).map_err(crate::gdal_err(p))?;
        let (w, h) = ds.raster_size();
        let b = ds.rasterband(1).map_err(crate::gdal_err(p))?;
        Ok(b.read_as::<f32>((0, 0), (w, h), (w, h), None)
            .map_err(crate::gdal_err(p))?
            .data()
            .to_vec())
    };
    let (found, truth) = (read(&out)?, read(&stack.join("truth.tif"))?);
    let (mut drops, mut hit, mut stable, mut alarms) = (0u64, 0u64, 0u64, 0u64);
    let mut delays = Vec::new();
    for (f, t) in found.iter().zip(&truth) {
        if t.is_nan() {
            stable += 1;
            alarms += u64::from(!f.is_nan());
        } else {
            drops += 1;
            if !f.is_nan() && f + 1e-4 >= *t {
                hit += 1;
                delays.push(f64::from(f - t) * 365.25);
            }
        }
    }
    delays.sort_by(f64::total_cmp);
    Ok(DemoBreaks {
        name: "breaks",
        pixels: res.pixels,
        dates: res.dates,
        drops,
        drops_found: hit as f64 / drops.max(1) as f64,
        false_alarms: alarms as f64 / stable.max(1) as f64,
        median_delay_days: delays.get(delays.len() / 2).copied().unwrap_or(f64::NAN),
        megapixels: res.pixels as f64 / 1e6,
    })
}
