//! Creating accounts and API tokens, the same rules for `registry user add`, `registry token
//! add` and the admin page.

use crate::store::{Role, Store, StoreError, User};

/// Shortest password accepted (NIST SP 800-63B §5.1.1.2 asks for at least 8; we ask 12).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Why an account cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The name is empty, too long or holds characters other than letters, digits, `.-_@`.
    #[error("account name {0:?}: use 1 to 64 letters, digits or . - _ @")]
    BadName(String),
    /// The password is too short.
    #[error("the password has {0} characters; use at least {MIN_PASSWORD_CHARS}")]
    WeakPassword(usize),
    /// A donor account names no donor, or another role names one.
    #[error("{0}")]
    Donors(String),
    /// Hashing failed.
    #[error("{0}")]
    Hash(String),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates an account, hashing its password with Argon2id.
pub fn add_user(
    store: &dyn Store,
    name: &str,
    role: Role,
    password: &str,
    donors: &[String],
) -> Result<User, AccountError> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.chars().count() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if !valid {
        return Err(AccountError::BadName(name.to_owned()));
    }
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword(length));
    }
    match (role, donors.is_empty()) {
        (Role::Donor, true) => {
            return Err(AccountError::Donors(format!(
                "donor account {name}: name at least one donor (--donor NAME), whose lots it will see"
            )))
        }
        (Role::Admin | Role::Supervisor, false) => {
            return Err(AccountError::Donors(format!(
                "account {name}: only donor accounts are linked to donors; {} accounts see every lot",
                role.as_str()
            )))
        }
        _ => {}
    }
    let hash = crate::web::auth::hash_password(password).map_err(AccountError::Hash)?;
    Ok(store.add_user(name, role, &hash, donors)?)
}

/// Sets a new password (same rules as at creation) and ends the account's sessions.
pub fn set_password(store: &dyn Store, name: &str, password: &str) -> Result<(), AccountError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword(length));
    }
    let hash = crate::web::auth::hash_password(password).map_err(AccountError::Hash)?;
    Ok(store.set_password(name, &hash)?)
}

/// Creates an API token for an existing account; the token is shown once, only its SHA-256 is
/// kept.
pub fn add_token(store: &dyn Store, user: &str, label: Option<&str>) -> Result<String, StoreError> {
    crate::web::auth::create_api_token(store, user, label)
}
