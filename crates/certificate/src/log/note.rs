//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys (signature type 0x01).
//!
//! A signed note is a text ending in a newline, a blank line, then one or more signature lines
//! `— <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>\n`, where the dash is
//! U+2014 EM DASH followed by a space. The signature is Ed25519 (RFC 8032) over the text bytes,
//! final newline included. The key id is the first four bytes, big-endian, of
//! SHA-256(key name || 0x0A || 0x01 || 32-byte public key).
//!
//! A verifier key is written `<name>+<8 lowercase hex digits of the key id>+<base64(0x01 ||
//! 32-byte public key)>`, the text form of golang.org/x/mod/sumdb/note that the Go tools,
//! witnesses and monitors share.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest as _, Sha256};

use super::LogError;
use crate::SigningIdentity;

/// The most signature lines a note may carry before it is refused. C2SP signed-note asks
/// verifiers to accept at least 16.
pub const MAX_SIGNATURES: usize = 100;

/// U+2014 EM DASH and a space: the start of every signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Signature type of Ed25519 (C2SP signed-note, Signature types).
const ALG_ED25519: u8 = 0x01;

/// The key id of an Ed25519 note key: `SHA-256(name || 0x0A || 0x01 || public key)[:4]`, read as a
/// big-endian u32 (C2SP signed-note, Ed25519 signatures).
pub fn note_key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public_key.as_bytes());
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Key names must be non-empty and contain no Unicode space and no `+` (C2SP signed-note, Format).
fn check_key_name(name: &str) -> Result<(), LogError> {
    let problem = if name.is_empty() {
        "it is empty"
    } else if name.contains('+') {
        "it contains a plus sign (U+002B)"
    } else if name.chars().any(char::is_whitespace) {
        "it contains a space"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(LogError::InvalidKeyName { name: name.to_string(), problem })
}

/// Notes are UTF-8 (guaranteed by `&str`) with no ASCII control character but newline.
fn check_control_characters(text: &str) -> Result<(), LogError> {
    match text.bytes().enumerate().find(|&(_, b)| b < 0x20 && b != b'\n') {
        Some((offset, byte)) => Err(LogError::NoteControlCharacter { offset, byte }),
        None => Ok(()),
    }
}

/// A trusted Ed25519 note key: its name, key id and public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    public_key: VerifyingKey,
}

impl NoteVerifier {
    /// The verifier of `public_key` under `name`.
    pub fn new(name: &str, public_key: VerifyingKey) -> Result<Self, LogError> {
        check_key_name(name)?;
        Ok(NoteVerifier { name: name.to_string(), key_id: note_key_id(name, &public_key), public_key })
    }

    /// The verifier of the public half of `identity` under `name`.
    pub fn from_identity(name: &str, identity: &SigningIdentity) -> Result<Self, LogError> {
        Self::new(name, identity.public_key())
    }

    /// Parses a verifier key `<name>+<hex key id>+<base64(0x01 || public key)>`, checking that
    /// the key id is the one the name and key give.
    pub fn parse(vkey: &str) -> Result<Self, LogError> {
        let bad = |problem: String| LogError::InvalidVkey { vkey: vkey.to_string(), problem };
        // The base64 part may itself contain '+', so split at the first two only.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("it does not have three parts separated by '+'".into()));
        };
        check_key_name(name).map_err(|e| bad(e.to_string()))?;
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!("key id {id_hex:?} is not 8 hexadecimal digits")));
        }
        let key_id = u32::from_str_radix(id_hex, 16)
            .map_err(|e| bad(format!("key id {id_hex:?} does not parse: {e}")))?;
        let key = BASE64.decode(key_b64).map_err(|e| bad(format!("the key is not base64: {e}")))?;
        match key.first() {
            Some(&ALG_ED25519) => {}
            Some(other) => {
                return Err(bad(format!(
                    "key type {other:#04x} is not Ed25519 (0x01), the only type supported"
                )))
            }
            None => return Err(bad("the key is empty".into())),
        }
        let raw: [u8; 32] = key[1..].try_into().map_err(|_| {
            bad(format!("an Ed25519 key is 32 bytes after its type byte, this one is {}", key.len() - 1))
        })?;
        let public_key = VerifyingKey::from_bytes(&raw)
            .map_err(|e| bad(format!("the key is not a valid Ed25519 point: {e}")))?;
        let expected = note_key_id(name, &public_key);
        if expected != key_id {
            return Err(bad(format!(
                "key id {key_id:08x} is not the id of that name and key, which is {expected:08x}"
            )));
        }
        Ok(NoteVerifier { name: name.to_string(), key_id, public_key })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id (C2SP signed-note).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.public_key
    }
}

/// The verifier key text `<name>+<hex key id>+<base64(0x01 || public key)>`.
impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut key = Vec::with_capacity(33);
        key.push(ALG_ED25519);
        key.extend_from_slice(self.public_key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, BASE64.encode(key))
    }
}

/// The verifier key text of `identity` under `name`, to publish so stations and auditors can check
/// notes signed with [`sign_note`].
pub fn vkey(name: &str, identity: &SigningIdentity) -> Result<String, LogError> {
    Ok(NoteVerifier::from_identity(name, identity)?.to_string())
}

/// Signs `body` as a C2SP signed note by key `name`: returns `body`, a blank line and one
/// signature line. `body` must end with a newline and hold no control character but newline.
pub fn sign_note(body: &str, name: &str, identity: &SigningIdentity) -> Result<String, LogError> {
    if !body.ends_with('\n') {
        return Err(LogError::MissingFinalNewline { what: "note text" });
    }
    check_control_characters(body)?;
    check_key_name(name)?;
    let key_id = note_key_id(name, &identity.public_key());
    let mut blob = Vec::with_capacity(68);
    blob.extend_from_slice(&key_id.to_be_bytes());
    blob.extend_from_slice(&identity.sign_bytes(body.as_bytes()));
    Ok(format!("{body}\n{SIGNATURE_PREFIX}{name} {}\n", BASE64.encode(blob)))
}

/// Opens a signed note: checks its form, and that it carries a valid signature by `verifier`;
/// returns the note text (final newline included). Signatures by other keys are ignored, as C2SP
/// signed-note requires, but a signature by `verifier`'s name and id that fails refuses the note.
pub fn open_note<'a>(note: &'a str, verifier: &NoteVerifier) -> Result<&'a str, LogError> {
    check_control_characters(note)?;
    if !note.ends_with('\n') {
        return Err(LogError::MissingFinalNewline { what: "signed note" });
    }
    // The text is separated from the signatures by the last empty line.
    let split = note.rfind("\n\n").ok_or(LogError::NoteWithoutSignatureBlock)?;
    let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
    if signatures.is_empty() {
        return Err(LogError::NoteWithoutSignatures);
    }
    let lines: Vec<&str> = signatures[..signatures.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(LogError::TooManySignatures { count: lines.len(), max: MAX_SIGNATURES });
    }
    let mut verified = false;
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let bad = |problem: String| LogError::NoteSignatureLine { line: i + 1, problem };
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or_else(|| bad("it does not start with an em dash (U+2014) and a space".into()))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| bad("no space separates the key name from the signature".into()))?;
        check_key_name(name).map_err(|e| bad(e.to_string()))?;
        if b64.is_empty() {
            return Err(bad(format!("the signature by {name} is empty")));
        }
        let blob =
            BASE64.decode(b64).map_err(|e| bad(format!("the signature by {name} is not base64: {e}")))?;
        if blob.len() < 5 {
            return Err(bad(format!(
                "the signature by {name} is {} bytes, shorter than a 4-byte key id and a signature",
                blob.len()
            )));
        }
        let key_id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
        if name != verifier.name || key_id != verifier.key_id {
            found.push(format!("{name}+{key_id:08x}"));
            continue;
        }
        let signature = ed25519_dalek::Signature::from_slice(&blob[4..]).map_err(|_| {
            bad(format!("an Ed25519 signature is 64 bytes, the one by {name} is {}", blob.len() - 4))
        })?;
        verifier
            .public_key
            .verify_strict(text.as_bytes(), &signature)
            .map_err(|_| LogError::BadSignature { name: name.to_string(), key_id })?;
        verified = true;
    }
    if !verified {
        return Err(LogError::UnknownKey { name: verifier.name.clone(), key_id: verifier.key_id, found });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_follow_the_spec() {
        for good in ["example.com/log", "PeterNeumann", "a"] {
            check_key_name(good).expect(good);
        }
        for (bad, why) in
            [("", "empty"), ("a+b", "plus"), ("a b", "space"), ("a\u{a0}b", "space"), ("a\u{7f}", "control")]
        {
            let err = check_key_name(bad).expect_err(bad);
            assert!(err.to_string().contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn vkey_round_trips() {
        let key = SigningIdentity::from_seed(&[1; 32]);
        let text = vkey("registry.example/log", &key).expect("valid name");
        let parsed = NoteVerifier::parse(&text).expect("parses");
        assert_eq!(parsed.name(), "registry.example/log");
        assert_eq!(parsed.public_key(), &key.public_key());
        assert_eq!(parsed.to_string(), text);
    }
}
