//! The donor's lot report: what became of the units of one lot (pure).
//!
//! The CO₂ estimate uses ADEME's figure for a refurbished laptop bought instead of a new one
//! ([`CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR`]); docs/web.md says how it is applied.

use std::collections::BTreeMap;

use certificate::{Certificate, Outcome};

/// kg CO₂e avoided per year of use by a refurbished computer instead of a new one: ADEME,
/// « Évaluation de l'impact environnemental d'un ensemble de produits reconditionnés »
/// (September 2022), figure for a laptop: 27 kg CO₂e per year. Applied to every reused unit,
/// desktop or laptop (the study gives the same range of avoided impact for both).
pub const CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR: f64 = 27.0;

/// The study the factor comes from.
pub const CO2_SOURCE_TITLE: &str =
    "ADEME (2022), « Évaluation de l'impact environnemental d'un ensemble de produits reconditionnés »";

/// Where to read it.
pub const CO2_SOURCE_URL: &str = "https://librairie.ademe.fr/dechets-economie-circulaire/5241-evaluation-de-l-impact-environnemental-d-un-ensemble-de-produits-reconditionnes.html";

/// What happened to a lot's units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LotReport {
    /// Distinct units (by serial; a unit without serial counts once per certificate).
    pub received: usize,
    /// Units whose latest certificate says every disk was sanitized and verified.
    pub wiped: usize,
    /// Units whose latest certificate attests "reconditionné" (décret n° 2022-190: every function
    /// tested, all data erased and verified, system installed and verified), computed from it.
    pub attested: usize,
    /// Units graded for reuse (A, B or C).
    pub reused: usize,
    /// Units kept for parts.
    pub parts: usize,
    /// Units sent to WEEE recycling.
    pub recycled: usize,
    /// Units without a grade yet.
    pub ungraded: usize,
    /// Estimated kg CO₂e avoided per year of use by the reused units.
    pub co2_avoided_kg_per_year: f64,
}

/// The report over a lot's certificates. A unit wiped twice counts once, by its latest run.
pub fn lot_report(certificates: &[Certificate]) -> LotReport {
    let mut latest: BTreeMap<String, &Certificate> = BTreeMap::new();
    for c in certificates {
        let key = match c.unit.serial.value() {
            Some(s) if !s.trim().is_empty() => format!("serial:{s}"),
            _ => format!("certificate:{}", c.id),
        };
        let newer = latest.get(&key).is_none_or(|seen| c.finished_at > seen.finished_at);
        if newer {
            latest.insert(key, c);
        }
    }
    let mut r = LotReport { received: latest.len(), ..LotReport::default() };
    for c in latest.values() {
        if c.result == Outcome::Sanitized {
            r.wiped += 1;
        }
        if certificate::attestation::reconditionne(c).granted {
            r.attested += 1;
        }
        match grade_word(c).as_deref() {
            Some("A" | "B" | "C") => r.reused += 1,
            Some("pieces") => r.parts += 1,
            Some("recycling") => r.recycled += 1,
            _ => r.ungraded += 1,
        }
    }
    r.co2_avoided_kg_per_year = r.reused as f64 * CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR;
    r
}

/// The grade letter or word of a certificate's `grade` (grading's `seconde-vie/grade/v1`
/// output: `{"grade": "A"|"B"|"C"|"pieces"|"recycling", …}`), if graded.
pub fn grade_word(c: &Certificate) -> Option<String> {
    c.grade.as_ref().and_then(|g| g.get("grade")).and_then(|g| g.as_str()).map(str::to_owned)
}

// A unit's life (docs/web.md, "A unit's life"): where the lot's units went.

/// Where a lot's units went, from the units the registry follows ([`crate::units`]): counts
/// only, never a case reference, a partner's name or a beneficiary.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Destinations {
    /// Units given to a beneficiary through a partner organisation.
    pub allocated: usize,
    /// Of those, how many through each kind of partner.
    pub by_partner_kind: BTreeMap<crate::units::PartnerKind, usize>,
    /// Of those, how many for each kind of beneficiary programme.
    pub by_programme: BTreeMap<crate::units::Programme, usize>,
    /// Units sent to WEEE recycling.
    pub recycled: usize,
    /// Units brought back by a partner (to be wiped again).
    pub returned: usize,
    /// Units still in the workshop: received, wiped, imaged, graded or ready.
    pub in_progress: usize,
    /// Estimated kg CO₂e avoided per year of use by the allocated units: ADEME's factor
    /// ([`CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR`]) applied to the units actually given to
    /// a second user, not to those only graded for reuse.
    pub co2_avoided_kg_per_year: f64,
}

/// Where the units of a lot went.
pub fn destinations(units: &[crate::store::UnitRow]) -> Destinations {
    use crate::units::State;
    let mut d = Destinations::default();
    for u in units {
        match u.state {
            State::Allocated => {
                d.allocated += 1;
                let kind = u.partner_kind.unwrap_or(crate::units::PartnerKind::Other);
                *d.by_partner_kind.entry(kind).or_default() += 1;
                let programme = u.programme.unwrap_or(crate::units::Programme::Other);
                *d.by_programme.entry(programme).or_default() += 1;
            }
            State::Recycled => d.recycled += 1,
            State::Returned => d.returned += 1,
            State::Received | State::Wiped | State::Imaged | State::Graded | State::Ready => {
                d.in_progress += 1
            }
        }
    }
    d.co2_avoided_kg_per_year = d.allocated as f64 * CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR;
    d
}

#[cfg(test)]
mod destination_tests {
    use super::*;
    use crate::store::UnitRow;
    use crate::units::{Evidence, PartnerKind, Programme, State};

    fn unit(state: State, via: Option<(PartnerKind, Programme)>) -> UnitRow {
        UnitRow {
            lot: "L".into(),
            reference: "U".into(),
            serial: None,
            vendor: None,
            model: None,
            chassis: None,
            evidence: Evidence::default(),
            certificate_id: None,
            finished_at: None,
            state,
            price: None,
            partner: via.map(|_| "P".into()),
            partner_kind: via.map(|v| v.0),
            programme: via.map(|v| v.1),
            case_reference: via.map(|_| "DOS-1".into()),
            updated_at: String::new(),
        }
    }

    #[test]
    fn units_are_counted_by_destination_partner_kind_and_programme() {
        let d = destinations(&[
            unit(State::Allocated, Some((PartnerKind::Ccas, Programme::Rsa))),
            unit(State::Allocated, Some((PartnerKind::Ccas, Programme::JobSeekers))),
            unit(State::Allocated, Some((PartnerKind::MissionLocale, Programme::Rsa))),
            unit(State::Recycled, None),
            unit(State::Returned, None),
            unit(State::Ready, None),
            unit(State::Received, None),
        ]);
        assert_eq!((d.allocated, d.recycled, d.returned, d.in_progress), (3, 1, 1, 2));
        assert_eq!(d.by_partner_kind.get(&PartnerKind::Ccas), Some(&2));
        assert_eq!(d.by_partner_kind.get(&PartnerKind::MissionLocale), Some(&1));
        assert_eq!(d.by_programme.get(&Programme::Rsa), Some(&2));
        assert_eq!(d.by_programme.get(&Programme::JobSeekers), Some(&1));
        assert_eq!(d.co2_avoided_kg_per_year, 3.0 * CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certificate::{example, Probed, SanitizeResult};

    fn graded(serial: &str, grade: Option<&str>) -> Certificate {
        let mut c = example::certificate("D");
        c.unit.serial = Probed::Value(serial.into());
        c.grade =
            grade.map(|g| serde_json::json!({"schema": "seconde-vie/grade/v1", "grade": g, "reuse": true}));
        c
    }

    #[test]
    fn units_are_counted_once_by_their_latest_certificate() {
        let mut first = graded("U1", Some("recycling"));
        first.finished_at = certificate::Timestamp::parse("2026-01-01T00:00:00.000Z").expect("time");
        let later = graded("U1", Some("A"));
        let b = graded("U2", Some("B"));
        let mut failed = graded("U3", Some("pieces"));
        failed.disks[0].sanitization.result = SanitizeResult::Failed;
        failed.result = Outcome::Failed;
        let recycled = graded("U4", Some("recycling"));
        let ungraded = graded("U5", None);
        let r = lot_report(&[first, later, b, failed, recycled, ungraded]);
        assert_eq!(
            r,
            LotReport {
                received: 5,
                wiped: 4,
                attested: 0,
                reused: 2,
                parts: 1,
                recycled: 1,
                ungraded: 1,
                co2_avoided_kg_per_year: 2.0 * CO2_AVOIDED_KG_PER_REUSED_COMPUTER_PER_YEAR,
            }
        );
    }

    #[test]
    fn units_without_serial_count_once_per_certificate() {
        let mut a = example::certificate("D");
        a.unit.serial = Probed::unavailable("none");
        let mut b = a.clone();
        b.id = example::certificate("E").id;
        assert_ne!(a.id, b.id);
        assert_eq!(lot_report(&[a, b]).received, 2);
    }
}
