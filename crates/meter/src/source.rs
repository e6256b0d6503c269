//! Which energy source a meter uses, and why the others are not used.

use serde::{Deserialize, Serialize};

/// What part of the machine a counter covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainKind {
    /// A processor package (cores, caches, uncore).
    Package,
    /// Memory attached to a package.
    Dram,
    /// The whole platform (`psys`), used alone where no package counter exists.
    Platform,
    /// A part of a package (`core`, `uncore`): read by no one, it is inside the package.
    Part,
}

/// The method behind an energy figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Linux powercap RAPL counters.
    Rapl,
    /// The perf `power` PMU read through perf_event_open.
    Perf,
    /// AMD's socket energy counters through hwmon (`amd_energy`, `zenergy`).
    Hwmon,
    /// A stated power model: an estimate.
    Model,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Rapl => "rapl",
            Method::Perf => "perf",
            Method::Hwmon => "hwmon",
            Method::Model => "model",
        }
    }

    /// A model figure is an estimate; counter figures are measurements.
    pub fn is_estimate(self) -> bool {
        self == Method::Model
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a counter source is not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Unavailable {
    /// The interface does not exist here (most virtual machines).
    Absent(String),
    /// It exists but this user may not read it; `fix` says how to allow it.
    PermissionDenied { reason: String, fix: String },
    /// It exists but cannot serve (no usable event, a counter that does not advance…).
    Unsupported(String),
    /// Not tried: the user asked for the model.
    NotTried(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Absent(r) => write!(f, "absent: {r}"),
            Unavailable::PermissionDenied { reason, fix } => {
                write!(f, "permission denied: {reason}; fix: {fix}")
            }
            Unavailable::Unsupported(r) => write!(f, "unsupported: {r}"),
            Unavailable::NotTried(r) => write!(f, "not tried: {r}"),
        }
    }
}

/// The outcome of probing one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceProbe {
    pub method: Method,
    /// `None` where the source is usable.
    pub unavailable: Option<Unavailable>,
    /// The counters it would read, e.g. `package-0`, `dram`.
    pub domains: Vec<String>,
}
