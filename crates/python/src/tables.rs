//! Tables across the boundary through the Arrow C stream interface
//! (<https://arrow.apache.org/docs/format/CStreamInterface.html>, PyCapsule protocol):
//! any object with `__arrow_c_stream__` (pandas ≥ 2.2, polars, pyarrow) comes in as a
//! polars frame; a result table goes out as an object with `__arrow_c_stream__` that each
//! of them reads.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_arrow::array::{Array, StructArray, new_empty_array};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_arrow::ffi::{ArrowArrayStream, ArrowArrayStreamReader, export_iterator};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A result table: read it with `pyarrow.table(t)`, `polars.DataFrame(t)` or
/// `pandas.DataFrame.from_arrow(t)` (pandas ≥ 3), or through the package's `Table`.
#[pyclass(frozen, module = "terrawatt._terrawatt")]
#[derive(Debug)]
pub struct ArrowTable {
    df: DataFrame,
    /// The one UTC offset of every text time stamp read (e.g. `-06:00`), where they share one.
    offset: Option<String>,
}

#[pymethods]
impl ArrowTable {
    /// The Arrow C stream of the table (one struct array per chunk).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // a requested schema is a request, not a demand: the table's own is given
        let _ = requested_schema;
        let stream = export(&self.df)?;
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The one UTC offset every time stamp of the file was written with (`-06:00`), or
    /// None (several offsets: a zone with daylight saving; or no text stamps).
    #[getter]
    fn offset(&self) -> Option<String> {
        self.offset.clone()
    }

    #[getter]
    fn num_rows(&self) -> usize {
        self.df.height()
    }

    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    fn __len__(&self) -> usize {
        self.df.height()
    }
}

/// The frame as an Arrow C stream: one struct array per chunk, with the oldest Arrow types
/// (large strings, not string views), which every reader takes.
fn export(df: &DataFrame) -> PyResult<ArrowArrayStream> {
    let mut df = df.clone();
    df.align_chunks();
    let level = CompatLevel::oldest();
    let fields: Vec<ArrowField> = df
        .columns()
        .iter()
        .map(|c| c.field().to_arrow(level))
        .collect();
    let dtype = ArrowDataType::Struct(fields);
    let height = df.height();
    let chunks: Vec<PolarsResult<Box<dyn Array>>> = if df.width() == 0 {
        vec![]
    } else {
        let mut out = Vec::new();
        for batch in df.iter_chunks(level, false) {
            let len = batch.len();
            out.push(
                StructArray::try_new(dtype.clone(), len, batch.into_arrays(), None)
                    .map(|a| a.boxed()),
            );
        }
        if out.is_empty() {
            out.push(Ok(new_empty_array(dtype.clone())));
        }
        out
    };
    let _ = height;
    let field = ArrowField::new("".into(), dtype, false);
    Ok(export_iterator(Box::new(chunks.into_iter()), field))
}

/// Reads an object with `__arrow_c_stream__` into a frame; `name` names it in errors.
pub fn import(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<DataFrame> {
    if !obj.hasattr("__arrow_c_stream__")? {
        return Err(PyTypeError::new_err(format!(
            "{name}: a table is expected (a pandas ≥ 2.2, polars or pyarrow table: an object with __arrow_c_stream__), got {}",
            obj.get_type().name()?
        )));
    }
    let capsule = obj.call_method0("__arrow_c_stream__")?;
    let capsule = capsule
        .cast::<PyCapsule>()
        .map_err(|_| PyTypeError::new_err(format!("{name}: __arrow_c_stream__ gave no capsule")))?;
    let ptr = capsule
        .pointer_checked(Some(c"arrow_array_stream"))?
        .as_ptr()
        .cast::<ArrowArrayStream>();
    // SAFETY: the capsule named `arrow_array_stream` holds a C stream (the interface's
    // contract); it is moved out, leaving a released one for the capsule's destructor.
    let stream = unsafe { std::ptr::replace(ptr, ArrowArrayStream::empty()) };
    let fail = |e: PolarsError| value_error(format!("{name}: reading its Arrow stream: {e}"));
    // SAFETY: as above.
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream)) }.map_err(fail)?;
    let ArrowDataType::Struct(fields) = reader.field().dtype.to_storage().clone() else {
        return Err(value_error(format!(
            "{name}: its Arrow stream holds no table (no struct of columns)"
        )));
    };
    let mut frame: Option<DataFrame> = None;
    // SAFETY: the reader reads a C stream that keeps the interface's contract.
    while let Some(chunk) = unsafe { reader.next() } {
        let chunk = chunk.map_err(fail)?;
        let chunk = chunk
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| value_error(format!("{name}: a chunk of its stream is not a table")))?;
        let df = columns(&fields, chunk.values(), name)?;
        match &mut frame {
            None => frame = Some(df),
            Some(f) => {
                f.vstack_mut_owned(df).map_err(fail)?;
            }
        }
    }
    match frame {
        Some(mut f) => {
            f.rechunk_mut();
            Ok(f)
        }
        None => {
            let empty: Vec<Box<dyn Array>> = fields
                .iter()
                .map(|f| new_empty_array(f.dtype.clone()))
                .collect();
            columns(&fields, &empty, name)
        }
    }
}

fn columns(fields: &[ArrowField], arrays: &[Box<dyn Array>], name: &str) -> PyResult<DataFrame> {
    let cols = fields
        .iter()
        .zip(arrays)
        .map(|(f, a)| {
            Series::from_arrow(f.name.clone(), a.clone())
                .map(Column::from)
                .map_err(|e| value_error(format!("{name}: column '{}': {e}", f.name)))
        })
        .collect::<PyResult<Vec<Column>>>()?;
    DataFrame::new_infer_height(cols).map_err(|e| value_error(format!("{name}: {e}")))
}

/// Writes a table (any object with `__arrow_c_stream__`) to a Parquet file, for a command
/// to read; returns (rows, columns, the time zone of its first zoned datetime column).
#[pyfunction]
fn write_parquet(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    path: PathBuf,
    name: &str,
) -> PyResult<(usize, usize, Option<String>)> {
    let mut df = import(table, name)?;
    let shape = df.shape();
    let tz = df.columns().iter().find_map(|c| match c.dtype() {
        DataType::Datetime(_, Some(tz)) => Some(tz.to_string()),
        _ => None,
    });
    py.detach(move || {
        let file = std::fs::File::create(&path)
            .map_err(|e| value_error(format!("{}: {e}", path.display())))?;
        ParquetWriter::new(file)
            .finish(&mut df)
            .map_err(|e| value_error(format!("{name}: writing {}: {e}", path.display())))?;
        Ok::<_, PyErr>(())
    })?;
    Ok((shape.0, shape.1, tz))
}

/// Reads a table a command wrote (CSV, gzip too, or Parquet), the time stamps in text
/// (with their UTC offsets) as UTC datetimes.
#[pyfunction]
fn read_table(py: Python<'_>, path: PathBuf) -> PyResult<ArrowTable> {
    py.detach(move || read(&path))
        .map(|(df, offset)| ArrowTable { df, offset })
}

/// The frame, text stamps as UTC instants and empty text columns as missing numbers, and
/// the one offset the stamps share.
fn read(path: &Path) -> PyResult<(DataFrame, Option<String>)> {
    let t = terrawatt_table::Table::read(path).map_err(value_error)?;
    let mut df = t.df;
    let names: Vec<PlSmallStr> = df.get_column_names().into_iter().cloned().collect();
    let mut offsets: Vec<i32> = Vec::new();
    for n in names {
        let col = df.column(&n).map_err(value_error)?;
        if col.dtype() != &DataType::String {
            continue;
        }
        let text = col.str().map_err(value_error)?;
        if text.null_count() == text.len() || text.iter().all(|v| v.is_none_or(str::is_empty)) {
            // a column with no value at all (e.g. an optional output left empty)
            let empty = Float64Chunked::full_null(n.clone(), text.len()).into_column();
            df.with_column(empty).map_err(value_error)?;
        } else if let Some((times, seen)) = stamps(text) {
            offsets.extend(seen);
            df.with_column(times.with_name(n)).map_err(value_error)?;
        }
    }
    offsets.sort_unstable();
    offsets.dedup();
    let offset = match offsets.as_slice() {
        [o] => Some(format!(
            "{}{:02}:{:02}",
            if *o < 0 { '-' } else { '+' },
            o.abs() / 3600,
            o.abs() % 3600 / 60
        )),
        _ => None,
    };
    Ok((df, offset))
}

/// A text column of time stamps with offsets as UTC datetimes (µs) and the offsets seen,
/// or None where any value is not one (or none is present).
fn stamps(col: &StringChunked) -> Option<(Column, Vec<i32>)> {
    let mut seen: Vec<i32> = Vec::new();
    let mut out: Vec<Option<i64>> = Vec::with_capacity(col.len());
    for v in col.iter() {
        match v {
            None => out.push(None),
            Some(s) => {
                // a time stamp has a date, a 'T' or space, and an offset or Z
                if s.len() < 20 || !s.as_bytes()[4].eq(&b'-') {
                    return None;
                }
                let stamp = terrawatt_table::time::parse_stamp(s, None).ok()?;
                if !seen.contains(&stamp.offset) {
                    seen.push(stamp.offset);
                }
                out.push(Some(stamp.t * 1_000_000));
            }
        }
    }
    if seen.is_empty() {
        return None;
    }
    let micros = Int64Chunked::from_iter_options("".into(), out.into_iter());
    let dt = micros.into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    Some((dt.into_series().into_column(), seen))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ArrowTable>()?;
    m.add_function(wrap_pyfunction!(write_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(read_table, m)?)?;
    Ok(())
}
