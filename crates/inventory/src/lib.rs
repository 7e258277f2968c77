//! Hardware inventory: what a donated unit is, read from the kernel's own tables.
//!
//! Every probe reads below a root directory ([`Root`], `/` on a station) so the same code runs
//! on captured fixture trees in tests. A fact that cannot be read comes back as
//! [`certificate::Probed::Unavailable`] with the reason, never as a guess. This first version
//! covers the unit's identity (DMI/SMBIOS through /sys/class/dmi/id), CPU and memory from /proc,
//! and each disk's identity from /sys/class/block and smartctl.
#![deny(missing_docs)]

mod disk;
mod dmi;
pub mod edid;
pub mod power;
pub mod smart;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use certificate::{Probed, Unit};

pub use disk::{list_disks, probe_disk, smart_verdict_from_json, DiskFacts};
pub use dmi::{chassis_name, is_placeholder, probe_unit};

/// The directory the system's /sys and /proc are read from.
#[derive(Debug, Clone)]
pub struct Root(PathBuf);

impl Default for Root {
    fn default() -> Self {
        Root(PathBuf::from("/"))
    }
}

impl Root {
    /// A root at `dir` (a fixture tree in tests).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Root(dir.into())
    }

    /// The path of `abs` (an absolute system path such as `/proc/meminfo`) under this root.
    pub fn join(&self, abs: &str) -> PathBuf {
        self.0.join(abs.trim_start_matches('/'))
    }

    /// Reads a one-line attribute file, trimmed, or says why it could not be read.
    pub fn attribute(&self, abs: &str) -> Probed<String> {
        read_attribute(&self.join(abs), abs)
    }
}

fn read_attribute(path: &Path, shown: &str) -> Probed<String> {
    match fs::read_to_string(path) {
        Ok(s) => {
            let v = s.trim();
            if v.is_empty() {
                Probed::unavailable(format!("{shown} is empty"))
            } else {
                Probed::Value(v.to_owned())
            }
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            Probed::unavailable(format!("permission denied reading {shown} (the station runs as root)"))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Probed::unavailable(format!("{shown} does not exist on this machine"))
        }
        Err(e) => Probed::unavailable(format!("cannot read {shown}: {e}")),
    }
}

/// The host as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct HostInventory {
    /// Identity, as the certificate records it.
    pub unit: Unit,
    /// CPU model name (/proc/cpuinfo "model name").
    pub cpu_model: Probed<String>,
    /// Logical CPUs.
    pub cpu_threads: Probed<u32>,
    /// Installed memory the kernel sees (/proc/meminfo MemTotal), in bytes.
    pub memory_bytes: Probed<u64>,
    /// Every connector with a monitor plugged in, and what its EDID says (or why it cannot).
    pub monitors: Vec<(String, Result<edid::Monitor, String>)>,
}

/// Inventories the host below `root`.
pub fn probe_host(root: &Root) -> HostInventory {
    let cpuinfo = fs::read_to_string(root.join("/proc/cpuinfo"));
    let (cpu_model, cpu_threads) = match &cpuinfo {
        Ok(text) => {
            let model = text
                .lines()
                .find_map(|l| {
                    l.strip_prefix("model name")
                        .and_then(|r| r.split_once(':'))
                        .map(|(_, v)| v.trim().to_owned())
                })
                .map(Probed::Value)
                .unwrap_or_else(|| Probed::unavailable("/proc/cpuinfo has no model name"));
            let threads = text.lines().filter(|l| l.starts_with("processor")).count() as u32;
            (
                model,
                if threads > 0 {
                    Probed::Value(threads)
                } else {
                    Probed::unavailable("/proc/cpuinfo lists no processor")
                },
            )
        }
        Err(e) => (
            Probed::unavailable(format!("cannot read /proc/cpuinfo: {e}")),
            Probed::unavailable(format!("cannot read /proc/cpuinfo: {e}")),
        ),
    };
    let memory_bytes = match fs::read_to_string(root.join("/proc/meminfo")) {
        Ok(text) => text
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| Probed::Value(kib * 1024))
            .unwrap_or_else(|| Probed::unavailable("/proc/meminfo has no MemTotal")),
        Err(e) => Probed::unavailable(format!("cannot read /proc/meminfo: {e}")),
    };
    HostInventory {
        unit: probe_unit(root),
        cpu_model,
        cpu_threads,
        memory_bytes,
        monitors: edid::probe_monitors(root),
    }
}

impl HostInventory {
    /// The one line a refurbisher writes on the label: "Dell Inc. OptiPlex 780 · Intel Core 2
    /// Duo E8400 · 4 GB".
    pub fn summary(&self) -> String {
        let name = match (self.unit.vendor.value(), self.unit.model.value()) {
            (Some(v), Some(m)) => format!("{v} {m}"),
            (None, Some(m)) => m.clone(),
            (Some(v), None) => v.clone(),
            (None, None) => "unknown computer".into(),
        };
        let mut parts = vec![name];
        if let Some(cpu) = self.cpu_model.value() {
            parts.push(cpu.clone());
        }
        if let Some(mem) = self.memory_bytes.value() {
            parts.push(format!("{} GB RAM", (*mem as f64 / (1u64 << 30) as f64).round().max(1.0)));
        }
        for monitor in self.monitors.iter().filter_map(|(_, m)| m.as_ref().ok()) {
            match monitor.nominal_inches {
                Some(inches) => parts.push(format!("{inches}\" monitor")),
                None => parts.push("monitor".into()),
            }
        }
        parts.join(" · ")
    }
}
