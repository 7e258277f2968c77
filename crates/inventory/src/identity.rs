//! A disk's identity from every source that can tell it, with precedence and provenance.
//!
//! A disk can be asked who it is in several ways, and they do not all answer for the disk:
//!
//! | source | what it reads | speaks for the disk when |
//! |---|---|---|
//! | [`IdentitySource::AtaIdentify`] | IDENTIFY DEVICE words 10-19, 23-26, 27-46 (ACS-4 §7.13), sent through SG_IO, through a USB bridge as SAT ATA PASS-THROUGH | always: these are the disk's own words |
//! | [`IdentitySource::NvmeIdentify`] | Identify Controller SN, MN, FR (NVMe Base 2.0 §5.17.2.1) | always |
//! | [`IdentitySource::Smartctl`] | `model_name`, `serial_number`, `firmware_version`, `wwn` | smartctl spoke ATA or NVMe (`device.protocol`), directly or through the bridge (`sat`, `usbjmicron`, `usbsunplus`, …); a USB disk it could reach only as SCSI gave the bridge's words |
//! | [`IdentitySource::Udev`] | `/run/udev/data/b<maj>:<min>`: `ID_MODEL_ENC`, `ID_SERIAL_SHORT`, `ID_REVISION`, `ID_WWN` | `ID_BUS` is `ata`, `nvme` or `scsi` (udev ran `ata_id`/read the disk); `ID_BUS=usb` means `usb_id` copied the bridge's USB strings |
//! | [`IdentitySource::Sysfs`] | `device/model`, `device/serial`, VPD page 0x80, `device/firmware_rev`/`rev`, `wwid` | the disk is not on USB: behind a bridge sysfs holds the bridge's INQUIRY ("Generic", "SPIF215") |
//!
//! [`resolve`] takes, for each field, the first source in that order that gave a real value
//! (placeholders such as `0000000000` or blanks do not count) and records which one it was;
//! a field nobody gave is unavailable with a reason that says what each source said. The
//! bridge is recorded apart ([`certificate::UsbBridge`]): its ids and strings, never as the
//! disk. The same disk therefore gets the same model, serial, firmware and WWN on SATA and in a
//! USB dock whenever its own words can be read at all.

use std::path::Path;

use certificate::{IdentitySource, IdentitySources, Probed, UsbBridge};

use crate::Root;

/// What one source said about a disk (values already trimmed; `None` when it gave nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReading {
    /// Which source.
    pub source: IdentitySource,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Firmware revision.
    pub firmware: Option<String>,
    /// World Wide Name, 16 lower-case hex digits for an NAA name.
    pub wwn: Option<String>,
    /// Why this source gave nothing, or whose words it had instead of the disk's.
    pub note: Option<String>,
}

impl SourceReading {
    /// A source that gave nothing, and why.
    pub fn nothing(source: IdentitySource, note: impl Into<String>) -> Self {
        SourceReading {
            source,
            model: None,
            serial: None,
            firmware: None,
            wwn: None,
            note: Some(note.into()),
        }
    }
}

/// A disk's identity with the source of each field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiskIdentity {
    /// Model.
    pub model: Probed<String>,
    /// Serial number.
    pub serial: Probed<String>,
    /// Firmware revision.
    pub firmware: Probed<String>,
    /// World Wide Name.
    pub wwn: Probed<String>,
    /// Which source gave each field.
    pub sources: IdentitySources,
    /// The USB bridge the disk is behind, if any.
    pub bridge: Option<UsbBridge>,
}

/// A value that identifies nothing: blank, one character repeated (`0000000000`, `FFFF…`,
/// `----`), or a firmware placeholder (see [`crate::is_placeholder`]).
fn is_placeholder_id(v: &str) -> bool {
    let v = v.trim();
    let mut chars = v.chars();
    let first = chars.next();
    v.is_empty()
        || first.is_some_and(|c| v.chars().all(|x| x == c) && !c.is_ascii_alphabetic())
        || crate::is_placeholder(v)
}

/// Precedence: the disk's own answer first, then smartctl's, udev's, the kernel's.
fn rank(s: IdentitySource) -> u8 {
    match s {
        IdentitySource::AtaIdentify => 0,
        IdentitySource::NvmeIdentify => 1,
        IdentitySource::Smartctl => 2,
        IdentitySource::Udev => 3,
        IdentitySource::Sysfs => 4,
    }
}

/// Chooses each field from `readings` by precedence (see the module documentation).
pub fn resolve(readings: &[SourceReading], bridge: Option<UsbBridge>) -> DiskIdentity {
    let mut sorted: Vec<&SourceReading> = readings.iter().collect();
    sorted.sort_by_key(|r| rank(r.source));
    let pick = |field: &str,
                get: &dyn Fn(&SourceReading) -> Option<&String>|
     -> (Probed<String>, Option<IdentitySource>) {
        for r in &sorted {
            if let Some(v) = get(r).filter(|v| !is_placeholder_id(v)) {
                return (Probed::Value(v.trim().to_owned()), Some(r.source));
            }
        }
        (Probed::Unavailable(no_source_reason(field, &sorted, get, bridge.as_ref())), None)
    };
    let (model, model_src) = pick("model", &|r| r.model.as_ref());
    let (serial, serial_src) = pick("serial number", &|r| r.serial.as_ref());
    let (firmware, firmware_src) = pick("firmware revision", &|r| r.firmware.as_ref());
    let (wwn, wwn_src) = pick("World Wide Name", &|r| r.wwn.as_ref());
    DiskIdentity {
        model,
        serial,
        firmware,
        wwn,
        sources: IdentitySources {
            model: model_src,
            serial: serial_src,
            firmware: firmware_src,
            wwn: wwn_src,
        },
        bridge,
    }
}

fn no_source_reason(
    field: &str,
    sorted: &[&SourceReading],
    get: &dyn Fn(&SourceReading) -> Option<&String>,
    bridge: Option<&UsbBridge>,
) -> String {
    let mut said: Vec<String> = sorted
        .iter()
        .map(|r| match (get(r), &r.note) {
            (Some(v), _) => format!("{}: placeholder {v:?}", r.source),
            (None, Some(note)) => format!("{}: {note}", r.source),
            (None, None) => format!("{}: none given", r.source),
        })
        .collect();
    if said.is_empty() {
        said.push("no source could be read".into());
    }
    let behind = bridge
        .map(|b| format!(" (the disk is behind the USB bridge {})", b.short_name()))
        .unwrap_or_default();
    format!("no source gave the disk's own {field}{behind}: {}", said.join("; "))
}

/// Known makers of USB-to-SATA/NVMe bridge chips, by USB vendor id (the usb.ids names, shortened).
pub fn bridge_chip_vendor(vendor_id: &str) -> Option<&'static str> {
    Some(match vendor_id {
        "152d" => "JMicron",
        "174c" => "ASMedia",
        "04fc" => "Sunplus",
        "0bda" => "Realtek",
        "05e3" => "Genesys Logic",
        "067b" => "Prolific",
        "1f75" => "Innostor",
        "2109" => "VIA Labs",
        "0dc4" => "Macpower",
        "13fd" => "Initio",
        "059f" => "LaCie",
        "1058" => "Western Digital",
        "0bc2" => "Seagate",
        "04e8" => "Samsung",
        "0480" => "Toshiba",
        "7825" => "Other World Computing",
        _ => return None,
    })
}

/// The USB bridge above the block device whose sysfs directory resolves to `resolved`: the
/// nearest ancestor with `idVendor` and `idProduct` (a USB device), and the SCSI INQUIRY
/// strings the bridge answers with (`sys_block/device/{vendor,model}`).
pub fn usb_bridge(resolved: &Path, sys_block: &str, root: &Root) -> Option<UsbBridge> {
    let dir = resolved.ancestors().find(|d| d.join("idVendor").is_file() && d.join("idProduct").is_file())?;
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    };
    let vendor_id = read("idVendor")?.to_lowercase();
    let product_id = read("idProduct")?.to_lowercase();
    let scsi: Vec<String> = ["vendor", "model"]
        .iter()
        .filter_map(|f| root.attribute(&format!("{sys_block}/device/{f}")).value().cloned())
        .collect();
    Some(UsbBridge {
        chip_vendor: bridge_chip_vendor(&vendor_id).map(str::to_owned),
        vendor_id,
        product_id,
        manufacturer: read("manufacturer"),
        product: read("product"),
        serial: read("serial"),
        scsi_identity: (!scsi.is_empty()).then(|| scsi.join(" ")),
    })
}

/// udev's record of a block device (`/run/udev/data/b<major>:<minor>`, the `E:` lines), as a
/// reading: the disk's words when `ID_BUS` is ata, nvme or scsi; a note when udev copied a USB
/// bridge's strings (`ID_BUS=usb`) or has no record.
pub fn udev_reading(devnum: Option<&str>, root: &Root) -> SourceReading {
    let Some(devnum) = devnum else {
        return SourceReading::nothing(IdentitySource::Udev, "the device number is unknown");
    };
    let abs = format!("/run/udev/data/b{devnum}");
    let text = match std::fs::read_to_string(root.join(&abs)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return SourceReading::nothing(
                IdentitySource::Udev,
                format!("{abs} does not exist (udev has no record)"),
            )
        }
        Err(e) => return SourceReading::nothing(IdentitySource::Udev, format!("cannot read {abs}: {e}")),
    };
    let env = |key: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix("E:"))
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match env("ID_BUS").as_deref() {
        Some("ata" | "nvme" | "scsi") => SourceReading {
            source: IdentitySource::Udev,
            model: env("ID_MODEL_ENC").map(|m| decode_udev(&m).trim().to_owned()).or_else(|| env("ID_MODEL")),
            serial: env("ID_SERIAL_SHORT"),
            firmware: env("ID_REVISION"),
            wwn: env("ID_WWN").map(|w| w.trim_start_matches("0x").to_lowercase()),
            note: None,
        },
        Some("usb") => SourceReading::nothing(
            IdentitySource::Udev,
            format!(
                "{abs} has ID_BUS=usb: its ID_SERIAL {:?} is the USB bridge's, not the disk's",
                env("ID_SERIAL").unwrap_or_default()
            ),
        ),
        other => SourceReading::nothing(
            IdentitySource::Udev,
            format!("{abs} has no disk identity (ID_BUS {})", other.unwrap_or("absent")),
        ),
    }
}

/// Decodes udev's `\xNN` escapes (`ID_MODEL_ENC`).
fn decode_udev(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x') && i + 3 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap_or("zz"), 16) {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// smartctl's identity fields as a reading: the disk's when smartctl spoke ATA or NVMe to it,
/// the bridge's (so none) when it reached a USB disk only as SCSI.
pub fn smartctl_reading(
    report: Option<&crate::smart::SmartReport>,
    on_usb: bool,
    why_none: &str,
) -> SourceReading {
    use crate::smart::Protocol;
    let Some(r) = report else { return SourceReading::nothing(IdentitySource::Smartctl, why_none) };
    let speaks_to_disk = matches!(r.protocol, Some(Protocol::Ata | Protocol::Nvme)) || !on_usb;
    if !speaks_to_disk {
        return SourceReading::nothing(
            IdentitySource::Smartctl,
            format!(
                "smartctl reached the USB disk only as {} (device type {}), so what it read is the bridge's",
                match &r.protocol {
                    Some(Protocol::Scsi) => "SCSI".to_owned(),
                    Some(Protocol::Other(p)) => p.clone(),
                    _ => "an unknown protocol".to_owned(),
                },
                r.device_type.as_deref().unwrap_or("unknown")
            ),
        );
    }
    let note = (r.model.is_none() && r.serial.is_none()).then(|| {
        let said: Vec<&str> = r.messages.iter().map(|m| m.text.as_str()).collect();
        if said.is_empty() {
            "smartctl gave no identity".to_owned()
        } else {
            format!("smartctl gave no identity: {}", said.join("; "))
        }
    });
    SourceReading {
        source: IdentitySource::Smartctl,
        model: r.model.clone(),
        serial: r.serial.clone(),
        firmware: r.firmware.clone(),
        wwn: r.wwn.clone(),
        note,
    }
}

/// The station's own IDENTIFY (ATA or NVMe, through `sanitize::firmware::detect`) as a reading.
pub fn firmware_reading(caps: Result<&sanitize::firmware::Capabilities, String>) -> SourceReading {
    match caps {
        Ok(c) => SourceReading {
            source: match c.transport {
                sanitize::firmware::Transport::Nvme => IdentitySource::NvmeIdentify,
                _ => IdentitySource::AtaIdentify,
            },
            model: Some(c.model.clone()),
            serial: Some(c.serial.clone()),
            firmware: Some(c.firmware.clone()),
            wwn: None,
            note: None,
        },
        Err(why) => SourceReading::nothing(IdentitySource::AtaIdentify, why),
    }
}

/// sysfs's identity fields of `/sys/block/NAME` (`sys`), as a reading: the disk's words for a
/// disk not on USB; for a USB disk, a note saying they are the bridge's.
pub fn sysfs_reading(sys: &str, root: &Root, bridge: Option<&UsbBridge>) -> SourceReading {
    if let Some(b) = bridge {
        return SourceReading::nothing(
            IdentitySource::Sysfs,
            format!(
                "{sys}/device describes the USB bridge {}{}, not the disk",
                b.short_name(),
                b.scsi_identity.as_ref().map(|s| format!(" ({s:?})")).unwrap_or_default()
            ),
        );
    }
    let serial = root.attribute(&format!("{sys}/device/serial")).value().cloned().or_else(|| {
        // SATA disks behind libata expose the serial only through the VPD page 0x80.
        std::fs::read(root.join(&format!("{sys}/device/vpd_pg80")))
            .ok()
            .filter(|page| page.len() > 4)
            .map(|page| String::from_utf8_lossy(&page[4..]).trim().to_owned())
    });
    let firmware = ["firmware_rev", "rev", "fwrev"]
        .iter()
        .find_map(|f| root.attribute(&format!("{sys}/device/{f}")).value().cloned());
    let wwn = root
        .attribute(&format!("{sys}/wwid"))
        .value()
        .or(root.attribute(&format!("{sys}/device/wwid")).value())
        .cloned()
        .map(|w| match w.strip_prefix("naa.") {
            Some(hex) => hex.to_lowercase(),
            None => w,
        });
    let model = root.attribute(&format!("{sys}/device/model")).value().cloned();
    let note = (model.is_none() && serial.is_none()).then(|| format!("{sys}/device has no model or serial"));
    SourceReading { source: IdentitySource::Sysfs, model, serial, firmware, wwn, note }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(source: IdentitySource, model: &str, serial: &str) -> SourceReading {
        SourceReading {
            source,
            model: Some(model.into()),
            serial: Some(serial.into()),
            firmware: None,
            wwn: None,
            note: None,
        }
    }

    #[test]
    fn precedence_and_placeholders() {
        let id = resolve(
            &[
                reading(IdentitySource::Sysfs, "Generic", "000000000000"),
                reading(IdentitySource::Smartctl, "WDC WD2500BEVS-22UST0", "WD-WXEX07421253"),
            ],
            None,
        );
        assert_eq!(id.model, Probed::Value("WDC WD2500BEVS-22UST0".into()));
        assert_eq!(id.sources.serial, Some(IdentitySource::Smartctl));
        let none = resolve(&[reading(IdentitySource::Sysfs, "x", "0000")], None);
        match none.serial {
            Probed::Unavailable(why) => assert!(why.contains("placeholder \"0000\""), "{why}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(none.sources.serial, None);
    }

    #[test]
    fn udev_escapes() {
        assert_eq!(decode_udev(r"WDC\x20WD10EFRX-68PJCN0\x20\x20"), "WDC WD10EFRX-68PJCN0  ");
        assert_eq!(decode_udev(r"bad\x2"), r"bad\x2");
    }
}
