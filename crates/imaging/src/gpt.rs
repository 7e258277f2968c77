//! Just enough of the GUID Partition Table (UEFI 2.10 §5.3) to finish a written image: read the
//! primary header and entries, move the backup structures to the disk's real end, and grow the
//! last partition. Pure functions on byte buffers; [`crate::post`] does the I/O.
//!
//! An image made for an 8 GB disk and written to a 500 GB one has its backup header at 8 GB, in
//! the middle of the disk, where firmware that checks it (and `sgdisk -v`) complain; and its
//! root partition stops at 8 GB.

use crate::error::{ImagingError, Result};

/// "EFI PART".
pub const SIGNATURE: &[u8; 8] = b"EFI PART";
/// EFI system partition type GUID, C12A7328-F81F-11D2-BA4B-00A0C93EC93B (UEFI §5.3.3).
pub const ESP_TYPE: &str = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
/// BIOS boot partition type GUID (GRUB's core image for legacy boot), 21686148-6449-6E6F-744E-656564454649.
pub const BIOS_BOOT_TYPE: &str = "21686148-6449-6e6f-744e-656564454649";

/// CRC-32 as GPT uses it (ISO-HDLC: reflected polynomial 0xEDB88320, init and final xor all ones).
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    !data.iter().fold(!0u32, |c, &b| TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn bad(message: impl Into<String>) -> ImagingError {
    ImagingError::PostStep { step: "gpt".into(), message: message.into() }
}

/// A GPT header (primary or backup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header sector as read (its `HeaderSize` bytes are what the CRC covers).
    pub raw: Vec<u8>,
    /// This header's LBA.
    pub my_lba: u64,
    /// The other header's LBA.
    pub alternate_lba: u64,
    /// First LBA a partition may use.
    pub first_usable: u64,
    /// Last LBA a partition may use.
    pub last_usable: u64,
    /// LBA of this header's partition entry array.
    pub entries_lba: u64,
    /// Number of entries.
    pub entry_count: u32,
    /// Size of one entry (128 in practice).
    pub entry_size: u32,
    /// CRC-32 of the entry array.
    pub entries_crc: u32,
}

impl Header {
    /// Parses and checks a header sector (signature, size, CRC).
    pub fn parse(sector: &[u8]) -> Result<Self> {
        if sector.len() < 92 || &sector[..8] != SIGNATURE {
            return Err(bad("no GPT header at LBA 1 (not a GPT disk)"));
        }
        let size = u32_at(sector, 12) as usize;
        if !(92..=sector.len()).contains(&size) {
            return Err(bad(format!("GPT header size {size} is invalid")));
        }
        let mut copy = sector[..size].to_vec();
        copy[16..20].fill(0);
        if crc32(&copy) != u32_at(sector, 16) {
            return Err(bad("the GPT header's CRC does not match: the table is damaged"));
        }
        let h = Header {
            raw: sector.to_vec(),
            my_lba: u64_at(sector, 24),
            alternate_lba: u64_at(sector, 32),
            first_usable: u64_at(sector, 40),
            last_usable: u64_at(sector, 48),
            entries_lba: u64_at(sector, 72),
            entry_count: u32_at(sector, 80),
            entry_size: u32_at(sector, 84),
            entries_crc: u32_at(sector, 88),
        };
        if h.entry_size < 128 || h.entry_count == 0 || h.entry_count > 4096 {
            return Err(bad(format!(
                "{} entries of {} bytes is not a sane GPT",
                h.entry_count, h.entry_size
            )));
        }
        Ok(h)
    }

    /// Bytes of the entry array.
    pub fn entries_len(&self) -> usize {
        self.entry_count as usize * self.entry_size as usize
    }

    /// This header's sector with new locations and CRCs.
    pub fn with(
        &self,
        my_lba: u64,
        alternate_lba: u64,
        last_usable: u64,
        entries_lba: u64,
        entries_crc: u32,
    ) -> Vec<u8> {
        let mut s = self.raw.clone();
        s[24..32].copy_from_slice(&my_lba.to_le_bytes());
        s[32..40].copy_from_slice(&alternate_lba.to_le_bytes());
        s[48..56].copy_from_slice(&last_usable.to_le_bytes());
        s[72..80].copy_from_slice(&entries_lba.to_le_bytes());
        s[88..92].copy_from_slice(&entries_crc.to_le_bytes());
        let size = u32_at(&s, 12) as usize;
        s[16..20].fill(0);
        let crc = crc32(&s[..size]);
        s[16..20].copy_from_slice(&crc.to_le_bytes());
        s
    }
}

/// One used partition entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// 1-based number (index in the array + 1), as Linux names it (`sda3`).
    pub number: u32,
    /// Type GUID, lowercase text form.
    pub type_guid: String,
    /// First LBA.
    pub first_lba: u64,
    /// Last LBA, inclusive.
    pub last_lba: u64,
}

/// GUID bytes (mixed-endian, UEFI Appendix A) to text.
pub fn guid_text(b: &[u8]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        b[8],
        b[9],
        hex::encode(&b[10..16])
    )
}

/// The used entries of an entry array, after checking its CRC against the header.
pub fn partitions(header: &Header, entries: &[u8]) -> Result<Vec<Partition>> {
    let entries = &entries[..header.entries_len()];
    if crc32(entries) != header.entries_crc {
        return Err(bad("the GPT partition entries' CRC does not match: the table is damaged"));
    }
    Ok(entries
        .chunks(header.entry_size as usize)
        .enumerate()
        .filter(|(_, e)| e[..16].iter().any(|&b| b != 0))
        .map(|(i, e)| Partition {
            number: i as u32 + 1,
            type_guid: guid_text(&e[..16]),
            first_lba: u64_at(e, 32),
            last_lba: u64_at(e, 40),
        })
        .collect())
}

/// Sets the last LBA of entry `number` in an entry array.
pub fn set_last_lba(header: &Header, entries: &mut [u8], number: u32, last_lba: u64) {
    let at = (number as usize - 1) * header.entry_size as usize + 40;
    entries[at..at + 8].copy_from_slice(&last_lba.to_le_bytes());
}

/// Sectors the entry array occupies.
pub fn entries_sectors(header: &Header, sector: usize) -> u64 {
    header.entries_len().div_ceil(sector) as u64
}

/// Updates a protective MBR's 0xEE partition to cover the disk (UEFI §5.2.3); leaves any other
/// MBR (hybrid) alone. Returns whether it changed.
pub fn fix_protective_mbr(mbr: &mut [u8], disk_sectors: u64) -> bool {
    let entry = 446;
    if mbr[510..512] != [0x55, 0xAA] || mbr[entry + 4] != 0xEE {
        return false;
    }
    let size = (disk_sectors - 1).min(u32::MAX as u64) as u32;
    if u32_at(mbr, entry + 12) == size {
        return false;
    }
    mbr[entry + 12..entry + 16].copy_from_slice(&size.to_le_bytes());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn guids_print_in_mixed_endian_text_form() {
        // The ESP type GUID as stored on disk.
        let bytes =
            [0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B];
        assert_eq!(guid_text(&bytes), ESP_TYPE);
    }

    #[test]
    fn a_header_survives_relocation_with_a_valid_crc() {
        let mut s = vec![0u8; 512];
        s[..8].copy_from_slice(SIGNATURE);
        s[12..16].copy_from_slice(&92u32.to_le_bytes());
        s[80..84].copy_from_slice(&128u32.to_le_bytes());
        s[84..88].copy_from_slice(&128u32.to_le_bytes());
        let crc = crc32(&s[..92]);
        s[16..20].copy_from_slice(&crc.to_le_bytes());
        let h = Header::parse(&s).expect("valid");
        let moved = Header::parse(&h.with(1, 9999, 9966, 2, 7)).expect("still valid");
        assert_eq!((moved.alternate_lba, moved.last_usable, moved.entries_crc), (9999, 9966, 7));
        let mut broken = moved.raw.clone();
        broken[40] ^= 1;
        assert!(Header::parse(&broken).is_err());
    }
}
