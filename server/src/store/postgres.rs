//! The store in PostgreSQL, through a small pool (deadpool) of tokio-postgres connections:
//! for teams that run several console-server replicas on one database.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use fleet_engine::DeviceFilter;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::migrations::{
    CREATE_SCHEMA_TABLE, MIGRATIONS, READ_VERSION, SCHEMA_VERSION, WRITE_VERSION, too_new,
};
use super::*;

/// Connections held at most; the store's queries are short.
const POOL_SIZE: usize = 8;
/// How long to wait for a connection, or for the database to answer one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The advisory lock replicas take while one of them migrates.
const MIGRATION_LOCK: i64 = 0x6d76_636f_6e73;

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    shown: String,
}

fn unavailable(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

impl PgStore {
    pub async fn open(url: &str, version: i64) -> Result<PgStore, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|err| {
            StoreError::Incompatible(format!("the database URL is not valid: {err}"))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        let shown = {
            let hosts: Vec<String> = config
                .get_hosts()
                .iter()
                .map(|host| match host {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect();
            format!(
                "{}:{}/{}",
                hosts.join(","),
                config.get_ports().first().copied().unwrap_or(5432),
                config.get_dbname().unwrap_or("")
            )
        };
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
        let store = PgStore { pool, shown };
        store.migrate(version).await?;
        Ok(store)
    }

    pub fn describe(&self) -> String {
        self.shown.clone()
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|err| {
            StoreError::Unavailable(format!("cannot reach PostgreSQL at {}: {err}", self.shown))
        })
    }

    async fn migrate(&self, target: i64) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        client
            .batch_execute(CREATE_SCHEMA_TABLE)
            .await
            .map_err(unavailable)?;
        let found = read_version(&client).await?;
        if found > SCHEMA_VERSION {
            return Err(too_new(found, SCHEMA_VERSION));
        }
        for version in (found + 1)..=target.min(SCHEMA_VERSION) {
            let transaction = client.transaction().await.map_err(unavailable)?;
            // One replica migrates; the others wait, then find it done.
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(unavailable)?;
            let now = transaction
                .query_opt(READ_VERSION, &[])
                .await
                .map_err(unavailable)?
                .map_or(0, |row| row.get::<_, i64>(0));
            if now >= version {
                continue;
            }
            for statement in MIGRATIONS[(version - 1) as usize] {
                transaction
                    .batch_execute(statement)
                    .await
                    .map_err(unavailable)?;
            }
            transaction
                .execute(&numbered(WRITE_VERSION), &[&version])
                .await
                .map_err(unavailable)?;
            transaction.commit().await.map_err(unavailable)?;
        }
        Ok(())
    }

    pub async fn version(&self) -> Result<i64, StoreError> {
        read_version(&*self.client().await?).await
    }

    pub async fn list_views(&self) -> Result<Vec<StoredView>, StoreError> {
        let client = self.client().await?;
        let rows = client.query(LIST_VIEWS, &[]).await.map_err(unavailable)?;
        rows.iter()
            .map(|r| view_of(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
            .collect()
    }

    pub async fn create_view(&self, view: &StoredView) -> Result<(), StoreError> {
        let filter = serde_json::to_string(&view.filter).map_err(unavailable)?;
        self.client()
            .await?
            .execute(
                &numbered(INSERT_VIEW),
                &[
                    &view.id,
                    &view.name,
                    &filter,
                    &view.created_by,
                    &view.created_ms,
                    &view.updated_ms,
                ],
            )
            .await
            .map_err(|err| constraint(err, &view.name))?;
        Ok(())
    }

    pub async fn update_view(
        &self,
        id: &str,
        name: &str,
        filter: Option<&DeviceFilter>,
        now: i64,
    ) -> Result<StoredView, StoreError> {
        let filter = filter
            .map(serde_json::to_string)
            .transpose()
            .map_err(unavailable)?;
        let changed = self
            .client()
            .await?
            .execute(&numbered(UPDATE_VIEW), &[&name, &filter, &now, &id])
            .await
            .map_err(|err| constraint(err, name))?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("no saved view {id}")));
        }
        self.list_views()
            .await?
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("no saved view {id}")))
    }

    pub async fn delete_view(&self, id: &str) -> Result<(), StoreError> {
        let changed = self
            .client()
            .await?
            .execute(&numbered(DELETE_VIEW), &[&id])
            .await
            .map_err(unavailable)?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("no saved view {id}")));
        }
        Ok(())
    }

    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let expires = now + ttl_ms;
        let changed = self
            .client()
            .await?
            .execute(&numbered(ACQUIRE_LEASE), &[&name, &holder, &expires, &now])
            .await
            .map_err(unavailable)?;
        Ok(changed == 1)
    }

    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(&numbered(RELEASE_LEASE), &[&name, &holder])
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub(crate) async fn save_rollout(
        &self,
        row: &RolloutRow,
        devices: &[(i64, String, String)],
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(unavailable)?;
        let active = i64::from(row.active);
        transaction
            .execute(
                &numbered(UPSERT_ROLLOUT),
                &[
                    &row.id,
                    &row.header,
                    &active,
                    &row.created_ms,
                    &row.updated_ms,
                ],
            )
            .await
            .map_err(unavailable)?;
        let upsert = transaction
            .prepare(&numbered(UPSERT_ROLLOUT_DEVICE))
            .await
            .map_err(unavailable)?;
        for (position, sid, record) in devices {
            transaction
                .execute(&upsert, &[&row.id, position, sid, record])
                .await
                .map_err(unavailable)?;
        }
        transaction.commit().await.map_err(unavailable)
    }

    pub(crate) async fn list_rollout_headers(&self) -> Result<Vec<String>, StoreError> {
        self.strings(LIST_ROLLOUTS, &[]).await
    }

    pub(crate) async fn get_rollout(&self, id: &str) -> Result<(String, Vec<String>), StoreError> {
        let header = self
            .client()
            .await?
            .query_opt(&numbered(GET_ROLLOUT), &[&id])
            .await
            .map_err(unavailable)?
            .map(|row| row.get::<_, String>(0))
            .ok_or_else(|| StoreError::NotFound(format!("no rollout {id}")))?;
        let devices = self.strings(GET_ROLLOUT_DEVICES, &[&id]).await?;
        Ok((header, devices))
    }

    pub async fn queue_control(
        &self,
        id: &str,
        rollout_id: &str,
        control: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                &numbered(QUEUE_CONTROL),
                &[&id, &rollout_id, &control, &now],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub async fn take_controls(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(unavailable)?;
        // Locked as taken: another taker waits, then finds them gone.
        let rows = transaction
            .query(&format!("{QUEUED_CONTROLS} FOR UPDATE"), &[])
            .await
            .map_err(unavailable)?;
        let delete = transaction
            .prepare(&numbered(DELETE_CONTROL))
            .await
            .map_err(unavailable)?;
        let mut taken = Vec::new();
        for row in &rows {
            let id: String = row.get(0);
            transaction
                .execute(&delete, &[&id])
                .await
                .map_err(unavailable)?;
            taken.push((row.get(1), row.get(2)));
        }
        transaction.commit().await.map_err(unavailable)?;
        Ok(taken)
    }

    pub(crate) async fn active_rollouts(&self) -> Result<Vec<String>, StoreError> {
        self.strings(ACTIVE_ROLLOUTS, &[]).await
    }

    pub async fn append_audit(&self, at_ms: i64, entry: &str) -> Result<i64, StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(unavailable)?;
        // The head row locked: appenders on every replica take turns, so the chain never forks.
        let head = transaction
            .query_one(&format!("{AUDIT_HEAD} FOR UPDATE"), &[])
            .await
            .map_err(unavailable)?;
        let (seq, previous): (i64, String) = (head.get::<_, i64>(0) + 1, head.get(1));
        let hash = chain_hash(&previous, seq, at_ms, entry);
        transaction
            .execute(&numbered(INSERT_AUDIT), &[&seq, &at_ms, &entry, &hash])
            .await
            .map_err(unavailable)?;
        transaction
            .execute(&numbered(MOVE_AUDIT_HEAD), &[&seq, &hash])
            .await
            .map_err(unavailable)?;
        transaction.commit().await.map_err(unavailable)?;
        Ok(seq)
    }

    pub(crate) async fn audit_rows(
        &self,
        sql: &'static str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(&numbered(sql), &[&seq, &limit])
            .await
            .map_err(unavailable)?;
        Ok(rows
            .iter()
            .map(|r| AuditRow {
                seq: r.get(0),
                at_ms: r.get(1),
                entry: r.get(2),
                hash: r.get(3),
            })
            .collect())
    }

    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        let row = self
            .client()
            .await?
            .query_one(AUDIT_HEAD, &[])
            .await
            .map_err(unavailable)?;
        Ok((row.get(0), row.get(1)))
    }

    async fn strings(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<String>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(&numbered(sql), params)
            .await
            .map_err(unavailable)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}

async fn read_version(client: &tokio_postgres::Client) -> Result<i64, StoreError> {
    Ok(client
        .query_opt(READ_VERSION, &[])
        .await
        .map_err(unavailable)?
        .map_or(0, |row| row.get(0)))
}

fn constraint(err: tokio_postgres::Error, name: &str) -> StoreError {
    if err.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        name_taken(name)
    } else {
        unavailable(err)
    }
}
