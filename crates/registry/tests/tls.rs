//! The real `registry` binary serving HTTPS with a certificate signed by a workshop CA, checked by a
//! rustls client that trusts only that certificate; the deadlines of a public server; the
//! refusals of a bad TLS setup.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sv-registry-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The test CA, the server certificate it signed for 127.0.0.1, its key, an unrelated key
/// (tests/fixtures/tls/make wrote them).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

fn serve(dir: &Path, extra: &[&std::ffi::OsStr]) -> (Server, String) {
    let db = dir.join("registry.sqlite").display().to_string();
    let extra: Vec<&str> = extra.iter().map(|a| a.to_str().expect("UTF-8 test paths")).collect();
    let (child, base) = common::Registry::spawn_with(dir, &db, &extra);
    (Server(child), base)
}

#[test]
fn https_with_a_pinned_certificate_and_no_plain_http_on_its_port() {
    let dir = Dir::new("https");
    let (ca, cert, key) = (fixture("ca.pem"), fixture("cert.pem"), fixture("key.pem"));
    let (_server, base) =
        serve(&dir.0, &["--tls-cert".as_ref(), cert.as_os_str(), "--tls-key".as_ref(), key.as_os_str()]);
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");

    let pem = std::fs::read(&ca).expect("CA certificate");
    let roots =
        ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![ureq::tls::Certificate::from_pem(&pem)
            .expect("PEM")
            .to_owned()]));
    let trusting: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .build()
        .into();
    let mut answer = trusting.get(&format!("{base}/api/v1/log/checkpoint")).call().expect("HTTPS request");
    assert_eq!(answer.status().as_u16(), 200);
    let text = answer.body_mut().read_to_string().expect("body");
    assert!(text.contains("seconde-vie"), "a checkpoint: {text}");
    // Over HTTPS the web interface's cookies are Secure without --secure-cookies (docs/web.md).
    let login = trusting.get(&format!("{base}/login")).call().expect("the login page over HTTPS");
    let cookies: Vec<&str> =
        login.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("sv_login=") && c.contains("; Secure")), "{cookies:?}");
    // And browsers are told to come back over HTTPS only (HSTS, issue 23).
    for r in [&answer, &login] {
        let hsts = r.headers().get("strict-transport-security").and_then(|v| v.to_str().ok());
        assert_eq!(hsts, Some("max-age=31536000"));
    }

    // A client with only the public roots refuses the workshop's certificate.
    let public: ureq::Agent = ureq::Agent::config_builder().build().into();
    let refused = public.get(&format!("{base}/api/v1/log/checkpoint")).call();
    assert!(refused.is_err(), "an unknown certificate must not be accepted");

    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = base.replace("https://", "http://");
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(15))).build().into();
    assert!(agent.get(&format!("{plain}/api/v1/log/checkpoint")).call().is_err());
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let dir = Dir::new("slow");
    let (_server, base) = serve(&dir.0, &[]);
    let addr = base.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).expect("connects");
    tcp.write_all(b"GET /api/v1/log/checkpoint HTTP/1.1\r\nHost: x\r\n").expect("writes");
    tcp.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let started = Instant::now();
    let mut rest = Vec::new();
    // The server closes the connection (possibly after a 408): read_to_end returns.
    let _ = tcp.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(8) && waited < Duration::from_secs(25),
        "closed after {waited:?}; expected the 10 s header deadline"
    );
    let text = String::from_utf8_lossy(&rest);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");

    // The server still answers others.
    let mut ok = ureq::get(&format!("{base}/api/v1/log/checkpoint")).call().expect("request");
    assert_eq!(ok.status().as_u16(), 200);
    let _ = ok.body_mut().read_to_string();
}

#[test]
fn a_bad_tls_setup_or_plain_http_off_loopback_is_refused_with_its_reason() {
    let dir = Dir::new("bad");
    let not_pem = dir.0.join("not-a-cert.pem");
    std::fs::write(&not_pem, "this is not PEM\n").expect("write");
    let (cert, other_key) = (fixture("cert.pem"), fixture("other-key.pem"));
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_registry"))
            .args(["serve", "--db"])
            .arg(dir.0.join("r.sqlite"))
            .arg("--key")
            .arg(dir.0.join("r.key"))
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let missing = dir.0.join("missing.pem");
    let err = run(&["--tls-cert".as_ref(), missing.as_os_str(), "--tls-key".as_ref(), other_key.as_os_str()]);
    assert!(err.contains("missing.pem"), "{err}");
    let err = run(&["--tls-cert".as_ref(), not_pem.as_os_str(), "--tls-key".as_ref(), other_key.as_os_str()]);
    assert!(err.contains("not-a-cert.pem") && err.contains("no certificate"), "{err}");
    let err = run(&["--tls-cert".as_ref(), cert.as_os_str(), "--tls-key".as_ref(), not_pem.as_os_str()]);
    assert!(err.contains("no PEM private key"), "{err}");
    let err = run(&["--tls-cert".as_ref(), cert.as_os_str(), "--tls-key".as_ref(), other_key.as_os_str()]);
    assert!(err.contains("does not fit the certificate"), "{err}");
    let err = run(&["--listen".as_ref(), "0.0.0.0:0".as_ref()]);
    assert!(err.contains("--tls-cert") && err.contains("--plain-http"), "{err}");
}
