//! `station netboot --server URL`: a PC booted from the bench server asks it for its settings
//! and its station key (by the MAC addresses of its network cards) and writes them into the data
//! directory, before the app or the batch run starts (docs/netboot.md).

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use base64::Engine as _;

/// The batch file `station netboot` writes in batch mode, in the data directory.
pub const BATCH_FILE: &str = "batch.toml";

/// What the bench server answers for this PC (`GET /api/bench/v1/settings`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NetbootSettings {
    /// The seat's name.
    pub seat: String,
    /// The station's `settings.toml`.
    pub settings_toml: String,
    /// Base64 of the 32-byte Ed25519 seed.
    pub station_key: String,
    /// `app` or `batch`.
    pub mode: String,
    /// The batch file, in batch mode.
    pub batch_toml: Option<String>,
}

/// The MAC addresses of this machine's network cards, from `sys_class_net`
/// (`/sys/class/net`): `lo` and virtual interfaces (no `device` link: bridges, veth, tun) are
/// left out, as are all-zero addresses. Sorted, lower case.
pub fn machine_macs(sys_class_net: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(sys_class_net)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "lo" && e.path().join("device").exists())
        .filter_map(|e| fs::read_to_string(e.path().join("address")).ok())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| a.len() == 17 && a != "00:00:00:00:00:00")
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Asks the bench server at `server` for the settings of the PC with these MAC addresses.
pub fn fetch(server: &str, macs: &[String]) -> anyhow::Result<NetbootSettings> {
    let base = server.trim_end_matches('/');
    if macs.is_empty() {
        bail!("no network card found to ask the bench server {base} with (give --mac)");
    }
    let query: Vec<String> = macs.iter().map(|m| format!("mac={m}")).collect();
    let url = format!("{base}/api/bench/v1/settings?{}", query.join("&"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent
        .get(&url)
        .call()
        .map_err(|e| anyhow::anyhow!("the bench server {base} cannot be reached: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| anyhow::anyhow!("the bench server {base}: reading its answer: {e}"))?;
    if status != 200 {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let message = v["error"]["message"].as_str().unwrap_or(&text);
        bail!("the bench server {base} refused the settings (HTTP {status}): {message}");
    }
    serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("the bench server {base} answered settings that do not read: {e}"))
}

/// Writes a secret file: mode 0600 from its creation, fsync, rename, fsync of the directory.
fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".station.key.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        crate::spool::sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Writes `settings.toml`, `station.key` and (batch mode) `batch.toml` into `data_dir`, each
/// durably; in app mode a `batch.toml` left from before is removed. A different `station.key`
/// already there is kept (an error) unless `replace_key`. Returns the files written.
pub fn install(data_dir: &Path, s: &NetbootSettings, replace_key: bool) -> anyhow::Result<Vec<PathBuf>> {
    let seed = base64::engine::general_purpose::STANDARD
        .decode(s.station_key.trim())
        .ok()
        .filter(|k| k.len() == 32)
        .context("the bench server sent a station key that is not 32 bytes of base64")?;
    toml::from_str::<crate::app::settings::Settings>(&s.settings_toml)
        .context("the bench server sent settings the station does not read")?;
    let batch = match (s.mode.as_str(), &s.batch_toml) {
        ("app", _) => None,
        ("batch", Some(b)) => {
            toml::from_str::<crate::app::batch::BatchFile>(b)
                .context("the bench server sent a batch file the station does not read")?;
            Some(b)
        }
        ("batch", None) => bail!("the bench server said mode \"batch\" without a batch file"),
        (other, _) => bail!("the bench server said mode {other:?}; this station knows \"app\" and \"batch\""),
    };
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let key_path = data_dir.join(crate::key::KEY_FILE);
    match fs::read(&key_path) {
        Ok(old) if old == seed => {}
        Ok(_) if !replace_key => bail!(
            "{} holds another station key; it is kept (use --replace-key to take the bench server's key for seat {})",
            key_path.display(),
            s.seat
        ),
        _ => write_secret(&key_path, &seed)?,
    }
    let mut written = vec![key_path];
    let settings = crate::app::settings::Settings::path(data_dir);
    crate::spool::write_durably(&settings, s.settings_toml.as_bytes())?;
    written.push(settings);
    let batch_path = data_dir.join(BATCH_FILE);
    match batch {
        Some(b) => {
            crate::spool::write_durably(&batch_path, b.as_bytes())?;
            written.push(batch_path);
        }
        None => match fs::remove_file(&batch_path) {
            Ok(()) => crate::spool::sync_dir(data_dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing the old {}", batch_path.display())),
        },
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_of_real_cards_only() {
        let root = std::env::temp_dir().join(format!("sv-netboot-macs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (name, mac, device) in [
            ("lo", "00:00:00:00:00:00", false),
            ("enp2s0", "52:54:00:AB:CD:EF\n", true),
            ("wlp3s0", "52:54:00:12:34:56\n", true),
            ("virbr0", "52:54:00:99:99:99\n", false),
            ("dummy", "00:00:00:00:00:00\n", true),
        ] {
            let d = root.join(name);
            fs::create_dir_all(&d).expect("mkdir");
            fs::write(d.join("address"), mac).expect("write");
            if device {
                fs::create_dir_all(d.join("device")).expect("mkdir");
            }
        }
        assert_eq!(machine_macs(&root), ["52:54:00:12:34:56", "52:54:00:ab:cd:ef"]);
        fs::remove_dir_all(&root).expect("cleanup");
    }
}
