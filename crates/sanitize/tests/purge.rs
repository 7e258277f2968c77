//! Firmware purge orchestration with simulated drives: an honest one, a lying one, a failing one.

use std::io;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use certificate::{Category, SanitizeResult, Technique};
use sanitize::purge::{purge_and_verify, Expected, FirmwarePurge};
use sanitize::{BlockDevice, PassPattern, RandomStream};

mod common;
use common::MemDisk as Drive;

/// What the simulated firmware does when told to erase.
enum Behaviour {
    BlockErase(u8),
    CryptoErase,
    Lies,
    Fails,
}

struct Firmware<'a> {
    drive: &'a std::cell::RefCell<Drive>,
    behaviour: Behaviour,
}

impl FirmwarePurge for Firmware<'_> {
    fn method(&self) -> String {
        match self.behaviour {
            Behaviour::CryptoErase => "nvme-sanitize-crypto-erase".into(),
            _ => "ata-sanitize-block-erase".into(),
        }
    }
    fn technique(&self) -> Technique {
        match self.behaviour {
            Behaviour::CryptoErase => Technique::CryptoErase,
            _ => Technique::BlockErase,
        }
    }
    fn expected(&self) -> Expected {
        match self.behaviour {
            Behaviour::CryptoErase => Expected::NotTheMarkers,
            _ => Expected::Uniform,
        }
    }
    fn run(&mut self, progress: &mut dyn FnMut(u32)) -> Result<(), String> {
        progress(32768);
        let mut d = self.drive.borrow_mut();
        match self.behaviour {
            Behaviour::BlockErase(v) => d.data.fill(v),
            Behaviour::CryptoErase => {
                PassPattern::Random(RandomStream::ChaCha20 { key: [4; 32] }).fill(0, &mut d.data)
            }
            Behaviour::Lies => {}
            Behaviour::Fails => return Err("ATA status 0x51 error 0x04 (command aborted)".into()),
        }
        progress(65536);
        Ok(())
    }
}

/// Lets the firmware and the verifier share the drive, as they do in a real PC.
struct Shared<'a>(&'a std::cell::RefCell<Drive>);

impl BlockDevice for Shared<'_> {
    fn path(&self) -> &Path {
        Path::new("/dev/simulated")
    }
    fn size(&self) -> u64 {
        self.0.borrow().size()
    }
    fn write_all_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.borrow_mut().write_all_at(buf, offset)
    }
    fn read_exact_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.0.borrow_mut().read_exact_at(buf, offset)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn run(behaviour: Behaviour) -> certificate::SanitizeRecord {
    let drive = std::cell::RefCell::new(Drive::filled(64 << 20, 0x5a));
    let mut firmware = Firmware { drive: &drive, behaviour };
    let mut dev = Shared(&drive);
    purge_and_verify(&mut dev, &mut firmware, 10.0, &AtomicBool::new(false), |_| {})
}

#[test]
fn an_honest_block_erase_is_verified() {
    for value in [0x00, 0xff] {
        let r = run(Behaviour::BlockErase(value));
        assert_eq!(r.result, SanitizeResult::Verified, "{r:?}");
        assert_eq!(r.category, Category::Purge);
        assert_eq!(r.technique, Technique::BlockErase);
        assert!(r.verification.bytes_verified >= (64 << 20) / 10, "{}", r.verification.bytes_verified);
        assert!(r.is_verified());
    }
}

#[test]
fn a_crypto_erase_is_verified_when_no_marker_survives() {
    let r = run(Behaviour::CryptoErase);
    assert_eq!(r.result, SanitizeResult::Verified, "{r:?}");
    assert_eq!(r.technique, Technique::CryptoErase);
}

#[test]
fn a_drive_that_reports_success_but_keeps_data_fails() {
    let r = run(Behaviour::Lies);
    assert_eq!(r.result, SanitizeResult::Failed);
    assert!(r.verification.mismatched_bytes > 0);
    assert!(!r.verification.mismatches.is_empty());
    assert!(r.errors.iter().any(|e| e.message.contains("still hold pre-purge markers")), "{:?}", r.errors);
}

#[test]
fn a_command_the_drive_aborts_fails_with_its_status() {
    let r = run(Behaviour::Fails);
    assert_eq!(r.result, SanitizeResult::Failed);
    assert!(r.errors[0].message.contains("command aborted"), "{:?}", r.errors);
    assert_eq!(r.verification.bytes_verified, 0);
}
