//! The checks that keep the wrong disk untouched.
//!
//! A wipe is refused, with a plain reason, for: anything that is neither a regular file nor a
//! whole-disk block device; a partition (name the whole disk); a disk holding the running system
//! or the live medium; a disk any of whose partitions or stacked devices (LVM, RAID, dm-crypt)
//! has a mounted file system or active swap; a read-only disk; a disk that belongs to another
//! machine, reached over the network (NBD, Ceph RBD, iSCSI, NVMe over TCP/RDMA/FC, a loop device
//! on a network file system) — so a PC booted from a bench server can never wipe the server's
//! disks or another PC's. The system is read through
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
    /// The disk is another machine's, reached over the network: never wiped from here.
    Remote {
        /// The device.
        device: String,
        /// What kind of network disk it is, in words.
        what: String,
    },
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
            Refusal::Remote { device, what } => write!(
                f,
                "is another machine's disk ({device} is {what}): a station wipes only the disks inside \
                 the PC it runs on"
            ),
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
    if let Some(what) = remote_kind(&name, &sys_dir, view) {
        return Err(Refusal::Remote { device: format!("/dev/{name}"), what });
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

/// File systems whose files live on another machine.
const NETWORK_FILE_SYSTEMS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "ceph",
    "glusterfs",
    "afs",
    "fuse.sshfs",
    "davfs",
    "fuse.davfs2",
];

/// Whether the whole disk `name` (its /sys directory `sys_dir`) is reached over the network, and
/// what it is then, in words. Read from /sys: the driver's name (nbd, rbd), an iSCSI session in
/// the device's path, an NVMe controller's transport, a loop device's backing file's file system.
fn remote_kind(name: &str, sys_dir: &Path, view: &SystemView) -> Option<String> {
    let digits_after = |prefix: &str| {
        name.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    if digits_after("nbd") {
        return Some("a network block device (NBD)".into());
    }
    if digits_after("rbd") {
        return Some("a Ceph network disk (RBD)".into());
    }
    // iSCSI disks sit under their session: /sys/devices/platform/host3/session1/target3:0:0/…
    let in_session = sys_dir.components().any(|c| {
        let c = c.as_os_str().to_string_lossy();
        c.strip_prefix("session").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    if in_session {
        return Some("an iSCSI disk".into());
    }
    if name.starts_with("nvme") {
        // A namespace's `device` is its controller; the controller's `transport` says how it is
        // reached: pcie (inside the PC), loop (a local target), or tcp, rdma, fc (the network).
        let transport = read_trimmed(&sys_dir.join("device/transport"))?;
        return matches!(transport.as_str(), "tcp" | "rdma" | "fc")
            .then(|| format!("an NVMe disk reached over the network (NVMe over {transport})"));
    }
    if digits_after("loop") {
        let backing = read_trimmed(&sys_dir.join("loop/backing_file"))?;
        let fs_type = file_system_of(Path::new(&backing), view)?;
        return NETWORK_FILE_SYSTEMS
            .contains(&fs_type.as_str())
            .then(|| format!("a loop device on a file of a network file system ({fs_type}: {backing})"));
    }
    None
}

/// The file system type of the mount holding `file` (the longest mount point that contains it).
fn file_system_of(file: &Path, view: &SystemView) -> Option<String> {
    let mountinfo = fs::read_to_string(view.path("proc/self/mountinfo")).ok()?;
    let mut best: Option<(usize, String)> = None;
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(mountpoint) = fields.get(4).map(|m| unescape_octal(m)) else { continue };
        let Some(fs_type) = line.split(" - ").nth(1).and_then(|rest| rest.split_whitespace().next()) else {
            continue;
        };
        if file.starts_with(&mountpoint) && best.as_ref().is_none_or(|(len, _)| mountpoint.len() >= *len) {
            best = Some((mountpoint.len(), fs_type.to_owned()));
        }
    }
    best.map(|(_, t)| t)
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

    /// Adds a whole disk `name` (`dev`) at `sys_rel` under the tree's /sys.
    fn add_disk(t: &tempdir::TempTree, sys_rel: &str, name: &str, dev: &str) -> PathBuf {
        let d = t.path().join(sys_rel).join(name);
        fs::create_dir_all(d.join("holders")).expect("mkdir");
        fs::write(d.join("dev"), format!("{dev}\n")).expect("write");
        fs::write(d.join("ro"), "0\n").expect("write");
        link(t.path(), &format!("sys/dev/block/{dev}"), &d);
        d
    }

    /// A PC booted from a bench server must never wipe a disk of the server or of another PC: a
    /// disk reached over the network is refused, whatever it is called and however it is attached.
    #[test]
    fn disks_of_other_machines_are_refused() {
        let t = tree(
            "22 1 0:20 / / rw - tmpfs tmpfs rw\n30 22 0:45 / /srv/share rw - nfs4 server:/export rw\n",
            SWAPS_HEADER,
        );
        let view = SystemView::at(t.path());
        let remote = |major, minor| match check_block_device(DevNum { major, minor }, &view) {
            Err(Refusal::Remote { device, what }) => format!("{device}: {what}"),
            other => panic!("{major}:{minor} not refused as remote: {other:?}"),
        };
        add_disk(&t, "sys/devices/virtual/block", "nbd0", "43:0");
        assert_eq!(remote(43, 0), "/dev/nbd0: a network block device (NBD)");
        add_disk(&t, "sys/devices/virtual/block", "rbd1", "252:0");
        assert!(remote(252, 0).contains("RBD"));
        add_disk(&t, "sys/devices/platform/host3/session1/target3:0:0/3:0:0:0/block", "sdc", "8:32");
        assert_eq!(remote(8, 32), "/dev/sdc: an iSCSI disk");
        let tcp = add_disk(&t, "sys/devices/virtual/nvme-fabrics/ctl/nvme1", "nvme1n1", "259:5");
        fs::create_dir_all(tcp.join("device")).expect("mkdir");
        fs::write(tcp.join("device/transport"), "tcp\n").expect("write");
        assert!(remote(259, 5).contains("NVMe over tcp"));
        let lo = add_disk(&t, "sys/devices/virtual/block", "loop7", "7:7");
        fs::create_dir_all(lo.join("loop")).expect("mkdir");
        fs::write(lo.join("loop/backing_file"), "/srv/share/pc2-disk.img\n").expect("write");
        assert!(remote(7, 7).contains("network file system (nfs4: /srv/share/pc2-disk.img)"));
        let err = check_block_device(DevNum { major: 7, minor: 7 }, &view).expect_err("refused");
        assert!(err.to_string().contains("only the disks inside the PC"), "{err}");
    }

    /// The same kinds of disk inside the PC stay allowed: a PCIe NVMe disk, a loop device on a
    /// local (here RAM) file system, a SCSI disk that is no iSCSI session's.
    #[test]
    fn local_nvme_and_loop_devices_stay_allowed() {
        let t = tree("22 1 0:20 / / rw - tmpfs tmpfs rw\n", SWAPS_HEADER);
        let view = SystemView::at(t.path());
        let pcie = add_disk(&t, "sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0", "nvme0n1", "259:0");
        fs::create_dir_all(pcie.join("device")).expect("mkdir");
        fs::write(pcie.join("device/transport"), "pcie\n").expect("write");
        assert!(matches!(
            check_block_device(DevNum { major: 259, minor: 0 }, &view),
            Ok(TargetKind::BlockDevice { .. })
        ));
        let lo = add_disk(&t, "sys/devices/virtual/block", "loop3", "7:3");
        fs::create_dir_all(lo.join("loop")).expect("mkdir");
        fs::write(lo.join("loop/backing_file"), "/tmp/disk.img\n").expect("write");
        assert!(matches!(
            check_block_device(DevNum { major: 7, minor: 3 }, &view),
            Ok(TargetKind::BlockDevice { .. })
        ));
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
