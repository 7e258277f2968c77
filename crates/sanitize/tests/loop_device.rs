//! Real block devices: a loop device this test creates, wiped through O_DIRECT, and refused
//! while mounted; and the disk holding this machine's root file system, refused (only looked
//! at: it is never opened for writing).
//!
//! Needs root (losetup, mkfs.ext4, mount). `scripts/test` sets SV_REQUIRE_ROOT_TESTS=1 when it
//! runs as root, so in CI a missing capability fails instead of skipping.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use certificate::SanitizeResult;
use sanitize::safety::{check_target, Refusal, SystemView, TargetKind};
use sanitize::{sanitize, BlockDevice as _, DeviceFile, WipeOptions};

fn can_run() -> bool {
    let root = fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false);
    let tools = ["losetup", "mkfs.ext4", "mount", "umount"].iter().all(|t| {
        Command::new("sh").arg("-c").arg(format!("command -v {t}")).output().is_ok_and(|o| o.status.success())
    });
    if root && tools {
        return true;
    }
    let why = if root { "losetup, mkfs.ext4 or mount missing" } else { "not root" };
    if std::env::var("SV_REQUIRE_ROOT_TESTS").as_deref() == Ok("1") {
        panic!("loop-device tests required but cannot run: {why}");
    }
    eprintln!("SKIPPED loop-device test: {why} (run ./scripts/test as root)");
    false
}

/// A loop device over a scratch file; detached and deleted on drop, even if the test fails.
struct Loop {
    dev: PathBuf,
    file: PathBuf,
    mountpoint: PathBuf,
}

impl Loop {
    fn new(name: &str, size: usize) -> Self {
        let file = std::env::temp_dir().join(format!("sv-loop-{name}-{}.img", std::process::id()));
        fs::write(&file, vec![0x42u8; size]).expect("backing file");
        let out = Command::new("losetup").args(["--find", "--show"]).arg(&file).output().expect("losetup");
        assert!(out.status.success(), "losetup: {}", String::from_utf8_lossy(&out.stderr));
        let dev = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let mountpoint = file.with_extension("mnt");
        Loop { dev, file, mountpoint }
    }

    fn mount(&self) {
        let ok = |c: &mut Command| assert!(c.status().expect("runs").success(), "{c:?}");
        ok(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&self.dev));
        fs::create_dir_all(&self.mountpoint).expect("mountpoint");
        ok(Command::new("mount").arg(&self.dev).arg(&self.mountpoint));
    }

    fn umount(&self) {
        let _ = Command::new("umount").arg(&self.mountpoint).stderr(std::process::Stdio::null()).status();
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        self.umount();
        let _ = fs::remove_dir(&self.mountpoint);
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
        let _ = fs::remove_file(&self.file);
    }
}

#[test]
fn a_loop_device_is_wiped_with_direct_io_and_refused_while_mounted() {
    if !can_run() {
        return;
    }
    let lo = Loop::new("wipe", 32 << 20);
    let view = SystemView::default();

    lo.mount();
    match check_target(&lo.dev, &view) {
        Err(Refusal::Mounted { mountpoint, .. }) => assert_eq!(Path::new(&mountpoint), lo.mountpoint),
        other => panic!("a mounted disk must be refused, got {other:?}"),
    }
    lo.umount();

    assert!(matches!(check_target(&lo.dev, &view), Ok(TargetKind::BlockDevice { .. })));
    let mut dev = DeviceFile::open(&lo.dev).expect("open loop device");
    assert!(dev.is_block_device());
    assert!(dev.is_direct(), "O_DIRECT is used on block devices");
    assert_eq!(dev.size(), 32 << 20);
    let record = sanitize(&mut dev, &WipeOptions::default(), &AtomicBool::new(false), |_| {});
    assert_eq!(record.result, SanitizeResult::Verified, "{record:?}");
    drop(dev);
    assert!(fs::read(&lo.file).expect("backing").iter().all(|&b| b == 0), "backing file holds only zeros");
}

#[test]
fn the_disk_holding_the_root_file_system_is_refused() {
    if !can_run() {
        return;
    }
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let Some(devnum) = mountinfo.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(4) == Some(&"/")).then(|| f[2].to_owned())
    }) else {
        panic!("no root mount in /proc/self/mountinfo");
    };
    let Ok(sys) = fs::canonicalize(format!("/sys/dev/block/{devnum}")) else {
        eprintln!("SKIPPED: the root file system ({devnum}) is not on a block device here");
        return;
    };
    // The whole disk: the partition's parent directory, or the device itself.
    let disk_sys =
        if sys.join("partition").exists() { sys.parent().expect("parent").to_owned() } else { sys };
    let name = disk_sys.file_name().expect("name").to_string_lossy().into_owned();
    let dev = PathBuf::from(format!("/dev/{name}"));
    if !dev.exists() {
        eprintln!("SKIPPED: {} does not exist", dev.display());
        return;
    }
    match check_target(&dev, &SystemView::default()) {
        Err(Refusal::SystemDisk { mountpoint, .. }) => assert_eq!(mountpoint, "/"),
        other => panic!("{} holds / and must be refused, got {other:?}", dev.display()),
    }
}
