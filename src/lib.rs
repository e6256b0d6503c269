//! terrawatt: AI-for-climate analytics that measures its own footprint.
//!
//! This facade re-exports the workspace's crates:
//! - [`meter`]: energy and carbon accounting for every task.
//!
//! and holds [`workload`], the deterministic synthetic workload that the demo, the
//! examples and the meter's benchmarks run.
pub use terrawatt_meter as meter;

pub mod workload;
