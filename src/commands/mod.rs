//! One module per command group.

pub mod baseline;
pub mod building;
pub mod demo;
pub mod energy;
pub mod forecast;
pub mod raster;
pub mod scale;
pub mod solar;
pub mod wind;
