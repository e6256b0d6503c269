//! The command line (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// AI-for-climate analytics that measures its own footprint.
///
/// Every command ends with one line on stderr: the energy it used, how that figure was
/// obtained (a hardware counter, or a model estimate with its band) and the carbon it
/// emitted.
#[derive(Debug, Parser)]
#[command(
    name = "terrawatt",
    version,
    about,
    long_about,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Grid carbon intensity of this country (ISO 3166 alpha-2 or alpha-3, e.g. FR, DEU).
    #[arg(long, global = true, env = "TERRAWATT_COUNTRY", value_name = "CODE")]
    pub country: Option<String>,
    /// Grid carbon intensity of this cloud region (e.g. gcp:europe-west1).
    #[arg(long, global = true, value_name = "PROVIDER:REGION")]
    pub cloud_region: Option<String>,
    /// Grid carbon intensity in gCO2e/kWh (overrides --country and --cloud-region).
    #[arg(long, global = true, value_name = "G_PER_KWH")]
    pub grid_intensity: Option<f64>,
    /// Power usage effectiveness of the facility.
    #[arg(long, global = true, default_value_t = 1.0)]
    pub pue: f64,
    /// Embodied emissions of this machine, kgCO2e (SCI's M); off unless given.
    #[arg(long, global = true, value_name = "KG")]
    pub embodied_kgco2e: Option<f64>,
    /// Expected lifetime of the machine, years (with --embodied-kgco2e).
    #[arg(long, global = true, default_value_t = 4.0, value_name = "YEARS")]
    pub lifetime_years: f64,
    /// Share of the machine reserved for the task, 0–1 (with --embodied-kgco2e).
    #[arg(long, global = true, default_value_t = 1.0, value_name = "SHARE")]
    pub machine_share: f64,
    /// Power of one busy core, W, for the model (instead of the TDP table).
    #[arg(
        long,
        global = true,
        env = "TERRAWATT_CPU_W_PER_CORE",
        value_name = "W"
    )]
    pub cpu_watts_per_core: Option<f64>,
    /// Memory power, W per GB, for the model [default: 0.3725].
    #[arg(long, global = true, value_name = "W")]
    pub mem_watts_per_gb: Option<f64>,
    /// Use the power model even where a hardware counter is readable.
    #[arg(long, global = true)]
    pub energy_model: bool,
    /// Append a row to this CodeCarbon-format emissions.csv.
    #[arg(long, global = true, value_name = "FILE")]
    pub emissions_csv: Option<PathBuf>,
    /// Project name for the emissions.csv row.
    #[arg(long, global = true, default_value = "terrawatt", value_name = "NAME")]
    pub project_name: String,
    /// Experiment id for the emissions.csv row.
    #[arg(long, global = true, default_value = "", value_name = "ID")]
    pub experiment_id: String,
    /// Water usage effectiveness, L/kWh, for the emissions.csv row.
    #[arg(long, global = true, value_name = "L_PER_KWH")]
    pub wue: Option<f64>,
    /// Write the task's JSON report (results and energy record) to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print the JSON report on stdout instead of the text results.
    #[arg(long, global = true)]
    pub json: bool,
    /// Worker threads [default: all logical CPUs].
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bars or notes.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each phase's energy and the energy sources.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Energy accounting: what this machine can measure, calibration, carbon tables.
    #[command(subcommand)]
    Energy(EnergyCommand),
    /// Runs a small task of each pillar on the bundled sample data, with a total.
    Demo(DemoArgs),
    /// Prints a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
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
    /// Seed of the synthetic weather.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}
