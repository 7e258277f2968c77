//! From decoded IDENTIFY data to [`Capabilities`] to a [`PurgePlan`]: the policy's order, its
//! blockers (frozen, locked, busy) and the words it records. Pure: no device is opened.

use std::path::Path;
use std::time::Duration;

use sanitize::firmware::ata::{AtaSanitizeStatus, DcoIdentify, IdentifyDevice};
use sanitize::firmware::nvme::{IdentifyController, IdentifyNamespace, SanitizeStatusLog};
use sanitize::firmware::{choose, Capabilities, PlannedAction, PurgeMethod, Transport};

fn ata(words: &[(usize, u16)]) -> IdentifyDevice {
    let mut b = [0u8; 512];
    for &(w, v) in words {
        b[2 * w..2 * w + 2].copy_from_slice(&v.to_le_bytes());
    }
    // 48-bit, 1000 sectors.
    b[166] |= 0x00;
    b[167] |= 0x04;
    b[200] = 0xE8;
    b[201] = 0x03;
    IdentifyDevice::parse(&b).expect("parse")
}

fn nvme_ctrl(sanicap: u32, fna: u8, oacs: u16) -> IdentifyController {
    let mut b = vec![0u8; 4096];
    b[256..258].copy_from_slice(&oacs.to_le_bytes());
    b[328..332].copy_from_slice(&sanicap.to_le_bytes());
    b[524] = fna;
    IdentifyController::parse(&b).expect("parse")
}

fn nvme_log(sstat: u16, crypto_secs: u32) -> SanitizeStatusLog {
    let mut b = vec![0u8; 512];
    b[2..4].copy_from_slice(&sstat.to_le_bytes());
    b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    b[12..16].copy_from_slice(&600u32.to_le_bytes());
    b[16..20].copy_from_slice(&crypto_secs.to_le_bytes());
    SanitizeStatusLog::parse(&b).expect("parse")
}

fn p() -> &'static Path {
    Path::new("/dev/test")
}

#[test]
fn nvme_sanitize_crypto_erase_first() {
    let caps = Capabilities::from_nvme(p(), &nvme_ctrl(0x7, 0x04, 0x02), None, Some(&nvme_log(1, 10)));
    assert_eq!(caps.transport, Transport::Nvme);
    assert_eq!(caps.methods.len(), 5);
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Firmware(PurgeMethod::NvmeSanitizeCryptoErase));
    assert_eq!(plan.estimated, Some(Duration::from_secs(10)));
    assert!(plan.reason.contains("NVMe Sanitize, Crypto Erase"), "{}", plan.reason);
    assert!(!plan.reason.contains("Passed over"), "{}", plan.reason);
}

#[test]
fn nvme_block_erase_then_format() {
    let caps = Capabilities::from_nvme(p(), &nvme_ctrl(0x2, 0x00, 0x02), None, Some(&nvme_log(0, 0)));
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Firmware(PurgeMethod::NvmeSanitizeBlockErase));
    assert_eq!(plan.estimated, Some(Duration::from_secs(600)));
    assert!(plan.reason.contains("NVMe Sanitize, Crypto Erase (NVMe Base 2.0 §5.24) is not supported"));

    let caps = Capabilities::from_nvme(p(), &nvme_ctrl(0, 0x04 | 0x02, 0x02), None, None);
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Firmware(PurgeMethod::NvmeFormatCryptoErase));
    assert!(plan.warnings.iter().any(|w| w.contains("all its namespaces")));

    let caps = Capabilities::from_nvme(p(), &nvme_ctrl(0, 0, 0x02), None, None);
    assert_eq!(choose(&caps).action, PlannedAction::Firmware(PurgeMethod::NvmeFormatUserDataErase));

    let caps = Capabilities::from_nvme(p(), &nvme_ctrl(0, 0x04, 0x00), None, None);
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Overwrite);
    assert!(plan.reason.contains("Clear by overwrite"), "{}", plan.reason);
    assert!(!plan.reason.contains("ATA"), "an NVMe disk's reason names no ATA command: {}", plan.reason);
}

#[test]
fn nvme_busy_blocks_every_method() {
    let caps = Capabilities::from_nvme(p(), &nvme_ctrl(0x1, 0x04, 0x02), None, Some(&nvme_log(2, 10)));
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Overwrite);
    assert!(plan.reason.contains("already in progress"), "{}", plan.reason);
}

#[test]
fn nvme_capacity_from_namespace() {
    let mut b = vec![0u8; 4096];
    b[0..8].copy_from_slice(&1000u64.to_le_bytes());
    b[128..132].copy_from_slice(&(12u32 << 16).to_le_bytes());
    let ns = IdentifyNamespace::parse(&b).expect("parse");
    let caps = Capabilities::from_nvme(p(), &nvme_ctrl(0, 0, 0), Some(&ns), None);
    assert_eq!(caps.capacity_bytes, Some(4_096_000));
    assert_eq!(caps.logical_sector_size, Some(4096));
}

#[test]
fn ata_sanitize_before_security_erase() {
    // Sanitize: crypto scramble + block erase; Security supported with enhanced erase.
    let id = ata(&[(59, 0xB000), (128, 0x0021), (89, 10), (90, 20)]);
    let caps = Capabilities::from_ata(p(), &id, None, None, None);
    assert_eq!(choose(&caps).action, PlannedAction::Firmware(PurgeMethod::AtaSanitizeCryptoScramble));
    let id = ata(&[(59, 0x9000), (128, 0x0021)]);
    let caps = Capabilities::from_ata(p(), &id, None, None, None);
    assert_eq!(choose(&caps).action, PlannedAction::Firmware(PurgeMethod::AtaSanitizeBlockErase));
}

#[test]
fn ata_enhanced_then_normal_security_erase() {
    let id = ata(&[(128, 0x0021), (89, 10), (90, 20)]);
    let caps = Capabilities::from_ata(p(), &id, None, None, None);
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Firmware(PurgeMethod::AtaEnhancedSecurityErase));
    assert_eq!(plan.estimated, Some(Duration::from_secs(40 * 60)));
    assert!(plan.reason.contains("40 minutes"), "{}", plan.reason);
    assert!(plan.reason.contains("ATA SANITIZE, CRYPTO SCRAMBLE EXT (ACS-4 §7.38.3) is not supported"));
    let id = ata(&[(128, 0x0001), (89, 10)]);
    let caps = Capabilities::from_ata(p(), &id, None, None, None);
    assert_eq!(choose(&caps).action, PlannedAction::Firmware(PurgeMethod::AtaSecurityErase));
}

#[test]
fn a_frozen_disk_falls_back_to_overwrite_and_says_why() {
    let id = ata(&[(128, 0x0029)]);
    let caps = Capabilities::from_ata(p(), &id, None, None, None);
    assert!(caps.supports(PurgeMethod::AtaEnhancedSecurityErase));
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Overwrite);
    assert!(plan.reason.contains("frozen") && plan.reason.contains("suspend and resume"), "{}", plan.reason);
}

#[test]
fn a_frozen_disk_still_sanitizes() {
    // SECURITY FREEZE LOCK does not affect the Sanitize feature set.
    let id = ata(&[(59, 0x3000), (128, 0x0029)]);
    let caps = Capabilities::from_ata(p(), &id, None, None, None);
    assert_eq!(choose(&caps).action, PlannedAction::Firmware(PurgeMethod::AtaSanitizeCryptoScramble));
}

#[test]
fn locked_enabled_expired_and_sanitize_frozen_block() {
    for (w128, words) in [(0x0007, "locked"), (0x0003, "already set"), (0x0011, "expired")] {
        let caps = Capabilities::from_ata(p(), &ata(&[(128, w128)]), None, None, None);
        let plan = choose(&caps);
        assert_eq!(plan.action, PlannedAction::Overwrite);
        assert!(plan.reason.contains(words), "{w128:#x}: {}", plan.reason);
        let warned = plan.warnings.iter().any(|w| w.contains("overwrite will fail"));
        assert_eq!(warned, words == "locked", "{:?}", plan.warnings);
    }
    let regs = sanitize::firmware::ata::AtaRegisters {
        count: 0x2000,
        status: 0x50,
        complete: true,
        ..Default::default()
    };
    let frozen = AtaSanitizeStatus::decode(&regs).expect("status");
    let caps = Capabilities::from_ata(p(), &ata(&[(59, 0x3000)]), None, None, Some(&frozen));
    assert!(caps.ata_sanitize_frozen);
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Overwrite);
    assert!(plan.reason.contains("SANITIZE FREEZE LOCK"), "{}", plan.reason);
}

#[test]
fn hpa_and_dco_are_reported() {
    let id = ata(&[(82, 0x0400), (85, 0x0400), (83, 0x0C00), (128, 0x0001)]);
    let mut dco_block = [0u8; 512];
    dco_block[6..14].copy_from_slice(&1999u64.to_le_bytes());
    let dco = DcoIdentify::parse(&dco_block).expect("dco");
    let caps = Capabilities::from_ata(p(), &id, Some(1499), Some(&dco), None);
    let hpa = caps.hpa.expect("hpa");
    assert_eq!((hpa.current_max_lba, hpa.native_max_lba, hpa.hidden_sectors()), (999, 1499, 500));
    assert!(caps.dco_supported);
    let plan = choose(&caps);
    assert_eq!(plan.action, PlannedAction::Firmware(PurgeMethod::AtaSecurityErase));
    assert!(
        plan.warnings.iter().any(|w| w.contains("Host Protected Area hides 500 sectors")),
        "{:?}",
        plan.warnings
    );
    assert!(plan.warnings.iter().any(|w| w.contains("Device Configuration Overlay")), "{:?}", plan.warnings);
    // Without HPA support the native max is not used.
    let caps = Capabilities::from_ata(p(), &ata(&[]), Some(1499), None, None);
    assert_eq!(caps.hpa, None);
    assert_eq!(choose(&caps).action, PlannedAction::Overwrite);
}

#[test]
fn method_names_are_stable() {
    assert_eq!(PurgeMethod::NvmeSanitizeCryptoErase.to_string(), "nvme-sanitize-crypto");
    assert_eq!(PurgeMethod::AtaEnhancedSecurityErase.name(), "ata-security-erase-enhanced");
    assert_eq!(PurgeMethod::AtaSecurityErase.transport(), Transport::Ata);
}
