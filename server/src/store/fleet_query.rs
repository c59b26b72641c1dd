//! The fleet index asked: a filter as a WHERE clause (with the apps its text names), keyset
//! pages and their cursors, every row a filter keeps, and the counts, from the groups kept
//! beside the rows when the filter asks only what they hold.

use console_protocol::{FleetCounts, FleetSort};
use fleet_engine::DeviceFilter;
use fleet_engine::alerts::{Culprit, DeviceTest, Seen};
use fleet_engine::index::IndexRow;

use super::error::StoreError;
use super::fleet::{Group, row_of};
use super::fleet_sql::{self, Clause};
use super::tx::{Dialect, Tx, Value, optional};

/// The SIDs of the apps whose SID or name holds `text` (lower case).
async fn apps_named(tx: &mut dyn Tx, text: &str) -> Result<Vec<String>, StoreError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let rows = tx
        .query("SELECT sid, unique_name FROM fleet_apps", vec![])
        .await?;
    let mut sids = Vec::new();
    for row in &rows {
        let sid = row.text(0)?;
        if sid.to_lowercase().contains(text) || row.text(1)?.to_lowercase().contains(text) {
            sids.push(sid);
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

/// A page's cursor: the sort's value and the `n` of its last row, as JSON.
pub fn encode_cursor(value: &Value, n: i64) -> String {
    let value = match value {
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Text(text) => serde_json::Value::from(text.as_str()),
        Value::Null | Value::Ints(_) | Value::Texts(_) => serde_json::Value::Null,
    };
    serde_json::json!([value, n]).to_string()
}

/// The sort's value and `n` a cursor holds; `None` for one this server did not make.
pub fn decode_cursor(cursor: &str) -> Option<(Value, i64)> {
    let parsed: serde_json::Value = serde_json::from_str(cursor).ok()?;
    let value = match parsed.get(0)? {
        serde_json::Value::Number(n) => Value::Int(n.as_i64()?),
        serde_json::Value::String(text) => Value::Text(text.clone()),
        _ => return None,
    };
    Some((value, parsed.get(1)?.as_i64()?))
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
    /// Whether to count every row the filter keeps too (a scan of the table).
    pub count: bool,
}

/// A page of rows, the cursor after it (when there may be more), and the total kept when
/// asked.
pub async fn page(
    tx: &mut dyn Tx,
    ask: PageAsk,
) -> Result<(Vec<IndexRow>, Option<String>, Option<u64>), StoreError> {
    let after = match ask.after.as_deref() {
        None => None,
        Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
            StoreError::Invalid(format!("'{cursor}' is not a cursor this server gave"))
        })?),
    };
    let mut clause = clause_of(tx, &ask.filter, ask.now_ms).await?;
    let kept = if by_groups(&ask.filter) {
        Some(sum_of(groups_kept(tx, &ask.filter).await?))
    } else {
        None
    };
    if let Some(kept) = kept
        && tx.dialect() == Dialect::Sqlite
        && (ask.filter.status.is_some() || ask.filter.target_app.is_some())
    {
        // The groups say how much of the fleet the filter keeps: a twentieth or more, and
        // the sort's index finds a page sooner than the equality's index sorts its share.
        let all = sum_of(groups_kept(tx, &DeviceFilter::default()).await?);
        if kept * 20 >= all {
            clause = fleet_sql::walking_the_sort(&clause);
        }
    }
    let (sql, params) = fleet_sql::page_query(&clause, ask.sort, after, ask.offset, ask.limit);
    let found = tx.query(&sql, params).await?;
    let next = match found.last() {
        Some(last) if found.len() == ask.limit as usize => Some(encode_cursor(
            &fleet_sql::sort_value(ask.sort.key, &row_of(last)?),
            last.int(11)?,
        )),
        _ => None,
    };
    let rows: Vec<IndexRow> = found.iter().map(row_of).collect::<Result<_, _>>()?;
    let total = if ask.count && kept.is_some() {
        kept
    } else if ask.count {
        let (sql, params) = fleet_sql::count_query(&clause);
        match optional(tx, &sql, params).await? {
            Some(row) => Some(row.int(0)? as u64),
            None => Some(0),
        }
    } else {
        None
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
    if by_groups(&filter) {
        return group_counts(tx, &filter, &clause, now_ms, pending_before).await;
    }
    let (sql, params) = fleet_sql::summary_query(&clause, now_ms, pending_before);
    let mut counts = FleetCounts::default();
    for row in tx.query(&sql, params).await? {
        let (status, target, reported) = (row.text(0)?, row.text(1)?, row.text(2)?);
        let count = row.int(3)? as u64;
        counts.total += count;
        counts.logging_on += row.int(4)? as u64;
        counts.pending_long += row.int(5)? as u64;
        if !reported.is_empty() && reported != target {
            counts.target_differs += count;
        }
        *counts.by_status.entry(status).or_default() += count;
        *counts.by_target.entry(target).or_default() += count;
        *counts.by_reported.entry(reported).or_default() += count;
    }
    Ok(counts)
}

/// Whether the groups answer this filter's counts: it asks only what they hold (status,
/// target app, target ≠ reported), as the Fleet page's summary and chips do.
fn by_groups(filter: &DeviceFilter) -> bool {
    filter.text.trim().is_empty() && filter.logging_on.is_none() && filter.pending_hours.is_none()
}

/// The groups the filter keeps (`by_groups` filters only), with their device counts.
async fn groups_kept(
    tx: &mut dyn Tx,
    filter: &DeviceFilter,
) -> Result<Vec<(Group, u64)>, StoreError> {
    let mut kept = Vec::new();
    for row in tx
        .query(
            "SELECT status, target_app, reported_app, devices FROM fleet_groups",
            vec![],
        )
        .await?
    {
        let (status, target, reported) = (row.text(0)?, row.text(1)?, row.text(2)?);
        let keeps = filter.status.as_ref().is_none_or(|s| *s == status)
            && filter.target_app.as_ref().is_none_or(|t| *t == target)
            && (!filter.target_differs || (!reported.is_empty() && reported != target));
        if keeps {
            kept.push(((status, target, reported), row.int(3)? as u64));
        }
    }
    Ok(kept)
}

fn sum_of(groups: Vec<(Group, u64)>) -> u64 {
    groups.iter().map(|(_, n)| n).sum()
}

/// The counts from the groups, and the two that move with the clock from their small
/// partial indexes.
async fn group_counts(
    tx: &mut dyn Tx,
    filter: &DeviceFilter,
    clause: &Clause,
    now_ms: i64,
    pending_before: i64,
) -> Result<FleetCounts, StoreError> {
    let mut counts = FleetCounts::default();
    for ((status, target, reported), count) in groups_kept(tx, filter).await? {
        counts.total += count;
        if !reported.is_empty() && reported != target {
            counts.target_differs += count;
        }
        *counts.by_status.entry(status).or_default() += count;
        *counts.by_target.entry(target).or_default() += count;
        *counts.by_reported.entry(reported).or_default() += count;
    }
    for (sql, params) in fleet_sql::logging_on_counts(clause, now_ms) {
        if let Some(row) = optional(tx, &sql, params).await? {
            counts.logging_on += row.int(0)? as u64;
        }
    }
    let (sql, params) = fleet_sql::pending_count(clause, pending_before);
    counts.pending_long = match optional(tx, &sql, params).await? {
        Some(row) => row.int(0)? as u64,
        None => 0,
    };
    Ok(counts)
}

/// What an alert's device `test` sees among the devices `filter` keeps at `now_ms`: how many
/// count, out of how many kept, and the first `culprits` of them (in the order passes first
/// saw them). The error tests count from the groups when the filter allows it.
pub async fn seen(
    tx: &mut dyn Tx,
    filter: DeviceFilter,
    test: DeviceTest,
    now_ms: i64,
    culprits: i64,
) -> Result<Seen, StoreError> {
    let clause = clause_of(tx, &filter, now_ms).await?;
    let narrowed = fleet_sql::device_test_clause(&clause, test);
    let (count, of) = if test == DeviceTest::Error {
        let counts = counts(tx, filter, now_ms, 24).await?;
        (
            counts.by_status.get("error").copied().unwrap_or(0),
            counts.total,
        )
    } else {
        let count_of = |clause: &Clause| {
            (
                format!("SELECT COUNT(*) FROM fleet_devices WHERE {}", clause.sql),
                clause.params.clone(),
            )
        };
        let (sql, params) = count_of(&narrowed);
        let count = optional(tx, &sql, params)
            .await?
            .map_or(Ok(0), |r| r.int(0))?;
        let (sql, params) = count_of(&clause);
        let of = optional(tx, &sql, params)
            .await?
            .map_or(Ok(0), |r| r.int(0))?;
        (count as u64, of as u64)
    };
    let mut params = narrowed.params;
    params.push(Value::Int(culprits));
    let culprits = tx
        .query(
            &format!(
                "SELECT sid, unique_name FROM fleet_devices WHERE {} ORDER BY n LIMIT ?",
                narrowed.sql
            ),
            params,
        )
        .await?
        .iter()
        .map(|row| {
            Ok(Culprit {
                id: row.text(0)?,
                name: row.text(1)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Seen {
        count,
        of,
        culprits,
    })
}
