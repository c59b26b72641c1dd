//! The emulator's state in SQLite. Each change is committed before its response is sent, so
//! it survives a restart or a `kill -9`.

use std::path::Path;

use microvisor_sim::{RecordKind, RecordWrite};
use rusqlite::{Connection, params};

pub struct StateFile {
    connection: Connection,
}

impl StateFile {
    pub fn open(path: &Path) -> rusqlite::Result<StateFile> {
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.execute_batch(
            "CREATE TABLE IF NOT EXISTS records (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                pos INTEGER NOT NULL,
                json TEXT NOT NULL,
                PRIMARY KEY (kind, id)
            );",
        )?;
        Ok(StateFile { connection })
    }

    /// Every stored record in creation order, or an empty list for a new file.
    pub fn load(&self) -> rusqlite::Result<Vec<(RecordKind, String)>> {
        let mut statement = self
            .connection
            .prepare("SELECT kind, json FROM records ORDER BY pos")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut records = Vec::new();
        for row in rows {
            let (kind, json) = row?;
            // A kind this version does not know is skipped rather than failing the start.
            if let Some(kind) = RecordKind::parse(&kind) {
                records.push((kind, json));
            }
        }
        Ok(records)
    }

    /// Applies writes in one transaction: all of them, or none.
    pub fn write(&mut self, writes: &[RecordWrite]) -> rusqlite::Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let transaction = self.connection.transaction()?;
        {
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO records (kind, id, pos, json)
                 VALUES (?1, ?2, (SELECT IFNULL(MAX(pos), 0) + 1 FROM records), ?3)
                 ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json",
            )?;
            let mut delete =
                transaction.prepare_cached("DELETE FROM records WHERE kind = ?1 AND id = ?2")?;
            for write in writes {
                match &write.json {
                    Some(json) => upsert.execute(params![write.kind.as_str(), write.id, json])?,
                    None => delete.execute(params![write.kind.as_str(), write.id])?,
                };
            }
        }
        transaction.commit()
    }
}
