//! Post-index port: post metadata listed newest first without reading the bucket.

use super::StoreError;
use crate::domain::archive::ArchiveSummary;
use crate::domain::{PostMeta, Slug};
use async_trait::async_trait;
use time::OffsetDateTime;

/// One page of a newest-first listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostPage {
    pub posts: Vec<PostMeta>,
    pub has_more: bool,
}

/// Post index: the metadata of every indexed post, listed newest first without reading
/// the bucket, so listings cost the same with 5 posts or 50,000.
#[async_trait]
pub trait PostIndex: Send + Sync {
    /// Inserts or replaces a post's entry (and its tag entries).
    async fn upsert(&self, meta: &PostMeta) -> Result<(), StoreError>;

    /// `upsert`, also recording the ETag of the object the entry was read from, so the
    /// reconcile pass can tell an edit whose S3 event was lost. The default drops it
    /// (then `versions` answers `None` and the pass cannot see edits, only gaps).
    async fn upsert_version(&self, meta: &PostMeta, etag: &str) -> Result<(), StoreError> {
        let _ = etag;
        self.upsert(meta).await
    }

    /// Every indexed slug with the ETag `upsert_version` recorded (`None`: unknown).
    async fn versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        Ok(self.slugs().await?.into_iter().map(|s| (s, None)).collect())
    }

    /// Takes the feeds' publishing lease for `holder` until `until`, unless another
    /// holder's lease runs past `now`; `false` when it is held. One feeds run at a time
    /// reads and publishes under it, so an older snapshot never lands over a newer one.
    /// The default grants it always (a store only one process uses).
    async fn take_publish_lease(
        &self,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let _ = (holder, now, until);
        Ok(true)
    }

    /// Gives the lease back if `holder` still has it.
    async fn release_publish_lease(&self, holder: &str) -> Result<(), StoreError> {
        let _ = holder;
        Ok(())
    }

    /// Removes a post's entry; removing an absent post is not an error.
    async fn remove(&self, slug: &Slug) -> Result<(), StoreError>;

    async fn get(&self, slug: &Slug) -> Result<Option<PostMeta>, StoreError>;

    /// Posts dated at or before `now`, newest first, skipping `offset`.
    async fn newest(
        &self,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError>;

    /// Every indexed slug, whatever its date: for the reconcile pass and a full re-index,
    /// never on a page view. The default pages through `newest`; adapters with a cheaper
    /// full listing override it.
    async fn slugs(&self) -> Result<Vec<Slug>, StoreError> {
        let far_future = OffsetDateTime::now_utc() + time::Duration::days(365 * 100);
        let mut slugs = Vec::new();
        loop {
            let page = self.newest(far_future, slugs.len(), 500).await?;
            slugs.extend(page.posts.into_iter().map(|p| p.slug));
            if !page.has_more {
                return Ok(slugs);
            }
        }
    }

    /// Posts with tag `tag` dated at or before `now`, newest first, skipping `offset`.
    async fn newest_tagged(
        &self,
        tag: &Slug,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError>;

    /// Posts dated from `from` to `until` (both included), newest first, skipping
    /// `offset`: a month of the archive. One range of the listing, like `newest`.
    async fn newest_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError>;

    /// The archive summary (tags and months with their counts) the feeds function last
    /// stored; `None` before the first.
    async fn archive_summary(&self) -> Result<Option<ArchiveSummary>, StoreError>;

    /// Replaces the archive summary.
    async fn put_archive_summary(&self, summary: &ArchiveSummary) -> Result<(), StoreError>;
}
