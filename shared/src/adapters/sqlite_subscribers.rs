//! Embedded subscriber store and rate counters: tables in the local SQLite file.

use super::sqlite::SqliteDb;
use crate::domain::time_fmt::{parse_rfc3339, sort_key};
use crate::domain::SubscriberEmail;
use crate::ports::subscribers::CLAIM_LEASE;
use crate::ports::{
    ConfirmOutcome, RateCounter, Signup, SignupOutcome, StoreError, Subscriber, SubscriberStore,
    SubscriptionStatus,
};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use time::{Duration, OffsetDateTime};

#[derive(Clone)]
pub struct SqliteSubscribers {
    db: SqliteDb,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS subscribers (
    email_key TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    status TEXT NOT NULL,
    signed_up_at TEXT NOT NULL,
    confirmed_at TEXT,
    unsubscribed_at TEXT,
    source TEXT NOT NULL,
    client_hash TEXT NOT NULL,
    confirmation_sent_at TEXT
);
CREATE INDEX IF NOT EXISTS subscribers_by_status ON subscribers (status, signed_up_at);
CREATE TABLE IF NOT EXISTS subscriber_mailed (
    email_key TEXT PRIMARY KEY,
    mailed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_counters (
    counter_key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (counter_key, window_start)
);
";

const COLUMNS: &str = "email, status, signed_up_at, confirmed_at, unsubscribed_at, source, client_hash, confirmation_sent_at";

impl SqliteSubscribers {
    pub fn open(path: &Path) -> Result<SqliteSubscribers, StoreError> {
        Ok(SqliteSubscribers {
            db: SqliteDb::open(path, SCHEMA)?,
        })
    }

    /// On a connection shared with the other embedded stores.
    pub fn on(db: &SqliteDb) -> Result<SqliteSubscribers, StoreError> {
        Ok(SqliteSubscribers {
            db: db.with_schema(SCHEMA)?,
        })
    }

    pub fn in_memory() -> Result<SqliteSubscribers, StoreError> {
        Ok(SqliteSubscribers {
            db: SqliteDb::in_memory(SCHEMA)?,
        })
    }
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("bad subscriber {what}").into(),
    )
}

fn row_to_subscriber(row: &rusqlite::Row<'_>) -> rusqlite::Result<Subscriber> {
    let time = |i: usize| -> rusqlite::Result<Option<OffsetDateTime>> {
        row.get::<_, Option<String>>(i)?
            .map(|s| parse_rfc3339(&s).ok_or_else(|| corrupt("time")))
            .transpose()
    };
    Ok(Subscriber {
        email: SubscriberEmail::parse(&row.get::<_, String>(0)?).map_err(|_| corrupt("email"))?,
        status: SubscriptionStatus::parse(&row.get::<_, String>(1)?)
            .ok_or_else(|| corrupt("status"))?,
        signed_up_at: time(2)?.ok_or_else(|| corrupt("signed_up_at"))?,
        confirmed_at: time(3)?,
        unsubscribed_at: time(4)?,
        source: row.get(5)?,
        client_hash: row.get(6)?,
        confirmation_sent_at: time(7)?,
    })
}

/// The claim time whose mail was reported sent.
fn mailed(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT mailed_at FROM subscriber_mailed WHERE email_key = ?1",
        params![key],
        |r| r.get(0),
    )
    .optional()
}

fn current(conn: &Connection, key: &str) -> rusqlite::Result<Option<Subscriber>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM subscribers WHERE email_key = ?1"),
        params![key],
        row_to_subscriber,
    )
    .optional()
}

#[async_trait]
impl SubscriberStore for SqliteSubscribers {
    async fn sign_up(
        &self,
        signup: &Signup,
        resend_after: Duration,
    ) -> Result<SignupOutcome, StoreError> {
        let signup = signup.clone();
        self.db.run(move |conn| {
            // IMMEDIATE: the read and the write below are one step for every writer,
            // including another process on the same file.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let key = signup.email.key().to_owned();
            let at = sort_key(signup.at);
            let outcome = match current(&tx, &key)? {
                None | Some(Subscriber {
                    status: SubscriptionStatus::Unsubscribed,
                    ..
                }) => {
                    tx.execute(
                        "INSERT INTO subscribers (email_key, email, status, signed_up_at, source, client_hash, confirmation_sent_at)
                         VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?3)
                         ON CONFLICT (email_key) DO UPDATE SET email = excluded.email, status = 'pending',
                           signed_up_at = excluded.signed_up_at, confirmed_at = NULL, unsubscribed_at = NULL,
                           source = excluded.source, client_hash = excluded.client_hash,
                           confirmation_sent_at = excluded.confirmation_sent_at",
                        params![key, signup.email.as_str(), at, signup.source, signup.client_hash],
                    )?;
                    tx.execute("DELETE FROM subscriber_mailed WHERE email_key = ?1", params![key])?;
                    SignupOutcome::Created
                }
                Some(Subscriber {
                    status: SubscriptionStatus::Pending,
                    confirmation_sent_at,
                    ..
                }) if confirmation_sent_at.is_none_or(|sent| {
                    sent + resend_after <= signup.at
                        || (mailed(&tx, &key).ok().flatten() != Some(sort_key(sent))
                            && sent + CLAIM_LEASE <= signup.at)
                }) => {
                    tx.execute(
                        "UPDATE subscribers SET confirmation_sent_at = ?2 WHERE email_key = ?1",
                        params![key, at],
                    )?;
                    SignupOutcome::ResendConfirmation
                }
                Some(_) => SignupOutcome::Unchanged,
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn confirmation_not_sent(
        &self,
        email: &SubscriberEmail,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let key = email.key().to_owned();
        self.db
            .run(move |conn| {
                conn.execute(
                    "UPDATE subscribers SET confirmation_sent_at = NULL
                 WHERE email_key = ?1 AND status = 'pending' AND confirmation_sent_at = ?2",
                    params![key, sort_key(sent_at)],
                )
                .map(drop)
            })
            .await
    }

    async fn confirmation_sent(
        &self,
        email: &SubscriberEmail,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let key = email.key().to_owned();
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO subscriber_mailed (email_key, mailed_at)
                     SELECT email_key, confirmation_sent_at FROM subscribers
                     WHERE email_key = ?1 AND confirmation_sent_at = ?2
                     ON CONFLICT (email_key) DO UPDATE SET mailed_at = excluded.mailed_at",
                    params![key, sort_key(sent_at)],
                )
                .map(drop)
            })
            .await
    }

    async fn confirm(
        &self,
        email: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<ConfirmOutcome, StoreError> {
        let key = email.key().to_owned();
        self.db.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let outcome = match current(&tx, &key)?.map(|s| s.status) {
                None => ConfirmOutcome::Missing,
                Some(SubscriptionStatus::Confirmed) => ConfirmOutcome::AlreadyConfirmed,
                Some(
                    SubscriptionStatus::Unsubscribed
                    | SubscriptionStatus::Bounced
                    | SubscriptionStatus::Complained,
                ) => ConfirmOutcome::Unsubscribed,
                Some(SubscriptionStatus::Pending) => {
                    tx.execute(
                        "UPDATE subscribers SET status = 'confirmed', confirmed_at = ?2 WHERE email_key = ?1",
                        params![key, sort_key(at)],
                    )?;
                    ConfirmOutcome::Confirmed
                }
            };
            tx.commit()?;
            Ok(outcome)
        })
        .await
    }

    async fn unsubscribe(
        &self,
        email: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let key = email.key().to_owned();
        self.db
            .run(move |conn| {
                let changed = conn.execute(
                    "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ?2
                 WHERE email_key = ?1 AND status IN ('pending', 'confirmed')",
                    params![key, sort_key(at)],
                )?;
                Ok(changed > 0)
            })
            .await
    }

    async fn get(&self, email: &SubscriberEmail) -> Result<Option<Subscriber>, StoreError> {
        let key = email.key().to_owned();
        self.db.run(move |conn| current(conn, &key)).await
    }

    async fn confirmed(&self) -> Result<Vec<Subscriber>, StoreError> {
        self.db.run(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM subscribers WHERE status = 'confirmed' ORDER BY signed_up_at, email_key"
            ))?;
            let rows = stmt
                .query_map([], row_to_subscriber)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn erase(&self, email: &SubscriberEmail) -> Result<bool, StoreError> {
        let key = email.key().to_owned();
        self.db
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM subscriber_mailed WHERE email_key = ?1",
                    params![key],
                )?;
                Ok(conn.execute("DELETE FROM subscribers WHERE email_key = ?1", params![key])? > 0)
            })
            .await
    }

    async fn confirmed_page(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError> {
        self.status_page(SubscriptionStatus::Confirmed, cursor, limit)
            .await
    }

    async fn status_page(
        &self,
        status: SubscriptionStatus,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError> {
        let after = cursor.unwrap_or("").to_owned();
        let limit = limit.max(1);
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT {COLUMNS}, email_key FROM subscribers WHERE status = ?3 AND email_key > ?1 ORDER BY email_key LIMIT ?2"
                ))?;
                let mut last = None;
                let rows = stmt
                    .query_map(params![after, limit as i64 + 1, status.as_str()], |row| {
                        Ok((row_to_subscriber(row)?, row.get::<_, String>(8)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let more = rows.len() > limit;
                let page = rows
                    .into_iter()
                    .take(limit)
                    .map(|(s, key)| {
                        last = Some(key);
                        s
                    })
                    .collect();
                Ok((page, if more { last } else { None }))
            })
            .await
    }

    async fn suppress(
        &self,
        email: &SubscriberEmail,
        status: SubscriptionStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        if !status.is_suppressed() {
            return Err(StoreError::new("suppress takes bounced or complained"));
        }
        let key = email.key().to_owned();
        self.db
            .run(move |conn| {
                let changed = conn.execute(
                    "UPDATE subscribers SET status = ?2, unsubscribed_at = ?3
                 WHERE email_key = ?1 AND status NOT IN ('bounced', 'complained')",
                    params![key, status.as_str(), sort_key(at)],
                )?;
                Ok(changed > 0)
            })
            .await
    }

    async fn import(&self, subscriber: &Subscriber) -> Result<bool, StoreError> {
        let s = subscriber.clone();
        let time = |t: Option<OffsetDateTime>| t.map(sort_key);
        self.db
            .run(move |conn| {
                let written = conn.execute(
                    &format!(
                        "INSERT OR IGNORE INTO subscribers (email_key, {COLUMNS})
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                    ),
                    params![
                        s.email.key(),
                        s.email.as_str(),
                        s.status.as_str(),
                        sort_key(s.signed_up_at),
                        time(s.confirmed_at),
                        time(s.unsubscribed_at),
                        s.source,
                        s.client_hash,
                        time(s.confirmation_sent_at)
                    ],
                )?;
                Ok(written == 1)
            })
            .await
    }
}

#[async_trait]
impl RateCounter for SqliteSubscribers {
    async fn hit(
        &self,
        key: &str,
        window_start: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let key = key.to_owned();
        self.db.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Expired windows go here, as DynamoDB's TTL removes them there.
            tx.execute(
                "DELETE FROM rate_counters WHERE expires_at < ?1",
                params![window_start.unix_timestamp()],
            )?;
            let hits: i64 = tx.query_row(
                "INSERT INTO rate_counters (counter_key, window_start, hits, expires_at) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (counter_key, window_start) DO UPDATE SET hits = hits + 1
                 RETURNING hits",
                params![key, window_start.unix_timestamp(), expires_at.unix_timestamp()],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(hits.max(0) as u64)
        })
        .await
    }
}
