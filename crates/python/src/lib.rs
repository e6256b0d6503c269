//! `terrawatt._terrawatt`: the extension module under the `terrawatt` Python package.
//!
//! It holds no method of its own: [`call`] runs a command of the command line inside the
//! process (`terrawatt::app::call`, the same parsing, checks and tasks); tables cross the
//! boundary through the Arrow C stream interface ([`tables`]); [`meter`] measures Python
//! code with the command line's meter.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

mod meter;
mod solar;
mod tables;

create_exception!(
    _terrawatt,
    CallFailed,
    PyException,
    "A command failed: args are (kind, message, energy report as JSON or None)."
);

/// Runs one command (its arguments, without the program's name) and returns
/// `(command, results JSON, text, energy report JSON, whole report JSON)`; raises
/// `CallFailed(kind, message, energy JSON or None)`. The interpreter is released while the
/// command runs.
#[pyfunction]
fn call(py: Python<'_>, args: Vec<String>) -> PyResult<(String, String, String, String, String)> {
    let done = py.detach(move || terrawatt::app::call(args));
    match done {
        Ok(c) => {
            let energy = serde_json::to_string(&c.energy)
                .map_err(|e| PyException::new_err(e.to_string()))?;
            Ok((c.command, c.results.to_string(), c.text, energy, c.report))
        }
        Err(e) => Err(meter::failed(e)),
    }
}

/// The version of the crates this module was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _terrawatt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(call, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add("CallFailed", m.py().get_type::<CallFailed>())?;
    tables::register(m)?;
    meter::register(m)?;
    solar::register(m)?;
    Ok(())
}
