//! RAPL through a powercap tree built in a temp dir (issue 2): parsing, the zones that are
//! summed, wrap-around, permission errors, and a meter reading counters that a writer
//! thread advances as the kernel would.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use terrawatt_meter::rapl::Rapl;
use terrawatt_meter::source::DomainKind;
use terrawatt_meter::{Meter, MeterConfig, Method, Unavailable};

fn zone(root: &Path, dir: &str, name: &str, energy: u64, range: u64) {
    let d = root.join(dir);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("name"), format!("{name}\n")).unwrap();
    std::fs::write(d.join("energy_uj"), format!("{energy}\n")).unwrap();
    std::fs::write(d.join("max_energy_range_uj"), format!("{range}\n")).unwrap();
}

/// A two-socket server: packages with core/uncore/dram sub-zones, plus an mmio copy.
fn server(root: &Path) {
    zone(root, "intel-rapl:0", "package-0", 1_000, 262_143_328_850);
    zone(root, "intel-rapl:0:0", "core", 500, 262_143_328_850);
    zone(root, "intel-rapl:0:1", "uncore", 100, 262_143_328_850);
    zone(root, "intel-rapl:0:2", "dram", 300, 65_712_999_613);
    zone(root, "intel-rapl:1", "package-1", 2_000, 262_143_328_850);
    zone(root, "intel-rapl:1:0", "dram", 400, 65_712_999_613);
    zone(
        root,
        "intel-rapl-mmio:0",
        "package-0",
        1_000,
        262_143_328_850,
    );
    std::fs::create_dir_all(root.join("intel-rapl")).unwrap();
}

/// The meter's settings with the powercap tree under `root`: no sysfs, calibration or
/// probe cache.
fn rapl_config(root: &Path) -> MeterConfig {
    MeterConfig {
        powercap_root: root.to_path_buf(),
        sysfs_root: root.join("no-sysfs"),
        calibration: None,
        probe_cache: None,
        ..MeterConfig::default()
    }
}

#[test]
fn packages_and_dram_are_summed_parts_are_not() {
    let dir = tempfile::tempdir().unwrap();
    server(dir.path());
    let rapl = Rapl::probe(dir.path()).unwrap();
    let names: Vec<_> = rapl.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, ["package-0", "dram", "package-1", "dram"]);
    let kinds: Vec<_> = rapl.zones.iter().map(|z| z.kind).collect();
    assert_eq!(
        kinds,
        [
            DomainKind::Package,
            DomainKind::Dram,
            DomainKind::Package,
            DomainKind::Dram
        ]
    );
    assert_eq!(rapl.read().unwrap(), vec![1_000, 300, 2_000, 400]);
    assert!((rapl.min_range_j() - 65_712.999_613).abs() < 1e-6);
}

#[test]
fn psys_alone_where_no_package() {
    let dir = tempfile::tempdir().unwrap();
    zone(dir.path(), "intel-rapl:0", "psys", 10, 1_000_000);
    let rapl = Rapl::probe(dir.path()).unwrap();
    assert_eq!(rapl.zones.len(), 1);
    assert_eq!(rapl.zones[0].kind, DomainKind::Platform);
    // and psys is dropped where a package exists
    zone(dir.path(), "intel-rapl:1", "package-0", 10, 1_000_000);
    let rapl = Rapl::probe(dir.path()).unwrap();
    assert_eq!(rapl.zones.len(), 1);
    assert_eq!(rapl.zones[0].kind, DomainKind::Package);
}

#[test]
fn wrap_between_readings() {
    let dir = tempfile::tempdir().unwrap();
    zone(dir.path(), "intel-rapl:0", "package-0", 999_000, 1_000_000);
    let rapl = Rapl::probe(dir.path()).unwrap();
    let a = rapl.read().unwrap();
    std::fs::write(dir.path().join("intel-rapl:0/energy_uj"), "4000\n").unwrap();
    let b = rapl.read().unwrap();
    let j = rapl.joules_between(&a, &b);
    assert!((j[0] - 0.005).abs() < 1e-12, "{j:?}");
}

#[test]
fn absent_and_broken_trees() {
    let dir = tempfile::tempdir().unwrap();
    let missing = Rapl::probe(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(missing, Unavailable::Absent(_)), "{missing}");
    let empty = Rapl::probe(dir.path()).unwrap_err();
    assert!(matches!(empty, Unavailable::Absent(_)), "{empty}");
    zone(dir.path(), "intel-rapl:0", "package-0", 0, 1_000);
    std::fs::write(dir.path().join("intel-rapl:0/energy_uj"), "n/a\n").unwrap();
    let bad = Rapl::probe(dir.path()).unwrap_err();
    assert!(matches!(bad, Unavailable::Unsupported(_)), "{bad}");
    assert!(bad.to_string().contains("energy_uj"), "{bad}");
}

/// Runs `f` on a thread without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (capabilities are
/// per thread on Linux), so that file modes bind even for root.
fn without_dac_override<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(move || {
        #[repr(C)]
        struct Header {
            version: u32,
            pid: i32,
        }
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        struct Data {
            effective: u32,
            permitted: u32,
            inheritable: u32,
        }
        let mut header = Header {
            version: 0x2008_0522,
            pid: 0,
        };
        let mut data = [Data::default(); 2];
        // SAFETY: header and a two-element data array, as capget v3 expects.
        let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
        assert_eq!(rc, 0, "capget");
        data[0].effective &= !((1 << 1) | (1 << 2));
        // SAFETY: as above; lowering this thread's effective set is always allowed.
        let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
        assert_eq!(rc, 0, "capset");
        f()
    })
    .join()
    .unwrap()
}

#[test]
fn unreadable_counter_says_permission_denied_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    zone(dir.path(), "intel-rapl:0", "package-0", 0, 1_000);
    let energy = dir.path().join("intel-rapl:0/energy_uj");
    std::fs::set_permissions(&energy, std::fs::Permissions::from_mode(0o400)).unwrap();
    // owned by root, mode 0400: readable only by root with its DAC override
    let root = dir.path().to_path_buf();
    let err = without_dac_override(move || {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            std::fs::set_permissions(
                root.join("intel-rapl:0/energy_uj"),
                std::fs::Permissions::from_mode(0o000),
            )
            .unwrap();
        }
        Rapl::probe(&root).unwrap_err()
    });
    match &err {
        Unavailable::PermissionDenied { reason, fix } => {
            assert!(reason.contains("energy_uj"), "{reason}");
            // a group first: world-readable counters reopen the PLATYPUS side channel
            assert!(
                fix.contains("CVE-2020-8694") && fix.contains("0440"),
                "{fix}"
            );
        }
        other => panic!("expected permission denied, got {other:?}"),
    }
}

/// Advances `energy_uj` files at a constant power, wrapping at their range, as the kernel
/// does; each write is a rename so a reader never sees half a number.
fn kernel(root: &Path, zones: Vec<(&'static str, f64, u64)>, stop: Arc<AtomicBool>) {
    let root = root.to_path_buf();
    let t0 = Instant::now();
    let start: Vec<u64> = zones
        .iter()
        .map(|(d, _, _)| {
            std::fs::read_to_string(root.join(d).join("energy_uj"))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    while !stop.load(Ordering::Relaxed) {
        let t = t0.elapsed().as_secs_f64();
        for ((dir, watts, range), s) in zones.iter().zip(&start) {
            let uj = (*s as f64 + watts * t * 1e6) as u64 % (range + 1);
            let tmp = root.join(dir).join(".energy_uj.new");
            std::fs::write(&tmp, format!("{uj}\n")).unwrap();
            std::fs::rename(&tmp, root.join(dir).join("energy_uj")).unwrap();
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

#[test]
fn meter_reads_a_live_tree_through_wraps_and_attribution_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    // package 20 W wrapping every 0.25 s (the meter reads every 10 ms; a wider margin than
    // 0.1 s keeps a loaded machine from missing a wrap); dram 2 W
    zone(dir.path(), "intel-rapl:0", "package-0", 0, 5_000_000);
    zone(dir.path(), "intel-rapl:0:2", "dram", 0, 65_712_999_613);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (root, stop) = (dir.path().to_path_buf(), Arc::clone(&stop));
        std::thread::spawn(move || {
            kernel(
                &root,
                vec![
                    ("intel-rapl:0", 20.0, 5_000_000),
                    ("intel-rapl:0:2", 2.0, 65_712_999_613),
                ],
                stop,
            )
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    let meter = Meter::detect(&rapl_config(dir.path())).unwrap();
    assert_eq!(meter.method(), Method::Rapl);
    let mut task = meter.span("task");
    task.phase("work", |p| {
        let until = Instant::now() + Duration::from_millis(400);
        while Instant::now() < until {
            // read more often than the 0.25 s wrap period
            p.meter().refresh();
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let rec = task.finish();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();

    let e = &rec.energy;
    assert_eq!(e.method, Method::Rapl);
    assert!(!e.estimate);
    let package = e.domains.iter().find(|d| d.name == "package-0").unwrap();
    let dram = e.domains.iter().find(|d| d.name == "dram").unwrap();
    let expect_pkg = 20.0 * rec.wall_s;
    assert!(
        (package.joules - expect_pkg).abs() < 0.15 * expect_pkg,
        "package {} J over {} s, expected about {expect_pkg} J",
        package.joules,
        rec.wall_s
    );
    assert!((dram.joules - 2.0 * rec.wall_s).abs() < 0.15 * 2.0 * rec.wall_s);
    let a = e.attribution.unwrap();
    assert!((a.measured_total_j - package.joules - dram.joules).abs() < 1e-9);
    assert!(
        (a.task_j + a.others_j + a.idle_j - a.measured_total_j).abs() < 1e-9,
        "{a:?}"
    );
    assert!((e.joules - a.task_j).abs() < 1e-12);
    assert!((e.cpu_joules + e.ram_joules - e.joules).abs() < 1e-9);
    let phase = &rec.children[0];
    assert!(phase.energy.joules <= e.joules + 1e-9);
}

#[test]
fn tpmi_zones_are_read_where_no_msr_package_exists() {
    // Xeon 6: the TPMI driver's zones, same layout
    let dir = tempfile::tempdir().unwrap();
    zone(dir.path(), "intel-rapl-tpmi:0", "package-0", 10, 1_000_000);
    zone(dir.path(), "intel-rapl-tpmi:1", "package-1", 20, 1_000_000);
    zone(dir.path(), "intel-rapl-tpmi:0:0", "dram", 5, 1_000_000);
    let rapl = Rapl::probe(dir.path()).unwrap();
    let names: Vec<_> = rapl.zones.iter().map(|z| z.name.as_str()).collect();
    assert_eq!(names, ["package-0", "dram", "package-1"]);
    assert_eq!(rapl.read().unwrap(), vec![10, 5, 20]);
    // where the MSR driver has the packages too, TPMI is not added again
    zone(dir.path(), "intel-rapl:0", "package-0", 7, 1_000_000);
    let rapl = Rapl::probe(dir.path()).unwrap();
    assert_eq!(rapl.read().unwrap(), vec![7]);
    // an empty tree names both drivers
    let empty = tempfile::tempdir().unwrap();
    let err = Rapl::probe(empty.path()).unwrap_err();
    assert!(err.to_string().contains("intel-rapl-tpmi"), "{err}");
}

#[test]
fn a_long_span_without_readings_loses_no_wrap() {
    // package 20 W wrapping every second; the span reads the counters only at its ends
    // (2.6 s: two wraps or more): the meter's own watch reads between them
    let dir = tempfile::tempdir().unwrap();
    zone(dir.path(), "intel-rapl:0", "package-0", 0, 20_000_000);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (root, stop) = (dir.path().to_path_buf(), Arc::clone(&stop));
        std::thread::spawn(move || kernel(&root, vec![("intel-rapl:0", 20.0, 20_000_000)], stop))
    };
    std::thread::sleep(Duration::from_millis(20));
    let meter = Meter::detect(&MeterConfig {
        // 2 W per busy CPU: the plausible package power stays below 20 W / 1.5
        cpu_w_per_core: Some((2.0, None)),
        ..rapl_config(dir.path())
    })
    .unwrap();
    let span = meter.span("long");
    std::thread::sleep(Duration::from_millis(2600));
    let rec = span.finish();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let total = rec.energy.attribution.unwrap().measured_total_j;
    let expect = 20.0 * rec.wall_s;
    assert!(
        (total - expect).abs() < 0.15 * expect,
        "{total} J over {} s, expected about {expect} J",
        rec.wall_s
    );
}

#[test]
fn whether_a_counter_advances_is_probed_once_per_boot() {
    // a counter that never moves (as some hypervisors expose): probed once, then the
    // answer comes from the boot's cache file
    let dir = tempfile::tempdir().unwrap();
    let powercap = dir.path().join("powercap");
    zone(&powercap, "intel-rapl:0", "package-0", 1_000, 1_000_000);
    let proc_root = dir.path().join("proc");
    std::fs::create_dir_all(proc_root.join("sys/kernel/random")).unwrap();
    std::fs::write(
        proc_root.join("sys/kernel/random/boot_id"),
        "0f6e3c2a-1b2c-4d5e-8f90-123456789abc\n",
    )
    .unwrap();
    for f in ["stat", "meminfo", "cpuinfo"] {
        std::fs::copy(Path::new("/proc").join(f), proc_root.join(f)).unwrap();
    }
    let cache = dir.path().join("cache");
    let config = MeterConfig {
        powercap_root: powercap.clone(),
        sysfs_root: dir.path().join("no-sysfs"),
        proc_root,
        calibration: None,
        probe_cache: Some(cache.clone()),
        ..MeterConfig::default()
    };
    let first = Meter::detect(&config).unwrap();
    assert_eq!(first.method(), Method::Model);
    let file = cache.join("probe-0f6e3c2a-1b2c-4d5e-8f90-123456789abc.json");
    let saved: std::collections::BTreeMap<String, bool> =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved.values().next(), Some(&false));
    let why = |m: &Meter| {
        m.probes()
            .iter()
            .find(|p| p.method == Method::Rapl)
            .and_then(|p| p.unavailable.as_ref())
            .map(|u| u.to_string())
            .unwrap_or_default()
    };
    assert!(
        !why(&first).contains("earlier in this boot"),
        "{}",
        why(&first)
    );
    let second = Meter::detect(&config).unwrap();
    assert!(
        why(&second).contains("as probed earlier in this boot"),
        "{}",
        why(&second)
    );
    // a cached "advances" is used as such: the counter is read, no sleep
    let key = saved.keys().next().unwrap().clone();
    std::fs::write(&file, serde_json::json!({ key: true }).to_string()).unwrap();
    let third = Meter::detect(&config).unwrap();
    assert_eq!(third.method(), Method::Rapl);
}

#[test]
fn amd_energy_hwmon_sockets_are_summed_where_powercap_is_absent() {
    // the out-of-tree amd_energy driver: per-core and per-socket accumulators in µJ
    let dir = tempfile::tempdir().unwrap();
    let hw = dir.path().join("sys/class/hwmon/hwmon3");
    std::fs::create_dir_all(&hw).unwrap();
    std::fs::create_dir_all(dir.path().join("sys/class/hwmon/hwmon0")).unwrap();
    std::fs::write(dir.path().join("sys/class/hwmon/hwmon0/name"), "k10temp\n").unwrap();
    std::fs::write(hw.join("name"), "amd_energy\n").unwrap();
    for (k, label, v) in [
        (1, "Ecore000", 5_000_000u64),
        (2, "Ecore001", 6_000_000),
        (3, "Esocket0", 90_000_000),
        (4, "Esocket1", 80_000_000),
    ] {
        std::fs::write(hw.join(format!("energy{k}_label")), format!("{label}\n")).unwrap();
        std::fs::write(hw.join(format!("energy{k}_input")), format!("{v}\n")).unwrap();
    }
    let probed = terrawatt_meter::hwmon::AmdEnergy::probe(&dir.path().join("sys")).unwrap();
    assert_eq!(probed.names(), ["Esocket0", "Esocket1"]);
    assert_eq!(probed.read().unwrap(), vec![90_000_000, 80_000_000]);
    assert_eq!(
        probed.joules_between(&[90_000_000, 80_000_000], &[93_500_000, 80_000_000]),
        vec![3.5, 0.0]
    );
    // the meter takes it after RAPL, before perf; a static counter does not advance, so a
    // writer moves socket 0 while the meter probes
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (input, stop) = (hw.join("energy3_input"), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut v = 90_000_000u64;
            while !stop.load(Ordering::Relaxed) {
                v += 1_000;
                let tmp = input.with_extension("tmp");
                std::fs::write(&tmp, format!("{v}\n")).unwrap();
                std::fs::rename(&tmp, &input).unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let meter = Meter::detect(&MeterConfig {
        powercap_root: dir.path().join("no-powercap"),
        sysfs_root: dir.path().join("sys"),
        calibration: None,
        probe_cache: None,
        ..MeterConfig::default()
    })
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(meter.method(), Method::Hwmon);
}
