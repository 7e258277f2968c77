//! What a certificate says in the words of the standards auditors read: IEEE 2883-2022's
//! sanitization method (Clear, Purge, Destruct) and technique per interface, and NIST SP 800-88's
//! post-sanitization confidentiality. Pure functions of what the certificate already records, so
//! the derived words cannot disagree with the signed facts (docs/certificate.md, "Standards
//! mapping", lists every field against NIST SP 800-88 Rev. 1 Appendix G, Rev. 2 and IEEE 2883).

use serde::Serialize;

use crate::model::{Category, Certificate, DiskRecord, Outcome, Technique, Transport};

/// IEEE 2883-2022 §5's sanitization methods (ISO/IEC 27040's Clear, Purge, Destruct).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ieee2883Method {
    /// Logical techniques on every user-addressable location, against simple non-invasive
    /// recovery through the host interface.
    Clear,
    /// Techniques on addressable and non-addressable locations, against state-of-the-art
    /// laboratory recovery, leaving the medium usable.
    Purge,
    /// Making the medium unusable (a station never does this; listed for the mapping).
    Destruct,
}

impl Ieee2883Method {
    /// `Clear`, `Purge`, `Destruct`: the standard's own words, in both languages.
    pub fn as_str(self) -> &'static str {
        match self {
            Ieee2883Method::Clear => "Clear",
            Ieee2883Method::Purge => "Purge",
            Ieee2883Method::Destruct => "Destruct",
        }
    }
}

/// A disk's sanitization in IEEE 2883-2022's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ieee2883Terms {
    /// Clear or Purge.
    pub method: Ieee2883Method,
    /// The interface the commands went through: `ATA`, `NVMe`, `SCSI`, `eMMC/SD`, or `virtual`.
    pub interface: &'static str,
    /// The technique, named by its command as IEEE 2883's per-interface clauses do, e.g.
    /// `Sanitize Crypto Erase`, `SANITIZE CRYPTO SCRAMBLE EXT`, `Overwrite (WRITE commands)`.
    pub technique: &'static str,
}

/// The interface a disk's commands went through. Behind a USB bridge the station writes through
/// SCSI (USB mass storage, SAT for ATA pass-through), so an overwrite there is a SCSI overwrite.
pub fn interface(transport: Transport) -> &'static str {
    match transport {
        Transport::Ata => "ATA",
        Transport::Nvme => "NVMe",
        Transport::Scsi | Transport::Usb => "SCSI",
        Transport::Mmc => "eMMC/SD",
        Transport::Virtio | Transport::Loop | Transport::File | Transport::Unknown => "virtual",
    }
}

/// The IEEE 2883-2022 method and technique of a disk's sanitization, from its recorded category,
/// technique and method name (`sanitize::purge` names each firmware command; any other name is
/// an overwrite pattern). The method follows the `category` the station recorded: the station's
/// Purge policy (`sanitize::firmware::policy`) only runs commands IEEE 2883 lists as Purge, and an
/// overwrite is Clear.
pub fn ieee2883(disk: &DiskRecord) -> Ieee2883Terms {
    let s = &disk.sanitization;
    let method = match s.category {
        Category::Clear => Ieee2883Method::Clear,
        Category::Purge => Ieee2883Method::Purge,
    };
    let technique = match s.method.as_str() {
        "nvme-sanitize-crypto" => "Sanitize Crypto Erase",
        "nvme-sanitize-block" => "Sanitize Block Erase",
        "nvme-sanitize-overwrite" => "Sanitize Overwrite",
        "nvme-format-crypto" => "Format NVM, Cryptographic Erase",
        "nvme-format-user-data" => "Format NVM, User Data Erase",
        "ata-sanitize-crypto" => "SANITIZE CRYPTO SCRAMBLE EXT",
        "ata-sanitize-block" => "SANITIZE BLOCK ERASE EXT",
        "ata-sanitize-overwrite" => "SANITIZE OVERWRITE EXT",
        "ata-security-erase-enhanced" => "SECURITY ERASE UNIT (enhanced)",
        "ata-security-erase" => "SECURITY ERASE UNIT (normal)",
        _ => match s.technique {
            Technique::Overwrite => "Overwrite (WRITE commands)",
            Technique::BlockErase => "Block erase",
            Technique::CryptoErase => "Cryptographic erase",
            Technique::SecureErase => "SECURITY ERASE UNIT",
        },
    };
    Ieee2883Terms { method, interface: interface(disk.transport), technique }
}

/// NIST SP 800-88 Rev. 1 Appendix G's "Post-Sanitization Confidentiality Categorization", as a
/// donor's unit allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostClassification {
    /// Every disk sanitized and verified: no user data remains, the unit may go to anyone.
    Public,
    /// Not every disk was sanitized and verified: the unit still holds the donor's data and stays
    /// as confidential as it was.
    Confidential,
}

impl PostClassification {
    /// The post-sanitization categorization of a certificate's unit: derived from `result`
    /// (only `sanitized` makes it public), never stored, so it cannot contradict the disks.
    pub fn of(certificate: &Certificate) -> PostClassification {
        if certificate.result == Outcome::Sanitized {
            PostClassification::Public
        } else {
            PostClassification::Confidential
        }
    }

    /// `public` or `confidential`.
    pub fn as_str(self) -> &'static str {
        match self {
            PostClassification::Public => "public",
            PostClassification::Confidential => "confidential",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example;
    use crate::model::{MediaType, SanitizeResult};

    #[test]
    fn an_overwrite_is_clear_through_the_disks_interface() {
        let mut c = example::certificate("WD-1");
        let t = ieee2883(&c.disks[0]);
        assert_eq!(
            t,
            Ieee2883Terms {
                method: Ieee2883Method::Clear,
                interface: "ATA",
                technique: "Overwrite (WRITE commands)"
            }
        );
        c.disks[0].transport = Transport::Usb;
        assert_eq!(ieee2883(&c.disks[0]).interface, "SCSI");
    }

    #[test]
    fn each_firmware_purge_gets_its_command_name() {
        let mut c = example::certificate("S1");
        let d = &mut c.disks[0];
        d.transport = Transport::Nvme;
        d.sanitization.category = Category::Purge;
        d.sanitization.technique = Technique::CryptoErase;
        for (method, technique) in [
            ("nvme-sanitize-crypto", "Sanitize Crypto Erase"),
            ("nvme-sanitize-block", "Sanitize Block Erase"),
            ("nvme-format-crypto", "Format NVM, Cryptographic Erase"),
            ("nvme-format-user-data", "Format NVM, User Data Erase"),
            ("ata-sanitize-crypto", "SANITIZE CRYPTO SCRAMBLE EXT"),
            ("ata-sanitize-block", "SANITIZE BLOCK ERASE EXT"),
            ("ata-security-erase-enhanced", "SECURITY ERASE UNIT (enhanced)"),
            ("ata-security-erase", "SECURITY ERASE UNIT (normal)"),
        ] {
            d.sanitization.method = method.into();
            let t = ieee2883(d);
            assert_eq!((t.method, t.technique), (Ieee2883Method::Purge, technique), "{method}");
        }
    }

    #[test]
    fn the_media_type_comes_from_transport_and_rotation() {
        assert_eq!(MediaType::derive(Transport::Ata, Some(true)), MediaType::Hdd);
        assert_eq!(MediaType::derive(Transport::Ata, Some(false)), MediaType::Ssd);
        assert_eq!(MediaType::derive(Transport::Scsi, None), MediaType::Unknown);
        assert_eq!(MediaType::derive(Transport::Nvme, Some(true)), MediaType::Nvme);
        // A USB bridge answers for the disk behind it: its rotation flag is not the disk's.
        assert_eq!(MediaType::derive(Transport::Usb, Some(false)), MediaType::Usb);
        assert_eq!(MediaType::derive(Transport::Mmc, Some(false)), MediaType::FlashCard);
        assert_eq!(MediaType::derive(Transport::Loop, Some(false)), MediaType::Virtual);
    }

    #[test]
    fn only_a_sanitized_unit_is_public_after_the_wipe() {
        let mut c = example::certificate("S1");
        assert_eq!(PostClassification::of(&c), PostClassification::Public);
        c.disks[0].sanitization.result = SanitizeResult::NotVerified;
        c.result = Outcome::from_disks(&c.disks);
        assert_eq!(PostClassification::of(&c), PostClassification::Confidential);
    }
}
