//! A disk's identity (every source, [`crate::identity`]) and its SMART verdict from smartctl.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;

use certificate::{IdentitySources, Probed, SmartVerdict, Transport, UsbBridge};

use crate::identity::{self, DiskIdentity};

use crate::Root;

/// What the certificate records about a disk before it is wiped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskFacts {
    /// Model string.
    pub model: Probed<String>,
    /// Serial number.
    pub serial: Probed<String>,
    /// Firmware revision.
    pub firmware: Probed<String>,
    /// World Wide Name.
    pub wwn: Probed<String>,
    /// Which source gave each identity field ([`crate::identity`]).
    pub identity_sources: IdentitySources,
    /// The USB bridge the disk is behind, if any.
    pub bridge: Option<UsbBridge>,
    /// How it is attached.
    pub transport: Transport,
    /// SMART overall health.
    pub smart: Probed<SmartVerdict>,
    /// Our verdict for reuse, with reasons (see [`crate::smart::SmartReport::health`]).
    pub health: Option<crate::smart::Health>,
    /// The rated endurance used, when the disk reports it.
    pub endurance: Option<crate::smart::Endurance>,
}

impl DiskFacts {
    fn without_hardware(why: &str, transport: Transport, smart_why: &str) -> Self {
        DiskFacts {
            model: Probed::unavailable(why),
            serial: Probed::unavailable(why),
            firmware: Probed::unavailable(why),
            wwn: Probed::unavailable(why),
            identity_sources: IdentitySources::default(),
            bridge: None,
            transport,
            smart: Probed::unavailable(smart_why),
            health: None,
            endurance: None,
        }
    }
}

/// Inventories the disk at `path` (a block device, or a regular file standing for one): its
/// identity from the disk itself (ATA/NVMe IDENTIFY through SG_IO), smartctl, udev and sysfs
/// by the precedence of [`crate::identity`], and its health judged with `endurance`.
pub fn probe_disk(path: &Path, root: &Root, endurance: &crate::smart::EndurancePolicy) -> DiskFacts {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let why = format!("cannot read {}: {e}", path.display());
            return DiskFacts::without_hardware(&why, Transport::Unknown, &why);
        }
    };
    if !meta.file_type().is_block_device() {
        return DiskFacts::without_hardware(
            "a regular file standing for a disk: it has no hardware identity",
            Transport::File,
            "a regular file has no SMART data",
        );
    }
    let rdev = meta.rdev();
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    let sys = format!("/sys/dev/block/{major}:{minor}");
    let transport = transport_from_sys_path(&resolved(root, &sys).to_string_lossy());
    let (smart, own) = match transport {
        Transport::Loop | Transport::Virtio => (
            Err("this kind of device has no SMART".to_owned()),
            Err("this kind of device has no IDENTIFY".to_owned()),
        ),
        _ => (
            run_smartctl(path),
            sanitize::firmware::detect(path).map_err(|e| format!("the station's own IDENTIFY failed: {e}")),
        ),
    };
    disk_facts(&sys, root, smart, own.as_ref().map_err(String::clone), endurance)
}

/// The facts of the disk at sysfs directory `sys` (`/sys/dev/block/MAJ:MIN` or
/// `/sys/block/NAME`) below `root`, from smartctl's report (or why there is none) and the
/// station's own IDENTIFY (or why there is none). Pure apart from reading below `root`, so it
/// runs on fixture trees and captured smartctl output.
pub fn disk_facts(
    sys: &str,
    root: &Root,
    smart: Result<(crate::smart::SmartReport, Probed<SmartVerdict>), String>,
    own: Result<&sanitize::firmware::Capabilities, String>,
    endurance: &crate::smart::EndurancePolicy,
) -> DiskFacts {
    let transport = transport_from_sys_path(&resolved(root, sys).to_string_lossy());
    let (report, verdict, smart_why) = match smart {
        Ok((r, v)) => (Some(r), v, String::new()),
        Err(why) => (None, Probed::unavailable(why.clone()), why),
    };
    let id = identify(sys, root, transport, report.as_ref(), &smart_why, own);
    DiskFacts {
        model: id.model,
        serial: id.serial,
        firmware: id.firmware,
        wwn: id.wwn,
        identity_sources: id.sources,
        bridge: id.bridge,
        transport,
        smart: verdict,
        health: report.as_ref().map(|r| r.health(Some(endurance))),
        endurance: report.as_ref().and_then(|r| r.endurance()),
    }
}

/// The identity of the disk at sysfs directory `sys`, from every source ([`crate::identity`]).
pub fn identify(
    sys: &str,
    root: &Root,
    transport: Transport,
    report: Option<&crate::smart::SmartReport>,
    smart_why: &str,
    own: Result<&sanitize::firmware::Capabilities, String>,
) -> DiskIdentity {
    let on_usb = transport == Transport::Usb;
    let bridge = if on_usb { identity::usb_bridge(&resolved(root, sys), sys, root) } else { None };
    let devnum = root.attribute(&format!("{sys}/dev")).value().cloned();
    let readings = [
        identity::firmware_reading(own),
        identity::smartctl_reading(report, on_usb, smart_why),
        identity::udev_reading(devnum.as_deref(), root),
        identity::sysfs_reading(sys, root, bridge.as_ref()),
    ];
    identity::resolve(&readings, bridge)
}

fn resolved(root: &Root, sys: &str) -> std::path::PathBuf {
    std::fs::canonicalize(root.join(sys)).unwrap_or_default()
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

/// Runs `smartctl --json=c -x` on `path` and parses its report, with the drive's verdict.
pub fn run_smartctl(path: &Path) -> Result<(crate::smart::SmartReport, Probed<SmartVerdict>), String> {
    let out = match Command::new("smartctl").arg("--json=c").arg("-x").arg(path).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("smartctl is not installed".into()),
        Err(e) => return Err(format!("smartctl could not run: {e}")),
    };
    smart_from_output(&out.stdout, path)
}

/// Parses smartctl's JSON output for `path`: the report and the drive's own verdict.
pub fn smart_from_output(
    stdout: &[u8],
    path: &Path,
) -> Result<(crate::smart::SmartReport, Probed<SmartVerdict>), String> {
    match crate::smart::SmartReport::from_json(stdout) {
        Ok(report) => {
            let verdict = match report.smart_passed {
                Some(true) => Probed::Value(SmartVerdict::Passed),
                Some(false) => Probed::Value(SmartVerdict::Failed),
                None => smart_verdict_from_json(stdout),
            };
            Ok((report, verdict))
        }
        Err(e) => Err(format!("smartctl's output for {}: {e}", path.display())),
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Which source gave model, serial, firmware and WWN ([`crate::identity`]).
    #[serde(default)]
    pub identity_sources: IdentitySources,
    /// The USB bridge the disk is behind (its ids and strings, not the disk's).
    #[serde(default)]
    pub bridge: Option<UsbBridge>,
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

/// Reads /sys/block/`name` below `root` (identity from udev and sysfs only: see
/// [`probe_disk_details_with`]).
pub fn probe_disk_details(name: &str, root: &Root) -> DiskDetails {
    probe_disk_details_with(name, root, None, "smartctl not run for this inventory")
}

/// Reads /sys/block/`name` below `root`, taking the disk's identity from smartctl's `report`
/// too when there is one (`smart_why` says why not otherwise).
pub fn probe_disk_details_with(
    name: &str,
    root: &Root,
    report: Option<&crate::smart::SmartReport>,
    smart_why: &str,
) -> DiskDetails {
    let sys = format!("/sys/block/{name}");
    let resolved = resolved(root, &sys).to_string_lossy().into_owned();
    let transport = transport_from_sys_path(&resolved);
    let id = identify(&sys, root, transport, report, smart_why, Err("not sent for an inventory".into()));
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
        model: id.model,
        serial: id.serial,
        firmware: id.firmware,
        wwn: id.wwn,
        identity_sources: id.sources,
        bridge: id.bridge,
        size_bytes: match numeric::<u64>(root, &format!("{sys}/size")) {
            Probed::Value(s) => Probed::Value(s * 512),
            Probed::Unavailable(why) => Probed::Unavailable(why),
        },
        logical_sector_bytes: numeric(root, &format!("{sys}/queue/logical_block_size")),
        physical_sector_bytes: numeric(root, &format!("{sys}/queue/physical_block_size")),
        rotational,
        removable: root.attribute(&format!("{sys}/removable")).value().map(String::as_str) == Some("1"),
        transport,
        system_medium,
    }
}
