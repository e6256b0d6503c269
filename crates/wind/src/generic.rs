//! A generic power curve from a turbine's rated power, rotor diameter and cut-in, rated
//! and cut-out wind speeds, for turbines without a published curve.
//!
//! Shape (standard air density ρ0 = 1.225 kg/m³, rotor area A = π D²/4):
//!
//! - below cut-in and above cut-out: 0;
//! - region II, from cut-in: the power of the wind through the rotor at a constant power
//!   coefficient, P(v) = ½ ρ0 A Cp v³, with Cp = `cp_max` (0.45 unless given: the
//!   region-II optimum of modern turbines; the OEDB library's curves have a median of 0.46);
//! - the knee: the cubic at Cp reaches the rated power at v* = (P_r / (½ ρ0 A Cp))^⅓; the
//!   curve leaves the cubic at v₁ = max(2 v* − v_r, cut-in), so that the knee is centred
//!   on v*, and joins the rated power at the rated speed v_r along a cubic Hermite
//!   segment that matches the cubic's value and slope at v₁ and reaches P_r with zero
//!   slope at v_r (its slope at v₁ is capped at three times the mean slope of the knee,
//!   which keeps it rising);
//! - region III, from v_r to cut-out: P_r.
//!
//! Where the rotor at `cp_max` cannot reach the rated power by v_r (v* ≥ v_r), the curve
//! is the cubic through P_r at v_r (Cp = P_r / (½ ρ0 A v_r³)) without a knee; a Cp above
//! the Betz limit 16/27 is refused (a rotor that small cannot deliver that power).
//!
//! Why not the textbook cubic that reaches rated power at the rated speed
//! (P_r (v/v_r)³, or the ramp P_r (v³ − v_ci³)/(v_r³ − v_ci³))? A published rated speed
//! is where the measured curve has rounded its knee, well past v*: on the OEDB library
//! those shapes give 36–40 % less annual energy than the manufacturers' curves (median),
//! the shape above −1 % (docs/wind.md, `generic_curve_against_the_library`).
//!
//! The curve is tabulated every 0.1 m/s (plus v₁ and v_r), with zero power at 0 m/s, just
//! below cut-in (0.01 m/s) and just above cut-out (0.01 m/s), so that cut-in and cut-out
//! stay steps when the curve is interpolated, aggregated in a farm or smoothed.

use crate::turbine::PowerCurve;

/// Standard air density of published power curves, kg/m³.
pub const RHO_STANDARD: f64 = 1.225;

/// The Betz limit of the power coefficient, 16/27.
pub const BETZ: f64 = 16.0 / 27.0;

/// The region-II power coefficient used when none is given.
pub const DEFAULT_CP_MAX: f64 = 0.45;

/// A generic turbine as given (unchecked). Speeds in m/s, power in W, diameter in m.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenericTurbine {
    pub rated_power: f64,
    pub rotor_diameter: f64,
    pub cut_in: f64,
    pub rated_speed: f64,
    pub cut_out: f64,
    /// Region-II power coefficient; [`DEFAULT_CP_MAX`] when `None`.
    pub cp_max: Option<f64>,
}

/// A bad generic-turbine parameter; `field` names it as [`GenericTurbine`] does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
#[non_exhaustive]
pub struct GenericError {
    pub field: &'static str,
    pub message: String,
}

impl GenericError {
    /// The field as a user gives it: `rated_kw` for the rated power (given in kW), the
    /// others as named.
    pub fn user_field(&self) -> &'static str {
        if self.field == "rated_power" {
            "rated_kw"
        } else {
            self.field
        }
    }
}

/// A checked generic turbine, with its curve's derived quantities.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ValidGenericTurbine {
    turbine: GenericTurbine,
    /// The region-II power coefficient actually used.
    cp: f64,
    /// Where the cubic at `cp` meets the rated power (m/s).
    v_star: f64,
    /// Where the knee starts (m/s); equal to the rated speed where there is no knee.
    knee_start: f64,
}

impl GenericTurbine {
    pub fn check(&self) -> Result<ValidGenericTurbine, GenericError> {
        let err = |field: &'static str, message: String| GenericError { field, message };
        let t = *self;
        for (field, v) in [
            ("rated_power", t.rated_power),
            ("rotor_diameter", t.rotor_diameter),
            ("cut_in", t.cut_in),
            ("rated_speed", t.rated_speed),
            ("cut_out", t.cut_out),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(err(field, format!("{v} must be a positive number")));
            }
        }
        if t.cut_in < 0.1 {
            return Err(err(
                "cut_in",
                format!("{} m/s must be at least 0.1 m/s", t.cut_in),
            ));
        }
        if t.rated_speed <= t.cut_in {
            return Err(err(
                "rated_speed",
                format!(
                    "{} m/s must lie above the cut-in speed ({} m/s)",
                    t.rated_speed, t.cut_in
                ),
            ));
        }
        if t.cut_out < t.rated_speed || t.cut_out > 100.0 {
            return Err(err(
                "cut_out",
                format!(
                    "{} m/s must lie between the rated speed ({} m/s) and 100 m/s",
                    t.cut_out, t.rated_speed
                ),
            ));
        }
        let cp_max = t.cp_max.unwrap_or(DEFAULT_CP_MAX);
        if !(cp_max > 0.0 && cp_max <= BETZ) {
            return Err(err(
                "cp_max",
                format!("{cp_max} must lie in (0, 16/27 = {BETZ:.4}] (the Betz limit)"),
            ));
        }
        let area = std::f64::consts::PI * t.rotor_diameter * t.rotor_diameter / 4.0;
        let wind = 0.5 * RHO_STANDARD * area;
        let v_star = (t.rated_power / (wind * cp_max)).cbrt();
        let (cp, v_star, knee_start) = if v_star >= t.rated_speed {
            let cp = t.rated_power / (wind * t.rated_speed.powi(3));
            if cp > BETZ {
                return Err(err(
                    "rotor_diameter",
                    format!(
                        "a {} m rotor cannot give {:.0} kW at {} m/s: its power coefficient \
                         would be {cp:.3}, above the Betz limit 16/27 = {BETZ:.3}",
                        t.rotor_diameter,
                        t.rated_power / 1e3,
                        t.rated_speed
                    ),
                ));
            }
            (cp, t.rated_speed, t.rated_speed)
        } else {
            (cp_max, v_star, (2.0 * v_star - t.rated_speed).max(t.cut_in))
        };
        Ok(ValidGenericTurbine {
            turbine: t,
            cp,
            v_star,
            knee_start,
        })
    }
}

impl ValidGenericTurbine {
    pub fn turbine(&self) -> &GenericTurbine {
        &self.turbine
    }

    /// The region-II power coefficient used.
    pub fn power_coefficient(&self) -> f64 {
        self.cp
    }

    /// Where the knee starts, m/s (the rated speed where there is none).
    pub fn knee_start(&self) -> f64 {
        self.knee_start
    }

    /// Where the region-II cubic alone would reach the rated power, m/s.
    pub fn v_star(&self) -> f64 {
        self.v_star
    }

    /// Power (W) at `v` (m/s) on the exact curve (not the tabulated one); NaN gives NaN.
    pub fn power_at(&self, v: f64) -> f64 {
        let t = &self.turbine;
        if v.is_nan() {
            return f64::NAN;
        }
        if v < t.cut_in || v > t.cut_out {
            return 0.0;
        }
        if v >= t.rated_speed {
            return t.rated_power;
        }
        let area = std::f64::consts::PI * t.rotor_diameter * t.rotor_diameter / 4.0;
        let k = 0.5 * RHO_STANDARD * area * self.cp;
        let v1 = self.knee_start;
        if v <= v1 {
            return k * v.powi(3);
        }
        // cubic Hermite on [v1, v_r]: value and slope of the cubic at v1, P_r and slope 0
        let h = t.rated_speed - v1;
        let y0 = k * v1.powi(3);
        let mean_slope = (t.rated_power - y0) / h;
        let m0 = (3.0 * k * v1 * v1).min(3.0 * mean_slope) * h;
        let s = (v - v1) / h;
        let (s2, s3) = (s * s, s * s * s);
        (2.0 * s3 - 3.0 * s2 + 1.0) * y0
            + (s3 - 2.0 * s2 + s) * m0
            + (-2.0 * s3 + 3.0 * s2) * t.rated_power
    }

    /// The curve tabulated for the rest of the crate (see the module's notes).
    pub fn power_curve(&self) -> PowerCurve {
        let t = &self.turbine;
        let step = 0.01;
        let mut ws = vec![0.0];
        if t.cut_in - step > 0.0 {
            ws.push(t.cut_in - step);
        }
        let mut speeds = vec![t.cut_in, self.knee_start, t.rated_speed, t.cut_out];
        let first = (t.cut_in * 10.0).floor() as i64 + 1;
        let last = (t.rated_speed * 10.0).ceil() as i64 - 1;
        speeds.extend((first..=last).map(|k| k as f64 / 10.0));
        speeds.retain(|v| *v >= t.cut_in && *v <= t.cut_out);
        speeds.sort_by(f64::total_cmp);
        speeds.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        let mut power = vec![0.0; ws.len()];
        for v in speeds {
            ws.push(v);
            power.push(self.power_at(v));
        }
        ws.push(t.cut_out + step);
        power.push(0.0);
        PowerCurve {
            wind_speed: ws,
            power,
        }
    }
}
