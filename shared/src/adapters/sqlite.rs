//! The embedded adapters' shared SQLite plumbing: one file (or memory), the schema each
//! adapter brings, and blocking calls moved off the async runtime's threads.

use crate::ports::StoreError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteDb {
    /// Opens (or creates) the file and applies `schema` (`CREATE ... IF NOT EXISTS`).
    pub fn open(path: &Path, schema: &str) -> Result<SqliteDb, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::new(format!("creating {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::new(format!("opening {}: {e}", path.display())))?;
        // The local site and the CLI may open the file at once.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(StoreError::new)?;
        // Write-ahead log: a write (one comment = one statement = one transaction) appends
        // to the log and readers never wait for it; `NORMAL` syncs at checkpoints, not on
        // every commit (a power cut may lose the last commits, never corrupt the file).
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(|e| StoreError::new(format!("setting WAL on {}: {e}", path.display())))?;
        Self::with_connection(conn, schema)
    }

    pub fn in_memory(schema: &str) -> Result<SqliteDb, StoreError> {
        Self::with_connection(
            Connection::open_in_memory().map_err(StoreError::new)?,
            schema,
        )
    }

    /// This same connection with one more adapter's schema applied: the local site's
    /// stores share one connection, so their writes never wait on each other.
    pub fn with_schema(&self, schema: &str) -> Result<SqliteDb, StoreError> {
        let conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        conn.execute_batch(schema).map_err(StoreError::new)?;
        Ok(self.clone())
    }

    fn with_connection(conn: Connection, schema: &str) -> Result<SqliteDb, StoreError> {
        conn.execute_batch(schema).map_err(StoreError::new)?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection on a blocking thread.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(StoreError::new)?
        .map_err(StoreError::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_database_writes_ahead_and_syncs_normally() {
        let dir = std::env::temp_dir().join(format!("lambdapress-wal-{}", std::process::id()));
        let db = SqliteDb::open(&dir.join("db.sqlite"), "").unwrap();
        let (mode, sync): (String, i64) = db
            .run(|c| {
                Ok((
                    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                    c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
                ))
            })
            .await
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 1), "1 is NORMAL");
        let _ = std::fs::remove_dir_all(dir);
    }
}
