//! The SQLite backend: one file, WAL journal, `synchronous=FULL` so an accepted certificate
//! survives a power cut.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use super::{Access, Backend, StoreError, Tx, Val};

/// A SQLite connection.
#[derive(Debug)]
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &std::path::Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|e| StoreError::Db {
            backend: "sqlite",
            message: format!("opening {}: {e}", path.display()),
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Room for every statement the store runs, with the few shapes of its multi-row inserts.
        conn.set_prepared_statement_cache_capacity(64);
        // A statement run for a request stops when the request's deadline passes (every 10,000
        // virtual machine steps, SQLite asks): a page cannot keep a core busy after its answer.
        conn.progress_handler(10_000, Some(crate::deadline::passed));
        Ok(Sqlite { conn })
    }

    /// Opens a second connection to the database at `path` that only reads.
    pub fn open_reader(path: &std::path::Path) -> Result<Self, StoreError> {
        let reader = Sqlite::open(path)?;
        reader.conn.pragma_update(None, "query_only", true)?;
        Ok(reader)
    }
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

impl Tx for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, StoreError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        query(self.0, sql, params)
    }
}

/// Runs `sql` on `conn` (a connection or, through `Deref`, a transaction).
fn query(conn: &Connection, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let n = stmt.column_count();
    let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |row| {
        (0..n)
            .map(|i| {
                Ok(match row.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(v) => Val::Int(v),
                    ValueRef::Real(v) => Val::Int(v as i64),
                    ValueRef::Text(v) => Val::Text(String::from_utf8_lossy(v).into_owned()),
                    ValueRef::Blob(v) => Val::Blob(v.to_vec()),
                })
            })
            .collect::<rusqlite::Result<Vec<Val>>>()
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

impl Backend for Sqlite {
    const NAME: &'static str = "sqlite";
    const BLOB: &'static str = "BLOB";

    fn transaction<R>(
        &mut self,
        access: Access,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        // IMMEDIATE takes the database's one write lock at BEGIN, so two processes never both
        // read the log size and then both append: that lock serves appends too.
        let behavior = match access {
            Access::Read => TransactionBehavior::Deferred,
            Access::Write | Access::Append => TransactionBehavior::Immediate,
        };
        let tx = self.conn.transaction_with_behavior(behavior)?;
        let result = f(&mut SqliteTx(&tx))?;
        tx.commit()?;
        Ok(result)
    }

    fn query_alone(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        query(&self.conn, sql, params)
    }
}
