//! The signed certificate file: `{"certificate": {…}, "signatures": [{keyid, public_key, sig}]}`.
//!
//! `sig` is Ed25519 (RFC 8032) over the RFC 8785 canonical bytes of the `certificate` member, as
//! received: a verifier canonicalizes the JSON it was given, never a re-serialization of its own
//! types, so an unknown or reordered field cannot slip past the signature.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::jcs::{self, CanonicalError};
use crate::model::{Certificate, SchemaViolation};

/// One signature over a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Hex SHA-256 of the raw 32-byte public key.
    pub keyid: String,
    /// Base64 (RFC 4648 §4, padded) of the raw 32-byte Ed25519 public key.
    pub public_key: String,
    /// Base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// A certificate file as received: the `certificate` member kept as raw JSON, and its signatures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedDocument {
    /// The certificate as JSON, exactly as signed (modulo whitespace and member order).
    pub certificate: Value,
    /// At least one signature; the station's comes first.
    pub signatures: Vec<Signature>,
}

/// Most signatures a certificate file may carry: the station's, and up to three
/// countersignatures (a registry's, an auditor's…; docs/certificate.md). Each costs a
/// signature verification, so the list must be short; no two may be by one key.
pub const MAX_SIGNATURES: usize = 4;

/// A certificate whose signatures verified and whose content follows the v1 schema.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCertificate {
    /// The typed certificate.
    pub certificate: Certificate,
    /// The RFC 8785 bytes that were signed (also the registry's log leaf content).
    pub canonical: Vec<u8>,
    /// Key ids of the verified signers, in document order.
    pub signers: Vec<String>,
}

/// Why a certificate file was refused. Each variant names what and where.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not JSON at all, or truncated.
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// An object repeats a member name: two readers could read two different certificates.
    #[error("{0}")]
    DuplicateMember(crate::strict::StrictJsonError),
    /// JSON, but not a certificate file (a member missing or of the wrong type).
    #[error("not a certificate file: {0}")]
    Shape(String),
    /// The file carries no signature.
    #[error("the certificate carries no signature")]
    Unsigned,
    /// More signatures than [`MAX_SIGNATURES`], or two by one key.
    #[error("{0}")]
    TooManySignatures(String),
    /// A signature's key id is not the SHA-256 of its public key.
    #[error("signature {index}: keyid {found} is not the SHA-256 of its public key ({expected})")]
    KeyIdMismatch {
        /// Index in `signatures`.
        index: usize,
        /// The key id the public key has.
        expected: String,
        /// The key id written.
        found: String,
    },
    /// A public key or signature that does not decode.
    #[error("signature {index}: {problem}")]
    Malformed {
        /// Index in `signatures`.
        index: usize,
        /// What does not decode.
        problem: String,
    },
    /// The signature does not match the certificate: it was altered, or signed by another key.
    #[error("signature {index} by key {keyid} does not match the certificate: the certificate was altered after signing, or the signature belongs to another certificate")]
    BadSignature {
        /// Index in `signatures`.
        index: usize,
        /// The signer's key id.
        keyid: String,
    },
    /// No signature was made with the key the certificate names as its station's.
    #[error("the certificate names station key {station_key_id} but no signature was made with it")]
    NotSignedByStation {
        /// `certificate.station.key_id`.
        station_key_id: String,
    },
    /// The signed content breaks the v1 schema.
    #[error("the certificate breaks the v1 schema: {}", .0.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    Schema(Vec<SchemaViolation>),
    /// The content has no canonical form.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
}

/// Hex SHA-256 of a raw 32-byte Ed25519 public key: the key id used throughout Seconde Vie.
pub fn key_id(public_key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(public_key.as_bytes()))
}

/// A station's (or registry's) Ed25519 signing key.
pub struct SigningIdentity {
    key: SigningKey,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("SigningIdentity").field("key_id", &self.key_id()).finish()
    }
}

impl SigningIdentity {
    /// The key derived from a 32-byte secret seed (RFC 8032 §5.1.5).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SigningIdentity { key: SigningKey::from_bytes(seed) }
    }

    /// The 32-byte secret seed, for storing.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Base64 of the raw 32-byte public key.
    pub fn public_key_base64(&self) -> String {
        BASE64.encode(self.public_key().as_bytes())
    }

    /// Hex SHA-256 of the raw public key.
    pub fn key_id(&self) -> String {
        key_id(&self.public_key())
    }

    /// Signs arbitrary bytes (used for log checkpoints).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// Signs a certificate: Ed25519 over the RFC 8785 bytes of its JSON form.
    pub fn sign(&self, certificate: &Certificate) -> Result<SignedDocument, CanonicalError> {
        let value = serde_json::to_value(certificate).map_err(|e| CanonicalError::UnsafeInteger {
            // Serializing our own types cannot fail but for a map with non-string keys; say so.
            number: e.to_string(),
            path: "/".into(),
        })?;
        let canonical = jcs::canonicalize(&value)?;
        let sig = self.key.sign(&canonical);
        Ok(SignedDocument {
            certificate: value,
            signatures: vec![Signature {
                keyid: self.key_id(),
                public_key: self.public_key_base64(),
                sig: BASE64.encode(sig.to_bytes()),
            }],
        })
    }
}

/// The JSON pointer (RFC 6901) of a serde path: `disks[0].serial` is `/disks/0/serial`.
fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", crate::strict::pointer_segment(key))),
            Segment::Enum { variant } => {
                out.push_str(&format!("/{}", crate::strict::pointer_segment(variant)))
            }
            Segment::Unknown => {}
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Decodes a base64 raw Ed25519 public key.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = BASE64.decode(text.trim()).map_err(|e| format!("public key is not base64: {e}"))?;
    let raw: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("public key has {} bytes, an Ed25519 key has 32", bytes.len()))?;
    VerifyingKey::from_bytes(&raw).map_err(|e| format!("public key is not a valid Ed25519 point: {e}"))
}

impl SignedDocument {
    /// Parses a certificate file, naming the line and column of any JSON error, and refusing a
    /// repeated member name anywhere in it ([`crate::strict`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self, VerifyError> {
        let value = crate::strict::from_slice(bytes).map_err(|e| match e {
            crate::strict::StrictJsonError::Syntax { line, column, message } => {
                VerifyError::Json { line, column, message }
            }
            duplicate => VerifyError::DuplicateMember(duplicate),
        })?;
        serde_json::from_value(value).map_err(|e| VerifyError::Shape(e.to_string()))
    }

    /// The file as pretty-printed JSON, ending with a newline.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Verifies every signature over the canonical bytes of `certificate`, then the v1 schema,
    /// then that the station's own key is among the signers.
    pub fn verify(&self) -> Result<VerifiedCertificate, VerifyError> {
        if self.signatures.is_empty() {
            return Err(VerifyError::Unsigned);
        }
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(VerifyError::TooManySignatures(format!(
                "the file carries {} signatures; a certificate has at most {MAX_SIGNATURES} (its station's and up to {} countersignatures)",
                self.signatures.len(),
                MAX_SIGNATURES - 1
            )));
        }
        let canonical = jcs::canonicalize(&self.certificate)?;
        let mut signers = Vec::with_capacity(self.signatures.len());
        for (index, s) in self.signatures.iter().enumerate() {
            let public = parse_public_key(&s.public_key)
                .map_err(|problem| VerifyError::Malformed { index, problem })?;
            let expected = key_id(&public);
            if !expected.eq_ignore_ascii_case(&s.keyid) {
                return Err(VerifyError::KeyIdMismatch { index, expected, found: s.keyid.clone() });
            }
            if signers.contains(&expected) {
                return Err(VerifyError::TooManySignatures(format!(
                    "signature {index}: key {expected} has already signed (signatures/{}); a key signs once",
                    signers.iter().position(|k| *k == expected).unwrap_or(0)
                )));
            }
            let sig_bytes = BASE64
                .decode(s.sig.trim())
                .map_err(|e| VerifyError::Malformed { index, problem: format!("sig is not base64: {e}") })?;
            let sig =
                ed25519_dalek::Signature::from_slice(&sig_bytes).map_err(|_| VerifyError::Malformed {
                    index,
                    problem: format!("sig has {} bytes, an Ed25519 signature has 64", sig_bytes.len()),
                })?;
            public
                .verify_strict(&canonical, &sig)
                .map_err(|_| VerifyError::BadSignature { index, keyid: expected.clone() })?;
            signers.push(expected);
        }
        let certificate: Certificate = serde_path_to_error::deserialize(&self.certificate).map_err(|e| {
            let field = json_pointer(e.path());
            let problem = e.into_inner().to_string();
            // A missing member is reported on its object; name the member itself.
            let field = match problem.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
                Some(name) => {
                    format!("{}/{}", field.trim_end_matches('/'), crate::strict::pointer_segment(name))
                }
                None => field,
            };
            VerifyError::Schema(vec![SchemaViolation { field, problem }])
        })?;
        let mut violations = certificate.validate();
        // The id is indexed and looked up in its lower-case form (RFC 9562 §4 output form); a
        // signed upper-case id would name a certificate no lookup finds.
        if let Some(id) = self.certificate.get("id").and_then(Value::as_str) {
            if id.bytes().any(|b| b.is_ascii_uppercase()) {
                violations.push(SchemaViolation {
                    field: "/id".into(),
                    problem: format!("{id} must be written in lower case ({})", certificate.id),
                });
            }
        }
        if !violations.is_empty() {
            return Err(VerifyError::Schema(violations));
        }
        if !signers.iter().any(|k| k.eq_ignore_ascii_case(&certificate.station.key_id)) {
            return Err(VerifyError::NotSignedByStation {
                station_key_id: certificate.station.key_id.clone(),
            });
        }
        Ok(VerifiedCertificate { certificate, canonical, signers })
    }
}
