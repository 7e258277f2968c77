//! Clear by overwrite (NIST SP 800-88 Rev. 1 §2.5, Table A-8 "Overwrite media by using
//! organizationally approved and validated overwriting technologies") and read-back verification
//! (§4.7).
//!
//! Generated patterns (AES-128-CTR or ChaCha20 keystreams, addressed by disk offset) are produced
//! by several threads at once, a chunk ahead of the writer, so the disk does not wait for
//! one processor core; repeated patterns are filled once. The read-back regenerates the stream
//! the same way, on several checker threads.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use certificate::{ByteRange, DiskError};

use crate::device::{AlignedBuffer, BlockDevice, ALIGN};
use crate::pattern::PassPattern;

/// Bytes per I/O: large enough that per-call overhead vanishes (a real disk's queue still gets
/// several requests from one, the block layer splits it at `max_sectors_kb`), small enough that a
/// chunk just generated, or just read, is still in the processor's cache when the kernel copies it
/// or the checker reads it: on a RAM-backed loop device, where the copy is the disk, 3 MiB chunks
/// and one spare buffer wrote random passes at 0.97 of dd against 0.80 with 6 MiB chunks and three
/// spares, and read them back at 0.81 against 0.65 (scripts/bench-wipe.md, the fifth run). A
/// multiple of both [`ALIGN`] and 3, so three-byte patterns (Gutmann's) start every chunk at the
/// same phase and one filled buffer serves every chunk.
pub const CHUNK: usize = 3 << 20;

/// Buffers in flight beyond one per generator or checker thread: the one at the disk. More of
/// them only pushed the ones waiting out of the cache.
const SPARE: usize = 1;

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

/// The ranges of a phase, in order: `(offset, length)`, each at most `chunk` bytes.
fn chunks_of(ranges: &[ByteRange], chunk: usize) -> Vec<(u64, usize)> {
    let mut out = Vec::new();
    for r in ranges {
        let mut at = r.start;
        while at < r.end {
            let n = (chunk as u64).min(r.end - at) as usize;
            out.push((at, n));
            at += n as u64;
        }
    }
    out
}

/// How many threads generate a random pass (and check a read-back): one per processor but one,
/// at least one, at most 8. Each is a CPU-bound generator; when the disk is the bottleneck they
/// wait on free buffers. One processor is left to the writer and the kernel's side of the I/O
/// (its copy into a loop device's file, its submission to a real disk): on 2 cores, a second
/// generator competed with that work and one generator wrote faster than two
/// (scripts/bench-wipe.md, the fourth run).
pub fn worker_threads() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).clamp(1, 8)
}

/// How a pass drives its pipeline. [`Tuning::default`] is what every wipe uses; benchmarks
/// (`examples/pass-rate`) try others on the same device to choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Generator threads for a random pass, checker threads for a read-back (at least one).
    pub threads: usize,
    /// Bytes per I/O; rounded down to a multiple of [`ALIGN`] and 3 (at least one such unit).
    pub chunk: usize,
    /// Buffers in flight beyond one per thread.
    pub spare: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning { threads: worker_threads(), chunk: CHUNK, spare: SPARE }
    }
}

impl Tuning {
    /// The default with `threads` threads (tests compare counts).
    pub fn with_threads(threads: usize) -> Self {
        Tuning { threads, ..Tuning::default() }
    }

    /// The I/O size in use: `chunk`, rounded down to a multiple of both [`ALIGN`] (O_DIRECT) and
    /// 3 (three-byte patterns start every chunk in phase).
    pub fn chunk_bytes(&self) -> usize {
        const UNIT: usize = 3 * ALIGN;
        (self.chunk / UNIT).max(1) * UNIT
    }

    fn thread_count(&self) -> usize {
        self.threads.max(1)
    }

    fn buffers(&self) -> usize {
        self.thread_count() + self.spare
    }

    /// The pass's free buffers, every one of them already in the channel: one per thread and
    /// the spares, each a chunk long.
    fn buffer_pool(&self) -> (SyncSender<AlignedBuffer>, Receiver<AlignedBuffer>) {
        let (free_tx, free_rx) = sync_channel::<AlignedBuffer>(self.buffers());
        for _ in 0..self.buffers() {
            let _ = free_tx.send(AlignedBuffer::zeroed(self.chunk_bytes()));
        }
        (free_tx, free_rx)
    }
}

/// Content for each chunk, in order: a fixed buffer for repeated patterns, a pipeline of
/// generator threads for random ones.
enum Source {
    Fixed(AlignedBuffer),
    Generated(Pipeline),
}

/// Generated chunks in disk order. `threads` generators each take a free buffer, then claim the
/// next chunk to fill (in that order, so a claimed chunk is always being filled and the chunk the
/// writer needs next is always on its way), and hand it over tagged with its index; the writer
/// puts early arrivals aside until their turn. With a spare buffer beyond one per thread, the writer
/// has the next chunk ready while one is at the disk, and never waits on one particular generator.
struct Pipeline {
    ready: Receiver<(usize, AlignedBuffer)>,
    recycle: SyncSender<AlignedBuffer>,
    early: BTreeMap<usize, AlignedBuffer>,
    next: usize,
}

impl Pipeline {
    fn start<'s>(
        scope: &'s thread::Scope<'s, '_>,
        pattern: &PassPattern,
        chunks: &[(u64, usize)],
        tuning: &Tuning,
    ) -> Pipeline {
        let (threads, buffers) = (tuning.thread_count(), tuning.buffers());
        let (ready_tx, ready) = sync_channel::<(usize, AlignedBuffer)>(buffers);
        let (recycle, recycle_rx) = tuning.buffer_pool();
        let free = Arc::new(Mutex::new(recycle_rx));
        let claimed = Arc::new(AtomicUsize::new(0));
        let chunks: Arc<[(u64, usize)]> = chunks.into();
        for _ in 0..threads {
            let (free, claimed, chunks, ready_tx) =
                (free.clone(), claimed.clone(), chunks.clone(), ready_tx.clone());
            let pattern = pattern.clone();
            scope.spawn(move || loop {
                // A closed channel (the writer stopped early) or a poisoned lock ends the thread.
                let Some(mut buf) = free.lock().ok().and_then(|rx| rx.recv().ok()) else { return };
                let i = claimed.fetch_add(1, Ordering::Relaxed);
                let Some(&(offset, n)) = chunks.get(i) else { return };
                pattern.fill(offset, &mut buf.as_mut_slice()[..n]);
                if ready_tx.send((i, buf)).is_err() {
                    return;
                }
            });
        }
        Pipeline { ready, recycle, early: BTreeMap::new(), next: 0 }
    }

    /// The next chunk in disk order; `None` if the generators are gone (they never are while
    /// chunks remain, unless one panicked).
    fn next(&mut self) -> Option<AlignedBuffer> {
        loop {
            if let Some(buf) = self.early.remove(&self.next) {
                self.next += 1;
                return Some(buf);
            }
            let (i, buf) = self.ready.recv().ok()?;
            self.early.insert(i, buf);
        }
    }
}

impl Source {
    fn start<'s>(
        scope: &'s thread::Scope<'s, '_>,
        pattern: &PassPattern,
        chunks: &[(u64, usize)],
        tuning: &Tuning,
    ) -> Source {
        if !pattern.is_generated() {
            let mut buf = AlignedBuffer::zeroed(tuning.chunk_bytes());
            pattern.fill(0, buf.as_mut_slice());
            return Source::Fixed(buf);
        }
        Source::Generated(Pipeline::start(scope, pattern, chunks, tuning))
    }

    /// Runs `f` with the content of the next chunk (buffer start aligned, fixed patterns are
    /// valid at any chunk offset because chunks start on a pattern boundary); `None` if the
    /// generators stopped, so that nothing but the pattern is ever written.
    fn with_next<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        match self {
            Source::Fixed(buf) => Some(f(buf.as_slice())),
            Source::Generated(pipeline) => {
                let buf = pipeline.next()?;
                let r = f(buf.as_slice());
                let _ = pipeline.recycle.send(buf);
                Some(r)
            }
        }
    }
}

/// Writes `pattern` over every byte of `dev`, then flushes.
///
/// A chunk that fails is retried block by block ([`ALIGN`] bytes) so one bad sector costs only
/// its own range, which is recorded; the pass goes on. A disk that disappears stops the pass.
/// Random content is generated by [`worker_threads`] threads ahead of the writes.
pub fn write_pass(
    dev: &mut dyn BlockDevice,
    pattern: &PassPattern,
    stop: &AtomicBool,
    report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    write_pass_tuned(dev, pattern, &Tuning::default(), stop, report)
}

/// [`write_pass`] with another [`Tuning`] (tests and benchmarks compare them).
pub fn write_pass_tuned(
    dev: &mut dyn BlockDevice,
    pattern: &PassPattern,
    tuning: &Tuning,
    stop: &AtomicBool,
    mut report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    let size = dev.size();
    let chunks = chunks_of(&[ByteRange { start: 0, end: size }], tuning.chunk_bytes());
    let mut out = PhaseOutcome::default();
    thread::scope(|scope| {
        let mut source = Source::start(scope, pattern, &chunks, tuning);
        for &(offset, n) in &chunks {
            if stop.load(Ordering::Relaxed) {
                out.interrupted = Some(format!("stopped by the operator at byte {offset}"));
                break;
            }
            let Some(vanished_at) = source.with_next(|data| write_chunk(dev, &data[..n], offset, &mut out))
            else {
                out.errors.push(DiskError {
                    message: format!(
                        "the pattern's generator stopped before byte {offset}: the pass is incomplete"
                    ),
                    range: Some(ByteRange { start: offset, end: size }),
                });
                break;
            };
            if let Some(e) = vanished_at {
                out.interrupted =
                    Some(format!("the disk disappeared at byte {offset} ({e}): was it unplugged?"));
                break;
            }
            report(offset + n as u64, size);
        }
        drop(source); // Ends the generators if we stopped early.
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
/// Reading and checking overlap: this thread only reads, into a small pool of buffers, while
/// [`worker_threads`] checker threads regenerate the expected content and compare, each chunk
/// on whichever checker is free, so the disk is kept busy.
pub fn verify_pass(
    dev: &mut dyn BlockDevice,
    pattern: &PassPattern,
    ranges: Option<&[ByteRange]>,
    stop: &AtomicBool,
    report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    verify_pass_tuned(dev, pattern, ranges, &Tuning::default(), stop, report)
}

/// [`verify_pass`] with another [`Tuning`] (tests and benchmarks compare them).
pub fn verify_pass_tuned(
    dev: &mut dyn BlockDevice,
    pattern: &PassPattern,
    ranges: Option<&[ByteRange]>,
    tuning: &Tuning,
    stop: &AtomicBool,
    mut report: impl FnMut(u64, u64),
) -> PhaseOutcome {
    let size = dev.size();
    let whole = [ByteRange { start: 0, end: size }];
    let chunks = chunks_of(ranges.unwrap_or(&whole), tuning.chunk_bytes());
    let total: u64 = chunks.iter().map(|c| c.1 as u64).sum();
    let (threads, buffers) = (tuning.thread_count(), tuning.buffers());
    let mut out = PhaseOutcome::default();
    let mut done = 0u64;
    let (full_tx, full_rx) = sync_channel::<(u64, usize, AlignedBuffer)>(buffers);
    let (free_tx, free_rx) = tuning.buffer_pool();
    let full_rx = Mutex::new(full_rx);
    let checked = thread::scope(|scope| {
        let checkers: Vec<_> = (0..threads)
            .map(|_| {
                let (full_rx, free_tx) = (&full_rx, free_tx.clone());
                scope.spawn(move || {
                    let mut found = PhaseOutcome::default();
                    let mut expected = vec![0u8; CHECK_BLOCK];
                    while let Some((offset, n, mut buf)) = full_rx.lock().ok().and_then(|rx| rx.recv().ok()) {
                        check_chunk(pattern, &mut buf.as_mut_slice()[..n], offset, &mut expected, &mut found);
                        if free_tx.send(buf).is_err() {
                            break;
                        }
                    }
                    found
                })
            })
            .collect();
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
                    let _ = free_tx.send(buf);
                }
            }
            done += n as u64;
            report(done, total);
        }
        drop(full_tx);
        checkers
            .into_iter()
            .map(|c| c.join().unwrap_or_default())
            .fold(PhaseOutcome::default(), merge_checked)
    });
    merge_outcomes(checked, out)
}

/// Bytes of expected content regenerated at a time while checking: small enough to stay in the
/// processor's cache between being generated and being compared, so a random pass's read-back
/// costs the cipher and one pass over the data read, not a second buffer's worth of memory traffic.
const CHECK_BLOCK: usize = 64 << 10;

/// Checks one chunk read back at `offset` against `pattern`. A random pass's chunk is checked in
/// place (the buffer is not used again before it is overwritten): the keystream is XORed into
/// it, so what the disk held right is zero and a mismatching byte is non-zero, one pass over
/// the data and no second buffer to compare with.
fn check_chunk(
    pattern: &PassPattern,
    got: &mut [u8],
    offset: u64,
    expected: &mut [u8],
    found: &mut PhaseOutcome,
) {
    let uniform = match pattern {
        PassPattern::Repeat(b) if b.len() == 1 => Some(b[0]),
        _ => None,
    };
    found.bytes += got.len() as u64;
    if let PassPattern::Random(stream) = pattern {
        let step = expected.len();
        for (i, block) in got.chunks_mut(step).enumerate() {
            let at = offset + (i * step) as u64;
            stream.xor_into(at, block);
            if !is_uniform(block, 0) {
                let zeros = &mut expected[..block.len()];
                zeros.fill(0);
                compare(block, zeros, at, found);
            }
        }
        return;
    }
    // One pass over the data, no second buffer: the common case (zero, one).
    if let Some(b) = uniform {
        if is_uniform(got, b) {
            return;
        }
    }
    let step = expected.len();
    for (i, block) in got.chunks(step).enumerate() {
        let at = offset + (i * step) as u64;
        let want = &mut expected[..block.len()];
        pattern.fill(at, want);
        compare(block, want, at, found);
    }
}

/// Adds one checker's findings to the others'; ranges are sorted and merged afterwards.
fn merge_checked(mut all: PhaseOutcome, one: PhaseOutcome) -> PhaseOutcome {
    all.bytes += one.bytes;
    all.mismatched_bytes += one.mismatched_bytes;
    all.mismatches.extend(one.mismatches);
    all
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
