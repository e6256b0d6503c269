//! A command run as a task: settings checked before any work, the work inside a meter
//! span, then the report, the emissions row and the energy line.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use terrawatt_meter::codecarbon::{self, RowContext};
use terrawatt_meter::{
    CarbonSettings, Embodied, EnergyReport, Footprint, FunctionalUnit, GridIntensity, Meter,
    MeterConfig, PowerBasis, SpanRecord, carbon,
};

use crate::cli::Global;

/// What a command gives back.
#[derive(Debug)]
pub struct Outcome {
    /// Results for the JSON report.
    pub results: serde_json::Value,
    /// The text printed on stdout (unless --json).
    pub text: String,
    /// The functional unit of the SCI score, where the task names one.
    pub unit: Option<FunctionalUnit>,
}

/// What a command may use while it runs.
#[derive(Debug)]
pub struct Ctx {
    pub global: Global,
    pub carbon: CarbonSettings,
}

impl Ctx {
    /// A progress bar on a terminal; hidden when stderr is not one, or with -q.
    pub fn progress(&self, len: u64, message: &str) -> ProgressBar {
        if self.global.quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar
    }

    /// The energy line of a closed phase.
    pub fn line(&self, span: &SpanRecord, unit: Option<&FunctionalUnit>) -> String {
        Footprint::of(span, &self.carbon, unit).line(&self.carbon)
    }
}

/// Resolves the carbon settings from the options (before any work).
pub fn carbon_settings(g: &Global) -> Result<CarbonSettings> {
    let grid = if let Some(v) = g.grid_intensity {
        GridIntensity::user(v)?
    } else if let Some(region) = &g.cloud_region {
        GridIntensity::cloud_region(region)?
    } else if let Some(code) = g.country.as_deref().filter(|c| !c.trim().is_empty()) {
        GridIntensity::country(code)?
    } else {
        GridIntensity::world_average()
    };
    let embodied = match g.embodied_kgco2e {
        Some(kg) => Some(Embodied::new(kg, g.lifetime_years, g.machine_share)?),
        None => None,
    };
    let series = match &g.grid_intensity_file {
        Some(path) => {
            let mut s =
                terrawatt_meter::hourly::IntensitySeries::load(path, g.grid_intensity_direct)?;
            if g.grid_intensity_marginal {
                s.basis = "marginal";
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            if !s.covers(now, now + 1.0) {
                bail!(
                    "--grid-intensity-file {}: covers {} to {}, not this run (it starts {}); give a series that covers now, or use --country / --grid-intensity",
                    path.display(),
                    terrawatt_meter::hourly::IntensitySeries::time_text(s.first_s as f64),
                    terrawatt_meter::hourly::IntensitySeries::time_text(s.end_s as f64),
                    terrawatt_meter::hourly::IntensitySeries::time_text(now)
                );
            }
            Some(s)
        }
        None => None,
    };
    Ok(CarbonSettings {
        grid,
        series,
        pue: carbon::check_pue(g.pue)?,
        embodied,
    })
}

/// The meter for these options.
pub fn meter(g: &Global) -> Result<Meter> {
    let config = MeterConfig {
        force_model: g.energy_model,
        cpu_w_per_core: g.cpu_watts_per_core.map(|w| (w, None)),
        mem_w_per_gb: g.mem_watts_per_gb,
        power_model: match g.power_model {
            crate::cli::PowerModelArg::Auto => PowerBasis::Auto,
            crate::cli::PowerModelArg::Tdp => PowerBasis::Tdp,
            crate::cli::PowerModelArg::Ccf => PowerBasis::Ccf,
        },
        ..MeterConfig::default()
    };
    Ok(Meter::detect(&config)?)
}

/// Checks output paths before the work, so a bad one fails before anything is computed.
pub fn check_outputs(g: &Global) -> Result<()> {
    if let Some(csv) = &g.emissions_csv {
        codecarbon::check(csv)?;
        check_parent(csv)?;
    }
    if let Some(report) = &g.report {
        check_parent(report)?;
        if report.is_dir() {
            bail!("--report {}: is a folder, not a file", report.display());
        }
    }
    if let Some(w) = g.wue.filter(|w| !(w.is_finite() && *w >= 0.0)) {
        bail!("invalid --wue {w}: must be L/kWh ≥ 0");
    }
    Ok(())
}

/// An error and its causes on one line, "outer: cause: …", leaving out a cause whose text
/// the line already holds (a library error that shows its source, then the source again
/// as its cause, said "(os error 2): (os error 2)").
pub fn error_text(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let t = cause.to_string();
        if t.is_empty() || line.contains(&t) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&t);
    }
    line
}

/// Refuses a `--report` or `--emissions-csv` that names a file the command is also given
/// (an input, or another output: `--report data.csv` would overwrite the data): every
/// argument (`--flag=value` and `FILE#BAND` forms too) is compared with it by canonical path
/// where both exist and by absolute path otherwise, before any work.
pub fn check_global_outputs_against_args(g: &Global, args: &[std::ffi::OsString]) -> Result<()> {
    let outputs = [
        ("--report", g.report.as_deref()),
        ("--emissions-csv", g.emissions_csv.as_deref()),
    ];
    let same = |a: &Path, b: &Path| -> bool {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => match (std::path::absolute(a), std::path::absolute(b)) {
                (Ok(x), Ok(y)) => x.components().eq(y.components()),
                _ => false,
            },
        }
    };
    for (flag, out) in outputs {
        let Some(out) = out else { continue };
        let mut skip_next = false;
        for a in args.iter().skip(1) {
            let a = a.to_string_lossy();
            if skip_next {
                skip_next = false;
                continue;
            }
            // the option's own value
            if a == flag {
                skip_next = true;
                continue;
            }
            if a.starts_with(&format!("{flag}=")) {
                continue;
            }
            let value = a
                .split_once('=')
                .filter(|_| a.starts_with("--"))
                .map_or(&*a, |(_, v)| v);
            let value = value.rsplit_once('#').map_or(value, |(p, _)| p);
            if value.is_empty() || value.starts_with('-') {
                continue;
            }
            if same(Path::new(value), out) {
                bail!(
                    "{flag} {}: the command is also given this file ({a}); writing the {} there would destroy it: choose another file",
                    out.display(),
                    if flag == "--report" {
                        "report"
                    } else {
                        "emissions row"
                    }
                );
            }
        }
    }
    if let (Some(r), Some(e)) = (g.report.as_deref(), g.emissions_csv.as_deref())
        && same(r, e)
    {
        bail!(
            "--report and --emissions-csv name the same file ({})",
            r.display()
        );
    }
    Ok(())
}

/// Refuses a path whose folder does not exist.
pub fn check_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() && !p.is_dir() => {
            bail!(
                "{}: the folder {} does not exist",
                path.display(),
                p.display()
            )
        }
        _ => Ok(()),
    }
}

/// The JSON report of a task.
#[derive(Debug, Serialize)]
pub struct TaskReport<'a> {
    pub terrawatt: &'static str,
    pub command: &'a str,
    pub started_utc: String,
    pub threads: usize,
    pub results: &'a serde_json::Value,
    pub energy: &'a EnergyReport,
}

/// The JSON report of a task.
fn report_json(
    command: &str,
    started_utc: String,
    results: &serde_json::Value,
    energy: &EnergyReport,
) -> Result<String> {
    let report = TaskReport {
        terrawatt: env!("CARGO_PKG_VERSION"),
        command,
        started_utc,
        threads: rayon::current_num_threads(),
        results,
        energy,
    };
    serde_json::to_string_pretty(&report).context("serialising the report")
}

/// Writes the report, the emissions row and the outputs of a finished task.
pub fn publish(
    g: &Global,
    command: &str,
    started_utc: String,
    outcome: &Outcome,
    energy: &EnergyReport,
) -> Result<()> {
    let json = report_json(command, started_utc, &outcome.results, energy)?;
    publish_json(g, &json, outcome, energy)
}

/// Writes a task's report to `path` (atomically): the record a planned run's merge reads.
pub fn write_report(
    path: &Path,
    command: &str,
    started_utc: String,
    results: &serde_json::Value,
    energy: &EnergyReport,
) -> Result<()> {
    let json = report_json(command, started_utc, results, energy)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    terrawatt_meter::write_atomic(path, format!("{json}\n").as_bytes())
        .with_context(|| format!("writing the task report {}", path.display()))
}

fn publish_json(g: &Global, json: &str, outcome: &Outcome, energy: &EnergyReport) -> Result<()> {
    if let Some(path) = &g.report {
        terrawatt_meter::write_atomic(path, format!("{json}\n").as_bytes())
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    if let Some(path) = &g.emissions_csv {
        let ctx = RowContext {
            project_name: g.project_name.clone(),
            run_id: run_id(),
            experiment_id: g.experiment_id.clone(),
            timestamp: chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            os: os_name(),
            wue: g.wue,
            ram_utilization: terrawatt_meter::system::memory(Path::new("/proc"))
                .map(|(total, avail)| 1.0 - avail as f64 / total as f64),
        };
        codecarbon::append(path, &codecarbon::row(energy, &ctx))?;
    }
    if g.json {
        println!("{json}");
    } else if !outcome.text.is_empty() {
        print!("{}", outcome.text);
        if !outcome.text.ends_with('\n') {
            println!();
        }
    }
    Ok(())
}

/// A random version-4 UUID from the kernel's generator.
fn run_id() -> String {
    let mut b = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut b);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `Linux-<release>-<machine>`, like Python's platform string.
fn os_name() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "Linux-{}-{}",
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}
