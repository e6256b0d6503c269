//! `terrawatt raster …`: the options of the raster commands, turned into the library's tasks
//! ([`terrawatt_raster::task`]) and run with progress bars; their figures drawn here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use terrawatt_meter::Span;
use terrawatt_raster::accuracy::{Allocation, DesignSettings};
use terrawatt_raster::baseline::BaselineOffset;
use terrawatt_raster::change::{
    Checks, Difference, Direction, MadScale, Method, MethodName, Mmu, Normalize, ThresholdChoice,
};
use terrawatt_raster::forest_loss::Years;
use terrawatt_raster::grid::{AreaMethod, PixelWindow};
use terrawatt_raster::index::{Expr, Formula, Index};
use terrawatt_raster::landscape::{Nodata as LandscapeNodata, Settings as LandscapeSettings};
use terrawatt_raster::mask::{MaskKind, NodataRule};
use terrawatt_raster::read::{BandRef, BandSel, Resampling};
use terrawatt_raster::series::model::Design;
use terrawatt_raster::series::sample::StackSpec;
use terrawatt_raster::sieve::Connectivity;
use terrawatt_raster::task::{
    AccuracyTask, BandSource, BreaksStackTask, BreaksTask, CcdcStackTask, CcdcTask, ChangeResults,
    ChangeTask, Explained, ForestLossTask, HistoryChoice, IndexTask, LandscapeTask, Monitoring,
    NamedBand, Quicklook, RasterOptions, RasterTask, RoleBand, SampleDesignTask, SampleStackTask,
    SampleTask, SeriesInput, StackInput, StackSource, Task, TaskResults, TransitionsTask,
    TrendStackTask, TrendTask, WindowTask, ZonalTask,
};
use terrawatt_raster::window::Metric;
use terrawatt_raster::write::{Compression, Format, OutputSpec};
use terrawatt_raster::zonal::{Features, Missing, Rule, ZoneSource};
use terrawatt_raster::zones::Invalid;
use terrawatt_table::TableError;
use terrawatt_table::size;

use crate::cli::one_of;
use crate::task::{Ctx, Outcome, check_output};

#[derive(Debug, Subcommand)]
pub enum RasterCommand {
    /// A spectral index (NDVI, NBR, NDMI, NDWI, EVI, SAVI) or a band-math expression.
    Index(Box<IndexArgs>),
    /// Two-date change: index difference (dNDVI, dNBR with severity classes, RdNBR) or
    /// change vector analysis; masks, thresholds, minimum mapping unit, true areas.
    Change(Box<ChangeArgs>),
    /// Landscape metrics of a classified raster, per class and for the landscape
    /// (FRAGSTATS definitions, as pylandstats): patches, density, largest patch, edge,
    /// mean patch area, core area, effective mesh size, Shannon diversity and evenness.
    Landscape(Box<LandscapeArgs>),
    /// Land-cover transitions: the from–to matrix of two classified rasters in hectares of
    /// true area.
    Transitions(Box<TransitionsArgs>),
    /// Zonal statistics per polygon (any OGR source, reprojected to the raster): count, sum,
    /// mean, min, max, std, majority and area per class, with exact cell coverage fractions
    /// (as exactextract) or the cell-centre rule.
    Zonal(Box<ZonalArgs>),
    /// Forest area, loss and gross emissions per polygon and year from Hansen Global Forest
    /// Change layers, by mapme.biodiversity's treecover_area rules (canopy threshold,
    /// 4-connected patches above a minimum size, loss years).
    ForestLoss(Box<ForestLossArgs>),
    /// Accuracy of a class map against a reference raster (every pixel: confusion matrix,
    /// overall / user's / producer's accuracy, F1, kappa) or sample points (Olofsson et al.
    /// 2014: area per class adjusted for map error, with 95 % confidence intervals).
    Accuracy(Box<AccuracyArgs>),
    /// Draws a stratified random sample of a class map (strata = its classes) as a
    /// GeoPackage of points to interpret, for `raster accuracy`.
    SampleDesign(Box<SampleDesignArgs>),
    /// Writes the synthetic sample scene (two dates of B04/B08/SCL with a clearing and a
    /// cloud, and a land-cover map) used by `terrawatt demo`.
    Sample(SampleArgs),
    /// Breaks in a series by BFAST Monitor (Verbesselt et al. 2012): a season–trend model
    /// of the stable history (reversed-order CUSUM), then the OLS-MOSUM of the monitoring
    /// period's residuals against its boundary; the break date and its magnitude.
    Breaks(Box<BreaksArgs>),
    /// Monotonic trend of a series: Theil–Sen slope with its bounds, Mann–Kendall test
    /// (tie-corrected) and optionally the seasonal Kendall test.
    Trend(Box<TrendArgs>),
    /// Writes a synthetic stack with known breaks (seasonal NDVI, noise, drops at known
    /// dates, clouds) and its truth, to measure break detection.
    SampleStack(SampleStackArgs),
}

#[derive(Debug, Args)]
pub struct SampleStackArgs {
    /// The folder to write stack.tif, dates.csv and truth.tif into.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub out_dir: PathBuf,
    /// Pixels on a side.
    #[arg(long, default_value_t = 64, help_heading = "Scene")]
    pub size: usize,
    /// The first year.
    #[arg(long, default_value_t = 2016, help_heading = "Scene")]
    pub start_year: i32,
    /// Years of dates.
    #[arg(long, default_value_t = 8, help_heading = "Scene")]
    pub years: usize,
    /// Dates a year.
    #[arg(long, default_value_t = 23, help_heading = "Scene")]
    pub per_year: usize,
    /// Drops fall from the start of this year.
    #[arg(long, default_value_t = 2021, help_heading = "Scene")]
    pub monitor_year: i32,
    /// Standard deviation of the noise (NDVI).
    #[arg(long, default_value_t = 0.03, help_heading = "Scene")]
    pub noise: f64,
    /// Share of observations removed by clouds.
    #[arg(long, default_value_t = 0.3, help_heading = "Scene")]
    pub cloud: f64,
    /// Share of pixels with a drop.
    #[arg(long, default_value_t = 0.5, help_heading = "Scene")]
    pub break_share: f64,
    /// Seed of the scene, its drops and clouds.
    #[arg(long, default_value_t = 1, help_heading = "Scene")]
    pub seed: u64,
}

/// One series from a table.
#[derive(Debug, Args)]
#[command(next_help_heading = "Series")]
pub struct SeriesArgs {
    /// A table (CSV or Parquet) with a time column and a value column.
    #[arg(long, value_name = "FILE")]
    pub series: Option<PathBuf>,
    /// The time column: decimal years (2010.5) or dates (2010-06-26).
    #[arg(long, value_name = "COLUMN", default_value = "time")]
    pub time: String,
    /// The value column (e.g. NDVI); empty, NA or NaN cells are missing observations.
    #[arg(long, value_name = "COLUMN")]
    pub value: Option<String>,
    /// A regular series of N observations a year (R's ts: 23 for 16-day MODIS): decimal-year
    /// times are put on that grid and the trend is the position, as R's bfast takes them;
    /// times may then be given as YEAR(PERIOD), e.g. 2010(13).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=366), help_heading = "Series", hide_short_help = true)]
    pub per_year: Option<u16>,
}

impl SeriesArgs {
    fn input(&self) -> Result<SeriesInput> {
        let (Some(path), Some(value)) = (&self.series, &self.value) else {
            bail!(
                "give a series (--series FILE --value COLUMN) or, for raster breaks, a stack (--stack FILE)"
            );
        };
        Ok(SeriesInput {
            path: path.clone(),
            time: self.time.clone(),
            value: value.clone(),
            per_year: self.per_year.map(usize::from),
        })
    }
}

/// A stack of dated rasters.
#[derive(Debug, Args)]
#[command(next_help_heading = "Stack")]
pub struct StackArgs {
    /// The stack: a CSV of dated files, a folder of them, STAC items or a multi-band raster.
    ///
    /// A CSV with a `date` column and each date's files (`path`[, `band`], or the --index
    /// bands by role: `red`, `nir`, …; a mask in `scl`, `qa_pixel` or `mask`); a folder of
    /// files with a date in each name (YYYYMMDD), with --band-files; STAC items on disk
    /// (.json) with --band-files naming the assets; or a multi-band raster whose band i is
    /// the date on row i of --dates.
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "series")]
    pub stack: Option<PathBuf>,
    /// Each date's value is this index of its bands (NDVI from red and nir, …).
    #[arg(long, requires = "stack", value_parser = one_of::<Index>(Index::NAMES))]
    pub index: Option<Index>,
    /// With a folder --stack: which files play which role, by a text in their names, e.g.
    /// red=B04,nir=B08,scl=SCL (scl: Sentinel-2 scene classes 3, 8, 9, 10 masked; qa_pixel:
    /// Landsat cloud and shadow bits; mask: non-zero masked).
    #[arg(
        long,
        value_name = "ROLE=TEXT,…",
        requires = "stack",
        value_delimiter = ',',
        help_heading = "Stack",
        hide_short_help = true
    )]
    pub band_files: Vec<String>,
    /// With a multi-band --stack: a CSV of the bands' dates (YYYY-MM-DD; a header line first).
    #[arg(
        long,
        value_name = "FILE",
        requires = "stack",
        help_heading = "Stack",
        hide_short_help = true
    )]
    pub dates: Option<PathBuf>,
    /// Values are the rasters' raw values times this (e.g. 0.0001 for NDVI stored × 10,000).
    #[arg(
        long,
        default_value_t = 1.0,
        requires = "stack",
        help_heading = "Stack",
        hide_short_help = true
    )]
    pub scale: f64,
    /// Values are the rasters' raw values times --scale plus this (e.g. -0.1 with --scale
    /// 0.0001 for Sentinel-2 L2A from processing baseline 04.00, January 2022).
    #[arg(
        long,
        default_value_t = 0.0,
        allow_hyphen_values = true,
        requires = "stack",
        help_heading = "Stack",
        hide_short_help = true
    )]
    pub offset: f64,
    /// With --index, Sentinel-2's +1,000 from processing baseline 04.00 (25 January 2022).
    ///
    /// check: a stack over that day whose darkest values step up by about 1,000 in every
    /// band is refused; subtract: 1,000 is taken off the digital numbers of the dates from
    /// that day on (Earth Engine's harmonized collections); keep: read as they are.
    #[arg(long, default_value = "check", value_parser = one_of::<BaselineOffset>(BaselineOffset::NAMES), requires = "stack", help_heading = "Stack", hide_short_help = true)]
    pub s2_offset: BaselineOffset,
    /// Memory budget for the strips of all dates read together.
    #[arg(
        long,
        default_value = "1GB",
        requires = "stack",
        help_heading = "Stack",
        hide_short_help = true
    )]
    pub memory: String,
    /// Only this window of the stack's grid, in pixels: COL,ROW,WIDTH,HEIGHT (a tile of a
    /// planned run).
    #[arg(
        long,
        value_name = "COL,ROW,W,H",
        requires = "stack",
        help_heading = "Stack",
        hide_short_help = true
    )]
    pub window: Option<PixelWindow>,
    /// The output raster's format.
    #[arg(long, default_value = "cog", value_parser = one_of::<Format>(Format::NAMES), requires = "stack", help_heading = "Stack", hide_short_help = true)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct BreaksArgs {
    #[command(flatten)]
    pub series: SeriesArgs,
    #[command(flatten)]
    pub stack: StackArgs,
    /// bfast-monitor, or ccdc (continuous change detection as lcmap-pyccd).
    ///
    /// ccdc takes a series of the Landsat bands blue, green, red, nir, swir1, swir2,
    /// thermal and qa as columns, and gives segments and their breaks.
    #[arg(long, default_value = "bfast-monitor", value_parser = one_of::<String>(&["bfast-monitor", "ccdc"]), help_heading = "Method")]
    pub method: String,
    /// BFAST Monitor's monitoring period: START or START/END (dates, decimal years or
    /// YEAR(PERIOD)); the observations before START are the history, those after END are
    /// left out.
    #[arg(long, value_name = "START[/END]", help_heading = "Method")]
    pub monitor: Option<String>,
    /// The stable history: roc (reversed-order CUSUM, bfastmonitor's default), all, its
    /// first time, or START/END (the observations after END and before the monitoring
    /// start are left out).
    #[arg(
        long,
        default_value = "roc",
        value_name = "roc|all|START[/END]",
        help_heading = "Method",
        hide_short_help = true
    )]
    pub history: HistoryChoice,
    /// Harmonic terms of the season (0–3).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=3), help_heading = "Method", hide_short_help = true)]
    pub harmonics: u8,
    /// Leave the trend term out of the model.
    #[arg(long, help_heading = "Method", hide_short_help = true)]
    pub no_trend: bool,
    /// The MOSUM bandwidth as a share of the stable history: 0.25, 0.5 or 1.
    #[arg(
        long,
        default_value_t = 0.25,
        help_heading = "Method",
        hide_short_help = true
    )]
    pub bandwidth: f64,
    /// The monitoring horizon the boundary holds for, as a multiple of the history: 2, 4,
    /// 6, 8 or 10.
    #[arg(
        long,
        default_value_t = 10.0,
        help_heading = "Method",
        hide_short_help = true
    )]
    pub horizon: f64,
    /// Significance level of the monitoring test (0.001 … 0.05).
    #[arg(long, default_value_t = 0.05, help_heading = "Method")]
    pub level: f64,
    /// A series: a CSV of the fit and the MOSUM; a stack: a COG of the break and its model.
    ///
    /// A series: the series with the model's fit, its residuals and the MOSUM with its
    /// boundary (CSV). A stack: a COG of the break (decimal year) and its day of the year,
    /// the magnitude, the history's start, length, RMSE and R², the monitored observations.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// A stack: the break years as classes (Byte: 0 no break, v = a break in 2000 + v, 255
    /// missing), for raster zonal, transitions or accuracy.
    #[arg(long, value_name = "FILE", requires = "stack", help_heading = "Output")]
    pub classes_out: Option<PathBuf>,
    /// A stack: a PNG of the break years with a legend.
    #[arg(long, value_name = "FILE", requires = "stack", help_heading = "Output")]
    pub quicklook: Option<PathBuf>,
    /// A stack: run one pixel only, by column and row of the stack's grid, and print (and
    /// with --plot draw) its series against its model.
    #[arg(
        long,
        value_name = "COL,ROW",
        requires = "stack",
        help_heading = "Output"
    )]
    pub explain: Option<String>,
    /// A stack: as --explain, the pixel holding a point in longitude and latitude (WGS 84).
    #[arg(
        long,
        value_name = "LON,LAT",
        requires = "stack",
        conflicts_with = "explain",
        help_heading = "Output",
        hide_short_help = true
    )]
    pub explain_point: Option<String>,
    /// A PNG of the series (or the explained pixel's) with its model, the monitoring
    /// start and the break.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
}

impl StackArgs {
    fn input(&self, stack: &Path, per_year: Option<u16>) -> Result<StackInput> {
        let roles = self
            .band_files
            .iter()
            .map(|r| match r.split_once('=') {
                Some((role, text)) if !role.is_empty() && !text.is_empty() => {
                    Ok((role.trim().to_lowercase(), text.trim().to_string()))
                }
                _ => bail!("--band-files '{r}': expected ROLE=TEXT, e.g. red=B04"),
            })
            .collect::<Result<Vec<_>>>()?;
        let json = stack
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("geojson"));
        let source = if stack.is_dir() {
            StackSource::Folder {
                dir: stack.to_path_buf(),
                roles,
            }
        } else if json {
            StackSource::Stac {
                items: stack.to_path_buf(),
                roles,
            }
        } else {
            if !roles.is_empty() {
                bail!("--band-files applies to a folder or STAC --stack");
            }
            match (&self.dates, stack.extension().and_then(|e| e.to_str())) {
                (Some(d), _) => StackSource::Bands {
                    raster: stack.to_path_buf(),
                    dates: d.clone(),
                },
                (None, Some(e)) if e.eq_ignore_ascii_case("csv") => {
                    StackSource::List(stack.to_path_buf())
                }
                (None, _) => bail!(
                    "--stack {}: a multi-band raster needs --dates FILE (one date per band); a list of dated rasters is a .csv, a folder of them a directory",
                    stack.display()
                ),
            }
        };
        Ok(StackInput {
            source,
            scale: self.scale,
            offset: self.offset,
            s2_offset: self.s2_offset,
            per_year: per_year.map(usize::from),
            index: self.index,
            landsat: false,
        })
    }
}

/// A stack's output raster.
fn raster_out(out: &Path, format: Format) -> OutputSpec {
    OutputSpec {
        path: out.to_path_buf(),
        format,
        compression: Compression::Deflate,
        level: None,
    }
}

impl BreaksArgs {
    fn monitoring(&self) -> Result<Monitoring> {
        let Some(monitor) = &self.monitor else {
            bail!("BFAST Monitor needs the monitoring start: give --monitor START");
        };
        Ok(Monitoring {
            monitor: monitor.clone(),
            history: self.history.clone(),
            design: Design {
                harmonics: usize::from(self.harmonics),
                trend: !self.no_trend,
            },
            h: self.bandwidth,
            end: self.horizon,
            level: self.level,
        })
    }

    fn ccdc_stack_task(&self, stack: &Path) -> Result<CcdcStackTask> {
        let Some(out) = &self.out else {
            bail!("raster breaks --method ccdc --stack writes a raster: give --out FILE.tif");
        };
        if self.monitor.is_some()
            || self.stack.index.is_some()
            || self.quicklook.is_some()
            || self.classes_out.is_some()
            || self.explain.is_some()
            || self.explain_point.is_some()
        {
            bail!(
                "--method ccdc on a stack takes the Landsat bands by role and writes --out: leave out --monitor, --index, --quicklook, --classes-out and --explain"
            );
        }
        let mut input = self.stack.input(stack, self.series.per_year)?;
        input.landsat = true;
        Ok(CcdcStackTask {
            input,
            out: raster_out(out, self.stack.format),
            window: self.stack.window,
            memory: memory(&self.stack.memory)?,
        })
    }

    fn ccdc_task(&self) -> Result<CcdcTask> {
        let Some(path) = &self.series.series else {
            bail!(
                "--method ccdc runs on a series (--series FILE with the Landsat bands as columns) or a stack (--stack with the roles blue … thermal and qa)"
            );
        };
        if self.monitor.is_some() || self.series.value.is_some() || self.plot.is_some() {
            bail!(
                "--method ccdc takes the whole series and every band: leave out --monitor, --value and --plot"
            );
        }
        Ok(CcdcTask {
            path: path.clone(),
            time: self.series.time.clone(),
            out: self.out.clone(),
        })
    }

    pub(crate) fn stack_task(&self, stack: &Path) -> Result<BreaksStackTask> {
        if self.method == "ccdc" {
            bail!("--method ccdc is not a tiled task yet: run it on the whole stack");
        }
        let explaining = self.explain.is_some() || self.explain_point.is_some();
        let placeholder = PathBuf::from("explain.tif");
        let out = match (&self.out, explaining) {
            (Some(o), false) => o,
            (None, true) => &placeholder,
            (Some(_), true) => {
                bail!("--explain runs one pixel and writes no raster: leave out --out")
            }
            (None, false) => bail!("raster breaks --stack writes a raster: give --out FILE.tif"),
        };
        if self.plot.is_some() && !explaining {
            bail!(
                "--plot draws one series: with a stack, give --explain COL,ROW or --explain-point LON,LAT"
            );
        }
        Ok(BreaksStackTask {
            input: self.stack.input(stack, self.series.per_year)?,
            monitoring: self.monitoring()?,
            out: raster_out(out, self.stack.format),
            window: self.stack.window,
            classes: self
                .classes_out
                .as_deref()
                .map(|c| raster_out(c, self.stack.format)),
            memory: memory(&self.stack.memory)?,
        })
    }

    fn task(&self) -> Result<BreaksTask> {
        Ok(BreaksTask {
            input: self.series.input()?,
            monitoring: self.monitoring()?,
            out: self.out.clone(),
        })
    }
}

#[derive(Debug, Args)]
pub struct TrendArgs {
    #[command(flatten)]
    pub series: SeriesArgs,
    #[command(flatten)]
    pub stack: StackArgs,
    /// A stack: pixels with fewer observations are left missing (at least 3).
    #[arg(long, default_value_t = 3, help_heading = "Method")]
    pub min_observations: usize,
    /// A stack: the COG of the slope per year, its bounds, the p-value, τ and the count.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Also the seasonal Kendall test over N seasons (position modulo N, e.g. 23).
    #[arg(long, value_name = "N", help_heading = "Method")]
    pub seasonal: Option<usize>,
    /// Confidence of the Theil–Sen slope's bounds.
    #[arg(long, default_value_t = 0.95, help_heading = "Method")]
    pub confidence: f64,
}

impl TrendArgs {
    pub(crate) fn stack_task(&self, stack: &Path) -> Result<TrendStackTask> {
        let Some(out) = &self.out else {
            bail!("raster trend --stack writes a raster: give --out FILE.tif");
        };
        Ok(TrendStackTask {
            input: self.stack.input(stack, self.series.per_year)?,
            seasonal: self.seasonal,
            confidence: self.confidence,
            min_observations: self.min_observations,
            out: raster_out(out, self.stack.format),
            window: self.stack.window,
            memory: memory(&self.stack.memory)?,
        })
    }

    fn task(&self) -> Result<TrendTask> {
        if self.out.is_some() {
            bail!("--out applies to a stack; a series' trend is in the report");
        }
        Ok(TrendTask {
            input: self.series.input()?,
            seasonal: self.seasonal,
            confidence: self.confidence,
        })
    }
}

#[derive(Debug, Args)]
pub struct AccuracyArgs {
    /// The class map (e.g. --classes-out of raster change).
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub map: PathBuf,
    /// The reference: a class raster (every pixel compared), or a vector file with the class
    /// in --field: sample points (Olofsson et al.'s estimators) or reference polygons (every
    /// cell whose centre they hold).
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub reference: PathBuf,
    /// Points: the field holding each point's reference class.
    #[arg(long, default_value = "reference", help_heading = "Inputs")]
    pub field: String,
    /// Points: the layer (default: the first).
    #[arg(long, help_heading = "Inputs")]
    pub layer: Option<String>,
    /// The band of the map (and of a reference raster).
    #[arg(long, default_value = "1", help_heading = "Inputs")]
    pub band: BandSel,
    /// Only these classes count (others excluded and counted), e.g. 0,1.
    #[arg(long, value_delimiter = ',', help_heading = "Inputs")]
    pub classes: Vec<i64>,
    /// Assess the class codes as they are where the map's classes agree far better with
    /// the reference under another coding (refused otherwise: a legend of 0/1 against 0/255
    /// or 1/2).
    #[arg(long, help_heading = "Inputs", hide_short_help = true)]
    pub as_coded: bool,
    /// Warp a reference raster on another grid onto the map's: nearest or mode.
    #[arg(long, value_parser = one_of::<Resampling>(Resampling::NAMES), value_name = "RESAMPLING", num_args = 0..=1, default_missing_value = "nearest", help_heading = "Inputs", hide_short_help = true)]
    pub align: Option<Resampling>,
    /// Pixel areas on geographic grids: ellipsoid or sphere.
    #[arg(long, value_parser = one_of::<AreaMethod>(AreaMethod::NAMES), default_value = "ellipsoid", help_heading = "Processing", hide_short_help = true)]
    pub area: AreaMethod,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(
        long,
        default_value = "1GB",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub memory: String,
    /// Writes the per-class table as CSV.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub table: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SampleDesignArgs {
    /// The class map to sample.
    #[arg(long, value_name = "FILE", help_heading = "Sample")]
    pub map: PathBuf,
    /// The sample size.
    #[arg(long, help_heading = "Sample")]
    pub n: u64,
    /// proportional, equal, or min:N (proportional with at least N per class, as Olofsson
    /// et al. 2014 advise for rare change classes).
    #[arg(long, default_value = "proportional", help_heading = "Sample")]
    pub allocation: Allocation,
    /// The seed of the draw (the same seed and map give the same points).
    #[arg(long, default_value_t = 42, help_heading = "Sample")]
    pub seed: u64,
    /// Only these classes are strata, e.g. 0,1.
    #[arg(long, value_delimiter = ',', help_heading = "Sample")]
    pub classes: Vec<i64>,
    /// The band of the map.
    #[arg(long, default_value = "1", help_heading = "Sample")]
    pub band: BandSel,
    /// Pixel areas on geographic grids: ellipsoid or sphere.
    #[arg(long, value_parser = one_of::<AreaMethod>(AreaMethod::NAMES), default_value = "ellipsoid", help_heading = "Processing", hide_short_help = true)]
    pub area: AreaMethod,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(
        long,
        default_value = "1GB",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub memory: String,
    /// The GeoPackage of points written (layer `sample`: id, map_class, row, col and an
    /// empty `reference` to fill in).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The seed of the landscape, the clearing's edge and the pixel noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The folder written into (scene-2023-06.tif, scene-2024-06.tif, landcover-2023.tif,
    /// treecover-2000.tif, lossyear.tif, zones.gpkg).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct TransitionsArgs {
    /// The earlier class raster.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub before: PathBuf,
    /// The later class raster (on the same grid, or warped with --align).
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub after: PathBuf,
    /// The band of both (index or description).
    #[arg(long, default_value = "1", help_heading = "Inputs")]
    pub band: BandSel,
    /// Warp the later raster onto the earlier one's grid: nearest or mode.
    #[arg(long, value_parser = one_of::<Resampling>(Resampling::NAMES), value_name = "RESAMPLING", num_args = 0..=1, default_missing_value = "nearest", help_heading = "Inputs", hide_short_help = true)]
    pub align: Option<Resampling>,
    /// Cell areas on geographic grids: ellipsoid (WGS84 or the CRS's) or sphere.
    #[arg(long, value_parser = one_of::<AreaMethod>(AreaMethod::NAMES), default_value = "ellipsoid", help_heading = "Processing", hide_short_help = true)]
    pub area: AreaMethod,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(
        long,
        default_value = "1GB",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub memory: String,
    /// Writes the transitions as CSV (from, to, cells, hectares); with --zones, a row per
    /// polygon and pair as .csv, .parquet or .gpkg.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub table: Option<PathBuf>,
    /// Per polygon: the polygons (any OGR source), weighted by exact coverage or --rule.
    #[arg(long, value_name = "FILE", help_heading = "Zones")]
    pub zones: Option<PathBuf>,
    #[command(flatten)]
    pub polygons: ZoneOptions,
}

/// How the polygons of --zones are read and weighed.
#[derive(Debug, Args)]
pub struct ZoneOptions {
    /// The layer of --zones (default: the first).
    #[arg(
        long,
        requires = "zones",
        help_heading = "Zones",
        hide_short_help = true
    )]
    pub layer: Option<String>,
    /// The CRS of a --zones layer that declares none (e.g. EPSG:4326); refused when it
    /// declares one.
    #[arg(
        long,
        value_name = "CRS",
        requires = "zones",
        help_heading = "Zones",
        hide_short_help = true
    )]
    pub zones_crs: Option<String>,
    /// Invalid geometries: repair (GEOS MakeValid, counted), skip (no cells, counted) or
    /// error.
    #[arg(long, value_parser = one_of::<Invalid>(Invalid::NAMES), default_value = "repair", help_heading = "Zones", hide_short_help = true)]
    pub invalid: Invalid,
    /// Cell weights: exact (the fraction of the cell inside, as exactextract) or centre (a
    /// cell is in when its centre is).
    #[arg(long, value_parser = one_of::<Rule>(Rule::NAMES), default_value = "exact", help_heading = "Zones")]
    pub rule: Rule,
    /// Only COUNT features of the layer from index START, in reading order (a task of a
    /// planned run).
    #[arg(
        long,
        value_name = "START,COUNT",
        requires = "zones",
        help_heading = "Zones",
        hide_short_help = true
    )]
    pub features: Option<Features>,
}

#[derive(Debug, Args)]
pub struct ZonalArgs {
    /// The raster.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub input: PathBuf,
    /// The band (index or description).
    #[arg(long, default_value = "1", help_heading = "Inputs")]
    pub band: BandSel,
    /// The polygons: any OGR source (GeoPackage, GeoJSON, Shapefile, …).
    #[arg(long, value_name = "FILE", help_heading = "Zones")]
    pub zones: PathBuf,
    #[command(flatten)]
    pub polygons: ZoneOptions,
    /// Which value is missing: `band` (the band's nodata value, the default), a value, or
    /// `none` (NaN is always missing).
    #[arg(
        long,
        default_value = "band",
        allow_negative_numbers = true,
        help_heading = "Inputs"
    )]
    pub nodata: Missing,
    /// Cell areas on geographic grids: ellipsoid (WGS84 or the CRS's) or sphere (radius
    /// 6,378,137 m, as exactextract).
    #[arg(long, value_parser = one_of::<AreaMethod>(AreaMethod::NAMES), default_value = "ellipsoid", help_heading = "Processing", hide_short_help = true)]
    pub area: AreaMethod,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(
        long,
        default_value = "1GB",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub memory: String,
    /// The table written: .csv, .parquet, or .gpkg (the polygons with their attributes and
    /// the statistics).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ForestLossArgs {
    /// Hansen tree cover 2000 (canopy %, integer).
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub treecover: PathBuf,
    /// Hansen loss year (v = loss in 2000 + v; 0 = no loss), on the same grid.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub lossyear: PathBuf,
    /// GFW gross emissions (Mg CO2e per cell), on the same grid.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub emissions: Option<PathBuf>,
    /// The polygons: any OGR source (GeoPackage, GeoJSON, Shapefile, …).
    #[arg(long, value_name = "FILE", help_heading = "Zones")]
    pub zones: PathBuf,
    #[command(flatten)]
    pub polygons: ZoneOptions,
    /// Canopy threshold, %: a cell is forest when its cover is greater.
    #[arg(long, default_value_t = 30.0, help_heading = "Forest")]
    pub min_cover: f64,
    /// Minimum patch size (e.g. 1ha, 0.5ha, 5000m2; 0ha keeps every patch): patches of
    /// 4-connected forest larger than it are kept.
    #[arg(long, default_value = "1ha", help_heading = "Forest")]
    pub min_patch: String,
    /// Years reported, e.g. 2000-2023 (default: 2000 to the layer's GFC year, from its
    /// file name).
    #[arg(long, help_heading = "Forest")]
    pub years: Option<Years>,
    /// Cell areas on geographic grids: ellipsoid (default) or sphere (radius 6,378,137 m,
    /// as mapme.biodiversity through exactextractr: ~0.5 % larger at 18° N).
    #[arg(long, value_parser = one_of::<AreaMethod>(AreaMethod::NAMES), default_value = "ellipsoid", help_heading = "Processing", hide_short_help = true)]
    pub area: AreaMethod,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(
        long,
        default_value = "1GB",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub memory: String,
    /// The table (a row per polygon and year): .csv, .parquet or .gpkg.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// A PNG of forest area over the years per polygon (the 8 largest).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LandscapeArgs {
    /// The class raster (integer values; a projected CRS in metres).
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub input: PathBuf,
    /// The band (index or description).
    #[arg(long, default_value = "1", help_heading = "Input")]
    pub band: BandSel,
    /// Which value is nodata: `band` (the band's nodata value, the default), a value (e.g.
    /// 0, pylandstats' default), or `none`.
    #[arg(
        long,
        default_value = "band",
        allow_negative_numbers = true,
        help_heading = "Input"
    )]
    pub nodata: LandscapeNodata,
    /// Patch connectivity: 8 (FRAGSTATS' and pylandstats' default) or 4.
    #[arg(long, value_parser = one_of::<Connectivity>(Connectivity::NAMES), default_value = "8", help_heading = "Metrics")]
    pub connectivity: Connectivity,
    /// Core area: cells farther than this many cells (4-neighbour steps) from an edge.
    #[arg(long, default_value_t = 1, help_heading = "Metrics")]
    pub edge_depth: usize,
    /// Count edges against nodata and the raster's border as edge.
    #[arg(long, help_heading = "Metrics", hide_short_help = true)]
    pub count_boundary: bool,
    /// More distinct values than this are refused as no class map (reflectance, an index,
    /// elevation); raise it for a legend this large (at most 65,534).
    #[arg(
        long,
        default_value_t = terrawatt_raster::landscape::MOST_CLASSES,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65_534),
        value_name = "N",
        help_heading = "Metrics",
        hide_short_help = true
    )]
    pub max_classes: usize,
    /// Memory budget (e.g. 512MB, 2GB).
    #[arg(
        long,
        default_value = "1GB",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub memory: String,
    /// Writes the metrics as CSV (one row per class, then the landscape).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub table: Option<PathBuf>,
    /// Moving window instead: the width of a square window (e.g. 1km, 500m), centred on
    /// each cell; writes a raster per metric into --out-dir.
    #[arg(
        long,
        value_name = "LENGTH",
        requires = "out_dir",
        help_heading = "Moving window"
    )]
    pub window: Option<String>,
    /// Moving-window metrics: shdi, shei, te, ed, richness, pland:CLASS, and the patch
    /// metrics np, pd, lpi, area_mn, mesh (their cost grows with the window's area).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "shdi,shei,ed,richness",
        requires = "window",
        help_heading = "Moving window"
    )]
    pub metrics: Vec<Metric>,
    /// The folder of the moving-window rasters (METRIC.tif; created if missing).
    #[arg(
        long,
        value_name = "DIR",
        requires = "window",
        help_heading = "Moving window"
    )]
    pub out_dir: Option<PathBuf>,
    /// Moving-window rasters: cog or gtiff.
    #[arg(long, value_parser = one_of::<Format>(Format::NAMES), default_value = "cog", requires = "window", help_heading = "Moving window", hide_short_help = true)]
    pub format: Format,
}

/// Bands by role, from one file per band or a multi-band file.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// One file per band: the red band's (band 1 of it; FILE#N or FILE#DESCRIPTION for
    /// another band).
    #[arg(long, value_name = "FILE", help_heading = "Bands, one file each")]
    pub red: Option<BandRef>,
    /// The nir band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(long, value_name = "FILE", help_heading = "Bands, one file each")]
    pub nir: Option<BandRef>,
    /// The green band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub green: Option<BandRef>,
    /// The blue band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub blue: Option<BandRef>,
    /// The swir1 band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub swir1: Option<BandRef>,
    /// The swir2 band's file (FILE#N or FILE#DESCRIPTION for another band than 1).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub swir2: Option<BandRef>,
    /// Expression bands: NAME=FILE[#BAND], repeatable.
    #[arg(
        long = "band",
        value_name = "NAME=FILE",
        help_heading = "Bands, one file each"
    )]
    pub named: Vec<NamedBand>,
}

/// Output, memory and reading options both commands share.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Output raster.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub out: PathBuf,
    /// cog (Cloud-Optimised GeoTIFF with overviews) or gtiff (tiled GeoTIFF).
    #[arg(long, value_parser = one_of::<Format>(Format::NAMES), default_value = "cog", help_heading = "Output")]
    pub format: Format,
    /// deflate, zstd or none.
    #[arg(long, value_parser = one_of::<Compression>(Compression::NAMES), default_value = "deflate", help_heading = "Output", hide_short_help = true)]
    pub compress: Compression,
    /// Compression level (DEFLATE 1–9, ZSTD 1–22) [default: 1].
    #[arg(long, help_heading = "Output", hide_short_help = true)]
    pub level: Option<u8>,
    /// Memory budget for the strips in flight (e.g. 1GB, 512MB).
    #[arg(
        long,
        default_value = "1GB",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub memory: String,
    /// Scale and offset for every input band instead of the files' own (value = raw ×
    /// scale + offset), e.g. --scale 0.0001 for Sentinel-2 L1C/L2A digital numbers.
    #[arg(long, help_heading = "Processing", hide_short_help = true)]
    pub scale: Option<f64>,
    /// The offset of that scaling (with --scale).
    #[arg(
        long,
        allow_hyphen_values = true,
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub offset: Option<f64>,
    /// any: a pixel missing in any input is missing (default); ignore: read nodata values
    /// as ordinary values.
    #[arg(long, value_parser = one_of::<NodataRule>(NodataRule::NAMES), default_value = "any", help_heading = "Processing", hide_short_help = true)]
    pub nodata: NodataRule,
    /// Resampling of bands on another grid than the output's: nearest, bilinear, cubic,
    /// average, mode.
    #[arg(long, value_parser = one_of::<Resampling>(Resampling::NAMES), default_value = "nearest", help_heading = "Processing", hide_short_help = true)]
    pub resampling: Resampling,
    /// The output grid: that of this raster (e.g. a 20 m band to work at 20 m, with
    /// --resampling average); default the grid of the first band (of the before date).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub grid: Option<PathBuf>,
    /// Only this window of the output grid, in pixels: COL,ROW,WIDTH,HEIGHT (a tile of a
    /// planned run; inputs on the grid are read as they are, never resampled).
    #[arg(
        long,
        value_name = "COL,ROW,WIDTH,HEIGHT",
        help_heading = "Processing",
        hide_short_help = true
    )]
    pub window: Option<PixelWindow>,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// ndvi, nbr, ndmi, ndwi, evi or savi.
    #[arg(long, value_parser = one_of::<Index>(Index::NAMES), conflicts_with = "expr", help_heading = "Inputs")]
    pub index: Option<Index>,
    /// Sentinel-2's +1,000 from processing baseline 04.00, for a Sentinel-2 product dated
    /// (by its file name) 25 January 2022 or later.
    ///
    /// check: refused when read without an offset and its darkest values are 900 or more
    /// (the +1,000 left in); subtract: 1,000 taken off; keep: read as it is.
    #[arg(long, default_value = "check", value_parser = one_of::<BaselineOffset>(BaselineOffset::NAMES), help_heading = "Processing", hide_short_help = true)]
    pub s2_offset: BaselineOffset,
    /// A band-math expression, e.g. "(b8-b4)/(b8+b4)"; names are --band NAME=FILE, or bN
    /// for band N of --input.
    #[arg(long, help_heading = "Inputs")]
    pub expr: Option<String>,
    /// A multi-band file; --bands maps roles to its bands.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub input: Option<PathBuf>,
    /// Roles of --input's bands, e.g. red=3,nir=4 (index or description).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "ROLE=BAND",
        help_heading = "Inputs"
    )]
    pub bands: Vec<RoleBand>,
    #[command(flatten)]
    pub roles: RoleArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// ndvi, nbr, ndmi, ndwi, evi or savi: the index differenced between the dates.
    #[arg(long, value_parser = one_of::<Index>(Index::NAMES), conflicts_with_all = ["expr", "method"], help_heading = "Inputs")]
    pub index: Option<Index>,
    /// A band-math expression instead of an index (bN: band N of --before/--after), computed
    /// for each date and differenced as an index is.
    #[arg(long, conflicts_with = "method", help_heading = "Inputs")]
    pub expr: Option<String>,
    /// cva (change vector analysis) or irmad (iteratively reweighted MAD, Nielsen 2007).
    ///
    /// Over the bands of --before/--after (or --cva-bands), or of per-band files
    /// (--before-blue … --after-swir2, the same roles for both dates).
    #[arg(long, value_parser = one_of::<MethodName>(MethodName::NAMES), help_heading = "Method (CVA, IR-MAD)")]
    pub method: Option<MethodName>,
    /// CVA: centre each band's difference on its mean and divide by its standard deviation.
    #[arg(long, help_heading = "Method (CVA, IR-MAD)", hide_short_help = true)]
    pub standardize: bool,
    /// CVA: make the dates comparable first: none, zscore (each date's band standardised),
    /// histogram (after matched to before) or pif (after mapped onto before over IR-MAD's
    /// invariant pixels).
    #[arg(long, value_parser = one_of::<Normalize>(Normalize::NAMES), default_value = "none", help_heading = "Method (CVA, IR-MAD)", hide_short_help = true)]
    pub normalize: Normalize,
    /// IR-MAD: the most iterations.
    #[arg(
        long,
        default_value_t = 200,
        help_heading = "Method (CVA, IR-MAD)",
        hide_short_help = true
    )]
    pub max_iterations: usize,
    /// IR-MAD: stop when no canonical correlation moves by this much.
    #[arg(
        long,
        default_value_t = 1e-6,
        help_heading = "Method (CVA, IR-MAD)",
        hide_short_help = true
    )]
    pub tolerance: f64,
    /// IR-MAD: the scale of the MAD variates in the chi-square statistic: robust (median
    /// absolute deviation over the pixels; the chi-square quantiles hold for unchanged
    /// pixels) or canonical (Nielsen 2007's sqrt(2(1 − ρ)), which over-flags).
    #[arg(long, value_parser = one_of::<MadScale>(MadScale::NAMES), default_value = "robust", help_heading = "Method (CVA, IR-MAD)", hide_short_help = true)]
    pub mad_scale: MadScale,
    /// Bands for CVA and IR-MAD (index or description), default all.
    #[arg(
        long,
        value_delimiter = ',',
        help_heading = "Method (CVA, IR-MAD)",
        hide_short_help = true
    )]
    pub cva_bands: Vec<BandSel>,
    /// Multi-band files of the two dates; --bands maps roles to their bands.
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub before: Option<PathBuf>,
    /// The after date's multi-band file (--bands maps its roles as for --before).
    #[arg(long, value_name = "FILE", help_heading = "Inputs")]
    pub after: Option<PathBuf>,
    /// Roles of the multi-band files' bands, e.g. red=B04,nir=B08 (index or description).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "ROLE=BAND",
        help_heading = "Inputs"
    )]
    pub bands: Vec<RoleBand>,
    /// One file per band and date: the red band of the before date (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub before_red: Option<BandRef>,
    /// The nir band of the before date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub before_nir: Option<BandRef>,
    /// The green band of the before date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub before_green: Option<BandRef>,
    /// The blue band of the before date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub before_blue: Option<BandRef>,
    /// The swir1 band of the before date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub before_swir1: Option<BandRef>,
    /// The swir2 band of the before date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub before_swir2: Option<BandRef>,
    /// The red band of the after date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub after_red: Option<BandRef>,
    /// The nir band of the after date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub after_nir: Option<BandRef>,
    /// The green band of the after date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub after_green: Option<BandRef>,
    /// The blue band of the after date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub after_blue: Option<BandRef>,
    /// The swir1 band of the after date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub after_swir1: Option<BandRef>,
    /// The swir2 band of the after date, its own file (FILE or FILE#BAND).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Bands, one file each",
        hide_short_help = true
    )]
    pub after_swir2: Option<BandRef>,
    /// Which way: after-minus-before (default; dNDVI) or before-minus-after (default for
    /// nbr: dNBR).
    #[arg(long, value_parser = one_of::<Difference>(Difference::NAMES), help_heading = "Inputs", hide_short_help = true)]
    pub difference: Option<Difference>,
    /// RdNBR: the difference over sqrt(|before's index|).
    #[arg(long, help_heading = "Inputs", hide_short_help = true)]
    pub relative: bool,
    /// otsu, ki, em, kmeans[:K], chi2:P, a value, or classes [default: otsu; classes for nbr,
    /// chi2:0.99 for irmad].
    ///
    /// otsu; ki (Kittler–Illingworth minimum error); em (two-Gaussian mixture, Bayes
    /// boundary); kmeans or kmeans:3; chi2:P (IR-MAD: the chi-square quantile, e.g.
    /// chi2:0.99); a value; or classes (dNBR severity).
    #[arg(
        long,
        allow_hyphen_values = true,
        help_heading = "Threshold and classes"
    )]
    pub threshold: Option<ThresholdChoice>,
    /// Histogram bins of the otsu, ki, em and kmeans thresholds.
    #[arg(
        long,
        default_value_t = 256,
        help_heading = "Threshold and classes",
        hide_short_help = true
    )]
    pub bins: usize,
    /// Warn when more than this share of the valid pixels is classed as change (0 to 1).
    #[arg(
        long,
        default_value_t = 0.2,
        help_heading = "Threshold and classes",
        hide_short_help = true
    )]
    pub max_change_share: f64,
    /// Refuse (no output) instead of warning when the checks find the threshold implausible.
    #[arg(long, help_heading = "Threshold and classes", hide_short_help = true)]
    pub strict: bool,
    /// With --index, Sentinel-2's +1,000 from processing baseline 04.00 (25 January 2022).
    ///
    /// check: a pair dated across that day (by its files' names) whose darkest values
    /// differ by about 1,000 is refused, an undated Sentinel-2 pair warned of (refused under
    /// --strict); subtract: 1,000 is taken off the digital numbers of the date that has it;
    /// keep: read as they are.
    #[arg(long, default_value = "check", value_parser = one_of::<BaselineOffset>(BaselineOffset::NAMES), help_heading = "Processing", hide_short_help = true)]
    pub s2_offset: BaselineOffset,
    /// Change is above or below the threshold (default: below for an index difference
    /// after − before, above otherwise).
    #[arg(long, value_parser = one_of::<Direction>(Direction::NAMES), help_heading = "Threshold and classes", hide_short_help = true)]
    pub direction: Option<Direction>,
    /// Sentinel-2 scene classification of each date; --scl-classes masked (default
    /// 3,8,9,10).
    #[arg(long, value_name = "FILE", help_heading = "Masks")]
    pub scl_before: Option<BandRef>,
    /// The after date's scene classification.
    #[arg(long, value_name = "FILE", help_heading = "Masks")]
    pub scl_after: Option<BandRef>,
    /// SCL classes masked: 3 cloud shadow, 8–9 cloud, 10 cirrus by default.
    #[arg(long, value_delimiter = ',', default_values_t = [3i64, 8, 9, 10], help_heading = "Masks", hide_short_help = true)]
    pub scl_classes: Vec<i64>,
    /// Landsat QA_PIXEL of each date; --qa-bits masked (default 1,2,3,4).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Masks",
        hide_short_help = true
    )]
    pub qa_before: Option<BandRef>,
    /// The after date's QA_PIXEL.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Masks",
        hide_short_help = true
    )]
    pub qa_after: Option<BandRef>,
    /// QA_PIXEL bits masked: 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow by default.
    #[arg(long, value_delimiter = ',', default_values_t = [1u32, 2, 3, 4], help_heading = "Masks", hide_short_help = true)]
    pub qa_bits: Vec<u32>,
    /// A mask raster of each date (non-zero masked).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Masks",
        hide_short_help = true
    )]
    pub mask_before: Option<BandRef>,
    /// The after date's mask raster.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Masks",
        hide_short_help = true
    )]
    pub mask_after: Option<BandRef>,
    /// Grow masks by this many pixels.
    #[arg(
        long,
        default_value_t = 0,
        help_heading = "Masks",
        hide_short_help = true
    )]
    pub mask_buffer: usize,
    /// Minimum mapping unit: 0.5ha, 5000m2, 0.01km2, or pixels (5px).
    ///
    /// Patches smaller are merged into their largest neighbour; pixels serve also without
    /// a CRS.
    #[arg(long, help_heading = "Threshold and classes")]
    pub mmu: Option<String>,
    /// Connectivity of patches: 4 or 8.
    #[arg(long, value_parser = one_of::<Connectivity>(Connectivity::NAMES), default_value = "4", help_heading = "Threshold and classes", hide_short_help = true)]
    pub connectivity: Connectivity,
    /// Warp the after date onto the before date's grid when they differ, with this
    /// resampling (default nearest).
    #[arg(long, value_parser = one_of::<Resampling>(Resampling::NAMES), num_args = 0..=1, default_missing_value = "nearest", help_heading = "Processing", hide_short_help = true)]
    pub align: Option<Resampling>,
    /// Pixel areas on geographic grids: ellipsoid (default) or sphere.
    #[arg(long, value_parser = one_of::<AreaMethod>(AreaMethod::NAMES), default_value = "ellipsoid", help_heading = "Processing", hide_short_help = true)]
    pub area: AreaMethod,
    /// The class map alone as a byte GeoTIFF (255 missing).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub classes_out: Option<PathBuf>,
    /// CSV of area per class.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub table: Option<PathBuf>,
    /// PNG quicklook: the value before and after (the index, or CVA's first band) and the
    /// classes, with a legend.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub quicklook: Option<PathBuf>,
    /// Change values only (band 2 left empty; no threshold, no classes): a tile of a planned
    /// run whose merge thresholds and classifies the whole image (Otsu, --mmu).
    #[arg(long, conflicts_with_all = ["classes_out", "table", "quicklook"], help_heading = "Output", hide_short_help = true)]
    pub defer_classes: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

impl RasterCommand {
    /// The library task of the command line.
    pub fn task(&self) -> Result<Task> {
        Ok(match self {
            RasterCommand::Index(a) => Task::Index(Box::new(a.task()?)),
            RasterCommand::Change(a) => Task::Change(Box::new(a.task()?)),
            RasterCommand::Landscape(a) => a.task()?,
            RasterCommand::Transitions(a) => Task::Transitions(Box::new(a.task()?)),
            RasterCommand::Zonal(a) => Task::Zonal(Box::new(a.task()?)),
            RasterCommand::ForestLoss(a) => Task::ForestLoss(Box::new(a.task()?)),
            RasterCommand::Accuracy(a) => Task::Accuracy(Box::new(a.task()?)),
            RasterCommand::SampleDesign(a) => Task::SampleDesign(Box::new(a.task()?)),
            RasterCommand::Sample(a) => Task::Sample(a.task()),
            RasterCommand::Breaks(a) => match &a.stack.stack {
                Some(stack) => Task::Breaks(Box::new(a.stack_task(stack)?)),
                None => bail!("raster breaks of one series is not a tiled task: give --stack"),
            },
            RasterCommand::Trend(a) => match &a.stack.stack {
                Some(stack) => Task::Trend(Box::new(a.stack_task(stack)?)),
                None => bail!("raster trend of one series is not a tiled task: give --stack"),
            },
            RasterCommand::SampleStack(_) => bail!("raster sample-stack is not a tiled task"),
        })
    }
}

/// A size option in its unit (`--memory 1GB`), the flag named in its error.
fn sized<T>(flag: &str, parsed: std::result::Result<T, TableError>) -> Result<T> {
    parsed.map_err(|e| anyhow!("{flag} {e}"))
}

fn memory(s: &str) -> Result<u64> {
    sized("--memory", size::parse_bytes(s))
}

/// The classes to keep: all when none are given.
fn classes(list: &[i64]) -> Option<Vec<i64>> {
    (!list.is_empty()).then(|| list.to_vec())
}

/// The polygons of --zones and how cells are weighed.
fn zone_source(path: &Path, o: &ZoneOptions) -> (ZoneSource, Rule) {
    let zones = ZoneSource {
        path: path.to_path_buf(),
        layer: o.layer.clone(),
        crs: o.zones_crs.clone(),
        invalid: o.invalid,
        keep_geometry: false,
        part: o.features.map(|f| (f.start, f.count)),
    };
    (zones, o.rule)
}

fn formula(index: Option<Index>, expr: &Option<String>) -> Result<Option<Formula>> {
    Ok(match (index, expr) {
        (Some(i), None) => Some(Formula::Index(i)),
        (None, Some(e)) => Some(Formula::Expr(Expr::parse(e)?)),
        (None, None) => None,
        _ => bail!("give --index or --expr, not both"),
    })
}

/// The roles that may have a file of their own.
const ROLES: [&str; 6] = ["red", "nir", "green", "blue", "swir1", "swir2"];

/// The roles given files of their own (`--red FILE`, `--before-red FILE`), in [`ROLES`]'
/// order.
fn role_files(files: [&Option<BandRef>; 6]) -> Vec<(String, BandRef)> {
    ROLES
        .iter()
        .zip(files)
        .filter_map(|(role, f)| Some((role.to_string(), f.clone()?)))
        .collect()
}

impl CommonArgs {
    fn options(&self) -> Result<RasterOptions> {
        Ok(RasterOptions {
            out: OutputSpec {
                path: self.out.clone(),
                format: self.format,
                compression: self.compress,
                level: self.level,
            },
            memory: memory(&self.memory)?,
            scale: self.scale,
            offset: self.offset,
            nodata: self.nodata,
            resampling: self.resampling,
            grid: self.grid.clone(),
            window: self.window,
        })
    }
}

impl IndexArgs {
    fn task(&self) -> Result<IndexTask> {
        let formula = formula(self.index, &self.expr)?
            .ok_or_else(|| anyhow!("give --index NAME or --expr EXPRESSION"))?;
        let r = &self.roles;
        let mut files = role_files([&r.red, &r.nir, &r.green, &r.blue, &r.swir1, &r.swir2]);
        files.extend(r.named.iter().map(|n| (n.name.clone(), n.band.clone())));
        Ok(IndexTask {
            formula,
            bands: BandSource {
                file: self.input.clone(),
                roles: self.bands.clone(),
                files,
            },
            raster: self.common.options()?,
            s2_offset: self.s2_offset,
        })
    }
}

impl ChangeArgs {
    fn task(&self) -> Result<ChangeTask> {
        let date = |file: &Option<PathBuf>, files| BandSource {
            file: file.clone(),
            roles: self.bands.clone(),
            files: role_files(files),
        };
        Ok(ChangeTask {
            method: self.method()?,
            normalize: self.normalize,
            before: date(
                &self.before,
                [
                    &self.before_red,
                    &self.before_nir,
                    &self.before_green,
                    &self.before_blue,
                    &self.before_swir1,
                    &self.before_swir2,
                ],
            ),
            after: date(
                &self.after,
                [
                    &self.after_red,
                    &self.after_nir,
                    &self.after_green,
                    &self.after_blue,
                    &self.after_swir1,
                    &self.after_swir2,
                ],
            ),
            multiband: self.cva_bands.clone(),
            mask_before: self.mask(
                &self.scl_before,
                &self.qa_before,
                &self.mask_before,
                "before",
            )?,
            mask_after: self.mask(&self.scl_after, &self.qa_after, &self.mask_after, "after")?,
            difference: self.difference,
            relative: self.relative,
            threshold: self.threshold,
            bins: self.bins,
            checks: Checks {
                max_change_share: Some(self.max_change_share),
                strict: self.strict,
                s2_offset: self.s2_offset,
            },
            direction: self.direction,
            mask_buffer: self.mask_buffer,
            mmu: self.mmu()?,
            align: self.align,
            area: self.area,
            raster: self.common.options()?,
            classes_out: self.classes_out.clone(),
            table: self.table.clone(),
            quicklook: self.quicklook.clone(),
            defer_classes: self.defer_classes,
        })
    }

    fn method(&self) -> Result<Method> {
        let method = match (self.method, formula(self.index, &self.expr)?) {
            (Some(MethodName::Cva), None) => Method::Cva {
                standardize: self.standardize,
            },
            (Some(MethodName::Irmad), None) => Method::Irmad {
                max_iterations: self.max_iterations,
                tolerance: self.tolerance,
                scale: self.mad_scale,
            },
            (None, Some(Formula::Index(i))) => Method::Index(i),
            (None, Some(Formula::Expr(e))) => Method::Expr(e),
            (None, None) => bail!("give --index NAME, --expr EXPRESSION or --method cva"),
            (Some(_), Some(_)) => bail!("give --method or --index/--expr, not both"),
        };
        if self.standardize && !matches!(method, Method::Cva { .. }) {
            bail!("--standardize applies to --method cva");
        }
        Ok(method)
    }

    /// The cloud mask of a date: its SCL, its QA_PIXEL or a mask raster.
    fn mask(
        &self,
        scl: &Option<BandRef>,
        qa: &Option<BandRef>,
        mask: &Option<BandRef>,
        which: &str,
    ) -> Result<Option<(BandRef, MaskKind)>> {
        Ok(match (scl, qa, mask) {
            (None, None, None) => None,
            (Some(f), None, None) => Some((
                f.clone(),
                MaskKind::Scl {
                    classes: self.scl_classes.clone(),
                },
            )),
            (None, Some(f), None) => Some((
                f.clone(),
                MaskKind::QaBits {
                    bits: self.qa_bits.clone(),
                },
            )),
            (None, None, Some(f)) => Some((f.clone(), MaskKind::NonZero)),
            _ => bail!("give one of --scl-{which}, --qa-{which} or --mask-{which}"),
        })
    }

    /// The minimum mapping unit (an area, or pixels: `5px`) and its connectivity.
    fn mmu(&self) -> Result<Option<(Mmu, Connectivity)>> {
        let Some(s) = &self.mmu else {
            return Ok(None);
        };
        let unit =
            match s.trim().to_ascii_lowercase().strip_suffix("px") {
                Some(n) => {
                    Mmu::Pixels(n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        anyhow!("--mmu '{s}': a whole number of pixels, e.g. 5px")
                    })?)
                }
                None => Mmu::SquareMetres(sized("--mmu", size::parse_area(s, false))?),
            };
        Ok(Some((unit, self.connectivity)))
    }
}

impl LandscapeArgs {
    /// Landscape metrics, or moving-window rasters with --window.
    fn task(&self) -> Result<Task> {
        let memory = memory(&self.memory)?;
        if let Some(w) = &self.window {
            return Ok(Task::Window(Box::new(WindowTask {
                input: self.input.clone(),
                band: self.band.clone(),
                nodata: self.nodata,
                connectivity: self.connectivity,
                window_m: sized("--window", size::parse_length(w))?,
                metrics: self.metrics.clone(),
                out_dir: self.out_dir.clone().context("--window needs --out-dir")?,
                format: self.format,
                memory,
            })));
        }
        Ok(Task::Landscape(Box::new(LandscapeTask {
            landscape: LandscapeSettings {
                input: self.input.clone(),
                band: self.band.clone(),
                nodata: self.nodata,
                connectivity: self.connectivity,
                edge_depth: self.edge_depth,
                count_boundary: self.count_boundary,
                memory,
                max_classes: self.max_classes,
            },
            table: self.table.clone(),
        })))
    }
}

impl TransitionsArgs {
    fn task(&self) -> Result<TransitionsTask> {
        Ok(TransitionsTask {
            before: self.before.clone(),
            after: self.after.clone(),
            band: self.band.clone(),
            align: self.align,
            area: self.area,
            memory: memory(&self.memory)?,
            table: self.table.clone(),
            zones: self
                .zones
                .as_deref()
                .map(|z| zone_source(z, &self.polygons)),
        })
    }
}

impl ZonalArgs {
    fn task(&self) -> Result<ZonalTask> {
        let (zones, rule) = zone_source(&self.zones, &self.polygons);
        Ok(ZonalTask {
            zonal: terrawatt_raster::zonal::Settings {
                raster: self.input.clone(),
                band: self.band.clone(),
                missing: self.nodata,
                zones,
                rule,
                area: self.area,
                memory: memory(&self.memory)?,
            },
            out: self.out.clone(),
        })
    }
}

impl ForestLossArgs {
    fn task(&self) -> Result<ForestLossTask> {
        let (zones, rule) = zone_source(&self.zones, &self.polygons);
        Ok(ForestLossTask {
            treecover: self.treecover.clone(),
            lossyear: self.lossyear.clone(),
            emissions: self.emissions.clone(),
            zones,
            rule,
            min_cover: self.min_cover,
            min_patch_m2: sized("--min-patch", size::parse_area(&self.min_patch, true))?,
            years: self.years,
            area: self.area,
            memory: memory(&self.memory)?,
            out: self.out.clone(),
            plot: self.plot.clone(),
        })
    }
}

impl AccuracyArgs {
    fn task(&self) -> Result<AccuracyTask> {
        Ok(AccuracyTask {
            map: self.map.clone(),
            band: self.band.clone(),
            reference: self.reference.clone(),
            field: self.field.clone(),
            layer: self.layer.clone(),
            classes: classes(&self.classes),
            align: self.align,
            area: self.area,
            memory: memory(&self.memory)?,
            table: self.table.clone(),
            as_coded: self.as_coded,
        })
    }
}

impl SampleDesignArgs {
    fn task(&self) -> Result<SampleDesignTask> {
        Ok(SampleDesignTask {
            design: DesignSettings {
                map: self.map.clone(),
                band: self.band.clone(),
                n: self.n,
                allocation: self.allocation,
                seed: self.seed,
                classes: classes(&self.classes),
                area: self.area,
                memory: memory(&self.memory)?,
                out: self.out.clone(),
            },
        })
    }
}

impl SampleArgs {
    fn task(&self) -> SampleTask {
        SampleTask {
            out_dir: self.out_dir.clone(),
            seed: self.seed,
        }
    }
}

/// The progress bar of a task's phase that reports its rows.
struct Bars<'a> {
    ctx: &'a Ctx,
    bar: Mutex<Option<ProgressBar>>,
}

impl terrawatt_raster::task::Progress for Bars<'_> {
    fn start(&self, phase: &str) {
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.ctx.progress(0, phase));
    }

    fn rows(&self, done: u64, total: u64) {
        if let Some(bar) = &*self.bar.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

/// Creates a task's folders, checks its outputs against its inputs (before any work), and
/// runs it with progress bars.
fn start<T: RasterTask>(span: &mut Span, ctx: &Ctx, task: &T) -> Result<T::Results> {
    let files = task.files()?;
    for d in &files.folders {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let inputs: Vec<&Path> = files.inputs.iter().map(PathBuf::as_path).collect();
    for o in &files.outputs {
        check_output(o, &inputs)?;
    }
    let bars = Bars {
        ctx,
        bar: Mutex::new(None),
    };
    Ok(task.run(span, &bars)?)
}

/// A task's results as the command's outcome; its warnings said, and listed in the results
/// (`warnings`, where there are any) for a report's reader and the Python package.
fn outcome<R: TaskResults>(ctx: &Ctx, results: &R) -> Result<Outcome> {
    let warnings = results.warnings();
    if !ctx.global.in_process {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    let mut json = serde_json::to_value(results)?;
    if let (false, Some(o)) = (warnings.is_empty(), json.as_object_mut()) {
        o.insert("warnings".into(), serde_json::json!(warnings));
    }
    Ok(Outcome {
        results: json,
        text: results.text(),
        unit: results.unit(),
    })
}

fn run<T: RasterTask>(span: &mut Span, ctx: &Ctx, task: &T) -> Result<Outcome> {
    outcome(ctx, &start(span, ctx, task)?)
}

pub fn index(span: &mut Span, ctx: &Ctx, a: &IndexArgs) -> Result<Outcome> {
    run(span, ctx, &a.task()?)
}

pub fn change(span: &mut Span, ctx: &Ctx, a: &ChangeArgs) -> Result<Outcome> {
    let task = a.task()?;
    let results = start(span, ctx, &task)?;
    if let Some(q) = &task.quicklook {
        span.phase("quicklook", |_| quicklook(q, &results))?;
    }
    outcome(ctx, &results)
}

/// The PNG quicklook of a change run: before, after and the classes, with a legend.
fn quicklook(path: &Path, r: &ChangeResults) -> Result<()> {
    panels(path, &r.quicklook(360)?)
}

pub fn landscape(span: &mut Span, ctx: &Ctx, a: &LandscapeArgs) -> Result<Outcome> {
    match a.task()? {
        Task::Window(t) => run(span, ctx, &*t),
        Task::Landscape(t) => run(span, ctx, &*t),
        _ => unreachable!("landscape metrics or a moving window"),
    }
}

pub fn transitions(span: &mut Span, ctx: &Ctx, a: &TransitionsArgs) -> Result<Outcome> {
    run(span, ctx, &a.task()?)
}

pub fn zonal(span: &mut Span, ctx: &Ctx, a: &ZonalArgs) -> Result<Outcome> {
    run(span, ctx, &a.task()?)
}

pub fn forest_loss(span: &mut Span, ctx: &Ctx, a: &ForestLossArgs) -> Result<Outcome> {
    let task = a.task()?;
    let results = start(span, ctx, &task)?;
    if let Some(p) = &task.plot {
        let plot = results.plot();
        let axes = crate::plot::Axes {
            title: &plot.title,
            x: plot.x_label,
            y: plot.y_label,
        };
        span.phase("plot", |_| {
            crate::plot::lines(p, axes, &plot.x, &plot.series)
        })
        .with_context(|| format!("writing {}", p.display()))?;
    }
    outcome(ctx, &results)
}

pub fn accuracy(span: &mut Span, ctx: &Ctx, a: &AccuracyArgs) -> Result<Outcome> {
    run(span, ctx, &a.task()?)
}

pub fn sample_design(span: &mut Span, ctx: &Ctx, a: &SampleDesignArgs) -> Result<Outcome> {
    run(span, ctx, &a.task()?)
}

pub fn breaks(span: &mut Span, ctx: &Ctx, a: &BreaksArgs) -> Result<Outcome> {
    if a.method == "ccdc" {
        return match &a.stack.stack {
            Some(stack) => run(span, ctx, &a.ccdc_stack_task(stack)?),
            None => run(span, ctx, &a.ccdc_task()?),
        };
    }
    let Some(stack) = &a.stack.stack else {
        let task = a.task()?;
        let Some(plot) = &a.plot else {
            return run(span, ctx, &task);
        };
        let inputs = task.files()?.inputs;
        check_output(
            plot,
            &inputs.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        )?;
        let results = start(span, ctx, &task)?;
        span.phase("plot", |_| draw_series(plot, &task.explain()?))?;
        return outcome(ctx, &results);
    };
    let task = a.stack_task(stack)?;
    if a.explain.is_some() || a.explain_point.is_some() {
        return explain(span, a, &task);
    }
    if let Some(q) = &a.quicklook {
        let inputs = task.files()?.inputs;
        check_output(q, &inputs.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
    }
    let results = start(span, ctx, &task)?;
    if let Some(q) = &a.quicklook {
        span.phase("quicklook", |_| -> Result<()> {
            let ql = results.quicklook(360)?;
            panels(q, &ql)
        })?;
    }
    outcome(ctx, &results)
}

/// A pair of numbers `A,B`.
fn pair<T: std::str::FromStr>(flag: &str, text: &str, what: &str) -> Result<(T, T)> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    match parts.as_slice() {
        [a, b] => match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            _ => bail!("{flag} '{text}': expected {what}"),
        },
        _ => bail!("{flag} '{text}': expected {what}"),
    }
}

/// One pixel of a stack against its model: printed, and drawn with --plot.
fn explain(span: &mut Span, a: &BreaksArgs, task: &BreaksStackTask) -> Result<Outcome> {
    let inputs = task.input.tiling()?.1;
    if let Some(p) = &a.plot {
        check_output(p, &inputs.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
    }
    let px = match (&a.explain, &a.explain_point) {
        (Some(e), _) => pair::<usize>("--explain", e, "COL,ROW in pixels")?,
        (None, Some(p)) => {
            let (lon, lat) = pair::<f64>("--explain-point", p, "LON,LAT in degrees")?;
            task.pixel_of(lon, lat)?
        }
        (None, None) => unreachable!("explaining"),
    };
    let e = span.phase("breaks", |_| task.explain(px))?;
    let per_year = task.input.per_year;
    let show = |t: f64| terrawatt_raster::task::show_time(t, per_year);
    let mut text = format!(
        "{}: {} dates ({} with a value); stable history from {}; monitoring from {}\n",
        e.label,
        e.t.len(),
        e.y.iter().filter(|v| v.is_finite()).count(),
        show(e.history_start),
        show(e.monitor_start)
    );
    match e.break_time {
        Some(b) => text += &format!("break: {}, magnitude {:.6}\n", show(b), e.magnitude),
        None => text += &format!("break: none, magnitude {:.6}\n", e.magnitude),
    }
    if let Some(p) = &a.plot {
        span.phase("plot", |_| draw_series(p, &e))?;
        text += &format!("wrote {}\n", p.display());
    }
    Ok(Outcome {
        results: serde_json::json!({
            "pixel": [px.0, px.1],
            "history_start": e.history_start,
            "monitor_start": e.monitor_start,
            "break_time": e.break_time,
            "magnitude": e.magnitude,
            "dates": e.t.len(),
        }),
        text,
        unit: Some(terrawatt_meter::FunctionalUnit::new("series", 1.0)),
    })
}

/// A series against its model as a PNG.
fn draw_series(path: &Path, e: &Explained) -> Result<()> {
    let title = format!("BFAST Monitor: {}", e.label);
    Ok(crate::plot::series_fit(
        path,
        &crate::plot::SeriesFit {
            title: &title,
            t: &e.t,
            y: &e.y,
            fit: &e.fit,
            history_start: e.history_start,
            monitor_start: e.monitor_start,
            break_time: e.break_time,
        },
    )?)
}

/// A quicklook's panels and legend as a PNG.
fn panels(path: &Path, q: &Quicklook) -> Result<()> {
    use plotters::style::RGBColor;
    let rgb = |c: &[u8; 3]| RGBColor(c[0], c[1], c[2]);
    let panels: Vec<_> = q
        .panels
        .iter()
        .map(|(t, w, h, px)| (t.clone(), *w, *h, px.iter().map(rgb).collect()))
        .collect();
    let legend: Vec<_> = q.legend.iter().map(|(c, t)| (rgb(c), t.clone())).collect();
    Ok(crate::plot::raster_panels(path, &panels, &legend)?)
}

pub fn sample_stack(span: &mut Span, ctx: &Ctx, a: &SampleStackArgs) -> Result<Outcome> {
    let task = SampleStackTask {
        out_dir: a.out_dir.clone(),
        spec: StackSpec {
            size: a.size,
            start_year: a.start_year,
            years: a.years,
            per_year: a.per_year,
            monitor_year: a.monitor_year,
            noise: a.noise,
            cloud: a.cloud,
            break_share: a.break_share,
            seed: a.seed,
        },
    };
    run(span, ctx, &task)
}

pub fn trend(span: &mut Span, ctx: &Ctx, a: &TrendArgs) -> Result<Outcome> {
    match &a.stack.stack {
        Some(stack) => run(span, ctx, &a.stack_task(stack)?),
        None => run(span, ctx, &a.task()?),
    }
}

pub fn sample(span: &mut Span, ctx: &Ctx, a: &SampleArgs) -> Result<Outcome> {
    run(span, ctx, &a.task())
}
