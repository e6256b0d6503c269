//! A synthetic weather year for the project's sample data (`notebooks-data/`), written in
//! the PVGIS TMY CSV layout so any PVGIS-aware tool reads it.
//!
//! Site 43.6° N, 1.44° E, 150 m; 2019, hourly, UTC stamps at the start of each hour. For each
//! hour: the Sun at the hour's centre (SPA), Ineichen clear sky with a monthly Linke
//! turbidity (3.0 in winter to 4.0 in July), a day-to-day cloudiness (AR(1), φ 0.6, mapped
//! to a clear-sky index 0.15–1.0) with hourly scatter (σ 0.05), Erbs for DNI and DHI;
//! temperature with an annual (13 °C ± 9 °C, warmest late July) and a daily cycle (±5 °C,
//! warmest 14:00 UTC) and AR(1) noise; wind 1–6 m/s; pressure of the standard atmosphere at
//! 150 m. A seed gives the same file on any machine.

use crate::irradiance::{self as irr, AirmassModel};
use crate::spa::{self, Site};
use crate::system::day_of_year_utc;

/// The sample site: latitude, longitude, elevation.
pub const SITE: (f64, f64, f64) = (43.6, 1.44, 150.0);

/// splitmix64: a small seeded stream (normal deviates by Box–Muller).
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
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The sample year as PVGIS TMY CSV text.
pub fn pvgis_csv(seed: u64) -> String {
    use std::fmt::Write as _;
    let (lat, lon, elev) = SITE;
    let pressure = 100.0 * ((44_331.514 - elev) / 11_880.516).powf(1.0 / 0.190_263_2);
    let linke = [3.0, 3.1, 3.3, 3.5, 3.7, 3.9, 4.0, 3.9, 3.6, 3.4, 3.2, 3.0];
    let start = 1_546_300_800i64; // 2019-01-01T00:00:00Z
    let mut rng = Rng(seed ^ 0x5eed_5011);
    let mut out = String::new();
    writeln!(out, "Latitude (decimal degrees): {lat:.3}").unwrap();
    writeln!(out, "Longitude (decimal degrees): {lon:.3}").unwrap();
    writeln!(out, "Elevation (m): {elev:.1}").unwrap();
    writeln!(out, "Irradiance Time Offset (h): 0.5").unwrap();
    writeln!(out, "month,year").unwrap();
    for m in 1..=12 {
        writeln!(out, "{m},2019").unwrap();
    }
    writeln!(
        out,
        "time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP"
    )
    .unwrap();
    let site = Site {
        elevation: elev,
        pressure: pressure / 100.0,
        ..Site::new(lat, lon)
    };
    let (mut cloud, mut tnoise) = (0.0f64, 0.0f64);
    for h in 0..8760i64 {
        let t = start + h * 3600;
        if h % 24 == 0 {
            cloud = 0.6 * cloud + 0.8 * rng.normal();
        }
        tnoise = 0.9 * tnoise + 0.5 * rng.normal();
        let mid = (t + 1800) as f64;
        let p = spa::position(&spa::time_terms(mid, 69.0), &site);
        let doy = day_of_year_utc(mid);
        let e0 = irr::extra_spencer(doy);
        let am = irr::airmass_absolute(
            irr::airmass_relative(p.apparent_zenith, AirmassModel::KastenYoung1989),
            pressure,
        );
        let lt = irr::linke_monthly(&linke, doy, false);
        let cs = irr::ineichen(p.apparent_zenith, am, lt, elev, e0);
        let k = (0.15 + 0.85 / (1.0 + (-1.2 * (cloud + 0.8)).exp()) + 0.05 * rng.normal())
            .clamp(0.1, 1.0);
        let ghi = (cs.ghi * k).max(0.0);
        let (dni, dhi, _) = irr::erbs(ghi, p.zenith, e0);
        let day = 2.0 * std::f64::consts::PI * (doy - 205.0) / 365.0;
        let hour = (h % 24) as f64;
        let temp = 13.0
            + 9.0 * day.cos()
            + 5.0 * (2.0 * std::f64::consts::PI * (hour - 8.0) / 24.0).sin()
            + tnoise;
        let wind = (3.0 + 1.2 * rng.normal()).clamp(0.5, 9.0);
        let stamp = chrono::DateTime::from_timestamp(t, 0).expect("in range");
        writeln!(
            out,
            "{}00,{temp:.2},70.0,{ghi:.1},{dni:.1},{dhi:.1},300.0,{wind:.2},200.0,{pressure:.0}",
            stamp.format("%Y%m%d:%H")
        )
        .unwrap();
    }
    out.push_str("\nT2m: 2-m air temperature (degree Celsius)\nG(h): Global irradiance on the horizontal plane (W/m2)\nGb(n): Beam/direct irradiance on a plane always normal to sun rays (W/m2)\nGd(h): Diffuse irradiance on the horizontal plane (W/m2)\nWS10m: 10-m total wind speed (m/s)\nSP: Surface (air) pressure (Pa)\nRH, IR(h), WD10m: constants (not modelled)\nSynthetic: terrawatt solar sample-weather\n");
    out
}
