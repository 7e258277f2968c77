//! ATA PASS-THROUGH(16) encoding, checked byte by byte against SAT-4 Table 166 and the ACS-4
//! command tables, and decoding of IDENTIFY DEVICE data and sense data built word by word from
//! the ACS-4 / SAT-4 tables. Pure: no device is opened.

use sanitize::firmware::ata::{
    self, decode_sense, AtaCommand, AtaPassword, AtaSanitize, AtaSanitizeStatus, Checksum, DcoIdentify,
    EraseTime, IdentifyDevice, SanitizeFailure,
};

/// An IDENTIFY DEVICE block built from ACS-4 Table 39, word by word.
struct Identify([u16; 256]);

impl Identify {
    fn new() -> Self {
        Identify([0; 256])
    }
    fn set(&mut self, w: usize, v: u16) -> &mut Self {
        self.0[w] = v;
        self
    }
    /// An ATA string: first character in bits 15:8 of each word, space padded.
    fn string(&mut self, first: usize, last: usize, s: &str) -> &mut Self {
        let mut bytes = s.as_bytes().to_vec();
        bytes.resize(2 * (last - first + 1), b' ');
        for (i, pair) in bytes.chunks(2).enumerate() {
            self.0[first + i] = u16::from(pair[0]) << 8 | u16::from(pair[1]);
        }
        self
    }
    fn qword(&mut self, w: usize, v: u64) -> &mut Self {
        for i in 0..4 {
            self.0[w + i] = (v >> (16 * i)) as u16;
        }
        self
    }
    fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
    /// Word 255: signature A5h in 7:0 and the checksum in 15:8 making the 512 bytes sum to 0.
    fn with_checksum(&mut self) -> Vec<u8> {
        self.0[255] = 0x00A5;
        let mut b = self.bytes();
        let sum = b[..511].iter().fold(0u8, |a, &x| a.wrapping_add(x));
        b[511] = 0u8.wrapping_sub(sum);
        b
    }
}

/// A 500 GB desktop disk of 2012: 48-bit, 512e (4096-byte physical sectors), 7200 rpm, Security
/// (enhanced erase, frozen by the BIOS), Sanitize (all three), HPA, DCO, TRIM.
fn desktop_disk() -> Identify {
    let mut id = Identify::new();
    id.set(0, 0x0040)
        .string(10, 19, "Z3T8ABCD")
        .string(23, 26, "CC4H")
        .string(27, 46, "ST500DM002-1BD142")
        .set(59, 0xF000 | 0x0110)
        .set(60, 0xFFFF)
        .set(61, 0x0FFF)
        .set(82, 0x7468 | 0x0400)
        .set(83, 0x7000 | 0x0400 | 0x0800)
        .set(85, 0x0400)
        .set(89, 80)
        .set(90, 0x8000 | 300)
        .qword(100, 976_773_168)
        .set(106, 0x6003)
        .set(128, 0x0029)
        .set(169, 0x0001)
        .set(217, 7200);
    id
}

#[test]
fn identify_device_cdb() {
    let c = AtaCommand::identify_device();
    assert_eq!(c.cdb(), [0x85, 0x08, 0x0E, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xEC, 0]);
    assert_eq!(c.data_len(), 512);
    assert_eq!(c.direction(), ata::Direction::FromDevice);
}

#[test]
fn security_cdbs() {
    // PIO Data-Out (5 << 1), T_DIR 0, BYTE_BLOCK 1, T_LENGTH 2 (COUNT), COUNT 1.
    let out = |cmd: u8| [0x85, 0x0A, 0x06, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, cmd, 0];
    assert_eq!(AtaCommand::security_set_password().cdb(), out(0xF1));
    assert_eq!(AtaCommand::security_unlock().cdb(), out(0xF2));
    assert_eq!(AtaCommand::security_erase_unit().cdb(), out(0xF4));
    assert_eq!(AtaCommand::security_disable_password().cdb(), out(0xF6));
    // Non-data (3 << 1), CK_COND so the registers come back.
    assert_eq!(
        AtaCommand::security_erase_prepare().cdb(),
        [0x85, 0x06, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xF3, 0]
    );
    assert_eq!(AtaCommand::security_erase_unit().direction(), ata::Direction::ToDevice);
}

#[test]
fn sanitize_cdbs() {
    // Non-data, EXTEND, CK_COND; FEATURE 0011h; LBA(31:0) = 43727970h spread over bytes
    // 7 (31:24), 8 (7:0), 10 (15:8), 12 (23:16).
    assert_eq!(
        AtaCommand::sanitize(AtaSanitize::CryptoScramble).cdb(),
        [0x85, 0x07, 0x20, 0x00, 0x11, 0, 0, 0x43, 0x70, 0, 0x79, 0, 0x72, 0, 0xB4, 0]
    );
    assert_eq!(
        AtaCommand::sanitize(AtaSanitize::BlockErase).cdb(),
        [0x85, 0x07, 0x20, 0x00, 0x12, 0, 0, 0x42, 0x72, 0, 0x45, 0, 0x6B, 0, 0xB4, 0]
    );
    // OVERWRITE EXT: key 4F57h in LBA(47:32), pattern in LBA(31:0); COUNT bit 7 invert,
    // bits 3:0 passes.
    let ow = AtaCommand::sanitize(AtaSanitize::Overwrite { pattern: 0xDEAD_BEEF, passes: 3, invert: true });
    assert_eq!(
        ow.cdb(),
        [0x85, 0x07, 0x20, 0x00, 0x14, 0x00, 0x83, 0xDE, 0xEF, 0x57, 0xBE, 0x4F, 0xAD, 0, 0xB4, 0]
    );
    let sixteen = AtaCommand::sanitize(AtaSanitize::Overwrite { pattern: 0, passes: 16, invert: false });
    assert_eq!(sixteen.cdb()[6], 0x00, "16 passes are encoded as 0");
    assert_eq!(
        AtaCommand::sanitize_status(false).cdb(),
        [0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xB4, 0]
    );
    assert_eq!(AtaCommand::sanitize_status(true).cdb()[6], 0x01, "CLEAR SANITIZE OPERATION FAILED");
}

#[test]
fn hpa_and_dco_cdbs() {
    assert_eq!(
        AtaCommand::read_native_max_address_ext().cdb(),
        [0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x27, 0]
    );
    assert_eq!(
        AtaCommand::set_max_address_ext(0x1234_5678_9ABC, true).cdb(),
        [0x85, 0x07, 0x20, 0, 0, 0, 0x01, 0x56, 0xBC, 0x34, 0x9A, 0x12, 0x78, 0x40, 0x37, 0]
    );
    assert_eq!(
        AtaCommand::dco_identify().cdb(),
        [0x85, 0x08, 0x0E, 0x00, 0xC2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xB1, 0]
    );
}

#[test]
fn a_28_bit_command_carries_lba_27_24_in_device() {
    let mut c = AtaCommand::identify_device();
    c.lba = 0x0ABC_DEF1;
    c.features = 0xFF12;
    let cdb = c.cdb();
    assert_eq!((cdb[3], cdb[4]), (0, 0x12), "FEATURES (15:8) not sent for a 28-bit command");
    assert_eq!((cdb[8], cdb[10], cdb[12]), (0xF1, 0xDE, 0xBC));
    assert_eq!((cdb[7], cdb[9], cdb[11]), (0, 0, 0));
    assert_eq!(cdb[13] & 0x0F, 0x0A);
}

#[test]
fn password_blocks() {
    let pw = AtaPassword::new(b"SV-TEST");
    let set = ata::set_password_data(&pw);
    assert_eq!(&set[0..2], &[0, 0], "user password, master capability High");
    assert_eq!(&set[2..9], b"SV-TEST");
    assert!(set[9..].iter().all(|&b| b == 0));
    let normal = ata::erase_unit_data(&pw, false);
    let enhanced = ata::erase_unit_data(&pw, true);
    assert_eq!(normal[0], 0x00);
    assert_eq!(enhanced[0], 0x02, "word 0 bit 1: enhanced erase");
    assert_eq!(&enhanced[2..34], pw.as_bytes());
    assert_eq!(ata::password_data(&pw), set);
    assert_eq!(pw.text(), "SV-TEST");
}

#[test]
fn random_passwords_are_printable_and_fresh() {
    let a = AtaPassword::random().expect("rng");
    let b = AtaPassword::random().expect("rng");
    assert_ne!(a, b);
    let t = a.text();
    assert!(t.starts_with("SV-") && t.len() == 19, "{t}");
    assert!(t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    assert!(a.as_bytes()[19..].iter().all(|&b| b == 0));
}

#[test]
fn identify_decodes_every_field() {
    let buf = desktop_disk().with_checksum();
    let id = IdentifyDevice::parse(&buf).expect("parse");
    assert!(id.is_ata);
    assert_eq!(id.model, "ST500DM002-1BD142");
    assert_eq!(id.serial, "Z3T8ABCD");
    assert_eq!(id.firmware, "CC4H");
    assert_eq!(id.sectors_28, 0x0FFF_FFFF);
    assert_eq!(id.sectors_48, Some(976_773_168));
    assert_eq!(id.user_sectors(), 976_773_168);
    assert_eq!(id.capacity_bytes(), 500_107_862_016);
    assert_eq!((id.logical_sector_size, id.physical_sector_size), (512, 4096));
    assert_eq!(id.rotation_rate, 7200);
    assert_eq!(id.is_rotational(), Some(true));
    assert!(id.security.supported && id.security.frozen && id.security.enhanced_erase_supported);
    assert!(!id.security.enabled && !id.security.locked && !id.security.count_expired);
    assert_eq!(id.erase_time, Some(EraseTime { minutes: 160, at_least: false }));
    assert_eq!(id.enhanced_erase_time, Some(EraseTime { minutes: 600, at_least: false }));
    assert!(
        id.sanitize.supported
            && id.sanitize.crypto_scramble
            && id.sanitize.overwrite
            && id.sanitize.block_erase
    );
    assert!(id.hpa_supported && id.hpa_enabled && id.dco_supported && id.trim_supported);
    assert_eq!(id.checksum, Checksum::Valid);
}

#[test]
fn identify_checksum_states() {
    let mut buf = desktop_disk().with_checksum();
    buf[100] ^= 1;
    assert_eq!(IdentifyDevice::parse(&buf).expect("parse").checksum, Checksum::Invalid);
    let plain = desktop_disk().bytes();
    assert_eq!(IdentifyDevice::parse(&plain).expect("parse").checksum, Checksum::Absent);
}

#[test]
fn identify_variants() {
    // An old 28-bit disk: no word 83 bit 10, so words 100-103 are ignored.
    let mut id = Identify::new();
    id.set(60, 0x5000).set(61, 0x0001).qword(100, 999).set(217, 1);
    let old = IdentifyDevice::parse(&id.bytes()).expect("parse");
    assert_eq!(old.sectors_48, None);
    assert_eq!(old.user_sectors(), 0x1_5000);
    assert_eq!(old.is_rotational(), Some(false), "word 217 = 1: solid state");
    assert_eq!(old.erase_time, None);
    assert!(!old.sanitize.supported);
    // 4Kn: word 106 bit 12 with words 117-118 = 2048 words.
    let mut id = Identify::new();
    id.set(106, 0x5000).set(117, 2048).set(83, 0x0400).qword(100, 1000);
    let kn = IdentifyDevice::parse(&id.bytes()).expect("parse");
    assert_eq!((kn.logical_sector_size, kn.physical_sector_size), (4096, 4096));
    assert_eq!(kn.capacity_bytes(), 4_096_000);
    // Extended sectors (word 69 bit 3, words 230-233) win over 100-103.
    let mut id = Identify::new();
    id.set(83, 0x0400).set(69, 0x0008).qword(100, 0xFFFF_FFFF_FFFF).qword(230, 123_456_789_012);
    assert_eq!(IdentifyDevice::parse(&id.bytes()).expect("parse").user_sectors(), 123_456_789_012);
    // Word 0 bit 15: ATAPI.
    let mut id = Identify::new();
    id.set(0, 0x8580);
    assert!(!IdentifyDevice::parse(&id.bytes()).expect("parse").is_ata);
    // Sanitize bits without bit 12 mean nothing.
    let mut id = Identify::new();
    id.set(59, 0xE000);
    assert!(!IdentifyDevice::parse(&id.bytes()).expect("parse").sanitize.crypto_scramble);
    assert!(IdentifyDevice::parse(&[0u8; 511]).is_err());
}

#[test]
fn erase_time_formats() {
    assert_eq!(EraseTime::decode(0), None);
    assert_eq!(EraseTime::decode(1), Some(EraseTime { minutes: 2, at_least: false }));
    assert_eq!(EraseTime::decode(255), Some(EraseTime { minutes: 508, at_least: true }));
    assert_eq!(EraseTime::decode(0x8000), None);
    assert_eq!(EraseTime::decode(0xFFFF), Some(EraseTime { minutes: 65532, at_least: true }));
    assert_eq!(
        EraseTime::decode(0x0120),
        Some(EraseTime { minutes: 64, at_least: false }),
        "bits 15:8 ignored"
    );
}

#[test]
fn dco_identify_decodes() {
    let mut id = Identify::new();
    id.set(0, 0x0002).qword(3, 976_773_167);
    let dco = DcoIdentify::parse(&id.with_checksum()).expect("parse");
    assert_eq!(dco.revision, 2);
    assert_eq!(dco.max_lba, 976_773_167);
    assert_eq!(dco.checksum, Checksum::Valid);
}

/// Descriptor-format sense with one ATA Status Return descriptor (SAT-4 §12.2.2.6).
fn descriptor_sense(key: u8, error: u8, count: u16, lba: u64, status: u8) -> Vec<u8> {
    let l = lba.to_le_bytes();
    let mut s = vec![0x72, key, 0x00, 0x1D, 0, 0, 0, 14];
    s.extend([
        0x09,
        0x0C,
        0x01,
        error,
        (count >> 8) as u8,
        count as u8,
        l[3],
        l[0],
        l[4],
        l[1],
        l[5],
        l[2],
        0x40,
        status,
    ]);
    s
}

#[test]
fn sense_descriptor_format() {
    let s = decode_sense(&descriptor_sense(1, 0, 0x4000, 0x1234_5678_9ABC, 0x50)).expect("sense");
    assert_eq!((s.key, s.asc, s.ascq), (1, 0, 0x1D));
    assert!(s.is_pass_through_information());
    let r = s.ata.expect("registers");
    assert!(r.extend && r.complete && !r.failed());
    assert_eq!(r.count, 0x4000);
    assert_eq!(r.lba, 0x1234_5678_9ABC);
    assert_eq!((r.device, r.status, r.error), (0x40, 0x50, 0));
    // Another descriptor before the ATA one is skipped.
    let mut two = vec![0x72, 1, 0, 0x1D, 0, 0, 0, 14 + 12];
    two.extend([0x00, 0x0A, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    two.extend(&descriptor_sense(1, 0, 7, 9, 0x50)[8..]);
    assert_eq!(decode_sense(&two).and_then(|s| s.ata).map(|r| (r.count, r.lba)), Some((7, 9)));
}

#[test]
fn sense_fixed_format() {
    // SAT-4 §12.2.2.7: INFORMATION = ERROR, STATUS, DEVICE, COUNT(7:0); byte 8 flags;
    // bytes 9-11 LBA(7:0), (15:8), (23:16).
    let s = [0x70, 0, 0x01, 0x00, 0x50, 0x40, 0x05, 10, 0x80, 0x11, 0x22, 0x33, 0x00, 0x1D];
    let r = decode_sense(&s).and_then(|s| s.ata).expect("registers");
    assert_eq!((r.error, r.status, r.device, r.count, r.lba), (0, 0x50, 0x40, 5, 0x33_2211));
    assert!(r.extend && r.complete);
    let mut upper = s;
    upper[8] = 0xC0;
    assert!(!decode_sense(&upper).and_then(|s| s.ata).expect("registers").complete);
    // ILLEGAL REQUEST, invalid opcode: no ATA registers.
    let ill = [0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00];
    let s = decode_sense(&ill).expect("sense");
    assert_eq!((s.key, s.asc, s.ata), (5, 0x20, None));
    assert_eq!(decode_sense(&[]), None);
    assert_eq!(decode_sense(&[0x72, 0, 0]), None);
    assert_eq!(decode_sense(&[0x7F; 20]), None);
}

#[test]
fn sanitize_status_from_registers() {
    let regs = |count, lba, status, error| {
        decode_sense(&descriptor_sense(1, error, count, lba, status)).and_then(|s| s.ata).expect("registers")
    };
    let running = AtaSanitizeStatus::decode(&regs(0x4000, 0x8000, 0x50, 0)).expect("status");
    assert!(running.in_progress && !running.completed && running.failure.is_none());
    assert_eq!(running.fraction(), Some(0.5));
    let done = AtaSanitizeStatus::decode(&regs(0x8000, 0xFFFF, 0x50, 0)).expect("status");
    assert!(done.completed && !done.in_progress);
    assert_eq!(done.fraction(), None);
    let frozen = AtaSanitizeStatus::decode(&regs(0x2000, 0xFFFF, 0x50, 0)).expect("status");
    assert!(frozen.frozen);
    // Error output: STATUS ERR, ERROR ABORT, COUNT(7:0) = reason.
    let failed = AtaSanitizeStatus::decode(&regs(0x0001, 0, 0x51, 0x04)).expect("status");
    assert_eq!(failed.failure, Some(SanitizeFailure::Unsuccessful));
    let fz = AtaSanitizeStatus::decode(&regs(0x0003, 0, 0x51, 0x04)).expect("status");
    assert_eq!(fz.failure, Some(SanitizeFailure::Frozen));
    assert!(fz.frozen);
    // Fixed format with COUNT(15:8) unknown: cannot say.
    let s = [0x70, 0, 0x01, 0x00, 0x50, 0x40, 0x00, 10, 0xC0, 0, 0x80, 0, 0x00, 0x1D];
    assert_eq!(AtaSanitizeStatus::decode(&decode_sense(&s).and_then(|s| s.ata).expect("regs")), None);
}
