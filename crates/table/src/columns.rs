//! A Parquet table read one column at a time, for tables too large to hold whole: the
//! columns [`Table::select_with`] would select, under its rules (default features, missing
//! values refused with their row or dropped and counted, constant features left out, a
//! constant target refused), handed to a [`ColumnSink`] one after the other, so that no more
//! than one column of `f64` is held at a time beside what the sink keeps.
//!
//! A column is read once where no value is missing (or missing values are refused); where
//! rows are dropped, the features are read a second time, restricted to the kept rows.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::{MissingPolicy, Result, Table, TableError, guarded};

/// Receives the selected features one at a time, restricted to the kept rows.
pub trait ColumnSink {
    /// A pass over the features begins (again, where rows were dropped): each column will
    /// hold `rows` values.
    fn start(&mut self, rows: usize);
    /// The next selected feature's values.
    fn push(&mut self, values: &[f64]);
}

/// What [`ParquetColumns::select`] selected: as [`crate::Selection`] without the
/// features' values, which went to the sink.
#[derive(Debug, Clone)]
pub struct StreamedSelection {
    /// The target's values in the kept rows.
    pub y: Option<Vec<f64>>,
    pub features: Vec<String>,
    pub target: Option<String>,
    /// Kept rows.
    pub rows: usize,
    pub dropped_rows: usize,
    /// Columns with missing values and how many.
    pub missing: Vec<(String, usize)>,
    pub constant: Vec<String>,
    /// Each kept feature's correlation with the target in the kept rows
    /// ([`crate::screen::correlation`]), where there is a target.
    pub correlations: Vec<(String, f64)>,
    /// Kept features whose values count the rows ([`crate::screen::counts_rows`]).
    pub counters: Vec<String>,
}

/// A Parquet file's columns, read on demand.
#[derive(Debug, Clone)]
pub struct ParquetColumns {
    path: PathBuf,
    /// The file's column names, as an empty table (for [`Table::require`]'s errors).
    header: Table,
    n_rows: usize,
}

fn format_error(path: &Path, message: String) -> TableError {
    TableError::Format {
        path: path.to_path_buf(),
        format: "Parquet",
        message,
    }
}

impl ParquetColumns {
    /// Reads the file's metadata: its column names and rows.
    pub fn open(path: &Path) -> Result<ParquetColumns> {
        let file = File::open(path).map_err(|e| TableError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let mut reader = ParquetReader::new(file);
        let meta = guarded(|| -> PolarsResult<(Vec<String>, usize)> {
            let schema = reader.schema()?;
            let names = schema.iter_names().map(|n| n.to_string()).collect();
            Ok((names, reader.num_rows()?))
        });
        let (names, n_rows) = match meta {
            Ok(r) => r.map_err(|e| format_error(path, e.to_string()))?,
            Err(()) => {
                return Err(format_error(
                    path,
                    "the file is damaged (its metadata cannot be decoded)".into(),
                ));
            }
        };
        let columns: Vec<Column> = names
            .iter()
            .map(|n| Column::new(n.as_str().into(), Vec::<f64>::new()))
            .collect();
        let df = DataFrame::new(0, columns).map_err(|e| format_error(path, e.to_string()))?;
        Ok(ParquetColumns {
            path: path.to_path_buf(),
            header: Table::of(df, path),
            n_rows,
        })
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn column_names(&self) -> Vec<String> {
        self.header.column_names()
    }

    /// One column as a table of its own.
    pub fn column(&self, name: &str) -> Result<Table> {
        self.header.require(&[name.to_string()])?;
        let read = guarded(|| -> PolarsResult<DataFrame> {
            let file = File::open(&self.path)?;
            ParquetReader::new(file)
                .with_columns(Some(vec![name.to_string()]))
                .finish()
        });
        let df = match read {
            Ok(r) => r.map_err(|e| format_error(&self.path, e.to_string()))?,
            Err(()) => {
                return Err(format_error(
                    &self.path,
                    format!("column '{name}' cannot be decoded (the file is damaged)"),
                ));
            }
        };
        Ok(Table::of(df, &self.path))
    }

    /// One column as f64 (NaN where missing), with its count of missing values
    /// ([`Table::numeric`]'s rules).
    pub fn numeric(&self, name: &str) -> Result<(Vec<f64>, usize)> {
        self.column(name)?.numeric(name)
    }

    /// [`Table::select_with`] (constant features left out) with the features handed to
    /// `sink` instead of gathered into an array.
    pub fn select(
        &self,
        target: Option<&str>,
        features: Option<&[String]>,
        exclude: &[String],
        policy: MissingPolicy,
        sink: &mut dyn ColumnSink,
    ) -> Result<StreamedSelection> {
        let mut wanted: Vec<String> = features.map(<[String]>::to_vec).unwrap_or_default();
        wanted.extend(target.map(str::to_string));
        self.header.require(&wanted)?;
        self.header.require(exclude)?;
        if let Some(f) = features {
            self.header.check_features(target, f)?;
        }
        let n = self.n_rows;
        // the target first: its missing values decide the kept rows as the features' do
        let mut missing_at: Vec<(String, usize, usize)> = Vec::new();
        let mut keep = vec![true; n];
        let y = match target {
            Some(t) => {
                let (v, _) = self.numeric(t)?;
                self.header.refuse_codes(t, &v)?;
                note(t, &v, &mut keep, &mut missing_at);
                Some(v)
            }
            None => None,
        };
        // pass 1: every candidate column read, its missing values noted; while no row is
        // dropped, the features go to the sink as they are read
        sink.start(n);
        let mut chosen = Vec::new();
        let mut given = Given::default();
        let candidates: Vec<String> = match features {
            Some(f) => f.to_vec(),
            None => self
                .column_names()
                .into_iter()
                .filter(|c| Some(c.as_str()) != target && !exclude.contains(c))
                .collect(),
        };
        for name in &candidates {
            let table = self.column(name)?;
            if features.is_none() && !table.is_numeric(name) {
                continue;
            }
            let (v, _) = table.numeric(name)?;
            drop(table);
            self.header.refuse_codes(name, &v)?;
            note(name, &v, &mut keep, &mut missing_at);
            chosen.push(name.clone());
            if missing_at.is_empty() {
                given.offer(name, &v, sink, y.as_deref());
            }
        }
        if chosen.is_empty() {
            return Err(TableError::Invalid {
                path: self.path.clone(),
                message: format!(
                    "no numeric feature columns (columns: {:?})",
                    self.column_names()
                ),
            });
        }
        // the features' missing values are reported before the target's, as in a table
        // read whole
        missing_at.sort_by_key(|(c, _, _)| Some(c.as_str()) == target);
        let missing: Vec<(String, usize)> = missing_at
            .iter()
            .map(|(c, count, _)| (c.clone(), *count))
            .collect();
        if let (MissingPolicy::Error, Some((column, count, first))) = (policy, missing_at.first()) {
            return Err(TableError::Missing {
                path: self.path.clone(),
                column: column.clone(),
                count: *count,
                place: self.header.place(*first),
            });
        }
        let rows = keep.iter().filter(|k| **k).count();
        if rows == 0 {
            return Err(TableError::Invalid {
                path: self.path.clone(),
                message: "no row has all the selected values".into(),
            });
        }
        if rows < n {
            // pass 2: the features again, in the kept rows
            sink.start(rows);
            given = Given::default();
            let y_kept = y.as_ref().map(|y| kept(y.clone(), &keep));
            for name in &chosen {
                let (v, _) = self.numeric(name)?;
                given.offer(name, &kept(v, &keep), sink, y_kept.as_deref());
            }
        }
        let Given {
            features: kept_features,
            constant,
            correlations,
            counters,
        } = given;
        if kept_features.is_empty() {
            return Err(TableError::Invalid {
                path: self.path.clone(),
                message: format!("every feature column is constant: {constant:?}"),
            });
        }
        let y = y.map(|y| if rows < n { kept(y, &keep) } else { y });
        if let (Some(t), Some(yv)) = (target, &y) {
            constant_target(&self.path, t, yv)?;
        }
        Ok(StreamedSelection {
            y,
            features: kept_features,
            target: target.map(str::to_string),
            rows,
            dropped_rows: n - rows,
            missing,
            constant,
            correlations,
            counters,
        })
    }
}

/// The features given to the sink in one pass, and the constant ones left out.
#[derive(Default)]
struct Given {
    features: Vec<String>,
    constant: Vec<String>,
    correlations: Vec<(String, f64)>,
    counters: Vec<String>,
}

impl Given {
    /// Gives the sink a feature's values, unless they are constant, and notes their
    /// correlation with the target `y` (in the same rows).
    fn offer(&mut self, name: &str, values: &[f64], sink: &mut dyn ColumnSink, y: Option<&[f64]>) {
        if is_constant(values.iter().copied()) {
            self.constant.push(name.to_string());
        } else {
            sink.push(values);
            self.features.push(name.to_string());
            if crate::screen::counts_rows(values) {
                self.counters.push(name.to_string());
            }
            if let Some(r) = y.and_then(|y| crate::screen::correlation(values, y)) {
                self.correlations.push((name.to_string(), r));
            }
        }
    }
}

/// Marks the rows where `values` is missing as not kept, and notes the column's count of
/// missing values and the first row of one.
fn note(
    name: &str,
    values: &[f64],
    keep: &mut [bool],
    missing_at: &mut Vec<(String, usize, usize)>,
) {
    let mut count = 0;
    for (k, v) in keep.iter_mut().zip(values) {
        if v.is_nan() {
            *k = false;
            count += 1;
        }
    }
    if count > 0 {
        let first = values.iter().position(|v| v.is_nan()).expect("counted");
        missing_at.push((name.to_string(), count, first));
    }
}

/// The values of the kept rows.
fn kept(values: Vec<f64>, keep: &[bool]) -> Vec<f64> {
    values
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| v)
        .collect()
}

/// Whether every value equals the first.
pub(crate) fn is_constant(mut values: impl Iterator<Item = f64>) -> bool {
    match values.next() {
        Some(first) => values.all(|v| v == first),
        None => true,
    }
}

/// Refuses a target whose kept values are all equal.
pub(crate) fn constant_target(path: &Path, target: &str, y: &[f64]) -> Result<()> {
    match y.first() {
        Some(&first) if is_constant(y.iter().copied()) => Err(TableError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "the target column '{target}' is constant ({first}): nothing to learn"
            ),
        }),
        _ => Ok(()),
    }
}
