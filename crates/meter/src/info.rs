//! What the meter sees on this machine: its energy sources (and why those not used are
//! not), the processor, what the model charges, the attribution, the calibration file and
//! the grid — `terrawatt energy info` as a library call.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::model::{Calibration, CorePowerSource};
use crate::{CarbonSettings, Meter, Method};

/// The text of `energy info`.
pub fn text(meter: &Meter, carbon: &CarbonSettings) -> String {
    let mut t = String::new();
    let _ = write_text(&mut t, meter, carbon);
    t
}

fn write_text(t: &mut String, meter: &Meter, carbon: &CarbonSettings) -> std::fmt::Result {
    let method = meter.method();
    writeln!(t, "Energy sources, best first:")?;
    for p in meter.probes() {
        match &p.unavailable {
            None if p.method == Method::Model => {
                writeln!(t, "  model  IN USE: {}", meter.model().describe())?;
            }
            None => writeln!(
                t,
                "  {:<6} IN USE: counters {}",
                p.method,
                p.domains.join(", ")
            )?,
            Some(why) => writeln!(t, "  {:<6} not used: {why}", p.method)?,
        }
    }
    if method == Method::Model {
        writeln!(
            t,
            "No hardware energy counter is readable here: every figure is a model estimate \
             (CPU-seconds × power per busy logical CPU + resident GB × memory power, × PUE), labelled as such with its band."
        )?;
    } else {
        writeln!(
            t,
            "Figures are measured by {method} for the whole machine and shared out by CPU time: task + other processes + idle = measured."
        )?;
    }
    let cpu = meter.cpu();
    let machine = meter.machine();
    writeln!(
        t,
        "CPU: {} — {} logical CPUs, {} physical cores, {} socket(s)",
        if cpu.model_name.is_empty() {
            "(unnamed)"
        } else {
            &cpu.model_name
        },
        cpu.logical_cpus,
        cpu.physical_cores,
        cpu.sockets
    )?;
    if let Some(p) = &cpu.platform {
        writeln!(
            t,
            "Platform (DMI): {p}{}",
            if cpu.platform_virtual {
                " — a virtual machine"
            } else {
                ""
            }
        )?;
    }
    writeln!(t, "Charged: {}", meter.model().share.summary)?;
    if method != Method::Model {
        writeln!(
            t,
            "Idle power for the attribution: {:.2} W per logical CPU ({})",
            meter.model().idle_w_per_cpu,
            meter.model().idle_from
        )?;
    }
    writeln!(
        t,
        "Attribution ({}): {}",
        if method == Method::Model {
            "model"
        } else {
            "counters"
        },
        crate::ATTRIBUTION_CONVENTION
    )?;
    if let Some(b) = machine.ram_total_bytes {
        writeln!(t, "Memory: {:.1} GiB", b as f64 / (1u64 << 30) as f64)?;
    }
    let cal = Calibration::default_path();
    let cal_state = match &cal {
        Some(p) if p.exists() => format!("{} (present)", p.display()),
        Some(p) => format!(
            "{} (none: `terrawatt energy calibrate` makes one where RAPL is readable)",
            p.display()
        ),
        None => "no config folder ($XDG_CONFIG_HOME and $HOME unset)".into(),
    };
    writeln!(t, "Calibration file: {cal_state}")?;
    let grid = &carbon.grid;
    writeln!(
        t,
        "Grid: {:.1} gCO2e/kWh ({}; {}) · PUE {}{}",
        grid.g_per_kwh,
        grid.label(),
        grid.source,
        carbon.pue,
        match &carbon.embodied {
            Some(m) => format!(
                " · embodied {} kgCO2e over {} years, share {}",
                m.total_kg, m.lifetime_years, m.share
            ),
            None => " · embodied emissions not counted".into(),
        }
    )?;
    Ok(())
}

/// The same as JSON: sources, model, share, machine, calibration file and carbon settings.
pub fn json(meter: &Meter, carbon: &CarbonSettings) -> Value {
    let model = meter.model();
    let method = meter.method();
    json!({
        "method": method,
        "estimate": method.is_estimate(),
        "sources": meter.probes(),
        "model": model,
        "model_from_tdp_table": matches!(model.core_source, CorePowerSource::TdpTable { .. }),
        "share": model.share,
        "attribution_convention": crate::ATTRIBUTION_CONVENTION,
        "machine": meter.machine(),
        "calibration_file": Calibration::default_path(),
        "carbon": carbon,
    })
}
