//! The site function's handler: article pages, listings, tag pages, the stylesheets
//! (built in, `[theme]`'s, the owner's `theme/custom.css`) and stored objects (feeds,
//! sitemap, media), with ETag/304, content coding and caching headers, answered from the
//! view cache while fresh. Media from a store with links (S3) is a redirect to one
//! instead (see `media`).
//!
//! The fast path. A warm instance keeps each finished view (bytes, br and gzip
//! variants, ETag) by path in a `ViewCache`. Within the freshness window
//! (`SiteOptions::view_ttl`, default 5 s, never above the page's `max-age`) a view is
//! served from memory: no S3 or DynamoDB call, no render, no compression. After the
//! window the next request revalidates: the same reads as an uncached view (the post by
//! conditional GET, the thread, the settings by ETag; a listing's index page; a stored
//! object by conditional GET), folded into a `Version`. When the version is unchanged
//! the cached bytes are re-stamped and kept; otherwise the view is rendered and
//! compressed once more. So the "comments version" is the thread itself, re-read at
//! most once per window: a comment approval shows within the window, with no extra
//! counter to keep in step. ETags come from these versions, not from hashing the page.
//! Personal pages (a notice or a reply form, chosen by the query) bypass the cache.
//!
//! A long thread is paged (`?cpage=N`, `THREAD_PAGE_ROOTS` top-level comments a page,
//! replies with their parent); the article's own address shows the newest page. Each
//! page is its own view (keyed `<path>?cpage=N`), read by key from the store.

pub mod cache;
pub mod error;
pub mod media;
pub mod notice;
pub mod routes;
pub mod search;

use crate::comments::rules;
use crate::domain::{CommentId, Post, SiteSettings, Slug};
use crate::http::compress;
use crate::http::etag::{is_not_modified, Version};
use crate::http::response::{
    self, CACHE_ASSET, CACHE_IMMUTABLE, CACHE_MEDIA_LINK, CACHE_NONE, CACHE_NOT_FOUND, CACHE_PAGE,
    HTML,
};
use crate::http::{Body, Request, Response};
use crate::images::VariantsIndex;
use crate::ports::{
    CommentStore, ContentKey, ContentStore, Fetched, MediaKey, MediaLink, PostIndex, StoreError,
};
use crate::render::chrome::SiteChrome;
use crate::render::comments::{thread, CommentForm, CommentPager, CommentsView};
use crate::render::pages::{self, ErrorPage, ListPage, Listing, PostPage};
use crate::render::{render_markdown_with, BodyImages};
use askama::Template;
use cache::{
    CachedPost, Lookup, PostCache, SettingsCache, VariantBody, VariantsCache, View, ViewCache,
};
use error::SiteError;
use notice::NoticeWindow;
use routes::Route;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub struct SiteOptions {
    /// Overrides `base_url` from `site.toml` (the deployed URL, or the local address).
    pub base_url: Option<String>,
    /// How long a warm instance trusts its copy of `site.toml` before revalidating.
    pub settings_ttl: Duration,
    /// How long a finished view is served from memory before it is revalidated against
    /// the stores (capped at the pages' `max-age`). Zero revalidates every request, and
    /// still reuses the cached bytes and codings when nothing changed.
    pub view_ttl: Duration,
    /// Show what is wrong with `site.toml` on the 503 page (the local site, which only
    /// its owner sees); deployed sites log it and show visitors the plain sentence.
    pub show_settings_errors: bool,
    /// The view cache's budget in bytes (all codings of all views).
    pub view_budget: usize,
}

/// The pages' `max-age` (`CACHE_PAGE`): a view is never trusted longer than a browser may.
const PAGE_MAX_AGE: Duration = Duration::from_secs(60);

impl Default for SiteOptions {
    fn default() -> Self {
        SiteOptions {
            base_url: None,
            settings_ttl: Duration::from_secs(60),
            view_ttl: Duration::from_secs(5),
            view_budget: ViewCache::DEFAULT_BUDGET,
            show_settings_errors: false,
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
    variants: VariantsCache,
    views: ViewCache,
    redirects: crate::redirects::RedirectsCache,
    search: search::SearchCache,
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
    body: Vec<u8>,
    content_type: String,
    cache_control: &'static str,
    last_modified: Option<OffsetDateTime>,
    etag: Option<String>,
}

impl Page {
    fn html(body: String, last_modified: Option<OffsetDateTime>) -> Page {
        Page {
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
        let variants = VariantsCache::new(options.settings_ttl);
        let window = options.view_ttl.min(PAGE_MAX_AGE);
        let views = ViewCache::new(options.view_budget, window);
        // The index is revalidated like a stored object's view.
        let search = search::SearchCache::new(window);
        // Asked on every request, before the view cache: trusted for the settings' TTL,
        // and never less than the view window (the local site revalidates its settings
        // on every revalidation, but must not re-read a megabyte of redirects per view).
        let redirects = crate::redirects::RedirectsCache::new(options.settings_ttl.max(window));
        Site {
            content,
            index,
            comments,
            options,
            posts: PostCache::default(),
            settings,
            variants,
            views,
            redirects,
            search,
            clock: OffsetDateTime::now_utc,
        }
    }

    /// Serves one request. Never fails: every error becomes its page.
    pub async fn handle(&self, req: &Request) -> Response<Body> {
        self.serve(req).await
    }

    /// The configured base URL (`SITE_URL`), if any: the HTTPS rule of the security
    /// headers reads it.
    pub fn configured_base_url(&self) -> Option<&str> {
        self.options.base_url.as_deref()
    }

    async fn serve(&self, req: &Request) -> Response<Body> {
        let response = self.answer(req).await;
        crate::http::security::secure(req, self.configured_base_url(), response)
    }

    async fn answer(&self, req: &Request) -> Response<Body> {
        let head_only = req.method() == http::Method::HEAD;
        let response = if req.method() != http::Method::GET && !head_only {
            self.error_response(&SiteError::MethodNotAllowed).await
        } else if let Some(old_url) = self.old_url(req).await {
            old_url
        } else {
            let path = crate::http::request_path(req);
            match Route::parse(path) {
                // Answered before any storage read.
                Route::Redirect(to) => response::redirect(301, &to),
                // Per query, from the index in memory: not a cached view.
                Route::Search => self.search(req).await,
                // `/media/*`: only the allow-list's types, typed by extension.
                Route::Media(key) => self.media(req, path, key).await,
                // `?v=` names the bytes: a page rendered by an instance with newer
                // settings may ask before this one has them, and what it gets then must
                // not be cached as that version for a year.
                route @ (Route::ThemeStylesheet | Route::CustomStylesheet) => {
                    match self.view(path, route.clone(), CommentPage::Newest).await {
                        Ok(view) => {
                            let mut response = respond(req, &view);
                            let current = self.chrome().await.ok().and_then(|c| {
                                if route == Route::CustomStylesheet {
                                    c.custom_css.clone()
                                } else {
                                    c.theme_stylesheet.clone()
                                }
                            });
                            let asked = req.uri().path_and_query().map(|pq| pq.as_str());
                            let exact = match (current.as_deref(), asked) {
                                (Some(href), Some(asked)) => asked.ends_with(href),
                                _ => false,
                            };
                            if !exact {
                                response.headers_mut().insert(
                                    http::header::CACHE_CONTROL,
                                    http::HeaderValue::from_static(CACHE_NONE),
                                );
                            }
                            response
                        }
                        Err(e) => self.error_response(&e).await,
                    }
                }
                route => {
                    let query = ArticleQuery::of(req);
                    let view = if query.is_personal() {
                        self.page(route, query)
                            .await
                            .map(|page| Arc::new(page.view()))
                    } else {
                        self.view(path, route, query.cpage).await
                    };
                    match view {
                        Ok(view) => respond(req, &view),
                        Err(e) => self.error_response(&e).await,
                    }
                }
            }
        };
        if head_only {
            let (parts, _) = response.into_parts();
            return Response::from_parts(parts, Body::Empty);
        }
        response
    }

    /// The view for a shareable `route` at `path`: from memory while fresh, else
    /// revalidated (kept when its version is unchanged) or made anew.
    async fn view(
        &self,
        path: &str,
        route: Route,
        cpage: CommentPage,
    ) -> Result<Arc<View>, SiteError> {
        // A thread page other than the newest is a view of its own.
        let keyed;
        let path = match (&route, cpage) {
            (Route::Post(_), CommentPage::Bad) => return Err(SiteError::BadCommentPage),
            (Route::Post(_), CommentPage::Page(n)) => {
                keyed = format!("{path}?cpage={n}");
                keyed.as_str()
            }
            _ => path,
        };
        let stale = match self.views.lookup(path) {
            Lookup::Fresh(view) => return Ok(view),
            Lookup::Stale(view) => Some(view),
            Lookup::Miss => None,
        };
        let made = match route {
            Route::Post(slug) => {
                let data = self.article_data(&slug, cpage).await?;
                let version = Version::of_build()
                    .str(&data.settings_etag)
                    .str(&data.post.etag)
                    .str(&data.post.variants)
                    .debug(&data.thread)
                    .u64(u64::from(data.comments_open()))
                    .value();
                let notice = NoticeWindow::of(&data.settings, (self.clock)());
                self.keep_or(path, stale, version, notice, || {
                    let query = ArticleQuery {
                        cpage,
                        ..ArticleQuery::default()
                    };
                    let (html, last_modified) = self.render_article(&data, query, None)?;
                    Ok(Page::html(html, last_modified))
                })
            }
            Route::Home { page } => self.listing_view(path, stale, Listed::Home, page).await,
            Route::Page(slug) => self.site_page_view(path, stale, &slug).await,
            Route::Tag { tag, page } => {
                self.listing_view(path, stale, Listed::Tag(tag), page).await
            }
            Route::Month { month, page } => {
                self.listing_view(path, stale, Listed::Month(month), page)
                    .await
            }
            Route::TagIndex | Route::Archive => self.archive_view(path, stale, &route).await,
            Route::Stylesheet => {
                let version = Version::of_build().value();
                self.keep_or(
                    path,
                    stale,
                    version,
                    NoticeWindow::NONE,
                    || Ok(stylesheet()),
                )
            }
            Route::ThemeStylesheet | Route::CustomStylesheet => {
                let (settings_etag, settings) = self.settings_tagged().await?;
                let version = Version::of_build()
                    .str(&settings_etag)
                    .debug(&route)
                    .value();
                self.keep_or(path, stale, version, NoticeWindow::NONE, || {
                    if route == Route::CustomStylesheet {
                        custom_stylesheet(&settings)
                    } else {
                        theme_stylesheet(&settings)
                    }
                })
            }
            Route::Stored(key) => self.stored_view(path, stale, &key).await,
            Route::Media(key) => self.stored_view(path, stale, key.key()).await,
            Route::Search | Route::Redirect(_) | Route::NotFound => Err(SiteError::NotFound),
        };
        if made.is_err() {
            self.views.remove(path);
        }
        made
    }

    /// Keeps `stale` when it was made from `version` (and the same notice state), else
    /// renders, compresses and stores a new view, whose caching the notice's end bounds.
    fn keep_or(
        &self,
        path: &str,
        stale: Option<Arc<View>>,
        version: u64,
        notice: NoticeWindow,
        render: impl FnOnce() -> Result<Page, SiteError>,
    ) -> Result<Arc<View>, SiteError> {
        let now = (self.clock)();
        let version = Version::default().u64(version).u64(notice.tag(now)).value();
        let view = match stale {
            Some(view) if view.version == version => view,
            _ => {
                let mut page = render()?;
                page.etag = Some(Version::default().u64(version).etag());
                page.cache_control = notice.cache_control(now, page.cache_control);
                let mut view = page.into_view(version);
                view.fresh_until = notice.fresh_until(now);
                Arc::new(view)
            }
        };
        self.views.store(path, view.clone());
        Ok(view)
    }

    /// A stored object's view, revalidated by conditional GET.
    async fn stored_view(
        &self,
        path: &str,
        stale: Option<Arc<View>>,
        key: &ContentKey,
    ) -> Result<Arc<View>, SiteError> {
        let etag = stale.as_ref().and_then(|v| v.identity.etag.as_deref());
        match self.content.get(key, etag).await? {
            Fetched::NotModified => match stale {
                Some(view) => {
                    self.views.store(path, view.clone());
                    Ok(view)
                }
                None => Err(SiteError::NotFound),
            },
            Fetched::Missing => {
                self.views.remove(path);
                Err(SiteError::NotFound)
            }
            Fetched::Found(object) => {
                let version = Version::default().str(&object.etag).value();
                let page = stored_page(key, object)?;
                let view = Arc::new(page.into_view(version));
                self.views.store(path, view.clone());
                Ok(view)
            }
        }
    }

    /// `/media/<name>`: 404 for a type off the allow-list; a `302` to the store's
    /// short-lived URL when it has one and the type may go that way (see `media`);
    /// else the bytes from a view, with the type's headers.
    async fn media(&self, req: &Request, path: &str, key: MediaKey) -> Response<Body> {
        let Some(kind) = media::MediaType::of(key.name()) else {
            return self.error_response(&SiteError::NotFound).await;
        };
        if kind.by_link() {
            let mut headers = kind.headers();
            if crate::images::is_variant(&key) {
                // Named by its original's content hash: new bytes, new name.
                headers.cache_control = CACHE_IMMUTABLE;
            }
            match self.content.media_link(&key, &headers).await {
                Ok(Some(MediaLink::Url(url))) => {
                    if let Some(response) = media_redirect(&url) {
                        return response;
                    }
                    let bad =
                        StoreError::new(format!("media link for {key} is not a valid Location"));
                    return self.error_response(&SiteError::Unavailable(bad)).await;
                }
                Ok(Some(MediaLink::Missing)) => {
                    return self.error_response(&SiteError::NotFound).await
                }
                Ok(None) => {}
                Err(e) => return self.error_response(&SiteError::Unavailable(e)).await,
            }
        }
        match self
            .view(path, Route::Media(key), CommentPage::Newest)
            .await
        {
            Ok(view) => {
                let mut response = respond(req, &view);
                kind.apply(&mut response);
                response
            }
            Err(e) => self.error_response(&e).await,
        }
    }

    async fn listing_view(
        &self,
        path: &str,
        stale: Option<Arc<View>>,
        listed: Listed,
        page: u32,
    ) -> Result<Arc<View>, SiteError> {
        let (settings_etag, settings) = self.settings_tagged().await?;
        let found = self.listed(&settings, &listed, page).await?;
        let version = Version::of_build()
            .str(&settings_etag)
            .debug(&(&listed, page, &found))
            .value();
        let notice = NoticeWindow::of(&settings, (self.clock)());
        self.keep_or(path, stale, version, notice, || {
            self.render_listing(&settings, &listed, page, &found)
        })
    }

    /// `/tags` or `/archive`: from the archive summary (one index read).
    async fn archive_view(
        &self,
        path: &str,
        stale: Option<Arc<View>>,
        route: &Route,
    ) -> Result<Arc<View>, SiteError> {
        let (settings, summary) =
            tokio::join!(self.settings_tagged(), self.index.archive_summary());
        let (settings_etag, settings) = settings?;
        let summary = summary?.unwrap_or_default();
        let version = Version::of_build()
            .str(&settings_etag)
            .debug(&(route, &summary))
            .value();
        let notice = NoticeWindow::of(&settings, (self.clock)());
        self.keep_or(path, stale, version, notice, || {
            render_archive(&settings, route, &summary)
        })
    }

    /// An old address (`redirects.toml`) answered with 301 before any other read, or a
    /// WordPress query on `/` no redirect knows answered 404 rather than the home page.
    async fn old_url(&self, req: &Request) -> Option<Response<Body>> {
        let path = crate::http::request_path(req);
        let query = req.uri().query();
        match self.redirects.get(self.content.as_ref()).await {
            Ok(redirects) => {
                if let Some(to) = redirects.target(path, query) {
                    return Some(response::redirect(301, to));
                }
            }
            Err(e) => tracing::warn!(error = %e, "redirects not read"),
        }
        if path == "/" && crate::redirects::is_wordpress_query(query) {
            return Some(self.error_response(&SiteError::NotFound).await);
        }
        None
    }

    async fn page(&self, route: Route, query: ArticleQuery) -> Result<Page, SiteError> {
        match route {
            Route::Home { page } => self.listing(Listed::Home, page).await,
            Route::Tag { tag, page } => self.listing(Listed::Tag(tag), page).await,
            Route::Month { month, page } => self.listing(Listed::Month(month), page).await,
            Route::TagIndex | Route::Archive => {
                let (settings, summary) = tokio::join!(self.chrome(), self.index.archive_summary());
                render_archive(&*settings?, &route, &summary?.unwrap_or_default())
            }
            Route::Post(slug) => self.post(&slug, query).await,
            Route::Page(slug) => {
                let key = ContentKey::page(&slug);
                let (settings, object, (_, variants)) =
                    tokio::join!(self.chrome(), self.content.get(&key, None), self.variants());
                match object? {
                    Fetched::Found(object) => {
                        let mut page = render_site_page(
                            &*settings?,
                            &slug,
                            &object,
                            &variants,
                            query.message_sent,
                        )?;
                        // The sent notice is for one visitor: not for shared caches.
                        page.cache_control = CACHE_NONE;
                        Ok(page)
                    }
                    Fetched::Missing | Fetched::NotModified => Err(SiteError::NotFound),
                }
            }
            Route::Stylesheet => Ok(stylesheet()),
            Route::ThemeStylesheet => theme_stylesheet(&*self.settings().await?),
            Route::CustomStylesheet => custom_stylesheet(&*self.settings().await?),
            Route::Stored(key) => self.stored(&key).await,
            Route::Media(key) => self.stored(key.key()).await,
            Route::Search | Route::Redirect(_) | Route::NotFound => Err(SiteError::NotFound),
        }
    }

    /// Run once at init, before the first request: loads the site settings (and the
    /// media variants index) and makes
    /// one small index query, concurrently, so the first visitor does not pay for the
    /// TLS handshakes to S3 and DynamoDB or for the settings read. Failures are only
    /// logged: the first request retries them.
    pub async fn warm_up(&self) {
        let now = (self.clock)();
        let (settings, index, redirects, _) = tokio::join!(
            self.settings(),
            self.index.newest(now, 0, 1),
            self.redirects.get(self.content.as_ref()),
            self.variants()
        );
        if let Err(e) = redirects {
            tracing::warn!(error = %e, "warm-up: redirects not loaded");
        }
        if let Err(e) = settings {
            tracing::warn!(error = %e, "warm-up: site settings not loaded");
        }
        if let Err(e) = index {
            tracing::warn!(error = %e, "warm-up: post index not reached");
        }
    }

    /// Site settings, from the cache while fresh, else revalidated against the store.
    pub async fn settings(&self) -> Result<Arc<SiteSettings>, SiteError> {
        Ok(self.chrome().await?.settings().clone())
    }

    /// The settings with their chrome (header, footer, head links, the business's
    /// JSON-LD), made once per version of `site.toml`: what every page is rendered with.
    pub async fn chrome(&self) -> Result<Arc<SiteChrome>, SiteError> {
        Ok(self.settings_tagged().await?.1)
    }

    /// The settings and their chrome with their version (site.toml's ETag, and the hash
    /// of the linked `theme/custom.css`). Both objects are revalidated together, by
    /// conditional GET; the chrome is built again only when one of them changed.
    async fn settings_tagged(&self) -> Result<(String, Arc<SiteChrome>), SiteError> {
        if let Some(fresh) = self.settings.fresh() {
            return Ok(fresh);
        }
        let stale = self.settings.stale();
        let (toml_key, css_key) = (ContentKey::site_settings(), ContentKey::custom_css());
        let (toml, css) = tokio::join!(
            self.content
                .get(&toml_key, stale.as_ref().map(|s| s.etag.as_str())),
            self.content
                .get(&css_key, stale.as_ref().and_then(|s| s.css_etag.as_deref()))
        );
        let kept_css = || {
            stale.as_ref().map_or((None, None), |s| {
                (s.css_etag.clone(), s.settings.site.theme.custom_css.clone())
            })
        };
        let (css_etag, custom_css) = match css {
            Ok(Fetched::NotModified) => kept_css(),
            Ok(Fetched::Missing) => (None, None),
            Ok(Fetched::Found(object)) => (
                Some(object.etag),
                crate::domain::CustomCss::parse(&object.bytes)
                    .inspect_err(|e| tracing::error!(error = %e, "custom stylesheet not linked"))
                    .ok()
                    .flatten(),
            ),
            // The owner's stylesheet is an extra: the pages go on with the last one known.
            Err(e) => {
                tracing::warn!(error = %e, "theme/custom.css not read");
                kept_css()
            }
        };
        let (etag, settings) = match toml? {
            Fetched::NotModified => {
                let stale = stale.expect("NotModified only answers a conditional read");
                let settings = if stale.settings.site.theme.custom_css == custom_css {
                    stale.settings
                } else {
                    let mut settings = (*stale.settings.site).clone();
                    settings.theme.custom_css = custom_css;
                    Arc::new(SiteChrome::new(Arc::new(settings)))
                };
                (stale.etag, settings)
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
                settings.theme.custom_css = custom_css;
                (object.etag, Arc::new(SiteChrome::new(Arc::new(settings))))
            }
            Fetched::Missing => {
                tracing::error!("site.toml is missing from the content store");
                return Err(crate::domain::SettingsError("the file is missing".into()).into());
            }
        };
        let version = self.settings.store(cache::SettingsEntry {
            etag,
            css_etag,
            settings: settings.clone(),
        });
        Ok((version, settings))
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
        let data = self.article_data(slug, query.cpage).await?;
        self.render_article(&data, query, form)
    }

    /// What an article page is made of.
    async fn article_data(
        &self,
        slug: &Slug,
        cpage: CommentPage,
    ) -> Result<ArticleData, SiteError> {
        let page = match cpage {
            CommentPage::Newest => None,
            CommentPage::Page(n) => Some(n),
            CommentPage::Bad => return Err(SiteError::BadCommentPage),
        };
        // One content read and one thread page's reads, issued together (plus settings
        // when stale). The post's own front matter decides whether it is published and
        // open for comments, so the post index is not read here.
        let (settings, post, thread) = tokio::join!(
            self.settings_tagged(),
            self.load_post(slug),
            self.comments.approved_page(slug, page)
        );
        let (settings_etag, settings) = settings?;
        let post = post?.ok_or(SiteError::NotFound)?;
        let now = (self.clock)();
        if !post.post.is_published(now) {
            return Err(SiteError::NotFound);
        }
        let thread = thread?;
        if thread.page > thread.pages {
            return Err(SiteError::NotFound);
        }
        Ok(ArticleData {
            settings_etag,
            settings,
            post,
            thread,
            now,
        })
    }

    fn render_article(
        &self,
        data: &ArticleData,
        query: ArticleQuery,
        form: Option<CommentForm>,
    ) -> Result<(String, Option<OffsetDateTime>), SiteError> {
        let ArticleData {
            settings,
            post,
            thread: page,
            ..
        } = data;
        let approved = &page.comments;
        let comments_open = data.comments_open();
        let t = settings.t;
        let thread = thread(approved, settings.comments.max_depth, comments_open, t);
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
        let notice = if query.held && query.owner_not_told {
            Some(t.comment_held_owner_not_told.as_str())
        } else if query.held {
            Some(t.comment_held.as_str())
        } else if query
            .posted
            .as_ref()
            .is_some_and(|id| thread.iter().any(|c| c.id == id.as_str()))
        {
            Some(t.comment_published.as_str())
        } else {
            None
        };
        let moderation_note = match settings.comments.moderation {
            crate::domain::Moderation::All => t.moderation_note_all.as_str(),
            crate::domain::Moderation::FirstTime => t.moderation_note_first.as_str(),
            crate::domain::Moderation::None => "",
        };
        let view = CommentsView {
            thread,
            total: page.total,
            pager: CommentPager::of(page.page, page.pages),
            form,
            notice,
            moderation_note,
        };
        // A pre-sized buffer: the body, the thread and the chrome, without regrowing.
        let hint = post.body.html.len()
            + approved
                .iter()
                .map(|c| c.body_html.len() + 512)
                .sum::<usize>()
            + 12 * 1024;
        let html = render_sized(
            &PostPage::new(settings, &post.post, &post.body, comments_open).with_comments(view),
            hint,
        )?;
        let newest_comment = approved.iter().map(|c| c.created_at).max();
        let last_modified = post
            .last_modified
            .or(Some(
                post.post.front.updated.unwrap_or(post.post.front.date),
            ))
            .max(newest_comment);
        Ok((html, last_modified))
    }

    /// `/<slug>`: a page from `pages/<slug>.md`, read per request (pages are few and
    /// small; the CDN or browser caches the HTML).
    async fn site_page_view(
        &self,
        path: &str,
        stale: Option<Arc<View>>,
        slug: &Slug,
    ) -> Result<Arc<View>, SiteError> {
        let key = ContentKey::page(slug);
        let (settings, object, (variants_version, variants)) = tokio::join!(
            self.settings_tagged(),
            self.content.get(&key, None),
            self.variants()
        );
        let (settings_etag, settings) = settings?;
        let object = match object? {
            Fetched::Found(object) => object,
            Fetched::Missing | Fetched::NotModified => return Err(SiteError::NotFound),
        };
        let version = Version::of_build()
            .str(&settings_etag)
            .str(&object.etag)
            .str(&variants_version)
            .value();
        let notice = NoticeWindow::of(&settings, (self.clock)());
        self.keep_or(path, stale, version, notice, || {
            render_site_page(&settings, slug, &object, &variants, false)
        })
    }

    /// The page at `/<slug>` as a visitor may see it (not a draft), or `None`.
    pub async fn published_page(
        &self,
        slug: &Slug,
    ) -> Result<Option<crate::domain::Page>, SiteError> {
        match self.content.get(&ContentKey::page(slug), None).await? {
            Fetched::Found(object) => Ok(parse_site_page(slug, &object)),
            Fetched::Missing | Fetched::NotModified => Ok(None),
        }
    }

    /// A page with its contact form as a visitor left it (the comment function's answer
    /// to a refused message: the errors beside the fields, on the page itself).
    pub async fn contact_page(
        &self,
        page: &crate::domain::Page,
        form: crate::render::contact::ContactForm,
    ) -> Result<String, SiteError> {
        let (settings, (_, variants)) = tokio::join!(self.chrome(), self.variants());
        let settings = settings?;
        let body = render_page_body(page, &variants);
        pages::SitePageView::new(&settings, page, &body)
            .with_contact(form)
            .render()
            .map_err(render_failed)
    }

    /// A post a visitor can read now, or `None`.
    pub async fn published_post(&self, slug: &Slug) -> Result<Option<Arc<CachedPost>>, SiteError> {
        let now = (self.clock)();
        Ok(self
            .load_post(slug)
            .await?
            .filter(|p| p.post.is_published(now)))
    }

    /// The media variants index and its version (its ETag, `-` when there is none),
    /// revalidated by conditional GET after the settings' TTL. Images are an extra: when
    /// the index cannot be read, pages go on with the last one known (or none).
    async fn variants(&self) -> (String, Arc<VariantsIndex>) {
        let version = |etag: &Option<String>| etag.clone().unwrap_or_else(|| "-".into());
        if let Some((etag, index)) = self.variants.fresh(Clone::clone) {
            return (version(&etag), index);
        }
        let stale = self.variants.stale(Clone::clone);
        let known = stale.as_ref().and_then(|s| s.0.as_deref());
        let (etag, index) = match self.content.get(&crate::images::index_key(), known).await {
            Ok(Fetched::Found(object)) => (
                Some(object.etag),
                Arc::new(VariantsIndex::parse(&object.bytes)),
            ),
            Ok(Fetched::Missing) => (None, Arc::new(VariantsIndex::default())),
            Ok(Fetched::NotModified) => stale.expect("NotModified only answers a conditional read"),
            Err(e) => {
                tracing::warn!(error = %e, "media variants index not read");
                // Not stored as checked: the next page asks again.
                let (etag, index) =
                    stale.unwrap_or_else(|| (None, Arc::new(VariantsIndex::default())));
                return (version(&etag), index);
            }
        };
        self.variants.store((etag.clone(), index.clone()));
        (version(&etag), index)
    }

    /// The post, parsed and rendered, reusing the cached copy while the store's ETag holds
    /// (its body rendered again when the variants index changed).
    async fn load_post(&self, slug: &Slug) -> Result<Option<Arc<CachedPost>>, SiteError> {
        let cached = self.posts.get(slug);
        let key = ContentKey::post(slug);
        let (fetched, (variants_version, variants)) = tokio::join!(
            self.content
                .get(&key, cached.as_ref().map(|c| c.etag.as_str())),
            self.variants()
        );
        match fetched? {
            Fetched::NotModified => {
                let cached = cached.expect("NotModified only answers a conditional read");
                if cached.variants == variants_version {
                    return Ok(Some(cached));
                }
                let entry = Arc::new(CachedPost {
                    etag: cached.etag.clone(),
                    variants: variants_version,
                    last_modified: cached.last_modified,
                    body: render_post_body(&cached.post, &variants),
                    post: cached.post.clone(),
                });
                self.posts.insert(slug.clone(), entry.clone());
                Ok(Some(entry))
            }
            Fetched::Missing => {
                self.posts.remove(slug);
                Ok(None)
            }
            Fetched::Found(object) => {
                let source = String::from_utf8_lossy(&object.bytes);
                match Post::parse(slug.clone(), &source) {
                    Ok(post) => {
                        let body = render_post_body(&post, &variants);
                        let entry = Arc::new(CachedPost {
                            etag: object.etag,
                            variants: variants_version,
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

    async fn listing(&self, listed: Listed, page: u32) -> Result<Page, SiteError> {
        let settings = self.chrome().await?;
        let found = self.listed(&settings, &listed, page).await?;
        self.render_listing(&settings, &listed, page, &found)
    }

    /// The index page a listing shows.
    async fn listed(
        &self,
        settings: &SiteSettings,
        listed: &Listed,
        page: u32,
    ) -> Result<crate::ports::PostPage, SiteError> {
        let per_page = usize::from(settings.posts_per_page);
        let offset = (page as usize - 1) * per_page;
        let now = (self.clock)();
        Ok(match listed {
            Listed::Home => self.index.newest(now, offset, per_page).await?,
            Listed::Tag(tag) => self.index.newest_tagged(tag, now, offset, per_page).await?,
            Listed::Month(month) => {
                let until = month.end().min(now);
                if until < month.start() {
                    crate::ports::PostPage::default()
                } else {
                    self.index
                        .newest_between(month.start(), until, offset, per_page)
                        .await?
                }
            }
        })
    }

    fn render_listing(
        &self,
        settings: &SiteChrome,
        listed: &Listed,
        page: u32,
        found: &crate::ports::PostPage,
    ) -> Result<Page, SiteError> {
        if found.posts.is_empty() && (page > 1 || *listed != Listed::Home) {
            return Err(SiteError::NotFound);
        }
        let tag_name = match listed {
            Listed::Tag(t) => found
                .posts
                .iter()
                .flat_map(|p| p.tags.iter())
                .find(|pt| &pt.slug == t)
                .cloned(),
            _ => None,
        };
        let listing = match (listed, &tag_name) {
            (Listed::Tag(_), Some(t)) => Listing::Tag(t),
            (Listed::Tag(_), None) => return Err(SiteError::NotFound),
            (Listed::Month(month), _) => Listing::Month(*month),
            (Listed::Home, _) => Listing::Home,
        };
        let last_modified = found
            .posts
            .iter()
            .map(|p| p.updated.unwrap_or(p.date).max(p.date))
            .max();
        let html = render_sized(
            &ListPage::new(settings, listing, page, &found.posts, found.has_more),
            16 * 1024,
        )?;
        Ok(Page::html(html, last_modified))
    }

    async fn stored(&self, key: &ContentKey) -> Result<Page, SiteError> {
        match self.content.get(key, None).await? {
            Fetched::Found(object) => stored_page(key, object),
            Fetched::Missing | Fetched::NotModified => Err(SiteError::NotFound),
        }
    }

    async fn error_response(&self, error: &SiteError) -> Response<Body> {
        match error {
            SiteError::Unavailable(e) => tracing::error!(error = %e, "storage failure"),
            SiteError::Settings(e) => tracing::error!(error = %e, "settings failure"),
            _ => {}
        }
        // The site's look and language: a 404 loads the settings as the page would; a
        // failure takes the last ones known (no more reads of a failing store), and bad
        // settings none at all.
        let chrome = match error {
            SiteError::NotFound => self.chrome().await.ok(),
            SiteError::Settings(_) => None,
            _ => self.settings.stale().map(|s| s.settings),
        };
        let t = chrome
            .as_ref()
            .map_or_else(|| crate::i18n::messages(Default::default()), |c| c.t);
        let (heading, message) = error.public_text(t);
        let detail = match error {
            SiteError::Settings(e) if self.options.show_settings_errors => Some(e.to_string()),
            _ => None,
        };
        let mut page = ErrorPage::new(chrome.as_deref(), heading, message);
        page.detail = detail.as_deref();
        if !matches!(error, SiteError::NotFound) {
            page.site_title = None;
        }
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
    /// `?moderation=held-unsent`: held, and the mail telling the owner failed.
    pub owner_not_told: bool,
    /// `?comment=<id>`: the visitor's comment was published.
    pub posted: Option<CommentId>,
    /// `?cpage=N`: which page of a long thread.
    pub cpage: CommentPage,
    /// `?message=sent`: a page's contact form sent the visitor's message.
    pub message_sent: bool,
}

/// The thread page an article address asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CommentPage {
    /// No `cpage`: the newest page.
    #[default]
    Newest,
    Page(u32),
    /// `cpage` that is not a page number (0, negative, not a number, past `u32`): 400.
    Bad,
}

impl CommentPage {
    fn parse(value: &str) -> CommentPage {
        match value.parse::<u32>() {
            Ok(n) if n >= 1 => CommentPage::Page(n),
            _ => CommentPage::Bad,
        }
    }
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
                "moderation" => {
                    query.held = value == "held" || value == "held-unsent";
                    query.owner_not_told = value == "held-unsent";
                }
                "cpage" => query.cpage = CommentPage::parse(&value),
                "message" => query.message_sent = value == "sent",
                _ => {}
            }
        }
        query
    }

    pub fn is_personal(&self) -> bool {
        self.reply.is_some() || self.held || self.posted.is_some() || self.message_sent
    }
}

/// What an article page is made of, as read from the stores.
struct ArticleData {
    settings_etag: String,
    settings: Arc<SiteChrome>,
    post: Arc<CachedPost>,
    thread: crate::ports::ThreadPage,
    now: OffsetDateTime,
}

impl ArticleData {
    fn comments_open(&self) -> bool {
        rules::comments_open(&self.settings.comments, &self.post.post, self.now)
    }
}

/// Renders into a buffer of `hint` bytes, so a page is written without regrowing.
fn render_sized(template: &impl Template, hint: usize) -> Result<String, SiteError> {
    let mut html = String::with_capacity(hint);
    template.render_into(&mut html).map_err(render_failed)?;
    Ok(html)
}

/// A stored object as served; media typed by the allow-list, never by what the upload
/// claimed, and an SVG over `FUNCTION_MAX_BYTES` refused (it cannot be a response).
fn stored_page(key: &ContentKey, object: crate::ports::StoredObject) -> Result<Page, SiteError> {
    let content_type = match media::MediaType::of(key.as_str()) {
        Some(kind) if key.as_str().starts_with(MediaKey::PREFIX) => {
            if !kind.by_link() && object.bytes.len() > media::FUNCTION_MAX_BYTES {
                tracing::warn!(%key, bytes = object.bytes.len(), "media too large to serve");
                return Err(SiteError::MediaTooLarge);
            }
            kind.content_type().into()
        }
        _ => object
            .content_type
            .clone()
            .unwrap_or_else(|| content_type_for(key.as_str()).into()),
    };
    Ok(Page {
        body: object.bytes,
        content_type,
        cache_control: CACHE_ASSET,
        last_modified: object.last_modified,
        etag: Some(object.etag).filter(|e| !e.is_empty()),
    })
}

/// `302` to a media object's short-lived URL. Browsers keep the redirect for less than
/// the URL lives, and only for this visitor; `None` if the URL is no header value.
fn media_redirect(url: &str) -> Option<Response<Body>> {
    let location = http::HeaderValue::from_str(url).ok()?;
    let mut response = response::build(302, &[("cache-control", CACHE_MEDIA_LINK)], Body::Empty);
    response
        .headers_mut()
        .insert(http::header::LOCATION, location);
    Some(response)
}

/// `pages/<slug>.md` parsed; `None` for a draft or a file that does not parse (logged:
/// the owner's `check` names the field).
fn parse_site_page(
    slug: &Slug,
    object: &crate::ports::StoredObject,
) -> Option<crate::domain::Page> {
    match crate::domain::Page::parse(slug.clone(), &String::from_utf8_lossy(&object.bytes)) {
        Ok(page) if !page.draft => Some(page),
        Ok(_) => None,
        Err(e) => {
            tracing::error!(error = %e, "page cannot be served");
            None
        }
    }
}

/// A page's HTML from `pages/<slug>.md` (404 for a draft or a broken file); `sent`: the
/// contact form's notice that a message went out.
fn render_site_page(
    settings: &SiteChrome,
    slug: &Slug,
    object: &crate::ports::StoredObject,
    variants: &VariantsIndex,
    sent: bool,
) -> Result<Page, SiteError> {
    let page = parse_site_page(slug, object).ok_or(SiteError::NotFound)?;
    let body = render_page_body(&page, variants);
    let mut view = pages::SitePageView::new(settings, &page, &body);
    if sent {
        view = view.with_contact(crate::render::contact::ContactForm {
            sent: true,
            ..crate::render::contact::ContactForm::for_page(slug)
        });
    }
    let html = view.render().map_err(render_failed)?;
    Ok(Page::html(html, object.last_modified))
}

/// A post's body, its images (and lead image) with the variants `variants` lists.
fn render_post_body(post: &Post, variants: &VariantsIndex) -> crate::render::RenderedMarkdown {
    let lead = post.front.image.as_ref();
    render_markdown_with(
        &post.body_markdown,
        BodyImages {
            variants,
            lead: lead.map(|i| (i.src.as_str(), i.alt.as_str())),
        },
    )
}

/// A page's body, rendered like a post's.
fn render_page_body(
    page: &crate::domain::Page,
    variants: &VariantsIndex,
) -> crate::render::RenderedMarkdown {
    let lead = page.image.as_ref();
    render_markdown_with(
        &page.body_markdown,
        BodyImages {
            variants,
            lead: lead.map(|i| (i.src.as_str(), i.alt.as_str())),
        },
    )
}

fn render_failed(e: askama::Error) -> SiteError {
    SiteError::Unavailable(crate::ports::StoreError::new(format!(
        "template failed: {e}"
    )))
}

/// Which post listing a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Listed {
    Home,
    Tag(Slug),
    Month(crate::domain::archive::YearMonth),
}

/// `/tags` or `/archive` from the archive summary.
fn render_archive(
    settings: &SiteChrome,
    route: &Route,
    summary: &crate::domain::archive::ArchiveSummary,
) -> Result<Page, SiteError> {
    let html = match route {
        Route::TagIndex => render_sized(&pages::TagIndexPage::new(settings, summary), 8 * 1024)?,
        _ => render_sized(&pages::ArchivePage::new(settings, summary), 8 * 1024)?,
    };
    Ok(Page::html(html, None))
}

/// `/theme/site.css`: what `[theme]` makes of the default stylesheet (404 when it styles
/// nothing). Immutable only under the URL of exactly these bytes (see `theme_cache`).
fn theme_stylesheet(settings: &SiteSettings) -> Result<Page, SiteError> {
    let css = settings.theme.stylesheet();
    if css.is_empty() {
        return Err(SiteError::NotFound);
    }
    Ok(Page {
        body: css.into_bytes(),
        content_type: "text/css; charset=utf-8".into(),
        cache_control: CACHE_IMMUTABLE,
        last_modified: None,
        etag: None,
    })
}

/// `/theme/custom.css`: the owner's `theme/custom.css` as read with the settings (404
/// when there is none, or it is not linked). Immutable only under its hashed URL.
fn custom_stylesheet(settings: &SiteSettings) -> Result<Page, SiteError> {
    let css = settings
        .theme
        .custom_css
        .as_ref()
        .ok_or(SiteError::NotFound)?;
    Ok(Page {
        body: css.css().as_bytes().to_vec(),
        content_type: "text/css; charset=utf-8".into(),
        cache_control: CACHE_IMMUTABLE,
        last_modified: None,
        etag: None,
    })
}

fn stylesheet() -> Page {
    Page {
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

impl Page {
    /// A view of this page, its codings precomputed when it has a validator.
    fn into_view(self, version: u64) -> View {
        let textual = compress::compressible(&self.content_type);
        let body = match String::from_utf8(self.body) {
            Ok(text) if textual => VariantBody::Text(text),
            Ok(text) => VariantBody::Binary(text.into_bytes()),
            Err(e) => VariantBody::Binary(e.into_bytes()),
        };
        View::new(
            body,
            self.content_type,
            self.cache_control,
            self.last_modified,
            self.etag,
            version,
            true,
        )
    }

    /// A personal page's view: `no-store`, no validator, no precomputed codings.
    fn view(self) -> View {
        let mut page = self;
        page.etag = None;
        page.into_view(0)
    }
}

/// The response for a view: the client's coding, ETag and Last-Modified, and 304 when
/// the client's copy is current.
fn respond(req: &Request, view: &View) -> Response<Body> {
    let (variant, encoding) = view.variant(compress::negotiate(req.headers()));
    let mut headers: [(&str, &str); 6] = [("", ""); 6];
    let mut n = 0;
    let mut push = |name, value| {
        headers[n] = (name, value);
        n += 1;
    };
    if let Some(etag) = &variant.etag {
        push("etag", etag.as_str());
    }
    push("cache-control", view.cache_control);
    if let Some(lm) = &view.last_modified_header {
        push("last-modified", lm.as_str());
    }
    if view.varies() {
        push("vary", "accept-encoding");
    }
    let not_modified = variant
        .etag
        .as_deref()
        .is_some_and(|etag| is_not_modified(req.headers(), etag, view.last_modified));
    if not_modified {
        return response::build(304, &headers[..n], Body::Empty);
    }
    push("content-type", view.content_type.as_str());
    if let Some(encoding) = encoding {
        push("content-encoding", encoding);
    }
    let body = match &variant.body {
        VariantBody::Text(text) => Body::Text(text.clone()),
        VariantBody::Binary(bytes) => Body::Binary(bytes.clone()),
    };
    response::build(200, &headers[..n], body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coding_is_only_answered_to_a_client_that_accepts_it() {
        let mut page = Page::html("<p>hello</p>".repeat(100), None);
        page.etag = Some("\"v7\"".into());
        let view = page.into_view(7);
        let mut req = Request::new(Body::Empty);
        let plain = respond(&req, &view);
        assert!(plain.headers().get("content-encoding").is_none());
        assert_eq!(plain.headers()["vary"], "accept-encoding");
        req.headers_mut()
            .insert("accept-encoding", "gzip, br".parse().unwrap());
        let br = respond(&req, &view);
        assert_eq!(br.headers()["content-encoding"], "br");
        assert_ne!(br.headers().get("etag"), plain.headers().get("etag"));
        let etag = br.headers()["etag"].clone();
        req.headers_mut().insert("if-none-match", etag);
        assert_eq!(respond(&req, &view).status(), 304);
    }
}
