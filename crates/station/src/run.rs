//! The headless station pipeline: inventory, safety checks, wipe and verify each disk, build and
//! sign the certificate, spool it durably, then push it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::bail;
use certificate::{
    Category, Certificate, Coverage, DiskError, DiskRecord, Outcome, SanitizeRecord, SanitizeResult,
    SigningIdentity, StationRef, Technique, Timestamp, Tool, Verification, SCHEMA_V1,
};
use inventory::Root;
use sanitize::safety::{self, SystemView};
use sanitize::{BlockDevice as _, DeviceFile, Progress, WipeOptions};

use crate::push::{PushOutcome, RegistryClient};
use crate::spool::Spool;

/// The software name written in certificates.
pub const TOOL_NAME: &str = "seconde-vie-station";

/// What one run does.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The disks the operator named, in order.
    pub disks: Vec<PathBuf>,
    /// Who runs the station.
    pub operator: String,
    /// The donor's lot.
    pub lot: Option<String>,
    /// The station's name, if the workshop gave one (else its key id).
    pub station_name: Option<String>,
    /// How to wipe.
    pub options: WipeOptions,
    /// Where /sys and /proc are read for the inventory and the safety checks.
    pub root: PathBuf,
    /// Where wipe journals are kept (see [`crate::journal`]); none when `None`.
    pub journal_dir: Option<PathBuf>,
    /// Let the policy choose a firmware Purge where the disk supports one (the default when the
    /// operator names no method); otherwise every disk is Cleared with `options.method`.
    pub auto_purge: bool,
}

/// Something the run reports as it goes, for a progress display.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// Work on a disk starts.
    DiskStarted {
        /// Index in the run's disk list.
        index: usize,
        /// Its path.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// Bytes moved on a disk.
    Progress {
        /// Index in the run's disk list.
        index: usize,
        /// Where the wipe is.
        progress: Progress,
    },
    /// Something the operator should read: the method chosen and why, a temporary password.
    Notice {
        /// Index in the run's disk list.
        index: usize,
        /// The message.
        message: String,
    },
    /// A disk is done.
    DiskFinished {
        /// Index in the run's disk list.
        index: usize,
        /// Its result.
        result: SanitizeResult,
    },
}

/// What a run produced.
#[derive(Debug)]
pub struct RunReport {
    /// The certificate.
    pub certificate: Certificate,
    /// Where it was spooled.
    pub spooled_at: PathBuf,
    /// What the registry said, if one was given.
    pub push: Option<PushOutcome>,
}

/// Refuses the whole run, before anything is written, if any named disk is not safe to wipe or
/// is named twice.
pub fn check_disks(disks: &[PathBuf], view: &SystemView) -> anyhow::Result<()> {
    if disks.is_empty() {
        bail!("no disk named: say which disks to wipe with --disk");
    }
    let mut seen = BTreeSet::new();
    let mut refusals = Vec::new();
    for d in disks {
        match safety::check_target(d, view) {
            Ok(_) => {
                let real = std::fs::canonicalize(d).unwrap_or_else(|_| d.clone());
                if !seen.insert(real.clone()) {
                    refusals.push(format!("{} is named twice (it is {})", d.display(), real.display()));
                }
            }
            Err(why) => refusals.push(format!("{} {why}", d.display())),
        }
    }
    if !refusals.is_empty() {
        bail!("nothing was wiped: {}", refusals.join("; "));
    }
    Ok(())
}

/// Runs the pipeline. The certificate is on disk in the spool before any network use.
pub fn run(
    config: &RunConfig,
    key: &SigningIdentity,
    spool: &Spool,
    registry: Option<&RegistryClient>,
    stop: &AtomicBool,
    mut observe: impl FnMut(RunEvent),
) -> anyhow::Result<RunReport> {
    let view = SystemView::at(&config.root);
    check_disks(&config.disks, &view)?;
    let started_at = Timestamp::now();
    let root = Root::at(&config.root);
    let host = inventory::probe_host(&root);
    let mut parts = CertificateParts {
        operator: config.operator.clone(),
        lot: config.lot.clone(),
        station_name: config.station_name.clone(),
        started_at,
        unit: host.unit,
        disks: Vec::new(),
        checks: None,
        hardware_tests: Vec::new(),
        image: None,
        grade: None,
    };
    if let Some(dir) = &config.journal_dir {
        // A crash from here on still ends in a signed record (crate::journal::recover).
        crate::journal::save_run(dir, &parts)?;
    }
    parts.disks = wipe_disks(
        &config.disks,
        &root,
        &config.options,
        config.auto_purge,
        config.journal_dir.as_deref(),
        stop,
        &mut observe,
    );
    let (certificate, spooled_at) = seal(parts, key, spool)?;
    if let Some(dir) = &config.journal_dir {
        crate::journal::clear_run(dir);
        if crate::notice::needed(&certificate) {
            let data_dir = dir.parent().unwrap_or(dir);
            crate::notice::save(
                data_dir,
                &crate::notice::Notice::of(&certificate, crate::notice::Cause::Interrupted),
            )?;
        }
    }
    let push = match registry {
        Some(client) => Some(client.push(spool, &spooled_at)?),
        None => None,
    };
    let spooled_at = match &push {
        Some(PushOutcome::Accepted { path, .. } | PushOutcome::Queued { path, .. }) => path.clone(),
        _ => spooled_at,
    };
    Ok(RunReport { certificate, spooled_at, push })
}

/// What a certificate is made of, gathered over a run (and kept in the run's journal while the
/// run goes on, see [`crate::journal`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CertificateParts {
    /// Who ran the station.
    pub operator: String,
    /// The donor's lot.
    pub lot: Option<String>,
    /// The station's name, if the workshop gave one (else its key id).
    pub station_name: Option<String>,
    /// When the run started.
    pub started_at: Timestamp,
    /// The unit's identity.
    pub unit: certificate::Unit,
    /// Every disk's record.
    pub disks: Vec<DiskRecord>,
    /// The worker's functional checks, from the station app.
    pub checks: Option<certificate::Checks>,
    /// The tests the station ran by itself (`station::checks`).
    pub hardware_tests: Vec<certificate::HardwareTest>,
    /// The operating system written after the wipe (the imaging record).
    pub image: Option<serde_json::Value>,
    /// The unit's grade (`grading::Grade` as JSON).
    pub grade: Option<serde_json::Value>,
}

/// Builds, signs and spools the certificate (durably, before any network use). Returns it with
/// the path of its file in `spool/pending`.
pub fn seal(
    parts: CertificateParts,
    key: &SigningIdentity,
    spool: &Spool,
) -> anyhow::Result<(Certificate, PathBuf)> {
    let certificate = Certificate {
        schema: SCHEMA_V1.into(),
        id: uuid::Uuid::now_v7(),
        station: StationRef { id: parts.station_name.unwrap_or_else(|| key.key_id()), key_id: key.key_id() },
        operator: parts.operator,
        lot: parts.lot,
        started_at: parts.started_at,
        finished_at: Timestamp::now(),
        tool: Tool { name: TOOL_NAME.into(), version: env!("CARGO_PKG_VERSION").into() },
        unit: parts.unit,
        result: Outcome::from_disks(&parts.disks),
        disks: parts.disks,
        image: parts.image,
        grade: parts.grade,
        checks: parts.checks,
        hardware_tests: parts.hardware_tests,
    };
    let signed = key.sign(&certificate)?;
    let spooled_at = spool.store(&certificate.id.to_string(), &signed.to_json_pretty())?;
    Ok((certificate, spooled_at))
}

/// Wipes every disk at once, each on its own thread, so a slow or hung disk delays only its own
/// record. Events reach `observe` on the calling thread, in the order they happen. The caller
/// must have run [`check_disks`].
pub fn wipe_disks(
    disks: &[PathBuf],
    root: &Root,
    options: &WipeOptions,
    auto_purge: bool,
    journal_dir: Option<&Path>,
    stop: &AtomicBool,
    mut observe: impl FnMut(RunEvent),
) -> Vec<DiskRecord> {
    let (tx, rx) = std::sync::mpsc::channel::<RunEvent>();
    let hpa_lifts =
        sanitize::hidden::kernel_log().map(|log| sanitize::hidden::lifts_in_log(&log)).unwrap_or_default();
    let shared = &Shared { root, options, auto_purge, journal_dir, stop, hpa_lifts };
    std::thread::scope(|scope| {
        let handles: Vec<_> = disks
            .iter()
            .enumerate()
            .map(|(index, path)| {
                let tx = tx.clone();
                scope.spawn(move || {
                    wipe_one(index, path, shared, |e| {
                        let _ = tx.send(e);
                    })
                })
            })
            .collect();
        drop(tx);
        for event in rx {
            observe(event);
        }
        handles
            .into_iter()
            .zip(disks)
            .map(|(h, path)| {
                h.join().unwrap_or_else(|_| {
                    let e = std::io::Error::other("the wipe thread crashed");
                    let record = failed_to_open(path, options, &e);
                    DiskRecord {
                        path: path.display().to_string(),
                        model: certificate::Probed::unavailable("the wipe thread crashed"),
                        serial: certificate::Probed::unavailable("the wipe thread crashed"),
                        wwn: certificate::Probed::unavailable("the wipe thread crashed"),
                        capacity_bytes: 0,
                        transport: certificate::Transport::Unknown,
                        smart: certificate::Probed::unavailable("the wipe thread crashed"),
                        sanitization: record,
                        identity_sources: None,
                        bridge: None,
                    }
                })
            })
            .collect()
    })
}

/// What every disk's thread shares.
struct Shared<'a> {
    root: &'a Root,
    options: &'a WipeOptions,
    auto_purge: bool,
    journal_dir: Option<&'a Path>,
    stop: &'a AtomicBool,
    /// The Host Protected Areas the kernel lifted at boot, read once from its log.
    hpa_lifts: Vec<sanitize::hidden::HpaLift>,
}

fn wipe_one(index: usize, path: &Path, shared: &Shared<'_>, mut observe: impl FnMut(RunEvent)) -> DiskRecord {
    let facts = inventory::probe_disk(path, shared.root, &grading::Policy::default_policy().disk.endurance);
    let device = path.display().to_string();
    let (capacity_bytes, sanitization) = match DeviceFile::open(path) {
        Ok(mut dev) => {
            let size = dev.size();
            observe(RunEvent::DiskStarted { index, path: path.to_owned(), size });
            let mut journal = shared.journal_dir.and_then(|dir| {
                crate::journal::clear(dir, &device);
                let identity = crate::journal::DiskIdentity {
                    model: facts.model.clone(),
                    serial: facts.serial.clone(),
                    wwn: facts.wwn.clone(),
                    transport: facts.transport,
                    smart: facts.smart.clone(),
                    identity_sources: Some(facts.identity_sources.clone()),
                    bridge: facts.bridge.clone(),
                };
                let passes = shared.options.method.specs().len() as u32;
                crate::journal::Journal::start(
                    dir,
                    &device,
                    size,
                    &shared.options.method.name(),
                    passes,
                    Some(identity),
                )
                .ok()
            });
            let (mut purge, notes) = if shared.auto_purge && dev.is_block_device() {
                choose_purge(index, path, &mut observe)
            } else {
                (None, Vec::new())
            };
            let mut on_progress = |progress: sanitize::Progress| {
                if let Some(j) = journal.as_mut() {
                    j.progress(&progress);
                }
                observe(RunEvent::Progress { index, progress })
            };
            let mut record = match purge.as_mut() {
                Some(p) => {
                    let percent = shared.options.sample_percent.unwrap_or(DEFAULT_PURGE_SAMPLE);
                    sanitize::purge::purge_and_verify(&mut dev, p, percent, shared.stop, &mut on_progress)
                }
                None => sanitize::sanitize(&mut dev, shared.options, shared.stop, &mut on_progress),
            };
            record.notes = notes;
            if dev.is_block_device() {
                record.notes.extend(hpa_lifted(path, shared.root, &shared.hpa_lifts));
            }
            for message in purge.map(|p| p.notices).unwrap_or_default() {
                observe(RunEvent::Notice { index, message });
            }
            if let Some(j) = journal {
                j.finish();
            }
            (size, record)
        }
        Err(e) => (0, failed_to_open(path, shared.options, &e)),
    };
    observe(RunEvent::DiskFinished { index, result: sanitization.result });
    DiskRecord {
        path: device,
        model: facts.model,
        serial: facts.serial,
        wwn: facts.wwn,
        capacity_bytes,
        transport: facts.transport,
        smart: facts.smart,
        sanitization,
        identity_sources: Some(facts.identity_sources),
        bridge: facts.bridge,
    }
}

/// The note of a Host Protected Area the kernel lifted on this disk at boot, if it did
/// (`sanitize::hidden`; the live USB boots with `libata.ignore_hpa=1`).
fn hpa_lifted(path: &Path, root: &Root, lifts: &[sanitize::hidden::HpaLift]) -> Option<String> {
    if lifts.is_empty() {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    let sys = std::fs::canonicalize(root.join(&format!("/sys/block/{name}"))).ok()?;
    let ata = sanitize::hidden::ata_name(&sys.to_string_lossy())?;
    lifts.iter().find(|l| l.device == ata).map(|l| l.note())
}

/// Share of the disk read back after a firmware Purge: markers at the first and last MiB and one
/// block in every stratum (see `sanitize::sampling`).
pub const DEFAULT_PURGE_SAMPLE: f64 = 10.0;

/// Asks the disk what it can do and lets the policy choose; `None` means Clear by overwrite.
/// The notes (the policy's reason and warnings) go into the record and on screen.
fn choose_purge(
    index: usize,
    path: &Path,
    observe: &mut impl FnMut(RunEvent),
) -> (Option<sanitize::purge::DevicePurge>, Vec<String>) {
    let (purge, notes) = match sanitize::firmware::detect(path) {
        Ok(caps) => {
            let plan = sanitize::firmware::policy::choose(&caps);
            let mut notes = vec![plan.reason.clone()];
            notes.extend(plan.warnings.iter().cloned());
            (sanitize::purge::DevicePurge::new(path, plan), notes)
        }
        Err(e) => (None, vec![format!("no firmware erase ({e}): cleared by overwrite")]),
    };
    for message in &notes {
        observe(RunEvent::Notice { index, message: message.clone() });
    }
    (purge, notes)
}

fn failed_to_open(path: &Path, options: &WipeOptions, e: &std::io::Error) -> SanitizeRecord {
    let now = Timestamp::now();
    let message = format!("could not open {}: {e}", path.display());
    unwritten_record(
        options.method.name(),
        options.verification,
        (now.clone(), now),
        SanitizeResult::Failed,
        message,
    )
}

/// The record of a Clear by overwrite that wrote no pass it can vouch for (the disk did not
/// open, or the wipe was interrupted and only a journal says how far it got): `message` says
/// why, over `(started_at, finished_at)`.
pub(crate) fn unwritten_record(
    method: String,
    mode: certificate::VerificationMode,
    (started_at, finished_at): (Timestamp, Timestamp),
    result: SanitizeResult,
    message: String,
) -> SanitizeRecord {
    SanitizeRecord {
        standard: sanitize::STANDARD.into(),
        category: Category::Clear,
        technique: Technique::Overwrite,
        method,
        passes: vec![],
        verification: Verification {
            mode,
            coverage: Coverage::Full,
            bytes_verified: 0,
            mismatched_bytes: 0,
            mismatches: vec![],
        },
        errors: vec![DiskError { message, range: None }],
        started_at,
        finished_at,
        result,
        notes: vec![],
    }
}
