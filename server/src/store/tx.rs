//! What the two database drivers share, so that each operation's transaction is written once
//! (`ops.rs`): a statement run with plain values, rows read back as plain values, and which
//! SQL dialect is on the other end for the few statements that differ.

use std::future::Future;
use std::pin::Pin;

use super::error::StoreError;

/// A value bound to a placeholder or read from a column: the store's columns are BIGINT or
/// TEXT, and nullable ones hold NULL. The lists are bound only (a PostgreSQL array; on
/// SQLite a JSON array for `json_each`): a bulk statement's text then stays the same
/// whatever its row count.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    Null,
    Ints(Vec<i64>),
    Texts(Vec<Option<String>>),
}

impl Value {
    /// Rows of values as one list per column (`Ints` where a column holds integers).
    pub fn columns(rows: Vec<Vec<Value>>) -> Vec<Value> {
        let width = rows.first().map_or(0, Vec::len);
        let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); width];
        for row in rows {
            for (column, value) in columns.iter_mut().zip(row) {
                column.push(value);
            }
        }
        columns
            .into_iter()
            .map(|values| {
                if values.iter().any(|value| matches!(value, Value::Int(_))) {
                    Value::Ints(
                        values
                            .into_iter()
                            .map(|value| match value {
                                Value::Int(n) => n,
                                _ => 0,
                            })
                            .collect(),
                    )
                } else {
                    Value::Texts(
                        values
                            .into_iter()
                            .map(|value| match value {
                                Value::Text(text) => Some(text),
                                _ => None,
                            })
                            .collect(),
                    )
                }
            })
            .collect()
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Int(i64::from(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Value {
        Value::Text(value.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

/// One row, its columns in the statement's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn int(&self, column: usize) -> Result<i64, StoreError> {
        match self.0.get(column) {
            Some(Value::Int(value)) => Ok(*value),
            other => Err(mistyped(column, "an integer", other)),
        }
    }

    pub fn text(&self, column: usize) -> Result<String, StoreError> {
        match self.0.get(column) {
            Some(Value::Text(value)) => Ok(value.clone()),
            other => Err(mistyped(column, "text", other)),
        }
    }

    pub fn optional_text(&self, column: usize) -> Result<Option<String>, StoreError> {
        match self.0.get(column) {
            Some(Value::Null) => Ok(None),
            _ => self.text(column).map(Some),
        }
    }
}

fn mistyped(column: usize, wanted: &str, found: Option<&Value>) -> StoreError {
    StoreError::Incompatible(format!(
        "column {column} should hold {wanted}, holds {found:?}"
    ))
}

/// How a statement failed: a unique constraint (the caller's conflict, said in its words), or
/// anything else (the database's trouble).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbError {
    Unique,
    Failed(String),
}

impl From<DbError> for StoreError {
    fn from(err: DbError) -> StoreError {
        match err {
            DbError::Unique => StoreError::Conflict("a value that must be unique is taken".into()),
            DbError::Failed(message) => StoreError::Unavailable(message),
        }
    }
}

/// Which SQL the other end speaks, for the statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// What a statement, or a whole operation (`E` = `StoreError`), gives back in time.
pub type TxFuture<'a, T, E = DbError> = Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'a>>;

/// An open transaction. Statements use `?` placeholders (numbered for PostgreSQL by its
/// driver). SQLite's write transactions hold the database's write lock from their start;
/// PostgreSQL's lock the rows `query_locked` reads.
pub trait Tx: Send {
    fn dialect(&self) -> Dialect;
    /// Runs a statement; the number of rows it changed.
    fn execute<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, u64>;
    /// The rows a query returns.
    fn query<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, Vec<Row>>;
    /// As `query`, with the rows locked until the transaction ends (`FOR UPDATE`).
    fn query_locked<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, Vec<Row>>;
}

/// The one row a query must return.
pub async fn one(tx: &mut dyn Tx, sql: &str, params: Vec<Value>) -> Result<Row, StoreError> {
    optional(tx, sql, params)
        .await?
        .ok_or_else(|| StoreError::Incompatible(format!("no row for: {sql}")))
}

/// The first row a query returns, if any.
pub async fn optional(
    tx: &mut dyn Tx,
    sql: &str,
    params: Vec<Value>,
) -> Result<Option<Row>, StoreError> {
    Ok(tx.query(sql, params).await?.into_iter().next())
}

/// The first column of every row, as text.
pub async fn texts(
    tx: &mut dyn Tx,
    sql: &str,
    params: Vec<Value>,
) -> Result<Vec<String>, StoreError> {
    tx.query(sql, params)
        .await?
        .iter()
        .map(|row| row.text(0))
        .collect()
}

/// Runs a future that never waits (SQLite's statements are synchronous), to its end, on the
/// blocking thread that holds the connection. A future that would wait is a bug, said as an
/// error rather than a hang.
pub fn finish_now<T>(future: impl Future<Output = T>) -> Result<T, StoreError> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => Ok(value),
        std::task::Poll::Pending => Err(StoreError::Unavailable(
            "a SQLite operation waited for something other than SQLite".to_owned(),
        )),
    }
}

/// `?` placeholders numbered `$1, $2, …` for PostgreSQL.
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_and_values_convert() {
        assert_eq!(
            numbered("UPDATE t SET a = ? WHERE b = ? AND c = ?"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c = $3"
        );
        assert_eq!(Value::from(Some("x")), Value::Text("x".into()));
        assert_eq!(Value::from(None::<String>), Value::Null);
        assert_eq!(Value::from(true), Value::Int(1));
        let row = Row(vec![Value::Int(3), Value::Null]);
        assert_eq!(row.int(0), Ok(3));
        assert_eq!(row.optional_text(1), Ok(None));
        assert!(row.text(0).is_err());
    }

    #[test]
    fn a_future_that_waits_is_an_error_not_a_hang() {
        assert_eq!(finish_now(async { 7 }), Ok(7));
        assert!(finish_now(std::future::pending::<()>()).is_err());
    }
}
