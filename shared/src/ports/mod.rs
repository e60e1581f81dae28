//! Ports: what handlers need from storage and mail, with no SDK type in sight. Each
//! port has an AWS adapter and an embedded adapter (see `adapters`), held to one
//! contract suite in `tests/`.

pub mod comments;
pub mod content;
pub mod mail;
pub mod post_index;
pub mod rate_counter;
pub mod subscribers;

use std::fmt;

pub use comments::{CommentStore, Inserted, ThreadPage, Throttle, Transition};
pub use content::{
    ContentKey, ContentStore, Fetched, MediaHeaders, MediaKey, MediaLink, StoredObject,
};
pub use mail::{Mail, MailError, Mailer};
pub use post_index::{PostIndex, PostPage};
pub use rate_counter::RateCounter;
pub use subscribers::{
    ConfirmOutcome, Signup, SignupOutcome, Subscriber, SubscriberStore, SubscriptionStatus,
};

/// A storage backend failed; the visitor sees a 503 page, the log sees `detail`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage unavailable: {detail}")]
pub struct StoreError {
    pub detail: String,
}

impl StoreError {
    pub fn new(detail: impl fmt::Display) -> StoreError {
        StoreError {
            detail: detail.to_string(),
        }
    }
}
