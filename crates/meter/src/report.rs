//! The energy report of a task: energy with its method and band, carbon, SCI, the span
//! tree, and the one-line summary printed after every command.

use serde::{Deserialize, Serialize};

use crate::carbon::{self, Embodied, GridIntensity};
use crate::hourly::IntensitySeries;
use crate::meter::{Attribution, MachineInfo, Meter, SpanRecord};
use crate::model::PowerModel;
use crate::source::{Method, SourceProbe};
use crate::units;

/// How carbon is counted for a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarbonSettings {
    /// The intensity used where no series is given, or outside the series' cover.
    pub grid: GridIntensity,
    /// An hourly (or finer) intensity series: each span's energy is integrated against
    /// the intensity over its own wall-clock interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<IntensitySeries>,
    /// Power usage effectiveness of the facility (1.0 = none counted).
    pub pue: f64,
    pub embodied: Option<Embodied>,
}

impl Default for CarbonSettings {
    fn default() -> Self {
        CarbonSettings {
            grid: GridIntensity::world_average(),
            series: None,
            pue: 1.0,
            embodied: None,
        }
    }
}

/// The functional unit a task names for its SCI score: `count` units of `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionalUnit {
    /// Singular, e.g. `prediction`, `km²`, `site-year`, `1,000 predictions`.
    pub name: String,
    pub count: f64,
}

impl FunctionalUnit {
    pub fn new(name: impl Into<String>, count: f64) -> FunctionalUnit {
        FunctionalUnit {
            name: name.into(),
            count,
        }
    }
}

/// The Software Carbon Intensity of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sci {
    pub unit: String,
    /// R: how many units the task produced.
    pub units: f64,
    /// (E·I + M) / R, gCO2e per unit.
    pub g_per_unit: f64,
}

/// Energy and carbon of one span under a run's carbon settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Footprint {
    pub method: Method,
    pub estimate: bool,
    /// IT energy attributed to the task, J.
    pub it_joules: f64,
    /// IT energy × PUE, J: the figure the carbon is computed on.
    pub joules: f64,
    pub wh: f64,
    /// Relative uncertainty of the energy (and so of the operational carbon): the larger
    /// side of the band.
    pub uncertainty: f64,
    /// The band below and above, relative.
    pub band_low: f64,
    pub band_high: f64,
    pub joules_low: f64,
    pub joules_high: f64,
    pub operational_g: f64,
    pub embodied_g: f64,
    /// operational + embodied.
    pub co2e_g: f64,
    /// The intensity the operational carbon works out at (the series' energy-weighted
    /// mean where a series is given).
    pub g_per_kwh: f64,
    /// With a series: the share of the energy whose interval the series covers (the rest
    /// is counted at `carbon.grid`, and a note says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_coverage: Option<f64>,
    pub sci: Option<Sci>,
}

/// Operational grams of a span under a series: each leaf phase at the mean intensity over
/// its own interval, and what a span holds beyond its phases at its own interval's mean;
/// returns (grams, joules covered, joules not covered).
fn series_grams(
    span: &SpanRecord,
    series: &IntensitySeries,
    fallback: f64,
    pue: f64,
) -> (f64, f64, f64) {
    let mut grams = 0.0;
    let (mut covered, mut uncovered) = (0.0, 0.0);
    let mut inside = 0.0;
    for c in &span.children {
        let (g, a, b) = series_grams(c, series, fallback, pue);
        grams += g;
        covered += a;
        uncovered += b;
        inside += c.energy.joules * pue;
    }
    let own = (span.energy.joules * pue - inside).max(0.0);
    match series.mean(span.started_unix_s, span.started_unix_s + span.wall_s) {
        Ok(m) => {
            grams += carbon::grams(own, m);
            covered += own;
        }
        Err(_) => {
            grams += carbon::grams(own, fallback);
            uncovered += own;
        }
    }
    (grams, covered, uncovered)
}

impl Footprint {
    /// Computes the footprint of `span`.
    pub fn of(span: &SpanRecord, carbon: &CarbonSettings, unit: Option<&FunctionalUnit>) -> Self {
        let e = &span.energy;
        let joules = e.joules * carbon.pue;
        let (operational_g, series_coverage) = match &carbon.series {
            Some(series) => {
                let (g, covered, uncovered) =
                    series_grams(span, series, carbon.grid.g_per_kwh, carbon.pue);
                let all = covered + uncovered;
                (g, Some(if all > 0.0 { covered / all } else { 1.0 }))
            }
            None => (carbon::grams(joules, carbon.grid.g_per_kwh), None),
        };
        let g_per_kwh = if joules > 0.0 {
            operational_g / (joules / 3.6e6)
        } else {
            carbon.grid.g_per_kwh
        };
        let embodied_g = carbon.embodied.map_or(0.0, |m| m.grams_for(span.wall_s));
        let co2e_g = operational_g + embodied_g;
        let sci = unit.filter(|u| u.count > 0.0).map(|u| Sci {
            unit: u.name.clone(),
            units: u.count,
            g_per_unit: co2e_g / u.count,
        });
        Footprint {
            method: e.method,
            estimate: e.estimate,
            it_joules: e.joules,
            joules,
            wh: joules / 3600.0,
            uncertainty: e.uncertainty,
            band_low: e.band_low,
            band_high: e.band_high,
            joules_low: joules * (1.0 - e.band_low).max(0.0),
            joules_high: joules * (1.0 + e.band_high),
            operational_g,
            embodied_g,
            co2e_g,
            g_per_kwh,
            series_coverage,
            sci,
        }
    }

    /// The one-line summary, e.g.
    /// `energy 12.4 J (model estimate ±60 %) · 3.44 mWh · 1.65 mgCO2e @ 481 g/kWh (world average) · SCI 0.8 µgCO2e per prediction`.
    pub fn line(&self, carbon: &CarbonSettings) -> String {
        let band = crate::model::band_text(self.band_low, self.band_high);
        let kind = if self.estimate {
            format!("{} estimate {band}", self.method)
        } else {
            format!("{} measured {band}", self.method)
        };
        let basis = match (&carbon.series, self.series_coverage) {
            (Some(s), Some(c)) if c >= 1.0 => format!(
                "{} series {}",
                s.step_name(),
                s.path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ),
            (Some(s), Some(c)) => format!(
                "{} series for {:.0} % of the energy, the rest at {}",
                s.step_name(),
                c * 100.0,
                carbon.grid.label()
            ),
            _ => carbon.grid.label(),
        };
        let mut s = format!(
            "energy {} ({kind}) · {} · {} @ {:.0} g/kWh ({basis})",
            units::joules(self.joules),
            units::watt_hours(self.joules),
            units::grams_co2e(self.co2e_g),
            self.g_per_kwh,
        );
        if carbon.pue != 1.0 {
            s.push_str(&format!(" · PUE {}", carbon.pue));
        }
        if self.embodied_g > 0.0 {
            s.push_str(&format!(
                " · incl. {} embodied",
                units::grams_co2e(self.embodied_g)
            ));
        }
        if let Some(sci) = &self.sci {
            s.push_str(&format!(
                " · SCI {} per {}",
                units::grams_co2e(sci.g_per_unit),
                sci.unit
            ));
        }
        s
    }
}

/// The energy record of a task, as written into its JSON report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyReport {
    #[serde(flatten)]
    pub footprint: Footprint,
    pub carbon: CarbonSettings,
    /// The task / others / idle split of the machine's energy (measured or modelled).
    pub attribution: Option<Attribution>,
    /// The attribution convention, in words.
    pub attribution_convention: String,
    /// The model's parameters: the figure's where the model produced it, and the idle
    /// power the counters' attribution used where a counter did.
    pub model: Option<PowerModel>,
    /// Every source probed and why those not used were not.
    pub sources: Vec<SourceProbe>,
    pub machine: MachineInfo,
    /// The task's span with its phases.
    pub span: SpanRecord,
    /// Warnings about the figure (counter wraps, fallbacks).
    pub notes: Vec<String>,
}

impl EnergyReport {
    /// The report of a closed task span.
    pub fn new(
        meter: &Meter,
        span: SpanRecord,
        carbon: CarbonSettings,
        unit: Option<&FunctionalUnit>,
    ) -> EnergyReport {
        let footprint = Footprint::of(&span, &carbon, unit);
        let mut notes = Vec::new();
        collect_notes(&span, &mut notes);
        if let (Some(series), Some(c)) = (&carbon.series, footprint.series_coverage)
            && c < 1.0
        {
            notes.push(format!(
                "the intensity series {} covers {:.1} % of the energy (it ends {}): the rest is counted at {} ({:.1} g/kWh)",
                series.path.display(),
                c * 100.0,
                IntensitySeries::time_text(series.end_s as f64),
                carbon.grid.label(),
                carbon.grid.g_per_kwh
            ));
        }
        EnergyReport {
            footprint,
            attribution: span.energy.attribution,
            attribution_convention: crate::meter::ATTRIBUTION_CONVENTION.to_string(),
            model: Some(meter.model().clone()),
            sources: meter.probes().to_vec(),
            machine: meter.machine(),
            carbon,
            span,
            notes,
        }
    }

    /// The one-line summary.
    pub fn line(&self) -> String {
        self.footprint.line(&self.carbon)
    }
}

fn collect_notes(span: &SpanRecord, out: &mut Vec<String>) {
    for n in &span.energy.notes {
        if !out.contains(n) {
            out.push(format!("{}: {n}", span.name));
        }
    }
    for c in &span.children {
        collect_notes(c, out);
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use crate::MeterConfig;

    #[test]
    fn an_energy_report_reads_back_as_it_was_written() {
        let meter = Meter::detect(&MeterConfig::model_only()).unwrap();
        let mut span = meter.span("task");
        span.phase("work", |_| {
            std::hint::black_box((0..100_000u64).sum::<u64>())
        });
        let report = EnergyReport::new(
            &meter,
            span.finish(),
            CarbonSettings {
                grid: GridIntensity::country("FR").unwrap(),
                series: None,
                pue: 1.2,
                embodied: Some(Embodied::new(1000.0, 4.0, 0.5).unwrap()),
            },
            Some(&FunctionalUnit::new("site-year", 2.0)),
        );
        let text = serde_json::to_string(&report).unwrap();
        let back: EnergyReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }
}
