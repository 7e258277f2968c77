//! The kernel interfaces the Purge layer uses, each behind one safe, typed function
//! (rustix-style): SG_IO for ATA PASS-THROUGH, NVME_IOCTL_ADMIN_CMD and NVME_IOCTL_ID for NVMe
//! admin commands, and BLKGETSIZE64 / BLKSSZGET / BLKPBSZGET for block device geometry; and the
//! one the overwrite's buffers use, `madvise(MADV_HUGEPAGE)`.
//!
//! This is the one module of the workspace allowed `unsafe`: an `ioctl(2)` takes an untyped
//! argument, and each function below pairs a request number with the exact argument type the
//! kernel expects for it. Every `unsafe` block says why that pairing holds.
//!
//! The structures follow the kernel's user API headers (`scsi/sg.h`, `linux/nvme_ioctl.h`,
//! `linux/fs.h`) as documented in the SCSI Generic HOWTO and the kernel's user-space API
//! documentation; their layout is checked by tests below.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use super::nvme::{self, AdminCommand};

/// `_IOC` direction and size bit layout (include/uapi/asm-generic/ioctl.h; powerpc, mips and
/// sparc use 3 direction bits and 13 size bits).
#[cfg(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
))]
mod ioc {
    pub const NONE: u32 = 1;
    pub const READ: u32 = 2;
    pub const WRITE: u32 = 4;
    pub const DIRSHIFT: u32 = 29;
}
#[cfg(not(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
)))]
mod ioc {
    pub const NONE: u32 = 0;
    pub const READ: u32 = 2;
    pub const WRITE: u32 = 1;
    pub const DIRSHIFT: u32 = 30;
}

const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << ioc::DIRSHIFT) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}

/// SG_IO (include/scsi/sg.h): a fixed number, not `_IOC`-encoded.
pub const SG_IO: u32 = 0x2285;
/// NVME_IOCTL_ID = `_IO('N', 0x40)`: the namespace ID of a namespace block device.
pub const NVME_IOCTL_ID: u32 = ioc(ioc::NONE, b'N', 0x40, 0);
/// NVME_IOCTL_ADMIN_CMD = `_IOWR('N', 0x41, struct nvme_admin_cmd)`.
pub const NVME_IOCTL_ADMIN_CMD: u32 =
    ioc(ioc::READ | ioc::WRITE, b'N', 0x41, std::mem::size_of::<NvmePassthruCmd>());
/// BLKGETSIZE64 = `_IOR(0x12, 114, size_t)`: device size in bytes (always written as u64).
pub const BLKGETSIZE64: u32 = ioc(ioc::READ, 0x12, 114, std::mem::size_of::<usize>());
/// BLKSSZGET = `_IO(0x12, 104)`: logical block size (int).
pub const BLKSSZGET: u32 = ioc(ioc::NONE, 0x12, 104, 0);
/// BLKPBSZGET = `_IO(0x12, 123)`: physical block size (unsigned int).
pub const BLKPBSZGET: u32 = ioc(ioc::NONE, 0x12, 123, 0);

/// `sg_io_hdr_t` (include/scsi/sg.h, interface version 3).
#[repr(C)]
#[derive(Debug)]
struct SgIoHdr {
    interface_id: libc::c_int,
    dxfer_direction: libc::c_int,
    cmd_len: libc::c_uchar,
    mx_sb_len: libc::c_uchar,
    iovec_count: libc::c_ushort,
    dxfer_len: libc::c_uint,
    dxferp: *mut libc::c_void,
    cmdp: *const libc::c_uchar,
    sbp: *mut libc::c_uchar,
    timeout: libc::c_uint,
    flags: libc::c_uint,
    pack_id: libc::c_int,
    usr_ptr: *mut libc::c_void,
    status: libc::c_uchar,
    masked_status: libc::c_uchar,
    msg_status: libc::c_uchar,
    sb_len_wr: libc::c_uchar,
    host_status: libc::c_ushort,
    driver_status: libc::c_ushort,
    resid: libc::c_int,
    duration: libc::c_uint,
    info: libc::c_uint,
}

const SG_DXFER_NONE: libc::c_int = -1;
const SG_DXFER_TO_DEV: libc::c_int = -2;
const SG_DXFER_FROM_DEV: libc::c_int = -3;

/// `struct nvme_passthru_cmd` / `struct nvme_admin_cmd` (include/uapi/linux/nvme_ioctl.h).
#[repr(C)]
#[derive(Debug, Default)]
struct NvmePassthruCmd {
    opcode: u8,
    flags: u8,
    rsvd1: u16,
    nsid: u32,
    cdw2: u32,
    cdw3: u32,
    metadata: u64,
    addr: u64,
    metadata_len: u32,
    data_len: u32,
    cdw10: u32,
    cdw11: u32,
    cdw12: u32,
    cdw13: u32,
    cdw14: u32,
    cdw15: u32,
    timeout_ms: u32,
    result: u32,
}

/// The data phase of an SG_IO command.
#[derive(Debug)]
pub enum SgData<'a> {
    /// No data.
    None,
    /// The device fills this buffer.
    FromDevice(&'a mut [u8]),
    /// The device reads this buffer.
    ToDevice(&'a [u8]),
}

/// What came back from SG_IO besides the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SgOutcome {
    /// SCSI status (0 GOOD, 2 CHECK CONDITION).
    pub status: u8,
    /// Host adapter status (0 OK; e.g. 3 DID_TIME_OUT).
    pub host_status: u16,
    /// Driver status (0 OK; 8 DRIVER_SENSE when sense data was returned).
    pub driver_status: u16,
    /// The sense data written (empty when none).
    pub sense: Vec<u8>,
    /// Bytes not transferred.
    pub resid: i32,
    /// Time the command took.
    pub duration: Duration,
}

/// Sends one SCSI command through SG_IO (SCSI Generic HOWTO, "SG_IO ioctl", interface_id 'S').
/// The call is synchronous: it returns when the command completed or `timeout` expired.
#[doc(alias = "SG_IO")]
pub fn sg_io(fd: BorrowedFd<'_>, cdb: &[u8], data: SgData<'_>, timeout: Duration) -> io::Result<SgOutcome> {
    let cmd_len = u8::try_from(cdb.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut sense = [0u8; 64];
    let (direction, ptr, len): (libc::c_int, *mut libc::c_void, usize) = match data {
        SgData::None => (SG_DXFER_NONE, std::ptr::null_mut(), 0),
        SgData::FromDevice(buf) => (SG_DXFER_FROM_DEV, buf.as_mut_ptr().cast(), buf.len()),
        // The kernel only reads a TO_DEV buffer; the header's field is not const-qualified.
        SgData::ToDevice(buf) => (SG_DXFER_TO_DEV, buf.as_ptr().cast_mut().cast(), buf.len()),
    };
    let dxfer_len = u32::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut hdr = SgIoHdr {
        interface_id: libc::c_int::from(b'S'),
        dxfer_direction: direction,
        cmd_len,
        mx_sb_len: sense.len() as u8,
        iovec_count: 0,
        dxfer_len,
        dxferp: ptr,
        cmdp: cdb.as_ptr(),
        sbp: sense.as_mut_ptr(),
        timeout: nvme::timeout_ms(timeout),
        flags: 0,
        pack_id: 0,
        usr_ptr: std::ptr::null_mut(),
        status: 0,
        masked_status: 0,
        msg_status: 0,
        sb_len_wr: 0,
        host_status: 0,
        driver_status: 0,
        resid: 0,
        duration: 0,
        info: 0,
    };
    // SAFETY: SG_IO takes a pointer to an `sg_io_hdr_t`, which `SgIoHdr` reproduces field for
    // field with #[repr(C)] (layout checked in the tests). Every pointer in it is valid for the
    // whole synchronous call: `cmdp` points at `cdb` (`cmd_len` bytes), `sbp` at `sense`
    // (`mx_sb_len` bytes), `dxferp` at the caller's buffer of `dxfer_len` bytes (mutably
    // borrowed when the device writes into it, null with length 0 when there is no data).
    // `iovec_count` is 0, so `dxferp` is a plain buffer, not a scatter list.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), SG_IO as libc::Ioctl, &mut hdr as *mut SgIoHdr) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let written = usize::from(hdr.sb_len_wr).min(sense.len());
    Ok(SgOutcome {
        status: hdr.status,
        host_status: hdr.host_status,
        driver_status: hdr.driver_status,
        sense: sense[..written].to_vec(),
        resid: hdr.resid,
        duration: Duration::from_millis(u64::from(hdr.duration)),
    })
}

/// The data phase of an NVMe admin command.
#[derive(Debug)]
pub enum NvmeData<'a> {
    /// No data.
    None,
    /// The controller fills this buffer.
    FromController(&'a mut [u8]),
    /// The controller reads this buffer.
    ToController(&'a [u8]),
}

/// What came back from an admin command the controller completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvmeOutcome {
    /// The completion status (0 = success).
    pub status: nvme::NvmeStatus,
    /// Completion queue entry dword 0.
    pub result: u32,
}

/// Sends one admin command through NVME_IOCTL_ADMIN_CMD on a controller character device
/// (/dev/nvmeX) or a namespace block device (/dev/nvmeXnY). The call is synchronous.
/// The data buffer's length must be at least the command's `data_len`.
#[doc(alias = "NVME_IOCTL_ADMIN_CMD")]
pub fn nvme_admin_command(
    fd: BorrowedFd<'_>,
    cmd: &AdminCommand,
    data: NvmeData<'_>,
    timeout: Duration,
) -> io::Result<NvmeOutcome> {
    let (addr, len) = match data {
        NvmeData::None => (0u64, 0usize),
        NvmeData::FromController(buf) => (buf.as_mut_ptr() as u64, buf.len()),
        NvmeData::ToController(buf) => (buf.as_ptr() as u64, buf.len()),
    };
    if (cmd.data_len as usize) > len || (cmd.data_len == 0 && len != 0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "data buffer does not match the command"));
    }
    let mut pt = NvmePassthruCmd {
        opcode: cmd.opcode,
        nsid: cmd.nsid,
        addr,
        data_len: cmd.data_len,
        cdw10: cmd.cdw[0],
        cdw11: cmd.cdw[1],
        cdw12: cmd.cdw[2],
        cdw13: cmd.cdw[3],
        cdw14: cmd.cdw[4],
        cdw15: cmd.cdw[5],
        timeout_ms: nvme::timeout_ms(timeout),
        ..NvmePassthruCmd::default()
    };
    // SAFETY: NVME_IOCTL_ADMIN_CMD is _IOWR('N', 0x41, struct nvme_admin_cmd) and takes a
    // pointer to that structure, which `NvmePassthruCmd` reproduces with #[repr(C)] (72 bytes,
    // layout checked in the tests; the request number encodes that same size). `addr` points at
    // the caller's buffer, borrowed for the whole synchronous call, and `data_len` was checked
    // above not to exceed it; metadata is absent (pointer and length 0).
    let rc = unsafe {
        libc::ioctl(fd.as_raw_fd(), NVME_IOCTL_ADMIN_CMD as libc::Ioctl, &mut pt as *mut NvmePassthruCmd)
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(NvmeOutcome { status: nvme::NvmeStatus(rc as u16), result: pt.result })
}

/// The namespace ID of an NVMe namespace block device (NVME_IOCTL_ID).
#[doc(alias = "NVME_IOCTL_ID")]
pub fn nvme_namespace_id(fd: BorrowedFd<'_>) -> io::Result<u32> {
    // SAFETY: NVME_IOCTL_ID is _IO('N', 0x40): it takes no argument and returns the NSID as
    // the call's result, so no memory is shared with the kernel.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), NVME_IOCTL_ID as libc::Ioctl) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(rc as u32)
}

/// Size of a block device in bytes (BLKGETSIZE64).
#[doc(alias = "BLKGETSIZE64")]
pub fn block_device_size(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let mut size: u64 = 0;
    // SAFETY: BLKGETSIZE64 writes one u64 (the kernel's handler stores a u64 whatever the
    // size_t in the request encoding) through the pointer, which points at `size`.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), BLKGETSIZE64 as libc::Ioctl, &mut size as *mut u64) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(size)
}

/// Logical block size of a block device in bytes (BLKSSZGET).
#[doc(alias = "BLKSSZGET")]
pub fn logical_block_size(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut size: libc::c_int = 0;
    // SAFETY: BLKSSZGET writes one C int through the pointer, which points at `size`.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), BLKSSZGET as libc::Ioctl, &mut size as *mut libc::c_int) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    u32::try_from(size).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
}

/// Physical block size of a block device in bytes (BLKPBSZGET).
#[doc(alias = "BLKPBSZGET")]
pub fn physical_block_size(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let mut size: libc::c_uint = 0;
    // SAFETY: BLKPBSZGET writes one C unsigned int through the pointer, which points at `size`.
    let rc =
        unsafe { libc::ioctl(fd.as_raw_fd(), BLKPBSZGET as libc::Ioctl, &mut size as *mut libc::c_uint) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(size)
}

/// Size of a transparent huge page on x86-64 (and of a PMD on the other 64-bit architectures with
/// 4 KiB pages): the unit [`advise_huge_pages`] works in.
pub const HUGE_PAGE: usize = 2 << 20;

/// Asks the kernel to back the whole [`HUGE_PAGE`]s inside `region` with transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`), where THP is set to `always` or `madvise`. The content is left as
/// it is; only how the memory is mapped changes. Returns how many bytes were advised (0 when
/// `region` holds no whole aligned huge page).
#[doc(alias = "MADV_HUGEPAGE")]
pub fn advise_huge_pages(region: &mut [u8]) -> io::Result<usize> {
    let addr = region.as_mut_ptr() as usize;
    let start = addr.next_multiple_of(HUGE_PAGE);
    let end = (addr + region.len()) / HUGE_PAGE * HUGE_PAGE;
    if end <= start {
        return Ok(0);
    }
    // SAFETY: [start, end) lies inside `region`, memory this process owns and borrows mutably
    // here, and is page-aligned as madvise(2) requires. MADV_HUGEPAGE is advice only: it does
    // not change the memory's content, so no reference into it is invalidated.
    let rc = unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(end - start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// Only the whole huge pages inside the region are advised; a region holding none is left
    /// alone, and the content is unchanged.
    #[test]
    fn huge_page_advice_covers_the_whole_aligned_pages_inside_the_region() {
        let mut storage = vec![7u8; 4 * HUGE_PAGE];
        let first = storage.as_ptr().align_offset(HUGE_PAGE);
        // One byte short of two whole pages on each side: exactly one aligned page inside.
        let region = &mut storage[first + 1..first + 3 * HUGE_PAGE - 1];
        match advise_huge_pages(region) {
            Ok(advised) => assert_eq!(advised, HUGE_PAGE),
            // A kernel built without transparent huge pages refuses the advice.
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}"),
        }
        assert_eq!(advise_huge_pages(&mut storage[first + 1..first + HUGE_PAGE]).ok(), Some(0));
        assert!(storage.iter().all(|&b| b == 7));
    }

    #[test]
    fn request_numbers_match_the_headers() {
        assert_eq!(BLKSSZGET as libc::Ioctl, libc::BLKSSZGET);
        assert_eq!(BLKPBSZGET as libc::Ioctl, libc::BLKPBSZGET);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(NVME_IOCTL_ADMIN_CMD, 0xC048_4E41);
            assert_eq!(NVME_IOCTL_ID, 0x4E40);
            assert_eq!(BLKGETSIZE64, 0x8008_1272);
        }
    }

    #[test]
    fn nvme_passthru_layout() {
        assert_eq!(size_of::<NvmePassthruCmd>(), 72);
        assert_eq!(offset_of!(NvmePassthruCmd, nsid), 4);
        assert_eq!(offset_of!(NvmePassthruCmd, metadata), 16);
        assert_eq!(offset_of!(NvmePassthruCmd, addr), 24);
        assert_eq!(offset_of!(NvmePassthruCmd, metadata_len), 32);
        assert_eq!(offset_of!(NvmePassthruCmd, data_len), 36);
        assert_eq!(offset_of!(NvmePassthruCmd, cdw10), 40);
        assert_eq!(offset_of!(NvmePassthruCmd, cdw15), 60);
        assert_eq!(offset_of!(NvmePassthruCmd, timeout_ms), 64);
        assert_eq!(offset_of!(NvmePassthruCmd, result), 68);
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn sg_io_hdr_layout() {
        assert_eq!(size_of::<SgIoHdr>(), 88);
        assert_eq!(offset_of!(SgIoHdr, dxfer_len), 12);
        assert_eq!(offset_of!(SgIoHdr, dxferp), 16);
        assert_eq!(offset_of!(SgIoHdr, cmdp), 24);
        assert_eq!(offset_of!(SgIoHdr, sbp), 32);
        assert_eq!(offset_of!(SgIoHdr, timeout), 40);
        assert_eq!(offset_of!(SgIoHdr, usr_ptr), 56);
        assert_eq!(offset_of!(SgIoHdr, status), 64);
        assert_eq!(offset_of!(SgIoHdr, host_status), 68);
        assert_eq!(offset_of!(SgIoHdr, resid), 72);
        assert_eq!(offset_of!(SgIoHdr, info), 80);
    }

    #[test]
    fn passthru_bytes_match_the_struct() {
        let cmd = AdminCommand::sanitize(nvme::SanitizeAction::CryptoErase, true, false);
        let bytes = cmd.passthru_bytes(0, Duration::from_secs(60));
        assert_eq!(bytes[0], cmd.opcode);
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().expect("4")), cmd.cdw[0]);
        assert_eq!(u32::from_le_bytes(bytes[64..68].try_into().expect("4")), 60_000);
    }

    #[test]
    fn block_ioctls_on_a_regular_file_fail_cleanly() {
        // Not a device: the kernel answers ENOTTY, nothing is sent anywhere.
        let f = std::fs::File::open("/proc/self/status").expect("open");
        use std::os::fd::AsFd;
        assert!(block_device_size(f.as_fd()).is_err());
        assert!(logical_block_size(f.as_fd()).is_err());
    }
}
