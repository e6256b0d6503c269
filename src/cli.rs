//! The command line (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use terrawatt_wind::weather::SpeedUnit;

/// AI-for-climate analytics that measures its own footprint.
///
/// Every command ends with one line on stderr: the energy it used, how that figure was
/// obtained (a hardware counter, or a model estimate with its band) and the carbon it
/// emitted.
#[derive(Debug, Parser)]
#[command(name = "terrawatt", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Grid carbon intensity of this country (ISO 3166 code, e.g. FR, DEU).
    #[arg(
        long,
        global = true,
        env = "TERRAWATT_COUNTRY",
        value_name = "CODE",
        help_heading = "Energy and carbon"
    )]
    pub country: Option<String>,
    /// Grid carbon intensity of this cloud region (e.g. gcp:europe-west1).
    #[arg(
        long,
        global = true,
        value_name = "PROVIDER:REGION",
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub cloud_region: Option<String>,
    /// Grid carbon intensity, gCO2e/kWh.
    ///
    /// It overrides --country and --cloud-region.
    #[arg(
        long,
        global = true,
        value_name = "G_PER_KWH",
        help_heading = "Energy and carbon"
    )]
    pub grid_intensity: Option<f64>,
    /// An hourly (or finer) grid-intensity series: Electricity Maps' CSV export or
    /// `datetime,g_per_kwh` with UTC offsets. Each phase's energy is counted at the mean
    /// intensity over its own wall-clock interval; the file must cover the run's start.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub grid_intensity_file: Option<PathBuf>,
    /// With --grid-intensity-file of Electricity Maps: the direct (scope 2) column instead
    /// of life cycle.
    #[arg(
        long,
        global = true,
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub grid_intensity_direct: bool,
    /// The --grid-intensity-file holds marginal intensities (e.g. WattTime's), not average
    /// ones: the report says so.
    #[arg(
        long,
        global = true,
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub grid_intensity_marginal: bool,
    /// Power usage effectiveness of the facility.
    #[arg(
        long,
        global = true,
        default_value_t = 1.0,
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub pue: f64,
    /// Embodied emissions of this machine, kgCO2e (SCI's M); off unless given.
    #[arg(
        long,
        global = true,
        value_name = "KG",
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub embodied_kgco2e: Option<f64>,
    /// Expected lifetime of the machine, years (with --embodied-kgco2e).
    #[arg(
        long,
        global = true,
        default_value_t = 4.0,
        value_name = "YEARS",
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub lifetime_years: f64,
    /// Share of the machine reserved for the task, 0–1 (with --embodied-kgco2e).
    #[arg(
        long,
        global = true,
        default_value_t = 1.0,
        value_name = "SHARE",
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub machine_share: f64,
    /// Which table gives a busy logical CPU's power for the model: tdp (TDP ÷ the physical
    /// package's threads), ccf (Cloud Carbon Footprint's SPECpower watts per vCPU by
    /// microarchitecture), auto (tdp where the processor is known, else ccf).
    #[arg(long, global = true, value_enum, default_value_t = PowerModelArg::Auto, env = "TERRAWATT_POWER_MODEL", help_heading = "Energy and carbon", hide_short_help = true)]
    pub power_model: PowerModelArg,
    /// Power of one busy logical CPU (vCPU, hardware thread), W, for the model (instead of
    /// the tables).
    #[arg(
        long,
        global = true,
        env = "TERRAWATT_CPU_W_PER_CORE",
        value_name = "W",
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub cpu_watts_per_core: Option<f64>,
    /// Memory power, W per GB, for the model [default: 0.3725].
    #[arg(
        long,
        global = true,
        value_name = "W",
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub mem_watts_per_gb: Option<f64>,
    /// Use the power model even where a hardware counter is readable.
    #[arg(
        long,
        global = true,
        help_heading = "Energy and carbon",
        hide_short_help = true
    )]
    pub energy_model: bool,
    /// Append a row to this CodeCarbon-format emissions.csv.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Reports",
        hide_short_help = true
    )]
    pub emissions_csv: Option<PathBuf>,
    /// Project name for the emissions.csv row.
    #[arg(
        long,
        global = true,
        default_value = "terrawatt",
        value_name = "NAME",
        help_heading = "Reports",
        hide_short_help = true
    )]
    pub project_name: String,
    /// Experiment id for the emissions.csv row.
    #[arg(
        long,
        global = true,
        default_value = "",
        value_name = "ID",
        help_heading = "Reports",
        hide_short_help = true
    )]
    pub experiment_id: String,
    /// Water usage effectiveness, L/kWh, for the emissions.csv row.
    #[arg(
        long,
        global = true,
        value_name = "L_PER_KWH",
        help_heading = "Reports",
        hide_short_help = true
    )]
    pub wue: Option<f64>,
    /// Write the task's JSON report (results and energy record) to this file.
    #[arg(long, global = true, value_name = "FILE", help_heading = "Reports")]
    pub report: Option<PathBuf>,
    /// Print the JSON report on stdout instead of the text results.
    #[arg(long, global = true, help_heading = "Reports")]
    pub json: bool,
    /// Worker threads [default: all logical CPUs].
    #[arg(long, global = true, value_name = "N", help_heading = "Run")]
    pub threads: Option<usize>,
    /// No progress bars or notes.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Run"
    )]
    pub quiet: bool,
    /// Also print each phase's energy and the energy sources.
    #[arg(short, long, global = true, help_heading = "Run")]
    pub verbose: bool,
    /// Called inside another program (`app::call`, the Python package): nothing is printed;
    /// warnings reach the caller through the results.
    #[arg(skip)]
    pub in_process: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Building energy: load models with a green model choice; CalTRACK baselines, ASHRAE
    /// Guideline 14 and savings with their uncertainty.
    #[command(subcommand)]
    Building(Box<BuildingCommand>),
    /// Solar: the Sun's position (NREL SPA), clear sky, and a PV system's output from weather.
    #[command(subcommand)]
    Solar(Box<SolarCommand>),
    /// Wind: hub-height wind, air density and turbine or farm output (with wake losses).
    #[command(subcommand)]
    Wind(Box<WindCommand>),
    /// Forecasting renewable output: backtests with skill scores, and forecasts with
    /// quantile bands.
    #[command(subcommand)]
    Forecast(Box<crate::commands::forecast::ForecastCommand>),
    /// Satellite rasters: indices, two-date change, breaks and trends in time series,
    /// accuracy and area, landscape metrics, zonal statistics, forest loss, land-cover
    /// transitions.
    #[command(subcommand)]
    Raster(Box<crate::commands::raster::RasterCommand>),
    /// Energy accounting: what this machine can measure, calibration, carbon tables, the
    /// greenest time to run, thread-count sweeps.
    #[command(subcommand)]
    Energy(EnergyCommand),
    /// Runs a small task of each pillar on the bundled sample data, with a total.
    Demo(DemoArgs),
    /// Past one machine: a run folder of tasks (tiles, sites, meters), a manifest and the
    /// Slurm batch scripts.
    #[command(subcommand)]
    Plan(Box<crate::commands::scale::PlanCommand>),
    /// Runs one task of a planned run (a manifest row): its outputs and its energy report.
    RunTask(crate::commands::scale::RunTaskArgs),
    /// Puts a planned run's outputs together: mosaics, tables, the summed energy.
    Merge(crate::commands::scale::MergeArgs),
    /// Submits a planned run to Slurm (the tasks not yet done and the merge after them), or
    /// runs it here with --local.
    Submit(crate::commands::scale::SubmitArgs),
    /// Prints a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// `--power-model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PowerModelArg {
    Auto,
    Tdp,
    Ccf,
}

#[derive(Debug, Subcommand)]
pub enum EnergyCommand {
    /// Which energy sources are readable here, and why the others are not.
    Info,
    /// Fits per-core power from RAPL and saves it for the model.
    Calibrate(CalibrateArgs),
    /// The bundled per-country grid intensities.
    Countries,
    /// The bundled cloud-region grid intensities.
    Regions,
    /// When to run: the start within a window that emits least, against an hourly
    /// intensity series, with the emissions now, at the worst start and the saving.
    When(WhenArgs),
    /// Runs a command at each thread count (1…N) and reports time, energy and carbon of
    /// each, and the energy-optimal and time-optimal setting.
    Sweep(SweepArgs),
    /// Writes a synthetic hourly grid-intensity series (notebooks-data's sample).
    SampleIntensity(SampleIntensityArgs),
}

#[derive(Debug, Args)]
pub struct WhenArgs {
    /// The intensity series (Electricity Maps' CSV export, or datetime,g_per_kwh).
    #[arg(long, value_name = "FILE", help_heading = "Intensity")]
    pub intensity: PathBuf,
    /// With Electricity Maps' export: the direct column instead of life cycle.
    #[arg(long, help_heading = "Intensity", hide_short_help = true)]
    pub direct: bool,
    /// How long the run takes, e.g. 3h, 90m, 45s (with --plan: one task; default there:
    /// the longest finished task's wall time).
    #[arg(
        long,
        value_name = "DURATION",
        required_unless_present = "plan",
        help_heading = "The run"
    )]
    pub duration: Option<String>,
    /// A planned run's folder: when to submit its unfinished tasks, in waves of
    /// --parallel (default: the plan's max parallel, else 1), so that their carbon is
    /// lowest before --deadline / within --within.
    #[arg(long, value_name = "RUN", help_heading = "The run")]
    pub plan: Option<PathBuf>,
    /// With --plan: tasks that run at once.
    #[arg(long, value_name = "N", help_heading = "The run")]
    pub parallel: Option<usize>,
    /// The run's energy from a terrawatt JSON report (its energy.joules, PUE included).
    #[arg(
        long,
        value_name = "REPORT",
        conflicts_with = "joules",
        help_heading = "The run"
    )]
    pub energy_from: Option<PathBuf>,
    /// The run's energy, J, before --pue (with --plan: one task's; default there: the
    /// finished tasks' mean).
    #[arg(
        long,
        value_name = "J",
        allow_hyphen_values = true,
        help_heading = "The run"
    )]
    pub joules: Option<f64>,
    /// The earliest start (RFC 3339 with offset) [default: now].
    #[arg(long, value_name = "TIME", help_heading = "Window")]
    pub from: Option<String>,
    /// The run must end within this long of the earliest start [default: 24h].
    #[arg(long, value_name = "DURATION", help_heading = "Window")]
    pub within: Option<String>,
    /// The run must end by this time (RFC 3339 with offset).
    #[arg(long, value_name = "TIME", help_heading = "Window")]
    pub deadline: Option<String>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The highest thread count [default: the logical CPUs].
    #[arg(long, value_name = "N")]
    pub max_threads: Option<usize>,
    /// The command and its arguments, after `--`. Each run gets RAYON_NUM_THREADS and
    /// OMP_NUM_THREADS set to its thread count.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SampleIntensityArgs {
    /// Seed of the synthetic series.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// First hour (RFC 3339 with offset).
    #[arg(long, default_value = "2026-01-05T00:00:00Z")]
    pub start: String,
    /// Days of hourly values.
    #[arg(long, default_value_t = 14)]
    pub days: usize,
    /// Where to write the CSV.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Seconds of load at each busy-core count.
    #[arg(long, default_value_t = 5.0)]
    pub step_seconds: f64,
    /// Where to save it [default: $XDG_CONFIG_HOME/terrawatt/calibration.json].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Synthetic weather sites in the meter workload.
    #[arg(long, default_value_t = 300)]
    pub sites: usize,
    /// Years of hourly temperature per site.
    #[arg(long, default_value_t = 20)]
    pub years: usize,
    /// Seed of the synthetic weather and of the models.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The folder of the bundled sample data [default: ./notebooks-data, else the
    /// source tree's].
    #[arg(long, value_name = "DIR")]
    pub samples: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BuildingCommand {
    /// Fits a load model and saves it (with --model auto: the green model choice).
    Fit(BuildingFitArgs),
    /// Predicts with a saved model.
    Predict(BuildingPredictArgs),
    /// K-fold cross-validation: per-fold and mean ± sd MAE, RMSE, R².
    Cv(BuildingCvArgs),
    /// Writes synthetic buildings with physically plausible loads (the sample data).
    Sample(BuildingSampleArgs),
    /// Fits a weather-normalised baseline of metered use (CalTRACK daily/billing or hourly
    /// TOWT) with its ASHRAE Guideline 14 fit, and saves it.
    Baseline(BaselineArgs),
    /// Predicts a saved baseline over a reporting period: avoided energy use and its
    /// fractional savings uncertainty.
    Savings(SavingsArgs),
    /// Baselines and savings of every meter file in a folder, in parallel, and their sum.
    Portfolio(PortfolioArgs),
    /// Writes a synthetic meter and its hourly temperature (the sample baseline data).
    SampleMeter(SampleMeterArgs),
}

/// The interval of metered data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FreqName {
    Daily,
    Billing,
    Hourly,
}

/// What a run of zero readings the model expects use on is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ZerosName {
    /// Refused, naming the run.
    Check,
    /// Gaps the export wrote as 0: left out as missing, counted and listed.
    Missing,
    /// Real readings: the building used nothing.
    Keep,
}

/// Meter and temperature files and how to read them.
#[derive(Debug, Clone, Args)]
pub struct MeterInputArgs {
    /// Meter file (CSV, gzipped CSV or Parquet): `start` (timestamp with UTC offset) and
    /// `value`; an optional `end` column.
    #[arg(long, value_name = "FILE", help_heading = "Meter and temperature")]
    pub meter: PathBuf,
    /// Hourly temperature file (CSV, gzipped CSV or Parquet): `dt` and a temperature column.
    #[arg(long, value_name = "FILE", help_heading = "Meter and temperature")]
    pub temperature: PathBuf,
    /// Unit of the temperature file: F or C.
    #[arg(long, value_name = "F|C", value_parser = one_of::<String>(&["F", "C"]), help_heading = "Meter and temperature")]
    pub temperature_unit: Option<String>,
    /// Time zone (IANA name) for timestamps written without a UTC offset.
    #[arg(long, value_name = "ZONE", help_heading = "Meter and temperature")]
    pub tz: Option<String>,
    /// Meter columns: time, value (defaults: start, value).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Meter and temperature",
        hide_short_help = true
    )]
    pub meter_time_column: Option<String>,
    /// The meter file's value column, where it is not named value, usage, kwh or consumption.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Meter and temperature",
        hide_short_help = true
    )]
    pub meter_value_column: Option<String>,
    /// Temperature columns: time, value (defaults: dt, then tempF/tempC/temperature).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Meter and temperature",
        hide_short_help = true
    )]
    pub temperature_time_column: Option<String>,
    /// The temperature file's value column, where the reader does not find it by name.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Meter and temperature",
        hide_short_help = true
    )]
    pub temperature_column: Option<String>,
    /// Time zone (IANA name) of the temperature file's stamps written without a UTC offset,
    /// where it is not --tz's (UTC for most weather stations' records).
    #[arg(long, value_name = "ZONE", help_heading = "Meter and temperature")]
    pub temperature_tz: Option<String>,
    /// Use temperatures whose mean daily cycle peaks outside 10:00–19:59 of the local clock
    /// as stamped, instead of refusing them as stamps in another zone.
    #[arg(long, help_heading = "Meter and temperature", hide_short_help = true)]
    pub allow_temperature_shift: bool,
    /// Accept negative usage (net-metered data).
    #[arg(long, help_heading = "Meter and temperature", hide_short_help = true)]
    pub allow_negative: bool,
    /// Runs of zero readings (3 days or more) where the model expects use: refused
    /// (check), taken as gaps (missing), or kept as use (keep).
    #[arg(
        long,
        value_enum,
        default_value = "check",
        help_heading = "Meter and temperature"
    )]
    pub zeros: ZerosName,
}

/// The balance-point grid and qualification of daily/billing models.
#[derive(Debug, Clone, Args)]
pub struct GridArgs {
    /// Balance-point grid in °F: lowest, highest, step (≤ 3).
    #[arg(
        long,
        default_value_t = 30.0,
        value_name = "°F",
        help_heading = "Model"
    )]
    pub bp_min: f64,
    /// The balance-point grid's highest temperature, °F.
    #[arg(
        long,
        default_value_t = 90.0,
        value_name = "°F",
        help_heading = "Model",
        hide_short_help = true
    )]
    pub bp_max: f64,
    /// The balance-point grid's step, °F (at most 3).
    #[arg(
        long,
        default_value_t = 3.0,
        value_name = "°F",
        help_heading = "Model",
        hide_short_help = true
    )]
    pub bp_step: f64,
    /// Slopes must have a p-value below this to qualify (not applied by default).
    #[arg(long, value_name = "P", help_heading = "Model", hide_short_help = true)]
    pub max_p_value: Option<f64>,
    /// Write the model although the baseline is disqualified (the disqualifications are
    /// recorded in it).
    #[arg(long, help_heading = "Model", hide_short_help = true)]
    pub allow_insufficient: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub input: MeterInputArgs,
    /// The meter's interval: daily, billing (CalTRACK's daily and billing methods) or hourly
    /// (TOWT).
    #[arg(long, value_enum, help_heading = "Model")]
    pub freq: FreqName,
    /// Baseline start and end: a date (local midnight in the meter's clock) or a timestamp.
    #[arg(long, value_name = "TIME", help_heading = "Period")]
    pub start: Option<String>,
    /// The end of the period: a date (local midnight) or a timestamp, as the start.
    #[arg(long, value_name = "TIME", help_heading = "Period")]
    pub end: Option<String>,
    #[command(flatten)]
    pub grid: GridArgs,
    /// Model file (JSON).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
    /// PNG: usage against temperature with the fitted model.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SavingsArgs {
    /// Baseline model file from `building baseline`.
    #[arg(long, value_name = "FILE", help_heading = "Baseline")]
    pub model: PathBuf,
    #[command(flatten)]
    pub input: MeterInputArgs,
    /// Reporting period start and end: a date (local midnight) or a timestamp.
    #[arg(long, value_name = "TIME", help_heading = "Reporting period")]
    pub start: String,
    /// The end of the period: a date (local midnight) or a timestamp, as the start.
    #[arg(long, value_name = "TIME", help_heading = "Reporting period")]
    pub end: Option<String>,
    /// Confidence level of the savings uncertainty.
    #[arg(long, default_value_t = 0.90, help_heading = "Reporting period")]
    pub confidence: f64,
    /// CSV of the reporting periods: start, end, temperature, observed, predicted.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// PNG: baseline prediction against observed use over time.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
    /// Accept a reporting period that starts before the baseline period ends (the
    /// overlap's savings compare the model with the data it was fitted on).
    #[arg(long, help_heading = "Reporting period", hide_short_help = true)]
    pub allow_overlap: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PortfolioArgs {
    /// Folder of meter files (every .csv, .csv.gz and .parquet in it), or a meter file;
    /// repeat for several.
    #[arg(
        long,
        value_name = "DIR|FILE",
        required = true,
        help_heading = "Meters"
    )]
    pub meters: Vec<PathBuf>,
    /// Hourly temperature file shared by the meters.
    #[arg(long, value_name = "FILE", help_heading = "Meters")]
    pub temperature: PathBuf,
    /// The temperature file's unit: F or C.
    #[arg(long, value_name = "F|C", value_parser = one_of::<String>(&["F", "C"]), help_heading = "Meters")]
    pub temperature_unit: String,
    /// The time zone of time stamps written without a UTC offset (an IANA name, e.g. America/Chicago).
    #[arg(long, value_name = "ZONE", help_heading = "Meters")]
    pub tz: Option<String>,
    /// Time zone (IANA name) of the temperature file's stamps written without a UTC offset,
    /// where it is not --tz's (UTC for most weather stations' records).
    #[arg(long, value_name = "ZONE", help_heading = "Meters")]
    pub temperature_tz: Option<String>,
    /// Use temperatures whose mean daily cycle peaks outside 10:00–19:59 of the local clock
    /// as stamped, instead of refusing them as stamps in another zone.
    #[arg(long, help_heading = "Meters", hide_short_help = true)]
    pub allow_temperature_shift: bool,
    /// The meters' interval: daily, billing or hourly.
    #[arg(long, value_enum, help_heading = "Periods")]
    pub freq: FreqName,
    /// Baseline period.
    #[arg(long, value_name = "TIME", help_heading = "Periods")]
    pub baseline_start: Option<String>,
    /// The baseline period's end: a date (local midnight) or a timestamp.
    #[arg(long, value_name = "TIME", help_heading = "Periods")]
    pub baseline_end: String,
    /// Reporting period.
    #[arg(long, value_name = "TIME", help_heading = "Periods")]
    pub start: String,
    /// The end of the period: a date (local midnight) or a timestamp, as the start.
    #[arg(long, value_name = "TIME", help_heading = "Periods")]
    pub end: Option<String>,
    /// Confidence level of each meter's and the total's savings uncertainty.
    #[arg(long, default_value_t = 0.90, help_heading = "Periods")]
    pub confidence: f64,
    #[command(flatten)]
    pub grid: GridArgs,
    /// Accept negative usage (net-metered data).
    #[arg(long, help_heading = "Meters", hide_short_help = true)]
    pub allow_negative: bool,
    /// Runs of zero readings (3 days or more) where the model expects use: refused
    /// (check), taken as gaps (missing), or kept as use (keep).
    #[arg(long, value_enum, default_value = "check", help_heading = "Meters")]
    pub zeros: ZerosName,
    /// CSV with one row per meter.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Accept a reporting period that starts before the baseline period ends.
    #[arg(long, help_heading = "Periods", hide_short_help = true)]
    pub allow_overlap: bool,
    /// The unit of meters whose file does not say (a `unit` column or a value column named
    /// kwh, therms, …): kWh, Wh, MWh, therms, ccf, MJ, GJ.
    #[arg(
        long,
        value_name = "UNIT",
        help_heading = "Meters",
        hide_short_help = true
    )]
    pub unit: Option<String>,
    /// Convert every meter to this unit before totalling (meters in different units are
    /// refused otherwise).
    #[arg(
        long,
        value_name = "UNIT",
        help_heading = "Meters",
        hide_short_help = true
    )]
    pub convert_to: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SampleMeterArgs {
    /// Meter CSV to write (daily use, timestamps in America/Chicago with their offsets).
    #[arg(long, value_name = "FILE")]
    pub out_meter: PathBuf,
    /// Hourly temperature CSV to write (°F).
    #[arg(long, value_name = "FILE")]
    pub out_temperature: PathBuf,
    /// The synthetic meter's interval: daily, billing or hourly.
    #[arg(long, value_enum, default_value = "daily")]
    pub freq: FreqName,
    /// Seed of the synthetic use and weather.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Debug, Clone, Args)]
pub struct BuildingSampleArgs {
    /// Buildings (rows) to draw.
    #[arg(long, default_value_t = 400)]
    pub rows: usize,
    /// Seed of the synthetic buildings.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output CSV.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// The model families; `auto` compares them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelName {
    Ols,
    Ridge,
    Elasticnet,
    Tree,
    Forest,
    Gbm,
    Auto,
}

/// Boosting losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LossName {
    Squared,
    Absolute,
    Huber,
    Quantile,
}

#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Table of buildings: CSV (gzipped too) or Parquet.
    #[arg(long, value_name = "FILE", help_heading = "Data")]
    pub data: PathBuf,
    /// Columns to leave out of the default features.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "COL,…",
        help_heading = "Data"
    )]
    pub exclude: Vec<String>,
    /// Drop rows with a missing value (counted and reported) instead of failing.
    #[arg(long, help_heading = "Data")]
    pub drop_missing: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The column to predict.
    #[arg(long, value_name = "COL", help_heading = "Data")]
    pub target: String,
    /// Feature columns [default: every numeric column but the target].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "COL,…",
        help_heading = "Data"
    )]
    pub features: Option<Vec<String>>,
}

#[derive(Debug, Clone, Args)]
pub struct HyperArgs {
    /// Model family.
    #[arg(long, value_enum, default_value = "gbm", help_heading = "Model")]
    pub model: ModelName,
    /// Seed of every random draw (folds, bootstraps, subsamples).
    #[arg(long, default_value_t = 0, help_heading = "Model")]
    pub seed: u64,
    /// Ridge / elastic-net penalty [ridge 1.0, elastic net 0.01].
    #[arg(long, help_heading = "Model")]
    pub alpha: Option<f64>,
    /// Elastic-net L1 share, 0–1 (1: lasso) [0.5].
    #[arg(long, help_heading = "Model", hide_short_help = true)]
    pub l1_ratio: Option<f64>,
    /// Standardise features before a penalised fit [on for ridge and elastic net].
    #[arg(long, help_heading = "Model", hide_short_help = true)]
    pub standardize: Option<bool>,
    /// Tree depth [tree, forest: unlimited; gbm: 5].
    #[arg(long, help_heading = "Trees and boosting")]
    pub max_depth: Option<usize>,
    /// Boosting: grow each tree best-first (largest gain next, as LightGBM) to at most this
    /// many leaves, within --max-depth [off: every node down to the depth].
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub max_leaves: Option<usize>,
    /// Minimum rows per leaf [1].
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub min_samples_leaf: Option<usize>,
    /// Share of features tried per split, (0, 1] [1].
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub max_features: Option<f64>,
    /// Trees [forest 100, gbm 1000].
    #[arg(long, help_heading = "Trees and boosting")]
    pub n_trees: Option<usize>,
    /// Boosting learning rate [0.1].
    #[arg(long, help_heading = "Trees and boosting")]
    pub learning_rate: Option<f64>,
    /// Boosting row subsample per tree [0.8].
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub subsample: Option<f64>,
    /// Boosting loss [squared].
    #[arg(long, value_enum, help_heading = "Trees and boosting")]
    pub loss: Option<LossName>,
    /// Quantile for --loss quantile, or δ's quantile for huber [0.9].
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub quantile: Option<f64>,
    /// Boosting: hold out 10 % and stop after 50 rounds without improvement.
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub early_stopping: bool,
    /// Bins per feature, 2–256: forest trees split on histograms of this many bins, much
    /// faster on large tables [forest: exact splits; gbm: 256].
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub max_bins: Option<usize>,
    /// Boosting: gradient-based one-side sampling (LightGBM's GOSS), each tree on the
    /// --top-rate of rows with the largest errors and an --other-rate sample of the rest
    /// (the row subsample then defaults to 1).
    #[arg(long, help_heading = "Trees and boosting", hide_short_help = true)]
    pub goss: bool,
    /// GOSS: share of rows kept for their large errors [0.2].
    #[arg(
        long,
        requires = "goss",
        help_heading = "Trees and boosting",
        hide_short_help = true
    )]
    pub top_rate: Option<f64>,
    /// GOSS: share of rows sampled from the others [0.1].
    #[arg(
        long,
        requires = "goss",
        help_heading = "Trees and boosting",
        hide_short_help = true
    )]
    pub other_rate: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct BuildingFitArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub hyper: HyperArgs,
    /// Where to save the model (JSON).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
    /// Folds for --model auto.
    #[arg(
        long,
        default_value_t = 10,
        help_heading = "Model choice (--model auto)"
    )]
    pub cv: usize,
    /// --model auto: accept MAE within this share of the best.
    #[arg(
        long,
        default_value_t = 0.05,
        help_heading = "Model choice (--model auto)"
    )]
    pub tolerance: f64,
    /// --model auto: predictions over the model's life, for lifecycle energy.
    #[arg(
        long,
        default_value_t = 1e6,
        help_heading = "Model choice (--model auto)",
        hide_short_help = true
    )]
    pub expected_predictions: f64,
    /// --model auto: draw the Pareto front of accuracy against energy to this PNG.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Model choice (--model auto)",
        hide_short_help = true
    )]
    pub plot: Option<PathBuf>,
    /// Print permutation importance (5 shuffles per feature).
    #[arg(long, help_heading = "Output")]
    pub importance: bool,
    /// Bound the fit's memory (e.g. 2GB): gradient boosting and histogram forests on a
    /// Parquet table, read a column at a time into bin codes (as they always are), are
    /// refused before any work if their estimate exceeds the bound; fits that hold the
    /// table whole are refused.
    #[arg(
        long,
        value_name = "SIZE",
        help_heading = "Trees and boosting",
        hide_short_help = true
    )]
    pub memory: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct BuildingPredictArgs {
    /// A model saved by `building fit`.
    #[arg(long, value_name = "FILE", help_heading = "Model")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Predictions CSV: row, prediction (and the target where the data has it).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct BuildingCvArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub hyper: HyperArgs,
    /// Folds (shuffled K-fold).
    #[arg(long, default_value_t = 10, help_heading = "Folds")]
    pub cv: usize,
    /// Group column: whole groups stay in one fold (grouped K-fold).
    #[arg(long, value_name = "COL", help_heading = "Folds")]
    pub groups: Option<String>,
    /// Write each row's fold (row,fold; rows 0-based in file order).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub folds_out: Option<PathBuf>,
    /// Write the out-of-fold predictions (row,prediction).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub oof_out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SolarCommand {
    /// The Sun's position (NREL SPA) at a site over a range of times; columns named like
    /// pvlib's (apparent_zenith, zenith, apparent_elevation, elevation, azimuth,
    /// equation_of_time, …).
    Position(SolarPositionArgs),
    /// Clear-sky GHI, DNI and DHI at a site over a range of times (Ineichen–Perez,
    /// Haurwitz or simplified Solis).
    Clearsky(SolarClearskyArgs),
    /// Weather file → plane of array → cell temperature → PVWatts DC and AC: annual
    /// energy, specific yield and capacity factor, the time series and a plot.
    Simulate(SolarSimulateArgs),
    /// Writes a synthetic weather year (PVGIS TMY CSV layout; the sample data).
    SampleWeather(SolarSampleArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SolarSampleArgs {
    /// Seed of the synthetic weather.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClearskyModel {
    Ineichen,
    Haurwitz,
    Solis,
}

#[derive(Debug, Clone, Args)]
pub struct SolarClearskyArgs {
    /// Latitude, degrees north (−90…90).
    #[arg(long, allow_hyphen_values = true, help_heading = "Site")]
    pub lat: f64,
    /// Longitude, degrees east (−180…180).
    #[arg(long, allow_hyphen_values = true, help_heading = "Site")]
    pub lon: f64,
    /// Elevation above sea level, m.
    #[arg(
        long,
        default_value_t = 0.0,
        allow_hyphen_values = true,
        help_heading = "Site"
    )]
    pub elevation: f64,
    /// The start: a date (local midnight) or a timestamp.
    #[arg(long, value_name = "TIME", help_heading = "Times")]
    pub start: String,
    /// The end of the period, excluded: a date (local midnight) or a timestamp, as the
    /// start (a day of hours: --start 2024-06-01 --end 2024-06-02).
    #[arg(long, value_name = "TIME", help_heading = "Times")]
    pub end: String,
    /// Step between instants: 1min, 15min, 1h, …
    #[arg(long, default_value = "1h", help_heading = "Times")]
    pub freq: String,
    /// The time zone of time stamps written without a UTC offset (an IANA name, e.g. America/Chicago).
    #[arg(long, value_name = "ZONE", help_heading = "Times")]
    pub tz: Option<String>,
    /// The clear-sky model: ineichen (Ineichen–Perez with Linke turbidity), haurwitz or solis
    /// (simplified Solis).
    #[arg(
        long,
        value_enum,
        default_value = "ineichen",
        help_heading = "Atmosphere"
    )]
    pub model: ClearskyModel,
    /// Linke turbidity: one value, or twelve comma-separated monthly values (interpolated
    /// between mid-months).
    #[arg(long, default_value = "3.0", help_heading = "Atmosphere")]
    pub linke: String,
    /// The monthly Linke climatology (LinkeTurbidities.h5, read through GDAL's HDF5 driver):
    /// the site's twelve values, interpolated between mid-months; overrides --linke.
    #[arg(
        long,
        value_name = "FILE",
        env = "TERRAWATT_LINKE_FILE",
        help_heading = "Atmosphere",
        hide_short_help = true
    )]
    pub linke_file: Option<PathBuf>,
    /// Simplified Solis: aerosol optical depth at 700 nm and precipitable water (cm).
    #[arg(long, default_value_t = 0.1, help_heading = "Atmosphere")]
    pub aod700: f64,
    /// Simplified Solis: precipitable water, cm.
    #[arg(long, default_value_t = 1.0, help_heading = "Atmosphere")]
    pub precipitable_water: f64,
    /// Output CSV: the clear-sky irradiance at each instant.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct SolarSimulateArgs {
    /// Weather file: TMY3, TMY2, EPW, NSRDB PSM3 CSV or PVGIS TMY CSV (recognised by
    /// content; gzipped too).
    #[arg(long, value_name = "FILE", help_heading = "Weather")]
    pub weather: PathBuf,
    /// System description (TOML; see docs/solar.md).
    #[arg(long, value_name = "FILE", help_heading = "Site and system")]
    pub system: PathBuf,
    /// Where in each interval the Sun's position is taken: centre (default), start, end
    /// (end reproduces tools that use TMY3's hour-end stamps as they are).
    #[arg(long, default_value = "centre", value_parser = one_of::<String>(&["centre", "start", "end"]), help_heading = "Weather", hide_short_help = true)]
    pub position_at: String,
    /// The year a typical-year file is placed in.
    #[arg(long, default_value_t = 1990, help_heading = "Weather")]
    pub year: i32,
    /// A table (CSV, gzipped CSV, Parquet) rather than a TMY/PVGIS file: a `time` column
    /// (with UTC offsets, or naive with --tz) or Year, Month, Day, Hour[, Minute] columns;
    /// irradiance and weather columns found by name (see docs/solar.md) or mapped with
    /// --column.
    #[arg(long, help_heading = "Weather")]
    pub table: bool,
    /// Time zone (IANA) of naive times in a table.
    #[arg(
        long,
        value_name = "ZONE",
        requires = "table",
        help_heading = "Weather"
    )]
    pub tz: Option<String>,
    /// What a table's time stamps mark: start, end or centre of the interval [default:
    /// start].
    #[arg(long, requires = "table", value_parser = one_of::<String>(&["start", "end", "centre"]), help_heading = "Weather")]
    pub label: Option<String>,
    /// A table's site (a typical-year file has its own; the system file's [location] sets
    /// either).
    #[arg(
        long,
        allow_hyphen_values = true,
        requires = "table",
        help_heading = "Site and system"
    )]
    pub lat: Option<f64>,
    /// Longitude, degrees east (−180…180).
    #[arg(
        long,
        allow_hyphen_values = true,
        requires = "table",
        help_heading = "Site and system"
    )]
    pub lon: Option<f64>,
    /// Elevation above sea level, m.
    #[arg(
        long,
        allow_hyphen_values = true,
        requires = "table",
        help_heading = "Site and system"
    )]
    pub elevation: Option<f64>,
    /// Column mapping for a table, e.g. --column ghi=GHI --column temp_air=Temperature.
    #[arg(
        long = "column",
        value_name = "NAME=COLUMN",
        requires = "table",
        help_heading = "Weather"
    )]
    pub columns: Vec<String>,
    /// ΔT = TT − UT1 for the Sun's position, seconds.
    #[arg(
        long,
        default_value_t = 67.0,
        allow_hyphen_values = true,
        help_heading = "Weather",
        hide_short_help = true
    )]
    pub delta_t: f64,
    /// Fill runs of at most N missing weather values by linear interpolation in time
    /// (longer runs and runs at either end stay missing; fills are counted in the report).
    /// Without it a missing value gives no power for its interval.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Weather",
        hide_short_help = true
    )]
    pub fill_gaps: Option<usize>,
    /// Compute on a typical-year file that does not cover its whole year (rows cut or
    /// deleted, intervals without weather): the figures are then labelled with the hours
    /// they cover, never "annual". Without it such a file is refused.
    #[arg(long, help_heading = "Weather", hide_short_help = true)]
    pub allow_partial: bool,
    /// Simulate weather whose clear days come 40 min or more off the Sun (a clock or label
    /// an hour off), with a note, instead of refusing it.
    #[arg(long, help_heading = "Weather", hide_short_help = true)]
    pub allow_clock_shift: bool,
    /// Simulate GHI, DNI and DHI that do not close (the median of GHI / (DNI·cos Z + DHI)
    /// beyond 1 ± 15 %: columns swapped?) instead of refusing them.
    #[arg(long, help_heading = "Weather", hide_short_help = true)]
    pub allow_open_closure: bool,
    /// Simulate GHI whose clearest days stay under 70 % of the clear sky for three months
    /// or more (nine days in ten: Wh/m² per 30 minutes?) instead of refusing it: a sky
    /// dimmed by smoke or haze for that long.
    #[arg(long, help_heading = "Weather", hide_short_help = true)]
    pub allow_dim_sky: bool,
    /// CSV of the intervals.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// PNG: monthly AC energy.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Csv,
    Parquet,
}

#[derive(Debug, Clone, Args)]
pub struct SolarPositionArgs {
    /// Latitude, ° north (−90..90).
    #[arg(long, allow_hyphen_values = true, help_heading = "Site")]
    pub lat: f64,
    /// Longitude, ° east (−180..180).
    #[arg(long, allow_hyphen_values = true, help_heading = "Site")]
    pub lon: f64,
    /// Elevation above sea level, m.
    #[arg(
        long,
        default_value_t = 0.0,
        allow_hyphen_values = true,
        help_heading = "Site"
    )]
    pub elevation: f64,
    /// Annual mean pressure, hPa (mbar), for refraction.
    #[arg(
        long,
        default_value_t = 1013.25,
        help_heading = "Site",
        hide_short_help = true
    )]
    pub pressure: f64,
    /// Annual mean air temperature, °C, for refraction.
    #[arg(
        long,
        default_value_t = 12.0,
        allow_hyphen_values = true,
        help_heading = "Site",
        hide_short_help = true
    )]
    pub temperature: f64,
    /// ΔT = TT − UT1, seconds (67 s for the early 2000s, 69 s for 2020s).
    #[arg(
        long,
        default_value_t = 67.0,
        allow_hyphen_values = true,
        help_heading = "Site",
        hide_short_help = true
    )]
    pub delta_t: f64,
    /// First instant (RFC 3339 with offset, or naive with --tz); included.
    #[arg(long, value_name = "TIME", help_heading = "Times")]
    pub start: String,
    /// Last instant; excluded (a year of minutes: --start 2020-01-01T00:00:00Z --end 2021-01-01T00:00:00Z).
    #[arg(long, value_name = "TIME", help_heading = "Times")]
    pub end: String,
    /// Step: 30s, 1min, 15min, 1h, 1d.
    #[arg(long, default_value = "1h", help_heading = "Times")]
    pub freq: String,
    /// Time zone (IANA name) for naive --start/--end, and the clock the times are written in.
    #[arg(long, value_name = "ZONE", help_heading = "Times")]
    pub tz: Option<String>,
    /// Output file; CSV is streamed (any length in little memory).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
    /// The output's format: csv or parquet.
    #[arg(long, value_enum, default_value = "csv", help_heading = "Output")]
    pub format: TableFormat,
}

#[derive(Debug, Subcommand)]
// parsed once per run: the size of the largest variant does not matter
#[allow(clippy::large_enum_variant)]
pub enum WindCommand {
    /// A turbine's output over a weather table (windpowerlib's layout): annual energy,
    /// capacity factor, the hourly series and a monthly plot.
    Simulate(WindSimulateArgs),
    /// Writes the synthetic sample weather year (notebooks-data/wind-weather-sample.csv).
    SampleWeather(SampleArgs),
}

#[derive(Debug, Clone, Args)]
pub struct WindSimulateArgs {
    /// Weather CSV with a (variable, height) two-row header.
    #[arg(long, value_name = "FILE", help_heading = "Weather")]
    pub weather: PathBuf,
    /// The unit of the weather's wind speeds: m/s, km/h, kn, mph [default: m/s, and a
    /// mean no wind farm's site has is refused].
    #[arg(long, value_name = "UNIT", value_parser = one_of::<SpeedUnit>(&["m/s", "km/h", "kn", "mph"]), help_heading = "Weather")]
    pub wind_speed_unit: Option<SpeedUnit>,
    /// Turbine type as in the turbine library (e.g. E-126/4200).
    #[arg(long, help_heading = "Turbine")]
    pub turbine: Option<String>,
    /// Folder with the OpenEnergy-database CSVs (turbine_data.csv, power_curves.csv,
    /// power_coefficient_curves.csv) and/or NREL's turbine-model CSVs (by file name, in it
    /// or in its nrel_turbine_models/ folder).
    #[arg(
        long,
        value_name = "DIR",
        env = "TERRAWATT_TURBINE_LIBRARY",
        help_heading = "Turbine"
    )]
    pub turbine_library: Option<PathBuf>,
    /// A power curve CSV (wind_speed, value in W) instead of the library.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "turbine",
        help_heading = "Turbine"
    )]
    pub power_curve: Option<PathBuf>,
    /// A generic turbine instead (docs/wind.md): its rated power, with --rotor-diameter,
    /// --cut-in, --rated-speed and --cut-out.
    #[arg(long, value_name = "KW", conflicts_with_all = ["turbine", "power_curve"],
          requires_all = ["rotor_diameter", "cut_in", "rated_speed", "cut_out"], help_heading = "Turbine", hide_short_help = true)]
    pub rated_kw: Option<f64>,
    /// The generic turbine's rotor diameter.
    #[arg(
        long,
        value_name = "M",
        requires = "rated_kw",
        help_heading = "Turbine",
        hide_short_help = true
    )]
    pub rotor_diameter: Option<f64>,
    /// The generic turbine's cut-in wind speed.
    #[arg(
        long,
        value_name = "M/S",
        requires = "rated_kw",
        help_heading = "Turbine",
        hide_short_help = true
    )]
    pub cut_in: Option<f64>,
    /// The wind speed where the generic turbine reaches its rated power.
    #[arg(
        long,
        value_name = "M/S",
        requires = "rated_kw",
        help_heading = "Turbine",
        hide_short_help = true
    )]
    pub rated_speed: Option<f64>,
    /// The generic turbine's cut-out wind speed.
    #[arg(
        long,
        value_name = "M/S",
        requires = "rated_kw",
        help_heading = "Turbine",
        hide_short_help = true
    )]
    pub cut_out: Option<f64>,
    /// The generic turbine's power coefficient below its knee [default: 0.45].
    #[arg(
        long,
        value_name = "CP",
        requires = "rated_kw",
        help_heading = "Turbine",
        hide_short_help = true
    )]
    pub cp_max: Option<f64>,
    /// A wind farm (TOML: fleets of turbines with hub heights and numbers, wake losses,
    /// smoothing; docs/wind.md) instead of one turbine.
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["turbine", "power_curve", "rated_kw", "hub_height"], help_heading = "Turbine")]
    pub farm: Option<PathBuf>,
    /// Hub height of the turbine (a farm file gives its fleets' heights).
    #[arg(
        long,
        value_name = "M",
        allow_negative_numbers = true,
        help_heading = "Turbine"
    )]
    pub hub_height: Option<f64>,
    /// Wind speed at hub height: logarithmic, hellman, interpolation.
    #[arg(long, default_value = "logarithmic", help_heading = "Models")]
    pub wind_speed_model: String,
    /// Air density: barometric or ideal-gas.
    #[arg(long, default_value = "barometric", help_heading = "Models")]
    pub density_model: String,
    /// Correct the power curve for air density.
    #[arg(long, help_heading = "Models", hide_short_help = true)]
    pub density_correction: bool,
    /// Height of obstacles around the turbine, m (the logarithmic profile's displacement).
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Models",
        hide_short_help = true
    )]
    pub obstacle_height: f64,
    /// CSV of the hourly series at hub height.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// PNG: energy per month.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
}

/// A sample generator's options.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Seed of the synthetic weather.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// An option's closed set of words: help and shell completions list `names`, and the value
/// is parsed by `T`'s `FromStr` (whose error names what is accepted). With `T = String` the
/// words are listed and the command checks the value itself.
pub fn one_of<T>(names: &'static [&'static str]) -> OneOf<T> {
    OneOf {
        names,
        parsed: std::marker::PhantomData,
    }
}

/// The value parser of [`one_of`].
pub struct OneOf<T> {
    names: &'static [&'static str],
    parsed: std::marker::PhantomData<fn() -> T>,
}

impl<T> Clone for OneOf<T> {
    fn clone(&self) -> Self {
        one_of(self.names)
    }
}

impl<T> clap::builder::TypedValueParser for OneOf<T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let parse = |s: &str| s.parse::<T>();
        parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.names
                .iter()
                .map(|n| clap::builder::PossibleValue::new(*n)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// The most lines a command's `-h` may take: a screen.
    const SCREEN: usize = 60;

    /// A command with this many options of its own or more sorts them under headings.
    const GROUPED: usize = 10;

    /// Every option has a line of help; a command's own options stand under headings (where
    /// it has many); its short help (`-h`) fits a screen, and `--help` has every option.
    #[test]
    fn help_screens_are_grouped_and_short_help_fits_a_screen() {
        let mut cli = Cli::command().term_width(100);
        cli.build();
        let mut problems = Vec::new();
        check(&mut cli, &mut problems);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    fn check(cmd: &mut clap::Command, problems: &mut Vec<String>) {
        let name = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
        let own = cmd
            .get_arguments()
            .filter(|a| !a.is_global_set() && !a.is_positional())
            .count();
        for a in cmd.get_arguments() {
            if a.get_long() == Some("help") || a.get_long() == Some("version") {
                continue;
            }
            let flag = a.get_long().unwrap_or(a.get_id().as_str());
            if a.get_help().is_none() {
                problems.push(format!("{name}: --{flag} has no help text"));
            }
            if own >= GROUPED
                && !a.is_global_set()
                && !a.is_positional()
                && a.get_help_heading().is_none()
            {
                problems.push(format!("{name}: --{flag} has no heading"));
            }
        }
        let short = cmd.render_help().to_string().lines().count();
        if short > SCREEN {
            problems.push(format!("{name}: -h takes {short} lines"));
        }
        for sub in cmd.get_subcommands_mut() {
            check(sub, problems);
        }
    }
}
