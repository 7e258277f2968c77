//! The one error type of the crate. Every variant says what failed and where: a file, a URL, a
//! byte offset in the image or on the disk, a bmap range.

use std::io;
use std::path::PathBuf;

/// Why imaging stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImagingError {
    /// A local file (image, bmap, manifest, key) could not be read.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The HTTP server could not be reached or answered an error status.
    #[error("{url}: {message}")]
    Http {
        /// The image's URL.
        url: String,
        /// What went wrong, in plain words.
        message: String,
    },
    /// The download broke and could not be resumed.
    #[error("{url}: the download broke at byte {offset} and could not be resumed: {message}")]
    ResumeFailed {
        /// The image's URL.
        url: String,
        /// How many bytes of the file had arrived.
        offset: u64,
        /// Why the resumption failed (e.g. the server ignores Range requests).
        message: String,
    },
    /// The image stream ended before its announced size: a truncated download or file.
    #[error("{what} ended after {got} bytes, {expected} were expected: the file is truncated")]
    Truncated {
        /// Which stream (the image file, the decompressed image).
        what: String,
        /// Bytes received.
        got: u64,
        /// Bytes announced (Content-Length, bmap ImageSize, manifest size).
        expected: u64,
    },
    /// The image stream is longer than announced.
    #[error("{what} goes on past its announced size of {expected} bytes")]
    TooLong {
        /// Which stream.
        what: String,
        /// Bytes announced.
        expected: u64,
    },
    /// The compressed stream is corrupt or truncated (the decompressor's verdict).
    #[error("{format} stream is corrupt or truncated at decompressed offset {offset}: {source}")]
    Decompress {
        /// zstd, xz or gzip.
        format: &'static str,
        /// Bytes of image produced before the failure.
        offset: u64,
        /// The decompressor's reason.
        source: io::Error,
    },
    /// Reading the image source failed.
    #[error("reading the image at file offset {offset}: {source}")]
    Source {
        /// Bytes of the source read before the failure.
        offset: u64,
        /// The reason.
        source: io::Error,
    },
    /// The bmap file is not a valid bmap 2.x document.
    #[error("bmap: {0}")]
    Bmap(String),
    /// The bmap file's own checksum (BmapFileChecksum) does not match its content.
    #[error("bmap: the file's checksum is {found} but BmapFileChecksum says {expected}: the bmap was altered or damaged")]
    BmapFileChecksum {
        /// The recorded checksum.
        expected: String,
        /// The checksum of the file as read.
        found: String,
    },
    /// A mapped range's data does not have the SHA-256 the bmap gives.
    #[error("{stage}: blocks {first}-{last} (bytes {start}..{end}) have SHA-256 {found}, the bmap says {expected}")]
    RangeChecksum {
        /// "image data" (as written) or "read-back" (on the disk).
        stage: &'static str,
        /// First block of the range.
        first: u64,
        /// Last block of the range (inclusive).
        last: u64,
        /// First byte.
        start: u64,
        /// End byte (exclusive).
        end: u64,
        /// The bmap's checksum.
        expected: String,
        /// The checksum computed.
        found: String,
    },
    /// A whole-file SHA-256 does not match the manifest or the written stream.
    #[error("{what} has SHA-256 {found}, expected {expected}")]
    HashMismatch {
        /// What was hashed (the image file, the bmap file, the disk's first N bytes).
        what: String,
        /// The expected hash.
        expected: String,
        /// The hash computed.
        found: String,
    },
    /// The image catalogue is malformed or its signature does not verify.
    #[error("image catalogue: {0}")]
    Manifest(String),
    /// The image does not fit the disk.
    #[error("{device}: the image needs {needed} bytes but the disk holds {size}")]
    DiskTooSmall {
        /// The target.
        device: PathBuf,
        /// Bytes needed.
        needed: u64,
        /// Bytes available.
        size: u64,
    },
    /// Writing to or reading from the disk failed.
    #[error("{device}: {op} of {len} bytes at offset {offset}: {source}")]
    Device {
        /// The target.
        device: PathBuf,
        /// "write", "read-back", "flush".
        op: &'static str,
        /// Byte offset on the disk.
        offset: u64,
        /// Length of the I/O.
        len: usize,
        /// The reason.
        source: io::Error,
    },
    /// A post-step (GPT repair, partition growth, machine-id...) failed.
    #[error("post-step {step}: {message}")]
    PostStep {
        /// The step's name, as recorded.
        step: String,
        /// What went wrong.
        message: String,
    },
    /// A pipeline thread died (a bug, not a disk or network problem).
    #[error("internal: the {0} thread stopped unexpectedly")]
    Thread(&'static str),
}

/// Result alias for this crate.
pub type Result<T, E = ImagingError> = std::result::Result<T, E>;
