//! Each battery: its wear (from the inventory), whether it charges on mains, and, when the unit
//! runs on it, how fast it empties (power-supply class: `power_now`, else `current_now` ×
//! `voltage_now`, else the fall of `energy_now` over the watch) and so how long a full charge
//! would last.

use std::time::{Duration, Instant};

use certificate::{CheckStatus, HardwareTest, HardwareTestKind};
use inventory::power::{probe_power, Battery};
use inventory::Root;

/// Below this share of its design capacity a battery is spent (the grading policy's
/// `dead_below_percent` says the same for the grade).
const SPENT_BELOW_PERCENT: u8 = 30;
/// "Not charging" on mains below this charge is a battery or charger fault; above it, charge
/// thresholds (ThinkPads stop at 80 % by setting) explain it.
const NOT_CHARGING_FAULT_BELOW: u8 = 40;

/// What was read of one battery.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatteryReading {
    /// Kernel status: Charging, Discharging, Full, Not charging, Unknown.
    pub status: String,
    /// Charge now, percent.
    pub charge_percent: Option<u8>,
    /// Full capacity as a share of design, percent.
    pub health_percent: Option<u8>,
    /// Whether mains power is connected.
    pub mains_online: Option<bool>,
    /// Power drawn from the battery while discharging, watts.
    pub discharge_watts: Option<f64>,
    /// Energy of a full charge now, watt-hours.
    pub full_wh: Option<f64>,
}

/// The verdict on one battery.
pub fn battery_verdict(b: &BatteryReading) -> (CheckStatus, Vec<String>) {
    let mut details = Vec::new();
    let mut status = CheckStatus::Pass;
    if let Some(h) = b.health_percent {
        details.push(format!("holds {h} % of its original charge"));
        if h < SPENT_BELOW_PERCENT {
            status = CheckStatus::Fail;
            details.push("the battery is spent: replace it".into());
        }
    } else {
        details.push("its wear is unknown (no full and design capacities)".into());
    }
    let charge = b.charge_percent.map(|c| format!(" at {c} %")).unwrap_or_default();
    details.push(format!("{}{charge}", b.status.to_lowercase()));
    if b.status == "Not charging"
        && b.mains_online == Some(true)
        && b.charge_percent.is_some_and(|c| c < NOT_CHARGING_FAULT_BELOW)
    {
        status = CheckStatus::Fail;
        details.push("it does not charge on mains: check the charger, then the battery".into());
    }
    if let Some(w) = b.discharge_watts {
        details.push(format!("draws {w:.1} W on battery"));
        if let Some(full) = b.full_wh.filter(|_| w > 0.5) {
            details.push(format!("a full charge would last about {:.1} h at this load", full / w));
        }
    } else if b.status == "Discharging" {
        details.push("the discharge rate could not be measured".into());
    } else {
        details.push("unplug the charger during the tests to measure the discharge".into());
    }
    (status, details)
}

fn number(root: &Root, path: &str) -> Option<f64> {
    std::fs::read_to_string(root.join(path)).ok()?.trim().parse().ok()
}

/// Watts being drawn now, from `power_now` or `current_now` × `voltage_now` (µW, µA, µV).
fn instant_watts(root: &Root, base: &str) -> Option<f64> {
    number(root, &format!("{base}/power_now")).filter(|&p| p > 0.0).map(|p| p / 1e6).or_else(|| {
        let i = number(root, &format!("{base}/current_now"))?;
        let v = number(root, &format!("{base}/voltage_now"))?;
        (i > 0.0 && v > 0.0).then_some(i * v / 1e12)
    })
}

/// Energy stored now, watt-hours (`energy_now`, else `charge_now` × `voltage_min_design`).
fn energy_wh(root: &Root, base: &str, which: &str) -> Option<f64> {
    number(root, &format!("{base}/energy_{which}")).map(|e| e / 1e6).or_else(|| {
        let q = number(root, &format!("{base}/charge_{which}"))?;
        let v = number(root, &format!("{base}/voltage_min_design"))
            .or_else(|| number(root, &format!("{base}/voltage_now")))?;
        Some(q * v / 1e12)
    })
}

/// Watches one discharging battery for up to `watch`.
fn discharge_watts(root: &Root, base: &str, watch: Duration) -> Option<f64> {
    let started = Instant::now();
    let first_energy = energy_wh(root, base, "now");
    let mut samples = Vec::new();
    loop {
        if let Some(w) = instant_watts(root, base) {
            samples.push(w);
        }
        if started.elapsed() >= watch {
            break;
        }
        std::thread::sleep(Duration::from_secs(1).min(watch));
    }
    if !samples.is_empty() {
        return Some(samples.iter().sum::<f64>() / samples.len() as f64);
    }
    let hours = started.elapsed().as_secs_f64() / 3600.0;
    let fall = first_energy? - energy_wh(root, base, "now")?;
    (fall > 0.0 && hours > 0.0).then_some(fall / hours)
}

fn reading(root: &Root, battery: &Battery, mains_online: Option<bool>, watch: Duration) -> BatteryReading {
    let base = format!("/sys/class/power_supply/{}", battery.name);
    let discharging = battery.status == "Discharging";
    BatteryReading {
        status: battery.status.clone(),
        charge_percent: battery.capacity_percent,
        health_percent: battery.health_percent,
        mains_online,
        discharge_watts: if discharging { discharge_watts(root, &base, watch) } else { None },
        full_wh: energy_wh(root, &base, "full"),
    }
}

/// Tests every battery; an empty list when the unit has none.
pub fn test(root: &Root, watch: Duration) -> Vec<HardwareTest> {
    let power = probe_power(root);
    power
        .batteries
        .iter()
        .map(|battery| {
            let r = reading(root, battery, power.mains_online, watch);
            let (status, details) = battery_verdict(&r);
            let mut test = HardwareTest::new(HardwareTestKind::Battery, status);
            test.device = Some(battery.name.clone());
            test.details = details;
            if let Some(h) = r.health_percent {
                test.measure("health_percent", f64::from(h));
            }
            if let Some(c) = r.charge_percent {
                test.measure("charge_percent", f64::from(c));
            }
            if let Some(w) = r.discharge_watts {
                test.measure("discharge_watts", w);
                if let Some(full) = r.full_wh.filter(|_| w > 0.5) {
                    test.measure("runtime_hours", full / w);
                }
            }
            test
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn laptop(files: &[(&str, &str)], tag: &str) -> (Root, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("sv-battery-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let p = dir.join("sys/class/power_supply").join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, format!("{text}\n")).expect("write");
        }
        (Root::at(&dir), dir)
    }

    #[test]
    fn a_discharging_laptop_gets_its_draw_and_runtime() {
        let (root, dir) = laptop(
            &[
                ("BAT0/type", "Battery"),
                ("BAT0/status", "Discharging"),
                ("BAT0/capacity", "81"),
                ("BAT0/energy_full", "36800000"),
                ("BAT0/energy_full_design", "47520000"),
                ("BAT0/energy_now", "29800000"),
                ("BAT0/power_now", "9200000"),
                ("AC/type", "Mains"),
                ("AC/online", "0"),
            ],
            "discharging",
        );
        let tests = test(&root, Duration::ZERO);
        assert_eq!(tests.len(), 1);
        let t = &tests[0];
        assert_eq!(t.status, CheckStatus::Pass, "{t:?}");
        assert_eq!(t.device.as_deref(), Some("BAT0"));
        assert_eq!(t.measurement("discharge_watts"), Some(9.2));
        assert_eq!(t.measurement("runtime_hours"), Some(4.0));
        assert_eq!(t.measurement("health_percent"), Some(77.0));
        assert!(t.details.iter().any(|d| d.contains("about 4.0 h")), "{t:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn current_and_voltage_when_there_is_no_power_reading() {
        let (root, dir) = laptop(
            &[
                ("BAT1/type", "Battery"),
                ("BAT1/status", "Discharging"),
                ("BAT1/charge_full", "4000000"),
                ("BAT1/charge_full_design", "5200000"),
                ("BAT1/current_now", "1000000"),
                ("BAT1/voltage_now", "11100000"),
                ("BAT1/voltage_min_design", "11100000"),
            ],
            "charge",
        );
        let t = &test(&root, Duration::ZERO)[0];
        assert_eq!(t.measurement("discharge_watts"), Some(11.1));
        assert_eq!(t.measurement("runtime_hours"), Some(4.0));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn spent_or_not_charging_batteries_fail_and_thresholds_do_not() {
        let base = BatteryReading {
            status: "Charging".into(),
            charge_percent: Some(50),
            health_percent: Some(80),
            mains_online: Some(true),
            ..Default::default()
        };
        assert_eq!(battery_verdict(&base).0, CheckStatus::Pass);
        let (status, details) = battery_verdict(&BatteryReading { health_percent: Some(22), ..base.clone() });
        assert_eq!(status, CheckStatus::Fail);
        assert!(details.iter().any(|d| d.contains("spent")));
        let stuck =
            BatteryReading { status: "Not charging".into(), charge_percent: Some(12), ..base.clone() };
        assert_eq!(battery_verdict(&stuck).0, CheckStatus::Fail);
        let threshold = BatteryReading { status: "Not charging".into(), charge_percent: Some(80), ..base };
        assert_eq!(battery_verdict(&threshold).0, CheckStatus::Pass);
    }

    #[test]
    fn a_desktop_has_no_battery_test() {
        assert!(test(&Root::at("/nonexistent-root"), Duration::ZERO).is_empty());
    }
}
