//! Units: the list (`/units?state=…`), a unit's page with its history and the forms of its next
//! transitions (`/units/{serial}`), and the form they post to. Who sees what is decided in
//! `web::units`, shared with the API.

use super::*;
use crate::store::{UnitQuery, UnitRow};
use crate::units::{ActionFields, Price, State as UnitState, PROGRAMMES, STATES};
use crate::web::units::{self as rules, UnitError};

/// Units a list page shows; the next ones are on the next page.
const UNIT_ROWS: u64 = 200;

impl From<UnitError> for WebError {
    fn from(e: UnitError) -> Self {
        match e {
            UnitError::NotFound(m) => WebError::NotFound(m),
            UnitError::Forbidden(m) => WebError::Forbidden(m),
            UnitError::Bad(m) => WebError::BadRequest(m),
            UnitError::Refused(m) => WebError::Conflict(m),
            UnitError::Transition(why) => WebError::Conflict(why.to_string()),
            UnitError::Store(e) => e.into(),
        }
    }
}

fn state_key(s: UnitState) -> &'static str {
    match s {
        UnitState::Received => "unit_state_received",
        UnitState::Wiped => "unit_state_wiped",
        UnitState::Imaged => "unit_state_imaged",
        UnitState::Graded => "unit_state_graded",
        UnitState::Ready => "unit_state_ready",
        UnitState::Allocated => "unit_state_allocated",
        UnitState::Returned => "unit_state_returned",
        UnitState::Recycled => "unit_state_recycled",
    }
}

pub(super) fn partner_kind_key(k: crate::units::PartnerKind) -> &'static str {
    use crate::units::PartnerKind::*;
    match k {
        Ccas => "partner_kind_ccas",
        MissionLocale => "partner_kind_mission_locale",
        Ase => "partner_kind_ase",
        FranceTravail => "partner_kind_france_travail",
        Association => "partner_kind_association",
        Other => "partner_kind_other",
    }
}

pub(super) fn programme_key(p: crate::units::Programme) -> &'static str {
    use crate::units::Programme::*;
    match p {
        Rsa => "programme_rsa",
        Ase => "programme_ase",
        JobSeekers => "programme_job_seekers",
        Students => "programme_students",
        Other => "programme_other",
    }
}

/// Why a transition is refused, in the page's language.
fn refusal_words(l: Lang, why: &crate::units::Refusal) -> String {
    use crate::units::Refusal::*;
    let key = match why {
        WipeFailed => "refusal_wipe_failed",
        NotWiped => "refusal_not_wiped",
        NotImaged => "refusal_not_imaged",
        NotGraded => "refusal_not_graded",
        NotForReuse(g) => return fill(tr(l, "refusal_not_for_reuse"), &[g]),
        AlreadyReady => "refusal_already_ready",
        ReturnFirst => "refusal_return_first",
        WipeAgain => "refusal_wipe_again",
        AlreadyAllocated => "refusal_already_allocated",
        NotReady => "refusal_not_ready",
        NotAllocated => "refusal_not_allocated",
        Recycled => "refusal_recycled",
    };
    tr(l, key).to_owned()
}

fn euros(cents: i64) -> String {
    format!("{},{:02} €", cents / 100, cents % 100)
}

fn price_words(l: Lang, price: Option<Price>) -> String {
    match price {
        None => "—".to_owned(),
        Some(Price::Free) => tr(l, "price_free").to_owned(),
        Some(Price::Solidaire { cents }) => fill(tr(l, "price_solidaire"), &[&euros(cents)]),
        Some(Price::Yearly { cents }) => fill(tr(l, "price_yearly"), &[&euros(cents)]),
    }
}

fn make_model(u: &UnitRow) -> String {
    format!("{} {}", u.vendor.as_deref().unwrap_or(""), u.model.as_deref().unwrap_or("")).trim().to_owned()
}

/// A unit's page; the lot is named for auditors only (a partner learns nothing of the lot).
fn unit_href(u: &UnitRow, auditor: bool) -> String {
    if auditor {
        format!("/units/{}?lot={}", url_encode(&u.reference), url_encode(&u.lot))
    } else {
        format!("/units/{}", url_encode(&u.reference))
    }
}

fn unit_table(h: &mut Html, l: Lang, units: &[UnitRow], auditor: bool, with_case: bool) {
    if units.is_empty() {
        h.raw("<p>").text(tr(l, "units_none")).raw("</p>");
        return;
    }
    let with_state = auditor;
    h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
    let mut cols = vec!["col_unit", "col_kind", "col_make_model", "col_grade", "col_price"];
    if with_state {
        cols.insert(0, "col_state");
    }
    if with_case {
        cols.extend(["col_case_reference", "col_programme"]);
    }
    for key in cols {
        h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for u in units {
        h.raw("<tr>");
        if with_state {
            h.raw("<td>").text(tr(l, state_key(u.state))).raw("</td>");
        }
        h.raw("<td><a href=\"")
            .text(&unit_href(u, auditor))
            .raw("\">")
            .text(&u.reference)
            .raw("</a></td><td>")
            .text(u.chassis.as_deref().unwrap_or("—"))
            .raw("</td><td>")
            .text(&make_model(u))
            .raw("</td><td>")
            .text(u.evidence.grade.as_deref().unwrap_or("—"))
            .raw("</td><td>")
            .text(&price_words(l, u.price))
            .raw("</td>");
        if with_case {
            h.raw("<td>")
                .text(u.case_reference.as_deref().unwrap_or("—"))
                .raw("</td><td>")
                .text(u.programme.map(|p| tr(l, programme_key(p))).unwrap_or("—"))
                .raw("</td>");
        }
        h.raw("</tr>");
    }
    h.raw("</tbody></table></div>");
}

pub async fn units_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    axum::extract::Query(form): axum::extract::Query<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(&[Role::Admin, Role::Supervisor, Role::Partner])?;
        let l = ctx.lang;
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "units_title"));
        if p.user.role == Role::Partner {
            // What it may reserve, then what it was given: nothing of any lot or donor.
            let ready = state.store.units(&UnitQuery {
                state: Some(UnitState::Ready),
                limit: UNIT_ROWS,
                ..UnitQuery::default()
            })?;
            h.raw("<h2>").text(tr(l, "units_ready_for_you")).raw("</h2>");
            unit_table(&mut h, l, &ready, false, false);
            let own = state.store.units(&UnitQuery {
                partner: p.user.partner.clone().or(Some(String::new())),
                limit: UNIT_ROWS,
                ..UnitQuery::default()
            })?;
            h.raw("<h2>").text(tr(l, "units_your_allocations")).raw("</h2>");
            unit_table(&mut h, l, &own, false, true);
            end(&mut h);
            return Ok(html_response(StatusCode::OK, h));
        }
        let wanted = match form.get("state").map(String::as_str).filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse::<UnitState>().map_err(WebError::BadRequest)?),
            None => None,
        };
        h.raw("<form method=\"get\" action=\"/units\"><label for=\"u-state\">")
            .text(tr(l, "col_state"))
            .raw("</label><select id=\"u-state\" name=\"state\"><option value=\"\">")
            .text(tr(l, "units_any_state"))
            .raw("</option>");
        for s in STATES {
            h.raw("<option value=\"").text(s.as_str()).raw("\"");
            if Some(s) == wanted {
                h.raw(" selected");
            }
            h.raw(">").text(tr(l, state_key(s))).raw("</option>");
        }
        h.raw("</select><button type=\"submit\">").text(tr(l, "units_show")).raw("</button></form>");
        let after =
            form.get("after").map(|a| (form.get("after_lot").cloned().unwrap_or_default(), a.clone()));
        let found = state.store.units(&UnitQuery {
            state: wanted,
            after,
            limit: UNIT_ROWS,
            ..UnitQuery::default()
        })?;
        unit_table(&mut h, l, &found, true, false);
        if let (Some(last), true) = (found.last(), found.len() as u64 == UNIT_ROWS) {
            let href = format!(
                "/units?state={}&after_lot={}&after={}",
                url_encode(wanted.map(UnitState::as_str).unwrap_or("")),
                url_encode(&last.lot),
                url_encode(&last.reference)
            );
            next_page(&mut h, l, &href);
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

fn row(h: &mut Html, l: Lang, key: &str, value: &str) {
    h.raw("<tr><th scope=\"row\">").text(tr(l, key)).raw("</th><td>").text(value).raw("</td></tr>");
}

/// The hidden fields every unit form carries: the lot only on an auditor's forms (a partner
/// learns nothing of the lot).
fn unit_form(h: &mut Html, u: &UnitRow, csrf: &str, action: &str, auditor: bool) {
    h.raw("<form method=\"post\" action=\"/units/").text(&url_encode(&u.reference)).raw("/act\">");
    csrf_field(h, csrf);
    if auditor {
        h.raw("<input type=\"hidden\" name=\"lot\" value=\"").text(&u.lot).raw("\">");
    }
    h.raw("<input type=\"hidden\" name=\"action\" value=\"").text(action).raw("\">");
}

/// The case reference and programme fields, with the warning never to type a name.
fn allocation_fields(h: &mut Html, l: Lang) {
    h.raw("<label for=\"f-case\">")
        .text(tr(l, "col_case_reference"))
        .raw("</label><input id=\"f-case\" name=\"case_reference\" required maxlength=\"64\" autocomplete=\"off\" aria-describedby=\"f-case-hint\"><p id=\"f-case-hint\" class=\"hint\">")
        .text(tr(l, "case_reference_hint"))
        .raw("</p><label for=\"f-programme\">")
        .text(tr(l, "col_programme"))
        .raw("</label><select id=\"f-programme\" name=\"programme\">");
    for p in PROGRAMMES {
        h.raw("<option value=\"").text(p.as_str()).raw("\">").text(tr(l, programme_key(p))).raw("</option>");
    }
    h.raw("</select>");
}

pub async fn unit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    RawQuery(q): RawQuery,
    axum::extract::Query(form): axum::extract::Query<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(&[Role::Admin, Role::Supervisor, Role::Partner])?;
        let l = ctx.lang;
        let lot = form.get("lot").map(String::as_str);
        let u = rules::visible_unit(state.store.as_ref(), &p.user, &serial, lot)?;
        let auditor = AUDITORS.contains(&p.user.role);
        let own = u.partner.is_some() && u.partner == p.user.partner;
        let mut h = Html::new();
        shell(&mut h, ctx, &fill(tr(l, "unit_title"), &[&u.reference]));
        h.raw("<table class=\"facts\"><tbody>");
        row(&mut h, l, "col_state", tr(l, state_key(u.state)));
        row(&mut h, l, "col_kind", u.chassis.as_deref().unwrap_or("—"));
        row(&mut h, l, "col_make_model", &make_model(&u));
        row(&mut h, l, "col_grade", u.evidence.grade.as_deref().unwrap_or("—"));
        row(&mut h, l, "col_price", &price_words(l, u.price));
        if auditor {
            row(&mut h, l, "col_lot", if u.lot.is_empty() { "—" } else { &u.lot });
        }
        if auditor || own {
            row(&mut h, l, "col_partner", u.partner.as_deref().unwrap_or("—"));
            row(&mut h, l, "col_case_reference", u.case_reference.as_deref().unwrap_or("—"));
            row(&mut h, l, "col_programme", u.programme.map(|g| tr(l, programme_key(g))).unwrap_or("—"));
        }
        h.raw("</tbody></table>");
        if auditor {
            if let Some(id) = &u.certificate_id {
                h.raw("<p><a href=\"/certificates/")
                    .text(&url_encode(id))
                    .raw("\">")
                    .text(tr(l, "unit_latest_certificate"))
                    .raw("</a></p>");
            }
            h.raw("<h2>").text(tr(l, "unit_history")).raw("</h2>");
            let events = state.store.unit_events(&u.lot, &u.reference)?;
            if events.is_empty() {
                h.raw("<p>").text(tr(l, "unit_history_none")).raw("</p>");
            } else {
                h.raw("<div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
                for key in ["col_when", "col_state", "col_by", "col_partner", "col_case_reference", "col_price"] {
                    h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
                }
                h.raw("</tr></thead><tbody>");
                for e in &events {
                    h.raw("<tr><td>")
                        .text(&e.at)
                        .raw("</td><td>")
                        .text(tr(l, state_key(e.state)))
                        .raw("</td><td>")
                        .text(&e.actor)
                        .raw("</td><td>")
                        .text(e.partner.as_deref().unwrap_or("—"))
                        .raw("</td><td>")
                        .text(e.case_reference.as_deref().unwrap_or("—"))
                        .raw("</td><td>")
                        .text(&price_words(l, e.price))
                        .raw("</td></tr>");
                }
                h.raw("</tbody></table></div>");
            }
            h.raw("<h2>").text(tr(l, "unit_actions")).raw("</h2>");
            match u.state {
                UnitState::Graded => {
                    unit_form(&mut h, &u, p.csrf(), "ready", true);
                    h.raw("<label for=\"f-price\">")
                        .text(tr(l, "col_price"))
                        .raw("</label><select id=\"f-price\" name=\"price\">");
                    for (v, key) in [("yearly", "price_kind_yearly"), ("solidaire", "price_kind_solidaire"), ("free", "price_free")] {
                        h.raw("<option value=\"").text(v).raw("\">").text(tr(l, key)).raw("</option>");
                    }
                    h.raw("</select><label for=\"f-amount\">")
                        .text(tr(l, "price_amount"))
                        .raw("</label><input id=\"f-amount\" name=\"amount\" inputmode=\"decimal\"><button type=\"submit\">")
                        .text(tr(l, "unit_do_ready"))
                        .raw("</button></form>");
                }
                UnitState::Ready => {
                    unit_form(&mut h, &u, p.csrf(), "allocate", true);
                    h.raw("<label for=\"f-partner\">")
                        .text(tr(l, "col_partner"))
                        .raw("</label><select id=\"f-partner\" name=\"partner\">");
                    for partner in state.store.partners()? {
                        h.raw("<option>").text(&partner.name).raw("</option>");
                    }
                    h.raw("</select>");
                    allocation_fields(&mut h, l);
                    h.raw("<button type=\"submit\">").text(tr(l, "unit_do_allocate")).raw("</button></form>");
                }
                UnitState::Allocated => {
                    unit_form(&mut h, &u, p.csrf(), "return", true);
                    h.raw("<button type=\"submit\">").text(tr(l, "unit_do_return")).raw("</button></form>");
                }
                _ => {}
            }
            if !matches!(u.state, UnitState::Allocated | UnitState::Recycled) {
                unit_form(&mut h, &u, p.csrf(), "recycle", true);
                h.raw("<button type=\"submit\">").text(tr(l, "unit_do_recycle")).raw("</button></form>");
            }
        } else if u.state == UnitState::Ready {
            h.raw("<h2>").text(tr(l, "unit_reserve_title")).raw("</h2>");
            unit_form(&mut h, &u, p.csrf(), "allocate", false);
            allocation_fields(&mut h, l);
            h.raw("<button type=\"submit\">").text(tr(l, "unit_do_reserve")).raw("</button></form>");
        }
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

pub async fn unit_act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(ALL)?;
        ctx.check_csrf(form.get("csrf").map(String::as_str))?;
        let p = ctx.require(&[Role::Admin, Role::Supervisor, Role::Partner]).map(|_| p)?;
        let get = |k: &str| form.get(k).cloned();
        let fields = ActionFields {
            action: get("action").unwrap_or_default(),
            price: get("price"),
            amount: get("amount"),
            partner: get("partner"),
            case_reference: get("case_reference"),
            programme: get("programme"),
        };
        let lot = form.get("lot").map(String::as_str).filter(|l| !l.is_empty());
        let u = rules::act(state.store.as_ref(), &p.user, &serial, lot, &fields).map_err(|e| match e {
            UnitError::Refused(why) => WebError::Conflict(fill(tr(ctx.lang, "unit_refused"), &[&why])),
            UnitError::Transition(why) => {
                WebError::Conflict(fill(tr(ctx.lang, "unit_refused"), &[&refusal_words(ctx.lang, &why)]))
            }
            e => e.into(),
        })?;
        let to = HeaderValue::from_str(&unit_href(&u, AUDITORS.contains(&p.user.role)))
            .map_err(|_| WebError::Internal)?;
        Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
    })
    .await
}
