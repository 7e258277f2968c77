//! The app's behaviour, message by message (no terminal, no threads).

use super::*;

fn facts(battery: bool, disks: usize) -> Facts {
    let mut power = inventory::power::Power::default();
    if battery {
        power.batteries.push(inventory::power::Battery {
            name: "BAT0".into(),
            status: "Charging".into(),
            capacity_percent: Some(40),
            health_percent: Some(81),
            model: None,
            serial: None,
        });
    }
    Facts {
        host: inventory::probe_host(&inventory::Root::at("/nonexistent-root")),
        disks: (0..disks)
            .map(|i| DiskCandidate {
                path: format!("/dev/sd{}", (b'a' + i as u8) as char).into(),
                model: Some("ST3250318AS".into()),
                serial: Some(format!("SERIAL{i}")),
                size: 250_059_350_016,
                health: HealthVerdict::Good,
                health_reasons: vec![],
                protected: None,
            })
            .collect(),
        power,
    }
}

fn app(battery: bool, disks: usize) -> App {
    let mut app = App::new(Settings::default(), "atelier-1".into());
    app.update(Msg::Facts(Box::new(facts(battery, disks))));
    app
}

fn press(app: &mut App, key: Key, at: Instant) -> Vec<Effect> {
    app.update(Msg::Key(key, at))
}

/// Walks to the wipe confirmation with keys only, the way a worker does.
fn to_wipe_confirm(app: &mut App, t: Instant) {
    for c in "L1".chars() {
        press(app, Key::Char(c), t);
    }
    press(app, Key::Enter, t); // welcome
    press(app, Key::Enter, t); // computer
    for _ in 0..SCREEN_TEST_COLOURS {
        press(app, Key::Enter, t);
    }
    press(app, Key::Enter, t); // no defect
    for key in app.keyboard.every_key() {
        press(app, key, t);
    }
    press(app, Key::Enter, t); // keyboard done
    assert_eq!(app.screen, Screen::Question(Question::Sound));
    press(app, Key::Down, t); // past "play it again"
    press(app, Key::Enter, t); // sound heard
    press(app, Key::Enter, t); // usb ok
    if app.screen == Screen::Question(Question::Battery) {
        press(app, Key::Enter, t);
    }
    press(app, Key::Down, t);
    press(app, Key::Enter, t); // grade B
    assert_eq!(app.screen, Screen::WipeConfirm);
}

fn ms(t: Instant, ms: u64) -> Instant {
    t + Duration::from_millis(ms)
}

#[test]
fn a_stray_enter_does_not_start_the_wipe_but_holding_it_three_seconds_does() {
    let t = Instant::now();
    let mut a = app(false, 1);
    to_wipe_confirm(&mut a, t);
    assert!(press(&mut a, Key::Enter, ms(t, 0)).is_empty());
    a.update(Msg::Tick(ms(t, 1000)));
    assert_eq!(a.confirm.held, 0.0, "a single press is forgotten after the gap");
    // Held: repeats every 50 ms from 1.5 s; the wipe starts at 4.5 s, not before.
    let mut started = None;
    for i in 0..80 {
        let at = ms(t, 1500 + i * 50);
        let effects = press(&mut a, Key::Enter, at);
        if effects.iter().any(|e| matches!(e, Effect::Wipe { .. })) {
            started = Some(i);
            break;
        }
    }
    assert_eq!(started, Some(60), "3 s of holding at 50 ms per repeat");
    assert_eq!(a.screen, Screen::Wiping);
}

#[test]
fn a_pause_in_the_hold_starts_it_again() {
    let t = Instant::now();
    let mut a = app(false, 1);
    to_wipe_confirm(&mut a, t);
    for i in 0..40 {
        assert!(press(&mut a, Key::Enter, ms(t, i * 50)).is_empty());
    }
    a.update(Msg::Tick(ms(t, 3000)));
    for i in 0..40 {
        assert!(press(&mut a, Key::Enter, ms(t, 3100 + i * 50)).is_empty(), "only 2 s since the pause");
    }
    assert_eq!(a.screen, Screen::WipeConfirm);
}

#[test]
fn typing_the_word_starts_the_wipe_whatever_the_case_and_a_wrong_word_is_cleared() {
    let t = Instant::now();
    let mut a = app(false, 2);
    to_wipe_confirm(&mut a, t);
    for c in "efface".chars() {
        press(&mut a, Key::Char(c), t);
    }
    assert!(press(&mut a, Key::Enter, t).is_empty());
    assert!(a.confirm.typed.is_empty());
    for c in "Effacer".chars() {
        press(&mut a, Key::Char(c), ms(t, 2000));
    }
    let effects = press(&mut a, Key::Enter, ms(t, 2000));
    let Some(Effect::Wipe { disks, auto_purge, .. }) = effects.last() else { panic!("{effects:?}") };
    assert_eq!(disks.len(), 2);
    assert!(auto_purge, "no method set: the policy chooses");
}

#[test]
fn enter_still_held_after_the_confirmation_does_not_skip_the_result() {
    let t = Instant::now();
    let mut a = app(false, 1);
    to_wipe_confirm(&mut a, t);
    for i in 0..=60 {
        press(&mut a, Key::Enter, ms(t, i * 50));
    }
    assert_eq!(a.screen, Screen::Wiping);
    a.update(Msg::WipeFinished(vec![]));
    assert_eq!(a.screen, Screen::WipeDone);
    for i in 61..100 {
        press(&mut a, Key::Enter, ms(t, i * 50));
    }
    assert_eq!(a.screen, Screen::WipeDone, "the repeats of the held key are not answers");
    a.update(Msg::Tick(ms(t, 6000)));
    press(&mut a, Key::Enter, ms(t, 6100));
    assert_eq!(a.screen, Screen::Image);
}

fn interrupted_record(path: &str) -> DiskRecord {
    let mut r = certificate::example::certificate("S1").disks[0].clone();
    r.path = path.into();
    r.sanitization.result = SanitizeResult::Interrupted;
    r.sanitization.errors = vec![certificate::DiskError {
        message: "stopped by the operator at byte 6291456".into(),
        range: None,
    }];
    r
}

#[test]
fn quitting_during_a_wipe_stops_it_and_signs_it_as_interrupted() {
    let t = Instant::now();
    let mut a = app(false, 1);
    to_wipe_confirm(&mut a, t);
    a.answer(Answer::ConfirmWipe);
    press(&mut a, Key::F(10), ms(t, 5000));
    assert_eq!(a.overlay, Some(Overlay::Quit));
    assert_eq!(press(&mut a, Key::Esc, ms(t, 5100)), vec![], "Échap keeps the wipe running");
    press(&mut a, Key::CtrlC, ms(t, 5200));
    assert_eq!(press(&mut a, Key::Enter, ms(t, 5300)), vec![], "the habitual Entrée keeps the wipe running");
    assert_eq!(a.overlay, None);
    assert_eq!(a.screen, Screen::Wiping);
    press(&mut a, Key::F(10), ms(t, 5400));
    assert_eq!(press(&mut a, Key::Char('o'), ms(t, 5500)), vec![Effect::StopWipe]);
    let effects = a.update(Msg::WipeFinished(vec![interrupted_record("/dev/sda")]));
    let [Effect::Seal { parts, deliver: false }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(parts.disks[0].sanitization.result, SanitizeResult::Interrupted);
    let effects = a.update(Msg::Sealed(Ok(Sealed {
        id: uuid::Uuid::now_v7(),
        path: "x".into(),
        result: Outcome::Incomplete,
        attestation: certificate::attestation::reconditionne(&certificate::example::certificate("S1")),
    })));
    assert_eq!(effects, vec![Effect::Quit], "leaves once the interruption is signed");
}

#[test]
fn quitting_after_the_wipe_but_before_the_certificate_signs_what_is_known() {
    let t = Instant::now();
    let mut a = app(false, 1);
    to_wipe_confirm(&mut a, t);
    a.answer(Answer::ConfirmWipe);
    let mut done = interrupted_record("/dev/sda");
    done.sanitization = certificate::example::certificate("S1").disks[0].sanitization.clone();
    let effects = a.update(Msg::WipeFinished(vec![done]));
    assert!(effects.iter().any(|e| matches!(e, Effect::Journal(p) if p.disks.len() == 1)), "{effects:?}");
    press(&mut a, Key::F(10), ms(t, 9000));
    let effects = press(&mut a, Key::Char('O'), ms(t, 9100));
    assert!(matches!(effects.as_slice(), [Effect::Seal { deliver: false, .. }]), "{effects:?}");
    // Nothing wiped yet: quitting just quits.
    let mut b = app(false, 1);
    press(&mut b, Key::F(10), t);
    assert_eq!(press(&mut b, Key::Char('o'), t), vec![Effect::Quit]);
}

#[test]
fn f9_on_the_keyboard_test_asks_before_recording_a_fault() {
    let t = Instant::now();
    let mut a = app(false, 1);
    a.answer(Answer::Lot("L".into()));
    a.answer(Answer::Next);
    a.answer(Answer::Check(CheckStatus::Pass));
    assert_eq!(a.screen, Screen::Keyboard);
    press(&mut a, Key::F(9), t);
    assert_eq!(a.overlay, Some(Overlay::KeyboardFaulty));
    press(&mut a, Key::Enter, t);
    assert_eq!((a.screen, a.overlay.clone()), (Screen::Keyboard, None), "Entrée goes back to the test");
    press(&mut a, Key::F(9), t);
    press(&mut a, Key::Char('o'), t);
    assert_eq!(a.screen, Screen::Question(Question::Sound));
    assert_eq!(a.checks.keyboard.as_ref().map(|c| c.status), Some(CheckStatus::Fail));
}

#[test]
fn an_empty_lot_code_is_said_before_it_is_accepted() {
    let t = Instant::now();
    let mut a = app(false, 1);
    press(&mut a, Key::Enter, t);
    assert_eq!(a.screen, Screen::Welcome);
    assert!(a.lot_warned);
    press(&mut a, Key::Enter, t);
    assert_eq!(a.screen, Screen::Computer);
}

#[test]
fn a_wrong_pin_is_said_and_each_try_waits_longer() {
    let t = Instant::now();
    let mut a = app(false, 1);
    a.settings.pin_sha256 = Some(settings::pin_hash("1234"));
    press(&mut a, Key::F(2), t);
    for c in "9999".chars() {
        press(&mut a, Key::Char(c), t);
    }
    assert_eq!(press(&mut a, Key::Enter, t), vec![Effect::Bell]);
    assert_eq!(a.pin_failures.0, 1);
    assert_eq!(a.pin_wait(ms(t, 500)), Some(Duration::from_millis(500)));
    for c in "1234".chars() {
        press(&mut a, Key::Char(c), ms(t, 600));
    }
    press(&mut a, Key::Enter, ms(t, 700));
    assert_eq!(a.overlay, Some(Overlay::Pin("1234".into())), "too soon: the try waits");
    press(&mut a, Key::Enter, ms(t, 1100));
    assert!(matches!(a.overlay, Some(Overlay::Supervisor { .. })));
    assert_eq!(pin_delay(1), Duration::from_secs(1));
    assert_eq!(pin_delay(3), Duration::from_secs(4));
    assert_eq!(pin_delay(20), Duration::from_secs(60));
}

#[test]
fn the_sound_check_replays_on_entree_and_records_what_was_played() {
    let t = Instant::now();
    let mut a = app(false, 1);
    a.answer(Answer::Lot("L".into()));
    a.answer(Answer::Next);
    a.answer(Answer::Check(CheckStatus::Pass));
    a.answer(Answer::Keyboard(vec![]));
    assert_eq!(a.screen, Screen::Question(Question::Sound));
    a.update(Msg::Tone(Tone {
        sound_card: Err("speaker-test (alsa-utils) is not installed".into()),
        bell: true,
    }));
    assert_eq!(press(&mut a, Key::Enter, t), vec![Effect::Tone], "the first line plays it again");
    assert_eq!(a.screen, Screen::Question(Question::Sound));
    a.update(Msg::Tone(Tone {
        sound_card: Err("speaker-test (alsa-utils) is not installed".into()),
        bell: true,
    }));
    press(&mut a, Key::Down, t);
    press(&mut a, Key::Enter, t);
    let sound = a.checks.sound.clone().expect("answered");
    assert_eq!(sound.status, CheckStatus::Pass);
    assert!(
        sound.details[0].contains("only the terminal bell") && sound.details[0].contains("not installed"),
        "{sound:?}"
    );
}

#[test]
fn a_wrong_confirmation_word_is_said() {
    let t = Instant::now();
    let mut a = app(false, 1);
    to_wipe_confirm(&mut a, t);
    for c in "EFACER".chars() {
        press(&mut a, Key::Char(c), t);
    }
    assert!(press(&mut a, Key::Enter, t).is_empty());
    assert_eq!(a.confirm.wrong.as_deref(), Some("EFACER"));
    assert_eq!(a.screen, Screen::WipeConfirm);
}

#[test]
fn escape_goes_back_but_never_out_of_a_wipe() {
    let t = Instant::now();
    let mut a = app(false, 1);
    a.lot = "L".into();
    press(&mut a, Key::Enter, t);
    press(&mut a, Key::Enter, t);
    assert_eq!(a.screen, Screen::ScreenColours(0));
    press(&mut a, Key::Esc, t);
    assert_eq!(a.screen, Screen::Computer);
    let mut b = app(false, 1);
    to_wipe_confirm(&mut b, t);
    b.answer(Answer::ConfirmWipe);
    press(&mut b, Key::Esc, ms(t, 9000));
    assert_eq!(b.screen, Screen::Wiping);
}

#[test]
fn the_battery_is_asked_about_only_when_there_is_one() {
    let t = Instant::now();
    let mut desktop = app(false, 1);
    to_wipe_confirm(&mut desktop, t);
    assert_eq!(desktop.checks.battery.as_ref().map(|c| c.status), Some(CheckStatus::NotApplicable));
    let mut laptop = app(true, 1);
    to_wipe_confirm(&mut laptop, t);
    let battery = laptop.checks.battery.clone().expect("answered");
    assert_eq!(battery.status, CheckStatus::Pass);
    assert!(battery.details[0].contains("Charging"), "{battery:?}");
}

#[test]
fn a_broken_key_is_recorded_by_name() {
    let t = Instant::now();
    let mut a = app(false, 1);
    a.answer(Answer::Lot(String::new()));
    a.answer(Answer::Next);
    a.answer(Answer::Check(CheckStatus::Pass));
    assert_eq!(a.screen, Screen::Keyboard);
    for key in a.keyboard.every_key() {
        if key != Key::Char('m') {
            press(&mut a, key, t);
        }
    }
    press(&mut a, Key::F(9), t);
    press(&mut a, Key::Char('o'), t);
    let kb = a.checks.keyboard.clone().expect("answered");
    assert_eq!(kb.status, CheckStatus::Fail);
    assert_eq!(kb.details, vec!["keys that never answered: M".to_string()]);
}

#[test]
fn the_supervisor_sets_a_pin_then_it_is_asked_for() {
    let t = Instant::now();
    let mut a = app(false, 1);
    press(&mut a, Key::F(2), t);
    press(&mut a, Key::Enter, t);
    assert!(matches!(a.overlay, Some(Overlay::Supervisor { .. })), "no PIN yet: the menu opens");
    let pin_line = SUPERVISOR_LINES.iter().position(|l| *l == "sup.pin").expect("line");
    for _ in 0..pin_line {
        press(&mut a, Key::Down, t);
    }
    press(&mut a, Key::Enter, t);
    for c in "2468".chars() {
        press(&mut a, Key::Char(c), t);
    }
    let effects = press(&mut a, Key::Enter, t);
    assert!(matches!(effects.as_slice(), [Effect::SaveSettings(s)] if s.pin_matches("2468")));
    press(&mut a, Key::Esc, t);
    assert_eq!(a.overlay, None);
    press(&mut a, Key::F(2), t);
    for c in "1111".chars() {
        press(&mut a, Key::Char(c), t);
    }
    press(&mut a, Key::Enter, t);
    assert_eq!(a.overlay, Some(Overlay::Pin(String::new())), "a wrong PIN is refused");
    let t = ms(t, 1000); // the wait a wrong PIN imposes
    for c in "2468".chars() {
        press(&mut a, Key::Char(c), t);
    }
    press(&mut a, Key::Enter, t);
    assert!(matches!(a.overlay, Some(Overlay::Supervisor { .. })));
    // The method line cycles through the methods and is saved.
    let method_line = SUPERVISOR_LINES.iter().position(|l| *l == "sup.method").expect("line");
    for _ in 0..method_line {
        press(&mut a, Key::Down, t);
    }
    press(&mut a, Key::Enter, t);
    assert_eq!(a.settings.method.as_deref(), Some("zero"));
    assert!(!a.wipe_options().1, "a named method turns the firmware policy off");
}

#[test]
fn the_happy_path_takes_at_most_twenty_key_presses_besides_the_keyboard_test() {
    let t = Instant::now();
    let mut a = app(false, 1);
    to_wipe_confirm(&mut a, t);
    for i in 0..=60 {
        press(&mut a, Key::Enter, ms(t, 1000 + i * 50));
    }
    a.update(Msg::WipeFinished(vec![]));
    a.update(Msg::Tick(ms(t, 9000)));
    let mut at = ms(t, 9100);
    let mut effects = Vec::new();
    while a.screen != Screen::Certificate {
        if a.screen == Screen::Image && a.image == ImageStep::Loading {
            a.update(Msg::Images(ImageStep::Nothing { reason: "image.none", details: String::new() }));
        }
        if a.screen == Screen::Grade && a.grade.is_none() {
            let g = grading::grade(&a.grading_input(), &grading::Policy::default_policy());
            a.update(Msg::Graded(Ok(Box::new(g))));
        }
        effects = press(&mut a, Key::Enter, at);
        at = ms(at, 1000);
        a.update(Msg::Tick(at));
    }
    assert!(effects.iter().any(|e| matches!(e, Effect::Seal { deliver: true, .. })));
    a.update(Msg::Sealed(Ok(Sealed {
        id: uuid::Uuid::now_v7(),
        path: "x".into(),
        result: Outcome::Incomplete,
        attestation: certificate::attestation::reconditionne(&certificate::example::certificate("S1")),
    })));
    assert_eq!(press(&mut a, Key::Enter, ms(at, 1000)), vec![Effect::Quit]);
    let presses = a.keystrokes - a.typed;
    println!("happy path: {presses} key presses besides the keyboard test and the lot code");
    assert!(presses <= 20, "{presses} key presses");
}

#[test]
fn the_certificate_records_the_answers_and_the_lot() {
    let mut a = app(false, 1);
    a.answer(Answer::Lot("  CD34-2026-017 ".into()));
    a.answer(Answer::Next);
    a.answer(Answer::Check(CheckStatus::Fail));
    a.answer(Answer::Keyboard(vec![]));
    a.answer(Answer::Check(CheckStatus::Skipped));
    a.answer(Answer::Check(CheckStatus::Pass));
    a.answer(Answer::Cosmetic(Some(CosmeticGrade::C)));
    let parts = a.certificate_parts();
    assert_eq!(parts.lot.as_deref(), Some("CD34-2026-017"));
    let checks = parts.checks.expect("checks");
    assert_eq!(checks.screen.status, CheckStatus::Fail);
    assert_eq!(checks.keyboard.status, CheckStatus::Pass);
    assert_eq!(checks.sound.status, CheckStatus::Skipped);
    assert_eq!(checks.usb.status, CheckStatus::Pass);
    assert_eq!(checks.battery.status, CheckStatus::NotApplicable);
    assert_eq!(checks.cosmetic, Some(CosmeticGrade::C));
}

#[test]
fn progress_is_a_share_of_all_passes_and_never_goes_back() {
    let t = Instant::now();
    let mut a = app(false, 1);
    a.settings.method = Some("dod-3".into());
    a.screen = Screen::WipeConfirm;
    a.answer(Answer::ConfirmWipe);
    let size = 1_000_000_000;
    let ev = |pass, phase, done| {
        Msg::Wipe(
            RunEvent::Progress {
                index: 0,
                progress: sanitize::Progress { pass, passes: 3, phase, done, total: size },
            },
            t,
        )
    };
    a.update(ev(2, Phase::Writing, size / 2));
    assert!((a.progress[0].percent - 37.5).abs() < 0.01, "{}", a.progress[0].percent);
    a.update(ev(3, Phase::Verifying, size / 2));
    assert!((a.progress[0].percent - 87.5).abs() < 0.01, "{}", a.progress[0].percent);
    a.update(ev(1, Phase::Writing, 0));
    assert!((a.progress[0].percent - 87.5).abs() < 0.01, "never goes back");
}

#[test]
fn f4_on_the_welcome_screen_opens_the_loose_disks_session_with_the_lot() {
    let mut a = app(false, 1);
    for c in "LOT-7".chars() {
        press(&mut a, Key::Char(c), Instant::now());
    }
    let effects = press(&mut a, Key::F(4), Instant::now());
    assert_eq!(effects.last(), Some(&Effect::OpenBay));
    assert!(matches!(effects.first(), Some(Effect::SaveSettings(s)) if s.lot.as_deref() == Some("LOT-7")));
}

#[test]
fn a_pending_enrolment_is_asked_again_until_approved() {
    let t = Instant::now();
    let mut a = app(false, 1);
    a.settings.registry = Some("http://registry".into());
    press(&mut a, Key::F(2), t);
    press(&mut a, Key::Enter, t);
    assert!(matches!(a.overlay, Some(Overlay::Supervisor { .. })));
    a.update(Msg::Tick(t));
    a.update(Msg::Enrolled(Ok(Enrolment { code: Some("K7XQ-2M9P".into()), status: "pending".into() })));
    assert_eq!(a.update(Msg::Tick(ms(t, 100))), vec![Effect::Enrol("http://registry".into())]);
    assert_eq!(a.update(Msg::Tick(ms(t, 1000))), vec![], "not more often than every few seconds");
    assert_eq!(
        a.update(Msg::Tick(ms(t, 100 + ENROL_POLL.as_millis() as u64))),
        vec![Effect::Enrol("http://registry".into())]
    );
    a.update(Msg::Enrolled(Ok(Enrolment { code: None, status: "approved".into() })));
    assert_eq!(a.update(Msg::Tick(ms(t, 20_000))), vec![], "approved: no more asking");
}

#[test]
fn the_station_name_is_set_in_the_supervisor_menu() {
    let t = Instant::now();
    let mut a = app(false, 1);
    press(&mut a, Key::F(2), t);
    press(&mut a, Key::Enter, t);
    let line = SUPERVISOR_LINES.iter().position(|l| *l == "sup.name").expect("line");
    for _ in 0..line {
        press(&mut a, Key::Down, t);
    }
    press(&mut a, Key::Enter, t);
    for c in "atelier-7".chars() {
        press(&mut a, Key::Char(c), t);
    }
    let effects = press(&mut a, Key::Enter, t);
    assert!(
        matches!(effects.as_slice(), [Effect::SaveSettings(s)] if s.station_name.as_deref() == Some("atelier-7"))
    );
    assert_eq!(a.station_name, "atelier-7");
}

#[test]
fn the_workshop_and_the_destination_are_set_in_the_supervisor_menu_and_reach_the_certificate() {
    let t = Instant::now();
    let mut a = app(false, 1);
    press(&mut a, Key::F(2), t);
    press(&mut a, Key::Enter, t);
    let go_to = |a: &mut App, name: &str| {
        while !matches!(a.overlay, Some(Overlay::Supervisor { line, .. }) if SUPERVISOR_LINES[line] == name) {
            press(a, Key::Down, t);
        }
    };
    go_to(&mut a, "sup.organisation");
    press(&mut a, Key::Enter, t);
    for c in "ESAT du Lez".chars() {
        press(&mut a, Key::Char(c), t);
    }
    let effects = press(&mut a, Key::Enter, t);
    assert!(
        matches!(effects.as_slice(), [Effect::SaveSettings(s)] if s.organisation.as_deref() == Some("ESAT du Lez")),
        "{effects:?}"
    );
    go_to(&mut a, "sup.destination");
    // Each Entrée moves to the next destination, and after the last back to "not set".
    let mut seen = Vec::new();
    for _ in 0..=certificate::Destination::ALL.len() {
        let effects = press(&mut a, Key::Enter, t);
        let [Effect::SaveSettings(s)] = effects.as_slice() else { panic!("{effects:?}") };
        seen.push(s.destination);
    }
    let mut expected: Vec<_> = certificate::Destination::ALL.into_iter().map(Some).collect();
    expected.push(None);
    assert_eq!(seen, expected);
    press(&mut a, Key::Enter, t);
    let parts = a.certificate_parts();
    assert_eq!(parts.performed_by.and_then(|p| p.organisation).as_deref(), Some("ESAT du Lez"));
    assert_eq!(parts.post_sanitization.map(|p| p.destination), Some(certificate::Destination::InternalReuse));
}

/// A network-booted station (RAM only): after a failed delivery the certificate screen says not
/// to switch off and the app tries the server again every NETBOOT_RETRY, until the spool is empty.
#[test]
fn a_network_booted_station_keeps_trying_and_says_not_to_switch_off_until_the_server_has_it() {
    let t = Instant::now();
    let url = "http://10.77.0.1:8760".to_string();
    let sealed = || Sealed {
        id: uuid::Uuid::now_v7(),
        path: "x".into(),
        result: Outcome::Sanitized,
        attestation: certificate::attestation::reconditionne(&certificate::example::certificate("S1")),
    };

    let mut a = app(false, 1).with_netboot(Some(url.clone()));
    a.settings.registry = Some(url.clone());
    a.screen = Screen::Certificate;
    a.update(Msg::Sealed(Ok(sealed())));
    assert!(!a.certificate_safe(), "being sent: not yet on the server");
    assert_eq!(a.update(Msg::Tick(t)), vec![], "no retry while the first delivery runs");
    a.update(Msg::Delivered(Delivery::Kept("connection refused".into())));
    assert!(!a.certificate_safe());
    assert_eq!(a.update(Msg::Tick(ms(t, 100))), vec![Effect::PushPending(url.clone())]);
    assert_eq!(a.update(Msg::Tick(ms(t, 2000))), vec![], "not more often than NETBOOT_RETRY");
    a.update(Msg::PendingPushed { sent: 0, left: 1 });
    assert!(!a.certificate_safe(), "still pending");
    let later = ms(t, 100 + NETBOOT_RETRY.as_millis() as u64);
    assert_eq!(a.update(Msg::Tick(later)), vec![Effect::PushPending(url.clone())]);
    a.update(Msg::PendingPushed { sent: 1, left: 0 });
    assert!(a.certificate_safe(), "the server has it");
    assert_eq!(a.update(Msg::Tick(ms(later, 60_000))), vec![], "nothing left to send");

    // Booted from the stick: the spool is on SV-DATA, a failed delivery is sent later.
    let mut s = app(false, 1);
    s.settings.registry = Some(url.clone());
    s.screen = Screen::Certificate;
    s.update(Msg::Sealed(Ok(sealed())));
    s.update(Msg::Delivered(Delivery::Kept("connection refused".into())));
    assert!(s.certificate_safe());
    assert_eq!(s.update(Msg::Tick(ms(t, 100))), vec![]);
}
