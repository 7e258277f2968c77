//! The log's Merkle tree agrees with an independent implementation: `tests/log_reference.py`,
//! a few lines of Python with hashlib only, written from the recursive definitions of RFC 9162
//! §2.1, computes roots and proofs for every tree size up to N. Our roots (compact range), proofs
//! (fetched subtrees) and verifiers must match it exactly. Fails, never skips, without python3.

use std::path::Path;
use std::process::Command;

use certificate::log::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion, CompactRange,
    Hash,
};
use serde_json::Value;

const N: u64 = 40;

fn hash(value: &Value) -> Hash {
    let text = value.as_str().expect("a hex string");
    hex::decode(text).expect("hex").try_into().expect("32 bytes")
}

fn hashes(value: &Value) -> Vec<Hash> {
    value.as_array().expect("an array").iter().map(hash).collect()
}

fn reference() -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/log_reference.py");
    let output = Command::new("python3").arg(&script).arg(N.to_string()).output().unwrap_or_else(|e| {
        panic!(
            "cannot run python3 for the independent Merkle tree check ({e}). Install Python 3 \
             (Debian: apt-get install python3); {} needs nothing but its standard library.",
            script.display()
        )
    });
    assert!(
        output.status.success(),
        "{} failed: {}\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the reference prints JSON")
}

#[test]
fn roots_and_proofs_match_the_python_reference() {
    let reference = reference();
    let leaves: Vec<Hash> = (0..N).map(|i| leaf_hash(format!("seconde-vie leaf {i}").as_bytes())).collect();

    let roots = hashes(&reference["roots"]);
    assert_eq!(roots.len() as u64, N + 1);
    let mut range = CompactRange::new();
    for (n, want) in roots.iter().enumerate() {
        assert_eq!(&root(&leaves[..n]), want, "MTH(D[{n}])");
        assert_eq!(&range.root(), want, "compact range of {n} leaves");
        if let Some(leaf) = leaves.get(n) {
            range.append(*leaf);
        }
    }

    let inclusion = reference["inclusion"].as_array().expect("an array");
    assert_eq!(inclusion.len() as u64, N * (N + 1) / 2);
    for case in inclusion {
        let (m, n) = (case[0].as_u64().expect("m"), case[1].as_u64().expect("n"));
        let want = hashes(&case[2]);
        assert_eq!(inclusion_proof(&leaves, m, n).expect("in range"), want, "PATH({m}, D[{n}])");
        verify_inclusion(&leaves[m as usize], m, n, &want, &roots[n as usize])
            .unwrap_or_else(|e| panic!("the reference PATH({m}, D[{n}]) does not verify: {e}"));
    }

    let consistency = reference["consistency"].as_array().expect("an array");
    assert_eq!(consistency.len() as u64, N * (N + 1) / 2);
    for case in consistency {
        let (m, n) = (case[0].as_u64().expect("m"), case[1].as_u64().expect("n"));
        let want = hashes(&case[2]);
        assert_eq!(consistency_proof(&leaves, m, n).expect("in range"), want, "PROOF({m}, D[{n}])");
        verify_consistency(m, n, &roots[m as usize], &roots[n as usize], &want)
            .unwrap_or_else(|e| panic!("the reference PROOF({m}, D[{n}]) does not verify: {e}"));
    }
}
