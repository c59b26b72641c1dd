//! Each operation of the store, written once over `Tx`: the same transaction body runs on
//! SQLite and on PostgreSQL.

use audit_log::{AuditRow, chain_hash};
use console_protocol::{ConsoleEvent, RolloutSummary, SavedView};
use fleet_engine::DeviceFilter;
use fleet_engine::rollout::{Rollout, RolloutDevice};

use super::error::StoreError;
use super::events;
use super::migrations::{SCHEMA_VERSION, statements, too_new};
use super::sql::*;
use super::tx::{DbError, Dialect, Row, Tx, Value, one, optional, texts};

// ---- the schema ----

/// The schema version the store is at (0 for a new one).
pub async fn version(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    Ok(match optional(tx, READ_VERSION, vec![]).await? {
        Some(row) => row.int(0)?,
        None => 0,
    })
}

/// Creates the version table, and refuses a store from a newer build; the version found.
pub async fn prepare_schema(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute(MIGRATION_LOCK, vec![]).await?;
    }
    tx.execute(CREATE_SCHEMA_TABLE, vec![]).await?;
    let found = version(tx).await?;
    if found > SCHEMA_VERSION {
        return Err(too_new(found, SCHEMA_VERSION));
    }
    Ok(found)
}

/// Brings the store to `target` from the version before it, unless another replica has since.
pub async fn migrate_to(tx: &mut dyn Tx, target: i64) -> Result<(), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute(MIGRATION_LOCK, vec![]).await?;
    }
    if version(tx).await? >= target {
        return Ok(());
    }
    let statements = statements(target, tx.dialect())
        .ok_or_else(|| StoreError::Incompatible(format!("no schema version {target}")))?;
    for statement in statements {
        tx.execute(statement, vec![]).await?;
    }
    tx.execute(WRITE_VERSION, vec![target.into()]).await?;
    Ok(())
}

// ---- saved views ----

fn view_of(row: &Row) -> Result<SavedView, StoreError> {
    Ok(SavedView {
        id: row.text(0)?,
        name: row.text(1)?,
        filter: serde_json::from_str(&row.text(2)?)
            .map_err(|err| StoreError::Incompatible(format!("a stored view's filter: {err}")))?,
        created_by: row.text(3)?,
        created_ms: row.int(4)?,
        updated_ms: row.int(5)?,
    })
}

/// A name is taken (a unique constraint): said plainly.
fn name_taken(err: DbError, name: &str) -> StoreError {
    match err {
        DbError::Unique => {
            StoreError::Conflict(format!("A saved view named '{name}' exists already."))
        }
        other => other.into(),
    }
}

fn no_view(id: &str) -> StoreError {
    StoreError::NotFound(format!("no saved view {id}"))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|err| StoreError::Conflict(format!("a value that cannot be saved: {err}")))
}

pub async fn list_views(tx: &mut dyn Tx) -> Result<Vec<SavedView>, StoreError> {
    tx.query(LIST_VIEWS, vec![])
        .await?
        .iter()
        .map(view_of)
        .collect()
}

pub async fn get_view(tx: &mut dyn Tx, id: String) -> Result<SavedView, StoreError> {
    match optional(tx, GET_VIEW, vec![id.as_str().into()]).await? {
        Some(row) => view_of(&row),
        None => Err(no_view(&id)),
    }
}

pub async fn create_view(tx: &mut dyn Tx, view: SavedView) -> Result<(), StoreError> {
    let params = vec![
        view.id.as_str().into(),
        view.name.as_str().into(),
        to_json(&view.filter)?.into(),
        view.created_by.as_str().into(),
        view.created_ms.into(),
        view.updated_ms.into(),
    ];
    tx.execute(INSERT_VIEW, params)
        .await
        .map_err(|err| name_taken(err, &view.name))?;
    Ok(())
}

/// Renames a view and, when given, replaces its filter; the view as it is now.
pub async fn update_view(
    tx: &mut dyn Tx,
    id: String,
    name: String,
    filter: Option<DeviceFilter>,
    now: i64,
) -> Result<SavedView, StoreError> {
    let filter = filter.as_ref().map(to_json).transpose()?;
    let params = vec![
        name.as_str().into(),
        filter.into(),
        now.into(),
        id.as_str().into(),
    ];
    let changed = tx
        .execute(UPDATE_VIEW, params)
        .await
        .map_err(|err| name_taken(err, &name))?;
    if changed == 0 {
        return Err(no_view(&id));
    }
    get_view(tx, id).await
}

pub async fn delete_view(tx: &mut dyn Tx, id: String) -> Result<(), StoreError> {
    match tx.execute(DELETE_VIEW, vec![id.as_str().into()]).await? {
        0 => Err(no_view(&id)),
        _ => Ok(()),
    }
}

// ---- leases ----

/// Takes or renews the lease for `holder` until `now + ttl_ms`, when no one else holds it or
/// their hold has expired. True when `holder` has it now.
pub async fn acquire_lease(
    tx: &mut dyn Tx,
    name: String,
    holder: String,
    now: i64,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    let params = vec![
        name.into(),
        holder.into(),
        (now + ttl_ms).into(),
        now.into(),
    ];
    Ok(tx.execute(ACQUIRE_LEASE, params).await? == 1)
}

pub async fn release_lease(
    tx: &mut dyn Tx,
    name: String,
    holder: String,
) -> Result<(), StoreError> {
    tx.execute(RELEASE_LEASE, vec![name.into(), holder.into()])
        .await?;
    Ok(())
}

// ---- the audit log ----

/// Appends one entry at the chain's head, which is read locked: appenders on every replica
/// take turns, so the chain never forks. The entry's number.
pub async fn append_audit(tx: &mut dyn Tx, at_ms: i64, entry: String) -> Result<i64, StoreError> {
    let head = tx.query_locked(AUDIT_HEAD, vec![]).await?;
    let head = head
        .first()
        .ok_or_else(|| StoreError::Incompatible("the audit log has no head row".into()))?;
    let (seq, previous) = (head.int(0)? + 1, head.text(1)?);
    let hash = chain_hash(&previous, seq, at_ms, &entry);
    let params = vec![seq.into(), at_ms.into(), entry.into(), hash.as_str().into()];
    tx.execute(INSERT_AUDIT, params).await?;
    tx.execute(MOVE_AUDIT_HEAD, vec![seq.into(), hash.into()])
        .await?;
    Ok(seq)
}

/// `AUDIT_BEFORE` or `AUDIT_AFTER` from `seq`, up to `limit` rows.
pub async fn audit_rows(
    tx: &mut dyn Tx,
    sql: &'static str,
    seq: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    tx.query(sql, vec![seq.into(), limit.into()])
        .await?
        .iter()
        .map(|row| {
            Ok(AuditRow {
                seq: row.int(0)?,
                at_ms: row.int(1)?,
                entry: row.text(2)?,
                hash: row.text(3)?,
            })
        })
        .collect()
}

pub async fn audit_head(tx: &mut dyn Tx) -> Result<(i64, String), StoreError> {
    let row = one(tx, AUDIT_HEAD, vec![]).await?;
    Ok((row.int(0)?, row.text(1)?))
}

// ---- rollouts ----

/// Saves a rollout's header and the devices at `changed` (positions in `rollout.devices`),
/// and tells every open console.
pub async fn save_rollout(
    tx: &mut dyn Tx,
    rollout: Rollout,
    changed: Vec<usize>,
) -> Result<(), StoreError> {
    let header = to_json(&RolloutSummary::of(&rollout))?;
    let active = rollout.status.is_active() || rollout.has_writes_out();
    let params = vec![
        rollout.id.as_str().into(),
        header.into(),
        active.into(),
        rollout.created_ms.into(),
        rollout.updated_ms.into(),
    ];
    tx.execute(UPSERT_ROLLOUT, params).await?;
    for position in changed {
        let Some(device) = rollout.devices.get(position) else {
            continue;
        };
        let params = vec![
            rollout.id.as_str().into(),
            Value::Int(position as i64),
            device.sid.as_str().into(),
            to_json(device)?.into(),
        ];
        tx.execute(UPSERT_ROLLOUT_DEVICE, params).await?;
    }
    let event = ConsoleEvent::rollout_moved(&rollout);
    events::append(tx, rollout.updated_ms, &event).await?;
    Ok(())
}

fn stored<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json)
        .map_err(|err| StoreError::Incompatible(format!("a stored rollout: {err}")))
}

/// Every rollout's header, newest first.
pub async fn list_rollouts(tx: &mut dyn Tx) -> Result<Vec<RolloutSummary>, StoreError> {
    texts(tx, LIST_ROLLOUTS, vec![])
        .await?
        .iter()
        .map(|json| stored(json))
        .collect()
}

/// A whole rollout: its header and every device.
pub async fn get_rollout(tx: &mut dyn Tx, id: String) -> Result<Rollout, StoreError> {
    let Some(row) = optional(tx, GET_ROLLOUT, vec![id.as_str().into()]).await? else {
        return Err(StoreError::NotFound(format!("no rollout {id}")));
    };
    let header: RolloutSummary = stored(&row.text(0)?)?;
    let devices: Vec<RolloutDevice> = texts(tx, GET_ROLLOUT_DEVICES, vec![id.into()])
        .await?
        .iter()
        .map(|json| stored(json))
        .collect::<Result<_, _>>()?;
    Ok(Rollout {
        devices,
        ..header.rollout
    })
}

pub async fn queue_control(
    tx: &mut dyn Tx,
    id: String,
    rollout_id: String,
    control: String,
    now: i64,
) -> Result<(), StoreError> {
    let params = vec![id.into(), rollout_id.into(), control.into(), now.into()];
    tx.execute(QUEUE_CONTROL, params).await?;
    Ok(())
}

/// Takes every queued control, oldest first: (rollout id, control). Locked as taken, so
/// another taker waits, then finds them gone.
pub async fn take_controls(tx: &mut dyn Tx) -> Result<Vec<(String, String)>, StoreError> {
    let rows = tx.query_locked(QUEUED_CONTROLS, vec![]).await?;
    let mut taken = Vec::with_capacity(rows.len());
    for row in &rows {
        tx.execute(DELETE_CONTROL, vec![row.text(0)?.into()])
            .await?;
        taken.push((row.text(1)?, row.text(2)?));
    }
    Ok(taken)
}

pub async fn active_rollouts(tx: &mut dyn Tx) -> Result<Vec<String>, StoreError> {
    texts(tx, ACTIVE_ROLLOUTS, vec![]).await
}
