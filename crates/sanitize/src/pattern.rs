//! What an overwrite pass writes: a repeated byte sequence, or a reproducible keystream.
//!
//! A random pass is a keystream addressed by disk offset, so any range of it can be regenerated
//! from the recorded algorithm and seed, by any number of threads at once, without storing it.
//! Two algorithms exist, and the verifier regenerates both:
//!
//! - [`RandomAlgorithm::Aes128Ctr`], chosen where the processor has AES instructions (AES-NI,
//!   every x86 PC since about 2011): several GB/s per core;
//! - [`RandomAlgorithm::ChaCha20`], chosen on the PCs of 2008–2011 without them, where AES in
//!   software would be slower than the disk while ChaCha20 runs at GB/s with SSE2. Every random
//!   pass recorded before the choice existed is ChaCha20.
//!
//! Seeds come from an [`EntropySource`] (the operating system's CSPRNG, [`OsEntropy`]); when it
//! fails, no pass is written: a wipe never falls back to a predictable stream.

use std::fmt;

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20;

use certificate::Pattern;

/// Bytes covered by one ChaCha20 nonce. RFC 8439's 32-bit block counter allows 256 GiB per
/// nonce; we move to the next nonce every 64 GiB, well inside that limit.
pub const RANDOM_SEGMENT: u64 = 1 << 36;

/// The name of [`RandomAlgorithm::ChaCha20`] in certificates (kept from the first version, so
/// every certificate ever issued names an algorithm the verifier knows).
pub const CHACHA20_ALGORITHM: &str = "chacha20-rfc8439-segmented";

/// The name of [`RandomAlgorithm::Aes128Ctr`] in certificates.
pub const AES128_CTR_ALGORITHM: &str = "aes128-ctr-sp800-38a";

/// How the keystream of a random pass is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RandomAlgorithm {
    /// AES-128 in counter mode (FIPS 197, NIST SP 800-38A §6.5), 16-byte key. The byte at disk
    /// offset `o` is byte `o mod 16` of `AES-128(key, T)` where the counter block `T` is
    /// `o / 16` as a 128-bit big-endian integer (initial counter block 0, incremented by 1 per
    /// 16-byte block).
    Aes128Ctr,
    /// ChaCha20 (RFC 8439), 32-byte key. The byte at disk offset `o` is byte `o mod 2^36` of the
    /// keystream with nonce `le96(o >> 36)` and initial block counter 0.
    ChaCha20,
}

impl RandomAlgorithm {
    /// Every algorithm, in the order [`RandomAlgorithm::for_this_machine`] prefers them.
    pub const ALL: [RandomAlgorithm; 2] = [RandomAlgorithm::Aes128Ctr, RandomAlgorithm::ChaCha20];

    /// The name recorded in certificates.
    pub fn name(self) -> &'static str {
        match self {
            RandomAlgorithm::Aes128Ctr => AES128_CTR_ALGORITHM,
            RandomAlgorithm::ChaCha20 => CHACHA20_ALGORITHM,
        }
    }

    /// The algorithm a certificate names, or `None` for a name no version of the station wrote.
    pub fn from_name(name: &str) -> Option<Self> {
        RandomAlgorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Bytes of seed (the cipher's key).
    pub fn seed_len(self) -> usize {
        match self {
            RandomAlgorithm::Aes128Ctr => 16,
            RandomAlgorithm::ChaCha20 => 32,
        }
    }

    /// The faster algorithm on this processor: AES-128-CTR where it has AES instructions (the
    /// `aes` crate then uses them; it detects them the same way at run time), else ChaCha20,
    /// whose crate picks its AVX2 or SSE2 code at run time.
    pub fn for_this_machine() -> Self {
        if has_aes_instructions() {
            RandomAlgorithm::Aes128Ctr
        } else {
            RandomAlgorithm::ChaCha20
        }
    }
}

impl fmt::Display for RandomAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for RandomAlgorithm {
    type Err = String;
    /// The recorded names, and the short ones an operator types: `aes128-ctr`, `chacha20`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "aes128-ctr" | "aes" => Ok(RandomAlgorithm::Aes128Ctr),
            "chacha20" => Ok(RandomAlgorithm::ChaCha20),
            other => RandomAlgorithm::from_name(other).ok_or_else(|| {
                format!(
                    "unknown random algorithm {other:?} (known: aes128-ctr, chacha20, {AES128_CTR_ALGORITHM}, \
                     {CHACHA20_ALGORITHM})"
                )
            }),
        }
    }
}

/// Whether the `aes` crate runs on AES instructions here (x86 AES-NI). On other architectures
/// the crate's version in use has only its software AES, so ChaCha20 is faster there.
fn has_aes_instructions() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::is_x86_feature_detected!("aes") && std::is_x86_feature_detected!("sse2")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

/// The operating system's random generator failed: there is no seed to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntropyError {
    /// What the source said.
    pub reason: String,
}

impl fmt::Display for EntropyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the operating system's random generator failed: {}", self.reason)
    }
}

impl std::error::Error for EntropyError {}

/// Where the seeds of random passes and the draw of sampled verification come from.
pub trait EntropySource {
    /// Fills `buf` with unpredictable bytes, or fails; never fills it with anything else.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError>;
}

/// The operating system's CSPRNG (getrandom(2) on Linux).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl EntropySource for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(buf).map_err(|e| EntropyError { reason: e.to_string() })
    }
}

/// The keystream of one random pass: an algorithm and its key (not a secret once the pass is
/// written: the certificate records it so anyone can regenerate the stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RandomStream {
    /// See [`RandomAlgorithm::Aes128Ctr`].
    Aes128Ctr {
        /// The AES-128 key.
        key: [u8; 16],
    },
    /// See [`RandomAlgorithm::ChaCha20`].
    ChaCha20 {
        /// The ChaCha20 key.
        key: [u8; 32],
    },
}

impl RandomStream {
    /// A stream of `algorithm` with a fresh key from `entropy`.
    pub fn draw(algorithm: RandomAlgorithm, entropy: &mut dyn EntropySource) -> Result<Self, EntropyError> {
        Ok(match algorithm {
            RandomAlgorithm::Aes128Ctr => {
                let mut key = [0u8; 16];
                entropy.fill(&mut key)?;
                RandomStream::Aes128Ctr { key }
            }
            RandomAlgorithm::ChaCha20 => {
                let mut key = [0u8; 32];
                entropy.fill(&mut key)?;
                RandomStream::ChaCha20 { key }
            }
        })
    }

    /// The stream recorded as `algorithm` and `seed` (hex), as a certificate states it.
    pub fn from_record(algorithm: &str, seed: &str) -> Result<Self, String> {
        let known = RandomAlgorithm::from_name(algorithm)
            .ok_or_else(|| format!("unknown random algorithm {algorithm:?} (known: {AES128_CTR_ALGORITHM}, {CHACHA20_ALGORITHM})"))?;
        let bytes = parse_hex(seed).ok_or_else(|| format!("the seed {seed:?} is not hex"))?;
        let wrong_length =
            || format!("a {algorithm} seed has {} bytes, this one {}", known.seed_len(), bytes.len());
        Ok(match known {
            RandomAlgorithm::Aes128Ctr => {
                RandomStream::Aes128Ctr { key: bytes.as_slice().try_into().map_err(|_| wrong_length())? }
            }
            RandomAlgorithm::ChaCha20 => {
                RandomStream::ChaCha20 { key: bytes.as_slice().try_into().map_err(|_| wrong_length())? }
            }
        })
    }

    /// Which algorithm this is.
    pub fn algorithm(&self) -> RandomAlgorithm {
        match self {
            RandomStream::Aes128Ctr { .. } => RandomAlgorithm::Aes128Ctr,
            RandomStream::ChaCha20 { .. } => RandomAlgorithm::ChaCha20,
        }
    }

    /// The key, as recorded.
    pub fn seed(&self) -> &[u8] {
        match self {
            RandomStream::Aes128Ctr { key } => key,
            RandomStream::ChaCha20 { key } => key,
        }
    }

    /// Writes the stream's bytes for disk offsets `offset..offset + buf.len()` into `buf`.
    pub fn fill(&self, offset: u64, buf: &mut [u8]) {
        self.apply(offset, buf, Keystream::Write);
    }

    /// XORs the stream's bytes for disk offsets `offset..offset + buf.len()` into `buf`: data
    /// read back from a disk that holds the stream becomes all zeros, and any other byte marks a
    /// mismatch. The read-back checks this way, without a second buffer.
    pub fn xor_into(&self, offset: u64, buf: &mut [u8]) {
        self.apply(offset, buf, Keystream::Xor);
    }

    fn apply(&self, offset: u64, buf: &mut [u8], how: Keystream) {
        match self {
            RandomStream::Aes128Ctr { key } => aes128_ctr_keystream(key, &[0; 16], offset, buf, how),
            RandomStream::ChaCha20 { key } => {
                let mut done = 0usize;
                while done < buf.len() {
                    let at = offset + done as u64;
                    let segment = at / RANDOM_SEGMENT;
                    let within = at % RANDOM_SEGMENT;
                    let n = ((RANDOM_SEGMENT - within) as usize).min(buf.len() - done);
                    let mut nonce = [0u8; 12];
                    nonce[..8].copy_from_slice(&segment.to_le_bytes());
                    chacha20_keystream(key, &nonce, within, &mut buf[done..done + n], how);
                    done += n;
                }
            }
        }
    }
}

/// The AES-128-CTR keystream (NIST SP 800-38A §6.5) from byte `position` on, for the initial
/// counter block `initial`, incremented as a big-endian integer. The `ctr` crate's 64-bit
/// counter flavour is used (faster than the 128-bit one): it increments the low 64 bits only,
/// which equals a 128-bit increment while those bits do not wrap, that is for every disk below
/// 2^68 bytes when `initial` is 0.
fn aes128_ctr_keystream(key: &[u8; 16], initial: &[u8; 16], position: u64, buf: &mut [u8], how: Keystream) {
    let mut cipher = ctr::Ctr64BE::<aes::Aes128>::new(key.into(), initial.into());
    cipher.seek(position);
    how.apply(&mut cipher, buf);
}

/// Whether a keystream replaces a buffer's content or is XORed into it.
#[derive(Debug, Clone, Copy)]
enum Keystream {
    Write,
    Xor,
}

impl Keystream {
    fn apply(self, cipher: &mut impl StreamCipher, buf: &mut [u8]) {
        match self {
            Keystream::Write => write_keystream(cipher, buf),
            Keystream::Xor => cipher.apply_keystream(buf),
        }
    }
}

/// Bytes zeroed and then XORed with the keystream at a time: the piece is still in the
/// processor's cache for the second step, so a chunk costs one pass over memory, not two.
const KEYSTREAM_PIECE: usize = 64 << 10;

/// Writes `cipher`'s keystream over `buf` (the crates only XOR it onto data: zero first).
fn write_keystream(cipher: &mut impl StreamCipher, buf: &mut [u8]) {
    for piece in buf.chunks_mut(KEYSTREAM_PIECE) {
        piece.fill(0);
        cipher.apply_keystream(piece);
    }
}

/// The ChaCha20 keystream (RFC 8439 §2.4) for `key` and `nonce` from byte `position` on (block
/// counter `position / 64`).
fn chacha20_keystream(key: &[u8; 32], nonce: &[u8; 12], position: u64, buf: &mut [u8], how: Keystream) {
    let mut cipher = ChaCha20::new(key.into(), nonce.into());
    cipher.seek(position);
    how.apply(&mut cipher, buf);
}

/// The content of one pass.
#[derive(Clone, PartialEq, Eq)]
pub enum PassPattern {
    /// These bytes, repeated from the first byte of the disk.
    Repeat(Vec<u8>),
    /// A keystream addressed by disk offset (see [`RandomAlgorithm`]).
    Random(RandomStream),
}

impl fmt::Debug for PassPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PassPattern::Repeat(b) => write!(f, "Repeat({})", hex(b)),
            PassPattern::Random(s) => write!(f, "Random({}, {})", s.algorithm(), hex(s.seed())),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

impl PassPattern {
    /// A pattern of one repeated byte.
    pub fn byte(b: u8) -> Self {
        PassPattern::Repeat(vec![b])
    }

    /// A random pass of `algorithm` with a fresh seed from `entropy`. Fails when the source does:
    /// a wipe must never write a stream someone could predict.
    pub fn fresh_random(
        algorithm: RandomAlgorithm,
        entropy: &mut dyn EntropySource,
    ) -> Result<Self, EntropyError> {
        RandomStream::draw(algorithm, entropy).map(PassPattern::Random)
    }

    /// The pass a certificate records, for verifying a disk against it later.
    pub fn from_record(pattern: &Pattern) -> Result<Self, String> {
        match pattern {
            Pattern::Repeat { hex } => match parse_hex(hex) {
                Some(bytes) if !bytes.is_empty() => Ok(PassPattern::Repeat(bytes)),
                _ => Err(format!("the repeated pattern {hex:?} is not hex bytes")),
            },
            Pattern::Random { algorithm, seed } => {
                RandomStream::from_record(algorithm, seed).map(PassPattern::Random)
            }
        }
    }

    /// Whether generating the content costs CPU (and is worth threads of its own).
    pub fn is_generated(&self) -> bool {
        matches!(self, PassPattern::Random(_))
    }

    /// How the pass is recorded in a certificate.
    pub fn to_record(&self) -> Pattern {
        match self {
            PassPattern::Repeat(b) => Pattern::Repeat { hex: hex(b) },
            PassPattern::Random(s) => {
                Pattern::Random { algorithm: s.algorithm().name().into(), seed: hex(s.seed()) }
            }
        }
    }

    /// Fills `buf` with the pass's content for the disk bytes starting at `offset`.
    pub fn fill(&self, offset: u64, buf: &mut [u8]) {
        match self {
            PassPattern::Repeat(bytes) if bytes.len() == 1 => buf.fill(bytes[0]),
            PassPattern::Repeat(bytes) => {
                let phase = (offset % bytes.len() as u64) as usize;
                for (dst, src) in buf.iter_mut().zip(bytes.iter().cycle().skip(phase)) {
                    *dst = *src;
                }
            }
            PassPattern::Random(stream) => stream.fill(offset, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        parse_hex(&s).expect("hex")
    }

    #[test]
    fn chacha20_pass_starts_with_rfc8439_a2_vector_1() {
        // RFC 8439 §A.2 test vector #1: key 0, nonce 0, counter 0. Our segment 0 has an all-zero
        // nonce, so it is the first 64 bytes of a ChaCha20 pass keyed with zeros.
        let p = PassPattern::Random(RandomStream::ChaCha20 { key: [0; 32] });
        let mut buf = [0u8; 64];
        p.fill(0, &mut buf);
        let expected = unhex(
            "76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28 bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7
             da 41 59 7c 51 57 48 8d 77 24 e0 3f b8 d8 4a 37 6a 43 b8 f4 15 18 a1 1c c3 87 b6 69 b2 ee 65 86",
        );
        assert_eq!(buf.as_slice(), expected.as_slice());
    }

    #[test]
    fn chacha20_keystream_matches_rfc8439_2_4_2() {
        // RFC 8439 §2.4.2: key 00..1f, nonce 00:00:00:00:00:00:00:4a:00:00:00:00, counter 1 (byte
        // 64). The keystream is the ciphertext XOR the plaintext; checked here on the first 114
        // bytes, the whole sunscreen message.
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let nonce = [0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0];
        let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let ciphertext = unhex(
            "6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81 e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
             f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57 16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
             07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e 52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
             5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42 87 4d",
        );
        let mut keystream = vec![0u8; plaintext.len()];
        chacha20_keystream(&key, &nonce, 64, &mut keystream, Keystream::Write);
        let encrypted: Vec<u8> = plaintext.iter().zip(&keystream).map(|(p, k)| p ^ k).collect();
        assert_eq!(encrypted, ciphertext);
    }

    #[test]
    fn aes128_ctr_keystream_matches_sp800_38a_f_5_1() {
        // NIST SP 800-38A Appendix F.5.1, CTR-AES128.Encrypt: the four output blocks (keystream)
        // for key 2b7e1516…, initial counter block f0f1…feff.
        let key: [u8; 16] = unhex("2b7e151628aed2a6abf7158809cf4f3c").try_into().expect("16 bytes");
        let initial: [u8; 16] = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").try_into().expect("16 bytes");
        let plaintext = unhex(
            "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
             30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
        );
        let ciphertext = unhex(
            "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff
             5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee",
        );
        let mut keystream = vec![0u8; 64];
        aes128_ctr_keystream(&key, &initial, 0, &mut keystream, Keystream::Write);
        let encrypted: Vec<u8> = plaintext.iter().zip(&keystream).map(|(p, k)| p ^ k).collect();
        assert_eq!(encrypted, ciphertext);
        // Addressed by byte: the third block alone, from its own position.
        let mut third = [0u8; 16];
        aes128_ctr_keystream(&key, &initial, 32, &mut third, Keystream::Write);
        assert_eq!(third.as_slice(), &keystream[32..48]);
    }

    #[test]
    fn aes128_ctr_pass_is_the_keystream_with_counter_block_zero() {
        // FIPS 197 Appendix C.1 gives AES-128(000102…0f, 00112233…ff) = 69c4e0d8…; with that key
        // our pass's block 0x00112233445566778899aabbccddeeff would be far beyond any disk, so
        // check instead block 0 and 1 against the same cipher run block by block.
        use aes::cipher::{BlockEncrypt, KeyInit};
        let key: [u8; 16] = std::array::from_fn(|i| i as u8);
        let aes = aes::Aes128::new(&key.into());
        let mut expected = [0u8; 32];
        for (i, block) in expected.chunks_mut(16).enumerate() {
            let mut b = [0u8; 16];
            b[15] = i as u8;
            let mut b = b.into();
            aes.encrypt_block(&mut b);
            block.copy_from_slice(&b);
        }
        let mut got = [0u8; 32];
        PassPattern::Random(RandomStream::Aes128Ctr { key }).fill(0, &mut got);
        assert_eq!(got, expected);
        // And the FIPS 197 C.1 vector itself, so the block cipher under it is AES-128.
        let mut b = unhex("00112233445566778899aabbccddeeff");
        let block = aes::Block::from_mut_slice(&mut b);
        aes.encrypt_block(block);
        assert_eq!(b, unhex("69c4e0d86a7b0430d8cdb78070b4c55a"));
    }

    #[test]
    fn random_streams_are_seekable_and_consistent() {
        for stream in [RandomStream::ChaCha20 { key: [7; 32] }, RandomStream::Aes128Ctr { key: [7; 16] }] {
            let p = PassPattern::Random(stream);
            // Longer than a keystream piece, so pieces join as one stream.
            let mut whole = vec![0u8; 3 * KEYSTREAM_PIECE + 10_000];
            p.fill(1000, &mut whole);
            for at in [4321, KEYSTREAM_PIECE - 100, 2 * KEYSTREAM_PIECE + 7] {
                let mut part = vec![0u8; 333];
                p.fill(1000 + at as u64, &mut part);
                assert_eq!(&whole[at..at + 333], &part[..], "{p:?} at {at}");
            }
        }
    }

    #[test]
    fn xor_into_the_stream_itself_gives_zeros_and_keeps_other_bytes_apart() {
        for stream in [RandomStream::ChaCha20 { key: [1; 32] }, RandomStream::Aes128Ctr { key: [2; 16] }] {
            let mut data = vec![0u8; 2 * KEYSTREAM_PIECE + 77];
            stream.fill(RANDOM_SEGMENT - 1000, &mut data);
            data[5] ^= 0x10;
            stream.xor_into(RANDOM_SEGMENT - 1000, &mut data);
            let nonzero: Vec<(usize, u8)> =
                data.iter().copied().enumerate().filter(|&(_, b)| b != 0).collect();
            assert_eq!(nonzero, vec![(5, 0x10)], "{stream:?}");
        }
    }

    #[test]
    fn chacha20_stream_crosses_a_segment_boundary() {
        let p = PassPattern::Random(RandomStream::ChaCha20 { key: [9; 32] });
        let mut across = vec![0u8; 128];
        p.fill(RANDOM_SEGMENT - 64, &mut across);
        let mut after = vec![0u8; 64];
        p.fill(RANDOM_SEGMENT, &mut after);
        assert_eq!(&across[64..], &after[..]);
        let mut start = vec![0u8; 64];
        p.fill(0, &mut start);
        assert_ne!(after, start, "the next segment has its own nonce");
    }

    #[test]
    fn records_round_trip_and_old_chacha20_records_still_parse() {
        for stream in [RandomStream::ChaCha20 { key: [3; 32] }, RandomStream::Aes128Ctr { key: [4; 16] }] {
            let p = PassPattern::Random(stream);
            assert_eq!(PassPattern::from_record(&p.to_record()), Ok(p));
        }
        // As every certificate before the AES choice recorded its random passes.
        let old = Pattern::Random { algorithm: "chacha20-rfc8439-segmented".into(), seed: "ab".repeat(32) };
        assert_eq!(
            PassPattern::from_record(&old),
            Ok(PassPattern::Random(RandomStream::ChaCha20 { key: [0xab; 32] }))
        );
        let short = Pattern::Random { algorithm: CHACHA20_ALGORITHM.into(), seed: "ab".repeat(16) };
        assert!(PassPattern::from_record(&short).expect_err("short").contains("32 bytes, this one 16"));
        let unknown = Pattern::Random { algorithm: "rc4".into(), seed: "ab".repeat(16) };
        assert!(PassPattern::from_record(&unknown)
            .expect_err("unknown")
            .contains("unknown random algorithm"));
    }

    #[test]
    fn a_failing_entropy_source_gives_no_pattern() {
        struct Broken;
        impl EntropySource for Broken {
            fn fill(&mut self, _: &mut [u8]) -> Result<(), EntropyError> {
                Err(EntropyError { reason: "ENOSYS".into() })
            }
        }
        for algorithm in RandomAlgorithm::ALL {
            let e = PassPattern::fresh_random(algorithm, &mut Broken).expect_err("must fail");
            assert!(e.to_string().contains("random generator failed: ENOSYS"), "{e}");
        }
        let p = PassPattern::fresh_random(RandomAlgorithm::Aes128Ctr, &mut OsEntropy).expect("getrandom");
        let q = PassPattern::fresh_random(RandomAlgorithm::Aes128Ctr, &mut OsEntropy).expect("getrandom");
        assert_ne!(p, q, "two draws differ");
    }

    #[test]
    fn repeat_keeps_phase() {
        let p = PassPattern::Repeat(vec![0x92, 0x49, 0x24]);
        let mut buf = [0u8; 5];
        p.fill(4, &mut buf);
        assert_eq!(buf, [0x49, 0x24, 0x92, 0x49, 0x24]);
    }
}
