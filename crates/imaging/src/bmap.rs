//! bmap files: bmaptool's XML block map, format version 2.x.
//!
//! A bmap lists the blocks of a raw image that hold data ("mapped"); the rest of the image is
//! holes that need not be written. Version 2.0 gives each range of mapped blocks the SHA-256 of
//! its bytes and the file the SHA-256 of itself (`BmapFileChecksum`, computed with that field's
//! value replaced by as many ASCII `0` as it has characters). Elements used:
//!
//! ```xml
//! <bmap version="2.0">
//!   <ImageSize>10485760</ImageSize> <BlockSize>4096</BlockSize> <BlocksCount>2560</BlocksCount>
//!   <MappedBlocksCount>6</MappedBlocksCount> <ChecksumType>sha256</ChecksumType>
//!   <BmapFileChecksum>77eb…</BmapFileChecksum>
//!   <BlockMap> <Range chksum="3bff…">3-7</Range> <Range chksum="590f…">1000</Range> </BlockMap>
//! </bmap>
//! ```
//!
//! Parsing is a pure function of the file's bytes; everything a later stage relies on (ranges in
//! order, inside the image, counts consistent) is checked here, so the writer can trust it.

use sha2::{Digest as _, Sha256};

use crate::error::{ImagingError, Result};

/// A parsed, checked bmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bmap {
    /// The `version` attribute, e.g. "2.0".
    pub version: String,
    /// Size of the raw image in bytes (the last block may be partial).
    pub image_size: u64,
    /// Size of a block in bytes.
    pub block_size: u64,
    /// Blocks in the image: ⌈image_size / block_size⌉.
    pub blocks_count: u64,
    /// Blocks listed in the block map.
    pub mapped_blocks_count: u64,
    /// The mapped ranges, sorted and disjoint.
    pub ranges: Vec<MappedRange>,
}

/// A run of mapped blocks and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRange {
    /// First block.
    pub first: u64,
    /// Last block, inclusive.
    pub last: u64,
    /// SHA-256 of the range's bytes (for the image's last block, only the bytes inside the image).
    pub sha256: [u8; 32],
}

/// A mapped range in bytes: `start..end`, with its block numbers and expected hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// First block.
    pub first: u64,
    /// Last block, inclusive.
    pub last: u64,
    /// Expected SHA-256.
    pub sha256: [u8; 32],
}

fn bad(message: impl Into<String>) -> ImagingError {
    ImagingError::Bmap(message.into())
}

impl Bmap {
    /// Parses a bmap file and verifies its own checksum (`BmapFileChecksum`).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8 text: {e}")))?;
        let doc = roxmltree::Document::parse(text).map_err(|e| bad(format!("not well-formed XML: {e}")))?;
        let root = doc.root_element();
        if root.tag_name().name() != "bmap" {
            return Err(bad(format!("root element is <{}>, not <bmap>", root.tag_name().name())));
        }
        let version = root.attribute("version").ok_or_else(|| bad("<bmap> has no version attribute"))?;
        if version.split('.').next() != Some("2") {
            return Err(bad(format!(
                "format version {version} is not supported: only 2.x (SHA-256 checksums); \
                 recreate it with a current bmaptool"
            )));
        }
        let field = |name: &str| -> Result<&str> {
            let mut found = root.children().filter(|n| n.has_tag_name(name));
            let node = found.next().ok_or_else(|| bad(format!("<{name}> is missing")))?;
            if found.next().is_some() {
                return Err(bad(format!("<{name}> appears twice")));
            }
            Ok(node.text().unwrap_or("").trim())
        };
        let number = |name: &str| -> Result<u64> {
            let t = field(name)?;
            t.parse::<u64>().map_err(|_| bad(format!("<{name}> is {t:?}, not a whole number")))
        };
        let image_size = number("ImageSize")?;
        let block_size = number("BlockSize")?;
        let blocks_count = number("BlocksCount")?;
        let mapped_blocks_count = number("MappedBlocksCount")?;
        let checksum_type = field("ChecksumType")?;
        if checksum_type != "sha256" {
            return Err(bad(format!("ChecksumType is {checksum_type:?}; only sha256 is supported")));
        }
        let file_checksum = field("BmapFileChecksum")?.to_ascii_lowercase();
        verify_file_checksum(text, &file_checksum)?;

        if block_size == 0 || !block_size.is_power_of_two() {
            return Err(bad(format!("BlockSize {block_size} is not a power of two")));
        }
        if blocks_count != image_size.div_ceil(block_size) {
            return Err(bad(format!(
                "BlocksCount is {blocks_count} but an image of {image_size} bytes in blocks of \
                 {block_size} has {}",
                image_size.div_ceil(block_size)
            )));
        }
        let map = root
            .children()
            .find(|n| n.has_tag_name("BlockMap"))
            .ok_or_else(|| bad("<BlockMap> is missing"))?;
        let mut ranges: Vec<MappedRange> = Vec::new();
        for node in map.children().filter(|n| n.is_element()) {
            if !node.has_tag_name("Range") {
                return Err(bad(format!("unexpected <{}> in <BlockMap>", node.tag_name().name())));
            }
            let line = doc.text_pos_at(node.range().start).row;
            let text = node.text().unwrap_or("").trim();
            let (first, last) = parse_range(text)
                .ok_or_else(|| bad(format!("line {line}: range {text:?} is not N or N-M with N <= M")))?;
            if last >= blocks_count {
                return Err(bad(format!(
                    "line {line}: range {text} goes past the image's {blocks_count} blocks"
                )));
            }
            if let Some(prev) = ranges.last() {
                if first <= prev.last {
                    return Err(bad(format!(
                        "line {line}: range {text} overlaps or precedes the one before it"
                    )));
                }
            }
            let chksum = node
                .attribute("chksum")
                .ok_or_else(|| bad(format!("line {line}: range {text} has no chksum: cannot verify it")))?;
            let sha256 = parse_sha256(chksum)
                .ok_or_else(|| bad(format!("line {line}: chksum {chksum:?} is not a hex SHA-256")))?;
            ranges.push(MappedRange { first, last, sha256 });
        }
        let listed: u64 = ranges.iter().map(|r| r.last - r.first + 1).sum();
        if listed != mapped_blocks_count {
            return Err(bad(format!(
                "MappedBlocksCount is {mapped_blocks_count} but the ranges list {listed} blocks"
            )));
        }
        Ok(Bmap {
            version: version.to_owned(),
            image_size,
            block_size,
            blocks_count,
            mapped_blocks_count,
            ranges,
        })
    }

    /// The mapped ranges in bytes, the last one clipped to the image's size.
    pub fn byte_ranges(&self) -> impl Iterator<Item = ByteRange> + '_ {
        self.ranges.iter().map(|r| ByteRange {
            start: r.first * self.block_size,
            end: ((r.last + 1) * self.block_size).min(self.image_size),
            first: r.first,
            last: r.last,
            sha256: r.sha256,
        })
    }

    /// Bytes of the image that are mapped (written).
    pub fn mapped_bytes(&self) -> u64 {
        self.byte_ranges().map(|r| r.end - r.start).sum()
    }

    /// A bmap for `image` (a whole raw image in memory) mapping the blocks that are not all
    /// zero, as XML with its file checksum. For tests and small tools; workshops use
    /// `bmaptool create`, which maps what the file system allocated.
    pub fn describe(image: &[u8], block_size: u64) -> String {
        let bs = block_size as usize;
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for (i, block) in image.chunks(bs).enumerate() {
            if block.iter().any(|&b| b != 0) {
                let i = i as u64;
                match ranges.last_mut() {
                    Some((_, last)) if *last + 1 == i => *last = i,
                    _ => ranges.push((i, i)),
                }
            }
        }
        let size = image.len() as u64;
        let mut body = String::new();
        let mut mapped = 0;
        for (first, last) in &ranges {
            let start = (first * block_size) as usize;
            let end = (((last + 1) * block_size).min(size)) as usize;
            mapped += last - first + 1;
            let sum = hex::encode(Sha256::digest(&image[start..end]));
            let text = if first == last { first.to_string() } else { format!("{first}-{last}") };
            body.push_str(&format!("        <Range chksum=\"{sum}\"> {text} </Range>\n"));
        }
        let xml = format!(
            "<?xml version=\"1.0\" ?>\n<bmap version=\"2.0\">\n    <ImageSize> {size} </ImageSize>\n    \
             <BlockSize> {block_size} </BlockSize>\n    <BlocksCount> {} </BlocksCount>\n    \
             <MappedBlocksCount> {mapped} </MappedBlocksCount>\n    <ChecksumType> sha256 </ChecksumType>\n    \
             <BmapFileChecksum> {} </BmapFileChecksum>\n    <BlockMap>\n{body}    </BlockMap>\n</bmap>\n",
            size.div_ceil(block_size),
            "0".repeat(64)
        );
        let sum = hex::encode(Sha256::digest(xml.as_bytes()));
        xml.replacen(&"0".repeat(64), &sum, 1)
    }
}

/// `N` or `N-M` (block numbers, inclusive).
fn parse_range(text: &str) -> Option<(u64, u64)> {
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (text, text),
    };
    let (first, last) = (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?);
    (first <= last).then_some((first, last))
}

pub(crate) fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

/// bmap 2.0's self-checksum: SHA-256 of the file with the checksum's characters set to `0`.
fn verify_file_checksum(text: &str, expected: &str) -> Result<()> {
    if parse_sha256(expected).is_none() {
        return Err(bad(format!("BmapFileChecksum {expected:?} is not a hex SHA-256")));
    }
    let open = "<BmapFileChecksum>";
    let start = text.find(open).ok_or_else(|| bad("<BmapFileChecksum> is missing"))? + open.len();
    let end = start
        + text[start..].find("</BmapFileChecksum>").ok_or_else(|| bad("<BmapFileChecksum> is not closed"))?;
    let mut zeroed = String::with_capacity(text.len());
    zeroed.push_str(&text[..start]);
    zeroed.extend(text[start..end].chars().map(|c| if c.is_ascii_hexdigit() { '0' } else { c }));
    zeroed.push_str(&text[end..]);
    let found = hex::encode(Sha256::digest(zeroed.as_bytes()));
    if found != expected {
        return Err(ImagingError::BmapFileChecksum { expected: expected.to_owned(), found });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Vec<u8> {
        let mut image = vec![0u8; 64 * 1024 + 100];
        image[4096..3 * 4096].fill(7);
        image[10 * 4096 + 5] = 1;
        let n = image.len();
        image[n - 1] = 9; // in the partial last block
        image
    }

    #[test]
    fn describe_then_parse_round_trips() {
        let image = image();
        let bmap = Bmap::parse(Bmap::describe(&image, 4096).as_bytes()).expect("parses");
        assert_eq!(bmap.image_size, image.len() as u64);
        assert_eq!(bmap.blocks_count, 17);
        let ranges: Vec<(u64, u64)> = bmap.ranges.iter().map(|r| (r.first, r.last)).collect();
        assert_eq!(ranges, [(1, 2), (10, 10), (16, 16)]);
        let last = bmap.byte_ranges().last().expect("a range");
        assert_eq!((last.start, last.end), (16 * 4096, image.len() as u64));
        assert_eq!(last.sha256.as_slice(), Sha256::digest(&image[16 * 4096..]).as_slice());
        assert_eq!(bmap.mapped_bytes(), 3 * 4096 + 100);
    }

    #[test]
    fn an_edited_bmap_fails_its_own_checksum() {
        let xml = Bmap::describe(&image(), 4096).replace("> 10 <", "> 11 <");
        assert!(matches!(Bmap::parse(xml.as_bytes()), Err(ImagingError::BmapFileChecksum { .. })));
    }

    #[test]
    fn inconsistent_bmaps_are_refused_with_reasons() {
        let fix = |xml: String| {
            // Re-seal the file so only the semantic check can fail.
            let start = xml.find("<BmapFileChecksum>").expect("field") + "<BmapFileChecksum> ".len();
            let zeroed = format!("{}{}{}", &xml[..start], "0".repeat(64), &xml[start + 64..]);
            let sum = hex::encode(Sha256::digest(zeroed.as_bytes()));
            format!("{}{}{}", &xml[..start], sum, &xml[start + 64..])
        };
        let good = Bmap::describe(&image(), 4096);
        for (edit, want) in [
            (good.replace("<MappedBlocksCount> 4 <", "<MappedBlocksCount> 5 <"), "MappedBlocksCount"),
            (good.replace("<BlocksCount> 17 <", "<BlocksCount> 16 <"), "BlocksCount"),
            (good.replace("> 16 </Range>", "> 17 </Range>"), "goes past"),
            (good.replace("> 10 </Range>", "> 2 </Range>"), "overlaps"),
            (good.replace("sha256 </C", "sha1 </C"), "ChecksumType"),
            (good.replace("version=\"2.0\"", "version=\"1.4\""), "version 1.4"),
            (good.replace("> 1-2 <", "> 2-1 <"), "not N or N-M"),
        ] {
            assert_ne!(edit, good, "edit for {want} changed nothing");
            let err = Bmap::parse(fix(edit).as_bytes()).expect_err(want).to_string();
            assert!(err.contains(want), "{err:?} should mention {want}");
        }
    }

    #[test]
    fn a_bmap_from_bmaptool_parses() {
        let xml = include_str!("../tests/fixtures/pattern.bmap");
        let bmap = Bmap::parse(xml.as_bytes()).expect("bmaptool's output parses");
        assert_eq!(bmap.block_size, 4096);
        assert!(!bmap.ranges.is_empty());
    }
}
