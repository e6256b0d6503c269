//! Zonal statistics of the bundled sample's tree cover (canopy %, 2000) over its two zones
//! through the library's zonal task (the same task as `terrawatt raster zonal`): each cell
//! weighted by the share of it inside the polygon, areas on the ellipsoid, the table written
//! into a temporary folder.
//!
//! `cargo run --example zonal_statistics`
//!
//! The zones (notebooks-data/zones.gpkg, made by `terrawatt raster sample --seed 0`) are in
//! EPSG:4326 and the raster in EPSG:32633, so the task reprojects them. The check is
//! independent of the task: each zone's area (cells with a value and without) must be its
//! polygon's own area, reprojected and measured by GDAL directly.

use std::path::Path;

use gdal::Dataset;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::LayerAccess;
use terrawatt::meter::{CarbonSettings, EnergyReport, Meter, MeterConfig};
use terrawatt::raster::grid::AreaMethod;
use terrawatt::raster::read::BandSel;
use terrawatt::raster::task::{RasterTask, Silent, TaskResults, ZonalTask};
use terrawatt::raster::zonal::{self, Missing, Rule, ZoneSource};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks-data");
    let out = tempfile::tempdir()?;
    let task = ZonalTask {
        zonal: zonal::Settings {
            raster: data.join("treecover-2000.tif"),
            band: BandSel::Index(1),
            missing: Missing::Band,
            zones: ZoneSource::new(data.join("zones.gpkg")),
            rule: Rule::Exact,
            area: AreaMethod::Ellipsoid,
            memory: 256_000_000,
        },
        out: Some(out.path().join("zonal.csv")),
    };
    task.files()?;

    let meter = Meter::detect(&MeterConfig::default())?;
    let mut span = meter.span("zonal-statistics");
    let results = task.run(&mut span, &Silent)?;
    print!("{}", results.text());
    assert!(out.path().join("zonal.csv").exists());

    // each polygon's area, measured by GDAL on the raster's projection
    let polygons = span.phase("check", |_| polygon_hectares(&data))?;
    assert_eq!(polygons.len(), results.zonal.stats.len());
    for (i, (s, ha)) in results.zonal.stats.iter().zip(&polygons).enumerate() {
        let zone_ha = s.hectares + s.missing_hectares;
        println!(
            "zone {}: {zone_ha:.3} ha from the cells, {ha:.3} ha as a polygon",
            i + 1
        );
        assert!(
            (zone_ha - ha).abs() <= 0.005 * ha,
            "zone {}: the cells cover {zone_ha} ha, the polygon is {ha} ha",
            i + 1
        );
    }

    let report = EnergyReport::new(&meter, span.finish(), CarbonSettings::default(), None);
    println!("{}", report.line());
    Ok(())
}

/// The area of each polygon of the sample's zones in EPSG:32633 (the raster's CRS), ha.
fn polygon_hectares(data: &Path) -> Result<Vec<f64>, gdal::errors::GdalError> {
    let ds = Dataset::open(data.join("zones.gpkg"))?;
    let mut layer = ds.layer(0)?;
    let mut src = layer.spatial_ref().expect("the zones declare their CRS");
    let mut dst = SpatialRef::from_epsg(32633)?;
    src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let to_utm = CoordTransform::new(&src, &dst)?;
    let mut areas = Vec::new();
    for feature in layer.features() {
        let geometry = feature.geometry().expect("every zone has a polygon");
        areas.push(geometry.transform(&to_utm)?.area() / 1e4);
    }
    Ok(areas)
}
