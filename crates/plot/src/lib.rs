//! terrawatt-plot: the charts of every pillar, drawn with plotters (PNG): a model against
//! its data, savings with their band, monthly bars, forecast bands, lines, raster panels
//! and the Pareto front of the green model choice. Each chart is written to a temporary
//! file and renamed into place, so no half-written chart is left.
//!
//! Text needs a TrueType font: DejaVu Sans from Debian's fonts-dejavu-core, or the file
//! named by TERRAWATT_FONT.
//!
//! A year's monthly energy as bars:
//!
//! ```
//! // one kWh an hour through 1970 (time 0 is its first second, UTC)
//! let monthly = terrawatt_plot::monthly_sums((0..8760).map(|h| (h * 3600, 1.0)), 0);
//! assert_eq!(monthly[0], 744.0); // 31 days of January
//! assert_eq!(monthly[1], 672.0); // 28 days of February
//! let png = std::env::temp_dir().join(format!("terrawatt-months-{}.png", std::process::id()));
//! terrawatt_plot::monthly_bars(&png, "Energy per month", "kWh", &monthly)?;
//! assert!(std::fs::metadata(&png)?.len() > 1000);
//! std::fs::remove_file(&png)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use terrawatt_building::baseline::{Fitted, Model};
use terrawatt_building::load::Candidate;
use terrawatt_building::prepare::Prepared;
use terrawatt_building::series::Freq;

/// Errors of drawing a chart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// No usable font for the chart's text (what to install is in the message).
    #[error("{0}")]
    Font(String),
    /// The chart could not be drawn.
    #[error("drawing {}: {message}", path.display())]
    Draw { path: PathBuf, message: String },
    /// The chart could not be put in place.
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Result with [`PlotError`].
pub type Result<T, E = PlotError> = std::result::Result<T, E>;

/// What drawing on a canvas gives back (plotters' errors, boxed).
type Drawn = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

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
    .map_err(PlotError::Font)
}

/// The Pareto front of CV MAE against lifecycle energy, one point per candidate.
pub fn pareto(path: &Path, rows: &[Candidate], target: &str) -> Result<()> {
    render(path, (960, 640), |root| draw(root, rows, target))
}

fn draw(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    rows: &[Candidate],
    target: &str,
) -> Drawn {
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
    let mut chart = ChartBuilder::on(root)
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
        .y_desc(format!("cross-validated MAE, in {target}'s unit"))
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
    // labels that would overlap an earlier one (close in log energy and in MAE) are moved
    // down a line, so names of models with like cost and error stay readable
    let mut placed: Vec<(f64, f64)> = Vec::new();
    let mut order: Vec<&Candidate> = rows.iter().collect();
    order.sort_by(|a, b| {
        a.lifecycle_joules
            .total_cmp(&b.lifecycle_joules)
            .then(b.mae.total_cmp(&a.mae))
    });
    let line = m_max * 0.045;
    for r in order {
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
        let x = r.lifecycle_joules * 1.4;
        let mut y = r.mae + m_max * 0.012;
        while placed
            .iter()
            .any(|(px, py)| (x / px).ln().abs() < 0.9 && (y - py).abs() < line)
        {
            y -= line;
        }
        placed.push((x, y));
        // a label moved away from its point gets a leader line to it
        if (y - (r.mae + m_max * 0.012)).abs() > 1e-12 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(r.lifecycle_joules, r.mae), (x, y - line * 0.3)],
                colour.mix(0.5).stroke_width(1),
            )))?;
        }
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x, y),
            ("sans-serif", 15).into_font().color(&colour),
        )))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    Ok(())
}

/// Draws a PNG: the font registered, a white canvas of `size`, `draw` on it, written to a
/// temporary file and renamed into place (no half-written chart).
fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Drawn,
) -> Result<()> {
    font()?;
    let tmp = path.with_extension("tmp.png");
    let drawn = (|| -> Drawn {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    })();
    drawn.map_err(|e| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::fs::rename(&tmp, path).map_err(|source| PlotError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

/// Labelled axes for [`scatter_with_model`] and [`time_series`].
#[derive(Debug, Clone, Copy)]
pub struct Axes<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

/// Usage against temperature: observed points, the model as a line (`line`) or as fitted
/// points, and vertical marks (e.g. balance points) with their labels. The y range has
/// headroom above the data for the legend, so the legend covers no point.
pub fn scatter_with_model(
    path: &Path,
    axes: Axes<'_>,
    points: &[(f64, f64)],
    model: &[(f64, f64)],
    line: bool,
    marks: &[(f64, String)],
) -> Result<()> {
    render(path, (960, 640), |root| {
        let (x0, x1) = extent(points.iter().chain(model).map(|p| p.0));
        let (y0, y1) = extent(points.iter().chain(model).map(|p| p.1));
        let y0 = y0.min(0.0);
        let top = y1 + (y1 - y0) * 0.25;
        let mut chart = ChartBuilder::on(root)
            .caption(axes.title, ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..top)?;
        chart
            .configure_mesh()
            .x_desc(axes.x)
            .y_desc(axes.y)
            .label_style(("sans-serif", 15))
            .draw()?;
        for (i, (x, label)) in marks.iter().enumerate() {
            let dashes: Vec<(f64, f64)> = (0..40)
                .filter(|k| k % 2 == 0)
                .flat_map(|k| {
                    let a = y0 + (y1 - y0) * k as f64 / 40.0;
                    let b = y0 + (y1 - y0) * (k + 1) as f64 / 40.0;
                    [(*x, a), (*x, b)]
                })
                .collect();
            for seg in dashes.chunks(2) {
                chart.draw_series(LineSeries::new(seg.to_vec(), BLUE.stroke_width(2)))?;
            }
            chart.draw_series(std::iter::once(Text::new(
                label.clone(),
                (*x, y1 + (top - y1) * (0.15 + 0.3 * i as f64)),
                ("sans-serif", 15).into_font().color(&BLUE),
            )))?;
        }
        let size = if points.len() > 2000 { 1 } else { 3 };
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new(*p, size, BLACK.mix(0.5).filled())),
            )?
            .label("observed")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLACK.filled()));
        if line {
            let mut m = model.to_vec();
            m.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(m, RED.stroke_width(3)))?
                .label("baseline model")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(3)));
        } else {
            chart
                .draw_series(
                    model
                        .iter()
                        .map(|p| Circle::new(*p, size, RED.mix(0.6).filled())),
                )?
                .label("baseline model")
                .legend(|(x, y)| Circle::new((x + 10, y), 3, RED.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
        Ok(())
    })
}

/// A date axis: `x` in days since `t0` (Unix seconds) on a clock `offset` seconds east.
fn date_label(t0: i64, offset: i64, days: f64) -> String {
    chrono::DateTime::from_timestamp(t0 + offset + (days * 86_400.0).round() as i64, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The savings chart: on top, the baseline's prediction against observed use per period
/// (the gap between them shaded: the avoided use); below, the cumulative avoided use with
/// the total's uncertainty as an error bar at the end. `x` in days since `t0`, shown as
/// dates.
#[allow(clippy::too_many_arguments)]
pub fn savings(
    path: &Path,
    title: &str,
    unit: &str,
    t0: i64,
    offset: i64,
    x: &[f64],
    observed: &[f64],
    predicted: &[f64],
    uncertainty: Option<(f64, f64)>,
) -> Result<()> {
    render(path, (1200, 900), |root| {
        let (upper, lower) = root.split_vertically(540);
        let (x0, x1) = extent(x.iter().copied());
        let (y0, y1) = extent(observed.iter().chain(predicted).copied());
        let y0 = y0.min(0.0);
        let top = y1 + (y1 - y0) * 0.25;
        let fmt = |d: &f64| date_label(t0, offset, *d);
        let mut chart = ChartBuilder::on(&upper)
            .caption(title, ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d(x0..x1, y0..top)?;
        chart
            .configure_mesh()
            .x_label_formatter(&fmt)
            .x_labels(8)
            .y_desc(format!("use per period, {unit}"))
            .label_style(("sans-serif", 15))
            .draw()?;
        // the avoided use: the area between prediction and observation
        chart
            .draw_series(x.windows(2).enumerate().map(|(i, w)| {
                Polygon::new(
                    vec![
                        (w[0], predicted[i]),
                        (w[1], predicted[i + 1]),
                        (w[1], observed[i + 1]),
                        (w[0], observed[i]),
                    ],
                    GREEN.mix(0.25).filled(),
                )
            }))?
            .label("avoided use (prediction − observed)")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], GREEN.mix(0.4).filled())
            });
        chart
            .draw_series(LineSeries::new(
                x.iter().copied().zip(observed.iter().copied()),
                BLACK.mix(0.7).stroke_width(1),
            ))?
            .label("observed")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                x.iter().copied().zip(predicted.iter().copied()),
                RED.stroke_width(2),
            ))?
            .label("baseline (predicted)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;

        let mut cum = Vec::with_capacity(x.len());
        let mut acc = 0.0;
        for (p, o) in predicted.iter().zip(observed) {
            if p.is_finite() && o.is_finite() {
                acc += p - o;
            }
            cum.push(acc);
        }
        let u = uncertainty.map(|(u, _)| u).unwrap_or(0.0);
        let (c0, c1) = extent(cum.iter().copied().chain([acc - u, acc + u, 0.0]));
        let mut chart = ChartBuilder::on(&lower)
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d(x0..x1, c0..c1 + (c1 - c0) * 0.2)?;
        chart
            .configure_mesh()
            .x_label_formatter(&fmt)
            .x_labels(8)
            .x_desc("period start (local date)")
            .y_desc(format!("cumulative avoided use, {unit}"))
            .label_style(("sans-serif", 15))
            .draw()?;
        chart
            .draw_series(LineSeries::new(
                x.iter().copied().zip(cum.iter().copied()),
                GREEN.stroke_width(3),
            ))?
            .label(format!("avoided use, total {acc:.1} {unit}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(3)));
        if let Some((u, confidence)) = uncertainty {
            let xe = *x.last().unwrap_or(&0.0);
            let cap = (x1 - x0) * 0.008;
            chart
                .draw_series([
                    PathElement::new(vec![(xe, acc - u), (xe, acc + u)], BLACK.stroke_width(2)),
                    PathElement::new(
                        vec![(xe - cap, acc - u), (xe + cap, acc - u)],
                        BLACK.stroke_width(2),
                    ),
                    PathElement::new(
                        vec![(xe - cap, acc + u), (xe + cap, acc + u)],
                        BLACK.stroke_width(2),
                    ),
                ])?
                .label(format!(
                    "uncertainty of the total at {:.0} %: ± {u:.1} {unit}",
                    confidence * 100.0
                ))
                .legend(|(x, y)| {
                    PathElement::new(
                        vec![(x + 10, y - 6), (x + 10, y + 6)],
                        BLACK.stroke_width(2),
                    )
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
        Ok(())
    })
}

/// Sums of (Unix seconds, value) by calendar month in a clock `offset` seconds east of UTC;
/// NaN values are left out.
pub fn monthly_sums(values: impl Iterator<Item = (i64, f64)>, offset: i64) -> [f64; 12] {
    let mut monthly = [0.0f64; 12];
    for (t, v) in values.filter(|(_, v)| !v.is_nan()) {
        let local = chrono::DateTime::from_timestamp(t + offset, 0).expect("in range");
        monthly[chrono::Datelike::month0(&local) as usize] += v;
    }
    monthly
}

/// Twelve monthly bars.
pub fn monthly_bars(path: &Path, title: &str, unit: &str, values: &[f64; 12]) -> Result<()> {
    render(path, (960, 540), |root| {
        let top = values.iter().cloned().fold(0.0, f64::max).max(1e-9) * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.5f64..12.5f64, 0.0..top)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .x_label_formatter(&|x| {
                const M: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let i = x.round() as usize;
                if (1..=12).contains(&i) {
                    M[i - 1].to_string()
                } else {
                    String::new()
                }
            })
            .x_desc("month")
            .y_desc(format!("energy, {unit}"))
            .label_style(("sans-serif", 15))
            .draw()?;
        chart.draw_series(values.iter().enumerate().map(|(i, v)| {
            let x = i as f64 + 1.0;
            Rectangle::new([(x - 0.35, 0.0), (x + 0.35, *v)], BLUE.mix(0.7).filled())
        }))?;
        Ok(())
    })
}

/// A forecast against the observations: observed (black), forecast (red) and, when given,
/// the band between a lower and an upper quantile (shaded). Gaps (NaN) break the lines.
pub fn forecast_band(
    path: &Path,
    axes: Axes<'_>,
    x: &[f64],
    observed: &[f64],
    forecast: &[f64],
    band: Option<(&[f64], &[f64])>,
) -> Result<()> {
    render(path, (1200, 600), |root| {
        let (x0, x1) = extent(x.iter().copied());
        let all = observed.iter().chain(forecast);
        let (y0, y1) = match band {
            Some((_, hi)) => extent(all.chain(hi).copied()),
            None => extent(all.copied()),
        };
        let mut chart = ChartBuilder::on(root)
            .caption(axes.title, ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0.min(0.0)..y1 + (y1 - y0.min(0.0)) * 0.25)?;
        chart
            .configure_mesh()
            .x_desc(axes.x)
            .y_desc(axes.y)
            .label_style(("sans-serif", 15))
            .draw()?;
        if let Some((lo, hi)) = band {
            // the legend's entry for the band
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                .label("forecast quantile band (lowest–highest asked)")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], RED.mix(0.3).filled())
                });
            for k in 0..x.len() {
                if !lo[k].is_nan() && !hi[k].is_nan() {
                    let w = if k + 1 < x.len() {
                        x[k + 1] - x[k]
                    } else {
                        0.0
                    };
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x[k], lo[k]), (x[k] + w, hi[k])],
                        RED.mix(0.15).filled(),
                    )))?;
                }
            }
        }
        let runs = |v: &[f64]| -> Vec<Vec<(f64, f64)>> {
            let mut out = vec![Vec::new()];
            for (a, b) in x.iter().zip(v) {
                if b.is_nan() {
                    if !out.last().expect("one").is_empty() {
                        out.push(Vec::new());
                    }
                } else {
                    out.last_mut().expect("one").push((*a, *b));
                }
            }
            out
        };
        for (k, run) in runs(observed).into_iter().enumerate() {
            let s = chart.draw_series(LineSeries::new(run, BLACK.mix(0.8).stroke_width(1)))?;
            if k == 0 {
                s.label("observed").legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2))
                });
            }
        }
        for (k, run) in runs(forecast).into_iter().enumerate() {
            let s = chart.draw_series(LineSeries::new(run, RED.stroke_width(2)))?;
            if k == 0 {
                s.label("forecast").legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2))
                });
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
        Ok(())
    })
}

/// Named lines over a shared x axis (e.g. skill against each reference by horizon), with
/// points marked.
pub fn lines(path: &Path, axes: Axes<'_>, x: &[f64], series: &[(String, Vec<f64>)]) -> Result<()> {
    const COLOURS: [RGBColor; 6] = [RED, BLUE, GREEN, MAGENTA, CYAN, BLACK];
    render(path, (960, 600), |root| {
        let (x0, x1) = extent(x.iter().copied());
        let (y0, y1) = extent(series.iter().flat_map(|s| s.1.iter().copied()));
        let mut chart = ChartBuilder::on(root)
            .caption(axes.title, ("sans-serif", 24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0.min(0.0)..y1.max(0.0))?;
        // whole numbers (years, horizons) are labelled without decimals
        let whole = x.iter().all(|v| v.fract() == 0.0);
        let fmt = |v: &f64| {
            if whole {
                format!("{v:.0}")
            } else {
                format!("{v}")
            }
        };
        chart
            .configure_mesh()
            .x_desc(axes.x)
            .y_desc(axes.y)
            .x_label_formatter(&fmt)
            .label_style(("sans-serif", 15))
            .draw()?;
        for (k, (name, v)) in series.iter().enumerate() {
            let c = COLOURS[k % COLOURS.len()];
            let pts: Vec<(f64, f64)> = x.iter().copied().zip(v.iter().copied()).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
        Ok(())
    })
}

/// A raster quicklook: panels of RGB pixels side by side, each with a title, and a legend
/// of coloured boxes below.
pub fn raster_panels(
    path: &Path,
    panels: &[(String, usize, usize, Vec<RGBColor>)],
    legend: &[(RGBColor, String)],
) -> Result<()> {
    let side = 360usize;
    let n = panels.len().max(1);
    // the tallest panel once scaled to `side` on its longer edge
    let tall = panels
        .iter()
        .map(|(_, w, h, _)| (*h as f64 * side as f64 / (*w.max(h)) as f64).ceil() as usize)
        .max()
        .unwrap_or(side);
    let width = (side + 20) * n + 20;
    // legend entries of 300 pixels, as many to a row as the panels' width holds (up to 3)
    let per_row = ((width - 20) / 300).clamp(1, 3);
    let height = tall + 60 + 30 * legend.len().div_ceil(per_row) + 20;
    render(path, (width as u32, height as u32), |root| {
        for (k, (title, w, h, px)) in panels.iter().enumerate() {
            let scale = side as f64 / (*w.max(h)) as f64;
            let x0 = 20 + k * (side + 20);
            root.draw(&Text::new(
                title.clone(),
                (x0 as i32, 10),
                ("sans-serif", 18).into_font(),
            ))?;
            for y in 0..*h {
                for x in 0..*w {
                    let c = px[y * w + x];
                    let (a, b) = (
                        (x0 as f64 + x as f64 * scale) as i32,
                        (40.0 + y as f64 * scale) as i32,
                    );
                    let (c2, d) = (
                        (x0 as f64 + (x + 1) as f64 * scale).ceil() as i32,
                        (40.0 + (y + 1) as f64 * scale).ceil() as i32,
                    );
                    root.draw(&Rectangle::new([(a, b), (c2, d)], c.filled()))?;
                }
            }
        }
        for (i, (c, label)) in legend.iter().enumerate() {
            let (col, row) = (i % per_row, i / per_row);
            let x = 20 + col as i32 * 300;
            let y = (tall + 60 + row * 30) as i32;
            root.draw(&Rectangle::new([(x, y), (x + 20, y + 20)], c.filled()))?;
            root.draw(&Rectangle::new(
                [(x, y), (x + 20, y + 20)],
                BLACK.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                label.clone(),
                (x + 28, y + 2),
                ("sans-serif", 16).into_font(),
            ))?;
        }
        Ok(())
    })
}

/// A baseline against its data: for a degree-day model, use per day against the period's
/// mean temperature with the model's curve and its balance points; for a TOWT model, hourly
/// use against temperature with the fitted values.
pub fn baseline(path: &Path, fitted: &Fitted, unit: &str) -> Result<()> {
    let b = &fitted.baseline;
    let title = format!("Baseline: usage against temperature ({})", b.freq);
    match &b.model {
        Model::DegreeDay(m) => {
            let per_day = |v: f64, p: &Prepared| match b.freq {
                Freq::Billing => v / p.n_days,
                _ => v,
            };
            let points: Vec<(f64, f64)> = fitted
                .periods
                .iter()
                .map(|p| (p.temp, per_day(p.period.value, p)))
                .collect();
            let (lo, hi) = points
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), p| {
                    (a.min(p.0), c.max(p.0))
                });
            let curve: Vec<(f64, f64)> = (0..=200)
                .map(|i| {
                    let t = lo + (hi - lo) * i as f64 / 200.0;
                    let mut v = m.intercept;
                    if let (Some(h), Some(bh)) = (m.heating_balance_point, m.beta_hdd) {
                        v += bh * (h - t).max(0.0);
                    }
                    if let (Some(c), Some(bc)) = (m.cooling_balance_point, m.beta_cdd) {
                        v += bc * (t - c).max(0.0);
                    }
                    (t, v)
                })
                .collect();
            scatter_with_model(
                path,
                Axes {
                    title: &title,
                    x: "mean temperature of the period, °F",
                    y: &format!("use per day, {unit}/day"),
                },
                &points,
                &curve,
                true,
                &m.heating_balance_point
                    .filter(|_| m.beta_hdd.is_some())
                    .map(|h| (h, format!("heating balance point {h} °F")))
                    .into_iter()
                    .chain(
                        m.cooling_balance_point
                            .filter(|_| m.beta_cdd.is_some())
                            .map(|c| (c, format!("cooling balance point {c} °F"))),
                    )
                    .collect::<Vec<_>>(),
            )
        }
        Model::Towt(_) => {
            let points: Vec<(f64, f64)> = fitted
                .periods
                .iter()
                .map(|p| (p.temp, p.period.value))
                .collect();
            let model: Vec<(f64, f64)> = fitted
                .periods
                .iter()
                .zip(&fitted.fitted)
                .map(|(p, v)| (p.temp, *v))
                .collect();
            scatter_with_model(
                path,
                Axes {
                    title: &title,
                    x: "temperature, °F",
                    y: &format!("use per hour, {unit}/h"),
                },
                &points,
                &model,
                false,
                &[],
            )
        }
    }
}

/// A series checked against its season–trend model: what one pixel or field shows.
#[derive(Debug)]
pub struct SeriesFit<'a> {
    pub title: &'a str,
    /// Time (decimal years) and value of each observation (NaN missing, not drawn).
    pub t: &'a [f64],
    pub y: &'a [f64],
    /// The model's value at each time (NaN before the stable history: not drawn).
    pub fit: &'a [f64],
    pub history_start: f64,
    pub monitor_start: f64,
    pub break_time: Option<f64>,
}

/// The observations as points, the model as a line from the stable history's start, and
/// vertical lines at the history's start, the monitoring start and the break.
pub fn series_fit(path: &Path, s: &SeriesFit<'_>) -> Result<()> {
    render(path, (1000, 520), |root| {
        let (x0, x1) = extent(s.t.iter().copied());
        let (y0, y1) = extent(s.y.iter().chain(s.fit.iter()).copied());
        let mut chart = ChartBuilder::on(root)
            .caption(s.title, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc("time (decimal year)")
            .y_desc("value")
            .x_label_formatter(&|v| format!("{v:.1}"))
            .label_style(("sans-serif", 15))
            .draw()?;
        let vline = |x: f64| vec![(x, y0), (x, y1)];
        chart
            .draw_series(LineSeries::new(
                vline(s.history_start),
                BLACK.mix(0.4).stroke_width(1),
            ))?
            .label("stable history from")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.4)));
        chart
            .draw_series(LineSeries::new(
                vline(s.monitor_start),
                BLUE.stroke_width(1),
            ))?
            .label("monitoring from")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        if let Some(b) = s.break_time {
            chart
                .draw_series(LineSeries::new(vline(b), RED.stroke_width(2)))?
                .label("break")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        }
        chart
            .draw_series(
                s.t.iter()
                    .zip(s.y)
                    .filter(|(_, v)| v.is_finite())
                    .map(|(t, v)| Circle::new((*t, *v), 3, BLACK.filled())),
            )?
            .label("observations")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLACK.filled()));
        let fit: Vec<(f64, f64)> =
            s.t.iter()
                .zip(s.fit)
                .filter(|(_, v)| v.is_finite())
                .map(|(t, v)| (*t, *v))
                .collect();
        chart
            .draw_series(LineSeries::new(fit, GREEN.stroke_width(2)))?
            .label("season–trend model")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()?;
        Ok(())
    })
}
