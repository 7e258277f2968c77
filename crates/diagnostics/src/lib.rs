//! Hardware tests a Seconde Vie station runs by itself, with no one watching: the processor
//! under load, memory patterns, each disk's SMART self-test and a read-speed sample, the
//! battery's discharge, the network adapters. Décret 2022-190 calls a unit "reconditionné" only
//! once all its functions were tested; these are the functions a machine can test alone. The
//! worker's own checks (screen, keyboard, sound, USB) are the station app's.
//!
//! Each test gives a [`certificate::HardwareTest`]: a status and its evidence (measurements by
//! name, details in words). Every verdict is a pure function of what was measured
//! (`*_verdict`), tested on its own; the measuring reads below an [`inventory::Root`] so the
//! sysfs parts run on fixture trees too.
#![deny(missing_docs)]

pub mod battery;
pub mod cpu;
pub mod disk;
pub mod memory;
pub mod network;
pub mod sensors;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use certificate::HardwareTest;
use inventory::Root;

/// What to run, and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// How long every logical CPU computes (0: no CPU test).
    pub cpu_seconds: u64,
    /// How much memory to test: `None` picks what is safely free ([`memory::safe_test_bytes`]);
    /// `Some(0)` skips the memory test.
    pub memory_bytes: Option<u64>,
    /// Disks to self-test and to sample the read speed of.
    pub disks: Vec<PathBuf>,
    /// Run each disk's SMART short self-test and wait for it (a minute or two per disk).
    pub smart_self_test: bool,
    /// Bytes read to sample each disk's speed (0: no read sample).
    pub read_sample_bytes: u64,
    /// How long to watch a discharging battery.
    pub battery_seconds: u64,
}

impl Default for Plan {
    /// The station's defaults: a minute under load, the memory that is safely free, a short
    /// self-test and 256 MiB read per disk, 20 s of battery watching.
    fn default() -> Self {
        Plan {
            cpu_seconds: 60,
            memory_bytes: None,
            disks: Vec::new(),
            smart_self_test: true,
            read_sample_bytes: 256 << 20,
            battery_seconds: 20,
        }
    }
}

/// What a running test tells whoever shows progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A test started; the text says which, in English.
    Started(String),
    /// A test finished.
    Finished(HardwareTest),
}

/// Runs every test of `plan`, one after the other (each uses the whole machine or one disk).
/// When `stop` is set, the test under way ends early and no other starts.
pub fn run(root: &Root, plan: &Plan, stop: &AtomicBool, mut observe: impl FnMut(Event)) -> Vec<HardwareTest> {
    let stopped = || stop.load(Ordering::Relaxed);
    let mut done = Vec::new();
    let mut record = |test: HardwareTest, observe: &mut dyn FnMut(Event)| {
        observe(Event::Finished(test.clone()));
        done.push(test);
    };
    if plan.cpu_seconds > 0 && !stopped() {
        observe(Event::Started(format!("processor under load for {} s", plan.cpu_seconds)));
        let test = cpu::stress(root, Duration::from_secs(plan.cpu_seconds), stop);
        record(test, &mut observe);
    }
    if plan.memory_bytes != Some(0) && !stopped() {
        let bytes = plan.memory_bytes.or_else(|| memory::safe_test_bytes(root));
        observe(Event::Started("memory patterns".into()));
        let test = match bytes {
            Some(bytes) => memory::test(bytes, stop),
            None => memory::not_run("/proc/meminfo gives no MemAvailable: the free memory is unknown"),
        };
        record(test, &mut observe);
    }
    for path in plan.disks.iter().take_while(|_| !stopped()) {
        observe(Event::Started(format!("disk {}", path.display())));
        let test = disk::test(path, plan.smart_self_test, plan.read_sample_bytes, stop);
        record(test, &mut observe);
    }
    let watch = if stopped() { Duration::ZERO } else { Duration::from_secs(plan.battery_seconds) };
    for test in battery::test(root, watch) {
        record(test, &mut observe);
    }
    record(network::test(root), &mut observe);
    done
}
