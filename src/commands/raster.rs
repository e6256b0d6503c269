//! `terrawatt raster …`: spectral indices and two-date change detection on GDAL rasters.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_raster::change::{
    self, DateInputs, Difference, Direction, Method, Normalize, Threshold,
};
use terrawatt_raster::grid::{AreaMethod, Grid};
use terrawatt_raster::index::{Expr, Formula, Index};
use terrawatt_raster::mask::{MaskKind, NodataRule};
use terrawatt_raster::read::{BandSel, BandSpec, Resampling};
use terrawatt_raster::sieve::Connectivity;
use terrawatt_raster::write::{Compression, Format, OutputSpec};
use terrawatt_raster::zonal;
use terrawatt_raster::zone_table::ZoneTable;

use crate::task::check_output;
use crate::task::{Ctx, Outcome};

#[derive(Debug, Subcommand)]
pub enum RasterCommand {
    /// A spectral index (NDVI, NBR, NDMI, NDWI, EVI, SAVI) or a band-math expression.
    Index(Box<IndexArgs>),
    /// Two-date change: index difference (dNDVI, dNBR with severity classes, RdNBR) or
    /// change vector analysis; masks, thresholds, minimum mapping unit, true areas.
    Change(Box<ChangeArgs>),
    /// Landscape metrics of a classified raster, per class and for the landscape
    /// (FRAGSTATS definitions, as pylandstats): patches, density, largest patch, edge,
    /// mean patch area, core area, effective mesh size, Shannon diversity and evenness.
    Landscape(Box<LandscapeArgs>),
    /// Land-cover transitions: the from–to matrix of two classified rasters in hectares of
    /// true area.
    Transitions(Box<TransitionsArgs>),
    /// Zonal statistics per polygon (any OGR source, reprojected to the raster): count, sum,
    /// mean, min, max, std, majority and area per class, with exact cell coverage fractions
    /// (as exactextract) or the cell-centre rule.
    Zonal(Box<ZonalArgs>),
    /// Forest area, loss and gross emissions per polygon and year from Hansen Global Forest
    /// Change layers, by mapme.biodiversity's treecover_area rules (canopy threshold,
    /// 4-connected patches above a minimum size, loss years).
    ForestLoss(Box<ForestLossArgs>),
    /// Accuracy of a class map against a reference raster (every pixel: confusion matrix,
    /// overall / user's / producer's accuracy, F1, kappa) or sample points (Olofsson et al.
    /// 2014: area per class adjusted for map error, with 95 % confidence intervals).
    Accuracy(Box<AccuracyArgs>),
    /// Draws a stratified random sample of a class map (strata = its classes) as a
    /// GeoPackage of points to interpret, for `raster accuracy`.
    SampleDesign(Box<SampleDesignArgs>),
    /// Writes the synthetic sample scene (two dates of B04/B08/SCL with a clearing and a
    /// cloud, and a land-cover map) used by `terrawatt demo`.
    Sample(SampleArgs),
}

#[derive(Debug, Args)]
pub struct AccuracyArgs {
    /// The class map (e.g. --classes-out of raster change).
    #[arg(long, value_name = "FILE")]
    pub map: PathBuf,
    /// The reference: a class raster (every pixel compared), or a vector file with the class
    /// in --field: sample points (Olofsson et al.'s estimators) or reference polygons (every
    /// cell whose centre they hold).
    #[arg(long, value_name = "FILE")]
    pub reference: PathBuf,
    /// Points: the field holding each point's reference class.
    #[arg(long, default_value = "reference")]
    pub field: String,
    /// Points: the layer (default: the first).
    #[arg(long)]
    pub layer: Option<String>,
    /// The band of the map (and of a reference raster).
    #[arg(long, default_value = "1")]
    pub band: String,
    /// Only these classes count (others excluded and counted), e.g. 0,1.
    #[arg(long, value_delimiter = ',')]
    pub classes: Vec<i64>,
    /// Warp a reference raster on another grid onto the map's: nearest or mode.
    #[arg(long, value_name = "RESAMPLING", num_args = 0..=1, default_missing_value = "nearest")]
    pub align: Option<String>,
    /// Pixel areas on geographic grids: ellipsoid or sphere.
    #[arg(long, default_value = "ellipsoid")]
    pub area: String,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
    /// Writes the per-class table as CSV.
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SampleDesignArgs {
    /// The class map to sample.
    #[arg(long, value_name = "FILE")]
    pub map: PathBuf,
    /// The sample size.
    #[arg(long)]
    pub n: u64,
    /// proportional, equal, or min:N (proportional with at least N per class, as Olofsson
    /// et al. 2014 advise for rare change classes).
    #[arg(long, default_value = "proportional")]
    pub allocation: String,
    /// The seed of the draw (the same seed and map give the same points).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Only these classes are strata, e.g. 0,1.
    #[arg(long, value_delimiter = ',')]
    pub classes: Vec<i64>,
    /// The band of the map.
    #[arg(long, default_value = "1")]
    pub band: String,
    /// Pixel areas on geographic grids: ellipsoid or sphere.
    #[arg(long, default_value = "ellipsoid")]
    pub area: String,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
    /// The GeoPackage of points written (layer `sample`: id, map_class, row, col and an
    /// empty `reference` to fill in).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn accuracy(span: &mut Span, ctx: &Ctx, a: &AccuracyArgs) -> Result<Outcome> {
    use terrawatt_raster::accuracy::{self, Reference};
    let is_raster = gdal_raster_count(&a.reference) > 0;
    if let Some(t) = &a.table {
        check_output(t, &[a.map.as_path(), a.reference.as_path()])?;
    }
    let align = match a.align.as_deref() {
        None => None,
        Some("nearest" | "near") => Some(Resampling::Nearest),
        Some("mode") => Some(Resampling::Mode),
        Some(o) => bail!("--align '{o}': classes are warped with nearest or mode"),
    };
    let tmp = tmp_dir(a.table.as_deref().unwrap_or(Path::new("accuracy.csv")))?;
    let band = BandSel::parse(&a.band);
    let settings = accuracy::Settings {
        map: a.map.clone(),
        band: band.clone(),
        reference: if is_raster {
            Reference::Raster {
                path: a.reference.clone(),
                band,
            }
        } else {
            Reference::Vector {
                path: a.reference.clone(),
                layer: a.layer.clone(),
                field: a.field.clone(),
            }
        },
        classes: (!a.classes.is_empty()).then(|| a.classes.clone()),
        align,
        area: area_method(&a.area)?,
        memory: parse_bytes(&a.memory)?,
        tmp: tmp.path().to_path_buf(),
    };
    let rep = with_progress(span, ctx, "accuracy", |p| accuracy::run(&settings, p))?;
    let m = &rep.matrix;
    let k = m.k();
    let mut text = String::new();
    let unit = if rep.design == "census" {
        "pixels"
    } else {
        "sample units"
    };
    writeln!(
        text,
        "{} of {} against {} ({unit}; map classes in rows, reference in columns)",
        rep.design,
        a.map.display(),
        a.reference.display()
    )?;
    writeln!(
        text,
        "{:>10} {}",
        "",
        m.classes
            .iter()
            .map(|c| format!("{c:>10}"))
            .collect::<String>()
    )?;
    for i in 0..k {
        writeln!(
            text,
            "{:>10} {}",
            m.classes[i],
            (0..k)
                .map(|j| format!("{:>10}", m.counts[i * k + j]))
                .collect::<String>()
        )?;
    }
    let e = &rep.excluded;
    writeln!(
        text,
        "excluded: map missing {} · reference missing {} · outside the map {} · other classes {}",
        e.map_missing, e.reference_missing, e.outside_map, e.other_classes
    )?;
    let mut csv = String::new();
    if e.ambiguous > 0 {
        writeln!(
            text,
            "cells in reference polygons of different classes (left out): {}",
            e.ambiguous
        )?;
    }
    match &rep.estimates {
        None => {
            let c = &rep.accuracy;
            writeln!(
                text,
                "overall accuracy {:.4} · kappa {:.4}",
                c.overall, c.kappa
            )?;
            csv.push_str(
                "class,users_accuracy,producers_accuracy,f1,map_hectares,reference_hectares
",
            );
            let refs = rep.reference_hectares.clone().unwrap_or_default();
            for (j, ca) in c.classes.iter().enumerate() {
                writeln!(
                    text,
                    "  class {:>4}: user's {:.4} · producer's {:.4} · F1 {:.4} · map {:.2} ha · reference {:.2} ha",
                    ca.class, ca.users, ca.producers, ca.f1, rep.map_hectares[j], refs[j]
                )?;
                writeln!(
                    csv,
                    "{},{},{},{},{},{}",
                    ca.class, ca.users, ca.producers, ca.f1, rep.map_hectares[j], refs[j]
                )?;
            }
        }
        Some(st) => {
            let ha = rep.map_hectares.iter().all(|x| x.is_finite());
            let au = if ha { "ha" } else { "px" };
            writeln!(
                text,
                "overall accuracy {:.4} ± {:.4} (95 %) · sample kappa {:.4}",
                st.overall,
                accuracy::Z95 * st.overall_se,
                rep.accuracy.kappa
            )?;
            csv.push_str("class,sample,mapped,users_accuracy,users_accuracy_se,producers_accuracy,producers_accuracy_se,area_proportion,area_proportion_se,area,area_ci95,f1
");
            for (ce, ca) in st.classes.iter().zip(&rep.accuracy.classes) {
                writeln!(
                    text,
                    "  class {:>4}: n {} · user's {:.4} ± {:.4} · producer's {:.4} ± {:.4} · area {:.2} ± {:.2} {au} (mapped {:.2})",
                    ce.class,
                    ce.sample,
                    ce.users,
                    accuracy::Z95 * ce.users_se,
                    ce.producers,
                    accuracy::Z95 * ce.producers_se,
                    ce.area,
                    ce.area_ci95,
                    ce.mapped
                )?;
                writeln!(
                    csv,
                    "{},{},{},{},{},{},{},{},{},{},{},{}",
                    ce.class,
                    ce.sample,
                    ce.mapped,
                    ce.users,
                    ce.users_se,
                    ce.producers,
                    ce.producers_se,
                    ce.area_proportion,
                    ce.area_proportion_se,
                    ce.area,
                    ce.area_ci95,
                    ca.f1
                )?;
            }
        }
    }
    if let Some(t) = &a.table {
        write_table(span, t, &csv)?;
    }
    let units = rep.accuracy.total;
    Ok(Outcome {
        results: json!({ "accuracy": rep }),
        text,
        unit: Some(FunctionalUnit::new(unit, units)),
    })
}

/// The raster bands GDAL sees in a file (0 for a vector file or none).
fn gdal_raster_count(path: &Path) -> usize {
    terrawatt_raster::read::band_count(path).unwrap_or(0)
}

pub fn sample_design(span: &mut Span, ctx: &Ctx, a: &SampleDesignArgs) -> Result<Outcome> {
    use terrawatt_raster::accuracy::{self, Allocation};
    check_output(&a.out, &[a.map.as_path()])?;
    let allocation = match a.allocation.as_str() {
        "proportional" => Allocation::Proportional,
        "equal" => Allocation::Equal,
        o => match o.strip_prefix("min:").map(str::parse::<u64>) {
            Some(Ok(min)) if min >= 2 => Allocation::Minimum { min },
            _ => bail!(
                "--allocation '{o}': expected proportional, equal or min:N (N ≥ 2, each class's least units)"
            ),
        },
    };
    if a.n < 2 {
        bail!("--n {}: a sample needs at least 2 units per class", a.n);
    }
    let settings = accuracy::DesignSettings {
        map: a.map.clone(),
        band: BandSel::parse(&a.band),
        n: a.n,
        allocation,
        seed: a.seed,
        classes: (!a.classes.is_empty()).then(|| a.classes.clone()),
        area: area_method(&a.area)?,
        memory: parse_bytes(&a.memory)?,
        out: a.out.clone(),
    };
    let rep = with_progress(span, ctx, "sample", |p| {
        accuracy::sample_design(&settings, p)
    })?;
    let mut text = String::new();
    writeln!(
        text,
        "{} points ({:?}, seed {}) → {} ({})",
        rep.n,
        rep.allocation,
        rep.seed,
        a.out.display(),
        rep.crs
    )?;
    for st in &rep.strata {
        writeln!(
            text,
            "  class {:>4}: {:>6} points of {} pixels ({:.2} ha)",
            st.class, st.sample, st.pixels, st.hectares
        )?;
        if st.sample < 2 {
            eprintln!(
                "warning: class {} gets {} sample point{}: its accuracy and area cannot be estimated (at least 2; try --allocation min:50)",
                st.class,
                st.sample,
                if st.sample == 1 { "" } else { "s" }
            );
        }
    }
    Ok(Outcome {
        results: json!({ "sample_design": rep, "out": a.out }),
        text,
        unit: Some(FunctionalUnit::new("sample points", rep.n as f64)),
    })
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The seed of the landscape, the clearing's edge and the pixel noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The folder written into (scene-2023-06.tif, scene-2024-06.tif, landcover-2023.tif,
    /// treecover-2000.tif, lossyear.tif, zones.gpkg).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

pub fn sample(span: &mut Span, _ctx: &Ctx, a: &SampleArgs) -> Result<Outcome> {
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("creating {}", a.out_dir.display()))?;
    span.phase("write", |_| {
        terrawatt_raster::sample::write_all(&a.out_dir, a.seed)
    })?;
    let n = terrawatt_raster::sample::SIZE;
    Ok(Outcome {
        results: json!({ "out_dir": a.out_dir, "seed": a.seed, "size": n }),
        text: format!(
            "wrote scene-2023-06.tif, scene-2024-06.tif, landcover-2023.tif, treecover-2000.tif, lossyear.tif ({n} × {n} cells of 10 m, EPSG:32633) and zones.gpkg (EPSG:4326) in {}\n",
            a.out_dir.display()
        ),
        unit: None,
    })
}

/// The demo's change detection: NDVI of the sample scene's two dates, SCL clouds and
/// shadows masked, change where dNDVI < −0.2, a 0.5 ha minimum mapping unit.
pub fn demo_change(span: &mut Span, dir: &Path) -> Result<serde_json::Value> {
    let tmp = tempfile::tempdir().context("a temporary folder")?;
    let date = |name: &str| -> DateInputs {
        let f = dir.join(name);
        DateInputs {
            bands: vec![
                BandSpec::new(&f, BandSel::Index(1)),
                BandSpec::new(&f, BandSel::Index(2)),
            ],
            mask: Some((
                BandSpec::new(&f, BandSel::Index(3)),
                MaskKind::Scl {
                    classes: vec![3, 8, 9, 10],
                },
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
        memory: 256_000_000,
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
    Ok(json!({
        "name": "raster-change",
        "scene": dir.join("scene-2024-06.tif").display().to_string(),
        "pixels": rep.pixels,
        "masked_share": rep.masked_share,
        "changed_ha": changed,
        "km2": rep.km2,
    }))
}

/// The demo's landscape metrics on the sample land cover (8-connectivity, edge depth 1).
pub fn demo_landscape(span: &mut Span, dir: &Path) -> Result<serde_json::Value> {
    use terrawatt_raster::landscape::{self, Nodata};
    let settings = landscape::Settings {
        input: dir.join("landcover-2023.tif"),
        band: BandSel::Index(1),
        nodata: Nodata::Band,
        connectivity: Connectivity::Eight,
        edge_depth: 1,
        count_boundary: false,
        memory: 256_000_000,
    };
    let rep = span.phase("landscape", |_| landscape::run(&settings, &|_, _| {}))?;
    let forest = rep.classes.iter().find(|c| c.class == Some(1));
    Ok(json!({
        "name": "landscape",
        "patches": rep.landscape.number_of_patches,
        "shannon_diversity": rep.landscape.shannon_diversity_index,
        "forest_mesh_ha": forest.map(|f| f.effective_mesh_size),
        "forest_core_ha": forest.map(|f| f.total_core_area),
        "km2": rep.km2,
    }))
}

/// The demo's forest loss: the sample's tree cover and loss years in its two zones (the
/// reserve and the corridor), canopy > 30 %, patches > 1 ha, 2000–2024.
pub fn demo_forest_loss(span: &mut Span, dir: &Path) -> Result<serde_json::Value> {
    use terrawatt_raster::forest_loss;
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
        memory: 256_000_000,
    };
    let rep = span.phase("forest-loss", |_| forest_loss::run(&settings, &|_, _| {}))?;
    let zones: Vec<serde_json::Value> = rep
        .results
        .iter()
        .zip(&rep.zones.zones)
        .map(|(r, z)| {
            let first = r.years.first().map_or(0.0, |y| y.forest_ha);
            let last = r.years.last().map_or(0.0, |y| y.forest_ha);
            json!({
                "name": z.attributes.first().map(|a| a.to_string()),
                "forest_2000_ha": first,
                "forest_2024_ha": last,
                "loss_ha": first - last,
                "years_with_loss": r.years.iter().filter(|y| y.loss_ha > 0.0).count(),
            })
        })
        .collect();
    Ok(json!({
        "name": "forest-loss",
        "zones": zones,
        "km2": rep.km2,
    }))
}

#[derive(Debug, Args)]
pub struct TransitionsArgs {
    /// The earlier class raster.
    #[arg(long, value_name = "FILE")]
    pub before: PathBuf,
    /// The later class raster (on the same grid, or warped with --align).
    #[arg(long, value_name = "FILE")]
    pub after: PathBuf,
    /// The band of both (index or description).
    #[arg(long, default_value = "1")]
    pub band: String,
    /// Warp the later raster onto the earlier one's grid: nearest or mode.
    #[arg(long, value_name = "RESAMPLING", num_args = 0..=1, default_missing_value = "nearest")]
    pub align: Option<String>,
    /// Cell areas on geographic grids: ellipsoid (WGS84 or the CRS's) or sphere.
    #[arg(long, default_value = "ellipsoid")]
    pub area: String,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
    /// Writes the transitions as CSV (from, to, cells, hectares); with --zones, a row per
    /// polygon and pair as .csv, .parquet or .gpkg.
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Per polygon: the polygons (any OGR source), weighted by exact coverage or --rule.
    #[arg(long, value_name = "FILE")]
    pub zones: Option<PathBuf>,
    #[command(flatten)]
    pub polygons: ZoneOptions,
}

/// How the polygons of --zones are read and weighed.
#[derive(Debug, Args)]
pub struct ZoneOptions {
    /// The layer of --zones (default: the first).
    #[arg(long, requires = "zones")]
    pub layer: Option<String>,
    /// The CRS of a --zones layer that declares none (e.g. EPSG:4326); refused when it
    /// declares one.
    #[arg(long, value_name = "CRS", requires = "zones")]
    pub zones_crs: Option<String>,
    /// Invalid geometries: repair (GEOS MakeValid, counted), skip (no cells, counted) or
    /// error.
    #[arg(long, default_value = "repair")]
    pub invalid: String,
    /// Cell weights: exact (the fraction of the cell inside, as exactextract) or centre (a
    /// cell is in when its centre is).
    #[arg(long, default_value = "exact")]
    pub rule: String,
    /// Only COUNT features of the layer from index START, in reading order (a task of a
    /// planned run).
    #[arg(long, value_name = "START,COUNT", requires = "zones")]
    pub features: Option<String>,
}

#[derive(Debug, Args)]
pub struct ZonalArgs {
    /// The raster.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// The band (index or description).
    #[arg(long, default_value = "1")]
    pub band: String,
    /// The polygons: any OGR source (GeoPackage, GeoJSON, Shapefile, …).
    #[arg(long, value_name = "FILE")]
    pub zones: PathBuf,
    #[command(flatten)]
    pub polygons: ZoneOptions,
    /// Which value is missing: `band` (the band's nodata value, the default), a value, or
    /// `none` (NaN is always missing).
    #[arg(long, default_value = "band")]
    pub nodata: String,
    /// Cell areas on geographic grids: ellipsoid (WGS84 or the CRS's) or sphere (radius
    /// 6,378,137 m, as exactextract).
    #[arg(long, default_value = "ellipsoid")]
    pub area: String,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
    /// The table written: .csv, .parquet, or .gpkg (the polygons with their attributes and
    /// the statistics).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ForestLossArgs {
    /// Hansen tree cover 2000 (canopy %, integer).
    #[arg(long, value_name = "FILE")]
    pub treecover: PathBuf,
    /// Hansen loss year (v = loss in 2000 + v; 0 = no loss), on the same grid.
    #[arg(long, value_name = "FILE")]
    pub lossyear: PathBuf,
    /// GFW gross emissions (Mg CO2e per cell), on the same grid.
    #[arg(long, value_name = "FILE")]
    pub emissions: Option<PathBuf>,
    /// The polygons: any OGR source (GeoPackage, GeoJSON, Shapefile, …).
    #[arg(long, value_name = "FILE")]
    pub zones: PathBuf,
    #[command(flatten)]
    pub polygons: ZoneOptions,
    /// Canopy threshold, %: a cell is forest when its cover is greater.
    #[arg(long, default_value_t = 30.0)]
    pub min_cover: f64,
    /// Minimum patch size (e.g. 1ha, 0.5ha, 5000m2; 0ha keeps every patch): patches of
    /// 4-connected forest larger than it are kept.
    #[arg(long, default_value = "1ha")]
    pub min_patch: String,
    /// Years reported, e.g. 2000-2023 (default: 2000 to the layer's GFC year, from its
    /// file name).
    #[arg(long)]
    pub years: Option<String>,
    /// Cell areas on geographic grids: ellipsoid (default) or sphere (radius 6,378,137 m,
    /// as mapme.biodiversity through exactextractr: ~0.5 % larger at 18° N).
    #[arg(long, default_value = "ellipsoid")]
    pub area: String,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
    /// The table (a row per polygon and year): .csv, .parquet or .gpkg.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A PNG of forest area over the years per polygon (the 8 largest).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LandscapeArgs {
    /// The class raster (integer values; a projected CRS in metres).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// The band (index or description).
    #[arg(long, default_value = "1")]
    pub band: String,
    /// Which value is nodata: `band` (the band's nodata value, the default), a value (e.g.
    /// 0, pylandstats' default), or `none`.
    #[arg(long, default_value = "band")]
    pub nodata: String,
    /// Patch connectivity: 8 (FRAGSTATS' and pylandstats' default) or 4.
    #[arg(long, default_value = "8")]
    pub connectivity: u8,
    /// Core area: cells farther than this many cells (4-neighbour steps) from an edge.
    #[arg(long, default_value_t = 1)]
    pub edge_depth: usize,
    /// Count edges against nodata and the raster's border as edge.
    #[arg(long)]
    pub count_boundary: bool,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
    /// Writes the metrics as CSV (one row per class, then the landscape).
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// Moving window instead: the width of a square window (e.g. 1km, 500m), centred on
    /// each cell; writes a raster per metric into --out-dir.
    #[arg(long, value_name = "LENGTH", requires = "out_dir")]
    pub window: Option<String>,
    /// Moving-window metrics: shdi, shei, te, ed, richness, pland:CLASS, and the patch
    /// metrics np, pd, lpi, area_mn, mesh (their cost grows with the window's area).
    #[arg(long, default_value = "shdi,shei,ed,richness", requires = "window")]
    pub metrics: String,
    /// The folder of the moving-window rasters (METRIC.tif; created if missing).
    #[arg(long, value_name = "DIR", requires = "window")]
    pub out_dir: Option<PathBuf>,
    /// Moving-window rasters: cog or gtiff.
    #[arg(long, default_value = "cog", requires = "window")]
    pub format: String,
}

/// Bands by role, from one file per band or a multi-band file.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// One file per band: the red band's (band 1 of it; FILE#N or FILE#DESCRIPTION for
    /// another band).
    #[arg(long, value_name = "FILE")]
    pub red: Option<String>,
    /// The nir band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(long, value_name = "FILE")]
    pub nir: Option<String>,
    /// The green band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(long, value_name = "FILE")]
    pub green: Option<String>,
    /// The blue band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(long, value_name = "FILE")]
    pub blue: Option<String>,
    /// The swir1 band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(long, value_name = "FILE")]
    pub swir1: Option<String>,
    /// The swir2 band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(long, value_name = "FILE")]
    pub swir2: Option<String>,
    /// Expression bands: NAME=FILE[#BAND], repeatable.
    #[arg(long = "band", value_name = "NAME=FILE")]
    pub named: Vec<String>,
}

/// Output, memory and reading options both commands share.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Output raster.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// cog (Cloud-Optimised GeoTIFF with overviews) or gtiff (tiled GeoTIFF).
    #[arg(long, default_value = "cog")]
    pub format: String,
    /// deflate, zstd or none.
    #[arg(long, default_value = "deflate")]
    pub compress: String,
    /// Compression level (DEFLATE 1–9, ZSTD 1–22) [default: 1].
    #[arg(long)]
    pub level: Option<u8>,
    /// Memory budget for the strips in flight (e.g. 1GB, 512MB).
    #[arg(long, default_value = "1GB")]
    pub memory: String,
    /// Scale and offset for every input band instead of the files' own (value = raw ×
    /// scale + offset), e.g. --scale 0.0001 for Sentinel-2 L1C/L2A digital numbers.
    #[arg(long)]
    pub scale: Option<f64>,
    /// The offset of that scaling (with --scale).
    #[arg(long, allow_hyphen_values = true)]
    pub offset: Option<f64>,
    /// any: a pixel missing in any input is missing (default); ignore: read nodata values
    /// as ordinary values.
    #[arg(long, default_value = "any")]
    pub nodata: String,
    /// Resampling of bands on another grid than the output's: nearest, bilinear, cubic,
    /// average, mode.
    #[arg(long, default_value = "nearest")]
    pub resampling: String,
    /// The output grid: that of this raster (e.g. a 20 m band to work at 20 m, with
    /// --resampling average); default the grid of the first band (of the before date).
    #[arg(long, value_name = "FILE")]
    pub grid: Option<PathBuf>,
    /// Only this window of the output grid, in pixels: COL,ROW,WIDTH,HEIGHT (a tile of a
    /// planned run; inputs on the grid are read as they are, never resampled).
    #[arg(long, value_name = "COL,ROW,WIDTH,HEIGHT")]
    pub window: Option<String>,
}

/// The output grid: --grid's or the first band's, cut to --window; `None` when neither is
/// given (the first band's grid, whole).
fn out_grid(c: &CommonArgs, first: &Path) -> Result<Option<Grid>> {
    let grid = c.grid.as_deref().map(Grid::of_file).transpose()?;
    let Some(w) = &c.window else {
        return Ok(grid);
    };
    let v: Vec<usize> = w
        .split(',')
        .map(|x| x.trim().parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .ok()
        .filter(|v: &Vec<usize>| v.len() == 4)
        .ok_or_else(|| anyhow!("--window '{w}': expected COL,ROW,WIDTH,HEIGHT in pixels"))?;
    let full = match grid {
        Some(g) => g,
        None => Grid::of_file(first)?,
    };
    Ok(Some(
        full.window((v[0], v[1]), (v[2], v[3]))
            .map_err(|e| anyhow!("--window {w}: {e}"))?,
    ))
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// ndvi, nbr, ndmi, ndwi, evi or savi.
    #[arg(long, conflicts_with = "expr")]
    pub index: Option<String>,
    /// A band-math expression, e.g. "(b8-b4)/(b8+b4)"; names are --band NAME=FILE, or bN
    /// for band N of --input.
    #[arg(long)]
    pub expr: Option<String>,
    /// A multi-band file; --bands maps roles to its bands.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Roles of --input's bands, e.g. red=3,nir=4 (index or description).
    #[arg(long, value_delimiter = ',', value_name = "ROLE=BAND")]
    pub bands: Vec<String>,
    #[command(flatten)]
    pub roles: RoleArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// ndvi, nbr, ndmi, ndwi, evi or savi: the index differenced between the dates.
    #[arg(long, conflicts_with_all = ["expr", "method"])]
    pub index: Option<String>,
    /// A band-math expression instead of an index (bN: band N of --before/--after), computed
    /// for each date and differenced as an index is.
    #[arg(long, conflicts_with = "method")]
    pub expr: Option<String>,
    /// cva (change vector analysis) or irmad (iteratively reweighted MAD, Nielsen 2007) over
    /// the bands of --before/--after (or --cva-bands), or of per-band files
    /// (--before-blue … --after-swir2, the same roles for both dates).
    #[arg(long)]
    pub method: Option<String>,
    /// CVA: centre each band's difference on its mean and divide by its standard deviation.
    #[arg(long)]
    pub standardize: bool,
    /// CVA: make the dates comparable first: none, zscore (each date's band standardised),
    /// histogram (after matched to before) or pif (after mapped onto before over IR-MAD's
    /// invariant pixels).
    #[arg(long, default_value = "none")]
    pub normalize: String,
    /// IR-MAD: the most iterations.
    #[arg(long, default_value_t = 200)]
    pub max_iterations: usize,
    /// IR-MAD: stop when no canonical correlation moves by this much.
    #[arg(long, default_value_t = 1e-6)]
    pub tolerance: f64,
    /// IR-MAD: the scale of the MAD variates in the chi-square statistic: robust (median
    /// absolute deviation over the pixels; the chi-square quantiles hold for unchanged
    /// pixels) or canonical (Nielsen 2007's sqrt(2(1 − ρ)), which over-flags).
    #[arg(long, default_value = "robust")]
    pub mad_scale: String,
    /// Bands for CVA and IR-MAD (index or description), default all.
    #[arg(long, value_delimiter = ',')]
    pub cva_bands: Vec<String>,
    /// Multi-band files of the two dates; --bands maps roles to their bands.
    #[arg(long, value_name = "FILE")]
    pub before: Option<PathBuf>,
    /// The after date's multi-band file (--bands maps its roles as for --before).
    #[arg(long, value_name = "FILE")]
    pub after: Option<PathBuf>,
    /// Roles of the multi-band files' bands, e.g. red=B04,nir=B08 (index or description).
    #[arg(long, value_delimiter = ',', value_name = "ROLE=BAND")]
    pub bands: Vec<String>,
    /// One file per band and date: the red band of the before date (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub before_red: Option<String>,
    /// The nir band of the before date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub before_nir: Option<String>,
    /// The green band of the before date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub before_green: Option<String>,
    /// The blue band of the before date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub before_blue: Option<String>,
    /// The swir1 band of the before date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub before_swir1: Option<String>,
    /// The swir2 band of the before date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub before_swir2: Option<String>,
    /// The red band of the after date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub after_red: Option<String>,
    /// The nir band of the after date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub after_nir: Option<String>,
    /// The green band of the after date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub after_green: Option<String>,
    /// The blue band of the after date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub after_blue: Option<String>,
    /// The swir1 band of the after date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub after_swir1: Option<String>,
    /// The swir2 band of the after date, its own file (FILE or FILE#BAND).
    #[arg(long, value_name = "FILE")]
    pub after_swir2: Option<String>,
    /// Which way: after-minus-before (default; dNDVI) or before-minus-after (default for
    /// nbr: dNBR).
    #[arg(long)]
    pub difference: Option<String>,
    /// RdNBR: the difference over sqrt(|before's index|).
    #[arg(long)]
    pub relative: bool,
    /// otsu, ki (Kittler–Illingworth minimum error), em (two-Gaussian mixture, Bayes
    /// boundary), kmeans or kmeans:3, chi2:P (IR-MAD: the chi-square quantile, e.g.
    /// chi2:0.99), a value, or classes (dNBR severity; the default for nbr). Default otsu;
    /// chi2:0.99 for irmad.
    #[arg(long, allow_hyphen_values = true)]
    pub threshold: Option<String>,
    /// Histogram bins of the otsu, ki, em and kmeans thresholds.
    #[arg(long, default_value_t = 256)]
    pub bins: usize,
    /// Warn when more than this share of the valid pixels is classed as change (0 to 1).
    #[arg(long, default_value_t = 0.2)]
    pub max_change_share: f64,
    /// Refuse (no output) instead of warning when the checks find the threshold implausible.
    #[arg(long)]
    pub strict: bool,
    /// Change is above or below the threshold (default: below for an index difference
    /// after − before, above otherwise).
    #[arg(long)]
    pub direction: Option<String>,
    /// Sentinel-2 scene classification of each date; --scl-classes masked (default
    /// 3,8,9,10).
    #[arg(long, value_name = "FILE")]
    pub scl_before: Option<String>,
    /// The after date's scene classification.
    #[arg(long, value_name = "FILE")]
    pub scl_after: Option<String>,
    /// SCL classes masked: 3 cloud shadow, 8–9 cloud, 10 cirrus by default.
    #[arg(long, value_delimiter = ',', default_values_t = [3i64, 8, 9, 10])]
    pub scl_classes: Vec<i64>,
    /// Landsat QA_PIXEL of each date; --qa-bits masked (default 1,2,3,4).
    #[arg(long, value_name = "FILE")]
    pub qa_before: Option<String>,
    /// The after date's QA_PIXEL.
    #[arg(long, value_name = "FILE")]
    pub qa_after: Option<String>,
    /// QA_PIXEL bits masked: 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow by default.
    #[arg(long, value_delimiter = ',', default_values_t = [1u32, 2, 3, 4])]
    pub qa_bits: Vec<u32>,
    /// A mask raster of each date (non-zero masked).
    #[arg(long, value_name = "FILE")]
    pub mask_before: Option<String>,
    /// The after date's mask raster.
    #[arg(long, value_name = "FILE")]
    pub mask_after: Option<String>,
    /// Grow masks by this many pixels.
    #[arg(long, default_value_t = 0)]
    pub mask_buffer: usize,
    /// Minimum mapping unit: 0.5ha, 5000m2, 0.01km2, or pixels (5px, also without a CRS);
    /// patches smaller are merged into their largest neighbour.
    #[arg(long)]
    pub mmu: Option<String>,
    /// Connectivity of patches: 4 or 8.
    #[arg(long, default_value_t = 4)]
    pub connectivity: u8,
    /// Warp the after date onto the before date's grid when they differ, with this
    /// resampling (default nearest).
    #[arg(long, num_args = 0..=1, default_missing_value = "nearest")]
    pub align: Option<String>,
    /// Pixel areas on geographic grids: ellipsoid (default) or sphere.
    #[arg(long, default_value = "ellipsoid")]
    pub area: String,
    /// The class map alone as a byte GeoTIFF (255 missing).
    #[arg(long, value_name = "FILE")]
    pub classes_out: Option<PathBuf>,
    /// CSV of area per class.
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// PNG quicklook: the value before and after (the index, or CVA's first band) and the
    /// classes, with a legend.
    #[arg(long, value_name = "FILE")]
    pub quicklook: Option<PathBuf>,
    /// Change values only (band 2 left empty; no threshold, no classes): a tile of a planned
    /// run whose merge thresholds and classifies the whole image (Otsu, --mmu).
    #[arg(long, conflicts_with_all = ["classes_out", "table", "quicklook"])]
    pub defer_classes: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// "FILE" or "FILE#BAND".
fn band_ref(s: &str, scale: Option<f64>, offset: Option<f64>) -> BandSpec {
    let (path, band) = match s.rsplit_once('#') {
        Some((p, b)) if !b.is_empty() => (p, BandSel::parse(b)),
        _ => (s, BandSel::Index(1)),
    };
    BandSpec {
        path: PathBuf::from(path),
        band,
        scale,
        offset,
    }
}

/// "512MB", "1GB", "2G", plain bytes.
pub fn parse_bytes(s: &str) -> Result<u64> {
    let t = s.trim().to_ascii_uppercase();
    let (num, mult) = [
        ("GB", 1e9),
        ("G", 1e9),
        ("MB", 1e6),
        ("M", 1e6),
        ("KB", 1e3),
        ("K", 1e3),
        ("B", 1.0),
    ]
    .iter()
    .find_map(|(suf, m)| t.strip_suffix(suf).map(|n| (n.trim().to_string(), *m)))
    .unwrap_or((t.clone(), 1.0));
    let v: f64 = num
        .parse()
        .map_err(|_| anyhow!("--memory '{s}': expected a size such as 1GB or 512MB"))?;
    if v.is_nan() || v <= 0.0 {
        bail!("--memory '{s}' must be positive");
    }
    Ok((v * mult) as u64)
}

/// "0.5ha", "5000m2", "0.01km2" → m².
/// An area with its unit (km2, ha, m2) in m², for the option `flag`; zero allowed when
/// `zero_ok`.
pub fn parse_area(flag: &str, s: &str, zero_ok: bool) -> Result<f64> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = [("km2", 1e6), ("ha", 1e4), ("m2", 1.0)]
        .iter()
        .find_map(|(suf, m)| t.strip_suffix(suf).map(|n| (n.trim().to_string(), *m)))
        .ok_or_else(|| anyhow!("{flag} '{s}': give a unit, e.g. 0.5ha, 5000m2 or 0.01km2"))?;
    let v: f64 = num
        .parse()
        .map_err(|_| anyhow!("{flag} '{s}': '{num}' is not a number"))?;
    if v.is_nan() || v < 0.0 || (v == 0.0 && !zero_ok) {
        bail!(
            "{flag} '{s}' must be {}",
            if zero_ok { "zero or more" } else { "positive" }
        );
    }
    Ok(v * mult)
}

fn output(c: &CommonArgs) -> Result<OutputSpec> {
    Ok(OutputSpec {
        path: c.out.clone(),
        format: match c.format.as_str() {
            "cog" => Format::Cog,
            "gtiff" | "geotiff" => Format::GTiff,
            o => bail!("--format '{o}': expected cog or gtiff"),
        },
        level: c.level,
        compression: Compression::parse(&c.compress).ok_or_else(|| {
            anyhow!(
                "--compress '{}': expected deflate, zstd or none",
                c.compress
            )
        })?,
    })
}

fn resampling(s: &str, flag: &str) -> Result<Resampling> {
    Resampling::parse(s).ok_or_else(|| {
        anyhow!("--{flag} '{s}': expected nearest, bilinear, cubic, average or mode")
    })
}

fn nodata_rule(s: &str) -> Result<NodataRule> {
    match s {
        "any" => Ok(NodataRule::Any),
        "ignore" => Ok(NodataRule::Ignore),
        o => bail!("--nodata '{o}': expected any or ignore"),
    }
}

fn formula(index: &Option<String>, expr: &Option<String>) -> Result<Option<Formula>> {
    Ok(match (index, expr) {
        (Some(i), None) => Some(Formula::Index(Index::parse(i).ok_or_else(|| {
            anyhow!("--index '{i}': expected one of ndvi, nbr, ndmi, ndwi, evi, savi")
        })?)),
        (None, Some(e)) => Some(Formula::Expr(Expr::parse(e)?)),
        (None, None) => None,
        _ => bail!("give --index or --expr, not both"),
    })
}

/// The band of each role: --input/--before with --bands role=BAND (bN for band N of the file
/// in expressions), or a per-role file.
fn role_specs(
    roles: &[String],
    file: Option<&Path>,
    map: &[String],
    per_role: &dyn Fn(&str) -> Option<String>,
    flag_prefix: &str,
    c: &CommonArgs,
) -> Result<Vec<BandSpec>> {
    let mut mapped = std::collections::HashMap::new();
    for m in map {
        let (r, b) = m
            .split_once('=')
            .ok_or_else(|| anyhow!("--bands '{m}': expected ROLE=BAND, e.g. red=3"))?;
        mapped.insert(r.trim().to_ascii_lowercase(), BandSel::parse(b.trim()));
    }
    roles
        .iter()
        .map(|role| {
            if let Some(f) = per_role(role) {
                return Ok(band_ref(&f, c.scale, c.offset));
            }
            if let Some(file) = file {
                let band = match mapped.get(role) {
                    Some(b) => b.clone(),
                    None => match role.strip_prefix('b').and_then(|n| n.parse::<usize>().ok()) {
                        Some(n) => BandSel::Index(n),
                        None => bail!(
                            "which band of {} is '{role}'? give --bands {role}=N",
                            file.display()
                        ),
                    },
                };
                return Ok(BandSpec {
                    path: file.to_path_buf(),
                    band,
                    scale: c.scale,
                    offset: c.offset,
                });
            }
            bail!("no input for band '{role}': give --{flag_prefix}{role} FILE (or a multi-band file with --bands)")
        })
        .collect()
}

/// The per-role file of a date (--before-red, --after-nir, …).
fn date_role(a: &ChangeArgs, before: bool, role: &str) -> Option<String> {
    let (b, f) = match role {
        "red" => (&a.before_red, &a.after_red),
        "nir" => (&a.before_nir, &a.after_nir),
        "green" => (&a.before_green, &a.after_green),
        "blue" => (&a.before_blue, &a.after_blue),
        "swir1" => (&a.before_swir1, &a.after_swir1),
        "swir2" => (&a.before_swir2, &a.after_swir2),
        _ => return None,
    };
    if before { b.clone() } else { f.clone() }
}

fn tmp_dir(out: &Path) -> Result<tempfile::TempDir> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".terrawatt-warp-")
        .tempdir_in(dir)
        .or_else(|_| tempfile::tempdir())
        .context("a temporary folder for warped bands")
}

/// Runs a raster task as the phase `name` with a progress bar over its rows.
fn with_progress<T>(
    span: &mut Span,
    ctx: &Ctx,
    name: &str,
    f: impl FnOnce(&(dyn Fn(u64, u64) + Sync)) -> terrawatt_raster::Result<T>,
) -> Result<T> {
    let bar = ctx.progress(0, name);
    let out = span.phase(name, |_| {
        f(&|d, t| {
            bar.set_length(t);
            bar.set_position(d);
        })
    })?;
    bar.finish_and_clear();
    Ok(out)
}

fn area_method(s: &str) -> Result<AreaMethod> {
    match s {
        "ellipsoid" => Ok(AreaMethod::Ellipsoid),
        "sphere" => Ok(AreaMethod::Sphere),
        o => bail!("--area '{o}': expected ellipsoid or sphere"),
    }
}

fn zone_source(path: &Path, a: &ZoneOptions) -> Result<(zonal::ZoneSource, zonal::Rule)> {
    use terrawatt_raster::zones::Invalid;
    let invalid = match a.invalid.as_str() {
        "repair" => Invalid::Repair,
        "skip" => Invalid::Skip,
        "error" => Invalid::Error,
        o => bail!("--invalid '{o}': expected repair, skip or error"),
    };
    let rule = match a.rule.as_str() {
        "exact" => zonal::Rule::Exact,
        "centre" | "center" => zonal::Rule::Centre,
        o => bail!("--rule '{o}': expected exact or centre"),
    };
    let part = match &a.features {
        None => None,
        Some(f) => {
            let v: Vec<usize> = f
                .split(',')
                .map(|x| x.trim().parse::<usize>())
                .collect::<std::result::Result<_, _>>()
                .ok()
                .filter(|v: &Vec<usize>| v.len() == 2 && v[1] > 0)
                .ok_or_else(|| {
                    anyhow!("--features '{f}': expected START,COUNT (COUNT at least 1)")
                })?;
            Some((v[0], v[1]))
        }
    };
    Ok((
        zonal::ZoneSource {
            path: path.to_path_buf(),
            layer: a.layer.clone(),
            crs: a.zones_crs.clone(),
            invalid,
            keep_geometry: false,
            part,
        },
        rule,
    ))
}

/// Whether a zone table goes to a GeoPackage (the polygons are then kept to be written).
fn is_gpkg(out: Option<&Path>) -> bool {
    out.and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
}

/// The output format of a zone table, from its extension.
fn zone_output(out: &Path, inputs: &[&Path]) -> Result<()> {
    check_output(out, inputs)?;
    match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv" | "parquet" | "gpkg") => Ok(()),
        _ => bail!(
            "{}: the table is written as .csv, .parquet or .gpkg (by its extension)",
            out.display()
        ),
    }
}

/// Writes a zone table as CSV, Parquet or GeoPackage (by extension), as the phase `write`.
fn write_zone_table(
    span: &mut Span,
    path: &Path,
    table: &ZoneTable,
    zones: &terrawatt_raster::zones::Zones,
    layer: &str,
) -> Result<()> {
    use terrawatt_raster::zones::{Kind, Value};
    use terrawatt_table::OutColumn;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    span.phase("write", |_| -> Result<()> {
        match ext.as_str() {
            "gpkg" => table.write_gpkg(path, layer, zones)?,
            "parquet" => {
                let cols = table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(j, (name, kind))| {
                        let col = table.rows.iter().map(|r| &r[j]);
                        let c = match kind {
                            Kind::Int => OutColumn::Int(
                                col.map(|v| match v {
                                    Value::Int(x) => Some(*x),
                                    _ => None,
                                })
                                .collect(),
                            ),
                            Kind::Real => OutColumn::Real(
                                col.map(|v| match v {
                                    Value::Real(x) if !x.is_nan() => Some(*x),
                                    Value::Int(x) => Some(*x as f64),
                                    _ => None,
                                })
                                .collect(),
                            ),
                            Kind::Text => OutColumn::Text(
                                col.map(|v| match v {
                                    Value::Null => None,
                                    v => Some(v.to_string()),
                                })
                                .collect(),
                            ),
                        };
                        (name.clone(), c)
                    })
                    .collect();
                terrawatt_table::write_parquet_columns(path, cols)?
            }
            _ => terrawatt_meter::write_atomic(path, table.to_csv().as_bytes())?,
        }
        Ok(())
    })
    .with_context(|| format!("writing {}", path.display()))
}

/// The zones' summary line: features, CRS, repairs.
/// A zone's status in tables: valid, repaired, skipped (invalid), empty, or outside (its
/// polygon reaches no cell).
fn zone_status(z: &terrawatt_raster::zones::Zones, i: usize, outside: bool) -> String {
    use terrawatt_raster::zones::Status;
    match (z.zones[i].status, outside) {
        (Status::Skipped, _) => "skipped".into(),
        (Status::Empty, _) => "empty".into(),
        (_, true) => "outside".into(),
        (Status::Repaired, false) => "repaired".into(),
        (Status::Valid, false) => "valid".into(),
    }
}

/// A zone's label: its `name` attribute where the layer has one (any case), else its fid.
fn zone_label(z: &terrawatt_raster::zones::Zones, i: usize) -> String {
    use terrawatt_raster::zones::Value;
    let zone = &z.zones[i];
    let field = z
        .fields
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("name"));
    match field.map(|k| &zone.attributes[k]) {
        Some(Value::Text(t)) if !t.is_empty() => t.clone(),
        _ => zone
            .fid
            .map_or(format!("#{}", i + 1), |f| format!("fid {f}")),
    }
}

fn zones_line(z: &terrawatt_raster::zones::Zones, outside: usize) -> String {
    let mut why = String::new();
    for (i, zone) in z.zones.iter().enumerate() {
        if let Some(r) = &zone.reason {
            if why.lines().count() == 5 {
                why.push_str("\n  …");
                break;
            }
            let what = format!("{:?}", zone.status).to_ascii_lowercase();
            why.push_str(&format!("\n  {what} {}: {r}", zone_label(z, i)));
        }
    }
    format!("{}{why}", zones_summary(z, outside))
}

fn zones_summary(z: &terrawatt_raster::zones::Zones, outside: usize) -> String {
    format!(
        "{} zone(s) from {} (layer '{}', {}); repaired {}, skipped (invalid) {}, empty {}, outside the raster {}",
        z.features,
        z.path.display(),
        z.layer,
        z.crs,
        z.repaired,
        z.skipped,
        z.empty,
        outside
    )
}

pub fn zonal(span: &mut Span, ctx: &Ctx, a: &ZonalArgs) -> Result<Outcome> {
    use terrawatt_raster::zones::{Kind, Value};
    let (mut zones, rule) = zone_source(&a.zones, &a.polygons)?;
    zones.keep_geometry = is_gpkg(a.out.as_deref());
    let missing = match a.nodata.to_ascii_lowercase().as_str() {
        "band" => zonal::Missing::Band,
        "none" => zonal::Missing::None,
        v => zonal::Missing::Value(
            v.parse()
                .map_err(|_| anyhow!("--nodata '{v}': expected band, none or a number"))?,
        ),
    };
    if let Some(o) = &a.out {
        zone_output(o, &[a.input.as_path(), a.zones.as_path()])?;
    }
    let settings = zonal::Settings {
        raster: a.input.clone(),
        band: BandSel::parse(&a.band),
        missing,
        zones,
        rule,
        area: area_method(&a.area)?,
        memory: parse_bytes(&a.memory)?,
    };
    let rep = with_progress(span, ctx, "zonal", |progress| {
        zonal::run(&settings, progress)
    })?;
    let classes: std::collections::BTreeSet<i64> = rep
        .stats
        .iter()
        .flat_map(|s| s.classes.iter().map(|c| c.value))
        .collect();
    let mut more: Vec<(String, Kind)> = [
        ("cells", Kind::Int),
        ("count", Kind::Real),
        ("sum", Kind::Real),
        ("mean", Kind::Real),
        ("min", Kind::Real),
        ("max", Kind::Real),
        ("stdev", Kind::Real),
        ("variance", Kind::Real),
        ("majority", Kind::Int),
        ("minority", Kind::Int),
        ("area_ha", Kind::Real),
        ("missing_cells", Kind::Int),
        ("missing_ha", Kind::Real),
        ("status", Kind::Text),
    ]
    .iter()
    .map(|(n, k)| (n.to_string(), *k))
    .collect();
    more.extend(classes.iter().map(|c| (format!("ha_{c}"), Kind::Real)));
    let more_ref: Vec<(&str, Kind)> = more.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    let mut table = ZoneTable::new(&rep.zones, &more_ref);
    let real = |v: Option<f64>| v.map_or(Value::Null, Value::Real);
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
    for (i, s) in rep.stats.iter().enumerate() {
        let status = zone_status(&rep.zones, i, s.outside);
        let mut v = vec![
            Value::Int(s.cells as i64),
            Value::Real(s.count),
            Value::Real(s.sum),
            real(s.mean),
            real(s.min),
            real(s.max),
            real(s.stdev),
            real(s.variance),
            int(s.majority),
            int(s.minority),
            Value::Real(s.hectares),
            Value::Int(s.missing_cells as i64),
            Value::Real(s.missing_hectares),
            Value::Text(status),
        ];
        for c in &classes {
            v.push(Value::Real(
                s.classes
                    .iter()
                    .find(|x| x.value == *c)
                    .map_or(0.0, |x| x.hectares),
            ));
        }
        table.push(&rep.zones, i, v);
    }
    if let Some(o) = &a.out {
        write_zone_table(span, o, &table, &rep.zones, "zonal")?;
    }
    let mut text = String::new();
    writeln!(text, "{}", zones_line(&rep.zones, rep.outside))?;
    writeln!(
        text,
        "{} band {} ({}), nodata {}, {} weights, areas on the {}",
        rep.raster.display(),
        rep.band,
        rep.crs,
        rep.nodata.map_or("none".into(), |v| v.to_string()),
        if rep.rule == zonal::Rule::Exact {
            "exact coverage"
        } else {
            "cell-centre"
        },
        if settings.area == AreaMethod::Sphere {
            "sphere"
        } else {
            "ellipsoid"
        }
    )?;
    writeln!(
        text,
        "{:>12} {:>12} {:>14} {:>10} {:>10} {:>10} {:>10} {:>9} {:>12} {:>8}",
        "zone", "count", "sum", "mean", "min", "max", "stdev", "majority", "area ha", "missing"
    )?;
    let f = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.4}"));
    for (i, s) in rep.stats.iter().enumerate().take(20) {
        writeln!(
            text,
            "{:>12} {:>12.4} {:>14.4} {:>10} {:>10} {:>10} {:>10} {:>9} {:>12.4} {:>8}",
            zone_label(&rep.zones, i),
            s.count,
            s.sum,
            f(s.mean),
            f(s.min),
            f(s.max),
            f(s.stdev),
            s.majority.map_or("-".into(), |m| m.to_string()),
            s.hectares,
            s.missing_cells
        )?;
    }
    if rep.stats.len() > 20 {
        writeln!(text, "… {} more zones in the table", rep.stats.len() - 20)?;
    }
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "table": a.out, "zonal": rep }),
        text,
        unit: Some(FunctionalUnit::new("km² processed", km2)),
    })
}

/// The GFC version year in a Hansen file name ("…GFC-2023-v1.11…").
fn gfc_year(p: &Path) -> Option<i32> {
    let name = p.file_name()?.to_str()?;
    let i = name.find("GFC-")? + 4;
    name.get(i..i + 4)?.parse().ok()
}

fn years_of(a: &ForestLossArgs) -> Result<(i32, i32)> {
    let last = gfc_year(&a.lossyear);
    let (y0, y1) = match &a.years {
        None => match last {
            Some(y) => (2000, y),
            None => bail!(
                "{}: the file name does not say its GFC version (GFC-YYYY); give --years, e.g. 2000-2023",
                a.lossyear.display()
            ),
        },
        Some(s) => {
            let (p, q) = s
                .split_once('-')
                .ok_or_else(|| anyhow!("--years '{s}': expected FIRST-LAST, e.g. 2000-2023"))?;
            let y0: i32 = p
                .trim()
                .parse()
                .map_err(|_| anyhow!("--years '{s}': '{p}' is not a year"))?;
            let y1: i32 = q
                .trim()
                .parse()
                .map_err(|_| anyhow!("--years '{s}': '{q}' is not a year"))?;
            (y0, y1)
        }
    };
    if let Some(l) = last
        && y1 > l
    {
        bail!(
            "--years {y0}-{y1}: {} records loss up to {l} only (GFC-{l})",
            a.lossyear.display()
        );
    }
    Ok((y0, y1))
}

pub fn forest_loss(span: &mut Span, ctx: &Ctx, a: &ForestLossArgs) -> Result<Outcome> {
    use terrawatt_raster::forest_loss;
    use terrawatt_raster::zones::{Kind, Value};
    let (mut zones, rule) = zone_source(&a.zones, &a.polygons)?;
    zones.keep_geometry = is_gpkg(a.out.as_deref());
    let years = years_of(a)?;
    let mut inputs = vec![
        a.treecover.as_path(),
        a.lossyear.as_path(),
        a.zones.as_path(),
    ];
    if let Some(e) = &a.emissions {
        inputs.push(e.as_path());
    }
    if let Some(o) = &a.out {
        zone_output(o, &inputs)?;
    }
    if let Some(p) = &a.plot {
        check_output(p, &inputs)?;
    }
    let settings = forest_loss::Settings {
        treecover: a.treecover.clone(),
        lossyear: a.lossyear.clone(),
        emissions: a.emissions.clone(),
        zones,
        min_cover: a.min_cover,
        min_patch_m2: parse_area("--min-patch", &a.min_patch, true)?,
        years,
        rule,
        area: area_method(&a.area)?,
        memory: parse_bytes(&a.memory)?,
    };
    let rep = with_progress(span, ctx, "forest loss", |progress| {
        forest_loss::run(&settings, progress)
    })?;
    let mut table = ZoneTable::new(
        &rep.zones,
        &[
            ("year", Kind::Int),
            ("forest_ha", Kind::Real),
            ("loss_ha", Kind::Real),
            ("emissions_mg_co2e", Kind::Real),
            ("status", Kind::Text),
        ],
    );
    for (i, z) in rep.results.iter().enumerate() {
        let status = zone_status(&rep.zones, i, z.outside);
        for y in &z.years {
            table.push(
                &rep.zones,
                i,
                vec![
                    Value::Int(y.year.into()),
                    Value::Real(y.forest_ha),
                    Value::Real(y.loss_ha),
                    y.emissions_mg.map_or(Value::Null, Value::Real),
                    Value::Text(status.clone()),
                ],
            );
        }
    }
    if let Some(o) = &a.out {
        write_zone_table(span, o, &table, &rep.zones, "forest_loss")?;
    }
    let name = |i: usize| zone_label(&rep.zones, i);
    if let Some(p) = &a.plot {
        let mut order: Vec<usize> = (0..rep.results.len()).collect();
        order.sort_by(|&x, &y| {
            let f = |k: usize| rep.results[k].years.first().map_or(0.0, |y| y.forest_ha);
            f(y).total_cmp(&f(x))
        });
        let x: Vec<f64> = (years.0..=years.1).map(f64::from).collect();
        let series: Vec<(String, Vec<f64>)> = order
            .iter()
            .take(8)
            .map(|&i| {
                (
                    name(i),
                    rep.results[i].years.iter().map(|y| y.forest_ha).collect(),
                )
            })
            .collect();
        span.phase("plot", |_| {
            crate::plot::lines(
                p,
                crate::plot::Axes {
                    title: &format!(
                        "Forest area (canopy > {} %, patches > {} ha)",
                        a.min_cover, rep.min_patch_ha
                    ),
                    x: "year",
                    y: "forest (ha)",
                },
                &x,
                &series,
            )
        })
        .with_context(|| format!("writing {}", p.display()))?;
    }
    let mut text = String::new();
    writeln!(text, "{}", zones_line(&rep.zones, rep.outside))?;
    for r in &rep.rules {
        writeln!(text, "  · {r}")?;
    }
    for (i, z) in rep.results.iter().enumerate().take(20) {
        let (first, last) = (z.years.first(), z.years.last());
        let (Some(first), Some(last)) = (first, last) else {
            continue;
        };
        let loss: f64 = z
            .years
            .iter()
            .skip(1)
            .map(|y| y.loss_ha)
            .fold(0.0, |a, b| a + b);
        let em: Option<f64> = z
            .years
            .iter()
            .skip(1)
            .map(|y| y.emissions_mg)
            .sum::<Option<f64>>();
        writeln!(
            text,
            "{}: forest {:.2} ha in {} → {:.2} ha in {} (lost {:.2} ha, {:.2} %{}); {} of {} patches kept",
            name(i),
            first.forest_ha,
            first.year,
            last.forest_ha,
            last.year,
            loss,
            if first.forest_ha > 0.0 {
                100.0 * loss / first.forest_ha
            } else {
                0.0
            },
            em.map_or(String::new(), |e| format!(", {e:.1} Mg CO2e")),
            z.patches_kept,
            z.patches
        )?;
    }
    if rep.results.len() > 20 {
        writeln!(text, "… {} more zones in the table", rep.results.len() - 20)?;
    }
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "table": a.out, "plot": a.plot, "forest_loss": rep }),
        text,
        unit: Some(FunctionalUnit::new("km² processed", km2)),
    })
}

/// Writes a CSV table atomically, as the phase `write`.
fn write_table(span: &mut Span, path: &Path, csv: &str) -> Result<()> {
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(path, csv.as_bytes())
    })
    .with_context(|| format!("writing {}", path.display()))
}

fn inputs_of(specs: &[BandSpec]) -> Vec<&Path> {
    specs.iter().map(|s| s.path.as_path()).collect()
}

/// The formula and the bands an index run reads, from its options.
fn index_inputs(a: &IndexArgs) -> Result<(Formula, Vec<BandSpec>)> {
    let f = formula(&a.index, &a.expr)?
        .ok_or_else(|| anyhow!("give --index NAME or --expr EXPRESSION"))?;
    let roles = f.roles();
    let named: Vec<(String, String)> = a
        .roles
        .named
        .iter()
        .map(|n| {
            n.split_once('=')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.to_string()))
                .ok_or_else(|| anyhow!("--band '{n}': expected NAME=FILE"))
        })
        .collect::<Result<_>>()?;
    let r = &a.roles;
    let per_role = |role: &str| -> Option<String> {
        match role {
            "red" => r.red.clone(),
            "nir" => r.nir.clone(),
            "green" => r.green.clone(),
            "blue" => r.blue.clone(),
            "swir1" => r.swir1.clone(),
            "swir2" => r.swir2.clone(),
            _ => None,
        }
        .or_else(|| {
            named
                .iter()
                .find(|(k, _)| k == role)
                .map(|(_, v)| v.clone())
        })
    };
    let specs = role_specs(
        &roles,
        a.input.as_deref(),
        &a.bands,
        &per_role,
        "",
        &a.common,
    )?;
    Ok((f, specs))
}

/// For a tiled run: the whole output grid and the input files of an index run (every
/// output pixel depends on its own input pixels alone).
pub fn index_tiling(a: &IndexArgs) -> Result<(Grid, Vec<PathBuf>)> {
    let (_, specs) = index_inputs(a)?;
    let grid = match &a.common.grid {
        Some(g) => Grid::of_file(g)?,
        None => Grid::of_file(&specs[0].path)?,
    };
    let mut inputs: Vec<PathBuf> = vec![];
    for p in inputs_of(&specs) {
        if !inputs.iter().any(|q| q == p) {
            inputs.push(p.to_path_buf());
        }
    }
    Ok((grid, inputs))
}

pub fn index(span: &mut Span, ctx: &Ctx, a: &IndexArgs) -> Result<Outcome> {
    let (f, specs) = index_inputs(a)?;
    let out = output(&a.common)?;
    check_output(&out.path, &inputs_of(&specs))?;
    let memory = parse_bytes(&a.common.memory)?;
    let how = resampling(&a.common.resampling, "resampling")?;
    let ignore = nodata_rule(&a.common.nodata)? == NodataRule::Ignore;
    let grid = out_grid(&a.common, &specs[0].path)?;
    let tmp = tmp_dir(&out.path)?;
    let rep = with_progress(span, ctx, "index", |progress| {
        terrawatt_raster::index::run(
            &f,
            &specs,
            grid.as_ref(),
            ignore,
            how,
            memory,
            &out,
            tmp.path(),
            progress,
        )
    })?;
    let mut text = String::new();
    writeln!(
        text,
        "{}: {} of {} × {} pixels ({}, {:.2} km²) → {}",
        rep.formula,
        a.common.format,
        rep.grid.width,
        rep.grid.height,
        rep.crs,
        rep.km2,
        out.path.display()
    )?;
    writeln!(
        text,
        "valid {} ({:.1} %), missing {}; min {:.4}, mean {:.4}, max {:.4}",
        rep.valid,
        100.0 * rep.valid as f64 / rep.pixels as f64,
        rep.missing,
        rep.min,
        rep.mean,
        rep.max
    )?;
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "out": out, "index": rep }),
        text,
        unit: km2
            .is_finite()
            .then(|| FunctionalUnit::new("km² processed", km2)),
    })
}

/// What a change run reads and how it decides, from its options.
struct ChangeInputs {
    method: Method,
    difference: Difference,
    threshold: Threshold,
    direction: Direction,
    before: Vec<BandSpec>,
    after: Vec<BandSpec>,
    mask_before: Option<(BandSpec, MaskKind)>,
    mask_after: Option<(BandSpec, MaskKind)>,
}

fn change_inputs(a: &ChangeArgs) -> Result<ChangeInputs> {
    let c = &a.common;
    let f = formula(&a.index, &a.expr)?;
    let method = match (&a.method, &f) {
        (Some(m), None) if m == "cva" => Method::Cva {
            standardize: a.standardize,
        },
        (Some(m), None) if m == "irmad" => Method::Irmad {
            max_iterations: a.max_iterations,
            tolerance: a.tolerance,
            scale: match a.mad_scale.as_str() {
                "robust" => change::MadScale::Robust,
                "canonical" => change::MadScale::Canonical,
                o => bail!("--mad-scale '{o}': expected robust or canonical"),
            },
        },
        (Some(m), None) => {
            bail!("--method '{m}': expected cva or irmad (or give --index / --expr)")
        }
        (None, Some(Formula::Index(i))) => Method::Index(*i),
        (None, Some(Formula::Expr(e))) => Method::Expr(e.clone()),
        (None, None) => bail!("give --index NAME, --expr EXPRESSION or --method cva"),
        (Some(_), Some(_)) => bail!("give --method or --index/--expr, not both"),
    };
    if a.standardize && !matches!(method, Method::Cva { .. }) {
        bail!("--standardize applies to --method cva");
    }
    let is_nbr = matches!(method, Method::Index(Index::Nbr));
    let is_irmad = matches!(method, Method::Irmad { .. });
    let bins = || -> Result<usize> {
        if a.bins < 2 {
            bail!("--bins must be at least 2");
        }
        Ok(a.bins)
    };
    let difference = match a.difference.as_deref() {
        None if is_nbr => Difference::BeforeMinusAfter,
        None | Some("after-minus-before") => Difference::AfterMinusBefore,
        Some("before-minus-after") => Difference::BeforeMinusAfter,
        Some(o) => bail!("--difference '{o}': expected after-minus-before or before-minus-after"),
    };
    let threshold = match a.threshold.as_deref() {
        None if is_nbr && !a.relative => Threshold::DnbrClasses,
        None if is_irmad => Threshold::Chi2 { probability: 0.99 },
        None | Some("otsu") => Threshold::Otsu { bins: bins()? },
        Some("ki" | "kittler-illingworth") => Threshold::KittlerIllingworth { bins: bins()? },
        Some("em") => Threshold::Em { bins: bins()? },
        Some("kmeans") => Threshold::Kmeans {
            bins: bins()?,
            k: 2,
        },
        Some(k) if k.starts_with("kmeans:") => Threshold::Kmeans {
            bins: bins()?,
            k: match &k[7..] {
                "2" => 2,
                "3" => 3,
                o => bail!("--threshold kmeans:{o}: k is 2 or 3"),
            },
        },
        Some(c) if c.starts_with("chi2:") => Threshold::Chi2 {
            probability: c[5..]
                .parse()
                .ok()
                .filter(|p: &f64| *p > 0.0 && *p < 1.0)
                .ok_or_else(|| {
                    anyhow!("--threshold '{c}': chi2:P needs a probability 0 < P < 1, e.g. chi2:0.99")
                })?,
        },
        Some("classes") => {
            if !is_nbr {
                bail!("--threshold classes (dNBR severity) needs --index nbr");
            }
            Threshold::DnbrClasses
        }
        Some(v) => Threshold::Fixed {
            value: v.parse().ok().filter(|x: &f64| x.is_finite()).ok_or_else(|| {
                anyhow!("--threshold '{v}': expected otsu, ki, em, kmeans, chi2:P, classes or a finite number")
            })?,
        },
    };
    let direction = match a.direction.as_deref() {
        Some("above") => Direction::Above,
        Some("below") => Direction::Below,
        Some(o) => bail!("--direction '{o}': expected above or below"),
        None => match (&method, difference) {
            (Method::Cva { .. } | Method::Irmad { .. }, _) => Direction::Above,
            (_, Difference::AfterMinusBefore) => Direction::Below,
            (_, Difference::BeforeMinusAfter) => Direction::Above,
        },
    };
    // the bands of each date
    let (before, after) = match &method {
        Method::Cva { .. } | Method::Irmad { .. } if a.before.is_none() && a.after.is_none() => {
            // one file per band: the roles given, in spectral order, the same for both dates
            let roles: Vec<String> = ["blue", "green", "red", "nir", "swir1", "swir2"]
                .iter()
                .filter(|r| date_role(a, true, r).is_some() || date_role(a, false, r).is_some())
                .map(|r| r.to_string())
                .collect();
            if roles.is_empty() {
                bail!(
                    "--method {} needs --before FILE and --after FILE (multi-band) or per-band files (--before-red FILE --after-red FILE …)",
                    a.method.as_deref().unwrap_or("cva")
                );
            }
            for r in &roles {
                if date_role(a, true, r).is_none() || date_role(a, false, r).is_none() {
                    bail!(
                        "--before-{r} and --after-{r} go together: the dates must have the same bands"
                    );
                }
            }
            (
                role_specs(&roles, None, &[], &|r| date_role(a, true, r), "before-", c)?,
                role_specs(&roles, None, &[], &|r| date_role(a, false, r), "after-", c)?,
            )
        }
        Method::Cva { .. } | Method::Irmad { .. } => {
            let (Some(b), Some(af)) = (&a.before, &a.after) else {
                bail!(
                    "--method cva and irmad need both --before FILE and --after FILE (multi-band)"
                );
            };
            let n = terrawatt_raster::read::band_count(b)?;
            let sel: Vec<BandSel> = if a.cva_bands.is_empty() {
                (1..=n).map(BandSel::Index).collect()
            } else {
                a.cva_bands.iter().map(|s| BandSel::parse(s)).collect()
            };
            let mk = |p: &PathBuf| -> Vec<BandSpec> {
                sel.iter()
                    .map(|s| BandSpec {
                        path: p.clone(),
                        band: s.clone(),
                        scale: c.scale,
                        offset: c.offset,
                    })
                    .collect()
            };
            (mk(b), mk(af))
        }
        m => {
            let roles = match m {
                Method::Index(i) => Formula::Index(*i).roles(),
                Method::Expr(e) => e.names().to_vec(),
                Method::Cva { .. } | Method::Irmad { .. } => unreachable!(),
            };
            (
                role_specs(
                    &roles,
                    a.before.as_deref(),
                    &a.bands,
                    &|r| date_role(a, true, r),
                    "before-",
                    c,
                )?,
                role_specs(
                    &roles,
                    a.after.as_deref(),
                    &a.bands,
                    &|r| date_role(a, false, r),
                    "after-",
                    c,
                )?,
            )
        }
    };
    let mask = |scl: &Option<String>,
                qa: &Option<String>,
                m: &Option<String>,
                which: &str|
     -> Result<Option<(BandSpec, MaskKind)>> {
        match (scl, qa, m) {
            (None, None, None) => Ok(None),
            (Some(f), None, None) => Ok(Some((
                band_ref(f, None, None),
                MaskKind::Scl {
                    classes: a.scl_classes.clone(),
                },
            ))),
            (None, Some(f), None) => Ok(Some((
                band_ref(f, None, None),
                MaskKind::QaBits {
                    bits: a.qa_bits.clone(),
                },
            ))),
            (None, None, Some(f)) => Ok(Some((band_ref(f, None, None), MaskKind::NonZero))),
            _ => bail!("give one of --scl-{which}, --qa-{which} or --mask-{which}"),
        }
    };
    let mask_before = mask(&a.scl_before, &a.qa_before, &a.mask_before, "before")?;
    let mask_after = mask(&a.scl_after, &a.qa_after, &a.mask_after, "after")?;
    Ok(ChangeInputs {
        method,
        difference,
        threshold,
        direction,
        before,
        after,
        mask_before,
        mask_after,
    })
}

fn normalize_of(a: &ChangeArgs) -> Result<Normalize> {
    Ok(match a.normalize.as_str() {
        "none" => Normalize::None,
        "zscore" => Normalize::Zscore,
        "pif" => Normalize::Pif,
        "histogram" => Normalize::Histogram,
        o => bail!("--normalize '{o}': expected none, zscore, histogram or pif"),
    })
}

fn checks_of(a: &ChangeArgs) -> change::Checks {
    change::Checks {
        max_change_share: Some(a.max_change_share),
        strict: a.strict,
    }
}

/// The minimum mapping unit and its connectivity.
fn mmu_of(a: &ChangeArgs) -> Result<Option<(change::Mmu, Connectivity)>> {
    Ok(match &a.mmu {
        None => None,
        Some(s) => Some((
            match s.trim().to_ascii_lowercase().strip_suffix("px") {
                Some(n) => {
                    change::Mmu::Pixels(n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(
                        || anyhow!("--mmu '{s}': a whole number of pixels, e.g. 5px"),
                    )?)
                }
                None => change::Mmu::SquareMetres(parse_area("--mmu", s, false)?),
            },
            match a.connectivity {
                4 => Connectivity::Four,
                8 => Connectivity::Eight,
                n => bail!("--connectivity {n}: expected 4 or 8"),
            },
        )),
    })
}

/// A change run cut into tiles: the whole output grid, the input files, and whether the
/// classes wait for the merge (Otsu's threshold and the minimum mapping unit need every
/// change value first).
#[derive(Debug)]
pub struct ChangeTiling {
    pub grid: Grid,
    pub inputs: Vec<PathBuf>,
    pub deferred: bool,
    pub threshold: Threshold,
}

/// For a tiled run: checks that the tiles put together equal one run over the whole grid.
/// Every change value depends on its own pixels alone, unless masks are grown
/// (--mask-buffer, across tile edges) or CVA is standardised (each band's deviation over
/// the whole image): those are refused. Otsu's threshold and --mmu are left to the merge.
pub fn change_tiling(a: &ChangeArgs) -> Result<ChangeTiling> {
    let ci = change_inputs(a)?;
    mmu_of(a)?;
    area_method(&a.area)?;
    let whole = "needs the whole image at once, so tiles would differ from one run";
    if a.mask_buffer > 0 {
        bail!("--mask-buffer grows masks across tile edges: not available in a tiled run");
    }
    if matches!(ci.method, Method::Cva { standardize: true }) {
        bail!("--standardize (each band's mean and standard deviation) {whole}");
    }
    if matches!(ci.method, Method::Irmad { .. }) {
        bail!("irmad (canonical correlations of the whole image, iterated) {whole}");
    }
    if normalize_of(a)? != Normalize::None {
        bail!("--normalize (statistics of each date over the whole image) {whole}");
    }
    let deferred = ci.threshold.histogram_bins().is_some() || a.mmu.is_some();
    let first = &ci.before[0].path;
    let grid = match &a.common.grid {
        Some(g) => Grid::of_file(g)?,
        None => Grid::of_file(first)?,
    };
    let mut inputs: Vec<PathBuf> = inputs_of(&ci.before)
        .into_iter()
        .chain(inputs_of(&ci.after))
        .map(Path::to_path_buf)
        .collect();
    for m in [&ci.mask_before, &ci.mask_after].into_iter().flatten() {
        inputs.push(m.0.path.clone());
    }
    let mut seen: Vec<PathBuf> = Vec::with_capacity(inputs.len());
    inputs.retain(|p| {
        let new = !seen.contains(p);
        if new {
            seen.push(p.clone());
        }
        new
    });
    Ok(ChangeTiling {
        grid,
        inputs,
        deferred,
        threshold: ci.threshold,
    })
}

/// How a planned run's merge classifies the mosaic of a change run's values: the rule, the
/// pixel areas and the outputs' format (a COG, with the run's compression).
pub fn change_classes(a: &ChangeArgs) -> Result<(change::ClassRule, AreaMethod, OutputSpec)> {
    let ci = change_inputs(a)?;
    let mut out = output(&a.common)?;
    out.format = terrawatt_raster::write::Format::Cog;
    Ok((
        change::ClassRule {
            threshold: ci.threshold,
            direction: ci.direction,
            mmu: mmu_of(a)?,
            checks: checks_of(a),
            signed: !ci.method.is_multiband(),
        },
        area_method(&a.area)?,
        out,
    ))
}

pub fn change(span: &mut Span, ctx: &Ctx, a: &ChangeArgs) -> Result<Outcome> {
    let c = &a.common;
    let ChangeInputs {
        method,
        difference,
        threshold,
        direction,
        before,
        after,
        mask_before,
        mask_after,
    } = change_inputs(a)?;
    let out = output(c)?;
    let classes_out = a.classes_out.as_ref().map(|p| OutputSpec {
        path: p.clone(),
        ..out.clone()
    });
    let mut inputs = inputs_of(&before);
    inputs.extend(inputs_of(&after));
    for m in [&mask_before, &mask_after].into_iter().flatten() {
        inputs.push(&m.0.path);
    }
    for o in [
        Some(&out.path),
        a.classes_out.as_ref(),
        a.table.as_ref(),
        a.quicklook.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        check_output(o, &inputs)?;
    }
    let mmu = mmu_of(a)?;
    let tmp = tmp_dir(&out.path)?;
    let settings_first = before[0].path.clone();
    let settings = change::Settings {
        before: DateInputs {
            bands: before,
            mask: mask_before,
        },
        after: DateInputs {
            bands: after,
            mask: mask_after,
        },
        method,
        difference,
        relative: a.relative,
        threshold,
        direction,
        nodata: nodata_rule(&c.nodata)?,
        mask_buffer: a.mask_buffer,
        mmu,
        normalize: normalize_of(a)?,
        checks: checks_of(a),
        resampling: resampling(&c.resampling, "resampling")?,
        align: a
            .align
            .as_deref()
            .map(|s| resampling(s, "align"))
            .transpose()?,
        grid: out_grid(c, &settings_first)?,
        area: area_method(&a.area)?,
        memory: parse_bytes(&c.memory)?,
        out: out.clone(),
        classes_out,
        tmp: tmp.path().to_path_buf(),
        defer_classes: a.defer_classes,
    };
    let rep = with_progress(span, ctx, "change", |progress| {
        change::run(&settings, progress)
    })?;
    if let Some(t) = &a.table {
        let csv = change::class_table_csv(&rep.classes);
        write_table(span, t, &csv)?;
    }
    if let Some(q) = &a.quicklook {
        span.phase("quicklook", |_| quicklook(q, &settings, &rep))?;
    }
    let mut text = String::new();
    writeln!(
        text,
        "{} × {} pixels ({}, {:.2} km²) → {}",
        rep.grid.width,
        rep.grid.height,
        rep.crs,
        rep.km2,
        out.path.display()
    )?;
    writeln!(
        text,
        "valid {} · missing {} · masked {} ({:.1} %); change from {:.4} to {:.4}",
        rep.valid,
        rep.nodata,
        rep.masked,
        100.0 * rep.masked_share,
        rep.min,
        rep.max
    )?;
    if let Some(n) = &rep.normalization {
        let coef = |v: &[change::Linear]| {
            v.iter()
                .map(|l| format!("({:.4} − {:.4})·{:.6}", "x", l.offset, l.scale))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            text,
            "normalised ({:?}{}): before {}; after {}",
            n.method,
            n.invariant_pixels
                .map(|p| format!(", {p} invariant pixels"))
                .unwrap_or_default(),
            coef(&n.before),
            coef(&n.after)
        )?;
    }
    if let Some(m) = &rep.irmad {
        writeln!(
            text,
            "IR-MAD: {} iterations ({}), canonical correlations {}",
            m.iterations,
            if m.converged {
                format!("converged to {:e}", m.tolerance)
            } else {
                "NOT converged: raise --max-iterations".into()
            },
            m.correlations
                .iter()
                .map(|r| format!("{r:.6}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    if let Some(t) = rep.threshold {
        writeln!(
            text,
            "threshold {t:.6} ({}), change is {}{}",
            rep.threshold_method.describe(),
            match rep.direction {
                Some(Direction::Below) => "below",
                _ => "above",
            },
            rep.changed_share
                .map(|s| format!(": {:.2} % of valid pixels", 100.0 * s))
                .unwrap_or_default()
        )?;
    }
    for w in &rep.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(m) = &rep.mmu {
        writeln!(
            text,
            "minimum mapping unit {} ({}-connected{}): {} patches merged, {} pixels changed",
            m.square_metres
                .map(|a| format!("{:.4} ha", a / 1e4))
                .unwrap_or_else(|| "in pixels".into()),
            match m.connectivity {
                Connectivity::Four => 4,
                Connectivity::Eight => 8,
            },
            m.pixels
                .map(|p| format!(", {p} pixels"))
                .unwrap_or_default(),
            m.patches_removed,
            m.pixels_changed
        )?;
    }
    for k in &rep.classes {
        writeln!(
            text,
            "  {:>2} {:<26} {:>12} px {:>14.4} ha",
            k.class, k.name, k.pixels, k.hectares
        )?;
    }
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "out": out, "classes_out": a.classes_out, "change": rep }),
        text,
        unit: km2
            .is_finite()
            .then(|| FunctionalUnit::new("km² processed", km2)),
    })
}

pub fn transitions(span: &mut Span, ctx: &Ctx, a: &TransitionsArgs) -> Result<Outcome> {
    use terrawatt_raster::transitions;
    let align = match a.align.as_deref() {
        None => None,
        Some("nearest" | "near") => Some(Resampling::Nearest),
        Some("mode") => Some(Resampling::Mode),
        Some(o) => bail!("--align '{o}': classes are warped with nearest or mode"),
    };
    let area = area_method(&a.area)?;
    if let Some(t) = &a.table {
        match &a.zones {
            Some(z) => zone_output(t, &[a.before.as_path(), a.after.as_path(), z.as_path()])?,
            None => check_output(t, &[a.before.as_path(), a.after.as_path()])?,
        }
    }
    let tmp = tmp_dir(a.table.as_deref().unwrap_or(Path::new("transitions.csv")))?;
    let settings = transitions::Settings {
        before: a.before.clone(),
        after: a.after.clone(),
        band: BandSel::parse(&a.band),
        align,
        area,
        memory: parse_bytes(&a.memory)?,
        tmp: tmp.path().to_path_buf(),
    };
    if let Some(zpath) = &a.zones {
        let (mut zones, rule) = zone_source(zpath, &a.polygons)?;
        zones.keep_geometry = is_gpkg(a.table.as_deref());
        return transitions_by_zone(span, ctx, a, &settings, &zones, rule);
    }
    let rep = with_progress(span, ctx, "transitions", |progress| {
        transitions::run(&settings, progress)
    })?;
    if let Some(t) = &a.table {
        let mut csv = String::from("from,to,cells,hectares\n");
        for k in &rep.transitions {
            writeln!(csv, "{},{},{},{}", k.from, k.to, k.cells, k.hectares)?;
        }
        write_table(span, t, &csv)?;
    }
    let mut text = String::new();
    writeln!(
        text,
        "{} × {} cells ({}, {:.2} km²){}; missing before {}, after {}, both {}",
        rep.width,
        rep.height,
        rep.crs,
        rep.km2,
        if rep.aligned.is_some() {
            ", later raster warped onto the earlier grid"
        } else {
            ""
        },
        rep.missing_before,
        rep.missing_after,
        rep.missing_both
    )?;
    // folded from +0.0: an empty sum of f64 is −0.0
    let changed: f64 = rep
        .transitions
        .iter()
        .filter(|t| t.from != t.to)
        .map(|t| t.hectares)
        .fold(0.0, |a, b| a + b);
    let total: f64 = rep.transitions.iter().map(|t| t.hectares).sum();
    writeln!(
        text,
        "changed {changed:.2} ha of {total:.2} ha ({:.3} %)",
        100.0 * changed / total
    )?;
    let mut biggest: Vec<_> = rep.transitions.iter().filter(|t| t.from != t.to).collect();
    biggest.sort_by(|x, y| y.hectares.total_cmp(&x.hectares));
    for t in biggest.iter().take(10) {
        writeln!(
            text,
            "  {:>6} → {:<6} {:>12} cells {:>14.2} ha",
            t.from, t.to, t.cells, t.hectares
        )?;
    }
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "table": a.table, "transitions": rep }),
        text,
        unit: Some(FunctionalUnit::new("km² processed", km2)),
    })
}

fn transitions_by_zone(
    span: &mut Span,
    ctx: &Ctx,
    a: &TransitionsArgs,
    settings: &terrawatt_raster::transitions::Settings,
    zones: &zonal::ZoneSource,
    rule: zonal::Rule,
) -> Result<Outcome> {
    use terrawatt_raster::transitions;
    use terrawatt_raster::zones::{Kind, Value};
    let rep = with_progress(span, ctx, "transitions", |progress| {
        transitions::run_zones(settings, zones, rule, progress)
    })?;
    let mut table = ZoneTable::new(
        &rep.zones,
        &[
            ("from", Kind::Int),
            ("to", Kind::Int),
            ("cells", Kind::Real),
            ("hectares", Kind::Real),
        ],
    );
    for (i, m) in rep.matrices.iter().enumerate() {
        for t in &m.transitions {
            table.push(
                &rep.zones,
                i,
                vec![
                    Value::Int(t.from),
                    Value::Int(t.to),
                    Value::Real(t.weight),
                    Value::Real(t.hectares),
                ],
            );
        }
    }
    if let Some(t) = &a.table {
        write_zone_table(span, t, &table, &rep.zones, "transitions")?;
    }
    let mut text = String::new();
    writeln!(text, "{}", zones_line(&rep.zones, rep.outside))?;
    for (i, m) in rep.matrices.iter().enumerate().take(20) {
        let total: f64 = m.transitions.iter().map(|t| t.hectares).sum();
        let changed: f64 = m
            .transitions
            .iter()
            .filter(|t| t.from != t.to)
            .map(|t| t.hectares)
            .fold(0.0, |a, b| a + b);
        writeln!(
            text,
            "{}: changed {changed:.2} ha of {total:.2} ha ({:.3} %), missing {:.2} ha",
            zone_label(&rep.zones, i),
            if total > 0.0 {
                100.0 * changed / total
            } else {
                0.0
            },
            m.missing_hectares
        )?;
        let mut biggest: Vec<_> = m.transitions.iter().filter(|t| t.from != t.to).collect();
        biggest.sort_by(|x, y| y.hectares.total_cmp(&x.hectares));
        for t in biggest.iter().take(5) {
            writeln!(
                text,
                "  {:>6} → {:<6} {:>14.2} ha",
                t.from, t.to, t.hectares
            )?;
        }
    }
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "table": a.table, "transitions": rep }),
        text,
        unit: Some(FunctionalUnit::new("km² processed", km2)),
    })
}

/// A length with its unit (km, m) in metres.
pub fn parse_length(flag: &str, s: &str) -> Result<f64> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = [("km", 1e3), ("m", 1.0)]
        .iter()
        .find_map(|(suf, m)| t.strip_suffix(suf).map(|n| (n.trim().to_string(), *m)))
        .ok_or_else(|| anyhow!("{flag} '{s}': give a unit, e.g. 1km or 500m"))?;
    let v: f64 = num
        .parse()
        .map_err(|_| anyhow!("{flag} '{s}': '{num}' is not a number"))?;
    if v.is_nan() || v <= 0.0 || !v.is_finite() {
        bail!("{flag} '{s}' must be positive");
    }
    Ok(v * mult)
}

fn landscape_window(
    span: &mut Span,
    ctx: &Ctx,
    a: &LandscapeArgs,
    nodata: terrawatt_raster::landscape::Nodata,
    window: &str,
) -> Result<Outcome> {
    use terrawatt_raster::window::{self, Metric};
    let window_m = parse_length("--window", window)?;
    let metrics = a
        .metrics
        .split(',')
        .map(|m| {
            Metric::parse(m).ok_or_else(|| {
                anyhow!(
                    "--metrics: '{m}' is not one of shdi, shei, te, ed, richness, pland:CLASS, np, pd, lpi, area_mn, mesh"
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let dir = a
        .out_dir
        .clone()
        .expect("clap requires --out-dir with --window");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let format = match a.format.as_str() {
        "cog" => Format::Cog,
        "gtiff" | "geotiff" => Format::GTiff,
        o => bail!("--format '{o}': expected cog or gtiff"),
    };
    let outputs = metrics
        .iter()
        .map(|m| {
            let path = dir.join(format!("{}.tif", m.name()));
            check_output(&path, &[a.input.as_path()])?;
            Ok(OutputSpec {
                path,
                format,
                compression: Compression::Deflate,
                level: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let settings = window::Settings {
        input: a.input.clone(),
        band: BandSel::parse(&a.band),
        nodata,
        connectivity: match a.connectivity {
            4 => Connectivity::Four,
            8 => Connectivity::Eight,
            c => bail!("--connectivity {c}: expected 4 or 8"),
        },
        window_m,
        metrics,
        outputs,
        memory: parse_bytes(&a.memory)?,
    };
    let rep = with_progress(span, ctx, "moving window", |progress| {
        window::run(&settings, progress)
    })?;
    let mut text = String::new();
    writeln!(
        text,
        "{} × {} cells ({:.2} km²), nodata {} ({} cells), classes {}",
        rep.width,
        rep.height,
        rep.km2,
        rep.nodata.map_or("none".into(), |v| v.to_string()),
        rep.nodata_cells,
        rep.classes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        text,
        "window {} × {} cells ({} × {} m), clipped at the borders; nodata cells get no value",
        rep.window_cells.0, rep.window_cells.1, rep.window_m.0, rep.window_m.1
    )?;
    for p in &rep.outputs {
        writeln!(text, "  wrote {}", p.display())?;
    }
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "window": rep }),
        text,
        unit: Some(FunctionalUnit::new("km² processed", km2)),
    })
}

pub fn landscape(span: &mut Span, ctx: &Ctx, a: &LandscapeArgs) -> Result<Outcome> {
    use terrawatt_raster::landscape::{self, Nodata};
    let nodata = match a.nodata.to_ascii_lowercase().as_str() {
        "band" => Nodata::Band,
        "none" => Nodata::None,
        v => Nodata::Value(
            v.parse()
                .map_err(|_| anyhow!("--nodata '{v}': expected band, none or an integer value"))?,
        ),
    };
    if let Some(w) = &a.window {
        return landscape_window(span, ctx, a, nodata, w);
    }
    let connectivity = match a.connectivity {
        4 => Connectivity::Four,
        8 => Connectivity::Eight,
        c => bail!("--connectivity {c}: expected 4 or 8"),
    };
    if let Some(t) = &a.table {
        check_output(t, &[a.input.as_path()])?;
    }
    let settings = landscape::Settings {
        input: a.input.clone(),
        band: BandSel::parse(&a.band),
        nodata,
        connectivity,
        edge_depth: a.edge_depth,
        count_boundary: a.count_boundary,
        memory: parse_bytes(&a.memory)?,
    };
    let rep = with_progress(span, ctx, "landscape", |progress| {
        landscape::run(&settings, progress)
    })?;
    let header = "level,class,total_area_ha,proportion_of_landscape,number_of_patches,patch_density,largest_patch_index,total_edge_m,edge_density,area_mn_ha,total_core_area_ha,effective_mesh_size_ha,shannon_diversity_index,shannon_evenness_index";
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let row = |m: &landscape::Metrics| {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            if m.class.is_some() {
                "class"
            } else {
                "landscape"
            },
            m.class.map(|c| c.to_string()).unwrap_or_default(),
            m.total_area,
            opt(m.proportion_of_landscape),
            m.number_of_patches,
            m.patch_density,
            m.largest_patch_index,
            m.total_edge,
            m.edge_density,
            m.area_mn,
            m.total_core_area,
            m.effective_mesh_size,
            opt(m.shannon_diversity_index),
            opt(m.shannon_evenness_index)
        )
    };
    if let Some(t) = &a.table {
        let mut csv = format!("{header}\n");
        for m in rep.classes.iter().chain([&rep.landscape]) {
            writeln!(csv, "{}", row(m))?;
        }
        write_table(span, t, &csv)?;
    }
    let mut text = String::new();
    writeln!(
        text,
        "{} × {} cells of {} × {} m ({:.2} km²), nodata {} ({} cells), {}-connected, edge depth {}{}",
        rep.width,
        rep.height,
        rep.cell_width,
        rep.cell_height,
        rep.km2,
        rep.nodata.map(|v| v.to_string()).unwrap_or("none".into()),
        rep.nodata_cells,
        if connectivity == Connectivity::Four {
            4
        } else {
            8
        },
        rep.edge_depth,
        if rep.count_boundary {
            ", boundary counted as edge"
        } else {
            ""
        }
    )?;
    writeln!(
        text,
        "{:>9} {:>12} {:>7} {:>6} {:>8} {:>7} {:>12} {:>8} {:>10} {:>11} {:>11}",
        "class",
        "area ha",
        "PLAND",
        "NP",
        "PD",
        "LPI",
        "TE m",
        "ED",
        "AREA_MN",
        "TCA ha",
        "MESH ha"
    )?;
    for m in rep.classes.iter().chain([&rep.landscape]) {
        writeln!(
            text,
            "{:>9} {:>12.2} {:>7} {:>6} {:>8.4} {:>7.3} {:>12.1} {:>8.3} {:>10.3} {:>11.2} {:>11.3}",
            m.class.map(|c| c.to_string()).unwrap_or("landscape".into()),
            m.total_area,
            m.proportion_of_landscape
                .map(|p| format!("{p:.3}"))
                .unwrap_or_default(),
            m.number_of_patches,
            m.patch_density,
            m.largest_patch_index,
            m.total_edge,
            m.edge_density,
            m.area_mn,
            m.total_core_area,
            m.effective_mesh_size
        )?;
    }
    writeln!(
        text,
        "Shannon diversity {:.6}, evenness {:.6}",
        rep.landscape.shannon_diversity_index.unwrap_or(f64::NAN),
        rep.landscape.shannon_evenness_index.unwrap_or(f64::NAN)
    )?;
    let km2 = rep.km2;
    Ok(Outcome {
        results: json!({ "table": a.table, "landscape": rep }),
        text,
        unit: Some(FunctionalUnit::new("km² processed", km2)),
    })
}

/// A colour between brown (low) and green (high) for a value in [0, 1]; grey for missing.
fn ramp(t: f32) -> plotters::style::RGBColor {
    use plotters::style::RGBColor;
    if t.is_nan() {
        return RGBColor(235, 235, 235);
    }
    let t = t.clamp(0.0, 1.0);
    let stops = [
        (166.0, 97.0, 26.0),
        (245.0, 245.0, 200.0),
        (26.0, 150.0, 65.0),
    ];
    let (a, b, u) = if t < 0.5 {
        (stops[0], stops[1], t * 2.0)
    } else {
        (stops[1], stops[2], (t - 0.5) * 2.0)
    };
    let mix = |x: f32, y: f32| (x + (y - x) * u) as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn quicklook(path: &Path, s: &change::Settings, rep: &change::Report) -> Result<()> {
    use plotters::style::RGBColor;
    let p = change::preview(s, 360)?;
    // one stretch for both dates: the 2nd and 98th percentiles of their values
    let mut all: Vec<f32> = p
        .before
        .iter()
        .chain(&p.after)
        .copied()
        .filter(|v| !v.is_nan())
        .collect();
    all.sort_by(f32::total_cmp);
    let (lo, hi) = if all.is_empty() {
        (0.0, 1.0)
    } else {
        (all[all.len() / 50], all[all.len() * 49 / 50])
    };
    let span = if hi > lo { hi - lo } else { 1.0 };
    let colour = |v: &f32| ramp((v - lo) / span);
    let dnbr = matches!(s.threshold, Threshold::DnbrClasses);
    let palette: Vec<(u8, RGBColor)> = if dnbr {
        vec![
            (1, RGBColor(122, 135, 55)),
            (2, RGBColor(172, 190, 77)),
            (3, RGBColor(10, 224, 66)),
            (4, RGBColor(255, 247, 11)),
            (5, RGBColor(255, 175, 56)),
            (6, RGBColor(255, 100, 27)),
            (7, RGBColor(164, 31, 214)),
        ]
    } else {
        vec![(0, RGBColor(200, 200, 200)), (1, RGBColor(215, 25, 28))]
    };
    let class_colour = |c: &u8| {
        palette
            .iter()
            .find(|(k, _)| k == c)
            .map_or(RGBColor(255, 255, 255), |x| x.1)
    };
    let what = match &s.method {
        Method::Index(i) => i.name().to_uppercase(),
        Method::Expr(e) => e.text().to_string(),
        Method::Cva { .. } | Method::Irmad { .. } => "band 1".into(),
    };
    let mut legend: Vec<(RGBColor, String)> = rep
        .classes
        .iter()
        .map(|k| {
            (
                class_colour(&k.class),
                format!("{} ({:.1} ha)", k.name, k.hectares),
            )
        })
        .collect();
    legend.push((RGBColor(255, 255, 255), "missing or masked".into()));
    legend.push((ramp(0.0), format!("{what} {lo:.2}")));
    legend.push((ramp(1.0), format!("{what} {hi:.2}")));
    Ok(crate::plot::raster_panels(
        path,
        &[
            (
                format!("before: {what}"),
                p.width,
                p.height,
                p.before.iter().map(colour).collect(),
            ),
            (
                format!("after: {what}"),
                p.width,
                p.height,
                p.after.iter().map(colour).collect(),
            ),
            (
                "change".into(),
                p.width,
                p.height,
                p.classes.iter().map(class_colour).collect(),
            ),
        ],
        &legend,
    )?)
}
