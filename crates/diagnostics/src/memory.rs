//! A quick memory test: patterns written to as much free memory as is safe and read back.
//!
//! Not memtest86+: the kernel, the station and the page cache keep their memory, and a user
//! process cannot choose physical addresses. It finds what a quick pass can (a dead chip, a
//! stuck bit, a module that fails once warm) in seconds rather than hours; a unit whose test is
//! clean but that crashes still deserves a memtest86+ run from the boot menu.
//!
//! Patterns, each over every word: the word's own index mixed with a per-pass constant
//! (address-in-address: catches addressing faults and shorted lines), then its complement (every
//! bit flips both ways), then alternating 0x55/0xAA bytes and their inverse (neighbour bits
//! differ).

use certificate::{CheckStatus, HardwareTest, HardwareTestKind};
use inventory::Root;

/// Memory left to the system when choosing how much to test: the station, its page cache and
/// the kernel need room, and the out-of-memory killer must never be woken.
pub const RESERVE_BYTES: u64 = 384 << 20;
/// Share of the available memory tested at most.
pub const SHARE_PERCENT: u64 = 85;
/// Memory is taken in chunks of this size, so a refused allocation stops cleanly.
const CHUNK_BYTES: usize = 64 << 20;

/// How much memory can be tested safely: [`SHARE_PERCENT`] of /proc/meminfo's MemAvailable,
/// less [`RESERVE_BYTES`]; `None` when MemAvailable cannot be read.
pub fn safe_test_bytes(root: &Root) -> Option<u64> {
    let text = std::fs::read_to_string(root.join("/proc/meminfo")).ok()?;
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kib * 1024 * SHARE_PERCENT / 100).saturating_sub(RESERVE_BYTES))
}

/// The test result when it could not run.
pub fn not_run(why: &str) -> HardwareTest {
    let mut test = HardwareTest::new(HardwareTestKind::Memory, CheckStatus::Skipped);
    test.details.push(why.to_owned());
    test
}

/// What a memory pass found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryRun {
    /// Bytes tested.
    pub bytes: u64,
    /// Patterns written and read back.
    pub patterns: u32,
    /// Words (8 bytes) that read back wrong, over all patterns.
    pub wrong_words: u64,
    /// Bits that differed, over all patterns.
    pub wrong_bits: u64,
    /// Seconds taken.
    pub seconds: f64,
}

/// The verdict on a memory pass, with its reasons in words.
pub fn memory_verdict(run: &MemoryRun) -> (CheckStatus, Vec<String>) {
    let mut details = vec![format!(
        "{} MiB tested with {} patterns in {:.0} s",
        run.bytes >> 20,
        run.patterns,
        run.seconds
    )];
    if run.bytes == 0 {
        details.push("no memory could be set aside for the test".into());
        return (CheckStatus::Skipped, details);
    }
    if run.wrong_words > 0 {
        details.push(format!(
            "{} words read back wrong ({} bits): a memory module is faulty; test each module alone to find it",
            run.wrong_words, run.wrong_bits
        ));
        return (CheckStatus::Fail, details);
    }
    (CheckStatus::Pass, details)
}

/// The pattern word `i` of pass `pass` holds.
fn pattern(pass: u32, i: u64) -> u64 {
    const MIX: u64 = 0x9E37_79B9_7F4A_7C15;
    match pass {
        0 => i.wrapping_mul(MIX),
        1 => !i.wrapping_mul(MIX),
        2 => 0x5555_5555_5555_5555,
        _ => 0xAAAA_AAAA_AAAA_AAAA,
    }
}

/// Sets aside up to `bytes` of memory in chunks (stopping at the first refusal).
fn take(bytes: u64) -> Vec<Vec<u64>> {
    let mut chunks = Vec::new();
    let mut left = bytes;
    while left >= CHUNK_BYTES as u64 / 4 {
        let words = (left.min(CHUNK_BYTES as u64) / 8) as usize;
        let mut chunk: Vec<u64> = Vec::new();
        if chunk.try_reserve_exact(words).is_err() {
            break;
        }
        chunk.resize(words, 0);
        left -= (words * 8) as u64;
        chunks.push(chunk);
    }
    chunks
}

/// Writes and checks every pattern over `bytes` of memory, on every logical CPU; stops after
/// the pattern under way when `stop` is set.
pub fn test(bytes: u64, stop: &std::sync::atomic::AtomicBool) -> HardwareTest {
    let started = std::time::Instant::now();
    let mut chunks = take(bytes);
    let tested: u64 = chunks.iter().map(|c| c.len() as u64 * 8).sum();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(1);
    let mut run = MemoryRun { bytes: tested, patterns: 4, ..MemoryRun::default() };
    for pass in 0..run.patterns {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            run.patterns = pass;
            break;
        }
        // Chunks shared out between threads; each chunk's words are numbered globally.
        let per_thread = chunks.len().div_ceil(threads).max(1);
        let counts: Vec<(u64, u64)> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .chunks_mut(per_thread)
                .enumerate()
                .map(|(t, group)| {
                    scope.spawn(move || {
                        let (mut words, mut bits) = (0u64, 0u64);
                        for (c, chunk) in group.iter_mut().enumerate() {
                            let base = ((t * per_thread + c) * (CHUNK_BYTES / 8)) as u64;
                            for (i, w) in chunk.iter_mut().enumerate() {
                                *w = pattern(pass, base + i as u64);
                            }
                            // The compiler must not assume the memory still holds what it wrote.
                            let chunk = std::hint::black_box(chunk);
                            for (i, w) in chunk.iter().enumerate() {
                                let diff = *w ^ pattern(pass, base + i as u64);
                                if diff != 0 {
                                    words += 1;
                                    bits += u64::from(diff.count_ones());
                                }
                            }
                        }
                        (words, bits)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or((0, 0))).collect()
        });
        for (w, b) in counts {
            run.wrong_words += w;
            run.wrong_bits += b;
        }
    }
    drop(chunks);
    run.seconds = started.elapsed().as_secs_f64();
    let (status, details) = memory_verdict(&run);
    let mut test = HardwareTest::new(HardwareTestKind::Memory, status);
    test.details = details;
    test.measure("tested_mib", (run.bytes >> 20) as f64)
        .measure("patterns", f64::from(run.patterns))
        .measure("wrong_words", run.wrong_words as f64)
        .measure("wrong_bits", run.wrong_bits as f64)
        .measure("seconds", run.seconds);
    test
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let clean = MemoryRun { bytes: 3 << 30, patterns: 4, seconds: 9.0, ..Default::default() };
        let (status, details) = memory_verdict(&clean);
        assert_eq!(status, CheckStatus::Pass);
        assert_eq!(details[0], "3072 MiB tested with 4 patterns in 9 s");
        let (status, details) = memory_verdict(&MemoryRun { wrong_words: 2, wrong_bits: 2, ..clean.clone() });
        assert_eq!(status, CheckStatus::Fail);
        assert!(details[1].contains("2 words read back wrong"), "{details:?}");
        assert_eq!(memory_verdict(&MemoryRun::default()).0, CheckStatus::Skipped);
    }

    #[test]
    fn patterns_flip_every_bit_both_ways() {
        for i in [0u64, 1, 12345, u64::MAX / 3] {
            assert_eq!(pattern(0, i) ^ pattern(1, i), u64::MAX);
        }
        assert_eq!(pattern(2, 7) ^ pattern(3, 7), u64::MAX);
    }

    #[test]
    fn safe_size_leaves_the_reserve() {
        let dir = std::env::temp_dir().join(format!("sv-meminfo-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("proc")).expect("mkdir");
        std::fs::write(dir.join("proc/meminfo"), "MemTotal: 4000000 kB\nMemAvailable: 1000000 kB\n")
            .expect("w");
        let bytes = safe_test_bytes(&Root::at(&dir)).expect("size");
        assert_eq!(bytes, 1_000_000 * 1024 * 85 / 100 - (384 << 20));
        std::fs::write(dir.join("proc/meminfo"), "MemTotal: 400000 kB\nMemAvailable: 300000 kB\n")
            .expect("w");
        assert_eq!(safe_test_bytes(&Root::at(&dir)), Some(0), "a tiny machine tests nothing");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_real_pass_over_64_mib_is_clean() {
        let test = test(64 << 20, &std::sync::atomic::AtomicBool::new(false));
        assert_eq!(test.status, CheckStatus::Pass, "{test:?}");
        assert_eq!(test.measurement("tested_mib"), Some(64.0));
        assert_eq!(test.measurement("wrong_words"), Some(0.0));
    }
}
