//! A PV system over a weather file or table: read, checked for its site and (for a
//! typical year) its coverage, simulated, the intervals written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use terrawatt_meter::Span;

use crate::SolarError;
use crate::clock::{self, ClockCheck};
use crate::irradiance;
use crate::spa::Site;
use crate::system::{self, Simulation, SystemFile};
use crate::tasks::{cell, label};
use crate::weather::{self, Label, TableSettings, Weather};

/// Where the weather comes from.
#[derive(Debug, Clone)]
pub enum WeatherSource {
    /// A typical-year file (TMY3, TMY2, EPW, PSM3, PVGIS; the format is recognised).
    File(PathBuf),
    /// A table (its site from the settings or the system file's `[location]`).
    Table(TableSettings),
}

impl WeatherSource {
    /// The weather file's path.
    pub fn path(&self) -> &Path {
        match self {
            WeatherSource::File(p) => p,
            WeatherSource::Table(t) => &t.path,
        }
    }
}

/// A PV system's simulation.
#[derive(Debug, Clone)]
pub struct Settings {
    pub weather: WeatherSource,
    /// The year a typical-year file's rows are placed in.
    pub year: i32,
    /// The system: a file read (`System::from_toml_file`) or one built in code
    /// (`System::pvwatts(…)?.into()`).
    pub system: SystemFile,
    /// The system file's path, which names the `[location]`'s errors; `None` for a system
    /// built in code.
    pub system_path: Option<PathBuf>,
    /// Where in each interval the sun's position is taken.
    pub at: Label,
    /// TT − UT (s).
    pub delta_t: f64,
    /// Fill runs of at most this many missing values by interpolation.
    pub fill_gaps: Option<usize>,
    /// Accept a typical-year file that does not cover its whole year.
    pub allow_partial: bool,
    /// Simulate weather whose clock is off the Sun's by [`CLOCK_REFUSED`] minutes or more
    /// (said in a note) instead of refusing it.
    pub allow_clock_shift: bool,
    /// Simulate GHI, DNI and DHI that do not close (median GHI / (DNI·cos Z + DHI) beyond
    /// 1 ± 15 %) instead of refusing them.
    pub allow_open_closure: bool,
    /// Simulate GHI whose clearest days stay dim (nine days in ten never reach
    /// [`DIM_DAYS`] of the clear sky: Wh/m² per 30 minutes?) instead of refusing it.
    pub allow_dim_sky: bool,
    /// Where every interval is written (CSV), if anywhere.
    pub out: Option<PathBuf>,
}

/// A simulated system.
#[derive(Debug, Clone)]
pub struct Report {
    /// The weather, with the site used.
    pub weather: Weather,
    pub system: system::System,
    pub simulation: Simulation,
    /// Values filled: (column, filled, left missing).
    pub fills: Vec<(String, usize, usize)>,
    pub at: Label,
    /// A typical-year file (not a table).
    pub typical_year: bool,
    /// A typical year covered whole: its figures are annual.
    pub whole: bool,
    pub covered_hours: f64,
    pub year_hours: f64,
    /// Covered hours over the year's, at most 1.
    pub coverage: f64,
    /// Holes between rows.
    pub holes: usize,
    /// What the user should look at (an array facing the pole, a clock off the Sun's).
    pub notes: Vec<String>,
    /// The GHI's clock against the Sun, month by month (clear days).
    pub clock: ClockCheck,
}

/// The shift (minutes) between the GHI's clear days and the Sun from which the weather is
/// refused: an hour's error of zone, daylight saving or label. Smaller shifts are within
/// what a half-interval label and the clear-sky model's shape leave.
pub const CLOCK_REFUSED: f64 = 40.0;

/// The GHI's clock against the Sun: each clear day's centre against the Haurwitz clear
/// sky's at the positions simulated (local days by the longitude).
fn clock_of(w: &Weather, sim: &Simulation) -> ClockCheck {
    let clear: Vec<f64> = sim
        .steps
        .iter()
        .map(|s| irradiance::haurwitz(s.apparent_zenith))
        .map(|c| if c.is_finite() { c } else { 0.0 })
        .collect();
    let offset = (w.longitude / 15.0 * 3600.0).round() as i32;
    clock::check(&w.ghi, &clear, &w.times, offset)
}

/// Refuses weather whose clear days come [`CLOCK_REFUSED`] minutes or more before or after
/// the Sun (the median of the months), unless allowed; a note where it is allowed, or where
/// the months swing that much (a daylight-saving clock).
fn clock_notes(w: &Weather, c: &ClockCheck, allow: bool) -> Result<Vec<String>, SolarError> {
    let (Some(median), Some((max, min))) = (c.median(), c.extremes()) else {
        return Ok(vec![]);
    };
    let months = c.months.len();
    let said = format!(
        "on clear days the GHI's daily centre is {median:+.0} min from the Sun's (median of {months} months; {:+.0} in {}, {:+.0} in {})",
        min.minutes, min.month, max.minutes, max.month
    );
    if median.abs() >= CLOCK_REFUSED {
        if !allow {
            return Err(SolarError::File {
                path: w.path.clone(),
                key: "ghi".into(),
                message: format!(
                    "{said}: the time stamps look {:.0} min {}, which simulates the array under another Sun; check their zone and label (a table's --tz and --label; --position-at), or simulate them as they are with --allow-clock-shift",
                    median.abs(),
                    if median > 0.0 {
                        "early (the light comes later than they say)"
                    } else {
                        "late (the light comes earlier than they say)"
                    }
                ),
            });
        }
        return Ok(vec![format!(
            "{said}: simulated as stamped (--allow-clock-shift)"
        )]);
    }
    if max.minutes - min.minutes >= CLOCK_REFUSED {
        return Ok(vec![format!(
            "{said}: the clock swings between the months (a daylight-saving clock under a fixed offset?)"
        )]);
    }
    Ok(vec![])
}

/// A note where a fixed array tilted 10° or more, outside the tropics, faces the pole
/// (within 45°): azimuths here are clockwise from north (180° south), and PVGIS's aspect
/// puts 0° at south, so 0 meant as south faces north.
fn pole_facing(system: &system::System, latitude: f64) -> Option<String> {
    let system::Mount::Fixed { tilt, azimuth } = system.mount else {
        return None;
    };
    facing_the_pole(tilt, azimuth, latitude)
}

/// The note of [`pole_facing`] for an array of `tilt` and `azimuth` (° clockwise from
/// north) at `latitude`, where it faces the pole.
pub fn facing_the_pole(tilt: f64, azimuth: f64, latitude: f64) -> Option<String> {
    let pole = if latitude >= 0.0 { 0.0 } else { 180.0 };
    let off = ((azimuth - pole).rem_euclid(360.0)).min((pole - azimuth).rem_euclid(360.0));
    (tilt >= 10.0 && latitude.abs() >= 23.5 && off <= 45.0).then(|| {
        format!(
            "the array faces the pole (azimuth {azimuth}°, tilt {tilt}°, latitude {latitude:.2}°): azimuths here are clockwise from north, 180° being south; PVGIS's aspect puts 0° at south"
        )
    })
}

/// Refuses weather whose sunlight falls while the Sun is down at the site: GHI above
/// 100 W/m² with the Sun 5° or more below the horizon in 1 % or more of the bright
/// intervals (10 at least). A clock or label an hour off does not reach that (the clock
/// check does); a wrong time zone, or latitude and longitude swapped, does, and would
/// simulate another sky.
fn refuse_sunlight_at_night(w: &Weather, sim: &Simulation) -> Result<(), SolarError> {
    let bright: Vec<usize> = (0..w.len()).filter(|&i| w.ghi[i] > 100.0).collect();
    let night = bright
        .iter()
        .filter(|&&i| sim.steps[i].apparent_zenith > 95.0)
        .count();
    if night < 10 || night * 100 < bright.len() {
        return Ok(());
    }
    Err(SolarError::File {
        path: w.path.clone(),
        key: "ghi".into(),
        message: format!(
            "{night} of its {} intervals with GHI above 100 W/m² fall while the Sun is 5° or more below the horizon at {:.3}°, {:.3}°: check the time stamps' zone and label (--tz, --label) and that latitude and longitude are not swapped",
            bright.len(),
            w.latitude,
            w.longitude
        ),
    })
}

/// The clear-sky index (GHI over the Haurwitz clear sky, the Sun 15° or more up) that a
/// month's brightest interval reaches at the least: every month of the reference data's
/// TMY2, TMY3 and PSM3 files reaches 0.94–1.95 (cloud edges exceed the clear sky). Wh/m²
/// per 15 minutes is a quarter of W/m², per 10 minutes a sixth.
const DIMMEST_MONTH: f64 = 0.6;

/// The clear-sky index that nine days in ten fail to reach at their brightest, over
/// [`DIM_DAYS_MIN`] days or more, from which GHI is refused: every reference file (TMY2,
/// TMY3, PSM3, PVGIS, three years of PSM3 at 30 min) has it at 1.11–1.25 over its year
/// and at 0.95 or more in every month; Wh/m² per 30 minutes (half of W/m²) has it at
/// 0.55–0.63.
pub const DIM_DAYS: f64 = 0.7;

/// The days with the Sun 15° or more up that [`DIM_DAYS`] needs: three months, so that a
/// smoky or hazy spell does not decide alone.
pub const DIM_DAYS_MIN: usize = 90;

/// Refuses GHI too dim to be W/m² (unless `allow`), outside the polar circles:
/// - over a month or more, its brightest interval is under [`DIMMEST_MONTH`] of the
///   clear sky (an energy per 15 or 10 minutes, or another unit);
/// - over [`DIM_DAYS_MIN`] days or more, nine days in ten stay under [`DIM_DAYS`] of the
///   clear sky at their brightest (Wh/m² per 30 minutes: half of W/m²).
///
/// The clear sky is Haurwitz's at the positions simulated, with the Sun 15° or more up;
/// days are the site's solar days (by its longitude).
fn refuse_dim_ghi(w: &Weather, sim: &Simulation, allow: bool) -> Result<(), SolarError> {
    let days = w.times.len() as i64 * w.interval / 86_400;
    if days < 30 || w.latitude.abs() > 66.5 || allow {
        return Ok(());
    }
    let offset = (w.longitude / 15.0 * 3600.0).round() as i64;
    let (mut index, mut at) = (f64::NEG_INFINITY, 0);
    // each solar day's brightest clear-sky index
    let mut daily: Vec<(i64, f64)> = Vec::new();
    for (i, s) in sim.steps.iter().enumerate() {
        let clear = irradiance::haurwitz(s.apparent_zenith);
        if s.apparent_zenith < 75.0 && clear > 0.0 && w.ghi[i].is_finite() {
            let k = w.ghi[i] / clear;
            if k > index {
                (index, at) = (k, i);
            }
            let day = (w.times[i] + offset).div_euclid(86_400);
            match daily.last_mut() {
                Some((d, m)) if *d == day => *m = m.max(k),
                _ => daily.push((day, k)),
            }
        }
    }
    if index == f64::NEG_INFINITY {
        return Ok(());
    }
    let per = 3600 / w.interval.max(1);
    let unit = |per: i64| {
        if per > 1 {
            format!(
                "an energy per interval, Wh/m² per {} min (× {per} for W/m²)",
                w.interval / 60
            )
        } else {
            "another unit".to_string()
        }
    };
    if index < DIMMEST_MONTH {
        return Err(SolarError::File {
            path: w.path.clone(),
            key: "ghi".into(),
            message: format!(
                "ghi: over {days} days its brightest interval reaches {:.0} % of the clear sky ({} W/m² at a clear sky of {:.0}), where every month has bright spells near 100 %: {}? W/m² expected",
                100.0 * index,
                w.ghi[at],
                irradiance::haurwitz(sim.steps[at].apparent_zenith),
                unit(per)
            ),
        });
    }
    if daily.len() < DIM_DAYS_MIN {
        return Ok(());
    }
    let mut peaks: Vec<f64> = daily.iter().map(|d| d.1).collect();
    peaks.sort_by(f64::total_cmp);
    let p90 = peaks[(peaks.len() * 9) / 10];
    if p90 >= DIM_DAYS {
        return Ok(());
    }
    Err(SolarError::File {
        path: w.path.clone(),
        key: "ghi".into(),
        message: format!(
            "ghi: on {} days nine in ten stay under {:.0} % of the clear sky at their brightest, where a year's clearest days reach 110–125 % (cloud edges) and every month's 95 % or more: {}? W/m² expected; simulate it as it is with --allow-dim-sky (a sky dimmed by smoke or haze for months)",
            daily.len(),
            100.0 * p90,
            unit(per)
        ),
    })
}

/// How far a weather file's median closure, GHI / (DNI·cos Z + DHI) with the Sun 15° or
/// more up and GHI above 50 W/m², may stray from 1: QCRad holds each such measurement
/// within 8 % (Long & Shi 2008); a median beyond 15 % is columns mixed up.
const CLOSURE: f64 = 0.15;

/// The median of `GHI / sum(i, cos Z)` over the intervals with the Sun 15° or more up and
/// GHI above 50 W/m², and how many there are.
fn median_closure(w: &Weather, sim: &Simulation, sum: impl Fn(usize, f64) -> f64) -> (f64, usize) {
    let mut r: Vec<f64> = (0..w.len())
        .filter_map(|i| {
            let z = sim.steps[i].apparent_zenith;
            let den = sum(i, z.to_radians().cos());
            (z < 75.0 && w.ghi[i] > 50.0 && den > 0.0 && den.is_finite()).then(|| w.ghi[i] / den)
        })
        .collect();
    if r.is_empty() {
        return (f64::NAN, 0);
    }
    r.sort_by(f64::total_cmp);
    (r[r.len() / 2], r.len())
}

/// Refuses GHI, DNI and DHI that do not close (the median of GHI / (DNI·cos Z + DHI) over
/// 100 or more daylight intervals beyond 1 ± [`CLOSURE`]): the transposition reads DNI and
/// DHI, so columns swapped or a beam on the horizontal read as DNI would simulate another
/// sky. The message names the mix-up whose closure comes nearest 1.
fn refuse_open_closure(w: &Weather, sim: &Simulation, allow: bool) -> Result<(), SolarError> {
    let (ratio, n) = median_closure(w, sim, |i, c| w.dni[i] * c + w.dhi[i]);
    if allow || n < 100 || (ratio - 1.0).abs() <= CLOSURE {
        return Ok(());
    }
    // how far from closing (∞ where it cannot be told)
    let off = |r: f64| {
        if r.is_finite() {
            (r - 1.0).abs()
        } else {
            f64::INFINITY
        }
    };
    let near = |r: f64| off(r) <= CLOSURE;
    let (swapped, _) = median_closure(w, sim, |i, c| w.dhi[i] * c + w.dni[i]);
    let (horizontal, _) = median_closure(w, sim, |i, _| w.dni[i] + w.dhi[i]);
    let why = if near(swapped) && off(swapped) <= off(horizontal) {
        format!("with dni and dhi swapped it is {swapped:.2}: are the columns swapped?")
    } else if near(horizontal) {
        format!(
            "with dni read as the beam on the horizontal (DNI·cos Z) it is {horizontal:.2}: is it direct horizontal irradiance?"
        )
    } else {
        "is each column the component it is named for, in W/m²?".into()
    };
    Err(SolarError::File {
        path: w.path.clone(),
        key: "dni".into(),
        message: format!(
            "ghi, dni and dhi do not close: the median of GHI / (DNI·cos Z + DHI) over {n} daylight intervals is {ratio:.2} (within 8 % of 1 for good measurements); {why} Give the right columns, or --allow-open-closure to simulate them as they are"
        ),
    })
}

/// Reads (phase `read`), checks, simulates (phase `simulate`) and writes (phase `write`).
pub fn run(s: &Settings, span: &mut Span) -> Result<Report, SolarError> {
    let mut w = span.phase("read", |_| -> Result<Weather, SolarError> {
        match &s.weather {
            WeatherSource::Table(t) => Weather::from_table(t),
            WeatherSource::File(p) => Ok(weather::read_auto(p, s.year)?),
        }
    })?;
    let moved = place(s, &mut w)?;
    let fills = s.fill_gaps.map(|n| w.fill_gaps(n)).unwrap_or_default();
    let system = &s.system.system;
    let sim = span.phase("simulate", |_| {
        system::simulate(&w, system, s.at, s.delta_t)
    });
    // what the figures cover: a typical year must be whole to be called annual
    let (rows_h, year_h, holes) = w.coverage(s.year);
    let missing_h = sim.missing_intervals as f64 * w.interval as f64 / 3600.0;
    let covered_h = (rows_h - missing_h).max(0.0);
    if sim.missing_intervals >= w.times.len() {
        // nothing over no hours is no result (its capacity factor is NaN)
        let screened: String = w
            .screened
            .iter()
            .map(|(c, n, why)| format!("; {c}: {n} values set missing ({why})"))
            .collect();
        return Err(SolarError::File {
            path: w.path.clone(),
            key: String::new(),
            message: format!(
                "none of its {} intervals has all the weather the system needs (ghi, dni, dhi, temp_air), so there is no power to total{screened}",
                w.times.len()
            ),
        });
    }
    refuse_sunlight_at_night(&w, &sim)?;
    refuse_dim_ghi(&w, &sim, s.allow_dim_sky)?;
    refuse_open_closure(&w, &sim, s.allow_open_closure)?;
    let clock = clock_of(&w, &sim);
    let mut notes = clock_notes(&w, &clock, s.allow_clock_shift)?;
    let typical_year = matches!(s.weather, WeatherSource::File(_));
    let whole = typical_year && holes.is_empty() && covered_h >= year_h - 1e-6;
    if typical_year && !whole && !s.allow_partial {
        return Err(partial_year(s, &w, &sim, rows_h, year_h, &holes));
    }
    if let Some(out) = &s.out {
        let csv = intervals_csv(&w, &sim, s.at);
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, csv.as_bytes())
        })
        .map_err(|e| SolarError::Write {
            path: out.clone(),
            source: e,
        })?;
    }
    notes.extend(moved);
    notes.extend(pole_facing(system, w.latitude));
    Ok(Report {
        weather: w,
        system: system.clone(),
        simulation: sim,
        fills,
        at: s.at,
        typical_year,
        whole,
        covered_hours: covered_h,
        year_hours: year_h,
        coverage: (covered_h / year_h).min(1.0),
        holes: holes.len(),
        notes,
        clock,
    })
}

/// How far (km) a system's `[location]` may lie from a typical-year file's own site before
/// a note says the weather is of another place: a station of the same climate is often a
/// few tens of km away; Miami's TMY2 simulated at the documentation's Greensboro site (1,100
/// km north) had given 1.6 % more with nothing said.
pub const FARTHEST_STATION_KM: f64 = 100.0;

/// The site: the system file's `[location]` where it has one, checked; the note of a
/// typical-year file whose own site lies farther than [`FARTHEST_STATION_KM`] from it.
fn place(s: &Settings, w: &mut Weather) -> Result<Option<String>, SolarError> {
    let mut note = None;
    if let Some(l) = &s.system.location {
        if matches!(s.weather, WeatherSource::File(_)) && w.latitude.is_finite() {
            let km = great_circle_km((w.latitude, w.longitude), (l.latitude, l.longitude));
            if km > FARTHEST_STATION_KM {
                note = Some(format!(
                    "the system file's [location] ({:.2}, {:.2}) is {km:.0} km from the weather file's own site ({:.2}, {:.2}): the year is simulated with another place's weather at the [location]; leave [location] out to simulate the file's site",
                    l.latitude, l.longitude, w.latitude, w.longitude
                ));
            }
        }
        let site = Site {
            elevation: l.altitude.unwrap_or(w.altitude),
            ..Site::new(l.latitude, l.longitude)
        };
        site.check().map_err(|e| match &s.system_path {
            Some(path) => SolarError::File {
                path: path.clone(),
                key: "location".into(),
                message: format!("[location] {e}"),
            },
            None => SolarError::setting("location", format!("the system's location: {e}")),
        })?;
        w.latitude = l.latitude;
        w.longitude = l.longitude;
        w.altitude = site.elevation;
    }
    let checked = Site {
        elevation: w.altitude,
        ..Site::new(w.latitude, w.longitude)
    }
    .check()
    .map_err(|e| match &s.weather {
        WeatherSource::Table(t) if t.latitude.is_none() || t.longitude.is_none() => SolarError::setting(
            "site",
            "a weather table does not say where the site is: give --lat and --lon (or the system file's [location])".into(),
        ),
        WeatherSource::Table(_) => {
            SolarError::setting("site", format!("--lat/--lon/--elevation: {e}"))
        }
        WeatherSource::File(p) => SolarError::File {
            path: p.clone(),
            key: "site".into(),
            message: format!(
                "the site in its header: {e}; fix the file, or give the site in the system file's [location]"
            ),
        },
    });
    checked.map(|()| note)
}

/// The great-circle distance (km) between two (latitude, longitude) points in degrees, on
/// a sphere of the Earth's mean radius.
fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let (dp, dl) = (p2 - p1, (b.1 - a.1).to_radians());
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371.0 * h.sqrt().min(1.0).asin()
}

fn partial_year(
    s: &Settings,
    w: &Weather,
    sim: &Simulation,
    rows_h: f64,
    year_h: f64,
    holes: &[(i64, i64)],
) -> SolarError {
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
    SolarError::File {
        path: s.weather.path().to_path_buf(),
        key: String::new(),
        message: format!(
            "a typical-year file must cover its whole year to give annual figures, but {}; pass --allow-partial to compute on what it covers (the figures are then labelled with their coverage)",
            why.join("; ")
        ),
    }
}

/// Every interval as CSV.
pub fn intervals_csv(w: &Weather, sim: &Simulation, at: Label) -> String {
    let mut csv = String::from(
        "time,interval_start,apparent_zenith,azimuth,surface_tilt,surface_azimuth,aoi,poa_global,poa_direct,poa_diffuse,temp_cell,pdc,pac\n",
    );
    for (i, s) in sim.steps.iter().enumerate() {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            label(w.at(i, at), None, w.offset),
            label(w.times[i], None, w.offset),
            cell(s.apparent_zenith),
            cell(s.azimuth),
            cell(s.surface_tilt),
            cell(s.surface_azimuth),
            cell(s.aoi),
            cell(s.poa_global),
            cell(s.poa_direct),
            cell(s.poa_diffuse),
            cell(s.temp_cell),
            cell(s.pdc),
            cell(s.pac)
        );
    }
    csv
}

impl Report {
    /// The summary the command prints.
    pub fn text(&self) -> String {
        let notes: String = self.notes.iter().map(|n| format!("note: {n}\n")).collect();
        format!("{}{notes}", self.summary())
    }

    /// A table's energy and specific yield per year of 365.25 days (8,766 h), where it
    /// covers more than a year (8,784 h): its totals are over all its hours (two years' are
    /// twice a year's), so they are scaled by 8,766 over the hours covered.
    pub fn mean_annual(&self) -> Option<(f64, f64)> {
        let h = self.covered_hours;
        (!self.typical_year && h > 8784.0).then(|| {
            let k = 8766.0 / h;
            (
                self.simulation.energy_kwh * k,
                self.simulation.specific_yield * k,
            )
        })
    }

    fn summary(&self) -> String {
        let (w, sim) = (&self.weather, &self.simulation);
        let mut t = format!(
            "{} ({}, {:.3}°, {:.3}°): {} intervals of {} s, positions at interval {}\n",
            w.name,
            w.format,
            w.latitude,
            w.longitude,
            w.len(),
            w.interval,
            self.at
        );
        let covered_h = self.covered_hours;
        let period = if self.whole {
            "annual AC energy".to_string()
        } else if self.typical_year {
            format!(
                "PARTIAL YEAR: AC energy over the {covered_h:.0} covered hours ({:.1} % of the year's {:.0})",
                self.coverage * 100.0,
                self.year_hours
            )
        } else {
            format!("AC energy over the table's {covered_h:.0} hours with weather")
        };
        let over = if self.whole { "" } else { " over them" };
        let per_year = self.mean_annual().map_or(String::new(), |(kwh, y)| {
            format!(" (a mean of {kwh:.1} kWh and {y:.0} kWh/kWp a year of 365.25 days)")
        });
        let _ = writeln!(
            t,
            "{period} {:.1} kWh · specific yield {:.0} kWh/kWp{over}{per_year} · capacity factor {:.1} % (DC nameplate {} kW, losses {:.2} %)",
            sim.energy_kwh,
            sim.specific_yield,
            100.0 * sim.capacity_factor,
            self.system.kwp,
            sim.loss_percent
        );
        for (name, n, why) in &w.screened {
            let _ = writeln!(t, "  {name}: {n} values set missing ({why})");
        }
        let given: Vec<f64> = w.albedo.iter().copied().filter(|a| a.is_finite()).collect();
        if !given.is_empty() {
            let mean = given.iter().sum::<f64>() / given.len() as f64;
            let left = w.len() - given.len();
            let _ = if self.system.weather_albedo {
                writeln!(
                    t,
                    "albedo: the weather file's, interval by interval (mean {mean:.3}, {} to {}){}",
                    given.iter().copied().fold(f64::INFINITY, f64::min),
                    given.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    if left > 0 {
                        format!("; {left} intervals without one take {}", self.system.albedo)
                    } else {
                        String::new()
                    }
                )
            } else {
                writeln!(
                    t,
                    "albedo: {} from the system file for every interval; the weather file's own (mean {mean:.3}) is not used",
                    self.system.albedo
                )
            };
        }
        if sim.missing_intervals > 0 {
            let _ = writeln!(
                t,
                "missing: {} intervals have no power (missing weather); the totals cover the rest",
                sim.missing_intervals
            );
        }
        for (name, n) in &w.missing {
            let _ = writeln!(t, "  {name}: {n} missing values in the file");
        }
        for (name, filled, left) in &self.fills {
            let _ = writeln!(
                t,
                "  {name}: {filled} values filled by interpolation (--fill-gaps), {left} left missing"
            );
        }
        t
    }
}
