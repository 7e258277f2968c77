//! The Merkle Tree Hash of RFC 6962 §2.1 (restated in RFC 9162 §2.1) over SHA-256, its inclusion
//! and consistency proofs, and their verification.
//!
//! For a list of n inputs `D[n] = {d(0), …, d(n-1)}` (RFC 9162 §2.1.1):
//!
//! - `MTH({}) = SHA-256()` (the hash of the empty string),
//! - `MTH({d(0)}) = SHA-256(0x00 || d(0))` (a *leaf hash*),
//! - `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))` for n > 1, where k is the largest
//!   power of two smaller than n.
//!
//! The functions that take `leaf_hashes: &[Hash]` work on leaf hashes already computed with
//! [`leaf_hash`]. The `_with` variants take a callback that fetches leaf hashes by range, so a
//! registry can compute proofs over leaves kept in a database without loading them all.

use sha2::{Digest as _, Sha256};

use super::LogError;

/// A SHA-256 output: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// MTH of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27,
    0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// How many leaf hashes the `_with` functions ask their callback for at most in one call.
pub const FETCH_CHUNK: u64 = 4096;

/// The leaf hash of one entry: SHA-256(0x00 || data) (RFC 6962 §2.1, RFC 9162 §2.1.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right) (RFC 6962 §2.1, RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly smaller than `n` (RFC 9162 §2.1.1's k). `n` must be ≥ 2.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The Merkle Tree Hash (RFC 9162 §2.1.1) of a list of leaf hashes, of any length (the empty list
/// gives [`EMPTY_ROOT`]). O(n) hashes, O(log n) memory.
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    let mut range = CompactRange::new();
    for leaf in leaf_hashes {
        range.append(*leaf);
    }
    range.root()
}

/// The roots of the perfect subtrees that make up the leaves `0..size` of a log: the "frontier"
/// from which the next root is computed. Appending a leaf costs O(log n) hashes (amortized O(1)),
/// the root O(log n), and the whole structure is at most 64 hashes, so the registry keeps it (or
/// stores it beside the leaves and restores it with [`CompactRange::from_parts`]) instead of
/// re-hashing the log on every append.
///
/// The decomposition follows RFC 9162 §2.1.1: for `size = 2^a + 2^b + … ` (a > b > …), the
/// leaves split into perfect subtrees of 2^a, 2^b, … leaves, left to right, and the tree root is
/// `node_hash(h_a, node_hash(h_b, …))`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    /// One hash per set bit of `size`, largest (leftmost) subtree first.
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The empty log.
    pub fn new() -> Self {
        CompactRange { size: 0, hashes: Vec::new() }
    }

    /// A compact range restored from [`CompactRange::size`] and [`CompactRange::hashes`].
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self, LogError> {
        let expected = size.count_ones();
        if hashes.len() != expected as usize {
            return Err(LogError::CompactRangeShape { size, expected, got: hashes.len() });
        }
        Ok(CompactRange { size, hashes })
    }

    /// The number of leaves appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The roots of the perfect subtrees, largest (leftmost) first: one per set bit of the size.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends one leaf hash (see [`leaf_hash`]): merges equal-sized subtrees as a binary counter
    /// carries, O(log n) hashes at worst.
    ///
    /// # Panics
    /// When the log already holds 2^64 - 1 leaves.
    pub fn append(&mut self, leaf_hash: Hash) {
        let mut carry = leaf_hash;
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.hashes.pop().expect("a set bit of the size has its subtree hash");
            carry = node_hash(&left, &carry);
            size >>= 1;
        }
        self.hashes.push(carry);
        self.size = self.size.checked_add(1).expect("a log of fewer than 2^64 leaves");
    }

    /// The Merkle Tree Hash of the leaves appended so far (RFC 9162 §2.1.1), O(log n) hashes.
    pub fn root(&self) -> Hash {
        let mut hashes = self.hashes.iter().rev();
        let Some(last) = hashes.next() else {
            return EMPTY_ROOT;
        };
        hashes.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// `MTH(D[start:end])`: the hash of the subtree over leaves `start..end` as RFC 9162 §2.1.1 defines
/// it for that sub-list, from leaf hashes fetched through `fetch(start, end)`, which must return
/// the leaf hashes of `start..end` (end exclusive) in order.
///
/// Complexity: `end - start` leaf hashes are fetched, in calls of at most [`FETCH_CHUNK`], and
/// about as many SHA-256 computations are made; memory is O(`FETCH_CHUNK` + log n). The callback's
/// own error passes through unchanged; a wrong count of hashes is reported as
/// [`LogError::FetchedWrongCount`] through `E: From<LogError>`.
pub fn subtree_hash<E, F>(start: u64, end: u64, mut fetch: F) -> Result<Hash, E>
where
    E: From<LogError>,
    F: FnMut(u64, u64) -> Result<Vec<Hash>, E>,
{
    if end < start {
        return Err(LogError::ReversedRange { start, end }.into());
    }
    let mut range = CompactRange::new();
    let mut at = start;
    while at < end {
        let to = end.min(at.saturating_add(FETCH_CHUNK));
        let hashes = fetch(at, to)?;
        if hashes.len() as u64 != to - at {
            return Err(LogError::FetchedWrongCount { start: at, end: to, got: hashes.len() as u64 }.into());
        }
        for hash in hashes {
            range.append(hash);
        }
        at = to;
    }
    Ok(range.root())
}

/// A fetch callback over leaf hashes held in memory.
fn slice_fetch(leaf_hashes: &[Hash]) -> impl FnMut(u64, u64) -> Result<Vec<Hash>, LogError> + '_ {
    move |start, end| {
        let available = leaf_hashes.len() as u64;
        if end > available {
            return Err(LogError::NotEnoughLeaves { tree_size: end, available });
        }
        // Both bounds are ≤ the slice length, which is a usize.
        Ok(leaf_hashes[start as usize..end as usize].to_vec())
    }
}

fn check_available(tree_size: u64, leaf_hashes: &[Hash]) -> Result<(), LogError> {
    let available = leaf_hashes.len() as u64;
    if tree_size > available {
        return Err(LogError::NotEnoughLeaves { tree_size, available });
    }
    Ok(())
}

/// The inclusion proof (audit path, RFC 9162 §2.1.3.1 `PATH(m, D[n])`) of leaf `index` in the tree
/// of the first `tree_size` leaf hashes: the sibling subtree hashes from the leaf up to the root.
pub fn inclusion_proof(leaf_hashes: &[Hash], index: u64, tree_size: u64) -> Result<Vec<Hash>, LogError> {
    check_available(tree_size, leaf_hashes)?;
    inclusion_proof_with(index, tree_size, slice_fetch(leaf_hashes))
}

/// [`inclusion_proof`] over leaf hashes fetched through `fetch` (see [`subtree_hash`]).
///
/// Complexity: the proof's subtrees cover every leaf but `index` exactly once, so `tree_size - 1`
/// leaf hashes are fetched and about as many SHA-256 computations made, with O(`FETCH_CHUNK` +
/// log n) memory. (A registry that grows large can cache the hashes of complete aligned subtrees,
/// which never change, to bring this down to O(log² n).)
pub fn inclusion_proof_with<E, F>(index: u64, tree_size: u64, mut fetch: F) -> Result<Vec<Hash>, E>
where
    E: From<LogError>,
    F: FnMut(u64, u64) -> Result<Vec<Hash>, E>,
{
    if index >= tree_size {
        return Err(LogError::IndexOutOfRange { index, tree_size }.into());
    }
    let mut proof = Vec::new();
    path(index, 0, tree_size, &mut fetch, &mut proof)?;
    Ok(proof)
}

/// PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1, appended to `out` leaf-first.
fn path<E, F>(m: u64, lo: u64, hi: u64, fetch: &mut F, out: &mut Vec<Hash>) -> Result<(), E>
where
    E: From<LogError>,
    F: FnMut(u64, u64) -> Result<Vec<Hash>, E>,
{
    let n = hi - lo;
    if n <= 1 {
        return Ok(());
    }
    let mid = lo + split_point(n);
    if m < mid {
        path(m, lo, mid, fetch, out)?;
        out.push(subtree_hash(mid, hi, &mut *fetch)?);
    } else {
        path(m, mid, hi, fetch, out)?;
        out.push(subtree_hash(lo, mid, &mut *fetch)?);
    }
    Ok(())
}

/// The consistency proof (RFC 9162 §2.1.4.1 `PROOF(m, D[n])`) that the tree of the first
/// `old_size` leaves is a prefix of the tree of the first `new_size`. Empty when `old_size` is 0
/// or equals `new_size`, as nothing needs proving then.
pub fn consistency_proof(leaf_hashes: &[Hash], old_size: u64, new_size: u64) -> Result<Vec<Hash>, LogError> {
    check_available(new_size, leaf_hashes)?;
    consistency_proof_with(old_size, new_size, slice_fetch(leaf_hashes))
}

/// [`consistency_proof`] over leaf hashes fetched through `fetch` (see [`subtree_hash`]).
///
/// Complexity: the proof's subtrees are disjoint, so at most `new_size` leaf hashes are fetched
/// and about as many SHA-256 computations made, with O(`FETCH_CHUNK` + log n) memory.
pub fn consistency_proof_with<E, F>(old_size: u64, new_size: u64, mut fetch: F) -> Result<Vec<Hash>, E>
where
    E: From<LogError>,
    F: FnMut(u64, u64) -> Result<Vec<Hash>, E>,
{
    if old_size > new_size {
        return Err(LogError::SizesOutOfOrder { old_size, new_size }.into());
    }
    let mut proof = Vec::new();
    if old_size == 0 || old_size == new_size {
        return Ok(proof);
    }
    subproof(old_size, 0, new_size, true, &mut fetch, &mut proof)?;
    Ok(proof)
}

/// SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1, appended to `out`, with `m` absolute (lo < m ≤ hi).
fn subproof<E, F>(m: u64, lo: u64, hi: u64, whole: bool, fetch: &mut F, out: &mut Vec<Hash>) -> Result<(), E>
where
    E: From<LogError>,
    F: FnMut(u64, u64) -> Result<Vec<Hash>, E>,
{
    if m == hi {
        if !whole {
            out.push(subtree_hash(lo, hi, &mut *fetch)?);
        }
        return Ok(());
    }
    let mid = lo + split_point(hi - lo);
    if m <= mid {
        subproof(m, lo, mid, whole, fetch, out)?;
        out.push(subtree_hash(mid, hi, &mut *fetch)?);
    } else {
        subproof(m, mid, hi, false, fetch, out)?;
        out.push(subtree_hash(lo, mid, &mut *fetch)?);
    }
    Ok(())
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves whose root is
/// `root`, with the algorithm of RFC 9162 §2.1.3.2.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LogError> {
    // Step 1.
    if index >= tree_size {
        return Err(LogError::IndexOutOfRange { index, tree_size });
    }
    // Steps 2 and 3.
    let (mut f_n, mut s_n) = (index, tree_size - 1);
    let mut r = *leaf_hash;
    // Step 4.
    for p in proof {
        if s_n == 0 {
            return Err(LogError::InclusionProofTooLong { index, tree_size, proof_len: proof.len() });
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            // If LSB(fn) is not set, shift until it is or fn is 0 (a no-op when it is set).
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5.
    if s_n != 0 {
        return Err(LogError::InclusionProofTooShort { index, tree_size, proof_len: proof.len() });
    }
    if r != *root {
        return Err(LogError::InclusionRootMismatch {
            index,
            tree_size,
            computed: hex::encode(r),
            expected: hex::encode(root),
        });
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`, with the algorithm of RFC 9162 §2.1.4.2 for
/// 0 < `old_size` < `new_size`. Equal sizes need equal roots and an empty proof; from the empty
/// tree (`old_size` 0) any tree is consistent, with an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), LogError> {
    if old_size > new_size {
        return Err(LogError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(LogError::ConsistencyProofNotEmpty { old_size, new_size, proof_len: proof.len() });
        }
        if old_size == new_size && old_root != new_root {
            return Err(LogError::SameSizeDifferentRoots {
                size: old_size,
                old_root: hex::encode(old_root),
                new_root: hex::encode(new_root),
            });
        }
        return Ok(());
    }
    let too =
        |problem| LogError::ConsistencyProofLength { old_size, new_size, proof_len: proof.len(), problem };
    // Step 1.
    if proof.is_empty() {
        return Err(too("too few: a growing tree needs at least one"));
    }
    // Step 2: when the old tree is a perfect subtree, its root is the proof's implicit first hash.
    let mut path = proof.iter();
    let first =
        if old_size.is_power_of_two() { old_root } else { path.next().expect("the proof is not empty") };
    // Step 3.
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    // Step 4.
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 5.
    let (mut f_r, mut s_r) = (*first, *first);
    // Step 6.
    for c in path {
        if s_n == 0 {
            return Err(too("too many for the two sizes"));
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            // If LSB(fn) is not set, shift until it is or fn is 0 (a no-op when it is set).
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    // Step 7.
    if s_n != 0 {
        return Err(too("too few to reach the new root"));
    }
    if f_r != *old_root {
        return Err(LogError::ConsistencyRootMismatch {
            old_size,
            new_size,
            which: "old",
            computed: hex::encode(f_r),
            expected: hex::encode(old_root),
        });
    }
    if s_r != *new_root {
        return Err(LogError::ConsistencyRootMismatch {
            old_size,
            new_size,
            which: "new",
            computed: hex::encode(s_r),
            expected: hex::encode(new_root),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_the_largest_power_of_two_below() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (7, 4), (8, 4), (9, 8), (63, 32), (28937, 16384)] {
            assert_eq!(split_point(n), k, "n = {n}");
        }
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, <[u8; 32]>::from(Sha256::digest(b"")));
        assert_eq!(root(&[]), EMPTY_ROOT);
    }

    #[test]
    fn fetch_is_chunked_and_checked() {
        let leaves: Vec<Hash> = (0..FETCH_CHUNK * 2 + 3).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut calls = Vec::new();
        let got = subtree_hash::<LogError, _>(1, leaves.len() as u64, |s, e| {
            calls.push((s, e));
            Ok(leaves[s as usize..e as usize].to_vec())
        })
        .expect("computes");
        assert_eq!(got, root(&leaves[1..]));
        assert_eq!(calls, vec![(1, 4097), (4097, 8193), (8193, 8195)]);

        let err = subtree_hash::<LogError, _>(0, 5, |_, _| Ok(vec![[0; 32]; 4])).expect_err("short");
        assert_eq!(err, LogError::FetchedWrongCount { start: 0, end: 5, got: 4 });
        assert!(err.to_string().contains("returned 4 hashes for leaves 0..5; 5 were expected"), "{err}");
    }
}
