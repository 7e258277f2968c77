//! The pages: each handler checks the account's role (and a form's CSRF token) first, then reads
//! the store and writes HTML through [`Html`], which escapes every value.

use std::collections::HashMap;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use certificate::{
    Category, Certificate, Coverage, SanitizeRecord, SanitizeResult, SignedDocument, Technique,
    VerificationMode,
};

use super::auth::{self, Credential};
use super::html::{url_encode, Html};
use super::i18n::{fill, tr, Lang};
use super::report::{self, LotReport};
use super::{flags, pdf, run, scope, visible_certificate, Ctx, WebError};
use crate::api::AppState;
use crate::store::{CertificateRow, Role, SearchQuery, Station, Store};

const ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Donor];
const AUDITORS: &[Role] = &[Role::Admin, Role::Supervisor];
const ADMINS: &[Role] = &[Role::Admin];

/// Rows a search page shows; the CSV export has no limit.
const PAGE_ROWS: u64 = 200;

type FormData = HashMap<String, String>;

fn html_response(status: StatusCode, h: Html) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], h.finish()).into_response()
}

fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// Opens the document: doctype, `lang`, title, stylesheet.
pub fn head(h: &mut Html, lang: Lang, title: &str) {
    h.raw("<!doctype html>\n<html lang=\"")
        .text(lang.code())
        .raw("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
        .text(title)
        .raw(" — Seconde Vie</title><link rel=\"stylesheet\" href=\"/static/web.css\"></head><body>");
}

/// Head, skip link, header with navigation for the account's role, language switch and logout,
/// then `<main>` with the page's `<h1>`.
fn shell(h: &mut Html, ctx: &Ctx, title: &str) {
    let l = ctx.lang;
    head(h, l, title);
    h.raw("<a class=\"skip\" href=\"#main\">")
        .text(tr(l, "skip"))
        .raw("</a><header><p class=\"brand\">Seconde Vie — ")
        .text(tr(l, "registry"))
        .raw("</p>");
    if let Some(p) = &ctx.principal {
        h.raw("<nav aria-label=\"").text(tr(l, "nav")).raw("\"><ul>");
        let mut link = |href: &'static str, key: &str| {
            h.raw("<li><a href=\"").raw(href).raw("\">").text(tr(l, key)).raw("</a></li>");
        };
        link("/search", "nav_search");
        link("/lots", "nav_lots");
        if AUDITORS.contains(&p.user.role) {
            link("/flags", "nav_flags");
            link("/stations", "nav_stations");
        }
        if p.user.role == Role::Admin {
            link("/admin", "nav_admin");
        }
        link("/check", "nav_check");
        h.raw("</ul></nav><p class=\"who\">")
            .text(&p.user.name)
            .raw(" (")
            .text(tr(l, role_key(p.user.role)))
            .raw(")</p><form method=\"post\" action=\"/logout\" class=\"inline\">");
        csrf_field(h, p.csrf());
        h.raw("<button type=\"submit\">").text(tr(l, "logout")).raw("</button></form>");
    }
    match l {
        Lang::Fr => {
            h.raw("<p class=\"lang\"><a href=\"?lang=en\" hreflang=\"en\" lang=\"en\">English</a></p>")
        }
        Lang::En => {
            h.raw("<p class=\"lang\"><a href=\"?lang=fr\" hreflang=\"fr\" lang=\"fr\">Français</a></p>")
        }
    };
    h.raw("</header><main id=\"main\"><h1>").text(title).raw("</h1>");
}

fn end(h: &mut Html) {
    h.raw("</main></body></html>");
}

fn csrf_field(h: &mut Html, token: &str) {
    h.raw("<input type=\"hidden\" name=\"csrf\" value=\"").text(token).raw("\">");
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role_admin",
        Role::Supervisor => "role_supervisor",
        Role::Donor => "role_donor",
    }
}

/// The certificate inside a stored document (not verified: for lists; the certificate page and
/// the PDF verify).
fn parse(document: &str) -> Option<Certificate> {
    let doc = SignedDocument::from_json(document.as_bytes()).ok()?;
    serde_json::from_value(doc.certificate).ok()
}

pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("web.css")).into_response()
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    run(state, headers, q, |_, ctx| {
        Ok(if ctx.principal.is_some() { redirect("/search") } else { redirect("/login") })
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Login and logout

fn login_html(ctx: &Ctx, token: &str, error: Option<&str>) -> Html {
    let l = ctx.lang;
    let mut h = Html::new();
    shell(&mut h, ctx, tr(l, "login_title"));
    if let Some(e) = error {
        h.raw("<p role=\"alert\" class=\"error\">").text(e).raw("</p>");
    }
    h.raw("<form method=\"post\" action=\"/login\" class=\"stack\"><input type=\"hidden\" name=\"login_csrf\" value=\"")
        .text(token)
        .raw("\"><label for=\"name\">")
        .text(tr(l, "login_name"))
        .raw("</label><input id=\"name\" name=\"name\" autocomplete=\"username\" required><label for=\"password\">")
        .text(tr(l, "login_password"))
        .raw("</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required><button type=\"submit\">")
        .text(tr(l, "login_submit"))
        .raw("</button></form><p><a href=\"/check\">")
        .text(tr(l, "login_check_link"))
        .raw("</a></p>");
    end(&mut h);
    h
}

/// The login form. Before a session exists, a random token in a cookie and in the form protects
/// the login itself from cross-site posting (double-submit; SameSite=Strict does the rest).
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    run(state, headers, q, |state, ctx| {
        if ctx.principal.is_some() {
            return Ok(redirect("/search"));
        }
        let token = auth::random_token()?;
        let mut r = html_response(StatusCode::OK, login_html(ctx, &token, None));
        set_cookie(&mut r, &auth::set_cookie(auth::LOGIN_COOKIE, &token, 3600, state.web.secure_cookies));
        Ok(r)
    })
    .await
}

fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    let cookie_token = auth::cookie(&headers, auth::LOGIN_COOKIE);
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let form_token = form.get("login_csrf").map(String::as_str).unwrap_or("");
        if !cookie_token.as_deref().is_some_and(|c| !c.is_empty() && auth::constant_time_eq(c, form_token)) {
            return Err(WebError::Forbidden(tr(l, "err_csrf").to_owned()));
        }
        let name = form.get("name").map(|s| s.trim()).unwrap_or("");
        let password = form.get("password").map(String::as_str).unwrap_or("");
        if state.web.login_limiter.take(&name.to_lowercase()).is_err() {
            return Err(WebError::TooManyRequests(tr(l, "err_too_many_logins").to_owned()));
        }
        let user = state.store.user(name)?;
        // Verify against a decoy hash when the account does not exist: same time either way.
        let hash = user.as_ref().map(|u| u.password_hash.as_str()).unwrap_or(auth::decoy_hash());
        let ok = auth::verify_password(hash, password) && user.is_some();
        if !ok {
            tracing::warn!(account = %name, "failed login");
            let token = cookie_token.unwrap_or_default();
            return Ok(html_response(
                StatusCode::UNAUTHORIZED,
                login_html(ctx, &token, Some(tr(l, "login_failed"))),
            ));
        }
        let token = auth::open_session(state.store.as_ref(), name)?;
        let mut r = redirect("/search");
        let secure = state.web.secure_cookies;
        set_cookie(&mut r, &auth::set_cookie(auth::SESSION_COOKIE, &token, auth::SESSION_SECONDS, secure));
        set_cookie(&mut r, &auth::set_cookie(auth::LOGIN_COOKIE, "", 0, secure));
        Ok(r)
    })
    .await
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        ctx.check_csrf(form.get("csrf").map(String::as_str))?;
        if let Some(Credential::Session { token_sha256, .. }) = ctx.principal.as_ref().map(|p| &p.credential)
        {
            state.store.delete_session(token_sha256)?;
        }
        let mut r = redirect("/login");
        set_cookie(&mut r, &auth::set_cookie(auth::SESSION_COOKIE, "", 0, state.web.secure_cookies));
        Ok(r)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Search and CSV

const SEARCH_FIELDS: &[(&str, &str)] = &[
    ("unit", "f_unit"),
    ("disk", "f_disk"),
    ("id", "f_id"),
    ("lot", "f_lot"),
    ("station", "f_station"),
    ("from", "f_from"),
    ("to", "f_to"),
];

fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && certificate::Timestamp::parse(&format!("{s}T00:00:00Z")).is_ok()
}

/// The search filters from the query string; a bad date names its field.
fn search_query(lang: Lang, form: &FormData) -> Result<SearchQuery, WebError> {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    for field in ["from", "to"] {
        if let Some(v) = get(field) {
            if !is_day(&v) {
                return Err(WebError::BadRequest(fill(tr(lang, "err_bad_date"), &[field, &v])));
            }
        }
    }
    Ok(SearchQuery {
        unit_serial: get("unit"),
        disk_serial: get("disk"),
        certificate_id: get("id"),
        lot: get("lot"),
        station: get("station"),
        from: get("from"),
        to: get("to"),
        donor_user: None,
        limit: None,
    })
}

fn query_string(form: &FormData) -> String {
    SEARCH_FIELDS
        .iter()
        .filter_map(|(k, _)| {
            form.get(*k).filter(|v| !v.trim().is_empty()).map(|v| format!("{k}={}", url_encode(v.trim())))
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    axum::extract::Query(form): axum::extract::Query<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(ALL)?;
        let l = ctx.lang;
        let mut query = search_query(l, &form)?;
        query.donor_user = scope(&p.user).donor_user;
        query.limit = Some(PAGE_ROWS);
        let rows = state.store.search(&query)?;
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "search_title"));
        h.raw("<form method=\"get\" action=\"/search\" class=\"grid\" role=\"search\">");
        for (name, key) in SEARCH_FIELDS {
            let kind = if *name == "from" || *name == "to" { "date" } else { "text" };
            h.raw("<div><label for=\"f-")
                .text(name)
                .raw("\">")
                .text(tr(l, key))
                .raw("</label><input id=\"f-")
                .text(name)
                .raw("\" name=\"")
                .text(name)
                .raw("\" type=\"")
                .text(kind)
                .raw("\" value=\"")
                .text(form.get(*name).map(String::as_str).unwrap_or(""))
                .raw("\"></div>");
        }
        h.raw("<div><button type=\"submit\">").text(tr(l, "search_submit")).raw("</button></div></form>");
        let qs = query_string(&form);
        h.raw("<p><a href=\"/search.csv?").text(&qs).raw("\">").text(tr(l, "search_csv")).raw("</a></p>");
        h.raw("<h2>").text(&fill(tr(l, "search_results"), &[&rows.len().to_string()])).raw("</h2>");
        if rows.is_empty() {
            h.raw("<p>").text(tr(l, "search_none")).raw("</p>");
        } else {
            certificate_table(&mut h, l, &rows);
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

fn certificate_table(h: &mut Html, l: Lang, rows: &[CertificateRow]) {
    h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
    for key in
        ["col_certificate", "col_finished", "col_unit", "col_disks", "col_lot", "col_result", "col_station"]
    {
        h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for r in rows {
        let disks = parse(&r.document).map(|c| disk_serials(&c)).unwrap_or_default();
        h.raw("<tr><td><a href=\"/certificates/")
            .text(&url_encode(&r.id))
            .raw("\">")
            .text(&r.id)
            .raw("</a></td><td>")
            .text(&r.finished_at)
            .raw("</td><td>")
            .text(r.unit_serial.as_deref().unwrap_or("—"))
            .raw("</td><td>")
            .text(&disks)
            .raw("</td><td>")
            .text(r.lot.as_deref().unwrap_or("—"))
            .raw("</td><td>")
            .text(outcome_words(l, &r.result))
            .raw("</td><td>")
            .text(r.station_name.as_deref().unwrap_or(&r.station_key_id[..r.station_key_id.len().min(12)]));
        if r.station_revoked {
            h.raw(" <strong>(").text(tr(l, "station_revoked_short")).raw(")</strong>");
        }
        h.raw("</td></tr>");
    }
    h.raw("</tbody></table></div>");
}

fn disk_serials(c: &Certificate) -> String {
    c.disks.iter().filter_map(|d| d.serial.value().cloned()).collect::<Vec<_>>().join(" ")
}

/// One CSV field (RFC 4180 §2): quoted when it holds a comma, quote or line break, quotes
/// doubled; a leading `=`, `+`, `-`, `@` gets a `'` so spreadsheets do not run it as a formula
/// (OWASP "CSV Injection").
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub async fn search_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    axum::extract::Query(form): axum::extract::Query<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(ALL)?;
        let mut query = search_query(ctx.lang, &form)?;
        query.donor_user = scope(&p.user).donor_user;
        let rows = state.store.search(&query)?;
        let mut out = String::from(
            "certificate_id,finished_at,received_at,unit_serial,disk_serials,lot,result,station,station_key_id,station_revoked,leaf_index\r\n",
        );
        for r in rows {
            let disks = parse(&r.document).map(|c| disk_serials(&c)).unwrap_or_default();
            let fields = [
                r.id.clone(),
                r.finished_at.clone(),
                r.received_at.clone(),
                r.unit_serial.clone().unwrap_or_default(),
                disks,
                r.lot.clone().unwrap_or_default(),
                r.result.clone(),
                r.station_name.clone().unwrap_or_default(),
                r.station_key_id.clone(),
                r.station_revoked.to_string(),
                r.leaf_index.to_string(),
            ];
            out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"certificats.csv\""),
            ],
            out,
        )
            .into_response())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Certificates: words, the page, the PDF, the public check

fn outcome_words(l: Lang, result: &str) -> &'static str {
    match result {
        "sanitized" => tr(l, "outcome_sanitized"),
        "failed" => tr(l, "outcome_failed"),
        _ => tr(l, "outcome_incomplete"),
    }
}

fn disk_result_words(l: Lang, r: SanitizeResult) -> &'static str {
    match r {
        SanitizeResult::Verified => tr(l, "disk_verified"),
        SanitizeResult::NotVerified => tr(l, "disk_not_verified"),
        SanitizeResult::Failed => tr(l, "disk_failed"),
        SanitizeResult::Interrupted => tr(l, "disk_interrupted"),
    }
}

fn method_words(l: Lang, s: &SanitizeRecord) -> String {
    let technique = match s.technique {
        Technique::Overwrite => tr(l, "tech_overwrite"),
        Technique::BlockErase => tr(l, "tech_block_erase"),
        Technique::CryptoErase => tr(l, "tech_crypto_erase"),
        Technique::SecureErase => tr(l, "tech_secure_erase"),
    };
    let category = match s.category {
        Category::Clear => "Clear",
        Category::Purge => "Purge",
    };
    fill(tr(l, "method_words"), &[technique, &s.method, &s.standard, category, &s.passes.len().to_string()])
}

fn verification_words(l: Lang, s: &SanitizeRecord) -> String {
    let v = &s.verification;
    if v.mode == VerificationMode::None || v.bytes_verified == 0 {
        return tr(l, "verif_none").to_owned();
    }
    let which = match v.mode {
        VerificationMode::EveryPass => tr(l, "verif_every_pass"),
        _ => tr(l, "verif_last_pass"),
    };
    let how_much = match v.coverage {
        Coverage::Full => tr(l, "verif_full").to_owned(),
        Coverage::Sampled { percent } => fill(tr(l, "verif_sampled"), &[&format!("{percent}")]),
    };
    let found = if v.mismatched_bytes == 0 && s.errors.is_empty() {
        tr(l, "verif_clean").to_owned()
    } else {
        fill(tr(l, "verif_mismatch"), &[&v.mismatched_bytes.to_string(), &s.errors.len().to_string()])
    };
    fill(tr(l, "verif_words"), &[&how_much, which, &found])
}

/// A capacity in decimal units, as disk makers count (IEC 80000-13 prefixes are not what the
/// label on the disk says).
fn capacity(l: Lang, bytes: u64) -> String {
    if bytes >= 1_000_000_000 {
        fill(tr(l, "size_gb"), &[&format!("{:.0}", bytes as f64 / 1e9)])
    } else {
        fill(tr(l, "size_mb"), &[&format!("{:.0}", bytes as f64 / 1e6)])
    }
}

fn grade_words(l: Lang, c: &Certificate) -> String {
    match report::grade_word(c).as_deref() {
        Some(g @ ("A" | "B" | "C")) => fill(tr(l, "grade_reuse"), &[g]),
        Some("pieces") => tr(l, "grade_parts").to_owned(),
        Some("recycling") => tr(l, "grade_recycling").to_owned(),
        _ => tr(l, "grade_none").to_owned(),
    }
}

/// What the registry can say about a stored certificate, checked now.
struct Checked {
    row: CertificateRow,
    certificate: Certificate,
    /// The signing key ids, when every signature verifies.
    signature: Result<Vec<String>, String>,
    station: Option<Station>,
    /// The tree size its inclusion was proved in, or why not.
    inclusion: Result<u64, String>,
}

/// Why an inclusion proof could not be computed, in words.
struct ProofFailure(String);

impl From<certificate::log::LogError> for ProofFailure {
    fn from(e: certificate::log::LogError) -> Self {
        ProofFailure(e.to_string())
    }
}

fn check_certificate(store: &dyn Store, row: CertificateRow) -> Result<Checked, WebError> {
    let doc = SignedDocument::from_json(row.document.as_bytes()).map_err(|e| {
        tracing::error!(id = %row.id, "stored certificate does not parse: {e}");
        WebError::Internal
    })?;
    let verified = doc.verify();
    let certificate: Certificate = match &verified {
        Ok(v) => v.certificate.clone(),
        Err(_) => serde_json::from_value(doc.certificate.clone()).map_err(|_| WebError::Internal)?,
    };
    let (signature, inclusion) = match verified {
        Ok(v) => {
            let leaf = certificate::log::leaf_hash(&v.canonical);
            let (size, root) = store.log_head()?;
            let proof = certificate::log::inclusion_proof_with(row.leaf_index, size, |a, b| {
                store.leaf_hashes(a, b).map_err(|e| ProofFailure(e.to_string()))
            });
            let inclusion = match proof {
                Ok(proof) => certificate::log::verify_inclusion(&leaf, row.leaf_index, size, &proof, &root)
                    .map(|()| size)
                    .map_err(|e| e.to_string()),
                Err(ProofFailure(e)) => Err(e),
            };
            (Ok(v.signers), inclusion)
        }
        Err(e) => (Err(e.to_string()), Err(e.to_string())),
    };
    let station = store.station(&row.station_key_id)?;
    Ok(Checked { row, certificate, signature, station, inclusion })
}

fn signature_words(l: Lang, c: &Checked) -> String {
    match &c.signature {
        Ok(_) => {
            let state = match &c.station {
                Some(s) if s.revoked_at.is_some() => {
                    fill(tr(l, "station_state_revoked"), &[s.revoked_at.as_deref().unwrap_or("?")])
                }
                Some(_) => tr(l, "station_state_approved").to_owned(),
                None => tr(l, "station_state_unknown").to_owned(),
            };
            fill(tr(l, "signature_ok"), &[&c.row.station_key_id, &state])
        }
        Err(e) => fill(tr(l, "signature_bad"), &[e]),
    }
}

fn log_words(l: Lang, c: &Checked) -> String {
    match &c.inclusion {
        Ok(size) => fill(tr(l, "log_included"), &[&c.row.leaf_index.to_string(), &size.to_string()]),
        Err(e) => fill(tr(l, "log_not_proved"), &[&c.row.leaf_index.to_string(), e]),
    }
}

fn probed(l: Lang, p: &certificate::Probed<String>) -> String {
    match p {
        certificate::Probed::Value(v) => v.clone(),
        certificate::Probed::Unavailable(why) => fill(tr(l, "unknown_because"), &[why]),
    }
}

fn station_label(c: &Checked) -> String {
    c.station.as_ref().and_then(|s| s.name.clone()).unwrap_or_else(|| c.certificate.station.id.clone())
}

fn load_visible(state: &AppState, ctx: &Ctx, id: &str) -> Result<Checked, WebError> {
    let p = ctx.require(ALL)?;
    let row = visible_certificate(state.store.as_ref(), &p.user, id)?
        .ok_or_else(|| WebError::NotFound(fill(tr(ctx.lang, "err_no_certificate"), &[id])))?;
    check_certificate(state.store.as_ref(), row)
}

pub async fn certificate_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let c = load_visible(state, ctx, &id)?;
        let cert = &c.certificate;
        let mut h = Html::new();
        shell(&mut h, ctx, &fill(tr(l, "cert_title"), &[&c.row.id]));
        h.raw("<p><a href=\"/certificates/")
            .text(&url_encode(&c.row.id))
            .raw("/pdf\">")
            .text(tr(l, "cert_pdf"))
            .raw("</a></p>");
        h.raw("<p class=\"verdict\">").text(outcome_words(l, &c.row.result)).raw("</p>");
        h.raw("<h2>").text(tr(l, "cert_unit")).raw("</h2><dl>");
        let item = |h: &mut Html, key: &str, value: &str| {
            h.raw("<dt>").text(tr(l, key)).raw("</dt><dd>").text(value).raw("</dd>");
        };
        item(&mut h, "unit_serial", &probed(l, &cert.unit.serial));
        item(
            &mut h,
            "unit_model",
            &format!("{} {}", probed(l, &cert.unit.vendor), probed(l, &cert.unit.model)),
        );
        item(&mut h, "unit_chassis", &probed(l, &cert.unit.chassis));
        item(&mut h, "f_lot", cert.lot.as_deref().unwrap_or("—"));
        item(&mut h, "operator", &cert.operator);
        item(&mut h, "f_station", &station_label(&c));
        item(&mut h, "finished", cert.finished_at.as_str());
        item(&mut h, "received", &c.row.received_at);
        item(&mut h, "grade", &grade_words(l, cert));
        h.raw("</dl>");
        for (i, d) in cert.disks.iter().enumerate() {
            h.raw("<h2>")
                .text(&fill(tr(l, "disk_heading"), &[&(i + 1).to_string(), &probed(l, &d.serial)]))
                .raw("</h2><dl>");
            item(
                &mut h,
                "disk_model",
                &format!("{} — {}", probed(l, &d.model), capacity(l, d.capacity_bytes)),
            );
            item(&mut h, "disk_result", disk_result_words(l, d.sanitization.result));
            item(&mut h, "disk_method", &method_words(l, &d.sanitization));
            item(&mut h, "disk_verification", &verification_words(l, &d.sanitization));
            let smart = match d.smart.value() {
                Some(certificate::SmartVerdict::Passed) => tr(l, "smart_passed").to_owned(),
                Some(certificate::SmartVerdict::Failed) => tr(l, "smart_failed").to_owned(),
                None => tr(l, "smart_unknown").to_owned(),
            };
            item(&mut h, "disk_smart", &smart);
            h.raw("</dl>");
        }
        h.raw("<h2>").text(tr(l, "cert_proof")).raw("</h2><dl>");
        item(&mut h, "signature", &signature_words(l, &c));
        item(&mut h, "log_position", &log_words(l, &c));
        h.raw("</dl><p><a href=\"/api/v1/certificates/")
            .text(&url_encode(&c.row.id))
            .raw("\">")
            .text(tr(l, "cert_json"))
            .raw("</a></p>");
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

/// The lines of the printable certificate.
fn certificate_pdf_bytes(l: Lang, c: &Checked, public_url: &str) -> Result<Vec<u8>, WebError> {
    let cert = &c.certificate;
    let mut pdf = pdf::Pdf::new();
    let check_url = format!("{public_url}/check?id={}", url_encode(&c.row.id));
    pdf.qr(pdf::PAGE_WIDTH - 50.0, pdf::PAGE_HEIGHT - 40.0, 110.0, &check_url).map_err(|e| {
        tracing::error!("{e}");
        WebError::Internal
    })?;
    pdf.line(16.0, true, tr(l, "pdf_title"));
    pdf.gap(6.0);
    pdf.line(10.0, false, &fill(tr(l, "pdf_number"), &[&c.row.id]));
    pdf.line(10.0, false, &format!("{} : {}", tr(l, "outcome"), outcome_words(l, &c.row.result)));
    // Below the QR code (its bottom is at PAGE_HEIGHT - 150), so no line runs under it.
    pdf.gap((pdf.cursor() - (pdf::PAGE_HEIGHT - 160.0)).max(12.0));
    pdf.line(12.0, true, tr(l, "cert_unit"));
    let row = |pdf: &mut pdf::Pdf, key: &str, value: &str| {
        pdf.line(10.0, false, &format!("{} : {value}", tr(l, key)))
    };
    row(&mut pdf, "unit_serial", &probed(l, &cert.unit.serial));
    row(&mut pdf, "unit_model", &format!("{} {}", probed(l, &cert.unit.vendor), probed(l, &cert.unit.model)));
    row(&mut pdf, "f_lot", cert.lot.as_deref().unwrap_or("—"));
    row(&mut pdf, "operator", &cert.operator);
    row(&mut pdf, "f_station", &station_label(c));
    row(&mut pdf, "finished", cert.finished_at.as_str());
    row(&mut pdf, "grade", &grade_words(l, cert));
    for (i, d) in cert.disks.iter().enumerate() {
        pdf.gap(6.0);
        pdf.line(12.0, true, &fill(tr(l, "disk_heading"), &[&(i + 1).to_string(), &probed(l, &d.serial)]));
        row(&mut pdf, "disk_serial", &probed(l, &d.serial));
        row(&mut pdf, "disk_model", &format!("{} — {}", probed(l, &d.model), capacity(l, d.capacity_bytes)));
        row(&mut pdf, "disk_result", disk_result_words(l, d.sanitization.result));
        row(&mut pdf, "disk_method", &method_words(l, &d.sanitization));
        row(&mut pdf, "disk_verification", &verification_words(l, &d.sanitization));
    }
    pdf.gap(6.0);
    pdf.line(12.0, true, tr(l, "cert_proof"));
    row(&mut pdf, "signature_key", &c.row.station_key_id);
    row(&mut pdf, "signature", &signature_words(l, c));
    row(&mut pdf, "log_position", &log_words(l, c));
    pdf.gap(6.0);
    pdf.line(10.0, false, &fill(tr(l, "pdf_check_at"), &[&check_url]));
    Ok(pdf.finish())
}

pub async fn certificate_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let c = load_visible(state, ctx, &id)?;
        let bytes = certificate_pdf_bytes(ctx.lang, &c, &state.web.public_url)?;
        let disposition = format!("attachment; filename=\"certificat-{}.pdf\"", url_encode(&c.row.id));
        let mut r = ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response();
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        Ok(r)
    })
    .await
}

/// The public check: anyone with a certificate number learns whether it is genuine and in the
/// log, and where; nothing else (no serial, no lot, no donor).
pub async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    axum::extract::Query(form): axum::extract::Query<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let id = form.get("id").map(|s| s.trim().to_owned()).unwrap_or_default();
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "check_title"));
        h.raw("<p>")
            .text(tr(l, "check_intro"))
            .raw("</p><form method=\"get\" action=\"/check\" class=\"stack\"><label for=\"id\">")
            .text(tr(l, "check_number"))
            .raw("</label><input id=\"id\" name=\"id\" value=\"")
            .text(&id)
            .raw("\" required><button type=\"submit\">")
            .text(tr(l, "check_submit"))
            .raw("</button></form>");
        let mut status = StatusCode::OK;
        if !id.is_empty() {
            if state.web.check_limiter.take("check").is_err() {
                return Err(WebError::TooManyRequests(tr(l, "err_too_many_checks").to_owned()));
            }
            let q = SearchQuery { certificate_id: Some(id.clone()), ..SearchQuery::default() };
            let found = state.store.search(&q)?.into_iter().next();
            h.raw("<section aria-live=\"polite\"><h2>").text(tr(l, "check_answer")).raw("</h2>");
            match found {
                Some(row) => {
                    let c = check_certificate(state.store.as_ref(), row)?;
                    if c.signature.is_ok() && c.inclusion.is_ok() {
                        h.raw("<p class=\"ok\">").text(&fill(tr(l, "check_genuine"), &[&id])).raw("</p>");
                    } else {
                        h.raw("<p class=\"error\">")
                            .text(&fill(tr(l, "check_not_proved"), &[&id]))
                            .raw("</p>");
                    }
                    h.raw("<ul><li>")
                        .text(&format!("{} : {}", tr(l, "finished"), c.certificate.finished_at))
                        .raw("</li><li>")
                        .text(&format!("{} : {}", tr(l, "outcome"), outcome_words(l, &c.row.result)))
                        .raw("</li><li>")
                        .text(&log_words(l, &c))
                        .raw("</li></ul>");
                }
                None => {
                    status = StatusCode::NOT_FOUND;
                    h.raw("<p class=\"error\">").text(&fill(tr(l, "check_unknown"), &[&id])).raw("</p>");
                }
            }
            h.raw("</section>");
        }
        end(&mut h);
        Ok(html_response(status, h))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Flags

fn flag_words(l: Lang, kind: &flags::FlagKind) -> String {
    use flags::FlagKind::*;
    match kind {
        VerificationFailed { disk } => fill(tr(l, "flag_verification_failed"), &[disk]),
        VerificationSkipped { disk } => fill(tr(l, "flag_verification_skipped"), &[disk]),
        SmartFailing { disk } => fill(tr(l, "flag_smart_failing"), &[disk]),
        DiskWipedTwice { serial, times } => fill(tr(l, "flag_wiped_twice"), &[serial, &times.to_string()]),
        StationRevoked => tr(l, "flag_station_revoked").to_owned(),
        UnitWithoutSerial => tr(l, "flag_unit_without_serial").to_owned(),
    }
}

pub async fn flags_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        ctx.require(AUDITORS)?;
        let l = ctx.lang;
        // Every certificate is read: O(n) documents per view (docs/web.md, "Flags").
        let rows = state.store.search(&SearchQuery::default())?;
        let parsed: Vec<(CertificateRow, Certificate)> =
            rows.into_iter().filter_map(|r| parse(&r.document).map(|c| (r, c))).collect();
        let audited: Vec<flags::Audited<'_>> = parsed
            .iter()
            .map(|(r, c)| flags::Audited { certificate: c, station_revoked: r.station_revoked })
            .collect();
        let found = flags::flags(&audited);
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "flags_title"));
        h.raw("<p>").text(&fill(tr(l, "flags_count"), &[&found.len().to_string()])).raw("</p>");
        if !found.is_empty() {
            h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr><th scope=\"col\">")
                .text(tr(l, "col_certificate"))
                .raw("</th><th scope=\"col\">")
                .text(tr(l, "col_unit"))
                .raw("</th><th scope=\"col\">")
                .text(tr(l, "col_flag"))
                .raw("</th></tr></thead><tbody>");
            for f in &found {
                let unit = parsed
                    .iter()
                    .find(|(r, _)| r.id == f.certificate_id)
                    .and_then(|(r, _)| r.unit_serial.clone())
                    .unwrap_or_else(|| "—".into());
                h.raw("<tr><td><a href=\"/certificates/")
                    .text(&url_encode(&f.certificate_id))
                    .raw("\">")
                    .text(&f.certificate_id)
                    .raw("</a></td><td>")
                    .text(&unit)
                    .raw("</td><td>")
                    .text(&flag_words(l, &f.kind))
                    .raw("</td></tr>");
            }
            h.raw("</tbody></table></div>");
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Lots and donor reports

pub async fn lots_page(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(ALL)?;
        let l = ctx.lang;
        let lots: Vec<_> = state
            .store
            .lots()?
            .into_iter()
            .filter(|lot| {
                p.user.role != Role::Donor || lot.donor.as_ref().is_some_and(|d| p.user.donors.contains(d))
            })
            .collect();
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "lots_title"));
        if lots.is_empty() {
            h.raw("<p>").text(tr(l, "lots_none")).raw("</p>");
        } else {
            h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
            for key in ["col_lot", "col_donor", "col_certificates", "col_report"] {
                h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
            }
            h.raw("</tr></thead><tbody>");
            for lot in &lots {
                let enc = url_encode(&lot.lot);
                h.raw("<tr><td>")
                    .text(&lot.lot)
                    .raw("</td><td>")
                    .text(lot.donor.as_deref().unwrap_or("—"))
                    .raw("</td><td>")
                    .num(lot.certificates)
                    .raw("</td><td><a href=\"/lots/")
                    .text(&enc)
                    .raw("/report\">")
                    .text(tr(l, "report_html"))
                    .raw("</a> · <a href=\"/lots/")
                    .text(&enc)
                    .raw("/report.pdf\">PDF</a></td></tr>");
            }
            h.raw("</tbody></table></div>");
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

fn load_lot(state: &AppState, ctx: &Ctx, lot: &str) -> Result<(Vec<CertificateRow>, LotReport), WebError> {
    let p = ctx.require(ALL)?;
    if !super::may_see_lot(state.store.as_ref(), &p.user, lot)? {
        return Err(WebError::NotFound(fill(tr(ctx.lang, "err_no_lot"), &[lot])));
    }
    let q = SearchQuery { lot: Some(lot.to_owned()), ..scope(&p.user) };
    let rows = state.store.search(&q)?;
    let certs: Vec<Certificate> = rows.iter().filter_map(|r| parse(&r.document)).collect();
    Ok((rows, report::lot_report(&certs)))
}

fn report_lines(l: Lang, lot: &str, donor: Option<&str>, r: &LotReport) -> Vec<String> {
    vec![
        fill(tr(l, "report_lot"), &[lot, donor.unwrap_or("—")]),
        fill(tr(l, "report_received"), &[&r.received.to_string()]),
        fill(tr(l, "report_wiped"), &[&r.wiped.to_string()]),
        fill(tr(l, "report_reused"), &[&r.reused.to_string()]),
        fill(tr(l, "report_parts"), &[&r.parts.to_string()]),
        fill(tr(l, "report_recycled"), &[&r.recycled.to_string()]),
        fill(tr(l, "report_ungraded"), &[&r.ungraded.to_string()]),
        fill(
            tr(l, "report_co2"),
            &[
                &format!("{:.0}", r.co2_avoided_kg_per_year),
                &format!("{:.0}", report::CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR),
            ],
        ),
    ]
}

pub async fn lot_report_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(lot): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let (rows, r) = load_lot(state, ctx, &lot)?;
        let donor = state.store.lot_donor(&lot)?;
        let mut h = Html::new();
        shell(&mut h, ctx, &fill(tr(l, "report_title"), &[&lot]));
        h.raw("<p><a href=\"/lots/")
            .text(&url_encode(&lot))
            .raw("/report.pdf\">")
            .text(tr(l, "report_pdf"))
            .raw("</a></p><ul>");
        for line in report_lines(l, &lot, donor.as_deref(), &r) {
            h.raw("<li>").text(&line).raw("</li>");
        }
        h.raw("</ul><p class=\"source\">")
            .text(tr(l, "report_source"))
            .raw(" <a href=\"")
            .text(report::CO2_SOURCE_URL)
            .raw("\">")
            .text(report::CO2_SOURCE_TITLE)
            .raw("</a></p><h2>")
            .text(tr(l, "report_units"))
            .raw("</h2>");
        certificate_table(&mut h, l, &rows);
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

pub async fn lot_report_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(lot): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let (rows, r) = load_lot(state, ctx, &lot)?;
        let donor = state.store.lot_donor(&lot)?;
        let mut pdf = pdf::Pdf::new();
        pdf.line(16.0, true, &fill(tr(l, "report_title"), &[&lot]));
        pdf.gap(6.0);
        for line in report_lines(l, &lot, donor.as_deref(), &r) {
            pdf.line(10.0, false, &line);
        }
        pdf.line(
            8.0,
            false,
            &format!("{} {} — {}", tr(l, "report_source"), report::CO2_SOURCE_TITLE, report::CO2_SOURCE_URL),
        );
        pdf.gap(8.0);
        pdf.line(12.0, true, tr(l, "report_units"));
        for row in &rows {
            let grade = parse(&row.document).map(|c| grade_words(l, &c)).unwrap_or_default();
            pdf.line(
                9.0,
                false,
                &format!(
                    "{} — {} — {} — {} — {}",
                    row.unit_serial.as_deref().unwrap_or("—"),
                    outcome_words(l, &row.result),
                    grade,
                    row.finished_at,
                    row.id
                ),
            );
        }
        let mut response = ([(header::CONTENT_TYPE, "application/pdf")], pdf.finish()).into_response();
        if let Ok(v) =
            HeaderValue::from_str(&format!("attachment; filename=\"lot-{}.pdf\"", url_encode(&lot)))
        {
            response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        Ok(response)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Stations (admins and supervisors: approving a station is the supervisor's job in the CLI too)

pub async fn stations_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(AUDITORS)?;
        let l = ctx.lang;
        let stations = state.store.stations()?;
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "stations_title"));
        h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
        for key in ["col_station", "col_key", "col_requested", "col_state", "col_action"] {
            h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
        }
        h.raw("</tr></thead><tbody>");
        for s in &stations {
            let name = s.name.as_deref().unwrap_or("—");
            h.raw("<tr><td>")
                .text(name)
                .raw("</td><td><code>")
                .text(&s.key_id)
                .raw("</code></td><td>")
                .text(&s.requested_at)
                .raw("</td><td>");
            if let Some(when) = &s.revoked_at {
                h.text(&fill(tr(l, "station_state_revoked"), &[when])).raw("</td><td>");
            } else if s.approved_at.is_some() {
                h.text(tr(l, "station_state_approved"))
                    .raw("</td><td><form method=\"post\" action=\"/stations/revoke\">");
                csrf_field(&mut h, p.csrf());
                h.raw("<input type=\"hidden\" name=\"station\" value=\"")
                    .text(&s.key_id)
                    .raw("\"><button type=\"submit\" aria-label=\"")
                    .text(&fill(tr(l, "revoke_label"), &[name]))
                    .raw("\">")
                    .text(tr(l, "revoke"))
                    .raw("</button></form>");
            } else {
                let code = s.enrolment_code.as_deref().unwrap_or("?");
                h.text(&fill(tr(l, "station_state_pending"), &[code]))
                    .raw("</td><td><form method=\"post\" action=\"/stations/approve\">");
                csrf_field(&mut h, p.csrf());
                h.raw("<input type=\"hidden\" name=\"code\" value=\"")
                    .text(code)
                    .raw("\"><button type=\"submit\" aria-label=\"")
                    .text(&fill(tr(l, "approve_label"), &[name, code]))
                    .raw("\">")
                    .text(tr(l, "approve"))
                    .raw("</button></form>");
            }
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table></div>");
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

fn post_action(
    state: AppState,
    headers: HeaderMap,
    q: Option<String>,
    form: FormData,
    roles: &'static [Role],
    to: &'static str,
    act: impl FnOnce(&AppState, &Ctx, &FormData) -> Result<(), WebError> + Send + 'static,
) -> impl std::future::Future<Output = Response> {
    run(state, headers, q, move |state, ctx| {
        ctx.require(ALL)?;
        ctx.check_csrf(form.get("csrf").map(String::as_str))?;
        ctx.require(roles)?;
        act(state, ctx, &form)?;
        Ok(redirect(to))
    })
}

fn field<'a>(l: Lang, form: &'a FormData, name: &str) -> Result<&'a str, WebError> {
    form.get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| WebError::BadRequest(fill(tr(l, "err_missing_field"), &[name])))
}

fn not_found_station(l: Lang, e: crate::store::StoreError) -> WebError {
    match e {
        crate::store::StoreError::NoSuchStation(what) => {
            WebError::NotFound(fill(tr(l, "err_no_station"), &[&what]))
        }
        other => other.into(),
    }
}

pub async fn station_approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, AUDITORS, "/stations", |state, ctx, form| {
        let code = field(ctx.lang, form, "code")?;
        let s = state.store.approve(code).map_err(|e| not_found_station(ctx.lang, e))?;
        tracing::info!(station = %s.key_id, by = ?ctx.principal.as_ref().map(|p| &p.user.name), "station approved from the web");
        Ok(())
    })
    .await
}

pub async fn station_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, AUDITORS, "/stations", |state, ctx, form| {
        let station = field(ctx.lang, form, "station")?;
        let s = state.store.revoke(station).map_err(|e| not_found_station(ctx.lang, e))?;
        tracing::info!(station = %s.key_id, by = ?ctx.principal.as_ref().map(|p| &p.user.name), "station revoked from the web");
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Accounts and lots (admins only)

pub async fn admin_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(ADMINS)?;
        let l = ctx.lang;
        let users = state.store.users()?;
        let lots = state.store.lots()?;
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "admin_title"));
        h.raw("<h2>").text(tr(l, "admin_users")).raw("</h2><div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
        for key in ["col_name", "col_role", "col_donor", "col_created"] {
            h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
        }
        h.raw("<th scope=\"col\">").text(tr(l, "col_action")).raw("</th></tr></thead><tbody>");
        for u in &users {
            h.raw("<tr><td>")
                .text(&u.name)
                .raw("</td><td>")
                .text(tr(l, role_key(u.role)))
                .raw("</td><td>")
                .text(&u.donors.join(", "))
                .raw("</td><td>")
                .text(&u.created_at)
                .raw("</td><td>");
            // An admin cannot remove itself from the web: the last admin would lock everyone out.
            if u.name != p.user.name {
                h.raw("<form method=\"post\" action=\"/admin/users/remove\">");
                csrf_field(&mut h, p.csrf());
                h.raw("<input type=\"hidden\" name=\"name\" value=\"")
                    .text(&u.name)
                    .raw("\"><button type=\"submit\" aria-label=\"")
                    .text(&fill(tr(l, "remove_user_label"), &[&u.name]))
                    .raw("\">")
                    .text(tr(l, "remove_user"))
                    .raw("</button></form>");
            }
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table></div><h2>").text(tr(l, "admin_add_user")).raw("</h2><form method=\"post\" action=\"/admin/users\" class=\"stack\">");
        csrf_field(&mut h, p.csrf());
        h.raw("<label for=\"u-name\">").text(tr(l, "col_name")).raw("</label><input id=\"u-name\" name=\"name\" required autocomplete=\"off\">")
            .raw("<label for=\"u-role\">").text(tr(l, "col_role")).raw("</label><select id=\"u-role\" name=\"role\">");
        for role in [Role::Supervisor, Role::Donor, Role::Admin] {
            h.raw("<option value=\"").text(role.as_str()).raw("\">").text(tr(l, role_key(role))).raw("</option>");
        }
        h.raw("</select><label for=\"u-donors\">")
            .text(tr(l, "admin_donors_field"))
            .raw("</label><input id=\"u-donors\" name=\"donors\" aria-describedby=\"u-donors-help\"><p id=\"u-donors-help\" class=\"help\">")
            .text(tr(l, "admin_donors_help"))
            .raw("</p><label for=\"u-password\">")
            .text(tr(l, "login_password"))
            .raw("</label><input id=\"u-password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"12\"><button type=\"submit\">")
            .text(tr(l, "admin_add_user"))
            .raw("</button></form>");
        h.raw("<h2>").text(tr(l, "admin_lots")).raw("</h2><div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
        for key in ["col_lot", "col_donor", "col_certificates"] {
            h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
        }
        h.raw("</tr></thead><tbody>");
        for lot in &lots {
            h.raw("<tr><td>").text(&lot.lot).raw("</td><td>").text(lot.donor.as_deref().unwrap_or("—")).raw("</td><td>").num(lot.certificates).raw("</td></tr>");
        }
        h.raw("</tbody></table></div><h2>").text(tr(l, "admin_assign_lot")).raw("</h2><form method=\"post\" action=\"/admin/lots\" class=\"stack\">");
        csrf_field(&mut h, p.csrf());
        h.raw("<label for=\"a-lot\">")
            .text(tr(l, "col_lot"))
            .raw("</label><input id=\"a-lot\" name=\"lot\" required><label for=\"a-donor\">")
            .text(tr(l, "col_donor"))
            .raw("</label><input id=\"a-donor\" name=\"donor\" required><button type=\"submit\">")
            .text(tr(l, "admin_assign_lot"))
            .raw("</button></form>");
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

pub async fn admin_add_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, ADMINS, "/admin", |state, ctx, form| {
        let l = ctx.lang;
        let name = field(l, form, "name")?;
        let role: Role = field(l, form, "role")?.parse().map_err(WebError::BadRequest)?;
        let password = form.get("password").map(String::as_str).unwrap_or("");
        let donors: Vec<String> = form
            .get("donors")
            .map(|d| d.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        crate::accounts::add_user(state.store.as_ref(), name, role, password, &donors)
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        Ok(())
    })
    .await
}

pub async fn admin_remove_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, ADMINS, "/admin", |state, ctx, form| {
        let l = ctx.lang;
        let name = field(l, form, "name")?;
        if ctx.principal.as_ref().is_some_and(|p| p.user.name == name) {
            return Err(WebError::BadRequest(tr(l, "err_remove_self").to_owned()));
        }
        state.store.remove_user(name).map_err(|e| match e {
            crate::store::StoreError::NoSuchUser(n) => WebError::NotFound(fill(tr(l, "err_no_user"), &[&n])),
            other => other.into(),
        })?;
        tracing::info!(account = %name, by = ?ctx.principal.as_ref().map(|p| &p.user.name), "account removed from the web");
        Ok(())
    })
    .await
}

pub async fn admin_assign_lot(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, ADMINS, "/admin", |state, ctx, form| {
        let lot = field(ctx.lang, form, "lot")?;
        let donor = field(ctx.lang, form, "donor")?;
        state.store.assign_lot(lot, donor)?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn dates_must_be_real_days() {
        assert!(is_day("2026-11-23"));
        assert!(!is_day("2026-13-01"));
        assert!(!is_day("23/11/2026"));
        assert!(!is_day("2026-11-23T00"));
    }

    #[test]
    fn verification_is_told_in_plain_words() {
        let c = certificate::example::certificate("D");
        let s = &c.disks[0].sanitization;
        assert_eq!(
            verification_words(Lang::En, s),
            "read back in full after the last pass: no difference found"
        );
        assert_eq!(
            verification_words(Lang::Fr, s),
            "relu en entier après la dernière passe : aucune différence"
        );
        let mut bad = s.clone();
        bad.verification.mismatched_bytes = 4096;
        assert!(verification_words(Lang::En, &bad).contains("4096 bytes differ"));
        bad.verification.mode = VerificationMode::None;
        assert_eq!(verification_words(Lang::En, &bad), "not verified: nothing was read back");
        assert_eq!(
            method_words(Lang::En, s),
            "overwrite, method “zero” (NIST SP 800-88 Rev. 1, Clear), 1 pass(es)"
        );
    }
}
