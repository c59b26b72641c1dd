//! The event log behind `/console/v1/events`: each event numbered from one head row, so
//! appends take turns and commit in their numbers' order (a reader that has seen number n
//! never later finds a smaller one committed), written in the same transaction as what it
//! tells (a page of the index, a rollout's step, an alert's transition). Kept a while for
//! streams that reconnect, then let go.

use console_protocol::{ConsoleEvent, DEVICES_PER_EVENT, DeviceChange};
use fleet_engine::index::IndexRow;

use super::error::StoreError;
use super::tx::{Tx, one};

/// Appends `event` as of `at_ms`, taking turns at the head: best last in its transaction, so
/// the head is held only until the commit. Its number.
pub async fn append(tx: &mut dyn Tx, at_ms: i64, event: &ConsoleEvent) -> Result<i64, StoreError> {
    let body = serde_json::to_string(event)
        .map_err(|err| StoreError::Incompatible(format!("an event: {err}")))?;
    let head = tx
        .query_locked("SELECT seq FROM console_event_head WHERE id = 1", vec![])
        .await?;
    let seq = head
        .first()
        .ok_or_else(|| StoreError::Incompatible("the event log has no head row".into()))?
        .int(0)?
        + 1;
    tx.execute(
        "INSERT INTO console_events (seq, at_ms, kind, body) VALUES (?, ?, ?, ?)",
        vec![seq.into(), at_ms.into(), event.name().into(), body.into()],
    )
    .await?;
    tx.execute(
        "UPDATE console_event_head SET seq = ? WHERE id = 1",
        vec![seq.into()],
    )
    .await?;
    Ok(seq)
}

/// The `Devices` event that tells `rows` changed (`gone` when they left the list).
pub fn devices_event<'a>(rows: impl Iterator<Item = &'a IndexRow>, gone: bool) -> ConsoleEvent {
    let mut changed = Vec::new();
    let mut more = 0_u64;
    for row in rows {
        if changed.len() < DEVICES_PER_EVENT {
            changed.push(DeviceChange {
                sid: row.sid.clone(),
                unique_name: row.unique_name.clone().unwrap_or_default(),
                status: row.status.clone(),
                gone,
            });
        } else {
            more += 1;
        }
    }
    ConsoleEvent::Devices { changed, more }
}

/// Up to `limit` events numbered above `after`, in order: (number, kind, body as stored).
pub async fn after(
    tx: &mut dyn Tx,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    tx.query(
        "SELECT seq, kind, body FROM console_events WHERE seq > ? ORDER BY seq LIMIT ?",
        vec![after.into(), limit.into()],
    )
    .await?
    .iter()
    .map(|row| Ok((row.int(0)?, row.text(1)?, row.text(2)?)))
    .collect()
}

/// The last number given (0 when none), and the smallest still kept (the last + 1 when none
/// is).
pub async fn bounds(tx: &mut dyn Tx) -> Result<(i64, i64), StoreError> {
    let head = one(
        tx,
        "SELECT seq FROM console_event_head WHERE id = 1",
        vec![],
    )
    .await?
    .int(0)?;
    let oldest = one(
        tx,
        "SELECT COALESCE(MIN(seq), 0) FROM console_events",
        vec![],
    )
    .await?
    .int(0)?;
    Ok((head, if oldest == 0 { head + 1 } else { oldest }))
}

/// Lets go of events older than `before_ms`; how many.
pub async fn prune(tx: &mut dyn Tx, before_ms: i64) -> Result<u64, StoreError> {
    Ok(tx
        .execute(
            "DELETE FROM console_events WHERE at_ms < ?",
            vec![before_ms.into()],
        )
        .await?)
}
