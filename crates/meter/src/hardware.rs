//! What physical processor a machine (or a virtual machine's host) has: the
//! microarchitecture from `/proc/cpuinfo`'s family/model numbers (x86) or CPU part (ARM),
//! the physical package's cores and threads per socket from the topology table (the TDP
//! stays in the TDP table), and Cloud Carbon
//! Footprint's watts per logical CPU by microarchitecture (see `data/README.md`).

use std::sync::OnceLock;

use serde::Serialize;

use crate::system::CpuInfo;
use crate::tables::split_csv_line;

const TOPOLOGY_CSV: &str = include_str!("../data/cpu_topology.csv");
const CCF_CSV: &str = include_str!("../data/ccf_coefficients.csv");

/// One processor model's physical package: cores and hardware threads per socket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopologyRow {
    pub name: String,
    /// The normalised key (see [`crate::model::normalise_cpu_name`]).
    pub key: String,
    pub cores: usize,
    pub threads: usize,
    pub microarchitecture: String,
    pub source: String,
}

/// Watts per logical CPU (vCPU) at idle and at full load for one microarchitecture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CcfRow {
    pub microarchitecture: String,
    pub min_w: f64,
    pub max_w: f64,
    pub source: String,
}

/// The topology table.
pub fn topology() -> &'static [TopologyRow] {
    static T: OnceLock<Vec<TopologyRow>> = OnceLock::new();
    T.get_or_init(|| {
        TOPOLOGY_CSV
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(split_csv_line)
            .filter_map(|r| {
                Some(TopologyRow {
                    name: r.first()?.clone(),
                    key: r.get(1)?.clone(),
                    cores: r.get(2)?.parse().ok()?,
                    threads: r.get(3)?.parse().ok()?,
                    microarchitecture: r.get(4)?.clone(),
                    source: r.get(5)?.clone(),
                })
            })
            .collect()
    })
}

/// Cloud Carbon Footprint's coefficients by microarchitecture.
pub fn ccf() -> &'static [CcfRow] {
    static T: OnceLock<Vec<CcfRow>> = OnceLock::new();
    T.get_or_init(|| {
        CCF_CSV
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(split_csv_line)
            .filter_map(|r| {
                Some(CcfRow {
                    microarchitecture: r.first()?.clone(),
                    min_w: r.get(1)?.parse().ok()?,
                    max_w: r.get(2)?.parse().ok()?,
                    source: r.get(3)?.clone(),
                })
            })
            .collect()
    })
}

/// The coefficients of one microarchitecture (`average` for the fleet average).
pub fn ccf_for(microarchitecture: &str) -> Option<&'static CcfRow> {
    ccf()
        .iter()
        .find(|r| r.microarchitecture == microarchitecture)
}

/// The topology row whose key is the longest run of the model name's words.
pub fn match_topology(model_name: &str) -> Option<&'static TopologyRow> {
    let norm = crate::model::normalise_cpu_name(model_name);
    let words: Vec<&str> = norm.split_whitespace().collect();
    topology()
        .iter()
        .filter(|row| {
            let key: Vec<&str> = row.key.split_whitespace().collect();
            !key.is_empty() && words.windows(key.len()).any(|w| w == key.as_slice())
        })
        .max_by_key(|row| (row.key.split_whitespace().count(), row.key.len()))
}

/// The microarchitecture `/proc/cpuinfo`'s numbers identify (server parts and the client
/// families Cloud Carbon Footprint names), with how it was known. Intel family 6 and AMD
/// families 0x17/0x19/0x1A model numbers as the Linux kernel's `intel-family.h` and AMD's
/// processor programming references list them; ARM parts as `cputype.h`.
pub fn microarchitecture(cpu: &CpuInfo) -> Option<&'static str> {
    if let (Some(0x41), Some(part)) = (cpu.arm_implementer, cpu.arm_part) {
        return match part {
            0xd08 => Some("Graviton"),
            0xd0c => Some("Graviton2"),
            0xd40 => Some("Graviton3"),
            0xd4f => Some("Graviton4"),
            _ => None,
        };
    }
    let (family, model) = (cpu.family?, cpu.model?);
    match cpu.vendor.as_str() {
        "GenuineIntel" if family == 6 => match model {
            42 | 45 => Some("Sandy Bridge"),
            58 | 62 => Some("Ivy Bridge"),
            60 | 63 | 69 | 70 => Some("Haswell"),
            61 | 71 | 79 | 86 => Some("Broadwell"),
            78 | 94 => Some("Skylake"),
            85 => match cpu.stepping {
                Some(s) if (5..=7).contains(&s) => Some("Cascade Lake"),
                Some(s) if s >= 10 => Some("Cooper Lake"),
                _ => Some("Skylake"),
            },
            142 | 158 => Some("Coffee Lake"),
            106 | 108 => Some("Ice Lake"),
            143 => Some("Sapphire Rapids"),
            207 => Some("Emerald Rapids"),
            _ => None,
        },
        "AuthenticAMD" => match (family, model) {
            (0x17, 0x01) => Some("EPYC 1st Gen"),
            (0x17, 0x31) => Some("EPYC 2nd Gen"),
            (0x19, 0x01) => Some("EPYC 3rd Gen"),
            (0x19, 0x11) | (0x19, 0xa0) => Some("EPYC 4th Gen"),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load_and_are_sane() {
        assert!(topology().len() >= 20);
        for r in topology() {
            assert!(r.threads >= r.cores && r.cores > 0, "{r:?}");
            assert_eq!(crate::model::normalise_cpu_name(&r.name), r.key, "{r:?}");
            assert!(
                ccf_for(&r.microarchitecture).is_some(),
                "{} has no coefficient row",
                r.microarchitecture
            );
        }
        for r in ccf() {
            assert!(0.0 < r.min_w && r.min_w < r.max_w, "{r:?}");
        }
        assert!(ccf_for("average").is_some());
    }
}
