//! Signed notes, checkpoints and receipts of the certificate log.
//!
//! The known-good signed notes are the test vectors of golang.org/x/mod/sumdb/note (the package
//! documentation, `example_test.go` and `note_test.go` `TestOpen`): the keys PeterNeumann and
//! EnochRoot and their signatures over the same two-line text. EnochRoot's key is the one Go's
//! `GenerateKey` derives from an all-zero seed, and PeterNeumann's secret key is published in
//! those tests, so our signer must reproduce both signature lines byte for byte (Ed25519 is
//! deterministic). The values are copied as data; no code is.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use certificate::log::{
    self, inclusion_proof, leaf_hash, open_note, sign_note, verify_note, Checkpoint, CompactRange, Hash,
    LogError, NoteVerifier, Receipt,
};
use certificate::{example, SignedDocument, SigningIdentity};

const GO_TEXT: &str =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_LINE: &str =
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const ENOCH_LINE: &str =
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter_note() -> String {
    format!("{GO_TEXT}\n{PETER_LINE}")
}

/// Peter's secret key from the Go tests: `PRIVATE+KEY+<name>+<id>+base64(0x01 || seed)`.
fn peter_identity() -> SigningIdentity {
    let b64 = PETER_SKEY.splitn(5, '+').nth(4).expect("five parts");
    let raw = BASE64.decode(b64).expect("base64");
    assert_eq!(raw[0], 0x01, "Ed25519");
    SigningIdentity::from_seed(&raw[1..].try_into().expect("32-byte seed"))
}

fn peter() -> NoteVerifier {
    NoteVerifier::parse(PETER_VKEY).expect("the Go test key parses")
}

#[test]
fn the_go_sumdb_note_vector_verifies() {
    let verifier = peter();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_id(), 0xc74f20a3);
    assert_eq!(verifier.to_string(), PETER_VKEY);
    assert_eq!(open_note(&peter_note(), &verifier).expect("verifies"), GO_TEXT);

    // Doubly signed: each key finds its own signature and ignores the other (an unknown key).
    let both = format!("{GO_TEXT}\n{PETER_LINE}{ENOCH_LINE}");
    assert_eq!(open_note(&both, &verifier).expect("Peter's verifies"), GO_TEXT);
    let enoch = NoteVerifier::parse(ENOCH_VKEY).expect("parses");
    assert_eq!(open_note(&both, &enoch).expect("Enoch's verifies"), GO_TEXT);
    let err = open_note(&peter_note(), &enoch).expect_err("not signed by Enoch");
    assert_eq!(
        err.to_string(),
        "the note is not signed by the trusted key EnochRoot+af0cfe78; it carries signatures by: PeterNeumann+c74f20a3"
    );
}

#[test]
fn our_signer_reproduces_the_go_signatures_byte_for_byte() {
    let peter_key = peter_identity();
    assert_eq!(log::vkey("PeterNeumann", &peter_key).expect("valid name"), PETER_VKEY);
    assert_eq!(sign_note(GO_TEXT, "PeterNeumann", &peter_key).expect("signs"), peter_note());

    let enoch_key = SigningIdentity::from_seed(&[0; 32]);
    assert_eq!(log::vkey("EnochRoot", &enoch_key).expect("valid name"), ENOCH_VKEY);
    assert_eq!(
        sign_note(GO_TEXT, "EnochRoot", &enoch_key).expect("signs"),
        format!("{GO_TEXT}\n{ENOCH_LINE}")
    );
}

#[test]
fn malformed_or_altered_notes_are_refused_each_with_its_reason() {
    let verifier = peter();
    let good = peter_note();
    let cases: Vec<(String, &str)> = vec![
        (good.replace("problem,", "problem;"), "does not verify: the note text was altered"),
        (good.replacen("ZJkuBS9", "ZJkuBS8", 1), "does not verify"),
        (good.trim_end_matches('\n').to_string(), "the signed note does not end with a newline"),
        (format!("{GO_TEXT}{PETER_LINE}"), "no blank line separating its text from its signature lines"),
        (format!("{GO_TEXT}\n"), "no signature lines after its blank line"),
        (
            good.replace('—', "-"),
            "signature line 1 of the note is malformed: it does not start with an em dash",
        ),
        (good.replace("— PeterNeumann ", "— PeterNeumann"), "no space separates the key name"),
        (
            format!("{GO_TEXT}\n— PeterNeumann \n"),
            "signature line 1 of the note is malformed: the signature by PeterNeumann is empty",
        ),
        (good.replace("— PeterNeumann ", "— PeterNeumann  "), "the signature by PeterNeumann is not base64"),
        (good.replace("x08go/", "x08go!"), "is not base64"),
        (format!("{GO_TEXT}\n— PeterNeumann AAAA\n"), "is 3 bytes, shorter than a 4-byte key id"),
        (
            format!("{GO_TEXT}\n— PeterNeumann {}\n", BASE64.encode([0xc7, 0x4f, 0x20, 0xa3, 0, 0])),
            "an Ed25519 signature is 64 bytes, the one by PeterNeumann is 2",
        ),
        (good.replace("problem,\n", "problem,\r\n"), "control character 0x0d at byte 56"),
        (good.replace("— PeterNeumann", "— Peter+Neumann"), "key name \"Peter+Neumann\" is not allowed"),
        (format!("{GO_TEXT}\n{}", ENOCH_LINE.repeat(101)), "101 signature lines; at most 100"),
        (format!("{GO_TEXT}\n{ENOCH_LINE}"), "not signed by the trusted key PeterNeumann+c74f20a3"),
        // Same name, another key id: an unknown key, so not Peter's signature.
        (
            good.replacen("x08go", "AAAAo", 1),
            "not signed by the trusted key PeterNeumann+c74f20a3; it carries signatures by: PeterNeumann+",
        ),
    ];
    for (note, expected) in cases {
        let err = open_note(&note, &verifier).expect_err(&note);
        assert!(err.to_string().contains(expected), "note {note:?}\nerror: {err}\nexpected: {expected}");
    }
    // A failing signature by the trusted key refuses the note even if another one of it verifies.
    let twice = format!("{GO_TEXT}\n{PETER_LINE}{}", PETER_LINE.replacen("ZJkuBS9", "ZJkuBS8", 1));
    assert!(matches!(open_note(&twice, &verifier), Err(LogError::BadSignature { .. })));
    // Sixteen signatures from others (the minimum C2SP asks verifiers to accept) are fine.
    let many = format!("{GO_TEXT}\n{}{PETER_LINE}", ENOCH_LINE.repeat(16));
    open_note(&many, &verifier).expect("accepted");
}

#[test]
fn bad_verifier_keys_are_refused() {
    let cases = [
        ("PeterNeumann", "three parts"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not 8 hexadecimal digits"),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key id c74f20a4 is not the id of that name and key, which is c74f20a3",
        ),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "contains a space"),
        ("PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not base64"),
        (
            "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key type 0x02 is not Ed25519",
        ),
        ("PeterNeumann+c74f20a3+ARpc", "32 bytes after its type byte, this one is 2"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "it is empty"),
    ];
    for (vkey, expected) in cases {
        let err = NoteVerifier::parse(vkey).expect_err(vkey);
        assert!(err.to_string().contains(expected), "{vkey}: {err}");
    }
}

fn registry() -> (SigningIdentity, &'static str, String) {
    let key = SigningIdentity::from_seed(&[11; 32]);
    let origin = "registry.secondevie.example/log";
    let vkey = log::vkey(origin, &key).expect("valid name");
    (key, origin, vkey)
}

#[test]
fn checkpoints_round_trip_and_verify() {
    let (key, origin, vkey) = registry();
    let root = leaf_hash(b"x");
    let mut checkpoint = Checkpoint::new(origin, 1, root);
    assert_eq!(checkpoint.to_body(), format!("{origin}\n1\n{}\n", BASE64.encode(root)));
    let note = checkpoint.sign(&key).expect("signs");
    assert!(note.starts_with(&checkpoint.to_body()), "{note}");
    assert!(note.contains(&format!("\n\n— {origin} ")), "{note}");
    assert_eq!(verify_note(&note, &vkey).expect("verifies"), checkpoint);

    checkpoint.extensions = vec!["timestamp 1700000000".into()];
    let note = checkpoint.sign(&key).expect("signs");
    assert_eq!(verify_note(&note, &vkey).expect("verifies"), checkpoint);

    // The C2SP tlog-checkpoint example body parses.
    let example = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let parsed = Checkpoint::parse(example).expect("the spec's example parses");
    assert_eq!((parsed.origin.as_str(), parsed.size), ("example.com/behind-the-sofa", 20852163));
    assert_eq!(parsed.to_body(), example);

    // Signed by the right key, but for another log (origin): refused.
    let other =
        sign_note(&Checkpoint::new("other.example/log", 1, root).to_body(), origin, &key).expect("signs");
    let err = verify_note(&other, &vkey).expect_err("origin mismatch");
    assert!(matches!(err, LogError::OriginMismatch { .. }), "{err}");
    // A note that is not a checkpoint: refused.
    let err =
        verify_note(&sign_note(GO_TEXT, origin, &key).expect("signs"), &vkey).expect_err("not a checkpoint");
    assert!(err.to_string().starts_with("checkpoint line 3: missing"), "{err}");
    // A checkpoint by an unknown key: refused.
    let stranger = SigningIdentity::from_seed(&[12; 32]);
    let err = verify_note(&Checkpoint::new(origin, 1, root).sign(&stranger).expect("signs"), &vkey)
        .expect_err("key");
    assert!(matches!(err, LogError::UnknownKey { .. }), "{err}");
}

#[test]
fn malformed_checkpoints_are_refused() {
    let root = BASE64.encode([7u8; 32]);
    let cases = [
        (format!("o\n1\n{root}"), "the checkpoint does not end with a newline"),
        ("o\n1\n".to_string(), "checkpoint line 3: missing"),
        (format!("\n1\n{root}\n"), "checkpoint line 1: the origin is empty"),
        (format!("o\n01\n{root}\n"), "leading zeros"),
        (format!("o\n+1\n{root}\n"), "not a decimal number"),
        (format!("o\n-1\n{root}\n"), "not a decimal number"),
        (format!("o\n\n{root}\n"), "the tree size is empty"),
        (format!("o\n18446744073709551616\n{root}\n"), "beyond 2^64 - 1"),
        ("o\n1\nAAAA\n".to_string(), "the root hash is 3 bytes"),
        ("o\n1\nnot base64!\n".to_string(), "is not base64"),
        (format!("o\n1\n{root}\n\n"), "checkpoint line 4: an extension line is empty"),
        (format!("o\r\n1\n{root}\n"), "checkpoint line 1: it contains the control character"),
    ];
    for (body, expected) in cases {
        let err = Checkpoint::parse(&body).expect_err(&body);
        assert!(err.to_string().contains(expected), "{body:?}: {err}");
    }
    assert_eq!(Checkpoint::parse(&format!("o\n0\n{root}\n")).expect("size 0").size, 0);
    assert_eq!(Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n")).expect("max").size, u64::MAX);

    let (key, _, _) = registry();
    let err = Checkpoint::new("two\nlines", 1, [0; 32]).sign(&key).expect_err("newline in origin");
    assert_eq!(err.to_string(), "checkpoint line 1: the origin contains a control character or newline");
    let err = sign_note("no final newline", "o", &key).expect_err("unterminated");
    assert_eq!(err.to_string(), "the note text does not end with a newline");
}

/// The registry's side: append the canonical bytes of each certificate, sign the tree head, and
/// hand back a receipt per certificate.
fn log_of(certificates: &[Vec<u8>], key: &SigningIdentity, origin: &str) -> Vec<Receipt> {
    let leaves: Vec<Hash> = certificates.iter().map(|c| leaf_hash(c)).collect();
    let mut range = CompactRange::new();
    leaves.iter().for_each(|l| range.append(*l));
    let note = Checkpoint::new(origin, range.size(), range.root()).sign(key).expect("signs");
    (0..leaves.len() as u64)
        .map(|i| {
            let proof = inclusion_proof(&leaves, i, range.size()).expect("in range");
            Receipt::new(i, range.size(), &proof, note.clone())
        })
        .collect()
}

#[test]
fn receipts_prove_a_certificate_is_in_the_log() {
    let (registry_key, origin, vkey) = registry();
    let canonical: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            let station = SigningIdentity::from_seed(&[i; 32]);
            let cert = example::with_station_key(example::certificate(&format!("DISK-{i}")), &station);
            let file = station.sign(&cert).expect("signs").to_json_pretty();
            SignedDocument::from_json(&file).expect("parses").verify().expect("verifies").canonical
        })
        .collect();
    let receipts = log_of(&canonical, &registry_key, origin);

    for (i, receipt) in receipts.iter().enumerate() {
        // Through JSON, as the station receives it.
        let json = serde_json::to_string(receipt).expect("serializes");
        let back: Receipt = serde_json::from_str(&json).expect("parses");
        assert_eq!(&back, receipt);
        let checkpoint = back.verify(&canonical[i], &vkey).expect("the receipt verifies");
        assert_eq!((checkpoint.origin.as_str(), checkpoint.size), (origin, 5));
        // Another certificate does not verify with this receipt.
        let other = &canonical[(i + 1) % canonical.len()];
        let err = back.verify(other, &vkey).expect_err("another certificate");
        assert!(err.to_string().starts_with(&format!("leaf {i} is not in the tree of 5 leaves")), "{err}");
    }

    let receipt = &receipts[2];
    let json = serde_json::to_value(receipt).expect("serializes");
    assert_eq!(json["leaf_index"], 2);
    assert_eq!(json["tree_size"], 5);
    assert_eq!(json["inclusion_proof"].as_array().map(Vec::len), Some(3));

    let mut wrong_index = receipt.clone();
    wrong_index.leaf_index = 3;
    assert!(wrong_index.verify(&canonical[2], &vkey).is_err());
    let mut wrong_size = receipt.clone();
    wrong_size.tree_size = 6;
    let err = wrong_size.verify(&canonical[2], &vkey).expect_err("size");
    assert_eq!(err.to_string(), "the receipt claims a tree of 6 leaves but its checkpoint is of 5");
    let mut bad_hash = receipt.clone();
    bad_hash.inclusion_proof[1] = "AAAA".into();
    let err = bad_hash.verify(&canonical[2], &vkey).expect_err("encoding");
    assert!(err.to_string().contains("inclusion proof hash 1 of the receipt: it is 3 bytes"), "{err}");
    let mut forged = receipt.clone();
    forged.checkpoint = forged.checkpoint.replacen("\n5\n", "\n6\n", 1);
    forged.tree_size = 6;
    assert!(matches!(forged.verify(&canonical[2], &vkey), Err(LogError::BadSignature { .. })));
    let stranger = SigningIdentity::from_seed(&[99; 32]);
    let err = receipt.verify(&canonical[2], &log::vkey(origin, &stranger).expect("vkey")).expect_err("key");
    assert!(matches!(err, LogError::UnknownKey { .. }), "{err}");

    // The JSON form the registry sends and stations keep.
    let text = r#"{"leaf_index":0,"tree_size":1,"inclusion_proof":[],"checkpoint":"o\n1\nAA==\n\n"}"#;
    let parsed: Receipt = serde_json::from_str(text).expect("parses");
    assert!(parsed.verify(b"", &vkey).is_err());
}
