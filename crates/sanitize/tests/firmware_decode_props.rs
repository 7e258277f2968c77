//! Decoding whatever a disk (or a broken SATL) returns never panics, and the CDB encoding of
//! the 48-bit registers round-trips.

use std::path::Path;

use proptest::prelude::*;
use sanitize::firmware::ata::{self, AtaCommand, AtaSanitizeStatus, DcoIdentify, IdentifyDevice};
use sanitize::firmware::nvme::{IdentifyController, IdentifyNamespace, SanitizeStatusLog};
use sanitize::firmware::{ata_poll_state, choose, nvme_poll_state, Capabilities};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ata_structures_never_panic(buf in proptest::collection::vec(any::<u8>(), 512), native in any::<Option<u64>>()) {
        let id = IdentifyDevice::parse(&buf).expect("512 bytes always decode");
        let _ = (id.capacity_bytes(), id.is_rotational(), id.user_sectors());
        let dco = DcoIdentify::parse(&buf).expect("512 bytes always decode");
        let caps = Capabilities::from_ata(Path::new("/dev/x"), &id, native, Some(&dco), None);
        let plan = choose(&caps);
        prop_assert!(!plan.reason.is_empty());
        let _ = sanitize::firmware::security_erase_timeout(&id, true);
    }

    #[test]
    fn nvme_structures_never_panic(buf in proptest::collection::vec(any::<u8>(), 4096)) {
        let ctrl = IdentifyController::parse(&buf).expect("4096 bytes always decode");
        let ns = IdentifyNamespace::parse(&buf).expect("4096 bytes always decode");
        let _ = (ns.size_bytes(), ns.lba_data_size(), ns.current_format());
        let log = SanitizeStatusLog::parse(&buf[..512]).expect("512 bytes always decode");
        let _ = (log.fraction(), nvme_poll_state(&log));
        let caps = Capabilities::from_nvme(Path::new("/dev/x"), &ctrl, Some(&ns), Some(&log));
        prop_assert!(!choose(&caps).reason.is_empty());
    }

    #[test]
    fn any_length_is_an_error_or_a_value(buf in proptest::collection::vec(any::<u8>(), 0..5000)) {
        let _ = IdentifyDevice::parse(&buf);
        let _ = DcoIdentify::parse(&buf);
        let _ = IdentifyController::parse(&buf);
        let _ = IdentifyNamespace::parse(&buf);
        let _ = SanitizeStatusLog::parse(&buf);
    }

    #[test]
    fn sense_never_panics(buf in proptest::collection::vec(any::<u8>(), 0..256), code in prop_oneof![Just(0x70u8), Just(0x72u8), any::<u8>()]) {
        let mut buf = buf;
        if let Some(b) = buf.first_mut() {
            *b = code;
        }
        if let Some(regs) = ata::decode_sense(&buf).and_then(|s| s.ata) {
            if let Some(st) = AtaSanitizeStatus::decode(&regs) {
                let _ = (st.fraction(), ata_poll_state(&st));
            }
        }
    }

    #[test]
    fn lba48_round_trips_through_the_cdb(lba in 0u64..(1 << 48), volatile in any::<bool>()) {
        let cdb = AtaCommand::set_max_address_ext(lba, volatile).cdb();
        // SAT-4 Table 166: bytes 8, 10, 12, 7, 9, 11 hold LBA bits 7:0 ... 47:40.
        let back = [cdb[8], cdb[10], cdb[12], cdb[7], cdb[9], cdb[11]]
            .iter()
            .enumerate()
            .fold(0u64, |a, (i, &b)| a | u64::from(b) << (8 * i));
        prop_assert_eq!(back, lba);
        prop_assert_eq!(cdb[6], u8::from(volatile));
        // And the SATL's answer in an ATA Status Return descriptor decodes to the same LBA.
        let l = lba.to_le_bytes();
        let mut sense = vec![0x72, 1, 0, 0x1D, 0, 0, 0, 14, 0x09, 0x0C, 1, 0, 0, 0];
        sense.extend([l[3], l[0], l[4], l[1], l[5], l[2], 0x40, 0x50]);
        prop_assert_eq!(ata::decode_sense(&sense).and_then(|s| s.ata).map(|r| r.lba), Some(lba));
    }
}
