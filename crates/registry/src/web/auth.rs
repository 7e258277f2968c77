//! Accounts, sessions, API tokens and CSRF tokens (docs/web.md, "Sessions and CSRF").
//!
//! Passwords are hashed with Argon2id (RFC 9106) in PHC string form. Session and API tokens are
//! 256 random bits: the database keeps only their SHA-256, so a copy of the database opens no
//! session (a fast hash is enough for a secret with 256 bits of entropy, unlike a password).
//! Every form of a session carries the session's synchronizer token (OWASP CSRF Prevention Cheat
//! Sheet, "Synchronizer Token Pattern"), compared in constant time.

use axum::http::HeaderMap;

use crate::store::{Store, StoreError, User};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sv_session";
/// The cookie that carries the login form's token before there is a session.
pub const LOGIN_COOKIE: &str = "sv_login";
/// How long a session lasts.
pub const SESSION_SECONDS: u64 = 12 * 3600;

/// Hashes a password with Argon2id and a random 128-bit salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness for the salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| format!("encoding the salt: {e}"))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing the password: {e}"))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the account does not exist, so a wrong
/// name takes as long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let password = random_token().unwrap_or_else(|_| "decoy password".to_owned());
        hash_password(&password).unwrap_or_default()
    })
}

/// A fresh 256-bit random token, base64url without padding (43 characters).
pub fn random_token() -> Result<String, StoreError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Db { backend: "os", message: format!("no randomness for a token: {e}") })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 (hex) under which a token is stored.
pub fn token_sha256(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from the request's `Cookie` headers (RFC 6265 §5.4).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
}

/// A `Set-Cookie` value for one of our cookies: HttpOnly, SameSite=Strict, Path=/, and Secure
/// when the registry is reached over HTTPS (`--secure-cookies`).
pub fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// How a request proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session: the SHA-256 of its token and its CSRF token.
    Session {
        /// The stored hash of the session token.
        token_sha256: String,
        /// The synchronizer token its forms carry.
        csrf: String,
    },
    /// An API token (`Authorization: Bearer`); no forms, so no CSRF token.
    ApiToken,
}

/// The account behind a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Its account.
    pub user: User,
    /// How it authenticated.
    pub credential: Credential,
}

impl Principal {
    /// The session's CSRF token (empty for API tokens, which never post forms).
    pub fn csrf(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf, .. } => csrf,
            Credential::ApiToken => "",
        }
    }
}

/// Finds the account behind a request: a Bearer API token, else the session cookie. Expired
/// sessions count as none.
pub fn principal(store: &dyn Store, headers: &HeaderMap) -> Result<Option<Principal>, StoreError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer {
        return Ok(store
            .api_token_user(&token_sha256(token))?
            .map(|user| Principal { user, credential: Credential::ApiToken }));
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let hash = token_sha256(&token);
    let Some(session) = store.session(&hash)? else { return Ok(None) };
    let now = certificate::Timestamp::now();
    let expired = certificate::Timestamp::parse(&session.expires_at).map(|e| e <= now).unwrap_or(true);
    if expired {
        return Ok(None);
    }
    Ok(Some(Principal {
        user: session.user,
        credential: Credential::Session { token_sha256: hash, csrf: session.csrf },
    }))
}

/// Creates a session for `user`; returns its token (for the cookie).
pub fn open_session(store: &dyn Store, user: &str) -> Result<String, StoreError> {
    let token = random_token()?;
    let expires = certificate::Timestamp::from(
        std::time::SystemTime::now() + std::time::Duration::from_secs(SESSION_SECONDS),
    );
    store.add_session(&token_sha256(&token), user, &random_token()?, expires.as_str())?;
    Ok(token)
}

/// Creates an API token for `user`; returns the token, shown once.
pub fn create_api_token(store: &dyn Store, user: &str, label: Option<&str>) -> Result<String, StoreError> {
    let token = format!("sv_{}", random_token()?);
    store.add_api_token(&token_sha256(&token), user, label)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct hors"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert_ne!(hash, hash_password("correct horse").expect("hash"), "salted");
    }

    #[test]
    fn tokens_are_256_bits_and_compare_in_constant_time() {
        let a = random_token().expect("token");
        assert_eq!(a.len(), 43);
        let b = random_token().expect("token");
        assert_ne!(a, b);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        assert!(!constant_time_eq("abc", "abcd"));
        assert_eq!(token_sha256("x").len(), 64);
    }

    #[test]
    fn cookies_are_parsed_from_every_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(axum::http::header::COOKIE, "a=1; sv_session=tok".parse().expect("header"));
        h.append(axum::http::header::COOKIE, "sv_lang=en".parse().expect("header"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, "sv_lang").as_deref(), Some("en"));
        assert_eq!(cookie(&h, "missing"), None);
        let set = set_cookie(SESSION_COOKIE, "t", 10, true);
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!set_cookie(SESSION_COOKIE, "t", 10, false).contains("Secure"));
    }
}
