//! Batteries and mains power, from the kernel's power-supply class
//! (`/sys/class/power_supply/*`, Documentation/ABI/testing/sysfs-class-power).

use std::fs;

use crate::Root;

/// One battery.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Battery {
    /// Kernel name, e.g. `BAT0`.
    pub name: String,
    /// `Charging`, `Discharging`, `Full`, `Not charging` or `Unknown`, as the kernel says.
    pub status: String,
    /// Charge now, percent.
    pub capacity_percent: Option<u8>,
    /// Full-charge capacity as a share of the design capacity, percent (100 = as new).
    pub health_percent: Option<u8>,
    /// Manufacturer, model and serial, when the battery says.
    pub model: Option<String>,
    /// Battery serial number.
    pub serial: Option<String>,
}

/// What powers the unit.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Power {
    /// Every battery.
    pub batteries: Vec<Battery>,
    /// Whether a mains adapter reports online (`None` when the unit has no adapter entry).
    pub mains_online: Option<bool>,
}

fn read(root: &Root, path: &str) -> Option<String> {
    fs::read_to_string(root.join(path)).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn number(root: &Root, path: &str) -> Option<u64> {
    read(root, path)?.parse().ok()
}

/// Reads every power supply below `root`.
pub fn probe_power(root: &Root) -> Power {
    let mut power = Power::default();
    let Ok(entries) = fs::read_dir(root.join("/sys/class/power_supply")) else {
        return power;
    };
    let mut names: Vec<String> =
        entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        let base = format!("/sys/class/power_supply/{name}");
        match read(root, &format!("{base}/type")).as_deref() {
            Some("Battery") => {
                if read(root, &format!("{base}/present")).as_deref() == Some("0") {
                    continue;
                }
                // Some batteries report energy (µWh), others charge (µAh); design and full are in
                // the same unit either way.
                let full = number(root, &format!("{base}/energy_full"))
                    .zip(number(root, &format!("{base}/energy_full_design")))
                    .or_else(|| {
                        number(root, &format!("{base}/charge_full"))
                            .zip(number(root, &format!("{base}/charge_full_design")))
                    });
                let health_percent = full
                    .filter(|(_, design)| *design > 0)
                    .map(|(full, design)| ((full * 100 + design / 2) / design).min(255) as u8);
                let model =
                    [read(root, &format!("{base}/manufacturer")), read(root, &format!("{base}/model_name"))]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                power.batteries.push(Battery {
                    name: name.clone(),
                    status: read(root, &format!("{base}/status")).unwrap_or_else(|| "Unknown".into()),
                    capacity_percent: number(root, &format!("{base}/capacity")).map(|c| c.min(100) as u8),
                    health_percent,
                    model: Some(model).filter(|m| !m.is_empty()),
                    serial: read(root, &format!("{base}/serial_number")),
                });
            }
            Some("Mains") => {
                let online = read(root, &format!("{base}/online")).as_deref() == Some("1");
                power.mains_online = Some(power.mains_online.unwrap_or(false) || online);
            }
            _ => {}
        }
    }
    power
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_laptop_battery_and_its_wear() {
        let dir = std::env::temp_dir().join(format!("sv-power-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let bat = dir.join("sys/class/power_supply/BAT0");
        let ac = dir.join("sys/class/power_supply/AC");
        fs::create_dir_all(&bat).expect("mkdir");
        fs::create_dir_all(&ac).expect("mkdir");
        for (f, v) in [
            ("type", "Battery"),
            ("present", "1"),
            ("status", "Charging"),
            ("capacity", "57"),
            ("energy_full", "36800000"),
            ("energy_full_design", "47520000"),
            ("manufacturer", "SANYO"),
            ("model_name", "42T4861"),
            ("serial_number", " 8123"),
        ] {
            fs::write(bat.join(f), format!("{v}\n")).expect("write");
        }
        fs::write(ac.join("type"), "Mains\n").expect("write");
        fs::write(ac.join("online"), "1\n").expect("write");
        let p = probe_power(&Root::at(&dir));
        assert_eq!(p.mains_online, Some(true));
        assert_eq!(p.batteries.len(), 1);
        let b = &p.batteries[0];
        assert_eq!(b.status, "Charging");
        assert_eq!(b.capacity_percent, Some(57));
        assert_eq!(b.health_percent, Some(77));
        assert_eq!(b.model.as_deref(), Some("SANYO 42T4861"));
        assert_eq!(b.serial.as_deref(), Some("8123"));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_desktop_has_no_battery() {
        let p = probe_power(&Root::at("/nonexistent-root"));
        assert!(p.batteries.is_empty());
        assert_eq!(p.mains_online, None);
    }
}
