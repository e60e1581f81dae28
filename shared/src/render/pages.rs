//! The site's pages as askama templates, and the view data each one is built from.

use super::chrome::SiteChrome;
use super::comments::CommentsView;
use super::json_ld;
use super::markdown::RenderedMarkdown;
use crate::domain::archive::{ArchiveSummary, TagCount, YearMonth};
use crate::domain::time_fmt::{human_date, rfc3339};
use crate::domain::{Image, Page, Post, PostMeta, SiteSettings, Slug, Tag};
use askama::Template;
use std::sync::OnceLock;

/// The stylesheet, built into the binary and served at a content-hashed URL.
pub const STYLESHEET: &str = include_str!("../../static/style.css");

/// `/static/style.css?v=<hash>`: changes whenever the stylesheet does.
pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| format!("/static/style.css?v={}", stylesheet_version()))
}

pub fn stylesheet_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| crate::domain::custom_css::short_hash(STYLESHEET.as_bytes()))
}

/// The content hash a `[theme]` stylesheet is linked with (`?v=`).
pub fn theme_stylesheet_version(css: &str) -> String {
    crate::domain::custom_css::short_hash(css.as_bytes())
}

/// What goes in `<head>` besides the site-wide parts.
pub struct Head {
    pub lang: String,
    pub title: String,
    pub og_title: String,
    pub description: String,
    /// The request path, e.g. `/posts/what-are-muscle-knots` (the subscribe form's source).
    pub path: String,
    pub canonical: String,
    pub og_type: &'static str,
    pub og_locale: String,
    pub og_image: Option<String>,
    pub json_ld: String,
    pub post_comments_feed: Option<String>,
    pub noindex: bool,
    /// `<link rel="prev">` / `<link rel="next">`: the neighbouring pages of a paged
    /// comment thread.
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Whether the subscribe box closes the page (posts and listings; pages opt in).
    pub subscribe_box: bool,
    /// `[business] notice` while it shows (the one part of the chrome that depends on
    /// the time, so asked per render).
    pub notice: Option<String>,
}

fn head(site: &SiteChrome, path: &str, title: String, description: String) -> Head {
    Head {
        lang: site.language.clone(),
        og_title: title.clone(),
        title,
        description,
        path: path.to_owned(),
        canonical: site.url(path),
        og_type: "website",
        og_locale: site.og_locale.clone(),
        og_image: site.og_image.clone(),
        json_ld: String::new(),
        post_comments_feed: None,
        noindex: false,
        prev: None,
        next: None,
        subscribe_box: true,
        notice: site
            .settings()
            .business
            .notice_at(time::OffsetDateTime::now_utc())
            .map(|(text, _)| text.to_owned()),
    }
}

pub struct PostView<'a> {
    pub slug: &'a Slug,
    pub title: &'a str,
    pub date_iso: String,
    pub date_human: String,
    pub updated: Option<(String, String)>,
    pub reading_minutes: usize,
    pub tags: &'a [Tag],
    pub image: Option<&'a Image>,
    /// The lead image with its variants (`srcset`), when it has them.
    pub lead_image_html: Option<&'a str>,
    pub body_html: &'a str,
    /// The table of contents, when the post has one to show.
    pub toc: Option<&'a str>,
    pub comments_open: bool,
    pub comment_count: usize,
}

#[derive(Template)]
#[template(path = "post.html")]
pub struct PostPage<'a> {
    pub head: Head,
    pub chrome: &'a SiteChrome,
    pub post: PostView<'a>,
    pub comments: CommentsView,
    /// The post itself, for the JSON-LD that the comment count updates.
    source: &'a Post,
}

impl<'a> PostPage<'a> {
    pub fn new(
        site: &'a SiteChrome,
        post: &'a Post,
        body: &'a RenderedMarkdown,
        comments_open: bool,
    ) -> Self {
        let f = &post.front;
        let path = crate::site::routes::post_path(&post.slug);
        let description = if f.summary.is_empty() {
            f.title.clone()
        } else {
            f.summary.clone()
        };
        let mut head = head(
            site,
            &path,
            format!("{} – {}", f.title, site.title),
            description,
        );
        head.og_title = f.title.clone();
        head.og_type = "article";
        if let Some(image) = &f.image {
            head.og_image = Some(absolute(site, &image.src));
        }
        head.json_ld = json_ld::blog_posting(
            site,
            &site.business_ld,
            post,
            &head.canonical,
            head.og_image.as_deref(),
            0,
        );
        head.post_comments_feed = Some(site.url(&format!("{path}/comments.xml")));
        PostPage {
            head,
            chrome: site,
            post: PostView {
                slug: &post.slug,
                title: &f.title,
                date_iso: rfc3339(f.date),
                date_human: human_date(f.date, site.t),
                updated: f
                    .updated
                    .filter(|u| *u > f.date)
                    .map(|u| (rfc3339(u), human_date(u, site.t))),
                reading_minutes: body.word_count.div_ceil(200).max(1),
                tags: &f.tags,
                image: f.image.as_ref(),
                lead_image_html: body.lead_image_html.as_deref(),
                body_html: &body.html,
                toc: body
                    .toc
                    .shown(f.toc, site.toc_headings)
                    .then_some(body.toc.html.as_str()),
                comments_open,
                comment_count: 0,
            },
            comments: CommentsView::default(),
            source: post,
        }
    }

    /// Adds the approved thread, the form's state and a notice for a returning author.
    pub fn with_comments(mut self, comments: CommentsView) -> Self {
        self.post.comment_count = comments.total;
        let mut canonical_moved = false;
        if let Some(pager) = &comments.pager {
            let site = self.chrome;
            let post_path = crate::site::routes::post_path(self.post.slug);
            let url = |page: u32| site.url(&format!("{post_path}?cpage={page}"));
            self.head.prev = pager.prev_page.map(url);
            self.head.next = pager.next_page.map(url);
            if !pager.is_newest() {
                self.head.canonical = url(pager.page);
                canonical_moved = true;
            }
        }
        // `new` wrote it for no comments at the article's own address.
        if self.post.comment_count > 0 || canonical_moved {
            self.head.json_ld = json_ld::blog_posting(
                self.chrome,
                &self.chrome.business_ld,
                self.source,
                &self.head.canonical,
                self.head.og_image.as_deref(),
                self.post.comment_count,
            );
        }
        self.comments = comments;
        self
    }
}

pub(crate) fn absolute(site: &SiteSettings, src: &str) -> String {
    if src.starts_with('/') {
        site.url(&crate::site::media::href(src))
    } else {
        src.to_owned()
    }
}

#[derive(Template)]
#[template(path = "page.html")]
pub struct SitePageView<'a> {
    pub head: Head,
    pub chrome: &'a SiteChrome,
    pub title: &'a str,
    pub image: Option<&'a Image>,
    /// The lead image with its variants (`srcset`), when it has them.
    pub lead_image_html: Option<&'a str>,
    pub body_html: &'a str,
    /// Front matter `business_details = true`: address, phone, hours, map, booking.
    pub business_details: bool,
    /// Front matter `contact_form = true`: the form, as the visitor left it.
    pub contact: Option<super::contact::ContactForm>,
}

impl<'a> SitePageView<'a> {
    /// A page: the article's layout without date, tags, comments or (unless the page
    /// asks) the subscribe box.
    pub fn new(site: &'a SiteChrome, page: &'a Page, body: &'a RenderedMarkdown) -> Self {
        let path = crate::site::routes::page_path(&page.slug);
        let description = if page.summary.is_empty() {
            page.title.clone()
        } else {
            page.summary.clone()
        };
        let mut head = head(
            site,
            &path,
            format!("{} – {}", page.title, site.title),
            description,
        );
        head.og_title = page.title.clone();
        if let Some(image) = &page.image {
            head.og_image = Some(absolute(site, &image.src));
        }
        head.json_ld = json_ld::website(site, &site.business_ld, &head.canonical);
        head.subscribe_box = page.subscribe;
        SitePageView {
            head,
            chrome: site,
            title: &page.title,
            image: page.image.as_ref(),
            lead_image_html: body.lead_image_html.as_deref(),
            body_html: &body.html,
            business_details: page.business_details,
            contact: page
                .contact_form
                .then(|| super::contact::ContactForm::for_page(&page.slug)),
        }
    }

    /// The contact form with a visitor's values, errors or sent notice (a page without
    /// `contact_form` shows none).
    pub fn with_contact(mut self, form: super::contact::ContactForm) -> Self {
        if self.contact.is_some() {
            self.contact = Some(form);
        }
        self
    }
}

pub struct PostCard<'a> {
    pub slug: &'a Slug,
    pub title: &'a str,
    pub summary: &'a str,
    pub date_iso: String,
    pub date_human: String,
    pub tags: &'a [Tag],
}

impl<'a> PostCard<'a> {
    pub fn new(m: &'a PostMeta, t: &crate::i18n::Messages) -> Self {
        PostCard {
            slug: &m.slug,
            title: &m.title,
            summary: &m.summary,
            date_iso: rfc3339(m.date),
            date_human: human_date(m.date, t),
            tags: &m.tags,
        }
    }
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage<'a> {
    pub head: Head,
    pub chrome: &'a SiteChrome,
    pub heading: String,
    pub posts: Vec<PostCard<'a>>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// Which listing a page belongs to: the home page, one tag's page or one month's.
pub enum Listing<'a> {
    Home,
    Tag(&'a Tag),
    Month(YearMonth),
}

impl<'a> ListPage<'a> {
    /// `page` is 1-based; `newer`/`older` are the neighbouring pages' paths.
    pub fn new(
        site: &'a SiteChrome,
        listing: Listing<'_>,
        page: u32,
        posts: &'a [PostMeta],
        has_more: bool,
    ) -> Self {
        let t = site.t;
        let (base, heading, title, description) = match listing {
            Listing::Home => (
                String::new(),
                t.latest_posts.clone(),
                site.title.clone(),
                if site.description.is_empty() {
                    site.title.clone()
                } else {
                    site.description.clone()
                },
            ),
            Listing::Tag(tag) => (
                crate::site::routes::tag_path(&tag.slug),
                t.tag_heading(&tag.name),
                format!("{} – {}", tag.name, site.title),
                t.tag_description(&tag.name, &site.title),
            ),
            Listing::Month(month) => {
                let label = t.month_label(month.year, month.month);
                (
                    month.path(),
                    t.month_heading(&label),
                    format!("{label} – {}", site.title),
                    t.month_description(&label, &site.title),
                )
            }
        };
        let page_path = |n: u32| match (n, base.is_empty()) {
            (1, true) => "/".to_owned(),
            (1, false) => base.clone(),
            (n, _) => format!("{base}/page/{n}"),
        };
        let path = page_path(page);
        let title = if page > 1 {
            t.title_page(title, page)
        } else {
            title
        };
        let mut head = head(site, &path, title, description);
        head.json_ld = json_ld::website(site, &site.business_ld, &head.canonical);
        ListPage {
            head,
            chrome: site,
            heading: if page > 1 {
                t.heading_page(heading, page)
            } else {
                heading
            },
            posts: posts.iter().map(|m| PostCard::new(m, t)).collect(),
            newer: (page > 1).then(|| page_path(page - 1)),
            older: has_more.then(|| page_path(page + 1)),
        }
    }
}

/// The head of a site-wide page (`/tags`, `/archive`): WebSite JSON-LD.
fn website_head(site: &SiteChrome, path: &str, title: String, description: String) -> Head {
    let mut head = head(site, path, title, description);
    head.json_ld = json_ld::website(site, &site.business_ld, &head.canonical);
    head
}

#[derive(Template)]
#[template(path = "tags.html")]
pub struct TagIndexPage<'a> {
    pub head: Head,
    pub chrome: &'a SiteChrome,
    pub tags: &'a [TagCount],
}

impl<'a> TagIndexPage<'a> {
    pub fn new(site: &'a SiteChrome, summary: &'a ArchiveSummary) -> Self {
        TagIndexPage {
            head: website_head(
                site,
                "/tags",
                format!("{} – {}", site.t.topics_heading, site.title),
                site.t.topics_description(&site.title),
            ),
            chrome: site,
            tags: &summary.tags,
        }
    }
}

#[derive(Template)]
#[template(path = "archive.html")]
pub struct ArchivePage<'a> {
    pub head: Head,
    pub chrome: &'a SiteChrome,
    /// (href, "March 2024", posts), newest first.
    pub months: Vec<(String, String, u32)>,
}

impl<'a> ArchivePage<'a> {
    pub fn new(site: &'a SiteChrome, summary: &ArchiveSummary) -> Self {
        ArchivePage {
            head: website_head(
                site,
                "/archive",
                format!("{} – {}", site.t.archive_heading, site.title),
                site.t.archive_description(&site.title),
            ),
            chrome: site,
            months: summary
                .months
                .iter()
                .map(|m| {
                    let label = site.t.month_label(m.month.year, m.month.month);
                    (m.month.path(), label, m.posts)
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub heading: &'a str,
    pub message: &'a str,
    /// For the owner only (the local site): what exactly is wrong.
    pub detail: Option<&'a str>,
    pub site_title: Option<&'a str>,
    /// `<html lang>`, the head's links (the chrome's, or the built-in stylesheet alone
    /// when the settings cannot be read) and the strings, in the site's language.
    pub lang: &'a str,
    pub head_links: &'a str,
    pub t: &'static crate::i18n::Messages,
}

impl<'a> ErrorPage<'a> {
    /// An error page with the site's look and language, or the built-in look in
    /// English when there is no chrome (the settings could not be read).
    pub fn new(chrome: Option<&'a SiteChrome>, heading: &'a str, message: &'a str) -> Self {
        ErrorPage {
            heading,
            message,
            detail: None,
            site_title: chrome.map(|c| c.title.as_str()),
            lang: chrome.map_or("en", |c| c.language.as_str()),
            head_links: match chrome {
                Some(c) => c.head_links(),
                None => super::chrome::plain_head_links(),
            },
            t: chrome.map_or_else(|| crate::i18n::messages(Default::default()), |c| c.t),
        }
    }
}

/// One search result as `/search` lists it.
pub struct SearchResultView {
    pub href: String,
    pub title: String,
    pub summary: String,
    /// (ISO, "March 12, 2024") for posts; pages have no date.
    pub date: Option<(String, String)>,
}

/// `/search?q=`: the form, its error, and one page of results. Never indexed by crawlers.
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage<'a> {
    pub head: Head,
    pub chrome: &'a SiteChrome,
    /// The query as typed, shown back in the form (escaped like all text).
    pub query: &'a str,
    pub error: Option<String>,
    /// Whether a query was run (else the page is the form alone).
    pub searched: bool,
    /// No index is stored yet (a new site): said plainly rather than "no results".
    pub not_ready: bool,
    pub total: usize,
    pub page: u32,
    pub results: Vec<SearchResultView>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl<'a> SearchPage<'a> {
    pub fn new(site: &'a SiteChrome, query: &'a str) -> Self {
        let title = match query.is_empty() {
            true => format!("{} – {}", site.t.search_heading, site.title),
            false => format!("{} – {}", site.t.search_title_query(query), site.title),
        };
        let mut head = website_head(
            site,
            "/search",
            title,
            site.t.search_description(&site.title),
        );
        head.noindex = true;
        head.subscribe_box = false;
        SearchPage {
            head,
            chrome: site,
            query,
            error: None,
            searched: false,
            not_ready: false,
            total: 0,
            page: 1,
            results: Vec::new(),
            newer: None,
            older: None,
        }
    }

    /// The address of results page `page` for this query.
    pub fn page_href(query: &str, page: u32) -> String {
        let q: String = percent_encoding::utf8_percent_encode(query, QUERY_VALUE).collect();
        match page {
            1 => format!("/search?q={q}"),
            n => format!("/search?q={q}&page={n}"),
        }
    }
}

/// What a query value keeps as is: the unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
