//! Devices other than disks and screens: PCI and USB devices with their names from the
//! hwdata databases (pci.ids, usb.ids: the format is described in their own headers), network
//! interfaces (/sys/class/net, Documentation/ABI/testing/sysfs-class-net), sound cards
//! (/proc/asound/cards), cameras (/sys/class/video4linux), optical drives (/sys/block/sr*) and
//! input devices (/proc/bus/input/devices, with the event-type bits of
//! include/uapi/linux/input-event-codes.h).

use std::collections::HashMap;
use std::fs;

use serde::Serialize;

use crate::Root;

/// A pci.ids or usb.ids database, indexed on first use of each vendor block.
///
/// Loading reads the file and makes one pass recording where each vendor's block and the class
/// list start (a few milliseconds for the 1.3 MB pci.ids); a lookup then scans only that block.
#[derive(Debug, Clone)]
pub struct IdDatabase {
    text: String,
    vendors: HashMap<u16, (usize, usize)>,
    classes: HashMap<u8, (usize, usize)>,
}

fn hex_prefix(line: &str, digits: usize) -> Option<u16> {
    let head = line.get(..digits)?;
    if !head.bytes().all(|b| b.is_ascii_hexdigit()) || !line[digits..].starts_with("  ") {
        return None;
    }
    u16::from_str_radix(head, 16).ok()
}

impl IdDatabase {
    /// Indexes the text of a pci.ids or usb.ids file.
    pub fn parse(text: String) -> IdDatabase {
        let mut vendors = HashMap::new();
        let mut classes = HashMap::new();
        // (is_class, id, start of block)
        let mut open: Option<(bool, u16, usize)> = None;
        let mut pos = 0usize;
        for line in text.split_inclusive('\n') {
            let start = pos;
            pos += line.len();
            if line.starts_with('\t') || line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some((is_class, id, from)) = open.take() {
                if is_class {
                    classes.insert(id as u8, (from, start));
                } else {
                    vendors.insert(id, (from, start));
                }
            }
            if let Some(id) = hex_prefix(line, 4) {
                open = Some((false, id, start));
            } else if let Some(rest) = line.strip_prefix("C ") {
                if let Some(id) = hex_prefix(rest, 2) {
                    open = Some((true, id, start));
                }
            }
        }
        if let Some((is_class, id, from)) = open {
            if is_class {
                classes.insert(id as u8, (from, pos));
            } else {
                vendors.insert(id, (from, pos));
            }
        }
        IdDatabase { text, vendors, classes }
    }

    fn block(&self, range: Option<&(usize, usize)>) -> Option<&str> {
        let (a, b) = range?;
        self.text.get(*a..*b)
    }

    /// The vendor's name.
    pub fn vendor(&self, vendor: u16) -> Option<&str> {
        let block = self.block(self.vendors.get(&vendor))?;
        Some(block.lines().next()?.get(6..)?.trim())
    }

    /// The device's name.
    pub fn device(&self, vendor: u16, device: u16) -> Option<&str> {
        let block = self.block(self.vendors.get(&vendor))?;
        block.lines().skip(1).find_map(|l| {
            let l = l.strip_prefix('\t')?;
            (hex_prefix(l, 4)? == device).then(|| l[6..].trim())
        })
    }

    /// The name of a class, or of its subclass when the database has one (pci.ids: "VGA
    /// compatible controller" for 03 00).
    pub fn class(&self, class: u8, subclass: u8) -> Option<&str> {
        let block = self.block(self.classes.get(&class))?;
        let sub = block.lines().skip(1).find_map(|l| {
            let l = l.strip_prefix('\t')?;
            (hex_prefix(l, 2)? == u16::from(subclass)).then(|| l[4..].trim())
        });
        sub.or_else(|| Some(block.lines().next()?.get(6..)?.trim()))
    }
}

/// Loads `name` (pci.ids or usb.ids) from where Debian's hwdata and pciutils put it.
pub fn load_ids(root: &Root, name: &str) -> Option<IdDatabase> {
    ["/usr/share/hwdata", "/usr/share/misc", "/usr/share"]
        .iter()
        .find_map(|dir| fs::read_to_string(root.join(&format!("{dir}/{name}"))).ok())
        .map(IdDatabase::parse)
}

/// A PCI function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PciDevice {
    /// Bus address (`0000:00:02.0`).
    pub address: String,
    /// Class code, 24 bits (class, subclass, programming interface).
    pub class_code: u32,
    /// Class name from pci.ids.
    pub class_name: Option<String>,
    /// Vendor id.
    pub vendor_id: u16,
    /// Device id.
    pub device_id: u16,
    /// Vendor name from pci.ids.
    pub vendor: Option<String>,
    /// Device name from pci.ids.
    pub device: Option<String>,
    /// Kernel driver bound to it.
    pub driver: Option<String>,
}

impl PciDevice {
    /// Display controller (class 03).
    pub fn is_graphics(&self) -> bool {
        self.class_code >> 16 == 0x03
    }
    /// "Vendor Device", or the ids when the names are unknown.
    pub fn name(&self) -> String {
        match (&self.vendor, &self.device) {
            (Some(v), Some(d)) => format!("{v} {d}"),
            (Some(v), None) => format!("{v} device {:04x}", self.device_id),
            _ => format!("{:04x}:{:04x}", self.vendor_id, self.device_id),
        }
    }
}

fn read(root: &Root, abs: &str) -> Option<String> {
    fs::read_to_string(root.join(abs)).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn hex_attr(root: &Root, abs: &str) -> Option<u32> {
    let v = read(root, abs)?;
    u32::from_str_radix(v.trim_start_matches("0x"), 16).ok()
}

fn link_name(root: &Root, abs: &str) -> Option<String> {
    fs::read_link(root.join(abs)).ok()?.file_name().map(|n| n.to_string_lossy().into_owned())
}

fn sorted_entries(root: &Root, abs: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join(abs))
        .map(|it| it.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Every PCI function under /sys/bus/pci/devices.
pub fn probe_pci(root: &Root, ids: Option<&IdDatabase>) -> Vec<PciDevice> {
    sorted_entries(root, "/sys/bus/pci/devices")
        .into_iter()
        .filter_map(|address| {
            let base = format!("/sys/bus/pci/devices/{address}");
            let class_code = hex_attr(root, &format!("{base}/class"))?;
            let vendor_id = hex_attr(root, &format!("{base}/vendor"))? as u16;
            let device_id = hex_attr(root, &format!("{base}/device"))? as u16;
            Some(PciDevice {
                class_name: ids
                    .and_then(|db| db.class((class_code >> 16) as u8, (class_code >> 8) as u8))
                    .map(str::to_owned),
                vendor: ids.and_then(|db| db.vendor(vendor_id)).map(str::to_owned),
                device: ids.and_then(|db| db.device(vendor_id, device_id)).map(str::to_owned),
                driver: link_name(root, &format!("{base}/driver")),
                address,
                class_code,
                vendor_id,
                device_id,
            })
        })
        .collect()
}

/// A USB device (not an interface, not a root hub).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsbDevice {
    /// Kernel name (`1-1.2`).
    pub bus_path: String,
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// Manufacturer string from the device, else from usb.ids.
    pub manufacturer: Option<String>,
    /// Product string from the device, else from usb.ids.
    pub product: Option<String>,
    /// Negotiated speed, Mbit/s (`speed`).
    pub speed_mbps: Option<f64>,
}

/// Every USB device under /sys/bus/usb/devices except root hubs (vendor 1d6b, Linux
/// Foundation) and interfaces (names with a colon).
pub fn probe_usb(root: &Root, ids: Option<&IdDatabase>) -> Vec<UsbDevice> {
    sorted_entries(root, "/sys/bus/usb/devices")
        .into_iter()
        .filter(|n| !n.contains(':') && !n.starts_with("usb"))
        .filter_map(|name| {
            let base = format!("/sys/bus/usb/devices/{name}");
            let vendor_id = hex_attr(root, &format!("{base}/idVendor"))? as u16;
            let product_id = hex_attr(root, &format!("{base}/idProduct"))? as u16;
            if vendor_id == 0x1d6b {
                return None;
            }
            Some(UsbDevice {
                manufacturer: read(root, &format!("{base}/manufacturer"))
                    .or_else(|| ids.and_then(|db| db.vendor(vendor_id)).map(str::to_owned)),
                product: read(root, &format!("{base}/product"))
                    .or_else(|| ids.and_then(|db| db.device(vendor_id, product_id)).map(str::to_owned)),
                speed_mbps: read(root, &format!("{base}/speed")).and_then(|s| s.parse().ok()),
                bus_path: name,
                vendor_id,
                product_id,
            })
        })
        .collect()
}

/// Kind of network interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetKind {
    /// Ethernet on a real bus (PCI, USB).
    Wired,
    /// 802.11 (has `wireless/` or `phy80211`).
    Wireless,
    /// Anything else on a bus (WWAN, InfiniBand…).
    Other,
}

/// A network interface backed by hardware (virtual ones — lo, bridges, tunnels — are left out:
/// they have no `device` link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetInterface {
    /// Kernel name (`enp0s25`, `wlp3s0`).
    pub name: String,
    /// MAC address (`address`).
    pub mac: Option<String>,
    /// Whether the MAC is the card's own (`addr_assign_type` 0), not random or set by software.
    pub mac_permanent: bool,
    /// Wired, wireless or other.
    pub kind: NetKind,
    /// Link detected (`carrier`; unreadable when the interface is down).
    pub carrier: Option<bool>,
    /// `operstate`: up, down, dormant, unknown…
    pub operstate: Option<String>,
    /// Link speed, Mbit/s (`speed`, when there is a link).
    pub speed_mbps: Option<u32>,
    /// Driver (`device/driver`).
    pub driver: Option<String>,
}

/// The network interfaces below /sys/class/net that have a device.
pub fn probe_net(root: &Root) -> Vec<NetInterface> {
    sorted_entries(root, "/sys/class/net")
        .into_iter()
        .filter_map(|name| {
            let base = format!("/sys/class/net/{name}");
            if !root.join(&format!("{base}/device")).exists() {
                return None;
            }
            let wireless = root.join(&format!("{base}/wireless")).exists()
                || root.join(&format!("{base}/phy80211")).exists();
            let ether = read(root, &format!("{base}/type")).as_deref() == Some("1");
            Some(NetInterface {
                mac: read(root, &format!("{base}/address")),
                mac_permanent: read(root, &format!("{base}/addr_assign_type")).as_deref() == Some("0"),
                kind: if wireless {
                    NetKind::Wireless
                } else if ether {
                    NetKind::Wired
                } else {
                    NetKind::Other
                },
                carrier: read(root, &format!("{base}/carrier")).map(|c| c == "1"),
                operstate: read(root, &format!("{base}/operstate")),
                speed_mbps: read(root, &format!("{base}/speed"))
                    .and_then(|s| s.parse::<i64>().ok())
                    .and_then(|s| u32::try_from(s).ok()),
                driver: link_name(root, &format!("{base}/device/driver")),
                name,
            })
        })
        .collect()
}

/// A sound card as /proc/asound/cards lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoundCard {
    /// Card number.
    pub index: u32,
    /// Short id (`PCH`).
    pub id: String,
    /// Driver (`HDA-Intel`).
    pub driver: String,
    /// Long name (`HDA Intel PCH at 0xf7e10000 irq 30`), else the short name.
    pub name: String,
}

/// Parses /proc/asound/cards: for each card a line ` N [id   ]: driver - short name` and an
/// indented line with the long name.
pub fn parse_asound_cards(text: &str) -> Vec<SoundCard> {
    let mut cards: Vec<SoundCard> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let head = t.split_once(" [").and_then(|(n, rest)| Some((n.trim().parse::<u32>().ok()?, rest)));
        if let Some((index, rest)) = head {
            let Some((id, rest)) = rest.split_once(']') else { continue };
            let rest = rest.trim_start_matches(':').trim();
            let (driver, short) = rest.split_once(" - ").unwrap_or((rest, ""));
            cards.push(SoundCard {
                index,
                id: id.trim().to_owned(),
                driver: driver.trim().to_owned(),
                name: short.trim().to_owned(),
            });
        } else if let Some(last) = cards.last_mut() {
            if !t.is_empty() {
                last.name = t.to_owned();
            }
        }
    }
    cards
}

/// Input devices by what they are for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputDevices {
    /// Keyboards (handlers include `kbd`, with key repeat: EV_REP).
    pub keyboards: Vec<String>,
    /// Touchpads (a `mouse` handler and absolute axes, or a name saying touchpad/trackpad).
    pub touchpads: Vec<String>,
    /// Mice and pointing sticks (a `mouse` handler, relative axes).
    pub mice: Vec<String>,
}

/// Parses /proc/bus/input/devices (blocks of `I:`, `N: Name=`, `H: Handlers=`, `B: EV=` lines).
pub fn parse_input_devices(text: &str) -> InputDevices {
    let mut out = InputDevices::default();
    for block in text.split("\n\n") {
        let mut name = String::new();
        let mut handlers = "";
        let mut ev = 0u64;
        let mut virtual_device = false;
        for line in block.lines() {
            // Software devices (uinput, "Macintosh mouse button emulation") are not hardware.
            if line.starts_with("S: Sysfs=/devices/virtual/") {
                virtual_device = true;
            }
            if let Some(n) = line.strip_prefix("N: Name=") {
                name = n.trim().trim_matches('"').to_owned();
            } else if let Some(h) = line.strip_prefix("H: Handlers=") {
                handlers = h;
            } else if let Some(e) = line.strip_prefix("B: EV=") {
                ev = u64::from_str_radix(e.trim(), 16).unwrap_or(0);
            }
        }
        if name.is_empty() || virtual_device {
            continue;
        }
        // Handler names carry a number: `mouse0`, `event4`; `kbd` has none.
        let has = |h: &str| {
            handlers
                .split_whitespace()
                .any(|x| x.strip_prefix(h).is_some_and(|n| n.chars().all(|c| c.is_ascii_digit())))
        };
        const EV_REL: u64 = 1 << 2;
        const EV_ABS: u64 = 1 << 3;
        const EV_REP: u64 = 1 << 20;
        let lower = name.to_ascii_lowercase();
        let named_pad = ["touchpad", "trackpad", "glidepoint"].iter().any(|p| lower.contains(p));
        if has("mouse") || named_pad {
            if named_pad || (ev & EV_ABS != 0 && ev & EV_REL == 0) {
                out.touchpads.push(name);
            } else {
                out.mice.push(name);
            }
        } else if has("kbd") && ev & EV_REP != 0 {
            out.keyboards.push(name);
        }
    }
    out
}

/// Everything on the buses that is not a disk or a monitor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Devices {
    /// Display controllers (PCI class 03).
    pub graphics: Vec<PciDevice>,
    /// Every PCI function.
    pub pci: Vec<PciDevice>,
    /// USB devices.
    pub usb: Vec<UsbDevice>,
    /// Network interfaces with hardware behind them.
    pub network: Vec<NetInterface>,
    /// Sound cards.
    pub sound: Vec<SoundCard>,
    /// Cameras (video4linux capture devices), one per name.
    pub cameras: Vec<String>,
    /// Optical drives ("vendor model" of /sys/block/sr*).
    pub optical_drives: Vec<String>,
    /// Keyboards, touchpads, mice.
    pub input: InputDevices,
    /// Whether the hwdata databases were found (names come from them).
    pub pci_ids_found: bool,
    /// Same for usb.ids.
    pub usb_ids_found: bool,
}

/// Probes all of it below `root`.
pub fn probe_devices(root: &Root) -> Devices {
    let pci_ids = load_ids(root, "pci.ids");
    let usb_ids = load_ids(root, "usb.ids");
    let pci = probe_pci(root, pci_ids.as_ref());
    let mut cameras: Vec<String> = sorted_entries(root, "/sys/class/video4linux")
        .iter()
        .filter_map(|v| read(root, &format!("/sys/class/video4linux/{v}/name")))
        .collect();
    cameras.dedup();
    let optical_drives = sorted_entries(root, "/sys/block")
        .iter()
        .filter(|n| n.starts_with("sr"))
        .map(|n| {
            let v = read(root, &format!("/sys/block/{n}/device/vendor")).unwrap_or_default();
            let m = read(root, &format!("/sys/block/{n}/device/model")).unwrap_or_default();
            format!("{v} {m}").trim().to_owned()
        })
        .collect();
    Devices {
        graphics: pci.iter().filter(|d| d.is_graphics()).cloned().collect(),
        usb: probe_usb(root, usb_ids.as_ref()),
        network: probe_net(root),
        sound: fs::read_to_string(root.join("/proc/asound/cards"))
            .map(|t| parse_asound_cards(&t))
            .unwrap_or_default(),
        cameras,
        optical_drives,
        input: fs::read_to_string(root.join("/proc/bus/input/devices"))
            .map(|t| parse_input_devices(&t))
            .unwrap_or_default(),
        pci,
        pci_ids_found: pci_ids.is_some(),
        usb_ids_found: usb_ids.is_some(),
    }
}
