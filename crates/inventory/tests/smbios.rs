//! The SMBIOS reader on real table dumps (see tests/fixtures/README.md for their sources); the
//! expected values are those of dmidecode 3.2's output kept next to each dump.

use inventory::smbios::{EntryPoint, Smbios, SmbiosVersion};

fn fixture(path: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn dump(name: &str) -> Smbios {
    Smbios::parse_dump(&fixture(&format!("smbios/{name}.bin"))).expect("parses")
}

#[test]
fn print_all() {
    for n in ["Gigabyte-GA-MA74GMT-S2", "MSI-MS-7816", "Lenovo-ThinkPad-W510", "Lenovo-ThinkPad-T480", "Asus-UX307LA"] {
        let s = dump(n);
        eprintln!("== {n} v{} structs {} problems {:?}\n bios {:?}\n sys {:?}\n board {:?}\n chassis {:?}\n arrays {:?}\n slots {}/{} installed {} max {:?}", s.version, s.structures, s.problems, s.bios, s.system, s.board, s.chassis, s.memory_arrays, s.slots_used(), s.slots_total(), s.installed_bytes(), s.max_capacity_bytes());
        for m in &s.memory_modules { eprintln!("   {m:?}"); }
    }
    let q = Smbios::parse(&fixture("qemu/smbios/smbios_entry_point"), &fixture("qemu/smbios/DMI")).expect("qemu");
    eprintln!("QEMU {:?} {:?} {:?} {:?} {:?} {:?}", q.version, q.system, q.board, q.bios, q.memory_modules, q.problems);
    let _ = (EntryPoint::parse(b""), SmbiosVersion { major: 2, minor: 0 });
}
