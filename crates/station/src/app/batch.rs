//! `station run --batch FILE.toml`: the station app without a screen. The file answers every
//! question the app asks a worker; the same [`App`] state machine and the same workers run, so a
//! batch run is the app's behaviour, not a copy of it. Used by tests and by the live USB's
//! end-to-end runs.
//!
//! ```toml
//! lot = "CD34-2026-017"
//! operator = "Camille"
//! language = "fr"                 # optional
//! registry = "http://127.0.0.1:8750"  # optional, overrides the settings
//! method = "zero"                 # optional: "auto" (the default) or an overwrite method
//! disks = ["/dev/sdb"]            # optional: else every disk the system has
//! confirm_wipe = true             # the deliberate confirmation; without it nothing is wiped
//! install_system = false          # optional: the first system that fits is installed by default
//!
//! [checks]                        # pass, fail or skipped; cosmetic A, B, C
//! screen = "pass"
//! keyboard = "pass"               # or keyboard_missing = ["M", "Entrée"]
//! sound = "pass"
//! usb = "pass"
//! battery = "pass"                # asked only when the unit has a battery
//! cosmetic = "B"
//!
//! [hardware_tests]                # optional: without it the station tests no hardware
//! cpu_seconds = 60                # processor load; 0: none
//! memory_mib = 512                # memory tested; absent: what is safely free; 0: none
//! no_self_test = false            # true: no SMART short self-test of the disks
//! read_mib = 256                  # read sample per disk; 0: none
//! battery_seconds = 20            # watching a discharging battery
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use certificate::{CheckStatus, CosmeticGrade};
use serde::Deserialize;

use super::runtime::{Environment, Runtime};
use super::{Answer, App, Delivery, Overlay, Question, Screen};

/// A batch file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchFile {
    /// The lot code.
    pub lot: Option<String>,
    /// Who runs the station.
    pub operator: Option<String>,
    /// `fr` or `en`.
    pub language: Option<String>,
    /// The registry's URL.
    pub registry: Option<String>,
    /// `auto` or an overwrite method.
    pub method: Option<String>,
    /// The disks to offer instead of the system's.
    pub disks: Option<Vec<PathBuf>>,
    /// Must be `true` for anything to be wiped.
    #[serde(default)]
    pub confirm_wipe: bool,
    /// `false` to install no system even when images are ready (default: the first that fits).
    pub install_system: Option<bool>,
    /// The worker's answers.
    #[serde(default)]
    pub checks: BatchChecks,
    /// The hardware tests to run while the checks are answered; none when absent.
    pub hardware_tests: Option<crate::diagnose::TestArgs>,
}

/// The answers to the checks; a missing answer is `skipped`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchChecks {
    /// Screen test.
    pub screen: Option<CheckStatus>,
    /// Keyboard test as a whole.
    pub keyboard: Option<CheckStatus>,
    /// Keys that did not answer (implies `keyboard = "fail"` when not empty).
    pub keyboard_missing: Option<Vec<String>>,
    /// Sound.
    pub sound: Option<CheckStatus>,
    /// USB ports.
    pub usb: Option<CheckStatus>,
    /// Battery charging.
    pub battery: Option<CheckStatus>,
    /// Cosmetic grade.
    pub cosmetic: Option<CosmeticGrade>,
}

impl BatchFile {
    /// Reads and checks a batch file; errors name the file and the line.
    pub fn load(path: &Path) -> anyhow::Result<BatchFile> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let file: BatchFile =
            toml::from_str(&text).with_context(|| format!("{} is not a valid batch file", path.display()))?;
        if let Some(m) = &file.method {
            if m != "auto" {
                m.parse::<sanitize::Method>()
                    .map_err(|e| anyhow::anyhow!("{}: method {m:?}: {e}", path.display()))?;
            }
        }
        Ok(file)
    }

    fn answer(&self, app: &App) -> anyhow::Result<Answer> {
        let or_skipped = |s: Option<CheckStatus>| s.unwrap_or(CheckStatus::Skipped);
        Ok(match app.screen {
            Screen::Welcome => Answer::Lot(self.lot.clone().unwrap_or_default()),
            Screen::ScreenColours(_) | Screen::Question(Question::Screen) => {
                Answer::Check(or_skipped(self.checks.screen))
            }
            Screen::Keyboard => match (&self.checks.keyboard_missing, self.checks.keyboard) {
                (Some(missing), _) if !missing.is_empty() => Answer::Keyboard(missing.clone()),
                (_, Some(CheckStatus::Pass)) => Answer::Keyboard(Vec::new()),
                (_, status) => Answer::Check(or_skipped(status)),
            },
            Screen::Question(Question::Sound) => Answer::Check(or_skipped(self.checks.sound)),
            Screen::Question(Question::Usb) => Answer::Check(or_skipped(self.checks.usb)),
            Screen::Question(Question::Battery) => Answer::Check(or_skipped(self.checks.battery)),
            Screen::Cosmetic => Answer::Cosmetic(self.checks.cosmetic),
            Screen::WipeConfirm if self.disks.is_some() => {
                // Disks the file names must all be wiped: one refused is an error, not a
                // certificate with a disk left out.
                let refused: Vec<String> = app
                    .facts
                    .iter()
                    .flat_map(|f| &f.disks)
                    .filter_map(|d| d.protected.as_ref().map(|why| format!("{} {why}", d.path.display())))
                    .collect();
                if !refused.is_empty() {
                    bail!("nothing was wiped: {}", refused.join("; "));
                }
                if self.confirm_wipe {
                    Answer::ConfirmWipe
                } else {
                    bail!("the batch file does not confirm the wipe (confirm_wipe = true): nothing was wiped")
                }
            }
            Screen::WipeConfirm if app.disks_to_wipe().is_empty() => Answer::Next,
            Screen::Image
                if self.install_system == Some(false)
                    && matches!(app.image, super::ImageStep::Offer { .. }) =>
            {
                Answer::NoSystem
            }
            Screen::WipeConfirm if self.confirm_wipe => Answer::ConfirmWipe,
            Screen::WipeConfirm => {
                bail!("the batch file does not confirm the wipe (confirm_wipe = true): nothing was wiped")
            }
            _ => Answer::Next,
        })
    }
}

/// What a batch run produced.
#[derive(Debug)]
pub struct BatchReport {
    /// The final state of the app.
    pub app: App,
    /// What earlier runs left unfinished ([`crate::notice`]), reported at the start of this
    /// run (and marked read: the summary carries them).
    pub notices: Vec<Result<crate::notice::Notice, String>>,
}

/// Runs the app with the file's answers until the certificate is sealed and delivered.
/// `progress` is told each screen as it is reached.
pub fn run(
    file: &BatchFile,
    mut env: Environment,
    mut progress: impl FnMut(&App),
) -> anyhow::Result<BatchReport> {
    env.sound = false;
    if file.disks.is_some() {
        env.disks = file.disks.clone();
    }
    let mut settings = super::settings::Settings::load(&env.data_dir)?;
    if file.registry.is_some() {
        settings.registry = file.registry.clone();
    }
    if file.method.is_some() {
        settings.method = file.method.clone().filter(|m| m != "auto");
    }
    if file.operator.is_some() {
        settings.operator = file.operator.clone();
    }
    if file.language.is_some() {
        settings.language = file.language.clone();
    }
    let notices = crate::notice::unread(&env.data_dir);
    for n in &notices {
        match n {
            Ok(n) => {
                for d in &n.disks {
                    eprintln!(
                        "station: an earlier wipe of {} did not finish ({:?}): certificate {} records it as interrupted; the disk is not sanitized, wipe it again",
                        d.path, n.cause, n.certificate_id
                    );
                }
            }
            Err(why) => eprintln!("station: an earlier run's notice does not read: {why}"),
        }
    }
    if !notices.is_empty() {
        crate::notice::mark_read(&env.data_dir)?;
    }
    let mut runtime = Runtime::new(env)?;
    let name = settings.station_name.clone().unwrap_or_else(|| runtime.key().key_id()[..12].to_owned());
    let mut app = App::new(settings, name);
    let effects = app.start();
    runtime.run(&app, effects);
    let mut last_screen = None;
    while !runtime.quit {
        if let Some(Overlay::Error { failure, .. }) = &app.overlay {
            bail!("{}: {}", app.t(failure.plain), failure.details);
        }
        if last_screen != Some(app.screen) {
            progress(&app);
            last_screen = Some(app.screen);
        }
        if app.waiting_for_worker() {
            match runtime.rx.recv_timeout(Duration::from_millis(200)) {
                Ok(msg) => {
                    let effects = app.update(msg);
                    runtime.run(&app, effects);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(e) => bail!("the station's workers stopped: {e}"),
            }
            continue;
        }
        while let Ok(msg) = runtime.rx.try_recv() {
            let effects = app.update(msg);
            runtime.run(&app, effects);
        }
        let before = (app.screen, app.sealed.is_some(), app.delivery.clone());
        let answer = file.answer(&app)?;
        let effects = app.update(super::Msg::Answer(answer.clone()));
        runtime.run(&app, effects);
        let _ = app.update(super::Msg::Tick(Instant::now()));
        if !runtime.quit
            && before == (app.screen, app.sealed.is_some(), app.delivery.clone())
            && !app.waiting_for_worker()
        {
            bail!("the station app did not move on from {:?} with the answer {answer:?}", app.screen);
        }
    }
    runtime.join();
    while let Ok(msg) = runtime.rx.try_recv() {
        let _ = app.update(msg);
    }
    if app.delivery == Some(Delivery::Sending) {
        bail!("the certificate was not delivered before the end");
    }
    Ok(BatchReport { app, notices })
}
