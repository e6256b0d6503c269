//! Time stamps with explicit UTC offsets: text with offsets, naive text in a named zone
//! (gaps and folds refused), and Parquet datetime columns with a zone (IANA or a fixed
//! offset such as `-07:00`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::{Table, TableError};

/// An instant and the UTC offset (seconds east) it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub t: i64,
    pub offset: i32,
}

impl Stamp {
    pub fn local(&self) -> NaiveDateTime {
        DateTime::from_timestamp(self.t + self.offset as i64, 0)
            .expect("in range")
            .naive_utc()
    }

    pub fn rfc3339(&self) -> String {
        rfc3339(self.t, self.offset)
    }
}

/// `2016-03-14T00:00:00-05:00`.
pub fn rfc3339(t: i64, offset: i32) -> String {
    let off = FixedOffset::east_opt(offset).expect("valid offset");
    DateTime::from_timestamp(t, 0)
        .expect("in range")
        .with_timezone(&off)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Reads a timestamp with its offset; a naive one only with a zone (gaps and folds refused).
pub fn parse_stamp(text: &str, zone: Option<Tz>) -> Result<Stamp, TableError> {
    let s = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(Stamp {
            t: dt.timestamp(),
            offset: dt.offset().local_minus_utc(),
        });
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Ok(Stamp {
                t: dt.timestamp(),
                offset: dt.offset().local_minus_utc(),
            });
        }
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight"))
    });
    let Some(naive) = naive else {
        let slashed = if s.contains('/') {
            " (a date with slashes, such as 1/2/2022, is read neither way: month/day and day/month look alike; rewrite it year first)"
        } else {
            ""
        };
        return Err(TableError::Time(format!(
            "'{s}' is not a timestamp: ISO 8601 year first, with a UTC offset (2016-03-14T00:00:00-05:00) or without one and a zone given (2016-03-14 00:00 with --tz America/Chicago){slashed}"
        )));
    };
    let Some(zone) = zone else {
        return Err(TableError::Time(format!(
            "'{s}' has no UTC offset; write the offset (e.g. {}-06:00) or name the zone with --tz (e.g. --tz America/Chicago)",
            naive.format("%Y-%m-%dT%H:%M:%S")
        )));
    };
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(dt) => Ok(Stamp {
            t: dt.timestamp(),
            offset: dt.offset().fix().local_minus_utc(),
        }),
        chrono::LocalResult::None => Err(TableError::Time(format!(
            "'{s}' does not exist in {zone} (skipped by a daylight-saving change)"
        ))),
        chrono::LocalResult::Ambiguous(a, b) => Err(TableError::Time(format!(
            "'{s}' is ambiguous in {zone} (it happens twice, at offsets {} and {}); write the offset",
            a.offset().fix(),
            b.offset().fix()
        ))),
    }
}

/// A duration, in whole seconds: a count and a unit, `30s`, `15min`, `1h`, `4h`, `60d`, also
/// compound (`1h30m`), spaced (`3 h`), fractional where the seconds are whole (`1.5h`), or a
/// bare unit (`h` = `1h`). Units: s/sec/second(s), m/min/minute(s)/T, h/H/hour(s),
/// d/D/day(s). The one parser behind every duration flag (`--freq`, `--interval`,
/// `--horizon`, `--duration`, …).
pub fn parse_duration(text: &str) -> Result<i64, TableError> {
    let bad =
        || format!("'{text}': not a duration: a count and a unit, e.g. 30s, 15min, 1h, 1h30m, 2d");
    let s = text.trim();
    if s.is_empty() {
        return Err(TableError::Time(bad()));
    }
    let mut total = 0.0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(n_end);
        let tail = tail.trim_start();
        let u_end = tail
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(tail.len());
        let (unit, after) = tail.split_at(u_end);
        let n: f64 = if num.is_empty() {
            if total > 0.0 || !after.trim().is_empty() {
                return Err(TableError::Time(bad()));
            }
            1.0
        } else {
            num.parse().map_err(|_| TableError::Time(bad()))?
        };
        let unit_s = match unit {
            "s" | "sec" | "second" | "seconds" | "S" => 1.0,
            "m" | "min" | "minute" | "minutes" | "T" => 60.0,
            "h" | "H" | "hour" | "hours" => 3600.0,
            "d" | "D" | "day" | "days" => 86_400.0,
            _ => return Err(TableError::Time(bad())),
        };
        total += n * unit_s;
        rest = after.trim_start();
    }
    if !(total.is_finite() && total >= 1.0) || (total - total.round()).abs() > 1e-9 {
        return Err(TableError::Time(format!(
            "{}: it must be a whole number of seconds, at least 1",
            bad()
        )));
    }
    Ok(total.round() as i64)
}

/// Parses an IANA zone name.
pub fn parse_zone(name: &str) -> Result<Tz, TableError> {
    name.parse::<Tz>().map_err(|_| {
        TableError::Time(format!(
            "--tz '{name}' is not an IANA time zone name (e.g. America/Chicago, Europe/Paris, UTC)"
        ))
    })
}

/// A fixed offset written `+HH:MM` / `-HH:MM` (or `UTC`/`Z`), in seconds east.
fn fixed_offset(name: &str) -> Option<i32> {
    let s = name.trim();
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 18 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Reads a timestamp column (text with offsets, or a Parquet datetime column): one stamp per
/// row, `None` where the cell is empty. `zone` is the user's `--tz`, needed for naive times.
pub fn read_stamps(
    table: &Table,
    column: &str,
    zone: Option<Tz>,
) -> Result<Vec<Option<Stamp>>, TableError> {
    let invalid = |message: String| TableError::Invalid {
        path: table.path.clone(),
        message,
    };
    if let Some(dts) = table.datetimes(column)? {
        let (ms, tz) = (dts.millis, dts.zone);
        enum Zone {
            Iana(Tz),
            Fixed(i32),
        }
        let file_zone = match (&tz, zone) {
            (_, Some(z)) => Some(Zone::Iana(z)),
            (Some(name), None) => Some(match fixed_offset(name) {
                Some(o) => Zone::Fixed(o),
                None => Zone::Iana(parse_zone(name).map_err(|_| {
                    invalid(format!(
                        "column '{column}' has the unknown time zone '{name}'"
                    ))
                })?),
            }),
            (None, None) => None,
        };
        let mut out = Vec::with_capacity(ms.len());
        for (row, v) in ms.iter().enumerate() {
            let Some(v) = v else {
                out.push(None);
                continue;
            };
            let t = v.div_euclid(1000);
            match (tz.is_some(), &file_zone) {
                (true, Some(Zone::Fixed(o))) => out.push(Some(Stamp { t, offset: *o })),
                (true, Some(Zone::Iana(z))) => {
                    let dt = DateTime::from_timestamp(t, 0)
                        .expect("in range")
                        .with_timezone(z);
                    out.push(Some(Stamp {
                        t,
                        offset: dt.offset().fix().local_minus_utc(),
                    }));
                }
                (false, Some(Zone::Iana(z))) => {
                    let naive = DateTime::from_timestamp(t, 0)
                        .expect("in range")
                        .naive_utc();
                    let text = naive.format("%Y-%m-%dT%H:%M:%S").to_string();
                    out.push(Some(parse_stamp(&text, Some(*z)).map_err(|e| {
                        invalid(format!("column '{column}', {}: {e}", table.place(row)))
                    })?));
                }
                _ => {
                    return Err(invalid(format!(
                        "column '{column}' holds timestamps without a time zone; name the zone with --tz (e.g. --tz America/Chicago)"
                    )));
                }
            }
        }
        return Ok(out);
    }
    let text = table.strings(column)?;
    let mut out = Vec::with_capacity(text.len());
    for (row, s) in text.iter().enumerate() {
        let t = s.trim();
        if t.is_empty() {
            out.push(None);
            continue;
        }
        out.push(Some(parse_stamp(t, zone).map_err(|e| {
            invalid(format!("column '{column}', {}: {e}", table.place(row)))
        })?));
    }
    Ok(out)
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        for (t, want) in [
            ("15min", 900),
            ("4h", 14_400),
            ("60d", 5_184_000),
            ("30s", 30),
            ("1h30m", 5_400),
            ("3 h", 10_800),
            ("1.5h", 5_400),
            ("h", 3_600),
            ("15T", 900),
            ("2 days", 172_800),
        ] {
            assert_eq!(parse_duration(t).ok(), Some(want), "{t}");
        }
        for t in ["0h", "", "3 weeks", "h2", "-1h", "0.5s", "1h x"] {
            assert!(parse_duration(t).is_err(), "{t}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_slashed_date_is_refused_as_ambiguous() {
        let zone: chrono_tz::Tz = "America/Denver".parse().unwrap();
        let e = super::parse_stamp("1/2/2022 0:00", Some(zone))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("1/2/2022 0:00") && e.contains("year first"),
            "{e}"
        );
        assert!(super::parse_stamp("2022-01-02 00:00", Some(zone)).is_ok());
    }

    #[test]
    fn fixed_offsets() {
        assert_eq!(super::fixed_offset("-07:00"), Some(-25_200));
        assert_eq!(super::fixed_offset("+05:30"), Some(19_800));
        assert_eq!(super::fixed_offset("UTC"), Some(0));
        assert_eq!(super::fixed_offset("America/Denver"), None);
    }
}
