//! Purge by firmware command, proven by reading back (NIST SP 800-88 Rev. 1 §2.5 Purge, §4.7
//! verification; IEEE 2883-2022 §6.3).
//!
//! A drive's "erase completed" is a claim, not evidence. Before the command, known markers are
//! written at sampled places (the first and last MiB and one block in every stratum, see
//! [`crate::sampling`]); after it, those places are read back: no marker may survive, and where
//! the technique defines the result (block erase, overwrite) the content must be what it says.
//! A drive that reports success but keeps data — it happens with buggy firmware — fails here.

use std::sync::atomic::AtomicBool;

use certificate::{
    ByteRange, Category, Coverage, DiskError, SanitizeRecord, SanitizeResult, Technique, Timestamp,
    Verification, VerificationMode,
};

use crate::device::{AlignedBuffer, BlockDevice, ALIGN};
use crate::overwrite::MAX_LISTED_RANGES;
use crate::sampling;

/// What the medium must look like after the command, where the standard says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Anything but the old data (cryptographic erase: the old ciphertext decrypts to noise).
    NotTheMarkers,
    /// Every block uniform (block erase leaves the vendor's erased value, 0x00 or 0xFF).
    Uniform,
    /// Exactly this repeated pattern (ATA/NVMe overwrite with a given pattern).
    Repeat(Vec<u8>),
}

/// A firmware purge command, ready to be issued to one disk.
pub trait FirmwarePurge {
    /// Name recorded as the method, e.g. `nvme-sanitize-crypto-erase`.
    fn method(&self) -> String;
    /// The technique.
    fn technique(&self) -> Technique;
    /// What the medium holds afterwards.
    fn expected(&self) -> Expected;
    /// Issues the command and waits for it, reporting progress in 1/65536ths when the drive
    /// tells it. An error says what the drive or the kernel answered.
    fn run(&mut self, progress: &mut dyn FnMut(u32)) -> Result<(), String>;
}

/// The opening of every marker of one run.
fn run_tag(nonce: u64) -> String {
    format!("SECONDE-VIE-PURGE-MARKER {nonce:016x} ")
}

/// Marker content of the 4 KiB block at `offset`: recognisable, and different for each run and
/// each place, so a stale copy from another run cannot be mistaken for it.
fn marker(nonce: u64, offset: u64, buf: &mut [u8]) {
    let tag = format!("{}{offset:016x} ", run_tag(nonce));
    for (dst, src) in buf.iter_mut().zip(tag.as_bytes().iter().cycle()) {
        *dst = *src;
    }
}

/// Writes markers, runs the purge, reads back; returns the record.
pub fn purge_and_verify(
    dev: &mut dyn BlockDevice,
    purge: &mut dyn FirmwarePurge,
    sample_percent: f64,
    stop: &AtomicBool,
    mut progress: impl FnMut(crate::Progress),
) -> SanitizeRecord {
    let started_at = Timestamp::now();
    let size = dev.size();
    let mut seed = [0u8; 8];
    let _ = getrandom::fill(&mut seed);
    let nonce = u64::from_le_bytes(seed);
    let plan = sampling::plan(size, sample_percent, nonce);
    let mut errors = Vec::new();
    let mut block = AlignedBuffer::zeroed(ALIGN);

    // 1. Markers, one aligned block at the start of every sampled range.
    let places: Vec<u64> = plan
        .ranges
        .iter()
        .map(|r| r.start - r.start % ALIGN as u64)
        .filter(|o| o + ALIGN as u64 <= size)
        .collect();
    for &o in &places {
        marker(nonce, o, block.as_mut_slice());
        if let Err(e) = dev.write_all_at(block.as_slice(), o) {
            errors.push(DiskError {
                message: format!("writing the pre-purge marker failed: {e}"),
                range: Some(ByteRange { start: o, end: o + ALIGN as u64 }),
            });
        }
    }
    if let Err(e) = dev.flush() {
        errors.push(DiskError { message: format!("flushing the markers failed: {e}"), range: None });
    }

    // 2. The command.
    let mut verification = Verification {
        mode: VerificationMode::LastPass,
        coverage: Coverage::Sampled { percent: sample_percent },
        bytes_verified: 0,
        mismatched_bytes: 0,
        mismatches: vec![],
    };
    let command = purge.run(&mut |fraction| {
        progress(crate::Progress {
            pass: 1,
            passes: 1,
            phase: crate::Phase::Writing,
            done: size / 65536 * fraction as u64,
            total: size,
        })
    });
    if let Err(message) = command {
        errors.push(DiskError { message: format!("{} failed: {message}", purge.method()), range: None });
        return record(purge, started_at, verification, errors, SanitizeResult::Failed);
    }

    // 3. Read back every sampled range.
    let expected = purge.expected();
    let run_tag = run_tag(nonce);
    let total: u64 = plan.ranges.iter().map(ByteRange::len).sum();
    let mut done = 0u64;
    let mut buf = AlignedBuffer::zeroed(sampling::SAMPLE_BLOCK as usize);
    for r in &plan.ranges {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            errors.push(DiskError {
                message: "stopped by the operator during verification".into(),
                range: None,
            });
            return record(purge, started_at, verification, errors, SanitizeResult::Interrupted);
        }
        let n = r.len() as usize;
        let data = &mut buf.as_mut_slice()[..n];
        if let Err(e) = dev.read_exact_at(data, r.start) {
            errors.push(DiskError { message: format!("read-back failed: {e}"), range: Some(*r) });
            continue;
        }
        verification.bytes_verified += n as u64;
        for (i, got) in data.chunks(ALIGN).enumerate() {
            let at = r.start + (i * ALIGN) as u64;
            // Any block opening with this run's marker tag held a marker that survived (here or
            // moved by the drive); no need to rebuild the exact marker of each place.
            let bad = got.starts_with(run_tag.as_bytes())
                || match &expected {
                    Expected::NotTheMarkers => false,
                    Expected::Uniform => got.iter().any(|&b| b != got[0]),
                    Expected::Repeat(p) => {
                        got.iter().enumerate().any(|(k, &b)| b != p[(at as usize + k) % p.len()])
                    }
                };
            if bad {
                verification.mismatched_bytes += got.len() as u64;
                let range = ByteRange { start: at, end: at + got.len() as u64 };
                let listed = verification.mismatches.len();
                match verification.mismatches.last_mut() {
                    Some(last) if last.end == range.start => last.end = range.end,
                    _ if listed < MAX_LISTED_RANGES => verification.mismatches.push(range),
                    _ => {}
                }
            }
        }
        done += n as u64;
        progress(crate::Progress { pass: 1, passes: 1, phase: crate::Phase::Verifying, done, total });
    }
    let result = if errors.is_empty() && verification.mismatched_bytes == 0 {
        SanitizeResult::Verified
    } else {
        SanitizeResult::Failed
    };
    if verification.mismatched_bytes > 0 {
        errors.push(DiskError {
            message: format!(
                "the drive reported {} complete but {} bytes at sampled places still hold pre-purge markers or not the expected content",
                purge.method(),
                verification.mismatched_bytes
            ),
            range: None,
        });
    }
    record(purge, started_at, verification, errors, result)
}

fn record(
    purge: &dyn FirmwarePurge,
    started_at: Timestamp,
    verification: Verification,
    errors: Vec<DiskError>,
    result: SanitizeResult,
) -> SanitizeRecord {
    SanitizeRecord {
        standard: crate::STANDARD.into(),
        category: Category::Purge,
        technique: purge.technique(),
        method: purge.method(),
        passes: vec![],
        verification,
        errors,
        started_at,
        finished_at: Timestamp::now(),
        result,
        notes: Vec::new(),
    }
}

/// A firmware purge of a real disk, chosen by [`crate::firmware::policy::choose`].
#[derive(Debug)]
pub struct DevicePurge {
    path: std::path::PathBuf,
    plan: crate::firmware::policy::PurgePlan,
    method: crate::firmware::PurgeMethod,
    /// Messages the operator must see (the temporary ATA password, the drive's notes).
    pub notices: Vec<String>,
}

impl DevicePurge {
    /// The purge `plan` chose for the disk at `path`, or `None` when the plan is to overwrite.
    pub fn new(path: &std::path::Path, plan: crate::firmware::policy::PurgePlan) -> Option<Self> {
        match plan.action {
            crate::firmware::policy::PlannedAction::Firmware(method) => {
                Some(DevicePurge { path: path.to_owned(), plan, method, notices: Vec::new() })
            }
            crate::firmware::policy::PlannedAction::Overwrite => None,
        }
    }
}

impl FirmwarePurge for DevicePurge {
    fn method(&self) -> String {
        self.method.name().to_owned()
    }

    fn technique(&self) -> Technique {
        use crate::firmware::PurgeMethod as M;
        match self.method {
            M::NvmeSanitizeCryptoErase | M::NvmeFormatCryptoErase | M::AtaSanitizeCryptoScramble => {
                Technique::CryptoErase
            }
            M::NvmeSanitizeBlockErase | M::AtaSanitizeBlockErase | M::NvmeFormatUserDataErase => {
                Technique::BlockErase
            }
            M::NvmeSanitizeOverwrite | M::AtaSanitizeOverwrite => Technique::Overwrite,
            M::AtaEnhancedSecurityErase | M::AtaSecurityErase => Technique::SecureErase,
        }
    }

    fn expected(&self) -> Expected {
        use crate::firmware::PurgeMethod as M;
        match self.method {
            // Block erase and the normal security erase leave the erased value (ACS-4: binary
            // zeroes or ones for the normal SECURITY ERASE UNIT).
            M::NvmeSanitizeBlockErase | M::AtaSanitizeBlockErase | M::AtaSecurityErase => Expected::Uniform,
            // Our overwrite commands use the pattern 0.
            M::NvmeSanitizeOverwrite | M::AtaSanitizeOverwrite => Expected::Repeat(vec![0]),
            // Crypto erase, enhanced erase and Format's user-data erase leave vendor content.
            _ => Expected::NotTheMarkers,
        }
    }

    fn run(&mut self, progress: &mut dyn FnMut(u32)) -> Result<(), String> {
        let path = self.path.clone();
        let mut notices = Vec::new();
        let outcome = crate::firmware::run(&path, &self.plan, |event| match event {
            crate::firmware::FirmwareEvent::TemporaryPassword { password } => notices.push(format!(
                "{}: temporary ATA user password {password:?} set for the erase; if power is lost before \
                 the end, unlock the disk with it",
                path.display()
            )),
            crate::firmware::FirmwareEvent::Progress { fraction: Some(f), .. } => {
                progress((f.clamp(0.0, 1.0) * 65536.0) as u32)
            }
            _ => {}
        });
        self.notices.extend(notices);
        match outcome {
            None => Err("the plan was to overwrite, not to purge".into()),
            Some(Ok(done)) => {
                self.notices.extend(done.notes);
                Ok(())
            }
            Some(Err(e)) => Err(e.to_string()),
        }
    }
}
