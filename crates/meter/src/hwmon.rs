//! AMD's per-socket energy counters through hwmon, where powercap has no RAPL zone: the
//! `amd_energy` driver (in Linux 5.8–5.12, out of tree since) and the community `zenergy`
//! driver. Each `/sys/class/hwmon/hwmonN` whose `name` is one of them holds
//! `energyK_input` (µJ, 64-bit accumulators the driver keeps, so no wrap) and
//! `energyK_label` (`Ecore000`… per core, `Esocket0`… per socket). The socket counters are
//! summed; the core counters are parts of them and are not added again.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{MeterError, Result};
use crate::source::{DomainKind, Unavailable};

/// One socket counter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SocketCounter {
    /// `Esocket0`, …
    pub label: String,
    /// The `energyK_input` file.
    pub input: PathBuf,
}

/// The socket counters of the AMD energy driver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmdEnergy {
    pub driver: String,
    pub sockets: Vec<SocketCounter>,
}

fn read_u64(path: &Path) -> std::io::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    text.trim().parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a whole number: '{}'", text.trim()),
        )
    })
}

impl AmdEnergy {
    /// Finds the driver under `<sysfs_root>/class/hwmon` and checks its socket counters.
    pub fn probe(sysfs_root: &Path) -> Result<AmdEnergy, Unavailable> {
        let root = sysfs_root.join("class/hwmon");
        let Ok(entries) = std::fs::read_dir(&root) else {
            return Err(Unavailable::Absent(format!(
                "{} does not exist (no hwmon devices, so no amd_energy driver)",
                root.display()
            )));
        };
        let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            let name = std::fs::read_to_string(dir.join("name")).unwrap_or_default();
            let name = name.trim();
            if name != "amd_energy" && name != "zenergy" {
                continue;
            }
            let mut sockets = Vec::new();
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|e| e.filter_map(|e| e.ok()).map(|e| e.path()).collect())
                .unwrap_or_default();
            files.sort();
            for label_path in files.iter().filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with("_label"))
            }) {
                let label = std::fs::read_to_string(label_path).unwrap_or_default();
                let label = label.trim().to_string();
                if !label.starts_with("Esocket") {
                    continue;
                }
                let input = PathBuf::from(label_path.to_string_lossy().replace("_label", "_input"));
                if let Err(e) = read_u64(&input) {
                    return Err(match e.kind() {
                        std::io::ErrorKind::PermissionDenied => Unavailable::PermissionDenied {
                            reason: format!("{}: {e}", input.display()),
                            fix: "the energy counters are root-only (a power side channel, as CVE-2020-8694): give one group read access with a udev rule rather than everyone".into(),
                        },
                        _ => Unavailable::Unsupported(format!("{}: {e}", input.display())),
                    });
                }
                sockets.push(SocketCounter { label, input });
            }
            if sockets.is_empty() {
                return Err(Unavailable::Unsupported(format!(
                    "{} ({name}) has no Esocket counter",
                    dir.display()
                )));
            }
            return Ok(AmdEnergy {
                driver: name.to_string(),
                sockets,
            });
        }
        Err(Unavailable::Absent(format!(
            "no amd_energy or zenergy hwmon device under {} (out of tree since Linux 5.13)",
            root.display()
        )))
    }

    /// Reads each socket counter (µJ).
    pub fn read(&self) -> Result<Vec<u64>> {
        self.sockets
            .iter()
            .map(|s| read_u64(&s.input).map_err(|e| MeterError::io(&s.input, e)))
            .collect()
    }

    /// Joules per socket between two readings (a counter that goes back was reset: 0).
    pub fn joules_between(&self, start: &[u64], end: &[u64]) -> Vec<f64> {
        start
            .iter()
            .zip(end)
            .map(|(&a, &b)| b.saturating_sub(a) as f64 * 1e-6)
            .collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.sockets.iter().map(|s| s.label.clone()).collect()
    }

    pub fn kinds(&self) -> Vec<DomainKind> {
        vec![DomainKind::Package; self.sockets.len()]
    }
}
