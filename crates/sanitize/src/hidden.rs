//! Host Protected Areas the kernel lifted at boot. The live USB boots with
//! `libata.ignore_hpa=1`: libata then raises each ATA disk's max address to its native max when
//! it finds the disk (volatile: the disk is as before after power-off) and logs
//! `ataN.DD: HPA unlocked: BEFORE -> AFTER, native NATIVE` (sectors). The certificate records
//! those sizes, read back from the kernel log, so an auditor sees that the hidden sectors were
//! part of the wipe.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;

/// One lifted HPA, as the kernel logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpaLift {
    /// libata's name of the device: `ata3.00` (port 3, device 0).
    pub device: String,
    /// Sectors the disk showed before.
    pub before_sectors: u64,
    /// Sectors it shows now.
    pub after_sectors: u64,
    /// Its native number of sectors.
    pub native_sectors: u64,
}

impl HpaLift {
    /// The note the disk's record carries.
    pub fn note(&self) -> String {
        format!(
            "Host Protected Area lifted by the kernel at boot (libata.ignore_hpa=1, {}): {} -> {} sectors, native {}; the {} hidden sectors were wiped and verified with the rest",
            self.device,
            self.before_sectors,
            self.after_sectors,
            self.native_sectors,
            self.after_sectors.saturating_sub(self.before_sectors)
        )
    }
}

/// Every `HPA unlocked` line of a kernel log (dmesg text, syslog lines or /dev/kmsg records).
pub fn lifts_in_log(log: &str) -> Vec<HpaLift> {
    log.lines()
        .filter_map(|line| {
            let (head, tail) = line.split_once(": HPA unlocked: ")?;
            let device = head.rsplit([' ', ';', ']']).next()?.to_owned();
            if !device.starts_with("ata") {
                return None;
            }
            let (before, rest) = tail.split_once(" -> ")?;
            let (after, native) = rest.split_once(", native ")?;
            Some(HpaLift {
                device,
                before_sectors: before.trim().parse().ok()?,
                after_sectors: after.trim().parse().ok()?,
                native_sectors: native.trim().parse().ok()?,
            })
        })
        .collect()
}

/// libata's name (`ata3.00`) of the disk whose sysfs device path (the target of
/// `/sys/block/sda`, resolved) is `sys_path`: its `ataN` component and the target number of its
/// SCSI address `H:C:T:L` (libata gives each device of a port its own target).
pub fn ata_name(sys_path: &str) -> Option<String> {
    let parts: Vec<&str> = sys_path.split('/').collect();
    let port =
        parts.iter().find_map(|p| p.strip_prefix("ata").filter(|n| n.bytes().all(|b| b.is_ascii_digit())))?;
    let target = parts.iter().rev().find_map(|p| {
        let fields: Vec<&str> = p.split(':').collect();
        (fields.len() == 4 && fields.iter().all(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())))
            .then(|| fields[2].parse::<u32>().ok())
            .flatten()
    })?;
    Some(format!("ata{port}.{target:02}"))
}

/// The kernel's log as it is now, from /dev/kmsg (records `prio,seq,time,flags;message`), read
/// without waiting for new ones.
pub fn kernel_log() -> std::io::Result<String> {
    let mut kmsg = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open("/dev/kmsg")?;
    let mut out = String::new();
    let mut record = vec![0u8; 8192];
    loop {
        match kmsg.read(&mut record) {
            Ok(0) => break,
            Ok(n) => {
                out.push_str(&String::from_utf8_lossy(&record[..n]));
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            // Records overwritten while reading (the ring buffer wrapped): go on from the next.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of real kernel logs posted publicly (a dmesg, a syslog, a PATA slave).
    const LOG: &str = "\
[    1.524190] ata1.00: HPA unlocked: 488395055 -> 488397168, native 488397168
[    1.524194] ata1.00: ATA-7: ST3250410AS, 3.AAC, max UDMA/133
Jul 11 09:26:13 ubuntu-desktop kernel: [    1.441685] ata3.00: HPA unlocked: 976771055 -> 976773168, native 976773168
6,812,4536366,-;ata2.01: HPA unlocked: 241253376 -> 241254720, native 241254720
[    1.540297] ata1.00: configured for UDMA/133
";

    #[test]
    fn lifts_are_read_from_dmesg_syslog_and_kmsg_lines() {
        let lifts = lifts_in_log(LOG);
        assert_eq!(lifts.len(), 3);
        assert_eq!(
            lifts[0],
            HpaLift {
                device: "ata1.00".into(),
                before_sectors: 488_395_055,
                after_sectors: 488_397_168,
                native_sectors: 488_397_168
            }
        );
        assert_eq!(lifts[1].device, "ata3.00");
        assert_eq!(lifts[2].device, "ata2.01");
        assert!(lifts[0]
            .note()
            .contains("488395055 -> 488397168 sectors, native 488397168; the 2113 hidden sectors"));
        assert!(lifts_in_log("ata1.00: HPA detected: current 100, native 200\n").is_empty());
    }

    #[test]
    fn the_kernel_log_is_read_whole_without_waiting() {
        // Root reads /dev/kmsg (CI runs as root); others are refused by the kernel's
        // dmesg_restrict, which says nothing about this code.
        match kernel_log() {
            Ok(log) => assert!(log.lines().count() > 0 && log.contains(';'), "kmsg records: {log:.200}"),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => eprintln!("skipped: {e}"),
            Err(e) => panic!("reading /dev/kmsg: {e}"),
        }
    }

    #[test]
    fn the_ata_name_of_a_disk_from_its_sysfs_path() {
        assert_eq!(
            ata_name("/sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sda")
                .as_deref(),
            Some("ata3.00")
        );
        assert_eq!(
            ata_name("/sys/devices/pci0000:00/0000:00:01.1/ata2/host1/target1:0:1/1:0:1:0/block/sdd")
                .as_deref(),
            Some("ata2.01")
        );
        assert_eq!(ata_name("/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1"), None);
        assert_eq!(ata_name("/sys/devices/virtual/block/loop0"), None);
    }
}
