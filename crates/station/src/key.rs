//! The station's Ed25519 key, created on first use and kept in the data directory (0600).

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context as _};
use certificate::SigningIdentity;

/// File name of the key inside the data directory: the 32-byte seed, raw.
pub const KEY_FILE: &str = "station.key";

/// Loads the station key from `data_dir`, creating it (and the directory) on first use.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<SigningIdentity> {
    let path = data_dir.join(KEY_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            let mode = fs::metadata(&path)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                bail!("{} is readable by others (mode {mode:o}); run chmod 600 on it", path.display());
            }
            let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                anyhow::anyhow!(
                    "{} holds {} bytes, a station key holds 32: the file is damaged",
                    path.display(),
                    bytes.len()
                )
            })?;
            Ok(SigningIdentity::from_seed(&seed))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => create(data_dir, &path),
        Err(e) => Err(e).with_context(|| format!("reading the station key {}", path.display())),
    }
}

fn create(data_dir: &Path, path: &Path) -> anyhow::Result<SigningIdentity> {
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for the station key: {e}"))?;
    // create_new: two stations starting at once cannot overwrite each other's key.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the station key {}", path.display()))?;
    file.write_all(&seed)?;
    file.sync_all()?;
    crate::spool::sync_dir(data_dir)?;
    Ok(SigningIdentity::from_seed(&seed))
}
