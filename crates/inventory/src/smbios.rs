//! Our own reader of the raw SMBIOS tables (DMTF DSP0134, "System Management BIOS Reference
//! Specification", versions 2.0 to 3.7), as Linux exports them in
//! `/sys/firmware/dmi/tables/{smbios_entry_point,DMI}` and as `dmidecode --dump-bin` saves them.
//!
//! The kernel's /sys/class/dmi/id gives only types 0–3 and never the memory modules; the raw
//! table has them all. Parsing is pure: [`EntryPoint::parse`] and [`Smbios::parse_table`] take
//! bytes. A damaged table does not hide the rest: the walk stops at the first structure that
//! cannot be delimited, keeps every structure read before it, and records a [`SmbiosError`]
//! naming the byte offset.

use std::fmt;

use serde::Serialize;

use crate::dmi::{chassis_name, is_placeholder};

/// A problem in the SMBIOS data, with the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmbiosError {
    /// Which blob: `entry point` or `table`.
    pub blob: &'static str,
    /// Byte offset within that blob.
    pub offset: usize,
    /// What is wrong, in plain words.
    pub message: String,
}

impl fmt::Display for SmbiosError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SMBIOS {} at byte {}: {}", self.blob, self.offset, self.message)
    }
}

impl std::error::Error for SmbiosError {}

fn ep_err(offset: usize, message: impl Into<String>) -> SmbiosError {
    SmbiosError { blob: "entry point", offset, message: message.into() }
}

fn table_err(offset: usize, message: impl Into<String>) -> SmbiosError {
    SmbiosError { blob: "table", offset, message: message.into() }
}

/// The SMBIOS version the firmware claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SmbiosVersion {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl fmt::Display for SmbiosVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl SmbiosVersion {
    fn at_least(self, major: u8, minor: u8) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

/// The SMBIOS entry point structure (DSP0134 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryPoint {
    /// `_SM_` (2.1–2.x, 32-bit, §5.2.1), `_SM3_` (3.x, 64-bit, §5.2.2) or `_DMI_` (legacy DMI 2.0).
    pub anchor: &'static str,
    /// Claimed version.
    pub version: SmbiosVersion,
    /// Physical address of the structure table (0x20 in a `dmidecode --dump-bin` file).
    pub table_address: u64,
    /// Table length (2.x) or maximum size (3.x), bytes.
    pub table_length: u32,
    /// Number of structures (2.x only).
    pub structure_count: Option<u16>,
    /// Whether the checksums add up (a wrong one is reported, not fatal).
    pub checksum_ok: bool,
}

fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b)) == 0
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

impl EntryPoint {
    /// Parses an entry point (the whole of `/sys/firmware/dmi/tables/smbios_entry_point`, or
    /// the start of a `dmidecode --dump-bin` file).
    pub fn parse(b: &[u8]) -> Result<EntryPoint, SmbiosError> {
        if b.starts_with(b"_SM3_") {
            let len = *b.get(6).ok_or_else(|| ep_err(6, "truncated before its length byte"))? as usize;
            if len < 0x18 || b.len() < len {
                return Err(ep_err(
                    b.len(),
                    format!("64-bit entry point of {} bytes, claims {len}", b.len()),
                ));
            }
            let table_length = le32(b, 0x0c).ok_or_else(|| ep_err(0x0c, "truncated"))?;
            let table_address = le64(b, 0x10).ok_or_else(|| ep_err(0x10, "truncated"))?;
            Ok(EntryPoint {
                anchor: "_SM3_",
                version: SmbiosVersion { major: b[7], minor: b[8] },
                table_address,
                table_length,
                structure_count: None,
                checksum_ok: checksum_ok(&b[..len]),
            })
        } else if b.starts_with(b"_SM_") {
            let len = *b.get(5).ok_or_else(|| ep_err(5, "truncated before its length byte"))? as usize;
            // SMBIOS 2.1 entry points say 0x1F; some 2.1 firmware wrote 0x1E (DSP0134 §5.2.1 note).
            if !(0x1e..=0x20).contains(&len) || b.len() < 0x1f {
                return Err(ep_err(
                    b.len(),
                    format!("32-bit entry point of {} bytes, claims {len}", b.len()),
                ));
            }
            if &b[0x10..0x15] != b"_DMI_" {
                return Err(ep_err(0x10, "no _DMI_ intermediate anchor"));
            }
            let ok = checksum_ok(&b[..len.min(b.len())]) && checksum_ok(&b[0x10..0x1f]);
            // Some firmware says 2.33 for 2.3 and 2.51 for 2.5, as dmidecode also notes.
            let mut version = SmbiosVersion { major: b[6], minor: b[7] };
            if version.major == 2 && (version.minor == 33 || version.minor == 51) {
                version.minor /= 10;
            }
            Ok(EntryPoint {
                anchor: "_SM_",
                version,
                table_address: le32(b, 0x18).map(u64::from).unwrap_or(0),
                table_length: le16(b, 0x16).map(u32::from).unwrap_or(0),
                structure_count: le16(b, 0x1c),
                checksum_ok: ok,
            })
        } else if b.starts_with(b"_DMI_") {
            if b.len() < 15 {
                return Err(ep_err(b.len(), "legacy _DMI_ entry point shorter than 15 bytes"));
            }
            Ok(EntryPoint {
                anchor: "_DMI_",
                version: SmbiosVersion { major: b[14] >> 4, minor: b[14] & 0x0f },
                table_address: le32(b, 8).map(u64::from).unwrap_or(0),
                table_length: le16(b, 6).map(u32::from).unwrap_or(0),
                structure_count: le16(b, 12),
                checksum_ok: checksum_ok(&b[..15]),
            })
        } else {
            Err(ep_err(0, "no _SM_, _SM3_ or _DMI_ anchor: not an SMBIOS entry point"))
        }
    }
}

/// One structure of the table: its formatted area and its strings (DSP0134 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure<'a> {
    /// Structure type (0 BIOS, 1 system, 2 board, 3 chassis, 16 memory array, 17 memory device…).
    pub kind: u8,
    /// Handle.
    pub handle: u16,
    /// Byte offset in the table.
    pub offset: usize,
    /// The formatted area, header included (its length is byte 1).
    pub formatted: &'a [u8],
    /// The strings, numbered from 1 in the formatted area.
    pub strings: Vec<&'a [u8]>,
}

impl<'a> Structure<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.formatted.get(at).copied()
    }

    fn word(&self, at: usize) -> Option<u16> {
        le16(self.formatted, at)
    }

    fn dword(&self, at: usize) -> Option<u32> {
        le32(self.formatted, at)
    }

    /// The string a formatted-area byte points to, trimmed; `None` for 0 (no string), an index
    /// past the string set, or an empty string.
    pub fn string(&self, at: usize) -> Option<String> {
        let index = self.byte(at)? as usize;
        let raw = self.strings.get(index.checked_sub(1)?)?;
        let text = String::from_utf8_lossy(raw).trim().to_owned();
        Some(text).filter(|t| !t.is_empty())
    }
}

/// Splits a structure table into structures. Stops at the end-of-table structure (type 127),
/// at the end of the bytes, or at the first structure that cannot be delimited — then the
/// error names its offset and everything before it is returned.
pub fn walk(table: &[u8]) -> (Vec<Structure<'_>>, Option<SmbiosError>) {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 4 <= table.len() {
        let kind = table[at];
        let len = table[at + 1] as usize;
        let handle = u16::from_le_bytes([table[at + 2], table[at + 3]]);
        if len < 4 {
            return (
                out,
                Some(table_err(at, format!("structure of type {kind} claims a length of {len} (< 4)"))),
            );
        }
        if at + len > table.len() {
            return (
                out,
                Some(table_err(
                    at,
                    format!("structure of type {kind} (handle {handle:#06x}) runs past the end of the table ({len} bytes from here, {} left)", table.len() - at),
                )),
            );
        }
        let formatted = &table[at..at + len];
        // The string set ends with two NULs; with no strings it is just two NULs.
        let strings_start = at + len;
        let Some(rel_end) = table[strings_start..].windows(2).position(|w| w == [0, 0]) else {
            return (
                out,
                Some(table_err(
                    strings_start,
                    format!("the strings of structure type {kind} (handle {handle:#06x}) are not terminated before the end of the table"),
                )),
            );
        };
        let area = &table[strings_start..strings_start + rel_end];
        let strings = if area.is_empty() { Vec::new() } else { area.split(|b| *b == 0).collect() };
        out.push(Structure { kind, handle, offset: at, formatted, strings });
        at = strings_start + rel_end + 2;
        if kind == 127 {
            return (out, None);
        }
    }
    if at < table.len() {
        let left = table.len() - at;
        return (
            out,
            Some(table_err(at, format!("{left} byte(s) left, too few for a structure header (4)"))),
        );
    }
    (out, None)
}

/// BIOS information (type 0, DSP0134 §7.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Bios {
    /// BIOS vendor.
    pub vendor: Option<String>,
    /// BIOS version.
    pub version: Option<String>,
    /// Release date as written (mm/dd/yyyy by the spec).
    pub release_date: Option<String>,
}

/// System information (type 1, §7.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SystemInfo {
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Product name.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Serial number, as written (placeholders included; see [`Smbios::real_system_serial`]).
    pub serial: Option<String>,
    /// UUID, lower-case. From SMBIOS 2.6 on the first three fields are little-endian (§7.2.1);
    /// before, they are read in network order, as the firmware of that time wrote them.
    /// `None` when all 0x00 (not present) or all 0xFF (not set).
    pub uuid: Option<String>,
    /// SKU number (2.4+).
    pub sku: Option<String>,
    /// Family (2.4+).
    pub family: Option<String>,
}

/// Baseboard information (type 2, §7.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Board {
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Serial number, as written.
    pub serial: Option<String>,
}

/// System enclosure (type 3, §7.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Chassis {
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Chassis type code (§7.4.1), lock bit removed.
    pub type_code: Option<u8>,
    /// Its name ("notebook", "desktop", …).
    pub type_name: Option<String>,
    /// Serial number, as written.
    pub serial: Option<String>,
    /// Asset tag.
    pub asset_tag: Option<String>,
}

/// A physical memory array (type 16, §7.17): a set of slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryArray {
    /// Handle, which type 17 devices refer to.
    pub handle: u16,
    /// Use (§7.17.2): "system memory", "video memory", "flash memory", …
    pub usage: String,
    /// Error correction (§7.17.3): "none", "single-bit ECC", "multi-bit ECC", …
    pub error_correction: String,
    /// Maximum capacity, bytes (the extended field from 2.7 on when the 32-bit one says 0x80000000).
    pub max_capacity_bytes: Option<u64>,
    /// Number of slots (memory devices) the array has.
    pub slots: u16,
}

/// One memory slot and the module in it (type 17, §7.18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryModule {
    /// Handle of the array it belongs to.
    pub array_handle: Option<u16>,
    /// Slot name on the board ("DIMM 1", "ChannelA-DIMM0").
    pub locator: Option<String>,
    /// Bank ("BANK 0").
    pub bank: Option<String>,
    /// Size, bytes; `None` for an empty slot, and for an unknown size (see `size_unknown`).
    pub size_bytes: Option<u64>,
    /// Whether the firmware says a module is there but its size is unknown (0xFFFF).
    pub size_unknown: bool,
    /// Form factor (§7.18.1): "DIMM", "SODIMM", …
    pub form_factor: Option<String>,
    /// Memory type (§7.18.2): "DDR3", "DDR4", "LPDDR3", …
    pub memory_type: Option<String>,
    /// Maximum speed, MT/s (2.3+; the extended field from 3.3 on).
    pub speed_mts: Option<u32>,
    /// Configured speed, MT/s (2.7+).
    pub configured_speed_mts: Option<u32>,
    /// Module manufacturer (a JEDEC id in hex on some firmware, e.g. "859B" for Crucial).
    pub manufacturer: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Part number.
    pub part_number: Option<String>,
}

impl MemoryModule {
    /// Whether a module is installed in this slot.
    pub fn installed(&self) -> bool {
        self.size_bytes.is_some() || self.size_unknown
    }
}

/// What the raw SMBIOS tables say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Smbios {
    /// The entry point's version, or the version given to [`Smbios::parse_table`].
    pub version: SmbiosVersion,
    /// Type 0.
    pub bios: Option<Bios>,
    /// Type 1.
    pub system: Option<SystemInfo>,
    /// Type 2 (the first one: the main board).
    pub board: Option<Board>,
    /// Type 3 (the first one).
    pub chassis: Option<Chassis>,
    /// Type 16, every array.
    pub memory_arrays: Vec<MemoryArray>,
    /// Type 17, every slot, empty ones included.
    pub memory_modules: Vec<MemoryModule>,
    /// How many structures were read.
    pub structures: usize,
    /// What was wrong with the data (a bad checksum, a truncated table), with offsets.
    pub problems: Vec<SmbiosError>,
}

/// Names of the memory types (DSP0134 §7.18.2, table "Memory Device — Type").
pub fn memory_type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x01 => "other",
        0x03 => "DRAM",
        0x04 => "EDRAM",
        0x05 => "VRAM",
        0x06 => "SRAM",
        0x07 => "RAM",
        0x08 => "ROM",
        0x09 => "flash",
        0x0a => "EEPROM",
        0x0b => "FEPROM",
        0x0c => "EPROM",
        0x0d => "CDRAM",
        0x0e => "3DRAM",
        0x0f => "SDRAM",
        0x10 => "SGRAM",
        0x11 => "RDRAM",
        0x12 => "DDR",
        0x13 => "DDR2",
        0x14 => "DDR2 FB-DIMM",
        0x18 => "DDR3",
        0x19 => "FBD2",
        0x1a => "DDR4",
        0x1b => "LPDDR",
        0x1c => "LPDDR2",
        0x1d => "LPDDR3",
        0x1e => "LPDDR4",
        0x1f => "logical non-volatile device",
        0x20 => "HBM",
        0x21 => "HBM2",
        0x22 => "DDR5",
        0x23 => "LPDDR5",
        0x24 => "HBM3",
        _ => return None, // 0x02 "unknown" and reserved codes
    })
}

/// Names of the memory form factors (DSP0134 §7.18.1).
pub fn form_factor_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x01 => "other",
        0x03 => "SIMM",
        0x04 => "SIP",
        0x05 => "chip",
        0x06 => "DIP",
        0x07 => "ZIP",
        0x08 => "proprietary card",
        0x09 => "DIMM",
        0x0a => "TSOP",
        0x0b => "row of chips",
        0x0c => "RIMM",
        0x0d => "SODIMM",
        0x0e => "SRIMM",
        0x0f => "FB-DIMM",
        0x10 => "die",
        0x11 => "CAMM",
        _ => return None,
    })
}

fn array_use_name(code: u8) -> &'static str {
    match code {
        0x01 => "other",
        0x03 => "system memory",
        0x04 => "video memory",
        0x05 => "flash memory",
        0x06 => "non-volatile RAM",
        0x07 => "cache memory",
        _ => "unknown",
    }
}

fn ecc_name(code: u8) -> &'static str {
    match code {
        0x01 => "other",
        0x03 => "none",
        0x04 => "parity",
        0x05 => "single-bit ECC",
        0x06 => "multi-bit ECC",
        0x07 => "CRC",
        _ => "unknown",
    }
}

/// Strings firmware writes in the fields of an empty or undescribed slot (besides the
/// placeholders [`is_placeholder`] knows), and the templates of AMI BIOSes
/// ("ModulePartNumber00", "SerNum00").
const MODULE_FILLERS: &[&str] = &["unknown", "empty", "[empty]", "no dimm", "not available", "undefined"];
const MODULE_TEMPLATES: &[&str] =
    &["modulepartnumber", "moduleserialno", "modulemanufacturer", "manufacturer0", "sernum0", "partnum0"];

fn module_string(s: Option<String>) -> Option<String> {
    s.filter(|v| {
        let l = v.to_ascii_lowercase();
        !(is_placeholder(v)
            || MODULE_FILLERS.contains(&l.as_str())
            || MODULE_TEMPLATES.iter().any(|t| l.starts_with(t)))
    })
}

fn uuid_string(raw: &[u8], version: SmbiosVersion) -> Option<String> {
    if raw.len() < 16 || raw.iter().all(|b| *b == 0) || raw.iter().all(|b| *b == 0xff) {
        return None;
    }
    let mut b = [0u8; 16];
    b.copy_from_slice(&raw[..16]);
    if version.at_least(2, 6) {
        b[0..4].reverse();
        b[4..6].reverse();
        b[6..8].reverse();
    }
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    ))
}

fn decode_module(s: &Structure<'_>, version: SmbiosVersion) -> MemoryModule {
    let mut size_bytes = None;
    let mut size_unknown = false;
    match s.word(0x0c) {
        Some(0) | None => {}
        Some(0xffff) => size_unknown = true,
        Some(0x7fff) => {
            // Extended size (2.7+), in MiB, bits 30:0.
            size_bytes = s.dword(0x1c).map(|mb| u64::from(mb & 0x7fff_ffff) << 20);
            size_unknown = size_bytes.is_none();
        }
        Some(v) if v & 0x8000 != 0 => size_bytes = Some(u64::from(v & 0x7fff) << 10),
        Some(v) => size_bytes = Some(u64::from(v) << 20),
    }
    let installed = size_bytes.is_some() || size_unknown;
    let speed = match s.word(0x15) {
        Some(0) | None => None,
        Some(0xffff) => s.dword(0x54).map(|v| v & 0x7fff_ffff).filter(|v| *v > 0),
        Some(v) => Some(u32::from(v)),
    };
    let configured = if version.at_least(2, 7) {
        match s.word(0x20) {
            Some(0) | None => None,
            Some(0xffff) => s.dword(0x58).map(|v| v & 0x7fff_ffff).filter(|v| *v > 0),
            Some(v) => Some(u32::from(v)),
        }
    } else {
        None
    };
    MemoryModule {
        array_handle: s.word(0x04),
        locator: s.string(0x10),
        bank: s.string(0x11),
        size_bytes,
        size_unknown,
        form_factor: s.byte(0x0e).and_then(form_factor_name).map(str::to_owned),
        memory_type: s.byte(0x12).and_then(memory_type_name).map(str::to_owned),
        speed_mts: speed.filter(|_| installed),
        configured_speed_mts: configured.filter(|_| installed),
        manufacturer: module_string(s.string(0x17)).filter(|_| installed),
        serial: module_string(s.string(0x18)).filter(|_| installed),
        part_number: module_string(s.string(0x1a)).filter(|_| installed),
    }
}

impl Smbios {
    /// Decodes a structure table (`/sys/firmware/dmi/tables/DMI`) written for `version`.
    pub fn parse_table(table: &[u8], version: SmbiosVersion) -> Smbios {
        let (structures, walk_error) = walk(table);
        let mut out = Smbios {
            version,
            bios: None,
            system: None,
            board: None,
            chassis: None,
            memory_arrays: Vec::new(),
            memory_modules: Vec::new(),
            structures: structures.len(),
            problems: walk_error.into_iter().collect(),
        };
        for s in &structures {
            match s.kind {
                0 if out.bios.is_none() => {
                    out.bios =
                        Some(Bios { vendor: s.string(4), version: s.string(5), release_date: s.string(8) });
                }
                1 if out.system.is_none() => {
                    out.system = Some(SystemInfo {
                        manufacturer: s.string(4),
                        product: s.string(5),
                        version: s.string(6),
                        serial: s.string(7),
                        uuid: s.formatted.get(8..24).and_then(|raw| uuid_string(raw, version)),
                        sku: s.string(0x19),
                        family: s.string(0x1a),
                    });
                }
                2 if out.board.is_none() => {
                    out.board = Some(Board {
                        manufacturer: s.string(4),
                        product: s.string(5),
                        version: s.string(6),
                        serial: s.string(7),
                    });
                }
                3 if out.chassis.is_none() => {
                    let code = s.byte(5).map(|c| c & 0x7f);
                    out.chassis = Some(Chassis {
                        manufacturer: s.string(4),
                        type_code: code,
                        type_name: code.and_then(chassis_name).map(str::to_owned),
                        serial: s.string(7),
                        asset_tag: s.string(8),
                    });
                }
                16 => {
                    if s.formatted.len() < 0x0f {
                        out.problems.push(table_err(
                            s.offset,
                            format!("memory array (type 16) of {} bytes, needs 15", s.formatted.len()),
                        ));
                        continue;
                    }
                    let max = match s.dword(7) {
                        Some(0x8000_0000) => {
                            s.formatted.get(0x0f..0x17).and_then(|_| le64(s.formatted, 0x0f))
                        }
                        Some(kib) => Some(u64::from(kib) << 10),
                        None => None,
                    };
                    out.memory_arrays.push(MemoryArray {
                        handle: s.handle,
                        usage: array_use_name(s.byte(5).unwrap_or(2)).to_owned(),
                        error_correction: ecc_name(s.byte(6).unwrap_or(2)).to_owned(),
                        max_capacity_bytes: max.filter(|m| *m > 0),
                        slots: s.word(0x0d).unwrap_or(0),
                    });
                }
                17 => {
                    if s.formatted.len() < 0x15 {
                        out.problems.push(table_err(
                            s.offset,
                            format!(
                                "memory device (type 17) of {} bytes, needs at least 21",
                                s.formatted.len()
                            ),
                        ));
                        continue;
                    }
                    out.memory_modules.push(decode_module(s, version));
                }
                _ => {}
            }
        }
        out
    }

    /// Decodes an entry point and its table.
    pub fn parse(entry_point: &[u8], table: &[u8]) -> Result<Smbios, SmbiosError> {
        let ep = EntryPoint::parse(entry_point)?;
        let mut smbios = Smbios::parse_table(table, ep.version);
        if !ep.checksum_ok {
            smbios.problems.insert(0, ep_err(0, "checksum does not add up to zero"));
        }
        Ok(smbios)
    }

    /// Decodes a `dmidecode --dump-bin` file: the entry point at byte 0, rewritten by dmidecode
    /// so that the table address is the table's offset in the file (0x20).
    pub fn parse_dump(file: &[u8]) -> Result<Smbios, SmbiosError> {
        let ep = EntryPoint::parse(file)?;
        let start = usize::try_from(ep.table_address).unwrap_or(usize::MAX);
        if start >= file.len() {
            return Err(ep_err(
                0,
                format!("table address {start:#x} is past the end of the {}-byte dump", file.len()),
            ));
        }
        let end = start.saturating_add(ep.table_length as usize).min(file.len());
        let mut smbios = Smbios::parse_table(&file[start..end], ep.version);
        if !ep.checksum_ok {
            smbios.problems.insert(0, ep_err(0, "checksum does not add up to zero"));
        }
        Ok(smbios)
    }

    /// Memory slots of the system-memory arrays (type 16 with use "system memory"), or the
    /// number of type 17 structures when no array is described.
    pub fn slots_total(&self) -> usize {
        let system: usize =
            self.memory_arrays.iter().filter(|a| a.usage == "system memory").map(|a| a.slots as usize).sum();
        if system > 0 {
            system
        } else {
            self.memory_modules.len()
        }
    }

    /// Slots with a module.
    pub fn slots_used(&self) -> usize {
        self.system_modules().filter(|m| m.installed()).count()
    }

    /// Type 17 devices that belong to a system-memory array (or all, when arrays are missing).
    pub fn system_modules(&self) -> impl Iterator<Item = &MemoryModule> {
        let system: Vec<u16> =
            self.memory_arrays.iter().filter(|a| a.usage == "system memory").map(|a| a.handle).collect();
        self.memory_modules
            .iter()
            .filter(move |m| system.is_empty() || m.array_handle.is_some_and(|h| system.contains(&h)))
    }

    /// Sum of the installed modules' sizes, bytes.
    pub fn installed_bytes(&self) -> u64 {
        self.system_modules().filter_map(|m| m.size_bytes).sum()
    }

    /// Maximum capacity of the system memory, bytes.
    pub fn max_capacity_bytes(&self) -> Option<u64> {
        let caps: Vec<u64> = self
            .memory_arrays
            .iter()
            .filter(|a| a.usage == "system memory")
            .filter_map(|a| a.max_capacity_bytes)
            .collect();
        (!caps.is_empty()).then(|| caps.iter().sum())
    }
}
