//! The certificate v1 domain model: a unit, its disks and what was done to each.
//!
//! docs/certificate.md is the normative description of every field; keep the two in step.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The value of `schema` in every v1 certificate.
pub const SCHEMA_V1: &str = "seconde-vie/certificate/v1";

/// A fact read from the hardware, or the reason it could not be read.
///
/// A certificate is a legal document: a field that could not be read says why, it never carries
/// a made-up value. Serialized as `{"value": …}` or `{"unavailable": "reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Probed<T> {
    /// The value as read.
    Value(T),
    /// Why the value is not known, in plain words (e.g. "permission denied reading
    /// /sys/class/dmi/id/product_serial").
    Unavailable(String),
}

impl<T> Probed<T> {
    /// The value, if it was read.
    pub fn value(&self) -> Option<&T> {
        match self {
            Probed::Value(v) => Some(v),
            Probed::Unavailable(_) => None,
        }
    }

    /// A field that could not be read, with its reason.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Probed::Unavailable(reason.into())
    }
}

impl<T: fmt::Display> fmt::Display for Probed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probed::Value(v) => v.fmt(f),
            Probed::Unavailable(why) => write!(f, "unknown ({why})"),
        }
    }
}

/// An instant in RFC 3339 form, UTC, e.g. `2026-11-23T14:03:07.120Z`.
///
/// Kept as the text that was signed so a certificate re-serializes byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    /// The current time, to the millisecond.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Parses an RFC 3339 UTC time (ending in `Z`).
    pub fn parse(text: &str) -> Result<Self, String> {
        humantime::parse_rfc3339(text)
            .map(|_| Timestamp(text.to_owned()))
            .map_err(|e| format!("{text:?} is not an RFC 3339 UTC time: {e}"))
    }

    /// The instant as a `SystemTime`.
    pub fn to_system_time(&self) -> SystemTime {
        // Only constructed from valid text, so parsing again cannot fail.
        humantime::parse_rfc3339(&self.0).unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// The RFC 3339 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        Timestamp(humantime::format_rfc3339_millis(t).to_string())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One unit after one station run: what it is, what was done to its disks, and the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Always [`SCHEMA_V1`] for this version.
    pub schema: String,
    /// Certificate id, a UUIDv7 (RFC 9562 §5.7): unique and ordered by creation time.
    pub id: Uuid,
    /// The station that did the work and the key that signs.
    pub station: StationRef,
    /// Who ran the station (a name or a badge number, as the workshop chooses).
    pub operator: String,
    /// The donor's lot this unit came in, when known.
    pub lot: Option<String>,
    /// When the run started.
    pub started_at: Timestamp,
    /// When the run finished.
    pub finished_at: Timestamp,
    /// The software that produced the certificate.
    pub tool: Tool,
    /// The unit's identity.
    pub unit: Unit,
    /// Every disk the station was asked to sanitize, in order.
    pub disks: Vec<DiskRecord>,
    /// The operating system image written after the wipe: the imaging record (`imaging::
    /// ImagingRecord` as JSON), a failed attempt (`{"image", "result": "failed", "error"}`), or
    /// `null` when no system was written.
    pub image: Option<serde_json::Value>,
    /// The unit's grade (`grading::Grade` as JSON), or `null` when the unit was not graded.
    pub grade: Option<serde_json::Value>,
    /// What the worker checked by hand on the station (screen, keyboard, sound, USB, battery,
    /// cosmetic grade). Absent from certificates made without the station app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Checks>,
    /// Tests the station ran by itself on the hardware: processor under load, memory patterns,
    /// each disk's SMART self-test and read speed, battery discharge, network. Absent when none ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hardware_tests: Vec<HardwareTest>,
    /// The outcome over all disks; see [`Outcome::from_disks`].
    pub result: Outcome,
    /// The person who performed the sanitization beyond their name (`operator`): role,
    /// organisation, site, contact (NIST SP 800-88 Rev. 1 Appendix G, "Sanitization Performed
    /// By"). Absent when the station's settings name none, so older certificates keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performed_by: Option<Performer>,
    /// Where the unit goes after the wipe, as the workshop decided at the station (NIST SP
    /// 800-88 Rev. 1 Appendix G, "Post-Sanitization Destination"). Absent when not decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_sanitization: Option<PostSanitization>,
}

/// Who performed the sanitization, besides the name in `operator` (NIST SP 800-88 Rev. 1
/// Appendix G: name, title, organisation, location, phone or other contact). Every member is
/// optional; an empty one is not written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Performer {
    /// The operator's role or title, e.g. "opératrice de reconditionnement".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The workshop's organisation, e.g. "ESAT Les Ateliers du Lez".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// Where the work was done, e.g. "Montpellier, atelier 2".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// How to reach the workshop about this certificate (a phone number or an address), never a
    /// worker's private number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

impl Performer {
    /// Whether nothing is said (then the certificate leaves `performed_by` out).
    pub fn is_empty(&self) -> bool {
        self.role.is_none()
            && self.organisation.is_none()
            && self.location.is_none()
            && self.contact.is_none()
    }
}

/// What happens to the unit after the wipe (NIST SP 800-88 Rev. 1 Appendix G).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostSanitization {
    /// Where the unit goes.
    pub destination: Destination,
}

/// The post-sanitization destination (NIST SP 800-88 Rev. 1 Appendix G; Rev. 2's "disposition").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// Reused within the donor's or the workshop's organisation.
    InternalReuse,
    /// Given or sold to someone outside (a partner organisation, a beneficiary).
    ExternalReuse,
    /// Sent to recycling.
    Recycling,
    /// Returned to its manufacturer (warranty, take-back).
    Manufacturer,
    /// Not decided at the station.
    Unknown,
}

impl Destination {
    /// Every destination, in the order a menu shows them.
    pub const ALL: [Destination; 5] = [
        Destination::InternalReuse,
        Destination::ExternalReuse,
        Destination::Recycling,
        Destination::Manufacturer,
        Destination::Unknown,
    ];

    /// The name written in certificates and settings (`internal_reuse`).
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::InternalReuse => "internal_reuse",
            Destination::ExternalReuse => "external_reuse",
            Destination::Recycling => "recycling",
            Destination::Manufacturer => "manufacturer",
            Destination::Unknown => "unknown",
        }
    }

    /// Parses [`Destination::as_str`]'s names.
    pub fn parse(text: &str) -> Option<Destination> {
        Destination::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// The storage medium of a disk (NIST SP 800-88 Rev. 1 Appendix G "Media Type" and "Source",
/// "Data Backed Up").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// What kind of medium, from how it is attached and whether it spins; see
    /// [`MediaType::derive`].
    #[serde(rename = "type")]
    pub kind: MediaType,
    /// Whether it was inside the donated computer or came loose.
    pub source: MediaSource,
    /// Whether the donor backed the data up before the wipe, as far as the station was told.
    pub data_backup: DataBackup,
}

/// The kind of storage medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    /// A spinning hard disk (ATA or SCSI, `queue/rotational` 1).
    Hdd,
    /// A SATA or SAS solid-state drive (`queue/rotational` 0).
    Ssd,
    /// An NVMe solid-state drive.
    Nvme,
    /// A disk reached over USB (a stick, or a disk in a dock: the bridge hides whether it spins).
    Usb,
    /// An SD card or eMMC.
    FlashCard,
    /// A virtual disk (virtio, loop device) or a file standing for one (tests, demonstrations).
    Virtual,
    /// Not determined.
    Unknown,
}

impl MediaType {
    /// The medium from its transport and the kernel's `queue/rotational` flag (`None` when it
    /// could not be read). Over USB the flag describes the bridge, so it is not trusted.
    pub fn derive(transport: Transport, rotational: Option<bool>) -> MediaType {
        match transport {
            Transport::Nvme => MediaType::Nvme,
            Transport::Usb => MediaType::Usb,
            Transport::Mmc => MediaType::FlashCard,
            Transport::Virtio | Transport::Loop | Transport::File => MediaType::Virtual,
            Transport::Ata | Transport::Scsi => match rotational {
                Some(true) => MediaType::Hdd,
                Some(false) => MediaType::Ssd,
                None => MediaType::Unknown,
            },
            Transport::Unknown => MediaType::Unknown,
        }
    }

    /// The name written in certificates (`hdd`).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Hdd => "hdd",
            MediaType::Ssd => "ssd",
            MediaType::Nvme => "nvme",
            MediaType::Usb => "usb",
            MediaType::FlashCard => "flash_card",
            MediaType::Virtual => "virtual",
            MediaType::Unknown => "unknown",
        }
    }
}

/// Where a disk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    /// Inside the donated computer the certificate describes.
    Computer,
    /// A loose disk, wiped in a bay (`station bay`): the unit is the station.
    Loose,
}

/// Whether the donor's data was backed up before the wipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataBackup {
    /// The donor says it was.
    Yes,
    /// The donor says it was not.
    No,
    /// Nobody told the station (the usual case: backing up is the donor's business).
    Unknown,
}

/// The station that produced a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationRef {
    /// The station's stable identifier (its key id unless the workshop names it).
    pub id: String,
    /// Hex SHA-256 of the raw 32-byte Ed25519 public key that signs this certificate.
    pub key_id: String,
}

/// Name and version of the software that produced a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// e.g. `seconde-vie-station`.
    pub name: String,
    /// e.g. `0.1.0`.
    pub version: String,
}

/// The unit's identity, from its DMI/SMBIOS tables (DMTF DSP0134, type 1 and 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// System manufacturer, e.g. "Dell Inc.".
    pub vendor: Probed<String>,
    /// Product name, e.g. "OptiPlex 780".
    pub model: Probed<String>,
    /// System serial number (the donor's asset registers use it).
    pub serial: Probed<String>,
    /// SMBIOS system UUID.
    pub uuid: Probed<String>,
    /// Chassis type in words (SMBIOS type 3), e.g. "desktop", "notebook".
    pub chassis: Probed<String>,
}

/// How a disk is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// SATA or PATA through libata.
    Ata,
    /// NVMe.
    Nvme,
    /// A USB mass-storage device.
    Usb,
    /// SD/eMMC.
    Mmc,
    /// SCSI/SAS.
    Scsi,
    /// A paravirtual disk (virtio) in a virtual machine.
    Virtio,
    /// A loop device.
    Loop,
    /// A regular file standing for a disk (tests and the demo).
    File,
    /// Not determined.
    Unknown,
}

/// The drive's own SMART overall-health self-assessment (ATA SMART RETURN STATUS, NVMe critical
/// warning), as reported by smartctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmartVerdict {
    /// The drive says it is healthy.
    Passed,
    /// The drive predicts its own failure.
    Failed,
}

/// One disk of the unit and its sanitization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskRecord {
    /// The device path on the station at the time, e.g. `/dev/sda` (not an identity: see serial).
    pub path: String,
    /// Model string.
    pub model: Probed<String>,
    /// Serial number: the key the registry indexes disks by.
    pub serial: Probed<String>,
    /// World Wide Name (NAA/EUI-64), when the disk has one.
    pub wwn: Probed<String>,
    /// Capacity in bytes as seen before the wipe.
    pub capacity_bytes: u64,
    /// How it is attached.
    pub transport: Transport,
    /// SMART overall-health verdict.
    pub smart: Probed<SmartVerdict>,
    /// What was done to it.
    pub sanitization: SanitizeRecord,
    /// Where the station read `model`, `serial`, `wwn` (and the firmware revision it does not
    /// record) from. Absent in certificates made before stations recorded it, so their
    /// canonical bytes are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_sources: Option<IdentitySources>,
    /// The USB bridge the disk was reached through (a dock or an enclosure): its own ids and
    /// strings, never the disk's. Absent when the disk was not behind one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<UsbBridge>,
    /// The medium: its type, where it came from, whether its data was backed up. Absent in
    /// certificates made before stations recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
}

/// Where a disk's identity was read (the first source, in this order, that gave the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentitySource {
    /// ATA IDENTIFY DEVICE sent by the station through SG_IO (ACS-4 §7.13; through a USB
    /// bridge, SAT-4 ATA PASS-THROUGH): the disk's own words.
    AtaIdentify,
    /// NVMe Identify Controller sent by the station (NVM Express Base 2.0 §5.17.2.1).
    NvmeIdentify,
    /// smartctl's JSON (`model_name`, `serial_number`, `firmware_version`, `wwn`) when it spoke
    /// ATA or NVMe to the disk itself, directly or through the bridge.
    Smartctl,
    /// udev's database (`/run/udev/data/b<major>:<minor>`: `ID_MODEL_ENC`, `ID_SERIAL_SHORT`,
    /// `ID_REVISION`, `ID_WWN`) when udev read the disk itself (`ID_BUS` ata, nvme or scsi).
    Udev,
    /// The kernel's sysfs (`device/model`, `device/serial`, VPD page 0x80, `wwid`), for a disk
    /// not behind a USB bridge.
    Sysfs,
}

impl IdentitySource {
    /// Plain words for the source.
    pub fn describe(self) -> &'static str {
        match self {
            IdentitySource::AtaIdentify => "ATA IDENTIFY DEVICE",
            IdentitySource::NvmeIdentify => "NVMe Identify Controller",
            IdentitySource::Smartctl => "smartctl",
            IdentitySource::Udev => "udev",
            IdentitySource::Sysfs => "sysfs",
        }
    }
}

impl fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Which source gave each identity field of a disk; a field no source gave is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySources {
    /// Source of `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<IdentitySource>,
    /// Source of `serial`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<IdentitySource>,
    /// Source of the firmware revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<IdentitySource>,
    /// Source of `wwn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wwn: Option<IdentitySource>,
}

/// A USB-to-SATA/NVMe bridge (a dock, an enclosure, an adapter cable), as its USB device
/// descriptor and its SCSI INQUIRY describe it (USB 2.0 §9.6.1; SPC-4 §6.6). These are the
/// bridge's words: a station never records them as the disk's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsbBridge {
    /// `idVendor`, 4 lower-case hex digits (`152d` JMicron, `174c` ASMedia, `04fc` Sunplus).
    pub vendor_id: String,
    /// `idProduct`, 4 lower-case hex digits.
    pub product_id: String,
    /// The maker of the bridge chip, when its vendor id is one we know (`JMicron`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chip_vendor: Option<String>,
    /// The USB `iManufacturer` string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// The USB `iProduct` string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The USB `iSerialNumber` string: the bridge's serial, not the disk's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The SCSI vendor and product the bridge answers INQUIRY with (sysfs `device/vendor`,
    /// `device/model`), e.g. `"JMicron Generic"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scsi_identity: Option<String>,
}

impl UsbBridge {
    /// `JMicron 152d:2338`, or the ids alone.
    pub fn short_name(&self) -> String {
        match &self.chip_vendor {
            Some(v) => format!("{v} {}:{}", self.vendor_id, self.product_id),
            None => format!("{}:{}", self.vendor_id, self.product_id),
        }
    }
}

/// NIST SP 800-88 Rev. 1 §2.5 sanitization categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Clear: logical techniques (overwrite) against simple recovery.
    Clear,
    /// Purge: physical or firmware techniques against laboratory recovery.
    Purge,
}

/// The technique used (NIST SP 800-88 Rev. 1 Appendix A; IEEE 2883-2022 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Technique {
    /// Writing patterns over every addressable sector.
    Overwrite,
    /// ATA/NVMe block erase.
    BlockErase,
    /// Cryptographic erase (media encryption key changed).
    CryptoErase,
    /// ATA SECURITY ERASE UNIT.
    SecureErase,
}

/// The data pattern of one overwrite pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pattern {
    /// A byte sequence repeated over the whole disk, in hex (e.g. `"00"`, `"ff"`, `"92 49 24"`
    /// as `"924924"`).
    Repeat {
        /// The repeated bytes, lower-case hex.
        hex: String,
    },
    /// A pseudo-random stream, reproducible from its algorithm and seed so it can be verified
    /// without being stored.
    Random {
        /// `aes128-ctr-sp800-38a` or `chacha20-rfc8439-segmented` (docs/sanitization.md defines
        /// each stream; older certificates all name the latter).
        algorithm: String,
        /// The seed, hex.
        seed: String,
    },
}

impl Pattern {
    /// The pattern of one repeated byte.
    pub fn byte(b: u8) -> Self {
        Pattern::Repeat { hex: format!("{b:02x}") }
    }
}

/// One overwrite pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverwritePass {
    /// 1-based pass number.
    pub number: u32,
    /// What was written.
    pub pattern: Pattern,
    /// Bytes written in this pass.
    pub bytes_written: u64,
    /// When the pass started.
    pub started_at: Timestamp,
    /// When the pass finished (or stopped).
    pub finished_at: Timestamp,
}

/// Which passes are read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMode {
    /// Nothing read back: the disk cannot be certified sanitized.
    None,
    /// The last pass is read back.
    LastPass,
    /// Every pass is read back.
    EveryPass,
}

/// How much of the disk is read back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Coverage {
    /// Every byte.
    Full,
    /// A stated share of the disk, in evenly spread random blocks plus the first and last MiB.
    Sampled {
        /// Share of the disk read, in percent.
        percent: f64,
    },
}

/// A half-open byte range `[start, end)` on a disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl ByteRange {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// What reading the disk back found (NIST SP 800-88 Rev. 1 §4.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// Which passes were read back.
    pub mode: VerificationMode,
    /// How much of the disk was read back.
    pub coverage: Coverage,
    /// Bytes read back and compared.
    pub bytes_verified: u64,
    /// Total bytes that did not match the expected pattern.
    pub mismatched_bytes: u64,
    /// Mismatching ranges, merged and sorted (at most the first 1000 are listed).
    pub mismatches: Vec<ByteRange>,
}

/// An error during sanitization, with the byte range it concerns when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskError {
    /// What happened, in plain words, naming the operation.
    pub message: String,
    /// The bytes affected, if the error concerns a range.
    pub range: Option<ByteRange>,
}

/// The outcome for one disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SanitizeResult {
    /// Every pass completed and the read-back matched: the only result that certifies.
    Verified,
    /// Every pass completed but nothing was read back.
    NotVerified,
    /// A write, read or verification failed; see `errors` and `verification.mismatches`.
    Failed,
    /// The run stopped before the end (operator, power loss, disk removed).
    Interrupted,
}

/// What was done to one disk (NIST SP 800-88 Rev. 1 Appendix G's sanitization record fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanitizeRecord {
    /// The standard followed, e.g. "NIST SP 800-88 Rev. 1".
    pub standard: String,
    /// Clear or Purge.
    pub category: Category,
    /// How.
    pub technique: Technique,
    /// The method's name, e.g. `zero`, `dod-3`.
    pub method: String,
    /// Each overwrite pass, in order.
    pub passes: Vec<OverwritePass>,
    /// The read-back.
    pub verification: Verification,
    /// Errors met, with their ranges.
    pub errors: Vec<DiskError>,
    /// When work on this disk started.
    pub started_at: Timestamp,
    /// When work on this disk finished.
    pub finished_at: Timestamp,
    /// The disk's outcome.
    pub result: SanitizeResult,
    /// Why this method was used and what the operator or an auditor should know (methods passed
    /// over and why, a frozen disk, a hidden area). Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl SanitizeRecord {
    /// Whether this record shows a disk sanitized and verified, consistently: result `verified`,
    /// something actually read back, no mismatch, no error.
    pub fn is_verified(&self) -> bool {
        self.result == SanitizeResult::Verified
            && self.verification.mode != VerificationMode::None
            && self.verification.bytes_verified > 0
            && self.verification.mismatched_bytes == 0
            && self.verification.mismatches.is_empty()
            && self.errors.is_empty()
    }
}

/// The functional checks a worker does with the unit in front of them (décret 2022-190 asks that
/// every function of a "reconditionné" unit was tested).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// Full-screen colours shown; did the worker see a defect (dead pixels, lines, stains)?
    pub screen: CheckResult,
    /// Every key drawn on screen pressed; which ones never answered.
    pub keyboard: CheckResult,
    /// A tone played; did the worker hear it?
    pub sound: CheckResult,
    /// A USB device plugged into each port; did each one work?
    pub usb: CheckResult,
    /// Does the battery charge on mains power? `not_applicable` without a battery.
    pub battery: CheckResult,
    /// The refurbisher's cosmetic grade, when given.
    pub cosmetic: Option<CosmeticGrade>,
}

/// The result of one functional check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckResult {
    /// Pass, fail, skipped or not applicable.
    pub status: CheckStatus,
    /// Evidence in plain words (e.g. the keys that never answered, how the tone was played).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl CheckResult {
    /// A check with this status and no details.
    pub fn new(status: CheckStatus) -> CheckResult {
        CheckResult { status, details: Vec::new() }
    }
}

/// How a functional check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The function works.
    Pass,
    /// The worker saw a defect.
    Fail,
    /// The worker did not do the check.
    Skipped,
    /// The unit has no such function (e.g. no battery in a desktop).
    NotApplicable,
}

/// What a [`HardwareTest`] tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HardwareTestKind {
    /// Every logical CPU computing a known result for a while, temperatures and throttling watched.
    Cpu,
    /// Patterns written to and read back from free memory.
    Memory,
    /// One disk: SMART self-test and a read-speed sample.
    Disk,
    /// One battery: wear, charging, discharge rate.
    Battery,
    /// Network adapters: wired link, wireless adapter.
    Network,
}

/// One test the station ran by itself, with its evidence (docs/certificate.md lists the
/// measurements of each kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareTest {
    /// What was tested.
    pub kind: HardwareTestKind,
    /// The device, for a disk (`/dev/sda`) or a battery (`BAT0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Pass, fail, skipped (could not run here: the reason is in `details`) or not applicable.
    pub status: CheckStatus,
    /// What was measured, by name, e.g. `read_mb_per_s`. Finite numbers only.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub measurements: std::collections::BTreeMap<String, f64>,
    /// The evidence in plain words (English, as the rest of the certificate's evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl HardwareTest {
    /// A test of `kind` with this status, no measurement and no detail.
    pub fn new(kind: HardwareTestKind, status: CheckStatus) -> HardwareTest {
        HardwareTest { kind, device: None, status, measurements: Default::default(), details: Vec::new() }
    }

    /// Records a measurement, rounded to 3 decimals; a value that is not finite is left out
    /// (a certificate's JSON cannot hold it) and said in the details.
    pub fn measure(&mut self, name: &str, value: f64) -> &mut Self {
        if value.is_finite() {
            self.measurements.insert(name.to_owned(), (value * 1000.0).round() / 1000.0);
        } else {
            self.details.push(format!("{name} could not be measured ({value})"));
        }
        self
    }

    /// A measurement, if recorded.
    pub fn measurement(&self, name: &str) -> Option<f64> {
        self.measurements.get(name).copied()
    }
}

/// Cosmetic grade given by the refurbisher (the station app explains each in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CosmeticGrade {
    /// Like new: no visible mark at arm's length.
    A,
    /// Light wear: small scratches or marks, nothing broken.
    B,
    /// Visible wear: deep scratches, dents, missing feet or covers, still works.
    C,
}

/// The certificate's overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every disk was sanitized and verified.
    Sanitized,
    /// At least one disk failed.
    Failed,
    /// No disk failed, but at least one was not verified or was interrupted, or there was no disk.
    Incomplete,
}

impl Outcome {
    /// The only outcome the disks allow: `sanitized` requires at least one disk and every disk
    /// verified; any failed disk makes it `failed`.
    pub fn from_disks(disks: &[DiskRecord]) -> Outcome {
        if disks.iter().any(|d| d.sanitization.result == SanitizeResult::Failed) {
            Outcome::Failed
        } else if !disks.is_empty() && disks.iter().all(|d| d.sanitization.is_verified()) {
            Outcome::Sanitized
        } else {
            Outcome::Incomplete
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Sanitized => "sanitized",
            Outcome::Failed => "failed",
            Outcome::Incomplete => "incomplete",
        })
    }
}

/// A rule of the v1 schema that a certificate breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct SchemaViolation {
    /// JSON pointer of the field, e.g. `/disks/0/sanitization/result`.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

impl Certificate {
    /// Checks the rules serde cannot: schema version, UUIDv7 id, time order, and that `result`
    /// and each disk's result agree with the evidence. Returns every violation found.
    pub fn validate(&self) -> Vec<SchemaViolation> {
        let mut v = Vec::new();
        let mut bad =
            |field: &str, problem: String| v.push(SchemaViolation { field: field.to_owned(), problem });
        if self.schema != SCHEMA_V1 {
            bad("/schema", format!("expected {SCHEMA_V1:?}, found {:?}", self.schema));
        }
        if self.id.get_version_num() != 7 {
            bad("/id", format!("{} is not a UUIDv7", self.id));
        }
        if self.finished_at.to_system_time() < self.started_at.to_system_time() {
            bad("/finished_at", format!("{} is before started_at {}", self.finished_at, self.started_at));
        }
        if self.station.key_id.len() != 64 || !self.station.key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            bad("/station/key_id", "must be 64 hex digits (SHA-256 of the public key)".into());
        }
        for (i, disk) in self.disks.iter().enumerate() {
            let s = &disk.sanitization;
            if s.result == SanitizeResult::Verified && !s.is_verified() {
                bad(
                    &format!("/disks/{i}/sanitization/result"),
                    "says verified but the verification shows nothing read back, a mismatch or an error"
                        .into(),
                );
            }
            if s.verification.mismatches.iter().any(|r| r.is_empty()) {
                bad(
                    &format!("/disks/{i}/sanitization/verification/mismatches"),
                    "holds an empty range".into(),
                );
            }
            if let Coverage::Sampled { percent } = s.verification.coverage {
                if !(percent > 0.0 && percent <= 100.0) {
                    bad(
                        &format!("/disks/{i}/sanitization/verification/coverage/percent"),
                        format!("{percent} is not in (0, 100]"),
                    );
                }
            }
        }
        let expected = Outcome::from_disks(&self.disks);
        if self.result != expected {
            bad("/result", format!("says {} but the disks show {expected}", self.result));
        }
        v
    }
}
