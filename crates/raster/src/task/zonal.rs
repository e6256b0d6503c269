//! `raster zonal` and `raster forest-loss`: a table of results per polygon; what the three
//! polygon tasks (these and transitions per zone) say of their zones.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::{Files, Progress, RasterTask, TaskResults};
use crate::forest_loss::{self, Years};
use crate::grid::AreaMethod;
use crate::zonal::{self, Rule, ZoneSource};
use crate::zone_table::{TableFormat, ZoneTable};
use crate::zones::{Kind, Status, Value, Zones};
use crate::{RasterError, Result};

/// The zones' source, keeping their geometries when the table is a GeoPackage.
pub(super) fn zones_for(zones: &ZoneSource, table: Option<&Path>) -> ZoneSource {
    ZoneSource {
        keep_geometry: TableFormat::is_gpkg(table),
        ..zones.clone()
    }
}

/// The files of a polygon task: its inputs, and its table (a known format) and plot.
pub(super) fn zone_files(
    inputs: Vec<PathBuf>,
    table: Option<&Path>,
    plot: Option<&Path>,
) -> Result<Files> {
    if let Some(t) = table {
        TableFormat::of(t)?;
    }
    Ok(Files {
        inputs,
        outputs: table
            .into_iter()
            .chain(plot)
            .map(Path::to_path_buf)
            .collect(),
        folders: vec![],
    })
}

/// Writes a zone table (by its extension) as the phase `write`.
pub(super) fn write_table(
    span: &mut Span,
    path: &Path,
    table: &ZoneTable,
    zones: &Zones,
    layer: &str,
) -> Result<()> {
    span.phase("write", |_| table.write(path, layer, zones))
}

/// A zone's status in tables: valid, repaired, skipped (invalid), empty, or outside (its
/// polygon reaches no cell).
pub(super) fn zone_status(z: &Zones, i: usize, outside: bool) -> String {
    match (z.zones[i].status, outside) {
        (Status::Skipped, _) => "skipped".into(),
        (Status::Empty, _) => "empty".into(),
        (_, true) => "outside".into(),
        (Status::Repaired, false) => "repaired".into(),
        (Status::Valid, false) => "valid".into(),
    }
}

/// A zone placed on the raster that still holds no cell: under the centre rule, a polygon
/// smaller than a cell, or a sliver between centres. Its row says `no_cell`, not `valid`.
fn holds_no_cell(s: &zonal::Stats) -> bool {
    !s.outside && s.cells == 0 && s.missing_cells == 0 && s.count == 0.0
}

/// A zone's label ([`Zones::label`]).
pub(super) fn zone_label(z: &Zones, i: usize) -> String {
    z.label(i)
}

/// The zones' summary line (features, CRS, repairs), then why a few were repaired or
/// skipped.
pub(super) fn zones_line(z: &Zones, outside: usize) -> String {
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
    format!(
        "{} zone(s) from {} (layer '{}', {}); repaired {}, skipped (invalid) {}, empty {}, outside the raster {}{why}",
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

/// Zonal statistics per polygon, and their table (`out`: .csv, .parquet or .gpkg).
#[derive(Debug, Clone)]
pub struct ZonalTask {
    pub zonal: zonal::Settings,
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZonalResults {
    pub table: Option<PathBuf>,
    pub zonal: zonal::Report,
}

impl RasterTask for ZonalTask {
    type Results = ZonalResults;

    fn files(&self) -> Result<Files> {
        let inputs = vec![self.zonal.raster.clone(), self.zonal.zones.path.clone()];
        zone_files(inputs, self.out.as_deref(), None)
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<ZonalResults> {
        let settings = zonal::Settings {
            zones: zones_for(&self.zonal.zones, self.out.as_deref()),
            ..self.zonal.clone()
        };
        let rep = super::rows_phase(span, progress, "zonal", |p| zonal::run(&settings, p))?;
        if let Some(o) = &self.out {
            write_table(span, o, &zonal_table(&rep), &rep.zones, "zonal")?;
        }
        Ok(ZonalResults {
            table: self.out.clone(),
            zonal: rep,
        })
    }
}

/// The table of zonal statistics: a row per zone, an area column per class.
fn zonal_table(rep: &zonal::Report) -> ZoneTable {
    let classes: BTreeSet<i64> = rep
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
            Value::Text(if holds_no_cell(s) {
                "no_cell".into()
            } else {
                zone_status(&rep.zones, i, s.outside)
            }),
        ];
        v.extend(classes.iter().map(|c| {
            Value::Real(
                s.classes
                    .iter()
                    .find(|x| x.value == *c)
                    .map_or(0.0, |x| x.hectares),
            )
        }));
        table.push(&rep.zones, i, v);
    }
    table
}

impl TaskResults for ZonalResults {
    fn warnings(&self) -> Vec<String> {
        let rep = &self.zonal;
        let mut out: Vec<String> = rep
            .frame
            .iter()
            .map(|f| {
                f.warning(
                    "the raster",
                    &rep.raster,
                    None,
                    &format!("--nodata {} leaves it out of every statistic", f.code),
                )
            })
            .collect();
        let empty: Vec<usize> = (0..rep.stats.len())
            .filter(|&i| {
                holds_no_cell(&rep.stats[i])
                    && matches!(rep.zones.zones[i].status, Status::Valid | Status::Repaired)
            })
            .collect();
        let Some(&first) = empty.first() else {
            return out;
        };
        out.push(format!(
            "{} zone(s) placed on the raster hold no cell{} (first: {}); their rows say no_cell",
            empty.len(),
            if rep.rule == Rule::Centre {
                " centre: smaller than a cell, or between centres; --rule exact weighs the cells they cover"
            } else {
                ""
            },
            zone_label(&rep.zones, first)
        ));
        out
    }

    fn text(&self) -> String {
        let rep = &self.zonal;
        let mut text = String::new();
        let _ = writeln!(text, "{}", zones_line(&rep.zones, rep.outside));
        let _ = writeln!(
            text,
            "{} band {} ({}), nodata {}, {} weights, areas on the {}",
            rep.raster.display(),
            rep.band,
            rep.crs,
            rep.nodata.map_or("none".into(), |v| v.to_string()),
            if rep.rule == Rule::Exact {
                "exact coverage"
            } else {
                "cell-centre"
            },
            rep.area
        );
        let _ = writeln!(
            text,
            "{:>12} {:>12} {:>14} {:>10} {:>10} {:>10} {:>10} {:>9} {:>12} {:>8}",
            "zone", "count", "sum", "mean", "min", "max", "stdev", "majority", "area ha", "missing"
        );
        let f = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.4}"));
        for (i, s) in rep.stats.iter().enumerate().take(20) {
            let _ = writeln!(
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
            );
        }
        if rep.stats.len() > 20 {
            let _ = writeln!(text, "… {} more zones in the table", rep.stats.len() - 20);
        }
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("km² processed", self.zonal.km2))
    }
}

/// Forest area, loss and emissions per polygon and year (Hansen GFC layers), their table
/// (`out`) and a plot of forest area over the years (`plot`, drawn by the caller from
/// [`ForestLossResults::plot`]).
#[derive(Debug, Clone)]
pub struct ForestLossTask {
    pub treecover: PathBuf,
    pub lossyear: PathBuf,
    pub emissions: Option<PathBuf>,
    pub zones: ZoneSource,
    pub rule: Rule,
    /// Canopy threshold, % (forest when the cover is greater).
    pub min_cover: f64,
    /// Minimum patch size, m² (larger patches of 4-connected forest are kept).
    pub min_patch_m2: f64,
    /// First and last year reported; default 2000 to the loss layer's GFC version (from its
    /// file name).
    pub years: Option<Years>,
    pub area: AreaMethod,
    pub memory: u64,
    pub out: Option<PathBuf>,
    pub plot: Option<PathBuf>,
}

/// The GFC version year in a Hansen file name ("…GFC-2023-v1.11…").
fn gfc_year(p: &Path) -> Option<i32> {
    let name = p.file_name()?.to_str()?;
    let i = name.find("GFC-")? + 4;
    name.get(i..i + 4)?.parse().ok()
}

impl ForestLossTask {
    /// The years reported: as asked, or from 2000 to the layer's version; never past it.
    fn years(&self) -> Result<(i32, i32)> {
        let last = gfc_year(&self.lossyear);
        let (y0, y1) = match (self.years, last) {
            (Some(y), _) => (y.first, y.last),
            (None, Some(l)) => (2000, l),
            (None, None) => {
                return Err(RasterError::Invalid(format!(
                    "{}: the file name does not say its GFC version (GFC-YYYY); give --years, e.g. 2000-2023",
                    self.lossyear.display()
                )));
            }
        };
        if let Some(l) = last
            && y1 > l
        {
            return Err(RasterError::Invalid(format!(
                "--years {y0}-{y1}: {} records loss up to {l} only (GFC-{l})",
                self.lossyear.display()
            )));
        }
        Ok((y0, y1))
    }

    /// Refuses an emissions layer named per hectare (GFW publishes gross emissions per
    /// cell, `Mg_CO2e_px`, and per hectare, `Mg_CO2e_ha`): the sum over cells wants the
    /// layer per cell.
    fn check_emissions_name(&self) -> Result<()> {
        let Some(p) = &self.emissions else {
            return Ok(());
        };
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let per_ha = ["co2e_ha", "co2e_per_ha", "per_ha", "_ha-1", "_ha_"]
            .iter()
            .any(|k| name.contains(k));
        if per_ha && !name.contains("_px") {
            return Err(RasterError::Invalid(format!(
                "{}: the name says Mg CO2e per hectare, and emissions are summed over the lost cells, which wants Mg CO2e per cell (GFW's `…_Mg_CO2e_px_…` layer). Give the per-cell layer, or multiply this one by each cell's area in hectares",
                p.display()
            )));
        }
        Ok(())
    }

    fn inputs(&self) -> Vec<PathBuf> {
        let mut inputs = vec![
            self.treecover.clone(),
            self.lossyear.clone(),
            self.zones.path.clone(),
        ];
        inputs.extend(self.emissions.clone());
        inputs
    }
}

impl RasterTask for ForestLossTask {
    type Results = ForestLossResults;

    fn files(&self) -> Result<Files> {
        self.years()?;
        self.check_emissions_name()?;
        zone_files(self.inputs(), self.out.as_deref(), self.plot.as_deref())
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<ForestLossResults> {
        let settings = forest_loss::Settings {
            treecover: self.treecover.clone(),
            lossyear: self.lossyear.clone(),
            emissions: self.emissions.clone(),
            zones: zones_for(&self.zones, self.out.as_deref()),
            min_cover: self.min_cover,
            min_patch_m2: self.min_patch_m2,
            years: self.years()?,
            rule: self.rule,
            area: self.area,
            memory: self.memory,
        };
        let rep = super::rows_phase(span, progress, "forest loss", |p| {
            forest_loss::run(&settings, p)
        })?;
        if let Some(p) = &self.emissions {
            check_emissions_per_ha(p, &rep)?;
        }
        if let Some(o) = &self.out {
            write_table(span, o, &forest_loss_table(&rep), &rep.zones, "forest_loss")?;
        }
        Ok(ForestLossResults {
            table: self.out.clone(),
            plot: self.plot.clone(),
            forest_loss: rep,
            years: settings.years,
        })
    }
}

/// The table of forest loss: a row per zone and year.
fn forest_loss_table(rep: &forest_loss::Report) -> ZoneTable {
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
    table
}

#[derive(Debug, Clone, Serialize)]
pub struct ForestLossResults {
    pub table: Option<PathBuf>,
    pub plot: Option<PathBuf>,
    pub forest_loss: forest_loss::Report,
    #[serde(skip)]
    years: (i32, i32),
}

/// Lines over a common x axis, with a title and the axes' names.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    pub title: String,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub x: Vec<f64>,
    /// The name of each line and its values.
    pub series: Vec<(String, Vec<f64>)>,
}

impl ForestLossResults {
    /// Forest area over the years of the 8 polygons with the most forest in the first year.
    pub fn plot(&self) -> LinePlot {
        let rep = &self.forest_loss;
        let first = |k: usize| rep.results[k].years.first().map_or(0.0, |y| y.forest_ha);
        let mut order: Vec<usize> = (0..rep.results.len()).collect();
        order.sort_by(|&x, &y| first(y).total_cmp(&first(x)));
        LinePlot {
            title: format!(
                "Forest area (canopy > {} %, patches > {} ha)",
                rep.min_cover, rep.min_patch_ha
            ),
            x_label: "year",
            y_label: "forest (ha)",
            x: (self.years.0..=self.years.1).map(f64::from).collect(),
            series: order
                .iter()
                .take(8)
                .map(|&i| {
                    (
                        zone_label(&rep.zones, i),
                        rep.results[i].years.iter().map(|y| y.forest_ha).collect(),
                    )
                })
                .collect(),
        }
    }
}

/// The most gross emissions of a hectare of forest lost, Mg CO2e, over all the zones: the
/// densest forests hold about 1,000 in biomass and peat adds its drainage; the Dominican
/// sample's loss emitted 353 a hectare. A layer per hectare summed as per cell gives 1/(a
/// cell's hectares) times as much: 13.7 times at 30 m and 20° N (4,840).
pub const MOST_EMISSIONS_PER_HA: f64 = 3000.0;

/// Refuses emissions beyond [`MOST_EMISSIONS_PER_HA`] per hectare lost (with 1 ha or more
/// lost in all).
fn check_emissions_per_ha(path: &Path, rep: &forest_loss::Report) -> Result<()> {
    let (mut loss, mut mg) = (0.0, 0.0);
    for z in &rep.results {
        for y in z.years.iter().skip(1) {
            loss += y.loss_ha;
            mg += y.emissions_mg.unwrap_or(0.0);
        }
    }
    if loss >= 1.0 && mg / loss > MOST_EMISSIONS_PER_HA {
        return Err(RasterError::Invalid(format!(
            "{}: the loss emitted {:.0} Mg CO2e a hectare ({mg:.1} Mg over {loss:.2} ha), more than any forest holds (at most about {MOST_EMISSIONS_PER_HA}): is the layer per hectare rather than per cell? Give the per-cell layer (GFW's `…_Mg_CO2e_px_…`)",
            path.display(),
            mg / loss
        )));
    }
    Ok(())
}

/// A zone's line: forest in the first and last years, the loss, the patches kept.
fn loss_line(name: &str, z: &forest_loss::ZoneLoss) -> Option<String> {
    let (first, last) = (z.years.first()?, z.years.last()?);
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
    Some(format!(
        "{name}: forest {:.2} ha in {} → {:.2} ha in {} (lost {:.2} ha, {:.2} %{}); {} of {} patches kept",
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
    ))
}

impl TaskResults for ForestLossResults {
    fn text(&self) -> String {
        let rep = &self.forest_loss;
        let mut text = String::new();
        let _ = writeln!(text, "{}", zones_line(&rep.zones, rep.outside));
        for r in &rep.rules {
            let _ = writeln!(text, "  · {r}");
        }
        for (i, z) in rep.results.iter().enumerate().take(20) {
            if let Some(line) = loss_line(&zone_label(&rep.zones, i), z) {
                let _ = writeln!(text, "{line}");
            }
        }
        if rep.results.len() > 20 {
            let _ = writeln!(text, "… {} more zones in the table", rep.results.len() - 20);
        }
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("km² processed", self.forest_loss.km2))
    }
}
