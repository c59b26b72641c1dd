//! The store's schema, version by version. Each version's statements run in one transaction
//! with the version bump, so a store is always at exactly one version. The SQL is the common
//! ground of SQLite and PostgreSQL (TEXT, BIGINT, primary keys and upserts), except where a
//! statement says which database it is for: a sequence, and free-text search (FTS5 with the
//! trigram tokenizer on SQLite, pg_trgm on PostgreSQL).

use super::tx::Dialect;

/// The schema this build writes and reads.
pub const SCHEMA_VERSION: i64 = 4;

/// The statements of version `version` (from 1) for `dialect`, in order.
pub fn statements(version: i64, dialect: Dialect) -> Option<Vec<&'static str>> {
    let at = usize::try_from(version - 1).ok()?;
    if let Some(both) = MIGRATIONS.get(at) {
        return Some(both.to_vec());
    }
    let specific = LATER_MIGRATIONS.get(at - MIGRATIONS.len())?;
    Some(
        specific
            .iter()
            .filter(|(only, _)| only.is_none_or(|only| only == dialect))
            .map(|(_, sql)| *sql)
            .collect(),
    )
}

/// Version 3 on: statements for both databases (`None`) or for one.
type Specific = &'static [(Option<Dialect>, &'static str)];

/// The columns of `fleet_devices` after `n`, the same on both databases.
macro_rules! fleet_device_columns {
    () => {
        "sid TEXT NOT NULL UNIQUE, \
         unique_name TEXT NOT NULL, \
         status TEXT NOT NULL, \
         error_code BIGINT NOT NULL, \
         target_app TEXT NOT NULL, \
         reported_app TEXT NOT NULL, \
         logging_enabled BIGINT NOT NULL, \
         logging_expires_ms BIGINT NOT NULL, \
         targeted_ms BIGINT NOT NULL, \
         reported_ms BIGINT NOT NULL, \
         updated_ms BIGINT NOT NULL, \
         search TEXT NOT NULL, \
         row_hash TEXT NOT NULL, \
         first_seen_ms BIGINT NOT NULL, \
         changed_ms BIGINT NOT NULL, \
         gone_ms BIGINT NOT NULL"
    };
}

/// Versions 3 on, in order.
const LATER_MIGRATIONS: &[Specific] = &[
    INDEX,
    // 4: the event log behind `/console/v1/events` (numbered from one head row, as the audit
    // log is), and alert rules with their webhooks, transitions and deliveries.
    &[
        (
            None,
            "CREATE TABLE console_events (
                seq BIGINT PRIMARY KEY,
                at_ms BIGINT NOT NULL,
                kind TEXT NOT NULL,
                body TEXT NOT NULL
            )",
        ),
        (
            None,
            "CREATE INDEX console_events_at ON console_events (at_ms)",
        ),
        (
            None,
            "CREATE TABLE console_event_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL)",
        ),
        (
            None,
            "INSERT INTO console_event_head (id, seq) VALUES (1, 0)",
        ),
        (
            None,
            "CREATE TABLE alert_rules (
                id TEXT PRIMARY KEY,
                rule TEXT NOT NULL,
                state TEXT NOT NULL,
                created_ms BIGINT NOT NULL
            )",
        ),
        (
            None,
            "CREATE TABLE alert_webhooks (
                id TEXT PRIMARY KEY,
                rule_id TEXT NOT NULL,
                url TEXT NOT NULL,
                format TEXT NOT NULL,
                secret TEXT NOT NULL,
                created_ms BIGINT NOT NULL
            )",
        ),
        (
            None,
            "CREATE TABLE alert_transitions (
                rule_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (rule_id, seq)
            )",
        ),
        (
            None,
            "CREATE TABLE alert_deliveries (
                rule_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                webhook_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                last_code BIGINT NOT NULL,
                last_error TEXT NOT NULL,
                created_ms BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL,
                next_ms BIGINT NOT NULL,
                PRIMARY KEY (webhook_id, seq)
            )",
        ),
        (
            None,
            "CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_ms)",
        ),
        (
            None,
            "CREATE INDEX alert_deliveries_rule ON alert_deliveries (rule_id, seq)",
        ),
    ],
];

/// 3: the fleet index (a row per device, the timeline of what passes saw, the passes, the
/// account's apps as last listed, "Refresh now" asked of the lease holder).
const INDEX: &[(Option<Dialect>, &str)] = &[
    // Text columns hold '' and times 0 for "none", so every column sorts and compares the
    // same way on both databases (they put NULLs at opposite ends). `n` numbers rows in the
    // order a pass first saw them: the sort indexes break ties by it, so a pass (which lists
    // in creation order) appends to them instead of writing all over them, as SID-random
    // ties would.
    (
        Some(Dialect::Sqlite),
        concat!(
            "CREATE TABLE fleet_devices (n INTEGER PRIMARY KEY, ",
            fleet_device_columns!(),
            ")"
        ),
    ),
    (
        Some(Dialect::Postgres),
        concat!(
            "CREATE TABLE fleet_devices (n BIGSERIAL PRIMARY KEY, ",
            fleet_device_columns!(),
            ")"
        ),
    ),
    (
        None,
        "CREATE INDEX fleet_devices_name ON fleet_devices (unique_name, n)",
    ),
    (
        None,
        "CREATE INDEX fleet_devices_status ON fleet_devices (status, n)",
    ),
    (
        None,
        "CREATE INDEX fleet_devices_target ON fleet_devices (target_app, n)",
    ),
    (
        None,
        "CREATE INDEX fleet_devices_reported ON fleet_devices (reported_app, n)",
    ),
    (
        None,
        "CREATE INDEX fleet_devices_logging ON fleet_devices (logging_expires_ms, n)",
    ),
    (
        None,
        "CREATE INDEX fleet_devices_updated ON fleet_devices (updated_ms, n)",
    ),
    // Small partial indexes that hold all the summary's two counts that move with the clock
    // need: counted from the index alone, never the rows.
    (
        None,
        "CREATE INDEX fleet_devices_pending ON fleet_devices (targeted_ms) \
         WHERE gone_ms = 0 AND status = 'pending'",
    ),
    (
        None,
        "CREATE INDEX fleet_devices_logging_on ON fleet_devices (logging_expires_ms) \
         WHERE gone_ms = 0 AND logging_enabled = 1",
    ),
    // How many listed devices each (status, target, reported) has, kept in the same
    // transaction as the rows: the summary reads a few hundred rows, not the fleet.
    (
        None,
        "CREATE TABLE fleet_groups (
            status TEXT NOT NULL,
            target_app TEXT NOT NULL,
            reported_app TEXT NOT NULL,
            devices BIGINT NOT NULL,
            PRIMARY KEY (status, target_app, reported_app)
        )",
    ),
    (
        Some(Dialect::Sqlite),
        "CREATE TABLE fleet_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            sid TEXT NOT NULL,
            at_ms BIGINT NOT NULL,
            kind TEXT NOT NULL,
            before TEXT,
            after TEXT
        )",
    ),
    (
        Some(Dialect::Postgres),
        "CREATE TABLE fleet_events (
            seq BIGSERIAL PRIMARY KEY,
            sid TEXT NOT NULL,
            at_ms BIGINT NOT NULL,
            kind TEXT NOT NULL,
            before TEXT,
            after TEXT
        )",
    ),
    (
        None,
        "CREATE INDEX fleet_events_device ON fleet_events (sid, seq)",
    ),
    (None, "CREATE INDEX fleet_events_at ON fleet_events (at_ms)"),
    (
        None,
        "CREATE TABLE fleet_passes (
            id TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            started_ms BIGINT NOT NULL,
            finished_ms BIGINT NOT NULL,
            listed BIGINT NOT NULL,
            written BIGINT NOT NULL,
            gone BIGINT NOT NULL,
            pages BIGINT NOT NULL,
            store_ms BIGINT NOT NULL,
            error TEXT NOT NULL
        )",
    ),
    (
        None,
        "CREATE INDEX fleet_passes_started ON fleet_passes (started_ms)",
    ),
    (
        None,
        "CREATE TABLE fleet_apps (sid TEXT PRIMARY KEY, unique_name TEXT NOT NULL)",
    ),
    (
        None,
        "CREATE TABLE fleet_requests (id TEXT PRIMARY KEY, created_ms BIGINT NOT NULL)",
    ),
    // Free-text search in a row's SID and name, a substring anywhere.
    (
        Some(Dialect::Sqlite),
        "CREATE VIRTUAL TABLE fleet_search USING fts5(search, content='fleet_devices', \
         content_rowid='n', tokenize='trigram')",
    ),
    (
        Some(Dialect::Sqlite),
        "CREATE TRIGGER fleet_search_insert AFTER INSERT ON fleet_devices BEGIN \
         INSERT INTO fleet_search (rowid, search) VALUES (new.n, new.search); END",
    ),
    (
        Some(Dialect::Sqlite),
        "CREATE TRIGGER fleet_search_delete AFTER DELETE ON fleet_devices BEGIN \
         INSERT INTO fleet_search (fleet_search, rowid, search) \
         VALUES ('delete', old.n, old.search); END",
    ),
    (
        Some(Dialect::Sqlite),
        "CREATE TRIGGER fleet_search_update AFTER UPDATE OF search ON fleet_devices BEGIN \
         INSERT INTO fleet_search (fleet_search, rowid, search) \
         VALUES ('delete', old.n, old.search); \
         INSERT INTO fleet_search (rowid, search) VALUES (new.n, new.search); END",
    ),
    (
        Some(Dialect::Postgres),
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    ),
    (
        Some(Dialect::Postgres),
        "CREATE INDEX fleet_devices_search ON fleet_devices USING gin (search gin_trgm_ops)",
    ),
];

/// Statements of versions 1 and 2, the same on both databases.
const MIGRATIONS: &[&[&str]] = &[
    // 1: saved views, leases, rollouts.
    &[
        "CREATE TABLE views (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            filter TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_ms BIGINT NOT NULL,
            updated_ms BIGINT NOT NULL
        )",
        "CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_ms BIGINT NOT NULL
        )",
        "CREATE TABLE rollouts (
            id TEXT PRIMARY KEY,
            header TEXT NOT NULL,
            active BIGINT NOT NULL,
            created_ms BIGINT NOT NULL,
            updated_ms BIGINT NOT NULL
        )",
        "CREATE TABLE rollout_devices (
            rollout_id TEXT NOT NULL,
            position BIGINT NOT NULL,
            sid TEXT NOT NULL,
            record TEXT NOT NULL,
            PRIMARY KEY (rollout_id, position)
        )",
        // A person's controls, from any replica, for the one that drives rollouts to apply.
        "CREATE TABLE rollout_controls (
            id TEXT PRIMARY KEY,
            rollout_id TEXT NOT NULL,
            control TEXT NOT NULL,
            created_ms BIGINT NOT NULL
        )",
    ],
    // 2: the audit log, a hash chain; its head is one row, so appends take turns.
    &[
        "CREATE TABLE audit (
            seq BIGINT PRIMARY KEY,
            at_ms BIGINT NOT NULL,
            entry TEXT NOT NULL,
            hash TEXT NOT NULL
        )",
        "CREATE TABLE audit_head (
            id BIGINT PRIMARY KEY,
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL
        )",
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')",
    ],
];

/// Why a store at `found` cannot be used by a build that knows up to `known`.
pub fn too_new(found: i64, known: i64) -> super::error::StoreError {
    super::error::StoreError::Incompatible(format!(
        "the store is at schema version {found}, written by a newer console-server; this one \
         knows up to version {known} and leaves the store as it is"
    ))
}
