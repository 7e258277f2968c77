//! C2SP tlog checkpoints (<https://c2sp.org/tlog-checkpoint>): the log's signed tree head.
//!
//! The note text is the origin line, the tree size in decimal, the base64 (RFC 4648 §4) root hash
//! of the RFC 6962 Merkle tree at that size, then optional non-empty extension lines, each line
//! ending in a newline:
//!
//! ```text
//! registry.example/log
//! 8
//! XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=
//! ```
//!
//! (The root of the eight-leaf tree of the RFC 6962 reference test vectors.)
//!
//! It is signed as a C2SP signed note ([`super::note`]) by a key whose name is the origin.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::merkle::Hash;
use super::note::{open_note, sign_note, NoteVerifier};
use super::LogError;
use crate::SigningIdentity;

/// A tree head of the log: the body of a C2SP tlog checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `registry.example/log`; also the name of its signing key.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The RFC 6962 Merkle Tree Hash of the first `size` leaves.
    pub root_hash: Hash,
    /// Extension lines, opaque and optional (the spec does not recommend them); each non-empty.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root_hash: Hash) -> Self {
        Checkpoint { origin: origin.into(), size, root_hash, extensions: Vec::new() }
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` and one line per extension.
    pub fn to_body(&self) -> String {
        let mut body = format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root_hash));
        for extension in &self.extensions {
            body.push_str(extension);
            body.push('\n');
        }
        body
    }

    /// Parses a note text as a checkpoint, refusing anything C2SP tlog-checkpoint does not allow:
    /// fewer than three lines, an empty origin, a size with a sign, leading zeros or beyond
    /// 2^64 - 1, a root that is not the base64 of 32 bytes, an empty extension line, a control
    /// character, a missing final newline.
    pub fn parse(body: &str) -> Result<Self, LogError> {
        let Some(text) = body.strip_suffix('\n') else {
            return Err(LogError::MissingFinalNewline { what: "checkpoint" });
        };
        let lines: Vec<&str> = text.split('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            if let Some(c) = line.chars().find(|c| c.is_control()) {
                return Err(LogError::Checkpoint {
                    line: i + 1,
                    problem: format!("it contains the control character {:?}", c),
                });
            }
        }
        if lines.len() < 3 {
            return Err(LogError::Checkpoint {
                line: lines.len() + 1,
                problem: "missing: a checkpoint has an origin line, a tree size line and a root hash line"
                    .into(),
            });
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(LogError::Checkpoint { line: 1, problem: "the origin is empty".into() });
        }
        let size_text = lines[1];
        let size_problem = if size_text.is_empty() {
            Some("the tree size is empty".to_string())
        } else if !size_text.bytes().all(|b| b.is_ascii_digit()) {
            Some(format!("the tree size {size_text:?} is not a decimal number"))
        } else if size_text.len() > 1 && size_text.starts_with('0') {
            Some(format!("the tree size {size_text:?} has leading zeros"))
        } else {
            None
        };
        if let Some(problem) = size_problem {
            return Err(LogError::Checkpoint { line: 2, problem });
        }
        let size: u64 = size_text.parse().map_err(|_| LogError::Checkpoint {
            line: 2,
            problem: format!("the tree size {size_text} is beyond 2^64 - 1"),
        })?;
        let root = BASE64.decode(lines[2]).map_err(|e| LogError::Checkpoint {
            line: 3,
            problem: format!("the root hash {:?} is not base64: {e}", lines[2]),
        })?;
        let root_hash: Hash = root.as_slice().try_into().map_err(|_| LogError::Checkpoint {
            line: 3,
            problem: format!("the root hash is {} bytes, a SHA-256 hash is 32", root.len()),
        })?;
        let mut extensions = Vec::new();
        for (i, line) in lines.iter().enumerate().skip(3) {
            if line.is_empty() {
                return Err(LogError::Checkpoint {
                    line: i + 1,
                    problem: "an extension line is empty".into(),
                });
            }
            extensions.push(line.to_string());
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root_hash, extensions })
    }

    /// Signs the checkpoint as a C2SP signed note by key `identity` named after the origin, after
    /// checking that its body parses back to itself (so an origin with a newline, say, is
    /// refused rather than signed).
    pub fn sign(&self, identity: &SigningIdentity) -> Result<String, LogError> {
        let bad = |line: usize, problem: &str| LogError::Checkpoint { line, problem: problem.to_string() };
        if self.origin.is_empty() {
            return Err(bad(1, "the origin is empty"));
        }
        if self.origin.chars().any(char::is_control) {
            return Err(bad(1, "the origin contains a control character or newline"));
        }
        for (i, extension) in self.extensions.iter().enumerate() {
            if extension.is_empty() {
                return Err(bad(i + 4, "an extension line is empty"));
            }
            if extension.chars().any(char::is_control) {
                return Err(bad(i + 4, "an extension line contains a control character or newline"));
            }
        }
        let body = self.to_body();
        let reparsed = Self::parse(&body)?;
        if reparsed != *self {
            return Err(LogError::Checkpoint {
                line: 1,
                problem: "the checkpoint's fields do not survive its text form (a field holds a newline?)"
                    .into(),
            });
        }
        sign_note(&body, &self.origin, identity)
    }
}

/// Verifies a signed checkpoint note against the verifier key text `vkey`
/// (`<name>+<hex key id>+<base64 key>`, see [`NoteVerifier`]) and parses it. Refuses a malformed
/// note, a missing or failing signature by that key, a body that is not a checkpoint, and a
/// checkpoint whose origin is not the key's name (C2SP tlog-checkpoint: the key name should match
/// the origin; we require it, so a checkpoint of another log signed by the same key cannot pass
/// for ours).
pub fn verify_note(note: &str, vkey: &str) -> Result<Checkpoint, LogError> {
    let verifier = NoteVerifier::parse(vkey)?;
    let body = open_note(note, &verifier)?;
    let checkpoint = Checkpoint::parse(body)?;
    if checkpoint.origin != verifier.name() {
        return Err(LogError::OriginMismatch {
            origin: checkpoint.origin,
            key_name: verifier.name().to_string(),
        });
    }
    Ok(checkpoint)
}
