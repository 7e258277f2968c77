//! Snapshot tests of every screen of the station app, drawn by the real view into ratatui's
//! `TestBackend`, in French and English, at 80×25 (the Linux console of an old PC) and 120×40.
//! The snapshots are plain text in `tests/snapshots/`; `UPDATE_SNAPSHOTS=1 cargo test -p station
//! --test screens` rewrites them after a deliberate change (review the diff). A snapshot that
//! does not exist yet fails the test, so CI never passes on a screen nobody looked at.
//! Snapshots hold text only; where colour carries meaning, `colours_*` tests read the buffer.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use certificate::{CheckStatus, CosmeticGrade, SanitizeResult};
use inventory::smart::HealthVerdict;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;
use sanitize::{Phase, Progress};
use station::app::i18n::Lang;
use station::app::settings::Settings;
use station::app::{
    runtime, view, Answer, App, Delivery, DiskCandidate, Facts, Failure, ImageStep, Key, Msg, Overlay,
    Screen, Sealed,
};
use station::run::RunEvent;

const SIZES: [(u16, u16); 2] = [(80, 25), (120, 40)];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/tests/fixtures")
}

/// A Dell OptiPlex 780 (real DMI strings and /proc captures) with a real 17" VGA monitor's EDID,
/// a 250 GB disk, and the boot stick; `laptop` adds a worn battery.
fn facts(laptop: bool) -> Facts {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let root = std::env::temp_dir().join(format!("sv-screens-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let copy_tree = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("fixture dir") {
            let e = e.expect("entry");
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    };
    copy_tree(&fixtures().join("optiplex/sys/class/dmi/id"), &root.join("sys/class/dmi/id"));
    copy_tree(&fixtures().join("optiplex/proc"), &root.join("proc"));
    let vga = root.join("sys/class/drm/card0-VGA-1");
    std::fs::create_dir_all(&vga).expect("mkdir");
    std::fs::copy(fixtures().join("edid/dell-e173fp-vga.bin"), vga.join("edid")).expect("copy");
    if laptop {
        let bat = root.join("sys/class/power_supply/BAT0");
        std::fs::create_dir_all(&bat).expect("mkdir");
        for (f, v) in [
            ("type", "Battery"),
            ("status", "Charging"),
            ("capacity", "64"),
            ("energy_full", "31000000"),
            ("energy_full_design", "47520000"),
        ] {
            std::fs::write(bat.join(f), v).expect("write");
        }
    }
    let mut facts = runtime::probe(&root, Some(Vec::new()));
    let _ = std::fs::remove_dir_all(&root);
    facts.disks = vec![
        DiskCandidate {
            path: "/dev/sda".into(),
            model: Some("ST3250318AS".into()),
            serial: Some("9VY3ABCD".into()),
            size: 250_059_350_016,
            health: HealthVerdict::Good,
            health_reasons: vec![],
            protected: None,
        },
        DiskCandidate {
            path: "/dev/sdb".into(),
            model: Some("SanDisk Cruzer".into()),
            serial: None,
            size: 8_004_304_896,
            health: HealthVerdict::Unknown,
            health_reasons: vec![],
            protected: Some("holds the running system".into()),
        },
    ];
    facts
}

fn app(lang: Lang, laptop: bool) -> App {
    let settings = Settings { language: Some(lang.code().into()), ..Settings::default() };
    let mut app = App::new(settings, "atelier-1".into());
    app.update(Msg::Facts(Box::new(facts(laptop))));
    app
}

fn answer(app: &mut App, a: Answer) {
    app.update(Msg::Answer(a));
}

/// The app at each screen of the happy path, and the overlays, in one language.
fn states(lang: Lang) -> Vec<(&'static str, App)> {
    let mut out = Vec::new();
    let t0 = Instant::now();
    let mut a = app(lang, true);
    a.lot = "CD34-2026-017".into();
    out.push(("01-welcome", a.clone()));
    answer(&mut a, Answer::Lot("CD34-2026-017".into()));
    out.push(("02-computer", a.clone()));
    answer(&mut a, Answer::Next);
    out.push(("03-screen-colour", a.clone()));
    for _ in 0..5 {
        answer(&mut a, Answer::Next);
    }
    out.push(("04-screen-question", a.clone()));
    answer(&mut a, Answer::Check(CheckStatus::Pass));
    for c in ['a', 'z', 'e', '1', ' '] {
        a.update(Msg::Key(Key::Char(c), t0));
    }
    out.push(("05-keyboard", a.clone()));
    answer(&mut a, Answer::Keyboard(vec![]));
    out.push(("06-sound", a.clone()));
    answer(&mut a, Answer::Check(CheckStatus::Pass));
    out.push(("07-usb", a.clone()));
    answer(&mut a, Answer::Check(CheckStatus::Pass));
    out.push(("08-battery", a.clone()));
    answer(&mut a, Answer::Check(CheckStatus::Fail));
    a.update(Msg::Key(Key::Down, t0));
    out.push(("09-cosmetic", a.clone()));
    answer(&mut a, Answer::Cosmetic(Some(CosmeticGrade::B)));
    a.update(Msg::Key(Key::Enter, t0));
    a.update(Msg::Key(Key::Enter, t0 + Duration::from_millis(700)));
    a.update(Msg::Key(Key::Enter, t0 + Duration::from_millis(1500)));
    out.push(("10-wipe-confirm", a.clone()));
    let mut confirm = a.clone();
    confirm.update(Msg::Tick(t0 + Duration::from_secs(3)));
    answer(&mut a, Answer::ConfirmWipe);
    let progress = |pass, phase, done| Progress { pass, passes: 1, phase, done, total: 250_059_350_016 };
    a.update(Msg::Wipe(
        RunEvent::DiskStarted { index: 0, path: "/dev/sda".into(), size: 250_059_350_016 },
        t0,
    ));
    a.update(Msg::Wipe(
        RunEvent::Progress { index: 0, progress: progress(1, Phase::Writing, 100_000_000_000) },
        t0,
    ));
    a.update(Msg::Wipe(
        RunEvent::Progress { index: 0, progress: progress(1, Phase::Writing, 100_120_000_000) },
        t0 + Duration::from_secs(1),
    ));
    out.push(("11-wiping", a.clone()));
    let mut quit = a.clone();
    quit.update(Msg::Key(Key::F(10), t0));
    out.push(("90-quit-during-wipe", quit));
    let mut failed = a.clone();
    failed.update(Msg::WipeFinished(vec![disk_record(SanitizeResult::Failed)]));
    failed.update(Msg::Key(Key::Char('d'), t0 + Duration::from_secs(5)));
    out.push(("12b-wipe-failed-details", failed));
    a.update(Msg::WipeFinished(vec![disk_record(SanitizeResult::Verified)]));
    out.push(("12-wipe-done", a.clone()));
    answer(&mut a, Answer::Next);
    out.push(("13a-image-searching", a.clone()));
    let mut none = a.clone();
    none.update(Msg::Images(ImageStep::Nothing {
        reason: "image.none",
        details: "/data/images/catalogue.json does not exist".into(),
    }));
    out.push(("13b-image-none", none));
    a.update(Msg::Images(ImageStep::Offer {
        images: vec![manifest("debian-12-xfce", 2), manifest("debian-12-lxqt", 1)],
        dir: "/data/images".into(),
        target: "/dev/sda".into(),
    }));
    out.push(("13c-image-offer", a.clone()));
    answer(&mut a, Answer::Next);
    a.update(Msg::ImageProgress(imaging::Progress {
        phase: imaging::Phase::Writing,
        done: 500,
        total: Some(1000),
        bytes_written: 400,
    }));
    out.push(("13d-image-writing", a.clone()));
    let mut failed_image = a.clone();
    failed_image.update(Msg::Imaged(Err(Failure {
        plain: "error.image",
        details: "read-back of blocks 1000-1039 differs".into(),
    })));
    failed_image.update(Msg::Key(Key::Char('d'), t0 + Duration::from_secs(9)));
    out.push(("13e-image-failed-details", failed_image));
    a.update(Msg::Imaged(Ok(serde_json::json!({
        "image": {"name": "debian-12-xfce", "version": "2026.11"},
        "verification": {"method": "bmap-ranges", "result": "verified"},
    }))));
    out.push(("13f-image-done", a.clone()));
    answer(&mut a, Answer::Next);
    out.push(("14a-grade-computing", a.clone()));
    let graded = grading::grade(&a.grading_input(), &grading::Policy::default_policy());
    a.update(Msg::Graded(Ok(Box::new(graded))));
    out.push(("14-grade", a.clone()));
    answer(&mut a, Answer::Next);
    out.push(("15-certificate-signing", a.clone()));
    // The attestation as the runtime computes it: from the certificate these parts make.
    let made = station::run::assemble(a.certificate_parts(), "0".repeat(64));
    let sealed = Sealed {
        id: "01a207f2-7a86-7c3e-9a51-3d2f6b8e4c17".parse().expect("uuid"),
        path: "/data/spool/pending/01a207f2-7a86-7c3e-9a51-3d2f6b8e4c17.json".into(),
        result: made.result,
        attestation: certificate::attestation::reconditionne(&made),
    };
    // This unit's battery check failed: not reconditionné, and the screen says why. The same
    // unit with a battery that charges is.
    assert_eq!(
        sealed.attestation.missing,
        [certificate::attestation::Missing::CheckFailed(certificate::attestation::Function::Battery)]
    );
    let mut granted = a.clone();
    let mut repaired = made.clone();
    repaired.checks.as_mut().expect("checks").battery.status = CheckStatus::Pass;
    let attestation = certificate::attestation::reconditionne(&repaired);
    assert!(attestation.granted, "{attestation:?}");
    granted.update(Msg::Sealed(Ok(Sealed { attestation, ..sealed.clone() })));
    granted.update(Msg::Delivered(Delivery::Sent));
    out.push(("16c-certificate-reconditionne", granted));
    a.update(Msg::Sealed(Ok(sealed)));
    let mut kept = a.clone();
    kept.update(Msg::Delivered(Delivery::Kept("http://registre.local: connection refused".into())));
    out.push(("16b-certificate-kept", kept));
    let mut relayed = a.clone();
    relayed.update(Msg::Delivered(Delivery::Relayed));
    out.push(("16c-certificate-relayed", relayed));
    // Booted from the network: the data directory is in RAM, the certificate not yet on the
    // workshop server must not be lost by switching off; then the server takes it.
    let mut netboot = a.clone().with_netboot(Some("http://10.77.0.1:8760".into()));
    netboot.update(Msg::Delivered(Delivery::Kept("http://10.77.0.1:8760: connection refused".into())));
    out.push(("16c-certificate-netboot-unsent", netboot.clone()));
    netboot.update(Msg::PendingPushed { sent: 1, left: 0 });
    out.push(("16d-certificate-netboot-on-server", netboot));
    a.update(Msg::Delivered(Delivery::Sent));
    out.push(("16-certificate", a.clone()));

    let mut err = app(lang, false);
    err.update(Msg::Failed(Failure {
        plain: "error.seal",
        details: "cannot write /data/spool/pending/x.json: No space left on device (os error 28)".into(),
    }));
    err.update(Msg::Key(Key::Char('d'), t0));
    out.push(("91-error-details", err));
    let mut sup = app(lang, false);
    sup.settings.registry = Some("https://registre.atelier.example".into());
    sup.update(Msg::Key(Key::F(2), t0));
    sup.update(Msg::Key(Key::Enter, t0));
    sup.update(Msg::Key(Key::Down, t0));
    out.push(("92-supervisor", sup));
    out
}

fn manifest(name: &str, ram_gib: u64) -> imaging::ImageManifest {
    imaging::ImageManifest {
        name: name.into(),
        version: "2026.11".into(),
        architecture: "amd64".into(),
        min_ram_bytes: ram_gib << 30,
        min_disk_bytes: 16 << 30,
        file: format!("{name}.img.zst"),
        size: 1 << 30,
        sha256: "00".repeat(32),
        image_size: 4 << 30,
        bmap: None,
        bmap_sha256: None,
        boot_modes: vec![imaging::BootMode::Bios, imaging::BootMode::Uefi],
    }
}

fn disk_record(result: SanitizeResult) -> certificate::DiskRecord {
    let mut d = certificate::example::certificate("9VY3ABCD").disks[0].clone();
    d.path = "/dev/sda".into();
    d.capacity_bytes = 250_059_350_016;
    d.sanitization.result = result;
    if result == SanitizeResult::Failed {
        d.sanitization.errors = vec![certificate::DiskError {
            message: "write at 131072000: Input/output error (os error 5)".into(),
            range: None,
        }];
    }
    d
}

fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| view::render(app, f)).expect("draw");
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn every_screen_matches_its_snapshot_in_both_languages_and_sizes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut problems = Vec::new();
    let mut count = 0;
    for lang in [Lang::Fr, Lang::En] {
        for (name, app) in states(lang) {
            for (w, h) in SIZES {
                let got = text(&draw(&app, w, h));
                assert!(
                    !got.contains('⟦'),
                    "{name} {}: a text is missing from the catalogue:\n{got}",
                    lang.code()
                );
                let file = dir.join(format!("{name}.{}.{w}x{h}.txt", lang.code()));
                count += 1;
                match std::fs::read_to_string(&file) {
                    Ok(want) if want == got => {}
                    _ if update => {
                        std::fs::create_dir_all(&dir).expect("mkdir");
                        std::fs::write(&file, &got).expect("write snapshot");
                    }
                    Ok(want) => {
                        problems.push(format!("{} differs:\n--- want\n{want}--- got\n{got}", file.display()))
                    }
                    Err(_) => problems.push(format!("{} is missing; got:\n{got}", file.display())),
                }
            }
        }
    }
    assert!(count >= 80, "only {count} snapshots");
    assert!(problems.is_empty(), "{} of {count} snapshots differ:\n{}", problems.len(), problems.join("\n"));
}

/// Finds the first cell showing `symbol` on a row that contains `word`.
fn cell_of(buffer: &Buffer, symbol: &str, word: &str) -> ratatui::buffer::Cell {
    let area = buffer.area;
    for y in 0..area.height {
        let row: String = (0..area.width).map(|x| buffer[(x, y)].symbol().to_owned()).collect();
        if row.contains(word) {
            for x in 0..area.width {
                if buffer[(x, y)].symbol() == symbol {
                    return buffer[(x, y)].clone();
                }
            }
        }
    }
    panic!("no {symbol} on a row with {word:?}:\n{}", text(buffer));
}

/// Verified and failed disks differ by symbol, word and colour, and the colours are the
/// colour-blind-safe pair (blue-ish for good, red background for a problem).
#[test]
fn colours_of_a_verified_and_a_failed_disk() {
    let states = states(Lang::Fr);
    let done = &states.iter().find(|(n, _)| *n == "12-wipe-done").expect("state").1;
    let failed = &states.iter().find(|(n, _)| *n == "12b-wipe-failed-details").expect("state").1;
    let ok = cell_of(&draw(done, 80, 25), "√", "Effacé et vérifié");
    assert_eq!(ok.fg, Color::LightCyan);
    let bad = cell_of(&draw(failed, 80, 25), "×", "Échec");
    assert_eq!((bad.fg, bad.bg), (Color::White, Color::Red));
}

/// The keyboard test shows pressed keys reversed in the "good" colour, the others plain.
#[test]
fn colours_of_pressed_keys() {
    let states = states(Lang::Fr);
    let kb = &states.iter().find(|(n, _)| *n == "05-keyboard").expect("state").1;
    let buffer = draw(kb, 80, 25);
    let a = cell_of(&buffer, "A", "[Z]");
    assert!(a.modifier.contains(ratatui::style::Modifier::REVERSED), "pressed A is highlighted");
    let q = cell_of(&buffer, "Q", "[S]");
    assert!(!q.modifier.contains(ratatui::style::Modifier::REVERSED), "Q was not pressed");
}

#[test]
fn the_app_starts_on_the_welcome_screen_with_the_lot_from_the_settings() {
    let settings = Settings { lot: Some("CD34-2026-017".into()), ..Settings::default() };
    let app = App::new(settings, "atelier-1".into());
    assert_eq!(app.screen, Screen::Welcome);
    assert_eq!(app.lot, "CD34-2026-017");
    assert_eq!(app.lang, Lang::Fr, "French is the default");
    assert!(app.overlay.is_none());
    let _ = Overlay::Quit;
}

#[test]
fn a_disk_whose_serial_no_source_gave_says_so_on_the_computer_screen() {
    let computer = |lang: Lang, serial: Option<&str>| {
        let settings = Settings { language: Some(lang.code().into()), ..Settings::default() };
        let mut a = App::new(settings, "atelier-1".into());
        let mut facts = facts(false);
        facts.disks[0].model = Some("WDC WD2500BEVS-22UST0".into());
        facts.disks[0].serial = serial.map(str::to_owned);
        a.update(Msg::Facts(Box::new(facts)));
        answer(&mut a, Answer::Lot("CD34-2026-017".into()));
        text(&draw(&a, 120, 40))
    };
    for (lang, words) in [
        (Lang::Fr, "Disque WDC WD2500BEVS-22UST0 : numéro de série illisible"),
        (Lang::En, "Disk WDC WD2500BEVS-22UST0: serial number not readable"),
    ] {
        let shown = computer(lang, None);
        assert!(shown.contains(words), "{shown}");
    }
    // A disk with its serial gets no such line.
    let shown = computer(Lang::En, Some("WD-WXEX07421253"));
    assert!(shown.contains("WDC WD2500BEVS-22UST0"), "{shown}");
    assert!(!shown.contains("serial number not readable"), "{shown}");
}
