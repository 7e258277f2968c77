//! Many requests at once: group commit keeps every answer right — distinct leaf indexes with no
//! gap, each inclusion proof valid for the tree it ends, duplicates and conflicts recognised.

use std::sync::Arc;

use registry::store::{Inserted, NewCertificate, SqliteStore, Store};

fn new_certificate(id: &str, canonical: &[u8], sha: &str) -> NewCertificate {
    NewCertificate {
        id: id.into(),
        station_key_id: "k".into(),
        document: "{}".into(),
        canonical: canonical.to_vec(),
        content_sha256: sha.into(),
        leaf_hash: certificate::log::leaf_hash(canonical),
        unit_serial: None,
        lot: None,
        result: "sanitized".into(),
        finished_at: "2026-11-23T10:00:00.000Z".into(),
        disks: vec![(id.into(), "verified".into())],
    }
}

#[test]
fn concurrent_inserts_get_consistent_receipts() {
    let dir = std::env::temp_dir().join(format!("sv-group-commit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let store = Arc::new(SqliteStore::open(&dir.join("r.sqlite")).expect("db"));
    store.add_station("k", "AAAA", None).expect("station");
    let threads = 8;
    let per_thread = 40;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..per_thread)
                    .map(|i| {
                        let id = format!("cert-{t}-{i}");
                        let canonical = format!("{{\"id\":\"{id}\"}}").into_bytes();
                        let sha = format!("sha-{id}");
                        let got = store
                            .insert_certificate(&new_certificate(&id, &canonical, &sha))
                            .expect("insert");
                        // The same certificate again: a duplicate with the same leaf.
                        let again =
                            store.insert_certificate(&new_certificate(&id, &canonical, &sha)).expect("again");
                        let other = store
                            .insert_certificate(&new_certificate(&id, &canonical, "different"))
                            .expect("other");
                        (canonical, got, again, other)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut indexes = Vec::new();
    for h in handles {
        for (canonical, got, again, other) in h.join().expect("thread") {
            let Inserted::New { leaf_index, root, proof, .. } = got else {
                panic!("expected new, got {got:?}")
            };
            let leaf = certificate::log::leaf_hash(&canonical);
            certificate::log::verify_inclusion(&leaf, leaf_index, leaf_index + 1, &proof, &root)
                .expect("the receipt's proof holds for the tree it ends");
            assert!(matches!(again, Inserted::Duplicate { leaf_index: l, .. } if l == leaf_index));
            assert_eq!(other, Inserted::Conflict);
            indexes.push(leaf_index);
        }
    }
    indexes.sort();
    assert_eq!(indexes, (0..(threads * per_thread) as u64).collect::<Vec<_>>(), "no gap, no duplicate");
    let (size, root) = store.log_head().expect("head");
    assert_eq!(size, (threads * per_thread) as u64);
    let leaves = store.leaf_hashes(0, size).expect("leaves");
    assert_eq!(certificate::log::root(&leaves), root);
    let _ = std::fs::remove_dir_all(&dir);
}
