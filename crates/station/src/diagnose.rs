//! How long and how much the station's own hardware tests take (`diagnostics::Plan`), as
//! command-line flags (`station app`, `station diagnose`) and as a batch file's
//! `[hardware_tests]` table; docs/diagnostics.md.

use serde::Deserialize;

/// The knobs of the hardware tests. Flags and batch keys have the same names.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TestArgs {
    /// Seconds of processor load (0: no processor test).
    #[arg(long, default_value_t = 60)]
    pub cpu_seconds: u64,
    /// MiB of memory to test (0: none). Default: what is safely free.
    #[arg(long)]
    pub memory_mib: Option<u64>,
    /// Skip the disks' SMART short self-test (a minute or two each).
    #[arg(long)]
    pub no_self_test: bool,
    /// MiB read from each disk to sample its speed (0: none).
    #[arg(long, default_value_t = 256)]
    pub read_mib: u64,
    /// Seconds to watch a discharging battery.
    #[arg(long, default_value_t = 20)]
    pub battery_seconds: u64,
}

impl Default for TestArgs {
    /// The defaults of `diagnostics::Plan`.
    fn default() -> Self {
        let plan = diagnostics::Plan::default();
        TestArgs {
            cpu_seconds: plan.cpu_seconds,
            memory_mib: plan.memory_bytes.map(|b| b >> 20),
            no_self_test: !plan.smart_self_test,
            read_mib: plan.read_sample_bytes >> 20,
            battery_seconds: plan.battery_seconds,
        }
    }
}

impl TestArgs {
    /// The plan, without disks (the app adds those it will wipe; `station diagnose` those named).
    pub fn plan(&self) -> diagnostics::Plan {
        diagnostics::Plan {
            cpu_seconds: self.cpu_seconds,
            memory_bytes: self.memory_mib.map(|m| m << 20),
            disks: Vec::new(),
            smart_self_test: !self.no_self_test,
            read_sample_bytes: self.read_mib << 20,
            battery_seconds: self.battery_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_defaults_and_batch_defaults_agree_with_the_plan() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            tests: TestArgs,
        }
        let from_flags = Cli::try_parse_from(["t"]).expect("parses").tests;
        let from_toml: TestArgs = toml::from_str("").expect("parses");
        assert_eq!(from_flags, TestArgs::default());
        assert_eq!(from_toml, TestArgs::default());
        assert_eq!(TestArgs::default().plan(), diagnostics::Plan::default());
        let quick: TestArgs =
            toml::from_str("cpu_seconds = 2\nmemory_mib = 32\nno_self_test = true").expect("parses");
        assert_eq!(quick.plan().memory_bytes, Some(32 << 20));
        assert!(!quick.plan().smart_self_test);
        assert!(toml::from_str::<TestArgs>("cpu_secs = 2").is_err(), "a misspelt key is refused");
    }
}
