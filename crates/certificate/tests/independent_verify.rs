//! Certificates signed by this crate verify with independent tools: `scripts/verify-certificate`
//! canonicalizes with Python's `rfc8785` and checks Ed25519 with the `openssl` CLI, using none of
//! our code. A disagreement in canonical bytes (escapes, member order, numbers) shows up here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use certificate::{example, jcs, Certificate, Coverage, SignedDocument, SigningIdentity};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file under the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn with(contents: &[u8]) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = format!(
            "seconde-vie-independent-verify-{}-{}-{nanos}.json",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("writes the certificate to a temp file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `scripts/verify-certificate` on the file; returns its exit code and stdout + stderr.
/// Fails the test if the tools it needs are missing: never pass without having checked.
fn verify_independently(file_contents: &[u8]) -> (i32, String) {
    let file = TempFile::with(file_contents);
    let script = repo_root().join("scripts/verify-certificate");
    let Output { status, stdout, stderr } = Command::new(&script)
        .arg(&file.0)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let output = format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr));
    let code =
        status.code().unwrap_or_else(|| panic!("{} was killed by a signal:\n{output}", script.display()));
    if code == 2 {
        panic!(
            "scripts/verify-certificate could not run: python3 with the rfc8785 package, or openssl 3, \
             is missing. Run ./scripts/test, which installs them.\n{output}"
        );
    }
    (code, output)
}

fn signed(certificate: Certificate, key: &SigningIdentity) -> SignedDocument {
    let doc = key.sign(&certificate).expect("signs");
    doc.verify().expect("our own verifier accepts it");
    doc
}

fn example_key() -> SigningIdentity {
    SigningIdentity::from_seed(&[9; 32])
}

#[test]
fn example_certificate_verifies_and_a_changed_field_does_not() {
    let key = example_key();
    let cert = example::with_station_key(example::certificate("WD-TEST"), &key);
    let doc = signed(cert.clone(), &key);

    let (code, output) = verify_independently(&doc.to_json_pretty());
    assert_eq!(code, 0, "independent verification failed:\n{output}");
    assert!(output.contains(&format!("OK: certificate {} verified", cert.id)), "{output}");
    assert!(output.contains(&key.key_id()), "names the signing key:\n{output}");

    // One changed field: the unit's serial number.
    let mut tampered = doc.clone();
    tampered.certificate["unit"]["serial"]["value"] = "5XJ3K4K".into();
    let (code, output) = verify_independently(&tampered.to_json_pretty());
    assert_eq!(code, 1, "a tampered certificate must be refused:\n{output}");
    assert!(output.contains("signature does not verify"), "{output}");
    assert!(!output.contains("OK: certificate"), "{output}");
}

#[test]
fn non_ascii_text_and_large_integers_canonicalize_alike() {
    let key = example_key();
    let mut cert = example::with_station_key(example::certificate("ÉCHANTILLON-\u{2028}-\"42\"\\"), &key);
    cert.operator = "Élodie Müller 😀".into();
    cert.lot = Some("lot «été» №7 \u{1} tab\there\nnewline \u{7f} \u{fb33} € 中文".into());
    // The largest integer JSON numbers hold exactly (2^53 - 1), where canonical forms could differ.
    cert.disks[0].capacity_bytes = jcs::MAX_SAFE_INTEGER;
    let doc = signed(cert.clone(), &key);

    // Both sides must see the same bytes: compact and pretty files alike.
    let (code, output) = verify_independently(&doc.to_json_pretty());
    assert_eq!(code, 0, "independent verification of non-ASCII/large-integer certificate failed:\n{output}");
    let compact = serde_json::to_vec(&doc).expect("serializes");
    let (code, output) = verify_independently(&compact);
    assert_eq!(code, 0, "independent verification of the compact file failed:\n{output}");

    // Changing one character of the non-ASCII text is detected.
    let mut tampered = doc.clone();
    tampered.certificate["operator"] = "Elodie Müller 😀".into();
    let (code, output) = verify_independently(&tampered.to_json_pretty());
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("signature does not verify"), "{output}");
}

#[test]
fn sampled_coverage_percentages_canonicalize_alike() {
    // Doubles are where JCS implementations most often disagree (shortest round-trip printing).
    let key = example_key();
    for percent in [12.5, 0.1, 33.333333333333336, 99.99999999999999, 1e-7, 5e-324] {
        let mut cert = example::with_station_key(example::certificate("S-FLOAT"), &key);
        cert.disks[0].sanitization.verification.coverage = Coverage::Sampled { percent };
        let doc = signed(cert, &key);
        let (code, output) = verify_independently(&doc.to_json_pretty());
        assert_eq!(code, 0, "percent {percent}: independent verification failed:\n{output}");
    }
}

#[test]
fn a_file_signed_by_another_key_than_the_station_s_is_refused() {
    let station = example_key();
    let other = SigningIdentity::from_seed(&[1; 32]);
    let cert = example::with_station_key(example::certificate("WD-TEST"), &station);
    let doc = other.sign(&cert).expect("signs");
    let (code, output) = verify_independently(&doc.to_json_pretty());
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("no valid signature was made with it"), "{output}");
}

#[test]
fn a_certificate_with_the_standards_members_verifies_independently() {
    use certificate::{DataBackup, Destination, Media, MediaSource, MediaType, Performer, PostSanitization};
    let key = example_key();
    let mut cert = example::with_station_key(example::certificate("WD-STANDARDS"), &key);
    cert.performed_by = Some(Performer {
        role: Some("opérateur de reconditionnement".into()),
        organisation: Some("ESAT Les Ateliers".into()),
        location: Some("Montpellier, atelier 2".into()),
        contact: Some("04 67 00 00 00".into()),
    });
    cert.post_sanitization = Some(PostSanitization { destination: Destination::InternalReuse });
    cert.disks[0].media =
        Some(Media { kind: MediaType::Ssd, source: MediaSource::Loose, data_backup: DataBackup::No });
    let doc = signed(cert.clone(), &key);
    let (code, output) = verify_independently(&doc.to_json_pretty());
    assert_eq!(code, 0, "independent verification failed:\n{output}");
    assert!(output.contains(&format!("OK: certificate {} verified", cert.id)), "{output}");

    let mut tampered = doc.clone();
    tampered.certificate["performed_by"]["organisation"] = "Autre atelier".into();
    let (code, output) = verify_independently(&tampered.to_json_pretty());
    assert_eq!(code, 1, "a changed performer must be refused:\n{output}");
}
