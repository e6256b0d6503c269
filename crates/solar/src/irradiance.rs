//! Irradiance: extraterrestrial irradiance, air mass, clear-sky models (Haurwitz,
//! Ineichen–Perez, simplified Solis), GHI decomposition (Erbs), angle of incidence and the
//! plane of array (isotropic, Hay–Davies, Perez 1990 sky diffuse; ground-reflected).
//!
//! Functions take one instant's values (angles in degrees, irradiance in W/m², pressure in
//! Pa) and return NaN where an input is NaN: a missing value is never turned into 0. Night
//! (the Sun below the horizon) gives 0 where the model defines it, as stated per function.

use serde::{Deserialize, Serialize};

/// The solar constant used by the extraterrestrial models (W/m²).
pub const SOLAR_CONSTANT: f64 = 1366.1;

fn cosd(x: f64) -> f64 {
    x.to_radians().cos()
}

fn sind(x: f64) -> f64 {
    x.to_radians().sin()
}

/// Extraterrestrial normal irradiance for day of year `doy` (1..366): Spencer (1971).
pub fn extra_spencer(doy: f64) -> f64 {
    let b = 2.0 * std::f64::consts::PI * (doy - 1.0) / 365.0;
    let r = 1.00011
        + 0.034221 * b.cos()
        + 0.00128 * b.sin()
        + 0.000719 * (2.0 * b).cos()
        + 0.000077 * (2.0 * b).sin();
    SOLAR_CONSTANT * r
}

/// Extraterrestrial normal irradiance: the ASCE (2005) approximation.
pub fn extra_asce(doy: f64) -> f64 {
    let b = 2.0 * std::f64::consts::PI * doy / 365.0;
    SOLAR_CONSTANT * (1.0 + 0.033 * b.cos())
}

/// Extraterrestrial normal irradiance from the Earth–Sun distance R (AU), e.g. SPA's.
pub fn extra_from_distance(r: f64) -> f64 {
    SOLAR_CONSTANT / (r * r)
}

/// Relative air mass models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AirmassModel {
    Simple,
    Kasten1966,
    KastenYoung1989,
    Gueymard1993,
    Young1994,
    Pickering2002,
    Gueymard2003,
}

impl AirmassModel {
    pub const ALL: [AirmassModel; 7] = [
        AirmassModel::Simple,
        AirmassModel::Kasten1966,
        AirmassModel::KastenYoung1989,
        AirmassModel::Gueymard1993,
        AirmassModel::Young1994,
        AirmassModel::Pickering2002,
        AirmassModel::Gueymard2003,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AirmassModel::Simple => "simple",
            AirmassModel::Kasten1966 => "kasten1966",
            AirmassModel::KastenYoung1989 => "kastenyoung1989",
            AirmassModel::Gueymard1993 => "gueymard1993",
            AirmassModel::Young1994 => "young1994",
            AirmassModel::Pickering2002 => "pickering2002",
            AirmassModel::Gueymard2003 => "gueymard2003",
        }
    }
}

/// Relative (not pressure-corrected) air mass at zenith `z` (°; apparent zenith for the
/// models built on it). NaN for z > 90° (no air mass below the horizon).
pub fn airmass_relative(z: f64, model: AirmassModel) -> f64 {
    if z.is_nan() || z > 90.0 {
        return f64::NAN;
    }
    let c = cosd(z);
    match model {
        AirmassModel::Simple => 1.0 / c,
        AirmassModel::Kasten1966 => 1.0 / (c + 0.15 * (93.885 - z).powf(-1.253)),
        AirmassModel::KastenYoung1989 => 1.0 / (c + 0.50572 * (96.07995 - z).powf(-1.6364)),
        AirmassModel::Gueymard1993 => 1.0 / (c + 0.00176759 * z * (94.37515 - z).powf(-1.21563)),
        AirmassModel::Young1994 => {
            (1.002432 * c * c + 0.148386 * c + 0.0096467)
                / (c * c * c + 0.149864 * c * c + 0.0102963 * c + 0.000303978)
        }
        AirmassModel::Pickering2002 => {
            let h = 90.0 - z;
            1.0 / sind(h + 244.0 / (165.0 + 47.0 * h.powf(1.1)))
        }
        AirmassModel::Gueymard2003 => {
            1.0 / (c + 0.48353 * z.powf(0.095846) / (96.741 - z).powf(1.754))
        }
    }
}

/// Absolute (pressure-corrected) air mass.
pub fn airmass_absolute(relative: f64, pressure_pa: f64) -> f64 {
    relative * pressure_pa / 101_325.0
}

/// Haurwitz (1945) clear-sky GHI at apparent zenith `z`; 0 with the Sun below the horizon.
pub fn haurwitz(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let c = cosd(z);
    if c > 0.0 {
        1098.0 * c * (-0.059 / c).exp()
    } else {
        0.0
    }
}

/// Clear-sky (GHI, DNI, DHI).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClearSky {
    pub ghi: f64,
    pub dni: f64,
    pub dhi: f64,
}

/// Ineichen–Perez clear sky (Ineichen & Perez 2002, with Perez et al. 2002's altitude
/// terms): apparent zenith (°), absolute air mass, Linke turbidity, site altitude (m),
/// extraterrestrial irradiance (W/m²). Where the air mass is NaN (night) the result is
/// (0, 0, 0), as with the Sun below the horizon.
pub fn ineichen(z: f64, am_abs: f64, linke: f64, altitude: f64, dni_extra: f64) -> ClearSky {
    if z.is_nan() || linke.is_nan() || altitude.is_nan() || dni_extra.is_nan() {
        let n = f64::NAN;
        return ClearSky {
            ghi: n,
            dni: n,
            dhi: n,
        };
    }
    if am_abs.is_nan() {
        return ClearSky {
            ghi: 0.0,
            dni: 0.0,
            dhi: 0.0,
        };
    }
    let tl = linke;
    let fh1 = (-altitude / 8000.0).exp();
    let fh2 = (-altitude / 1250.0).exp();
    let cos_z = cosd(z).max(0.0);
    let cg1 = 5.09e-5 * altitude + 0.868;
    let cg2 = 3.92e-5 * altitude + 0.0387;
    let g = (-cg2 * am_abs * (fh1 + fh2 * (tl - 1.0))).exp();
    let ghi = cg1 * dni_extra * cos_z * g.max(0.0);
    let b = 0.664 + 0.163 / fh1;
    let bnci = dni_extra * (b * (-0.09 * am_abs * (tl - 1.0)).exp()).max(0.0);
    let bnci2 = (1.0 - (0.1 - 0.2 * (-tl).exp()) / (0.1 + 0.882 / fh1)) / cos_z;
    let bnci2 = ghi * bnci2.clamp(0.0, 1e20);
    let dni = bnci.min(bnci2);
    ClearSky {
        ghi,
        dni,
        dhi: ghi - dni * cos_z,
    }
}

/// Simplified Solis clear sky (Ineichen 2008): apparent elevation (°), aerosol optical
/// depth at 700 nm, precipitable water (cm; below 0.2 taken as 0.2), pressure (Pa),
/// extraterrestrial irradiance. Zero with the Sun at or below the horizon.
pub fn simplified_solis(
    elevation: f64,
    aod700: f64,
    precipitable_water: f64,
    pressure: f64,
    dni_extra: f64,
) -> ClearSky {
    if [elevation, aod700, precipitable_water, pressure, dni_extra]
        .iter()
        .any(|v| v.is_nan())
    {
        let n = f64::NAN;
        return ClearSky {
            ghi: n,
            dni: n,
            dhi: n,
        };
    }
    let w = precipitable_water.max(0.2);
    let a = aod700;
    let lw = w.ln();
    let lp = (pressure / 101_325.0).ln();
    // modified extraterrestrial irradiance
    let i0p = dni_extra
        * (0.12 * w.powf(0.56) * a * a
            + 0.97 * w.powf(0.032) * a
            + 1.08 * w.powf(0.0051)
            + 0.071 * lp);
    // beam
    let taub = (1.82 + 0.056 * lw + 0.0071 * lw * lw) * a
        + (0.33 + 0.045 * lw + 0.0096 * lw * lw)
        + (0.0089 * w + 0.13) * lp;
    let b = (0.00925 * a * a + 0.0148 * a - 0.0172) * lw + (-0.7565 * a * a + 0.5057 * a + 0.4557);
    // global
    let taug = (1.24 + 0.047 * lw + 0.0061 * lw * lw) * a
        + (0.27 + 0.043 * lw + 0.0090 * lw * lw)
        + (0.0079 * w + 0.1) * lp;
    let g = -0.0147 * lw - 0.3079 * a * a + 0.2846 * a + 0.3798;
    // diffuse
    let (td4, td3, td2, td1, td0, tdp) = if a < 0.05 {
        (
            86.0 * w - 13_800.0,
            -3.11 * w + 79.4,
            -0.23 * w + 74.8,
            0.092 * w - 8.86,
            0.0042 * w + 3.12,
            -0.83 * (1.0 + a).powf(-17.2),
        )
    } else {
        (
            -0.21 * w + 11.6,
            0.27 * w - 20.7,
            -0.134 * w + 15.5,
            0.0554 * w - 5.71,
            0.0057 * w + 2.94,
            -0.71 * (1.0 + a).powf(-15.0),
        )
    };
    let taud = td4 * a.powi(4) + td3 * a.powi(3) + td2 * a * a + td1 * a + td0 + tdp * lp;
    let d = -0.337 * a * a + 0.63 * a + 0.116 + lp / (18.0 + 152.0 * a);
    let sin_e = sind(elevation).max(1e-30);
    let dni = i0p * (-taub / sin_e.powf(b)).exp();
    let ghi = i0p * (-taug / sin_e.powf(g)).exp() * sin_e;
    let dhi = i0p * (-taud / sin_e.powf(d)).exp();
    if elevation <= 0.0 {
        ClearSky {
            ghi: 0.0,
            dni: 0.0,
            dhi: 0.0,
        }
    } else {
        ClearSky { ghi, dni, dhi }
    }
}

/// Linke turbidity on day of year `doy` from twelve monthly values taken as mid-month
/// values and interpolated linearly between them (December and January wrap around).
pub fn linke_monthly(monthly: &[f64; 12], doy: f64, leap: bool) -> f64 {
    let mut mdays = [
        31.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
    ];
    let ydays = if leap {
        mdays[1] = 29.0;
        366.0
    } else {
        365.0
    };
    let mut x = [0.0f64; 14];
    let mut y = [0.0f64; 14];
    x[0] = -31.0 / 2.0;
    y[0] = monthly[11];
    let mut cum = 0.0;
    for m in 0..12 {
        cum += mdays[m];
        x[m + 1] = cum - mdays[m] / 2.0;
        y[m + 1] = monthly[m];
    }
    x[13] = ydays + 31.0 / 2.0;
    y[13] = monthly[0];
    let k = x.partition_point(|v| *v <= doy).clamp(1, 13);
    let (x0, x1, y0, y1) = (x[k - 1], x[k], y[k - 1], y[k]);
    y0 + (y1 - y0) * (doy - x0) / (x1 - x0)
}

/// Erbs et al. (1982) decomposition of GHI into (DNI, DHI, kt): zenith (°), day-of-year
/// extraterrestrial irradiance; kt with cos z ≥ 0.065 and kt ≤ 1; DNI 0 and DHI = GHI for
/// zenith > 87°, GHI < 0 or a negative DNI.
pub fn erbs(ghi: f64, z: f64, dni_extra: f64) -> (f64, f64, f64) {
    if ghi.is_nan() || z.is_nan() || dni_extra.is_nan() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let cos_z = cosd(z).max(0.065);
    let kt = (ghi / (dni_extra * cos_z)).clamp(0.0, 1.0);
    let df = if kt <= 0.22 {
        1.0 - 0.09 * kt
    } else if kt <= 0.8 {
        0.9511 - 0.1604 * kt + 4.388 * kt.powi(2) - 16.638 * kt.powi(3) + 12.336 * kt.powi(4)
    } else {
        0.165
    };
    let dhi = df * ghi;
    let dni = (ghi - dhi) / cosd(z);
    if z > 87.0 || ghi < 0.0 || dni < 0.0 {
        (0.0, ghi, kt)
    } else {
        (dni, dhi, kt)
    }
}

/// The clearness index kt = GHI / (E0 · max(cos z, `min_cos_zenith`)), clipped to
/// [0, `max_kt`].
pub fn clearness_index(ghi: f64, z: f64, dni_extra: f64, min_cos_zenith: f64, max_kt: f64) -> f64 {
    if ghi.is_nan() || z.is_nan() || dni_extra.is_nan() {
        return f64::NAN;
    }
    (ghi / (dni_extra * cosd(z).max(min_cos_zenith))).clamp(0.0, max_kt)
}

/// DISC (Maxwell 1987): DNI from GHI at zenith `z` (°), day of year `doy`, pressure (Pa).
/// Returns (DNI, kt, absolute air mass capped at 12); DNI 0 for zenith > 87°, GHI < 0 or a
/// negative result; air mass NaN with the Sun below the horizon.
pub fn disc(ghi: f64, z: f64, doy: f64, pressure: f64) -> (f64, f64, f64) {
    if ghi.is_nan() || z.is_nan() || pressure.is_nan() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let i0 = extra_spencer(doy) / SOLAR_CONSTANT * 1370.0;
    let kt = clearness_index(ghi, z, i0, 0.065, 1.0);
    let am = airmass_absolute(airmass_relative(z, AirmassModel::Kasten1966), pressure);
    let am = if am.is_nan() { am } else { am.min(12.0) };
    let (a, b, c) = if kt <= 0.6 {
        (
            0.512 + kt * (-1.56 + kt * (2.286 - 2.222 * kt)),
            0.37 + 0.962 * kt,
            -0.28 + kt * (0.932 - 2.048 * kt),
        )
    } else {
        (
            -5.743 + kt * (21.77 + kt * (-27.49 + 11.56 * kt)),
            41.4 + kt * (-118.5 + kt * (66.05 + 31.9 * kt)),
            -47.01 + kt * (184.2 + kt * (-222.0 + 73.81 * kt)),
        )
    };
    let delta_kn = a + b * (c * am).exp();
    let knc = 0.866 + am * (-0.122 + am * (0.0121 + am * (-0.000653 + 1.4e-5 * am)));
    let dni = (knc - delta_kn) * i0;
    let bad = z > 87.0 || ghi < 0.0 || dni < 0.0;
    (if bad { 0.0 } else { dni }, kt, am)
}

/// The DIRINT coefficients (Perez et al. 1992), by (kt′, zenith, w, Δkt′) bin, 1-based.
type DirintTable = [[[[f64; 7]; 5]; 6]; 6];

fn dirint_table() -> &'static DirintTable {
    use std::sync::OnceLock;
    static T: OnceLock<Box<DirintTable>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([[[[f64::NAN; 7]; 5]; 6]; 6]);
        for f in crate::spa::bundled_records(include_str!("../data/dirint.csv")) {
            if f.len() < 5 {
                continue;
            }
            let ix = |i: usize| f[i].parse::<usize>().expect("a bin") - 1;
            t[ix(0)][ix(1)][ix(2)][ix(3)] = f[4].parse().expect("a coefficient");
        }
        t
    })
}

/// DIRINT (Perez et al. 1992): DISC's DNI corrected by a coefficient chosen by the
/// zenith-independent clearness kt′, the zenith, the precipitable water from the dew point
/// (w = exp(0.07·T_dew − 0.075) cm; `None` without one) and the stability index Δkt′ from
/// the neighbouring intervals (`None` without it). `times` are consecutive intervals;
/// returns DNI per interval (NaN where a bin cannot be found, as with the Sun below the
/// horizon or a missing dew point).
pub fn dirint(
    ghi: &[f64],
    zenith: &[f64],
    doy: &[f64],
    pressure: &[f64],
    temp_dew: Option<&[f64]>,
    use_delta_kt: bool,
) -> Vec<f64> {
    let n = ghi.len();
    let disc: Vec<(f64, f64, f64)> = (0..n)
        .map(|i| disc(ghi[i], zenith[i], doy[i], pressure[i]))
        .collect();
    let kt_prime: Vec<f64> = disc
        .iter()
        .map(|(_, kt, am)| {
            let f = 1.031 * (-1.4 / (0.9 + 9.4 / am)).exp() + 0.1;
            (kt / f).clamp(0.0, 1.0)
        })
        .collect();
    let table = dirint_table();
    (0..n)
        .map(|i| {
            let kp = kt_prime[i];
            let dkt = if use_delta_kt {
                let prev = if i > 0 { Some(kt_prime[i - 1]) } else { None };
                let next = if i + 1 < n {
                    Some(kt_prime[i + 1])
                } else {
                    None
                };
                // at the ends, the one neighbour stands for both
                let (p, q) = match (prev, next) {
                    (Some(p), Some(q)) => (p, q),
                    (Some(p), None) => (p, p),
                    (None, Some(q)) => (q, q),
                    (None, None) => (f64::NAN, f64::NAN),
                };
                let a = (kp - q).abs();
                let b = (kp - p).abs();
                // Perez et al. (1992) eq. 3: with one neighbour missing, the other alone
                match (a.is_nan(), b.is_nan()) {
                    (false, false) => 0.5 * (a + b),
                    (true, false) => b,
                    (false, true) => a,
                    (true, true) => f64::NAN,
                }
            } else {
                -1.0
            };
            let w = temp_dew.map_or(-1.0, |d| (0.07 * d[i] - 0.075).exp());
            let kb = match kp {
                x if (0.0..0.24).contains(&x) => 1,
                x if (0.24..0.4).contains(&x) => 2,
                x if (0.4..0.56).contains(&x) => 3,
                x if (0.56..0.7).contains(&x) => 4,
                x if (0.7..0.8).contains(&x) => 5,
                x if (0.8..=1.0).contains(&x) => 6,
                _ => 0,
            };
            let z = zenith[i];
            let zb = match z {
                x if (0.0..25.0).contains(&x) => 1,
                x if (25.0..40.0).contains(&x) => 2,
                x if (40.0..55.0).contains(&x) => 3,
                x if (55.0..70.0).contains(&x) => 4,
                x if (70.0..80.0).contains(&x) => 5,
                x if x >= 80.0 => 6,
                _ => 0,
            };
            let wb = match w {
                -1.0 => 5,
                x if (0.0..1.0).contains(&x) => 1,
                x if (1.0..2.0).contains(&x) => 2,
                x if (2.0..3.0).contains(&x) => 3,
                x if x >= 3.0 => 4,
                _ => 0,
            };
            let db = match dkt {
                -1.0 => 7,
                x if (0.0..0.015).contains(&x) => 1,
                x if (0.015..0.035).contains(&x) => 2,
                x if (0.035..0.07).contains(&x) => 3,
                x if (0.07..0.15).contains(&x) => 4,
                x if (0.15..0.3).contains(&x) => 5,
                x if (0.3..=1.0).contains(&x) => 6,
                _ => 0,
            };
            if kb == 0 || zb == 0 || wb == 0 || db == 0 {
                return f64::NAN;
            }
            disc[i].0 * table[kb - 1][zb - 1][wb - 1][db - 1]
        })
        .collect()
}

/// cos(angle of incidence) on a plane (tilt, azimuth) of the Sun at (zenith, azimuth),
/// clipped to [−1, 1].
pub fn aoi_projection(tilt: f64, surface_azimuth: f64, z: f64, sun_azimuth: f64) -> f64 {
    (cosd(tilt) * cosd(z) + sind(tilt) * sind(z) * cosd(sun_azimuth - surface_azimuth))
        .clamp(-1.0, 1.0)
}

/// Angle of incidence (°).
pub fn aoi(tilt: f64, surface_azimuth: f64, z: f64, sun_azimuth: f64) -> f64 {
    aoi_projection(tilt, surface_azimuth, z, sun_azimuth)
        .acos()
        .to_degrees()
}

/// De Soto et al. (2006) incidence-angle modifier of a transparent cover: refraction index
/// `n` (1.526 for glass), extinction coefficient `k` (4 /m) and thickness `l` (0.002 m);
/// transmittance at `aoi` relative to normal incidence, 0 from 90° on.
pub fn iam_physical(aoi: f64, n: f64, k: f64, l: f64) -> f64 {
    if aoi.is_nan() {
        return f64::NAN;
    }
    if aoi >= 90.0 {
        return 0.0;
    }
    let t = aoi.max(1e-6).to_radians();
    let tr = (t.sin() / n).asin();
    let reflect = 0.5
        * (((tr - t).sin() / (tr + t).sin()).powi(2) + ((tr - t).tan() / (tr + t).tan()).powi(2));
    let tau = (-k * l / tr.cos()).exp() * (1.0 - reflect);
    let tau0 = (-k * l).exp() * (1.0 - ((n - 1.0) / (n + 1.0)).powi(2));
    tau / tau0
}

/// Isotropic sky diffuse on a tilted plane.
pub fn isotropic(tilt: f64, dhi: f64) -> f64 {
    dhi * (1.0 + cosd(tilt)) * 0.5
}

/// Ground-reflected irradiance on a tilted plane.
pub fn ground_diffuse(tilt: f64, ghi: f64, albedo: f64) -> f64 {
    ghi * albedo * (1.0 - cosd(tilt)) * 0.5
}

/// Hay & Davies (1980) sky diffuse.
pub fn hay_davies(
    tilt: f64,
    surface_azimuth: f64,
    dhi: f64,
    dni: f64,
    dni_extra: f64,
    z: f64,
    sun_azimuth: f64,
) -> f64 {
    let cos_tt = aoi_projection(tilt, surface_azimuth, z, sun_azimuth).max(0.0);
    let rb = cos_tt / cosd(z).max(0.01745);
    let ai = dni / dni_extra;
    let iso = (dhi * (1.0 - ai) * 0.5 * (1.0 + cosd(tilt))).max(0.0);
    let circ = (dhi * ai * rb).max(0.0);
    iso + circ
}

/// Klucher (1979) sky diffuse.
pub fn klucher(
    tilt: f64,
    surface_azimuth: f64,
    dhi: f64,
    ghi: f64,
    z: f64,
    sun_azimuth: f64,
) -> f64 {
    let cos_tt = aoi_projection(tilt, surface_azimuth, z, sun_azimuth).max(0.0);
    let f = 1.0 - (dhi / ghi).powi(2);
    let f = if f.is_nan() { 0.0 } else { f };
    dhi * 0.5
        * (1.0 + cosd(tilt))
        * (1.0 + f * sind(0.5 * tilt).powi(3))
        * (1.0 + f * cos_tt * cos_tt * sind(z).powi(3))
}

/// Reindl et al. (1990) sky diffuse.
#[allow(clippy::too_many_arguments)]
pub fn reindl(
    tilt: f64,
    surface_azimuth: f64,
    dhi: f64,
    dni: f64,
    ghi: f64,
    dni_extra: f64,
    z: f64,
    sun_azimuth: f64,
) -> f64 {
    let cos_tt = aoi_projection(tilt, surface_azimuth, z, sun_azimuth).max(0.0);
    let cos_z = cosd(z);
    let rb = cos_tt / cos_z.max(0.01745);
    let ai = dni / dni_extra;
    let hb = (dni * cos_z).max(0.0);
    let hb_to_ghi = if ghi == 0.0 { 0.0 } else { hb / ghi };
    let term3 = 1.0 + hb_to_ghi.sqrt() * sind(0.5 * tilt).powi(3);
    (dhi * (ai * rb + (1.0 - ai) * 0.5 * (1.0 + cosd(tilt)) * term3)).max(0.0)
}

/// The coefficients (f11, f12, f13, f21, f22, f23) of one Perez model, by sky-clearness bin.
#[derive(Debug, Clone, PartialEq)]
pub struct PerezCoefficients {
    pub name: String,
    pub bins: [[f64; 6]; 8],
}

/// The Perez et al. (1990) coefficient sets (data/perez.csv).
pub fn perez_models() -> &'static [PerezCoefficients] {
    use std::sync::OnceLock;
    static M: OnceLock<Vec<PerezCoefficients>> = OnceLock::new();
    M.get_or_init(|| {
        let mut out: Vec<PerezCoefficients> = Vec::new();
        for f in crate::spa::bundled_records(include_str!("../data/perez.csv")) {
            if f.len() < 8 {
                continue;
            }
            let bin: usize = f[1].parse().expect("bin");
            let v: Vec<f64> = (2..8).map(|i| f[i].parse().expect("a number")).collect();
            if out.last().is_none_or(|m| m.name != f[0]) {
                out.push(PerezCoefficients {
                    name: f[0].to_string(),
                    bins: [[f64::NAN; 6]; 8],
                });
            }
            let m = out.last_mut().expect("pushed");
            m.bins[bin - 1].copy_from_slice(&v);
        }
        out
    })
}

/// A Perez model by name (default `allsitescomposite1990`).
pub fn perez_model(name: &str) -> Option<&'static PerezCoefficients> {
    perez_models().iter().find(|m| m.name == name)
}

/// Perez et al. (1990) sky diffuse: relative air mass `am` (NaN at night gives 0).
#[allow(clippy::too_many_arguments)]
pub fn perez(
    tilt: f64,
    surface_azimuth: f64,
    dhi: f64,
    dni: f64,
    dni_extra: f64,
    z: f64,
    sun_azimuth: f64,
    am: f64,
    coefficients: &PerezCoefficients,
) -> f64 {
    if am.is_nan() && !dhi.is_nan() {
        return 0.0;
    }
    let kappa = 1.041;
    let zr = z.to_radians();
    let delta = dhi * am / dni_extra;
    let eps = ((dhi + dni) / dhi + kappa * zr.powi(3)) / (1.0 + kappa * zr.powi(3));
    const EDGES: [f64; 7] = [1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2];
    if eps.is_nan() || eps < 0.0 {
        return f64::NAN;
    }
    let bin = EDGES.iter().filter(|e| eps >= **e).count();
    let c = &coefficients.bins[bin];
    let f1 = (c[0] + c[1] * delta + c[2] * zr).max(0.0);
    let f2 = c[3] + c[4] * delta + c[5] * zr;
    let a = aoi_projection(tilt, surface_azimuth, z, sun_azimuth).max(0.0);
    let b = cosd(z).max(cosd(85.0));
    let term1 = 0.5 * (1.0 - f1) * (1.0 + cosd(tilt));
    let term2 = f1 * a / b;
    let term3 = f2 * sind(tilt);
    (dhi * (term1 + term2 + term3)).max(0.0)
}

/// Plane-of-array components.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Poa {
    pub global: f64,
    pub direct: f64,
    pub diffuse: f64,
    pub sky_diffuse: f64,
    pub ground_diffuse: f64,
}

/// Beam on the plane plus sky and ground diffuse.
pub fn poa(aoi_deg: f64, dni: f64, sky: f64, ground: f64) -> Poa {
    let direct = (dni * cosd(aoi_deg)).max(0.0);
    let direct = if dni.is_nan() || aoi_deg.is_nan() {
        f64::NAN
    } else {
        direct
    };
    let diffuse = sky + ground;
    Poa {
        global: direct + diffuse,
        direct,
        diffuse,
        sky_diffuse: sky,
        ground_diffuse: ground,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perez_tables_load() {
        let m = perez_model("allsitescomposite1990").expect("the default set");
        assert!(m.bins.iter().all(|b| b.iter().all(|v| v.is_finite())));
        assert!(perez_models().len() >= 11);
    }

    #[test]
    fn linke_between_mid_months() {
        let m = [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0];
        // mid-January (day 15.5) and mid-February (45) of a common year
        assert!((linke_monthly(&m, 15.5, false) - 2.0).abs() < 1e-12);
        assert!((linke_monthly(&m, 45.0, false) - 3.0).abs() < 1e-12);
        assert!((linke_monthly(&m, 30.25, false) - 2.5).abs() < 1e-12);
        // 1 January lies between mid-December of the year before and mid-January
        assert!((linke_monthly(&m, 0.0, false) - (3.0 + (2.0 - 3.0) * 15.5 / 31.0)).abs() < 1e-12);
    }

    #[test]
    fn missing_stays_missing() {
        assert!(haurwitz(f64::NAN).is_nan());
        assert!(erbs(f64::NAN, 30.0, 1360.0).0.is_nan());
        assert!(ineichen(f64::NAN, 1.0, 3.0, 0.0, 1360.0).ghi.is_nan());
        assert!(airmass_relative(95.0, AirmassModel::KastenYoung1989).is_nan());
        assert_eq!(haurwitz(95.0), 0.0);
    }
}
