//! Table-driven tests: each fixture input (tests/fixtures/README.md) graded by the default policy.

use std::path::Path;

use grading::{grade, Eligibility, Grade, GradeLevel, GradingInput, Lang, Policy};

fn load(name: &str) -> GradingInput {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Case {
    file: &'static str,
    grade: GradeLevel,
    score: f64,
    fit_for: &'static [&'static str],
    prix_solidaire: Eligibility,
    cap_eur: Option<u32>,
    /// Reason codes that must be there, in this order (others may come between).
    reasons: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "core2-desktop-2009.json",
        grade: GradeLevel::Pieces,
        score: 1.61,
        fit_for: &[],
        prix_solidaire: Eligibility::NotEligible,
        cap_eur: Some(150),
        reasons: &[
            "memory_below_minimum",
            "score_band",
            "cpu",
            "memory",
            "disk",
            "appearance_b",
            "checks_all_passed",
        ],
    },
    Case {
        file: "laptop-2014-worn-battery.json",
        grade: GradeLevel::B,
        score: 3.08,
        fit_for: &["basic", "office_online", "school"],
        prix_solidaire: Eligibility::NotEligible,
        cap_eur: Some(180),
        reasons: &["score_band", "cpu", "memory", "disk", "checks_all_passed", "battery_worn"],
    },
    Case {
        file: "laptop-2019-nvme.json",
        grade: GradeLevel::A,
        score: 4.6,
        fit_for: &["basic", "office_online", "school", "light_multimedia"],
        prix_solidaire: Eligibility::Eligible,
        cap_eur: Some(180),
        reasons: &[
            "score_band",
            "cpu",
            "memory",
            "disk",
            "appearance_a",
            "checks_all_passed",
            "battery_good",
        ],
    },
    Case {
        file: "failing-disk.json",
        grade: GradeLevel::Pieces,
        score: 2.99,
        fit_for: &[],
        prix_solidaire: Eligibility::NotEligible,
        cap_eur: None,
        reasons: &["disk_failing", "no_disk", "score_band", "disk_set_aside", "disk_missing"],
    },
    Case {
        file: "wipe-failed.json",
        grade: GradeLevel::Pieces,
        score: 2.9,
        fit_for: &[],
        prix_solidaire: Eligibility::NotEligible,
        cap_eur: Some(180),
        reasons: &["wipe_failed", "score_band", "appearance_c", "check_failed_keyboard", "check_skipped_usb"],
    },
];

fn assert_in_order(g: &Grade, expected: &[&str], file: &str) {
    let codes: Vec<&str> = g.reasons.iter().map(|r| r.code.as_str()).collect();
    let mut at = 0;
    for want in expected {
        match codes[at..].iter().position(|c| c == want) {
            Some(i) => at += i + 1,
            None => panic!("{file}: reason {want} missing or out of order in {codes:?}"),
        }
    }
}

#[test]
fn every_fixture_gets_its_expected_grade() {
    let policy = Policy::default_policy();
    for case in CASES {
        let g = grade(&load(case.file), &policy);
        let f = case.file;
        assert_eq!(g.grade, case.grade, "{f}: {g:#?}");
        assert_eq!(g.reuse, case.grade.is_reuse(), "{f}");
        assert!((g.score - case.score).abs() < 1e-9, "{f}: score {} expected {}", g.score, case.score);
        let uses: Vec<&str> = g.fit_for.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(uses, case.fit_for, "{f}");
        assert_eq!(g.prix_solidaire.status, case.prix_solidaire, "{f}: {:#?}", g.prix_solidaire);
        assert_eq!(g.prix_solidaire.cap_eur, case.cap_eur, "{f}");
        assert_in_order(&g, case.reasons, f);
        // Every reason speaks both languages.
        for r in &g.reasons {
            assert!(!r.fr.is_empty() && !r.en.is_empty(), "{f}: {r:?}");
        }
        // The grade survives a JSON round trip (the certificate embeds it).
        let json = serde_json::to_value(&g).expect("serializable");
        let back: Grade = serde_json::from_value(json).expect("readable");
        assert_eq!(back, g, "{f}");
    }
}

#[test]
fn the_worn_battery_is_explained_in_plain_words() {
    let g = grade(&load("laptop-2014-worn-battery.json"), &Policy::default_policy());
    let r = g.reasons.iter().find(|r| r.code == "battery_worn").expect("battery reason");
    assert_eq!(r.fr, "la batterie ne tient plus que 38 % de sa charge d'origine");
    assert_eq!(r.en, "the battery holds only 38 % of its original charge");
    assert_eq!(r.delta, Some(-0.1));
    let battery =
        g.prix_solidaire.conditions.iter().find(|c| c.code == "battery").expect("battery condition");
    assert_eq!(battery.en, "battery at 38 % of its original charge (minimum 50 %)");
}

#[test]
fn the_text_output_names_grade_uses_and_reasons() {
    let g = grade(&load("laptop-2019-nvme.json"), &Policy::default_policy());
    let fr = g.to_text(Lang::Fr);
    assert!(fr.starts_with("Note : A (score 4,6 / 5)\n"), "{fr}");
    assert!(fr.contains("Convient pour : courriel, navigation web et traitement de texte, bureautique et démarches en ligne, usage scolaire"), "{fr}");
    assert!(fr.contains("Prix solidaire : éligible (plafond 180 €)"), "{fr}");
    let en = g.to_text(Lang::En);
    assert!(en.starts_with("Grade: A (score 4.6 / 5)\n"), "{en}");
    assert!(en.contains("[battery_good]"), "{en}");
}

#[test]
fn the_grade_json_has_the_documented_shape() {
    let g = grade(&load("laptop-2014-worn-battery.json"), &Policy::default_policy());
    let v = serde_json::to_value(&g).expect("serializable");
    for key in [
        "schema",
        "policy",
        "grade",
        "reuse",
        "score",
        "ereuse_band",
        "sub_scores",
        "fit_for",
        "prix_solidaire",
        "reasons",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v:#}");
    }
    assert_eq!(v["schema"], "seconde-vie/grade/v1");
    assert_eq!(v["grade"], "B");
    assert_eq!(v["ereuse_band"], "mid");
    assert_eq!(v["prix_solidaire"]["status"], "not_eligible");
    let pieces = grade(&load("failing-disk.json"), &Policy::default_policy());
    let v = serde_json::to_value(&pieces).expect("serializable");
    assert_eq!(v["grade"], "pieces");
    assert_eq!(v["reasons"][0]["effect"], "hard_stop");
    assert_eq!(v["reasons"][0]["cap"], "pieces");
}

#[test]
fn variants_of_the_2019_laptop() {
    let policy = Policy::default_policy();
    let base = load("laptop-2019-nvme.json");

    // A defective built-in screen is a hard stop.
    let mut broken = base.clone();
    if let Some(c) = broken.checks.as_mut() {
        c.screen.status = certificate::CheckStatus::Fail;
    }
    let g = grade(&broken, &policy);
    assert_eq!(g.grade, GradeLevel::Pieces);
    assert_eq!(g.reasons[0].code, "builtin_screen_failed");
    assert!(g.fit_for.is_empty());

    // The charger not recorded: the prix solidaire is to be confirmed, not refused.
    let mut unsure = base.clone();
    unsure.charger_included = None;
    let g = grade(&unsure, &policy);
    assert_eq!(g.grade, GradeLevel::A);
    assert_eq!(g.prix_solidaire.status, Eligibility::Unknown);

    // A skipped check loses the all-pass bonus and says so.
    let mut skipped = base.clone();
    if let Some(c) = skipped.checks.as_mut() {
        c.sound.status = certificate::CheckStatus::Skipped;
    }
    let g = grade(&skipped, &policy);
    assert!((g.score - 4.2).abs() < 1e-9, "{}", g.score);
    assert!(g.reasons.iter().any(|r| r.code == "check_skipped_sound"));
    // Multimedia and school need the sound checked.
    let uses: Vec<&str> = g.fit_for.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(uses, ["basic", "office_online"]);

    // The same machine as a desktop without a screen has no prix solidaire cap.
    let mut desktop = base;
    desktop.kind = grading::UnitKind::Desktop;
    desktop.monitor = None;
    desktop.battery = None;
    let g = grade(&desktop, &policy);
    assert_eq!(g.prix_solidaire.category, None);
    assert_eq!(g.prix_solidaire.status, Eligibility::NotEligible);
    let category = g.prix_solidaire.conditions.iter().find(|c| c.code == "category").expect("category");
    assert_eq!(category.status, grading::ConditionStatus::Unmet);
}
