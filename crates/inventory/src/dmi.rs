//! The unit's identity from the kernel's DMI export, /sys/class/dmi/id (SMBIOS, DMTF DSP0134
//! types 1 "System Information" and 3 "System Enclosure").

use certificate::{Probed, Unit};

use crate::Root;

/// Values vendors leave in SMBIOS string fields instead of a real one. Compared case-insensitively.
const PLACEHOLDERS: &[&str] = &[
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system serial number",
    "system product name",
    "system manufacturer",
    "not specified",
    "not applicable",
    "none",
    "n/a",
    "o.e.m.",
    "oem",
    "invalid",
    "chassis serial number",
    "base board serial number",
    "0123456789",
    "1234567890",
    "serial number",
    "xxxxxxxxxx",
];

/// Whether `value` is a placeholder rather than a real identifier: a known filler string, or
/// only zeros, spaces, `F`s, dashes and dots (as in `00000000-0000-0000-0000-000000000000`).
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || PLACEHOLDERS.contains(&lower.as_str())
        || v.chars().all(|c| matches!(c, '0' | ' ' | '-' | '.'))
        || (v.len() >= 8 && v.chars().all(|c| matches!(c, 'f' | 'F' | '-')))
}

fn identifier(root: &Root, abs: &str) -> Probed<String> {
    match root.attribute(abs) {
        Probed::Value(v) if is_placeholder(&v) => Probed::unavailable(format!(
            "the manufacturer left a placeholder in {abs} ({v:?}), not a real value"
        )),
        other => other,
    }
}

/// SMBIOS chassis type names (DSP0134 §7.4.1, table "System Enclosure or Chassis Types").
pub fn chassis_name(code: u8) -> Option<&'static str> {
    Some(match code & 0x7f {
        0x01 => "other",
        0x02 => "unknown",
        0x03 => "desktop",
        0x04 => "low-profile desktop",
        0x05 => "pizza box",
        0x06 => "mini tower",
        0x07 => "tower",
        0x08 => "portable",
        0x09 => "laptop",
        0x0a => "notebook",
        0x0b => "hand held",
        0x0c => "docking station",
        0x0d => "all in one",
        0x0e => "sub notebook",
        0x0f => "space-saving",
        0x10 => "lunch box",
        0x11 => "main server chassis",
        0x12 => "expansion chassis",
        0x13 => "sub chassis",
        0x14 => "bus expansion chassis",
        0x15 => "peripheral chassis",
        0x16 => "RAID chassis",
        0x17 => "rack mount chassis",
        0x18 => "sealed-case PC",
        0x19 => "multi-system chassis",
        0x1a => "compact PCI",
        0x1b => "advanced TCA",
        0x1c => "blade",
        0x1d => "blade enclosure",
        0x1e => "tablet",
        0x1f => "convertible",
        0x20 => "detachable",
        0x21 => "IoT gateway",
        0x22 => "embedded PC",
        0x23 => "mini PC",
        0x24 => "stick PC",
        _ => return None,
    })
}

/// Reads the unit's identity.
pub fn probe_unit(root: &Root) -> Unit {
    let chassis = match root.attribute("/sys/class/dmi/id/chassis_type") {
        Probed::Value(code) => match code.parse::<u8>().ok().and_then(chassis_name) {
            Some(name) => Probed::Value(name.to_owned()),
            None => Probed::unavailable(format!("chassis type code {code:?} is not in SMBIOS's table")),
        },
        Probed::Unavailable(why) => Probed::Unavailable(why),
    };
    Unit {
        vendor: identifier(root, "/sys/class/dmi/id/sys_vendor"),
        model: identifier(root, "/sys/class/dmi/id/product_name"),
        serial: identifier(root, "/sys/class/dmi/id/product_serial"),
        uuid: identifier(root, "/sys/class/dmi/id/product_uuid"),
        chassis,
    }
}
