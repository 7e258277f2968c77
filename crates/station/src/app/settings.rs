//! The station's settings, kept in `DATA_DIR/settings.toml` on the live USB's data partition, so
//! they survive reboots. The supervisor changes them from the app (behind a PIN) or by editing the
//! file.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// What the supervisor sets once for a station.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `fr` (default) or `en`.
    pub language: Option<String>,
    /// The lot being processed, prefilled on the welcome screen.
    pub lot: Option<String>,
    /// Who works at the station (a name or a badge number).
    pub operator: Option<String>,
    /// The registry's URL, e.g. `https://registre.atelier.example`.
    pub registry: Option<String>,
    /// The station's name in certificates (else its key id).
    pub station_name: Option<String>,
    /// Wipe method: `auto` (the policy: firmware Purge where the disk supports it, else one zero
    /// pass) or an overwrite method name (`zero`, `random`, `dod-3`, …).
    pub method: Option<String>,
    /// SHA-256 of the supervisor PIN (see [`pin_hash`]); none until the supervisor picks one.
    pub pin_sha256: Option<String>,
    /// The operator's role or title, for certificates' `performed_by` (NIST SP 800-88 Rev. 1
    /// Appendix G), e.g. "opératrice de reconditionnement".
    pub operator_role: Option<String>,
    /// The workshop's organisation, e.g. "ESAT Les Ateliers du Lez".
    pub organisation: Option<String>,
    /// Where the station works, e.g. "Montpellier, atelier 2".
    pub site: Option<String>,
    /// How to reach the workshop about a certificate (a phone number, an address).
    pub contact: Option<String>,
    /// Where the units go after the wipe: `internal_reuse`, `external_reuse`, `recycling`,
    /// `manufacturer` or `unknown`; certificates leave `post_sanitization` out without it.
    pub destination: Option<certificate::Destination>,
}

/// The PIN as stored. A PIN of a few digits only keeps a curious hand out of the supervisor
/// screens; it is not a secret against someone who holds the USB stick, and is not treated as one.
pub fn pin_hash(pin: &str) -> String {
    hex::encode(Sha256::digest(format!("seconde-vie-station-pin:{pin}").as_bytes()))
}

impl Settings {
    /// The certificate's `performed_by` from these settings: `None` when none of role,
    /// organisation, site and contact is set (blank values count as unset).
    pub fn performer(&self) -> Option<certificate::Performer> {
        let set = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let p = certificate::Performer {
            role: set(&self.operator_role),
            organisation: set(&self.organisation),
            location: set(&self.site),
            contact: set(&self.contact),
        };
        (!p.is_empty()).then_some(p)
    }

    /// The certificate's `post_sanitization`, when a destination is set.
    pub fn post_sanitization(&self) -> Option<certificate::PostSanitization> {
        self.destination.map(|destination| certificate::PostSanitization { destination })
    }

    /// The settings file in a data directory.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("settings.toml")
    }

    /// Reads the settings; a missing file is the defaults, a broken one an error naming it.
    pub fn load(data_dir: &Path) -> anyhow::Result<Settings> {
        let path = Settings::path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("{} is not valid settings", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes the settings durably (temporary file, fsync, rename).
    pub fn save(&self, data_dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let text = toml::to_string(self).context("settings cannot be written as TOML")?;
        crate::spool::write_durably(&Settings::path(data_dir), text.as_bytes())
    }

    /// Whether `pin` is the supervisor's PIN.
    pub fn pin_matches(&self, pin: &str) -> bool {
        self.pin_sha256.as_deref() == Some(pin_hash(pin).as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_broken_file_is_named() {
        let dir = std::env::temp_dir().join(format!("sv-settings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(Settings::load(&dir).expect("missing file"), Settings::default());
        let s = Settings {
            language: Some("en".into()),
            lot: Some("CD34-2026-017".into()),
            pin_sha256: Some(pin_hash("4321")),
            ..Settings::default()
        };
        s.save(&dir).expect("save");
        let back = Settings::load(&dir).expect("load");
        assert_eq!(back, s);
        assert!(back.pin_matches("4321"));
        assert!(!back.pin_matches("1234"));
        std::fs::write(Settings::path(&dir), "language = [").expect("write");
        let e = format!("{:#}", Settings::load(&dir).expect_err("broken"));
        assert!(e.contains("settings.toml"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
