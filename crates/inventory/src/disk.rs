//! A disk's identity from /sys/class/block and its SMART verdict from smartctl.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;

use certificate::{Probed, SmartVerdict, Transport};

use crate::Root;

/// What the certificate records about a disk before it is wiped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskFacts {
    /// Model string.
    pub model: Probed<String>,
    /// Serial number.
    pub serial: Probed<String>,
    /// World Wide Name.
    pub wwn: Probed<String>,
    /// How it is attached.
    pub transport: Transport,
    /// SMART overall health.
    pub smart: Probed<SmartVerdict>,
    /// Our verdict for reuse, with reasons (see [`crate::smart::SmartReport::health`]).
    pub health: Option<crate::smart::Health>,
}

/// Inventories the disk at `path` (a block device, or a regular file standing for one).
pub fn probe_disk(path: &Path, root: &Root) -> DiskFacts {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let why = format!("cannot read {}: {e}", path.display());
            return DiskFacts {
                model: Probed::unavailable(why.clone()),
                serial: Probed::unavailable(why.clone()),
                wwn: Probed::unavailable(why.clone()),
                transport: Transport::Unknown,
                smart: Probed::unavailable(why),
                health: None,
            };
        }
    };
    if !meta.file_type().is_block_device() {
        let why = "a regular file standing for a disk: it has no hardware identity";
        return DiskFacts {
            model: Probed::unavailable(why),
            serial: Probed::unavailable(why),
            wwn: Probed::unavailable(why),
            transport: Transport::File,
            smart: Probed::unavailable("a regular file has no SMART data"),
            health: None,
        };
    }
    let rdev = meta.rdev();
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    let sys = format!("/sys/dev/block/{major}:{minor}");
    let resolved =
        std::fs::canonicalize(root.join(&sys)).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let transport = transport_from_sys_path(&resolved);
    let model = root.attribute(&format!("{sys}/device/model"));
    let serial = match root.attribute(&format!("{sys}/device/serial")) {
        Probed::Value(v) => Probed::Value(v),
        // SATA disks behind libata expose the serial only through the VPD page 0x80.
        Probed::Unavailable(why) => match std::fs::read(root.join(&format!("{sys}/device/vpd_pg80"))) {
            Ok(page) if page.len() > 4 => {
                Probed::Value(String::from_utf8_lossy(&page[4..]).trim().to_owned())
            }
            _ => Probed::Unavailable(why),
        },
    };
    let wwn = match root.attribute(&format!("{sys}/wwid")) {
        Probed::Value(v) => Probed::Value(v),
        Probed::Unavailable(_) => root.attribute(&format!("{sys}/device/wwid")),
    };
    let (smart, health) = match transport {
        Transport::Loop | Transport::Virtio => {
            (Probed::unavailable("this kind of device has no SMART"), None)
        }
        _ => smart_verdict(path),
    };
    DiskFacts { model, serial, wwn, transport, smart, health }
}

/// Tells the transport from the device's place in the sysfs tree.
fn transport_from_sys_path(p: &str) -> Transport {
    if p.contains("/virtual/block/loop") {
        Transport::Loop
    } else if p.contains("/nvme") {
        Transport::Nvme
    } else if p.contains("/usb") {
        Transport::Usb
    } else if p.contains("/mmc") {
        Transport::Mmc
    } else if p.contains("/virtio") {
        Transport::Virtio
    } else if p.contains("/ata") {
        Transport::Ata
    } else if p.contains("/host") || p.contains("/target") {
        Transport::Scsi
    } else {
        Transport::Unknown
    }
}

/// Runs `smartctl --json=c -x` and reads its verdict and our health judgement.
fn smart_verdict(path: &Path) -> (Probed<SmartVerdict>, Option<crate::smart::Health>) {
    let out = match Command::new("smartctl").arg("--json=c").arg("-x").arg(path).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (Probed::unavailable("smartctl is not installed"), None)
        }
        Err(e) => return (Probed::unavailable(format!("smartctl could not run: {e}")), None),
    };
    match crate::smart::SmartReport::from_json(&out.stdout) {
        Ok(report) => {
            let verdict = match report.smart_passed {
                Some(true) => Probed::Value(SmartVerdict::Passed),
                Some(false) => Probed::Value(SmartVerdict::Failed),
                None => smart_verdict_from_json(&out.stdout),
            };
            (verdict, Some(report.health()))
        }
        Err(e) => (Probed::unavailable(format!("smartctl's output for {}: {e}", path.display())), None),
    }
}

/// The whole disks of the machine, as `/dev/NAME` paths: every /sys/block entry that is a real
/// disk — not a loop, RAM, zram, device-mapper, md RAID or optical device, nor the hidden
/// per-path node of a multipath NVMe namespace (`nvme0c0n1`).
pub fn list_disks(root: &Root) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join("/sys/block")) else { return vec![] };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| {
            let virtual_or_optical =
                ["loop", "ram", "zram", "dm-", "md", "sr", "fd"].iter().any(|p| n.starts_with(p));
            let hidden_nvme_path = n.starts_with("nvme") && n.contains('c');
            !(virtual_or_optical || hidden_nvme_path)
        })
        .collect();
    names.sort();
    names.into_iter().map(|n| std::path::PathBuf::from(format!("/dev/{n}"))).collect()
}

/// Reads the overall-health verdict from `smartctl --json -H` output (smartmontools ≥ 7.0:
/// `smart_status.passed`; messages in `smartctl.messages`).
pub fn smart_verdict_from_json(json: &[u8]) -> Probed<SmartVerdict> {
    let v: serde_json::Value = match serde_json::from_slice(json) {
        Ok(v) => v,
        Err(e) => return Probed::unavailable(format!("smartctl's output is not JSON: {e}")),
    };
    match v.pointer("/smart_status/passed").and_then(|p| p.as_bool()) {
        Some(true) => Probed::Value(SmartVerdict::Passed),
        Some(false) => Probed::Value(SmartVerdict::Failed),
        None => {
            let said = v
                .pointer("/smartctl/messages/0/string")
                .and_then(|s| s.as_str())
                .unwrap_or("no smart_status in its output");
            Probed::unavailable(format!("smartctl gave no verdict: {said}"))
        }
    }
}

/// A disk as sysfs describes it (/sys/block/NAME, Documentation/ABI/stable/sysfs-block), read
/// without opening the device, so it works on fixture trees.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiskDetails {
    /// Kernel name (`sda`, `nvme0n1`, `mmcblk0`).
    pub name: String,
    /// Model (`device/model`; libata cuts it to 16 characters, smartctl has the full one).
    pub model: Probed<String>,
    /// Serial (`device/serial`, NVMe and MMC; SATA through VPD page 0x80).
    pub serial: Probed<String>,
    /// Firmware revision (`device/firmware_rev` for NVMe, `device/rev` for SCSI/ATA, `device/fwrev` for MMC).
    pub firmware: Probed<String>,
    /// World Wide Name (`wwid`, else `device/wwid`).
    pub wwn: Probed<String>,
    /// Capacity, bytes (`size` × 512).
    pub size_bytes: Probed<u64>,
    /// Logical sector size (`queue/logical_block_size`).
    pub logical_sector_bytes: Probed<u32>,
    /// Physical sector size (`queue/physical_block_size`).
    pub physical_sector_bytes: Probed<u32>,
    /// Spinning disk (`queue/rotational`; USB bridges and some VMs say 1 for anything).
    pub rotational: Probed<bool>,
    /// Removable medium (`removable`).
    pub removable: bool,
    /// How it is attached, from its place in the sysfs device tree.
    pub transport: Transport,
    /// Why it is the medium the station runs from, when it is (the live USB stick or the
    /// system disk: `sanitize::safety`'s rule, the same one that refuses to wipe it).
    pub system_medium: Option<String>,
}

fn numeric<T: std::str::FromStr>(root: &Root, abs: &str) -> Probed<T> {
    match root.attribute(abs) {
        Probed::Value(v) => match v.parse() {
            Ok(n) => Probed::Value(n),
            Err(_) => Probed::unavailable(format!("{abs} holds {v:?}, not a number")),
        },
        Probed::Unavailable(why) => Probed::Unavailable(why),
    }
}

/// Reads /sys/block/`name` below `root`.
pub fn probe_disk_details(name: &str, root: &Root) -> DiskDetails {
    let sys = format!("/sys/block/{name}");
    let resolved =
        std::fs::canonicalize(root.join(&sys)).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let serial = match root.attribute(&format!("{sys}/device/serial")) {
        Probed::Value(v) => Probed::Value(v),
        Probed::Unavailable(why) => match std::fs::read(root.join(&format!("{sys}/device/vpd_pg80"))) {
            Ok(page) if page.len() > 4 => {
                Probed::Value(String::from_utf8_lossy(&page[4..]).trim().to_owned())
            }
            _ => Probed::Unavailable(why),
        },
    };
    let firmware = ["firmware_rev", "rev", "fwrev"]
        .iter()
        .map(|f| root.attribute(&format!("{sys}/device/{f}")))
        .find(|p| matches!(p, Probed::Value(_)))
        .unwrap_or_else(|| Probed::unavailable(format!("{sys}/device has no firmware_rev, rev or fwrev")));
    let wwn = match root.attribute(&format!("{sys}/wwid")) {
        Probed::Value(v) => Probed::Value(v),
        Probed::Unavailable(_) => root.attribute(&format!("{sys}/device/wwid")),
    };
    let rotational = match numeric::<u8>(root, &format!("{sys}/queue/rotational")) {
        Probed::Value(v) => Probed::Value(v == 1),
        Probed::Unavailable(why) => Probed::Unavailable(why),
    };
    let system_medium = root
        .attribute(&format!("{sys}/dev"))
        .value()
        .and_then(|d| d.split_once(':'))
        .and_then(|(a, b)| Some(sanitize::safety::DevNum { major: a.parse().ok()?, minor: b.parse().ok()? }))
        .and_then(|devnum| {
            match sanitize::safety::check_block_device(
                devnum,
                &sanitize::safety::SystemView::at(root.join("/")),
            ) {
                Err(refusal @ sanitize::safety::Refusal::SystemDisk { .. }) => Some(refusal.to_string()),
                _ => None,
            }
        });
    DiskDetails {
        name: name.to_owned(),
        model: root.attribute(&format!("{sys}/device/model")),
        serial,
        firmware,
        wwn,
        size_bytes: match numeric::<u64>(root, &format!("{sys}/size")) {
            Probed::Value(s) => Probed::Value(s * 512),
            Probed::Unavailable(why) => Probed::Unavailable(why),
        },
        logical_sector_bytes: numeric(root, &format!("{sys}/queue/logical_block_size")),
        physical_sector_bytes: numeric(root, &format!("{sys}/queue/physical_block_size")),
        rotational,
        removable: root.attribute(&format!("{sys}/removable")).value().map(String::as_str) == Some("1"),
        transport: transport_from_sys_path(&resolved),
        system_medium,
    }
}

/// Runs smartctl on `/dev/NAME` (see [`probe_disk`]): the drive's verdict and our health.
pub fn smart_for(path: &Path) -> (Probed<SmartVerdict>, Option<crate::smart::Health>) {
    smart_verdict(path)
}
