//! Post-steps on a GPT image just written to a block device (as root):
//!
//! 1. `gpt-backup-to-end`: the backup GPT header and entries move to the disk's last sectors,
//!    the protective MBR is made to cover the disk (UEFI 2.10 §5.2.3, §5.3.2).
//! 2. `grow-root`: the last partition (the root file system) is grown to the last usable sector,
//!    the kernel re-reads the table (`blockdev --rereadpt`), and an ext2/3/4 file system in it is
//!    checked and grown (`e2fsck -f`, `resize2fs`).
//! 3. `machine-id` and `hostname`: the root file system is mounted in a temporary directory and
//!    gets a fresh `/etc/machine-id` (machine-id(5): 32 lowercase hex digits, a random v4 UUID)
//!    and, when given, `/etc/hostname` and the `127.0.1.1` line of `/etc/hosts` (Debian's habit).
//! 4. `efi-fallback`: the EFI system partition (read with mtools, not mounted) holds `\EFI\BOOT\BOOTX64.EFI`, the removable-media
//!    path (UEFI §3.5.1.1) that UEFI machines boot without any NVRAM entry.
//! 5. `bios-boot-code`: the MBR carries boot code and the 0x55AA signature, and a BIOS boot
//!    partition, when present, is not empty (GRUB's core image).
//!
//! Each step is recorded; a failure is an error naming the step. The GPT edits are our own code
//! ([`crate::gpt`]); growing the file system is e2fsprogs' job.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sanitize::{BlockDevice as _, DeviceFile};

use crate::error::{ImagingError, Result};
use crate::gpt::{self, Header, Partition};
use crate::manifest::BootMode;
use crate::record::{PostStepRecord, StepOutcome};

/// What the post-steps need to know.
#[derive(Debug, Clone)]
pub struct PostOptions {
    /// Hostname for the written system (the unit's label); none leaves the image's.
    pub hostname: Option<String>,
    /// Boot modes the image claims: the matching checks are required, the others skipped.
    pub boot_modes: Vec<BootMode>,
}

fn fail(step: &str, message: impl Into<String>) -> ImagingError {
    ImagingError::PostStep { step: step.into(), message: message.into() }
}

fn done(step: &str, detail: impl Into<String>) -> PostStepRecord {
    PostStepRecord { step: step.into(), outcome: StepOutcome::Done, detail: detail.into() }
}

fn skipped(step: &str, detail: impl Into<String>) -> PostStepRecord {
    PostStepRecord { step: step.into(), outcome: StepOutcome::Skipped, detail: detail.into() }
}

/// Runs a tool; its stderr makes the error message.
fn tool(step: &str, program: &str, args: &[&str], ok_codes: &[i32]) -> Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| fail(step, format!("cannot run {program}: {e} (is it installed?)")))?;
    match out.status.code() {
        Some(c) if ok_codes.contains(&c) => Ok(()),
        code => Err(fail(
            step,
            format!(
                "{program} {} failed ({}): {}",
                args.join(" "),
                code.map_or("killed".into(), |c| format!("exit {c}")),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        )),
    }
}

/// A hostname as RFC 1123 §2.1 allows one label: letters, digits, hyphens, not at the ends.
pub fn check_hostname(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(fail(
            "hostname",
            format!("{name:?} is not a valid hostname (letters, digits, inner hyphens, at most 63)"),
        ))
    }
}

/// A fresh machine id: a random version-4 UUID as 32 lowercase hex digits (machine-id(5)).
pub fn new_machine_id() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| fail("machine-id", format!("no randomness: {e}")))?;
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    Ok(hex::encode(b))
}

fn kernel_name(disk: &Path) -> Result<String> {
    let real = fs::canonicalize(disk).map_err(|e| fail("gpt", format!("{}: {e}", disk.display())))?;
    real.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| fail("gpt", format!("{} has no name", disk.display())))
}

fn logical_sector_size(name: &str) -> usize {
    fs::read_to_string(format!("/sys/class/block/{name}/queue/logical_block_size"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(512)
}

/// `/dev/sda` + 3 → `/dev/sda3`; `/dev/nvme0n1`, `/dev/loop0`, `/dev/mmcblk0` + 3 → `…p3`.
pub fn partition_path(name: &str, number: u32) -> PathBuf {
    let sep = if name.ends_with(|c: char| c.is_ascii_digit()) { "p" } else { "" };
    PathBuf::from(format!("/dev/{name}{sep}{number}"))
}

/// Waits until the kernel shows partition `number` with `sectors` 512-byte sectors (after a
/// re-read, udev or devtmpfs needs a moment).
fn wait_for_partition(step: &str, name: &str, number: u32, sectors: Option<u64>) -> Result<PathBuf> {
    let dev = partition_path(name, number);
    let part_name = dev.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let size_file = format!("/sys/class/block/{part_name}/size");
    for _ in 0..100 {
        let size: Option<u64> = fs::read_to_string(&size_file).ok().and_then(|s| s.trim().parse().ok());
        if dev.exists() && size.is_some() && (sectors.is_none() || size == sectors) {
            return Ok(dev);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(fail(
        step,
        format!(
            "the kernel does not show {} with the expected size after re-reading the table",
            dev.display()
        ),
    ))
}

fn io_err(step: &str, what: &str, e: std::io::Error) -> ImagingError {
    fail(step, format!("{what}: {e}"))
}

/// Tells the kernel about the table just written. BLKRRPART (`blockdev --rereadpt`) re-reads
/// everything but is refused while a partition is in use, and some kernels (loop devices in
/// containers) ignore it; BLKPG (`partx -u`, `partx -a`) updates and adds partitions one by one.
/// Failures are not errors here: [`wait_for_partition`] checks the outcome and names it.
fn refresh_partitions(disk: &Path) {
    let disk = disk.to_string_lossy();
    for args in [&["blockdev", "--rereadpt"][..], &["partx", "-u"], &["partx", "-a"]] {
        let _ =
            Command::new(args[0]).args(&args[1..]).arg(&*disk).stderr(std::process::Stdio::null()).status();
    }
}

/// A file system mounted in a temporary directory; unmounted and removed on drop.
struct Mounted {
    dir: PathBuf,
}

impl Mounted {
    fn new(step: &str, dev: &Path, fstype: &str, read_only: bool) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "sv-imaging-mnt-{}-{}",
            std::process::id(),
            dev.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        fs::create_dir_all(&dir).map_err(|e| io_err(step, "mount point", e))?;
        let opts = if read_only { "ro" } else { "rw" };
        let (dev_s, dir_s) = (dev.to_string_lossy(), dir.to_string_lossy());
        if let Err(e) = tool(step, "mount", &["-t", fstype, "-o", opts, &dev_s, &dir_s], &[0]) {
            let _ = fs::remove_dir(&dir);
            return Err(e);
        }
        Ok(Mounted { dir })
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = fs::remove_dir(&self.dir);
    }
}

/// Runs the post-steps on `disk` (a whole-disk block device that was just imaged).
pub fn run_post_steps(disk: &Path, options: &PostOptions) -> Result<Vec<PostStepRecord>> {
    if let Some(h) = &options.hostname {
        check_hostname(h)?;
    }
    let name = kernel_name(disk)?;
    let sector = logical_sector_size(&name);
    let mut steps = Vec::new();
    let mut dev = DeviceFile::open(disk).map_err(|e| io_err("gpt", &disk.display().to_string(), e))?;
    let disk_sectors = dev.size() / sector as u64;

    let read = |dev: &mut DeviceFile, lba: u64, len: usize, step: &str| -> Result<Vec<u8>> {
        let mut b = vec![0u8; len];
        dev.read_exact_at(&mut b, lba * sector as u64)
            .map_err(|e| io_err(step, &format!("reading LBA {lba}"), e))?;
        Ok(b)
    };
    let mut mbr = read(&mut dev, 0, sector, "gpt")?;
    let header = Header::parse(&read(&mut dev, 1, sector, "gpt")?)?;
    let es = gpt::entries_sectors(&header, sector);
    let mut entries = read(&mut dev, header.entries_lba, es as usize * sector, "gpt")?;
    let parts = gpt::partitions(&header, &entries)?;

    // 1 and 2 (table part): new locations, the last partition grown, written backup first so
    // the primary stays valid until the very last write.
    let new_alt = disk_sectors - 1;
    let new_backup_entries = new_alt - es;
    let new_last_usable = new_backup_entries - 1;
    if header.alternate_lba > new_alt || header.last_usable > new_last_usable {
        return Err(fail("gpt-backup-to-end", "the table describes a disk larger than this one"));
    }
    let last: Partition = parts
        .iter()
        .max_by_key(|p| p.last_lba)
        .cloned()
        .ok_or_else(|| fail("grow-root", "the GPT has no partition"))?;
    let grow = last.last_lba < new_last_usable;
    if grow {
        gpt::set_last_lba(&header, &mut entries, last.number, new_last_usable);
    }
    let moved = header.alternate_lba != new_alt;
    if moved || grow {
        let crc = gpt::crc32(&entries[..header.entries_len()]);
        let backup = header.with(new_alt, 1, new_last_usable, new_backup_entries, crc);
        let primary = header.with(1, new_alt, new_last_usable, header.entries_lba, crc);
        let write = |dev: &mut DeviceFile, lba: u64, b: &[u8], step: &str| {
            dev.write_all_at(b, lba * sector as u64)
                .map_err(|e| io_err(step, &format!("writing LBA {lba}"), e))
        };
        write(&mut dev, new_backup_entries, &entries, "gpt-backup-to-end")?;
        write(&mut dev, new_alt, &backup, "gpt-backup-to-end")?;
        write(&mut dev, header.entries_lba, &entries, "gpt-backup-to-end")?;
        write(&mut dev, 1, &primary, "gpt-backup-to-end")?;
        if moved && header.alternate_lba < new_alt && header.alternate_lba > 1 {
            // The old backup header now lies in free space: erase it so no tool mistakes it.
            write(&mut dev, header.alternate_lba, &vec![0u8; sector], "gpt-backup-to-end")?;
        }
        if gpt::fix_protective_mbr(&mut mbr, disk_sectors) {
            write(&mut dev, 0, &mbr, "gpt-backup-to-end")?;
        }
        dev.flush().map_err(|e| io_err("gpt-backup-to-end", "flush", e))?;
    }
    steps.push(if moved {
        done(
            "gpt-backup-to-end",
            format!("backup GPT moved from LBA {} to LBA {new_alt}", header.alternate_lba),
        )
    } else {
        done("gpt-backup-to-end", format!("backup GPT already at the last LBA {new_alt}"))
    });
    drop(dev);

    refresh_partitions(disk);
    let sectors_512 = |first: u64, last: u64| (last - first + 1) * sector as u64 / 512;
    let root = wait_for_partition(
        "grow-root",
        &name,
        last.number,
        Some(sectors_512(last.first_lba, new_last_usable.max(last.last_lba))),
    )?;
    let is_ext = {
        let mut sb = [0u8; 2];
        let mut d =
            DeviceFile::open(&root).map_err(|e| io_err("grow-root", &root.display().to_string(), e))?;
        d.read_exact_at(&mut sb, 1024 + 56).map_err(|e| io_err("grow-root", "reading the superblock", e))?;
        sb == [0x53, 0xEF]
    };
    let mib = |first: u64, last: u64| (last - first + 1) * sector as u64 / (1 << 20);
    if !is_ext {
        return Err(fail("grow-root", format!("partition {} holds no ext2/3/4 file system", last.number)));
    }
    let root_s = root.to_string_lossy().into_owned();
    if grow {
        // resize2fs wants a freshly checked file system; e2fsck exits 1 when it fixed something.
        tool("grow-root", "e2fsck", &["-f", "-y", &root_s], &[0, 1])?;
        tool("grow-root", "resize2fs", &[&root_s], &[0])?;
        steps.push(done(
            "grow-root",
            format!(
                "partition {} grown from {} MiB to {} MiB, ext4 resized",
                last.number,
                mib(last.first_lba, last.last_lba),
                mib(last.first_lba, new_last_usable)
            ),
        ));
    } else {
        steps.push(done(
            "grow-root",
            format!("partition {} already ends at the last usable LBA", last.number),
        ));
    }

    // 3: identity of the new system.
    {
        let m = Mounted::new("machine-id", &root, "ext4", false)?;
        let etc = m.dir.join("etc");
        if !etc.is_dir() {
            return Err(fail(
                "machine-id",
                format!("partition {} has no /etc: not a root file system", last.number),
            ));
        }
        let id = new_machine_id()?;
        fs::write(etc.join("machine-id"), format!("{id}\n"))
            .map_err(|e| io_err("machine-id", "/etc/machine-id", e))?;
        let dbus = m.dir.join("var/lib/dbus/machine-id");
        if fs::symlink_metadata(&dbus).is_ok_and(|m| m.file_type().is_file()) {
            fs::write(&dbus, format!("{id}\n"))
                .map_err(|e| io_err("machine-id", "/var/lib/dbus/machine-id", e))?;
        }
        steps.push(done("machine-id", format!("/etc/machine-id set to {id}")));
        match &options.hostname {
            Some(h) => {
                fs::write(etc.join("hostname"), format!("{h}\n"))
                    .map_err(|e| io_err("hostname", "/etc/hostname", e))?;
                let hosts = etc.join("hosts");
                let old = fs::read_to_string(&hosts).unwrap_or_else(|_| "127.0.0.1\tlocalhost\n".into());
                let mut lines: Vec<String> =
                    old.lines().filter(|l| !l.starts_with("127.0.1.1")).map(str::to_owned).collect();
                let at = lines.iter().position(|l| l.starts_with("127.0.0.1")).map_or(0, |i| i + 1);
                lines.insert(at, format!("127.0.1.1\t{h}"));
                fs::write(&hosts, lines.join("\n") + "\n")
                    .map_err(|e| io_err("hostname", "/etc/hosts", e))?;
                steps.push(done("hostname", format!("hostname set to {h}")));
            }
            None => steps.push(skipped("hostname", "no hostname given: the image's is kept")),
        }
    }

    // 4: UEFI fallback loader.
    if options.boot_modes.contains(&BootMode::Uefi) {
        let esp = parts.iter().find(|p| p.type_guid == gpt::ESP_TYPE).ok_or_else(|| {
            fail("efi-fallback", "the image claims UEFI boot but has no EFI system partition")
        })?;
        let esp_dev = wait_for_partition("efi-fallback", &name, esp.number, None)?;
        let size = fat_file_size(&esp_dev, "::/EFI/BOOT/BOOTX64.EFI")?;
        if size == 0 {
            return Err(fail(
                "efi-fallback",
                format!("\\EFI\\BOOT\\BOOTX64.EFI is missing or empty on partition {}: UEFI machines without an NVRAM entry will not boot", esp.number),
            ));
        }
        steps.push(done(
            "efi-fallback",
            format!("\\EFI\\BOOT\\BOOTX64.EFI present on partition {} ({size} bytes)", esp.number),
        ));
    } else {
        steps.push(skipped("efi-fallback", "the image does not claim UEFI boot"));
    }

    // 5: legacy BIOS boot code.
    if options.boot_modes.contains(&BootMode::Bios) {
        if mbr[510..512] != [0x55, 0xAA] || mbr[..440].iter().all(|&b| b == 0) {
            return Err(fail("bios-boot-code", "the MBR holds no boot code: BIOS machines will not boot"));
        }
        let grub = mbr[..440].windows(4).any(|w| w == b"GRUB");
        let mut detail = format!("MBR boot code present{}", if grub { " (GRUB)" } else { "" });
        if let Some(p) = parts.iter().find(|p| p.type_guid == gpt::BIOS_BOOT_TYPE) {
            let mut dev = DeviceFile::open(disk).map_err(|e| io_err("bios-boot-code", "reopen", e))?;
            let first = read(&mut dev, p.first_lba, sector, "bios-boot-code")?;
            if first.iter().all(|&b| b == 0) {
                return Err(fail(
                    "bios-boot-code",
                    format!("the BIOS boot partition {} is empty: GRUB's core image is missing", p.number),
                ));
            }
            detail.push_str(&format!(", BIOS boot partition {} holds a core image", p.number));
        }
        steps.push(done("bios-boot-code", detail));
    } else {
        steps.push(skipped("bios-boot-code", "the image does not claim BIOS boot"));
    }
    Ok(steps)
}

/// Size of a file on a FAT file system (0 when absent), read with mtools rather than a mount:
/// no kernel FAT driver needed, nothing mounted, and names match without regard to case as FAT
/// wants.
fn fat_file_size(partition: &Path, path: &str) -> Result<u64> {
    let step = "efi-fallback";
    let copy = std::env::temp_dir().join(format!("sv-imaging-esp-{}.bin", std::process::id()));
    let _ = fs::remove_file(&copy);
    let out = Command::new("mcopy")
        .env("MTOOLS_SKIP_CHECK", "1")
        .arg("-n")
        .arg("-i")
        .arg(partition)
        .arg(path)
        .arg(&copy)
        .output()
        .map_err(|e| fail(step, format!("cannot run mcopy: {e} (install mtools)")))?;
    let size = fs::metadata(&copy).map_or(0, |m| m.len());
    let _ = fs::remove_file(&copy);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && !stderr.contains("not found") {
        return Err(fail(
            step,
            format!("reading the EFI system partition {}: {}", partition.display(), stderr.trim()),
        ));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_follow_rfc_1123() {
        for ok in ["atelier-17", "pc42", "A"] {
            assert!(check_hostname(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "x-", "a b", "é", "a.b", &"x".repeat(64)] {
            assert!(check_hostname(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn machine_ids_are_v4_uuids_in_machine_id_form() {
        let id = new_machine_id().expect("random");
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(&id[12..13], "4");
        assert_ne!(id, new_machine_id().expect("random"));
    }

    #[test]
    fn partition_names_follow_the_kernel() {
        assert_eq!(partition_path("sda", 3), PathBuf::from("/dev/sda3"));
        assert_eq!(partition_path("nvme0n1", 2), PathBuf::from("/dev/nvme0n1p2"));
        assert_eq!(partition_path("loop7", 1), PathBuf::from("/dev/loop7p1"));
    }
}
