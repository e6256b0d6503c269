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
    if g.country.as_deref().is_some_and(|c| c.trim().is_empty()) {
        bail!(
            "--country (or TERRAWATT_COUNTRY) is empty: give an ISO 3166 code (FR, DEU), or leave it out for the world average"
        );
    }
    if let (Some(c), Some(r), None) = (&g.country, &g.cloud_region, g.grid_intensity) {
        bail!(
            "--country {c} and --cloud-region {r} both say where the machine runs: give one (a cloud region's intensity is its own grid's)"
        );
    }
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
                s.basis = "marginal".to_string();
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

/// The most water a data centre's kWh takes, L ([`check_outputs`] refuses more).
pub const MOST_WUE: f64 = 20.0;

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
    // data centres use 0–2 L of water a kWh, evaporative cooling in a hot dry place up to
    // about 10: 1,800 is mL/kWh given as L
    if let Some(w) = g.wue.filter(|w| *w > MOST_WUE) {
        bail!(
            "--wue {w} L/kWh: above any data centre's (0–2 L/kWh, about 10 at the most) — in mL/kWh? Give litres ({} L/kWh)",
            w / 1000.0
        );
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

/// The options whose value a command writes (a file, or a folder for `--out-dir` and a
/// plan's `--out`).
pub const OUTPUT_FLAGS: [&str; 15] = [
    "--out",
    "--report",
    "--emissions-csv",
    "--plot",
    "--plot-skill",
    "--quicklook",
    "--classes-out",
    "--table",
    "--folds-out",
    "--oof-out",
    "--out-meter",
    "--out-temperature",
    "--out-dir",
    "--design-out",
    "--per-band-out",
];

/// The same file: by device and inode where both exist (hard links, symlinks), else by
/// absolute path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return x.dev() == y.dev() && x.ino() == y.ino();
    }
    match (std::path::absolute(a), std::path::absolute(b)) {
        (Ok(x), Ok(y)) => x.components().eq(y.components()),
        _ => false,
    }
}

/// Every path a command writes goes through one check before any work: against every
/// other argument the command is given (inputs, `--flag=value` and `FILE#BAND` forms too)
/// and every other output, by inode and by path; and the folder it goes to must be
/// writable now (not after an hour of work). Outputs are the values of [`OUTPUT_FLAGS`].
pub fn check_global_outputs_against_args(_g: &Global, args: &[std::ffi::OsString]) -> Result<()> {
    let args: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // (flag, value) of each output; every other value is a possible input
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut inputs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            // a command line run by `energy sweep`: its own arguments are its business
            break;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if a.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        if OUTPUT_FLAGS.contains(&flag.as_str()) {
            let value = inline.or_else(|| {
                args.get(i + 1)
                    .filter(|v| !v.starts_with("--"))
                    .cloned()
                    .inspect(|_| i += 1)
            });
            if let Some(v) = value {
                outputs.push((flag, v));
            }
        } else {
            let v = inline.unwrap_or_else(|| a.clone());
            let v = v.rsplit_once('#').map_or(v.clone(), |(p, _)| p.to_string());
            if !v.is_empty() && !v.starts_with('-') {
                inputs.push(v);
            }
        }
        i += 1;
    }
    for (k, (flag, out)) in outputs.iter().enumerate() {
        let out_p = Path::new(out);
        for input in &inputs {
            if same_file(Path::new(input), out_p) {
                bail!(
                    "{flag} {out}: the command also reads this file ({input}); writing there would destroy it: choose another file"
                );
            }
        }
        for (other_flag, other) in &outputs[..k] {
            if same_file(Path::new(other), out_p) {
                bail!(
                    "{other_flag} and {flag} name the same file ({out}): one would overwrite the other"
                );
            }
        }
        check_writable(flag, out_p)?;
    }
    Ok(())
}

/// The folder an output goes to (or its nearest existing ancestor, where the command will
/// create the rest) must take a new file now.
fn check_writable(flag: &str, out: &Path) -> Result<()> {
    let abs = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let mut dir = abs.parent().map(Path::to_path_buf);
    while let Some(d) = &dir {
        if d.exists() {
            break;
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    let Some(dir) = dir else { return Ok(()) };
    if !dir.is_dir() {
        bail!(
            "{flag} {}: {} is a file, not a folder",
            out.display(),
            dir.display()
        );
    }
    let probe = dir.join(format!(".terrawatt-write-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => bail!(
            "{flag} {}: cannot write in {} ({e}); nothing was computed",
            out.display(),
            dir.display()
        ),
    }
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
pub fn report_json(
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
    publish_files(g, json, energy)?;
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

/// Writes the report (`--report`) and appends the emissions row (`--emissions-csv`) where
/// the options ask for them.
pub fn publish_files(g: &Global, json: &str, energy: &EnergyReport) -> Result<()> {
    if let Some(path) = &g.report {
        terrawatt_meter::write_atomic(path, format!("{json}\n").as_bytes())
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    if let Some(path) = &g.emissions_csv {
        let ctx = RowContext::now(&g.project_name, &g.experiment_id, g.wue);
        codecarbon::append(path, &codecarbon::row(energy, &ctx))?;
    }
    Ok(())
}

/// Refuses an output that would overwrite an input or land in a missing folder.
pub fn check_output(out: &Path, inputs: &[&Path]) -> Result<()> {
    check_parent(out)?;
    for i in inputs {
        let same_file = match (std::fs::canonicalize(out), std::fs::canonicalize(i)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if out == *i || same_file {
            bail!("{}: the output would overwrite an input", out.display());
        }
    }
    Ok(())
}
