//! `raster accuracy` and `raster sample-design`: a class map against its reference, and the
//! stratified sample to interpret for it.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::{Files, Progress, RasterTask, TaskResults};
use crate::accuracy::{self, DesignReport, DesignSettings, Reference, Report, Z95};
use crate::grid::AreaMethod;
use crate::read::{BandSel, Resampling};
use crate::{RasterError, Result};

/// The accuracy of the class map `map` against `reference`: a class raster (every pixel
/// compared), or a vector file with the class in `field`: sample points (Olofsson et al.
/// 2014) or reference polygons (every cell whose centre they hold). `table`: the per-class
/// CSV.
#[derive(Debug, Clone)]
pub struct AccuracyTask {
    pub map: PathBuf,
    /// The band of the map (and of a reference raster).
    pub band: BandSel,
    pub reference: PathBuf,
    pub field: String,
    pub layer: Option<String>,
    /// Only these classes count (others excluded and counted); all when `None`.
    pub classes: Option<Vec<i64>>,
    /// Warp a reference raster on another grid onto the map's: nearest or mode.
    pub align: Option<Resampling>,
    pub area: AreaMethod,
    pub memory: u64,
    pub table: Option<PathBuf>,
    /// Assess the classes as coded even where another coding agrees far better with the
    /// reference (see [`crate::accuracy::recoding`]).
    pub as_coded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccuracyResults {
    pub accuracy: Report,
    #[serde(skip)]
    map: PathBuf,
    #[serde(skip)]
    reference: PathBuf,
}

impl AccuracyTask {
    fn check(&self) -> Result<()> {
        match self.align {
            None | Some(Resampling::Nearest | Resampling::Mode) => Ok(()),
            Some(o) => Err(RasterError::Invalid(format!(
                "--align '{o}': classes are warped with nearest or mode"
            ))),
        }
    }
}

impl RasterTask for AccuracyTask {
    type Results = AccuracyResults;

    fn files(&self) -> Result<Files> {
        self.check()?;
        Ok(Files {
            inputs: vec![self.map.clone(), self.reference.clone()],
            outputs: self.table.iter().cloned().collect(),
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<AccuracyResults> {
        self.check()?;
        // a file with raster bands is a reference raster; else a vector layer
        let is_raster = crate::read::band_count(&self.reference).unwrap_or(0) > 0;
        let tmp = super::tmp_dir(
            self.table
                .as_deref()
                .unwrap_or(std::path::Path::new("accuracy.csv")),
        )?;
        let settings = accuracy::Settings {
            map: self.map.clone(),
            band: self.band.clone(),
            reference: if is_raster {
                Reference::Raster {
                    path: self.reference.clone(),
                    band: self.band.clone(),
                }
            } else {
                Reference::Vector {
                    path: self.reference.clone(),
                    layer: self.layer.clone(),
                    field: self.field.clone(),
                }
            },
            classes: self.classes.clone(),
            align: self.align,
            area: self.area,
            memory: self.memory,
            tmp: tmp.path().to_path_buf(),
            as_coded: self.as_coded,
        };
        let rep = super::rows_phase(span, progress, "accuracy", |p| accuracy::run(&settings, p))?;
        if let Some(t) = &self.table {
            super::write_text(span, t, &class_csv(&rep))?;
        }
        Ok(AccuracyResults {
            accuracy: rep,
            map: self.map.clone(),
            reference: self.reference.clone(),
        })
    }
}

/// The per-class table: accuracies and areas (a census), or Olofsson et al.'s estimates
/// with their standard errors (a sample).
fn class_csv(rep: &Report) -> String {
    let mut csv = String::new();
    match &rep.estimates {
        None => {
            csv.push_str(
                "class,users_accuracy,producers_accuracy,f1,map_hectares,reference_hectares\n",
            );
            let refs = rep.reference_hectares.clone().unwrap_or_default();
            for (j, ca) in rep.accuracy.classes.iter().enumerate() {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{},{}",
                    ca.class, ca.users, ca.producers, ca.f1, rep.map_hectares[j], refs[j]
                );
            }
        }
        Some(st) => {
            csv.push_str("class,sample,mapped,users_accuracy,users_accuracy_se,producers_accuracy,producers_accuracy_se,area_proportion,area_proportion_se,area,area_ci95,f1\n");
            for (ce, ca) in st.classes.iter().zip(&rep.accuracy.classes) {
                let _ = writeln!(
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
                );
            }
        }
    }
    csv
}

impl AccuracyResults {
    /// What was compared: pixels (a census) or sample units.
    fn what(&self) -> &'static str {
        if self.accuracy.design == "census" {
            "pixels"
        } else {
            "sample units"
        }
    }

    /// The confusion matrix, map classes in rows.
    fn matrix_text(&self, text: &mut String) {
        let m = &self.accuracy.matrix;
        let k = m.k();
        let _ = writeln!(
            text,
            "{:>10} {}",
            "",
            m.classes
                .iter()
                .map(|c| format!("{c:>10}"))
                .collect::<String>()
        );
        for i in 0..k {
            let _ = writeln!(
                text,
                "{:>10} {}",
                m.classes[i],
                (0..k)
                    .map(|j| format!("{:>10}", m.counts[i * k + j]))
                    .collect::<String>()
            );
        }
    }

    /// Accuracy per class: of a census, or Olofsson et al.'s estimates of a sample.
    fn classes_text(&self, text: &mut String) {
        let rep = &self.accuracy;
        match &rep.estimates {
            None => {
                let c = &rep.accuracy;
                let _ = writeln!(
                    text,
                    "overall accuracy {:.4} · kappa {:.4}",
                    c.overall, c.kappa
                );
                let refs = rep.reference_hectares.clone().unwrap_or_default();
                for (j, ca) in c.classes.iter().enumerate() {
                    let _ = writeln!(
                        text,
                        "  class {:>4}: user's {:.4} · producer's {:.4} · F1 {:.4} · map {:.2} ha · reference {:.2} ha",
                        ca.class, ca.users, ca.producers, ca.f1, rep.map_hectares[j], refs[j]
                    );
                }
            }
            Some(st) => {
                let au = if rep.map_hectares.iter().all(|x| x.is_finite()) {
                    "ha"
                } else {
                    "px"
                };
                let _ = writeln!(
                    text,
                    "overall accuracy {:.4} ± {:.4} (95 %) · sample kappa {:.4}",
                    st.overall,
                    Z95 * st.overall_se,
                    rep.accuracy.kappa
                );
                // as many as the census has classes, as in the table
                for (ce, _) in st.classes.iter().zip(&rep.accuracy.classes) {
                    let _ = writeln!(
                        text,
                        "  class {:>4}: n {} · user's {:.4} ± {:.4} · producer's {:.4} ± {:.4} · area {:.2} ± {:.2} {au} (mapped {:.2})",
                        ce.class,
                        ce.sample,
                        ce.users,
                        Z95 * ce.users_se,
                        ce.producers,
                        Z95 * ce.producers_se,
                        ce.area,
                        ce.area_ci95,
                        ce.mapped
                    );
                }
            }
        }
    }
}

impl TaskResults for AccuracyResults {
    fn text(&self) -> String {
        let rep = &self.accuracy;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{} of {} against {} ({}; map classes in rows, reference in columns)",
            rep.design,
            self.map.display(),
            self.reference.display(),
            self.what()
        );
        self.matrix_text(&mut text);
        let e = &rep.excluded;
        let _ = writeln!(
            text,
            "excluded: map missing {} · reference missing {} · outside the map {} · other classes {}",
            e.map_missing, e.reference_missing, e.outside_map, e.other_classes
        );
        if e.ambiguous > 0 {
            let _ = writeln!(
                text,
                "cells in reference polygons of different classes (left out): {}",
                e.ambiguous
            );
        }
        self.classes_text(&mut text);
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new(
            self.what(),
            self.accuracy.accuracy.total,
        ))
    }

    fn warnings(&self) -> Vec<String> {
        self.accuracy.warnings.clone()
    }
}

/// A stratified random sample of a class map (strata = its classes), written as a
/// GeoPackage of points to interpret.
#[derive(Debug, Clone)]
pub struct SampleDesignTask {
    pub design: DesignSettings,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleDesignResults {
    pub sample_design: DesignReport,
    pub out: PathBuf,
}

impl SampleDesignTask {
    fn check(&self) -> Result<()> {
        if self.design.n < 2 {
            return Err(RasterError::Invalid(format!(
                "--n {}: a sample needs at least 2 units per class",
                self.design.n
            )));
        }
        Ok(())
    }
}

impl RasterTask for SampleDesignTask {
    type Results = SampleDesignResults;

    fn files(&self) -> Result<Files> {
        self.check()?;
        Ok(Files {
            inputs: vec![self.design.map.clone()],
            outputs: vec![self.design.out.clone()],
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<SampleDesignResults> {
        self.check()?;
        let rep = super::rows_phase(span, progress, "sample", |p| {
            accuracy::sample_design(&self.design, p)
        })?;
        Ok(SampleDesignResults {
            sample_design: rep,
            out: self.design.out.clone(),
        })
    }
}

impl TaskResults for SampleDesignResults {
    fn text(&self) -> String {
        let rep = &self.sample_design;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{} points ({:?}, seed {}) → {} ({})",
            rep.n,
            rep.allocation,
            rep.seed,
            self.out.display(),
            rep.crs
        );
        for st in &rep.strata {
            let _ = writeln!(
                text,
                "  class {:>4}: {:>6} points of {} pixels ({:.2} ha)",
                st.class, st.sample, st.pixels, st.hectares
            );
        }
        text
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new(
            "sample points",
            self.sample_design.n as f64,
        ))
    }

    fn warnings(&self) -> Vec<String> {
        let frame = self.sample_design.warnings.iter().cloned();
        self.sample_design
            .strata
            .iter()
            .filter(|st| st.sample < 2)
            .map(|st| {
                format!(
                    "class {} gets {} sample point{}: its accuracy and area cannot be estimated (at least 2; try --allocation min:50)",
                    st.class,
                    st.sample,
                    if st.sample == 1 { "" } else { "s" }
                )
            })
            .chain(frame)
            .collect()
    }
}
