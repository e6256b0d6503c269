//! A generator of synthetic buildings with physically plausible annual heating and cooling
//! loads, for the project's sample data (`notebooks-data/buildings.csv`) and examples.
//!
//! Each building draws its geometry, envelope and climate, then its loads follow the
//! degree-day method (CIBSE Guide A / ISO 13790's quasi-steady-state balance, simplified):
//!
//! - heat-loss coefficient `H = U_wall·A_wall + U_roof·A_roof + U_win·A_win + 0.33·ACH·V`
//!   (W/K; 0.33 Wh/(m³·K) is air's volumetric heat capacity);
//! - heating `Q_h = max(0, H·HDD·24/1000 − η_h·(G_sol + G_int)·f_h)` kWh/yr, with gains
//!   G_sol from south-equivalent glazing (orientation factor) and G_int = q_int·A_floor·8.76;
//! - cooling `Q_c = max(0, (G_sol + G_int)·f_c − H·CDD·24/1000·0.5)` kWh/yr plus a
//!   ventilation term for hot climates;
//!
//! both per m² of floor, with 3 % multiplicative noise. `f_h`, `f_c` are the shares of the
//! year's gains that fall in the heating and cooling seasons (from the HDD/CDD split).
//! A seed gives the same rows on any machine.

use crate::load_rng::Rng;

/// Column names, in order; the last two are the targets.
pub const COLUMNS: [&str; 14] = [
    "floor_area_m2",
    "storeys",
    "aspect_ratio",
    "orientation_deg",
    "glazing_ratio",
    "u_wall",
    "u_roof",
    "u_window",
    "air_changes_per_hour",
    "internal_gains_w_m2",
    "hdd18",
    "cdd18",
    "heating_kwh_m2",
    "cooling_kwh_m2",
];

fn round_to(v: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (v * k).round() / k
}

/// `rows` synthetic buildings as columns (in [`COLUMNS`] order).
pub fn buildings(rows: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut cols = vec![Vec::with_capacity(rows); COLUMNS.len()];
    let mut r = Rng::new(seed);
    for _ in 0..rows {
        let floor = (100.0 + 2900.0 * r.uniform().powi(2)).round();
        let storeys = (1 + r.below(6)) as f64;
        let aspect = round_to(1.0 + 2.0 * r.uniform(), 1);
        let orientation = [0.0, 90.0, 180.0, 270.0][r.below(4)];
        let glazing = round_to(0.05 + 0.45 * r.uniform(), 2);
        // older buildings: poor envelope everywhere; newer: good everywhere
        let age = r.uniform();
        let u_wall = round_to((0.15 + 1.35 * age + 0.1 * r.normal()).clamp(0.12, 2.0), 2);
        let u_roof = round_to((0.12 + 0.9 * age + 0.08 * r.normal()).clamp(0.1, 1.5), 2);
        let u_win = round_to((0.8 + 4.6 * age + 0.3 * r.normal()).clamp(0.7, 5.8), 1);
        let ach = round_to((0.2 + 1.3 * age + 0.15 * r.normal()).clamp(0.1, 2.0), 2);
        let q_int = round_to(2.0 + 10.0 * r.uniform(), 1);
        let hdd = (500.0 + 4500.0 * r.uniform()).round();
        let cdd = ((1600.0 - 0.3 * hdd) * r.uniform()).max(0.0).round();

        let footprint = floor / storeys;
        let width = (footprint / aspect).sqrt();
        let length = aspect * width;
        let height = 3.0 * storeys;
        let wall = 2.0 * (width + length) * height;
        let window = glazing * wall;
        let volume = footprint * height;
        let h =
            u_wall * (wall - window) + u_roof * footprint + u_win * window + 0.33 * ach * volume;
        // south-equivalent share of the glazing: the long facades face `orientation`
        let south = match orientation as i32 {
            0 | 180 => 0.5 * length / (width + length) + 0.25,
            _ => 0.5 * width / (width + length) + 0.25,
        };
        let g_sol = window * south * 450.0 * 0.6; // kWh/yr: 450 kWh/m² south irradiation, g = 0.6
        let g_int = q_int * floor * 8.76;
        let f_h = hdd / (hdd + cdd + 1.0);
        let f_c = 1.0 - f_h;
        let heating = (h * hdd * 24.0 / 1000.0 - 0.9 * (g_sol + g_int) * f_h * 0.6).max(0.0);
        let cooling = ((g_sol + g_int) * f_c * 0.8 + h * cdd * 24.0 / 1000.0 * 0.35
            - 0.05 * h * hdd * 24.0 / 1000.0 * f_c)
            .max(0.0);
        let noise = |r: &mut Rng| 1.0 + 0.03 * r.normal();
        let heating = round_to(heating / floor * noise(&mut r), 2);
        let cooling = round_to(cooling / floor * noise(&mut r), 2);
        for (c, v) in cols.iter_mut().zip([
            floor,
            storeys,
            aspect,
            orientation,
            glazing,
            u_wall,
            u_roof,
            u_win,
            ach,
            q_int,
            hdd,
            cdd,
            heating,
            cooling,
        ]) {
            c.push(v);
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_and_reproducible() {
        let a = buildings(500, 0);
        assert_eq!(a, buildings(500, 0));
        let heat = &a[12];
        let mean = heat.iter().sum::<f64>() / heat.len() as f64;
        // annual heating demand of the European stock spans ~15–300 kWh/m²
        assert!((20.0..300.0).contains(&mean), "mean heating {mean} kWh/m²");
        assert!(heat.iter().all(|v| *v >= 0.0));
        // worse insulation, more heating: correlation with u_wall is positive
        let u = &a[5];
        let (mu, mh) = (u.iter().sum::<f64>() / 500.0, mean);
        let cov: f64 = u.iter().zip(heat).map(|(x, y)| (x - mu) * (y - mh)).sum();
        assert!(cov > 0.0);
    }
}

/// A synthetic metered building and its weather, for baselines and savings.
///
/// Hourly temperature (°F) from 2024-01-01 to 2026-01-01 in America/Chicago: an annual
/// cycle (mean 52 °F, amplitude 24 °F, coldest mid-January), a daily cycle (±7 °F, warmest
/// at 15:00), a day-to-day AR(1) anomaly (φ 0.8, σ 5 °F) and hourly noise (σ 1 °F). Use
/// follows known balance points — heating below 60 °F, cooling above 68 °F:
/// - daily: 20 kWh + 0.9 kWh/HDD60 + 1.6 kWh/CDD68 (from the day's mean), noise σ 2 kWh;
/// - hourly: 0.6 kWh + 1.0 kWh on weekday hours 08–18 + 0.04·max(60 − T, 0)
///   + 0.07·max(T − 68, 0), noise σ 0.15 kWh (at least 0).
///
/// From 2025-01-01 every term is 10 % lower (the retrofit). Timestamps carry the local
/// offset (−06:00 / −05:00 across DST).
#[derive(Debug, Clone)]
pub struct MeterSample {
    /// (instant, offset seconds, °F) per hour.
    pub temperature: Vec<(i64, i32, f64)>,
    /// (period start instant, offset seconds, kWh).
    pub meter: Vec<(i64, i32, f64)>,
}

/// The retrofit date of [`meter_sample`] (local midnight).
pub const SAMPLE_RETROFIT: &str = "2025-01-01";

pub fn meter_sample(hourly: bool, seed: u64) -> MeterSample {
    use chrono::{Datelike, NaiveDate, Offset, TimeZone, Timelike};
    let tz = chrono_tz::America::Chicago;
    let start = tz
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(2024, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        )
        .single()
        .expect("midnight exists");
    let end = tz
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        )
        .single()
        .expect("midnight exists");
    let retrofit = tz
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(2025, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        )
        .single()
        .expect("midnight exists")
        .timestamp();
    let mut rng = Rng::new(seed);
    let mut temperature = Vec::new();
    let (t0, t1) = (start.timestamp(), end.timestamp());
    let mut anomaly = 0.0;
    let mut day_of = i64::MIN;
    let mut t = t0;
    while t < t1 {
        let local = chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&tz);
        let offset = local.offset().fix().local_minus_utc();
        let ordinal = local.ordinal() as f64;
        if local.ordinal() as i64 + local.year() as i64 * 1000 != day_of {
            day_of = local.ordinal() as i64 + local.year() as i64 * 1000;
            anomaly = 0.8 * anomaly + 5.0 * (1.0f64 - 0.64).sqrt() * rng.normal();
        }
        let hour = local.hour() as f64;
        let annual = 52.0 - 24.0 * (2.0 * std::f64::consts::PI * (ordinal - 15.0) / 365.25).cos();
        let daily = 7.0 * (2.0 * std::f64::consts::PI * (hour - 9.0) / 24.0).sin();
        let v = annual + daily + anomaly + rng.normal();
        temperature.push((t, offset, (v * 100.0).round() / 100.0));
        t += 3600;
    }
    let mut meter = Vec::new();
    if hourly {
        for (t, offset, temp) in &temperature {
            let local = chrono::DateTime::from_timestamp(*t, 0)
                .unwrap()
                .with_timezone(&tz);
            let weekday = local.weekday().num_days_from_monday() < 5;
            let busy = weekday && (8..18).contains(&local.hour());
            let mut v = 0.6
                + if busy { 1.0 } else { 0.0 }
                + 0.04 * (60.0 - temp).max(0.0)
                + 0.07 * (temp - 68.0).max(0.0);
            if *t >= retrofit {
                v *= 0.9;
            }
            v = (v + 0.15 * rng.normal()).max(0.0);
            meter.push((*t, *offset, (v * 1000.0).round() / 1000.0));
        }
    } else {
        let mut day = start.date_naive();
        let last = end.date_naive();
        let mut i = 0;
        while day < last {
            let s = tz
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
                .single()
                .expect("midnight");
            let next = day.succ_opt().unwrap();
            let e = tz
                .from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap())
                .single()
                .expect("midnight");
            let mut sum = 0.0;
            let mut n = 0.0;
            while i < temperature.len() && temperature[i].0 < e.timestamp() {
                sum += temperature[i].2;
                n += 1.0;
                i += 1;
            }
            let mean = sum / n;
            let mut v = 20.0 + 0.9 * (60.0 - mean).max(0.0) + 1.6 * (mean - 68.0).max(0.0);
            if s.timestamp() >= retrofit {
                v *= 0.9;
            }
            v = (v + 2.0 * rng.normal()).max(0.0);
            meter.push((
                s.timestamp(),
                s.offset().fix().local_minus_utc(),
                (v * 100.0).round() / 100.0,
            ));
            day = next;
        }
    }
    MeterSample { temperature, meter }
}
