//! The station app as a worker and a test harness use it: `station run --batch` (the app
//! headless, its questions answered from a file) against a real registry, and the real binary
//! driven through tmux on a real terminal, keys and all, on virtual disks (files).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use certificate::{CheckStatus, CosmeticGrade, HardwareTestKind, Outcome, SignedDocument};
use common::{free_port, have_tmux, station, text, LiveRegistry, Scratch, Tmux};
use registry::SqliteStore;

/// Two virtual disks full of "donor data".
fn disks(dir: &Path, mib: usize) -> Vec<PathBuf> {
    (1..=2)
        .map(|i| {
            let p = dir.join(format!("disk{i}.img"));
            let data: Vec<u8> = (0..mib << 20).map(|b| (b % 251) as u8 | 1).collect();
            std::fs::write(&p, data).expect("disk");
            p
        })
        .collect()
}

fn all_zero(p: &Path) -> bool {
    std::fs::read(p).expect("disk").iter().all(|&b| b == 0)
}

fn only_certificate(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("spool")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.to_string_lossy().ends_with(".receipt.json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn a_batch_run_answers_the_apps_questions_wipes_and_delivers_a_signed_certificate() {
    let s = Scratch::new("app-batch");
    let data = s.path().join("data");
    let disks = disks(s.path(), 4);
    let db = s.path().join("registry.sqlite");
    let addr = free_port();
    let url = format!("http://{addr}");
    let shown = station(&data, &["key", "show"]);
    let public_key =
        text(&shown).lines().find_map(|l| l.strip_prefix("public key: ")).expect("key").trim().to_owned();
    registry::enrol_station(&SqliteStore::open(&db).expect("db"), &public_key, Some("t")).expect("enrols");
    let _registry = LiveRegistry::start(&db, addr);

    // The supervisor's settings name the workshop: they reach the certificate's performed_by.
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::write(
        data.join("settings.toml"),
        "operator_role = \"opératrice\"\norganisation = \"ESAT du Lez\"\nsite = \"Montpellier\"\ndestination = \"external_reuse\"\n",
    )
    .expect("settings");
    let batch = s.path().join("answers.toml");
    std::fs::write(
        &batch,
        format!(
            r#"lot = "CD34-2026-017"
operator = "Camille"
registry = "{url}"
method = "zero"
disks = ["{}", "{}"]
confirm_wipe = true

[checks]
screen = "pass"
keyboard_missing = ["M"]
sound = "fail"
usb = "pass"
cosmetic = "B"
"#,
            disks[0].display(),
            disks[1].display()
        ),
    )
    .expect("batch");
    let out = station(&data, &["run", "--batch", batch.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["result"], "sanitized", "{summary}");
    assert!(summary["delivery"].as_str().expect("delivery").contains("Sent"), "{summary}");
    assert!(disks.iter().all(|d| all_zero(d)), "both disks are zero");

    let sent = only_certificate(&data.join("spool/sent"));
    assert_eq!(summary["path"].as_str().map(PathBuf::from), Some(sent.clone()), "where it is now: {summary}");
    let verified = SignedDocument::from_json(&std::fs::read(&sent).expect("file"))
        .expect("parses")
        .verify()
        .expect("verifies");
    let c = verified.certificate;
    assert_eq!(c.result, Outcome::Sanitized);
    assert_eq!(c.lot.as_deref(), Some("CD34-2026-017"));
    assert_eq!(c.operator, "Camille");
    assert_eq!(c.disks.len(), 2);
    let checks = c.checks.clone().expect("checks recorded");
    assert_eq!(checks.keyboard.status, CheckStatus::Fail);
    assert_eq!(checks.keyboard.details, vec!["keys that never answered: M".to_string()]);
    assert_eq!(checks.sound.status, CheckStatus::Fail);
    assert_eq!(checks.cosmetic, Some(CosmeticGrade::B));
    let performer = c.performed_by.clone().expect("performed_by from the settings");
    assert_eq!(performer.role.as_deref(), Some("opératrice"));
    assert_eq!(performer.organisation.as_deref(), Some("ESAT du Lez"));
    assert_eq!(performer.location.as_deref(), Some("Montpellier"));
    assert_eq!(performer.contact, None);
    assert_eq!(
        c.post_sanitization.as_ref().map(|p| p.destination),
        Some(certificate::Destination::ExternalReuse)
    );
    for d in &c.disks {
        let media = d.media.as_ref().expect("media");
        // Files standing for disks: virtual media, inside the unit, backup not known.
        assert_eq!(
            (media.kind, media.source, media.data_backup),
            (
                certificate::MediaType::Virtual,
                certificate::MediaSource::Computer,
                certificate::DataBackup::Unknown
            )
        );
    }
    let attestation = certificate::attestation::reconditionne(&c);
    assert!(!attestation.granted);
    assert!(attestation.missing.contains(&certificate::attestation::Missing::NoSystem), "{attestation:?}");
    let stored = SqliteStore::open(&db).expect("db");
    assert!(registry::Store::certificate(&stored, &c.id.to_string()).expect("query").is_some());
}

#[test]
fn a_batch_file_that_does_not_confirm_the_wipe_wipes_nothing() {
    let s = Scratch::new("app-batch-unconfirmed");
    let data = s.path().join("data");
    let disks = disks(s.path(), 1);
    let batch = s.path().join("answers.toml");
    std::fs::write(&batch, format!("disks = [\"{}\"]\n", disks[0].display())).expect("batch");
    let out = station(&data, &["run", "--batch", batch.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("confirm_wipe = true"), "{}", text(&out));
    assert!(!all_zero(&disks[0]));
    assert!(
        !data.join("spool/pending").exists()
            || std::fs::read_dir(data.join("spool/pending")).expect("dir").count() == 0
    );
}

#[test]
fn a_broken_batch_file_is_named_with_its_line() {
    let s = Scratch::new("app-batch-broken");
    let batch = s.path().join("answers.toml");
    std::fs::write(&batch, "lot = \"x\"\n[checks]\nscreen = \"maybe\"\n").expect("batch");
    let out = station(&s.path().join("data"), &["run", "--batch", batch.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    assert!(t.contains("answers.toml") && t.contains("line 3"), "{t}");
}

/// The whole flow on the real binary in a real terminal (tmux, 80×25): the worker's keys from
/// the lot code to the certificate screen. The disks end up zero and the certificate verifies.
#[test]
fn a_worker_takes_a_pc_from_welcome_to_certificate_in_a_real_terminal() {
    if !have_tmux() {
        assert!(std::env::var_os("SV_REQUIRE_TMUX").is_none(), "SV_REQUIRE_TMUX is set but tmux is missing");
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let s = Scratch::new("app-tmux");
    let data = s.path().join("data");
    let disks = disks(s.path(), 16);
    let tmux = Tmux { socket: format!("sv-test-{}", std::process::id()) };
    let command = format!(
        "{} --data-dir {} app --disk {} --disk {} --cpu-seconds 2 --memory-mib 32 --read-mib 8 2>{}; echo $? > {}",
        env!("CARGO_BIN_EXE_station"),
        data.display(),
        disks[0].display(),
        disks[1].display(),
        s.path().join("stderr").display(),
        s.path().join("exit").display(),
    );
    let started = tmux
        .cmd()
        .args(["new-session", "-d", "-s", "sv", "-x", "80", "-y", "25", "-e", "LANG=C.UTF-8", &command])
        .status()
        .expect("tmux");
    assert!(started.success());
    let long = Duration::from_secs(60);

    tmux.wait_for("Tapez ou scannez le code du lot", long);
    tmux.wait_for("Le matériel de l'ordinateur est trouvé", long);
    tmux.send_text("CD34-2026-017");
    tmux.send(&["Enter"]);
    let computer = tmux.wait_for("Étape 2 sur 7", long);
    assert!(computer.contains("Lot CD34-2026-017"), "{computer}");
    tmux.send(&["Enter"]);
    for n in 1..=5 {
        tmux.wait_for(&format!("Couleur {n} sur 5"), long);
        tmux.send(&["Enter"]);
    }
    tmux.wait_for("Avez-vous vu un défaut", long);
    tmux.send(&["Enter"]);
    tmux.wait_for("0 touches sur 54", long);
    tmux.send_text("&é\"'(-è_çà)=azertyuiop$qsdfghjklmù*<wxcvbn,;:! ");
    tmux.send(&["Tab", "BSpace", "Left", "Up", "Down", "Right", "Enter"]);
    tmux.wait_for("54 touches sur 54", long);
    tmux.send(&["Enter"]);
    tmux.wait_for("L'entendez-vous", long);
    tmux.send(&["Down", "Enter"]); // past "Réécouter le son"
    tmux.wait_for("Branchez une clé USB", long);
    tmux.send(&["Enter"]);
    tmux.wait_for("Choisissez la lettre", long);
    tmux.send(&["Down", "Enter"]);
    let confirm = tmux.wait_for("tapez EFFACER", long);
    assert!(confirm.contains("disk1.img") && confirm.contains("disk2.img"), "{confirm}");
    // One stray press starts nothing.
    tmux.send(&["Enter"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(tmux.screen().contains("tapez EFFACER"), "a single press must not start the wipe");
    tmux.send_text("effacer");
    tmux.send(&["Enter"]);
    tmux.wait_for("L'effacement est terminé", long);
    let done = tmux.screen();
    assert_eq!(done.matches("Effacé et vérifié").count(), 2, "{done}");
    tmux.send(&["Enter"]);
    tmux.wait_for("Aucune image de système", long);
    tmux.send(&["Enter"]);
    let grade = tmux.wait_for("sur 5", long);
    assert!(grade.contains("Aspect B") && grade.contains("Note "), "{grade}");
    tmux.send(&["Enter"]);
    let cert = tmux.wait_for("Numéro du certificat", long);
    assert!(cert.contains("Gardé sur la clé"), "{cert}");
    tmux.send(&["Enter"]);
    let start = Instant::now();
    while !s.path().join("exit").exists() {
        assert!(start.elapsed() < long, "the app did not quit:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    let stderr = std::fs::read_to_string(s.path().join("stderr")).expect("stderr");
    let presses = stderr.lines().find(|l| l.contains("key presses")).unwrap_or_default().to_owned();
    println!("keystrokes on the happy path (keyboard test excepted): {presses}");
    assert!(disks.iter().all(|d| all_zero(d)), "both disks are zero");
    let file = only_certificate(&data.join("spool/pending"));
    let id = file.file_stem().expect("name").to_string_lossy().to_uppercase();
    assert!(cert.contains(&id), "the screen shows the certificate number {id}:\n{cert}");
    let verified = SignedDocument::from_json(&std::fs::read(&file).expect("file"))
        .expect("parses")
        .verify()
        .expect("verifies");
    assert_eq!(verified.certificate.result, Outcome::Sanitized);
    let checks = verified.certificate.checks.expect("checks");
    assert_eq!(checks.keyboard.status, CheckStatus::Pass);
    assert_eq!(checks.cosmetic, Some(CosmeticGrade::B));
    let grade = verified.certificate.grade.expect("the certificate carries the grade");
    assert_eq!(grade["schema"], "seconde-vie/grade/v1", "{grade}");
    // The station tested the hardware while the worker did the checks: the processor, the
    // memory, both disks (read sample; a file has no SMART self-test), the network.
    let tests = &verified.certificate.hardware_tests;
    let kinds: Vec<HardwareTestKind> = tests.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        [
            HardwareTestKind::Cpu,
            HardwareTestKind::Memory,
            HardwareTestKind::Disk,
            HardwareTestKind::Disk,
            HardwareTestKind::Network
        ],
        "{tests:#?}"
    );
    assert_eq!(tests[0].measurement("wrong_results"), Some(0.0));
    assert_eq!(tests[1].measurement("tested_mib"), Some(32.0));
    assert_eq!(tests[2].device.as_deref(), Some(disks[0].to_str().expect("utf-8")));
    assert!(tests[2].measurement("read_mb_per_s").is_some(), "{:?}", tests[2]);
}

/// The bay screen on a real terminal at 80×25: the session waits for its confirmation, then for
/// disks; F10 ends it and writes the summary. (Disks are plugged in by tests/bay.rs, as root.)
#[test]
fn the_bay_screen_in_a_real_terminal() {
    if !have_tmux() {
        assert!(std::env::var_os("SV_REQUIRE_TMUX").is_none(), "SV_REQUIRE_TMUX is set but tmux is missing");
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let s = Scratch::new("bay-tmux");
    let data = s.path().join("data");
    let empty = s.path().join("no-disks-here");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let tmux = Tmux { socket: format!("sv-bay-{}", std::process::id()) };
    let command = format!(
        "{} --data-dir {} bay --only-backed-under {} 2>{}; echo $? > {}",
        env!("CARGO_BIN_EXE_station"),
        data.display(),
        empty.display(),
        s.path().join("out").display(),
        s.path().join("exit").display(),
    );
    let started = tmux
        .cmd()
        .args(["new-session", "-d", "-s", "sv", "-x", "80", "-y", "25", "-e", "LANG=C.UTF-8", &command])
        .status()
        .expect("tmux");
    assert!(started.success());
    let long = Duration::from_secs(30);
    let first = tmux.wait_for("Aucun disque branché", long);
    assert!(first.contains("Disques en vrac") && first.contains("tapez EFFACER"), "{first}");
    tmux.send_text("effacer");
    tmux.send(&["Enter"]);
    tmux.wait_for("reçoit son certificat", long);
    tmux.send(&["F10"]);
    tmux.wait_for("Terminer la session", long);
    tmux.send(&["Enter"]);
    let start = Instant::now();
    while !s.path().join("exit").exists() {
        assert!(start.elapsed() < long, "the session did not end:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(std::fs::read_to_string(s.path().join("exit")).expect("exit").trim(), "0");
    let summaries = std::fs::read_dir(data.join("bay")).expect("summary dir").count();
    assert_eq!(summaries, 2, "a CSV and a label list");
}
