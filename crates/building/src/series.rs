//! Metered periods and hourly temperature read from files with explicit time zones, and the
//! join of one onto the other by instant (docs/baselines.md §§ 1–2).
//!
//! Instants are seconds since the Unix epoch (UTC); each meter period also keeps the UTC
//! offset of its own timestamp, which is the meter's local clock (local day, hour of week).

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use terrawatt_table::Table;

use crate::BuildingError;

pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

type Result<T> = std::result::Result<T, BuildingError>;

fn invalid(path: &Path, message: impl Into<String>) -> BuildingError {
    BuildingError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The data interval of a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freq {
    Hourly,
    Daily,
    Billing,
}

/// The coldest air temperature (°F) a meter's weather may hold: below the coldest reading
/// of an inhabited place (Oymyakon, −67.7 °C, −89.9 °F). Colder values are missing-value
/// codes (−99 °F, −99.9): 3 % of a reporting year's hours at −99 had made savings −31 %.
pub const COLDEST_F: f64 = -95.0;

impl Freq {
    pub fn parse(s: &str) -> Option<Freq> {
        match s {
            "hourly" => Some(Freq::Hourly),
            "daily" => Some(Freq::Daily),
            "billing" | "monthly" => Some(Freq::Billing),
            _ => None,
        }
    }

    /// The nominal period length; billing periods have none.
    pub fn nominal(self) -> Option<i64> {
        match self {
            Freq::Hourly => Some(HOUR),
            Freq::Daily => Some(DAY),
            Freq::Billing => None,
        }
    }

    /// The longest a period of this interval may last (a 25-hour DST day).
    fn longest(self) -> Option<i64> {
        match self {
            Freq::Hourly => Some(HOUR),
            Freq::Daily => Some(DAY + HOUR),
            Freq::Billing => None,
        }
    }

    /// Minimum temperature coverage of a period (docs/baselines.md § 2).
    pub fn min_coverage(self) -> f64 {
        match self {
            Freq::Daily => 0.5,
            Freq::Billing => 0.9,
            Freq::Hourly => 0.0,
        }
    }
}

impl fmt::Display for Freq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Freq::Hourly => "hourly",
            Freq::Daily => "daily",
            Freq::Billing => "billing",
        })
    }
}

/// Temperature unit of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TempUnit {
    F,
    C,
}

impl TempUnit {
    pub fn parse(s: &str) -> Option<TempUnit> {
        match s {
            "F" | "f" | "degF" | "fahrenheit" => Some(TempUnit::F),
            "C" | "c" | "degC" | "celsius" => Some(TempUnit::C),
            _ => None,
        }
    }

    pub fn to_f(self, v: f64) -> f64 {
        match self {
            TempUnit::F => v,
            TempUnit::C => v * 9.0 / 5.0 + 32.0,
        }
    }
}

pub use terrawatt_table::time::{Stamp, parse_stamp, rfc3339};

/// Parses an IANA zone name.
pub fn parse_zone(name: &str) -> Result<Tz> {
    Ok(terrawatt_table::time::parse_zone(name)?)
}

/// Reads a timestamp column (text with offsets, or a Parquet datetime column).
fn stamps(
    table: &Table,
    _path: &Path,
    column: &str,
    zone: Option<Tz>,
) -> Result<Vec<Option<Stamp>>> {
    Ok(terrawatt_table::time::read_stamps(table, column, zone)?)
}

/// The rows with their stamps; a missing stamp is an error naming its row.
fn present(
    table: &Table,
    path: &Path,
    column: &str,
    stamps: &[Option<Stamp>],
) -> Result<Vec<(usize, Stamp)>> {
    stamps
        .iter()
        .enumerate()
        .map(|(row, s)| {
            s.map(|s| (row, s)).ok_or_else(|| {
                invalid(
                    path,
                    format!(
                        "column '{column}', {}: the timestamp is missing",
                        table.place(row)
                    ),
                )
            })
        })
        .collect()
}

/// Checks that instants strictly increase; names both rows of a duplicate.
fn check_order(table: &Table, path: &Path, column: &str, times: &[(usize, Stamp)]) -> Result<()> {
    for w in times.windows(2) {
        let ((ra, a), (rb, b)) = (w[0], w[1]);
        if b.t == a.t {
            return Err(invalid(
                path,
                format!(
                    "duplicate timestamp {} in column '{column}' at {} and {}",
                    b.rfc3339(),
                    table.place(ra),
                    table.place(rb)
                ),
            ));
        }
        if b.t < a.t {
            return Err(invalid(
                path,
                format!(
                    "timestamps out of order in column '{column}': {} at {} comes after {} at {}",
                    b.rfc3339(),
                    table.place(rb),
                    a.rfc3339(),
                    table.place(ra)
                ),
            ));
        }
    }
    Ok(())
}

fn pick_column(
    table: &Table,
    wanted: Option<&str>,
    defaults: &[&str],
    (position, option): (usize, &str),
) -> Result<String> {
    if let Some(w) = wanted {
        table.require(&[w.to_string()])?;
        return Ok(w.to_string());
    }
    let names = table.column_names();
    if let Some(d) = defaults.iter().find(|d| names.iter().any(|n| n == *d)) {
        return Ok(d.to_string());
    }
    let Some(at) = names.get(position).cloned() else {
        return Err(BuildingError::Invalid {
            path: PathBuf::new(),
            message: format!("expected at least {} columns", position + 1),
        });
    };
    // the value column by its place only where no other column could be it: a meter's
    // `cost_usd, usage_kwh` had its baseline fitted on the cost, a station's dew point
    // (before its dry bulb) stood for the air temperature
    if position > 0 {
        let others: Vec<&String> = names
            .iter()
            .skip(1)
            .filter(|n| !NOT_VALUES.contains(&n.to_ascii_lowercase().as_str()))
            .collect();
        if others.len() > 1 {
            return Err(BuildingError::Invalid {
                path: PathBuf::new(),
                message: format!(
                    "no column named {} and {} columns that could hold the values ({}): which is it? Name it with {option}",
                    defaults.join(", "),
                    others.len(),
                    others
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    Ok(at)
}

/// Columns of a meter or temperature file that are never its values.
const NOT_VALUES: [&str; 4] = ["end", "unit", "units", "meter"];

/// One metered period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub start: i64,
    pub end: i64,
    /// UTC offset of the meter's clock at the start.
    pub offset: i32,
    /// NaN where missing.
    pub value: f64,
    /// Source row (0-based data row).
    pub row: usize,
}

impl Period {
    pub fn days(&self) -> f64 {
        (self.end - self.start) as f64 / DAY as f64
    }

    pub fn start_stamp(&self) -> Stamp {
        Stamp {
            t: self.start,
            offset: self.offset,
        }
    }
}

/// A meter's periods, in time order.
#[derive(Debug, Clone)]
pub struct Meter {
    pub path: PathBuf,
    pub freq: Freq,
    /// The unit of the values, where the file says it: a `unit` column (one value for every
    /// row), or the value column's name (`kwh`, `therms`, …).
    pub unit: Option<String>,
    pub periods: Vec<Period>,
    /// Rows not made into periods and why (the end marker is not listed).
    pub notes: Vec<String>,
    /// What a run of zero readings the model expects use on is taken for.
    pub zeros: crate::zeros::Zeros,
}

/// How to read a meter file.
#[derive(Debug, Clone, Default)]
pub struct MeterOptions {
    pub time_column: Option<String>,
    pub end_column: Option<String>,
    pub value_column: Option<String>,
    pub zone: Option<Tz>,
    pub allow_negative: bool,
    /// What a run of zero readings the model expects use on is taken for.
    pub zeros: crate::zeros::Zeros,
    /// The interval is a model's (savings), not `--freq`'s: said so where the rows' own
    /// interval is another.
    pub freq_of_model: bool,
}

/// The energy units a meter may carry and their size in kWh (a therm is 100,000 Btu,
/// 29.3071 kWh; a ccf of natural gas about 1.037 therm, 30.39 kWh (US EIA average heat
/// content); MJ and GJ exact).
pub const UNITS_KWH: [(&str, f64); 7] = [
    ("kWh", 1.0),
    ("Wh", 0.001),
    ("MWh", 1000.0),
    ("therms", 29.3071),
    ("ccf", 30.39),
    ("MJ", 1.0 / 3.6),
    ("GJ", 1000.0 / 3.6),
];

/// The canonical name of a unit (`KWH`, `kwh` → `kWh`; `therm` → `therms`).
pub fn unit_name(text: &str) -> Option<&'static str> {
    let t = text.trim().to_lowercase();
    let t = if t == "therm" {
        "therms".to_string()
    } else {
        t
    };
    UNITS_KWH
        .iter()
        .find(|(u, _)| u.to_lowercase() == t)
        .map(|(u, _)| *u)
}

/// The rows' own interval (the median step between starts) must be the one `--freq`
/// names: hourly data read as daily would be summed as if each hour were a day. Refuses a
/// mismatch, naming the interval found and the `--freq` to pass.
fn check_interval(path: &Path, (freq, of_model): (Freq, bool), starts: &[i64]) -> Result<()> {
    if starts.len() < 3 {
        return Ok(());
    }
    let mut steps: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    steps.sort_unstable();
    let median = steps[steps.len() / 2];
    let found = if median <= 2 * HOUR {
        Freq::Hourly
    } else if median <= 2 * DAY {
        Freq::Daily
    } else {
        Freq::Billing
    };
    if found == freq {
        return Ok(());
    }
    let name = |f: Freq| match f {
        Freq::Hourly => "hourly",
        Freq::Daily => "daily",
        Freq::Billing => "billing",
    };
    let step = if median % DAY == 0 {
        format!("{} day(s)", median / DAY)
    } else if median % HOUR == 0 {
        format!("{} hour(s)", median / HOUR)
    } else {
        format!("{median} s")
    };
    let what = if of_model {
        format!(
            "but the model is of {} data: give the meter at the model's interval (its rows summed into {} periods), or fit a baseline of {} data",
            name(freq),
            name(freq),
            name(found)
        )
    } else {
        format!(
            "but --freq says {}: pass --freq {}",
            name(freq),
            name(found)
        )
    };
    Err(invalid(
        path,
        format!(
            "the rows are {step} apart (the median step), which is {} data, {what}",
            name(found),
        ),
    ))
}

/// CalTRACK 2.3.6: usage more than three interquartile ranges above the median (per day,
/// so that billing periods of other lengths compare) is flagged for review, not removed.
fn extreme_values(periods: &[Period], table: &Table) -> Option<String> {
    let per_day = |p: &Period| p.value / ((p.end - p.start) as f64 / 86_400.0);
    let mut v: Vec<f64> = periods
        .iter()
        .map(per_day)
        .filter(|v| v.is_finite())
        .collect();
    if v.len() < 10 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
    let limit = q(0.5) + 3.0 * (q(0.75) - q(0.25));
    let flagged: Vec<&Period> = periods.iter().filter(|p| per_day(p) > limit).collect();
    let first = flagged.first()?;
    Some(format!(
        "{} period(s) use more than three interquartile ranges above the median ({limit:.4} a day), which CalTRACK 2.3.6 flags for review (kept in the fit); the first at {} ({})",
        flagged.len(),
        table.place(first.row),
        first.value
    ))
}

impl Meter {
    pub fn read(path: &Path, freq: Freq, opts: &MeterOptions) -> Result<Meter> {
        let table = Table::read(path)?;
        let time_col = pick_column(
            &table,
            opts.time_column.as_deref(),
            &["start", "timestamp", "time", "dt", "date"],
            (0, "--meter-time-column"),
        )
        .map_err(|e| with_path(e, path))?;
        let value_col = pick_column(
            &table,
            opts.value_column.as_deref(),
            &["value", "usage", "kwh", "consumption"],
            (1, "--meter-value-column"),
        )
        .map_err(|e| with_path(e, path))?;
        let end_col = match &opts.end_column {
            Some(c) => {
                table.require(std::slice::from_ref(c))?;
                Some(c.clone())
            }
            None => table.column_names().into_iter().find(|n| n == "end"),
        };
        let starts = stamps(&table, path, &time_col, opts.zone)?;
        let ends = match &end_col {
            Some(c) => Some(stamps(&table, path, c, opts.zone)?),
            None => None,
        };
        let (values, _) = table.numeric(&value_col)?;
        if let Some((row, v, why, count)) = terrawatt_table::screen::implausible(&values) {
            return Err(invalid(
                path,
                format!(
                    "column '{value_col}', {}: {v} is {why}{}: a glitch or a missing-value code, which would pull the fit to it; leave such cells empty (missing) and run again",
                    table.place(row),
                    if count > 1 {
                        format!(", as are {} other values", count - 1)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        if let Some((with, steps)) = terrawatt_table::screen::cumulative(&values) {
            return Err(invalid(
                path,
                format!(
                    "column '{value_col}' moves one way at {with} of its {steps} steps from row to row (the other way at 2 % or fewer): a meter register's cumulative readings, not the use in each interval? Give each interval's use (the differences between consecutive readings)"
                ),
            ));
        }
        if let Some((row, before, after)) = terrawatt_table::screen::unit_step(&values) {
            return Err(invalid(
                path,
                format!(
                    "column '{value_col}' steps from a median of {before} to {after} around {} ({:.0} times), as no building's use does: a unit changed inside the file (kWh to MWh, Wh to kWh)? Give the whole file in one unit",
                    table.place(row),
                    (before / after).max(after / before)
                ),
            ));
        }
        let unit = match table
            .column_names()
            .iter()
            .find(|n| n.eq_ignore_ascii_case("unit"))
        {
            Some(col) => {
                let units = table.strings(col)?;
                let mut found: Option<(usize, String)> = None;
                for (row, u) in units
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| !u.trim().is_empty())
                {
                    match &found {
                        None => found = Some((row, u.trim().to_string())),
                        Some((first, v)) if v != u.trim() => {
                            return Err(invalid(
                                path,
                                format!(
                                    "column '{col}': '{}' at {} but '{v}' at {}: one meter, one unit",
                                    u.trim(),
                                    table.place(row),
                                    table.place(*first)
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                found.map(|(_, u)| unit_name(&u).map_or(u, str::to_string))
            }
            None => unit_name(&value_col).map(str::to_string),
        };
        let rows = present(&table, path, &time_col, &starts)?;
        if rows.is_empty() {
            return Err(invalid(path, "the meter file has no rows"));
        }
        check_order(&table, path, &time_col, &rows)?;
        check_interval(
            path,
            (freq, opts.freq_of_model),
            &rows.iter().map(|(_, s)| s.t).collect::<Vec<_>>(),
        )?;
        let mut periods = Vec::with_capacity(rows.len());
        let mut notes = Vec::new();
        for (i, &(row, s)) in rows.iter().enumerate() {
            let v = values[row];
            if !opts.allow_negative && v < 0.0 {
                return Err(invalid(
                    path,
                    format!(
                        "column '{value_col}', {}: negative usage {v} (give --allow-negative for net-metered data)",
                        table.place(row)
                    ),
                ));
            }
            let next = rows.get(i + 1).map(|(_, n)| n.t);
            let end = if let Some(ends) = &ends {
                match ends[row] {
                    Some(e) => e.t,
                    None if next.is_none() && v.is_nan() => continue,
                    None => {
                        return Err(invalid(
                            path,
                            format!(
                                "column '{}', {}: the end is missing",
                                end_col.as_deref().unwrap_or("end"),
                                table.place(row)
                            ),
                        ));
                    }
                }
            } else {
                match (next, freq.longest(), freq.nominal()) {
                    (Some(n), Some(longest), Some(nominal)) => {
                        if n - s.t <= longest {
                            n
                        } else {
                            s.t + nominal
                        }
                    }
                    (Some(n), _, _) => n,
                    (None, _, _) if v.is_nan() => continue, // the end marker
                    (None, _, Some(nominal)) => s.t + nominal,
                    (None, _, None) => {
                        notes.push(format!(
                            "{}: the last billing period ({}) has no end (add an 'end' column or an end row without a value); left out",
                            table.place(row),
                            s.rfc3339()
                        ));
                        continue;
                    }
                }
            };
            if end <= s.t {
                return Err(invalid(
                    path,
                    format!(
                        "{}: the period {} ends at or before it starts",
                        table.place(row),
                        s.rfc3339()
                    ),
                ));
            }
            periods.push(Period {
                start: s.t,
                end,
                offset: s.offset,
                value: v,
                row,
            });
        }
        for w in periods.windows(2) {
            if w[1].start < w[0].end {
                return Err(invalid(
                    path,
                    format!(
                        "{}: the period starting {} overlaps the one before it",
                        table.place(w[1].row),
                        w[1].start_stamp().rfc3339()
                    ),
                ));
            }
        }
        if let Some(longest) = freq.longest()
            && let Some(p) = periods.iter().find(|p| p.end - p.start > longest)
        {
            return Err(invalid(
                path,
                format!(
                    "{}: a period of {:.1} hours is not {freq} data (give --freq billing for billing periods)",
                    table.place(p.row),
                    (p.end - p.start) as f64 / HOUR as f64
                ),
            ));
        }
        notes.extend(extreme_values(&periods, &table));
        Ok(Meter {
            path: path.to_path_buf(),
            freq,
            unit,
            periods,
            notes,
            zeros: opts.zeros,
        })
    }

    /// The periods inside [start, end) (either bound optional).
    pub fn window(&self, start: Option<i64>, end: Option<i64>) -> Vec<Period> {
        self.periods
            .iter()
            .filter(|p| start.is_none_or(|s| p.start >= s) && end.is_none_or(|e| p.end <= e))
            .copied()
            .collect()
    }

    /// Resolves a `--start`/`--end` value: an instant with offset, or a date (local midnight
    /// in the meter's clock: the offset of the row starting on that local date, else of the
    /// nearest row), or a naive time in `zone`.
    pub fn resolve(&self, text: &str, zone: Option<Tz>) -> Result<i64> {
        let s = text.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            if let Some(z) = zone {
                return Ok(parse_stamp(s, Some(z))?.t);
            }
            let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
            let on_date = self
                .periods
                .iter()
                .find(|p| p.start_stamp().local().date() == d)
                .map(|p| p.offset);
            // else the row nearest in local clock time (the earlier on a tie)
            let offset = on_date.unwrap_or_else(|| {
                let wall = midnight.and_utc().timestamp();
                self.periods
                    .iter()
                    .min_by_key(|p| (p.start + p.offset as i64 - wall).abs())
                    .map_or(0, |p| p.offset)
            });
            return Ok(midnight.and_utc().timestamp() - offset as i64);
        }
        parse_stamp(s, zone)
            .map(|st| st.t)
            .map_err(|e| BuildingError::Setting(format!("--start/--end: {e}")))
    }
}

fn with_path(e: BuildingError, path: &Path) -> BuildingError {
    match e {
        BuildingError::Invalid { path: p, message } if p.as_os_str().is_empty() => {
            invalid(path, message)
        }
        other => other,
    }
}

/// Hourly temperature in °F, sorted by instant.
#[derive(Debug, Clone)]
pub struct Temperature {
    pub path: PathBuf,
    pub times: Vec<i64>,
    /// °F; NaN where missing.
    pub values: Vec<f64>,
    pub missing: usize,
}

impl Temperature {
    pub fn read(
        path: &Path,
        unit: TempUnit,
        time_column: Option<&str>,
        value_column: Option<&str>,
        zone: Option<Tz>,
    ) -> Result<Temperature> {
        let table = Table::read(path)?;
        let time_col = pick_column(
            &table,
            time_column,
            &["dt", "time", "timestamp", "start", "date"],
            (0, "--temperature-time-column"),
        )
        .map_err(|e| with_path(e, path))?;
        let value_col = pick_column(
            &table,
            value_column,
            &["tempF", "tempC", "temperature", "temp", "temp_air"],
            (1, "--temperature-column"),
        )
        .map_err(|e| with_path(e, path))?;
        let st = stamps(&table, path, &time_col, zone)?;
        let (values, missing) = table.numeric(&value_col)?;
        if let Some((row, v, why, _)) = terrawatt_table::screen::implausible(&values) {
            return Err(invalid(
                path,
                format!(
                    "column '{value_col}', {}: {v} is {why}: a glitch or a missing-value code, which would set that day's degree days; leave such cells empty (missing) and run again",
                    table.place(row)
                ),
            ));
        }
        // below any inhabited place's record (Oymyakon, −67.7 °C or −89.9 °F): a code such
        // as −99 or −99.9, too close to the other values to stand out as a spike
        if let Some(row) = values
            .iter()
            .position(|v| v.is_finite() && unit.to_f(*v) < COLDEST_F)
        {
            let n = values
                .iter()
                .filter(|v| v.is_finite() && unit.to_f(**v) < COLDEST_F)
                .count();
            return Err(invalid(
                path,
                format!(
                    "column '{value_col}', {}: {} is colder than any inhabited place has been ({COLDEST_F} °F, {:.1} °C; {n} such value(s)): a missing-value code (−99, −99.9)? Leave such cells empty (missing) and run again",
                    table.place(row),
                    values[row],
                    (COLDEST_F - 32.0) * 5.0 / 9.0
                ),
            ));
        }
        let rows = present(&table, path, &time_col, &st)?;
        if rows.is_empty() {
            return Err(invalid(path, "the temperature file has no rows"));
        }
        check_order(&table, path, &time_col, &rows)?;
        let t = Temperature {
            path: path.to_path_buf(),
            times: rows.iter().map(|(_, s)| s.t).collect(),
            values: rows.iter().map(|(r, _)| unit.to_f(values[*r])).collect(),
            missing,
        };
        t.check_unit(unit, &value_col)?;
        Ok(t)
    }

    /// Refuses temperatures that read as another unit than the one given: a column named
    /// for the other unit (`tempF` or `temperature (°F)` given as C); more than 1 % of the
    /// values (10 at least) above 60 °C, which no air reaches (°F given as C, or K); a year
    /// or more whose warmest hour is under 45 °F (7 °C), which no inhabited place has (°C
    /// given as F).
    fn check_unit(&self, unit: TempUnit, column: &str) -> Result<()> {
        let (given, other) = match unit {
            TempUnit::F => ("F", "C"),
            TempUnit::C => ("C", "F"),
        };
        let named = match terrawatt_table::screen::unit_named(column) {
            Some(terrawatt_table::screen::NamedUnit::Fahrenheit) => Some("F"),
            Some(terrawatt_table::screen::NamedUnit::Celsius) => Some("C"),
            _ => None,
        };
        if column == format!("temp{other}") || named == Some(other) {
            return Err(invalid(
                &self.path,
                format!(
                    "the column {column} is named for °{other}, and --temperature-unit {given} was given: which is it?"
                ),
            ));
        }
        let read: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let hot = read.iter().filter(|v| **v > 140.0).count();
        let warmest = read.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let as_given = |f: f64| match unit {
            TempUnit::F => f,
            TempUnit::C => (f - 32.0) * 5.0 / 9.0,
        };
        if hot >= 10 && hot * 100 > read.len() {
            let reads_as = if as_given(warmest) > 200.0 {
                "K"
            } else {
                "°F"
            };
            return Err(invalid(
                &self.path,
                format!(
                    "{column}: {hot} of its {} values are above 60 °C read as °{given} (up to {}), which no air reaches: they read as {reads_as}; give --temperature-unit {}",
                    read.len(),
                    as_given(warmest),
                    if reads_as == "K" {
                        "C after converting them (K − 273.15)"
                    } else {
                        "F"
                    }
                ),
            ));
        }
        let (first, last) = self.span();
        if unit == TempUnit::F && last - first >= 300 * 86_400 && warmest < 45.0 {
            return Err(invalid(
                &self.path,
                format!(
                    "{column}: the warmest hour of its {} days is {warmest} °F ({:.1} °C), colder than any inhabited place's summer: they read as °C; give --temperature-unit C",
                    (last - first) / 86_400,
                    (warmest - 32.0) * 5.0 / 9.0
                ),
            ));
        }
        Ok(())
    }

    /// First reading and the end of the last reading's hour.
    pub fn span(&self) -> (i64, i64) {
        (self.times[0], self.times[self.times.len() - 1] + HOUR)
    }

    /// (sum of present readings, count present) in [s, e).
    pub fn sum_in(&self, s: i64, e: i64) -> (f64, usize) {
        let a = self.times.partition_point(|t| *t < s);
        let b = self.times.partition_point(|t| *t < e);
        let mut sum = 0.0;
        let mut n = 0;
        for v in &self.values[a..b] {
            if !v.is_nan() {
                sum += v;
                n += 1;
            }
        }
        (sum, n)
    }

    /// The mean temperature of [s, e) and its coverage (present / expected hours).
    pub fn mean_in(&self, s: i64, e: i64) -> (f64, f64) {
        let (sum, n) = self.sum_in(s, e);
        let expected = (e - s) as f64 / HOUR as f64;
        let mean = if n == 0 { f64::NAN } else { sum / n as f64 };
        (mean, n as f64 / expected)
    }

    /// The local hour (in `zone`) at which the mean daily cycle peaks, its swing (°F) and
    /// the days it spans; `None` where an hour of the day has fewer than three readings.
    pub fn daily_peak(&self, zone: Tz) -> Option<(usize, f64, i64)> {
        use chrono::{Offset, TimeZone};
        let by_hour = self.times.iter().zip(&self.values).filter_map(|(&t, &v)| {
            let utc = chrono::DateTime::from_timestamp(t, 0)?;
            let off = zone
                .offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc();
            Some((((t + i64::from(off)).rem_euclid(DAY) / HOUR) as usize, v))
        });
        let (peak, swing) = terrawatt_table::screen::daily_cycle(by_hour)?;
        let (first, last) = self.span();
        Some((peak, swing, (last - first) / DAY))
    }

    /// Refuses temperatures whose mean daily cycle, on `zone`'s clock (the meter's), swings
    /// by [`TEMPERATURE_SWING_F`] or more and peaks outside [`TEMPERATURE_PEAK_HOURS`]:
    /// naive stamps read in another zone than their own (a weather station's UTC read as
    /// the meter's local time), which would give each hour or day of use the temperature
    /// of hours before or after.
    pub fn check_clock(&self, zone: Tz) -> Result<()> {
        let Some((peak, swing, days)) = self.daily_peak(zone) else {
            return Ok(());
        };
        if swing < TEMPERATURE_SWING_F || TEMPERATURE_PEAK_HOURS.contains(&peak) {
            return Ok(());
        }
        // against a peak from 13:00 to 17:00
        let (near, far, way) = terrawatt_table::screen::hours_off(peak, 13, 17);
        Err(invalid(
            &self.path,
            format!(
                "its mean daily cycle ({:.1} °C over {days} days) peaks at {peak:02}:00 in {zone}, where air is warmest from 13:00 to 17:00 local time: its stamps run {near}–{far} h {way}, as a weather station's UTC stamps read as local time do, and each period would be given the temperature of other hours. Give the temperature file's zone with --temperature-tz (e.g. UTC), or --allow-temperature-shift to use it as stamped",
                swing * 5.0 / 9.0
            ),
        ))
    }
}

/// The local clock hours in which the mean daily cycle of outdoor air may peak
/// (10:00–19:59): stations see it from 13:00 to 17:00 (later under daylight saving, or in
/// the west of a wide zone); eemeter's Illinois file peaks at 15:00 in Chicago.
pub const TEMPERATURE_PEAK_HOURS: std::ops::RangeInclusive<usize> = 10..=19;

/// The least swing of the mean daily cycle (°F; 3 °C) that [`TEMPERATURE_PEAK_HOURS`]
/// judges: under it the peak hour means little.
pub const TEMPERATURE_SWING_F: f64 = 5.4;

/// Local calendar (year, month) of an instant with an offset.
pub fn local_month(t: i64, offset: i32) -> (i32, u32) {
    let l = Stamp { t, offset }.local();
    (l.year(), l.month())
}

/// Hour of week in the local clock: 24 × weekday (Monday = 0) + hour.
pub fn hour_of_week(t: i64, offset: i32) -> usize {
    let l = Stamp { t, offset }.local();
    l.weekday().num_days_from_monday() as usize * 24 + l.hour() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_with_offsets_zones_gaps_and_folds() {
        let a = parse_stamp("2016-03-14T00:00:00-05:00", None).unwrap();
        assert_eq!(a.t, 1_457_931_600);
        assert_eq!(a.offset, -5 * 3600);
        assert!(
            parse_stamp("2016-03-14 00:00:00", None)
                .unwrap_err()
                .to_string()
                .contains("--tz")
        );
        let z: Tz = "America/Chicago".parse().unwrap();
        let b = parse_stamp("2016-03-14 00:00:00", Some(z)).unwrap();
        assert_eq!(b, a);
        assert!(
            parse_stamp("2016-03-13 02:30:00", Some(z))
                .unwrap_err()
                .to_string()
                .contains("does not exist")
        );
        assert!(
            parse_stamp("2016-11-06 01:30:00", Some(z))
                .unwrap_err()
                .to_string()
                .contains("ambiguous")
        );
        assert_eq!(hour_of_week(a.t, a.offset), 0); // a Monday, midnight
        assert_eq!(local_month(a.t, a.offset), (2016, 3));
    }
}
