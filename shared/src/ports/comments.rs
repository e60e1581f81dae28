//! Comment port: storing comments once, reading a post's approved thread and the site's
//! newest ones, the owner's pending queue, status changes, and flood control.

use super::StoreError;
use crate::domain::{Comment, CommentEmail, CommentId, CommentStatus, Slug};
use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

/// What became of an insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Stored,
    /// A comment with the same fingerprint exists; nothing was written.
    Duplicate,
}

/// Top-level comments per page of a thread; a reply is shown on its parent's page.
pub const THREAD_PAGE_ROOTS: u32 = 50;

/// Spam is kept this long after it was written for the owner's review, then removed
/// with its helper items (DynamoDB's TTL, and `expire_spam` in both adapters).
pub const SPAM_KEPT: Duration = Duration::days(30);

/// How many pages a thread of `roots` top-level comments (ever approved) has: at least 1.
pub fn thread_pages(roots: i64) -> u32 {
    let pages = (roots.max(0) as u64).div_ceil(u64::from(THREAD_PAGE_ROOTS));
    u32::try_from(pages).unwrap_or(u32::MAX).max(1)
}

/// The page of the top-level comment approved after `seen` others.
pub fn page_of_ordinal(seen: i64) -> u32 {
    u32::try_from(seen.max(0) / i64::from(THREAD_PAGE_ROOTS) + 1).unwrap_or(u32::MAX)
}

/// One page of a post's approved thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadPage {
    /// The page's approved comments, oldest first: its top-level comments and every
    /// reply under them.
    pub comments: Vec<Comment>,
    /// Which page this is (from 1).
    pub page: u32,
    /// How many pages the thread has (at least 1, even with no comments).
    pub pages: u32,
}

/// The answer of flood control for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Nothing from this key within the window; this attempt is now recorded.
    Allowed,
    /// Too soon: try again at this time.
    Wait(OffsetDateTime),
}

#[async_trait]
pub trait CommentStore: Send + Sync {
    /// Stores a new comment exactly once: a second comment with the same `fingerprint`
    /// (or id) is `Duplicate` and changes nothing, however many arrive at once.
    async fn insert(&self, comment: &Comment) -> Result<Inserted, StoreError>;

    async fn get(&self, id: &CommentId) -> Result<Option<Comment>, StoreError>;

    /// A post's approved comments in thread order: oldest first.
    async fn approved_for_post(&self, post: &Slug) -> Result<Vec<Comment>, StoreError>;

    /// Page `page` (from 1; `None`: the newest, i.e. last) of a post's approved thread,
    /// read by key. A top-level comment's page is fixed when it is first approved: the
    /// post's count of top-level comments approved before it, over `THREAD_PAGE_ROOTS`,
    /// plus one; a reply takes its parent's page. A page past the last is empty.
    async fn approved_page(&self, post: &Slug, page: Option<u32>)
        -> Result<ThreadPage, StoreError>;

    /// The site's newest approved comments, newest first, at most `limit`.
    async fn newest_approved(&self, limit: usize) -> Result<Vec<Comment>, StoreError>;

    /// Comments held for the owner, oldest first, at most `limit`.
    async fn pending(&self, limit: usize) -> Result<Vec<Comment>, StoreError>;

    /// Whether a comment with this fingerprint was already stored.
    async fn is_repeat(&self, fingerprint: &str) -> Result<bool, StoreError>;

    /// Whether this address has an approved comment anywhere on the site.
    async fn has_approved_from(&self, email: &CommentEmail) -> Result<bool, StoreError>;

    /// Moves a comment to `status`; the comment as it now is, or `None` if there is none.
    async fn set_status(
        &self,
        id: &CommentId,
        status: CommentStatus,
    ) -> Result<Option<Comment>, StoreError>;

    async fn approve(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        self.set_status(id, CommentStatus::Approved).await
    }

    async fn mark_spam(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        self.set_status(id, CommentStatus::Spam).await
    }

    /// Removes a comment; `false` if there was none.
    async fn delete(&self, id: &CommentId) -> Result<bool, StoreError>;

    /// Removes at most `limit` spam comments whose `SPAM_KEPT` ran out by `now` (the
    /// handler's clock), each with its fingerprint claim and id pointer; how many went.
    async fn expire_spam(&self, now: OffsetDateTime, limit: usize) -> Result<usize, StoreError>;

    /// Takes back the window `throttle(key, now, window)` recorded, if it is still that
    /// one (the attempt it let through failed before anything was stored).
    async fn release_throttle(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<(), StoreError>;

    /// Flood control: records an attempt under `key` unless one was recorded less than
    /// `window` before `now`. Atomic: of two racing attempts, one waits.
    async fn throttle(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Throttle, StoreError>;
}

/// The key under which "this address has an approved comment" is remembered: a hash of
/// the lowercased address, so the marker holds no address.
pub fn approved_author_key(email: &CommentEmail) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(email.normalized().as_bytes())[..16])
}
