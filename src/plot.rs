//! Charts drawn with plotters (PNG). Text needs a TrueType font: DejaVu Sans from Debian's
//! fonts-dejavu-core, or the file named by TERRAWATT_FONT.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context as _, Result, anyhow};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use terrawatt_building::load::Candidate;

const FONTS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

fn font() -> Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let candidates: Vec<String> = std::env::var("TERRAWATT_FONT")
            .into_iter()
            .chain(FONTS.iter().map(|s| s.to_string()))
            .collect();
        let path = candidates.iter().find(|p| Path::new(p).exists()).ok_or_else(|| {
            format!(
                "no TrueType font for the chart's text: install fonts-dejavu-core or set TERRAWATT_FONT (looked for {})",
                candidates.join(", ")
            )
        })?;
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        register_font("sans-serif", FontStyle::Normal, Box::leak(bytes.into_boxed_slice()))
            .map_err(|_| format!("{path}: not a usable TrueType font"))
    })
    .clone()
    .map_err(|e| anyhow!(e))
}

/// The Pareto front of CV MAE against lifecycle energy, one point per candidate.
pub fn pareto(path: &Path, rows: &[Candidate], target: &str) -> Result<()> {
    font()?;
    let tmp = path.with_extension("tmp.png");
    draw(&tmp, rows, target).with_context(|| format!("drawing {}", path.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn draw(path: &Path, rows: &[Candidate], target: &str) -> Result<()> {
    let root = BitMapBackend::new(path, (960, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let e_min = rows
        .iter()
        .map(|r| r.lifecycle_joules)
        .fold(f64::INFINITY, f64::min)
        .max(1e-9);
    let e_max = rows
        .iter()
        .map(|r| r.lifecycle_joules)
        .fold(0.0, f64::max)
        .max(e_min * 10.0);
    let m_max = rows.iter().map(|r| r.mae).fold(0.0, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Accuracy against energy — {target}"),
            ("sans-serif", 26),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((e_min / 2.0..e_max * 6.0).log_scale(), 0.0..m_max)?;
    chart
        .configure_mesh()
        .x_desc("lifecycle energy, J (training + expected predictions; log scale)")
        .y_desc("cross-validated MAE")
        .label_style(("sans-serif", 15))
        .draw()?;
    let mut front: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.pareto)
        .map(|r| (r.lifecycle_joules, r.mae))
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0));
    chart
        .draw_series(LineSeries::new(front, BLUE.stroke_width(2)))?
        .label("Pareto front")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    for r in rows {
        let colour = if r.picked {
            RED
        } else if r.pareto {
            BLUE
        } else {
            BLACK
        };
        let size = if r.picked { 9 } else { 6 };
        chart.draw_series(std::iter::once(Circle::new(
            (r.lifecycle_joules, r.mae),
            size,
            colour.filled(),
        )))?;
        let label = if r.picked {
            format!("{} (picked)", r.name)
        } else {
            r.name.clone()
        };
        chart.draw_series(std::iter::once(Text::new(
            label,
            (r.lifecycle_joules * 1.15, r.mae + m_max * 0.012),
            ("sans-serif", 15).into_font().color(&colour),
        )))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    root.present()?;
    Ok(())
}
