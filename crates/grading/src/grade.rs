//! The output: [`Grade`], the JSON the station embeds in the certificate's `grade` field.
//!
//! Its shape is a contract (docs/grading.md, "Output"): fields are only ever added, and reason
//! codes keep their meaning. `schema` names the version.

use serde::{Deserialize, Serialize};

/// The value of [`Grade::schema`].
pub const GRADE_SCHEMA_V1: &str = "seconde-vie/grade/v1";

/// The grade of a unit, with everything that explains it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    /// Always [`GRADE_SCHEMA_V1`].
    pub schema: String,
    /// The policy that produced it.
    pub policy: PolicyRef,
    /// The grade.
    pub grade: GradeLevel,
    /// Whether the grade is a reuse grade (A, B or C).
    pub reuse: bool,
    /// The score on eReuse Rate v1's scale, 0 to 5 (eReuse's own maximum is 4.7), two decimals.
    pub score: f64,
    /// eReuse's band for the score: `high` [4, 4.7], `mid` [3, 4), `low` [2, 3), `not_valid` below.
    pub ereuse_band: EreuseBand,
    /// How the score was made.
    pub sub_scores: SubScores,
    /// What the unit is fit for (empty without a reuse grade), in the policy's order.
    pub fit_for: Vec<FitFor>,
    /// Whether the unit qualifies for the prix solidaire.
    pub prix_solidaire: PrixSolidaire,
    /// Every reason, most decisive first (hard stops, caps, then score changes and notes).
    pub reasons: Vec<Reason>,
}

/// Which policy graded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// `[policy] name`.
    pub name: String,
    /// `[policy] version`.
    pub version: u32,
}

/// A grade: A, B, C for reuse; pieces (parts); recycling (WEEE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GradeLevel {
    /// Reuse, best.
    A,
    /// Reuse.
    B,
    /// Reuse, modest.
    C,
    /// Not reusable as is: kept for parts.
    #[serde(rename = "pieces")]
    Pieces,
    /// Waste electrical and electronic equipment.
    #[serde(rename = "recycling")]
    Recycling,
}

impl GradeLevel {
    /// Whether the unit can be given a second life as is.
    pub fn is_reuse(self) -> bool {
        matches!(self, GradeLevel::A | GradeLevel::B | GradeLevel::C)
    }

    /// The lower of two grades (a cap).
    pub fn capped_at(self, cap: GradeLevel) -> GradeLevel {
        self.max(cap)
    }

    /// The grade in words.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (GradeLevel::A, _) => "A",
            (GradeLevel::B, _) => "B",
            (GradeLevel::C, _) => "C",
            (GradeLevel::Pieces, Lang::Fr) => "pièces",
            (GradeLevel::Pieces, Lang::En) => "parts",
            (GradeLevel::Recycling, Lang::Fr) => "recyclage (DEEE)",
            (GradeLevel::Recycling, Lang::En) => "recycling (WEEE)",
        }
    }
}

/// A language of the sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// French.
    Fr,
    /// English.
    En,
}

/// eReuse's rating bands (eReuse/rate README, "Output").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EreuseBand {
    /// Below 2.
    NotValid,
    /// [2, 3).
    Low,
    /// [3, 4).
    Mid,
    /// 4 and above.
    High,
}

impl EreuseBand {
    /// The band of a rating.
    pub fn of(rating: f64) -> EreuseBand {
        if rating >= 4.0 {
            EreuseBand::High
        } else if rating >= 3.0 {
            EreuseBand::Mid
        } else if rating >= 2.0 {
            EreuseBand::Low
        } else {
            EreuseBand::NotValid
        }
    }
}

/// The parts of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubScores {
    /// Processor sub-score.
    pub cpu: f64,
    /// Memory sub-score.
    pub memory: f64,
    /// Disk sub-score.
    pub disk: f64,
    /// Weighted harmonic mean of the three.
    pub components: f64,
    /// Change from the cosmetic grade.
    pub appearance: f64,
    /// Change from the functional checks.
    pub functionality: f64,
    /// Other changes (battery, worn disk).
    pub condition: f64,
}

/// A use the unit is fit for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitFor {
    /// The policy's code, e.g. `office_online`.
    pub code: String,
    /// French label.
    pub fr: String,
    /// English label.
    pub en: String,
}

/// Prix solidaire eligibility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrixSolidaire {
    /// Eligible, not eligible, or unknown (a condition could not be checked).
    pub status: Eligibility,
    /// The category it would be sold in (`laptop`, `desktop_with_screen`), when it has one.
    pub category: Option<String>,
    /// The price cap of that category, euros.
    pub cap_eur: Option<u32>,
    /// Each condition and whether it is met.
    pub conditions: Vec<EligibilityCondition>,
}

/// Overall eligibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// Every condition is met.
    Eligible,
    /// At least one condition is not met.
    NotEligible,
    /// None is unmet, but at least one is unknown.
    Unknown,
}

/// One prix solidaire condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityCondition {
    /// Stable code: `local_authority_donor`, `reuse_grade`, `category`, `disk`, `os`,
    /// `battery`, `charger`.
    pub code: String,
    /// Met, unmet or unknown.
    pub status: ConditionStatus,
    /// In French.
    pub fr: String,
    /// In English.
    pub en: String,
}

/// Whether a condition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionStatus {
    /// It holds.
    Met,
    /// It does not.
    Unmet,
    /// Nothing tells.
    Unknown,
}

/// One reason, with a stable code, its effect and a sentence in each language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Stable code (docs/grading.md lists them), e.g. `battery_worn`.
    pub code: String,
    /// What it did to the grade.
    pub effect: Effect,
    /// The score change, when it changed the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// The grade it capped the unit at, for hard stops and caps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<GradeLevel>,
    /// In French.
    pub fr: String,
    /// In English.
    pub en: String,
}

impl Reason {
    /// The sentence in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }
}

/// What a reason did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A hard stop: the grade can be no better than `cap`.
    HardStop,
    /// A reuse minimum not met: the grade is capped at `cap`.
    Cap,
    /// Lowered the score by `delta`.
    Penalty,
    /// Raised the score by `delta`.
    Bonus,
    /// Explains a sub-score or records a fact, without changing the score by itself.
    Info,
    /// A fact could not be known; the grade assumed the stated default.
    Unknown,
}

impl Grade {
    /// The grade as text for a person, in `lang`: grade and score, what it is fit for, the prix
    /// solidaire, then every reason.
    pub fn to_text(&self, lang: Lang) -> String {
        let mut out = String::new();
        let (grade_w, score_w, fit_w, none_w, prix_w, reasons_w) = match lang {
            Lang::Fr => (
                "Note",
                "score",
                "Convient pour",
                "aucun usage (pas de note de réemploi)",
                "Prix solidaire",
                "Raisons",
            ),
            Lang::En => ("Grade", "score", "Fit for", "no use (no reuse grade)", "Prix solidaire", "Reasons"),
        };
        let score = crate::reason::number(self.score, 2, lang);
        let sep = if lang == Lang::Fr { " : " } else { ": " };
        out.push_str(&format!("{grade_w}{sep}{} ({score_w} {score} / 5)\n", self.grade.label(lang)));
        let uses: Vec<&str> = self
            .fit_for
            .iter()
            .map(|u| match lang {
                Lang::Fr => u.fr.as_str(),
                Lang::En => u.en.as_str(),
            })
            .collect();
        if uses.is_empty() && self.reuse {
            // A reuse grade the policy's uses all ask more of (a policy without a basic use).
            let none = match lang {
                Lang::Fr => "aucun des usages de la politique",
                Lang::En => "none of the policy's uses",
            };
            out.push_str(&format!("{fit_w}{sep}{none}\n"));
        } else if uses.is_empty() {
            out.push_str(&format!("{fit_w}{sep}{none_w}\n"));
        } else {
            out.push_str(&format!("{fit_w}{sep}{}\n", uses.join(", ")));
        }
        let status = match (self.prix_solidaire.status, lang) {
            (Eligibility::Eligible, Lang::Fr) => "éligible",
            (Eligibility::Eligible, Lang::En) => "eligible",
            (Eligibility::NotEligible, Lang::Fr) => "non éligible",
            (Eligibility::NotEligible, Lang::En) => "not eligible",
            (Eligibility::Unknown, Lang::Fr) => "à confirmer",
            (Eligibility::Unknown, Lang::En) => "to be confirmed",
        };
        out.push_str(&format!("{prix_w}{sep}{status}"));
        if let Some(cap) = self.prix_solidaire.cap_eur {
            out.push_str(&match lang {
                Lang::Fr => format!(" (plafond {cap} €)"),
                Lang::En => format!(" (cap €{cap})"),
            });
        }
        out.push('\n');
        for c in &self.prix_solidaire.conditions {
            let mark = match c.status {
                ConditionStatus::Met => "+",
                ConditionStatus::Unmet => "-",
                ConditionStatus::Unknown => "?",
            };
            let text = match lang {
                Lang::Fr => &c.fr,
                Lang::En => &c.en,
            };
            out.push_str(&format!("  {mark} {text}\n"));
        }
        out.push_str(&format!("{reasons_w}{}\n", sep.trim_end()));
        for r in &self.reasons {
            out.push_str(&format!("  - {} [{}]\n", r.text(lang), r.code));
        }
        out
    }
}
