//! eReuse's Rate v1, re-implemented from its documentation to check that our score is on the
//! same scale and merges components the same way.
//!
//! # Sources
//!
//! - eReuse/rate, `README.md` ("Algorithm"): normalisation `y = (x − xMin)/(xMax − xMin)`, a score
//!   curve per characteristic, weighted harmonic means (processor 50 %, RAM 30 %, data storage
//!   20 %), then `rating = components + appearance + functionality`, from −2 to 4.7, read as
//!   not valid [−2, 2), low [2, 3), mid [3, 4), high [4, 4.7].
//! - eReuse/devicehub-teal, `ereuse_devicehub/resources/action/rate/rate.py` (`BaseRate`: the
//!   three curves and the weights) and `rate/workbench/v1_0.py` (`RateAlgorithm`,
//!   `ProcessorRate`, `RamRate`, `DataStorageRate`: the xMin/xMax constants, the defaults, the
//!   appearance and functionality values).
//! - eReuse/devicehub-teal, `tests/test_rate_workbench_v1.py`: the published examples (four PCs,
//!   pc_1193, pc_1201, pc_79, pc_798, with their expected component rates and ratings), which
//!   `tests/ereuse.rs` reproduces.
//!
//! # The one disagreement between the README and the code
//!
//! The README says the score curve is exponential below a normalised 0.242, linear from there
//! to 0.5, logarithmic above. The code sets the linear threshold `CLIN = 242` (not 0.242), so the
//! linear piece never applies: exponential below 0.5, logarithmic from 0.5. The published test
//! figures follow the code (pc_79's RAM rates 1.993 with the exponential; the linear piece would
//! give 1.955), so this module follows the code.
//!
//! Nothing here is eReuse's code: it is written from the formulas above.

/// Normalised value at which the logarithmic piece starts.
const LOG_FROM: f64 = 0.5;

fn norm(x: f64, min: f64, max: f64) -> f64 {
    ((x - min) / (max - min)).max(0.0)
}

/// The score of a normalised characteristic: `e^x / (2 − e^x)` below 0.5, `log10(2x) + 3.57`
/// from 0.5.
pub fn characteristic_score(normalised: f64) -> f64 {
    if normalised >= LOG_FROM {
        (2.0 * normalised).log10() + 3.57
    } else {
        let e = normalised.exp();
        e / (2.0 - e)
    }
}

fn harmonic(pairs: &[(f64, f64)]) -> f64 {
    let w: f64 = pairs.iter().map(|p| p.0).sum();
    w / pairs.iter().map(|(w, x)| w / x).sum::<f64>()
}

/// A processor as eReuse's Workbench describes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Processor {
    /// Cores (default 1).
    pub cores: Option<u32>,
    /// Speed in GHz (default 1.6).
    pub speed_ghz: Option<f64>,
    /// Workbench's processor benchmark (default 4000; 0 counts as missing).
    pub benchmark: Option<f64>,
}

/// A RAM module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RamModule {
    /// Size in MB.
    pub size_mb: f64,
    /// Speed in MHz, when known.
    pub speed_mhz: Option<f64>,
}

/// A data storage device with its benchmark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataStorage {
    /// Size in MB.
    pub size_mb: f64,
    /// Read speed, MB/s.
    pub read_mb_s: f64,
    /// Write speed, MB/s.
    pub write_mb_s: f64,
}

/// eReuse's appearance ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appearance {
    /// Brand new: +0.5.
    Z,
    /// Like new: +0.3.
    A,
    /// Really good condition: 0.
    B,
    /// Good condition: −0.2.
    C,
    /// −0.5.
    D,
    /// −1.
    E,
}

impl Appearance {
    /// The value added to the rating.
    pub fn value(self) -> f64 {
        match self {
            Appearance::Z => 0.5,
            Appearance::A => 0.3,
            Appearance::B => 0.0,
            Appearance::C => -0.2,
            Appearance::D => -0.5,
            Appearance::E => -1.0,
        }
    }
}

/// eReuse's functionality ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Functionality {
    /// Everything works: +0.4.
    A,
    /// −0.5.
    B,
    /// −0.75.
    C,
    /// −1.
    D,
}

impl Functionality {
    /// The value added to the rating.
    pub fn value(self) -> f64 {
        match self {
            Functionality::A => 0.4,
            Functionality::B => -0.5,
            Functionality::C => -0.75,
            Functionality::D => -1.0,
        }
    }
}

/// The processor's rate: `(benchmark + speed × 2000 × cores) / 2`, normalised over
/// [3196.17, 17503.81], then scored.
pub fn processor_rate(p: &Processor) -> f64 {
    let cores = f64::from(p.cores.filter(|c| *c > 0).unwrap_or(1));
    let speed = p.speed_ghz.filter(|s| *s > 0.0).unwrap_or(1.6);
    let bench = p.benchmark.filter(|b| *b > 0.0).unwrap_or(4000.0);
    let fused = (bench + speed * 2000.0 * cores) / 2.0;
    characteristic_score(norm(fused, 3196.17, 17503.81))
}

/// The RAM's rate: total size over [256, 8192] MB (weight 0.7) and size-weighted speed over
/// [133, 1333] MHz (weight 0.3; a module without speed counts size / 3.7). `None` without RAM.
pub fn ram_rate(modules: &[RamModule]) -> Option<f64> {
    let size: f64 = modules.iter().map(|m| m.size_mb).sum();
    if size <= 0.0 {
        return None;
    }
    let speed = modules
        .iter()
        .map(|m| m.speed_mhz.filter(|s| *s > 0.0).unwrap_or(m.size_mb / 3.7) * m.size_mb)
        .sum::<f64>()
        / size;
    Some(harmonic(&[
        (0.7, characteristic_score(norm(size, 256.0, 8192.0))),
        (0.3, characteristic_score(norm(speed, 133.0, 1333.0))),
    ]))
}

/// The data storage's rate: total size over [4, 265000] MB (0.5), size-weighted read speed over
/// [2.7, 109.5] MB/s (0.25) and write speed over [2, 27.35] MB/s (0.25). `None` without size.
pub fn data_storage_rate(disks: &[DataStorage]) -> Option<f64> {
    let size: f64 = disks.iter().map(|d| d.size_mb).sum();
    if size <= 0.0 {
        return None;
    }
    let read = disks.iter().map(|d| d.read_mb_s * d.size_mb).sum::<f64>() / size;
    let write = disks.iter().map(|d| d.write_mb_s * d.size_mb).sum::<f64>() / size;
    Some(harmonic(&[
        (0.5, characteristic_score(norm(size, 4.0, 265000.0))),
        (0.25, characteristic_score(norm(read, 2.7, 109.5))),
        (0.25, characteristic_score(norm(write, 2.0, 27.35))),
    ]))
}

/// eReuse's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    /// Processor rate.
    pub processor: f64,
    /// RAM rate (1 when there is no RAM).
    pub ram: f64,
    /// Data storage rate (1 when there is none).
    pub data_storage: f64,
    /// Weighted harmonic mean of the three (0.5, 0.3, 0.2).
    pub components: f64,
    /// `components + appearance + functionality`.
    pub rating: f64,
}

/// Rate v1 of a computer.
pub fn rate(
    processor: &Processor,
    ram: &[RamModule],
    storage: &[DataStorage],
    appearance: Appearance,
    functionality: Functionality,
) -> Rating {
    let processor = processor_rate(processor);
    let ram = ram_rate(ram).unwrap_or(1.0);
    let data_storage = data_storage_rate(storage).unwrap_or(1.0);
    let components = harmonic(&[(0.5, processor), (0.2, data_storage), (0.3, ram)]);
    Rating {
        processor,
        ram,
        data_storage,
        components,
        rating: components + appearance.value() + functionality.value(),
    }
}
