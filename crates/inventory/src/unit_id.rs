//! A stable identifier for a unit, derived from the first identifier that is real.
//!
//! Many donated PCs carry no usable system serial (white-box boards say "To Be Filled By O.E.M.",
//! some OEM boards are blank), so the id falls back, in order, to the system serial (SMBIOS type
//! 1), the board serial (type 2), the permanent MAC address of the wired network card, and the
//! sorted serial numbers of the disks. Placeholders (see [`crate::is_placeholder`]) never count.
//! The chosen value is hashed with SHA-256 (FIPS 180-4) so the id has one shape whatever its
//! source, and the source is named so a refurbisher knows how far to trust it: a disk swap
//! changes a disk-derived id.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::dmi::is_placeholder;

/// Where a [`UnitId`] came from, most trustworthy first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitIdSource {
    /// SMBIOS system serial number (type 1).
    SystemSerial,
    /// SMBIOS baseboard serial number (type 2).
    BoardSerial,
    /// MAC address of the wired network interface.
    WiredMac,
    /// Serial numbers of the disks, sorted.
    DiskSerials,
}

/// A stable, hashed identifier and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitId {
    /// `sv1-` and the first 24 hex digits (96 bits) of SHA-256 over `source:value`.
    pub id: String,
    /// What it was derived from.
    pub source: UnitIdSource,
}

/// The facts a [`UnitId`] may be derived from, as read (placeholders included: they are
/// filtered here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityFacts {
    /// System serial.
    pub system_serial: Option<String>,
    /// Board serial.
    pub board_serial: Option<String>,
    /// Permanent MAC of the wired NIC (`aa:bb:cc:dd:ee:ff`).
    pub wired_mac: Option<String>,
    /// Serials of the disks.
    pub disk_serials: Vec<String>,
}

fn real(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !is_placeholder(s)).map(str::to_owned)
}

fn real_mac(v: &Option<String>) -> Option<String> {
    let mac = v.as_deref()?.trim().to_ascii_lowercase();
    let bytes: Vec<u8> = mac.split(':').filter_map(|b| u8::from_str_radix(b, 16).ok()).collect();
    // All-zero, broadcast and locally administered (random, virtual) addresses are not the card's.
    let ok = bytes.len() == 6
        && bytes.iter().any(|b| *b != 0)
        && bytes.iter().any(|b| *b != 0xff)
        && bytes[0] & 0x02 == 0;
    ok.then_some(mac)
}

/// Derives the unit id, or `None` when nothing real is known.
pub fn derive_unit_id(facts: &IdentityFacts) -> Option<UnitId> {
    let (source, value) = if let Some(s) = real(&facts.system_serial) {
        (UnitIdSource::SystemSerial, s.to_ascii_uppercase())
    } else if let Some(s) = real(&facts.board_serial) {
        (UnitIdSource::BoardSerial, s.to_ascii_uppercase())
    } else if let Some(m) = real_mac(&facts.wired_mac) {
        (UnitIdSource::WiredMac, m)
    } else {
        let mut serials: Vec<String> = facts
            .disk_serials
            .iter()
            .map(|s| s.trim())
            .filter(|s| !is_placeholder(s))
            .map(str::to_ascii_uppercase)
            .collect();
        if serials.is_empty() {
            return None;
        }
        serials.sort();
        serials.dedup();
        (UnitIdSource::DiskSerials, serials.join(","))
    };
    let tag = match source {
        UnitIdSource::SystemSerial => "system-serial",
        UnitIdSource::BoardSerial => "board-serial",
        UnitIdSource::WiredMac => "wired-mac",
        UnitIdSource::DiskSerials => "disk-serials",
    };
    let digest = Sha256::digest(format!("{tag}:{value}").as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    Some(UnitId { id: format!("sv1-{hex}"), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(sys: Option<&str>, board: Option<&str>, mac: Option<&str>, disks: &[&str]) -> IdentityFacts {
        IdentityFacts {
            system_serial: sys.map(str::to_owned),
            board_serial: board.map(str::to_owned),
            wired_mac: mac.map(str::to_owned),
            disk_serials: disks.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn system_serial_first() {
        let id =
            derive_unit_id(&facts(Some("R86W27P"), Some("1ZHRZ05562E"), Some("00:1c:25:aa:bb:cc"), &["X"]))
                .expect("id");
        assert_eq!(id.source, UnitIdSource::SystemSerial);
        assert!(id.id.starts_with("sv1-") && id.id.len() == 28, "{}", id.id);
        // Case and surrounding spaces do not change it.
        let again = derive_unit_id(&facts(Some(" r86w27p "), None, None, &[])).expect("id");
        assert_eq!(again, id);
    }

    #[test]
    fn placeholders_fall_through_in_order() {
        let board = derive_unit_id(&facts(Some("To be filled by O.E.M."), Some("1ZHRZ05562E"), None, &[]));
        assert_eq!(board.map(|i| i.source), Some(UnitIdSource::BoardSerial));
        let mac = derive_unit_id(&facts(
            Some("Default string"),
            Some("Default string"),
            Some("00:1C:25:AA:BB:CC"),
            &["S1"],
        ));
        let mac = mac.expect("id");
        assert_eq!(mac.source, UnitIdSource::WiredMac);
        assert_eq!(derive_unit_id(&facts(None, None, Some("00:1c:25:aa:bb:cc"), &[])), Some(mac));
    }

    #[test]
    fn random_or_empty_macs_are_not_identities() {
        for bad in ["00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "02:42:ac:11:00:02", "nonsense"] {
            let id = derive_unit_id(&facts(None, None, Some(bad), &["WD-B", "WD-A"]));
            assert_eq!(id.map(|i| i.source), Some(UnitIdSource::DiskSerials), "{bad}");
        }
    }

    #[test]
    fn disk_serials_are_order_independent() {
        let a = derive_unit_id(&facts(None, None, None, &["WD-B", "WD-A"]));
        let b = derive_unit_id(&facts(None, None, None, &["wd-a", "WD-B", "0000000000"]));
        assert_eq!(a, b);
        assert_eq!(derive_unit_id(&facts(None, Some(""), None, &["   "])), None);
    }

    #[test]
    fn sources_never_collide() {
        let s = derive_unit_id(&facts(Some("ABC123"), None, None, &[])).expect("id");
        let d = derive_unit_id(&facts(None, None, None, &["ABC123"])).expect("id");
        assert_ne!(s.id, d.id);
    }
}
