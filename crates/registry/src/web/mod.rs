//! The supervisor and donor web interface (docs/web.md): server-rendered HTML that works without
//! JavaScript, in French first and English, behind accounts with roles; a public certificate
//! check; CSV export; PDF certificates and lot reports.
//!
//! [`routes`] adds the pages to the API's router; [`require_api_user`] guards the API's lookups.
//! Pure parts live in their own modules: [`flags`], [`report`], [`pdf`], [`html`], [`i18n`].

pub mod auth;
pub mod flags;
pub mod html;
pub mod i18n;
mod pages;
pub mod pdf;
pub mod report;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::api::{AppState, RateLimiter};
use crate::store::{CertificateRow, Role, SearchQuery, Store, StoreError, User};
use auth::Principal;
use i18n::Lang;

/// Settings of the web interface.
#[derive(Debug)]
pub struct WebConfig {
    /// The registry's public address, for the check links and QR codes on PDFs, e.g.
    /// `https://registre.example.org` (no trailing slash).
    pub public_url: String,
    /// Mark cookies `Secure`: set when browsers reach the registry over HTTPS.
    pub secure_cookies: bool,
    /// Failed logins per account name and per address, and the delay they earn.
    pub login_delays: LoginDelays,
    /// Public checks, all visitors together: each one verifies a signature and an inclusion
    /// proof, so an anonymous flood must not take the registry down.
    pub check_limiter: RateLimiter,
}

/// Public checks per second, sustained, over all visitors.
pub const CHECKS_PER_SECOND: f64 = 20.0;
/// Public checks in a burst.
pub const CHECKS_BURST: f64 = 100.0;

/// Failed logins (per name or per address) before attempts are slowed down.
pub const LOGIN_FREE_FAILURES: u32 = 3;
/// The delay after the first failure past [`LOGIN_FREE_FAILURES`]; it doubles with each more.
pub const LOGIN_FIRST_DELAY: std::time::Duration = std::time::Duration::from_millis(100);
/// The longest delay: past it, an attacker guesses 6 passwords a minute per name and address.
pub const LOGIN_MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(10);
/// Failures are forgotten this long after the last one.
pub const LOGIN_FORGET: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Failed logins counted per account name and per client address. A login waits for the delay
/// its name's and its address's failures earn, then is checked as usual: the right password
/// always opens the session. (A lock-out after N failures, as before, let anyone keep `admin`
/// out by failing on purpose.) The wait is asynchronous: a waiting login holds no thread.
#[derive(Debug, Default)]
pub struct LoginDelays {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
}

/// Keys kept before forgotten ones are dropped.
const MAX_LOGIN_KEYS: usize = 10_000;

impl LoginDelays {
    fn keys(name: &str, address: &str) -> [String; 2] {
        [format!("name:{}", name.to_lowercase()), format!("addr:{address}")]
    }

    /// How long a login for `name` from `address` waits before its password is checked.
    pub fn delay(&self, name: &str, address: &str) -> std::time::Duration {
        let now = std::time::Instant::now();
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let failures = Self::keys(name, address)
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|(_, last)| now.duration_since(*last) < LOGIN_FORGET)
            .map(|(n, _)| *n)
            .max()
            .unwrap_or(0);
        login_delay(failures)
    }

    /// Counts a failed login.
    pub fn failed(&self, name: &str, address: &str) {
        let now = std::time::Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_LOGIN_KEYS {
            map.retain(|_, (_, last)| now.duration_since(*last) < LOGIN_FORGET);
            if map.len() >= MAX_LOGIN_KEYS {
                map.clear();
            }
        }
        for key in Self::keys(name, address) {
            let entry = map.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= LOGIN_FORGET {
                entry.0 = 0;
            }
            *entry = (entry.0.saturating_add(1), now);
        }
    }

    /// A login succeeded: its name and address start again from no failure.
    pub fn succeeded(&self, name: &str, address: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in Self::keys(name, address) {
            map.remove(&key);
        }
    }
}

/// The delay `failures` earn: none for the first [`LOGIN_FREE_FAILURES`], then
/// [`LOGIN_FIRST_DELAY`] doubling up to [`LOGIN_MAX_DELAY`].
pub fn login_delay(failures: u32) -> std::time::Duration {
    match failures.checked_sub(LOGIN_FREE_FAILURES + 1) {
        None => std::time::Duration::ZERO,
        Some(n) => LOGIN_FIRST_DELAY.saturating_mul(1 << n.min(16)).min(LOGIN_MAX_DELAY),
    }
}

impl WebConfig {
    /// Settings for a registry reached at `public_url`.
    pub fn new(public_url: &str, secure_cookies: bool) -> Self {
        WebConfig {
            public_url: public_url.trim_end_matches('/').to_owned(),
            secure_cookies,
            login_delays: LoginDelays::default(),
            check_limiter: RateLimiter::new(CHECKS_PER_SECOND, CHECKS_BURST),
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig::new("http://127.0.0.1:8750", false)
    }
}

/// The web pages, merged into the API's router by [`crate::api::app`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/static/web.css", get(pages::stylesheet))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/check", get(pages::check))
        .route("/search", get(pages::search))
        .route("/search.csv", get(pages::search_csv))
        .route("/certificates/{id}", get(pages::certificate_page))
        .route("/certificates/{id}/pdf", get(pages::certificate_pdf))
        .route("/certificates/{id}/validation", post(pages::certificate_decide))
        .route("/certificates/{id}/validation.json", get(pages::validation_json))
        .route("/account", get(pages::account_page))
        .route("/flags", get(pages::flags_page))
        .route("/lots", get(pages::lots_page))
        .route("/lots/{lot}/report", get(pages::lot_report_page))
        .route("/lots/{lot}/report.pdf", get(pages::lot_report_pdf))
        .route("/stations", get(pages::stations_page))
        .route("/stations/approve", post(pages::station_approve))
        .route("/stations/revoke", post(pages::station_revoke))
        .route("/admin", get(pages::admin_page))
        .route("/admin/users", post(pages::admin_add_user))
        .route("/admin/users/remove", post(pages::admin_remove_user))
        .route("/admin/lots", post(pages::admin_assign_lot))
}

/// The certificate inside a stored document, or `None` if it does not read. Not verified nor
/// read strictly again (both were done when it was recorded): one typed pass over the text, as
/// a lot's report reads a thousand of them (scripts/bench-registry.md).
pub fn parse_stored(document: &str) -> Option<certificate::Certificate> {
    #[derive(serde::Deserialize)]
    struct Stored {
        certificate: certificate::Certificate,
    }
    serde_json::from_str::<Stored>(document).ok().map(|s| s.certificate)
}

/// Lets an API lookup through only with a valid API token (`Authorization: Bearer`) or
/// session; the account is passed on to the handler. Anything else is 401.
pub async fn require_api_user(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let store = state.store.clone();
    let headers = request.headers().clone();
    let found = tokio::task::spawn_blocking(move || auth::principal(store.as_ref(), &headers)).await;
    match found {
        Ok(Ok(Some(principal))) => {
            request.extensions_mut().insert(Arc::new(principal));
            next.run(request).await
        }
        Ok(Ok(None)) => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(serde_json::json!({"error": {"code": "unauthenticated",
                "message": "this endpoint needs an API token (Authorization: Bearer …; registry token add) or a session"}})),
        )
            .into_response(),
        Ok(Err(e)) => crate::api::ApiError::from(e).into_response(),
        Err(e) => {
            tracing::error!("auth worker: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The certificate `id` if `user` may see it: admins and supervisors see everything, a donor
/// only the certificates of lots given to one of its donors.
pub fn visible_certificate(
    store: &dyn Store,
    user: &User,
    id: &str,
) -> Result<Option<CertificateRow>, StoreError> {
    let q = SearchQuery { certificate_id: Some(id.to_owned()), ..scope(user) };
    Ok(store.search(&q)?.into_iter().next())
}

/// A search limited to what `user` may see.
pub fn scope(user: &User) -> SearchQuery {
    SearchQuery {
        donor_user: (user.role == Role::Donor).then(|| user.name.clone()),
        ..SearchQuery::default()
    }
}

/// Whether `user` may see the lot `lot`.
pub fn may_see_lot(store: &dyn Store, user: &User, lot: &str) -> Result<bool, StoreError> {
    Ok(match user.role {
        Role::Admin | Role::Supervisor => true,
        Role::Donor => store.lot_donor(lot)?.is_some_and(|d| user.donors.contains(&d)),
    })
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum WebError {
    /// No session: go log in.
    Unauthenticated,
    /// Logged in, but the role does not allow it (or the CSRF token is wrong).
    Forbidden(String),
    /// Nothing there (or nothing this account may see).
    NotFound(String),
    /// The request is wrong; the message says which field.
    BadRequest(String),
    /// Too many attempts.
    TooManyRequests(String),
    /// Already done, and done once (a certificate's validation).
    Conflict(String),
    /// The request's deadline passed before its work was done; the work stopped.
    Timeout,
    /// The registry failed; the detail is in its log.
    Internal,
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        if crate::deadline::passed() {
            // The statement was interrupted by the deadline (or failed after it): say so.
            return WebError::Timeout;
        }
        tracing::error!("store: {e}");
        WebError::Internal
    }
}

impl From<crate::deadline::Expired> for WebError {
    fn from(_: crate::deadline::Expired) -> Self {
        WebError::Timeout
    }
}

/// What every page knows about its request.
#[derive(Debug)]
pub struct Ctx {
    /// The language of the answer.
    pub lang: Lang,
    /// Set when `?lang=` asked for a language, to remember it in a cookie.
    pub chosen_lang: Option<Lang>,
    /// The logged-in account.
    pub principal: Option<Principal>,
}

impl Ctx {
    /// The account, if its role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal, WebError> {
        let p = self.principal.as_ref().ok_or(WebError::Unauthenticated)?;
        if roles.contains(&p.user.role) {
            Ok(p)
        } else {
            Err(WebError::Forbidden(i18n::tr(self.lang, "err_role").to_owned()))
        }
    }

    /// Checks a form's CSRF token against the session's (constant time).
    pub fn check_csrf(&self, form_token: Option<&str>) -> Result<(), WebError> {
        let p = self.principal.as_ref().ok_or(WebError::Unauthenticated)?;
        match (&p.credential, form_token) {
            (auth::Credential::Session { csrf, .. }, Some(t)) if auth::constant_time_eq(csrf, t) => Ok(()),
            _ => Err(WebError::Forbidden(i18n::tr(self.lang, "err_csrf").to_owned())),
        }
    }
}

/// The language asked in the query (`lang=`), else the `sv_lang` cookie, else French.
pub fn language(headers: &HeaderMap, query: Option<&str>) -> (Lang, Option<Lang>) {
    let asked = query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v));
    if let Some(l) = asked {
        return (l, Some(l));
    }
    (auth::cookie(headers, "sv_lang").and_then(|v| Lang::parse(&v)).unwrap_or(Lang::Fr), None)
}

/// Runs a page's work off the async runtime, with its context, and turns its errors into pages.
pub async fn run(
    state: AppState,
    headers: HeaderMap,
    query: Option<String>,
    f: impl FnOnce(&AppState, &Ctx) -> Result<Response, WebError> + Send + 'static,
) -> Response {
    let secure = state.web.secure_cookies;
    let deadline = crate::deadline::for_new_request();
    let work = tokio::task::spawn_blocking(move || {
        crate::deadline::with(deadline, || page_work(state, headers, query, f))
    })
    .await;
    finish_page(secure, work)
}

type PageOutcome = (Lang, Option<Lang>, Result<Response, WebError>);

fn page_work(
    state: AppState,
    headers: HeaderMap,
    query: Option<String>,
    f: impl FnOnce(&AppState, &Ctx) -> Result<Response, WebError>,
) -> PageOutcome {
    let (lang, chosen_lang) = language(&headers, query.as_deref());
    let ctx = match auth::principal(state.store.as_ref(), &headers) {
        Ok(principal) => Ctx { lang, chosen_lang, principal },
        Err(e) => return (lang, chosen_lang, Err(WebError::from(e))),
    };
    let result = f(&state, &ctx);
    (lang, chosen_lang, result)
}

fn finish_page(secure: bool, work: Result<PageOutcome, tokio::task::JoinError>) -> Response {
    let (lang, chosen, result) = match work {
        Ok(done) => done,
        Err(e) => {
            tracing::error!("page worker: {e}");
            (Lang::Fr, None, Err(WebError::Internal))
        }
    };
    let mut response = match result {
        Ok(r) => r,
        Err(e) => error_page(lang, e),
    };
    if let Some(l) = chosen {
        let cookie = format!(
            "sv_lang={}; Path=/; SameSite=Strict; Max-Age=31536000{}",
            l.code(),
            if secure { "; Secure" } else { "" }
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    harden(&mut response);
    response
}

/// Security headers on every page: no framing, no sniffing, no referrer, resources only from us.
fn harden(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn error_page(lang: Lang, e: WebError) -> Response {
    let (status, message) = match e {
        WebError::Unauthenticated => {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response();
        }
        WebError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
        WebError::NotFound(m) => (StatusCode::NOT_FOUND, m),
        WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
        WebError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m),
        WebError::Conflict(m) => (StatusCode::CONFLICT, m),
        WebError::Timeout => (StatusCode::REQUEST_TIMEOUT, i18n::tr(lang, "err_timeout").to_owned()),
        WebError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, i18n::tr(lang, "err_internal").to_owned()),
    };
    let mut h = html::Html::new();
    pages::head(&mut h, lang, i18n::tr(lang, "error_title"));
    h.raw("<main id=\"main\"><h1>")
        .text(i18n::tr(lang, "error_title"))
        .raw("</h1><p role=\"alert\">")
        .text(&message)
        .raw("</p><p><a href=\"/\">")
        .text(i18n::tr(lang, "back_home"))
        .raw("</a></p></main></body></html>");
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], h.finish()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_earn_a_growing_delay_never_a_lock_and_a_success_clears_them() {
        assert_eq!(login_delay(3), std::time::Duration::ZERO);
        assert_eq!(login_delay(4), LOGIN_FIRST_DELAY);
        assert_eq!(login_delay(6), LOGIN_FIRST_DELAY * 4);
        assert_eq!(login_delay(1000), LOGIN_MAX_DELAY);
        let d = LoginDelays::default();
        for _ in 0..5 {
            d.failed("Admin", "192.0.2.1");
        }
        assert_eq!(d.delay("admin", "198.51.100.7"), login_delay(5), "per name, in any case");
        assert_eq!(d.delay("camille", "192.0.2.1"), login_delay(5), "per address");
        assert_eq!(d.delay("camille", "198.51.100.7"), std::time::Duration::ZERO);
        d.succeeded("admin", "192.0.2.1");
        assert_eq!(d.delay("admin", "192.0.2.1"), std::time::Duration::ZERO);
    }
}
