//! Disk sanitization: NIST SP 800-88 Rev. 1 Clear by overwrite, with read-back verification.
//!
//! The entry point is [`sanitize`]: it runs a [`Method`]'s passes over a [`BlockDevice`],
//! verifies as asked, and returns the [`certificate::SanitizeRecord`] the certificate embeds.
//! [`safety::check_target`] must pass before a device is opened; [`DeviceFile`] opens files and
//! block devices with O_DIRECT. Progress is reported through a callback so a terminal UI, a
//! progress bar or a test can follow it.
//!
//! ```
//! use std::sync::atomic::AtomicBool;
//! use sanitize::{sanitize, DeviceFile, Method, WipeOptions};
//! # let dir = std::env::temp_dir().join(format!("sv-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("disk.img");
//! std::fs::write(&path, vec![0xA5; 1 << 20]).unwrap();
//! let mut disk = DeviceFile::open(&path).unwrap();
//! let record = sanitize(&mut disk, &WipeOptions::default(), &AtomicBool::new(false), |_| {});
//! assert!(record.is_verified());
//! assert!(std::fs::read(&path).unwrap().iter().all(|&b| b == 0));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![deny(missing_docs)]

mod device;
pub mod firmware;
pub mod hidden;
pub mod method;
pub mod overwrite;
pub mod pattern;
pub mod purge;
pub mod safety;
pub mod sampling;

use std::sync::atomic::AtomicBool;

use certificate::{
    Category, Coverage, OverwritePass, SanitizeRecord, SanitizeResult, Technique, Timestamp, Verification,
    VerificationMode,
};

pub use device::{AlignedBuffer, BlockDevice, DeviceFile, ALIGN};
pub use method::{Method, PassSpec};
pub use overwrite::{Phase, PhaseOutcome, Progress};
pub use pattern::{EntropyError, EntropySource, OsEntropy, PassPattern, RandomAlgorithm, RandomStream};

/// The standard every record cites.
pub const STANDARD: &str = "NIST SP 800-88 Rev. 1";

/// How to wipe.
#[derive(Debug, Clone, PartialEq)]
pub struct WipeOptions {
    /// The passes.
    pub method: Method,
    /// Which passes are read back.
    pub verification: VerificationMode,
    /// Read back only this share of the disk, in percent (see [`sampling`]); `None` reads all.
    pub sample_percent: Option<f64>,
    /// The keystream of random passes; `None` takes the faster on this processor
    /// ([`RandomAlgorithm::for_this_machine`]).
    pub random_algorithm: Option<RandomAlgorithm>,
}

impl Default for WipeOptions {
    fn default() -> Self {
        WipeOptions {
            method: Method::Zero,
            verification: VerificationMode::LastPass,
            sample_percent: None,
            random_algorithm: None,
        }
    }
}

/// Runs every pass of the method over `dev`, verifies as asked, and returns the record.
///
/// Never fails as a function: every error lands in the record, whose result says
/// [`SanitizeResult::Verified`] only when every pass completed and the read-back matched.
/// Setting `stop` ends the run after the current chunk with [`SanitizeResult::Interrupted`].
/// Random seeds come from the operating system ([`OsEntropy`]).
pub fn sanitize(
    dev: &mut dyn BlockDevice,
    options: &WipeOptions,
    stop: &AtomicBool,
    progress: impl FnMut(Progress),
) -> SanitizeRecord {
    sanitize_with_entropy(dev, options, &mut OsEntropy, stop, progress)
}

/// [`sanitize`] with the seeds of random passes (and the draw of a sampled verification) taken
/// from `entropy`. Each seed is drawn just before its pass; when the source fails, that pass is
/// not written, the run stops there and the record says [`SanitizeResult::Failed`] with the
/// reason: a wipe never falls back to a predictable stream.
pub fn sanitize_with_entropy(
    dev: &mut dyn BlockDevice,
    options: &WipeOptions,
    entropy: &mut dyn EntropySource,
    stop: &AtomicBool,
    progress: impl FnMut(Progress),
) -> SanitizeRecord {
    let algorithm = options.random_algorithm.unwrap_or_else(RandomAlgorithm::for_this_machine);
    let specs = options.method.specs();
    let next = |i: usize, entropy: &mut dyn EntropySource| specs[i].clone().pattern(algorithm, entropy);
    run_passes(dev, &options.method.name(), specs.len(), next, entropy, options, stop, progress)
}

/// [`sanitize`] with the passes (and their random seeds) given: for tests and for restarting.
pub fn sanitize_passes(
    dev: &mut dyn BlockDevice,
    method_name: &str,
    passes: &[PassPattern],
    options: &WipeOptions,
    stop: &AtomicBool,
    progress: impl FnMut(Progress),
) -> SanitizeRecord {
    let next = |i: usize, _: &mut dyn EntropySource| Ok(passes[i].clone());
    run_passes(dev, method_name, passes.len(), next, &mut OsEntropy, options, stop, progress)
}

/// The passes, each made by `next_pass` just before it is written.
#[allow(clippy::too_many_arguments)]
fn run_passes(
    dev: &mut dyn BlockDevice,
    method_name: &str,
    count: usize,
    mut next_pass: impl FnMut(usize, &mut dyn EntropySource) -> Result<PassPattern, EntropyError>,
    entropy: &mut dyn EntropySource,
    options: &WipeOptions,
    stop: &AtomicBool,
    mut progress: impl FnMut(Progress),
) -> SanitizeRecord {
    let started_at = Timestamp::now();
    let total = count as u32;
    let mut record_passes = Vec::with_capacity(count);
    let mut errors = Vec::new();
    let mut interrupted = None;
    let sample = options.sample_percent.filter(|p| *p < 100.0);
    let mut verification = Verification {
        mode: options.verification,
        coverage: match sample {
            Some(percent) => Coverage::Sampled { percent },
            None => Coverage::Full,
        },
        bytes_verified: 0,
        mismatched_bytes: 0,
        mismatches: Vec::new(),
    };
    for i in 0..count {
        let number = i as u32 + 1;
        let pattern = match next_pass(i, entropy) {
            Ok(pattern) => pattern,
            Err(e) => {
                errors.push(certificate::DiskError {
                    message: format!(
                        "pass {number} of {total} (random) was not written: no seed could be drawn, because {e}; \
                         a wipe never writes a predictable stream instead"
                    ),
                    range: None,
                });
                break;
            }
        };
        let pattern = &pattern;
        let pass_started = Timestamp::now();
        let written = overwrite::write_pass(dev, pattern, stop, |done, total_bytes| {
            progress(Progress {
                pass: number,
                passes: total,
                phase: Phase::Writing,
                done,
                total: total_bytes,
            })
        });
        record_passes.push(OverwritePass {
            number,
            pattern: pattern.to_record(),
            bytes_written: written.bytes,
            started_at: pass_started,
            finished_at: Timestamp::now(),
        });
        errors.extend(written.errors);
        if written.interrupted.is_some() {
            interrupted = written.interrupted;
            break;
        }
        let read_back = match options.verification {
            VerificationMode::None => false,
            VerificationMode::LastPass => number == total,
            VerificationMode::EveryPass => true,
        };
        if read_back {
            let plan = match sample
                .map(|percent| random_u64(entropy).map(|at| sampling::plan(dev.size(), percent, at)))
            {
                Some(Err(e)) => {
                    errors.push(certificate::DiskError {
                        message: format!(
                            "pass {number} was not read back: the sample could not be drawn, because {e}"
                        ),
                        range: None,
                    });
                    break;
                }
                Some(Ok(plan)) => Some(plan),
                None => None,
            };
            let ranges = plan.as_ref().map(|p| p.ranges.as_slice());
            let checked = overwrite::verify_pass(dev, pattern, ranges, stop, |done, total_bytes| {
                progress(Progress {
                    pass: number,
                    passes: total,
                    phase: Phase::Verifying,
                    done,
                    total: total_bytes,
                })
            });
            verification.bytes_verified += checked.bytes;
            verification.mismatched_bytes += checked.mismatched_bytes;
            verification.mismatches.extend(checked.mismatches);
            errors.extend(checked.errors);
            if checked.interrupted.is_some() {
                interrupted = checked.interrupted;
                break;
            }
        }
    }
    let result = if interrupted.is_some() {
        SanitizeResult::Interrupted
    } else if !errors.is_empty() || verification.mismatched_bytes > 0 {
        SanitizeResult::Failed
    } else if options.verification == VerificationMode::None {
        SanitizeResult::NotVerified
    } else {
        SanitizeResult::Verified
    };
    if let Some(why) = interrupted {
        errors.push(certificate::DiskError { message: why, range: None });
    }
    SanitizeRecord {
        standard: STANDARD.into(),
        category: Category::Clear,
        technique: Technique::Overwrite,
        method: method_name.into(),
        passes: record_passes,
        verification,
        errors,
        started_at,
        finished_at: Timestamp::now(),
        result,
        notes: Vec::new(),
    }
}

/// Where a sampled verification starts its draw: unpredictable, so a drive cannot know which
/// blocks will be read.
fn random_u64(entropy: &mut dyn EntropySource) -> Result<u64, EntropyError> {
    let mut b = [0u8; 8];
    entropy.fill(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Reads a whole device back against a pass's content (`station verify`): a repeated pattern,
/// or a recorded random pass, regenerated from its algorithm and seed.
pub fn verify_device(
    dev: &mut dyn BlockDevice,
    pattern: &PassPattern,
    stop: &AtomicBool,
    mut progress: impl FnMut(u64, u64),
) -> PhaseOutcome {
    overwrite::verify_pass(dev, pattern, None, stop, &mut progress)
}

/// Parses what `station verify --pattern` takes: `zero`, `one`, hex bytes (`00`, `ff`,
/// `924924`), or a recorded random pass as `random:ALGORITHM:SEED` (the `algorithm` and `seed`
/// of the certificate's pass, e.g. `random:aes128-ctr-sp800-38a:00112233…`).
pub fn parse_pass_pattern(text: &str) -> Result<PassPattern, String> {
    match text.strip_prefix("random:") {
        Some(rest) => {
            let (algorithm, seed) = rest.split_once(':').ok_or_else(|| {
                format!("{text:?}: say random:ALGORITHM:SEED, as the certificate's pass records them")
            })?;
            RandomStream::from_record(algorithm, seed).map(PassPattern::Random)
        }
        None => parse_pattern(text).map(PassPattern::Repeat),
    }
}

/// Parses a pattern given as `zero`, `one`, or hex bytes (`00`, `ff`, `924924`).
pub fn parse_pattern(text: &str) -> Result<Vec<u8>, String> {
    match text {
        "zero" => Ok(vec![0]),
        "one" => Ok(vec![0xff]),
        hex if !hex.is_empty() && hex.len() % 2 == 0 && hex.len() <= 64 => (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| format!("{text:?} is not hex")))
            .collect(),
        _ => Err(format!("{text:?} is not a pattern: say zero, one, or up to 32 hex bytes like 924924")),
    }
}
