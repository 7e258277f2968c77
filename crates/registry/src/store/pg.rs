//! The PostgreSQL backend, for a federation of workshops whose registry processes share one
//! database.

use std::collections::HashMap;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::{Access, Backend, StoreError, Tx, Val};

/// A PostgreSQL connection.
pub struct Postgres {
    client: Client,
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
        let client = Client::connect(url, NoTls).map_err(|e| StoreError::Db {
            backend: "postgres",
            message: format!("connecting to {}: {e}", redact(url)),
        })?;
        let mut pg = Postgres { client, statements: HashMap::new() };
        // The certificate documents (~2.5 KB of JSON) are over PostgreSQL's TOAST threshold, so
        // each is compressed as it is stored; lz4 does that at a fraction of the CPU of the
        // default pglz, which was the first cost of an ingest in the server's profile. A server
        // built without lz4 refuses the setting and keeps pglz.
        let _ = pg.client.batch_execute("SET default_toast_compression = lz4");
        Ok(pg)
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

fn params(values: &[Val]) -> Vec<Box<dyn ToSql + Sync>> {
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

/// The statement prepared for `sql` on this connection, preparing it the first time.
fn statement(
    client: &mut Client,
    statements: &mut HashMap<String, Statement>,
    sql: &str,
) -> Result<Statement, StoreError> {
    if let Some(s) = statements.get(sql) {
        return Ok(s.clone());
    }
    let s = client.prepare(sql)?;
    statements.insert(sql.to_owned(), s.clone());
    Ok(s)
}

/// Runs a prepared query and converts its rows.
fn query(
    client: &mut Client,
    statements: &mut HashMap<String, Statement>,
    sql: &str,
    values: &[Val],
) -> Result<Vec<Vec<Val>>, StoreError> {
    let owned = params(values);
    let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
    let statement = statement(client, statements, sql)?;
    rows(client.query(&statement, &refs)?)
}

/// Rows as values.
fn rows(rows: Vec<postgres::Row>) -> Result<Vec<Vec<Val>>, StoreError> {
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
                .collect::<Result<Vec<Val>, postgres::Error>>()
                .map_err(StoreError::from)
        })
        .collect()
}

/// `UNNEST($first::type[], …)` over the columns of `rows`, and those columns as arrays: one
/// parameter per column whatever the number of rows.
fn unnest(rows: &[Vec<Val>], first: usize) -> (String, Vec<Box<dyn ToSql + Sync>>) {
    let width = rows.first().map(Vec::len).unwrap_or(0);
    let mut columns: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(width);
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

/// Statements inside an open transaction on `client`.
struct PgTx<'a> {
    client: &'a mut Client,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_> {
    fn execute(&mut self, sql: &str, owned: &[Box<dyn ToSql + Sync>]) -> Result<u64, StoreError> {
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let statement = statement(self.client, self.statements, sql)?;
        Ok(self.client.execute(&statement, &refs)?)
    }
}

impl Tx for PgTx<'_> {
    fn exec(&mut self, sql: &str, values: &[Val]) -> Result<u64, StoreError> {
        // DDL (migrations) is not prepared: it runs once.
        let first = sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        if values.is_empty() && matches!(first.as_str(), "CREATE" | "ALTER" | "DROP") {
            return Ok(self.client.execute(sql, &[])?);
        }
        self.execute(sql, &params(values))
    }

    /// One statement: each insert is a data-modifying `WITH` part, and `then` the main
    /// statement. Foreign keys are checked at the end of the whole statement, when every row
    /// is in, so the parts' order does not matter.
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
        self.execute(&sql, &all)?;
        Ok(())
    }

    fn query(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        query(self.client, self.statements, sql, values)
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
        rows(self.client.query_typed(sql, &typed)?)
    }
}

/// An open transaction, rolled back when dropped unless committed: after an error, and after a
/// panic too, the connection is left outside any transaction for the next caller.
struct Open<'a> {
    client: &'a mut Client,
    committed: bool,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // Outside a transaction this is only a warning; on a lost connection there is
            // nothing left to roll back.
            let _ = self.client.batch_execute("ROLLBACK");
        }
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
        // BEGIN and, for an append, the lock go in one message: one round trip. The lock
        // serializes appends across every registry process sharing the database; readers are
        // not blocked (EXCLUSIVE still allows ACCESS SHARE).
        let begin = match access {
            Access::Read => "BEGIN READ ONLY",
            Access::Write => "BEGIN",
            Access::Append => "BEGIN; LOCK TABLE log_leaves IN EXCLUSIVE MODE",
        };
        let mut open = Open { client: &mut self.client, committed: false };
        open.client.batch_execute(begin)?;
        let result = f(&mut PgTx { client: open.client, statements: &mut self.statements })?;
        open.committed = true;
        open.client.batch_execute("COMMIT")?;
        Ok(result)
    }

    fn query_alone(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        query(&mut self.client, &mut self.statements, sql, params)
    }
}
