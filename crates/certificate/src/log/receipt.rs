//! The receipt the registry returns when it accepts a certificate into its log: proof, checkable
//! offline with only the registry's verifier key, that the certificate is leaf `leaf_index` of the
//! log whose signed tree head is `checkpoint`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::checkpoint::{verify_note, Checkpoint};
use super::merkle::{leaf_hash, verify_inclusion, Hash};
use super::LogError;

/// Proof that a certificate is in the registry's log.
///
/// JSON form:
///
/// ```json
/// {
///   "leaf_index": 41,
///   "tree_size": 42,
///   "inclusion_proof": ["<base64 of 32 bytes>", "…"],
///   "checkpoint": "registry.example/log\n42\n<base64 root>\n\n— registry.example/log <base64 signature>\n"
/// }
/// ```
///
/// The proof hashes are standard base64 (RFC 4648 §4, padded), the encoding the checkpoint uses
/// for its root hash, leaf first (RFC 9162 §2.1.3.1 order). The leaf data is the RFC 8785
/// canonical bytes of the certificate member ([`crate::VerifiedCertificate::canonical`]). Unknown
/// members are ignored, so a later registry can add some without breaking stations in the field:
/// everything that is checked is in the members below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The certificate's 0-based position in the log.
    pub leaf_index: u64,
    /// The size of the tree the proof is for; equal to the checkpoint's size.
    pub tree_size: u64,
    /// The inclusion proof (RFC 9162 §2.1.3.1), base64 hashes, leaf first.
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint note (C2SP tlog-checkpoint) of the tree of `tree_size` leaves.
    pub checkpoint: String,
}

impl Receipt {
    /// A receipt for leaf `leaf_index` with its proof in the tree of `tree_size` leaves, whose
    /// signed checkpoint note is `checkpoint`.
    pub fn new(leaf_index: u64, tree_size: u64, proof: &[Hash], checkpoint: String) -> Self {
        Receipt {
            leaf_index,
            tree_size,
            inclusion_proof: proof.iter().map(|h| BASE64.encode(h)).collect(),
            checkpoint,
        }
    }

    /// The inclusion proof decoded.
    pub fn proof_hashes(&self) -> Result<Vec<Hash>, LogError> {
        self.inclusion_proof
            .iter()
            .enumerate()
            .map(|(position, text)| {
                let bytes = BASE64.decode(text).map_err(|e| LogError::ReceiptProofEncoding {
                    position,
                    problem: format!("{text:?} is not base64: {e}"),
                })?;
                bytes.as_slice().try_into().map_err(|_| LogError::ReceiptProofEncoding {
                    position,
                    problem: format!("it is {} bytes, a SHA-256 hash is 32", bytes.len()),
                })
            })
            .collect()
    }

    /// Checks the receipt for a certificate whose canonical bytes are `canonical_certificate`,
    /// against the registry's verifier key text `registry_vkey`: the checkpoint is signed by that
    /// key ([`verify_note`]), is of `tree_size` leaves, and the inclusion proof leads from
    /// `leaf_hash(canonical_certificate)` at `leaf_index` to its root (RFC 9162 §2.1.3.2).
    /// Returns the verified checkpoint, which an auditor can keep to check the log's consistency
    /// later.
    pub fn verify(&self, canonical_certificate: &[u8], registry_vkey: &str) -> Result<Checkpoint, LogError> {
        let checkpoint = verify_note(&self.checkpoint, registry_vkey)?;
        if checkpoint.size != self.tree_size {
            return Err(LogError::ReceiptSizeMismatch {
                receipt: self.tree_size,
                checkpoint: checkpoint.size,
            });
        }
        let proof = self.proof_hashes()?;
        verify_inclusion(
            &leaf_hash(canonical_certificate),
            self.leaf_index,
            self.tree_size,
            &proof,
            &checkpoint.root_hash,
        )?;
        Ok(checkpoint)
    }
}
