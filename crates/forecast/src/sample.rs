//! A synthetic PV power series for the project's sample data (`notebooks-data/`): a 5 kWp
//! array at 43.6° N, 1.44° E, 150 m, tilted 30° to the south, every 15 minutes for 120 days
//! from 2024-03-01 (UTC stamps at interval starts).
//!
//! Power = 5 kW × 0.86 (system losses) × clear-sky plane-of-array irradiance / 1000 W/m² ×
//! a clear-sky index, clipped at a 4.6 kW inverter. The index has a day-to-day regime
//! (AR(1), φ 0.7, mapped to a daily mean 0.25–1.0) and 15-minute variability (AR(1), φ 0.85)
//! whose size grows on partly cloudy days; an eight-hour logger outage on day 50 leaves
//! the values missing. A seed gives the same file on any machine.

use terrawatt_learn::rng::Rng;

use crate::physics::{self, PvSite};

/// The sample array.
pub const SITE: PvSite = PvSite {
    latitude: 43.6,
    longitude: 1.44,
    elevation: 150.0,
    tilt: 30.0,
    azimuth: 180.0,
    albedo: 0.2,
    linke: 3.5,
};

/// The series as CSV text: `time,ac_power` (W; empty where missing).
pub fn pv_power_csv(seed: u64) -> String {
    let start = 1_709_251_200i64; // 2024-03-01T00:00:00Z
    let (days, step) = (120usize, 900i64);
    let n = days * 96;
    let centres: Vec<i64> = (0..n).map(|i| start + i as i64 * step + step / 2).collect();
    let cs = physics::clear_sky(&SITE, &centres);
    let mut rng = Rng::new(seed ^ 0x5eed_f0ca);
    let mut out = csv::Writer::from_writer(vec![]);
    // Writing to memory cannot fail.
    let _ = out.write_record(["time", "ac_power"]);
    let (mut regime, mut wiggle) = (0.0f64, 0.0f64);
    let mut mean = 0.8;
    for i in 0..n {
        if i % 96 == 0 {
            regime = 0.7 * regime + (1.0f64 - 0.49).sqrt() * rng.normal();
            // a standard normal mapped to a daily mean index in 0.25..1.0
            mean = 0.25 + 0.75 / (1.0 + (-1.5 * (regime + 0.8)).exp());
        }
        let spread = 0.6 * mean * (1.0 - mean);
        wiggle = 0.85 * wiggle + (1.0f64 - 0.85 * 0.85).sqrt() * rng.normal();
        let k = (mean + spread * wiggle).clamp(0.05, 1.1);
        let p = (5000.0 * 0.86 * cs.poa[i] / 1000.0 * k).min(4600.0);
        let t = chrono::DateTime::from_timestamp(start + i as i64 * step, 0).expect("in range");
        let day = i / 96;
        let outage = day == 49 && (40..72).contains(&(i % 96));
        let power = if outage {
            String::new()
        } else {
            format!("{p:.1}")
        };
        let time = t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
        let _ = out.write_record([time, power]);
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).expect("UTF-8 text")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_is_seeded_and_has_its_outage() {
        let a = super::pv_power_csv(0);
        assert_eq!(a, super::pv_power_csv(0));
        assert_ne!(a, super::pv_power_csv(1));
        assert_eq!(a.lines().count(), 1 + 120 * 96);
        assert_eq!(a.lines().filter(|l| l.ends_with(',')).count(), 32);
        let peak = a
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1)?.parse::<f64>().ok())
            .fold(0.0, f64::max);
        assert!(peak > 3000.0 && peak <= 4600.0, "{peak}");
    }
}
