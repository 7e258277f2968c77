//! OS imaging for Seconde Vie: after the wipe, write a free-software system onto the disk, fast
//! and verified, and make it boot on the BIOS and UEFI PCs a workshop receives.
//!
//! - [`source`]: a local file or an HTTP(S) URL (resumed with Range requests).
//! - [`decompress`]: zstd, xz, gzip or raw, recognized by magic number.
//! - [`bmap`]: bmaptool's block map (format 2.x): which blocks to write and their SHA-256.
//! - [`write`]: the pipeline read → decompress → map → write (O_DIRECT), then the read-back.
//! - [`manifest`]: the image catalogue signed with the workshop's image key, and the choice of
//!   images that fit a unit.
//! - [`gpt`] and [`post`]: the post-steps on GPT images (backup header to the end, grow the root
//!   partition, machine-id, hostname, UEFI fallback loader and BIOS boot code checks).
//! - [`record`]: the [`ImagingRecord`] a certificate embeds.
//!
//! ```no_run
//! use imaging::{write_image, ImageJob, ImageSource};
//! let mut disk = sanitize::DeviceFile::open("/dev/sdb".as_ref())?;
//! let job = ImageJob::new(ImageSource::parse("http://atelier.lan/debian-12.img.zst"));
//! let record = write_image(&job, &mut disk, &mut |p| eprintln!("{p:?}"))?;
//! assert_eq!(record.verification.result, imaging::VerificationResult::Verified);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod bmap;
pub mod decompress;
pub mod error;
pub mod gpt;
pub mod manifest;
pub mod post;
pub mod record;
pub mod source;
pub mod write;

pub use bmap::Bmap;
pub use decompress::Compression;
pub use error::{ImagingError, Result};
pub use manifest::{images_that_fit, BootMode, Catalogue, ImageManifest, SignedCatalogue, UnitCapacity};
pub use record::*;
pub use source::{HttpOptions, ImageSource};
pub use write::{write_image, ImageJob, LoadedBmap, Phase, Progress};
