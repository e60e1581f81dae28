//! Gathers approved comments for the comment feeds: the site's newest (one Query with a
//! limit) and one post's thread, each paired with its post's title. Comments on a post
//! that is not published (a draft, removed, or dated in the future) stay out.

use super::generate::{absolute_links, CommentFeedItem, FeedSite};
use crate::domain::{Comment, PostMeta, Slug};
use crate::ports::{CommentStore, PostIndex, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// Where a comment lives on its post's page (the anchor the article template gives it).
pub fn comment_permalink(site: &FeedSite, comment: &Comment) -> String {
    format!("{}#comment-{}", site.post_url(&comment.post), comment.id)
}

fn item(site: &FeedSite, post: &PostMeta, comment: &Comment) -> CommentFeedItem {
    CommentFeedItem {
        permalink: comment_permalink(site, comment),
        author: comment.author.as_str().to_owned(),
        post_slug: comment.post.clone(),
        post_title: post.title.clone(),
        date: comment.created_at,
        html: absolute_links(&comment.body_html, &site.base_url),
    }
}

/// The post's index entry if it is published at `now`.
async fn published(
    index: &dyn PostIndex,
    slug: &Slug,
    now: OffsetDateTime,
) -> Result<Option<PostMeta>, StoreError> {
    Ok(index.get(slug).await?.filter(|p| p.date <= now))
}

/// The site's newest approved comments, newest first: one comment query and one index
/// read per distinct post among them.
pub async fn site_comments(
    comments: &dyn CommentStore,
    index: &dyn PostIndex,
    site: &FeedSite,
    now: OffsetDateTime,
) -> Result<Vec<CommentFeedItem>, StoreError> {
    let newest = comments.newest_approved(site.items).await?;
    let slugs: BTreeSet<&Slug> = newest.iter().map(|c| &c.post).collect();
    let lookups = slugs.into_iter().map(|slug| async move {
        Ok::<_, StoreError>((slug.clone(), published(index, slug, now).await?))
    });
    let posts: BTreeMap<Slug, Option<PostMeta>> = futures::future::try_join_all(lookups)
        .await?
        .into_iter()
        .collect();
    Ok(newest
        .iter()
        .filter_map(|c| Some(item(site, posts.get(&c.post)?.as_ref()?, c)))
        .collect())
}

/// One post's newest approved comments, newest first, with the post's entry; `None` when
/// the post is not published.
pub async fn post_comments(
    comments: &dyn CommentStore,
    index: &dyn PostIndex,
    site: &FeedSite,
    slug: &Slug,
    now: OffsetDateTime,
) -> Result<Option<(PostMeta, Vec<CommentFeedItem>)>, StoreError> {
    let Some(post) = published(index, slug, now).await? else {
        return Ok(None);
    };
    let thread = comments.approved_for_post(slug).await?;
    let items = thread
        .iter()
        .rev()
        .take(site.items)
        .map(|c| item(site, &post, c))
        .collect();
    Ok(Some((post, items)))
}
