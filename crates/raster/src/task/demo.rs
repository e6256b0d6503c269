//! The demo's raster runs on the sample scene ([`crate::sample`]), each a phase of the
//! caller's span, each summed up in a few figures.

use std::path::Path;

use serde::Serialize;
use terrawatt_meter::Span;

use crate::change::{self, DateInputs, Difference, Direction, Method, Threshold};
use crate::forest_loss;
use crate::grid::AreaMethod;
use crate::index::Index;
use crate::landscape::{self, Nodata};
use crate::mask::{MaskKind, NodataRule};
use crate::read::{BandSel, BandSpec, Resampling};
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
    let settings = change::Settings {
        before: date("scene-2023-06.tif"),
        after: date("scene-2024-06.tif"),
        method: Method::Index(Index::Ndvi),
        difference: Difference::AfterMinusBefore,
        relative: false,
        threshold: Threshold::Fixed { value: -0.2 },
        direction: Direction::Below,
        nodata: NodataRule::Any,
        mask_buffer: 1,
        mmu: Some((change::Mmu::SquareMetres(5_000.0), Connectivity::Eight)),
        normalize: change::Normalize::None,
        checks: change::Checks::default(),
        resampling: Resampling::Nearest,
        align: None,
        grid: None,
        area: AreaMethod::Ellipsoid,
        memory: MEMORY,
        out: OutputSpec {
            path: tmp.path().join("change.tif"),
            format: Format::Cog,
            compression: Compression::Deflate,
            level: None,
        },
        classes_out: None,
        tmp: tmp.path().to_path_buf(),
        defer_classes: false,
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
