//! Keeps the post index in step with the content store. The feeds function (on S3
//! events) and the local runner (on file changes) both call `sync_post`.

use crate::domain::{Post, PostError, Slug};
use crate::ports::{ContentKey, ContentStore, Fetched, PostIndex, StoreError};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexOutcome {
    /// The post's entry was written (future-dated posts too: listings filter by date).
    Indexed,
    /// A draft: kept out of the index.
    Draft,
    /// The object is gone: so is its entry.
    Removed,
    /// Bad front matter: the entry is removed and the error says which file and field.
    Rejected(PostError),
}

/// Brings one post's index entry in line with what the store holds now. Reading the
/// current object (rather than trusting the event) makes out-of-order and repeated
/// events harmless.
pub async fn sync_post(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
    slug: &Slug,
) -> Result<IndexOutcome, StoreError> {
    let object = match content.get(&ContentKey::post(slug), None).await? {
        Fetched::Found(object) => object,
        Fetched::Missing | Fetched::NotModified => {
            index.remove(slug).await?;
            return Ok(IndexOutcome::Removed);
        }
    };
    match Post::parse(slug.clone(), &String::from_utf8_lossy(&object.bytes)) {
        Ok(post) if post.front.draft => {
            index.remove(slug).await?;
            Ok(IndexOutcome::Draft)
        }
        Ok(post) => {
            index.upsert(&post.meta()).await?;
            // Hand-made `aliases` join redirects.toml (one read; a write only on change).
            if !post.front.aliases.is_empty() {
                let target = crate::redirects::post_path(slug);
                crate::redirects::sync_aliases(content, &target, &post.front.aliases).await?;
            }
            Ok(IndexOutcome::Indexed)
        }
        Err(e) => {
            tracing::error!(error = %e, "post rejected by the indexer");
            index.remove(slug).await?;
            Ok(IndexOutcome::Rejected(e))
        }
    }
}

/// Brings the index in line with the store's listing: a post in the bucket but not in
/// the index (a lost create event) is synced, an entry whose object is gone (a lost
/// delete event) is removed. One listing of each, plus one read per drifted post; the
/// hourly schedule runs it. Returns only what it changed.
pub async fn reconcile(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
) -> Result<Vec<(Slug, IndexOutcome)>, StoreError> {
    let present: BTreeSet<Slug> = content.list_post_slugs().await?.into_iter().collect();
    let indexed: BTreeSet<Slug> = index.slugs().await?.into_iter().collect();
    let mut outcomes = Vec::new();
    for slug in present.difference(&indexed) {
        let outcome = sync_post(content, index, slug).await?;
        // A draft or a rejected post is out of the index on purpose: no drift.
        if outcome == IndexOutcome::Indexed {
            outcomes.push((slug.clone(), outcome));
        }
    }
    for slug in indexed.difference(&present) {
        index.remove(slug).await?;
        outcomes.push((slug.clone(), IndexOutcome::Removed));
    }
    Ok(outcomes)
}

/// Re-indexes every post in the store and drops entries whose post is gone.
pub async fn reindex_all(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
) -> Result<Vec<(Slug, IndexOutcome)>, StoreError> {
    let present = content.list_post_slugs().await?;
    let mut outcomes = Vec::with_capacity(present.len());
    for slug in &present {
        outcomes.push((slug.clone(), sync_post(content, index, slug).await?));
    }
    let present: BTreeSet<Slug> = present.into_iter().collect();
    for slug in index.slugs().await? {
        if !present.contains(&slug) {
            index.remove(&slug).await?;
            outcomes.push((slug, IndexOutcome::Removed));
        }
    }
    Ok(outcomes)
}
