//! Properties of the default policy over arbitrary inputs.

use certificate::{
    CheckResult, CheckStatus, Checks, CosmeticGrade, HardwareTest, HardwareTestKind, Outcome, SanitizeResult,
};
use grading::{
    grade, BatteryInput, CpuInput, DiskHealth, DiskInput, DiskKind, Grade, GradingInput, MonitorInput,
    Policy, UnitKind,
};
use proptest::prelude::*;

fn status() -> impl Strategy<Value = CheckStatus> {
    prop_oneof![
        Just(CheckStatus::Pass),
        Just(CheckStatus::Fail),
        Just(CheckStatus::Skipped),
        Just(CheckStatus::NotApplicable)
    ]
}

fn checks() -> impl Strategy<Value = Checks> {
    (
        status(),
        status(),
        status(),
        status(),
        status(),
        prop::option::of(prop_oneof![Just(CosmeticGrade::A), Just(CosmeticGrade::B), Just(CosmeticGrade::C)]),
    )
        .prop_map(|(screen, keyboard, sound, usb, battery, cosmetic)| Checks {
            screen: CheckResult::new(screen),
            keyboard: CheckResult::new(keyboard),
            sound: CheckResult::new(sound),
            usb: CheckResult::new(usb),
            battery: CheckResult::new(battery),
            cosmetic,
        })
}

fn disk() -> impl Strategy<Value = DiskInput> {
    (
        0u64..4_000_000_000_000,
        prop_oneof![
            Just(DiskHealth::Good),
            Just(DiskHealth::Worn),
            Just(DiskHealth::Failing),
            Just(DiskHealth::Unknown)
        ],
        prop_oneof![Just(DiskKind::Hdd), Just(DiskKind::Ssd), Just(DiskKind::Nvme), Just(DiskKind::Unknown)],
        prop::option::of(prop_oneof![
            Just(SanitizeResult::Verified),
            Just(SanitizeResult::NotVerified),
            Just(SanitizeResult::Failed),
            Just(SanitizeResult::Interrupted)
        ]),
    )
        .prop_map(|(capacity_bytes, health, kind, wipe)| DiskInput {
            capacity_bytes,
            health,
            kind,
            wipe,
        })
}

prop_compose! {
    fn input()(
        kind in prop_oneof![Just(UnitKind::Desktop), Just(UnitKind::Laptop), Just(UnitKind::AllInOne), Just(UnitKind::Other)],
        threads in prop::option::of(1u32..128),
        year in prop::option::of(1995u16..2030),
        benchmark in prop::option::of(0.0f64..100_000.0),
        memory_bytes in prop::option::of(0u64..(256u64 << 30)),
        disks in prop::collection::vec(disk(), 0..4),
        battery in prop::option::of((prop::option::of(0u8..=120), prop::option::of(any::<bool>()))),
        monitor in any::<bool>(),
        checks in prop::option::of(checks()),
        wipe in prop_oneof![Just(Outcome::Sanitized), Just(Outcome::Failed), Just(Outcome::Incomplete)],
        os_installed in any::<bool>(),
        donated in prop::option::of(any::<bool>()),
        charger in prop::option::of(any::<bool>()),
        tests in prop::collection::vec((
            prop_oneof![Just(HardwareTestKind::Cpu), Just(HardwareTestKind::Memory), Just(HardwareTestKind::Network)],
            status(),
        ), 0..3),
    ) -> GradingInput {
        GradingInput {
            kind,
            cpu: CpuInput { model: None, threads, benchmark, year },
            memory_bytes,
            disks,
            battery: battery.map(|(health_percent, charges)| BatteryInput { health_percent, charges }),
            monitor: monitor.then_some(MonitorInput { inches: Some(21.5) }),
            checks,
            hardware_tests: tests.into_iter().map(|(kind, status)| HardwareTest::new(kind, status)).collect(),
            wipe,
            os_installed,
            donated_by_local_authority: donated,
            charger_included: charger,
        }
    }
}

fn must_not_be_reused(input: &GradingInput) -> bool {
    let failed = |kind| input.hardware_tests.iter().any(|t| t.kind == kind && t.status == CheckStatus::Fail);
    input.wipe != Outcome::Sanitized
        || failed(HardwareTestKind::Memory)
        || failed(HardwareTestKind::Cpu)
        || input.disks.iter().any(|d| {
            d.health == DiskHealth::Failing
                || matches!(
                    d.wipe,
                    Some(SanitizeResult::Failed | SanitizeResult::NotVerified | SanitizeResult::Interrupted)
                )
        })
}

fn check_invariants(input: &GradingInput, g: &Grade) -> Result<(), TestCaseError> {
    if must_not_be_reused(input) {
        prop_assert!(!g.reuse, "reuse grade {:?} for {input:#?}", g.grade);
        prop_assert!(!g.grade.is_reuse());
        prop_assert!(g.fit_for.is_empty());
        prop_assert!(g.reasons.iter().any(|r| r.cap.is_some_and(|c| !c.is_reuse())));
    }
    prop_assert!((0.0..=5.0).contains(&g.score), "score {}", g.score);
    prop_assert_eq!(g.reuse, g.grade.is_reuse());
    // Every reuse grade is fit for at least the default policy's basic use.
    if g.reuse {
        prop_assert!(g.fit_for.iter().any(|u| u.code == "basic"), "reuse without a use: {input:#?} {g:#?}");
    }
    if g.prix_solidaire.status == grading::Eligibility::Eligible {
        prop_assert!(g.reuse);
    }
    Ok(())
}

proptest! {
    #[test]
    fn a_failed_or_incomplete_wipe_a_failing_disk_or_failed_memory_or_cpu_never_gets_a_reuse_grade(input in input()) {
        let g = grade(&input, &Policy::default_policy());
        check_invariants(&input, &g)?;
    }

    #[test]
    fn the_grade_round_trips_through_json(input in input()) {
        let g = grade(&input, &Policy::default_policy());
        let text = serde_json::to_string(&g).expect("serializable");
        let back: Grade = serde_json::from_str(&text).expect("readable");
        prop_assert_eq!(back, g);
    }
}
