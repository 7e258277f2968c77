//! Devices on real captures: this build VM's sysfs (tests/fixtures/firecracker), a laptop's
//! /proc/bus/input/devices and a laptop's /proc/asound/cards (see tests/fixtures/README.md).

use certificate::{Probed, Transport};
use inventory::devices::{parse_asound_cards, parse_input_devices, probe_devices, IdDatabase, NetKind};
use inventory::{probe_inventory, Options, Root};

fn dir(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn firecracker_vm_pci_and_network_with_hwdata_names() {
    let d = probe_devices(&Root::at(dir("firecracker")));
    assert!(d.pci_ids_found);
    assert_eq!(d.pci.len(), 6);
    let nic = d.pci.iter().find(|p| p.address == "0000:00:03.0").expect("virtio net");
    assert_eq!((nic.vendor_id, nic.device_id, nic.class_code), (0x1af4, 0x1041, 0x020000));
    assert_eq!(nic.vendor.as_deref(), Some("Red Hat, Inc."));
    assert_eq!(nic.device.as_deref(), Some("Virtio 1.0 network device"));
    assert_eq!(nic.class_name.as_deref(), Some("Ethernet controller"));
    assert_eq!(nic.driver.as_deref(), Some("virtio-pci"));
    assert!(d.graphics.is_empty());
    // lo and the ifb devices are virtual: only eth0 has hardware behind it.
    assert_eq!(d.network.len(), 1);
    let eth = &d.network[0];
    assert_eq!((eth.name.as_str(), eth.kind), ("eth0", NetKind::Wired));
    assert_eq!(eth.mac.as_deref(), Some("02:fc:00:00:00:01"));
    assert_eq!(eth.carrier, Some(true));
    assert_eq!(eth.driver.as_deref(), Some("virtio_net"));
    assert!(d.usb.is_empty() && d.sound.is_empty() && d.cameras.is_empty());
}

#[test]
fn firecracker_vm_full_inventory() {
    let inv = probe_inventory(
        &Root::at(dir("firecracker")),
        &Options { smart: false, benchmark: false, endurance: None },
    );
    assert!(matches!(inv.firmware, Probed::Unavailable(ref w) if w.contains("/sys/firmware/dmi/tables")));
    assert!(matches!(inv.memory.slots_total, Probed::Unavailable(_)));
    assert_eq!(inv.disks.len(), 1, "loop and zram devices are not disks");
    let vda = &inv.disks[0].details;
    assert_eq!(vda.name, "vda");
    assert_eq!(vda.transport, Transport::Virtio);
    assert_eq!(
        (vda.logical_sector_bytes.clone(), vda.physical_sector_bytes.clone()),
        (Probed::Value(512), Probed::Value(4096))
    );
    // / is mounted from vda in the captured mountinfo: the system medium, flagged by
    // sanitize::safety's own rule.
    assert!(
        vda.system_medium.as_deref().is_some_and(|w| w.contains("running system")),
        "{:?}",
        vda.system_medium
    );
    // The MAC is locally administered (02:…) and the disk has no serial: no unit id.
    assert_eq!(inv.unit_id, None);
    assert_eq!(inv.cpu.x86_64_level, Probed::Value(3));
    let json = serde_json::to_value(&inv).expect("serializes");
    assert_eq!(json["disks"][0]["name"], "vda");
    assert!(inv.summary_lines().iter().any(|l| l.starts_with("network eth0")));
}

#[test]
fn acer_laptop_input_devices() {
    let text = std::fs::read_to_string(dir("input/acer-aspire-4810tz.devices")).expect("fixture");
    let input = parse_input_devices(&text);
    assert_eq!(input.keyboards, vec!["AT Translated Set 2 keyboard"]);
    assert_eq!(input.touchpads, vec!["SynPS/2 Synaptics TouchPad"]);
    // The USB receiver's mouse; not the software "Macintosh mouse button emulation".
    assert_eq!(input.mice, vec!["Logitech USB Receiver"]);
}

#[test]
fn asound_cards() {
    let text = std::fs::read_to_string(dir("sound/toshiba-nb500.asound-cards")).expect("fixture");
    let cards = parse_asound_cards(&text);
    assert_eq!(cards.len(), 1);
    assert_eq!((cards[0].index, cards[0].id.as_str(), cards[0].driver.as_str()), (0, "Intel", "HDA-Intel"));
    assert_eq!(cards[0].name, "HDA Intel at 0xf0300000 irq 30");
    assert!(parse_asound_cards("--- no soundcards ---\n").is_empty());
}

#[test]
fn id_database_lookups() {
    let text = std::fs::read_to_string(dir("firecracker/usr/share/misc/pci.ids")).expect("fixture");
    let db = IdDatabase::parse(text);
    assert_eq!(db.vendor(0x8086), Some("Intel Corporation"));
    assert_eq!(db.device(0x1af4, 0x1042), Some("Virtio 1.0 block device"));
    assert_eq!(db.device(0x1af4, 0xdead), None);
    assert_eq!(db.class(0x03, 0x00), Some("VGA compatible controller"));
    assert_eq!(db.class(0x01, 0x80), Some("Mass storage controller"), "unknown subclass: the class name");
    let usb = IdDatabase::parse("046d  Logitech, Inc.\n\tc52b  Unifying Receiver\nC 03  Human Interface Device\n\t01  Boot Interface Subclass\n".into());
    assert_eq!(usb.device(0x046d, 0xc52b), Some("Unifying Receiver"));
    assert_eq!(usb.class(0x03, 0x01), Some("Boot Interface Subclass"));
}

/// A QEMU PC captured by scripts/capture-inventory-tree: USB keyboard, mouse, tablet and stick
/// behind a hub, an AC'97 card, an IDE DVD drive, AHCI SATA and NVMe disks, an e1000 NIC,
/// SMBIOS strings.
#[test]
fn qemu_pc_tree() {
    let inv = probe_inventory(
        &Root::at(dir("qemu-pc")),
        &Options { smart: false, benchmark: false, endurance: None },
    );
    let d = &inv.devices;
    assert!(!d.pci_ids_found, "the guest tree has no pci.ids: ids only");
    let names: Vec<&str> = d.usb.iter().filter_map(|u| u.product.as_deref()).collect();
    assert_eq!(
        names,
        ["QEMU USB Keyboard", "QEMU USB Mouse", "QEMU USB Tablet", "QEMU USB Hub", "QEMU USB HARDDRIVE"],
        "root hubs and interfaces left out"
    );
    assert_eq!(d.usb[0].vendor_id, 0x0627);
    let eth = &d.network[0];
    assert_eq!((eth.name.as_str(), eth.kind, eth.mac_permanent), ("eth0", NetKind::Wired, true));
    assert_eq!((eth.carrier, eth.speed_mbps, eth.driver.as_deref()), (Some(true), Some(1000), Some("e1000")));
    assert_eq!(d.network.len(), 1, "lo is virtual");
    assert_eq!(d.sound.len(), 1);
    assert_eq!(d.sound[0].driver, "ICH");
    assert_eq!(d.sound[0].name, "Intel 82801AA-ICH with STAC9700,83,84 at irq 11");
    assert_eq!(d.optical_drives, ["QEMU QEMU DVD-ROM"]);
    assert_eq!(d.graphics.len(), 1);
    assert_eq!((d.graphics[0].vendor_id, d.graphics[0].device_id), (0x1234, 0x1111));
    assert_eq!(d.input.keyboards, ["AT Translated Set 2 keyboard", "QEMU QEMU USB Keyboard"]);
    assert_eq!(
        d.input.mice,
        ["QEMU QEMU USB Mouse", "QEMU QEMU USB Tablet", "ImExPS/2 Generic Explorer Mouse"]
    );
    // NVMe (its hidden per-path node nvme0c0n1 is not a second disk), AHCI SATA, the USB stick.
    let names: Vec<&str> = inv.disks.iter().map(|d| d.details.name.as_str()).collect();
    assert_eq!(names, ["nvme0n1", "sda", "sdb"]);
    let nvme = &inv.disks[0].details;
    assert_eq!(nvme.transport, Transport::Nvme);
    assert_eq!(nvme.serial, Probed::Value("SV-NVME-0002".into()));
    assert_eq!(nvme.firmware, Probed::Value("10.0.2".into()), "NVMe: device/firmware_rev");
    assert_eq!(nvme.rotational, Probed::Value(false));
    assert!(nvme.wwn.value().is_some_and(|w| w.starts_with("nvme.1b36-")));
    let sata = &inv.disks[1].details;
    assert_eq!(sata.transport, Transport::Ata);
    assert_eq!(sata.model, Probed::Value("SV QEMU SATA DIS".into()), "libata's 16-character INQUIRY model");
    assert_eq!(sata.serial, Probed::Value("SV-SATA-0002".into()), "from VPD page 0x80");
    // sysfs's "naa.5000c500a1b2c3d5", in smartctl's form so both sources give the same WWN.
    assert_eq!(sata.wwn, Probed::Value("5000c500a1b2c3d5".into()));
    assert_eq!(sata.identity_sources.serial, Some(certificate::IdentitySource::Sysfs));
    assert_eq!(sata.bridge, None);
    assert_eq!(sata.firmware, Probed::Value("2.5+".into()), "SCSI/ATA: device/rev");
    assert_eq!(sata.rotational, Probed::Value(true));
    assert_eq!(sata.size_bytes, Probed::Value(64 << 20));
    let usb = &inv.disks[2].details;
    assert_eq!(usb.transport, Transport::Usb);
    assert_eq!(usb.size_bytes, Probed::Value(16 << 20));
    // On USB, sysfs holds what the USB device answers (here QEMU's usb-storage): recorded as the
    // bridge's, never as the disk's model.
    let bridge = usb.bridge.as_ref().expect("the USB device above sdb");
    assert_eq!((bridge.vendor_id.as_str(), bridge.product_id.as_str()), ("46f4", "0001"));
    assert_eq!(bridge.product.as_deref(), Some("QEMU USB HARDDRIVE"));
    assert_eq!(bridge.scsi_identity.as_deref(), Some("QEMU QEMU HARDDISK"));
    match &usb.model {
        Probed::Unavailable(why) => assert!(
            why.contains("no source gave the disk's own model (the disk is behind the USB bridge 46f4:0001)")
                && why.contains("describes the USB bridge 46f4:0001 (\"QEMU QEMU HARDDISK\"), not the disk"),
            "{why}"
        ),
        other => panic!("the bridge's words taken as the disk's model: {other:?}"),
    }
    assert!(inv.disks.iter().all(|d| d.details.system_medium.is_none()), "nothing is mounted");
    // Identity: the SMBIOS serial is real, so it wins over the NIC's MAC.
    assert_eq!(inv.unit_id.as_ref().map(|i| i.source), Some(inventory::unit_id::UnitIdSource::SystemSerial));
    let fw = inv.firmware.value().expect("SMBIOS tables");
    assert_eq!(fw.system.as_ref().and_then(|s| s.serial.as_deref()), Some("SVW510-01"));
    assert_eq!(inv.memory.modules[0].part_number.as_deref(), Some("M471B5273CH0-CH9"));
    assert!(inv.summary.contains("67 MB NVMe · 67 MB HDD · 17 MB HDD"), "{}", inv.summary);
}

mod never_panic {
    use inventory::cpu::parse_cpuinfo;
    use inventory::devices::{parse_asound_cards, parse_input_devices, IdDatabase};
    use proptest::prelude::*;

    // Text files of donated machines and of hwdata versions we have not seen: no input may panic.
    proptest! {
        #[test]
        fn text_parsers(text in "(([0-9a-fA-F]{2,4}|C [0-9a-f]{2}|\t|\t\t|N: Name=|H: Handlers=|B: EV=| [0-9] \\[|processor|flags|: | |\n|[a-z\u{e9}]){0,12}){0,40}",
                        v in any::<u16>(), d in any::<u16>(), c in any::<u8>()) {
            let db = IdDatabase::parse(text.clone());
            let _ = (db.vendor(v), db.device(v, d), db.class(c, c));
            let _ = parse_input_devices(&text);
            let _ = parse_asound_cards(&text);
            let _ = parse_cpuinfo(&text);
        }
    }
}
