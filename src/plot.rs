//! The charts: terrawatt-plot.

pub use terrawatt_plot::*;
