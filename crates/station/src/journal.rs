//! The wipe journals: what a wipe in progress leaves on the station's data partition so that an
//! interruption never goes unrecorded.
//!
//! - One small file per disk being wiped (`<device>.json`), rewritten durably every few seconds
//!   with the pass, the phase and the bytes done, and holding the disk's identity (model, serial)
//!   from the start. It is removed when the disk's record is complete.
//! - One file for the run (`run.json`): what the certificate will be made of (unit, lot,
//!   operator, the checks so far, and the disks' records once the wipe ended), written when the
//!   wipe starts and when it ends, removed once the certificate is signed and spooled.
//!
//! A journal found at start-up means the station died (crash, power cut, `kill -9`) before it
//! could sign: [`recover`] turns what the journals say into a signed certificate whose disks are
//! `interrupted`, with the pass and how far it got, and leaves a [`crate::notice`] that the next
//! screen shows the worker in plain words.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use certificate::{
    DiskRecord, Probed, SanitizeResult, SigningIdentity, SmartVerdict, Timestamp, Transport, VerificationMode,
};
use serde::{Deserialize, Serialize};

use crate::run::CertificateParts;
use crate::spool::{write_durably, Spool};

/// How often progress is written.
const EVERY: Duration = Duration::from_secs(5);

/// The run's journal file in the journal directory.
const RUN_FILE: &str = "run.json";

/// Who the disk is, as recorded when its wipe started (so a certificate made after a crash still
/// names the disk, even if the stick now boots on another PC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiskIdentity {
    /// Model string.
    pub model: Probed<String>,
    /// Serial number.
    pub serial: Probed<String>,
    /// World Wide Name.
    pub wwn: Probed<String>,
    /// How it is attached.
    pub transport: Transport,
    /// SMART verdict.
    pub smart: Probed<SmartVerdict>,
    /// Where each identity field came from.
    #[serde(default)]
    pub identity_sources: Option<certificate::IdentitySources>,
    /// The USB bridge the disk was behind, if any.
    #[serde(default)]
    pub bridge: Option<certificate::UsbBridge>,
    /// The medium (type, source, backup), as the certificate records it.
    #[serde(default)]
    pub media: Option<certificate::Media>,
}

/// What the journal of one disk says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// When the journal was last written.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The disk's identity (absent in journals of older versions).
    #[serde(default)]
    pub disk: Option<DiskIdentity>,
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
    pub fn start(
        dir: &Path,
        device: &str,
        size: u64,
        method: &str,
        passes: u32,
        disk: Option<DiskIdentity>,
    ) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating the journal folder {}", dir.display()))?;
        let now = Timestamp::now().to_string();
        let entry = JournalEntry {
            device: device.to_owned(),
            size,
            method: method.to_owned(),
            started_at: now.clone(),
            pass: 1,
            passes,
            phase: "writing".into(),
            done: 0,
            updated_at: Some(now),
            disk,
        };
        // The first progress report is written at once, then every few seconds.
        let last_write = Instant::now().checked_sub(EVERY).unwrap_or_else(Instant::now);
        let j = Journal { path: file_for(dir, device), entry, last_write };
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
            self.entry.updated_at = Some(Timestamp::now().to_string());
            // A failed journal write must not stop the wipe; the record still tells the truth.
            let _ = self.write();
        }
    }

    /// The disk's record is complete: the journal goes.
    pub fn finish(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A disk journal left behind, or one that could not be read (a power cut can leave a file
/// that is not what we wrote; it is reported, never silently dropped).
#[derive(Debug, Clone, PartialEq)]
pub enum Leftover {
    /// A journal that reads.
    Entry(Box<JournalEntry>),
    /// A journal file that does not read: its path and why.
    Unreadable(PathBuf, String),
}

fn disk_journal_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return vec![] };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != RUN_FILE && !n.to_string_lossy().starts_with('.')))
        .collect();
    out.sort();
    out
}

/// Journals left by wipes that died, for the operator to hear about.
pub fn leftovers(dir: &Path) -> Vec<Leftover> {
    let mut out: Vec<Leftover> = disk_journal_files(dir)
        .into_iter()
        .map(|path| match fs::read(&path) {
            // Strict: a journal with a member named twice is not guessed at (I-JSON).
            Ok(bytes) => match certificate::strict::from_slice_as::<JournalEntry>(&bytes) {
                Ok(e) => Leftover::Entry(Box::new(e)),
                Err(e) => Leftover::Unreadable(path, format!("not a wipe journal: {e}")),
            },
            Err(e) => Leftover::Unreadable(path, e.to_string()),
        })
        .collect();
    out.sort_by_key(|l| match l {
        Leftover::Entry(e) => e.device.clone(),
        Leftover::Unreadable(p, _) => p.display().to_string(),
    });
    out
}

/// Forgets the leftover journal of `device` (it is being wiped again).
pub fn clear(dir: &Path, device: &str) {
    let _ = fs::remove_file(file_for(dir, device));
}

/// Records what the run's certificate will be made of (durably): at the wipe's start, with no
/// disks yet, and at its end, with every disk's record.
pub fn save_run(dir: &Path, parts: &CertificateParts) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating the journal folder {}", dir.display()))?;
    write_durably(&dir.join(RUN_FILE), &serde_json::to_vec_pretty(parts)?)
}

/// The run's certificate is signed and spooled: its journal goes.
pub fn clear_run(dir: &Path) {
    let _ = fs::remove_file(dir.join(RUN_FILE));
}

/// What [`recover`] made of the journals.
#[derive(Debug)]
pub struct Recovered {
    /// The certificates it signed and spooled, with their paths.
    pub certificates: Vec<(certificate::Certificate, PathBuf)>,
    /// The notices it left for the next screen.
    pub notices: Vec<crate::notice::Notice>,
}

fn interrupted_record(e: &JournalEntry, found_at: &Timestamp) -> DiskRecord {
    const UNKNOWN: &str = "not recorded before the interruption (journal of an older version)";
    let disk = e.disk.clone().unwrap_or_else(|| DiskIdentity {
        model: Probed::unavailable(UNKNOWN),
        serial: Probed::unavailable(UNKNOWN),
        wwn: Probed::unavailable(UNKNOWN),
        transport: Transport::Unknown,
        smart: Probed::unavailable(UNKNOWN),
        identity_sources: None,
        bridge: None,
        media: None,
    });
    let started_at = Timestamp::parse(&e.started_at).unwrap_or_else(|_| found_at.clone());
    let last = e.updated_at.as_deref().and_then(|t| Timestamp::parse(t).ok()).unwrap_or(started_at.clone());
    let percent = if e.size == 0 { 0.0 } else { 100.0 * e.done as f64 / e.size as f64 };
    let passes = if e.passes == 0 { "?".to_owned() } else { e.passes.to_string() };
    let message = format!(
        "interrupted: the station stopped (power cut, crash or forced stop) during pass {} of {passes} \
         ({}), {} of {} bytes done ({percent:.1} %) when last noted at {last}; the station found the \
         wipe journal at its next start ({found_at}) and made this record. The disk is not sanitized: \
         wipe it again",
        e.pass, e.phase, e.done, e.size
    );
    DiskRecord {
        path: e.device.clone(),
        model: disk.model,
        serial: disk.serial,
        wwn: disk.wwn,
        capacity_bytes: e.size,
        transport: disk.transport,
        smart: disk.smart,
        identity_sources: disk.identity_sources,
        bridge: disk.bridge,
        media: disk.media,
        sanitization: {
            let mut record = crate::run::unwritten_record(
                e.method.clone(),
                VerificationMode::LastPass,
                (started_at, last),
                SanitizeResult::Interrupted,
                message,
            );
            if e.phase == "verifying" {
                record.verification.bytes_verified = e.done;
            }
            record
        },
    }
}

fn unreadable_record(path: &Path, why: &str, found_at: &Timestamp) -> DiskRecord {
    let reason = format!("the wipe journal {} could not be read: {why}", path.display());
    DiskRecord {
        path: path.file_stem().map(|s| s.to_string_lossy().replace('_', "/")).unwrap_or_default(),
        model: Probed::unavailable(reason.clone()),
        serial: Probed::unavailable(reason.clone()),
        wwn: Probed::unavailable(reason.clone()),
        capacity_bytes: 0,
        transport: Transport::Unknown,
        smart: Probed::unavailable(reason.clone()),
        identity_sources: None,
        bridge: None,
        media: None,
        sanitization: crate::run::unwritten_record(
            "unknown".into(),
            VerificationMode::LastPass,
            (found_at.clone(), found_at.clone()),
            SanitizeResult::Interrupted,
            format!("interrupted: {reason}; a wipe was under way and did not finish. Wipe it again"),
        ),
    }
}

fn unknown_unit(why: &str) -> certificate::Unit {
    certificate::Unit {
        vendor: Probed::unavailable(why),
        model: Probed::unavailable(why),
        serial: Probed::unavailable(why),
        uuid: Probed::unavailable(why),
        chassis: Probed::unavailable(why),
    }
}

/// Turns the journals in `dir` left by a run that died into signed, spooled certificates (one
/// for the run when its journal is there, else one per disk, as the bay makes them) and notices
/// for the worker; then removes the journals. Nothing is removed before its certificate is in
/// the spool.
pub fn recover(
    dir: &Path,
    data_dir: &Path,
    key: &SigningIdentity,
    spool: &Spool,
) -> anyhow::Result<Recovered> {
    let found_at = Timestamp::now();
    let run_path = dir.join(RUN_FILE);
    let run: Option<Result<CertificateParts, String>> = match fs::read(&run_path) {
        Ok(bytes) => Some(certificate::strict::from_slice_as(&bytes).map_err(|e| e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(e.to_string())),
    };
    let leftovers = leftovers(dir);
    let mut out = Recovered { certificates: Vec::new(), notices: Vec::new() };
    if run.is_none() && leftovers.is_empty() {
        return Ok(out);
    }
    let records: Vec<(DiskRecord, PathBuf)> = leftovers
        .iter()
        .map(|l| match l {
            Leftover::Entry(e) => (interrupted_record(e, &found_at), file_for(dir, &e.device)),
            Leftover::Unreadable(p, why) => (unreadable_record(p, why, &found_at), p.clone()),
        })
        .collect();
    let mut groups: Vec<(CertificateParts, Vec<PathBuf>)> = Vec::new();
    match run {
        Some(Ok(mut parts)) => {
            // Disks whose wipe ended are in the run's journal; those still in progress come
            // from their own journals, in place of any stale record of the same device.
            for (record, _) in &records {
                parts.disks.retain(|d| d.path != record.path);
            }
            parts.disks.extend(records.iter().map(|(r, _)| r.clone()));
            let files = records.into_iter().map(|(_, p)| p).collect();
            groups.push((parts, files));
        }
        run => {
            let why = match run {
                Some(Err(e)) => format!("the run's journal {} could not be read: {e}", run_path.display()),
                _ => "not recorded before the interruption".to_owned(),
            };
            for (record, file) in records {
                groups.push((
                    CertificateParts {
                        operator: "station".into(),
                        lot: None,
                        station_name: None,
                        started_at: record.sanitization.started_at.clone(),
                        unit: unknown_unit(&why),
                        disks: vec![record],
                        checks: None,
                        hardware_tests: Vec::new(),
                        image: None,
                        grade: None,
                        performed_by: None,
                        post_sanitization: None,
                    },
                    vec![file],
                ));
            }
        }
    }
    for (parts, files) in groups {
        let (certificate, path) = crate::run::seal(parts, key, spool).context(
            "signing the record of an interrupted wipe (its journals are kept for the next start)",
        )?;
        let notice = crate::notice::Notice::of(&certificate, crate::notice::Cause::Crash);
        crate::notice::save(data_dir, &notice)?;
        for f in files {
            let _ = fs::remove_file(f);
        }
        out.notices.push(notice);
        out.certificates.push((certificate, path));
    }
    let _ = fs::remove_file(&run_path);
    Ok(out)
}
