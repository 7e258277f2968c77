//! Overwrite methods: named lists of passes.

use std::fmt;
use std::str::FromStr;

use crate::pattern::{EntropyError, EntropySource, PassPattern, RandomAlgorithm};

/// One pass of a method, before a random seed is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassSpec {
    /// A repeated byte sequence.
    Repeat(Vec<u8>),
    /// A pseudo-random pass.
    Random,
}

impl PassSpec {
    /// The pass's content: the bytes, or a keystream of `algorithm` with a fresh seed.
    pub fn pattern(
        self,
        algorithm: RandomAlgorithm,
        entropy: &mut dyn EntropySource,
    ) -> Result<PassPattern, EntropyError> {
        match self {
            PassSpec::Repeat(b) => Ok(PassPattern::Repeat(b)),
            PassSpec::Random => PassPattern::fresh_random(algorithm, entropy),
        }
    }
}

/// An overwrite method (NIST SP 800-88 Rev. 1 §2.4 and Table A-8: one pass is enough to Clear
/// modern disks; the multi-pass methods are offered because donors' policies still name them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Method {
    /// One pass of 0x00.
    #[default]
    Zero,
    /// One pass of 0xFF.
    One,
    /// One pass of a keystream (AES-128-CTR or ChaCha20, see [`RandomAlgorithm`]).
    Random,
    /// DoD 5220.22-M (three passes): 0x00, 0xFF, random; verify.
    Dod3,
    /// HMG Infosec Standard 5, Enhanced: 0x00, 0xFF, random; verify.
    HmgIs5Enhanced,
    /// Peter Gutmann's 35 passes (1996): 4 random, 27 fixed patterns for MFM/RLL encodings, 4 random.
    /// Pointless on any disk made after 1997; offered for completeness.
    Gutmann,
    /// A custom list, e.g. `custom:00,ff,random`.
    Custom(Vec<PassSpec>),
}

/// The 27 fixed patterns of Gutmann's passes 5–31.
const GUTMANN_FIXED: [&[u8]; 27] = [
    &[0x55],
    &[0xaa],
    &[0x92, 0x49, 0x24],
    &[0x49, 0x24, 0x92],
    &[0x24, 0x92, 0x49],
    &[0x00],
    &[0x11],
    &[0x22],
    &[0x33],
    &[0x44],
    &[0x55],
    &[0x66],
    &[0x77],
    &[0x88],
    &[0x99],
    &[0xaa],
    &[0xbb],
    &[0xcc],
    &[0xdd],
    &[0xee],
    &[0xff],
    &[0x92, 0x49, 0x24],
    &[0x49, 0x24, 0x92],
    &[0x24, 0x92, 0x49],
    &[0x6d, 0xb6, 0xdb],
    &[0xb6, 0xdb, 0x6d],
    &[0xdb, 0x6d, 0xb6],
];

impl Method {
    /// Every named method, for help texts.
    pub const NAMES: &'static [&'static str] =
        &["zero", "one", "random", "dod-3", "hmg-is5-enhanced", "gutmann", "custom:PASS,PASS,..."];

    /// The passes, in order.
    pub fn specs(&self) -> Vec<PassSpec> {
        use PassSpec::{Random, Repeat};
        match self {
            Method::Zero => vec![Repeat(vec![0x00])],
            Method::One => vec![Repeat(vec![0xff])],
            Method::Random => vec![Random],
            Method::Dod3 | Method::HmgIs5Enhanced => vec![Repeat(vec![0x00]), Repeat(vec![0xff]), Random],
            Method::Gutmann => {
                let mut v = vec![Random; 4];
                v.extend(GUTMANN_FIXED.iter().map(|p| Repeat(p.to_vec())));
                v.extend(vec![Random; 4]);
                v
            }
            Method::Custom(specs) => specs.clone(),
        }
    }

    /// The passes with fresh random seeds drawn from `entropy` for `algorithm`; fails, rather
    /// than write a predictable stream, when the source does.
    pub fn passes(
        &self,
        algorithm: RandomAlgorithm,
        entropy: &mut dyn EntropySource,
    ) -> Result<Vec<PassPattern>, EntropyError> {
        self.specs().into_iter().map(|s| s.pattern(algorithm, entropy)).collect()
    }

    /// The name recorded in certificates.
    pub fn name(&self) -> String {
        match self {
            Method::Zero => "zero".into(),
            Method::One => "one".into(),
            Method::Random => "random".into(),
            Method::Dod3 => "dod-3".into(),
            Method::HmgIs5Enhanced => "hmg-is5-enhanced".into(),
            Method::Gutmann => "gutmann".into(),
            Method::Custom(specs) => {
                let parts: Vec<String> = specs
                    .iter()
                    .map(|s| match s {
                        PassSpec::Random => "random".to_owned(),
                        PassSpec::Repeat(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
                    })
                    .collect();
                format!("custom:{}", parts.join(","))
            }
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "zero" => Method::Zero,
            "one" => Method::One,
            "random" => Method::Random,
            "dod-3" | "dod" | "dod-short" => Method::Dod3,
            "hmg-is5-enhanced" => Method::HmgIs5Enhanced,
            "gutmann" => Method::Gutmann,
            other => {
                let Some(list) = other.strip_prefix("custom:") else {
                    return Err(format!("unknown method {other:?} (known: {})", Method::NAMES.join(", ")));
                };
                let specs = list
                    .split(',')
                    .map(|p| match p.trim() {
                        "random" => Ok(PassSpec::Random),
                        hexbytes => crate::parse_pattern(hexbytes).map(PassSpec::Repeat),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if specs.is_empty() || specs.len() > 64 {
                    return Err("a custom method has 1 to 64 passes".into());
                }
                Method::Custom(specs)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_counts() {
        assert_eq!(Method::Zero.specs().len(), 1);
        assert_eq!(Method::Dod3.specs().len(), 3);
        let g = Method::Gutmann.specs();
        assert_eq!(g.len(), 35);
        assert!(g[..4].iter().chain(&g[31..]).all(|p| *p == PassSpec::Random));
        assert_eq!(g[4], PassSpec::Repeat(vec![0x55]));
        assert_eq!(g[30], PassSpec::Repeat(vec![0xdb, 0x6d, 0xb6]));
    }

    #[test]
    fn names_round_trip() {
        for name in
            ["zero", "one", "random", "dod-3", "hmg-is5-enhanced", "gutmann", "custom:00,ff,random,924924"]
        {
            let m: Method = name.parse().expect("parses");
            assert_eq!(m.name(), name);
        }
        assert!("custom:zz".parse::<Method>().is_err());
        assert!("nope".parse::<Method>().expect_err("unknown").contains("known:"));
    }
}
