//! The store's schema, version by version. Each version's statements run in one transaction
//! with the version bump, so a store is always at exactly one version. The SQL is the common
//! ground of SQLite and PostgreSQL: TEXT, BIGINT, primary keys and upserts.

/// The schema this build writes and reads.
pub const SCHEMA_VERSION: i64 = 2;

/// Statements of each version, from 1.
pub const MIGRATIONS: &[&[&str]] = &[
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
