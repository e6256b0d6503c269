//! The bundled tables, derived from CodeCarbon 3.3.2's data files by
//! `tools/gen_meter_tables.py` (see `crates/meter/data/README.md`).

use std::sync::OnceLock;

const GRID_CSV: &str = include_str!("../data/grid_intensity.csv");
const CLOUD_CSV: &str = include_str!("../data/cloud_regions.csv");
const CPU_CSV: &str = include_str!("../data/cpu_tdp.csv");

/// Splits one CSV record (RFC 4180 quoting: a doubled quote inside quotes is one quote; no
/// embedded newlines); an empty line is one empty field. The line reader of the crates that
/// read small CSV files line by line (the bundled tables here, solar's and wind's files).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(str::to_string).collect(),
        _ => vec![String::new()],
    }
}

fn rows(csv: &'static str) -> impl Iterator<Item = Vec<String>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(split_csv_line)
}

/// One country of the grid-intensity table.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryRow {
    pub alpha3: String,
    pub alpha2: String,
    pub name: String,
    pub g_per_kwh: f64,
    pub year: u16,
    pub total_twh: f64,
    pub source: String,
}

/// One cloud region.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudRow {
    pub provider: String,
    pub region: String,
    pub alpha3: String,
    pub country: String,
    pub g_per_kwh: f64,
    pub source: String,
}

/// One processor model and its thermal design power.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuRow {
    pub name: String,
    /// The normalised key (see [`crate::model::normalise_cpu_name`]).
    pub key: String,
    pub tdp_w: f64,
}

/// The per-country grid intensities.
pub fn countries() -> &'static [CountryRow] {
    static T: OnceLock<Vec<CountryRow>> = OnceLock::new();
    T.get_or_init(|| {
        rows(GRID_CSV)
            .filter_map(|r| {
                Some(CountryRow {
                    alpha3: r.first()?.clone(),
                    alpha2: r.get(1)?.clone(),
                    name: r.get(2)?.clone(),
                    g_per_kwh: r.get(3)?.parse().ok()?,
                    year: r.get(4)?.parse().ok()?,
                    total_twh: r.get(5)?.parse().unwrap_or(0.0),
                    source: r.get(6)?.clone(),
                })
            })
            .collect()
    })
}

/// The cloud regions.
pub fn cloud_regions() -> &'static [CloudRow] {
    static T: OnceLock<Vec<CloudRow>> = OnceLock::new();
    T.get_or_init(|| {
        rows(CLOUD_CSV)
            .filter_map(|r| {
                Some(CloudRow {
                    provider: r.first()?.clone(),
                    region: r.get(1)?.clone(),
                    alpha3: r.get(2)?.clone(),
                    country: r.get(3)?.clone(),
                    g_per_kwh: r.get(4)?.parse().ok()?,
                    source: r.get(5)?.clone(),
                })
            })
            .collect()
    })
}

/// The processor table.
pub fn cpus() -> &'static [CpuRow] {
    static T: OnceLock<Vec<CpuRow>> = OnceLock::new();
    T.get_or_init(|| {
        rows(CPU_CSV)
            .filter_map(|r| {
                Some(CpuRow {
                    name: r.first()?.clone(),
                    key: r.get(1)?.clone(),
                    tdp_w: r.get(2)?.parse().ok()?,
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_split_with_quotes() {
        let cases: [(&str, &[&str]); 6] = [
            ("", &[""]),
            ("a,", &["a", ""]),
            ("a,b,c", &["a", "b", "c"]),
            (
                "\"Korea, Republic of\",KR,1",
                &["Korea, Republic of", "KR", "1"],
            ),
            ("x,,y", &["x", "", "y"]),
            ("\"say \"\"hi\"\"\",2", &["say \"hi\"", "2"]),
        ];
        for (line, want) in cases {
            assert_eq!(split_csv_line(line), want, "{line}");
        }
    }
}
