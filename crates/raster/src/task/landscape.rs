//! `raster landscape`: landscape metrics of a class raster, or a raster per metric over a
//! moving window.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::{Files, Progress, RasterTask, TaskResults};
use crate::Result;
use crate::landscape::{self, Metrics, Nodata};
use crate::read::BandSel;
use crate::sieve::Connectivity;
use crate::window::{self, Metric};
use crate::write::{Compression, Format, OutputSpec};

/// Class- and landscape-level metrics, and their CSV (`table`: one row per class, then the
/// landscape).
#[derive(Debug, Clone)]
pub struct LandscapeTask {
    pub landscape: landscape::Settings,
    pub table: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LandscapeResults {
    pub table: Option<PathBuf>,
    pub landscape: landscape::Report,
}

impl RasterTask for LandscapeTask {
    type Results = LandscapeResults;

    fn files(&self) -> Result<Files> {
        Ok(Files {
            inputs: vec![self.landscape.input.clone()],
            outputs: self.table.iter().cloned().collect(),
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<LandscapeResults> {
        let rep = super::rows_phase(span, progress, "landscape", |p| {
            landscape::run(&self.landscape, p)
        })?;
        if let Some(t) = &self.table {
            super::write_text(span, t, &metrics_csv(&rep))?;
        }
        Ok(LandscapeResults {
            table: self.table.clone(),
            landscape: rep,
        })
    }
}

/// The metrics as CSV: a row per class, then the landscape.
fn metrics_csv(rep: &landscape::Report) -> String {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut csv = String::from(
        "level,class,total_area_ha,proportion_of_landscape,number_of_patches,patch_density,largest_patch_index,total_edge_m,edge_density,area_mn_ha,total_core_area_ha,effective_mesh_size_ha,shannon_diversity_index,shannon_evenness_index\n",
    );
    for m in rep.classes.iter().chain([&rep.landscape]) {
        let _ = writeln!(
            csv,
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
        );
    }
    csv
}

/// A row of the printed table.
fn metrics_row(m: &Metrics) -> String {
    format!(
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
    )
}

impl TaskResults for LandscapeResults {
    fn text(&self) -> String {
        let rep = &self.landscape;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{} × {} cells of {} × {} m ({:.2} km²), nodata {} ({} cells), {}-connected, edge depth {}{}",
            rep.width,
            rep.height,
            metres(rep.cell_width),
            metres(rep.cell_height),
            rep.km2,
            rep.nodata.map(|v| v.to_string()).unwrap_or("none".into()),
            rep.nodata_cells,
            rep.connectivity.neighbours(),
            rep.edge_depth,
            if rep.count_boundary {
                ", boundary counted as edge"
            } else {
                ""
            }
        );
        let _ = writeln!(
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
        );
        for m in rep.classes.iter().chain([&rep.landscape]) {
            let _ = writeln!(text, "{}", metrics_row(m));
        }
        let _ = writeln!(
            text,
            "Shannon diversity {:.6}, evenness {:.6}",
            rep.landscape.shannon_diversity_index.unwrap_or(f64::NAN),
            rep.landscape.shannon_evenness_index.unwrap_or(f64::NAN)
        );
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("km² processed", self.landscape.km2))
    }

    fn warnings(&self) -> Vec<String> {
        let rep = &self.landscape;
        rep.frame
            .iter()
            .map(|f| {
                let share = rep
                    .classes
                    .iter()
                    .find(|m| m.class == Some(f.code))
                    .and_then(|m| m.proportion_of_landscape)
                    .unwrap_or(0.0);
                f.warning(
                    "the class map",
                    &rep.input,
                    Some(share / 100.0),
                    &format!("--nodata {} leaves it out", f.code),
                )
            })
            .collect()
    }
}

/// Moving-window metrics: a raster per metric, `out_dir/METRIC.tif`.
#[derive(Debug, Clone)]
pub struct WindowTask {
    pub input: PathBuf,
    pub band: BandSel,
    pub nodata: Nodata,
    /// Patch connectivity of the patch metrics.
    pub connectivity: Connectivity,
    /// The width of the square window, metres.
    pub window_m: f64,
    pub metrics: Vec<Metric>,
    pub out_dir: PathBuf,
    pub format: Format,
    pub memory: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowResults {
    pub window: window::Report,
}

impl WindowTask {
    fn outputs(&self) -> Vec<OutputSpec> {
        self.metrics
            .iter()
            .map(|m| OutputSpec {
                path: self.out_dir.join(format!("{}.tif", m.name())),
                format: self.format,
                compression: Compression::Deflate,
                level: None,
            })
            .collect()
    }
}

impl RasterTask for WindowTask {
    type Results = WindowResults;

    fn files(&self) -> Result<Files> {
        Ok(Files {
            inputs: vec![self.input.clone()],
            outputs: self.outputs().into_iter().map(|o| o.path).collect(),
            folders: vec![self.out_dir.clone()],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<WindowResults> {
        let settings = window::Settings {
            input: self.input.clone(),
            band: self.band.clone(),
            nodata: self.nodata,
            connectivity: self.connectivity,
            window_m: self.window_m,
            metrics: self.metrics.clone(),
            outputs: self.outputs(),
            memory: self.memory,
        };
        let window = super::rows_phase(span, progress, "moving window", |p| {
            window::run(&settings, p)
        })?;
        Ok(WindowResults { window })
    }
}

impl TaskResults for WindowResults {
    fn text(&self) -> String {
        let rep = &self.window;
        let mut text = String::new();
        let _ = writeln!(
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
        );
        let _ = writeln!(
            text,
            "window {} × {} cells ({} × {} m), clipped at the borders; nodata cells get no value",
            rep.window_cells.0,
            rep.window_cells.1,
            metres(rep.window_m.0),
            metres(rep.window_m.1)
        );
        for p in &rep.outputs {
            let _ = writeln!(text, "  wrote {}", p.display());
        }
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("km² processed", self.window.km2))
    }

    fn warnings(&self) -> Vec<String> {
        let rep = &self.window;
        rep.frame
            .iter()
            .map(|f| {
                f.warning(
                    "the class map",
                    &rep.input,
                    None,
                    &format!("--nodata {} leaves it out", f.code),
                )
            })
            .collect()
    }
}

/// A length in metres as a person reads it: whole metres as they are, else to the
/// millimetre (a 100 ft cell is 30.480 m).
fn metres(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{m}")
    } else {
        format!("{m:.3}")
    }
}
