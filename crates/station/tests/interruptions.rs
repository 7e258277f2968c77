//! Every interruption of a wipe ends in a signed record saying `interrupted`, and the next start
//! says so on screen: the worker quits during the wipe (a real terminal, tmux), the station is
//! killed (SIGKILL: what a crash or a power cut leaves behind), a journal that does not read.
//! And the traps one key away: the quit dialog's Entrée, F4 with `--disk`, a failed wipe's last
//! screen, a terminal smaller than 80×25.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use certificate::{Outcome, SanitizeResult, SignedDocument, VerifiedCertificate};
use common::{have_tmux, is_root, station, text, Scratch, Tmux};

const LONG: Duration = Duration::from_secs(90);

/// A virtual disk full of "donor data".
fn donor_disk(dir: &Path, name: &str, mib: usize) -> PathBuf {
    let p = dir.join(name);
    let data: Vec<u8> = (0..mib << 20).map(|b| (b % 251) as u8 | 1).collect();
    std::fs::write(&p, data).expect("disk");
    p
}

fn tmux_or_skip() -> bool {
    if have_tmux() {
        return true;
    }
    assert!(std::env::var_os("SV_REQUIRE_TMUX").is_none(), "SV_REQUIRE_TMUX is set but tmux is missing");
    eprintln!("skipped: tmux is not installed");
    false
}

/// `station app` on these disks, its stderr and exit code kept in `s`.
fn app_command(s: &Path, data: &Path, disks: &[PathBuf]) -> String {
    let disks: String = disks.iter().map(|d| format!(" --disk {}", d.display())).collect();
    format!(
        "{} --data-dir {} app{disks} --no-hardware-tests 2>>{}; echo $? > {}",
        env!("CARGO_BIN_EXE_station"),
        data.display(),
        s.join("stderr").display(),
        s.join("exit").display(),
    )
}

fn wait_exit(s: &Path, tmux: &Tmux) -> String {
    let start = Instant::now();
    loop {
        if let Ok(code) = std::fs::read_to_string(s.join("exit")) {
            if !code.trim().is_empty() {
                let _ = std::fs::remove_file(s.join("exit"));
                return code.trim().to_owned();
            }
        }
        assert!(start.elapsed() < LONG, "the app did not quit:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// From the welcome screen to the wipe's confirmation, the way a worker goes (F9 records the
/// keyboard as faulty, after its question).
fn walk_to_wipe(tmux: &Tmux) {
    tmux.wait_for("Tapez ou scannez le code du lot", LONG);
    tmux.wait_for("Le matériel de l'ordinateur est trouvé", LONG);
    tmux.send_text("LOT-1");
    tmux.send(&["Enter"]);
    tmux.wait_for("Étape 2 sur 7", LONG);
    tmux.send(&["Enter"]);
    for n in 1..=5 {
        tmux.wait_for(&format!("Couleur {n} sur 5"), LONG);
        tmux.send(&["Enter"]);
    }
    tmux.wait_for("Avez-vous vu un défaut", LONG);
    tmux.send(&["Enter"]);
    tmux.wait_for("touches sur", LONG);
    tmux.send(&["F9"]);
    let asked = tmux.wait_for("Le clavier a-t-il un défaut", LONG);
    assert!(asked.contains("Entrée ► Revenir au test"), "{asked}");
    tmux.send(&["o"]);
    tmux.wait_for("L'entendez-vous", LONG);
    tmux.send(&["Down", "Enter"]);
    tmux.wait_for("Branchez une clé USB", LONG);
    tmux.send(&["Enter"]);
    tmux.wait_for("Choisissez la lettre", LONG);
    tmux.send(&["Down", "Enter"]);
    tmux.wait_for("tapez EFFACER", LONG);
}

fn certificates(dir: &Path) -> Vec<VerifiedCertificate> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.map(|e| e.expect("entry").path()).collect()).unwrap_or_default();
    files.retain(|p| {
        p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().ends_with(".receipt.json")
    });
    files.sort();
    files
        .iter()
        .map(|f| {
            SignedDocument::from_json(&std::fs::read(f).expect("file"))
                .expect("parses")
                .verify()
                .unwrap_or_else(|e| panic!("{} does not verify: {e}", f.display()))
        })
        .collect()
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| d.filter(|e| e.as_ref().is_ok_and(|e| e.path().is_file())).count())
        .unwrap_or(0)
}

/// The worker quits during a wipe: Entrée keeps the wipe going (the safe answer), O stops it;
/// the certificate says interrupted, and the next start shows it until the worker has read it.
#[test]
fn quitting_during_a_wipe_is_signed_as_interrupted_and_shown_at_the_next_start() {
    if !tmux_or_skip() {
        return;
    }
    let s = Scratch::new("interrupt-quit");
    let data = s.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    // Gutmann's 35 passes keep the wipe running long enough to quit it.
    std::fs::write(data.join("settings.toml"), "method = \"gutmann\"\n").expect("settings");
    let disks = vec![donor_disk(s.path(), "disk1.img", 256), donor_disk(s.path(), "disk2.img", 256)];
    let tmux = Tmux::start("quit", &app_command(s.path(), &data, &disks), 80, 25);
    walk_to_wipe(&tmux);
    let confirm = tmux.screen();
    assert!(confirm.contains("Gutmann, 35 passages"), "the method in words:\n{confirm}");
    tmux.send_text("effacer");
    tmux.send(&["Enter"]);
    tmux.wait_for("l'effacement travaille", LONG);
    tmux.send(&["F10"]);
    let dialog = tmux.wait_for("Entrée ► Continuer le travail", LONG);
    assert!(dialog.contains("PAS") && dialog.contains("O : oui, quitter"), "{dialog}");
    tmux.send(&["Enter"]);
    std::thread::sleep(Duration::from_millis(700));
    let still = tmux.screen();
    assert!(still.contains("l'effacement travaille") && !still.contains("oui, quitter"), "{still}");
    assert!(!s.path().join("exit").exists(), "Entrée did not quit");
    tmux.send(&["F10"]);
    tmux.wait_for("O : oui, quitter", LONG);
    tmux.send(&["o"]);
    assert_eq!(wait_exit(s.path(), &tmux), "1", "an interrupted run exits 1");

    let signed = certificates(&data.join("spool/pending"));
    assert_eq!(signed.len(), 1, "one signed certificate for the stopped run");
    let c = &signed[0].certificate;
    assert_eq!(c.result, Outcome::Incomplete);
    assert_eq!(c.lot.as_deref(), Some("LOT-1"));
    assert_eq!(c.disks.len(), 2);
    for d in &c.disks {
        assert_eq!(d.sanitization.result, SanitizeResult::Interrupted, "{d:?}");
        let last = &d.sanitization.errors.last().expect("why").message;
        assert!(last.contains("stopped by the operator at byte"), "{last}");
        assert!(!d.sanitization.passes.is_empty() && d.sanitization.passes.len() < 35, "how far it got");
    }
    assert_eq!(files_in(&data.join("notices")), 1);
    assert_eq!(files_in(&data.join("journal")), 0, "the journals became the certificate");

    // The next start says it first, in plain words, until it is read.
    let again = Tmux::start("quit-next", &app_command(s.path(), &data, &disks), 80, 25);
    let shown = again.wait_for("Le dernier effacement n'est pas terminé", LONG);
    assert!(shown.contains("Il a été arrêté avant la fin"), "{shown}");
    assert!(shown.contains("disk1.img") && shown.contains(": PAS"), "{shown}");
    // The window leaves no stray letters of the screen below at its left edge.
    for l in shown.lines().filter(|l| l.contains('│')) {
        assert!(l.trim_start().starts_with('│'), "a stray character left of the window: {l:?}");
    }
    assert!(shown.contains("Effacez ce disque à nouveau"), "{shown}");
    assert!(shown.contains("Entrée ► J'ai compris"), "{shown}");
    again.send(&["Enter"]);
    again.wait_for("Tapez ou scannez le code du lot", LONG);
    again.send(&["F10"]);
    again.wait_for("O : oui, quitter", LONG);
    again.send(&["o"]);
    assert_eq!(wait_exit(s.path(), &again), "0", "quitting before any wipe is a normal end");
    assert_eq!(files_in(&data.join("notices")), 0);
    assert_eq!(files_in(&data.join("notices/seen")), 1, "read, and kept");
}

fn batch_file(dir: &Path, name: &str, lot: &str, method: &str, disks: &[PathBuf]) -> PathBuf {
    let p = dir.join(name);
    let list: Vec<String> = disks.iter().map(|d| format!("\"{}\"", d.display())).collect();
    std::fs::write(
        &p,
        format!(
            "lot = \"{lot}\"\noperator = \"Camille\"\nmethod = \"{method}\"\ndisks = [{}]\nconfirm_wipe = true\n\n[checks]\nscreen = \"pass\"\nkeyboard = \"pass\"\nsound = \"pass\"\nusb = \"pass\"\ncosmetic = \"B\"\n",
            list.join(", ")
        ),
    )
    .expect("batch");
    p
}

/// The station is killed mid-wipe (SIGKILL: no handler runs, as in a crash or a power cut). The
/// next start signs what the journals say — which disk, which pass, how far — and says so.
#[test]
fn a_station_killed_mid_wipe_leaves_a_signed_interrupted_record_at_the_next_start() {
    let s = Scratch::new("interrupt-kill");
    let data = s.path().join("data");
    let big = vec![donor_disk(s.path(), "disk1.img", 256), donor_disk(s.path(), "disk2.img", 256)];
    let first = batch_file(s.path(), "first.toml", "LOT-CRASH", "gutmann", &big);
    let mut child = Command::new(env!("CARGO_BIN_EXE_station"))
        .arg("--data-dir")
        .arg(&data)
        .args(["run", "--batch"])
        .arg(&first)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("station runs");
    let journal = data.join("journal");
    let start = Instant::now();
    while files_in(&journal) < 3 {
        assert!(start.elapsed() < LONG, "the wipe journals never appeared");
        assert!(child.try_wait().expect("wait").is_none(), "the wipe ended before it could be killed");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(journal.join("run.json").exists(), "the run's journal survives");

    let small = vec![donor_disk(s.path(), "disk3.img", 4)];
    let second = batch_file(s.path(), "second.toml", "LOT-NEXT", "zero", &small);
    let out = station(&data, &["run", "--batch", second.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("disk1.img did not finish") && t.contains("wipe it again"), "{t}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    let earlier = summary["earlier_interrupted"].as_array().expect("reported");
    assert_eq!(earlier.len(), 1, "{summary}");
    assert_eq!(earlier[0]["cause"], "crash");
    assert_eq!(earlier[0]["disks"].as_array().map(Vec::len), Some(2));

    let signed = certificates(&data.join("spool/pending"));
    assert_eq!(signed.len(), 2, "the recovered record and this run's certificate");
    let recovered =
        signed.iter().find(|v| v.certificate.lot.as_deref() == Some("LOT-CRASH")).expect("recovered");
    let c = &recovered.certificate;
    assert_eq!(c.operator, "Camille", "from the run's journal");
    assert_eq!(c.result, Outcome::Incomplete);
    assert_eq!(c.disks.len(), 2);
    for d in &c.disks {
        assert_eq!(d.sanitization.result, SanitizeResult::Interrupted);
        assert_eq!(d.sanitization.method, "gutmann");
        let why = &d.sanitization.errors[0].message;
        assert!(
            why.contains("during pass ") && why.contains(" of 35") && why.contains("bytes done"),
            "{why}"
        );
    }
    assert_eq!(files_in(&journal), 0, "every journal became a signed record");
}

/// A journal a power cut left unreadable is reported and recorded, never dropped.
#[test]
fn an_unreadable_journal_is_recorded_as_an_interrupted_wipe() {
    let s = Scratch::new("interrupt-garbled");
    let data = s.path().join("data");
    std::fs::create_dir_all(data.join("journal")).expect("mkdir");
    std::fs::write(data.join("journal/_dev_sdz.json"), b"{\"device\": \"/dev/sd").expect("garbled");
    let small = vec![donor_disk(s.path(), "disk1.img", 4)];
    let batch = batch_file(s.path(), "b.toml", "LOT-2", "zero", &small);
    let out = station(&data, &["run", "--batch", batch.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out));
    let signed = certificates(&data.join("spool/pending"));
    let garbled = signed.iter().find(|v| v.certificate.disks[0].path == "/dev/sdz").expect("recorded");
    let d = &garbled.certificate.disks[0];
    assert_eq!(d.sanitization.result, SanitizeResult::Interrupted);
    assert!(d.sanitization.errors[0].message.contains("could not be read"), "{:?}", d.sanitization.errors);
}

/// F4 from an app limited to `--disk` opens a bay limited to the same disks: no other disk of
/// the machine is offered.
#[test]
fn f4_with_disk_opens_a_bay_limited_to_those_disks() {
    if !tmux_or_skip() {
        return;
    }
    let s = Scratch::new("interrupt-f4");
    let data = s.path().join("data");
    let disks = vec![donor_disk(s.path(), "disk1.img", 4)];
    let tmux = Tmux::start("f4", &app_command(s.path(), &data, &disks), 80, 25);
    tmux.wait_for("Tapez ou scannez le code du lot", LONG);
    tmux.send(&["F4"]);
    let bay = tmux.wait_for("Disques en vrac", LONG);
    std::thread::sleep(Duration::from_millis(2500)); // the bay's first scan
    let bay = format!("{bay}\n{}", tmux.screen());
    assert!(bay.contains("Aucun disque branché"), "only the named disks, none of the machine's:\n{bay}");
    for real in std::fs::read_dir("/sys/block").expect("sys").flatten() {
        let name = real.file_name().to_string_lossy().into_owned();
        assert!(!bay.contains(&format!("/dev/{name}")), "the bay offers {name}:\n{bay}");
    }
    tmux.send(&["F10"]);
    tmux.wait_for("Terminer la session", LONG);
    tmux.send(&["Enter"]);
    wait_exit(s.path(), &tmux);
}

/// Below 80×25 the app says the screen is too small instead of cutting sentences and dropping
/// the QR code.
#[test]
fn a_terminal_smaller_than_80x25_is_told_so() {
    if !tmux_or_skip() {
        return;
    }
    let s = Scratch::new("interrupt-small");
    let data = s.path().join("data");
    let disks = vec![donor_disk(s.path(), "disk1.img", 4)];
    let tmux = Tmux::start("small", &app_command(s.path(), &data, &disks), 70, 20);
    let shown = tmux.wait_for("Écran trop petit : 70×20", LONG);
    assert!(shown.contains("Screen too small"), "both languages:\n{shown}");
    tmux.send(&["F10"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.send(&["o"]);
    assert_eq!(wait_exit(s.path(), &tmux), "0");
}

/// A wipe that fails (the disk's file system is full: ENOSPC on every block) ends on a screen
/// that does not invite switching off, with the repeated errors folded behind D.
#[test]
fn a_failed_wipe_ends_without_an_invitation_to_switch_off() {
    if !tmux_or_skip() {
        return;
    }
    let root = is_root();
    if !root {
        assert!(
            std::env::var_os("SV_REQUIRE_ROOT_TESTS").is_none(),
            "SV_REQUIRE_ROOT_TESTS is set but not root"
        );
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let s = Scratch::new("interrupt-failed");
    let data = s.path().join("data");
    let full = s.path().join("full");
    std::fs::create_dir_all(&full).expect("mkdir");
    let mounted =
        Command::new("mount").args(["-t", "tmpfs", "-o", "size=2m", "sv-test-full"]).arg(&full).status();
    assert!(mounted.is_ok_and(|s| s.success()), "mount tmpfs");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(full.clone());
    // A 64 MiB sparse file on a 2 MiB file system: most writes fail with ENOSPC.
    let disk = full.join("disk.img");
    std::fs::File::create(&disk).expect("file").set_len(64 << 20).expect("sparse");
    let tmux = Tmux::start("failed", &app_command(s.path(), &data, &[disk]), 80, 25);
    walk_to_wipe(&tmux);
    tmux.send_text("effacer");
    tmux.send(&["Enter"]);
    let done = tmux.wait_for("L'effacement est terminé", LONG);
    assert!(done.contains("Appelez votre encadrant"), "{done}");
    tmux.send(&["d"]);
    let details = tmux.wait_for("No space left", LONG);
    let lines = details.lines().filter(|l| l.contains("No space left")).count();
    assert!((1..=3).contains(&lines), "the ENOSPC errors are folded, not a screenful:\n{details}");
    tmux.send(&["Enter"]);
    tmux.wait_for("Aucun disque n'a été effacé et vérifié", LONG);
    tmux.send(&["Enter"]);
    tmux.wait_for("sur 5", LONG);
    tmux.send(&["Enter"]);
    let last = tmux.wait_for("Numéro du certificat", LONG);
    let last = if last.contains("Ne rangez pas") { last } else { tmux.wait_for("Ne rangez pas", LONG) };
    assert!(!last.contains("Vous pouvez éteindre"), "a failed wipe must not invite switching off:\n{last}");
    assert!(last.contains("appelez votre encadrant"), "{last}");
    tmux.send(&["Enter"]);
    assert_eq!(wait_exit(s.path(), &tmux), "1");
}
