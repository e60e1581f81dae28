//! The site function's handler: article pages, listings, tag pages, the stylesheet and
//! stored objects (feeds, sitemap, media), with ETag/304 and caching headers.

pub mod cache;
pub mod error;
pub mod routes;

use crate::comments::rules;
use crate::domain::{CommentId, Post, SiteSettings, Slug};
use crate::http::etag::{is_not_modified, strong_etag};
use crate::http::response::{
    self, CACHE_ASSET, CACHE_IMMUTABLE, CACHE_NONE, CACHE_NOT_FOUND, CACHE_PAGE, HTML,
};
use crate::http::{Body, Request, Response};
use crate::ports::{CommentStore, ContentKey, ContentStore, Fetched, PostIndex};
use crate::render::comments::{thread, CommentForm, CommentsView};
use crate::render::pages::{self, ErrorPage, ListPage, Listing, PostPage};
use crate::render::render_markdown;
use askama::Template;
use cache::{CachedPost, PostCache, SettingsCache};
use error::SiteError;
use routes::Route;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub struct SiteOptions {
    /// Overrides `base_url` from `site.toml` (the deployed URL, or the local address).
    pub base_url: Option<String>,
    /// How long a warm instance trusts its copy of `site.toml` before revalidating.
    pub settings_ttl: Duration,
}

impl Default for SiteOptions {
    fn default() -> Self {
        SiteOptions {
            base_url: None,
            settings_ttl: Duration::from_secs(60),
        }
    }
}

pub struct Site {
    content: Arc<dyn ContentStore>,
    index: Arc<dyn PostIndex>,
    comments: Arc<dyn CommentStore>,
    options: SiteOptions,
    posts: PostCache,
    settings: SettingsCache,
    clock: fn() -> OffsetDateTime,
}

#[async_trait::async_trait]
impl crate::http::HttpFunction for Site {
    async fn handle(&self, req: &Request) -> Response<Body> {
        self.serve(req).await
    }
}

/// A rendered page before conditional-request handling.
struct Page {
    status: u16,
    body: Vec<u8>,
    content_type: String,
    cache_control: &'static str,
    last_modified: Option<OffsetDateTime>,
    etag: Option<String>,
}

impl Page {
    fn html(body: String, last_modified: Option<OffsetDateTime>) -> Page {
        Page {
            status: 200,
            body: body.into_bytes(),
            content_type: HTML.into(),
            cache_control: CACHE_PAGE,
            last_modified,
            etag: None,
        }
    }
}

impl Site {
    pub fn new(
        content: Arc<dyn ContentStore>,
        index: Arc<dyn PostIndex>,
        comments: Arc<dyn CommentStore>,
        options: SiteOptions,
    ) -> Site {
        let settings = SettingsCache::new(options.settings_ttl);
        Site {
            content,
            index,
            comments,
            options,
            posts: PostCache::default(),
            settings,
            clock: OffsetDateTime::now_utc,
        }
    }

    /// Serves one request. Never fails: every error becomes its page.
    pub async fn handle(&self, req: &Request) -> Response<Body> {
        self.serve(req).await
    }

    async fn serve(&self, req: &Request) -> Response<Body> {
        let head_only = req.method() == http::Method::HEAD;
        let response = if req.method() != http::Method::GET && !head_only {
            self.error_response(&SiteError::MethodNotAllowed).await
        } else {
            match Route::parse(crate::http::request_path(req)) {
                // Answered before any storage read.
                Route::Redirect(to) => response::redirect(301, &to),
                route => match self.page(route, ArticleQuery::of(req)).await {
                    Ok(page) => conditional(req, page),
                    Err(e) => self.error_response(&e).await,
                },
            }
        };
        if head_only {
            let (parts, _) = response.into_parts();
            return Response::from_parts(parts, Body::Empty);
        }
        response
    }

    async fn page(&self, route: Route, query: ArticleQuery) -> Result<Page, SiteError> {
        match route {
            Route::Home { page } => self.listing(None, page).await,
            Route::Tag { tag, page } => self.listing(Some(tag), page).await,
            Route::Post(slug) => self.post(&slug, query).await,
            Route::Stylesheet => Ok(stylesheet()),
            Route::Stored(key) => self.stored(&key).await,
            Route::Redirect(_) | Route::NotFound => Err(SiteError::NotFound),
        }
    }

    /// Run once at init, before the first request: loads the site settings and makes
    /// one small index query, concurrently, so the first visitor does not pay for the
    /// TLS handshakes to S3 and DynamoDB or for the settings read. Failures are only
    /// logged: the first request retries them.
    pub async fn warm_up(&self) {
        let now = (self.clock)();
        let (settings, index) = tokio::join!(self.settings(), self.index.newest(now, 0, 1));
        if let Err(e) = settings {
            tracing::warn!(error = %e, "warm-up: site settings not loaded");
        }
        if let Err(e) = index {
            tracing::warn!(error = %e, "warm-up: post index not reached");
        }
    }

    /// Site settings, from the cache while fresh, else revalidated against the store.
    pub async fn settings(&self) -> Result<Arc<SiteSettings>, SiteError> {
        if let Some(fresh) = self.settings.fresh() {
            return Ok(fresh);
        }
        let stale = self.settings.stale();
        let key = ContentKey::site_settings();
        match self
            .content
            .get(&key, stale.as_ref().map(|(etag, _)| etag.as_str()))
            .await?
        {
            Fetched::NotModified => {
                let (etag, settings) = stale.expect("NotModified only answers a conditional read");
                self.settings.store(etag, settings.clone());
                Ok(settings)
            }
            Fetched::Found(object) => {
                let text = String::from_utf8_lossy(&object.bytes);
                let mut settings = SiteSettings::parse(&text)
                    .inspect_err(|e| tracing::error!(error = %e, "bad site settings"))?;
                settings.base_url = crate::http::base_url::resolve(
                    self.options.base_url.as_deref(),
                    None,
                    &settings.base_url,
                    crate::http::base_url::in_lambda(),
                )?;
                let settings = Arc::new(settings);
                self.settings.store(object.etag, settings.clone());
                Ok(settings)
            }
            Fetched::Missing => {
                tracing::error!("site.toml is missing from the content store");
                Err(crate::domain::SettingsError("the file is missing".into()).into())
            }
        }
    }

    async fn post(&self, slug: &Slug, query: ArticleQuery) -> Result<Page, SiteError> {
        let personal = query.is_personal();
        let (html, last_modified) = self.article(slug, query, None).await?;
        let mut page = Page::html(html, last_modified);
        if personal {
            // A notice or a reply form is for one visitor: not for shared caches.
            page.cache_control = CACHE_NONE;
        }
        Ok(page)
    }

    /// The article page with its comments. `form` is a visitor's rejected comment, shown
    /// back with its errors (the comment function's 400 page).
    pub async fn article(
        &self,
        slug: &Slug,
        query: ArticleQuery,
        form: Option<CommentForm>,
    ) -> Result<(String, Option<OffsetDateTime>), SiteError> {
        // One content read and one comments query, issued together (plus settings when
        // stale). The post's own front matter decides whether it is published and open
        // for comments, so the post index is not read here.
        let (settings, post, approved) = tokio::join!(
            self.settings(),
            self.load_post(slug),
            self.comments.approved_for_post(slug)
        );
        let settings = settings?;
        let post = post?.ok_or(SiteError::NotFound)?;
        let now = (self.clock)();
        if !post.post.is_published(now) {
            return Err(SiteError::NotFound);
        }
        let approved = approved?;
        let comments_open = rules::comments_open(&settings.comments, &post.post, now);
        let thread = thread(&approved, settings.comments.max_depth, comments_open);
        let mut form = form.unwrap_or_default();
        if form.parent.is_empty() {
            if let Some(reply) = &query.reply {
                form.parent = reply.to_string();
            }
        }
        if form.replying_to.is_none() && !form.parent.is_empty() {
            form.replying_to = thread
                .iter()
                .find(|c| c.id == form.parent && c.can_reply)
                .map(|c| c.author.clone());
            if form.replying_to.is_none() && form.errors.parent.is_none() {
                form.parent.clear();
            }
        }
        let notice = if query.held {
            Some("Thank you! Your comment is awaiting moderation.")
        } else if query
            .posted
            .as_ref()
            .is_some_and(|id| thread.iter().any(|c| c.id == id.as_str()))
        {
            Some("Thank you! Your comment is published.")
        } else {
            None
        };
        let moderation_note = match settings.comments.moderation {
            crate::domain::Moderation::All => "Comments are checked before they appear.",
            crate::domain::Moderation::FirstTime => "A first comment is checked before it appears.",
            crate::domain::Moderation::None => "",
        };
        let view = CommentsView {
            thread,
            form,
            notice,
            moderation_note,
        };
        let html = PostPage::new(&settings, &post.post, &post.body, comments_open)
            .with_comments(view)
            .render()
            .map_err(render_failed)?;
        let newest_comment = approved.iter().map(|c| c.created_at).max();
        let last_modified = post
            .last_modified
            .or(Some(
                post.post.front.updated.unwrap_or(post.post.front.date),
            ))
            .max(newest_comment);
        Ok((html, last_modified))
    }

    /// A post a visitor can read now, or `None`.
    pub async fn published_post(&self, slug: &Slug) -> Result<Option<Arc<CachedPost>>, SiteError> {
        let now = (self.clock)();
        Ok(self
            .load_post(slug)
            .await?
            .filter(|p| p.post.is_published(now)))
    }

    /// The post, parsed and rendered, reusing the cached copy while the store's ETag holds.
    async fn load_post(&self, slug: &Slug) -> Result<Option<Arc<CachedPost>>, SiteError> {
        let cached = self.posts.get(slug);
        let key = ContentKey::post(slug);
        match self
            .content
            .get(&key, cached.as_ref().map(|c| c.etag.as_str()))
            .await?
        {
            Fetched::NotModified => Ok(cached),
            Fetched::Missing => {
                self.posts.remove(slug);
                Ok(None)
            }
            Fetched::Found(object) => {
                let source = String::from_utf8_lossy(&object.bytes);
                match Post::parse(slug.clone(), &source) {
                    Ok(post) => {
                        let body = render_markdown(&post.body_markdown);
                        let entry = Arc::new(CachedPost {
                            etag: object.etag,
                            last_modified: object.last_modified,
                            post,
                            body,
                        });
                        self.posts.insert(slug.clone(), entry.clone());
                        Ok(Some(entry))
                    }
                    Err(e) => {
                        // A broken post is the author's to fix; the rest of the site goes on.
                        tracing::error!(error = %e, "post cannot be served");
                        self.posts.remove(slug);
                        Ok(None)
                    }
                }
            }
        }
    }

    async fn listing(&self, tag: Option<Slug>, page: u32) -> Result<Page, SiteError> {
        let settings = self.settings().await?;
        let per_page = usize::from(settings.posts_per_page);
        let offset = (page as usize - 1) * per_page;
        let now = (self.clock)();
        let found = match &tag {
            None => self.index.newest(now, offset, per_page).await?,
            Some(tag) => self.index.newest_tagged(tag, now, offset, per_page).await?,
        };
        if found.posts.is_empty() && (page > 1 || tag.is_some()) {
            return Err(SiteError::NotFound);
        }
        let tag_name = tag.as_ref().and_then(|t| {
            found
                .posts
                .iter()
                .flat_map(|p| p.tags.iter())
                .find(|pt| &pt.slug == t)
                .cloned()
        });
        let listing = match &tag_name {
            Some(t) => Listing::Tag(t),
            None if tag.is_some() => return Err(SiteError::NotFound),
            None => Listing::Home,
        };
        let last_modified = found
            .posts
            .iter()
            .map(|p| p.updated.unwrap_or(p.date).max(p.date))
            .max();
        let html = ListPage::new(&settings, listing, page, &found.posts, found.has_more)
            .render()
            .map_err(render_failed)?;
        Ok(Page::html(html, last_modified))
    }

    async fn stored(&self, key: &ContentKey) -> Result<Page, SiteError> {
        let object = match self.content.get(key, None).await? {
            Fetched::Found(object) => object,
            Fetched::Missing | Fetched::NotModified => return Err(SiteError::NotFound),
        };
        let content_type = object
            .content_type
            .clone()
            .unwrap_or_else(|| content_type_for(key.as_str()).into());
        Ok(Page {
            status: 200,
            body: object.bytes,
            content_type,
            cache_control: CACHE_ASSET,
            last_modified: object.last_modified,
            etag: Some(object.etag).filter(|e| !e.is_empty()),
        })
    }

    async fn error_response(&self, error: &SiteError) -> Response<Body> {
        match error {
            SiteError::Unavailable(e) => tracing::error!(error = %e, "storage failure"),
            SiteError::Settings(e) => tracing::error!(error = %e, "settings failure"),
            _ => {}
        }
        let site_title = match error {
            SiteError::NotFound => self.settings().await.ok().map(|s| s.title.clone()),
            _ => None,
        };
        let (heading, message) = error.public_text();
        let page = ErrorPage {
            heading,
            message,
            site_title: site_title.as_deref(),
            stylesheet: pages::stylesheet_href(),
        };
        let html = page.render().unwrap_or_else(|_| {
            format!("<!DOCTYPE html><title>{heading}</title><h1>{heading}</h1>")
        });
        let cache = if error.status() == 404 {
            CACHE_NOT_FOUND
        } else {
            CACHE_NONE
        };
        let mut headers = vec![("content-type", HTML), ("cache-control", cache)];
        if let SiteError::MethodNotAllowed = error {
            headers.push(("allow", "GET, HEAD"));
        }
        if error.status() == 503 {
            headers.push(("retry-after", "30"));
        }
        response::build(error.status(), &headers, Body::Text(html))
    }
}

/// What an article's query string asks for: a reply form, or a returning author's notice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleQuery {
    /// `?reply=<id>`: the form replies to this comment.
    pub reply: Option<CommentId>,
    /// `?moderation=held`: the visitor's comment is waiting for the owner.
    pub held: bool,
    /// `?comment=<id>`: the visitor's comment was published.
    pub posted: Option<CommentId>,
}

impl ArticleQuery {
    pub fn of(req: &Request) -> ArticleQuery {
        let mut query = ArticleQuery::default();
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
        for (name, value) in pairs {
            match name.as_str() {
                "reply" => query.reply = CommentId::parse(&value).ok(),
                "comment" => query.posted = CommentId::parse(&value).ok(),
                "moderation" => query.held = value == "held",
                _ => {}
            }
        }
        query
    }

    fn is_personal(&self) -> bool {
        self.reply.is_some() || self.held || self.posted.is_some()
    }
}

fn render_failed(e: askama::Error) -> SiteError {
    SiteError::Unavailable(crate::ports::StoreError::new(format!(
        "template failed: {e}"
    )))
}

fn stylesheet() -> Page {
    Page {
        status: 200,
        body: pages::STYLESHEET.as_bytes().to_vec(),
        content_type: "text/css; charset=utf-8".into(),
        cache_control: CACHE_IMMUTABLE,
        last_modified: None,
        etag: Some(format!("\"{}\"", pages::stylesheet_version())),
    }
}

fn content_type_for(key: &str) -> &'static str {
    match key.rsplit('.').next().unwrap_or("") {
        "xml" if key.ends_with("atom.xml") => "application/atom+xml; charset=utf-8",
        "xml" if key.contains("feed") || key.ends_with("comments.xml") => {
            "application/rss+xml; charset=utf-8"
        }
        "xml" => "application/xml; charset=utf-8",
        "json" => "application/feed+json; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Adds ETag and Last-Modified, and answers 304 when the client's copy is current.
fn conditional(req: &Request, page: Page) -> Response<Body> {
    let etag = page.etag.unwrap_or_else(|| strong_etag(&page.body));
    let last_modified = page.last_modified.map(crate::domain::time_fmt::http_date);
    let mut headers = vec![
        ("etag", etag.as_str()),
        ("cache-control", page.cache_control),
    ];
    if let Some(lm) = &last_modified {
        headers.push(("last-modified", lm.as_str()));
    }
    if page.status == 200 && is_not_modified(req.headers(), &etag, page.last_modified) {
        return response::build(304, &headers, Body::Empty);
    }
    headers.push(("content-type", page.content_type.as_str()));
    let body = match String::from_utf8(page.body) {
        Ok(text)
            if page.content_type.starts_with("text/")
                || page.content_type.contains("xml")
                || page.content_type.contains("json") =>
        {
            Body::Text(text)
        }
        Ok(text) => Body::Binary(text.into_bytes()),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    response::build(page.status, &headers, body)
}
