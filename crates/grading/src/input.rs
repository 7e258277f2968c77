//! What the grade is computed from: [`GradingInput`], plain data readable from JSON.
//!
//! The core types depend only on `certificate`'s vocabulary ([`Checks`], [`Outcome`],
//! [`SanitizeResult`]); [`GradingInput::from_parts`] builds one from the inventory and the
//! certificate's disk records when the station has them at hand.

use certificate::{
    Certificate, CheckStatus, Checks, DiskRecord, HardwareTest, HardwareTestKind, Outcome, SanitizeResult,
    Transport,
};
use inventory::power::Power;
use inventory::smart::HealthVerdict;
use inventory::{HostInventory, Inventory};
use serde::{Deserialize, Serialize};

use crate::cpu;

/// Everything the grade depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradingInput {
    /// What kind of unit it is (from the SMBIOS chassis type).
    pub kind: UnitKind,
    /// The processor.
    pub cpu: CpuInput,
    /// Installed memory in bytes, when known.
    pub memory_bytes: Option<u64>,
    /// Every disk of the unit.
    #[serde(default)]
    pub disks: Vec<DiskInput>,
    /// The battery (laptops); `None` when there is none or it is unknown.
    #[serde(default)]
    pub battery: Option<BatteryInput>,
    /// The screen the inventory saw (a laptop's panel, a desktop's monitor); `None` when none.
    #[serde(default)]
    pub monitor: Option<MonitorInput>,
    /// The worker's functional checks, when they were done in the station app.
    #[serde(default)]
    pub checks: Option<Checks>,
    /// The tests the station ran by itself (processor, memory, disks, battery, network).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hardware_tests: Vec<HardwareTest>,
    /// The certificate's overall wipe result.
    pub wipe: Outcome,
    /// Whether an operating system image was written to the unit.
    pub os_installed: bool,
    /// Whether a local authority gave the unit (prix solidaire); `None` when unknown.
    #[serde(default)]
    pub donated_by_local_authority: Option<bool>,
    /// Whether a working charger goes with the unit (laptops); `None` when unknown.
    #[serde(default)]
    pub charger_included: Option<bool>,
}

/// The kind of unit, from the SMBIOS chassis type (DMTF DSP0134 §7.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Desktop, tower, mini PC and the like: the screen is separate.
    Desktop,
    /// Laptop, notebook, convertible: screen, keyboard and battery built in.
    Laptop,
    /// All-in-one: a desktop with its screen built in.
    AllInOne,
    /// Anything else (server, tablet, unknown chassis).
    Other,
}

impl UnitKind {
    /// The kind for a chassis name as `inventory::chassis_name` gives it ("notebook", "tower", ...).
    pub fn from_chassis(chassis: &str) -> UnitKind {
        match chassis.to_ascii_lowercase().as_str() {
            "desktop"
            | "low-profile desktop"
            | "pizza box"
            | "mini tower"
            | "tower"
            | "space-saving"
            | "lunch box"
            | "sealed-case pc"
            | "mini pc" => UnitKind::Desktop,
            "portable" | "laptop" | "notebook" | "sub notebook" | "convertible" => UnitKind::Laptop,
            "all in one" => UnitKind::AllInOne,
            _ => UnitKind::Other,
        }
    }

    /// Whether the screen is part of the unit.
    pub fn has_builtin_screen(self) -> bool {
        matches!(self, UnitKind::Laptop | UnitKind::AllInOne)
    }
}

/// The processor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuInput {
    /// Model name as /proc/cpuinfo gives it, e.g. "Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz".
    pub model: Option<String>,
    /// Logical CPUs.
    pub threads: Option<u32>,
    /// The station's CPU benchmark score, when one was run (used only if the policy has a
    /// `cpu.benchmark` curve).
    #[serde(default)]
    pub benchmark: Option<f64>,
    /// The model's launch year, when known better than the heuristic; otherwise derived from
    /// `model` by [`cpu::estimate_year`].
    #[serde(default)]
    pub year: Option<u16>,
}

impl CpuInput {
    /// The launch year: the one given, else the heuristic estimate from the model name.
    pub fn launch_year(&self) -> Option<u16> {
        self.year.or_else(|| self.model.as_deref().and_then(cpu::estimate_year))
    }
}

/// How a disk stores data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskKind {
    /// Rotating hard disk.
    Hdd,
    /// SATA (or other non-NVMe) solid-state disk.
    Ssd,
    /// NVMe solid-state disk.
    Nvme,
    /// Not determined.
    Unknown,
}

/// The inventory's health verdict for reuse (mirrors `inventory::smart::HealthVerdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskHealth {
    /// Nothing found against it.
    Good,
    /// Usable, but worn or old.
    Worn,
    /// Do not reuse.
    Failing,
    /// No SMART data to judge.
    Unknown,
}

impl From<HealthVerdict> for DiskHealth {
    fn from(v: HealthVerdict) -> Self {
        match v {
            HealthVerdict::Good => DiskHealth::Good,
            HealthVerdict::Worn => DiskHealth::Worn,
            HealthVerdict::Failing => DiskHealth::Failing,
            HealthVerdict::Unknown => DiskHealth::Unknown,
        }
    }
}

/// One disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskInput {
    /// Capacity in bytes.
    pub capacity_bytes: u64,
    /// Health verdict.
    pub health: DiskHealth,
    /// Rotational, SATA SSD or NVMe.
    pub kind: DiskKind,
    /// What the wipe of this disk ended with, when it was wiped.
    #[serde(default)]
    pub wipe: Option<SanitizeResult>,
}

/// The battery of a laptop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatteryInput {
    /// Full-charge capacity as a share of the design capacity, percent (100 = as new).
    pub health_percent: Option<u8>,
    /// Whether it charges on mains power (the worker's battery check, or the kernel saying
    /// `Charging`/`Full` on mains); `None` when unknown.
    #[serde(default)]
    pub charges: Option<bool>,
}

/// The screen the inventory read an EDID from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorInput {
    /// Diagonal as sold, inches, when the EDID gives it.
    pub inches: Option<f64>,
}

/// The disk facts the grade needs that the certificate's `DiskRecord` does not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskExtra {
    /// The inventory's health verdict (`inventory::smart::SmartReport::health`).
    pub health: Option<HealthVerdict>,
    /// Whether the disk rotates (`SmartReport::rotation_rate` > 0); `None` when unknown.
    pub rotational: Option<bool>,
}

/// What the unit is, whichever inventory it comes from.
#[derive(Debug)]
struct UnitBasics {
    kind: UnitKind,
    cpu: CpuInput,
    memory_bytes: Option<u64>,
    monitor: Option<MonitorInput>,
}

/// The facts not in the inventory nor the certificate's disks.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFacts<'a> {
    /// The worker's checks.
    pub checks: Option<&'a Checks>,
    /// The station's own hardware tests.
    pub hardware_tests: &'a [HardwareTest],
    /// Whether an OS image was written.
    pub os_installed: bool,
    /// Whether a local authority gave the unit.
    pub donated_by_local_authority: Option<bool>,
    /// Whether a charger goes with the unit.
    pub charger_included: Option<bool>,
}

impl GradingInput {
    /// Builds the input from the station's inventory, the certificate's disk records (with the
    /// health verdict and rotation of each, in the same order; missing entries count as unknown),
    /// the power supplies and the unit facts. The wipe outcome is `Outcome::from_disks`.
    pub fn from_parts(
        host: &HostInventory,
        disks: &[DiskRecord],
        extra: &[DiskExtra],
        power: &Power,
        facts: &UnitFacts<'_>,
    ) -> GradingInput {
        let unit = UnitBasics {
            kind: host.unit.chassis.value().map_or(UnitKind::Other, |c| UnitKind::from_chassis(c)),
            cpu: CpuInput {
                model: host.cpu_model.value().cloned(),
                threads: host.cpu_threads.value().copied(),
                benchmark: None,
                year: None,
            },
            memory_bytes: host.memory_bytes.value().copied(),
            monitor: host
                .monitors
                .iter()
                .find_map(|(_, m)| m.as_ref().ok())
                .map(|m| MonitorInput { inches: m.nominal_inches.or(m.diagonal_inches) }),
        };
        Self::assemble(unit, disks, extra, power, facts)
    }

    /// Builds the input from a full inventory (`station inventory --json`) and the certificate
    /// of the unit's run: its disks' wipe results, the worker's checks, the station's hardware
    /// tests, whether a system was written. Each certificate disk is matched with the
    /// inventory's disk of the same device path for its health and rotation.
    pub fn from_inventory(
        inventory: &Inventory,
        certificate: &Certificate,
        donated_by_local_authority: Option<bool>,
        charger_included: Option<bool>,
    ) -> GradingInput {
        let cpu = &inventory.cpu;
        let unit = UnitBasics {
            kind: inventory.unit.chassis.value().map_or(UnitKind::Other, |c| UnitKind::from_chassis(c)),
            cpu: CpuInput {
                model: cpu.model.value().cloned(),
                threads: cpu.threads.value().copied(),
                benchmark: cpu.benchmark.as_ref().map(|b| f64::from(b.score)),
                year: None,
            },
            // What the modules hold; the kernel's MemTotal (a little less) when SMBIOS is silent.
            memory_bytes: inventory
                .memory
                .installed_bytes
                .value()
                .or(inventory.memory.total_bytes.value())
                .copied(),
            monitor: inventory
                .monitors
                .iter()
                .find(|m| m.unavailable.is_none())
                .map(|m| MonitorInput { inches: m.nominal_inches.or(m.diagonal_inches) }),
        };
        let extra: Vec<DiskExtra> = certificate
            .disks
            .iter()
            .map(|record| {
                let found =
                    inventory.disks.iter().find(|d| format!("/dev/{}", d.details.name) == record.path);
                DiskExtra {
                    health: found.and_then(|d| d.health.as_deref()).and_then(|h| match h {
                        "good" => Some(HealthVerdict::Good),
                        "worn" => Some(HealthVerdict::Worn),
                        "failing" => Some(HealthVerdict::Failing),
                        "unknown" => Some(HealthVerdict::Unknown),
                        _ => None,
                    }),
                    rotational: found
                        .and_then(|d| d.solid_state.map(|s| !s).or(d.details.rotational.value().copied())),
                }
            })
            .collect();
        let facts = UnitFacts {
            checks: certificate.checks.as_ref(),
            hardware_tests: &certificate.hardware_tests,
            os_installed: certificate.image.as_ref().is_some_and(|i| !i.is_null()),
            donated_by_local_authority,
            charger_included,
        };
        let mut input = Self::assemble(unit, &certificate.disks, &extra, &inventory.power, &facts);
        // The certificate's own outcome, as signed (the same rule as `Outcome::from_disks`).
        input.wipe = certificate.result;
        input
    }

    fn assemble(
        unit: UnitBasics,
        disks: &[DiskRecord],
        extra: &[DiskExtra],
        power: &Power,
        facts: &UnitFacts<'_>,
    ) -> GradingInput {
        let disks_in = disks
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let x = extra.get(i).copied().unwrap_or(DiskExtra { health: None, rotational: None });
                let smart_failed = d.smart.value() == Some(&certificate::SmartVerdict::Failed);
                // A failed self-test or a read error in the station's disk test.
                let test_failed = facts.hardware_tests.iter().any(|t| {
                    t.kind == HardwareTestKind::Disk
                        && t.device.as_deref() == Some(d.path.as_str())
                        && t.status == CheckStatus::Fail
                });
                let health = match x.health.map(DiskHealth::from) {
                    _ if smart_failed || test_failed => DiskHealth::Failing,
                    Some(h) => h,
                    None => DiskHealth::Unknown,
                };
                let kind = match (d.transport, x.rotational) {
                    (Transport::Nvme, _) => DiskKind::Nvme,
                    (_, Some(true)) => DiskKind::Hdd,
                    (_, Some(false)) => DiskKind::Ssd,
                    _ => DiskKind::Unknown,
                };
                DiskInput {
                    capacity_bytes: d.capacity_bytes,
                    health,
                    kind,
                    wipe: Some(d.sanitization.result),
                }
            })
            .collect();
        let battery = power.batteries.first().map(|b| {
            let from_check = facts.checks.and_then(|c| match c.battery.status {
                CheckStatus::Pass => Some(true),
                CheckStatus::Fail => Some(false),
                CheckStatus::Skipped | CheckStatus::NotApplicable => None,
            });
            let from_kernel = match (power.mains_online, b.status.as_str()) {
                (Some(true), "Charging" | "Full") => Some(true),
                _ => None,
            };
            BatteryInput { health_percent: b.health_percent, charges: from_check.or(from_kernel) }
        });
        GradingInput {
            kind: unit.kind,
            cpu: unit.cpu,
            memory_bytes: unit.memory_bytes,
            disks: disks_in,
            battery,
            monitor: unit.monitor,
            checks: facts.checks.cloned(),
            hardware_tests: facts.hardware_tests.to_vec(),
            wipe: Outcome::from_disks(disks),
            os_installed: facts.os_installed,
            donated_by_local_authority: facts.donated_by_local_authority,
            charger_included: facts.charger_included,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_parts_reads_the_inventory_the_disks_and_the_power() {
        let cert = certificate::example::certificate("WD-1234");
        let mut unit = cert.unit.clone();
        unit.chassis = certificate::Probed::Value("notebook".into());
        let host = HostInventory {
            unit,
            cpu_model: certificate::Probed::Value("Intel(R) Core(TM) i5-4300U CPU @ 1.90GHz".into()),
            cpu_threads: certificate::Probed::Value(4),
            memory_bytes: certificate::Probed::unavailable("test"),
            monitors: Vec::new(),
        };
        let power = Power {
            batteries: vec![inventory::power::Battery {
                name: "BAT0".into(),
                status: "Charging".into(),
                capacity_percent: Some(57),
                health_percent: Some(77),
                model: None,
                serial: None,
            }],
            mains_online: Some(true),
        };
        let checks = Checks {
            screen: certificate::CheckResult::new(CheckStatus::Pass),
            keyboard: certificate::CheckResult::new(CheckStatus::Pass),
            sound: certificate::CheckResult::new(CheckStatus::Pass),
            usb: certificate::CheckResult::new(CheckStatus::Pass),
            battery: certificate::CheckResult::new(CheckStatus::Skipped),
            cosmetic: Some(certificate::CosmeticGrade::B),
        };
        let facts = UnitFacts {
            checks: Some(&checks),
            hardware_tests: &[],
            os_installed: true,
            donated_by_local_authority: None,
            charger_included: None,
        };
        let extra = [DiskExtra { health: Some(HealthVerdict::Worn), rotational: Some(true) }];
        let input = GradingInput::from_parts(&host, &cert.disks, &extra, &power, &facts);
        // The station's disk test failed on that disk: it is failing, whatever SMART said.
        let mut read_error = HardwareTest::new(HardwareTestKind::Disk, CheckStatus::Fail);
        read_error.device = Some(cert.disks[0].path.clone());
        let tests = [read_error];
        let tested = GradingInput::from_parts(
            &host,
            &cert.disks,
            &extra,
            &power,
            &UnitFacts { hardware_tests: &tests, ..facts.clone() },
        );
        assert_eq!(tested.disks[0].health, DiskHealth::Failing);
        assert_eq!(tested.hardware_tests.len(), 1);
        assert_eq!(input.kind, UnitKind::Laptop);
        assert_eq!(input.cpu.threads, Some(4));
        assert_eq!(input.cpu.launch_year(), Some(2013));
        assert_eq!(input.memory_bytes, None);
        assert_eq!(input.disks.len(), cert.disks.len());
        assert_eq!(input.disks[0].health, DiskHealth::Worn);
        assert_eq!(input.disks[0].kind, DiskKind::Hdd);
        assert_eq!(input.disks[0].wipe, Some(cert.disks[0].sanitization.result));
        assert_eq!(input.wipe, cert.result);
        // The battery check was skipped: the kernel's "Charging" on mains tells it charges.
        assert_eq!(input.battery, Some(BatteryInput { health_percent: Some(77), charges: Some(true) }));
        assert_eq!(input.monitor, None);
    }

    #[test]
    fn chassis_names_map_to_kinds() {
        assert_eq!(UnitKind::from_chassis("notebook"), UnitKind::Laptop);
        assert_eq!(UnitKind::from_chassis("Mini Tower"), UnitKind::Desktop);
        assert_eq!(UnitKind::from_chassis("all in one"), UnitKind::AllInOne);
        assert_eq!(UnitKind::from_chassis("rack mount chassis"), UnitKind::Other);
    }
}
