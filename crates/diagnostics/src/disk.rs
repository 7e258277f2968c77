//! One disk: its SMART short self-test, started and awaited through smartctl, and a read-speed
//! sample taken with O_DIRECT reads spread over the disk. Both only read: the disk's content is
//! untouched (the self-test runs inside the drive's firmware).

use std::fs::File;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use certificate::{CheckStatus, HardwareTest, HardwareTestKind};
use serde_json::Value;

/// Bytes per read of the speed sample.
const READ_BLOCK: usize = 4 << 20;
/// Places the read sample is spread over (start, thirds, end): a hard disk reads faster at its
/// start than at its end.
const READ_PLACES: u64 = 4;
/// Below this a disk reads too slowly to be comfortable (an old disk in PIO mode, a disk
/// retrying bad sectors): said in the details, not a failure.
const SLOW_MB_PER_S: f64 = 25.0;
/// How often a running self-test is polled.
const POLL: Duration = Duration::from_secs(5);
/// The longest wait for a short self-test when the disk does not say (ATA's is ~2 min).
const DEFAULT_SELF_TEST_WAIT: Duration = Duration::from_secs(5 * 60);

/// Where a SMART self-test stands, from smartctl's JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum SelfTest {
    /// The disk has no self-test (or smartctl cannot reach it).
    Unsupported(String),
    /// A self-test is running; percent left when known.
    Running(Option<u8>),
    /// The last self-test finished: passed or not, with the disk's words.
    Done {
        /// Completed without error.
        passed: bool,
        /// The disk's status text, e.g. "Completed: read failure".
        status: String,
    },
    /// No self-test has run yet (an empty log).
    NeverRun,
}

/// Reads the self-test state from `smartctl --json=c -c -l selftest` (or `-x`) output: ATA's
/// `ata_smart_data.self_test` and `ata_smart_self_test_log`, NVMe's `nvme_self_test_log`.
pub fn self_test_state(json: &Value) -> SelfTest {
    if let Some(status) = json.pointer("/ata_smart_data/self_test/status") {
        // ATA self-test execution status: 0xF_ is "in progress", low nibble tens of percent left.
        let value = status["value"].as_u64().unwrap_or(0);
        if value >> 4 == 0xF {
            return SelfTest::Running(status["remaining_percent"].as_u64().map(|p| p.min(100) as u8));
        }
    }
    if let Some(op) = json.pointer("/nvme_self_test_log/current_self_test_operation/value") {
        if op.as_u64().unwrap_or(0) != 0 {
            let done = json
                .pointer("/nvme_self_test_log/current_self_test_completion_percent")
                .and_then(Value::as_u64);
            return SelfTest::Running(done.map(|d| 100u64.saturating_sub(d) as u8));
        }
    }
    let ata_log = json
        .pointer("/ata_smart_self_test_log/extended/table/0")
        .or_else(|| json.pointer("/ata_smart_self_test_log/standard/table/0"));
    if let Some(entry) = ata_log {
        return SelfTest::Done {
            passed: entry.pointer("/status/passed").and_then(Value::as_bool).unwrap_or(false),
            status: entry.pointer("/status/string").and_then(Value::as_str).unwrap_or("unknown").to_owned(),
        };
    }
    if let Some(entry) = json.pointer("/nvme_self_test_log/table/0") {
        let result = entry.pointer("/self_test_result/value").and_then(Value::as_u64);
        return SelfTest::Done {
            passed: result == Some(0),
            status: entry
                .pointer("/self_test_result/string")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned(),
        };
    }
    if json.pointer("/ata_smart_self_test_log").is_some() || json.pointer("/nvme_self_test_log").is_some() {
        return SelfTest::NeverRun;
    }
    let supported =
        json.pointer("/ata_smart_data/capabilities/self_tests_supported").and_then(Value::as_bool);
    if supported == Some(true) {
        return SelfTest::NeverRun;
    }
    let why = json
        .pointer("/smartctl/messages/0/string")
        .and_then(Value::as_str)
        .unwrap_or("the disk reports no SMART self-test")
        .to_owned();
    SelfTest::Unsupported(why)
}

/// How long the disk says a short self-test takes (ATA `polling_minutes.short`).
fn short_test_minutes(json: &Value) -> Option<u64> {
    json.pointer("/ata_smart_data/self_test/polling_minutes/short").and_then(Value::as_u64)
}

fn smartctl(path: &Path, args: &[&str]) -> Result<Value, String> {
    let out = Command::new("smartctl")
        .arg("--json=c")
        .args(args)
        .arg(path)
        .output()
        .map_err(|e| format!("smartctl could not run: {e}"))?;
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("smartctl {} {}: output is not JSON ({e})", args.join(" "), path.display()))
}

/// Starts the short self-test and waits for its result (or for `stop`).
fn run_self_test(path: &Path, stop: &AtomicBool) -> (SelfTest, Duration) {
    let started = Instant::now();
    let before = match smartctl(path, &["-c", "-l", "selftest"]) {
        Ok(json) => json,
        Err(e) => return (SelfTest::Unsupported(e), started.elapsed()),
    };
    if let SelfTest::Unsupported(why) = self_test_state(&before) {
        return (SelfTest::Unsupported(why), started.elapsed());
    }
    let wait = short_test_minutes(&before)
        .map(|m| Duration::from_secs((m * 2 + 1) * 60))
        .unwrap_or(DEFAULT_SELF_TEST_WAIT)
        .min(Duration::from_secs(20 * 60));
    if let Err(e) = smartctl(path, &["-t", "short"]) {
        return (SelfTest::Unsupported(e), started.elapsed());
    }
    loop {
        let slept = Instant::now();
        while slept.elapsed() < POLL && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
        }
        if stop.load(Ordering::Relaxed) {
            // The disk finishes (or aborts) it by itself; the wipe that follows aborts it.
            return (SelfTest::Unsupported("stopped before the self-test ended".into()), started.elapsed());
        }
        match smartctl(path, &["-c", "-l", "selftest"]).map(|j| self_test_state(&j)) {
            Ok(SelfTest::Running(_)) if started.elapsed() < wait => continue,
            Ok(SelfTest::Running(left)) => {
                let left = left.map(|l| format!(", {l} % left")).unwrap_or_default();
                return (
                    SelfTest::Done {
                        passed: false,
                        status: format!("still running after {} s{left}", started.elapsed().as_secs()),
                    },
                    started.elapsed(),
                );
            }
            Ok(state) => return (state, started.elapsed()),
            Err(e) => return (SelfTest::Unsupported(e), started.elapsed()),
        }
    }
}

/// What the read sample found.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSample {
    /// Bytes read.
    pub bytes: u64,
    /// Seconds the reads took.
    pub seconds: f64,
    /// The first read error: its offset and the system's words.
    pub error: Option<(u64, String)>,
}

impl ReadSample {
    /// Megabytes (10^6 bytes) per second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }
}

/// Reads `bytes` from `path` with O_DIRECT (the page cache would answer instead of the disk
/// otherwise), in [`READ_PLACES`] runs spread from the start to the end.
pub fn read_sample(path: &Path, bytes: u64) -> Result<ReadSample, String> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .or_else(|_| File::open(path))
        .map_err(|e| format!("cannot open {} to read: {e}", path.display()))?;
    let size = {
        use std::io::Seek as _;
        let mut f = &file;
        f.seek(std::io::SeekFrom::End(0)).map_err(|e| format!("cannot size {}: {e}", path.display()))?
    };
    let block = READ_BLOCK as u64;
    let per_place = (bytes / READ_PLACES).div_ceil(block) * block;
    let mut buffer = sanitize::AlignedBuffer::zeroed(READ_BLOCK);
    let mut sample = ReadSample { bytes: 0, seconds: 0.0, error: None };
    let started = Instant::now();
    'places: for place in 0..READ_PLACES {
        if size < block {
            break;
        }
        let span = size - size.min(per_place);
        let start = (span * place / (READ_PLACES - 1).max(1)) / block * block;
        let mut offset = start;
        while offset < start + per_place && offset + block <= size {
            if let Err(e) = file.read_exact_at(buffer.as_mut_slice(), offset) {
                sample.error = Some((offset, e.to_string()));
                break 'places;
            }
            sample.bytes += block;
            offset += block;
        }
    }
    sample.seconds = started.elapsed().as_secs_f64();
    Ok(sample)
}

/// The verdict on a disk's self-test and read sample.
pub fn disk_verdict(
    self_test: Option<&SelfTest>,
    read: Option<&Result<ReadSample, String>>,
) -> (CheckStatus, Vec<String>) {
    let mut details = Vec::new();
    let mut status = CheckStatus::Skipped;
    let pass = |s: &mut CheckStatus| {
        if *s == CheckStatus::Skipped {
            *s = CheckStatus::Pass;
        }
    };
    match self_test {
        Some(SelfTest::Done { passed: true, status: text }) => {
            pass(&mut status);
            details.push(format!("SMART short self-test: {text}"));
        }
        Some(SelfTest::Done { passed: false, status: text }) => {
            status = CheckStatus::Fail;
            details.push(format!("SMART short self-test failed: {text}; do not reuse this disk"));
        }
        Some(SelfTest::Unsupported(why)) => details.push(format!("no SMART self-test: {why}")),
        Some(SelfTest::Running(_)) | Some(SelfTest::NeverRun) => {
            details.push("the SMART self-test gave no result".into())
        }
        None => {}
    }
    match read {
        Some(Ok(sample)) if sample.error.is_none() && sample.bytes > 0 => {
            pass(&mut status);
            let speed = sample.mb_per_s();
            details.push(format!("read {} MiB at {speed:.0} MB/s", sample.bytes >> 20));
            if speed < SLOW_MB_PER_S {
                details.push(format!(
                    "slower than {SLOW_MB_PER_S:.0} MB/s: an old disk, a poor cable or a disk retrying bad sectors"
                ));
            }
        }
        Some(Ok(sample)) => match &sample.error {
            Some((offset, e)) => {
                status = CheckStatus::Fail;
                details.push(format!("read error at byte {offset}: {e}; do not reuse this disk"));
            }
            None => details.push("the disk is too small for a read sample".into()),
        },
        Some(Err(e)) => details.push(e.clone()),
        None => {}
    }
    (status, details)
}

/// Self-tests (when asked) and samples (when `read_bytes` > 0) the disk at `path`.
pub fn test(path: &Path, smart_self_test: bool, read_bytes: u64, stop: &AtomicBool) -> HardwareTest {
    let self_test = smart_self_test.then(|| run_self_test(path, stop));
    let read = (read_bytes > 0).then(|| read_sample(path, read_bytes));
    let (status, details) = disk_verdict(self_test.as_ref().map(|(s, _)| s), read.as_ref());
    let mut test = HardwareTest::new(HardwareTestKind::Disk, status);
    test.device = Some(path.display().to_string());
    test.details = details;
    if let Some((state, took)) = &self_test {
        test.measure("self_test_seconds", took.as_secs_f64());
        if let SelfTest::Done { passed, .. } = state {
            test.measure("self_test_passed", if *passed { 1.0 } else { 0.0 });
        }
    }
    if let Some(Ok(sample)) = &read {
        test.measure("read_mib", (sample.bytes >> 20) as f64);
        if sample.error.is_none() && sample.bytes > 0 {
            test.measure("read_mb_per_s", sample.mb_per_s());
        }
    }
    test
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/tests/fixtures/smartctl").join(name);
        serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("JSON")
    }

    #[test]
    fn real_smartctl_outputs_give_the_self_test_state() {
        // A WD disk captured while its short self-test ran, 10 % left.
        assert_eq!(self_test_state(&fixture("hdd-wdc-wd140edfz.json")), SelfTest::Running(Some(10)));
        assert_eq!(
            self_test_state(&fixture("ssd-samsung-860evo.json")),
            SelfTest::Done { passed: true, status: "Completed without error".into() }
        );
        assert!(matches!(
            self_test_state(&fixture("hdd-hitachi-hds721050-failing.json")),
            SelfTest::Done { .. }
        ));
        assert!(matches!(
            self_test_state(&fixture("virtio-unable-to-detect.json")),
            SelfTest::Unsupported(why) if why.contains("Unable to detect device type")
        ));
    }

    #[test]
    fn ata_and_nvme_logs_in_smartctls_documented_shape() {
        let ata: Value = serde_json::json!({
            "ata_smart_data": {"self_test": {"status": {"value": 0, "passed": true}, "polling_minutes": {"short": 2}}},
            "ata_smart_self_test_log": {"standard": {"table": [
                {"type": {"value": 1}, "status": {"value": 121, "string": "Completed: read failure", "passed": false}}
            ]}}
        });
        assert_eq!(
            self_test_state(&ata),
            SelfTest::Done { passed: false, status: "Completed: read failure".into() }
        );
        assert_eq!(short_test_minutes(&ata), Some(2));
        let nvme_running: Value = serde_json::json!({"nvme_self_test_log": {
            "current_self_test_operation": {"value": 1, "string": "Short self-test in progress"},
            "current_self_test_completion_percent": 30, "table": []}});
        assert_eq!(self_test_state(&nvme_running), SelfTest::Running(Some(70)));
        let nvme_done: Value = serde_json::json!({"nvme_self_test_log": {
            "current_self_test_operation": {"value": 0},
            "table": [{"self_test_code": {"value": 1}, "self_test_result": {"value": 0, "string": "Completed without error"}}]}});
        assert_eq!(
            self_test_state(&nvme_done),
            SelfTest::Done { passed: true, status: "Completed without error".into() }
        );
        assert_eq!(
            self_test_state(
                &serde_json::json!({"nvme_self_test_log": {"current_self_test_operation": {"value": 0}}})
            ),
            SelfTest::NeverRun
        );
    }

    #[test]
    fn verdicts() {
        let ok = Ok(ReadSample { bytes: 256 << 20, seconds: 2.0, error: None });
        let done = SelfTest::Done { passed: true, status: "Completed without error".into() };
        assert_eq!(disk_verdict(Some(&done), Some(&ok)).0, CheckStatus::Pass);
        let failed = SelfTest::Done { passed: false, status: "Completed: read failure".into() };
        assert_eq!(disk_verdict(Some(&failed), Some(&ok)).0, CheckStatus::Fail);
        let bad = Ok(ReadSample {
            bytes: 8 << 20,
            seconds: 1.0,
            error: Some((8 << 20, "Input/output error".into())),
        });
        let (status, details) = disk_verdict(None, Some(&bad));
        assert_eq!(status, CheckStatus::Fail);
        assert!(details[0].contains("read error at byte 8388608"), "{details:?}");
        let slow = Ok(ReadSample { bytes: 64 << 20, seconds: 4.0, error: None });
        let (status, details) = disk_verdict(Some(&SelfTest::Unsupported("virtio".into())), Some(&slow));
        assert_eq!(status, CheckStatus::Pass);
        assert!(details.iter().any(|d| d.contains("slower than")), "{details:?}");
        assert_eq!(disk_verdict(Some(&SelfTest::Unsupported("x".into())), None).0, CheckStatus::Skipped);
    }

    #[test]
    fn a_read_sample_of_a_real_file_reads_what_was_asked_across_the_file() {
        let path = std::env::temp_dir().join(format!("sv-diag-read-{}.img", std::process::id()));
        std::fs::write(&path, vec![7u8; 64 << 20]).expect("file");
        let sample = read_sample(&path, 16 << 20).expect("reads");
        assert_eq!(sample.bytes, 16 << 20);
        assert!(sample.error.is_none());
        let tested = test(&path, false, 16 << 20, &AtomicBool::new(false));
        assert_eq!(tested.status, CheckStatus::Pass, "{tested:?}");
        assert!(tested.measurement("read_mb_per_s").is_some());
        let _ = std::fs::remove_file(&path);
        let missing = test(&path, false, 16 << 20, &AtomicBool::new(false));
        assert_eq!(missing.status, CheckStatus::Skipped);
        assert!(missing.details[0].contains("cannot open"), "{missing:?}");
    }
}
