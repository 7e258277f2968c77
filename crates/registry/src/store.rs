//! Where stations, certificates and the log's leaves are kept.
//!
//! One implementation of the registry's storage logic ([`SqlStore`]) runs the same SQL and the
//! same migrations on two backends: SQLite ([`Sqlite`], the embedded default, one file) and
//! PostgreSQL ([`Postgres`], for a federation of workshops with several registry processes). The
//! backends only execute statements (PostgreSQL sends a batch's rows as arrays in one
//! statement, see [`Tx::insert_rows_then`]); every rule lives once, here. Every operation is one
//! statement or one transaction ([`Access`]); appending to the log takes the log's write lock
//! first (SQLite `BEGIN IMMEDIATE`, PostgreSQL an advisory lock, `pg_advisory_xact_lock`), so leaf
//! indexes have no gaps or duplicates even with several processes.

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex};

/// An enrolled (or enrolling) station.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Station {
    /// Hex SHA-256 of its public key.
    pub key_id: String,
    /// Base64 raw Ed25519 public key.
    pub public_key: String,
    /// A name the workshop gave it.
    pub name: Option<String>,
    /// The code it showed when it asked to enrol, until approved.
    pub enrolment_code: Option<String>,
    /// When it asked to enrol (or was added).
    pub requested_at: String,
    /// When a supervisor approved it; certificates are accepted only after.
    pub approved_at: Option<String>,
    /// When it was revoked; later certificates are refused, earlier ones stay, marked.
    pub revoked_at: Option<String>,
}

/// A certificate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    /// Certificate id.
    pub id: String,
    /// The file exactly as received.
    pub document: String,
    /// SHA-256 (hex) of the canonical certificate bytes, the identity used for idempotency.
    pub content_sha256: String,
    /// When the registry accepted it (RFC 3339).
    pub received_at: String,
    /// Its leaf in the transparency log.
    pub leaf_index: u64,
    /// The signing station's key id.
    pub station_key_id: String,
}

/// One line of a disk's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiskEntry {
    /// Certificate id.
    pub certificate_id: String,
    /// The disk's sanitization result in that certificate.
    pub disk_result: String,
    /// The certificate's overall result.
    pub certificate_result: String,
    /// The unit's serial, if it had one.
    pub unit_serial: Option<String>,
    /// Signing station.
    pub station_key_id: String,
    /// Whether that station has since been revoked (the certificate stays, marked).
    pub station_revoked: bool,
    /// When the run finished (RFC 3339).
    pub finished_at: String,
    /// When the registry accepted it.
    pub received_at: String,
}

/// The facts extracted from a verified certificate for indexing, as stored.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// Certificate id.
    pub id: String,
    /// Signing station's key id.
    pub station_key_id: String,
    /// The file exactly as received.
    pub document: String,
    /// SHA-256 (hex) of the canonical certificate bytes.
    pub content_sha256: String,
    /// RFC 6962 leaf hash of the canonical certificate bytes.
    pub leaf_hash: [u8; 32],
    /// Unit serial.
    pub unit_serial: Option<String>,
    /// The donor's lot the unit came in, when the certificate names one.
    pub lot: Option<String>,
    /// Overall result.
    pub result: String,
    /// When the run finished.
    pub finished_at: String,
    /// (disk serial, disk result) for every disk with a serial.
    pub disks: Vec<(String, String)>,
    /// The certificate, whose flags ([`crate::web::flags`]) are computed and kept when it is
    /// recorded; `None` records none.
    pub parsed: Option<Box<certificate::Certificate>>,
}

impl NewCertificate {
    /// The row of a verified certificate whose file was `document`.
    pub fn from_verified(verified: certificate::VerifiedCertificate, document: &[u8]) -> Self {
        use sha2::Digest as _;
        let cert = &verified.certificate;
        let word = |v: &certificate::SanitizeResult| {
            serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
        };
        NewCertificate {
            id: cert.id.to_string(),
            station_key_id: cert.station.key_id.clone(),
            document: String::from_utf8_lossy(document).into_owned(),
            content_sha256: hex::encode(sha2::Sha256::digest(&verified.canonical)),
            // RFC 6962 §2.1: the leaf data is the canonical certificate the station signed.
            leaf_hash: certificate::log::leaf_hash(&verified.canonical),
            unit_serial: cert.unit.serial.value().cloned(),
            lot: cert.lot.clone(),
            result: cert.result.to_string(),
            finished_at: cert.finished_at.as_str().to_owned(),
            disks: cert
                .disks
                .iter()
                .filter_map(|d| d.serial.value().map(|s| (s.clone(), word(&d.sanitization.result))))
                .collect(),
            parsed: Some(Box::new(verified.certificate)),
        }
    }
}

/// What inserting a certificate did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Newly recorded as log leaf `leaf_index`, the last leaf of a tree of `leaf_index + 1`.
    New {
        /// When it was accepted.
        received_at: String,
        /// Its leaf.
        leaf_index: u64,
        /// The root of the tree it ends.
        root: [u8; 32],
        /// Its inclusion proof in that tree (RFC 9162 §2.1.3.1), leaf first.
        proof: Vec<[u8; 32]>,
    },
    /// The same certificate was already recorded.
    Duplicate {
        /// When it was first accepted.
        received_at: String,
        /// Its leaf.
        leaf_index: u64,
    },
    /// A different certificate already has this id.
    Conflict,
    /// Its station was revoked (at this time) before the certificate could be appended. The
    /// check runs in the append's own transaction, so a revocation committed before it always
    /// wins, whatever the caller saw of the station earlier.
    StationRevoked {
        /// When the station was revoked.
        revoked_at: String,
    },
}

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error ({backend}): {message}")]
    Db {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The database's message.
        message: String,
    },
    /// A station with this key is already known.
    #[error("a station with key id {0} is already enrolled")]
    AlreadyEnrolled(String),
    /// An approved (or revoked) station already has this name.
    #[error("an approved station is already named {0:?}")]
    NameTaken(String),
    /// No station matches.
    #[error("no station matches {0:?}")]
    NoSuchStation(String),
    /// An account with this name exists.
    #[error("an account named {0:?} already exists")]
    UserExists(String),
    /// No account has this name.
    #[error("no account is named {0:?}")]
    NoSuchUser(String),
    /// No API token, or several, match.
    #[error("{0}")]
    NoSuchToken(String),
    // A unit's life (store/units.rs).
    /// The input does not allow it; the message says why (409).
    #[error("{0}")]
    Refused(String),
    /// The unit's state does not allow the transition (409).
    #[error("{0}")]
    Transition(crate::units::Refusal),
    /// No unit has this serial (or reference).
    #[error("no unit is known by {0:?}")]
    NoSuchUnit(String),
    /// No partner organisation has this name.
    #[error("no partner organisation is named {0:?} (registry partner add)")]
    NoSuchPartner(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db { backend: "sqlite", message: e.to_string() }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let message = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        };
        StoreError::Db { backend: "postgres", message }
    }
}

/// What the registry needs from its database.
pub trait Store: Send + Sync {
    /// Enrols and approves a station at once (`registry station add`).
    fn add_station(&self, key_id: &str, public_key: &str, name: Option<&str>) -> Result<Station, StoreError>;
    /// Records a station's request to enrol, with the code it will show; idempotent per key.
    fn request_enrolment(
        &self,
        key_id: &str,
        public_key: &str,
        name: Option<&str>,
        code: &str,
    ) -> Result<Station, StoreError>;
    /// Approves the pending station that showed `code`.
    fn approve(&self, code: &str) -> Result<Station, StoreError>;
    /// Revokes a station by key id or name.
    fn revoke(&self, key_id_or_name: &str) -> Result<Station, StoreError>;
    /// Looks a station up by key id.
    fn station(&self, key_id: &str) -> Result<Option<Station>, StoreError>;
    /// Every station.
    fn stations(&self) -> Result<Vec<Station>, StoreError>;
    /// Records a certificate and appends its log leaf, durably, or says it is a duplicate or a
    /// conflict.
    fn insert_certificate(&self, c: &NewCertificate) -> Result<Inserted, StoreError>;
    /// A certificate by id.
    fn certificate(&self, id: &str) -> Result<Option<StoredCertificate>, StoreError>;
    /// Every certificate that names a disk serial, oldest first.
    fn disk_history(&self, serial: &str) -> Result<Vec<DiskEntry>, StoreError>;
    /// Number of leaves in the log and the root of the tree they make.
    fn log_head(&self) -> Result<(u64, [u8; 32]), StoreError>;
    /// Leaf hashes `[start, end)` of the log, in order.
    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError>;
    /// The leaf index of a leaf hash, if it is in the log.
    fn leaf_index(&self, leaf_hash: &[u8; 32]) -> Result<Option<u64>, StoreError>;
    /// Creates an account; a donor account is linked to `donors` (created if new).
    fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        donors: &[String],
    ) -> Result<User, StoreError>;
    /// An account by name.
    fn user(&self, name: &str) -> Result<Option<User>, StoreError>;
    /// Every account, by name.
    fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Records a session by the SHA-256 (hex) of its token.
    fn add_session(
        &self,
        token_sha256: &str,
        user: &str,
        csrf: &str,
        expires_at: &str,
    ) -> Result<(), StoreError>;
    /// A session by the SHA-256 (hex) of its token, with its account.
    fn session(&self, token_sha256: &str) -> Result<Option<Session>, StoreError>;
    /// Ends a session.
    fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError>;
    /// Records an API token by its SHA-256 (hex).
    fn add_api_token(&self, token_sha256: &str, user: &str, label: Option<&str>) -> Result<(), StoreError>;
    /// The account an API token (by its SHA-256, hex) belongs to.
    fn api_token_user(&self, token_sha256: &str) -> Result<Option<User>, StoreError>;
    /// Replaces an account's password hash and ends its sessions (its API tokens stay).
    fn set_password(&self, name: &str, password_hash: &str) -> Result<(), StoreError>;
    /// Deletes an account with its sessions and API tokens.
    fn remove_user(&self, name: &str) -> Result<(), StoreError>;
    /// Every API token (never the token itself: the start of its hash, its account, its label).
    fn api_tokens(&self) -> Result<Vec<ApiTokenRow>, StoreError>;
    /// Revokes the one API token whose hash starts with `id` (at least 8 hex digits).
    fn revoke_api_token(&self, id: &str) -> Result<ApiTokenRow, StoreError>;
    /// Gives a lot to a donor (created if new); a lot belongs to one donor.
    fn assign_lot(&self, lot: &str, donor: &str) -> Result<(), StoreError>;
    /// Every lot named by a certificate or assigned, with its donor and number of certificates.
    fn lots(&self) -> Result<Vec<LotRow>, StoreError>;
    /// The donor a lot belongs to.
    fn lot_donor(&self, lot: &str) -> Result<Option<String>, StoreError>;
    /// Certificates matching every filter of `q`, most recent first.
    fn search(&self, q: &SearchQuery) -> Result<Vec<CertificateRow>, StoreError>;
    /// The kept flags, newest certificate first: at most `limit` of them after `before` (a
    /// [`FlagRow::cursor`] of the previous page), and how many there are in all.
    fn flags(&self, before: Option<(u64, i64)>, limit: u64) -> Result<(Vec<FlagRow>, u64), StoreError>;

    // A unit's life (store/units.rs, docs/web.md "A unit's life").
    /// Adds a partner organisation.
    fn add_partner(&self, name: &str, kind: crate::units::PartnerKind) -> Result<Partner, StoreError>;
    /// The partner organisations.
    fn partners(&self) -> Result<Vec<Partner>, StoreError>;
    /// Creates a `partner` account tied to the partner organisation `partner`.
    fn add_partner_user(&self, name: &str, password_hash: &str, partner: &str) -> Result<User, StoreError>;
    /// Registers a unit by hand in `lot`, before any certificate names it.
    fn receive_unit(&self, lot: &str, serial: &str, actor: &str) -> Result<UnitRow, StoreError>;
    /// Units matching `q`, by lot then reference.
    fn units(&self, q: &UnitQuery) -> Result<Vec<UnitRow>, StoreError>;
    /// A unit's history of events, oldest first.
    fn unit_events(&self, lot: &str, reference: &str) -> Result<Vec<UnitEvent>, StoreError>;
    /// Does `action` to a unit, or says why not ([`StoreError::Refused`]), and records the event
    /// with `actor` and the time.
    fn unit_act(
        &self,
        lot: &str,
        reference: &str,
        action: &crate::units::Action,
        actor: &str,
    ) -> Result<UnitRow, StoreError>;
    /// The current validation key of an account.
    fn validator_key(&self, user: &str) -> Result<Option<ValidatorKey>, StoreError>;
    /// Records `key` as the account's current key unless it already has one; returns the
    /// current key (the one already there, if two requests raced).
    fn add_validator_key(&self, key: &ValidatorKey) -> Result<ValidatorKey, StoreError>;
    /// Records a decision on a certificate, unless it has one already.
    fn add_validation(&self, v: &Validation) -> Result<Decided, StoreError>;
    /// The decision on a certificate.
    fn validation(&self, certificate_id: &str) -> Result<Option<Validation>, StoreError>;
}

pub use units::{find_unit, Partner, UnitEvent, UnitQuery, UnitRow};

/// One kept flag, as the flags page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRow {
    /// The certificate's leaf index and the flag's place among its flags: the page's order.
    pub cursor: (u64, i64),
    /// The certificate.
    pub certificate_id: String,
    /// Its unit's serial.
    pub unit_serial: Option<String>,
    /// Why (for a disk wiped twice, `times` is the disk's count now).
    pub kind: crate::web::flags::FlagKind,
}

/// An account's validation key (crate::validation): public, and its seed sealed under the
/// account's password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorKey {
    /// Hex SHA-256 of the raw public key.
    pub key_id: String,
    /// Its account.
    pub user: String,
    /// Base64 raw Ed25519 public key.
    pub public_key: String,
    /// The seed sealed under the password ([`crate::validation::seal_seed`]).
    pub sealed_seed: String,
    /// When it was made.
    pub created_at: String,
}

/// A recorded validation or rejection of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// The certificate.
    pub certificate_id: String,
    /// The validator's account.
    pub user: String,
    /// Its role then.
    pub role: String,
    /// `validated` or `rejected`.
    pub decision: String,
    /// Why (always for a rejection).
    pub reason: Option<String>,
    /// When (RFC 3339).
    pub at: String,
    /// The validator's key id.
    pub key_id: String,
    /// The validator's public key (base64 raw Ed25519).
    pub public_key: String,
    /// The statement as signed: its JCS text.
    pub statement: String,
    /// Base64 Ed25519 signature over `statement`.
    pub signature: String,
}

/// What recording a validation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// Recorded.
    New,
    /// The certificate already had a decision, this one; nothing was recorded.
    Already(Box<Validation>),
}

/// What an account may do (docs/web.md, "Roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including accounts and lots.
    Admin,
    /// Audits: every certificate, flags, stations.
    Supervisor,
    /// Reads the certificates and reports of its own donors' lots only.
    Donor,
    /// A partner organisation (CCAS, mission locale…): sees the ready units, reserves them,
    /// sees its own allocations; no certificate, lot or flag.
    Partner,
}

impl Role {
    /// The word stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Donor => "donor",
            Role::Partner => "partner",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "admin" => Ok(Role::Admin),
            "supervisor" => Ok(Role::Supervisor),
            "donor" => Ok(Role::Donor),
            "partner" => Ok(Role::Partner),
            other => Err(format!("{other:?} is not a role: admin, supervisor, donor or partner")),
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// The donors whose lots a donor account sees.
    pub donors: Vec<String>,
    /// The partner organisation a partner account acts for.
    pub partner: Option<String>,
    /// When it was created.
    pub created_at: String,
}

/// A web session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its account.
    pub user: User,
    /// The synchronizer token every form of this session must carry.
    pub csrf: String,
    /// When it ends (RFC 3339).
    pub expires_at: String,
}

/// An API token as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    /// The first 12 hex digits of its SHA-256: enough to name it, useless to use it.
    pub id: String,
    /// Its account.
    pub user: String,
    /// What it is for.
    pub label: Option<String>,
    /// When it was made.
    pub created_at: String,
}

/// A lot and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotRow {
    /// The lot's name as the stations wrote it.
    pub lot: String,
    /// Its donor, once assigned.
    pub donor: Option<String>,
    /// Certificates naming it.
    pub certificates: u64,
}

/// Search filters; `None` matches anything. Dates are `YYYY-MM-DD`, inclusive, on `finished_at`.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Unit serial, exactly.
    pub unit_serial: Option<String>,
    /// A disk serial, exactly.
    pub disk_serial: Option<String>,
    /// Certificate id, exactly.
    pub certificate_id: Option<String>,
    /// Lot, exactly.
    pub lot: Option<String>,
    /// Station key id or name.
    pub station: Option<String>,
    /// First day.
    pub from: Option<String>,
    /// Last day.
    pub to: Option<String>,
    /// Only lots of this donor account's donors.
    pub donor_user: Option<String>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Only rows after this one in the order of the results (`finished_at`, `id`): the next page.
    pub after: Option<(String, String)>,
    /// Only certificates with this decision by a supervisor (issue 26).
    pub validation: Option<ValidationFilter>,
}

/// Certificates by their supervisor's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationFilter {
    /// No decision yet.
    Pending,
    /// Validated.
    Validated,
    /// Rejected.
    Rejected,
}

/// A certificate with what the lists show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    /// Certificate id.
    pub id: String,
    /// The file exactly as received.
    pub document: String,
    /// Unit serial.
    pub unit_serial: Option<String>,
    /// Lot.
    pub lot: Option<String>,
    /// Overall result.
    pub result: String,
    /// When the run finished.
    pub finished_at: String,
    /// When the registry accepted it.
    pub received_at: String,
    /// Its leaf in the log.
    pub leaf_index: u64,
    /// Signing station's key id.
    pub station_key_id: String,
    /// The station's name.
    pub station_name: Option<String>,
    /// Whether the station has been revoked since.
    pub station_revoked: bool,
}

/// A value crossing the backend boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (BIGINT).
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes (BLOB / BYTEA).
    Blob(Vec<u8>),
}

impl Val {
    fn text(&self) -> Option<String> {
        match self {
            Val::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            _ => 0,
        }
    }
    fn blob32(&self) -> [u8; 32] {
        match self {
            Val::Blob(b) if b.len() == 32 => b.as_slice().try_into().unwrap_or([0; 32]),
            _ => [0; 32],
        }
    }
}

fn opt(s: Option<&str>) -> Val {
    s.map(|s| Val::Text(s.to_owned())).unwrap_or(Val::Null)
}

fn t(s: &str) -> Val {
    Val::Text(s.to_owned())
}

/// Statements inside one transaction.
pub trait Tx {
    /// Runs a statement; returns the rows changed.
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError>;
    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError>;
    /// Runs a query planned for these values and the tables as they are now, every time. For a
    /// query whose best plan changes as a table grows: PostgreSQL would otherwise keep one
    /// generic plan for a prepared statement, made from the statistics of the moment (on a new,
    /// empty database, a sequential scan, kept until the table is next analyzed).
    fn query_planned(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        self.query(sql, params)
    }
    /// `INSERT INTO {into} …` of `rows` (each as wide as the column list in `into`). By default
    /// multi-row `VALUES` in chunks whose sizes are powers of two (13 rows: 8, 4, 1), so the
    /// backend prepares a few shapes of the statement, not one per batch size.
    fn insert_rows(&mut self, into: &str, rows: Vec<Vec<Val>>) -> Result<(), StoreError> {
        let mut rows = rows.into_iter().peekable();
        let Some(width) = rows.peek().map(Vec::len) else { return Ok(()) };
        let mut left = rows.len();
        while left > 0 {
            let chunk = 1usize << (usize::BITS - 1 - left.leading_zeros());
            let values: Vec<String> =
                (0..chunk).map(|i| format!("({})", placeholders(1 + i * width, width))).collect();
            let params: Vec<Val> = rows.by_ref().take(chunk).flatten().collect();
            self.exec(&format!("INSERT INTO {into} VALUES {}", values.join(", ")), &params)?;
            left -= chunk;
        }
        Ok(())
    }

    /// The rows of each `(into, rows)` as [`Tx::insert_rows`] does, then `then` with `params`.
    /// A backend may send it all as one statement: one round trip instead of one per table.
    fn insert_rows_then(
        &mut self,
        inserts: Vec<(&str, Vec<Vec<Val>>)>,
        then: &str,
        params: &[Val],
    ) -> Result<(), StoreError> {
        for (into, rows) in inserts {
            self.insert_rows(into, rows)?;
        }
        self.exec(then, params)?;
        Ok(())
    }
}

/// What a transaction may do, which decides the locks it takes at its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only.
    Read,
    /// Writes: the write lock is taken at the start, so what the transaction reads stays true
    /// until it commits.
    Write,
    /// Writes that append to the log: also serializes appends across every process sharing the
    /// database, so no two of them read the same log size and both append after it.
    Append,
}

/// A database connection that can run a closure in a transaction.
pub trait Backend: Send + 'static {
    /// `sqlite` or `postgres`.
    const NAME: &'static str;
    /// The type of binary columns.
    const BLOB: &'static str;
    /// Runs `f` in a transaction (committed if it returns `Ok`, rolled back otherwise).
    fn transaction<R>(
        &mut self,
        access: Access,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError>;
    /// Runs one query on its own, outside any explicit transaction: a single statement sees one
    /// snapshot anyway, and this saves the `BEGIN` and `COMMIT` round trips.
    fn query_alone(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError>;
}

/// The schema, step by step; `{blob}` is the backend's binary type. Both backends run exactly
/// these statements, in order, recorded in `schema_migrations`.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE stations (
    key_id         TEXT PRIMARY KEY,
    public_key     TEXT NOT NULL,
    name           TEXT,
    enrolment_code TEXT UNIQUE,
    requested_at   TEXT NOT NULL,
    approved_at    TEXT,
    revoked_at     TEXT
);
CREATE TABLE certificates (
    id             TEXT PRIMARY KEY,
    station_key_id TEXT NOT NULL REFERENCES stations(key_id),
    document       TEXT NOT NULL,
    canonical      {blob} NOT NULL,
    content_sha256 TEXT NOT NULL,
    unit_serial    TEXT,
    result         TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    leaf_index     BIGINT NOT NULL UNIQUE
);
CREATE INDEX certificates_unit_serial ON certificates(unit_serial);
CREATE TABLE certificate_disks (
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    position       BIGINT NOT NULL,
    serial         TEXT NOT NULL,
    result         TEXT NOT NULL,
    PRIMARY KEY (certificate_id, position)
);
CREATE INDEX certificate_disks_serial ON certificate_disks(serial);
CREATE TABLE log_leaves (
    leaf_index     BIGINT PRIMARY KEY,
    leaf_hash      {blob} NOT NULL,
    certificate_id TEXT NOT NULL REFERENCES certificates(id)
);
CREATE INDEX log_leaves_hash ON log_leaves(leaf_hash);
",
    "
CREATE TABLE log_state (
    id       BIGINT PRIMARY KEY,
    size     BIGINT NOT NULL,
    frontier {blob} NOT NULL
);
",
    // The web interface: accounts, sessions, API tokens, donors and their lots. Existing
    // certificates get their lot from their document (`backfill_lots`, run with this step).
    "
ALTER TABLE certificates ADD COLUMN lot TEXT;
CREATE INDEX certificates_lot ON certificates(lot);
CREATE INDEX certificates_finished_at ON certificates(finished_at);
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE donors (
    name       TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE user_donors (
    user_name TEXT NOT NULL REFERENCES users(name),
    donor     TEXT NOT NULL REFERENCES donors(name),
    PRIMARY KEY (user_name, donor)
);
CREATE TABLE lots (
    lot         TEXT PRIMARY KEY,
    donor       TEXT NOT NULL REFERENCES donors(name),
    assigned_at TEXT NOT NULL
);
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users(name),
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE TABLE api_tokens (
    token_sha256 TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users(name),
    label        TEXT,
    created_at   TEXT NOT NULL
);
",
    // The canonical bytes are the JCS form of the document's certificate: anyone can derive
    // them (and the leaf hash) from the document, so they are not stored a second time
    // (96 MiB -> 87 MiB for 20,000 certificates in SQLite).
    "
ALTER TABLE certificates DROP COLUMN canonical;
",
    // Flags, computed once per certificate when it is recorded (`web::flags`), instead of over
    // every certificate at each view of /flags (O(flags x certificates): 96 CPU-seconds for one
    // view at 118,000 certificates). `flag` is the FlagKind's JSON; `serial` is set for a disk
    // wiped twice, whose count is `disk_serial_counts`. Filled for stored certificates with this
    // step (`backfill_flags`).
    "
CREATE TABLE certificate_flags (
    leaf_index     BIGINT NOT NULL,
    position       BIGINT NOT NULL,
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    serial         TEXT,
    flag           TEXT NOT NULL,
    PRIMARY KEY (leaf_index, position)
);
CREATE TABLE disk_serial_counts (
    serial       TEXT PRIMARY KEY,
    certificates BIGINT NOT NULL
);
CREATE INDEX certificates_station ON certificates(station_key_id);
",
    // Pages at 1 M certificates (scripts/bench-registry.md): a flag keeps its certificate's unit
    // serial, so a page of flags reads consecutive rows of this table only (joining
    // `certificates` for it cost a random read per row: 1.7 s p99 for a page deep in on
    // PostgreSQL); and the search's order (finish time, then id) has its own index, so the
    // newest 200 are read from it whatever the number of certificates that finished at the
    // same time (sorting them all took seconds).
    "
ALTER TABLE certificate_flags ADD COLUMN unit_serial TEXT;
UPDATE certificate_flags SET unit_serial =
    (SELECT c.unit_serial FROM certificates c WHERE c.id = certificate_flags.certificate_id);
CREATE INDEX certificates_finished_id ON certificates(finished_at, id);
DROP INDEX certificates_finished_at;
",
    // Issue 26, part 2: a supervisor's validation or rejection of a certificate, signed with
    // the account's own Ed25519 key (crate::validation). One decision per certificate.
    // `statement` is the JCS text that was signed; the other columns repeat it for the pages.
    // A key's seed is sealed under the account's password; a new password retires the key
    // (`retired_at`), so at most one key per account is current.
    "
CREATE TABLE validator_keys (
    key_id      TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    sealed_seed TEXT,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);
CREATE UNIQUE INDEX validator_keys_current ON validator_keys(user_name) WHERE retired_at IS NULL;
CREATE TABLE validations (
    certificate_id TEXT PRIMARY KEY REFERENCES certificates(id),
    user_name      TEXT NOT NULL,
    role           TEXT NOT NULL,
    decision       TEXT NOT NULL,
    reason         TEXT,
    at             TEXT NOT NULL,
    key_id         TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    statement      TEXT NOT NULL,
    signature      TEXT NOT NULL
);
",
    // A unit's life after the wipe (store/units.rs): partner organisations and their accounts,
    // units (by lot and serial, or certificate id without serial) with their state, and the
    // append-only history of what people did to them. Filled for stored certificates with
    // this step (`units::backfill`).
    "
CREATE TABLE partners (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE users ADD COLUMN partner TEXT REFERENCES partners(name);
CREATE TABLE units (
    lot            TEXT NOT NULL,
    reference      TEXT NOT NULL,
    serial         TEXT,
    vendor         TEXT,
    model          TEXT,
    chassis        TEXT,
    grade          TEXT,
    certified      BIGINT NOT NULL,
    wiped          BIGINT NOT NULL,
    imaged         BIGINT NOT NULL,
    certificate_id TEXT,
    finished_at    TEXT,
    state          TEXT NOT NULL,
    price_kind     TEXT,
    price_cents    BIGINT,
    partner        TEXT REFERENCES partners(name),
    programme      TEXT,
    case_reference TEXT,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (lot, reference)
);
CREATE INDEX units_reference ON units(reference);
CREATE INDEX units_state ON units(state, lot, reference);
CREATE INDEX units_partner ON units(partner, lot, reference);
CREATE TABLE unit_events (
    lot            TEXT NOT NULL,
    reference      TEXT NOT NULL,
    event          TEXT NOT NULL,
    state          TEXT NOT NULL,
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL,
    partner        TEXT,
    case_reference TEXT,
    programme      TEXT,
    price_kind     TEXT,
    price_cents    BIGINT,
    seq            BIGINT NOT NULL,
    PRIMARY KEY (lot, reference, seq)
);
",
];

/// The migration that adds units (store/units.rs).
const UNITS_VERSION: usize = 8;

/// The migration that adds the kept flags.
const FLAGS_VERSION: usize = 5;

/// Where a flag goes among a certificate's flags: those of [`crate::web::flags::flags`] take
/// 0, 1, …; a station's revocation adds one at [`REVOKED_POSITION`]; a disk wiped again later adds
/// one at `TWICE_POSITION + the disk's position`.
const REVOKED_POSITION: i64 = -1;
const TWICE_POSITION: i64 = 1_000_000;

/// Certificates read at a time by [`backfill_flags`].
const BACKFILL_CHUNK: i64 = 2000;

/// Counts the disk serials of stored certificates and computes every stored certificate's
/// flags, a chunk at a time (once, with migration 5).
fn backfill_flags(tx: &mut dyn Tx) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO disk_serial_counts (serial, certificates) SELECT serial, COUNT(*) FROM certificate_disks GROUP BY serial",
        &[],
    )?;
    let mut from = 0i64;
    loop {
        let rows = tx.query(
            "SELECT c.leaf_index, c.id, c.document, s.revoked_at, c.unit_serial FROM certificates c
             JOIN stations s ON s.key_id = c.station_key_id
             WHERE c.leaf_index >= $1 ORDER BY c.leaf_index LIMIT $2",
            &[Val::Int(from), Val::Int(BACKFILL_CHUNK)],
        )?;
        let Some(last) = rows.last() else { return Ok(()) };
        let next = last[0].int() + 1;
        let counts = tx.query(
            "SELECT DISTINCT n.serial, n.certificates FROM certificate_disks d
             JOIN certificates c ON c.id = d.certificate_id JOIN disk_serial_counts n ON n.serial = d.serial
             WHERE c.leaf_index >= $1 AND c.leaf_index < $2",
            &[Val::Int(from), Val::Int(next)],
        )?;
        let totals: HashMap<String, usize> =
            counts.iter().map(|r| (r[0].text().unwrap_or_default(), r[1].int() as usize)).collect();
        let mut flag_rows = Vec::new();
        for row in &rows {
            let Some(c) = crate::web::parse_stored(&row[2].text().unwrap_or_default()) else { continue };
            // What the others recorded hold: the total less this certificate's own disks.
            let mut recorded = std::collections::BTreeMap::new();
            for d in &c.disks {
                if let Some(serial) = d.serial.value() {
                    let total = totals.get(serial).copied().unwrap_or(0);
                    *recorded.entry(serial.clone()).or_insert(total) -= 1;
                }
            }
            let audited =
                crate::web::flags::Audited { certificate: &c, station_revoked: row[3].text().is_some() };
            let found = crate::web::flags::flags_counting(&[audited], &recorded);
            flag_rows.extend(flag_values(row[0].int(), &row[1].text().unwrap_or_default(), &row[4], &found));
        }
        // Migration 6 adds the unit serial column and fills it.
        let flag_rows = flag_rows.into_iter().map(|mut r| {
            r.remove(3);
            r
        });
        tx.insert_rows(
            "certificate_flags (leaf_index, position, certificate_id, serial, flag)",
            flag_rows.collect(),
        )?;
        from = next;
    }
}

/// The `certificate_flags` rows of one certificate's flags, at positions 0, 1, …
fn flag_values(
    leaf_index: i64,
    id: &str,
    unit_serial: &Val,
    found: &[crate::web::flags::Flag],
) -> Vec<Vec<Val>> {
    found
        .iter()
        .enumerate()
        .map(|(position, f)| {
            let serial = match &f.kind {
                crate::web::flags::FlagKind::DiskWipedTwice { serial, .. } => t(serial),
                _ => Val::Null,
            };
            vec![
                Val::Int(leaf_index),
                Val::Int(position as i64),
                t(id),
                unit_serial.clone(),
                serial,
                t(&flag_json(&f.kind)),
            ]
        })
        .collect()
}

fn flag_json(kind: &crate::web::flags::FlagKind) -> String {
    serde_json::to_string(kind).unwrap_or_default()
}

/// The migration after which certificates carry their lot in a column.
const LOT_COLUMN_VERSION: usize = 3;

/// Copies each stored certificate's lot from its document into the `lot` column (once, with the
/// migration that adds the column).
fn backfill_lots(tx: &mut dyn Tx) -> Result<(), StoreError> {
    let rows = tx.query("SELECT id, document FROM certificates", &[])?;
    for row in rows {
        let document = row[1].text().unwrap_or_default();
        let lot = serde_json::from_str::<serde_json::Value>(&document)
            .ok()
            .and_then(|v| v["certificate"]["lot"].as_str().map(str::to_owned));
        if let Some(lot) = lot {
            tx.exec("UPDATE certificates SET lot = $1 WHERE id = $2", &[t(&lot), row[0].clone()])?;
        }
    }
    Ok(())
}

fn now() -> String {
    certificate::Timestamp::now().to_string()
}

const STATION_COLUMNS: &str =
    "key_id, public_key, name, enrolment_code, requested_at, approved_at, revoked_at";

/// An account's columns, then one of its donors (`u` is `users`, `d` a `user_donors` row joined
/// on the left): a query reads an account and its donors in one statement.
const USER_COLUMNS: &str = "u.name, u.role, u.password_hash, u.created_at, d.donor, u.partner";

/// How many columns [`USER_COLUMNS`] has: the `more` columns of [`account_query`] come after.
const USER_WIDTH: usize = 6;

/// The query for one account and its donors, a row per donor: [`USER_COLUMNS`] then `more`
/// columns, from `from` (which names `users u`), where `key = $1`.
fn account_query(more: &str, from: &str, key: &str) -> String {
    format!(
        "SELECT {USER_COLUMNS}{more} FROM {from} LEFT JOIN user_donors d ON d.user_name = u.name
         WHERE {key} = $1 ORDER BY d.donor"
    )
}

/// The query for one account by its name (`$1`, compared case-insensitively: `Admin` is
/// `admin`), a row per donor.
fn user_by_name() -> String {
    account_query("", "users u", "lower(u.name)").replace("= $1", "= lower($1)")
}

/// The query for one station by its key id (`$1`).
fn station_by_key() -> String {
    format!("SELECT {STATION_COLUMNS} FROM stations WHERE key_id = $1")
}

fn station_from(row: &[Val]) -> Station {
    Station {
        key_id: row[0].text().unwrap_or_default(),
        public_key: row[1].text().unwrap_or_default(),
        name: row[2].text(),
        enrolment_code: row[3].text(),
        requested_at: row[4].text().unwrap_or_default(),
        approved_at: row[5].text(),
        revoked_at: row[6].text(),
    }
}

/// The registry's storage logic over any [`Backend`].
#[derive(Debug)]
pub struct SqlStore<B> {
    conn: Arc<Mutex<B>>,
    /// A second connection for reads, when the backend has one: a station lookup or a page
    /// does not wait behind a commit (SQLite's WAL lets readers run beside the writer).
    reader: Option<Mutex<B>>,
    /// The thread that appends certificates to the log, started by the first one.
    writer: Mutex<Option<Writer>>,
}

impl<B> Drop for SqlStore<B> {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what it holds, then stop.
        if let Some(writer) = self.writer.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
            drop(writer.jobs);
            let _ = writer.thread.join();
        }
    }
}

/// A certificate to append, and where its answer goes.
type Job = (NewCertificate, mpsc::SyncSender<Result<Inserted, StoreError>>);

/// Most certificates appended in one transaction.
const MAX_BATCH: usize = 256;

/// The writer thread: it takes every certificate queued while it was committing the previous
/// ones and commits them together (one transaction, one fsync), then answers each request
/// directly. Requests never wait on one another, only on the commit that holds theirs.
#[derive(Debug)]
struct Writer {
    jobs: mpsc::Sender<Job>,
    thread: std::thread::JoinHandle<()>,
}

impl Writer {
    fn start<B: Backend>(conn: Arc<Mutex<B>>) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("registry-writer".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match queue.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    let started = std::time::Instant::now();
                    let results = {
                        let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                        // A panic (a bug) fails this batch's requests, not every later one: its
                        // transaction was rolled back as it unwound, and the thread goes on.
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            commit_batch(&mut *conn, &batch)
                        }))
                        .unwrap_or_else(|_| {
                            tracing::error!(certificates = batch.len(), "the writer panicked on a batch");
                            let failed = "the writer failed on this batch (a bug: see the registry's log); \
                                          it was not recorded";
                            let failed = || StoreError::Db { backend: B::NAME, message: failed.into() };
                            batch.iter().map(|_| Err(failed())).collect()
                        })
                    };
                    tracing::debug!(
                        certificates = batch.len(),
                        micros = started.elapsed().as_micros() as u64,
                        "batch committed"
                    );
                    for ((_, reply), result) in batch.into_iter().zip(results) {
                        // A request that gave up waiting has dropped its end: nothing to do.
                        let _ = reply.send(result);
                    }
                }
            })
            .map_err(|e| StoreError::Db {
                backend: B::NAME,
                message: format!("starting the writer thread: {e}"),
            })?;
        Ok(Writer { jobs, thread })
    }
}

/// Appends a batch in one transaction; if that fails, each certificate in its own, so one bad
/// certificate does not fail the others.
fn commit_batch<B: Backend>(conn: &mut B, batch: &[Job]) -> Vec<Result<Inserted, StoreError>> {
    let append = |conn: &mut B, certificates: &[Job]| {
        conn.transaction(Access::Append, &mut |tx| append_all(tx, certificates.iter().map(|(c, _)| c)))
    };
    match append(conn, batch) {
        Ok(results) => results.into_iter().map(Ok).collect(),
        Err(_) if batch.len() > 1 => {
            batch.chunks(1).map(|one| append(conn, one).map(|mut r| r.remove(0))).collect()
        }
        Err(e) => vec![Err(e)],
    }
}

impl<B: Backend> SqlStore<B> {
    /// Wraps a connection and brings the schema up to date.
    pub fn new(backend: B) -> Result<Self, StoreError> {
        let store = SqlStore { conn: Arc::new(Mutex::new(backend)), reader: None, writer: Mutex::new(None) };
        store.tx(Access::Write, |tx| {
            tx.exec(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
                &[],
            )?;
            Ok(())
        })?;
        store.tx(Access::Write, |tx| {
            let done = tx.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?;
            let version = done.first().map(|r| r[0].int()).unwrap_or(0) as usize;
            for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
                for statement in step.replace("{blob}", B::BLOB).split(';').filter(|s| !s.trim().is_empty()) {
                    tx.exec(statement, &[])?;
                }
                if i + 1 == LOT_COLUMN_VERSION {
                    backfill_lots(tx)?;
                }
                if i + 1 == FLAGS_VERSION {
                    backfill_flags(tx)?;
                }
                if i + 1 == UNITS_VERSION {
                    units::backfill(tx)?;
                }
                tx.exec(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    &[Val::Int(i as i64 + 1), t(&now())],
                )?;
            }
            Ok(())
        })?;
        Ok(store)
    }

    /// The same store, reading through `reader` (a second connection to the same database).
    pub fn with_reader(mut self, reader: B) -> Self {
        self.reader = Some(Mutex::new(reader));
        self
    }

    fn tx<R>(
        &self,
        access: Access,
        mut f: impl FnMut(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        Self::before_statement()?;
        // A panic while holding the lock leaves the database consistent (the transaction rolls back).
        let mut conn = self.connection(access).lock().unwrap_or_else(|e| e.into_inner());
        conn.transaction(access, &mut f)
    }

    /// One read statement, on the reader connection when there is one, in no explicit
    /// transaction: the hot reads (an API token's account, a lookup by serial, the log head)
    /// each cost one round trip to PostgreSQL, not three.
    fn read(&self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        Self::before_statement()?;
        self.connection(Access::Read).lock().unwrap_or_else(|e| e.into_inner()).query_alone(sql, params)
    }

    /// A request whose deadline has passed runs no more statements ([`crate::deadline`]).
    fn before_statement() -> Result<(), StoreError> {
        match crate::deadline::check() {
            Ok(()) => Ok(()),
            Err(_) => {
                Err(StoreError::Db { backend: B::NAME, message: "the request's deadline passed".into() })
            }
        }
    }

    fn connection(&self, access: Access) -> &Mutex<B> {
        match (&self.reader, access) {
            (Some(reader), Access::Read) => reader,
            _ => &self.conn,
        }
    }

    fn find_user(tx: &mut dyn Tx, name: &str) -> Result<Option<User>, StoreError> {
        Self::user_from(&tx.query(&user_by_name(), &[t(name)])?)
    }

    /// The account in `rows`, [`USER_COLUMNS`] first (one row per donor, or one with no donor).
    fn user_from(rows: &[Vec<Val>]) -> Result<Option<User>, StoreError> {
        let Some(row) = rows.first() else { return Ok(None) };
        let name = row[0].text().unwrap_or_default();
        let role = row[1].text().unwrap_or_default().parse::<Role>().map_err(|e| StoreError::Db {
            backend: B::NAME,
            message: format!("account {name}: stored role: {e}"),
        })?;
        Ok(Some(User {
            name,
            role,
            password_hash: row[2].text().unwrap_or_default(),
            donors: rows.iter().filter_map(|r| r[4].text()).collect(),
            partner: row[5].text(),
            created_at: row[3].text().unwrap_or_default(),
        }))
    }

    /// Refuses `name` for station `key_id` when another station that was approved (revoked
    /// ones included) has it, compared case-insensitively: a new key must not pass for a
    /// station the workshop trusts. Stations waiting for approval may share a name; the
    /// supervisor approves one of them by its code.
    fn check_name_free(tx: &mut dyn Tx, key_id: &str, name: Option<&str>) -> Result<(), StoreError> {
        let Some(name) = name else { return Ok(()) };
        let rows = tx.query(
            "SELECT key_id FROM stations WHERE lower(name) = lower($1) AND key_id <> $2 AND approved_at IS NOT NULL",
            &[t(name), t(key_id)],
        )?;
        if rows.is_empty() {
            Ok(())
        } else {
            Err(StoreError::NameTaken(name.to_owned()))
        }
    }

    fn find_station(tx: &mut dyn Tx, key_id: &str) -> Result<Option<Station>, StoreError> {
        let rows = tx.query(&station_by_key(), &[t(key_id)])?;
        Ok(rows.first().map(|r| station_from(r)))
    }
}

impl<B: Backend> Store for SqlStore<B> {
    fn add_station(&self, key_id: &str, public_key: &str, name: Option<&str>) -> Result<Station, StoreError> {
        self.tx(Access::Write, |tx| {
            let existing = Self::find_station(tx, key_id)?;
            Self::check_name_free(tx, key_id, existing.as_ref().and_then(|s| s.name.as_deref()).or(name))?;
            if let Some(existing) = existing {
                if existing.approved_at.is_some() {
                    return Err(StoreError::AlreadyEnrolled(key_id.to_owned()));
                }
                let when = now();
                tx.exec(
                    "UPDATE stations SET approved_at = $1, enrolment_code = NULL WHERE key_id = $2",
                    &[t(&when), t(key_id)],
                )?;
            } else {
                let when = now();
                tx.exec(
                    "INSERT INTO stations (key_id, public_key, name, requested_at, approved_at) VALUES ($1, $2, $3, $4, $5)",
                    &[t(key_id), t(public_key), opt(name), t(&when), t(&when)],
                )?;
            }
            Self::find_station(tx, key_id)?.ok_or_else(|| StoreError::NoSuchStation(key_id.to_owned()))
        })
    }

    fn request_enrolment(
        &self,
        key_id: &str,
        public_key: &str,
        name: Option<&str>,
        code: &str,
    ) -> Result<Station, StoreError> {
        self.tx(Access::Write, |tx| {
            if let Some(existing) = Self::find_station(tx, key_id)? {
                return Ok(existing);
            }
            Self::check_name_free(tx, key_id, name)?;
            tx.exec(
                "INSERT INTO stations (key_id, public_key, name, enrolment_code, requested_at) VALUES ($1, $2, $3, $4, $5)",
                &[t(key_id), t(public_key), opt(name), t(code), t(&now())],
            )?;
            Self::find_station(tx, key_id)?.ok_or_else(|| StoreError::NoSuchStation(key_id.to_owned()))
        })
    }

    fn approve(&self, code: &str) -> Result<Station, StoreError> {
        let code = code.trim().to_ascii_uppercase();
        self.tx(Access::Write, |tx| {
            let rows = tx.query(
                &format!("SELECT {STATION_COLUMNS} FROM stations WHERE enrolment_code = $1 AND approved_at IS NULL"),
                &[t(&code)],
            )?;
            let station = rows.first().map(|r| station_from(r)).ok_or_else(|| {
                StoreError::NoSuchStation(format!("{code} (no station is waiting with this code)"))
            })?;
            Self::check_name_free(tx, &station.key_id, station.name.as_deref())?;
            tx.exec(
                "UPDATE stations SET approved_at = $1, enrolment_code = NULL WHERE key_id = $2",
                &[t(&now()), t(&station.key_id)],
            )?;
            Self::find_station(tx, &station.key_id)?.ok_or_else(|| StoreError::NoSuchStation(code.clone()))
        })
    }

    fn revoke(&self, key_id_or_name: &str) -> Result<Station, StoreError> {
        self.tx(Access::Write, |tx| {
            let rows = tx.query(
                &format!("SELECT {STATION_COLUMNS} FROM stations WHERE key_id = $1 OR name = $2"),
                &[t(key_id_or_name), t(key_id_or_name)],
            )?;
            let [row] = rows.as_slice() else {
                return Err(StoreError::NoSuchStation(if rows.is_empty() {
                    key_id_or_name.to_owned()
                } else {
                    format!("{key_id_or_name} (several stations have this name: use the key id)")
                }));
            };
            let station = station_from(row);
            if station.revoked_at.is_none() {
                tx.exec(
                    "UPDATE stations SET revoked_at = $1 WHERE key_id = $2",
                    &[t(&now()), t(&station.key_id)],
                )?;
                // Its certificates stay, flagged (one statement, however many there are).
                tx.exec(
                    "INSERT INTO certificate_flags (leaf_index, position, certificate_id, unit_serial, serial, flag)
                     SELECT leaf_index, $1, id, unit_serial, NULL, $2 FROM certificates WHERE station_key_id = $3
                     ON CONFLICT (leaf_index, position) DO NOTHING",
                    &[
                        Val::Int(REVOKED_POSITION),
                        t(&flag_json(&crate::web::flags::FlagKind::StationRevoked)),
                        t(&station.key_id),
                    ],
                )?;
            }
            Self::find_station(tx, &station.key_id)?
                .ok_or_else(|| StoreError::NoSuchStation(station.key_id.clone()))
        })
    }

    fn station(&self, key_id: &str) -> Result<Option<Station>, StoreError> {
        let rows = self.read(&station_by_key(), &[t(key_id)])?;
        Ok(rows.first().map(|r| station_from(r)))
    }

    fn stations(&self) -> Result<Vec<Station>, StoreError> {
        self.tx(Access::Read, |tx| {
            let rows = tx.query(
                &format!("SELECT {STATION_COLUMNS} FROM stations ORDER BY requested_at, key_id"),
                &[],
            )?;
            Ok(rows.iter().map(|r| station_from(r)).collect())
        })
    }

    fn insert_certificate(&self, c: &NewCertificate) -> Result<Inserted, StoreError> {
        // Group commit: the request hands its certificate to the writer thread and waits for
        // the answer, which comes only after the commit that made it durable.
        let stopped =
            || StoreError::Db { backend: B::NAME, message: "the store's writer thread stopped".into() };
        let (reply, answer) = mpsc::sync_channel(1);
        {
            let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let writer = match &mut *writer {
                Some(w) => w,
                none => none.insert(Writer::start(self.conn.clone())?),
            };
            writer.jobs.send((c.clone(), reply)).map_err(|_| stopped())?;
        }
        answer.recv().unwrap_or_else(|_| Err(stopped()))
    }

    fn certificate(&self, id: &str) -> Result<Option<StoredCertificate>, StoreError> {
        let rows = self.read(
            "SELECT id, document, content_sha256, received_at, leaf_index, station_key_id FROM certificates WHERE id = $1",
            &[t(id)],
        )?;
        Ok(rows.first().map(|r| StoredCertificate {
            id: r[0].text().unwrap_or_default(),
            document: r[1].text().unwrap_or_default(),
            content_sha256: r[2].text().unwrap_or_default(),
            received_at: r[3].text().unwrap_or_default(),
            leaf_index: r[4].int() as u64,
            station_key_id: r[5].text().unwrap_or_default(),
        }))
    }

    fn disk_history(&self, serial: &str) -> Result<Vec<DiskEntry>, StoreError> {
        let rows = self.read(
            "SELECT c.id, d.result, c.result, c.unit_serial, c.station_key_id, s.revoked_at, c.finished_at, c.received_at
             FROM certificate_disks d
             JOIN certificates c ON c.id = d.certificate_id
             JOIN stations s ON s.key_id = c.station_key_id
             WHERE d.serial = $1 ORDER BY c.finished_at, c.id",
            &[t(serial)],
        )?;
        Ok(rows
            .iter()
            .map(|r| DiskEntry {
                certificate_id: r[0].text().unwrap_or_default(),
                disk_result: r[1].text().unwrap_or_default(),
                certificate_result: r[2].text().unwrap_or_default(),
                unit_serial: r[3].text(),
                station_key_id: r[4].text().unwrap_or_default(),
                station_revoked: r[5].text().is_some(),
                finished_at: r[6].text().unwrap_or_default(),
                received_at: r[7].text().unwrap_or_default(),
            })
            .collect())
    }

    fn log_head(&self) -> Result<(u64, [u8; 32]), StoreError> {
        let rows = self.read("SELECT size, frontier FROM log_state WHERE id = 1", &[])?;
        let f = match rows.first() {
            Some(row) => frontier_from(&row[0], &row[1])?,
            None => certificate::log::CompactRange::new(),
        };
        Ok((f.size(), f.root()))
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        let rows = self.read(
            "SELECT leaf_hash FROM log_leaves WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index",
            &[Val::Int(start as i64), Val::Int(end as i64)],
        )?;
        Ok(rows.iter().map(|r| r[0].blob32()).collect())
    }

    fn leaf_index(&self, leaf_hash: &[u8; 32]) -> Result<Option<u64>, StoreError> {
        let rows = self.read(
            "SELECT leaf_index FROM log_leaves WHERE leaf_hash = $1",
            &[Val::Blob(leaf_hash.to_vec())],
        )?;
        Ok(rows.first().map(|r| r[0].int() as u64))
    }

    fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        donors: &[String],
    ) -> Result<User, StoreError> {
        self.tx(Access::Write, |tx| {
            if Self::find_user(tx, name)?.is_some() {
                return Err(StoreError::UserExists(name.to_owned()));
            }
            let when = now();
            tx.exec(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)",
                &[t(name), t(role.as_str()), t(password_hash), t(&when)],
            )?;
            for donor in donors {
                ensure_donor(tx, donor)?;
                tx.exec("INSERT INTO user_donors (user_name, donor) VALUES ($1, $2)", &[t(name), t(donor)])?;
            }
            Self::find_user(tx, name)?.ok_or_else(|| StoreError::NoSuchUser(name.to_owned()))
        })
    }

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        Self::user_from(&self.read(&user_by_name(), &[t(name)])?)
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.tx(Access::Read, |tx| {
            let names = tx.query("SELECT name FROM users ORDER BY name", &[])?;
            let mut users = Vec::new();
            for row in names {
                if let Some(u) = Self::find_user(tx, &row[0].text().unwrap_or_default())? {
                    users.push(u);
                }
            }
            Ok(users)
        })
    }

    fn add_session(
        &self,
        token_sha256: &str,
        user: &str,
        csrf: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        self.tx(Access::Write, |tx| {
            // Expired sessions are swept on each login; lookups also check the expiry.
            tx.exec("DELETE FROM sessions WHERE expires_at < $1", &[t(&now())])?;
            tx.exec(
                "INSERT INTO sessions (token_sha256, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[t(token_sha256), t(user), t(csrf), t(&now()), t(expires_at)],
            )?;
            Ok(())
        })
    }

    fn session(&self, token_sha256: &str) -> Result<Option<Session>, StoreError> {
        // One statement, one round trip: every page a supervisor opens asks for it.
        let rows = self.read(
            &account_query(
                ", s.csrf, s.expires_at",
                "sessions s JOIN users u ON u.name = s.user_name",
                "s.token_sha256",
            ),
            &[t(token_sha256)],
        )?;
        Ok(Self::user_from(&rows)?.map(|user| Session {
            user,
            csrf: rows[0][USER_WIDTH].text().unwrap_or_default(),
            expires_at: rows[0][USER_WIDTH + 1].text().unwrap_or_default(),
        }))
    }

    fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        self.tx(Access::Write, |tx| {
            tx.exec("DELETE FROM sessions WHERE token_sha256 = $1", &[t(token_sha256)])?;
            Ok(())
        })
    }

    fn add_api_token(&self, token_sha256: &str, user: &str, label: Option<&str>) -> Result<(), StoreError> {
        self.tx(Access::Write, |tx| {
            let Some(account) = Self::find_user(tx, user)? else {
                return Err(StoreError::NoSuchUser(user.to_owned()));
            };
            let user = account.name.as_str();
            tx.exec(
                "INSERT INTO api_tokens (token_sha256, user_name, label, created_at) VALUES ($1, $2, $3, $4)",
                &[t(token_sha256), t(user), opt(label), t(&now())],
            )?;
            Ok(())
        })
    }

    fn api_token_user(&self, token_sha256: &str) -> Result<Option<User>, StoreError> {
        // One statement, one round trip: every API call with a token asks for it.
        Self::user_from(&self.read(
            &account_query("", "api_tokens k JOIN users u ON u.name = k.user_name", "k.token_sha256"),
            &[t(token_sha256)],
        )?)
    }

    fn set_password(&self, name: &str, password_hash: &str) -> Result<(), StoreError> {
        self.tx(Access::Write, |tx| {
            let Some(user) = Self::find_user(tx, name)? else {
                return Err(StoreError::NoSuchUser(name.to_owned()));
            };
            let name = user.name.as_str();
            tx.exec("UPDATE users SET password_hash = $1 WHERE name = $2", &[t(password_hash), t(name)])?;
            tx.exec("DELETE FROM sessions WHERE user_name = $1", &[t(name)])?;
            // The validation key was sealed under the old password: retired, a new one is
            // made at the next validation (past validations keep their public key).
            retire_validator_key(tx, name)?;
            Ok(())
        })
    }

    fn remove_user(&self, name: &str) -> Result<(), StoreError> {
        self.tx(Access::Write, |tx| {
            let Some(user) = Self::find_user(tx, name)? else {
                return Err(StoreError::NoSuchUser(name.to_owned()));
            };
            let name = user.name.as_str();
            for table in ["sessions", "api_tokens", "user_donors"] {
                tx.exec(&format!("DELETE FROM {table} WHERE user_name = $1"), &[t(name)])?;
            }
            retire_validator_key(tx, name)?;
            tx.exec("DELETE FROM users WHERE name = $1", &[t(name)])?;
            Ok(())
        })
    }

    fn api_tokens(&self) -> Result<Vec<ApiTokenRow>, StoreError> {
        self.tx(Access::Read, |tx| {
            let rows = tx.query(
                "SELECT token_sha256, user_name, label, created_at FROM api_tokens ORDER BY user_name, created_at",
                &[],
            )?;
            Ok(rows.iter().map(|r| token_row(r)).collect())
        })
    }

    fn revoke_api_token(&self, id: &str) -> Result<ApiTokenRow, StoreError> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NoSuchToken(format!(
                "{id:?} is not a token id: give at least 8 hex digits as `registry token list` shows them"
            )));
        }
        self.tx(Access::Write, |tx| {
            let rows = tx.query(
                "SELECT token_sha256, user_name, label, created_at FROM api_tokens WHERE token_sha256 LIKE $1",
                &[t(&format!("{id}%"))],
            )?;
            let [row] = rows.as_slice() else {
                return Err(StoreError::NoSuchToken(if rows.is_empty() {
                    format!("no API token has the id {id}")
                } else {
                    format!("several API tokens start with {id}: give more digits")
                }));
            };
            tx.exec("DELETE FROM api_tokens WHERE token_sha256 = $1", &[row[0].clone()])?;
            Ok(token_row(row))
        })
    }

    fn assign_lot(&self, lot: &str, donor: &str) -> Result<(), StoreError> {
        self.tx(Access::Write, |tx| {
            ensure_donor(tx, donor)?;
            tx.exec(
                "INSERT INTO lots (lot, donor, assigned_at) VALUES ($1, $2, $3)
                 ON CONFLICT (lot) DO UPDATE SET donor = excluded.donor, assigned_at = excluded.assigned_at",
                &[t(lot), t(donor), t(&now())],
            )?;
            Ok(())
        })
    }

    fn lots(&self) -> Result<Vec<LotRow>, StoreError> {
        self.tx(Access::Read, |tx| {
            let rows = tx.query(
                "SELECT c.lot, l.donor, COUNT(*) FROM certificates c LEFT JOIN lots l ON l.lot = c.lot
                 WHERE c.lot IS NOT NULL GROUP BY c.lot, l.donor
                 UNION ALL
                 SELECT l.lot, l.donor, 0 FROM lots l WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE c.lot = l.lot)
                 ORDER BY 1",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| LotRow { lot: r[0].text().unwrap_or_default(), donor: r[1].text(), certificates: r[2].int() as u64 })
                .collect())
        })
    }

    fn lot_donor(&self, lot: &str) -> Result<Option<String>, StoreError> {
        self.tx(Access::Read, |tx| {
            let rows = tx.query("SELECT donor FROM lots WHERE lot = $1", &[t(lot)])?;
            Ok(rows.first().and_then(|r| r[0].text()))
        })
    }

    fn flags(&self, before: Option<(u64, i64)>, limit: u64) -> Result<(Vec<FlagRow>, u64), StoreError> {
        self.read_flags(before, limit)
    }

    // A unit's life (store/units.rs).
    fn add_partner(&self, name: &str, kind: crate::units::PartnerKind) -> Result<Partner, StoreError> {
        self.tx(Access::Write, |tx| units::add_partner(tx, name, kind))
    }

    fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        self.tx(Access::Read, units::partners)
    }

    fn add_partner_user(&self, name: &str, password_hash: &str, partner: &str) -> Result<User, StoreError> {
        self.tx(Access::Write, |tx| {
            if Self::find_user(tx, name)?.is_some() {
                return Err(StoreError::UserExists(name.to_owned()));
            }
            let found = units::find_partner(tx, partner)?;
            let partner = found.ok_or_else(|| StoreError::NoSuchPartner(partner.to_owned()))?;
            tx.exec(
                "INSERT INTO users (name, role, password_hash, created_at, partner) VALUES ($1, $2, $3, $4, $5)",
                &[t(name), t(Role::Partner.as_str()), t(password_hash), t(&now()), t(&partner.name)],
            )?;
            Self::find_user(tx, name)?.ok_or_else(|| StoreError::NoSuchUser(name.to_owned()))
        })
    }

    fn receive_unit(&self, lot: &str, serial: &str, actor: &str) -> Result<UnitRow, StoreError> {
        self.tx(Access::Write, |tx| units::receive(tx, lot, serial, actor))
    }

    fn units(&self, q: &UnitQuery) -> Result<Vec<UnitRow>, StoreError> {
        self.tx(Access::Read, |tx| units::list(tx, q))
    }

    fn unit_events(&self, lot: &str, reference: &str) -> Result<Vec<UnitEvent>, StoreError> {
        self.tx(Access::Read, |tx| units::events(tx, lot, reference))
    }

    fn unit_act(
        &self,
        lot: &str,
        reference: &str,
        action: &crate::units::Action,
        actor: &str,
    ) -> Result<UnitRow, StoreError> {
        self.tx(Access::Write, |tx| units::act(tx, lot, reference, action, actor))
    }

    fn validator_key(&self, user: &str) -> Result<Option<ValidatorKey>, StoreError> {
        let rows = self.read(
            &format!("{VALIDATOR_KEY_QUERY} WHERE lower(user_name) = lower($1) AND retired_at IS NULL"),
            &[t(user)],
        )?;
        Ok(rows.first().map(|r| validator_key_from(r)))
    }

    fn add_validator_key(&self, key: &ValidatorKey) -> Result<ValidatorKey, StoreError> {
        self.tx(Access::Write, |tx| {
            let current = format!("{VALIDATOR_KEY_QUERY} WHERE user_name = $1 AND retired_at IS NULL");
            if let Some(r) = tx.query(&current, &[t(&key.user)])?.first() {
                return Ok(validator_key_from(r));
            }
            // Another process may have recorded one since the read: its row wins.
            let added = tx.exec(
                "INSERT INTO validator_keys (key_id, user_name, public_key, sealed_seed, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT DO NOTHING",
                &[t(&key.key_id), t(&key.user), t(&key.public_key), t(&key.sealed_seed), t(&key.created_at)],
            )?;
            if added == 0 {
                if let Some(r) = tx.query(&current, &[t(&key.user)])?.first() {
                    return Ok(validator_key_from(r));
                }
            }
            Ok(key.clone())
        })
    }

    fn add_validation(&self, v: &Validation) -> Result<Decided, StoreError> {
        self.tx(Access::Write, |tx| {
            let existing = tx.query(&format!("{VALIDATION_QUERY} WHERE certificate_id = $1"), &[t(&v.certificate_id)])?;
            if let Some(r) = existing.first() {
                return Ok(Decided::Already(Box::new(validation_from(r))));
            }
            let added = tx.exec(
                "INSERT INTO validations (certificate_id, user_name, role, decision, reason, at, key_id, public_key, statement, signature)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (certificate_id) DO NOTHING",
                &[
                    t(&v.certificate_id),
                    t(&v.user),
                    t(&v.role),
                    t(&v.decision),
                    opt(v.reason.as_deref()),
                    t(&v.at),
                    t(&v.key_id),
                    t(&v.public_key),
                    t(&v.statement),
                    t(&v.signature),
                ],
            )?;
            if added == 0 {
                // Decided by another process since the read.
                let existing =
                    tx.query(&format!("{VALIDATION_QUERY} WHERE certificate_id = $1"), &[t(&v.certificate_id)])?;
                if let Some(r) = existing.first() {
                    return Ok(Decided::Already(Box::new(validation_from(r))));
                }
            }
            Ok(Decided::New)
        })
    }

    fn validation(&self, certificate_id: &str) -> Result<Option<Validation>, StoreError> {
        let rows =
            self.read(&format!("{VALIDATION_QUERY} WHERE certificate_id = $1"), &[t(certificate_id)])?;
        Ok(rows.first().map(|r| validation_from(r)))
    }

    fn search(&self, q: &SearchQuery) -> Result<Vec<CertificateRow>, StoreError> {
        let mut sql = String::from(
            "SELECT c.id, c.document, c.unit_serial, c.lot, c.result, c.finished_at, c.received_at, c.leaf_index,
                    c.station_key_id, s.name, s.revoked_at
             FROM certificates c JOIN stations s ON s.key_id = c.station_key_id WHERE 1 = 1",
        );
        let mut params: Vec<Val> = Vec::new();
        let mut filter = |sql: &mut String, clause: &str, values: &[&str]| {
            let mut clause = clause.to_owned();
            for v in values {
                params.push(t(v));
                clause = clause.replacen('?', &format!("${}", params.len()), 1);
            }
            sql.push_str(" AND ");
            sql.push_str(&clause);
        };
        if let Some(v) = &q.unit_serial {
            filter(&mut sql, "c.unit_serial = ?", &[v]);
        }
        if let Some(v) = &q.disk_serial {
            filter(
                &mut sql,
                "c.id IN (SELECT d.certificate_id FROM certificate_disks d WHERE d.serial = ?)",
                &[v],
            );
        }
        if let Some(v) = &q.certificate_id {
            filter(&mut sql, "c.id = ?", &[v]);
        }
        if let Some(v) = &q.lot {
            filter(&mut sql, "c.lot = ?", &[v]);
        }
        if let Some(v) = &q.station {
            // Through the stations table, so the certificates are found by their station index.
            filter(
                &mut sql,
                "c.station_key_id IN (SELECT key_id FROM stations WHERE key_id = ? OR name = ?)",
                &[v, v],
            );
        }
        if let Some(v) = &q.from {
            filter(&mut sql, "c.finished_at >= ?", &[v]);
        }
        if let Some(v) = &q.to {
            // Times are RFC 3339 text in UTC: every instant of day D sorts before "DT~" ('~' is
            // after every digit), so the last day is included.
            filter(&mut sql, "c.finished_at < ?", &[&format!("{v}T~")]);
        }
        if let Some(v) = &q.donor_user {
            filter(
                &mut sql,
                "c.lot IN (SELECT l.lot FROM lots l JOIN user_donors u ON u.donor = l.donor WHERE u.user_name = ?)",
                &[v],
            );
        }
        match q.validation {
            Some(ValidationFilter::Pending) => filter(
                &mut sql,
                "NOT EXISTS (SELECT 1 FROM validations v WHERE v.certificate_id = c.id)",
                &[],
            ),
            Some(ValidationFilter::Validated) => filter(
                &mut sql,
                "EXISTS (SELECT 1 FROM validations v WHERE v.certificate_id = c.id AND v.decision = ?)",
                &["validated"],
            ),
            Some(ValidationFilter::Rejected) => filter(
                &mut sql,
                "EXISTS (SELECT 1 FROM validations v WHERE v.certificate_id = c.id AND v.decision = ?)",
                &["rejected"],
            ),
            None => {}
        }
        if let Some((finished_at, id)) = &q.after {
            filter(
                &mut sql,
                "(c.finished_at < ? OR (c.finished_at = ? AND c.id < ?))",
                &[finished_at, finished_at, id],
            );
        }
        // Newest first; ties by id, newest first too (ids are UUIDv7): the (finished_at, id)
        // index read backwards, with no sort.
        sql.push_str(" ORDER BY c.finished_at DESC, c.id DESC");
        if let Some(limit) = q.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        self.tx(Access::Read, |tx| {
            let rows = tx.query(&sql, &params)?;
            Ok(rows
                .iter()
                .map(|r| CertificateRow {
                    id: r[0].text().unwrap_or_default(),
                    document: r[1].text().unwrap_or_default(),
                    unit_serial: r[2].text(),
                    lot: r[3].text(),
                    result: r[4].text().unwrap_or_default(),
                    finished_at: r[5].text().unwrap_or_default(),
                    received_at: r[6].text().unwrap_or_default(),
                    leaf_index: r[7].int() as u64,
                    station_key_id: r[8].text().unwrap_or_default(),
                    station_name: r[9].text(),
                    station_revoked: r[10].text().is_some(),
                })
                .collect())
        })
    }
}

impl<B: Backend> SqlStore<B> {
    fn read_flags(&self, before: Option<(u64, i64)>, limit: u64) -> Result<(Vec<FlagRow>, u64), StoreError> {
        let (leaf, position) = before.map(|(l, p)| (l as i64, p)).unwrap_or((i64::MAX, i64::MAX));
        let rows = self.read(
            "SELECT f.leaf_index, f.position, f.certificate_id, f.unit_serial, f.flag, n.certificates
             FROM certificate_flags f LEFT JOIN disk_serial_counts n ON n.serial = f.serial
             WHERE f.leaf_index <= $1 AND (f.leaf_index < $1 OR f.position < $2)
             ORDER BY f.leaf_index DESC, f.position DESC LIMIT $3",
            &[Val::Int(leaf), Val::Int(position), Val::Int(limit.min(i64::MAX as u64) as i64)],
        )?;
        let total = self.read("SELECT COUNT(*) FROM certificate_flags", &[])?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let text = r[4].text().unwrap_or_default();
            let mut kind: crate::web::flags::FlagKind =
                serde_json::from_str(&text).map_err(|e| StoreError::Db {
                    backend: B::NAME,
                    message: format!("a kept flag {text:?} does not read: {e}"),
                })?;
            if let (crate::web::flags::FlagKind::DiskWipedTwice { times, .. }, Val::Int(n)) =
                (&mut kind, &r[5])
            {
                *times = *n as usize;
            }
            out.push(FlagRow {
                cursor: (r[0].int() as u64, r[1].int()),
                certificate_id: r[2].text().unwrap_or_default(),
                unit_serial: r[3].text(),
                kind,
            });
        }
        Ok((out, total.first().map(|r| r[0].int() as u64).unwrap_or(0)))
    }
}

const VALIDATOR_KEY_QUERY: &str =
    "SELECT key_id, user_name, public_key, sealed_seed, created_at FROM validator_keys";

fn validator_key_from(r: &[Val]) -> ValidatorKey {
    ValidatorKey {
        key_id: r[0].text().unwrap_or_default(),
        user: r[1].text().unwrap_or_default(),
        public_key: r[2].text().unwrap_or_default(),
        sealed_seed: r[3].text().unwrap_or_default(),
        created_at: r[4].text().unwrap_or_default(),
    }
}

const VALIDATION_QUERY: &str = "SELECT certificate_id, user_name, role, decision, reason, at, key_id, public_key, statement, signature FROM validations";

fn validation_from(r: &[Val]) -> Validation {
    Validation {
        certificate_id: r[0].text().unwrap_or_default(),
        user: r[1].text().unwrap_or_default(),
        role: r[2].text().unwrap_or_default(),
        decision: r[3].text().unwrap_or_default(),
        reason: r[4].text(),
        at: r[5].text().unwrap_or_default(),
        key_id: r[6].text().unwrap_or_default(),
        public_key: r[7].text().unwrap_or_default(),
        statement: r[8].text().unwrap_or_default(),
        signature: r[9].text().unwrap_or_default(),
    }
}

/// Retires an account's current validation key and forgets its sealed seed: nobody can sign
/// with it again; validations made with it keep their public key.
fn retire_validator_key(tx: &mut dyn Tx, user: &str) -> Result<(), StoreError> {
    tx.exec(
        "UPDATE validator_keys SET retired_at = $1, sealed_seed = NULL WHERE user_name = $2 AND retired_at IS NULL",
        &[t(&now()), t(user)],
    )?;
    Ok(())
}

fn token_row(r: &[Val]) -> ApiTokenRow {
    ApiTokenRow {
        id: r[0].text().unwrap_or_default().chars().take(12).collect(),
        user: r[1].text().unwrap_or_default(),
        label: r[2].text(),
        created_at: r[3].text().unwrap_or_default(),
    }
}

/// Creates a donor if it does not exist yet.
fn ensure_donor(tx: &mut dyn Tx, donor: &str) -> Result<(), StoreError> {
    tx.exec(
        "INSERT INTO donors (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[t(donor), t(&now())],
    )?;
    Ok(())
}

/// Records certificates and appends their leaves, inside the caller's transaction, with a
/// fixed number of statements whatever their number: one query finds the ids already recorded,
/// the revoked stations and the log's frontier; the rows and the new frontier go in one write.
/// A certificate of a revoked station is refused, not recorded.
fn append_all<'c>(
    tx: &mut dyn Tx,
    certificates: impl Iterator<Item = &'c NewCertificate>,
) -> Result<Vec<Inserted>, StoreError> {
    let certificates: Vec<&NewCertificate> = certificates.collect();
    let Some(last) = certificates.last() else { return Ok(Vec::new()) };
    // One query reads the log's frontier ('f' row), the certificates of this batch already
    // recorded ('c'), and the revoked stations among theirs ('r'). The frontier comes first: its
    // columns give PostgreSQL the types of the NULLs below. The lists are padded to a power of
    // two (the last value repeated), so SQLite caches a few shapes of this statement, not one
    // per batch size.
    let k = certificates.len().next_power_of_two();
    let padded = || certificates.iter().chain(std::iter::repeat(last)).take(k);
    let mut params: Vec<Val> =
        padded().map(|c| t(&c.id)).chain(padded().map(|c| t(&c.station_key_id))).collect();
    // The batch's disk serials ('s' rows: how many times recorded certificates name each), for
    // the flags of a disk wiped twice; padded in the same way.
    let mut serials: Vec<&str> =
        certificates.iter().flat_map(|c| c.disks.iter().map(|(s, _)| s.as_str())).collect();
    serials.sort_unstable();
    serials.dedup();
    let ks = serials.len().max(1).next_power_of_two();
    let last_serial = serials.last().copied().unwrap_or("");
    params.extend(serials.iter().copied().chain(std::iter::repeat(last_serial)).take(ks).map(t));
    let rows = tx.query_planned(
        &format!(
            "SELECT 'f', NULL, NULL, NULL, size, frontier FROM log_state WHERE id = 1
             UNION ALL SELECT 'c', id, content_sha256, received_at, leaf_index, NULL FROM certificates
                 WHERE id IN ({})
             UNION ALL SELECT 'r', key_id, revoked_at, NULL, NULL, NULL FROM stations
                 WHERE key_id IN ({}) AND revoked_at IS NOT NULL
             UNION ALL SELECT 's', serial, NULL, NULL, certificates, NULL FROM disk_serial_counts
                 WHERE serial IN ({})",
            placeholders(1, k),
            placeholders(k + 1, k),
            placeholders(2 * k + 1, ks)
        ),
        &params,
    )?;
    // id -> (content SHA-256, received_at, leaf index), of the stored ones, then of this batch's.
    let mut known: HashMap<String, (String, String, u64)> = HashMap::new();
    // station key id -> when it was revoked.
    let mut revoked: HashMap<String, String> = HashMap::new();
    // disk serial -> how many times recorded certificates name it.
    let mut recorded: std::collections::BTreeMap<String, usize> = Default::default();
    let mut frontier = certificate::log::CompactRange::new();
    for r in &rows {
        let (key, value) = (r[1].text().unwrap_or_default(), r[2].text().unwrap_or_default());
        match r[0].text().as_deref() {
            Some("c") => {
                known.insert(key, (value, r[3].text().unwrap_or_default(), r[4].int() as u64));
            }
            Some("r") => {
                revoked.insert(key, value);
            }
            Some("s") => {
                recorded.insert(key, r[4].int() as usize);
            }
            _ => frontier = frontier_from(&r[4], &r[5])?,
        }
    }
    let before = frontier.size();
    let received_at = now();
    let (mut rows, mut disks, mut leaves) = (Vec::new(), Vec::new(), Vec::new());
    // The certificates recorded by this batch, with their leaves, for their flags.
    let mut appended: Vec<(&NewCertificate, i64)> = Vec::new();
    let mut results = Vec::with_capacity(certificates.len());
    for c in certificates {
        if let Some(revoked_at) = revoked.get(&c.station_key_id) {
            results.push(Inserted::StationRevoked { revoked_at: revoked_at.clone() });
            continue;
        }
        if let Some((sha, received_at, leaf_index)) = known.get(&c.id) {
            results.push(if *sha == c.content_sha256 {
                Inserted::Duplicate { received_at: received_at.clone(), leaf_index: *leaf_index }
            } else {
                Inserted::Conflict
            });
            continue;
        }
        let leaf_index = frontier.size();
        // The inclusion proof of the last leaf of a tree is the previous tree's frontier,
        // right to left: the roots of the perfect subtrees to its left (RFC 9162 §2.1.3.1).
        let proof: Vec<[u8; 32]> = frontier.hashes().iter().rev().copied().collect();
        frontier.append(c.leaf_hash);
        known.insert(c.id.clone(), (c.content_sha256.clone(), received_at.clone(), leaf_index));
        rows.push(vec![
            t(&c.id),
            t(&c.station_key_id),
            t(&c.document),
            t(&c.content_sha256),
            opt(c.unit_serial.as_deref()),
            t(&c.result),
            t(&c.finished_at),
            t(&received_at),
            Val::Int(leaf_index as i64),
            opt(c.lot.as_deref()),
        ]);
        for (position, (serial, result)) in c.disks.iter().enumerate() {
            disks.push(vec![t(&c.id), Val::Int(position as i64), t(serial), t(result)]);
        }
        leaves.push(vec![Val::Int(leaf_index as i64), Val::Blob(c.leaf_hash.to_vec()), t(&c.id)]);
        appended.push((c, leaf_index as i64));
        results.push(Inserted::New {
            received_at: received_at.clone(),
            leaf_index,
            root: frontier.root(),
            proof,
        });
    }
    if frontier.size() != before {
        let state: Vec<u8> = frontier.hashes().iter().flatten().copied().collect();
        let mut kept = KeptFlags::of(&appended, &recorded);
        tx.insert_rows_then(
            vec![
                (
                    "certificates (id, station_key_id, document, content_sha256, unit_serial, result, finished_at, received_at, leaf_index, lot)",
                    rows,
                ),
                ("certificate_disks (certificate_id, position, serial, result)", disks),
                ("log_leaves (leaf_index, leaf_hash, certificate_id)", leaves),
                ("certificate_flags (leaf_index, position, certificate_id, unit_serial, serial, flag)", std::mem::take(&mut kept.rows)),
            ],
            "INSERT INTO log_state (id, size, frontier) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET size = excluded.size, frontier = excluded.frontier",
            &[Val::Int(frontier.size() as i64), Val::Blob(state)],
        )?;
        kept.update_others(tx, before as i64)?;
        // The units' automatic states, in the same transaction (store/units.rs).
        let parsed: Vec<&certificate::Certificate> =
            appended.iter().filter_map(|(c, _)| c.parsed.as_deref()).collect();
        units::upsert_from_certificates(tx, &parsed)?;
    }
    Ok(results)
}

/// The flags of the certificates a batch records, and what they change for those recorded
/// before: a fixed number of statements per batch, whatever the log's size.
struct KeptFlags {
    /// `certificate_flags` rows of the new certificates.
    rows: Vec<Vec<Val>>,
    /// (serial, times the batch names it), for `disk_serial_counts`.
    counts: Vec<(String, i64)>,
    /// Disks recorded once before and named again now: that earlier certificate gets the flag
    /// too (it had none: the disk was then seen once). Recorded twice or more before, the
    /// earlier ones have it already, so a disk named a thousand times costs no more.
    second_sightings: Vec<(String, String)>,
}

impl KeptFlags {
    fn of(appended: &[(&NewCertificate, i64)], recorded: &std::collections::BTreeMap<String, usize>) -> Self {
        use crate::web::flags::{flags_counting, Audited, FlagKind};
        let audited: Vec<Audited<'_>> = appended
            .iter()
            .filter_map(|(c, _)| c.parsed.as_deref())
            .map(|certificate| Audited { certificate, station_revoked: false })
            .collect();
        let found = flags_counting(&audited, recorded);
        let mut rows = Vec::with_capacity(found.len());
        let mut second_sightings = Vec::new();
        for (c, leaf_index) in appended {
            let own: Vec<_> = found.iter().filter(|f| f.certificate_id == c.id).cloned().collect();
            for f in &own {
                if let FlagKind::DiskWipedTwice { serial, .. } = &f.kind {
                    if recorded.get(serial) == Some(&1) {
                        second_sightings.push((serial.clone(), flag_json(&f.kind)));
                    }
                }
            }
            rows.extend(flag_values(*leaf_index, &c.id, &opt(c.unit_serial.as_deref()), &own));
        }
        second_sightings.sort();
        second_sightings.dedup_by(|a, b| a.0 == b.0);
        let mut counts: std::collections::BTreeMap<&str, i64> = Default::default();
        for (c, _) in appended {
            for (serial, _) in &c.disks {
                *counts.entry(serial).or_default() += 1;
            }
        }
        let counts = counts.into_iter().map(|(s, n)| (s.to_owned(), n)).collect();
        KeptFlags { rows, counts, second_sightings }
    }

    /// Adds the batch's disks to their counts and flags the earlier certificate of each disk
    /// seen for the second time (`first_new` is the batch's first leaf).
    fn update_others(&self, tx: &mut dyn Tx, first_new: i64) -> Result<(), StoreError> {
        let mut left: &[(String, i64)] = &self.counts;
        while !left.is_empty() {
            // Power-of-two chunks, as `Tx::insert_rows` does, so few statement shapes are made.
            let chunk = 1usize << (usize::BITS - 1 - left.len().min(512).leading_zeros());
            let (now, rest) = left.split_at(chunk);
            let values: Vec<String> =
                (0..chunk).map(|i| format!("({})", placeholders(1 + 2 * i, 2))).collect();
            let params: Vec<Val> = now.iter().flat_map(|(s, n)| [t(s), Val::Int(*n)]).collect();
            tx.exec(
                &format!(
                    "INSERT INTO disk_serial_counts (serial, certificates) VALUES {}
                     ON CONFLICT (serial) DO UPDATE SET certificates = disk_serial_counts.certificates + excluded.certificates",
                    values.join(", ")
                ),
                &params,
            )?;
            left = rest;
        }
        for (serial, flag) in &self.second_sightings {
            tx.exec(
                "INSERT INTO certificate_flags (leaf_index, position, certificate_id, unit_serial, serial, flag)
                 SELECT c.leaf_index, $1 + d.position, c.id, c.unit_serial, d.serial, $2
                 FROM certificate_disks d JOIN certificates c ON c.id = d.certificate_id
                 WHERE d.serial = $3 AND c.leaf_index < $4
                 ON CONFLICT (leaf_index, position) DO NOTHING",
                &[Val::Int(TWICE_POSITION), t(flag), t(serial), Val::Int(first_new)],
            )?;
        }
        Ok(())
    }
}

/// `$first, $first+1, …` (`count` of them).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The log's compact range (its frontier of perfect-subtree roots), kept beside the leaves so an
/// append costs O(log n) whatever the log's size, across processes: rebuilt from the `size` and
/// `frontier` columns of `log_state`.
fn frontier_from(size: &Val, frontier: &Val) -> Result<certificate::log::CompactRange, StoreError> {
    let bytes: &[u8] = match frontier {
        Val::Blob(b) => b,
        _ => &[],
    };
    let hashes = bytes.chunks(32).filter_map(|c| <[u8; 32]>::try_from(c).ok()).collect();
    certificate::log::CompactRange::from_parts(size.int() as u64, hashes).map_err(|e| StoreError::Db {
        backend: "log",
        message: format!("the stored log frontier is damaged: {e}"),
    })
}

mod pg;
mod sqlite;
mod units;

pub use pg::Postgres;
pub use sqlite::Sqlite;

/// The embedded default store.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqliteStore {
    /// Opens (creating if needed) the SQLite database at `path`.
    pub fn open(path: &std::path::Path) -> Result<Self, StoreError> {
        let store = SqlStore::new(Sqlite::open(path)?)?;
        Ok(store.with_reader(Sqlite::open_reader(path)?))
    }
}

/// Opens the store a `--db` value names: `postgres://…` or `postgresql://…` for PostgreSQL,
/// anything else is a SQLite file path.
pub fn open(db: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(SqlStore::new(Postgres::connect(db)?)?.with_reader(Postgres::connect(db)?)))
    } else {
        Ok(std::sync::Arc::new(SqliteStore::open(std::path::Path::new(db))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty directory of this process for test `name`.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sv-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    }

    /// A certificate `id` of station `k`, without lot or disks.
    fn station_k(id: &str) -> NewCertificate {
        NewCertificate {
            id: id.into(),
            station_key_id: "k".into(),
            document: "{}".into(),
            content_sha256: format!("sha-{id}"),
            leaf_hash: certificate::log::leaf_hash(id.as_bytes()),
            unit_serial: None,
            lot: None,
            result: "sanitized".into(),
            finished_at: "2026-11-23T10:00:00.000Z".into(),
            disks: vec![],
            parsed: None,
        }
    }

    #[test]
    fn the_lot_column_is_filled_from_documents_stored_before_it_existed() {
        let dir = scratch("backfill");
        let store = SqliteStore::open(&dir.join("r.sqlite")).expect("db");
        store.add_station("k", "AAAA", None).expect("station");
        // As a registry from before migration 3 stored them: no lot column.
        let new = |id: &str, document: &str| NewCertificate { document: document.into(), ..station_k(id) };
        store.insert_certificate(&new("a", r#"{"certificate": {"lot": "LOT-OLD"}}"#)).expect("insert");
        store.insert_certificate(&new("b", r#"{"certificate": {"lot": null}}"#)).expect("insert");
        let lot = |lot: &str| SearchQuery { lot: Some(lot.into()), ..SearchQuery::default() };
        assert!(store.search(&lot("LOT-OLD")).expect("search").is_empty());
        store.tx(Access::Write, backfill_lots).expect("backfill");
        let found = store.search(&lot("LOT-OLD")).expect("search");
        assert_eq!(found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["a"]);
        assert_eq!(store.lots().expect("lots").len(), 1, "the certificate without lot has none");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A SQLite file with the schema as the registry left it after migration `n` (and nothing
    /// more), for the tests of the migrations after it.
    fn sqlite_at_migration(path: &std::path::Path, n: usize) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(path).expect("db");
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .expect("table");
        for (i, step) in MIGRATIONS[..n].iter().enumerate() {
            conn.execute_batch(&step.replace("{blob}", "BLOB")).expect("migration");
            conn.execute("INSERT INTO schema_migrations VALUES (?1, 'then')", [i as i64 + 1]).expect("row");
        }
        conn
    }

    #[test]
    fn a_database_from_before_migration_4_keeps_its_certificates_without_the_canonical_copy() {
        let dir = scratch("migration-4");
        let path = dir.join("r.sqlite");
        {
            // The schema as the registry left it before migration 4, with one certificate.
            let conn = sqlite_at_migration(&path, 3);
            conn.execute_batch(
                "INSERT INTO stations (key_id, public_key, requested_at) VALUES ('k', 'AAAA', 'then');
                 INSERT INTO certificates (id, station_key_id, document, canonical, content_sha256, result, finished_at, received_at, leaf_index)
                 VALUES ('old', 'k', '{}', x'7b7d', 'sha-old', 'sanitized', 'then', 'then', 0);
                 INSERT INTO log_leaves VALUES (0, zeroblob(32), 'old');
                 INSERT INTO log_state VALUES (1, 1, zeroblob(32));",
            )
            .expect("old certificate");
        }
        let store = SqliteStore::open(&path).expect("migrates");
        assert_eq!(store.certificate("old").expect("query").expect("kept").content_sha256, "sha-old");
        let new = NewCertificate {
            id: "new".into(),
            station_key_id: "k".into(),
            document: "{}".into(),
            content_sha256: "sha-new".into(),
            leaf_hash: certificate::log::leaf_hash(b"new"),
            unit_serial: None,
            lot: None,
            result: "sanitized".into(),
            finished_at: "2026-11-23T10:00:00.000Z".into(),
            disks: vec![],
            parsed: None,
        };
        assert!(matches!(store.insert_certificate(&new).expect("insert"), Inserted::New { .. }));
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn migration_5_computes_the_flags_of_certificates_already_stored() {
        let dir = scratch("migration-5");
        let path = dir.join("r.sqlite");
        let key = certificate::SigningIdentity::from_seed(&[3; 32]);
        let signed = |serial: &str, unit: Option<&str>| {
            let mut c =
                certificate::example::with_station_key(certificate::example::certificate(serial), &key);
            if unit.is_none() {
                c.unit.serial = certificate::Probed::unavailable("no DMI table");
            }
            let doc = key.sign(&c).expect("signs").to_json_pretty();
            NewCertificate::from_verified(
                certificate::SignedDocument::from_json(&doc).expect("parses").verify().expect("verifies"),
                &doc,
            )
        };
        let stored = [signed("TWICE", Some("U")), signed("ONCE", None), signed("TWICE", Some("U"))];
        {
            // The schema before migration 5, and three certificates stored without flags.
            let conn = sqlite_at_migration(&path, 4);
            conn.execute(
                "INSERT INTO stations (key_id, public_key, requested_at) VALUES (?1, 'AAAA', 'then')",
                [key.key_id()],
            )
            .expect("station");
            for (i, c) in stored.iter().enumerate() {
                conn.execute(
                    "INSERT INTO certificates (id, station_key_id, document, content_sha256, result, finished_at, received_at, leaf_index, unit_serial)
                     VALUES (?1, ?2, ?3, 'sha', 'sanitized', 'then', 'then', ?4, ?5)",
                    rusqlite::params![c.id, c.station_key_id, c.document, i as i64, c.unit_serial],
                )
                .expect("certificate");
                for (position, (serial, result)) in c.disks.iter().enumerate() {
                    conn.execute(
                        "INSERT INTO certificate_disks VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![c.id, position as i64, serial, result],
                    )
                    .expect("disk");
                }
            }
        }
        {
            let conn = rusqlite::Connection::open(&path).expect("db");
            conn.execute_batch("INSERT INTO log_state VALUES (1, 3, zeroblob(64))").expect("log state");
        }
        let store = SqliteStore::open(&path).expect("migrates");
        let (flags, total) = store.flags(None, 100).expect("flags");
        use crate::web::flags::FlagKind;
        let twice = FlagKind::DiskWipedTwice { serial: "TWICE".into(), times: 2 };
        let found: Vec<(&str, &FlagKind)> =
            flags.iter().map(|f| (f.certificate_id.as_str(), &f.kind)).collect();
        assert_eq!(
            found,
            vec![
                (stored[2].id.as_str(), &twice),
                (stored[1].id.as_str(), &FlagKind::UnitWithoutSerial),
                (stored[0].id.as_str(), &twice),
            ]
        );
        assert_eq!(total, 3);
        // Migration 6 copied each flag's unit serial beside it.
        assert_eq!(flags[2].unit_serial.as_deref(), Some("5XJ3K4J"));
        assert_eq!(flags[1].unit_serial, None, "the unit without serial");
        // A fourth certificate of the disk: counted on, every one says 3.
        let fourth = store.insert_certificate(&signed("TWICE", Some("U")));
        assert!(matches!(fourth, Ok(Inserted::New { leaf_index: 3, .. })), "{fourth:?}");
        let (flags, _) = store.flags(None, 100).expect("flags");
        let thrice = FlagKind::DiskWipedTwice { serial: "TWICE".into(), times: 3 };
        assert_eq!(flags.iter().filter(|f| f.kind == thrice).count(), 3, "{flags:?}");
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn migration_7_adds_validations_to_a_database_with_certificates() {
        let dir = scratch("migration-7");
        let path = dir.join("r.sqlite");
        {
            // The schema as migration 6 left it, with one certificate and one account.
            let conn = sqlite_at_migration(&path, 6);
            conn.execute_batch(
                "INSERT INTO stations (key_id, public_key, requested_at) VALUES ('k', 'AAAA', 'then');
                 INSERT INTO certificates (id, station_key_id, document, content_sha256, result, finished_at, received_at, leaf_index)
                 VALUES ('old', 'k', '{}', 'sha-old', 'sanitized', 'then', 'then', 0);
                 INSERT INTO log_leaves VALUES (0, zeroblob(32), 'old');
                 INSERT INTO log_state VALUES (1, 1, zeroblob(32));
                 INSERT INTO users VALUES ('camille', 'supervisor', 'hash', 'then');",
            )
            .expect("old rows");
        }
        let store = SqliteStore::open(&path).expect("migrates");
        assert_eq!(store.certificate("old").expect("query").expect("kept").content_sha256, "sha-old");
        assert_eq!(store.validation("old").expect("query"), None);
        assert_eq!(store.validator_key("camille").expect("query"), None);
        let key = ValidatorKey {
            key_id: "kid".into(),
            user: "camille".into(),
            public_key: "pk".into(),
            sealed_seed: "sealed".into(),
            created_at: "now".into(),
        };
        assert_eq!(store.add_validator_key(&key).expect("key"), key);
        let again = ValidatorKey { key_id: "kid2".into(), ..key.clone() };
        assert_eq!(store.add_validator_key(&again).expect("key"), key, "one current key per account");
        let v = Validation {
            certificate_id: "old".into(),
            user: "camille".into(),
            role: "supervisor".into(),
            decision: "validated".into(),
            reason: None,
            at: "now".into(),
            key_id: "kid".into(),
            public_key: "pk".into(),
            statement: "{}".into(),
            signature: "sig".into(),
        };
        assert_eq!(store.add_validation(&v).expect("recorded"), Decided::New);
        let second = Validation { decision: "rejected".into(), reason: Some("no".into()), ..v.clone() };
        assert_eq!(store.add_validation(&second).expect("answer"), Decided::Already(Box::new(v.clone())));
        assert_eq!(store.validation("old").expect("query"), Some(v));
        // A new password retires the key; the decision stays.
        store.set_password("camille", "new hash").expect("password");
        assert_eq!(store.validator_key("camille").expect("query"), None);
        assert!(store.validation("old").expect("query").is_some());
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// SQLite whose next `panics` appends panic, as a bug in the append would.
    struct PanickingAppend {
        inner: sqlite::Sqlite,
        panics: usize,
    }

    impl Backend for PanickingAppend {
        const NAME: &'static str = "sqlite";
        const BLOB: &'static str = "BLOB";

        fn transaction<R>(
            &mut self,
            access: Access,
            f: &mut dyn FnMut(&mut dyn Tx) -> Result<R, StoreError>,
        ) -> Result<R, StoreError> {
            if access == Access::Append && self.panics > 0 {
                self.panics -= 1;
                // Inside the transaction, after a write: what unwinding must roll back.
                return self.inner.transaction(access, &mut |tx| {
                    tx.exec("INSERT INTO log_state (id, size, frontier) VALUES (2, 0, x'')", &[])?;
                    panic!("a bug in the append");
                });
            }
            self.inner.transaction(access, f)
        }

        fn query_alone(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
            self.inner.query_alone(sql, params)
        }
    }

    #[test]
    fn a_panic_in_the_writer_fails_its_batch_and_the_next_certificate_is_recorded() {
        let dir = scratch("writer-panic");
        let inner = sqlite::Sqlite::open(&dir.join("r.sqlite")).expect("db");
        let store = SqlStore::new(PanickingAppend { inner, panics: 1 }).expect("store");
        store.add_station("k", "AAAA", None).expect("station");
        let failed = store.insert_certificate(&station_k("a")).expect_err("the panicking batch fails");
        assert!(failed.to_string().contains("not recorded"), "{failed}");
        assert!(matches!(store.insert_certificate(&station_k("b")), Ok(Inserted::New { leaf_index: 0, .. })));
        assert!(matches!(store.insert_certificate(&station_k("a")), Ok(Inserted::New { leaf_index: 1, .. })));
        // The write made before the panic was rolled back.
        let rows = store.read("SELECT COUNT(*) FROM log_state", &[]).expect("count");
        assert_eq!(rows[0][0].int(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
