//! `/sitemap.xml` (sitemaps.org 0.9: home page, every published post, every page, every
//! tag page, each with `lastmod`) and `/robots.txt` pointing at it.

use super::generate::FeedSite;
use crate::domain::{time_fmt, PostMeta, Slug};
use crate::render::escape;
use std::collections::BTreeMap;
use time::OffsetDateTime;

fn modified(post: &PostMeta) -> OffsetDateTime {
    post.updated.unwrap_or(post.date).max(post.date)
}

fn url(out: &mut String, loc: &str, lastmod: OffsetDateTime) {
    out.push_str("  <url>\n    <loc>");
    out.push_str(&escape::html(loc));
    out.push_str("</loc>\n    <lastmod>");
    out.push_str(&time_fmt::sort_key(lastmod));
    out.push_str("</lastmod>\n  </url>\n");
}

fn url_undated(out: &mut String, loc: &str) {
    out.push_str("  <url>\n    <loc>");
    out.push_str(&escape::html(loc));
    out.push_str("</loc>\n  </url>\n");
}

/// A published page (`pages/<slug>.md`, no draft) as the sitemap lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapPage {
    pub slug: Slug,
    /// When its object last changed, as the store reports it.
    pub lastmod: Option<OffsetDateTime>,
}

/// The sitemap for `posts` (published, newest first) and `pages`. A tag page's `lastmod`
/// is its newest post's; the home page's is the newest post's overall.
pub fn sitemap(site: &FeedSite, posts: &[PostMeta], pages: &[SitemapPage]) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    match posts.iter().map(modified).max() {
        Some(newest) => url(&mut out, &site.home(), newest),
        None => url_undated(&mut out, &site.home()),
    }
    for page in pages {
        let loc = site.url(&crate::site::routes::page_path(&page.slug));
        match page.lastmod {
            Some(lastmod) => url(&mut out, &loc, lastmod),
            None => url_undated(&mut out, &loc),
        }
    }
    let mut tags: BTreeMap<&Slug, OffsetDateTime> = BTreeMap::new();
    for post in posts {
        url(&mut out, &site.post_url(&post.slug), modified(post));
        for tag in &post.tags {
            let entry = tags.entry(&tag.slug).or_insert(modified(post));
            *entry = (*entry).max(modified(post));
        }
    }
    for (tag, lastmod) in tags {
        url(&mut out, &site.tag_url(tag), lastmod);
    }
    out.push_str("</urlset>\n");
    out.into_bytes()
}

/// Lets every crawler in, except to search results (endless and thin), and names the
/// sitemap.
pub fn robots(site: &FeedSite) -> Vec<u8> {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /search\n\nSitemap: {}\n",
        site.url("/sitemap.xml")
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> FeedSite {
        FeedSite {
            title: "T".into(),
            description: "D".into(),
            base_url: "https://example.com/a&b".into(),
            language: "en".into(),
            author: "A".into(),
            items: 20,
        }
    }

    #[test]
    fn an_empty_site_still_lists_its_home_page_and_urls_are_escaped() {
        let xml = String::from_utf8(sitemap(&site(), &[], &[])).unwrap();
        assert!(
            xml.contains("<url>\n    <loc>https://example.com/a&amp;b/</loc>\n  </url>"),
            "{xml}"
        );
        assert!(!xml.contains("lastmod"));
    }

    #[test]
    fn pages_are_listed_at_their_root_path_with_their_lastmod() {
        let pages = [
            SitemapPage {
                slug: Slug::parse("about").unwrap(),
                lastmod: Some(time::macros::datetime!(2026-03-04 05:06:07 UTC)),
            },
            SitemapPage {
                slug: Slug::parse("privacy").unwrap(),
                lastmod: None,
            },
        ];
        let xml = String::from_utf8(sitemap(&site(), &[], &pages)).unwrap();
        assert!(
            xml.contains("<loc>https://example.com/a&amp;b/about</loc>\n    <lastmod>2026-03-04T05:06:07Z</lastmod>"),
            "{xml}"
        );
        assert!(
            xml.contains("<loc>https://example.com/a&amp;b/privacy</loc>\n  </url>"),
            "{xml}"
        );
    }
}
