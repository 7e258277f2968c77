//! The writer pipeline end to end on real files: raw and compressed images (made with the system's
//! zstd, xz and gzip), with and without a bmap, from a file or a local HTTP server that cuts the
//! connection; and each kind of damage caught with a clear error.

mod common;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use certificate::SigningIdentity;
use common::*;
use imaging::manifest::CATALOGUE_SCHEMA;
use imaging::{
    write_image, BootMode, Catalogue, Compression, HttpOptions, ImageJob, ImageManifest, ImageSource,
    ImagingError, ImagingRecord, LoadedBmap, Phase, Skipping, VerificationMethod, VerificationResult,
};
use sanitize::{BlockDevice, DeviceFile};
use sha2::{Digest as _, Sha256};

const DISK: usize = 12 << 20;

fn bmap() -> LoadedBmap {
    LoadedBmap::from_bytes(pattern_bmap(), None).expect("fixture bmap")
}

fn run(job: &ImageJob, disk: &Path) -> Result<ImagingRecord, ImagingError> {
    let mut dev = DeviceFile::open(disk).expect("open disk file");
    let mut phases = Vec::new();
    let result = write_image(job, &mut dev, &mut |p| {
        if phases.last() != Some(&p.phase) {
            phases.push(p.phase);
        }
    });
    if let Ok(r) = &result {
        let want = if r.verification.result == VerificationResult::Verified {
            vec![Phase::Writing, Phase::Verifying]
        } else {
            vec![Phase::Writing]
        };
        assert_eq!(phases, want, "progress events, in order");
    }
    result
}

/// The disk holds the image in every mapped range and `fill` elsewhere.
fn assert_holes_untouched(disk: &Path, image: &[u8], fill: u8) {
    let on_disk = std::fs::read(disk).expect("disk");
    let b = bmap().bmap;
    let mut mapped = vec![false; image.len()];
    for r in b.byte_ranges() {
        mapped[r.start as usize..r.end as usize].fill(true);
    }
    for (i, (&d, &m)) in on_disk.iter().zip(&mapped).enumerate() {
        let want = if m { image[i] } else { fill };
        assert_eq!(d, want, "disk byte {i} (mapped: {m})");
    }
    assert!(on_disk[image.len()..].iter().all(|&x| x == fill), "past the image, the disk is untouched");
}

fn with_bmap(source: ImageSource) -> ImageJob {
    ImageJob { bmap: Some(bmap()), ..ImageJob::new(source) }
}

#[test]
fn a_raw_image_with_its_bmap_is_written_sparsely_and_verified() {
    let s = Scratch::new("raw-bmap");
    let image = pattern_image();
    let src = s.file("pattern.img", &image);
    let disk = disk(&s, DISK, 0xAA);
    let record = run(&with_bmap(ImageSource::File(src)), &disk).expect("written");
    let mapped = bmap().bmap.mapped_bytes();
    assert_eq!(record.bytes_written, mapped);
    assert_eq!(record.bytes_skipped, image.len() as u64 - mapped);
    assert_eq!(record.skipping, Skipping::Bmap);
    assert_eq!(record.image.compression, Compression::Raw);
    assert_eq!(record.image.sha256, "c9e6c42ffa0776d8392775d2ca3b7aeabf398e97054f34269a25fc06ef2c03d8");
    assert_eq!(record.verification.method, VerificationMethod::BmapRanges);
    assert_eq!(record.verification.ranges_checked, bmap().bmap.ranges.len() as u64);
    assert_eq!(record.verification.bytes_read_back, mapped);
    assert_eq!(record.verification.result, VerificationResult::Verified);
    assert_holes_untouched(&disk, &image, 0xAA);
}

#[test]
fn zstd_xz_and_gzip_images_give_the_same_disk() {
    let image = pattern_image();
    for (tool, kind) in [("zstd", Compression::Zstd), ("xz", Compression::Xz), ("gzip", Compression::Gzip)] {
        let s = Scratch::new(tool);
        let src = s.file(&format!("pattern.img.{tool}"), &compress(tool, &image));
        let disk = disk(&s, DISK, 0x55);
        let record = run(&with_bmap(ImageSource::File(src)), &disk).expect(tool);
        assert_eq!(record.image.compression, kind);
        assert_eq!(record.verification.result, VerificationResult::Verified);
        assert_holes_untouched(&disk, &image, 0x55);
    }
}

#[test]
fn a_flipped_byte_in_the_image_is_caught_by_the_bmap_range_checksum() {
    let s = Scratch::new("flip");
    let mut image = pattern_image();
    image[1010 * 4096 + 77] ^= 0x01; // inside the mapped range 1000-1039
    for (name, bytes) in [("raw.img", image.clone()), ("flip.img.zst", compress("zstd", &image))] {
        let src = s.file(name, &bytes);
        let disk = disk(&s, DISK, 0);
        let err = run(&with_bmap(ImageSource::File(src)), &disk).expect_err("a flipped byte");
        assert!(
            matches!(err, ImagingError::RangeChecksum { stage: "image data", first: 1000, last: 1039, .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains("blocks 1000-1039"), "{err}");
    }
}

#[test]
fn a_truncated_compressed_stream_is_caught() {
    let s = Scratch::new("truncated");
    let image = pattern_image();
    for tool in ["zstd", "xz", "gzip"] {
        let full = compress(tool, &image);
        let src = s.file(&format!("cut.img.{tool}"), &full[..full.len() * 2 / 3]);
        for job in [ImageJob::new(ImageSource::File(src.clone())), with_bmap(ImageSource::File(src))] {
            let err = run(&job, &disk(&s, DISK, 0)).expect_err("truncated");
            let text = err.to_string();
            assert!(
                matches!(err, ImagingError::Decompress { .. } | ImagingError::Truncated { .. }),
                "{tool}: {text}"
            );
            assert!(text.contains("truncated"), "{tool}: the message says so: {text}");
        }
    }
    // A raw image cut short is caught by the bmap's ImageSize.
    let src = s.file("cut.img", &image[..image.len() - 5000]);
    let err = run(&with_bmap(ImageSource::File(src)), &disk(&s, DISK, 0)).expect_err("short raw");
    assert!(
        matches!(err, ImagingError::Truncated { expected, .. } if expected == image.len() as u64),
        "{err}"
    );
}

/// A disk that returns one flipped bit on reads covering `at`: what a failing drive does.
struct LyingDisk {
    inner: DeviceFile,
    at: u64,
}

impl BlockDevice for LyingDisk {
    fn path(&self) -> &Path {
        self.inner.path()
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_all_at(buf, offset)
    }
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.inner.read_exact_at(buf, offset)?;
        if (offset..offset + buf.len() as u64).contains(&self.at) {
            buf[(self.at - offset) as usize] ^= 0x10;
        }
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[test]
fn the_read_back_catches_a_disk_that_does_not_return_what_was_written() {
    let s = Scratch::new("lying");
    let src = s.file("pattern.img", &pattern_image());
    for (job, at) in [
        (with_bmap(ImageSource::File(src.clone())), 3 * 4096 + 1),
        (ImageJob::new(ImageSource::File(src)), 12345),
    ] {
        let disk = disk(&s, DISK, 0);
        let mut dev = LyingDisk { inner: DeviceFile::open(&disk).expect("open"), at };
        let err = write_image(&job, &mut dev, &mut |_| {}).expect_err("lying disk");
        match err {
            ImagingError::RangeChecksum { stage: "read-back", first: 0, last: 4, .. } => {}
            ImagingError::HashMismatch { ref what, .. } if what.contains("as read back") => {}
            other => panic!("expected a read-back mismatch, got {other}"),
        }
    }
}

#[test]
fn without_bmap_zero_blocks_are_skipped_only_on_a_disk_known_zeroed() {
    let s = Scratch::new("zeros");
    let image = pattern_image();
    let src = s.file("pattern.img", &image);
    let nonzero_bytes: u64 =
        image.chunks(4096).filter(|b| b.iter().any(|&x| x != 0)).map(|b| b.len() as u64).sum();

    // Not known zeroed: every byte is written, zeros included.
    let d = disk(&s, DISK, 0xAA);
    let record = run(&ImageJob::new(ImageSource::File(src.clone())), &d).expect("written");
    assert_eq!((record.bytes_written, record.skipping), (image.len() as u64, Skipping::None));
    assert_eq!(record.verification.method, VerificationMethod::WholeImage);
    assert_eq!(&std::fs::read(&d).expect("disk")[..image.len()], &image[..]);

    // Known zeroed (and really zero): only the data blocks are written.
    let d = disk(&s, DISK, 0);
    let job = ImageJob { disk_zeroed: true, ..ImageJob::new(ImageSource::File(src.clone())) };
    let record = run(&job, &d).expect("written");
    assert_eq!((record.bytes_written, record.skipping), (nonzero_bytes, Skipping::ZeroBlocksOnZeroedDisk));
    assert_eq!(record.verification.result, VerificationResult::Verified);
    assert_eq!(&std::fs::read(&d).expect("disk")[..image.len()], &image[..]);

    // Said to be zeroed but it is not: the read-back notices.
    let err = run(&job, &disk(&s, DISK, 0xAA)).expect_err("not really zeroed");
    assert!(matches!(err, ImagingError::HashMismatch { .. }), "{err}");
}

fn signed_entry(s: &Scratch, file: &Path, image: &[u8]) -> (ImageManifest, PathBuf) {
    let bytes = std::fs::read(file).expect("image file");
    let manifest = ImageManifest {
        name: "pattern".into(),
        version: "2026.11.1".into(),
        architecture: "amd64".into(),
        min_ram_bytes: 1 << 30,
        min_disk_bytes: DISK as u64,
        file: file.file_name().expect("name").to_string_lossy().into_owned(),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        image_size: image.len() as u64,
        bmap: Some("pattern.bmap".into()),
        bmap_sha256: Some(hex::encode(Sha256::digest(pattern_bmap()))),
        boot_modes: vec![BootMode::Bios, BootMode::Uefi],
    };
    let key = SigningIdentity::from_seed(&[7; 32]);
    let catalogue = Catalogue { schema: CATALOGUE_SCHEMA.into(), images: vec![manifest] };
    let path = s.file("catalogue.json", &catalogue.sign(&key).expect("signs").to_json_pretty());
    (catalogue.images[0].clone(), path)
}

#[test]
fn a_signed_catalogue_vouches_for_the_image_and_its_bmap() {
    let s = Scratch::new("catalogue");
    let image = pattern_image();
    let src = s.file("pattern.img.zst", &compress("zstd", &image));
    let (_, catalogue_path) = signed_entry(&s, &src, &image);
    let key = SigningIdentity::from_seed(&[7; 32]).public_key();

    let signed =
        imaging::SignedCatalogue::from_json(&std::fs::read(&catalogue_path).expect("read")).expect("parse");
    let catalogue = signed.verify(&key).expect("our key signed it");
    let source = ImageSource::File(src.clone());
    let entry = catalogue.find(source.file_name().as_deref()).expect("listed").clone();
    let loaded = LoadedBmap::from_bytes(pattern_bmap(), entry.bmap_sha256.as_deref()).expect("bmap matches");
    let job = ImageJob { bmap: Some(loaded), manifest: Some(entry.clone()), ..ImageJob::new(source) };
    let record = run(&job, &disk(&s, DISK, 0)).expect("written");
    assert_eq!(record.image.name.as_deref(), Some("pattern"));
    assert_eq!(record.image.version.as_deref(), Some("2026.11.1"));
    assert!(record.image.catalogue_verified);
    assert_eq!(record.image.sha256, entry.sha256);

    // Another key: refused.
    let err = signed.verify(&SigningIdentity::from_seed(&[8; 32]).public_key()).expect_err("other key");
    assert!(err.to_string().contains("not signed by the image key"), "{err}");

    // A bmap that is not the one signed: refused before anything is written.
    let mut other_bmap = pattern_bmap().to_vec();
    other_bmap.extend_from_slice(b"\n");
    let err = LoadedBmap::from_bytes(&other_bmap, entry.bmap_sha256.as_deref()).expect_err("other bmap");
    assert!(matches!(err, ImagingError::HashMismatch { .. }), "{err}");

    // An image file that is not the one signed (same size, one byte changed): refused.
    let mut bytes = std::fs::read(&src).expect("read");
    let n = bytes.len();
    bytes[n - 3] ^= 0xFF;
    let tampered = s.file("pattern.img.zst", &bytes);
    let job = ImageJob { manifest: Some(entry), ..ImageJob::new(ImageSource::File(tampered)) };
    let err = run(&job, &disk(&s, DISK, 0)).expect_err("tampered");
    assert!(
        matches!(err, ImagingError::HashMismatch { .. } | ImagingError::Decompress { .. }),
        "a tampered file is refused: {err}"
    );
}

fn quick_http() -> HttpOptions {
    HttpOptions {
        max_resumes: 3,
        resume_delay: Duration::from_millis(10),
        connect_timeout: Duration::from_secs(5),
    }
}

#[test]
fn a_download_cut_in_the_middle_resumes_with_a_range_request() {
    let s = Scratch::new("http-resume");
    let image = pattern_image();
    let zst = compress("zstd", &image);
    let cut = zst.len() / 2;
    let server = TestServer::start(
        zst.clone(),
        "pattern.img.zst",
        ServerBehaviour { cut_first_at: Some(cut), ranges: true },
        4,
    );
    let job = ImageJob { http: quick_http(), ..with_bmap(ImageSource::Url(server.url.clone())) };
    let record = run(&job, &disk(&s, DISK, 0)).expect("resumed");
    assert_eq!(record.image.sha256, hex::encode(Sha256::digest(&zst)));
    assert_eq!(record.image.file_size, zst.len() as u64);
    assert_eq!(record.verification.result, VerificationResult::Verified);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        requests[1].contains(&format!("bytes={cut}-")),
        "the second request resumes at {cut}: {requests:?}"
    );
}

#[test]
fn a_server_without_range_support_is_a_clear_error() {
    let s = Scratch::new("http-norange");
    let zst = compress("zstd", &pattern_image());
    let cut = zst.len() / 2;
    let server =
        TestServer::start(zst, "p.img.zst", ServerBehaviour { cut_first_at: Some(cut), ranges: false }, 4);
    let job = ImageJob { http: quick_http(), ..ImageJob::new(ImageSource::Url(server.url.clone())) };
    let err = run(&job, &disk(&s, DISK, 0)).expect_err("no Range support");
    let text = err.to_string();
    assert!(matches!(err, ImagingError::ResumeFailed { offset, .. } if offset == cut as u64), "{text}");
    assert!(text.contains(&server.url) && text.contains("Range"), "{text}");
}

#[test]
fn a_download_that_cannot_be_resumed_is_an_error() {
    let s = Scratch::new("http-gone");
    let zst = compress("zstd", &pattern_image());
    let cut = zst.len() / 3;
    // One request only: after the cut the server is gone.
    let server =
        TestServer::start(zst, "p.img.zst", ServerBehaviour { cut_first_at: Some(cut), ranges: true }, 1);
    let job = ImageJob { http: quick_http(), ..ImageJob::new(ImageSource::Url(server.url.clone())) };
    let err = run(&job, &disk(&s, DISK, 0)).expect_err("server gone");
    assert!(matches!(err, ImagingError::ResumeFailed { offset, .. } if offset == cut as u64), "{err}");
}

#[test]
fn an_image_larger_than_the_disk_is_refused_before_writing() {
    let s = Scratch::new("small");
    let src = s.file("pattern.img", &pattern_image());
    let d = disk(&s, 4 << 20, 0x11);
    let err = run(&with_bmap(ImageSource::File(src.clone())), &d).expect_err("too small");
    assert!(matches!(err, ImagingError::DiskTooSmall { .. }), "{err}");
    assert!(std::fs::read(&d).expect("disk").iter().all(|&b| b == 0x11), "nothing was written");
    // Without a bmap the size is learnt on the way: still a clear error.
    let err = run(&ImageJob::new(ImageSource::File(src)), &d).expect_err("too small");
    assert!(matches!(err, ImagingError::DiskTooSmall { .. }), "{err}");
}
