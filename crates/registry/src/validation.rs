//! A supervisor's validation (or rejection) of a certificate, signed with the account's own key
//! (docs/certificate.md, "Validation").
//!
//! The registry records a second signature beside the station's: Ed25519 over the RFC 8785 bytes
//! of a small [`Statement`] that names the certificate by the SHA-256 of its canonical bytes. The
//! key is the account's, never the registry's: its seed is sealed under a key derived from the
//! account's password (Argon2id, then ChaCha20-Poly1305), so the registry cannot sign for a
//! supervisor without the password typed again, and a copy of the database signs nothing.
//! [`ValidationFile`] is what `GET /certificates/{id}/validation.json` gives and
//! `registry verify --validation` checks offline.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use certificate::{Signature, SigningIdentity};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// The statement's `schema`.
pub const SCHEMA: &str = "seconde-vie/validation/v1";

/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// A decision on a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The supervisor vouches for the certificate.
    Validated,
    /// The supervisor refuses it, with a reason.
    Rejected,
}

impl Decision {
    /// `validated` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Validated => "validated",
            Decision::Rejected => "rejected",
        }
    }

    /// The decision a form or a stored row names.
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "validated" => Some(Decision::Validated),
            "rejected" => Some(Decision::Rejected),
            _ => None,
        }
    }
}

/// Who decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    /// The account's name.
    pub name: String,
    /// Its role (`supervisor` or `admin`).
    pub role: String,
    /// Hex SHA-256 of its raw public key.
    pub key_id: String,
}

/// What the validator signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The certificate's id.
    pub certificate_id: String,
    /// Hex SHA-256 of the certificate's canonical (RFC 8785) bytes, the ones its station signed.
    pub certificate_sha256: String,
    /// The decision.
    pub decision: Decision,
    /// Why; required for a rejection, `null` when a validation gives none.
    pub reason: Option<String>,
    /// Who.
    pub validator: Validator,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// The downloadable validation: the statement, its signature and the validator's public key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationFile {
    /// The statement as signed (any member order or whitespace: its JCS form is what is signed).
    pub statement: serde_json::Value,
    /// `keyid` (SHA-256 of the public key), `public_key` and `sig`, as a certificate's.
    pub signature: Signature,
}

/// Why a validation does not verify, or cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    /// The reason breaks a rule.
    #[error(transparent)]
    Reason(#[from] ReasonError),
    /// The file is not a validation file.
    #[error("not a validation file: {0}")]
    Shape(String),
    /// The statement names another schema.
    #[error("the statement's schema is {0:?}, expected {SCHEMA:?}")]
    Schema(String),
    /// The key id is not the SHA-256 of the public key, or not the statement's validator key.
    #[error("{0}")]
    Key(String),
    /// The signature does not match the statement.
    #[error("the signature by key {0} does not match the statement: it was altered after signing, or signed by another key")]
    BadSignature(String),
    /// The statement is about another certificate, or another version of it.
    #[error("{0}")]
    OtherCertificate(String),
    /// The seed cannot be sealed or opened.
    #[error("{0}")]
    Seal(String),
}

/// Why a reason is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    /// A rejection without a reason.
    #[error("a rejection needs a reason: say what is wrong")]
    Missing,
    /// Longer than [`MAX_REASON_CHARS`].
    #[error("the reason has {0} characters; at most {MAX_REASON_CHARS}")]
    TooLong(usize),
    /// A control or bidirectional formatting character, at this character (1-based).
    #[error("the reason holds a control character (U+{code:04X}) at character {at}")]
    Control {
        /// Its code point.
        code: u32,
        /// Where, counting characters from 1.
        at: usize,
    },
}

/// Checks a decision's reason: required for a rejection (1 to [`MAX_REASON_CHARS`] characters,
/// no control character but line breaks), optional for a validation. Returns it trimmed.
pub fn check_reason(decision: Decision, reason: Option<&str>) -> Result<Option<String>, ReasonError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let Some(reason) = reason else {
        return match decision {
            Decision::Rejected => Err(ReasonError::Missing),
            Decision::Validated => Ok(None),
        };
    };
    // Line breaks from a text area are kept (as \n); anything else that moves the cursor or
    // reorders text is refused.
    let reason = reason.replace("\r\n", "\n");
    let count = reason.chars().count();
    if count > MAX_REASON_CHARS {
        return Err(ReasonError::TooLong(count));
    }
    if let Some((i, c)) =
        reason.chars().enumerate().find(|(_, c)| *c != '\n' && crate::api::is_forbidden_in_names(*c))
    {
        return Err(ReasonError::Control { code: c as u32, at: i + 1 });
    }
    Ok(Some(reason))
}

/// The hex SHA-256 of canonical certificate bytes.
pub fn certificate_sha256(canonical: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(canonical))
}

/// The JCS bytes of a statement: what is signed.
pub fn statement_bytes(statement: &serde_json::Value) -> Result<Vec<u8>, ValidationError> {
    certificate::jcs::canonicalize(statement).map_err(|e| ValidationError::Shape(e.to_string()))
}

/// Signs a statement; returns its JCS text and the signature.
pub fn sign(statement: &Statement, key: &SigningIdentity) -> Result<(String, Signature), ValidationError> {
    let value = serde_json::to_value(statement).map_err(|e| ValidationError::Shape(e.to_string()))?;
    let bytes = statement_bytes(&value)?;
    let sig = key.sign_bytes(&bytes);
    let text = String::from_utf8(bytes).map_err(|e| ValidationError::Shape(e.to_string()))?;
    Ok((
        text,
        Signature { keyid: key.key_id(), public_key: key.public_key_base64(), sig: BASE64.encode(sig) },
    ))
}

/// Checks a validation file on its own: the key id is the public key's, the statement's
/// validator key, and the signature matches the statement's JCS bytes. Returns the statement.
pub fn verify_file(file: &ValidationFile) -> Result<Statement, ValidationError> {
    let public = certificate::parse_public_key(&file.signature.public_key).map_err(ValidationError::Key)?;
    let key_id = certificate::key_id(&public);
    if !key_id.eq_ignore_ascii_case(&file.signature.keyid) {
        return Err(ValidationError::Key(format!(
            "keyid {} is not the SHA-256 of the public key ({key_id})",
            file.signature.keyid
        )));
    }
    let bytes = statement_bytes(&file.statement)?;
    let sig = BASE64
        .decode(file.signature.sig.trim())
        .ok()
        .and_then(|b| ed25519_dalek::Signature::from_slice(&b).ok())
        .ok_or_else(|| ValidationError::Shape("sig is not a base64 Ed25519 signature".into()))?;
    public.verify_strict(&bytes, &sig).map_err(|_| ValidationError::BadSignature(key_id.clone()))?;
    let statement: Statement =
        serde_json::from_value(file.statement.clone()).map_err(|e| ValidationError::Shape(e.to_string()))?;
    if statement.schema != SCHEMA {
        return Err(ValidationError::Schema(statement.schema));
    }
    if !statement.validator.key_id.eq_ignore_ascii_case(&key_id) {
        return Err(ValidationError::Key(format!(
            "the statement names validator key {}, but it was signed with {key_id}",
            statement.validator.key_id
        )));
    }
    if statement.decision == Decision::Rejected && statement.reason.is_none() {
        return Err(ValidationError::Reason(ReasonError::Missing));
    }
    Ok(statement)
}

/// Checks a validation file against a certificate: [`verify_file`], then the statement names
/// this certificate (`id`) and the SHA-256 of these canonical bytes.
pub fn verify_against(
    file: &ValidationFile,
    id: &str,
    canonical: &[u8],
) -> Result<Statement, ValidationError> {
    let statement = verify_file(file)?;
    if statement.certificate_id != id {
        return Err(ValidationError::OtherCertificate(format!(
            "the statement is about certificate {}, not {id}",
            statement.certificate_id
        )));
    }
    let sha = certificate_sha256(canonical);
    if !statement.certificate_sha256.eq_ignore_ascii_case(&sha) {
        return Err(ValidationError::OtherCertificate(format!(
            "the statement names certificate bytes with SHA-256 {}, this certificate's are {sha}: it was changed after the decision",
            statement.certificate_sha256
        )));
    }
    Ok(statement)
}

/// The file of a stored validation.
pub fn file_of(v: &crate::store::Validation) -> Result<ValidationFile, ValidationError> {
    let statement = serde_json::from_str(&v.statement).map_err(|e| ValidationError::Shape(e.to_string()))?;
    Ok(ValidationFile {
        statement,
        signature: Signature {
            keyid: v.key_id.clone(),
            public_key: v.public_key.clone(),
            sig: v.signature.clone(),
        },
    })
}

// --- The account's key, sealed under its password ------------------------------------------

/// Argon2id memory (KiB), passes and lanes for the sealing key: OWASP's second
/// recommendation (19 MiB, 2 passes, 1 lane), the `argon2` crate's default, as for passwords.
const ARGON2_M_KIB: u32 = 19 * 1024;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;

/// The prefix of a sealed seed: the format's version and the KDF's parameters.
const SEALED_PREFIX: &str = "sv-seal-v1";

fn sealing_key(
    password: &str,
    salt: &[u8],
    (m, t, p): (u32, u32, u32),
) -> Result<ring::aead::LessSafeKey, ValidationError> {
    let params = argon2::Params::new(m, t, p, Some(32)).map_err(|e| ValidationError::Seal(e.to_string()))?;
    let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    kdf.hash_password_into(password.as_bytes(), salt, &mut key)
        .map_err(|e| ValidationError::Seal(format!("deriving the sealing key: {e}")))?;
    let unbound = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &key)
        .map_err(|_| ValidationError::Seal("the sealing key was refused".into()))?;
    Ok(ring::aead::LessSafeKey::new(unbound))
}

/// What the sealed seed is bound to (the AEAD's associated data): a sealed seed copied to
/// another account's row, or to another key id, does not open.
fn bound_to(user: &str, key_id: &str) -> Vec<u8> {
    format!("seconde-vie validator key\n{user}\n{key_id}").into_bytes()
}

/// Seals a 32-byte seed under `password`: Argon2id over a random 16-byte salt gives a 256-bit
/// key; ChaCha20-Poly1305 (RFC 8439) with a random nonce encrypts and authenticates the seed,
/// bound to the account and key id. Text: `sv-seal-v1$m,t,p$salt$nonce$ciphertext` (base64).
pub fn seal_seed(
    seed: &[u8; 32],
    password: &str,
    user: &str,
    key_id: &str,
) -> Result<String, ValidationError> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut salt).map_err(|e| ValidationError::Seal(format!("no randomness: {e}")))?;
    getrandom::fill(&mut nonce).map_err(|e| ValidationError::Seal(format!("no randomness: {e}")))?;
    let key = sealing_key(password, &salt, (ARGON2_M_KIB, ARGON2_T, ARGON2_P))?;
    let mut data = seed.to_vec();
    key.seal_in_place_append_tag(
        ring::aead::Nonce::assume_unique_for_key(nonce),
        ring::aead::Aad::from(bound_to(user, key_id)),
        &mut data,
    )
    .map_err(|_| ValidationError::Seal("sealing the seed failed".into()))?;
    Ok(format!(
        "{SEALED_PREFIX}${ARGON2_M_KIB},{ARGON2_T},{ARGON2_P}${}${}${}",
        BASE64.encode(salt),
        BASE64.encode(nonce),
        BASE64.encode(&data)
    ))
}

/// Opens a sealed seed with the account's password; a wrong password (or a sealed seed of
/// another account or key) is an error, never another key.
pub fn open_seed(
    sealed: &str,
    password: &str,
    user: &str,
    key_id: &str,
) -> Result<SigningIdentity, ValidationError> {
    let damaged = || ValidationError::Seal("the stored validation key is damaged".into());
    let parts: Vec<&str> = sealed.split('$').collect();
    let [SEALED_PREFIX, params, salt, nonce, data] = parts.as_slice() else { return Err(damaged()) };
    let params: Vec<u32> = params.split(',').filter_map(|n| n.parse().ok()).collect();
    let [m, t, p] = params.as_slice() else { return Err(damaged()) };
    let salt = BASE64.decode(salt).map_err(|_| damaged())?;
    let nonce: [u8; 12] = BASE64.decode(nonce).ok().and_then(|n| n.try_into().ok()).ok_or_else(damaged)?;
    let mut data = BASE64.decode(data).map_err(|_| damaged())?;
    let key = sealing_key(password, &salt, (*m, *t, *p))?;
    let seed = key
        .open_in_place(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(bound_to(user, key_id)),
            &mut data,
        )
        .map_err(|_| ValidationError::Seal("the password does not open the validation key".into()))?;
    let seed: [u8; 32] = (&*seed).try_into().map_err(|_| damaged())?;
    let identity = SigningIdentity::from_seed(&seed);
    if identity.key_id() != key_id {
        return Err(damaged());
    }
    Ok(identity)
}

/// A new key for `user`, its seed sealed under `password`.
pub fn new_key(
    user: &str,
    password: &str,
) -> Result<(SigningIdentity, crate::store::ValidatorKey), ValidationError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| ValidationError::Seal(format!("no randomness: {e}")))?;
    let identity = SigningIdentity::from_seed(&seed);
    let key_id = identity.key_id();
    let sealed_seed = seal_seed(&seed, password, user, &key_id)?;
    let row = crate::store::ValidatorKey {
        key_id,
        user: user.to_owned(),
        public_key: identity.public_key_base64(),
        sealed_seed,
        created_at: certificate::Timestamp::now().to_string(),
    };
    Ok((identity, row))
}

/// Why an account cannot sign a decision.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The password is not the account's.
    #[error("the password is not this account's")]
    WrongPassword,
    /// Only supervisors and admins validate.
    #[error("account {0}: only supervisor and admin accounts validate certificates")]
    Role(String),
    /// Sealing or opening failed.
    #[error(transparent)]
    Seal(#[from] ValidationError),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The account's signing key, opened with its password (checked against the account first),
/// made and recorded if it has none yet. Returns the key and its stored row.
pub fn account_key(
    store: &dyn crate::store::Store,
    user: &crate::store::User,
    password: &str,
) -> Result<(SigningIdentity, crate::store::ValidatorKey), KeyError> {
    if user.role == crate::store::Role::Donor {
        return Err(KeyError::Role(user.name.clone()));
    }
    if !crate::web::auth::verify_password(&user.password_hash, password) {
        return Err(KeyError::WrongPassword);
    }
    let row = match store.validator_key(&user.name)? {
        Some(row) => row,
        None => {
            let (_, fresh) = new_key(&user.name, password)?;
            // Two requests at once: the first recorded wins, both use it.
            store.add_validator_key(&fresh)?
        }
    };
    let identity = open_seed(&row.sealed_seed, password, &row.user, &row.key_id)?;
    Ok((identity, row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_seed_opens_with_its_password_only_and_for_its_account_only() {
        let seed = [7u8; 32];
        let id = SigningIdentity::from_seed(&seed).key_id();
        let sealed = seal_seed(&seed, "correct horse battery", "camille", &id).expect("seal");
        assert!(!sealed.contains(&BASE64.encode(seed)), "the seed is not in the clear");
        let opened = open_seed(&sealed, "correct horse battery", "camille", &id).expect("opens");
        assert_eq!(opened.seed(), seed);
        for (password, user) in [("correct horse batterx", "camille"), ("correct horse battery", "dominique")]
        {
            let e = open_seed(&sealed, password, user, &id).expect_err("refused");
            assert!(e.to_string().contains("does not open"), "{e}");
        }
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(open_seed(&damaged, "correct horse battery", "camille", &id).is_err());
    }

    #[test]
    fn reasons_are_required_for_a_rejection_bounded_and_plain() {
        assert!(check_reason(Decision::Rejected, None).is_err());
        assert!(check_reason(Decision::Rejected, Some("   ")).is_err());
        assert_eq!(check_reason(Decision::Validated, Some("")).expect("ok"), None);
        assert_eq!(
            check_reason(Decision::Rejected, Some(" disque 2 non relu \r\n voir photo ")).expect("ok"),
            Some("disque 2 non relu \n voir photo".into())
        );
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert!(check_reason(Decision::Rejected, Some(&long))
            .expect_err("long")
            .to_string()
            .contains("1001"));
        let e = check_reason(Decision::Rejected, Some("ok\u{1b}[2J")).expect_err("control");
        assert!(e.to_string().contains("U+001B"), "{e}");
        assert!(check_reason(Decision::Rejected, Some("a\u{202e}b")).is_err());
    }

    fn statement(canonical: &[u8], key: &SigningIdentity) -> Statement {
        Statement {
            schema: SCHEMA.into(),
            certificate_id: "c-1".into(),
            certificate_sha256: certificate_sha256(canonical),
            decision: Decision::Rejected,
            reason: Some("disque 2 : relecture partielle".into()),
            validator: Validator { name: "camille".into(), role: "supervisor".into(), key_id: key.key_id() },
            at: "2026-12-03T10:00:00.000Z".into(),
        }
    }

    #[test]
    fn a_signed_statement_verifies_against_its_certificate_and_nothing_else() {
        let key = SigningIdentity::from_seed(&[9; 32]);
        let canonical = br#"{"id":"c-1"}"#;
        let (text, signature) = sign(&statement(canonical, &key), &key).expect("signs");
        let file = ValidationFile { statement: serde_json::from_str(&text).expect("json"), signature };
        let ok = verify_against(&file, "c-1", canonical).expect("verifies");
        assert_eq!(ok.decision, Decision::Rejected);
        let e = verify_against(&file, "c-1", br#"{"id":"c-2"}"#).expect_err("other bytes");
        assert!(e.to_string().contains("changed after the decision"), "{e}");
        assert!(verify_against(&file, "c-2", canonical).is_err());
        let mut altered = file.clone();
        altered.statement["decision"] = "validated".into();
        assert!(matches!(verify_against(&altered, "c-1", canonical), Err(ValidationError::BadSignature(_))));
        let other = SigningIdentity::from_seed(&[10; 32]);
        let mut swapped = file.clone();
        swapped.signature.public_key = other.public_key_base64();
        swapped.signature.keyid = other.key_id();
        assert!(verify_against(&swapped, "c-1", canonical).is_err());
    }
}
