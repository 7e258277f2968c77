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
}

/// The PIN as stored. A PIN of a few digits only keeps a curious hand out of the supervisor
/// screens; it is not a secret against someone who holds the USB stick, and is not treated as one.
pub fn pin_hash(pin: &str) -> String {
    hex::encode(Sha256::digest(format!("seconde-vie-station-pin:{pin}").as_bytes()))
}

impl Settings {
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
