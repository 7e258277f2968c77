//! A supervisor's validation or rejection of a certificate (issue 26, docs/web.md
//! "Validation"): the form and the recorded decision on the certificate page, their lines on
//! the PDF, the downloadable statement, and the account page with its validation key.

use super::*;
use crate::store::{Decided, Validation};
use crate::validation::{self as val, Decision, KeyError, ReasonError};

/// A recorded decision and whether its signature verifies now, against the certificate as
/// stored.
pub(in crate::web::pages) struct Shown {
    pub(super) v: Validation,
    pub(super) verified: Result<(), String>,
}

/// The decision on certificate `id`, checked against its canonical bytes (`None` when the
/// certificate's own signature does not verify: then neither can the decision's).
pub(super) fn load(store: &dyn Store, id: &str, canonical: Option<&[u8]>) -> Result<Option<Shown>, WebError> {
    let Some(v) = store.validation(id)? else { return Ok(None) };
    let verified = match canonical {
        None => Err("the certificate's own signature does not verify".to_owned()),
        Some(canonical) => val::file_of(&v)
            .and_then(|file| val::verify_against(&file, id, canonical))
            .map(|_| ())
            .map_err(|e| e.to_string()),
    };
    Ok(Some(Shown { v, verified }))
}

fn decision_key(decision: &str) -> &'static str {
    match decision {
        "validated" => "val_validated",
        _ => "val_rejected",
    }
}

fn role_words(l: Lang, role: &str) -> &'static str {
    match role.parse::<Role>() {
        Ok(r) => tr(l, role_key(r)),
        Err(_) => "?",
    }
}

fn status_words(l: Lang, s: &Shown) -> String {
    match &s.verified {
        Ok(()) => tr(l, "val_sig_ok").to_owned(),
        Err(e) => fill(tr(l, "val_sig_bad"), &[e]),
    }
}

/// The "Validation" section of the certificate page: the decision if there is one, else the
/// form for a supervisor or an admin.
pub(super) fn section(h: &mut Html, ctx: &Ctx, c: &Checked) {
    let l = ctx.lang;
    let id = &c.row.id;
    h.raw("<section id=\"validation\"><h2>").text(tr(l, "val_heading")).raw("</h2>");
    match &c.validation {
        Some(s) => {
            let class = if s.v.decision == "validated" { "ok" } else { "error" };
            h.raw("<p class=\"")
                .raw(class)
                .raw("\">")
                .text(tr(l, decision_key(&s.v.decision)))
                .raw("</p><dl>");
            let item = |h: &mut Html, key: &str, value: &str| {
                h.raw("<dt>").text(tr(l, key)).raw("</dt><dd>").text(value).raw("</dd>");
            };
            item(h, "val_by", &format!("{} ({})", s.v.user, role_words(l, &s.v.role)));
            item(h, "val_at", &s.v.at);
            if let Some(reason) = &s.v.reason {
                item(h, "val_reason", reason);
            }
            item(h, "val_key", &s.v.key_id);
            item(h, "val_signature", &status_words(l, s));
            h.raw("</dl><p><a href=\"/certificates/")
                .text(&url_encode(id))
                .raw("/validation.json\">")
                .text(tr(l, "val_download"))
                .raw("</a></p>");
        }
        None => {
            h.raw("<p>").text(tr(l, "val_none")).raw("</p>");
            let auditor = ctx.principal.as_ref().filter(|p| AUDITORS.contains(&p.user.role));
            if let Some(p) = auditor {
                h.raw("<form method=\"post\" action=\"/certificates/")
                    .text(&url_encode(id))
                    .raw("/validation\" class=\"stack\">");
                csrf_field(h, p.csrf());
                h.raw("<label for=\"reason\">")
                    .text(tr(l, "val_reason_label"))
                    .raw("</label><textarea id=\"reason\" name=\"reason\" maxlength=\"1000\" rows=\"3\"></textarea>")
                    .raw("<label for=\"password\">")
                    .text(tr(l, "val_password"))
                    .raw("</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>")
                    .raw("<p>")
                    .text(tr(l, "val_explain"))
                    .raw("</p><div><button type=\"submit\" name=\"decision\" value=\"validated\">")
                    .text(tr(l, "val_validate"))
                    .raw("</button> <button type=\"submit\" name=\"decision\" value=\"rejected\">")
                    .text(tr(l, "val_reject"))
                    .raw("</button></div></form>");
            }
        }
    }
    h.raw("</section>");
}

/// The decision's lines on the printable certificate.
pub(super) fn pdf_lines(pdf: &mut pdf::Pdf, l: Lang, c: &Checked) {
    pdf.gap(6.0);
    pdf.line(12.0, true, tr(l, "val_heading"));
    let Some(s) = &c.validation else {
        pdf.line(10.0, false, tr(l, "val_none"));
        return;
    };
    let row = |pdf: &mut pdf::Pdf, key: &str, value: &str| pdf.line(10.0, false, &labelled(l, key, value));
    row(pdf, "val_decision", tr(l, decision_key(&s.v.decision)));
    row(pdf, "val_by", &format!("{} ({})", s.v.user, role_words(l, &s.v.role)));
    row(pdf, "val_at", &s.v.at);
    if let Some(reason) = &s.v.reason {
        // One line per line of the reason; the PDF does not wrap.
        for (i, line) in reason.lines().enumerate() {
            if i == 0 {
                row(pdf, "val_reason", line);
            } else {
                pdf.line(10.0, false, line);
            }
        }
    }
    row(pdf, "val_key", &s.v.key_id);
    row(pdf, "val_signature", &status_words(l, s));
}

fn reason_words(l: Lang, e: &ReasonError) -> String {
    match e {
        ReasonError::Missing => tr(l, "val_err_reason_missing").to_owned(),
        ReasonError::TooLong(n) => {
            fill(tr(l, "val_err_reason_long"), &[&n.to_string(), &val::MAX_REASON_CHARS.to_string()])
        }
        ReasonError::Control { code, at } => {
            fill(tr(l, "val_err_reason_control"), &[&format!("U+{code:04X}"), &at.to_string()])
        }
    }
}

/// `POST /certificates/{id}/validation`: a supervisor's or an admin's decision, with the
/// account's password again (re-authentication for a signature), its CSRF token, and a reason
/// for a rejection. A certificate is decided once: a second decision is 409.
pub async fn certificate_decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
    Form(form): Form<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        ctx.require(ALL)?;
        ctx.check_csrf(form.get("csrf").map(String::as_str))?;
        let p = ctx.require(AUDITORS)?;
        let store = state.store.as_ref();
        let decision = form
            .get("decision")
            .and_then(|d| Decision::parse(d.trim()))
            .ok_or_else(|| WebError::BadRequest(tr(l, "val_err_decision").to_owned()))?;
        let reason = val::check_reason(decision, form.get("reason").map(String::as_str))
            .map_err(|e| WebError::BadRequest(reason_words(l, &e)))?;
        let password = form.get("password").map(String::as_str).unwrap_or("");
        if password.is_empty() {
            return Err(WebError::BadRequest(tr(l, "val_err_password_missing").to_owned()));
        }
        let row = visible_certificate(store, &p.user, &id)?
            .ok_or_else(|| WebError::NotFound(fill(tr(l, "err_no_certificate"), &[&id])))?;
        let canonical = SignedDocument::from_json(row.document.as_bytes())
            .and_then(|d| d.verify())
            .map(|v| v.canonical)
            .map_err(|e| WebError::Conflict(fill(tr(l, "val_err_unverified"), &[&e.to_string()])))?;
        if let Some(v) = store.validation(&row.id)? {
            return Err(already(l, &v));
        }
        // A wrong password here earns the login's delays: counted with the account name's
        // failed logins (guesses through either form add up), and per account, never shared
        // between accounts (the session is the account's; its address is not the point).
        let limit_key = format!("re-authentication:{}", p.user.name.to_lowercase());
        let limit_key = limit_key.as_str();
        std::thread::sleep(state.web.login_delays.delay(&p.user.name, limit_key));
        let (key, key_row) = match val::account_key(store, &p.user, password) {
            Ok(k) => k,
            Err(KeyError::WrongPassword) => {
                state.web.login_delays.failed(&p.user.name, limit_key);
                return Err(WebError::Forbidden(tr(l, "val_err_password").to_owned()));
            }
            Err(KeyError::Role(_)) => return Err(WebError::Forbidden(tr(l, "err_role").to_owned())),
            Err(KeyError::Store(e)) => return Err(e.into()),
            Err(KeyError::Seal(e)) => {
                tracing::error!(user = %p.user.name, "validation key: {e}");
                return Err(WebError::Internal);
            }
        };
        state.web.login_delays.succeeded(&p.user.name, limit_key);
        let statement = val::Statement {
            schema: val::SCHEMA.into(),
            certificate_id: row.id.clone(),
            certificate_sha256: val::certificate_sha256(&canonical),
            decision,
            reason: reason.clone(),
            validator: val::Validator {
                name: p.user.name.clone(),
                role: p.user.role.as_str().into(),
                key_id: key_row.key_id.clone(),
            },
            at: certificate::Timestamp::now().to_string(),
        };
        let (text, signature) = val::sign(&statement, &key).map_err(|e| {
            tracing::error!("signing a validation: {e}");
            WebError::Internal
        })?;
        let recorded = Validation {
            certificate_id: row.id.clone(),
            user: p.user.name.clone(),
            role: p.user.role.as_str().into(),
            decision: decision.as_str().into(),
            reason,
            at: statement.at.clone(),
            key_id: signature.keyid,
            public_key: signature.public_key,
            statement: text,
            signature: signature.sig,
        };
        match store.add_validation(&recorded)? {
            Decided::New => {
                tracing::info!(certificate = %row.id, user = %p.user.name, decision = decision.as_str(), "certificate decided");
                let to = format!("/certificates/{}#validation", url_encode(&row.id));
                Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
            }
            Decided::Already(v) => Err(already(l, &v)),
        }
    })
    .await
}

fn already(l: Lang, v: &Validation) -> WebError {
    WebError::Conflict(fill(tr(l, "val_err_already"), &[tr(l, decision_key(&v.decision)), &v.user, &v.at]))
}

/// `GET /certificates/{id}/validation.json`: the statement, its signature and the validator's
/// public key, for `registry verify CERT --validation FILE`.
pub async fn validation_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let p = ctx.require(ALL)?;
        let row = visible_certificate(state.store.as_ref(), &p.user, &id)?
            .ok_or_else(|| WebError::NotFound(fill(tr(l, "err_no_certificate"), &[&id])))?;
        let v = state
            .store
            .validation(&row.id)?
            .ok_or_else(|| WebError::NotFound(tr(l, "val_none").to_owned()))?;
        let file = val::file_of(&v).map_err(|e| {
            tracing::error!(certificate = %row.id, "stored validation: {e}");
            WebError::Internal
        })?;
        let mut body = serde_json::to_vec_pretty(&file).map_err(|_| WebError::Internal)?;
        body.push(b'\n');
        Ok(attachment("application/json", &format!("validation-{}.json", url_encode(&row.id)), body))
    })
    .await
}

/// `GET /account`: the account's name, role and validation key.
pub async fn account_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let p = ctx.require(ALL)?;
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "account_title"));
        h.raw("<dl><dt>")
            .text(tr(l, "col_name"))
            .raw("</dt><dd>")
            .text(&p.user.name)
            .raw("</dd><dt>")
            .text(tr(l, "col_role"))
            .raw("</dt><dd>")
            .text(tr(l, role_key(p.user.role)))
            .raw("</dd></dl>");
        if AUDITORS.contains(&p.user.role) {
            h.raw("<h2>").text(tr(l, "val_key")).raw("</h2>");
            match state.store.validator_key(&p.user.name)? {
                Some(k) => {
                    h.raw("<dl><dt>")
                        .text(tr(l, "val_key_id"))
                        .raw("</dt><dd><code>")
                        .text(&k.key_id)
                        .raw("</code></dd><dt>")
                        .text(tr(l, "val_public_key"))
                        .raw("</dt><dd><code>")
                        .text(&k.public_key)
                        .raw("</code></dd><dt>")
                        .text(tr(l, "val_key_created"))
                        .raw("</dt><dd>")
                        .text(&k.created_at)
                        .raw("</dd></dl>");
                }
                None => {
                    h.raw("<p>").text(tr(l, "val_no_key")).raw("</p>");
                }
            }
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}
