//! The registry's append-only certificate log, in the manner of Certificate Transparency: the pure
//! logic only, so the registry that keeps the log, and every station or auditor that checks a
//! receipt offline, share one definition. No I/O here.
//!
//! - [`merkle`]: the Merkle Tree Hash of RFC 6962 §2.1 / RFC 9162 §2.1 over SHA-256, inclusion
//!   and consistency proofs and their verification (RFC 9162 §2.1.3, §2.1.4), a [`CompactRange`]
//!   that appends a leaf in O(log n), and proofs computed from leaves fetched through a callback
//!   ([`subtree_hash`], [`inclusion_proof_with`], [`consistency_proof_with`]).
//! - [`note`]: C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys, and the
//!   verifier key text `<name>+<hex key id>+<base64(0x01 || public key)>`.
//! - [`checkpoint`]: C2SP tlog checkpoints (<https://c2sp.org/tlog-checkpoint>), the signed tree
//!   heads of the log.
//! - [`receipt`]: the [`Receipt`] the registry returns when it accepts a certificate, which proves
//!   offline that the certificate is in the log.
//!
//! The leaf data of the log is the RFC 8785 canonical bytes of a certificate's `certificate`
//! member, exactly what its signatures cover ([`crate::VerifiedCertificate::canonical`]).
//!
//! ```
//! use certificate::log::{self, CompactRange, Checkpoint, Receipt};
//! use certificate::SigningIdentity;
//!
//! let registry = SigningIdentity::from_seed(&[5; 32]);
//! let origin = "registry.example/log";
//! let vkey = log::vkey(origin, &registry).unwrap();
//!
//! // The registry appends three certificates (their canonical bytes).
//! let certificates: [&[u8]; 3] = [b"{\"a\":1}", b"{\"b\":2}", b"{\"c\":3}"];
//! let leaves: Vec<log::Hash> = certificates.iter().map(|c| log::leaf_hash(c)).collect();
//! let mut range = CompactRange::new();
//! for leaf in &leaves {
//!     range.append(*leaf);
//! }
//! let checkpoint = Checkpoint::new(origin, range.size(), range.root());
//! let note = checkpoint.sign(&registry).unwrap();
//! let proof = log::inclusion_proof(&leaves, 1, 3).unwrap();
//! let receipt = Receipt::new(1, 3, &proof, note);
//!
//! // A station, offline, with the registry's verifier key.
//! let verified = receipt.verify(b"{\"b\":2}", &vkey).unwrap();
//! assert_eq!(verified.size, 3);
//! assert!(receipt.verify(b"{\"b\":3}", &vkey).is_err());
//! ```

pub mod checkpoint;
pub mod merkle;
pub mod note;
pub mod receipt;

pub use checkpoint::{verify_note, Checkpoint};
pub use merkle::{
    consistency_proof, consistency_proof_with, inclusion_proof, inclusion_proof_with, leaf_hash, node_hash,
    root, subtree_hash, verify_consistency, verify_inclusion, CompactRange, Hash, EMPTY_ROOT, FETCH_CHUNK,
};
pub use note::{note_key_id, open_note, sign_note, vkey, NoteVerifier, MAX_SIGNATURES};
pub use receipt::Receipt;

/// Why a log operation or check failed. Every variant names the sizes, indices, lines or keys
/// involved, so the message alone says what to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// A leaf index at or past the tree size.
    #[error("leaf index {index} is not in a tree of {tree_size} leaves")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        tree_size: u64,
    },
    /// A tree size larger than the number of leaf hashes given.
    #[error("a tree of {tree_size} leaves was asked for, but only {available} leaf hashes were given")]
    NotEnoughLeaves {
        /// The tree size asked for.
        tree_size: u64,
        /// How many leaf hashes there are.
        available: u64,
    },
    /// A range whose end is before its start.
    #[error("the leaf range {start}..{end} ends before it starts")]
    ReversedRange {
        /// First leaf index (inclusive).
        start: u64,
        /// Last leaf index (exclusive).
        end: u64,
    },
    /// The leaf-fetching callback returned the wrong number of hashes.
    #[error("the leaf source returned {got} hashes for leaves {start}..{end}; {} were expected", end - start)]
    FetchedWrongCount {
        /// First leaf index asked for (inclusive).
        start: u64,
        /// Last leaf index asked for (exclusive).
        end: u64,
        /// How many hashes came back.
        got: u64,
    },
    /// A compact range restored from parts whose hash count does not fit its size.
    #[error("a compact range of {size} leaves holds {expected} subtree hashes (one per set bit of the size), but {got} were given")]
    CompactRangeShape {
        /// The size given.
        size: u64,
        /// `size.count_ones()`.
        expected: u32,
        /// How many hashes were given.
        got: usize,
    },
    /// A consistency proof asked between sizes in the wrong order.
    #[error("no consistency between an old tree of {old_size} leaves and a new one of {new_size}: a log only grows")]
    SizesOutOfOrder {
        /// The older size.
        old_size: u64,
        /// The newer size.
        new_size: u64,
    },
    /// An inclusion proof with more hashes than the path from the leaf to the root.
    #[error("the inclusion proof of leaf {index} in a tree of {tree_size} has {proof_len} hashes, more than the path to the root")]
    InclusionProofTooLong {
        /// Leaf index.
        index: u64,
        /// Tree size.
        tree_size: u64,
        /// Hashes in the proof.
        proof_len: usize,
    },
    /// An inclusion proof with fewer hashes than the path from the leaf to the root.
    #[error("the inclusion proof of leaf {index} in a tree of {tree_size} has {proof_len} hashes, too few to reach the root")]
    InclusionProofTooShort {
        /// Leaf index.
        index: u64,
        /// Tree size.
        tree_size: u64,
        /// Hashes in the proof.
        proof_len: usize,
    },
    /// The inclusion proof leads to another root: the leaf is not at that index of that tree.
    #[error("leaf {index} is not in the tree of {tree_size} leaves: the inclusion proof leads to root {computed}, the tree head says {expected}")]
    InclusionRootMismatch {
        /// Leaf index.
        index: u64,
        /// Tree size.
        tree_size: u64,
        /// Hex root the proof leads to.
        computed: String,
        /// Hex root expected.
        expected: String,
    },
    /// Two tree heads of the same size with different roots: the log forked.
    #[error("two tree heads of the same size {size} have different roots ({old_root} and {new_root}): the log is inconsistent")]
    SameSizeDifferentRoots {
        /// The size of both.
        size: u64,
        /// Hex first root.
        old_root: String,
        /// Hex second root.
        new_root: String,
    },
    /// A proof where none is needed (equal sizes, or from the empty tree).
    #[error(
        "the consistency proof from size {old_size} to {new_size} must be empty, it has {proof_len} hashes"
    )]
    ConsistencyProofNotEmpty {
        /// Older size.
        old_size: u64,
        /// Newer size.
        new_size: u64,
        /// Hashes in the proof.
        proof_len: usize,
    },
    /// A consistency proof of the wrong length.
    #[error("the consistency proof from size {old_size} to {new_size} has {proof_len} hashes, {problem}")]
    ConsistencyProofLength {
        /// Older size.
        old_size: u64,
        /// Newer size.
        new_size: u64,
        /// Hashes in the proof.
        proof_len: usize,
        /// "too few" or "too many", with what that means.
        problem: &'static str,
    },
    /// The consistency proof does not lead to one of the two roots.
    #[error("the consistency proof from size {old_size} to {new_size} does not lead to the {which} root: it gives {computed}, the tree head says {expected}")]
    ConsistencyRootMismatch {
        /// Older size.
        old_size: u64,
        /// Newer size.
        new_size: u64,
        /// "old" or "new".
        which: &'static str,
        /// Hex root the proof leads to.
        computed: String,
        /// Hex root expected.
        expected: String,
    },
    /// A note with an ASCII control character other than newline (C2SP signed-note, Format).
    #[error("the signed note has control character {byte:#04x} at byte {offset}; only newline is allowed")]
    NoteControlCharacter {
        /// Byte offset.
        offset: usize,
        /// The character.
        byte: u8,
    },
    /// A note or note text that does not end with a newline.
    #[error("the {what} does not end with a newline")]
    MissingFinalNewline {
        /// "signed note", "note text" or "checkpoint".
        what: &'static str,
    },
    /// No blank line between the text and the signatures.
    #[error("the signed note has no blank line separating its text from its signature lines (the text must end with a newline, then an empty line, then `— name signature` lines)")]
    NoteWithoutSignatureBlock,
    /// A blank line, but no signature line after it.
    #[error("the signed note has no signature lines after its blank line")]
    NoteWithoutSignatures,
    /// A signature line that does not parse.
    #[error("signature line {line} of the note is malformed: {problem}")]
    NoteSignatureLine {
        /// 1-based line number within the signature block.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// More signature lines than we accept.
    #[error("the signed note has {count} signature lines; at most {max} are accepted")]
    TooManySignatures {
        /// Lines found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// No signature by the trusted key.
    #[error("the note is not signed by the trusted key {name}+{key_id:08x}; it carries signatures by: {}", if .found.is_empty() { "nobody".to_string() } else { .found.join(", ") })]
    UnknownKey {
        /// Trusted key name.
        name: String,
        /// Trusted key id.
        key_id: u32,
        /// `name+id` of each signature found.
        found: Vec<String>,
    },
    /// A signature by the trusted key that does not verify.
    #[error("the signature by {name}+{key_id:08x} does not verify: the note text was altered after signing, or the signature was made by another key with the same name and id")]
    BadSignature {
        /// Key name.
        name: String,
        /// Key id.
        key_id: u32,
    },
    /// A key name that C2SP signed-note does not allow.
    #[error("key name {name:?} is not allowed: {problem}")]
    InvalidKeyName {
        /// The name.
        name: String,
        /// Why.
        problem: &'static str,
    },
    /// A verifier key that does not parse.
    #[error("verifier key {vkey:?} is malformed: {problem} (expected <name>+<8 hex digits>+<base64 of 0x01 || 32-byte Ed25519 key>)")]
    InvalidVkey {
        /// The text given.
        vkey: String,
        /// What is wrong.
        problem: String,
    },
    /// A checkpoint body that does not follow C2SP tlog-checkpoint.
    #[error("checkpoint line {line}: {problem}")]
    Checkpoint {
        /// 1-based line number in the note text.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A checkpoint from another log than the key's.
    #[error("the checkpoint's origin {origin:?} is not the name of the key that signed it ({key_name:?})")]
    OriginMismatch {
        /// The checkpoint's origin line.
        origin: String,
        /// The verifier key's name.
        key_name: String,
    },
    /// A receipt whose tree size is not its checkpoint's.
    #[error("the receipt claims a tree of {receipt} leaves but its checkpoint is of {checkpoint}")]
    ReceiptSizeMismatch {
        /// `tree_size` of the receipt.
        receipt: u64,
        /// `size` of the checkpoint.
        checkpoint: u64,
    },
    /// A receipt's proof hash that does not decode.
    #[error("inclusion proof hash {position} of the receipt: {problem}")]
    ReceiptProofEncoding {
        /// 0-based position in `inclusion_proof`.
        position: usize,
        /// What is wrong.
        problem: String,
    },
}
