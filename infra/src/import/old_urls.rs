//! Every address a WordPress site answered for an imported item (its permalink in any
//! structure, `?p=`, attachment pages, category, tag, author and date archives, feeds),
//! recorded as redirects to where it now lives.

use super::wxr::WxrItem;
use lambdapress::domain::{Slug, Tag};
use lambdapress::redirects::{normalize_url_path, Redirects};
use lambdapress::site::routes::Route;
use lambdapress::site::routes::{page_path, post_path, tag_path};
use std::collections::HashMap;

/// The old site's site-wide addresses (feeds), whatever the export holds.
const SITE_WIDE: &[(&str, &str)] = &[
    ("/feed/", "/feed.xml"),
    ("/feed/rss2/", "/feed.xml"),
    ("/feed/atom/", "/atom.xml"),
    ("/comments/feed/", "/comments/feed.xml"),
    ("/?feed=rss2", "/feed.xml"),
    ("/?feed=rss", "/feed.xml"),
    ("/?feed=atom", "/atom.xml"),
    ("/?feed=comments-rss2", "/comments/feed.xml"),
];

/// The path and query of an absolute `<link>` (`https://host/2024/03/x/` → `/2024/03/x/`).
pub fn link_path(link: &str) -> Option<String> {
    let rest = link
        .trim()
        .strip_prefix("https://")
        .or_else(|| link.trim().strip_prefix("http://"))?;
    let at = rest.find(['/', '?']).unwrap_or(rest.len());
    let path = &rest[at..];
    let path = path.split('#').next().unwrap_or("");
    Some(match path {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    })
}

#[derive(Debug, Default)]
pub struct OldUrls {
    redirects: Redirects,
    /// Attachments by id: their page's path and their parent post's id.
    attachments: Vec<(String, String, String)>,
    /// Imported published posts and pages by WordPress id → their new path.
    posts: HashMap<String, String>,
}

impl OldUrls {
    pub fn new() -> OldUrls {
        let mut urls = OldUrls::default();
        for (from, to) in SITE_WIDE {
            urls.add(from, to);
        }
        urls
    }

    /// An attachment item (first pass): its page goes to its post, or home.
    pub fn attachment(&mut self, item: &WxrItem) {
        if item.post_type != "attachment" {
            return;
        }
        let page = link_path(&item.link).unwrap_or_default();
        self.attachments.push((
            item.post_id.trim().to_owned(),
            page,
            item.post_parent.trim().to_owned(),
        ));
    }

    /// A published post imported as `slug`, with the tags it kept.
    pub fn post(&mut self, item: &WxrItem, slug: &Slug, tags: &[Tag], date: time::OffsetDateTime) {
        let to = post_path(slug);
        let id = item.post_id.trim();
        if let Some(permalink) = link_path(&item.link) {
            self.add(&permalink, &to);
            if !permalink.contains('?') {
                let feed = format!("{}/feed/", permalink.trim_end_matches('/'));
                self.add(&feed, &format!("{to}/comments.xml"));
            }
        }
        self.add(&format!("/?p={id}"), &to);
        self.posts.insert(id.to_owned(), to);
        for category in &item.categories {
            let base = match category.domain.as_str() {
                "category" => "category",
                "post_tag" => "tag",
                _ => continue,
            };
            let nicename = category.nicename.trim();
            if nicename.is_empty() {
                continue;
            }
            let name = super::post::decode_entities(category.name.trim());
            let target = match Tag::parse(&name) {
                Ok(tag) if tags.iter().any(|t| t.slug == tag.slug) => tag_path(&tag.slug),
                _ => "/".to_owned(),
            };
            self.add(&format!("/{base}/{nicename}/"), &target);
            self.add(&format!("/{base}/{nicename}/feed/"), "/feed.xml");
            let query = if base == "tag" {
                "tag"
            } else {
                "category_name"
            };
            self.add(&format!("/?{query}={nicename}"), &target);
        }
        let creator = item.creator.trim();
        if !creator.is_empty() && Slug::parse(creator).is_ok() {
            self.add(&format!("/author/{creator}/"), "/");
        }
        let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
        self.add(&format!("/{y}/"), "/");
        self.add(&format!("/{y}/{m:02}/"), "/");
        self.add(&format!("/{y}/{m:02}/{d:02}/"), "/");
    }

    /// A published page imported as `slug`: its permalink (`/about/`, `/services/massage/`),
    /// `?page_id=` and `?p=` go to `/<slug>`.
    pub fn page(&mut self, item: &WxrItem, slug: &Slug) {
        let to = page_path(slug);
        let id = item.post_id.trim();
        if let Some(permalink) = link_path(&item.link) {
            self.add(&permalink, &to);
        }
        self.add(&format!("/?page_id={id}"), &to);
        self.add(&format!("/?p={id}"), &to);
        self.posts.insert(id.to_owned(), to);
    }

    /// Every new post and page path (links to an old address equal to one go there).
    pub fn new_paths(&self) -> impl Iterator<Item = &str> {
        self.posts.values().map(String::as_str)
    }

    /// The new path of a published post or page, by WordPress id.
    pub fn path_of(&self, wp_id: &str) -> Option<&str> {
        self.posts.get(wp_id.trim()).map(String::as_str)
    }

    /// Records one redirect unless its old path is one of the site's own addresses
    /// (which would shadow it) or the same as its target.
    fn add(&mut self, from: &str, to: &str) {
        let key = normalize_url_path(from);
        if key == normalize_url_path(to) {
            return;
        }
        // A page-shaped path (`/<slug>`) is WordPress's permalink form; a real page of that
        // slug would be shadowed, which `lambdapress check` reports.
        if !key.contains('?') && !matches!(Route::parse(&key), Route::NotFound | Route::Page(_)) {
            return;
        }
        let _ = self.redirects.insert(from, to);
    }

    /// All redirects, once every post is known (attachment pages go to their post).
    pub fn finish(&mut self) -> Redirects {
        for (id, page, parent) in std::mem::take(&mut self.attachments) {
            let to = self
                .posts
                .get(&parent)
                .cloned()
                .unwrap_or_else(|| "/".into());
            if !page.is_empty() {
                self.add(&page, &to);
            }
            self.add(&format!("/?attachment_id={id}"), &to);
        }
        self.redirects.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_paths_keep_path_and_query() {
        assert_eq!(
            link_path("https://x.example/2024/03/a/").as_deref(),
            Some("/2024/03/a/")
        );
        assert_eq!(
            link_path("https://x.example/?p=30").as_deref(),
            Some("/?p=30")
        );
        assert_eq!(link_path("http://x.example").as_deref(), Some("/"));
        assert_eq!(link_path("/relative"), None);
    }
}
