//! Seat keys, derived on the server from one master secret so a PC's key is the same on every
//! boot and after a server restart, and no PC keeps a secret of its own between boots.
//!
//! seed = SHA-256("seconde-vie seat key v1\0" ‖ master ‖ seat name), an Ed25519 seed (RFC 8032
//! § 5.1.5 takes any 32 bytes).

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use anyhow::{bail, Context as _};
use certificate::SigningIdentity;
use sha2::{Digest as _, Sha256};

/// The master secret's file name in `data_dir`.
pub const MASTER_FILE: &str = "master.key";

/// The derivation's domain separation prefix.
const CONTEXT: &[u8] = b"seconde-vie seat key v1\0";

/// The 32-byte seed of `seat`'s key under `master`.
pub fn seat_seed(master: &[u8; 32], seat: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(CONTEXT);
    h.update(master);
    h.update(seat.as_bytes());
    h.finalize().into()
}

/// `seat`'s signing key.
pub fn seat_identity(master: &[u8; 32], seat: &str) -> SigningIdentity {
    SigningIdentity::from_seed(&seat_seed(master, seat))
}

/// Reads `data_dir/master.key`, creating it (32 random bytes, 0600) when it does not exist yet.
pub fn load_or_create_master(data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = data_dir.join(MASTER_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            let mode = fs::metadata(&path)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                bail!("{} is readable by others (mode {mode:o}); run chmod 600 on it", path.display());
            }
            bytes.as_slice().try_into().map_err(|_| {
                anyhow::anyhow!(
                    "{} holds {} bytes, a master key holds 32: the file is damaged",
                    path.display(),
                    bytes.len()
                )
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(data_dir)
                .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
            let mut master = [0u8; 32];
            getrandom::fill(&mut master)
                .map_err(|e| anyhow::anyhow!("no randomness for the master key: {e}"))?;
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("creating the master key {}", path.display()))?;
            f.write_all(&master)?;
            f.sync_all()?;
            station::spool::sync_dir(data_dir)?;
            Ok(master)
        }
        Err(e) => Err(e).with_context(|| format!("reading the master key {}", path.display())),
    }
}

/// Reads the master key without creating it (for `status` and `enrol` before a first `serve`).
pub fn read_master(data_dir: &Path) -> anyhow::Result<Option<[u8; 32]>> {
    let path = data_dir.join(MASTER_FILE);
    if !path.exists() {
        return Ok(None);
    }
    load_or_create_master(data_dir).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_master_and_seat_same_key_else_different() {
        let master = [7u8; 32];
        let a = seat_identity(&master, "etabli-1");
        assert_eq!(a.public_key_base64(), seat_identity(&master, "etabli-1").public_key_base64());
        assert_ne!(a.public_key_base64(), seat_identity(&master, "etabli-2").public_key_base64());
        assert_ne!(a.public_key_base64(), seat_identity(&[8u8; 32], "etabli-1").public_key_base64());
        // "etabli-1" ‖ "0" and "etabli-10" must not meet through a shifted master: the seat is last.
        assert_ne!(seat_seed(&master, "etabli-1"), seat_seed(&master, "etabli-10"));
        // The derivation is pinned: a change would give every enrolled seat a new key.
        assert_eq!(
            hex::encode(seat_seed(&[0u8; 32], "etabli-1")),
            hex::encode(Sha256::digest([CONTEXT, &[0u8; 32], b"etabli-1"].concat()))
        );
    }

    #[test]
    fn the_master_key_is_created_once_0600() {
        let dir = std::env::temp_dir().join(format!("sv-master-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(read_master(&dir).expect("no file is fine"), None);
        let m1 = load_or_create_master(&dir).expect("created");
        let m2 = load_or_create_master(&dir).expect("read back");
        assert_eq!(m1, m2);
        assert_eq!(fs::metadata(dir.join(MASTER_FILE)).expect("exists").permissions().mode() & 0o777, 0o600);
        fs::set_permissions(dir.join(MASTER_FILE), fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(load_or_create_master(&dir).expect_err("refused").to_string().contains("chmod 600"));
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
