//! terrawatt-table: validated tabular input on polars.
//!
//! What it offers:
//! - [`Table::read`]: CSV (plain or gzip-compressed, detected by content) and Parquet into a
//!   polars `DataFrame`, with errors that name the file.
//! - [`Table::numeric`]: one column as `f64`, missing values as NaN and counted; a value
//!   that does not parse names its column, row and file line.
//! - [`Table::select`]: features and target chosen by name (default features: every
//!   numeric column but the target) into ndarray arrays, converted through column slices;
//!   missing values refused with the first row named, or dropped and counted on request;
//!   constant feature columns reported and left out.
//!
//! - [`time`]: stamps with UTC offsets and zones; the one duration parser of every flag.
//! - [`size`]: bytes, lengths and areas with their units; the one size parser of every flag.
//!
//! Missing-value tokens in text columns: empty, `NA`, `N/A`, `NaN`, `nan`, `null`.
//!
//! A table read, a column taken as numbers, features and target selected (a missing value
//! refused with its row named, or its row dropped and counted):
//!
//! ```
//! use terrawatt_table::{MissingPolicy, Table, TableError};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("loads.csv");
//! let csv = "area,storeys,kind,load\n120,2,house,9.5\n800,5,office,NA\n95,1,house,8.1\n";
//! std::fs::write(&path, csv)?;
//!
//! let table = Table::read(&path)?;
//! assert_eq!(table.n_rows(), 3);
//! let (load, missing) = table.numeric("load")?;
//! assert_eq!((load[0], missing), (9.5, 1));
//!
//! // every numeric column but the target is a feature ('kind' is text)
//! let refused = table.select(Some("load"), None, &[], MissingPolicy::Error);
//! assert!(matches!(refused, Err(TableError::Missing { .. })));
//! let sel = table.select(Some("load"), None, &[], MissingPolicy::DropRows)?;
//! assert_eq!(sel.features, ["area", "storeys"]);
//! assert_eq!((sel.rows.clone(), sel.dropped_rows), (vec![0, 2], 1));
//! assert_eq!(sel.x.dim(), (2, 2));
//!
//! assert_eq!(terrawatt_table::time::parse_duration("15min")?, 900);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};
use polars::prelude::*;

/// Errors of reading and validating a table. Each names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// A time, duration or time zone that cannot be read (the message says what is expected).
    #[error("{0}")]
    Time(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot read as {format}: {message}")]
    Format {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{path}: missing column(s) {missing:?}; the file has {available:?}")]
    MissingColumns {
        path: PathBuf,
        missing: Vec<String>,
        available: Vec<String>,
    },
    #[error("{path}: column '{column}', {place}: '{value}' is not a number")]
    NotNumeric {
        path: PathBuf,
        column: String,
        /// e.g. `row 12 (line 13)`
        place: String,
        value: String,
    },
    #[error(
        "{path}: column '{column}' has {count} missing value(s), the first at {place} (empty, NA, NaN or infinite); fill them, or pass --drop-missing to drop such rows (they are counted and reported)"
    )]
    Missing {
        path: PathBuf,
        column: String,
        count: usize,
        place: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    // Sizes (crate::size): the text starts with the value, quoted, so that a caller
    // that knows the flag says `format!("{flag} {error}")`.
    /// Not a number of bytes with an optional unit.
    #[error("'{text}': expected a size such as 1GB or 512MB")]
    NotBytes { text: String },
    /// A length or an area without its unit.
    #[error("'{text}': give a unit, e.g. {examples}")]
    NoUnit {
        text: String,
        examples: &'static str,
    },
    /// The number before the unit does not parse.
    #[error("'{text}': '{number}' is not a number")]
    NotANumber { text: String, number: String },
    /// Zero, negative, infinite or NaN where a positive size is needed.
    #[error("'{text}' must be positive")]
    NotPositive { text: String },
    /// Negative or NaN where zero is allowed.
    #[error("'{text}' must be zero or more")]
    Negative { text: String },
}

pub mod columns;
pub mod screen;
pub mod size;
pub mod time;

pub type Result<T, E = TableError> = std::result::Result<T, E>;

/// What to do with rows that miss a value in a selected column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingPolicy {
    /// Refuse, naming the column and the first row.
    #[default]
    Error,
    /// Drop those rows; their count is reported.
    DropRows,
}

/// A table read from a file.
#[derive(Debug, Clone)]
pub struct Table {
    pub df: DataFrame,
    pub path: PathBuf,
    /// True for CSV (rows are reported with their file line, the header being line 1).
    pub csv: bool,
    /// Blank lines skipped (trailing ones and any in the middle), as pandas and polars users
    /// expect; counted so that a report can say so.
    pub blank_lines: usize,
    /// The file line of each data row where blank lines were skipped (1-based).
    lines: Option<Vec<usize>>,
    /// How a CSV that is not comma-separated was read (`;` separators, decimal commas).
    pub dialect: Option<String>,
}

/// Skips whitespace-only lines after the header; returns the text and, where any were
/// skipped, the file line (1-based) of each data row and their count.
fn skip_blank_lines(text: Vec<u8>) -> (Vec<u8>, Option<Vec<usize>>, usize) {
    let blank = |l: &[u8]| l.iter().all(|b| b.is_ascii_whitespace());
    let mut parts = text.split(|b| *b == b'\n');
    let header = parts.next().unwrap_or(&[]);
    let rest: Vec<&[u8]> = parts.collect();
    // the final newline leaves one empty piece that is not a line
    let n = if rest.last().is_some_and(|l| l.is_empty()) {
        rest.len() - 1
    } else {
        rest.len()
    };
    let skipped = rest[..n].iter().filter(|l| blank(l)).count();
    if skipped == 0 {
        return (text, None, 0);
    }
    let mut out = header.to_vec();
    out.push(b'\n');
    let mut lines = Vec::with_capacity(n - skipped);
    for (i, l) in rest[..n].iter().enumerate() {
        if blank(l) {
            continue;
        }
        out.extend_from_slice(l);
        out.push(b'\n');
        lines.push(i + 2);
    }
    (out, Some(lines), skipped)
}

/// `;`-separated files (a header with `;` and no `,`), with decimal commas where a data
/// field holds a digit, a comma and a digit: the separator and whether commas are decimal.
fn csv_dialect(text: &[u8]) -> (u8, bool) {
    let header = text.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if !header.contains(&b';') || header.contains(&b',') {
        return (b',', false);
    }
    let decimal_comma = text.split(|b| *b == b'\n').skip(1).take(1000).any(|l| {
        l.windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == b',' && w[2].is_ascii_digit())
    });
    (b';', decimal_comma)
}

/// Features and target as arrays, and what was left out.
#[derive(Debug, Clone)]
pub struct Selection {
    pub x: Array2<f64>,
    pub y: Option<Array1<f64>>,
    pub features: Vec<String>,
    pub target: Option<String>,
    /// Rows of the file kept, 0-based (all rows unless some were dropped).
    pub rows: Vec<usize>,
    /// (column, missing values) for every selected column with any.
    pub missing: Vec<(String, usize)>,
    /// Rows dropped for missing values.
    pub dropped_rows: usize,
    /// Constant feature columns left out of `features`.
    pub constant: Vec<String>,
}

const MISSING_TOKENS: [&str; 6] = ["", "NA", "N/A", "NaN", "nan", "null"];

thread_local! {
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside a read whose panics are turned into errors (a panic hook
/// may stay silent for them).
pub fn in_guarded_read() -> bool {
    GUARDED.with(|g| g.get())
}

/// Runs `f`, turning a panic into `Err(())`.
fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, ()> {
    GUARDED.with(|g| g.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| ());
    GUARDED.with(|g| g.set(false));
    r
}

/// The header's column names (quotes removed; a doubled quote inside quotes is one quote).
fn header_names(text: &[u8]) -> Vec<String> {
    let first = text.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(first);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
        _ => vec![],
    }
}

/// A header that names a column twice is refused, naming both (a CSV reader would rename the
/// second, `name_duplicated_0`, and it would be used as another column).
fn refuse_duplicate_columns(path: &Path, text: &[u8]) -> Result<()> {
    let names = header_names(text);
    for (j, n) in names.iter().enumerate() {
        if let Some(i) = names[..j].iter().position(|m| m.trim() == n.trim()) {
            return Err(TableError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "the header names column '{}' twice (columns {} and {}): rename one",
                    n.trim(),
                    i + 1,
                    j + 1
                ),
            });
        }
    }
    Ok(())
}

/// A file's bytes, decompressed where they are gzip (by its magic bytes).
pub fn read_decoded(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| TableError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    gunzipped(path, bytes)
}

/// `bytes` of `path`, decompressed where they are gzip.
fn gunzipped(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .map_err(|e| TableError::Format {
            path: path.to_path_buf(),
            format: "gzip",
            message: e.to_string(),
        })?;
    Ok(out)
}

impl Table {
    /// Reads CSV (gzip detected by its magic bytes) or Parquet (by its `PAR1` magic or a
    /// `.parquet` extension).
    pub fn read(path: &Path) -> Result<Table> {
        let io = |e| TableError::Io {
            path: path.to_path_buf(),
            source: e,
        };
        let bytes = std::fs::read(path).map_err(io)?;
        let is_parquet = bytes.starts_with(b"PAR1")
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        if is_parquet {
            // the Parquet reader can panic on a damaged file (its metadata decoder asserts):
            // that is an error naming the file, never a crash
            let read = guarded(|| ParquetReader::new(std::io::Cursor::new(bytes)).finish());
            let df = match read {
                Ok(r) => r.map_err(|e| TableError::Format {
                    path: path.to_path_buf(),
                    format: "Parquet",
                    message: e.to_string(),
                })?,
                Err(()) => {
                    return Err(TableError::Format {
                        path: path.to_path_buf(),
                        format: "Parquet",
                        message: "the file is damaged (its metadata cannot be decoded)".into(),
                    });
                }
            };
            return Ok(Table::of(df, path));
        }
        let text = gunzipped(path, bytes)?;
        if text.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(TableError::Invalid {
                path: path.to_path_buf(),
                message: "the file is empty".into(),
            });
        }
        let (separator, decimal_comma) = csv_dialect(&text);
        let text = if separator == b';' {
            // the duplicate-column check reads a comma header
            let (head, rest) =
                text.split_at(text.iter().position(|b| *b == b'\n').unwrap_or(text.len()));
            let mut t: Vec<u8> = head
                .iter()
                .map(|&b| if b == b';' { b',' } else { b })
                .collect();
            t.extend_from_slice(rest);
            refuse_duplicate_columns(path, &t)?;
            text
        } else {
            refuse_duplicate_columns(path, &text)?;
            text
        };
        let (text, lines, blank_lines) = skip_blank_lines(text);
        let dialect = (separator == b';').then(|| {
            if decimal_comma {
                "';' separators and decimal commas".to_string()
            } else {
                "';' separators".to_string()
            }
        });
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .with_parse_options(
                CsvParseOptions::default()
                    .with_separator(separator)
                    .with_decimal_comma(decimal_comma),
            )
            .into_reader_with_file_handle(std::io::Cursor::new(text))
            .finish()
            .map_err(|e| TableError::Format {
                path: path.to_path_buf(),
                format: "CSV",
                message: e.to_string(),
            })?;
        Ok(Table {
            df,
            path: path.to_path_buf(),
            csv: true,
            blank_lines,
            lines,
            dialect,
        })
    }

    /// A table of a frame read from a file other than CSV.
    pub(crate) fn of(df: DataFrame, path: &Path) -> Table {
        Table {
            df,
            path: path.to_path_buf(),
            csv: false,
            blank_lines: 0,
            lines: None,
            dialect: None,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.df.height()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// `row 12 (line 13)` for CSV, `row 12` otherwise (rows counted from 1).
    pub fn place(&self, row: usize) -> String {
        if self.csv {
            let line = self
                .lines
                .as_ref()
                .and_then(|l| l.get(row).copied())
                .unwrap_or(row + 2);
            format!("row {} (line {line})", row + 1)
        } else {
            format!("row {}", row + 1)
        }
    }

    /// Checks that every name is a column; the error lists what is missing and what is there.
    pub fn require(&self, names: &[String]) -> Result<()> {
        let available = self.column_names();
        let missing: Vec<String> = names
            .iter()
            .filter(|n| !available.contains(n))
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(TableError::MissingColumns {
                path: self.path.clone(),
                missing,
                available,
            })
        }
    }

    /// Refuses features given by name that name a column twice or include the target: a
    /// model shown its own target fits it exactly and predicts nothing it was not given.
    pub(crate) fn check_features(&self, target: Option<&str>, features: &[String]) -> Result<()> {
        let invalid = |message: String| {
            Err(TableError::Invalid {
                path: self.path.clone(),
                message,
            })
        };
        if let Some(t) = target
            && features.iter().any(|f| f == t)
        {
            return invalid(format!(
                "the features include the target column '{t}': a model given its own target fits it exactly and predicts nothing it was not given; leave it out of the features"
            ));
        }
        for (i, f) in features.iter().enumerate() {
            if features[..i].contains(f) {
                return invalid(format!("the feature column '{f}' is named twice"));
            }
        }
        Ok(())
    }

    /// Whether a column is numeric: a numeric type, or text whose values all parse (or are
    /// missing tokens) with at least one number.
    pub fn is_numeric(&self, name: &str) -> bool {
        let Ok(col) = self.df.column(name) else {
            return false;
        };
        let dt = col.dtype();
        if dt.is_primitive_numeric() || dt.is_bool() {
            return true;
        }
        if let Ok(s) = col.as_materialized_series().str() {
            let (mut numbers, mut other) = (0usize, 0usize);
            for v in s.iter().flatten() {
                let t = v.trim();
                if MISSING_TOKENS.contains(&t) {
                    continue;
                }
                if t.parse::<f64>().is_ok() {
                    numbers += 1;
                } else {
                    other += 1;
                }
            }
            // mostly numbers with a few bad values: a numeric column with errors in it
            return numbers > 0 && numbers >= other;
        }
        false
    }

    /// One column as text (missing values as empty strings), e.g. group labels.
    pub fn strings(&self, name: &str) -> Result<Vec<String>> {
        self.require(&[name.to_string()])?;
        let col = self
            .df
            .column(name)
            .expect("checked")
            .as_materialized_series();
        let cast = col
            .cast(&DataType::String)
            .map_err(|e| TableError::Invalid {
                path: self.path.clone(),
                message: format!("column '{name}' cannot be read as text: {e}"),
            })?;
        Ok(cast
            .str()
            .expect("cast to text")
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect())
    }

    /// One column as f64 (NaN where missing), with its count of missing values.
    pub fn numeric(&self, name: &str) -> Result<(Vec<f64>, usize)> {
        self.require(&[name.to_string()])?;
        let col = self
            .df
            .column(name)
            .expect("checked")
            .as_materialized_series();
        let values: Vec<f64> = if let Ok(s) = col.str() {
            let mut out = Vec::with_capacity(s.len());
            for (row, v) in s.iter().enumerate() {
                let t = v.map(str::trim).unwrap_or("");
                if MISSING_TOKENS.contains(&t) {
                    out.push(f64::NAN);
                } else {
                    let t2;
                    let t = if self
                        .dialect
                        .as_deref()
                        .is_some_and(|d| d.contains("decimal"))
                    {
                        t2 = t.replace(',', ".");
                        t2.as_str()
                    } else {
                        t
                    };
                    out.push(t.parse::<f64>().map_err(|_| TableError::NotNumeric {
                        path: self.path.clone(),
                        column: name.to_string(),
                        place: self.place(row),
                        value: t.chars().take(60).collect(),
                    })?);
                }
            }
            out
        } else {
            let cast = col
                .cast(&DataType::Float64)
                .map_err(|e| TableError::Invalid {
                    path: self.path.clone(),
                    message: format!("column '{name}' ({}) is not numeric: {e}", col.dtype()),
                })?;
            let ca = cast.f64().expect("cast to f64");
            match ca.cont_slice() {
                Ok(slice) => slice.to_vec(),
                Err(_) => ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            }
        };
        // a non-finite value (inf, -inf, or a number beyond f64 such as 1e400) is missing, as
        // NaN is: counted, and refused or dropped with its row by the caller's policy
        let values: Vec<f64> = values
            .into_iter()
            .map(|v| if v.is_finite() { v } else { f64::NAN })
            .collect();
        let missing = values.iter().filter(|v| v.is_nan()).count();
        Ok((values, missing))
    }

    /// A column stored as a datetime type (Parquet timestamps): milliseconds since the Unix
    /// epoch (None where missing) and the column's time zone, if it has one. `None` when the
    /// column holds another type (text timestamps are read with [`Table::strings`]).
    pub fn datetimes(&self, name: &str) -> Result<Option<Datetimes>> {
        self.require(&[name.to_string()])?;
        let col = self
            .df
            .column(name)
            .expect("checked")
            .as_materialized_series();
        let DataType::Datetime(unit, tz) = col.dtype() else {
            return Ok(None);
        };
        let per_ms: i64 = match unit {
            TimeUnit::Nanoseconds => 1_000_000,
            TimeUnit::Microseconds => 1_000,
            TimeUnit::Milliseconds => 1,
        };
        let tz = tz.as_ref().map(|t| t.to_string());
        let raw = col
            .cast(&DataType::Int64)
            .map_err(|e| TableError::Invalid {
                path: self.path.clone(),
                message: format!("column '{name}': {e}"),
            })?;
        let values = raw
            .i64()
            .expect("cast to i64")
            .iter()
            .map(|v| v.map(|v| v.div_euclid(per_ms)))
            .collect();
        Ok(Some(Datetimes {
            millis: values,
            zone: tz,
        }))
    }

    /// Features and target by name. `features: None` takes every numeric column but the
    /// target (and any in `exclude`). Constant features are left out and listed, unless
    /// `keep_constant` (as when applying a fitted model).
    pub fn select(
        &self,
        target: Option<&str>,
        features: Option<&[String]>,
        exclude: &[String],
        policy: MissingPolicy,
    ) -> Result<Selection> {
        self.select_with(target, features, exclude, policy, false)
    }

    /// Refuses a column of `values` that holds a missing-value code outside its other
    /// values' range ([`screen::code_outside_range`]): a −999 among floor areas.
    pub(crate) fn refuse_codes(&self, column: &str, values: &[f64]) -> Result<()> {
        let Some((row, code, (lo, hi), count)) = screen::code_outside_range(values) else {
            return Ok(());
        };
        Err(TableError::Invalid {
            path: self.path.clone(),
            message: format!(
                "column '{column}', {}: {code} is a missing-value code, outside the other values' range ({lo} to {hi}){}; leave such cells empty (missing) and choose what to do with them (--drop-missing)",
                self.place(row),
                if count > 1 {
                    format!(", as are {} other values", count - 1)
                } else {
                    String::new()
                }
            ),
        })
    }

    /// [`Table::select`] with the choice to keep constant features.
    pub fn select_with(
        &self,
        target: Option<&str>,
        features: Option<&[String]>,
        exclude: &[String],
        policy: MissingPolicy,
        keep_constant: bool,
    ) -> Result<Selection> {
        let mut wanted: Vec<String> = features.map(<[String]>::to_vec).unwrap_or_default();
        if let Some(t) = target {
            wanted.push(t.to_string());
        }
        self.require(&wanted)?;
        // a misspelt --exclude kept the column it meant (another outcome) with no word
        self.require(exclude)?;
        if let Some(f) = features {
            self.check_features(target, f)?;
        }
        let features: Vec<String> = match features {
            Some(f) => f.to_vec(),
            None => self
                .column_names()
                .into_iter()
                .filter(|c| Some(c.as_str()) != target && !exclude.contains(c))
                .filter(|c| self.is_numeric(c))
                .collect(),
        };
        if features.is_empty() {
            return Err(TableError::Invalid {
                path: self.path.clone(),
                message: format!(
                    "no numeric feature columns (columns: {:?})",
                    self.column_names()
                ),
            });
        }
        let mut cols = Vec::with_capacity(features.len());
        let mut missing = Vec::new();
        for f in &features {
            let (v, m) = self.numeric(f)?;
            self.refuse_codes(f, &v)?;
            if m > 0 {
                missing.push((f.clone(), m));
            }
            cols.push(v);
        }
        let y = match target {
            Some(t) => {
                let (v, m) = self.numeric(t)?;
                self.refuse_codes(t, &v)?;
                if m > 0 {
                    missing.push((t.to_string(), m));
                }
                Some(v)
            }
            None => None,
        };
        let n = self.n_rows();
        let row_ok = |i: usize| {
            cols.iter().all(|c| !c[i].is_nan()) && y.as_ref().is_none_or(|y| !y[i].is_nan())
        };
        if let (MissingPolicy::Error, Some((col, count))) = (policy, missing.first()) {
            let values = if Some(col.as_str()) == target {
                y.as_ref().expect("target read")
            } else {
                &cols[features.iter().position(|f| f == col).expect("a feature")]
            };
            let first = values
                .iter()
                .position(|v| v.is_nan())
                .expect("a missing value");
            return Err(TableError::Missing {
                path: self.path.clone(),
                column: col.clone(),
                count: *count,
                place: self.place(first),
            });
        }
        let rows: Vec<usize> = (0..n).filter(|&i| row_ok(i)).collect();
        if rows.is_empty() {
            return Err(TableError::Invalid {
                path: self.path.clone(),
                message: "no row has all the selected values".into(),
            });
        }
        // constant features tell nothing and are left out
        let mut constant = Vec::new();
        let mut keep = Vec::new();
        for (f, c) in features.iter().zip(&cols) {
            if !keep_constant && columns::is_constant(rows.iter().map(|&i| c[i])) {
                constant.push(f.clone());
            } else {
                keep.push(f.clone());
            }
        }
        if keep.is_empty() {
            return Err(TableError::Invalid {
                path: self.path.clone(),
                message: format!("every feature column is constant: {constant:?}"),
            });
        }
        let x = Array2::from_shape_fn((rows.len(), keep.len()), |(r, j)| {
            let c = &cols[features.iter().position(|f| f == &keep[j]).expect("kept")];
            c[rows[r]]
        });
        let y = y.map(|y| Array1::from_iter(rows.iter().map(|&i| y[i])));
        if let (Some(t), Some(yv)) = (target, &y) {
            columns::constant_target(&self.path, t, yv.as_slice().expect("contiguous"))?;
        }
        Ok(Selection {
            x,
            y,
            features: keep,
            target: target.map(str::to_string),
            dropped_rows: n - rows.len(),
            rows,
            missing,
            constant,
        })
    }
}

/// A datetime column: milliseconds since the Unix epoch (None where missing) and its time
/// zone, if the column has one.
#[derive(Debug, Clone)]
pub struct Datetimes {
    pub millis: Vec<Option<i64>>,
    pub zone: Option<String>,
}

/// A CSV field, quoted where it holds a comma, a quote or a line break (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.is_empty() {
        // (a record of one empty field would be written `""`)
        return String::new();
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(vec![]);
    // Writing to memory cannot fail.
    let _ = writer.write_record([s]);
    let record = writer.into_inner().unwrap_or_default();
    let field = record.strip_suffix(b"\r\n").unwrap_or(&record);
    String::from_utf8_lossy(field).into_owned()
}

/// Writes a CSV of named f64 columns atomically (temp file + rename); a NaN is an empty field.
pub fn write_csv_atomic(path: &Path, header: &[&str], columns: &[&[f64]]) -> Result<()> {
    let n = columns.first().map_or(0, |c| c.len());
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map_or("out".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let io = |e| TableError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let write = || -> std::result::Result<(), csv::Error> {
        let mut writer = csv::WriterBuilder::new().flexible(true).from_path(&tmp)?;
        writer.write_record(header)?;
        for i in 0..n {
            writer.write_record(columns.iter().map(|c| {
                if c[i].is_nan() {
                    String::new()
                } else {
                    format!("{}", c[i])
                }
            }))?;
        }
        writer.flush()?;
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e.into())
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// A column of mixed-type output (missing values as `None`).
#[derive(Debug)]
pub enum OutColumn {
    Int(Vec<Option<i64>>),
    Real(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

/// Writes a Parquet file atomically (temp file + rename) from named typed columns.
pub fn write_parquet_columns(path: &Path, columns: Vec<(String, OutColumn)>) -> Result<()> {
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|(name, c)| match c {
            OutColumn::Int(v) => Column::new(name.into(), v),
            OutColumn::Real(v) => Column::new(name.into(), v),
            OutColumn::Text(v) => Column::new(name.into(), v),
        })
        .collect();
    let df = DataFrame::new_infer_height(cols).map_err(|e| TableError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parquet_atomic(path, df)
}

/// Writes a Parquet file atomically (temp file + rename): one text column, then named f64
/// columns (NaN stays NaN).
pub fn write_parquet_atomic(
    path: &Path,
    text: (&str, Vec<String>),
    columns: &[(&str, &[f64])],
) -> Result<()> {
    let mut cols: Vec<Column> = vec![Column::new(text.0.into(), text.1)];
    for (name, values) in columns {
        cols.push(Column::new((*name).into(), values.to_vec()));
    }
    let df = DataFrame::new_infer_height(cols).map_err(|e| TableError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parquet_atomic(path, df)
}

fn parquet_atomic(path: &Path, mut df: DataFrame) -> Result<()> {
    let io = |e| TableError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map_or("out".into(), |n| n.to_string_lossy().into_owned()),
        std::process::id()
    ));
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let written = ParquetWriter::new(file).finish(&mut df);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(TableError::Format {
            path: path.to_path_buf(),
            format: "Parquet",
            message: e.to_string(),
        });
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Concatenates Parquet `parts` (task id, part label, file) in the order given into the
/// Parquet file `out`, each row after its task (`task`, Int64) and part (`part`, String):
/// one row group per part, one part in memory at a time. Every part must have the same
/// columns and types: an error names the file that differs (and `out` is then incomplete:
/// the caller writes it under a temporary name). Returns the number of rows.
pub fn concat_parquet(parts: &[(usize, String, PathBuf)], out: &Path) -> Result<usize> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| TableError::Io {
            path: p.clone(),
            source: e,
        }
    };
    let format = |p: &Path, e: PolarsError| TableError::Format {
        path: p.to_path_buf(),
        format: "Parquet",
        message: e.to_string(),
    };
    let mut writer: Option<(
        polars::io::parquet::write::BatchedWriter<std::fs::File>,
        Schema,
        &Path,
    )> = None;
    let mut rows = 0usize;
    for (task, part, path) in parts {
        let file = std::fs::File::open(path).map_err(io(path))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| format(path, e))?;
        let n = df.height();
        let mut cols = vec![
            Column::new("task".into(), vec![*task as i64; n]),
            Column::new("part".into(), vec![part.as_str(); n]),
        ];
        cols.extend(df.columns().iter().cloned());
        let df = DataFrame::new(n, cols).map_err(|e| format(path, e))?;
        match &mut writer {
            None => {
                let schema = df.schema().as_ref().clone();
                let file = std::fs::File::create(out).map_err(io(out))?;
                let w = ParquetWriter::new(file)
                    .batched(&schema)
                    .map_err(|e| format(out, e))?;
                writer = Some((w, schema, path));
            }
            Some((_, schema, first)) if df.schema().as_ref() != schema => {
                let names = |s: &Schema| {
                    s.iter()
                        .map(|(n, t)| format!("{n}: {t}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(TableError::Invalid {
                    path: path.clone(),
                    message: format!(
                        "its columns ({}) differ from those of {} ({})",
                        names(df.schema()),
                        first.display(),
                        names(schema)
                    ),
                });
            }
            Some(_) => {}
        }
        let (w, _, _) = writer.as_mut().expect("set above");
        w.write_batch(&df).map_err(|e| format(out, e))?;
        rows += n;
    }
    let (w, _, _) = writer.ok_or_else(|| TableError::Invalid {
        path: out.to_path_buf(),
        message: "no table to concatenate".into(),
    })?;
    w.finish().map_err(|e| format(out, e))?;
    Ok(rows)
}

#[cfg(test)]
mod duplicate_tests {
    use super::*;

    #[test]
    fn a_column_named_twice_is_refused_with_both_positions() {
        let p = Path::new("b.csv");
        let e = refuse_duplicate_columns(p, b"\xef\xbb\xbfa,hdd18,\"hdd18\",y\r\n1,2,3,4\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'hdd18' twice (columns 2 and 3)"), "{e}");
        assert!(refuse_duplicate_columns(p, b"a,\"b,c\",\"d\"\"\"\n").is_ok());
        assert_eq!(header_names(b"a,\"b,c\",\"d\"\"\"\n"), ["a", "b,c", "d\""]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every other column of `t` against `y`.
    fn on_y(t: &Table, policy: MissingPolicy) -> Result<Selection> {
        t.select(Some("y"), None, &[], policy)
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn csv_field_quotes_only_where_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field(""), "");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\r"), "\"cr\r\"");
    }

    #[test]
    fn csv_written_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        write_csv_atomic(&p, &["x", "y"], &[&[1.0, 2.5], &[f64::NAN, 3.0]]).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x,y\n1,\n2.5,3\n");
    }

    #[test]
    fn parquet_parts_concatenate_after_task_and_part() {
        let dir = tempfile::tempdir().unwrap();
        let part = |name: &str, ids: Vec<Option<i64>>, names: Vec<Option<String>>| {
            let p = dir.path().join(name);
            write_parquet_columns(
                &p,
                vec![
                    ("fid".into(), OutColumn::Int(ids)),
                    ("name".into(), OutColumn::Text(names)),
                ],
            )
            .unwrap();
            p
        };
        let a = part(
            "a.parquet",
            vec![Some(1), Some(2)],
            vec![Some("x".into()), None],
        );
        let b = part("b.parquet", vec![Some(3)], vec![None]);
        let out = dir.path().join("out.parquet");
        let parts = vec![(0, "first".to_string(), a.clone()), (1, "second".into(), b)];
        assert_eq!(concat_parquet(&parts, &out).unwrap(), 3);
        let t = Table::read(&out).unwrap();
        assert_eq!(t.column_names(), ["task", "part", "fid", "name"]);
        assert_eq!(t.numeric("fid").unwrap().0, vec![1.0, 2.0, 3.0]);
        assert_eq!(t.numeric("task").unwrap().0, vec![0.0, 0.0, 1.0]);
        assert_eq!(t.strings("part").unwrap(), ["first", "first", "second"]);
        // a part whose columns differ is named
        let c = dir.path().join("c.parquet");
        write_parquet_columns(&c, vec![("fid".into(), OutColumn::Real(vec![Some(1.0)]))]).unwrap();
        let e = concat_parquet(&[(0, "a".into(), a), (1, "c".into(), c)], &out)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.parquet") && e.contains("differ from those of"),
            "{e}"
        );
    }

    #[test]
    fn reads_csv_and_gzip_alike() {
        let dir = tempfile::tempdir().unwrap();
        let text = "a,b,y\n1,2,3\n4,5,6\n7,8,10\n";
        let plain = write(dir.path(), "t.csv", text);
        let gz = dir.path().join("t.csv.gz");
        {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(
                std::fs::File::create(&gz).unwrap(),
                flate2::Compression::default(),
            );
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap();
        }
        for p in [plain, gz] {
            let t = Table::read(&p).unwrap();
            let s = on_y(&t, MissingPolicy::Error).unwrap();
            assert_eq!(s.features, vec!["a", "b"]);
            assert_eq!(s.x.column(1).to_vec(), vec![2.0, 5.0, 8.0]);
            assert_eq!(s.y.unwrap().to_vec(), vec![3.0, 6.0, 10.0]);
        }
    }

    #[test]
    fn reads_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.parquet");
        let mut df =
            df!("a" => [1.0, 2.0, 3.0], "b" => [4i64, 5, 7], "y" => [0.5, f64::NAN, 1.5]).unwrap();
        ParquetWriter::new(std::fs::File::create(&p).unwrap())
            .finish(&mut df)
            .unwrap();
        let t = Table::read(&p).unwrap();
        assert!(!t.csv);
        let s = on_y(&t, MissingPolicy::DropRows).unwrap();
        assert_eq!(s.features, vec!["a", "b"]);
        assert_eq!(s.rows, vec![0, 2]);
        assert_eq!(s.x.column(1).to_vec(), vec![4.0, 7.0]);
        let e = on_y(&t, MissingPolicy::Error).unwrap_err().to_string();
        assert!(
            e.contains("'y' has 1 missing value(s), the first at row 2"),
            "{e}"
        );
        assert!(!e.contains("line"), "{e}");
    }

    #[test]
    fn errors_name_the_file_column_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "bad.csv", "a,b,y\n1,2,3\n4,x5,6\n7,8,9\n");
        let t = Table::read(&p).unwrap();
        let e = on_y(&t, MissingPolicy::Error).unwrap_err().to_string();
        assert!(
            e.contains("bad.csv")
                && e.contains("'b'")
                && e.contains("row 2 (line 3)")
                && e.contains("'x5'"),
            "{e}"
        );
        let e = t
            .select(Some("z"), None, &[], MissingPolicy::Error)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing column(s) [\"z\"]") && e.contains("\"a\""),
            "{e}"
        );
    }

    #[test]
    fn infinite_values_are_missing_blank_lines_skipped_semicolons_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        // inf, -inf and an overflowing number are missing, as NaN is
        std::fs::write(&p, "a,y\n1,2\ninf,3\n-inf,4\n1e400,5\n6,7\n").unwrap();
        let t = Table::read(&p).unwrap();
        let (a, missing) = t.numeric("a").unwrap();
        assert_eq!(missing, 3);
        assert!(a[1].is_nan() && a[2].is_nan() && a[3].is_nan() && a[4] == 6.0);
        let e = t
            .select(
                Some("y"),
                Some(&["a".to_string()]),
                &[],
                MissingPolicy::Error,
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'a' has 3 missing") && e.contains("infinite"),
            "{e}"
        );
        // blank lines in the middle and at the end are skipped and counted; rows keep
        // their file lines
        std::fs::write(&p, "a,y\n1,2\n\n   \nx,3\n4,5\n\n\n").unwrap();
        let t = Table::read(&p).unwrap();
        assert_eq!((t.n_rows(), t.blank_lines), (3, 4));
        let e = t.numeric("a").unwrap_err().to_string();
        assert!(e.contains("row 2 (line 5)"), "{e}");
        // ';' separators with decimal commas, as European spreadsheets write them
        std::fs::write(&p, "a;y\n1,5;2\n3,25;4\n").unwrap();
        let t = Table::read(&p).unwrap();
        assert_eq!(t.numeric("a").unwrap().0, vec![1.5, 3.25]);
        assert_eq!(t.numeric("y").unwrap().0, vec![2.0, 4.0]);
        assert!(t.dialect.as_deref().unwrap().contains("decimal commas"));
        // duplicate columns are refused in a ';' file too
        std::fs::write(&p, "a;a\n1;2\n").unwrap();
        assert!(Table::read(&p).unwrap_err().to_string().contains("'a'"));
    }

    #[test]
    fn missing_values_refused_or_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "m.csv", "a,c,y\n1,5,3\n,5,4\n7,5,NA\n2,5,1\n");
        let t = Table::read(&p).unwrap();
        let e = on_y(&t, MissingPolicy::Error).unwrap_err().to_string();
        assert!(
            e.contains("'a' has 1 missing") && e.contains("row 2 (line 3)"),
            "{e}"
        );
        let s = on_y(&t, MissingPolicy::DropRows).unwrap();
        assert_eq!(s.dropped_rows, 2);
        assert_eq!(s.rows, vec![0, 3]);
        assert_eq!(s.missing, vec![("a".to_string(), 1), ("y".to_string(), 1)]);
        assert_eq!(s.constant, vec!["c"]);
        assert_eq!(s.features, vec!["a"]);
    }
}
