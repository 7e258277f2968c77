//! The processor under load: every logical CPU hashes a known block with SHA-256 again and
//! again for the set time and checks each digest against the one it computed first (a wrong
//! digest is an unstable processor, cache or memory path), while the temperatures and the
//! throttling counters are watched once a second.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certificate::{CheckStatus, HardwareTest, HardwareTestKind};
use inventory::Root;
use sha2::{Digest as _, Sha256};

use crate::sensors;

/// Bytes each thread hashes per round: fits in any L2 cache since 2005, so the test loads the
/// cores rather than waits on memory.
const BLOCK: usize = 64 << 10;
/// Without a declared critical temperature, the one at which a desktop processor of 2008–2020
/// is in trouble (Intel's Tjunction max is 100–105 °C; AMD's 70–95 °C).
const DEFAULT_CRITICAL_CELSIUS: f64 = 95.0;
/// How close to the critical temperature counts as overheating.
const CRITICAL_MARGIN_CELSIUS: f64 = 5.0;

/// What a load run measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CpuRun {
    /// Threads that ran.
    pub threads: u32,
    /// How long they ran.
    pub seconds: f64,
    /// MiB hashed per second, all threads together.
    pub mib_per_s: f64,
    /// Digests that did not match the expected one.
    pub wrong_results: u64,
    /// Processor temperature before the load, °C.
    pub start_celsius: Option<f64>,
    /// Hottest processor temperature during the load, °C.
    pub max_celsius: Option<f64>,
    /// The sensors' critical temperature, °C.
    pub critical_celsius: Option<f64>,
    /// Throttling events counted during the load.
    pub throttle_events: Option<u64>,
}

/// The verdict on a load run, with its reasons in words.
pub fn cpu_verdict(run: &CpuRun) -> (CheckStatus, Vec<String>) {
    let mut details = vec![format!(
        "{} threads computed for {:.0} s at {:.0} MiB/s of SHA-256 together",
        run.threads, run.seconds, run.mib_per_s
    )];
    let mut status = CheckStatus::Pass;
    if run.wrong_results > 0 {
        status = CheckStatus::Fail;
        details.push(format!(
            "{} results were wrong: the processor, its cache or its memory is unstable",
            run.wrong_results
        ));
    }
    let critical = run.critical_celsius.unwrap_or(DEFAULT_CRITICAL_CELSIUS);
    match run.max_celsius {
        Some(max) => {
            let start = run.start_celsius.map(|s| format!(" (from {s:.0} °C)")).unwrap_or_default();
            details.push(format!("hottest {max:.0} °C{start}, critical {critical:.0} °C"));
            if max >= critical - CRITICAL_MARGIN_CELSIUS {
                status = CheckStatus::Fail;
                details.push(
                    "it overheats under load: clean the fan and heatsink and renew the thermal paste, then test again"
                        .into(),
                );
            }
        }
        None => details.push("no processor temperature sensor could be read".into()),
    }
    if let Some(events) = run.throttle_events.filter(|&n| n > 0) {
        details.push(format!("slowed down {events} times to cool off: the cooling is weak, clean the fan"));
    }
    (status, details)
}

/// The expected digest of thread `index`'s block, and the block.
fn block_for(index: usize) -> (Vec<u8>, [u8; 32]) {
    let block: Vec<u8> = (0..BLOCK).map(|i| (i.wrapping_mul(31) ^ index.wrapping_mul(131)) as u8).collect();
    let expected: [u8; 32] = Sha256::digest(&block).into();
    (block, expected)
}

/// Loads every logical CPU for `duration` and judges the run.
/// Ends early when `cancel` is set.
pub fn stress(root: &Root, duration: Duration, cancel: &AtomicBool) -> HardwareTest {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let stop = Arc::new(AtomicBool::new(false));
    let start_thermal = sensors::thermal(root);
    let throttle_before = sensors::throttle_count(root);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|index| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let (block, expected) = block_for(index);
                let (mut rounds, mut wrong) = (0u64, 0u64);
                while !stop.load(Ordering::Relaxed) {
                    let digest: [u8; 32] = Sha256::digest(std::hint::black_box(&block)).into();
                    if digest != expected {
                        wrong += 1;
                    }
                    rounds += 1;
                }
                (rounds, wrong)
            })
        })
        .collect();
    let mut max_celsius = start_thermal.max_celsius;
    while started.elapsed() < duration && !cancel.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250).min(duration.saturating_sub(started.elapsed())));
        let now = sensors::thermal(root);
        max_celsius = sensors::fold_max(max_celsius, now.max_celsius);
    }
    stop.store(true, Ordering::Relaxed);
    let (mut rounds, mut wrong, mut lost) = (0u64, 0u64, 0u32);
    for worker in workers {
        match worker.join() {
            Ok((r, w)) => {
                rounds += r;
                wrong += w;
            }
            Err(_) => lost += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let run = CpuRun {
        threads: threads as u32,
        seconds,
        mib_per_s: rounds as f64 * BLOCK as f64 / (1 << 20) as f64 / seconds.max(1e-9),
        wrong_results: wrong + u64::from(lost),
        start_celsius: start_thermal.max_celsius,
        max_celsius,
        critical_celsius: start_thermal.critical_celsius,
        throttle_events: match (throttle_before, sensors::throttle_count(root)) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        },
    };
    let (status, details) = cpu_verdict(&run);
    let mut test = HardwareTest::new(HardwareTestKind::Cpu, status);
    test.details = details;
    test.measure("threads", f64::from(run.threads))
        .measure("seconds", run.seconds)
        .measure("sha256_mib_per_s", run.mib_per_s)
        .measure("wrong_results", run.wrong_results as f64);
    if let Some(c) = run.max_celsius {
        test.measure("max_celsius", c);
    }
    if let Some(c) = run.critical_celsius {
        test.measure("critical_celsius", c);
    }
    if let Some(n) = run.throttle_events {
        test.measure("throttle_events", n as f64);
    }
    test
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> CpuRun {
        CpuRun {
            threads: 2,
            seconds: 60.0,
            mib_per_s: 900.0,
            wrong_results: 0,
            start_celsius: Some(41.0),
            max_celsius: Some(72.0),
            critical_celsius: Some(100.0),
            throttle_events: Some(0),
        }
    }

    #[test]
    fn a_cool_stable_processor_passes() {
        let (status, details) = cpu_verdict(&run());
        assert_eq!(status, CheckStatus::Pass);
        assert!(
            details.iter().any(|d| d.contains("hottest 72 °C (from 41 °C), critical 100 °C")),
            "{details:?}"
        );
    }

    #[test]
    fn a_wrong_result_or_overheating_fails_and_throttling_is_told() {
        let (status, details) = cpu_verdict(&CpuRun { wrong_results: 3, ..run() });
        assert_eq!(status, CheckStatus::Fail);
        assert!(details.iter().any(|d| d.contains("3 results were wrong")), "{details:?}");
        let (status, details) = cpu_verdict(&CpuRun { max_celsius: Some(96.0), ..run() });
        assert_eq!(status, CheckStatus::Fail);
        assert!(details.iter().any(|d| d.contains("thermal paste")), "{details:?}");
        let (status, details) =
            cpu_verdict(&CpuRun { critical_celsius: None, max_celsius: Some(91.0), ..run() });
        assert_eq!(status, CheckStatus::Fail, "95 °C is the critical temperature when none is declared");
        assert!(!details.is_empty());
        let (status, details) = cpu_verdict(&CpuRun { throttle_events: Some(12), ..run() });
        assert_eq!(status, CheckStatus::Pass);
        assert!(details.iter().any(|d| d.contains("slowed down 12 times")), "{details:?}");
    }

    #[test]
    fn no_sensor_is_said_not_guessed() {
        let (status, details) = cpu_verdict(&CpuRun { max_celsius: None, start_celsius: None, ..run() });
        assert_eq!(status, CheckStatus::Pass);
        assert!(details.iter().any(|d| d.contains("no processor temperature sensor")), "{details:?}");
    }

    #[test]
    fn a_short_real_run_loads_every_thread_and_gets_every_digest_right() {
        let root = Root::at("/");
        let test = stress(&root, Duration::from_millis(300), &AtomicBool::new(false));
        assert_eq!(test.kind, HardwareTestKind::Cpu);
        assert_eq!(test.measurement("wrong_results"), Some(0.0));
        assert!(test.measurement("sha256_mib_per_s").is_some_and(|r| r > 10.0), "{test:?}");
        assert!(test.measurement("threads").is_some_and(|t| t >= 1.0));
    }
}
