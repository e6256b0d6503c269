//! The perf `power` PMU (`/sys/bus/event_source/devices/power`), read through
//! `perf_event_open(2)` as CPU-wide counting events, one per package.
//!
//! Events: `energy-pkg` and `energy-ram` are summed; `energy-psys` (the platform) is used
//! alone where no package event exists; `energy-cores` and `energy-gpu` are parts of the
//! package. Each event's count times its `.scale` file is joules. perf counts are 64-bit
//! and do not wrap in practice.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use crate::error::{MeterError, Result};
use crate::source::{DomainKind, Unavailable};

/// Where sysfs is mounted.
pub const DEFAULT_SYSFS: &str = "/sys";

/// The first 64 bytes of `struct perf_event_attr` (PERF_ATTR_SIZE_VER0), which every
/// kernel since 2.6.31 accepts.
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    type_: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

/// An event description read from sysfs.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerEvent {
    /// e.g. `energy-pkg`.
    pub name: String,
    pub kind: DomainKind,
    pub config: u64,
    /// Joules per count.
    pub scale: f64,
}

/// Open counters of the power PMU.
#[derive(Debug)]
pub struct PerfPower {
    /// (event, cpu, file descriptor)
    counters: Vec<(PowerEvent, i32, OwnedFd)>,
}

/// Parses an event file (`event=0x02`, possibly with other terms) into its config value.
pub fn parse_event_config(text: &str) -> Option<u64> {
    text.trim().split(',').find_map(|term| {
        let v = term.trim().strip_prefix("event=")?;
        match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => v.parse().ok(),
        }
    })
}

/// Parses a CPU list such as `0`, `0,18` or `0-1,4`.
pub fn parse_cpu_list(text: &str) -> Option<Vec<i32>> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (i32, i32) = (a.parse().ok()?, b.parse().ok()?);
                out.extend(a..=b);
            }
            None => out.push(part.parse().ok()?),
        }
    }
    Some(out)
}

fn kind_of(event: &str) -> DomainKind {
    match event {
        "energy-pkg" => DomainKind::Package,
        "energy-ram" => DomainKind::Dram,
        "energy-psys" => DomainKind::Platform,
        _ => DomainKind::Part,
    }
}

/// Reads the PMU's type number, CPU mask and usable events under `sysfs`.
pub fn describe(sysfs: &Path) -> Result<(u32, Vec<i32>, Vec<PowerEvent>), Unavailable> {
    let dev = sysfs.join("bus/event_source/devices/power");
    let type_text = match std::fs::read_to_string(dev.join("type")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Unavailable::Absent(format!(
                "{} does not exist (the kernel has no power PMU for this CPU)",
                dev.display()
            )));
        }
        Err(e) => return Err(Unavailable::Unsupported(format!("{}: {e}", dev.display()))),
    };
    let pmu_type: u32 = type_text
        .trim()
        .parse()
        .map_err(|_| Unavailable::Unsupported(format!("{}/type is not a number", dev.display())))?;
    let cpus = std::fs::read_to_string(dev.join("cpumask"))
        .ok()
        .and_then(|t| parse_cpu_list(&t))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| vec![0]);
    let mut events = Vec::new();
    let names = ["energy-pkg", "energy-ram", "energy-psys"];
    for name in names {
        let path = dev.join("events").join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Some(config) = parse_event_config(&text) else {
            continue;
        };
        let scale = std::fs::read_to_string(dev.join("events").join(format!("{name}.scale")))
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .unwrap_or(2.328_306_436_538_696_3e-10);
        events.push(PowerEvent {
            name: name.to_string(),
            kind: kind_of(name),
            config,
            scale,
        });
    }
    if events.iter().any(|e| e.kind == DomainKind::Package) {
        events.retain(|e| e.kind != DomainKind::Platform);
    }
    if events.is_empty() {
        return Err(Unavailable::Unsupported(format!(
            "{} lists none of energy-pkg, energy-ram, energy-psys",
            dev.display()
        )));
    }
    Ok((pmu_type, cpus, events))
}

/// The fix for a refused perf_event_open.
pub fn permission_fix() -> String {
    "allow CPU-wide perf events: sudo sysctl kernel.perf_event_paranoid=0, or give the binary CAP_PERFMON (sudo setcap cap_perfmon=ep $(command -v terrawatt))".to_string()
}

fn open_counter(pmu_type: u32, config: u64, cpu: i32) -> std::io::Result<OwnedFd> {
    let attr = PerfEventAttr {
        type_: pmu_type,
        size: std::mem::size_of::<PerfEventAttr>() as u32,
        config,
        ..Default::default()
    };
    // SAFETY: `attr` is a valid perf_event_attr prefix whose `size` says how much of it
    // the kernel may read; pid -1 with a cpu >= 0 asks for a CPU-wide counter.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            -1 as libc::pid_t,
            cpu as libc::c_int,
            -1 as libc::c_int,
            libc::c_ulong::from(8u32), // PERF_FLAG_FD_CLOEXEC
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a new file descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn read_count(fd: &OwnedFd) -> std::io::Result<u64> {
    let mut buf = [0u8; 8];
    // SAFETY: `buf` is 8 writable bytes, the size of a counting event's value.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n != 8 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(u64::from_ne_bytes(buf))
}

impl PerfPower {
    /// Opens one counter per event and package CPU.
    pub fn probe(sysfs: &Path) -> Result<PerfPower, Unavailable> {
        let (pmu_type, cpus, events) = describe(sysfs)?;
        let mut counters = Vec::new();
        for ev in events {
            for &cpu in &cpus {
                match open_counter(pmu_type, ev.config, cpu) {
                    Ok(fd) => counters.push((ev.clone(), cpu, fd)),
                    Err(e)
                        if matches!(e.raw_os_error(), Some(libc::EACCES) | Some(libc::EPERM)) =>
                    {
                        return Err(Unavailable::PermissionDenied {
                            reason: format!("perf_event_open({}, cpu {cpu}): {e}", ev.name),
                            fix: permission_fix(),
                        });
                    }
                    Err(e) => {
                        return Err(Unavailable::Unsupported(format!(
                            "perf_event_open({}, cpu {cpu}): {e} (the hypervisor or kernel does not provide this counter)",
                            ev.name
                        )));
                    }
                }
            }
        }
        let p = PerfPower { counters };
        if let Err(e) = p.read() {
            return Err(Unavailable::Unsupported(format!(
                "reading the counters: {e}"
            )));
        }
        Ok(p)
    }

    /// Domain names, e.g. `energy-pkg@cpu0`.
    pub fn domain_names(&self) -> Vec<String> {
        self.counters
            .iter()
            .map(|(e, cpu, _)| format!("{}@cpu{cpu}", e.name))
            .collect()
    }

    /// Domain kinds, in the order of [`PerfPower::read`].
    pub fn domain_kinds(&self) -> Vec<DomainKind> {
        self.counters.iter().map(|(e, _, _)| e.kind).collect()
    }

    /// Raw counts.
    pub fn read(&self) -> Result<Vec<u64>> {
        self.counters
            .iter()
            .map(|(e, cpu, fd)| {
                read_count(fd)
                    .map_err(|err| MeterError::io(format!("perf event {}@cpu{cpu}", e.name), err))
            })
            .collect()
    }

    /// Joules per counter between two readings.
    pub fn joules_between(&self, start: &[u64], end: &[u64]) -> Vec<f64> {
        self.counters
            .iter()
            .zip(start.iter().zip(end))
            .map(|((e, _, _), (&a, &b))| b.wrapping_sub(a) as f64 * e.scale)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_and_cpu_list_parsing() {
        assert_eq!(parse_event_config("event=0x02\n"), Some(2));
        assert_eq!(parse_event_config("event=0x05,umask=0x1"), Some(5));
        assert_eq!(parse_event_config("umask=0x1"), None);
        assert_eq!(parse_cpu_list("0\n"), Some(vec![0]));
        assert_eq!(parse_cpu_list("0,18"), Some(vec![0, 18]));
        assert_eq!(parse_cpu_list("0-2,8"), Some(vec![0, 1, 2, 8]));
        assert_eq!(parse_cpu_list("x"), None);
    }

    #[test]
    fn describe_reads_a_sysfs_tree() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("bus/event_source/devices/power");
        std::fs::create_dir_all(dev.join("events")).unwrap();
        std::fs::write(dev.join("type"), "9\n").unwrap();
        std::fs::write(dev.join("cpumask"), "0,18\n").unwrap();
        for (n, c) in [
            ("energy-pkg", "0x02"),
            ("energy-ram", "0x03"),
            ("energy-psys", "0x05"),
        ] {
            std::fs::write(dev.join("events").join(n), format!("event={c}\n")).unwrap();
            std::fs::write(
                dev.join("events").join(format!("{n}.scale")),
                "2.3283064365386962890625e-10\n",
            )
            .unwrap();
        }
        let (t, cpus, events) = describe(dir.path()).unwrap();
        assert_eq!(t, 9);
        assert_eq!(cpus, vec![0, 18]);
        let names: Vec<_> = events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["energy-pkg", "energy-ram"],
            "psys is dropped when a package event exists"
        );
        assert!(matches!(
            describe(&dir.path().join("none")),
            Err(Unavailable::Absent(_))
        ));
    }
}
