//! Embedded post index: a SQLite file, one row per post and one per (tag, post).

use super::sqlite::SqliteDb;
use crate::domain::archive::ArchiveSummary;
use crate::domain::{PostMeta, Slug};
use crate::ports::{PostIndex, PostPage, StoreError};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use std::path::Path;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct SqlitePostIndex {
    db: SqliteDb,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS posts (
    slug TEXT PRIMARY KEY,
    sort_key TEXT NOT NULL,
    meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_by_date ON posts (sort_key);
CREATE TABLE IF NOT EXISTS post_tags (
    tag TEXT NOT NULL,
    slug TEXT NOT NULL REFERENCES posts (slug) ON DELETE CASCADE,
    sort_key TEXT NOT NULL,
    PRIMARY KEY (tag, slug)
);
CREATE INDEX IF NOT EXISTS post_tags_by_date ON post_tags (tag, sort_key);
-- The ETag of the object each entry was read from, for the reconcile pass. Its own
-- table so that an index file made before it opens unchanged.
-- The archive summary the feeds function stores (one row).
CREATE TABLE IF NOT EXISTS archive_summary (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS post_versions (
    slug TEXT PRIMARY KEY REFERENCES posts (slug) ON DELETE CASCADE,
    etag TEXT NOT NULL
);
";

impl SqlitePostIndex {
    pub fn open(path: &Path) -> Result<SqlitePostIndex, StoreError> {
        Ok(SqlitePostIndex {
            db: SqliteDb::open(path, SCHEMA)?,
        })
    }

    /// On a connection shared with the other embedded stores.
    pub fn on(db: &SqliteDb) -> Result<SqlitePostIndex, StoreError> {
        Ok(SqlitePostIndex {
            db: db.with_schema(SCHEMA)?,
        })
    }

    /// The entry, its tags and (when known) the object's ETag, in one transaction.
    async fn write(&self, meta: &PostMeta, etag: Option<String>) -> Result<(), StoreError> {
        let meta = meta.clone();
        let json = serde_json::to_string(&meta).map_err(StoreError::new)?;
        self.db.run(move |conn| {
            let tx = conn.transaction()?;
            let sort_key = meta.sort_key();
            tx.execute(
                "INSERT INTO posts (slug, sort_key, meta) VALUES (?1, ?2, ?3)
                 ON CONFLICT (slug) DO UPDATE SET sort_key = excluded.sort_key, meta = excluded.meta",
                params![meta.slug.as_str(), sort_key, json],
            )?;
            tx.execute("DELETE FROM post_tags WHERE slug = ?1", params![meta.slug.as_str()])?;
            for tag in &meta.tags {
                tx.execute(
                    "INSERT INTO post_tags (tag, slug, sort_key) VALUES (?1, ?2, ?3)",
                    params![tag.slug.as_str(), meta.slug.as_str(), sort_key],
                )?;
            }
            match &etag {
                Some(etag) => tx.execute(
                    "INSERT INTO post_versions (slug, etag) VALUES (?1, ?2)
                     ON CONFLICT (slug) DO UPDATE SET etag = excluded.etag",
                    params![meta.slug.as_str(), etag],
                )?,
                None => tx.execute("DELETE FROM post_versions WHERE slug = ?1", params![meta.slug.as_str()])?,
            };
            tx.commit()
        })
        .await
    }

    pub fn in_memory() -> Result<SqlitePostIndex, StoreError> {
        Ok(SqlitePostIndex {
            db: SqliteDb::in_memory(SCHEMA)?,
        })
    }
}

fn decode(meta: String) -> rusqlite::Result<PostMeta> {
    serde_json::from_str(&meta).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn page(rows: Vec<String>, limit: usize) -> rusqlite::Result<PostPage> {
    let has_more = rows.len() > limit;
    let posts = rows
        .into_iter()
        .take(limit)
        .map(decode)
        .collect::<rusqlite::Result<_>>()?;
    Ok(PostPage { posts, has_more })
}

/// Everything at or before `now` sorts below this bound (see `PostMeta::sort_key`).
fn upper_bound(now: OffsetDateTime) -> String {
    PostMeta::sort_key_upper_bound(now)
}

#[async_trait]
impl PostIndex for SqlitePostIndex {
    async fn upsert(&self, meta: &PostMeta) -> Result<(), StoreError> {
        self.write(meta, None).await
    }

    async fn upsert_version(&self, meta: &PostMeta, etag: &str) -> Result<(), StoreError> {
        self.write(meta, Some(etag.to_owned())).await
    }

    async fn versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        let rows = self
            .db
            .run(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT p.slug, v.etag FROM posts p LEFT JOIN post_versions v ON v.slug = p.slug
                     ORDER BY p.slug",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(slug, etag)| Some((Slug::parse(&slug).ok()?, etag)))
            .collect())
    }

    async fn remove(&self, slug: &Slug) -> Result<(), StoreError> {
        let slug = slug.clone();
        self.db
            .run(move |conn| {
                conn.execute("DELETE FROM posts WHERE slug = ?1", params![slug.as_str()])
                    .map(drop)
            })
            .await
    }

    async fn get(&self, slug: &Slug) -> Result<Option<PostMeta>, StoreError> {
        let slug = slug.clone();
        self.db
            .run(move |conn| {
                conn.query_row(
                    "SELECT meta FROM posts WHERE slug = ?1",
                    params![slug.as_str()],
                    |r| r.get(0),
                )
                .optional()?
                .map(decode)
                .transpose()
            })
            .await
    }

    async fn newest(
        &self,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.db.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT meta FROM posts WHERE sort_key < ?1 ORDER BY sort_key DESC LIMIT ?2 OFFSET ?3",
            )?;
            let rows = stmt
                .query_map(params![upper_bound(now), limit as i64 + 1, offset as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            page(rows, limit)
        })
        .await
    }

    async fn newest_tagged(
        &self,
        tag: &Slug,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        let tag = tag.clone();
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT p.meta FROM post_tags t JOIN posts p ON p.slug = t.slug
                 WHERE t.tag = ?1 AND t.sort_key < ?2 ORDER BY t.sort_key DESC LIMIT ?3 OFFSET ?4",
                )?;
                let rows = stmt
                    .query_map(
                        params![
                            tag.as_str(),
                            upper_bound(now),
                            limit as i64 + 1,
                            offset as i64
                        ],
                        |r| r.get(0),
                    )?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                page(rows, limit)
            })
            .await
    }

    async fn newest_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT meta FROM posts WHERE sort_key >= ?1 AND sort_key < ?2
                     ORDER BY sort_key DESC LIMIT ?3 OFFSET ?4",
                )?;
                let rows = stmt
                    .query_map(
                        params![
                            crate::domain::time_fmt::sort_key(from),
                            upper_bound(until),
                            limit as i64 + 1,
                            offset as i64
                        ],
                        |r| r.get(0),
                    )?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                page(rows, limit)
            })
            .await
    }

    async fn archive_summary(&self) -> Result<Option<ArchiveSummary>, StoreError> {
        let body: Option<String> = self
            .db
            .run(|conn| {
                conn.query_row("SELECT body FROM archive_summary WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()
            })
            .await?;
        body.map(|b| serde_json::from_str(&b).map_err(StoreError::new))
            .transpose()
    }

    async fn put_archive_summary(&self, summary: &ArchiveSummary) -> Result<(), StoreError> {
        let body = serde_json::to_string(summary).map_err(StoreError::new)?;
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO archive_summary (id, body) VALUES (1, ?1)
                     ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                    params![body],
                )
                .map(drop)
            })
            .await
    }
}
