//! The Merkle tree of the certificate log against the RFC 6962 / Certificate Transparency reference
//! test vectors, and property tests of proofs over random trees.
//!
//! The vectors (the eight leaves, the roots of sizes 1..8, the inclusion and consistency proofs)
//! are the well-known test data of the Certificate Transparency reference implementations, as
//! published in google/trillian `merkle/log_verifier_test.go` and transparency-dev/merkle
//! `proof/verify_test.go` (the 6 → 7 consistency proof is from the latter only). The values are
//! copied as data; no code is.

use certificate::log::{
    consistency_proof, consistency_proof_with, inclusion_proof, inclusion_proof_with, leaf_hash, node_hash,
    root, subtree_hash, verify_consistency, verify_inclusion, CompactRange, Hash, LogError, EMPTY_ROOT,
};
use proptest::prelude::*;

fn h(hex_text: &str) -> Hash {
    hex::decode(hex_text).expect("hex").try_into().expect("32 bytes")
}

fn hs(hex_texts: &[&str]) -> Vec<Hash> {
    hex_texts.iter().map(|t| h(t)).collect()
}

/// The eight reference leaves, as hex of the leaf data.
const LEAVES: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

/// MTH of the first 1..8 leaves (index 0 is size 1).
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (0-based leaf index, tree size, proof).
fn inclusion_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            5,
            8,
            hs(&[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (2, 3, hs(&["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"])),
        (
            1,
            5,
            hs(&[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
    ]
}

/// (old size, new size, proof).
fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            hs(&[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]),
        ),
        (
            6,
            8,
            hs(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
        (
            2,
            5,
            hs(&[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]),
        ),
        (
            6,
            7,
            hs(&[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]),
        ),
    ]
}

fn vector_leaf_hashes() -> Vec<Hash> {
    LEAVES.iter().map(|l| leaf_hash(&hex::decode(l).expect("hex"))).collect()
}

fn vector_root(size: u64) -> Hash {
    h(ROOTS[size as usize - 1])
}

#[test]
fn leaf_and_node_hashes_are_domain_separated() {
    // The root of a one-leaf tree is its leaf hash; of two leaves, the node hash.
    let leaves = vector_leaf_hashes();
    assert_eq!(leaves[0], h(ROOTS[0]));
    assert_eq!(node_hash(&leaves[0], &leaves[1]), h(ROOTS[1]));
    assert_eq!(root(&[]), EMPTY_ROOT);
    assert_eq!(hex::encode(EMPTY_ROOT), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#[test]
fn roots_of_the_reference_tree() {
    let leaves = vector_leaf_hashes();
    let mut range = CompactRange::new();
    for size in 1..=8u64 {
        assert_eq!(root(&leaves[..size as usize]), vector_root(size), "root of {size} leaves");
        range.append(leaves[size as usize - 1]);
        assert_eq!(range.root(), vector_root(size), "compact range of {size} leaves");
        let fetched =
            subtree_hash::<LogError, _>(0, size, |s, e| Ok(leaves[s as usize..e as usize].to_vec()))
                .expect("fetch");
        assert_eq!(fetched, vector_root(size), "subtree_hash of {size} leaves");
    }
}

#[test]
fn inclusion_proofs_of_the_reference_tree() {
    let leaves = vector_leaf_hashes();
    for (index, size, want) in inclusion_vectors() {
        let got = inclusion_proof(&leaves, index, size).expect("in range");
        assert_eq!(got, want, "PATH({index}, D[{size}])");
        let root = vector_root(size);
        let leaf = leaves[index as usize];
        verify_inclusion(&leaf, index, size, &want, &root).expect("the reference proof verifies");

        // The corruptions of the reference verifier tests must all fail.
        let mut wrong: Vec<(String, Result<(), LogError>)> = vec![
            ("index + 1".into(), verify_inclusion(&leaf, index + 1, size, &want, &root)),
            ("index ^ 2".into(), verify_inclusion(&leaf, index ^ 2, size, &want, &root)),
            ("size * 2".into(), verify_inclusion(&leaf, index, size * 2, &want, &root)),
            ("size / 2".into(), verify_inclusion(&leaf, index, size / 2, &want, &root)),
            ("wrong leaf".into(), verify_inclusion(&leaf_hash(b"WrongLeaf"), index, size, &want, &root)),
            ("empty root".into(), verify_inclusion(&leaf, index, size, &want, &EMPTY_ROOT)),
            (
                "trailing root".into(),
                verify_inclusion(&leaf, index, size, &[want.clone(), vec![root]].concat(), &root),
            ),
            (
                "preceding root".into(),
                verify_inclusion(&leaf, index, size, &[vec![root], want.clone()].concat(), &root),
            ),
        ];
        if index > 0 {
            wrong.push(("index - 1".into(), verify_inclusion(&leaf, index - 1, size, &want, &root)));
        }
        if !want.is_empty() {
            wrong.push((
                "truncated".into(),
                verify_inclusion(&leaf, index, size, &want[..want.len() - 1], &root),
            ));
        }
        for i in 0..want.len() {
            let mut flipped = want.clone();
            flipped[i][0] ^= 8;
            wrong.push((
                format!("bit flipped in proof[{i}]"),
                verify_inclusion(&leaf, index, size, &flipped, &root),
            ));
        }
        for (what, result) in wrong {
            assert!(result.is_err(), "PATH({index}, D[{size}]) verified with {what}");
        }
    }
}

#[test]
fn consistency_proofs_of_the_reference_tree() {
    let leaves = vector_leaf_hashes();
    for (old, new, want) in consistency_vectors() {
        let got = consistency_proof(&leaves, old, new).expect("in range");
        assert_eq!(got, want, "PROOF({old}, D[{new}])");
        let (r1, r2) = (vector_root(old), vector_root(new));
        verify_consistency(old, new, &r1, &r2, &want).expect("the reference proof verifies");
        if want.is_empty() {
            continue;
        }
        let mut wrong: Vec<(String, Result<(), LogError>)> = vec![
            ("old - 1".into(), verify_consistency(old - 1, new, &r1, &r2, &want)),
            ("old + 1".into(), verify_consistency(old + 1, new, &r1, &r2, &want)),
            ("old ^ 2".into(), verify_consistency(old ^ 2, new, &r1, &r2, &want)),
            ("new * 2".into(), verify_consistency(old, new * 2, &r1, &r2, &want)),
            ("new / 2".into(), verify_consistency(old, new / 2, &r1, &r2, &want)),
            ("wrong old root".into(), verify_consistency(old, new, &EMPTY_ROOT, &r2, &want)),
            ("wrong new root".into(), verify_consistency(old, new, &r1, &EMPTY_ROOT, &want)),
            ("swapped roots".into(), verify_consistency(old, new, &r2, &r1, &want)),
            ("empty proof".into(), verify_consistency(old, new, &r1, &r2, &[])),
            (
                "trailing old root".into(),
                verify_consistency(old, new, &r1, &r2, &[want.clone(), vec![r1]].concat()),
            ),
            (
                "trailing new root".into(),
                verify_consistency(old, new, &r1, &r2, &[want.clone(), vec![r2]].concat()),
            ),
            (
                "preceding old root".into(),
                verify_consistency(old, new, &r1, &r2, &[vec![r1], want.clone()].concat()),
            ),
            (
                "preceding proof[0]".into(),
                verify_consistency(old, new, &r1, &r2, &[vec![want[0]], want.clone()].concat()),
            ),
            ("truncated".into(), verify_consistency(old, new, &r1, &r2, &want[..want.len() - 1])),
        ];
        for i in 0..want.len() {
            let mut flipped = want.clone();
            flipped[i][0] ^= 16;
            wrong.push((
                format!("bit flipped in proof[{i}]"),
                verify_consistency(old, new, &r1, &r2, &flipped),
            ));
        }
        for (what, result) in wrong {
            assert!(result.is_err(), "PROOF({old}, D[{new}]) verified with {what}");
        }
    }
}

#[test]
fn trivial_and_impossible_consistency() {
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    // Always consistent, with an empty proof.
    verify_consistency(0, 0, &a, &a, &[]).expect("0 to 0");
    verify_consistency(0, 5, &a, &b, &[]).expect("from the empty tree");
    verify_consistency(3, 3, &b, &b, &[]).expect("same size, same root");
    // Refused.
    let err = verify_consistency(3, 3, &a, &b, &[]).expect_err("fork");
    assert!(matches!(err, LogError::SameSizeDifferentRoots { size: 3, .. }), "{err}");
    assert!(err.to_string().contains("the log is inconsistent"), "{err}");
    assert!(matches!(verify_consistency(2, 1, &a, &b, &[]), Err(LogError::SizesOutOfOrder { .. })));
    assert!(matches!(verify_consistency(1, 1, &a, &a, &[a]), Err(LogError::ConsistencyProofNotEmpty { .. })));
    assert!(matches!(verify_consistency(0, 1, &a, &a, &[a]), Err(LogError::ConsistencyProofNotEmpty { .. })));
    let err = verify_consistency(1, 2, &a, &b, &[]).expect_err("empty proof");
    assert!(err.to_string().contains("has 0 hashes, too few"), "{err}");
}

#[test]
fn bad_requests_are_refused_with_context() {
    let leaves = vector_leaf_hashes();
    let err = inclusion_proof(&leaves, 8, 8).expect_err("out of range");
    assert_eq!(err.to_string(), "leaf index 8 is not in a tree of 8 leaves");
    let err = inclusion_proof(&leaves, 0, 9).expect_err("too big");
    assert_eq!(err.to_string(), "a tree of 9 leaves was asked for, but only 8 leaf hashes were given");
    let err = consistency_proof(&leaves, 5, 4).expect_err("shrinks");
    assert!(err.to_string().contains("a log only grows"), "{err}");
    let err = verify_inclusion(&leaves[0], 0, 0, &[], &EMPTY_ROOT).expect_err("empty tree");
    assert_eq!(err, LogError::IndexOutOfRange { index: 0, tree_size: 0 });
    let err = verify_inclusion(&leaves[5], 5, 8, &[], &vector_root(8)).expect_err("no proof");
    assert!(
        matches!(err, LogError::InclusionProofTooShort { index: 5, tree_size: 8, proof_len: 0 }),
        "{err}"
    );
    let err =
        verify_inclusion(&leaves[4], 5, 8, &inclusion_vectors()[2].2, &vector_root(8)).expect_err("wrong");
    assert!(err.to_string().starts_with("leaf 5 is not in the tree of 8 leaves"), "{err}");
    assert!(CompactRange::from_parts(3, vec![EMPTY_ROOT]).is_err());
}

#[test]
fn the_callback_error_passes_through() {
    #[derive(Debug, PartialEq)]
    enum StoreError {
        Database(String),
        Log(LogError),
    }
    impl From<LogError> for StoreError {
        fn from(e: LogError) -> Self {
            StoreError::Log(e)
        }
    }
    let err =
        inclusion_proof_with(3, 10, |_, _| Err::<Vec<Hash>, _>(StoreError::Database("disk on fire".into())))
            .expect_err("the store failed");
    assert_eq!(err, StoreError::Database("disk on fire".into()));
    let err =
        consistency_proof_with(3, 10, |s, e| Ok::<_, StoreError>(vec![EMPTY_ROOT; (e - s) as usize + 1]))
            .expect_err("too many hashes");
    assert!(matches!(err, StoreError::Log(LogError::FetchedWrongCount { .. })), "{err:?}");
}

/// Distinct leaf hashes: the index is part of each leaf's data, so no two leaves are equal.
fn tree(max: usize) -> impl Strategy<Value = Vec<Hash>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..max).prop_map(|data| {
        data.iter()
            .enumerate()
            .map(|(i, d)| leaf_hash(&[&(i as u64).to_be_bytes()[..], d].concat()))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_inclusion_proof_verifies_and_only_for_its_leaf(leaves in tree(40), other in 0usize..40) {
        let n = leaves.len() as u64;
        let root_n = root(&leaves);
        for index in 0..n {
            let leaf = leaves[index as usize];
            let proof = inclusion_proof(&leaves, index, n).expect("in range");
            prop_assert!(proof.len() <= 64);
            verify_inclusion(&leaf, index, n, &proof, &root_n).expect("verifies");
            let other = (other as u64) % n;
            if other != index {
                prop_assert!(verify_inclusion(&leaves[other as usize], index, n, &proof, &root_n).is_err());
                prop_assert!(verify_inclusion(&leaf, other, n, &proof, &root_n).is_err());
            }
            prop_assert!(verify_inclusion(&leaf, index, n, &proof, &leaf_hash(b"another root")).is_err());
            if let Some(first) = proof.first() {
                let mut tampered = proof.clone();
                tampered[0] = node_hash(first, first);
                prop_assert!(verify_inclusion(&leaf, index, n, &tampered, &root_n).is_err());
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_tampered_one_does_not(
        leaves in tree(70),
        a in 0usize..70,
        b in 0usize..70,
        which in any::<prop::sample::Index>(),
    ) {
        let n = leaves.len();
        let (old, new) = { let (x, y) = (a % (n + 1), b % (n + 1)); (x.min(y) as u64, x.max(y) as u64) };
        let (r1, r2) = (root(&leaves[..old as usize]), root(&leaves[..new as usize]));
        let proof = consistency_proof(&leaves, old, new).expect("in range");
        verify_consistency(old, new, &r1, &r2, &proof).expect("verifies");
        if !proof.is_empty() {
            let mut tampered = proof.clone();
            let i = which.index(proof.len());
            tampered[i][31] ^= 1;
            prop_assert!(verify_consistency(old, new, &r1, &r2, &tampered).is_err());
            prop_assert!(verify_consistency(old, new, &r1, &r2, &proof[1..]).is_err());
            prop_assert!(verify_consistency(old, new, &r2, &r1, &proof).is_err());
            prop_assert!(verify_consistency(old, new, &r1, &leaf_hash(b"another root"), &proof).is_err());
        }
        if old > 0 && old < new {
            // A different tree of the new size (one leaf changed after the old prefix) is refused.
            let mut forked = leaves[..new as usize].to_vec();
            forked[new as usize - 1] = leaf_hash(b"forked");
            prop_assert!(verify_consistency(old, new, &r1, &root(&forked), &proof).is_err());
        }
    }

    #[test]
    fn compact_range_root_is_the_tree_root(leaves in tree(300)) {
        let mut range = CompactRange::new();
        for (i, leaf) in leaves.iter().enumerate() {
            range.append(*leaf);
            prop_assert_eq!(range.size(), i as u64 + 1);
            prop_assert_eq!(range.hashes().len() as u32, range.size().count_ones());
        }
        prop_assert_eq!(range.root(), root(&leaves));
        let restored = CompactRange::from_parts(range.size(), range.hashes().to_vec()).expect("valid parts");
        prop_assert_eq!(&restored, &range);
        // The compact range is a prefix summary: its subtree hashes are MTHs of aligned ranges.
        let mut start = 0u64;
        for (bit, hash) in (0..64).rev().filter(|b| range.size() >> b & 1 == 1).zip(range.hashes()) {
            let end = start + (1 << bit);
            prop_assert_eq!(*hash, root(&leaves[start as usize..end as usize]));
            start = end;
        }
    }
}
