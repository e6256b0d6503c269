//! Linux powercap RAPL (`/sys/class/powercap/intel-rapl:*`), Intel and AMD.
//!
//! Each zone directory holds `name` (`package-0`, `dram`, `core`, `uncore`, `psys`),
//! `energy_uj` (a counter in µJ that wraps to 0 after `max_energy_range_uj`) and
//! `max_energy_range_uj`. Package and DRAM zones are summed; `core` and `uncore` are
//! parts of a package and are not added again; `psys` (the whole platform) is used alone
//! where no package zone exists. `intel-rapl-mmio` zones repeat the package counter and
//! are skipped. Xeon 6 (Granite Rapids, Sierra Forest) and later report through the TPMI
//! driver, as `intel-rapl-tpmi:*` zones of the same layout: they are read where no
//! `intel-rapl:*` package zone exists (never both, which would count a package twice).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{MeterError, Result};
use crate::source::{DomainKind, Unavailable};

/// Where the kernel puts powercap zones.
pub const DEFAULT_ROOT: &str = "/sys/class/powercap";

/// One RAPL zone that the meter reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaplZone {
    /// The zone's `name` file, e.g. `package-0`, `dram`.
    pub name: String,
    pub kind: DomainKind,
    /// The zone directory.
    pub dir: PathBuf,
    /// The counter's range: it wraps to 0 after this many µJ.
    pub max_energy_range_uj: u64,
}

/// The RAPL zones to read, found under a powercap root.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rapl {
    pub zones: Vec<RaplZone>,
}

/// Energy in µJ from `start` to `end` of a counter that wraps to 0 after `max_range_uj`.
/// One wrap at most is detectable between two readings: read at least once per wrap
/// period (the report flags spans long enough to have wrapped twice).
pub fn wrap_delta(start: u64, end: u64, max_range_uj: u64) -> u64 {
    if end >= start {
        end - start
    } else {
        max_range_uj.saturating_sub(start) + end
    }
}

fn read_u64(path: &Path) -> Result<u64, std::io::Error> {
    let text = std::fs::read_to_string(path)?;
    text.trim().parse().map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a whole number: '{}'", text.trim()),
        )
    })
}

fn classify(name: &str) -> DomainKind {
    if name.starts_with("package") {
        DomainKind::Package
    } else if name == "dram" {
        DomainKind::Dram
    } else if name == "psys" {
        DomainKind::Platform
    } else {
        DomainKind::Part
    }
}

/// The fix for unreadable `energy_uj` files (root-only since Linux 5.10, CVE-2020-8694).
/// A world-readable counter reopens that side channel (PLATYPUS: power readings leak
/// secrets of other users' code), so a group the user belongs to comes first.
pub fn permission_fix() -> String {
    "give one group read access, not everyone: a world-readable energy_uj reopens CVE-2020-8694 (PLATYPUS, a power side channel). \
     E.g. `sudo groupadd -f power && sudo usermod -aG power $USER` and a tmpfiles.d line \
     `z /sys/class/powercap/intel-rapl:*/energy_uj 0440 root power -` (or an ACL: setfacl -m g:power:r …). \
     Only on a single-user machine: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj"
        .to_string()
}

impl Rapl {
    /// Finds the zones under `root` and checks that each counter can be read.
    pub fn probe(root: &Path) -> Result<Rapl, Unavailable> {
        let entries = match std::fs::read_dir(root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Unavailable::Absent(format!(
                    "{} does not exist (no powercap driver: usual in virtual machines and containers)",
                    root.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Unavailable::PermissionDenied {
                    reason: format!("{}: {e}", root.display()),
                    fix: permission_fix(),
                });
            }
            Err(e) => return Err(Unavailable::Unsupported(format!("{}: {e}", root.display()))),
        };
        let all: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        let named = |prefix: &str| {
            let mut v: Vec<PathBuf> = all
                .iter()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
                })
                .cloned()
                .collect();
            v.sort();
            v
        };
        let msr = named("intel-rapl:");
        let tpmi = named("intel-rapl-tpmi:");
        let msr_has_package = msr.iter().any(|d| {
            std::fs::read_to_string(d.join("name")).is_ok_and(|n| n.trim().starts_with("package"))
        });
        let dirs = if msr_has_package || tpmi.is_empty() {
            msr
        } else {
            tpmi
        };
        if dirs.is_empty() {
            return Err(Unavailable::Absent(format!(
                "{} holds no intel-rapl or intel-rapl-tpmi zone (no RAPL driver loaded)",
                root.display()
            )));
        }
        let mut zones = Vec::new();
        for dir in dirs {
            let name = match std::fs::read_to_string(dir.join("name")) {
                Ok(n) => n.trim().to_string(),
                Err(e) => {
                    return Err(Unavailable::Unsupported(format!(
                        "{}: {e}",
                        dir.join("name").display()
                    )));
                }
            };
            let kind = classify(&name);
            if kind == DomainKind::Part {
                continue;
            }
            let energy = dir.join("energy_uj");
            if let Err(e) = read_u64(&energy) {
                return Err(match e.kind() {
                    std::io::ErrorKind::PermissionDenied => Unavailable::PermissionDenied {
                        reason: format!("{}: {e}", energy.display()),
                        fix: permission_fix(),
                    },
                    _ => Unavailable::Unsupported(format!("{}: {e}", energy.display())),
                });
            }
            let range_path = dir.join("max_energy_range_uj");
            let max_energy_range_uj = match read_u64(&range_path) {
                Ok(v) if v > 0 => v,
                Ok(_) => {
                    return Err(Unavailable::Unsupported(format!(
                        "{}: a zero range",
                        range_path.display()
                    )));
                }
                Err(e) => {
                    return Err(Unavailable::Unsupported(format!(
                        "{}: {e}",
                        range_path.display()
                    )));
                }
            };
            zones.push(RaplZone {
                name,
                kind,
                dir,
                max_energy_range_uj,
            });
        }
        let has_package = zones.iter().any(|z| z.kind == DomainKind::Package);
        zones.retain(|z| {
            if has_package {
                z.kind != DomainKind::Platform
            } else {
                z.kind == DomainKind::Platform
            }
        });
        if zones.is_empty() {
            return Err(Unavailable::Unsupported(format!(
                "{} has RAPL zones but neither a package nor a psys zone",
                root.display()
            )));
        }
        Ok(Rapl { zones })
    }

    /// Reads every zone's counter (µJ).
    pub fn read(&self) -> Result<Vec<u64>> {
        self.zones
            .iter()
            .map(|z| {
                let p = z.dir.join("energy_uj");
                read_u64(&p).map_err(|e| MeterError::io(&p, e))
            })
            .collect()
    }

    /// Joules per zone between two readings, wrap-safe.
    pub fn joules_between(&self, start: &[u64], end: &[u64]) -> Vec<f64> {
        self.zones
            .iter()
            .zip(start.iter().zip(end))
            .map(|(z, (&a, &b))| wrap_delta(a, b, z.max_energy_range_uj) as f64 * 1e-6)
            .collect()
    }

    /// The shortest counter range in joules (the energy after which a counter wraps).
    pub fn min_range_j(&self) -> f64 {
        self.zones
            .iter()
            .map(|z| z.max_energy_range_uj as f64 * 1e-6)
            .fold(f64::INFINITY, f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_delta_cases() {
        // (start, end, range) -> expected µJ
        let cases = [
            (100, 350, 1_000, 250),
            (900, 100, 1_000, 200),
            (0, 0, 1_000, 0),
            (262_143_328_850, 1_000_000, 262_143_328_850, 1_000_000),
        ];
        for (a, b, r, want) in cases {
            assert_eq!(wrap_delta(a, b, r), want, "wrap_delta({a}, {b}, {r})");
        }
    }
}
