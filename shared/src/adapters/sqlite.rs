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
