//! Weather tables with a two-row header (variable name, height in m), as windpowerlib
//! writes them: `variable_name,pressure,temperature,wind_speed,…` then
//! `height,0,2,10,…`, then rows with a timestamp carrying its UTC offset.

use std::path::{Path, PathBuf};

/// One variable measured at one height.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub variable: String,
    pub height: f64,
    pub values: Vec<f64>,
}

/// A weather table.
#[derive(Debug, Clone)]
pub struct WindWeather {
    pub path: PathBuf,
    /// Unix seconds of each row.
    pub times: Vec<i64>,
    pub columns: Vec<Column>,
}

/// Errors reading a weather table; each names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum WeatherError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl WindWeather {
    pub fn read(path: &Path) -> Result<WindWeather, WeatherError> {
        let text = std::fs::read_to_string(path).map_err(|e| WeatherError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let invalid = |m: String| WeatherError::Invalid {
            path: path.to_path_buf(),
            message: m,
        };
        let mut lines = text.lines();
        let names: Vec<&str> = lines
            .next()
            .ok_or_else(|| invalid("the file is empty".into()))?
            .split(',')
            .collect();
        let heights: Vec<&str> = lines
            .next()
            .ok_or_else(|| invalid("no height line".into()))?
            .split(',')
            .collect();
        if heights.first().map(|h| h.trim()) != Some("height") || heights.len() != names.len() {
            return Err(invalid(
                "line 2: expected 'height,' and one height per variable".into(),
            ));
        }
        let mut columns: Vec<Column> = Vec::new();
        for (n, h) in names[1..].iter().zip(&heights[1..]) {
            columns.push(Column {
                variable: n.trim().to_string(),
                height: h
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("line 2: height '{h}' is not a number")))?,
                values: Vec::new(),
            });
        }
        let mut times = Vec::new();
        for (k, line) in lines.enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let lineno = k + 3;
            let f: Vec<&str> = line.split(',').collect();
            let t = chrono::DateTime::parse_from_str(f[0].trim(), "%Y-%m-%d %H:%M:%S%:z")
                .or_else(|_| chrono::DateTime::parse_from_rfc3339(f[0].trim()))
                .map_err(|_| {
                    invalid(format!(
                        "line {lineno}: '{}' is not a timestamp with a UTC offset",
                        f[0]
                    ))
                })?;
            times.push(t.timestamp());
            for (c, v) in columns.iter_mut().zip(&f[1..]) {
                let v = v.trim();
                c.values.push(if v.is_empty() {
                    f64::NAN
                } else {
                    v.parse().map_err(|_| {
                        invalid(format!(
                            "line {lineno}: '{v}' in {} is not a number",
                            c.variable
                        ))
                    })?
                });
            }
        }
        if times.is_empty() {
            return Err(invalid(
                "no data rows after the header: nothing to simulate".into(),
            ));
        }
        for w in times.windows(2) {
            if w[1] <= w[0] {
                return Err(invalid("timestamps are not strictly increasing".into()));
            }
        }
        Ok(WindWeather {
            path: path.to_path_buf(),
            times,
            columns,
        })
    }

    /// The column of `variable` whose height is closest to `height` (the first on a tie).
    pub fn closest(&self, variable: &str, height: f64) -> Option<&Column> {
        self.columns
            .iter()
            .filter(|c| c.variable == variable)
            .min_by(|a, b| {
                (a.height - height)
                    .abs()
                    .total_cmp(&(b.height - height).abs())
            })
    }
}
