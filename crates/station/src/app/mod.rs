//! The station app: the guided workflow an ESAT worker follows from boot to certificate.
//!
//! It is built on the Elm pattern. [`App`] is the whole state; [`App::update`] takes one
//! [`Msg`] (a key, a clock tick, or a worker's result) and returns the [`Effect`]s to run; the
//! view ([`view`]) only draws the state. [`App`] does no I/O at all: the [`runtime`] runs the
//! effects on worker threads (inventory, wipe, sealing, push) that answer with messages on a
//! channel, so the screen never waits for a disk. The same [`App`] runs headless in
//! `station run --batch FILE.toml` ([`batch`]), where a file answers the questions instead of a
//! worker.

pub mod batch;
pub mod big;
pub mod i18n;
pub mod keyboard;
pub mod qr;
pub mod runtime;
pub mod settings;
pub mod terminal;
pub mod theme;
pub mod view;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use certificate::{
    CheckResult, CheckStatus, Checks, CosmeticGrade, DiskRecord, Outcome, SanitizeResult, Timestamp,
    VerificationMode,
};
use inventory::smart::HealthVerdict;
use sanitize::{Phase, WipeOptions};

use crate::run::{CertificateParts, RunEvent};
use i18n::Lang;
use settings::Settings;

/// How long Entrée must be held to start a wipe.
pub const HOLD_TO_CONFIRM: Duration = Duration::from_secs(3);

/// A gap between key repeats longer than this ends a hold. Keyboards repeat a held key every
/// 30–100 ms after a first delay of 250–660 ms, so this tolerates the first delay.
pub const HOLD_GAP: Duration = Duration::from_millis(800);

/// Colours of the screen test, in order (the view paints them).
pub const SCREEN_TEST_COLOURS: usize = 5;

/// A key, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Entrée / Enter.
    Enter,
    /// Échap / Escape.
    Esc,
    /// Arrow keys.
    Left,
    /// →
    Right,
    /// ↑
    Up,
    /// ↓
    Down,
    /// ⌫
    Backspace,
    /// ↹
    Tab,
    /// A character.
    Char(char),
    /// A function key F1–F12.
    F(u8),
    /// Ctrl+C (asks to quit, like F10).
    CtrlC,
}

/// One step of the flow; the header shows "step N of 7".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// 1. The station's name, the lot, the language.
    Welcome,
    /// 2. What the computer is, in plain words.
    Computer,
    /// 3a. Full-screen colours, one after the other.
    ScreenColours(usize),
    /// 3b–3e. A yes/no question about one function.
    Question(Question),
    /// 3c. Press every key drawn on screen.
    Keyboard,
    /// 3f. The refurbisher's A/B/C grade.
    Cosmetic,
    /// 4a. The disks that will be wiped; a deliberate confirmation.
    WipeConfirm,
    /// 4b. One big gauge per disk.
    Wiping,
    /// 4c. Each disk's result.
    WipeDone,
    /// 5. The operating system image.
    Image,
    /// 6. The grade and its reasons.
    Grade,
    /// 7. The signed certificate, its number and QR code.
    Certificate,
}

impl Screen {
    /// The step number shown in the header (1–7).
    pub fn step(self) -> usize {
        match self {
            Screen::Welcome => 1,
            Screen::Computer => 2,
            Screen::ScreenColours(_) | Screen::Question(_) | Screen::Keyboard | Screen::Cosmetic => 3,
            Screen::WipeConfirm | Screen::Wiping | Screen::WipeDone => 4,
            Screen::Image => 5,
            Screen::Grade => 6,
            Screen::Certificate => 7,
        }
    }
}

/// Steps in the flow.
pub const STEPS: usize = 7;

/// A check the worker answers by looking, listening or trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// After the colours: did you see a defect?
    Screen,
    /// A tone was played: did you hear it?
    Sound,
    /// Plug a USB stick into each port: did each work?
    Usb,
    /// On mains power: does the battery charge?
    Battery,
}

/// The answers a question offers, in the order shown; the first is preselected.
pub const ANSWERS: [CheckStatus; 3] = [CheckStatus::Pass, CheckStatus::Fail, CheckStatus::Skipped];

/// A disk the station found, as the wipe screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskCandidate {
    /// Device path (or a file standing for a disk in tests).
    pub path: PathBuf,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// SMART verdict.
    pub health: HealthVerdict,
    /// Why, in the inventory's words.
    pub health_reasons: Vec<String>,
    /// Why the station will not touch it (the boot USB, a mounted disk), in technical words.
    pub protected: Option<String>,
}

impl DiskCandidate {
    /// Whether the wipe will include it.
    pub fn will_wipe(&self) -> bool {
        self.protected.is_none()
    }
}

/// What the inventory worker found.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Identity, CPU, memory, monitors.
    pub host: inventory::HostInventory,
    /// Every disk, the protected ones included.
    pub disks: Vec<DiskCandidate>,
    /// Batteries and mains.
    pub power: inventory::power::Power,
}

/// The station's own hardware tests, run while the worker does the checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HardwareStep {
    /// The test under way, in English (shown with the details).
    pub running: Option<String>,
    /// The tests done so far.
    pub done: Vec<certificate::HardwareTest>,
    /// Set once every test is done.
    pub finished: bool,
}

/// One disk's wipe, as the gauges show it.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskProgress {
    /// Device path.
    pub path: PathBuf,
    /// Bytes on the disk.
    pub size: u64,
    /// Overall share done, 0–100, never going back.
    pub percent: f64,
    /// Current pass and the number of passes.
    pub pass: (u32, u32),
    /// Writing or verifying.
    pub phase: Phase,
    /// Bytes per second, smoothed.
    pub rate: f64,
    /// Seconds left, when the rate is known.
    pub eta_secs: Option<u64>,
    /// The result, once done.
    pub result: Option<SanitizeResult>,
    /// The method the policy chose and its warnings.
    pub notices: Vec<String>,
    last: Option<(Instant, u64, u32, Phase)>,
}

/// A failure the worker sees in plain words; the supervisor gets the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Catalogue key of the plain message (what happened and what to do).
    pub plain: &'static str,
    /// The technical facts: what failed, where, the system's error.
    pub details: String,
}

/// What sealing the certificate produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    /// Certificate id.
    pub id: uuid::Uuid,
    /// The file in the spool.
    pub path: PathBuf,
    /// The overall result.
    pub result: Outcome,
    /// The "reconditionné" attestation, computed from the signed certificate.
    pub attestation: certificate::attestation::Attestation,
}

/// Where the certificate is on its way to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Not sent yet.
    Sending,
    /// The registry has it (and logged it).
    Sent,
    /// The bench server's relay keeps it and will forward it to the registry (network boot).
    Relayed,
    /// No registry is set: kept on the stick.
    NoRegistry,
    /// The registry could not be reached or refused it: kept, sent later by `station push`.
    Kept(String),
}

/// The operating-system step (imaging).
#[derive(Debug, Clone, PartialEq)]
pub enum ImageStep {
    /// Looking for the images on the data partition.
    Loading,
    /// Nothing will be written: the catalogue key of the reason, and the technical details.
    Nothing {
        /// Catalogue key of the plain reason.
        reason: &'static str,
        /// Technical details for the supervisor.
        details: String,
    },
    /// The images that fit the unit, most demanding first (the cursor is [`App::choice`]; one
    /// more line means "no system").
    Offer {
        /// The verified catalogue entries.
        images: Vec<imaging::ImageManifest>,
        /// Where their files are.
        dir: PathBuf,
        /// The disk that gets the system.
        target: PathBuf,
    },
    /// Being written.
    Writing {
        /// Image name and version.
        name: String,
        /// Share done, 0–100.
        percent: f64,
        /// Writing or reading back.
        phase: imaging::Phase,
    },
    /// Written, verified, finished: the record for the certificate.
    Done {
        /// Image name and version.
        name: String,
        /// The imaging record.
        record: serde_json::Value,
    },
    /// The system could not be written.
    Failed {
        /// Image name and version.
        name: String,
        /// What went wrong.
        failure: Failure,
    },
}

/// A message to [`App::update`].
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press at a time.
    Key(Key, Instant),
    /// The clock (for holds and speeds).
    Tick(Instant),
    /// The inventory is done.
    Facts(Box<Facts>),
    /// Progress of the wipe.
    Wipe(RunEvent, Instant),
    /// Every disk is done.
    WipeFinished(Vec<DiskRecord>),
    /// The certificate is signed and spooled, or could not be.
    Sealed(Result<Sealed, Failure>),
    /// The certificate moved in the spool (to `sent/` once the registry has it).
    Moved(PathBuf),
    /// What the sound check really played.
    Tone(Tone),
    /// What the registry said.
    Delivered(Delivery),
    /// The registry's answer to an enrolment request: the code to approve, and whether it is.
    Enrolled(Result<Enrolment, Failure>),
    /// Certificates left from earlier runs: how many were sent, how many still wait.
    PendingPushed {
        /// Sent now.
        sent: usize,
        /// Still waiting (the registry is unreachable or refused them).
        left: usize,
    },
    /// Certificates the registry refused for good, set aside in the spool's `refused/`: one
    /// line each (the certificate and the registry's reason), for the supervisor.
    RefusedCertificates(Vec<String>),
    /// The wipe did not start: a disk failed the last safety check.
    WipeRefused(Failure),
    /// Something failed that the worker should know about (settings not saved, …).
    Failed(Failure),
    /// The grade, or why it could not be made.
    Graded(Result<Box<grading::Grade>, Failure>),
    /// What the imaging step can offer.
    Images(ImageStep),
    /// The image writer's progress.
    ImageProgress(imaging::Progress),
    /// The image is written and verified, or failed.
    Imaged(Result<serde_json::Value, Failure>),
    /// An answer given without keys (the batch file).
    Answer(Answer),
    /// A hardware test started or finished.
    Diagnosis(diagnostics::Event),
    /// Every hardware test is done (or there were none to run).
    Diagnosed,
}

/// An answer to whatever the current screen asks; keys and batch files produce the same ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Go on (Entrée on a screen that only informs).
    Next,
    /// The lot code, typed or scanned.
    Lot(String),
    /// The answer to a question.
    Check(CheckStatus),
    /// The keyboard test ended: the keys that never answered.
    Keyboard(Vec<String>),
    /// The cosmetic grade.
    Cosmetic(Option<CosmeticGrade>),
    /// The deliberate confirmation that starts the wipe.
    ConfirmWipe,
    /// Install no operating system.
    NoSystem,
}

/// Something the runtime must do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Inventory the machine.
    Probe,
    /// Test the hardware (processor, memory, these disks, battery, network) in the background;
    /// a wipe asked for meanwhile waits for the disk tests to end.
    Diagnose(Vec<PathBuf>),
    /// Wipe these disks.
    Wipe {
        /// The disks.
        disks: Vec<PathBuf>,
        /// How.
        options: WipeOptions,
        /// Let the policy choose a firmware Purge.
        auto_purge: bool,
    },
    /// Ask running wipes to stop (they record themselves as interrupted).
    StopWipe,
    /// Sign and spool the certificate, then push it (unless the app is leaving: the next
    /// start sends it).
    Seal {
        /// What the certificate is made of.
        parts: Box<CertificateParts>,
        /// Send it to the registry now.
        deliver: bool,
    },
    /// Record in the run's journal what the certificate will be made of so far (a crash from
    /// here on still ends in a signed record: [`crate::journal`]).
    Journal(Box<CertificateParts>),
    /// The worker has read the notices of earlier runs ([`crate::notice`]).
    NoticesRead,
    /// Grade the unit with the workshop's policy.
    Grade(Box<grading::GradingInput>),
    /// Look for the images that fit the unit.
    FindImages {
        /// Installed memory.
        ram_bytes: u64,
        /// The target disk's size.
        disk_bytes: u64,
        /// The target disk.
        target: PathBuf,
    },
    /// Write an image.
    WriteImage(Box<crate::image_cmd::InstallPlan>),
    /// Play the sound-check tone; the runtime answers [`Msg::Tone`] with what was played.
    Tone,
    /// Ring the terminal bell (completion, error).
    Bell,
    /// Send the certificates an earlier run left in the spool (the registry was unreachable).
    PushPending(String),
    /// Ask the registry to enrol this station.
    Enrol(String),
    /// Write the settings.
    SaveSettings(Settings),
    /// Leave the app for the loose-disks session (`station bay`).
    OpenBay,
    /// Leave the app.
    Quit,
}

/// A window over the current screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// "Do you want to quit?" (with a warning while a wipe runs).
    Quit,
    /// An error in plain words; `details` shows the technical facts.
    Error {
        /// The failure.
        failure: Failure,
        /// Whether the details are shown.
        details: bool,
    },
    /// The supervisor's PIN is being typed.
    Pin(String),
    /// What earlier runs left unfinished (read at start), until the worker has read it.
    Notices,
    /// F9 on the keyboard test: "these keys never answered: record the keyboard as faulty?"
    KeyboardFaulty,
    /// The supervisor's menu, with the focused line and, when editing, the text so far.
    Supervisor {
        /// Focused line.
        line: usize,
        /// Text being typed on that line.
        editing: Option<String>,
    },
}

/// Lines of the supervisor menu.
pub const SUPERVISOR_LINES: [&str; 13] = [
    "sup.registry",
    "sup.name",
    "sup.enrol",
    "sup.method",
    "sup.language",
    "sup.lot",
    "sup.operator",
    "sup.role",
    "sup.organisation",
    "sup.site",
    "sup.contact",
    "sup.destination",
    "sup.pin",
];

/// What the sound check played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tone {
    /// The 440 Hz tone through the sound card (ALSA's `speaker-test`): `Ok`, or why not.
    pub sound_card: Result<(), String>,
    /// Whether the terminal bell was rung.
    pub bell: bool,
}

/// The registry's answer to an enrolment request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The code a supervisor approves (`registry station approve CODE`), if pending.
    pub code: Option<String>,
    /// The registry's word for the station: `pending`, `approved`, `revoked`.
    pub status: String,
}

/// How long a wrong supervisor PIN makes the next try wait: 1 s, then doubling, at most 60 s.
pub fn pin_delay(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

/// How often the supervisor menu asks the registry whether a pending enrolment was approved.
pub const ENROL_POLL: Duration = Duration::from_secs(5);

/// How often a network-booted station tries again to send a certificate the server did not get.
pub const NETBOOT_RETRY: Duration = Duration::from_secs(10);

/// Methods the supervisor can pick for the station.
pub const METHOD_CHOICES: [&str; 6] = ["auto", "zero", "random", "dod-3", "hmg-is5-enhanced", "gutmann"];

/// The whole state of the station app.
#[derive(Debug, Clone)]
pub struct App {
    /// Language of every text.
    pub lang: Lang,
    /// The station's settings.
    pub settings: Settings,
    /// The station's name (settings, else its key id).
    pub station_name: String,
    /// The current screen.
    pub screen: Screen,
    /// A window over it, if any.
    pub overlay: Option<Overlay>,
    /// The lot code being typed on the welcome screen.
    pub lot: String,
    /// The inventory, once the worker has sent it.
    pub facts: Option<Facts>,
    /// When the run started (the certificate records it).
    pub started_at: Timestamp,
    /// The cursor on a question or the cosmetic screen.
    pub choice: usize,
    /// Answers so far.
    pub checks: ChecksInProgress,
    /// The keyboard test.
    pub keyboard: keyboard::KeyboardTest,
    /// The wipe's confirmation in progress.
    pub confirm: Confirmation,
    /// One gauge per disk being wiped.
    pub progress: Vec<DiskProgress>,
    /// The wipe's records, once done.
    pub records: Option<Vec<DiskRecord>>,
    /// The certificate, once sealed.
    pub sealed: Option<Sealed>,
    /// Where the certificate is going.
    pub delivery: Option<Delivery>,
    /// Booted from the network (`SV_NETBOOT`, the workshop server's URL): the data directory is in
    /// RAM, so a certificate not yet on the server is lost at power-off; the certificate screen
    /// says not to switch off, and the app tries again, until the server has it.
    pub netboot: Option<String>,
    /// Network boot: the spool's pending certificates were all taken by the server after a
    /// failed delivery (a later `PushPending`).
    pub on_server: bool,
    /// When the app last tried again to send to the server (network boot).
    pub netboot_asked: Option<Instant>,
    /// The registry's answer to the enrolment request, or why there is none.
    pub enrolment: Option<Result<Enrolment, Failure>>,
    /// Certificates of earlier runs sent at start, and those still waiting.
    pub earlier: Option<(usize, usize)>,
    /// Certificates the registry refused for good (set aside in the spool), one line each.
    pub refused: Vec<String>,
    /// The operating-system step.
    pub image: ImageStep,
    /// The grade, once made.
    pub grade: Option<Result<grading::Grade, Failure>>,
    /// Key presses so far, the keyboard test excepted (our measure of effort).
    pub keystrokes: u32,
    /// Of those, characters typed into a text field (the lot code, which a scanner usually types).
    pub typed: u32,
    /// Set when the worker asked to quit during a wipe: leave once the disks stopped.
    pub quitting: bool,
    /// Whether the technical details of failed disks are shown (key D).
    pub show_details: bool,
    /// The station's own hardware tests.
    pub hardware: HardwareStep,
    /// What earlier runs left unfinished, read at start ([`crate::notice`]); an entry that did
    /// not read is its file and why.
    pub notices: Vec<Result<crate::notice::Notice, String>>,
    /// Entrée was pressed once with no lot code: the screen says so; a second Entrée goes on.
    pub lot_warned: bool,
    /// Wrong supervisor PINs in a row, and when the next try is allowed.
    pub pin_failures: (u32, Option<Instant>),
    /// What the sound check played, once known.
    pub tone: Option<Tone>,
    /// When the registry was last asked about a pending enrolment.
    enrol_asked: Option<Instant>,
    hold: Option<(Instant, Instant)>,
    last_tick: Option<Instant>,
}

/// The worker's answers so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChecksInProgress {
    /// Screen test.
    pub screen: Option<CheckResult>,
    /// Keyboard test.
    pub keyboard: Option<CheckResult>,
    /// Sound.
    pub sound: Option<CheckResult>,
    /// USB ports.
    pub usb: Option<CheckResult>,
    /// Battery.
    pub battery: Option<CheckResult>,
    /// Cosmetic grade.
    pub cosmetic: Option<CosmeticGrade>,
}

impl ChecksInProgress {
    /// The checks as the certificate records them; a check never reached is `skipped`.
    pub fn to_checks(&self) -> Checks {
        let or_skipped =
            |c: &Option<CheckResult>| c.clone().unwrap_or(CheckResult::new(CheckStatus::Skipped));
        Checks {
            screen: or_skipped(&self.screen),
            keyboard: or_skipped(&self.keyboard),
            sound: or_skipped(&self.sound),
            usb: or_skipped(&self.usb),
            battery: or_skipped(&self.battery),
            cosmetic: self.cosmetic,
        }
    }
}

/// The wipe's deliberate confirmation: Entrée held for [`HOLD_TO_CONFIRM`], or the word typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Confirmation {
    /// Letters typed so far.
    pub typed: String,
    /// The last word typed, when it was not the confirmation word (the screen says so).
    pub wrong: Option<String>,
    /// Share of the hold done, 0.0–1.0.
    pub held: f64,
}

impl Confirmation {
    /// Applies a key: Entrée held (repeats closer than [`HOLD_GAP`], from the first press in
    /// `hold`) for [`HOLD_TO_CONFIRM`], or `word` typed then Entrée (case and accents aside; a
    /// wrong word is cleared). True once the confirmation is given.
    pub fn key(&mut self, key: Key, at: Instant, hold: &mut Option<(Instant, Instant)>, word: &str) -> bool {
        match key {
            Key::Enter if !self.typed.is_empty() => {
                let given = fold_word(&self.typed) == fold_word(word);
                self.wrong = (!given).then(|| std::mem::take(&mut self.typed));
                self.typed.clear();
                given
            }
            Key::Enter => {
                let start = match *hold {
                    Some((start, last)) if at - last <= HOLD_GAP => start,
                    _ => at,
                };
                *hold = Some((start, at));
                self.held = ((at - start).as_secs_f64() / HOLD_TO_CONFIRM.as_secs_f64()).min(1.0);
                at - start >= HOLD_TO_CONFIRM
            }
            Key::Backspace => {
                self.typed.pop();
                false
            }
            Key::Char(c) if c.is_alphabetic() && self.typed.chars().count() < 20 => {
                self.typed.push(c);
                self.wrong = None;
                false
            }
            _ => false,
        }
    }

    /// A hold whose key was released (no repeat for [`HOLD_GAP`]) starts again from zero.
    pub fn tick(&mut self, now: Instant, hold: &mut Option<(Instant, Instant)>) {
        if hold.is_some_and(|(_, last)| now - last > HOLD_GAP) {
            *hold = None;
            self.held = 0.0;
        }
    }
}

impl App {
    /// A new run. The caller runs [`Effect::Probe`] at once (see [`App::start`]).
    pub fn new(settings: Settings, station_name: String) -> App {
        let lang = settings.language.as_deref().and_then(Lang::from_code).unwrap_or_default();
        App {
            lang,
            lot: settings.lot.clone().unwrap_or_default(),
            settings,
            station_name,
            screen: Screen::Welcome,
            overlay: None,
            facts: None,
            started_at: Timestamp::now(),
            choice: 0,
            checks: ChecksInProgress::default(),
            keyboard: keyboard::KeyboardTest::new(lang),
            confirm: Confirmation::default(),
            progress: Vec::new(),
            records: None,
            sealed: None,
            delivery: None,
            netboot: None,
            on_server: false,
            netboot_asked: None,
            enrolment: None,
            earlier: None,
            refused: Vec::new(),
            image: ImageStep::Loading,
            grade: None,
            keystrokes: 0,
            typed: 0,
            quitting: false,
            show_details: false,
            hardware: HardwareStep::default(),
            notices: Vec::new(),
            lot_warned: false,
            pin_failures: (0, None),
            tone: None,
            enrol_asked: None,
            hold: None,
            last_tick: None,
        }
    }

    /// The app of a network-booted station (`SV_NETBOOT`): see [`App::netboot`].
    pub fn with_netboot(mut self, server: Option<String>) -> App {
        self.netboot = server.filter(|s| !s.trim().is_empty());
        self
    }

    /// Whether the machine may lose its RAM: not a network boot, or the certificate reached the
    /// server (or the registry) since.
    pub fn certificate_safe(&self) -> bool {
        self.netboot.is_none()
            || self.on_server
            || !matches!(self.delivery, None | Some(Delivery::Sending) | Some(Delivery::Kept(_)))
    }

    /// The app with what earlier runs left unfinished: the first screen shows it in a window
    /// until the worker has read it.
    pub fn with_notices(mut self, notices: Vec<Result<crate::notice::Notice, String>>) -> App {
        if !notices.is_empty() {
            self.overlay = Some(Overlay::Notices);
        }
        self.notices = notices;
        self
    }

    /// The effects to run when the app starts: the inventory, and sending what earlier runs
    /// left in the spool.
    pub fn start(&self) -> Vec<Effect> {
        let mut effects = vec![Effect::Probe];
        if let Some(url) = &self.settings.registry {
            effects.push(Effect::PushPending(url.clone()));
        }
        effects
    }

    /// A text from the catalogue in the app's language.
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// A text with values.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::tf(self.lang, key, args)
    }

    /// Whether a wipe is running.
    pub fn wiping(&self) -> bool {
        self.screen == Screen::Wiping
    }

    /// The disks the wipe will take.
    pub fn disks_to_wipe(&self) -> Vec<&DiskCandidate> {
        self.facts.iter().flat_map(|f| f.disks.iter()).filter(|d| d.will_wipe()).collect()
    }

    /// Whether the unit has a battery (the battery question is asked only then).
    pub fn has_battery(&self) -> bool {
        self.facts.as_ref().is_some_and(|f| !f.power.batteries.is_empty())
    }

    /// What the screen waits for from a person (or a batch file), if anything: `None` while a
    /// worker is busy.
    pub fn waiting_for_worker(&self) -> bool {
        match self.screen {
            Screen::Computer | Screen::WipeConfirm => self.facts.is_none(),
            Screen::Wiping => true,
            Screen::Image => matches!(self.image, ImageStep::Loading | ImageStep::Writing { .. }),
            Screen::Grade => self.grade.is_none(),
            Screen::Certificate => self.sealed.is_none() || self.delivery == Some(Delivery::Sending),
            _ => false,
        }
    }

    /// Applies one message; returns what the runtime must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key, at) => self.on_key(key, at),
            Msg::Tick(now) => self.on_tick(now),
            Msg::Facts(facts) => {
                // The disks that may be wiped are tested too (read-only), before any wipe.
                let disks =
                    facts.disks.iter().filter(|d| d.protected.is_none()).map(|d| d.path.clone()).collect();
                self.facts = Some(*facts);
                vec![Effect::Diagnose(disks)]
            }
            Msg::Diagnosis(diagnostics::Event::Started(what)) => {
                self.hardware.running = Some(what);
                Vec::new()
            }
            Msg::Diagnosis(diagnostics::Event::Finished(test)) => {
                self.hardware.done.push(test);
                Vec::new()
            }
            Msg::Diagnosed => {
                self.hardware.running = None;
                self.hardware.finished = true;
                Vec::new()
            }
            Msg::Wipe(event, at) => {
                self.on_wipe_event(event, at);
                Vec::new()
            }
            Msg::WipeFinished(records) => self.on_wipe_finished(records),
            Msg::Sealed(Ok(sealed)) => {
                self.sealed = Some(sealed);
                if self.quitting {
                    // Leaving: the certificate is in the spool, the next start sends it.
                    self.delivery = Some(Delivery::Kept(String::new()));
                    return vec![Effect::Quit];
                }
                self.delivery = Some(if self.settings.registry.is_some() {
                    Delivery::Sending
                } else {
                    Delivery::NoRegistry
                });
                vec![Effect::Bell]
            }
            Msg::Sealed(Err(failure)) => {
                if self.quitting {
                    // The run's journal stays: the next start makes the record.
                    return vec![Effect::Quit];
                }
                self.overlay = Some(Overlay::Error { failure, details: false });
                vec![Effect::Bell]
            }
            Msg::Moved(path) => {
                if let Some(s) = &mut self.sealed {
                    s.path = path;
                }
                Vec::new()
            }
            Msg::Tone(tone) => {
                self.tone = Some(tone);
                Vec::new()
            }
            Msg::Delivered(d) => {
                self.delivery = Some(d);
                Vec::new()
            }
            Msg::Enrolled(r) => {
                self.enrolment = Some(r);
                Vec::new()
            }
            Msg::PendingPushed { sent, left } => {
                if self.netboot.is_some() && self.sealed.is_some() && left == 0 {
                    self.on_server = true;
                }
                self.earlier = Some((sent, left));
                Vec::new()
            }
            Msg::RefusedCertificates(lines) => {
                self.refused = lines;
                Vec::new()
            }
            Msg::WipeRefused(failure) => {
                self.progress.clear();
                self.screen = Screen::WipeConfirm;
                self.overlay = Some(Overlay::Error { failure, details: false });
                vec![Effect::Bell]
            }
            Msg::Failed(failure) => {
                self.overlay = Some(Overlay::Error { failure, details: false });
                vec![Effect::Bell]
            }
            Msg::Graded(result) => {
                self.grade = Some(result.map(|g| *g));
                Vec::new()
            }
            Msg::Images(step) => {
                self.image = step;
                Vec::new()
            }
            Msg::ImageProgress(p) => {
                if let ImageStep::Writing { percent, phase, .. } = &mut self.image {
                    // Writing is most of the work; reading back the rest.
                    let share = p.total.map_or(0.0, |t| if t == 0 { 1.0 } else { p.done as f64 / t as f64 });
                    let overall = match p.phase {
                        imaging::Phase::Writing => 70.0 * share,
                        imaging::Phase::Verifying => 70.0 + 30.0 * share,
                    };
                    *percent = percent.max(overall.min(100.0));
                    *phase = p.phase;
                }
                Vec::new()
            }
            Msg::Imaged(result) => {
                let name = match &self.image {
                    ImageStep::Writing { name, .. } => name.clone(),
                    _ => String::new(),
                };
                self.image = match result {
                    Ok(record) => ImageStep::Done { name, record },
                    Err(failure) => ImageStep::Failed { name, failure },
                };
                vec![Effect::Bell]
            }
            Msg::Answer(a) => self.answer(a),
        }
    }

    fn on_key(&mut self, key: Key, at: Instant) -> Vec<Effect> {
        let held_repeat = key == Key::Enter && self.hold.is_some_and(|(_, last)| at - last <= HOLD_GAP);
        if self.screen != Screen::Keyboard && !held_repeat {
            self.keystrokes += 1;
            if matches!(key, Key::Char(_)) && matches!(self.screen, Screen::Welcome | Screen::WipeConfirm) {
                self.typed += 1;
            }
        }
        if held_repeat && self.screen != Screen::WipeConfirm {
            // Entrée still held after the wipe was confirmed: the repeats must not skip the
            // screens that follow.
            self.hold = Some((self.hold.map_or(at, |(start, _)| start), at));
            return Vec::new();
        }
        if let Some(overlay) = self.overlay.clone() {
            return self.on_overlay_key(overlay, key, at);
        }
        match key {
            Key::CtrlC | Key::F(10) => {
                self.overlay = Some(Overlay::Quit);
                return Vec::new();
            }
            Key::F(2) => {
                self.overlay = Some(Overlay::Pin(String::new()));
                return Vec::new();
            }
            _ => {}
        }
        if self.screen == Screen::Keyboard {
            return match key {
                Key::Esc => self.back(),
                Key::F(9) => {
                    // Next to F10, one press must not record a fault: it asks first.
                    self.overlay = Some(Overlay::KeyboardFaulty);
                    Vec::new()
                }
                Key::Enter if self.keyboard.all_pressed() => self.answer(Answer::Keyboard(Vec::new())),
                other => {
                    self.keyboard.press(other);
                    Vec::new()
                }
            };
        }
        if key == Key::Esc {
            return self.back();
        }
        match self.screen {
            Screen::Welcome => match key {
                Key::Enter if self.lot.trim().is_empty() && !self.lot_warned => {
                    // Not silently: the screen asks for the code; a second Entrée goes on without.
                    self.lot_warned = true;
                    vec![Effect::Bell]
                }
                Key::Enter => self.answer(Answer::Lot(self.lot.clone())),
                Key::F(4) => {
                    self.settings.lot = Some(self.lot.clone()).filter(|l| !l.is_empty());
                    vec![Effect::SaveSettings(self.settings.clone()), Effect::OpenBay]
                }
                Key::F(3) => {
                    self.set_lang(self.lang.other());
                    vec![Effect::SaveSettings(self.settings.clone())]
                }
                Key::Backspace => {
                    self.lot.pop();
                    Vec::new()
                }
                Key::Char(c) if !c.is_control() && self.lot.chars().count() < 40 => {
                    self.lot.push(c);
                    self.lot_warned = false;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Screen::Image if matches!(self.image, ImageStep::Offer { .. }) => {
                let n = match &self.image {
                    ImageStep::Offer { images, .. } => images.len() + 1,
                    _ => 1,
                };
                match key {
                    Key::Up | Key::Left => self.choice = (self.choice + n - 1) % n,
                    Key::Down | Key::Right | Key::Tab => self.choice = (self.choice + 1) % n,
                    Key::Enter => return self.answer(Answer::Next),
                    _ => {}
                }
                Vec::new()
            }
            Screen::Image | Screen::Grade | Screen::Certificate if matches!(key, Key::Char('d' | 'D')) => {
                self.show_details = !self.show_details;
                Vec::new()
            }
            Screen::Question(_) | Screen::Cosmetic => {
                let n = self.choices();
                match key {
                    Key::Up | Key::Left => self.choice = (self.choice + n - 1) % n,
                    Key::Down | Key::Right | Key::Tab => self.choice = (self.choice + 1) % n,
                    Key::Char(c @ '1'..='4') if (c as usize - '1' as usize) < n => {
                        self.choice = c as usize - '1' as usize
                    }
                    Key::Char(c) if self.screen == Screen::Cosmetic && "aAbBcC".contains(c) => {
                        self.choice = "abc".find(c.to_ascii_lowercase()).unwrap_or(0)
                    }
                    Key::Char('r' | 'R') if self.screen == Screen::Question(Question::Sound) => {
                        return self.replay_tone()
                    }
                    Key::Enter if self.screen == Screen::Question(Question::Sound) && self.choice == 0 => {
                        return self.replay_tone()
                    }
                    Key::Enter => return self.answer(self.chosen_answer()),
                    _ => {}
                }
                Vec::new()
            }
            Screen::WipeConfirm => self.on_confirm_key(key, at),
            Screen::Wiping => Vec::new(),
            Screen::WipeDone if matches!(key, Key::Char('d' | 'D') | Key::F(1)) => {
                self.show_details = !self.show_details;
                Vec::new()
            }
            _ if key == Key::Enter => self.answer(Answer::Next),
            _ => Vec::new(),
        }
    }

    /// Lines to choose from on the current question: the sound check has "play it again"
    /// first, so a habitual Entrée replays the tone rather than answers "I hear it".
    pub fn choices(&self) -> usize {
        match self.screen {
            Screen::Cosmetic => 4,
            Screen::Question(Question::Sound) => ANSWERS.len() + 1,
            _ => ANSWERS.len(),
        }
    }

    fn replay_tone(&mut self) -> Vec<Effect> {
        self.tone = None;
        vec![Effect::Tone]
    }

    fn chosen_answer(&self) -> Answer {
        if self.screen == Screen::Cosmetic {
            Answer::Cosmetic(
                [Some(CosmeticGrade::A), Some(CosmeticGrade::B), Some(CosmeticGrade::C), None]
                    [self.choice.min(3)],
            )
        } else if self.screen == Screen::Question(Question::Sound) {
            Answer::Check(ANSWERS[self.choice.saturating_sub(1).min(ANSWERS.len() - 1)])
        } else {
            Answer::Check(ANSWERS[self.choice.min(ANSWERS.len() - 1)])
        }
    }

    /// F10 answered "yes": leave, but never leave a wipe's work unrecorded. A running wipe is
    /// stopped and, once its threads have recorded how far they got, signed as interrupted; a
    /// finished wipe without its certificate yet is signed with what is known.
    fn leave(&mut self) -> Vec<Effect> {
        if self.wiping() {
            self.quitting = true;
            return vec![Effect::StopWipe];
        }
        if self.sealed.is_none() && self.records.as_ref().is_some_and(|r| !r.is_empty()) {
            self.quitting = true;
            if self.screen == Screen::Certificate {
                return Vec::new(); // being sealed: Msg::Sealed leaves
            }
            return vec![Effect::Seal { parts: Box::new(self.certificate_parts()), deliver: false }];
        }
        vec![Effect::Quit]
    }

    fn on_confirm_key(&mut self, key: Key, at: Instant) -> Vec<Effect> {
        if self.facts.is_some() && self.disks_to_wipe().is_empty() {
            return if key == Key::Enter { self.answer(Answer::Next) } else { Vec::new() };
        }
        let word = self.t("wipe.confirm_word");
        if self.confirm.key(key, at, &mut self.hold, &word) {
            self.answer(Answer::ConfirmWipe)
        } else {
            Vec::new()
        }
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Effect> {
        self.last_tick = Some(now);
        self.confirm.tick(now, &mut self.hold);
        // Network boot: a certificate the server did not get is tried again every few seconds
        // while the screen says not to switch off.
        if self.netboot.is_some()
            && self.sealed.is_some()
            && !self.quitting
            && matches!(self.delivery, Some(Delivery::Kept(_)))
            && !self.on_server
        {
            if let Some(url) = self.settings.registry.clone() {
                if self.netboot_asked.is_none_or(|t| now.saturating_duration_since(t) >= NETBOOT_RETRY) {
                    self.netboot_asked = Some(now);
                    return vec![Effect::PushPending(url)];
                }
            }
        }
        // The supervisor waits with the code on screen: ask the registry now and then whether
        // it was approved, so the menu says "approved" without another key.
        let pending = matches!(&self.enrolment, Some(Ok(e)) if e.status == "pending");
        if pending && matches!(self.overlay, Some(Overlay::Supervisor { .. })) {
            if let Some(url) = self.settings.registry.clone() {
                if self.enrol_asked.is_none_or(|t| now.saturating_duration_since(t) >= ENROL_POLL) {
                    self.enrol_asked = Some(now);
                    return vec![Effect::Enrol(url)];
                }
            }
        }
        Vec::new()
    }

    /// Whether a wrong PIN still makes the next try wait at `now`, and for how long.
    pub fn pin_wait(&self, now: Instant) -> Option<Duration> {
        self.pin_failures.1.and_then(|until| until.checked_duration_since(now)).filter(|d| !d.is_zero())
    }

    fn on_overlay_key(&mut self, overlay: Overlay, key: Key, at: Instant) -> Vec<Effect> {
        match overlay {
            // The safe answer is the habitual key: Entrée (and Échap) keep working; quitting
            // takes the letter of "oui" / "yes".
            Overlay::Quit => match key {
                Key::Char('o' | 'O' | 'y' | 'Y') => {
                    self.overlay = None;
                    self.leave()
                }
                Key::Enter | Key::Esc | Key::Char('n' | 'N') => {
                    self.overlay = None;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Overlay::KeyboardFaulty => match key {
                Key::Char('o' | 'O' | 'y' | 'Y') => {
                    self.overlay = None;
                    self.answer(Answer::Keyboard(self.keyboard.missing()))
                }
                Key::Enter | Key::Esc | Key::Char('n' | 'N') => {
                    self.overlay = None;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Overlay::Notices => match key {
                Key::Enter | Key::Esc => {
                    self.overlay = None;
                    vec![Effect::NoticesRead]
                }
                _ => Vec::new(),
            },
            Overlay::Error { failure, details } => match key {
                Key::Char('d' | 'D') | Key::F(1) => {
                    self.overlay = Some(Overlay::Error { failure, details: !details });
                    Vec::new()
                }
                Key::Enter | Key::Esc => {
                    self.overlay = None;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Overlay::Pin(mut pin) => match key {
                Key::Char(c) if c.is_ascii_digit() && pin.len() < 8 => {
                    pin.push(c);
                    self.overlay = Some(Overlay::Pin(pin));
                    Vec::new()
                }
                Key::Backspace => {
                    pin.pop();
                    self.overlay = Some(Overlay::Pin(pin));
                    Vec::new()
                }
                Key::Enter if self.pin_wait(at).is_some() => Vec::new(),
                Key::Enter => {
                    // No PIN yet: the first supervisor in chooses it (menu line "PIN").
                    if self.settings.pin_sha256.is_none() || self.settings.pin_matches(&pin) {
                        self.pin_failures = (0, None);
                        self.overlay = Some(Overlay::Supervisor { line: 0, editing: None });
                        Vec::new()
                    } else {
                        // Said, and each wrong try makes the next one wait longer.
                        let failures = self.pin_failures.0 + 1;
                        self.pin_failures = (failures, Some(at + pin_delay(failures)));
                        self.overlay = Some(Overlay::Pin(String::new()));
                        vec![Effect::Bell]
                    }
                }
                Key::Esc => {
                    self.overlay = None;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Overlay::Supervisor { line, editing } => self.on_supervisor_key(line, editing, key),
        }
    }

    fn on_supervisor_key(&mut self, line: usize, editing: Option<String>, key: Key) -> Vec<Effect> {
        let n = SUPERVISOR_LINES.len();
        if let Some(mut text) = editing {
            match key {
                Key::Enter => {
                    let value = Some(text.trim().to_owned()).filter(|v| !v.is_empty());
                    match SUPERVISOR_LINES[line] {
                        "sup.registry" => self.settings.registry = value,
                        "sup.name" => {
                            if let Some(name) = &value {
                                self.station_name = name.clone();
                            }
                            self.settings.station_name = value;
                        }
                        "sup.lot" => {
                            self.lot = value.clone().unwrap_or_default();
                            self.settings.lot = value;
                        }
                        "sup.operator" => self.settings.operator = value,
                        "sup.role" => self.settings.operator_role = value,
                        "sup.organisation" => self.settings.organisation = value,
                        "sup.site" => self.settings.site = value,
                        "sup.contact" => self.settings.contact = value,
                        "sup.pin" => self.settings.pin_sha256 = value.map(|p| settings::pin_hash(&p)),
                        _ => {}
                    }
                    self.overlay = Some(Overlay::Supervisor { line, editing: None });
                    return vec![Effect::SaveSettings(self.settings.clone())];
                }
                Key::Esc => self.overlay = Some(Overlay::Supervisor { line, editing: None }),
                Key::Backspace => {
                    text.pop();
                    self.overlay = Some(Overlay::Supervisor { line, editing: Some(text) });
                }
                Key::Char(c) if !c.is_control() && text.chars().count() < 100 => {
                    text.push(c);
                    self.overlay = Some(Overlay::Supervisor { line, editing: Some(text) });
                }
                _ => {}
            }
            return Vec::new();
        }
        match key {
            Key::Up => self.overlay = Some(Overlay::Supervisor { line: (line + n - 1) % n, editing: None }),
            Key::Down | Key::Tab => {
                self.overlay = Some(Overlay::Supervisor { line: (line + 1) % n, editing: None })
            }
            Key::Esc | Key::F(2) => self.overlay = None,
            Key::Enter => match SUPERVISOR_LINES[line] {
                "sup.enrol" => {
                    return match self.settings.registry.clone() {
                        Some(url) => {
                            self.enrolment = None;
                            self.enrol_asked = self.last_tick;
                            vec![Effect::Enrol(url)]
                        }
                        None => {
                            self.enrolment = Some(Err(Failure {
                                plain: "error.no_registry",
                                details: "settings.toml has no registry".into(),
                            }));
                            Vec::new()
                        }
                    };
                }
                "sup.method" => {
                    let current = self.settings.method.as_deref().unwrap_or("auto");
                    let i = METHOD_CHOICES.iter().position(|m| *m == current).unwrap_or(0);
                    let next = METHOD_CHOICES[(i + 1) % METHOD_CHOICES.len()];
                    self.settings.method = Some(next.to_owned()).filter(|m| m != "auto");
                    return vec![Effect::SaveSettings(self.settings.clone())];
                }
                "sup.language" => {
                    self.set_lang(self.lang.other());
                    return vec![Effect::SaveSettings(self.settings.clone())];
                }
                "sup.destination" => {
                    // Not set, then each destination in turn, then not set again.
                    let all = certificate::Destination::ALL;
                    self.settings.destination = match self.settings.destination {
                        None => Some(all[0]),
                        Some(d) => all.iter().position(|x| *x == d).and_then(|i| all.get(i + 1)).copied(),
                    };
                    return vec![Effect::SaveSettings(self.settings.clone())];
                }
                field => {
                    let current = match field {
                        "sup.registry" => self.settings.registry.clone(),
                        "sup.name" => self.settings.station_name.clone(),
                        "sup.lot" => Some(self.lot.clone()),
                        "sup.operator" => self.settings.operator.clone(),
                        "sup.role" => self.settings.operator_role.clone(),
                        "sup.organisation" => self.settings.organisation.clone(),
                        "sup.site" => self.settings.site.clone(),
                        "sup.contact" => self.settings.contact.clone(),
                        _ => None,
                    };
                    self.overlay =
                        Some(Overlay::Supervisor { line, editing: Some(current.unwrap_or_default()) });
                }
            },
            _ => {}
        }
        Vec::new()
    }

    fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
        self.settings.language = Some(lang.code().to_owned());
        self.keyboard = keyboard::KeyboardTest::new(lang);
    }

    /// Échap: the previous screen, where going back makes sense (never into or out of a wipe).
    fn back(&mut self) -> Vec<Effect> {
        let previous = match self.screen {
            Screen::Computer => Some(Screen::Welcome),
            Screen::ScreenColours(0) => Some(Screen::Computer),
            Screen::ScreenColours(i) => Some(Screen::ScreenColours(i - 1)),
            Screen::Question(Question::Screen) => Some(Screen::ScreenColours(0)),
            Screen::Keyboard => Some(Screen::Question(Question::Screen)),
            Screen::Question(Question::Sound) => Some(Screen::Keyboard),
            Screen::Question(Question::Usb) => Some(Screen::Question(Question::Sound)),
            Screen::Question(Question::Battery) => Some(Screen::Question(Question::Usb)),
            Screen::Cosmetic if self.has_battery() => Some(Screen::Question(Question::Battery)),
            Screen::Cosmetic => Some(Screen::Question(Question::Usb)),
            Screen::WipeConfirm => Some(Screen::Cosmetic),
            _ => None,
        };
        match previous {
            Some(s) => self.go(s),
            None => Vec::new(),
        }
    }

    fn go(&mut self, screen: Screen) -> Vec<Effect> {
        self.screen = screen;
        self.choice = 0;
        self.confirm = Confirmation::default();
        match screen {
            Screen::Keyboard => {
                self.keyboard = keyboard::KeyboardTest::new(self.lang);
                Vec::new()
            }
            Screen::Question(Question::Sound) => {
                self.tone = None;
                vec![Effect::Tone]
            }
            _ => Vec::new(),
        }
    }

    /// Applies an answer to the current screen (from a key or a batch file).
    pub fn answer(&mut self, answer: Answer) -> Vec<Effect> {
        match (self.screen, answer) {
            (Screen::Welcome, Answer::Lot(lot)) => {
                self.lot = lot.trim().to_owned();
                self.go(Screen::Computer)
            }
            (Screen::Welcome, Answer::Next) => self.go(Screen::Computer),
            (Screen::Computer, Answer::Next) if self.facts.is_some() => self.go(Screen::ScreenColours(0)),
            (Screen::ScreenColours(i), Answer::Next) if i + 1 < SCREEN_TEST_COLOURS => {
                self.go(Screen::ScreenColours(i + 1))
            }
            (Screen::ScreenColours(_), Answer::Next) => self.go(Screen::Question(Question::Screen)),
            (Screen::ScreenColours(_), Answer::Check(status)) => {
                self.checks.screen = Some(CheckResult::new(status));
                self.go(Screen::Keyboard)
            }
            (Screen::Question(q), Answer::Check(status)) => {
                let mut result = CheckResult::new(status);
                let next = match q {
                    Question::Screen => {
                        result.details.push(format!("{SCREEN_TEST_COLOURS} full-screen colours shown"));
                        self.checks.screen = Some(result);
                        Screen::Keyboard
                    }
                    Question::Sound => {
                        result.details.push(match &self.tone {
                            Some(Tone { sound_card: Ok(()), bell }) => format!(
                                "a 440 Hz tone was played through the sound card (speaker-test){}",
                                if *bell { ", and the terminal bell rung" } else { "" }
                            ),
                            Some(Tone { sound_card: Err(why), bell: true }) => {
                                format!(
                                    "only the terminal bell was rung; no tone through the sound card: {why}"
                                )
                            }
                            Some(Tone { sound_card: Err(why), bell: false }) => {
                                format!("nothing was played: {why}")
                            }
                            None => "the tone was asked for; what was played is not known".into(),
                        });
                        self.checks.sound = Some(result);
                        Screen::Question(Question::Usb)
                    }
                    Question::Usb => {
                        self.checks.usb = Some(result);
                        if self.has_battery() {
                            Screen::Question(Question::Battery)
                        } else {
                            self.checks.battery = Some(CheckResult {
                                status: CheckStatus::NotApplicable,
                                details: vec!["no battery found".into()],
                            });
                            Screen::Cosmetic
                        }
                    }
                    Question::Battery => {
                        if let Some(f) = &self.facts {
                            for b in &f.power.batteries {
                                let mut d = format!("{}: {}", b.name, b.status);
                                if let Some(c) = b.capacity_percent {
                                    d.push_str(&format!(", charge {c} %"));
                                }
                                if let Some(h) = b.health_percent {
                                    d.push_str(&format!(", capacity {h} % of design"));
                                }
                                result.details.push(d);
                            }
                        }
                        self.checks.battery = Some(result);
                        Screen::Cosmetic
                    }
                };
                self.go(next)
            }
            (Screen::Keyboard, Answer::Keyboard(missing)) => {
                let status = if missing.is_empty() { CheckStatus::Pass } else { CheckStatus::Fail };
                let details = if missing.is_empty() {
                    vec![format!("all {} keys answered", self.keyboard.len())]
                } else {
                    vec![format!("keys that never answered: {}", missing.join(" "))]
                };
                self.checks.keyboard = Some(CheckResult { status, details });
                self.go(Screen::Question(Question::Sound))
            }
            (Screen::Keyboard, Answer::Check(status)) => {
                self.checks.keyboard = Some(CheckResult::new(status));
                self.go(Screen::Question(Question::Sound))
            }
            (Screen::Cosmetic, Answer::Cosmetic(grade)) => {
                self.checks.cosmetic = grade;
                self.go(Screen::WipeConfirm)
            }
            (Screen::WipeConfirm, Answer::ConfirmWipe) if self.facts.is_some() => self.start_wipe(),
            (Screen::WipeConfirm, Answer::Next)
                if self.facts.is_some() && self.disks_to_wipe().is_empty() =>
            {
                self.records = Some(Vec::new());
                self.go(Screen::WipeDone)
            }
            (Screen::Image, Answer::NoSystem) => {
                self.image = ImageStep::Nothing { reason: "image.declined", details: String::new() };
                self.go_grade()
            }
            (Screen::WipeDone, Answer::Next) => {
                let mut effects = self.go(Screen::Image);
                effects.extend(self.find_images());
                effects
            }
            (Screen::Image, Answer::Next) => match &self.image {
                ImageStep::Offer { images, dir, target } if self.choice < images.len() => {
                    let m = images[self.choice].clone();
                    let plan = crate::image_cmd::InstallPlan {
                        source: imaging::ImageSource::File(dir.join(&m.file)),
                        bmap: None,
                        disk_zeroed: self.disk_zeroed(target),
                        hostname: self.hostname(),
                        device: target.clone(),
                        manifest: Some(m.clone()),
                    };
                    self.image = ImageStep::Writing {
                        name: format!("{} {}", m.name, m.version),
                        percent: 0.0,
                        phase: imaging::Phase::Writing,
                    };
                    vec![Effect::WriteImage(Box::new(plan))]
                }
                ImageStep::Offer { .. } => {
                    self.image = ImageStep::Nothing { reason: "image.declined", details: String::new() };
                    self.go_grade()
                }
                ImageStep::Loading | ImageStep::Writing { .. } => Vec::new(),
                _ => self.go_grade(),
            },
            (Screen::Grade, Answer::Next) => {
                let mut effects = self.go(Screen::Certificate);
                effects.push(Effect::Seal { parts: Box::new(self.certificate_parts()), deliver: true });
                effects
            }
            (Screen::Certificate, Answer::Next) if !self.waiting_for_worker() => vec![Effect::Quit],
            _ => Vec::new(),
        }
    }

    fn wipe_options(&self) -> (WipeOptions, bool) {
        match self.settings.method.as_deref().map(str::parse::<sanitize::Method>) {
            Some(Ok(method)) => (
                WipeOptions { method, verification: VerificationMode::LastPass, ..WipeOptions::default() },
                false,
            ),
            _ => (WipeOptions::default(), true),
        }
    }

    fn start_wipe(&mut self) -> Vec<Effect> {
        let disks: Vec<PathBuf> = self.disks_to_wipe().iter().map(|d| d.path.clone()).collect();
        if disks.is_empty() {
            return self.answer(Answer::Next);
        }
        let (options, auto_purge) = self.wipe_options();
        self.progress = self
            .disks_to_wipe()
            .iter()
            .map(|d| DiskProgress {
                path: d.path.clone(),
                size: d.size,
                percent: 0.0,
                pass: (1, options.method.specs().len() as u32),
                phase: Phase::Writing,
                rate: 0.0,
                eta_secs: None,
                result: None,
                notices: Vec::new(),
                last: None,
            })
            .collect();
        let mut effects = self.go(Screen::Wiping);
        effects.push(Effect::Wipe { disks, options, auto_purge });
        effects
    }

    fn on_wipe_event(&mut self, event: RunEvent, at: Instant) {
        let verify_mode = self.wipe_options().0.verification;
        match event {
            RunEvent::DiskStarted { index, size, .. } => {
                if let Some(p) = self.progress.get_mut(index) {
                    p.size = size;
                }
            }
            RunEvent::Progress { index, progress } => {
                if let Some(p) = self.progress.get_mut(index) {
                    p.advance(progress, verify_mode, at);
                }
            }
            RunEvent::Notice { index, message } => {
                if let Some(p) = self.progress.get_mut(index) {
                    p.notices.push(message);
                }
            }
            RunEvent::DiskFinished { index, result } => {
                if let Some(p) = self.progress.get_mut(index) {
                    p.result = Some(result);
                    if result == SanitizeResult::Verified {
                        p.percent = 100.0;
                    }
                    p.eta_secs = None;
                }
            }
        }
    }

    fn on_wipe_finished(&mut self, records: Vec<DiskRecord>) -> Vec<Effect> {
        for (p, r) in self.progress.iter_mut().zip(&records) {
            p.result = Some(r.sanitization.result);
        }
        self.records = Some(records);
        if self.quitting {
            // The worker chose to quit: the wipe stopped and each disk recorded how far it got;
            // the certificate says `interrupted` (never sanitized), then the app leaves.
            return vec![Effect::Seal { parts: Box::new(self.certificate_parts()), deliver: false }];
        }
        let mut effects = self.go(Screen::WipeDone);
        effects.push(Effect::Journal(Box::new(self.certificate_parts())));
        effects.push(Effect::Bell);
        effects
    }

    fn go_grade(&mut self) -> Vec<Effect> {
        let mut effects = self.go(Screen::Grade);
        self.grade = None;
        effects.push(Effect::Grade(Box::new(self.grading_input())));
        effects
    }

    /// What the grade is computed from: the inventory, the wipe's records, the checks, the system.
    pub fn grading_input(&self) -> grading::GradingInput {
        let records = self.records.clone().unwrap_or_default();
        let candidates: Vec<&DiskCandidate> = self.facts.iter().flat_map(|f| &f.disks).collect();
        let extra: Vec<grading::DiskExtra> = records
            .iter()
            .map(|r| grading::DiskExtra {
                health: candidates.iter().find(|c| c.path.display().to_string() == r.path).map(|c| c.health),
                rotational: None,
            })
            .collect();
        let checks = self.checks.to_checks();
        let facts = grading::UnitFacts {
            checks: Some(&checks),
            hardware_tests: &self.hardware.done,
            os_installed: matches!(self.image, ImageStep::Done { .. }),
            donated_by_local_authority: None,
            charger_included: None,
        };
        let host = self
            .facts
            .as_ref()
            .map(|f| f.host.clone())
            .unwrap_or_else(|| inventory::probe_host(&inventory::Root::at("/nonexistent")));
        let power = self.facts.as_ref().map(|f| f.power.clone()).unwrap_or_default();
        grading::GradingInput::from_parts(&host, &records, &extra, &power, &facts)
    }

    /// The disk that gets the system: the largest one whose wipe was verified.
    fn image_target(&self) -> Option<(PathBuf, u64)> {
        let records = self.records.as_ref()?;
        records
            .iter()
            .filter(|r| r.sanitization.is_verified())
            .max_by_key(|r| r.capacity_bytes)
            .map(|r| (PathBuf::from(&r.path), r.capacity_bytes))
    }

    fn find_images(&mut self) -> Vec<Effect> {
        match self.image_target() {
            Some((target, disk_bytes)) => {
                self.image = ImageStep::Loading;
                let ram_bytes =
                    self.facts.as_ref().and_then(|f| f.host.memory_bytes.value().copied()).unwrap_or(0);
                vec![Effect::FindImages { ram_bytes, disk_bytes, target }]
            }
            None => {
                self.image = ImageStep::Nothing {
                    reason: "image.no_wiped_disk",
                    details: "no disk was wiped and verified".into(),
                };
                Vec::new()
            }
        }
    }

    /// Whether the wipe left `target` all zeros, verified over the whole disk (then the writer
    /// need not write the image's zero blocks).
    fn disk_zeroed(&self, target: &std::path::Path) -> bool {
        self.records.iter().flatten().any(|r| {
            std::path::Path::new(&r.path) == target
                && r.sanitization.is_verified()
                && r.sanitization.method == "zero"
                && r.sanitization.verification.coverage == certificate::Coverage::Full
        })
    }

    /// The written system's hostname, from the unit's serial number (`pc-5xj3k4j`).
    fn hostname(&self) -> Option<String> {
        let serial = self.facts.as_ref()?.host.unit.serial.value()?.to_ascii_lowercase();
        let clean: String = serial.chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect();
        (!clean.is_empty()).then(|| format!("pc-{clean}"))
    }

    /// Everything the certificate needs, from the state.
    pub fn certificate_parts(&self) -> CertificateParts {
        let unit = self.facts.as_ref().map(|f| f.host.unit.clone()).unwrap_or_else(|| certificate::Unit {
            vendor: certificate::Probed::unavailable("no inventory"),
            model: certificate::Probed::unavailable("no inventory"),
            serial: certificate::Probed::unavailable("no inventory"),
            uuid: certificate::Probed::unavailable("no inventory"),
            chassis: certificate::Probed::unavailable("no inventory"),
        });
        CertificateParts {
            operator: self.settings.operator.clone().unwrap_or_else(|| "station".into()),
            lot: Some(self.lot.clone()).filter(|l| !l.is_empty()),
            station_name: self.settings.station_name.clone(),
            started_at: self.started_at.clone(),
            unit,
            disks: self.records.clone().unwrap_or_default(),
            checks: Some(self.checks.to_checks()),
            hardware_tests: self.hardware.done.clone(),
            performed_by: self.settings.performer(),
            post_sanitization: self.settings.post_sanitization(),
            grade: match &self.grade {
                Some(Ok(g)) => serde_json::to_value(g).ok(),
                _ => None,
            },
            image: match &self.image {
                ImageStep::Done { record, .. } => Some(record.clone()),
                ImageStep::Failed { name, failure } => Some(serde_json::json!({
                    "image": name,
                    "result": "failed",
                    "error": failure.details,
                })),
                _ => None,
            },
        }
    }
}

impl DiskProgress {
    /// A gauge at zero for a disk of `size` bytes and a method of `passes` passes.
    pub fn new(path: PathBuf, size: u64, passes: u32) -> DiskProgress {
        DiskProgress {
            path,
            size,
            percent: 0.0,
            pass: (1, passes),
            phase: Phase::Writing,
            rate: 0.0,
            eta_secs: None,
            result: None,
            notices: Vec::new(),
            last: None,
        }
    }

    /// Moves the gauge on with a progress report received at `at`.
    pub(crate) fn advance(&mut self, progress: sanitize::Progress, verify: VerificationMode, at: Instant) {
        let passes = progress.passes.max(1);
        self.pass = (progress.pass, passes);
        self.phase = progress.phase;
        // Work units: one per pass written, one per pass read back.
        let (units, before) = match verify {
            VerificationMode::EveryPass => (2 * passes, 2 * (progress.pass - 1)),
            VerificationMode::LastPass => (passes + 1, progress.pass - 1),
            VerificationMode::None => (passes, progress.pass - 1),
        };
        let phase_index = match progress.phase {
            Phase::Writing => before,
            Phase::Verifying if verify == VerificationMode::EveryPass => before + 1,
            Phase::Verifying => passes,
        };
        let fraction = if progress.total == 0 { 1.0 } else { progress.done as f64 / progress.total as f64 };
        let percent = 100.0 * (phase_index as f64 + fraction) / units.max(1) as f64;
        self.percent = self.percent.max(percent.min(100.0));
        if let Some((t, done, pass, phase)) = self.last {
            let dt = (at - t).as_secs_f64();
            if pass == progress.pass && phase == progress.phase && progress.done >= done && dt > 0.0 {
                let instant = (progress.done - done) as f64 / dt;
                self.rate = if self.rate == 0.0 { instant } else { 0.8 * self.rate + 0.2 * instant };
            }
        }
        if self.last.is_none_or(|(t, ..)| (at - t) >= Duration::from_millis(250)) {
            self.last = Some((at, progress.done, progress.pass, progress.phase));
        }
        let total = self.size.max(progress.total) as f64;
        if self.rate > 0.0 && total > 0.0 {
            let remaining_units = units as f64 - (phase_index as f64 + fraction);
            self.eta_secs = Some((remaining_units * total / self.rate).max(0.0) as u64);
        }
    }
}

/// Folds a typed word for comparison: case and accents do not matter ("effacer" = "EFFACER").
fn fold_word(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c.to_lowercase().next().unwrap_or(c) {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests;
