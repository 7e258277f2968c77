//! The real `station` binary: a run against a registry that is down, then back; refusals;
//! the newcomer's demo.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{free_port, registry_test_ca, station, text, LiveRegistry, Scratch};
use registry::{SqliteStore, Store};

fn pending(data: &Path) -> usize {
    std::fs::read_dir(data.join("spool/pending")).map(|d| d.count()).unwrap_or(0)
}

/// Makes the station's key (`station key show`) and enrols it in the registry database `db`.
fn enrol(data: &Path, db: &Path) {
    let shown = station(data, &["key", "show"]);
    assert!(shown.status.success(), "{}", text(&shown));
    let public_key = text(&shown)
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .expect("key line")
        .trim()
        .to_owned();
    registry::enrol_station(&SqliteStore::open(db).expect("db"), &public_key, Some("t")).expect("enrols");
}

/// A scratch directory with a station data directory, a disk file full of 0x42, a registry
/// database path and a free port; the station's key enrolled in that database.
struct Setup {
    s: Scratch,
    data: PathBuf,
    disk: PathBuf,
    db: PathBuf,
    addr: std::net::SocketAddr,
}

impl Setup {
    fn new(name: &str, disk_mib: usize) -> Setup {
        let s = Scratch::new(name);
        let (data, disk, db) =
            (s.path().join("data"), s.path().join("disk.img"), s.path().join("registry.sqlite"));
        std::fs::write(&disk, vec![0x42u8; disk_mib << 20]).expect("disk");
        enrol(&data, &db);
        Setup { s, data, disk, db, addr: free_port() }
    }
}

#[test]
fn a_station_whose_registry_is_down_keeps_the_certificate_and_pushes_it_later() {
    // The station's key is created on first use, 0600, and enrolled.
    let Setup { s: _s, data, disk, db, addr } = Setup::new("offline", 8);
    let url = format!("http://{addr}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(data.join("station.key")).expect("key file").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // The registry is down: the wipe succeeds, the certificate waits in the spool.
    let out = station(
        &data,
        &["run", "--disk", disk.to_str().expect("utf-8"), "--registry", &url, "--operator", "Camille"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("unreachable"), "{}", text(&out));
    assert_eq!(pending(&data), 1);
    assert!(std::fs::read(&disk).expect("disk").iter().all(|&b| b == 0));

    // Still down: push keeps it and says so.
    let out = station(&data, &["push", "--registry", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(pending(&data), 1);

    // Back up: push sends it, and the registry has it.
    let _registry = LiveRegistry::start(&db, addr);
    let out = station(&data, &["push", "--registry", &url]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("recorded at"), "{}", text(&out));
    assert_eq!(pending(&data), 0);
    let sent: Vec<PathBuf> = std::fs::read_dir(data.join("spool/sent"))
        .expect("sent")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.to_string_lossy().ends_with(".receipt.json"))
        .collect();
    assert_eq!(sent.len(), 1);
    let id = sent[0].file_stem().expect("name").to_string_lossy().into_owned();
    let stored = SqliteStore::open(&db).expect("db").certificate(&id).expect("query").expect("recorded");
    assert_eq!(stored.document.as_bytes(), &std::fs::read(&sent[0]).expect("file")[..]);
    let doc = certificate::SignedDocument::from_json(stored.document.as_bytes()).expect("parses");
    let verified = doc.verify().expect("verifies");
    assert_eq!(verified.certificate.operator, "Camille");
    assert_eq!(verified.certificate.result, certificate::Outcome::Sanitized);

    // Nothing left: push says so and succeeds.
    let out = station(&data, &["push", "--registry", &url]);
    assert!(out.status.success() && text(&out).contains("nothing to send"), "{}", text(&out));
}

#[test]
fn refuses_what_is_not_a_disk_before_touching_anything() {
    let s = Scratch::new("refuse");
    let data = s.path().join("data");
    let disk = s.path().join("disk.img");
    std::fs::write(&disk, vec![0x42u8; 1 << 20]).expect("disk");
    // A character device, a directory, and the same disk twice: nothing is wiped, not even the good one.
    for bad in [vec!["--disk", "/dev/null"], vec!["--disk", s.path().to_str().expect("utf-8")]] {
        let mut args = vec!["run", "--disk", disk.to_str().expect("utf-8")];
        args.extend(bad);
        let out = station(&data, &args);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("nothing was wiped"), "{}", text(&out));
    }
    let out = station(
        &data,
        &["run", "--disk", disk.to_str().expect("utf-8"), "--disk", disk.to_str().expect("utf-8")],
    );
    assert!(text(&out).contains("named twice"), "{}", text(&out));
    assert!(std::fs::read(&disk).expect("disk").iter().all(|&b| b == 0x42), "untouched");
}

#[test]
fn verify_command_finds_a_leftover_byte() {
    let s = Scratch::new("verify");
    let disk = s.path().join("disk.img");
    let mut content = vec![0u8; 3 << 20];
    std::fs::write(&disk, &content).expect("disk");
    let ok = station(s.path(), &["verify", "--pattern", "zero", disk.to_str().expect("utf-8")]);
    assert!(ok.status.success(), "{}", text(&ok));
    content[2_000_000] = 7;
    std::fs::write(&disk, &content).expect("disk");
    let bad = station(s.path(), &["verify", "--pattern", "00", disk.to_str().expect("utf-8")]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains("mismatch at bytes 2000000..2000001"), "{}", text(&bad));
}

/// A random pass, of either algorithm, is checked later from what its record says: `station
/// verify --pattern random:ALGORITHM:SEED` regenerates the stream.
#[test]
fn verify_command_regenerates_a_recorded_random_pass() {
    let s = Scratch::new("verify-random");
    let disk = s.path().join("disk.img");
    std::fs::write(&disk, vec![0x42u8; (6 << 20) + 4096]).expect("disk");
    let path = disk.to_str().expect("utf-8");
    for (flag, recorded) in
        [("chacha20", "chacha20-rfc8439-segmented"), ("aes128-ctr", "aes128-ctr-sp800-38a")]
    {
        let out = station(
            s.path(),
            &["wipe", "--yes", "--method", "random", "--random-algorithm", flag, "--verify", "none", path],
        );
        let record: certificate::DiskRecord = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).expect("a JSON sanitization record"))
            .unwrap_or_else(|| panic!("no record: {}", text(&out)));
        let certificate::Pattern::Random { algorithm, seed } = &record.sanitization.passes[0].pattern else {
            panic!("{record:?}")
        };
        assert_eq!(algorithm, recorded);
        let pattern = format!("random:{algorithm}:{seed}");
        let ok = station(s.path(), &["verify", "--pattern", &pattern, path]);
        assert!(ok.status.success(), "{}", text(&ok));
        let mut content = std::fs::read(&disk).expect("disk");
        content[5_000_000] ^= 1;
        std::fs::write(&disk, &content).expect("disk");
        let bad = station(s.path(), &["verify", "--pattern", &pattern, path]);
        assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
        assert!(text(&bad).contains("mismatch at bytes 5000000..5000001"), "{}", text(&bad));
    }
    let out = station(s.path(), &["verify", "--pattern", "random:rc4:00", path]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unknown random algorithm"), "{}", text(&out));
}

#[test]
fn the_newcomers_demo_runs_end_to_end() {
    let s = Scratch::new("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_station"))
        .arg("demo")
        .env("TMPDIR", s.path())
        .output()
        .expect("demo runs");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("only zeros left") && !t.contains("STILL HOLDS DATA"), "{t}");
    assert!(t.contains("registry: recorded at http://127.0.0.1:"), "{t}");
}

#[test]
fn wipe_prints_one_json_record_per_disk_and_needs_confirmation() {
    let s = Scratch::new("wipe");
    let a = s.path().join("a.img");
    let b = s.path().join("b.img");
    std::fs::write(&a, vec![0x11u8; 5 << 20]).expect("disk");
    std::fs::write(&b, vec![0x22u8; 3 << 20]).expect("disk");
    let (pa, pb) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));

    // No terminal and no --yes: refused, untouched.
    let out = station(s.path(), &["wipe", pa]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--yes"), "{}", text(&out));
    // Dry run: says what it would do, writes nothing.
    let out = station(s.path(), &["wipe", "--dry-run", "--method", "dod-3", pa]);
    assert!(out.status.success() && text(&out).contains("dod-3 (3 pass(es))"), "{}", text(&out));
    assert!(std::fs::read(&a).expect("disk").iter().all(|&x| x == 0x11));

    let out = station(s.path(), &["wipe", "--yes", "--method", "dod-3", "--verify", "all", pa, pb]);
    assert!(out.status.success(), "{}", text(&out));
    let records: Vec<certificate::DiskRecord> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON sanitization record"))
        .collect();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert_eq!(r.sanitization.method, "dod-3");
        assert_eq!(r.sanitization.passes.len(), 3);
        assert!(r.sanitization.is_verified(), "{r:?}");
        assert!(matches!(r.sanitization.passes[2].pattern, certificate::Pattern::Random { .. }));
    }
    assert_eq!(records[0].capacity_bytes, 5 << 20);
    assert_eq!(records[1].capacity_bytes, 3 << 20);
    // The last pass was random, so the disks now hold a keystream, not the old data.
    assert!(std::fs::read(&a).expect("disk").iter().filter(|&&x| x == 0x11).count() < 100_000);
}

#[test]
fn ctrl_c_stops_a_wipe_and_the_record_says_interrupted() {
    let s = Scratch::new("ctrlc");
    let disk = s.path().join("big.img");
    std::fs::write(&disk, vec![0x33u8; 64 << 20]).expect("disk");
    let child = Command::new(env!("CARGO_BIN_EXE_station"))
        .arg("--data-dir")
        .arg(s.path())
        .args(["wipe", "--yes", "--method", "gutmann", disk.to_str().expect("utf-8")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    std::thread::sleep(std::time::Duration::from_millis(800));
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with('{')).expect("a JSON record");
    let record: certificate::DiskRecord = serde_json::from_str(line).expect("record");
    assert!(text(&out).contains("INTERRUPTED"), "{}", text(&out));
    assert_eq!(record.sanitization.result, certificate::SanitizeResult::Interrupted);
    assert!(record.sanitization.passes.len() < 35, "stopped early");
    assert!(
        !std::fs::read_dir(s.path().join("journal")).expect("journal dir").any(|_| true),
        "journal cleared"
    );
}

#[test]
fn a_wipe_that_died_is_reported_at_the_next_start() {
    let s = Scratch::new("journal");
    std::fs::create_dir_all(s.path().join("journal")).expect("mkdir");
    std::fs::write(
        s.path().join("journal/_dev_sdb.json"),
        r#"{"device":"/dev/sdb","size":250059350016,"method":"zero","started_at":"2026-11-23T10:00:00.000Z","pass":1,"passes":1,"phase":"writing","done":1000000000}"#,
    )
    .expect("journal");
    let disk = s.path().join("d.img");
    std::fs::write(&disk, vec![1u8; 1 << 20]).expect("disk");
    let out = station(s.path(), &["wipe", "--dry-run", disk.to_str().expect("utf-8")]);
    assert!(
        text(&out).contains("the wipe of /dev/sdb did not finish") && text(&out).contains("wipe it again"),
        "{}",
        text(&out)
    );
    // A journal of an older version (no disk identity) still becomes a signed record.
    let pending: Vec<_> =
        std::fs::read_dir(s.path().join("spool/pending")).expect("spool").flatten().collect();
    assert_eq!(pending.len(), 1);
    let signed = std::fs::read(pending[0].path()).expect("file");
    let c = certificate::SignedDocument::from_json(&signed)
        .expect("parses")
        .verify()
        .expect("verifies")
        .certificate;
    let d = &c.disks[0];
    assert_eq!(
        (d.path.as_str(), d.sanitization.result),
        ("/dev/sdb", certificate::SanitizeResult::Interrupted)
    );
    assert!(
        d.sanitization.errors[0].message.contains("1000000000 of 250059350016 bytes"),
        "{:?}",
        d.sanitization.errors
    );
    assert!(!s.path().join("journal/_dev_sdb.json").exists(), "the journal became the record");
}

/// As root: `station wipe` on a loop device it creates, with no method named, so the policy asks
/// the disk for a firmware erase, hears there is none, and clears by overwrite.
#[test]
fn the_policy_falls_back_to_overwrite_on_a_disk_without_firmware_erase() {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false);
    if !is_root {
        assert_ne!(std::env::var("SV_REQUIRE_ROOT_TESTS").as_deref(), Ok("1"), "root tests required");
        eprintln!("SKIPPED: needs root for a loop device");
        return;
    }
    let s = Scratch::new("policy");
    let file = s.path().join("loop.img");
    std::fs::write(&file, vec![0x77u8; 16 << 20]).expect("backing file");
    let out = Command::new("losetup").args(["--find", "--show"]).arg(&file).output().expect("losetup");
    assert!(out.status.success());
    let dev = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let wiped = station(s.path(), &["wipe", "--yes", &dev]);
    let _ = Command::new("losetup").args(["-d", &dev]).status();
    let t = text(&wiped);
    assert!(wiped.status.success(), "{t}");
    assert!(t.contains("no firmware erase"), "{t}");
    let line = String::from_utf8_lossy(&wiped.stdout)
        .lines()
        .find(|l| l.starts_with('{'))
        .expect("record")
        .to_owned();
    let record: certificate::DiskRecord = serde_json::from_str(&line).expect("record");
    assert_eq!(record.sanitization.method, "zero");
    assert!(
        record.sanitization.notes.iter().any(|n| n.contains("no firmware erase")),
        "{:?}",
        record.sanitization.notes
    );
    assert_eq!(record.transport, certificate::Transport::Loop);
    assert!(record.sanitization.is_verified());
    assert!(std::fs::read(&file).expect("file").iter().all(|&b| b == 0));
}

/// `station inventory` on a tree laid out like /sys, with real captures: QEMU's SMBIOS strings
/// (set to a Dell OptiPlex 780) and the EDID of a real 17" VGA monitor (Dell E173FP).
#[test]
fn inventory_names_the_unit_and_its_17_inch_vga_monitor() {
    let s = Scratch::new("inventory");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/tests/fixtures");
    let dmi = s.path().join("sys/class/dmi/id");
    std::fs::create_dir_all(&dmi).expect("mkdir");
    for entry in std::fs::read_dir(fixtures.join("qemu/dmi")).expect("dmi fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dmi.join(entry.file_name())).expect("copy");
    }
    let vga = s.path().join("sys/class/drm/card0-VGA-1");
    std::fs::create_dir_all(&vga).expect("mkdir");
    std::fs::copy(fixtures.join("edid/dell-e173fp-vga.bin"), vga.join("edid")).expect("copy");
    let hdmi = s.path().join("sys/class/drm/card0-HDMI-A-1");
    std::fs::create_dir_all(&hdmi).expect("mkdir");
    std::fs::write(hdmi.join("edid"), b"").expect("nothing plugged in");

    let out = station(s.path(), &["inventory", "--root", s.path().to_str().expect("utf-8")]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let first = t.lines().next().unwrap_or_default();
    assert!(first.starts_with("Dell Inc. OptiPlex 780"), "{t}");
    assert!(first.contains("17\" monitor"), "{t}");
    assert!(t.contains("monitor card0-VGA-1 · DELL E173FP · 17\""), "{t}");
    assert!(!t.contains("HDMI-A-1"), "an empty connector is not a monitor: {t}");

    let json = station(s.path(), &["inventory", "--json", "--root", s.path().to_str().expect("utf-8")]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["monitors"][0]["nominal_inches"], 17.0);
    assert_eq!(v["monitors"][0]["input"].as_str().map(|s| s.contains("VGA")), Some(true), "{v}");
    assert_eq!(v["unit"]["model"]["value"], "OptiPlex 780");
}

#[test]
fn a_registry_with_the_workshops_own_ca_is_reached_over_https_once_the_ca_is_on_the_stick() {
    let Setup { s: _s, data, disk, db, addr } = Setup::new("https", 4);
    let url = format!("https://{addr}");
    let _registry = LiveRegistry::start_tls(&db, addr);

    // Without the workshop's CA, the registry's certificate is not trusted: the certificate waits.
    let out = station(
        &data,
        &["run", "--disk", disk.to_str().expect("utf-8"), "--registry", &url, "--operator", "Camille"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("unreachable"), "{}", text(&out));
    assert_eq!(pending(&data), 1);

    // A damaged CA file is named.
    std::fs::write(data.join("registry-ca.pem"), "not a certificate\n").expect("write");
    let out = station(&data, &["push", "--registry", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("registry-ca.pem") && text(&out).contains("no PEM certificate"),
        "{}",
        text(&out)
    );
    assert_eq!(pending(&data), 1);

    // The CA in DATA/registry-ca.pem: sent over HTTPS.
    std::fs::copy(registry_test_ca(), data.join("registry-ca.pem")).expect("copy CA");
    let out = station(&data, &["push", "--registry", &url]);
    assert!(out.status.success() && text(&out).contains("recorded at"), "{}", text(&out));
    assert_eq!(pending(&data), 0);
}

#[test]
fn a_certificate_the_registry_refuses_is_set_aside_and_not_sent_again() {
    // issue 23: the push retried refused certificates (400/401/409) forever.
    let Setup { s: _s, data, disk: _disk, db, addr } = Setup::new("refused", 1);
    let url = format!("http://{addr}");
    let key = station::key::load_or_create(&data).expect("the station's key");
    let spool = station::spool::Spool::open(&data.join("spool")).expect("spool");
    let signed = |serial: &str| {
        let cert = certificate::example::with_station_key(certificate::example::certificate(serial), &key);
        (
            cert.id.to_string(),
            String::from_utf8(key.sign(&cert).expect("signs").to_json_pretty()).expect("utf-8"),
        )
    };
    let (good, good_text) = signed("SN-GOOD");
    let (tampered, tampered_text) = signed("SN-TAMPERED");
    let (twice, twice_text) = signed("SN-TWICE");
    spool.store(&good, good_text.as_bytes()).expect("spool");
    spool.store(&tampered, tampered_text.replacen("SN-TAMPERED", "SN-OTHER", 1).as_bytes()).expect("spool");
    let repeated = twice_text.replacen("\"operator\": ", "\"operator\": \"Evil\", \"operator\": ", 1);
    spool.store(&twice, repeated.as_bytes()).expect("spool");

    let _registry = LiveRegistry::start(&db, addr);
    let out = station(&data, &["push", "--registry", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("will not be sent again"), "{}", text(&out));
    assert_eq!(pending(&data), 0, "nothing left to retry");
    let refused = spool.refused().expect("refused");
    let names: Vec<String> =
        refused.iter().map(|(p, _)| p.file_stem().expect("name").to_string_lossy().into_owned()).collect();
    let mut expected = vec![tampered.clone(), twice.clone()];
    expected.sort();
    assert_eq!(names, expected);
    let why: Vec<&str> = refused.iter().map(|(_, w)| w.as_str()).collect();
    assert!(why.iter().any(|w| w.contains("altered after signing")), "{why:?}");
    assert!(why.iter().any(|w| w.contains("appears twice")), "{why:?}");
    let answer =
        std::fs::read_to_string(data.join(format!("spool/refused/{tampered}.answer.json"))).expect("answer");
    assert!(answer.contains("bad_signature") && answer.contains("400"), "{answer}");

    // The next push has nothing to send: the refused ones are not retried.
    let out = station(&data, &["push", "--registry", &url]);
    assert!(out.status.success() && text(&out).contains("nothing to send"), "{}", text(&out));
}
