//! What a certificate records of the imaging: which image, how much was written, how it was
//! verified, and each post-step.
//!
//! The type lives here until the certificate schema embeds it; then it moves down into the
//! `certificate` crate, as every type two crates share does.

use serde::{Deserialize, Serialize};

use crate::decompress::Compression;

/// The record of one image written to one disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagingRecord {
    /// The image.
    pub image: ImageIdentity,
    /// The disk written (e.g. `/dev/sda`).
    pub device: String,
    /// Size of the raw image in bytes.
    pub image_size: u64,
    /// Bytes actually written to the disk.
    pub bytes_written: u64,
    /// Bytes of the image not written: holes the bmap leaves out, or zero blocks on a disk the
    /// wipe left zeroed.
    pub bytes_skipped: u64,
    /// Why bytes were skipped: `bmap`, `zero-blocks-on-zeroed-disk`, or `none`.
    pub skipping: Skipping,
    /// The read-back.
    pub verification: ImageVerification,
    /// The post-steps, in the order run.
    #[serde(default)]
    pub post_steps: Vec<PostStepRecord>,
}

/// Which image was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageIdentity {
    /// Name from the signed catalogue, when one was given.
    pub name: Option<String>,
    /// Version from the signed catalogue.
    pub version: Option<String>,
    /// Where it was read from (path or URL).
    pub source: String,
    /// Hex SHA-256 of the image file as read (compressed bytes if compressed).
    pub sha256: String,
    /// Size of the image file as read.
    pub file_size: u64,
    /// Its compression, recognized by magic number.
    pub compression: Compression,
    /// Hex SHA-256 of the bmap file used, if any.
    pub bmap_sha256: Option<String>,
    /// Whether a catalogue signed by the trusted image key vouched for the file's SHA-256.
    pub catalogue_verified: bool,
}

/// Why parts of the image were not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skipping {
    /// Everything was written.
    None,
    /// Only the ranges the bmap maps were written.
    Bmap,
    /// All-zero 4 KiB blocks were not written to a disk known to hold zeros.
    ZeroBlocksOnZeroedDisk,
}

/// How the written image was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageVerification {
    /// What was compared.
    pub method: VerificationMethod,
    /// Ranges read back and compared.
    pub ranges_checked: u64,
    /// Bytes read back from the disk.
    pub bytes_read_back: u64,
    /// The outcome.
    pub result: VerificationResult,
}

/// What the read-back compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationMethod {
    /// Each mapped range's SHA-256 against the bmap.
    BmapRanges,
    /// The SHA-256 of the image's extent on the disk against that of the stream written.
    WholeImage,
    /// No read-back was asked for.
    None,
}

/// The read-back's verdict. A mismatch is an error, so a record only says whether it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationResult {
    /// Everything read back matched.
    Verified,
    /// No read-back was done.
    NotVerified,
}

/// One post-step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostStepRecord {
    /// Its name, e.g. `gpt-backup-to-end`, `grow-root`, `machine-id`, `hostname`, `efi-fallback`,
    /// `bios-boot-code`.
    pub step: String,
    /// Done, or skipped (with the reason in `detail`).
    pub outcome: StepOutcome,
    /// What was done or found, e.g. "partition 3 grown from 2.0 GiB to 60.0 GiB".
    pub detail: String,
}

/// Whether a post-step ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOutcome {
    /// It ran and succeeded.
    Done,
    /// It did not apply (e.g. the image does not support BIOS boot).
    Skipped,
}
