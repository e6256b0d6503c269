//! The simulation tasks: a turbine ([`run`]) or a farm ([`run_farm`]) on a weather table,
//! hour by hour, with the year's totals, the printed summary and the time series written.
//! Phases of the span: `read` (the weather), `simulate`, `write` (the series, if asked).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use terrawatt_meter::Span;

use crate::WindError;
use crate::chain::{self, ChainSettings, HubHour, PowerModel};
use crate::farm::{self, FarmPlan, FarmRun, SmoothingOrder, WakeLosses};
use crate::turbine::{TurbineCurve, WakeEfficiency};
use crate::weather::{SpeedUnit, WindWeather};

/// One turbine's simulation.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The weather table (docs/wind.md).
    pub weather: PathBuf,
    /// The unit of its wind speeds; `None`: m/s, checked (see [`WindWeather::read_in`]).
    pub speed_unit: Option<SpeedUnit>,
    pub turbine: TurbineCurve,
    pub chain: ChainSettings,
    /// Correct the power curve for air density.
    pub density_correction: bool,
    /// Where the hourly series is written (CSV), if anywhere.
    pub out: Option<PathBuf>,
}

/// A farm's simulation.
#[derive(Debug, Clone)]
pub struct FarmSettings {
    /// The weather table (docs/wind.md).
    pub weather: PathBuf,
    /// The unit of its wind speeds; `None`: m/s, checked (see [`WindWeather::read_in`]).
    pub speed_unit: Option<SpeedUnit>,
    /// The farm file the plan was read from (names the farm's errors).
    pub farm_file: PathBuf,
    pub plan: FarmPlan,
    /// The chain; its hub height is the farm's mean hub height.
    pub chain: ChainSettings,
    pub density_correction: bool,
    /// Where the hourly series is written (CSV), if anywhere.
    pub out: Option<PathBuf>,
}

/// A simulated series' totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    /// Energy, MWh.
    pub mwh: f64,
    pub capacity_factor: f64,
    /// Time steps without power (missing weather).
    pub missing: usize,
    /// Hours per time step.
    pub step_h: f64,
    /// Years of valid hours.
    pub years: f64,
    /// Hours from the first time step's start to the last one's end.
    pub span_h: f64,
    /// Hours of the span with no row (rows deleted).
    pub deleted_h: f64,
    /// The first such hole: the stamps either side of it (Unix seconds).
    pub first_hole: Option<(i64, i64)>,
}

impl Totals {
    /// The totals of `hours` at the weather's time stamps, for a nominal power (W).
    pub fn of(times: &[i64], hours: &[HubHour], nominal: f64) -> Totals {
        let valid: Vec<f64> = hours
            .iter()
            .map(|h| h.power)
            .filter(|p| !p.is_nan())
            .collect();
        let step_h = if times.len() > 1 {
            (times[1] - times[0]) as f64 / 3600.0
        } else {
            1.0
        };
        let mwh = valid.iter().sum::<f64>() * step_h / 1e6;
        Totals {
            mwh,
            capacity_factor: mwh * 1e6 / (nominal * valid.len() as f64 * step_h),
            missing: hours.len() - valid.len(),
            step_h,
            years: valid.len() as f64 * step_h / 8766.0,
            span_h: match (times.first(), times.last()) {
                (Some(a), Some(b)) => (b - a) as f64 / 3600.0 + step_h,
                _ => 0.0,
            },
            deleted_h: times
                .windows(2)
                .map(|p| ((p[1] - p[0]) as f64 / 3600.0 - step_h).max(0.0))
                .sum(),
            first_hole: times
                .windows(2)
                .find(|p| (p[1] - p[0]) as f64 / 3600.0 > step_h + 1e-9)
                .map(|p| (p[0], p[1])),
        }
    }

    /// Whether the series covers one whole year (365 or 366 days, no row deleted, no hour
    /// without weather), so that its total is annual. A longer series is not: its total
    /// is several years' (two years of weather had been reported as twice the annual
    /// energy).
    pub fn full_year(&self) -> bool {
        self.span_h >= 8760.0 - 1e-6
            && self.span_h <= 8784.0 + 1e-6
            && self.deleted_h < 1e-9
            && self.missing == 0
    }

    /// The mean energy per year of 365.25 days (MWh) of a series longer than a year, over
    /// its hours with weather; `None` for a year or less.
    pub fn mean_annual_mwh(&self) -> Option<f64> {
        let h = self.covered_hours();
        (self.span_h > 8784.0 + 1e-6 && h > 0.0).then(|| self.mwh * 8766.0 / h)
    }

    /// Hours with weather: the span less deleted and missing hours.
    pub fn covered_hours(&self) -> f64 {
        self.span_h - self.deleted_h - self.missing as f64 * self.step_h
    }

    /// "annual energy …" for a whole year; otherwise the energy over the span covered, which
    /// is never called annual.
    pub fn energy_text(&self) -> String {
        if self.full_year() {
            format!(
                "annual energy {:.1} MWh · capacity factor {:.1} %",
                self.mwh,
                100.0 * self.capacity_factor
            )
        } else if let Some(mean) = self.mean_annual_mwh() {
            format!(
                "energy {:.1} MWh over the {:.0} h with weather (a {:.1}-year span: not one year) · a mean of {mean:.1} MWh per year of 365.25 days · capacity factor {:.1} %",
                self.mwh,
                self.covered_hours(),
                self.span_h / 8766.0,
                100.0 * self.capacity_factor
            )
        } else {
            format!(
                "energy {:.1} MWh over the {:.0} h with weather (of a {:.1}-day span: not a whole year, so no annual figure) · capacity factor {:.1} % over those hours",
                self.mwh,
                self.covered_hours(),
                self.span_h / 24.0,
                100.0 * self.capacity_factor
            )
        }
    }

    /// The lines on deleted rows, missing hours and steps longer than an hour (none when
    /// there are none).
    pub fn missing_text(&self) -> String {
        let mut t = String::new();
        if self.step_h > 1.0 + 1e-9 {
            let _ = writeln!(
                t,
                "note: the weather is at {:.1} h steps: a power curve on mean wind speeds misses the hours above the mean (windpowerlib's year as daily means gives 2.8 % less); it is made for hourly or finer data",
                self.step_h
            );
        }
        if let Some((a, b)) = self.first_hole {
            let at = |x: i64| {
                chrono::DateTime::from_timestamp(x, 0)
                    .map(|d| d.format("%Y-%m-%dT%H:%MZ").to_string())
                    .unwrap_or_default()
            };
            let _ = writeln!(
                t,
                "missing: {:.0} hours have no row (deleted), the first hole after {} until {}",
                self.deleted_h,
                at(a),
                at(b)
            );
        }
        if self.missing > 0 {
            let _ = writeln!(
                t,
                "missing: {} intervals without power (missing weather); the totals cover the rest",
                self.missing
            );
        }
        t
    }
}

/// A turbine's simulated series.
#[derive(Debug, Clone)]
pub struct Report {
    /// The turbine simulated.
    pub turbine: TurbineCurve,
    /// m.
    pub hub_height: f64,
    /// Unix seconds of each hour.
    pub times: Vec<i64>,
    /// Hub-height conditions and power (W), hour by hour.
    pub hours: Vec<HubHour>,
    pub totals: Totals,
    /// Weather values set missing: (column, count, the rule).
    pub screened: Vec<(String, usize, String)>,
}

impl Report {
    /// The summary the command prints.
    pub fn text(&self) -> String {
        let mut text = format!(
            "{} at {} m: {} intervals; {} (nominal {:.0} kW)\n",
            self.turbine.name,
            self.hub_height,
            self.hours.len(),
            self.totals.energy_text(),
            self.turbine.nominal / 1000.0
        );
        text.push_str(&self.totals.missing_text());
        text.push_str(&screened_text(&self.screened));
        text
    }
}

/// A farm's simulated series.
#[derive(Debug, Clone)]
pub struct FarmReport {
    /// The farm file as read.
    pub plan: FarmPlan,
    /// The farm curve and its hours.
    pub run: FarmRun,
    /// Unix seconds of each hour.
    pub times: Vec<i64>,
    pub totals: Totals,
    /// Weather values set missing: (column, count, the rule).
    pub screened: Vec<(String, usize, String)>,
}

impl FarmReport {
    /// The wake model as the summary names it.
    pub fn wake_text(&self) -> String {
        match &self.plan.settings.wake_losses {
            WakeLosses::None => "none".to_string(),
            WakeLosses::PowerEfficiency {
                efficiency: WakeEfficiency::Constant(e),
            } => format!("wind_farm_efficiency {e}"),
            WakeLosses::PowerEfficiency { .. } => "wind_farm_efficiency (curve)".to_string(),
            WakeLosses::WindEfficiency { name, .. } => name.clone(),
        }
    }

    /// The smoothing as the summary names it.
    fn smoothing_text(&self) -> String {
        let order = |o: SmoothingOrder| match o {
            SmoothingOrder::TurbinePowerCurves => "on each turbine's curve",
            SmoothingOrder::WindFarmPowerCurves => "on the farm's curve",
        };
        match (&self.plan.settings.smoothing, self.run.turbulence_intensity) {
            (None, _) => "none".to_string(),
            (Some(s), Some(ti)) => format!("turbulence intensity {ti:.4}, {}", order(s.order)),
            (Some(s), None) => format!("Staffell-Pfenninger, {}", order(s.order)),
        }
    }

    /// The summary the command prints.
    pub fn text(&self) -> String {
        let farm = &self.plan.farm;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{}: {} turbines, {:.1} MW, mean hub height {:.1} m: {} intervals; {}",
            self.plan.name,
            farm.number_of_turbines(),
            farm.nominal_power() / 1e6,
            farm.mean_hub_height(),
            self.run.hours.len(),
            self.totals.energy_text(),
        );
        let _ = writeln!(
            text,
            "wake losses: {}; smoothing: {}",
            self.wake_text(),
            self.smoothing_text()
        );
        for f in farm.fleets() {
            let _ = writeln!(
                text,
                "  {} × {} at {} m ({:.0} kW each)",
                f.number_of_turbines,
                f.name,
                f.hub_height,
                f.nominal_power / 1e3
            );
        }
        text.push_str(&self.totals.missing_text());
        text.push_str(&screened_text(&self.screened));
        text
    }
}

/// Refuses a run in which no hour has the weather the chain needs: its totals would be
/// nothing over no hours (a capacity factor of NaN), which is no result.
fn require_some_power(w: &WindWeather, hours: &[HubHour]) -> Result<(), WindError> {
    if hours.iter().any(|h| h.power.is_finite()) {
        return Ok(());
    }
    Err(WindError::Invalid {
        path: w.path.clone(),
        message: format!(
            "no hour of the {} has all the weather the chain needs, so there is no power to total{}",
            hours.len(),
            w.screened
                .iter()
                .map(|(name, count, why)| format!("; {name}: {count} values set missing ({why})"))
                .collect::<String>()
        ),
    })
}

fn screened_text(screened: &[(String, usize, String)]) -> String {
    let mut text = String::new();
    for (name, count, why) in screened {
        let _ = writeln!(text, "  {name}: {count} values set missing ({why})");
    }
    text
}

/// Simulates one turbine.
pub fn run(settings: &Settings, span: &mut Span) -> Result<Report, WindError> {
    let hub = settings.chain.hub_height;
    crate::turbine::check_curve_unit(&settings.turbine, hub)
        .and_then(|()| crate::turbine::check_rotor(&settings.turbine, hub))
        .map_err(|message| WindError::Invalid {
            path: PathBuf::from(&settings.turbine.name),
            message,
        })?;
    let w = span.phase("read", |_| {
        WindWeather::read_in(&settings.weather, settings.speed_unit)
    })?;
    let power = PowerModel::PowerCurve {
        curve: settings.turbine.curve.clone(),
        density_correction: settings.density_correction,
    };
    let hours = span.phase("simulate", |_| chain::run(&w, &power, &settings.chain))?;
    require_some_power(&w, &hours)?;
    write_series(span, settings.out.as_deref(), &w.times, &hours)?;
    Ok(Report {
        turbine: settings.turbine.clone(),
        hub_height: settings.chain.hub_height,
        totals: Totals::of(&w.times, &hours, settings.turbine.nominal),
        times: w.times,
        hours,
        screened: w.screened,
    })
}

/// Simulates a farm (see [`farm::simulate`]).
pub fn run_farm(settings: &FarmSettings, span: &mut Span) -> Result<FarmReport, WindError> {
    let w = span.phase("read", |_| {
        WindWeather::read_in(&settings.weather, settings.speed_unit)
    })?;
    let farm = &settings.plan.farm;
    let run = span
        .phase("simulate", |_| {
            farm::simulate(
                &w,
                farm,
                &settings.plan.settings,
                &settings.chain,
                settings.density_correction,
            )
        })
        .map_err(|e| WindError::Farm {
            path: settings.farm_file.clone(),
            source: Box::new(e),
        })?;
    require_some_power(&w, &run.hours)?;
    write_series(span, settings.out.as_deref(), &w.times, &run.hours)?;
    Ok(FarmReport {
        plan: settings.plan.clone(),
        totals: Totals::of(&w.times, &run.hours, farm.nominal_power()),
        run,
        times: w.times,
        screened: w.screened,
    })
}

/// The hourly series as CSV: time, hub-height wind speed, temperature, density, power.
pub fn series_csv(times: &[i64], hours: &[HubHour]) -> String {
    let mut csv = String::from("time,wind_speed_hub,temperature_hub,density_hub,power\n");
    for (t, h) in times.iter().zip(hours) {
        let stamp = chrono::DateTime::from_timestamp(*t, 0)
            .expect("in range")
            .format("%Y-%m-%dT%H:%M:%SZ");
        let _ = writeln!(
            csv,
            "{stamp},{},{},{},{}",
            h.wind_speed, h.temperature, h.density, h.power
        );
    }
    csv
}

/// Writes the series atomically in a `write` phase, where asked.
fn write_series(
    span: &mut Span,
    out: Option<&Path>,
    times: &[i64],
    hours: &[HubHour],
) -> Result<(), WindError> {
    if let Some(out) = out {
        let csv = series_csv(times, hours);
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, csv.as_bytes())
        })
        .map_err(|e| WindError::Write {
            path: out.to_path_buf(),
            source: e,
        })?;
    }
    Ok(())
}
