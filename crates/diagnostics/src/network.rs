//! The network adapters (net class, Documentation/ABI/testing/sysfs-class-net): a wired port
//! with its link (a cable plugged into a switch), a wireless adapter. Only adapters on a bus
//! count (`device` link present): loopback, bridges, VPNs and containers' virtual pairs do not.

use certificate::{CheckStatus, HardwareTest, HardwareTestKind};
use inventory::Root;

/// One adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapter {
    /// Interface name, e.g. `enp0s25`, `wlp3s0`.
    pub name: String,
    /// Wireless (802.11).
    pub wireless: bool,
    /// Link detected (carrier).
    pub link: bool,
    /// The link speed, Mb/s, when the link is up and the driver says.
    pub speed_mbps: Option<u32>,
}

/// Reads the adapters below `root`, sorted by name.
pub fn adapters(root: &Root) -> Vec<Adapter> {
    let base = root.join("/sys/class/net");
    let mut names: Vec<String> = std::fs::read_dir(&base)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|n| base.join(n).join("device").exists())
        .map(|name| {
            let dir = base.join(&name);
            let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok().map(|s| s.trim().to_owned());
            Adapter {
                wireless: dir.join("wireless").exists() || dir.join("phy80211").exists(),
                link: read("carrier").as_deref() == Some("1"),
                speed_mbps: read("speed")
                    .and_then(|s| s.parse::<i64>().ok())
                    .filter(|&s| s > 0)
                    .map(|s| s as u32),
                name,
            }
        })
        .collect()
}

/// The verdict on the adapters found.
pub fn network_verdict(adapters: &[Adapter]) -> (CheckStatus, Vec<String>) {
    let wired: Vec<&Adapter> = adapters.iter().filter(|a| !a.wireless).collect();
    let wireless: Vec<&Adapter> = adapters.iter().filter(|a| a.wireless).collect();
    let mut details = Vec::new();
    for a in &wired {
        details.push(match (a.link, a.speed_mbps) {
            (true, Some(s)) => format!("wired {}: link at {s} Mb/s", a.name),
            (true, None) => format!("wired {}: link", a.name),
            (false, _) => format!("wired {}: no link", a.name),
        });
    }
    for a in &wireless {
        details.push(format!("wireless {}: present", a.name));
    }
    if adapters.is_empty() {
        details.push("no network adapter found: add a USB Wi-Fi or Ethernet adapter".into());
        return (CheckStatus::Fail, details);
    }
    if wired.iter().any(|a| a.link) || (!wireless.is_empty() && wired.is_empty()) {
        return (CheckStatus::Pass, details);
    }
    if !wired.is_empty() {
        details.push("plug a network cable into the wired port to test it".into());
    }
    (if wireless.is_empty() { CheckStatus::Skipped } else { CheckStatus::Pass }, details)
}

/// Tests the network adapters.
pub fn test(root: &Root) -> HardwareTest {
    let found = adapters(root);
    let (status, details) = network_verdict(&found);
    let mut test = HardwareTest::new(HardwareTestKind::Network, status);
    test.details = details;
    let count = |f: &dyn Fn(&&Adapter) -> bool| found.iter().filter(f).count() as f64;
    test.measure("wired_adapters", count(&|a| !a.wireless))
        .measure("wired_links", count(&|a| !a.wireless && a.link))
        .measure("wireless_adapters", count(&|a| a.wireless));
    test
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, wireless: bool, link: bool) -> Adapter {
        Adapter { name: name.into(), wireless, link, speed_mbps: link.then_some(1000) }
    }

    #[test]
    fn verdicts() {
        let (s, d) = network_verdict(&[adapter("enp0s25", false, true), adapter("wlp3s0", true, false)]);
        assert_eq!(s, CheckStatus::Pass);
        assert_eq!(d, vec!["wired enp0s25: link at 1000 Mb/s", "wireless wlp3s0: present"]);
        let (s, d) = network_verdict(&[adapter("enp0s25", false, false)]);
        assert_eq!(s, CheckStatus::Skipped);
        assert!(d.iter().any(|l| l.contains("plug a network cable")));
        assert_eq!(
            network_verdict(&[adapter("enp0s25", false, false), adapter("wlan0", true, false)]).0,
            CheckStatus::Pass
        );
        assert_eq!(network_verdict(&[]).0, CheckStatus::Fail);
    }

    #[test]
    fn sysfs_tree_virtual_interfaces_do_not_count() {
        let dir = std::env::temp_dir().join(format!("sv-net-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let net = dir.join("sys/class/net");
        for (name, files) in [
            ("lo", vec![("carrier", "1")]),
            ("enp0s25", vec![("device/vendor", "0x8086"), ("carrier", "1"), ("speed", "100")]),
            (
                "wlp3s0",
                vec![
                    ("device/vendor", "0x8086"),
                    ("phy80211/name", "phy0"),
                    ("carrier", "0"),
                    ("speed", "-1"),
                ],
            ),
        ] {
            for (f, v) in files {
                let p = net.join(name).join(f);
                std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::fs::write(p, format!("{v}\n")).expect("write");
            }
        }
        let found = adapters(&Root::at(&dir));
        assert_eq!(
            found,
            vec![
                Adapter { name: "enp0s25".into(), wireless: false, link: true, speed_mbps: Some(100) },
                Adapter { name: "wlp3s0".into(), wireless: true, link: false, speed_mbps: None },
            ]
        );
        let t = test(&Root::at(&dir));
        assert_eq!(t.status, CheckStatus::Pass);
        assert_eq!(t.measurement("wired_links"), Some(1.0));
        assert_eq!(t.measurement("wireless_adapters"), Some(1.0));
        let _ = std::fs::remove_dir_all(dir);
    }
}
