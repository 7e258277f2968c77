//! A unit's life over real HTTP, against SQLite and PostgreSQL (docs/web.md, "A unit's life"):
//! the states from the certificates, the transitions by API and by the pages' forms, the
//! refusals (409), what a partner account sees and reserves, the case reference's refusal of
//! contacts, and the donor's lot report (HTML and PDF read back with pdftotext), which counts
//! units and never shows a case reference.

use certificate::{example, Probed, SanitizeResult, SigningIdentity};

mod common;
use common::*;

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} field in {html}")) + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

/// A logged-in browser session.
struct Session<'a> {
    reg: &'a Registry,
    cookie: String,
    /// Where the login sent the account.
    landed: String,
}

impl<'a> Session<'a> {
    fn login(reg: &'a Registry, name: &str) -> Self {
        let form = answer(agent().get(&format!("{}/login", reg.base)).call().expect("login form"));
        let login_cookie = form.cookies.iter().find(|c| c.starts_with("sv_login=")).expect("cookie");
        let login_cookie = login_cookie.split(';').next().expect("value").to_owned();
        let r = answer(
            agent()
                .post(&format!("{}/login", reg.base))
                .header("Cookie", &login_cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(form_encode(&[
                    ("login_csrf", &hidden(&form.text(), "login_csrf")),
                    ("name", name),
                    ("password", PASSWORD),
                ]))
                .expect("login"),
        );
        assert_eq!(r.status, 303, "{name} logs in: {}", r.text());
        let cookie = r.cookies.iter().find(|c| c.starts_with("sv_session=")).expect("session");
        Session { reg, cookie: cookie.split(';').next().expect("value").to_owned(), landed: r.location }
    }

    fn get(&self, path: &str) -> Answer {
        answer(
            agent()
                .get(&format!("{}{path}", self.reg.base))
                .header("Cookie", &self.cookie)
                .call()
                .expect("get"),
        )
    }

    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        answer(
            agent()
                .post(&format!("{}{path}", self.reg.base))
                .header("Cookie", &self.cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(form_encode(fields))
                .expect("post"),
        )
    }
}

fn api(reg: &Registry, token: &str, method: &str, path: &str, body: Option<serde_json::Value>) -> Answer {
    let url = format!("{}{path}", reg.base);
    let auth = format!("Bearer {token}");
    let r = match (method, body) {
        ("GET", _) => agent().get(&url).header("Authorization", &auth).call(),
        (_, body) => agent()
            .post(&url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(body.unwrap_or_default().to_string()),
    };
    answer(r.expect("request"))
}

fn ingest(reg: &Registry, key: &SigningIdentity, cert: certificate::Certificate) -> String {
    let id = cert.id.to_string();
    let (status, body) = reg.post(&key.sign(&cert).expect("signs").to_json_pretty());
    assert_eq!(status, 201, "{body}");
    id
}

fn unit(key: &SigningIdentity, serial: &str, grade: Option<&str>, imaged: bool) -> certificate::Certificate {
    let mut c = example::with_station_key(example::certificate(&format!("DISK-{serial}")), key);
    c.unit.serial = Probed::Value(serial.into());
    c.lot = Some("LOT-U".into());
    if imaged {
        c.image = Some(serde_json::json!({"bytes_written": 1 << 20, "verification": {"result": "verified"}}));
    }
    c.grade = grade.map(|g| serde_json::json!({"schema": "seconde-vie/grade/v1", "grade": g}));
    c
}

fn cli_ok(reg: &Registry, args: &[&str]) -> String {
    let out = reg.cli(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn add_partner_account(reg: &Registry, name: &str, partner: &str) {
    let file = reg.dir.join(format!("{name}.password"));
    std::fs::write(&file, format!("{PASSWORD}\n")).expect("write");
    let path = file.display().to_string();
    cli_ok(
        reg,
        &["user", "add", "--name", name, "--role", "partner", "--partner", partner, "--password-file", &path],
    );
}

fn pdftotext(bytes: &[u8], dir: &std::path::Path) -> Option<String> {
    if std::process::Command::new("pdftotext").arg("-v").output().is_err() {
        assert_ne!(std::env::var("SV_REQUIRE_BROWSER").as_deref(), Ok("1"), "pdftotext is missing");
        eprintln!("SKIPPED the PDF text checks: pdftotext is missing (apt-get install poppler-utils)");
        return None;
    }
    let path = dir.join("lot.pdf");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext");
    assert!(out.status.success());
    Some(String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" "))
}

#[test]
fn the_whole_life_of_a_unit_partners_and_the_donors_counts() {
    for backend in backends() {
        life_on(backend);
    }
}

fn life_on(backend: &str) {
    let reg = Registry::start("units", backend);
    let key = SigningIdentity::from_seed(&[26; 32]);
    reg.enrol(&key);
    let given_id = ingest(&reg, &key, unit(&key, "U-GIVEN", Some("B"), true));
    ingest(&reg, &key, unit(&key, "U-BACK", Some("A"), true));
    ingest(&reg, &key, unit(&key, "U-WEEE", Some("recycling"), true));
    let mut failed = unit(&key, "U-FAILED", Some("A"), true);
    failed.disks[0].sanitization.result = SanitizeResult::Failed;
    failed.result = certificate::Outcome::Failed;
    ingest(&reg, &key, failed);
    ingest(&reg, &key, unit(&key, "U-NOIMAGE", Some("A"), false));
    let mut race = unit(&key, "U-RACE", Some("C"), true);
    race.lot = Some("LOT-RACE".into());
    ingest(&reg, &key, race);
    cli_ok(&reg, &["unit", "receive", "--lot", "LOT-U", "U-HAND", "--by", "accueil"]);
    cli_ok(&reg, &["lot", "assign", "LOT-U", "--donor", "Ville de Sète"]);
    cli_ok(&reg, &["partner", "add", "CCAS Montpellier", "--kind", "ccas"]);
    cli_ok(&reg, &["partner", "add", "Mission locale Sète", "--kind", "mission locale"]);
    reg.add_user("camille", "supervisor", &[]);
    reg.add_user("ville", "donor", &["Ville de Sète"]);
    add_partner_account(&reg, "ccas", "CCAS Montpellier");
    add_partner_account(&reg, "ml", "Mission locale Sète");
    let sup = reg.token_for("camille");
    let ccas = reg.token_for("ccas");
    let ml = reg.token_for("ml");
    let donor = reg.token_for("ville");

    // The automatic states, from the certificates.
    let state = |serial: &str| {
        api(&reg, &sup, "GET", &format!("/api/v1/units/{serial}"), None).json()["state"].clone()
    };
    for (serial, want) in [
        ("U-GIVEN", "graded"),
        ("U-WEEE", "graded"),
        ("U-FAILED", "received"),
        ("U-NOIMAGE", "wiped"),
        ("U-HAND", "received"),
    ] {
        assert_eq!(state(serial), want, "{serial}");
    }

    // Illegal transitions are refused with their reason.
    let act = |token: &str, serial: &str, body: serde_json::Value| {
        api(&reg, token, "POST", &format!("/api/v1/units/{serial}/events"), Some(body))
    };
    let yearly = serde_json::json!({"action": "ready", "price": "yearly", "amount": "25"});
    for (serial, body, why) in [
        ("U-FAILED", yearly.clone(), "latest wipe failed"),
        ("U-NOIMAGE", yearly.clone(), "image"),
        ("U-WEEE", yearly.clone(), "not for reuse"),
        (
            "U-GIVEN",
            serde_json::json!({"action": "allocate", "partner": "CCAS Montpellier", "case_reference": "A-1", "programme": "rsa"}),
            "marked ready",
        ),
        ("U-GIVEN", serde_json::json!({"action": "return"}), "only an allocated unit"),
    ] {
        let r = act(&sup, serial, body);
        assert_eq!(r.status, 409, "{serial}: {}", r.text());
        assert!(r.json()["error"]["message"].as_str().unwrap_or("").contains(why), "{serial}: {}", r.text());
    }
    assert_eq!(act(&sup, "U-GIVEN", serde_json::json!({"action": "ready", "price": "yearly"})).status, 400);
    assert_eq!(act(&sup, "NO-SUCH-UNIT", yearly.clone()).status, 404);

    // Ready, at Drôme's 25 € a year and for free.
    let r = act(&sup, "U-GIVEN", yearly.clone());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["price"], serde_json::json!({"kind": "yearly", "cents": 2500}));
    assert_eq!(act(&sup, "U-BACK", serde_json::json!({"action": "ready", "price": "free"})).status, 200);
    assert_eq!(act(&sup, "U-GIVEN", yearly.clone()).status, 409, "ready twice");

    // A partner sees the ready units: what it needs to choose, never the lot or donor.
    let seen = api(&reg, &ccas, "GET", "/api/v1/units/U-GIVEN", None);
    assert_eq!(seen.status, 200, "{}", seen.text());
    let v = seen.json();
    assert_eq!(
        (v["state"].as_str(), v["grade"].as_str(), v["model"].as_str()),
        (Some("ready"), Some("B"), Some("OptiPlex 780"))
    );
    assert!(
        v.get("lot").is_none() && !seen.text().contains("LOT-U") && !seen.text().contains("events"),
        "{v}"
    );
    for path in [
        "/api/v1/units/U-FAILED".to_owned(),
        "/api/v1/units/U-HAND".to_owned(),
        format!("/api/v1/certificates/{given_id}"),
    ] {
        assert_eq!(api(&reg, &ccas, "GET", &path, None).status, 404, "the partner sees {path}");
    }
    let r = act(&ccas, "U-GIVEN", serde_json::json!({"action": "ready", "price": "free"}));
    assert_eq!(r.status, 403, "a partner only reserves: {}", r.text());

    // The partner, in the browser: it lands on its units and reserves one.
    let page = Session::login(&reg, "ccas");
    assert_eq!(page.landed, "/units");
    let units = page.get("/units");
    assert_eq!(units.status, 200);
    let html = units.text();
    assert!(html.contains("U-GIVEN") && html.contains("U-BACK") && html.contains("25,00 € par an"), "{html}");
    for hidden_unit in ["U-FAILED", "U-HAND", "U-WEEE", "LOT-U", "Ville de Sète"] {
        assert!(!html.contains(hidden_unit), "the partner sees {hidden_unit}");
    }
    let unit_page = page.get("/units/U-GIVEN").text();
    assert!(unit_page.contains("Jamais de nom"), "the form says never to type a name: {unit_page}");
    let csrf = hidden(&unit_page, "csrf");
    let reserve = |session: &Session, reference: &str, csrf: &str| {
        session.post(
            "/units/U-GIVEN/act",
            &[
                ("csrf", csrf),
                ("lot", ""),
                ("action", "allocate"),
                ("case_reference", reference),
                ("programme", "rsa"),
            ],
        )
    };
    for (contact, why) in
        [("06 12 34 56 78", "phone"), ("c.martin@example.org", "e-mail"), ("+33 6 12 34 56 78", "phone")]
    {
        let r = reserve(&page, contact, &csrf);
        assert_eq!(r.status, 400, "{contact}");
        assert!(r.text().contains(why), "{contact}: {}", r.text());
    }
    assert_eq!(reserve(&page, "DOS-2026-0042", "forged").status, 403, "CSRF");
    assert_eq!(state("U-GIVEN"), "ready", "nothing recorded by a refusal");
    // The lot is not needed (nor shown) for a serial known in one lot.
    let r = page.post(
        "/units/U-GIVEN/act",
        &[
            ("csrf", &csrf),
            ("action", "allocate"),
            ("case_reference", "DOS-2026-0042"),
            ("programme", "rsa"),
            ("partner", "Mission locale Sète"),
        ],
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/units/U-GIVEN"), "{}", r.text());
    let mine = page.get("/units").text();
    assert!(mine.contains("Vos attributions") && mine.contains("DOS-2026-0042"), "{mine}");
    let v = api(&reg, &sup, "GET", "/api/v1/units/U-GIVEN", None).json();
    assert_eq!(v["partner"], "CCAS Montpellier", "reserved for itself, whatever the form said: {v}");
    assert_eq!(v["state"], "allocated");
    assert_eq!(v["price"], serde_json::json!({"kind": "yearly", "cents": 2500}), "the price in force");

    // The other partner no longer sees it; nobody allocates it twice.
    assert_eq!(api(&reg, &ml, "GET", "/api/v1/units/U-GIVEN", None).status, 404);
    let twice = act(
        &sup,
        "U-GIVEN",
        serde_json::json!({"action": "allocate", "partner": "Mission locale Sète", "case_reference": "ML-1", "programme": "rsa"}),
    );
    assert_eq!(twice.status, 409);
    assert!(twice.text().contains("already allocated"), "{}", twice.text());
    let other = api(&reg, &ml, "GET", "/api/v1/units/U-BACK", None);
    assert!(!other.text().contains("DOS-2026-0042"));

    // A supervisor allocates, records a return and a recycling; the history keeps every step.
    let r = act(
        &sup,
        "U-BACK",
        serde_json::json!({"action": "allocate", "partner": "Mission locale Sète", "case_reference": "ML-77", "programme": "job_seekers"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(act(&sup, "U-BACK", serde_json::json!({"action": "return"})).status, 200);
    assert_eq!(act(&sup, "U-WEEE", serde_json::json!({"action": "recycle"})).status, 200);
    assert_eq!(act(&sup, "U-WEEE", serde_json::json!({"action": "recycle"})).status, 409);
    let history = api(&reg, &sup, "GET", "/api/v1/units/U-BACK", None).json();
    let steps: Vec<(&str, &str)> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["event"].as_str().unwrap_or(""), e["by"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(steps, vec![("ready", "camille"), ("allocated", "camille"), ("returned", "camille")]);
    assert_eq!(history["state"], "returned");

    // The supervisor's pages: the list by state and a unit's page with its history and forms.
    let camille = Session::login(&reg, "camille");
    let allocated = camille.get("/units?state=allocated").text();
    assert!(allocated.contains("U-GIVEN") && !allocated.contains("U-BACK"), "{allocated}");
    let page_given = camille.get("/units/U-GIVEN?lot=LOT-U").text();
    for want in ["DOS-2026-0042", "ccas", "camille", "Enregistrer son retour"] {
        assert!(page_given.contains(want), "{want} on the unit page: {page_given}");
    }
    let csrf = hidden(&page_given, "csrf");
    let refused =
        camille.post("/units/U-WEEE/act", &[("csrf", &csrf), ("lot", "LOT-U"), ("action", "recycle")]);
    assert_eq!(refused.status, 409);
    assert!(refused.text().contains("Refusé : elle a été recyclée"), "{}", refused.text());

    // The partner's role stops at its units.
    for path in ["/flags", "/stations", "/admin"] {
        assert_eq!(page.get(path).status, 403, "partner on {path}");
    }
    for path in [format!("/certificates/{given_id}"), "/lots/LOT-U/report".to_owned()] {
        assert_eq!(page.get(&path).status, 404, "partner on {path}");
    }
    assert!(!page.get("/lots").text().contains("LOT-U"));
    assert!(!page.get("/search").text().contains("U-GIVEN"));

    // Two partners reserving one unit at the same moment: one has it, the other is told why.
    assert_eq!(act(&sup, "U-RACE", serde_json::json!({"action": "ready", "price": "free"})).status, 200);
    let reserve =
        serde_json::json!({"action": "allocate", "case_reference": "RACE-1", "programme": "students"});
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let racers: Vec<_> = [&ccas, &ml]
            .into_iter()
            .map(|token| s.spawn(|| act(token, "U-RACE", reserve.clone()).status))
            .collect();
        racers.into_iter().map(|r| r.join().expect("racer")).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert!(sorted == [200, 404] || sorted == [200, 409], "one reservation wins: {statuses:?}");
    let raced = api(&reg, &sup, "GET", "/api/v1/units/U-RACE", None).json();
    assert_eq!(raced["events"].as_array().map(Vec::len), Some(2), "ready, one allocation: {raced}");

    // The donor: counts by destination, partner kind and programme; no case reference.
    assert_eq!(api(&reg, &donor, "GET", "/api/v1/units/U-GIVEN", None).status, 404);
    let ville = Session::login(&reg, "ville");
    assert_eq!(ville.get("/units").status, 403);
    let report = ville.get("/lots/LOT-U/report");
    assert_eq!(report.status, 200);
    let pdf = ville.get("/lots/LOT-U/report.pdf");
    assert_eq!(pdf.status, 200);
    let mut texts = vec![report.text()];
    texts.extend(pdftotext(&pdf.body, &reg.dir));
    for text in &texts {
        // The PDF's fonts have no subscript two: CO₂ is printed CO2.
        let text = &text.replace('₂', "2");
        for want in [
            "Données à des bénéficiaires : 1",
            "dont par un partenaire CCAS : 1",
            "dont pour le dispositif RSA : 1",
            "Remises au recyclage (DEEE) : 1",
            "Rendues par un partenaire : 1",
            "Encore à l'atelier : 3",
            "évité estimé : 27 kg CO2e par année d'utilisation (27 kg par machine donnée",
        ] {
            assert!(text.contains(want) || text.contains(&want.replace('\'', "&#39;")), "{want} in {text}");
        }
        for private in ["DOS-2026-0042", "ML-77", "CCAS Montpellier", "Mission locale Sète"] {
            assert!(!text.contains(private), "the donor's report shows {private}");
        }
    }
}

#[test]
fn migration_8_finds_the_units_of_a_registry_that_had_none() {
    for backend in backends() {
        migration_on(backend);
    }
}

/// A registry whose certificates were stored before migration 8: started again, it knows their
/// units, their states from the certificates.
fn migration_on(backend: &str) {
    let mut reg = Registry::start("units_migration", backend);
    let key = SigningIdentity::from_seed(&[27; 32]);
    reg.enrol(&key);
    ingest(&reg, &key, unit(&key, "M-GRADED", Some("A"), true));
    let mut failed = unit(&key, "M-FAILED", None, false);
    failed.disks[0].sanitization.result = SanitizeResult::Failed;
    failed.result = certificate::Outcome::Failed;
    ingest(&reg, &key, failed);
    let _ = reg.child.kill();
    let _ = reg.child.wait();
    // Back to migration 7: no units, no partners.
    let undo = "DROP TABLE unit_events; DROP TABLE units; ALTER TABLE users DROP COLUMN partner;
                DROP TABLE partners; DELETE FROM schema_migrations WHERE version = 8;";
    if backend == "postgres" {
        let mut db = postgres::Client::connect(&reg.db, postgres::NoTls).expect("connects");
        db.batch_execute(undo).expect("back to migration 7");
    } else {
        rusqlite::Connection::open(&reg.db).expect("db").execute_batch(undo).expect("back to migration 7");
    }
    reg.restart();
    let v = |serial: &str| api(&reg, &reg.token, "GET", &format!("/api/v1/units/{serial}"), None).json();
    assert_eq!(v("M-GRADED")["state"], "graded", "{backend}");
    assert_eq!(v("M-FAILED")["state"], "received", "{backend}");
    assert_eq!(v("M-GRADED")["lot"], "LOT-U");
}
