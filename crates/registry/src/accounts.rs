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
    /// The password is long enough but easy to guess; the message says why.
    #[error("the password is too easy to guess: {0}; a few unrelated words make a good one")]
    Guessable(String),
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

/// Fewest different characters a password may have (12 spaces, or `aaaaaaaaaaaa`, have one).
pub const MIN_DISTINCT_CHARS: usize = 6;

/// Passwords that are long enough and still among the first an attacker tries (lists of leaked
/// passwords, keyboard walks), compared without case, spaces and punctuation.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiopas",
    "azertyuiopqs",
    "qwertyuiop123",
    "azertyuiop123",
    "passwordpassword",
    "password1234",
    "motdepasse123",
    "motdepasse1234",
    "iloveyou1234",
    "administrator",
    "administrateur",
    "secondevie",
    "changeme1234",
    "letmein12345",
    "welcome12345",
    "bienvenue123",
    "bienvenue1234",
    "abcdefghijkl",
    "abcdef123456",
    "azerty123456",
    "qwerty123456",
    "soleil123456",
    "football1234",
    "password123456",
];

/// A documented strength rule instead of an estimator (zxcvbn's Rust port carries a few MB of
/// word lists and a regex engine): NIST SP 800-63B §5.1.1.2 asks to refuse passwords that are
/// too short, repetitive or sequential, commonly used, or derived from the account's name.
/// The error says which.
pub fn check_password(account: &str, password: &str) -> Result<(), AccountError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword(length));
    }
    let guessable = |why: &str| Err(AccountError::Guessable(why.to_owned()));
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if password.trim().is_empty() {
        return guessable("it is only spaces");
    }
    if distinct.len() < MIN_DISTINCT_CHARS {
        return guessable(&format!(
            "it uses only {} different characters; use at least {MIN_DISTINCT_CHARS}",
            distinct.len()
        ));
    }
    // What is left once case, spaces, punctuation and a repeated tail are set aside.
    let folded: String =
        password.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    let codes: Vec<u32> = folded.chars().map(|c| c as u32).collect();
    if codes.len() >= 4 && codes.windows(2).all(|w| w[1] == w[0] + 1 || w[0] == w[1] + 1) {
        return guessable("it is a sequence (abcd…, 1234…)");
    }
    for period in 1..=codes.len() / 2 {
        if codes.len() % period == 0 && codes.chunks(period).all(|c| c == &codes[..period]) {
            return guessable("it repeats a short part");
        }
    }
    if COMMON_PASSWORDS.iter().any(|common| folded == *common) {
        return guessable("it is among the passwords tried first");
    }
    let name: String = account.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    if name.chars().count() >= 3
        && folded.contains(&name)
        && folded.chars().count() < name.chars().count() + 8
    {
        return guessable("it is mostly the account's name");
    }
    Ok(())
}

/// `name` trimmed, if it is a valid account name: 1 to 64 letters, digits, `.`, `-`, `_`, `@`.
fn account_name(name: &str) -> Result<&str, AccountError> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.chars().count() <= 64
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if valid {
        Ok(name)
    } else {
        Err(AccountError::BadName(name.to_owned()))
    }
}

/// Creates an account, hashing its password with Argon2id.
pub fn add_user(
    store: &dyn Store,
    name: &str,
    role: Role,
    password: &str,
    donors: &[String],
) -> Result<User, AccountError> {
    let name = account_name(name)?;
    check_password(name, password)?;
    match (role, donors.is_empty()) {
        (Role::Donor, true) => {
            return Err(AccountError::Donors(format!(
                "donor account {name}: name at least one donor (--donor NAME), whose lots it will see"
            )))
        }
        (Role::Partner, _) => {
            return Err(AccountError::Donors(format!(
            "partner account {name}: name its partner organisation (--partner NAME); it sees no donor's lots"
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

/// Creates a `partner` account acting for the partner organisation `partner` (which must exist:
/// `registry partner add`).
pub fn add_partner_user(
    store: &dyn Store,
    name: &str,
    password: &str,
    partner: &str,
) -> Result<User, AccountError> {
    let name = account_name(name)?;
    check_password(name, password)?;
    let hash = crate::web::auth::hash_password(password).map_err(AccountError::Hash)?;
    Ok(store.add_partner_user(name, &hash, partner)?)
}

/// Sets a new password (same rules as at creation) and ends the account's sessions.
pub fn set_password(store: &dyn Store, name: &str, password: &str) -> Result<(), AccountError> {
    check_password(name, password)?;
    let hash = crate::web::auth::hash_password(password).map_err(AccountError::Hash)?;
    Ok(store.set_password(name, &hash)?)
}

/// Creates an API token for an existing account; the token is shown once, only its SHA-256 is
/// kept.
pub fn add_token(store: &dyn Store, user: &str, label: Option<&str>) -> Result<String, StoreError> {
    crate::web::auth::create_api_token(store, user, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_their_reason() {
        for (password, why) in [
            ("            ", "only spaces"),
            ("aaaaaaaaaaaa", "different characters"),
            ("abababababab", "different characters"),
            ("abcdefghijklm", "sequence"),
            ("zyxwvutsrqpon", "sequence"),
            ("Qwerty123456!", "tried first"),
            ("motdepasse 1234", "tried first"),
            ("camille-2026!", "account's name"),
            ("abc123abc123abc123", "repeats"),
        ] {
            let e = check_password("camille", password).expect_err(password);
            assert!(e.to_string().contains(why), "{password:?}: {e}");
        }
        assert!(matches!(check_password("x", "short"), Err(AccountError::WeakPassword(5))));
        for good in ["correct horse battery", "another long passphrase", "camille aime les tartes aux prunes"]
        {
            assert!(check_password("camille", good).is_ok(), "{good}");
        }
    }
}
