//! Weather files for PV simulation: hourly (or sub-hourly) irradiance, temperature, wind
//! and pressure with explicit interval labelling. Every record keeps the interval it
//! describes: `times` are interval starts (Unix seconds), `interval` its length, and
//! `label` says what the file's own time stamps meant, so nothing is silently shifted.
//! Missing values are NaN (a format's missing-value codes are turned into NaN and counted).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SolarError;

mod table;
pub use table::{TABLE_COLUMNS, TableSettings};

/// What a file's time stamp marks within its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Start,
    End,
    Centre,
}

impl Label {
    /// `start` (or `left`), `end` (or `right`), `centre` (or `center`, `middle`).
    pub fn parse(s: &str) -> Option<Label> {
        match s {
            "start" | "left" => Some(Label::Start),
            "end" | "right" => Some(Label::End),
            "centre" | "center" | "middle" => Some(Label::Centre),
            _ => None,
        }
    }

    /// The interval start of a stamp `t` for intervals of `len` seconds.
    pub fn start_of(self, t: i64, len: i64) -> i64 {
        match self {
            Label::Start => t,
            Label::End => t - len,
            Label::Centre => t - len / 2,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Label::Start => "start",
            Label::End => "end",
            Label::Centre => "centre",
        })
    }
}

/// The median of values (NaN if none).
fn median_of(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn invalid(path: &Path, message: impl Into<String>) -> SolarError {
    SolarError::File {
        path: path.to_path_buf(),
        key: String::new(),
        message: message.into(),
    }
}

/// A weather series and its site.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Weather {
    pub path: PathBuf,
    pub format: String,
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    pub altitude: f64,
    /// UTC offset of the file's clock (s east).
    pub offset: i32,
    /// Interval starts (Unix seconds) and the interval length (s).
    pub times: Vec<i64>,
    pub interval: i64,
    /// What the file's stamps marked.
    pub label: Label,
    pub ghi: Vec<f64>,
    pub dni: Vec<f64>,
    pub dhi: Vec<f64>,
    /// °C, m/s, Pa, °C.
    pub temp_air: Vec<f64>,
    pub wind_speed: Vec<f64>,
    pub pressure: Vec<f64>,
    pub temp_dew: Vec<f64>,
    /// The ground's albedo (0–1) where the file gives one (TMY3's `Alb`, EPW's field 33,
    /// PSM3's `Surface Albedo`, a table's `albedo`); NaN elsewhere, and where the value is 0
    /// or outside 0–1 (TMY3 files carry 0 where it was not measured).
    pub albedo: Vec<f64>,
    /// Values read as missing (format codes or empty), per column name.
    pub missing: Vec<(String, usize)>,
    /// Values set to missing by [`Weather::screen`]: (column, count, the rule).
    pub screened: Vec<(String, usize, String)>,
}

/// The warmest median of a year of air temperatures (°C) a weather file may have: the
/// hottest inhabited places' annual means are 29–30 °C.
pub const WARMEST_MEDIAN_C: f64 = 31.0;

impl Weather {
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Fills runs of at most `max_gap` missing values that have a value on both sides, by
    /// linear interpolation in time, in every weather column; longer runs and runs at either
    /// end stay missing. Returns, per column with missing values, (name, filled, left).
    pub fn fill_gaps(&mut self, max_gap: usize) -> Vec<(String, usize, usize)> {
        let mut report = Vec::new();
        for (name, col) in [
            ("ghi", &mut self.ghi),
            ("dni", &mut self.dni),
            ("dhi", &mut self.dhi),
            ("temp_air", &mut self.temp_air),
            ("wind_speed", &mut self.wind_speed),
            ("pressure", &mut self.pressure),
            ("temp_dew", &mut self.temp_dew),
        ] {
            let missing = col.iter().filter(|v| v.is_nan()).count();
            // a column absent from the file is all NaN: nothing to fill from
            if missing == 0 || missing == col.len() {
                continue;
            }
            let filled = fill_linear(col, max_gap);
            report.push((name.to_string(), filled, missing - filled));
        }
        report
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Sets to missing (NaN) and counts what no instrument can read: non-finite values,
    /// the codes −999, −9999, 9999 and 99999 where outside the variable's range (99999 Pa
    /// is a real pressure), irradiance below −10 W/m² (a small
    /// negative night-time offset is kept, as pvlib keeps it) or above 1,500 W/m² (above the
    /// solar constant), air and dew-point temperatures outside −90…+70 °C, wind speeds below
    /// 0 or above 113 m/s, pressures outside 30–110 kPa. Every reader applies it.
    ///
    /// A column in another unit is refused rather than screened value by value: more than
    /// half its values outside the range; temperatures above 60 °C (no air is that warm)
    /// in more than 1 % of the values (°F or K); irradiance whose largest value over a
    /// month or more outside the polar circles is at most 5 W/m² (kW/m² or MJ/m² an hour).
    pub fn screen(&mut self) -> Result<(), SolarError> {
        self.screen_albedo();
        let polar = self.latitude.abs() > 66.5;
        let month = self.times.len() as i64 * self.interval >= 30 * 86_400;
        let path = self.path.clone();
        let sentinel = |v: f64| matches!(v, -999.0 | -9999.0 | 9999.0 | 99999.0);
        type Rule = (f64, f64, &'static str);
        let irr: Rule = (-10.0, 1500.0, "irradiance outside −10…1500 W/m²");
        let temp: Rule = (-90.0, 70.0, "temperature outside −90…+70 °C");
        let rules: [(&str, &mut Vec<f64>, Rule); 7] = [
            ("ghi", &mut self.ghi, irr),
            ("dni", &mut self.dni, irr),
            ("dhi", &mut self.dhi, irr),
            ("temp_air", &mut self.temp_air, temp),
            ("temp_dew", &mut self.temp_dew, temp),
            (
                "wind_speed",
                &mut self.wind_speed,
                (0.0, 113.0, "wind speed outside 0…113 m/s"),
            ),
            (
                "pressure",
                &mut self.pressure,
                (30_000.0, 110_000.0, "pressure outside 30–110 kPa"),
            ),
        ];
        for (name, col, (lo, hi, rule)) in rules {
            let read: Vec<f64> = col
                .iter()
                .copied()
                .filter(|v| v.is_finite() && !sentinel(*v))
                .collect();
            let refuse = |message: String| {
                Err(SolarError::File {
                    path: path.clone(),
                    key: name.to_string(),
                    message: format!("{name}: {message}"),
                })
            };
            let outside = read.iter().filter(|v| **v < lo || **v > hi).count();
            let median = median_of(&read);
            let hot = read.iter().filter(|v| **v > 60.0).count();
            let largest = read.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if lo == -90.0 && hot >= 10 && hot * 100 > read.len() {
                let unit = if median > 183.0 {
                    "K (°C = K − 273.15)"
                } else {
                    "°F (°C = (°F − 32) × 5/9)"
                };
                return refuse(format!(
                    "{hot} of its {} values are above 60 °C (up to {largest}), which no air reaches: they read as {unit}; °C expected",
                    read.len()
                ));
            }
            if outside * 2 > read.len() {
                return refuse(format!(
                    "{outside} of its {} values are {rule} (median {median}): another unit?",
                    read.len()
                ));
            }
            // a year whose median air temperature is above 31 °C: no inhabited place's is (the hottest
            // towns' annual means are 29–30 °C), but a cool site's °F is (Sand Point,
            // Alaska, 40 °F, under 60 °F nearly all year, so the check above misses it)
            let year = self.times.len() as i64 * self.interval >= 300 * 86_400;
            if name == "temp_air" && year && median > WARMEST_MEDIAN_C {
                return refuse(format!(
                    "its median over {} days is {median}, and no inhabited place's year has a median above {WARMEST_MEDIAN_C} °C: °F (°C = (°F − 32) × 5/9)? °C expected",
                    self.times.len() as i64 * self.interval / 86_400
                ));
            }
            // irradiance in another unit spreads beyond the range at every sunny hour (kJ/m²
            // an hour is 3.6 W/m²): not a few glitches among the daylight values
            let sunlit = read.iter().filter(|v| **v > 0.0).count();
            if lo == -10.0 && sunlit >= 100 && outside * 20 >= sunlit {
                return refuse(format!(
                    "{outside} of its {sunlit} values above 0 are {rule} (up to {largest}): another unit, such as kJ/m² an hour (÷ 3.6 for W/m²) or Wh/m² over a shorter interval? W/m² expected"
                ));
            }
            if lo == -10.0 && month && !polar && largest > 0.0 && largest <= 5.0 {
                return refuse(format!(
                    "its largest value over {} days is {largest} W/m², less than any sunny hour gives: kW/m² (× 1000) or MJ/m² an hour (× 277.8)? W/m² expected",
                    self.times.len() as i64 * self.interval / 86_400
                ));
            }
            let (mut non_finite, mut sentinels, mut out) = (0, 0, 0);
            for v in col.iter_mut() {
                if v.is_nan() {
                    continue;
                }
                // a code is missing where no real value could be it (99999 Pa is a pressure)
                let outside = *v < lo || *v > hi;
                if !v.is_finite() {
                    non_finite += 1;
                } else if outside && sentinel(*v) {
                    sentinels += 1;
                } else if outside {
                    out += 1;
                } else {
                    continue;
                }
                *v = f64::NAN;
            }
            for (n, why) in [
                (non_finite, "infinite".to_string()),
                (
                    sentinels,
                    "a missing-value code (−999, −9999, 9999, 99999)".to_string(),
                ),
                (out, rule.to_string()),
            ] {
                if n > 0 {
                    self.screened.push((name.to_string(), n, why));
                }
            }
        }
        Ok(())
    }

    /// The hours the file's intervals cover, those of the calendar year it is placed in,
    /// and the holes between intervals (start, end of each, Unix seconds).
    pub fn coverage(&self, year: i32) -> (f64, f64, Vec<(i64, i64)>) {
        let days = if is_leap(year as i64) { 366.0 } else { 365.0 };
        let holes: Vec<(i64, i64)> = self
            .times
            .windows(2)
            .filter(|w| w[1] - w[0] > self.interval)
            .map(|w| (w[0] + self.interval, w[1]))
            .collect();
        (
            self.times.len() as f64 * self.interval as f64 / 3600.0,
            days * 24.0,
            holes,
        )
    }

    /// The instant where an interval is evaluated: its start, end or centre.
    pub fn at(&self, i: usize, at: Label) -> i64 {
        match at {
            Label::Start => self.times[i],
            Label::End => self.times[i] + self.interval,
            Label::Centre => self.times[i] + self.interval / 2,
        }
    }
}

/// Linear interpolation over runs of at most `max_gap` NaN with a value on both sides
/// (equal spacing); returns how many values were filled.
pub fn fill_linear(v: &mut [f64], max_gap: usize) -> usize {
    let mut filled = 0;
    let mut i = 0;
    while i < v.len() {
        if !v[i].is_nan() {
            i += 1;
            continue;
        }
        let start = i;
        while i < v.len() && v[i].is_nan() {
            i += 1;
        }
        let len = i - start;
        if start > 0 && i < v.len() && len <= max_gap {
            let (a, b) = (v[start - 1], v[i]);
            for k in 0..len {
                v[start + k] = a + (b - a) * (k + 1) as f64 / (len + 1) as f64;
            }
            filled += len;
        }
    }
    filled
}

/// Days since 1970-01-01 of a calendar date (the caller has checked its ranges; an
/// impossible day such as 31 April counts on into the next month, as a clock would).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let first = chrono::NaiveDate::from_ymd_opt(y as i32, m as u32, 1).expect("month in range");
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    first.signed_duration_since(epoch).num_days() + d - 1
}

fn is_leap(y: i64) -> bool {
    chrono::NaiveDate::from_ymd_opt(y as i32, 2, 29).is_some()
}

use terrawatt_meter::tables::split_csv_line as split_csv;

/// Reads a TMY3 file (NSRDB 1991–2005 / 1961–1990 update): a metadata line, a header line,
/// hourly rows stamped at the END of each hour in local standard time (`01:00` … `24:00`).
/// Every row is placed in `year` (a typical year mixes source years; the default 1990 is
/// not a leap year), so the series is ordered. Pressure is converted from mbar to Pa.
pub fn read_tmy3(path: &Path, year: i32) -> Result<Weather, SolarError> {
    let text = read_text(path)?;
    let mut lines = text.lines();
    let meta = split_csv(
        lines
            .next()
            .ok_or_else(|| invalid(path, "the file is empty"))?,
    );
    if meta.len() < 7 {
        return Err(invalid(
            path,
            "line 1: not a TMY3 metadata line (USAF, name, state, TZ, latitude, longitude, altitude)",
        ));
    }
    let num = |i: usize, what: &str| -> Result<f64, SolarError> {
        meta[i].trim().parse::<f64>().map_err(|_| {
            invalid(
                path,
                format!("line 1: {what} '{}' is not a number", meta[i]),
            )
        })
    };
    let tz = num(3, "TZ")?;
    let (latitude, longitude, altitude) = (
        num(4, "latitude")?,
        num(5, "longitude")?,
        num(6, "altitude")?,
    );
    let header = split_csv(
        lines
            .next()
            .ok_or_else(|| invalid(path, "no header line"))?,
    );
    let col = |name: &str| -> Result<usize, SolarError> {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| invalid(path, format!("line 2: no column '{name}'")))
    };
    let c_ghi = col("GHI (W/m^2)")?;
    let c_dni = col("DNI (W/m^2)")?;
    let c_dhi = col("DHI (W/m^2)")?;
    let c_t = col("Dry-bulb (C)")?;
    let c_dew = col("Dew-point (C)")?;
    let c_p = col("Pressure (mbar)")?;
    let c_ws = col("Wspd (m/s)")?;
    let c_alb = col("Alb (unitless)").ok();
    let offset = (tz * 3600.0).round() as i32;
    let mut w = empty(path, "TMY3", Label::End);
    w.name = meta[1].trim().to_string();
    (w.latitude, w.longitude, w.altitude, w.offset) = (latitude, longitude, altitude, offset);
    let mut missing = [0usize; 7];
    for (k, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let lineno = k + 3;
        let f = split_csv(line);
        let bad = |m: String| invalid(path, format!("line {lineno}: {m}"));
        let date: Vec<&str> = f[0].split('/').collect();
        let time: Vec<&str> = f.get(1).map_or(vec![], |t| t.split(':').collect());
        if date.len() != 3 || time.len() != 2 {
            return Err(bad(format!(
                "'{},{}' is not MM/DD/YYYY,HH:MM",
                f[0],
                f.get(1).map_or("", |s| s)
            )));
        }
        let (mo, d): (i64, i64) = (
            date[0]
                .parse()
                .map_err(|_| bad(format!("month '{}'", date[0])))?,
            date[1]
                .parse()
                .map_err(|_| bad(format!("day '{}'", date[1])))?,
        );
        let hour: i64 = time[0]
            .parse()
            .map_err(|_| bad(format!("hour '{}'", time[0])))?;
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || !(1..=24).contains(&hour) {
            return Err(bad(format!("date {}/{} hour {hour} out of range", mo, d)));
        }
        let mut y = year as i64;
        if mo == 2 && d == 29 && !is_leap(y) {
            y = 2000 + (y % 4); // never reached for TMY3: typical years carry no 29 February
        }
        // local standard time of the stamp (end of the hour), then UTC
        let stamp_local = days_from_civil(y, mo, d) * 86_400 + hour * 3600;
        let stamp = stamp_local - offset as i64;
        let value = |c: usize, slot: usize, missing: &mut [usize; 7]| -> Result<f64, SolarError> {
            let s = f.get(c).map_or("", |s| s.trim());
            if s.is_empty() {
                missing[slot] += 1;
                return Ok(f64::NAN);
            }
            let v: f64 = s
                .parse()
                .map_err(|_| bad(format!("'{}' in column '{}' is not a number", s, header[c])))?;
            if v <= -9900.0 || v >= 9900.0 {
                missing[slot] += 1;
                Ok(f64::NAN)
            } else {
                Ok(v)
            }
        };
        w.times.push(stamp - 3600);
        w.ghi.push(value(c_ghi, 0, &mut missing)?);
        w.dni.push(value(c_dni, 1, &mut missing)?);
        w.dhi.push(value(c_dhi, 2, &mut missing)?);
        w.temp_air.push(value(c_t, 3, &mut missing)?);
        w.temp_dew.push(value(c_dew, 4, &mut missing)?);
        w.pressure.push(value(c_p, 5, &mut missing)? * 100.0);
        w.wind_speed.push(value(c_ws, 6, &mut missing)?);
        if let Some(c) = c_alb {
            w.albedo.push(
                f.get(c)
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .unwrap_or(f64::NAN),
            );
        }
    }
    if w.times.is_empty() {
        return Err(invalid(path, "no data rows"));
    }
    record_missing(&mut w, missing);
    w.screen()?;
    Ok(w)
}

fn empty(path: &Path, format: &str, label: Label) -> Weather {
    Weather {
        path: path.to_path_buf(),
        format: format.into(),
        name: String::new(),
        latitude: f64::NAN,
        longitude: f64::NAN,
        altitude: 0.0,
        offset: 0,
        times: Vec::new(),
        interval: 3600,
        label,
        ghi: Vec::new(),
        dni: Vec::new(),
        dhi: Vec::new(),
        temp_air: Vec::new(),
        wind_speed: Vec::new(),
        pressure: Vec::new(),
        temp_dew: Vec::new(),
        albedo: Vec::new(),
        missing: Vec::new(),
        screened: Vec::new(),
    }
}

/// A file's text, gunzipped when it starts with the gzip magic bytes.
fn read_text(path: &Path) -> Result<String, SolarError> {
    use std::io::Read;
    let io = |e| SolarError::Read {
        path: path.to_path_buf(),
        source: e,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| invalid(path, format!("not readable as gzip: {e}")))?;
        out
    } else {
        bytes
    };
    String::from_utf8(raw).map_err(|_| invalid(path, "not text (UTF-8)"))
}

impl Weather {
    /// Gives every row an albedo (NaN where the file has none) and leaves out values that
    /// are not one: 0 (a TMY3 file's "not measured"), negative, or above 1 (a percentage);
    /// counted in `screened` where the file had the column.
    fn screen_albedo(&mut self) {
        let n = self.times.len();
        if self.albedo.len() != n {
            self.albedo = vec![f64::NAN; n];
            return;
        }
        let mut zero = 0;
        let mut outside = 0;
        for v in self.albedo.iter_mut().filter(|v| v.is_finite()) {
            if *v == 0.0 {
                zero += 1;
                *v = f64::NAN;
            } else if !(0.0..=1.0).contains(v) {
                outside += 1;
                *v = f64::NAN;
            }
        }
        if zero > 0 {
            self.screened
                .push(("albedo".into(), zero, "albedo of 0 (not measured)".into()));
        }
        if outside > 0 {
            self.screened.push((
                "albedo".into(),
                outside,
                "albedo outside 0–1 (a percentage?)".into(),
            ));
        }
    }
}

/// The counts of missing values in the order ghi, dni, dhi, temp_air, temp_dew, pressure,
/// wind_speed, kept for the columns that have any.
fn record_missing(w: &mut Weather, missing: [usize; 7]) {
    const NAMES: [&str; 7] = [
        "ghi",
        "dni",
        "dhi",
        "temp_air",
        "temp_dew",
        "pressure",
        "wind_speed",
    ];
    for (name, n) in NAMES.iter().zip(missing) {
        if n > 0 {
            w.missing.push((name.to_string(), n));
        }
    }
}

/// Sorts a typical year's records placed in one year by time (months from different source
/// years arrive in month order but wrap at the year's end).
fn sort_by_time(w: &mut Weather) {
    let mut idx: Vec<usize> = (0..w.times.len()).collect();
    idx.sort_by_key(|i| w.times[*i]);
    let take = |v: &Vec<f64>| idx.iter().map(|i| v[*i]).collect::<Vec<f64>>();
    w.ghi = take(&w.ghi);
    w.dni = take(&w.dni);
    w.dhi = take(&w.dhi);
    w.temp_air = take(&w.temp_air);
    w.wind_speed = take(&w.wind_speed);
    w.pressure = take(&w.pressure);
    w.temp_dew = take(&w.temp_dew);
    if w.albedo.len() == idx.len() {
        w.albedo = take(&w.albedo);
    }
    w.times = idx.iter().map(|i| w.times[*i]).collect();
}

/// Reads a PVGIS typical-year CSV (`tmy_<lat>_<lon>_<years>.csv`): the site lines, the
/// months' source years, `time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP`, hourly
/// rows stamped `YYYYMMDD:HHMM` in UTC. The values are PVGIS's for the hour starting at the
/// stamp (their satellite time lies `Irradiance Time Offset` hours later, kept in `name`);
/// every row is placed in `year`. No dew point in the file (NaN).
pub fn read_pvgis_tmy(path: &Path, year: i32) -> Result<Weather, SolarError> {
    let text = read_text(path)?;
    let mut w = empty(path, "PVGIS TMY", Label::Start);
    let mut offset_h = f64::NAN;
    let mut header: Option<Vec<String>> = None;
    for (k, line) in text.lines().enumerate() {
        let lineno = k + 1;
        let bad = |m: String| invalid(path, format!("line {lineno}: {m}"));
        let value_after_colon = |l: &str| l.split(':').nth(1).map(|v| v.trim().parse::<f64>());
        if header.is_none() {
            if line.starts_with("Latitude") {
                w.latitude = value_after_colon(line)
                    .and_then(|r| r.ok())
                    .ok_or_else(|| bad("latitude".into()))?;
            } else if line.starts_with("Longitude") {
                w.longitude = value_after_colon(line)
                    .and_then(|r| r.ok())
                    .ok_or_else(|| bad("longitude".into()))?;
            } else if line.starts_with("Elevation") {
                w.altitude = value_after_colon(line)
                    .and_then(|r| r.ok())
                    .ok_or_else(|| bad("elevation".into()))?;
            } else if line.starts_with("Irradiance Time Offset") {
                offset_h = value_after_colon(line)
                    .and_then(|r| r.ok())
                    .unwrap_or(f64::NAN);
            } else if line.starts_with("time(UTC)") {
                header = Some(
                    split_csv(line)
                        .into_iter()
                        .map(|h| h.trim().to_string())
                        .collect(),
                );
            }
            continue;
        }
        let h = header.as_ref().expect("set");
        if line.trim().is_empty() || !line.as_bytes()[0].is_ascii_digit() {
            break; // the description lines after the data
        }
        let f = split_csv(line);
        let stamp = f[0].as_str();
        if stamp.len() < 13 || !stamp.is_ascii() || &stamp[8..9] != ":" {
            return Err(bad(format!("'{stamp}' is not YYYYMMDD:HHMM")));
        }
        let num = |r: std::ops::Range<usize>| {
            stamp[r]
                .parse::<i64>()
                .map_err(|_| bad(format!("'{stamp}' is not YYYYMMDD:HHMM")))
        };
        let (mo, d, hh, mm) = (num(4..6)?, num(6..8)?, num(9..11)?, num(11..13)?);
        if !((1..=12).contains(&mo)
            && (1..=31).contains(&d)
            && (0..=23).contains(&hh)
            && (0..=59).contains(&mm))
        {
            return Err(bad(format!(
                "'{stamp}' is not a date and time (YYYYMMDD:HHMM: month 1–12, day 1–31, hour 0–23)"
            )));
        }
        let mut y = year as i64;
        if mo == 2 && d == 29 && !is_leap(y) {
            y = 2000;
        }
        w.times
            .push(days_from_civil(y, mo, d) * 86_400 + hh * 3600 + mm * 60);
        let col = |name: &str| -> Result<f64, SolarError> {
            let i = h
                .iter()
                .position(|x| x == name)
                .ok_or_else(|| invalid(path, format!("no column '{name}'")))?;
            let v = f.get(i).map_or("", |v| v.trim());
            if v.is_empty() {
                return Ok(f64::NAN);
            }
            v.parse::<f64>()
                .map_err(|_| bad(format!("'{v}' in column '{name}' is not a number")))
        };
        w.temp_air.push(col("T2m")?);
        w.ghi.push(col("G(h)")?);
        w.dni.push(col("Gb(n)")?);
        w.dhi.push(col("Gd(h)")?);
        w.wind_speed.push(col("WS10m")?);
        w.pressure.push(col("SP")?);
        w.temp_dew.push(f64::NAN);
    }
    if header.is_none() {
        return Err(invalid(
            path,
            "no 'time(UTC),…' header: not a PVGIS TMY CSV",
        ));
    }
    if w.times.is_empty() {
        return Err(invalid(path, "no data rows"));
    }
    if w.latitude.is_nan() || w.longitude.is_nan() {
        return Err(invalid(path, "no Latitude/Longitude lines"));
    }
    w.name = format!(
        "PVGIS {:.3}, {:.3} (irradiance time offset {offset_h} h)",
        w.latitude, w.longitude
    );
    sort_by_time(&mut w);
    w.screen()?;
    Ok(w)
}

/// Reads a TMY2 file: a header line (WBAN, city, state, time zone, latitude, longitude,
/// elevation) and 8,760 fixed-width records stamped at the END of each hour (1–24) in local
/// standard time. Irradiance is Wh/m² over the hour (= its mean W/m²); dry bulb and dew point
/// in 0.1 °C, wind in 0.1 m/s and pressure in mbar are converted to °C, m/s and Pa. Every
/// row is placed in `year`.
pub fn read_tmy2(path: &Path, year: i32) -> Result<Weather, SolarError> {
    let text = read_text(path)?;
    let mut lines = text.lines();
    let head: Vec<&str> = lines
        .next()
        .ok_or_else(|| invalid(path, "the file is empty"))?
        .split_whitespace()
        .collect();
    if head.len() < 10 {
        return Err(invalid(
            path,
            "line 1: not a TMY2 header (WBAN CITY STATE TZ N deg min W deg min elevation)",
        ));
    }
    // the city may hold spaces: read from the end
    let n = head.len();
    let p = |s: &str| {
        s.parse::<f64>()
            .map_err(|_| invalid(path, format!("line 1: '{s}' is not a number")))
    };
    let altitude = p(head[n - 1])?;
    let lon = p(head[n - 3])? + p(head[n - 2])? / 60.0;
    let lon = if head[n - 4] == "W" { -lon } else { lon };
    let lat = p(head[n - 6])? + p(head[n - 5])? / 60.0;
    let lat = if head[n - 7] == "S" { -lat } else { lat };
    let tz = p(head[n - 8])?;
    let mut w = empty(path, "TMY2", Label::End);
    w.name = head[1..n - 9].join(" ");
    w.latitude = lat;
    w.longitude = lon;
    w.altitude = altitude;
    w.offset = (tz * 3600.0).round() as i32;
    // field widths after the leading space: date, then (value, source, uncertainty) triples
    const WIDTHS: [usize; 79] = [
        2, 2, 2, 2, 4, 4, 4, 1, 1, 4, 1, 1, 4, 1, 1, 4, 1, 1, 4, 1, 1, 4, 1, 1, 4, 1, 1, 2, 1, 1,
        2, 1, 1, 4, 1, 1, 4, 1, 1, 3, 1, 1, 4, 1, 1, 3, 1, 1, 3, 1, 1, 4, 1, 1, 5, 1, 1, 10, 3, 1,
        1, 3, 1, 1, 3, 1, 1, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut starts = Vec::new();
    let mut pos = 1;
    for wd in WIDTHS.iter().filter(|w| **w > 0) {
        starts.push((pos, *wd));
        pos += wd;
    }
    let mut missing = [0usize; 7];
    for (k, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let lineno = k + 2;
        let bad = |m: String| invalid(path, format!("line {lineno}: {m}"));
        if line.len() < pos {
            return Err(bad(format!(
                "{} characters; a TMY2 record has {pos}",
                line.len()
            )));
        }
        let field = |i: usize| -> Result<f64, SolarError> {
            let (s, wd) = starts[i];
            let t = line[s..s + wd].trim();
            t.parse::<f64>()
                .map_err(|_| bad(format!("field {} '{t}' is not a number", i + 1)))
        };
        let (mo, d, hour) = (field(1)? as i64, field(2)? as i64, field(3)? as i64);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || !(1..=24).contains(&hour) {
            return Err(bad(format!("date {mo}/{d} hour {hour} out of range")));
        }
        let stamp = days_from_civil(year as i64, mo, d) * 86_400 + hour * 3600 - w.offset as i64;
        w.times.push(stamp - 3600);
        // value fields: GHI 6, DNI 9, DHI 12, DryBulb 33, DewPoint 36, Pressure 42, Wspd 48
        let get = |i: usize,
                   slot: usize,
                   scale: f64,
                   missing: &mut [usize; 7]|
         -> Result<f64, SolarError> {
            let v = field(i)?;
            let src = line[starts[i + 1].0..starts[i + 1].0 + 1].to_string();
            // a missing value carries the source flag '?' (irradiance at night is 0 with '?')
            if src == "?" && slot >= 3 {
                missing[slot] += 1;
                return Ok(f64::NAN);
            }
            Ok(v * scale)
        };
        w.ghi.push(get(6, 0, 1.0, &mut missing)?);
        w.dni.push(get(9, 1, 1.0, &mut missing)?);
        w.dhi.push(get(12, 2, 1.0, &mut missing)?);
        w.temp_air.push(get(33, 3, 0.1, &mut missing)?);
        w.temp_dew.push(get(36, 4, 0.1, &mut missing)?);
        w.pressure.push(get(42, 5, 100.0, &mut missing)?);
        w.wind_speed.push(get(48, 6, 0.1, &mut missing)?);
    }
    if w.times.is_empty() {
        return Err(invalid(path, "no data rows"));
    }
    record_missing(&mut w, missing);
    w.screen()?;
    Ok(w)
}

/// Reads an EnergyPlus weather file (EPW): the LOCATION line (latitude, longitude, time
/// zone, elevation), seven more header lines, then hourly rows stamped at the END of each
/// hour (1–24) in local standard time. Missing codes (dry bulb and dew point 99.9,
/// pressure 999999, irradiance 9999, wind speed 999) become NaN. Every row is placed in
/// `year`.
pub fn read_epw(path: &Path, year: i32) -> Result<Weather, SolarError> {
    let text = read_text(path)?;
    let mut lines = text.lines();
    let loc = split_csv(
        lines
            .next()
            .ok_or_else(|| invalid(path, "the file is empty"))?,
    );
    if loc.first().map(|s| s.trim()) != Some("LOCATION") || loc.len() < 10 {
        return Err(invalid(path, "line 1: not an EPW LOCATION line"));
    }
    let num = |i: usize, what: &str| -> Result<f64, SolarError> {
        loc[i]
            .trim()
            .parse::<f64>()
            .map_err(|_| invalid(path, format!("line 1: {what} '{}' is not a number", loc[i])))
    };
    let mut w = empty(path, "EPW", Label::End);
    w.name = loc[1].trim().to_string();
    w.latitude = num(6, "latitude")?;
    w.longitude = num(7, "longitude")?;
    w.offset = (num(8, "time zone")? * 3600.0).round() as i32;
    w.altitude = num(9, "elevation")?;
    let mut missing = [0usize; 7];
    for (k, line) in lines.enumerate().skip(7) {
        if line.trim().is_empty() {
            continue;
        }
        let lineno = k + 2;
        let bad = |m: String| invalid(path, format!("line {lineno}: {m}"));
        let f = split_csv(line);
        if f.len() < 22 {
            return Err(bad(format!("{} fields; an EPW record has 35", f.len())));
        }
        let field = |i: usize| -> Result<f64, SolarError> {
            f[i].trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("field {} '{}' is not a number", i + 1, f[i])))
        };
        let (mo, d, hour) = (field(1)? as i64, field(2)? as i64, field(3)? as i64);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || !(1..=24).contains(&hour) {
            return Err(bad(format!("date {mo}/{d} hour {hour} out of range")));
        }
        let stamp = days_from_civil(year as i64, mo, d) * 86_400 + hour * 3600 - w.offset as i64;
        w.times.push(stamp - 3600);
        let mut get = |i: usize, slot: usize, missing_code: f64| -> Result<f64, SolarError> {
            let v = field(i)?;
            if v >= missing_code {
                missing[slot] += 1;
                Ok(f64::NAN)
            } else {
                Ok(v)
            }
        };
        w.temp_air.push(get(6, 3, 99.9)?);
        w.temp_dew.push(get(7, 4, 99.9)?);
        w.pressure.push(get(9, 5, 999_999.0)?);
        w.ghi.push(get(13, 0, 9999.0)?);
        w.dni.push(get(14, 1, 9999.0)?);
        w.dhi.push(get(15, 2, 9999.0)?);
        w.wind_speed.push(get(21, 6, 999.0)?);
        // field 33, the albedo (999 missing)
        w.albedo.push(
            f.get(32)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| *v < 999.0)
                .unwrap_or(f64::NAN),
        );
    }
    if w.times.is_empty() {
        return Err(invalid(path, "no data rows"));
    }
    record_missing(&mut w, missing);
    w.screen()?;
    Ok(w)
}

/// Reads an NSRDB PSM3 CSV: a line of metadata names and a line of their values (Latitude,
/// Longitude, Time Zone, Elevation), the column header, then rows with Year, Month, Day,
/// Hour, Minute in local standard time at the start of each interval, GHI, DNI, DHI,
/// Temperature, Dew Point, Pressure (mbar) and Wind Speed. A typical year whose rows are not
/// in time order is placed in `year` and ordered.
pub fn read_psm3(path: &Path, year: i32) -> Result<Weather, SolarError> {
    let text = read_text(path)?;
    let mut lines = text.lines();
    let names = split_csv(
        lines
            .next()
            .ok_or_else(|| invalid(path, "the file is empty"))?,
    );
    let values = split_csv(
        lines
            .next()
            .ok_or_else(|| invalid(path, "no metadata values line"))?,
    );
    let meta = |name: &str| -> Result<f64, SolarError> {
        let i = names
            .iter()
            .position(|n| n.trim() == name)
            .ok_or_else(|| invalid(path, format!("line 1: no '{name}' in the metadata")))?;
        values
            .get(i)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| invalid(path, format!("line 2: '{name}' is not a number")))
    };
    let mut w = empty(path, "NSRDB PSM3", Label::Start);
    w.latitude = meta("Latitude")?;
    w.longitude = meta("Longitude")?;
    w.altitude = meta("Elevation")?;
    w.offset = (meta("Time Zone")? * 3600.0).round() as i32;
    w.name = format!("NSRDB {:.3}, {:.3}", w.latitude, w.longitude);
    let header: Vec<String> = split_csv(
        lines
            .next()
            .ok_or_else(|| invalid(path, "no column header"))?,
    )
    .into_iter()
    .map(|h| h.trim().to_string())
    .collect();
    let col = |name: &str| -> Result<usize, SolarError> {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| invalid(path, format!("line 3: no column '{name}'")))
    };
    let c: Vec<usize> = [
        "Year",
        "Month",
        "Day",
        "Hour",
        "Minute",
        "GHI",
        "DNI",
        "DHI",
        "Temperature",
        "Dew Point",
        "Pressure",
        "Wind Speed",
    ]
    .iter()
    .map(|n| col(n))
    .collect::<Result<_, _>>()?;
    let c_alb = col("Surface Albedo").ok();
    let mut years = Vec::new();
    for (k, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let lineno = k + 4;
        let bad = |m: String| invalid(path, format!("line {lineno}: {m}"));
        let f = split_csv(line);
        let field = |i: usize| -> Result<f64, SolarError> {
            let s = f.get(i).map_or("", |s| s.trim());
            if s.is_empty() {
                return Ok(f64::NAN);
            }
            s.parse::<f64>()
                .map_err(|_| bad(format!("'{s}' in column '{}' is not a number", header[i])))
        };
        let (y, mo, d, h, mi) = (
            field(c[0])? as i64,
            field(c[1])? as i64,
            field(c[2])? as i64,
            field(c[3])? as i64,
            field(c[4])? as i64,
        );
        if !(1..=12).contains(&mo)
            || !(1..=31).contains(&d)
            || !(0..=23).contains(&h)
            || !(0..=59).contains(&mi)
        {
            return Err(bad(format!("date {y}-{mo}-{d} {h}:{mi} out of range")));
        }
        years.push((y, mo, d, h, mi));
        w.ghi.push(field(c[5])?);
        w.dni.push(field(c[6])?);
        w.dhi.push(field(c[7])?);
        w.temp_air.push(field(c[8])?);
        w.temp_dew.push(field(c[9])?);
        w.pressure.push(field(c[10])? * 100.0);
        w.wind_speed.push(field(c[11])?);
        if let Some(a) = c_alb {
            w.albedo.push(field(a)?);
        }
    }
    if years.len() < 2 {
        return Err(invalid(path, "fewer than two data rows"));
    }
    let stamp = |y: i64, (_, mo, d, h, mi): (i64, i64, i64, i64, i64)| {
        days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 - w.offset as i64
    };
    let own: Vec<i64> = years.iter().map(|t| stamp(t.0, *t)).collect();
    if own.windows(2).all(|p| p[1] > p[0]) {
        w.times = own;
    } else {
        w.times = years.iter().map(|t| stamp(year as i64, *t)).collect();
        sort_by_time(&mut w);
    }
    w.interval = w.times[1] - w.times[0];
    w.screen()?;
    Ok(w)
}

/// Reads a weather file, choosing the reader from its content: TMY3, TMY2 or PVGIS TMY.
pub fn read_auto(path: &Path, year: i32) -> Result<Weather, SolarError> {
    let text = read_text(path)?;
    let text = &text;
    let first = text.lines().next().unwrap_or("");
    let second = text.lines().nth(1).unwrap_or("");
    if second.starts_with("Date (MM/DD/YYYY)") {
        read_tmy3(path, year)
    } else if first.starts_with("LOCATION,") {
        read_epw(path, year)
    } else if first.starts_with("Source,")
        && text.lines().nth(2).is_some_and(|l| l.starts_with("Year,"))
    {
        read_psm3(path, year)
    } else if first.starts_with("Latitude") {
        read_pvgis_tmy(path, year)
    } else if text
        .lines()
        .nth(1)
        .is_some_and(|l| l.len() >= 141 && l.starts_with(' ') && !l.contains(','))
    {
        read_tmy2(path, year)
    } else {
        Err(invalid(
            path,
            "line 1: not a weather format terrawatt reads (TMY3, TMY2, PVGIS TMY CSV)",
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_lines_unescape_doubled_quotes() {
        assert_eq!(
            super::split_csv("725650,\"DENVER, INTL AP\",CO"),
            ["725650", "DENVER, INTL AP", "CO"]
        );
        assert_eq!(
            super::split_csv("\"the \"\"old\"\" site\",2"),
            ["the \"old\" site", "2"]
        );
        assert_eq!(super::split_csv("a,,b"), ["a", "", "b"]);
        assert_eq!(super::split_csv(""), [""]);
    }

    #[test]
    fn fill_linear_fills_short_inner_gaps_only() {
        let n = f64::NAN;
        let mut v = vec![n, 1.0, n, 3.0, n, n, n, 7.0, n];
        assert_eq!(super::fill_linear(&mut v, 2), 1);
        assert_eq!(v[2], 2.0);
        assert!(v[0].is_nan() && v[4].is_nan() && v[8].is_nan());
        assert_eq!(super::fill_linear(&mut v, 3), 3);
        assert_eq!(&v[4..7], &[4.0, 5.0, 6.0]);
    }

    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        // PVGIS stamps out of range or not ASCII are errors naming the line, not panics
        // (issue 18, part 7)
        let p = std::env::temp_dir().join(format!("terrawatt-pvgis-{}.csv", std::process::id()));
        for (stamp, what) in [("20071301:0010", "month"), ("2007010é:0010", "YYYYMMDD")] {
            std::fs::write(
                &p,
                format!(
                    "Latitude (decimal degrees):\t45.0\nLongitude (decimal degrees):\t8.0\nElevation (m):\t250\ntime(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP\n20070101:0010,1,80,0,0,0,250,1,180,98000\n{stamp},1,80,0,0,0,250,1,180,98000\n"
                ),
            )
            .unwrap();
            let e = read_pvgis_tmy(&p, 1990).unwrap_err().to_string();
            assert!(e.contains("line 6") && e.contains(what), "{e}");
        }
        let _ = std::fs::remove_file(&p);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1990, 12, 31), 7_669); // 20·365 + 5 leap days + 364
    }
}
