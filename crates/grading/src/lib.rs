//! Grading a refurbished unit: an explainable grade a beneficiary can trust.
//!
//! From a [`GradingInput`] (the inventory, the disks' health and wipe, the worker's functional
//! checks) and a [`Policy`] (TOML data: weights, curves, adjustments, grade bands, hard stops,
//! uses, prix solidaire), [`grade`] computes a [`Grade`]: A, B or C for reuse, `pieces` for
//! parts or `recycling` for WEEE; a score on eReuse Rate v1's scale (0 to 5) so figures compare;
//! what the unit is fit for; whether it qualifies for the prix solidaire; and every reason with
//! a stable code and a sentence in French and English.
//!
//! The crate is pure: it reads nothing but the TOML and JSON text given to it. docs/grading.md
//! is the normative description of the policy and of the output.
//!
//! ```
//! use grading::{grade, GradingInput, Policy};
//!
//! let input: GradingInput = serde_json::from_str(r#"{
//!     "kind": "laptop",
//!     "cpu": { "model": "Intel(R) Core(TM) i5-8265U CPU @ 1.60GHz", "threads": 8 },
//!     "memory_bytes": 8201801728,
//!     "disks": [{ "capacity_bytes": 256060514304, "health": "good", "kind": "nvme", "wipe": "verified" }],
//!     "battery": { "health_percent": 38, "charges": true },
//!     "wipe": "sanitized",
//!     "os_installed": true
//! }"#).expect("valid input");
//! let g = grade(&input, &Policy::default_policy());
//! assert!(g.reuse);
//! let battery = g.reasons.iter().find(|r| r.code == "battery_worn").expect("battery reason");
//! assert_eq!(battery.fr, "la batterie ne tient plus que 38 % de sa charge d'origine");
//! ```
#![deny(missing_docs)]

mod assess;
pub mod cpu;
pub mod ereuse;
mod grade;
mod input;
pub mod policy;
mod reason;

pub use assess::{combine, grade, installed_gib, round_to, weighted_harmonic_mean};
pub use grade::{
    ConditionStatus, Effect, Eligibility, EligibilityCondition, EreuseBand, FitFor, Grade, GradeLevel, Lang,
    PolicyRef, PrixSolidaire, Reason, SubScores, GRADE_SCHEMA_V1,
};
pub use input::{
    BatteryInput, CpuInput, DiskExtra, DiskHealth, DiskInput, DiskKind, GradingInput, MonitorInput,
    UnitFacts, UnitKind,
};
pub use policy::{Policy, PolicyError, DEFAULT_POLICY_TOML};
