//! terrawatt-raster: rasters on GDAL.
//!
//! What it offers today:
//! - [`linke`]: the monthly Linke turbidity climatology (Remund et al. 2003, as distributed
//!   with SoDa / pvlib in `LinkeTurbidities.h5`) read through GDAL's HDF5 driver.

pub mod linke;
