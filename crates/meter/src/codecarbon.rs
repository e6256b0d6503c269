//! Rows in CodeCarbon 3.x's `emissions.csv` format, so that its dashboards read them.
//!
//! Units as CodeCarbon's: duration s, emissions kg CO2e, emissions_rate kg/s, powers W,
//! energies kWh, water L, RAM GiB (CodeCarbon's "GB" is 1024³ bytes). The energies include
//! PUE (so cpu + ram = consumed). `emissions` is operational carbon only (energy × grid
//! intensity), as CodeCarbon's is: embodied emissions and SCI are in the JSON report.
//! GPU power and energy and water are 0.0 where absent (as CodeCarbon writes them);
//! fields CodeCarbon leaves empty without a GPU or Python (gpu_count, gpu_model,
//! python_version, coordinates, wue without a WUE) stay empty. `ram_used_gb` is the
//! process's peak resident set over the task (CodeCarbon's process mode reads the
//! process's resident memory at its last measurement: ours is the peak, an upper bound).
//! A file whose header differs is never written to.

use std::io::Write;
use std::path::Path;

use crate::carbon::IntensityBasis;
use crate::error::{MeterError, Result};
use crate::report::EnergyReport;
use crate::tables;

/// CodeCarbon's 38 columns, in its order.
pub const HEADER: [&str; 38] = [
    "timestamp",
    "project_name",
    "run_id",
    "experiment_id",
    "duration",
    "emissions",
    "emissions_rate",
    "cpu_power",
    "gpu_power",
    "ram_power",
    "cpu_energy",
    "gpu_energy",
    "ram_energy",
    "energy_consumed",
    "water_consumed",
    "country_name",
    "country_iso_code",
    "region",
    "cloud_provider",
    "cloud_region",
    "os",
    "python_version",
    "codecarbon_version",
    "cpu_count",
    "cpu_model",
    "gpu_count",
    "gpu_model",
    "longitude",
    "latitude",
    "ram_total_size",
    "tracking_mode",
    "cpu_utilization_percent",
    "gpu_utilization_percent",
    "ram_utilization_percent",
    "ram_used_gb",
    "on_cloud",
    "pue",
    "wue",
];

/// What the row says beyond the energy report.
#[derive(Debug, Clone, Default)]
pub struct RowContext {
    pub project_name: String,
    pub run_id: String,
    pub experiment_id: String,
    /// `YYYY-MM-DDTHH:MM:SS`, local time, as CodeCarbon writes it.
    pub timestamp: String,
    /// e.g. `Linux-6.1.0-x86_64`.
    pub os: String,
    /// Water usage effectiveness, L/kWh, where known.
    pub wue: Option<f64>,
    /// RAM in use on the machine at the end (fraction 0–1), where known.
    pub ram_utilization: Option<f64>,
}

impl RowContext {
    /// The context of a row written now: a fresh run id (a random version-4 UUID), the
    /// local time, this machine's OS string and its memory in use.
    pub fn now(project_name: &str, experiment_id: &str, wue: Option<f64>) -> RowContext {
        RowContext {
            project_name: project_name.to_string(),
            run_id: run_id(),
            experiment_id: experiment_id.to_string(),
            timestamp: chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            os: os_name(),
            wue,
            ram_utilization: crate::system::memory(Path::new("/proc"))
                .map(|(total, avail)| 1.0 - avail as f64 / total as f64),
        }
    }
}

/// A random version-4 UUID from the kernel's generator.
pub fn run_id() -> String {
    let mut b = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut b);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `Linux-<release>-<machine>`, like Python's platform string.
pub fn os_name() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "Linux-{}-{}",
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

/// The CSV text of one row (preceded by the header where `header`), each field quoted where it
/// holds a comma, a quote or a line break.
fn rows_text(header: bool, values: &[String]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
    // Writing to memory cannot fail.
    if header {
        let _ = writer.write_record(HEADER);
    }
    let _ = writer.write_record(values);
    writer.into_inner().unwrap_or_default()
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// The 38 values of one row.
pub fn row(report: &EnergyReport, ctx: &RowContext) -> Vec<String> {
    let f = &report.footprint;
    let span = &report.span;
    let pue = report.carbon.pue;
    let duration = span.wall_s;
    let kwh = |j: f64| j / 3.6e6;
    let cpu_j = span.energy.cpu_joules * pue;
    let ram_j = span.energy.ram_joules * pue;
    let power = |j: f64| if duration > 0.0 { j / duration } else { 0.0 };
    let (country_name, country_iso, provider, region) = match &report.carbon.grid.basis {
        IntensityBasis::Country { alpha3, name, .. } => {
            (name.clone(), alpha3.clone(), String::new(), String::new())
        }
        IntensityBasis::CloudRegion { provider, region } => {
            let row = tables::cloud_regions()
                .iter()
                .find(|r| &r.provider == provider && &r.region == region);
            (
                row.map(|r| r.country.clone()).unwrap_or_default(),
                row.map(|r| r.alpha3.clone()).unwrap_or_default(),
                provider.clone(),
                region.clone(),
            )
        }
        _ => Default::default(),
    };
    let on_cloud = if provider.is_empty() { "N" } else { "Y" };
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let energy_kwh = kwh(f.joules);
    let values = [
        ctx.timestamp.clone(),
        ctx.project_name.clone(),
        ctx.run_id.clone(),
        ctx.experiment_id.clone(),
        num(duration),
        num(f.operational_g / 1000.0),
        num(if duration > 0.0 {
            f.operational_g / 1000.0 / duration
        } else {
            0.0
        }),
        num(power(cpu_j)),
        num(0.0),
        num(power(ram_j)),
        num(kwh(cpu_j)),
        num(0.0),
        num(kwh(ram_j)),
        num(energy_kwh),
        num(ctx.wue.map_or(0.0, |w| w * energy_kwh)),
        country_name,
        country_iso,
        String::new(),
        provider,
        region,
        ctx.os.clone(),
        String::new(),
        String::new(),
        report.machine.logical_cpus.to_string(),
        report.machine.cpu_model.clone(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        report
            .machine
            .ram_total_bytes
            .map(|b| num(b as f64 / GIB))
            .unwrap_or_default(),
        "process".into(),
        span.machine_busy_share
            .map(|s| num(s * 100.0))
            .unwrap_or_default(),
        String::new(),
        ctx.ram_utilization
            .map(|u| num(u * 100.0))
            .unwrap_or_default(),
        num(span.peak_rss_bytes as f64 / GIB),
        on_cloud.into(),
        num(pue),
        ctx.wue.map(num).unwrap_or_default(),
    ];
    values.into_iter().collect()
}

/// Checks that `path` is absent, empty, or starts with CodeCarbon's header. Call it before
/// the task's work, so that a bad file fails the command before anything is written.
pub fn check(path: &Path) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(MeterError::io(path, e)),
    };
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches('\u{feff}');
    if text.trim().is_empty() || first.trim_end() == HEADER.join(",") {
        Ok(())
    } else {
        Err(MeterError::EmissionsHeader {
            path: path.to_path_buf(),
            found: first.chars().take(120).collect(),
        })
    }
}

/// Appends one row, writing the header first where the file is new or empty.
pub fn append(path: &Path, values: &[String]) -> Result<()> {
    check(path)?;
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut text = Vec::new();
    if len > 0 && !ends_with_newline(path, len)? {
        // a file whose last row has no line end (edited by hand, or cut off): the row starts
        // on a line of its own, never glued onto the last one
        text.push(b'\n');
    }
    text.extend(rows_text(len == 0, values));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| MeterError::io(path, e))?;
    file.write_all(&text).map_err(|e| MeterError::io(path, e))
}

/// Whether the last byte of the file (`len` > 0 bytes) is a line end.
fn ends_with_newline(path: &Path, len: u64) -> Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| MeterError::io(path, e))?;
    f.seek(SeekFrom::Start(len - 1))
        .map_err(|e| MeterError::io(path, e))?;
    let mut b = [0u8; 1];
    f.read_exact(&mut b).map_err(|e| MeterError::io(path, e))?;
    Ok(b[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_codecarbons_38_columns() {
        assert_eq!(HEADER.len(), 38);
        assert_eq!(HEADER[0], "timestamp");
        assert_eq!(HEADER[14], "water_consumed");
        assert_eq!(HEADER[30], "tracking_mode");
        assert_eq!(HEADER[37], "wue");
    }

    #[test]
    fn quoting() {
        let values = ["plain", "a,b", "say \"x\"", ""].map(String::from);
        assert_eq!(
            rows_text(false, &values),
            b"plain,\"a,b\",\"say \"\"x\"\"\",\n"
        );
        let with_header = String::from_utf8(rows_text(true, &values)).unwrap();
        assert!(with_header.starts_with("timestamp,project_name,"));
        assert!(with_header.ends_with(",wue\nplain,\"a,b\",\"say \"\"x\"\"\",\n"));
    }

    #[test]
    fn append_writes_the_header_once_and_refuses_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("emissions.csv");
        let row: Vec<String> = (0..38).map(|i| i.to_string()).collect();
        append(&path, &row).unwrap();
        append(&path, &row).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], HEADER.join(","));
        assert_eq!(lines[1], lines[2]);
        // a last row without its line end: the next row starts on a new line (issue 18)
        let cut = text.trim_end_matches('\n').to_string();
        std::fs::write(&path, &cut).unwrap();
        append(&path, &row).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines.iter().skip(1).all(|l| l.split(',').count() == 38));

        let other = dir.path().join("other.csv");
        std::fs::write(&other, "a,b,c\n1,2,3\n").unwrap();
        let err = append(&other, &row).unwrap_err();
        assert!(matches!(err, MeterError::EmissionsHeader { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "a,b,c\n1,2,3\n");
        // an empty file takes the header
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        append(&empty, &row).unwrap();
        assert!(
            std::fs::read_to_string(&empty)
                .unwrap()
                .starts_with("timestamp,")
        );
    }
}
