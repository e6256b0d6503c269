//! `raster transitions`: the from–to matrix of two class rasters, whole or per polygon.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::zonal::{write_table, zone_files, zone_label, zones_for, zones_line};
use super::{Files, Progress, RasterTask, TaskResults};
use crate::grid::AreaMethod;
use crate::read::{BandSel, Resampling};
use crate::transitions::{self, Report, ZonesReport};
use crate::zonal::{Rule, ZoneSource};
use crate::zone_table::ZoneTable;
use crate::zones::{Kind, Value};
use crate::{RasterError, Result};

/// Land-cover transitions between two class rasters (the later warped onto the earlier's
/// grid with `align`: nearest or mode), in hectares of true area; per polygon of `zones`
/// when given. `table`: CSV (from, to, cells, hectares); per polygon .csv, .parquet or
/// .gpkg.
#[derive(Debug, Clone)]
pub struct TransitionsTask {
    pub before: PathBuf,
    pub after: PathBuf,
    pub band: BandSel,
    pub align: Option<Resampling>,
    pub area: AreaMethod,
    pub memory: u64,
    pub table: Option<PathBuf>,
    pub zones: Option<(ZoneSource, Rule)>,
}

/// The matrix of the whole rasters, or one per polygon.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Transitions {
    Whole(Report),
    Zones(ZonesReport),
}

#[derive(Debug, Clone, Serialize)]
pub struct TransitionsResults {
    pub table: Option<PathBuf>,
    pub transitions: Transitions,
}

impl TransitionsTask {
    fn check(&self) -> Result<()> {
        if let Some(o) = self.align
            && !matches!(o, Resampling::Nearest | Resampling::Mode)
        {
            return Err(RasterError::Invalid(format!(
                "--align '{o}': classes are warped with nearest or mode"
            )));
        }
        if super::same_file(&self.before, &self.after) {
            return Err(RasterError::Invalid(format!(
                "--before {} and --after {} are the same map (one file, or copies of it): every cell would be counted as unchanged. Give the other year's map",
                self.before.display(),
                self.after.display()
            )));
        }
        let year = |p: &std::path::Path| {
            let name = p.file_name()?.to_str()?;
            super::stack::year_in_name(name).map(|y| (y, name.to_string()))
        };
        if let (Some((b, bn)), Some((a, an))) = (year(&self.before), year(&self.after))
            && b > a
        {
            return Err(RasterError::Invalid(format!(
                "--before is of {b} and --after of {a} (by the years in their names, {bn} and \
                 {an}): the maps are given the wrong way round, and every transition would be \
                 read backwards (forest → cropland as cropland → forest). Give the earlier map \
                 as --before"
            )));
        }
        Ok(())
    }
}

impl RasterTask for TransitionsTask {
    type Results = TransitionsResults;

    fn files(&self) -> Result<Files> {
        self.check()?;
        let mut inputs = vec![self.before.clone(), self.after.clone()];
        match &self.zones {
            Some((z, _)) => {
                inputs.push(z.path.clone());
                zone_files(inputs, self.table.as_deref(), None)
            }
            None => Ok(Files {
                inputs,
                outputs: self.table.iter().cloned().collect(),
                folders: vec![],
            }),
        }
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<TransitionsResults> {
        self.check()?;
        let tmp = super::tmp_dir(
            self.table
                .as_deref()
                .unwrap_or(std::path::Path::new("transitions.csv")),
        )?;
        let settings = transitions::Settings {
            before: self.before.clone(),
            after: self.after.clone(),
            band: self.band.clone(),
            align: self.align,
            area: self.area,
            memory: self.memory,
            tmp: tmp.path().to_path_buf(),
        };
        let transitions = match &self.zones {
            Some((zones, rule)) => {
                let zones = zones_for(zones, self.table.as_deref());
                let rep = super::rows_phase(span, progress, "transitions", |p| {
                    transitions::run_zones(&settings, &zones, *rule, p)
                })?;
                if let Some(t) = &self.table {
                    write_table(span, t, &zone_table(&rep), &rep.zones, "transitions")?;
                }
                Transitions::Zones(rep)
            }
            None => {
                let rep = super::rows_phase(span, progress, "transitions", |p| {
                    transitions::run(&settings, p)
                })?;
                if let Some(t) = &self.table {
                    let mut csv = String::from("from,to,cells,hectares\n");
                    for k in &rep.transitions {
                        let _ = writeln!(csv, "{},{},{},{}", k.from, k.to, k.cells, k.hectares);
                    }
                    super::write_text(span, t, &csv)?;
                }
                Transitions::Whole(rep)
            }
        };
        Ok(TransitionsResults {
            table: self.table.clone(),
            transitions,
        })
    }
}

/// A row per polygon and (from, to) pair.
fn zone_table(rep: &ZonesReport) -> ZoneTable {
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
    table
}

/// The hectares that changed class, folded from +0.0 (an empty sum of f64 is −0.0).
fn changed<'a>(pairs: impl Iterator<Item = (i64, i64, f64)> + 'a) -> f64 {
    pairs
        .filter(|(from, to, _)| from != to)
        .map(|(_, _, ha)| ha)
        .fold(0.0, |a, b| a + b)
}

fn whole_text(rep: &Report) -> String {
    let mut text = String::new();
    let _ = writeln!(
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
    );
    let changed = changed(rep.transitions.iter().map(|t| (t.from, t.to, t.hectares)));
    let total: f64 = rep.transitions.iter().map(|t| t.hectares).sum();
    let _ = writeln!(
        text,
        "changed {changed:.2} ha of {total:.2} ha ({:.3} %)",
        100.0 * changed / total
    );
    let mut biggest: Vec<_> = rep.transitions.iter().filter(|t| t.from != t.to).collect();
    biggest.sort_by(|x, y| y.hectares.total_cmp(&x.hectares));
    for t in biggest.iter().take(10) {
        let _ = writeln!(
            text,
            "  {:>6} → {:<6} {:>12} cells {:>14.2} ha",
            t.from, t.to, t.cells, t.hectares
        );
    }
    text
}

fn zones_text(rep: &ZonesReport) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}", zones_line(&rep.zones, rep.outside));
    for (i, m) in rep.matrices.iter().enumerate().take(20) {
        let total: f64 = m.transitions.iter().map(|t| t.hectares).sum();
        let changed = changed(m.transitions.iter().map(|t| (t.from, t.to, t.hectares)));
        let _ = writeln!(
            text,
            "{}: changed {changed:.2} ha of {total:.2} ha ({:.3} %), missing {:.2} ha",
            zone_label(&rep.zones, i),
            if total > 0.0 {
                100.0 * changed / total
            } else {
                0.0
            },
            m.missing_hectares
        );
        let mut biggest: Vec<_> = m.transitions.iter().filter(|t| t.from != t.to).collect();
        biggest.sort_by(|x, y| y.hectares.total_cmp(&x.hectares));
        for t in biggest.iter().take(5) {
            let _ = writeln!(
                text,
                "  {:>6} → {:<6} {:>14.2} ha",
                t.from, t.to, t.hectares
            );
        }
    }
    text
}

impl TaskResults for TransitionsResults {
    fn text(&self) -> String {
        match &self.transitions {
            Transitions::Whole(rep) => whole_text(rep),
            Transitions::Zones(rep) => zones_text(rep),
        }
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        let km2 = match &self.transitions {
            Transitions::Whole(rep) => rep.km2,
            Transitions::Zones(rep) => rep.km2,
        };
        Some(FunctionalUnit::new("km² processed", km2))
    }

    fn warnings(&self) -> Vec<String> {
        let Transitions::Whole(rep) = &self.transitions else {
            return vec![];
        };
        let cells: u64 = rep.transitions.iter().map(|t| t.cells).sum::<u64>()
            + rep.missing_before
            + rep.missing_after
            + rep.missing_both;
        let share = |code: i64, from: bool| {
            let k: u64 = rep
                .transitions
                .iter()
                .filter(|t| (if from { t.from } else { t.to }) == code)
                .map(|t| t.cells)
                .sum();
            k as f64 / cells.max(1) as f64
        };
        let mut out = vec![];
        for (frame, what, path, from) in [
            (rep.frame_before, "the before map", &rep.before, true),
            (rep.frame_after, "the after map", &rep.after, false),
        ] {
            if let Some(f) = frame {
                out.push(f.warning(
                    what,
                    path,
                    Some(share(f.code, from)),
                    &format!("declare it (gdal_edit.py -a_nodata {} FILE)", f.code),
                ));
            }
        }
        out.extend(legend_warning(rep));
        out
    }
}

/// The warning of two maps whose classes agree far better under a one-to-one recoding
/// than as coded ([`crate::accuracy::recoding`], as `raster accuracy` refuses them): the
/// same map in another legend (LC100 2019 recoded 1…14) read as 100 % change, for 0.012 %.
/// A warning, not a refusal: a class that mostly turned into another is real change.
fn legend_warning(rep: &Report) -> Option<String> {
    let pairs: std::collections::BTreeMap<(i64, i64), f64> = rep
        .transitions
        .iter()
        .map(|t| ((t.from, t.to), t.cells as f64))
        .collect();
    let r = crate::accuracy::recoding(&crate::accuracy::Matrix::from_pairs(&pairs, &[]))?;
    let moves: Vec<String> = r
        .moves
        .iter()
        .map(|(a, b, share)| format!("{a} → {b} for {:.0} % of its cells", share * 100.0))
        .collect();
    Some(format!(
        "{} and {} agree far better under a one-to-one recoding than as coded ({}; kappa {:.2} as coded, {:.2} so recoded): if both maps use one legend this is change; if not (another product's codes, or one map recoded), recode one to the other's legend, since every cell would be read as a transition",
        rep.before.display(),
        rep.after.display(),
        moves.join(", "),
        r.kappa,
        r.recoded_kappa
    ))
}
