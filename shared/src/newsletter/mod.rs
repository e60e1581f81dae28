//! Newsletters: each new post mailed once to every confirmed subscriber, planned in
//! batches, delivered through a queue, and recorded per recipient in a ledger.

#[cfg(feature = "aws")]
pub mod dynamodb;
pub mod mail;
pub mod planner;
pub mod ports;
pub mod sender;
#[cfg(feature = "embedded")]
pub mod sqlite;

pub use planner::{PlanOutcome, Planner};
pub use ports::{Batch, BatchQueue, Counts, Delivery, NewsletterRecord, NewsletterStore};
pub use sender::{BatchReport, LocalQueue, Sender};

/// Adds `n` deliveries of `status` to the counts (shared by the ledgers).
#[cfg(any(feature = "aws", feature = "embedded"))]
fn add(counts: &mut Counts, status: &str, n: u64) {
    match status {
        "sending" => counts.sending += n,
        "sent" => counts.sent += n,
        "skipped" => counts.skipped += n,
        _ => counts.failed += n,
    }
}

/// Recipients per queued batch: one SQS message, one sender invocation's slice.
pub const BATCH_SIZE: usize = 50;
