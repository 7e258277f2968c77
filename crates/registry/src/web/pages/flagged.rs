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
