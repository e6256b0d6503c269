//! A synthetic weather year for the project's sample data (`notebooks-data/`), in the
//! two-row-header layout of windpowerlib's example weather (variable, height).
//!
//! 2019, hourly, UTC stamps at 54.2° N (an open coastal site, roughness length 0.05 m):
//! wind speed at 80 m from a log-normal AR(1) process (hourly φ 0.97; median 6.5 m/s, a
//! winter maximum and a weak afternoon minimum aloft), at 10 m by the logarithmic profile
//! with small independent noise; temperature at 2 m and 10 m (annual 9 ± 7 °C, daily ±3 °C,
//! AR(1) anomaly); pressure (101.3 kPa ± a slow AR(1) swing). A seed gives the same file on
//! any machine.

use std::fmt::Write as _;

/// splitmix64 with Box–Muller normals.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The sample year as CSV text.
pub fn weather_csv(seed: u64) -> String {
    let z0: f64 = 0.05;
    let start = 1_546_300_800i64; // 2019-01-01T00:00:00Z
    let mut rng = Rng(seed ^ 0x5eed_0a1d);
    let mut out = String::new();
    writeln!(
        out,
        "variable_name,pressure,temperature,wind_speed,roughness_length,temperature,wind_speed"
    )
    .expect("string");
    writeln!(out, "height,0,2,10,0,10,80").expect("string");
    let (mut a, mut tanom, mut p) = (0.0f64, 0.0f64, 0.0f64);
    let phi: f64 = 0.97;
    for h in 0..8760usize {
        let day = h as f64 / 24.0;
        let hour = (h % 24) as f64;
        let season = (std::f64::consts::TAU * (day - 15.0) / 365.0).cos(); // +1 mid-January
        a = phi * a + (1.0 - phi * phi).sqrt() * rng.normal();
        let median = 6.5
            * (1.0 + 0.15 * season)
            * (1.0 - 0.04 * (std::f64::consts::TAU * (hour - 15.0) / 24.0).cos());
        let v80 = median * (0.45 * a).exp();
        let v10 =
            (v80 * (10.0 / z0).ln() / (80.0 / z0).ln() * (1.0 + 0.05 * rng.normal())).max(0.0);
        tanom = 0.95 * tanom + (1.0f64 - 0.95 * 0.95).sqrt() * rng.normal();
        let t2 = 9.0 - 7.0 * season
            + 3.0 * (std::f64::consts::TAU * (hour - 14.0) / 24.0).cos()
            + 2.0 * tanom;
        let t10 = t2 - 0.05;
        p = 0.99 * p + (1.0f64 - 0.99 * 0.99).sqrt() * rng.normal();
        let pressure = 101_300.0 + 900.0 * p;
        let t = chrono::DateTime::from_timestamp(start + h as i64 * 3600, 0).expect("in range");
        writeln!(
            out,
            "{},{:.1},{:.2},{:.3},{},{:.2},{:.3}",
            t.format("%Y-%m-%d %H:%M:%S+00:00"),
            pressure,
            t2 + 273.15,
            v10,
            z0,
            t10 + 273.15,
            v80
        )
        .expect("string");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_is_seeded_and_windy_enough() {
        let a = super::weather_csv(0);
        assert_eq!(a, super::weather_csv(0));
        assert_eq!(a.lines().count(), 2 + 8760);
        let v80: Vec<f64> = a
            .lines()
            .skip(2)
            .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
            .collect();
        let mean = v80.iter().sum::<f64>() / v80.len() as f64;
        assert!(mean > 5.5 && mean < 9.0, "{mean}");
    }
}
