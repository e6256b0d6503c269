//! terrawatt: AI-for-climate analytics that measures its own footprint.
//!
//! This facade re-exports the workspace's crates:
//! - [`meter`]: energy and carbon accounting for every task.
pub use terrawatt_meter as meter;
