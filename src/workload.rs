//! A deterministic, self-contained workload for the demo, the examples and the meter's
//! benchmarks: synthetic hourly temperature at many sites, reduced to daily means, then
//! heating and cooling degree days over a grid of balance points.
//!
//! Temperature at hour `h` of a site: `mean − A_y·cos(2π(d − 15)/365.25) −
//! A_d·cos(2π(h_day − 4)/24) + ε`, with ε an AR(1) process (φ = 0.95, innovations
//! N(0, σ²)). Each site draws its parameters and noise from a splitmix64 stream seeded by
//! `(seed, site)` (terrawatt-learn's [`Rng`]), so results do not depend on the thread count. Degree days follow the
//! CalTRACK convention: from daily mean temperature, `HDD(b) = Σ max(0, b − T̄)`,
//! `CDD(b) = Σ max(0, T̄ − b)`.

use rayon::prelude::*;
use terrawatt_learn::rng::Rng;

/// The climate of one synthetic site, °C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteClimate {
    pub mean: f64,
    pub annual_amplitude: f64,
    pub diurnal_amplitude: f64,
    pub noise_sd: f64,
}

fn stream(seed: u64, site: usize) -> Rng {
    Rng::new(seed ^ (site as u64).wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// The parameters of site `site` under `seed`.
pub fn site_climate(seed: u64, site: usize) -> SiteClimate {
    let mut r = stream(seed, site);
    SiteClimate {
        mean: 4.0 + 18.0 * r.uniform(),
        annual_amplitude: 3.0 + 12.0 * r.uniform(),
        diurnal_amplitude: 2.0 + 6.0 * r.uniform(),
        noise_sd: 0.3 + 0.5 * r.uniform(),
    }
}

/// Daily mean temperatures of `days` days at one site.
pub fn daily_means(seed: u64, site: usize, days: usize) -> Vec<f64> {
    let c = site_climate(seed, site);
    let mut r = stream(seed.wrapping_add(1), site);
    let mut noise = 0.0;
    let mut out = Vec::with_capacity(days);
    for d in 0..days {
        let seasonal = c.mean
            - c.annual_amplitude * (std::f64::consts::TAU * (d as f64 - 15.0) / 365.25).cos();
        let mut sum = 0.0;
        for h in 0..24 {
            noise = 0.95 * noise + c.noise_sd * r.normal();
            let diurnal =
                c.diurnal_amplitude * (std::f64::consts::TAU * (h as f64 - 4.0) / 24.0).cos();
            sum += seasonal - diurnal + noise;
        }
        out.push(sum / 24.0);
    }
    out
}

/// Heating and cooling degree days of `daily` at each balance point.
pub fn degree_days(daily: &[f64], balance_points: &[f64]) -> Vec<(f64, f64)> {
    balance_points
        .iter()
        .map(|&b| {
            daily.iter().fold((0.0, 0.0), |(h, c), &t| {
                (h + (b - t).max(0.0), c + (t - b).max(0.0))
            })
        })
        .collect()
}

/// Balance points from `lo` to `hi` °C in steps of `step`.
pub fn balance_grid(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let n = ((hi - lo) / step).round() as usize + 1;
    (0..n).map(|i| lo + step * i as f64).collect()
}

/// Daily means of every site, in parallel (site order kept).
pub fn all_daily_means(seed: u64, sites: usize, days: usize) -> Vec<Vec<f64>> {
    (0..sites)
        .into_par_iter()
        .map(|s| daily_means(seed, s, days))
        .collect()
}

/// Degree days per site and balance point, in parallel (site order kept).
pub fn all_degree_days(daily: &[Vec<f64>], balance_points: &[f64]) -> Vec<Vec<(f64, f64)>> {
    daily
        .par_iter()
        .map(|d| degree_days(d, balance_points))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degree_days_by_hand() {
        // daily means 10, 20, 25 at balance points 18 and 22
        let dd = degree_days(&[10.0, 20.0, 25.0], &[18.0, 22.0]);
        assert_eq!(dd, vec![(8.0, 9.0), (14.0, 3.0)]);
    }

    #[test]
    fn grid_and_streams() {
        assert_eq!(
            balance_grid(10.0, 12.0, 0.5),
            vec![10.0, 10.5, 11.0, 11.5, 12.0]
        );
        let a = daily_means(7, 3, 30);
        assert_eq!(a, daily_means(7, 3, 30));
        assert_ne!(a, daily_means(7, 4, 30));
        let mut r = Rng::new(0);
        let n = 20_000;
        let mean = (0..n).map(|_| r.normal()).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "{mean}");
    }
}
