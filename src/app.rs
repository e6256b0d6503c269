//! The command line as a library: [`main`] is the `terrawatt` program; [`call`] runs one of
//! its commands inside this process (as the Python package does) and gives back its
//! results, its text and its energy report instead of printing them.

use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};

use anyhow::{Context as _, Result};
use clap::{CommandFactory, FromArgMatches};
use terrawatt_meter::{CarbonSettings, EnergyReport, Meter, Span};

use crate::cli::{BuildingCommand, Cli, Command, EnergyCommand, SolarCommand, WindCommand};
use crate::commands;
use crate::commands::forecast::ForecastCommand;
use crate::commands::raster::RasterCommand;
use crate::task::{self, Ctx, Outcome};

/// The `terrawatt` command: parses the process's command line, runs it and returns its
/// exit code.
pub fn main() -> ExitCode {
    // a reader that turns a library's panic on a damaged file into an error stays silent
    // about it; every other panic is reported as usual
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !terrawatt_table::in_guarded_read() {
            default_hook(info);
        }
    }));
    // Ctrl-C / SIGTERM: a running raster task stops between strips and removes its
    // temporary files; otherwise (or at a second signal) the process ends at once, as by
    // default.
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // SAFETY: the handler does one atomic operation or _exit, both async-signal-safe.
        let _ = unsafe {
            signal_hook::low_level::register(sig, move || {
                if !terrawatt_raster::blocks::interrupt() {
                    signal_hook::low_level::exit(128 + sig);
                }
            })
        };
    }
    let (cli, name) = match parse_named(std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                // A usage error is a command too: its (tiny) energy line follows.
                if let Ok(m) = Meter::detect(&Default::default()) {
                    let r =
                        EnergyReport::new(&m, m.span("usage").finish(), Default::default(), None);
                    eprintln!("{}", r.line());
                }
            }
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match run(cli, &name) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", task::error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// Parses a command line (with the program's name first) and names its command by its
/// subcommands as clap sees them: `building fit`, `plan raster change`.
pub(crate) fn parse_named<I, T>(args: I) -> Result<(Cli, String), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let m = Cli::command().try_get_matches_from(args)?;
    let cli = Cli::from_arg_matches(&m)?;
    let mut parts = vec![];
    let mut at = &m;
    while let Some((name, sub)) = at.subcommand() {
        parts.push(name.to_string());
        at = sub;
    }
    Ok((cli, parts.join(" ")))
}

fn run(cli: Cli, name: &str) -> Result<ExitCode> {
    let g = cli.global.clone();
    let meter = match task::meter(&g) {
        Ok(m) => m,
        Err(e) => {
            // A bad meter setting: the line comes from the default meter.
            eprintln!("error: {}", task::error_text(&e));
            let m = Meter::detect(&Default::default())?;
            let report = EnergyReport::new(&m, m.span(name).finish(), Default::default(), None);
            eprintln!("{}", report.line());
            return Ok(ExitCode::FAILURE);
        }
    };
    if let Some(w) = &meter.model().warning {
        eprintln!("warning: {w}");
    }
    let mut span = meter.span(name);
    // the whole process's work: its start-up too (a short command's most)
    span.count_start_up();
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let carbon = task::carbon_settings(&g);
    let line_carbon = carbon.as_ref().cloned().unwrap_or_default();
    let result = carbon.and_then(|carbon| work(&cli, &mut span, carbon));
    let record = span.finish();
    Ok(match result {
        Ok((outcome, ctx)) => {
            let report =
                EnergyReport::new(&meter, record, ctx.carbon.clone(), outcome.unit.as_ref());
            succeeded(&cli, &ctx, name, started, &outcome, &report)
        }
        Err(e) => {
            // The energy spent before the failure is still reported, never hidden.
            eprintln!("error: {}", task::error_text(&e));
            let report = EnergyReport::new(&meter, record, line_carbon, None);
            failed(&cli, name, started, &e, &report);
            eprintln!("{}", report.line());
            ExitCode::FAILURE
        }
    })
}

/// Settings and output paths checked before any work, then the command, in `span`.
fn work(cli: &Cli, span: &mut Span, carbon: CarbonSettings) -> Result<(Outcome, Ctx)> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    task::check_global_outputs_against_args(&cli.global, &argv)?;
    let ctx = checked(cli, carbon)?;
    if let Some(n) = cli.global.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting up the thread pool")?;
    }
    let outcome = dispatch(&cli.command, span, &ctx)?;
    Ok((outcome, ctx))
}

/// The checks every run makes before any work (outputs, the thread count), and the
/// command's context.
fn checked(cli: &Cli, carbon: CarbonSettings) -> Result<Ctx> {
    let g = &cli.global;
    task::check_outputs(g)?;
    if let Some(n) = g.threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
    }
    if matches!(cli.command, Command::Raster(_) | Command::RunTask(_)) {
        terrawatt_raster::blocks::arm();
    }
    Ok(Ctx {
        global: g.clone(),
        carbon,
    })
}

/// A command that worked: a planned task's report, then the report, the emissions row and
/// the text are published, and the energy line printed.
fn succeeded(
    cli: &Cli,
    ctx: &Ctx,
    name: &str,
    started: String,
    outcome: &Outcome,
    report: &EnergyReport,
) -> ExitCode {
    let g = &cli.global;
    // a planned task's report: written last, so its presence means the task is done
    let task_report = match &cli.command {
        Command::RunTask(a) if outcome.results["skipped"] != true => {
            match commands::scale::task_report_paths(a) {
                Some((done, _)) => {
                    task::write_report(&done, name, started.clone(), &outcome.results, report)
                }
                None => Err(anyhow::anyhow!("the run folder of the manifest is gone")),
            }
        }
        _ => Ok(()),
    };
    let published = task_report.and_then(|()| task::publish(g, name, started, outcome, report));
    if g.verbose {
        print_phases(ctx, &report.span, 0);
        for n in &report.notes {
            eprintln!("note: {n}");
        }
    }
    if let Err(e) = published {
        eprintln!("error: {}", task::error_text(&e));
        eprintln!("{}", report.line());
        return ExitCode::FAILURE;
    }
    eprintln!("{}", report.line());
    ExitCode::SUCCESS
}

/// A failed attempt of a planned task keeps its energy on record, apart.
fn failed(cli: &Cli, name: &str, started: String, e: &anyhow::Error, report: &EnergyReport) {
    if let Command::RunTask(a) = &cli.command
        && let Some((_, failed)) = commands::scale::task_report_paths(a)
        && let Err(w) = task::write_report(
            &failed,
            name,
            started,
            &commands::scale::failed_results(a, e),
            report,
        )
    {
        eprintln!("error: {}", task::error_text(&w));
    }
}

/// Runs a parsed command inside `span`.
pub(crate) fn dispatch(command: &Command, span: &mut Span, ctx: &Ctx) -> Result<Outcome> {
    match command {
        Command::Energy(EnergyCommand::Info) => commands::energy::info(span, ctx),
        Command::Energy(EnergyCommand::Calibrate(a)) => commands::energy::calibrate(span, ctx, a),
        Command::Energy(EnergyCommand::Countries) => commands::energy::countries(ctx),
        Command::Energy(EnergyCommand::Regions) => commands::energy::regions(ctx),
        Command::Energy(EnergyCommand::When(a)) => commands::energy::when(span, ctx, a),
        Command::Energy(EnergyCommand::Sweep(a)) => commands::energy::sweep(span, ctx, a),
        Command::Energy(EnergyCommand::SampleIntensity(a)) => {
            commands::energy::sample_intensity(span, ctx, a)
        }
        Command::Demo(a) => commands::demo::run(span, ctx, a),
        Command::Building(b) => match &**b {
            BuildingCommand::Fit(a) => commands::building::fit(span, ctx, a),
            BuildingCommand::Predict(a) => commands::building::predict(span, ctx, a),
            BuildingCommand::Cv(a) => commands::building::cv(span, ctx, a),
            BuildingCommand::Sample(a) => commands::building::sample(span, ctx, a),
            BuildingCommand::Baseline(a) => commands::baseline::baseline(span, ctx, a),
            BuildingCommand::Savings(a) => commands::baseline::savings(span, ctx, a),
            BuildingCommand::Portfolio(a) => commands::baseline::portfolio(span, ctx, a),
            BuildingCommand::SampleMeter(a) => commands::baseline::sample_meter(span, ctx, a),
        },
        Command::Solar(s) => match &**s {
            SolarCommand::Position(a) => commands::solar::position(span, ctx, a),
            SolarCommand::Clearsky(a) => commands::solar::clearsky(span, ctx, a),
            SolarCommand::Simulate(a) => commands::solar::simulate(span, ctx, a),
            SolarCommand::SampleWeather(a) => commands::solar::sample_weather(span, ctx, a),
        },
        Command::Wind(w) => match &**w {
            WindCommand::Simulate(a) => commands::wind::simulate(span, ctx, a),
            WindCommand::SampleWeather(a) => commands::wind::sample_weather(span, ctx, a),
        },
        Command::Forecast(f) => match &**f {
            ForecastCommand::Backtest(a) => commands::forecast::backtest(span, ctx, a),
            ForecastCommand::Predict(a) => commands::forecast::predict(span, ctx, a),
            ForecastCommand::SamplePv(a) => commands::forecast::sample_pv(span, ctx, a),
        },
        Command::Raster(r) => match &**r {
            RasterCommand::Index(a) => commands::raster::index(span, ctx, a),
            RasterCommand::Change(a) => commands::raster::change(span, ctx, a),
            RasterCommand::Landscape(a) => commands::raster::landscape(span, ctx, a),
            RasterCommand::Transitions(a) => commands::raster::transitions(span, ctx, a),
            RasterCommand::Sample(a) => commands::raster::sample(span, ctx, a),
            RasterCommand::Accuracy(a) => commands::raster::accuracy(span, ctx, a),
            RasterCommand::SampleDesign(a) => commands::raster::sample_design(span, ctx, a),
            RasterCommand::Zonal(a) => commands::raster::zonal(span, ctx, a),
            RasterCommand::ForestLoss(a) => commands::raster::forest_loss(span, ctx, a),
            RasterCommand::Breaks(a) => commands::raster::breaks(span, ctx, a),
            RasterCommand::Trend(a) => commands::raster::trend(span, ctx, a),
            RasterCommand::SampleStack(a) => commands::raster::sample_stack(span, ctx, a),
        },
        Command::Plan(p) => commands::scale::plan(span, ctx, p),
        Command::RunTask(a) => commands::scale::run_task(span, ctx, a),
        Command::Merge(a) => commands::scale::merge(span, ctx, a),
        Command::Submit(a) => commands::scale::submit(span, ctx, a),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "terrawatt", &mut script);
            Ok(Outcome {
                results: serde_json::json!({ "shell": shell.to_string() }),
                text: String::from_utf8(script).context("completion script")?,
                unit: None,
            })
        }
    }
}

fn print_phases(ctx: &Ctx, span: &terrawatt_meter::SpanRecord, depth: usize) {
    for c in &span.children {
        eprintln!(
            "{:indent$}{}: {:.3} s wall, {:.3} s CPU · {}",
            "",
            c.name,
            c.wall_s,
            c.cpu_s(),
            ctx.line(c, None),
            indent = 2 * depth + 2
        );
        print_phases(ctx, c, depth + 1);
    }
}

/// A command run by [`call`].
#[derive(Debug, Clone)]
pub struct Called {
    /// The command's name, e.g. `solar simulate`.
    pub command: String,
    /// The results, as the JSON report holds them.
    pub results: serde_json::Value,
    /// The text the command prints.
    pub text: String,
    /// The energy and carbon of the call.
    pub energy: EnergyReport,
    /// The whole JSON report (command, start, results, energy), as `--report` writes it.
    pub report: String,
}

/// Why a [`call`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallErrorKind {
    /// The command line does not parse (an unknown option, a bad value): nothing ran.
    Usage,
    /// A setting refused before any work (an output that is an input, a bad carbon
    /// setting).
    Settings,
    /// The task failed: bad input data, a missing file, a failed write.
    Task,
}

/// A failed [`call`]: the message the command line prints after `error: `, and the energy
/// spent before the failure (never hidden).
#[derive(Debug, Clone)]
pub struct CallError {
    pub kind: CallErrorKind,
    pub message: String,
    pub energy: Option<Box<EnergyReport>>,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CallError {}

/// One meter per meter setting, detected once in the process.
fn cached_meter(g: &crate::cli::Global) -> Result<Meter> {
    static METERS: OnceLock<Mutex<Vec<(String, Meter)>>> = OnceLock::new();
    let key = format!(
        "{:?} {:?} {:?} {:?}",
        g.energy_model, g.cpu_watts_per_core, g.mem_watts_per_gb, g.power_model
    );
    let meters = METERS.get_or_init(|| Mutex::new(Vec::new()));
    let mut meters = meters.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, m)) = meters.iter().find(|(k, _)| *k == key) {
        return Ok(m.clone());
    }
    let m = task::meter(g)?;
    meters.push((key, m.clone()));
    Ok(m)
}

/// Runs one command (its arguments without the program's name, e.g. `["solar",
/// "position", "--latitude", "43.6", …]`) inside this process, as the program would: the
/// same checks, the same task, the same report and emissions row where the arguments ask
/// for them; nothing is printed and no progress bar is drawn. `--threads` gives the call a
/// pool of its own. A planned task (`run-task`) is the program's alone.
pub fn call<I, T>(args: I) -> std::result::Result<Called, CallError>
where
    I: IntoIterator<Item = T>,
    T: Into<String>,
{
    let argv: Vec<String> = std::iter::once("terrawatt".to_string())
        .chain(args.into_iter().map(Into::into))
        .collect();
    let fail = |kind, e: &anyhow::Error, energy| CallError {
        kind,
        message: task::error_text(e),
        energy,
    };
    let (mut cli, name) = parse_named(argv.iter().cloned()).map_err(|e| CallError {
        kind: CallErrorKind::Usage,
        message: e.render().to_string().trim_end().to_string(),
        energy: None,
    })?;
    if matches!(
        cli.command,
        Command::RunTask(_) | Command::Completions { .. }
    ) {
        return Err(CallError {
            kind: CallErrorKind::Usage,
            message: format!("`{name}` runs from the command line only"),
            energy: None,
        });
    }
    cli.global.quiet = true;
    cli.global.in_process = true;
    let g = cli.global.clone();
    let meter = cached_meter(&g).map_err(|e| fail(CallErrorKind::Settings, &e, None))?;
    let mut span = meter.span(name.as_str());
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let os_argv: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
    let prepared = task::carbon_settings(&g).and_then(|carbon| {
        task::check_global_outputs_against_args(&g, &os_argv)?;
        checked(&cli, carbon)
    });
    let ctx = match prepared {
        Ok(ctx) => ctx,
        Err(e) => {
            let report = EnergyReport::new(&meter, span.finish(), Default::default(), None);
            return Err(fail(CallErrorKind::Settings, &e, Some(Box::new(report))));
        }
    };
    let result = match g.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("setting up the thread pool")
            .and_then(|pool| pool.install(|| dispatch(&cli.command, &mut span, &ctx))),
        None => dispatch(&cli.command, &mut span, &ctx),
    };
    let record = span.finish();
    match result {
        Ok(outcome) => {
            let energy =
                EnergyReport::new(&meter, record, ctx.carbon.clone(), outcome.unit.as_ref());
            let published = task::report_json(&name, started, &outcome.results, &energy)
                .and_then(|json| task::publish_files(&g, &json, &energy).map(|()| json));
            match published {
                Ok(report) => Ok(Called {
                    command: name,
                    results: outcome.results,
                    // the meter's own warning (a damaged calibration set aside), which the
                    // program prints first: a `warning:` line a caller raises
                    text: match &meter.model().warning {
                        Some(w) => format!("warning: {w}\n{}", outcome.text),
                        None => outcome.text,
                    },
                    energy,
                    report,
                }),
                Err(e) => Err(fail(CallErrorKind::Task, &e, Some(Box::new(energy)))),
            }
        }
        Err(e) => {
            let energy = EnergyReport::new(&meter, record, ctx.carbon.clone(), None);
            Err(fail(CallErrorKind::Task, &e, Some(Box::new(energy))))
        }
    }
}

/// The meter, the carbon settings and the outputs (`--report`, `--emissions-csv`) that a
/// command line's global options give, checked as the program checks them: what a span of
/// the caller's own work is measured and published with.
#[derive(Debug)]
pub struct Metering {
    pub meter: Meter,
    pub carbon: CarbonSettings,
    global: crate::cli::Global,
}

/// A list of global options and what it parses to.
type ParsedOptions = (Vec<String>, crate::cli::Global);

/// The [`Metering`] of these global options (e.g. `["--country", "FR",
/// "--emissions-csv", "emissions.csv"]`).
pub fn metering<I, T>(options: I) -> std::result::Result<Metering, CallError>
where
    I: IntoIterator<Item = T>,
    T: Into<String>,
{
    // parsing builds the whole command line's definition (most of a small call's cost):
    // the options parsed are kept, per list of options, for the process
    static PARSED: OnceLock<Mutex<Vec<ParsedOptions>>> = OnceLock::new();
    let options: Vec<String> = options.into_iter().map(Into::into).collect();
    let parsed = PARSED.get_or_init(|| Mutex::new(Vec::new()));
    let known = {
        let list = parsed.lock().unwrap_or_else(|e| e.into_inner());
        list.iter()
            .find(|(o, _)| *o == options)
            .map(|(_, g)| g.clone())
    };
    let g = match known {
        Some(g) => g,
        None => {
            let argv: Vec<String> = ["terrawatt", "energy", "info"]
                .into_iter()
                .map(String::from)
                .chain(options.iter().cloned())
                .collect();
            let (cli, _) = parse_named(argv.iter().cloned()).map_err(|e| CallError {
                kind: CallErrorKind::Usage,
                message: e.render().to_string().trim_end().to_string(),
                energy: None,
            })?;
            let mut list = parsed.lock().unwrap_or_else(|e| e.into_inner());
            if list.len() < 64 {
                list.push((options, cli.global.clone()));
            }
            cli.global
        }
    };
    let settings = || -> Result<Metering> {
        task::check_outputs(&g)?;
        let carbon = task::carbon_settings(&g)?;
        let meter = cached_meter(&g)?;
        Ok(Metering {
            meter,
            carbon,
            global: g.clone(),
        })
    };
    settings().map_err(|e| CallError {
        kind: CallErrorKind::Settings,
        message: task::error_text(&e),
        energy: None,
    })
}

impl Metering {
    /// The energy report of a closed span of the caller's work, published as a command's
    /// is (the report file, the emissions row) where the options ask; with the whole JSON
    /// report holding `results`.
    pub fn publish(
        &self,
        record: terrawatt_meter::SpanRecord,
        started_utc: String,
        results: &serde_json::Value,
        unit: Option<&terrawatt_meter::FunctionalUnit>,
    ) -> std::result::Result<(EnergyReport, String), CallError> {
        let name = record.name.clone();
        let energy = EnergyReport::new(&self.meter, record, self.carbon.clone(), unit);
        task::report_json(&name, started_utc, results, &energy)
            .and_then(|json| task::publish_files(&self.global, &json, &energy).map(|()| json))
            .map(|json| (energy.clone(), json))
            .map_err(|e| CallError {
                kind: CallErrorKind::Task,
                message: task::error_text(&e),
                energy: Some(Box::new(energy)),
            })
    }
}
