//! The bench server with its real parts: the real `station-server` binary (without dnsmasq:
//! no interface to give it here) on 127.0.0.1, a real registry (the `registry` crate, SQLite,
//! real HTTP) on another port, and the real `station` binary fetching its settings and pushing
//! certificates through the relay, while the registry goes down and the server is killed.
//!
//! The `station` binary is the workspace's own, beside `station-server` in the target directory
//! (`cargo test --workspace` builds both; alone: `cargo build -p station --bin station` first).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use registry::{SqliteStore, Store};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sv-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_station-server"))
}

fn station_bin() -> PathBuf {
    let p = server_bin().with_file_name("station");
    assert!(p.exists(), "{} is not built: run `cargo build -p station --bin station` first", p.display());
    p
}

fn station(data: &Path, args: &[&str]) -> Output {
    Command::new(station_bin()).arg("--data-dir").arg(data).args(args).output().expect("station runs")
}

fn server_cmd(config: &Path, args: &[&str]) -> Output {
    Command::new(server_bin()).args(args).arg("--config").arg(config).output().expect("station-server runs")
}

/// A registry served in this test process on a real socket, with a real SQLite file; it stops
/// when dropped.
struct LiveRegistry {
    _server: registry::Background,
}

impl LiveRegistry {
    fn start(db: &Path, addr: SocketAddr) -> Self {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).expect("db"));
        let log = registry::LogIdentity {
            origin: registry::DEFAULT_ORIGIN.into(),
            key: certificate::SigningIdentity::from_seed(&[77; 32]),
        };
        LiveRegistry {
            _server: registry::Background::start(addr, store, log, None).expect("registry serves"),
        }
    }
}

/// `station-server serve --no-dnsmasq`, killed (SIGKILL) on drop.
struct Server(Child);

impl Server {
    fn start(config: &Path, url: &str) -> Server {
        let child = Command::new(server_bin())
            .args(["serve", "--no-dnsmasq", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("station-server starts");
        let server = Server(child);
        let start = Instant::now();
        // The bench server's own status, not just anything answering on the port.
        while http_get(&format!("{url}/api/bench/v1/status")).is_none_or(|(code, _)| code != 200) {
            assert!(start.elapsed() < Duration::from_secs(20), "station-server did not answer on {url}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(url: &str) -> Option<(u16, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let mut r = agent.get(url).call().ok()?;
    Some((r.status().as_u16(), r.body_mut().read_to_string().ok()?))
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.ends_with(".json") && !n.ends_with(".receipt.json") && !n.ends_with(".answer.json")
                })
                .count()
        })
        .unwrap_or(0)
}

fn mode(path: &Path) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).expect("exists").permissions()) & 0o777
}

/// A certificate signed with the key `station netboot` wrote into `data`, put in its spool.
fn spool_certificate(data: &Path, serial: &str, alter: bool) -> String {
    let key = station::key::load_or_create(data).expect("the netboot key");
    let cert = certificate::example::with_station_key(certificate::example::certificate(serial), &key);
    let mut json = String::from_utf8(key.sign(&cert).expect("signs").to_json_pretty()).expect("utf-8");
    if alter {
        json = json.replacen(serial, "SN-ALTERED", 1);
    }
    let id = cert.id.to_string();
    station::spool::Spool::open(&data.join("spool"))
        .expect("spool")
        .store(&id, json.as_bytes())
        .expect("store");
    id
}

#[test]
fn pcs_get_their_seat_and_certificates_reach_the_registry_through_the_relay() {
    let s = Scratch::new("relay");
    let db = s.0.join("registry.sqlite");
    // Both listeners held while picking, so the two ports differ.
    let (reg_listener, srv_listener) = (
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
    );
    let (reg_addr, srv_addr) =
        (reg_listener.local_addr().expect("addr"), srv_listener.local_addr().expect("addr"));
    drop((reg_listener, srv_listener));
    let url = format!("http://{srv_addr}");
    let server_data = s.0.join("server");
    let config = s.0.join("bench.toml");
    std::fs::write(
        &config,
        format!(
            r#"[server]
listen = "{srv_addr}"
interface = "lo"
registry = "http://{reg_addr}"
data_dir = "{}"
boot_dir = "{}"
forward_interval = "200ms"

[bench]
seat = "etabli-1"
lot = "CD34-2026-017"
operator = "Atelier Montpellier"
method = "zero"
language = "fr"
mode = "app"
organisation = "ESAT Les Ateliers du Lez"
destination = "external_reuse"

[pc."52:54:00:12:34:56"]
seat = "etabli-2"
mode = "batch"
"#,
            server_data.display(),
            s.0.join("boot").display()
        ),
    )
    .expect("bench.toml");
    let checked = server_cmd(&config, &["check"]);
    assert!(text(&checked).contains("valid"), "{}", text(&checked));

    let mut registry = Some(LiveRegistry::start(&db, reg_addr));
    let mut server = Server::start(&config, &url);
    // The GRUB menu is written where the signed GRUB and the BIOS GRUB read it.
    let menu = std::fs::read_to_string(s.0.join("boot/grub/grub.cfg")).expect("grub.cfg");
    assert!(menu.contains(&format!("sv.server={url} sv.mac=$net_default_mac")), "{menu}");

    // A listed PC gets its own seat and the batch file; any other PC the bench's.
    let (listed, other) = (s.0.join("pc-listed"), s.0.join("pc-other"));
    let out = station(&listed, &["netboot", "--server", &url, "--mac", "52:54:00:12:34:56"]);
    assert!(out.status.success() && text(&out).contains("seat etabli-2 mode batch"), "{}", text(&out));
    let out = station(
        &other,
        &["netboot", "--server", &url, "--mac", "00:11:22:33:44:55", "--mac", "00:11:22:33:44:66"],
    );
    assert!(out.status.success() && text(&out).contains("seat etabli-1 mode app"), "{}", text(&out));
    let key_listed = std::fs::read(listed.join("station.key")).expect("key");
    let key_other = std::fs::read(other.join("station.key")).expect("key");
    assert_eq!((key_listed.len(), mode(&listed.join("station.key"))), (32, 0o600));
    assert_ne!(key_listed, key_other, "two seats, two keys");
    let settings = std::fs::read_to_string(other.join("settings.toml")).expect("settings");
    for want in [
        format!("registry = \"{url}\""),
        "station_name = \"etabli-1\"".into(),
        "lot = \"CD34-2026-017\"".into(),
        "organisation = \"ESAT Les Ateliers du Lez\"".into(),
        "destination = \"external_reuse\"".into(),
    ] {
        assert!(settings.contains(&want), "{want} not in\n{settings}");
    }
    let batch = std::fs::read_to_string(listed.join("batch.toml")).expect("batch.toml in batch mode");
    assert!(batch.contains("confirm_wipe = true") && batch.contains(&url), "{batch}");
    assert!(!other.join("batch.toml").exists());

    // The same PC again: the same key. A station holding another key keeps it unless told.
    let out = station(&listed, &["netboot", "--server", &url, "--mac", "52:54:00:12:34:56"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read(listed.join("station.key")).expect("key"), key_listed);
    let out = station(&other, &["netboot", "--server", &url, "--mac", "52:54:00:12:34:56"]);
    assert!(!out.status.success() && text(&out).contains("--replace-key"), "{}", text(&out));
    assert_eq!(std::fs::read(other.join("station.key")).expect("key"), key_other);
    // An unknown server, a bad MAC: plain errors naming the server.
    let out = station(
        &s.0.join("pc-x"),
        &["netboot", "--server", &format!("http://{}", free_port()), "--mac", "00:11:22:33:44:55"],
    );
    assert!(!out.status.success() && text(&out).contains("cannot be reached"), "{}", text(&out));
    let out = station(&s.0.join("pc-x"), &["netboot", "--server", &url, "--mac", "00:11:22"]);
    assert!(
        !out.status.success() && text(&out).contains(&url) && text(&out).contains("not a MAC"),
        "{}",
        text(&out)
    );

    // A station cannot enrol itself through the bench server: it says where seats are enrolled.
    let out = station(&other, &["enrol", "--registry", &url]);
    assert!(!out.status.success() && text(&out).contains("station-server enrol"), "{}", text(&out));

    // Enrol both seats; a supervisor approves them.
    let enrolled = server_cmd(&config, &["enrol"]);
    assert!(enrolled.status.success(), "{}", text(&enrolled));
    let codes: Vec<String> = text(&enrolled)
        .lines()
        .filter_map(|l| l.split("enrolment code ").nth(1))
        .map(|rest| rest.split_whitespace().next().expect("code").to_owned())
        .collect();
    assert_eq!(codes.len(), 2, "{}", text(&enrolled));
    let store = SqliteStore::open(&db).expect("db");
    for c in &codes {
        store.approve(c).expect("approved");
    }
    let status = server_cmd(&config, &["status"]);
    let key_id = certificate::SigningIdentity::from_seed(&key_other[..].try_into().expect("32")).key_id();
    assert!(text(&status).contains(&format!("seat etabli-1 key {key_id}")), "{}", text(&status));

    // Registry up: the certificate goes through, the registry's 201 is passed through.
    let first = spool_certificate(&other, "SN-RELAY-1", false);
    let out = station(&other, &["push", "--registry", &url]);
    assert!(out.status.success() && text(&out).contains("recorded at"), "{}", text(&out));
    assert!(store.certificate(&first).expect("query").is_some(), "the registry has it");
    assert_eq!(count(&server_data.join("spool/sent")), 1);

    // Registry down: 202, the station counts it delivered, the server keeps it pending.
    drop(registry.take());
    let second = spool_certificate(&other, "SN-RELAY-2", false);
    let out = station(&other, &["push", "--registry", &url]);
    assert!(out.status.success() && text(&out).contains("kept by the bench server"), "{}", text(&out));
    assert_eq!(count(&other.join("spool/pending")), 0);
    assert!(other.join(format!("spool/sent/{second}.receipt.json")).exists());
    let pending = server_data.join(format!("spool/pending/{second}.json"));
    assert!(pending.exists());
    let (code, body) = http_get(&format!("{url}/api/bench/v1/status")).expect("status");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!((code, v["pending"].as_u64(), v["sent"].as_u64()), (200, Some(1), Some(1)), "{body}");
    assert!(v["last_error"].is_string() && v["registry"] == format!("http://{reg_addr}"), "{body}");

    // Server killed without warning, then restarted: still pending.
    drop(server);
    assert!(pending.exists());
    server = Server::start(&config, &url);
    assert!(text(&server_cmd(&config, &["status"])).contains("pending 1"));
    // The same PC after the restart: the same key.
    let out = station(&listed, &["netboot", "--server", &url, "--mac", "52:54:00:12:34:56"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read(listed.join("station.key")).expect("key"), key_listed);

    // Registry back: the forwarder delivers it.
    registry = Some(LiveRegistry::start(&db, reg_addr));
    let start = Instant::now();
    while !text(&server_cmd(&config, &["status"])).contains("pending 0") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not forwarded: {}",
            text(&server_cmd(&config, &["status"]))
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(store.certificate(&second).expect("query").is_some(), "forwarded to the registry");

    // An altered certificate: the registry's 400 is passed through, and it is set aside there.
    let altered = spool_certificate(&other, "SN-RELAY-3", true);
    let out = station(&other, &["push", "--registry", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("(400)"), "{}", text(&out));
    assert!(server_data.join(format!("spool/refused/{altered}.json")).exists());
    assert!(other.join(format!("spool/refused/{altered}.json")).exists());
    assert!(store.certificate(&altered).expect("query").is_none());
    drop(server);
    drop(registry);
}

#[test]
fn boot_files_are_served_and_cannot_leave_the_boot_directory() {
    let s = Scratch::new("boot");
    let srv_addr = free_port();
    let url = format!("http://{srv_addr}");
    let boot = s.0.join("boot");
    std::fs::create_dir_all(boot.join("efi")).expect("mkdir");
    let kernel: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(boot.join("vmlinuz"), &kernel).expect("kernel");
    std::fs::write(s.0.join("secret"), "secret").expect("secret");
    std::os::unix::fs::symlink(s.0.join("secret"), boot.join("leak")).expect("symlink");
    let config = s.0.join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{srv_addr}\"\ninterface = \"lo\"\nregistry = \"http://127.0.0.1:9\"\ndata_dir = \"{}\"\nboot_dir = \"{}\"\n[bench]\nseat = \"etabli-1\"\n",
            s.0.join("data").display(),
            boot.display()
        ),
    )
    .expect("bench.toml");
    let _server = Server::start(&config, &url);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent.get(&format!("{url}/boot/vmlinuz")).call().expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let got = r.body_mut().with_config().limit(10 << 20).read_to_vec().expect("body");
    assert!(got == kernel, "the kernel arrives whole ({} of {} bytes)", got.len(), kernel.len());
    let (code, body) = http_get(&format!("{url}/boot/grub/grub.cfg")).expect("menu");
    assert!(code == 200 && body.contains("menuentry"), "{body}");
    assert_eq!(http_get(&format!("{url}/boot/leak")).expect("answer").0, 403);
    assert_eq!(http_get(&format!("{url}/boot/..%2Fsecret")).expect("answer").0, 400);
    assert_eq!(http_get(&format!("{url}/boot/efi/nothing")).expect("answer").0, 404);
    // ureq normalises `..` in a URL; a raw request does not.
    use std::io::{Read as _, Write as _};
    let mut tcp = std::net::TcpStream::connect(srv_addr).expect("connect");
    write!(tcp, "GET /boot/../secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("send");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("read");
    assert!(!answer.contains("\r\n\r\nsecret") && !answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_dnsmasq_that_does_not_start_is_a_clear_error_with_its_words() {
    let s = Scratch::new("dnsmasq");
    let srv_addr = free_port();
    let config = s.0.join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{srv_addr}\"\ninterface = \"svnothere0\"\nregistry = \"http://127.0.0.1:9\"\ndata_dir = \"{}\"\nboot_dir = \"{}\"\n[bench]\nseat = \"etabli-1\"\n",
            s.0.join("data").display(),
            s.0.join("boot").display()
        ),
    )
    .expect("bench.toml");
    // An interface that does not exist: dnsmasq stops at once (as root: "unknown interface";
    // as another user: no permission for port 67), and serve says so with dnsmasq's words.
    let out = Command::new(server_bin()).args(["serve", "--config"]).arg(&config).output().expect("runs");
    assert!(!out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("dnsmasq stopped at once") && t.contains("dnsmasq: "), "{t}");
    assert!(std::net::TcpStream::connect(srv_addr).is_err(), "no HTTP server left behind");
}
