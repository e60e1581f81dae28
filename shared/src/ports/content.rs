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
        Self::page_slug_of(&self.0)
    }

    /// The slug of a key as a store lists it or an event names it (already decoded, any
    /// UTF-8), if it is `pages/<slug>.md`.
    pub fn page_slug_of(key: &str) -> Option<Slug> {
        let name = key.strip_prefix(Self::PAGES_PREFIX)?.strip_suffix(".md")?;
        Slug::parse(name).ok()
    }

    /// `posts/<slug>/comments.xml`: one post's comments feed.
    pub fn post_comments_feed(slug: &Slug) -> ContentKey {
        ContentKey(format!("posts/{slug}/comments.xml"))
    }

    pub fn site_settings() -> ContentKey {
        ContentKey(Self::SITE_SETTINGS.into())
    }

    pub const CUSTOM_CSS: &'static str = "theme/custom.css";

    /// `theme/custom.css`: the owner's own stylesheet (optional), read with site.toml.
    pub fn custom_css() -> ContentKey {
        ContentKey(Self::CUSTOM_CSS.into())
    }

    /// A key the site generates or serves as-is (`feed.xml`, `sitemap.xml`). Segments are
    /// plain names: ASCII letters, digits, `-`, `_`, one inner `.`. A post's keys, whose
    /// slug may be UTF-8, come from `post`, `post_comments_feed` and `post_slug_of`.
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
        Self::post_slug_of(&self.0)
    }

    /// The slug of a key as a store lists it or an event names it (already decoded, any
    /// UTF-8), if it is `posts/<slug>.md`: `posts/cómo-dormir.md` is `cómo-dormir`.
    pub fn post_slug_of(key: &str) -> Option<Slug> {
        let name = key.strip_prefix(Self::POSTS_PREFIX)?.strip_suffix(".md")?;
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

/// A file under `media/`: the owner's uploads, in folders, with any safe UTF-8 name
/// (spaces and accents included). Built only by `parse` (a name below `media/`, already
/// percent-decoded) or `from_url_path` (a `/media/...` path as a URL spells it), so
/// no media key can leave `media/` or name a hidden file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaKey(ContentKey);

impl MediaKey {
    pub const PREFIX: &'static str = "media/";
    /// Folders and file: at most this many segments below `media/`.
    pub const MAX_DEPTH: usize = 8;
    /// Bytes in one segment (the usual file-system limit).
    pub const MAX_SEGMENT: usize = 255;
    /// Bytes in the whole key, `media/` included (S3's own limit).
    pub const MAX_KEY: usize = 1024;

    /// `name`: the path below `media/` (`clínica/año nuevo.jpg`). Refused: no segment,
    /// more than `MAX_DEPTH`, an empty, `.`, `..` or hidden (leading dot) segment, a
    /// backslash or control character, a segment over `MAX_SEGMENT` bytes or a key over
    /// `MAX_KEY` bytes.
    pub fn parse(name: &str) -> Option<MediaKey> {
        let ok = !name.is_empty()
            && Self::PREFIX.len() + name.len() <= Self::MAX_KEY
            && name.split('/').count() <= Self::MAX_DEPTH
            && name.split('/').all(|seg| {
                !seg.is_empty()
                    && seg.len() <= Self::MAX_SEGMENT
                    && !seg.starts_with('.')
                    && !seg.chars().any(|c| c == '\\' || c.is_control())
            });
        ok.then(|| MediaKey(ContentKey(format!("{}{name}", Self::PREFIX))))
    }

    /// A `/media/...` URL path, each segment percent-decoded on its own (so `%2F` is a
    /// refused `/` in a name, never a folder); `None` unless it names a media key. Raw
    /// UTF-8 and spaces pass through unchanged, so a path an owner typed reads the same.
    pub fn from_url_path(path: &str) -> Option<MediaKey> {
        let rest = path.strip_prefix('/')?.strip_prefix(Self::PREFIX)?;
        if rest.len() > 3 * Self::MAX_KEY {
            return None;
        }
        let mut name = String::with_capacity(rest.len());
        for (i, seg) in rest.split('/').enumerate() {
            let seg = percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .ok()?;
            if seg.contains('/') {
                return None;
            }
            if i > 0 {
                name.push('/');
            }
            name.push_str(&seg);
        }
        MediaKey::parse(&name)
    }

    /// The path below `media/`.
    pub fn name(&self) -> &str {
        &self.0.as_str()[Self::PREFIX.len()..]
    }

    /// The bucket key (`media/<name>`).
    pub fn key(&self) -> &ContentKey {
        &self.0
    }

    /// The URL path the site serves it at, percent-encoded: every byte but ASCII
    /// letters, digits and `-._~` is escaped, so the href is safe in any attribute, in
    /// CSS and in a feed, and `from_url_path` reads it back to this key.
    pub fn href(&self) -> String {
        let mut href = String::with_capacity(1 + self.0.as_str().len() * 3);
        href.push_str("/media");
        for seg in self.name().split('/') {
            href.push('/');
            href.extend(percent_encoding::utf8_percent_encode(seg, PATH_SEGMENT));
        }
        href
    }
}

/// What a media href escapes: everything but RFC 3986's unreserved characters.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl fmt::Display for MediaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The headers a media object is served with, chosen by the site from its allow-list,
/// never taken from the upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaHeaders {
    pub content_type: &'static str,
    /// `Content-Disposition: attachment` (a download, never shown inline).
    pub attachment: bool,
    pub cache_control: &'static str,
}

/// Where a visitor's browser fetches a media object from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaLink {
    /// A short-lived URL (a pre-signed S3 GET) that answers with the `MediaHeaders`.
    Url(String),
    /// There is no such object.
    Missing,
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

    /// A short-lived URL a browser can fetch this media object from directly, answered
    /// with `headers`, so large files never pass through a function's response.
    /// `Ok(None)`: this store has no such URL (the embedded folder), and the site serves
    /// the bytes itself.
    async fn media_link(
        &self,
        _key: &MediaKey,
        _headers: &MediaHeaders,
    ) -> Result<Option<MediaLink>, StoreError> {
        Ok(None)
    }

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
    fn media_keys_take_folders_utf8_and_spaces() {
        for name in [
            "a.jpg",
            "clínica/año nuevo.jpg",
            "uploads/2024/05/back tension (1).png",
            "100%.pdf",
            "a/b/c/d/e/f/g/h.png",
            "日本語.txt",
            "a..b.pdf",
        ] {
            let key = MediaKey::parse(name).unwrap_or_else(|| panic!("{name:?}"));
            assert_eq!(key.name(), name);
            assert_eq!(key.key().as_str(), format!("media/{name}"));
        }
        assert!(MediaKey::parse(&"é".repeat(127)).is_some(), "254 bytes");
    }

    #[test]
    fn media_keys_refuse_traversal_hidden_control_and_excess() {
        let long_segment = "a".repeat(256);
        let deep = "a/".repeat(8) + "x.png";
        let long_key = vec!["b".repeat(200); 6].join("/");
        for bad in [
            "",
            "..",
            "../site.toml",
            "a/../../site.toml",
            ".",
            "./a.png",
            "a/./b.png",
            ".env",
            "a/.git/config",
            "a//b.png",
            "/a.png",
            "a/",
            "a\\b.png",
            "a\nb.png",
            "a\u{7f}.png",
            "a\u{85}.png",
            "a\0.png",
            long_segment.as_str(),
            deep.as_str(),
            long_key.as_str(),
        ] {
            assert_eq!(MediaKey::parse(bad), None, "{bad:?}");
        }
        assert!(MediaKey::parse(&vec!["b".repeat(200); 5].join("/")).is_some());
    }

    #[test]
    fn media_hrefs_are_percent_encoded_and_read_back() {
        let key = MediaKey::parse("clínica/año nuevo.jpg").unwrap();
        assert_eq!(key.href(), "/media/cl%C3%ADnica/a%C3%B1o%20nuevo.jpg");
        assert_eq!(MediaKey::from_url_path(&key.href()), Some(key.clone()));
        // As an owner types it, raw.
        assert_eq!(
            MediaKey::from_url_path("/media/clínica/año nuevo.jpg"),
            Some(key)
        );
        for name in ["a+b.png", "100%.pdf", "x?y#z.txt", "q'\"<>.png", "~a-b_c.d"] {
            let key = MediaKey::parse(name).unwrap();
            let href = key.href();
            assert!(
                href.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-._~%".contains(&b)),
                "{href}"
            );
            assert_eq!(
                MediaKey::from_url_path(&href).as_ref(),
                Some(&key),
                "{href}"
            );
        }
        assert_eq!(
            MediaKey::parse("back-tension.svg").unwrap().href(),
            "/media/back-tension.svg"
        );
        for bad in [
            "/media/",
            "/media",
            "/posts/a.png",
            "media/a.png",
            "/media/a%2Fb.png",
            "/media/a%2F..%2Fsite.toml",
            "/media/%2e%2e/site.toml",
            "/media/%2Eenv",
            "/media/a%5Cb.png",
            "/media/a%00.png",
            "/media/a%0A.png",
            "/media/%FF.png",
            "/media/a//b.png",
        ] {
            assert_eq!(MediaKey::from_url_path(bad), None, "{bad}");
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
        let utf8 = Slug::parse("cómo-dormir").unwrap();
        assert_eq!(ContentKey::post(&utf8).as_str(), "posts/cómo-dormir.md");
        assert_eq!(
            ContentKey::post_slug_of("posts/cómo-dormir.md"),
            Some(utf8.clone())
        );
        assert_eq!(
            ContentKey::post_comments_feed(&utf8).as_str(),
            "posts/cómo-dormir/comments.xml"
        );
        assert_eq!(
            ContentKey::page_slug_of("pages/niños.md").unwrap().as_str(),
            "niños"
        );
        for bad in [
            "posts/c%C3%B3mo.md",
            "posts/a/b.md",
            "posts/../x.md",
            "pages/Á.md",
        ] {
            assert_eq!(ContentKey::post_slug_of(bad), None, "{bad}");
            assert_eq!(ContentKey::page_slug_of(bad), None, "{bad}");
        }
    }
}
