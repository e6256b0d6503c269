//! The meter and its spans.
//!
//! A [`Meter`] is made once per process: it detects the best energy source and keeps the
//! counters' running totals. A task opens a [`Span`]; phases nest inside with
//! [`Span::phase`]. Readings are taken only at span boundaries (and by
//! [`Meter::refresh`] where a long loop wants to keep RAPL's wrap-around in check): no
//! thread samples in the background.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::hwmon::AmdEnergy;
use crate::model::{Calibration, PowerBasis, PowerModel};
use crate::perf::{self, PerfPower};
use crate::rapl::{self, Rapl};
use crate::source::{DomainKind, Method, SourceProbe, Unavailable};
use crate::system::{CpuInfo, MachineCpu, ProcessCpu, ticks_per_second};

/// Where to look and what the user set.
#[derive(Debug, Clone)]
pub struct MeterConfig {
    /// The powercap root (`/sys/class/powercap`).
    pub powercap_root: PathBuf,
    /// The sysfs root for the perf power PMU (`/sys`).
    pub sysfs_root: PathBuf,
    /// The procfs root (`/proc`).
    pub proc_root: PathBuf,
    /// Use the model even where a counter is readable.
    pub force_model: bool,
    /// Per-core power, W, and optionally its relative uncertainty.
    pub cpu_w_per_core: Option<(f64, Option<f64>)>,
    /// Memory power, W/GB.
    pub mem_w_per_gb: Option<f64>,
    /// A calibration file (default: [`Calibration::default_path`]).
    pub calibration: Option<PathBuf>,
    /// Which table gives a busy logical CPU's power.
    pub power_model: PowerBasis,
    /// The folder of the per-boot probe cache (whether each counter advances, so the
    /// 25 ms check runs once per boot): `$XDG_CACHE_HOME/terrawatt`, else
    /// `$HOME/.cache/terrawatt`; `None` probes every time.
    pub probe_cache: Option<PathBuf>,
}

impl MeterConfig {
    /// The model only, from the processor tables (no counter probed, no calibration file,
    /// no probe cache): the same figures on any machine with the same CPU, as tests,
    /// benchmarks and reproducible reports want.
    pub fn model_only() -> MeterConfig {
        MeterConfig {
            force_model: true,
            calibration: None,
            probe_cache: None,
            ..MeterConfig::default()
        }
    }
}

/// Whether a counter advances, remembered per boot: a file `probe-<boot id>.json` in the
/// cache folder mapping "method roots domains" to the answer.
#[derive(Debug, Default)]
struct ProbeCache {
    path: Option<PathBuf>,
    entries: std::collections::BTreeMap<String, bool>,
    changed: bool,
    /// The last lookup was answered from the file.
    hit: bool,
}

impl ProbeCache {
    fn open(dir: Option<&std::path::Path>, proc_root: &std::path::Path) -> ProbeCache {
        let Some(dir) = dir else {
            return ProbeCache::default();
        };
        let Ok(boot) = std::fs::read_to_string(proc_root.join("sys/kernel/random/boot_id")) else {
            return ProbeCache::default();
        };
        let boot = boot.trim();
        if boot.is_empty() || !boot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return ProbeCache::default();
        }
        let path = dir.join(format!("probe-{boot}.json"));
        let entries = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        ProbeCache {
            path: Some(path),
            entries,
            changed: false,
            hit: false,
        }
    }

    fn save(&self) {
        if let (true, Some(path)) = (self.changed, &self.path) {
            let text = serde_json::to_string_pretty(&self.entries).unwrap_or_default();
            // a cache that cannot be written only costs the next command its 25 ms
            let _ = crate::write_atomic(path, text.as_bytes());
        }
    }
}

/// The default probe cache folder.
pub fn default_probe_cache() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|b| b.join("terrawatt"))
}

fn cached_advances(cache: &mut ProbeCache, method: Method, counter: &Counter) -> Result<bool> {
    let key = format!("{method} {}", counter.names().join(","));
    let key = match counter {
        Counter::Rapl(r) => format!(
            "{key} {}",
            r.zones
                .first()
                .map_or_else(String::new, |z| z.dir.display().to_string())
        ),
        Counter::Perf(_) => key,
        Counter::Hwmon(h) => format!(
            "{key} {}",
            h.sockets
                .first()
                .map_or_else(String::new, |s| s.input.display().to_string())
        ),
    };
    if let Some(&v) = cache.entries.get(&key) {
        cache.hit = true;
        return Ok(v);
    }
    cache.hit = false;
    let v = advances(counter)?;
    if cache.path.is_some() {
        cache.entries.insert(key, v);
        cache.changed = true;
    }
    Ok(v)
}

/// `TERRAWATT_PROC_ROOT` and `TERRAWATT_POWERCAP_ROOT` point the meter at another `/proc`
/// and `/sys/class/powercap` (a container's bind mount, a VM passthrough tree such as
/// Scaphandre's qemu exporter writes, a recorded machine); `TERRAWATT_SYSFS_ROOT` does
/// the same for `/sys` (the perf power PMU). Unset or empty: the real ones.
pub fn env_root(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}

impl Default for MeterConfig {
    fn default() -> Self {
        MeterConfig {
            powercap_root: env_root("TERRAWATT_POWERCAP_ROOT", rapl::DEFAULT_ROOT),
            sysfs_root: env_root("TERRAWATT_SYSFS_ROOT", perf::DEFAULT_SYSFS),
            proc_root: env_root("TERRAWATT_PROC_ROOT", "/proc"),
            force_model: false,
            cpu_w_per_core: None,
            mem_w_per_gb: None,
            calibration: Calibration::default_path(),
            power_model: PowerBasis::Auto,
            probe_cache: default_probe_cache(),
        }
    }
}

#[derive(Debug)]
enum Counter {
    Rapl(Rapl),
    Perf(PerfPower),
    Hwmon(AmdEnergy),
}

impl Counter {
    fn read(&self) -> Result<Vec<u64>> {
        match self {
            Counter::Rapl(r) => r.read(),
            Counter::Perf(p) => p.read(),
            Counter::Hwmon(h) => h.read(),
        }
    }
    fn joules_between(&self, a: &[u64], b: &[u64]) -> Vec<f64> {
        match self {
            Counter::Rapl(r) => r.joules_between(a, b),
            Counter::Perf(p) => p.joules_between(a, b),
            Counter::Hwmon(h) => h.joules_between(a, b),
        }
    }
    fn names(&self) -> Vec<String> {
        match self {
            Counter::Rapl(r) => r.zones.iter().map(|z| z.name.clone()).collect(),
            Counter::Perf(p) => p.domain_names(),
            Counter::Hwmon(h) => h.names(),
        }
    }
    fn kinds(&self) -> Vec<DomainKind> {
        match self {
            Counter::Rapl(r) => r.zones.iter().map(|z| z.kind).collect(),
            Counter::Perf(p) => p.domain_kinds(),
            Counter::Hwmon(h) => h.kinds(),
        }
    }
    fn method(&self) -> Method {
        match self {
            Counter::Rapl(_) => Method::Rapl,
            Counter::Perf(_) => Method::Perf,
            Counter::Hwmon(_) => Method::Hwmon,
        }
    }
}

/// Running totals of the counters, so that a wrap between any two readings is caught.
#[derive(Debug)]
struct Totals {
    last_raw: Vec<u64>,
    last_at: Instant,
    joules: Vec<f64>,
    /// Intervals between two readings long enough for a counter to wrap twice.
    long_gaps: u32,
}

#[derive(Debug)]
struct Inner {
    counter: Option<Counter>,
    totals: Mutex<Option<Totals>>,
    /// Seconds after which a counter may have wrapped more than once.
    wrap_guard_s: f64,
    probes: Vec<SourceProbe>,
    model: PowerModel,
    cpu: CpuInfo,
    proc_root: PathBuf,
    ticks_per_s: f64,
}

/// The energy meter of a process. Cheap to clone; shareable across threads.
#[derive(Debug, Clone)]
pub struct Meter {
    inner: Arc<Inner>,
}

/// Facts of the machine a report was made on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    pub cpu_model: String,
    pub logical_cpus: usize,
    pub physical_cores: usize,
    pub sockets: usize,
    pub ram_total_bytes: Option<u64>,
}

fn advances(counter: &Counter) -> Result<bool> {
    let first = counter.read()?;
    // Counters update about every millisecond; 25 ms of sleeping is ample.
    for _ in 0..25 {
        std::thread::sleep(std::time::Duration::from_millis(1));
        if counter.read()? != first {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Meter {
    /// Detects the best source: RAPL, then the perf power PMU, then the model.
    pub fn detect(config: &MeterConfig) -> Result<Meter> {
        let mut cpu = CpuInfo::read(&config.proc_root);
        if let Some((platform, virtual_)) = crate::system::dmi_platform(&config.sysfs_root) {
            cpu.platform = Some(platform);
            cpu.platform_virtual = virtual_;
        }
        let model = PowerModel::for_cpu(
            &cpu,
            config.cpu_w_per_core,
            config.calibration.as_deref(),
            config.mem_w_per_gb,
            config.power_model,
        )?;
        let mut probes = Vec::new();
        let mut counter: Option<Counter> = None;
        let mut cache = ProbeCache::open(config.probe_cache.as_deref(), &config.proc_root);
        type Probe<'a> = &'a dyn Fn() -> Result<Counter, Unavailable>;
        let candidates: [(Method, Probe<'_>); 3] = [
            (Method::Rapl, &|| {
                Rapl::probe(&config.powercap_root).map(Counter::Rapl)
            }),
            (Method::Hwmon, &|| {
                AmdEnergy::probe(&config.sysfs_root).map(Counter::Hwmon)
            }),
            (Method::Perf, &|| {
                PerfPower::probe(&config.sysfs_root).map(Counter::Perf)
            }),
        ];
        for (method, probe) in candidates {
            if config.force_model {
                probes.push(SourceProbe {
                    method,
                    unavailable: Some(Unavailable::NotTried("the model was asked for".into())),
                    domains: vec![],
                });
                continue;
            }
            if counter.is_some() {
                probes.push(SourceProbe {
                    method,
                    unavailable: Some(Unavailable::NotTried("a better source is in use".into())),
                    domains: vec![],
                });
                continue;
            }
            match probe() {
                Ok(c) => match cached_advances(&mut cache, method, &c) {
                    Ok(true) => {
                        probes.push(SourceProbe {
                            method,
                            unavailable: None,
                            domains: c.names(),
                        });
                        counter = Some(c);
                    }
                    Ok(false) => probes.push(SourceProbe {
                        method,
                        unavailable: Some(Unavailable::Unsupported(format!(
                            "the counters opened but did not advance in 25 ms (a virtual machine that exposes the event without the hardware behind it){}",
                            if cache.hit { "; as probed earlier in this boot" } else { "" }
                        ))),
                        domains: c.names(),
                    }),
                    Err(e) => probes.push(SourceProbe {
                        method,
                        unavailable: Some(Unavailable::Unsupported(e.to_string())),
                        domains: c.names(),
                    }),
                },
                Err(why) => probes.push(SourceProbe {
                    method,
                    unavailable: Some(why),
                    domains: vec![],
                }),
            }
        }
        cache.save();
        probes.push(SourceProbe {
            method: Method::Model,
            unavailable: if counter.is_some() {
                Some(Unavailable::NotTried("a counter is in use".into()))
            } else {
                None
            },
            domains: vec![],
        });
        let wrap_guard_s = match &counter {
            Some(Counter::Rapl(r)) => {
                // a package at 1.5 × its modelled full-load power
                let package_w =
                    model.w_per_cpu * (cpu.logical_cpus / cpu.sockets.max(1)).max(1) as f64;
                r.min_range_j() / (1.5 * package_w).max(1.0)
            }
            _ => f64::INFINITY,
        };
        let totals = match &counter {
            Some(c) => {
                let raw = c.read()?;
                Some(Totals {
                    joules: vec![0.0; raw.len()],
                    last_raw: raw,
                    last_at: Instant::now(),
                    long_gaps: 0,
                })
            }
            None => None,
        };
        let meter = Meter {
            inner: Arc::new(Inner {
                counter,
                totals: Mutex::new(totals),
                wrap_guard_s,
                probes,
                model,
                cpu,
                proc_root: config.proc_root.clone(),
                ticks_per_s: ticks_per_second(),
            }),
        };
        meter.start_wrap_watch();
        Ok(meter)
    }

    /// A RAPL counter wraps after `max_energy_range_uj`; two wraps between readings are
    /// indistinguishable from none. A thread that wakes every quarter of the shortest wrap
    /// time (minutes: 262 kJ at a few hundred W) reads the counters into the running totals,
    /// so a long span loses nothing; it ends with the meter.
    fn start_wrap_watch(&self) {
        if !self.inner.wrap_guard_s.is_finite() {
            return;
        }
        let every = std::time::Duration::from_secs_f64((self.inner.wrap_guard_s / 4.0).max(0.05));
        let weak = Arc::downgrade(&self.inner);
        let _ = std::thread::Builder::new()
            .name("terrawatt-rapl-watch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    let Some(inner) = weak.upgrade() else {
                        return;
                    };
                    Meter { inner }.refresh();
                }
            });
    }

    /// The method in use.
    pub fn method(&self) -> Method {
        self.inner
            .counter
            .as_ref()
            .map_or(Method::Model, Counter::method)
    }

    /// What each source gave on probing.
    pub fn probes(&self) -> &[SourceProbe] {
        &self.inner.probes
    }

    /// The power model (used where no counter is, and as the fallback).
    pub fn model(&self) -> &PowerModel {
        &self.inner.model
    }

    /// The machine's processors.
    pub fn cpu(&self) -> &CpuInfo {
        &self.inner.cpu
    }

    /// Facts of this machine for a report.
    pub fn machine(&self) -> MachineInfo {
        let cpu = &self.inner.cpu;
        MachineInfo {
            cpu_model: cpu.model_name.clone(),
            logical_cpus: cpu.logical_cpus,
            physical_cores: cpu.physical_cores,
            sockets: cpu.sockets,
            ram_total_bytes: crate::system::memory(&self.inner.proc_root).map(|m| m.0),
        }
    }

    /// Reads the counters into the running totals (cheap: a few small file reads). Long
    /// loops may call it now and then so that a RAPL counter cannot wrap twice unseen.
    pub fn refresh(&self) -> Option<Vec<f64>> {
        let counter = self.inner.counter.as_ref()?;
        let mut guard = self.inner.totals.lock().unwrap_or_else(|p| p.into_inner());
        let totals = guard.as_mut()?;
        let raw = counter.read().ok()?;
        let now = Instant::now();
        if now.duration_since(totals.last_at).as_secs_f64() > self.inner.wrap_guard_s {
            totals.long_gaps += 1;
        }
        for (t, j) in totals
            .joules
            .iter_mut()
            .zip(counter.joules_between(&totals.last_raw, &raw))
        {
            *t += j;
        }
        totals.last_raw = raw;
        totals.last_at = now;
        Some(totals.joules.clone())
    }

    fn long_gaps(&self) -> u32 {
        let guard = self.inner.totals.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map_or(0, |t| t.long_gaps)
    }

    fn reading(&self) -> Reading {
        Reading {
            at: Instant::now(),
            unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            cpu: ProcessCpu::now(),
            machine: MachineCpu::read(&self.inner.proc_root).ok(),
            counters: self.refresh(),
            long_gaps: self.long_gaps(),
        }
    }

    /// Opens a span (a task, or a phase to be adopted by a parent).
    pub fn span(&self, name: impl Into<String>) -> Span {
        Span {
            meter: self.clone(),
            name: name.into(),
            start: self.reading(),
            children: Vec::new(),
            external: (0.0, 0.0, 0),
        }
    }
}

#[derive(Debug, Clone)]
struct Reading {
    at: Instant,
    /// Wall-clock time, Unix seconds.
    unix_s: f64,
    cpu: ProcessCpu,
    machine: Option<MachineCpu>,
    counters: Option<Vec<f64>>,
    long_gaps: u32,
}

/// An open span. Close it with [`Span::finish`]; phases nest with [`Span::phase`].
#[derive(Debug)]
pub struct Span {
    meter: Meter,
    name: String,
    start: Reading,
    children: Vec<SpanRecord>,
    /// CPU time (user, system) and peak memory of child processes the span ran.
    external: (f64, f64, u64),
}

/// How the machine's energy over a span was shared out: measured (counters) or
/// modelled (the power model's machine power, [`PowerModel::machine_joules`]).
///
/// The convention, the same for both paths: the machine's energy is its static part (the
/// idle power × wall time) plus the dynamic part above it. Busy CPU-seconds (this
/// process's and other processes', from `/proc/stat`) share the dynamic part in
/// proportion to their busy time; every CPU-second of the interval (busy or idle, all
/// logical CPUs) shares the static part in proportion to time. So `task + others + idle
/// = total`, a busy task pays the power it adds plus its share of the idle power, and the
/// idle CPUs' share of the static power is reported as idle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The machine's energy over the span: measured by the counters, or modelled.
    pub measured_total_j: f64,
    /// True where the total is the model's, not a counter's.
    pub modelled: bool,
    /// Of which the static part (idle power × wall time, at most the total).
    pub static_j: f64,
    pub task_j: f64,
    pub others_j: f64,
    pub idle_j: f64,
    pub task_cpu_s: f64,
    pub others_cpu_s: f64,
    pub idle_cpu_s: f64,
}

/// The machine's busy CPU-seconds and all its CPU-seconds (busy + idle) over an interval:
/// from the `/proc/stat` tick deltas, or, where no tick elapsed, `wall_s × logical_cpus`
/// with only the task busy. Busy is at least the task's time (tick rounding).
pub fn machine_seconds(
    task_cpu_s: f64,
    machine: Option<MachineCpu>,
    ticks_per_s: f64,
    wall_s: f64,
    logical_cpus: usize,
) -> (f64, f64) {
    let task_cpu_s = task_cpu_s.max(0.0);
    let (busy_s, total_s) = match machine {
        Some(m) if m.busy_ticks + m.idle_ticks > 0 => (
            m.busy_ticks as f64 / ticks_per_s,
            (m.busy_ticks + m.idle_ticks) as f64 / ticks_per_s,
        ),
        _ => (task_cpu_s, (wall_s * logical_cpus as f64).max(task_cpu_s)),
    };
    (busy_s.max(task_cpu_s).min(total_s), total_s)
}

/// The attribution convention in words, for reports.
pub const ATTRIBUTION_CONVENTION: &str = "busy CPU-seconds share the energy above idle by busy time; every CPU-second (task, others, idle) shares the idle energy by time";

/// Shares `total_j`, of which `static_j` is the machine's idle energy, by the convention
/// of [`Attribution`]. `machine` holds the `/proc/stat` tick deltas over the interval;
/// where it shows no tick (a span shorter than a tick) the machine's time is taken as
/// `wall_s × logical_cpus`, all of it idle but the task's.
pub fn attribute(
    total_j: f64,
    static_j: f64,
    task_cpu_s: f64,
    machine: Option<MachineCpu>,
    ticks_per_s: f64,
    wall_s: f64,
    logical_cpus: usize,
) -> Attribution {
    let (busy_s, total_s) = machine_seconds(task_cpu_s, machine, ticks_per_s, wall_s, logical_cpus);
    let task_s = task_cpu_s.clamp(0.0, total_s);
    let others_s = (busy_s - task_s).max(0.0);
    let idle_s = (total_s - task_s - others_s).max(0.0);
    let total_j = total_j.max(0.0);
    let static_j = static_j.clamp(0.0, total_j);
    let dynamic_j = total_j - static_j;
    let part = |j: f64, s: f64, of: f64| if of > 0.0 { j * s / of } else { 0.0 };
    let task_j = part(dynamic_j, task_s, busy_s) + part(static_j, task_s, total_s);
    let others_j = part(dynamic_j, others_s, busy_s) + part(static_j, others_s, total_s);
    Attribution {
        measured_total_j: total_j,
        modelled: false,
        static_j,
        task_j,
        others_j,
        idle_j: (total_j - task_j - others_j).max(0.0),
        task_cpu_s: task_s,
        others_cpu_s: others_s,
        idle_cpu_s: idle_s,
    }
}

/// One counter's machine-wide energy over a span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEnergy {
    pub name: String,
    pub kind: DomainKind,
    pub joules: f64,
}

/// The energy of a span: IT energy, before PUE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Energy {
    pub method: Method,
    /// True for a model figure.
    pub estimate: bool,
    /// Joules attributed to this process over the span.
    pub joules: f64,
    /// Of which processor (package / platform, or the model's per-core term).
    pub cpu_joules: f64,
    /// Of which memory (DRAM counter, or the model's memory term).
    pub ram_joules: f64,
    /// Relative uncertainty (0.4 = ±40 %): the larger side of the band.
    pub uncertainty: f64,
    /// The band below and above the figure, relative (asymmetric for the model).
    pub band_low: f64,
    pub band_high: f64,
    /// How the machine's energy (measured, or modelled) was shared out.
    pub attribution: Option<Attribution>,
    /// For counters: the machine-wide energy per counter.
    pub domains: Vec<DomainEnergy>,
    pub notes: Vec<String>,
}

/// A closed span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanRecord {
    pub name: String,
    /// When the span opened, Unix seconds (UTC).
    pub started_unix_s: f64,
    pub wall_s: f64,
    pub cpu_user_s: f64,
    pub cpu_system_s: f64,
    /// The process's peak resident memory at the span's end.
    pub peak_rss_bytes: u64,
    /// Busy share of the whole machine over the span (0–1), from `/proc/stat`.
    pub machine_busy_share: Option<f64>,
    pub energy: Energy,
    pub children: Vec<SpanRecord>,
}

impl SpanRecord {
    /// Process CPU seconds (user + system).
    pub fn cpu_s(&self) -> f64 {
        self.cpu_user_s + self.cpu_system_s
    }
}

/// Relative uncertainty of a counter figure: RAPL/perf against a wall meter, ±5 %
/// (Khan et al. 2018, "RAPL in Action", ACM TOMPECS), combined with the `/proc/stat`
/// tick resolution of the share (±2 ticks over the interval's ticks).
fn counter_uncertainty(machine: Option<MachineCpu>) -> f64 {
    let ticks = machine.map_or(0, |m| m.busy_ticks + m.idle_ticks);
    let tick = if ticks > 0 { 2.0 / ticks as f64 } else { 0.5 };
    (0.05f64.powi(2) + tick.min(1.0).powi(2)).sqrt()
}

impl Span {
    /// Runs `f` as a phase named `name` inside this span and records it as a child.
    pub fn phase<T>(&mut self, name: impl Into<String>, f: impl FnOnce(&mut Span) -> T) -> T {
        let mut child = self.meter.span(name);
        let out = f(&mut child);
        let rec = child.finish();
        self.children.push(rec);
        out
    }

    /// Counts a child process's CPU time (user, system seconds) and peak resident bytes in
    /// this span (its own `getrusage` does not see them).
    pub fn add_external(&mut self, user_s: f64, system_s: f64, peak_rss_bytes: u64) {
        self.external.0 += user_s.max(0.0);
        self.external.1 += system_s.max(0.0);
        self.external.2 = self.external.2.max(peak_rss_bytes);
    }

    /// Counts the CPU time the process spent before this span opened (loading its
    /// libraries, reading its arguments and the machine): for the root span of a program,
    /// whose energy line is the whole run's. A short command spends most of its CPU there
    /// (0.11 s against 2 ms in its span on a 2-vCPU VM: a figure 100 times too small).
    pub fn count_start_up(&mut self) {
        self.external.0 += self.start.cpu.user_s.max(0.0);
        self.external.1 += self.start.cpu.system_s.max(0.0);
    }

    /// Adds a span closed elsewhere (e.g. one a library call returned) as a child.
    pub fn adopt(&mut self, record: SpanRecord) {
        self.children.push(record);
    }

    /// The phases closed so far.
    pub fn children(&self) -> &[SpanRecord] {
        &self.children
    }

    /// The meter this span reads.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// Seconds since the span opened.
    pub fn elapsed_s(&self) -> f64 {
        self.start.at.elapsed().as_secs_f64()
    }

    /// Closes the span.
    pub fn finish(self) -> SpanRecord {
        let end = self.meter.reading();
        let inner = &self.meter.inner;
        let wall_s = end.at.duration_since(self.start.at).as_secs_f64();
        let user = (end.cpu.user_s - self.start.cpu.user_s).max(0.0) + self.external.0;
        let system = (end.cpu.system_s - self.start.cpu.system_s).max(0.0) + self.external.1;
        let peak_rss_bytes = end.cpu.peak_rss_bytes.max(self.external.2);
        let cpu_s = user + system;
        let machine = match (self.start.machine, end.machine) {
            (Some(a), Some(b)) => Some(b.since(&a)),
            _ => None,
        };
        let busy_share = machine.and_then(|m| {
            let t = m.busy_ticks + m.idle_ticks;
            (t > 0).then(|| m.busy_ticks as f64 / t as f64)
        });
        let mem_gb = peak_rss_bytes as f64 / 1e9;
        let mut notes = Vec::new();
        let counted = match (&inner.counter, &self.start.counters, &end.counters) {
            (Some(c), Some(a), Some(b)) => Some((c, a, b)),
            (Some(_), _, _) => {
                notes.push("a counter could not be read at a span boundary: the model was used for this span".into());
                None
            }
            _ => None,
        };
        let (busy_s, all_s) = machine_seconds(
            cpu_s,
            machine,
            inner.ticks_per_s,
            wall_s,
            inner.cpu.logical_cpus,
        );
        let energy = match counted {
            Some((counter, a, b)) => {
                let kinds = counter.kinds();
                let names = counter.names();
                let domains: Vec<DomainEnergy> = names
                    .into_iter()
                    .zip(kinds)
                    .zip(a.iter().zip(b))
                    .map(|((name, kind), (x, y))| DomainEnergy {
                        name,
                        kind,
                        joules: (y - x).max(0.0),
                    })
                    .collect();
                let total: f64 = domains.iter().map(|d| d.joules).sum();
                let ram: f64 = domains
                    .iter()
                    .filter(|d| d.kind == DomainKind::Dram)
                    .map(|d| d.joules)
                    .sum();
                let mut att = attribute(
                    total,
                    inner.model.idle_w_per_cpu * all_s,
                    cpu_s,
                    machine,
                    inner.ticks_per_s,
                    wall_s,
                    inner.cpu.logical_cpus,
                );
                // shares are taken over different intervals, so a span's share can come out
                // below the sum of its phases' (the process's other threads, the machine's
                // load in between): a span holds at least what its phases hold, taken from
                // the others' share first, then from idle, so the three still add up
                let phases: f64 = self
                    .children
                    .iter()
                    .filter(|c| !c.energy.estimate)
                    .map(|c| c.energy.joules)
                    .sum();
                if phases > att.task_j {
                    let raise = (phases.min(total) - att.task_j).max(0.0);
                    let from_others = raise.min(att.others_j);
                    att.others_j -= from_others;
                    att.idle_j = (att.idle_j - (raise - from_others)).max(0.0);
                    att.task_j += raise;
                }
                let share = if total > 0.0 { att.task_j / total } else { 0.0 };
                if end.long_gaps > self.start.long_gaps {
                    notes.push(format!(
                        "{} interval(s) between counter readings were longer than {:.0} s: a RAPL counter may have wrapped more than once (the figure may be low)",
                        end.long_gaps - self.start.long_gaps,
                        inner.wrap_guard_s
                    ));
                }
                let u = counter_uncertainty(machine);
                Energy {
                    method: counter.method(),
                    estimate: false,
                    joules: att.task_j,
                    cpu_joules: (total - ram) * share,
                    ram_joules: ram * share,
                    uncertainty: u,
                    band_low: u,
                    band_high: u,
                    attribution: Some(att),
                    domains,
                    notes,
                }
            }
            None => {
                let model = &inner.model;
                let (cpu_j, ram_j) = model.joules(cpu_s, mem_gb, wall_s);
                let mut att = attribute(
                    model.machine_joules(busy_s, all_s),
                    model.idle_w_per_cpu * all_s,
                    cpu_s,
                    machine,
                    inner.ticks_per_s,
                    wall_s,
                    inner.cpu.logical_cpus,
                );
                att.modelled = true;
                Energy {
                    method: Method::Model,
                    estimate: true,
                    joules: cpu_j + ram_j,
                    cpu_joules: cpu_j,
                    ram_joules: ram_j,
                    uncertainty: model.uncertainty,
                    band_low: model.band_low,
                    band_high: model.band_high,
                    attribution: Some(att),
                    domains: vec![],
                    notes,
                }
            }
        };
        SpanRecord {
            name: self.name,
            started_unix_s: self.start.unix_s,
            wall_s,
            cpu_user_s: user,
            cpu_system_s: system,
            peak_rss_bytes,
            machine_busy_share: busy_share,
            energy,
            children: self.children,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(busy: u64, idle: u64) -> Option<MachineCpu> {
        Some(MachineCpu {
            busy_ticks: busy,
            idle_ticks: idle,
        })
    }

    #[test]
    fn attribution_sums_to_the_measured_total() {
        // (total J, static J, task cpu s, busy ticks, idle ticks) at 100 ticks/s
        let cases = [
            (100.0, 40.0, 1.0, 150, 50),
            (100.0, 40.0, 2.5, 150, 50), // task above busy ticks (tick rounding): others 0
            (50.0, 50.0, 0.0, 0, 200),   // an idle machine
            (0.0, 0.0, 1.0, 100, 100),   // no energy
            (30.0, 80.0, 1.0, 100, 100), // static above the total: capped
        ];
        for (total, stat, task, busy, idle) in cases {
            let a = attribute(total, stat, task, ticks(busy, idle), 100.0, 1.0, 2);
            let sum = a.task_j + a.others_j + a.idle_j;
            assert!((sum - total).abs() < 1e-9, "{a:?}");
            assert!(
                a.task_j >= 0.0 && a.others_j >= 0.0 && a.idle_j >= 0.0,
                "{a:?}"
            );
            assert!(a.static_j <= total, "{a:?}");
        }
    }

    #[test]
    fn attribution_known_shares() {
        // 2 s of machine time: task busy 1 s, others 0.5 s, idle 0.5 s; 100 J of which
        // 40 J static. Dynamic 60 J over 1.5 busy s: task 40, others 20. Static 40 J over
        // 2 s: task 20, others 10, idle 10.
        let a = attribute(100.0, 40.0, 1.0, ticks(150, 50), 100.0, 1.0, 2);
        assert_eq!((a.task_j, a.others_j, a.idle_j), (60.0, 30.0, 10.0));
        assert_eq!(
            (a.task_cpu_s, a.others_cpu_s, a.idle_cpu_s),
            (1.0, 0.5, 0.5)
        );
        // a task with no CPU time is charged nothing, however busy the machine
        let a = attribute(100.0, 40.0, 0.0, ticks(150, 50), 100.0, 1.0, 2);
        assert_eq!(a.task_j, 0.0);
        assert_eq!((a.others_j, a.idle_j), (60.0 + 30.0, 10.0));
        // a busy machine of 4 CPUs for 10 s, 32 busy CPU-s of which the task's 8:
        // 200 J static, 600 J dynamic → task 8/32 × 600 + 8/40 × 200 = 190 J;
        // others 24/32 × 600 + 24/40 × 200 = 570 J; idle 8/40 × 200 = 40 J
        let a = attribute(800.0, 200.0, 8.0, ticks(3200, 800), 100.0, 10.0, 4);
        assert!((a.task_j - 190.0).abs() < 1e-9, "{a:?}");
        assert!((a.others_j - 570.0).abs() < 1e-9, "{a:?}");
        assert!((a.idle_j - 40.0).abs() < 1e-9, "{a:?}");
        // no tick elapsed: wall × cpus stands in for the machine's time, all idle but the task
        let a = attribute(10.0, 4.0, 0.001, None, 100.0, 0.002, 2);
        // dynamic 6 J all the task's; static 4 J × 0.001 / 0.004
        assert!((a.task_j - 7.0).abs() < 1e-9, "{a:?}");
        assert!((a.idle_j - 3.0).abs() < 1e-9 && a.others_j == 0.0, "{a:?}");
    }

    #[test]
    fn model_attribution_matches_the_model_figure() {
        // the model's machine energy shared by the convention gives the task P_max × CPU-s
        let model = PowerModel::for_cpu(
            &CpuInfo {
                model_name: "Intel(R) Xeon(R) Processor".into(),
                logical_cpus: 4,
                physical_cores: 2,
                sockets: 1,
                hypervisor: true,
                ..CpuInfo::default()
            },
            None,
            None,
            None,
            PowerBasis::Auto,
        )
        .unwrap();
        let m = ticks(1200, 2800); // 40 CPU-s, 12 busy
        let (busy, all) = machine_seconds(5.0, m, 100.0, 10.0, 4);
        assert_eq!((busy, all), (12.0, 40.0));
        let a = attribute(
            model.machine_joules(busy, all),
            model.idle_w_per_cpu * all,
            5.0,
            m,
            100.0,
            10.0,
            4,
        );
        assert!((a.task_j - 5.0 * model.w_per_cpu).abs() < 1e-9, "{a:?}");
        assert!(
            (a.idle_j - 28.0 * model.idle_w_per_cpu).abs() < 1e-9,
            "{a:?}"
        );
    }

    #[test]
    fn model_meter_nests_phases() {
        let meter = Meter::detect(&MeterConfig::model_only()).unwrap();
        assert_eq!(meter.method(), Method::Model);
        let mut task = meter.span("task");
        let x = task.phase("compute", |p| {
            p.phase("inner", |_| {
                let mut acc = 0u64;
                for i in 0..5_000_000u64 {
                    acc = acc.wrapping_mul(31).wrapping_add(i);
                }
                std::hint::black_box(acc)
            })
        });
        std::hint::black_box(x);
        let rec = task.finish();
        assert_eq!(rec.children.len(), 1);
        assert_eq!(rec.children[0].children.len(), 1);
        assert!(rec.energy.estimate);
        assert!(rec.energy.joules >= rec.children[0].energy.joules * 0.99);
        assert!(rec.wall_s >= rec.children[0].wall_s);
        let e = &rec.energy;
        assert!((e.cpu_joules + e.ram_joules - e.joules).abs() < 1e-12);
    }
}
