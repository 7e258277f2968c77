//! CPU facts from real /proc/cpuinfo files and a real sysfs CPU tree (see tests/fixtures/README.md).

use certificate::Probed;
use inventory::cpu::{cpu_from_cpuinfo, parse_cpuinfo, probe_cpu, run_benchmark, x86_64_level};
use inventory::Root;

fn text(name: &str) -> String {
    let p = format!("{}/tests/fixtures/cpu/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn core2_duo_e8400_is_x86_64_v1_with_vt_x() {
    let cpu = cpu_from_cpuinfo(&text("core2-duo-e8400.cpuinfo"));
    assert_eq!(cpu.model, Probed::Value("Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz".into()));
    assert_eq!(cpu.vendor, Probed::Value("GenuineIntel".into()));
    assert_eq!((cpu.cores.clone(), cpu.threads.clone()), (Probed::Value(2), Probed::Value(2)));
    // sse4_1 but no sse4_2 nor popcnt: v1 only.
    assert_eq!(cpu.x86_64_level, Probed::Value(1));
    assert!(cpu.virtualization);
    assert!(!cpu.flags.contains(&"aes".to_owned()));
    // No cpufreq in a lone cpuinfo: the rated clock from the model name.
    let f = cpu.max_frequency.value().expect("frequency");
    assert_eq!(f.mhz, 3000);
    assert!(f.source.contains("model name"));
}

#[test]
fn core_i5_m560_laptop_tree_cores_from_topology_and_cpufreq() {
    let root = Root::at(format!("{}/tests/fixtures/dell-e4310", env!("CARGO_MANIFEST_DIR")));
    let cpu = probe_cpu(&root, false);
    assert_eq!(cpu.model, Probed::Value("Intel(R) Core(TM) i5 CPU M 560 @ 2.67GHz".into()));
    assert_eq!(cpu.threads, Probed::Value(4));
    assert_eq!(cpu.cores, Probed::Value(2), "hyper-threading: 2 cores, 4 threads");
    assert_eq!(cpu.packages, Probed::Value(1));
    let f = cpu.max_frequency.value().expect("frequency");
    assert_eq!((f.mhz, f.source.as_str()), (2667, "cpufreq cpuinfo_max_freq"));
    assert_eq!(cpu.x86_64_level, Probed::Value(2));
    assert!(cpu.flags.iter().any(|f| f == "aes") && cpu.virtualization);
    assert!(cpu.benchmark.is_none());
}

#[test]
fn core_i7_1165g7_is_v4_and_epyc_vm_is_v3() {
    let i7 = cpu_from_cpuinfo(&text("core-i7-1165g7.cpuinfo"));
    assert_eq!(i7.x86_64_level, Probed::Value(4));
    assert_eq!((i7.cores, i7.threads), (Probed::Value(4), Probed::Value(8)));
    assert!(i7.flags.iter().any(|f| f == "avx512f"));
    let epyc = cpu_from_cpuinfo(&text("firecracker-epyc.cpuinfo"));
    assert_eq!(epyc.x86_64_level, Probed::Value(3));
    assert!(epyc.flags.iter().any(|f| f == "hypervisor"));
    assert!(!epyc.virtualization, "the guest sees no vmx/svm");
    // The model name of this VM has no "@ clock": the current clock is all there is.
    assert!(epyc.max_frequency.value().expect("freq").source.contains("current"));
}

#[test]
fn levels_need_every_flag_of_the_lower_ones() {
    let flags = |s: &str| parse_cpuinfo(&format!("processor : 0\nflags : {s}\n")).flags;
    assert_eq!(x86_64_level(&flags("fpu")), None);
    let v1 = "lm cmov cx8 fpu fxsr mmx syscall sse sse2";
    assert_eq!(x86_64_level(&flags(v1)), Some(1));
    // v3 flags without v2's are still v1.
    assert_eq!(x86_64_level(&flags(&format!("{v1} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave"))), Some(1));
}

#[test]
fn missing_cpuinfo_says_why() {
    let cpu = probe_cpu(&Root::at("/nonexistent-sv"), false);
    assert!(matches!(cpu.model, Probed::Unavailable(ref w) if w.contains("/proc/cpuinfo")));
}

#[test]
fn benchmark_gives_a_positive_score() {
    let b = run_benchmark(std::time::Duration::from_millis(100));
    assert!(b.score > 0);
    assert_eq!(b.windows, 10);
}
