//! Embedded newsletter ledger: two tables in the local SQLite file.

use super::ports::{Counts, Delivery, NewsletterRecord, NewsletterStore};
use crate::adapters::sqlite::SqliteDb;
use crate::domain::time_fmt::{parse_rfc3339, sort_key};
use crate::domain::Slug;
use crate::ports::StoreError;
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use time::OffsetDateTime;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS newsletters (
    slug TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    planned INTEGER
);
CREATE TABLE IF NOT EXISTS newsletter_deliveries (
    slug TEXT NOT NULL,
    email_key TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at TEXT,
    PRIMARY KEY (slug, email_key)
);
";

#[derive(Clone)]
pub struct SqliteNewsletters {
    db: SqliteDb,
}

impl SqliteNewsletters {
    /// On a connection shared with the other embedded stores.
    pub fn on(db: &SqliteDb) -> Result<SqliteNewsletters, StoreError> {
        Ok(SqliteNewsletters {
            db: db.with_schema(SCHEMA)?,
        })
    }

    pub fn in_memory() -> Result<SqliteNewsletters, StoreError> {
        Ok(SqliteNewsletters {
            db: SqliteDb::in_memory(SCHEMA)?,
        })
    }
}

fn record(slug: &Slug, created_at: String, planned: Option<i64>) -> NewsletterRecord {
    NewsletterRecord {
        slug: slug.clone(),
        created_at: parse_rfc3339(&created_at).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        planned: planned.map(|p| p as u64),
    }
}

#[async_trait]
impl NewsletterStore for SqliteNewsletters {
    async fn create(
        &self,
        slug: &Slug,
        at: OffsetDateTime,
    ) -> Result<Option<NewsletterRecord>, StoreError> {
        let key = slug.to_string();
        let created = self
            .db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR IGNORE INTO newsletters (slug, created_at) VALUES (?1, ?2)",
                    params![key, sort_key(at)],
                )
            })
            .await?;
        if created == 1 {
            return Ok(None);
        }
        self.get(slug).await
    }

    async fn get(&self, slug: &Slug) -> Result<Option<NewsletterRecord>, StoreError> {
        let key = slug.to_string();
        let row = self
            .db
            .run(move |conn| {
                conn.query_row(
                    "SELECT created_at, planned FROM newsletters WHERE slug = ?1",
                    params![key],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)),
                )
                .optional()
            })
            .await?;
        Ok(row.map(|(at, planned)| record(slug, at, planned)))
    }

    async fn planned(&self, slug: &Slug, recipients: u64) -> Result<(), StoreError> {
        let key = slug.to_string();
        self.db
            .run(move |conn| {
                conn.execute(
                    "UPDATE newsletters SET planned = ?2 WHERE slug = ?1",
                    params![key, recipients as i64],
                )
            })
            .await?;
        Ok(())
    }

    async fn claim(&self, slug: &Slug, email_key: &str) -> Result<bool, StoreError> {
        let (key, email) = (slug.to_string(), email_key.to_owned());
        let n = self
            .db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR IGNORE INTO newsletter_deliveries (slug, email_key, status) VALUES (?1, ?2, 'sending')",
                    params![key, email],
                )
            })
            .await?;
        Ok(n == 1)
    }

    async fn settle(
        &self,
        slug: &Slug,
        email_key: &str,
        delivery: &Delivery,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (key, email) = (slug.to_string(), email_key.to_owned());
        let (status, detail) = (delivery.status(), delivery.detail().to_owned());
        self.db
            .run(move |conn| {
                conn.execute(
                    "UPDATE newsletter_deliveries SET status = ?3, detail = ?4, at = ?5 WHERE slug = ?1 AND email_key = ?2",
                    params![key, email, status, detail, sort_key(at)],
                )
            })
            .await?;
        Ok(())
    }

    async fn release(&self, slug: &Slug, email_key: &str) -> Result<(), StoreError> {
        let (key, email) = (slug.to_string(), email_key.to_owned());
        self.db
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM newsletter_deliveries WHERE slug = ?1 AND email_key = ?2 AND status = 'sending'",
                    params![key, email],
                )
            })
            .await?;
        Ok(())
    }

    async fn counts(&self, slug: &Slug) -> Result<Counts, StoreError> {
        let planned = self.get(slug).await?.and_then(|r| r.planned).unwrap_or(0);
        let key = slug.to_string();
        let rows = self
            .db
            .run(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT status, COUNT(*) FROM newsletter_deliveries WHERE slug = ?1 GROUP BY status",
                )?;
                let rows = stmt
                    .query_map(params![key], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        let mut counts = Counts {
            planned,
            ..Counts::default()
        };
        for (status, n) in rows {
            counts.add(&status, n as u64);
        }
        Ok(counts)
    }

    async fn list(&self) -> Result<Vec<NewsletterRecord>, StoreError> {
        let rows = self
            .db
            .run(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT slug, created_at, planned FROM newsletters ORDER BY created_at DESC, slug",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<i64>>(2)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(slug, at, planned)| {
                Slug::parse(&slug)
                    .ok()
                    .map(|slug| record(&slug, at, planned))
            })
            .collect())
    }
}
