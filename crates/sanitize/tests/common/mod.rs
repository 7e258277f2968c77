//! An in-memory disk for the sanitizer's tests: it can fail like a bad sector, vanish like an
//! unplugged drive, and keep a copy of its content at every flush (the end of each pass).

use std::io;
use std::path::Path;

use certificate::ByteRange;
use sanitize::BlockDevice;

/// ENODEV: what the kernel answers for a disk that is gone.
const ENODEV: i32 = 19;
/// EIO: what the kernel answers for an unwritable sector.
const EIO: i32 = 5;

// Each test file uses a part of it.
#[allow(dead_code)]
#[derive(Debug, Default)]
pub struct MemDisk {
    pub data: Vec<u8>,
    /// Writes touching this range fail with EIO.
    pub bad: Option<ByteRange>,
    /// Writes reaching past this offset fail with ENODEV.
    pub vanish_at: Option<u64>,
    /// Writes reaching past this offset fail with EIO and the disk is no longer present: a USB
    /// disk pulled out, as the kernel reports it.
    pub unplugged_at: Option<u64>,
    /// Content at each flush, when `record` is set.
    pub snapshots: Vec<Vec<u8>>,
    pub record: bool,
}

impl MemDisk {
    pub fn filled(size: usize, byte: u8) -> Self {
        MemDisk { data: vec![byte; size], ..MemDisk::default() }
    }
}

impl BlockDevice for MemDisk {
    fn path(&self) -> &Path {
        Path::new("/dev/memory")
    }
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let end = offset + buf.len() as u64;
        if self.vanish_at.is_some_and(|v| end > v) {
            return Err(io::Error::from_raw_os_error(ENODEV));
        }
        if self.unplugged_at.is_some_and(|v| end > v) {
            return Err(io::Error::from_raw_os_error(EIO));
        }
        if self.bad.is_some_and(|b| offset < b.end && end > b.start) {
            return Err(io::Error::from_raw_os_error(EIO));
        }
        self.data[offset as usize..end as usize].copy_from_slice(buf);
        Ok(())
    }
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        buf.copy_from_slice(&self.data[offset as usize..offset as usize + buf.len()]);
        Ok(())
    }
    fn present(&self) -> bool {
        self.unplugged_at.is_none()
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.record {
            self.snapshots.push(self.data.clone());
        }
        Ok(())
    }
}
