//! The fleet index in the store: a row per device, the timeline of what passes saw, the
//! passes, the account's apps, "Refresh now". Each operation one transaction, written once
//! over `Tx`; the SQL whose shape depends on the filter or the row count is `fleet_sql`.

use console_protocol::{FleetCounts, FleetSort, Freshness, PassInfo};
use fleet_engine::DeviceFilter;
use fleet_engine::index::{Change, IndexRow};

use super::error::StoreError;
use super::fleet_sql::{self, Clause};
use super::tx::{Row, Tx, Value, optional};

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
fn row_of(row: &Row) -> Result<IndexRow, StoreError> {
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

/// Writes what one page of a pass found: the rows that changed (or are new) and their
/// timeline, in one transaction.
pub async fn write_page(
    tx: &mut dyn Tx,
    at_ms: i64,
    rows: Vec<IndexRow>,
    events: Vec<(String, Change)>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = fleet_sql::upsert_rows(chunk.len());
        let params = chunk
            .iter()
            .flat_map(|row| fleet_sql::row_values(row, at_ms))
            .collect();
        tx.execute(&sql, params).await?;
    }
    append_events(tx, at_ms, events).await
}

async fn append_events(
    tx: &mut dyn Tx,
    at_ms: i64,
    events: Vec<(String, Change)>,
) -> Result<(), StoreError> {
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let sql = fleet_sql::insert_events(chunk.len());
        let params = chunk
            .iter()
            .flat_map(|(sid, change)| {
                [
                    Value::from(sid),
                    Value::Int(at_ms),
                    Value::from(change.kind.as_str()),
                    Value::from(change.before.clone()),
                    Value::from(change.after.clone()),
                ]
            })
            .collect();
        tx.execute(&sql, params).await?;
    }
    Ok(())
}

/// Marks devices gone (no longer listed), with their events, in one transaction.
pub async fn mark_gone(
    tx: &mut dyn Tx,
    at_ms: i64,
    gone: Vec<(String, Change)>,
) -> Result<(), StoreError> {
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

/// The account's apps as last listed, by SID and name.
pub async fn replace_apps(tx: &mut dyn Tx, apps: Vec<(String, String)>) -> Result<(), StoreError> {
    tx.execute("DELETE FROM fleet_apps", vec![]).await?;
    for chunk in apps.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO fleet_apps (sid, unique_name) VALUES {}",
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

/// The SIDs of the apps whose name holds `text` (lower case).
async fn apps_named(tx: &mut dyn Tx, text: &str) -> Result<Vec<String>, StoreError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let rows = tx
        .query("SELECT sid, unique_name FROM fleet_apps", vec![])
        .await?;
    let mut sids = Vec::new();
    for row in &rows {
        if row.text(1)?.to_lowercase().contains(text) {
            sids.push(row.text(0)?);
        }
    }
    Ok(sids)
}

/// The WHERE clause of a filter, at `now_ms`.
async fn clause_of(
    tx: &mut dyn Tx,
    filter: &DeviceFilter,
    now_ms: i64,
) -> Result<Clause, StoreError> {
    let named = apps_named(tx, &filter.text.trim().to_lowercase()).await?;
    Ok(fleet_sql::filter_clause(
        filter,
        now_ms,
        &named,
        tx.dialect(),
    ))
}

/// A page's cursor: the sort's value and the SID of its last row, as JSON.
pub fn encode_cursor(value: &Value, sid: &str) -> String {
    let value = match value {
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Text(text) => serde_json::Value::from(text.as_str()),
        Value::Null => serde_json::Value::Null,
    };
    serde_json::json!([value, sid]).to_string()
}

/// The sort's value and SID a cursor holds; `None` for one this server did not make.
pub fn decode_cursor(cursor: &str) -> Option<(Value, String)> {
    let parsed: serde_json::Value = serde_json::from_str(cursor).ok()?;
    let value = match parsed.get(0)? {
        serde_json::Value::Number(n) => Value::Int(n.as_i64()?),
        serde_json::Value::String(text) => Value::Text(text.clone()),
        _ => return None,
    };
    Some((value, parsed.get(1)?.as_str()?.to_owned()))
}

/// What a page query asks.
pub struct PageAsk {
    pub filter: DeviceFilter,
    pub sort: FleetSort,
    /// The cursor a page before gave.
    pub after: Option<String>,
    pub offset: u64,
    pub limit: u32,
    pub now_ms: i64,
}

/// A page of rows, the cursor after it (when there may be more), and the total kept.
pub async fn page(
    tx: &mut dyn Tx,
    ask: PageAsk,
) -> Result<(Vec<IndexRow>, Option<String>, u64), StoreError> {
    let after = match ask.after.as_deref() {
        None => None,
        Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
            StoreError::Invalid(format!("'{cursor}' is not a cursor this server gave"))
        })?),
    };
    let clause = clause_of(tx, &ask.filter, ask.now_ms).await?;
    let (sql, params) = fleet_sql::page_query(&clause, ask.sort, after, ask.offset, ask.limit);
    let rows: Vec<IndexRow> = tx
        .query(&sql, params)
        .await?
        .iter()
        .map(row_of)
        .collect::<Result<_, _>>()?;
    let next = rows
        .last()
        .filter(|_| rows.len() == ask.limit as usize)
        .map(|last| encode_cursor(&fleet_sql::sort_value(ask.sort.key, last), &last.sid));
    let (sql, params) = fleet_sql::count_query(&clause);
    let total = match optional(tx, &sql, params).await? {
        Some(row) => row.int(0)? as u64,
        None => 0,
    };
    Ok((rows, next, total))
}

/// Every SID the filter keeps, in SID order: a rollout's devices by query.
pub async fn sids_matching(
    tx: &mut dyn Tx,
    filter: DeviceFilter,
    now_ms: i64,
) -> Result<Vec<IndexRow>, StoreError> {
    let clause = clause_of(tx, &filter, now_ms).await?;
    let sql = format!(
        "SELECT {} FROM fleet_devices WHERE {} ORDER BY sid",
        fleet_sql::COLUMNS,
        clause.sql
    );
    tx.query(&sql, clause.params)
        .await?
        .iter()
        .map(row_of)
        .collect()
}

/// The counts over what the filter keeps (freshness left for the caller).
pub async fn counts(
    tx: &mut dyn Tx,
    filter: DeviceFilter,
    now_ms: i64,
    pending_hours: u32,
) -> Result<FleetCounts, StoreError> {
    let clause = clause_of(tx, &filter, now_ms).await?;
    let pending_before = now_ms - i64::from(pending_hours) * 3_600_000;
    let (sql, params) = fleet_sql::totals_query(&clause, now_ms, pending_before);
    let mut counts = FleetCounts::default();
    if let Some(row) = optional(tx, &sql, params).await? {
        counts.total = row.int(0)? as u64;
        counts.logging_on = row.int(1)? as u64;
        counts.target_differs = row.int(2)? as u64;
        counts.pending_long = row.int(3)? as u64;
    }
    for (column, into) in [
        ("status", &mut counts.by_status),
        ("target_app", &mut counts.by_target),
        ("reported_app", &mut counts.by_reported),
    ] {
        let (sql, params) = fleet_sql::group_query(&clause, column);
        for row in tx.query(&sql, params).await? {
            into.insert(row.text(0)?, row.int(1)? as u64);
        }
    }
    Ok(counts)
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
