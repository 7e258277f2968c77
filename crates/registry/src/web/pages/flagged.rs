//! The flags page (the flags themselves are computed in `web::flags`).

use super::*;

pub(super) fn flag_words(l: Lang, kind: &flags::FlagKind) -> String {
    use flags::FlagKind::*;
    match kind {
        VerificationFailed { disk } => fill(tr(l, "flag_verification_failed"), &[disk]),
        VerificationSkipped { disk } => fill(tr(l, "flag_verification_skipped"), &[disk]),
        WipeInterrupted { disk, how_far } => fill(tr(l, "flag_wipe_interrupted"), &[disk, how_far]),
        SmartFailing { disk } => fill(tr(l, "flag_smart_failing"), &[disk]),
        DiskWipedTwice { serial, times } => fill(tr(l, "flag_wiped_twice"), &[serial, &times.to_string()]),
        StationRevoked => tr(l, "flag_station_revoked").to_owned(),
        UnitWithoutSerial => tr(l, "flag_unit_without_serial").to_owned(),
        DiskWithoutSerial { disk, bridge: None } => fill(tr(l, "flag_disk_without_serial"), &[disk]),
        DiskWithoutSerial { disk, bridge: Some(bridge) } => {
            fill(tr(l, "flag_disk_without_serial_bridge"), &[disk, bridge])
        }
        HardwareTestFailed { test } => fill(tr(l, "flag_hardware_failed"), &[test]),
    }
}

/// Flags a page shows; the next ones are on the next page.
pub(super) const FLAG_ROWS: u64 = 200;

/// The `before=` cursor of the flags page: `LEAF.POSITION` of the last flag shown.
fn flag_cursor(form: &FormData) -> Option<(u64, i64)> {
    let (leaf, position) = form.get("before")?.split_once('.')?;
    Some((leaf.parse().ok()?, position.parse().ok()?))
}

pub async fn flags_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    axum::extract::Query(form): axum::extract::Query<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        ctx.require(AUDITORS)?;
        let l = ctx.lang;
        // The flags were computed when each certificate was recorded: a page reads one page of
        // them, whatever the number of certificates (docs/web.md, "Flags").
        let (found, total) = state.store.flags(flag_cursor(&form), FLAG_ROWS)?;
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "flags_title"));
        h.raw("<p>").text(&fill(tr(l, "flags_count"), &[&total.to_string()])).raw("</p>");
        if !found.is_empty() {
            h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr><th scope=\"col\">")
                .text(tr(l, "col_certificate"))
                .raw("</th><th scope=\"col\">")
                .text(tr(l, "col_unit"))
                .raw("</th><th scope=\"col\">")
                .text(tr(l, "col_flag"))
                .raw("</th></tr></thead><tbody>");
            for f in &found {
                crate::deadline::check()?;
                h.raw("<tr><td><a href=\"/certificates/")
                    .text(&url_encode(&f.certificate_id))
                    .raw("\">")
                    .text(&f.certificate_id)
                    .raw("</a></td><td>")
                    .text(f.unit_serial.as_deref().unwrap_or("—"))
                    .raw("</td><td>")
                    .text(&flag_words(l, &f.kind))
                    .raw("</td></tr>");
            }
            h.raw("</tbody></table></div>");
        }
        if let (Some(last), true) = (found.last(), found.len() as u64 == FLAG_ROWS) {
            let (leaf, position) = last.cursor;
            next_page(&mut h, l, &format!("/flags?before={leaf}.{position}"));
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}
