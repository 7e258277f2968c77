//! Hardware inventory: what a donated unit is, read from the kernel's own tables.
//!
//! Every probe reads below a root directory ([`Root`], `/` on a station) so the same code runs
//! on captured fixture trees in tests. A fact that cannot be read comes back as
//! [`certificate::Probed::Unavailable`] with the reason, never as a guess.
//!
//! [`probe_inventory`] gathers everything into one typed [`Inventory`]: identity from
//! /sys/class/dmi/id and our own SMBIOS reader ([`smbios`]), a stable [`unit_id::UnitId`], the
//! CPU ([`cpu`]), memory modules, disks ([`DiskDetails`], SMART through [`smart`]), monitors
//! ([`edid`]), batteries ([`power`]) and the other devices ([`devices`]). [`probe_host`] is the
//! smaller, older view the station's screens use.
//!
//! ```
//! let inv = inventory::probe_inventory(
//!     &inventory::Root::at("/nonexistent"),
//!     &inventory::Options { smart: false, benchmark: false, endurance: None },
//! );
//! assert!(inv.unit_id.is_none());
//! ```
#![deny(missing_docs)]

pub mod cpu;
pub mod devices;
mod disk;
mod dmi;
pub mod edid;
pub mod identity;
pub mod power;
pub mod smart;
pub mod smbios;
pub mod unit_id;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use certificate::{Probed, Unit};
use serde::{Deserialize, Serialize};

pub use disk::{
    disk_facts, identify, list_disks, probe_disk, probe_disk_details, probe_disk_details_with, run_smartctl,
    smart_from_output, smart_verdict_from_json, DiskDetails, DiskFacts,
};
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
        read_attribute(&self.join(abs), abs, self.place())
    }

    /// Where the files are read, in words: "on this machine", or "under DIR" for a captured
    /// tree (`--root`), so a reason never blames the station for a file a capture lacks.
    pub fn place(&self) -> String {
        if self.0 == Path::new("/") {
            "on this machine".to_owned()
        } else {
            format!("under {}", self.0.display())
        }
    }
}

fn read_attribute(path: &Path, shown: &str, place: String) -> Probed<String> {
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
            Probed::unavailable(format!("{shown} does not exist {place}"))
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

/// "Dell Inc. OptiPlex 780": vendor and model, whichever are known.
fn unit_name(unit: &Unit) -> String {
    match (unit.vendor.value(), unit.model.value()) {
        (Some(v), Some(m)) => format!("{v} {m}"),
        (None, Some(m)) => m.clone(),
        (Some(v), None) => v.clone(),
        (None, None) => "unknown computer".into(),
    }
}

impl HostInventory {
    /// The one line a refurbisher writes on the label: "Dell Inc. OptiPlex 780 · Intel Core 2
    /// Duo E8400 · 4 GB".
    pub fn summary(&self) -> String {
        let mut parts = vec![unit_name(&self.unit)];
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

/// What [`probe_inventory`] runs besides reading files.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run `smartctl` on every disk (a second or more per disk).
    pub smart: bool,
    /// Run the single-thread CPU benchmark (about 1.1 s).
    pub benchmark: bool,
    /// The grading policy's endurance thresholds for the disks' health verdict
    /// (`grading::Policy::disk.endurance`); without them endurance is reported, not judged.
    pub endurance: Option<smart::EndurancePolicy>,
}

/// Firmware identity beyond /sys/class/dmi/id, from the raw SMBIOS tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Firmware {
    /// BIOS vendor, version, date (type 0).
    pub bios: Option<smbios::Bios>,
    /// System fields, SKU and family included (type 1).
    pub system: Option<smbios::SystemInfo>,
    /// Main board (type 2).
    pub board: Option<smbios::Board>,
    /// Chassis (type 3).
    pub chassis: Option<smbios::Chassis>,
    /// SMBIOS version.
    pub smbios_version: String,
    /// Problems found in the tables (offsets named).
    pub problems: Vec<String>,
}

/// Memory: what the kernel sees and what the slots hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// MemTotal of /proc/meminfo, bytes (a little less than installed: the kernel's own share).
    pub total_bytes: Probed<u64>,
    /// Sum of the installed modules (SMBIOS type 17), bytes.
    pub installed_bytes: Probed<u64>,
    /// Maximum the board takes (type 16), bytes.
    pub max_capacity_bytes: Probed<u64>,
    /// Slots in use.
    pub slots_used: Probed<u32>,
    /// Slots on the board.
    pub slots_total: Probed<u32>,
    /// Every slot of the system memory, empty ones included.
    pub modules: Vec<smbios::MemoryModule>,
}

/// A disk: sysfs facts and, when smartctl was run, its verdict and our health judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    /// From /sys/block.
    #[serde(flatten)]
    pub details: DiskDetails,
    /// The drive's own SMART verdict.
    pub smart: Probed<certificate::SmartVerdict>,
    /// Our verdict: good, worn, failing or unknown.
    pub health: Option<String>,
    /// Why.
    pub health_reasons: Vec<String>,
    /// Percent of the rated endurance used (SSDs and NVMe disks that report it).
    #[serde(default)]
    pub endurance_used_percent: Option<u16>,
    /// Solid state by the disk's own word (smartctl: NVMe, or rotation rate 0), which a USB
    /// bridge's `queue/rotational` does not tell.
    #[serde(default)]
    pub solid_state: Option<bool>,
}

/// A connector and its monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorEntry {
    /// DRM connector (`card0-VGA-1`).
    pub connector: String,
    /// One line: name, size, input.
    pub summary: Option<String>,
    /// PNP manufacturer id.
    pub manufacturer: Option<String>,
    /// Monitor name.
    pub name: Option<String>,
    /// Serial.
    pub serial: Option<String>,
    /// Year of manufacture.
    pub year: Option<u16>,
    /// `VGA`, `DisplayPort`, …
    pub input: Option<String>,
    /// Diagonal from the size, inches.
    pub diagonal_inches: Option<f64>,
    /// The size it was sold as.
    pub nominal_inches: Option<f64>,
    /// EDID checksum valid.
    pub edid_checksum_ok: Option<bool>,
    /// Why the EDID could not be read.
    pub unavailable: Option<String>,
}

/// Everything the station records about a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// The label line (see [`Inventory::summary`]).
    pub summary: String,
    /// Identity as the certificate records it (/sys/class/dmi/id).
    pub unit: Unit,
    /// Stable id and its source, `None` when nothing real identifies the unit.
    pub unit_id: Option<unit_id::UnitId>,
    /// BIOS, board, chassis and system details from the raw SMBIOS tables.
    pub firmware: Probed<Firmware>,
    /// Processor.
    pub cpu: cpu::Cpu,
    /// Memory.
    pub memory: Memory,
    /// Disks (`list_disks`).
    pub disks: Vec<Disk>,
    /// Monitors.
    pub monitors: Vec<MonitorEntry>,
    /// Batteries and mains.
    pub power: power::Power,
    /// Graphics, network, sound, camera, optical, USB, input.
    pub devices: devices::Devices,
}

/// Reads /sys/firmware/dmi/tables below `root` and decodes them.
pub fn probe_smbios(root: &Root) -> Probed<smbios::Smbios> {
    let ep = fs::read(root.join("/sys/firmware/dmi/tables/smbios_entry_point"));
    let table = fs::read(root.join("/sys/firmware/dmi/tables/DMI"));
    match (ep, table) {
        (Ok(ep), Ok(table)) => match smbios::Smbios::parse(&ep, &table) {
            Ok(s) => Probed::Value(s),
            Err(e) => Probed::unavailable(e.to_string()),
        },
        (Err(e), _) | (_, Err(e)) if e.kind() == io::ErrorKind::NotFound => Probed::unavailable(
            "/sys/firmware/dmi/tables does not exist (no SMBIOS: a VM without firmware tables, or not x86/UEFI)",
        ),
        (Err(e), _) | (_, Err(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
            Probed::unavailable("permission denied reading /sys/firmware/dmi/tables (the station runs as root)")
        }
        (Err(e), _) | (_, Err(e)) => Probed::unavailable(format!("cannot read /sys/firmware/dmi/tables: {e}")),
    }
}

fn memory_from(total: Probed<u64>, smbios: &Probed<smbios::Smbios>) -> Memory {
    match smbios {
        Probed::Value(s) if !s.memory_modules.is_empty() => Memory {
            total_bytes: total,
            installed_bytes: Probed::Value(s.installed_bytes()),
            max_capacity_bytes: s
                .max_capacity_bytes()
                .map(Probed::Value)
                .unwrap_or_else(|| Probed::unavailable("SMBIOS has no maximum capacity (type 16)")),
            slots_used: Probed::Value(s.slots_used() as u32),
            slots_total: Probed::Value(s.slots_total() as u32),
            modules: s.system_modules().cloned().collect(),
        },
        Probed::Value(_) => {
            let why = "SMBIOS describes no memory device (type 17)";
            Memory {
                total_bytes: total,
                installed_bytes: Probed::unavailable(why),
                max_capacity_bytes: Probed::unavailable(why),
                slots_used: Probed::unavailable(why),
                slots_total: Probed::unavailable(why),
                modules: Vec::new(),
            }
        }
        Probed::Unavailable(why) => Memory {
            total_bytes: total,
            installed_bytes: Probed::Unavailable(why.clone()),
            max_capacity_bytes: Probed::Unavailable(why.clone()),
            slots_used: Probed::Unavailable(why.clone()),
            slots_total: Probed::Unavailable(why.clone()),
            modules: Vec::new(),
        },
    }
}

/// Inventories everything below `root`.
pub fn probe_inventory(root: &Root, options: &Options) -> Inventory {
    let host = probe_host(root);
    let smbios = probe_smbios(root);
    let devices = devices::probe_devices(root);
    let disks: Vec<Disk> = list_disks(root)
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .map(|name| {
            let smart = if options.smart {
                disk::run_smartctl(&PathBuf::from(format!("/dev/{name}")))
            } else {
                Err("SMART not read (smartctl not run for this inventory)".to_owned())
            };
            let (report, verdict, why) = match smart {
                Ok((r, v)) => (Some(r), v, String::new()),
                Err(why) => (None, Probed::unavailable(why.clone()), why),
            };
            let details = probe_disk_details_with(&name, root, report.as_ref(), &why);
            let health = report.as_ref().map(|r| r.health(options.endurance.as_ref()));
            Disk {
                details,
                smart: verdict,
                health: health.as_ref().map(|h| format!("{:?}", h.verdict).to_lowercase()),
                health_reasons: health.map(|h| h.reasons).unwrap_or_default(),
                endurance_used_percent: report.as_ref().and_then(|r| r.endurance()).map(|e| e.used_percent),
                solid_state: report.as_ref().and_then(|r| r.is_solid_state()),
            }
        })
        .collect();
    let smbios_value = smbios.value();
    let wired_mac = devices
        .network
        .iter()
        .filter(|n| n.kind == devices::NetKind::Wired && n.mac_permanent)
        .find_map(|n| n.mac.clone());
    let facts = unit_id::IdentityFacts {
        system_serial: smbios_value
            .and_then(|s| s.system.as_ref()?.serial.clone())
            .or_else(|| root.attribute("/sys/class/dmi/id/product_serial").value().cloned()),
        board_serial: smbios_value
            .and_then(|s| s.board.as_ref()?.serial.clone())
            .or_else(|| root.attribute("/sys/class/dmi/id/board_serial").value().cloned()),
        wired_mac,
        disk_serials: disks
            .iter()
            // Not the stick the station runs from, nor a card or USB drive someone plugged in.
            .filter(|d| {
                d.details.system_medium.is_none()
                    && !d.details.removable
                    && d.details.transport != certificate::Transport::Usb
            })
            .filter_map(|d| d.details.serial.value().cloned())
            .collect(),
    };
    let firmware = match &smbios {
        Probed::Value(s) => Probed::Value(Firmware {
            bios: s.bios.clone(),
            system: s.system.clone(),
            board: s.board.clone(),
            chassis: s.chassis.clone(),
            smbios_version: s.version.to_string(),
            problems: s.problems.iter().map(|p| p.to_string()).collect(),
        }),
        Probed::Unavailable(why) => Probed::Unavailable(why.clone()),
    };
    let monitors = host
        .monitors
        .iter()
        .map(|(connector, m)| match m {
            Ok(m) => MonitorEntry {
                connector: connector.clone(),
                summary: Some(m.summary()),
                manufacturer: Some(m.manufacturer.clone()),
                name: m.name.clone(),
                serial: m.serial.clone(),
                year: Some(m.year),
                input: Some(m.input.to_string()),
                diagonal_inches: m.diagonal_inches,
                nominal_inches: m.nominal_inches,
                edid_checksum_ok: Some(m.checksum_ok),
                unavailable: None,
            },
            Err(why) => MonitorEntry {
                connector: connector.clone(),
                summary: None,
                manufacturer: None,
                name: None,
                serial: None,
                year: None,
                input: None,
                diagonal_inches: None,
                nominal_inches: None,
                edid_checksum_ok: None,
                unavailable: Some(why.clone()),
            },
        })
        .collect();
    let mut inv = Inventory {
        summary: String::new(),
        unit: host.unit.clone(),
        unit_id: unit_id::derive_unit_id(&facts),
        firmware,
        cpu: cpu::probe_cpu(root, options.benchmark),
        memory: memory_from(host.memory_bytes.clone(), &smbios),
        disks,
        monitors,
        power: power::probe_power(root),
        devices,
    };
    inv.summary = inv.summary();
    inv
}

fn gb(bytes: u64) -> String {
    let g = bytes as f64 / (1u64 << 30) as f64;
    if g >= 1.0 {
        format!("{} GB", g.round())
    } else {
        format!("{} MB", (bytes >> 20))
    }
}

/// A disk size as its maker labels it (decimal units): "250 GB", "17 MB", "2 TB".
fn decimal_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e12 {
        format!("{:.1} TB", b / 1e12).replace(".0 TB", " TB")
    } else if b >= 1e9 {
        format!("{:.0} GB", b / 1e9)
    } else {
        format!("{:.0} MB", b / 1e6)
    }
}

impl Inventory {
    /// The label line: "Dell Inc. OptiPlex 780 · Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz ·
    /// 4 GB DDR3 · 250 GB HDD (good) · 17\" monitor".
    pub fn summary(&self) -> String {
        let mut parts = vec![unit_name(&self.unit)];
        if let Some(cpu) = self.cpu.model.value() {
            parts.push(cpu.clone());
        }
        let mem_type = self.memory.modules.iter().find_map(|m| m.memory_type.clone());
        let mem = self.memory.installed_bytes.value().filter(|b| **b > 0).or(self.memory.total_bytes.value());
        if let Some(bytes) = mem {
            let size = if self.memory.installed_bytes.value().is_some() {
                gb(*bytes)
            } else {
                format!("{} GB", (*bytes as f64 / (1u64 << 30) as f64).round().max(1.0))
            };
            parts.push(match mem_type {
                Some(t) => format!("{size} {t}"),
                None => format!("{size} RAM"),
            });
        }
        for d in self.disks.iter().filter(|d| d.details.system_medium.is_none()) {
            let size = d.details.size_bytes.value().map(|b| decimal_size(*b));
            let spinning = d.solid_state.map(|s| !s).or(d.details.rotational.value().copied());
            let kind = match (d.details.transport, spinning) {
                (certificate::Transport::Nvme, _) => "NVMe",
                (_, Some(true)) => "HDD",
                (_, Some(false)) => "SSD",
                _ => "disk",
            };
            let mut s = format!("{} {kind}", size.unwrap_or_else(|| "?".into()));
            if let Some(h) = &d.health {
                s.push_str(&format!(" ({h})"));
            }
            parts.push(s);
        }
        for m in &self.monitors {
            match m.nominal_inches {
                Some(inches) => parts.push(format!("{inches}\" monitor")),
                None if m.unavailable.is_none() => parts.push("monitor".into()),
                None => {}
            }
        }
        parts.join(" · ")
    }

    /// The human summary `station inventory` prints: the label line, then one line per part.
    pub fn summary_lines(&self) -> Vec<String> {
        fn or<T: std::fmt::Display>(p: &Probed<T>) -> String {
            match p {
                Probed::Value(v) => v.to_string(),
                Probed::Unavailable(why) => format!("? ({why})"),
            }
        }
        let mut out = vec![self.summary.clone()];
        match &self.unit_id {
            Some(id) => out.push(format!("unit id {} (from {:?})", id.id, id.source)),
            None => out.push("unit id none: no real serial, wired MAC or disk serial".into()),
        }
        out.push(format!("serial {}", or(&self.unit.serial)));
        if let Probed::Value(fw) = &self.firmware {
            if let Some(b) = &fw.bios {
                out.push(format!(
                    "BIOS {} {} ({}) · SMBIOS {}",
                    b.vendor.as_deref().unwrap_or("?"),
                    b.version.as_deref().unwrap_or("?"),
                    b.release_date.as_deref().unwrap_or("?"),
                    fw.smbios_version
                ));
            }
            for p in &fw.problems {
                out.push(format!("  {p}"));
            }
        }
        let c = &self.cpu;
        out.push(format!(
            "CPU {} · {} cores / {} threads · {} MHz max · x86-64-v{} · {}{}",
            or(&c.model),
            or(&c.cores),
            or(&c.threads),
            c.max_frequency.value().map(|f| f.mhz.to_string()).unwrap_or_else(|| "?".into()),
            or(&c.x86_64_level),
            c.flags.join(" "),
            c.benchmark.as_ref().map(|b| format!(" · benchmark {}", b.score)).unwrap_or_default()
        ));
        let m = &self.memory;
        let seen = match (m.installed_bytes.value(), m.total_bytes.value()) {
            (Some(b), _) => format!("{} installed", gb(*b)),
            (None, Some(b)) => format!("{} seen by the kernel", gb(*b)),
            (None, None) => "size unknown".into(),
        };
        match (m.slots_used.value(), m.slots_total.value(), &m.slots_total) {
            (Some(used), Some(total), _) => out.push(format!(
                "memory {seen}, {used} of {total} slots used, max {}",
                m.max_capacity_bytes.value().map(|b| gb(*b)).unwrap_or_else(|| "?".into())
            )),
            (_, _, Probed::Unavailable(why)) => out.push(format!("memory {seen}; slots unknown: {why}")),
            _ => out.push(format!("memory {seen}")),
        }
        for module in m.modules.iter().filter(|x| x.installed()) {
            out.push(format!(
                "  {} {} {} {} MT/s {} {}",
                module.locator.as_deref().unwrap_or("?"),
                module.size_bytes.map(gb).unwrap_or_else(|| "?".into()),
                module.memory_type.as_deref().unwrap_or("?"),
                module.speed_mts.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                module.manufacturer.as_deref().unwrap_or(""),
                module.part_number.as_deref().unwrap_or("")
            ));
        }
        for d in &self.disks {
            let x = &d.details;
            out.push(format!(
                "disk {} · {} · {} · {:?} · fw {} · {}/{} B sectors{}{}",
                x.name,
                or(&x.model),
                x.size_bytes.value().map(|b| decimal_size(*b)).unwrap_or_else(|| "?".into()),
                x.transport,
                or(&x.firmware),
                or(&x.logical_sector_bytes),
                or(&x.physical_sector_bytes),
                d.health.as_ref().map(|h| format!(" · {h}")).unwrap_or_default(),
                x.system_medium.as_ref().map(|w| format!(" · SYSTEM MEDIUM: {w}")).unwrap_or_default()
            ));
        }
        for mon in &self.monitors {
            out.push(format!(
                "monitor {} · {}",
                mon.connector,
                mon.summary.as_deref().or(mon.unavailable.as_deref()).unwrap_or("?")
            ));
        }
        for b in &self.power.batteries {
            out.push(format!(
                "battery {} · health {} % · {}",
                b.name,
                b.health_percent.map(|h| h.to_string()).unwrap_or_else(|| "?".into()),
                b.status
            ));
        }
        let d = &self.devices;
        for g in &d.graphics {
            out.push(format!("graphics {}", g.name()));
        }
        for n in &d.network {
            out.push(format!(
                "network {} {:?} {} link {}",
                n.name,
                n.kind,
                n.mac.as_deref().unwrap_or("?"),
                match n.carrier {
                    Some(true) => "up",
                    Some(false) => "down",
                    None => "?",
                }
            ));
        }
        for s in &d.sound {
            out.push(format!("sound {}", s.name));
        }
        for c in &d.cameras {
            out.push(format!("camera {c}"));
        }
        for o in &d.optical_drives {
            out.push(format!("optical {o}"));
        }
        out.push(format!(
            "input {} keyboard(s), {} touchpad(s), {} mouse/mice; {} USB device(s)",
            d.input.keyboards.len(),
            d.input.touchpads.len(),
            d.input.mice.len(),
            d.usb.len()
        ));
        out
    }
}
