//! GPT post-steps on real loop devices: a small GPT image (BIOS boot partition, FAT ESP, ext4
//! root) is built with sgdisk, mkfs.vfat and mkfs.ext4, written by the pipeline onto a larger
//! loop device, then finished: backup GPT to the end, root grown, machine-id and hostname set,
//! boot checks. Everything is detached and deleted on drop.
//!
//! Needs root (losetup, mount). `scripts/test` sets SV_REQUIRE_ROOT_TESTS=1 as root, so in CI a
//! missing tool fails instead of skipping.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Scratch;
use imaging::post::{partition_path, run_post_steps, PostOptions};
use imaging::{write_image, BootMode, ImageJob, ImageSource, ImagingError, StepOutcome};
use sanitize::DeviceFile;

const TOOLS: &[&str] = &[
    "losetup",
    "sgdisk",
    "mkfs.ext4",
    "mkfs.vfat",
    "mount",
    "umount",
    "blockdev",
    "e2fsck",
    "resize2fs",
    "dumpe2fs",
];

fn can_run() -> bool {
    let root = fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false);
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| {
            !Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {t}"))
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if root && missing.is_empty() {
        return true;
    }
    let why = if root { format!("missing tools: {}", missing.join(", ")) } else { "not root".into() };
    if std::env::var("SV_REQUIRE_ROOT_TESTS").as_deref() == Ok("1") {
        panic!("post-step tests required but cannot run: {why}");
    }
    eprintln!("SKIPPED post-step test: {why} (run ./scripts/test as root)");
    false
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    assert!(out.status.success(), "{c:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A loop device with partition scanning over `file`; detached on drop.
struct Loop {
    dev: PathBuf,
}

impl Loop {
    fn attach(file: &Path) -> Self {
        let dev = ok(Command::new("losetup").args(["--find", "--show", "--partscan"]).arg(file));
        Loop { dev: PathBuf::from(dev.trim()) }
    }

    fn name(&self) -> String {
        self.dev.file_name().expect("name").to_string_lossy().into_owned()
    }

    fn part(&self, n: u32) -> PathBuf {
        let p = partition_path(&self.name(), n);
        for _ in 0..100 {
            if p.exists() {
                return p;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("{} did not appear", p.display());
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
    }
}

/// Mounted in a scratch directory; unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn new(dev: &Path, at: PathBuf) -> Self {
        fs::create_dir_all(&at).expect("mount point");
        ok(Command::new("mount").arg(dev).arg(&at));
        Mount(at)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A 64 MiB GPT image: 1 BIOS boot (1 MiB), 2 ESP (16 MiB, FAT), 3 root (ext4, the rest).
fn build_image(s: &Scratch, uefi_loader: bool, boot_code: bool) -> PathBuf {
    let image = s.path("built.img");
    fs::File::create(&image).expect("image").set_len(64 << 20).expect("size");
    {
        let lo = Loop::attach(&image);
        ok(Command::new("sgdisk")
            .args([
                "-n",
                "1:2048:+1M",
                "-t",
                "1:EF02",
                "-n",
                "2:0:+16M",
                "-t",
                "2:EF00",
                "-n",
                "3:0:0",
                "-t",
                "3:8300",
            ])
            .arg(&lo.dev));
        ok(Command::new("partx").arg("-a").arg(&lo.dev));
        fs::write(lo.part(1), b"fake GRUB core image".repeat(100)).expect("core image");
        ok(Command::new("mkfs.vfat").arg(lo.part(2)));
        if uefi_loader {
            // mtools rather than a mount: some kernels (containers) have no FAT driver.
            let loader = s.file("loader.efi", b"MZ fake loader");
            let esp = lo.part(2);
            ok(Command::new("mmd")
                .env("MTOOLS_SKIP_CHECK", "1")
                .arg("-i")
                .arg(&esp)
                .args(["::/EFI", "::/EFI/BOOT"]));
            ok(Command::new("mcopy")
                .env("MTOOLS_SKIP_CHECK", "1")
                .arg("-i")
                .arg(&esp)
                .arg(&loader)
                .arg("::/EFI/BOOT/bootx64.efi"));
        }
        let rootdir = s.path("rootdir");
        fs::create_dir_all(rootdir.join("etc")).expect("etc");
        fs::write(rootdir.join("etc/machine-id"), "uninitialized\n").expect("machine-id");
        fs::write(rootdir.join("etc/hostname"), "debian\n").expect("hostname");
        fs::write(rootdir.join("etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n").expect("hosts");
        ok(Command::new("mkfs.ext4").args(["-q", "-F", "-d"]).arg(&rootdir).arg(lo.part(3)));
    }
    if boot_code {
        let mut bytes = fs::read(&image).expect("image");
        let code = b"\xEB\x63\x90GRUB boot code";
        bytes[..code.len()].copy_from_slice(code);
        bytes[code.len()..440].fill(0x90);
        fs::write(&image, bytes).expect("boot code");
    }
    image
}

/// Writes `image` onto a fresh 128 MiB loop device with the pipeline.
fn imaged_disk(s: &Scratch, image: &Path) -> Loop {
    let backing = s.path("disk.img");
    fs::File::create(&backing).expect("disk").set_len(128 << 20).expect("size");
    let lo = Loop::attach(&backing);
    let mut dev = DeviceFile::open(&lo.dev).expect("open loop");
    let record = write_image(&ImageJob::new(ImageSource::File(image.to_owned())), &mut dev, &mut |_| {})
        .expect("image written");
    assert_eq!(record.image_size, 64 << 20);
    lo
}

fn both() -> Vec<BootMode> {
    vec![BootMode::Bios, BootMode::Uefi]
}

#[test]
fn a_gpt_image_is_finished_on_a_larger_disk() {
    if !can_run() {
        return;
    }
    let s = Scratch::new("post");
    let image = build_image(&s, true, true);
    let lo = imaged_disk(&s, &image);
    let steps =
        run_post_steps(&lo.dev, &PostOptions { hostname: Some("atelier-7".into()), boot_modes: both() })
            .expect("post-steps");
    let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        names,
        ["gpt-backup-to-end", "grow-root", "machine-id", "hostname", "efi-fallback", "bios-boot-code"]
    );
    assert!(steps.iter().all(|s| s.outcome == StepOutcome::Done), "{steps:#?}");
    assert!(steps[5].detail.contains("GRUB"), "{}", steps[5].detail);

    // The table is valid with its backup at the end, and partition 3 reaches it.
    let verify = ok(Command::new("sgdisk").arg("-v").arg(&lo.dev));
    assert!(verify.contains("No problems found"), "{verify}");
    let last_sector = (128u64 << 20) / 512 - 1;
    let info = ok(Command::new("sgdisk").args(["-i", "3"]).arg(&lo.dev));
    let last: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("Last sector: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("last sector");
    assert_eq!(last, last_sector - 33, "{info}");

    // The file system fills the partition, and the identity was written.
    let dump = ok(Command::new("dumpe2fs").arg("-h").arg(lo.part(3)));
    let field = |name: &str| -> u64 {
        dump.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {dump}"))
    };
    let fs_bytes = field("Block count:") * field("Block size:");
    assert!(fs_bytes > 100 << 20, "ext4 grown to {fs_bytes} bytes");
    let m = Mount::new(&lo.part(3), s.path("check"));
    let id = fs::read_to_string(m.0.join("etc/machine-id")).expect("machine-id");
    assert_eq!(id.trim().len(), 32, "{id:?}");
    assert!(steps[2].detail.contains(id.trim()));
    assert_eq!(fs::read_to_string(m.0.join("etc/hostname")).expect("hostname"), "atelier-7\n");
    let hosts = fs::read_to_string(m.0.join("etc/hosts")).expect("hosts");
    assert_eq!(hosts, "127.0.0.1\tlocalhost\n127.0.1.1\tatelier-7\n");
    drop(m);

    // Running again changes nothing in the table and says so.
    let again = run_post_steps(&lo.dev, &PostOptions { hostname: None, boot_modes: both() }).expect("again");
    assert!(again[0].detail.contains("already"), "{}", again[0].detail);
    assert!(again[1].detail.contains("already"), "{}", again[1].detail);
    assert_eq!(again[3].outcome, StepOutcome::Skipped);
}

#[test]
fn a_missing_uefi_loader_or_bios_boot_code_is_a_clear_error() {
    if !can_run() {
        return;
    }
    let s = Scratch::new("post-missing");
    let image = build_image(&s, false, false);
    {
        let lo = imaged_disk(&s, &image);
        let err = run_post_steps(&lo.dev, &PostOptions { hostname: None, boot_modes: vec![BootMode::Uefi] })
            .expect_err("no BOOTX64.EFI");
        assert!(matches!(&err, ImagingError::PostStep { step, .. } if step == "efi-fallback"), "{err}");
        assert!(err.to_string().contains("BOOTX64.EFI"), "{err}");
    }
    let lo = imaged_disk(&s, &image);
    let err = run_post_steps(&lo.dev, &PostOptions { hostname: None, boot_modes: vec![BootMode::Bios] })
        .expect_err("no boot code");
    assert!(matches!(&err, ImagingError::PostStep { step, .. } if step == "bios-boot-code"), "{err}");
}
