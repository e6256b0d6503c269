//! Synthetic stacks with the truth in them, to measure break detection: a grid of pixels,
//! each an NDVI series of a seasonal cycle plus Gaussian noise, a share of them with an
//! abrupt drop at a known date in the monitoring years, and clouds that remove a share of
//! the observations at random. Seeded and deterministic.
//!
//! Written into a folder: `stack.tif` (Int16, NDVI × 10,000, one band per date, −32768
//! missing: read with `--scale 0.0001`), `dates.csv` (the bands' dates, `per_year` a year
//! from 1 January of `start_year`), and `truth.tif` (float32: band 1 `break` the drop's
//! decimal year, missing where the pixel has none; band 2 `drop` its size).

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use gdal::Metadata;
use gdal::raster::Buffer;
use gdal::spatial_ref::SpatialRef;

use rayon::prelude::*;

use super::decimal_year;
use crate::{RasterError, Result, gdal_err};

/// What a synthetic stack holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StackSpec {
    /// Pixels on a side.
    pub size: usize,
    pub start_year: i32,
    pub years: usize,
    pub per_year: usize,
    /// The first monitored year: drops fall between its start and half a year before the
    /// end.
    pub monitor_year: i32,
    /// Standard deviation of the Gaussian noise (NDVI units).
    pub noise: f64,
    /// The share of observations removed by clouds.
    pub cloud: f64,
    /// The share of pixels with a drop.
    pub break_share: f64,
    pub seed: u64,
}

impl Default for StackSpec {
    fn default() -> StackSpec {
        StackSpec {
            size: 64,
            start_year: 2016,
            years: 8,
            per_year: 23,
            monitor_year: 2021,
            noise: 0.03,
            cloud: 0.3,
            break_share: 0.5,
            seed: 1,
        }
    }
}

/// SplitMix64.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(seed: u64, a: u64, b: u64) -> f64 {
    (mix(seed ^ mix(a ^ mix(b))) >> 11) as f64 / (1u64 << 53) as f64
}

/// A standard normal number (Box–Muller) from a seed and two keys.
fn normal(seed: u64, a: u64, b: u64) -> f64 {
    let u1 = unit(seed, a, b.wrapping_mul(2)).max(1e-300);
    let u2 = unit(seed, a, b.wrapping_mul(2) + 1);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

impl StackSpec {
    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(RasterError::Invalid(m));
        if self.size == 0 || self.size > 8192 {
            return bad(format!("--size {}: give 1 to 8192 pixels", self.size));
        }
        if self.years < 2 || self.per_year == 0 || self.per_year > 366 {
            return bad("give at least 2 years of 1 to 366 dates".into());
        }
        let end = self.start_year + self.years as i32;
        if self.monitor_year <= self.start_year || self.monitor_year >= end {
            return bad(format!(
                "--monitor-year {}: give a year after {} and before {end}",
                self.monitor_year, self.start_year
            ));
        }
        for (name, v) in [("--cloud", self.cloud), ("--break-share", self.break_share)] {
            if !(0.0..1.0).contains(&v) {
                return bad(format!("{name} {v}: give a share from 0 to below 1"));
            }
        }
        if !(self.noise >= 0.0 && self.noise < 1.0) {
            return bad(format!("--noise {}: give 0 to below 1", self.noise));
        }
        Ok(())
    }

    /// The dates: `per_year` a year, the k-th at day ⌊k × days / per_year⌋ of its year.
    pub fn dates(&self) -> Vec<NaiveDate> {
        let mut v = Vec::with_capacity(self.years * self.per_year);
        for y in self.start_year..self.start_year + self.years as i32 {
            let days = if NaiveDate::from_ymd_opt(y, 2, 29).is_some() {
                366
            } else {
                365
            };
            for k in 0..self.per_year {
                let doy = (k * days / self.per_year) as u32 + 1;
                v.push(NaiveDate::from_yo_opt(y, doy).expect("a day of the year"));
            }
        }
        v
    }

    /// A pixel's true break (decimal year) and drop, if it has one.
    pub fn truth(&self, pixel: usize) -> Option<(f64, f64)> {
        let p = pixel as u64;
        if unit(self.seed, p, 1) >= self.break_share {
            return None;
        }
        let from = self.monitor_year as f64;
        let to = (self.start_year + self.years as i32) as f64 - 0.5;
        let when = from + unit(self.seed, p, 2) * (to - from);
        let drop = 0.15 + 0.25 * unit(self.seed, p, 3);
        Some((when, drop))
    }

    /// A pixel's series (NaN where a cloud removed the observation).
    pub fn series(&self, pixel: usize, t: &[f64]) -> Vec<f64> {
        let truth = self.truth(pixel);
        t.iter()
            .enumerate()
            .map(|(k, &x)| self.value(pixel, k, x, truth))
            .collect()
    }

    /// Observation `k` (at time `x`) of a pixel whose truth is `truth`.
    fn value(&self, pixel: usize, k: usize, x: f64, truth: Option<(f64, f64)>) -> f64 {
        let p = pixel as u64;
        if unit(self.seed ^ 0xC10D, p, k as u64) < self.cloud {
            return f64::NAN;
        }
        let level = 0.45 + 0.3 * unit(self.seed, p, 4);
        let amplitude = 0.05 + 0.15 * unit(self.seed, p, 5);
        let phase = unit(self.seed, p, 6) * std::f64::consts::TAU;
        let mut v = level
            + amplitude * (std::f64::consts::TAU * x + phase).sin()
            + self.noise * normal(self.seed, p, 100 + k as u64);
        if let Some((when, drop)) = truth
            && x >= when
        {
            v -= drop;
        }
        v.clamp(-1.0, 1.0)
    }
}

/// Writes the stack, its dates and its truth into `dir`.
pub fn write_stack(dir: &Path, spec: &StackSpec) -> Result<()> {
    spec.check()?;
    let dates = spec.dates();
    let t: Vec<f64> = dates.iter().map(|d| decimal_year(*d)).collect();
    let n = spec.size;
    let srs = SpatialRef::from_epsg(32633).map_err(gdal_err(dir))?;
    let wkt = srs.to_wkt().map_err(gdal_err(dir))?;
    let gt = [500_000.0, 30.0, 0.0, 4_800_000.0, 0.0, -30.0];
    let (driver, opts) = crate::sample::gtiff(dir, &[("INTERLEAVE", "BAND")])?;
    let truths: Vec<Option<(f64, f64)>> = (0..n * n).map(|p| spec.truth(p)).collect();
    let path = dir.join("stack.tif");
    {
        let mut ds = driver
            .create_with_band_type_with_options::<i16, _>(&path, n, n, dates.len(), &opts)
            .map_err(gdal_err(&path))?;
        ds.set_geo_transform(&gt).map_err(gdal_err(&path))?;
        ds.set_projection(&wkt).map_err(gdal_err(&path))?;
        for (k, d) in dates.iter().enumerate() {
            let mut b = ds.rasterband(k + 1).map_err(gdal_err(&path))?;
            b.set_description(&d.to_string()).map_err(gdal_err(&path))?;
            b.set_no_data_value(Some(-32768.0))
                .map_err(gdal_err(&path))?;
            let data: Vec<i16> = (0..n * n)
                .into_par_iter()
                .map(|p| {
                    let v = spec.value(p, k, t[k], truths[p]);
                    if v.is_nan() {
                        i16::MIN
                    } else {
                        (v * 10_000.0).round() as i16
                    }
                })
                .collect();
            let mut buf = Buffer::new((n, n), data);
            b.write((0, 0), (n, n), &mut buf).map_err(gdal_err(&path))?;
        }
    }
    let mut csv = String::from("date\n");
    for d in &dates {
        let _ = writeln!(csv, "{d}");
    }
    let dpath = dir.join("dates.csv");
    std::fs::write(&dpath, csv).map_err(|e| RasterError::Write {
        path: dpath.display().to_string(),
        message: e.to_string(),
    })?;
    let tpath = dir.join("truth.tif");
    let mut ds = driver
        .create_with_band_type_with_options::<f32, _>(&tpath, n, n, 2, &opts)
        .map_err(gdal_err(&tpath))?;
    ds.set_geo_transform(&gt).map_err(gdal_err(&tpath))?;
    ds.set_projection(&wkt).map_err(gdal_err(&tpath))?;
    for (i, name) in ["break", "drop"].iter().enumerate() {
        let mut b = ds.rasterband(i + 1).map_err(gdal_err(&tpath))?;
        b.set_description(name).map_err(gdal_err(&tpath))?;
        b.set_no_data_value(Some(f64::NAN))
            .map_err(gdal_err(&tpath))?;
        let data: Vec<f32> = (0..n * n)
            .map(|p| match truths[p] {
                Some((when, drop)) => (if i == 0 { when } else { drop }) as f32,
                None => f32::NAN,
            })
            .collect();
        let mut buf = Buffer::new((n, n), data);
        b.write((0, 0), (n, n), &mut buf)
            .map_err(gdal_err(&tpath))?;
    }
    Ok(())
}
