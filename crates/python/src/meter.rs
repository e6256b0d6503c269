//! A meter for Python code: a span opened and closed around the caller's own work, with the
//! command line's meter, carbon settings and outputs (`terrawatt::app::metering`).

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use terrawatt::app::{CallError, Metering};
use terrawatt_meter::{EnergyReport, Footprint};

use crate::CallFailed;

pub fn failed(e: CallError) -> PyErr {
    let kind = match e.kind {
        terrawatt::app::CallErrorKind::Usage => "usage",
        terrawatt::app::CallErrorKind::Settings => "settings",
        terrawatt::app::CallErrorKind::Task => "task",
    };
    let energy = e
        .energy
        .as_ref()
        .and_then(|r| serde_json::to_string(r).ok());
    CallFailed::new_err((kind, e.message, energy))
}

fn json(v: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// An open span. A span opened from another (`child`) is a phase of it: closed, it is
/// adopted by its parent.
#[pyclass(module = "terrawatt._terrawatt")]
#[derive(Debug)]
pub struct Span {
    metering: Arc<Metering>,
    span: Mutex<Option<terrawatt_meter::Span>>,
    started_utc: String,
}

pub fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[pymethods]
impl Span {
    /// Opens a span named `name` with the command line's global options (`--country FR`,
    /// `--emissions-csv FILE`, …), checked as the program checks them.
    #[new]
    fn new(name: String, options: Vec<String>) -> PyResult<Span> {
        let metering = terrawatt::app::metering(options).map_err(failed)?;
        let span = metering.meter.span(name);
        Ok(Span {
            metering: Arc::new(metering),
            span: Mutex::new(Some(span)),
            started_utc: now_utc(),
        })
    }

    /// A phase of this span.
    fn child(&self, name: String) -> Span {
        Span {
            span: Mutex::new(Some(self.metering.meter.span(name))),
            metering: self.metering.clone(),
            started_utc: now_utc(),
        }
    }

    /// Closes a phase: its record joins `parent`'s phases; returns its energy report (the
    /// parent's carbon settings) as JSON.
    fn finish_into(&self, parent: &Span) -> PyResult<String> {
        let record = self.take()?;
        let mut p = parent.span.lock().unwrap_or_else(|e| e.into_inner());
        let p = p
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("the enclosing meter is already closed"))?;
        p.adopt(record.clone());
        let energy = EnergyReport::new(
            &self.metering.meter,
            record,
            self.metering.carbon.clone(),
            None,
        );
        json(&energy)
    }

    /// Closes the span: its energy report and the whole JSON report, published (report
    /// file, emissions row) where the options ask.
    fn finish(&self) -> PyResult<(String, String)> {
        let record = self.take()?;
        let name = record.name.clone();
        let (energy, report) = self
            .metering
            .publish(
                record,
                self.started_utc.clone(),
                &serde_json::json!({ "name": name }),
                None,
            )
            .map_err(failed)?;
        Ok((json(&energy)?, report))
    }

    /// Seconds since the span opened.
    #[getter]
    fn elapsed_s(&self) -> f64 {
        let guard = self.span.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map_or(0.0, |s| s.elapsed_s())
    }
}

impl Span {
    fn take(&self) -> PyResult<terrawatt_meter::SpanRecord> {
        let mut guard = self.span.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .take()
            .map(|s| s.finish())
            .ok_or_else(|| PyRuntimeError::new_err("the meter is already closed"))
    }
}

/// The one-line summary of an energy report given as JSON.
#[pyfunction]
fn energy_line(report: &str) -> PyResult<String> {
    let r: EnergyReport =
        serde_json::from_str(report).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(Footprint::line(&r.footprint, &r.carbon))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Span>()?;
    m.add_function(wrap_pyfunction!(energy_line, m)?)?;
    Ok(())
}
