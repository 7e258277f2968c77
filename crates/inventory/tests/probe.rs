//! Probes run on fixture trees.

use certificate::{Probed, SmartVerdict};
use inventory::{is_placeholder, probe_host, smart_verdict_from_json, Root};

fn fixture(name: &str) -> Root {
    Root::at(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn optiplex_identity_with_placeholder_serial() {
    let host = probe_host(&fixture("optiplex"));
    assert_eq!(host.unit.vendor, Probed::Value("Dell Inc.".into()));
    assert_eq!(host.unit.model, Probed::Value("OptiPlex 780".into()));
    assert_eq!(host.unit.chassis, Probed::Value("desktop".into()));
    match &host.unit.serial {
        Probed::Unavailable(why) => {
            assert!(why.contains("placeholder") && why.contains("To Be Filled"), "{why}")
        }
        other => panic!("placeholder taken as a serial: {other:?}"),
    }
    match &host.unit.uuid {
        // Under --root the reason names the captured tree, not "this machine" (#22).
        Probed::Unavailable(why) => assert!(
            why.contains("product_uuid does not exist under ") && why.contains("fixtures/optiplex"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(host.cpu_threads, Probed::Value(2));
    assert_eq!(host.memory_bytes, Probed::Value(3_921_508 * 1024));
    assert_eq!(
        host.summary(),
        "Dell Inc. OptiPlex 780 · Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz · 4 GB RAM"
    );
}

#[test]
fn missing_root_says_why_and_does_not_panic() {
    let host = probe_host(&Root::at("/nonexistent-sv-root"));
    assert!(matches!(host.unit.vendor, Probed::Unavailable(_)));
    assert!(matches!(host.memory_bytes, Probed::Unavailable(ref w) if w.contains("/proc/meminfo")));
    assert_eq!(host.summary(), "unknown computer");
}

#[test]
fn placeholders() {
    for p in [
        "To Be Filled By O.E.M.",
        "Default string",
        "00000000-0000-0000-0000-000000000000",
        "",
        "  ",
        "FFFFFFFF-FFFF",
    ] {
        assert!(is_placeholder(p), "{p:?}");
    }
    for real in ["5XJ3K4J", "CZC1234XYZ", "4c4c4544-0058-4a10-8033-b5c04f4b344a"] {
        assert!(!is_placeholder(real), "{real:?}");
    }
}

#[test]
fn smart_verdicts() {
    assert_eq!(
        smart_verdict_from_json(br#"{"smart_status":{"passed":true}}"#),
        Probed::Value(SmartVerdict::Passed)
    );
    assert_eq!(
        smart_verdict_from_json(br#"{"smart_status":{"passed":false}}"#),
        Probed::Value(SmartVerdict::Failed)
    );
    let no_verdict = smart_verdict_from_json(br#"{"smartctl":{"messages":[{"string":"/dev/loop0: Unable to detect device type","severity":"error"}]}}"#);
    assert!(matches!(no_verdict, Probed::Unavailable(ref w) if w.contains("Unable to detect device type")));
    assert!(
        matches!(smart_verdict_from_json(b"{truncated"), Probed::Unavailable(ref w) if w.contains("not JSON"))
    );
}

#[test]
fn the_full_inventory_reads_back_from_its_json() {
    // `station grade --inventory FILE` reads what `station inventory --json` wrote.
    for tree in ["qemu-pc", "optiplex", "dell-e4310", "firecracker"] {
        let inv = inventory::probe_inventory(
            &fixture(tree),
            &inventory::Options { smart: false, benchmark: false, endurance: None },
        );
        let json = serde_json::to_string(&inv).expect("serializes");
        let back: inventory::Inventory = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, inv, "{tree}");
    }
}
