//! The search page and its CSV export.

use super::*;

/// Most rows of one CSV export: a spreadsheet's worth; narrow the search for the rest.
pub(super) const MAX_CSV_ROWS: u64 = 100_000;

pub(super) const SEARCH_FIELDS: &[(&str, &str)] = &[
    ("unit", "f_unit"),
    ("disk", "f_disk"),
    ("id", "f_id"),
    ("lot", "f_lot"),
    ("station", "f_station"),
    ("from", "f_from"),
    ("to", "f_to"),
];

pub(super) fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && certificate::Timestamp::parse(&format!("{s}T00:00:00Z")).is_ok()
}

/// The search filters from the query string; a bad date names its field.
pub(super) fn search_query(lang: Lang, form: &FormData) -> Result<SearchQuery, WebError> {
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    for field in ["from", "to"] {
        if let Some(v) = get(field) {
            if !is_day(&v) {
                return Err(WebError::BadRequest(fill(tr(lang, "err_bad_date"), &[field, &v])));
            }
        }
    }
    // Issue 26: by the supervisor's decision.
    let validation = match get("validation").as_deref() {
        None => None,
        Some("pending") => Some(crate::store::ValidationFilter::Pending),
        Some("validated") => Some(crate::store::ValidationFilter::Validated),
        Some("rejected") => Some(crate::store::ValidationFilter::Rejected),
        Some(other) => {
            return Err(WebError::BadRequest(fill(tr(lang, "err_bad_validation_filter"), &[other])))
        }
    };
    Ok(SearchQuery {
        validation,
        unit_serial: get("unit"),
        disk_serial: get("disk"),
        certificate_id: get("id"),
        lot: get("lot"),
        station: get("station"),
        from: get("from"),
        to: get("to"),
        donor_user: None,
        limit: None,
        // `after=FINISHED_AT ID` of the last row of the previous page.
        after: get("after").and_then(|v| v.split_once(' ').map(|(f, i)| (f.to_owned(), i.to_owned()))),
    })
}

pub(super) fn query_string(form: &FormData) -> String {
    SEARCH_FIELDS
        .iter()
        .chain(&[("validation", ""), ("after", "")])
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
        let next = rows.last().filter(|_| rows.len() as u64 == PAGE_ROWS).map(|r| {
            let mut next = form.clone();
            next.insert("after".into(), format!("{} {}", r.finished_at, r.id));
            next
        });
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
        validation_select(&mut h, l, form.get("validation").map(String::as_str));
        h.raw("<div><button type=\"submit\">").text(tr(l, "search_submit")).raw("</button></div></form>");
        let qs = query_string(&form);
        h.raw("<p><a href=\"/search.csv?").text(&qs).raw("\">").text(tr(l, "search_csv")).raw("</a></p>");
        h.raw("<h2>").text(&fill(tr(l, "search_results"), &[&rows.len().to_string()])).raw("</h2>");
        if rows.is_empty() {
            h.raw("<p>").text(tr(l, "search_none")).raw("</p>");
        } else {
            certificate_table(&mut h, l, &rows)?;
        }
        if let Some(next) = next {
            next_page(&mut h, l, &format!("/search?{}", query_string(&next)));
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

pub(super) fn certificate_table(h: &mut Html, l: Lang, rows: &[CertificateRow]) -> Result<(), WebError> {
    let certs: Vec<Option<Certificate>> = rows.iter().map(|r| parse(&r.document)).collect();
    certificate_table_of(h, l, rows, &certs)
}

/// The table of `rows`, each with its certificate already parsed (`certs[i]` is `rows[i]`'s).
pub(super) fn certificate_table_of(
    h: &mut Html,
    l: Lang,
    rows: &[CertificateRow],
    certs: &[Option<Certificate>],
) -> Result<(), WebError> {
    h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
    for key in
        ["col_certificate", "col_finished", "col_unit", "col_disks", "col_lot", "col_result", "col_station"]
    {
        h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for (r, c) in rows.iter().zip(certs) {
        crate::deadline::check()?;
        let disks = c.as_ref().map(disk_serials).unwrap_or_default();
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
    Ok(())
}

pub(super) fn disk_serials(c: &Certificate) -> String {
    c.disks.iter().filter_map(|d| d.serial.value().cloned()).collect::<Vec<_>>().join(" ")
}

/// One CSV field (RFC 4180 §2): quoted when it holds a comma, a semicolon (French spreadsheets
/// split on it), quote or line break, quotes
/// doubled; a leading `=`, `+`, `-`, `@` gets a `'` so spreadsheets do not run it as a formula
/// (OWASP "CSV Injection").
pub fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', ';', '"', '\n', '\r']) {
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
        query.limit = Some(MAX_CSV_ROWS);
        let rows = state.store.search(&query)?;
        let mut out = String::from(
            "certificate_id,finished_at,received_at,unit_serial,disk_serials,lot,result,station,station_key_id,station_revoked,leaf_index\r\n",
        );
        for r in rows {
            crate::deadline::check()?;
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

/// The search's "Validation" filter (issue 26): any, not decided yet, validated, rejected.
fn validation_select(h: &mut Html, l: Lang, chosen: Option<&str>) {
    h.raw("<div><label for=\"f-validation\">")
        .text(tr(l, "f_validation"))
        .raw("</label><select id=\"f-validation\" name=\"validation\">");
    for (value, key) in [
        ("", "f_validation_any"),
        ("pending", "f_validation_pending"),
        ("validated", "f_validation_validated"),
        ("rejected", "f_validation_rejected"),
    ] {
        let selected = if chosen.unwrap_or("") == value { " selected" } else { "" };
        h.raw("<option value=\"")
            .text(value)
            .raw("\"")
            .raw(selected)
            .raw(">")
            .text(tr(l, key))
            .raw("</option>");
    }
    h.raw("</select></div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("a;b"), "\"a;b\"", "French spreadsheets split on ;");
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
}
