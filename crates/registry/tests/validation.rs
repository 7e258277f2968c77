//! A supervisor validates or rejects a certificate (issue 26, part 2), over real HTTP against
//! SQLite and PostgreSQL: the form's rules (password, CSRF, reason, role), one decision per
//! certificate, the page and the PDF (read back with pdftotext), the API, and the statement
//! checked offline by `registry verify --validation` with the account's own key, never the
//! registry's.

use certificate::{example, Probed, SigningIdentity};

mod common;
use common::*;

struct Client<'a> {
    reg: &'a Registry,
    cookie: String,
}

impl<'a> Client<'a> {
    fn login(reg: &'a Registry, name: &str) -> Self {
        let form = answer(agent().get(&format!("{}/login", reg.base)).call().expect("request"));
        let login_cookie = form.cookies.iter().find(|c| c.starts_with("sv_login=")).expect("login cookie");
        let login_cookie = login_cookie.split(';').next().expect("value").to_owned();
        let token = hidden(&form.text(), "login_csrf");
        let r = answer(
            agent()
                .post(&format!("{}/login", reg.base))
                .header("Cookie", &login_cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(form_encode(&[("login_csrf", &token), ("name", name), ("password", PASSWORD)]))
                .expect("request"),
        );
        assert_eq!(r.status, 303, "{name} logs in");
        let cookie = r
            .cookies
            .iter()
            .find(|c| c.starts_with("sv_session="))
            .map(|c| c.split(';').next().unwrap_or("").to_owned())
            .expect("session");
        Client { reg, cookie }
    }

    fn get(&self, path: &str) -> Answer {
        let req = agent().get(&format!("{}{path}", self.reg.base)).header("Cookie", &self.cookie);
        answer(req.call().expect("request"))
    }

    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let req = agent()
            .post(&format!("{}{path}", self.reg.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", &self.cookie);
        answer(req.send(form_encode(fields)).expect("request"))
    }

    fn csrf(&self) -> String {
        hidden(&self.get("/search").text(), "csrf")
    }

    /// Posts a decision on certificate `id` with this session's token.
    fn decide(&self, id: &str, decision: &str, reason: &str, password: &str) -> Answer {
        let csrf = self.csrf();
        self.post(
            &format!("/certificates/{id}/validation"),
            &[("csrf", &csrf), ("decision", decision), ("reason", reason), ("password", password)],
        )
    }
}

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

/// Posts a signed certificate; returns its id and the file.
fn ingest(reg: &Registry, key: &SigningIdentity, disk: &str) -> (String, Vec<u8>) {
    let mut cert = example::with_station_key(example::certificate(disk), key);
    cert.unit.serial = Probed::Value(format!("UNIT-{disk}"));
    cert.lot = Some("LOT-VAL".into());
    let id = cert.id.to_string();
    let file = key.sign(&cert).expect("signs").to_json_pretty();
    let (status, body) = reg.post(&file);
    assert_eq!(status, 201, "{body}");
    (id, file)
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
    Some(String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `registry verify CERT --validation V [--validator-key K]`: exit status and all output.
fn verify(
    reg: &Registry,
    cert: &std::path::Path,
    validation: &std::path::Path,
    key: Option<&str>,
) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_registry"));
    cmd.arg("verify").arg(cert).arg("--validation").arg(validation);
    if let Some(k) = key {
        cmd.args(["--validator-key", k]);
    }
    let out = cmd.current_dir(&reg.dir).output().expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `scripts/verify-certificate CERT --validation V`: exit code and all output. Fails if the
/// tools it needs are missing (./scripts/test installs them): never pass without checking.
fn independent(cert: &std::path::Path, validation: &std::path::Path) -> (i32, String) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/verify-certificate");
    let out = std::process::Command::new(&script)
        .arg(cert)
        .arg("--validation")
        .arg(validation)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let code = out.status.code().expect("exit code");
    assert_ne!(code, 2, "scripts/verify-certificate could not run (python3 rfc8785, openssl 3): {text}");
    (code, text)
}

#[test]
fn a_supervisor_validates_and_rejects_with_its_own_key() {
    for backend in backends() {
        validate_on(backend);
    }
}

fn validate_on(backend: &str) {
    let reg = Registry::start("validation", backend);
    let station = SigningIdentity::from_seed(&[61; 32]);
    reg.enrol(&station);
    let (good, good_file) = ingest(&reg, &station, "VAL-DISK-1");
    let (bad, _) = ingest(&reg, &station, "VAL-DISK-2");
    let out = reg.cli(&["lot", "assign", "LOT-VAL", "--donor", "Ville A"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    reg.add_user("camille", "supervisor", &[]);
    reg.add_user("villea", "donor", &["Ville A"]);
    let sup = Client::login(&reg, "camille");

    // Not decided yet: the page says so and offers the form.
    let page = sup.get(&format!("/certificates/{good}")).text();
    assert!(page.contains("Pas encore validé."), "{page}");
    assert!(page.contains("value=\"validated\"") && page.contains("Rejeter"), "{page}");
    assert!(page.contains("type=\"password\""), "{page}");
    assert_eq!(bearer(&reg, &reg.token, &format!("/api/v1/certificates/{good}/validation")).status, 404);

    // Without an account: the login page, or 401 for the API.
    let anonymous = Client { reg: &reg, cookie: String::new() };
    for path in ["/account".to_owned(), format!("/certificates/{good}/validation.json")] {
        let r = anonymous.get(&path);
        assert_eq!((r.status, r.location.as_str()), (303, "/login"), "GET {path}");
    }
    let r = anonymous.post(
        &format!("/certificates/{good}/validation"),
        &[("csrf", "x"), ("decision", "validated"), ("password", PASSWORD)],
    );
    assert_eq!((r.status, r.location.as_str()), (303, "/login"), "POST without a session");
    let r = answer(
        agent().get(&format!("{}/api/v1/certificates/{good}/validation", reg.base)).call().expect("request"),
    );
    assert_eq!(r.status, 401);

    // The rules of the form, each refused with a plain message, nothing recorded.
    let r = sup.decide(&bad, "rejected", "   ", PASSWORD);
    assert_eq!(r.status, 400, "a rejection without a reason");
    assert!(r.text().contains("Pour rejeter, écrivez le motif"), "{}", r.text());
    let r = sup.decide(&bad, "rejected", &"x".repeat(1001), PASSWORD);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("1001 caractères"), "{}", r.text());
    let r = sup.decide(&bad, "rejected", "voir\u{1b}[2J", PASSWORD);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("U+001B"), "{}", r.text());
    let r = sup.decide(&good, "validated", "", "not the password at all");
    assert_eq!(r.status, 403, "a wrong password");
    assert!(r.text().contains("pas celui de votre compte"), "{}", r.text());
    let r = sup.decide(&good, "validated", "", "");
    assert_eq!(r.status, 400, "no password");
    // CSRF: without the session's token, or with another session's.
    let r = sup.post(
        &format!("/certificates/{good}/validation"),
        &[("decision", "validated"), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 403, "no CSRF token");
    let admin = Client::login(&reg, "admin");
    let other = admin.csrf();
    let r = sup.post(
        &format!("/certificates/{good}/validation"),
        &[("csrf", &other), ("decision", "validated"), ("password", PASSWORD)],
    );
    assert_eq!(r.status, 403, "another session's token");
    // A donor sees its certificate but cannot decide on it.
    let donor = Client::login(&reg, "villea");
    let donor_page = donor.get(&format!("/certificates/{good}")).text();
    assert!(!donor_page.contains("value=\"validated\""), "the donor gets no form");
    let r = donor.decide(&good, "validated", "", PASSWORD);
    assert_eq!(r.status, 403, "a donor validates: {}", r.text());
    // No key was made by the refused attempts: `user key` would need the password to make one.
    let out = reg.cli(&["user", "key", "--name", "camille"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no password"));
    assert_eq!(bearer(&reg, &reg.token, &format!("/api/v1/certificates/{good}/validation")).status, 404);

    // The search by decision: both wait.
    let pending = sup.get("/search?validation=pending").text();
    assert!(pending.contains(&good) && pending.contains(&bad), "{pending}");
    assert!(!sup.get("/search?validation=validated").text().contains(&good));
    assert_eq!(sup.get("/search?validation=maybe").status, 400);

    // Validate one, reject the other with its reason.
    let r = sup.decide(&good, "validated", "", PASSWORD);
    assert_eq!((r.status, r.location.as_str()), (303, format!("/certificates/{good}#validation").as_str()));
    let r = sup.decide(&bad, "rejected", "Disque 2 : relecture partielle.\r\nÀ refaire.", PASSWORD);
    assert_eq!(r.status, 303, "{}", r.text());
    // Decided once: a second decision on either is 409, whoever makes it.
    let r = sup.decide(&good, "rejected", "changed my mind", PASSWORD);
    assert_eq!(r.status, 409);
    assert!(r.text().contains("déjà une décision"), "{}", r.text());
    assert_eq!(admin.decide(&bad, "validated", "", PASSWORD).status, 409);

    let search = |filter: &str| sup.get(&format!("/search?validation={filter}")).text();
    assert!(!search("pending").contains(&good) && !search("pending").contains(&bad));
    assert!(search("validated").contains(&good) && !search("validated").contains(&bad));
    assert!(search("rejected").contains(&bad) && !search("rejected").contains(&good));
    assert!(sup.get("/search.csv?validation=rejected").text().contains(&bad));

    // The account's key: one, shown by the CLI, on /account and on /admin, not the registry's.
    let out = reg.cli(&["user", "key", "--name", "camille"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    let key_id = shown
        .lines()
        .find_map(|l| l.strip_prefix("key id: "))
        .unwrap_or_else(|| panic!("no key id in {shown}"))
        .to_owned();
    assert_eq!(key_id.len(), 64);
    assert!(sup.get("/account").text().contains(&key_id), "/account shows the key id");
    assert!(admin.get("/admin").text().contains(&key_id), "/admin shows the key id");
    let registry_key = std::fs::read(reg.dir.join("registry.key")).expect("registry key");
    let registry_id =
        SigningIdentity::from_seed(&registry_key.as_slice().try_into().expect("32-byte seed")).key_id();
    assert_ne!(key_id, registry_id, "the validator's key is not the registry's");
    assert_ne!(key_id, station.key_id());

    // The page, for the supervisor and for the donor: who, role, when, decision, reason, key, "vérifiée".
    for (who, client) in [("supervisor", &sup), ("donor", &donor)] {
        let page = client.get(&format!("/certificates/{good}")).text();
        assert!(page.contains("Validé par un superviseur"), "{who}: {page}");
        assert!(page.contains("camille (superviseur"), "{who}: {page}");
        assert!(page.contains(&key_id), "{who}");
        assert!(page.contains("<dd>vérifiée</dd>"), "{who}: {page}");
        assert!(!page.contains("value=\"validated\""), "{who}: no form once decided");
    }
    let page = sup.get(&format!("/certificates/{bad}?lang=en")).text();
    assert!(page.contains("Rejected by a supervisor"), "{page}");
    assert!(page.contains("Disque 2 : relecture partielle.\nÀ refaire."), "{page}");
    assert!(page.contains("<dd>verified</dd>"), "{page}");

    // The PDF carries the same lines.
    let pdf = sup.get(&format!("/certificates/{bad}/pdf"));
    assert_eq!(pdf.status, 200);
    if let Some(text) = pdftotext(&pdf.body, &reg.dir, "rejected.pdf") {
        for line in [
            "Décision : Rejeté par un superviseur",
            "Par : camille (superviseur",
            "Motif : Disque 2 : relecture partielle.",
            "À refaire.",
            "Signature du validateur : vérifiée",
        ] {
            assert!(text.contains(line), "the PDF lacks {line:?}: {text}");
        }
        assert!(text.contains(&key_id), "{text}");
    }

    // The API: a Link from the certificate, the statement at its own address.
    let api = bearer(&reg, &reg.token, &format!("/api/v1/certificates/{good}"));
    assert_eq!(api.status, 200);
    assert_eq!(api.body, good_file, "the certificate stays the file as received");
    let link = api.header("link").expect("a Link header");
    assert!(
        link.contains(&format!("/api/v1/certificates/{good}/validation")) && link.contains("validated"),
        "{link}"
    );
    let from_api = bearer(&reg, &reg.token, &format!("/api/v1/certificates/{good}/validation"));
    assert_eq!(from_api.status, 200, "{}", from_api.text());
    let donor_token = reg.token_for("villea");
    assert_eq!(bearer(&reg, &donor_token, &format!("/api/v1/certificates/{good}/validation")).status, 200);

    // Offline: the downloaded statement verifies against the certificate file with the
    // account's key, and fails when one byte of either changes.
    let download = donor.get(&format!("/certificates/{good}/validation.json"));
    assert_eq!(download.status, 200);
    let statement: serde_json::Value = serde_json::from_slice(&download.body).expect("json");
    let api_statement: serde_json::Value = serde_json::from_slice(&from_api.body).expect("json");
    assert_eq!(statement, api_statement);
    assert_eq!(statement["statement"]["schema"], "seconde-vie/validation/v1");
    assert_eq!(statement["statement"]["certificate_id"], good.as_str());
    assert_eq!(statement["statement"]["validator"]["key_id"], key_id.as_str());
    assert_eq!(statement["signature"]["keyid"], key_id.as_str());
    let cert_path = reg.dir.join("good.json");
    let val_path = reg.dir.join("good.validation.json");
    std::fs::write(&cert_path, &good_file).expect("write");
    std::fs::write(&val_path, &download.body).expect("write");
    let (ok, text) = verify(&reg, &cert_path, &val_path, Some(&key_id));
    assert!(ok, "{text}");
    assert!(
        text.contains("validated by camille (supervisor)") && text.contains("the expected one"),
        "{text}"
    );
    let (ok, text) = verify(&reg, &cert_path, &val_path, Some(&station.key_id()));
    assert!(!ok && text.contains("not the expected"), "another key is refused: {text}");
    // And with Python and OpenSSL only (scripts/verify-certificate --validation).
    let (code, text) = independent(&cert_path, &val_path);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("OK: validated by camille (supervisor)"), "{text}");
    // One byte of the statement: the decision's date.
    let at = statement["statement"]["at"].as_str().expect("at").to_owned();
    let mut changed_at = at.clone().into_bytes();
    let i = changed_at.iter().rposition(u8::is_ascii_digit).expect("a digit");
    changed_at[i] = if changed_at[i] == b'9' { b'8' } else { changed_at[i] + 1 };
    let tampered = download.text().replace(&at, std::str::from_utf8(&changed_at).expect("utf-8"));
    std::fs::write(&val_path, tampered).expect("write");
    let (ok, text) = verify(&reg, &cert_path, &val_path, None);
    assert!(!ok && text.contains("does not match the statement"), "{text}");
    let (code, text) = independent(&cert_path, &val_path);
    assert!(code == 1 && text.contains("does not match the statement"), "{text}");
    // One byte of the certificate, re-signed by the station so that the certificate itself
    // verifies: the statement names other bytes.
    std::fs::write(&val_path, &download.body).expect("write");
    let mut doc = certificate::SignedDocument::from_json(&good_file).expect("parses");
    let operator = doc.certificate["operator"].as_str().expect("operator").to_owned();
    let mut changed: Vec<u8> = operator.clone().into_bytes();
    changed[0] ^= 0x01;
    doc.certificate["operator"] = String::from_utf8(changed).expect("utf-8").into();
    let c: certificate::Certificate = serde_json::from_value(doc.certificate.clone()).expect("typed");
    std::fs::write(&cert_path, station.sign(&c).expect("signs").to_json_pretty()).expect("write");
    let (ok, text) = verify(&reg, &cert_path, &val_path, None);
    assert!(!ok && text.contains("changed after the decision"), "{text}");
    let (code, text) = independent(&cert_path, &val_path);
    assert!(code == 1 && text.contains("changed after the decision"), "{text}");
}

#[test]
fn a_new_password_retires_the_key_and_past_decisions_still_verify() {
    let reg = Registry::start("validation_password", "sqlite");
    let station = SigningIdentity::from_seed(&[62; 32]);
    reg.enrol(&station);
    let (first, _) = ingest(&reg, &station, "PW-DISK-1");
    let (second, _) = ingest(&reg, &station, "PW-DISK-2");
    reg.add_user("dominique", "admin", &[]);
    let client = Client::login(&reg, "dominique");
    assert_eq!(client.decide(&first, "validated", "", PASSWORD).status, 303);
    let key_of = || {
        let out = reg.cli(&["user", "key", "--name", "dominique", "--password-file", "/dev/null"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("key id: ").map(str::to_owned))
    };
    let old = key_of().expect("a key after the first validation");
    let file = reg.dir.join("new.password");
    std::fs::write(&file, "une autre phrase de passe\n").expect("write");
    let out = reg.cli(&["user", "password", "dominique", "--password-file", &file.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(key_of(), None, "the old key is retired; `user key` needs the password to make one");
    // `registry user key` makes the new key with the new password.
    let out =
        reg.cli(&["user", "key", "--name", "dominique", "--password-file", &file.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let new = key_of().expect("a new key");
    assert_ne!(old, new);
    // A new session (the old one ended with the password), the new key signs.
    let login = answer(agent().get(&format!("{}/login", reg.base)).call().expect("request"));
    let login_cookie = login.cookies.iter().find(|c| c.starts_with("sv_login=")).expect("cookie");
    let r = answer(
        agent()
            .post(&format!("{}/login", reg.base))
            .header("Cookie", login_cookie.split(';').next().expect("value"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(form_encode(&[
                ("login_csrf", &hidden(&login.text(), "login_csrf")),
                ("name", "dominique"),
                ("password", "une autre phrase de passe"),
            ]))
            .expect("request"),
    );
    assert_eq!(r.status, 303);
    let cookie = r.cookies.iter().find(|c| c.starts_with("sv_session=")).expect("session");
    let client = Client { reg: &reg, cookie: cookie.split(';').next().expect("value").to_owned() };
    let csrf = client.csrf();
    let r = client.post(
        &format!("/certificates/{second}/validation"),
        &[("csrf", &csrf), ("decision", "validated"), ("password", "une autre phrase de passe")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let first_page = client.get(&format!("/certificates/{first}")).text();
    assert!(first_page.contains(&old) && first_page.contains("<dd>vérifiée</dd>"), "{first_page}");
    assert!(client.get(&format!("/certificates/{second}")).text().contains(&new));
}
