//! One module per command group.

pub mod demo;
pub mod energy;
