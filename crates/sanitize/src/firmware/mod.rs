//! Purge by firmware command: ATA SECURITY ERASE UNIT and SANITIZE, NVMe Format NVM and
//! Sanitize — command encoding, response decoding, and the kernel pass-through that issues them.
//!
//! Layers, from the bottom:
//!
//! - [`ata`] and [`nvme`]: pure encoding of the commands (ATA PASS-THROUGH(16) CDBs, NVMe
//!   submission queue entries) and decoding of what the disks answer (IDENTIFY DEVICE, Identify
//!   Controller and Namespace, the Sanitize Status log, sense data). Tested byte by byte.
//! - [`ioctl`]: SG_IO, NVME_IOCTL_ADMIN_CMD and the block device size ioctls, the only `unsafe`
//!   code of the workspace.
//! - this module: [`detect`] what a disk can do ([`Capabilities`]), [`policy::choose`] a
//!   method, and run it: [`ata_security_erase`], [`ata_sanitize`], [`nvme_sanitize`],
//!   [`nvme_format`].
//!
//! Nothing here checks that the disk may be wiped: call [`crate::safety::check_target`] first.
//! The functions refuse partitions and devices that are neither `sdX` nor `nvmeX`/`nvmeXnY`
//! by name, so a virtio or loop disk never receives a pass-through command.

pub mod ata;
pub mod ioctl;
pub mod nvme;
pub mod policy;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ata::{
    AtaCommand, AtaPassword, AtaRegisters, AtaSanitize, AtaSanitizeStatus, IdentifyDevice, SecurityState,
};
use ioctl::{NvmeData, SgData};
use nvme::{
    AdminCommand, IdentifyController, IdentifyNamespace, NvmeStatus, SanitizeAction, SanitizeState,
    SanitizeStatusLog, SecureErase,
};

pub use policy::{choose, PlannedAction, PurgePlan};

/// A structure too short or malformed to decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the structure needs.
    #[error("{what}: {got} bytes, {need} needed")]
    TooShort {
        /// Which structure.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes given.
        got: usize,
    },
}

fn show(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

fn ata_error_words(error: u8) -> &'static str {
    if error & ata::error::ABRT != 0 {
        " (command aborted: refused by the disk)"
    } else if error & ata::error::IDNF != 0 {
        " (ID not found)"
    } else {
        ""
    }
}

/// Why a firmware command could not be run or did not succeed. Every variant names the device;
/// the messages are written for the operator.
#[derive(Debug, thiserror::Error)]
pub enum FirmwareError {
    /// The device could not be opened.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// Device.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The device is not something this layer sends commands to (a partition, a virtio disk...).
    #[error("{}: {reason}", path.display())]
    NotAPurgeTarget {
        /// Device.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// The pass-through ioctl itself failed (permissions, driver, not a SCSI/NVMe device).
    #[error("{}: {command}: the pass-through ioctl failed: {source}", path.display())]
    Ioctl {
        /// Device.
        path: PathBuf,
        /// Command name.
        command: &'static str,
        /// The errno.
        #[source]
        source: io::Error,
    },
    /// The ATA device completed the command with an error.
    #[error("{}: {command} failed: ATA status {status:#04x}, error {error:#04x}{}", path.display(), ata_error_words(*error))]
    Ata {
        /// Device.
        path: PathBuf,
        /// Command name.
        command: &'static str,
        /// STATUS register.
        status: u8,
        /// ERROR register.
        error: u8,
    },
    /// The SCSI layer (SATL, HBA, driver) refused or failed the command without ATA registers.
    #[error(
        "{}: {command} failed in the SCSI layer: status {status:#04x}, sense key {key:#x}, ASC/ASCQ \
         {asc:#04x}/{ascq:#04x}, host status {host_status:#x}, driver status {driver_status:#x}",
        path.display()
    )]
    Scsi {
        /// Device.
        path: PathBuf,
        /// Command name.
        command: &'static str,
        /// SCSI status.
        status: u8,
        /// Sense key.
        key: u8,
        /// Additional sense code.
        asc: u8,
        /// Additional sense code qualifier.
        ascq: u8,
        /// SG_IO host status.
        host_status: u16,
        /// SG_IO driver status.
        driver_status: u16,
    },
    /// The NVMe controller completed the command with an error status.
    #[error("{}: {command} failed: NVMe status {status}", path.display())]
    Nvme {
        /// Device.
        path: PathBuf,
        /// Command name.
        command: &'static str,
        /// Completion status.
        status: NvmeStatus,
    },
    /// The ATA security feature set is frozen.
    #[error(
        "{}: the disk is frozen (the BIOS sent it SECURITY FREEZE LOCK at boot), so it refuses \
         firmware erase commands. Suspend the machine and resume it (or unplug and replug the \
         disk's data cable while the machine runs), then try again; or fall back to Clear by overwrite.",
        path.display()
    )]
    Frozen {
        /// Device.
        path: PathBuf,
    },
    /// The disk is locked with an ATA password nobody here knows.
    #[error(
        "{}: the disk is locked by an ATA password set before it reached the station; without that \
         password (or the master password) it can be neither erased nor overwritten.",
        path.display()
    )]
    Locked {
        /// Device.
        path: PathBuf,
    },
    /// An ATA user password is already set (security enabled, not locked).
    #[error(
        "{}: an ATA user password is already set on this disk; the security erase needs a password \
         of ours. Use SANITIZE or Clear by overwrite instead.",
        path.display()
    )]
    PasswordAlreadySet {
        /// Device.
        path: PathBuf,
    },
    /// The password attempt counter expired.
    #[error(
        "{}: the disk's password attempt counter has expired; power the disk off and on, then try again.",
        path.display()
    )]
    AttemptsExpired {
        /// Device.
        path: PathBuf,
    },
    /// The ATA Sanitize feature set is in the Sanitize Frozen state.
    #[error(
        "{}: the disk's sanitize commands are frozen (SANITIZE FREEZE LOCK); power the disk off and \
         on, then try again, or fall back to Clear by overwrite.",
        path.display()
    )]
    SanitizeFrozen {
        /// Device.
        path: PathBuf,
    },
    /// The disk does not support what was asked.
    #[error("{}: {what} is not supported by this disk", path.display())]
    Unsupported {
        /// Device.
        path: PathBuf,
        /// What.
        what: String,
    },
    /// A sanitize or erase operation reported failure.
    #[error("{}: {command} failed: {detail}", path.display())]
    OperationFailed {
        /// Device.
        path: PathBuf,
        /// Command name.
        command: &'static str,
        /// What the disk said.
        detail: String,
    },
    /// A background operation did not finish in time (it may still be running in the disk).
    #[error(
        "{}: {command} did not finish within {}; the disk may still be working on it",
        path.display(),
        show(*waited)
    )]
    Timeout {
        /// Device.
        path: PathBuf,
        /// Command name.
        command: &'static str,
        /// How long we waited.
        waited: Duration,
    },
    /// What the disk returned could not be decoded.
    #[error("{}: {source}", path.display())]
    Decode {
        /// Device.
        path: PathBuf,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// No random password could be made.
    #[error("{}: no random bytes for the temporary password: {message}", path.display())]
    Random {
        /// Device.
        path: PathBuf,
        /// The RNG's error.
        message: String,
    },
    /// The temporary ATA password could not be removed: the disk must not leave like this.
    #[error(
        "{}: the temporary ATA user password {password:?} may still be set ({cause}). Remove it \
         (SECURITY DISABLE PASSWORD with that password) before the disk leaves the station.",
        path.display()
    )]
    PasswordLeftSet {
        /// Device.
        path: PathBuf,
        /// The temporary password, so the operator can remove it.
        password: String,
        /// What went wrong first.
        #[source]
        cause: Box<FirmwareError>,
    },
}

/// How the disk is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// ATA commands through SG_IO and ATA PASS-THROUGH(16) (`/dev/sdX`).
    Ata,
    /// NVMe admin commands through NVME_IOCTL_ADMIN_CMD (`/dev/nvmeX`, `/dev/nvmeXnY`).
    Nvme,
}

/// What a device name says the device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// A SCSI disk node, `sdX`: ATA behind a SATL, or a SAS/USB disk that will refuse.
    ScsiDisk,
    /// An NVMe controller character device, `nvmeX`.
    NvmeController,
    /// An NVMe namespace block device, `nvmeXnY`.
    NvmeNamespace,
}

impl DeviceKind {
    /// Classifies a kernel device name (the last component of the path, symlinks resolved).
    pub fn from_name(name: &str) -> Result<Self, String> {
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if let Some(rest) = name.strip_prefix("sd") {
            let letters = rest.trim_end_matches(|c: char| c.is_ascii_digit());
            if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(format!("{name} is not a SCSI disk name"));
            }
            if letters.len() != rest.len() {
                return Err(format!("{name} is a partition: name the whole disk (sd{letters})"));
            }
            return Ok(DeviceKind::ScsiDisk);
        }
        if let Some(rest) = name.strip_prefix("nvme") {
            if all_digits(rest) {
                return Ok(DeviceKind::NvmeController);
            }
            if let Some((ctrl, ns)) = rest.split_once('n') {
                if all_digits(ctrl) && all_digits(ns) {
                    return Ok(DeviceKind::NvmeNamespace);
                }
                if all_digits(ctrl) && ns.contains('p') {
                    let disk = name.split('p').next().unwrap_or(name);
                    return Err(format!("{name} is a partition: name the whole disk ({disk})"));
                }
            }
            return Err(format!("{name} is not an NVMe controller or namespace name"));
        }
        Err(format!(
            "{name} is neither an ATA/SCSI disk (sdX) nor an NVMe device (nvmeX, nvmeXnY): \
             no firmware Purge command is sent to it"
        ))
    }

    /// The transport.
    pub fn transport(self) -> Transport {
        match self {
            DeviceKind::ScsiDisk => Transport::Ata,
            DeviceKind::NvmeController | DeviceKind::NvmeNamespace => Transport::Nvme,
        }
    }
}

/// A firmware Purge method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurgeMethod {
    /// NVMe Sanitize, Crypto Erase.
    NvmeSanitizeCryptoErase,
    /// NVMe Sanitize, Block Erase.
    NvmeSanitizeBlockErase,
    /// NVMe Sanitize, Overwrite.
    NvmeSanitizeOverwrite,
    /// NVMe Format NVM with Secure Erase Settings = Cryptographic Erase.
    NvmeFormatCryptoErase,
    /// NVMe Format NVM with Secure Erase Settings = User Data Erase.
    NvmeFormatUserDataErase,
    /// ATA SANITIZE DEVICE, CRYPTO SCRAMBLE EXT.
    AtaSanitizeCryptoScramble,
    /// ATA SANITIZE DEVICE, BLOCK ERASE EXT.
    AtaSanitizeBlockErase,
    /// ATA SANITIZE DEVICE, OVERWRITE EXT.
    AtaSanitizeOverwrite,
    /// ATA SECURITY ERASE UNIT, enhanced mode.
    AtaEnhancedSecurityErase,
    /// ATA SECURITY ERASE UNIT, normal mode.
    AtaSecurityErase,
}

impl PurgeMethod {
    /// The transport the method belongs to.
    pub fn transport(self) -> Transport {
        match self {
            PurgeMethod::NvmeSanitizeCryptoErase
            | PurgeMethod::NvmeSanitizeBlockErase
            | PurgeMethod::NvmeSanitizeOverwrite
            | PurgeMethod::NvmeFormatCryptoErase
            | PurgeMethod::NvmeFormatUserDataErase => Transport::Nvme,
            _ => Transport::Ata,
        }
    }

    /// A short stable name for records (`nvme-sanitize-crypto`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PurgeMethod::NvmeSanitizeCryptoErase => "nvme-sanitize-crypto",
            PurgeMethod::NvmeSanitizeBlockErase => "nvme-sanitize-block",
            PurgeMethod::NvmeSanitizeOverwrite => "nvme-sanitize-overwrite",
            PurgeMethod::NvmeFormatCryptoErase => "nvme-format-crypto",
            PurgeMethod::NvmeFormatUserDataErase => "nvme-format-user-data",
            PurgeMethod::AtaSanitizeCryptoScramble => "ata-sanitize-crypto",
            PurgeMethod::AtaSanitizeBlockErase => "ata-sanitize-block",
            PurgeMethod::AtaSanitizeOverwrite => "ata-sanitize-overwrite",
            PurgeMethod::AtaEnhancedSecurityErase => "ata-security-erase-enhanced",
            PurgeMethod::AtaSecurityErase => "ata-security-erase",
        }
    }

    /// The command in words, with the clause that defines it.
    pub fn describe(self) -> &'static str {
        match self {
            PurgeMethod::NvmeSanitizeCryptoErase => "NVMe Sanitize, Crypto Erase (NVMe Base 2.0 §5.24)",
            PurgeMethod::NvmeSanitizeBlockErase => "NVMe Sanitize, Block Erase (NVMe Base 2.0 §5.24)",
            PurgeMethod::NvmeSanitizeOverwrite => "NVMe Sanitize, Overwrite (NVMe Base 2.0 §5.24)",
            PurgeMethod::NvmeFormatCryptoErase => {
                "NVMe Format NVM, Cryptographic Erase (NVM Command Set 1.0 §5.2, SES=2)"
            }
            PurgeMethod::NvmeFormatUserDataErase => {
                "NVMe Format NVM, User Data Erase (NVM Command Set 1.0 §5.2, SES=1)"
            }
            PurgeMethod::AtaSanitizeCryptoScramble => "ATA SANITIZE, CRYPTO SCRAMBLE EXT (ACS-4 §7.38.3)",
            PurgeMethod::AtaSanitizeBlockErase => "ATA SANITIZE, BLOCK ERASE EXT (ACS-4 §7.38.2)",
            PurgeMethod::AtaSanitizeOverwrite => "ATA SANITIZE, OVERWRITE EXT (ACS-4 §7.38.5)",
            PurgeMethod::AtaEnhancedSecurityErase => "ATA SECURITY ERASE UNIT, enhanced (ACS-4 §7.45.4)",
            PurgeMethod::AtaSecurityErase => "ATA SECURITY ERASE UNIT, normal (ACS-4 §7.45.4)",
        }
    }
}

impl fmt::Display for PurgeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One method the disk supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSupport {
    /// The method.
    pub method: PurgeMethod,
    /// The disk's estimate of the time it takes, when it gives one.
    pub estimated: Option<Duration>,
    /// Why it cannot run right now (frozen, locked, ...), when it cannot.
    pub blocked: Option<String>,
}

/// The accessible and native sizes of an ATA disk with the HPA feature set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenArea {
    /// The last accessible LBA (IDENTIFY words 100-103, minus one).
    pub current_max_lba: u64,
    /// The native max LBA (READ NATIVE MAX ADDRESS EXT).
    pub native_max_lba: u64,
    /// The factory max LBA (DEVICE CONFIGURATION IDENTIFY), when read.
    pub factory_max_lba: Option<u64>,
}

impl HiddenArea {
    /// Sectors hidden by a Host Protected Area.
    pub fn hidden_sectors(&self) -> u64 {
        self.native_max_lba.saturating_sub(self.current_max_lba)
    }
}

/// What a disk can do for Purge, from IDENTIFY DEVICE or Identify Controller/Namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// The device path.
    pub path: PathBuf,
    /// How it is reached.
    pub transport: Transport,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// Firmware revision.
    pub firmware: String,
    /// Capacity in bytes, when known.
    pub capacity_bytes: Option<u64>,
    /// Logical sector size, when known.
    pub logical_sector_size: Option<u32>,
    /// Rotating medium (`Some(false)` for solid state), when reported.
    pub rotational: Option<bool>,
    /// The Purge methods supported, with estimates and blockers.
    pub methods: Vec<MethodSupport>,
    /// ATA security state (word 128), for ATA disks.
    pub ata_security: Option<SecurityState>,
    /// The ATA Sanitize Frozen state, when SANITIZE STATUS EXT was read.
    pub ata_sanitize_frozen: bool,
    /// HPA sizes, when the HPA feature set is supported and the native max was read.
    pub hpa: Option<HiddenArea>,
    /// DCO feature set supported (IDENTIFY word 83 bit 11).
    pub dco_supported: bool,
    /// NVMe: Format NVM / its secure erase applies to all namespaces (FNA bits 0-1).
    pub nvme_format_all_namespaces: bool,
    /// Things learned while detecting (commands that failed without failing detection).
    pub notes: Vec<String>,
}

impl Capabilities {
    /// Whether a method is supported (blocked or not).
    pub fn supports(&self, method: PurgeMethod) -> bool {
        self.methods.iter().any(|m| m.method == method)
    }

    /// Builds capabilities from ATA answers: IDENTIFY DEVICE, and when read, the native max
    /// address, DEVICE CONFIGURATION IDENTIFY and SANITIZE STATUS EXT.
    pub fn from_ata(
        path: &Path,
        id: &IdentifyDevice,
        native_max_lba: Option<u64>,
        dco: Option<&ata::DcoIdentify>,
        sanitize: Option<&AtaSanitizeStatus>,
    ) -> Self {
        let sec = id.security;
        let security_blocker = if sec.frozen {
            Some(
                "the disk is frozen (SECURITY FREEZE LOCK); suspend and resume, or hot-replug it".to_string(),
            )
        } else if sec.locked {
            Some("the disk is locked by an unknown ATA password".to_string())
        } else if sec.enabled {
            Some("an ATA user password is already set".to_string())
        } else if sec.count_expired {
            Some("the password attempt counter expired; power-cycle the disk".to_string())
        } else {
            None
        };
        let sanitize_frozen = sanitize.is_some_and(|s| s.frozen);
        let sanitize_blocker = if sanitize_frozen {
            Some("sanitize commands are frozen (SANITIZE FREEZE LOCK); power-cycle the disk".to_string())
        } else if sec.locked {
            Some("the disk is locked by an unknown ATA password".to_string())
        } else if sanitize.is_some_and(|s| s.in_progress) {
            Some("a sanitize operation is already in progress".to_string())
        } else {
            None
        };
        let mut methods = Vec::new();
        let san = id.sanitize;
        for (ok, method) in [
            (san.crypto_scramble, PurgeMethod::AtaSanitizeCryptoScramble),
            (san.block_erase, PurgeMethod::AtaSanitizeBlockErase),
            (san.overwrite, PurgeMethod::AtaSanitizeOverwrite),
        ] {
            if ok {
                methods.push(MethodSupport { method, estimated: None, blocked: sanitize_blocker.clone() });
            }
        }
        if sec.supported {
            if sec.enhanced_erase_supported {
                methods.push(MethodSupport {
                    method: PurgeMethod::AtaEnhancedSecurityErase,
                    estimated: id.enhanced_erase_time.map(|t| t.duration()),
                    blocked: security_blocker.clone(),
                });
            }
            methods.push(MethodSupport {
                method: PurgeMethod::AtaSecurityErase,
                estimated: id.erase_time.map(|t| t.duration()),
                blocked: security_blocker,
            });
        }
        let mut notes = Vec::new();
        if id.checksum == ata::Checksum::Invalid {
            notes.push("IDENTIFY DEVICE checksum is invalid: the data may be corrupt".to_string());
        }
        let hpa = native_max_lba.filter(|_| id.hpa_supported).map(|native| HiddenArea {
            current_max_lba: id.user_sectors().saturating_sub(1),
            native_max_lba: native,
            factory_max_lba: dco.map(|d| d.max_lba),
        });
        Capabilities {
            path: path.to_owned(),
            transport: Transport::Ata,
            model: id.model.clone(),
            serial: id.serial.clone(),
            firmware: id.firmware.clone(),
            capacity_bytes: Some(id.capacity_bytes()),
            logical_sector_size: Some(id.logical_sector_size),
            rotational: id.is_rotational(),
            methods,
            ata_security: Some(sec),
            ata_sanitize_frozen: sanitize_frozen,
            hpa,
            dco_supported: id.dco_supported,
            nvme_format_all_namespaces: false,
            notes,
        }
    }

    /// Builds capabilities from NVMe answers: Identify Controller, and when read, Identify
    /// Namespace and the Sanitize Status log.
    pub fn from_nvme(
        path: &Path,
        ctrl: &IdentifyController,
        ns: Option<&IdentifyNamespace>,
        log: Option<&SanitizeStatusLog>,
    ) -> Self {
        let busy = log
            .filter(|l| l.state == SanitizeState::InProgress)
            .map(|_| "a sanitize operation is already in progress".to_string());
        let mut methods = Vec::new();
        let s = ctrl.sanitize;
        for (ok, method, action) in [
            (s.crypto_erase, PurgeMethod::NvmeSanitizeCryptoErase, SanitizeAction::CryptoErase),
            (s.block_erase, PurgeMethod::NvmeSanitizeBlockErase, SanitizeAction::BlockErase),
            (
                s.overwrite,
                PurgeMethod::NvmeSanitizeOverwrite,
                SanitizeAction::Overwrite { pattern: 0, passes: 1, invert: false },
            ),
        ] {
            if ok {
                methods.push(MethodSupport {
                    method,
                    estimated: log.and_then(|l| l.estimate_for(action)),
                    blocked: busy.clone(),
                });
            }
        }
        if ctrl.format_supported() {
            if ctrl.format.crypto_erase_supported {
                methods.push(MethodSupport {
                    method: PurgeMethod::NvmeFormatCryptoErase,
                    estimated: None,
                    blocked: busy.clone(),
                });
            }
            methods.push(MethodSupport {
                method: PurgeMethod::NvmeFormatUserDataErase,
                estimated: None,
                blocked: busy,
            });
        }
        let capacity_bytes = ns
            .and_then(IdentifyNamespace::size_bytes)
            .or_else(|| u64::try_from(ctrl.total_capacity).ok().filter(|&c| c != 0));
        Capabilities {
            path: path.to_owned(),
            transport: Transport::Nvme,
            model: ctrl.model.clone(),
            serial: ctrl.serial.clone(),
            firmware: ctrl.firmware.clone(),
            capacity_bytes,
            logical_sector_size: ns.and_then(|n| n.lba_data_size()).and_then(|s| u32::try_from(s).ok()),
            rotational: Some(false),
            methods,
            ata_security: None,
            ata_sanitize_frozen: false,
            hpa: None,
            dco_supported: false,
            nvme_format_all_namespaces: ctrl.format.format_applies_to_all
                || ctrl.format.secure_erase_applies_to_all,
            notes: Vec::new(),
        }
    }
}

/// What a running command reports to its caller.
#[derive(Debug, Clone, PartialEq)]
pub enum FirmwareEvent {
    /// A command is being sent.
    Issuing {
        /// Its name.
        command: &'static str,
    },
    /// A temporary ATA user password is about to be set. Keep it (log it, show it) until the
    /// erase reports success: should the machine lose power, it unlocks the disk.
    TemporaryPassword {
        /// The password, printable.
        password: String,
    },
    /// A background operation's progress.
    Progress {
        /// The operation.
        command: &'static str,
        /// Fraction done 0.0-1.0, when the disk reports it.
        fraction: Option<f64>,
        /// Time since the operation started.
        elapsed: Duration,
    },
}

/// A completed Purge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// The method run.
    pub method: PurgeMethod,
    /// How long it took.
    pub elapsed: Duration,
    /// Things worth recording.
    pub notes: Vec<String>,
}

/// How often background operations are polled.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How long a background operation is followed when the disk gives no estimate.
pub const DEFAULT_OPERATION_LIMIT: Duration = Duration::from_secs(72 * 3600);

/// Short commands' timeout.
const SHORT: Duration = Duration::from_secs(30);

/// The classification of a path after resolving symlinks.
fn classify(path: &Path) -> Result<(PathBuf, DeviceKind), FirmwareError> {
    let real =
        std::fs::canonicalize(path).map_err(|source| FirmwareError::Open { path: path.into(), source })?;
    let name = real.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let kind = DeviceKind::from_name(&name)
        .map_err(|reason| FirmwareError::NotAPurgeTarget { path: path.into(), reason })?;
    Ok((real, kind))
}

fn open(path: &Path, kind: DeviceKind, write: bool) -> Result<File, FirmwareError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    // A destructive command takes the block device exclusively: the kernel refuses (EBUSY)
    // while anything has it mounted or held.
    if write && kind != DeviceKind::NvmeController {
        flags |= libc::O_EXCL;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(flags)
        .open(path)
        .map_err(|source| FirmwareError::Open { path: path.into(), source })?;
    let ft = file.metadata().map_err(|source| FirmwareError::Open { path: path.into(), source })?.file_type();
    let expected = match kind {
        DeviceKind::NvmeController => ft.is_char_device(),
        _ => ft.is_block_device(),
    };
    if !expected {
        return Err(FirmwareError::NotAPurgeTarget {
            path: path.into(),
            reason: "is not the kind of device file its name says".into(),
        });
    }
    Ok(file)
}

/// An ATA disk behind SG_IO.
struct AtaDisk {
    path: PathBuf,
    file: File,
}

impl AtaDisk {
    fn open(path: &Path, write: bool) -> Result<Self, FirmwareError> {
        let (real, kind) = classify(path)?;
        if kind.transport() != Transport::Ata {
            return Err(FirmwareError::NotAPurgeTarget {
                path: path.into(),
                reason: "is an NVMe device: ATA commands do not apply".into(),
            });
        }
        Ok(AtaDisk { file: open(&real, kind, write)?, path: path.into() })
    }

    /// Sends a command; returns the ATA registers when the SATL returned them.
    fn run(
        &self,
        cmd: &AtaCommand,
        data: SgData<'_>,
        timeout: Duration,
    ) -> Result<Option<AtaRegisters>, FirmwareError> {
        let out = ioctl::sg_io(self.file.as_fd(), &cmd.cdb(), data, timeout)
            .map_err(|source| FirmwareError::Ioctl { path: self.path.clone(), command: cmd.name, source })?;
        interpret_sg(&self.path, cmd.name, &out, timeout)
    }

    fn identify(&self) -> Result<IdentifyDevice, FirmwareError> {
        let mut buf = [0u8; ata::SECTOR];
        self.run(&AtaCommand::identify_device(), SgData::FromDevice(&mut buf), SHORT)?;
        let id = IdentifyDevice::parse(&buf)
            .map_err(|source| FirmwareError::Decode { path: self.path.clone(), source })?;
        if !id.is_ata {
            return Err(FirmwareError::NotAPurgeTarget {
                path: self.path.clone(),
                reason: "answers IDENTIFY as an ATAPI (packet) device, not a disk".into(),
            });
        }
        Ok(id)
    }

    fn sanitize_status(&self, clear_failure: bool) -> Result<AtaSanitizeStatus, FirmwareError> {
        let cmd = AtaCommand::sanitize_status(clear_failure);
        let regs = match self.run(&cmd, SgData::None, SHORT) {
            Ok(regs) => regs,
            // A failed sanitize is reported as an error output of SANITIZE STATUS EXT.
            Err(FirmwareError::Ata { status, error, .. }) => {
                Some(AtaRegisters { status, error, complete: false, ..AtaRegisters::default() })
            }
            Err(e) => return Err(e),
        };
        regs.as_ref().and_then(AtaSanitizeStatus::decode).ok_or_else(|| FirmwareError::OperationFailed {
            path: self.path.clone(),
            command: cmd.name,
            detail: "the SCSI layer did not return the ATA registers of SANITIZE STATUS EXT".into(),
        })
    }
}

/// Reads an SG_IO outcome for an ATA PASS-THROUGH command.
fn interpret_sg(
    path: &Path,
    command: &'static str,
    out: &ioctl::SgOutcome,
    timeout: Duration,
) -> Result<Option<AtaRegisters>, FirmwareError> {
    const DID_TIME_OUT: u16 = 0x03;
    if out.host_status == DID_TIME_OUT {
        return Err(FirmwareError::Timeout { path: path.into(), command, waited: timeout });
    }
    let sense = ata::decode_sense(&out.sense);
    if let Some(regs) = sense.and_then(|s| s.ata) {
        if regs.failed() {
            return Err(FirmwareError::Ata {
                path: path.into(),
                command,
                status: regs.status,
                error: regs.error,
            });
        }
        if out.host_status == 0 {
            return Ok(Some(regs));
        }
    }
    let sense = sense.unwrap_or_default();
    let sense_ok = matches!(sense.key, 0x00 | 0x01);
    if out.host_status != 0 || out.status != 0 && !sense_ok || out.driver_status & 0x07 != 0 {
        return Err(FirmwareError::Scsi {
            path: path.into(),
            command,
            status: out.status,
            key: sense.key,
            asc: sense.asc,
            ascq: sense.ascq,
            host_status: out.host_status,
            driver_status: out.driver_status,
        });
    }
    Ok(None)
}

/// An NVMe controller or namespace.
struct NvmeDisk {
    path: PathBuf,
    kind: DeviceKind,
    file: File,
}

impl NvmeDisk {
    fn open(path: &Path, write: bool) -> Result<Self, FirmwareError> {
        let (real, kind) = classify(path)?;
        if kind.transport() != Transport::Nvme {
            return Err(FirmwareError::NotAPurgeTarget {
                path: path.into(),
                reason: "is not an NVMe device: NVMe commands do not apply".into(),
            });
        }
        Ok(NvmeDisk { file: open(&real, kind, write)?, path: path.into(), kind })
    }

    fn run(
        &self,
        cmd: &AdminCommand,
        buf: Option<&mut [u8]>,
        timeout: Duration,
    ) -> Result<u32, FirmwareError> {
        let data = match buf {
            Some(b) => NvmeData::FromController(b),
            None => NvmeData::None,
        };
        let out = ioctl::nvme_admin_command(self.file.as_fd(), cmd, data, timeout)
            .map_err(|source| FirmwareError::Ioctl { path: self.path.clone(), command: cmd.name, source })?;
        if !out.status.is_success() {
            return Err(FirmwareError::Nvme {
                path: self.path.clone(),
                command: cmd.name,
                status: out.status,
            });
        }
        Ok(out.result)
    }

    fn decode_err(&self) -> impl Fn(DecodeError) -> FirmwareError + '_ {
        move |source| FirmwareError::Decode { path: self.path.clone(), source }
    }

    fn identify_controller(&self) -> Result<IdentifyController, FirmwareError> {
        let mut buf = vec![0u8; nvme::IDENTIFY_LEN];
        self.run(&AdminCommand::identify_controller(), Some(&mut buf), SHORT)?;
        IdentifyController::parse(&buf).map_err(self.decode_err())
    }

    fn identify_namespace(&self, nsid: u32) -> Result<IdentifyNamespace, FirmwareError> {
        let mut buf = vec![0u8; nvme::IDENTIFY_LEN];
        self.run(&AdminCommand::identify_namespace(nsid), Some(&mut buf), SHORT)?;
        IdentifyNamespace::parse(&buf).map_err(self.decode_err())
    }

    fn sanitize_log(&self) -> Result<SanitizeStatusLog, FirmwareError> {
        let mut buf = vec![0u8; nvme::SANITIZE_LOG_LEN];
        self.run(&AdminCommand::sanitize_status_log(), Some(&mut buf), SHORT)?;
        SanitizeStatusLog::parse(&buf).map_err(self.decode_err())
    }

    /// The namespace: NVME_IOCTL_ID for a namespace block device, 1 for a controller.
    fn namespace_id(&self) -> Result<u32, FirmwareError> {
        match self.kind {
            DeviceKind::NvmeNamespace => ioctl::nvme_namespace_id(self.file.as_fd()).map_err(|source| {
                FirmwareError::Ioctl { path: self.path.clone(), command: "NVME_IOCTL_ID", source }
            }),
            _ => Ok(1),
        }
    }
}

/// Reads what a disk can do: IDENTIFY DEVICE (and READ NATIVE MAX ADDRESS EXT, DEVICE
/// CONFIGURATION IDENTIFY, SANITIZE STATUS EXT when supported) for `/dev/sdX`; Identify
/// Controller, Identify Namespace and the Sanitize Status log for `/dev/nvmeX` or
/// `/dev/nvmeXnY`. Sends only commands that read.
pub fn detect(path: &Path) -> Result<Capabilities, FirmwareError> {
    let (_, kind) = classify(path)?;
    match kind.transport() {
        Transport::Ata => {
            let disk = AtaDisk::open(path, false)?;
            let id = disk.identify()?;
            let mut notes = Vec::new();
            let native = if id.hpa_supported && id.sectors_48.is_some() {
                match disk.run(&AtaCommand::read_native_max_address_ext(), SgData::None, SHORT) {
                    Ok(Some(regs)) if regs.complete => Some(regs.lba),
                    Ok(_) => {
                        notes.push("READ NATIVE MAX ADDRESS EXT returned no registers".to_string());
                        None
                    }
                    Err(e) => {
                        notes.push(e.to_string());
                        None
                    }
                }
            } else {
                None
            };
            let dco = if id.dco_supported {
                let mut buf = [0u8; ata::SECTOR];
                match disk.run(&AtaCommand::dco_identify(), SgData::FromDevice(&mut buf), SHORT) {
                    Ok(_) => {
                        ata::DcoIdentify::parse(&buf).ok().filter(|d| d.checksum != ata::Checksum::Invalid)
                    }
                    Err(e) => {
                        notes.push(e.to_string());
                        None
                    }
                }
            } else {
                None
            };
            let sanitize = if id.sanitize.supported {
                disk.sanitize_status(false).map_err(|e| notes.push(e.to_string())).ok()
            } else {
                None
            };
            let mut caps = Capabilities::from_ata(path, &id, native, dco.as_ref(), sanitize.as_ref());
            caps.notes.extend(notes);
            Ok(caps)
        }
        Transport::Nvme => {
            let disk = NvmeDisk::open(path, false)?;
            let ctrl = disk.identify_controller()?;
            let mut notes = Vec::new();
            let ns = match disk.namespace_id().and_then(|nsid| disk.identify_namespace(nsid)) {
                Ok(ns) => Some(ns),
                Err(e) => {
                    notes.push(e.to_string());
                    None
                }
            };
            let log = if ctrl.sanitize.any() {
                disk.sanitize_log().map_err(|e| notes.push(e.to_string())).ok()
            } else {
                None
            };
            let mut caps = Capabilities::from_nvme(path, &ctrl, ns.as_ref(), log.as_ref());
            caps.notes.extend(notes);
            Ok(caps)
        }
    }
}

/// The state of a background operation at one poll.
#[derive(Debug, Clone, PartialEq)]
pub enum PollState {
    /// Still running, with the fraction done when known.
    Running(Option<f64>),
    /// Finished successfully.
    Done,
    /// Finished with a failure, described.
    Failed(String),
}

/// Follows a background operation: calls `query` every `interval` until it says done or failed,
/// reporting progress, for at most `limit`.
pub fn poll_until(
    path: &Path,
    command: &'static str,
    interval: Duration,
    limit: Duration,
    mut query: impl FnMut() -> Result<PollState, FirmwareError>,
    events: &mut dyn FnMut(FirmwareEvent),
) -> Result<Duration, FirmwareError> {
    let start = Instant::now();
    loop {
        match query()? {
            PollState::Done => return Ok(start.elapsed()),
            PollState::Failed(detail) => {
                return Err(FirmwareError::OperationFailed { path: path.into(), command, detail })
            }
            PollState::Running(fraction) => {
                events(FirmwareEvent::Progress { command, fraction, elapsed: start.elapsed() })
            }
        }
        if start.elapsed() >= limit {
            return Err(FirmwareError::Timeout { path: path.into(), command, waited: start.elapsed() });
        }
        std::thread::sleep(interval);
    }
}

/// Turns a SANITIZE STATUS EXT answer into a poll state.
pub fn ata_poll_state(status: &AtaSanitizeStatus) -> PollState {
    if let Some(failure) = status.failure {
        PollState::Failed(failure.to_string())
    } else if status.in_progress {
        PollState::Running(status.fraction())
    } else if status.completed {
        PollState::Done
    } else {
        PollState::Failed("the disk reports the sanitize operation neither in progress nor completed".into())
    }
}

/// Turns a Sanitize Status log into a poll state.
pub fn nvme_poll_state(log: &SanitizeStatusLog) -> PollState {
    match log.state {
        SanitizeState::InProgress => PollState::Running(log.fraction()),
        SanitizeState::Completed | SanitizeState::CompletedNoDeallocate => PollState::Done,
        SanitizeState::Failed => PollState::Failed("the Sanitize Status log reports failure".into()),
        SanitizeState::NeverSanitized => {
            PollState::Failed("the Sanitize Status log says the disk was never sanitized".into())
        }
        SanitizeState::Reserved(v) => PollState::Failed(format!("reserved sanitize status {v}")),
    }
}

/// The timeout of SECURITY ERASE UNIT: twice the disk's estimate (four times when the disk says
/// "more than") plus 30 minutes, or, without an estimate, 2 hours plus the capacity at 20 MB/s
/// twice over.
pub fn security_erase_timeout(id: &IdentifyDevice, enhanced: bool) -> Duration {
    let estimate = if enhanced { id.enhanced_erase_time } else { id.erase_time };
    match estimate {
        Some(t) => t.duration().saturating_mul(if t.at_least { 4 } else { 2 }) + Duration::from_secs(1800),
        None => Duration::from_secs(7200 + id.capacity_bytes() / 10_000_000),
    }
}

/// ATA SECURITY ERASE UNIT with a temporary user password (ACS-4 §7.45.4, §4.18 Security
/// feature set): IDENTIFY (refuse when frozen, locked, already enabled or expired), SECURITY SET
/// PASSWORD with a random password (reported first through `events`), SECURITY ERASE PREPARE,
/// SECURITY ERASE UNIT (normal or enhanced) with a timeout from IDENTIFY word 89 or 90, then
/// IDENTIFY again to check that security is disabled. Whatever fails after the password is set,
/// the password is removed again (SECURITY UNLOCK if locked, SECURITY DISABLE PASSWORD), so the
/// disk never leaves locked; if even that fails the error carries the password.
pub fn ata_security_erase(
    path: &Path,
    enhanced: bool,
    mut events: impl FnMut(FirmwareEvent),
) -> Result<PurgeOutcome, FirmwareError> {
    let start = Instant::now();
    let disk = AtaDisk::open(path, true)?;
    let id = disk.identify()?;
    let sec = id.security;
    let p = || path.to_path_buf();
    if !sec.supported {
        return Err(FirmwareError::Unsupported { path: p(), what: "the ATA Security feature set".into() });
    }
    if enhanced && !sec.enhanced_erase_supported {
        return Err(FirmwareError::Unsupported { path: p(), what: "the enhanced security erase".into() });
    }
    if sec.frozen {
        return Err(FirmwareError::Frozen { path: p() });
    }
    if sec.locked {
        return Err(FirmwareError::Locked { path: p() });
    }
    if sec.enabled {
        return Err(FirmwareError::PasswordAlreadySet { path: p() });
    }
    if sec.count_expired {
        return Err(FirmwareError::AttemptsExpired { path: p() });
    }
    let password =
        AtaPassword::random().map_err(|e| FirmwareError::Random { path: p(), message: e.to_string() })?;
    events(FirmwareEvent::TemporaryPassword { password: password.text() });
    let erase = AtaCommand::security_erase_unit();
    let method = if enhanced { PurgeMethod::AtaEnhancedSecurityErase } else { PurgeMethod::AtaSecurityErase };
    let attempt = (|| {
        let set = AtaCommand::security_set_password();
        events(FirmwareEvent::Issuing { command: set.name });
        disk.run(&set, SgData::ToDevice(&ata::set_password_data(&password)), SHORT)?;
        let prepare = AtaCommand::security_erase_prepare();
        events(FirmwareEvent::Issuing { command: prepare.name });
        disk.run(&prepare, SgData::None, SHORT)?;
        events(FirmwareEvent::Issuing { command: erase.name });
        disk.run(
            &erase,
            SgData::ToDevice(&ata::erase_unit_data(&password, enhanced)),
            security_erase_timeout(&id, enhanced),
        )?;
        Ok(())
    })();
    // Whatever happened, the password must be gone afterwards.
    let cleanup = remove_password(&disk, &password);
    match (attempt, cleanup) {
        (Ok(()), Ok(true)) => Ok(PurgeOutcome { method, elapsed: start.elapsed(), notes: Vec::new() }),
        (Ok(()), Ok(false)) => Ok(PurgeOutcome {
            method,
            elapsed: start.elapsed(),
            notes: vec![
                "security was still enabled after the erase; the temporary password was removed".into()
            ],
        }),
        (Err(e), Ok(_)) => Err(e),
        (Ok(()), Err(e)) => {
            Err(FirmwareError::PasswordLeftSet { path: p(), password: password.text(), cause: Box::new(e) })
        }
        (Err(e), Err(_)) => {
            Err(FirmwareError::PasswordLeftSet { path: p(), password: password.text(), cause: Box::new(e) })
        }
    }
}

/// Makes sure `password` is no longer set: IDENTIFY; if locked, SECURITY UNLOCK; if enabled,
/// SECURITY DISABLE PASSWORD; IDENTIFY again. Returns whether security was already disabled.
fn remove_password(disk: &AtaDisk, password: &AtaPassword) -> Result<bool, FirmwareError> {
    let sec = disk.identify()?.security;
    if !sec.enabled && !sec.locked {
        return Ok(true);
    }
    if sec.locked {
        disk.run(&AtaCommand::security_unlock(), SgData::ToDevice(&ata::password_data(password)), SHORT)?;
    }
    disk.run(
        &AtaCommand::security_disable_password(),
        SgData::ToDevice(&ata::password_data(password)),
        SHORT,
    )?;
    let after = disk.identify()?.security;
    if after.enabled || after.locked {
        return Err(FirmwareError::OperationFailed {
            path: disk.path.clone(),
            command: "SECURITY DISABLE PASSWORD",
            detail: "security is still enabled afterwards".into(),
        });
    }
    Ok(false)
}

/// ATA SANITIZE DEVICE (ACS-4 §7.38): checks support and state, starts the operation, then
/// polls SANITIZE STATUS EXT every [`POLL_INTERVAL`] until it completes, reporting progress
/// through `events`.
pub fn ata_sanitize(
    path: &Path,
    kind: AtaSanitize,
    mut events: impl FnMut(FirmwareEvent),
) -> Result<PurgeOutcome, FirmwareError> {
    let disk = AtaDisk::open(path, true)?;
    let id = disk.identify()?;
    let p = || path.to_path_buf();
    let (supported, method) = match kind {
        AtaSanitize::CryptoScramble => (id.sanitize.crypto_scramble, PurgeMethod::AtaSanitizeCryptoScramble),
        AtaSanitize::BlockErase => (id.sanitize.block_erase, PurgeMethod::AtaSanitizeBlockErase),
        AtaSanitize::Overwrite { .. } => (id.sanitize.overwrite, PurgeMethod::AtaSanitizeOverwrite),
    };
    if !supported {
        return Err(FirmwareError::Unsupported { path: p(), what: method.describe().into() });
    }
    if id.security.locked {
        return Err(FirmwareError::Locked { path: p() });
    }
    let before = disk.sanitize_status(false)?;
    if before.frozen || before.failure == Some(ata::SanitizeFailure::Frozen) {
        return Err(FirmwareError::SanitizeFrozen { path: p() });
    }
    if before.in_progress {
        return Err(FirmwareError::OperationFailed {
            path: p(),
            command: "SANITIZE DEVICE",
            detail: "a sanitize operation is already in progress; wait for it to end".into(),
        });
    }
    if before.failure.is_some() {
        // A previous operation failed: clear that state so the new one can start.
        let _ = disk.sanitize_status(true);
    }
    let cmd = AtaCommand::sanitize(kind);
    events(FirmwareEvent::Issuing { command: cmd.name });
    disk.run(&cmd, SgData::None, Duration::from_secs(60))?;
    let elapsed = poll_until(
        path,
        cmd.name,
        POLL_INTERVAL,
        DEFAULT_OPERATION_LIMIT,
        || disk.sanitize_status(false).map(|s| ata_poll_state(&s)),
        &mut events,
    )?;
    Ok(PurgeOutcome { method, elapsed, notes: Vec::new() })
}

/// NVMe Sanitize (NVMe Base 2.0 §5.24, §8.21): checks SANICAP, starts the operation (AUSE
/// cleared: a failure leaves the controller in restricted failure mode, where only another
/// sanitize succeeds), then reads the Sanitize Status log every [`POLL_INTERVAL`] until it
/// completes, reporting progress through `events`.
pub fn nvme_sanitize(
    path: &Path,
    action: SanitizeAction,
    mut events: impl FnMut(FirmwareEvent),
) -> Result<PurgeOutcome, FirmwareError> {
    let disk = NvmeDisk::open(path, true)?;
    let ctrl = disk.identify_controller()?;
    let p = || path.to_path_buf();
    let caps = ctrl.sanitize;
    let (supported, method) = match action {
        SanitizeAction::CryptoErase => (caps.crypto_erase, PurgeMethod::NvmeSanitizeCryptoErase),
        SanitizeAction::BlockErase => (caps.block_erase, PurgeMethod::NvmeSanitizeBlockErase),
        SanitizeAction::Overwrite { .. } => (caps.overwrite, PurgeMethod::NvmeSanitizeOverwrite),
        SanitizeAction::ExitFailureMode => {
            return Err(FirmwareError::Unsupported {
                path: p(),
                what: "Exit Failure Mode as a purge (it erases nothing)".into(),
            })
        }
    };
    if !supported {
        return Err(FirmwareError::Unsupported { path: p(), what: method.describe().into() });
    }
    let before = disk.sanitize_log()?;
    if before.state == SanitizeState::InProgress {
        return Err(FirmwareError::OperationFailed {
            path: p(),
            command: action.name(),
            detail: "a sanitize operation is already in progress; wait for it to end".into(),
        });
    }
    let limit = before
        .estimate_for(action)
        .map_or(DEFAULT_OPERATION_LIMIT, |e| e.saturating_mul(4) + Duration::from_secs(600));
    let cmd = AdminCommand::sanitize(action, false, false);
    events(FirmwareEvent::Issuing { command: cmd.name });
    disk.run(&cmd, None, Duration::from_secs(60))?;
    let elapsed = poll_until(
        path,
        cmd.name,
        POLL_INTERVAL,
        limit,
        || disk.sanitize_log().map(|l| nvme_poll_state(&l)),
        &mut events,
    )?;
    let mut notes = Vec::new();
    if let Ok(after) = disk.sanitize_log() {
        if after.last_cdw10 & 0x7 != action.sanact() {
            notes.push(format!("the Sanitize Status log records CDW10 {:#x}", after.last_cdw10));
        }
        if after.state == SanitizeState::CompletedNoDeallocate {
            notes.push("completed with deallocation suppressed".into());
        }
    }
    Ok(PurgeOutcome { method, elapsed, notes })
}

/// NVMe Format NVM with a Secure Erase Setting (NVM Command Set 1.0 §5.2): keeps the namespace's
/// current LBA format; targets every namespace (NSID FFFFFFFFh) when the controller says a
/// format or secure erase applies to all of them (FNA bits 0-1), else the namespace of `path`
/// (a controller path means namespace 1). Synchronous: the command returns when done.
pub fn nvme_format(
    path: &Path,
    ses: SecureErase,
    mut events: impl FnMut(FirmwareEvent),
) -> Result<PurgeOutcome, FirmwareError> {
    let start = Instant::now();
    let disk = NvmeDisk::open(path, true)?;
    let ctrl = disk.identify_controller()?;
    let p = || path.to_path_buf();
    let method = match ses {
        SecureErase::Cryptographic => PurgeMethod::NvmeFormatCryptoErase,
        SecureErase::UserData => PurgeMethod::NvmeFormatUserDataErase,
        SecureErase::None => {
            return Err(FirmwareError::Unsupported {
                path: p(),
                what: "Format NVM without secure erase as a purge".into(),
            })
        }
    };
    if !ctrl.format_supported() {
        return Err(FirmwareError::Unsupported { path: p(), what: "Format NVM".into() });
    }
    if ses == SecureErase::Cryptographic && !ctrl.format.crypto_erase_supported {
        return Err(FirmwareError::Unsupported { path: p(), what: method.describe().into() });
    }
    let own = disk.namespace_id()?;
    let ns = disk.identify_namespace(own)?;
    let all = ctrl.format.format_applies_to_all || ctrl.format.secure_erase_applies_to_all;
    let nsid = if all && !ctrl.format.broadcast_not_supported { nvme::NSID_ALL } else { own };
    let timeout = match ses {
        SecureErase::Cryptographic => Duration::from_secs(3600),
        _ => Duration::from_secs(7200 + ns.size_bytes().unwrap_or(0) / 25_000_000),
    };
    let cmd = AdminCommand::format_nvm(nsid, ns.current_format_index(), ses);
    events(FirmwareEvent::Issuing { command: cmd.name });
    disk.run(&cmd, None, timeout)?;
    let mut notes = Vec::new();
    if nsid == nvme::NSID_ALL {
        notes.push("formatted every namespace of the controller (NSID FFFFFFFFh)".into());
    }
    Ok(PurgeOutcome { method, elapsed: start.elapsed(), notes })
}

/// Runs the method a [`PurgePlan`] chose (`None` when the plan is Clear by overwrite, which the
/// caller runs with [`crate::sanitize`]).
pub fn run(
    path: &Path,
    plan: &PurgePlan,
    events: impl FnMut(FirmwareEvent),
) -> Option<Result<PurgeOutcome, FirmwareError>> {
    let PlannedAction::Firmware(method) = plan.action else { return None };
    Some(match method {
        PurgeMethod::NvmeSanitizeCryptoErase => nvme_sanitize(path, SanitizeAction::CryptoErase, events),
        PurgeMethod::NvmeSanitizeBlockErase => nvme_sanitize(path, SanitizeAction::BlockErase, events),
        PurgeMethod::NvmeSanitizeOverwrite => {
            nvme_sanitize(path, SanitizeAction::Overwrite { pattern: 0, passes: 1, invert: false }, events)
        }
        PurgeMethod::NvmeFormatCryptoErase => nvme_format(path, SecureErase::Cryptographic, events),
        PurgeMethod::NvmeFormatUserDataErase => nvme_format(path, SecureErase::UserData, events),
        PurgeMethod::AtaSanitizeCryptoScramble => ata_sanitize(path, AtaSanitize::CryptoScramble, events),
        PurgeMethod::AtaSanitizeBlockErase => ata_sanitize(path, AtaSanitize::BlockErase, events),
        PurgeMethod::AtaSanitizeOverwrite => {
            ata_sanitize(path, AtaSanitize::Overwrite { pattern: 0, passes: 1, invert: false }, events)
        }
        PurgeMethod::AtaEnhancedSecurityErase => ata_security_erase(path, true, events),
        PurgeMethod::AtaSecurityErase => ata_security_erase(path, false, events),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(DeviceKind::from_name("sda"), Ok(DeviceKind::ScsiDisk));
        assert_eq!(DeviceKind::from_name("sdab"), Ok(DeviceKind::ScsiDisk));
        assert!(DeviceKind::from_name("sda1").expect_err("an error").contains("partition"));
        assert_eq!(DeviceKind::from_name("nvme0"), Ok(DeviceKind::NvmeController));
        assert_eq!(DeviceKind::from_name("nvme12n3"), Ok(DeviceKind::NvmeNamespace));
        assert!(DeviceKind::from_name("nvme0n1p2").expect_err("an error").contains("(nvme0n1)"));
        assert!(DeviceKind::from_name("vda").is_err());
        assert!(DeviceKind::from_name("loop0").is_err());
        assert!(DeviceKind::from_name("sd").is_err());
        assert!(DeviceKind::from_name("nvme").is_err());
    }

    #[test]
    fn the_system_disk_of_this_machine_is_never_a_target() {
        // /dev/vda (virtio) gets no pass-through command: refused by name before any open.
        let e = detect(Path::new("/dev/vda"));
        assert!(matches!(e, Err(FirmwareError::NotAPurgeTarget { .. } | FirmwareError::Open { .. })));
    }

    #[test]
    fn polling_reports_progress_then_done() {
        let mut states =
            vec![PollState::Running(Some(0.25)), PollState::Running(None), PollState::Done].into_iter();
        let mut seen = Vec::new();
        let r = poll_until(
            Path::new("/dev/x"),
            "T",
            Duration::ZERO,
            Duration::from_secs(60),
            || Ok(states.next().expect("state")),
            &mut |e| seen.push(e),
        );
        assert!(r.is_ok());
        assert_eq!(seen.len(), 2);
        assert!(matches!(seen[0], FirmwareEvent::Progress { fraction: Some(f), .. } if f == 0.25));
    }

    #[test]
    fn polling_stops_on_failure_and_on_timeout() {
        let r = poll_until(
            Path::new("/dev/x"),
            "T",
            Duration::ZERO,
            Duration::from_secs(60),
            || Ok(PollState::Failed("boom".into())),
            &mut |_| {},
        );
        assert!(matches!(r, Err(FirmwareError::OperationFailed { ref detail, .. }) if detail == "boom"));
        let r = poll_until(
            Path::new("/dev/x"),
            "T",
            Duration::from_millis(1),
            Duration::from_millis(5),
            || Ok(PollState::Running(None)),
            &mut |_| {},
        );
        assert!(matches!(r, Err(FirmwareError::Timeout { .. })));
    }

    #[test]
    fn sense_interpretation() {
        // CK_COND answer: CHECK CONDITION, RECOVERED ERROR 00/1D, registers fine.
        let mut sense = vec![0x72, 0x01, 0x00, 0x1D, 0, 0, 0, 14];
        sense.extend([0x09, 0x0C, 0x01, 0x00, 0x80, 0x00, 0, 0x34, 0, 0x12, 0, 0, 0x40, 0x50]);
        let out = ioctl::SgOutcome {
            status: 2,
            host_status: 0,
            driver_status: 8,
            sense,
            resid: 0,
            duration: Duration::ZERO,
        };
        let regs = interpret_sg(Path::new("/dev/x"), "T", &out, SHORT).expect("ok").expect("regs");
        assert_eq!(regs.count, 0x8000);
        assert_eq!(regs.lba, 0x1234);
        // An aborted command.
        let mut bad = out.clone();
        bad.sense[1] = 0x0B;
        bad.sense[8 + 3] = 0x04;
        bad.sense[8 + 13] = 0x51;
        let e = interpret_sg(Path::new("/dev/x"), "T", &bad, SHORT).expect_err("an error");
        assert!(matches!(e, FirmwareError::Ata { status: 0x51, error: 0x04, .. }));
        assert!(e.to_string().contains("aborted"));
        // ILLEGAL REQUEST without registers: a SCSI disk that is not ATA.
        let scsi = ioctl::SgOutcome {
            status: 2,
            host_status: 0,
            driver_status: 8,
            sense: vec![0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00],
            resid: 0,
            duration: Duration::ZERO,
        };
        assert!(matches!(
            interpret_sg(Path::new("/dev/x"), "T", &scsi, SHORT),
            Err(FirmwareError::Scsi { key: 5, asc: 0x20, .. })
        ));
        // GOOD without sense: a data command that went well.
        let good = ioctl::SgOutcome { status: 0, driver_status: 0, sense: vec![], ..scsi };
        assert_eq!(interpret_sg(Path::new("/dev/x"), "T", &good, SHORT).expect("ok"), None);
    }
}
