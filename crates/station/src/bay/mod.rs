//! Disk bay mode (`station bay`): loose disks wiped as they are plugged in, one certificate each.
//!
//! Workshops pull the disks out of a lot of units and wipe them in bulk through SATA/USB docks or
//! a hot-swap bay. The operator confirms the session once (hold Entrée 3 s or type the word);
//! from then on every disk that appears is inventoried, checked (the boot medium, a disk with a
//! mounted file system and a disk already wiped in this session are never touched), sanitized
//! with the policy's method, verified, and gets its own signed certificate, spooled and pushed.
//!
//! Same Elm pattern as the station app: [`BayApp`] is the state, [`BayApp::update`] the only
//! place it changes, and every long job runs on its own thread ([`runtime`]). Each disk has its
//! own worker: a disk that stops answering ("ne répond plus", after [`BayApp::stall`] without
//! progress) never blocks the screen, the other disks or their certificates.

pub mod runtime;
pub mod view;
pub mod watch;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use certificate::{DiskRecord, Probed, SanitizeResult, Timestamp, Unit};
use inventory::smart::HealthVerdict;

use crate::app::i18n::{self, Lang};
use crate::app::settings::Settings;
use crate::app::{Confirmation, Delivery, DiskCandidate, DiskProgress, Failure, Key};
use crate::run::{CertificateParts, RunEvent};
use watch::Change;

/// Where one disk is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BayState {
    /// Being inventoried.
    Probing,
    /// Waiting for the session's confirmation.
    Waiting,
    /// Never touched: why, in the safety check's words.
    Protected(String),
    /// Its serial was already wiped and verified in this session.
    AlreadyWiped,
    /// Being wiped.
    Wiping,
    /// No progress for too long: the disk stopped answering.
    Hung,
    /// Wiped and verified.
    Verified,
    /// The wipe failed: destroy the disk physically.
    Failed,
    /// Pulled out or stopped before the end.
    Interrupted,
    /// Pulled out while not being wiped.
    Removed,
}

impl BayState {
    /// Whether this disk's work is over (for the batch's `stop_after_disks`).
    pub fn is_final(&self) -> bool {
        matches!(self, BayState::Verified | BayState::Failed | BayState::Interrupted | BayState::Hung)
    }
}

/// One bay: a disk that was seen in this session.
#[derive(Debug, Clone)]
pub struct BayDisk {
    /// Kernel name (`sdb`).
    pub name: String,
    /// What the inventory found, once probed.
    pub facts: Option<DiskCandidate>,
    /// Where it is.
    pub state: BayState,
    /// The wipe's gauge.
    pub progress: DiskProgress,
    /// When the wipe last moved.
    pub last_progress: Option<Instant>,
    /// The certificate, once sealed.
    pub certificate: Option<uuid::Uuid>,
    /// Where it went.
    pub delivery: Option<Delivery>,
    /// The record's first error, for the summary.
    pub error: Option<String>,
    /// Whether sealing its certificate is over (done or failed).
    pub sealed: bool,
}

/// A message to [`BayApp::update`].
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press.
    Key(Key, Instant),
    /// The clock.
    Tick(Instant),
    /// A disk came or went.
    Change(Change),
    /// A disk's inventory.
    Probed(String, Box<DiskCandidate>),
    /// A wipe's progress.
    Wipe(String, RunEvent, Instant),
    /// A wipe's record.
    Wiped(String, Box<DiskRecord>),
    /// The last safety check before writing refused the disk (mounted since it was probed).
    Refused(String, String),
    /// A disk's certificate is signed and spooled, or could not be.
    Sealed(String, Result<uuid::Uuid, Failure>),
    /// Where a disk's certificate went.
    Delivered(String, Delivery),
    /// The session's confirmation, without keys (batch).
    ConfirmSession,
    /// End the session, without keys (batch).
    EndSession,
}

/// Something the runtime must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Inventory a disk.
    Probe(String, PathBuf),
    /// Wipe a disk.
    Wipe(String, PathBuf),
    /// Stop a disk's wipe (pulled out, or the session ends).
    Stop(String),
    /// Sign, spool and push a disk's certificate.
    Seal(String, Box<CertificateParts>),
    /// Ring the bell.
    Bell,
    /// Write the session's summary and leave.
    Finish,
}

/// The state of a bay session.
#[derive(Debug, Clone)]
pub struct BayApp {
    /// Language.
    pub lang: Lang,
    /// The station's settings.
    pub settings: Settings,
    /// The station's name.
    pub station_name: String,
    /// Whether the operator confirmed the session.
    pub confirmed: bool,
    /// The confirmation in progress.
    pub confirm: Confirmation,
    /// Every disk seen, in order of arrival.
    pub disks: Vec<BayDisk>,
    /// Serials wiped and verified in this session.
    pub done_serials: Vec<String>,
    /// The "end the session?" question is shown.
    pub asking_to_end: bool,
    /// The session is ending: waiting for the running wipes to stop.
    pub ending: bool,
    /// No progress for this long marks a disk as not answering.
    pub stall: Duration,
    /// Set once everything is written and the session can close.
    pub finished: bool,
    hold: Option<(Instant, Instant)>,
}

impl BayApp {
    /// A new session.
    pub fn new(settings: Settings, station_name: String) -> BayApp {
        let lang = settings.language.as_deref().and_then(Lang::from_code).unwrap_or_default();
        BayApp {
            lang,
            settings,
            station_name,
            confirmed: false,
            confirm: Confirmation::default(),
            disks: Vec::new(),
            done_serials: Vec::new(),
            asking_to_end: false,
            ending: false,
            stall: Duration::from_secs(30),
            finished: false,
            hold: None,
        }
    }

    /// A text in the session's language.
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// A text with values.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::tf(self.lang, key, args)
    }

    fn disk(&mut self, name: &str) -> Option<&mut BayDisk> {
        // The latest bay of that name: a disk plugged back in gets a new bay.
        self.disks.iter_mut().rev().find(|d| d.name == name)
    }

    /// Disks still being wiped (a hung one included: its thread is still blocked in the kernel).
    pub fn running(&self) -> usize {
        self.disks.iter().filter(|d| matches!(d.state, BayState::Wiping | BayState::Hung)).count()
    }

    /// Applies one message.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key, at) => self.on_key(key, at),
            Msg::Tick(now) => {
                self.confirm.tick(now, &mut self.hold);
                for d in &mut self.disks {
                    if d.state == BayState::Wiping && d.last_progress.is_some_and(|t| now - t > self.stall) {
                        d.state = BayState::Hung;
                    }
                }
                self.maybe_finish()
            }
            Msg::Change(Change::Appeared(name, path)) => {
                self.disks.push(BayDisk {
                    name: name.clone(),
                    facts: None,
                    state: BayState::Probing,
                    progress: DiskProgress::new(path.clone(), 0, 1),
                    last_progress: None,
                    certificate: None,
                    delivery: None,
                    error: None,
                    sealed: false,
                });
                vec![Effect::Probe(name, path)]
            }
            Msg::Change(Change::Gone(name)) => match self.disk(&name) {
                Some(d) if matches!(d.state, BayState::Wiping | BayState::Hung) => {
                    // The wipe thread sees the disk vanish and returns an interrupted record.
                    vec![Effect::Stop(name)]
                }
                Some(d) if !d.state.is_final() => {
                    d.state = BayState::Removed;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Msg::Probed(name, candidate) => {
                let confirmed = self.confirmed;
                let done = candidate.serial.as_ref().is_some_and(|s| self.done_serials.contains(s));
                // Plugged back in after an interruption: offered again (key R), not restarted
                // behind the operator's back.
                let replugged = candidate.serial.is_some()
                    && self.disks.iter().any(|d| {
                        d.state == BayState::Interrupted
                            && d.facts.as_ref().and_then(|f| f.serial.as_ref()) == candidate.serial.as_ref()
                    });
                let Some(d) = self.disk(&name) else { return Vec::new() };
                if d.state != BayState::Probing {
                    return Vec::new();
                }
                d.progress.size = candidate.size;
                d.state = match &candidate.protected {
                    Some(why) => BayState::Protected(why.clone()),
                    None if done => BayState::AlreadyWiped,
                    None => BayState::Waiting,
                };
                d.facts = Some(*candidate);
                if confirmed && d.state == BayState::Waiting && !replugged {
                    return self.start(&name);
                }
                Vec::new()
            }
            Msg::Wipe(name, event, at) => {
                if let Some(d) = self.disk(&name) {
                    match event {
                        RunEvent::Progress { progress, .. } => {
                            d.progress.advance(progress, certificate::VerificationMode::LastPass, at);
                            d.last_progress = Some(at);
                            if d.state == BayState::Hung {
                                d.state = BayState::Wiping;
                            }
                        }
                        RunEvent::DiskStarted { size, .. } => d.progress.size = size,
                        RunEvent::Notice { message, .. } => d.progress.notices.push(message),
                        RunEvent::DiskFinished { .. } => {}
                    }
                }
                Vec::new()
            }
            Msg::Wiped(name, record) => self.on_wiped(&name, *record),
            Msg::Refused(name, why) => {
                if let Some(d) = self.disk(&name) {
                    d.state = BayState::Protected(why);
                }
                self.maybe_finish()
            }
            Msg::Sealed(name, result) => {
                if let Some(d) = self.disk(&name) {
                    d.sealed = true;
                    match result {
                        Ok(id) => d.certificate = Some(id),
                        Err(f) => d.error = Some(format!("{}: {}", i18n::t(Lang::En, f.plain), f.details)),
                    }
                }
                self.maybe_finish()
            }
            Msg::Delivered(name, delivery) => {
                if let Some(d) = self.disk(&name) {
                    d.delivery = Some(delivery);
                }
                self.maybe_finish()
            }
            Msg::ConfirmSession => self.confirm_session(),
            Msg::EndSession => self.end_session(),
        }
    }

    fn on_key(&mut self, key: Key, at: Instant) -> Vec<Effect> {
        if self.asking_to_end {
            return match key {
                Key::Enter | Key::Char('o' | 'O' | 'y' | 'Y') => {
                    self.asking_to_end = false;
                    self.end_session()
                }
                Key::Esc | Key::Char('n' | 'N') => {
                    self.asking_to_end = false;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        match key {
            Key::F(10) | Key::CtrlC => {
                self.asking_to_end = true;
                Vec::new()
            }
            Key::Char('r' | 'R') if self.confirmed => {
                // Disks plugged back in after an interruption are offered again.
                let names: Vec<String> = self
                    .disks
                    .iter()
                    .filter(|d| d.state == BayState::Waiting)
                    .map(|d| d.name.clone())
                    .collect();
                names.iter().flat_map(|n| self.start(n)).collect()
            }
            _ if !self.confirmed => {
                let word = self.t("wipe.confirm_word");
                if self.confirm.key(key, at, &mut self.hold, &word) {
                    self.confirm_session()
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    fn confirm_session(&mut self) -> Vec<Effect> {
        if self.confirmed {
            return Vec::new();
        }
        self.confirmed = true;
        let waiting: Vec<String> =
            self.disks.iter().filter(|d| d.state == BayState::Waiting).map(|d| d.name.clone()).collect();
        waiting.iter().flat_map(|n| self.start(n)).collect()
    }

    fn start(&mut self, name: &str) -> Vec<Effect> {
        let Some(d) = self.disk(name) else { return Vec::new() };
        let path = d.progress.path.clone();
        d.state = BayState::Wiping;
        d.progress = DiskProgress::new(path.clone(), d.progress.size, 1);
        d.last_progress = Some(Instant::now());
        vec![Effect::Wipe(name.to_owned(), path)]
    }

    fn on_wiped(&mut self, name: &str, record: DiskRecord) -> Vec<Effect> {
        let lot = self.settings.lot.clone();
        let operator = self.settings.operator.clone().unwrap_or_else(|| "station".into());
        let station_name = self.settings.station_name.clone();
        let Some(d) = self.disk(name) else { return Vec::new() };
        d.state = match record.sanitization.result {
            SanitizeResult::Verified => BayState::Verified,
            SanitizeResult::Failed => BayState::Failed,
            SanitizeResult::Interrupted | SanitizeResult::NotVerified => BayState::Interrupted,
        };
        d.error = record.sanitization.errors.first().map(|e| e.message.clone());
        if record.sanitization.result == SanitizeResult::Interrupted {
            // Plugged back in later, it is offered again (key R).
            d.error.get_or_insert_with(|| "interrupted".into());
        }
        let serial = record.serial.value().cloned();
        if d.state == BayState::Verified {
            if let Some(s) = serial {
                self.done_serials.push(s);
            }
        }
        let label = "loose disk";
        let parts = CertificateParts {
            operator,
            lot,
            station_name,
            started_at: record.sanitization.started_at.clone(),
            unit: Unit {
                vendor: Probed::unavailable(label),
                model: Probed::unavailable(label),
                serial: Probed::unavailable("a loose disk: the unit it came from was not recorded"),
                uuid: Probed::unavailable(label),
                chassis: Probed::Value(label.into()),
            },
            disks: vec![record],
            checks: None,
            hardware_tests: Vec::new(),
            image: None,
            grade: None,
        };
        vec![Effect::Seal(name.to_owned(), Box::new(parts)), Effect::Bell]
    }

    fn end_session(&mut self) -> Vec<Effect> {
        self.ending = true;
        let mut effects: Vec<Effect> = self
            .disks
            .iter()
            .filter(|d| matches!(d.state, BayState::Wiping | BayState::Hung))
            .map(|d| Effect::Stop(d.name.clone()))
            .collect();
        effects.extend(self.maybe_finish());
        effects
    }

    /// The session closes once it is ending and nothing but hung disks is still at work, and
    /// every finished disk's certificate is sealed and delivered (or kept).
    fn maybe_finish(&mut self) -> Vec<Effect> {
        if !self.ending || self.finished {
            return Vec::new();
        }
        let busy = self.disks.iter().any(|d| {
            d.state == BayState::Wiping
                || (matches!(d.state, BayState::Verified | BayState::Failed | BayState::Interrupted)
                    && (!d.sealed || d.delivery.as_ref().is_some_and(|x| *x == Delivery::Sending)))
        });
        if busy {
            return Vec::new();
        }
        self.finished = true;
        vec![Effect::Finish]
    }

    /// The session's summary as CSV: one line per disk that was seen.
    pub fn summary_csv(&self) -> String {
        let mut out =
            String::from("device,model,serial,size_bytes,health,state,certificate,delivery,error\n");
        for d in &self.disks {
            let f = d.facts.as_ref();
            let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                field(&d.progress.path.display().to_string()),
                field(f.and_then(|f| f.model.as_deref()).unwrap_or("")),
                field(f.and_then(|f| f.serial.as_deref()).unwrap_or("")),
                d.progress.size,
                field(&format!("{:?}", f.map(|f| f.health).unwrap_or(HealthVerdict::Unknown)).to_lowercase()),
                field(&state_code(&d.state)),
                field(&d.certificate.map(|c| c.to_string()).unwrap_or_default()),
                field(&match &d.delivery {
                    Some(Delivery::Sent) => "sent".into(),
                    Some(Delivery::Relayed) => "kept by the bench server, which will forward it".into(),
                    Some(Delivery::Kept(why)) => format!("kept: {why}"),
                    Some(Delivery::NoRegistry) => "kept: no registry".into(),
                    Some(Delivery::Sending) => "sending".into(),
                    None => String::new(),
                }),
                field(d.error.as_deref().unwrap_or("")),
            ));
        }
        out
    }

    /// Labels to print and stick on each disk: its serial, wiped or to destroy, the certificate.
    pub fn labels(&self) -> String {
        let mut out = String::new();
        for d in self.disks.iter().filter(|d| d.state.is_final()) {
            let serial = d.facts.as_ref().and_then(|f| f.serial.clone()).unwrap_or_else(|| d.name.clone());
            let verdict = match d.state {
                BayState::Verified => self.t("bay.label_wiped"),
                _ => self.t("bay.label_destroy"),
            };
            let cert = d.certificate.map(|c| c.to_string().to_uppercase()).unwrap_or_default();
            out.push_str(&format!("{serial}\t{verdict}\t{cert}\n"));
        }
        out
    }
}

/// The state in one word, for the CSV.
pub fn state_code(state: &BayState) -> String {
    match state {
        BayState::Probing => "probing".into(),
        BayState::Waiting => "waiting".into(),
        BayState::Protected(why) => format!("protected: {why}"),
        BayState::AlreadyWiped => "already wiped in this session".into(),
        BayState::Wiping => "wiping".into(),
        BayState::Hung => "not answering".into(),
        BayState::Verified => "verified".into(),
        BayState::Failed => "failed".into(),
        BayState::Interrupted => "interrupted".into(),
        BayState::Removed => "removed".into(),
    }
}

/// Today's date and time for file names.
pub fn stamp() -> String {
    Timestamp::now().to_string().replace([':', '.'], "-")
}

#[cfg(test)]
mod tests;
