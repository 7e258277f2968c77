//! What the registry's integration tests share: the real binary on 127.0.0.1 with a real
//! SQLite file or PostgreSQL database, an admin account and its API token.
#![allow(dead_code)] // each test crate uses its own part

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use certificate::{example, SigningIdentity};

pub const PASSWORD: &str = "correct horse battery";

/// The databases every test runs against: a SQLite file always, and PostgreSQL when
/// SV_TEST_POSTGRES names a server (scripts/test starts one as root and requires it then).
pub fn backends() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    match std::env::var("SV_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => v.push("postgres"),
        _ if std::env::var("SV_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("SV_REQUIRE_POSTGRES=1 but SV_TEST_POSTGRES is not set")
        }
        _ => eprintln!("SKIPPED the PostgreSQL half: set SV_TEST_POSTGRES (./scripts/test does, as root)"),
    }
    v
}

pub struct Registry {
    pub child: Child,
    pub base: String,
    pub dir: PathBuf,
    pub db: String,
    pub pg_database: Option<String>,
    /// An admin's API token (the lookups need one).
    pub token: String,
}

pub fn pg_admin() -> postgres::Client {
    let url = std::env::var("SV_TEST_POSTGRES").expect("SV_TEST_POSTGRES");
    postgres::Client::connect(&url, postgres::NoTls).expect("connects to the test PostgreSQL")
}

/// A fresh, empty database for test `name`: a SQLite file in `dir`, or a new PostgreSQL
/// database (returned too, to drop it afterwards). The first value is a `--db` value.
pub fn fresh_database(name: &str, backend: &str, dir: &std::path::Path) -> (String, Option<String>) {
    if backend == "postgres" {
        let database = format!("sv_{name}_{}", std::process::id());
        let mut admin = pg_admin();
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database}")).expect("drop");
        admin.batch_execute(&format!("CREATE DATABASE {database}")).expect("create database");
        let base = std::env::var("SV_TEST_POSTGRES").expect("url");
        let url = format!("{}/{database}", base.rsplit_once('/').expect("url with a database").0);
        (url, Some(database))
    } else {
        (dir.join("registry.sqlite").display().to_string(), None)
    }
}

impl Registry {
    pub fn start(name: &str, backend: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sv-registry-{name}-{backend}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let (db, pg_database) = fresh_database(name, backend, &dir);
        let (child, base) = Self::spawn(&dir, &db);
        let mut reg = Registry { child, base, dir, db, pg_database, token: String::new() };
        reg.add_user("admin", "admin", &[]);
        reg.token = reg.token_for("admin");
        reg
    }

    pub fn restart(&mut self) {
        let (child, base) = Self::spawn(&self.dir, &self.db);
        self.child = child;
        self.base = base;
    }

    pub fn spawn(dir: &std::path::Path, db: &str) -> (Child, String) {
        Self::spawn_with(dir, db, &[])
    }

    /// `registry serve` with more arguments.
    pub fn spawn_with(dir: &std::path::Path, db: &str, extra: &[&str]) -> (Child, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_registry"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db, "--key"])
            .arg(dir.join("registry.key"))
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("registry starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("reads");
        let base = line.trim().rsplit(' ').next().expect("address").to_owned();
        assert!(base.starts_with("http://127.0.0.1:") || base.starts_with("https://127.0.0.1:"), "{line}");
        (child, base)
    }

    /// Creates an account whose password is `PASSWORD`.
    pub fn add_user(&self, name: &str, role: &str, donors: &[&str]) {
        let file = self.dir.join(format!("{name}.password"));
        std::fs::write(&file, format!("{PASSWORD}\n")).expect("write");
        let mut args = vec!["user", "add", "--name", name, "--role", role, "--password-file"];
        let path = file.display().to_string();
        args.push(&path);
        for d in donors {
            args.extend(["--donor", d]);
        }
        let out = self.cli(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// A new API token for the account.
    pub fn token_for(&self, name: &str) -> String {
        let out = self.cli(&["token", "add", "--user", name]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_registry"))
            .args(args)
            .args(["--db", &self.db])
            .output()
            .expect("runs")
    }

    pub fn enrol(&self, key: &SigningIdentity) {
        let out =
            self.cli(&["station", "add", "--name", "test-station", "--public-key", &key.public_key_base64()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(&key.key_id()));
    }

    pub fn agent() -> ureq::Agent {
        ureq::Agent::config_builder().http_status_as_error(false).build().into()
    }

    pub fn post(&self, body: &[u8]) -> (u16, serde_json::Value) {
        let mut r = Self::agent()
            .post(&format!("{}/api/v1/certificates", self.base))
            .header("Content-Type", "application/json")
            .send(body)
            .expect("request");
        let text = r.body_mut().read_to_string().expect("body");
        (r.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let mut r = Self::agent()
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()
            .expect("request");
        (r.status().as_u16(), r.body_mut().read_to_string().expect("body"))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(database) = &self.pg_database {
            let _ = pg_admin().batch_execute(&format!("DROP DATABASE IF EXISTS {database}"));
        }
    }
}

pub fn signed(key: &SigningIdentity, disk_serial: &str) -> (String, Vec<u8>) {
    let cert = example::with_station_key(example::certificate(disk_serial), key);
    (cert.id.to_string(), key.sign(&cert).expect("signs").to_json_pretty())
}

pub fn error_code(v: &serde_json::Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("(no code)")
}

/// An HTTP agent that reports every status as an answer and follows no redirect, so a refusal's
/// 303 to /login is seen: the browser-like clients of the web tests use it.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into()
}

/// One HTTP answer, read whole.
pub struct Answer {
    pub status: u16,
    pub location: String,
    pub cookies: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
}

/// Reads a response into an [`Answer`].
pub fn answer(mut r: ureq::http::Response<ureq::Body>) -> Answer {
    let headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let get =
        |name: &str| headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let location = get("location").into_iter().next().unwrap_or_default();
    let cookies = get("set-cookie");
    let body = r.body_mut().with_config().limit(50 << 20).read_to_vec().expect("body");
    Answer { status: r.status().as_u16(), location, cookies, headers, body }
}

/// `application/x-www-form-urlencoded`, as a browser sends a form.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |v: &str| -> String {
        v.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    fields.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}
