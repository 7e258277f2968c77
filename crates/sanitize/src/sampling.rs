//! Sampled verification (NIST SP 800-88 Rev. 1 §4.7.1 "a representative sampling").
//!
//! The disk is cut into blocks of [`SAMPLE_BLOCK`] bytes. The first and the last block are always
//! read. The blocks in between are grouped into strata of `k = round(100 / percent)` consecutive
//! blocks, and one block is drawn uniformly from each stratum, so the sample is spread evenly and
//! no region escapes. A residue (a range left unwiped) is missed only if no drawn block touches
//! it; for a residue touching `m_j` blocks of stratum `j` (of `s_j` blocks), the probability of
//! detection is exactly `1 − Π_j (1 − m_j / s_j)` ([`detection_probability`]). In particular a
//! residue of `R` bytes inside one stratum is found with probability at least
//! `ceil(R / 1 MiB) / k`, and one touching `2k − 1` consecutive blocks or more is always found.

use certificate::ByteRange;

/// Size of one sampled block.
pub const SAMPLE_BLOCK: u64 = 1 << 20;

/// The blocks a sampled verification reads.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplePlan {
    /// Disk size.
    pub size: u64,
    /// Blocks per stratum.
    pub stratum_blocks: u64,
    /// The ranges to read, sorted.
    pub ranges: Vec<ByteRange>,
}

fn blocks(size: u64) -> u64 {
    size.div_ceil(SAMPLE_BLOCK)
}

fn block_range(size: u64, i: u64) -> ByteRange {
    ByteRange { start: i * SAMPLE_BLOCK, end: ((i + 1) * SAMPLE_BLOCK).min(size) }
}

/// Strata of the middle blocks `1..n-1`: (first block, block count).
fn strata(size: u64, stratum_blocks: u64) -> impl Iterator<Item = (u64, u64)> {
    let n = blocks(size);
    let middle_end = n.saturating_sub(1);
    (1..middle_end)
        .step_by(stratum_blocks as usize)
        .map(move |first| (first, stratum_blocks.min(middle_end - first)))
}

/// Plans a sampled verification of `percent` of a disk of `size` bytes; `seed` drives the draw.
pub fn plan(size: u64, percent: f64, seed: u64) -> SamplePlan {
    let stratum_blocks = ((100.0 / percent.clamp(0.001, 100.0)).round() as u64).max(1);
    let n = blocks(size);
    let mut rng = SplitMix64(seed);
    let mut ranges = Vec::new();
    if n > 0 {
        ranges.push(block_range(size, 0));
    }
    for (first, count) in strata(size, stratum_blocks) {
        ranges.push(block_range(size, first + rng.below(count)));
    }
    if n > 1 {
        ranges.push(block_range(size, n - 1));
    }
    SamplePlan { size, stratum_blocks, ranges }
}

/// The exact probability that a plan drawn by [`plan`] reads at least one byte of `residue`.
pub fn detection_probability(size: u64, percent: f64, residue: ByteRange) -> f64 {
    if residue.is_empty() || residue.start >= size {
        return 0.0;
    }
    let n = blocks(size);
    let first = residue.start / SAMPLE_BLOCK;
    let last = (residue.end.min(size) - 1) / SAMPLE_BLOCK;
    if first == 0 || last >= n - 1 {
        return 1.0;
    }
    let k = ((100.0 / percent.clamp(0.001, 100.0)).round() as u64).max(1);
    let mut miss = 1.0;
    for (s_first, count) in strata(size, k) {
        let s_last = s_first + count - 1;
        let lo = first.max(s_first);
        let hi = last.min(s_last);
        if lo <= hi {
            miss *= 1.0 - (hi - lo + 1) as f64 / count as f64;
        }
    }
    1.0 - miss
}

/// A small, fast generator for spreading samples (Steele, Lea, Flood 2014). The draw needs to be
/// uniform, not secret: it only has to be unknown before the wipe ends.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias for n < 2^32 is below 2^-32).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = SAMPLE_BLOCK;

    #[test]
    fn plan_covers_first_last_and_one_block_per_stratum() {
        let size = 1000 * MIB + 12345;
        let p = plan(size, 10.0, 1);
        assert_eq!(p.stratum_blocks, 10);
        assert_eq!(p.ranges.first(), Some(&ByteRange { start: 0, end: MIB }));
        assert_eq!(p.ranges.last(), Some(&ByteRange { start: 1000 * MIB, end: size }));
        // 1001 blocks: 999 middle blocks in 100 strata.
        assert_eq!(p.ranges.len(), 2 + 100);
        assert!(p.ranges.windows(2).all(|w| w[0].end <= w[1].start), "sorted, disjoint");
        let read: u64 = p.ranges.iter().map(ByteRange::len).sum();
        let share = read as f64 / size as f64 * 100.0;
        assert!((9.5..=10.5).contains(&share), "{share}%");
    }

    #[test]
    fn stated_probability_holds_over_many_trials() {
        let size = 2000 * MIB;
        // Residues of several sizes and places, including one straddling two strata.
        for (residue, percent) in [
            (ByteRange { start: 500 * MIB + 10, end: 500 * MIB + 20 }, 5.0),
            (ByteRange { start: 733 * MIB, end: 736 * MIB + 1 }, 10.0),
            (ByteRange { start: 20 * MIB - 100, end: 21 * MIB + 100 }, 5.0),
            (ByteRange { start: 1200 * MIB, end: 1230 * MIB }, 2.0),
        ] {
            let stated = detection_probability(size, percent, residue);
            let trials = 4000;
            let hits = (0..trials)
                .filter(|&seed| {
                    plan(size, percent, seed)
                        .ranges
                        .iter()
                        .any(|r| r.start < residue.end && residue.start < r.end)
                })
                .count();
            let observed = hits as f64 / trials as f64;
            let sigma = (stated * (1.0 - stated) / trials as f64).sqrt().max(1e-9);
            assert!(
                (observed - stated).abs() <= 4.0 * sigma + 1e-9,
                "residue {residue:?} at {percent}%: stated {stated:.4}, observed {observed:.4}"
            );
        }
    }

    #[test]
    fn large_residues_and_edges_are_always_found() {
        let size = 2000 * MIB;
        assert_eq!(detection_probability(size, 5.0, ByteRange { start: 100 * MIB, end: 121 * MIB + 1 }), 1.0);
        assert_eq!(detection_probability(size, 1.0, ByteRange { start: 10, end: 11 }), 1.0);
        assert_eq!(detection_probability(size, 1.0, ByteRange { start: size - 1, end: size }), 1.0);
    }
}
