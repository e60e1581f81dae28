//! Delivery: one batch of recipients, each claimed in the ledger before its mail is
//! sent, so a redelivered or concurrent batch mails nobody twice.

use super::mail::NewsletterMail;
use super::ports::{Batch, BatchQueue, Delivery, NewsletterStore};
use super::SENDS_IN_FLIGHT;
use crate::domain::{Secret, Slug, SubscriberEmail};
use crate::ports::{
    ContentStore, MailError, Mailer, StoreError, SubscriberStore, SubscriptionStatus,
};
use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// What one delivery of a batch did. `retry` holds recipients whose mail failed for a
/// passing reason (throttling, an outage): the queue redelivers the batch for them.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    pub sent: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Already claimed by an earlier delivery.
    pub already: u64,
    pub retry: Vec<String>,
    /// Calls made to the mailer (throttled attempts included).
    pub mail_calls: u64,
}

pub struct Sender {
    pub content: Arc<dyn ContentStore>,
    pub subscribers: Arc<dyn SubscriberStore>,
    pub store: Arc<dyn NewsletterStore>,
    pub mailer: Arc<dyn Mailer>,
    pub secret: Secret,
    /// Overrides `base_url` from site.toml (the deployed or local address).
    pub base_url: Option<String>,
    /// Pause between two sends of one invocation: concurrency / SES `MaxSendRate`.
    pub pace: Duration,
    /// Throttled sends are retried this many times in process, backing off.
    pub throttle_retries: u32,
    pub clock: fn() -> OffsetDateTime,
}

/// Whether a mail error is worth retrying (SES throttling, a network or service fault)
/// rather than a refusal of this message.
pub fn is_transient(e: &MailError) -> bool {
    let d = e.detail.to_ascii_lowercase();
    [
        "throttl",
        "too many",
        "rate exceeded",
        "sending rate",
        "serviceunavailable",
        "service unavailable",
        "internal",
        "timeout",
        "timed out",
        "dispatch",
        "connection",
    ]
    .iter()
    .any(|word| d.contains(word))
}

fn is_throttle(e: &MailError) -> bool {
    let d = e.detail.to_ascii_lowercase();
    d.contains("throttl")
        || d.contains("too many")
        || d.contains("rate exceeded")
        || d.contains("sending rate")
}

/// How one recipient of a batch ended in this delivery.
enum Outcome {
    Sent,
    Skipped,
    Failed,
    Already,
    Retry(String),
}

/// Spaces the starts of an invocation's sends by `pace` while several are in flight:
/// each send takes the next free slot, so the rate is the paced one however many wait.
struct Pacer {
    pace: Duration,
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    async fn wait(&self) {
        if self.pace.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.pace);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

impl Sender {
    pub async fn deliver(&self, batch: &Batch) -> Result<BatchReport, StoreError> {
        let mut report = BatchReport::default();
        let slug = Slug::parse(&batch.slug).map_err(|_| StoreError::new("bad slug in a batch"))?;
        let now = (self.clock)();
        let mail =
            NewsletterMail::for_batch(self.content.as_ref(), batch, self.base_url.as_deref(), now)
                .await?;
        let pacer = Pacer {
            pace: self.pace,
            next: tokio::sync::Mutex::new(None),
        };
        let calls = std::sync::atomic::AtomicU64::new(0);
        // Up to SENDS_IN_FLIGHT recipients at once (their store calls and SES calls
        // overlap); the pacer keeps the sends themselves at the account's rate.
        let each: Vec<_> = batch
            .recipients
            .iter()
            .map(|address| self.deliver_one(&slug, address, mail.as_ref(), now, &pacer, &calls))
            .collect();
        let outcomes: Vec<Result<Outcome, StoreError>> = stream::iter(each)
            .buffer_unordered(SENDS_IN_FLIGHT)
            .collect()
            .await;
        report.mail_calls = calls.into_inner();
        let mut error = None;
        for outcome in outcomes {
            match outcome {
                Ok(Outcome::Sent) => report.sent += 1,
                Ok(Outcome::Skipped) => report.skipped += 1,
                Ok(Outcome::Failed) => report.failed += 1,
                Ok(Outcome::Already) => report.already += 1,
                Ok(Outcome::Retry(address)) => report.retry.push(address),
                Err(e) => error = Some(e),
            }
        }
        // A store failure fails the batch: the queue redelivers it and the ledger skips
        // the recipients settled meanwhile.
        match error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    async fn deliver_one(
        &self,
        slug: &Slug,
        address: &str,
        mail: Option<&NewsletterMail>,
        now: OffsetDateTime,
        pacer: &Pacer,
        calls: &std::sync::atomic::AtomicU64,
    ) -> Result<Outcome, StoreError> {
        let Ok(email) = SubscriberEmail::parse(address) else {
            return Ok(Outcome::Failed);
        };
        if !self.store.claim(slug, email.key()).await? {
            return Ok(Outcome::Already);
        }
        // Read now, not at planning: an unsubscribe, bounce or complaint since is honoured.
        let confirmed = matches!(
            self.subscribers.get(&email).await?,
            Some(s) if s.status == SubscriptionStatus::Confirmed
        );
        let Some(mail) = mail.filter(|_| confirmed) else {
            self.store
                .settle(slug, email.key(), &Delivery::Skipped, now)
                .await?;
            return Ok(Outcome::Skipped);
        };
        pacer.wait().await;
        let message = mail.to(&self.secret, &email, now);
        match self.send_with_backoff(&message, calls).await {
            Ok(message_id) => {
                self.store
                    .settle(
                        slug,
                        email.key(),
                        &Delivery::Sent { message_id },
                        (self.clock)(),
                    )
                    .await?;
                Ok(Outcome::Sent)
            }
            Err(e) if is_transient(&e) => {
                tracing::warn!(error = %e, "newsletter mail deferred");
                self.store.release(slug, email.key()).await?;
                Ok(Outcome::Retry(address.to_owned()))
            }
            Err(e) => {
                tracing::error!(error = %e, "newsletter mail refused");
                let failed = Delivery::Failed { detail: e.detail };
                self.store
                    .settle(slug, email.key(), &failed, (self.clock)())
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }

    async fn send_with_backoff(
        &self,
        mail: &crate::ports::Mail,
        calls: &std::sync::atomic::AtomicU64,
    ) -> Result<String, MailError> {
        let mut wait = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match self.mailer.send(mail).await {
                Err(e) if is_throttle(&e) && attempt < self.throttle_retries => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                other => return other,
            }
        }
    }
}

/// The embedded queue: delivers each batch in process at once, redelivering it while
/// some of its mails failed for a passing reason (what SQS does with a batch failure).
pub struct LocalQueue {
    pub sender: Arc<Sender>,
    pub redeliveries: u32,
}

#[async_trait]
impl BatchQueue for LocalQueue {
    async fn enqueue(&self, batch: &Batch) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            let report = self.sender.deliver(batch).await?;
            if report.retry.is_empty() || attempt >= self.redeliveries {
                if !report.retry.is_empty() {
                    tracing::error!(left = report.retry.len(), "newsletter batch gave up");
                }
                return Ok(());
            }
            attempt += 1;
        }
    }
}
