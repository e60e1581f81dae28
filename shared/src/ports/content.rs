//! Content port: the bucket of posts, `site.toml` and generated objects.

use super::StoreError;
use crate::domain::Slug;
use async_trait::async_trait;
use std::fmt;
use time::OffsetDateTime;

/// A key in the content bucket. Only built from validated parts, so no key can climb
/// out of the bucket layout (or out of the local content folder).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentKey(String);

impl ContentKey {
    pub const SITE_SETTINGS: &'static str = "site.toml";
    pub const POSTS_PREFIX: &'static str = "posts/";

    pub fn post(slug: &Slug) -> ContentKey {
        ContentKey(format!("posts/{slug}.md"))
    }

    pub const PAGES_PREFIX: &'static str = "pages/";

    pub fn page(slug: &Slug) -> ContentKey {
        ContentKey(format!("pages/{slug}.md"))
    }

    /// The slug of a `pages/<slug>.md` key, if this is one.
    pub fn page_slug(&self) -> Option<Slug> {
        let name = self
            .0
            .strip_prefix(Self::PAGES_PREFIX)?
            .strip_suffix(".md")?;
        Slug::parse(name).ok()
    }

    pub fn site_settings() -> ContentKey {
        ContentKey(Self::SITE_SETTINGS.into())
    }

    pub const CUSTOM_CSS: &'static str = "theme/custom.css";

    /// `theme/custom.css`: the owner's own stylesheet (optional), read with site.toml.
    pub fn custom_css() -> ContentKey {
        ContentKey(Self::CUSTOM_CSS.into())
    }

    /// A key the site generates or serves as-is (`feed.xml`, `posts/<slug>/comments.xml`).
    /// Segments are plain names: ASCII letters, digits, `-`, `_`, one inner `.`.
    pub fn generated(key: &str) -> Option<ContentKey> {
        let ok = !key.is_empty()
            && key.len() <= 200
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && !seg.starts_with('.')
                    && !seg.ends_with('.')
                    && !seg.contains("..")
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            });
        ok.then(|| ContentKey(key.to_owned()))
    }

    /// The slug of a `posts/<slug>.md` key, if this is one.
    pub fn post_slug(&self) -> Option<Slug> {
        let name = self
            .0
            .strip_prefix(Self::POSTS_PREFIX)?
            .strip_suffix(".md")?;
        Slug::parse(name).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An object read from content storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bytes: Vec<u8>,
    /// The store's entity tag for these bytes, quoted as in HTTP (`"abc"`).
    pub etag: String,
    pub last_modified: Option<OffsetDateTime>,
    pub content_type: Option<String>,
}

/// The result of a conditional read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched<T> {
    Found(T),
    /// The caller's `if_none_match` still matches: reuse what it has.
    NotModified,
    Missing,
}

/// Content bucket: posts, `site.toml`, and generated objects (feeds, sitemap).
#[async_trait]
pub trait ContentStore: Send + Sync {
    /// Reads an object; with `if_none_match`, answers `NotModified` when it is unchanged.
    async fn get(
        &self,
        key: &ContentKey,
        if_none_match: Option<&str>,
    ) -> Result<Fetched<StoredObject>, StoreError>;

    /// Writes a generated object with the headers it is served with.
    async fn put(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
    ) -> Result<(), StoreError>;

    /// Writes an object only if it is still the one the caller read: `expected` is the
    /// ETag `get` answered, or `None` for "there was none". `Ok(false)`: another writer
    /// changed (or removed) it first; read it again and redo the change. For objects
    /// that are read, modified and written back (`redirects.toml`).
    async fn put_if(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
        expected: Option<&str>,
    ) -> Result<bool, StoreError>;

    async fn delete(&self, key: &ContentKey) -> Result<(), StoreError>;

    /// Every `posts/*.md` slug. For a full re-index by an operator, never on a page view.
    async fn list_post_slugs(&self) -> Result<Vec<Slug>, StoreError>;

    /// Every `pages/*.md` slug (reserved ones included, so `check` can name them).
    /// Read by `check`, the sitemap and the menu's page links; a site has a handful.
    async fn list_page_slugs(&self) -> Result<Vec<Slug>, StoreError>;

    /// Every `posts/*.md` slug with its object's ETag as `get` reports it (`None`: the
    /// store cannot list it cheaply). The reconcile pass compares it with the index.
    async fn list_post_versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        Ok(self
            .list_post_slugs()
            .await?
            .into_iter()
            .map(|s| (s, None))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_stay_inside_the_bucket_layout() {
        assert!(ContentKey::generated("feed.xml").is_some());
        assert!(ContentKey::generated("posts/a-b/comments.xml").is_some());
        for bad in [
            "",
            "../x",
            "a/../b",
            "/abs",
            "a//b",
            ".env",
            "a\\b",
            "x%2F",
            "posts/a/.",
        ] {
            assert!(ContentKey::generated(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn post_keys_know_their_slug() {
        let slug = Slug::parse("a-b").unwrap();
        assert_eq!(ContentKey::post(&slug).as_str(), "posts/a-b.md");
        assert_eq!(ContentKey::post(&slug).post_slug(), Some(slug));
        assert_eq!(
            ContentKey::generated("posts/a-b/comments.xml")
                .unwrap()
                .post_slug(),
            None
        );
    }
}
