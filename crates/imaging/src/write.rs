//! The writer pipeline: read → decompress → map → write, then read back.
//!
//! ```text
//!  source ──1 MiB──► decompress ──8 MiB aligned──► map (bmap ranges: SHA-256;  ──spans──► write (O_DIRECT,
//!  (file/HTTP,        (own thread,   buffers          no bmap: zero blocks,              caller's thread,
//!   SHA-256 of file)   magic bytes)                   stream SHA-256)                    progress events)
//! ```
//!
//! Each stage is a thread joined by bounded channels, so the slowest one sets the pace and
//! memory stays bounded (a fixed pool of aligned buffers travels from the decompressor to the
//! writer and back). Decompression and hashing, the two CPU-heavy stages, run on different
//! threads. The first stage to fail records its error; the others stop when their channel
//! closes, and that first error is what the caller gets.
//!
//! After a flush (fsync, which sends the drive a cache flush), the read-back reads the mapped
//! ranges (or the image's whole extent without a bmap) with O_DIRECT, so the page cache cannot
//! answer for the disk, and compares their SHA-256 with the bmap's (or with the stream's).

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use sanitize::{AlignedBuffer, BlockDevice, ALIGN};
use sha2::{Digest as _, Sha256};

use crate::bmap::{Bmap, ByteRange};
use crate::decompress::{self, Compression};
use crate::error::{ImagingError, Result};
use crate::manifest::ImageManifest;
use crate::record::{
    ImageIdentity, ImageVerification, ImagingRecord, Skipping, VerificationMethod, VerificationResult,
};
use crate::source::{HttpOptions, ImageSource};

/// Size of one write (and read-back read): large, so a SATA or USB disk sees long sequential
/// commands, and a multiple of [`ALIGN`] for O_DIRECT.
pub const CHUNK: usize = 8 << 20;
/// Aligned buffers in flight between the decompressor and the writer.
const POOL: usize = 4;
/// Size of one read from the source.
const SOURCE_READ: usize = 1 << 20;

/// A bmap and the SHA-256 of its file, as loaded.
#[derive(Debug, Clone)]
pub struct LoadedBmap {
    /// The parsed, self-checked bmap.
    pub bmap: Bmap,
    /// SHA-256 of the bmap file.
    pub sha256: [u8; 32],
}

impl LoadedBmap {
    /// Parses bmap bytes; with `expected` (from the signed catalogue) the file's SHA-256 must match.
    pub fn from_bytes(bytes: &[u8], expected: Option<&str>) -> Result<Self> {
        let sha256: [u8; 32] = Sha256::digest(bytes).into();
        if let Some(expected) = expected {
            let found = hex::encode(sha256);
            if !found.eq_ignore_ascii_case(expected.trim()) {
                return Err(ImagingError::HashMismatch {
                    what: "the bmap file".into(),
                    expected: expected.to_owned(),
                    found,
                });
            }
        }
        Ok(LoadedBmap { bmap: Bmap::parse(bytes)?, sha256 })
    }

    /// Reads and parses a bmap file.
    pub fn load(path: &std::path::Path, expected: Option<&str>) -> Result<Self> {
        let bytes =
            std::fs::read(path).map_err(|source| ImagingError::File { path: path.to_owned(), source })?;
        Self::from_bytes(&bytes, expected)
    }
}

/// What to write and how.
#[derive(Debug, Clone)]
pub struct ImageJob {
    /// Where the image comes from.
    pub source: ImageSource,
    /// Its bmap, if any.
    pub bmap: Option<LoadedBmap>,
    /// Its entry in a verified catalogue, if any: the file's size and SHA-256 are then enforced.
    pub manifest: Option<ImageManifest>,
    /// The disk is known to hold only zeros (the wipe's record says so): without a bmap, all-zero
    /// blocks need not be written. Never set it from a guess.
    pub disk_zeroed: bool,
    /// Read the written data back and compare (on by default).
    pub verify_readback: bool,
    /// How the URL reader retries.
    pub http: HttpOptions,
}

impl ImageJob {
    /// A job for `source` with read-back on and nothing else.
    pub fn new(source: ImageSource) -> Self {
        ImageJob {
            source,
            bmap: None,
            manifest: None,
            disk_zeroed: false,
            verify_readback: true,
            http: HttpOptions::default(),
        }
    }
}

/// Which part of the work is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Streaming the image onto the disk.
    Writing,
    /// Reading it back.
    Verifying,
}

/// A progress event, sent from the caller's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// The phase.
    pub phase: Phase,
    /// Writing: bytes of the image processed (written or skipped). Verifying: bytes read back.
    pub done: u64,
    /// What `done` goes up to, when known.
    pub total: Option<u64>,
    /// Bytes written to the disk so far.
    pub bytes_written: u64,
}

/// The first error of any stage wins: later ones are consequences (a closed channel).
#[derive(Default)]
struct FirstError(Mutex<Option<ImagingError>>);

impl FirstError {
    fn set(&self, e: ImagingError) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
    }
    fn take(&self) -> Option<ImagingError> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// An error from below the decompressor that is really ours (the URL reader's), unwrapped.
fn unwrap_io(e: io::Error) -> std::result::Result<ImagingError, io::Error> {
    if e.get_ref().is_some_and(|inner| inner.is::<ImagingError>()) {
        let inner = e.into_inner().ok_or_else(|| io::Error::other("no inner error"))?;
        return inner.downcast::<ImagingError>().map(|b| *b).map_err(io::Error::other);
    }
    Err(e)
}

enum Feed {
    Data(Vec<u8>),
    /// The source ended where it should.
    End,
}

/// The decompressor's view of the reader thread.
struct ChannelReader {
    rx: Receiver<Feed>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Feed::Data(d)) => {
                    let old = std::mem::replace(&mut self.current, d);
                    let _ = self.recycle.try_send(old);
                    self.pos = 0;
                }
                Ok(Feed::End) => self.ended = true,
                Err(_) => return Err(io::Error::other("the image source stopped")),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct Chunk {
    /// Offset of the chunk in the image.
    offset: u64,
    buf: AlignedBuffer,
    len: usize,
}

struct WriteJob {
    chunk: Chunk,
    /// (start in chunk, length) of the bytes to write.
    spans: Vec<(usize, usize)>,
}

struct SourceSummary {
    bytes: u64,
    sha256: [u8; 32],
}

struct MapSummary {
    image_bytes: u64,
    /// SHA-256 of the whole decompressed stream, when there is no bmap.
    stream_sha256: Option<[u8; 32]>,
}

/// Writes the image to `device`, then reads it back; `progress` is called from this thread.
pub fn write_image<D: BlockDevice + Send>(
    job: &ImageJob,
    device: &mut D,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImagingRecord> {
    let device_path = device.path().to_owned();
    let bmap = job.bmap.as_ref().map(|b| &b.bmap);
    let known_size = bmap.map(|b| b.image_size).or(job.manifest.as_ref().map(|m| m.image_size));
    if let (Some(b), Some(m)) = (bmap, &job.manifest) {
        if b.image_size != m.image_size {
            return Err(ImagingError::Manifest(format!(
                "the bmap's ImageSize {} differs from the catalogue's image_size {}",
                b.image_size, m.image_size
            )));
        }
    }
    if let Some(needed) = known_size {
        if needed > device.size() {
            return Err(ImagingError::DiskTooSmall { device: device_path, needed, size: device.size() });
        }
    }

    let opened = job.source.open(&job.http)?;
    let expected_file_len = job.manifest.as_ref().map(|m| m.size).or(opened.length);
    let errors = FirstError::default();
    let (src_tx, src_rx) = sync_channel::<Feed>(8);
    let (recycle_tx, recycle_rx) = sync_channel::<Vec<u8>>(10);
    let (pool_tx, pool_rx) = sync_channel::<AlignedBuffer>(POOL);
    let (chunk_tx, chunk_rx) = sync_channel::<Chunk>(1);
    let (job_tx, job_rx) = sync_channel::<WriteJob>(1);
    for _ in 0..POOL {
        let _ = pool_tx.send(AlignedBuffer::zeroed(CHUNK));
    }

    let (source_summary, compression, map_summary, written) = std::thread::scope(|s| {
        let errors = &errors;
        let reader =
            s.spawn(move || read_source(opened.reader, expected_file_len, src_tx, recycle_rx, errors));
        let decompressor = s.spawn(move || {
            let input =
                ChannelReader { rx: src_rx, recycle: recycle_tx, current: Vec::new(), pos: 0, ended: false };
            decompress_stage(input, pool_rx, chunk_tx, errors)
        });
        let mapper = s.spawn(move || map_stage(bmap, job.disk_zeroed, chunk_rx, job_tx, errors));
        let written = write_stage(device, known_size, job_rx, pool_tx, progress, errors);
        (reader.join(), decompressor.join(), mapper.join(), written)
    });
    if let Some(e) = errors.take() {
        return Err(e);
    }
    let source_summary =
        source_summary.map_err(|_| ImagingError::Thread("source"))?.ok_or(ImagingError::Thread("source"))?;
    let compression = compression
        .map_err(|_| ImagingError::Thread("decompress"))?
        .ok_or(ImagingError::Thread("decompress"))?;
    let map_summary =
        map_summary.map_err(|_| ImagingError::Thread("map"))?.ok_or(ImagingError::Thread("map"))?;
    let bytes_written = written.ok_or(ImagingError::Thread("write"))?;

    let file_sha256 = hex::encode(source_summary.sha256);
    if let Some(m) = &job.manifest {
        if !file_sha256.eq_ignore_ascii_case(&m.sha256) {
            return Err(ImagingError::HashMismatch {
                what: format!("the image file {}", job.source),
                expected: m.sha256.clone(),
                found: file_sha256,
            });
        }
        if map_summary.image_bytes != m.image_size {
            return Err(ImagingError::Truncated {
                what: "the decompressed image".into(),
                got: map_summary.image_bytes,
                expected: m.image_size,
            });
        }
    }
    device.flush().map_err(|source| ImagingError::Device {
        device: device_path.clone(),
        op: "flush",
        offset: 0,
        len: 0,
        source,
    })?;

    let verification = if !job.verify_readback {
        ImageVerification {
            method: VerificationMethod::None,
            ranges_checked: 0,
            bytes_read_back: 0,
            result: VerificationResult::NotVerified,
        }
    } else {
        let (method, ranges) = match (bmap, map_summary.stream_sha256) {
            (Some(b), _) => (VerificationMethod::BmapRanges, b.byte_ranges().collect::<Vec<_>>()),
            (None, Some(sha256)) => {
                let end = map_summary.image_bytes;
                let whole = ByteRange { start: 0, end, first: 0, last: 0, sha256 };
                (VerificationMethod::WholeImage, if end > 0 { vec![whole] } else { Vec::new() })
            }
            (None, None) => return Err(ImagingError::Thread("map")),
        };
        let bytes_read_back = read_back(device, &ranges, method, progress)?;
        ImageVerification {
            method,
            ranges_checked: ranges.len() as u64,
            bytes_read_back,
            result: VerificationResult::Verified,
        }
    };

    let skipping = match (bmap, job.disk_zeroed) {
        (Some(_), _) => Skipping::Bmap,
        (None, true) => Skipping::ZeroBlocksOnZeroedDisk,
        (None, false) => Skipping::None,
    };
    Ok(ImagingRecord {
        image: ImageIdentity {
            name: job.manifest.as_ref().map(|m| m.name.clone()),
            version: job.manifest.as_ref().map(|m| m.version.clone()),
            source: job.source.to_string(),
            sha256: file_sha256,
            file_size: source_summary.bytes,
            compression,
            bmap_sha256: job.bmap.as_ref().map(|b| hex::encode(b.sha256)),
            catalogue_verified: job.manifest.is_some(),
        },
        device: device_path.display().to_string(),
        image_size: map_summary.image_bytes,
        bytes_written,
        bytes_skipped: map_summary.image_bytes - bytes_written,
        skipping,
        verification,
        post_steps: Vec::new(),
    })
}

fn read_source(
    mut reader: Box<dyn Read + Send>,
    expected: Option<u64>,
    tx: SyncSender<Feed>,
    recycle: Receiver<Vec<u8>>,
    errors: &FirstError,
) -> Option<SourceSummary> {
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    loop {
        let mut buf = recycle.try_recv().unwrap_or_else(|_| Vec::with_capacity(SOURCE_READ));
        buf.resize(SOURCE_READ, 0);
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                errors.set(
                    unwrap_io(e).unwrap_or_else(|source| ImagingError::Source { offset: total, source }),
                );
                return None;
            }
        };
        buf.truncate(n);
        hasher.update(&buf);
        total += n as u64;
        if let Some(expected) = expected {
            if total > expected {
                errors.set(ImagingError::TooLong { what: "the image file".into(), expected });
                return None;
            }
        }
        if tx.send(Feed::Data(buf)).is_err() {
            return None;
        }
    }
    if let Some(expected) = expected {
        if total < expected {
            errors.set(ImagingError::Truncated { what: "the image file".into(), got: total, expected });
            return None;
        }
    }
    let _ = tx.send(Feed::End);
    Some(SourceSummary { bytes: total, sha256: hasher.finalize().into() })
}

fn decompress_stage(
    input: ChannelReader,
    pool: Receiver<AlignedBuffer>,
    tx: SyncSender<Chunk>,
    errors: &FirstError,
) -> Option<Compression> {
    let (kind, mut decoder) = match decompress::open(input) {
        Ok(x) => x,
        Err(e) => {
            errors.set(ImagingError::Source { offset: 0, source: e });
            return None;
        }
    };
    let mut offset = 0u64;
    loop {
        let mut buf = pool.recv().ok()?;
        let mut filled = 0;
        let slice = buf.as_mut_slice();
        while filled < CHUNK {
            match decoder.read(&mut slice[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let at = offset + filled as u64;
                    errors.set(unwrap_io(e).unwrap_or_else(|source| ImagingError::Decompress {
                        format: kind.name(),
                        offset: at,
                        source,
                    }));
                    return None;
                }
            }
        }
        if filled > 0 {
            tx.send(Chunk { offset, buf, len: filled }).ok()?;
            offset += filled as u64;
        }
        if filled < CHUNK {
            return Some(kind);
        }
    }
}

fn map_stage(
    bmap: Option<&Bmap>,
    disk_zeroed: bool,
    rx: Receiver<Chunk>,
    tx: SyncSender<WriteJob>,
    errors: &FirstError,
) -> Option<MapSummary> {
    let ranges: Vec<ByteRange> = bmap.map(|b| b.byte_ranges().collect()).unwrap_or_default();
    let mut next = 0; // index of the first range not yet complete
    let mut range_hash = Sha256::new();
    let mut stream_hash = bmap.is_none().then(Sha256::new);
    let mut end = 0u64;
    for chunk in rx {
        let data = &chunk.buf.as_slice()[..chunk.len];
        let (start, stop) = (chunk.offset, chunk.offset + chunk.len as u64);
        end = stop;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut push = |s: usize, len: usize| match spans.last_mut() {
            Some((ps, pl)) if *ps + *pl == s => *pl += len,
            _ => spans.push((s, len)),
        };
        if let Some(b) = bmap {
            if stop > b.image_size {
                errors.set(ImagingError::TooLong {
                    what: "the decompressed image".into(),
                    expected: b.image_size,
                });
                return None;
            }
            while let Some(r) = ranges.get(next) {
                if r.start >= stop {
                    break;
                }
                let (s, e) = (r.start.max(start), r.end.min(stop));
                if s < e {
                    let piece = (s - start) as usize..(e - start) as usize;
                    range_hash.update(&data[piece.clone()]);
                    push(piece.start, piece.len());
                }
                if r.end > stop {
                    break;
                }
                let found: [u8; 32] = std::mem::take(&mut range_hash).finalize().into();
                if found != r.sha256 {
                    errors.set(ImagingError::RangeChecksum {
                        stage: "image data",
                        first: r.first,
                        last: r.last,
                        start: r.start,
                        end: r.end,
                        expected: hex::encode(r.sha256),
                        found: hex::encode(found),
                    });
                    return None;
                }
                next += 1;
            }
        } else {
            if let Some(h) = stream_hash.as_mut() {
                h.update(data);
            }
            if disk_zeroed {
                for (i, block) in data.chunks(ALIGN).enumerate() {
                    if !is_zero(block) {
                        push(i * ALIGN, block.len());
                    }
                }
            } else {
                push(0, data.len());
            }
        }
        tx.send(WriteJob { chunk, spans }).ok()?;
    }
    if let Some(b) = bmap {
        if end != b.image_size {
            errors.set(ImagingError::Truncated {
                what: "the decompressed image".into(),
                got: end,
                expected: b.image_size,
            });
            return None;
        }
    }
    Some(MapSummary { image_bytes: end, stream_sha256: stream_hash.map(|h| h.finalize().into()) })
}

/// Whether a block holds only zeros; an OR over 16-byte words that the compiler vectorizes.
fn is_zero(block: &[u8]) -> bool {
    let mut words = block.chunks_exact(16);
    let acc = words.by_ref().fold(0u128, |acc, w| acc | u128::from_ne_bytes(w.try_into().unwrap_or([1; 16])));
    acc == 0 && words.remainder().iter().all(|&b| b == 0)
}

fn write_stage<D: BlockDevice>(
    device: &mut D,
    total: Option<u64>,
    rx: Receiver<WriteJob>,
    pool: SyncSender<AlignedBuffer>,
    progress: &mut dyn FnMut(Progress),
    errors: &FirstError,
) -> Option<u64> {
    let size = device.size();
    let mut written = 0u64;
    for WriteJob { chunk, spans } in rx {
        for (s, len) in spans {
            let offset = chunk.offset + s as u64;
            if offset + len as u64 > size {
                errors.set(ImagingError::DiskTooSmall {
                    device: device.path().to_owned(),
                    needed: offset + len as u64,
                    size,
                });
                return None;
            }
            if let Err(source) = device.write_all_at(&chunk.buf.as_slice()[s..s + len], offset) {
                errors.set(ImagingError::Device {
                    device: device.path().to_owned(),
                    op: "write",
                    offset,
                    len,
                    source,
                });
                return None;
            }
            written += len as u64;
        }
        progress(Progress {
            phase: Phase::Writing,
            done: chunk.offset + chunk.len as u64,
            total,
            bytes_written: written,
        });
        let _ = pool.send(chunk.buf);
    }
    Some(written)
}

/// Reads `ranges` back (a reader thread feeding this one, which hashes) and compares.
fn read_back<D: BlockDevice + Send>(
    device: &mut D,
    ranges: &[ByteRange],
    method: VerificationMethod,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64> {
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let size = device.size();
    let path = device.path().to_owned();
    let (pool_tx, pool_rx) = sync_channel::<AlignedBuffer>(POOL);
    let (tx, rx) = sync_channel::<(usize, u64, AlignedBuffer, usize)>(POOL);
    for _ in 0..POOL - 1 {
        let _ = pool_tx.send(AlignedBuffer::zeroed(CHUNK));
    }
    let reader_path = path.clone();
    let device_name = path.display().to_string();
    std::thread::scope(|s| {
        let path = reader_path;
        let reader = s.spawn(move || -> Result<()> {
            for (i, r) in ranges.iter().enumerate() {
                let mut pos = r.start;
                while pos < r.end {
                    let Ok(mut buf) = pool_rx.recv() else { return Ok(()) };
                    let len = (r.end - pos).min(CHUNK as u64) as usize;
                    // Read whole aligned blocks (O_DIRECT) when the disk has them, hash `len`.
                    let aligned = len.next_multiple_of(ALIGN);
                    let read_len = if pos + aligned as u64 <= size { aligned } else { len };
                    device.read_exact_at(&mut buf.as_mut_slice()[..read_len], pos).map_err(|source| {
                        ImagingError::Device {
                            device: path.clone(),
                            op: "read-back",
                            offset: pos,
                            len: read_len,
                            source,
                        }
                    })?;
                    if tx.send((i, pos, buf, len)).is_err() {
                        return Ok(());
                    }
                    pos += len as u64;
                }
            }
            Ok(())
        });
        let mut done = 0u64;
        let mut hasher = Sha256::new();
        for (i, pos, buf, len) in rx {
            hasher.update(&buf.as_slice()[..len]);
            done += len as u64;
            let _ = pool_tx.send(buf);
            let r = &ranges[i];
            if pos + len as u64 == r.end {
                let found: [u8; 32] = std::mem::take(&mut hasher).finalize().into();
                if found != r.sha256 {
                    return Err(match method {
                        VerificationMethod::BmapRanges => ImagingError::RangeChecksum {
                            stage: "read-back",
                            first: r.first,
                            last: r.last,
                            start: r.start,
                            end: r.end,
                            expected: hex::encode(r.sha256),
                            found: hex::encode(found),
                        },
                        _ => ImagingError::HashMismatch {
                            what: format!("the first {} bytes of {} as read back", r.end, device_name),
                            expected: hex::encode(r.sha256),
                            found: hex::encode(found),
                        },
                    });
                }
            }
            progress(Progress { phase: Phase::Verifying, done, total: Some(total), bytes_written: 0 });
        }
        reader.join().map_err(|_| ImagingError::Thread("read-back"))??;
        Ok(done)
    })
}

#[cfg(test)]
mod tests {
    use super::is_zero;

    #[test]
    fn zero_detection_sees_any_set_bit() {
        let mut b = vec![0u8; 4096 + 7];
        assert!(is_zero(&b));
        for i in [0, 15, 16, 4095, 4096, 4102] {
            b[i] = 0x80;
            assert!(!is_zero(&b), "byte {i}");
            b[i] = 0;
        }
    }
}
