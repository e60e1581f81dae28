//! Gathers what the feeds say (site settings, the newest posts with their HTML, the
//! newest approved comments) and turns it into the objects to publish.

use super::{atom, json_feed, rss, sitemap};
use crate::domain::{Page, Post, PostMeta, SiteSettings, Slug};
use crate::ports::{ContentKey, ContentStore, Fetched, PostIndex, StoreError};
use crate::render::render_markdown;
use time::OffsetDateTime;

pub const RSS: &str = "application/rss+xml; charset=utf-8";
pub const ATOM: &str = "application/atom+xml; charset=utf-8";
pub const JSON_FEED: &str = "application/feed+json; charset=utf-8";
pub const XML: &str = "application/xml; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";
/// Feed readers poll; five minutes keeps them close to current at little cost.
pub const CACHE_FEED: &str = "public, max-age=300";
pub const CACHE_SITEMAP: &str = "public, max-age=3600";

/// Items per feed never exceed this, whatever `feed_items` says.
pub const MAX_FEED_ITEMS: u16 = 100;
/// The sitemap protocol's limit for one file.
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// One object to publish, with the headers it is served with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub key: ContentKey,
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

impl Output {
    fn new(key: &str, bytes: Vec<u8>, content_type: &'static str, cache: &'static str) -> Output {
        let key = ContentKey::generated(key).expect("generated keys are plain names");
        Output::at(key, bytes, content_type, cache)
    }

    fn at(
        key: ContentKey,
        bytes: Vec<u8>,
        content_type: &'static str,
        cache: &'static str,
    ) -> Output {
        Output {
            key,
            bytes,
            content_type,
            cache_control: cache,
        }
    }
}

/// What every feed says about the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSite {
    pub title: String,
    pub description: String,
    /// No trailing slash.
    pub base_url: String,
    pub language: String,
    pub author: String,
    pub items: usize,
}

impl FeedSite {
    pub fn new(settings: &SiteSettings) -> FeedSite {
        FeedSite {
            title: settings.title.clone(),
            description: if settings.description.is_empty() {
                settings.title.clone()
            } else {
                settings.description.clone()
            },
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            language: settings.language.clone(),
            author: settings.owner.name.clone(),
            items: usize::from(settings.feed_items.clamp(1, MAX_FEED_ITEMS)),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The feed titles that are ours, in the site's language.
    pub fn messages(&self) -> &'static crate::i18n::Messages {
        crate::i18n::messages(crate::i18n::Language::of_tag(&self.language).unwrap_or_default())
    }

    pub fn home(&self) -> String {
        self.url("/")
    }

    pub fn post_url(&self, slug: &Slug) -> String {
        self.url(&crate::site::routes::post_path(slug))
    }

    pub fn tag_url(&self, tag: &Slug) -> String {
        self.url(&crate::site::routes::tag_path(tag))
    }
}

/// A post as the feeds carry it: its index entry and its full HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPost {
    pub meta: PostMeta,
    /// The rendered body, with site-relative links made absolute (feed readers have no page
    /// to resolve them against).
    pub html: String,
}

impl FeedPost {
    /// When the post last changed: `updated` if later than `date`.
    pub fn modified(&self) -> OffsetDateTime {
        self.meta
            .updated
            .unwrap_or(self.meta.date)
            .max(self.meta.date)
    }
}

/// An approved comment as the comment feeds carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentFeedItem {
    /// Stable and unique: the comment's permalink.
    pub permalink: String,
    pub author: String,
    pub post_slug: Slug,
    pub post_title: String,
    pub date: OffsetDateTime,
    /// Sanitized HTML of the comment body.
    pub html: String,
}

/// The newest posts the feeds carry, and the index entries found to disagree with
/// their object.
#[derive(Debug, Default)]
pub struct NewestPosts {
    pub posts: Vec<FeedPost>,
    /// Listed by the index, but the object is missing, unparsable, a draft or dated after
    /// `now`: left out of the feeds; the caller re-syncs their entries.
    pub stale: Vec<Slug>,
}

/// The newest `site.items` published posts with their HTML. The index is a hint, the
/// object is the truth: each listed post's object is read (the feeds need its body
/// anyway) and published only if it parses, is no draft and is dated by `now`; what it
/// says then (title, summary, dates, tags) is what the feed carries. One index query
/// and one object read per item, however many posts the site has; a stale entry costs
/// one more read, at most `4 × items` reads in all.
pub async fn newest_posts(
    content: &dyn ContentStore,
    index: &dyn PostIndex,
    site: &FeedSite,
    now: OffsetDateTime,
) -> Result<NewestPosts, StoreError> {
    let mut out = NewestPosts::default();
    let budget = site.items * 4;
    let mut offset = 0;
    while out.posts.len() < site.items && offset < budget {
        let want = (site.items - out.posts.len()).min(budget - offset);
        let page = index.newest(now, offset, want).await?;
        offset += page.posts.len();
        let reads = page.posts.into_iter().map(|meta| async move {
            let fetched = content.get(&ContentKey::post(&meta.slug), None).await?;
            Ok::<_, StoreError>((meta.slug.clone(), checked(fetched, meta.slug, now)))
        });
        for (slug, post) in futures::future::try_join_all(reads).await? {
            match post {
                Some(post) => {
                    let html = lead_image(&post) + &render_markdown(&post.body_markdown).html;
                    out.posts.push(FeedPost {
                        html: absolute_links(&html, &site.base_url),
                        meta: post.meta(),
                    });
                }
                None => out.stale.push(slug),
            }
        }
        if !page.has_more {
            break;
        }
    }
    // The object's date may differ from the entry's: keep the feed newest first.
    out.posts
        .sort_by_key(|p| std::cmp::Reverse(p.meta.sort_key()));
    Ok(out)
}

/// The post an object holds, if it may be published at `now`.
fn checked(
    fetched: Fetched<crate::ports::StoredObject>,
    slug: Slug,
    now: OffsetDateTime,
) -> Option<Post> {
    let Fetched::Found(object) = fetched else {
        return None;
    };
    Post::parse(slug, &String::from_utf8_lossy(&object.bytes))
        .ok()
        .filter(|post| post.is_published(now))
}

/// The post's lead image as the article page shows it, so feed readers see it too.
fn lead_image(post: &Post) -> String {
    use crate::render::escape::{html, safe_url};
    let Some(image) = &post.front.image else {
        return String::new();
    };
    let caption = image
        .caption
        .as_deref()
        .map(|c| format!("<figcaption>{}</figcaption>", html(c)))
        .unwrap_or_default();
    format!(
        "<figure><img src=\"{}\" alt=\"{}\">{caption}</figure>\n",
        html(&safe_url(&image.src)),
        html(&image.alt)
    )
}

/// Every published post, newest first, up to the sitemap's limit. The only read whose
/// cost grows with the number of posts (one index query page per 1 MB of entries); it
/// runs when posts change, on a schedule tick that published something, and on rebuild.
pub async fn all_published(
    index: &dyn PostIndex,
    now: OffsetDateTime,
) -> Result<Vec<PostMeta>, StoreError> {
    Ok(index.newest(now, 0, SITEMAP_MAX_URLS).await?.posts)
}

/// A page the site serves, as read for the sitemap and the search index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPage {
    pub page: Page,
    /// The store's ETag of `pages/<slug>.md`.
    pub etag: String,
    /// When its object last changed, as the store reports it.
    pub lastmod: Option<OffsetDateTime>,
}

impl PublishedPage {
    pub fn sitemap(&self) -> sitemap::SitemapPage {
        sitemap::SitemapPage {
            slug: self.page.slug.clone(),
            lastmod: self.lastmod,
        }
    }
}

/// Every page the site serves (parses, no draft), by slug, for the sitemap and the
/// search index. Pages are few (About, Services, Contact…): one listing of `pages/` and
/// one read per page, run when the sitemap is rebuilt, never on a page view. A page that
/// does not parse is left out and logged with its file and field (`check` names it too).
pub async fn published_pages(content: &dyn ContentStore) -> Result<Vec<PublishedPage>, StoreError> {
    let slugs = content.list_page_slugs().await?;
    let reads = slugs.into_iter().map(|slug| async move {
        let fetched = content.get(&ContentKey::page(&slug), None).await?;
        Ok::<_, StoreError>((slug, fetched))
    });
    let mut pages = Vec::new();
    for (slug, fetched) in futures::future::try_join_all(reads).await? {
        let Fetched::Found(object) = fetched else {
            continue;
        };
        match Page::parse(slug, &String::from_utf8_lossy(&object.bytes)) {
            Ok(page) if page.draft => {}
            Ok(page) => pages.push(PublishedPage {
                page,
                etag: object.etag,
                lastmod: object.last_modified,
            }),
            Err(e) => tracing::error!(error = %e, "page left out of the sitemap"),
        }
    }
    pages.sort_by(|a, b| a.page.slug.cmp(&b.page.slug));
    Ok(pages)
}

/// `/feed.xml`, `/atom.xml` and `/feed.json` for the newest posts.
pub fn posts_feeds(site: &FeedSite, posts: &[FeedPost]) -> Vec<Output> {
    vec![
        Output::new("feed.xml", rss::posts(site, posts), RSS, CACHE_FEED),
        Output::new("atom.xml", atom::posts(site, posts), ATOM, CACHE_FEED),
        Output::new(
            "feed.json",
            json_feed::posts(site, posts),
            JSON_FEED,
            CACHE_FEED,
        ),
    ]
}

/// `/sitemap.xml` and `/robots.txt`.
pub fn sitemap_and_robots(
    site: &FeedSite,
    posts: &[PostMeta],
    pages: &[sitemap::SitemapPage],
) -> Vec<Output> {
    vec![
        Output::new(
            "sitemap.xml",
            sitemap::sitemap(site, posts, pages),
            XML,
            CACHE_SITEMAP,
        ),
        Output::new("robots.txt", sitemap::robots(site), TEXT, CACHE_SITEMAP),
    ]
}

/// `/comments/feed.xml`: the site's newest approved comments.
pub fn site_comments_feed(site: &FeedSite, comments: &[CommentFeedItem]) -> Output {
    let channel = rss::CommentsChannel {
        title: site.messages().feed_comments_title(&site.title),
        link: site.home(),
        self_url: site.url("/comments/feed.xml"),
        description: site.messages().feed_comments_description(&site.title),
    };
    Output::new(
        "comments/feed.xml",
        rss::comments(site, &channel, comments),
        RSS,
        CACHE_FEED,
    )
}

/// `/posts/<slug>/comments.xml`: one post's newest approved comments.
pub fn post_comments_feed(
    site: &FeedSite,
    slug: &Slug,
    post_title: &str,
    comments: &[CommentFeedItem],
) -> Output {
    let channel = rss::CommentsChannel {
        title: site.messages().feed_post_comments_title(post_title),
        link: site.post_url(slug),
        self_url: site.url(&format!(
            "{}/comments.xml",
            crate::site::routes::post_path(slug)
        )),
        description: site
            .messages()
            .feed_post_comments_description(post_title, &site.title),
    };
    Output::at(
        ContentKey::post_comments_feed(slug),
        rss::comments(site, &channel, comments),
        RSS,
        CACHE_FEED,
    )
}

/// Makes `href="/..."` and `src="/..."` absolute. The renderer escapes every `"` inside
/// text, so the pattern only ever matches a real attribute.
pub fn absolute_links(html: &str, base_url: &str) -> String {
    let mut out = html.to_owned();
    for attr in ["href", "src"] {
        let pattern = format!("{attr}=\"/");
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&pattern) {
            let after = &rest[at + pattern.len()..];
            result.push_str(&rest[..at]);
            if after.starts_with('/') {
                // Protocol-relative (`//host/...`): leave as written.
                result.push_str(&pattern);
            } else {
                result.push_str(&format!("{attr}=\"{base_url}/"));
            }
            rest = after;
        }
        result.push_str(rest);
        out = result;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_relative_links_become_absolute() {
        let html = r#"<a href="/posts/a">a</a><img src="/media/x.svg"><a href="//cdn/x">c</a><a href="https://e.org/">e</a><p>href=&quot;/no</p>"#;
        assert_eq!(
            absolute_links(html, "https://clinic.example"),
            r#"<a href="https://clinic.example/posts/a">a</a><img src="https://clinic.example/media/x.svg"><a href="//cdn/x">c</a><a href="https://e.org/">e</a><p>href=&quot;/no</p>"#
        );
    }
}
