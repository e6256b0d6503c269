//! Solar positions of any instants, as numpy arrays: the SPA kernel of `solar position`
//! (`terrawatt_solar::spa::positions`) on the caller's times, metered as a command is.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use terrawatt_meter::FunctionalUnit;
use terrawatt_solar::spa::{self, Site};

use crate::CallFailed;

fn refused(message: String) -> PyErr {
    CallFailed::new_err(("settings", message, None::<String>))
}

/// `(columns as numpy arrays, energy report JSON, whole report JSON)` of the positions at
/// `times` (Unix seconds, UTC; NaN gives NaN) for one site. The columns are those of
/// `solar position`'s table.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solar_positions<'py>(
    py: Python<'py>,
    times: PyReadonlyArray1<'py, f64>,
    latitude: f64,
    longitude: f64,
    elevation: f64,
    pressure: f64,
    temperature: f64,
    delta_t: f64,
    options: Vec<String>,
) -> PyResult<(Bound<'py, PyDict>, String, String)> {
    let site = Site {
        latitude,
        longitude,
        elevation,
        pressure,
        temperature,
        refraction: 0.5667,
    };
    site.check().map_err(|e| {
        refused(format!(
            "--lat/--lon/--elevation/--pressure/--temperature: {e}"
        ))
    })?;
    if !delta_t.is_finite() || delta_t.abs() > 10_000.0 {
        return Err(refused(format!(
            "--delta-t {delta_t} s is outside ±10,000 s"
        )));
    }
    let metering = terrawatt::app::metering(options).map_err(crate::meter::failed)?;
    let times: Vec<f64> = times.as_slice()?.to_vec();
    let started = crate::meter::now_utc();
    let (columns, record) = py.detach(|| {
        let mut span = metering.meter.span("solar position");
        let columns = span.phase("compute", |_| {
            let pos = spa::positions(&times, &[site], delta_t).remove(0);
            let col = |f: fn(&spa::Position) -> f64| pos.iter().map(f).collect::<Vec<f64>>();
            vec![
                ("apparent_zenith", col(|p| p.apparent_zenith)),
                ("zenith", col(|p| p.zenith)),
                ("apparent_elevation", col(|p| p.apparent_elevation)),
                ("elevation", col(|p| p.elevation)),
                ("azimuth", col(|p| p.azimuth)),
                ("equation_of_time", col(|p| p.equation_of_time)),
                ("declination", col(|p| p.declination)),
                ("hour_angle", col(|p| p.hour_angle)),
            ]
        });
        (columns, span.finish())
    });
    let n = times.len();
    let finite: Vec<f64> = times.iter().copied().filter(|t| t.is_finite()).collect();
    let years = match (finite.first(), finite.last()) {
        (Some(a), Some(b)) if finite.len() > 1 => {
            (b - a) / (finite.len() - 1) as f64 * finite.len() as f64 / (365.25 * 86_400.0)
        }
        _ => 0.0,
    };
    let unit = FunctionalUnit::new("site-year", years);
    let results = serde_json::json!({
        "positions": n,
        "site": site,
        "delta_t": delta_t,
    });
    let (energy, report) = metering
        .publish(record, started, &results, Some(&unit))
        .map_err(crate::meter::failed)?;
    let out = PyDict::new(py);
    for (name, values) in columns {
        out.set_item(name, PyArray1::from_vec(py, values))?;
    }
    let energy = serde_json::to_string(&energy)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    Ok((out, energy, report))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(solar_positions, m)?)?;
    Ok(())
}
