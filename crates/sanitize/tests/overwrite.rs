//! Overwrite and verification on real files, and on a device that fails like a bad disk.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

mod common;

use certificate::{ByteRange, SanitizeResult, VerificationMode};
use common::MemDisk;
use proptest::prelude::*;
use sanitize::overwrite::CHUNK;
use sanitize::{sanitize, verify_device, DeviceFile, Method, WipeOptions};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sv-sanitize-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("mkdir");
        Scratch(dir)
    }
    /// A "donated disk": a file full of non-zero data.
    fn disk(&self, size: usize) -> PathBuf {
        let p = self.0.join("disk.img");
        let data = vec![0xa5u8; size];
        fs::write(&p, data).expect("write");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn never() -> AtomicBool {
    AtomicBool::new(false)
}

#[test]
fn wiping_a_64_mib_file_leaves_only_zeros() {
    let s = Scratch::new("64m");
    let path = s.disk(64 << 20);
    let mut dev = DeviceFile::open(&path).expect("open");
    let mut reports = 0;
    let record = sanitize(&mut dev, &WipeOptions::default(), &never(), |_| reports += 1);
    assert_eq!(record.result, SanitizeResult::Verified, "{record:?}");
    assert_eq!(record.passes.len(), 1);
    assert_eq!(record.passes[0].bytes_written, 64 << 20);
    assert_eq!(record.verification.bytes_verified, 64 << 20);
    assert!(reports >= 16, "progress reported per chunk, got {reports}");
    let content = fs::read(&path).expect("read");
    assert_eq!(content.len(), 64 << 20);
    assert!(content.iter().all(|&b| b == 0));
}

#[test]
fn unaligned_size_and_one_pattern() {
    let s = Scratch::new("odd");
    let path = s.disk(3 * CHUNK + 4096 * 3 + 7);
    let mut dev = DeviceFile::open(&path).expect("open");
    let opts =
        WipeOptions { method: Method::One, verification: VerificationMode::EveryPass, sample_percent: None };
    let record = sanitize(&mut dev, &opts, &never(), |_| {});
    assert_eq!(record.result, SanitizeResult::Verified, "{record:?}");
    assert!(fs::read(&path).expect("read").iter().all(|&b| b == 0xff));
}

#[test]
fn no_verification_is_not_verified() {
    let s = Scratch::new("nover");
    let path = s.disk(1 << 20);
    let mut dev = DeviceFile::open(&path).expect("open");
    let opts =
        WipeOptions { method: Method::Zero, verification: VerificationMode::None, sample_percent: None };
    let record = sanitize(&mut dev, &opts, &never(), |_| {});
    assert_eq!(record.result, SanitizeResult::NotVerified);
    assert!(!record.is_verified());
}

#[test]
fn verification_catches_one_byte_at_every_boundary() {
    let s = Scratch::new("boundaries");
    let size = 2 * CHUNK + 12_345;
    let path = s.disk(size);
    let mut dev = DeviceFile::open(&path).expect("open");
    assert!(sanitize(&mut dev, &WipeOptions::default(), &never(), |_| {}).is_verified());
    for pos in [0, 1, 4095, 4096, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, size - 1] {
        check_one_byte_caught(&path, pos as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn verification_catches_one_byte_anywhere(pos in 0u64..(CHUNK as u64 * 2 + 999), value in 1u8..=255) {
        let s = Scratch::new(&format!("prop-{pos}"));
        let path = s.disk(CHUNK * 2 + 999);
        let mut dev = DeviceFile::open(&path).expect("open");
        let record = sanitize(&mut dev, &WipeOptions::default(), &never(), |_| ());
        prop_assert!(record.is_verified());
        fs::File::options().write(true).open(&path).expect("open").write_all_at(&[value], pos).expect("write");
        let out = verify_device(&mut DeviceFile::open(&path).expect("open"), &[0], &never(), |_, _| {});
        prop_assert_eq!(out.mismatched_bytes, 1);
        let expected = vec![ByteRange { start: pos, end: pos + 1 }];
        prop_assert_eq!(out.mismatches, expected);
    }
}

fn check_one_byte_caught(path: &Path, pos: u64) {
    let f = fs::File::options().write(true).open(path).expect("open");
    f.write_all_at(&[0x5a], pos).expect("write");
    drop(f);
    let out = verify_device(&mut DeviceFile::open(path).expect("open"), &[0], &never(), |_, _| {});
    assert_eq!(out.mismatches, vec![ByteRange { start: pos, end: pos + 1 }], "at {pos}");
    assert_eq!(out.mismatched_bytes, 1);
    let f = fs::File::options().write(true).open(path).expect("open");
    f.write_all_at(&[0], pos).expect("write");
}

#[test]
fn a_bad_sector_is_recorded_and_the_wipe_goes_on() {
    let size = 3 * CHUNK;
    let bad = ByteRange { start: CHUNK as u64 + 8192, end: CHUNK as u64 + 8192 + 512 };
    let mut disk = MemDisk { bad: Some(bad), ..MemDisk::filled(size, 0xee) };
    let record = sanitize(&mut disk, &WipeOptions::default(), &never(), |_| {});
    assert_eq!(record.result, SanitizeResult::Failed);
    // The whole 4 KiB block around the bad sector is reported, nothing else.
    let err_ranges: Vec<_> = record.errors.iter().filter_map(|e| e.range).collect();
    assert!(
        err_ranges.contains(&ByteRange { start: CHUNK as u64 + 8192, end: CHUNK as u64 + 12288 }),
        "{err_ranges:?}"
    );
    assert!(record.errors[0].message.contains("write failed"), "{:?}", record.errors);
    // Everything but the bad block was written, including what follows it.
    assert!(disk.data[..CHUNK + 8192].iter().all(|&b| b == 0));
    assert!(disk.data[CHUNK + 12288..].iter().all(|&b| b == 0));
    // The read-back sees the unwritten block as a mismatch too.
    assert_eq!(record.verification.mismatched_bytes, 4096);
}

#[test]
fn a_disk_that_disappears_is_interrupted_not_certified() {
    let mut disk = MemDisk { vanish_at: Some(2 * CHUNK as u64 + 1), ..MemDisk::filled(4 * CHUNK, 1) };
    let record = sanitize(&mut disk, &WipeOptions::default(), &never(), |_| {});
    assert_eq!(record.result, SanitizeResult::Interrupted);
    assert_eq!(record.passes[0].bytes_written, 2 * CHUNK as u64);
    assert!(record.errors.last().expect("error").message.contains("unplugged"));
    assert!(!record.is_verified());
}

/// A USB disk pulled out mid-wipe answers EIO, not ENODEV: it is recorded as gone (one
/// interruption), not as a disk of bad sectors retried block by block to its end.
#[test]
fn a_usb_disk_pulled_out_answers_eio_and_is_interrupted_not_failed() {
    let mut disk = MemDisk { unplugged_at: Some(2 * CHUNK as u64 + 1), ..MemDisk::filled(4 * CHUNK, 1) };
    let record = sanitize(&mut disk, &WipeOptions::default(), &never(), |_| {});
    assert_eq!(record.result, SanitizeResult::Interrupted, "{:?}", record.errors);
    assert_eq!(record.errors.len(), 1, "one line, not one per block: {:?}", record.errors.len());
    assert!(record.errors[0].message.contains("unplugged"), "{:?}", record.errors);
    assert_eq!(record.passes[0].bytes_written, 2 * CHUNK as u64);
}

#[test]
fn the_operator_can_stop_a_wipe() {
    let mut disk = MemDisk::filled(4 * CHUNK, 1);
    let stop = AtomicBool::new(false);
    let record = sanitize(&mut disk, &WipeOptions::default(), &stop, |p| {
        if p.done >= CHUNK as u64 {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert_eq!(record.result, SanitizeResult::Interrupted);
    assert_eq!(record.passes[0].bytes_written, CHUNK as u64);
}

#[test]
fn every_method_writes_exactly_its_passes() {
    // Not a multiple of the chunk, nor of 3, nor of 4096: every edge case of pattern phase.
    let size = CHUNK + 3 * 4096 + 5;
    for name in ["zero", "one", "random", "dod-3", "hmg-is5-enhanced", "gutmann", "custom:924924,random,00"] {
        let method: Method = name.parse().expect("method");
        let passes = method.passes();
        let mut disk = MemDisk { record: true, ..MemDisk::filled(size, 0x3c) };
        let opts = WipeOptions {
            method: method.clone(),
            verification: VerificationMode::EveryPass,
            sample_percent: None,
        };
        let record = sanitize::sanitize_passes(&mut disk, &method.name(), &passes, &opts, &never(), |_| {});
        assert_eq!(record.result, SanitizeResult::Verified, "{name}: {record:?}");
        assert_eq!(record.method, name);
        assert_eq!(disk.snapshots.len(), passes.len(), "{name}: one flush per pass");
        let mut expected = vec![0u8; size];
        for (i, (pass, snapshot)) in passes.iter().zip(&disk.snapshots).enumerate() {
            pass.fill(0, &mut expected);
            assert!(snapshot == &expected, "{name}: pass {} wrote something else", i + 1);
            assert_eq!(record.passes[i].pattern, pass.to_record());
        }
        assert_eq!(record.verification.bytes_verified, size as u64 * passes.len() as u64);
    }
}

#[test]
fn random_passes_record_a_seed_that_regenerates_them() {
    let method = Method::Random;
    let mut disk = MemDisk::filled(2 << 20, 0);
    let record = sanitize(&mut disk, &WipeOptions { method, ..WipeOptions::default() }, &never(), |_| {});
    let certificate::Pattern::Random { seed, algorithm } = &record.passes[0].pattern else {
        panic!("random pass recorded as {:?}", record.passes[0].pattern)
    };
    assert_eq!(algorithm, sanitize::pattern::RANDOM_ALGORITHM);
    let seed: [u8; 32] = (0..32)
        .map(|i| u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).expect("hex"))
        .collect::<Vec<_>>()
        .try_into()
        .expect("32 bytes");
    let mut regenerated = vec![0u8; 2 << 20];
    sanitize::PassPattern::Random { seed }.fill(0, &mut regenerated);
    assert!(disk.data == regenerated);
    let zeros = disk.data.iter().filter(|&&b| b == 0).count();
    assert!(zeros < 2 * (2 << 20) / 256, "looks random: {zeros} zero bytes");
}

#[test]
fn sampled_verification_reads_the_stated_share_and_catches_the_edges() {
    let s = Scratch::new("sampled");
    let size = 200 << 20;
    let path = s.disk(size);
    let opts = WipeOptions { sample_percent: Some(5.0), ..WipeOptions::default() };
    let record = sanitize(&mut DeviceFile::open(&path).expect("open"), &opts, &never(), |_| {});
    assert_eq!(record.result, SanitizeResult::Verified);
    assert_eq!(record.verification.coverage, certificate::Coverage::Sampled { percent: 5.0 });
    let share = record.verification.bytes_verified as f64 / size as f64;
    assert!((0.04..=0.07).contains(&share), "read {share}");
    // A residue in the first or the last MiB is always caught.
    for pos in [10u64, size as u64 - 10] {
        fs::File::options().write(true).open(&path).expect("open").write_all_at(&[1], pos).expect("write");
        let plan = sanitize::sampling::plan(size as u64, 5.0, pos);
        let out = sanitize::overwrite::verify_pass(
            &mut DeviceFile::open(&path).expect("open"),
            &sanitize::PassPattern::byte(0),
            Some(&plan.ranges),
            &never(),
            |_, _| {},
        );
        assert_eq!(out.mismatches, vec![ByteRange { start: pos, end: pos + 1 }]);
        fs::File::options().write(true).open(&path).expect("open").write_all_at(&[0], pos).expect("write");
    }
}
