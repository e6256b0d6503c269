//! The power model used where no counter can be read.
//!
//! `E = (P_core · t_cpu + P_mem · GB · t_wall) · PUE` (PUE is applied in the report).
//! `P_core` is, best first: a user setting; a calibration file fitted from RAPL on this
//! CPU model (`terrawatt energy calibrate`); the CPU's TDP divided by its physical cores
//! (bundled table, matched on `/proc/cpuinfo`'s model name); 12 W per core, the default
//! of Green Algorithms (Lannelongue et al. 2021) for an unknown processor. `P_mem` is
//! 0.3725 W/GB (Green Algorithms) unless set. `GB` is the process's peak resident memory
//! at the span's end: an upper bound of what the span held.
//!
//! Uncertainty (relative, one band for the whole figure): calibration ±15 %, TDP table
//! ±40 % (TDP is a thermal rating, not a measurement: real draw under full load ranges
//! from about 0.6 to 1.2 × TDP), unknown CPU ±60 %, user setting ±25 % unless the user
//! gives a band.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{MeterError, Result};
use crate::system::CpuInfo;
use crate::tables;

/// Green Algorithms' memory power, W per GB.
pub const MEM_W_PER_GB: f64 = 0.3725;
/// Green Algorithms' per-core power for an unknown processor, W.
pub const UNKNOWN_CPU_W_PER_CORE: f64 = 12.0;

/// Where the per-core power comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum CorePowerSource {
    /// `--cpu-watts-per-core` or TERRAWATT_CPU_W_PER_CORE.
    User,
    /// A calibration file fitted from RAPL.
    Calibration { path: PathBuf, fitted_on: String },
    /// The bundled TDP table.
    TdpTable {
        matched: String,
        tdp_w: f64,
        physical_cores: usize,
    },
    /// Nothing matched: Green Algorithms' default.
    UnknownCpu { model_name: String },
}

/// The stated model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerModel {
    /// Power of one fully busy core, W.
    pub w_per_core: f64,
    pub core_source: CorePowerSource,
    /// Memory power, W per GB.
    pub mem_w_per_gb: f64,
    /// Relative uncertainty (0.4 = ±40 %).
    pub uncertainty: f64,
    /// Why a calibration file was not used (unreadable or damaged), when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A calibration file: per-core power fitted from RAPL on one CPU model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub cpu_model: String,
    /// Slope of package(+DRAM) power over busy cores, W per core.
    pub w_per_core: f64,
    /// Intercept: the machine's power with no core busy, W.
    pub idle_w: f64,
    /// Coefficient of determination of the fit.
    pub r2: f64,
    /// (busy cores, mean power W) pairs the fit used.
    pub points: Vec<(f64, f64)>,
    /// When it was made (RFC 3339).
    pub created: String,
}

impl Calibration {
    /// The default path: `$XDG_CONFIG_HOME/terrawatt/calibration.json`, else
    /// `$HOME/.config/terrawatt/calibration.json`.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("terrawatt").join("calibration.json"))
    }

    /// Reads a calibration file.
    pub fn load(path: &Path) -> Result<Calibration> {
        let text = std::fs::read_to_string(path).map_err(|e| MeterError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| MeterError::parse(path, e.to_string()))
    }

    /// Writes it atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a calibration serialises");
        crate::write_atomic(path, text.as_bytes())
    }
}

/// Normalises a processor name for matching (the rule `tools/gen_meter_tables.py` applies
/// to the table): lower case; cut at the first `@`; every `(…)` span, `®`, `™`, comma and
/// odd space becomes a space; then, word by word, stop at `with radeon`/`w/ radeon`, drop
/// `Nth gen` pairs and the words `intel`, `amd`, `cpu`, `processor`, `apu`.
pub fn normalise_cpu_name(name: &str) -> String {
    let mut s = name.to_lowercase();
    if let Some(at) = s.find('@') {
        s.truncate(at);
    }
    let mut flat = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                flat.push(' ');
            }
            ')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            '®' | '™' | ',' | '\u{a0}' | '\u{200b}' | '\t' | '\r' | '\n' | '\u{c}' => {
                flat.push(' ')
            }
            _ => flat.push(c),
        }
    }
    let words: Vec<&str> = flat.split(' ').filter(|w| !w.is_empty()).collect();
    let ordinal = |w: &str| {
        let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = &w[digits.len()..];
        !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && matches!(suffix, "st" | "nd" | "rd" | "th")
    };
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let next = words.get(i + 1).copied();
        if matches!(w, "with" | "w/") && next == Some("radeon") {
            break;
        }
        if ordinal(w) && next == Some("gen") {
            i += 2;
            continue;
        }
        if !matches!(w, "intel" | "amd" | "cpu" | "processor" | "apu") {
            out.push(w);
        }
        i += 1;
    }
    out.join(" ")
}

/// The table row whose key is the longest contiguous run of the model name's words.
pub fn match_cpu(model_name: &str) -> Option<&'static tables::CpuRow> {
    let norm = normalise_cpu_name(model_name);
    let words: Vec<&str> = norm.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    tables::cpus()
        .iter()
        .filter(|row| {
            let key: Vec<&str> = row.key.split_whitespace().collect();
            !key.is_empty() && words.windows(key.len()).any(|w| w == key.as_slice())
        })
        // a bare number ("6276", a family name lost in the source) matches too much
        .filter(|row| !row.key.chars().all(|c| c.is_ascii_digit()))
        .max_by(|a, b| {
            let words = |k: &str| k.split_whitespace().count();
            words(&a.key)
                .cmp(&words(&b.key))
                .then_with(|| a.key.len().cmp(&b.key.len()))
                .then_with(|| b.key.cmp(&a.key))
        })
}

impl PowerModel {
    /// Chooses the per-core power for this CPU: `user` (with an optional band), else a
    /// calibration file for this CPU model, else the TDP table, else the default.
    pub fn for_cpu(
        cpu: &CpuInfo,
        user: Option<(f64, Option<f64>)>,
        calibration: Option<&Path>,
        mem_w_per_gb: Option<f64>,
    ) -> Result<PowerModel> {
        let mem_w_per_gb = match mem_w_per_gb {
            Some(v) if v.is_finite() && v >= 0.0 => v,
            Some(v) => {
                return Err(MeterError::Setting {
                    name: "memory power",
                    value: v.to_string(),
                    reason: "must be W/GB ≥ 0".into(),
                });
            }
            None => MEM_W_PER_GB,
        };
        if let Some((w, band)) = user {
            if !(w.is_finite() && w > 0.0) {
                return Err(MeterError::Setting {
                    name: "per-core power",
                    value: w.to_string(),
                    reason: "must be W > 0".into(),
                });
            }
            return Ok(PowerModel {
                w_per_core: w,
                core_source: CorePowerSource::User,
                mem_w_per_gb,
                uncertainty: band.unwrap_or(0.25),
                warning: None,
            });
        }
        // a damaged calibration file must not stop every command: it is set aside, said once,
        // and the table (or the default) takes its place
        let mut warning = None;
        if let Some(path) = calibration.filter(|p| p.exists()) {
            match Calibration::load(path) {
                Ok(cal) if cal.cpu_model == cpu.model_name && cal.w_per_core > 0.0 => {
                    return Ok(PowerModel {
                        w_per_core: cal.w_per_core,
                        core_source: CorePowerSource::Calibration {
                            path: path.to_path_buf(),
                            fitted_on: cal.created.clone(),
                        },
                        mem_w_per_gb,
                        uncertainty: 0.15,
                        warning: None,
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    warning = Some(format!(
                        "{e}: the calibration is ignored and the power model falls back to the processor table; recalibrate with `terrawatt energy calibrate` (or remove the file)"
                    ));
                }
            }
        }
        if let Some(row) = match_cpu(&cpu.model_name) {
            let cores = cpu.physical_cores.max(1);
            // TDP is per package: a machine with n sockets has n packages of `cores/n` cores.
            let per_package = (cores / cpu.sockets.max(1)).max(1);
            return Ok(PowerModel {
                w_per_core: row.tdp_w / per_package as f64,
                core_source: CorePowerSource::TdpTable {
                    matched: row.name.clone(),
                    tdp_w: row.tdp_w,
                    physical_cores: per_package,
                },
                mem_w_per_gb,
                uncertainty: 0.40,
                warning,
            });
        }
        Ok(PowerModel {
            w_per_core: UNKNOWN_CPU_W_PER_CORE,
            core_source: CorePowerSource::UnknownCpu {
                model_name: cpu.model_name.clone(),
            },
            mem_w_per_gb,
            uncertainty: 0.60,
            warning,
        })
    }

    /// Joules (before PUE) split into (cpu, memory) for `cpu_s` CPU-seconds, `mem_gb`
    /// resident GB and `wall_s` seconds.
    pub fn joules(&self, cpu_s: f64, mem_gb: f64, wall_s: f64) -> (f64, f64) {
        (
            self.w_per_core * cpu_s.max(0.0),
            self.mem_w_per_gb * mem_gb.max(0.0) * wall_s.max(0.0),
        )
    }

    /// A one-line description.
    pub fn describe(&self) -> String {
        let from = match &self.core_source {
            CorePowerSource::User => "user setting".to_string(),
            CorePowerSource::Calibration { path, .. } => {
                format!("calibration {}", path.display())
            }
            CorePowerSource::TdpTable {
                matched,
                tdp_w,
                physical_cores,
            } => format!("TDP {tdp_w} W of '{matched}' / {physical_cores} cores"),
            CorePowerSource::UnknownCpu { model_name } => format!(
                "'{model_name}' is not in the TDP table: Green Algorithms' default for an unknown CPU"
            ),
        };
        format!(
            "{:.2} W per busy core ({from}) + {} W/GB of resident memory, ±{:.0} %",
            self.w_per_core,
            self.mem_w_per_gb,
            self.uncertainty * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        let cases = [
            ("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", "core i7-8650u"),
            ("AMD Ryzen 7 5800X 8-Core Processor", "ryzen 7 5800x 8-core"),
            ("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", "xeon gold 6248"),
            ("AMD EPYC 7763 64-Core Processor", "epyc 7763 64-core"),
            (
                "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz",
                "core i7-1165g7",
            ),
            ("Intel(R) Core(TM)2 Duo CPU E8400", "core 2 duo e8400"),
            ("Intel(R) Xeon(R) Processor", "xeon"),
            (
                "AMD Ryzen 5 PRO 4650G with Radeon Graphics",
                "ryzen 5 pro 4650g",
            ),
            (
                "AMD Ryzen 7 7840HS w/ Radeon 780M Graphics",
                "ryzen 7 7840hs",
            ),
        ];
        for (name, want) in cases {
            assert_eq!(normalise_cpu_name(name), want, "{name}");
        }
    }

    fn cpu(name: &str, cores: usize, sockets: usize) -> CpuInfo {
        CpuInfo {
            model_name: name.into(),
            logical_cpus: cores * 2,
            physical_cores: cores,
            sockets,
        }
    }

    #[test]
    fn model_sources_in_order() {
        let gold = cpu("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", 40, 2);
        let m = PowerModel::for_cpu(&gold, None, None, None).unwrap();
        match &m.core_source {
            CorePowerSource::TdpTable {
                tdp_w,
                physical_cores,
                ..
            } => {
                assert_eq!(*physical_cores, 20);
                assert!((m.w_per_core - tdp_w / 20.0).abs() < 1e-12);
            }
            other => panic!("expected the TDP table, got {other:?}"),
        }
        let vm = cpu("Intel(R) Xeon(R) Processor", 2, 1);
        let m = PowerModel::for_cpu(&vm, None, None, None).unwrap();
        assert_eq!(m.w_per_core, UNKNOWN_CPU_W_PER_CORE);
        assert_eq!(m.uncertainty, 0.60);
        let m = PowerModel::for_cpu(&vm, Some((7.5, None)), None, Some(0.5)).unwrap();
        assert_eq!(
            (m.w_per_core, m.mem_w_per_gb, m.uncertainty),
            (7.5, 0.5, 0.25)
        );
        assert!(PowerModel::for_cpu(&vm, Some((-1.0, None)), None, None).is_err());
        // 10 CPU-seconds at 7.5 W, 2 GB for 4 s at 0.5 W/GB
        assert_eq!(m.joules(10.0, 2.0, 4.0), (75.0, 4.0));
    }

    #[test]
    fn calibration_roundtrip_and_cpu_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terrawatt/calibration.json");
        let vm = cpu("Intel(R) Xeon(R) Processor", 2, 1);
        let cal = Calibration {
            cpu_model: vm.model_name.clone(),
            w_per_core: 9.25,
            idle_w: 20.0,
            r2: 0.998,
            points: vec![(1.0, 29.2), (2.0, 38.5)],
            created: "2026-11-28T12:00:00Z".into(),
        };
        cal.save(&path).unwrap();
        assert_eq!(Calibration::load(&path).unwrap(), cal);
        let m = PowerModel::for_cpu(&vm, None, Some(&path), None).unwrap();
        assert_eq!(m.w_per_core, 9.25);
        assert_eq!(m.uncertainty, 0.15);
        // a calibration from another CPU model is not used
        let other = cpu("AMD EPYC 7763 64-Core Processor", 64, 1);
        let m = PowerModel::for_cpu(&other, None, Some(&path), None).unwrap();
        assert!(!matches!(
            m.core_source,
            CorePowerSource::Calibration { .. }
        ));
    }
}
