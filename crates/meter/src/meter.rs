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

use serde::Serialize;

use crate::error::Result;
use crate::model::{Calibration, PowerModel};
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
}

impl Default for MeterConfig {
    fn default() -> Self {
        MeterConfig {
            powercap_root: PathBuf::from(rapl::DEFAULT_ROOT),
            sysfs_root: PathBuf::from(perf::DEFAULT_SYSFS),
            proc_root: PathBuf::from("/proc"),
            force_model: false,
            cpu_w_per_core: None,
            mem_w_per_gb: None,
            calibration: Calibration::default_path(),
        }
    }
}

#[derive(Debug)]
enum Counter {
    Rapl(Rapl),
    Perf(PerfPower),
}

impl Counter {
    fn read(&self) -> Result<Vec<u64>> {
        match self {
            Counter::Rapl(r) => r.read(),
            Counter::Perf(p) => p.read(),
        }
    }
    fn joules_between(&self, a: &[u64], b: &[u64]) -> Vec<f64> {
        match self {
            Counter::Rapl(r) => r.joules_between(a, b),
            Counter::Perf(p) => p.joules_between(a, b),
        }
    }
    fn names(&self) -> Vec<String> {
        match self {
            Counter::Rapl(r) => r.zones.iter().map(|z| z.name.clone()).collect(),
            Counter::Perf(p) => p.domain_names(),
        }
    }
    fn kinds(&self) -> Vec<DomainKind> {
        match self {
            Counter::Rapl(r) => r.zones.iter().map(|z| z.kind).collect(),
            Counter::Perf(p) => p.domain_kinds(),
        }
    }
    fn method(&self) -> Method {
        match self {
            Counter::Rapl(_) => Method::Rapl,
            Counter::Perf(_) => Method::Perf,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
        let cpu = CpuInfo::read(&config.proc_root);
        let model = PowerModel::for_cpu(
            &cpu,
            config.cpu_w_per_core,
            config.calibration.as_deref(),
            config.mem_w_per_gb,
        )?;
        let mut probes = Vec::new();
        let mut counter: Option<Counter> = None;
        type Probe<'a> = &'a dyn Fn() -> Result<Counter, Unavailable>;
        let candidates: [(Method, Probe<'_>); 2] = [
            (Method::Rapl, &|| {
                Rapl::probe(&config.powercap_root).map(Counter::Rapl)
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
                Ok(c) => match advances(&c) {
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
                        unavailable: Some(Unavailable::Unsupported(
                            "the counters opened but did not advance in 25 ms (a virtual machine that exposes the event without the hardware behind it)".into(),
                        )),
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
                    model.w_per_core * (cpu.physical_cores / cpu.sockets.max(1)).max(1) as f64;
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
        Ok(Meter {
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
        })
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
        }
    }
}

#[derive(Debug, Clone)]
struct Reading {
    at: Instant,
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
}

/// How a counter's machine-wide energy was shared out.
///
/// Rule: over the span, machine CPU time `T` (all CPUs, busy + idle, from `/proc/stat`)
/// splits into this process's CPU time, other processes' busy time and idle time; the
/// measured energy is split in the same proportions, so `task + others + idle = total`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Attribution {
    pub measured_total_j: f64,
    pub task_j: f64,
    pub others_j: f64,
    pub idle_j: f64,
    pub task_cpu_s: f64,
    pub others_cpu_s: f64,
    pub idle_cpu_s: f64,
}

/// Shares `total_j` by CPU time. `machine` holds the `/proc/stat` tick deltas over the
/// interval; where it shows no tick (a span shorter than a tick) the machine's time is
/// taken as `wall_s × logical_cpus`, all of it idle but the task's.
pub fn attribute(
    total_j: f64,
    task_cpu_s: f64,
    machine: Option<MachineCpu>,
    ticks_per_s: f64,
    wall_s: f64,
    logical_cpus: usize,
) -> Attribution {
    let (busy_s, idle_s) = match machine {
        Some(m) if m.busy_ticks + m.idle_ticks > 0 => (
            m.busy_ticks as f64 / ticks_per_s,
            m.idle_ticks as f64 / ticks_per_s,
        ),
        _ => {
            let t = (wall_s * logical_cpus as f64).max(task_cpu_s);
            (task_cpu_s, t - task_cpu_s)
        }
    };
    let total_s = busy_s + idle_s;
    let task_s = task_cpu_s.clamp(0.0, total_s);
    let others_s = (busy_s - task_s).max(0.0);
    let idle_s = (total_s - task_s - others_s).max(0.0);
    let share = |s: f64| {
        if total_s > 0.0 {
            total_j * s / total_s
        } else {
            0.0
        }
    };
    let (task_j, others_j) = (share(task_s), share(others_s));
    Attribution {
        measured_total_j: total_j,
        task_j,
        others_j,
        idle_j: total_j - task_j - others_j,
        task_cpu_s: task_s,
        others_cpu_s: others_s,
        idle_cpu_s: idle_s,
    }
}

/// One counter's machine-wide energy over a span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainEnergy {
    pub name: String,
    pub kind: DomainKind,
    pub joules: f64,
}

/// The energy of a span: IT energy, before PUE.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Relative uncertainty (0.4 = ±40 %).
    pub uncertainty: f64,
    /// For counters: how the machine's energy was shared out.
    pub attribution: Option<Attribution>,
    /// For counters: the machine-wide energy per counter.
    pub domains: Vec<DomainEnergy>,
    pub notes: Vec<String>,
}

/// A closed span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanRecord {
    pub name: String,
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
        let user = (end.cpu.user_s - self.start.cpu.user_s).max(0.0);
        let system = (end.cpu.system_s - self.start.cpu.system_s).max(0.0);
        let cpu_s = user + system;
        let machine = match (self.start.machine, end.machine) {
            (Some(a), Some(b)) => Some(b.since(&a)),
            _ => None,
        };
        let busy_share = machine.and_then(|m| {
            let t = m.busy_ticks + m.idle_ticks;
            (t > 0).then(|| m.busy_ticks as f64 / t as f64)
        });
        let mem_gb = end.cpu.peak_rss_bytes as f64 / 1e9;
        let mut notes = Vec::new();
        let counted = match (&inner.counter, &self.start.counters, &end.counters) {
            (Some(c), Some(a), Some(b)) => Some((c, a, b)),
            (Some(_), _, _) => {
                notes.push("a counter could not be read at a span boundary: the model was used for this span".into());
                None
            }
            _ => None,
        };
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
                Energy {
                    method: counter.method(),
                    estimate: false,
                    joules: att.task_j,
                    cpu_joules: (total - ram) * share,
                    ram_joules: ram * share,
                    uncertainty: counter_uncertainty(machine),
                    attribution: Some(att),
                    domains,
                    notes,
                }
            }
            None => {
                let (cpu_j, ram_j) = inner.model.joules(cpu_s, mem_gb, wall_s);
                Energy {
                    method: Method::Model,
                    estimate: true,
                    joules: cpu_j + ram_j,
                    cpu_joules: cpu_j,
                    ram_joules: ram_j,
                    uncertainty: inner.model.uncertainty,
                    attribution: None,
                    domains: vec![],
                    notes,
                }
            }
        };
        SpanRecord {
            name: self.name,
            wall_s,
            cpu_user_s: user,
            cpu_system_s: system,
            peak_rss_bytes: end.cpu.peak_rss_bytes,
            machine_busy_share: busy_share,
            energy,
            children: self.children,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribution_sums_to_the_measured_total() {
        // (total J, task cpu s, busy ticks, idle ticks) at 100 ticks/s
        let cases = [
            (100.0, 1.0, 150, 50), // task 1 s, others 0.5 s, idle 0.5 s
            (100.0, 2.5, 150, 50), // task above busy ticks (tick rounding): others 0
            (50.0, 0.0, 0, 200),   // an idle machine
            (0.0, 1.0, 100, 100),  // no energy
        ];
        for (total, task, busy, idle) in cases {
            let m = MachineCpu {
                busy_ticks: busy,
                idle_ticks: idle,
            };
            let a = attribute(total, task, Some(m), 100.0, 1.0, 2);
            let sum = a.task_j + a.others_j + a.idle_j;
            assert!((sum - total).abs() < 1e-9, "{a:?}");
            assert!(
                a.task_j >= 0.0 && a.others_j >= 0.0 && a.idle_j >= -1e-12,
                "{a:?}"
            );
        }
        let a = attribute(
            100.0,
            1.0,
            Some(MachineCpu {
                busy_ticks: 150,
                idle_ticks: 50,
            }),
            100.0,
            1.0,
            2,
        );
        assert_eq!((a.task_j, a.others_j, a.idle_j), (50.0, 25.0, 25.0));
        // no tick elapsed: wall × cpus stands in for the machine's time
        let a = attribute(10.0, 0.001, None, 100.0, 0.002, 2);
        assert!((a.task_j - 2.5).abs() < 1e-9, "{a:?}");
    }

    #[test]
    fn model_meter_nests_phases() {
        let meter = Meter::detect(&MeterConfig {
            force_model: true,
            calibration: None,
            ..MeterConfig::default()
        })
        .unwrap();
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
