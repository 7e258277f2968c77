//! Units, partners and the history of events (migration 8; docs/web.md, "A unit's life"): the
//! SQL behind the [`crate::units`] state machine. A unit's automatic state is written at ingest,
//! in the transaction that records its certificate ([`upsert_from_certificates`]); the manual
//! ones are events appended by [`act`], whose `UPDATE` names the state it read, so two people
//! allocating the same unit at once cannot both succeed.

use super::{now, opt, placeholders, t, StoreError, Tx, Val};
use crate::units::{Action, Evidence, PartnerKind, Price, Programme, State};

/// A partner organisation, to which units are allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// Its name, e.g. "CCAS de Montpellier".
    pub name: String,
    /// What kind of organisation.
    pub kind: PartnerKind,
    /// When it was added.
    pub created_at: String,
}

/// A unit as kept: what its latest certificate says, and where it is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    /// The lot it came in (empty when its certificates name none).
    pub lot: String,
    /// Its serial, or for a unit without serial its certificate's id.
    pub reference: String,
    /// Its serial, when it has one.
    pub serial: Option<String>,
    /// Manufacturer, product name and chassis kind (desktop, notebook…) from its certificate.
    pub vendor: Option<String>,
    /// Product name.
    pub model: Option<String>,
    /// Chassis kind.
    pub chassis: Option<String>,
    /// What its latest certificate says.
    pub evidence: Evidence,
    /// Its latest certificate.
    pub certificate_id: Option<String>,
    /// When that run finished.
    pub finished_at: Option<String>,
    /// Where it is.
    pub state: State,
    /// Its price, once marked ready.
    pub price: Option<Price>,
    /// The partner it is allocated to.
    pub partner: Option<String>,
    /// That partner's kind.
    pub partner_kind: Option<PartnerKind>,
    /// The beneficiary's programme kind.
    pub programme: Option<Programme>,
    /// The social worker's case reference (shown to supervisors and to that partner only).
    pub case_reference: Option<String>,
    /// When its row last changed.
    pub updated_at: String,
}

/// One line of a unit's history (never changed once written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitEvent {
    /// Its order among the unit's events (1, 2, …).
    pub seq: i64,
    /// `received`, `ready`, `allocated`, `returned`, `recycled`.
    pub event: String,
    /// The state it put the unit in.
    pub state: State,
    /// Who did it (the account's name).
    pub actor: String,
    /// When.
    pub at: String,
    /// For an allocation: to whom, the case reference and the programme.
    pub partner: Option<String>,
    /// The case reference.
    pub case_reference: Option<String>,
    /// The programme kind.
    pub programme: Option<Programme>,
    /// For `ready` and `allocated`: the price.
    pub price: Option<Price>,
}

/// Which units to list.
#[derive(Debug, Clone, Default)]
pub struct UnitQuery {
    /// Only in this state.
    pub state: Option<State>,
    /// Only of this lot.
    pub lot: Option<String>,
    /// Only allocated to this partner.
    pub partner: Option<String>,
    /// Only these whose reference is this one (any lot).
    pub reference: Option<String>,
    /// Rows after this (lot, reference), in that order: the next page.
    pub after: Option<(String, String)>,
    /// At most this many.
    pub limit: u64,
}

/// The unit known by `reference` (its serial, or its certificate's id), in `lot` when given: a
/// serial found in several lots needs the lot.
pub fn find_unit(
    store: &dyn super::Store,
    reference: &str,
    lot: Option<&str>,
) -> Result<UnitRow, StoreError> {
    let q = UnitQuery {
        reference: Some(reference.trim().to_owned()),
        lot: lot.map(|l| l.trim().to_owned()),
        limit: 2,
        ..UnitQuery::default()
    };
    let mut found = store.units(&q)?;
    match found.len() {
        0 => Err(StoreError::NoSuchUnit(reference.to_owned())),
        1 => Ok(found.remove(0)),
        _ => Err(StoreError::Refused(format!(
            "{reference} is known in several lots ({}, {}…): give the lot",
            found[0].lot, found[1].lot
        ))),
    }
}

const COLUMNS: &str = "n.lot, n.reference, n.serial, n.vendor, n.model, n.chassis, n.grade, n.certified, n.wiped,
    n.imaged, n.certificate_id, n.finished_at, n.state, n.price_kind, n.price_cents, n.partner, p.kind, n.programme,
    n.case_reference, n.updated_at";

const FROM: &str = "units n LEFT JOIN partners p ON p.name = n.partner";

fn store_error(what: &str, e: String) -> StoreError {
    StoreError::Db { backend: "units", message: format!("stored {what}: {e}") }
}

fn row_of(r: &[Val]) -> Result<UnitRow, StoreError> {
    let state =
        r[12].text().unwrap_or_default().parse::<State>().map_err(|e| store_error("unit state", e))?;
    Ok(UnitRow {
        lot: r[0].text().unwrap_or_default(),
        reference: r[1].text().unwrap_or_default(),
        serial: r[2].text(),
        vendor: r[3].text(),
        model: r[4].text(),
        chassis: r[5].text(),
        evidence: Evidence {
            certified: r[7].int() != 0,
            wiped: r[8].int() != 0,
            imaged: r[9].int() != 0,
            grade: r[6].text(),
        },
        certificate_id: r[10].text(),
        finished_at: r[11].text(),
        state,
        price: r[13].text().and_then(|k| Price::from_stored(&k, r[14].int())),
        partner: r[15].text(),
        partner_kind: r[16].text().and_then(|k| k.parse().ok()),
        programme: r[17].text().and_then(|p| p.parse().ok()),
        case_reference: r[18].text(),
        updated_at: r[19].text().unwrap_or_default(),
    })
}

/// Rows of `units` for certificates: one per unit, its latest certificate (by finish time).
fn certificate_rows(certificates: &[&certificate::Certificate]) -> Vec<Vec<Val>> {
    let mut latest: std::collections::BTreeMap<(String, String), &certificate::Certificate> =
        Default::default();
    for c in certificates {
        let key = (c.lot.clone().unwrap_or_default(), crate::units::reference_of(c));
        if latest.get(&key).is_none_or(|seen| c.finished_at > seen.finished_at) {
            latest.insert(key, c);
        }
    }
    let when = now();
    latest
        .into_iter()
        .map(|((lot, reference), c)| {
            let evidence = Evidence::of(c);
            let flag = |b: bool| Val::Int(b as i64);
            vec![
                t(&lot),
                t(&reference),
                opt(c.unit.serial.value().map(String::as_str)),
                opt(c.unit.vendor.value().map(String::as_str)),
                opt(c.unit.model.value().map(String::as_str)),
                opt(c.unit.chassis.value().map(String::as_str)),
                opt(evidence.grade.as_deref()),
                flag(evidence.certified),
                flag(evidence.wiped),
                flag(evidence.imaged),
                t(&c.id.to_string()),
                t(c.finished_at.as_str()),
                t(evidence.state().as_str()),
                t(&when),
            ]
        })
        .collect()
}

/// Records what `certificates` say about their units, inside the caller's transaction: a new
/// unit is received (or further along); a known one takes the state its newer certificate gives
/// (it was on a station, so it is back in the workshop: a returned unit wiped again becomes
/// wiped, graded…), and its allocation ends; an older certificate arriving late changes
/// nothing. A few statements per batch, whatever its size.
pub(super) fn upsert_from_certificates(
    tx: &mut dyn Tx,
    certificates: &[&certificate::Certificate],
) -> Result<(), StoreError> {
    const WIDTH: usize = 14;
    let mut rows = certificate_rows(certificates);
    while !rows.is_empty() {
        let chunk = 1usize << (usize::BITS - 1 - rows.len().min(256).leading_zeros());
        let now: Vec<Vec<Val>> = rows.drain(..chunk).collect();
        let values: Vec<String> =
            (0..chunk).map(|i| format!("({})", placeholders(1 + i * WIDTH, WIDTH))).collect();
        tx.exec(
            &format!(
                "INSERT INTO units (lot, reference, serial, vendor, model, chassis, grade, certified, wiped, imaged,
                     certificate_id, finished_at, state, updated_at) VALUES {}
                 ON CONFLICT (lot, reference) DO UPDATE SET serial = excluded.serial, vendor = excluded.vendor,
                     model = excluded.model, chassis = excluded.chassis, grade = excluded.grade,
                     certified = excluded.certified, wiped = excluded.wiped, imaged = excluded.imaged,
                     certificate_id = excluded.certificate_id, finished_at = excluded.finished_at,
                     state = excluded.state, price_kind = NULL, price_cents = NULL, partner = NULL,
                     programme = NULL, case_reference = NULL, updated_at = excluded.updated_at
                 WHERE units.finished_at IS NULL OR excluded.finished_at > units.finished_at",
                values.join(", ")
            ),
            &now.into_iter().flatten().collect::<Vec<_>>(),
        )?;
    }
    Ok(())
}

/// Certificates read at a time by [`backfill`].
const BACKFILL_CHUNK: i64 = 2000;

/// Fills `units` from the certificates stored before migration 8.
pub(super) fn backfill(tx: &mut dyn Tx) -> Result<(), StoreError> {
    let mut from = 0i64;
    loop {
        let rows = tx.query(
            "SELECT leaf_index, document FROM certificates WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2",
            &[Val::Int(from), Val::Int(BACKFILL_CHUNK)],
        )?;
        let Some(last) = rows.last() else { return Ok(()) };
        from = last[0].int() + 1;
        let parsed: Vec<certificate::Certificate> =
            rows.iter().filter_map(|r| crate::web::parse_stored(&r[1].text().unwrap_or_default())).collect();
        upsert_from_certificates(tx, &parsed.iter().collect::<Vec<_>>())?;
    }
}

/// Adds a partner organisation.
pub(super) fn add_partner(tx: &mut dyn Tx, name: &str, kind: PartnerKind) -> Result<Partner, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(StoreError::Refused(format!(
            "partner name {name:?}: give 1 to 128 printable characters"
        )));
    }
    if find_partner(tx, name)?.is_some() {
        return Err(StoreError::Refused(format!("a partner named {name:?} already exists")));
    }
    let created_at = now();
    tx.exec(
        "INSERT INTO partners (name, kind, created_at) VALUES ($1, $2, $3)",
        &[t(name), t(kind.as_str()), t(&created_at)],
    )?;
    Ok(Partner { name: name.to_owned(), kind, created_at })
}

/// The partner named `name` (without regard to case).
pub(super) fn find_partner(tx: &mut dyn Tx, name: &str) -> Result<Option<Partner>, StoreError> {
    let rows = tx.query(
        "SELECT name, kind, created_at FROM partners WHERE lower(name) = lower($1)",
        &[t(name.trim())],
    )?;
    rows.first().map(|r| partner_of(r)).transpose()
}

fn partner_of(r: &[Val]) -> Result<Partner, StoreError> {
    Ok(Partner {
        name: r[0].text().unwrap_or_default(),
        kind: r[1].text().unwrap_or_default().parse().map_err(|e| store_error("partner kind", e))?,
        created_at: r[2].text().unwrap_or_default(),
    })
}

/// Every partner, by name.
pub(super) fn partners(tx: &mut dyn Tx) -> Result<Vec<Partner>, StoreError> {
    tx.query("SELECT name, kind, created_at FROM partners ORDER BY name", &[])?
        .iter()
        .map(|r| partner_of(r))
        .collect()
}

/// Units matching `q`, by lot then reference.
pub(super) fn list(tx: &mut dyn Tx, q: &UnitQuery) -> Result<Vec<UnitRow>, StoreError> {
    let mut sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE 1 = 1");
    let mut params = Vec::new();
    let mut filter = |sql: &mut String, clause: &str, values: &[&str]| {
        let mut clause = clause.to_owned();
        for v in values {
            params.push(t(v));
            clause = clause.replacen('?', &format!("${}", params.len()), 1);
        }
        sql.push_str(" AND ");
        sql.push_str(&clause);
    };
    if let Some(s) = q.state {
        filter(&mut sql, "n.state = ?", &[s.as_str()]);
    }
    if let Some(l) = &q.lot {
        filter(&mut sql, "n.lot = ?", &[l]);
    }
    if let Some(p) = &q.partner {
        filter(&mut sql, "n.partner = ?", &[p]);
    }
    if let Some(r) = &q.reference {
        filter(&mut sql, "n.reference = ?", &[r]);
    }
    if let Some((lot, reference)) = &q.after {
        filter(&mut sql, "(n.lot > ? OR (n.lot = ? AND n.reference > ?))", &[lot, lot, reference]);
    }
    sql.push_str(&format!(" ORDER BY n.lot, n.reference LIMIT {}", q.limit.max(1)));
    tx.query(&sql, &params)?.iter().map(|r| row_of(r)).collect()
}

/// One unit.
pub(super) fn get(tx: &mut dyn Tx, lot: &str, reference: &str) -> Result<Option<UnitRow>, StoreError> {
    let rows = tx.query(
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE n.lot = $1 AND n.reference = $2"),
        &[t(lot), t(reference)],
    )?;
    rows.first().map(|r| row_of(r)).transpose()
}

/// A unit's history, oldest first.
pub(super) fn events(tx: &mut dyn Tx, lot: &str, reference: &str) -> Result<Vec<UnitEvent>, StoreError> {
    let rows = tx.query(
        "SELECT seq, event, state, actor, at, partner, case_reference, programme, price_kind, price_cents
         FROM unit_events WHERE lot = $1 AND reference = $2 ORDER BY seq",
        &[t(lot), t(reference)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(UnitEvent {
                seq: r[0].int(),
                event: r[1].text().unwrap_or_default(),
                state: r[2].text().unwrap_or_default().parse().map_err(|e| store_error("event state", e))?,
                actor: r[3].text().unwrap_or_default(),
                at: r[4].text().unwrap_or_default(),
                partner: r[5].text(),
                case_reference: r[6].text(),
                programme: r[7].text().and_then(|p| p.parse().ok()),
                price: r[8].text().and_then(|k| Price::from_stored(&k, r[9].int())),
            })
        })
        .collect()
}

fn append_event(
    tx: &mut dyn Tx,
    (lot, reference): (&str, &str),
    event: &str,
    state: State,
    actor: &str,
    allocation: Option<(&str, &str, Programme)>,
    price: Option<Price>,
) -> Result<(), StoreError> {
    // Numbered per unit: the transition's UPDATE holds the unit's row until the commit, so two
    // events of one unit never take the same number, and events of different units never wait
    // on one another.
    tx.exec(
        "INSERT INTO unit_events (seq, lot, reference, event, state, actor, at, partner, case_reference, programme,
             price_kind, price_cents)
         SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM unit_events
         WHERE lot = $1 AND reference = $2",
        &[
            t(lot),
            t(reference),
            t(event),
            t(state.as_str()),
            t(actor),
            t(&now()),
            opt(allocation.map(|a| a.0)),
            opt(allocation.map(|a| a.1)),
            opt(allocation.map(|a| a.2.as_str())),
            opt(price.map(Price::kind)),
            // 0 without a price (its kind is NULL): PostgreSQL types the column BIGINT, a NULL
            // crossing the boundary is text.
            Val::Int(price.map(Price::cents).unwrap_or(0)),
        ],
    )?;
    Ok(())
}

/// Registers a unit by hand (before any certificate): received in `lot`.
pub(super) fn receive(tx: &mut dyn Tx, lot: &str, serial: &str, actor: &str) -> Result<UnitRow, StoreError> {
    let (lot, serial) = (lot.trim(), serial.trim());
    for (what, v) in [("lot", lot), ("serial", serial)] {
        if v.is_empty() || v.chars().count() > 128 || v.chars().any(char::is_control) {
            return Err(StoreError::Refused(format!("{what} {v:?}: give 1 to 128 printable characters")));
        }
    }
    if get(tx, lot, serial)?.is_some() {
        return Err(StoreError::Refused(format!("unit {serial} is already known in lot {lot}")));
    }
    tx.exec(
        "INSERT INTO units (lot, reference, serial, certified, wiped, imaged, state, updated_at)
         VALUES ($1, $2, $2, 0, 0, 0, $3, $4)",
        &[t(lot), t(serial), t(State::Received.as_str()), t(&now())],
    )?;
    append_event(tx, (lot, serial), "received", State::Received, actor, None, None)?;
    get(tx, lot, serial)?.ok_or_else(|| StoreError::NoSuchUnit(serial.to_owned()))
}

/// Does `action` to a unit, if the state machine allows it, and appends the event.
pub(super) fn act(
    tx: &mut dyn Tx,
    lot: &str,
    reference: &str,
    action: &Action,
    actor: &str,
) -> Result<UnitRow, StoreError> {
    let unit = get(tx, lot, reference)?.ok_or_else(|| StoreError::NoSuchUnit(reference.to_owned()))?;
    let to = crate::units::apply(unit.state, &unit.evidence, action).map_err(StoreError::Transition)?;
    let mut allocation = None;
    let price = match action {
        Action::Ready { price } => Some(*price),
        Action::Allocate { partner, case_reference, programme } => {
            let partner =
                find_partner(tx, partner)?.ok_or_else(|| StoreError::NoSuchPartner(partner.clone()))?;
            allocation = Some((partner.name, case_reference.as_str().to_owned(), *programme));
            unit.price
        }
        Action::Return | Action::Recycle => None,
    };
    let alloc = allocation.as_ref().map(|(p, c, g)| (p.as_str(), c.as_str(), *g));
    // The state read above is in the WHERE: if someone changed the unit meanwhile (PostgreSQL
    // lets two transactions read it at once), this changes nothing and is refused.
    let changed = tx.exec(
        "UPDATE units SET state = $1, price_kind = $2, price_cents = $3, partner = $4, case_reference = $5,
             programme = $6, updated_at = $7
         WHERE lot = $8 AND reference = $9 AND state = $10",
        &[
            t(to.as_str()),
            opt(price.map(Price::kind)),
            // 0 without a price (its kind is NULL): PostgreSQL types the column BIGINT, a NULL
            // crossing the boundary is text.
            Val::Int(price.map(Price::cents).unwrap_or(0)),
            opt(alloc.map(|a| a.0)),
            opt(alloc.map(|a| a.1)),
            opt(alloc.map(|a| a.2.as_str())),
            t(&now()),
            t(lot),
            t(reference),
            t(unit.state.as_str()),
        ],
    )?;
    if changed != 1 {
        return Err(StoreError::Refused("the unit changed meanwhile: look at it again".into()));
    }
    append_event(tx, (lot, reference), action.as_str(), to, actor, alloc, price)?;
    get(tx, lot, reference)?.ok_or_else(|| StoreError::NoSuchUnit(reference.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::super::{Inserted, NewCertificate, SqliteStore, Store, MIGRATIONS};
    use super::*;
    use crate::units::CaseReference;

    fn signed(
        key: &certificate::SigningIdentity,
        unit: &str,
        edit: impl FnOnce(&mut certificate::Certificate),
    ) -> NewCertificate {
        let mut c = certificate::example::with_station_key(
            certificate::example::certificate(&format!("D-{unit}")),
            key,
        );
        c.unit.serial = certificate::Probed::Value(unit.into());
        edit(&mut c);
        let doc = key.sign(&c).expect("signs").to_json_pretty();
        NewCertificate::from_verified(
            certificate::SignedDocument::from_json(&doc).expect("parses").verify().expect("verifies"),
            &doc,
        )
    }

    fn imaged_and_graded(c: &mut certificate::Certificate) {
        c.image = Some(serde_json::json!({"bytes_written": 4096, "verification": {"result": "verified"}}));
        c.grade = Some(serde_json::json!({"schema": "seconde-vie/grade/v1", "grade": "B"}));
    }

    #[test]
    fn migration_8_follows_the_units_of_certificates_already_stored() {
        let dir = std::env::temp_dir().join(format!("sv-store-migration-8-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("r.sqlite");
        let key = certificate::SigningIdentity::from_seed(&[8; 32]);
        let graded = signed(&key, "U-GRADED", imaged_and_graded);
        let failed = signed(&key, "U-FAILED", |c| {
            c.disks[0].sanitization.result = certificate::SanitizeResult::Failed;
            c.result = certificate::Outcome::Failed;
        });
        {
            // A registry of migration 7, whose store recorded two certificates then.
            let old = SqliteStore::open(&path).expect("db");
            old.add_station(&key.key_id(), "AAAA", None).expect("station");
            drop(old);
            let conn = rusqlite::Connection::open(&path).expect("db");
            conn.execute_batch(
                "DROP TABLE unit_events; DROP TABLE units; ALTER TABLE users DROP COLUMN partner; DROP TABLE partners;
                 DELETE FROM schema_migrations WHERE version = 8;",
            )
            .expect("back to migration 7");
            assert_eq!(MIGRATIONS.len(), 8);
        }
        {
            // The certificates as that registry stored them: no unit rows. Appending through
            // a store of today would write units; write the rows by hand instead.
            let conn = rusqlite::Connection::open(&path).expect("db");
            for (i, c) in [&graded, &failed].iter().enumerate() {
                conn.execute(
                    "INSERT INTO certificates (id, station_key_id, document, content_sha256, result, finished_at, received_at, leaf_index, unit_serial, lot)
                     VALUES (?1, ?2, ?3, 'sha', ?4, ?5, 'then', ?6, ?7, ?8)",
                    rusqlite::params![c.id, c.station_key_id, c.document, c.result, c.finished_at, i as i64, c.unit_serial, c.lot],
                )
                .expect("certificate");
            }
            conn.execute_batch("INSERT INTO log_state VALUES (1, 2, zeroblob(32))").expect("log state");
        }
        let store = SqliteStore::open(&path).expect("migrates");
        let all = store.units(&UnitQuery { limit: 100, ..UnitQuery::default() }).expect("units");
        let states: Vec<(&str, State)> = all.iter().map(|u| (u.reference.as_str(), u.state)).collect();
        assert_eq!(states, vec![("U-FAILED", State::Received), ("U-GRADED", State::Graded)]);
        assert_eq!(all[1].lot, "CD34-2026-017");
        assert_eq!(all[1].evidence.grade.as_deref(), Some("B"));
        // The failed one cannot be made ready; the graded one can, and is allocated once.
        let ready = Action::Ready { price: Price::Yearly { cents: 2500 } };
        let refused = store.unit_act("CD34-2026-017", "U-FAILED", &ready, "camille");
        assert!(
            matches!(&refused, Err(StoreError::Transition(crate::units::Refusal::WipeFailed))),
            "{refused:?}"
        );
        store.unit_act("CD34-2026-017", "U-GRADED", &ready, "camille").expect("ready");
        store.add_partner("CCAS Montpellier", PartnerKind::Ccas).expect("partner");
        let allocate = Action::Allocate {
            partner: "ccas montpellier".into(),
            case_reference: CaseReference::parse("DOS-1").expect("reference"),
            programme: Programme::Rsa,
        };
        let unit = store.unit_act("CD34-2026-017", "U-GRADED", &allocate, "dominique").expect("allocated");
        assert_eq!((unit.state, unit.partner.as_deref()), (State::Allocated, Some("CCAS Montpellier")));
        assert_eq!(unit.partner_kind, Some(PartnerKind::Ccas));
        assert_eq!(unit.price, Some(Price::Yearly { cents: 2500 }));
        let twice = store.unit_act("CD34-2026-017", "U-GRADED", &allocate, "dominique");
        assert!(
            matches!(&twice, Err(StoreError::Transition(crate::units::Refusal::AlreadyAllocated))),
            "{twice:?}"
        );
        let events = store.unit_events("CD34-2026-017", "U-GRADED").expect("events");
        let kinds: Vec<(&str, &str)> = events.iter().map(|e| (e.event.as_str(), e.actor.as_str())).collect();
        assert_eq!(kinds, vec![("ready", "camille"), ("allocated", "dominique")]);
        // Returned, then wiped again: the new certificate gives its state back.
        store.unit_act("CD34-2026-017", "U-GRADED", &Action::Return, "dominique").expect("returned");
        let again = signed(&key, "U-GRADED", |c| {
            c.finished_at = certificate::Timestamp::parse("2026-12-01T10:00:00.000Z").expect("time");
        });
        let inserted = store.insert_certificate(&again);
        assert!(matches!(inserted, Ok(Inserted::New { .. })), "{inserted:?}");
        let unit = &store
            .units(&UnitQuery { reference: Some("U-GRADED".into()), limit: 5, ..UnitQuery::default() })
            .expect("units")[0];
        assert_eq!((unit.state, unit.partner.as_ref()), (State::Wiped, None));
        assert_eq!(
            store.unit_events("CD34-2026-017", "U-GRADED").expect("events").len(),
            3,
            "the history stays"
        );
        // An older certificate arriving late changes nothing.
        assert!(matches!(
            store.insert_certificate(&signed(&key, "U-GRADED", imaged_and_graded)),
            Ok(Inserted::New { .. })
        ));
        let unit = &store
            .units(&UnitQuery { reference: Some("U-GRADED".into()), limit: 5, ..UnitQuery::default() })
            .expect("units")[0];
        assert_eq!(unit.state, State::Wiped);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
