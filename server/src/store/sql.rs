//! Every statement of the store, written once with `?` placeholders in the common ground of
//! SQLite and PostgreSQL (TEXT, BIGINT, primary keys and upserts).

pub const LIST_VIEWS: &str =
    "SELECT id, name, filter, created_by, created_ms, updated_ms FROM views ORDER BY name";
pub const GET_VIEW: &str =
    "SELECT id, name, filter, created_by, created_ms, updated_ms FROM views WHERE id = ?";
pub const INSERT_VIEW: &str = "INSERT INTO views (id, name, filter, created_by, created_ms, updated_ms) \
     VALUES (?, ?, ?, ?, ?, ?)";
pub const UPDATE_VIEW: &str =
    "UPDATE views SET name = ?, filter = COALESCE(?, filter), updated_ms = ? WHERE id = ?";
pub const DELETE_VIEW: &str = "DELETE FROM views WHERE id = ?";

pub const ACQUIRE_LEASE: &str = "INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?) \
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms \
     WHERE leases.holder = excluded.holder OR leases.expires_ms < ?";
pub const RELEASE_LEASE: &str = "DELETE FROM leases WHERE name = ? AND holder = ?";

pub const UPSERT_ROLLOUT: &str = "INSERT INTO rollouts (id, header, active, created_ms, updated_ms) \
     VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET header = excluded.header, \
     active = excluded.active, updated_ms = excluded.updated_ms";
pub const UPSERT_ROLLOUT_DEVICE: &str = "INSERT INTO rollout_devices (rollout_id, position, sid, record) \
     VALUES (?, ?, ?, ?) ON CONFLICT (rollout_id, position) DO UPDATE SET record = excluded.record";
pub const LIST_ROLLOUTS: &str = "SELECT header FROM rollouts ORDER BY created_ms DESC, id";
pub const GET_ROLLOUT: &str = "SELECT header FROM rollouts WHERE id = ?";
pub const GET_ROLLOUT_DEVICES: &str =
    "SELECT record FROM rollout_devices WHERE rollout_id = ? ORDER BY position";
pub const ACTIVE_ROLLOUTS: &str = "SELECT id FROM rollouts WHERE active = 1 ORDER BY created_ms";

pub const QUEUE_CONTROL: &str =
    "INSERT INTO rollout_controls (id, rollout_id, control, created_ms) VALUES (?, ?, ?, ?)";
pub const QUEUED_CONTROLS: &str =
    "SELECT id, rollout_id, control FROM rollout_controls ORDER BY created_ms, id";
pub const DELETE_CONTROL: &str = "DELETE FROM rollout_controls WHERE id = ?";

pub const AUDIT_HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
pub const INSERT_AUDIT: &str = "INSERT INTO audit (seq, at_ms, entry, hash) VALUES (?, ?, ?, ?)";
pub const MOVE_AUDIT_HEAD: &str = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1";
pub const AUDIT_BEFORE: &str =
    "SELECT seq, at_ms, entry, hash FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?";
pub const AUDIT_AFTER: &str =
    "SELECT seq, at_ms, entry, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?";

/// The table that says which version a store is at.
pub const CREATE_SCHEMA_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS console_schema (id BIGINT PRIMARY KEY, version BIGINT NOT NULL)";
pub const READ_VERSION: &str = "SELECT version FROM console_schema WHERE id = 1";
pub const WRITE_VERSION: &str = "INSERT INTO console_schema (id, version) VALUES (1, ?) \
     ON CONFLICT (id) DO UPDATE SET version = excluded.version";
/// PostgreSQL: replicas take turns migrating (SQLite's write lock does this by itself).
pub const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(120355241815667)";
