//! Clear by overwrite (NIST SP 800-88 Rev. 1 §2.5, Table A-8 "Overwrite media by using
//! organizationally approved and validated overwriting technologies") and read-back verification
//! (§4.7).
//!
//! Generated patterns (ChaCha20) are produced on a thread of their own, a few chunks ahead of
//! the writer, so the disk never waits for the CPU; repeated patterns are filled once.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread;

use certificate::{ByteRange, DiskError};

use crate::device::{AlignedBuffer, BlockDevice, ALIGN};
use crate::pattern::PassPattern;

/// Bytes per I/O: large enough that per-call overhead vanishes, small enough that progress moves
/// and a bad range stays local. A multiple of both [`ALIGN`] and 3, so three-byte patterns
/// (Gutmann's) start every chunk at the same phase and one filled buffer serves every chunk.
pub const CHUNK: usize = 6 << 20;

/// How many generated chunks may wait ahead of the writer.
const AHEAD: usize = 3;

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
    PassPattern::Repeat(pattern.to_vec()).fill(0, buf);
}

fn vanished(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENODEV) | Some(libc::ENXIO) | Some(libc::ENOMEDIUM))
}

/// Appends `[start, end)` to `ranges`, merging with the last range when they touch.
fn push_range(ranges: &mut Vec<ByteRange>, start: u64, end: u64) {
    if let Some(last) = ranges.last_mut() {
        if last.end == start {
            last.end = end;
            return;
        }
    }
    if ranges.len() < MAX_LISTED_RANGES {
        ranges.push(ByteRange { start, end });
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

/// The ranges of a phase, in order: `(offset, length)`, each at most [`CHUNK`] bytes.
fn chunks_of(ranges: &[ByteRange]) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    for r in ranges {
        let mut at = r.start;
        while at < r.end {
            let n = (CHUNK as u64).min(r.end - at) as usize;
            out.push((at, n));
            at += n as u64;
        }
    }
    out
}

/// Content for each chunk, in order: a fixed buffer for repeated patterns, a generator thread
/// with recycled buffers for random ones.
enum Source {
    Fixed(AlignedBuffer),
    Generated { ready: Receiver<AlignedBuffer>, recycle: std::sync::mpsc::SyncSender<AlignedBuffer> },
}

impl Source {
    fn start<'s>(scope: &'s thread::Scope<'s, '_>, pattern: &PassPattern, chunks: &[(u64, usize)]) -> Source {
        if !pattern.is_generated() {
            let mut buf = AlignedBuffer::zeroed(CHUNK);
            pattern.fill(0, buf.as_mut_slice());
            return Source::Fixed(buf);
        }
        let (ready_tx, ready) = sync_channel::<AlignedBuffer>(AHEAD);
        let (recycle, recycle_rx) = sync_channel::<AlignedBuffer>(AHEAD + 1);
        for _ in 0..AHEAD + 1 {
            let _ = recycle.send(AlignedBuffer::zeroed(CHUNK));
        }
        let pattern = pattern.clone();
        let chunks = chunks.to_vec();
        scope.spawn(move || {
            for (offset, n) in chunks {
                let Ok(mut buf) = recycle_rx.recv() else { return };
                pattern.fill(offset, &mut buf.as_mut_slice()[..n]);
                if ready_tx.send(buf).is_err() {
                    return; // The consumer stopped early.
                }
            }
        });
        Source::Generated { ready, recycle }
    }

    /// Runs `f` with the content of the next chunk (buffer start aligned, fixed patterns are
    /// valid at any chunk offset because chunks start on a pattern boundary).
    fn with_next<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Source::Fixed(buf) => f(buf.as_slice()),
            Source::Generated { ready, recycle } => {
                let buf = ready.recv().unwrap_or_else(|_| AlignedBuffer::zeroed(CHUNK));
                let r = f(buf.as_slice());
                let _ = recycle.send(buf);
                r
            }
        }
    }
}

/// Writes `pattern` over every byte of `dev`, then flushes.
///
/// A chunk that fails is retried block by block ([`ALIGN`] bytes) so one bad sector costs only
/// its own range, which is recorded; the pass goes on. A disk that disappears stops the pass.
pub fn write_pass(
    dev: &mut dyn BlockDevice,
    pattern: &PassPattern,
    stop: &AtomicBool,
    mut report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    let size = dev.size();
    let chunks = chunks_of(&[ByteRange { start: 0, end: size }]);
    let mut out = PhaseOutcome::default();
    thread::scope(|scope| {
        let mut source = Source::start(scope, pattern, &chunks);
        for &(offset, n) in &chunks {
            if stop.load(Ordering::Relaxed) {
                out.interrupted = Some(format!("stopped by the operator at byte {offset}"));
                break;
            }
            let vanished_at = source.with_next(|data| write_chunk(dev, &data[..n], offset, &mut out));
            if let Some(e) = vanished_at {
                out.interrupted =
                    Some(format!("the disk disappeared at byte {offset} ({e}): was it unplugged?"));
                break;
            }
            report(offset + n as u64, size);
        }
        drop(source); // Ends the generator if we stopped early.
    });
    if out.interrupted.is_none() {
        if let Err(e) = dev.flush() {
            out.errors
                .push(DiskError { message: format!("flushing the disk's cache failed: {e}"), range: None });
        }
    }
    out
}

/// Writes one chunk; on failure retries it block by block. Returns the error if the disk vanished.
fn write_chunk(
    dev: &mut dyn BlockDevice,
    data: &[u8],
    offset: u64,
    out: &mut PhaseOutcome,
) -> Option<io::Error> {
    match dev.write_all_at(data, offset) {
        Ok(()) => out.bytes += data.len() as u64,
        // A pulled-out USB disk answers EIO: ask whether it is still there before retrying
        // every block of the rest of the disk as a bad sector.
        Err(e) if vanished(&e) || !dev.present() => return Some(e),
        Err(_) => {
            for (i, block) in data.chunks(ALIGN).enumerate() {
                let o = offset + (i * ALIGN) as u64;
                match dev.write_all_at(block, o) {
                    Ok(()) => out.bytes += block.len() as u64,
                    Err(e) if vanished(&e) || !dev.present() => return Some(e),
                    Err(e) => push_error(&mut out.errors, "write", &e, o, o + block.len() as u64),
                }
            }
        }
    }
    None
}

/// Reads `ranges` of `dev` back (the whole disk when `None`) and compares them with `pattern`.
///
/// Reading and checking overlap: this thread only reads, into a small pool of buffers, while a
/// second thread regenerates the expected content and compares, so the disk is kept busy.
pub fn verify_pass(
    dev: &mut dyn BlockDevice,
    pattern: &PassPattern,
    ranges: Option<&[ByteRange]>,
    stop: &AtomicBool,
    mut report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    let size = dev.size();
    let whole = [ByteRange { start: 0, end: size }];
    let chunks = chunks_of(ranges.unwrap_or(&whole));
    let total: u64 = chunks.iter().map(|c| c.1 as u64).sum();
    let mut out = PhaseOutcome::default();
    let mut done = 0u64;
    let (full_tx, full_rx) = sync_channel::<(u64, usize, AlignedBuffer)>(AHEAD);
    let (free_tx, free_rx) = sync_channel::<AlignedBuffer>(AHEAD + 2);
    for _ in 0..AHEAD + 2 {
        let _ = free_tx.send(AlignedBuffer::zeroed(CHUNK));
    }
    let give_back = free_tx.clone();
    let compared = thread::scope(|scope| {
        let checker = scope.spawn(move || {
            let mut found = PhaseOutcome::default();
            let uniform = match pattern {
                PassPattern::Repeat(b) if b.len() == 1 => Some(b[0]),
                _ => None,
            };
            let mut expected = vec![0u8; CHUNK];
            for (offset, n, buf) in full_rx {
                let got = &buf.as_slice()[..n];
                match uniform {
                    // One pass over the data, no second buffer: the common case (zero, one).
                    Some(b) if is_uniform(got, b) => {}
                    _ => {
                        pattern.fill(offset, &mut expected[..n]);
                        compare(got, &expected[..n], offset, &mut found);
                    }
                }
                found.bytes += n as u64;
                if free_tx.send(buf).is_err() {
                    break;
                }
            }
            found
        });
        let mut expected_piece = vec![0u8; ALIGN];
        for &(offset, n) in &chunks {
            if stop.load(Ordering::Relaxed) {
                out.interrupted = Some(format!("stopped by the operator at byte {offset}"));
                break;
            }
            let Ok(mut buf) = free_rx.recv() else { break };
            match dev.read_exact_at(&mut buf.as_mut_slice()[..n], offset) {
                Ok(()) => {
                    if full_tx.send((offset, n, buf)).is_err() {
                        break;
                    }
                }
                Err(e) if vanished(&e) || !dev.present() => {
                    out.interrupted =
                        Some(format!("the disk disappeared at byte {offset} ({e}): was it unplugged?"));
                    break;
                }
                Err(_) => {
                    // Rare: isolate the unreadable blocks here, compare the readable ones inline.
                    let mut at = 0usize;
                    while at < n {
                        let m = ALIGN.min(n - at);
                        let o = offset + at as u64;
                        let piece = &mut buf.as_mut_slice()[at..at + m];
                        match dev.read_exact_at(piece, o) {
                            Ok(()) => {
                                pattern.fill(o, &mut expected_piece[..m]);
                                out.bytes += m as u64;
                                compare(piece, &expected_piece[..m], o, &mut out);
                            }
                            Err(e) => push_error(&mut out.errors, "read-back", &e, o, o + m as u64),
                        }
                        at += m;
                    }
                    let _ = give_back.send(buf);
                }
            }
            done += n as u64;
            report(done, total);
        }
        drop(full_tx);
        checker.join().unwrap_or_default()
    });
    merge_outcomes(compared, out)
}

/// Combines what the checker found with what the reader recorded, keeping ranges sorted.
fn merge_outcomes(checked: PhaseOutcome, read: PhaseOutcome) -> PhaseOutcome {
    let mut mismatches = checked.mismatches;
    mismatches.extend(read.mismatches);
    mismatches.sort();
    let mut merged: Vec<ByteRange> = Vec::with_capacity(mismatches.len());
    for r in mismatches {
        let listed = merged.len();
        match merged.last_mut() {
            Some(last) if last.end == r.start => last.end = r.end,
            _ if listed < MAX_LISTED_RANGES => merged.push(r),
            _ => {}
        }
    }
    PhaseOutcome {
        bytes: checked.bytes + read.bytes,
        errors: read.errors,
        mismatched_bytes: checked.mismatched_bytes + read.mismatched_bytes,
        mismatches: merged,
        interrupted: read.interrupted,
    }
}

/// Whether every byte of `data` is `b`. Blocks of 4 KiB are OR-reduced without early exit, which
/// the compiler vectorizes; the exit is per block.
fn is_uniform(data: &[u8], b: u8) -> bool {
    data.chunks(ALIGN).all(|block| block.iter().fold(0u8, |acc, &x| acc | (x ^ b)) == 0)
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
