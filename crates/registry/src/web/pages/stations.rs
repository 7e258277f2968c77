//! Stations: approving and revoking from the web (admins and supervisors: approving a station is
//! the supervisor's job in the command line's enrolment flow too).

use super::*;

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

pub(super) fn not_found_station(l: Lang, e: crate::store::StoreError) -> WebError {
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
