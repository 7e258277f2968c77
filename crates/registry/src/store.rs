//! Where certificates and stations are kept: a small trait, and its SQLite implementation.
//!
//! The trait is synchronous; the HTTP layer calls it on tokio's blocking pool. A PostgreSQL
//! implementation (registry core issue) goes beside [`SqliteStore`] with the same queries.

use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use rusqlite::{params, Connection, OptionalExtension};

/// An enrolled station.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Station {
    /// Hex SHA-256 of its public key.
    pub key_id: String,
    /// Base64 raw Ed25519 public key.
    pub public_key: String,
    /// A name the workshop gave it.
    pub name: Option<String>,
    /// When it was enrolled (RFC 3339).
    pub enrolled_at: String,
    /// When it was revoked, if it was.
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
    /// When the run finished (RFC 3339).
    pub finished_at: String,
    /// When the registry accepted it.
    pub received_at: String,
}

/// The facts extracted from a verified certificate for indexing.
#[derive(Debug, Clone)]
pub struct NewCertificate<'a> {
    /// Certificate id.
    pub id: &'a str,
    /// Signing station's key id.
    pub station_key_id: &'a str,
    /// The file exactly as received.
    pub document: &'a str,
    /// The canonical certificate bytes.
    pub canonical: &'a [u8],
    /// SHA-256 (hex) of `canonical`.
    pub content_sha256: &'a str,
    /// Unit serial.
    pub unit_serial: Option<&'a str>,
    /// Overall result.
    pub result: &'a str,
    /// When the run finished.
    pub finished_at: &'a str,
    /// (disk serial, disk result) for every disk with a serial.
    pub disks: Vec<(&'a str, &'a str)>,
}

/// What inserting a certificate did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Newly recorded.
    New {
        /// When it was accepted.
        received_at: String,
    },
    /// The same certificate was already recorded.
    Duplicate {
        /// When it was first accepted.
        received_at: String,
    },
    /// A different certificate already has this id.
    Conflict,
}

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// A station with this key is already enrolled.
    #[error("a station with key id {0} is already enrolled")]
    AlreadyEnrolled(String),
}

/// What the registry needs from its database.
pub trait Store: Send + Sync {
    /// Enrols a station.
    fn add_station(&self, key_id: &str, public_key: &str, name: Option<&str>) -> Result<Station, StoreError>;
    /// Looks a station up by key id.
    fn station(&self, key_id: &str) -> Result<Option<Station>, StoreError>;
    /// Every station.
    fn stations(&self) -> Result<Vec<Station>, StoreError>;
    /// Records a certificate, durably, or says it is a duplicate or a conflict.
    fn insert_certificate(&self, c: &NewCertificate<'_>) -> Result<Inserted, StoreError>;
    /// A certificate by id.
    fn certificate(&self, id: &str) -> Result<Option<StoredCertificate>, StoreError>;
    /// Every certificate that names a disk serial, oldest first.
    fn disk_history(&self, serial: &str) -> Result<Vec<DiskEntry>, StoreError>;
}

/// The embedded default: one SQLite file, WAL journal, `synchronous=FULL` so an accepted
/// certificate survives a power cut.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const MIGRATIONS: &[&str] = &["
CREATE TABLE stations (
    key_id      TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    name        TEXT,
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE certificates (
    id             TEXT PRIMARY KEY,
    station_key_id TEXT NOT NULL REFERENCES stations(key_id),
    document       TEXT NOT NULL,
    canonical      BLOB NOT NULL,
    content_sha256 TEXT NOT NULL,
    unit_serial    TEXT,
    result         TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    received_at    TEXT NOT NULL
);
CREATE INDEX certificates_unit_serial ON certificates(unit_serial);
CREATE TABLE certificate_disks (
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    position       INTEGER NOT NULL,
    serial         TEXT NOT NULL,
    result         TEXT NOT NULL,
    PRIMARY KEY (certificate_id, position)
);
CREATE INDEX certificate_disks_serial ON certificate_disks(serial);
"];

fn now() -> String {
    humantime_rfc3339(SystemTime::now())
}

fn humantime_rfc3339(t: SystemTime) -> String {
    certificate::Timestamp::from(t).to_string()
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tx = conn.transaction()?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        tx.commit()?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn station_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Station> {
    Ok(Station {
        key_id: r.get(0)?,
        public_key: r.get(1)?,
        name: r.get(2)?,
        enrolled_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

impl Store for SqliteStore {
    fn add_station(&self, key_id: &str, public_key: &str, name: Option<&str>) -> Result<Station, StoreError> {
        let conn = self.conn();
        let enrolled_at = now();
        let n = conn.execute(
            "INSERT INTO stations (key_id, public_key, name, enrolled_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![key_id, public_key, name, enrolled_at],
        )?;
        if n == 0 {
            return Err(StoreError::AlreadyEnrolled(key_id.to_owned()));
        }
        Ok(Station {
            key_id: key_id.into(),
            public_key: public_key.into(),
            name: name.map(Into::into),
            enrolled_at,
            revoked_at: None,
        })
    }

    fn station(&self, key_id: &str) -> Result<Option<Station>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT key_id, public_key, name, enrolled_at, revoked_at FROM stations WHERE key_id = ?1",
                [key_id],
                station_from_row,
            )
            .optional()?)
    }

    fn stations(&self) -> Result<Vec<Station>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT key_id, public_key, name, enrolled_at, revoked_at FROM stations ORDER BY enrolled_at",
        )?;
        let rows = stmt.query_map([], station_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn insert_certificate(&self, c: &NewCertificate<'_>) -> Result<Inserted, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let existing: Option<(String, String)> = tx
            .query_row("SELECT content_sha256, received_at FROM certificates WHERE id = ?1", [c.id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((sha, received_at)) = existing {
            return Ok(if sha == c.content_sha256 {
                Inserted::Duplicate { received_at }
            } else {
                Inserted::Conflict
            });
        }
        let received_at = now();
        tx.execute(
            "INSERT INTO certificates (id, station_key_id, document, canonical, content_sha256, unit_serial, result, finished_at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![c.id, c.station_key_id, c.document, c.canonical, c.content_sha256, c.unit_serial, c.result, c.finished_at, received_at],
        )?;
        for (position, (serial, result)) in c.disks.iter().enumerate() {
            tx.execute(
                "INSERT INTO certificate_disks (certificate_id, position, serial, result) VALUES (?1, ?2, ?3, ?4)",
                params![c.id, position as i64, serial, result],
            )?;
        }
        tx.commit()?;
        Ok(Inserted::New { received_at })
    }

    fn certificate(&self, id: &str) -> Result<Option<StoredCertificate>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, document, content_sha256, received_at FROM certificates WHERE id = ?1",
                [id],
                |r| {
                    Ok(StoredCertificate {
                        id: r.get(0)?,
                        document: r.get(1)?,
                        content_sha256: r.get(2)?,
                        received_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn disk_history(&self, serial: &str) -> Result<Vec<DiskEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT c.id, d.result, c.result, c.unit_serial, c.station_key_id, c.finished_at, c.received_at
             FROM certificate_disks d JOIN certificates c ON c.id = d.certificate_id
             WHERE d.serial = ?1 ORDER BY c.finished_at, c.id",
        )?;
        let rows = stmt
            .query_map([serial], |r| {
                Ok(DiskEntry {
                    certificate_id: r.get(0)?,
                    disk_result: r.get(1)?,
                    certificate_result: r.get(2)?,
                    unit_serial: r.get(3)?,
                    station_key_id: r.get(4)?,
                    finished_at: r.get(5)?,
                    received_at: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
