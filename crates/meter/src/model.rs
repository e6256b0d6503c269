//! The power model used where no counter can be read, and the machine's idle power that
//! the counters' attribution needs.
//!
//! The unit of power is the **logical CPU of the physical package**: a busy logical CPU
//! (a vCPU in a virtual machine, a hardware thread on bare metal) draws `P_max`, an idle
//! one `P_min`. The machine's power at utilisation `u` is `n · (P_min + u · (P_max −
//! P_min))` — Cloud Carbon Footprint's linear model — and a span is charged by the one
//! convention the counters use too ([`crate::meter::attribute`]): busy CPU-seconds pay the
//! power above idle, and the idle power is shared by CPU time over every CPU-second (the
//! task's, other processes', idle). A task's CPU term is so `P_max × CPU-s`, whatever `u`;
//! memory adds `P_mem · GB · t_wall` (PUE is applied in the report).
//!
//! `P_max` is, best first: a user setting; a calibration file fitted from RAPL on this CPU
//! model (`terrawatt energy calibrate`); with `--power-model tdp` (the default where the
//! processor is known) the TDP of the physical package divided by its hardware threads
//! (topology table; a processor only in the TDP table gets the cores-seen × 2 rule and a
//! wider band); with `--power-model ccf` (the default where only the microarchitecture is
//! known, e.g. on Google Cloud, which hides the model name) Cloud Carbon Footprint's
//! SPECpower-derived watts per vCPU; for an unknown processor Green Algorithms' 12 W per
//! core, shared by the core's threads. `P_min` is the calibration's idle power per
//! logical CPU where one exists, else CCF's minimum for the microarchitecture (its fleet
//! average where unknown), never above `P_max`. `P_mem` is 0.3725 W/GB (Green Algorithms)
//! unless set; `GB` is the process's peak resident memory at the span's end.
//!
//! Band (relative, asymmetric where the evidence is): the model counts the processor
//! package and memory only — no platform power (fans, disks, network, power supply
//! losses) — so against a wall meter it errs low: see [`band`] for the figures and their
//! sources.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{MeterError, Result};
use crate::hardware::{self, TopologyRow};
use crate::system::CpuInfo;
use crate::tables;

/// Green Algorithms' memory power, W per GB.
pub const MEM_W_PER_GB: f64 = 0.3725;

/// The most watts a user may give per logical CPU: the hungriest draw about 20 W, so more is
/// a whole package's TDP given per thread (an energy figure many times too high).
pub const MOST_W_PER_CPU: f64 = 50.0;

/// The most watts a user may give per GB of memory (DRAM draws about 0.4 W per GB).
pub const MOST_MEM_W_PER_GB: f64 = 5.0;
/// Green Algorithms' per-core power for an unknown processor, W.
pub const UNKNOWN_CPU_W_PER_CORE: f64 = 12.0;

/// Which table gives a busy logical CPU's power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerBasis {
    /// TDP where the processor is known, else CCF where the microarchitecture is.
    #[default]
    Auto,
    /// Thermal design power ÷ the package's hardware threads.
    Tdp,
    /// Cloud Carbon Footprint's SPECpower watts per vCPU by microarchitecture.
    Ccf,
}

impl std::str::FromStr for PowerBasis {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(PowerBasis::Auto),
            "tdp" => Ok(PowerBasis::Tdp),
            "ccf" => Ok(PowerBasis::Ccf),
            _ => Err(format!("'{s}': the power model is auto, tdp or ccf")),
        }
    }
}

/// Where the topology of the physical package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopologyFrom {
    /// The topology table (vendor specification).
    Table,
    /// Cores named in the model name ("64-Core") × 2 threads: wider band.
    ModelName,
    /// A bare-metal machine's own `/proc/cpuinfo` (logical CPUs per socket).
    BareMetal,
    /// A guest's cores per socket × 2 (the table lacks the model): widest band.
    SeenCoresTimesTwo,
}

/// Where a busy logical CPU's power comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum CorePowerSource {
    /// `--cpu-watts-per-core` or TERRAWATT_CPU_W_PER_CORE (W per busy logical CPU).
    User,
    /// A calibration file fitted from RAPL.
    Calibration { path: PathBuf, fitted_on: String },
    /// TDP of the physical package ÷ its hardware threads.
    TdpTable {
        matched: String,
        tdp_w: f64,
        cores_per_package: usize,
        threads_per_package: usize,
        topology: TopologyFrom,
    },
    /// Cloud Carbon Footprint's coefficients for a microarchitecture.
    Ccf {
        microarchitecture: String,
        min_w: f64,
        max_w: f64,
        source: String,
    },
    /// Nothing matched: Green Algorithms' default per core, shared by its threads.
    UnknownCpu {
        model_name: String,
        threads_per_core: usize,
    },
}

/// What share of which physical processor the figure charges, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuShare {
    /// Logical CPUs this system sees.
    pub logical_cpus: usize,
    /// The physical processor the model implies, where known.
    pub physical: Option<String>,
    /// Hardware threads of one physical package, where known.
    pub threads_per_package: Option<usize>,
    /// A virtual machine: the figure is the guest's share of a host.
    pub vm: bool,
    /// One line: which share, and why.
    pub summary: String,
}

/// The stated model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerModel {
    /// Power of one busy logical CPU, W (`P_max`).
    pub w_per_cpu: f64,
    /// Idle power of one logical CPU, W (`P_min`): the machine's static power share.
    pub idle_w_per_cpu: f64,
    /// Where the idle power comes from.
    pub idle_from: String,
    /// The basis asked for (auto, tdp, ccf).
    pub basis: PowerBasis,
    pub core_source: CorePowerSource,
    pub share: CpuShare,
    /// Memory power, W per GB.
    pub mem_w_per_gb: f64,
    /// Relative band below and above the figure (0.4 = 40 %).
    pub band_low: f64,
    pub band_high: f64,
    /// The larger of the two (kept for readers of the symmetric figure).
    pub uncertainty: f64,
    /// Where the band comes from.
    pub band_source: String,
    /// Why a calibration file was not used (unreadable or damaged), when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The band of a model figure against a wall meter, by where `P_max` comes from:
/// `(low, high, source)`. The evidence: SPECpower_ssj2008 whole-server results (12
/// systems 2009–2025, from the SPECpower table Cloud Carbon Footprint's coefficients are
/// computed from) draw 0.7–1.4 × the sum of their CPUs' TDP at full load and idle at
/// 12–28 % of that (48 % in 2009); a package draws about 0.6–1.2 × TDP under full load.
/// The model holds no platform power (fans, disks, network, supply losses) beyond the
/// processor's and memory's, so it errs low more than high.
///
/// - TDP per thread (topology known): −40 % / +60 %.
/// - Topology guessed (cores in the name × 2, or the cores a guest sees × 2): −60 % / +100 %.
/// - CCF's coefficients (SPECpower wall power per hardware thread, platform included, mean
///   of a microarchitecture's results): ±30 %.
/// - Unknown processor (Green Algorithms' default): −60 % / +150 %.
/// - Calibration (fitted from RAPL on this CPU: package + DRAM, no platform): −15 % / +40 %.
/// - A user setting: ±25 % unless the user gives a band.
pub fn band(source: &CorePowerSource) -> (f64, f64, &'static str) {
    const SPECPOWER: &str = "SPECpower_ssj2008 whole-server results (wall power 0.7–1.4 × ΣTDP at full load, idle 12–28 % of it); the model holds no platform power, so it errs low";
    match source {
        CorePowerSource::User => (0.25, 0.25, "user setting"),
        CorePowerSource::Calibration { .. } => (0.15, 0.40, SPECPOWER),
        CorePowerSource::TdpTable {
            topology: TopologyFrom::Table | TopologyFrom::BareMetal,
            ..
        } => (0.40, 0.60, SPECPOWER),
        CorePowerSource::TdpTable { .. } => (0.60, 1.00, SPECPOWER),
        CorePowerSource::Ccf {
            microarchitecture, ..
        } if microarchitecture == "average" => (
            0.50,
            1.00,
            "Cloud Carbon Footprint's fleet average for a processor not known: the spread of its microarchitectures' maxima (1.69–8.63 W per vCPU)",
        ),
        CorePowerSource::Ccf { .. } => (
            0.30,
            0.30,
            "Cloud Carbon Footprint methodology: SPECpower wall power per hardware thread, mean over a microarchitecture's results",
        ),
        CorePowerSource::UnknownCpu { .. } => (
            0.60,
            1.50,
            "Green Algorithms default for an unknown processor (Lannelongue et al. 2021)",
        ),
    }
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

/// The physical package behind a model name: `(cores, threads, how known)`.
fn package_topology(cpu: &CpuInfo, topo: Option<&TopologyRow>) -> (usize, usize, TopologyFrom) {
    if let Some(t) = topo {
        return (t.cores, t.threads, TopologyFrom::Table);
    }
    if let Some(cores) = cores_in_name(&cpu.model_name) {
        return (cores, cores * 2, TopologyFrom::ModelName);
    }
    let sockets = cpu.sockets.max(1);
    let cores = (cpu.physical_cores / sockets).max(1);
    if !cpu.hypervisor {
        let threads = (cpu.logical_cpus / sockets).max(cores);
        return (cores, threads, TopologyFrom::BareMetal);
    }
    (cores, cores * 2, TopologyFrom::SeenCoresTimesTwo)
}

/// `64` from "AMD EPYC 7763 64-Core Processor".
fn cores_in_name(name: &str) -> Option<usize> {
    name.split_whitespace().find_map(|w| {
        let n = w
            .strip_suffix("-Core")
            .or_else(|| w.strip_suffix("-core"))?;
        n.parse().ok().filter(|&n: &usize| n > 0)
    })
}

impl PowerModel {
    /// Chooses a busy logical CPU's power for this CPU: `user` (with an optional band),
    /// else a calibration file for this CPU model, else the table `basis` asks for (see
    /// the module's text), else the default; and the idle power per logical CPU.
    pub fn for_cpu(
        cpu: &CpuInfo,
        user: Option<(f64, Option<f64>)>,
        calibration: Option<&Path>,
        mem_w_per_gb: Option<f64>,
        basis: PowerBasis,
    ) -> Result<PowerModel> {
        let mem_w_per_gb = match mem_w_per_gb {
            Some(v) if v.is_finite() && (0.0..=MOST_MEM_W_PER_GB).contains(&v) => v,
            Some(v) => {
                return Err(MeterError::Setting {
                    name: "memory power",
                    value: v.to_string(),
                    reason: format!(
                        "must be W/GB from 0 to {MOST_MEM_W_PER_GB} (DRAM draws about 0.4 W per GB): is it the whole memory's watts?"
                    ),
                });
            }
            None => MEM_W_PER_GB,
        };
        let micro = hardware::microarchitecture(cpu);
        let topo = hardware::match_topology(&cpu.model_name);
        let ccf_micro = micro.and_then(hardware::ccf_for);
        let ccf_average =
            hardware::ccf_for("average").expect("the bundled CCF table has an average row");
        let (mut idle_w_per_cpu, mut idle_from) = match ccf_micro {
            Some(r) => (r.min_w, format!("CCF minimum for {}", r.microarchitecture)),
            None => (
                ccf_average.min_w,
                "CCF fleet-average minimum (microarchitecture not known)".to_string(),
            ),
        };
        let vm = cpu.hypervisor
            || cpu.platform_virtual
            || topo.is_some_and(|t| cpu.logical_cpus < t.threads && cpu.physical_cores < t.cores);
        // a damaged calibration file must not stop every command: it is set aside, said once,
        // and the table (or the default) takes its place
        let mut warning = None;
        let mut chosen: Option<(f64, CorePowerSource)> = None;
        if let Some((w, _)) = user {
            if !(w.is_finite() && w > 0.0) {
                return Err(MeterError::Setting {
                    name: "per-core power",
                    value: w.to_string(),
                    reason: "must be W > 0".into(),
                });
            }
            if w > MOST_W_PER_CPU {
                return Err(MeterError::Setting {
                    name: "per-core power",
                    value: w.to_string(),
                    reason: format!(
                        "is more than any processor draws per logical CPU (up to about 20 W; at most {MOST_W_PER_CPU} is taken): is it the whole package's TDP? Give it per logical CPU (TDP ÷ threads)"
                    ),
                });
            }
            // the package's TDP (a laptop's 28 W, a desktop's 65 W) given as the per-CPU
            // power: within a third of the table's TDP for this processor, of 4 or more
            // threads, it is the whole package's, several times too much
            if let Some(row) = match_cpu(&cpu.model_name) {
                let threads = package_topology(cpu, topo).1.max(1);
                if threads >= 4 && (w - row.tdp_w).abs() <= row.tdp_w / 3.0 {
                    return Err(MeterError::Setting {
                        name: "per-core power",
                        value: w.to_string(),
                        reason: format!(
                            "is about the whole {}'s TDP ({} W for {threads} threads): give it per logical CPU, {:.2} W (TDP ÷ threads)",
                            row.name,
                            row.tdp_w,
                            row.tdp_w / threads as f64
                        ),
                    });
                }
            }
            chosen = Some((w, CorePowerSource::User));
        }
        if chosen.is_none()
            && let Some(path) = calibration.filter(|p| p.exists())
        {
            match Calibration::load(path) {
                Ok(cal) if cal.cpu_model == cpu.model_name && cal.w_per_core > 0.0 => {
                    if cal.idle_w.is_finite() && cal.idle_w >= 0.0 {
                        idle_w_per_cpu = cal.idle_w / cpu.logical_cpus.max(1) as f64;
                        idle_from =
                            format!("calibration {} (idle W ÷ logical CPUs)", path.display());
                    }
                    chosen = Some((
                        cal.w_per_core,
                        CorePowerSource::Calibration {
                            path: path.to_path_buf(),
                            fitted_on: cal.created.clone(),
                        },
                    ));
                }
                Ok(_) => {}
                Err(e) => {
                    warning = Some(format!(
                        "{e}: the calibration is ignored and the power model falls back to the processor table; recalibrate with `terrawatt energy calibrate` (or remove the file)"
                    ));
                }
            }
        }
        let tdp = || -> Option<(f64, CorePowerSource)> {
            let row = match_cpu(&cpu.model_name)?;
            let (tdp_w, matched) = (row.tdp_w, row.name.clone());
            let (cores, threads, from) = package_topology(cpu, topo);
            Some((
                tdp_w / threads.max(1) as f64,
                CorePowerSource::TdpTable {
                    matched,
                    tdp_w,
                    cores_per_package: cores,
                    threads_per_package: threads,
                    topology: from,
                },
            ))
        };
        let ccf = |row: &hardware::CcfRow| {
            (
                row.max_w,
                CorePowerSource::Ccf {
                    microarchitecture: row.microarchitecture.clone(),
                    min_w: row.min_w,
                    max_w: row.max_w,
                    source: row.source.clone(),
                },
            )
        };
        if chosen.is_none() {
            chosen = match basis {
                PowerBasis::Tdp => tdp(),
                PowerBasis::Ccf => Some(ccf(ccf_micro.unwrap_or(ccf_average))),
                PowerBasis::Auto => {
                    let known = tdp().filter(|(_, s)| {
                        !matches!(
                            s,
                            CorePowerSource::TdpTable {
                                topology: TopologyFrom::SeenCoresTimesTwo,
                                ..
                            }
                        )
                    });
                    match (known, ccf_micro) {
                        (Some(t), _) => Some(t),
                        (None, Some(row)) => Some(ccf(row)),
                        // a guest whose host is unknown, or an ARM part the tables lack (ARM
                        // guests carry no hypervisor flag): the fleet average, not a desktop
                        // default
                        (None, None) if vm || cpu.arm_part.is_some() => Some(ccf(ccf_average)),
                        (None, None) => None,
                    }
                }
            };
        }
        let (w_per_cpu, core_source) = chosen.unwrap_or_else(|| {
            let threads_per_core = cpu.threads_per_core();
            (
                UNKNOWN_CPU_W_PER_CORE / threads_per_core as f64,
                CorePowerSource::UnknownCpu {
                    model_name: cpu.model_name.clone(),
                    threads_per_core,
                },
            )
        });
        if let CorePowerSource::Ccf {
            min_w,
            microarchitecture,
            ..
        } = &core_source
        {
            idle_w_per_cpu = *min_w;
            idle_from = format!("CCF minimum for {microarchitecture}");
        }
        idle_w_per_cpu = idle_w_per_cpu.min(w_per_cpu);
        let (mut band_low, mut band_high, band_source) = band(&core_source);
        if let (Some((_, Some(b))), CorePowerSource::User) = (user, &core_source) {
            band_low = b;
            band_high = b;
        }
        let share = cpu_share(cpu, &core_source, vm, w_per_cpu);
        Ok(PowerModel {
            w_per_cpu,
            idle_w_per_cpu,
            idle_from,
            basis,
            core_source,
            share,
            mem_w_per_gb,
            band_low,
            band_high,
            uncertainty: band_low.max(band_high),
            band_source: band_source.to_string(),
            warning,
        })
    }

    /// Joules (before PUE) split into (cpu, memory) for `cpu_s` CPU-seconds, `mem_gb`
    /// resident GB and `wall_s` seconds: the task's share under the attribution
    /// convention (a busy CPU-second pays `P_max`: the power above idle and its share
    /// of the idle power).
    pub fn joules(&self, cpu_s: f64, mem_gb: f64, wall_s: f64) -> (f64, f64) {
        (
            self.w_per_cpu * cpu_s.max(0.0),
            self.mem_w_per_gb * mem_gb.max(0.0) * wall_s.max(0.0),
        )
    }

    /// The machine's modelled processor energy over an interval holding `all_cpu_s`
    /// CPU-seconds (logical CPUs × wall time), `busy_cpu_s` of them busy:
    /// `all · P_min + busy · (P_max − P_min)`.
    pub fn machine_joules(&self, busy_cpu_s: f64, all_cpu_s: f64) -> f64 {
        all_cpu_s.max(0.0) * self.idle_w_per_cpu
            + busy_cpu_s.max(0.0) * (self.w_per_cpu - self.idle_w_per_cpu)
    }

    /// The band as text: `±25 %` or `−40/+100 %`.
    pub fn band_text(&self) -> String {
        band_text(self.band_low, self.band_high)
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
                threads_per_package,
                topology,
                ..
            } => format!(
                "TDP {tdp_w} W of '{matched}' / {threads_per_package} threads per package{}",
                match topology {
                    TopologyFrom::Table => "",
                    TopologyFrom::ModelName =>
                        " (cores from the model name × 2: the topology table lacks it)",
                    TopologyFrom::BareMetal => " (as this machine's /proc/cpuinfo lists them)",
                    TopologyFrom::SeenCoresTimesTwo =>
                        " (the topology table lacks it: the cores the guest sees × 2, a rough rule)",
                }
            ),
            CorePowerSource::Ccf {
                microarchitecture, ..
            } if microarchitecture == "average" => {
                "Cloud Carbon Footprint's fleet average: the processor is not known".to_string()
            }
            CorePowerSource::Ccf {
                microarchitecture, ..
            } => format!("Cloud Carbon Footprint's SPECpower figure for {microarchitecture}"),
            CorePowerSource::UnknownCpu {
                model_name,
                threads_per_core,
            } => format!(
                "'{model_name}' is not in the TDP table: Green Algorithms' 12 W per core for an unknown CPU, / {threads_per_core} thread(s) per core"
            ),
        };
        format!(
            "{:.2} W per busy logical CPU ({from}), {:.2} W idle ({}) + {} W/GB of resident memory, {}",
            self.w_per_cpu,
            self.idle_w_per_cpu,
            self.idle_from,
            self.mem_w_per_gb,
            self.band_text()
        )
    }
}

/// `±25 %` or `−40/+100 %`.
pub fn band_text(low: f64, high: f64) -> String {
    if (low - high).abs() < 1e-9 {
        format!("±{:.0} %", low * 100.0)
    } else {
        format!("−{:.0}/+{:.0} %", low * 100.0, high * 100.0)
    }
}

fn cpu_share(cpu: &CpuInfo, source: &CorePowerSource, vm: bool, w: f64) -> CpuShare {
    let n = cpu.logical_cpus;
    let unit = if vm { "vCPU" } else { "logical CPU" };
    let platform_says;
    let why_vm = if cpu.hypervisor {
        "the hypervisor flag is set"
    } else if cpu.platform_virtual {
        platform_says = format!(
            "DMI names a virtual machine ({})",
            cpu.platform.as_deref().unwrap_or("")
        );
        platform_says.as_str()
    } else {
        "the guest sees fewer CPUs than one package of this model has"
    };
    let (physical, threads, summary) = match source {
        CorePowerSource::TdpTable {
            matched,
            tdp_w,
            cores_per_package,
            threads_per_package,
            topology,
        } => {
            let how = match topology {
                TopologyFrom::Table => "topology table",
                TopologyFrom::ModelName => "cores in the model name × 2",
                TopologyFrom::BareMetal => "this machine's /proc/cpuinfo",
                TopologyFrom::SeenCoresTimesTwo => "topology unknown: cores seen × 2",
            };
            let summary = if vm {
                format!(
                    "VM share: each of the {n} vCPUs is charged as 1 of the {threads_per_package} threads of one {matched} ({tdp_w} W TDP, {cores_per_package} cores / {threads_per_package} threads, {how}): {w:.2} W per busy vCPU, because {why_vm}"
                )
            } else {
                format!(
                    "each of the {n} logical CPUs is 1 of the {threads_per_package} threads of a {matched} package ({tdp_w} W TDP, {cores_per_package} cores, {how}): {w:.2} W per busy logical CPU"
                )
            };
            (Some(matched.clone()), Some(*threads_per_package), summary)
        }
        CorePowerSource::Ccf {
            microarchitecture, ..
        } => {
            let what = if microarchitecture == "average" {
                "(fleet average: the processor is not known)".to_string()
            } else if cpu.arm_part.is_some() {
                format!("for {microarchitecture} (from /proc/cpuinfo's CPU part)")
            } else if hardware::match_topology(&cpu.model_name).is_none() {
                format!(
                    "for {microarchitecture} (from /proc/cpuinfo's family, model and stepping: the model name does not say which part)"
                )
            } else {
                format!("for {microarchitecture}")
            };
            let summary = if vm {
                format!(
                    "VM share: each of the {n} vCPUs is charged Cloud Carbon Footprint's {w:.2} W per busy vCPU {what}, because {why_vm}"
                )
            } else {
                format!(
                    "each of the {n} logical CPUs is charged Cloud Carbon Footprint's {w:.2} W per busy thread {what}"
                )
            };
            (None, None, summary)
        }
        CorePowerSource::Calibration { .. } => (
            Some(cpu.model_name.clone()),
            None,
            format!("each busy {unit} is charged {w:.2} W, fitted from this CPU's counters"),
        ),
        CorePowerSource::User => (
            None,
            None,
            format!("each busy {unit} is charged {w:.2} W, as set by the user"),
        ),
        CorePowerSource::UnknownCpu { .. } => (
            None,
            None,
            format!("each busy {unit} is charged {w:.2} W: the processor is unknown"),
        ),
    };
    CpuShare {
        logical_cpus: n,
        physical,
        threads_per_package: threads,
        vm,
        summary,
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
            ..CpuInfo::default()
        }
    }

    #[test]
    fn model_sources_in_order() {
        // a 2-socket Gold 6248 (20 cores / 40 threads each, 150 W): 150 / 40 W per thread,
        // so 80 busy threads draw 300 W, the two packages' TDP
        let gold = cpu("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", 40, 2);
        let m = PowerModel::for_cpu(&gold, None, None, None, PowerBasis::Auto).unwrap();
        match &m.core_source {
            CorePowerSource::TdpTable {
                tdp_w,
                threads_per_package,
                topology,
                ..
            } => {
                assert_eq!((*threads_per_package, *topology), (40, TopologyFrom::Table));
                assert_eq!(*tdp_w, 150.0);
                assert!((m.w_per_cpu - 3.75).abs() < 1e-12);
                assert!((m.w_per_cpu * 80.0 - 300.0).abs() < 1e-9);
            }
            other => panic!("expected the TDP table, got {other:?}"),
        }
        assert!(!m.share.vm);
        assert_eq!((m.band_low, m.band_high), (0.40, 0.60));
        // an unnamed processor on bare metal: Green Algorithms' 12 W per core over its threads
        let bare = cpu("Intel(R) Xeon(R) Processor", 2, 1);
        let m = PowerModel::for_cpu(&bare, None, None, None, PowerBasis::Auto).unwrap();
        assert_eq!(m.w_per_cpu, UNKNOWN_CPU_W_PER_CORE / 2.0);
        assert_eq!((m.band_low, m.band_high), (0.60, 1.50));
        // the same inside a VM: the fleet average of CCF
        let vm = CpuInfo {
            hypervisor: true,
            ..bare.clone()
        };
        let m = PowerModel::for_cpu(&vm, None, None, None, PowerBasis::Auto).unwrap();
        assert_eq!((m.w_per_cpu, m.idle_w_per_cpu), (3.5, 0.74));
        assert_eq!((m.band_low, m.band_high), (0.5, 1.0));
        assert!(
            m.share.vm && m.share.summary.starts_with("VM share"),
            "{}",
            m.share.summary
        );
        assert!(
            m.share.summary.contains("hypervisor flag"),
            "{}",
            m.share.summary
        );
        let m =
            PowerModel::for_cpu(&vm, Some((7.5, None)), None, Some(0.5), PowerBasis::Auto).unwrap();
        assert_eq!(
            (m.w_per_cpu, m.mem_w_per_gb, m.uncertainty),
            (7.5, 0.5, 0.25)
        );
        assert!(
            PowerModel::for_cpu(&vm, Some((-1.0, None)), None, None, PowerBasis::Auto).is_err()
        );
        // 10 CPU-seconds at 7.5 W, 2 GB for 4 s at 0.5 W/GB
        assert_eq!(m.joules(10.0, 2.0, 4.0), (75.0, 4.0));
        // the machine: 8 CPU-seconds of which 3 busy, idle 0.74 W
        let e = m.machine_joules(3.0, 8.0);
        assert!((e - (8.0 * 0.74 + 3.0 * (7.5 - 0.74))).abs() < 1e-12);
    }

    #[test]
    fn cores_from_the_model_name() {
        assert_eq!(cores_in_name("AMD EPYC 7H12 64-Core Processor"), Some(64));
        assert_eq!(cores_in_name("AMD Ryzen 7 5800X 8-Core Processor"), Some(8));
        assert_eq!(cores_in_name("Intel(R) Xeon(R) Processor"), None);
        assert_eq!(band_text(0.25, 0.25), "±25 %");
        assert_eq!(band_text(0.4, 0.6), "−40/+60 %");
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
        let m = PowerModel::for_cpu(&vm, None, Some(&path), None, PowerBasis::Auto).unwrap();
        assert_eq!(m.w_per_cpu, 9.25);
        // 20 W idle over 4 logical CPUs
        assert_eq!(m.idle_w_per_cpu, 5.0);
        assert_eq!(m.band_low, 0.15);
        // a calibration from another CPU model is not used
        let other = cpu("AMD EPYC 7763 64-Core Processor", 64, 1);
        let m = PowerModel::for_cpu(&other, None, Some(&path), None, PowerBasis::Auto).unwrap();
        assert!(!matches!(
            m.core_source,
            CorePowerSource::Calibration { .. }
        ));
    }
}
