//! ATA commands sent through a SCSI-to-ATA Translation layer (SAT): the ATA PASS-THROUGH(16)
//! command descriptor block, the ACS-3/ACS-4 commands the Purge layer needs, the IDENTIFY DEVICE
//! data, and the ATA registers returned in sense data.
//!
//! Everything here is pure: bytes in, bytes or typed values out. Issuing the commands is the job
//! of [`super::ioctl::sg_io`].
//!
//! References: T10 SAT-4 (INCITS 491) §12.2.2 "ATA PASS-THROUGH(16) command" and §12.2.2.6 / §12.2.2.7
//! (sense data for ATA PASS-THROUGH); T13 ACS-4 (INCITS 529) §7 (commands), §9.11 (IDENTIFY DEVICE
//! data); ACS-3 (INCITS 522) where ACS-4 made a command obsolete (HPA, DCO).

use std::fmt;
use std::time::Duration;

use super::DecodeError;

/// Size of an ATA logical sector as far as PIO data transfers of these commands go.
pub const SECTOR: usize = 512;

/// SCSI operation code of ATA PASS-THROUGH(16) (SAT-4 §12.2.2).
pub const ATA_PASS_THROUGH_16: u8 = 0x85;

/// ATA command codes (ACS-4 "Command codes", ACS-3 for the obsolete ones).
pub mod opcode {
    /// IDENTIFY DEVICE (ACS-4 §7.12).
    pub const IDENTIFY_DEVICE: u8 = 0xEC;
    /// SECURITY SET PASSWORD (ACS-4 §7.45.6).
    pub const SECURITY_SET_PASSWORD: u8 = 0xF1;
    /// SECURITY UNLOCK (ACS-4 §7.45.7).
    pub const SECURITY_UNLOCK: u8 = 0xF2;
    /// SECURITY ERASE PREPARE (ACS-4 §7.45.3).
    pub const SECURITY_ERASE_PREPARE: u8 = 0xF3;
    /// SECURITY ERASE UNIT (ACS-4 §7.45.4).
    pub const SECURITY_ERASE_UNIT: u8 = 0xF4;
    /// SECURITY DISABLE PASSWORD (ACS-4 §7.45.2).
    pub const SECURITY_DISABLE_PASSWORD: u8 = 0xF6;
    /// SANITIZE DEVICE (ACS-4 §7.38), the feature field selects the operation.
    pub const SANITIZE_DEVICE: u8 = 0xB4;
    /// READ NATIVE MAX ADDRESS EXT (ACS-3 §7.32, HPA feature set; obsolete in ACS-4).
    pub const READ_NATIVE_MAX_ADDRESS_EXT: u8 = 0x27;
    /// SET MAX ADDRESS EXT (ACS-3 §7.51.4, HPA feature set; obsolete in ACS-4).
    pub const SET_MAX_ADDRESS_EXT: u8 = 0x37;
    /// DEVICE CONFIGURATION OVERLAY (ACS-3 §7.9; obsolete in ACS-4), the feature field selects.
    pub const DEVICE_CONFIGURATION: u8 = 0xB1;
}

/// SANITIZE DEVICE subcommands: feature field values and keys (ACS-4 §7.38).
pub mod sanitize_feature {
    /// SANITIZE STATUS EXT (ACS-4 §7.38.7).
    pub const STATUS_EXT: u16 = 0x0000;
    /// CRYPTO SCRAMBLE EXT (ACS-4 §7.38.3).
    pub const CRYPTO_SCRAMBLE_EXT: u16 = 0x0011;
    /// BLOCK ERASE EXT (ACS-4 §7.38.2).
    pub const BLOCK_ERASE_EXT: u16 = 0x0012;
    /// OVERWRITE EXT (ACS-4 §7.38.5).
    pub const OVERWRITE_EXT: u16 = 0x0014;
    /// CRYPTO SCRAMBLE EXT key in LBA(31:0): ASCII "Cryp".
    pub const CRYPTO_SCRAMBLE_KEY: u32 = 0x4372_7970;
    /// BLOCK ERASE EXT key in LBA(31:0): ASCII "BkEr".
    pub const BLOCK_ERASE_KEY: u32 = 0x426B_4572;
    /// OVERWRITE EXT key in LBA(47:32): ASCII "OW"; the pattern goes in LBA(31:0).
    pub const OVERWRITE_KEY: u16 = 0x4F57;
}

/// DEVICE CONFIGURATION IDENTIFY feature value (ACS-3 §7.9.4).
pub const DCO_IDENTIFY_FEATURE: u8 = 0xC2;

/// ATA STATUS register bits (ACS-4 §6.2).
pub mod status {
    /// ERROR: the ERROR register says why the command failed.
    pub const ERR: u8 = 0x01;
    /// DEVICE FAULT.
    pub const DF: u8 = 0x20;
    /// DEVICE READY.
    pub const DRDY: u8 = 0x40;
    /// BUSY.
    pub const BSY: u8 = 0x80;
}

/// ATA ERROR register bits (ACS-4 §6.3).
pub mod error {
    /// ABORT: the command was refused (unsupported, wrong password, frozen, ...).
    pub const ABRT: u8 = 0x04;
    /// ID NOT FOUND: an address beyond the accessible range.
    pub const IDNF: u8 = 0x10;
}

/// The PROTOCOL field of ATA PASS-THROUGH (SAT-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Non-data (3).
    NonData = 3,
    /// PIO Data-In (4): the device sends data.
    PioDataIn = 4,
    /// PIO Data-Out (5): the host sends data.
    PioDataOut = 5,
}

/// Which way data moves for a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// No data.
    None,
    /// From the device to the host.
    FromDevice,
    /// From the host to the device.
    ToDevice,
}

/// An ATA command ready to be wrapped in ATA PASS-THROUGH(16): the registers it is written
/// with and how its data moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtaCommand {
    /// The command's name as the standard spells it, for messages.
    pub name: &'static str,
    /// COMMAND register.
    pub command: u8,
    /// FEATURE (15:0); only 7:0 reach the device unless `extend`.
    pub features: u16,
    /// COUNT (15:0); only 7:0 reach the device unless `extend`.
    pub count: u16,
    /// LBA (47:0); only 27:0 are meaningful unless `extend` (27:24 go in DEVICE 3:0).
    pub lba: u64,
    /// DEVICE register.
    pub device: u8,
    /// A 48-bit command (EXTEND bit set).
    pub extend: bool,
    /// Transfer protocol.
    pub protocol: Protocol,
    /// Number of 512-byte blocks transferred (0 for non-data).
    pub blocks: u16,
    /// Ask the SATL to return the ATA registers even on success (CK_COND).
    pub check_condition: bool,
}

impl AtaCommand {
    fn non_data(name: &'static str, command: u8, features: u16, count: u16, lba: u64, extend: bool) -> Self {
        AtaCommand {
            name,
            command,
            features,
            count,
            lba,
            device: 0,
            extend,
            protocol: Protocol::NonData,
            blocks: 0,
            // Non-data commands report through their registers: always ask for them.
            check_condition: true,
        }
    }

    fn pio(name: &'static str, command: u8, features: u16, protocol: Protocol) -> Self {
        AtaCommand {
            name,
            command,
            features,
            count: 1,
            lba: 0,
            device: 0,
            extend: false,
            protocol,
            blocks: 1,
            check_condition: false,
        }
    }

    /// IDENTIFY DEVICE (ACS-4 §7.12): PIO Data-In, one 512-byte block.
    pub fn identify_device() -> Self {
        Self::pio("IDENTIFY DEVICE", opcode::IDENTIFY_DEVICE, 0, Protocol::PioDataIn)
    }

    /// SECURITY SET PASSWORD (ACS-4 §7.45.6): PIO Data-Out, data from [`set_password_data`].
    pub fn security_set_password() -> Self {
        Self::pio("SECURITY SET PASSWORD", opcode::SECURITY_SET_PASSWORD, 0, Protocol::PioDataOut)
    }

    /// SECURITY UNLOCK (ACS-4 §7.45.7): PIO Data-Out, data from [`password_data`].
    pub fn security_unlock() -> Self {
        Self::pio("SECURITY UNLOCK", opcode::SECURITY_UNLOCK, 0, Protocol::PioDataOut)
    }

    /// SECURITY ERASE PREPARE (ACS-4 §7.45.3): non-data; must immediately precede
    /// SECURITY ERASE UNIT.
    pub fn security_erase_prepare() -> Self {
        Self::non_data("SECURITY ERASE PREPARE", opcode::SECURITY_ERASE_PREPARE, 0, 0, 0, false)
    }

    /// SECURITY ERASE UNIT (ACS-4 §7.45.4): PIO Data-Out, data from [`erase_unit_data`].
    pub fn security_erase_unit() -> Self {
        Self::pio("SECURITY ERASE UNIT", opcode::SECURITY_ERASE_UNIT, 0, Protocol::PioDataOut)
    }

    /// SECURITY DISABLE PASSWORD (ACS-4 §7.45.2): PIO Data-Out, data from [`password_data`].
    pub fn security_disable_password() -> Self {
        Self::pio("SECURITY DISABLE PASSWORD", opcode::SECURITY_DISABLE_PASSWORD, 0, Protocol::PioDataOut)
    }

    /// A SANITIZE DEVICE command (ACS-4 §7.38): 48-bit, non-data, returns at once; the
    /// operation runs in the background and is followed with [`AtaCommand::sanitize_status`].
    pub fn sanitize(op: AtaSanitize) -> Self {
        match op {
            AtaSanitize::CryptoScramble => Self::non_data(
                "SANITIZE DEVICE / CRYPTO SCRAMBLE EXT",
                opcode::SANITIZE_DEVICE,
                sanitize_feature::CRYPTO_SCRAMBLE_EXT,
                0,
                u64::from(sanitize_feature::CRYPTO_SCRAMBLE_KEY),
                true,
            ),
            AtaSanitize::BlockErase => Self::non_data(
                "SANITIZE DEVICE / BLOCK ERASE EXT",
                opcode::SANITIZE_DEVICE,
                sanitize_feature::BLOCK_ERASE_EXT,
                0,
                u64::from(sanitize_feature::BLOCK_ERASE_KEY),
                true,
            ),
            AtaSanitize::Overwrite { pattern, passes, invert } => {
                // COUNT: bit 7 INVERT PATTERN BETWEEN OVERWRITE PASSES, bits 3:0 OVERWRITE PASS
                // COUNT where 0 means 16 (ACS-4).
                let passes = u16::from(passes.clamp(1, 16) % 16);
                let count = passes | if invert { 0x80 } else { 0 };
                let lba = (u64::from(sanitize_feature::OVERWRITE_KEY) << 32) | u64::from(pattern);
                Self::non_data(
                    "SANITIZE DEVICE / OVERWRITE EXT",
                    opcode::SANITIZE_DEVICE,
                    sanitize_feature::OVERWRITE_EXT,
                    count,
                    lba,
                    true,
                )
            }
        }
    }

    /// SANITIZE STATUS EXT (ACS-4 §7.38.7). `clear_failure` sets COUNT bit 0 (CLEAR SANITIZE
    /// OPERATION FAILED), which ends a failed sanitize's error state.
    pub fn sanitize_status(clear_failure: bool) -> Self {
        Self::non_data(
            "SANITIZE DEVICE / SANITIZE STATUS EXT",
            opcode::SANITIZE_DEVICE,
            sanitize_feature::STATUS_EXT,
            u16::from(clear_failure),
            0,
            true,
        )
    }

    /// READ NATIVE MAX ADDRESS EXT (ACS-3 §7.32): the native max LBA comes back in LBA(47:0).
    pub fn read_native_max_address_ext() -> Self {
        let mut c =
            Self::non_data("READ NATIVE MAX ADDRESS EXT", opcode::READ_NATIVE_MAX_ADDRESS_EXT, 0, 0, 0, true);
        c.device = 0x40; // bit 6 "shall be set to one" (LBA).
        c
    }

    /// SET MAX ADDRESS EXT (ACS-3 §7.51.4): `max_lba` becomes the last accessible LBA; `volatile`
    /// (COUNT bit 0) makes it last only until the next power-on or hardware reset. ACS-3 requires
    /// READ NATIVE MAX ADDRESS EXT immediately before it.
    pub fn set_max_address_ext(max_lba: u64, volatile: bool) -> Self {
        let mut c = Self::non_data(
            "SET MAX ADDRESS EXT",
            opcode::SET_MAX_ADDRESS_EXT,
            0,
            u16::from(volatile),
            max_lba & 0xFFFF_FFFF_FFFF,
            true,
        );
        c.device = 0x40;
        c
    }

    /// DEVICE CONFIGURATION IDENTIFY (ACS-3 §7.9.4): PIO Data-In, one block, decoded by
    /// [`DcoIdentify::parse`].
    pub fn dco_identify() -> Self {
        Self::pio(
            "DEVICE CONFIGURATION IDENTIFY",
            opcode::DEVICE_CONFIGURATION,
            u16::from(DCO_IDENTIFY_FEATURE),
            Protocol::PioDataIn,
        )
    }

    /// Which way the data moves.
    pub fn direction(&self) -> Direction {
        match self.protocol {
            Protocol::NonData => Direction::None,
            Protocol::PioDataIn => Direction::FromDevice,
            Protocol::PioDataOut => Direction::ToDevice,
        }
    }

    /// Number of data bytes moved.
    pub fn data_len(&self) -> usize {
        usize::from(self.blocks) * SECTOR
    }

    /// The ATA PASS-THROUGH(16) CDB (SAT-4 §12.2.2.1):
    ///
    /// | byte | contents |
    /// |---|---|
    /// | 0 | OPERATION CODE 85h |
    /// | 1 | MULTIPLE_COUNT (7:5), PROTOCOL (4:1), EXTEND (0) |
    /// | 2 | OFF_LINE (7:6), CK_COND (5), T_TYPE (4), T_DIR (3), BYTE_BLOCK (2), T_LENGTH (1:0) |
    /// | 3, 4 | FEATURES (15:8), (7:0) |
    /// | 5, 6 | COUNT (15:8), (7:0) |
    /// | 7, 8 | LBA (31:24), (7:0) |
    /// | 9, 10 | LBA (39:32), (15:8) |
    /// | 11, 12 | LBA (47:40), (23:16) |
    /// | 13 | DEVICE |
    /// | 14 | COMMAND |
    /// | 15 | CONTROL |
    ///
    /// Data commands use T_LENGTH = 2 (the length is in COUNT), BYTE_BLOCK = 1 and T_TYPE = 0
    /// (COUNT counts 512-byte blocks). For a 28-bit command only the low bytes are sent: the upper
    /// ones are zero and LBA (27:24) rides in DEVICE (3:0).
    pub fn cdb(&self) -> [u8; 16] {
        let mut cdb = [0u8; 16];
        cdb[0] = ATA_PASS_THROUGH_16;
        cdb[1] = ((self.protocol as u8) << 1) | u8::from(self.extend);
        let mut flags = 0u8;
        if self.check_condition {
            flags |= 0x20;
        }
        match self.direction() {
            Direction::None => {}
            Direction::FromDevice => flags |= 0x08 | 0x04 | 0x02,
            Direction::ToDevice => flags |= 0x04 | 0x02,
        }
        cdb[2] = flags;
        let (features, count, lba, device) = if self.extend {
            (self.features, self.count, self.lba & 0xFFFF_FFFF_FFFF, self.device)
        } else {
            let lba = self.lba & 0x0FFF_FFFF;
            (
                self.features & 0xFF,
                self.count & 0xFF,
                lba & 0xFF_FFFF,
                self.device | ((lba >> 24) as u8 & 0x0F),
            )
        };
        let lba_b = lba.to_le_bytes();
        cdb[3] = (features >> 8) as u8;
        cdb[4] = features as u8;
        cdb[5] = (count >> 8) as u8;
        cdb[6] = count as u8;
        cdb[7] = lba_b[3];
        cdb[8] = lba_b[0];
        cdb[9] = lba_b[4];
        cdb[10] = lba_b[1];
        cdb[11] = lba_b[5];
        cdb[12] = lba_b[2];
        cdb[13] = device;
        cdb[14] = self.command;
        cdb
    }
}

/// A SANITIZE DEVICE operation (ACS-4 §7.38).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtaSanitize {
    /// CRYPTO SCRAMBLE EXT: changes the internal encryption key.
    CryptoScramble,
    /// BLOCK ERASE EXT: erases every block of the medium (flash).
    BlockErase,
    /// OVERWRITE EXT: writes a 32-bit pattern over the medium `passes` times (1 to 16).
    Overwrite {
        /// The pattern, LBA (31:0).
        pattern: u32,
        /// Number of passes, 1 to 16.
        passes: u8,
        /// Invert the pattern between passes.
        invert: bool,
    },
}

/// A 32-byte ATA security password (ACS-4 §7.45: "PASSWORD field, 32 bytes", words 1-16 of the
/// data block). The bytes are stored in buffer order, the convention Linux tools use, so an
/// operator can type the printable password into another tool if ever needed.
#[derive(Clone, PartialEq, Eq)]
pub struct AtaPassword([u8; 32]);

impl AtaPassword {
    /// A password from its bytes, zero-padded to 32 (longer input is cut).
    pub fn new(bytes: &[u8]) -> Self {
        let mut p = [0u8; 32];
        let n = bytes.len().min(32);
        p[..n].copy_from_slice(&bytes[..n]);
        AtaPassword(p)
    }

    /// A fresh printable password, "SV-" and 16 random letters and digits, from the OS RNG.
    pub fn random() -> Result<Self, getrandom::Error> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw)?;
        let mut text = b"SV-".to_vec();
        text.extend(raw.iter().map(|b| ALPHABET[usize::from(b & 31)]));
        Ok(AtaPassword::new(&text))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The password as text, trailing NULs dropped (non-ASCII bytes shown as `?`).
    pub fn text(&self) -> String {
        let end = self.0.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        self.0[..end]
            .iter()
            .map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' })
            .collect()
    }
}

impl fmt::Debug for AtaPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AtaPassword({:?})", self.text())
    }
}

impl fmt::Display for AtaPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

fn password_block(word0: u16, password: &AtaPassword) -> [u8; SECTOR] {
    let mut block = [0u8; SECTOR];
    block[0..2].copy_from_slice(&word0.to_le_bytes());
    block[2..34].copy_from_slice(password.as_bytes());
    block
}

/// The SECURITY SET PASSWORD data block for a *user* password (ACS-4): word 0 bit 0
/// IDENTIFIER = 0 (user), bit 8 MASTER PASSWORD CAPABILITY = 0 (High: the master password can
/// still unlock the disk); words 1-16 the password; word 17 (master password identifier) zero.
pub fn set_password_data(password: &AtaPassword) -> [u8; SECTOR] {
    password_block(0x0000, password)
}

/// The SECURITY ERASE UNIT data block (ACS-4): word 0 bit 0 IDENTIFIER = 0 (user),
/// bit 1 ENHANCED ERASE; words 1-16 the password.
pub fn erase_unit_data(password: &AtaPassword, enhanced: bool) -> [u8; SECTOR] {
    password_block(if enhanced { 0x0002 } else { 0x0000 }, password)
}

/// The data block of SECURITY DISABLE PASSWORD and SECURITY UNLOCK with the user password
/// (ACS-4): word 0 bit 0 IDENTIFIER = 0 (user); words 1-16 the password.
pub fn password_data(password: &AtaPassword) -> [u8; SECTOR] {
    password_block(0x0000, password)
}

fn word(buf: &[u8], n: usize) -> u16 {
    u16::from_le_bytes([buf[2 * n], buf[2 * n + 1]])
}

fn dword(buf: &[u8], n: usize) -> u32 {
    u32::from(word(buf, n)) | u32::from(word(buf, n + 1)) << 16
}

fn qword(buf: &[u8], n: usize) -> u64 {
    u64::from(dword(buf, n)) | u64::from(dword(buf, n + 2)) << 32
}

/// An ATA string (ACS-4 §3.4.9): two characters per word, the first in bits 15:8, so every
/// byte pair is swapped relative to memory order; padded with spaces.
pub fn ata_string(buf: &[u8], first_word: usize, last_word: usize) -> String {
    let mut s = String::with_capacity(2 * (last_word - first_word + 1));
    for n in first_word..=last_word {
        let [lo, hi] = word(buf, n).to_le_bytes();
        for b in [hi, lo] {
            s.push(if b.is_ascii_graphic() || b == b' ' { b as char } else { ' ' });
        }
    }
    s.trim().to_string()
}

/// A security erase time from IDENTIFY word 89 or 90 (ACS-4 §9.11.7.5/6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EraseTime {
    /// Minutes.
    pub minutes: u32,
    /// The device only said "more than this" (the format's largest value).
    pub at_least: bool,
}

impl EraseTime {
    /// Decodes the word: bit 15 set means bits 14:0 count 2-minute units (32767 = more than
    /// 65532 minutes); otherwise bits 7:0 do (255 = more than 508 minutes). Zero: not reported.
    pub fn decode(w: u16) -> Option<Self> {
        let (units, max) = if w & 0x8000 != 0 { (w & 0x7FFF, 0x7FFF) } else { (w & 0xFF, 0xFF) };
        // The largest value says "more than" the one before it: 255 is "> 508 minutes".
        let at_least = units == max;
        let minutes = u32::from(if at_least { units - 1 } else { units }) * 2;
        (units != 0).then_some(EraseTime { minutes, at_least })
    }

    /// As a duration.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(u64::from(self.minutes) * 60)
    }
}

/// The Security feature set state, IDENTIFY word 128 (ACS-4 §9.11.8.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecurityState {
    /// Bit 0: the Security feature set is supported.
    pub supported: bool,
    /// Bit 1: a user password is set (security enabled).
    pub enabled: bool,
    /// Bit 2: the device is locked.
    pub locked: bool,
    /// Bit 3: the device is frozen (SECURITY FREEZE LOCK, usually sent by the BIOS at boot).
    pub frozen: bool,
    /// Bit 4: the password attempt counter has expired (power cycle to retry).
    pub count_expired: bool,
    /// Bit 5: the enhanced security erase mode is supported.
    pub enhanced_erase_supported: bool,
    /// Bit 8: master password capability is Maximum.
    pub master_maximum: bool,
}

impl SecurityState {
    /// Decodes word 128.
    pub fn decode(w: u16) -> Self {
        SecurityState {
            supported: w & 0x0001 != 0,
            enabled: w & 0x0002 != 0,
            locked: w & 0x0004 != 0,
            frozen: w & 0x0008 != 0,
            count_expired: w & 0x0010 != 0,
            enhanced_erase_supported: w & 0x0020 != 0,
            master_maximum: w & 0x0100 != 0,
        }
    }
}

/// The Sanitize Device feature set support, IDENTIFY word 59 (ACS-4 §9.11.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SanitizeSupport {
    /// Bit 12: the Sanitize Device feature set is supported.
    pub supported: bool,
    /// Bit 13: CRYPTO SCRAMBLE EXT is supported.
    pub crypto_scramble: bool,
    /// Bit 14: OVERWRITE EXT is supported.
    pub overwrite: bool,
    /// Bit 15: BLOCK ERASE EXT is supported.
    pub block_erase: bool,
}

impl SanitizeSupport {
    /// Decodes word 59.
    pub fn decode(w: u16) -> Self {
        let supported = w & 0x1000 != 0;
        SanitizeSupport {
            supported,
            crypto_scramble: supported && w & 0x2000 != 0,
            overwrite: supported && w & 0x4000 != 0,
            block_erase: supported && w & 0x8000 != 0,
        }
    }
}

/// Word 255, integrity word (ACS-4 §9.11.10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// Signature A5h and the 512 bytes sum to zero.
    Valid,
    /// Signature A5h but the bytes do not sum to zero: the data is corrupt.
    Invalid,
    /// No A5h signature: the device does not provide a checksum.
    Absent,
}

/// IDENTIFY DEVICE data, the fields the Purge layer uses (ACS-4 §9.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifyDevice {
    /// Word 0 bit 15 clear: an ATA (not ATAPI) device.
    pub is_ata: bool,
    /// Words 27-46.
    pub model: String,
    /// Words 10-19.
    pub serial: String,
    /// Words 23-26.
    pub firmware: String,
    /// Words 60-61: user addressable sectors with 28-bit commands.
    pub sectors_28: u32,
    /// Words 100-103 (or 230-233 when word 69 bit 3 says so): user addressable sectors with
    /// 48-bit commands, when the 48-bit Address feature set is supported (word 83 bit 10).
    pub sectors_48: Option<u64>,
    /// Logical sector size in bytes (word 106 bit 12, words 117-118; 512 otherwise).
    pub logical_sector_size: u32,
    /// Physical sector size in bytes (word 106 bit 13 and bits 3:0).
    pub physical_sector_size: u32,
    /// Word 217, the raw nominal media rotation rate (see [`IdentifyDevice::is_rotational`]).
    pub rotation_rate: u16,
    /// Word 128.
    pub security: SecurityState,
    /// Word 89: time for SECURITY ERASE UNIT, normal mode.
    pub erase_time: Option<EraseTime>,
    /// Word 90: time for SECURITY ERASE UNIT, enhanced mode.
    pub enhanced_erase_time: Option<EraseTime>,
    /// Word 59 bits 15:12.
    pub sanitize: SanitizeSupport,
    /// Word 82 bit 10: Host Protected Area feature set supported.
    pub hpa_supported: bool,
    /// Word 85 bit 10: Host Protected Area feature set enabled.
    pub hpa_enabled: bool,
    /// Word 83 bit 11: Device Configuration Overlay feature set supported.
    pub dco_supported: bool,
    /// Word 169 bit 0: DATA SET MANAGEMENT with the TRIM bit supported.
    pub trim_supported: bool,
    /// Word 255.
    pub checksum: Checksum,
}

impl IdentifyDevice {
    /// Decodes the 512-byte IDENTIFY DEVICE data (a longer buffer is read from its start).
    pub fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        if buf.len() < SECTOR {
            return Err(DecodeError::TooShort { what: "IDENTIFY DEVICE data", need: SECTOR, got: buf.len() });
        }
        let buf = &buf[..SECTOR];
        let w83 = word(buf, 83);
        let sectors_48 = if w83 & 0x0400 != 0 {
            // Word 69 bit 3: the extended number of user addressable sectors (230-233) is valid.
            let ext = if word(buf, 69) & 0x0008 != 0 { qword(buf, 230) } else { 0 };
            Some(if ext != 0 { ext } else { qword(buf, 100) })
        } else {
            None
        };
        let w106 = word(buf, 106);
        let (logical, physical) = if w106 & 0xC000 == 0x4000 {
            let logical = if w106 & 0x1000 != 0 { dword(buf, 117).saturating_mul(2) } else { 512 };
            let logical = if logical == 0 { 512 } else { logical };
            let physical = if w106 & 0x2000 != 0 {
                logical.saturating_mul(1 << u32::from(w106 & 0x0F))
            } else {
                logical
            };
            (logical, physical)
        } else {
            (512, 512)
        };
        let w255 = word(buf, 255);
        let checksum = if w255 & 0xFF != 0xA5 {
            Checksum::Absent
        } else if buf.iter().fold(0u8, |a, &b| a.wrapping_add(b)) == 0 {
            Checksum::Valid
        } else {
            Checksum::Invalid
        };
        Ok(IdentifyDevice {
            is_ata: word(buf, 0) & 0x8000 == 0,
            model: ata_string(buf, 27, 46),
            serial: ata_string(buf, 10, 19),
            firmware: ata_string(buf, 23, 26),
            sectors_28: dword(buf, 60),
            sectors_48,
            logical_sector_size: logical,
            physical_sector_size: physical,
            rotation_rate: word(buf, 217),
            security: SecurityState::decode(word(buf, 128)),
            erase_time: EraseTime::decode(word(buf, 89)),
            enhanced_erase_time: EraseTime::decode(word(buf, 90)),
            sanitize: SanitizeSupport::decode(word(buf, 59)),
            hpa_supported: word(buf, 82) & 0x0400 != 0,
            hpa_enabled: word(buf, 85) & 0x0400 != 0,
            dco_supported: w83 & 0x0800 != 0,
            trim_supported: word(buf, 169) & 0x0001 != 0,
            checksum,
        })
    }

    /// User addressable sectors: the 48-bit count when there is one, else the 28-bit one.
    pub fn user_sectors(&self) -> u64 {
        self.sectors_48.filter(|&n| n != 0).unwrap_or(u64::from(self.sectors_28))
    }

    /// Capacity in bytes.
    pub fn capacity_bytes(&self) -> u64 {
        self.user_sectors().saturating_mul(u64::from(self.logical_sector_size))
    }

    /// Word 217 (ACS-4): 1 = non-rotating medium (solid state), 0401h-FFFEh = rpm,
    /// 0 = not reported.
    pub fn is_rotational(&self) -> Option<bool> {
        match self.rotation_rate {
            1 => Some(false),
            0x0401..=0xFFFE => Some(true),
            _ => None,
        }
    }
}

/// DEVICE CONFIGURATION IDENTIFY data, the fields used (ACS-3 §7.9.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcoIdentify {
    /// Word 0: data structure revision (0002h).
    pub revision: u16,
    /// Words 3-6: the largest LBA the device can be configured to (the factory maximum).
    pub max_lba: u64,
    /// Word 255.
    pub checksum: Checksum,
}

impl DcoIdentify {
    /// Decodes the 512-byte block.
    pub fn parse(buf: &[u8]) -> Result<Self, DecodeError> {
        if buf.len() < SECTOR {
            return Err(DecodeError::TooShort { what: "DCO IDENTIFY data", need: SECTOR, got: buf.len() });
        }
        let buf = &buf[..SECTOR];
        let checksum = if word(buf, 255) & 0xFF != 0xA5 {
            Checksum::Absent
        } else if buf.iter().fold(0u8, |a, &b| a.wrapping_add(b)) == 0 {
            Checksum::Valid
        } else {
            Checksum::Invalid
        };
        Ok(DcoIdentify { revision: word(buf, 0), max_lba: qword(buf, 3), checksum })
    }
}

/// The ATA registers after a command, as the SATL returned them in sense data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AtaRegisters {
    /// EXTEND: the upper bytes are meaningful (48-bit command).
    pub extend: bool,
    /// ERROR register.
    pub error: u8,
    /// COUNT (15:0).
    pub count: u16,
    /// LBA (47:0).
    pub lba: u64,
    /// DEVICE register.
    pub device: u8,
    /// STATUS register.
    pub status: u8,
    /// Whether every bit above is known. Fixed-format sense data carries only COUNT (7:0) and
    /// LBA (23:0) and flags whether the rest is nonzero (SAT-4 §12.2.2.7): then this is false
    /// when such a flag is set.
    pub complete: bool,
}

impl AtaRegisters {
    /// STATUS has ERR or DEVICE FAULT set.
    pub fn failed(&self) -> bool {
        self.status & (status::ERR | status::DF) != 0
    }
}

/// What the sense data of an ATA PASS-THROUGH command says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sense {
    /// SENSE KEY (0 no sense, 1 recovered error, 5 illegal request, Bh aborted command, ...).
    pub key: u8,
    /// ADDITIONAL SENSE CODE.
    pub asc: u8,
    /// ADDITIONAL SENSE CODE QUALIFIER.
    pub ascq: u8,
    /// The ATA registers, when present.
    pub ata: Option<AtaRegisters>,
}

impl Sense {
    /// ASC/ASCQ 00h/1Dh: ATA PASS-THROUGH INFORMATION AVAILABLE (the CK_COND answer).
    pub fn is_pass_through_information(&self) -> bool {
        self.asc == 0x00 && self.ascq == 0x1D
    }
}

/// Decodes sense data (SPC-5 §4.4) returned for ATA PASS-THROUGH:
///
/// - descriptor format (response code 72h/73h) with the ATA Status Return descriptor (SAT-4
///   §12.2.2.6, descriptor code 09h, additional length 0Ch): byte 2 bit 0 EXTEND, 3 ERROR,
///   4-5 COUNT (15:8, 7:0), 6 LBA (31:24), 7 LBA (7:0), 8 LBA (39:32), 9 LBA (15:8),
///   10 LBA (47:40), 11 LBA (23:16), 12 DEVICE, 13 STATUS;
/// - fixed format (70h/71h, SAT-4 §12.2.2.7): INFORMATION bytes 3-6 ERROR, STATUS, DEVICE,
///   COUNT (7:0); byte 8 EXTEND (7), COUNT UPPER NONZERO (6), LBA UPPER NONZERO (5); bytes 9-11
///   LBA (7:0), (15:8), (23:16).
///
/// Returns `None` for anything too short or of another response code.
pub fn decode_sense(sense: &[u8]) -> Option<Sense> {
    let code = *sense.first()? & 0x7F;
    match code {
        0x72 | 0x73 => {
            if sense.len() < 8 {
                return None;
            }
            let mut out = Sense { key: sense[1] & 0x0F, asc: sense[2], ascq: sense[3], ata: None };
            let end = (8 + usize::from(sense[7])).min(sense.len());
            let mut at = 8;
            while at + 2 <= end {
                let (dcode, dlen) = (sense[at], usize::from(sense[at + 1]));
                let d = &sense[at..(at + 2 + dlen).min(end)];
                if dcode == 0x09 && d.len() >= 14 {
                    let lba = u64::from(d[7])
                        | u64::from(d[9]) << 8
                        | u64::from(d[11]) << 16
                        | u64::from(d[6]) << 24
                        | u64::from(d[8]) << 32
                        | u64::from(d[10]) << 40;
                    out.ata = Some(AtaRegisters {
                        extend: d[2] & 1 != 0,
                        error: d[3],
                        count: u16::from_be_bytes([d[4], d[5]]),
                        lba,
                        device: d[12],
                        status: d[13],
                        complete: true,
                    });
                    break;
                }
                at += 2 + dlen;
            }
            Some(out)
        }
        0x70 | 0x71 => {
            if sense.len() < 14 {
                return None;
            }
            let mut out = Sense { key: sense[2] & 0x0F, asc: sense[12], ascq: sense[13], ata: None };
            // The ATA registers are there when the SATL reports ATA PASS-THROUGH information or
            // an ATA error (ABORTED COMMAND with the STATUS byte showing ERR/DF).
            let has_ata = out.is_pass_through_information() || sense[4] & (status::ERR | status::DF) != 0;
            if has_ata {
                let flags = sense[8];
                out.ata = Some(AtaRegisters {
                    extend: flags & 0x80 != 0,
                    error: sense[3],
                    count: u16::from(sense[6]),
                    lba: u64::from(sense[9]) | u64::from(sense[10]) << 8 | u64::from(sense[11]) << 16,
                    device: sense[5],
                    status: sense[4],
                    complete: flags & 0x60 == 0,
                });
            }
            Some(out)
        }
        _ => None,
    }
}

/// SANITIZE STATUS EXT output (ACS-4 §7.38.7.4; error output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtaSanitizeStatus {
    /// COUNT bit 15: SANITIZE OPERATION COMPLETED SUCCESSFULLY.
    pub completed: bool,
    /// COUNT bit 14: SANITIZE OPERATION IN PROGRESS.
    pub in_progress: bool,
    /// COUNT bit 13: the device is in the Sanitize Frozen state.
    pub frozen: bool,
    /// COUNT bit 12: SANITIZE ANTIFREEZE bit (ACS-4).
    pub antifreeze: bool,
    /// LBA (15:0): progress as a fraction of 65 536 (FFFFh when not in progress).
    pub progress: u16,
    /// On error output (STATUS ERR): COUNT (7:0), the SANITIZE DEVICE ERROR REASON.
    pub failure: Option<SanitizeFailure>,
}

/// SANITIZE DEVICE ERROR REASON (ACS-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanitizeFailure {
    /// 00h: reason unknown.
    Unknown,
    /// 01h: the sanitize command was unsuccessful (the last operation failed).
    Unsuccessful,
    /// 02h: invalid or unsupported value in the SANITIZE DEVICE FEATURE field.
    Unsupported,
    /// 03h: the device is in the Sanitize Frozen state.
    Frozen,
    /// 04h: SANITIZE FREEZE LOCK failed because antifreeze is enabled.
    AntifreezeLocked,
    /// Any other value.
    Other(u8),
}

impl SanitizeFailure {
    fn from_code(c: u8) -> Self {
        match c {
            0 => SanitizeFailure::Unknown,
            1 => SanitizeFailure::Unsuccessful,
            2 => SanitizeFailure::Unsupported,
            3 => SanitizeFailure::Frozen,
            4 => SanitizeFailure::AntifreezeLocked,
            c => SanitizeFailure::Other(c),
        }
    }
}

impl fmt::Display for SanitizeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanitizeFailure::Unknown => f.write_str("reason unknown"),
            SanitizeFailure::Unsuccessful => f.write_str("the sanitize operation was unsuccessful"),
            SanitizeFailure::Unsupported => f.write_str("the sanitize operation is not supported"),
            SanitizeFailure::Frozen => f.write_str("the disk is in the Sanitize Frozen state"),
            SanitizeFailure::AntifreezeLocked => f.write_str("sanitize antifreeze is enabled"),
            SanitizeFailure::Other(c) => write!(f, "error reason {c:#04x}"),
        }
    }
}

impl AtaSanitizeStatus {
    /// Decodes the registers after SANITIZE STATUS EXT (or any SANITIZE DEVICE command).
    /// `None` when the bits needed are unknown (fixed-format sense with COUNT (15:8) nonzero).
    pub fn decode(regs: &AtaRegisters) -> Option<Self> {
        if regs.failed() {
            return Some(AtaSanitizeStatus {
                completed: false,
                in_progress: false,
                frozen: regs.count & 0xFF == 3,
                antifreeze: false,
                progress: 0xFFFF,
                failure: Some(SanitizeFailure::from_code(regs.count as u8)),
            });
        }
        if !regs.complete {
            return None;
        }
        Some(AtaSanitizeStatus {
            completed: regs.count & 0x8000 != 0,
            in_progress: regs.count & 0x4000 != 0,
            frozen: regs.count & 0x2000 != 0,
            antifreeze: regs.count & 0x1000 != 0,
            progress: regs.lba as u16,
            failure: None,
        })
    }

    /// Progress as a fraction 0.0-1.0 while in progress.
    pub fn fraction(&self) -> Option<f64> {
        (self.in_progress && self.progress != 0xFFFF).then(|| f64::from(self.progress) / 65536.0)
    }
}
