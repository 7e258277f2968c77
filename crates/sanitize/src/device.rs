//! The block device seen by the wipe: a small trait so the same code runs on block devices,
//! loop devices, plain files and fault-injecting test doubles.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Alignment of every I/O buffer: a multiple of every logical block size in use (512, 4096), as
/// O_DIRECT requires (open(2), "O_DIRECT").
pub const ALIGN: usize = 4096;

/// What the wipe needs of a disk.
pub trait BlockDevice {
    /// Where it is, for messages and records.
    fn path(&self) -> &Path;
    /// Size in bytes.
    fn size(&self) -> u64;
    /// Writes all of `buf` at `offset`, retrying short writes.
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Reads exactly `buf.len()` bytes at `offset`, retrying short reads.
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Makes written data durable: fsync, which on a block device also sends the drive a
    /// cache flush (ATA FLUSH CACHE EXT / NVMe Flush) through the block layer.
    fn flush(&mut self) -> io::Result<()>;
    /// Whether the disk is still attached. A USB disk pulled out mid-wipe answers EIO, not
    /// ENODEV, so a failed write asks this before it is taken for a bad sector.
    fn present(&self) -> bool {
        true
    }
}

/// A regular file or a block device opened for the wipe, with O_DIRECT where the kernel allows
/// it so the page cache neither slows the wipe nor answers the verification's reads.
#[derive(Debug)]
pub struct DeviceFile {
    path: PathBuf,
    size: u64,
    /// The O_DIRECT handle, when the file system supports it.
    direct: Option<File>,
    /// A buffered handle for unaligned tails and file systems without O_DIRECT (tmpfs).
    buffered: File,
    is_block_device: bool,
    /// The kernel's entry for a block device (`/sys/dev/block/MAJOR:MINOR`): gone once the
    /// disk is removed.
    sys_entry: Option<PathBuf>,
}

impl DeviceFile {
    /// Opens `path` for reading and writing. Never creates or truncates anything.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut buffered = OpenOptions::new().read(true).write(true).open(path)?;
        let file_type = buffered.metadata()?.file_type();
        let is_block_device = file_type.is_block_device();
        if !is_block_device && !file_type.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a block device or a regular file"));
        }
        // A block device's metadata says 0 bytes; its end is its size.
        let size = buffered.seek(SeekFrom::End(0))?;
        buffered.seek(SeekFrom::Start(0))?;
        let direct = OpenOptions::new().read(true).write(true).custom_flags(libc::O_DIRECT).open(path).ok();
        let sys_entry = is_block_device.then(|| {
            use std::os::unix::fs::MetadataExt as _;
            let rdev = buffered.metadata().map(|m| m.rdev()).unwrap_or(0);
            PathBuf::from(format!("/sys/dev/block/{}:{}", libc::major(rdev), libc::minor(rdev)))
        });
        Ok(DeviceFile { path: path.to_owned(), size, direct, buffered, is_block_device, sys_entry })
    }

    /// Whether this is a block device (rather than a regular file).
    pub fn is_block_device(&self) -> bool {
        self.is_block_device
    }

    /// Whether O_DIRECT is in use.
    pub fn is_direct(&self) -> bool {
        self.direct.is_some()
    }

    fn handle_for(&self, len: usize, offset: u64, buf_addr: usize) -> &File {
        let aligned = len % ALIGN == 0 && offset % ALIGN as u64 == 0 && buf_addr % ALIGN == 0;
        match &self.direct {
            Some(direct) if aligned => direct,
            _ => &self.buffered,
        }
    }

    /// Drops O_DIRECT after the kernel refused it (EINVAL on the first aligned I/O: some file
    /// systems accept the flag at open and refuse it at write).
    fn fall_back_if_einval(&mut self, e: &io::Error) -> bool {
        if e.raw_os_error() == Some(libc::EINVAL) && self.direct.is_some() {
            self.direct = None;
            true
        } else {
            false
        }
    }
}

impl BlockDevice for DeviceFile {
    fn path(&self) -> &Path {
        &self.path
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let result = self.handle_for(buf.len(), offset, buf.as_ptr() as usize).write_all_at(buf, offset);
        match result {
            Err(e) if self.fall_back_if_einval(&e) => self.buffered.write_all_at(buf, offset),
            other => other,
        }
    }

    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let result = self.handle_for(buf.len(), offset, buf.as_ptr() as usize).read_exact_at(buf, offset);
        match result {
            Err(e) if self.fall_back_if_einval(&e) => self.buffered.read_exact_at(buf, offset),
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(direct) = &self.direct {
            direct.sync_all()?;
        }
        self.buffered.sync_all()
    }

    fn present(&self) -> bool {
        // A regular file stays writable even once unlinked; a block device is gone with its
        // kernel entry (and its sysfs is only trusted when it is there at all).
        match &self.sys_entry {
            Some(entry) if Path::new("/sys/dev/block").is_dir() => entry.exists(),
            _ => true,
        }
    }
}

/// A heap buffer whose usable part starts on an [`ALIGN`] boundary, without `unsafe` here: it
/// over-allocates by one alignment unit and exposes the aligned window.
///
/// A buffer of a huge page or more (the overwrite's chunks) starts on a huge page boundary and
/// asks for transparent huge pages: the kernel then pins and copies a 3 MiB I/O as two 2 MiB
/// pages instead of 768 small ones, which on a RAM-backed loop device made O_DIRECT reads 1.22×
/// and writes 1.47× as fast (scripts/bench-wipe.md, the fifth run). Where the kernel has THP
/// off, the advice fails quietly and the buffer works the same with small pages.
#[derive(Debug)]
pub struct AlignedBuffer {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuffer {
    /// A zero-filled buffer of `len` bytes (a multiple of [`ALIGN`]).
    pub fn zeroed(len: usize) -> Self {
        use crate::firmware::ioctl::{advise_huge_pages, HUGE_PAGE};
        let align = if len >= HUGE_PAGE { HUGE_PAGE } else { ALIGN };
        // Whole huge pages, so the tail of the window is one too.
        let mapped = len.next_multiple_of(align);
        let mut storage = vec![0u8; mapped + align];
        let start = storage.as_ptr().align_offset(align);
        if align == HUGE_PAGE {
            // Before the first touch, so the pages are huge from the first fault on.
            let _ = advise_huge_pages(&mut storage[start..start + mapped]);
        }
        AlignedBuffer { storage, start, len }
    }

    /// The aligned bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.storage[self.start..self.start + self.len]
    }

    /// The aligned bytes, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::ioctl::HUGE_PAGE;

    /// Small buffers are 4 KiB-aligned; chunk-sized ones start on a huge page; both are zeroed
    /// and exactly as long as asked.
    #[test]
    fn buffers_are_aligned_zeroed_and_of_the_asked_length() {
        for (len, align) in
            [(ALIGN, ALIGN), (HUGE_PAGE - ALIGN, ALIGN), (HUGE_PAGE, HUGE_PAGE), (3 << 20, HUGE_PAGE)]
        {
            let mut buf = AlignedBuffer::zeroed(len);
            assert_eq!(buf.as_slice().len(), len);
            assert_eq!(buf.as_slice().as_ptr() as usize % align, 0, "{len} bytes");
            assert!(buf.as_slice().iter().all(|&b| b == 0));
            buf.as_mut_slice()[len - 1] = 1;
            assert_eq!(buf.as_slice()[len - 1], 1);
        }
    }
}
