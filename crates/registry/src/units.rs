//! A unit's life after the wipe (docs/web.md, "A unit's life"): the states it goes through and
//! the rules between them, pure (no I/O). The store ([`crate::store`]) keeps each unit's state
//! and an append-only history of events, and calls [`apply`] inside the transaction that
//! records an event, so a refused transition changes nothing.
//!
//! received → wiped → imaged → graded come from the unit's latest certificate
//! ([`Evidence::of`], [`Evidence::state`]); ready, allocated, returned and recycled are events a
//! person records ([`Action`]), with who and when.
//!
//! Allocation records what the partner's social worker needs to find the case again, and no
//! more (GDPR art. 5(1)(c), data minimisation): a [`CaseReference`] (refused when it looks like
//! an e-mail address or a phone number), the kind of programme ([`Programme`]) and the
//! [`Price`]. There is no field for a beneficiary's name or address.

use certificate::{Certificate, Outcome};

/// Where a unit is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// In a lot: registered by hand, or a certificate arrived whose wipe did not succeed.
    Received,
    /// Its latest certificate says every disk was sanitized (`sanitized`).
    Wiped,
    /// Its latest certificate also says an operating system image was written and verified.
    Imaged,
    /// Its latest certificate also carries a grade.
    Graded,
    /// A refurbisher marked it ready to give, with its price.
    Ready,
    /// Given to a partner organisation for a beneficiary.
    Allocated,
    /// Brought back by the partner; it must be wiped again before it is given again.
    Returned,
    /// Sent to WEEE recycling (D3E).
    Recycled,
}

/// Every state, in the order of a unit's life.
pub const STATES: [State; 8] = [
    State::Received,
    State::Wiped,
    State::Imaged,
    State::Graded,
    State::Ready,
    State::Allocated,
    State::Returned,
    State::Recycled,
];

impl State {
    /// The word stored, typed and sent in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Wiped => "wiped",
            State::Imaged => "imaged",
            State::Graded => "graded",
            State::Ready => "ready",
            State::Allocated => "allocated",
            State::Returned => "returned",
            State::Recycled => "recycled",
        }
    }
}

impl std::str::FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        STATES.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            format!("{s:?} is not a unit state: received, wiped, imaged, graded, ready, allocated, returned or recycled")
        })
    }
}

/// What a unit's latest certificate says about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Evidence {
    /// A certificate names it (a unit registered by hand has none yet).
    pub certified: bool,
    /// The latest certificate's overall result is `sanitized`.
    pub wiped: bool,
    /// Its `image` member says an image was written and read back (`verification.result` is
    /// `verified`, imaging's `ImagingRecord`).
    pub imaged: bool,
    /// Its `grade` member's grade (`A`, `B`, `C`, `pieces`, `recycling`), if graded.
    pub grade: Option<String>,
}

impl Evidence {
    /// What `c` says.
    pub fn of(c: &Certificate) -> Self {
        Evidence {
            certified: true,
            wiped: c.result == Outcome::Sanitized,
            imaged: c.image.as_ref().is_some_and(image_written_and_verified),
            grade: crate::web::report::grade_word(c),
        }
    }

    /// The state the certificates alone give: as far along received → wiped → imaged → graded
    /// as the evidence goes without a gap: a grade on a unit whose image did not verify leaves
    /// it wiped, since it cannot be given without a working system.
    pub fn state(&self) -> State {
        if !self.wiped {
            State::Received
        } else if !self.imaged {
            State::Wiped
        } else if self.grade.is_none() {
            State::Imaged
        } else {
            State::Graded
        }
    }
}

/// Whether a certificate's `image` member (one imaging record, or a list of them) says an image
/// was written and verified: every record has bytes written and `verification.result` =
/// `verified`.
fn image_written_and_verified(image: &serde_json::Value) -> bool {
    let one = |r: &serde_json::Value| {
        r.get("bytes_written").and_then(|b| b.as_u64()).is_some()
            && r.pointer("/verification/result").and_then(|v| v.as_str()) == Some("verified")
    };
    match image {
        serde_json::Value::Array(records) => !records.is_empty() && records.iter().all(one),
        record => one(record),
    }
}

/// The kind of a partner organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    /// Centre communal d'action sociale.
    Ccas,
    /// Mission locale (young adults' employment).
    MissionLocale,
    /// Aide sociale à l'enfance (the département's child welfare).
    Ase,
    /// France Travail (job seekers).
    FranceTravail,
    /// An association.
    Association,
    /// Another kind.
    Other,
}

/// Every partner kind.
pub const PARTNER_KINDS: [PartnerKind; 6] = [
    PartnerKind::Ccas,
    PartnerKind::MissionLocale,
    PartnerKind::Ase,
    PartnerKind::FranceTravail,
    PartnerKind::Association,
    PartnerKind::Other,
];

impl PartnerKind {
    /// The word stored and typed (`--kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerKind::Ccas => "ccas",
            PartnerKind::MissionLocale => "mission_locale",
            PartnerKind::Ase => "ase",
            PartnerKind::FranceTravail => "france_travail",
            PartnerKind::Association => "association",
            PartnerKind::Other => "other",
        }
    }
}

impl std::str::FromStr for PartnerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let folded = s.trim().to_lowercase().replace([' ', '-'], "_");
        PARTNER_KINDS.into_iter().find(|k| k.as_str() == folded).ok_or_else(|| {
            format!("{s:?} is not a partner kind: ccas, mission_locale, ase, france_travail, association or other")
        })
    }
}

/// The kind of programme the beneficiary is in: counted in the donor's report, never who.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Programme {
    /// Revenu de solidarité active.
    Rsa,
    /// Young adults in (or leaving) the care of the ASE.
    Ase,
    /// Job seekers.
    JobSeekers,
    /// Students.
    Students,
    /// Another programme.
    Other,
}

/// Every programme kind.
pub const PROGRAMMES: [Programme; 5] =
    [Programme::Rsa, Programme::Ase, Programme::JobSeekers, Programme::Students, Programme::Other];

impl Programme {
    /// The word stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Programme::Rsa => "rsa",
            Programme::Ase => "ase",
            Programme::JobSeekers => "job_seekers",
            Programme::Students => "students",
            Programme::Other => "other",
        }
    }
}

impl std::str::FromStr for Programme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PROGRAMMES
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| format!("{s:?} is not a programme: rsa, ase, job_seekers, students or other"))
    }
}

/// What the beneficiary pays: in euro cents, never floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Price {
    /// Given free of charge.
    Free,
    /// A one-off "prix solidaire" (Hauts-de-Seine), in cents.
    Solidaire {
        /// Euro cents.
        cents: i64,
    },
    /// A yearly contribution (Drôme: 25 €/year), in cents per year.
    Yearly {
        /// Euro cents per year.
        cents: i64,
    },
}

impl Price {
    /// `free`, `solidaire` or `yearly`.
    pub fn kind(self) -> &'static str {
        match self {
            Price::Free => "free",
            Price::Solidaire { .. } => "solidaire",
            Price::Yearly { .. } => "yearly",
        }
    }

    /// The amount in cents (0 when free).
    pub fn cents(self) -> i64 {
        match self {
            Price::Free => 0,
            Price::Solidaire { cents } | Price::Yearly { cents } => cents,
        }
    }

    /// The price of `kind` (`free`, `solidaire`, `yearly`) and an amount in euros as typed
    /// (`25`, `25,50`, `25.5`, `12 €`); the amount is ignored when free.
    pub fn parse(kind: &str, euros: Option<&str>) -> Result<Price, String> {
        let amount = || -> Result<i64, String> {
            let typed = euros.unwrap_or("").trim().trim_end_matches('€').trim();
            let cents = parse_euros(typed)
                .ok_or_else(|| format!("price {typed:?}: give an amount in euros, e.g. 25 or 12,50"))?;
            if cents <= 0 {
                return Err(format!(
                    "price {typed:?}: a priced unit costs more than 0 €; choose free otherwise"
                ));
            }
            Ok(cents)
        };
        match kind.trim() {
            "free" => Ok(Price::Free),
            "solidaire" => Ok(Price::Solidaire { cents: amount()? }),
            "yearly" => Ok(Price::Yearly { cents: amount()? }),
            other => Err(format!("price kind {other:?}: free, solidaire or yearly")),
        }
    }

    /// The price as stored: kind and cents.
    pub fn from_stored(kind: &str, cents: i64) -> Option<Price> {
        match kind {
            "free" => Some(Price::Free),
            "solidaire" => Some(Price::Solidaire { cents }),
            "yearly" => Some(Price::Yearly { cents }),
            _ => None,
        }
    }
}

/// `25`, `25,5`, `25.50` → cents; at most two decimals, at most 100,000 €.
fn parse_euros(s: &str) -> Option<i64> {
    let (whole, frac) = match s.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.is_empty() || whole.len() > 6 || frac.len() > 2 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    Some(whole * 100 + frac).filter(|c| *c <= 10_000_000)
}

/// A social worker's reference for the case a unit is given in: enough for the partner to find
/// its file again, nothing that names or reaches the person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseReference(String);

/// Longest case reference, in characters.
pub const CASE_REFERENCE_MAX: usize = 64;

impl CaseReference {
    /// Checks a typed reference: 1 to 64 characters, no control characters, and nothing that
    /// looks like an e-mail address (an `@`) or a phone number (a run of digits and separators
    /// that is a French number, `0` and 9 digits, or an international one, `+` or `00` and 8
    /// to 15 digits). Names cannot be told from references by a program; the form says in
    /// words never to type one.
    pub fn parse(typed: &str) -> Result<CaseReference, String> {
        let s = typed.trim();
        let n = s.chars().count();
        if n == 0 || n > CASE_REFERENCE_MAX {
            return Err(format!(
                "case reference: {n} characters; give 1 to {CASE_REFERENCE_MAX} (the social worker's file number)"
            ));
        }
        if s.chars().any(char::is_control) {
            return Err("case reference: it holds a control character".into());
        }
        if s.contains('@') {
            return Err("case reference: it looks like an e-mail address; give the file number, never a person's contact".into());
        }
        if looks_like_phone(s) {
            return Err("case reference: it looks like a phone number; give the file number, never a person's contact".into());
        }
        Ok(CaseReference(s.to_owned()))
    }

    /// The reference.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn looks_like_phone(s: &str) -> bool {
    let is_part = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')' | '+' | '/');
    s.split(|c: char| !is_part(c)).any(|run| {
        let run = run.trim_matches(|c: char| !c.is_ascii_digit() && c != '+');
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        let international =
            (run.starts_with('+') || digits.starts_with("00")) && (8..=15).contains(&digits.len());
        let french = digits.len() == 10 && digits.starts_with('0');
        international || french
    })
}

/// What a person does to a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A refurbisher marks a graded unit ready to give, at this price.
    Ready {
        /// What the beneficiary will pay.
        price: Price,
    },
    /// It is given to a partner (by a supervisor, or reserved by the partner itself, which
    /// types the case reference; docs/web.md).
    Allocate {
        /// The partner organisation's name.
        partner: String,
        /// The social worker's case reference.
        case_reference: CaseReference,
        /// The beneficiary's programme kind.
        programme: Programme,
    },
    /// The partner brought it back.
    Return,
    /// It went to WEEE recycling.
    Recycle,
}

impl Action {
    /// The event's word in the history.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Ready { .. } => "ready",
            Action::Allocate { .. } => "allocated",
            Action::Return => "returned",
            Action::Recycle => "recycled",
        }
    }
}

/// The fields of a transition as a form, the API or the command line give them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ActionFields {
    /// `ready`, `allocate`, `return` or `recycle`.
    #[serde(default)]
    pub action: String,
    /// For `ready`: `free`, `solidaire` or `yearly`.
    pub price: Option<String>,
    /// For `ready`: the amount in euros (`25`, `12,50`).
    pub amount: Option<String>,
    /// For `allocate`: the partner organisation's name.
    pub partner: Option<String>,
    /// For `allocate`: the social worker's case reference.
    pub case_reference: Option<String>,
    /// For `allocate`: `rsa`, `ase`, `job_seekers`, `students`, `other`.
    pub programme: Option<String>,
}

impl ActionFields {
    /// The action they describe, or what is wrong with them.
    pub fn action(&self) -> Result<Action, String> {
        let need = |v: &Option<String>, name: &str| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("{} needs the field {name}", self.action))
        };
        match self.action.trim() {
            "ready" => Ok(Action::Ready {
                price: Price::parse(&need(&self.price, "price")?, self.amount.as_deref())?,
            }),
            "allocate" => Ok(Action::Allocate {
                partner: need(&self.partner, "partner")?,
                case_reference: CaseReference::parse(self.case_reference.as_deref().unwrap_or(""))?,
                programme: need(&self.programme, "programme")?.parse()?,
            }),
            "return" => Ok(Action::Return),
            "recycle" => Ok(Action::Recycle),
            other => Err(format!("action {other:?}: ready, allocate, return or recycle")),
        }
    }
}

/// Why a transition is refused (the API answers 409 with its words; the pages say it in the
/// page's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Ready: its latest certificate's wipe did not succeed.
    WipeFailed,
    /// Ready: no certificate names it yet.
    NotWiped,
    /// Ready: no verified image was written.
    NotImaged,
    /// Ready: no grade yet.
    NotGraded,
    /// Ready: graded for parts or recycling (the grade).
    NotForReuse(String),
    /// Ready twice.
    AlreadyReady,
    /// Ready or recycle an allocated unit.
    ReturnFirst,
    /// Ready a returned unit.
    WipeAgain,
    /// Allocate twice.
    AlreadyAllocated,
    /// Allocate a unit not ready.
    NotReady,
    /// Return a unit not allocated.
    NotAllocated,
    /// Anything to a recycled unit.
    Recycled,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::WipeFailed => {
                f.write_str("its latest wipe failed or was not verified: wipe it again first")
            }
            Refusal::NotWiped => f.write_str("it has not been wiped yet"),
            Refusal::NotImaged => f.write_str("no verified system image was written on it yet"),
            Refusal::NotGraded => f.write_str("it has no grade yet"),
            Refusal::NotForReuse(g) => {
                write!(f, "it is graded {g:?}, not for reuse (A, B or C): recycle it or keep it for parts")
            }
            Refusal::AlreadyReady => f.write_str("it is already ready"),
            Refusal::ReturnFirst => f.write_str("it is allocated: record its return first"),
            Refusal::WipeAgain => f.write_str(
                "it came back from a beneficiary: wipe it again (a new certificate) before it is given again",
            ),
            Refusal::AlreadyAllocated => f.write_str("it is already allocated"),
            Refusal::NotReady => f.write_str("only a unit marked ready can be allocated"),
            Refusal::NotAllocated => f.write_str("only an allocated unit can be returned"),
            Refusal::Recycled => f.write_str("it was recycled"),
        }
    }
}

/// The state `action` takes a unit in `state` (with `evidence` from its latest certificate) to,
/// or why it may not.
pub fn apply(state: State, evidence: &Evidence, action: &Action) -> Result<State, Refusal> {
    match (action, state) {
        (Action::Ready { .. }, State::Graded) => match evidence.grade.as_deref() {
            Some("A" | "B" | "C") => Ok(State::Ready),
            Some(g) => Err(Refusal::NotForReuse(g.to_owned())),
            None => Err(Refusal::NotGraded),
        },
        (Action::Ready { .. }, State::Received) if evidence.certified => Err(Refusal::WipeFailed),
        (Action::Ready { .. }, State::Received) => Err(Refusal::NotWiped),
        (Action::Ready { .. }, State::Wiped) => Err(Refusal::NotImaged),
        (Action::Ready { .. }, State::Imaged) => Err(Refusal::NotGraded),
        (Action::Ready { .. }, State::Ready) => Err(Refusal::AlreadyReady),
        (Action::Ready { .. }, State::Allocated) => Err(Refusal::ReturnFirst),
        (Action::Ready { .. }, State::Returned) => Err(Refusal::WipeAgain),
        (Action::Allocate { .. }, State::Ready) => Ok(State::Allocated),
        (Action::Allocate { .. }, State::Allocated) => Err(Refusal::AlreadyAllocated),
        (Action::Allocate { .. }, _) => Err(Refusal::NotReady),
        (Action::Return, State::Allocated) => Ok(State::Returned),
        (Action::Return, _) => Err(Refusal::NotAllocated),
        (Action::Recycle, State::Allocated) => Err(Refusal::ReturnFirst),
        (Action::Ready { .. } | Action::Recycle, State::Recycled) => Err(Refusal::Recycled),
        (Action::Recycle, _) => Ok(State::Recycled),
    }
}

/// A unit's key within its lot: its serial, or for a unit without serial the certificate's id.
pub fn reference_of(c: &Certificate) -> String {
    match c.unit.serial.value() {
        Some(s) if !s.trim().is_empty() => s.clone(),
        _ => c.id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(wiped: bool, imaged: bool, grade: Option<&str>) -> Evidence {
        Evidence { certified: true, wiped, imaged, grade: grade.map(str::to_owned) }
    }

    fn allocate() -> Action {
        Action::Allocate {
            partner: "CCAS Montpellier".into(),
            case_reference: CaseReference::parse("DOS-2026-0042").expect("reference"),
            programme: Programme::Rsa,
        }
    }

    const READY: Action = Action::Ready { price: Price::Yearly { cents: 2500 } };

    #[test]
    fn the_certificates_give_the_automatic_states_without_gaps() {
        assert_eq!(Evidence::default().state(), State::Received);
        assert_eq!(evidence(false, true, Some("A")).state(), State::Received, "a failed wipe");
        assert_eq!(evidence(true, false, None).state(), State::Wiped);
        assert_eq!(evidence(true, false, Some("A")).state(), State::Wiped, "graded, not imaged");
        assert_eq!(evidence(true, true, None).state(), State::Imaged);
        assert_eq!(evidence(true, true, Some("B")).state(), State::Graded);
    }

    #[test]
    fn the_image_member_must_say_written_and_verified() {
        let verified = serde_json::json!({"bytes_written": 10, "verification": {"result": "verified"}});
        let unverified = serde_json::json!({"bytes_written": 10, "verification": {"result": "not-verified"}});
        assert!(image_written_and_verified(&verified));
        assert!(!image_written_and_verified(&unverified));
        assert!(!image_written_and_verified(&serde_json::json!({"verification": {"result": "verified"}})));
        assert!(image_written_and_verified(&serde_json::json!([verified.clone(), verified.clone()])));
        assert!(!image_written_and_verified(&serde_json::json!([verified, unverified])));
        assert!(!image_written_and_verified(&serde_json::json!([])));
    }

    #[test]
    fn every_transition_from_every_state() {
        let graded = evidence(true, true, Some("A"));
        let expected: [(State, [Option<State>; 4]); 8] = [
            // state: ready, allocate, return, recycle
            (State::Received, [None, None, None, Some(State::Recycled)]),
            (State::Wiped, [None, None, None, Some(State::Recycled)]),
            (State::Imaged, [None, None, None, Some(State::Recycled)]),
            (State::Graded, [Some(State::Ready), None, None, Some(State::Recycled)]),
            (State::Ready, [None, Some(State::Allocated), None, Some(State::Recycled)]),
            (State::Allocated, [None, None, Some(State::Returned), None]),
            (State::Returned, [None, None, None, Some(State::Recycled)]),
            (State::Recycled, [None, None, None, None]),
        ];
        for (from, outcomes) in expected {
            for (action, want) in [READY, allocate(), Action::Return, Action::Recycle].iter().zip(outcomes) {
                let got = apply(from, &graded, action);
                match want {
                    Some(to) => assert_eq!(got, Ok(to), "{from:?} {action:?}"),
                    None => {
                        let why = got.expect_err(&format!("{from:?} {action:?} must be refused"));
                        assert!(!why.to_string().is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_say_why_in_plain_words() {
        let failed = evidence(false, false, None);
        let why = |s, e: &Evidence, a: &Action| apply(s, e, a).expect_err("refused").to_string();
        assert!(why(State::Received, &failed, &READY).contains("latest wipe failed"));
        assert!(why(State::Received, &Evidence::default(), &READY).contains("not been wiped"));
        assert!(why(State::Wiped, &evidence(true, false, None), &READY).contains("image"));
        assert!(why(State::Imaged, &evidence(true, true, None), &READY).contains("no grade"));
        assert!(
            why(State::Graded, &evidence(true, true, Some("recycling")), &READY).contains("not for reuse")
        );
        assert!(why(State::Allocated, &failed, &allocate()).contains("already allocated"));
        assert!(why(State::Graded, &failed, &allocate()).contains("marked ready"));
        assert!(why(State::Allocated, &failed, &Action::Recycle).contains("return first"));
        assert!(why(State::Returned, &failed, &READY).contains("wipe it again"));
    }

    #[test]
    fn case_references_refuse_contacts() {
        for good in ["DOS-2026-0042", "CCAS34/2026/000123", "dossier 17 B", "2026-0123456789", "ASE 34 - 112"]
        {
            assert_eq!(CaseReference::parse(good).map(|r| r.0), Ok(good.to_owned()), "{good}");
        }
        for (bad, why) in [
            ("", "characters"),
            ("   ", "characters"),
            (&"x".repeat(65), "characters"),
            ("camille.martin@example.org", "e-mail"),
            ("camille at example@org", "e-mail"),
            ("06 12 34 56 78", "phone"),
            ("0612345678", "phone"),
            ("tel. 06.12.34.56.78", "phone"),
            ("+33 6 12 34 56 78", "phone"),
            ("0033612345678", "phone"),
            ("ref\u{7}", "control"),
        ] {
            let e = CaseReference::parse(bad).expect_err(bad);
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert_eq!(CaseReference::parse(&"é".repeat(64)).map(|r| r.0.chars().count()), Ok(64));
    }

    #[test]
    fn prices_are_cents() {
        assert_eq!(Price::parse("yearly", Some("25")), Ok(Price::Yearly { cents: 2500 }));
        assert_eq!(Price::parse("solidaire", Some("49,90 €")), Ok(Price::Solidaire { cents: 4990 }));
        assert_eq!(Price::parse("solidaire", Some("12.5")), Ok(Price::Solidaire { cents: 1250 }));
        assert_eq!(Price::parse("free", Some("junk")), Ok(Price::Free));
        for bad in ["", "0", "-3", "1,234", "abc", "1e3", "9999999"] {
            assert!(Price::parse("solidaire", Some(bad)).is_err(), "{bad}");
        }
        assert!(Price::parse("gift", None).is_err());
        assert_eq!(Price::from_stored("yearly", 2500), Some(Price::Yearly { cents: 2500 }));
    }

    #[test]
    fn words_read_back() {
        for s in STATES {
            assert_eq!(s.as_str().parse::<State>(), Ok(s));
        }
        for k in PARTNER_KINDS {
            assert_eq!(k.as_str().parse::<PartnerKind>(), Ok(k));
        }
        assert_eq!("Mission locale".parse::<PartnerKind>(), Ok(PartnerKind::MissionLocale));
        assert_eq!("France-Travail".parse::<PartnerKind>(), Ok(PartnerKind::FranceTravail));
        for p in PROGRAMMES {
            assert_eq!(p.as_str().parse::<Programme>(), Ok(p));
        }
    }
}
