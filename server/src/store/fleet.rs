//! The fleet index in the store: a row per device, the timeline of what passes saw, the
//! passes, the account's apps, "Refresh now". Each operation one transaction, written once
//! over `Tx`; the SQL whose shape depends on the filter or the row count is `fleet_sql`, and
//! the index's questions (pages, counts) are `fleet_query`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use console_protocol::{Freshness, PassInfo};
use fleet_engine::index::{Change, IndexRow};

use super::error::StoreError;
use super::fleet_sql;
use super::tx::{Dialect, Row, Tx, Value, optional};

/// Rows written per statement: 16 values each, well within both databases' limits.
const ROWS_PER_STATEMENT: usize = 500;
/// Events per statement: 5 values each.
const EVENTS_PER_STATEMENT: usize = 1000;

fn none_if_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn none_if_zero(ms: i64) -> Option<i64> {
    (ms != 0).then_some(ms)
}

/// A row as `fleet_sql::COLUMNS` lists it.
pub(super) fn row_of(row: &Row) -> Result<IndexRow, StoreError> {
    Ok(IndexRow {
        sid: row.text(0)?,
        unique_name: none_if_empty(row.text(1)?),
        status: row.text(2)?,
        error_code: row.int(3)?,
        target_app: none_if_empty(row.text(4)?),
        reported_app: none_if_empty(row.text(5)?),
        logging_enabled: row.int(6)? != 0,
        logging_expires_ms: none_if_zero(row.int(7)?),
        targeted_ms: none_if_zero(row.int(8)?),
        reported_ms: none_if_zero(row.int(9)?),
        updated_ms: none_if_zero(row.int(10)?),
    })
}

/// The stored rows of these SIDs, each with whether it is gone.
pub async fn rows_of(
    tx: &mut dyn Tx,
    sids: Vec<String>,
) -> Result<Vec<(IndexRow, bool)>, StoreError> {
    let mut found = Vec::with_capacity(sids.len());
    for chunk in sids.chunks(ROWS_PER_STATEMENT) {
        let sql = fleet_sql::rows_of(chunk.len());
        let params = chunk.iter().map(Value::from).collect();
        for row in tx.query(&sql, params).await? {
            found.push((row_of(&row)?, row.int(11)? != 0));
        }
    }
    Ok(found)
}

/// "The SID is one of a list" (the list one value, `sid_list`), as each database says it.
fn sid_in_list(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sid IN (SELECT value FROM json_each(?))",
        Dialect::Postgres => "sid = ANY(?::text[])",
    }
}

fn sid_list(sids: Vec<String>) -> Value {
    Value::Texts(sids.into_iter().map(Some).collect())
}

/// A device's group in `fleet_groups`: status, target app, reported app.
pub(super) type Group = (String, String, String);

fn group_of(row: &IndexRow) -> Group {
    (
        row.status.clone(),
        row.target_app.clone().unwrap_or_default(),
        row.reported_app.clone().unwrap_or_default(),
    )
}

/// The groups of those of these SIDs that are kept and listed.
async fn listed_groups(
    tx: &mut dyn Tx,
    sids: Vec<String>,
) -> Result<HashMap<String, Group>, StoreError> {
    let sql = format!(
        "SELECT sid, status, target_app, reported_app FROM fleet_devices \
         WHERE gone_ms = 0 AND {}",
        sid_in_list(tx.dialect())
    );
    tx.query(&sql, vec![sid_list(sids)])
        .await?
        .iter()
        .map(|row| Ok((row.text(0)?, (row.text(1)?, row.text(2)?, row.text(3)?))))
        .collect()
}

/// Moves the groups' counts by `deltas`, in the transaction that moved the devices.
async fn shift_groups(tx: &mut dyn Tx, deltas: BTreeMap<Group, i64>) -> Result<(), StoreError> {
    let moved: Vec<(Group, i64)> = deltas.into_iter().filter(|(_, d)| *d != 0).collect();
    if moved.is_empty() {
        return Ok(());
    }
    for chunk in moved.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO fleet_groups (status, target_app, reported_app, devices) VALUES {} \
             ON CONFLICT (status, target_app, reported_app) \
             DO UPDATE SET devices = fleet_groups.devices + excluded.devices",
            fleet_sql::placeholders(chunk.len(), 4)
        );
        let params = chunk
            .iter()
            .flat_map(|((status, target, reported), delta)| {
                [
                    Value::from(status),
                    Value::from(target),
                    Value::from(reported),
                    Value::Int(*delta),
                ]
            })
            .collect();
        tx.execute(&sql, params).await?;
    }
    tx.execute("DELETE FROM fleet_groups WHERE devices = 0", vec![])
        .await?;
    Ok(())
}

/// The stored hash of each of these SIDs that is kept, and whether it is gone: all a pass
/// needs of a device that did not change.
pub async fn hashes_of(
    tx: &mut dyn Tx,
    sids: Vec<String>,
) -> Result<Vec<(String, String, bool)>, StoreError> {
    let sql = format!(
        "SELECT sid, row_hash, gone_ms FROM fleet_devices WHERE {}",
        sid_in_list(tx.dialect())
    );
    tx.query(&sql, vec![sid_list(sids)])
        .await?
        .iter()
        .map(|row| Ok((row.text(0)?, row.text(1)?, row.int(2)? != 0)))
        .collect()
}

/// What one page of a pass found to write, as of `at_ms`.
pub struct PageWrite {
    pub at_ms: i64,
    pub rows: Vec<IndexRow>,
    pub events: Vec<(String, Change)>,
}

/// Writes what one page of a pass found: the rows that changed (or are new) and their
/// timeline, in one transaction.
pub async fn write_page(
    tx: &mut dyn Tx,
    at_ms: i64,
    rows: Vec<IndexRow>,
    events: Vec<(String, Change)>,
) -> Result<(), StoreError> {
    remember_apps(tx, &rows).await?;
    let before = listed_groups(tx, rows.iter().map(|row| row.sid.clone()).collect()).await?;
    let mut deltas: BTreeMap<Group, i64> = BTreeMap::new();
    for row in &rows {
        if let Some(group) = before.get(&row.sid) {
            *deltas.entry(group.clone()).or_default() -= 1;
        }
        *deltas.entry(group_of(row)).or_default() += 1;
    }
    let values = rows.iter().map(|row| fleet_sql::row_values(row, at_ms));
    match tx.dialect() {
        // One statement a page, its text the same whatever the count: no parse per page.
        Dialect::Postgres => {
            let columns = Value::columns(values.collect());
            tx.execute(&fleet_sql::upsert_columns(), columns).await?;
        }
        Dialect::Sqlite => {
            let values: Vec<Vec<Value>> = values.collect();
            for chunk in values.chunks(ROWS_PER_STATEMENT) {
                let sql = fleet_sql::upsert_rows(chunk.len());
                tx.execute(&sql, chunk.concat()).await?;
            }
        }
    }
    shift_groups(tx, deltas).await?;
    append_events(tx, at_ms, events).await
}

async fn append_events(
    tx: &mut dyn Tx,
    at_ms: i64,
    events: Vec<(String, Change)>,
) -> Result<(), StoreError> {
    let values = events.into_iter().map(|(sid, change)| {
        vec![
            Value::from(sid),
            Value::Int(at_ms),
            Value::from(change.kind.as_str()),
            Value::from(change.before),
            Value::from(change.after),
        ]
    });
    match tx.dialect() {
        Dialect::Postgres => {
            let values: Vec<Vec<Value>> = values.collect();
            if !values.is_empty() {
                let columns = Value::columns(values);
                tx.execute(fleet_sql::INSERT_EVENT_COLUMNS, columns).await?;
            }
        }
        Dialect::Sqlite => {
            let values: Vec<Vec<Value>> = values.collect();
            for chunk in values.chunks(EVENTS_PER_STATEMENT) {
                let sql = fleet_sql::insert_events(chunk.len());
                tx.execute(&sql, chunk.concat()).await?;
            }
        }
    }
    Ok(())
}

/// Marks devices gone (no longer listed), with their events, in one transaction.
pub async fn mark_gone(
    tx: &mut dyn Tx,
    at_ms: i64,
    gone: Vec<(String, Change)>,
) -> Result<(), StoreError> {
    let before = listed_groups(tx, gone.iter().map(|(sid, _)| sid.clone()).collect()).await?;
    let mut deltas: BTreeMap<Group, i64> = BTreeMap::new();
    for group in before.into_values() {
        *deltas.entry(group).or_default() -= 1;
    }
    shift_groups(tx, deltas).await?;
    for chunk in gone.chunks(ROWS_PER_STATEMENT) {
        let sql = fleet_sql::mark_gone(chunk.len());
        let mut params = vec![Value::Int(at_ms), Value::Int(at_ms)];
        params.extend(chunk.iter().map(|(sid, _)| Value::from(sid)));
        tx.execute(&sql, params).await?;
    }
    append_events(tx, at_ms, gone).await
}

/// Up to `limit` rows still listed, by SID after `after`: for finding the gone at a pass's end.
pub async fn live_after(
    tx: &mut dyn Tx,
    after: String,
    limit: i64,
) -> Result<Vec<IndexRow>, StoreError> {
    let sql = format!(
        "SELECT {} FROM fleet_devices WHERE gone_ms = 0 AND sid > ? ORDER BY sid LIMIT ?",
        fleet_sql::COLUMNS
    );
    tx.query(&sql, vec![after.into(), limit.into()])
        .await?
        .iter()
        .map(row_of)
        .collect()
}

/// Writes a pass's record: started, then again as it goes and when it ends.
pub async fn record_pass(
    tx: &mut dyn Tx,
    id: String,
    holder: String,
    pass: PassInfo,
) -> Result<(), StoreError> {
    let params = vec![
        id.into(),
        holder.into(),
        pass.started_ms.into(),
        pass.finished_ms.into(),
        (pass.listed as i64).into(),
        (pass.written as i64).into(),
        (pass.gone as i64).into(),
        (pass.pages as i64).into(),
        (pass.store_ms as i64).into(),
        pass.error.unwrap_or_default().into(),
    ];
    tx.execute(
        "INSERT INTO fleet_passes (id, holder, started_ms, finished_ms, listed, written, gone, \
         pages, store_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO \
         UPDATE SET finished_ms = excluded.finished_ms, listed = excluded.listed, \
         written = excluded.written, gone = excluded.gone, pages = excluded.pages, \
         store_ms = excluded.store_ms, error = excluded.error",
        params,
    )
    .await?;
    Ok(())
}

/// Ends the record of every pass still running: at a driver's start, those are passes whose
/// replica went away mid-pass.
pub async fn close_unfinished_passes(tx: &mut dyn Tx, now_ms: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE fleet_passes SET finished_ms = ?, \
         error = 'stopped before its end: its replica went away' WHERE finished_ms = 0",
        vec![now_ms.into()],
    )
    .await?;
    Ok(())
}

fn pass_of(row: &Row) -> Result<PassInfo, StoreError> {
    Ok(PassInfo {
        started_ms: row.int(0)?,
        finished_ms: row.int(1)?,
        listed: row.int(2)? as u64,
        written: row.int(3)? as u64,
        gone: row.int(4)? as u64,
        pages: row.int(5)? as u64,
        store_ms: row.int(6)? as u64,
        error: none_if_empty(row.text(7)?),
    })
}

/// The last whole pass, the latest one, and whether a refresh is asked for.
pub async fn freshness(tx: &mut dyn Tx) -> Result<Freshness, StoreError> {
    const PASS: &str = "SELECT started_ms, finished_ms, listed, written, gone, pages, store_ms, error \
         FROM fleet_passes";
    let complete = optional(
        tx,
        &format!("{PASS} WHERE finished_ms <> 0 AND error = '' ORDER BY started_ms DESC LIMIT 1"),
        vec![],
    )
    .await?
    .as_ref()
    .map(pass_of)
    .transpose()?;
    let latest = optional(
        tx,
        &format!("{PASS} ORDER BY started_ms DESC LIMIT 1"),
        vec![],
    )
    .await?
    .as_ref()
    .map(pass_of)
    .transpose()?;
    let refresh_asked = optional(tx, "SELECT id FROM fleet_requests LIMIT 1", vec![])
        .await?
        .is_some();
    Ok(Freshness {
        enabled: true,
        complete,
        latest,
        refresh_asked,
    })
}

/// Passes older than the newest `keep` are let go.
pub async fn prune_passes(tx: &mut dyn Tx, keep: i64) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM fleet_passes WHERE id NOT IN \
         (SELECT id FROM fleet_passes ORDER BY started_ms DESC LIMIT ?)",
        vec![keep.into()],
    )
    .await?;
    Ok(())
}

/// The account's apps as listed: names brought up to date. An app no longer listed keeps
/// its row, so a device still on it is found by its SID.
pub async fn replace_apps(tx: &mut dyn Tx, apps: Vec<(String, String)>) -> Result<(), StoreError> {
    for chunk in apps.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO fleet_apps (sid, unique_name) VALUES {} \
             ON CONFLICT (sid) DO UPDATE SET unique_name = excluded.unique_name",
            fleet_sql::placeholders(chunk.len(), 2)
        );
        let params = chunk
            .iter()
            .flat_map(|(sid, name)| [Value::from(sid), Value::from(name)])
            .collect();
        tx.execute(&sql, params).await?;
    }
    Ok(())
}

/// Apps devices name that the app list did not (deleted, or listed after the pass began),
/// so free text finds their devices by the app's SID.
async fn remember_apps(tx: &mut dyn Tx, rows: &[IndexRow]) -> Result<(), StoreError> {
    let apps: BTreeSet<&str> = rows.iter().flat_map(IndexRow::apps).collect();
    if apps.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO fleet_apps (sid, unique_name) VALUES {} ON CONFLICT (sid) DO NOTHING",
        fleet_sql::placeholders(apps.len(), 2)
    );
    let params = apps
        .into_iter()
        .flat_map(|sid| [Value::from(sid), Value::from("")])
        .collect();
    tx.execute(&sql, params).await?;
    Ok(())
}

/// A device's timeline, newest first: (at, kind, before, after).
pub async fn timeline(
    tx: &mut dyn Tx,
    sid: String,
    limit: i64,
) -> Result<Vec<(i64, String, Option<String>, Option<String>)>, StoreError> {
    tx.query(
        "SELECT at_ms, kind, before, after FROM fleet_events WHERE sid = ? \
         ORDER BY seq DESC LIMIT ?",
        vec![sid.into(), limit.into()],
    )
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.int(0)?,
            row.text(1)?,
            row.optional_text(2)?,
            row.optional_text(3)?,
        ))
    })
    .collect()
}

/// Lets go of up to `batch` events older than `before_ms`; how many went.
pub async fn prune_events(tx: &mut dyn Tx, before_ms: i64, batch: i64) -> Result<u64, StoreError> {
    Ok(tx
        .execute(
            "DELETE FROM fleet_events WHERE seq IN \
             (SELECT seq FROM fleet_events WHERE at_ms < ? ORDER BY seq LIMIT ?)",
            vec![before_ms.into(), batch.into()],
        )
        .await?)
}

/// `analyze` on PostgreSQL, which samples by itself, with the visibility map set too.
pub const VACUUM_INDEX: &str = "VACUUM (ANALYZE) fleet_devices";

/// Brings the planner's statistics of the index up to date: without them SQLite takes an
/// equality on a three-valued status for a selective one, and walks a third of the fleet
/// for a page another index gives in a hundred rows.
pub async fn analyze(tx: &mut dyn Tx) -> Result<(), StoreError> {
    // Every row (under a second at a million devices; a sample of a thousand rows per index
    // left the planner as lost as none).
    tx.execute("ANALYZE fleet_devices", vec![]).await?;
    Ok(())
}

/// "Refresh now": asked of whichever replica holds the index's lease.
pub async fn ask_refresh(tx: &mut dyn Tx, id: String, now_ms: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO fleet_requests (id, created_ms) VALUES (?, ?)",
        vec![id.into(), now_ms.into()],
    )
    .await?;
    Ok(())
}

/// Takes every refresh asked for; whether there was one.
pub async fn take_refresh(tx: &mut dyn Tx) -> Result<bool, StoreError> {
    Ok(tx.execute("DELETE FROM fleet_requests", vec![]).await? > 0)
}
