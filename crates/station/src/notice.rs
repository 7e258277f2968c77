//! Notices: what the next start must tell the worker about a run that did not end well (a wipe
//! stopped by the worker, a crash or power cut, a disk unplugged mid-wipe). Each is a small file
//! in `DATA/notices/`, written when the certificate saying `interrupted` is signed, shown on the
//! first screen of the next start in plain words with what to do, and moved to
//! `DATA/notices/seen/` once the worker has read it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use certificate::{Certificate, SanitizeResult};
use serde::{Deserialize, Serialize};

use crate::spool::write_durably;

/// Why the run did not end well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The worker quit while the wipe ran.
    Stopped,
    /// The station stopped without warning (crash, power cut, forced stop): found at start-up.
    Crash,
    /// A disk went away during its wipe (unplugged, or it died).
    DiskGone,
    /// Some disk's wipe was interrupted for another reason.
    Interrupted,
}

/// One disk the notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDisk {
    /// Device path at the time.
    pub path: String,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial, when known.
    pub serial: Option<String>,
    /// The disk's result.
    pub result: SanitizeResult,
    /// The record's last error (how far it got), in the certificate's words.
    pub detail: Option<String>,
}

/// A notice for the next start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The certificate that records it.
    pub certificate_id: String,
    /// When the run started.
    pub started_at: String,
    /// Why.
    pub cause: Cause,
    /// The disks not sanitized.
    pub disks: Vec<NoticeDisk>,
}

impl Notice {
    /// The notice for `certificate`, whose disks were not all sanitized; the cause is refined
    /// from the records (a disk gone is told apart from a stop).
    pub fn of(certificate: &Certificate, cause: Cause) -> Notice {
        let disks: Vec<NoticeDisk> = certificate
            .disks
            .iter()
            .filter(|d| d.sanitization.result == SanitizeResult::Interrupted)
            .map(|d| NoticeDisk {
                path: d.path.clone(),
                model: d.model.value().cloned(),
                serial: d.serial.value().cloned(),
                result: d.sanitization.result,
                detail: d.sanitization.errors.last().map(|e| e.message.clone()),
            })
            .collect();
        let gone = disks.iter().any(|d| d.detail.as_deref().is_some_and(|m| m.contains("disappeared")));
        let cause = if cause != Cause::Crash && gone { Cause::DiskGone } else { cause };
        Notice {
            certificate_id: certificate.id.to_string(),
            started_at: certificate.started_at.to_string(),
            cause,
            disks,
        }
    }
}

/// Whether `certificate` needs a notice: a disk's wipe was interrupted.
pub fn needed(certificate: &Certificate) -> bool {
    certificate.disks.iter().any(|d| d.sanitization.result == SanitizeResult::Interrupted)
}

fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("notices")
}

/// Writes a notice durably.
pub fn save(data_dir: &Path, notice: &Notice) -> anyhow::Result<()> {
    let dir = dir(data_dir);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    write_durably(&dir.join(format!("{}.json", notice.certificate_id)), &serde_json::to_vec_pretty(notice)?)
}

/// The notices not yet read, oldest first. A file that does not read is named, not dropped.
pub fn unread(data_dir: &Path) -> Vec<Result<Notice, String>> {
    let Ok(entries) = fs::read_dir(dir(data_dir)) else { return vec![] };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            fs::read(&p)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
                .map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect()
}

/// The worker has read the notices: they move to `notices/seen/` (kept, never deleted).
pub fn mark_read(data_dir: &Path) -> anyhow::Result<()> {
    let dir = dir(data_dir);
    let seen = dir.join("seen");
    fs::create_dir_all(&seen).with_context(|| format!("creating {}", seen.display()))?;
    let Ok(entries) = fs::read_dir(&dir) else { return Ok(()) };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let to = seen.join(e.file_name());
            fs::rename(&p, &to).with_context(|| format!("moving {} to {}", p.display(), to.display()))?;
        }
    }
    crate::spool::sync_dir(&seen)?;
    Ok(())
}
