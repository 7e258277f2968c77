//! The PostgreSQL backend, for a federation of workshops whose registry processes share one
//! database.
//!
//! A transaction's statements are **pipelined**: `BEGIN` is sent with the transaction's first
//! statement, and its last write with `COMMIT`, each pair in one round trip. An append to the
//! log (`BEGIN` and lock, read the frontier and the ids already recorded, write the rows,
//! `COMMIT`) takes two round trips instead of four. This is what `tokio-postgres` is used for;
//! each connection drives it on its own single-threaded runtime, so the store stays synchronous.

use std::collections::HashMap;
use std::future::Future;

use futures_util::future::join3;
use tokio::runtime::Runtime;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Statement};

use super::{Access, Backend, StoreError, Tx, Val};

/// A PostgreSQL connection.
pub struct Postgres {
    client: Client,
    /// Runs the connection's I/O while a call waits on it.
    runtime: Driver,
    /// Prepared statements by SQL text: the store runs a handful of fixed statements, and
    /// preparing each once per connection instead of per call halves the work per certificate.
    statements: HashMap<String, Statement>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").finish_non_exhaustive()
    }
}

impl Postgres {
    /// Connects to `url` (`postgres://user@host/db`).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| StoreError::Db {
            backend: "postgres",
            message: format!("{what} {}: {e}", redact(url)),
        };
        let runtime = Driver(Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| failed("starting the runtime for", &e))?,
        ));
        let (client, connection) =
            runtime.block_on(tokio_postgres::connect(url, NoTls)).map_err(|e| failed("connecting to", &e))?;
        // The connection's task reads and writes the socket; on a current-thread runtime it
        // runs whenever a call is waiting in `block_on`. When the server goes away it ends, and
        // every later call fails with "connection closed".
        runtime.get().spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection lost");
            }
        });
        let pg = Postgres { client, runtime, statements: HashMap::new() };
        // The certificate documents (~2.5 KB of JSON) are over PostgreSQL's TOAST threshold, so
        // each is compressed as it is stored; lz4 does that at a fraction of the CPU of the
        // default pglz, which was the first cost of an ingest in the server's profile. A server
        // built without lz4 refuses the setting and keeps pglz.
        let _ = pg.runtime.block_on(pg.client.batch_execute("SET default_toast_compression = lz4"));
        Ok(pg)
    }

    /// The statement prepared for `sql` on this connection, preparing it the first time.
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.runtime.block_on(self.client.prepare(sql))?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

/// A connection's single-threaded runtime, which may be dropped anywhere. A store is dropped
/// when the server stops, on the server's own runtime, where dropping a runtime the usual way
/// (waiting for it to stop) panics; this one stops in the background instead. The connection's
/// task stops with it, and the server sees the socket close.
struct Driver(Option<Runtime>);

impl Driver {
    fn get(&self) -> &Runtime {
        self.0.as_ref().expect("the runtime is only taken when dropped")
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.get().block_on(future)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The start of an append: the log's lock serializes appends across every registry process
/// sharing the database, until the transaction ends. It is an advisory lock, which no one else
/// takes: a table lock strong enough to exclude other appenders (`LOCK TABLE log_leaves IN
/// EXCLUSIVE MODE`, as before) also conflicts with autovacuum's. Autovacuum then gives way to a
/// waiting append only after `deadlock_timeout` (an append stalled 1 s, in the 1 M benchmark),
/// and skips `log_leaves` whenever an append holds it, so that table was never vacuumed while
/// certificates came in. Readers take no lock and are never blocked.
const APPEND: &str = "BEGIN; SELECT pg_advisory_xact_lock(6962)";

type Params = Vec<Box<dyn ToSql + Sync>>;

fn params(values: &[Val]) -> Params {
    values
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Val::Null => Box::new(Option::<String>::None),
                Val::Int(i) => Box::new(*i),
                Val::Text(s) => Box::new(s.clone()),
                Val::Blob(b) => Box::new(b.clone()),
            }
        })
        .collect()
}

fn refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|b| b.as_ref()).collect()
}

/// Rows as values.
fn rows(rows: Vec<tokio_postgres::Row>) -> Result<Vec<Vec<Val>>, StoreError> {
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    let ty = row.columns()[i].type_();
                    Ok(if *ty == Type::INT8 {
                        row.try_get::<_, Option<i64>>(i)?.map(Val::Int).unwrap_or(Val::Null)
                    } else if *ty == Type::INT4 {
                        row.try_get::<_, Option<i32>>(i)?.map(|v| Val::Int(v.into())).unwrap_or(Val::Null)
                    } else if *ty == Type::BYTEA {
                        row.try_get::<_, Option<Vec<u8>>>(i)?.map(Val::Blob).unwrap_or(Val::Null)
                    } else {
                        row.try_get::<_, Option<String>>(i)?.map(Val::Text).unwrap_or(Val::Null)
                    })
                })
                .collect::<Result<Vec<Val>, tokio_postgres::Error>>()
                .map_err(StoreError::from)
        })
        .collect()
}

/// `UNNEST($first::type[], …)` over the columns of `rows`, and those columns as arrays: one
/// parameter per column whatever the number of rows.
fn unnest(rows: &[Vec<Val>], first: usize) -> (String, Params) {
    let width = rows.first().map(Vec::len).unwrap_or(0);
    let mut columns: Params = Vec::with_capacity(width);
    let mut casts = Vec::with_capacity(width);
    for i in 0..width {
        let column = rows.iter().map(|r| &r[i]);
        let n = first + i;
        // The column's type is that of its values; a column of NULLs only is text.
        if column.clone().any(|v| matches!(v, Val::Int(_))) {
            columns.push(Box::new(
                column.map(|v| if let Val::Int(n) = v { Some(*n) } else { None }).collect::<Vec<_>>(),
            ));
            casts.push(format!("${n}::int8[]"));
        } else if column.clone().any(|v| matches!(v, Val::Blob(_))) {
            columns.push(Box::new(
                column.map(|v| if let Val::Blob(b) = v { Some(b.clone()) } else { None }).collect::<Vec<_>>(),
            ));
            casts.push(format!("${n}::bytea[]"));
        } else {
            columns.push(Box::new(
                column.map(|v| if let Val::Text(s) = v { Some(s.clone()) } else { None }).collect::<Vec<_>>(),
            ));
            casts.push(format!("${n}::text[]"));
        }
    }
    (format!("UNNEST({})", casts.join(", ")), columns)
}

/// An open transaction on a connection: statements not yet sent, because they go with the
/// next one, and the rollback if it ends without a commit (after an error, or a panic, the
/// connection is left outside any transaction for the next caller).
struct PgTx<'a> {
    pg: &'a mut Postgres,
    queued: Queued,
    /// `COMMIT` sent: nothing to roll back.
    done: bool,
}

/// What waits to be sent in front of a transaction's next statement.
struct Queued {
    /// `BEGIN …`, until it goes with the transaction's first statement.
    begin: Option<&'static str>,
    /// The last write, whose rows changed nobody asked for: it goes with the next statement,
    /// `COMMIT` for an append.
    write: Option<(Statement, Params)>,
}

impl PgTx<'_> {
    fn commit(mut self) -> Result<(), StoreError> {
        self.done = true;
        if self.queued.begin.is_some() && self.queued.write.is_none() {
            // No statement ran: there is no transaction to commit.
            return Ok(());
        }
        pipeline(self.pg, &mut self.queued, self.pg.client.batch_execute("COMMIT"))
    }
}

/// Runs `last` with what is `queued` in front of it (`BEGIN`, a write), in one round trip.
/// An error in front is the one reported: what follows it failed because of it.
fn pipeline<T>(
    pg: &Postgres,
    queued: &mut Queued,
    last: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, StoreError> {
    let (begin, write) = (queued.begin.take(), queued.write.take());
    let client = &pg.client;
    let begin = async {
        match begin {
            Some(sql) => client.batch_execute(sql).await,
            None => Ok(()),
        }
    };
    let write = async {
        match &write {
            Some((statement, params)) => client.execute(statement, &refs(params)).await.map(drop),
            None => Ok(()),
        }
    };
    // `join3` polls its futures in order, so the requests are queued in this order; the
    // connection's task writes all three before it reads an answer.
    let (begun, written, result) = pg.runtime.block_on(join3(begin, write, last));
    begun?;
    written?;
    Ok(result?)
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if !self.done && self.queued.begin.is_none() {
            // On a lost connection there is nothing left to roll back.
            let _ = self.pg.runtime.block_on(self.pg.client.batch_execute("ROLLBACK"));
        }
    }
}

impl Tx for PgTx<'_> {
    fn exec(&mut self, sql: &str, values: &[Val]) -> Result<u64, StoreError> {
        // DDL (migrations) is not prepared: it runs once.
        let first = sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        if values.is_empty() && matches!(first.as_str(), "CREATE" | "ALTER" | "DROP") {
            pipeline(self.pg, &mut self.queued, self.pg.client.batch_execute(sql))?;
            return Ok(0);
        }
        let statement = self.pg.statement(sql)?;
        let owned = params(values);
        pipeline(self.pg, &mut self.queued, self.pg.client.execute(&statement, &refs(&owned)))
    }

    /// One statement: each insert is a data-modifying `WITH` part, and `then` the main
    /// statement. Foreign keys are checked at the end of the whole statement, when every row
    /// is in, so the parts' order does not matter. It is sent with the transaction's next
    /// statement (`COMMIT`, in an append): its errors come from there.
    fn insert_rows_then(
        &mut self,
        inserts: Vec<(&str, Vec<Vec<Val>>)>,
        then: &str,
        values: &[Val],
    ) -> Result<(), StoreError> {
        // `then` keeps its `$1…`; the arrays are numbered after its parameters.
        let mut all = params(values);
        let mut parts = Vec::new();
        for (into, rows) in inserts.iter().filter(|(_, rows)| !rows.is_empty()) {
            let (unnest, columns) = unnest(rows, all.len() + 1);
            parts.push(format!("i{} AS (INSERT INTO {into} SELECT * FROM {unnest})", parts.len()));
            all.extend(columns);
        }
        let sql =
            if parts.is_empty() { then.to_owned() } else { format!("WITH {} {then}", parts.join(", ")) };
        let statement = self.pg.statement(&sql)?;
        if self.queued.write.is_some() {
            // Only one write waits at a time: the one before goes now.
            pipeline(self.pg, &mut self.queued, async { Ok(()) })?;
        }
        self.queued.write = Some((statement, all));
        Ok(())
    }

    fn query(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        let statement = self.pg.statement(sql)?;
        let owned = params(values);
        rows(pipeline(self.pg, &mut self.queued, self.pg.client.query(&statement, &refs(&owned)))?)
    }

    /// An unnamed statement, which PostgreSQL plans with its values each time, sent with its
    /// parameters' types so that parsing, planning and running it take one round trip.
    fn query_planned(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        let owned = params(values);
        let typed: Vec<(&(dyn ToSql + Sync), Type)> = owned
            .iter()
            .zip(values)
            .map(|(b, v)| {
                let ty = match v {
                    Val::Int(_) => Type::INT8,
                    Val::Blob(_) => Type::BYTEA,
                    Val::Null | Val::Text(_) => Type::TEXT,
                };
                (b.as_ref(), ty)
            })
            .collect();
        rows(pipeline(self.pg, &mut self.queued, self.pg.client.query_typed(sql, &typed))?)
    }
}

impl Backend for Postgres {
    const NAME: &'static str = "postgres";
    const BLOB: &'static str = "BYTEA";

    fn transaction<R>(
        &mut self,
        access: Access,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        // BEGIN and, for an append, the lock are one message, sent with the first statement.
        let begin = match access {
            Access::Read => "BEGIN READ ONLY",
            Access::Write => "BEGIN",
            Access::Append => APPEND,
        };
        let mut tx = PgTx { pg: self, queued: Queued { begin: Some(begin), write: None }, done: false };
        let result = f(&mut tx)?;
        tx.commit()?;
        Ok(result)
    }

    fn query_alone(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        let statement = self.statement(sql)?;
        let owned = params(values);
        rows(self.runtime.block_on(self.client.query(&statement, &refs(&owned)))?)
    }
}
