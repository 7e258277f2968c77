//! The SMBIOS reader on real table dumps (tests/fixtures/README.md says where each came from).
//! Expected values are those of dmidecode 3.2's report kept next to each dump
//! (`*.dmidecode.txt`), except where noted: we drop placeholder module serials ("00000000").

use inventory::smbios::{walk, EntryPoint, Smbios};
use proptest::prelude::*;

fn fixture(path: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn dump(name: &str) -> Smbios {
    let s = Smbios::parse_dump(&fixture(&format!("smbios/{name}.bin"))).expect("parses");
    assert!(s.problems.is_empty(), "{name}: {:?}", s.problems);
    s
}

const GIB: u64 = 1 << 30;

#[test]
fn desktop_gigabyte_ga_ma74gmt_s2_smbios_2_4_ddr2_era() {
    let s = dump("Gigabyte-GA-MA74GMT-S2");
    assert_eq!(s.version.to_string(), "2.4");
    assert_eq!(s.structures, 54);
    let bios = s.bios.as_ref().expect("type 0");
    assert_eq!(bios.vendor.as_deref(), Some("Award Software International, Inc."));
    assert_eq!(bios.version.as_deref(), Some("F8"));
    assert_eq!(bios.release_date.as_deref(), Some("08/03/2010"));
    let sys = s.system.as_ref().expect("type 1");
    assert_eq!(sys.product.as_deref(), Some("GA-MA74GMT-S2"));
    // Before 2.6 the UUID is printed in the byte order stored (dmidecode agrees).
    assert_eq!(sys.uuid.as_deref(), Some("31433646-3635-3532-3445-3546ffffffff"));
    assert_eq!(sys.serial, None, "the serial string is blank");
    assert_eq!(s.chassis.as_ref().and_then(|c| c.type_name.as_deref()), Some("desktop"));
    assert_eq!((s.slots_used(), s.slots_total()), (2, 4));
    assert_eq!(s.installed_bytes(), 2 * GIB);
    assert_eq!(s.max_capacity_bytes(), Some(16 * GIB));
    let m = &s.memory_modules[2];
    assert_eq!(m.locator.as_deref(), Some("A2"));
    assert_eq!(m.size_bytes, Some(GIB));
    assert_eq!(m.speed_mts, Some(1066));
    // This Award BIOS writes type "Unknown" for its DDR2 modules: we say so rather than guess.
    assert_eq!(m.memory_type, None);
    assert_eq!(m.form_factor.as_deref(), Some("DIMM"));
    assert!(!s.memory_modules[0].installed());
}

#[test]
fn desktop_msi_ms_7816_ddr3_with_placeholder_serials() {
    let s = dump("MSI-MS-7816");
    assert_eq!(s.version.to_string(), "2.8");
    let sys = s.system.as_ref().expect("type 1");
    assert_eq!(sys.serial.as_deref(), Some("To be filled by O.E.M."));
    assert!(inventory::is_placeholder(sys.serial.as_deref().unwrap_or_default()));
    assert_eq!(s.board.as_ref().and_then(|b| b.product.as_deref()), Some("H87-G43 (MS-7816)"));
    assert_eq!(s.bios.as_ref().and_then(|b| b.version.as_deref()), Some("V2.14B14"));
    assert_eq!((s.slots_used(), s.slots_total()), (4, 4));
    assert_eq!(s.installed_bytes(), 32 * GIB);
    for m in &s.memory_modules {
        assert_eq!(m.memory_type.as_deref(), Some("DDR3"));
        assert_eq!(m.size_bytes, Some(8 * GIB));
        assert_eq!((m.speed_mts, m.configured_speed_mts), (Some(1600), Some(1600)));
        assert_eq!(m.part_number.as_deref(), Some("CT102464BA160B.C16"));
        assert_eq!(m.manufacturer.as_deref(), Some("1315"));
    }
    assert_eq!(s.memory_modules[0].serial.as_deref(), Some("A40C03AC"));
    assert_eq!(s.memory_modules[0].locator.as_deref(), Some("ChannelA-DIMM0"));
}

#[test]
fn laptop_thinkpad_w510_ddr3_sodimm_and_empty_slots() {
    let s = dump("Lenovo-ThinkPad-W510");
    assert_eq!(s.version.to_string(), "2.6");
    let sys = s.system.as_ref().expect("type 1");
    assert_eq!(sys.serial.as_deref(), Some("R86W27P"));
    assert_eq!(sys.version.as_deref(), Some("ThinkPad W510"));
    assert_eq!(sys.family.as_deref(), Some("ThinkPad W510"));
    // 2.6: the first three UUID fields are little-endian.
    assert_eq!(sys.uuid.as_deref(), Some("01f055ee-7b50-cb11-89b7-b3fc67fdc149"));
    assert_eq!(s.board.as_ref().and_then(|b| b.serial.as_deref()), Some("1ZHRZ05562E"));
    assert_eq!(s.chassis.as_ref().and_then(|c| c.type_name.as_deref()), Some("notebook"));
    assert_eq!((s.slots_used(), s.slots_total()), (2, 4));
    assert_eq!(s.installed_bytes(), 8 * GIB);
    let m = &s.memory_modules[0];
    assert_eq!(m.form_factor.as_deref(), Some("SODIMM"));
    assert_eq!(m.memory_type.as_deref(), Some("DDR3"));
    assert_eq!(m.speed_mts, Some(1334));
    assert_eq!(m.configured_speed_mts, None, "no configured speed before 2.7");
    assert_eq!(m.manufacturer.as_deref(), Some("859B"));
    assert_eq!(m.part_number.as_deref(), Some("CT51264BF1339.C16F"));
    assert_eq!(m.serial, None, "00000000 is a placeholder");
    assert!(!s.memory_modules[1].installed());
    assert_eq!(s.memory_modules[1].manufacturer, None);
}

#[test]
fn laptop_thinkpad_t480s_smbios_3_ddr4() {
    let raw = fixture("smbios/Lenovo-ThinkPad-T480.bin");
    let ep = EntryPoint::parse(&raw).expect("entry point");
    assert_eq!((ep.anchor, ep.table_address), ("_SM3_", 0x20));
    assert!(ep.checksum_ok);
    let s = dump("Lenovo-ThinkPad-T480");
    assert_eq!(s.version.to_string(), "3.0");
    let sys = s.system.as_ref().expect("type 1");
    assert_eq!(sys.sku.as_deref(), Some("LENOVO_MT_20L8_BU_Think_FM_ThinkPad T480s"));
    assert_eq!(sys.uuid.as_deref(), Some("161674cc-2a1e-11b2-a85c-e121881d01b9"));
    assert_eq!(s.bios.as_ref().and_then(|b| b.version.as_deref()), Some("N22ET52W (1.29 )"));
    assert_eq!(s.installed_bytes(), 24 * GIB);
    let m = &s.memory_modules[1];
    assert_eq!((m.memory_type.as_deref(), m.size_bytes), (Some("DDR4"), Some(16 * GIB)));
    assert_eq!(m.manufacturer.as_deref(), Some("Samsung"));
    assert_eq!(m.part_number.as_deref(), Some("M471A2K43CB1-CRC"));
    assert_eq!(m.serial.as_deref(), Some("417B9BB7"));
    assert_eq!(s.max_capacity_bytes(), Some(32 * GIB));
}

#[test]
fn laptop_asus_ux305la_lpddr3() {
    let s = dump("Asus-UX307LA");
    assert_eq!(s.system.as_ref().and_then(|x| x.product.as_deref()), Some("UX305LA"));
    assert!(s.memory_modules.iter().all(|m| m.memory_type.as_deref() == Some("LPDDR3")));
    assert_eq!(s.installed_bytes(), 8 * GIB);
}

#[test]
fn qemu_tables_match_sysfs_dmi() {
    let s = Smbios::parse(&fixture("qemu/smbios/smbios_entry_point"), &fixture("qemu/smbios/DMI"))
        .expect("qemu tables");
    let sys = s.system.as_ref().expect("type 1");
    let sysfs_uuid = String::from_utf8(fixture("qemu/dmi/product_uuid")).expect("utf-8");
    assert_eq!(sys.uuid.as_deref(), Some(sysfs_uuid.trim()));
    assert_eq!(sys.serial.as_deref(), Some("SVTAG01"));
    assert_eq!(s.board.as_ref().and_then(|b| b.serial.as_deref()), Some("..SV0001."));
    let m = &s.memory_modules[0];
    assert_eq!(m.part_number.as_deref(), Some("M378B5673FH0-CH9"));
    assert_eq!(m.serial.as_deref(), Some("SV0DIMM1"));
}

#[test]
fn truncated_table_names_the_offset_and_keeps_what_was_read() {
    let raw = fixture("smbios/Lenovo-ThinkPad-W510.bin");
    let table = &raw[0x20..];
    let (all, err) = walk(table);
    assert!(err.is_none());
    // Cut the table in the middle of the tenth structure.
    let tenth = all[9].offset;
    let cut = &table[..tenth + 3];
    let s = Smbios::parse_table(cut, inventory::smbios::SmbiosVersion { major: 2, minor: 6 });
    assert_eq!(s.structures, 9);
    assert_eq!(s.system.as_ref().and_then(|x| x.serial.as_deref()), Some("R86W27P"), "read before the cut");
    let p = &s.problems[0];
    assert_eq!(p.offset, tenth);
    assert!(p.to_string().contains(&format!("SMBIOS table at byte {tenth}")), "{p}");
    // A cut inside a string set.
    let s = Smbios::parse_table(&table[..all[9].offset + all[9].formatted.len() + 2], s.version);
    assert!(s.problems[0].message.contains("not terminated"), "{:?}", s.problems);
}

#[test]
fn corrupt_length_and_bad_entry_points() {
    let mut raw = fixture("smbios/MSI-MS-7816.bin");
    let (all, _) = walk(&raw[0x20..]);
    let at = all[3].offset;
    raw[0x20 + at + 1] = 2; // a structure length below the 4-byte header
    let s = Smbios::parse_dump(&raw).expect("entry point intact");
    assert!(s.bios.is_some(), "structures before the damage are still decoded");
    assert_eq!(s.problems[0].offset, at);
    assert!(s.problems[0].message.contains("length of 2"), "{}", s.problems[0]);

    let mut bad_sum = fixture("smbios/MSI-MS-7816.bin");
    bad_sum[4] ^= 0xff;
    let s = Smbios::parse_dump(&bad_sum).expect("checksum is not fatal");
    assert!(
        s.problems[0].to_string().contains("SMBIOS entry point at byte 0: checksum"),
        "{}",
        s.problems[0]
    );
    assert_eq!(s.memory_modules.len(), 4);

    let e = EntryPoint::parse(b"hello").expect_err("no anchor");
    assert_eq!(e.offset, 0);
    let e = Smbios::parse_dump(&fixture("smbios/MSI-MS-7816.bin")[..0x1f]).expect_err("no table");
    assert!(e.message.contains("past the end"), "{e}");
}

proptest! {
    // The tables come from donated hardware: no byte sequence may panic the reader.
    #[test]
    fn arbitrary_tables_never_panic(table in proptest::collection::vec(any::<u8>(), 0..600), minor in 0u8..9) {
        let s = Smbios::parse_table(&table, inventory::smbios::SmbiosVersion { major: 2, minor });
        let _ = (s.slots_used(), s.slots_total(), s.installed_bytes(), s.max_capacity_bytes());
    }

    #[test]
    fn arbitrary_dumps_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), anchor in 0usize..3) {
        let mut file = [b"_SM_".as_slice(), b"_SM3_", b"_DMI_"][anchor].to_vec();
        file.extend(bytes);
        let _ = Smbios::parse_dump(&file);
        let _ = EntryPoint::parse(&file);
    }

    // Flipping bytes of a real table: still no panic, and the BIOS structure (first) survives
    // damage that starts after it.
    #[test]
    fn damaged_real_tables_never_panic(pos in 0usize..3000, val in any::<u8>()) {
        let mut raw = fixture("smbios/Lenovo-ThinkPad-T480.bin");
        let i = 0x20 + pos % (raw.len() - 0x20);
        raw[i] = val;
        let _ = Smbios::parse_dump(&raw);
    }
}

/// The W510 dump laid out as the kernel exports it (/sys/firmware/dmi/tables), in a scratch tree.
#[test]
fn inventory_of_a_thinkpad_w510_tree() {
    use certificate::Probed;
    use inventory::unit_id::UnitIdSource;
    let raw = fixture("smbios/Lenovo-ThinkPad-W510.bin");
    let root = std::env::temp_dir().join(format!("sv-w510-{}", std::process::id()));
    let tables = root.join("sys/firmware/dmi/tables");
    std::fs::create_dir_all(&tables).expect("mkdir");
    std::fs::write(tables.join("smbios_entry_point"), &raw[..0x1f]).expect("write");
    std::fs::write(tables.join("DMI"), &raw[0x20..]).expect("write");
    let inv = inventory::probe_inventory(
        &inventory::Root::at(&root),
        &inventory::Options { smart: false, benchmark: false, endurance: None },
    );
    let _ = std::fs::remove_dir_all(&root);
    let id = inv.unit_id.expect("a real system serial");
    assert_eq!(id.source, UnitIdSource::SystemSerial);
    assert_eq!(inv.memory.slots_used, Probed::Value(2));
    assert_eq!(inv.memory.slots_total, Probed::Value(4));
    assert_eq!(inv.memory.installed_bytes, Probed::Value(8 * GIB));
    assert_eq!(inv.memory.modules.len(), 4);
    let fw = inv.firmware.value().expect("firmware");
    assert_eq!(fw.bios.as_ref().and_then(|b| b.version.as_deref()), Some("6NET84WW (1.45 )"));
    assert!(inv.summary.contains("8 GB DDR3"), "{}", inv.summary);
}

#[test]
fn msi_placeholders_fall_back_past_system_and_board_serials() {
    let s = dump("MSI-MS-7816");
    let facts = inventory::unit_id::IdentityFacts {
        system_serial: s.system.as_ref().and_then(|x| x.serial.clone()),
        board_serial: s.board.as_ref().and_then(|x| x.serial.clone()),
        wired_mac: Some("d8:cb:8a:12:34:56".into()),
        disk_serials: vec![],
    };
    let id = inventory::unit_id::derive_unit_id(&facts).expect("id");
    assert_eq!(id.source, inventory::unit_id::UnitIdSource::WiredMac);
}
