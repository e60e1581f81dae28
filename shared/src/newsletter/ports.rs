//! The newsletter's ports: the ledger of newsletters and deliveries, and the batch queue.

use crate::domain::Slug;
use crate::ports::StoreError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One newsletter: created once per post, `planned` set when every batch is queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsletterRecord {
    pub slug: Slug,
    pub created_at: OffsetDateTime,
    /// `None` while planning has not finished (a retry plans again; the ledger dedups).
    pub planned: Option<u64>,
}

/// How one recipient's mail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        message_id: String,
    },
    /// No longer confirmed when their turn came (unsubscribed, erased).
    Skipped,
    /// Refused for good (bad address, rejected content); not retried.
    Failed {
        detail: String,
    },
}

impl Delivery {
    pub fn status(&self) -> &'static str {
        match self {
            Delivery::Sent { .. } => "sent",
            Delivery::Skipped => "skipped",
            Delivery::Failed { .. } => "failed",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Delivery::Sent { message_id } => message_id,
            Delivery::Skipped => "",
            Delivery::Failed { detail } => detail,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub planned: u64,
    /// Claimed and not yet settled (in flight, or lost with a crashed invocation).
    pub sending: u64,
    pub sent: u64,
    pub skipped: u64,
    pub failed: u64,
}

impl Counts {
    /// Adds `n` deliveries recorded with `status`.
    pub fn add(&mut self, status: &str, n: u64) {
        match status {
            "sending" => self.sending += n,
            "sent" => self.sent += n,
            "skipped" => self.skipped += n,
            _ => self.failed += n,
        }
    }
}

/// Newsletters and their per-recipient ledger. Every write is conditional, so two
/// planners or two deliveries of one batch never mail anyone twice.
#[async_trait]
pub trait NewsletterStore: Send + Sync {
    /// Creates the newsletter of `slug`; `None` when it exists already (its record).
    async fn create(
        &self,
        slug: &Slug,
        at: OffsetDateTime,
    ) -> Result<Option<NewsletterRecord>, StoreError>;

    async fn get(&self, slug: &Slug) -> Result<Option<NewsletterRecord>, StoreError>;

    /// Planning finished with `recipients` queued.
    async fn planned(&self, slug: &Slug, recipients: u64) -> Result<(), StoreError>;

    /// Claims the mail of (newsletter, subscriber); false when it was claimed before.
    async fn claim(&self, slug: &Slug, email_key: &str) -> Result<bool, StoreError>;

    /// Records how a claimed mail ended.
    async fn settle(
        &self,
        slug: &Slug,
        email_key: &str,
        delivery: &Delivery,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// A transient failure: forgets the claim so the redelivered batch sends it.
    async fn release(&self, slug: &Slug, email_key: &str) -> Result<(), StoreError>;

    /// Ledger counts by status (pages through the newsletter's deliveries).
    async fn counts(&self, slug: &Slug) -> Result<Counts, StoreError>;

    /// Every newsletter, newest first.
    async fn list(&self) -> Result<Vec<NewsletterRecord>, StoreError>;
}

/// A slice of one newsletter's recipients: one queue message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The newsletter: a post's slug, or a digest's id (`digest-<date>`).
    pub slug: String,
    pub recipients: Vec<String>,
    /// A digest's posts, newest first; empty for one post's newsletter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub posts: Vec<String>,
}

/// Where the planner puts batches: SQS in AWS, the sender in process locally.
#[async_trait]
pub trait BatchQueue: Send + Sync {
    async fn enqueue(&self, batch: &Batch) -> Result<(), StoreError>;
}
