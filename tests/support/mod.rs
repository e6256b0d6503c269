//! Helpers shared by the integration tests: the binary with the user's own settings
//! removed from its environment, its output as text, the energy-line check, and a real
//! planned run of the sample scenes ([`sample_plan`]).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub mod sample_plan;

/// Settings a user's shell may hold that would change what a test sees.
const USER_ENV: [&str; 6] = [
    "TERRAWATT_COUNTRY",
    "TERRAWATT_CPU_W_PER_CORE",
    "TERRAWATT_POWER_MODEL",
    "TERRAWATT_TURBINE_LIBRARY",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_CPUS_PER_TASK",
];

/// The `terrawatt` binary, ready for arguments.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_terrawatt"));
    for v in USER_ENV {
        c.env_remove(v);
    }
    c
}

/// Runs `terrawatt args…`.
pub fn terrawatt(args: &[&str]) -> Output {
    command().args(args).output().expect("the binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The last stderr line is the energy line, with its method and band.
pub fn assert_energy_line(o: &Output) {
    let err = stderr(o);
    let last = err.lines().last().unwrap_or("");
    assert!(last.starts_with("energy "), "no energy line last: {err}");
    assert!(last.contains("gCO2e @ "), "{last}");
    assert!(
        ["estimate ±", "estimate −", "measured ±"]
            .iter()
            .any(|k| last.contains(k)),
        "the figure must say how it was obtained: {last}"
    );
}
