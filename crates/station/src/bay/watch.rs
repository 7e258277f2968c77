//! Which disks are plugged in, as they come and go.
//!
//! The kernel announces every block device added or removed on a netlink socket
//! (`NETLINK_KOBJECT_UEVENT`, the one udev listens to). The watcher uses those announcements only
//! to wake up: on each wake, and at least every `interval`, it lists `/sys/block` again and
//! reports the difference with the previous list. A missed or coalesced event therefore costs
//! at most one interval, never a disk; where the socket cannot be opened (some containers), the
//! watcher polls.

use std::collections::BTreeMap;
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use inventory::Root;

/// A change in the set of disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A disk appeared: its kernel name and device node.
    Appeared(String, PathBuf),
    /// A disk went away.
    Gone(String),
}

/// How the watcher learns of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Kernel uevents, with a periodic rescan as a safety net.
    Uevents,
    /// Rescanning /sys/block every interval (no netlink socket).
    Polling,
}

/// Which block devices count as loose disks.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Also loop and device-mapper devices (tests on virtual disks).
    pub include_virtual: bool,
    /// Only loop devices whose backing file is below this directory, and device-mapper devices
    /// built only on such loops; nothing else at all. Tests set it so that a session can never
    /// reach a disk, or a loop device, that the test did not create.
    pub backing_under: Option<PathBuf>,
    /// Only these disks (`station app --disk`, `station bay --disk`): the bay opened from the
    /// app honours the same selection as the app, and offers nothing else.
    pub only: Option<Vec<PathBuf>>,
}

impl Filter {
    fn keeps(&self, root: &Root, name: &str) -> bool {
        if let Some(only) = &self.only {
            let node = dev_node(name);
            let node = std::fs::canonicalize(&node).unwrap_or(node);
            if !only.iter().any(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()) == node) {
                return false;
            }
        }
        let Some(dir) = &self.backing_under else { return true };
        let backed_here = |loop_name: &str| {
            std::fs::read_to_string(root.join(&format!("/sys/block/{loop_name}/loop/backing_file")))
                .map(|f| Path::new(f.trim()).starts_with(dir))
                .unwrap_or(false)
        };
        if name.starts_with("loop") {
            return backed_here(name);
        }
        if name.starts_with("dm-") {
            let slaves: Vec<String> = std::fs::read_dir(root.join(&format!("/sys/block/{name}/slaves")))
                .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            return !slaves.is_empty() && slaves.iter().all(|s| s.starts_with("loop") && backed_here(s));
        }
        false
    }
}

/// The whole disks of `/sys/block` below `root` that the filter keeps, by kernel name. Devices
/// that are never loose disks (RAM disks, zram, optical drives, floppies, md arrays) are left
/// out; so are empty ones (a card reader without a card, an unattached loop device).
pub fn scan(root: &Root, filter: &Filter) -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(root.join("/sys/block")) else { return found };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let virtual_dev = name.starts_with("loop") || name.starts_with("dm-");
        let never = ["ram", "zram", "sr", "fd", "md", "nbd"].iter().any(|p| name.starts_with(p));
        if never || (virtual_dev && !filter.include_virtual) || !filter.keeps(root, &name) {
            continue;
        }
        let size = std::fs::read_to_string(root.join(&format!("/sys/block/{name}/size")))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if size == 0 {
            continue;
        }
        found.insert(name.clone(), dev_node(&name));
    }
    found
}

/// The device node of a kernel block device name: `/dev/mapper/NAME` for a named
/// device-mapper device is not needed, `/dev/dm-N` is the same device.
fn dev_node(name: &str) -> PathBuf {
    Path::new("/dev").join(name)
}

/// Watches the disks below `root`: the first changes report every disk already there.
pub fn watch(root: PathBuf, filter: Filter, interval: Duration) -> (Receiver<Change>, Mode) {
    let (tx, rx) = channel();
    let socket = uevent_socket(interval).ok();
    let mode = if socket.is_some() { Mode::Uevents } else { Mode::Polling };
    std::thread::spawn(move || {
        let root = Root::at(root);
        let mut known: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut buf = vec![0u8; 8192];
        loop {
            let now = scan(&root, &filter);
            for (name, path) in &now {
                if !known.contains_key(name) && tx.send(Change::Appeared(name.clone(), path.clone())).is_err()
                {
                    return;
                }
            }
            for name in known.keys() {
                if !now.contains_key(name) && tx.send(Change::Gone(name.clone())).is_err() {
                    return;
                }
            }
            known = now;
            match &socket {
                // Wakes on any uevent or after the receive timeout; block events are a subset
                // of what arrives, and the rescan sorts them out.
                Some(fd) => {
                    let _ =
                        nix::sys::socket::recv(fd.as_raw_fd(), &mut buf, nix::sys::socket::MsgFlags::empty());
                    // Let the kernel finish creating the node and its sysfs entries.
                    std::thread::sleep(Duration::from_millis(100));
                }
                None => std::thread::sleep(interval),
            }
        }
    });
    (rx, mode)
}

fn uevent_socket(interval: Duration) -> nix::Result<std::os::fd::OwnedFd> {
    use nix::sys::socket::{
        bind, setsockopt, socket, sockopt, AddressFamily, NetlinkAddr, SockFlag, SockProtocol, SockType,
    };
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkKObjectUEvent,
    )?;
    // Group 1: the kernel's own announcements (udev re-broadcasts on group 2).
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 1))?;
    setsockopt(&fd, sockopt::ReceiveTimeout, &nix::sys::time::TimeVal::from(libc_timeval(interval)))?;
    Ok(fd)
}

fn libc_timeval(d: Duration) -> nix::libc::timeval {
    nix::libc::timeval {
        tv_sec: d.as_secs() as nix::libc::time_t,
        tv_usec: d.subsec_micros() as nix::libc::suseconds_t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_non_empty_disks_count() {
        let dir = std::env::temp_dir().join(format!("sv-bay-scan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (name, size) in [
            ("sda", "976773168"),
            ("sdb", "0"),
            ("loop0", "131072"),
            ("sr0", "2048"),
            ("nvme0n1", "500118192"),
        ] {
            let d = dir.join("sys/block").join(name);
            std::fs::create_dir_all(&d).expect("mkdir");
            std::fs::write(d.join("size"), size).expect("write");
        }
        let root = Root::at(&dir);
        let found: Vec<String> = scan(&root, &Filter::default()).into_keys().collect();
        assert_eq!(found, vec!["nvme0n1".to_string(), "sda".to_string()]);
        let with_virtual: Vec<String> =
            scan(&root, &Filter { include_virtual: true, backing_under: None, only: None })
                .into_keys()
                .collect();
        assert_eq!(with_virtual, vec!["loop0".to_string(), "nvme0n1".to_string(), "sda".to_string()]);
        // Restricted to a scratch directory: only the loop device backed by a file in it.
        std::fs::create_dir_all(dir.join("sys/block/loop0/loop")).expect("mkdir");
        std::fs::write(dir.join("sys/block/loop0/loop/backing_file"), "/tmp/scratch/disk1.img\n")
            .expect("write");
        let only = |under: &str| -> Vec<String> {
            let f = Filter { include_virtual: true, backing_under: Some(under.into()), only: None };
            scan(&root, &f).into_keys().collect()
        };
        assert_eq!(only("/tmp/scratch"), vec!["loop0".to_string()]);
        assert!(only("/tmp/elsewhere").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
