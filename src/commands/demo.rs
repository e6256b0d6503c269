//! `terrawatt demo`: one small task of each pillar that exists, each with its energy line,
//! and a total. Today: the meter's own workload (synthetic weather → degree days).

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde_json::json;
use terrawatt::workload;
use terrawatt_meter::{FunctionalUnit, Span};

use crate::cli::DemoArgs;
use crate::task::{Ctx, Outcome};

pub fn run(span: &mut Span, ctx: &Ctx, args: &DemoArgs) -> Result<Outcome> {
    if args.sites == 0 || args.years == 0 {
        bail!("--sites and --years must be at least 1");
    }
    let days = args.years * 365;
    let grid = workload::balance_grid(10.0, 27.0, 0.5);
    let bar = ctx.progress(2, "degree days");
    let (dd, n_points) = span.phase("degree-days", |task| {
        let daily = task.phase("weather", |_| {
            workload::all_daily_means(args.seed, args.sites, days)
        });
        bar.inc(1);
        let dd = task.phase("compute", |_| workload::all_degree_days(&daily, &grid));
        bar.inc(1);
        (dd, grid.len())
    });
    bar.finish_and_clear();
    let phase = span.children().last().expect("the phase just closed");
    let site_years = (args.sites * args.years) as f64;
    let unit = FunctionalUnit::new("site-year", site_years);
    let i18 = grid
        .iter()
        .position(|&b| b == 18.0)
        .expect("18 °C is on the grid");
    let per_year =
        |f: &dyn Fn(&(f64, f64)) -> f64| dd.iter().map(|s| f(&s[i18])).sum::<f64>() / site_years;
    let hdd18 = per_year(&|p| p.0);
    let cdd18 = per_year(&|p| p.1);
    let checksum: f64 = dd.iter().flatten().map(|(h, c)| h + c).sum();
    let mut t = String::new();
    writeln!(
        t,
        "degree days: {} synthetic sites × {} years, {} balance points (10–27 °C): mean HDD18 {:.1} K·d/yr, CDD18 {:.1} K·d/yr",
        args.sites, args.years, n_points, hdd18, cdd18
    )?;
    writeln!(t, "  {}", ctx.line(phase, Some(&unit)))?;
    writeln!(
        t,
        "1 task; the total is the energy line that ends the command"
    )?;
    Ok(Outcome {
        results: json!({
            "tasks": [{
                "name": "degree-days",
                "sites": args.sites,
                "years": args.years,
                "seed": args.seed,
                "balance_points": n_points,
                "hdd18_per_site_year": hdd18,
                "cdd18_per_site_year": cdd18,
                "checksum": checksum,
                "energy_line": ctx.line(phase, Some(&unit)),
            }],
        }),
        text: t,
        unit: Some(unit),
    })
}
