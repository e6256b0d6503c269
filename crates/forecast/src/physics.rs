//! Physics for forecasting. A PV site: the Sun's elevation and the clear-sky irradiance on
//! the array's plane (Ineichen–Perez clear sky with a Linke turbidity, isotropic sky diffuse,
//! ground reflection), at the centre of each interval. A wind site: a measured or forecast
//! wind speed brought to hub height by the logarithmic profile and put through the turbine's
//! power curve.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use terrawatt_solar::irradiance::{self as irr, AirmassModel};
use terrawatt_solar::spa::{self, Site};
use terrawatt_wind::profile;
use terrawatt_wind::turbine::PowerCurve;

/// A wind turbine (or a farm's aggregated curve) for the wind features: wind speed given at
/// `measurement_height` (m) brought to `hub_height` by the logarithmic profile (roughness
/// length and obstacle height in m), through `curve` (W against m/s) as a fraction of
/// `nominal` (W).
#[derive(Debug, Clone, PartialEq)]
pub struct WindSite {
    pub curve: PowerCurve,
    pub nominal: f64,
    pub measurement_height: f64,
    pub hub_height: f64,
    pub roughness_length: f64,
    pub obstacle_height: f64,
}

impl WindSite {
    pub fn check(&self) -> crate::Result<()> {
        if self.nominal.is_nan() || self.nominal <= 0.0 {
            return Err(crate::ForecastError::Setting(format!(
                "nominal power {} W is not positive",
                self.nominal
            )));
        }
        if [self.hub_height, self.measurement_height]
            .iter()
            .any(|h| h.is_nan() || *h <= 0.0)
        {
            return Err(crate::ForecastError::Setting(
                "hub and measurement heights must be positive".into(),
            ));
        }
        let most = terrawatt_wind::farm::MOST_HUB;
        if self.hub_height > most {
            return Err(crate::ForecastError::Setting(format!(
                "--hub-height {} m: above {most} m, where no turbine's hub stands (feet? 1 ft = 0.3048 m)",
                self.hub_height
            )));
        }
        if self.roughness_length.is_nan() || self.roughness_length <= 0.0 {
            return Err(crate::ForecastError::Setting(format!(
                "roughness length {} m is not positive",
                self.roughness_length
            )));
        }
        let d = 0.7 * self.obstacle_height;
        let low = self.measurement_height.min(self.hub_height);
        if self.obstacle_height.is_nan()
            || self.obstacle_height < 0.0
            || low - d <= self.roughness_length
        {
            return Err(crate::ForecastError::Setting(format!(
                "the obstacle height {} m leaves no log profile below {low} m \
                 (0.7 × obstacle height + roughness length must stay under it)",
                self.obstacle_height
            )));
        }
        Ok(())
    }

    /// Wind speeds at hub height (NaN stays NaN).
    pub fn hub_wind(&self, v: &[f64]) -> Vec<f64> {
        v.iter()
            .map(|&v| {
                profile::logarithmic(
                    v,
                    self.measurement_height,
                    self.hub_height,
                    self.roughness_length,
                    self.obstacle_height,
                )
            })
            .collect()
    }

    /// The power curve's output at each hub wind speed as a fraction of the nominal power.
    pub fn curve_fraction(&self, v_hub: &[f64]) -> Vec<f64> {
        v_hub
            .iter()
            .map(|&v| self.curve.power_at(v) / self.nominal)
            .collect()
    }
}

/// A fixed PV array: site (°, m), tilt and azimuth (°, azimuth clockwise from north), ground
/// albedo and the Linke turbidity of its clear sky.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PvSite {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub elevation: f64,
    pub tilt: f64,
    pub azimuth: f64,
    #[serde(default = "default_albedo")]
    pub albedo: f64,
    #[serde(default = "default_linke")]
    pub linke: f64,
}

fn default_albedo() -> f64 {
    0.2
}

/// A moderately clear continental sky; the forecast learns the site's own departure from it.
fn default_linke() -> f64 {
    3.0
}

impl PvSite {
    pub fn check(&self) -> crate::Result<()> {
        Site::new(self.latitude, self.longitude)
            .check()
            .map_err(|e| crate::ForecastError::Setting(e.to_string()))?;
        if !(0.0..=90.0).contains(&self.tilt) {
            return Err(crate::ForecastError::Setting(format!(
                "tilt {} is outside 0..90°",
                self.tilt
            )));
        }
        if !(0.0..=360.0).contains(&self.azimuth) {
            return Err(crate::ForecastError::Setting(format!(
                "azimuth {} is outside 0..360°",
                self.azimuth
            )));
        }
        use std::f64::consts::{FRAC_PI_2, TAU};
        use terrawatt_solar::system::reads_as_radians;
        for (name, v, limit) in [
            ("tilt", self.tilt, FRAC_PI_2),
            ("azimuth", self.azimuth, TAU),
        ] {
            if reads_as_radians(v, limit) {
                return Err(crate::ForecastError::Setting(format!(
                    "{name} {v} reads as {v}°: is it in radians ({:.1}°)? Angles are in degrees; give a whole number of degrees",
                    v.to_degrees()
                )));
            }
        }
        if !(0.0..=1.0).contains(&self.albedo) {
            return Err(crate::ForecastError::Setting(format!(
                "albedo {} is outside 0..1",
                self.albedo
            )));
        }
        if !(1.0..=10.0).contains(&self.linke) {
            return Err(crate::ForecastError::Setting(format!(
                "Linke turbidity {} is outside 1..10",
                self.linke
            )));
        }
        Ok(())
    }
}

/// Per instant: the Sun's apparent elevation (°) and the clear-sky plane-of-array irradiance
/// (W/m², 0 with the Sun down).
#[derive(Debug, Clone, Default)]
pub struct ClearSky {
    pub elevation: Vec<f64>,
    pub poa: Vec<f64>,
}

/// Standard-atmosphere pressure (Pa) at an altitude (m).
fn pressure_at(altitude: f64) -> f64 {
    101_325.0 * (1.0 - 2.25577e-5 * altitude).powf(5.25588)
}

/// The clear sky at each instant of `times` (Unix seconds), ΔT 69 s.
pub fn clear_sky(site: &PvSite, times: &[i64]) -> ClearSky {
    let pressure = pressure_at(site.elevation);
    let spa_site = Site {
        elevation: site.elevation,
        pressure: pressure / 100.0,
        ..Site::new(site.latitude, site.longitude)
    };
    let (elevation, poa): (Vec<f64>, Vec<f64>) = times
        .par_iter()
        .map(|&t| {
            let p = spa::position(&spa::time_terms(t as f64, 69.0), &spa_site);
            let z = p.apparent_zenith;
            if z >= 90.0 {
                return (p.apparent_elevation, 0.0);
            }
            let doy = terrawatt_solar::system::day_of_year_utc(t as f64);
            let e0 = irr::extra_spencer(doy);
            let am = irr::airmass_absolute(
                irr::airmass_relative(z, AirmassModel::KastenYoung1989),
                pressure,
            );
            let cs = irr::ineichen(z, am, site.linke, site.elevation, e0);
            let aoi = irr::aoi(site.tilt, site.azimuth, z, p.azimuth);
            let g = irr::poa(
                aoi,
                cs.dni,
                irr::isotropic(site.tilt, cs.dhi),
                irr::ground_diffuse(site.tilt, cs.ghi, site.albedo),
            );
            (
                p.apparent_elevation,
                if g.global.is_nan() { 0.0 } else { g.global },
            )
        })
        .unzip();
    ClearSky { elevation, poa }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_sky_is_zero_at_night_and_peaks_near_noon() {
        let site = PvSite {
            latitude: 39.7406,
            longitude: -105.1775,
            elevation: 1730.0,
            tilt: 45.0,
            azimuth: 158.0,
            albedo: 0.2,
            linke: 3.0,
        };
        // 2012-06-21 at 00:00, 12:00 and 23:00 local standard time (UTC−7)
        let day = 1_340_236_800 + 7 * 3600;
        let cs = clear_sky(&site, &[day, day + 12 * 3600, day + 23 * 3600]);
        assert_eq!(cs.poa[0], 0.0);
        assert_eq!(cs.poa[2], 0.0);
        assert!(cs.poa[1] > 800.0 && cs.poa[1] < 1200.0, "{}", cs.poa[1]);
        assert!(cs.elevation[1] > 60.0);
    }

    /// A site's tilt or azimuth in radians (30° as 0.5236, south as π) is refused.
    #[test]
    fn angles_in_radians_are_refused() {
        let site = crate::sample::SITE;
        assert!(site.check().is_ok());
        for (tilt, azimuth, name) in [
            (30f64.to_radians(), 180.0, "tilt"),
            (30.0, 180f64.to_radians(), "azimuth"),
        ] {
            let e = PvSite {
                tilt,
                azimuth,
                ..site
            }
            .check()
            .unwrap_err()
            .to_string();
            assert!(
                e.contains(&format!("{name} ")) && e.contains("in radians"),
                "{e}"
            );
        }
    }
}
