//! Clear-sky irradiance over a time range.

use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::DateTime;
use terrawatt_meter::Span;

use crate::SolarError;
use crate::irradiance as irr;
use crate::spa::{self, Site};
use crate::system::day_of_year_utc;
use crate::tasks::{Instants, cell};

/// The clear-sky model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Ineichen–Perez with a Linke turbidity.
    Ineichen,
    /// Haurwitz: GHI only.
    Haurwitz,
    /// Simplified Solis with an aerosol optical depth and precipitable water.
    Solis,
}

/// The Linke turbidities taken.
pub const LINKE: std::ops::RangeInclusive<f64> = 1.0..=10.0;

/// The Linke turbidity of the Ineichen model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Linke {
    Constant(f64),
    /// Twelve monthly values, interpolated by day of year.
    Monthly([f64; 12]),
}

impl Linke {
    /// The values as given (one or twelve).
    pub fn values(&self) -> Vec<f64> {
        match self {
            Linke::Constant(v) => vec![*v],
            Linke::Monthly(m) => m.to_vec(),
        }
    }
}

/// Clear-sky irradiance at a site.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The site; its pressure is replaced by the standard atmosphere's at its elevation.
    pub site: Site,
    pub model: Model,
    pub linke: Linke,
    pub aod700: f64,
    /// cm.
    pub precipitable_water: f64,
    pub instants: Instants,
    pub out: PathBuf,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Report {
    pub instants: Instants,
    pub out: PathBuf,
}

impl Report {
    /// The summary the command prints.
    pub fn text(&self) -> String {
        format!(
            "{} clear-sky values written to {}\n",
            self.instants.n,
            self.out.display()
        )
    }
}

/// Computes (phase `compute`) and writes (phase `write`) the CSV `time,ghi,dni,dhi`.
pub fn run(s: &Settings, span: &mut Span) -> Result<Report, SolarError> {
    // a Linke turbidity is the atmosphere's in clean dry air's: 1 at the least (2 over
    // mountains, 3–4 in cities, 7 in haze); under 1, Ineichen's diffuse turns negative
    if let Some(v) = s.linke.values().into_iter().find(|v| !LINKE.contains(v)) {
        return Err(SolarError::setting(
            "linke",
            format!(
                "--linke {v}: a Linke turbidity lies within {}–{} (2 over mountains, 3–4 over cities, 7 in haze); under 1 the clear sky's diffuse is negative",
                LINKE.start(),
                LINKE.end()
            ),
        ));
    }
    // the standard atmosphere's pressure at the elevation (Pa)
    let elevation = s.site.elevation;
    let pressure = 100.0 * ((44_331.514 - elevation) / 11_880.516).powf(1.0 / 0.190_263_2);
    let site = Site {
        pressure: pressure / 100.0,
        ..s.site
    };
    let inst = &s.instants;
    let times: Vec<f64> = (0..inst.n).map(|i| inst.at(i) as f64).collect();
    let rows = span.phase("compute", |_| {
        let pos = spa::positions(&times, &[site], 67.0).remove(0);
        times
            .iter()
            .zip(&pos)
            .map(|(t, p)| value(s, *t, p, pressure))
            .collect::<Vec<_>>()
    });
    let mut csv = String::from("time,ghi,dni,dhi\n");
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{},{},{},{}",
            inst.label(i as i64),
            cell(r.ghi),
            cell(r.dni),
            cell(r.dhi)
        );
    }
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&s.out, csv.as_bytes())
    })
    .map_err(|e| SolarError::Write {
        path: s.out.clone(),
        source: e,
    })?;
    Ok(Report {
        instants: s.instants,
        out: s.out.clone(),
    })
}

fn value(s: &Settings, t: f64, p: &spa::Position, pressure: f64) -> irr::ClearSky {
    let doy = day_of_year_utc(t);
    let e0 = irr::extra_spencer(doy);
    match s.model {
        Model::Haurwitz => irr::ClearSky {
            ghi: irr::haurwitz(p.apparent_zenith),
            dni: f64::NAN,
            dhi: f64::NAN,
        },
        Model::Solis => irr::simplified_solis(
            p.apparent_elevation,
            s.aod700,
            s.precipitable_water,
            pressure,
            e0,
        ),
        Model::Ineichen => {
            let year = DateTime::from_timestamp(t as i64, 0).expect("in range");
            let leap =
                chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&year), 2, 29).is_some();
            let lt = match s.linke {
                Linke::Constant(v) => v,
                Linke::Monthly(m) => irr::linke_monthly(&m, doy, leap),
            };
            let am = irr::airmass_absolute(
                irr::airmass_relative(p.apparent_zenith, irr::AirmassModel::KastenYoung1989),
                pressure,
            );
            irr::ineichen(p.apparent_zenith, am, lt, s.site.elevation, e0)
        }
    }
}
