//! A planned run on a real Slurm cluster stood up on this machine (issue 9): munged on a
//! private socket, slurmctld and two slurmd ("n1", "n2") on loopback with their own ports
//! and spool folders, everything under a temporary folder, stopped by pid at the end.
//!
//! 16 tiles of the OSCD Norcia NDVI change go through sbatch as a job array with a merge
//! job after it. One task is made to fail (a folder stands where its tile goes): the merge
//! is cancelled by Slurm and nothing is merged. With the cause removed, `submit` sends only
//! the missing task and the merge; the mosaic is then pixel-identical to one process over
//! the whole image, both nodes ran tasks and the run's energy is the sum of the tasks'.
//!
//! Needs Debian's slurm-wlm and munge and root (as CI has: `.ci/run` installs them); skips
//! with a notice elsewhere, and fails instead when TERRAWATT_REFERENCE_DATA is set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "../crates/meter/tests/common.rs"]
mod common;
mod norcia;

use norcia::{bands, ndvi_args};

mod support;
use support::s;

/// Whether this machine can stand up a cluster; a notice (or a failure under CI) if not.
fn slurm_available() -> bool {
    let missing: Vec<&str> = ["slurmctld", "slurmd", "munged", "mungekey", "sbatch"]
        .into_iter()
        .filter(|b| {
            !["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
                .iter()
                .any(|d| Path::new(d).join(b).exists())
        })
        .collect();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc_geteuid() } == 0;
    let why = if !missing.is_empty() {
        format!(
            "{} not installed (apt-get install slurm-wlm munge)",
            missing.join(", ")
        )
    } else if !root {
        "the test cluster runs its daemons as root".to_string()
    } else {
        return true;
    };
    if std::env::var_os("TERRAWATT_REFERENCE_DATA").is_some() {
        panic!("cannot stand up the test Slurm cluster: {why}");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "notice: skipping: {why}");
    false
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// A cluster of one controller and two nodes; stopped (jobs cancelled, daemons killed by
/// pid) when dropped.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<(String, Child)>,
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn free_port_base() -> u16 {
    // three consecutive ports that nothing listens on
    let start = 20000 + (std::process::id() % 3000) as u16 * 3;
    (0..200)
        .map(|k| start.wrapping_add(k * 3))
        .find(|&b| (0..3).all(|i| std::net::TcpListener::bind(("127.0.0.1", b + i)).is_ok()))
        .expect("three free ports")
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let dir = dir.to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        // munged wants every folder above its socket searchable by all
        for d in dir.ancestors().take(2) {
            chmod(d, 0o755);
        }
        let munge = dir.join("munge");
        for d in ["munge", "state", "spool", "log"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
            chmod(&dir.join(d), 0o755);
        }
        let key = munge.join("munge.key");
        let o = Command::new("mungekey")
            .args(["-c", "-k", s(&key)])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "mungekey: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        chmod(&key, 0o400);
        let socket = munge.join("munge.sock");
        let base = free_port_base();
        let conf = dir.join("slurm.conf");
        let d = s(&dir);
        std::fs::write(
            &conf,
            format!(
                "ClusterName=terrawatt-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctl}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool/%n
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd-%n.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MailProg=/bin/true
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MinJobAge=3600
MaxArraySize=10
NodeName=n1 NodeHostname=localhost NodeAddr=127.0.0.1 Port={p1} CPUs=1 RealMemory=500 State=UNKNOWN
NodeName=n2 NodeHostname=localhost NodeAddr=127.0.0.1 Port={p2} CPUs=1 RealMemory=500 State=UNKNOWN
PartitionName=test Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
",
                ctl = base,
                p1 = base + 1,
                p2 = base + 2,
                sock = s(&socket),
            ),
        )
        .unwrap();
        let mut c = Cluster {
            dir: dir.clone(),
            conf: conf.clone(),
            daemons: vec![],
        };
        let log = |name: &str| std::fs::File::create(dir.join("log").join(name)).unwrap();
        c.spawn(
            "munged",
            Command::new("munged")
                .args([
                    "-F",
                    &format!("--socket={}", s(&socket)),
                    &format!("--key-file={}", s(&key)),
                    &format!("--pid-file={}", s(&munge.join("munged.pid"))),
                    &format!("--seed-file={}", s(&munge.join("munged.seed"))),
                    &format!("--log-file={}", s(&munge.join("munged.log"))),
                ])
                .stdout(log("munged.out"))
                .stderr(log("munged.err")),
        );
        wait_for(Duration::from_secs(20), "munged's socket", || {
            socket.exists()
        });
        c.spawn(
            "slurmctld",
            Command::new("slurmctld")
                .args(["-D", "-f", s(&conf)])
                .stdout(log("slurmctld.out"))
                .stderr(log("slurmctld.err")),
        );
        wait_for(Duration::from_secs(30), "slurmctld's port", || {
            std::net::TcpStream::connect(("127.0.0.1", base)).is_ok()
        });
        for n in ["n1", "n2"] {
            c.spawn(
                &format!("slurmd {n}"),
                Command::new("slurmd")
                    .args(["-D", "-N", n, "-f", s(&conf)])
                    .stdout(log(&format!("slurmd-{n}.out")))
                    .stderr(log(&format!("slurmd-{n}.err"))),
            );
        }
        wait_for(Duration::from_secs(60), "both nodes idle", || {
            let o = c.slurm("sinfo", &["-h", "-N", "-o", "%N %T"]);
            let t = String::from_utf8_lossy(&o.stdout).to_string();
            t.lines().filter(|l| l.ends_with(" idle")).count() == 2
        });
        c
    }

    fn spawn(&mut self, name: &str, cmd: &mut Command) {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        self.daemons.push((name.to_string(), child));
    }

    /// A Slurm client command against this cluster.
    fn slurm(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"))
    }

    /// terrawatt with this cluster's configuration.
    fn terrawatt(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_terrawatt"))
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .env_remove("TERRAWATT_COUNTRY")
            .output()
            .expect("the binary runs")
    }

    fn queue_empty(&self) -> bool {
        let o = self.slurm("squeue", &["-h", "-o", "%i"]);
        o.status.success() && String::from_utf8_lossy(&o.stdout).trim().is_empty()
    }

    /// `JobState=` of a job (kept MinJobAge seconds after it ends).
    fn state(&self, job: &str) -> String {
        let o = self.slurm("scontrol", &["show", "job", job]);
        let t = String::from_utf8_lossy(&o.stdout).to_string();
        t.split_whitespace()
            .find_map(|w| w.strip_prefix("JobState="))
            .unwrap_or("unknown")
            .to_string()
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for name in ["slurmctld.log", "slurmd-n1.log", "slurmd-n2.log"] {
            let t = std::fs::read_to_string(self.dir.join("log").join(name)).unwrap_or_default();
            let tail: Vec<&str> = t.lines().rev().take(15).collect();
            out.push_str(&format!("--- {name}\n"));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // jobs first (their processes outlive the daemons), then the daemons by pid
        let _ = self.slurm("scancel", &["--user=root"]);
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) && !self.queue_empty() {
            std::thread::sleep(Duration::from_millis(200));
        }
        for (_, child) in self.daemons.iter_mut().rev() {
            // SAFETY: kill has no memory preconditions; the pid is our own child's.
            unsafe { libc_kill(child.id() as i32, 15) };
        }
        for (_, child) in self.daemons.iter_mut().rev() {
            let t = Instant::now();
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    _ if t.elapsed() > Duration::from_secs(10) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

fn wait_for(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let t = Instant::now();
    while !ok() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The last submission recorded in the run folder: its array jobs (job, task ids), its
/// merge job and its tasks.
#[allow(clippy::type_complexity)]
fn last_submission(run: &Path) -> (Vec<(String, String)>, String, Vec<u64>) {
    let all = json(&run.join("submissions.json"));
    let last = all.as_array().unwrap().last().unwrap().clone();
    (
        last["submission"]["arrays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["job"].as_str().unwrap().to_string(),
                    a["tasks"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
        last["submission"]["merge_job"]
            .as_str()
            .unwrap()
            .to_string(),
        last["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect(),
    )
}

#[test]
fn sixteen_tiles_through_a_real_slurm_cluster() {
    let Some(data) = common::reference_data("raster/oscd_norcia") else {
        return;
    };
    if !slurm_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(&tmp.path().join("cluster"));
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let args = ndvi_args(&data);
    let argv = |v: &[&str]| -> Vec<String> {
        v.iter()
            .map(|x| x.to_string())
            .chain(args.iter().cloned())
            .collect()
    };

    // one process over the whole image
    let single = work.join("single.tif");
    let single_classes = work.join("single-classes.tif");
    let mut a = argv(&["raster", "change"]);
    a.extend(["--out", s(&single), "--classes-out", s(&single_classes)].map(String::from));
    let o = cluster.terrawatt(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // the plan: 4 × 4 tiles
    let run = work.join("run");
    let a = argv(&[
        "plan",
        "raster",
        "change",
        "--tile-size",
        "97x61px",
        "--out",
        s(&run),
    ]);
    let o = cluster.terrawatt(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plan = json(&run.join("plan.json"));
    assert_eq!(plan["tasks"], 16);

    // task 5 (tile r1c1) cannot write its tile: a folder stands in the way
    let blocker = run.join("tiles/change-r1c1.tif");
    std::fs::create_dir(&blocker).unwrap();
    let o = cluster.terrawatt(&["submit", s(&run)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (arrays, merge, tasks) = last_submission(&run);
    assert_eq!(tasks.len(), 16);
    // the cluster's MaxArraySize is 10 (indices 0-9): two arrays, the second from task 10
    let got: Vec<&str> = arrays.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(got, ["0-9", "10-15"]);
    let array = arrays[0].0.clone();
    // a second submission while the first is queued is refused (the merge job, pending
    // on the array, is held meanwhile so that it stays queued)
    let o = cluster.slurm("scontrol", &["hold", &merge]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = cluster.terrawatt(&["submit", s(&run)]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("still queued or running") && e.contains(&merge),
        "{e}"
    );
    let o = cluster.slurm("scontrol", &["release", &merge]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_for(
        Duration::from_secs(600),
        "the first submission to end",
        || cluster.queue_empty(),
    );
    let merge_state = cluster.state(&merge);
    assert_eq!(
        merge_state,
        "CANCELLED",
        "merge job {merge}\n{}",
        cluster.logs()
    );
    assert!(!run.join("change.tif").exists() && !run.join("energy.json").exists());
    let reports = |run: &Path| -> Vec<PathBuf> {
        (0..16)
            .map(|i| run.join(format!("reports/task-{i:05}.json")))
            .filter(|p| p.exists())
            .collect()
    };
    assert_eq!(
        reports(&run).len(),
        15,
        "array job {array}\n{}",
        cluster.logs()
    );
    assert!(!run.join("reports/task-00005.json").exists());
    // task 12 ran as index 2 of the second array
    let r = json(&run.join("reports/task-00012.json"));
    assert_eq!(r["results"]["task_id"], 12);
    let p = &r["results"]["placement"];
    assert_eq!(
        p["array_job_id"].as_str(),
        Some(arrays[1].0.as_str()),
        "{p}"
    );
    assert_eq!(p["array_task_id"], "2", "{p}");
    let failed: Vec<PathBuf> = std::fs::read_dir(run.join("reports/failed"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let f = json(&failed[0]);
    assert_eq!(f["results"]["task_id"], 5);
    assert!(
        f["results"]["error"]
            .as_str()
            .unwrap()
            .contains("change-r1c1.tif"),
        "{f}"
    );
    // merging by hand now names the missing task
    let o = cluster.terrawatt(&["merge", s(&run)]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("1 of 16 tasks") && e.contains(": 5 "), "{e}");

    // the cause removed, only the missing task runs again, then the merge
    std::fs::remove_dir(&blocker).unwrap();
    let o = cluster.terrawatt(&["submit", s(&run)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (arrays, merge, tasks) = last_submission(&run);
    assert_eq!(tasks, [5]);
    assert_eq!(arrays.len(), 1);
    wait_for(Duration::from_secs(600), "the resubmission to end", || {
        cluster.queue_empty()
    });
    assert_eq!(cluster.state(&merge), "COMPLETED", "{}", cluster.logs());
    // the merge job's own energy report, beside the tasks'
    assert!(json(&run.join("reports/merge.json"))["energy"]["joules"].is_number());

    // pixel-identical to the single run (every band, NaN included), same georeferencing
    assert_eq!(bands(&run.join("change.tif")), bands(&single));
    assert_eq!(bands(&run.join("classes.tif")), bands(&single_classes));
    let gt = |p: &Path| gdal::Dataset::open(p).unwrap().geo_transform().unwrap();
    assert_eq!(gt(&run.join("change.tif")), gt(&single));
    // byte for byte, even: the merge streams the mosaic through the same writer
    assert!(std::fs::read(run.join("change.tif")).unwrap() == std::fs::read(&single).unwrap());

    // both nodes ran tasks; the run's energy is the sum of the task reports
    let mut nodes = BTreeSet::new();
    let mut joules = 0.0;
    for p in reports(&run) {
        let r = json(&p);
        nodes.insert(
            r["results"]["placement"]["node"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        assert!(
            r["results"]["placement"]["array_job_id"].is_string(),
            "{p:?}"
        );
        // the pool sized from SLURM_CPUS_PER_TASK (one CPU per task here)
        assert_eq!(r["results"]["placement"]["cpus_per_task"], 1, "{p:?}");
        assert_eq!(r["results"]["threads"], 1, "{p:?}");
        joules += r["energy"]["joules"].as_f64().unwrap();
    }
    assert_eq!(nodes, BTreeSet::from(["n1".to_string(), "n2".to_string()]));
    let e = json(&run.join("energy.json"));
    let total = e["energy"]["total"]["joules"].as_f64().unwrap();
    assert!(
        (total - joules).abs() <= 1e-9 * joules,
        "{total} vs {joules}"
    );
    assert_eq!(e["energy"]["total"]["tasks"], 16);
    let by_node: f64 = e["energy"]["by_node"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["joules"].as_f64().unwrap())
        .sum();
    assert!((by_node - joules).abs() <= 1e-9 * joules);
    assert_eq!(e["energy"]["failed_attempts"]["tasks"], 1);
    // this cluster keeps no accounting: Slurm's own figure is absent, and says why
    let sa = &e["slurm_accounting"];
    assert_eq!(sa["available"], false, "{sa}");
    assert_eq!(sa["tasks"], 16);
    assert!(sa["note"].as_str().unwrap().starts_with("sacct"), "{sa}");
    drop(cluster);
}
