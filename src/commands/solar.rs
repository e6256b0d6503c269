//! `terrawatt solar …`: solar physics.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, Offset as _};
use chrono_tz::Tz;
use serde_json::json;
use terrawatt_building::series::{parse_stamp, parse_zone};
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_solar::spa::{self, Site};

use crate::cli::{SolarPositionArgs, TableFormat};
use crate::commands::building::check_output;
use crate::task::{Ctx, Outcome};

/// `30s`, `1min`, `15min`, `1h`, `1d` → seconds.
pub fn parse_freq(s: &str) -> Result<i64> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = if num.is_empty() {
        1
    } else {
        num.parse().map_err(|_| anyhow!("--freq '{s}'"))?
    };
    let unit_s = match unit.trim() {
        "s" | "sec" | "S" => 1,
        "min" | "m" | "T" => 60,
        "h" | "H" | "hour" => 3600,
        "d" | "D" | "day" => 86_400,
        _ => bail!("--freq '{s}': use a count and a unit: 30s, 1min, 15min, 1h, 1d"),
    };
    if n <= 0 {
        bail!("--freq '{s}' must be positive");
    }
    Ok(n * unit_s)
}

const COLUMNS: [&str; 8] = [
    "apparent_zenith",
    "zenith",
    "apparent_elevation",
    "elevation",
    "azimuth",
    "equation_of_time",
    "declination",
    "hour_angle",
];

fn values(p: &spa::Position) -> [f64; 8] {
    [
        p.apparent_zenith,
        p.zenith,
        p.apparent_elevation,
        p.elevation,
        p.azimuth,
        p.equation_of_time,
        p.declination,
        p.hour_angle,
    ]
}

/// The time label of an instant in the output's clock.
fn label(t: i64, zone: Option<Tz>, offset: i32) -> String {
    let utc = DateTime::from_timestamp(t, 0).expect("in range");
    let off = match zone {
        Some(z) => utc.with_timezone(&z).offset().fix(),
        None => chrono::FixedOffset::east_opt(offset).expect("valid offset"),
    };
    utc.with_timezone(&off)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

pub fn position(span: &mut Span, ctx: &Ctx, a: &SolarPositionArgs) -> Result<Outcome> {
    let zone =
        a.tz.as_deref()
            .map(parse_zone)
            .transpose()
            .map_err(|e| anyhow!(e))?;
    let site = Site {
        latitude: a.lat,
        longitude: a.lon,
        elevation: a.elevation,
        pressure: a.pressure,
        temperature: a.temperature,
        refraction: 0.5667,
    };
    site.check()
        .map_err(|e| anyhow!("--lat/--lon/--elevation/--pressure/--temperature: {e}"))?;
    if !a.delta_t.is_finite() || a.delta_t.abs() > 10_000.0 {
        bail!("--delta-t {} s is outside ±10,000 s", a.delta_t);
    }
    let start = parse_stamp(&a.start, zone).map_err(|e| anyhow!("--start: {e}"))?;
    let end = parse_stamp(&a.end, zone).map_err(|e| anyhow!("--end: {e}"))?;
    let step = parse_freq(&a.freq)?;
    if end.t <= start.t {
        bail!("--end {} is not after --start {}", a.end, a.start);
    }
    let n = ((end.t - start.t) + step - 1) / step;
    if n > 200_000_000 {
        bail!("{n} instants: more than 200 million; split the range");
    }
    check_output(&a.out, &[])?;
    let bar = ctx.progress(n as u64, "solar position");
    let chunk = 1 << 16;
    let tmp = tmp_path(&a.out);
    let result = span.phase("compute and write", |_| -> Result<()> {
        match a.format {
            TableFormat::Csv => {
                let file = std::fs::File::create(&tmp)
                    .with_context(|| format!("writing {}", tmp.display()))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
                writeln!(w, "time,{}", COLUMNS.join(","))?;
                let mut i0 = 0i64;
                while i0 < n {
                    let i1 = (i0 + chunk).min(n);
                    let times: Vec<f64> = (i0..i1).map(|i| (start.t + i * step) as f64).collect();
                    let pos = spa::positions(&times, &[site], a.delta_t).remove(0);
                    for (k, p) in pos.iter().enumerate() {
                        write!(
                            w,
                            "{}",
                            label(start.t + (i0 + k as i64) * step, zone, start.offset)
                        )?;
                        for v in values(p) {
                            write!(w, ",{v}")?;
                        }
                        writeln!(w)?;
                    }
                    bar.inc((i1 - i0) as u64);
                    i0 = i1;
                }
                w.flush()?;
                Ok(())
            }
            TableFormat::Parquet => {
                let times: Vec<f64> = (0..n).map(|i| (start.t + i * step) as f64).collect();
                let pos = spa::positions(&times, &[site], a.delta_t).remove(0);
                let labels: Vec<String> = (0..n)
                    .map(|i| label(start.t + i * step, zone, start.offset))
                    .collect();
                let cols: Vec<Vec<f64>> = (0..COLUMNS.len())
                    .map(|j| pos.iter().map(|p| values(p)[j]).collect())
                    .collect();
                let named: Vec<(&str, &[f64])> = COLUMNS
                    .iter()
                    .zip(&cols)
                    .map(|(c, v)| (*c, v.as_slice()))
                    .collect();
                terrawatt_table::write_parquet_atomic(&tmp, ("time", labels), &named)?;
                Ok(())
            }
        }
    });
    bar.finish_and_clear();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &a.out).with_context(|| format!("writing {}", a.out.display()))?;
    let years = (n * step) as f64 / (365.25 * 86_400.0);
    Ok(Outcome {
        results: json!({
            "out": a.out,
            "instants": n,
            "step_seconds": step,
            "site": site,
            "delta_t": a.delta_t,
            "columns": COLUMNS,
        }),
        text: format!(
            "{n} solar positions ({} to {}, every {} s) at {:.4}°, {:.4}° written to {}\n",
            label(start.t, zone, start.offset),
            label(start.t + (n - 1) * step, zone, start.offset),
            step,
            a.lat,
            a.lon,
            a.out.display()
        ),
        unit: Some(FunctionalUnit::new("site-year", years)),
    })
}

fn tmp_path(out: &Path) -> std::path::PathBuf {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map_or("out".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ))
}
