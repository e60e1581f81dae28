//! Newsletters: each new post mailed once to every confirmed subscriber, planned in
//! batches, delivered through a queue, and recorded per recipient in a ledger.

pub mod dynamodb;
pub mod mail;
pub mod planner;
pub mod ports;
pub mod sender;
pub mod sqlite;

pub use planner::{PlanOutcome, Planner};
pub use ports::{Batch, BatchQueue, Counts, Delivery, NewsletterRecord, NewsletterStore};
pub use sender::{BatchReport, LocalQueue, Sender};

/// Recipients per queued batch: one SQS message, one sender invocation's slice.
pub const BATCH_SIZE: usize = 50;
