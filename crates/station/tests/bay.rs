//! `station bay` with disks plugged in for real while it runs: loop devices attached to files of
//! this test's scratch directory (root only). The session is restricted to loop devices backed
//! below that directory (`--only-backed-under`), so it can never reach another disk; a loop
//! device outside it and a mounted one inside it prove the filter and the safety checks. (The
//! hung-disk case needs device-mapper, which runs in the QEMU end-to-end run: tests/e2e/run.)

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certificate::SignedDocument;
use common::{is_root, Scratch};

/// Loop devices and mounts this test made, undone on drop whatever happens.
#[derive(Default)]
struct Attached {
    loops: Vec<String>,
    mounts: Vec<PathBuf>,
}

impl Attached {
    fn attach(&mut self, file: &Path) -> String {
        let out = Command::new("losetup").args(["--find", "--show"]).arg(file).output().expect("losetup");
        assert!(out.status.success(), "losetup: {}", String::from_utf8_lossy(&out.stderr));
        let dev = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        self.loops.push(dev.clone());
        dev
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        for m in &self.mounts {
            let _ = Command::new("umount").arg(m).status();
        }
        for l in &self.loops {
            let _ = Command::new("losetup").args(["-d", l]).status();
        }
    }
}

fn file_of(path: &Path, byte: u8, mib: usize) {
    std::fs::write(path, vec![byte; mib << 20]).expect("disk file");
}

fn wait_for(log: &Arc<Mutex<String>>, what: &str, timeout: Duration) {
    let start = Instant::now();
    while !log.lock().expect("log").contains(what) {
        assert!(start.elapsed() < timeout, "{what:?} never appeared:\n{}", log.lock().expect("log"));
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn disks_plugged_in_during_a_session_are_wiped_one_certificate_each_and_nothing_else_is_touched() {
    if !is_root() {
        assert!(
            std::env::var_os("SV_REQUIRE_ROOT_TESTS").is_none(),
            "SV_REQUIRE_ROOT_TESTS is set but not root"
        );
        eprintln!("skipped: needs root (loop devices)");
        return;
    }
    let s = Scratch::new("bay");
    let outside = Scratch::new("bay-outside");
    let disks = s.path().join("disks");
    std::fs::create_dir_all(&disks).expect("mkdir");
    let mut attached = Attached::default();

    // Before the session: a loop device outside the scratch directory, and a mounted one inside.
    let other = outside.path().join("other.img");
    file_of(&other, 0x5A, 8);
    attached.attach(&other);
    let mounted_file = disks.join("mounted.img");
    file_of(&mounted_file, 0, 16);
    assert!(Command::new("mkfs.ext4")
        .args(["-q", "-F"])
        .arg(&mounted_file)
        .status()
        .expect("mkfs")
        .success());
    let mounted_dev = attached.attach(&mounted_file);
    let mnt = s.path().join("mnt");
    std::fs::create_dir_all(&mnt).expect("mkdir");
    assert!(Command::new("mount").arg(&mounted_dev).arg(&mnt).status().expect("mount").success());
    attached.mounts.push(mnt.clone());

    let data = s.path().join("data");
    let batch = s.path().join("bay.toml");
    std::fs::write(
        &batch,
        "lot = \"CD34-VRAC-01\"\nmethod = \"zero\"\nconfirm_wipe = true\nstop_after_disks = 2\ntimeout_secs = 120\n",
    )
    .expect("batch");
    let mut child = Command::new(env!("CARGO_BIN_EXE_station"))
        .arg("--data-dir")
        .arg(&data)
        .args(["bay", "--batch"])
        .arg(&batch)
        .arg("--only-backed-under")
        .arg(&disks)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("station bay");
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut l = sink.lock().expect("log");
            l.push_str(&line);
            l.push('\n');
        }
    });
    let mounted_name = mounted_dev.trim_start_matches("/dev/").to_owned();
    wait_for(&log, &format!("{mounted_name} protected"), Duration::from_secs(30));

    // Plugged in while the session runs.
    let (one, two) = (disks.join("one.img"), disks.join("two.img"));
    file_of(&one, 0xA5, 24);
    file_of(&two, 0x3C, 24);
    let dev_one = attached.attach(&one);
    std::thread::sleep(Duration::from_millis(500));
    let dev_two = attached.attach(&two);

    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the session did not end:\n{}",
            log.lock().expect("log")
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut stdout).expect("read");
    let log = log.lock().expect("log").clone();
    assert!(status.success(), "exit {status}:\n{log}\n{stdout}");

    let lines: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let by_device = |dev: &str| lines.iter().find(|l| l["device"] == dev).cloned();
    for dev in [&dev_one, &dev_two] {
        let line = by_device(dev).unwrap_or_else(|| panic!("{dev} not in the session:\n{stdout}\n{log}"));
        assert_eq!(line["state"], "verified", "{line}");
        let id = line["certificate"].as_str().expect("certificate id");
        let file = data.join("spool/pending").join(format!("{id}.json"));
        let verified = SignedDocument::from_json(&std::fs::read(&file).expect("certificate"))
            .expect("parses")
            .verify()
            .expect("verifies");
        assert_eq!(verified.certificate.disks.len(), 1);
        assert_eq!(verified.certificate.lot.as_deref(), Some("CD34-VRAC-01"));
        assert_eq!(verified.certificate.unit.chassis, certificate::Probed::Value("loose disk".into()));
        let media = verified.certificate.disks[0].media.as_ref().expect("media");
        assert_eq!(media.source, certificate::MediaSource::Loose, "a bay's disk came loose");
    }
    let mounted = by_device(&mounted_dev).expect("the mounted disk was seen");
    assert!(mounted["state"].as_str().expect("state").starts_with("protected"), "{mounted}");
    assert!(lines.iter().all(|l| !l["device"].as_str().unwrap_or_default().contains(&other_name(&attached))));
    assert!(std::fs::read(&one).expect("one").iter().all(|&b| b == 0));
    assert!(std::fs::read(&two).expect("two").iter().all(|&b| b == 0));
    assert!(
        std::fs::read(&other).expect("other").iter().all(|&b| b == 0x5A),
        "the loop device outside was touched"
    );
    let summaries: Vec<_> = std::fs::read_dir(data.join("bay")).expect("summary dir").flatten().collect();
    assert_eq!(summaries.len(), 2, "a CSV and a label list");
}

fn other_name(attached: &Attached) -> String {
    attached.loops[0].clone()
}
