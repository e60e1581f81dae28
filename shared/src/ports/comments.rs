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

/// How often an unconditional change re-reads a comment whose status moved meanwhile.
const UNCONDITIONAL_TRIES: usize = 8;

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
    /// How many approved comments the whole thread holds, on every page.
    pub total: usize,
}

/// What became of a conditional status change (`move_status`, `delete_if`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Applied: the comment as it now is (for a delete, as it was).
    Done(Comment),
    /// Its status was no longer the one expected (another change got there first);
    /// nothing was written. The comment as it now is.
    Conflict(Comment),
    /// There is no such comment (any more).
    Missing,
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

    /// The page of `post`'s thread that shows the approved comment `id` (read by key);
    /// `None` when `id` is not an approved comment of `post`.
    async fn page_of(&self, post: &Slug, id: &CommentId) -> Result<Option<u32>, StoreError>;

    /// The site's newest approved comments, newest first, at most `limit`.
    async fn newest_approved(&self, limit: usize) -> Result<Vec<Comment>, StoreError>;

    /// Comments held for the owner, oldest first, at most `limit`.
    async fn pending(&self, limit: usize) -> Result<Vec<Comment>, StoreError>;

    /// Whether a comment with this fingerprint was already stored.
    async fn is_repeat(&self, fingerprint: &str) -> Result<bool, StoreError>;

    /// Whether this address has an approved comment anywhere on the site.
    async fn has_approved_from(&self, email: &CommentEmail) -> Result<bool, StoreError>;

    /// Moves a comment from `from` to `to` only if its status is still `from`, atomically
    /// with the check: of two racing changes from the same status, exactly one is `Done`
    /// and the other a `Conflict` that wrote nothing. `from == to` is `Done` unwritten.
    async fn move_status(
        &self,
        id: &CommentId,
        from: CommentStatus,
        to: CommentStatus,
    ) -> Result<Transition, StoreError>;

    /// Removes a comment (with its claim and pointer) only if its status is still `from`,
    /// atomically with the check, as `move_status` does.
    async fn delete_if(
        &self,
        id: &CommentId,
        from: CommentStatus,
    ) -> Result<Transition, StoreError>;

    /// Moves a comment to `status` whatever it is now; the comment as it now is, or
    /// `None` if there is none. (The owner's CLI; a moderation link uses `move_status`.)
    async fn set_status(
        &self,
        id: &CommentId,
        status: CommentStatus,
    ) -> Result<Option<Comment>, StoreError> {
        for _ in 0..UNCONDITIONAL_TRIES {
            let Some(now) = self.get(id).await? else {
                return Ok(None);
            };
            match self.move_status(id, now.status, status).await? {
                Transition::Done(c) => return Ok(Some(c)),
                Transition::Missing => return Ok(None),
                Transition::Conflict(_) => continue,
            }
        }
        Err(StoreError::new(format!(
            "comment {id}: its status kept changing under the update"
        )))
    }

    async fn approve(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        self.set_status(id, CommentStatus::Approved).await
    }

    async fn mark_spam(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        self.set_status(id, CommentStatus::Spam).await
    }

    /// Removes a comment whatever its status; `false` if there was none.
    async fn delete(&self, id: &CommentId) -> Result<bool, StoreError> {
        for _ in 0..UNCONDITIONAL_TRIES {
            let Some(now) = self.get(id).await? else {
                return Ok(false);
            };
            match self.delete_if(id, now.status).await? {
                Transition::Done(_) => return Ok(true),
                Transition::Missing => return Ok(false),
                Transition::Conflict(_) => continue,
            }
        }
        Err(StoreError::new(format!(
            "comment {id}: its status kept changing under the delete"
        )))
    }

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
