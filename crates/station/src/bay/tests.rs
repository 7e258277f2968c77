//! A bay session, message by message.

use super::*;
use certificate::example;

fn candidate(name: &str, serial: &str, protected: Option<&str>) -> Box<DiskCandidate> {
    Box::new(DiskCandidate {
        path: format!("/dev/{name}").into(),
        model: Some("ST500DM002".into()),
        serial: Some(serial.into()),
        size: 500_107_862_016,
        health: HealthVerdict::Good,
        health_reasons: vec![],
        protected: protected.map(str::to_owned),
    })
}

fn plug(app: &mut BayApp, name: &str, serial: &str, protected: Option<&str>) -> Vec<Effect> {
    let mut effects = app.update(Msg::Change(Change::Appeared(name.into(), format!("/dev/{name}").into())));
    assert_eq!(effects, vec![Effect::Probe(name.into(), format!("/dev/{name}").into())]);
    effects = app.update(Msg::Probed(name.into(), candidate(name, serial, protected)));
    effects
}

fn record(serial: &str, result: SanitizeResult) -> Box<DiskRecord> {
    let mut d = example::certificate(serial).disks[0].clone();
    d.sanitization.result = result;
    Box::new(d)
}

fn state(app: &BayApp, name: &str) -> BayState {
    app.disks.iter().rev().find(|d| d.name == name).map(|d| d.state.clone()).expect("disk")
}

#[test]
fn nothing_is_wiped_before_the_session_is_confirmed_then_everything_waiting_starts() {
    let mut app = BayApp::new(Settings::default(), "atelier-1".into());
    assert!(plug(&mut app, "sdb", "S1", None).is_empty());
    assert!(plug(&mut app, "sdc", "S2", Some("holds the running system")).is_empty());
    assert_eq!(state(&app, "sdb"), BayState::Waiting);
    assert!(matches!(state(&app, "sdc"), BayState::Protected(_)));
    // One stray press does nothing.
    let t = Instant::now();
    assert!(app.update(Msg::Key(Key::Enter, t)).is_empty());
    app.update(Msg::Tick(t + Duration::from_secs(1)));
    assert!(!app.confirmed);
    for c in "effacer".chars() {
        app.update(Msg::Key(Key::Char(c), t));
    }
    let effects = app.update(Msg::Key(Key::Enter, t));
    assert_eq!(
        effects,
        vec![Effect::Wipe("sdb".into(), "/dev/sdb".into())],
        "the protected disk is not wiped"
    );
    // A disk plugged in afterwards starts at once.
    assert_eq!(plug(&mut app, "sdd", "S3", None), vec![Effect::Wipe("sdd".into(), "/dev/sdd".into())]);
}

#[test]
fn each_disk_gets_its_certificate_and_a_serial_is_wiped_once_per_session() {
    let mut app =
        BayApp::new(Settings { lot: Some("CD34-2026-017".into()), ..Settings::default() }, "a".into());
    app.update(Msg::ConfirmSession);
    plug(&mut app, "sdb", "S1", None);
    let effects = app.update(Msg::Wiped("sdb".into(), record("S1", SanitizeResult::Verified)));
    let Some(Effect::Seal(name, parts)) = effects.first() else { panic!("{effects:?}") };
    assert_eq!(name, "sdb");
    assert_eq!(parts.disks.len(), 1);
    assert_eq!(parts.lot.as_deref(), Some("CD34-2026-017"));
    assert_eq!(parts.unit.chassis, Probed::Value("loose disk".into()));
    assert_eq!(state(&app, "sdb"), BayState::Verified);
    app.update(Msg::Change(Change::Gone("sdb".into())));
    assert_eq!(state(&app, "sdb"), BayState::Verified, "a finished disk stays finished when pulled");
    assert!(plug(&mut app, "sdb", "S1", None).is_empty());
    assert_eq!(state(&app, "sdb"), BayState::AlreadyWiped);
}

#[test]
fn a_disk_pulled_mid_wipe_is_interrupted_and_offered_again_when_plugged_back() {
    let mut app = BayApp::new(Settings::default(), "a".into());
    app.update(Msg::ConfirmSession);
    plug(&mut app, "sdb", "S1", None);
    assert_eq!(app.update(Msg::Change(Change::Gone("sdb".into()))), vec![Effect::Stop("sdb".into())]);
    let effects = app.update(Msg::Wiped("sdb".into(), record("S1", SanitizeResult::Interrupted)));
    assert!(matches!(effects.first(), Some(Effect::Seal(..))), "the interrupted wipe is certified as such");
    assert_eq!(state(&app, "sdb"), BayState::Interrupted);
    assert!(plug(&mut app, "sdb", "S1", None).is_empty(), "not restarted behind the operator's back");
    assert_eq!(state(&app, "sdb"), BayState::Waiting);
    let effects = app.update(Msg::Key(Key::Char('r'), Instant::now()));
    assert_eq!(effects, vec![Effect::Wipe("sdb".into(), "/dev/sdb".into())]);
}

#[test]
fn a_disk_without_progress_is_marked_as_not_answering_and_does_not_hold_the_session() {
    let mut app = BayApp::new(Settings::default(), "a".into());
    app.stall = Duration::from_secs(5);
    app.update(Msg::ConfirmSession);
    plug(&mut app, "sdb", "S1", None);
    plug(&mut app, "sdc", "S2", None);
    let t = Instant::now();
    let progress = sanitize::Progress {
        pass: 1,
        passes: 1,
        phase: sanitize::Phase::Writing,
        done: 1 << 20,
        total: 1 << 30,
    };
    app.update(Msg::Wipe("sdb".into(), RunEvent::Progress { index: 0, progress }, t));
    app.update(Msg::Tick(t + Duration::from_secs(10)));
    assert_eq!(state(&app, "sdb"), BayState::Hung);
    app.update(Msg::Wiped("sdc".into(), record("S2", SanitizeResult::Verified)));
    app.update(Msg::Sealed("sdc".into(), Ok(uuid::Uuid::now_v7())));
    app.update(Msg::Delivered("sdc".into(), Delivery::NoRegistry));
    let effects = app.update(Msg::EndSession);
    assert_eq!(
        effects,
        vec![Effect::Stop("sdb".into()), Effect::Finish],
        "the hung disk does not hold the end"
    );
    let csv = app.summary_csv();
    assert!(csv.contains("\"not answering\"") && csv.contains("\"verified\""), "{csv}");
    let labels = app.labels();
    assert!(labels.contains("S2\tEFFACÉ ET VÉRIFIÉ") && labels.contains("S1\tÀ DÉTRUIRE"), "{labels}");
}

#[test]
fn the_session_ends_only_once_every_certificate_is_written() {
    let mut app = BayApp::new(Settings::default(), "a".into());
    app.update(Msg::ConfirmSession);
    plug(&mut app, "sdb", "S1", None);
    app.update(Msg::Wiped("sdb".into(), record("S1", SanitizeResult::Failed)));
    assert!(app.update(Msg::EndSession).is_empty(), "sealing is still running");
    app.update(Msg::Delivered("sdb".into(), Delivery::Sending));
    assert!(app.update(Msg::Sealed("sdb".into(), Ok(uuid::Uuid::now_v7()))).is_empty(), "still sending");
    assert_eq!(app.update(Msg::Delivered("sdb".into(), Delivery::Sent)), vec![Effect::Finish]);
    assert!(app.finished);
}
