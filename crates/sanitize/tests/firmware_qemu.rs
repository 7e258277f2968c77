//! Decoding of real structures captured from QEMU 10.0.2's emulated AHCI SATA disk and NVMe
//! controller (tests/fixtures/qemu/, see its README.md for provenance), checked against what the
//! capture's command line set and what QEMU documents: serial and model given with
//! `ide-hd,serial=...,model=...`, 64 MiB disks, 7200 rpm, NVMe model "QEMU NVMe Ctrl",
//! PCI vendor 1B36h (Red Hat) and subsystem vendor 1AF4h.

use std::path::{Path, PathBuf};

use sanitize::firmware::ata::{Checksum, IdentifyDevice};
use sanitize::firmware::nvme::{IdentifyController, IdentifyNamespace, NvmeStatus};
use sanitize::firmware::{choose, Capabilities, PlannedAction, PurgeMethod};

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "qemu", name].iter().collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn qemu_ata_identify() {
    let id = IdentifyDevice::parse(&fixture("ata-identify.bin")).expect("decode");
    assert!(id.is_ata);
    assert_eq!(id.serial, "SV-SATA-0001");
    assert_eq!(id.model, "SV QEMU SATA DISK");
    assert_eq!(id.firmware, "2.5+", "QEMU's IDE firmware revision string");
    assert_eq!(id.sectors_48, Some(131_072), "64 MiB in 512-byte sectors");
    assert_eq!(id.sectors_28, 131_072);
    assert_eq!(id.capacity_bytes(), 64 << 20);
    assert_eq!((id.logical_sector_size, id.physical_sector_size), (512, 512));
    assert_eq!(id.rotation_rate, 7200);
    assert_eq!(id.is_rotational(), Some(true));
    assert!(id.trim_supported);
    // QEMU implements neither the Security nor the Sanitize feature set, nor HPA or DCO, and
    // leaves the integrity word at 0 (hdparm -I: "Integrity word not set").
    assert!(!id.security.supported);
    assert_eq!((id.erase_time, id.enhanced_erase_time), (None, None));
    assert!(!id.sanitize.supported);
    assert!(!id.hpa_supported && !id.dco_supported);
    assert_eq!(id.checksum, Checksum::Absent);
}

#[test]
fn qemu_ata_disk_is_cleared_by_overwrite() {
    let id = IdentifyDevice::parse(&fixture("ata-identify.bin")).expect("decode");
    let caps = Capabilities::from_ata(Path::new("/dev/sda"), &id, None, None, None);
    assert!(caps.methods.is_empty());
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Overwrite);
    assert!(plan.reason.contains("ATA SECURITY ERASE UNIT, normal (ACS-4 §7.45.4) is not supported"));
}

#[test]
fn qemu_nvme_identify_controller() {
    let c = IdentifyController::parse(&fixture("nvme-id-ctrl.bin")).expect("decode");
    assert_eq!(c.vid, 0x1B36);
    assert_eq!(c.ssvid, 0x1AF4);
    assert_eq!(c.serial, "SV-NVME-0001");
    assert_eq!(c.model, "QEMU NVMe Ctrl");
    assert_eq!(c.firmware, "10.0.2");
    assert_eq!(c.version, 0x0001_0400, "NVMe 1.4");
    // nvme-cli's decoding of the same bytes (nvme-id-ctrl.json): oacs 298, sanicap 0, fna 0,
    // nn 256, oncs 1885.
    assert_eq!(c.oacs, 298);
    assert!(c.format_supported() && !c.security_send_receive_supported());
    assert!(!c.sanitize.any());
    assert_eq!(c.format, Default::default());
    assert_eq!(c.namespaces, 256);
    assert_eq!(c.oncs, 1885);
    assert!(c.deallocate_supported());
    assert_eq!(c.total_capacity, 0);
}

#[test]
fn qemu_nvme_identify_namespace() {
    let ns = IdentifyNamespace::parse(&fixture("nvme-id-ns.bin")).expect("decode");
    assert_eq!((ns.size, ns.capacity), (131_072, 131_072));
    assert_eq!(ns.lba_formats.len(), 8);
    assert_eq!(ns.current_format_index(), 0);
    assert_eq!(ns.lba_data_size(), Some(512));
    assert_eq!(ns.size_bytes(), Some(64 << 20));
    assert_eq!(ns.lba_formats[4].data_size(), Some(4096));
    assert_eq!(ns.lba_formats[1].metadata_size, 8);
}

#[test]
fn qemu_nvme_gets_format_user_data_erase() {
    let c = IdentifyController::parse(&fixture("nvme-id-ctrl.bin")).expect("decode");
    let ns = IdentifyNamespace::parse(&fixture("nvme-id-ns.bin")).expect("decode");
    let caps = Capabilities::from_nvme(Path::new("/dev/nvme0n1"), &c, Some(&ns), None);
    assert_eq!(caps.capacity_bytes, Some(64 << 20));
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Firmware(PurgeMethod::NvmeFormatUserDataErase));
    assert!(plan.reason.contains("NVMe Format NVM, Cryptographic Erase"), "{}", plan.reason);
}

#[test]
fn qemu_refuses_the_sanitize_log() {
    // QEMU has no Sanitize Status log: the capture recorded nvme-cli's message for status 4002h.
    let text = String::from_utf8(fixture("nvme-sanitize-log.error.txt")).expect("utf-8");
    assert!(text.contains("0x4002"), "{text}");
    let status = NvmeStatus(0x4002);
    assert_eq!(status.description(), "invalid field in command");
    assert!(status.do_not_retry());
}
