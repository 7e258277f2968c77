//! Processor temperatures and thermal-throttling counters, from the kernel's hwmon and thermal
//! classes (Documentation/hwmon/sysfs-interface.rst, Documentation/ABI/testing/sysfs-class-thermal)
//! and the x86 thermal_throttle counters. Many machines expose none of these (virtual machines,
//! some old boards): every reading is an `Option`.

use std::fs;

use inventory::Root;

/// hwmon drivers and thermal zones that measure the processor.
const CPU_SENSORS: &[&str] = &["coretemp", "k10temp", "zenpower", "cpu_thermal", "x86_pkg_temp", "acpitz"];

/// One look at the processor's temperature.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Thermal {
    /// The hottest processor sensor, °C.
    pub max_celsius: Option<f64>,
    /// The lowest critical temperature a processor sensor declares, °C.
    pub critical_celsius: Option<f64>,
}

fn read_trimmed(root: &Root, path: &str) -> Option<String> {
    fs::read_to_string(root.join(path)).ok().map(|s| s.trim().to_owned())
}

fn millidegrees(root: &Root, path: &str) -> Option<f64> {
    let v: f64 = read_trimmed(root, path)?.parse().ok()?;
    // Readings outside this range are sensors that are not connected (-128 °C, 255 °C...).
    let c = v / 1000.0;
    (-40.0..=150.0).contains(&c).then_some(c)
}

fn sorted_entries(root: &Root, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join(dir))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The larger of two optional readings (either when only one is known).
pub(crate) fn fold_max(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn fold_min(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads the processor's temperatures now.
pub fn thermal(root: &Root) -> Thermal {
    let mut t = Thermal::default();
    for hwmon in sorted_entries(root, "/sys/class/hwmon") {
        let base = format!("/sys/class/hwmon/{hwmon}");
        let Some(name) = read_trimmed(root, &format!("{base}/name")) else { continue };
        if !CPU_SENSORS.contains(&name.as_str()) {
            continue;
        }
        for file in sorted_entries(root, &base) {
            if let Some(index) = file.strip_prefix("temp").and_then(|f| f.strip_suffix("_input")) {
                t.max_celsius = fold_max(t.max_celsius, millidegrees(root, &format!("{base}/{file}")));
                t.critical_celsius =
                    fold_min(t.critical_celsius, millidegrees(root, &format!("{base}/temp{index}_crit")));
            }
        }
    }
    for zone in
        sorted_entries(root, "/sys/class/thermal").into_iter().filter(|z| z.starts_with("thermal_zone"))
    {
        let base = format!("/sys/class/thermal/{zone}");
        let Some(kind) = read_trimmed(root, &format!("{base}/type")) else { continue };
        if !CPU_SENSORS.contains(&kind.as_str()) {
            continue;
        }
        t.max_celsius = fold_max(t.max_celsius, millidegrees(root, &format!("{base}/temp")));
        for trip in 0..16 {
            match read_trimmed(root, &format!("{base}/trip_point_{trip}_type")).as_deref() {
                Some("critical") => {
                    let c = millidegrees(root, &format!("{base}/trip_point_{trip}_temp"));
                    t.critical_celsius = fold_min(t.critical_celsius, c);
                }
                Some(_) => {}
                None => break,
            }
        }
    }
    t
}

/// Sum of the times the processor's cores and packages were throttled for heat since boot
/// (x86 `thermal_throttle/*_throttle_count`); `None` where the kernel has no such counters.
pub fn throttle_count(root: &Root) -> Option<u64> {
    let mut total = None;
    for cpu in sorted_entries(root, "/sys/devices/system/cpu") {
        if !cpu.strip_prefix("cpu").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            continue;
        }
        for counter in ["core_throttle_count", "package_throttle_count"] {
            let path = format!("/sys/devices/system/cpu/{cpu}/thermal_throttle/{counter}");
            if let Some(n) = read_trimmed(root, &path).and_then(|v| v.parse::<u64>().ok()) {
                total = Some(total.unwrap_or(0) + n);
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (Root, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "sv-sensors-{}-{}",
            std::process::id(),
            files.len() * 1000 + files.first().map_or(0, |f| f.0.len())
        ));
        let _ = fs::remove_dir_all(&dir);
        for (path, text) in files {
            let p = dir.join(path.trim_start_matches('/'));
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, text).expect("write");
        }
        (Root::at(&dir), dir)
    }

    #[test]
    fn coretemp_and_acpi_zone_give_the_hottest_and_the_lowest_critical() {
        let (root, dir) = tree(&[
            ("/sys/class/hwmon/hwmon0/name", "acpi_fan\n"),
            ("/sys/class/hwmon/hwmon0/temp1_input", "99000\n"),
            ("/sys/class/hwmon/hwmon1/name", "coretemp\n"),
            ("/sys/class/hwmon/hwmon1/temp1_input", "61000\n"),
            ("/sys/class/hwmon/hwmon1/temp1_crit", "100000\n"),
            ("/sys/class/hwmon/hwmon1/temp2_input", "67000\n"),
            ("/sys/class/hwmon/hwmon1/temp2_crit", "100000\n"),
            ("/sys/class/thermal/thermal_zone0/type", "acpitz\n"),
            ("/sys/class/thermal/thermal_zone0/temp", "-273200\n"),
            ("/sys/class/thermal/thermal_zone0/trip_point_0_type", "critical\n"),
            ("/sys/class/thermal/thermal_zone0/trip_point_0_temp", "98000\n"),
            ("/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count", "3\n"),
            ("/sys/devices/system/cpu/cpu0/thermal_throttle/package_throttle_count", "1\n"),
            ("/sys/devices/system/cpu/cpu1/thermal_throttle/core_throttle_count", "2\n"),
            ("/sys/devices/system/cpu/cpufreq/boost", "1\n"),
        ]);
        let t = thermal(&root);
        assert_eq!(t.max_celsius, Some(67.0), "the fan's sensor and the absurd zone reading are ignored");
        assert_eq!(t.critical_celsius, Some(98.0));
        assert_eq!(throttle_count(&root), Some(6));
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_machine_without_sensors_reads_none() {
        let (root, dir) = tree(&[("/sys/class/hwmon/.keep", "")]);
        assert_eq!(thermal(&root), Thermal::default());
        assert_eq!(throttle_count(&root), None);
        let _ = fs::remove_dir_all(dir);
    }
}
