//! eReuse's Rate v1 on the inputs its published tests give (eReuse/devicehub-teal,
//! `tests/test_rate_workbench_v1.py`, the four PCs pc_1193, pc_1201, pc_79 and pc_798), and our
//! own merging of components (weights and appearance/functionality values of the default
//! policy) giving the same ratings from eReuse's component rates.

use grading::ereuse::{self, Appearance, DataStorage, Functionality, Processor, RamModule};
use grading::{combine, round_to, Policy};

/// eReuse's tests compare with `math.isclose(..., rel_tol=0.001)` (0.002 for some RAM rates).
fn close(found: f64, expected: f64, rel_tol: f64) -> bool {
    (found - expected).abs() <= rel_tol * found.abs().max(expected.abs())
}

struct Pc {
    id: &'static str,
    cpu: Processor,
    ram: &'static [RamModule],
    disk: DataStorage,
    appearance: Appearance,
    /// Published component rates: processor, RAM, data storage; then the rating.
    expected: (f64, f64, f64, f64),
}

const fn ram(size_mb: f64, speed_mhz: Option<f64>) -> RamModule {
    RamModule { size_mb, speed_mhz }
}

const PCS: &[Pc] = &[
    Pc {
        id: "pc_1193",
        cpu: Processor { cores: Some(2), speed_ghz: Some(3.4), benchmark: Some(27136.44) },
        ram: &[ram(4096.0, Some(1600.0)), ram(2048.0, Some(1067.0))],
        disk: DataStorage { size_mb: 476940.0, read_mb_s: 126.0, write_mb_s: 29.8 },
        appearance: Appearance::A,
        expected: (3.95, 3.79, 4.02, 4.61),
    },
    Pc {
        id: "pc_1201",
        cpu: Processor { cores: Some(2), speed_ghz: Some(3.3), benchmark: Some(26339.48) },
        ram: &[ram(2048.0, Some(1333.0))],
        disk: DataStorage { size_mb: 476940.0, read_mb_s: 158.0, write_mb_s: 34.7 },
        appearance: Appearance::B,
        expected: (3.93, 2.02, 4.07, 3.48),
    },
    Pc {
        id: "pc_79",
        cpu: Processor { cores: Some(1), speed_ghz: Some(1.6), benchmark: Some(3192.34) },
        ram: &[
            ram(512.0, Some(667.0)),
            ram(512.0, Some(800.0)),
            ram(512.0, Some(667.0)),
            ram(512.0, Some(533.0)),
        ],
        disk: DataStorage { size_mb: 76319.0, read_mb_s: 72.2, write_mb_s: 24.3 },
        appearance: Appearance::C,
        expected: (1.0, 1.99, 2.61, 1.57),
    },
    Pc {
        id: "pc_798",
        cpu: Processor { cores: Some(2), speed_ghz: Some(2.5), benchmark: Some(9974.3) },
        ram: &[ram(0.0, None)],
        disk: DataStorage { size_mb: 152587.0, read_mb_s: 78.1, write_mb_s: 24.4 },
        appearance: Appearance::B,
        expected: (4.09, 1.0, 3.7, 2.5),
    },
];

#[test]
fn ereuse_rate_v1_on_its_published_examples() {
    for pc in PCS {
        let r = ereuse::rate(&pc.cpu, pc.ram, &[pc.disk], pc.appearance, Functionality::A);
        let (p, m, d, rating) = pc.expected;
        assert!(close(r.processor, p, 0.002), "{}: processor {} vs {p}", pc.id, r.processor);
        assert!(close(r.ram, m, 0.002), "{}: ram {} vs {m}", pc.id, r.ram);
        assert!(close(r.data_storage, d, 0.002), "{}: data storage {} vs {d}", pc.id, r.data_storage);
        // eReuse's test compares ratings with rel_tol 0.001, except pc_79's, asserted equal to
        // 1.57 (the same test's docstring says 1.58). The formula gives 1.5753 there: the 1.57
        // comes from how devicehub stores the value, which we did not trace, so pc_79 is
        // compared within 0.4 % (0.006).
        let tol = if pc.id == "pc_79" { 0.004 } else { 0.001 };
        assert!(close(r.rating, rating, tol), "{}: rating {} vs {rating}", pc.id, r.rating);
    }
}

#[test]
fn ereuse_component_examples_with_missing_values() {
    // test_rate_processor_with_null_cores: cores unknown, 3.3 GHz, no benchmark: 1.38.
    let r = ereuse::processor_rate(&Processor { cores: None, speed_ghz: Some(3.3), benchmark: None });
    assert!(close(r, 1.38, 0.003), "{r}");
    // test_rate_processor_with_null_speed: 1 core, speed unknown, benchmark 0: 1.06.
    let r = ereuse::processor_rate(&Processor { cores: Some(1), speed_ghz: None, benchmark: Some(0.0) });
    assert!(close(r, 1.06, 0.001), "{r}");
    // test_rate_ram_speed_is_null: 2048 MB → 1.85, 1024 MB → 1.25.
    let r = ereuse::ram_rate(&[ram(2048.0, None)]).expect("rated");
    assert!(close(r, 1.85, 0.002), "{r}");
    let r = ereuse::ram_rate(&[ram(1024.0, None)]).expect("rated");
    assert!(close(r, 1.25, 0.004), "{r}");
    // test_rate_data_storage_rate: 152587 MB at 78.1/24.4 MB/s → 3.70.
    let r =
        ereuse::data_storage_rate(&[DataStorage { size_mb: 152587.0, read_mb_s: 78.1, write_mb_s: 24.4 }])
            .expect("rated");
    assert!(close(r, 3.70, 0.001), "{r}");
    assert_eq!(ereuse::ram_rate(&[]), None);
}

#[test]
fn our_merging_gives_ereuse_ratings_from_its_component_rates() {
    // The default policy keeps eReuse's weights, appearance values (A +0.3, B 0, C −0.2) and
    // functionality bonus (+0.4 when everything works): fed eReuse's published component rates,
    // our score is eReuse's rating.
    let policy = Policy::default_policy();
    for pc in PCS {
        let (p, m, d, rating) = pc.expected;
        let appearance = match pc.appearance {
            Appearance::A => policy.appearance.a,
            Appearance::B => policy.appearance.b,
            Appearance::C => policy.appearance.c,
            other => panic!("no cosmetic grade for eReuse's {other:?}"),
        };
        let ours = combine(&policy.weights, p, m, d) + appearance + policy.functionality.all_pass;
        assert_eq!(round_to(ours, 2), rating, "{}: {ours}", pc.id);
    }
}
