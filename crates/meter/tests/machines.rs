//! The power model on the machines analyses run on (issue 19): cloud VMs, SMT, bare-metal
//! servers, ARM guests. Each machine's `/proc/cpuinfo` is written into a temp proc root
//! and read by the meter's own reader (`MeterConfig::proc_root`, which
//! `TERRAWATT_PROC_ROOT` sets), with an empty powercap root so the model is used.
//!
//! The files: AWS m5.large, GCP N2, Azure (8370C) and the EPYC 7R13 and Graviton blocks
//! carry the fields of guests' cpuinfo as published (green-coding.io case study "CPU
//! utilization usefulness": m5.large, m5.metal, GCP n2-standard-8, GitHub Actions on
//! Azure; Graviton3 `CPU part 0xd40` as on c7g, Graviton2 `0xd0c`); the others are
//! constructed from the published model name, family/model/stepping and topology (the
//! topology table's sources). Vendor topologies: a guest sees its vCPUs as
//! `siblings`/`cpu cores` of one socket.
//!
//! The expected range of watts per busy vCPU: Cloud Carbon Footprint's SPECpower maximum
//! for the microarchitecture (ccf-coefficients, coefficients-aws-use.csv) × 0.7–1.4, the
//! spread of whole-server wall power against ΣTDP in SPECpower_ssj2008 results.

use std::path::Path;

use terrawatt_meter::model::{CorePowerSource, TopologyFrom};
use terrawatt_meter::{Meter, MeterConfig, Method, PowerBasis};

struct Machine {
    vendor: &'static str,
    family: u32,
    model: u32,
    stepping: u32,
    name: &'static str,
    sockets: usize,
    cores_per_socket: usize,
    threads_per_core: usize,
    hypervisor: bool,
}

/// A guest of `vcpus` vCPUs: one socket of two threads a core, with the hypervisor flag.
const fn guest(
    vendor: &'static str,
    family: u32,
    model: u32,
    stepping: u32,
    name: &'static str,
    vcpus: usize,
) -> Machine {
    Machine {
        vendor,
        family,
        model,
        stepping,
        name,
        sockets: 1,
        cores_per_socket: vcpus / 2,
        threads_per_core: 2,
        hypervisor: true,
    }
}

fn x86(m: &Machine) -> String {
    let mut t = String::new();
    let mut p = 0;
    for socket in 0..m.sockets {
        for thread in 0..m.threads_per_core {
            for core in 0..m.cores_per_socket {
                let _ = thread;
                t.push_str(&format!(
                    "processor\t: {p}\nvendor_id\t: {}\ncpu family\t: {}\nmodel\t\t: {}\nmodel name\t: {}\nstepping\t: {}\nphysical id\t: {socket}\nsiblings\t: {}\ncore id\t\t: {core}\ncpu cores\t: {}\nflags\t\t: fpu vme de pse tsc msr pae{} lahf_lm\n\n",
                    m.vendor,
                    m.family,
                    m.model,
                    m.name,
                    m.stepping,
                    m.cores_per_socket * m.threads_per_core,
                    m.cores_per_socket,
                    if m.hypervisor { " hypervisor" } else { "" }
                ));
                p += 1;
            }
        }
    }
    t
}

fn arm(part: u32, cpus: usize) -> String {
    (0..cpus)
        .map(|p| {
            format!(
                "processor\t: {p}\nBogoMIPS\t: 2100.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0x{part:03x}\nCPU revision\t: 1\n\n"
            )
        })
        .collect()
}

/// The meter on a proc root holding `cpuinfo` (and this machine's stat and meminfo).
fn meter_on(cpuinfo: &str, basis: PowerBasis) -> Meter {
    meter_on_platform(cpuinfo, basis, None)
}

/// The same, with a DMI `sys_vendor` and `product_name` under the sysfs root.
fn meter_on_platform(cpuinfo: &str, basis: PowerBasis, dmi: Option<(&str, &str)>) -> Meter {
    let dir = tempfile::tempdir().unwrap();
    if let Some((vendor, product)) = dmi {
        let id = dir.path().join("sys/class/dmi/id");
        std::fs::create_dir_all(&id).unwrap();
        std::fs::write(id.join("sys_vendor"), format!("{vendor}\n")).unwrap();
        std::fs::write(id.join("product_name"), format!("{product}\n")).unwrap();
    }
    let proc_root = dir.path().join("proc");
    std::fs::create_dir_all(&proc_root).unwrap();
    std::fs::write(proc_root.join("cpuinfo"), cpuinfo).unwrap();
    for f in ["stat", "meminfo"] {
        std::fs::copy(Path::new("/proc").join(f), proc_root.join(f)).unwrap();
    }
    let powercap = dir.path().join("powercap");
    std::fs::create_dir_all(&powercap).unwrap();
    let meter = Meter::detect(&MeterConfig {
        proc_root,
        powercap_root: powercap,
        sysfs_root: dir.path().join("sys"),
        calibration: None,
        probe_cache: None,
        power_model: basis,
        ..MeterConfig::default()
    })
    .unwrap();
    assert_eq!(meter.method(), Method::Model);
    meter
}

fn in_range(label: &str, w: f64, ccf_max: f64) {
    let (lo, hi) = (0.7 * ccf_max, 1.4 * ccf_max);
    assert!(
        (lo..=hi).contains(&w),
        "{label}: {w:.2} W per busy vCPU outside {lo:.2}–{hi:.2} W (CCF max {ccf_max} W × 0.7–1.4)"
    );
}

const INTEL: &str = "GenuineIntel";
const AMD: &str = "AuthenticAMD";

/// AWS m6i.large: 2 vCPUs, one core of a Xeon Platinum 8375C (Ice Lake: family 6 model 106
/// stepping 6).
const M6I_LARGE: Machine = guest(
    INTEL,
    6,
    106,
    6,
    "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
    2,
);

#[test]
fn aws_m6i_large_is_a_share_of_a_64_thread_package() {
    // m6i.large: 2 vCPUs = the 2 threads of one Ice Lake 8375C core (32 cores / 64 threads,
    // 300 W TDP in the table): 300 / 64 W per vCPU, not 300 W per core
    let m = meter_on(&x86(&M6I_LARGE), PowerBasis::Auto);
    let model = m.model();
    assert!((model.w_per_cpu - 300.0 / 64.0).abs() < 1e-9, "{model:?}");
    assert!(
        (model.w_per_cpu * 2.0 - 9.375).abs() < 1e-9,
        "2 busy vCPUs draw 9.4 W"
    );
    in_range("m6i.large", model.w_per_cpu, 3.76);
    assert!(model.share.vm);
    assert_eq!(model.share.threads_per_package, Some(64));
    assert!(
        model.share.summary.contains("VM share") && model.share.summary.contains("64 threads"),
        "{}",
        model.share.summary
    );
    assert_eq!((model.band_low, model.band_high), (0.40, 0.60));
    // the utilisation-aware model: CCF's Ice Lake figure
    let ccf = meter_on(&x86(&M6I_LARGE), PowerBasis::Ccf);
    assert_eq!(
        (ccf.model().w_per_cpu, ccf.model().idle_w_per_cpu),
        (3.76, 0.77)
    );
}

#[test]
fn aws_c6a_xlarge() {
    // 4 vCPUs of an EPYC 7R13 (48 cores / 96 threads, 225 W)
    let m = meter_on(
        &x86(&guest(AMD, 25, 1, 1, "AMD EPYC 7R13 Processor", 4)),
        PowerBasis::Auto,
    );
    let model = m.model();
    assert!((model.w_per_cpu - 225.0 / 96.0).abs() < 1e-9, "{model:?}");
    in_range("c6a.xlarge", model.w_per_cpu, 1.96);
    assert!(model.share.vm);
    // idle power from CCF's EPYC 3rd Gen minimum
    assert_eq!(model.idle_w_per_cpu, 0.46);
}

#[test]
fn gcp_n2_standard_4_hidden_model_name() {
    // Google hides the part: "Intel(R) Xeon(R) CPU @ 2.80GHz", family 6 model 85 stepping 7
    // is Cascade Lake, so CCF's Cascade Lake figure
    let m = meter_on(
        &x86(&guest(INTEL, 6, 85, 7, "Intel(R) Xeon(R) CPU @ 2.80GHz", 4)),
        PowerBasis::Auto,
    );
    let model = m.model();
    match &model.core_source {
        CorePowerSource::Ccf {
            microarchitecture, ..
        } => assert_eq!(microarchitecture, "Cascade Lake"),
        other => panic!("expected CCF, got {other:?}"),
    }
    assert_eq!(model.w_per_cpu, 4.06);
    in_range("n2-standard-4", model.w_per_cpu, 4.06);
    assert!(model.share.vm && model.share.summary.contains("family, model and stepping"));
}

#[test]
fn azure_d4s_v5() {
    // 4 vCPUs of a Xeon Platinum 8370C (Ice Lake, 32 cores / 64 threads, 205 W in the table)
    let m = meter_on(
        &x86(&guest(
            INTEL,
            6,
            106,
            6,
            "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz",
            4,
        )),
        PowerBasis::Auto,
    );
    assert!((m.model().w_per_cpu - 205.0 / 64.0).abs() < 1e-9);
    in_range("D4s_v5", m.model().w_per_cpu, 3.76);
    assert!(m.model().share.vm);
}

#[test]
fn two_socket_gold_6248_with_smt_stays_within_tdp() {
    // bare metal: 2 × 20 cores × 2 threads; all 80 threads busy draw the two packages' TDP
    let m = meter_on(
        &x86(&Machine {
            vendor: INTEL,
            family: 6,
            model: 85,
            stepping: 7,
            name: "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
            sockets: 2,
            cores_per_socket: 20,
            threads_per_core: 2,
            hypervisor: false,
        }),
        PowerBasis::Auto,
    );
    let model = m.model();
    assert_eq!(m.cpu().logical_cpus, 80);
    assert!((model.w_per_cpu - 3.75).abs() < 1e-12);
    let all_busy = model.w_per_cpu * 80.0;
    assert!(all_busy <= 1.2 * 300.0, "{all_busy} W");
    assert!((all_busy - 300.0).abs() < 1e-9);
    in_range("2 × Gold 6248", model.w_per_cpu, 4.06);
    assert!(!model.share.vm, "{}", model.share.summary);
}

#[test]
fn epyc_7763_bare_metal() {
    let m = meter_on(
        &x86(&Machine {
            vendor: AMD,
            family: 25,
            model: 1,
            stepping: 1,
            name: "AMD EPYC 7763 64-Core Processor",
            sockets: 1,
            cores_per_socket: 64,
            threads_per_core: 2,
            hypervisor: false,
        }),
        PowerBasis::Auto,
    );
    assert!((m.model().w_per_cpu - 280.0 / 128.0).abs() < 1e-12);
    in_range("EPYC 7763", m.model().w_per_cpu, 1.96);
    assert!(!m.model().share.vm);
}

#[test]
fn epyc_not_in_the_topology_table_takes_cores_from_its_name() {
    // EPYC 7713 is in the TDP table (225 W) but not the topology table: 64 cores from the
    // name × 2 threads, with the wider band
    let m = meter_on(
        &x86(&guest(AMD, 25, 1, 1, "AMD EPYC 7713 64-Core Processor", 8)),
        PowerBasis::Auto,
    );
    match &m.model().core_source {
        CorePowerSource::TdpTable {
            topology,
            threads_per_package,
            ..
        } => assert_eq!(
            (*topology, *threads_per_package),
            (TopologyFrom::ModelName, 128)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!((m.model().band_low, m.model().band_high), (0.60, 1.00));
    in_range("EPYC 7713 guest", m.model().w_per_cpu, 1.96);
}

#[test]
fn graviton_guests() {
    // Graviton2 (Neoverse N1, 0xd0c) and Graviton3 (V1, 0xd40): no SMT, CCF's figure
    for (part, micro) in [(0xd0c, "Graviton2"), (0xd40, "Graviton3")] {
        let m = meter_on(&arm(part, 2), PowerBasis::Auto);
        match &m.model().core_source {
            CorePowerSource::Ccf {
                microarchitecture, ..
            } => assert_eq!(microarchitecture, micro),
            other => panic!("{other:?}"),
        }
        in_range(micro, m.model().w_per_cpu, 1.69);
    }
    // ARM guests carry no hypervisor flag: DMI tells an EC2 instance from its bare metal
    let m = meter_on_platform(
        &arm(0xd0c, 2),
        PowerBasis::Auto,
        Some(("Amazon EC2", "m6g.large")),
    );
    assert!(m.model().share.vm, "{}", m.model().share.summary);
    assert!(
        m.model()
            .share
            .summary
            .contains("DMI names a virtual machine (Amazon EC2 m6g.large)"),
        "{}",
        m.model().share.summary
    );
    let m = meter_on_platform(
        &arm(0xd0c, 64),
        PowerBasis::Auto,
        Some(("Amazon EC2", "m6g.metal")),
    );
    assert!(!m.model().share.vm, "{}", m.model().share.summary);
    // an ARM part the tables do not know: the CCF fleet average, never a desktop default
    let m = meter_on(&arm(0xd84, 4), PowerBasis::Auto);
    assert!(
        m.cpu()
            .model_name
            .starts_with("ARM implementer 0x41 part 0xd84")
    );
    assert_eq!(m.model().w_per_cpu, 3.5);
    in_range("unknown ARM", m.model().w_per_cpu, 3.5);
}

#[test]
fn this_machine() {
    // whatever this machine is, a busy logical CPU is charged within 0.5–20 W, and a VM
    // says so
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap();
    let m = meter_on(&text, PowerBasis::Auto);
    let w = m.model().w_per_cpu;
    assert!((0.5..=20.0).contains(&w), "{w} W: {}", m.model().describe());
    if text.contains(" hypervisor") {
        assert!(m.model().share.vm, "{}", m.model().share.summary);
    }
}
