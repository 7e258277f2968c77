//! NVMe admin command encoding, checked dword by dword against NVMe Base 2.0 Figure 88 (the
//! submission queue entry) and the command figures, and decoding of Identify Controller,
//! Identify Namespace and the Sanitize Status log built byte by byte from the spec tables.
//! Pure: no device is opened.

use std::time::Duration;

use sanitize::firmware::nvme::{
    AdminCommand, IdentifyController, IdentifyNamespace, NvmeStatus, SanitizeAction, SanitizeState,
    SanitizeStatusLog, SecureErase, NSID_ALL,
};

fn dw(sqe: &[u8], n: usize) -> u32 {
    u32::from_le_bytes(sqe[4 * n..4 * n + 4].try_into().expect("4 bytes"))
}

#[test]
fn identify_controller_sqe() {
    let c = AdminCommand::identify_controller();
    let sqe = c.sqe(0x1234, 0xDEAD_BEEF_0000_1000);
    assert_eq!(dw(&sqe, 0), 0x1234_0006, "CDW0: CID 1234h, PSDT 0, FUSE 0, opcode 06h");
    assert_eq!(dw(&sqe, 1), 0, "NSID");
    assert_eq!((dw(&sqe, 2), dw(&sqe, 3), dw(&sqe, 4), dw(&sqe, 5)), (0, 0, 0, 0), "CDW2-3, MPTR");
    assert_eq!((dw(&sqe, 6), dw(&sqe, 7)), (0x0000_1000, 0xDEAD_BEEF), "PRP1");
    assert_eq!((dw(&sqe, 8), dw(&sqe, 9)), (0, 0), "PRP2");
    assert_eq!(dw(&sqe, 10), 0x0000_0001, "CNS 01h, CNTID 0");
    assert!((11..16).all(|n| dw(&sqe, n) == 0));
    assert_eq!(c.data_len, 4096);
}

#[test]
fn identify_namespace_sqe() {
    let sqe = AdminCommand::identify_namespace(1).sqe(1, 0);
    assert_eq!(dw(&sqe, 0), 0x0001_0006);
    assert_eq!(dw(&sqe, 1), 1);
    assert_eq!(dw(&sqe, 10), 0, "CNS 00h");
}

#[test]
fn format_nvm_cdw10() {
    let crypto = AdminCommand::format_nvm(1, 0, SecureErase::Cryptographic);
    let sqe = crypto.sqe(7, 0);
    assert_eq!(sqe[0], 0x80);
    assert_eq!(dw(&sqe, 1), 1);
    assert_eq!(dw(&sqe, 10), 0x0000_0400, "SES 010b in bits 11:9");
    assert_eq!(crypto.data_len, 0);
    assert_eq!(AdminCommand::format_nvm(NSID_ALL, 1, SecureErase::UserData).cdw[0], 0x0000_0201);
    assert_eq!(AdminCommand::format_nvm(NSID_ALL, 1, SecureErase::UserData).nsid, 0xFFFF_FFFF);
    // LBAF 19 = 1_0011b: bits 3:0 = 3, upper bits 5:4 = 1 in CDW10 bits 13:12.
    assert_eq!(AdminCommand::format_nvm(1, 19, SecureErase::None).cdw[0], 0x0000_1003);
}

#[test]
fn sanitize_cdw10_cdw11() {
    let c = AdminCommand::sanitize(SanitizeAction::CryptoErase, false, false);
    let sqe = c.sqe(1, 0);
    assert_eq!(sqe[0], 0x84);
    assert_eq!(dw(&sqe, 1), 0, "NSID unused");
    assert_eq!(dw(&sqe, 10), 4, "SANACT 100b");
    assert_eq!(dw(&sqe, 11), 0);
    assert_eq!(AdminCommand::sanitize(SanitizeAction::BlockErase, false, false).cdw[0], 2);
    assert_eq!(AdminCommand::sanitize(SanitizeAction::CryptoErase, true, false).cdw[0], 0x0C, "AUSE bit 3");
    assert_eq!(AdminCommand::sanitize(SanitizeAction::BlockErase, false, true).cdw[0], 0x202, "NODAS bit 9");
    assert_eq!(AdminCommand::sanitize(SanitizeAction::ExitFailureMode, false, false).cdw[0], 1);
    let ow = AdminCommand::sanitize(
        SanitizeAction::Overwrite { pattern: 0xA5A5_5A5A, passes: 3, invert: true },
        false,
        false,
    );
    assert_eq!(ow.cdw[0], 0x133, "SANACT 011b, OWPASS 3 in 7:4, OIPBP bit 8");
    assert_eq!(ow.cdw[1], 0xA5A5_5A5A, "OVRPAT");
    let sixteen = AdminCommand::sanitize(
        SanitizeAction::Overwrite { pattern: 0, passes: 16, invert: false },
        false,
        false,
    );
    assert_eq!(sixteen.cdw[0], 0x003, "16 passes are OWPASS 0");
}

#[test]
fn sanitize_log_get_log_page() {
    let c = AdminCommand::sanitize_status_log();
    let sqe = c.sqe(9, 0x2000);
    assert_eq!(sqe[0], 0x02);
    assert_eq!(dw(&sqe, 10), 0x007F_0081, "LID 81h, LSP 0, RAE 0, NUMDL 127 (512 bytes, 0's based)");
    assert_eq!(dw(&sqe, 11), 0, "NUMDU 0, LSI 0");
    assert_eq!((dw(&sqe, 12), dw(&sqe, 13)), (0, 0), "offset 0");
    assert_eq!(c.data_len, 512);
    // A log larger than 256 KiB spills into NUMDU.
    let big = AdminCommand::get_log_page("big", 0x80, 0, 0x40_0000);
    assert_eq!(big.cdw[0] >> 16, 0xFFFF);
    assert_eq!(big.cdw[1], 0x0000_000F);
}

#[test]
fn passthru_struct_bytes() {
    let c = AdminCommand::sanitize_status_log();
    let b = c.passthru_bytes(0x1122_3344_5566_7788, Duration::from_secs(30));
    assert_eq!(b.len(), 72);
    assert_eq!(b[0], 0x02);
    assert_eq!(u64::from_le_bytes(b[24..32].try_into().expect("8")), 0x1122_3344_5566_7788, "addr");
    assert_eq!(u32::from_le_bytes(b[36..40].try_into().expect("4")), 512, "data_len");
    assert_eq!(u32::from_le_bytes(b[40..44].try_into().expect("4")), 0x007F_0081, "cdw10");
    assert_eq!(u32::from_le_bytes(b[64..68].try_into().expect("4")), 30_000, "timeout_ms");
    // Never 0 ms: the driver would use its default (60 s) for a long format.
    let zero = c.passthru_bytes(0, Duration::ZERO);
    assert_eq!(u32::from_le_bytes(zero[64..68].try_into().expect("4")), 1);
}

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    b[at..at + v.len()].copy_from_slice(v);
}

fn ascii(b: &mut [u8], at: usize, len: usize, s: &str) {
    let mut v = s.as_bytes().to_vec();
    v.resize(len, b' ');
    put(b, at, &v);
}

/// Identify Controller built from NVMe Base 2.0 Figure 275.
fn id_ctrl(sanicap: u32, fna: u8, oacs: u16) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    put(&mut b, 0, &0x144Du16.to_le_bytes());
    put(&mut b, 2, &0x144Du16.to_le_bytes());
    ascii(&mut b, 4, 20, "S4EWNX0R123456");
    ascii(&mut b, 24, 40, "Samsung SSD 970 EVO Plus 500GB");
    ascii(&mut b, 64, 8, "2B2QEXM7");
    put(&mut b, 80, &0x0001_0300u32.to_le_bytes());
    put(&mut b, 256, &oacs.to_le_bytes());
    put(&mut b, 280, &500_107_862_016u128.to_le_bytes());
    put(&mut b, 328, &sanicap.to_le_bytes());
    put(&mut b, 516, &1u32.to_le_bytes());
    put(&mut b, 520, &0x005Fu16.to_le_bytes());
    b[524] = fna;
    b
}

#[test]
fn identify_controller_decodes() {
    let c = IdentifyController::parse(&id_ctrl(0x6000_0003, 0x06, 0x0017)).expect("parse");
    assert_eq!((c.vid, c.ssvid), (0x144D, 0x144D));
    assert_eq!(c.serial, "S4EWNX0R123456");
    assert_eq!(c.model, "Samsung SSD 970 EVO Plus 500GB");
    assert_eq!(c.firmware, "2B2QEXM7");
    assert_eq!(c.version, 0x0001_0300);
    assert!(c.format_supported() && c.security_send_receive_supported() && c.deallocate_supported());
    assert_eq!(c.total_capacity, 500_107_862_016);
    assert!(c.sanitize.crypto_erase && c.sanitize.block_erase && !c.sanitize.overwrite);
    assert!(c.sanitize.no_deallocate_inhibited, "bit 29");
    assert_eq!(c.sanitize.nodmmas, 1, "bits 31:30");
    assert!(c.sanitize.any());
    assert_eq!(c.namespaces, 1);
    assert!(!c.format.format_applies_to_all && c.format.secure_erase_applies_to_all);
    assert!(c.format.crypto_erase_supported && !c.format.broadcast_not_supported);
    let none = IdentifyController::parse(&id_ctrl(0, 0x01, 0x0000)).expect("parse");
    assert!(!none.sanitize.any() && !none.format_supported() && none.format.format_applies_to_all);
    assert!(IdentifyController::parse(&[0u8; 4095]).is_err());
}

/// Identify Namespace built from NVM Command Set 1.0 Figure 97.
fn id_ns(nsze: u64, nlbaf: u8, flbas: u8, formats: &[(u16, u8, u8)]) -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    put(&mut b, 0, &nsze.to_le_bytes());
    put(&mut b, 8, &nsze.to_le_bytes());
    put(&mut b, 16, &(nsze / 2).to_le_bytes());
    b[25] = nlbaf;
    b[26] = flbas;
    for (i, &(ms, lbads, rp)) in formats.iter().enumerate() {
        let v = u32::from(ms) | u32::from(lbads) << 16 | u32::from(rp) << 24;
        put(&mut b, 128 + 4 * i, &v.to_le_bytes());
    }
    b
}

#[test]
fn identify_namespace_decodes() {
    let ns = IdentifyNamespace::parse(&id_ns(122_096_646, 1, 0x01, &[(0, 9, 2), (0, 12, 0)])).expect("parse");
    assert_eq!(ns.size, 122_096_646);
    assert_eq!(ns.capacity, 122_096_646);
    assert_eq!(ns.utilization, 61_048_323);
    assert_eq!(ns.lba_formats.len(), 2);
    assert_eq!(ns.lba_formats[0].relative_performance, 2);
    assert_eq!(ns.current_format_index(), 1);
    assert_eq!(ns.lba_data_size(), Some(4096));
    assert_eq!(ns.size_bytes(), Some(500_107_862_016));
    // More than 16 formats: FLBAS bits 6:5 are the index's bits 5:4.
    let many: Vec<_> = (0..20).map(|i| (8 * i as u16, 9 + (i % 4) as u8, 0)).collect();
    let ns = IdentifyNamespace::parse(&id_ns(1000, 19, 0x21, &many)).expect("parse");
    assert_eq!(ns.current_format_index(), 17);
    assert_eq!(ns.current_format().map(|f| f.metadata_size), Some(136));
    // With 16 or fewer formats bits 6:5 are ignored.
    let ns = IdentifyNamespace::parse(&id_ns(1000, 0, 0x20, &[(0, 9, 0)])).expect("parse");
    assert_eq!(ns.current_format_index(), 0);
    assert_eq!(ns.lba_data_size(), Some(512));
    // LBADS 0: unused format, no size.
    let ns = IdentifyNamespace::parse(&id_ns(1000, 0, 0, &[(0, 0, 0)])).expect("parse");
    assert_eq!(ns.size_bytes(), None);
}

/// The Sanitize Status log built from NVMe Base 2.0 Figure 287.
fn san_log(sprog: u16, sstat: u16, scdw10: u32, times: [u32; 6]) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    put(&mut b, 0, &sprog.to_le_bytes());
    put(&mut b, 2, &sstat.to_le_bytes());
    put(&mut b, 4, &scdw10.to_le_bytes());
    for (i, t) in times.iter().enumerate() {
        put(&mut b, 8 + 4 * i, &t.to_le_bytes());
    }
    b
}

#[test]
fn sanitize_log_decodes() {
    let log = SanitizeStatusLog::parse(&san_log(0x8000, 2 | 3 << 3 | 0x100, 4, [u32::MAX, 120, 5, 0, 0, 0]))
        .expect("parse");
    assert_eq!(log.state, SanitizeState::InProgress);
    assert_eq!(log.progress, 0x8000);
    assert_eq!(log.fraction(), Some(0.5));
    assert_eq!(log.overwrite_passes, 3);
    assert!(log.global_data_erased);
    assert_eq!(log.last_cdw10, 4);
    assert_eq!(log.time_overwrite, None, "FFFFFFFFh: no estimate");
    assert_eq!(log.time_block_erase, Some(Duration::from_secs(120)));
    assert_eq!(log.time_crypto_erase, Some(Duration::from_secs(5)));
    assert_eq!(log.time_crypto_erase_no_deallocate, None);
    assert_eq!(log.estimate_for(SanitizeAction::CryptoErase), Some(Duration::from_secs(5)));
    for (code, state) in [
        (0, SanitizeState::NeverSanitized),
        (1, SanitizeState::Completed),
        (3, SanitizeState::Failed),
        (4, SanitizeState::CompletedNoDeallocate),
        (5, SanitizeState::Reserved(5)),
    ] {
        let log = SanitizeStatusLog::parse(&san_log(0xFFFF, code, 0, [0; 6])).expect("parse");
        assert_eq!(log.state, state);
        assert_eq!(log.fraction(), None);
        assert!(!log.global_data_erased);
    }
    assert!(SanitizeStatusLog::parse(&[0u8; 31]).is_err());
}

#[test]
fn completion_status() {
    assert!(NvmeStatus(0).is_success());
    let busy = NvmeStatus(0x001D);
    assert_eq!((busy.code_type(), busy.code()), (0, 0x1D));
    assert_eq!(busy.description(), "sanitize in progress");
    let invalid = NvmeStatus(0x4002);
    assert!(invalid.do_not_retry() && !invalid.is_success());
    assert_eq!(invalid.to_string(), "SCT 0x0 SC 0x02 (invalid field in command), do not retry");
    assert_eq!(NvmeStatus(0x010A).description(), "invalid format");
}
