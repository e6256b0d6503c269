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
