//! Computing a [`Grade`] from a [`GradingInput`] and a [`Policy`].
//!
//! The order of the rules is documented in docs/grading.md ("How a grade is computed"):
//! sub-scores, weighted harmonic mean, adjustments, band, reuse minimums, hard stops, uses,
//! prix solidaire.

use certificate::{
    CheckResult, CheckStatus, Checks, CosmeticGrade, HardwareTestKind, Outcome, SanitizeResult,
};

use crate::grade::{
    ConditionStatus, Eligibility, EligibilityCondition as PrixCondition, EreuseBand, FitFor, Grade,
    GradeLevel, PolicyRef, PrixSolidaire, Reason, SubScores, GRADE_SCHEMA_V1,
};
use crate::input::{DiskHealth, DiskInput, DiskKind, GradingInput, UnitKind};
use crate::policy::{CheckName, Condition, Policy, Weights};
use crate::reason;

const GIB: f64 = (1u64 << 30) as f64;

/// The weighted harmonic mean of `(weight, value)` pairs, eReuse's way of merging components
/// (eReuse/devicehub-teal `BaseRate.harmonic_mean`): `Σw / Σ(w / x)`. Pairs of weight 0 are left
/// out; `None` when no weight is left. Values must be above 0.
pub fn weighted_harmonic_mean(pairs: &[(f64, f64)]) -> Option<f64> {
    let (w, d) =
        pairs.iter().filter(|(w, _)| *w > 0.0).fold((0.0, 0.0), |(sw, sd), (w, x)| (sw + w, sd + w / x));
    (w > 0.0).then(|| w / d)
}

/// The components' score: the weighted harmonic mean of the CPU, memory and disk sub-scores
/// with the policy's weights (eReuse Rate v1 step "component fusion").
pub fn combine(weights: &Weights, cpu: f64, memory: f64, disk: f64) -> f64 {
    weighted_harmonic_mean(&[(weights.cpu, cpu), (weights.memory, memory), (weights.disk, disk)])
        .unwrap_or(0.0)
}

/// Rounds to `decimals` decimals, half away from zero.
pub fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// Installed memory in GiB from the kernel's MemTotal: rounded *up* to the next half GiB, since
/// MemTotal leaves out what firmware and integrated graphics reserve (a 2 GiB unit shows about
/// 1.9 GiB). Heuristic.
pub fn installed_gib(memory_bytes: u64) -> f64 {
    (memory_bytes as f64 / GIB * 2.0 - 1e-9).ceil().max(0.0) / 2.0
}

fn kind_rank(k: DiskKind) -> u8 {
    match k {
        DiskKind::Unknown => 0,
        DiskKind::Hdd => 1,
        DiskKind::Ssd => 2,
        DiskKind::Nvme => 3,
    }
}

fn check_result(checks: &Checks, name: CheckName) -> &CheckResult {
    match name {
        CheckName::Screen => &checks.screen,
        CheckName::Keyboard => &checks.keyboard,
        CheckName::Sound => &checks.sound,
        CheckName::Usb => &checks.usb,
        CheckName::Battery => &checks.battery,
    }
}

/// Grades `input` by `policy`.
pub fn grade(input: &GradingInput, policy: &Policy) -> Grade {
    let mut blocking: Vec<Reason> = Vec::new();
    let mut notes: Vec<Reason> = Vec::new();

    // Disks: a failing disk is set aside; the others count.
    let usable: Vec<&DiskInput> = input.disks.iter().filter(|d| d.health != DiskHealth::Failing).collect();
    for (i, d) in input.disks.iter().enumerate() {
        if d.health == DiskHealth::Failing {
            notes.push(reason::disk_set_aside(i, d.capacity_bytes as f64 / 1e9));
        }
    }
    let usable_gb = usable.iter().map(|d| d.capacity_bytes as f64).sum::<f64>() / 1e9;
    let best_kind = usable.iter().map(|d| d.kind).max_by_key(|k| kind_rank(*k));

    // CPU.
    let cpu_policy = &policy.cpu;
    let year = input.cpu.launch_year();
    let estimated = input.cpu.year.is_none() && year.is_some();
    let year_part = match (input.cpu.benchmark, &cpu_policy.benchmark) {
        (Some(b), Some(curve)) => Some(curve.at(b)),
        (Some(_), None) => {
            notes.push(reason::cpu_benchmark_ignored());
            year.map(|y| cpu_policy.year.at(f64::from(y)))
        }
        (None, _) => year.map(|y| cpu_policy.year.at(f64::from(y))),
    };
    let threads_part = input.cpu.threads.map(|t| cpu_policy.threads.at(f64::from(t)));
    let cpu = match (year_part, threads_part) {
        (Some(a), Some(b)) => {
            weighted_harmonic_mean(&[(cpu_policy.year_weight, a), (cpu_policy.threads_weight, b)])
                .unwrap_or(a)
        }
        (Some(a), None) => a,
        (None, Some(b)) => {
            notes.push(reason::cpu_year_unknown(input.cpu.model.as_deref()));
            b
        }
        (None, None) => cpu_policy.unknown,
    };
    if year_part.is_none() && threads_part.is_none() {
        notes.push(reason::cpu_unknown(cpu));
    } else {
        notes.push(reason::cpu(
            input.cpu.model.as_deref(),
            year,
            input.cpu.threads,
            estimated,
            round_to(cpu, 2),
        ));
    }

    // Memory.
    let gib = input.memory_bytes.map(installed_gib);
    let memory = match gib {
        Some(g) => {
            let s = policy.memory.gib.at(g);
            notes.push(reason::memory(g, round_to(s, 2)));
            s
        }
        None => {
            notes.push(reason::memory_unknown(policy.memory.unknown));
            policy.memory.unknown
        }
    };

    // Disk.
    let disk = match best_kind {
        Some(kind) => {
            let k = &policy.disk.kind;
            let kind_score = match kind {
                DiskKind::Hdd => k.hdd,
                DiskKind::Ssd => k.ssd,
                DiskKind::Nvme => k.nvme,
                DiskKind::Unknown => k.unknown,
            };
            let s = weighted_harmonic_mean(&[
                (policy.disk.capacity_weight, policy.disk.capacity_gb.at(usable_gb)),
                (policy.disk.kind_weight, kind_score),
            ])
            .unwrap_or(policy.disk.missing);
            notes.push(reason::disk(usable_gb, kind, round_to(s, 2)));
            s
        }
        None => {
            notes.push(reason::disk_missing(policy.disk.missing));
            policy.disk.missing
        }
    };

    let components = combine(&policy.weights, cpu, memory, disk);

    // Appearance.
    let cosmetic = input.checks.as_ref().and_then(|c| c.cosmetic);
    let appearance = match cosmetic {
        Some(CosmeticGrade::A) => policy.appearance.a,
        Some(CosmeticGrade::B) => policy.appearance.b,
        Some(CosmeticGrade::C) => policy.appearance.c,
        None => policy.appearance.unknown,
    };
    notes.push(reason::appearance(cosmetic, appearance));

    // Functionality.
    let functionality = match &input.checks {
        None => {
            notes.push(reason::checks_missing());
            0.0
        }
        Some(checks) => {
            let mut penalties = 0.0;
            let mut any_failed = false;
            let mut all_passed = true;
            for name in CheckName::ALL {
                let result = check_result(checks, name);
                match result.status {
                    CheckStatus::Pass => {}
                    CheckStatus::Fail => {
                        let delta = policy.functionality.failed.of(name);
                        penalties += delta;
                        any_failed = true;
                        all_passed = false;
                        notes.push(reason::check_failed(name, result, delta));
                    }
                    CheckStatus::Skipped => {
                        all_passed = false;
                        notes.push(reason::check_skipped(name));
                    }
                    CheckStatus::NotApplicable => {}
                }
            }
            if any_failed {
                if penalties < policy.functionality.floor {
                    notes.push(reason::functionality_floor(policy.functionality.floor));
                }
                penalties.max(policy.functionality.floor)
            } else if all_passed {
                notes.push(reason::checks_all_passed(policy.functionality.all_pass));
                policy.functionality.all_pass
            } else {
                0.0
            }
        }
    };

    // Condition: worn disks, the battery.
    let mut condition = 0.0;
    if usable.iter().any(|d| d.health == DiskHealth::Worn) {
        condition += policy.disk.worn_adjustment;
        notes.push(reason::disk_worn(policy.disk.worn_adjustment));
    }
    if usable.iter().any(|d| d.health == DiskHealth::Unknown) {
        notes.push(reason::disk_health_unknown());
    }
    if input.kind == UnitKind::Laptop {
        let b = &policy.battery;
        match &input.battery {
            None => {
                condition += b.missing_adjustment;
                notes.push(reason::battery_missing(b.missing_adjustment));
            }
            Some(battery) => match battery.health_percent {
                Some(p) => {
                    let delta = if p < b.dead_below_percent {
                        b.dead_adjustment
                    } else if p < b.worn_below_percent {
                        b.worn_adjustment
                    } else {
                        0.0
                    };
                    condition += delta;
                    notes.push(reason::battery_health(p, b.worn_below_percent, b.dead_below_percent, delta));
                }
                None => notes.push(reason::battery_health_unknown()),
            },
        }
    }

    let raw = components + appearance + functionality + condition;
    let score = round_to(raw.clamp(0.0, 5.0), 2);
    let band = policy.grades.band(score);
    let mut level = band;

    // Reuse minimums.
    let r = &policy.reuse;
    if let Some(g) = gib.filter(|g| *g < r.min_memory_gib) {
        blocking.push(reason::memory_below(g, r.min_memory_gib, r.grade));
        level = level.capped_at(r.grade);
    }
    if !usable.is_empty() && usable_gb < r.min_disk_gb {
        blocking.push(reason::disk_below(usable_gb, r.min_disk_gb, r.grade));
        level = level.capped_at(r.grade);
    }
    if let Some(t) = input.cpu.threads.filter(|t| *t < r.min_threads) {
        blocking.push(reason::threads_below(t, r.min_threads, r.grade));
        level = level.capped_at(r.grade);
    }

    // Hard stops, first in the reasons.
    let wipe_failed =
        input.wipe == Outcome::Failed || input.disks.iter().any(|d| d.wipe == Some(SanitizeResult::Failed));
    let wipe_incomplete = !wipe_failed
        && (input.wipe == Outcome::Incomplete
            || input
                .disks
                .iter()
                .any(|d| matches!(d.wipe, Some(SanitizeResult::NotVerified | SanitizeResult::Interrupted))));
    let screen_failed = input.kind.has_builtin_screen()
        && input.checks.as_ref().is_some_and(|c| c.screen.status == CheckStatus::Fail);
    let mut stops: Vec<Reason> = Vec::new();
    for stop in &policy.hard_stops {
        let holds = match stop.when {
            Condition::DiskFailing => input.disks.iter().any(|d| d.health == DiskHealth::Failing),
            Condition::WipeFailed => wipe_failed,
            Condition::WipeIncomplete => wipe_incomplete,
            Condition::NoDisk => usable.is_empty(),
            Condition::BuiltinScreenFailed => screen_failed,
            Condition::OsMissing => !input.os_installed,
            Condition::MemoryFailed => failed_test(input, HardwareTestKind::Memory),
            Condition::CpuFailed => failed_test(input, HardwareTestKind::Cpu),
        };
        if holds {
            level = level.capped_at(stop.grade);
            stops.push(reason::hard_stop(stop.when, stop.grade, None));
        }
    }

    // Uses.
    let fit_for = if level.is_reuse() {
        policy
            .fit_for
            .iter()
            .filter(|u| {
                u.min_score.is_none_or(|m| score >= m)
                    && u.min_memory_gib.is_none_or(|m| gib.is_some_and(|g| g >= m))
                    && u.min_threads.is_none_or(|m| input.cpu.threads.is_some_and(|t| t >= m))
                    && u.min_cpu_year.is_none_or(|m| year.is_some_and(|y| y >= m))
                    && u.min_disk_gb.is_none_or(|m| usable_gb >= m)
                    && (!u.solid_state
                        || best_kind.is_some_and(|k| matches!(k, DiskKind::Ssd | DiskKind::Nvme)))
                    && u.requires_passed.iter().all(|c| {
                        input
                            .checks
                            .as_ref()
                            .is_some_and(|checks| check_result(checks, *c).status == CheckStatus::Pass)
                    })
            })
            .map(|u| FitFor { code: u.code.clone(), fr: u.fr.clone(), en: u.en.clone() })
            .collect()
    } else {
        Vec::new()
    };

    let prix_solidaire = prix_solidaire(input, policy, level, !usable.is_empty());

    let mut reasons = stops;
    reasons.append(&mut blocking);
    reasons.push(reason::score_band(score, band));
    reasons.append(&mut notes);

    Grade {
        schema: GRADE_SCHEMA_V1.to_owned(),
        policy: PolicyRef { name: policy.policy.name.clone(), version: policy.policy.version },
        grade: level,
        reuse: level.is_reuse(),
        score,
        ereuse_band: EreuseBand::of(score),
        sub_scores: SubScores {
            cpu: round_to(cpu, 3),
            memory: round_to(memory, 3),
            disk: round_to(disk, 3),
            components: round_to(components, 3),
            appearance: round_to(appearance, 3),
            functionality: round_to(functionality, 3),
            condition: round_to(condition, 3),
        },
        fit_for,
        prix_solidaire,
        reasons,
    }
}

fn cond(code: &str, status: ConditionStatus, fr: impl Into<String>, en: impl Into<String>) -> PrixCondition {
    PrixCondition { code: code.to_owned(), status, fr: fr.into(), en: en.into() }
}

fn known(v: Option<bool>) -> ConditionStatus {
    match v {
        Some(true) => ConditionStatus::Met,
        Some(false) => ConditionStatus::Unmet,
        None => ConditionStatus::Unknown,
    }
}

fn prix_solidaire(input: &GradingInput, policy: &Policy, level: GradeLevel, has_disk: bool) -> PrixSolidaire {
    use ConditionStatus::{Met, Unknown, Unmet};
    let ps = &policy.prix_solidaire;
    let mut conditions = Vec::new();
    conditions.push(match input.donated_by_local_authority {
        Some(true) => cond(
            "local_authority_donor",
            Met,
            "don d'une collectivité territoriale",
            "given by a local authority",
        ),
        Some(false) => cond(
            "local_authority_donor",
            Unmet,
            "l'unité ne vient pas d'une collectivité territoriale",
            "the unit was not given by a local authority",
        ),
        None => cond(
            "local_authority_donor",
            Unknown,
            "on ne sait pas si l'unité vient d'une collectivité territoriale",
            "whether a local authority gave the unit is not recorded",
        ),
    });
    conditions.push(if level.is_reuse() {
        cond("reuse_grade", Met, "note de réemploi", "reuse grade")
    } else {
        cond("reuse_grade", Unmet, "pas de note de réemploi", "no reuse grade")
    });
    let (category, cap) = match input.kind {
        UnitKind::Laptop => (Some("laptop"), ps.caps_eur.laptop),
        UnitKind::AllInOne => (Some("desktop_with_screen"), ps.caps_eur.desktop_with_screen),
        UnitKind::Desktop if input.monitor.is_some() => {
            (Some("desktop_with_screen"), ps.caps_eur.desktop_with_screen)
        }
        UnitKind::Desktop | UnitKind::Other => (None, None),
    };
    conditions.push(match (category, cap) {
        (Some(c), Some(eur)) => cond(
            "category",
            Met,
            format!(
                "catégorie {} : plafond {eur} €",
                if c == "laptop" { "ordinateur portable" } else { "ordinateur fixe avec écran" }
            ),
            format!("category {}: cap €{eur}", if c == "laptop" { "laptop" } else { "desktop with screen" }),
        ),
        (Some(_), None) => cond(
            "category",
            Unmet,
            "la politique ne donne pas de plafond pour cette catégorie",
            "the policy gives no cap for this category",
        ),
        (None, _) if input.kind == UnitKind::Desktop => cond(
            "category",
            Unmet,
            "ordinateur fixe sans écran : pas de plafond de prix solidaire",
            "desktop without a screen: no prix solidaire cap",
        ),
        (None, _) => cond(
            "category",
            Unmet,
            "ce type d'appareil n'a pas de plafond de prix solidaire",
            "this kind of unit has no prix solidaire cap",
        ),
    });
    conditions.push(if has_disk {
        cond("disk", Met, "un disque en état de marche", "a working disk")
    } else {
        cond("disk", Unmet, "pas de disque en état de marche", "no working disk")
    });
    conditions.push(if input.os_installed {
        cond("os", Met, "un système d'exploitation installé", "an operating system installed")
    } else {
        cond("os", Unmet, "pas de système d'exploitation installé", "no operating system installed")
    });
    if input.kind == UnitKind::Laptop {
        let min = ps.min_battery_health_percent;
        let check_failed = input.checks.as_ref().is_some_and(|c| c.battery.status == CheckStatus::Fail);
        conditions.push(match &input.battery {
            None => cond("battery", Unmet, "pas de batterie", "no battery"),
            Some(_) if check_failed => {
                cond("battery", Unmet, "la batterie ne charge pas", "the battery does not charge")
            }
            Some(b) => match (b.health_percent, b.charges) {
                (Some(p), _) if p < min => cond(
                    "battery",
                    Unmet,
                    format!("batterie à {p} % de sa charge d'origine (minimum {min} %)"),
                    format!("battery at {p} % of its original charge (minimum {min} %)"),
                ),
                (_, Some(false)) => {
                    cond("battery", Unmet, "la batterie ne charge pas", "the battery does not charge")
                }
                (Some(p), Some(true)) => cond(
                    "battery",
                    Met,
                    format!("batterie en état de marche ({p} % de sa charge d'origine, elle charge)"),
                    format!("working battery ({p} % of its original charge, it charges)"),
                ),
                (None, _) => cond(
                    "battery",
                    Unknown,
                    "l'usure de la batterie est inconnue",
                    "the battery's wear is unknown",
                ),
                (Some(_), None) => cond(
                    "battery",
                    Unknown,
                    "on ne sait pas si la batterie charge",
                    "whether the battery charges is unknown",
                ),
            },
        });
        conditions.push(match known(input.charger_included) {
            Met => cond("charger", Met, "chargeur fourni", "charger included"),
            Unmet => cond("charger", Unmet, "pas de chargeur", "no charger"),
            Unknown => cond(
                "charger",
                Unknown,
                "on ne sait pas si un chargeur est fourni",
                "whether a charger is included is not recorded",
            ),
        });
    }
    let status = if conditions.iter().any(|c| c.status == Unmet) {
        Eligibility::NotEligible
    } else if conditions.iter().any(|c| c.status == Unknown) {
        Eligibility::Unknown
    } else {
        Eligibility::Eligible
    };
    PrixSolidaire { status, category: category.map(str::to_owned), cap_eur: cap, conditions }
}

/// Whether the station's own test of this kind failed.
fn failed_test(input: &GradingInput, kind: HardwareTestKind) -> bool {
    input.hardware_tests.iter().any(|t| t.kind == kind && t.status == CheckStatus::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memtotal_rounds_up_to_the_installed_size() {
        assert_eq!(installed_gib(2_027_000 * 1024), 2.0);
        assert_eq!(installed_gib(1_016_000 * 1024), 1.0);
        assert_eq!(installed_gib(8 << 30), 8.0);
        assert_eq!(installed_gib(7_700_000 * 1024), 7.5);
    }

    #[test]
    fn harmonic_mean_leaves_out_zero_weights() {
        assert_eq!(weighted_harmonic_mean(&[(1.0, 2.0), (0.0, 5.0)]), Some(2.0));
        assert_eq!(weighted_harmonic_mean(&[(0.0, 2.0)]), None);
    }
}
