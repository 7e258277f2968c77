//! The web interface over real HTTP, against SQLite and PostgreSQL: who may see what, CSRF,
//! the flags, the CSV export, the PDFs (read back with pdftotext), the public check.

use certificate::{example, Probed, SanitizeResult, SigningIdentity, SmartVerdict, VerificationMode};

mod common;
use common::*;

/// A browser-like client: a cookie jar of one session.
struct Client<'a> {
    reg: &'a Registry,
    cookie: String,
}

impl<'a> Client<'a> {
    fn anonymous(reg: &'a Registry) -> Self {
        Client { reg, cookie: String::new() }
    }

    fn login(reg: &'a Registry, name: &str) -> Self {
        let c = Client::anonymous(reg);
        let (status, cookie) = c.try_login(name, PASSWORD);
        assert_eq!(status, 303, "{name} logs in");
        Client { reg, cookie }
    }

    /// Logs in through the form; returns the status and the session cookie.
    fn try_login(&self, name: &str, password: &str) -> (u16, String) {
        let form = self.get("/login");
        assert_eq!(form.status, 200);
        let login_cookie = form.cookies.iter().find(|c| c.starts_with("sv_login=")).expect("login cookie");
        let login_cookie = login_cookie.split(';').next().expect("value").to_owned();
        let token = hidden(&form.text(), "login_csrf");
        let r = answer(
            agent()
                .post(&format!("{}/login", self.reg.base))
                .header("Cookie", &login_cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(form_encode(&[("login_csrf", &token), ("name", name), ("password", password)]))
                .expect("request"),
        );
        let session = r
            .cookies
            .iter()
            .find(|c| c.starts_with("sv_session="))
            .map(|c| c.split(';').next().unwrap_or("").to_owned())
            .unwrap_or_default();
        if r.status == 303 {
            let set = r.cookies.iter().find(|c| c.starts_with("sv_session=")).expect("session cookie");
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
                assert!(set.contains(attribute), "{set}");
            }
            // Served over plain HTTP, unless --secure-cookies says browsers use HTTPS.
            let behind_https = form.cookies.iter().any(|c| c.contains("; Secure"));
            assert_eq!(set.contains("; Secure"), behind_https, "{set}");
        }
        (r.status, session)
    }

    fn get(&self, path: &str) -> Answer {
        let mut req = agent().get(&format!("{}{path}", self.reg.base));
        if !self.cookie.is_empty() {
            req = req.header("Cookie", &self.cookie);
        }
        answer(req.call().expect("request"))
    }

    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut req = agent()
            .post(&format!("{}{path}", self.reg.base))
            .header("Content-Type", "application/x-www-form-urlencoded");
        if !self.cookie.is_empty() {
            req = req.header("Cookie", &self.cookie);
        }
        answer(req.send(form_encode(fields)).expect("request"))
    }

    /// This session's CSRF token, from a page's forms.
    fn csrf(&self) -> String {
        hidden(&self.get("/search").text(), "csrf")
    }
}

/// The value of a hidden field.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} field in {html}")) + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

fn bearer(reg: &Registry, token: &str, path: &str) -> Answer {
    answer(
        agent()
            .get(&format!("{}{path}", reg.base))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("request"),
    )
}

/// Posts a signed certificate; returns its id.
fn ingest(reg: &Registry, key: &SigningIdentity, cert: certificate::Certificate) -> String {
    let id = cert.id.to_string();
    let (status, body) = reg.post(&key.sign(&cert).expect("signs").to_json_pretty());
    assert_eq!(status, 201, "{body}");
    id
}

fn in_lot(disk: &str, unit: &str, lot: &str, key: &SigningIdentity) -> certificate::Certificate {
    let mut c = example::with_station_key(example::certificate(disk), key);
    c.unit.serial = Probed::Value(unit.into());
    c.lot = Some(lot.into());
    c
}

#[test]
fn without_authentication_only_the_public_endpoints_answer() {
    for backend in backends() {
        unauthenticated_on(backend);
    }
}

fn unauthenticated_on(backend: &str) {
    let reg = Registry::start("web_anon", backend);
    let key = SigningIdentity::from_seed(&[21; 32]);
    reg.enrol(&key);
    let id = ingest(&reg, &key, in_lot("ANON-DISK-1", "ANON-UNIT-1", "LOT-A", &key));
    let anon = Client::anonymous(&reg);
    for path in [
        "/".to_owned(),
        "/search?disk=ANON-DISK-1".to_owned(),
        "/search.csv".to_owned(),
        format!("/certificates/{id}"),
        format!("/certificates/{id}/pdf"),
        "/flags".to_owned(),
        "/lots".to_owned(),
        "/lots/LOT-A/report".to_owned(),
        "/lots/LOT-A/report.pdf".to_owned(),
        "/stations".to_owned(),
        "/admin".to_owned(),
    ] {
        let r = anon.get(&path);
        assert_eq!((r.status, r.location.as_str()), (303, "/login"), "GET {path}");
        assert!(!r.text().contains("ANON-DISK-1"), "{path} leaks");
    }
    for path in ["/stations/approve", "/stations/revoke", "/admin/users", "/admin/lots", "/logout"] {
        let r = anon.post(path, &[("csrf", "x"), ("station", "test-station"), ("name", "eve")]);
        assert_eq!((r.status, r.location.as_str()), (303, "/login"), "POST {path}");
    }
    for path in [format!("/api/v1/certificates/{id}"), "/api/v1/disks/ANON-DISK-1".to_owned()] {
        let r = anon.get(&path);
        assert_eq!(r.status, 401, "{path}: {}", r.text());
        assert!(r.text().contains("unauthenticated"));
        let forged = bearer(&reg, "sv_not-a-real-token", &path);
        assert_eq!(forged.status, 401, "{path} with a made-up token");
    }
    // A made-up session cookie is no session.
    let forged = Client { reg: &reg, cookie: "sv_session=forged".into() };
    assert_eq!(forged.get("/search").status, 303);

    // The public endpoints.
    for path in
        ["/api/v1/log/checkpoint", "/api/v1/log/key", "/healthz", "/login", "/check", "/static/web.css"]
    {
        assert_eq!(anon.get(path).status, 200, "{path}");
    }
    let check = anon.get(&format!("/check?id={id}"));
    assert_eq!(check.status, 200);
    let text = check.text();
    assert!(text.contains("est authentique"), "{text}");
    assert!(text.contains("feuille n° 0 du journal"), "{text}");
    for private in ["ANON-DISK-1", "ANON-UNIT-1", "LOT-A", "Camille"] {
        assert!(!text.contains(private), "the public check shows {private}");
    }
    let unknown = anon.get("/check?id=01900000-0000-7000-8000-000000000000&lang=en");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("No certificate numbered"), "{}", unknown.text());
    assert!(unknown.text().contains("<html lang=\"en\">"));
    assert!(unknown.cookies.iter().any(|c| c.starts_with("sv_lang=en")), "{:?}", unknown.cookies);
}

#[test]
fn roles_csrf_and_donor_boundaries() {
    for backend in backends() {
        roles_on(backend);
    }
}

fn roles_on(backend: &str) {
    let reg = Registry::start("web_roles", backend);
    let key = SigningIdentity::from_seed(&[22; 32]);
    reg.enrol(&key);
    let mine = ingest(&reg, &key, in_lot("MINE-DISK", "MINE-UNIT", "CD34-2026-017", &key));
    let theirs = ingest(&reg, &key, in_lot("THEIR-DISK", "THEIR-UNIT", "VILLE-B-1", &key));
    for (lot, donor) in [("CD34-2026-017", "Département de l'Hérault"), ("VILLE-B-1", "Ville B")] {
        let out = reg.cli(&["lot", "assign", lot, "--donor", donor]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    reg.add_user("herault", "donor", &["Département de l'Hérault"]);
    reg.add_user("camille", "supervisor", &[]);
    // A donor account must name its donor; a supervisor must not.
    let bad = reg.cli(&["user", "add", "--name", "x", "--role", "donor", "--password-file", "/dev/null"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no password"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    // The donor, with an API token: its own certificate, not the other donor's.
    let token = reg.token_for("herault");
    assert_eq!(bearer(&reg, &token, &format!("/api/v1/certificates/{mine}")).status, 200);
    assert_eq!(bearer(&reg, &token, &format!("/api/v1/certificates/{theirs}")).status, 404);
    let history = bearer(&reg, &token, "/api/v1/disks/THEIR-DISK").text();
    assert!(history.contains("\"certificates\":[]"), "{history}");

    // The donor, in the browser.
    let donor = Client::login(&reg, "herault");
    let search = donor.get("/search").text();
    assert!(search.contains("MINE-UNIT") && !search.contains("THEIR-UNIT"), "{search}");
    let csv = donor.get("/search.csv").text();
    assert!(csv.contains(&mine) && !csv.contains(&theirs), "{csv}");
    assert_eq!(donor.get(&format!("/certificates/{mine}")).status, 200);
    for path in [
        format!("/certificates/{theirs}"),
        format!("/certificates/{theirs}/pdf"),
        "/lots/VILLE-B-1/report".to_owned(),
        "/lots/VILLE-B-1/report.pdf".to_owned(),
    ] {
        let r = donor.get(&path);
        assert_eq!(r.status, 404, "the donor sees {path}");
        assert!(!r.text().contains("THEIR-UNIT"));
    }
    assert_eq!(donor.get("/lots/CD34-2026-017/report").status, 200);
    let lots = donor.get("/lots").text();
    assert!(lots.contains("CD34-2026-017") && !lots.contains("VILLE-B-1"), "{lots}");
    for path in ["/flags", "/stations", "/admin"] {
        assert_eq!(donor.get(path).status, 403, "donor on {path}");
    }

    // The supervisor audits but does not manage accounts.
    let sup = Client::login(&reg, "camille");
    assert_eq!(sup.get(&format!("/certificates/{theirs}")).status, 200);
    assert_eq!(sup.get("/flags").status, 200);
    assert_eq!(sup.get("/stations").status, 200);
    assert_eq!(sup.get("/admin").status, 403);
    let csrf = sup.csrf();
    let r = sup
        .post("/admin/users", &[("csrf", &csrf), ("name", "eve"), ("role", "admin"), ("password", PASSWORD)]);
    assert_eq!(r.status, 403, "a supervisor creates an account: {}", r.text());
    assert_eq!(Client::anonymous(&reg).try_login("eve", PASSWORD).0, 401);

    // CSRF: a form without the session's token, or with another session's, is refused.
    let r = sup.post("/stations/revoke", &[("station", "test-station")]);
    assert_eq!(r.status, 403, "no token");
    let other = Client::login(&reg, "admin").csrf();
    let r = sup.post("/stations/revoke", &[("csrf", &other), ("station", "test-station")]);
    assert_eq!(r.status, 403, "another session's token");
    assert!(r.text().contains("jeton anti-falsification"), "{}", r.text());
    assert!(!reg.cli(&["station", "list"]).stdout.is_empty());
    assert!(String::from_utf8_lossy(&reg.cli(&["station", "list"]).stdout).contains("approved"));
    let r = sup.post("/stations/revoke", &[("csrf", &csrf), ("station", "test-station")]);
    assert_eq!((r.status, r.location.as_str()), (303, "/stations"));

    // A station asks to enrol; the supervisor approves it on the stations page by its code.
    let newcomer = SigningIdentity::from_seed(&[24; 32]);
    let mut asked = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .post(&format!("{}/api/v1/stations/enrol", reg.base))
        .send_json(serde_json::json!({"public_key": newcomer.public_key_base64(), "name": "atelier-9"}))
        .expect("enrol");
    let asked: serde_json::Value = asked.body_mut().read_json().expect("json");
    let code = asked["enrolment_code"].as_str().expect("code").to_owned();
    let page = sup.get("/stations").text();
    assert!(page.contains(&code) && page.contains("atelier-9"), "{page}");
    let wrong = sup.post("/stations/approve", &[("csrf", &csrf), ("code", "AAAA-AAAA")]);
    assert_eq!(wrong.status, 404, "{}", wrong.text());
    let approved = sup.post("/stations/approve", &[("csrf", &csrf), ("code", &code)]);
    assert_eq!(approved.status, 303, "{}", approved.text());
    ingest(&reg, &newcomer, in_lot("NEWCOMER-DISK", "NEWCOMER-UNIT", "CD34-2026-017", &newcomer));
    assert!(String::from_utf8_lossy(&reg.cli(&["station", "list"]).stdout).contains("revoked"));

    // The admin creates an account and gives a lot from the web.
    let admin = Client::login(&reg, "admin");
    let csrf = admin.csrf();
    let forged = admin.post(
        "/admin/users",
        &[("csrf", "forged"), ("name", "eve"), ("role", "supervisor"), ("password", PASSWORD)],
    );
    assert_eq!(forged.status, 403);
    let short = admin.post(
        "/admin/users",
        &[("csrf", &csrf), ("name", "eve"), ("role", "supervisor"), ("password", "short")],
    );
    assert_eq!(short.status, 400);
    assert!(short.text().contains("at least 12"), "{}", short.text());
    let ok = admin.post(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("name", "ville"),
            ("role", "donor"),
            ("donors", "Ville B"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.text());
    let ville = Client::login(&reg, "ville");
    assert_eq!(ville.get(&format!("/certificates/{theirs}")).status, 200);
    assert_eq!(ville.get(&format!("/certificates/{mine}")).status, 404);
    let moved = admin.post("/admin/lots", &[("csrf", &csrf), ("lot", "CD34-2026-017"), ("donor", "Ville B")]);
    assert_eq!(moved.status, 303);
    assert_eq!(ville.get(&format!("/certificates/{mine}")).status, 200, "the lot now belongs to Ville B");
    assert_eq!(donor.get(&format!("/certificates/{mine}")).status, 404);

    // Logout ends the session.
    let csrf = ville.csrf();
    assert_eq!(ville.post("/logout", &[("csrf", &csrf)]).status, 303);
    assert_eq!(ville.get("/search").status, 303);

    // Wrong passwords slow the next attempts down, but never lock the account: the right
    // password still opens it (issue 23: anyone could keep an account locked out).
    let anon = Client::anonymous(&reg);
    assert_eq!(anon.try_login("camille", "wrong password").0, 401);
    assert_eq!(anon.try_login("nobody", PASSWORD).0, 401);
    let statuses: Vec<u16> = (0..6).map(|_| anon.try_login("camille", "wrong password").0).collect();
    assert_eq!(statuses, vec![401; 6]);
    assert_eq!(anon.try_login("camille", PASSWORD).0, 303);

    // A new password ends the sessions opened with the old one.
    let herault = Client::login(&reg, "herault");
    let file = reg.dir.join("new.password");
    std::fs::write(&file, "another long passphrase\n").expect("write");
    let out = reg.cli(&["user", "password", "herault", "--password-file", &file.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(herault.get("/search").status, 303, "the old session ended");
    assert_eq!(Client::anonymous(&reg).try_login("herault", PASSWORD).0, 401);
    assert_eq!(Client::anonymous(&reg).try_login("herault", "another long passphrase").0, 303);

    // Removing an account ends its sessions and tokens; a token can also be revoked alone.
    let ville = Client::login(&reg, "ville");
    let ville_token = reg.token_for("ville");
    let theirs_api = format!("/api/v1/certificates/{theirs}");
    assert_eq!(bearer(&reg, &ville_token, &theirs_api).status, 200);
    let csrf = admin.csrf();
    assert_eq!(admin.post("/admin/users/remove", &[("csrf", &csrf), ("name", "admin")]).status, 400);
    assert_eq!(admin.post("/admin/users/remove", &[("csrf", "forged"), ("name", "ville")]).status, 403);
    assert_eq!(admin.post("/admin/users/remove", &[("csrf", &csrf), ("name", "ville")]).status, 303);
    assert_eq!(ville.get("/search").status, 303, "the removed account's session is gone");
    assert_eq!(bearer(&reg, &ville_token, &theirs_api).status, 401, "and its token");
    let listed = String::from_utf8_lossy(&reg.cli(&["token", "list"]).stdout).into_owned();
    let id = listed
        .lines()
        .find(|l| l.split('\t').nth(1) == Some("herault"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_else(|| panic!("herault's token in {listed}"))
        .to_owned();
    let revoked = reg.cli(&["token", "revoke", &id]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(bearer(&reg, &token, &format!("/api/v1/certificates/{mine}")).status, 401);
    let again = reg.cli(&["token", "revoke", &id]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("no API token has the id"));
}

#[test]
fn flags_csv_and_pdfs() {
    for backend in backends() {
        flags_csv_pdf_on(backend);
    }
}

fn pdftotext(bytes: &[u8], dir: &std::path::Path, name: &str) -> Option<String> {
    if std::process::Command::new("pdftotext").arg("-v").output().is_err() {
        assert_ne!(
            std::env::var("SV_REQUIRE_BROWSER").as_deref(),
            Ok("1"),
            "SV_REQUIRE_BROWSER=1 but pdftotext (poppler-utils) is missing"
        );
        eprintln!("SKIPPED the PDF text checks: pdftotext is missing (apt-get install poppler-utils)");
        return None;
    }
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    // Long lines wrap in the PDF: compare with runs of white space made one space.
    Some(String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" "))
}

fn flags_csv_pdf_on(backend: &str) {
    let reg = Registry::start("web_flags", backend);
    let key = SigningIdentity::from_seed(&[23; 32]);
    reg.enrol(&key);
    let mut clean_cert = in_lot("CLEAN-DISK", "CLEAN-UNIT", "CD34-2026-017", &key);
    let mut cpu =
        certificate::HardwareTest::new(certificate::HardwareTestKind::Cpu, certificate::CheckStatus::Pass);
    cpu.details.push("2 threads computed for 60 s".into());
    clean_cert.hardware_tests.push(cpu);
    let clean = ingest(&reg, &key, clean_cert);

    let mut skipped = in_lot("SKIP-DISK", "SKIP-UNIT", "CD34-2026-017", &key);
    let s = &mut skipped.disks[0].sanitization;
    s.result = SanitizeResult::NotVerified;
    s.verification.mode = VerificationMode::None;
    s.verification.bytes_verified = 0;
    skipped.disks[0].smart = Probed::Value(SmartVerdict::Failed);
    skipped.unit.serial = Probed::unavailable("the DMI table is empty");
    skipped.result = certificate::Outcome::from_disks(&skipped.disks);
    skipped.hardware_tests.push(certificate::HardwareTest::new(
        certificate::HardwareTestKind::Memory,
        certificate::CheckStatus::Fail,
    ));
    let skipped = ingest(&reg, &key, skipped);

    let mut quoted = in_lot("WD,\"TWICE\"", "QUOTE-UNIT", "CD34-2026-017", &key);
    quoted.grade = Some(serde_json::json!({"schema": "seconde-vie/grade/v1", "grade": "B", "reuse": true}));
    let first = ingest(&reg, &key, quoted.clone());
    let mut again = in_lot("WD,\"TWICE\"", "QUOTE-UNIT", "CD34-2026-017", &key);
    again.grade =
        Some(serde_json::json!({"schema": "seconde-vie/grade/v1", "grade": "recycling", "reuse": false}));
    again.finished_at = certificate::Timestamp::parse("2026-11-23T09:00:02.000Z").expect("time");
    let second = ingest(&reg, &key, again);

    let sup = {
        reg.add_user("camille", "supervisor", &[]);
        Client::login(&reg, "camille")
    };
    let flags = sup.get("/flags?lang=en").text();
    assert!(flags.contains("disk SKIP-DISK was not verified"), "{flags}");
    assert!(flags.contains("disk SKIP-DISK predicts its own failure (SMART)"), "{flags}");
    assert!(flags.contains("the unit has no readable serial number"), "{flags}");
    assert!(flags.contains("disk WD,&quot;TWICE&quot; appears in 2 certificates"), "{flags}");
    assert!(flags.contains("the hardware test \u{201c}memory\u{201d} failed"), "{flags}");
    assert!(flags.contains("6 flag(s) to look at."), "{flags}");
    assert!(!flags.contains(&format!("/certificates/{clean}\"")), "a clean certificate is not flagged");
    let out = reg.cli(&["station", "revoke", "test-station"]);
    assert!(out.status.success());
    let flags = sup.get("/flags?lang=en").text();
    assert!(flags.contains("the signing station has been revoked since"), "{flags}");
    assert!(flags.contains("10 flag(s) to look at."), "{flags}");

    // CSV of a search: one header, RFC 4180 quoting.
    let csv = sup.get("/search.csv?disk=WD%2C%22TWICE%22").text();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("certificate_id,finished_at,"), "{csv}");
    assert!(
        lines.iter().skip(1).all(|l| l.contains(",QUOTE-UNIT,\"WD,\"\"TWICE\"\"\",CD34-2026-017,")),
        "{csv}"
    );
    assert!(csv.contains(&first) && csv.contains(&second));
    let dated = sup.get("/search.csv?from=2026-11-24").text();
    assert_eq!(dated.split("\r\n").filter(|l| !l.is_empty()).count(), 1, "nothing after the 23rd: {dated}");
    let day = sup.get("/search.csv?from=2026-11-23&to=2026-11-23").text();
    assert_eq!(day.split("\r\n").filter(|l| !l.is_empty()).count(), 5, "{day}");
    let bad = sup.get("/search?to=23%2F11%2F2026");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("« to »"), "{}", bad.text());

    // The certificate page and its PDF.
    let page = sup.get(&format!("/certificates/{clean}?lang=en")).text();
    for expected in [
        "wiped and verified",
        "read back in full after the last pass: no difference found",
        "valid signature by station key",
        "leaf 0 of the log; its inclusion proof in the current tree of 4 leaves verifies",
        "Hardware tests run by the station",
        "<dt>Processor under load</dt><dd>passed — 2 threads computed for 60 s</dd>",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    // What an auditor needs to check without trusting the registry: the proof's address (which
    // answers) and the signed head.
    let start = page.find("/api/v1/log/proof/inclusion?").expect("the proof's link");
    let link = page[start..].split('"').next().expect("href").replace("&amp;", "&");
    let proof = sup.get(&link);
    assert_eq!(proof.status, 200, "{link}: {}", proof.text());
    assert!(proof.text().contains("\"tree_size\":4"), "{}", proof.text());
    assert!(page.contains(&format!("<pre>{}\n4\n", registry::DEFAULT_ORIGIN)), "the signed head in {page}");
    let pdf = sup.get(&format!("/certificates/{clean}/pdf"));
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with(b"%PDF-1.4"));
    if let Some(text) = pdftotext(&pdf.body, &reg.dir, "cert.pdf") {
        for expected in [
            "Certificat d'effacement des données".to_owned(),
            format!("Certificat n° {clean}"),
            "Numéro de série de la machine : CLEAN-UNIT".to_owned(),
            "Numéro de série du disque : CLEAN-DISK".to_owned(),
            "réécriture, méthode « zero » (NIST SP 800-88 Rev. 1, Clear), 1 passe(s)".to_owned(),
            "relu en entier après la dernière passe : aucune différence".to_owned(),
            format!("Clé de signature (identifiant) : {}", key.key_id()),
            "feuille n° 0 du journal".to_owned(),
            "de 4 feuilles est vérifiée".to_owned(),
            "Processeur sous charge : réussi".to_owned(),
            format!("{}/check?id={clean}", reg.base),
        ] {
            assert!(text.contains(&expected), "{expected:?} not in the PDF:\n{text}");
        }
    }

    // The donor's lot report: 3 units (the twice-wiped one counts once, by its latest run).
    let report = sup.get("/lots/CD34-2026-017/report.pdf");
    assert_eq!(report.status, 200);
    if let Some(text) = pdftotext(&report.body, &reg.dir, "lot.pdf") {
        for expected in [
            "Rapport du lot CD34-2026-017",
            "Machines reçues : 3",
            "Effacées et vérifiées : 2",
            "Réemployées : 0",
            "Recyclées (DEEE) : 1",
            "ADEME",
        ] {
            assert!(text.contains(expected), "{expected:?} not in the report:\n{text}");
        }
    }
    let html = sup.get("/lots/CD34-2026-017/report?lang=en").text();
    assert!(html.contains("Units received: 3"), "{html}");
    assert!(html.contains("librairie.ademe.fr"), "{html}");
    let _ = skipped;
}

#[test]
fn behind_https_cookies_are_secure_and_pdfs_link_to_the_public_address() {
    let mut reg = Registry::start("web_secure", "sqlite");
    let key = SigningIdentity::from_seed(&[25; 32]);
    reg.enrol(&key);
    let id = ingest(&reg, &key, in_lot("SECURE-DISK", "SECURE-UNIT", "LOT-S", &key));
    let _ = reg.child.kill();
    let _ = reg.child.wait();
    let (child, base) = Registry::spawn_with(
        &reg.dir,
        &reg.db,
        &["--secure-cookies", "--public-url", "https://registre.example.org/"],
    );
    reg.child = child;
    reg.base = base;
    let form = Client::anonymous(&reg).get("/login");
    let login_cookie = form.cookies.iter().find(|c| c.starts_with("sv_login=")).expect("cookie");
    assert!(login_cookie.contains("; Secure"), "{login_cookie}");
    let admin = Client::login(&reg, "admin");
    let pdf = admin.get(&format!("/certificates/{id}/pdf"));
    if let Some(text) = pdftotext(&pdf.body, &reg.dir, "secure.pdf") {
        assert!(text.contains(&format!("https://registre.example.org/check?id={id}")), "{text}");
    }
}

/// A certificate with everything décret 2022-190 asks for, and the standards members filled.
fn reconditioned(disk: &str, unit: &str, lot: &str, key: &SigningIdentity) -> certificate::Certificate {
    use certificate::{CheckResult, CheckStatus, Checks};
    let mut c = in_lot(disk, unit, lot, key);
    let pass = || CheckResult::new(CheckStatus::Pass);
    c.checks = Some(Checks {
        screen: pass(),
        keyboard: pass(),
        sound: pass(),
        usb: pass(),
        battery: CheckResult::new(CheckStatus::NotApplicable),
        cosmetic: None,
    });
    c.image = Some(serde_json::json!({
        "image": {"name": "Debian", "version": "12", "source": "/images/debian-12.img.zst"},
        "device": "/dev/sda",
        "verification": {"method": "bmap-ranges", "ranges_checked": 12, "bytes_read_back": 1048576, "result": "verified"},
    }));
    c.performed_by = Some(certificate::Performer {
        role: Some("opératrice de reconditionnement".into()),
        organisation: Some("ESAT Les Ateliers du Lez".into()),
        location: Some("Montpellier, atelier 2".into()),
        contact: None,
    });
    c.post_sanitization =
        Some(certificate::PostSanitization { destination: certificate::Destination::ExternalReuse });
    c.disks[0].media = Some(certificate::Media {
        kind: certificate::MediaType::Hdd,
        source: certificate::MediaSource::Computer,
        data_backup: certificate::DataBackup::Unknown,
    });
    c
}

#[test]
fn the_attestation_and_the_performer_are_on_the_page_the_pdf_and_the_lot_report() {
    let reg = Registry::start("web_attestation", "sqlite");
    let key = SigningIdentity::from_seed(&[26; 32]);
    reg.enrol(&key);
    let done = ingest(&reg, &key, reconditioned("RECOND-DISK", "RECOND-UNIT", "LOT-R", &key));
    let mut failed_keyboard = reconditioned("KEYB-DISK", "KEYB-UNIT", "LOT-R", &key);
    failed_keyboard.checks.as_mut().expect("checks").keyboard.status = certificate::CheckStatus::Fail;
    failed_keyboard.image = None;
    let not_yet = ingest(&reg, &key, failed_keyboard);
    let sup = {
        reg.add_user("dominique", "supervisor", &[]);
        Client::login(&reg, "dominique")
    };

    let page = sup.get(&format!("/certificates/{done}")).text();
    for expected in [
        "Reconditionné au sens du décret n° 2022-190 : toutes les fonctions testées, toutes les données effacées et vérifiées, système installé et vérifié.",
        "Repose sur : 4 fonctions testées (1 sans objet), disque RECOND-DISK effacé et vérifié, système Debian 12 installé et vérifié.",
        "<dt>Fonction</dt><dd>opératrice de reconditionnement</dd>",
        "<dt>Organisme</dt><dd>ESAT Les Ateliers du Lez</dd>",
        "<dt>Lieu</dt><dd>Montpellier, atelier 2</dd>",
        "<dt>Confidentialité après effacement</dt><dd>publique : aucune donnée du donateur ne reste</dd>",
        "<dt>Destination après effacement</dt><dd>réemploi externe (don, vente solidaire)</dd>",
        "<dt>Support</dt><dd>disque dur, dans l&#39;ordinateur, données sauvegardées : inconnu</dd>",
        "<dt>IEEE 2883</dt><dd>Clear — ATA Overwrite (WRITE commands)</dd>",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    let page = sup.get(&format!("/certificates/{not_yet}?lang=en")).text();
    assert!(
        page.contains("Not yet refurbished (reconditionné): the keyboard test failed; no system installed."),
        "{page}"
    );
    assert!(!page.contains("Refurbished (reconditionné) under"), "{page}");

    let pdf = sup.get(&format!("/certificates/{done}/pdf"));
    assert_eq!(pdf.status, 200);
    if let Some(text) = pdftotext(&pdf.body, &reg.dir, "attested.pdf") {
        for expected in [
            "Reconditionné au sens du décret n° 2022-190 : toutes les fonctions testées, toutes les données effacées et vérifiées, système installé et vérifié.",
            "Opérateur : Camille",
            "Fonction : opératrice de reconditionnement",
            "Organisme : ESAT Les Ateliers du Lez",
            "Destination après effacement : réemploi externe (don, vente solidaire)",
            "IEEE 2883 : Clear — ATA Overwrite (WRITE commands)",
        ] {
            assert!(text.contains(expected), "{expected:?} not in the PDF:\n{text}");
        }
    }
    let pdf = sup.get(&format!("/certificates/{not_yet}/pdf?lang=en"));
    if let Some(text) = pdftotext(&pdf.body, &reg.dir, "not-yet.pdf") {
        assert!(text.contains("Not yet refurbished (reconditionné): the keyboard test failed"), "{text}");
    }

    let report = sup.get("/lots/LOT-R/report.pdf");
    assert_eq!(report.status, 200);
    if let Some(text) = pdftotext(&report.body, &reg.dir, "lot-r.pdf") {
        assert!(text.contains("Effacées et vérifiées : 2"), "{text}");
        assert!(text.contains("Reconditionnées au sens du décret n° 2022-190 : 1"), "{text}");
    }
}
