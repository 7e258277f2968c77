//! Signing round trip and every way a certificate file is refused.

use certificate::{example, Outcome, SanitizeResult, SignedDocument, SigningIdentity, VerifyError};

fn signed() -> (SigningIdentity, SignedDocument) {
    let key = SigningIdentity::from_seed(&[42; 32]);
    let cert = example::with_station_key(example::certificate("WD-WCAV12345678"), &key);
    let doc = key.sign(&cert).expect("signs");
    (key, doc)
}

#[test]
fn round_trip_through_the_file_format() {
    let (key, doc) = signed();
    let bytes = doc.to_json_pretty();
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.starts_with("{\n  \"certificate\": {"), "{text}");
    let parsed = SignedDocument::from_json(&bytes).expect("parses");
    let verified = parsed.verify().expect("verifies");
    assert_eq!(verified.signers, vec![key.key_id()]);
    assert_eq!(verified.certificate.result, Outcome::Sanitized);
    // The signed bytes are the canonical form: no whitespace, sorted members.
    let canonical = String::from_utf8(verified.canonical).expect("utf-8");
    assert!(canonical.starts_with("{\"disks\":[{\"capacity_bytes\":67108864,"), "{canonical}");
}

#[test]
fn one_changed_field_breaks_the_signature() {
    let (_, doc) = signed();
    let mut tampered = doc.clone();
    tampered.certificate["disks"][0]["serial"]["value"] = "OTHER".into();
    assert!(matches!(tampered.verify(), Err(VerifyError::BadSignature { index: 0, .. })));

    let mut added = doc.clone();
    added.certificate["note"] = "added later".into();
    assert!(matches!(added.verify(), Err(VerifyError::BadSignature { .. })));

    // Reordering members and whitespace do not matter: the signature covers the canonical form.
    let text = serde_json::to_string(&doc).expect("serializes");
    let reparsed = SignedDocument::from_json(text.as_bytes()).expect("parses");
    reparsed.verify().expect("still verifies");
}

#[test]
fn signature_by_another_key_is_refused() {
    let (_, doc) = signed();
    let other = SigningIdentity::from_seed(&[1; 32]);
    let cert: certificate::Certificate = serde_json::from_value(doc.certificate.clone()).expect("typed");
    // Signed by a key that is not the one the certificate names as its station's.
    let resigned = other.sign(&cert).expect("signs");
    assert!(matches!(resigned.verify(), Err(VerifyError::NotSignedByStation { .. })));
}

#[test]
fn a_certificate_cannot_claim_sanitized_without_verification() {
    let key = SigningIdentity::from_seed(&[3; 32]);
    let mut cert = example::with_station_key(example::certificate("S1"), &key);
    cert.disks[0].sanitization.verification.bytes_verified = 0;
    let err = key.sign(&cert).expect("signs").verify().expect_err("inconsistent");
    let message = err.to_string();
    assert!(message.contains("/disks/0/sanitization/result"), "{message}");
    assert!(message.contains("/result"), "{message}");

    cert.disks[0].sanitization.result = SanitizeResult::NotVerified;
    cert.result = Outcome::from_disks(&cert.disks);
    assert_eq!(cert.result, Outcome::Incomplete);
    key.sign(&cert).expect("signs").verify().expect("consistent incomplete certificate verifies");
}

#[test]
fn malformed_files_name_the_problem_and_place() {
    let (_, doc) = signed();
    let bytes = doc.to_json_pretty();
    let truncated = &bytes[..bytes.len() / 2];
    match SignedDocument::from_json(truncated) {
        Err(e @ VerifyError::Json { .. }) => assert!(e.to_string().contains("line"), "{e}"),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    let err = SignedDocument::from_json(br#"{"certificate": {}}"#).expect_err("no signatures");
    assert!(err.to_string().contains("signatures"), "{err}");

    let mut unsigned = doc.clone();
    unsigned.signatures.clear();
    assert!(matches!(unsigned.verify(), Err(VerifyError::Unsigned)));

    let mut wrong_id = doc.clone();
    wrong_id.signatures[0].keyid = "00".repeat(32);
    assert!(matches!(wrong_id.verify(), Err(VerifyError::KeyIdMismatch { .. })));

    let mut short_sig = doc;
    short_sig.signatures[0].sig = "AAAA".into();
    let err = short_sig.verify().expect_err("short signature");
    assert!(err.to_string().contains("64"), "{err}");
}

#[test]
fn a_disk_reached_through_a_usb_bridge_records_the_bridge_and_the_sources_and_older_files_keep_their_bytes() {
    use certificate::{IdentitySource, IdentitySources, Transport, UsbBridge};
    // A certificate made before identity_sources and bridge existed has neither member, and its
    // canonical bytes (what was signed) do not mention them.
    let (_, old) = signed();
    let old_verified = old.verify().expect("verifies");
    let canonical = String::from_utf8(old_verified.canonical.clone()).expect("utf-8");
    assert!(!canonical.contains("identity_sources") && !canonical.contains("bridge"), "{canonical}");
    let reparsed = SignedDocument::from_json(&old.to_json_pretty()).expect("parses");
    assert_eq!(reparsed.verify().expect("still verifies").canonical, old_verified.canonical);

    let key = SigningIdentity::from_seed(&[42; 32]);
    let mut cert = example::with_station_key(example::certificate("WD-WXEX07421253"), &key);
    cert.disks[0].transport = Transport::Usb;
    cert.disks[0].identity_sources = Some(IdentitySources {
        model: Some(IdentitySource::Smartctl),
        serial: Some(IdentitySource::AtaIdentify),
        firmware: Some(IdentitySource::AtaIdentify),
        wwn: None,
    });
    cert.disks[0].bridge = Some(UsbBridge {
        vendor_id: "152d".into(),
        product_id: "2338".into(),
        chip_vendor: Some("JMicron".into()),
        manufacturer: Some("JMicron".into()),
        product: Some("USB to ATA/ATAPI Bridge".into()),
        serial: None,
        scsi_identity: Some("JMicron Generic".into()),
    });
    let doc = key.sign(&cert).expect("signs");
    let verified =
        SignedDocument::from_json(&doc.to_json_pretty()).expect("parses").verify().expect("verifies");
    assert_eq!(verified.certificate.disks[0], cert.disks[0]);
    let canonical = String::from_utf8(verified.canonical).expect("utf-8");
    assert!(
        canonical.contains(r#""bridge":{"chip_vendor":"JMicron","manufacturer":"JMicron","product":"USB to ATA/ATAPI Bridge","product_id":"2338","scsi_identity":"JMicron Generic","vendor_id":"152d"}"#),
        "{canonical}"
    );
    assert!(
        canonical.contains(
            r#""identity_sources":{"firmware":"ata_identify","model":"smartctl","serial":"ata_identify"}"#
        ),
        "{canonical}"
    );
    // An unknown source name is refused, as every unknown member is.
    let text = String::from_utf8(doc.to_json_pretty()).expect("utf-8").replace("\"smartctl\"", "\"guess\"");
    assert!(SignedDocument::from_json(text.as_bytes()).and_then(|d| d.verify().map(|_| ())).is_err());
}

/// `doc` with its certificate changed by `edit`, signed again by `key`.
fn resigned(
    key: &SigningIdentity,
    doc: &SignedDocument,
    edit: impl FnOnce(&mut serde_json::Value),
) -> SignedDocument {
    use base64::Engine as _;
    let mut doc = doc.clone();
    edit(&mut doc.certificate);
    let canonical = certificate::jcs::canonicalize(&doc.certificate).expect("canonical");
    doc.signatures[0].sig = base64::engine::general_purpose::STANDARD.encode(key.sign_bytes(&canonical));
    doc
}

#[test]
fn a_repeated_member_name_is_refused_wherever_it_is() {
    // issue 23: `"operator": "Evil", "operator": "Real"` verified on the last-wins reading.
    let (_, doc) = signed();
    let text = String::from_utf8(doc.to_json_pretty()).expect("utf-8");
    for (what, from, to, path) in [
        (
            "operator",
            "\"operator\": ",
            "\"operator\": \"Evil\",\n    \"operator\": ",
            "/certificate/operator",
        ),
        ("certificate", "\"signatures\": ", "\"certificate\": {},\n  \"signatures\": ", "/certificate"),
        ("sig", "\"sig\": ", "\"sig\": \"AAAA\",\n      \"sig\": ", "/signatures/0/sig"),
    ] {
        let twice = text.replacen(from, to, 1);
        assert_ne!(twice, text);
        match SignedDocument::from_json(twice.as_bytes()) {
            Err(e @ VerifyError::DuplicateMember(_)) => {
                assert!(e.to_string().contains(&format!("member {path} appears twice")), "{what}: {e}")
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn an_upper_case_id_is_refused() {
    // The id is indexed in lower case: a signed upper-case id names a certificate no GET finds.
    let (key, doc) = signed();
    let upper = resigned(&key, &doc, |c| {
        let id = c["id"].as_str().expect("id").to_ascii_uppercase();
        c["id"] = id.into();
    });
    match upper.verify() {
        Err(VerifyError::Schema(v)) => assert_eq!(v[0].field, "/id", "{v:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_schema_violation_names_the_field() {
    // issue 23: the path was `/` whatever the field.
    let (key, doc) = signed();
    for (edit, field) in [
        (
            Box::new(|c: &mut serde_json::Value| c["disks"][0]["sanitization"]["result"] = "done".into())
                as Box<dyn Fn(&mut serde_json::Value)>,
            "/disks/0/sanitization/result",
        ),
        (
            Box::new(|c: &mut serde_json::Value| c["unit"]["serial"] = serde_json::json!({"value": 7})),
            "/unit/serial/value",
        ),
        (
            Box::new(|c: &mut serde_json::Value| {
                c.as_object_mut().expect("object").remove("operator");
            }),
            "/operator",
        ),
    ] {
        match resigned(&key, &doc, edit).verify() {
            Err(VerifyError::Schema(v)) => assert_eq!(v[0].field, field, "{v:?}"),
            other => panic!("{field}: {other:?}"),
        }
    }
}

/// The example file of docs/certificate.md ("## Example"), as published.
fn published_example() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/certificate.md"))
        .expect("docs/certificate.md");
    let after = doc.split("\n## Example\n").nth(1).expect("an Example section");
    let json = after.split("```json\n").nth(1).expect("a JSON block");
    json.split("\n```").next().expect("its end").to_owned()
}

#[test]
fn the_published_example_still_verifies_byte_for_byte_with_the_new_optional_members() {
    use sha2::{Digest as _, Sha256};
    // Signed before performed_by, post_sanitization and media existed: this build reads it,
    // verifies the signature and writes back the very bytes that were signed.
    let file = published_example();
    let verified = SignedDocument::from_json(file.as_bytes()).expect("parses").verify().expect("verifies");
    assert_eq!(verified.canonical.len(), 1352);
    assert_eq!(
        hex::encode(Sha256::digest(&verified.canonical)),
        "b7df81bb44a67903072fd03dad1429b21fb3349e4c332ddeeaaa33c4d85d3e89"
    );
    let c = &verified.certificate;
    assert!(c.performed_by.is_none() && c.post_sanitization.is_none() && c.disks[0].media.is_none());
    let again =
        certificate::jcs::canonicalize(&serde_json::to_value(c).expect("serializes")).expect("canonical");
    assert_eq!(again, verified.canonical, "re-serializing adds no member");
}

#[test]
fn the_standards_members_round_trip_and_an_unknown_value_is_refused() {
    use certificate::{DataBackup, Destination, Media, MediaSource, MediaType, Performer, PostSanitization};
    let key = SigningIdentity::from_seed(&[42; 32]);
    let mut cert = example::with_station_key(example::certificate("WD-WCAV12345678"), &key);
    cert.performed_by = Some(Performer {
        role: Some("opératrice".into()),
        organisation: Some("ESAT du Lez".into()),
        location: Some("Montpellier".into()),
        contact: None,
    });
    cert.post_sanitization = Some(PostSanitization { destination: Destination::ExternalReuse });
    cert.disks[0].media =
        Some(Media { kind: MediaType::Hdd, source: MediaSource::Computer, data_backup: DataBackup::Unknown });
    let doc = key.sign(&cert).expect("signs");
    let verified =
        SignedDocument::from_json(&doc.to_json_pretty()).expect("parses").verify().expect("verifies");
    assert_eq!(verified.certificate, cert);
    let canonical = String::from_utf8(verified.canonical).expect("utf-8");
    assert!(
        canonical.contains(r#""media":{"data_backup":"unknown","source":"computer","type":"hdd"}"#),
        "{canonical}"
    );
    assert!(
        canonical.contains(
            r#""performed_by":{"location":"Montpellier","organisation":"ESAT du Lez","role":"opératrice"}"#
        ),
        "{canonical}"
    );
    assert!(canonical.contains(r#""post_sanitization":{"destination":"external_reuse"}"#), "{canonical}");
    // An unknown destination, even signed, is refused with its place.
    let bad = resigned(&key, &doc, |c| c["post_sanitization"]["destination"] = "attic".into());
    let err = SignedDocument::from_json(&bad.to_json_pretty())
        .and_then(|d| d.verify().map(|_| ()))
        .expect_err("an unknown destination is refused");
    assert!(err.to_string().contains("post_sanitization"), "{err}");
}
