//! The store in one SQLite file (WAL, synchronous FULL: a commit survives `kill -9` and power
//! loss), reached from async code through blocking tasks: one connection writes, and two
//! more read (WAL lets readers see the last commit while a write is under way, so the Fleet
//! page's questions do not wait for an index pass's transaction, nor for each other).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::types::{Value as SqlValue, ValueRef};

use super::error::StoreError;
use super::tx::{DbError, Dialect, Row, Tx, TxFuture, Value, finish_now};

#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Arc<Mutex<Connection>>,
    /// None for a database in memory, which only its own connection sees.
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<AtomicUsize>,
}

fn unavailable(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

/// The page cache of the writing connection, and of each reader, KiB.
const CACHE_KIB: i64 = 80 * 1024;
const READER_CACHE_KIB: i64 = 8 * 1024;
const READERS: usize = 2;

/// A connection to `path` with the store's settings.
fn connect(path: &PathBuf, cache_kib: i64) -> Result<Connection, StoreError> {
    let connection = Connection::open(path)
        .map_err(|err| StoreError::Unavailable(format!("cannot open {}: {err}", path.display())))?;
    connection
        .pragma_update(None, "journal_mode", "WAL")
        .map_err(unavailable)?;
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(unavailable)?;
    // The fleet index's B-trees take keys in SID-random order: a cache that holds their
    // inner pages and most leaves (instead of SQLite's 2 MiB) triples a pass.
    connection
        .pragma_update(None, "cache_size", -cache_kib)
        .map_err(unavailable)?;
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(unavailable)?;
    Ok(connection)
}

impl SqliteStore {
    pub async fn open(path: &str) -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(path);
        let opened = path.clone();
        let (connection, readers) = tokio::task::spawn_blocking(
            move || -> Result<(Connection, Vec<Mutex<Connection>>), StoreError> {
                if let Some(folder) = opened.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(folder).map_err(|err| {
                        StoreError::Unavailable(format!(
                            "cannot create {}: {err}",
                            folder.display()
                        ))
                    })?;
                }
                let connection = connect(&opened, CACHE_KIB)?;
                let mut readers = Vec::new();
                if opened.as_os_str() != ":memory:" {
                    for _ in 0..READERS {
                        let reader = connect(&opened, READER_CACHE_KIB)?;
                        reader
                            .pragma_update(None, "query_only", true)
                            .map_err(unavailable)?;
                        readers.push(Mutex::new(reader));
                    }
                }
                Ok((connection, readers))
            },
        )
        .await
        .map_err(unavailable)??;
        Ok(SqliteStore {
            path,
            connection: Arc::new(Mutex::new(connection)),
            readers: Arc::new(readers),
            next_reader: Arc::new(AtomicUsize::new(0)),
        })
    }

    pub fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Runs `work` in one transaction on a blocking thread: committed when it succeeds,
    /// rolled back when it fails. A write transaction takes the write lock first
    /// (`BEGIN IMMEDIATE`), so writers on every process take turns.
    pub async fn run<T, F>(&self, write: bool, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn Tx) -> TxFuture<'a, T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        let readers = Arc::clone(&self.readers);
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let mut guard = if write || readers.is_empty() {
                connection
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            } else {
                // A free reader if there is one, else wait for this one's turn.
                let free = readers.iter().find_map(|reader| reader.try_lock().ok());
                free.unwrap_or_else(|| {
                    readers[turn % readers.len()]
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                })
            };
            let connection: &mut Connection = &mut guard;
            // A transaction left open by a panic is let go first.
            if !connection.is_autocommit() {
                let _ = connection.execute_batch("ROLLBACK");
            }
            connection
                .execute_batch(if write { "BEGIN IMMEDIATE" } else { "BEGIN" })
                .map_err(unavailable)?;
            let outcome = finish_now(work(&mut SqliteTx { connection })).and_then(|done| done);
            match outcome {
                Ok(value) => {
                    connection.execute_batch("COMMIT").map_err(unavailable)?;
                    Ok(value)
                }
                Err(err) => {
                    let _ = connection.execute_batch("ROLLBACK");
                    Err(err)
                }
            }
        })
        .await
        .map_err(unavailable)?
    }
}

struct SqliteTx<'c> {
    connection: &'c mut Connection,
}

fn failed(err: rusqlite::Error) -> DbError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => DbError::Unique,
        _ => DbError::Failed(err.to_string()),
    }
}

fn bound(params: Vec<Value>) -> Vec<SqlValue> {
    params
        .into_iter()
        .map(|value| match value {
            Value::Int(n) => SqlValue::Integer(n),
            Value::Text(text) => SqlValue::Text(text),
            Value::Null => SqlValue::Null,
            Value::Ints(list) => SqlValue::Text(serde_json::json!(list).to_string()),
            Value::Texts(list) => SqlValue::Text(serde_json::json!(list).to_string()),
        })
        .collect()
}

impl SqliteTx<'_> {
    fn rows(&mut self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>, DbError> {
        let mut statement = self.connection.prepare_cached(sql).map_err(failed)?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(bound(params)))
            .map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut values = Vec::with_capacity(columns);
            for column in 0..columns {
                values.push(match row.get_ref(column).map_err(failed)? {
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into()),
                    ValueRef::Null => Value::Null,
                    ValueRef::Real(x) => Value::Int(x as i64),
                    ValueRef::Blob(bytes) => Value::Text(String::from_utf8_lossy(bytes).into()),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, u64> {
        let changed = self
            .connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(rusqlite::params_from_iter(bound(params))))
            .map(|changed| changed as u64)
            .map_err(failed);
        Box::pin(std::future::ready(changed))
    }

    fn query<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, Vec<Row>> {
        Box::pin(std::future::ready(self.rows(sql, params)))
    }

    fn query_locked<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, Vec<Row>> {
        // The write transaction already holds the database's lock.
        self.query(sql, params)
    }
}
