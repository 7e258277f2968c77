//! The spool: signed certificates written durably before any network use, and kept until the
//! registry has accepted them. Layout: `pending/<id>.json`, then `sent/<id>.json` with the
//! registry's answer in `sent/<id>.receipt.json`. A certificate the registry will never accept
//! (it refused the certificate itself: 400, 401, 409) is set aside in `refused/<id>.json` with
//! the registry's answer in `refused/<id>.answer.json`: kept, shown to the supervisor, not sent
//! again.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// A spool directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

/// Fsyncs a directory so a rename or creation in it survives a power cut.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `path` atomically and durably: a temporary file in the same directory,
/// fsync, rename, fsync of the directory. A crash leaves either the old state or the new file.
pub fn write_durably(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {} (is the disk full?)", path.display()))
}

impl Spool {
    /// The spool at `dir`, creating its folders.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        for sub in ["pending", "sent", "refused"] {
            fs::create_dir_all(dir.join(sub))
                .with_context(|| format!("creating the spool {}", dir.join(sub).display()))?;
        }
        Ok(Spool { dir: dir.to_owned() })
    }

    /// Where the spool is.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores a signed certificate as pending; returns its path.
    pub fn store(&self, id: &str, document: &[u8]) -> anyhow::Result<PathBuf> {
        let path = self.dir.join("pending").join(format!("{id}.json"));
        write_durably(&path, document)?;
        Ok(path)
    }

    /// Pending certificates, oldest first (ids are UUIDv7, so names sort by time).
    pub fn pending(&self) -> anyhow::Result<Vec<PathBuf>> {
        let dir = self.dir.join("pending");
        let mut out: Vec<PathBuf> = fs::read_dir(&dir)
            .with_context(|| format!("reading the spool {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Moves a pending certificate to `refused/`, with the registry's answer (or the station's
    /// own reason) beside it; returns where it is now.
    pub fn set_aside(&self, pending: &Path, answer: &[u8]) -> anyhow::Result<PathBuf> {
        let name = pending.file_name().context("a spool entry without a name")?;
        let refused = self.dir.join("refused").join(name);
        write_durably(&refused.with_extension("answer.json"), answer)?;
        fs::rename(pending, &refused)
            .with_context(|| format!("moving {} to {}", pending.display(), refused.display()))?;
        sync_dir(&self.dir.join("refused"))?;
        sync_dir(&self.dir.join("pending"))?;
        Ok(refused)
    }

    /// The certificates set aside, oldest first: (certificate file, why it was refused).
    pub fn refused(&self) -> anyhow::Result<Vec<(PathBuf, String)>> {
        let dir = self.dir.join("refused");
        let mut out: Vec<(PathBuf, String)> = fs::read_dir(&dir)
            .with_context(|| format!("reading the spool {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                name.ends_with(".json") && !name.ends_with(".answer.json") && !name.starts_with('.')
            })
            .map(|p| {
                let answer = fs::read(p.with_extension("answer.json")).unwrap_or_default();
                let why = certificate::strict::from_slice(&answer)
                    .ok()
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| String::from_utf8_lossy(&answer).into_owned());
                (p, why)
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Moves a pending certificate to `sent/`, with the registry's answer beside it.
    pub fn mark_sent(&self, pending: &Path, receipt: &[u8]) -> anyhow::Result<PathBuf> {
        let name = pending.file_name().context("a spool entry without a name")?;
        let sent = self.dir.join("sent").join(name);
        let receipt_path = sent.with_extension("receipt.json");
        write_durably(&receipt_path, receipt)?;
        fs::rename(pending, &sent)
            .with_context(|| format!("moving {} to {}", pending.display(), sent.display()))?;
        sync_dir(&self.dir.join("sent"))?;
        sync_dir(&self.dir.join("pending"))?;
        Ok(sent)
    }
}
