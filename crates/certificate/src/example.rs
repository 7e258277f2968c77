//! A complete, consistent example certificate, for documentation, tests and fixtures of the
//! crates that consume certificates. Not used to produce real certificates.

use uuid::Uuid;

use crate::model::*;
use crate::signing::SigningIdentity;

/// A certificate of one unit with one 64 MiB disk of the given serial, zeroed and fully verified.
pub fn certificate(disk_serial: &str) -> Certificate {
    let t0 = Timestamp::parse("2026-11-23T09:00:00.000Z").unwrap_or_else(|_| Timestamp::now());
    let t1 = Timestamp::parse("2026-11-23T09:00:01.500Z").unwrap_or_else(|_| Timestamp::now());
    let size = 64 << 20;
    let disks = vec![DiskRecord {
        path: "/dev/sda".into(),
        model: Probed::Value("ST3250318AS".into()),
        serial: Probed::Value(disk_serial.into()),
        wwn: Probed::unavailable("the disk reports no WWN"),
        capacity_bytes: size,
        transport: Transport::Ata,
        smart: Probed::Value(SmartVerdict::Passed),
        sanitization: SanitizeRecord {
            standard: "NIST SP 800-88 Rev. 1".into(),
            category: Category::Clear,
            technique: Technique::Overwrite,
            method: "zero".into(),
            passes: vec![OverwritePass {
                number: 1,
                pattern: Pattern::byte(0),
                bytes_written: size,
                started_at: t0.clone(),
                finished_at: t1.clone(),
            }],
            verification: Verification {
                mode: VerificationMode::LastPass,
                coverage: Coverage::Full,
                bytes_verified: size,
                mismatched_bytes: 0,
                mismatches: vec![],
            },
            errors: vec![],
            started_at: t0.clone(),
            finished_at: t1.clone(),
            result: SanitizeResult::Verified,
            notes: vec![],
        },
        identity_sources: None,
        bridge: None,
        media: None,
    }];
    Certificate {
        schema: SCHEMA_V1.into(),
        id: Uuid::now_v7(),
        station: StationRef { id: "example-station".into(), key_id: "0".repeat(64) },
        operator: "Camille".into(),
        lot: Some("CD34-2026-017".into()),
        started_at: t0,
        finished_at: t1,
        tool: Tool { name: "seconde-vie-station".into(), version: env!("CARGO_PKG_VERSION").into() },
        unit: Unit {
            vendor: Probed::Value("Dell Inc.".into()),
            model: Probed::Value("OptiPlex 780".into()),
            serial: Probed::Value("5XJ3K4J".into()),
            uuid: Probed::Value("4c4c4544-0058-4a10-8033-b5c04f4b344a".into()),
            chassis: Probed::Value("desktop".into()),
        },
        result: Outcome::from_disks(&disks),
        disks,
        image: None,
        grade: None,
        checks: None,
        hardware_tests: Vec::new(),
        performed_by: None,
        post_sanitization: None,
    }
}

/// The same certificate, naming `key` as its station's key.
pub fn with_station_key(mut certificate: Certificate, key: &SigningIdentity) -> Certificate {
    certificate.station.key_id = key.key_id();
    certificate
}
