//! The store in PostgreSQL, through a small pool (deadpool) of tokio-postgres connections:
//! for teams that run several console-server replicas on one database.

use std::error::Error;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::error::StoreError;
use super::tx::{DbError, Dialect, Row, Tx, TxFuture, Value, numbered};

/// Connections held at most; the store's queries are short.
const POOL_SIZE: usize = 8;
/// How long to wait for a connection, or for the database to answer one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    shown: String,
}

fn unavailable(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|err| {
            StoreError::Incompatible(format!("the database URL is not valid: {err}"))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let shown = format!(
            "{}:{}/{}",
            hosts.join(","),
            config.get_ports().first().copied().unwrap_or(5432),
            config.get_dbname().unwrap_or("")
        );
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(unavailable)?;
        Ok(PgStore { pool, shown })
    }

    pub fn describe(&self) -> String {
        self.shown.clone()
    }

    /// Runs `work` in one transaction: committed when it succeeds, rolled back (dropped)
    /// when it fails.
    /// One statement that cannot run in a transaction (`VACUUM`).
    pub async fn outside_transaction(&self, sql: &str) -> Result<(), StoreError> {
        let client = self.pool.get().await.map_err(|err| {
            StoreError::Unavailable(format!("cannot reach PostgreSQL at {}: {err}", self.shown))
        })?;
        client.batch_execute(sql).await.map_err(unavailable)
    }

    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn Tx) -> TxFuture<'a, T, StoreError> + Send + 'static,
    {
        let mut client = self.pool.get().await.map_err(|err| {
            StoreError::Unavailable(format!("cannot reach PostgreSQL at {}: {err}", self.shown))
        })?;
        let transaction = client.transaction().await.map_err(unavailable)?;
        let value = work(&mut PgTx {
            transaction: &transaction,
        })
        .await?;
        transaction.commit().await.map_err(unavailable)?;
        Ok(value)
    }
}

struct PgTx<'t, 'c> {
    transaction: &'t deadpool_postgres::Transaction<'c>,
}

fn failed(err: tokio_postgres::Error) -> DbError {
    if err.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        DbError::Unique
    } else {
        DbError::Failed(err.to_string())
    }
}

/// NULL for a parameter of any type.
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        Ok(IsNull::Yes)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn bound(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|value| match value {
            Value::Int(n) => n as &(dyn ToSql + Sync),
            Value::Text(text) => text as &(dyn ToSql + Sync),
            Value::Null => &Null as &(dyn ToSql + Sync),
            Value::Ints(list) => list as &(dyn ToSql + Sync),
            Value::Texts(list) => list as &(dyn ToSql + Sync),
        })
        .collect()
}

fn row_of(row: &tokio_postgres::Row) -> Result<Row, DbError> {
    let mut values = Vec::with_capacity(row.len());
    for (at, column) in row.columns().iter().enumerate() {
        let kind = column.type_();
        let value = if *kind == Type::INT8 {
            row.try_get::<_, Option<i64>>(at).map(|v| v.map(Value::Int))
        } else if *kind == Type::INT4 {
            row.try_get::<_, Option<i32>>(at)
                .map(|v| v.map(|n| Value::Int(n.into())))
        } else if *kind == Type::BOOL {
            row.try_get::<_, Option<bool>>(at)
                .map(|v| v.map(|b| Value::Int(b.into())))
        } else {
            row.try_get::<_, Option<String>>(at)
                .map(|v| v.map(Value::Text))
        };
        values.push(value.map_err(failed)?.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl PgTx<'_, '_> {
    async fn rows(&self, sql: String, params: Vec<Value>) -> Result<Vec<Row>, DbError> {
        let rows = self
            .transaction
            .query(&sql, &bound(&params))
            .await
            .map_err(failed)?;
        rows.iter().map(row_of).collect()
    }
}

impl Tx for PgTx<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, u64> {
        Box::pin(async move {
            self.transaction
                .execute(&numbered(sql), &bound(&params))
                .await
                .map_err(failed)
        })
    }

    fn query<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, Vec<Row>> {
        Box::pin(self.rows(numbered(sql), params))
    }

    fn query_locked<'a>(&'a mut self, sql: &'a str, params: Vec<Value>) -> TxFuture<'a, Vec<Row>> {
        Box::pin(self.rows(format!("{} FOR UPDATE", numbered(sql)), params))
    }
}
