//! The console store: what console-server keeps of its own (saved views, rollouts and their
//! devices, leases, the audit log), in SQLite (embedded, the default) or PostgreSQL (for several
//! replicas). One interface, two backends, the same schema meaning on both; every change is one
//! transaction, so nothing is ever half-written.
//!
//! rusqlite and tokio-postgres (with deadpool for a pool) rather than one abstraction over both:
//! each is the well-kept, thin client for its database, the SQL is written once with `?`
//! placeholders (numbered for PostgreSQL when it is prepared), and the few queries whose rows
//! differ in type are read through a small row trait.

mod migrations;
mod postgres;
mod sqlite;

use std::path::Path;

use console_protocol::RolloutSummary;
use fleet_engine::DeviceFilter;
use fleet_engine::rollout::{Rollout, RolloutDevice};

pub use console_protocol::SavedView as StoredView;
pub use migrations::SCHEMA_VERSION;

/// Why the store could not do what was asked. `Unavailable` is the database being down or out
/// of reach (the API answers 503); the rest are refusals of the request itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("The console store is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Not found: {0}")]
    NotFound(String),
    #[error("The console store cannot be used: {0}")]
    Incompatible(String),
}

/// The store, on one of its two backends.
#[derive(Clone)]
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// Where the store is: `sqlite:PATH` or `postgres://…` (`--database`), else a file in the data
/// directory.
pub fn database_url(database: Option<&str>, data_dir: &Path) -> String {
    match database {
        Some(url) => url.to_owned(),
        None => format!("sqlite:{}", data_dir.join("console.db").display()),
    }
}

impl Store {
    /// Opens (creating a SQLite file and its folder when needed) and migrates to this version's
    /// schema. A store from a newer version is refused, untouched.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_at(url, SCHEMA_VERSION).await
    }

    /// As `open`, migrating only up to `version` (tests make old stores with it).
    pub async fn open_at(url: &str, version: i64) -> Result<Store, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            Ok(Store::Sqlite(
                sqlite::SqliteStore::open(path, version).await?,
            ))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::Postgres(
                postgres::PgStore::open(url, version).await?,
            ))
        } else {
            Err(StoreError::Incompatible(format!(
                "--database takes sqlite:PATH or postgres://…; got '{}'",
                redact_url(url)
            )))
        }
    }

    /// The schema version the store is at.
    pub async fn version(&self) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(s) => s.version().await,
            Store::Postgres(p) => p.version().await,
        }
    }

    /// "SQLite at PATH" or "PostgreSQL at HOST/DB", with no password.
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => format!("SQLite at {}", s.path()),
            Store::Postgres(p) => format!("PostgreSQL at {}", p.describe()),
        }
    }

    // ---- saved views ----

    pub async fn list_views(&self) -> Result<Vec<StoredView>, StoreError> {
        match self {
            Store::Sqlite(s) => s.list_views().await,
            Store::Postgres(p) => p.list_views().await,
        }
    }

    pub async fn create_view(&self, view: &StoredView) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.create_view(view).await,
            Store::Postgres(p) => p.create_view(view).await,
        }
    }

    /// Renames a view and, when given, replaces its filter.
    pub async fn update_view(
        &self,
        id: &str,
        name: &str,
        filter: Option<&DeviceFilter>,
        now: i64,
    ) -> Result<StoredView, StoreError> {
        match self {
            Store::Sqlite(s) => s.update_view(id, name, filter, now).await,
            Store::Postgres(p) => p.update_view(id, name, filter, now).await,
        }
    }

    pub async fn delete_view(&self, id: &str) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.delete_view(id).await,
            Store::Postgres(p) => p.delete_view(id).await,
        }
    }

    pub async fn get_view(&self, id: &str) -> Result<StoredView, StoreError> {
        self.list_views()
            .await?
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("no saved view {id}")))
    }

    // ---- the audit log ----

    /// Appends one entry at the chain's head, taking turns with every other appender (the
    /// head row is locked for the transaction); returns its number.
    pub async fn append_audit(&self, at_ms: i64, entry: &str) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(s) => s.append_audit(at_ms, entry).await,
            Store::Postgres(p) => p.append_audit(at_ms, entry).await,
        }
    }

    /// Up to `limit` entries numbered below `before`, newest first.
    pub async fn audit_before(&self, before: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        self.audit_rows(AUDIT_BEFORE, before, limit).await
    }

    /// Up to `limit` entries numbered above `after`, oldest first.
    pub async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        self.audit_rows(AUDIT_AFTER, after, limit).await
    }

    async fn audit_rows(
        &self,
        sql: &'static str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        match self {
            Store::Sqlite(s) => s.audit_rows(sql, seq, limit).await,
            Store::Postgres(p) => p.audit_rows(sql, seq, limit).await,
        }
    }

    /// The chain's head: the last entry's number and hash (0 and "" when empty).
    pub async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        match self {
            Store::Sqlite(s) => s.audit_head().await,
            Store::Postgres(p) => p.audit_head().await,
        }
    }

    // ---- leases ----

    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`, when no one else
    /// holds it or their hold has expired. True when `holder` has it now.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.acquire_lease(name, holder, now, ttl_ms).await,
            Store::Postgres(p) => p.acquire_lease(name, holder, now, ttl_ms).await,
        }
    }

    /// Gives the lease up at once (a clean shutdown), so another replica need not wait.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.release_lease(name, holder).await,
            Store::Postgres(p) => p.release_lease(name, holder).await,
        }
    }

    // ---- rollouts ----

    /// Saves a rollout: its header, and the devices in `changed` (positions in
    /// `rollout.devices`), in one transaction. A new rollout is saved with every device.
    pub async fn save_rollout(
        &self,
        rollout: &Rollout,
        changed: &[usize],
    ) -> Result<(), StoreError> {
        let header = RolloutSummary::of(rollout);
        let devices: Vec<(i64, String, String)> = changed
            .iter()
            .filter_map(|&position| {
                let device = rollout.devices.get(position)?;
                Some((
                    position as i64,
                    device.sid.clone(),
                    serde_json::to_string(device).ok()?,
                ))
            })
            .collect();
        let header_json = serde_json::to_string(&header).map_err(|err| {
            StoreError::Conflict(format!("a rollout that cannot be saved: {err}"))
        })?;
        let row = RolloutRow {
            id: rollout.id.clone(),
            header: header_json,
            active: rollout.status.is_active() || rollout.has_writes_out(),
            created_ms: rollout.created_ms,
            updated_ms: rollout.updated_ms,
        };
        match self {
            Store::Sqlite(s) => s.save_rollout(&row, &devices).await,
            Store::Postgres(p) => p.save_rollout(&row, &devices).await,
        }
    }

    /// Every rollout, newest first, without their devices' detail (counts are in the header).
    pub async fn list_rollouts(&self) -> Result<Vec<RolloutSummary>, StoreError> {
        let rows = match self {
            Store::Sqlite(s) => s.list_rollout_headers().await?,
            Store::Postgres(p) => p.list_rollout_headers().await?,
        };
        rows.iter()
            .map(|json| {
                serde_json::from_str(json)
                    .map_err(|err| StoreError::Incompatible(format!("a stored rollout: {err}")))
            })
            .collect()
    }

    /// A whole rollout.
    pub async fn get_rollout(&self, id: &str) -> Result<Rollout, StoreError> {
        let (header, devices) = match self {
            Store::Sqlite(s) => s.get_rollout(id).await?,
            Store::Postgres(p) => p.get_rollout(id).await?,
        };
        assemble(&header, &devices)
    }

    /// Queues a person's control for the replica that drives rollouts.
    pub async fn queue_control(
        &self,
        id: &str,
        rollout_id: &str,
        control: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.queue_control(id, rollout_id, control, now).await,
            Store::Postgres(p) => p.queue_control(id, rollout_id, control, now).await,
        }
    }

    /// Takes every queued control, oldest first: (rollout id, control).
    pub async fn take_controls(&self) -> Result<Vec<(String, String)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.take_controls().await,
            Store::Postgres(p) => p.take_controls().await,
        }
    }

    /// The ids of rollouts that may still write or are watching writes.
    pub async fn active_rollouts(&self) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Sqlite(s) => s.active_rollouts().await,
            Store::Postgres(p) => p.active_rollouts().await,
        }
    }
}

/// What the `rollouts` table holds for one rollout.
pub(crate) struct RolloutRow {
    pub id: String,
    pub header: String,
    pub active: bool,
    pub created_ms: i64,
    pub updated_ms: i64,
}

fn assemble(header: &str, devices: &[String]) -> Result<Rollout, StoreError> {
    let bad = |err: serde_json::Error| StoreError::Incompatible(format!("a stored rollout: {err}"));
    let header: RolloutSummary = serde_json::from_str(header).map_err(bad)?;
    let devices: Vec<RolloutDevice> = devices
        .iter()
        .map(|json| serde_json::from_str(json).map_err(bad))
        .collect::<Result<_, _>>()?;
    Ok(Rollout {
        devices,
        ..header.rollout
    })
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub use audit_log::{AuditRow, chain_hash};

/// `?` placeholders numbered `$1, $2, …` for PostgreSQL.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

// The SQL both backends run.
pub(crate) const LIST_VIEWS: &str =
    "SELECT id, name, filter, created_by, created_ms, updated_ms FROM views ORDER BY name";
pub(crate) const INSERT_VIEW: &str = "INSERT INTO views (id, name, filter, created_by, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)";
pub(crate) const UPDATE_VIEW: &str =
    "UPDATE views SET name = ?, filter = COALESCE(?, filter), updated_ms = ? WHERE id = ?";
pub(crate) const DELETE_VIEW: &str = "DELETE FROM views WHERE id = ?";
pub(crate) const ACQUIRE_LEASE: &str = "INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?) \
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms \
     WHERE leases.holder = excluded.holder OR leases.expires_ms < ?";
pub(crate) const RELEASE_LEASE: &str = "DELETE FROM leases WHERE name = ? AND holder = ?";
pub(crate) const UPSERT_ROLLOUT: &str = "INSERT INTO rollouts (id, header, active, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET header = excluded.header, active = excluded.active, updated_ms = excluded.updated_ms";
pub(crate) const UPSERT_ROLLOUT_DEVICE: &str = "INSERT INTO rollout_devices (rollout_id, position, sid, record) VALUES (?, ?, ?, ?) \
     ON CONFLICT (rollout_id, position) DO UPDATE SET record = excluded.record";
pub(crate) const LIST_ROLLOUTS: &str = "SELECT header FROM rollouts ORDER BY created_ms DESC, id";
pub(crate) const GET_ROLLOUT: &str = "SELECT header FROM rollouts WHERE id = ?";
pub(crate) const GET_ROLLOUT_DEVICES: &str =
    "SELECT record FROM rollout_devices WHERE rollout_id = ? ORDER BY position";
pub(crate) const QUEUE_CONTROL: &str =
    "INSERT INTO rollout_controls (id, rollout_id, control, created_ms) VALUES (?, ?, ?, ?)";
pub(crate) const QUEUED_CONTROLS: &str =
    "SELECT id, rollout_id, control FROM rollout_controls ORDER BY created_ms, id";
pub(crate) const DELETE_CONTROL: &str = "DELETE FROM rollout_controls WHERE id = ?";
pub(crate) const ACTIVE_ROLLOUTS: &str =
    "SELECT id FROM rollouts WHERE active = 1 ORDER BY created_ms";

/// A view from a row's columns.
pub(crate) fn view_of(
    id: String,
    name: String,
    filter: String,
    created_by: String,
    created_ms: i64,
    updated_ms: i64,
) -> Result<StoredView, StoreError> {
    Ok(StoredView {
        id,
        name,
        filter: serde_json::from_str(&filter)
            .map_err(|err| StoreError::Incompatible(format!("a stored view's filter: {err}")))?,
        created_by,
        created_ms,
        updated_ms,
    })
}

/// A name is taken (a unique constraint): say so plainly.
pub(crate) fn name_taken(name: &str) -> StoreError {
    StoreError::Conflict(format!("A saved view named '{name}' exists already."))
}

pub(crate) const AUDIT_HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit (seq, at_ms, entry, hash) VALUES (?, ?, ?, ?)";
pub(crate) const MOVE_AUDIT_HEAD: &str = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1";
pub(crate) const AUDIT_BEFORE: &str =
    "SELECT seq, at_ms, entry, hash FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?";
pub(crate) const AUDIT_AFTER: &str =
    "SELECT seq, at_ms, entry, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords_and_placeholders_are_numbered() {
        assert_eq!(
            redact_url("postgres://console:s3cret@127.0.0.1:5433/console"),
            "postgres://console:***@127.0.0.1:5433/console"
        );
        assert_eq!(redact_url("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
        assert_eq!(
            numbered("UPDATE t SET a = ? WHERE b = ? AND c = ?"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c = $3"
        );
    }
}
