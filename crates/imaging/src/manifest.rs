//! The image catalogue: which images a workshop offers, signed with its image key.
//!
//! File form, like the certificate's (`certificate::SignedDocument`):
//! `{"catalogue": {"schema": "seconde-vie/image-catalogue/v1", "images": [...]}, "signatures": [...]}`.
//! Each signature is Ed25519 (RFC 8032) over the RFC 8785 canonical bytes of the `catalogue`
//! member as received, never over a re-serialization, so no field can be added, dropped or
//! reordered past the signature. A catalogue is accepted only when one of its signatures is by
//! the image key the station was given; the image and bmap files are then held to the SHA-256
//! the catalogue lists.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use certificate::{jcs, key_id, Signature, SigningIdentity};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ImagingError, Result};

/// The value of `catalogue.schema`.
pub const CATALOGUE_SCHEMA: &str = "seconde-vie/image-catalogue/v1";

/// How a PC starts its operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BootMode {
    /// Legacy BIOS: boot code in the MBR, GRUB's core in a BIOS boot partition.
    Bios,
    /// UEFI: a loader on the EFI system partition (`\EFI\BOOT\BOOTX64.EFI` as fallback).
    Uefi,
}

/// One image the workshop offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageManifest {
    /// Short name, e.g. `debian-12-xfce`.
    pub name: String,
    /// The workshop's version of the image, e.g. `2026.11.1`.
    pub version: String,
    /// Debian architecture name, e.g. `amd64`.
    pub architecture: String,
    /// Least memory, in bytes, the system is usable with.
    pub min_ram_bytes: u64,
    /// Least disk, in bytes: at least `image_size`, more for a usable root file system.
    pub min_disk_bytes: u64,
    /// The image file's name as published (`debian-12-xfce.img.zst`).
    pub file: String,
    /// The image file's size in bytes, as published (compressed or not).
    pub size: u64,
    /// Hex SHA-256 of the image file as published.
    pub sha256: String,
    /// Size of the raw (decompressed) image in bytes.
    pub image_size: u64,
    /// The bmap file's name, if the image has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bmap: Option<String>,
    /// Hex SHA-256 of the bmap file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bmap_sha256: Option<String>,
    /// Boot modes the image supports.
    pub boot_modes: Vec<BootMode>,
}

/// The signed content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Always [`CATALOGUE_SCHEMA`].
    pub schema: String,
    /// The images, in the order the workshop prefers them.
    pub images: Vec<ImageManifest>,
}

/// A catalogue file as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCatalogue {
    /// The catalogue as JSON, exactly as signed.
    pub catalogue: Value,
    /// Signatures over its canonical bytes.
    pub signatures: Vec<Signature>,
}

fn bad(message: impl Into<String>) -> ImagingError {
    ImagingError::Manifest(message.into())
}

impl Catalogue {
    /// Signs the catalogue with the workshop's image key.
    pub fn sign(&self, key: &SigningIdentity) -> Result<SignedCatalogue> {
        let value = serde_json::to_value(self).map_err(|e| bad(e.to_string()))?;
        let canonical = jcs::canonicalize(&value).map_err(|e| bad(e.to_string()))?;
        Ok(SignedCatalogue {
            catalogue: value,
            signatures: vec![Signature {
                keyid: key.key_id(),
                public_key: key.public_key_base64(),
                sig: BASE64.encode(key.sign_bytes(&canonical)),
            }],
        })
    }

    /// The entry for an image file name, or the only entry of a one-image catalogue.
    pub fn find(&self, file_name: Option<&str>) -> Result<&ImageManifest> {
        if let Some(name) = file_name {
            if let Some(m) = self.images.iter().find(|m| m.file == name) {
                return Ok(m);
            }
        }
        match self.images.as_slice() {
            [only] => Ok(only),
            _ => Err(bad(format!(
                "no image named {:?} in the catalogue (it lists: {})",
                file_name.unwrap_or(""),
                self.images.iter().map(|m| m.file.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

impl SignedCatalogue {
    /// Parses a catalogue file.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not a signed catalogue: {e}")))
    }

    /// The file as pretty JSON with a final newline.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Verifies that `trusted` signed this catalogue, then checks its content. Signatures by
    /// other keys are ignored; a bad signature by the trusted key, or none at all, refuses it.
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<Catalogue> {
        let trusted_id = key_id(trusted);
        let canonical = jcs::canonicalize(&self.catalogue).map_err(|e| bad(e.to_string()))?;
        let mut by_trusted =
            self.signatures.iter().filter(|s| s.keyid.eq_ignore_ascii_case(&trusted_id)).peekable();
        if by_trusted.peek().is_none() {
            return Err(bad(format!("not signed by the image key {trusted_id}")));
        }
        for s in by_trusted {
            let raw =
                BASE64.decode(s.sig.trim()).map_err(|e| bad(format!("signature is not base64: {e}")))?;
            let sig = ed25519_dalek::Signature::from_slice(&raw).map_err(|_| {
                bad(format!("signature has {} bytes, an Ed25519 signature has 64", raw.len()))
            })?;
            trusted.verify_strict(&canonical, &sig).map_err(|_| {
                bad(format!(
                    "the signature by image key {trusted_id} does not match: the catalogue was altered after signing"
                ))
            })?;
        }
        let catalogue: Catalogue = serde_json::from_value(self.catalogue.clone())
            .map_err(|e| bad(format!("signed, but malformed: {e}")))?;
        if catalogue.schema != CATALOGUE_SCHEMA {
            return Err(bad(format!("schema is {:?}, expected {CATALOGUE_SCHEMA:?}", catalogue.schema)));
        }
        for m in &catalogue.images {
            let hashes = std::iter::once(&m.sha256).chain(m.bmap_sha256.as_ref());
            if hashes.into_iter().any(|h| crate::bmap::parse_sha256(h).is_none()) {
                return Err(bad(format!("image {}: a sha256 is not 64 hex digits", m.name)));
            }
            if m.bmap.is_some() != m.bmap_sha256.is_some() {
                return Err(bad(format!("image {}: bmap and bmap_sha256 go together", m.name)));
            }
        }
        Ok(catalogue)
    }
}

/// What is known of the unit an image is chosen for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitCapacity {
    /// Installed memory in bytes.
    pub ram_bytes: u64,
    /// Size of the target disk in bytes.
    pub disk_bytes: u64,
    /// Debian architecture name, when known.
    pub architecture: Option<String>,
    /// How the unit boots, when known.
    pub boot_mode: Option<BootMode>,
}

/// The images that fit the unit (enough RAM and disk, its architecture and boot mode), most
/// demanding first: on a 2 GB machine a lighter desktop comes out ahead of nothing, on an 8 GB
/// one the fuller desktop comes first. Ties keep catalogue order.
pub fn images_that_fit<'a>(catalogue: &'a Catalogue, unit: &UnitCapacity) -> Vec<&'a ImageManifest> {
    let mut fit: Vec<&ImageManifest> = catalogue
        .images
        .iter()
        .filter(|m| m.min_ram_bytes <= unit.ram_bytes)
        .filter(|m| m.min_disk_bytes.max(m.image_size) <= unit.disk_bytes)
        .filter(|m| unit.architecture.as_ref().is_none_or(|a| *a == m.architecture))
        .filter(|m| unit.boot_mode.is_none_or(|b| m.boot_modes.contains(&b)))
        .collect();
    fit.sort_by_key(|m| std::cmp::Reverse(m.min_ram_bytes));
    fit
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn image(name: &str, ram_gib: u64, disk_gib: u64) -> ImageManifest {
        ImageManifest {
            name: name.into(),
            version: "2026.11.1".into(),
            architecture: "amd64".into(),
            min_ram_bytes: ram_gib * GIB,
            min_disk_bytes: disk_gib * GIB,
            file: format!("{name}.img.zst"),
            size: 1234,
            sha256: "ab".repeat(32),
            image_size: 4 * GIB,
            bmap: Some(format!("{name}.bmap")),
            bmap_sha256: Some("cd".repeat(32)),
            boot_modes: vec![BootMode::Bios, BootMode::Uefi],
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue {
            schema: CATALOGUE_SCHEMA.into(),
            images: vec![image("mint-xfce", 4, 20), image("debian-lxqt", 2, 16), image("emmabuntus", 1, 12)],
        }
    }

    fn key(seed: u8) -> SigningIdentity {
        SigningIdentity::from_seed(&[seed; 32])
    }

    #[test]
    fn a_signed_catalogue_verifies_with_its_key_after_a_json_round_trip() {
        let signed = catalogue().sign(&key(1)).expect("signs");
        let reread = SignedCatalogue::from_json(&signed.to_json_pretty()).expect("parses");
        assert_eq!(reread.verify(&key(1).public_key()).expect("verifies"), catalogue());
    }

    #[test]
    fn another_key_or_an_altered_catalogue_is_refused() {
        let signed = catalogue().sign(&key(1)).expect("signs");
        let err = signed.verify(&key(2).public_key()).expect_err("wrong key").to_string();
        assert!(err.contains("not signed by the image key"), "{err}");

        let mut altered = signed.clone();
        altered.catalogue["images"][1]["min_ram_bytes"] = Value::from(GIB);
        let err = altered.verify(&key(1).public_key()).expect_err("altered").to_string();
        assert!(err.contains("does not match"), "{err}");

        // A signature by the trusted key id, but made by another key, is refused too.
        let mut forged = catalogue().sign(&key(2)).expect("signs");
        forged.signatures[0].keyid = key(1).key_id();
        assert!(forged.verify(&key(1).public_key()).is_err());
    }

    #[test]
    fn images_are_offered_by_what_the_unit_can_run() {
        let c = catalogue();
        let names = |unit: UnitCapacity| {
            images_that_fit(&c, &unit).iter().map(|m| m.name.clone()).collect::<Vec<_>>()
        };
        let unit =
            |ram, disk| UnitCapacity { ram_bytes: ram * GIB, disk_bytes: disk * GIB, ..Default::default() };
        assert_eq!(names(unit(8, 500)), ["mint-xfce", "debian-lxqt", "emmabuntus"]);
        assert_eq!(names(unit(2, 500)), ["debian-lxqt", "emmabuntus"]);
        assert_eq!(names(unit(8, 14)), ["emmabuntus"]);
        assert!(names(unit(1, 8)).is_empty());
        let arm = UnitCapacity { architecture: Some("arm64".into()), ..unit(8, 500) };
        assert!(names(arm).is_empty());
    }

    #[test]
    fn find_picks_by_file_name_or_the_only_image() {
        let c = catalogue();
        assert_eq!(c.find(Some("emmabuntus.img.zst")).expect("found").name, "emmabuntus");
        assert!(c.find(Some("other.img")).is_err());
        let one = Catalogue { schema: CATALOGUE_SCHEMA.into(), images: vec![image("solo", 1, 1)] };
        assert_eq!(one.find(Some("renamed.img.zst")).expect("only one").name, "solo");
    }
}
