//! Single-axis trackers: the ideal rotation and backtracking (Lorenzo et al. 2011; Anderson &
//! Mikofski 2020 without cross-axis slope), the surface orientation a rotation gives
//! (Marion & Dobos 2013).

use serde::{Deserialize, Serialize};

fn cosd(x: f64) -> f64 {
    x.to_radians().cos()
}
fn sind(x: f64) -> f64 {
    x.to_radians().sin()
}

/// A horizontal or tilted single-axis tracker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tracker {
    /// Tilt of the axis from horizontal (°) and its azimuth (°, e.g. 180: a north–south axis).
    pub axis_tilt: f64,
    pub axis_azimuth: f64,
    /// Largest rotation from horizontal either way (°).
    pub max_angle: f64,
    pub backtrack: bool,
    /// Ground coverage ratio: module width / row pitch.
    pub gcr: f64,
}

/// The tracker's state at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackerState {
    pub theta: f64,
    pub surface_tilt: f64,
    pub surface_azimuth: f64,
    pub aoi: f64,
}

/// Surface tilt and azimuth of a tracker rotated by `theta` (°).
pub fn surface_orientation(theta: f64, axis_tilt: f64, axis_azimuth: f64) -> (f64, f64) {
    let tilt = (cosd(theta) * cosd(axis_tilt))
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees();
    let mut delta = (sind(theta) / sind(tilt))
        .clamp(-1.0, 1.0)
        .asin()
        .to_degrees();
    if theta.abs() >= 90.0 {
        delta = -delta + theta.signum() * 180.0;
    }
    if sind(tilt) == 0.0 {
        delta = 90.0;
    }
    (tilt, (axis_azimuth + delta).rem_euclid(360.0))
}

impl Tracker {
    /// The rotation and orientation for the Sun at (apparent zenith, azimuth); all NaN with
    /// the Sun below the horizon.
    pub fn state(&self, zenith: f64, azimuth: f64) -> TrackerState {
        let nan = TrackerState {
            theta: f64::NAN,
            surface_tilt: f64::NAN,
            surface_azimuth: f64::NAN,
            aoi: f64::NAN,
        };
        if zenith.is_nan() || zenith > 90.0 || azimuth.is_nan() {
            return nan;
        }
        // the Sun in the tracker's frame: y along the axis, x horizontal to its right
        let (x, y, z) = (
            sind(zenith) * sind(azimuth),
            sind(zenith) * cosd(azimuth),
            cosd(zenith),
        );
        let (ca, sa, ct, st) = (
            cosd(self.axis_azimuth),
            sind(self.axis_azimuth),
            cosd(self.axis_tilt),
            sind(self.axis_tilt),
        );
        let xp = x * ca - y * sa;
        let zp = x * st * sa + y * st * ca + z * ct;
        let ideal = xp.atan2(zp).to_degrees();
        let mut theta = ideal;
        if self.backtrack {
            let temp = (cosd(ideal) / self.gcr).abs();
            if temp < 1.0 {
                theta = ideal - ideal.signum() * temp.acos().to_degrees();
            }
        }
        theta = theta.clamp(-self.max_angle, self.max_angle);
        let (surface_tilt, surface_azimuth) =
            surface_orientation(theta, self.axis_tilt, self.axis_azimuth);
        TrackerState {
            theta,
            surface_tilt,
            surface_azimuth,
            aoi: crate::irradiance::aoi(surface_tilt, surface_azimuth, zenith, azimuth),
        }
    }
}
