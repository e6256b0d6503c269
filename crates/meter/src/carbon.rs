//! Grid carbon intensity, PUE, embodied emissions and the Software Carbon Intensity.
//!
//! Location-based intensity (gCO2e/kWh) comes from a bundled per-country table (Our World
//! in Data / Ember figures as shipped by CodeCarbon 3.3.2) and a per-cloud-region table;
//! a direct value overrides both. Without any, the world average — the generation-weighted
//! mean of the country table — is used and named as such.
//!
//! SCI (Green Software Foundation, ISO/IEC 21031:2024): `SCI = (E·I + M) / R`, with E the
//! energy in kWh, I the intensity, M the embodied emissions share
//! `M = TE · (TiR / EL) · (RR / ToR)` and R the functional units the task produced.

use serde::{Deserialize, Serialize};

use crate::error::{MeterError, Result};
use crate::tables::{self, CloudRow, CountryRow};

/// Where an intensity figure comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum IntensityBasis {
    /// Given by the user.
    User,
    /// A country of the bundled table.
    Country {
        alpha2: String,
        alpha3: String,
        name: String,
    },
    /// A cloud region of the bundled table.
    CloudRegion { provider: String, region: String },
    /// The generation-weighted mean over the country table.
    WorldAverage,
}

/// A grid carbon intensity with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridIntensity {
    pub g_per_kwh: f64,
    #[serde(flatten)]
    pub basis: IntensityBasis,
    /// The year of the figure, where known.
    pub year: Option<u16>,
    pub source: String,
}

impl GridIntensity {
    /// A user's own figure.
    pub fn user(g_per_kwh: f64) -> Result<GridIntensity> {
        if !(g_per_kwh.is_finite() && g_per_kwh >= 0.0) {
            return Err(MeterError::Setting {
                name: "grid intensity",
                value: g_per_kwh.to_string(),
                reason: "must be a finite number of gCO2e/kWh ≥ 0".into(),
            });
        }
        let most = crate::hourly::MAX_PLAUSIBLE_G_PER_KWH;
        if g_per_kwh > most {
            return Err(MeterError::Setting {
                name: "grid intensity",
                value: g_per_kwh.to_string(),
                reason: format!(
                    "is above {most} gCO2e/kWh, which no grid emits (coal alone about 1,000), as a file's values are held to: lb/MWh (× 0.4536 for g/kWh) or g/MWh (÷ 1000)?"
                ),
            });
        }
        let least = crate::hourly::MIN_PLAUSIBLE_G_PER_KWH;
        if g_per_kwh > 0.0 && g_per_kwh < least {
            return Err(MeterError::Setting {
                name: "grid intensity",
                value: g_per_kwh.to_string(),
                reason: format!(
                    "is below {least} gCO2e/kWh, which no grid is (the cleanest are about 10): give gCO2e/kWh (kgCO2e/kWh × 1000), or 0 for none"
                ),
            });
        }
        Ok(GridIntensity {
            g_per_kwh,
            basis: IntensityBasis::User,
            year: None,
            source: "given by the user".into(),
        })
    }

    /// A country by ISO 3166 alpha-2 or alpha-3 code, any case.
    pub fn country(code: &str) -> Result<GridIntensity> {
        let row = find_country(code)?;
        Ok(GridIntensity {
            g_per_kwh: row.g_per_kwh,
            basis: IntensityBasis::Country {
                alpha2: row.alpha2.clone(),
                alpha3: row.alpha3.clone(),
                name: row.name.clone(),
            },
            year: Some(row.year),
            source: row.source.clone(),
        })
    }

    /// A cloud region, e.g. `aws:eu-west-3`, `gcp:europe-west1` or a bare region name
    /// where it is unique.
    pub fn cloud_region(spec: &str) -> Result<GridIntensity> {
        let row = find_cloud_region(spec)?;
        Ok(GridIntensity {
            g_per_kwh: row.g_per_kwh,
            basis: IntensityBasis::CloudRegion {
                provider: row.provider.clone(),
                region: row.region.clone(),
            },
            year: None,
            source: row.source.clone(),
        })
    }

    /// The generation-weighted world average of the country table.
    pub fn world_average() -> GridIntensity {
        let rows = tables::countries();
        let (num, den) = rows
            .iter()
            .filter(|r| r.total_twh > 0.0)
            .fold((0.0, 0.0), |(n, d), r| {
                (n + r.g_per_kwh * r.total_twh, d + r.total_twh)
            });
        let year = rows.iter().map(|r| r.year).max();
        GridIntensity {
            g_per_kwh: if den > 0.0 { num / den } else { 475.0 },
            basis: IntensityBasis::WorldAverage,
            year,
            source: format!(
                "generation-weighted mean of {} countries (Our World in Data / Ember via CodeCarbon 3.3.2)",
                rows.len()
            ),
        }
    }

    /// A short label: `world average`, `FR 2022`, `aws:eu-west-3`, `user`.
    pub fn label(&self) -> String {
        match &self.basis {
            IntensityBasis::User => "user value".into(),
            IntensityBasis::WorldAverage => "world average".into(),
            IntensityBasis::Country { alpha2, alpha3, .. } => {
                let code = if alpha2.is_empty() { alpha3 } else { alpha2 };
                match self.year {
                    Some(y) => format!("{code} {y}"),
                    None => code.clone(),
                }
            }
            IntensityBasis::CloudRegion { provider, region } => format!("{provider}:{region}"),
        }
    }
}

/// Finds a country by alpha-2 or alpha-3 code.
pub fn find_country(code: &str) -> Result<&'static CountryRow> {
    let c = code.trim().to_ascii_uppercase();
    let rows = tables::countries();
    rows.iter()
        .find(|r| (c.len() == 2 && r.alpha2 == c) || (c.len() == 3 && r.alpha3 == c))
        .ok_or(MeterError::UnknownCountry {
            code: code.to_string(),
            known: rows.len(),
        })
}

/// Finds a cloud region: `provider:region` or a bare region.
pub fn find_cloud_region(spec: &str) -> Result<&'static CloudRow> {
    let spec = spec.trim();
    let (provider, region) = match spec.split_once(':') {
        Some((p, r)) => (Some(p.to_ascii_lowercase()), r),
        None => (None, spec),
    };
    let rows = tables::cloud_regions();
    let hits: Vec<&CloudRow> = rows
        .iter()
        .filter(|r| r.region.eq_ignore_ascii_case(region))
        .filter(|r| provider.as_deref().is_none_or(|p| r.provider == p))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        _ => {
            let known: Vec<String> = rows
                .iter()
                .filter(|r| provider.as_deref().is_none_or(|p| r.provider == p))
                .map(|r| format!("{}:{}", r.provider, r.region))
                .collect();
            Err(MeterError::UnknownCloudRegion {
                region: spec.to_string(),
                provider: if hits.len() > 1 {
                    " (several providers have it: write provider:region)".into()
                } else {
                    String::new()
                },
                known: known.join(", "),
            })
        }
    }
}

/// Embodied emissions of the hardware (SCI's M).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Embodied {
    /// Total embodied emissions of the machine, kgCO2e (TE).
    pub total_kg: f64,
    /// Expected lifetime, years (EL).
    pub lifetime_years: f64,
    /// Share of the machine reserved for the task, 0–1 (RR/ToR).
    pub share: f64,
}

/// The most embodied emissions taken for one machine, kgCO2e.
pub const MOST_EMBODIED_KG: f64 = 50_000.0;

/// The shortest and longest lifetimes taken for a machine, years.
pub const LIFETIME_YEARS: (f64, f64) = (0.5, 20.0);

impl Embodied {
    /// Checks the values.
    pub fn new(total_kg: f64, lifetime_years: f64, share: f64) -> Result<Embodied> {
        let bad = |name, v: f64, reason: &str| MeterError::Setting {
            name,
            value: v.to_string(),
            reason: reason.into(),
        };
        if !(total_kg.is_finite() && total_kg >= 0.0) {
            return Err(bad("embodied emissions", total_kg, "must be kgCO2e ≥ 0"));
        }
        // one machine's manufacture: a laptop a few hundred kg, a large GPU server a few
        // tonnes; 1,000 t is grams given as kg
        if total_kg > MOST_EMBODIED_KG {
            return Err(bad(
                "embodied emissions",
                total_kg,
                &format!(
                    "is more than {MOST_EMBODIED_KG} kgCO2e, more than any one machine's manufacture (a large GPU server's is a few tonnes): grams given as kg? Give kgCO2e"
                ),
            ));
        }
        if !(lifetime_years.is_finite() && lifetime_years > 0.0) {
            return Err(bad("lifetime", lifetime_years, "must be years > 0"));
        }
        if !(LIFETIME_YEARS.0..=LIFETIME_YEARS.1).contains(&lifetime_years) {
            return Err(bad(
                "lifetime",
                lifetime_years,
                &format!(
                    "is outside {}–{} years, the life of a machine (3–6 for servers, 4–8 for laptops): months given as years (48 for 4)?",
                    LIFETIME_YEARS.0, LIFETIME_YEARS.1
                ),
            ));
        }
        if !(share.is_finite() && share > 0.0 && share <= 1.0) {
            return Err(bad("machine share", share, "must be in (0, 1]"));
        }
        Ok(Embodied {
            total_kg,
            lifetime_years,
            share,
        })
    }

    /// Grams of CO2e for a task that reserved the machine for `seconds`.
    pub fn grams_for(&self, seconds: f64) -> f64 {
        const YEAR_S: f64 = 365.25 * 24.0 * 3600.0;
        self.total_kg * 1000.0 * (seconds / (self.lifetime_years * YEAR_S)) * self.share
    }
}

/// Checks a PUE value.
pub fn check_pue(pue: f64) -> Result<f64> {
    if pue.is_finite() && (1.0..=5.0).contains(&pue) {
        Ok(pue)
    } else {
        Err(MeterError::Setting {
            name: "PUE",
            value: pue.to_string(),
            reason: "must be between 1.0 and 5.0".into(),
        })
    }
}

/// Grams of CO2e of `joules` at `g_per_kwh`.
pub fn grams(joules: f64, g_per_kwh: f64) -> f64 {
    joules / 3.6e6 * g_per_kwh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_conversions() {
        // (joules, g/kWh) -> grams
        for (j, i, g) in [
            (3.6e6, 475.0, 475.0),
            (3600.0, 1000.0, 1.0),
            (0.0, 300.0, 0.0),
        ] {
            assert!((grams(j, i) - g).abs() < 1e-12, "{j} J @ {i}");
        }
    }

    #[test]
    fn embodied_share() {
        // 1000 kg over 4 years, whole machine, for one year: 250 kg.
        let e = Embodied::new(1000.0, 4.0, 1.0).unwrap();
        assert!((e.grams_for(365.25 * 86400.0) - 250_000.0).abs() < 1e-6);
        let half = Embodied::new(1000.0, 4.0, 0.5).unwrap();
        assert!((half.grams_for(3600.0) * 2.0 - e.grams_for(3600.0)).abs() < 1e-9);
        assert!(Embodied::new(1.0, 0.0, 1.0).is_err());
        assert!(Embodied::new(1.0, 4.0, 1.5).is_err());
    }

    #[test]
    fn pue_range() {
        assert!(check_pue(1.0).is_ok());
        assert!(check_pue(1.58).is_ok());
        assert!(check_pue(0.9).is_err());
        assert!(check_pue(f64::NAN).is_err());
    }
}
