//! The PostgreSQL backend, for a federation of workshops whose registry processes share one
//! database.

use std::collections::HashMap;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::{Backend, StoreError, Tx, Val};

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
        // A statement prepared once and kept would otherwise settle on a generic plan made from
        // the statistics of the moment: on a new, empty database that is a sequential scan of
        // `certificates`, kept for the life of the connection, so every ingest would read the
        // whole table. A plan per execution follows the table as it grows.
        pg.client.batch_execute("SET plan_cache_mode = force_custom_plan")?;
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

struct PgTx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

impl Tx for PgTx<'_, '_> {
    fn exec(&mut self, sql: &str, values: &[Val]) -> Result<u64, StoreError> {
        let owned = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        // DDL (migrations) is not prepared: it runs once.
        let first = sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        if values.is_empty() && matches!(first.as_str(), "CREATE" | "ALTER" | "DROP") {
            return Ok(self.tx.execute(sql, &[])?);
        }
        let statement = self.statement(sql)?;
        Ok(self.tx.execute(&statement, &refs)?)
    }

    /// One statement whatever the number of rows: each column goes as an array, unnested.
    fn insert_rows(&mut self, into: &str, rows: Vec<Vec<Val>>) -> Result<(), StoreError> {
        let Some(width) = rows.first().map(Vec::len) else { return Ok(()) };
        let mut columns: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(width);
        let mut casts = Vec::with_capacity(width);
        for i in 0..width {
            let column = rows.iter().map(|r| &r[i]);
            // The column's type is that of its values; a column of NULLs only is text.
            if column.clone().any(|v| matches!(v, Val::Int(_))) {
                columns.push(Box::new(
                    column.map(|v| if let Val::Int(n) = v { Some(*n) } else { None }).collect::<Vec<_>>(),
                ));
                casts.push(format!("${}::int8[]", i + 1));
            } else if column.clone().any(|v| matches!(v, Val::Blob(_))) {
                columns.push(Box::new(
                    column
                        .map(|v| if let Val::Blob(b) = v { Some(b.clone()) } else { None })
                        .collect::<Vec<_>>(),
                ));
                casts.push(format!("${}::bytea[]", i + 1));
            } else {
                columns.push(Box::new(
                    column
                        .map(|v| if let Val::Text(s) = v { Some(s.clone()) } else { None })
                        .collect::<Vec<_>>(),
                ));
                casts.push(format!("${}::text[]", i + 1));
            }
        }
        let refs: Vec<&(dyn ToSql + Sync)> = columns.iter().map(|b| b.as_ref()).collect();
        let statement =
            self.statement(&format!("INSERT INTO {into} SELECT * FROM UNNEST({})", casts.join(", ")))?;
        self.tx.execute(&statement, &refs)?;
        Ok(())
    }

    fn query(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Vec<Val>>, StoreError> {
        let owned = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let statement = self.statement(sql)?;
        let rows = self.tx.query(&statement, &refs)?;
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
}

impl Backend for Postgres {
    const NAME: &'static str = "postgres";
    const BLOB: &'static str = "BYTEA";

    fn transaction<R>(
        &mut self,
        _write: bool,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut tx = self.client.transaction()?;
        let result = f(&mut PgTx { tx: &mut tx, statements: &mut self.statements })?;
        tx.commit()?;
        Ok(result)
    }

    fn lock_log_sql(&self) -> Option<&'static str> {
        // Serializes appends across every registry process sharing the database; readers are
        // not blocked (EXCLUSIVE still allows ACCESS SHARE).
        Some("LOCK TABLE log_leaves IN EXCLUSIVE MODE")
    }
}
