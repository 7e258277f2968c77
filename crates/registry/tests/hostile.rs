//! Issue 23: what a hostile user found the registry accepted, over real HTTP, on SQLite and
//! PostgreSQL. Each test fails on the registry as it was before its fix.

use std::process::Command;

use certificate::{example, SigningIdentity};

mod common;
use common::*;

/// A signed file whose certificate member was changed by `edit`, then signed again by `key`.
fn resigned(key: &SigningIdentity, edit: impl FnOnce(&mut serde_json::Value)) -> (String, Vec<u8>) {
    use base64::Engine as _;
    let cert = example::with_station_key(example::certificate("HOSTILE-DISK"), key);
    let mut doc = key.sign(&cert).expect("signs");
    edit(&mut doc.certificate);
    let canonical = certificate::jcs::canonicalize(&doc.certificate).expect("canonical");
    doc.signatures[0].sig = base64::engine::general_purpose::STANDARD.encode(key.sign_bytes(&canonical));
    (doc.certificate["id"].as_str().unwrap_or_default().to_owned(), doc.to_json_pretty())
}

fn message(v: &serde_json::Value) -> String {
    v["error"]["message"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn repeated_member_names_and_upper_case_ids_are_refused() {
    for backend in backends() {
        repeated_members_on(backend);
    }
}

fn repeated_members_on(backend: &str) {
    let reg = Registry::start("duplicates", backend);
    let key = SigningIdentity::from_seed(&[61; 32]);
    reg.enrol(&key);
    // Signed over the last-wins reading ("Real"); a first-wins reader sees "Evil".
    let (id, body) = resigned(&key, |c| c["operator"] = "Real".into());
    let text = String::from_utf8(body).expect("utf-8");
    let evil = text.replacen("\"operator\": ", "\"operator\": \"Evil\",\n    \"operator\": ", 1);
    let (status, answer) = reg.post(evil.as_bytes());
    assert_eq!((status, error_code(&answer)), (400, "duplicate_member"), "{answer}");
    assert!(message(&answer).contains("/certificate/operator"), "{answer}");
    let twice_signed = text.replacen("\"signatures\": [", "\"signatures\": [],\n  \"signatures\": [", 1);
    let (status, answer) = reg.post(twice_signed.as_bytes());
    assert_eq!((status, error_code(&answer)), (400, "duplicate_member"), "{answer}");
    assert!(message(&answer).contains("member /signatures appears twice"), "{answer}");
    assert_eq!(reg.get(&format!("/api/v1/certificates/{id}")).0, 404, "nothing was stored");

    // `registry verify` refuses what the ingest refuses.
    let file = reg.dir.join("evil.json");
    std::fs::write(&file, &evil).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_registry")).arg("verify").arg(&file).output().expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("member /certificate/operator appears twice"), "{stderr}");

    // The spec says lower case; an upper-case id was stored under its lower-case form.
    let (upper_id, upper) = resigned(&key, |c| {
        let id = c["id"].as_str().expect("id").to_ascii_uppercase();
        c["id"] = id.into();
    });
    let (status, answer) = reg.post(&upper);
    assert_eq!((status, error_code(&answer)), (400, "schema_violation"), "{answer}");
    assert!(message(&answer).contains("/id"), "{answer}");
    assert_eq!(reg.get(&format!("/api/v1/certificates/{}", upper_id.to_lowercase())).0, 404);

    // A field of the wrong type is named by its path, not `/`.
    let (_, wrong) = resigned(&key, |c| c["disks"][0]["capacity_bytes"] = "big".into());
    let (status, answer) = reg.post(&wrong);
    assert_eq!((status, error_code(&answer)), (400, "schema_violation"), "{answer}");
    assert!(message(&answer).contains("/disks/0/capacity_bytes"), "{answer}");
}
