//! Lots and the donor's lot report, as a page and a PDF.

use super::*;

pub async fn lots_page(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(ALL)?;
        let l = ctx.lang;
        let lots: Vec<_> = state
            .store
            .lots()?
            .into_iter()
            .filter(|lot| {
                AUDITORS.contains(&p.user.role)
                    || lot.donor.as_ref().is_some_and(|d| p.user.donors.contains(d))
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

/// A lot's rows, each row's certificate (parsed once, for the report and the table), and the
/// report.
type LoadedLot = (Vec<CertificateRow>, Vec<Option<Certificate>>, LotReport);

pub(super) fn load_lot(state: &AppState, ctx: &Ctx, lot: &str) -> Result<LoadedLot, WebError> {
    let p = ctx.require(ALL)?;
    if !crate::web::may_see_lot(state.store.as_ref(), &p.user, lot)? {
        return Err(WebError::NotFound(fill(tr(ctx.lang, "err_no_lot"), &[lot])));
    }
    let q = SearchQuery { lot: Some(lot.to_owned()), ..scope(&p.user) };
    let rows = state.store.search(&q)?;
    let mut certs: Vec<Option<Certificate>> = Vec::with_capacity(rows.len());
    for r in &rows {
        crate::deadline::check()?;
        certs.push(parse(&r.document));
    }
    let report = report::lot_report(&certs.iter().flatten().cloned().collect::<Vec<_>>());
    Ok((rows, certs, report))
}

/// Where the lot's units went (counts only: docs/web.md, "A unit's life").
pub(super) fn lot_destinations(state: &AppState, lot: &str) -> Result<report::Destinations, WebError> {
    let q = crate::store::UnitQuery { lot: Some(lot.to_owned()), limit: 1_000_000, ..Default::default() };
    Ok(report::destinations(&state.store.units(&q)?))
}

pub(super) fn report_lines(
    l: Lang,
    lot: &str,
    donor: Option<&str>,
    r: &LotReport,
    d: &report::Destinations,
) -> Vec<String> {
    let mut lines = vec![
        fill(tr(l, "report_lot"), &[lot, donor.unwrap_or("—")]),
        fill(tr(l, "report_received"), &[&r.received.to_string()]),
        fill(tr(l, "report_wiped"), &[&r.wiped.to_string()]),
        fill(tr(l, "report_attested"), &[&r.attested.to_string()]),
        fill(tr(l, "report_reused"), &[&r.reused.to_string()]),
        fill(tr(l, "report_parts"), &[&r.parts.to_string()]),
        fill(tr(l, "report_recycled"), &[&r.recycled.to_string()]),
        fill(tr(l, "report_ungraded"), &[&r.ungraded.to_string()]),
    ];
    lines.push(fill(tr(l, "report_dest_allocated"), &[&d.allocated.to_string()]));
    for (kind, n) in &d.by_partner_kind {
        lines.push(fill(
            tr(l, "report_dest_via"),
            &[tr(l, super::units::partner_kind_key(*kind)), &n.to_string()],
        ));
    }
    for (programme, n) in &d.by_programme {
        lines.push(fill(
            tr(l, "report_dest_for"),
            &[tr(l, super::units::programme_key(*programme)), &n.to_string()],
        ));
    }
    lines.push(fill(tr(l, "report_dest_recycled"), &[&d.recycled.to_string()]));
    lines.push(fill(tr(l, "report_dest_returned"), &[&d.returned.to_string()]));
    lines.push(fill(tr(l, "report_dest_in_progress"), &[&d.in_progress.to_string()]));
    // ADEME's factor, applied to the units given to a second user (docs/web.md).
    lines.push(fill(
        tr(l, "report_co2"),
        &[
            &format!("{:.0}", d.co2_avoided_kg_per_year),
            &format!("{:.0}", report::CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR),
        ],
    ));
    lines
}

pub async fn lot_report_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(lot): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let (rows, certs, r) = load_lot(state, ctx, &lot)?;
        let donor = state.store.lot_donor(&lot)?;
        let mut h = Html::new();
        shell(&mut h, ctx, &fill(tr(l, "report_title"), &[&lot]));
        h.raw("<p><a href=\"/lots/")
            .text(&url_encode(&lot))
            .raw("/report.pdf\">")
            .text(tr(l, "report_pdf"))
            .raw("</a></p><ul>");
        for line in report_lines(l, &lot, donor.as_deref(), &r, &lot_destinations(state, &lot)?) {
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
        certificate_table_of(&mut h, l, &rows, &certs)?;
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
        let (rows, certs, r) = load_lot(state, ctx, &lot)?;
        let donor = state.store.lot_donor(&lot)?;
        let mut pdf = pdf::Pdf::new();
        pdf.line(16.0, true, &fill(tr(l, "report_title"), &[&lot]));
        pdf.gap(6.0);
        for line in report_lines(l, &lot, donor.as_deref(), &r, &lot_destinations(state, &lot)?) {
            pdf.line(10.0, false, &line);
        }
        pdf.line(
            8.0,
            false,
            &format!("{} {} — {}", tr(l, "report_source"), report::CO2_SOURCE_TITLE, report::CO2_SOURCE_URL),
        );
        pdf.gap(8.0);
        pdf.line(12.0, true, tr(l, "report_units"));
        for (row, c) in rows.iter().zip(&certs) {
            crate::deadline::check()?;
            let grade = c.as_ref().map(|c| grade_words(l, c)).unwrap_or_default();
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
        Ok(attachment("application/pdf", &format!("lot-{}.pdf", url_encode(&lot)), pdf.finish()))
    })
    .await
}
