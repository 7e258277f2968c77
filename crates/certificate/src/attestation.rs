//! The "reconditionné" attestation: whether a certificate shows what décret n° 2022-190 du
//! 17 février 2022 (art. 1, creating art. R. 122-4 of the code de la consommation) asks before a
//! product may be called "reconditionné": tests of all its functions (1°), and the deletion of
//! all data of a previous user (2°); and, for a computer given to someone, a working system.
//!
//! [`reconditionne`] is a pure function of the signed certificate. The attestation is computed
//! wherever it is shown (station, registry page, PDF, lot report), never stored, so it cannot
//! disagree with the certificate it reads.
//!
//! ```
//! use certificate::attestation::{reconditionne, Language};
//! let c = certificate::example::certificate("WD-1");
//! let a = reconditionne(&c);
//! assert!(!a.granted); // the example has no functional checks and no system
//! assert!(a.line(Language::Fr).starts_with("Pas encore reconditionné : "));
//! ```

use crate::model::{Certificate, CheckStatus, Checks, DiskRecord, HardwareTestKind, SanitizeResult};

/// The language of the attestation's sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// French, the donor's and the buyer's language first.
    Fr,
    /// English.
    En,
}

/// A functional check of [`Checks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// The screen.
    Screen,
    /// The keyboard.
    Keyboard,
    /// The sound.
    Sound,
    /// The USB ports.
    Usb,
    /// The battery.
    Battery,
}

impl Function {
    fn words(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Function::Screen, Language::Fr) => "de l'écran",
            (Function::Keyboard, Language::Fr) => "du clavier",
            (Function::Sound, Language::Fr) => "du son",
            (Function::Usb, Language::Fr) => "des ports USB",
            (Function::Battery, Language::Fr) => "de la batterie",
            (Function::Screen, Language::En) => "screen",
            (Function::Keyboard, Language::En) => "keyboard",
            (Function::Sound, Language::En) => "sound",
            (Function::Usb, Language::En) => "USB",
            (Function::Battery, Language::En) => "battery",
        }
    }
}

/// What the attestation rests on, when granted (and what is already there, when not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ground {
    /// The worker's functional checks: how many passed (the others do not apply to this unit).
    FunctionsTested {
        /// Checks that passed.
        passed: usize,
        /// Checks that do not apply (no battery in a desktop).
        not_applicable: usize,
    },
    /// The station's own hardware tests that ran, none failed.
    HardwareTested {
        /// How many passed.
        passed: usize,
    },
    /// A disk sanitized and verified.
    DiskVerified {
        /// Its serial number, or its path when the serial is unknown.
        disk: String,
    },
    /// The operating system written and read back.
    SystemVerified {
        /// The image's name and version, or where it was read from.
        name: String,
    },
}

/// Something the attestation still lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The certificate holds no functional checks (made without the station app).
    NoChecks,
    /// A functional check failed.
    CheckFailed(Function),
    /// A functional check was not done.
    CheckSkipped(Function),
    /// A hardware test of the station failed.
    HardwareTestFailed {
        /// What was tested.
        kind: HardwareTestKind,
        /// The device, for a disk or a battery.
        device: Option<String>,
    },
    /// No disk was sanitized.
    NoDisk,
    /// A disk was written over but not verified.
    DiskNotVerified {
        /// Its serial number, or its path.
        disk: String,
    },
    /// A disk's sanitization failed.
    DiskFailed {
        /// Its serial number, or its path.
        disk: String,
    },
    /// A disk's sanitization was interrupted.
    DiskInterrupted {
        /// Its serial number, or its path.
        disk: String,
    },
    /// No operating system was written.
    NoSystem,
    /// Writing the operating system failed.
    SystemFailed,
    /// The system was written but not read back.
    SystemNotVerified,
}

/// Whether a unit may be called "reconditionné", with what that rests on or what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// Every condition holds.
    pub granted: bool,
    /// The evidence present, in the order of the sentence.
    pub rests_on: Vec<Ground>,
    /// What is missing; empty exactly when `granted`.
    pub missing: Vec<Missing>,
}

fn disk_name(d: &DiskRecord) -> String {
    d.serial.value().cloned().unwrap_or_else(|| d.path.clone())
}

fn checks(c: &Checks) -> [(Function, CheckStatus); 5] {
    [
        (Function::Screen, c.screen.status),
        (Function::Keyboard, c.keyboard.status),
        (Function::Sound, c.sound.status),
        (Function::Usb, c.usb.status),
        (Function::Battery, c.battery.status),
    ]
}

/// The system written, from the certificate's `image` member: `Ok(name)` when it was written and
/// read back, else what is missing. The member is the imaging record (`imaging::ImagingRecord`
/// as JSON: `verification.result` is `verified` or `not-verified`) or a failed attempt
/// (`"result": "failed"`).
fn system(image: Option<&serde_json::Value>) -> Result<String, Missing> {
    let Some(image) = image.filter(|v| !v.is_null()) else { return Err(Missing::NoSystem) };
    if image.get("result").and_then(|r| r.as_str()) == Some("failed") {
        return Err(Missing::SystemFailed);
    }
    if image.pointer("/verification/result").and_then(|r| r.as_str()) != Some("verified") {
        return Err(Missing::SystemNotVerified);
    }
    let text = |p: &str| image.pointer(p).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    Ok(match (text("/image/name"), text("/image/version")) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.to_owned(),
        _ => text("/image/source").unwrap_or("?").to_owned(),
    })
}

/// The attestation for a certificate: granted when every functional check passed or does not
/// apply, no hardware test failed, there is at least one disk and every disk is sanitized and
/// verified ([`crate::SanitizeRecord::is_verified`]), and the system image was written and read
/// back.
pub fn reconditionne(c: &Certificate) -> Attestation {
    let mut rests_on = Vec::new();
    let mut missing = Vec::new();
    match &c.checks {
        None => missing.push(Missing::NoChecks),
        Some(ch) => {
            let (mut passed, mut not_applicable) = (0, 0);
            for (f, status) in checks(ch) {
                match status {
                    CheckStatus::Pass => passed += 1,
                    CheckStatus::NotApplicable => not_applicable += 1,
                    CheckStatus::Fail => missing.push(Missing::CheckFailed(f)),
                    CheckStatus::Skipped => missing.push(Missing::CheckSkipped(f)),
                }
            }
            if passed + not_applicable == 5 {
                rests_on.push(Ground::FunctionsTested { passed, not_applicable });
            }
        }
    }
    let failed: Vec<_> = c.hardware_tests.iter().filter(|t| t.status == CheckStatus::Fail).collect();
    for t in &failed {
        missing.push(Missing::HardwareTestFailed { kind: t.kind, device: t.device.clone() });
    }
    let passed = c.hardware_tests.iter().filter(|t| t.status == CheckStatus::Pass).count();
    if failed.is_empty() && passed > 0 {
        rests_on.push(Ground::HardwareTested { passed });
    }
    if c.disks.is_empty() {
        missing.push(Missing::NoDisk);
    }
    for d in &c.disks {
        let disk = disk_name(d);
        if d.sanitization.is_verified() {
            rests_on.push(Ground::DiskVerified { disk });
        } else {
            missing.push(match d.sanitization.result {
                SanitizeResult::Failed => Missing::DiskFailed { disk },
                SanitizeResult::Interrupted => Missing::DiskInterrupted { disk },
                SanitizeResult::Verified | SanitizeResult::NotVerified => Missing::DiskNotVerified { disk },
            });
        }
    }
    match system(c.image.as_ref()) {
        Ok(name) => rests_on.push(Ground::SystemVerified { name }),
        Err(m) => missing.push(m),
    }
    Attestation { granted: missing.is_empty(), rests_on, missing }
}

fn kind_words(kind: HardwareTestKind, lang: Language) -> &'static str {
    match (kind, lang) {
        (HardwareTestKind::Cpu, Language::Fr) => "du processeur",
        (HardwareTestKind::Memory, Language::Fr) => "de la mémoire",
        (HardwareTestKind::Disk, Language::Fr) => "du disque",
        (HardwareTestKind::Battery, Language::Fr) => "de la batterie",
        (HardwareTestKind::Network, Language::Fr) => "du réseau",
        (HardwareTestKind::Cpu, Language::En) => "processor",
        (HardwareTestKind::Memory, Language::En) => "memory",
        (HardwareTestKind::Disk, Language::En) => "disk",
        (HardwareTestKind::Battery, Language::En) => "battery",
        (HardwareTestKind::Network, Language::En) => "network",
    }
}

impl Missing {
    /// What is missing, in words the donor and the buyer read.
    pub fn words(&self, lang: Language) -> String {
        use Language::{En, Fr};
        match (self, lang) {
            (Missing::NoChecks, Fr) => "les fonctions n'ont pas été testées".into(),
            (Missing::NoChecks, En) => "the functions were not tested".into(),
            (Missing::CheckFailed(f), Fr) => format!("le test {} a échoué", f.words(Fr)),
            (Missing::CheckFailed(f), En) => format!("the {} test failed", f.words(En)),
            (Missing::CheckSkipped(f), Fr) => format!("le test {} n'a pas été fait", f.words(Fr)),
            (Missing::CheckSkipped(f), En) => format!("the {} test was not done", f.words(En)),
            (Missing::HardwareTestFailed { kind, device }, Fr) => {
                let on = device.as_ref().map(|d| format!(" ({d})")).unwrap_or_default();
                format!("le test {}{on} a échoué", kind_words(*kind, Fr))
            }
            (Missing::HardwareTestFailed { kind, device }, En) => {
                let on = device.as_ref().map(|d| format!(" ({d})")).unwrap_or_default();
                format!("the {} test{on} failed", kind_words(*kind, En))
            }
            (Missing::NoDisk, Fr) => "aucun disque effacé".into(),
            (Missing::NoDisk, En) => "no disk was erased".into(),
            (Missing::DiskNotVerified { disk }, Fr) => format!("disque {disk} effacé mais pas vérifié"),
            (Missing::DiskNotVerified { disk }, En) => format!("disk {disk} erased but not verified"),
            (Missing::DiskFailed { disk }, Fr) => format!("l'effacement du disque {disk} a échoué"),
            (Missing::DiskFailed { disk }, En) => format!("erasing disk {disk} failed"),
            (Missing::DiskInterrupted { disk }, Fr) => {
                format!("l'effacement du disque {disk} a été interrompu")
            }
            (Missing::DiskInterrupted { disk }, En) => format!("erasing disk {disk} was interrupted"),
            (Missing::NoSystem, Fr) => "aucun système installé".into(),
            (Missing::NoSystem, En) => "no system installed".into(),
            (Missing::SystemFailed, Fr) => "l'installation du système a échoué".into(),
            (Missing::SystemFailed, En) => "installing the system failed".into(),
            (Missing::SystemNotVerified, Fr) => "système installé mais pas vérifié".into(),
            (Missing::SystemNotVerified, En) => "system installed but not verified".into(),
        }
    }
}

impl Ground {
    /// The evidence, in words.
    pub fn words(&self, lang: Language) -> String {
        use Language::{En, Fr};
        match (self, lang) {
            (Ground::FunctionsTested { passed, not_applicable: 0 }, Fr) => {
                format!("{passed} fonctions testées")
            }
            (Ground::FunctionsTested { passed, not_applicable }, Fr) => {
                format!("{passed} fonctions testées ({not_applicable} sans objet)")
            }
            (Ground::FunctionsTested { passed, not_applicable: 0 }, En) => {
                format!("{passed} functions tested")
            }
            (Ground::FunctionsTested { passed, not_applicable }, En) => {
                format!("{passed} functions tested ({not_applicable} not applicable)")
            }
            (Ground::HardwareTested { passed: 1 }, Fr) => "1 test matériel réussi".into(),
            (Ground::HardwareTested { passed }, Fr) => format!("{passed} tests matériels réussis"),
            (Ground::HardwareTested { passed: 1 }, En) => "1 hardware test passed".into(),
            (Ground::HardwareTested { passed }, En) => format!("{passed} hardware tests passed"),
            (Ground::DiskVerified { disk }, Fr) => format!("disque {disk} effacé et vérifié"),
            (Ground::DiskVerified { disk }, En) => format!("disk {disk} erased and verified"),
            (Ground::SystemVerified { name }, Fr) => format!("système {name} installé et vérifié"),
            (Ground::SystemVerified { name }, En) => format!("system {name} installed and verified"),
        }
    }
}

impl Attestation {
    /// The one line the donor and the buyer read: the attestation, or what is missing.
    pub fn line(&self, lang: Language) -> String {
        let missing = || self.missing.iter().map(|m| m.words(lang)).collect::<Vec<_>>().join(" ; ");
        match (self.granted, lang) {
            (true, Language::Fr) => {
                "Reconditionné au sens du décret n° 2022-190 : toutes les fonctions testées, \
                                     toutes les données effacées et vérifiées, système installé et vérifié."
                    .into()
            }
            (true, Language::En) => {
                "Refurbished (reconditionné) under décret n° 2022-190: every function tested, \
                                     all data erased and verified, system installed and verified."
                    .into()
            }
            (false, Language::Fr) => format!("Pas encore reconditionné : {}.", missing()),
            (false, Language::En) => {
                format!("Not yet refurbished (reconditionné): {}.", missing().replace(" ; ", "; "))
            }
        }
    }

    /// What the attestation rests on, in words (`Repose sur : …`), or `None` when nothing is
    /// there yet.
    pub fn grounds(&self, lang: Language) -> Option<String> {
        if self.rests_on.is_empty() {
            return None;
        }
        let list = self.rests_on.iter().map(|g| g.words(lang)).collect::<Vec<_>>().join(", ");
        Some(match lang {
            Language::Fr => format!("Repose sur : {list}."),
            Language::En => format!("Rests on: {list}."),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example;
    use crate::model::{CheckResult, HardwareTest, Outcome, Probed};

    fn complete() -> Certificate {
        let mut c = example::certificate("WD-WCAV12345678");
        let pass = || CheckResult::new(CheckStatus::Pass);
        c.checks = Some(Checks {
            screen: pass(),
            keyboard: pass(),
            sound: pass(),
            usb: pass(),
            battery: CheckResult::new(CheckStatus::NotApplicable),
            cosmetic: None,
        });
        c.hardware_tests = vec![HardwareTest::new(HardwareTestKind::Cpu, CheckStatus::Pass)];
        c.image = Some(serde_json::json!({
            "image": {"name": "Debian", "version": "12", "source": "/images/debian.img"},
            "verification": {"method": "bmap-ranges", "result": "verified"},
        }));
        c
    }

    #[test]
    fn a_complete_certificate_is_granted_and_says_what_it_rests_on() {
        let a = reconditionne(&complete());
        assert!(a.granted, "{a:?}");
        assert!(a.missing.is_empty());
        assert_eq!(
            a.line(Language::Fr),
            "Reconditionné au sens du décret n° 2022-190 : toutes les fonctions testées, toutes les données \
             effacées et vérifiées, système installé et vérifié."
        );
        assert_eq!(
            a.grounds(Language::Fr).expect("grounds"),
            "Repose sur : 4 fonctions testées (1 sans objet), 1 test matériel réussi, disque WD-WCAV12345678 \
             effacé et vérifié, système Debian 12 installé et vérifié."
        );
        assert!(a.line(Language::En).starts_with("Refurbished (reconditionné) under décret n° 2022-190"));
    }

    fn missing_after(change: impl FnOnce(&mut Certificate)) -> Vec<Missing> {
        let mut c = complete();
        change(&mut c);
        let a = reconditionne(&c);
        assert!(!a.granted);
        assert!(a.line(Language::Fr).starts_with("Pas encore reconditionné : "));
        a.missing
    }

    #[test]
    fn each_missing_piece_is_named() {
        assert_eq!(missing_after(|c| c.checks = None), [Missing::NoChecks]);
        assert_eq!(
            missing_after(|c| c.checks.as_mut().expect("checks").keyboard.status = CheckStatus::Fail),
            [Missing::CheckFailed(Function::Keyboard)]
        );
        assert_eq!(
            missing_after(|c| c.checks.as_mut().expect("checks").sound.status = CheckStatus::Skipped),
            [Missing::CheckSkipped(Function::Sound)]
        );
        assert_eq!(
            missing_after(|c| {
                let mut t = HardwareTest::new(HardwareTestKind::Disk, CheckStatus::Fail);
                t.device = Some("/dev/sda".into());
                c.hardware_tests.push(t)
            }),
            [Missing::HardwareTestFailed { kind: HardwareTestKind::Disk, device: Some("/dev/sda".into()) }]
        );
        assert_eq!(missing_after(|c| c.disks.clear()), [Missing::NoDisk]);
        assert_eq!(
            missing_after(|c| c.disks[0].sanitization.result = SanitizeResult::NotVerified),
            [Missing::DiskNotVerified { disk: "WD-WCAV12345678".into() }]
        );
        assert_eq!(
            missing_after(|c| {
                c.disks[0].serial = Probed::unavailable("no serial");
                c.disks[0].sanitization.result = SanitizeResult::Failed
            }),
            [Missing::DiskFailed { disk: "/dev/sda".into() }]
        );
        assert_eq!(
            missing_after(|c| c.disks[0].sanitization.result = SanitizeResult::Interrupted),
            [Missing::DiskInterrupted { disk: "WD-WCAV12345678".into() }]
        );
        // "verified" written over a read-back that found a mismatch is not verified.
        assert_eq!(
            missing_after(|c| c.disks[0].sanitization.verification.mismatched_bytes = 512),
            [Missing::DiskNotVerified { disk: "WD-WCAV12345678".into() }]
        );
        assert_eq!(missing_after(|c| c.image = None), [Missing::NoSystem]);
        assert_eq!(missing_after(|c| c.image = Some(serde_json::Value::Null)), [Missing::NoSystem]);
        assert_eq!(
            missing_after(
                |c| c.image = Some(serde_json::json!({"image": "Debian", "result": "failed", "error": []}))
            ),
            [Missing::SystemFailed]
        );
        assert_eq!(
            missing_after(
                |c| c.image.as_mut().expect("image")["verification"]["result"] = "not-verified".into()
            ),
            [Missing::SystemNotVerified]
        );
    }

    #[test]
    fn the_sentence_names_everything_missing() {
        let mut c = complete();
        c.checks.as_mut().expect("checks").keyboard.status = CheckStatus::Fail;
        c.disks[0].sanitization.result = SanitizeResult::NotVerified;
        c.result = Outcome::from_disks(&c.disks);
        c.image = None;
        let a = reconditionne(&c);
        assert_eq!(
            a.line(Language::Fr),
            "Pas encore reconditionné : le test du clavier a échoué ; disque WD-WCAV12345678 effacé mais pas \
             vérifié ; aucun système installé."
        );
        assert_eq!(
            a.line(Language::En),
            "Not yet refurbished (reconditionné): the keyboard test failed; disk WD-WCAV12345678 erased but not \
             verified; no system installed."
        );
    }
}
