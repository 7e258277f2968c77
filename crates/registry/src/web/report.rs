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
