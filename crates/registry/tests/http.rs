//! The real `registry` binary over real HTTP on 127.0.0.1 with a real SQLite file.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use certificate::{example, SigningIdentity};

mod common;
use common::*;

#[test]
fn accepts_stores_and_finds_a_valid_certificate_idempotently() {
    for backend in backends() {
        accepts_stores_and_finds_a_valid_certificate_idempotently_on(backend);
    }
}

fn accepts_stores_and_finds_a_valid_certificate_idempotently_on(backend: &str) {
    let reg = Registry::start("accept", backend);
    let key = SigningIdentity::from_seed(&[5; 32]);
    reg.enrol(&key);
    let (id, body) = signed(&key, "WD-WCAV0001");

    let (status, answer) = reg.post(&body);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["status"], "recorded");
    assert_eq!(answer["url"], format!("/api/v1/certificates/{id}"));

    // Same certificate again: same answer, nothing duplicated.
    let (status, again) = reg.post(&body);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["status"], "already_recorded");
    assert_eq!(again["received_at"], answer["received_at"]);

    let (status, stored) = reg.get(&format!("/api/v1/certificates/{id}"));
    assert_eq!(status, 200);
    assert_eq!(stored.as_bytes(), &body[..], "returned exactly as received");

    let (status, history) = reg.get("/api/v1/disks/WD-WCAV0001");
    assert_eq!(status, 200);
    let history: serde_json::Value = serde_json::from_str(&history).expect("json");
    assert_eq!(history["certificates"].as_array().map(Vec::len), Some(1), "{history}");
    assert_eq!(history["certificates"][0]["certificate_id"], id.as_str());
    assert_eq!(history["certificates"][0]["disk_result"], "verified");

    let (status, none) = reg.get("/api/v1/disks/NO-SUCH-DISK");
    assert_eq!((status, none.contains("\"certificates\":[]")), (200, true), "{none}");
    let (status, missing) = reg.get("/api/v1/certificates/01900000-0000-7000-8000-000000000000");
    assert_eq!(status, 404, "{missing}");
    assert!(missing.contains("not_found"));
}

#[test]
fn refuses_tampered_unknown_truncated_and_conflicting_certificates() {
    for backend in backends() {
        refuses_tampered_unknown_truncated_and_conflicting_certificates_on(backend);
    }
}

fn refuses_tampered_unknown_truncated_and_conflicting_certificates_on(backend: &str) {
    let reg = Registry::start("refuse", backend);
    let key = SigningIdentity::from_seed(&[6; 32]);
    reg.enrol(&key);
    let (_, body) = signed(&key, "S-TAMPER");

    // One changed field.
    let mut doc: serde_json::Value = serde_json::from_slice(&body).expect("json");
    doc["certificate"]["unit"]["serial"]["value"] = "SOMEONE-ELSES".into();
    let (status, answer) = reg.post(&serde_json::to_vec(&doc).expect("json"));
    assert_eq!((status, error_code(&answer)), (400, "bad_signature"), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap_or("").contains("altered"), "{answer}");

    // A station the registry does not know.
    let stranger = SigningIdentity::from_seed(&[7; 32]);
    let (_, foreign) = signed(&stranger, "S-FOREIGN");
    let (status, answer) = reg.post(&foreign);
    assert_eq!((status, error_code(&answer)), (401, "unknown_station"), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap_or("").contains(&stranger.key_id()), "{answer}");

    // A truncated body.
    let (status, answer) = reg.post(&body[..body.len() - 40]);
    assert_eq!((status, error_code(&answer)), (400, "invalid_json"), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap_or("").contains("line"), "{answer}");

    // JSON that is not a certificate.
    let (status, answer) = reg.post(br#"{"hello": "world"}"#);
    assert_eq!((status, error_code(&answer)), (400, "not_a_certificate"), "{answer}");

    // The same id with different content: a certificate is never replaced.
    let (id, original) = signed(&key, "S-ORIGINAL");
    assert_eq!(reg.post(&original).0, 201);
    let mut other = example::with_station_key(example::certificate("S-ORIGINAL"), &key);
    other.id = id.parse().expect("uuid");
    other.operator = "someone else".into();
    let (status, answer) = reg.post(&key.sign(&other).expect("signs").to_json_pretty());
    assert_eq!((status, error_code(&answer)), (409, "id_conflict"), "{answer}");
    let (_, stored) = reg.get(&format!("/api/v1/certificates/{id}"));
    assert_eq!(stored.as_bytes(), &original[..], "the first certificate is untouched");
}

#[test]
fn a_10_mb_body_is_refused_with_413() {
    for backend in backends() {
        a_10_mb_body_is_refused_with_413_on(backend);
    }
}

fn a_10_mb_body_is_refused_with_413_on(backend: &str) {
    let reg = Registry::start("large", backend);
    let addr = reg.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let size = 10 * 1024 * 1024;
    let head = format!(
        "POST /api/v1/certificates HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("writes head");
    // The server may answer and close before the whole body is sent; a failed write is fine.
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..size / chunk.len() {
        if stream.write_all(&chunk).is_err() {
            break;
        }
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("too_large"), "{text}");
}

#[test]
fn enrolment_by_code_approval_and_revocation() {
    for backend in backends() {
        enrolment_on(backend);
    }
}

fn enrolment_on(backend: &str) {
    let reg = Registry::start("enrol", backend);
    let key = SigningIdentity::from_seed(&[8; 32]);
    let agent = Registry::agent();
    let ask = || {
        let mut r = agent
            .post(&format!("{}/api/v1/stations/enrol", reg.base))
            .send_json(serde_json::json!({"public_key": key.public_key_base64(), "name": "atelier-2"}))
            .expect("request");
        serde_json::from_str::<serde_json::Value>(&r.body_mut().read_to_string().expect("body"))
            .expect("json")
    };
    let first = ask();
    assert_eq!(first["status"], "pending", "{first}");
    let code = first["enrolment_code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 9, "{code}");
    assert_eq!(ask()["enrolment_code"], code.as_str(), "asking again shows the same code");

    // Pending: certificates are refused, saying what to do.
    let (_, body) = signed(&key, "S-ENROL");
    let (status, answer) = reg.post(&body);
    assert_eq!((status, error_code(&answer)), (401, "station_not_approved"), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap_or("").contains(&code), "{answer}");

    let wrong = reg.cli(&["station", "approve", "AAAA-AAAA"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("no station is waiting"));
    let ok = reg.cli(&["station", "approve", &code.to_lowercase()]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(ask()["status"], "approved");
    assert_eq!(reg.post(&body).0, 201);

    // Revoked: later certificates refused, earlier ones stay, marked.
    let revoked = reg.cli(&["station", "revoke", "atelier-2"]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    let (_, later) = signed(&key, "S-LATER");
    let (status, answer) = reg.post(&later);
    assert_eq!((status, error_code(&answer)), (403, "station_revoked"), "{answer}");
    // Its earlier certificate sent again is refused the same way, not answered as recorded.
    let (status, answer) = reg.post(&body);
    assert_eq!((status, error_code(&answer)), (403, "station_revoked"), "{answer}");
    let (_, history) = reg.get("/api/v1/disks/S-ENROL");
    let history: serde_json::Value = serde_json::from_str(&history).expect("json");
    assert_eq!(history["certificates"][0]["station_revoked"], true, "{history}");
}

#[test]
fn receipts_and_proofs_verify_offline_and_the_log_survives_a_restart() {
    for backend in backends() {
        log_on(backend);
    }
}

fn log_on(backend: &str) {
    let mut reg = Registry::start("log", backend);
    let key = SigningIdentity::from_seed(&[10; 32]);
    reg.enrol(&key);
    let (_, vkey) = reg.get("/api/v1/log/key");
    let vkey = vkey.trim().to_owned();
    assert!(vkey.starts_with(&format!("{}+", registry::DEFAULT_ORIGIN)), "{vkey}");

    let mut canonicals: Vec<Vec<u8>> = Vec::new();
    let mut first_checkpoint = String::new();
    for i in 0..7 {
        let cert = example::with_station_key(example::certificate(&format!("LOG-{i}")), &key);
        let doc = key.sign(&cert).expect("signs");
        let canonical = doc.verify().expect("verifies").canonical;
        let (status, answer) = reg.post(&doc.to_json_pretty());
        assert_eq!(status, 201, "{answer}");
        let receipt: certificate::log::Receipt =
            serde_json::from_value(answer["receipt"].clone()).expect("a receipt");
        assert_eq!(receipt.leaf_index, i);
        let checkpoint = receipt.verify(&canonical, &vkey).expect("the receipt verifies offline");
        assert_eq!(checkpoint.size, i + 1);
        // Another certificate's bytes do not verify against this receipt.
        if let Some(previous) = canonicals.last() {
            assert!(receipt.verify(previous, &vkey).is_err());
        }
        if i == 2 {
            first_checkpoint = receipt.checkpoint.clone();
            // The command-line check an auditor runs, offline.
            let cert_file = reg.dir.join("cert.json");
            let receipt_file = reg.dir.join("answer.json");
            std::fs::write(&cert_file, doc.to_json_pretty()).expect("write");
            std::fs::write(&receipt_file, answer.to_string()).expect("write");
            let verify = |cert: &std::path::Path| {
                Command::new(env!("CARGO_BIN_EXE_registry"))
                    .arg("verify")
                    .arg(cert)
                    .arg("--receipt")
                    .arg(&receipt_file)
                    .args(["--vkey", &vkey])
                    .output()
                    .expect("runs")
            };
            let ok = verify(&cert_file);
            assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
            assert!(String::from_utf8_lossy(&ok.stdout).contains("leaf 2 of a tree of 3 leaves"));
            let other = reg.dir.join("other.json");
            let other_cert = example::with_station_key(example::certificate("OTHER"), &key);
            std::fs::write(&other, key.sign(&other_cert).expect("signs").to_json_pretty()).expect("write");
            let bad = verify(&other);
            assert!(!bad.status.success());
            assert!(
                String::from_utf8_lossy(&bad.stderr).contains("does not prove"),
                "{}",
                String::from_utf8_lossy(&bad.stderr)
            );
        }
        canonicals.push(canonical);
    }

    // The registry restarts: nothing is lost, and the new head is consistent with the old one.
    let _ = reg.child.kill();
    let _ = reg.child.wait();
    reg.restart();
    let (status, note) = reg.get("/api/v1/log/checkpoint");
    assert_eq!(status, 200);
    let head = certificate::log::verify_note(&note, &vkey).expect("signed checkpoint");
    assert_eq!(head.size, 7);
    let old = certificate::log::verify_note(&first_checkpoint, &vkey).expect("old checkpoint");
    let (_, consistency) = reg.get("/api/v1/log/proof/consistency?first=3&second=7");
    let consistency: serde_json::Value = serde_json::from_str(&consistency).expect("json");
    let proof = hashes(&consistency["consistency"]);
    certificate::log::verify_consistency(3, 7, &old.root_hash, &head.root_hash, &proof).expect("consistent");

    // Inclusion proof by leaf hash, at the current size, for every certificate.
    for (i, canonical) in canonicals.iter().enumerate() {
        let leaf = certificate::log::leaf_hash(canonical);
        let (status, body) =
            reg.get(&format!("/api/v1/log/proof/inclusion?leaf_hash={}&tree_size=7", hex::encode(leaf)));
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["leaf_index"], i as u64);
        let path = hashes(&v["inclusion_path"]);
        certificate::log::verify_inclusion(&leaf, i as u64, 7, &path, &head.root_hash).expect("included");
    }
    let (status, _) = reg.get(&format!("/api/v1/log/proof/inclusion?leaf_hash={}", hex::encode([0u8; 32])));
    assert_eq!(status, 404);
}

fn hashes(v: &serde_json::Value) -> Vec<[u8; 32]> {
    use base64::Engine as _;
    v.as_array()
        .expect("array")
        .iter()
        .map(|h| {
            let b = base64::engine::general_purpose::STANDARD
                .decode(h.as_str().expect("string"))
                .expect("base64");
            <[u8; 32]>::try_from(b).expect("32 bytes")
        })
        .collect()
}

#[test]
fn stops_cleanly_on_ctrl_c() {
    for backend in backends() {
        stops_cleanly_on(backend);
    }
}

/// Ctrl-C (SIGINT) stops the server: it finishes, closes its database connections and exits 0,
/// after certificates were written and read (so both connections were opened).
fn stops_cleanly_on(backend: &str) {
    let mut reg = Registry::start("ctrl_c", backend);
    let key = SigningIdentity::from_seed(&[9; 32]);
    reg.enrol(&key);
    let (_, body) = signed(&key, "SN-CTRL-C");
    assert_eq!(reg.post(&body).0, 201, "{backend}");
    let (status, _) = reg.get("/api/v1/disks/SN-CTRL-C");
    assert_eq!(status, 200, "{backend}");
    let pid = reg.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().expect("kill").success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = reg.child.try_wait().expect("wait") {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "{backend}: still running 15 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{backend}: {status}");
}
