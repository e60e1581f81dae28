//! Newsletters: each new post mailed once to every confirmed subscriber, planned in
//! batches, delivered through a queue, and recorded per recipient in a ledger.

#[cfg(feature = "aws")]
pub mod dynamodb;
pub mod mail;
pub mod mail_events;
pub mod planner;
pub mod ports;
pub mod sender;
#[cfg(feature = "embedded")]
pub mod sqlite;
#[cfg(feature = "newsletter-sqs")]
pub mod sqs;

pub use planner::{PlanOutcome, Planner};
pub use ports::{Batch, BatchQueue, Counts, Delivery, NewsletterRecord, NewsletterStore};
pub use sender::{BatchReport, LocalQueue, Sender};

/// Recipients per queued batch: one SQS message, one sender invocation's slice.
pub const BATCH_SIZE: usize = 50;

/// Subscribers read per planning page (one Query), cut into batches of `BATCH_SIZE`.
pub const PLAN_PAGE: usize = 1000;

/// Recipients of one batch handled at once by a sender (their ledger, subscriber and SES
/// calls overlap); the sends themselves stay paced at the account's rate.
pub const SENDS_IN_FLIGHT: usize = 8;
