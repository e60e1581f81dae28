//! Delivery: one batch of recipients, each claimed in the ledger before its mail is
//! sent, so a redelivered or concurrent batch mails nobody twice.

use super::mail::PostMail;
use super::planner::{read_post, read_settings};
use super::ports::{Batch, BatchQueue, Delivery, NewsletterStore};
use crate::domain::{Secret, Slug, SubscriberEmail};
use crate::ports::{
    ContentStore, MailError, Mailer, StoreError, SubscriberStore, SubscriptionStatus,
};
use async_trait::async_trait;
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

impl Sender {
    pub async fn deliver(&self, batch: &Batch) -> Result<BatchReport, StoreError> {
        let mut report = BatchReport::default();
        let slug = Slug::parse(&batch.slug).map_err(|_| StoreError::new("bad slug in a batch"))?;
        let now = (self.clock)();
        let settings = read_settings(self.content.as_ref()).await?;
        // Unpublished or deleted since planning: nobody gets it.
        let post = read_post(self.content.as_ref(), &slug)
            .await?
            .filter(|p| p.is_published(now));
        let mail = post.map(|post| PostMail::new(settings, post, self.base_url.as_deref()));
        let mut first = true;
        for address in &batch.recipients {
            let Ok(email) = SubscriberEmail::parse(address) else {
                report.failed += 1;
                continue;
            };
            if !self.store.claim(&slug, email.key()).await? {
                report.already += 1;
                continue;
            }
            let confirmed = matches!(
                self.subscribers.get(&email).await?,
                Some(s) if s.status == SubscriptionStatus::Confirmed
            );
            let Some(mail) = mail.as_ref().filter(|_| confirmed) else {
                self.store
                    .settle(&slug, email.key(), &Delivery::Skipped, now)
                    .await?;
                report.skipped += 1;
                continue;
            };
            if !first && !self.pace.is_zero() {
                tokio::time::sleep(self.pace).await;
            }
            first = false;
            let message = mail.to(&self.secret, &email, now);
            match self.send_with_backoff(&message, &mut report).await {
                Ok(message_id) => {
                    self.store
                        .settle(
                            &slug,
                            email.key(),
                            &Delivery::Sent { message_id },
                            (self.clock)(),
                        )
                        .await?;
                    report.sent += 1;
                }
                Err(e) if is_transient(&e) => {
                    tracing::warn!(error = %e, "newsletter mail deferred");
                    self.store.release(&slug, email.key()).await?;
                    report.retry.push(address.clone());
                }
                Err(e) => {
                    tracing::error!(error = %e, "newsletter mail refused");
                    let failed = Delivery::Failed { detail: e.detail };
                    self.store
                        .settle(&slug, email.key(), &failed, (self.clock)())
                        .await?;
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    async fn send_with_backoff(
        &self,
        mail: &crate::ports::Mail,
        report: &mut BatchReport,
    ) -> Result<String, MailError> {
        let mut wait = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            report.mail_calls += 1;
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
