//! The store in one SQLite file (WAL, synchronous FULL: a commit survives `kill -9` and power
//! loss), reached from async code through a blocking task.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fleet_engine::DeviceFilter;
use rusqlite::{Connection, OptionalExtension, params};

use super::migrations::{
    CREATE_SCHEMA_TABLE, MIGRATIONS, READ_VERSION, SCHEMA_VERSION, WRITE_VERSION, too_new,
};
use super::*;

#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Arc<Mutex<Connection>>,
}

fn unavailable(err: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

impl SqliteStore {
    pub async fn open(path: &str, version: i64) -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(path);
        let opened = path.clone();
        let connection = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            if let Some(folder) = opened.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(folder).map_err(|err| {
                    StoreError::Unavailable(format!("cannot create {}: {err}", folder.display()))
                })?;
            }
            let mut connection = Connection::open(&opened).map_err(|err| {
                StoreError::Unavailable(format!("cannot open {}: {err}", opened.display()))
            })?;
            connection
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(unavailable)?;
            connection
                .pragma_update(None, "synchronous", "FULL")
                .map_err(unavailable)?;
            connection
                .busy_timeout(std::time::Duration::from_secs(10))
                .map_err(unavailable)?;
            migrate(&mut connection, version)?;
            Ok(connection)
        })
        .await
        .map_err(unavailable)??;
        Ok(SqliteStore {
            path,
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    pub fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Runs `work` with the connection on a blocking thread.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut connection = connection
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut connection)
        })
        .await
        .map_err(unavailable)?
    }

    pub async fn version(&self) -> Result<i64, StoreError> {
        self.with(|c| read_version(c)).await
    }

    pub async fn list_views(&self) -> Result<Vec<StoredView>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(LIST_VIEWS).map_err(unavailable)?;
            let rows = statement
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })
                .map_err(unavailable)?;
            rows.map(|row| {
                let (id, name, filter, by, created, updated) = row.map_err(unavailable)?;
                view_of(id, name, filter, by, created, updated)
            })
            .collect()
        })
        .await
    }

    pub async fn create_view(&self, view: &StoredView) -> Result<(), StoreError> {
        let view = view.clone();
        let filter = serde_json::to_string(&view.filter).map_err(unavailable)?;
        self.with(move |c| {
            c.execute(
                INSERT_VIEW,
                params![
                    view.id,
                    view.name,
                    filter,
                    view.created_by,
                    view.created_ms,
                    view.updated_ms
                ],
            )
            .map_err(|err| constraint(err, &view.name))?;
            Ok(())
        })
        .await
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
        let (id, name) = (id.to_owned(), name.to_owned());
        let updated = self
            .with(move |c| {
                let changed = c
                    .execute(UPDATE_VIEW, params![name, filter, now, id])
                    .map_err(|err| constraint(err, &name))?;
                Ok((changed, id))
            })
            .await?;
        match updated {
            (0, id) => Err(StoreError::NotFound(format!("no saved view {id}"))),
            (_, id) => self.get_view(&id).await,
        }
    }

    async fn get_view(&self, id: &str) -> Result<StoredView, StoreError> {
        self.list_views()
            .await?
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("no saved view {id}")))
    }

    pub async fn delete_view(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.with(move |c| match c.execute(DELETE_VIEW, params![id]) {
            Ok(0) => Err(StoreError::NotFound(format!("no saved view {id}"))),
            Ok(_) => Ok(()),
            Err(err) => Err(unavailable(err)),
        })
        .await
    }

    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| {
            c.execute(ACQUIRE_LEASE, params![name, holder, now + ttl_ms, now])
                .map(|changed| changed == 1)
                .map_err(unavailable)
        })
        .await
    }

    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| {
            c.execute(RELEASE_LEASE, params![name, holder])
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }

    pub(crate) async fn save_rollout(
        &self,
        row: &RolloutRow,
        devices: &[(i64, String, String)],
    ) -> Result<(), StoreError> {
        let (id, header, active, created, updated) = (
            row.id.clone(),
            row.header.clone(),
            i64::from(row.active),
            row.created_ms,
            row.updated_ms,
        );
        let devices = devices.to_vec();
        self.with(move |c| {
            let transaction = c.transaction().map_err(unavailable)?;
            transaction
                .execute(
                    UPSERT_ROLLOUT,
                    params![id, header, active, created, updated],
                )
                .map_err(unavailable)?;
            {
                let mut upsert = transaction
                    .prepare_cached(UPSERT_ROLLOUT_DEVICE)
                    .map_err(unavailable)?;
                for (position, sid, record) in &devices {
                    upsert
                        .execute(params![id, position, sid, record])
                        .map_err(unavailable)?;
                }
            }
            transaction.commit().map_err(unavailable)
        })
        .await
    }

    pub(crate) async fn list_rollout_headers(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| strings(c, LIST_ROLLOUTS, params![])).await
    }

    pub(crate) async fn get_rollout(&self, id: &str) -> Result<(String, Vec<String>), StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            let header: Option<String> = c
                .query_row(GET_ROLLOUT, params![id], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            let header = header.ok_or_else(|| StoreError::NotFound(format!("no rollout {id}")))?;
            let devices = strings(c, GET_ROLLOUT_DEVICES, params![id])?;
            Ok((header, devices))
        })
        .await
    }

    pub async fn queue_control(
        &self,
        id: &str,
        rollout_id: &str,
        control: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let (id, rollout_id, control) = (id.to_owned(), rollout_id.to_owned(), control.to_owned());
        self.with(move |c| {
            c.execute(QUEUE_CONTROL, params![id, rollout_id, control, now])
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }

    pub async fn take_controls(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let transaction = c.transaction().map_err(unavailable)?;
            let queued: Vec<(String, String, String)> = {
                let mut statement = transaction
                    .prepare_cached(QUEUED_CONTROLS)
                    .map_err(unavailable)?;
                let rows = statement
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(unavailable)?;
                rows.collect::<Result<_, _>>().map_err(unavailable)?
            };
            for (id, _, _) in &queued {
                transaction
                    .execute(DELETE_CONTROL, params![id])
                    .map_err(unavailable)?;
            }
            transaction.commit().map_err(unavailable)?;
            Ok(queued
                .into_iter()
                .map(|(_, rollout, control)| (rollout, control))
                .collect())
        })
        .await
    }

    pub(crate) async fn active_rollouts(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| strings(c, ACTIVE_ROLLOUTS, params![])).await
    }

    pub async fn append_audit(&self, at_ms: i64, entry: &str) -> Result<i64, StoreError> {
        let entry = entry.to_owned();
        self.with(move |c| {
            // IMMEDIATE: the write lock is taken first, so appenders take turns.
            let transaction = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let (head, previous): (i64, String) = transaction
                .query_row(AUDIT_HEAD, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(unavailable)?;
            let seq = head + 1;
            let hash = chain_hash(&previous, seq, at_ms, &entry);
            transaction
                .execute(INSERT_AUDIT, params![seq, at_ms, entry, hash])
                .map_err(unavailable)?;
            transaction
                .execute(MOVE_AUDIT_HEAD, params![seq, hash])
                .map_err(unavailable)?;
            transaction.commit().map_err(unavailable)?;
            Ok(seq)
        })
        .await
    }

    pub(crate) async fn audit_rows(
        &self,
        sql: &'static str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.with(move |c| {
            let mut statement = c.prepare_cached(sql).map_err(unavailable)?;
            let rows = statement
                .query_map(params![seq, limit], |r| {
                    Ok(AuditRow {
                        seq: r.get(0)?,
                        at_ms: r.get(1)?,
                        entry: r.get(2)?,
                        hash: r.get(3)?,
                    })
                })
                .map_err(unavailable)?;
            rows.collect::<Result<_, _>>().map_err(unavailable)
        })
        .await
    }

    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        self.with(|c| {
            c.query_row(AUDIT_HEAD, [], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(unavailable)
        })
        .await
    }
}

/// The first column of every row, as text.
fn strings(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<String>, StoreError> {
    let mut statement = c.prepare_cached(sql).map_err(unavailable)?;
    let rows = statement
        .query_map(params, |r| r.get::<_, String>(0))
        .map_err(unavailable)?;
    rows.map(|row| row.map_err(unavailable)).collect()
}

/// A unique name broken is the person's conflict; anything else, the store's trouble.
fn constraint(err: rusqlite::Error, name: &str) -> StoreError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => name_taken(name),
        _ => unavailable(err),
    }
}

fn read_version(c: &Connection) -> Result<i64, StoreError> {
    c.query_row(READ_VERSION, [], |r| r.get(0))
        .optional()
        .map(|version| version.unwrap_or(0))
        .map_err(unavailable)
}

/// Brings the file up to `target`, one version per transaction; refuses a newer one.
fn migrate(c: &mut Connection, target: i64) -> Result<(), StoreError> {
    c.execute(CREATE_SCHEMA_TABLE, []).map_err(unavailable)?;
    let found = read_version(c)?;
    if found > SCHEMA_VERSION {
        return Err(too_new(found, SCHEMA_VERSION));
    }
    for version in (found + 1)..=target.min(SCHEMA_VERSION) {
        let transaction = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        // Another process may have migrated while this one waited for the lock.
        if read_version(&transaction)? >= version {
            continue;
        }
        for statement in MIGRATIONS[(version - 1) as usize] {
            transaction.execute(statement, []).map_err(unavailable)?;
        }
        transaction
            .execute(WRITE_VERSION, params![version])
            .map_err(unavailable)?;
        transaction.commit().map_err(unavailable)?;
    }
    Ok(())
}
