//! Who may see and change which unit (docs/web.md, "A unit's life"): one set of rules for the
//! unit pages and the API (`/api/v1/units/{serial}`).
//!
//! Admins and supervisors see every unit and do every transition. A partner account sees the
//! units in state `ready` and the units allocated to its own organisation, nothing else (404,
//! as a donor asking for another donor's lot), and may only reserve a ready unit for itself,
//! typing the case reference: the reservation is the allocation (a supervisor confirming it
//! would check nothing more, since nobody at the registry can check a case reference). Donors
//! see units only as counts in their lot report.

use crate::store::{find_unit, Role, Store, StoreError, UnitRow, User};
use crate::units::{Action, ActionFields, State};

/// Why a unit action did not happen.
#[derive(Debug)]
pub enum UnitError {
    /// No such unit, or not one this account may see.
    NotFound(String),
    /// This account may not do that.
    Forbidden(String),
    /// The request's fields are wrong; the message says which.
    Bad(String),
    /// It is refused; the message says why (409).
    Refused(String),
    /// The unit's state does not allow the transition (409).
    Transition(crate::units::Refusal),
    /// The registry failed.
    Store(StoreError),
}

impl From<StoreError> for UnitError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchUnit(r) => UnitError::NotFound(format!("no unit is known by {r:?}")),
            StoreError::NoSuchPartner(p) => UnitError::Bad(format!("no partner organisation is named {p:?}")),
            StoreError::Refused(why) => UnitError::Refused(why),
            StoreError::Transition(why) => UnitError::Transition(why),
            e => UnitError::Store(e),
        }
    }
}

/// Whether `user` may see `unit`.
pub fn may_see(user: &User, unit: &UnitRow) -> bool {
    match user.role {
        Role::Admin | Role::Supervisor => true,
        Role::Partner => {
            unit.state == State::Ready || (unit.partner.is_some() && unit.partner == user.partner)
        }
        Role::Donor => false,
    }
}

/// The unit known by `reference` (in `lot`, when given) if `user` may see it.
pub fn visible_unit(
    store: &dyn Store,
    user: &User,
    reference: &str,
    lot: Option<&str>,
) -> Result<UnitRow, UnitError> {
    let unit = find_unit(store, reference, lot)?;
    if may_see(user, &unit) {
        Ok(unit)
    } else {
        Err(UnitError::NotFound(format!("no unit is known by {reference:?}")))
    }
}

/// Does what `fields` say to the unit `reference`, as `user`.
pub fn act(
    store: &dyn Store,
    user: &User,
    reference: &str,
    lot: Option<&str>,
    fields: &ActionFields,
) -> Result<UnitRow, UnitError> {
    let unit = visible_unit(store, user, reference, lot)?;
    let action = match user.role {
        Role::Admin | Role::Supervisor => fields.action().map_err(UnitError::Bad)?,
        Role::Partner => {
            if fields.action.trim() != "allocate" {
                return Err(UnitError::Forbidden("a partner account may only reserve a ready unit".into()));
            }
            // Always for its own organisation, whatever the request says.
            let own = ActionFields { partner: user.partner.clone(), ..fields.clone() };
            own.action().map_err(UnitError::Bad)?
        }
        Role::Donor => {
            return Err(UnitError::Forbidden("a donor account sees units in its lot reports only".into()))
        }
    };
    if let (Role::Partner, Action::Allocate { .. }) = (user.role, &action) {
        if unit.state != State::Ready {
            return Err(UnitError::Transition(crate::units::Refusal::NotReady));
        }
    }
    Ok(store.unit_act(&unit.lot, &unit.reference, &action, &user.name)?)
}

/// A unit as JSON for `user`: a partner gets what it needs to choose (serial, kind, grade,
/// make and model, price) and, for its own allocations, its case reference; never the lot or
/// the donor.
pub fn unit_json(user: &User, u: &UnitRow) -> serde_json::Value {
    let mut v = serde_json::json!({
        "serial": u.reference,
        "state": u.state,
        "kind": u.chassis,
        "vendor": u.vendor,
        "model": u.model,
        "grade": u.evidence.grade,
        "price": u.price,
    });
    let own = u.partner.is_some() && u.partner == user.partner;
    if matches!(user.role, Role::Admin | Role::Supervisor) || own {
        v["partner"] = serde_json::json!(u.partner);
        v["programme"] = serde_json::json!(u.programme);
        v["case_reference"] = serde_json::json!(u.case_reference);
    }
    if matches!(user.role, Role::Admin | Role::Supervisor) {
        v["lot"] = serde_json::json!(u.lot);
        v["certificate_id"] = serde_json::json!(u.certificate_id);
        v["wiped"] = serde_json::json!(u.evidence.wiped);
        v["imaged"] = serde_json::json!(u.evidence.imaged);
        v["updated_at"] = serde_json::json!(u.updated_at);
    }
    v
}
