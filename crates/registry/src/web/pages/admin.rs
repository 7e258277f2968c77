//! Accounts and lots (admins only).

use super::*;

pub async fn admin_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let p = ctx.require(ADMINS)?;
        let l = ctx.lang;
        let users = state.store.users()?;
        let lots = state.store.lots()?;
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "admin_title"));
        h.raw("<h2>").text(tr(l, "admin_users")).raw("</h2><div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
        for key in ["col_name", "col_role", "col_donor", "col_created", "val_key"] {
            h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
        }
        h.raw("<th scope=\"col\">").text(tr(l, "col_action")).raw("</th></tr></thead><tbody>");
        for u in &users {
            h.raw("<tr><td>")
                .text(&u.name)
                .raw("</td><td>")
                .text(tr(l, role_key(u.role)))
                .raw("</td><td>")
                .text(&u.donors.join(", "))
                .raw("</td><td>")
                .text(&u.created_at)
                .raw("</td><td>");
            // Issue 26: the account's validation key id, once it has validated.
            match state.store.validator_key(&u.name)? {
                Some(k) => h.raw("<code>").text(&k.key_id).raw("</code>"),
                None => h.text("—"),
            };
            h.raw("</td><td>");
            // An admin cannot remove itself from the web: the last admin would lock everyone out.
            if u.name != p.user.name {
                h.raw("<form method=\"post\" action=\"/admin/users/remove\">");
                csrf_field(&mut h, p.csrf());
                h.raw("<input type=\"hidden\" name=\"name\" value=\"")
                    .text(&u.name)
                    .raw("\"><button type=\"submit\" aria-label=\"")
                    .text(&fill(tr(l, "remove_user_label"), &[&u.name]))
                    .raw("\">")
                    .text(tr(l, "remove_user"))
                    .raw("</button></form>");
            }
            h.raw("</td></tr>");
        }
        h.raw("</tbody></table></div><h2>").text(tr(l, "admin_add_user")).raw("</h2><form method=\"post\" action=\"/admin/users\" class=\"stack\">");
        csrf_field(&mut h, p.csrf());
        h.raw("<label for=\"u-name\">").text(tr(l, "col_name")).raw("</label><input id=\"u-name\" name=\"name\" required autocomplete=\"off\">")
            .raw("<label for=\"u-role\">").text(tr(l, "col_role")).raw("</label><select id=\"u-role\" name=\"role\">");
        for role in [Role::Supervisor, Role::Donor, Role::Admin] {
            h.raw("<option value=\"").text(role.as_str()).raw("\">").text(tr(l, role_key(role))).raw("</option>");
        }
        h.raw("</select><label for=\"u-donors\">")
            .text(tr(l, "admin_donors_field"))
            .raw("</label><input id=\"u-donors\" name=\"donors\" aria-describedby=\"u-donors-help\"><p id=\"u-donors-help\" class=\"help\">")
            .text(tr(l, "admin_donors_help"))
            .raw("</p><label for=\"u-password\">")
            .text(tr(l, "login_password"))
            .raw("</label><input id=\"u-password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"12\"><button type=\"submit\">")
            .text(tr(l, "admin_add_user"))
            .raw("</button></form>");
        h.raw("<h2>").text(tr(l, "admin_lots")).raw("</h2><div class=\"scroll\" tabindex=\"0\"><table><thead><tr>");
        for key in ["col_lot", "col_donor", "col_certificates"] {
            h.raw("<th scope=\"col\">").text(tr(l, key)).raw("</th>");
        }
        h.raw("</tr></thead><tbody>");
        for lot in &lots {
            h.raw("<tr><td>").text(&lot.lot).raw("</td><td>").text(lot.donor.as_deref().unwrap_or("—")).raw("</td><td>").num(lot.certificates).raw("</td></tr>");
        }
        h.raw("</tbody></table></div><h2>").text(tr(l, "admin_assign_lot")).raw("</h2><form method=\"post\" action=\"/admin/lots\" class=\"stack\">");
        csrf_field(&mut h, p.csrf());
        h.raw("<label for=\"a-lot\">")
            .text(tr(l, "col_lot"))
            .raw("</label><input id=\"a-lot\" name=\"lot\" required><label for=\"a-donor\">")
            .text(tr(l, "col_donor"))
            .raw("</label><input id=\"a-donor\" name=\"donor\" required><button type=\"submit\">")
            .text(tr(l, "admin_assign_lot"))
            .raw("</button></form>");
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

pub async fn admin_add_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, ADMINS, "/admin", |state, ctx, form| {
        let l = ctx.lang;
        let name = field(l, form, "name")?;
        let role: Role = field(l, form, "role")?.parse().map_err(WebError::BadRequest)?;
        let password = form.get("password").map(String::as_str).unwrap_or("");
        let donors: Vec<String> = form
            .get("donors")
            .map(|d| d.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        crate::accounts::add_user(state.store.as_ref(), name, role, password, &donors)
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        Ok(())
    })
    .await
}

pub async fn admin_remove_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, ADMINS, "/admin", |state, ctx, form| {
        let l = ctx.lang;
        let name = field(l, form, "name")?;
        if ctx.principal.as_ref().is_some_and(|p| p.user.name == name) {
            return Err(WebError::BadRequest(tr(l, "err_remove_self").to_owned()));
        }
        state.store.remove_user(name).map_err(|e| match e {
            crate::store::StoreError::NoSuchUser(n) => WebError::NotFound(fill(tr(l, "err_no_user"), &[&n])),
            other => other.into(),
        })?;
        tracing::info!(account = %name, by = ?ctx.principal.as_ref().map(|p| &p.user.name), "account removed from the web");
        Ok(())
    })
    .await
}

pub async fn admin_assign_lot(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(form): Form<FormData>,
) -> Response {
    post_action(state, headers, q, form, ADMINS, "/admin", |state, ctx, form| {
        let lot = field(ctx.lang, form, "lot")?;
        let donor = field(ctx.lang, form, "donor")?;
        crate::api::check_lot(lot).map_err(WebError::BadRequest)?;
        state.store.assign_lot(lot, donor)?;
        Ok(())
    })
    .await
}
