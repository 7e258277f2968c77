//! Many requests at once: group commit keeps every answer right — distinct leaf indexes with no
//! gap, each inclusion proof valid for the tree it ends, duplicates and conflicts recognised,
//! also when copies of one certificate land in the same batch, and a revoked station's refused
//! — on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;

use registry::store::{Inserted, NewCertificate, Store, StoreError};

fn new_certificate(id: &str, canonical: &[u8], sha: &str) -> NewCertificate {
    NewCertificate {
        id: id.into(),
        station_key_id: "k".into(),
        document: "{}".into(),
        content_sha256: sha.into(),
        leaf_hash: certificate::log::leaf_hash(canonical),
        unit_serial: None,
        lot: None,
        result: "sanitized".into(),
        finished_at: "2026-11-23T10:00:00.000Z".into(),
        disks: vec![(id.into(), "verified".into())],
        parsed: None,
    }
}

/// Runs `test` on a fresh store with station `k` (and its `--db` value), on each backend, and
/// removes the store after.
fn on_each_backend(name: &str, test: fn(&str, &Arc<dyn Store>, &str)) {
    for backend in common::backends() {
        let dir = std::env::temp_dir().join(format!("sv-{name}-{backend}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let (db, pg_database) = common::fresh_database(name, backend, &dir);
        let store = registry::store::open(&db).expect("db");
        store.add_station("k", "AAAA", None).expect("station");
        test(backend, &store, &db);
        drop(store);
        if let Some(database) = pg_database {
            let _ = common::pg_admin().batch_execute(&format!("DROP DATABASE IF EXISTS {database}"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn concurrent_inserts_get_consistent_receipts() {
    on_each_backend("group_commit", concurrent_inserts_on);
}

fn concurrent_inserts_on(backend: &str, store: &Arc<dyn Store>, _: &str) {
    let threads = 8;
    let per_thread = 40;
    let shared = b"{\"id\":\"shared\"}".to_vec();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                // Every thread posts the same certificate first, so copies meet in one batch.
                let first = store
                    .insert_certificate(&new_certificate("shared", &shared, "sha-shared"))
                    .expect("shared");
                let own = (0..per_thread)
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
                    .collect::<Vec<_>>();
                (first, own)
            })
        })
        .collect();
    let mut indexes = Vec::new();
    let mut shared_answers = Vec::new();
    for h in handles {
        let (first, own) = h.join().expect("thread");
        shared_answers.push(first);
        for (canonical, got, again, other) in own {
            let Inserted::New { leaf_index, root, proof, .. } = got else {
                panic!("{backend}: expected new, got {got:?}")
            };
            let leaf = certificate::log::leaf_hash(&canonical);
            certificate::log::verify_inclusion(&leaf, leaf_index, leaf_index + 1, &proof, &root)
                .expect("the receipt's proof holds for the tree it ends");
            assert!(matches!(again, Inserted::Duplicate { leaf_index: l, .. } if l == leaf_index));
            assert_eq!(other, Inserted::Conflict);
            indexes.push(leaf_index);
        }
    }
    let shared_index = shared_answers
        .iter()
        .find_map(|a| if let Inserted::New { leaf_index, .. } = a { Some(*leaf_index) } else { None })
        .expect("one copy of the shared certificate is recorded");
    assert_eq!(shared_answers.iter().filter(|a| matches!(a, Inserted::New { .. })).count(), 1, "{backend}");
    for a in &shared_answers {
        assert!(
            matches!(a, Inserted::New { .. })
                || matches!(a, Inserted::Duplicate { leaf_index, .. } if *leaf_index == shared_index),
            "{backend}: every other copy is a duplicate of the same leaf, got {a:?}"
        );
    }
    indexes.push(shared_index);
    let (size, root) = assert_log_is(backend, store, indexes);

    // Once its station is revoked, a certificate is refused in the append's own transaction,
    // new or already recorded, and the log does not move.
    let revoked = store.revoke("k").expect("revoke").revoked_at.expect("revoked");
    let late =
        store.insert_certificate(&new_certificate("late", b"{\"id\":\"late\"}", "sha-late")).expect("late");
    assert_eq!(late, Inserted::StationRevoked { revoked_at: revoked.clone() }, "{backend}");
    let again = store.insert_certificate(&new_certificate("shared", &shared, "sha-shared")).expect("again");
    assert_eq!(again, Inserted::StationRevoked { revoked_at: revoked }, "{backend}");
    assert_eq!(store.log_head().expect("head"), (size, root), "{backend}");
}

#[test]
fn a_certificate_the_database_refuses_fails_alone() {
    on_each_backend("refused_alone", refused_alone_on);
}

/// A certificate whose station is not in the database breaks a foreign key when its batch is
/// written (on PostgreSQL, in the round trip that commits): its own request gets the error, the
/// others queued with it are recorded, and the connection goes on.
fn refused_alone_on(backend: &str, store: &Arc<dyn Store>, _: &str) {
    let answers = post_from_threads(std::slice::from_ref(store), 10, |t, i| {
        let c = numbered(t, i);
        if i % 5 == 4 {
            NewCertificate { station_key_id: "ghost".into(), ..c }
        } else {
            c
        }
    });
    let mut indexes = Vec::new();
    for (c, answer) in answers {
        match (c.station_key_id.as_str(), answer) {
            ("ghost", Err(e)) => {
                let message = e.to_string().to_lowercase();
                assert!(message.contains("foreign key"), "{backend}: {message}");
            }
            ("k", Ok(Inserted::New { leaf_index, .. })) => indexes.push(leaf_index),
            (station, answer) => panic!("{backend}: station {station}: {answer:?}"),
        }
    }
    assert_eq!(assert_log_is(backend, store, indexes).0, 64, "{backend}: the good ones");
    let next = store.insert_certificate(&new_certificate("next", b"next", "sha-next")).expect("next");
    assert!(matches!(next, Inserted::New { leaf_index: 64, .. }), "{backend}: {next:?}");
}

#[test]
fn two_registry_processes_append_to_one_log() {
    on_each_backend("two_processes", two_processes_on);
}

/// Two stores on one database, as two registry processes sharing it: each has its own writer
/// and connections, and only the database's lock keeps their appends apart.
fn two_processes_on(backend: &str, first: &Arc<dyn Store>, db: &str) {
    let second = registry::store::open(db).expect("a second store on the same database");
    let indexes = post_from_threads(&[first.clone(), second.clone()], 30, numbered)
        .into_iter()
        .map(|(c, answer)| match answer {
            Ok(Inserted::New { leaf_index, .. }) => leaf_index,
            other => panic!("{backend}: {}: {other:?}", c.id),
        })
        .collect();
    let head = assert_log_is(backend, first, indexes);
    assert_eq!(head.0, 240, "{backend}");
    assert_eq!(second.log_head().expect("head"), head, "{backend}");
}

/// Certificate `i` of thread `t`, of station `k`.
fn numbered(t: usize, i: usize) -> NewCertificate {
    let id = format!("cert-{t}-{i}");
    new_certificate(&id, id.as_bytes(), &format!("sha-{id}"))
}

/// 8 threads each post `per_thread` certificates, `certificate(thread, i)`, thread `t` to
/// `stores[t % stores.len()]`: each certificate with its answer.
fn post_from_threads(
    stores: &[Arc<dyn Store>],
    per_thread: usize,
    certificate: fn(usize, usize) -> NewCertificate,
) -> Vec<(NewCertificate, Result<Inserted, StoreError>)> {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let store = stores[t % stores.len()].clone();
            std::thread::spawn(move || {
                (0..per_thread)
                    .map(|i| {
                        let c = certificate(t, i);
                        let answer = store.insert_certificate(&c);
                        (c, answer)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
}

/// The leaf indexes given out are 0, 1, … with no gap and no duplicate, the log's head is as
/// large, and its root is that of the stored leaves: the head, returned.
fn assert_log_is(backend: &str, store: &Arc<dyn Store>, mut indexes: Vec<u64>) -> (u64, [u8; 32]) {
    indexes.sort();
    let total = indexes.len() as u64;
    assert_eq!(indexes, (0..total).collect::<Vec<_>>(), "{backend}: no gap, no duplicate");
    let (size, root) = store.log_head().expect("head");
    assert_eq!(size, total, "{backend}");
    assert_eq!(certificate::log::root(&store.leaf_hashes(0, size).expect("leaves")), root, "{backend}");
    (size, root)
}
