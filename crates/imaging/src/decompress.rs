//! Stream decompression, chosen by the first bytes of the file rather than its name.
//!
//! Magic numbers: zstd frames start `28 B5 2F FD` (RFC 8878 §3.1.1), xz streams `FD 37 7A 58 5A 00`
//! (The .xz File Format 1.1.0 §2.1.1.1), gzip members `1F 8B` (RFC 1952 §2.3.1). Anything else
//! is a raw image. Concatenated frames, streams and members (as `pzstd`, `pixz`, `pigz` make) are
//! all read to the end.

use std::io::{self, Read};

/// How an image file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Not compressed.
    Raw,
    /// Zstandard.
    Zstd,
    /// xz (LZMA2).
    Xz,
    /// gzip (DEFLATE).
    Gzip,
}

/// Longest magic number looked at.
pub const MAGIC_LEN: usize = 6;

impl Compression {
    /// Recognizes the compression from the file's first bytes (at least [`MAGIC_LEN`] when the
    /// file is that long).
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
            Compression::Zstd
        } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x1F, 0x8B]) {
            Compression::Gzip
        } else {
            Compression::Raw
        }
    }

    /// The name used in messages and records.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Raw => "raw",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Gzip => "gzip",
        }
    }

    /// A reader of the decompressed bytes of `compressed`.
    pub fn decoder<'a>(self, compressed: impl Read + 'a) -> io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Compression::Raw => Box::new(compressed),
            Compression::Zstd => {
                let mut d = zstd::stream::read::Decoder::new(compressed)?;
                // Accept images made with `zstd --long` (windows up to 2 GiB).
                d.window_log_max(31)?;
                Box::new(d)
            }
            Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(compressed)),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(compressed)),
        })
    }
}

/// Reads the first [`MAGIC_LEN`] bytes (fewer if the stream is shorter), detects the
/// compression, and returns a decoder over the whole stream (those bytes put back in front).
pub fn open<'a>(mut stream: impl Read + 'a) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let mut head = [0u8; MAGIC_LEN];
    let mut got = 0;
    while got < MAGIC_LEN {
        match stream.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let kind = Compression::detect(&head[..got]);
    let whole = io::Cursor::new(head[..got].to_vec()).chain(stream);
    Ok((kind, kind.decoder(whole)?))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn sample() -> Vec<u8> {
        (0..300_000u32).map(|i| (i % 251) as u8 ^ (i / 4096) as u8).collect()
    }

    fn compressed(kind: Compression, data: &[u8]) -> Vec<u8> {
        match kind {
            Compression::Raw => data.to_vec(),
            Compression::Zstd => zstd::encode_all(data, 3).expect("zstd"),
            Compression::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(data).expect("xz");
                e.finish().expect("xz")
            }
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).expect("gzip");
                e.finish().expect("gzip")
            }
        }
    }

    fn decode(bytes: &[u8]) -> (Compression, io::Result<Vec<u8>>) {
        let (kind, mut r) = open(bytes).expect("open");
        let mut out = Vec::new();
        let res = r.read_to_end(&mut out).map(|_| out);
        (kind, res)
    }

    #[test]
    fn each_format_is_recognized_and_decoded() {
        let data = sample();
        for kind in [Compression::Raw, Compression::Zstd, Compression::Xz, Compression::Gzip] {
            let (found, out) = decode(&compressed(kind, &data));
            assert_eq!(found, kind);
            assert_eq!(out.expect("decodes"), data, "{kind:?}");
        }
    }

    #[test]
    fn concatenated_streams_are_read_to_the_end() {
        let data = sample();
        for kind in [Compression::Zstd, Compression::Xz, Compression::Gzip] {
            let mut two = compressed(kind, &data[..1000]);
            two.extend(compressed(kind, &data[1000..]));
            assert_eq!(decode(&two).1.expect("decodes"), data, "{kind:?}");
        }
    }

    #[test]
    fn a_truncated_stream_is_an_error_not_a_short_image() {
        let data = sample();
        for kind in [Compression::Zstd, Compression::Xz, Compression::Gzip] {
            let full = compressed(kind, &data);
            for cut in [full.len() / 2, full.len() - 1] {
                let (_, out) = decode(&full[..cut]);
                assert!(out.is_err(), "{kind:?} cut at {cut}/{} decoded without error", full.len());
            }
        }
    }

    #[test]
    fn tiny_and_empty_raw_streams_are_raw() {
        assert_eq!(decode(b"").1.expect("empty"), b"");
        assert_eq!(decode(b"\x1f").1.expect("one byte"), b"\x1f");
    }
}
