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
use crate::task::check_output;
use crate::task::{Ctx, Outcome};

/// `30s`, `1min`, `15min`, `1h`, `1d` → seconds (the one duration parser).
pub fn parse_freq(s: &str) -> Result<i64> {
    terrawatt_table::time::parse_duration(s).map_err(|e| anyhow!("--freq {e}"))
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
    // Ctrl-C / SIGTERM stop the writing between chunks: the temporary file is removed and
    // the energy line printed, as for a raster task
    terrawatt_raster::blocks::arm();
    let result = span.phase("compute and write", |_| -> Result<()> {
        match a.format {
            TableFormat::Csv => {
                let file = std::fs::File::create(&tmp)
                    .with_context(|| format!("writing {}", tmp.display()))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
                writeln!(w, "time,{}", COLUMNS.join(","))?;
                let mut i0 = 0i64;
                while i0 < n {
                    terrawatt_raster::blocks::check_interrupt()?;
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
                terrawatt_raster::blocks::check_interrupt()?;
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

fn time_range(
    start: &str,
    end: &str,
    freq: &str,
    zone: Option<Tz>,
) -> Result<(i64, i64, i64, i32)> {
    let s = parse_stamp(start, zone).map_err(|e| anyhow!("--start: {e}"))?;
    let e = parse_stamp(end, zone).map_err(|e| anyhow!("--end: {e}"))?;
    let step = parse_freq(freq)?;
    if e.t <= s.t {
        bail!("--end {end} is not after --start {start}");
    }
    let n = ((e.t - s.t) + step - 1) / step;
    if n > 200_000_000 {
        bail!("{n} instants: more than 200 million; split the range");
    }
    Ok((s.t, n, step, s.offset))
}

pub fn clearsky(span: &mut Span, _ctx: &Ctx, a: &crate::cli::SolarClearskyArgs) -> Result<Outcome> {
    use terrawatt_solar::irradiance as irr;
    use terrawatt_solar::system::day_of_year_utc;
    let zone =
        a.tz.as_deref()
            .map(parse_zone)
            .transpose()
            .map_err(|e| anyhow!(e))?;
    let site = Site {
        elevation: a.elevation,
        ..Site::new(a.lat, a.lon)
    };
    site.check()
        .map_err(|e| anyhow!("--lat/--lon/--elevation: {e}"))?;
    let linke: Vec<f64> = a
        .linke
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| anyhow!("--linke '{}': not a number", v.trim()))
        })
        .collect::<Result<_>>()?;
    let monthly: Option<[f64; 12]> = match (&a.linke_file, linke.len()) {
        (Some(f), _) => Some(
            span.phase("linke climatology", |_| {
                terrawatt_raster::linke::monthly(f, a.lat, a.lon)
            })
            .map_err(|e| anyhow!("--linke-file: {e}"))?,
        ),
        (None, 1) => None,
        (None, 12) => Some(linke.clone().try_into().expect("twelve")),
        (None, n) => bail!("--linke takes one value or twelve monthly values, not {n}"),
    };
    let linke: Vec<f64> = monthly.map_or(linke, |m| m.to_vec());
    if linke.iter().any(|v| !(*v > 0.0 && *v < 20.0)) {
        bail!("--linke values must be in (0, 20)");
    }
    if !((0.0..=1.0).contains(&a.aod700) && a.precipitable_water >= 0.0) {
        bail!("--aod700 must be in 0..1 and --precipitable-water ≥ 0");
    }
    let (t0, n, step, offset) = time_range(&a.start, &a.end, &a.freq, zone)?;
    check_output(&a.out, &[])?;
    // the standard atmosphere's pressure at the elevation (Pa)
    let pressure = 100.0 * ((44_331.514 - a.elevation) / 11_880.516).powf(1.0 / 0.190_263_2);
    let site = Site {
        pressure: pressure / 100.0,
        ..site
    };
    let times: Vec<f64> = (0..n).map(|i| (t0 + i * step) as f64).collect();
    let rows = span.phase("compute", |_| {
        let pos = spa::positions(&times, &[site], 67.0).remove(0);
        times
            .iter()
            .zip(&pos)
            .map(|(t, p)| {
                let doy = day_of_year_utc(*t);
                let e0 = irr::extra_spencer(doy);
                match a.model {
                    crate::cli::ClearskyModel::Haurwitz => {
                        let g = irr::haurwitz(p.apparent_zenith);
                        irr::ClearSky {
                            ghi: g,
                            dni: f64::NAN,
                            dhi: f64::NAN,
                        }
                    }
                    crate::cli::ClearskyModel::Solis => irr::simplified_solis(
                        p.apparent_elevation,
                        a.aod700,
                        a.precipitable_water,
                        pressure,
                        e0,
                    ),
                    crate::cli::ClearskyModel::Ineichen => {
                        let year = DateTime::from_timestamp(*t as i64, 0).expect("in range");
                        let leap =
                            chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&year), 2, 29)
                                .is_some();
                        let lt = monthly.map_or(linke[0], |m| irr::linke_monthly(&m, doy, leap));
                        let am = irr::airmass_absolute(
                            irr::airmass_relative(
                                p.apparent_zenith,
                                irr::AirmassModel::KastenYoung1989,
                            ),
                            pressure,
                        );
                        irr::ineichen(p.apparent_zenith, am, lt, a.elevation, e0)
                    }
                }
            })
            .collect::<Vec<_>>()
    });
    let mut csv = String::from("time,ghi,dni,dhi\n");
    for (i, r) in rows.iter().enumerate() {
        let v = |x: f64| {
            if x.is_nan() {
                String::new()
            } else {
                x.to_string()
            }
        };
        use std::fmt::Write as _;
        writeln!(
            csv,
            "{},{},{},{}",
            label(t0 + i as i64 * step, zone, offset),
            v(r.ghi),
            v(r.dni),
            v(r.dhi)
        )?;
    }
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, csv.as_bytes())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    let years = (n * step) as f64 / (365.25 * 86_400.0);
    Ok(Outcome {
        results: json!({ "out": a.out, "instants": n, "model": format!("{:?}", a.model).to_lowercase(), "linke": linke }),
        text: format!("{n} clear-sky values written to {}\n", a.out.display()),
        unit: Some(FunctionalUnit::new("site-year", years)),
    })
}

pub fn simulate(span: &mut Span, _ctx: &Ctx, a: &crate::cli::SolarSimulateArgs) -> Result<Outcome> {
    use std::fmt::Write as _;
    use terrawatt_solar::weather::{self, Label};
    let at = Label::parse(&a.position_at).ok_or_else(|| {
        anyhow!(
            "--position-at '{}': expected start, centre or end",
            a.position_at
        )
    })?;
    let terrawatt_solar::system::SystemFile { system, location } =
        terrawatt_solar::system::System::from_toml_file(&a.system)?;
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &[&a.weather, &a.system])?;
    }
    let mut w = span.phase("read", |_| -> Result<_> {
        if a.table {
            read_weather_table(a)
        } else {
            Ok(weather::read_auto(&a.weather, a.year)?)
        }
    })?;
    if let Some(l) = &location {
        let s = Site {
            elevation: l.altitude.unwrap_or(w.altitude),
            ..Site::new(l.latitude, l.longitude)
        };
        s.check()
            .map_err(|e| anyhow!("{}: [location] {e}", a.system.display()))?;
        w.latitude = l.latitude;
        w.longitude = l.longitude;
        w.altitude = s.elevation;
    }
    Site {
        elevation: w.altitude,
        ..Site::new(w.latitude, w.longitude)
    }
    .check()
    .map_err(|e| {
        if a.table && (a.lat.is_none() || a.lon.is_none()) {
            anyhow!(
                "a weather table does not say where the site is: give --lat and --lon (or the system file's [location])"
            )
        } else if a.table {
            anyhow!("--lat/--lon/--elevation: {e}")
        } else {
            anyhow!(
                "{}: the site in its header: {e}; fix the file, or give the site in the system file's [location]",
                a.weather.display()
            )
        }
    })?;
    let fills = a.fill_gaps.map(|n| w.fill_gaps(n)).unwrap_or_default();
    let sim = span.phase("simulate", |_| {
        terrawatt_solar::system::simulate(&w, &system, at, a.delta_t)
    });
    // what the figures cover: a typical year must be whole to be called annual
    let (rows_h, year_h, holes) = w.coverage(a.year);
    let missing_h = sim.missing_intervals as f64 * w.interval as f64 / 3600.0;
    let covered_h = (rows_h - missing_h).max(0.0);
    let typical_year = !a.table;
    let whole = typical_year && holes.is_empty() && covered_h >= year_h - 1e-6;
    if typical_year && !whole && !a.allow_partial {
        let mut why = Vec::new();
        if rows_h < year_h - 1e-6 {
            why.push(format!(
                "its rows cover {rows_h:.0} of the year's {year_h:.0} hours"
            ));
        }
        if let Some((s0, e0)) = holes.first() {
            why.push(format!(
                "{} hole(s) between rows, the first from {} to {}",
                holes.len(),
                label(*s0, None, w.offset),
                label(*e0, None, w.offset)
            ));
        }
        if sim.missing_intervals > 0 {
            why.push(format!(
                "{} interval(s) have missing weather (--fill-gaps N fills short runs)",
                sim.missing_intervals
            ));
        }
        bail!(
            "{}: a typical-year file must cover its whole year to give annual figures, but {}; pass --allow-partial to compute on what it covers (the figures are then labelled with their coverage)",
            a.weather.display(),
            why.join("; ")
        );
    }
    let coverage = (covered_h / year_h).min(1.0);
    if let Some(out) = &a.out {
        let mut csv = String::from(
            "time,interval_start,apparent_zenith,azimuth,surface_tilt,surface_azimuth,aoi,poa_global,poa_direct,poa_diffuse,temp_cell,pdc,pac\n",
        );
        for (i, s) in sim.steps.iter().enumerate() {
            let v = |x: f64| {
                if x.is_nan() {
                    String::new()
                } else {
                    x.to_string()
                }
            };
            writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                label(w.at(i, at), None, w.offset),
                label(w.times[i], None, w.offset),
                v(s.apparent_zenith),
                v(s.azimuth),
                v(s.surface_tilt),
                v(s.surface_azimuth),
                v(s.aoi),
                v(s.poa_global),
                v(s.poa_direct),
                v(s.poa_diffuse),
                v(s.temp_cell),
                v(s.pdc),
                v(s.pac)
            )?;
        }
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, csv.as_bytes())
        })
        .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(p) = &a.plot {
        let kwh = |s: &terrawatt_solar::system::Step| s.pac * w.interval as f64 / 3.6e6;
        let monthly = crate::plot::monthly_sums(
            w.times.iter().zip(&sim.steps).map(|(t, s)| (*t, kwh(s))),
            w.offset as i64,
        );
        span.phase("plot", |_| {
            crate::plot::monthly_bars(p, "AC energy per month", "kWh", &monthly)
        })?;
    }
    let mut t = String::new();
    writeln!(
        t,
        "{} ({}, {:.3}°, {:.3}°): {} intervals of {} s, positions at interval {}",
        w.name,
        w.format,
        w.latitude,
        w.longitude,
        w.len(),
        w.interval,
        at
    )?;
    let period = if whole {
        "annual AC energy".to_string()
    } else if typical_year {
        format!(
            "PARTIAL YEAR: AC energy over the {covered_h:.0} covered hours ({:.1} % of the year's {year_h:.0})",
            coverage * 100.0
        )
    } else {
        format!("AC energy over the table's {covered_h:.0} hours with weather")
    };
    writeln!(
        t,
        "{period} {:.1} kWh · specific yield {:.0} kWh/kWp · capacity factor {:.1} % (DC nameplate {} kW, losses {:.2} %)",
        sim.energy_kwh,
        sim.specific_yield,
        100.0 * sim.capacity_factor,
        system.kwp,
        sim.loss_percent
    )?;
    for (name, n, why) in &w.screened {
        writeln!(t, "  {name}: {n} values set missing ({why})")?;
    }
    if sim.missing_intervals > 0 {
        writeln!(
            t,
            "missing: {} intervals have no power (missing weather); the totals cover the rest",
            sim.missing_intervals
        )?;
    }
    for (name, n) in &w.missing {
        writeln!(t, "  {name}: {n} missing values in the file")?;
    }
    for (name, filled, left) in &fills {
        writeln!(
            t,
            "  {name}: {filled} values filled by interpolation (--fill-gaps), {left} left missing"
        )?;
    }
    Ok(Outcome {
        results: json!({
            "weather": a.weather,
            "format": w.format,
            "site": { "name": w.name, "latitude": w.latitude, "longitude": w.longitude, "altitude": w.altitude },
            "system": system,
            "annual_energy_kwh": whole.then_some(sim.energy_kwh),
            "energy_kwh": sim.energy_kwh,
            "covered_hours": covered_h,
            "year_hours": year_h,
            "coverage": coverage,
            "holes": holes.len(),
            "screened": w.screened.iter().map(|(c, n, why)| json!({"column": c, "count": n, "rule": why})).collect::<Vec<_>>(),
            "specific_yield_kwh_per_kwp": sim.specific_yield,
            "capacity_factor": sim.capacity_factor,
            "missing_intervals": sim.missing_intervals,
            "filled": fills.iter().map(|(c, f, l)| json!({"column": c, "filled": f, "left_missing": l})).collect::<Vec<_>>(),
            "loss_percent": sim.loss_percent,
            "evaluated_at": at,
        }),
        text: t,
        unit: Some(FunctionalUnit::new("site-year", sim.hours / 8766.0)),
    })
}

pub fn sample_weather(
    span: &mut Span,
    _ctx: &Ctx,
    a: &crate::cli::SolarSampleArgs,
) -> Result<Outcome> {
    check_output(&a.out, &[])?;
    let text = span.phase("generate", |_| terrawatt_solar::sample::pvgis_csv(a.seed));
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, text.as_bytes())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    let (lat, lon, elev) = terrawatt_solar::sample::SITE;
    Ok(Outcome {
        results: json!({ "out": a.out, "seed": a.seed, "latitude": lat, "longitude": lon, "elevation": elev, "hours": 8760 }),
        text: format!(
            "a synthetic weather year (seed {}, {lat}° N, {lon}° E, {elev} m; PVGIS TMY CSV layout) written to {}\n",
            a.seed,
            a.out.display()
        ),
        unit: Some(FunctionalUnit::new("site-year", 1.0)),
    })
}

/// Reads a weather table: time stamps with offsets (or naive with a zone, or Year/Month/
/// Day/Hour/Minute columns with a zone), columns by name, NaN kept.
fn read_weather_table(
    a: &crate::cli::SolarSimulateArgs,
) -> Result<terrawatt_solar::weather::Weather> {
    use terrawatt_solar::weather::{Label, TableSettings, Weather};
    let zone =
        a.tz.as_deref()
            .map(parse_zone)
            .transpose()
            .map_err(|e| anyhow!(e))?;
    let label = Label::parse(&a.label)
        .ok_or_else(|| anyhow!("--label '{}': expected start, end or centre", a.label))?;
    Ok(Weather::from_table(&TableSettings {
        path: a.weather.clone(),
        zone,
        label,
        columns: a.columns.clone(),
        latitude: a.lat,
        longitude: a.lon,
        elevation: a.elevation,
    })?)
}
