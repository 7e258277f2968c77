//! The grading policy: weights, curves, adjustments, grade bands, hard stops, uses and the prix
//! solidaire, as TOML data (docs/grading.md describes every key).
//!
//! [`Policy::from_toml`] reads and validates a policy; an error names the key and its line.
//! [`Policy::default_policy`] is `policy/default.toml`, built into the crate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::grade::GradeLevel;

/// The default policy's TOML text (`crates/grading/policy/default.toml`).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../policy/default.toml");

/// A validated grading policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Name and version, recorded in every grade.
    pub policy: PolicyMeta,
    /// Weights of the components in the weighted harmonic mean.
    pub weights: Weights,
    /// The processor's sub-score.
    pub cpu: CpuPolicy,
    /// The memory's sub-score.
    pub memory: MemoryPolicy,
    /// The disks' sub-score.
    pub disk: DiskPolicy,
    /// Score change by cosmetic grade.
    pub appearance: AppearancePolicy,
    /// Score change from the functional checks.
    pub functionality: FunctionalityPolicy,
    /// Score change from a laptop's battery.
    pub battery: BatteryPolicy,
    /// Minimum score of each grade.
    pub grades: GradeThresholds,
    /// Minimums for any reuse grade.
    pub reuse: ReuseMinimums,
    /// Conditions that cap the grade.
    pub hard_stops: Vec<HardStop>,
    /// Uses a unit with a reuse grade can be fit for.
    #[serde(default)]
    pub fit_for: Vec<UseCase>,
    /// Prix solidaire rules.
    pub prix_solidaire: PrixSolidairePolicy,
}

/// `[policy]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyMeta {
    /// Name, e.g. `seconde-vie-default`.
    pub name: String,
    /// Version, increased at each change of the rules.
    pub version: u32,
}

/// `[weights]`: eReuse's community weights by default (CPU 0.5, RAM 0.3, disk 0.2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Processor.
    pub cpu: f64,
    /// Memory.
    pub memory: f64,
    /// Disks.
    pub disk: f64,
}

/// A piecewise-linear map from a measured value to a sub-score: `[[x, score], ...]` with `x`
/// strictly increasing; flat before the first point and after the last.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Curve(pub Vec<(f64, f64)>);

impl Curve {
    /// The sub-score at `x`.
    pub fn at(&self, x: f64) -> f64 {
        let points = &self.0;
        let Some(&(x0, y0)) = points.first() else { return 0.0 };
        if x <= x0 {
            return y0;
        }
        for pair in points.windows(2) {
            let ((xa, ya), (xb, yb)) = (pair[0], pair[1]);
            if x <= xb {
                return ya + (yb - ya) * (x - xa) / (xb - xa);
            }
        }
        points.last().map_or(y0, |&(_, y)| y)
    }
}

/// `[cpu]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuPolicy {
    /// Launch year → sub-score.
    pub year: Curve,
    /// Threads → sub-score.
    pub threads: Curve,
    /// Benchmark score → sub-score; when present and the input has a benchmark, it replaces
    /// the year.
    #[serde(default)]
    pub benchmark: Option<Curve>,
    /// Weight of the year (or benchmark) part.
    pub year_weight: f64,
    /// Weight of the threads part.
    pub threads_weight: f64,
    /// Sub-score when nothing is known.
    pub unknown: f64,
}

/// `[memory]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryPolicy {
    /// GiB → sub-score.
    pub gib: Curve,
    /// Sub-score when the memory size is unknown.
    pub unknown: f64,
}

/// `[disk]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskPolicy {
    /// Total GB of the disks fit for reuse → sub-score.
    pub capacity_gb: Curve,
    /// Weight of the capacity part.
    pub capacity_weight: f64,
    /// Sub-score by the fastest disk kind.
    pub kind: DiskKindScores,
    /// Weight of the kind part.
    pub kind_weight: f64,
    /// Sub-score when no disk is fit for reuse.
    pub missing: f64,
    /// Score change when a disk kept for reuse is worn.
    pub worn_adjustment: f64,
    /// When an SSD's wear makes it worn (`[disk.endurance]`): the inventory's health verdict
    /// uses these (`inventory::smart::SmartReport::health`).
    pub endurance: inventory::smart::EndurancePolicy,
}

/// `disk.kind`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskKindScores {
    /// Rotating disk.
    pub hdd: f64,
    /// SATA SSD.
    pub ssd: f64,
    /// NVMe SSD.
    pub nvme: f64,
    /// Unknown kind.
    pub unknown: f64,
}

/// `[appearance]`: score change by the refurbisher's cosmetic grade.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppearancePolicy {
    /// Like new.
    #[serde(rename = "A")]
    pub a: f64,
    /// Light wear.
    #[serde(rename = "B")]
    pub b: f64,
    /// Visible wear.
    #[serde(rename = "C")]
    pub c: f64,
    /// No cosmetic grade given.
    pub unknown: f64,
}

/// `[functionality]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionalityPolicy {
    /// Bonus when every applicable check passed.
    pub all_pass: f64,
    /// The lowest total change.
    pub floor: f64,
    /// Penalty per failed check.
    pub failed: CheckPenalties,
}

/// `functionality.failed`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckPenalties {
    /// Screen defect.
    pub screen: f64,
    /// Keys not answering.
    pub keyboard: f64,
    /// No sound.
    pub sound: f64,
    /// A USB port not working.
    pub usb: f64,
    /// The battery does not charge.
    pub battery: f64,
}

impl CheckPenalties {
    /// The penalty of one check.
    pub fn of(&self, check: CheckName) -> f64 {
        match check {
            CheckName::Screen => self.screen,
            CheckName::Keyboard => self.keyboard,
            CheckName::Sound => self.sound,
            CheckName::Usb => self.usb,
            CheckName::Battery => self.battery,
        }
    }
}

/// `[battery]` (laptops).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatteryPolicy {
    /// Health below this is worn.
    pub worn_below_percent: u8,
    /// Score change for a worn battery.
    pub worn_adjustment: f64,
    /// Health below this is dead (replace it).
    pub dead_below_percent: u8,
    /// Score change for a dead battery.
    pub dead_adjustment: f64,
    /// Score change for a laptop without a battery.
    pub missing_adjustment: f64,
}

/// `[grades]`: the minimum score of each grade.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeThresholds {
    /// Grade A.
    #[serde(rename = "A")]
    pub a: f64,
    /// Grade B.
    #[serde(rename = "B")]
    pub b: f64,
    /// Grade C.
    #[serde(rename = "C")]
    pub c: f64,
    /// Pieces; below, recycling.
    pub pieces: f64,
}

impl GradeThresholds {
    /// The grade a score falls in.
    pub fn band(&self, score: f64) -> GradeLevel {
        if score >= self.a {
            GradeLevel::A
        } else if score >= self.b {
            GradeLevel::B
        } else if score >= self.c {
            GradeLevel::C
        } else if score >= self.pieces {
            GradeLevel::Pieces
        } else {
            GradeLevel::Recycling
        }
    }
}

/// `[reuse]`: minimums for any reuse grade.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReuseMinimums {
    /// Memory, GiB.
    pub min_memory_gib: f64,
    /// Total capacity of the disks fit for reuse, GB.
    pub min_disk_gb: f64,
    /// Threads.
    pub min_threads: u32,
    /// The grade given when a minimum is not met (pieces or recycling).
    pub grade: GradeLevel,
}

/// A condition a hard stop can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// A disk's health verdict is failing.
    DiskFailing,
    /// The wipe outcome is `failed`.
    WipeFailed,
    /// The wipe outcome is `incomplete` (not verified, interrupted, or no disk).
    WipeIncomplete,
    /// No disk fit for reuse.
    NoDisk,
    /// The screen check failed on a laptop or all-in-one.
    BuiltinScreenFailed,
    /// No operating system was installed.
    OsMissing,
    /// The station's memory test found errors.
    MemoryFailed,
    /// The processor gave wrong results or overheated under the station's load test.
    CpuFailed,
}

/// `[[hard_stops]]`: when the condition holds, the grade is at most `grade`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardStop {
    /// The condition.
    pub when: Condition,
    /// The highest grade the unit can then get.
    pub grade: GradeLevel,
}

/// A functional check, by the name `certificate::Checks` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// Screen.
    Screen,
    /// Keyboard.
    Keyboard,
    /// Sound.
    Sound,
    /// USB ports.
    Usb,
    /// Battery charging.
    Battery,
}

impl CheckName {
    /// Every check, in the order the station app asks them.
    pub const ALL: [CheckName; 5] =
        [CheckName::Screen, CheckName::Keyboard, CheckName::Sound, CheckName::Usb, CheckName::Battery];

    /// The stable name, as in the policy and the certificate.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Screen => "screen",
            CheckName::Keyboard => "keyboard",
            CheckName::Sound => "sound",
            CheckName::Usb => "usb",
            CheckName::Battery => "battery",
        }
    }
}

/// `[[fit_for]]`: a use and its minimums (each optional).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseCase {
    /// Stable code, e.g. `office_online`.
    pub code: String,
    /// French label.
    pub fr: String,
    /// English label.
    pub en: String,
    /// Minimum score.
    #[serde(default)]
    pub min_score: Option<f64>,
    /// Minimum memory, GiB.
    #[serde(default)]
    pub min_memory_gib: Option<f64>,
    /// Minimum threads.
    #[serde(default)]
    pub min_threads: Option<u32>,
    /// Minimum CPU launch year (an unknown year does not meet it).
    #[serde(default)]
    pub min_cpu_year: Option<u16>,
    /// Minimum total disk capacity, GB.
    #[serde(default)]
    pub min_disk_gb: Option<f64>,
    /// Needs an SSD or NVMe disk.
    #[serde(default)]
    pub solid_state: bool,
    /// Checks that must have passed.
    #[serde(default)]
    pub requires_passed: Vec<CheckName>,
}

/// `[prix_solidaire]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrixSolidairePolicy {
    /// Price caps in euros by category.
    pub caps_eur: PriceCaps,
    /// A laptop battery works at or above this health (and when it charges).
    pub min_battery_health_percent: u8,
}

/// `prix_solidaire.caps_eur`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceCaps {
    /// A laptop.
    #[serde(default)]
    pub laptop: Option<u32>,
    /// A desktop with its screen (an all-in-one counts as one).
    #[serde(default)]
    pub desktop_with_screen: Option<u32>,
    /// A screen alone (not graded by this crate, kept for the record).
    #[serde(default)]
    pub screen: Option<u32>,
}

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// Not TOML, or a key or value the policy format does not have.
    Toml {
        /// 1-based line, when known.
        line: Option<usize>,
        /// The text of that line, trimmed.
        source_line: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Valid TOML with a value the rules forbid.
    Invalid {
        /// Dotted key, e.g. `weights.cpu`, `fit_for[1].min_score`.
        key: String,
        /// 1-based line of the key, when it could be found.
        line: Option<usize>,
        /// What is wrong.
        problem: String,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Toml { line: Some(line), source_line, message } => {
                write!(f, "policy line {line}")?;
                if let Some(text) = source_line {
                    write!(f, " ({text})")?;
                }
                write!(f, ": {message}")
            }
            PolicyError::Toml { line: None, message, .. } => write!(f, "policy: {message}"),
            PolicyError::Invalid { key, line: Some(line), problem } => {
                write!(f, "policy line {line}: {key}: {problem}")
            }
            PolicyError::Invalid { key, line: None, problem } => write!(f, "policy: {key}: {problem}"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// One step of a key path.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

impl Policy {
    /// The default policy (`policy/default.toml`).
    pub fn default_policy() -> Policy {
        // The file is checked by the crate's tests; a broken default is a build defect.
        #[allow(clippy::expect_used)]
        Policy::from_toml(DEFAULT_POLICY_TOML).expect("the built-in default policy is valid")
    }

    /// Reads and validates a policy. Every rule of docs/grading.md is checked; the first broken
    /// one is returned with its key and line.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_at(text, s.start));
            let source_line = line.and_then(|l| text.lines().nth(l - 1)).map(|t| t.trim().to_owned());
            PolicyError::Toml { line, source_line, message: e.message().trim().to_owned() }
        })?;
        policy.validate().map_err(|(path, problem)| {
            let segs: Vec<Seg<'_>> = path.iter().map(|s| s.as_seg()).collect();
            PolicyError::Invalid { key: dotted(&segs), line: line_of(text, &segs), problem }
        })?;
        Ok(policy)
    }

    fn validate(&self) -> Result<(), (Vec<PathSeg>, String)> {
        use PathSeg::{Idx, K};
        let positive = |v: f64, path: Vec<PathSeg>| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err((path, format!("must be a number above 0, found {v}")))
            }
        };
        let non_negative = |v: f64, path: Vec<PathSeg>| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err((path, format!("must be a number at or above 0, found {v}")))
            }
        };
        let finite = |v: f64, path: Vec<PathSeg>| {
            if v.is_finite() {
                Ok(())
            } else {
                Err((path, format!("must be a finite number, found {v}")))
            }
        };
        let curve = |c: &Curve, path: Vec<PathSeg>| -> Result<(), (Vec<PathSeg>, String)> {
            if c.0.is_empty() {
                return Err((path, "needs at least one [value, score] point".into()));
            }
            for (i, &(x, y)) in c.0.iter().enumerate() {
                let mut p = path.clone();
                p.push(Idx(i));
                if !x.is_finite() || !y.is_finite() || y <= 0.0 {
                    return Err((p, format!("[{x}, {y}]: the score must be above 0 and both finite")));
                }
                if i > 0 && x <= c.0[i - 1].0 {
                    return Err((p, format!("values must increase: {x} follows {}", c.0[i - 1].0)));
                }
            }
            Ok(())
        };
        let w = &self.weights;
        non_negative(w.cpu, vec![K("weights"), K("cpu")])?;
        non_negative(w.memory, vec![K("weights"), K("memory")])?;
        non_negative(w.disk, vec![K("weights"), K("disk")])?;
        if w.cpu + w.memory + w.disk <= 0.0 {
            return Err((vec![K("weights")], "at least one weight must be above 0".into()));
        }
        curve(&self.cpu.year, vec![K("cpu"), K("year")])?;
        curve(&self.cpu.threads, vec![K("cpu"), K("threads")])?;
        if let Some(b) = &self.cpu.benchmark {
            curve(b, vec![K("cpu"), K("benchmark")])?;
        }
        non_negative(self.cpu.year_weight, vec![K("cpu"), K("year_weight")])?;
        non_negative(self.cpu.threads_weight, vec![K("cpu"), K("threads_weight")])?;
        if self.cpu.year_weight + self.cpu.threads_weight <= 0.0 {
            return Err((
                vec![K("cpu"), K("year_weight")],
                "year_weight + threads_weight must be above 0".into(),
            ));
        }
        positive(self.cpu.unknown, vec![K("cpu"), K("unknown")])?;
        curve(&self.memory.gib, vec![K("memory"), K("gib")])?;
        positive(self.memory.unknown, vec![K("memory"), K("unknown")])?;
        let d = &self.disk;
        curve(&d.capacity_gb, vec![K("disk"), K("capacity_gb")])?;
        non_negative(d.capacity_weight, vec![K("disk"), K("capacity_weight")])?;
        non_negative(d.kind_weight, vec![K("disk"), K("kind_weight")])?;
        if d.capacity_weight + d.kind_weight <= 0.0 {
            return Err((
                vec![K("disk"), K("capacity_weight")],
                "capacity_weight + kind_weight must be above 0".into(),
            ));
        }
        for (name, v) in
            [("hdd", d.kind.hdd), ("ssd", d.kind.ssd), ("nvme", d.kind.nvme), ("unknown", d.kind.unknown)]
        {
            positive(v, vec![K("disk"), K("kind"), K(name)])?;
        }
        positive(d.missing, vec![K("disk"), K("missing")])?;
        finite(d.worn_adjustment, vec![K("disk"), K("worn_adjustment")])?;
        let e = &d.endurance;
        for (value, key) in [
            (e.typical_hours_per_year, "typical_hours_per_year"),
            (e.worn_below_years, "worn_below_years"),
            (e.worn_at_percent_used, "worn_at_percent_used"),
        ] {
            finite(value, vec![K("disk"), K("endurance"), K(key)])?;
            if value <= 0.0 {
                return Err((vec![K("disk"), K("endurance"), K(key)], "must be above 0".into()));
            }
        }
        if e.typical_hours_per_year > 8766.0 {
            return Err((
                vec![K("disk"), K("endurance"), K("typical_hours_per_year")],
                "must be at most 8766 (a year has no more hours)".into(),
            ));
        }
        let a = &self.appearance;
        for (name, v) in [("A", a.a), ("B", a.b), ("C", a.c), ("unknown", a.unknown)] {
            finite(v, vec![K("appearance"), K(name)])?;
        }
        let f = &self.functionality;
        non_negative(f.all_pass, vec![K("functionality"), K("all_pass")])?;
        if !(f.floor.is_finite() && f.floor <= 0.0) {
            return Err((
                vec![K("functionality"), K("floor")],
                format!("must be at or below 0, found {}", f.floor),
            ));
        }
        for check in CheckName::ALL {
            let v = f.failed.of(check);
            if !(v.is_finite() && v <= 0.0) {
                return Err((
                    vec![K("functionality"), K("failed"), K(check.as_str())],
                    format!("a penalty must be at or below 0, found {v}"),
                ));
            }
        }
        let b = &self.battery;
        if b.worn_below_percent > 100 {
            return Err((vec![K("battery"), K("worn_below_percent")], "must be at most 100".into()));
        }
        if b.dead_below_percent > b.worn_below_percent {
            return Err((
                vec![K("battery"), K("dead_below_percent")],
                format!("must be at most worn_below_percent ({})", b.worn_below_percent),
            ));
        }
        for (name, v) in [
            ("worn_adjustment", b.worn_adjustment),
            ("dead_adjustment", b.dead_adjustment),
            ("missing_adjustment", b.missing_adjustment),
        ] {
            finite(v, vec![K("battery"), K(name)])?;
        }
        let g = &self.grades;
        for (name, v) in [("A", g.a), ("B", g.b), ("C", g.c), ("pieces", g.pieces)] {
            finite(v, vec![K("grades"), K(name)])?;
        }
        if !(g.a > g.b && g.b > g.c && g.c > g.pieces) {
            return Err((vec![K("grades")], "thresholds must decrease strictly: A > B > C > pieces".into()));
        }
        let r = &self.reuse;
        non_negative(r.min_memory_gib, vec![K("reuse"), K("min_memory_gib")])?;
        non_negative(r.min_disk_gb, vec![K("reuse"), K("min_disk_gb")])?;
        if r.grade.is_reuse() {
            return Err((vec![K("reuse"), K("grade")], "must be pieces or recycling".into()));
        }
        for required in [Condition::DiskFailing, Condition::WipeFailed, Condition::WipeIncomplete] {
            if !self.hard_stops.iter().any(|h| h.when == required) {
                return Err((
                    vec![K("hard_stops")],
                    format!(
                        "must include a hard stop when = \"{}\": a failing disk or a failed or incomplete \
                         wipe can never yield a reuse grade",
                        condition_name(required)
                    ),
                ));
            }
        }
        for (i, h) in self.hard_stops.iter().enumerate() {
            let mandatory =
                matches!(h.when, Condition::DiskFailing | Condition::WipeFailed | Condition::WipeIncomplete);
            if mandatory && h.grade.is_reuse() {
                return Err((
                    vec![K("hard_stops"), Idx(i), K("grade")],
                    format!("{} must give pieces or recycling, not a reuse grade", condition_name(h.when)),
                ));
            }
        }
        for (i, u) in self.fit_for.iter().enumerate() {
            if u.code.trim().is_empty()
                || !u.code.bytes().all(|c| c.is_ascii_lowercase() || c == b'_' || c.is_ascii_digit())
            {
                return Err((vec![K("fit_for"), Idx(i), K("code")], "must be non-empty snake_case".into()));
            }
            if self.fit_for[..i].iter().any(|o| o.code == u.code) {
                return Err((vec![K("fit_for"), Idx(i), K("code")], format!("{:?} is used twice", u.code)));
            }
            if u.fr.trim().is_empty() {
                return Err((vec![K("fit_for"), Idx(i), K("fr")], "must not be empty".into()));
            }
            if u.en.trim().is_empty() {
                return Err((vec![K("fit_for"), Idx(i), K("en")], "must not be empty".into()));
            }
            for (name, v) in [
                ("min_score", u.min_score),
                ("min_memory_gib", u.min_memory_gib),
                ("min_disk_gb", u.min_disk_gb),
            ] {
                if let Some(v) = v {
                    non_negative(v, vec![K("fit_for"), Idx(i), K(name)])?;
                }
            }
        }
        if self.prix_solidaire.min_battery_health_percent > 100 {
            return Err((
                vec![K("prix_solidaire"), K("min_battery_health_percent")],
                "must be at most 100".into(),
            ));
        }
        Ok(())
    }
}

/// The name of a condition in the policy.
pub fn condition_name(c: Condition) -> &'static str {
    match c {
        Condition::DiskFailing => "disk_failing",
        Condition::WipeFailed => "wipe_failed",
        Condition::WipeIncomplete => "wipe_incomplete",
        Condition::NoDisk => "no_disk",
        Condition::BuiltinScreenFailed => "builtin_screen_failed",
        Condition::OsMissing => "os_missing",
        Condition::MemoryFailed => "memory_failed",
        Condition::CpuFailed => "cpu_failed",
    }
}

/// An owned key path step (validation builds paths from `'static` names and indexes).
#[derive(Debug, Clone, Copy)]
enum PathSeg {
    K(&'static str),
    Idx(usize),
}

impl PathSeg {
    fn as_seg(&self) -> Seg<'static> {
        match *self {
            PathSeg::K(k) => Seg::Key(k),
            PathSeg::Idx(i) => Seg::Index(i),
        }
    }
}

fn dotted(path: &[Seg<'_>]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// 1-based line of byte `offset`.
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// The line where the key at `path` is written, found through toml_edit's spans.
fn line_of(text: &str, path: &[Seg<'_>]) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut span = None;
    let mut item: Option<&toml_edit::Item> = None;
    let mut value: Option<&toml_edit::Value> = None;
    let mut table: Option<&dyn toml_edit::TableLike> = Some(doc.as_table());
    for seg in path {
        match *seg {
            Seg::Key(k) => {
                let t = table.take()?;
                let (key, it) = t.get_key_value(k)?;
                span = key.span().or(it.span()).or(span);
                item = Some(it);
                value = it.as_value();
                table = it.as_table_like();
            }
            Seg::Index(i) => {
                if let Some(aot) = item.and_then(|it| it.as_array_of_tables()) {
                    let t = aot.get(i)?;
                    span = t.span().or(span);
                    table = Some(t);
                    item = None;
                    value = None;
                } else {
                    let v = value.and_then(|v| v.as_array()).and_then(|a| a.get(i))?;
                    span = v.span().or(span);
                    table = v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike);
                    value = Some(v);
                    item = None;
                }
            }
        }
    }
    span.map(|s| line_at(text, s.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid() {
        let p = Policy::from_toml(DEFAULT_POLICY_TOML).expect("valid");
        assert_eq!(p.weights.cpu, 0.5);
        assert_eq!(p.fit_for.len(), 4);
    }

    #[test]
    fn curves_interpolate_and_stay_flat_beyond_the_ends() {
        let c = Curve(vec![(1.0, 1.0), (3.0, 3.0)]);
        assert_eq!(c.at(0.0), 1.0);
        assert_eq!(c.at(2.0), 2.0);
        assert_eq!(c.at(10.0), 3.0);
    }

    fn refused(edit: (&str, &str)) -> PolicyError {
        let text = DEFAULT_POLICY_TOML.replacen(edit.0, edit.1, 1);
        assert_ne!(text, DEFAULT_POLICY_TOML, "the edit {edit:?} changed nothing");
        Policy::from_toml(&text).expect_err("must be refused")
    }

    fn line_containing(needle: &str) -> usize {
        DEFAULT_POLICY_TOML.lines().position(|l| l.contains(needle)).expect("in the default policy") + 1
    }

    #[test]
    fn a_negative_weight_names_the_key_and_line() {
        let e = refused(("cpu = 0.5", "cpu = -0.5"));
        assert_eq!(
            e,
            PolicyError::Invalid {
                key: "weights.cpu".into(),
                line: Some(line_containing("cpu = 0.5")),
                problem: "must be a number at or above 0, found -0.5".into()
            }
        );
    }

    #[test]
    fn endurance_thresholds_are_checked() {
        let p = Policy::from_toml(DEFAULT_POLICY_TOML).expect("valid");
        assert_eq!(p.disk.endurance.worn_at_percent_used, 80.0);
        let e = refused(("worn_below_years = 3", "worn_below_years = 0"));
        let PolicyError::Invalid { key, problem, .. } = e else { panic!("{e:?}") };
        assert_eq!((key.as_str(), problem.as_str()), ("disk.endurance.worn_below_years", "must be above 0"));
        let e = refused(("typical_hours_per_year = 1460", "typical_hours_per_year = 9000"));
        assert!(e.to_string().contains("a year has no more hours"), "{e}");
        let e = refused(("[disk.endurance]\n", "[disk.endurance]\nworn_at = 1\n"));
        assert!(e.to_string().contains("unknown field `worn_at`"), "{e}");
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let e = refused(("[weights]\n", "[weights]\ngpu = 0.1\n"));
        let PolicyError::Toml { line, source_line, message } = e else { panic!("{e:?}") };
        assert_eq!(line, Some(line_containing("[weights]") + 1));
        assert_eq!(source_line.as_deref(), Some("gpu = 0.1"));
        assert!(message.contains("unknown field `gpu`"), "{message}");
    }

    #[test]
    fn a_failing_disk_hard_stop_cannot_be_removed_or_softened() {
        let e = refused((
            "when = \"disk_failing\"\ngrade = \"pieces\"",
            "when = \"disk_failing\"\ngrade = \"B\"",
        ));
        let PolicyError::Invalid { key, line, .. } = e else { panic!("{e:?}") };
        assert_eq!(key, "hard_stops[0].grade");
        assert_eq!(line, Some(line_containing("when = \"disk_failing\"") + 1));
        let e = refused(("when = \"wipe_failed\"", "when = \"os_missing\""));
        assert!(e.to_string().contains("wipe_failed"), "{e}");
    }

    #[test]
    fn a_decreasing_curve_names_the_point() {
        let e = refused(("[2, 1.8], [4, 3.0]", "[2, 1.8], [1.5, 3.0]"));
        let PolicyError::Invalid { key, line, .. } = e else { panic!("{e:?}") };
        assert_eq!(key, "memory.gib[3]");
        assert_eq!(line, Some(line_containing("gib = [")));
    }

    #[test]
    fn grade_thresholds_must_decrease() {
        let e = refused(("B = 3.0\nC = 2.0", "B = 3.0\nC = 3.5"));
        assert!(matches!(e, PolicyError::Invalid { ref key, .. } if key == "grades"), "{e:?}");
    }
}
