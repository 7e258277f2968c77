//! Which Purge method to use for a disk, with the reason in words.
//!
//! The order follows NIST SP 800-88 Rev. 1 Appendix A (Table A-8) and IEEE 2883-2022 (which lists the same
//! commands as Purge for ATA and NVMe): a
//! cryptographic erase or a sanitize operation that covers the whole medium first, then the
//! older format and security erase commands, and Clear by overwrite only when no firmware Purge
//! is usable.

use std::time::Duration;

use super::{Capabilities, PurgeMethod};

/// What the wipe engine should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedAction {
    /// Purge with this firmware command.
    Firmware(PurgeMethod),
    /// Clear by overwrite (the existing [`crate::sanitize`] path).
    Overwrite,
}

/// The chosen action, why, and what the operator should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgePlan {
    /// The action.
    pub action: PlannedAction,
    /// Why, in words, naming the methods passed over and why they were.
    pub reason: String,
    /// The disk's own estimate of the time needed, when it gave one.
    pub estimated: Option<Duration>,
    /// Things the operator or the certificate should record.
    pub warnings: Vec<String>,
}

/// The preference order: NVMe Sanitize (Crypto Erase, Block Erase), NVMe Format NVM
/// (Cryptographic Erase, User Data Erase), ATA SANITIZE (CRYPTO SCRAMBLE, BLOCK ERASE), ATA
/// SECURITY ERASE UNIT (enhanced, normal).
pub const PREFERENCE: [PurgeMethod; 8] = [
    PurgeMethod::NvmeSanitizeCryptoErase,
    PurgeMethod::NvmeSanitizeBlockErase,
    PurgeMethod::NvmeFormatCryptoErase,
    PurgeMethod::NvmeFormatUserDataErase,
    PurgeMethod::AtaSanitizeCryptoScramble,
    PurgeMethod::AtaSanitizeBlockErase,
    PurgeMethod::AtaEnhancedSecurityErase,
    PurgeMethod::AtaSecurityErase,
];

/// Chooses the first method of [`PREFERENCE`] the disk supports and can run now; otherwise
/// Clear by overwrite. Pure: it reads only `caps`.
pub fn choose(caps: &Capabilities) -> PurgePlan {
    let mut passed_over = Vec::new();
    let mut chosen = None;
    for method in PREFERENCE.iter().copied().filter(|m| m.transport() == caps.transport) {
        match caps.methods.iter().find(|s| s.method == method) {
            None => passed_over.push(format!("{} is not supported", method.describe())),
            Some(s) => match &s.blocked {
                Some(why) => {
                    passed_over.push(format!("{} is supported but cannot run now: {why}", method.describe()))
                }
                None => {
                    chosen = Some(s);
                    break;
                }
            },
        }
    }
    let mut warnings = Vec::new();
    if let Some(h) = caps.hpa.filter(|h| h.hidden_sectors() > 0) {
        warnings.push(format!(
            "a Host Protected Area hides {} sectors (accessible max LBA {}, native max LBA {}): \
             read-back verification and overwrite reach only the accessible part",
            h.hidden_sectors(),
            h.current_max_lba,
            h.native_max_lba
        ));
    }
    if let Some(h) = caps.hpa.filter(|h| h.factory_max_lba.is_some_and(|f| f > h.native_max_lba)) {
        warnings.push(format!(
            "a Device Configuration Overlay shrinks the disk: factory max LBA {}, native max LBA {}",
            h.factory_max_lba.unwrap_or_default(),
            h.native_max_lba
        ));
    }
    if caps.ata_security.is_some_and(|s| s.locked) {
        warnings.push(
            "the disk is locked by an ATA password: it refuses reads and writes too, so overwrite \
             will fail; without the password it can only be destroyed"
                .into(),
        );
    }
    let skipped = if passed_over.is_empty() {
        String::new()
    } else {
        format!(" Passed over: {}.", passed_over.join("; "))
    };
    match chosen {
        Some(s) => {
            if matches!(s.method, PurgeMethod::NvmeFormatCryptoErase | PurgeMethod::NvmeFormatUserDataErase)
                && caps.nvme_format_all_namespaces
            {
                warnings.push("the controller applies Format NVM to all its namespaces".into());
            }
            let estimate = s
                .estimated
                .map(|d| format!(" The disk estimates {} minutes.", d.as_secs().div_ceil(60)))
                .unwrap_or_default();
            PurgePlan {
                action: PlannedAction::Firmware(s.method),
                reason: format!(
                    "Purge by {}: the most preferred method this disk supports and can run now.{estimate}{skipped}",
                    s.method.describe()
                ),
                estimated: s.estimated,
                warnings,
            }
        }
        None => PurgePlan {
            action: PlannedAction::Overwrite,
            reason: format!(
                "No firmware Purge method is usable on this disk, so it gets Clear by overwrite \
                 (NIST SP 800-88 Rev. 1 Clear, not Purge).{skipped}"
            ),
            estimated: None,
            warnings,
        },
    }
}
