//! A disk's identity through USB bridges, on captured sysfs trees and real smartctl output (see
//! tests/fixtures/README.md for where each comes from).

use std::path::Path;

use certificate::{IdentitySource, Probed, Transport};
use inventory::{disk_facts, smart_from_output, DiskFacts, Root};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn json(name: &str) -> Vec<u8> {
    let path = fixture(&format!("smartctl/{name}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn endurance() -> inventory::smart::EndurancePolicy {
    grading::Policy::default_policy().disk.endurance
}

/// The disk `name` of the tree `tree`, as `station run` would certify it, with smartctl having
/// printed `capture` (or not run, when `None`).
fn facts(tree: &str, name: &str, capture: Option<&str>) -> DiskFacts {
    let dev = format!("/dev/{name}");
    let smart = match capture {
        Some(c) => smart_from_output(&json(c), Path::new(&dev)),
        None => Err("smartctl is not installed".to_owned()),
    };
    disk_facts(
        &format!("/sys/block/{name}"),
        &Root::at(fixture(tree)),
        smart,
        Err("not sent (a captured tree)".to_owned()),
        &endurance(),
    )
}

#[test]
fn behind_each_bridge_kind_the_disk_is_certified_under_its_own_name() {
    // (disk, capture, the disk's model and serial, the bridge's ids, what sysfs says instead)
    let cases = [
        (
            "sdb",
            "usb-jmicron-wdc-wd2500bevs.json",
            "WDC WD2500BEVS-22UST0",
            "WD-WXEX07421253",
            ("152d", "2338"),
            "JMicron",
        ),
        (
            "sdc",
            "usb-sunplus-samsung-hd204ui.json",
            "SAMSUNG HD204UI",
            "S2H7J9FB203635",
            ("04fc", "0c15"),
            "Sunplus",
        ),
        (
            "sdd",
            "ssd-intel-ssdsc2bb120g4l.json",
            "INTEL SSDSC2BB120G4L",
            "PHWL12345678901LGN",
            ("174c", "55aa"),
            "ASMedia",
        ),
    ];
    for (name, capture, model, serial, (vid, pid), chip) in cases {
        let f = facts("usb-bridges", name, Some(capture));
        assert_eq!(f.transport, Transport::Usb, "{name}");
        assert_eq!(f.model, Probed::Value(model.into()), "{name}");
        assert_eq!(f.serial, Probed::Value(serial.into()), "{name}");
        assert_eq!(f.identity_sources.model, Some(IdentitySource::Smartctl), "{name}");
        assert_eq!(f.identity_sources.serial, Some(IdentitySource::Smartctl), "{name}");
        let bridge = f.bridge.as_ref().unwrap_or_else(|| panic!("{name}: no bridge recorded"));
        assert_eq!((bridge.vendor_id.as_str(), bridge.product_id.as_str()), (vid, pid), "{name}");
        assert_eq!(bridge.chip_vendor.as_deref(), Some(chip), "{name}");
        assert!(f.smart.value().is_some(), "{name}: {:?}", f.smart);
    }
    let jm = facts("usb-bridges", "sdb", Some("usb-jmicron-wdc-wd2500bevs.json"));
    let bridge = jm.bridge.expect("bridge");
    assert_eq!(
        bridge.scsi_identity.as_deref(),
        Some("JMicron Generic"),
        "the bridge's INQUIRY, kept as the bridge's"
    );
    assert_eq!(bridge.serial.as_deref(), Some("000000000000"));
    assert_eq!(jm.firmware, Probed::Value("01.01A01".into()), "the disk's firmware, not the bridge's 0100");
    assert_eq!(jm.wwn, Probed::Value("50014ee200a7f658".into()));
}

#[test]
fn through_a_bridge_and_on_sata_the_disk_facts_are_the_same() {
    // The same capture of the Intel SSD, once behind the ASMedia bridge, once on QEMU's AHCI port.
    let usb = facts("usb-bridges", "sdd", Some("ssd-intel-ssdsc2bb120g4l.json"));
    let sata = facts("qemu-pc", "sda", Some("ssd-intel-ssdsc2bb120g4l.json"));
    assert_eq!(sata.transport, Transport::Ata);
    assert_eq!(sata.bridge, None);
    assert_eq!(
        (&usb.model, &usb.serial, &usb.firmware, &usb.wwn),
        (&sata.model, &sata.serial, &sata.firmware, &sata.wwn)
    );
    assert_eq!(usb.identity_sources, sata.identity_sources);
    assert_eq!(usb.smart, sata.smart);
    assert_eq!(usb.health, sata.health);
    assert_eq!(usb.wwn, Probed::Value("55cd2e40499602d2".into()));
}

#[test]
fn udev_gives_the_serial_when_it_read_the_disk_itself() {
    // No smartctl: udev's ata_id record (ID_BUS=ata) of the disk behind the ASMedia bridge.
    let f = facts("usb-bridges", "sdd", None);
    assert_eq!(f.serial, Probed::Value("PHWL12345678901LGN".into()));
    assert_eq!(f.model, Probed::Value("INTEL SSDSC2BB120G4L".into()), "ID_MODEL_ENC decoded and trimmed");
    assert_eq!(f.wwn, Probed::Value("55cd2e40499602d2".into()));
    assert_eq!(f.identity_sources.serial, Some(IdentitySource::Udev));
}

#[test]
fn when_no_source_gives_a_serial_the_reason_says_so_in_plain_words() {
    // JMicron without smartctl: udev has only the bridge's usb_id strings, sysfs the bridge's INQUIRY.
    let f = facts("usb-bridges", "sdb", None);
    let why = match &f.serial {
        Probed::Unavailable(why) => why.clone(),
        other => panic!("the bridge's serial taken as the disk's: {other:?}"),
    };
    assert!(why.starts_with("no source gave the disk's own serial number (the disk is behind the USB bridge JMicron 152d:2338)"), "{why}");
    assert!(why.contains("smartctl: smartctl is not installed"), "{why}");
    assert!(
        why.contains("ID_BUS=usb: its ID_SERIAL \"JMicron_Generic_000000000000-0:0\" is the USB bridge's"),
        "{why}"
    );
    assert!(
        why.contains("describes the USB bridge JMicron 152d:2338 (\"JMicron Generic\"), not the disk"),
        "{why}"
    );
    assert!(!why.contains("does not exist on this machine"), "{why}");
    assert!(matches!(f.model, Probed::Unavailable(_)), "{:?}", f.model);
    assert_eq!(f.identity_sources.serial, None);
}

#[test]
fn smartctl_reaching_a_usb_disk_only_as_scsi_gives_the_bridges_words() {
    let mut v: serde_json::Value =
        serde_json::from_slice(&json("usb-sunplus-samsung-hd204ui.json")).expect("JSON");
    v["device"]["protocol"] = serde_json::json!("SCSI");
    v["device"]["type"] = serde_json::json!("scsi");
    let smart = smart_from_output(&serde_json::to_vec(&v).expect("serializes"), Path::new("/dev/sdc"));
    let f = disk_facts(
        "/sys/block/sdc",
        &Root::at(fixture("usb-bridges")),
        smart,
        Err("not sent".into()),
        &endurance(),
    );
    match &f.serial {
        Probed::Unavailable(why) => {
            assert!(why.contains("reached the USB disk only as SCSI (device type scsi)"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}
