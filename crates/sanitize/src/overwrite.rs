//! Clear by overwrite (NIST SP 800-88 Rev. 1 §2.5, Table A-8 "Overwrite media by using
//! organizationally approved and validated overwriting technologies") and read-back verification
//! (§4.7).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use certificate::{ByteRange, DiskError};

use crate::device::{AlignedBuffer, BlockDevice, ALIGN};

/// Bytes per I/O for a one-byte pattern: large enough that per-call overhead vanishes, small
/// enough that progress moves and a bad range stays local.
pub const CHUNK: usize = 4 << 20;

/// At most this many mismatching ranges are listed; the byte count always covers them all.
pub const MAX_LISTED_RANGES: usize = 1000;

/// What a pass is doing, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Writing the pattern.
    Writing,
    /// Reading it back.
    Verifying,
}

/// A progress report, sent after every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// 1-based pass number.
    pub pass: u32,
    /// Passes in the method.
    pub passes: u32,
    /// Writing or verifying.
    pub phase: Phase,
    /// Bytes done in this phase.
    pub done: u64,
    /// Bytes in this phase.
    pub total: u64,
}

/// How one phase over the disk ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PhaseOutcome {
    /// Bytes written or read and compared successfully.
    pub bytes: u64,
    /// Errors, with merged ranges.
    pub errors: Vec<DiskError>,
    /// Mismatching bytes (verification only).
    pub mismatched_bytes: u64,
    /// Mismatching ranges, merged, at most [`MAX_LISTED_RANGES`].
    pub mismatches: Vec<ByteRange>,
    /// Set when the phase stopped before the end: operator stop, or the disk vanished.
    pub interrupted: Option<String>,
}

/// Fills `buf` with `pattern` repeated, starting at the pattern's first byte.
pub fn fill_repeat(buf: &mut [u8], pattern: &[u8]) {
    if let [b] = pattern {
        buf.fill(*b);
        return;
    }
    for (dst, src) in buf.iter_mut().zip(pattern.iter().cycle()) {
        *dst = *src;
    }
}

/// The chunk size for a pattern: a multiple of both [`CHUNK`]'s alignment and the pattern's
/// length, so every chunk starts at the pattern's first byte.
pub fn chunk_for(pattern: &[u8]) -> usize {
    CHUNK * pattern.len().max(1)
}

fn vanished(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENODEV) | Some(libc::ENXIO) | Some(libc::ENOMEDIUM))
}

/// Appends `[start, end)` to `ranges`, merging with the last range when they touch.
fn push_range(ranges: &mut Vec<ByteRange>, start: u64, end: u64) -> bool {
    if let Some(last) = ranges.last_mut() {
        if last.end == start {
            last.end = end;
            return true;
        }
    }
    if ranges.len() < MAX_LISTED_RANGES {
        ranges.push(ByteRange { start, end });
        true
    } else {
        false
    }
}

/// Records a failed range, merging with the previous error when contiguous.
fn push_error(errors: &mut Vec<DiskError>, what: &str, e: &io::Error, start: u64, end: u64) {
    let message = format!("{what} failed: {e}");
    if let Some(last) = errors.last_mut() {
        if let Some(r) = last.range.as_mut() {
            if r.end == start && last.message == message {
                r.end = end;
                return;
            }
        }
    }
    errors.push(DiskError { message, range: Some(ByteRange { start, end }) });
}

/// Writes `pattern` over every byte of `dev`, then flushes.
///
/// A chunk that fails is retried block by block ([`ALIGN`] bytes) so one bad sector costs only
/// its own range, which is recorded; the pass goes on. A disk that disappears stops the pass.
pub fn write_pass(
    dev: &mut dyn BlockDevice,
    pattern: &[u8],
    stop: &AtomicBool,
    mut report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    let size = dev.size();
    let chunk = chunk_for(pattern);
    let mut buffer = AlignedBuffer::zeroed(chunk);
    fill_repeat(buffer.as_mut_slice(), pattern);
    let mut out = PhaseOutcome::default();
    let mut offset = 0u64;
    while offset < size {
        if stop.load(Ordering::Relaxed) {
            out.interrupted = Some(format!("stopped by the operator at byte {offset}"));
            break;
        }
        let n = chunk.min((size - offset) as usize);
        let data = &buffer.as_slice()[..n];
        match dev.write_all_at(data, offset) {
            Ok(()) => out.bytes += n as u64,
            Err(e) if vanished(&e) => {
                out.interrupted =
                    Some(format!("the disk disappeared at byte {offset} ({e}): was it unplugged?"));
                break;
            }
            Err(_) => {
                // Retry in blocks to isolate the bad range.
                let mut at = 0usize;
                while at < n {
                    let m = ALIGN.min(n - at);
                    let o = offset + at as u64;
                    match dev.write_all_at(&data[at..at + m], o) {
                        Ok(()) => out.bytes += m as u64,
                        Err(e) => push_error(&mut out.errors, "write", &e, o, o + m as u64),
                    }
                    at += m;
                }
            }
        }
        offset += n as u64;
        report(offset, size);
    }
    if out.interrupted.is_none() {
        if let Err(e) = dev.flush() {
            out.errors
                .push(DiskError { message: format!("flushing the disk's cache failed: {e}"), range: None });
        }
    }
    out
}

/// Reads every byte of `dev` back and compares it with `pattern`.
pub fn verify_pass(
    dev: &mut dyn BlockDevice,
    pattern: &[u8],
    stop: &AtomicBool,
    mut report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    let size = dev.size();
    let chunk = chunk_for(pattern);
    let mut expected = AlignedBuffer::zeroed(chunk);
    fill_repeat(expected.as_mut_slice(), pattern);
    let mut actual = AlignedBuffer::zeroed(chunk);
    let mut out = PhaseOutcome::default();
    let mut offset = 0u64;
    while offset < size {
        if stop.load(Ordering::Relaxed) {
            out.interrupted = Some(format!("stopped by the operator at byte {offset}"));
            break;
        }
        let n = chunk.min((size - offset) as usize);
        let want = &expected.as_slice()[..n];
        match dev.read_exact_at(&mut actual.as_mut_slice()[..n], offset) {
            Ok(()) => {
                out.bytes += n as u64;
                compare(&actual.as_slice()[..n], want, offset, &mut out);
            }
            Err(e) if vanished(&e) => {
                out.interrupted =
                    Some(format!("the disk disappeared at byte {offset} ({e}): was it unplugged?"));
                break;
            }
            Err(_) => {
                let mut at = 0usize;
                while at < n {
                    let m = ALIGN.min(n - at);
                    let o = offset + at as u64;
                    let piece = &mut actual.as_mut_slice()[at..at + m];
                    match dev.read_exact_at(piece, o) {
                        Ok(()) => {
                            out.bytes += m as u64;
                            compare(&actual.as_slice()[at..at + m], &want[at..at + m], o, &mut out);
                        }
                        Err(e) => push_error(&mut out.errors, "read-back", &e, o, o + m as u64),
                    }
                    at += m;
                }
            }
        }
        offset += n as u64;
        report(offset, size);
    }
    out
}

/// Compares a block with what it should hold; the equal case is one memcmp.
fn compare(actual: &[u8], expected: &[u8], base: u64, out: &mut PhaseOutcome) {
    if actual == expected {
        return;
    }
    let mut i = 0;
    while i < actual.len() {
        if actual[i] != expected[i] {
            let start = i;
            while i < actual.len() && actual[i] != expected[i] {
                i += 1;
            }
            out.mismatched_bytes += (i - start) as u64;
            push_range(&mut out.mismatches, base + start as u64, base + i as u64);
        } else {
            i += 1;
        }
    }
}
