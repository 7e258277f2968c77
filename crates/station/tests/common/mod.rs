//! Helpers shared by the station's integration tests: a scratch directory, the real binary, and a
//! registry served in the test process on a real socket.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use registry::{SqliteStore, Store};

pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sv-station-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        Scratch(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn station(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_station"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("station runs")
}

/// Whether the tests run as root (loop devices, mounts).
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A registry served in this test process on a real socket, with a real SQLite file; it stops
/// when dropped.
pub struct LiveRegistry {
    _server: registry::Background,
}

impl LiveRegistry {
    pub fn start(db: &Path, addr: SocketAddr) -> Self {
        Self::start_with(db, addr, None)
    }

    /// Serves HTTPS with the registry crate's test certificate (127.0.0.1, signed by
    /// `registry_test_ca()`).
    pub fn start_tls(db: &Path, addr: SocketAddr) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../registry/tests/fixtures/tls");
        let tls =
            registry::server::tls_config(&dir.join("cert.pem"), &dir.join("key.pem")).expect("TLS fixture");
        Self::start_with(db, addr, Some(tls))
    }

    fn start_with(db: &Path, addr: SocketAddr, tls: Option<Arc<registry::server::TlsConfig>>) -> Self {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db).expect("db"));
        let log = registry::LogIdentity {
            origin: registry::DEFAULT_ORIGIN.into(),
            key: certificate::SigningIdentity::from_seed(&[77; 32]),
        };
        LiveRegistry { _server: registry::Background::start(addr, store, log, tls).expect("registry serves") }
    }
}

/// The CA that signed the registry's test certificate.
pub fn registry_test_ca() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../registry/tests/fixtures/tls/ca.pem")
}

pub fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// tmux on a private socket, torn down on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    /// A session `sv` of `width`×`height` running `command` (a shell line).
    pub fn start(name: &str, command: &str, width: u16, height: u16) -> Tmux {
        let tmux = Tmux { socket: format!("sv-{name}-{}", std::process::id()) };
        let started = tmux
            .cmd()
            .args(["new-session", "-d", "-s", "sv", "-x", &width.to_string(), "-y", &height.to_string()])
            .args(["-e", "LANG=C.UTF-8", command])
            .status()
            .expect("tmux");
        assert!(started.success(), "tmux new-session");
        tmux
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    pub fn send(&self, keys: &[&str]) {
        let ok = self.cmd().args(["send-keys", "-t", "sv"]).args(keys).status().expect("tmux").success();
        assert!(ok, "send-keys {keys:?}");
    }

    pub fn send_text(&self, text: &str) {
        let ok = self.cmd().args(["send-keys", "-t", "sv", "-l", text]).status().expect("tmux").success();
        assert!(ok, "send-keys -l {text:?}");
    }

    pub fn screen(&self) -> String {
        let out = self.cmd().args(["capture-pane", "-p", "-t", "sv"]).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn wait_for(&self, what: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(start.elapsed() < timeout, "{what:?} never appeared; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").stderr(std::process::Stdio::null()).status();
    }
}

pub fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}
