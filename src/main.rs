//! The `terrawatt` command.

mod cli;
mod commands;
mod plot;
mod task;

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{CommandFactory, FromArgMatches};
use terrawatt_meter::{CarbonSettings, EnergyReport, Meter, Span};

use crate::cli::{BuildingCommand, Cli, Command, EnergyCommand, SolarCommand, WindCommand};
use crate::commands::forecast::ForecastCommand;
use crate::commands::raster::RasterCommand;
use crate::task::{Ctx, Outcome};

fn main() -> ExitCode {
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
    let g = &cli.global;
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    task::check_global_outputs_against_args(g, &argv)?;
    task::check_outputs(g)?;
    if let Some(n) = g.threads {
        anyhow::ensure!(n > 0, "--threads must be at least 1");
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("setting up the thread pool")?;
    }
    let ctx = Ctx {
        global: g.clone(),
        carbon,
    };
    if matches!(cli.command, Command::Raster(_) | Command::RunTask(_)) {
        terrawatt_raster::blocks::arm();
    }
    let outcome = dispatch(&cli.command, span, &ctx)?;
    Ok((outcome, ctx))
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
