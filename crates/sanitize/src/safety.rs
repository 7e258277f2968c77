//! The checks that keep the wrong disk untouched.
//!
//! A wipe is refused, with a plain reason, for: anything that is neither a regular file nor a
//! whole-disk block device; a partition (name the whole disk); a disk holding the running system
//! or the live medium; a disk any of whose partitions or stacked devices (LVM, RAID, dm-crypt)
//! has a mounted file system or active swap; a read-only disk. The system is read through
//! [`SystemView`], a root directory (`/` on a station), so the rules run on fixture trees in tests.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Where the system's /proc and /sys are read from.
#[derive(Debug, Clone)]
pub struct SystemView {
    root: PathBuf,
}

impl Default for SystemView {
    fn default() -> Self {
        SystemView { root: PathBuf::from("/") }
    }
}

impl SystemView {
    /// A view rooted at `root` (a captured tree in tests).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        SystemView { root: root.into() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }
}

/// A device number split into major and minor, as /sys and /proc/self/mountinfo write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DevNum {
    /// Major number (the driver).
    pub major: u32,
    /// Minor number (the device).
    pub minor: u32,
}

impl DevNum {
    /// Splits a Linux `dev_t` (glibc's encoding: see `gnu_dev_major` in sys/sysmacros.h).
    pub fn from_dev_t(dev: u64) -> Self {
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
        let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
        DevNum { major: major as u32, minor: minor as u32 }
    }

    fn parse(text: &str) -> Option<Self> {
        let (a, b) = text.trim().split_once(':')?;
        Some(DevNum { major: a.parse().ok()?, minor: b.parse().ok()? })
    }
}

impl fmt::Display for DevNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

/// Why a wipe target was refused. The messages are written for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The path does not exist or cannot be read.
    Unreadable(String),
    /// Not a regular file nor a block device.
    NotADisk,
    /// A partition, not a whole disk.
    Partition {
        /// The whole disk to name instead, when known.
        disk: Option<String>,
    },
    /// The disk holds the running system (the root file system or the live medium).
    SystemDisk {
        /// The device that is mounted.
        device: String,
        /// Where.
        mountpoint: String,
    },
    /// Part of the disk is mounted.
    Mounted {
        /// The device that is mounted.
        device: String,
        /// Where.
        mountpoint: String,
    },
    /// Part of the disk is active swap.
    Swap {
        /// The swap device.
        device: String,
    },
    /// The kernel marks the disk read-only.
    ReadOnly,
    /// Another block device is stacked on the disk and active (device-mapper: LVM, LUKS, a
    /// mapping; or an md array): writing under it would pull the floor from a device the kernel
    /// is using.
    Held {
        /// The disk or partition that is held.
        device: String,
        /// The device stacked on it.
        holder: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Unreadable(e) => write!(f, "cannot be opened: {e}"),
            Refusal::NotADisk => f.write_str("is neither a disk nor a regular file"),
            Refusal::Partition { disk: Some(d) } => write!(f, "is a partition: name the whole disk ({d})"),
            Refusal::Partition { disk: None } => f.write_str("is a partition: name the whole disk"),
            Refusal::SystemDisk { device, mountpoint } => {
                write!(f, "holds the running system ({device} is mounted on {mountpoint}): it is never wiped")
            }
            Refusal::Mounted { device, mountpoint } => {
                write!(f, "is in use: {device} is mounted on {mountpoint}; unmount it first")
            }
            Refusal::Swap { device } => write!(f, "is in use as swap ({device}); run swapoff first"),
            Refusal::ReadOnly => f.write_str("is read-only"),
            Refusal::Held { device, holder } => write!(
                f,
                "is in use: /dev/{holder} is built on {device}; deactivate it first (dmsetup remove, \
                 vgchange -an, cryptsetup close or mdadm --stop)"
            ),
        }
    }
}

/// What the checks found the target to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// A regular file standing for a disk.
    File,
    /// A whole-disk block device with its kernel name (e.g. `sda`, `nvme0n1`, `loop3`).
    BlockDevice {
        /// Kernel name.
        name: String,
        /// Device number.
        devnum: DevNum,
    },
}

/// Mount points that mean "the system we run from" rather than "a disk someone mounted".
const SYSTEM_MOUNTPOINTS: &[&str] = &[
    "/",
    "/boot",
    "/boot/efi",
    "/usr",
    "/run/live/medium",
    "/lib/live/mount/medium",
    "/cdrom",
    "/run/initramfs/live",
];

/// Checks that `path` may be wiped.
pub fn check_target(path: &Path, view: &SystemView) -> Result<TargetKind, Refusal> {
    let meta = fs::metadata(path).map_err(|e| Refusal::Unreadable(e.to_string()))?;
    let ft = meta.file_type();
    if ft.is_file() {
        if meta.permissions().readonly() {
            return Err(Refusal::ReadOnly);
        }
        return Ok(TargetKind::File);
    }
    if !ft.is_block_device() {
        return Err(Refusal::NotADisk);
    }
    check_block_device(DevNum::from_dev_t(meta.rdev()), view)
}

/// The block-device rules, on a device number.
pub fn check_block_device(devnum: DevNum, view: &SystemView) -> Result<TargetKind, Refusal> {
    let sys_dir = fs::canonicalize(view.path(&format!("sys/dev/block/{devnum}")))
        .map_err(|e| Refusal::Unreadable(format!("no /sys/dev/block/{devnum}: {e}")))?;
    let name = file_name(&sys_dir);
    if sys_dir.join("partition").exists() {
        let disk = sys_dir.parent().map(file_name);
        return Err(Refusal::Partition { disk: disk.map(|d| format!("/dev/{d}")) });
    }
    if read_trimmed(&sys_dir.join("ro")).as_deref() == Some("1") {
        return Err(Refusal::ReadOnly);
    }
    // The disk, its partitions, and everything stacked on them.
    let mut family: BTreeSet<(String, DevNum)> = BTreeSet::new();
    collect_family(&sys_dir, view, &mut family, 0);

    let mountinfo = fs::read_to_string(view.path("proc/self/mountinfo")).unwrap_or_default();
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 5 {
            continue;
        }
        let mounted_dev = DevNum::parse(fields[2]);
        let mountpoint = unescape_octal(fields[4]);
        let source = line.split(" - ").nth(1).and_then(|rest| rest.split_whitespace().nth(1)).unwrap_or("");
        let source_name = source.strip_prefix("/dev/").unwrap_or("");
        if let Some((dev_name, _)) = family
            .iter()
            .find(|(n, d)| Some(*d) == mounted_dev || (!source_name.is_empty() && n == source_name))
        {
            let device = format!("/dev/{dev_name}");
            return Err(if SYSTEM_MOUNTPOINTS.contains(&mountpoint.as_str()) {
                Refusal::SystemDisk { device, mountpoint }
            } else {
                Refusal::Mounted { device, mountpoint }
            });
        }
    }
    let swaps = fs::read_to_string(view.path("proc/swaps")).unwrap_or_default();
    for line in swaps.lines().skip(1) {
        let Some(dev) = line.split_whitespace().next() else { continue };
        let swap_name = dev.rsplit('/').next().unwrap_or(dev);
        if family.iter().any(|(n, _)| n == swap_name) {
            return Err(Refusal::Swap { device: dev.to_owned() });
        }
    }
    if let Some((device, holder)) = first_holder(&sys_dir) {
        return Err(Refusal::Held { device, holder });
    }
    Ok(TargetKind::BlockDevice { name, devnum })
}

/// The first device stacked on the disk or one of its partitions, as (held, holder).
fn first_holder(disk: &Path) -> Option<(String, String)> {
    let mut dirs = vec![disk.to_owned()];
    if let Ok(entries) = fs::read_dir(disk) {
        dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.join("partition").exists()));
    }
    for dir in dirs {
        if let Ok(holders) = fs::read_dir(dir.join("holders")) {
            if let Some(h) = holders.flatten().next() {
                return Some((
                    format!("/dev/{}", file_name(&dir)),
                    h.file_name().to_string_lossy().into_owned(),
                ));
            }
        }
    }
    None
}

fn collect_family(dir: &Path, view: &SystemView, out: &mut BTreeSet<(String, DevNum)>, depth: u32) {
    if depth > 8 {
        return; // Stacks are shallow; a deeper one is a loop in a malformed tree.
    }
    if let Some(dev) = read_trimmed(&dir.join("dev")).as_deref().and_then(DevNum::parse) {
        out.insert((file_name(dir), dev));
    }
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let p = entry.path();
        // Partitions are subdirectories with a `partition` file.
        if p.join("partition").exists() {
            collect_family(&p, view, out, depth + 1);
        }
    }
    if let Ok(holders) = fs::read_dir(dir.join("holders")) {
        for h in holders.flatten() {
            let name = h.file_name().to_string_lossy().into_owned();
            if let Ok(target) = fs::canonicalize(view.path(&format!("sys/class/block/{name}"))) {
                collect_family(&target, view, out, depth + 1);
            }
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn read_trimmed(p: &Path) -> Option<String> {
    fs::read_to_string(p).ok().map(|s| s.trim().to_owned())
}

/// mountinfo escapes space, tab, newline and backslash as `\040` etc. (proc(5)).
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A fixture tree: sda (8:0) with sda1 (8:1) and sda2 (8:2), sdb (8:16) with sdb1 (8:17)
    /// holding dm-0 (254:0), laid out as the kernel lays out /sys.
    fn tree(mountinfo: &str, swaps: &str) -> tempdir::TempTree {
        let t = tempdir::TempTree::new();
        let r = t.path();
        for (disk, dev, parts) in
            [("sda", "8:0", vec![("sda1", "8:1"), ("sda2", "8:2")]), ("sdb", "8:16", vec![("sdb1", "8:17")])]
        {
            let d = r.join(format!("sys/devices/pci/{disk}"));
            fs::create_dir_all(d.join("holders")).expect("mkdir");
            fs::write(d.join("dev"), format!("{dev}\n")).expect("write");
            fs::write(d.join("ro"), "0\n").expect("write");
            for (p, pdev) in parts {
                let pd = d.join(p);
                fs::create_dir_all(pd.join("holders")).expect("mkdir");
                fs::write(pd.join("dev"), format!("{pdev}\n")).expect("write");
                fs::write(pd.join("partition"), "1\n").expect("write");
                link(r, &format!("sys/dev/block/{pdev}"), &pd);
                link(r, &format!("sys/class/block/{p}"), &pd);
            }
            link(r, &format!("sys/dev/block/{dev}"), &d);
            link(r, &format!("sys/class/block/{disk}"), &d);
        }
        let dm = r.join("sys/devices/virtual/block/dm-0");
        fs::create_dir_all(dm.join("holders")).expect("mkdir");
        fs::write(dm.join("dev"), "254:0\n").expect("write");
        link(r, "sys/class/block/dm-0", &dm);
        fs::create_dir_all(r.join("sys/devices/pci/sdb/sdb1/holders/dm-0")).expect("mkdir");
        fs::create_dir_all(r.join("proc/self")).expect("mkdir");
        fs::write(r.join("proc/self/mountinfo"), mountinfo).expect("write");
        fs::write(r.join("proc/swaps"), swaps).expect("write");
        t
    }

    fn link(root: &Path, at: &str, to: &Path) {
        let p = root.join(at);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        symlink(to, p).expect("symlink");
    }

    const SWAPS_HEADER: &str = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

    #[test]
    fn free_disk_is_allowed() {
        let t = tree("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n", SWAPS_HEADER);
        fs::remove_dir(t.path().join("sys/devices/pci/sdb/sdb1/holders/dm-0")).expect("no mapping");
        let got = check_block_device(DevNum { major: 8, minor: 16 }, &SystemView::at(t.path()));
        assert_eq!(
            got,
            Ok(TargetKind::BlockDevice { name: "sdb".into(), devnum: DevNum { major: 8, minor: 16 } })
        );
    }

    /// An active mapping on a partition (LVM, LUKS) holds the disk even when nothing is mounted.
    #[test]
    fn disk_under_an_active_mapping_is_refused_even_unmounted() {
        let t = tree("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n", SWAPS_HEADER);
        let got = check_block_device(DevNum { major: 8, minor: 16 }, &SystemView::at(t.path()));
        assert_eq!(got, Err(Refusal::Held { device: "/dev/sdb1".into(), holder: "dm-0".into() }));
        assert!(got.expect_err("refused").to_string().contains("deactivate it first"));
    }

    #[test]
    fn system_disk_is_refused() {
        let t = tree("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n", SWAPS_HEADER);
        let err = check_block_device(DevNum { major: 8, minor: 0 }, &SystemView::at(t.path()))
            .expect_err("refused");
        assert_eq!(err, Refusal::SystemDisk { device: "/dev/sda2".into(), mountpoint: "/".into() });
        assert!(err.to_string().contains("never wiped"));
    }

    #[test]
    fn disk_under_a_mounted_device_mapper_volume_is_refused() {
        let t = tree("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n40 22 254:0 / /mnt/old\\040data rw - ext4 /dev/mapper/vg-data rw\n", SWAPS_HEADER);
        let err = check_block_device(DevNum { major: 8, minor: 16 }, &SystemView::at(t.path()))
            .expect_err("refused");
        assert_eq!(err, Refusal::Mounted { device: "/dev/dm-0".into(), mountpoint: "/mnt/old data".into() });
    }

    #[test]
    fn swap_and_partitions_and_read_only_are_refused() {
        let t = tree("", &format!("{SWAPS_HEADER}/dev/sdb1 partition 1048572 0 -2\n"));
        let view = SystemView::at(t.path());
        assert_eq!(
            check_block_device(DevNum { major: 8, minor: 16 }, &view),
            Err(Refusal::Swap { device: "/dev/sdb1".into() })
        );
        assert_eq!(
            check_block_device(DevNum { major: 8, minor: 1 }, &view),
            Err(Refusal::Partition { disk: Some("/dev/sda".into()) })
        );
        fs::write(t.path().join("sys/devices/pci/sda/ro"), "1\n").expect("write");
        assert_eq!(check_block_device(DevNum { major: 8, minor: 0 }, &view), Err(Refusal::ReadOnly));
    }

    #[test]
    fn dev_t_encoding() {
        // makedev(259, 65536) as glibc encodes it.
        let (major, minor) = (std::hint::black_box(259u64), std::hint::black_box(65536u64));
        let dev =
            ((major & 0xfff) << 8) | ((major & !0xfff) << 32) | (minor & 0xff) | ((minor & !0xff) << 12);
        assert_eq!(DevNum::from_dev_t(dev), DevNum { major: 259, minor: 65536 });
    }

    /// A minimal self-cleaning temporary directory (avoids a dependency for one use).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicU32, Ordering};

        pub struct TempTree(PathBuf);

        impl TempTree {
            pub fn new() -> Self {
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "sv-safety-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&p).expect("mkdir");
                TempTree(p)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for TempTree {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
