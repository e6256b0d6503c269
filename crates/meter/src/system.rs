//! Readings of the machine and of this process: `/proc/stat`, `/proc/cpuinfo`,
//! `/proc/meminfo` (under a root that tests can point elsewhere) and `getrusage`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{MeterError, Result};

/// Machine-wide CPU time from the aggregate `cpu` line of `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MachineCpu {
    /// user + nice + system + irq + softirq + steal (guest time is already in user).
    pub busy_ticks: u64,
    /// idle + iowait.
    pub idle_ticks: u64,
}

impl MachineCpu {
    /// Parses the text of `/proc/stat`.
    pub fn parse(text: &str) -> Option<MachineCpu> {
        let line = text.lines().find(|l| l.starts_with("cpu "))?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        if v.len() < 4 {
            return None;
        }
        let at = |i: usize| v.get(i).copied().unwrap_or(0);
        Some(MachineCpu {
            busy_ticks: at(0) + at(1) + at(2) + at(5) + at(6) + at(7),
            idle_ticks: at(3) + at(4),
        })
    }

    /// Reads `<proc_root>/stat`.
    pub fn read(proc_root: &Path) -> Result<MachineCpu> {
        let path = proc_root.join("stat");
        let text = std::fs::read_to_string(&path).map_err(|e| MeterError::io(&path, e))?;
        MachineCpu::parse(&text).ok_or_else(|| MeterError::parse(&path, "no aggregate 'cpu' line"))
    }

    /// Ticks elapsed from `earlier` to `self` (saturating: counters never go back).
    pub fn since(&self, earlier: &MachineCpu) -> MachineCpu {
        MachineCpu {
            busy_ticks: self.busy_ticks.saturating_sub(earlier.busy_ticks),
            idle_ticks: self.idle_ticks.saturating_sub(earlier.idle_ticks),
        }
    }
}

/// Clock ticks per second of `/proc/stat` (USER_HZ).
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// CPU time of this process, all threads, living and ended.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ProcessCpu {
    pub user_s: f64,
    pub system_s: f64,
    /// Peak resident set size of the process so far (bytes).
    pub peak_rss_bytes: u64,
}

impl ProcessCpu {
    /// Reads `getrusage(RUSAGE_SELF)`.
    pub fn now() -> ProcessCpu {
        ProcessCpu::rusage(libc::RUSAGE_SELF)
    }

    /// `getrusage(RUSAGE_CHILDREN)`: the CPU time of every child process waited for so far,
    /// and the largest peak resident set among them.
    pub fn children() -> ProcessCpu {
        ProcessCpu::rusage(libc::RUSAGE_CHILDREN)
    }

    fn rusage(who: libc::c_int) -> ProcessCpu {
        // SAFETY: an all-zero rusage is a valid value, and getrusage only writes into it.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `ru` is a valid, writable rusage.
        let rc = unsafe { libc::getrusage(who, &mut ru) };
        if rc != 0 {
            return ProcessCpu::default();
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        ProcessCpu {
            user_s: secs(ru.ru_utime),
            system_s: secs(ru.ru_stime),
            peak_rss_bytes: (ru.ru_maxrss.max(0) as u64) * 1024,
        }
    }

    /// user + system seconds.
    pub fn total_s(&self) -> f64 {
        self.user_s + self.system_s
    }
}

/// What this machine's processors are, as `/proc/cpuinfo` tells them (inside a virtual
/// machine: as the hypervisor presents them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CpuInfo {
    /// `model name` of the first processor (x86), or a name built from the ARM
    /// implementer and part where the file gives no model name.
    pub model_name: String,
    /// Logical processors the kernel lists.
    pub logical_cpus: usize,
    /// Physical cores over all sockets (distinct `physical id`/`core id` pairs; the
    /// logical count where the file does not say).
    pub physical_cores: usize,
    /// Distinct `physical id`s (1 where the file does not say).
    pub sockets: usize,
    /// `vendor_id` (`GenuineIntel`, `AuthenticAMD`, …); empty on ARM.
    pub vendor: String,
    /// `cpu family` and `model` (x86): the microarchitecture where the name is hidden.
    pub family: Option<u32>,
    pub model: Option<u32>,
    pub stepping: Option<u32>,
    /// ARM `CPU implementer` and `CPU part`.
    pub arm_implementer: Option<u32>,
    pub arm_part: Option<u32>,
    /// The `hypervisor` flag: the kernel runs as a guest.
    pub hypervisor: bool,
    /// The platform DMI names (`sys_vendor product_name`), where readable.
    pub platform: Option<String>,
    /// DMI names a virtual machine (ARM guests carry no hypervisor flag).
    pub platform_virtual: bool,
}

/// The platform from DMI (`<sysfs_root>/class/dmi/id/sys_vendor` and `product_name`) and
/// whether it is a virtual machine: QEMU/KVM, Xen, VMware, VirtualBox, Hyper-V/Azure
/// ("Microsoft Corporation Virtual Machine"), Google Compute Engine, and Amazon EC2 other
/// than its `*.metal` instances.
pub fn dmi_platform(sysfs_root: &Path) -> Option<(String, bool)> {
    let read = |f: &str| {
        std::fs::read_to_string(sysfs_root.join("class/dmi/id").join(f))
            .ok()
            .map(|s| s.trim().to_string())
    };
    let vendor = read("sys_vendor")?;
    let product = read("product_name").unwrap_or_default();
    let v = vendor.to_lowercase();
    let p = product.to_lowercase();
    let virtual_ = v.contains("qemu")
        || p.contains("kvm")
        || v.contains("xen")
        || v.contains("vmware")
        || p.contains("virtualbox")
        || (v.contains("microsoft") && p.contains("virtual machine"))
        || p.contains("google compute engine")
        || (v.contains("amazon ec2") && !p.ends_with(".metal") && !p.contains(".metal-"));
    Some((format!("{vendor} {product}").trim().to_string(), virtual_))
}

fn parse_number(v: &str) -> Option<u32> {
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

impl CpuInfo {
    /// Parses the text of `/proc/cpuinfo`.
    pub fn parse(text: &str) -> CpuInfo {
        let mut info = CpuInfo::default();
        let mut logical = 0usize;
        let mut cores = std::collections::BTreeSet::new();
        let mut sockets = std::collections::BTreeSet::new();
        let mut phys: Option<String> = None;
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            match key {
                "processor" => {
                    logical += 1;
                    phys = None;
                }
                "model name" if info.model_name.is_empty() => info.model_name = value.to_string(),
                "vendor_id" if info.vendor.is_empty() => info.vendor = value.to_string(),
                "cpu family" if info.family.is_none() => info.family = parse_number(value),
                "model" if info.model.is_none() => info.model = parse_number(value),
                "stepping" if info.stepping.is_none() => info.stepping = parse_number(value),
                "CPU implementer" if info.arm_implementer.is_none() => {
                    info.arm_implementer = parse_number(value)
                }
                "CPU part" if info.arm_part.is_none() => info.arm_part = parse_number(value),
                "flags" | "Features" if value.split_whitespace().any(|f| f == "hypervisor") => {
                    info.hypervisor = true;
                }
                "physical id" => {
                    sockets.insert(value.to_string());
                    phys = Some(value.to_string());
                }
                "core id" => {
                    cores.insert((phys.clone().unwrap_or_default(), value.to_string()));
                }
                _ => {}
            }
        }
        if info.model_name.is_empty()
            && let (Some(imp), Some(part)) = (info.arm_implementer, info.arm_part)
        {
            info.model_name = format!("ARM implementer 0x{imp:02x} part 0x{part:03x}");
        }
        info.logical_cpus = logical.max(1);
        info.physical_cores = if cores.is_empty() {
            info.logical_cpus
        } else {
            cores.len()
        };
        info.sockets = sockets.len().max(1);
        info
    }

    /// Reads `<proc_root>/cpuinfo`; an unreadable file gives an unnamed CPU with the
    /// processor count from the scheduler.
    pub fn read(proc_root: &Path) -> CpuInfo {
        match std::fs::read_to_string(proc_root.join("cpuinfo")) {
            Ok(text) => CpuInfo::parse(&text),
            Err(_) => {
                let n = std::thread::available_parallelism().map_or(1, |n| n.get());
                CpuInfo {
                    logical_cpus: n,
                    physical_cores: n,
                    sockets: 1,
                    ..CpuInfo::default()
                }
            }
        }
    }

    /// Logical CPUs per physical core as the guest sees them (2 where SMT is on).
    pub fn threads_per_core(&self) -> usize {
        (self.logical_cpus / self.physical_cores.max(1)).max(1)
    }
}

/// Total and available memory from `<proc_root>/meminfo`, in bytes.
pub fn memory(proc_root: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(proc_root.join("meminfo")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("MemTotal:")?, field("MemAvailable:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_sums_busy_and_idle() {
        let text = "cpu  1056 3 738 8363 90 1 10 7 0 0\ncpu0 458 0 283 4384 11 0 2 2 0 0\n";
        let m = MachineCpu::parse(text).unwrap();
        assert_eq!(m.busy_ticks, 1056 + 3 + 738 + 1 + 10 + 7);
        assert_eq!(m.idle_ticks, 8363 + 90);
        let later = MachineCpu {
            busy_ticks: m.busy_ticks + 50,
            idle_ticks: m.idle_ticks + 150,
        };
        assert_eq!(
            later.since(&m),
            MachineCpu {
                busy_ticks: 50,
                idle_ticks: 150
            }
        );
        assert!(MachineCpu::parse("intr 1 2 3\n").is_none());
    }

    #[test]
    fn cpuinfo_counts_cores_and_sockets() {
        let mut text = String::new();
        for (p, (phys, core)) in [
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
            (0, 0),
            (0, 1),
            (1, 0),
            (1, 1),
        ]
        .iter()
        .enumerate()
        {
            text.push_str(&format!(
                "processor\t: {p}\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\nphysical id\t: {phys}\ncore id\t\t: {core}\n\n"
            ));
        }
        let info = CpuInfo::parse(&text);
        assert_eq!(info.logical_cpus, 8);
        assert_eq!(info.physical_cores, 4);
        assert_eq!(info.sockets, 2);
        assert_eq!(info.model_name, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
    }

    #[test]
    fn process_cpu_grows_with_work() {
        let a = ProcessCpu::now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        std::hint::black_box(x);
        let b = ProcessCpu::now();
        assert!(b.total_s() > a.total_s());
        assert!(b.peak_rss_bytes > 0);
    }
}
