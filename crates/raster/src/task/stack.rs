//! `raster breaks --stack`: BFAST Monitor of every pixel of a stack of dated rasters, read in
//! strips of rows within the memory budget (every date's rows of a strip together; a pixel's
//! series is never held for the whole image), each strip's pixels in parallel, written as a
//! COG of float32 bands: `break` (decimal year; missing where none), `magnitude`,
//! `history_start`, `n_history`, `break_day_of_year`, `n_monitor`, `rmse` (the history
//! model's σ) and `r_squared` (missing where the pixel had too short a history); also
//! `raster trend --stack` and CCDC (`--method ccdc`) on the same sweep.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use gdal::Dataset;
use rayon::prelude::*;
use serde::Serialize;
use terrawatt_meter::{FunctionalUnit, Span};

use super::change::{Quicklook, Rgb};
use super::series::{Explained, Monitoring, show_time};
use super::{Files, Progress, RasterTask, TaskResults};
use crate::baseline::{self, BaselineOffset, DarkInput};
use crate::grid::{Grid, PixelWindow};
use crate::index::Index;
use crate::mask::MaskKind;
use crate::series::bfast::{self, MonitorSettings, Skip};
use crate::series::{decimal_year, regular_times};
use crate::write::OutputSpec;
use crate::{RasterError, Result};

/// Where the dates and their rasters come from.
#[derive(Debug, Clone, PartialEq)]
pub enum StackSource {
    /// One multi-band raster, band i the date on row i of a CSV of ISO dates (a header line
    /// first), as R's bfast ships its MODIS example.
    Bands { raster: PathBuf, dates: PathBuf },
    /// A CSV with a `date` column and, per row, the date's files (paths relative to the
    /// CSV): `path` (and an optional `band`) for the value, or the index's bands by role
    /// (`red`, `nir`, …) with `index`; a mask in `scl`, `qa_pixel` or `mask` (optional).
    List(PathBuf),
    /// A folder of files with a date in each name (YYYYMMDD or YYYY-MM-DD); `roles` gives
    /// each role the text its files' names contain (`red=B04`, `nir=B08`, `scl=SCL`).
    /// Without roles, one file per date holds the value.
    Folder {
        dir: PathBuf,
        roles: Vec<(String, String)>,
    },
    /// STAC items already on disk (a JSON FeatureCollection, a list of items, or one item
    /// per line): each item's `properties.datetime` is its date, and `roles` names the asset
    /// of each role (`red=B04`, `scl=SCL`; hrefs relative to the file).
    Stac {
        items: PathBuf,
        roles: Vec<(String, String)>,
    },
}

/// A stack of dated rasters.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInput {
    pub source: StackSource,
    /// Values are raw × `scale` + `offset` (e.g. scale 0.0001 for MODIS NDVI stored ×
    /// 10,000), unless a STAC asset gives its own; with neither given (1 and 0), each
    /// file's own GDAL scale and offset, where it has them.
    pub scale: f64,
    pub offset: f64,
    /// With an index: what is done about Sentinel-2's +1,000 from processing baseline 04.00
    /// (25 January 2022) in a stack that spans it (see [`crate::baseline`]).
    pub s2_offset: BaselineOffset,
    /// A regular series of this many observations a year: each date is put on that grid
    /// (period = ⌊(day of year − 1) × N / days in the year⌋ + 1) and the trend is the
    /// position, as R's bfastts and bfastmonitor take them.
    pub per_year: Option<usize>,
    /// The value of a date is this index of its bands (by role) instead of one band.
    pub index: Option<Index>,
    /// CCDC's input instead of one value: each date's Landsat bands by role (`blue`,
    /// `green`, `red`, `nir`, `swir1`, `swir2`, `thermal`) and its `qa` (pixel_qa), raw.
    pub landsat: bool,
}

/// One band of one file.
#[derive(Debug, Clone, PartialEq)]
struct Input {
    path: PathBuf,
    band: usize,
    /// The value's own (scale, offset), where a STAC asset gives them (`raster:bands`):
    /// value = raw × scale + offset, in place of the stack's; once prepared, every value
    /// band's (the stack's, less Sentinel-2's offset where it is subtracted).
    own: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
struct Layer {
    date: NaiveDate,
    /// One input (the value), or the index's bands in its order.
    values: Vec<Input>,
    mask: Option<(Input, MaskKind)>,
}

const MASK_ROLES: [&str; 3] = ["scl", "qa_pixel", "mask"];

/// CCDC's roles: the seven bands in pyccd's order, then the QA.
const LANDSAT_ROLES: [&str; 8] = [
    "blue", "green", "red", "nir", "swir1", "swir2", "thermal", "qa",
];

/// A role's file in a list or an item: `FILE` (band 1) or `FILE#N` (band N).
fn file_band(dir: &Path, text: &str) -> Input {
    if let Some((f, b)) = text.rsplit_once('#')
        && let Ok(band) = b.parse::<usize>()
        && band > 0
    {
        return Input {
            path: dir.join(f),
            band,
            own: None,
        };
    }
    Input {
        path: dir.join(text),
        band: 1,
        own: None,
    }
}

fn mask_kind(role: &str) -> MaskKind {
    match role {
        "scl" => MaskKind::scl_default(),
        "qa_pixel" => MaskKind::qa_default(),
        _ => MaskKind::NonZero,
    }
}

fn bad(path: &Path, message: String) -> RasterError {
    RasterError::Input {
        path: path.display().to_string(),
        message,
    }
}

/// A CSV's header and rows (fields trimmed, quotes removed), with each row's line number.
/// A CSV's header (lower case) and its rows with their line numbers.
type Csv = (Vec<String>, Vec<(usize, Vec<String>)>);

fn read_csv(path: &Path) -> Result<Csv> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))?;
    let split = |l: &str| -> Vec<String> {
        terrawatt_meter::tables::split_csv_line(l)
            .into_iter()
            .map(|f| f.trim().trim_matches('"').to_string())
            .collect()
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines
        .next()
        .map(|(_, l)| split(l).into_iter().map(|h| h.to_lowercase()).collect())
        .ok_or_else(|| bad(path, "the file is empty".into()))?;
    let rows = lines.map(|(i, l)| (i + 1, split(l))).collect();
    Ok((header, rows))
}

fn parse_date(path: &Path, line: usize, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        bad(
            path,
            format!("line {line}: '{s}' is not a date (YYYY-MM-DD)"),
        )
    })
}

/// The year of a file name: that of its date ([`date_in_name`]), else its one word of four
/// digits from 1950 to 2100 (words split at anything but letters and digits), as annual
/// products name their year (`W080N20_LC100_v3.0.1_2015.tif`, `ESA_WorldCover_10m_2021_…`).
pub(crate) fn year_in_name(name: &str) -> Option<i32> {
    use chrono::Datelike;
    if let Some(d) = date_in_name(name) {
        return Some(d.year());
    }
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let mut years = stem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|w| w.parse::<i32>().ok())
        .filter(|y| (1950..=2100).contains(y));
    match (years.next(), years.next()) {
        (Some(y), None) => Some(y),
        _ => None,
    }
}

/// The date in a file name: its first 8 digits that are a date (YYYYMMDD), or YYYY-MM-DD.
/// Sentinel-2's names of before December 2016 (`S2A_OPER_PRD_MSIL1C_PDMC_<processed>_R…_V<acquired>_…`)
/// begin with the processing date: in those the date is the validity start after `_V`, and
/// a granule's name (`S2A_OPER_MSI_L1C_TL_…`), which has none, has no date.
pub(crate) fn date_in_name(name: &str) -> Option<NaiveDate> {
    if name.contains("_OPER_") {
        return name
            .match_indices("_V")
            .find_map(|(i, _)| name.get(i + 2..i + 10).and_then(first_date));
    }
    first_date(name)
}

fn first_date(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    let digits =
        |i: usize, n: usize| i + n <= b.len() && b[i..i + n].iter().all(u8::is_ascii_digit);
    for i in 0..b.len() {
        let before_ok = i == 0 || !b[i - 1].is_ascii_digit();
        if !before_ok {
            continue;
        }
        if digits(i, 8)
            && !digits(i + 8, 1)
            && let Ok(d) = NaiveDate::parse_from_str(&name[i..i + 8], "%Y%m%d")
        {
            return Some(d);
        }
        if digits(i, 4)
            && name.get(i + 4..i + 5) == Some("-")
            && let Some(text) = name.get(i..i + 10)
            && let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        {
            return Some(d);
        }
    }
    None
}

impl StackInput {
    /// The roles a date's value is made of.
    fn value_roles(&self) -> Vec<&'static str> {
        if self.landsat {
            return LANDSAT_ROLES.to_vec();
        }
        match self.index {
            Some(i) => i.bands().to_vec(),
            None => vec!["path"],
        }
    }

    fn label(&self) -> &Path {
        match &self.source {
            StackSource::Bands { dates, .. } => dates,
            StackSource::List(l) => l,
            StackSource::Folder { dir, .. } => dir,
            StackSource::Stac { items, .. } => items,
        }
    }

    fn layers(&self) -> Result<Vec<Layer>> {
        let mut layers = match &self.source {
            StackSource::Bands { raster, dates } => {
                if self.index.is_some() {
                    return Err(bad(
                        raster,
                        "--index needs each date's bands: give a list (.csv) or a folder".into(),
                    ));
                }
                let (_, rows) = read_csv(dates)?;
                let n = crate::read::band_count(raster)?;
                if rows.len() != n {
                    return Err(bad(
                        dates,
                        format!(
                            "{} dates for the {n} bands of {}: give one date per band",
                            rows.len(),
                            raster.display()
                        ),
                    ));
                }
                rows.iter()
                    .enumerate()
                    .map(|(i, (line, r))| {
                        Ok(Layer {
                            date: parse_date(dates, *line, &r[0])?,
                            values: vec![Input {
                                path: raster.clone(),
                                band: i + 1,
                                own: None,
                            }],
                            mask: None,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            StackSource::List(list) => self.list_layers(list)?,
            StackSource::Folder { dir, roles } => self.folder_layers(dir, roles)?,
            StackSource::Stac { items, roles } => self.stac_layers(items, roles)?,
        };
        let label = self.label();
        if layers.is_empty() {
            return Err(bad(label, "no dates".into()));
        }
        layers.sort_by_key(|l| l.date);
        if let Some(w) = layers.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(bad(
                label,
                format!("{} is given twice; give each date once", w[0].date),
            ));
        }
        Ok(layers)
    }

    fn list_layers(&self, list: &Path) -> Result<Vec<Layer>> {
        let dir = list.parent().unwrap_or(Path::new("."));
        let (header, rows) = read_csv(list)?;
        let col = |name: &str| header.iter().position(|h| h == name);
        let date_col = col("date").ok_or_else(|| {
            bad(
                list,
                format!("no 'date' column (columns: {})", header.join(", ")),
            )
        })?;
        let roles = self.value_roles();
        let value_cols: Vec<usize> = roles
            .iter()
            .map(|r| {
                col(r).ok_or_else(|| {
                    bad(
                        list,
                        format!(
                            "no '{r}' column for {} (columns: {})",
                            self.index.map_or("the value".to_string(), |i| format!(
                                "--index {}",
                                i.name()
                            )),
                            header.join(", ")
                        ),
                    )
                })
            })
            .collect::<Result<_>>()?;
        let band_col = col("band");
        let mask_col = MASK_ROLES.iter().find_map(|m| col(m).map(|c| (c, *m)));
        let mut out = Vec::with_capacity(rows.len());
        for (line, r) in &rows {
            let field = |c: usize, what: &str| -> Result<String> {
                r.get(c)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .ok_or_else(|| bad(list, format!("line {line}: no {what}")))
            };
            let band = match band_col.and_then(|c| r.get(c)).filter(|b| !b.is_empty()) {
                Some(b) => b.parse().ok().filter(|b| *b > 0).ok_or_else(|| {
                    bad(
                        list,
                        format!("line {line}: band '{b}' is not a band number"),
                    )
                })?,
                None => 1,
            };
            let values = value_cols
                .iter()
                .zip(&roles)
                .map(|(&c, role)| {
                    let text = field(c, role)?;
                    let mut input = file_band(dir, &text);
                    if !text.contains('#') {
                        input.band = band;
                    }
                    Ok(input)
                })
                .collect::<Result<Vec<_>>>()?;
            let mask = mask_col.and_then(|(c, role)| {
                r.get(c).filter(|v| !v.is_empty()).map(|p| {
                    let input = Input {
                        path: dir.join(p),
                        band: 1,
                        own: None,
                    };
                    (input, mask_kind(role))
                })
            });
            out.push(Layer {
                date: parse_date(list, *line, &field(date_col, "date")?)?,
                values,
                mask,
            });
        }
        Ok(out)
    }

    fn folder_layers(&self, dir: &Path, roles: &[(String, String)]) -> Result<Vec<Layer>> {
        let entries = std::fs::read_dir(dir).map_err(|e| bad(dir, e.to_string()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(
                        e.to_ascii_lowercase().as_str(),
                        "tif" | "tiff" | "vrt" | "jp2" | "img"
                    )
                })
            })
            .collect();
        files.sort();
        let need = self.value_roles();
        let mut by_date: BTreeMap<NaiveDate, BTreeMap<String, PathBuf>> = BTreeMap::new();
        for f in &files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let role = if roles.is_empty() {
                Some("path".to_string())
            } else {
                roles
                    .iter()
                    .find(|(_, token)| name.contains(token.as_str()))
                    .map(|(r, _)| r.clone())
            };
            let Some(role) = role else { continue };
            let date = date_in_name(name).ok_or_else(|| {
                bad(
                    f,
                    if name.contains("_OPER_") {
                        "a Sentinel-2 granule's name of before December 2016, whose date is the one it was processed, not acquired: copy it under a name with its acquisition date (YYYYMMDD)".into()
                    } else {
                        "no date (YYYYMMDD or YYYY-MM-DD) in the file name".into()
                    },
                )
            })?;
            if let Some(other) = by_date
                .entry(date)
                .or_default()
                .insert(role.clone(), f.clone())
            {
                return Err(bad(
                    dir,
                    format!(
                        "{date} has two files for {role}: {} and {}",
                        other.display(),
                        f.display()
                    ),
                ));
            }
        }
        let token = |role: &str| {
            roles
                .iter()
                .find(|(r, _)| r == role)
                .map_or(String::new(), |(_, t)| format!(" (a name with '{t}')"))
        };
        if let Some(r) = need
            .iter()
            .find(|r| roles.iter().all(|(x, _)| x != *r))
            .filter(|_| !roles.is_empty())
        {
            return Err(RasterError::Invalid(format!(
                "--band-files gives no files for '{r}', which {} needs",
                self.index
                    .map_or("the value".to_string(), |i| format!("--index {}", i.name()))
            )));
        }
        let mut out = Vec::new();
        for (date, files) in by_date {
            let values = need
                .iter()
                .map(|r| {
                    files
                        .get(*r)
                        .map(|p| Input {
                            path: p.clone(),
                            band: 1,
                            own: None,
                        })
                        .ok_or_else(|| bad(dir, format!("{date} has no file for {r}{}", token(r))))
                })
                .collect::<Result<Vec<_>>>()?;
            let mask = MASK_ROLES.iter().find_map(|m| {
                files.get(*m).map(|p| {
                    (
                        Input {
                            path: p.clone(),
                            band: 1,
                            own: None,
                        },
                        mask_kind(m),
                    )
                })
            });
            if mask.is_none() && roles.iter().any(|(r, _)| MASK_ROLES.contains(&r.as_str())) {
                return Err(bad(
                    dir,
                    format!("{date} has no mask file; every date needs one"),
                ));
            }
            out.push(Layer { date, values, mask });
        }
        Ok(out)
    }

    fn stac_layers(&self, path: &Path, roles: &[(String, String)]) -> Result<Vec<Layer>> {
        let text = std::fs::read_to_string(path).map_err(|e| bad(path, e.to_string()))?;
        let items: Vec<serde_json::Value> = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Array(a)) => a,
            Ok(v) if v["type"] == "FeatureCollection" => {
                v["features"].as_array().cloned().unwrap_or_default()
            }
            Ok(v) if v["type"] == "Feature" => vec![v],
            _ => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .map(|(i, l)| {
                    serde_json::from_str(l).map_err(|e| {
                        bad(path, format!("line {}: not a STAC item (JSON): {e}", i + 1))
                    })
                })
                .collect::<Result<_>>()?,
        };
        if roles.is_empty() {
            return Err(RasterError::Invalid(
                "a STAC stack needs --band-files ROLE=ASSET (e.g. red=B04,nir=B08,scl=SCL, or value=ndvi)".into(),
            ));
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let need: Vec<String> = self
            .value_roles()
            .iter()
            .map(|r| {
                if *r == "path" {
                    "value".to_string()
                } else {
                    r.to_string()
                }
            })
            .collect();
        let asset_of = |role: &str| {
            roles
                .iter()
                .find(|(r, _)| r == role)
                .map(|(_, a)| a.clone())
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let id = item["id"]
                .as_str()
                .map_or(format!("item {}", i + 1), |s| format!("item '{s}'"));
            let when = item["properties"]["datetime"].as_str().unwrap_or("");
            let date = NaiveDate::parse_from_str(when.get(..10).unwrap_or(when), "%Y-%m-%d")
                .map_err(|_| {
                    bad(
                        path,
                        format!("{id}: properties.datetime '{when}' is not a date"),
                    )
                })?;
            let href = |role: &str| -> Result<Option<Input>> {
                let Some(asset) = asset_of(role) else {
                    return Ok(None);
                };
                let h = item["assets"][&asset]["href"].as_str().ok_or_else(|| {
                    bad(
                        path,
                        format!("{id} ({date}) has no asset '{asset}' for {role}"),
                    )
                })?;
                let h = h.strip_prefix("file://").unwrap_or(h);
                // the asset's own scale and offset (the raster extension): Sentinel-2 L2A
                // from processing baseline 04.00 (January 2022) carries offset −0.1
                let rb = &item["assets"][&asset]["raster:bands"][0];
                let own = (rb["scale"].is_number() || rb["offset"].is_number()).then(|| {
                    (
                        rb["scale"].as_f64().unwrap_or(1.0),
                        rb["offset"].as_f64().unwrap_or(0.0),
                    )
                });
                if let Some((sc, off)) = own
                    && !(sc.is_finite() && sc != 0.0 && off.is_finite())
                {
                    return Err(bad(
                        path,
                        format!(
                            "{id} ({date}): asset '{asset}' gives raster:bands scale {sc} and offset {off}; a scale must be finite and not 0"
                        ),
                    ));
                }
                Ok(Some(Input {
                    path: dir.join(h),
                    band: 1,
                    own,
                }))
            };
            let mut values = Vec::with_capacity(need.len());
            for r in &need {
                values.push(href(r)?.ok_or_else(|| {
                    RasterError::Invalid(format!("--band-files gives no asset for '{r}'"))
                })?);
            }
            let mut mask = None;
            for m in MASK_ROLES {
                if let Some(input) = href(m)? {
                    mask = Some((input, mask_kind(m)));
                }
            }
            out.push(Layer { date, values, mask });
        }
        Ok(out)
    }

    /// The inputs: the list or dates file and every raster.
    fn inputs(&self) -> Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = match &self.source {
            StackSource::Bands { raster, dates } => vec![raster.clone(), dates.clone()],
            StackSource::List(l) => vec![l.clone()],
            StackSource::Folder { .. } => vec![],
            StackSource::Stac { items, .. } => vec![items.clone()],
        };
        for l in self.layers()? {
            for i in l.values.iter().chain(l.mask.iter().map(|(m, _)| m)) {
                if !v.contains(&i.path) {
                    v.push(i.path.clone());
                }
            }
        }
        Ok(v)
    }
}

/// How far apart two dates' typical magnitudes may be before they are taken for values on
/// different scales. A season moves a vegetation index or a reflectance a few times (NDVI
/// 0.05 over winter soil, 0.8 in summer); a scale tag kept by one file and lost by another
/// moves it 10,000 times (Sentinel-2's 0.0001) or more (Landsat's 0.0000275).
pub const MOST_DATE_RATIO: f64 = 1000.0;

/// Refuses a stack whose dates' values, each with its own scale and offset, sit on
/// different scales: files exported by two tools, one of which kept the scale tag (a
/// slope 94,000 times too large, every pixel "significant"); a stack in one file is not
/// checked. Judged on the first value
/// band's mean magnitude over [`baseline::sample_windows`], dates with under 10 values
/// aside.
fn check_date_scales(layers: &[Layer], grid: &Grid) -> Result<()> {
    // the bands of one file (a multi-band stack) come from one producer: the check is
    // between files (and reading every band of a pixel-interleaved stack apart is slow)
    let first = layers
        .first()
        .and_then(|l| l.values.first())
        .map(|i| &i.path);
    if layers
        .iter()
        .all(|l| l.values.first().map(|i| &i.path) == first)
    {
        return Ok(());
    }
    let mut typical: Vec<(f64, &Layer)> = vec![];
    for l in layers {
        let Some(i) = l.values.first() else {
            continue;
        };
        let cols =
            baseline::sample_windows(&[(i.path.as_path(), i.band)], (grid.width, grid.height))?;
        let (s, o) = i.own.unwrap_or((1.0, 0.0));
        let (mut sum, mut n) = (0.0, 0usize);
        for x in cols[0].iter().filter(|x| x.is_finite()) {
            sum += (x * s + o).abs();
            n += 1;
        }
        if n >= 10 && sum > 0.0 {
            typical.push((sum / n as f64, l));
        }
    }
    let (Some(lo), Some(hi)) = (
        typical.iter().min_by(|a, b| a.0.total_cmp(&b.0)),
        typical.iter().max_by(|a, b| a.0.total_cmp(&b.0)),
    ) else {
        return Ok(());
    };
    if hi.0 <= lo.0 * MOST_DATE_RATIO {
        return Ok(());
    }
    let name = |l: &Layer| {
        let i = &l.values[0];
        let (s, o) = i.own.unwrap_or((1.0, 0.0));
        format!(
            "{} ({}, read with scale {s} and offset {o})",
            l.date,
            i.path.display()
        )
    };
    Err(RasterError::Invalid(format!(
        "the stack's dates are on different scales: {} has a mean magnitude of {:.4}, {:.0} times that of {} ({:.4}). A season moves a value a few times, not a thousand: one file has lost (or gained) a scale tag. Put every date on one scale (gdal_edit.py -scale S on the files without the tag, or --scale and --offset when no file has one)",
        name(hi.1),
        hi.0,
        hi.0 / lo.0,
        name(lo.1),
        lo.0
    )))
}

/// Refuses an index over a stack whose bands look swapped ([`crate::index::check_roles`])
/// or sit on different scales ([`crate::index::check_band_scales`]), judged on every date's pixels in the sampled windows of [`baseline::sample_windows`],
/// each band with its scale and offset.
fn check_stack_roles(index: Index, layers: &[Layer], grid: &Grid) -> Result<()> {
    let mut screen = crate::index::Screen::default();
    for l in layers {
        let inputs: Vec<(&Path, usize)> = l
            .values
            .iter()
            .map(|i| (i.path.as_path(), i.band))
            .collect();
        let cols = baseline::sample_windows(&inputs, (grid.width, grid.height))?;
        let bands: Vec<Vec<f32>> = cols
            .iter()
            .zip(&l.values)
            .map(|(c, i)| {
                let (s, o) = i.own.unwrap_or((1.0, 0.0));
                c.iter().map(|x| (x * s + o) as f32).collect()
            })
            .collect();
        let refs: Vec<&[f32]> = bands.iter().map(Vec::as_slice).collect();
        screen.add(&crate::index::Screen::of_index(index, &refs));
    }
    let what = format!("the stack's {} dates (sampled)", layers.len());
    crate::index::check_band_scales(index, &screen, &what)?;
    crate::index::check_roles(
        index,
        &screen,
        &what,
        "give each date's index as its one band (a CSV's `path` column, or a folder)",
    )
}

/// Open datasets, by path (a multi-band stack is opened once).
#[derive(Default)]
struct Open(Vec<(PathBuf, Dataset)>);

impl Open {
    fn get(&mut self, p: &Path) -> Result<&Dataset> {
        if let Some(i) = self.0.iter().position(|(q, _)| q == p) {
            return Ok(&self.0[i].1);
        }
        let ds = Dataset::open(p).map_err(|e| bad(p, e.to_string()))?;
        if self.0.len() > 8 {
            self.0.remove(0);
        }
        self.0.push((p.to_path_buf(), ds));
        Ok(&self.0.last().expect("pushed").1)
    }
}

/// Raw values of rows of one band (nodata and non-finite as NaN).
fn read_band(
    open: &mut Open,
    i: &Input,
    (c0, r0): (usize, usize),
    n: usize,
    w: usize,
) -> Result<Vec<f64>> {
    let ds = open.get(&i.path)?;
    let b = ds
        .rasterband(i.band)
        .map_err(|e| bad(&i.path, format!("band {}: {e}", i.band)))?;
    let nodata = b.no_data_value();
    let mut raw = vec![0f64; w * n];
    b.read_into_slice::<f64>((c0 as isize, r0 as isize), (w, n), (w, n), &mut raw, None)
        .map_err(|e| bad(&i.path, e.to_string()))?;
    if nodata.is_none()
        && let Some(v) = raw.iter().find(|v| crate::read::FILLS.contains(v))
    {
        // a fill read as a value would be a date's value (a break, a trend) at that pixel
        return Err(bad(
            &i.path,
            format!(
                "band {}: {v} is a fill of cells without data, and the band declares no nodata \
                 value, so it would be read as the date's value. Declare it (gdal_edit.py \
                 -a_nodata {v} FILE)",
                i.band
            ),
        ));
    }
    for v in raw.iter_mut() {
        if Some(*v) == nodata || !v.is_finite() {
            *v = f64::NAN;
        }
    }
    Ok(raw)
}

/// One date's values over rows of the grid: the band × scale + offset, or the index of its bands;
/// NaN where missing or masked. Returns the values and the count of masked pixels.
fn read_layer(
    open: &mut Open,
    l: &Layer,
    index: Option<Index>,
    at: (usize, usize),
    n: usize,
    w: usize,
) -> Result<(Vec<f64>, u64)> {
    let mut bands = Vec::with_capacity(l.values.len());
    for i in &l.values {
        let mut v = read_band(open, i, at, n, w)?;
        // set for every value band when the stack is prepared
        let (s, o) = i.own.unwrap_or((1.0, 0.0));
        v.iter_mut().for_each(|x| *x = *x * s + o);
        bands.push(v);
    }
    let mut out = match index {
        None => bands.pop().expect("one value band"),
        Some(ix) => {
            if ix.needs_reflectance() {
                // digital numbers without their scale (checked strip by strip: every
                // strip of such a file is above any reflectance)
                let screen = crate::index::Screen::of_values(bands.iter().flatten().copied());
                let read = (bands.len() * w * n) as u64;
                crate::index::check_reflectance(ix, &screen, read)
                    .map_err(|e| bad(&l.values[0].path, e.to_string()))?;
            }
            let mut px = vec![0f32; bands.len()];
            (0..w * n)
                .map(|p| {
                    for (k, b) in bands.iter().enumerate() {
                        px[k] = b[p] as f32;
                    }
                    let v = ix.eval(&px);
                    if v.is_finite() {
                        f64::from(v)
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        }
    };
    let mut masked = 0;
    if let Some((m, kind)) = &l.mask {
        let codes = read_band(open, m, at, n, w)?;
        for (v, c) in out.iter_mut().zip(codes) {
            let code = (!c.is_nan()).then_some(c as i64);
            if kind.masks(code) && !v.is_nan() {
                *v = f64::NAN;
                masked += 1;
            }
        }
    }
    Ok((out, masked))
}

/// The times and trend regressors of the layers.
fn times(layers: &[Layer], per_year: Option<usize>) -> Result<(Vec<f64>, Vec<f64>)> {
    let Some(f) = per_year else {
        let t: Vec<f64> = layers.iter().map(|l| decimal_year(l.date)).collect();
        return Ok((t.clone(), t));
    };
    let slot = |d: NaiveDate| {
        let days = if NaiveDate::from_ymd_opt(d.year(), 2, 29).is_some() {
            366
        } else {
            365
        };
        (d.year() as i64, (d.ordinal0() as usize * f / days) as i64)
    };
    let (y0, p0) = slot(layers[0].date);
    let pos: Vec<i64> = layers
        .iter()
        .map(|l| {
            let (y, p) = slot(l.date);
            (y - y0) * f as i64 + (p - p0) + 1
        })
        .collect();
    if let Some(w) = layers
        .windows(2)
        .zip(pos.windows(2))
        .find(|(_, p)| p[0] == p[1])
    {
        return Err(RasterError::Invalid(format!(
            "{} and {} fall in the same period of {f} a year; give one observation per period or leave out --per-year",
            w.0[0].date, w.0[1].date
        )));
    }
    let n = *pos.last().expect("layers") as usize;
    let grid = regular_times(y0 as i32, p0 as usize + 1, n, f);
    Ok((
        pos.iter().map(|&p| grid[p as usize - 1]).collect(),
        pos.iter().map(|&p| p as f64).collect(),
    ))
}

/// BFAST Monitor of every pixel of a stack.
#[derive(Debug, Clone, PartialEq)]
pub struct BreaksStackTask {
    pub input: StackInput,
    pub monitoring: Monitoring,
    pub out: OutputSpec,
    /// Only this window of the stack's grid (a tile of a planned run).
    pub window: Option<PixelWindow>,
    /// The break years as classes (Byte: 0 no break, v = a break in 2000 + v, 255
    /// missing), as Hansen's loss years, for `raster zonal`, `transitions` or `accuracy`.
    pub classes: Option<OutputSpec>,
    pub memory: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreaksStackResults {
    pub out: PathBuf,
    pub dates: usize,
    pub first_date: String,
    pub last_date: String,
    pub width: usize,
    pub height: usize,
    pub pixels: u64,
    pub with_break: u64,
    pub without_break: u64,
    /// Pixels left missing, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Breaks per calendar year.
    pub breaks_per_year: BTreeMap<i32, u64>,
    /// Observations (pixel-dates) masked as cloud, shadow or by the mask raster.
    pub masked_observations: u64,
    pub monitor_start: f64,
    pub critical_value: f64,
    #[serde(skip)]
    per_year: Option<usize>,
    /// What the user should know of the stack (a dates file newest first).
    #[serde(skip)]
    notes: Vec<String>,
}

impl BreaksStackTask {
    fn settings(&self) -> Result<MonitorSettings> {
        if self.monitoring.monitor.contains('/') {
            return Err(RasterError::Invalid(format!(
                "--monitor '{}': a stack is monitored to its last date; give START only",
                self.monitoring.monitor
            )));
        }
        Ok(self.monitoring.settings(self.input.per_year)?.0)
    }
}

impl StackInput {
    /// A multi-band raster whose band i is the date on row i of `dates`, values raw ×
    /// `scale`, true-date time, no index.
    pub fn bands(raster: impl Into<PathBuf>, dates: impl Into<PathBuf>, scale: f64) -> StackInput {
        StackInput {
            source: StackSource::Bands {
                raster: raster.into(),
                dates: dates.into(),
            },
            scale,
            offset: 0.0,
            s2_offset: BaselineOffset::Check,
            per_year: None,
            index: None,
            landsat: false,
        }
    }
}

impl BreaksStackTask {
    /// BFAST Monitor of `input` from `monitor` with bfastmonitor's defaults (ROC history,
    /// three harmonics and a trend, h 0.25, horizon 10, level 0.05) into a COG `out`,
    /// whole, without classes, within 256 MB.
    pub fn new(input: StackInput, monitor: &str, out: impl Into<PathBuf>) -> BreaksStackTask {
        BreaksStackTask {
            input,
            monitoring: Monitoring::new(monitor),
            out: OutputSpec {
                path: out.into(),
                format: crate::write::Format::Cog,
                compression: crate::write::Compression::Deflate,
                level: None,
            },
            window: None,
            classes: None,
            memory: 256_000_000,
        }
    }

    /// One pixel's series against its model, by column and row of the stack's grid.
    pub fn explain(&self, (col, row): (usize, usize)) -> Result<Explained> {
        let settings = self.settings()?;
        let critical = settings.critical_value()?;
        let stack = self.input.prepare()?;
        if col >= stack.grid.width || row >= stack.grid.height {
            return Err(RasterError::Invalid(format!(
                "--explain {col},{row}: the stack has {} × {} pixels",
                stack.grid.width, stack.grid.height
            )));
        }
        let mut open = Open::default();
        let mut y = Vec::with_capacity(stack.layers.len());
        for l in &stack.layers {
            let (v, _) = read_layer(&mut open, l, self.input.index, (col, row), 1, 1)?;
            y.push(v[0]);
        }
        let label = format!("pixel {col},{row}");
        let m = bfast::monitor(&stack.t, &y, &stack.trend, &settings, critical)
            .map_err(|skip| RasterError::Invalid(format!("{label}: {}", skip.reason())))?;
        Ok(Explained::new(
            label,
            (&stack.t, &y, &stack.trend),
            &settings,
            &m,
        ))
    }

    /// The pixel that holds a point given in longitude and latitude (WGS 84).
    pub fn pixel_of(&self, lon: f64, lat: f64) -> Result<(usize, usize)> {
        use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
        let grid = self.input.prepare()?.grid;
        let invalid = |m: String| RasterError::Invalid(format!("--explain-point {lon},{lat}: {m}"));
        let (mut x, mut y) = ([lon], [lat]);
        if !grid.wkt.is_empty() {
            let mut src = SpatialRef::from_epsg(4326).map_err(|e| invalid(e.to_string()))?;
            let mut dst = SpatialRef::from_wkt(&grid.wkt).map_err(|e| invalid(e.to_string()))?;
            src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
            dst.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
            let ct = CoordTransform::new(&src, &dst).map_err(|e| invalid(e.to_string()))?;
            ct.transform_coords(&mut x, &mut y, &mut [])
                .map_err(|e| invalid(e.to_string()))?;
        }
        let g = &grid.transform;
        let c = (x[0] - g[0]) / g[1];
        let r = (y[0] - g[3]) / g[5];
        if !(c >= 0.0 && r >= 0.0 && c < grid.width as f64 && r < grid.height as f64) {
            return Err(invalid(format!(
                "the point is outside the stack ({} × {} pixels)",
                grid.width, grid.height
            )));
        }
        Ok((c as usize, r as usize))
    }
}

impl RasterTask for BreaksStackTask {
    type Results = BreaksStackResults;

    fn files(&self) -> Result<Files> {
        self.settings()?;
        Ok(Files {
            inputs: self.input.inputs()?,
            outputs: std::iter::once(&self.out)
                .chain(&self.classes)
                .map(|o| o.path.clone())
                .collect(),
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<BreaksStackResults> {
        let settings = self.settings()?;
        let critical = settings.critical_value()?;
        let stack = self.input.prepare()?;
        let short = self
            .monitoring
            .check_history(&settings, stack.t.first().copied().unwrap_or(f64::NAN))?;
        let mut skipped: BTreeMap<Skip, u64> = BTreeMap::new();
        let (mut with_break, mut without) = (0u64, 0u64);
        let mut per_year: BTreeMap<i32, u64> = BTreeMap::new();
        let (t, trend) = (&stack.t, &stack.trend);
        let masked = span.phase("breaks", |_| {
            sweep(
                &self.input,
                &stack,
                self.window,
                &self.out,
                self.memory,
                &[
                    "break",
                    "magnitude",
                    "history_start",
                    "n_history",
                    "break_day_of_year",
                    "n_monitor",
                    "rmse",
                    "r_squared",
                ],
                progress,
                |v| bfast::monitor(t, &v[0], trend, &settings, critical),
                |r, px| match r {
                    Ok(m) => {
                        if let Some(b) = m.break_time {
                            px[0] = b as f32;
                            px[4] = day_of_year(b) as f32;
                            with_break += 1;
                            *per_year.entry(b.floor() as i32).or_default() += 1;
                        } else {
                            without += 1;
                        }
                        px[1] = m.magnitude as f32;
                        px[2] = m.history_start as f32;
                        px[3] = m.n_history as f32;
                        px[5] = m.n_monitor as f32;
                        px[6] = m.sigma as f32;
                        px[7] = m.r_squared as f32;
                    }
                    Err(s) => *skipped.entry(s).or_default() += 1,
                },
            )
        })?;
        if let Some(classes) = &self.classes {
            span.phase("classes", |_| {
                break_classes(&self.out.path, classes, self.memory)
            })?;
        }
        let layers = &stack.layers;
        let (grid, _) = stack.window(self.window)?;
        Ok(BreaksStackResults {
            out: self.out.path.clone(),
            dates: layers.len(),
            first_date: layers[0].date.to_string(),
            last_date: layers[layers.len() - 1].date.to_string(),
            width: grid.width,
            height: grid.height,
            pixels: grid.pixels(),
            with_break,
            without_break: without,
            skipped: skipped
                .into_iter()
                .map(|(k, v)| (k.reason().to_string(), v))
                .collect(),
            breaks_per_year: per_year,
            masked_observations: masked,
            monitor_start: settings.start,
            critical_value: critical,
            per_year: self.input.per_year,
            notes: self.input.order_note()?.into_iter().chain(short).collect(),
        })
    }
}

/// The break map's years as classes: 0 no break, v = a break in 2000 + v (1–254), 255
/// missing (no result, or a year outside 2001–2254), strip by strip.
fn break_classes(breaks: &Path, out: &OutputSpec, memory: u64) -> Result<()> {
    let grid = Grid::of_file(breaks)?;
    let (w, h) = (grid.width, grid.height);
    let rows = crate::blocks::strip_rows(
        h,
        w,
        9,
        1,
        crate::blocks::strip_budget(memory),
        rayon::current_num_threads(),
    )?;
    let (rows, tile) = crate::blocks::tiles_for(rows, w, 1, memory / 4);
    let mut writer = crate::write::Writer::create::<u8>(
        out,
        &grid,
        &["break year (2000 + v)"],
        Some(255.0),
        tile,
    )?;
    crate::blocks::run(
        h,
        rows,
        |r0, n| {
            let ds = Dataset::open(breaks).map_err(|e| bad(breaks, e.to_string()))?;
            let read = |b: usize| -> Result<Vec<f32>> {
                let band = ds.rasterband(b).map_err(|e| bad(breaks, e.to_string()))?;
                let mut v = vec![0f32; w * n];
                band.read_into_slice::<f32>((0, r0 as isize), (w, n), (w, n), &mut v, None)
                    .map_err(|e| bad(breaks, e.to_string()))?;
                Ok(v)
            };
            let (when, n_hist) = (read(1)?, read(4)?);
            Ok(when
                .iter()
                .zip(&n_hist)
                .map(|(t, k)| {
                    if k.is_nan() {
                        255
                    } else if t.is_nan() {
                        0
                    } else {
                        let v = t.floor() as i64 - 2000;
                        if (1..=254).contains(&v) { v as u8 } else { 255 }
                    }
                })
                .collect::<Vec<u8>>())
        },
        |r0, n, data| writer.write_rows(1, r0, n, data),
    )?;
    writer.finish()
}

impl BreaksStackResults {
    /// A PNG quicklook of the break map (at most `max_side` pixels on a side): a colour per
    /// break year, grey for no break, white for missing; a legend of the years.
    pub fn quicklook(&self, max_side: usize) -> Result<Quicklook> {
        let ds = Dataset::open(&self.out).map_err(|e| bad(&self.out, e.to_string()))?;
        let (w, h) = (self.width, self.height);
        let scale = (max_side as f64 / w.max(h) as f64).min(1.0);
        let (pw, ph) = (
            ((w as f64 * scale).round() as usize).max(1),
            ((h as f64 * scale).round() as usize).max(1),
        );
        let read = |b: usize| -> Result<Vec<f32>> {
            let band = ds
                .rasterband(b)
                .map_err(|e| bad(&self.out, e.to_string()))?;
            let mut v = vec![0f32; pw * ph];
            band.read_into_slice::<f32>(
                (0, 0),
                (w, h),
                (pw, ph),
                &mut v,
                Some(gdal::raster::ResampleAlg::NearestNeighbour),
            )
            .map_err(|e| bad(&self.out, e.to_string()))?;
            Ok(v)
        };
        let (when, n_hist) = (read(1)?, read(4)?);
        const YEARS: [[u8; 3]; 8] = [
            [215, 48, 39],
            [244, 109, 67],
            [253, 174, 97],
            [254, 224, 144],
            [171, 217, 233],
            [116, 173, 209],
            [69, 117, 180],
            [49, 54, 149],
        ];
        let years: Vec<i32> = self.breaks_per_year.keys().copied().collect();
        let colour = |y: i32| {
            let i = years.iter().position(|v| *v == y).unwrap_or(0);
            YEARS[i % YEARS.len()]
        };
        let px = when
            .iter()
            .zip(&n_hist)
            .map(|(t, k)| {
                if k.is_nan() {
                    [255, 255, 255]
                } else if t.is_nan() {
                    [200, 200, 200]
                } else {
                    colour(t.floor() as i32)
                }
            })
            .collect();
        let mut legend: Vec<(Rgb, String)> = years
            .iter()
            .map(|y| {
                (
                    colour(*y),
                    format!("break in {y} ({})", self.breaks_per_year[y]),
                )
            })
            .collect();
        legend.push((
            [200, 200, 200],
            format!("no break ({})", self.without_break),
        ));
        legend.push(([255, 255, 255], "missing".into()));
        Ok(Quicklook {
            panels: vec![("BFAST Monitor: break year".into(), pw, ph, px)],
            legend,
        })
    }
}

/// A stack's dates, their times and trend regressors, and its grid (every file checked to
/// be on it).
struct Prepared {
    layers: Vec<Layer>,
    t: Vec<f64>,
    trend: Vec<f64>,
    grid: Grid,
}

impl Prepared {
    /// The output grid (the stack's, or a window of it) and the window's first column and
    /// row.
    fn window(&self, window: Option<PixelWindow>) -> Result<(Grid, (usize, usize))> {
        match window {
            None => Ok((self.grid.clone(), (0, 0))),
            Some(w) => Ok((
                self.grid
                    .window((w.col, w.row), (w.width, w.height))
                    .map_err(|e| RasterError::Invalid(format!("--window {w}: {e}")))?,
                (w.col, w.row),
            )),
        }
    }
}

impl StackInput {
    /// The stack's whole grid and every file it reads (a planned run's tiles).
    pub fn tiling(&self) -> Result<(Grid, Vec<PathBuf>)> {
        Ok((self.prepare()?.grid, self.inputs()?))
    }

    /// The note of a multi-band stack whose dates file runs newest first: its rows are
    /// paired with the bands in order (band 1 the first row), so bands stacked oldest first
    /// would be dated backwards (the sample stack with its dates reversed: 27 % of the true
    /// breaks found within a quarter year, for 87 %). A note, not a refusal: bands stacked
    /// from the same newest-first list are right.
    fn order_note(&self) -> Result<Option<String>> {
        let StackSource::Bands { raster, dates } = &self.source else {
            return Ok(None);
        };
        let (_, rows) = read_csv(dates)?;
        let parsed = rows
            .iter()
            .map(|(line, r)| parse_date(dates, *line, &r[0]))
            .collect::<Result<Vec<_>>>()?;
        let newest_first = parsed.len() >= 2 && parsed.windows(2).all(|w| w[0] > w[1]);
        Ok(newest_first.then(|| {
            format!(
                "{} lists its dates newest first, and its rows are paired with the bands of {} in order (band 1 is {}): if the bands run oldest first, reverse the dates file",
                dates.display(),
                raster.display(),
                parsed[0]
            )
        }))
    }

    fn prepare(&self) -> Result<Prepared> {
        let mut layers = self.layers()?;
        if let Some(i) = layers
            .iter()
            .flat_map(|l| &l.values)
            .find(|i| i.own.is_some())
        {
            let beside = if self.scale != 1.0 {
                Some(format!(
                    "--scale {} would scale it again: leave --scale out",
                    self.scale
                ))
            } else if self.offset != 0.0 {
                Some(format!(
                    "--offset {} would shift it again: leave --offset out",
                    self.offset
                ))
            } else if self.s2_offset == BaselineOffset::Subtract {
                Some(
                    "--s2-offset subtract would take Sentinel-2's offset off twice: leave it out"
                        .into(),
                )
            } else {
                None
            };
            if let Some(beside) = beside {
                return Err(bad(
                    &i.path,
                    format!(
                        "its STAC asset gives its own scale and offset (raster:bands), which are used; {beside}"
                    ),
                ));
            }
        }
        let (t, trend) = times(&layers, self.per_year)?;
        let first = &layers[0].values[0].path;
        let grid = Grid::of_file(first)?;
        let mut checked = vec![first.clone()];
        for l in &layers {
            for i in l.values.iter().chain(l.mask.iter().map(|(m, _)| m)) {
                if checked.contains(&i.path) {
                    continue;
                }
                let d = grid.differences(&Grid::of_file(&i.path)?);
                if !d.is_empty() {
                    return Err(bad(
                        &i.path,
                        format!(
                            "is on another grid than {} ({}); warp the dates onto one grid first",
                            first.display(),
                            d.join("; ")
                        ),
                    ));
                }
                checked.push(i.path.clone());
            }
        }
        if !self.landsat {
            self.resolve_values(&mut layers, &grid)?;
        }
        Ok(Prepared {
            layers,
            t,
            trend,
            grid,
        })
    }
}

impl StackInput {
    /// Gives every value band its scale and offset: its STAC asset's, the stack's or its
    /// file's own (GDAL's, with neither --scale nor --offset given), less
    /// Sentinel-2's +1,000 where `--s2-offset subtract` takes it off. An index over a stack
    /// that spans the change of processing baseline is first checked for that offset
    /// ([`crate::baseline`]).
    fn resolve_values(&self, layers: &mut [Layer], grid: &Grid) -> Result<()> {
        let first = baseline::first_day();
        let stac = layers
            .iter()
            .flat_map(|l| &l.values)
            .any(|i| i.own.is_some());
        let given = self.scale != 1.0 || self.offset != 0.0;
        let mut open = Open::default();
        for l in layers.iter_mut() {
            let subtract = self.s2_offset == BaselineOffset::Subtract && l.date >= first;
            for i in l.values.iter_mut() {
                if i.own.is_some() {
                    continue;
                }
                // the file's own scale and offset (GDAL's), unless --scale or --offset is given
                let (s, o) = if given {
                    (self.scale, self.offset)
                } else {
                    let b = open
                        .get(&i.path)?
                        .rasterband(i.band)
                        .map_err(|e| bad(&i.path, format!("band {}: {e}", i.band)))?;
                    (b.scale().unwrap_or(1.0), b.offset().unwrap_or(0.0))
                };
                let shift = if subtract {
                    baseline::OFFSET_DN * s
                } else {
                    0.0
                };
                i.own = Some((s, o - shift));
            }
        }
        // a date's index is a ratio of its own bands: dates on different scales are checked
        // where the value is the band itself
        let Some(index) = self.index else {
            return check_date_scales(layers, grid);
        };
        check_stack_roles(index, layers, grid)?;
        // each date's darkest values by band: raw, and as read
        let mut raw = Vec::with_capacity(layers.len());
        let mut read = Vec::with_capacity(layers.len());
        for l in layers.iter() {
            let mask = l.mask.as_ref().map(|(m, k)| (m.path.as_path(), m.band, k));
            let mut v = Vec::with_capacity(l.values.len());
            let mut r = Vec::with_capacity(l.values.len());
            for i in &l.values {
                let input = DarkInput {
                    path: &i.path,
                    band: i.band,
                    mask,
                };
                let level = baseline::dark_level(&input, (grid.width, grid.height))?;
                let (s, o) = i.own.unwrap_or((1.0, 0.0));
                v.push(level);
                r.push(level.map(|x| x * s + o));
            }
            raw.push((l.date, v));
            read.push(r);
        }
        // digital numbers that carry an offset (Landsat Collection 2 Level-2's)
        let mut floors: Vec<f64> = read.iter().filter_map(|r| baseline::floor(r)).collect();
        if !floors.is_empty() {
            floors.sort_by(f64::total_cmp);
            let m = floors[floors.len() / 2];
            if m >= f64::from(crate::index::OFFSET_FLOOR) {
                return Err(bad(
                    self.label(),
                    crate::index::offset_error(
                        index,
                        format!(
                            "the dates' darkest values (the median of their 1st percentiles of the darker of {}) are {m:.0}, not",
                            self.value_roles().join(" and ")
                        ),
                    )
                    .to_string(),
                ));
            }
        }
        let before = layers.iter().filter(|l| l.date < first).count();
        let after = layers.len() - before;
        if self.s2_offset == BaselineOffset::Check
            && !stac
            && before > 0
            && after > 0
            && let Some((earlier, later)) = baseline::floors(&raw)
            && baseline::is_offset(earlier, later)
        {
            return Err(bad(
                self.label(),
                format!(
                    "the darkest values (1st percentile of the darker of {}) rise from {earlier:.0} over the {before} dates before 25 January 2022 to {later:.0} over the {after} from it on: Sentinel-2's processing baseline 04.00 adds 1,000 to the digital numbers from that day, and an index over both drops there as if the land had changed. Give --s2-offset subtract to take it off the later dates (as Earth Engine's harmonized collections do), or --s2-offset keep to read the values as they are",
                    self.value_roles().join(" and "),
                ),
            ));
        }
        // dated wholly from that day on, Sentinel-2 by name, read without an offset
        let unshifted = layers
            .iter()
            .flat_map(|l| &l.values)
            .all(|i| i.own.is_none_or(|(_, o)| o == 0.0));
        let named = layers
            .iter()
            .flat_map(|l| &l.values)
            .any(|i| baseline::sentinel2_named(&i.path));
        let darkest = raw
            .iter()
            .filter_map(|(_, l)| baseline::floor(l))
            .reduce(f64::min);
        if self.s2_offset == BaselineOffset::Check
            && !stac
            && before == 0
            && unshifted
            && named
            && let Some(darkest) = darkest
            && darkest >= baseline::STACK_FLOOR
        {
            return Err(bad(
                self.label(),
                format!(
                    "its {after} dates are Sentinel-2 (by their names) from 25 January 2022 on, when processing baseline 04.00 stores 10,000·ρ + 1,000, read without an offset, and even the darkest date's darkest values (1st percentile of the darker of {}) are {darkest:.0}: the +1,000 is still in them, and {} would be biased on every date. Give --s2-offset subtract (or --offset -0.1 with --scale 0.0001), or --s2-offset keep if it is already taken off (Earth Engine's harmonized collections)",
                    self.value_roles().join(" and "),
                    index.name().to_uppercase()
                ),
            ));
        }
        Ok(())
    }
}

/// Runs `compute` on every pixel's series (strips of rows of every date read together
/// within `memory`, each strip's pixels in parallel) and writes what `put` makes of each
/// result into the float32 bands of `out` (missing unless set). Returns the masked
/// pixel-dates.
#[allow(clippy::too_many_arguments)]
fn sweep<R: Send>(
    input: &StackInput,
    stack: &Prepared,
    window: Option<PixelWindow>,
    out: &OutputSpec,
    memory: u64,
    bands: &[&str],
    progress: &dyn Progress,
    compute: impl Fn(&[Vec<f64>]) -> R + Sync,
    mut put: impl FnMut(R, &mut [f32]),
) -> Result<u64> {
    crate::blocks::limit_gdal_cache(memory);
    let layers = &stack.layers;
    let (grid, (col0, row0)) = stack.window(window)?;
    let (w, h) = (grid.width, grid.height);
    let nb = bands.len();
    let rows = crate::blocks::strip_rows(
        h,
        w,
        layers.len() * 12 + 4 * nb,
        1,
        crate::blocks::strip_budget(memory),
        rayon::current_num_threads(),
    )?;
    let (rows, tile) = crate::blocks::tiles_for(rows, w, 4 * nb, memory / 4);
    let mut writer = crate::write::Writer::create::<f32>(out, &grid, bands, Some(f64::NAN), tile)?;
    let mut masked_total = 0u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    progress.start("series");
    crate::blocks::run(
        h,
        rows,
        |r0, n| {
            // every date's rows of the strip: one value per date (NaN missing or masked), or
            // CCDC's raw bands
            let mut values: Vec<Vec<Vec<f64>>> = Vec::with_capacity(layers.len());
            let mut open = Open::default();
            let mut masked = 0;
            for l in layers {
                if input.landsat {
                    let mut bands = Vec::with_capacity(l.values.len());
                    for i in &l.values {
                        bands.push(read_band(&mut open, i, (col0, row0 + r0), n, w)?);
                    }
                    values.push(bands);
                } else {
                    let (v, m) = read_layer(&mut open, l, input.index, (col0, row0 + r0), n, w)?;
                    values.push(vec![v]);
                    masked += m;
                }
            }
            let nb = values.first().map_or(1, Vec::len);
            let results: Vec<R> = (0..w * n)
                .into_par_iter()
                .map(|p| {
                    let series: Vec<Vec<f64>> = (0..nb)
                        .map(|b| values.iter().map(|l| l[b][p]).collect())
                        .collect();
                    compute(&series)
                })
                .collect();
            let d = done.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed) + n as u64;
            progress.rows(d, h as u64);
            Ok((results, masked))
        },
        |r0, n, (results, masked)| {
            masked_total += masked;
            let mut planes = vec![vec![f32::NAN; w * n]; nb];
            let mut px = vec![f32::NAN; nb];
            for (p, r) in results.into_iter().enumerate() {
                px.fill(f32::NAN);
                put(r, &mut px);
                for (plane, v) in planes.iter_mut().zip(&px) {
                    plane[p] = *v;
                }
            }
            for (b, data) in planes.into_iter().enumerate() {
                writer.write_rows(b + 1, r0, n, data)?;
            }
            Ok(())
        },
    )?;
    progress.finish();
    writer.finish()?;
    Ok(masked_total)
}

impl TaskResults for BreaksStackResults {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "BFAST Monitor of {} dates ({} to {}) on {} × {} pixels, monitoring from {}",
            self.dates,
            self.first_date,
            self.last_date,
            self.width,
            self.height,
            show_time(self.monitor_start, self.per_year)
        );
        let _ = writeln!(
            s,
            "{} pixels with a break, {} without; {} left missing",
            self.with_break,
            self.without_break,
            self.skipped.values().sum::<u64>()
        );
        if self.masked_observations > 0 {
            let _ = writeln!(
                s,
                "{} pixel-dates masked (clouds, shadows or the mask raster) of {}",
                self.masked_observations,
                self.pixels * self.dates as u64
            );
        }
        for (why, n) in &self.skipped {
            let _ = writeln!(s, "  {n} pixels: {why}");
        }
        for (y, n) in &self.breaks_per_year {
            let _ = writeln!(s, "  breaks in {y}: {n}");
        }
        let _ = writeln!(s, "wrote {}", self.out.display());
        s
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("megapixel", self.pixels as f64 / 1e6))
    }

    fn warnings(&self) -> Vec<String> {
        let missing: u64 = self.skipped.values().sum();
        let mut out = self.notes.clone();
        if missing > 0 {
            out.push(format!(
                "{missing} of {} pixels have no result (counted above)",
                self.pixels
            ));
        }
        out
    }
}

/// Theil–Sen slope and Mann–Kendall test of every pixel of a stack: a COG of float32 bands
/// `slope` (per year), `slope_low` and `slope_high` (Sen's bounds at `confidence`),
/// `p_value` and `tau` (Mann–Kendall, or the seasonal Kendall test over `seasonal`
/// seasons), and `n` (observations with values).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendStackTask {
    pub input: StackInput,
    pub seasonal: Option<usize>,
    pub confidence: f64,
    /// A pixel needs this many observations (at least 3).
    pub min_observations: usize,
    pub out: OutputSpec,
    /// Only this window of the stack's grid (a tile of a planned run).
    pub window: Option<PixelWindow>,
    pub memory: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendStackResults {
    pub out: PathBuf,
    pub dates: usize,
    pub width: usize,
    pub height: usize,
    pub pixels: u64,
    /// Pixels with a trend at the 5 % level, by its sign.
    pub increasing: u64,
    pub decreasing: u64,
    pub no_trend: u64,
    /// Pixels with fewer observations than needed, left missing.
    pub too_few: u64,
    /// Pixels with a slope whose bounds are not defined (too few observations for the
    /// confidence): `slope_low` and `slope_high` missing.
    pub bounds_undefined: u64,
    pub masked_observations: u64,
    pub test: String,
    /// What the user should know of the stack (a dates file newest first).
    #[serde(skip)]
    notes: Vec<String>,
}

impl RasterTask for TrendStackTask {
    type Results = TrendStackResults;

    fn files(&self) -> Result<Files> {
        super::series::check_trend(self.confidence, self.seasonal)?;
        Ok(Files {
            inputs: self.input.inputs()?,
            outputs: vec![self.out.path.clone()],
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<TrendStackResults> {
        self.files()?;
        let stack = self.input.prepare()?;
        let t = &stack.t;
        let need = self.min_observations.max(3);
        let (mut up, mut down, mut flat, mut few) = (0u64, 0u64, 0u64, 0u64);
        let mut unbounded = 0u64;
        let masked = span.phase("trend", |_| {
            sweep(
                &self.input,
                &stack,
                self.window,
                &self.out,
                self.memory,
                &["slope", "slope_low", "slope_high", "p_value", "tau", "n"],
                progress,
                |v| {
                    let y = &v[0];
                    let n = y.iter().filter(|v| v.is_finite()).count();
                    if n < need {
                        return None;
                    }
                    let ts = crate::series::trend::theil_sen(t, y, self.confidence)?;
                    let mk = match self.seasonal {
                        Some(p) => crate::series::trend::seasonal_mann_kendall(y, p)?,
                        None => crate::series::trend::mann_kendall(y)?,
                    };
                    Some((ts, mk, n))
                },
                |r, px| match r {
                    Some((ts, mk, n)) => {
                        px[0] = ts.slope as f32;
                        px[1] = ts.low as f32;
                        px[2] = ts.high as f32;
                        unbounded += u64::from(ts.low.is_nan());
                        px[3] = mk.p as f32;
                        px[4] = mk.tau as f32;
                        px[5] = n as f32;
                        match (mk.p < 0.05, mk.s > 0) {
                            (true, true) => up += 1,
                            (true, false) => down += 1,
                            _ => flat += 1,
                        }
                    }
                    None => few += 1,
                },
            )
        })?;
        let (grid, _) = stack.window(self.window)?;
        Ok(TrendStackResults {
            out: self.out.path.clone(),
            dates: stack.layers.len(),
            width: grid.width,
            height: grid.height,
            pixels: grid.pixels(),
            increasing: up,
            decreasing: down,
            no_trend: flat,
            too_few: few,
            bounds_undefined: unbounded,
            masked_observations: masked,
            test: match self.seasonal {
                Some(p) => format!("seasonal Kendall ({p} seasons)"),
                None => "Mann–Kendall".into(),
            },
            notes: self.input.order_note()?.into_iter().collect(),
        })
    }
}

impl TaskResults for TrendStackResults {
    fn warnings(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Theil–Sen and {} of {} dates on {} × {} pixels",
            self.test, self.dates, self.width, self.height
        );
        let _ = writeln!(
            s,
            "{} increasing, {} decreasing at 5 %, {} without a trend; {} with too few observations (missing)",
            self.increasing, self.decreasing, self.no_trend, self.too_few
        );
        if self.bounds_undefined > 0 {
            let _ = writeln!(
                s,
                "{} pixels' slope bounds not defined (too few observations for the confidence): slope_low and slope_high missing there",
                self.bounds_undefined
            );
        }
        if self.masked_observations > 0 {
            let _ = writeln!(
                s,
                "{} pixel-dates masked (clouds, shadows or the mask raster)",
                self.masked_observations
            );
        }
        let _ = writeln!(s, "wrote {}", self.out.display());
        s
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("megapixel", self.pixels as f64 / 1e6))
    }
}

/// A synthetic stack with known breaks (see [`crate::series::sample`]) written into a folder.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleStackTask {
    pub out_dir: PathBuf,
    pub spec: crate::series::sample::StackSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleStackResults {
    pub out_dir: PathBuf,
    pub dates: usize,
    pub pixels: u64,
    pub pixels_with_a_break: u64,
    pub seed: u64,
}

impl RasterTask for SampleStackTask {
    type Results = SampleStackResults;

    fn files(&self) -> Result<Files> {
        Ok(Files {
            inputs: vec![],
            outputs: ["stack.tif", "dates.csv", "truth.tif"]
                .iter()
                .map(|f| self.out_dir.join(f))
                .collect(),
            folders: vec![self.out_dir.clone()],
        })
    }

    fn run(&self, span: &mut Span, _progress: &dyn Progress) -> Result<SampleStackResults> {
        span.phase("write", |_| {
            crate::series::sample::write_stack(&self.out_dir, &self.spec)
        })?;
        let pixels = (self.spec.size * self.spec.size) as u64;
        Ok(SampleStackResults {
            out_dir: self.out_dir.clone(),
            dates: self.spec.dates().len(),
            pixels,
            pixels_with_a_break: (0..pixels as usize)
                .filter(|&p| self.spec.truth(p).is_some())
                .count() as u64,
            seed: self.spec.seed,
        })
    }
}

impl TaskResults for SampleStackResults {
    fn text(&self) -> String {
        format!(
            "wrote stack.tif ({} dates, NDVI × 10,000: read with --scale 0.0001), dates.csv and truth.tif ({} of {} pixels with a drop) into {}\n",
            self.dates,
            self.pixels_with_a_break,
            self.pixels,
            self.out_dir.display()
        )
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        None
    }
}

/// CCDC (as lcmap-pyccd) of every pixel of a stack of Landsat dates (`input.landsat`):
/// a COG of float32 bands `segments` (models fitted), `changes` (segments that end in a
/// change), `first_change` and `last_change` (decimal years; missing where none) and `used`
/// (observations kept).
#[derive(Debug, Clone, PartialEq)]
pub struct CcdcStackTask {
    pub input: StackInput,
    pub out: OutputSpec,
    /// Only this window of the stack's grid (a tile of a planned run).
    pub window: Option<PixelWindow>,
    pub memory: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CcdcStackResults {
    pub out: PathBuf,
    pub dates: usize,
    pub width: usize,
    pub height: usize,
    pub pixels: u64,
    /// Pixels by their number of changes (0, 1, 2, …).
    pub pixels_by_changes: BTreeMap<usize, u64>,
    /// Pixels without a model (too few clear observations).
    pub without_model: u64,
    /// Changes per calendar year.
    pub changes_per_year: BTreeMap<i32, u64>,
}

/// The day of the year (1 = 1 January) of a decimal year `year + (day − 1) / days`.
fn day_of_year(t: f64) -> u32 {
    let year = t.floor();
    let days = if NaiveDate::from_ymd_opt(year as i32, 2, 29).is_some() {
        366.0
    } else {
        365.0
    };
    ((t - year) * days).round() as u32 + 1
}

/// An ordinal day (0001-01-01 = 1) as a decimal year.
fn ordinal_year(day: i64) -> f64 {
    NaiveDate::from_num_days_from_ce_opt(day as i32).map_or(f64::NAN, decimal_year)
}

impl RasterTask for CcdcStackTask {
    type Results = CcdcStackResults;

    fn files(&self) -> Result<Files> {
        if !self.input.landsat {
            return Err(RasterError::Invalid(
                "CCDC reads each date's Landsat bands: give the roles blue, green, red, nir, swir1, swir2, thermal and qa".into(),
            ));
        }
        Ok(Files {
            inputs: self.input.inputs()?,
            outputs: vec![self.out.path.clone()],
            folders: vec![],
        })
    }

    fn run(&self, span: &mut Span, progress: &dyn Progress) -> Result<CcdcStackResults> {
        self.files()?;
        let stack = self.input.prepare()?;
        let days: Vec<i64> = stack
            .layers
            .iter()
            .map(|l| i64::from(l.date.num_days_from_ce()))
            .collect();
        let mut by_changes: BTreeMap<usize, u64> = BTreeMap::new();
        let mut per_year: BTreeMap<i32, u64> = BTreeMap::new();
        let mut without = 0u64;
        span.phase("ccdc", |_| {
            sweep(
                &self.input,
                &stack,
                self.window,
                &self.out,
                self.memory,
                &["segments", "changes", "first_change", "last_change", "used"],
                progress,
                |v| {
                    let bands: [Vec<f64>; 7] = std::array::from_fn(|b| v[b].clone());
                    // a missing band or QA makes the observation fill
                    let qa: Vec<u16> = (0..days.len())
                        .map(|k| {
                            let q = v[7][k];
                            if q.is_nan()
                                || (0..7).any(|b| v[b][k].is_nan())
                                || !(0.0..=65535.0).contains(&q)
                            {
                                1
                            } else {
                                q as u16
                            }
                        })
                        .collect();
                    crate::series::ccd::detect(&days, &bands, &qa)
                },
                |d, px| {
                    if d.segments.is_empty() {
                        without += 1;
                        return;
                    }
                    let changes: Vec<f64> = d
                        .segments
                        .iter()
                        .filter(|s| s.change_probability > 0.0)
                        .map(|s| ordinal_year(s.break_day))
                        .collect();
                    *by_changes.entry(changes.len()).or_default() += 1;
                    for c in &changes {
                        *per_year.entry(c.floor() as i32).or_default() += 1;
                    }
                    px[0] = d.segments.len() as f32;
                    px[1] = changes.len() as f32;
                    if let (Some(f), Some(l)) = (changes.first(), changes.last()) {
                        px[2] = *f as f32;
                        px[3] = *l as f32;
                    }
                    px[4] = d.processing_mask.iter().filter(|u| **u).count() as f32;
                },
            )
        })?;
        let (grid, _) = stack.window(self.window)?;
        Ok(CcdcStackResults {
            out: self.out.path.clone(),
            dates: stack.layers.len(),
            width: grid.width,
            height: grid.height,
            pixels: grid.pixels(),
            pixels_by_changes: by_changes,
            without_model: without,
            changes_per_year: per_year,
        })
    }
}

impl TaskResults for CcdcStackResults {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "CCDC of {} dates on {} × {} pixels",
            self.dates, self.width, self.height
        );
        for (k, n) in &self.pixels_by_changes {
            let _ = writeln!(s, "  {n} pixels with {k} change(s)");
        }
        if self.without_model > 0 {
            let _ = writeln!(
                s,
                "  {} pixels without a model (too few clear observations)",
                self.without_model
            );
        }
        for (y, n) in &self.changes_per_year {
            let _ = writeln!(s, "  changes in {y}: {n}");
        }
        let _ = writeln!(s, "wrote {}", self.out.display());
        s
    }

    fn unit(&self) -> Option<FunctionalUnit> {
        Some(FunctionalUnit::new("megapixel", self.pixels as f64 / 1e6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_read_from_annual_products_names() {
        for (name, year) in [
            ("W080N20_LC100_v3.0.1_2015.tif", Some(2015)),
            ("ESA_WorldCover_10m_2021_v200_N39W102_Map.tif", Some(2021)),
            ("Hansen_GFC-2023-v1.11_lossyear_20N_080W.tif", Some(2023)),
            ("S2A_38PLR_20170503_0_L2A_B04.tif", Some(2017)),
            ("landcover-2023.tif", Some(2023)),
            ("ls250_06.tif", None),
            ("lc_2015_2019.tif", None),
            ("tile_1234.tif", None),
        ] {
            assert_eq!(year_in_name(name), year, "{name}");
        }
    }

    #[test]
    fn dates_are_read_from_acquisition_not_processing() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for (name, expected) in [
            // acquisition first, processing last (Sentinel-2 since December 2016, Landsat)
            (
                "S2A_MSIL2A_20230615T100031_N0509_R122_T33TUG_20230616T160000.tif",
                date(2023, 6, 15),
            ),
            (
                "LC08_L2SP_044034_20200318_20200325_02_T1_SR_B4.TIF",
                date(2020, 3, 18),
            ),
            // Sentinel-2's first names: processed 2016-01-01, acquired 2015-12-30
            (
                "S2A_OPER_PRD_MSIL1C_PDMC_20160101T120000_R022_V20151230T103852_20151230T103852_B04.tif",
                date(2015, 12, 30),
            ),
            // a granule of those: a processing date only
            (
                "S2A_OPER_MSI_L1C_TL_SGS__20160101T120000_A002706_T32TQM_B04.tif",
                None,
            ),
            ("ndvi_2021-07-04.tif", date(2021, 7, 4)),
        ] {
            assert_eq!(date_in_name(name), expected, "{name}");
        }
    }
}
