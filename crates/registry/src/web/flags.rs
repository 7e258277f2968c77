//! What a supervisor must look at, computed from the stored certificates alone (pure).
//!
//! [`flags`] is the one definition of what a flag is. The registry computes a certificate's flags
//! once, when it is recorded ([`flags_counting`], with how many certificates already recorded
//! name each of its disks), and keeps them (`certificate_flags`, each [`FlagKind`] as its JSON):
//! a new kind is a new variant and its rule here, nothing else. Two flags depend on other
//! records: [`FlagKind::DiskWipedTwice`] (the earlier certificate of the disk gets it too when
//! the second arrives, and `times` is read from the disk's count when shown) and
//! [`FlagKind::StationRevoked`] (given to a station's certificates when it is revoked).

use std::collections::BTreeMap;

use certificate::{Certificate, CheckStatus, SanitizeResult, SmartVerdict, VerificationMode};

/// A certificate as the flags see it.
#[derive(Debug, Clone)]
pub struct Audited<'a> {
    /// The certificate.
    pub certificate: &'a Certificate,
    /// Whether its station has been revoked since.
    pub station_revoked: bool,
}

/// Why a certificate needs a look. Stored as its JSON (`{"kind": "smart_failing", "disk": …}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlagKind {
    /// A disk's wipe failed, or its read-back found differences.
    VerificationFailed {
        /// The disk (serial, else its path on the station).
        disk: String,
    },
    /// A disk was wiped but nothing was read back.
    VerificationSkipped {
        /// The disk.
        disk: String,
    },
    /// A disk's wipe was interrupted (stopped by the worker, a crash or power cut found at the
    /// station's next start, the disk unplugged): it is not sanitized and must be wiped again.
    WipeInterrupted {
        /// The disk.
        disk: String,
        /// How far it got, in the station's words (the record's last error).
        how_far: String,
    },
    /// The disk predicts its own failure (SMART).
    SmartFailing {
        /// The disk.
        disk: String,
    },
    /// The same disk serial appears in several certificates.
    DiskWipedTwice {
        /// The serial.
        serial: String,
        /// How many certificates name it.
        times: usize,
    },
    /// The station that signed was revoked since.
    StationRevoked,
    /// The unit's serial could not be read.
    UnitWithoutSerial,
    /// No source gave a disk's own serial number, so "was serial X wiped?" cannot find it
    /// (typically a disk behind a USB bridge that passes no ATA command). Disks that are files
    /// or loop devices (tests, demonstrations) have no serial by nature and are not flagged.
    DiskWithoutSerial {
        /// The disk: its path on the station, with its model when known.
        disk: String,
        /// The USB bridge it was behind, when the certificate records one (`JMicron 152d:2338`).
        bridge: Option<String>,
    },
    /// One of the station's own hardware tests failed (processor, memory, a disk, battery,
    /// network): the unit should not leave as it is.
    HardwareTestFailed {
        /// The test's kind, with the device for a disk or battery (`disk /dev/sda`).
        test: String,
    },
}

/// One flag on one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The certificate.
    pub certificate_id: String,
    /// Why.
    pub kind: FlagKind,
}

fn disk_name(d: &certificate::DiskRecord) -> String {
    d.serial.value().cloned().unwrap_or_else(|| d.path.clone())
}

/// Every flag on `certificates`, in their order, each certificate's flags together.
pub fn flags(certificates: &[Audited<'_>]) -> Vec<Flag> {
    flags_counting(certificates, &BTreeMap::new())
}

/// [`flags`] of `certificates` when `recorded` says how many times certificates recorded
/// before them name each disk serial (those not in it: none).
pub fn flags_counting(certificates: &[Audited<'_>], recorded: &BTreeMap<String, usize>) -> Vec<Flag> {
    let mut serial_count: BTreeMap<&str, usize> = recorded.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    for a in certificates {
        for d in &a.certificate.disks {
            if let Some(serial) = d.serial.value() {
                *serial_count.entry(serial.as_str()).or_default() += 1;
            }
        }
    }
    let mut out = Vec::new();
    for a in certificates {
        let c = a.certificate;
        let mut push = |kind| out.push(Flag { certificate_id: c.id.to_string(), kind });
        for d in &c.disks {
            let s = &d.sanitization;
            if s.result == SanitizeResult::Failed || s.verification.mismatched_bytes > 0 {
                push(FlagKind::VerificationFailed { disk: disk_name(d) });
            } else if s.result == SanitizeResult::Interrupted {
                let how_far = s.errors.last().map(|e| e.message.clone()).unwrap_or_default();
                push(FlagKind::WipeInterrupted { disk: disk_name(d), how_far });
            } else if s.result == SanitizeResult::NotVerified || s.verification.mode == VerificationMode::None
            {
                push(FlagKind::VerificationSkipped { disk: disk_name(d) });
            }
            if d.smart.value() == Some(&SmartVerdict::Failed) {
                push(FlagKind::SmartFailing { disk: disk_name(d) });
            }
            if let Some(serial) = d.serial.value() {
                let times = serial_count.get(serial.as_str()).copied().unwrap_or(0);
                if times > 1 {
                    push(FlagKind::DiskWipedTwice { serial: serial.clone(), times });
                }
            } else if !matches!(d.transport, certificate::Transport::File | certificate::Transport::Loop) {
                let disk = match d.model.value() {
                    Some(model) => format!("{} ({model})", d.path),
                    None => d.path.clone(),
                };
                push(FlagKind::DiskWithoutSerial { disk, bridge: d.bridge.as_ref().map(|b| b.short_name()) });
            }
        }
        if a.station_revoked {
            push(FlagKind::StationRevoked);
        }
        if c.unit.serial.value().is_none_or(|s| s.trim().is_empty()) {
            push(FlagKind::UnitWithoutSerial);
        }
        for t in c.hardware_tests.iter().filter(|t| t.status == CheckStatus::Fail) {
            let kind = serde_json::to_value(t.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let test = match &t.device {
                Some(device) => format!("{kind} {device}"),
                None => kind,
            };
            push(FlagKind::HardwareTestFailed { test });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use certificate::{example, Probed};

    fn kinds(certs: &[Audited<'_>]) -> Vec<(String, FlagKind)> {
        flags(certs).into_iter().map(|f| (f.certificate_id, f.kind)).collect()
    }

    #[test]
    fn a_disk_recorded_before_counts_and_kinds_keep_their_json() {
        let c = example::certificate("SEEN");
        let recorded = BTreeMap::from([("SEEN".to_owned(), 2)]);
        let found = flags_counting(&[Audited { certificate: &c, station_revoked: false }], &recorded);
        let twice = FlagKind::DiskWipedTwice { serial: "SEEN".into(), times: 3 };
        assert_eq!(found.iter().map(|f| &f.kind).collect::<Vec<_>>(), vec![&twice]);
        let json = serde_json::to_string(&twice).expect("json");
        assert_eq!(json, r#"{"kind":"disk_wiped_twice","serial":"SEEN","times":3}"#);
        assert_eq!(serde_json::from_str::<FlagKind>(&json).expect("back"), twice);
        let unit = serde_json::to_string(&FlagKind::StationRevoked).expect("json");
        assert_eq!(serde_json::from_str::<FlagKind>(&unit).expect("back"), FlagKind::StationRevoked);
    }

    #[test]
    fn a_clean_certificate_has_no_flag() {
        let c = example::certificate("D1");
        assert!(flags(&[Audited { certificate: &c, station_revoked: false }]).is_empty());
    }

    #[test]
    fn each_problem_is_flagged() {
        let mut failed = example::certificate("D-FAIL");
        failed.disks[0].sanitization.result = SanitizeResult::Failed;
        failed.disks[0].smart = Probed::Value(SmartVerdict::Failed);
        let mut skipped = example::certificate("D-SKIP");
        skipped.disks[0].sanitization.result = SanitizeResult::NotVerified;
        skipped.disks[0].sanitization.verification.mode = VerificationMode::None;
        skipped.unit.serial = Probed::unavailable("no DMI table");
        let revoked = example::certificate("D-REV");
        let first = example::certificate("D-TWICE");
        let second = example::certificate("D-TWICE");
        let certs = [
            Audited { certificate: &failed, station_revoked: false },
            Audited { certificate: &skipped, station_revoked: false },
            Audited { certificate: &revoked, station_revoked: true },
            Audited { certificate: &first, station_revoked: false },
            Audited { certificate: &second, station_revoked: false },
        ];
        let twice = FlagKind::DiskWipedTwice { serial: "D-TWICE".into(), times: 2 };
        assert_eq!(
            kinds(&certs),
            vec![
                (failed.id.to_string(), FlagKind::VerificationFailed { disk: "D-FAIL".into() }),
                (failed.id.to_string(), FlagKind::SmartFailing { disk: "D-FAIL".into() }),
                (skipped.id.to_string(), FlagKind::VerificationSkipped { disk: "D-SKIP".into() }),
                (skipped.id.to_string(), FlagKind::UnitWithoutSerial),
                (revoked.id.to_string(), FlagKind::StationRevoked),
                (first.id.to_string(), twice.clone()),
                (second.id.to_string(), twice),
            ]
        );
    }

    #[test]
    fn an_interrupted_wipe_is_its_own_flag_with_how_far_it_got() {
        let mut c = example::certificate("D-INT");
        c.disks[0].sanitization.result = SanitizeResult::Interrupted;
        c.disks[0].sanitization.errors = vec![certificate::DiskError {
            message: "stopped by the operator at byte 6291456".into(),
            range: None,
        }];
        let found = kinds(&[Audited { certificate: &c, station_revoked: false }]);
        assert_eq!(
            found,
            vec![(
                c.id.to_string(),
                FlagKind::WipeInterrupted {
                    disk: "D-INT".into(),
                    how_far: "stopped by the operator at byte 6291456".into()
                }
            )]
        );
    }

    #[test]
    fn mismatches_count_as_a_failed_verification_and_a_disk_without_serial_is_named_by_path() {
        let mut c = example::certificate("X");
        c.disks[0].serial = Probed::unavailable("USB bridge hides it");
        c.disks[0].sanitization.verification.mismatched_bytes = 512;
        let found = kinds(&[Audited { certificate: &c, station_revoked: false }]);
        assert_eq!(
            found,
            vec![
                (c.id.to_string(), FlagKind::VerificationFailed { disk: "/dev/sda".into() }),
                (
                    c.id.to_string(),
                    FlagKind::DiskWithoutSerial { disk: "/dev/sda (ST3250318AS)".into(), bridge: None }
                ),
            ]
        );
    }

    #[test]
    fn a_disk_without_serial_behind_a_bridge_is_flagged_with_the_bridge_and_a_file_is_not() {
        let mut c = example::certificate("X");
        c.disks[0].serial = Probed::unavailable("no source gave the disk's own serial number");
        c.disks[0].model = Probed::unavailable("no source gave the disk's own model");
        c.disks[0].transport = certificate::Transport::Usb;
        c.disks[0].bridge = Some(certificate::UsbBridge {
            vendor_id: "152d".into(),
            product_id: "2338".into(),
            chip_vendor: Some("JMicron".into()),
            manufacturer: Some("JMicron".into()),
            product: None,
            serial: None,
            scsi_identity: Some("JMicron Generic".into()),
        });
        let found = kinds(&[Audited { certificate: &c, station_revoked: false }]);
        assert_eq!(
            found,
            vec![(
                c.id.to_string(),
                FlagKind::DiskWithoutSerial {
                    disk: "/dev/sda".into(),
                    bridge: Some("JMicron 152d:2338".into())
                }
            )]
        );
        c.disks[0].transport = certificate::Transport::File;
        assert!(kinds(&[Audited { certificate: &c, station_revoked: false }]).is_empty());
    }

    #[test]
    fn a_failed_hardware_test_is_flagged_and_a_passed_one_is_not() {
        let mut c = example::certificate("HW");
        let mut memory =
            certificate::HardwareTest::new(certificate::HardwareTestKind::Memory, CheckStatus::Fail);
        memory.details.push("12 words read back wrong".into());
        let mut disk = certificate::HardwareTest::new(certificate::HardwareTestKind::Disk, CheckStatus::Fail);
        disk.device = Some("/dev/sda".into());
        let cpu = certificate::HardwareTest::new(certificate::HardwareTestKind::Cpu, CheckStatus::Pass);
        c.hardware_tests = vec![memory, disk, cpu];
        let found = kinds(&[Audited { certificate: &c, station_revoked: false }]);
        assert_eq!(
            found,
            vec![
                (c.id.to_string(), FlagKind::HardwareTestFailed { test: "memory".into() }),
                (c.id.to_string(), FlagKind::HardwareTestFailed { test: "disk /dev/sda".into() }),
            ]
        );
    }
}
