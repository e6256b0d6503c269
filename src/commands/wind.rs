//! `terrawatt wind …`: wind power physics.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::json;
use terrawatt_meter::{FunctionalUnit, Span};
use terrawatt_wind::chain::{
    self, ChainSettings, DensityModel, HubHour, PowerModel, TemperatureModel, WindSpeedModel,
};
use terrawatt_wind::farm::{
    self, Farm, FarmSettings, FarmSmoothing, Fleet, SmoothingOrder, Spread, WakeLosses,
};
use terrawatt_wind::generic::GenericTurbine;
use terrawatt_wind::turbine::{self, PowerCurve, WakeEfficiency};
use terrawatt_wind::weather::WindWeather;

use crate::cli::WindSimulateArgs;
use crate::task::check_output;
use crate::task::{Ctx, Outcome};

/// A turbine's power curve and nominal power (W), with where they came from.
pub(crate) struct TurbineCurve {
    pub name: String,
    pub curve: PowerCurve,
    pub nominal: f64,
    pub source: &'static str,
}

/// A turbine type from the library folder: NREL's turbine-model CSV of that file name,
/// else the OEDB table (nominal power from turbine_data.csv where it has one, else the
/// curve's largest power).
pub(crate) fn library_turbine(name: &str, dir: &Path) -> Result<TurbineCurve> {
    let nrel = [
        dir.join("nrel_turbine_models").join(format!("{name}.csv")),
        dir.join(format!("{name}.csv")),
    ]
    .into_iter()
    .find(|p| p.is_file());
    if let Some(p) = nrel {
        let curve = turbine::nrel_turbine(&p)?.0;
        return Ok(TurbineCurve {
            name: name.into(),
            nominal: curve.nominal(),
            curve,
            source: "nrel",
        });
    }
    let curve = turbine::oedb_power_curve(&dir.join("power_curves.csv"), name)?;
    let nominal = turbine::oedb_nominal_power(&dir.join("turbine_data.csv"), name)
        .ok()
        .filter(|p| *p > 0.0)
        .unwrap_or_else(|| curve.nominal());
    Ok(TurbineCurve {
        name: name.into(),
        curve,
        nominal,
        source: "oedb",
    })
}

/// A generic turbine's curve; `key` turns a parameter's name into the user's spelling.
fn generic_turbine(g: GenericTurbine, key: impl Fn(&str) -> String) -> Result<TurbineCurve> {
    let valid = g.check().map_err(|e| {
        let field = if e.field == "rated_power" {
            "rated_kw"
        } else {
            e.field
        };
        anyhow!("{}: {}", key(field), e.message)
    })?;
    Ok(TurbineCurve {
        name: format!(
            "generic {:.0} kW, {} m rotor",
            g.rated_power / 1e3,
            g.rotor_diameter
        ),
        curve: valid.power_curve(),
        nominal: g.rated_power,
        source: "generic",
    })
}

fn chain_settings(a: &WindSimulateArgs, hub_height: f64) -> Result<ChainSettings> {
    let wind_speed_model = match a.wind_speed_model.as_str() {
        "logarithmic" => WindSpeedModel::Logarithmic,
        "hellman" => WindSpeedModel::Hellman,
        "interpolation" | "interpolation_extrapolation" => {
            WindSpeedModel::InterpolationExtrapolation
        }
        other => {
            bail!("--wind-speed-model '{other}': expected logarithmic, hellman or interpolation")
        }
    };
    let density_model = match a.density_model.as_str() {
        "barometric" => DensityModel::Barometric,
        "ideal-gas" | "ideal_gas" => DensityModel::IdealGas,
        other => bail!("--density-model '{other}': expected barometric or ideal-gas"),
    };
    Ok(ChainSettings {
        wind_speed_model,
        temperature_model: TemperatureModel::LinearGradient,
        density_model,
        obstacle_height: a.obstacle_height,
        ..ChainSettings::new(hub_height)
    })
}

fn check_obstacle(a: &WindSimulateArgs, hub_height: f64) -> Result<()> {
    if !(a.obstacle_height >= 0.0 && 0.7 * a.obstacle_height < hub_height) {
        bail!(
            "--obstacle-height {} m must be ≥ 0 and 0.7 × it below the hub height ({hub_height} m)",
            a.obstacle_height
        );
    }
    Ok(())
}

pub fn simulate(span: &mut Span, _ctx: &Ctx, a: &WindSimulateArgs) -> Result<Outcome> {
    if let Some(f) = &a.farm {
        return simulate_farm(span, a, f);
    }
    let hub_height = a
        .hub_height
        .ok_or_else(|| anyhow!("--hub-height M is required (or give --farm FILE)"))?;
    if !(hub_height > 0.0 && hub_height < 500.0) {
        bail!("--hub-height {hub_height} m must be in (0, 500)");
    }
    check_obstacle(a, hub_height)?;
    let settings = chain_settings(a, hub_height)?;
    let mut inputs: Vec<&Path> = vec![&a.weather];
    if let Some(p) = &a.power_curve {
        inputs.push(p);
    }
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &inputs)?;
    }
    let t = match (&a.power_curve, &a.turbine, &a.turbine_library, a.rated_kw) {
        (_, _, _, Some(rated_kw)) => generic_turbine(
            GenericTurbine {
                rated_power: rated_kw * 1e3,
                rotor_diameter: a.rotor_diameter.unwrap_or(f64::NAN),
                cut_in: a.cut_in.unwrap_or(f64::NAN),
                rated_speed: a.rated_speed.unwrap_or(f64::NAN),
                cut_out: a.cut_out.unwrap_or(f64::NAN),
                cp_max: a.cp_max,
            },
            |f| format!("--{}", f.replace('_', "-")),
        )?,
        (Some(p), _, _, None) => {
            let curve = turbine::csv_power_curve(p)?;
            TurbineCurve {
                name: p.display().to_string(),
                nominal: curve.nominal(),
                curve,
                source: "csv",
            }
        }
        (None, Some(t), Some(dir), None) => library_turbine(t, dir)?,
        (None, Some(_), None, None) => {
            bail!("--turbine needs --turbine-library DIR (or TERRAWATT_TURBINE_LIBRARY)")
        }
        (None, None, _, None) => bail!(
            "give --turbine NAME with --turbine-library DIR, --power-curve FILE, the generic \
             turbine's --rated-kw --rotor-diameter --cut-in --rated-speed --cut-out, or --farm FILE"
        ),
    };
    let w = span.phase("read", |_| WindWeather::read(&a.weather))?;
    let power = PowerModel::PowerCurve {
        curve: t.curve.clone(),
        density_correction: a.density_correction,
    };
    let hours = span
        .phase("simulate", |_| chain::run(&w, &power, &settings))
        .map_err(|e| anyhow!(e))?;
    let y = Year::of(&w, &hours, t.nominal);
    write_outputs(span, a, &w, &hours, y.step_h)?;
    let mut text = String::new();
    writeln!(
        text,
        "{} at {hub_height} m: {} hours; {} (nominal {:.0} kW)",
        t.name,
        hours.len(),
        y.energy_text(),
        t.nominal / 1000.0
    )?;
    y.missing_line(&mut text)?;
    for (name, count, why) in &w.screened {
        writeln!(text, "  {name}: {count} values set missing ({why})")?;
    }
    Ok(Outcome {
        results: json!({
            "turbine": t.name,
            "source": t.source,
            "hub_height": hub_height,
            "annual_energy_mwh": y.full_year().then_some(y.mwh),
            "energy_mwh": y.mwh,
            "covered_hours": y.span_h - y.deleted_h - y.missing as f64 * y.step_h,
            "span_hours": y.span_h,
            "deleted_hours": y.deleted_h,
            "capacity_factor": y.cf,
            "nominal_power_w": t.nominal,
            "missing_hours": y.missing,
            "screened": w.screened.iter().map(|(c, n, why)| json!({"column": c, "count": n, "rule": why})).collect::<Vec<_>>(),
            "settings": settings,
        }),
        text,
        unit: Some(FunctionalUnit::new("turbine-year", y.years)),
    })
}

/// A simulated year's totals.
struct Year {
    mwh: f64,
    cf: f64,
    missing: usize,
    step_h: f64,
    /// Years of valid hours.
    years: f64,
    /// Hours from the first time step's start to the last one's end.
    span_h: f64,
    /// Hours of the span with no row (rows deleted), and the first such hole.
    deleted_h: f64,
    first_hole: Option<(i64, i64)>,
}

impl Year {
    fn of(w: &WindWeather, hours: &[HubHour], nominal: f64) -> Year {
        let valid: Vec<f64> = hours
            .iter()
            .map(|h| h.power)
            .filter(|p| !p.is_nan())
            .collect();
        let step_h = if w.times.len() > 1 {
            (w.times[1] - w.times[0]) as f64 / 3600.0
        } else {
            1.0
        };
        let mwh = valid.iter().sum::<f64>() * step_h / 1e6;
        Year {
            mwh,
            cf: mwh * 1e6 / (nominal * valid.len() as f64 * step_h),
            missing: hours.len() - valid.len(),
            step_h,
            years: valid.len() as f64 * step_h / 8766.0,
            span_h: match (w.times.first(), w.times.last()) {
                (Some(a), Some(b)) => (b - a) as f64 / 3600.0 + step_h,
                _ => 0.0,
            },
            deleted_h: w
                .times
                .windows(2)
                .map(|p| ((p[1] - p[0]) as f64 / 3600.0 - step_h).max(0.0))
                .sum(),
            first_hole: w
                .times
                .windows(2)
                .find(|p| (p[1] - p[0]) as f64 / 3600.0 > step_h + 1e-9)
                .map(|p| (p[0], p[1])),
        }
    }

    /// Whether the series covers a whole year (365 days or more, no row deleted, no hour
    /// without weather), so that its total is annual.
    fn full_year(&self) -> bool {
        self.span_h >= 8760.0 - 1e-6 && self.deleted_h < 1e-9 && self.missing == 0
    }

    /// "annual energy …" for a whole year; otherwise the energy over the span covered, which
    /// is never called annual.
    fn energy_text(&self) -> String {
        if self.full_year() {
            format!(
                "annual energy {:.1} MWh · capacity factor {:.1} %",
                self.mwh,
                100.0 * self.cf
            )
        } else {
            let covered = self.span_h - self.deleted_h - self.missing as f64 * self.step_h;
            format!(
                "energy {:.1} MWh over the {:.0} h with weather (of a {:.1}-day span: not a whole year, so no annual figure) · capacity factor {:.1} % over those hours",
                self.mwh,
                covered,
                self.span_h / 24.0,
                100.0 * self.cf
            )
        }
    }

    fn missing_line(&self, t: &mut String) -> Result<()> {
        if let Some((a, b)) = self.first_hole {
            let at = |x: i64| {
                chrono::DateTime::from_timestamp(x, 0)
                    .map(|d| d.format("%Y-%m-%dT%H:%MZ").to_string())
                    .unwrap_or_default()
            };
            writeln!(
                t,
                "missing: {:.0} hours have no row (deleted), the first hole after {} until {}",
                self.deleted_h,
                at(a),
                at(b)
            )?;
        }
        if self.missing > 0 {
            writeln!(
                t,
                "missing: {} hours without power (missing weather); the totals cover the rest",
                self.missing
            )?;
        }
        Ok(())
    }
}

/// The time series (--out) and the monthly plot (--plot), each written atomically.
fn write_outputs(
    span: &mut Span,
    a: &WindSimulateArgs,
    w: &WindWeather,
    hours: &[HubHour],
    step_h: f64,
) -> Result<()> {
    if let Some(out) = &a.out {
        let mut csv = String::from("time,wind_speed_hub,temperature_hub,density_hub,power\n");
        for (t, h) in w.times.iter().zip(hours) {
            let stamp = chrono::DateTime::from_timestamp(*t, 0)
                .expect("in range")
                .format("%Y-%m-%dT%H:%M:%SZ");
            writeln!(
                csv,
                "{stamp},{},{},{},{}",
                h.wind_speed, h.temperature, h.density, h.power
            )?;
        }
        span.phase("write", |_| {
            terrawatt_meter::write_atomic(out, csv.as_bytes())
        })
        .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(p) = &a.plot {
        let monthly = crate::plot::monthly_sums(
            w.times
                .iter()
                .zip(hours)
                .map(|(t, h)| (*t, h.power * step_h / 1e6)),
            0,
        );
        span.phase("plot", |_| {
            crate::plot::monthly_bars(p, "Energy per month", "MWh", &monthly)
        })?;
    }
    Ok(())
}

/// The farm file (TOML; docs/wind.md).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FarmFile {
    name: Option<String>,
    /// Folder of the turbine library (relative to the farm file); --turbine-library
    /// otherwise.
    turbine_library: Option<PathBuf>,
    fleet: Vec<FleetToml>,
    wake: Option<WakeToml>,
    smoothing: Option<SmoothingToml>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetToml {
    turbine: Option<String>,
    power_curve: Option<PathBuf>,
    generic: Option<GenericToml>,
    hub_height: f64,
    number_of_turbines: Option<f64>,
    total_capacity_kw: Option<f64>,
    nominal_kw: Option<f64>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericToml {
    rated_kw: f64,
    rotor_diameter: f64,
    cut_in: f64,
    rated_speed: f64,
    cut_out: f64,
    cp_max: Option<f64>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WakeToml {
    model: String,
    efficiency: Option<f64>,
    efficiency_curve: Option<PathBuf>,
    efficiency_column: Option<String>,
    curves: Option<PathBuf>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SmoothingToml {
    method: String,
    order: Option<String>,
    block_width: Option<f64>,
    turbulence_intensity: Option<f64>,
}

/// The wind efficiency curves windpowerlib ships (dena-Netzstudie II; Knorr 2016).
const WIND_EFFICIENCY_CURVES: [&str; 7] = [
    "dena_mean",
    "knorr_mean",
    "dena_extreme1",
    "dena_extreme2",
    "knorr_extreme1",
    "knorr_extreme2",
    "knorr_extreme3",
];

/// A farm file read and checked: the farm, its settings, what it read.
struct FarmPlan {
    name: String,
    farm: Farm,
    sources: Vec<&'static str>,
    settings: FarmSettings,
    inputs: Vec<PathBuf>,
}

fn read_farm(path: &Path, library: Option<&Path>) -> Result<FarmPlan> {
    let p = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {p}"))?;
    let f: FarmFile = toml::from_str(&text).map_err(|e| anyhow!("{p}: {e}"))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let rel = |q: &Path| base.join(q);
    let library = f
        .turbine_library
        .as_deref()
        .map(rel)
        .or_else(|| library.map(Path::to_path_buf));
    let mut inputs = vec![path.to_path_buf()];
    let mut fleets = Vec::new();
    let mut sources = Vec::new();
    if f.fleet.is_empty() {
        bail!("{p}: no [[fleet]]: a farm needs at least one fleet");
    }
    for (i, fl) in f.fleet.iter().enumerate() {
        let k = i + 1;
        let t = match (&fl.turbine, &fl.power_curve, &fl.generic) {
            (Some(name), None, None) => {
                let dir = library.as_deref().ok_or_else(|| {
                    anyhow!(
                        "{p}: fleet {k}: turbine '{name}' needs a turbine library: \
                         --turbine-library DIR or turbine_library = \"DIR\" in the file"
                    )
                })?;
                library_turbine(name, dir).map_err(|e| anyhow!("{p}: fleet {k}: turbine: {e}"))?
            }
            (None, Some(c), None) => {
                let c = rel(c);
                let curve = turbine::csv_power_curve(&c)
                    .map_err(|e| anyhow!("{p}: fleet {k}: power_curve: {e}"))?;
                inputs.push(c.clone());
                TurbineCurve {
                    name: c.display().to_string(),
                    nominal: curve.nominal(),
                    curve,
                    source: "csv",
                }
            }
            (None, None, Some(g)) => generic_turbine(
                GenericTurbine {
                    rated_power: g.rated_kw * 1e3,
                    rotor_diameter: g.rotor_diameter,
                    cut_in: g.cut_in,
                    rated_speed: g.rated_speed,
                    cut_out: g.cut_out,
                    cp_max: g.cp_max,
                },
                |field| format!("{p}: fleet {k}: generic.{field}"),
            )?,
            _ => bail!("{p}: fleet {k}: give exactly one of turbine, power_curve or generic"),
        };
        let nominal = match fl.nominal_kw {
            Some(kw) if kw.is_finite() && kw > 0.0 => kw * 1e3,
            Some(kw) => bail!("{p}: fleet {k} ({}): nominal_kw: {kw} must be > 0", t.name),
            None => t.nominal,
        };
        let n = match (fl.number_of_turbines, fl.total_capacity_kw) {
            (Some(n), None) => n,
            (None, Some(kw)) => {
                if !(kw.is_finite() && kw > 0.0) {
                    bail!(
                        "{p}: fleet {k} ({}): total_capacity_kw: {kw} must be > 0",
                        t.name
                    );
                }
                kw * 1e3 / nominal
            }
            (Some(n), Some(kw)) => {
                if (n * nominal - kw * 1e3).abs() >= 1.0 {
                    bail!(
                        "{p}: fleet {k} ({}): number_of_turbines {n} × {} kW ≠ total_capacity_kw {kw}: give one of them",
                        t.name,
                        nominal / 1e3
                    );
                }
                n
            }
            (None, None) => bail!(
                "{p}: fleet {k} ({}): missing field number_of_turbines (or total_capacity_kw)",
                t.name
            ),
        };
        sources.push(t.source);
        fleets.push(Fleet {
            name: t.name,
            curve: t.curve,
            nominal_power: nominal,
            hub_height: fl.hub_height,
            number_of_turbines: n,
        });
    }
    let farm = Farm::new(fleets).map_err(|e| anyhow!("{p}: {e}"))?;

    let wake = f.wake.unwrap_or(WakeToml {
        model: "dena_mean".into(),
        efficiency: None,
        efficiency_curve: None,
        efficiency_column: None,
        curves: None,
    });
    let only_for = |set: bool, key: &str, model: &str| -> Result<()> {
        if set {
            bail!(
                "{p}: [wake] {key} applies to model {model}, not '{}'",
                wake.model
            );
        }
        Ok(())
    };
    let wake_losses = match wake.model.as_str() {
        "none" => {
            only_for(
                wake.efficiency.is_some() || wake.efficiency_curve.is_some(),
                "efficiency",
                "wind_farm_efficiency",
            )?;
            only_for(wake.curves.is_some(), "curves", "dena_* / knorr_*")?;
            WakeLosses::None
        }
        "wind_farm_efficiency" => {
            only_for(wake.curves.is_some(), "curves", "dena_* / knorr_*")?;
            let efficiency = match (wake.efficiency, &wake.efficiency_curve) {
                (Some(e), None) => {
                    if !(e > 0.0 && e <= 1.0) {
                        bail!("{p}: [wake] efficiency: {e} must be in (0, 1]");
                    }
                    WakeEfficiency::Constant(e)
                }
                (None, Some(c)) => {
                    let c = rel(c);
                    let column = wake.efficiency_column.as_deref().unwrap_or("efficiency");
                    let curve = turbine::efficiency_curve(&c, column)
                        .map_err(|e| anyhow!("{p}: [wake] efficiency_curve: {e}"))?;
                    if curve.wind_speed.is_empty()
                        || curve.power.iter().any(|e| !(*e >= 0.0 && *e <= 1.0))
                    {
                        bail!(
                            "{p}: [wake] efficiency_curve: {}: column '{column}' must hold efficiencies in [0, 1]",
                            c.display()
                        );
                    }
                    inputs.push(c);
                    WakeEfficiency::Curve(curve)
                }
                _ => bail!(
                    "{p}: [wake] model wind_farm_efficiency needs one of efficiency = 0.9 or efficiency_curve = \"FILE\""
                ),
            };
            WakeLosses::PowerEfficiency { efficiency }
        }
        name => {
            only_for(
                wake.efficiency.is_some() || wake.efficiency_curve.is_some(),
                "efficiency",
                "wind_farm_efficiency",
            )?;
            let file = match (&wake.curves, name.split('_').next()) {
                (Some(c), _) => rel(c),
                (None, Some(prefix @ ("dena" | "knorr"))) => library
                    .as_deref()
                    .map(|d| d.join(format!("wind_efficiency_curves_{prefix}.csv")))
                    .ok_or_else(|| {
                        anyhow!(
                            "{p}: [wake] model '{name}' reads wind_efficiency_curves_{prefix}.csv: \
                             give --turbine-library DIR or [wake] curves = \"FILE\""
                        )
                    })?,
                _ => bail!(
                    "{p}: [wake] model '{name}': expected none, wind_farm_efficiency or a wind \
                     efficiency curve ({}; others with curves = \"FILE\")",
                    WIND_EFFICIENCY_CURVES.join(", ")
                ),
            };
            let curve = turbine::efficiency_curve(&file, name)
                .map_err(|e| anyhow!("{p}: [wake] model: {e}"))?;
            if curve.wind_speed.is_empty() {
                bail!("{p}: [wake] model: {}: no rows", file.display());
            }
            inputs.push(file);
            WakeLosses::WindEfficiency {
                name: name.into(),
                curve,
            }
        }
    };
    let smoothing = match f.smoothing {
        None => None,
        Some(s) => {
            let spread = match s.method.as_str() {
                "turbulence_intensity" => Spread::TurbulenceIntensity {
                    intensity: s.turbulence_intensity,
                },
                "staffell_pfenninger" | "Staffell_Pfenninger" => {
                    if s.turbulence_intensity.is_some() {
                        bail!(
                            "{p}: [smoothing] turbulence_intensity applies to method turbulence_intensity"
                        );
                    }
                    Spread::StaffellPfenninger
                }
                other => bail!(
                    "{p}: [smoothing] method '{other}': expected turbulence_intensity or staffell_pfenninger"
                ),
            };
            let order = match s.order.as_deref().unwrap_or("wind_farm_power_curves") {
                "wind_farm_power_curves" => SmoothingOrder::WindFarmPowerCurves,
                "turbine_power_curves" => SmoothingOrder::TurbinePowerCurves,
                other => bail!(
                    "{p}: [smoothing] order '{other}': expected wind_farm_power_curves or turbine_power_curves"
                ),
            };
            let block_width = s.block_width.unwrap_or(0.5);
            if !(block_width > 0.0 && block_width <= 5.0) {
                bail!("{p}: [smoothing] block_width: {block_width} m/s must be in (0, 5]");
            }
            if let Some(ti) = s.turbulence_intensity
                && !(ti > 0.0 && ti < 1.0)
            {
                bail!("{p}: [smoothing] turbulence_intensity: {ti} must be in (0, 1)");
            }
            Some(FarmSmoothing {
                spread,
                order,
                block_width,
            })
        }
    };
    Ok(FarmPlan {
        name: f.name.unwrap_or_else(|| {
            path.file_stem()
                .map_or("farm".into(), |s| s.to_string_lossy().into_owned())
        }),
        farm,
        sources,
        settings: FarmSettings {
            wake_losses,
            smoothing,
        },
        inputs,
    })
}

fn simulate_farm(span: &mut Span, a: &WindSimulateArgs, path: &Path) -> Result<Outcome> {
    let plan = read_farm(path, a.turbine_library.as_deref())?;
    let farm = &plan.farm;
    let hub_height = farm.mean_hub_height();
    check_obstacle(a, hub_height)?;
    let settings = chain_settings(a, hub_height)?;
    let mut inputs: Vec<&Path> = plan.inputs.iter().map(PathBuf::as_path).collect();
    inputs.push(&a.weather);
    for o in [&a.out, &a.plot].into_iter().flatten() {
        check_output(o, &inputs)?;
    }
    let w = span.phase("read", |_| WindWeather::read(&a.weather))?;
    let run = span
        .phase("simulate", |_| {
            farm::simulate(&w, farm, &plan.settings, &settings, a.density_correction)
        })
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let nominal = farm.nominal_power();
    let y = Year::of(&w, &run.hours, nominal);
    write_outputs(span, a, &w, &run.hours, y.step_h)?;
    let wake = match &plan.settings.wake_losses {
        WakeLosses::None => "none".to_string(),
        WakeLosses::PowerEfficiency {
            efficiency: WakeEfficiency::Constant(e),
        } => format!("wind_farm_efficiency {e}"),
        WakeLosses::PowerEfficiency { .. } => "wind_farm_efficiency (curve)".to_string(),
        WakeLosses::WindEfficiency { name, .. } => name.clone(),
    };
    let smoothing = plan.settings.smoothing.map(|s| {
        json!({
            "method": match s.spread {
                Spread::TurbulenceIntensity { .. } => "turbulence_intensity",
                Spread::StaffellPfenninger => "staffell_pfenninger",
            },
            "order": s.order,
            "block_width": s.block_width,
            "turbulence_intensity": run.turbulence_intensity,
        })
    });
    let order = |o: SmoothingOrder| match o {
        SmoothingOrder::TurbinePowerCurves => "on each turbine's curve",
        SmoothingOrder::WindFarmPowerCurves => "on the farm's curve",
    };
    let mut text = String::new();
    let n = farm.number_of_turbines();
    writeln!(
        text,
        "{}: {n} turbines, {:.1} MW, mean hub height {hub_height:.1} m: {} hours; {}",
        plan.name,
        nominal / 1e6,
        run.hours.len(),
        y.energy_text(),
    )?;
    writeln!(
        text,
        "wake losses: {wake}; smoothing: {}",
        match (&plan.settings.smoothing, run.turbulence_intensity) {
            (None, _) => "none".to_string(),
            (Some(s), Some(ti)) => format!("turbulence intensity {ti:.4}, {}", order(s.order)),
            (Some(s), None) => format!("Staffell-Pfenninger, {}", order(s.order)),
        }
    )?;
    for f in farm.fleets() {
        writeln!(
            text,
            "  {} × {} at {} m ({:.0} kW each)",
            f.number_of_turbines,
            f.name,
            f.hub_height,
            f.nominal_power / 1e3
        )?;
    }
    y.missing_line(&mut text)?;
    for (name, count, why) in &w.screened {
        writeln!(text, "  {name}: {count} values set missing ({why})")?;
    }
    Ok(Outcome {
        results: json!({
            "farm": plan.name,
            "fleets": farm.fleets().iter().zip(&plan.sources).map(|(f, s)| json!({
                "turbine": f.name,
                "source": s,
                "hub_height": f.hub_height,
                "number_of_turbines": f.number_of_turbines,
                "nominal_power_w": f.nominal_power,
            })).collect::<Vec<_>>(),
            "number_of_turbines": n,
            "mean_hub_height": hub_height,
            "annual_energy_mwh": y.full_year().then_some(y.mwh),
            "energy_mwh": y.mwh,
            "covered_hours": y.span_h - y.deleted_h - y.missing as f64 * y.step_h,
            "span_hours": y.span_h,
            "deleted_hours": y.deleted_h,
            "capacity_factor": y.cf,
            "nominal_power_w": nominal,
            "missing_hours": y.missing,
            "screened": w.screened.iter().map(|(c, n, why)| json!({"column": c, "count": n, "rule": why})).collect::<Vec<_>>(),
            "wake_losses": wake,
            "smoothing": smoothing,
            "settings": settings,
        }),
        text,
        unit: Some(FunctionalUnit::new("turbine-year", n * y.years)),
    })
}

pub fn sample_weather(span: &mut Span, _ctx: &Ctx, a: &crate::cli::SampleArgs) -> Result<Outcome> {
    check_output(&a.out, &[])?;
    let text = span.phase("generate", |_| terrawatt_wind::sample::weather_csv(a.seed));
    span.phase("write", |_| {
        terrawatt_meter::write_atomic(&a.out, text.as_bytes())
    })
    .with_context(|| format!("writing {}", a.out.display()))?;
    Ok(Outcome {
        results: json!({ "out": a.out, "seed": a.seed, "hours": 8760 }),
        text: format!(
            "{}: a synthetic hourly weather year (2019, wind at 10 m and 80 m), seed {}\n",
            a.out.display(),
            a.seed
        ),
        unit: None,
    })
}

/// The demo's wind task: a generic 3.6 MW turbine (rotor 120 m, cut-in 3, rated 12,
/// cut-out 25 m/s) at 100 m on the sample weather year, windpowerlib's chain defaults.
pub fn demo_simulate(span: &mut Span, weather: &Path) -> Result<serde_json::Value> {
    let w = span.phase("read", |_| WindWeather::read(weather))?;
    let g = GenericTurbine {
        rated_power: 3.6e6,
        rotor_diameter: 120.0,
        cut_in: 3.0,
        rated_speed: 12.0,
        cut_out: 25.0,
        cp_max: None,
    }
    .check()
    .map_err(|e| anyhow!("{e}"))?;
    let power = PowerModel::PowerCurve {
        curve: g.power_curve(),
        density_correction: false,
    };
    let hours = span.phase("simulate", |_| {
        chain::run(&w, &power, &ChainSettings::new(100.0))
    })?;
    let present: Vec<f64> = hours
        .iter()
        .map(|h| h.power)
        .filter(|p| !p.is_nan())
        .collect();
    let mwh = present.iter().sum::<f64>() / 1e6;
    Ok(json!({
        "name": "wind-simulate",
        "weather": weather.display().to_string(),
        "annual_energy_mwh": mwh,
        "capacity_factor": mwh / (3.6 * present.len() as f64),
        "hours": present.len(),
    }))
}
