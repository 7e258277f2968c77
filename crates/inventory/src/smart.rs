//! A disk's SMART data, parsed from `smartctl --json=c -x` into our own types, and a health verdict.
//!
//! # Sources
//!
//! - smartctl(8), section "EXIT STATUS" (called "RETURN VALUES" in older releases): the exit
//!   status is a bit mask, decoded by [`ExitStatus`].
//! - The smartmontools JSON output of smartctl 7.x (`-j`/`--json`, `json_format_version` 1.0;
//!   the keys are documented on the smartmontools wiki page "JSON schema" and produced by
//!   `ataprint.cpp` and `nvmeprint.cpp`). Every value here is read from that document by its JSON
//!   pointer (`/power_on_time/hours`, ...); nothing is parsed from the text report.
//! - ATA: the SMART attribute table (ATA/ATAPI ACS, SMART feature set). Attribute numbers and the
//!   meaning of their raw values are vendor specific: the meanings given below are the ones the
//!   drive makers *commonly* use and that the smartctl drive database names.
//! - NVMe: the SMART / Health Information log page (Log Identifier 02h) and the Device Self-test
//!   log page (Log Identifier 06h) of the NVM Express Base Specification.
//!
//! [`SmartReport::from_json`] is strict about types (a field smartctl always writes as a number
//! but found as a string is an error naming its JSON pointer) and lenient about presence (a field
//! the disk did not report is `None`). [`SmartReport::health`] turns the report into a
//! [`Health`]: a [`HealthVerdict`] with plain-English reasons, by the rules documented there.

use std::fmt;

use serde_json::Value;

/// Reallocated sectors above this many make a disk [`HealthVerdict::Failing`]; 1 up to this many
/// make it [`HealthVerdict::Worn`].
pub const REALLOCATED_FAILING_ABOVE: u64 = 100;
/// Power-on hours above which a disk is [`HealthVerdict::Worn`] (old): about 5.7 years powered.
pub const POWER_ON_HOURS_OLD_ABOVE: u64 = 50_000;

/// Why a smartctl JSON document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmartError {
    /// smartctl printed nothing (or only blanks).
    Empty,
    /// The bytes are not JSON (or stop before the document ends).
    Json {
        /// What kind of problem serde_json found.
        problem: JsonProblem,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// serde_json's own description, without the position.
        detail: String,
    },
    /// Valid JSON, but not a smartctl document (no top-level `smartctl` object).
    NotSmartctl {
        /// What was found instead.
        found: String,
    },
    /// A field is there but has a type or value smartctl never writes.
    Field {
        /// JSON pointer of the field (RFC 6901), e.g. `/power_on_time/hours`.
        pointer: String,
        /// What smartctl writes there.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// A field smartctl always writes inside an object it did write is missing.
    Missing {
        /// JSON pointer of the missing field.
        pointer: String,
    },
}

/// The kind of JSON problem in [`SmartError::Json`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonProblem {
    /// The input ends in the middle of the document: truncated output (or none at all).
    Truncated,
    /// A character that JSON does not allow there: not JSON, or corrupted.
    Syntax,
    /// Valid JSON syntax that serde_json still refused (e.g. a number out of range).
    Data,
}

impl fmt::Display for SmartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmartError::Empty => write!(f, "smartctl output is empty: no JSON document to read"),
            SmartError::Json { problem, line, column, detail } => {
                let what = match problem {
                    JsonProblem::Truncated => {
                        "smartctl output ends before its JSON document does (truncated)"
                    }
                    JsonProblem::Syntax => "smartctl output is not valid JSON (corrupt, or not JSON output)",
                    JsonProblem::Data => "smartctl output has a JSON value that cannot be read",
                };
                write!(f, "{what}: {detail} (at line {line}, column {column})")
            }
            SmartError::NotSmartctl { found } => write!(
                f,
                "this JSON is not smartctl --json output: it has no top-level \"smartctl\" object ({found})"
            ),
            SmartError::Field { pointer, expected, found } => {
                write!(f, "smartctl JSON field {pointer} should be {expected}, but is {found}")
            }
            SmartError::Missing { pointer } => {
                write!(f, "smartctl JSON field {pointer} is missing (smartctl always writes it)")
            }
        }
    }
}

impl std::error::Error for SmartError {}

/// How the disk is attached, as smartctl's `device.protocol` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// ATA/SATA, directly or behind a SCSI-to-ATA translation (`device.type` `sat`, USB bridges).
    Ata,
    /// NVM Express.
    Nvme,
    /// SCSI/SAS.
    Scsi,
    /// Anything else smartctl names.
    Other(String),
}

/// One message smartctl printed (`smartctl.messages[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The text, e.g. `/dev/vda: Unable to detect device type`.
    pub text: String,
    /// `information`, `warning` or `error` (absent in some outputs).
    pub severity: Option<String>,
}

/// One bit of smartctl's exit status, as smartctl(8) "EXIT STATUS" defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitBit {
    /// Bit 0: the command line did not parse (also returned when smartctl cannot detect the
    /// device type).
    CommandLine = 0,
    /// Bit 1: device open failed, the device did not return an IDENTIFY DEVICE structure, or it is
    /// in a low-power mode.
    DeviceOpen = 1,
    /// Bit 2: some SMART or other ATA command to the disk failed, or a SMART data structure had a
    /// checksum error.
    CommandFailed = 2,
    /// Bit 3: the SMART status check returned "DISK FAILING".
    DiskFailing = 3,
    /// Bit 4: pre-failure attributes at or below their threshold.
    PrefailBelowThreshold = 4,
    /// Bit 5: status "DISK OK", but some attributes were at or below threshold in the past.
    BelowThresholdInPast = 5,
    /// Bit 6: the device error log has records of errors.
    ErrorLog = 6,
    /// Bit 7: the device self-test log has records of errors.
    SelfTestLog = 7,
}

impl ExitBit {
    /// All eight bits, lowest first.
    pub const ALL: [ExitBit; 8] = [
        ExitBit::CommandLine,
        ExitBit::DeviceOpen,
        ExitBit::CommandFailed,
        ExitBit::DiskFailing,
        ExitBit::PrefailBelowThreshold,
        ExitBit::BelowThresholdInPast,
        ExitBit::ErrorLog,
        ExitBit::SelfTestLog,
    ];

    /// The bit's number (0-7).
    pub fn number(self) -> u8 {
        self as u8
    }

    /// smartctl(8)'s meaning of the bit, in plain English.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitBit::CommandLine => {
                "the command line did not parse (smartctl also returns this when it cannot tell the device type)"
            }
            ExitBit::DeviceOpen => {
                "the device could not be opened, did not identify itself, or is in a low-power mode"
            }
            ExitBit::CommandFailed => {
                "some SMART or other command to the disk failed, or a SMART structure had a checksum error"
            }
            ExitBit::DiskFailing => "the SMART status check returned \"DISK FAILING\"",
            ExitBit::PrefailBelowThreshold => "pre-failure attributes are at or below their threshold",
            ExitBit::BelowThresholdInPast => "some attributes were at or below their threshold in the past",
            ExitBit::ErrorLog => "the device error log contains records of errors",
            ExitBit::SelfTestLog => "the device self-test log contains records of errors",
        }
    }
}

/// smartctl's exit status (`smartctl.exit_status`), a bit mask (smartctl(8) "EXIT STATUS").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(pub u8);

impl ExitStatus {
    /// The raw exit status.
    pub fn code(self) -> u8 {
        self.0
    }

    /// Whether `bit` is set.
    pub fn has(self, bit: ExitBit) -> bool {
        self.0 & (1 << bit.number()) != 0
    }

    /// The bits that are set, lowest first.
    pub fn bits(self) -> Vec<ExitBit> {
        ExitBit::ALL.into_iter().filter(|b| self.has(*b)).collect()
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit status {}", self.0)?;
        let bits = self.bits();
        if !bits.is_empty() {
            let parts: Vec<String> =
                bits.iter().map(|b| format!("bit {}: {}", b.number(), b.meaning())).collect();
            write!(f, " ({})", parts.join("; "))?;
        }
        Ok(())
    }
}

/// When an ATA attribute's normalized value was at or below its threshold (`when_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFailed {
    /// Never (`""`).
    Never,
    /// It is now (`"now"`).
    Now,
    /// It was in the past, per the worst value (`"past"`).
    Past,
}

/// One row of the ATA SMART attribute table (`ata_smart_attributes.table[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtaAttribute {
    /// Attribute number (1-255).
    pub id: u8,
    /// smartctl's name for it (from its drive database; `Unknown_Attribute` when it has none).
    pub name: String,
    /// Normalized current value (vendor scale, commonly 100 or 200 when new; lower is worse).
    pub value: u8,
    /// Worst normalized value seen.
    pub worst: u8,
    /// Threshold: the disk calls the attribute failed at or below it (0 = never fails).
    pub thresh: u8,
    /// Raw value (48 bits; its encoding is vendor specific).
    pub raw: u64,
    /// smartctl's rendering of the raw value, e.g. `32 (Min/Max 24/38)`.
    pub raw_string: Option<String>,
    /// When the value was at or below the threshold.
    pub when_failed: WhenFailed,
    /// Pre-failure attribute (flag bit 0): at or below threshold predicts failure; otherwise
    /// it is an old-age (usage) attribute.
    pub prefailure: bool,
}

/// A vendor's SSD wear attribute (see [`vendor_wear`] for the attributes and how each is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsdWear {
    /// Attribute number it was read from.
    pub attribute_id: u8,
    /// Attribute name as smartctl gave it.
    pub attribute_name: String,
    /// Percent of rated life remaining (100 − used, floored at 0).
    pub remaining_percent: u8,
    /// Percent of rated endurance used, as the vendor's convention gives it (may exceed 100).
    pub used_percent: u16,
    /// How the value was read, e.g. "normalized value counts down from 100".
    pub convention: &'static str,
}

/// How each vendor's wear attribute reads, by number and smartctl's drive-database name
/// (smartmontools `drivedb.h` names them per drive family; the same number means other things
/// on other drives, so an attribute whose name is not in this table is not read as wear):
///
/// | id | name (drivedb.h) | commonly on | percent used is |
/// |---|---|---|---|
/// | 202 | `Percent_Lifetime_Remain` | Crucial/Micron client SSDs (MX, BX, M500…) | 100 − normalized (drivedb: normalized = 100 − raw) |
/// | 202 | `Percent_Lifetime_Used`, `Perc_Rated_Life_Used` | Crucial m4/C300/C400, Micron P400 | the raw value |
/// | 233 | `Media_Wearout_Indicator` | Intel (320, 330, 520, DC S3500/S3700…), some others | 100 − normalized (counts 100 down to 1; raw unused) |
/// | 177 | `Wear_Leveling_Count` | Samsung | 100 − normalized (raw is the P/E cycle count) |
/// | 231 | `SSD_Life_Left`, `Percent_Lifetime_Remain`, `Perc_Rated_Life_Remain`, `Life_Remaining_Percent`, `SSD_Life_Left_Perc`, `Lifetime_Left` | SandForce (OCZ, Kingston, ADATA), Transcend, Phison | 100 − normalized |
/// | 173 | `Wear_Leveling_Count` | Crucial m4, Kingston, Plextor, others | 100 − normalized |
/// | 173 | `Ave_Block-Erase_Count` | Micron (5100, MX500) | 100 − normalized (raw is the average erase count) |
///
/// Not wear, though the numbers match: SandForce's 177 `Wear_Range_Delta` and 233
/// `SandForce_Internal`, the many 233 `*_Writes_*` write counters, 231 `Temperature_Celsius`.
/// A normalized value above 100 is not a percentage and is not read.
pub const WEAR_ATTRIBUTES: [(u8, &str, WearScale); 13] = [
    (202, "Percent_Lifetime_Remain", WearScale::NormalizedRemaining),
    (202, "Percent_Lifetime_Used", WearScale::RawUsed),
    (202, "Perc_Rated_Life_Used", WearScale::RawUsed),
    (233, "Media_Wearout_Indicator", WearScale::NormalizedRemaining),
    (177, "Wear_Leveling_Count", WearScale::NormalizedRemaining),
    (231, "SSD_Life_Left", WearScale::NormalizedRemaining),
    (231, "Percent_Lifetime_Remain", WearScale::NormalizedRemaining),
    (231, "Perc_Rated_Life_Remain", WearScale::NormalizedRemaining),
    (231, "Life_Remaining_Percent", WearScale::NormalizedRemaining),
    (231, "SSD_Life_Left_Perc", WearScale::NormalizedRemaining),
    (231, "Lifetime_Left", WearScale::NormalizedRemaining),
    (173, "Wear_Leveling_Count", WearScale::NormalizedRemaining),
    (173, "Ave_Block-Erase_Count", WearScale::NormalizedRemaining),
];

/// How a wear attribute encodes the endurance used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WearScale {
    /// The normalized value is the percent of rated life remaining (100 new, counting down).
    NormalizedRemaining,
    /// The raw value is the percent of rated life used.
    RawUsed,
}

/// The first attribute of [`WEAR_ATTRIBUTES`] (in that order) the drive reports, read by its
/// vendor's convention.
pub fn vendor_wear(attributes: &[AtaAttribute]) -> Option<SsdWear> {
    WEAR_ATTRIBUTES.iter().find_map(|(id, name, scale)| {
        let a = attributes.iter().find(|a| a.id == *id && a.name == *name)?;
        let (used, convention) = match scale {
            WearScale::NormalizedRemaining if a.value <= 100 => {
                (100 - u16::from(a.value), "normalized value: percent of rated life remaining")
            }
            WearScale::NormalizedRemaining => return None,
            WearScale::RawUsed => {
                (u16::try_from(a.raw).ok().filter(|r| *r <= 1000)?, "raw value: percent of rated life used")
            }
        };
        Some(SsdWear {
            attribute_id: a.id,
            attribute_name: a.name.clone(),
            remaining_percent: 100u16.saturating_sub(used) as u8,
            used_percent: used,
            convention,
        })
    })
}

/// Where an endurance figure came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnduranceSource {
    /// ATA Device Statistics log (GP log 04h), page 07h "Solid State Device Statistics",
    /// offset 8 "Percentage Used Endurance Indicator" (ACS-4 §9.5.9.3): `ata_device_statistics`.
    DeviceStatistics,
    /// NVMe SMART / Health Information log, byte 5 "Percentage Used" (NVMe Base 2.0 §5.16.1.3).
    NvmeHealthLog,
    /// A vendor's SMART attribute ([`vendor_wear`]).
    Attribute {
        /// Attribute number.
        id: u8,
        /// Its name.
        name: String,
    },
}

impl fmt::Display for EnduranceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnduranceSource::DeviceStatistics => {
                f.write_str("the device statistics log's Percentage Used Endurance Indicator")
            }
            EnduranceSource::NvmeHealthLog => f.write_str("the NVMe health log's Percentage Used"),
            EnduranceSource::Attribute { id, name } => write!(f, "attribute {id} {name}"),
        }
    }
}

/// A disk's rated endurance used, in percent (100 = the maker's rated endurance is reached; it
/// may go beyond).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endurance {
    /// Percent used.
    pub used_percent: u16,
    /// Where it was read.
    pub source: EnduranceSource,
}

/// The grading policy's endurance thresholds (`[disk.endurance]` in
/// `crates/grading/policy/default.toml`; docs/grading.md says why these values). The verdict
/// ([`SmartReport::health`]) estimates how many years of a beneficiary's typical use the SSD
/// has left at the rate it wore so far.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndurancePolicy {
    /// Hours a beneficiary's computer is on in a year (typical use).
    pub typical_hours_per_year: f64,
    /// Worn when fewer years of typical use than this are left.
    pub worn_below_years: f64,
    /// Worn when this much of the rated endurance is used, whatever the rate.
    pub worn_at_percent_used: f64,
}

impl EndurancePolicy {
    /// Years of typical use left: the endurance left divided by the wear per power-on hour so
    /// far, over the typical hours per year. `None` when nothing is used yet or the hours are
    /// unknown (no rate to go by); `Some(0.0)` at or past the rated endurance.
    pub fn years_left(&self, used_percent: u16, power_on_hours: Option<u64>) -> Option<f64> {
        let hours = power_on_hours.filter(|h| *h > 0)? as f64;
        if used_percent >= 100 {
            return Some(0.0);
        }
        if used_percent == 0 || self.typical_hours_per_year <= 0.0 {
            return None;
        }
        let per_hour = f64::from(used_percent) / hours;
        Some(f64::from(100 - used_percent) / per_hour / self.typical_hours_per_year)
    }
}

/// The ATA attributes a verdict needs, pulled out of the table by number (raw values). The
/// numbers are vendor specific; these are their common meanings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtaCounters {
    /// 5 `Reallocated_Sector_Ct`: sectors the disk has replaced with spares.
    pub reallocated_sectors: Option<u64>,
    /// 197 `Current_Pending_Sector`: unreadable sectors waiting to be reallocated.
    pub pending_sectors: Option<u64>,
    /// 198 `Offline_Uncorrectable`: sectors the offline scan could not read.
    pub offline_uncorrectable: Option<u64>,
    /// 199 `UDMA_CRC_Error_Count`: transfer errors on the SATA link (cable, connector).
    pub udma_crc_errors: Option<u64>,
    /// 187 `Reported_Uncorrect`: errors that ECC could not correct.
    pub reported_uncorrect: Option<u64>,
    /// SSD life remaining (see [`SsdWear`] for the attributes).
    pub ssd_wear: Option<SsdWear>,
}

/// NVMe critical warning byte of the SMART / Health Information log (NVMe Base spec, byte 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CriticalWarning(pub u8);

impl CriticalWarning {
    /// The meaning of each set bit, lowest first.
    pub fn meanings(self) -> Vec<&'static str> {
        const BITS: [&str; 6] = [
            "available spare capacity has fallen below the threshold",
            "temperature is above an over-temperature or below an under-temperature threshold",
            "NVM subsystem reliability is degraded by media-related or internal errors",
            "media has been placed in read-only mode",
            "the volatile memory backup device has failed",
            "the persistent memory region has become read-only or unreliable",
        ];
        let mut out: Vec<&'static str> =
            BITS.iter().enumerate().filter(|(i, _)| self.0 & (1 << i) != 0).map(|(_, s)| *s).collect();
        if self.0 & 0xc0 != 0 {
            out.push("reserved warning bits 6-7 are set");
        }
        out
    }
}

/// The NVMe SMART / Health Information log (`nvme_smart_health_information_log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NvmeHealth {
    /// Critical warning bits (0 = none).
    pub critical_warning: CriticalWarning,
    /// Composite temperature, °C (smartctl converts from kelvin).
    pub temperature_celsius: i64,
    /// Available spare capacity, percent.
    pub available_spare: u64,
    /// The threshold below which the spare raises critical warning bit 0, percent.
    pub available_spare_threshold: u64,
    /// Vendor estimate of life used, percent; may exceed 100.
    pub percentage_used: u64,
    /// Data units read (1 unit = 1000 × 512 bytes).
    pub data_units_read: u128,
    /// Data units written (1 unit = 1000 × 512 bytes).
    pub data_units_written: u128,
    /// Power-on hours.
    pub power_on_hours: u128,
    /// Power cycles.
    pub power_cycles: u128,
    /// Unsafe shutdowns (power lost without a shutdown notification).
    pub unsafe_shutdowns: u128,
    /// Unrecovered data integrity errors (media and data integrity errors).
    pub media_errors: u128,
    /// Error information log entries over the controller's life.
    pub num_err_log_entries: u128,
}

impl NvmeHealth {
    /// Bytes written to the disk (data units × 512 000).
    pub fn bytes_written(&self) -> u128 {
        self.data_units_written.saturating_mul(512_000)
    }

    /// Bytes read from the disk (data units × 512 000).
    pub fn bytes_read(&self) -> u128 {
        self.data_units_read.saturating_mul(512_000)
    }
}

/// How a self-test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfTestOutcome {
    /// Completed without error.
    Passed,
    /// Completed and found a failure (ATA: unknown, electrical, servo/seek, read failure or
    /// handling damage; NVMe: result 6h or 7h, failed segments).
    Failed,
    /// Aborted, interrupted, in progress, or ended with a fatal/unknown error: no finding
    /// either way (smartctl itself writes no `passed` for these).
    Incomplete,
}

/// One entry of a self-test log, most recent first as smartctl lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfTest {
    /// Test type, e.g. `Short offline`, `Extended offline` (ATA), `Short`, `Extended` (NVMe).
    pub kind: String,
    /// smartctl's status text, e.g. `Completed without error`, `Completed: read failure`.
    pub status: String,
    /// How it ended.
    pub outcome: SelfTestOutcome,
    /// Power-on hours when it ran (ATA: 16 bits, so it wraps at 65 536).
    pub lifetime_hours: Option<u64>,
    /// LBA of the first error, when the disk reported one.
    pub first_error_lba: Option<u64>,
}

/// Everything we keep from one `smartctl --json -x` run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmartReport {
    /// smartctl's version, e.g. `7.3`.
    pub smartctl_version: Option<String>,
    /// smartctl's exit status (`smartctl.exit_status`).
    pub exit_status: Option<ExitStatus>,
    /// smartctl's messages (`smartctl.messages`).
    pub messages: Vec<Message>,
    /// Device path smartctl opened (`device.name`).
    pub device_name: Option<String>,
    /// smartctl's device type (`device.type`: `sat`, `nvme`, `scsi`, `usbjmicron`, ...).
    pub device_type: Option<String>,
    /// Protocol (`device.protocol`).
    pub protocol: Option<Protocol>,
    /// Model family from smartctl's drive database (`model_family`).
    pub model_family: Option<String>,
    /// Model (`model_name`).
    pub model: Option<String>,
    /// Serial number (`serial_number`).
    pub serial: Option<String>,
    /// Firmware revision (`firmware_version`).
    pub firmware: Option<String>,
    /// World Wide Name as 16 lowercase hex digits (NAA nibble, 24-bit OUI, 36-bit vendor id),
    /// e.g. `5000c500a1b2c3d4`: the form smartctl prints as `5 000c50 0a1b2c3d4`.
    pub wwn: Option<String>,
    /// User capacity in bytes (`user_capacity.bytes`; NVMe: `nvme_total_capacity` otherwise).
    pub capacity_bytes: Option<u64>,
    /// Logical block size in bytes.
    pub logical_block_size: Option<u64>,
    /// Physical block size in bytes.
    pub physical_block_size: Option<u64>,
    /// Rotation rate in rpm; 0 means a solid-state device (`rotation_rate`).
    pub rotation_rate: Option<u64>,
    /// Form factor (`form_factor.name`, e.g. `2.5 inches`).
    pub form_factor: Option<String>,
    /// Whether the device supports SMART (`smart_support.available`).
    pub smart_available: Option<bool>,
    /// Whether SMART is enabled (`smart_support.enabled`).
    pub smart_enabled: Option<bool>,
    /// Overall-health self-assessment (`smart_status.passed`); for NVMe smartctl derives it from
    /// the critical warning byte.
    pub smart_passed: Option<bool>,
    /// Power-on hours (`power_on_time.hours`).
    pub power_on_hours: Option<u64>,
    /// Power cycles (`power_cycle_count`).
    pub power_cycles: Option<u64>,
    /// Current temperature in °C: `temperature.current`, else attribute 194
    /// `Temperature_Celsius`, else the NVMe log's composite temperature.
    pub temperature_celsius: Option<i64>,
    /// ATA SMART attribute table (empty for NVMe, SCSI, or when SMART could not be read).
    pub attributes: Vec<AtaAttribute>,
    /// Counters pulled out of [`SmartReport::attributes`].
    pub counters: AtaCounters,
    /// The Device Statistics log's Percentage Used Endurance Indicator (`-x` output only).
    pub devstat_endurance_used: Option<u16>,
    /// NVMe SMART / Health Information log.
    pub nvme: Option<NvmeHealth>,
    /// Self-test log, most recent first (ATA extended log if present, else the standard log;
    /// NVMe device self-test log).
    pub self_tests: Vec<SelfTest>,
}

/// The health verdict of a disk for reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthVerdict {
    /// Nothing found against it.
    Good,
    /// Usable, but worn, old, or with a problem to fix (cable).
    Worn,
    /// Do not reuse: the disk fails or predicts its failure.
    Failing,
    /// smartctl could not read SMART data, so there is nothing to judge.
    Unknown,
}

/// A [`HealthVerdict`] with its reasons in plain English (the reasons for the verdict first,
/// then lesser findings and notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The verdict.
    pub verdict: HealthVerdict,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
}

impl SmartReport {
    /// Parses the output of `smartctl --json=c -x <device>` (any `-j` output of smartctl ≥ 7.0).
    ///
    /// Errors name what is wrong and where: line and column for bytes that are not JSON or stop
    /// early, the JSON pointer for a field of the wrong type.
    pub fn from_json(bytes: &[u8]) -> Result<SmartReport, SmartError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(SmartError::Empty);
        }
        let root: Value = serde_json::from_slice(bytes).map_err(|e| {
            let problem = match e.classify() {
                serde_json::error::Category::Eof => JsonProblem::Truncated,
                serde_json::error::Category::Syntax | serde_json::error::Category::Io => JsonProblem::Syntax,
                serde_json::error::Category::Data => JsonProblem::Data,
            };
            let (line, column) = (e.line(), e.column());
            let full = e.to_string();
            let suffix = format!(" at line {line} column {column}");
            let detail = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
            SmartError::Json { problem, line, column, detail }
        })?;
        let root = Node { v: &root, path: String::new() };
        match root.v {
            Value::Object(map) if map.get("smartctl").is_some_and(Value::is_object) => {}
            Value::Object(_) => {
                return Err(SmartError::NotSmartctl { found: "an object without it".into() });
            }
            other => return Err(SmartError::NotSmartctl { found: describe(other) }),
        }
        parse(&root)
    }

    /// Whether this is a solid-state disk: NVMe, or a rotation rate of 0. `None` when the disk
    /// does not say.
    pub fn is_solid_state(&self) -> Option<bool> {
        if self.protocol == Some(Protocol::Nvme) {
            return Some(true);
        }
        self.rotation_rate.map(|r| r == 0)
    }

    /// The ATA attribute with number `id`.
    pub fn attribute(&self, id: u8) -> Option<&AtaAttribute> {
        self.attributes.iter().find(|a| a.id == id)
    }

    /// The most recent self-test that passed or failed (aborted and interrupted ones say nothing
    /// about the disk and are skipped).
    pub fn last_finished_self_test(&self) -> Option<&SelfTest> {
        self.self_tests.iter().find(|t| t.outcome != SelfTestOutcome::Incomplete)
    }

    /// The rated endurance used, from the most standard source the drive reports: the ATA
    /// Device Statistics log, else the NVMe health log, else a vendor attribute
    /// ([`vendor_wear`]). `None` for a disk that reports none (spinning disks).
    pub fn endurance(&self) -> Option<Endurance> {
        if let Some(used) = self.devstat_endurance_used {
            return Some(Endurance { used_percent: used, source: EnduranceSource::DeviceStatistics });
        }
        if let Some(n) = &self.nvme {
            return Some(Endurance {
                used_percent: u16::try_from(n.percentage_used).unwrap_or(u16::MAX),
                source: EnduranceSource::NvmeHealthLog,
            });
        }
        self.counters.ssd_wear.as_ref().map(|w| Endurance {
            used_percent: w.used_percent,
            source: EnduranceSource::Attribute { id: w.attribute_id, name: w.attribute_name.clone() },
        })
    }

    /// The health verdict, by these rules: the verdict is the first of `Failing`, `Unknown`,
    /// `Worn`, `Good` that has a matching row, and every matching row gives one reason in
    /// [`Health::reasons`] (failing findings first, then wear, then notes):
    ///
    /// | verdict | when |
    /// |---|---|
    /// | `Failing` | `smart_status.passed` is false, or exit status bit 3 ("DISK FAILING") |
    /// | `Failing` | exit status bit 4, or a pre-failure attribute has `when_failed` = `now` |
    /// | `Failing` | reallocated sectors (5) > 100 |
    /// | `Failing` | pending sectors (197) > 0, or offline uncorrectable (198) > 0 |
    /// | `Failing` | NVMe critical warning ≠ 0, or NVMe media errors > 0 |
    /// | `Failing` | NVMe available spare < available spare threshold |
    /// | `Failing` | the most recent finished self-test failed |
    /// | `Unknown` | none of the above, and no `smart_status`, no ATA attribute and no NVMe log: smartctl could not read SMART (the reason quotes its messages and exit status) |
    /// | `Worn` | reallocated sectors (5) from 1 to 100 |
    /// | `Worn` | rated endurance used ([`SmartReport::endurance`]) ≥ the policy's `worn_at_percent_used`, or fewer than its `worn_below_years` years of typical use left at the rate it wore so far ([`EndurancePolicy::years_left`]) |
    /// | `Worn` | power-on hours > 50 000 (an old disk) |
    /// | `Worn` | UDMA CRC errors (199) > 0: the SATA cable or connector, not the disk |
    /// | `Good` | none of the above |
    ///
    /// Notes that never change the verdict are appended: exit bit 2 (parts of the report may be
    /// missing), bits 5, 6 and 7 when no rule above explains them, and a missing overall-health
    /// verdict when the attributes were judged alone.
    ///
    /// Without an `endurance` policy the endurance used is reported as a note and judges nothing.
    pub fn health(&self, endurance: Option<&EndurancePolicy>) -> Health {
        assess(self, endurance)
    }
}

/// A value in the document and its JSON pointer, for error messages.
struct Node<'a> {
    v: &'a Value,
    path: String,
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > 40 => {
            format!("a string beginning {:?}", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

impl<'a> Node<'a> {
    /// The value at `rel` ("a/b/c" below this node); JSON null counts as absent.
    fn get(&self, rel: &str) -> Option<Node<'a>> {
        let mut v = self.v;
        for key in rel.split('/') {
            v = match v {
                Value::Object(m) => m.get(key)?,
                Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        if v.is_null() {
            return None;
        }
        Some(Node { v, path: format!("{}/{rel}", self.path) })
    }

    fn wrong(&self, expected: &'static str) -> SmartError {
        SmartError::Field { pointer: self.path.clone(), expected, found: describe(self.v) }
    }

    fn string(&self, rel: &str) -> Result<Option<String>, SmartError> {
        self.get(rel).map(|n| n.v.as_str().map(str::to_owned).ok_or_else(|| n.wrong("a string"))).transpose()
    }

    /// A non-empty string with surrounding blanks removed.
    fn text(&self, rel: &str) -> Result<Option<String>, SmartError> {
        Ok(self.string(rel)?.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
    }

    fn u64(&self, rel: &str) -> Result<Option<u64>, SmartError> {
        self.get(rel).map(|n| n.v.as_u64().ok_or_else(|| n.wrong("a non-negative integer"))).transpose()
    }

    fn u8(&self, rel: &str) -> Result<Option<u8>, SmartError> {
        self.get(rel)
            .map(|n| {
                n.v.as_u64()
                    .and_then(|x| u8::try_from(x).ok())
                    .ok_or_else(|| n.wrong("an integer from 0 to 255"))
            })
            .transpose()
    }

    fn i64(&self, rel: &str) -> Result<Option<i64>, SmartError> {
        self.get(rel).map(|n| n.v.as_i64().ok_or_else(|| n.wrong("an integer"))).transpose()
    }

    fn bool(&self, rel: &str) -> Result<Option<bool>, SmartError> {
        self.get(rel).map(|n| n.v.as_bool().ok_or_else(|| n.wrong("true or false"))).transpose()
    }

    /// An NVMe 128-bit counter: smartctl writes it as a JSON number, which exceeds 64 bits (and so
    /// arrives as a float) only on implausible disks.
    fn u128(&self, rel: &str) -> Result<Option<u128>, SmartError> {
        self.get(rel)
            .map(|n| match n.v {
                Value::Number(x) => x
                    .as_u64()
                    .map(u128::from)
                    .or_else(|| x.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0).map(|f| f as u128))
                    .ok_or_else(|| n.wrong("a non-negative integer")),
                _ => Err(n.wrong("a non-negative integer")),
            })
            .transpose()
    }

    fn required<T>(&self, rel: &str, got: Option<T>) -> Result<T, SmartError> {
        got.ok_or_else(|| SmartError::Missing { pointer: format!("{}/{rel}", self.path) })
    }

    fn array(&self, rel: &str) -> Result<Vec<Node<'a>>, SmartError> {
        match self.get(rel) {
            None => Ok(Vec::new()),
            Some(n) => match n.v {
                Value::Array(items) => Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Node { v, path: format!("{}/{i}", n.path) })
                    .collect()),
                _ => Err(n.wrong("an array")),
            },
        }
    }
}

fn parse(root: &Node<'_>) -> Result<SmartReport, SmartError> {
    let smartctl_version = match root.get("smartctl/version") {
        Some(n) => {
            let parts = match n.v {
                Value::Array(a) => a.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>(),
                _ => None,
            }
            .ok_or_else(|| n.wrong("an array of integers"))?;
            Some(parts.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
        }
        None => None,
    };
    let exit_status = root.u8("smartctl/exit_status")?.map(ExitStatus);
    let messages = root
        .array("smartctl/messages")?
        .iter()
        .map(|m| {
            Ok(Message { text: m.required("string", m.string("string")?)?, severity: m.string("severity")? })
        })
        .collect::<Result<Vec<_>, SmartError>>()?;
    let protocol = root.string("device/protocol")?.map(|p| match p.as_str() {
        "ATA" => Protocol::Ata,
        "NVMe" => Protocol::Nvme,
        "SCSI" => Protocol::Scsi,
        _ => Protocol::Other(p),
    });
    let wwn = match root.get("wwn") {
        None => None,
        Some(w) => {
            let naa = w.u64("naa")?;
            let oui = w.u64("oui")?;
            let id = w.u64("id")?;
            match (naa, oui, id) {
                (Some(naa), Some(oui), Some(id)) if naa <= 0xf && oui <= 0xff_ffff && id <= 0xf_ffff_ffff => {
                    Some(format!("{naa:x}{oui:06x}{id:09x}"))
                }
                (Some(_), Some(_), Some(_)) => return Err(w.wrong("naa < 16, oui < 2^24 and id < 2^36")),
                _ => None,
            }
        }
    };
    // smart_support was a boolean in some early JSON outputs; only the object form is read.
    let (smart_available, smart_enabled) = match root.get("smart_support") {
        Some(s) if s.v.is_object() => (s.bool("available")?, s.bool("enabled")?),
        _ => (None, None),
    };

    let attributes = root
        .array("ata_smart_attributes/table")?
        .iter()
        .map(parse_attribute)
        .collect::<Result<Vec<_>, SmartError>>()?;
    let nvme = match root.get("nvme_smart_health_information_log") {
        None => None,
        Some(n) => Some(parse_nvme(&n)?),
    };

    let ata_tests = match root.get("ata_smart_self_test_log/extended/table") {
        Some(_) => root.array("ata_smart_self_test_log/extended/table")?,
        None => root.array("ata_smart_self_test_log/standard/table")?,
    };
    let mut self_tests = ata_tests.iter().map(parse_ata_self_test).collect::<Result<Vec<_>, SmartError>>()?;
    for t in root.array("nvme_self_test_log/table")? {
        self_tests.push(parse_nvme_self_test(&t)?);
    }

    let rotation_rate = root.u64("rotation_rate")?;
    let counters = counters(&attributes);
    let devstat_endurance_used = devstat_endurance(root)?;
    let temperature_celsius = match root.i64("temperature/current")? {
        Some(t) => Some(t),
        None => attributes
            .iter()
            .find(|a| a.id == 194)
            .map(attribute_temperature)
            .or(nvme.as_ref().map(|n| n.temperature_celsius)),
    };
    let power_on_hours = match root.u64("power_on_time/hours")? {
        Some(h) => Some(h),
        None => nvme.as_ref().and_then(|n| u64::try_from(n.power_on_hours).ok()),
    };
    let power_cycles = match root.u64("power_cycle_count")? {
        Some(c) => Some(c),
        None => nvme.as_ref().and_then(|n| u64::try_from(n.power_cycles).ok()),
    };
    let capacity_bytes = match root.u64("user_capacity/bytes")? {
        Some(b) => Some(b),
        None => root.u64("nvme_total_capacity")?,
    };

    Ok(SmartReport {
        smartctl_version,
        exit_status,
        messages,
        device_name: root.text("device/name")?,
        device_type: root.text("device/type")?,
        protocol,
        model_family: root.text("model_family")?,
        model: root.text("model_name")?,
        serial: root.text("serial_number")?,
        firmware: root.text("firmware_version")?,
        wwn,
        capacity_bytes,
        logical_block_size: root.u64("logical_block_size")?,
        physical_block_size: root.u64("physical_block_size")?,
        rotation_rate,
        form_factor: root.text("form_factor/name")?,
        smart_available,
        smart_enabled,
        smart_passed: root.bool("smart_status/passed")?,
        power_on_hours,
        power_cycles,
        temperature_celsius,
        attributes,
        counters,
        devstat_endurance_used,
        nvme,
        self_tests,
    })
}

fn parse_attribute(n: &Node<'_>) -> Result<AtaAttribute, SmartError> {
    let when_failed = match n.get("when_failed") {
        None => WhenFailed::Never,
        Some(w) => match w.v.as_str() {
            Some("") => WhenFailed::Never,
            Some("now") => WhenFailed::Now,
            Some("past") => WhenFailed::Past,
            _ => return Err(w.wrong("\"\", \"now\" or \"past\"")),
        },
    };
    Ok(AtaAttribute {
        id: n.required("id", n.u8("id")?)?,
        name: n.required("name", n.string("name")?)?,
        value: n.required("value", n.u8("value")?)?,
        worst: n.required("worst", n.u8("worst")?)?,
        thresh: n.required("thresh", n.u8("thresh")?)?,
        raw: n.required("raw/value", n.u64("raw/value")?)?,
        raw_string: n.string("raw/string")?,
        when_failed,
        prefailure: n.bool("flags/prefailure")?.unwrap_or(false),
    })
}

/// Attribute 194's temperature: the first number of smartctl's raw string (`32 (Min/Max 24/38)`),
/// else the low byte of the raw value, where drives commonly put the current temperature.
fn attribute_temperature(a: &AtaAttribute) -> i64 {
    a.raw_string
        .as_deref()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or((a.raw & 0xff) as i64)
}

fn counters(attributes: &[AtaAttribute]) -> AtaCounters {
    let raw = |id: u8| attributes.iter().find(|a| a.id == id).map(|a| a.raw);
    AtaCounters {
        reallocated_sectors: raw(5),
        pending_sectors: raw(197),
        offline_uncorrectable: raw(198),
        udma_crc_errors: raw(199),
        reported_uncorrect: raw(187),
        ssd_wear: vendor_wear(attributes),
    }
}

/// Device Statistics page 07h, offset 8, when smartctl read it and the drive marks it valid.
fn devstat_endurance(root: &Node<'_>) -> Result<Option<u16>, SmartError> {
    for page in root.array("ata_device_statistics/pages")? {
        if page.u64("number")? != Some(7) {
            continue;
        }
        for entry in page.array("table")? {
            let named = entry.string("name")?.is_some_and(|n| n == "Percentage Used Endurance Indicator");
            if !(entry.u64("offset")? == Some(8) || named) {
                continue;
            }
            if entry.bool("flags/valid")? == Some(false) {
                return Ok(None);
            }
            return Ok(entry.u64("value")?.and_then(|v| u16::try_from(v).ok()));
        }
    }
    Ok(None)
}

fn parse_nvme(n: &Node<'_>) -> Result<NvmeHealth, SmartError> {
    let u = |k: &str| -> Result<u64, SmartError> { n.required(k, n.u64(k)?) };
    let big = |k: &str| -> Result<u128, SmartError> { n.required(k, n.u128(k)?) };
    Ok(NvmeHealth {
        critical_warning: CriticalWarning(n.required("critical_warning", n.u8("critical_warning")?)?),
        temperature_celsius: n.required("temperature", n.i64("temperature")?)?,
        available_spare: u("available_spare")?,
        available_spare_threshold: u("available_spare_threshold")?,
        percentage_used: u("percentage_used")?,
        data_units_read: big("data_units_read")?,
        data_units_written: big("data_units_written")?,
        power_on_hours: big("power_on_hours")?,
        power_cycles: big("power_cycles")?,
        unsafe_shutdowns: big("unsafe_shutdowns")?,
        media_errors: big("media_errors")?,
        num_err_log_entries: big("num_err_log_entries")?,
    })
}

fn parse_ata_self_test(n: &Node<'_>) -> Result<SelfTest, SmartError> {
    let status_value = n.u64("status/value")?;
    let outcome = match n.bool("status/passed")? {
        // Status nibble Fh: still running (smartctl writes passed = true for it).
        _ if status_value.is_some_and(|v| v >> 4 == 0xf) => SelfTestOutcome::Incomplete,
        Some(true) => SelfTestOutcome::Passed,
        Some(false) => SelfTestOutcome::Failed,
        None => SelfTestOutcome::Incomplete,
    };
    Ok(SelfTest {
        kind: n.string("type/string")?.unwrap_or_else(|| "unknown type".into()),
        status: n.string("status/string")?.unwrap_or_else(|| "unknown status".into()),
        outcome,
        lifetime_hours: n.u64("lifetime_hours")?,
        first_error_lba: n.u64("lba")?,
    })
}

fn parse_nvme_self_test(n: &Node<'_>) -> Result<SelfTest, SmartError> {
    let result = n.required("self_test_result/value", n.u64("self_test_result/value")?)?;
    // NVMe Base spec, Device Self-test log, Self-test Result: 0h completed without error,
    // 6h/7h completed with failed segments; the rest are aborts, fatal/unknown errors or unused.
    let outcome = match result {
        0 => SelfTestOutcome::Passed,
        6 | 7 => SelfTestOutcome::Failed,
        _ => SelfTestOutcome::Incomplete,
    };
    Ok(SelfTest {
        kind: n.string("self_test_code/string")?.unwrap_or_else(|| "unknown type".into()),
        status: n.string("self_test_result/string")?.unwrap_or_else(|| format!("result {result}")),
        outcome,
        lifetime_hours: n.u64("power_on_hours")?,
        first_error_lba: n.u64("lba")?,
    })
}

fn plural(n: impl Into<u128>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn assess(r: &SmartReport, policy: Option<&EndurancePolicy>) -> Health {
    let exit = r.exit_status;
    let bit = |b: ExitBit| exit.is_some_and(|e| e.has(b));
    let c = &r.counters;
    let mut failing: Vec<String> = Vec::new();
    let mut worn: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    if r.smart_passed == Some(false) {
        failing.push(if r.protocol == Some(Protocol::Nvme) {
            "the drive's overall-health self-assessment is FAILED (its NVMe critical warning byte is set)"
                .into()
        } else {
            "the drive's overall-health self-assessment is FAILED: it predicts its own failure".into()
        });
    } else if bit(ExitBit::DiskFailing) {
        failing.push("smartctl's exit status says the SMART status check returned \"DISK FAILING\"".into());
    }

    let failed_now: Vec<String> = r
        .attributes
        .iter()
        .filter(|a| a.prefailure && a.when_failed == WhenFailed::Now)
        .map(|a| format!("{} {} (value {}, threshold {})", a.id, a.name, a.value, a.thresh))
        .collect();
    if !failed_now.is_empty() {
        failing.push(format!(
            "pre-failure attribute{} at or below {} threshold now: {}",
            if failed_now.len() == 1 { "" } else { "s" },
            if failed_now.len() == 1 { "its" } else { "their" },
            failed_now.join(", ")
        ));
    } else if bit(ExitBit::PrefailBelowThreshold) {
        failing.push(
            "smartctl's exit status says pre-failure attributes are at or below their threshold".into(),
        );
    }

    match c.reallocated_sectors {
        Some(n) if n > REALLOCATED_FAILING_ABOVE => failing.push(format!(
            "{} (attribute 5): more than {REALLOCATED_FAILING_ABOVE} means the surface is failing",
            plural(n, "sector has been reallocated", "sectors have been reallocated")
        )),
        Some(n) if n > 0 => worn.push(format!(
            "{} (attribute 5): the disk has replaced bad sectors with spares; watch it",
            plural(n, "sector has been reallocated", "sectors have been reallocated")
        )),
        _ => {}
    }
    if let Some(n) = c.pending_sectors.filter(|n| *n > 0) {
        failing.push(format!(
            "{} (attribute 197): the disk cannot read {}",
            plural(n, "sector is pending reallocation", "sectors are pending reallocation"),
            if n == 1 { "it" } else { "them" }
        ));
    }
    if let Some(n) = c.offline_uncorrectable.filter(|n| *n > 0) {
        failing.push(format!(
            "{} (attribute 198): the offline surface scan could not read {}",
            plural(n, "uncorrectable sector", "uncorrectable sectors"),
            if n == 1 { "it" } else { "them" }
        ));
    }

    if let Some(h) = &r.nvme {
        if h.critical_warning.0 != 0 {
            failing.push(format!(
                "NVMe critical warning 0x{:02x}: {}",
                h.critical_warning.0,
                h.critical_warning.meanings().join("; ")
            ));
        }
        if h.media_errors > 0 {
            failing.push(format!(
                "{} in the NVMe health log: data could not be recovered",
                plural(h.media_errors, "media error", "media errors")
            ));
        }
        if h.available_spare < h.available_spare_threshold {
            failing.push(format!(
                "NVMe available spare is {} %, below its threshold of {} %",
                h.available_spare, h.available_spare_threshold
            ));
        }
    }

    let last_test = r.last_finished_self_test();
    if let Some(t) = last_test.filter(|t| t.outcome == SelfTestOutcome::Failed) {
        let mut s = format!("the most recent self-test ({}) failed: {}", t.kind, t.status);
        if let Some(lba) = t.first_error_lba {
            s.push_str(&format!(", first error at LBA {lba}"));
        }
        failing.push(s);
    } else if let Some(t) = r.self_tests.iter().find(|t| t.outcome == SelfTestOutcome::Failed) {
        let when = t.lifetime_hours.map(|h| format!(" at {h} hours")).unwrap_or_default();
        notes.push(format!(
            "an older self-test ({}{when}) failed: {}, but a more recent one passed",
            t.kind, t.status
        ));
    }

    let has_data = r.smart_passed.is_some() || !r.attributes.is_empty() || r.nvme.is_some();
    if failing.is_empty() && !has_data {
        return Health { verdict: HealthVerdict::Unknown, reasons: unknown_reasons(r) };
    }

    if let Some(e) = r.endurance() {
        let kind = if r.protocol == Some(Protocol::Nvme) { "NVMe disk" } else { "SSD" };
        let said = format!("the {kind} has used {} % of its rated endurance ({})", e.used_percent, e.source);
        match policy {
            None => notes.push(format!("{said}; not judged: no grading policy was given")),
            Some(policy) => {
                let years = policy.years_left(e.used_percent, r.power_on_hours);
                let left = match years {
                    Some(_) if e.used_percent >= 100 => "its rated endurance is used up".to_owned(),
                    Some(y) => format!(
                        "at the rate it wore so far, about {y:.1} years of typical use ({} hours a year) are left",
                        policy.typical_hours_per_year
                    ),
                    None => "no wear rate to estimate the years left from".to_owned(),
                };
                let said = format!("{said}; {left}");
                if f64::from(e.used_percent) >= policy.worn_at_percent_used {
                    worn.push(format!("{said} (worn at {} % used or more)", policy.worn_at_percent_used));
                } else if years.is_some_and(|y| y < policy.worn_below_years) {
                    worn.push(format!("{said} (worn below {} years)", policy.worn_below_years));
                } else {
                    notes.push(said);
                }
            }
        }
    }
    if let Some(h) = r.power_on_hours.filter(|h| *h > POWER_ON_HOURS_OLD_ABOVE) {
        worn.push(format!(
            "powered on for {h} hours (about {:.1} years): an old disk (more than {POWER_ON_HOURS_OLD_ABOVE} hours)",
            h as f64 / (24.0 * 365.25)
        ));
    }
    if let Some(n) = c.udma_crc_errors.filter(|n| *n > 0) {
        worn.push(format!(
            "{} (attribute 199): these come from the SATA cable or connector, not the disk; \
             replace or reseat the cable",
            plural(n, "UDMA CRC error", "UDMA CRC errors")
        ));
    }

    if bit(ExitBit::CommandFailed) {
        notes.push(
            "some SMART commands failed (smartctl exit status bit 2), so parts of this report may be missing"
                .into(),
        );
    }
    if bit(ExitBit::BelowThresholdInPast) {
        notes.push("some attributes were at or below their threshold in the past (exit status bit 5)".into());
    }
    if bit(ExitBit::ErrorLog) {
        notes.push("the device error log contains records of errors (exit status bit 6)".into());
    }
    if bit(ExitBit::SelfTestLog) && r.self_tests.iter().all(|t| t.outcome != SelfTestOutcome::Failed) {
        notes.push("the self-test log contains records of errors (exit status bit 7)".into());
    }
    if r.smart_passed.is_none() {
        notes.push(
            "smartctl gave no overall-health verdict; the disk was judged on its counters alone".into(),
        );
    }

    let verdict = if !failing.is_empty() {
        HealthVerdict::Failing
    } else if !worn.is_empty() {
        HealthVerdict::Worn
    } else {
        HealthVerdict::Good
    };
    let mut reasons = failing;
    reasons.append(&mut worn);
    if verdict == HealthVerdict::Good {
        let what = if r.smart_passed == Some(true) {
            "the drive's overall-health self-assessment passed and no counter shows wear or failure"
        } else {
            "no counter shows wear or failure"
        };
        reasons.push(what.into());
    }
    reasons.append(&mut notes);
    Health { verdict, reasons }
}

fn unknown_reasons(r: &SmartReport) -> Vec<String> {
    let mut said: Vec<&str> = r
        .messages
        .iter()
        .filter(|m| m.severity.as_deref() == Some("error"))
        .map(|m| m.text.as_str())
        .collect();
    if said.is_empty() {
        said = r.messages.iter().map(|m| m.text.as_str()).collect();
    }
    let mut reasons = Vec::new();
    if said.is_empty() {
        reasons.push("smartctl could not read SMART data and gave no message".to_owned());
    } else {
        reasons.push(format!("smartctl could not read SMART data: {}", said.join("; ")));
    }
    if r.smart_available == Some(false) {
        reasons.push("the device does not support SMART".into());
    } else if r.smart_enabled == Some(false) {
        reasons.push("SMART is disabled on the device".into());
    }
    if let Some(e) = r.exit_status.filter(|e| e.code() != 0) {
        reasons.push(format!("smartctl {e}"));
    }
    reasons
}
