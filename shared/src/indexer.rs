//! Keeps the post index in step with the content store. The feeds function (on S3
//! events) and the local runner (on file changes) both call `sync_post` and `sync_page`.

use crate::domain::{Page, Post, PostError, Slug};
use crate::ports::{ContentKey, ContentStore, Fetched, PostIndex, StoreError};
use crate::redirects::{sync_aliases, AliasOwner};
use std::collections::{BTreeMap, BTreeSet};

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

/// Brings one post's index entry, and its `aliases` in `redirects.toml`, in line with
/// what the store holds now. Reading the current object (rather than trusting the event)
/// makes out-of-order and repeated events harmless. The aliases are synced first (see
/// `redirects::sync_aliases`): a crash between the two leaves the index entry behind,
/// which the reconcile pass notices and syncs again.
pub async fn sync_post(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
    slug: &Slug,
) -> Result<IndexOutcome, StoreError> {
    sync_aliases(content, &[AliasOwner::Post(slug.clone())]).await?;
    index_post(content, index, slug).await
}

/// `sync_post` without the aliases: for callers that sync the aliases of many posts in
/// one write (a rebuild, an import) before or after.
pub async fn index_post(
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
            index.upsert_version(&post.meta(), &object.etag).await?;
            Ok(IndexOutcome::Indexed)
        }
        Err(e) => {
            tracing::error!(error = %e, "post rejected by the indexer");
            index.remove(slug).await?;
            Ok(IndexOutcome::Rejected(e))
        }
    }
}

/// What a page upload changes besides the sitemap: checks it (a bad or reserved page is
/// `Rejected` with its file and field, and logged) and brings its hand-made `aliases`
/// in line. Pages have no index entry: they are read per request, and the sitemap lists
/// them from the bucket (`feeds::generate::published_pages`). `Indexed` means served.
pub async fn sync_page(
    content: &dyn ContentStore,
    slug: &Slug,
) -> Result<IndexOutcome, StoreError> {
    // The aliases follow the page's front matter as stored now (none once it is gone,
    // a draft or rejected): `redirects::sync_aliases` reads it itself.
    sync_aliases(content, &[AliasOwner::Page(slug.clone())]).await?;
    Ok(match content.get(&ContentKey::page(slug), None).await? {
        Fetched::Found(object) => {
            match Page::parse(slug.clone(), &String::from_utf8_lossy(&object.bytes)) {
                Ok(page) if page.draft => IndexOutcome::Draft,
                Ok(_) => IndexOutcome::Indexed,
                Err(e) => {
                    tracing::error!(error = %e, "page rejected by the indexer");
                    IndexOutcome::Rejected(e)
                }
            }
        }
        Fetched::Missing | Fetched::NotModified => IndexOutcome::Removed,
    })
}

/// Brings the index in line with the store's listing: a post in the bucket but not in
/// the index (a lost create event) or whose listed ETag differs from the one indexed (a
/// lost edit event) is synced, an entry whose object is gone (a lost delete event) is
/// removed. One listing of each, plus one read per drifted post; the hourly schedule
/// runs it. Returns only what it changed.
pub async fn reconcile(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
) -> Result<Vec<(Slug, IndexOutcome)>, StoreError> {
    Ok(reconcile_listed(content, index).await?.0)
}

/// `reconcile`, also answering the store's post slugs (sorted), which the hourly run's
/// comment-feed check walks.
pub async fn reconcile_listed(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
) -> Result<(Vec<(Slug, IndexOutcome)>, Vec<Slug>), StoreError> {
    let present: BTreeMap<Slug, Option<String>> =
        content.list_post_versions().await?.into_iter().collect();
    let indexed: BTreeMap<Slug, Option<String>> = index.versions().await?.into_iter().collect();
    let mut outcomes = Vec::new();
    for (slug, listed) in &present {
        let edited = match (indexed.get(slug), listed) {
            (None, _) => false,
            (Some(Some(recorded)), Some(listed)) if recorded != listed => true,
            // The same ETag, or one unknown on either side: nothing to repair.
            (Some(_), _) => continue,
        };
        let outcome = sync_post(content, index, slug).await?;
        // A draft or a rejected post that was not indexed is out on purpose: no drift.
        // One that was (an edit made it a draft) left the index: that is a change.
        if outcome == IndexOutcome::Indexed || edited {
            outcomes.push((slug.clone(), outcome));
        }
    }
    for slug in indexed.keys().filter(|s| !present.contains_key(*s)) {
        sync_aliases(content, &[AliasOwner::Post(slug.clone())]).await?;
        index.remove(slug).await?;
        outcomes.push((slug.clone(), IndexOutcome::Removed));
    }
    Ok((outcomes, present.into_keys().collect()))
}

/// Re-indexes every post in the store, drops entries whose post is gone, and derives
/// `[aliases]` again from every post and page (one write at most).
pub async fn reindex_all(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
) -> Result<Vec<(Slug, IndexOutcome)>, StoreError> {
    crate::redirects::rebuild_aliases(content).await?;
    let present = content.list_post_slugs().await?;
    let mut outcomes = Vec::with_capacity(present.len());
    for slug in &present {
        outcomes.push((slug.clone(), index_post(content, index, slug).await?));
    }
    outcomes.extend(drop_missing(index, &present).await?);
    Ok(outcomes)
}

/// Removes the entries of posts not in `present` (the store's listing): the end of a
/// full re-index, in one invocation or over several.
pub async fn drop_missing(
    index: &dyn PostIndex,
    present: &[Slug],
) -> Result<Vec<(Slug, IndexOutcome)>, StoreError> {
    let present: BTreeSet<&Slug> = present.iter().collect();
    let mut outcomes = Vec::new();
    for slug in index.slugs().await? {
        if !present.contains(&slug) {
            index.remove(&slug).await?;
            outcomes.push((slug, IndexOutcome::Removed));
        }
    }
    Ok(outcomes)
}
