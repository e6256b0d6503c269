//! NREL's PVWatts hourly reference outputs (../shared/data/solar/pvwatts_8760_*.csv): the
//! file carries its system, the hourly beam, diffuse, ambient temperature and wind, and
//! PVWatts' plane-of-array irradiance, cell temperature, DC and AC output.

use std::path::PathBuf;

use terrawatt_solar::irradiance as irr;
use terrawatt_solar::pv::{self, Fuentes};
use terrawatt_solar::spa::{self, Site};

#[path = "../../meter/tests/common.rs"]
mod common;

struct Pvw {
    tilt: f64,
    rows: Vec<[f64; 11]>,
}

impl Pvw {
    /// Row `i`'s hour.
    fn hour(&self, i: usize) -> Hour {
        let (mid, pos) = mid_hour(i);
        let (dni, dhi) = (self.rows[i][3], self.rows[i][4]);
        let z = pos.zenith;
        Hour {
            tilt: self.tilt,
            dni,
            dhi,
            ghi: dni * z.to_radians().cos().max(0.0) + dhi,
            zenith: z,
            azimuth: pos.azimuth,
            e0: irr::extra_spencer(terrawatt_solar::system::day_of_year_utc(mid)),
            am: irr::airmass_relative(z, irr::AirmassModel::KastenYoung1989),
            aoi: irr::aoi(self.tilt, 180.0, z, pos.azimuth),
        }
    }

    /// Column `k` of every row.
    fn column(&self, k: usize) -> Vec<f64> {
        self.rows.iter().map(|r| r[k]).collect()
    }

    /// PVWatts' Fuentes cell temperature of an array of installed NOCT `noct` at the
    /// file's tilt under `poa`, in the file's air temperature and wind.
    fn cell_temperature(&self, poa: &[f64], noct: f64) -> Vec<f64> {
        pv::fuentes_with_sun(
            poa,
            &self.column(5),
            &self.column(6),
            &[1.0; 8760],
            Some(&sun_up()),
            &Fuentes::pvwatts(noct, self.tilt),
        )
    }
}

/// The two systems of the reference files, with their installed NOCT.
const FILES: [(&str, f64); 2] = [
    ("pvwatts_8760_rackmount.csv", 45.0),
    ("pvwatts_8760_roofmount.csv", 49.0),
];

/// 1990-01-01T00:00-07:00 as Unix seconds; each row is the hour starting at its label.
const T0: f64 = 631_177_200.0;

/// The files' site.
fn site() -> Site {
    Site {
        elevation: 1819.6,
        ..Site::new(39.73, -105.18)
    }
}

/// The middle of row `i`'s hour and the Sun then.
fn mid_hour(i: usize) -> (f64, spa::Position) {
    let mid = T0 + i as f64 * 3600.0 + 1800.0;
    (mid, spa::position(&spa::time_terms(mid, 67.0), &site()))
}

/// An hour of a file on its array (facing south at the file's tilt), the Sun at mid-hour.
struct Hour {
    tilt: f64,
    dni: f64,
    dhi: f64,
    /// Global horizontal from the file's beam and diffuse.
    ghi: f64,
    zenith: f64,
    azimuth: f64,
    /// Extraterrestrial irradiance (Spencer).
    e0: f64,
    /// Relative air mass (Kasten & Young 1989).
    am: f64,
    aoi: f64,
}

impl Hour {
    /// The Perez sky diffuse on the array.
    fn perez(&self, coef: &irr::PerezCoefficients) -> f64 {
        irr::perez(
            self.tilt,
            180.0,
            self.dhi,
            self.dni,
            self.e0,
            self.zenith,
            self.azimuth,
            self.am,
            coef,
        )
    }

    /// The plane of array with `sky` diffuse and albedo 0.2.
    fn poa(&self, sky: f64) -> irr::Poa {
        irr::poa(
            self.aoi,
            self.dni,
            sky,
            irr::ground_diffuse(self.tilt, self.ghi, 0.2),
        )
    }
}

fn read(path: &PathBuf) -> Pvw {
    let text = std::fs::read_to_string(path).unwrap();
    let mut tilt = f64::NAN;
    let mut rows = Vec::new();
    let mut data = false;
    for line in text.lines() {
        let f: Vec<&str> = line.split(',').collect();
        if f[0].starts_with("Array Tilt") {
            tilt = f[1].parse().unwrap();
        }
        if f[0] == "Month" {
            data = true;
            continue;
        }
        if data && f[0].parse::<f64>().is_ok() {
            let mut r = [0.0; 11];
            for (k, v) in f.iter().take(11).enumerate() {
                r[k] = v.trim().parse().unwrap();
            }
            rows.push(r);
        }
    }
    Pvw { tilt, rows }
}

/// The Sun's centre above the horizon at some moment of each hour of 1990 at the file's site
/// (PVWatts' sunup flag: sunrise and sunset at the geometric hour angle, no refraction).
fn sun_up() -> Vec<bool> {
    let site = site();
    (0..8760)
        .map(|i| {
            (0..=12).any(|k| {
                let t = T0 + i as f64 * 3600.0 + k as f64 * 300.0;
                spa::position(&spa::time_terms(t, 67.0), &site).elevation > 0.0
            })
        })
        .collect()
}

#[test]
fn fuentes_cell_temperature_near_pvwatts() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    for (file, noct) in FILES {
        let p = read(&dir.join(file));
        assert_eq!(p.rows.len(), 8760);
        let t = p.cell_temperature(&p.column(7), noct);
        let mut worst: f64 = 0.0;
        let mut sum = 0.0;
        let mut n = 0;
        let mut over = Vec::new();
        for (i, r) in p.rows.iter().enumerate() {
            if r[7] > 0.0 {
                let d = (t[i] - r[8]).abs();
                worst = worst.max(d);
                sum += d;
                n += 1;
                if d > 0.01 {
                    over.push((
                        r[0] as u32,
                        r[1] as u32,
                        r[2] as u32,
                        r[6],
                        (d * 1000.0).round() / 1000.0,
                    ));
                }
            }
        }
        let mean = sum / n as f64;
        eprintln!(
            "{file}: {n} daytime hours, cell temperature vs PVWatts: mean |Δ| {mean:.4} °C, largest {worst:.4} °C; {} hours over 0.01 °C (month, day, hour, wind, Δ): {:?}",
            over.len(),
            &over[..over.len().min(8)]
        );
        // PVWatts' Fuentes: sin(tilt) fixed at 0.5, not stepped through the night, reset to air
        // temperature by a sunlit-sky hour without irradiance; PVWatts writes 0.001 °C. The
        // three hours left are first hours of a morning whose previous hour has the Sun rising
        // or setting within a minute or two of the hour's edge: there PVWatts' own sunrise
        // (from the weather file's year for that month, which the file does not carry) and
        // SPA's for 1990 disagree on whether the model was reset to air temperature.
        assert!(
            mean < 0.001 && over.len() <= 3 && worst < 0.25,
            "{file}: mean {mean}, largest {worst}, {} hours over 0.01 °C",
            over.len()
        );
    }
}

#[test]
fn plane_of_array_near_pvwatts() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    let p = read(&dir.join("pvwatts_8760_rackmount.csv"));
    let coef = irr::perez_model("allsitescomposite1990").unwrap();
    let (mut sum_ours, mut sum_nrel, mut worst, mut n) = (0.0, 0.0, 0.0f64, 0);
    for (i, r) in p.rows.iter().enumerate() {
        let h = p.hour(i);
        let sky = if h.dhi == 0.0 { 0.0 } else { h.perez(coef) };
        let poa = h.poa(sky);
        if r[7] > 0.0 && !poa.global.is_nan() {
            sum_ours += poa.global;
            sum_nrel += r[7];
            worst = worst.max((poa.global - r[7]).abs());
            n += 1;
        }
    }
    eprintln!(
        "POA vs PVWatts: {n} hours, annual {:.1} vs {:.1} kWh/m² ({:+.3} %), largest hourly |Δ| {worst:.1} W/m²",
        sum_ours / 1000.0,
        sum_nrel / 1000.0,
        100.0 * (sum_ours / sum_nrel - 1.0)
    );
    // the Sun at mid-hour, Perez 1990, albedo 0.2: PVWatts' annual POA to 0.1 %; the largest
    // hourly differences are at sunrise and sunset, where PVWatts takes the Sun at the middle
    // of the sunlit part of the hour
    assert!((sum_ours / sum_nrel - 1.0).abs() < 0.001 && worst < 20.0);
}

#[test]
fn dc_from_transmitted_poa_equals_pvwatts() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    for (file, noct) in FILES {
        let p = read(&dir.join(file));
        let mut tpoa = Vec::new();
        for (i, r) in p.rows.iter().enumerate() {
            let aoi = p.hour(i).aoi;
            let beam = (r[3] * aoi.to_radians().cos()).max(0.0);
            let t = r[7] - (1.0 - irr::iam_physical(aoi, 1.526, 4.0, 0.002)) * beam;
            tpoa.push(if r[7] > 0.0 { t.max(0.0) } else { 0.0 });
        }
        let (mut s_ours, mut s_nrel, mut worst) = (0.0, 0.0, 0.0f64);
        for (i, r) in p.rows.iter().enumerate() {
            let dc = pv::pvwatts_dc(tpoa[i], r[8], 4000.0, -0.0047, 25.0) * (1.0 - 0.1408);
            s_ours += dc;
            s_nrel += r[9];
            worst = worst.max((dc - r[9]).abs());
        }
        let t = p.cell_temperature(&tpoa, noct);
        let (mut tw, mut ts, mut n) = (0.0f64, 0.0, 0);
        for (i, r) in p.rows.iter().enumerate() {
            if r[7] > 0.0 {
                tw = tw.max((t[i] - r[8]).abs());
                ts += (t[i] - r[8]).abs();
                n += 1;
            }
        }
        eprintln!(
            "{file}: DC from transmitted POA and PVWatts' cell temperature: {:.1} vs {:.1} kWh ({:+.3} %), largest {worst:.1} W; Fuentes on transmitted POA: mean {:.4}, largest {tw:.4} °C",
            s_ours / 1000.0,
            s_nrel / 1000.0,
            100.0 * (s_ours / s_nrel - 1.0),
            ts / n as f64
        );
    }
}

#[test]
fn annual_ac_within_a_tenth_of_a_percent_of_pvwatts() {
    let Some(dir) = common::reference_data("solar") else {
        return;
    };
    let coef = irr::perez_model("allsitescomposite1990").unwrap();
    for (file, noct) in FILES {
        let p = read(&dir.join(file));
        let (mut poa, mut tpoa) = (Vec::new(), Vec::new());
        for i in 0..p.rows.len() {
            let h = p.hour(i);
            let sky = if h.dhi == 0.0 || h.am.is_nan() {
                0.0
            } else {
                h.perez(coef)
            };
            let g = h.poa(sky);
            let total = if g.global.is_nan() { 0.0 } else { g.global };
            poa.push(total);
            tpoa.push(
                (total - (1.0 - irr::iam_physical(h.aoi, 1.526, 4.0, 0.002)) * g.direct).max(0.0),
            );
        }
        let tc = p.cell_temperature(&poa, noct);
        let (mut ac, mut ac_nrel) = (0.0, 0.0);
        for (i, r) in p.rows.iter().enumerate() {
            let dc = pv::pvwatts_dc(tpoa[i], tc[i], 4000.0, -0.0047, 25.0) * (1.0 - 0.1408);
            ac += pv::pvwatts_inverter(dc, 4000.0 / 1.2 / 0.96, 0.96, 0.9637);
            ac_nrel += r[10];
        }
        eprintln!(
            "{file}: annual AC {:.2} vs NREL {:.2} kWh ({:+.3} %)",
            ac / 1000.0,
            ac_nrel / 1000.0,
            100.0 * (ac / ac_nrel - 1.0)
        );
        assert!(
            (ac / ac_nrel - 1.0).abs() < 0.001,
            "{file}: {ac} vs {ac_nrel}"
        );
    }
}
