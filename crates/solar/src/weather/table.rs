//! Weather tables (CSV, Parquet; through terrawatt-table): time stamps with offsets, or
//! naive with a zone, or Year/Month/Day/Hour(/Minute) columns with a zone; columns by
//! name; NaN kept.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use terrawatt_table::Table;
use terrawatt_table::time::{Stamp, parse_stamp};

use crate::SolarError;
use crate::weather::{Label, Weather};

/// The columns a weather table can hold and the names looked for by default.
pub const TABLE_COLUMNS: [(&str, &[&str]); 8] = [
    ("ghi", &["ghi", "GHI", "G(h)"]),
    ("dni", &["dni", "DNI", "Gb(n)"]),
    ("dhi", &["dhi", "DHI", "Gd(h)"]),
    (
        "temp_air",
        &["temp_air", "Temperature", "T2m", "temperature"],
    ),
    ("wind_speed", &["wind_speed", "Wind Speed", "WS10m"]),
    ("pressure", &["pressure", "Pressure", "SP"]),
    ("temp_dew", &["temp_dew", "Dew Point", "dewpoint"]),
    ("albedo", &["albedo", "Surface Albedo", "Alb"]),
];

/// How a weather table is read.
#[derive(Debug, Clone)]
pub struct TableSettings {
    pub path: PathBuf,
    /// The zone of naive stamps (and of Year/Month/Day/Hour columns).
    pub zone: Option<Tz>,
    /// What the stamps mark within their interval.
    pub label: Label,
    /// Columns named by the user, each `NAME=COLUMN` (NAME one of [`TABLE_COLUMNS`]'),
    /// as `--column` takes them.
    pub columns: Vec<String>,
    /// The site; a table does not say where it is (NaN when not given).
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// m; 0 when not given.
    pub elevation: Option<f64>,
}

fn bad(path: &Path, key: &str, message: String) -> SolarError {
    SolarError::File {
        path: path.to_path_buf(),
        key: key.into(),
        message,
    }
}

impl Weather {
    /// Reads a weather table; the values are screened ([`Weather::screen`]).
    pub fn from_table(s: &TableSettings) -> Result<Weather, SolarError> {
        let path = &s.path;
        let table = Table::read(path)?;
        let names = table.column_names();
        let mut cols = columns(s, &table, &names)?;
        let n = table.n_rows();
        let stamps = stamps(s, &table, &names)?;
        let interval = regular_step(path, &table, &stamps)?;
        let mut pressure = cols.remove("pressure").unwrap_or_else(|| vec![f64::NAN; n]);
        // hPa (mbar) when the values are those of hPa
        let mut sorted: Vec<f64> = pressure.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        if sorted.get(sorted.len() / 2).is_some_and(|m| *m < 2000.0) {
            pressure.iter_mut().for_each(|v| *v *= 100.0);
        }
        let mut w = Weather {
            path: path.clone(),
            format: "table".into(),
            name: path
                .file_name()
                .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
            latitude: s.latitude.unwrap_or(f64::NAN),
            longitude: s.longitude.unwrap_or(f64::NAN),
            altitude: s.elevation.unwrap_or(0.0),
            offset: stamps[0].offset,
            times: stamps
                .iter()
                .map(|st| s.label.start_of(st.t, interval))
                .collect(),
            interval,
            label: s.label,
            ghi: cols.remove("ghi").expect("required"),
            dni: cols.remove("dni").expect("required"),
            dhi: cols.remove("dhi").expect("required"),
            temp_air: cols.remove("temp_air").expect("required"),
            wind_speed: cols.remove("wind_speed").unwrap_or_else(|| vec![1.0; n]),
            pressure,
            temp_dew: cols.remove("temp_dew").unwrap_or_else(|| vec![f64::NAN; n]),
            albedo: cols.remove("albedo").unwrap_or_default(),
            missing: Vec::new(),
            screened: Vec::new(),
        };
        w.screen()?;
        Ok(w)
    }
}

/// Refuses a column whose name states a unit the reader would misread as its own (W/m²,
/// °C, m/s): an energy for irradiance (`GHI (Wh/m2)`), °F for a temperature, km/h, knots
/// or mph for a wind speed.
fn refuse_named_unit(path: &Path, key: &str, column: &str) -> Result<(), SolarError> {
    use terrawatt_table::screen::{NamedUnit, unit_named};
    let Some(unit) = unit_named(column) else {
        return Ok(());
    };
    let (wrong, read) = match key {
        "ghi" | "dni" | "dhi" => (unit.is_energy(), "W/m² (a mean power over the interval)"),
        "temp_air" | "temp_dew" => (unit == NamedUnit::Fahrenheit, "°C"),
        "wind_speed" => (unit.is_speed(), "m/s"),
        _ => (false, ""),
    };
    if !wrong {
        return Ok(());
    }
    Err(bad(
        path,
        key,
        format!(
            "column '{column}' ({key}): its name states {}, and {key} is read as {read}: convert the column (Wh/m² over an interval of m minutes × 60/m; J/m² over an hour ÷ 3,600; °F − 32 × 5/9; km/h ÷ 3.6, knots × 0.514, mph × 0.447), or rename it if its name is wrong",
            unit.name()
        ),
    ))
}

/// The value columns, by the user's names or the defaults.
fn columns(
    s: &TableSettings,
    table: &Table,
    names: &[String],
) -> Result<HashMap<&'static str, Vec<f64>>, SolarError> {
    let mut map: HashMap<&str, &str> = HashMap::new();
    for m in &s.columns {
        let (k, v) = m.split_once('=').ok_or_else(|| {
            SolarError::setting("column", format!("--column '{m}': expected NAME=COLUMN"))
        })?;
        if !TABLE_COLUMNS.iter().any(|(n, _)| *n == k) {
            return Err(SolarError::setting(
                "column",
                format!(
                    "--column '{m}': {k} is not one of ghi, dni, dhi, temp_air, wind_speed, pressure, temp_dew, albedo"
                ),
            ));
        }
        map.insert(k, v);
    }
    let mut cols = HashMap::new();
    for (key, defaults) in TABLE_COLUMNS {
        let name = map.get(key).map(|v| v.to_string()).or_else(|| {
            defaults
                .iter()
                .find(|d| names.iter().any(|n| n == *d))
                .map(|d| d.to_string())
        });
        match name {
            Some(n) => {
                refuse_named_unit(&s.path, key, &n)?;
                cols.insert(key, table.numeric(&n)?.0);
            }
            None if ["ghi", "dni", "dhi", "temp_air"].contains(&key) => {
                return Err(bad(
                    &s.path,
                    key,
                    format!(
                        "no {key} column (looked for {}; map one with --column {key}=NAME); columns: {}",
                        defaults.join(", "),
                        names.join(", ")
                    ),
                ));
            }
            None => {}
        }
    }
    Ok(cols)
}

/// The rows' time stamps: a `time` column, or Year/Month/Day/Hour(/Minute) in a zone.
fn stamps(s: &TableSettings, table: &Table, names: &[String]) -> Result<Vec<Stamp>, SolarError> {
    let path = &s.path;
    let n = table.n_rows();
    if names.iter().any(|c| c == "time") {
        // text with offsets, or a Parquet datetime column (with its zone, or naive in --tz)
        if table.datetimes("time")?.is_some() {
            let stamps = terrawatt_table::time::read_stamps(table, "time", s.zone)?;
            return stamps
                .into_iter()
                .enumerate()
                .map(|(row, t)| {
                    t.ok_or_else(|| {
                        bad(
                            path,
                            "time",
                            format!("column 'time', {}: no time stamp", table.place(row)),
                        )
                    })
                })
                .collect();
        }
        let text = table.strings("time")?;
        return text
            .iter()
            .enumerate()
            .map(|(row, t)| {
                parse_stamp(t, s.zone).map_err(|e| {
                    bad(
                        path,
                        "time",
                        format!("column 'time', {}: {e}", table.place(row)),
                    )
                })
            })
            .collect();
    }
    if !["Year", "Month", "Day", "Hour"]
        .iter()
        .all(|c| names.iter().any(|n| n == c))
    {
        return Err(bad(
            path,
            "time",
            format!(
                "no 'time' column and no Year, Month, Day, Hour columns; columns: {}",
                names.join(", ")
            ),
        ));
    }
    let get = |c: &str| table.numeric(c).map(|v| v.0);
    let (y, mo, d, h) = (get("Year")?, get("Month")?, get("Day")?, get("Hour")?);
    let mi = if names.iter().any(|c| c == "Minute") {
        get("Minute")?
    } else {
        vec![0.0; n]
    };
    let Some(z) = s.zone else {
        return Err(bad(
            path,
            "Year",
            "Year/Month/Day/Hour columns carry no UTC offset; name the zone with --tz (e.g. --tz Etc/GMT+7 for local standard time UTC−7)".into(),
        ));
    };
    (0..n)
        .map(|r| {
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:00",
                y[r] as i64, mo[r] as i64, d[r] as i64, h[r] as i64, mi[r] as i64
            );
            parse_stamp(&text, Some(z))
                .map_err(|e| bad(path, "Year", format!("{}: {e}", table.place(r))))
        })
        .collect()
}

/// The time step: stamps increasing, at least two, a regular step.
fn regular_step(path: &Path, table: &Table, stamps: &[Stamp]) -> Result<i64, SolarError> {
    for (r, w) in stamps.windows(2).enumerate() {
        if w[1].t == w[0].t {
            return Err(bad(
                path,
                "time",
                format!(
                    "duplicate time {} at {} and {}",
                    w[1].rfc3339(),
                    table.place(r),
                    table.place(r + 1)
                ),
            ));
        }
        if w[1].t < w[0].t {
            return Err(bad(
                path,
                "time",
                format!(
                    "times out of order: {} at {} after {}",
                    w[1].rfc3339(),
                    table.place(r + 1),
                    w[0].rfc3339()
                ),
            ));
        }
    }
    if stamps.len() < 2 {
        return Err(bad(path, "", "fewer than two rows".into()));
    }
    let interval = stamps[1].t - stamps[0].t;
    if let Some((r, _)) = stamps
        .windows(2)
        .enumerate()
        .find(|(_, w)| w[1].t - w[0].t != interval)
    {
        return Err(bad(
            path,
            "time",
            format!(
                "the time step changes at {} ({} s, then {} s); a weather series needs a regular step",
                table.place(r + 1),
                interval,
                stamps[r + 1].t - stamps[r].t
            ),
        ));
    }
    Ok(interval)
}
