//! The web interface in a real browser: headless Chromium driven by chromedriver over the W3C
//! WebDriver protocol (https://www.w3.org/TR/webdriver2/), with plain HTTP requests. A supervisor
//! logs in, searches a disk serial, opens the certificate, and the PDF it links to is read back
//! with pdftotext; screenshots of the main pages at a laptop (1366×768) and a phone (390×844)
//! size are written to `$SV_ARTEFACTS_DIR` (default `$CARGO_TARGET_DIR/artefacts/web`).
//!
//! Skipped, loudly, without chromium and chromedriver, unless SV_REQUIRE_BROWSER=1.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use certificate::SigningIdentity;
use serde_json::{json, Value};

mod common;
use common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C name of an element reference in answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn artefacts_dir() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("SV_ARTEFACTS_DIR") {
        return dir.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    std::path::Path::new(&target).join("artefacts").join("web")
}

struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Browser {
    driver: Driver,
    session: String,
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

impl Browser {
    fn start(width: u32, height: u32) -> Browser {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = http()
                .get(&format!("{}/status", driver.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not get ready in 15 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", format!("--window-size={width},{height}")],
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}}
            }
        }}});
        let answer = send(&driver.base, "POST", "/session", Some(capabilities));
        let session =
            answer["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {answer}")).to_owned();
        Browser { driver, session }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        send(&self.driver.base, method, &format!("/session/{}{path}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let v = self.call("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/value"), Some(json!({"text": text})));
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    fn attribute(&self, css: &str, name: &str) -> String {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/attribute/{name}"), None).as_str().unwrap_or("").to_owned()
    }

    /// Waits (at most 10 s) until the address contains `part`: a click's navigation may finish
    /// after the click's answer.
    fn wait_url(&self, part: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.url().contains(part) {
            assert!(Instant::now() < deadline, "the browser did not reach {part}: at {}", self.url());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap_or("").to_owned()
    }

    fn source(&self) -> String {
        self.call("GET", "/source", None).as_str().unwrap_or("").to_owned()
    }

    fn script(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": []})))
    }

    /// Saves a screenshot; returns its width and height in pixels (from the PNG header).
    fn screenshot(&self, name: &str) -> (u32, u32) {
        use base64::Engine as _;
        let b64 = self.call("GET", "/screenshot", None);
        let png =
            base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or("")).expect("base64 PNG");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
        let dir = artefacts_dir();
        std::fs::create_dir_all(&dir).expect("artefacts dir");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("write screenshot");
        let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        (be(16), be(20))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http().delete(&format!("{}/session/{}", self.driver.base, self.session)).call();
    }
}

fn send(base: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let url = format!("{base}{path}");
    let agent = http();
    let response = match (method, body) {
        ("GET", _) => agent.get(&url).call(),
        ("DELETE", _) => agent.delete(&url).call(),
        (_, body) => agent.post(&url).send_json(body.unwrap_or(json!({}))),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let v: Value = response.body_mut().with_config().limit(64 << 20).read_json().expect("WebDriver JSON");
    assert!(status < 300, "{method} {path}: {status} {v}");
    v["value"].clone()
}

fn browser_available() -> bool {
    let present = std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        assert_ne!(
            std::env::var("SV_REQUIRE_BROWSER").as_deref(),
            Ok("1"),
            "SV_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("\n**** SKIPPED the browser test: {CHROMIUM} or {CHROMEDRIVER} is missing ****");
        eprintln!("**** apt-get install chromium chromium-driver poppler-utils (./scripts/test does, as root) ****\n");
    }
    present
}

#[test]
fn a_supervisor_finds_a_disk_opens_its_certificate_and_downloads_the_pdf() {
    if !browser_available() {
        return;
    }
    let reg = Registry::start("browser", "sqlite");
    let key = SigningIdentity::from_seed(&[31; 32]);
    reg.enrol(&key);
    let cert =
        certificate::example::with_station_key(certificate::example::certificate("WD-BROWSER-0001"), &key);
    let id = cert.id.to_string();
    assert_eq!(reg.post(&key.sign(&cert).expect("signs").to_json_pretty()).0, 201);
    let mut unserialed =
        certificate::example::with_station_key(certificate::example::certificate("WD-OTHER"), &key);
    unserialed.unit.serial = certificate::Probed::unavailable("the DMI table is empty");
    assert_eq!(reg.post(&key.sign(&unserialed).expect("signs").to_json_pretty()).0, 201);
    assert!(reg
        .cli(&["lot", "assign", "CD34-2026-017", "--donor", "Département de l'Hérault"])
        .status
        .success());
    reg.add_user("camille", "supervisor", &[]);
    // The harness made the admin account with the same password.

    let sizes = [("laptop", 1366, 768), ("phone", 390, 844)];
    for (size, width, height) in sizes {
        let b = Browser::start(width, height);
        b.go(&format!("{}/login", reg.base));
        assert_eq!(b.screenshot(&format!("login-{size}")), (width, height), "screenshot size");
        let unlabelled = b.script(
            "return [...document.querySelectorAll('input:not([type=hidden]), select')].filter(e => e.labels.length === 0).map(e => e.name)",
        );
        assert_eq!(unlabelled, json!([]), "every field has a label");
        assert_eq!(b.script("return document.documentElement.lang"), json!("fr"));

        b.type_into("#name", "camille");
        b.type_into("#password", PASSWORD);
        b.click("form[action='/login'] button");
        b.wait_url("/search");

        b.type_into("#f-disk", "WD-BROWSER-0001");
        b.click("form[role=search] button");
        b.wait_url("disk=WD-BROWSER-0001");
        let results = b.source();
        assert!(results.contains("1 certificat(s)"), "{results}");
        b.screenshot(&format!("search-{size}"));

        b.click(&format!("a[href='/certificates/{id}']"));
        b.wait_url(&format!("/certificates/{id}"));
        let page = b.source();
        for expected in
            ["effacé et vérifié", "relu en entier après la dernière passe", "feuille n° 0 du journal"]
        {
            assert!(page.contains(expected), "{expected} in {page}");
        }
        b.screenshot(&format!("certificate-{size}"));

        // The PDF link, fetched with the browser's own session cookie.
        let href = b.attribute("a[href$='/pdf']", "href");
        let cookie = b.call("GET", "/cookie/sv_session", None);
        assert_eq!(cookie["httpOnly"], true, "{cookie}");
        assert_eq!(cookie["sameSite"], "Strict", "{cookie}");
        let url = if href.starts_with("http") { href } else { format!("{}{href}", reg.base) };
        let mut pdf = http()
            .get(&url)
            .header("Cookie", &format!("sv_session={}", cookie["value"].as_str().unwrap_or("")))
            .call()
            .expect("PDF");
        assert_eq!(pdf.status().as_u16(), 200);
        let bytes = pdf.body_mut().with_config().limit(10 << 20).read_to_vec().expect("PDF bytes");
        let file = artefacts_dir().join(format!("certificate-{size}.pdf"));
        std::fs::write(&file, &bytes).expect("write");
        let out = Command::new("pdftotext").arg(&file).arg("-").output();
        match out {
            Ok(out) => {
                let text =
                    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
                for expected in [id.as_str(), "WD-BROWSER-0001", "5XJ3K4J", &key.key_id(), "feuille n° 0"] {
                    assert!(text.contains(expected), "{expected} not in the PDF: {text}");
                }
            }
            Err(_) => {
                assert_ne!(std::env::var("SV_REQUIRE_BROWSER").as_deref(), Ok("1"), "pdftotext is missing")
            }
        }

        b.go(&format!("{}/flags", reg.base));
        assert!(b.source().contains("la machine n'a pas de numéro de série lisible"));
        b.screenshot(&format!("flags-{size}"));
        b.go(&format!("{}/lots/CD34-2026-017/report?lang=en", reg.base));
        assert!(b.source().contains("Units received: 2"), "{}", b.source());
        b.screenshot(&format!("lot-report-{size}"));
        b.go(&format!("{}/stations", reg.base));
        assert!(b.source().contains("test-station"));
        b.screenshot(&format!("stations-{size}"));
        b.go(&format!("{}/check?id={id}&lang=fr", reg.base));
        assert!(b.source().contains("est authentique"));
        b.screenshot(&format!("check-{size}"));

        // Log out through the header's form (it carries the session's CSRF token), then the
        // admin's page.
        b.go(&format!("{}/search", reg.base));
        b.click("form[action='/logout'] button");
        b.wait_url("/login");
        b.go(&format!("{}/search", reg.base));
        b.wait_url("/login");
        b.type_into("#name", "admin");
        b.type_into("#password", PASSWORD);
        b.click("form[action='/login'] button");
        b.wait_url("/search");
        b.go(&format!("{}/admin", reg.base));
        assert!(b.source().contains("camille"), "{}", b.source());
        b.screenshot(&format!("admin-{size}"));
    }
    eprintln!("screenshots in {}", artefacts_dir().display());
}

#[test]
fn a_supervisor_validates_a_certificate_in_the_browser() {
    if !browser_available() {
        return;
    }
    let reg = Registry::start("browser_validation", "sqlite");
    let key = SigningIdentity::from_seed(&[32; 32]);
    reg.enrol(&key);
    let cert =
        certificate::example::with_station_key(certificate::example::certificate("WD-VALID-0001"), &key);
    let id = cert.id.to_string();
    assert_eq!(reg.post(&key.sign(&cert).expect("signs").to_json_pretty()).0, 201);
    reg.add_user("camille", "supervisor", &[]);
    let b = Browser::start(1366, 768);
    b.go(&format!("{}/login", reg.base));
    b.type_into("#name", "camille");
    b.type_into("#password", PASSWORD);
    b.click("form[action='/login'] button");
    b.wait_url("/search");
    b.go(&format!("{}/certificates/{id}", reg.base));
    assert!(b.source().contains("Pas encore validé."));
    let unlabelled = b.script(
        "return [...document.querySelectorAll('#validation textarea, #validation input:not([type=hidden])')].filter(e => e.labels.length === 0).map(e => e.name)",
    );
    assert_eq!(unlabelled, json!([]), "every field of the form has a label");
    b.screenshot("validation-form-laptop");
    b.type_into("#password", PASSWORD);
    b.click("#validation button[value=validated]");
    b.wait_url("#validation");
    let page = b.source();
    for expected in ["Validé par un superviseur", "camille (superviseur)", "<dd>vérifiée</dd>"] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    assert!(!page.contains("button type=\"submit\" name=\"decision\""), "no form once decided");
    b.screenshot("validation-done-laptop");
}
