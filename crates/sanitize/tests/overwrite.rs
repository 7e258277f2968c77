//! Overwrite and verification on real files, and on a device that fails like a bad disk.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

mod common;

use certificate::{ByteRange, SanitizeResult, VerificationMode};
use common::MemDisk;
use proptest::prelude::*;
use sanitize::overwrite::{Tuning, CHUNK};
use sanitize::{
    sanitize, verify_device, DeviceFile, EntropyError, EntropySource, Method, OsEntropy, PassPattern,
    RandomAlgorithm, RandomStream, WipeOptions,
};

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
    let opts = WipeOptions {
        method: Method::One,
        verification: VerificationMode::EveryPass,
        sample_percent: None,
        random_algorithm: None,
    };
    let record = sanitize(&mut dev, &opts, &never(), |_| {});
    assert_eq!(record.result, SanitizeResult::Verified, "{record:?}");
    assert!(fs::read(&path).expect("read").iter().all(|&b| b == 0xff));
}

#[test]
fn no_verification_is_not_verified() {
    let s = Scratch::new("nover");
    let path = s.disk(1 << 20);
    let mut dev = DeviceFile::open(&path).expect("open");
    let opts = WipeOptions {
        method: Method::Zero,
        verification: VerificationMode::None,
        sample_percent: None,
        random_algorithm: None,
    };
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
        let out = verify_device(&mut DeviceFile::open(&path).expect("open"), &PassPattern::byte(0), &never(), |_, _| {});
        prop_assert_eq!(out.mismatched_bytes, 1);
        let expected = vec![ByteRange { start: pos, end: pos + 1 }];
        prop_assert_eq!(out.mismatches, expected);
    }
}

fn check_one_byte_caught(path: &Path, pos: u64) {
    let f = fs::File::options().write(true).open(path).expect("open");
    f.write_all_at(&[0x5a], pos).expect("write");
    drop(f);
    let out =
        verify_device(&mut DeviceFile::open(path).expect("open"), &PassPattern::byte(0), &never(), |_, _| {});
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
    for algorithm in RandomAlgorithm::ALL {
        for name in
            ["zero", "one", "random", "dod-3", "hmg-is5-enhanced", "gutmann", "custom:924924,random,00"]
        {
            let method: Method = name.parse().expect("method");
            let passes = method.passes(algorithm, &mut OsEntropy).expect("seeds");
            let mut disk = MemDisk { record: true, ..MemDisk::filled(size, 0x3c) };
            let opts = WipeOptions {
                method: method.clone(),
                verification: VerificationMode::EveryPass,
                sample_percent: None,
                random_algorithm: Some(algorithm),
            };
            let record =
                sanitize::sanitize_passes(&mut disk, &method.name(), &passes, &opts, &never(), |_| {});
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
}

#[test]
fn random_passes_record_a_seed_that_regenerates_them() {
    for algorithm in RandomAlgorithm::ALL {
        let mut disk = MemDisk::filled(2 << 20, 0);
        let opts = WipeOptions {
            method: Method::Random,
            random_algorithm: Some(algorithm),
            ..WipeOptions::default()
        };
        let record = sanitize(&mut disk, &opts, &never(), |_| {});
        assert_eq!(record.result, SanitizeResult::Verified, "{record:?}");
        let certificate::Pattern::Random { seed, algorithm: name } = &record.passes[0].pattern else {
            panic!("random pass recorded as {:?}", record.passes[0].pattern)
        };
        assert_eq!(name, algorithm.name());
        assert_eq!(seed.len(), 2 * algorithm.seed_len());
        let regenerated = PassPattern::from_record(&record.passes[0].pattern).expect("known algorithm");
        let mut expected = vec![0u8; 2 << 20];
        regenerated.fill(0, &mut expected);
        assert!(disk.data == expected, "{algorithm}");
        let zeros = disk.data.iter().filter(|&&b| b == 0).count();
        assert!(zeros < 2 * (2 << 20) / 256, "{algorithm} looks random: {zeros} zero bytes");
    }
}

#[test]
fn the_default_random_algorithm_is_the_fastest_here() {
    let mut disk = MemDisk::filled(1 << 20, 0);
    let opts = WipeOptions { method: Method::Random, ..WipeOptions::default() };
    let record = sanitize(&mut disk, &opts, &never(), |_| {});
    let certificate::Pattern::Random { algorithm, .. } = &record.passes[0].pattern else {
        panic!("not random")
    };
    let has_aes = cfg!(any(target_arch = "x86", target_arch = "x86_64")) && aes_in_cpuinfo();
    let expected = if has_aes { RandomAlgorithm::Aes128Ctr } else { RandomAlgorithm::ChaCha20 };
    assert_eq!(algorithm, expected.name());
}

/// Whether the kernel lists the `aes` flag for this processor: an independent look at what
/// `RandomAlgorithm::for_this_machine` asks the CPUID instruction.
fn aes_in_cpuinfo() -> bool {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").expect("/proc/cpuinfo");
    cpuinfo.lines().filter(|l| l.starts_with("flags")).all(|l| l.split_whitespace().any(|f| f == "aes"))
}

/// Generating with many threads writes, byte for byte, the stream one thread writes, and the
/// stream `fill` gives for the whole disk at once: chunks are claimed by whichever generator is
/// free and reordered, never shuffled.
#[test]
fn a_random_pass_generated_in_parallel_equals_the_serial_stream() {
    // Enough chunks for every thread to take several, and a ragged tail.
    let size = 11 * CHUNK + 4096 * 7 + 3;
    for stream in [RandomStream::Aes128Ctr { key: [0x11; 16] }, RandomStream::ChaCha20 { key: [0x22; 32] }] {
        let pattern = PassPattern::Random(stream);
        let mut whole = vec![0u8; size];
        pattern.fill(0, &mut whole);
        for threads in [1, 2, 3, 8] {
            let mut disk = MemDisk::filled(size, 0x3c);
            let tuning = Tuning::with_threads(threads);
            let out =
                sanitize::overwrite::write_pass_tuned(&mut disk, &pattern, &tuning, &never(), |_, _| {});
            assert_eq!(out.bytes, size as u64);
            assert!(out.errors.is_empty() && out.interrupted.is_none(), "{out:?}");
            assert!(disk.data == whole, "{pattern:?} with {threads} threads differs from the serial stream");
            let checked = sanitize::overwrite::verify_pass_tuned(
                &mut disk,
                &pattern,
                None,
                &tuning,
                &never(),
                |_, _| {},
            );
            assert_eq!((checked.bytes, checked.mismatched_bytes), (size as u64, 0), "{threads} checkers");
        }
    }
}

/// Every checker thread reports what it finds, and the ranges come back sorted and merged.
#[test]
fn parallel_read_back_finds_every_altered_byte_of_a_random_pass() {
    let size = 9 * CHUNK + 100;
    for stream in [RandomStream::Aes128Ctr { key: [5; 16] }, RandomStream::ChaCha20 { key: [6; 32] }] {
        let pattern = PassPattern::Random(stream);
        let mut disk = MemDisk::filled(size, 0);
        pattern.fill(0, &mut disk.data);
        let spots = [0usize, 4095, CHUNK - 1, CHUNK + 2, 3 * CHUNK + 65_536, 8 * CHUNK + 7, size - 1];
        for &at in &spots {
            disk.data[at] ^= 0x40;
        }
        // Two adjacent bytes across a chunk boundary are one range.
        disk.data[5 * CHUNK - 1] ^= 1;
        disk.data[5 * CHUNK] ^= 1;
        let out = sanitize::overwrite::verify_pass_tuned(
            &mut disk,
            &pattern,
            None,
            &Tuning::with_threads(4),
            &never(),
            |_, _| {},
        );
        let mut expected: Vec<ByteRange> =
            spots.iter().map(|&at| ByteRange { start: at as u64, end: at as u64 + 1 }).collect();
        expected.push(ByteRange { start: 5 * CHUNK as u64 - 1, end: 5 * CHUNK as u64 + 1 });
        expected.sort();
        assert_eq!(out.mismatches, expected, "{pattern:?}");
        assert_eq!(out.mismatched_bytes, spots.len() as u64 + 2);
    }
}

/// An entropy source that works a given number of times, then fails as getrandom(2) would
/// without any source (ENOSYS on a kernel without the call, or a broken /dev/urandom).
struct FailingEntropy {
    draws_left: usize,
}

impl EntropySource for FailingEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        if self.draws_left == 0 {
            return Err(EntropyError { reason: "getrandom: Function not implemented (os error 38)".into() });
        }
        self.draws_left -= 1;
        OsEntropy.fill(buf)
    }
}

#[test]
fn a_random_pass_without_entropy_fails_instead_of_writing_a_predictable_stream() {
    // dod-3: 0x00, 0xff, then random. The zero and one passes need no seed and are written; the
    // random pass's seed cannot be drawn, so it is not written, and the record fails and says why.
    for algorithm in RandomAlgorithm::ALL {
        let size = 2 * CHUNK;
        let mut disk = MemDisk { record: true, ..MemDisk::filled(size, 0x3c) };
        let opts =
            WipeOptions { method: Method::Dod3, random_algorithm: Some(algorithm), ..WipeOptions::default() };
        let mut entropy = FailingEntropy { draws_left: 0 };
        let record = sanitize::sanitize_with_entropy(&mut disk, &opts, &mut entropy, &never(), |_| {});
        assert_eq!(record.result, SanitizeResult::Failed, "{record:?}");
        assert_eq!(record.passes.len(), 2, "only the two fixed passes were written");
        assert_eq!(disk.snapshots.len(), 2);
        assert!(disk.data.iter().all(|&b| b == 0xff), "the disk holds the last fixed pass, nothing else");
        let message = &record.errors[0].message;
        assert!(message.contains("pass 3 of 3 (random) was not written"), "{message}");
        assert!(message.contains("random generator failed"), "{message}");
        assert!(message.contains("never writes a predictable stream"), "{message}");
    }
    // A random-only method writes nothing at all.
    let mut disk = MemDisk::filled(CHUNK, 0x3c);
    let opts = WipeOptions { method: Method::Random, ..WipeOptions::default() };
    let record = sanitize::sanitize_with_entropy(
        &mut disk,
        &opts,
        &mut FailingEntropy { draws_left: 0 },
        &never(),
        |_| {},
    );
    assert_eq!(record.result, SanitizeResult::Failed);
    assert!(record.passes.is_empty());
    assert!(disk.data.iter().all(|&b| b == 0x3c), "nothing was written");
}

#[test]
fn a_sampled_verification_without_entropy_fails() {
    // The pass's seed is drawn; the sample's starting point is not.
    let mut disk = MemDisk::filled(8 << 20, 0x3c);
    let opts = WipeOptions { method: Method::Random, sample_percent: Some(10.0), ..WipeOptions::default() };
    let record = sanitize::sanitize_with_entropy(
        &mut disk,
        &opts,
        &mut FailingEntropy { draws_left: 1 },
        &never(),
        |_| {},
    );
    assert_eq!(record.result, SanitizeResult::Failed);
    assert_eq!(record.passes.len(), 1);
    assert_eq!(record.verification.bytes_verified, 0);
    assert!(record.errors[0].message.contains("the sample could not be drawn"), "{:?}", record.errors);
}

/// `station verify` regenerates a recorded random pass, of either algorithm, including the
/// ChaCha20 passes of certificates written before AES-128-CTR existed.
#[test]
fn a_recorded_random_pass_is_verified_from_its_record() {
    let s = Scratch::new("verify-random");
    let path = s.disk(3 * CHUNK + 12_345);
    for algorithm in RandomAlgorithm::ALL {
        let opts = WipeOptions {
            method: Method::Random,
            random_algorithm: Some(algorithm),
            verification: VerificationMode::None,
            ..WipeOptions::default()
        };
        let record = sanitize(&mut DeviceFile::open(&path).expect("open"), &opts, &never(), |_| {});
        let certificate::Pattern::Random { algorithm: name, seed } = &record.passes[0].pattern else {
            panic!()
        };
        let text = format!("random:{name}:{seed}");
        let pattern = sanitize::parse_pass_pattern(&text).expect("parses");
        let out = verify_device(&mut DeviceFile::open(&path).expect("open"), &pattern, &never(), |_, _| {});
        assert_eq!(out.mismatched_bytes, 0, "{text}");
        assert_eq!(out.bytes, 3 * CHUNK as u64 + 12_345);
        // Another seed does not match.
        let other = PassPattern::Random(RandomStream::draw(algorithm, &mut OsEntropy).expect("seed"));
        let out = verify_device(&mut DeviceFile::open(&path).expect("open"), &other, &never(), |_, _| {});
        assert!(out.mismatched_bytes > 0);
    }
    assert!(sanitize::parse_pass_pattern("random:chacha20-rfc8439-segmented").is_err());
    assert!(sanitize::parse_pass_pattern("random:rc4:00")
        .expect_err("rc4")
        .contains("unknown random algorithm"));
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

/// Whatever the tuning (I/O size, spare buffers, threads), a pass writes the same bytes: a
/// three-byte pattern stays in phase across chunks of any size, a random stream is the serial
/// one, and the read-back of either finds nothing wrong.
#[test]
fn every_tuning_writes_the_same_bytes() {
    let size = 5 * 100_000 + 4096 + 1;
    let patterns = [
        PassPattern::Repeat(vec![0x92, 0x49, 0x24]),
        PassPattern::Random(RandomStream::Aes128Ctr { key: [3; 16] }),
    ];
    let tunings = [
        Tuning { threads: 1, chunk: 100_000, spare: 0 },
        Tuning { threads: 2, chunk: 1, spare: 3 },
        Tuning { threads: 3, chunk: 1 << 20, spare: 1 },
    ];
    for pattern in &patterns {
        let mut whole = vec![0u8; size];
        pattern.fill(0, &mut whole);
        for tuning in &tunings {
            assert_eq!(tuning.chunk_bytes() % (3 * 4096), 0, "{tuning:?}");
            let mut disk = MemDisk::filled(size, 0x3c);
            let out = sanitize::overwrite::write_pass_tuned(&mut disk, pattern, tuning, &never(), |_, _| {});
            assert_eq!(out.bytes, size as u64, "{tuning:?}");
            assert!(disk.data == whole, "{pattern:?} written with {tuning:?} differs from the pattern");
            let checked =
                sanitize::overwrite::verify_pass_tuned(&mut disk, pattern, None, tuning, &never(), |_, _| {});
            assert_eq!((checked.bytes, checked.mismatched_bytes), (size as u64, 0), "{tuning:?}");
        }
    }
}
