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

const ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Donor, Role::Partner];
const AUDITORS: &[Role] = &[Role::Admin, Role::Supervisor];
const ADMINS: &[Role] = &[Role::Admin];

/// Rows a search page shows; the CSV export has no limit.
const PAGE_ROWS: u64 = 200;

type FormData = HashMap<String, String>;

fn html_response(status: StatusCode, h: Html) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], h.finish()).into_response()
}

/// A download: `body` as `content_type`, which the browser saves as `filename` (URL-safe already).
fn attachment(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
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
        if p.user.role == Role::Partner {
            link("/units", "nav_units");
        } else {
            link("/search", "nav_search");
            link("/lots", "nav_lots");
        }
        if AUDITORS.contains(&p.user.role) {
            link("/units", "nav_units");
            link("/flags", "nav_flags");
            link("/stations", "nav_stations");
        }
        if p.user.role == Role::Admin {
            link("/admin", "nav_admin");
        }
        link("/check", "nav_check");
        h.raw("</ul></nav><p class=\"who\"><a href=\"/account\">")
            .text(&p.user.name)
            .raw("</a>")
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

/// "Label : value" in French typography (a space before the colon), "Label: value" in English.
fn labelled(l: Lang, key: &str, value: &str) -> String {
    match l {
        Lang::Fr => format!("{} : {value}", tr(l, key)),
        Lang::En => format!("{}: {value}", tr(l, key)),
    }
}

/// The "next page" link under a list that stopped at its page size; `href` is already
/// URL-encoded (it is HTML-escaped here).
fn next_page(h: &mut Html, l: Lang, href: &str) {
    h.raw("<p><a rel=\"next\" href=\"").text(href).raw("\">").text(tr(l, "next_page")).raw("</a></p>");
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
        Role::Partner => "role_partner",
    }
}

/// The certificate inside a stored document (not verified: for lists; the certificate page and
/// the PDF verify).
fn parse(document: &str) -> Option<Certificate> {
    super::parse_stored(document)
}

pub async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../web.css")).into_response()
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    run(state, headers, q, |_, ctx| {
        Ok(match &ctx.principal {
            Some(p) if p.user.role == Role::Partner => redirect("/units"),
            Some(_) => redirect("/search"),
            None => redirect("/login"),
        })
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

mod admin;
mod certificates;
mod flagged;
mod login;
mod lots;
mod search;
mod stations;
mod units;
mod validation;

pub use admin::*;
pub use certificates::*;
pub use flagged::*;
pub use login::*;
pub use lots::*;
pub use search::*;
pub use stations::*;
pub use units::*;
pub use validation::*;
