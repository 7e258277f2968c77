//! `station demo`: the whole chain on a developer's machine, without root and without a real
//! disk. A registry runs in this process on 127.0.0.1 with a SQLite file in a fresh temporary
//! directory; two files full of fake personal documents stand for the donated disks.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use certificate::{Outcome, VerificationMode};
use registry::{SqliteStore, Store};
use sanitize::{Method, WipeOptions};
use station::push::RegistryClient;
use station::run::RunConfig;
use station::spool::Spool;

/// Size of each fake disk: big enough to see the progress, small enough to finish in seconds.
const DISK_BYTES: usize = 64 << 20;

pub fn run() -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("seconde-vie-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    println!("Seconde Vie demo — everything lives in {}", dir.display());

    // 1. A registry on 127.0.0.1, in this process.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("registry.sqlite"))?);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server_store = store.clone();
    let log =
        Arc::new(registry::load_or_create_log_key(&dir.join("registry.key"), registry::DEFAULT_ORIGIN)?);
    let vkey = log.vkey();
    let server = std::thread::spawn(move || -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            addr_tx.send(listener.local_addr()?)?;
            registry::serve(listener, server_store, log, async {
                let _ = stop_rx.await;
            })
            .await?;
            Ok(())
        })
    });
    let addr = addr_rx.recv().context("the demo registry did not start")?;
    let base = format!("http://{addr}");
    println!("1. registry listening on {base} (database {})", dir.join("registry.sqlite").display());
    println!("   its transparency log key: {vkey}");

    // 2. The station's key, enrolled in the registry.
    let data = dir.join("station");
    let key = station::key::load_or_create(&data)?;
    registry::enrol_station(store.as_ref(), &key.public_key_base64(), Some("demo-station"))?;
    println!("2. station key {} created in {} and enrolled", &key.key_id()[..16], data.display());

    // 3. Two donated disks full of someone's documents.
    let disks = vec![fake_disk(&dir, "disk-a.img", 0)?, fake_disk(&dir, "disk-b.img", 1)?];
    for d in &disks {
        println!("3. donated disk {} ({} MiB of personal documents)", d.display(), DISK_BYTES >> 20);
    }

    // 4. The station pipeline, exactly as `station run` does it.
    println!("4. wiping, verifying, signing, sending:");
    let config = RunConfig {
        disks: disks.clone(),
        operator: "demo operator".into(),
        lot: Some("DEMO-LOT-1".into()),
        station_name: Some("demo-station".into()),
        options: WipeOptions {
            method: Method::Zero,
            verification: VerificationMode::LastPass,
            ..WipeOptions::default()
        },
        journal_dir: Some(data.join("journal")),
        auto_purge: false,
        root: PathBuf::from("/"),
        performed_by: Some(certificate::Performer {
            role: Some("demo role".into()),
            organisation: Some("demo workshop".into()),
            location: None,
            contact: None,
        }),
        post_sanitization: None,
    };
    let spool = Spool::open(&data.join("spool"))?;
    let client = RegistryClient::new(&base);
    let outcome = crate::run_with_progress(&config, &key, &spool, Some(&client))?;

    // 5. What a supervisor or donor can now look up.
    let sent = std::fs::read_dir(spool.dir().join("sent"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.to_string_lossy().ends_with(".receipt.json"))
        .collect::<Vec<_>>();
    println!("5. look it up:");
    for p in &sent {
        let id = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        println!("   certificate file  {}", p.display());
        println!("   check it publicly {base}/check?id={id}");
    }
    println!(
        "   verify it yourself: scripts/verify-certificate {}",
        sent.first().map(|p| p.display().to_string()).unwrap_or_default()
    );
    for p in &sent {
        println!(
            "   and its place in the log: registry verify {} --receipt {} --vkey '{vkey}'",
            p.display(),
            p.with_extension("receipt.json").display()
        );
    }
    for d in &disks {
        let zeros = std::fs::read(d)?.iter().all(|&b| b == 0);
        println!("   {}: {}", d.display(), if zeros { "only zeros left" } else { "STILL HOLDS DATA" });
    }

    println!(
        "   (this registry stops with the demo; to browse it again: registry serve --db {} --listen {addr})",
        dir.join("registry.sqlite").display()
    );
    let _ = stop_tx.send(());
    server.join().map_err(|_| anyhow::anyhow!("the demo registry crashed"))??;
    if outcome == Outcome::Sanitized && sent.len() == 1 {
        println!("done: both disks sanitized and verified, certificate signed and recorded.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("the demo did not complete: outcome {outcome}");
        Ok(ExitCode::from(1))
    }
}

/// A file of `DISK_BYTES` filled with fake documents a donor would not want to leak.
fn fake_disk(dir: &Path, name: &str, seed: usize) -> anyhow::Result<PathBuf> {
    let people = ["Martine Durand", "Karim Benali", "Sophie Lefèvre", "Jean-Paul Moreau"];
    let mut text = String::new();
    let mut n = seed;
    while text.len() < 1 << 16 {
        let who = people[n % people.len()];
        let _ = write!(
            text,
            "Relevé de compte — {who} — IBAN FR76 3000 {n:04} 0000 1234 5678 {:03}\n\
             Avis d'imposition {} — revenu fiscal de référence {} €\n\
             Dossier RSA n° 34-{n:06} — pièce jointe : carte d'identité\n",
            n % 1000,
            2015 + n % 10,
            12_000 + n * 37 % 20_000
        );
        n += 1;
    }
    let path = dir.join(name);
    let bytes = text.as_bytes();
    let mut content = Vec::with_capacity(DISK_BYTES);
    while content.len() < DISK_BYTES {
        let take = bytes.len().min(DISK_BYTES - content.len());
        content.extend_from_slice(&bytes[..take]);
    }
    std::fs::write(&path, content).with_context(|| format!("creating {}", path.display()))?;
    Ok(path)
}
