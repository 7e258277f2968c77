//! The wipe journal: one small file per disk being wiped, rewritten durably every few seconds,
//! removed when the disk's record is complete. A journal found at start-up means a wipe died
//! (power loss, crash): no certificate was issued for it, and the operator is told to wipe again.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::spool::write_durably;

/// How often progress is written.
const EVERY: Duration = Duration::from_secs(5);

/// What the journal of one disk says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The device.
    pub device: String,
    /// Its size.
    pub size: u64,
    /// The method's name.
    pub method: String,
    /// When the wipe started.
    pub started_at: String,
    /// Pass in progress (1-based).
    pub pass: u32,
    /// Passes in the method.
    pub passes: u32,
    /// `writing` or `verifying`.
    pub phase: String,
    /// Bytes done in that phase.
    pub done: u64,
}

/// The journal of one disk while it is wiped.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    entry: JournalEntry,
    last_write: Instant,
}

fn file_for(dir: &Path, device: &str) -> PathBuf {
    let name: String = device.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    dir.join(format!("{name}.json"))
}

impl Journal {
    /// Starts the journal of `device` in `dir`.
    pub fn start(dir: &Path, device: &str, size: u64, method: &str) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating the journal folder {}", dir.display()))?;
        let entry = JournalEntry {
            device: device.to_owned(),
            size,
            method: method.to_owned(),
            started_at: certificate::Timestamp::now().to_string(),
            pass: 1,
            passes: 0,
            phase: "writing".into(),
            done: 0,
        };
        let j = Journal { path: file_for(dir, device), entry, last_write: Instant::now() };
        j.write()?;
        Ok(j)
    }

    fn write(&self) -> anyhow::Result<()> {
        write_durably(&self.path, &serde_json::to_vec_pretty(&self.entry)?)
    }

    /// Notes progress; writes at most every few seconds.
    pub fn progress(&mut self, p: &sanitize::Progress) {
        self.entry.pass = p.pass;
        self.entry.passes = p.passes;
        self.entry.phase = match p.phase {
            sanitize::Phase::Writing => "writing".into(),
            sanitize::Phase::Verifying => "verifying".into(),
        };
        self.entry.done = p.done;
        if self.last_write.elapsed() >= EVERY {
            self.last_write = Instant::now();
            // A failed journal write must not stop the wipe; the record still tells the truth.
            let _ = self.write();
        }
    }

    /// The disk's record is complete: the journal goes.
    pub fn finish(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Journals left by wipes that died, for the operator to hear about.
pub fn leftovers(dir: &Path) -> Vec<JournalEntry> {
    let Ok(entries) = fs::read_dir(dir) else { return vec![] };
    let mut out: Vec<JournalEntry> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| fs::read(e.path()).ok())
        .filter_map(|b| certificate::strict::from_slice_as(&b).ok())
        .collect();
    out.sort_by(|a, b| a.device.cmp(&b.device));
    out
}

/// Forgets the leftover journal of `device` (it is being wiped again).
pub fn clear(dir: &Path, device: &str) {
    let _ = fs::remove_file(file_for(dir, device));
}
