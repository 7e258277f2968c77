//! Logging in and out.

use super::*;

pub(super) fn login_html(ctx: &Ctx, token: &str, error: Option<&str>) -> Html {
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
        if let Some(p) = &ctx.principal {
            return Ok(redirect(if p.user.role == Role::Partner { "/units" } else { "/search" }));
        }
        let token = auth::random_token()?;
        let mut r = html_response(StatusCode::OK, login_html(ctx, &token, None));
        set_cookie(&mut r, &auth::set_cookie(auth::LOGIN_COOKIE, &token, 3600, state.web.secure_cookies));
        Ok(r)
    })
    .await
}

pub(super) fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn login(
    State(state): State<AppState>,
    client: Option<axum::Extension<crate::server::ClientAddr>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    let cookie_token = auth::cookie(&headers, auth::LOGIN_COOKIE);
    let address = client.map(|axum::Extension(c)| c.limit_key()).unwrap_or_else(|| "unknown".into());
    let typed = form.get("name").map(|s| s.trim().to_owned()).unwrap_or_default();
    // The wait earned by earlier failures of this name or address, before any work.
    tokio::time::sleep(state.web.login_delays.delay(&typed, &address)).await;
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let form_token = form.get("login_csrf").map(String::as_str).unwrap_or("");
        if !cookie_token.as_deref().is_some_and(|c| !c.is_empty() && auth::constant_time_eq(c, form_token)) {
            return Err(WebError::Forbidden(tr(l, "err_csrf").to_owned()));
        }
        let name = form.get("name").map(|s| s.trim()).unwrap_or("");
        let password = form.get("password").map(String::as_str).unwrap_or("");
        let user = state.store.user(name)?;
        // Verify against a decoy hash when the account does not exist: same time either way.
        let hash = user.as_ref().map(|u| u.password_hash.as_str()).unwrap_or(auth::decoy_hash());
        let ok = auth::verify_password(hash, password) && user.is_some();
        if !ok {
            state.web.login_delays.failed(name, &address);
            tracing::warn!(account = %name, "failed login");
            let token = cookie_token.unwrap_or_default();
            return Ok(html_response(
                StatusCode::UNAUTHORIZED,
                login_html(ctx, &token, Some(tr(l, "login_failed"))),
            ));
        }
        state.web.login_delays.succeeded(name, &address);
        // The account's own name: `Admin` logs in to `admin` (names are case-insensitive).
        let account = user.as_ref().map(|u| u.name.as_str()).unwrap_or(name);
        let token = auth::open_session(state.store.as_ref(), account)?;
        // A partner account's work is the units it may reserve.
        let partner = user.as_ref().is_some_and(|u| u.role == Role::Partner);
        let mut r = redirect(if partner { "/units" } else { "/search" });
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
