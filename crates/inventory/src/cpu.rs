//! The processor: /proc/cpuinfo (Documentation/filesystems/proc.rst; the x86 flag names are the
//! kernel's, arch/x86/include/asm/cpufeatures.h), the CPU topology and cpufreq attributes under
//! /sys/devices/system/cpu (Documentation/ABI/stable/sysfs-devices-system-cpu), the x86-64
//! micro-architecture levels of the System V x86-64 psABI (§3.1.1, "Micro-architecture levels"),
//! and a short single-thread benchmark of our own.

use std::collections::BTreeSet;
use std::fs;
use std::time::{Duration, Instant};

use certificate::Probed;
use serde::Serialize;

use crate::Root;

/// What /proc/cpuinfo says, parsed (pure: see [`parse_cpuinfo`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuInfoText {
    /// `vendor_id` of the first processor (GenuineIntel, AuthenticAMD, …).
    pub vendor_id: Option<String>,
    /// `model name`, spaces collapsed.
    pub model_name: Option<String>,
    /// Number of `processor` entries (logical CPUs).
    pub threads: u32,
    /// Distinct (`physical id`, `core id`) pairs; 0 when cpuinfo has no such lines.
    pub cores: u32,
    /// Distinct `physical id`s (sockets); 0 when absent.
    pub packages: u32,
    /// Highest `cpu MHz` (the current clock, not the maximum).
    pub current_mhz: Option<f64>,
    /// `flags` of the first processor.
    pub flags: BTreeSet<String>,
}

/// Parses /proc/cpuinfo text (x86 layout; other architectures give what they have).
pub fn parse_cpuinfo(text: &str) -> CpuInfoText {
    let mut out = CpuInfoText::default();
    let mut cores = BTreeSet::new();
    let mut packages = BTreeSet::new();
    let mut physical: Option<String> = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            physical = None;
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => {
                out.threads += 1;
                physical = None;
            }
            "vendor_id" if out.vendor_id.is_none() => out.vendor_id = Some(value.to_owned()),
            "model name" if out.model_name.is_none() => {
                out.model_name = Some(value.split_whitespace().collect::<Vec<_>>().join(" "))
            }
            "physical id" => {
                packages.insert(value.to_owned());
                physical = Some(value.to_owned());
            }
            "core id" => {
                cores.insert((physical.clone().unwrap_or_default(), value.to_owned()));
            }
            "cpu MHz" => {
                if let Ok(mhz) = value.parse::<f64>() {
                    out.current_mhz = Some(out.current_mhz.map_or(mhz, |m: f64| m.max(mhz)));
                }
            }
            "flags" if out.flags.is_empty() => {
                out.flags = value.split_whitespace().map(str::to_owned).collect();
            }
            _ => {}
        }
    }
    out.cores = cores.len() as u32;
    out.packages = packages.len() as u32;
    out
}

/// The flags each x86-64 micro-architecture level adds, in the names /proc/cpuinfo uses
/// (psABI: v2 adds CMPXCHG16B, LAHF-SAHF, POPCNT, SSE3, SSE4.1, SSE4.2, SSSE3; v3 adds AVX, AVX2,
/// BMI1, BMI2, F16C, FMA, LZCNT (`abm`), MOVBE, OSXSAVE (`xsave`); v4 adds AVX512F/BW/CD/DQ/VL).
pub const LEVEL_FLAGS: [(u8, &[&str]); 4] = [
    (1, &["lm", "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"]),
    (2, &["cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"]),
    (3, &["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]),
    (4, &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]),
];

/// The x86-64 level (1–4) the flags reach, `None` when not even v1 (a 32-bit CPU, or not x86).
pub fn x86_64_level(flags: &BTreeSet<String>) -> Option<u8> {
    let mut level = None;
    for (n, needed) in LEVEL_FLAGS {
        if needed.iter().all(|f| flags.contains(*f)) {
            level = Some(n);
        } else {
            break;
        }
    }
    level
}

/// Flags a refurbisher or a buyer asks about: encryption speed, virtualization, modern vector
/// units, 64-bit, whether we run in a VM.
pub const NOTABLE_FLAGS: &[&str] = &[
    "lm",
    "nx",
    "pae",
    "ht",
    "aes",
    "pclmulqdq",
    "sha_ni",
    "rdrand",
    "sse4_2",
    "avx",
    "avx2",
    "avx512f",
    "vmx",
    "svm",
    "hypervisor",
];

/// A clock frequency and where it was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frequency {
    /// MHz.
    pub mhz: u32,
    /// `cpufreq cpuinfo_max_freq`, `model name` (the rated clock after "@") or `cpuinfo cpu MHz`
    /// (the current clock: a lower bound).
    pub source: String,
}

/// The processor as the inventory reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cpu {
    /// Vendor (`GenuineIntel`, `AuthenticAMD`).
    pub vendor: Probed<String>,
    /// Model name, spaces collapsed.
    pub model: Probed<String>,
    /// Sockets.
    pub packages: Probed<u32>,
    /// Physical cores: distinct (package, core id) pairs from sysfs topology, else cpuinfo.
    pub cores: Probed<u32>,
    /// Logical CPUs.
    pub threads: Probed<u32>,
    /// Maximum frequency.
    pub max_frequency: Probed<Frequency>,
    /// x86-64 micro-architecture level, 1 to 4.
    pub x86_64_level: Probed<u8>,
    /// The [`NOTABLE_FLAGS`] the CPU has.
    pub flags: Vec<String>,
    /// Whether hardware virtualization is there (`vmx` or `svm`).
    pub virtualization: bool,
    /// Single-thread benchmark, when it was run.
    pub benchmark: Option<BenchmarkScore>,
}

fn read_trim(root: &Root, abs: &str) -> Option<String> {
    fs::read_to_string(root.join(abs)).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Distinct (package, core) pairs and the highest `cpuinfo_max_freq` (kHz) under
/// /sys/devices/system/cpu/cpuN.
fn sysfs_topology(root: &Root) -> (Option<u32>, Option<u32>, Option<u64>) {
    let Ok(entries) = fs::read_dir(root.join("/sys/devices/system/cpu")) else { return (None, None, None) };
    let mut cores = BTreeSet::new();
    let mut packages = BTreeSet::new();
    let mut max_khz: Option<u64> = None;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("cpu") && name[3..].chars().all(|c| c.is_ascii_digit()) && name.len() > 3) {
            continue;
        }
        let base = format!("/sys/devices/system/cpu/{name}");
        if let (Some(p), Some(c)) = (
            read_trim(root, &format!("{base}/topology/physical_package_id")),
            read_trim(root, &format!("{base}/topology/core_id")),
        ) {
            packages.insert(p.clone());
            cores.insert((p, c));
        }
        if let Some(k) =
            read_trim(root, &format!("{base}/cpufreq/cpuinfo_max_freq")).and_then(|v| v.parse().ok())
        {
            max_khz = Some(max_khz.map_or(k, |m: u64| m.max(k)));
        }
    }
    let n = |s: usize| (s > 0).then_some(s as u32);
    (n(cores.len()), n(packages.len()), max_khz)
}

/// The rated clock in a model name: "… @ 3.00GHz" → 3000.
fn rated_mhz(model: &str) -> Option<u32> {
    let after = model.rsplit_once('@')?.1.trim();
    let ghz = after.strip_suffix("GHz")?.trim().parse::<f64>().ok()?;
    Some((ghz * 1000.0).round() as u32)
}

/// Reads the CPU below `root`; runs the benchmark when `benchmark` is set (about a second).
pub fn probe_cpu(root: &Root, benchmark: bool) -> Cpu {
    let text = match fs::read_to_string(root.join("/proc/cpuinfo")) {
        Ok(t) => t,
        Err(e) => {
            let why = format!("cannot read /proc/cpuinfo: {e}");
            return Cpu {
                vendor: Probed::unavailable(why.clone()),
                model: Probed::unavailable(why.clone()),
                packages: Probed::unavailable(why.clone()),
                cores: Probed::unavailable(why.clone()),
                threads: Probed::unavailable(why.clone()),
                max_frequency: Probed::unavailable(why.clone()),
                x86_64_level: Probed::unavailable(why),
                flags: Vec::new(),
                virtualization: false,
                benchmark: benchmark.then(|| run_benchmark(Duration::from_secs(1))),
            };
        }
    };
    cpu_from(&parse_cpuinfo(&text), sysfs_topology(root), benchmark)
}

fn cpu_from(info: &CpuInfoText, sys: (Option<u32>, Option<u32>, Option<u64>), benchmark: bool) -> Cpu {
    let (sys_cores, sys_packages, max_khz) = sys;
    let or_why = |v: Option<u32>, why: &str| v.map(Probed::Value).unwrap_or_else(|| Probed::unavailable(why));
    let max_frequency = if let Some(khz) = max_khz {
        Probed::Value(Frequency { mhz: (khz / 1000) as u32, source: "cpufreq cpuinfo_max_freq".into() })
    } else if let Some(mhz) = info.model_name.as_deref().and_then(rated_mhz) {
        Probed::Value(Frequency { mhz, source: "model name (rated clock)".into() })
    } else if let Some(mhz) = info.current_mhz {
        Probed::Value(Frequency { mhz: mhz.round() as u32, source: "cpuinfo cpu MHz (current clock)".into() })
    } else {
        Probed::unavailable("no cpufreq, no rated clock in the model name, no cpu MHz in /proc/cpuinfo")
    };
    Cpu {
        vendor: info
            .vendor_id
            .clone()
            .map(Probed::Value)
            .unwrap_or_else(|| Probed::unavailable("/proc/cpuinfo has no vendor_id")),
        model: info
            .model_name
            .clone()
            .map(Probed::Value)
            .unwrap_or_else(|| Probed::unavailable("/proc/cpuinfo has no model name")),
        packages: or_why(
            sys_packages.or((info.packages > 0).then_some(info.packages)),
            "no topology in sysfs nor physical id in /proc/cpuinfo",
        ),
        cores: or_why(
            sys_cores.or((info.cores > 0).then_some(info.cores)),
            "no topology in sysfs nor core id in /proc/cpuinfo",
        ),
        threads: or_why((info.threads > 0).then_some(info.threads), "/proc/cpuinfo lists no processor"),
        max_frequency,
        x86_64_level: match x86_64_level(&info.flags) {
            Some(l) => Probed::Value(l),
            None if info.flags.is_empty() => Probed::unavailable("/proc/cpuinfo has no x86 flags"),
            None => Probed::unavailable("not an x86-64 CPU (the v1 flags are missing)"),
        },
        flags: NOTABLE_FLAGS.iter().filter(|f| info.flags.contains(**f)).map(|f| (*f).to_owned()).collect(),
        virtualization: info.flags.contains("vmx") || info.flags.contains("svm"),
        benchmark: benchmark.then(|| run_benchmark(Duration::from_secs(1))),
    }
}

/// Parses cpuinfo text and sysfs-less facts (for fixtures holding only a cpuinfo file).
pub fn cpu_from_cpuinfo(text: &str) -> Cpu {
    cpu_from(&parse_cpuinfo(text), (None, None, None), false)
}

/// The result of [`run_benchmark`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchmarkScore {
    /// Work units per second of CPU time, median of the windows (higher is faster).
    pub score: u32,
    /// Number of timed windows.
    pub windows: u32,
    /// (max − min) / median of the windows, percent: how steady this run was.
    pub spread_percent: f64,
    /// `thread CPU time` (from /proc/thread-self/schedstat: time the thread actually ran, so
    /// other programs competing for the CPU do not lower the score) or `wall clock` when that
    /// file cannot be read.
    pub clock: String,
}

/// Nanoseconds this thread has run on a CPU (first field of /proc/thread-self/schedstat,
/// Documentation/scheduler/sched-stats.rst). Read from the real /proc: the benchmark measures
/// this process, whatever root the rest of the inventory reads.
fn thread_cpu_ns() -> Option<u64> {
    fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// One work unit: 64 rounds of a 64-bit multiply–rotate–xor hash over a 4 KiB buffer that stays
/// in L1 cache, with a data-dependent branch per word. It exercises the integer pipeline and
/// branch predictor the way everyday code does, uses no vector or crypto instruction (so a CPU
/// with SHA-NI or AVX is not favoured) and no memory bandwidth.
fn work_unit(buf: &mut [u64; 512], seed: u64) -> u64 {
    let mut h = seed;
    for _ in 0..64 {
        for w in buf.iter_mut() {
            h = (h ^ *w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
            if h & 1 == 0 {
                *w = w.wrapping_add(h >> 7);
            } else {
                *w ^= h;
            }
        }
    }
    h
}

/// Runs the single-thread benchmark for about `duration` of wall-clock time: a warm-up window,
/// then ten equal windows, each counting work units and dividing by the CPU time the thread got
/// in it (the wall time when the kernel does not tell); the score is the median window's rate.
pub fn run_benchmark(duration: Duration) -> BenchmarkScore {
    let windows = 10u32;
    let window = duration / windows;
    let mut buf = [0u64; 512];
    for (i, w) in buf.iter_mut().enumerate() {
        *w = (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    let mut seed = 1u64;
    // Warm-up: lets the clock governor raise the frequency before the first timed window.
    let warm = Instant::now();
    while warm.elapsed() < window {
        seed = std::hint::black_box(work_unit(&mut buf, seed));
    }
    let cpu_clock = thread_cpu_ns().is_some();
    let mut rates = Vec::with_capacity(windows as usize);
    for _ in 0..windows {
        let start = Instant::now();
        let cpu_start = thread_cpu_ns();
        let mut units = 0u64;
        while start.elapsed() < window {
            seed = std::hint::black_box(work_unit(&mut buf, seed));
            units += 1;
        }
        let wall = start.elapsed().as_secs_f64();
        let cpu = match (cpu_start, thread_cpu_ns()) {
            (Some(a), Some(b)) if cpu_clock && b > a => (b - a) as f64 / 1e9,
            _ => wall,
        };
        rates.push(units as f64 / cpu);
    }
    rates.sort_by(f64::total_cmp);
    let median = (rates[rates.len() / 2 - 1] + rates[rates.len() / 2]) / 2.0;
    let spread = if median > 0.0 { (rates[rates.len() - 1] - rates[0]) / median * 100.0 } else { 0.0 };
    BenchmarkScore {
        score: median.round() as u32,
        windows,
        spread_percent: (spread * 10.0).round() / 10.0,
        clock: if cpu_clock { "thread CPU time" } else { "wall clock" }.to_owned(),
    }
}
