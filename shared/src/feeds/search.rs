//! The search index the feeds function keeps at `search/index.bin`: rebuilt from the
//! post index's published posts (paged `newest`, so drafts and future posts are never
//! in it) and the served pages, each time the sitemap is. A post whose object is
//! unchanged since the last index (its ETag in the bucket's listing is the one the
//! index recorded) keeps its terms without a read, so an edit or a new post reads one
//! object, not every post; a post gone from the bucket or the index drops out.

use super::generate::PublishedPage;
use crate::domain::{Post, PostMeta, Slug};
use crate::ports::{ContentKey, ContentStore, Fetched, StoreError};
use crate::search::extract::{page_document, post_document};
use crate::search::{Document, IndexBuilder, SearchIndex, Stemming};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::OffsetDateTime;

pub const CONTENT_TYPE: &str = "application/octet-stream";
/// Read by the site function from the bucket, never served to a browser.
pub const CACHE_CONTROL: &str = "no-store";
/// Posts read at once when many changed (a first build, a new stemmer).
const READS_AT_ONCE: usize = 16;

/// What a build did, in the feeds function's report.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchBuild {
    /// Posts and pages in the index.
    pub documents: usize,
    /// Posts whose terms came from the last index, unread.
    pub reused: usize,
    /// Posts read from the bucket.
    pub read: usize,
    pub bytes: usize,
}

enum Step {
    Reuse(u32),
    Read(Slug),
}

// Short-lived (one per post while the index is built): the size gap costs nothing.
#[allow(clippy::large_enum_variant)]
enum Ready {
    Reused(u32),
    Read(Option<(Post, String)>),
}

/// The index of `posts` (published, newest first, as the post index lists them) and
/// `pages`, reusing `previous` where it holds an unchanged post.
pub async fn build(
    content: &dyn ContentStore,
    posts: &[PostMeta],
    pages: &[PublishedPage],
    stemming: Stemming,
    now: OffsetDateTime,
    previous: Option<&SearchIndex>,
) -> Result<(Vec<u8>, SearchBuild), StoreError> {
    // One paged listing of `posts/` (ETags included on S3): what is in the bucket now.
    let listed: HashMap<Slug, Option<String>> =
        content.list_post_versions().await?.into_iter().collect();
    let previous = previous.filter(|p| p.stemming() == stemming);
    let known: HashMap<&str, (u32, &str)> = previous
        .map(|p| {
            (0..p.len() as u32)
                .filter_map(|id| p.doc(id).map(|d| (id, d)))
                .filter(|(_, d)| d.kind == crate::search::DocKind::Post && !d.etag.is_empty())
                .map(|(id, d)| (d.slug, (id, d.etag)))
                .collect()
        })
        .unwrap_or_default();
    let plan: Vec<Step> = posts
        .iter()
        .filter_map(|meta| {
            let etag = listed.get(&meta.slug)?;
            Some(match (etag, known.get(meta.slug.as_str())) {
                (Some(etag), Some((id, was))) if etag == was => Step::Reuse(*id),
                _ => Step::Read(meta.slug.clone()),
            })
        })
        .collect();
    let forward = match (previous, plan.iter().any(|s| matches!(s, Step::Reuse(_)))) {
        (Some(p), true) => p.forward(),
        _ => Vec::new(),
    };
    let mut builder = IndexBuilder::new(stemming);
    let mut stats = SearchBuild::default();
    let mut steps = futures::stream::iter(plan.into_iter().map(|step| async move {
        Ok::<_, StoreError>(match step {
            Step::Reuse(id) => Ready::Reused(id),
            Step::Read(slug) => Ready::Read(published(content, slug, now).await?),
        })
    }))
    .buffered(READS_AT_ONCE);
    while let Some(ready) = steps.next().await {
        match ready? {
            Ready::Reused(id) => {
                let (Some(p), Some(doc)) = (previous, previous.and_then(|p| p.doc(id))) else {
                    continue;
                };
                let stored = Document {
                    kind: doc.kind,
                    slug: doc.slug.to_owned(),
                    etag: doc.etag.to_owned(),
                    title: doc.title.to_owned(),
                    summary: doc.summary.to_owned(),
                    date: doc
                        .date
                        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
                };
                let terms = forward.get(id as usize).map(Vec::as_slice).unwrap_or(&[]);
                builder.add_weighted(
                    &stored,
                    terms.iter().map(|t| (p.term(t >> 8), (t & 0xff) as u8)),
                );
                stats.reused += 1;
            }
            Ready::Read(post) => {
                stats.read += 1;
                if let Some((post, etag)) = post {
                    let (doc, text) = post_document(&post, &etag);
                    builder.add(&doc, &text);
                }
            }
        }
    }
    for page in pages {
        let (doc, text) = page_document(&page.page, &page.etag);
        builder.add(&doc, &text);
    }
    stats.documents = builder.len();
    let bytes = builder.finish();
    stats.bytes = bytes.len();
    Ok((bytes, stats))
}

/// The post in `posts/<slug>.md` with its ETag, if it may be shown at `now` (the index
/// is a hint; the object is the truth).
async fn published(
    content: &dyn ContentStore,
    slug: Slug,
    now: OffsetDateTime,
) -> Result<Option<(Post, String)>, StoreError> {
    let Fetched::Found(object) = content.get(&ContentKey::post(&slug), None).await? else {
        return Ok(None);
    };
    Ok(Post::parse(slug, &String::from_utf8_lossy(&object.bytes))
        .ok()
        .filter(|post| post.is_published(now))
        .map(|post| (post, object.etag)))
}
