//! Benchmark of the registry (not a test): ingest throughput and latency over HTTP, the bare
//! storage rate of the same rows, and lookup latency, on SQLite and PostgreSQL.
//!
//! `scripts/bench-registry` builds and runs it; see `scripts/bench-registry.md`. Directly:
//!
//! ```sh
//! cargo build --release -p registry --example bench_registry
//! target/release/examples/bench_registry --registry target/release/registry --n 20000 \
//!     --work-dir /tmp/bench --postgres postgres://sv_test:sv_test@127.0.0.1:5432/postgres
//! ```
//!
//! Every loop is bounded: N certificates posted once each, `--lookups` lookups, N bare inserts.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use certificate::{example, SignedDocument, SigningIdentity};
use clap::Parser;
use registry::store::{Inserted, NewCertificate, Postgres, SqlStore, SqliteStore, Store};
use serde_json::json;

#[derive(Parser, Debug)]
#[command(name = "bench_registry", about = "Benchmark of the registry's ingest and lookups")]
struct Args {
    /// The registry binary (target/release/registry).
    #[arg(long)]
    registry: PathBuf,
    /// Certificates to generate, ingest and insert.
    #[arg(long, default_value_t = 20_000)]
    n: usize,
    /// Concurrent HTTP clients posting certificates (one thread and one keep-alive agent each).
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Stations the certificates are spread over, round robin (each one enrolled with
    /// `registry station add`).
    #[arg(long, default_value_t = 200)]
    stations: usize,
    /// Lookups by disk serial after loading, one at a time.
    #[arg(long, default_value_t = 2_000)]
    lookups: usize,
    /// Backends to measure, comma-separated: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres")]
    backends: String,
    /// A PostgreSQL URL for a role that may CREATE DATABASE (scripts/postgres-for-tests).
    #[arg(long, env = "SV_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Scratch directory (SQLite files, registry key, server logs); created, left in place.
    #[arg(long)]
    work_dir: PathBuf,
    /// Write the raw numbers as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Requests of each page (/flags, searches, a lot report) after loading, one at a time.
    #[arg(long, default_value_t = 100)]
    pages: usize,
    /// Skip the bare insert loop (the page-scale runs need only the HTTP load).
    #[arg(long)]
    no_bare: bool,
}

/// Certificates per lot in the generated load.
const LOT_SIZE: usize = 1000;
/// One certificate in this many has a unit without a readable serial: a flag each.
const FLAG_EVERY: usize = 10;

fn lot_name(i: usize) -> String {
    format!("BENCH-LOT-{:05}", i / LOT_SIZE)
}

fn unit_serial(i: usize) -> String {
    format!("SVUNIT-{i:09}")
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.n > 0 && args.clients > 0 && args.stations > 0, "n, clients, stations must be > 0");
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("creating {}", args.work_dir.display()))?;
    let backends: Vec<String> = args.backends.split(',').map(|s| s.trim().to_owned()).collect();
    for b in &backends {
        anyhow::ensure!(b == "sqlite" || b == "postgres", "unknown backend {b:?} (sqlite, postgres)");
    }
    if backends.iter().any(|b| b == "postgres") && args.postgres.is_none() {
        bail!("--postgres URL (or SV_BENCH_POSTGRES) is needed for the postgres backend");
    }

    let keys: Vec<SigningIdentity> = (0..args.stations).map(station_key).collect();
    let generated = generate(args.n, &keys)?;
    eprintln!(
        "generated {} signed certificates in {:.2} s ({:.1} µs each on {} threads, {:.0} bytes each)",
        args.n,
        generated.seconds,
        generated.seconds * 1e6 / args.n as f64 * generated.threads as f64,
        generated.threads,
        generated.bytes as f64 / args.n as f64
    );

    let fsync = fsync_probe(&args.work_dir)?;
    eprintln!(
        "fdatasync of 4 KiB in {}: p50 {} µs, p99 {} µs",
        args.work_dir.display(),
        fsync.p50,
        fsync.p99
    );

    let mut results = Vec::new();
    for backend in &backends {
        results.push(run_backend(&args, backend, &keys, &generated)?);
    }

    print_report(&args, &generated, &fsync, &results);
    if let Some(path) = &args.json {
        let raw = json!({
            "n": args.n,
            "clients": args.clients,
            "stations": args.stations,
            "lookups": args.lookups,
            "generation": {
                "seconds": generated.seconds,
                "threads": generated.threads,
                "mean_body_bytes": generated.bytes as f64 / args.n as f64,
            },
            "fsync_4k_us": {"p50": fsync.p50, "p99": fsync.p99, "max": fsync.max},
            "backends": results.iter().map(BackendResult::to_json).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_vec_pretty(&raw)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

// ------------------------------------------------------------------ generation

/// A deterministic station key per index, so runs are reproducible.
fn station_key(k: usize) -> SigningIdentity {
    let mut seed = [0x5b_u8; 32];
    seed[..8].copy_from_slice(&(k as u64).to_le_bytes());
    SigningIdentity::from_seed(&seed)
}

fn disk_serial(i: usize) -> String {
    format!("SVBENCH-{i:09}")
}

struct Generated {
    bodies: Vec<Vec<u8>>,
    seconds: f64,
    threads: usize,
    bytes: usize,
}

/// N signed certificate files as a station writes them, certificate i naming disk
/// `SVBENCH-<i>` and signed by station i mod S.
fn generate(n: usize, keys: &[SigningIdentity]) -> anyhow::Result<Generated> {
    let threads = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1).min(n);
    let start = Instant::now();
    let chunk = n.div_ceil(threads);
    let parts: Vec<anyhow::Result<Vec<Vec<u8>>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> anyhow::Result<Vec<Vec<u8>>> {
                    let range = (t * chunk)..((t + 1) * chunk).min(n);
                    let mut out = Vec::with_capacity(range.len());
                    for i in range {
                        let key = &keys[i % keys.len()];
                        let mut cert = example::with_station_key(example::certificate(&disk_serial(i)), key);
                        // Each unit its own serial, lots of LOT_SIZE, and one flag in FLAG_EVERY.
                        cert.lot = Some(lot_name(i));
                        cert.unit.serial = if i % FLAG_EVERY == 0 {
                            certificate::Probed::unavailable("the DMI table is empty")
                        } else {
                            certificate::Probed::Value(unit_serial(i))
                        };
                        out.push(key.sign(&cert).context("signing")?.to_json_pretty());
                    }
                    Ok(out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("panicked")))).collect()
    });
    let mut bodies = Vec::with_capacity(n);
    for part in parts {
        bodies.extend(part?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let bytes = bodies.iter().map(Vec::len).sum();
    Ok(Generated { bodies, seconds, threads, bytes })
}

// ------------------------------------------------------------------ one backend

#[derive(Debug, Default)]
struct Latency {
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
    mean: f64,
}

impl Latency {
    /// Percentiles of microsecond samples.
    fn of(mut us: Vec<u64>) -> Latency {
        if us.is_empty() {
            return Latency::default();
        }
        us.sort_unstable();
        let at = |p: f64| us[((p / 100.0) * (us.len() - 1) as f64).round() as usize];
        Latency {
            p50: at(50.0),
            p99: at(99.0),
            p999: at(99.9),
            max: us[us.len() - 1],
            mean: us.iter().sum::<u64>() as f64 / us.len() as f64,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        json!({"p50": self.p50, "p99": self.p99, "p99.9": self.p999, "max": self.max, "mean": self.mean})
    }
}

/// CPU seconds over an interval: the whole machine (all cores, anyone's), the registry process,
/// this benchmark process, PostgreSQL's processes.
#[derive(Debug, Default, Clone, Copy)]
struct Cpu {
    machine_busy: f64,
    machine_total: f64,
    registry: f64,
    bench: f64,
    postgres: f64,
}

impl Cpu {
    fn now(registry_pid: Option<u32>) -> Cpu {
        let (busy, total) = machine_ticks();
        Cpu {
            machine_busy: busy,
            machine_total: total,
            registry: registry_pid.map(|p| process_seconds(&format!("/proc/{p}/stat"))).unwrap_or(0.0),
            bench: process_seconds("/proc/self/stat"),
            postgres: postgres_seconds(),
        }
    }

    fn since(self, before: Cpu) -> Cpu {
        Cpu {
            machine_busy: self.machine_busy - before.machine_busy,
            machine_total: self.machine_total - before.machine_total,
            registry: self.registry - before.registry,
            bench: self.bench - before.bench,
            postgres: self.postgres - before.postgres,
        }
    }

    fn to_json(self) -> serde_json::Value {
        json!({
            "machine_busy_s": self.machine_busy,
            "machine_total_s": self.machine_total,
            "registry_s": self.registry,
            "bench_client_s": self.bench,
            "postgres_s": self.postgres,
        })
    }
}

/// Linux reports process times in USER_HZ, which is 100 on every architecture it exports to.
const USER_HZ: f64 = 100.0;

fn machine_ticks() -> (f64, f64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().next() else { return (0.0, 0.0) };
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    if v.len() < 5 {
        return (0.0, 0.0);
    }
    // user nice system idle iowait irq softirq steal …
    let total: f64 = v.iter().take(8).sum();
    let idle = v[3] + v[4];
    ((total - idle) / USER_HZ, total / USER_HZ)
}

fn process_seconds(stat_path: &str) -> f64 {
    let text = std::fs::read_to_string(stat_path).unwrap_or_default();
    let Some((_, rest)) = text.rsplit_once(')') else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state(3) … utime(14) stime(15).
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / USER_HZ
}

fn postgres_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).map(|c| c.trim() == "postgres").unwrap_or(false)
        })
        .map(|e| process_seconds(&e.path().join("stat").to_string_lossy()))
        .sum()
}

#[derive(Debug)]
struct BackendResult {
    backend: String,
    enrol_seconds: f64,
    ingest_seconds: f64,
    ingest_ok: usize,
    ingest_failures: BTreeMap<String, usize>,
    first_failure: Option<String>,
    ingest_latency: Latency,
    ingest_cpu: Cpu,
    lookup_latency: Latency,
    lookup_failures: usize,
    /// (page kind, latency, answers other than 200)
    pages: Vec<(String, Latency, usize)>,
    db_bytes: u64,
    verify_seconds: f64,
    bare_seconds: f64,
    bare_latency: Latency,
    bare_cpu: Cpu,
}

impl BackendResult {
    fn ingest_rate(&self) -> f64 {
        self.ingest_ok as f64 / self.ingest_seconds
    }

    fn bare_rate(&self, n: usize) -> f64 {
        n as f64 / self.bare_seconds
    }

    fn to_json(&self) -> serde_json::Value {
        let n = self.ingest_ok + self.ingest_failures.values().sum::<usize>();
        json!({
            "backend": self.backend,
            "enrol_stations_s": self.enrol_seconds,
            "ingest": {
                "seconds": self.ingest_seconds,
                "recorded": self.ingest_ok,
                "failures": self.ingest_failures,
                "first_failure": self.first_failure,
                "per_second": self.ingest_rate(),
                "latency_us": self.ingest_latency.to_json(),
                "cpu": self.ingest_cpu.to_json(),
            },
            "lookup": {"latency_us": self.lookup_latency.to_json(), "failures": self.lookup_failures},
            "pages": self.pages.iter().map(|(k, l, f)| json!({"page": k, "latency_us": l.to_json(), "failures": f})).collect::<Vec<_>>(),
            "db_bytes_after_ingest": self.db_bytes,
            "parse_verify_hash_1_thread_s": self.verify_seconds,
            "bare_insert": {
                "seconds": self.bare_seconds,
                "per_second": self.bare_rate(n),
                "latency_us": self.bare_latency.to_json(),
                "cpu": self.bare_cpu.to_json(),
            },
        })
    }
}

/// A fresh database for one phase, dropped afterwards.
struct Db {
    /// What `--db` takes.
    url: String,
    pg: Option<(String, String)>,
}

impl Db {
    fn fresh(args: &Args, backend: &str, phase: &str) -> anyhow::Result<Db> {
        if backend == "sqlite" {
            let path = args.work_dir.join(format!("{phase}.sqlite"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            return Ok(Db { url: path.display().to_string(), pg: None });
        }
        let admin_url = args.postgres.clone().context("--postgres")?;
        let database = format!("sv_bench_{phase}_{}", std::process::id());
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .context("connecting to PostgreSQL with --postgres")?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {database}"))?;
        let base = admin_url.rsplit_once('/').context("--postgres URL must end with /DATABASE")?.0;
        Ok(Db { url: format!("{base}/{database}"), pg: Some((admin_url, database)) })
    }

    fn size(&self) -> u64 {
        match &self.pg {
            None => ["", "-wal"]
                .iter()
                .filter_map(|s| std::fs::metadata(format!("{}{s}", self.url)).ok())
                .map(|m| m.len())
                .sum(),
            Some(_) => postgres::Client::connect(&self.url, postgres::NoTls)
                .ok()
                .and_then(|mut c| c.query_one("SELECT pg_database_size(current_database())", &[]).ok())
                .map(|row| row.get::<_, i64>(0) as u64)
                .unwrap_or(0),
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((admin_url, database)) = &self.pg {
            if let Ok(mut admin) = postgres::Client::connect(admin_url, postgres::NoTls) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
            }
        }
    }
}

/// `registry serve`, stopped with SIGINT (then SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(args: &Args, db: &Db, name: &str) -> anyhow::Result<Server> {
        let log = std::fs::File::create(args.work_dir.join(format!("{name}.server.log")))?;
        let mut child = Command::new(&args.registry)
            .args(["serve", "--listen", "127.0.0.1:0", "--db", &db.url, "--key"])
            .arg(args.work_dir.join("registry.key"))
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", args.registry.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let base = line.trim().rsplit(' ').next().unwrap_or_default().to_owned();
        if !base.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            let _ = child.wait();
            bail!("registry serve did not print its address (got {line:?}); see {name}.server.log");
        }
        Ok(Server { child, base })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a supervisor account and returns an API token for it, with the registry's CLI.
fn lookup_token(args: &Args, db: &str) -> anyhow::Result<String> {
    use std::io::Write as _;
    let mut child = Command::new(&args.registry)
        .args(["user", "add", "--db", db, "--name", "bench", "--role", "supervisor"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(b"bench lookup password\n")?;
    }
    if !child.wait()?.success() {
        bail!("registry user add failed");
    }
    let out = Command::new(&args.registry).args(["token", "add", "--db", db, "--user", "bench"]).output()?;
    if !out.status.success() {
        bail!("registry token add failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn run_backend(
    args: &Args,
    backend: &str,
    keys: &[SigningIdentity],
    generated: &Generated,
) -> anyhow::Result<BackendResult> {
    let n = args.n;
    eprintln!("\n== {backend}: HTTP ingest of {n} certificates, {} clients", args.clients);
    let db = Db::fresh(args, backend, &format!("{backend}_http"))?;

    let start = Instant::now();
    for (k, key) in keys.iter().enumerate() {
        let out = Command::new(&args.registry)
            .args(["station", "add", "--db", &db.url, "--public-key", &key.public_key_base64(), "--name"])
            .arg(format!("bench-station-{k}"))
            .output()?;
        if !out.status.success() {
            bail!("registry station add failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let enrol_seconds = start.elapsed().as_secs_f64();
    eprintln!("enrolled {} stations with `registry station add` in {enrol_seconds:.1} s", keys.len());
    // Lookups need an account's API token (docs/web.md).
    let token = lookup_token(args, &db.url)?;

    let server = Server::start(args, &db, &format!("{backend}_http"))?;
    let pid = server.child.id();
    let url = format!("{}/api/v1/certificates", server.base);

    // ---- ingest
    let next = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let cpu0 = Cpu::now(Some(pid));
    let start = Instant::now();
    let per_client: Vec<ClientOutcome> = std::thread::scope(|s| {
        s.spawn(|| progress(&next, &done, n, start));
        let handles: Vec<_> =
            (0..args.clients).map(|_| s.spawn(|| post_all(&url, &generated.bodies, &next))).collect();
        let outcomes =
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| ClientOutcome::panicked())).collect();
        done.store(true, Ordering::Relaxed);
        outcomes
    });
    let ingest_seconds = start.elapsed().as_secs_f64();
    let ingest_cpu = Cpu::now(Some(pid)).since(cpu0);
    let mut latencies = Vec::with_capacity(n);
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_failure = None;
    let mut ingest_ok = 0;
    for c in per_client {
        latencies.extend(c.latencies_us);
        ingest_ok += c.ok;
        for (k, v) in c.failures {
            *failures.entry(k).or_default() += v;
        }
        first_failure = first_failure.or(c.first_failure);
    }
    let ingest_latency = Latency::of(latencies);
    eprintln!(
        "ingest: {ingest_ok} recorded in {ingest_seconds:.2} s = {:.0}/s, p50 {} µs, p99 {} µs; failures {failures:?}",
        ingest_ok as f64 / ingest_seconds,
        ingest_latency.p50,
        ingest_latency.p99
    );
    if let Some(f) = &first_failure {
        eprintln!("first failure: {f}");
    }

    // ---- lookups
    let agent = agent();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut lookup_us = Vec::with_capacity(args.lookups);
    let mut lookup_failures = 0;
    for _ in 0..args.lookups {
        let serial = disk_serial((rng.next() % n as u64) as usize);
        let t = Instant::now();
        let answer = agent
            .get(&format!("{}/api/v1/disks/{serial}", server.base))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .and_then(|mut r| Ok((r.status().as_u16(), r.body_mut().read_to_vec()?)));
        lookup_us.push(t.elapsed().as_micros() as u64);
        let found = match &answer {
            Ok((200, body)) => serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["certificates"].as_array().map(Vec::len))
                .unwrap_or(0),
            _ => 0,
        };
        // A serial whose certificate was refused at ingest has no history: not a lookup failure.
        if found != 1 && ingest_ok == n {
            lookup_failures += 1;
        }
    }
    let lookup_latency = Latency::of(lookup_us);
    eprintln!(
        "lookup: {} by disk serial, p50 {} µs, p99 {} µs, max {} µs, {lookup_failures} wrong answers",
        args.lookups, lookup_latency.p50, lookup_latency.p99, lookup_latency.max
    );
    // ---- pages: each kind `--pages` times, one at a time, at random places of the load
    let mut pages = Vec::new();
    let kinds: [(&str, &dyn Fn(usize) -> String); 6] = [
        ("/flags (first page)", &|_| "/flags".to_owned()),
        ("/flags?before= (a page deep in)", &|i| format!("/flags?before={i}.0")),
        ("/search (newest)", &|_| "/search".to_owned()),
        ("/search?unit=", &|i| format!("/search?unit={}", unit_serial(i | 1))),
        ("/search?disk=", &|i| format!("/search?disk={}", disk_serial(i))),
        ("/lots/{lot}/report", &|i| format!("/lots/{}/report", lot_name(i))),
    ];
    for (kind, path) in kinds {
        let mut us = Vec::with_capacity(args.pages);
        let mut bad = 0;
        for _ in 0..args.pages {
            let i = (rng.next() % n as u64) as usize;
            let t = Instant::now();
            let status = agent
                .get(&format!("{}{}", server.base, path(i)))
                .header("Authorization", &format!("Bearer {token}"))
                .call()
                .and_then(|mut r| {
                    r.body_mut().with_config().limit(64 << 20).read_to_vec()?;
                    Ok(r.status().as_u16())
                });
            us.push(t.elapsed().as_micros() as u64);
            if !matches!(status, Ok(200)) {
                bad += 1;
            }
        }
        let latency = Latency::of(us);
        eprintln!(
            "page {kind}: p50 {} µs, p99 {} µs, max {} µs, {bad} not 200",
            latency.p50, latency.p99, latency.max
        );
        pages.push((kind.to_owned(), latency, bad));
    }
    drop(server);
    let db_bytes = db.size();
    drop(db);
    if args.no_bare {
        return Ok(BackendResult {
            backend: backend.to_owned(),
            enrol_seconds,
            ingest_seconds,
            ingest_ok,
            ingest_failures: failures,
            first_failure,
            ingest_latency,
            ingest_cpu,
            lookup_latency,
            lookup_failures,
            pages,
            db_bytes,
            verify_seconds: f64::NAN,
            bare_seconds: f64::NAN,
            bare_latency: Latency::default(),
            bare_cpu: Cpu::default(),
        });
    }

    // ---- bare inserts: the same rows through the same store code, no HTTP, no signature check
    eprintln!("\n== {backend}: bare insert_certificate loop, 1 thread");
    let db = Db::fresh(args, backend, &format!("{backend}_bare"))?;
    let store: Box<dyn Store> = match &db.pg {
        None => Box::new(SqliteStore::open(Path::new(&db.url))?),
        Some(_) => Box::new(SqlStore::new(Postgres::connect(&db.url)?)?),
    };
    for (k, key) in keys.iter().enumerate() {
        registry::enrol_station(
            store.as_ref(),
            &key.public_key_base64(),
            Some(&format!("bench-station-{k}")),
        )?;
    }
    let mut verify_seconds = 0.0;
    let mut bare_seconds = 0.0;
    let mut bare_us = Vec::with_capacity(n);
    let cpu0 = Cpu::now(None);
    const CHUNK: usize = 10_000;
    for (c, bodies) in generated.bodies.chunks(CHUNK).enumerate() {
        // Untimed for the bare rate: parse, verify, hash, as the API handler does before storing.
        let t = Instant::now();
        let rows =
            bodies.iter().map(|b| row_from_body(b)).collect::<anyhow::Result<Vec<NewCertificate>>>()?;
        verify_seconds += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for row in &rows {
            let t1 = Instant::now();
            match store.insert_certificate(row)? {
                Inserted::New { .. } => {}
                other => bail!("bare insert of {} gave {other:?}", row.id),
            }
            bare_us.push(t1.elapsed().as_micros() as u64);
        }
        bare_seconds += t.elapsed().as_secs_f64();
        if c % 10 == 9 {
            eprintln!("  bare: {} inserted", (c + 1) * CHUNK);
        }
    }
    let bare_cpu = Cpu::now(None).since(cpu0);
    drop(store);
    drop(db);
    let bare_latency = Latency::of(bare_us);
    eprintln!(
        "bare insert: {n} in {bare_seconds:.2} s = {:.0}/s, p50 {} µs, p99 {} µs (parse+verify+hash {:.0}/s on 1 thread)",
        n as f64 / bare_seconds,
        bare_latency.p50,
        bare_latency.p99,
        n as f64 / verify_seconds
    );

    Ok(BackendResult {
        backend: backend.to_owned(),
        enrol_seconds,
        ingest_seconds,
        ingest_ok,
        ingest_failures: failures,
        first_failure,
        ingest_latency,
        ingest_cpu,
        lookup_latency,
        lookup_failures,
        pages,
        db_bytes,
        verify_seconds,
        bare_seconds,
        bare_latency,
        bare_cpu,
    })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

struct ClientOutcome {
    latencies_us: Vec<u64>,
    ok: usize,
    failures: BTreeMap<String, usize>,
    first_failure: Option<String>,
}

impl ClientOutcome {
    fn panicked() -> Self {
        ClientOutcome {
            latencies_us: Vec::new(),
            ok: 0,
            failures: BTreeMap::from([("client thread panicked".to_owned(), 1)]),
            first_failure: None,
        }
    }
}

/// One client: takes the next certificate until none is left, posts it on its keep-alive
/// connection, times request and answer.
fn post_all(url: &str, bodies: &[Vec<u8>], next: &AtomicUsize) -> ClientOutcome {
    let agent = agent();
    let mut out = ClientOutcome {
        latencies_us: Vec::with_capacity(bodies.len() / 4),
        ok: 0,
        failures: BTreeMap::new(),
        first_failure: None,
    };
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = bodies.get(i) else { break };
        let t = Instant::now();
        let answer = agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(&body[..])
            .and_then(|mut r| Ok((r.status().as_u16(), r.body_mut().read_to_vec()?)));
        out.latencies_us.push(t.elapsed().as_micros() as u64);
        let failure = match answer {
            Ok((201, _)) => {
                out.ok += 1;
                continue;
            }
            Ok((status, body)) => {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let code = v["error"]["code"].as_str().unwrap_or("?").to_owned();
                let message = v["error"]["message"].as_str().unwrap_or("").to_owned();
                (format!("{status} {code}"), message)
            }
            Err(e) => ("transport".to_owned(), e.to_string()),
        };
        *out.failures.entry(failure.0.clone()).or_default() += 1;
        if out.first_failure.is_none() {
            out.first_failure = Some(format!("certificate {i}: {}: {}", failure.0, failure.1));
        }
    }
    out
}

fn progress(next: &AtomicUsize, done: &AtomicBool, n: usize, start: Instant) {
    let mut last = Instant::now();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        if last.elapsed() >= Duration::from_secs(15) {
            last = Instant::now();
            let sent = next.load(Ordering::Relaxed).min(n);
            eprintln!(
                "  ingest: {sent}/{n} sent after {:.0} s ({:.0}/s)",
                start.elapsed().as_secs_f64(),
                sent as f64 / start.elapsed().as_secs_f64()
            );
        }
    }
}

/// What the API handler derives from a certificate before `insert_certificate` (api.rs).
fn row_from_body(body: &[u8]) -> anyhow::Result<NewCertificate> {
    Ok(NewCertificate::from_verified(SignedDocument::from_json(body)?.verify()?, body))
}

/// xorshift64: reproducible "random" serials without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

// ------------------------------------------------------------------ fsync probe

/// How long a small write plus fdatasync takes where the SQLite files live: SQLite with
/// `synchronous=FULL` in WAL mode syncs the WAL once per committed transaction.
fn fsync_probe(dir: &Path) -> anyhow::Result<Latency> {
    use std::io::{Seek as _, SeekFrom, Write as _};
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path)?;
    let block = [0x5a_u8; 4096];
    let mut us = Vec::with_capacity(300);
    for i in 0..300u64 {
        f.seek(SeekFrom::Start((i % 64) * 4096))?;
        let t = Instant::now();
        f.write_all(&block)?;
        f.sync_data()?;
        us.push(t.elapsed().as_micros() as u64);
    }
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(Latency::of(us))
}

// ------------------------------------------------------------------ report

fn print_report(args: &Args, generated: &Generated, fsync: &Latency, results: &[BackendResult]) {
    let n = args.n;
    println!("## Results: N = {n}, {} clients, {} stations\n", args.clients, args.stations);
    println!(
        "Generation (not part of any rate): {n} signed certificates in {:.2} s on {} threads, {:.0} bytes each.",
        generated.seconds,
        generated.threads,
        generated.bytes as f64 / n as f64
    );
    println!(
        "fdatasync of 4 KiB in the work dir: p50 {} µs, p99 {} µs, max {} µs.\n",
        fsync.p50, fsync.p99, fsync.max
    );
    println!(
        "| backend | ingest cert/s | ingest p50 / p99 ms | bare insert cert/s | bare p50 / p99 ms | ingest / bare | lookup p50 / p99 ms | failures |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for r in results {
        let failures: usize = r.ingest_failures.values().sum::<usize>() + r.lookup_failures;
        println!(
            "| {} | {:.0} | {:.2} / {:.2} | {:.0} | {:.2} / {:.2} | {:.0} % | {:.2} / {:.2} | {} |",
            r.backend,
            r.ingest_rate(),
            ms(r.ingest_latency.p50),
            ms(r.ingest_latency.p99),
            r.bare_rate(n),
            ms(r.bare_latency.p50),
            ms(r.bare_latency.p99),
            100.0 * r.ingest_rate() / r.bare_rate(n),
            ms(r.lookup_latency.p50),
            ms(r.lookup_latency.p99),
            if failures == 0 {
                "none".to_owned()
            } else {
                format!("{:?} + {} lookups", r.ingest_failures, r.lookup_failures)
            },
        );
    }
    println!("\nTargets: ingest ≥ 2,000 cert/s and ≥ 50 % of bare insert; lookup p99 < 10 ms at 1 M certificates.\n");
    for r in results {
        let ratio = r.ingest_rate() / r.bare_rate(n);
        let c = &r.ingest_cpu;
        println!("### {}\n", r.backend);
        println!(
            "- ingest ≥ 2,000/s: {}; ≥ 50 % of bare: {}; lookup p99 < 10 ms: {}{}",
            yes(r.ingest_rate() >= 2000.0),
            yes(ratio >= 0.5),
            yes(r.lookup_latency.p99 < 10_000),
            if n < 1_000_000 { format!(" (at N = {n}, not 1 M)") } else { String::new() }
        );
        println!(
            "- ingest: {} recorded in {:.2} s; latency µs p50 {} p99 {} p99.9 {} max {}; enrolling {} stations took {:.1} s",
            r.ingest_ok,
            r.ingest_seconds,
            r.ingest_latency.p50,
            r.ingest_latency.p99,
            r.ingest_latency.p999,
            r.ingest_latency.max,
            args.stations,
            r.enrol_seconds
        );
        println!(
            "- CPU during ingest: machine {:.0} % busy of {} cores ({:.1} s of {:.1} s; includes other users); registry {:.1} s = {:.0} µs/cert; bench clients {:.1} s = {:.0} µs/cert; postgres processes {:.1} s = {:.0} µs/cert",
            100.0 * c.machine_busy / c.machine_total.max(1e-9),
            generated.threads,
            c.machine_busy,
            c.machine_total,
            c.registry,
            per_cert_us(c.registry, r.ingest_ok),
            c.bench,
            per_cert_us(c.bench, r.ingest_ok),
            c.postgres,
            per_cert_us(c.postgres, r.ingest_ok),
        );
        println!(
            "- bare insert: {n} in {:.2} s; latency µs p50 {} p99 {} max {}; CPU: this process {:.1} s, postgres {:.1} s, machine {:.0} % busy",
            r.bare_seconds,
            r.bare_latency.p50,
            r.bare_latency.p99,
            r.bare_latency.max,
            r.bare_cpu.bench,
            r.bare_cpu.postgres,
            100.0 * r.bare_cpu.machine_busy / r.bare_cpu.machine_total.max(1e-9)
        );
        println!(
            "- parse + signature check + hashes alone (1 thread, what the handler does before storing): {:.0} cert/s = {:.0} µs/cert",
            n as f64 / r.verify_seconds,
            r.verify_seconds * 1e6 / n as f64
        );
        println!(
            "- lookup: {} by random disk serial, one at a time; µs p50 {} p99 {} p99.9 {} max {}; {} wrong answers",
            args.lookups,
            r.lookup_latency.p50,
            r.lookup_latency.p99,
            r.lookup_latency.p999,
            r.lookup_latency.max,
            r.lookup_failures
        );
        println!("- database size after ingest: {:.1} MiB", r.db_bytes as f64 / (1 << 20) as f64);
        if !r.pages.is_empty() {
            println!(
                "- pages, {} requests each, one at a time (target: p99 < 1 s at 1 M certificates):",
                args.pages
            );
            for (kind, l, bad) in &r.pages {
                println!(
                    "  - `{kind}`: ms p50 {:.1} p99 {:.1} max {:.1}; {bad} not 200; p99 < 1 s: {}",
                    ms(l.p50),
                    ms(l.p99),
                    ms(l.max),
                    yes(l.p99 < 1_000_000 && *bad == 0)
                );
            }
        }
        if let Some(f) = &r.first_failure {
            println!("- first ingest failure: {f}");
        }
        println!();
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn per_cert_us(seconds: f64, n: usize) -> f64 {
    seconds * 1e6 / n.max(1) as f64
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}
