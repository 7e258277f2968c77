//! NVMe admin commands for Purge: the 64-byte submission queue entry and the Linux pass-through
//! structure, the commands (Identify, Format NVM, Sanitize, Get Log Page), and the decoding of
//! the data they return.
//!
//! Everything here is pure. Issuing the commands is the job of
//! [`super::ioctl::nvme_admin_command`].
//!
//! References: NVM Express Base Specification 2.0 (NVMe Base 2.0) §4.2 (submission queue entry),
//! §5.14 (Get Log Page), §5.17 (Identify), §5.24 (Sanitize), §8.21 (sanitize operations); NVM
//! Command Set Specification 1.0 §4.1.5.1 (Identify Namespace) and §5.2 (Format NVM).

use std::fmt;
use std::time::Duration;

use super::DecodeError;

/// Admin command opcodes (NVMe Base 2.0).
pub mod opcode {
    /// Get Log Page (NVMe Base 2.0 §5.16).
    pub const GET_LOG_PAGE: u8 = 0x02;
    /// Identify (NVMe Base 2.0 §5.17).
    pub const IDENTIFY: u8 = 0x06;
    /// Format NVM (NVMe Base 2.0 §5.14, fields in the NVM Command Set 1.0).
    pub const FORMAT_NVM: u8 = 0x80;
    /// Sanitize (NVMe Base 2.0 §5.24).
    pub const SANITIZE: u8 = 0x84;
}

/// Identify CNS values (NVMe Base 2.0).
pub mod cns {
    /// Identify Namespace data structure for the NSID (NVM Command Set).
    pub const NAMESPACE: u8 = 0x00;
    /// Identify Controller data structure.
    pub const CONTROLLER: u8 = 0x01;
}

/// Log page identifier of the Sanitize Status log (NVMe Base 2.0 §5.16.1.25).
pub const LID_SANITIZE_STATUS: u8 = 0x81;

/// Size of the Sanitize Status log page.
pub const SANITIZE_LOG_LEN: usize = 512;

/// Size of an Identify data structure.
pub const IDENTIFY_LEN: usize = 4096;

/// The NSID meaning "every namespace".
pub const NSID_ALL: u32 = 0xFFFF_FFFF;

/// Which way data moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// No data.
    None,
    /// From the controller to the host.
    FromController,
    /// From the host to the controller.
    ToController,
}

/// An admin command: opcode, NSID and command dwords 10-15, and its data transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCommand {
    /// The command's name, for messages.
    pub name: &'static str,
    /// Opcode (CDW0 bits 7:0).
    pub opcode: u8,
    /// Namespace identifier (CDW1).
    pub nsid: u32,
    /// Command dwords 10 to 15.
    pub cdw: [u32; 6],
    /// Data length in bytes.
    pub data_len: u32,
    /// Data direction.
    pub direction: Direction,
}

/// Sanitize Action, CDW10 bits 2:0 (NVMe Base 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanitizeAction {
    /// 001b: Exit Failure Mode.
    ExitFailureMode,
    /// 010b: Start a Block Erase sanitize operation.
    BlockErase,
    /// 011b: Start an Overwrite sanitize operation.
    Overwrite {
        /// OVRPAT, CDW11: the 32-bit pattern.
        pattern: u32,
        /// OWPASS: number of passes, 1 to 16.
        passes: u8,
        /// OIPBP: invert the pattern between passes.
        invert: bool,
    },
    /// 100b: Start a Crypto Erase sanitize operation.
    CryptoErase,
}

impl SanitizeAction {
    /// The SANACT value.
    pub fn sanact(self) -> u32 {
        match self {
            SanitizeAction::ExitFailureMode => 1,
            SanitizeAction::BlockErase => 2,
            SanitizeAction::Overwrite { .. } => 3,
            SanitizeAction::CryptoErase => 4,
        }
    }

    /// The name used in messages and records.
    pub fn name(self) -> &'static str {
        match self {
            SanitizeAction::ExitFailureMode => "Sanitize (Exit Failure Mode)",
            SanitizeAction::BlockErase => "Sanitize (Block Erase)",
            SanitizeAction::Overwrite { .. } => "Sanitize (Overwrite)",
            SanitizeAction::CryptoErase => "Sanitize (Crypto Erase)",
        }
    }
}

/// Format NVM Secure Erase Settings, CDW10 bits 11:9 (NVM Command Set 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecureErase {
    /// 000b: no secure erase.
    None = 0,
    /// 001b: User Data Erase.
    UserData = 1,
    /// 010b: Cryptographic Erase.
    Cryptographic = 2,
}

impl AdminCommand {
    /// Identify Controller (NVMe Base 2.0 §5.17.2.1): CNS 01h, NSID 0, 4096 bytes in.
    pub fn identify_controller() -> Self {
        AdminCommand {
            name: "Identify Controller",
            opcode: opcode::IDENTIFY,
            nsid: 0,
            cdw: [u32::from(cns::CONTROLLER), 0, 0, 0, 0, 0],
            data_len: IDENTIFY_LEN as u32,
            direction: Direction::FromController,
        }
    }

    /// Identify Namespace (NVMe Base 2.0 §5.17.2.1, NVM Command Set 1.0 §4.1.5.1): CNS 00h,
    /// 4096 bytes in.
    pub fn identify_namespace(nsid: u32) -> Self {
        AdminCommand {
            name: "Identify Namespace",
            opcode: opcode::IDENTIFY,
            nsid,
            cdw: [u32::from(cns::NAMESPACE), 0, 0, 0, 0, 0],
            data_len: IDENTIFY_LEN as u32,
            direction: Direction::FromController,
        }
    }

    /// Format NVM (NVM Command Set 1.0 §5.2): CDW10 bits 3:0 LBAF (lower), bit 4
    /// MSET = 0, bits 7:5 PI = 0, bit 8 PIL = 0, bits 11:9 SES, bits 13:12 LBAF (upper).
    /// `nsid` is a namespace or [`NSID_ALL`].
    pub fn format_nvm(nsid: u32, lba_format: u8, ses: SecureErase) -> Self {
        let lbaf = u32::from(lba_format & 0x3F);
        let cdw10 = (lbaf & 0x0F) | (ses as u32) << 9 | (lbaf >> 4) << 12;
        AdminCommand {
            name: match ses {
                SecureErase::None => "Format NVM",
                SecureErase::UserData => "Format NVM (User Data Erase)",
                SecureErase::Cryptographic => "Format NVM (Cryptographic Erase)",
            },
            opcode: opcode::FORMAT_NVM,
            nsid,
            cdw: [cdw10, 0, 0, 0, 0, 0],
            data_len: 0,
            direction: Direction::None,
        }
    }

    /// Sanitize (NVMe Base 2.0 §5.24): CDW10 bits 2:0 SANACT, bit 3 AUSE (allow
    /// unrestricted sanitize exit), bits 7:4 OWPASS (0 means 16), bit 8 OIPBP, bit 9 NODAS (no
    /// deallocate after sanitize); CDW11 OVRPAT. NSID is not used (0).
    pub fn sanitize(action: SanitizeAction, allow_unrestricted_exit: bool, no_deallocate: bool) -> Self {
        let mut cdw10 = action.sanact();
        if allow_unrestricted_exit {
            cdw10 |= 1 << 3;
        }
        let mut cdw11 = 0;
        if let SanitizeAction::Overwrite { pattern, passes, invert } = action {
            cdw10 |= u32::from(passes.clamp(1, 16) % 16) << 4;
            if invert {
                cdw10 |= 1 << 8;
            }
            cdw11 = pattern;
        }
        if no_deallocate {
            cdw10 |= 1 << 9;
        }
        AdminCommand {
            name: action.name(),
            opcode: opcode::SANITIZE,
            nsid: 0,
            cdw: [cdw10, cdw11, 0, 0, 0, 0],
            data_len: 0,
            direction: Direction::None,
        }
    }

    /// Get Log Page (NVMe Base 2.0 §5.16): CDW10 bits 7:0 LID, 14:8 LSP = 0,
    /// bit 15 RAE = 0, bits 31:16 NUMDL; CDW11 bits 15:0 NUMDU; CDW12/13 offset 0. NUMD is the
    /// 0's based number of dwords. `len` must be a multiple of 4.
    pub fn get_log_page(name: &'static str, lid: u8, nsid: u32, len: u32) -> Self {
        let numd = (len / 4).saturating_sub(1);
        AdminCommand {
            name,
            opcode: opcode::GET_LOG_PAGE,
            nsid,
            cdw: [u32::from(lid) | (numd & 0xFFFF) << 16, numd >> 16, 0, 0, 0, 0],
            data_len: len,
            direction: Direction::FromController,
        }
    }

    /// Get Log Page for the Sanitize Status log (LID 81h, 512 bytes, NUMDL 127). The log is
    /// not namespace specific: NSID 0.
    pub fn sanitize_status_log() -> Self {
        Self::get_log_page("Get Log Page (Sanitize Status)", LID_SANITIZE_STATUS, 0, SANITIZE_LOG_LEN as u32)
    }

    /// The 64-byte submission queue entry (NVMe Base 2.0 §4.2): CDW0 = opcode (7:0),
    /// FUSE 0, PSDT 0 (PRPs), CID (31:16); CDW1 NSID; CDW2-3 0; MPTR (bytes 16-23) 0; DPTR
    /// PRP1 (bytes 24-31) `data_pointer`, PRP2 0; CDW10-15. All little endian.
    pub fn sqe(&self, command_id: u16, data_pointer: u64) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0] = self.opcode;
        b[2..4].copy_from_slice(&command_id.to_le_bytes());
        b[4..8].copy_from_slice(&self.nsid.to_le_bytes());
        b[24..32].copy_from_slice(&data_pointer.to_le_bytes());
        for (i, d) in self.cdw.iter().enumerate() {
            b[40 + 4 * i..44 + 4 * i].copy_from_slice(&d.to_le_bytes());
        }
        b
    }

    /// The bytes of Linux's `struct nvme_passthru_cmd` (alias `nvme_admin_cmd`, 72 bytes,
    /// include/uapi/linux/nvme_ioctl.h) as NVME_IOCTL_ADMIN_CMD takes it: opcode, flags,
    /// rsvd1, nsid, cdw2, cdw3, metadata, addr, metadata_len, data_len, cdw10-15, timeout_ms,
    /// result. The first 40 bytes line up with the SQE; data_len sits where PRP2 would.
    pub fn passthru_bytes(&self, addr: u64, timeout: Duration) -> [u8; 72] {
        let mut b = [0u8; 72];
        b[0] = self.opcode;
        b[4..8].copy_from_slice(&self.nsid.to_le_bytes());
        b[24..32].copy_from_slice(&addr.to_le_bytes());
        b[36..40].copy_from_slice(&self.data_len.to_le_bytes());
        for (i, d) in self.cdw.iter().enumerate() {
            b[40 + 4 * i..44 + 4 * i].copy_from_slice(&d.to_le_bytes());
        }
        b[64..68].copy_from_slice(&timeout_ms(timeout).to_le_bytes());
        b
    }
}

/// A timeout in milliseconds for the pass-through, saturated to u32 (0 would mean "the driver's
/// default", about a minute: never send 0 for a long command).
pub fn timeout_ms(timeout: Duration) -> u32 {
    u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX).max(1)
}

/// The status of a completed command as Linux returns it from NVME_IOCTL_ADMIN_CMD: the
/// completion queue entry's Status Field without the phase tag (NVMe Base 2.0):
/// bits 7:0 SC, 10:8 SCT, 12:11 CRD, 13 M (more), 14 DNR (do not retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvmeStatus(pub u16);

impl NvmeStatus {
    /// Status Code.
    pub fn code(self) -> u8 {
        self.0 as u8
    }

    /// Status Code Type (0 generic, 1 command specific, 2 media and data integrity, ...).
    pub fn code_type(self) -> u8 {
        ((self.0 >> 8) & 0x7) as u8
    }

    /// Do Not Retry.
    pub fn do_not_retry(self) -> bool {
        self.0 & 0x4000 != 0
    }

    /// Successful Completion.
    pub fn is_success(self) -> bool {
        self.code() == 0 && self.code_type() == 0
    }

    /// A description for the statuses met around sanitize and format (NVMe Base 2.0 §4.6.1.2,
    /// generic and command specific status values; NVM Command Set 1.0).
    pub fn description(self) -> &'static str {
        match (self.code_type(), self.code()) {
            (0, 0x00) => "successful completion",
            (0, 0x01) => "invalid command opcode",
            (0, 0x02) => "invalid field in command",
            (0, 0x06) => "internal error",
            (0, 0x0B) => "invalid namespace or format",
            (0, 0x1C) => "sanitize failed",
            (0, 0x1D) => "sanitize in progress",
            (0, 0x23) => "sanitize prohibited while persistent memory region is enabled",
            (1, 0x0A) => "invalid format",
            (1, 0x15) => "operation denied (command and feature lockdown)",
            (2, _) => "media or data integrity error",
            _ => "unknown status",
        }
    }
}

impl fmt::Display for NvmeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SCT {:#x} SC {:#04x} ({})", self.code_type(), self.code(), self.description())?;
        if self.do_not_retry() {
            f.write_str(", do not retry")?;
        }
        Ok(())
    }
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from(le32(b, at)) | u64::from(le32(b, at + 4)) << 32
}

/// An ASCII field of an Identify structure (left justified, padded with spaces).
fn ascii(b: &[u8]) -> String {
    b.iter()
        .map(|&c| if c.is_ascii_graphic() || c == b' ' { c as char } else { ' ' })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Sanitize Capabilities, SANICAP bytes 331:328 (NVMe Base 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SanitizeCaps {
    /// Bit 0 CES: Crypto Erase supported.
    pub crypto_erase: bool,
    /// Bit 1 BES: Block Erase supported.
    pub block_erase: bool,
    /// Bit 2 OWS: Overwrite supported.
    pub overwrite: bool,
    /// Bit 29 NDI: No-Deallocate Inhibited (NODAS must not be set).
    pub no_deallocate_inhibited: bool,
    /// Bits 31:30 NODMMAS: whether media is modified after a sanitize with no-deallocate
    /// (0 not reported, 1 not additionally modified, 2 additionally modified).
    pub nodmmas: u8,
}

impl SanitizeCaps {
    /// Decodes SANICAP.
    pub fn decode(v: u32) -> Self {
        SanitizeCaps {
            crypto_erase: v & 1 != 0,
            block_erase: v & 2 != 0,
            overwrite: v & 4 != 0,
            no_deallocate_inhibited: v & (1 << 29) != 0,
            nodmmas: (v >> 30) as u8,
        }
    }

    /// Any sanitize operation is supported (the Sanitize command is supported).
    pub fn any(&self) -> bool {
        self.crypto_erase || self.block_erase || self.overwrite
    }
}

/// Format NVM Attributes, FNA byte 524 (NVMe Base 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormatAttributes {
    /// Bit 0 FNS: a format applies to all namespaces.
    pub format_applies_to_all: bool,
    /// Bit 1 SENS: a secure erase applies to all namespaces.
    pub secure_erase_applies_to_all: bool,
    /// Bit 2 CRYES: cryptographic erase is supported as part of Format NVM.
    pub crypto_erase_supported: bool,
    /// Bit 3 FNVMBS: Format NVM with NSID FFFFFFFFh is not supported (NVMe 2.0).
    pub broadcast_not_supported: bool,
}

impl FormatAttributes {
    /// Decodes FNA.
    pub fn decode(v: u8) -> Self {
        FormatAttributes {
            format_applies_to_all: v & 1 != 0,
            secure_erase_applies_to_all: v & 2 != 0,
            crypto_erase_supported: v & 4 != 0,
            broadcast_not_supported: v & 8 != 0,
        }
    }
}

/// The Identify Controller data structure, the fields used (NVMe Base 2.0 §5.17.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifyController {
    /// Bytes 1:0 VID: PCI vendor ID.
    pub vid: u16,
    /// Bytes 3:2 SSVID: PCI subsystem vendor ID.
    pub ssvid: u16,
    /// Bytes 23:4 SN.
    pub serial: String,
    /// Bytes 63:24 MN.
    pub model: String,
    /// Bytes 71:64 FR.
    pub firmware: String,
    /// Bytes 83:80 VER (major 31:16, minor 15:8, tertiary 7:0); 0 before NVMe 1.2.
    pub version: u32,
    /// Bytes 257:256 OACS: Optional Admin Command Support.
    pub oacs: u16,
    /// Bytes 295:280 TNVMCAP, total NVM capacity in bytes (0 when not reported).
    pub total_capacity: u128,
    /// Bytes 331:328 SANICAP.
    pub sanitize: SanitizeCaps,
    /// Bytes 519:516 NN: number of namespaces allowed.
    pub namespaces: u32,
    /// Bytes 521:520 ONCS: Optional NVM Command Support.
    pub oncs: u16,
    /// Byte 524 FNA.
    pub format: FormatAttributes,
}

impl IdentifyController {
    /// Decodes the 4096-byte structure.
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() < IDENTIFY_LEN {
            return Err(DecodeError::TooShort {
                what: "Identify Controller data",
                need: IDENTIFY_LEN,
                got: b.len(),
            });
        }
        Ok(IdentifyController {
            vid: le16(b, 0),
            ssvid: le16(b, 2),
            serial: ascii(&b[4..24]),
            model: ascii(&b[24..64]),
            firmware: ascii(&b[64..72]),
            version: le32(b, 80),
            oacs: le16(b, 256),
            total_capacity: u128::from(le64(b, 280)) | u128::from(le64(b, 288)) << 64,
            sanitize: SanitizeCaps::decode(le32(b, 328)),
            namespaces: le32(b, 516),
            oncs: le16(b, 520),
            format: FormatAttributes::decode(b[524]),
        })
    }

    /// OACS bit 1: Format NVM is supported.
    pub fn format_supported(&self) -> bool {
        self.oacs & 0x0002 != 0
    }

    /// OACS bit 0: Security Send and Security Receive are supported (TCG Opal and the like).
    pub fn security_send_receive_supported(&self) -> bool {
        self.oacs & 0x0001 != 0
    }

    /// ONCS bit 2: Dataset Management (deallocate, "TRIM") is supported.
    pub fn deallocate_supported(&self) -> bool {
        self.oncs & 0x0004 != 0
    }
}

/// One LBA Format data structure (NVM Command Set 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LbaFormat {
    /// Bits 15:0 MS: metadata size in bytes.
    pub metadata_size: u16,
    /// Bits 23:16 LBADS: LBA data size as a power of two (9 = 512 bytes); 0 = format unused.
    pub data_size_shift: u8,
    /// Bits 25:24 RP: relative performance (0 best).
    pub relative_performance: u8,
}

impl LbaFormat {
    /// LBA data size in bytes, `None` when LBADS is below 9 (unused or invalid).
    pub fn data_size(&self) -> Option<u64> {
        (9..64).contains(&self.data_size_shift).then(|| 1u64 << self.data_size_shift)
    }
}

/// The Identify Namespace data structure of the NVM command set, the fields used (NVM Command
/// Set 1.0 §4.1.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifyNamespace {
    /// Bytes 7:0 NSZE: namespace size in logical blocks.
    pub size: u64,
    /// Bytes 15:8 NCAP: namespace capacity in logical blocks.
    pub capacity: u64,
    /// Bytes 23:16 NUSE: namespace utilization in logical blocks.
    pub utilization: u64,
    /// Byte 26 FLBAS: formatted LBA size (bits 3:0 index low, bit 4 extended metadata,
    /// bits 6:5 index high).
    pub flbas: u8,
    /// The LBA formats 0 to NLBAF (byte 25, 0's based), bytes 128 onward.
    pub lba_formats: Vec<LbaFormat>,
}

impl IdentifyNamespace {
    /// Decodes the structure (4096 bytes; the first 384 are enough).
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() < 384 {
            return Err(DecodeError::TooShort { what: "Identify Namespace data", need: 384, got: b.len() });
        }
        let count = usize::from(b[25]) + 1;
        let lba_formats = (0..count.min(64))
            .map(|i| {
                let v = le32(b, 128 + 4 * i);
                LbaFormat {
                    metadata_size: v as u16,
                    data_size_shift: (v >> 16) as u8,
                    relative_performance: ((v >> 24) & 3) as u8,
                }
            })
            .collect();
        Ok(IdentifyNamespace {
            size: le64(b, 0),
            capacity: le64(b, 8),
            utilization: le64(b, 16),
            flbas: b[26],
            lba_formats,
        })
    }

    /// The index of the LBA format in use: FLBAS bits 3:0, plus bits 6:5 as bits 5:4 when
    /// more than 16 formats exist.
    pub fn current_format_index(&self) -> u8 {
        let low = self.flbas & 0x0F;
        if self.lba_formats.len() > 16 {
            low | ((self.flbas >> 5) & 0x3) << 4
        } else {
            low
        }
    }

    /// The LBA format in use.
    pub fn current_format(&self) -> Option<&LbaFormat> {
        self.lba_formats.get(usize::from(self.current_format_index()))
    }

    /// Logical block size in bytes.
    pub fn lba_data_size(&self) -> Option<u64> {
        self.current_format().and_then(LbaFormat::data_size)
    }

    /// Size in bytes (NSZE × LBA data size).
    pub fn size_bytes(&self) -> Option<u64> {
        self.lba_data_size().and_then(|s| self.size.checked_mul(s))
    }
}

/// Sanitize Status, SSTAT bits 2:0 (NVMe Base 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanitizeState {
    /// 000b: the NVM subsystem has never been sanitized.
    NeverSanitized,
    /// 001b: the most recent sanitize operation completed successfully.
    Completed,
    /// 010b: a sanitize operation is in progress.
    InProgress,
    /// 011b: the most recent sanitize operation failed.
    Failed,
    /// 100b: completed successfully with deallocation of all user data suppressed (NODAS).
    CompletedNoDeallocate,
    /// Reserved values.
    Reserved(u8),
}

/// The Sanitize Status log page (NVMe Base 2.0 §5.16.1.25).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SanitizeStatusLog {
    /// Bytes 1:0 SPROG: progress, numerator of a fraction of 65 536 (FFFFh when not in
    /// progress).
    pub progress: u16,
    /// SSTAT bits 2:0.
    pub state: SanitizeState,
    /// SSTAT bits 7:3: overwrite passes completed (or in progress).
    pub overwrite_passes: u8,
    /// SSTAT bit 8: Global Data Erased (no user data written since the last sanitize or since
    /// manufacture).
    pub global_data_erased: bool,
    /// Bytes 7:4 SCDW10: CDW10 of the command that started the most recent sanitize.
    pub last_cdw10: u32,
    /// Bytes 11:8: estimated time for Overwrite.
    pub time_overwrite: Option<Duration>,
    /// Bytes 15:12: estimated time for Block Erase.
    pub time_block_erase: Option<Duration>,
    /// Bytes 19:16: estimated time for Crypto Erase.
    pub time_crypto_erase: Option<Duration>,
    /// Bytes 23:20: estimated time for Overwrite with No-Deallocate.
    pub time_overwrite_no_deallocate: Option<Duration>,
    /// Bytes 27:24: estimated time for Block Erase with No-Deallocate.
    pub time_block_erase_no_deallocate: Option<Duration>,
    /// Bytes 31:28: estimated time for Crypto Erase with No-Deallocate.
    pub time_crypto_erase_no_deallocate: Option<Duration>,
}

/// An estimated time in seconds: FFFFFFFFh means "no estimate"; 0 means "not reported" in the
/// No-Deallocate fields. Both become `None`.
fn estimate(v: u32) -> Option<Duration> {
    (v != 0xFFFF_FFFF && v != 0).then(|| Duration::from_secs(u64::from(v)))
}

impl SanitizeStatusLog {
    /// Decodes the log (512 bytes; the first 32 are used).
    pub fn parse(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() < 32 {
            return Err(DecodeError::TooShort { what: "Sanitize Status log", need: 32, got: b.len() });
        }
        let sstat = le16(b, 2);
        let state = match sstat & 0x7 {
            0 => SanitizeState::NeverSanitized,
            1 => SanitizeState::Completed,
            2 => SanitizeState::InProgress,
            3 => SanitizeState::Failed,
            4 => SanitizeState::CompletedNoDeallocate,
            r => SanitizeState::Reserved(r as u8),
        };
        Ok(SanitizeStatusLog {
            progress: le16(b, 0),
            state,
            overwrite_passes: ((sstat >> 3) & 0x1F) as u8,
            global_data_erased: sstat & 0x0100 != 0,
            last_cdw10: le32(b, 4),
            time_overwrite: estimate(le32(b, 8)),
            time_block_erase: estimate(le32(b, 12)),
            time_crypto_erase: estimate(le32(b, 16)),
            time_overwrite_no_deallocate: estimate(le32(b, 20)),
            time_block_erase_no_deallocate: estimate(le32(b, 24)),
            time_crypto_erase_no_deallocate: estimate(le32(b, 28)),
        })
    }

    /// Progress as a fraction 0.0-1.0 while in progress.
    pub fn fraction(&self) -> Option<f64> {
        (self.state == SanitizeState::InProgress).then(|| f64::from(self.progress) / 65536.0)
    }

    /// The estimate for an action.
    pub fn estimate_for(&self, action: SanitizeAction) -> Option<Duration> {
        match action {
            SanitizeAction::BlockErase => self.time_block_erase,
            SanitizeAction::CryptoErase => self.time_crypto_erase,
            SanitizeAction::Overwrite { .. } => self.time_overwrite,
            SanitizeAction::ExitFailureMode => None,
        }
    }
}
