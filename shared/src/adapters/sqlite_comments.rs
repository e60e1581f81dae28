//! Embedded comment store: a SQLite table of comments (one JSON document each, with the
//! columns the queries need), the thread pages approved comments were given, each
//! post's count of top-level comments, and a table of flood-control windows.

use super::sqlite::SqliteDb;
use crate::domain::time_fmt;
use crate::domain::{Comment, CommentEmail, CommentId, CommentStatus, Slug};
use crate::ports::comments::{approved_author_key, page_of_ordinal, thread_pages, SPAM_KEPT};
use crate::ports::{CommentStore, Inserted, StoreError, ThreadPage, Throttle, Transition};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use time::{Duration, OffsetDateTime};

#[derive(Clone)]
pub struct SqliteCommentStore {
    db: SqliteDb,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS comments (
    id TEXT PRIMARY KEY,
    post TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    status TEXT NOT NULL,
    author_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_by_post ON comments (post, status, sort_key);
CREATE INDEX IF NOT EXISTS comments_by_status ON comments (status, sort_key);
CREATE INDEX IF NOT EXISTS comments_by_author ON comments (author_key, status);
CREATE TABLE IF NOT EXISTS comment_pages (
    id TEXT PRIMARY KEY,
    post TEXT NOT NULL,
    page INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS comment_pages_by_post ON comment_pages (post, page);
CREATE TABLE IF NOT EXISTS comment_threads (
    post TEXT PRIMARY KEY,
    roots INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS comment_throttle (
    key TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL
);
";

impl SqliteCommentStore {
    pub fn open(path: &Path) -> Result<SqliteCommentStore, StoreError> {
        Ok(SqliteCommentStore {
            db: SqliteDb::open(path, SCHEMA)?,
        })
    }

    /// On a connection shared with the other embedded stores.
    pub fn on(db: &SqliteDb) -> Result<SqliteCommentStore, StoreError> {
        Ok(SqliteCommentStore {
            db: db.with_schema(SCHEMA)?,
        })
    }

    pub fn in_memory() -> Result<SqliteCommentStore, StoreError> {
        Ok(SqliteCommentStore {
            db: SqliteDb::in_memory(SCHEMA)?,
        })
    }

    async fn list(&self, sql: &'static str, args: Vec<String>) -> Result<Vec<Comment>, StoreError> {
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(sql)?;
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                rows.into_iter().map(|(d, s)| decode(&d, &s)).collect()
            })
            .await
    }
}

fn decode(data: &str, status: &str) -> rusqlite::Result<Comment> {
    let bad = |e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e)
    };
    let mut comment: Comment = serde_json::from_str(data).map_err(|e| bad(Box::new(e)))?;
    comment.status =
        CommentStatus::parse(status).ok_or_else(|| bad(format!("bad status {status}").into()))?;
    Ok(comment)
}

/// Gives a comment becoming approved its thread page, once (kept on later moves): its
/// parent's page, or the next top-level ordinal's (the rule of `CommentStore`).
fn place(conn: &Connection, c: &Comment) -> rusqlite::Result<()> {
    let has: Option<i64> = conn
        .query_row(
            "SELECT page FROM comment_pages WHERE id = ?1",
            params![c.id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    if has.is_some() {
        return Ok(());
    }
    let parent_page: Option<i64> = match &c.parent {
        Some(parent) => conn
            .query_row(
                "SELECT page FROM comment_pages WHERE id = ?1",
                params![parent.as_str()],
                |r| r.get(0),
            )
            .optional()?,
        None => None,
    };
    let page = match parent_page {
        Some(page) => page,
        None => {
            let seen: i64 = conn
                .query_row(
                    "SELECT roots FROM comment_threads WHERE post = ?1",
                    params![c.post.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            conn.execute(
                "INSERT INTO comment_threads (post, roots) VALUES (?1, ?2)
                 ON CONFLICT (post) DO UPDATE SET roots = excluded.roots",
                params![c.post.as_str(), seen + 1],
            )?;
            i64::from(page_of_ordinal(seen))
        }
    };
    conn.execute(
        "INSERT INTO comment_pages (id, post, page) VALUES (?1, ?2, ?3)",
        params![c.id.as_str(), c.post.as_str(), page],
    )?;
    Ok(())
}

/// One comment by id, as stored now.
fn row(conn: &Connection, id: &CommentId) -> rusqlite::Result<Option<Comment>> {
    conn.query_row(
        "SELECT data, status FROM comments WHERE id = ?1",
        params![id.as_str()],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )
    .optional()?
    .map(|(d, s)| decode(&d, &s))
    .transpose()
}

fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[async_trait]
impl CommentStore for SqliteCommentStore {
    async fn insert(&self, comment: &Comment) -> Result<Inserted, StoreError> {
        let c = comment.clone();
        let data = serde_json::to_string(&c).map_err(StoreError::new)?;
        let author = approved_author_key(&c.email);
        self.db.run(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO comments (id, post, sort_key, status, author_key, fingerprint, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    c.id.as_str(),
                    c.post.as_str(),
                    c.sort_key(),
                    c.status.as_str(),
                    author,
                    c.fingerprint,
                    data
                ],
            )?;
            if n == 1 && c.status == CommentStatus::Approved {
                place(&tx, &c)?;
            }
            tx.commit()?;
            Ok(if n == 1 {
                Inserted::Stored
            } else {
                Inserted::Duplicate
            })
        })
        .await
    }

    async fn get(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        let id = id.clone();
        self.db.run(move |conn| row(conn, &id)).await
    }

    async fn approved_for_post(&self, post: &Slug) -> Result<Vec<Comment>, StoreError> {
        self.list(
            "SELECT data, status FROM comments WHERE post = ?1 AND status = 'approved' ORDER BY sort_key",
            vec![post.to_string()],
        )
        .await
    }

    async fn approved_page(
        &self,
        post: &Slug,
        page: Option<u32>,
    ) -> Result<ThreadPage, StoreError> {
        let slug = post.to_string();
        let (roots, total): (i64, i64) = self
            .db
            .run(move |conn| {
                let roots = conn
                    .query_row(
                        "SELECT roots FROM comment_threads WHERE post = ?1",
                        params![slug],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or(0);
                let total = conn.query_row(
                    "SELECT COUNT(*) FROM comments WHERE post = ?1 AND status = 'approved'",
                    params![slug],
                    |r| r.get(0),
                )?;
                Ok((roots, total))
            })
            .await?;
        let pages = thread_pages(roots);
        let page = page.unwrap_or(pages);
        let comments = self
            .list(
                "SELECT c.data, c.status FROM comment_pages p JOIN comments c ON c.id = p.id
                 WHERE p.post = ?1 AND p.page = ?2 AND c.status = 'approved'
                 ORDER BY c.sort_key",
                vec![post.to_string(), page.to_string()],
            )
            .await?;
        Ok(ThreadPage {
            comments,
            page,
            pages,
            total: usize::try_from(total).unwrap_or(0),
        })
    }

    async fn page_of(&self, post: &Slug, id: &CommentId) -> Result<Option<u32>, StoreError> {
        let (post, id) = (post.to_string(), id.to_string());
        let page: Option<i64> = self
            .db
            .run(move |conn| {
                conn.query_row(
                    "SELECT p.page FROM comment_pages p JOIN comments c ON c.id = p.id
                     WHERE p.id = ?1 AND c.post = ?2 AND c.status = 'approved'",
                    params![id, post],
                    |r| r.get(0),
                )
                .optional()
            })
            .await?;
        Ok(page.and_then(|p| u32::try_from(p).ok()))
    }

    async fn newest_approved(&self, limit: usize) -> Result<Vec<Comment>, StoreError> {
        self.list(
            "SELECT data, status FROM comments WHERE status = 'approved' ORDER BY sort_key DESC LIMIT ?1",
            vec![limit.to_string()],
        )
        .await
    }

    async fn pending(&self, limit: usize) -> Result<Vec<Comment>, StoreError> {
        self.list(
            "SELECT data, status FROM comments WHERE status = 'pending' ORDER BY sort_key LIMIT ?1",
            vec![limit.to_string()],
        )
        .await
    }

    async fn is_repeat(&self, fingerprint: &str) -> Result<bool, StoreError> {
        let fp = fingerprint.to_owned();
        self.db
            .run(move |conn| {
                conn.query_row(
                    "SELECT 1 FROM comments WHERE fingerprint = ?1",
                    params![fp],
                    |_| Ok(()),
                )
                .optional()
                .map(|r| r.is_some())
            })
            .await
    }

    async fn has_approved_from(&self, email: &CommentEmail) -> Result<bool, StoreError> {
        let key = approved_author_key(email);
        self.db
            .run(move |conn| {
                conn.query_row(
                    "SELECT 1 FROM comments WHERE author_key = ?1 AND status = 'approved' LIMIT 1",
                    params![key],
                    |_| Ok(()),
                )
                .optional()
                .map(|r| r.is_some())
            })
            .await
    }

    async fn move_status(
        &self,
        id: &CommentId,
        from: CommentStatus,
        to: CommentStatus,
    ) -> Result<Transition, StoreError> {
        let id = id.clone();
        self.db
            .run(move |conn| {
                // Check and change in one write transaction: of two racing changes from
                // `from`, the second finds the status moved and changes nothing.
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let Some(old) = row(&tx, &id)? else {
                    return Ok(Transition::Missing);
                };
                if from == to && old.status == from {
                    return Ok(Transition::Done(old));
                }
                let n = tx.execute(
                    "UPDATE comments SET status = ?3 WHERE id = ?1 AND status = ?2",
                    params![id.as_str(), from.as_str(), to.as_str()],
                )?;
                if n == 0 {
                    return Ok(Transition::Conflict(old));
                }
                let new = Comment { status: to, ..old };
                if to == CommentStatus::Approved {
                    place(&tx, &new)?;
                }
                tx.commit()?;
                Ok(Transition::Done(new))
            })
            .await
    }

    async fn delete_if(
        &self,
        id: &CommentId,
        from: CommentStatus,
    ) -> Result<Transition, StoreError> {
        let id = id.clone();
        self.db
            .run(move |conn| {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let Some(old) = row(&tx, &id)? else {
                    return Ok(Transition::Missing);
                };
                let n = tx.execute(
                    "DELETE FROM comments WHERE id = ?1 AND status = ?2",
                    params![id.as_str(), from.as_str()],
                )?;
                if n == 0 {
                    return Ok(Transition::Conflict(old));
                }
                tx.execute(
                    "DELETE FROM comment_pages WHERE id = ?1",
                    params![id.as_str()],
                )?;
                tx.commit()?;
                Ok(Transition::Done(old))
            })
            .await
    }

    async fn expire_spam(&self, now: OffsetDateTime, limit: usize) -> Result<usize, StoreError> {
        // What DynamoDB's spam expiry removes: spam written up to `now - SPAM_KEPT`, by
        // the time-ordered key (its fingerprint goes with the row; no pointer exists).
        let due = format!("{}#~", time_fmt::sort_key_millis(now - SPAM_KEPT));
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let ids: Vec<String> = {
                    let mut stmt = tx.prepare(
                        "SELECT id FROM comments WHERE status = 'spam' AND sort_key <= ?1
                         ORDER BY sort_key LIMIT ?2",
                    )?;
                    let rows = stmt
                        .query_map(params![due, limit as i64], |r| r.get(0))?
                        .collect::<rusqlite::Result<Vec<String>>>()?;
                    rows
                };
                for id in &ids {
                    tx.execute("DELETE FROM comment_pages WHERE id = ?1", params![id])?;
                    tx.execute("DELETE FROM comments WHERE id = ?1", params![id])?;
                }
                tx.commit()?;
                Ok(ids.len())
            })
            .await
    }

    async fn release_throttle(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<(), StoreError> {
        let key = key.to_owned();
        let until_ms = millis(now + window);
        self.db
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM comment_throttle WHERE key = ?1 AND until_ms = ?2",
                    params![key, until_ms],
                )
                .map(|_| ())
            })
            .await
    }

    async fn throttle(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Throttle, StoreError> {
        let key = key.to_owned();
        let now_ms = millis(now);
        let until_ms = millis(now + window);
        self.db
            .run(move |conn| {
                let changed = conn.execute(
                    "INSERT INTO comment_throttle (key, until_ms) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET until_ms = excluded.until_ms
                 WHERE comment_throttle.until_ms <= ?3",
                    params![key, until_ms, now_ms],
                )?;
                if changed == 1 {
                    return Ok(Throttle::Allowed);
                }
                let until: i64 = conn.query_row(
                    "SELECT until_ms FROM comment_throttle WHERE key = ?1",
                    params![key],
                    |r| r.get(0),
                )?;
                let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(until) * 1_000_000)
                    .unwrap_or(now);
                Ok(Throttle::Wait(at))
            })
            .await
    }
}
