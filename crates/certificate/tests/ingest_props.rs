//! The parser the registry runs on every request body, under arbitrary input: it never panics,
//! and no change to a signed certificate's bytes verifies unless it leaves the JSON value intact.

use certificate::{example, SignedDocument, SigningIdentity};
use proptest::prelude::*;

fn signed_bytes() -> Vec<u8> {
    let key = SigningIdentity::from_seed(&[21; 32]);
    let cert = example::with_station_key(example::certificate("PROP-1"), &key);
    key.sign(&cert).expect("signs").to_json_pretty()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(doc) = SignedDocument::from_json(&bytes) {
            let _ = doc.verify();
        }
    }

    #[test]
    fn a_changed_byte_is_refused_or_harmless(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let original = signed_bytes();
        let mut bytes = original.clone();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(verified) = SignedDocument::from_json(&bytes).and_then(|d| d.verify()) {
            // Only a change outside the signed content's meaning may pass (whitespace, or a
            // signature encoding that decodes to the same bytes): the certificate is the same.
            let reference = SignedDocument::from_json(&original).and_then(|d| d.verify()).expect("valid");
            prop_assert_eq!(verified.canonical, reference.canonical);
        }
    }
}
