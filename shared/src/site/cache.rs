//! In-process caches that let a warm Lambda skip work: finished views (bytes, br and
//! gzip variants, ETag) served from memory within a freshness window; a post re-parsed
//! and its Markdown re-rendered only when the store's ETag changes; settings (site.toml
//! and `theme/custom.css`) and the media variants index re-read after a time-to-live,
//! and revalidated by ETag rather than downloaded again.

use crate::domain::{Post, Slug};
use crate::http::compress::{self, Coding};
use crate::http::etag::coded_etag;
use crate::images::VariantsIndex;
use crate::render::chrome::SiteChrome;
use crate::render::RenderedMarkdown;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// A parsed post with its rendered body, as of the store's `etag` and the variants
/// index's version `variants` (its images' `srcset`s come from it).
pub struct CachedPost {
    pub etag: String,
    pub variants: String,
    pub last_modified: Option<OffsetDateTime>,
    pub post: Post,
    pub body: RenderedMarkdown,
}

#[derive(Default)]
pub struct PostCache {
    entries: Mutex<HashMap<Slug, Arc<CachedPost>>>,
}

impl PostCache {
    /// Bounded so a crawler walking every slug cannot grow a Lambda's memory without end.
    const MAX_ENTRIES: usize = 512;

    pub fn get(&self, slug: &Slug) -> Option<Arc<CachedPost>> {
        self.lock().get(slug).cloned()
    }

    pub fn insert(&self, slug: Slug, post: Arc<CachedPost>) {
        let mut entries = self.lock();
        if entries.len() >= Self::MAX_ENTRIES && !entries.contains_key(&slug) {
            entries.clear();
        }
        entries.insert(slug, post);
    }

    pub fn remove(&self, slug: &Slug) {
        self.lock().remove(slug);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Slug, Arc<CachedPost>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The settings as read: `site.toml` parsed, with `theme/custom.css` set on its theme,
/// and the chrome they make (built once here, shared by every page until they change).
#[derive(Clone)]
pub struct SettingsEntry {
    /// The store's ETag of `site.toml`.
    pub etag: String,
    /// The store's ETag of `theme/custom.css` as last read (`None`: there was none), so
    /// it is revalidated rather than downloaded again, even when it is not linked.
    pub css_etag: Option<String>,
    pub settings: Arc<SiteChrome>,
}

impl SettingsEntry {
    /// What every page is made from: site.toml's ETag, and the hash of the custom
    /// stylesheet the pages link (a new `theme/custom.css` re-renders every view).
    pub fn version(&self) -> String {
        match &self.settings.site.theme.custom_css {
            Some(css) => format!("{} css:{}", self.etag, css.version()),
            None => self.etag.clone(),
        }
    }
}

/// One value read from the store, with when it was last checked: fresh within the TTL
/// (a zero TTL: never), and kept however old for the conditional read that revalidates it.
pub struct Checked<T> {
    ttl: Duration,
    entry: Mutex<Option<(T, Instant)>>,
}

impl<T> Checked<T> {
    pub fn new(ttl: Duration) -> Checked<T> {
        Checked {
            ttl,
            entry: Mutex::new(None),
        }
    }

    /// `read` of the value if it was checked within the TTL.
    pub fn fresh<R>(&self, read: impl FnOnce(&T) -> R) -> Option<R> {
        let entry = self.lock();
        entry
            .as_ref()
            .filter(|(_, checked)| !self.ttl.is_zero() && checked.elapsed() < self.ttl)
            .map(|(value, _)| read(value))
    }

    /// `read` of the value however old (`None`: never read).
    pub fn stale<R>(&self, read: impl FnOnce(&T) -> R) -> Option<R> {
        self.lock().as_ref().map(|(value, _)| read(value))
    }

    /// Keeps `value` as checked now.
    pub fn store(&self, value: T) {
        *self.lock() = Some((value, Instant::now()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(T, Instant)>> {
        self.entry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The settings as last read, with their version.
pub struct SettingsCache(Checked<(String, SettingsEntry)>);

impl SettingsCache {
    pub fn new(ttl: Duration) -> SettingsCache {
        SettingsCache(Checked::new(ttl))
    }

    /// The cached settings and their version if checked within the TTL.
    pub fn fresh(&self) -> Option<(String, Arc<SiteChrome>)> {
        self.0
            .fresh(|(version, entry)| (version.clone(), entry.settings.clone()))
    }

    /// The cached settings with their ETags, however old, for revalidation.
    pub fn stale(&self) -> Option<SettingsEntry> {
        self.0.stale(|(_, entry)| entry.clone())
    }

    /// Keeps `entry` as checked now; answers its version.
    pub fn store(&self, entry: SettingsEntry) -> String {
        let version = entry.version();
        self.0.store((version.clone(), entry));
        version
    }
}

/// The media variants index as last read, with its ETag (`None`: there was none),
/// re-read (by conditional GET) after the settings' time-to-live.
pub type VariantsCache = Checked<(Option<String>, Arc<VariantsIndex>)>;

/// A finished response body with its precomputed codings and validators.
pub struct View {
    pub content_type: String,
    pub cache_control: &'static str,
    pub last_modified: Option<OffsetDateTime>,
    /// `Last-Modified`, formatted once.
    pub last_modified_header: Option<String>,
    /// What the view was made from (see `Version`): equal versions, equal bytes.
    pub version: u64,
    /// Never served from memory without revalidation past this (a notice's end).
    pub fresh_until: Option<Instant>,
    pub identity: Variant,
    pub br: Option<Variant>,
    pub gzip: Option<Variant>,
}

/// One coding of a view: its bytes and its own entity tag.
pub struct Variant {
    pub body: VariantBody,
    /// `None` for personal pages, which are `no-store` and never revalidated.
    pub etag: Option<String>,
}

pub enum VariantBody {
    Text(String),
    Binary(Vec<u8>),
}

impl VariantBody {
    fn len(&self) -> usize {
        match self {
            VariantBody::Text(t) => t.len(),
            VariantBody::Binary(b) => b.len(),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            VariantBody::Text(t) => t.as_bytes(),
            VariantBody::Binary(b) => b,
        }
    }
}

impl View {
    /// A view of `body`; with `precompress`, the br and gzip variants are made now, once
    /// for this version, when the type is text and the body is big enough to gain.
    pub fn new(
        body: VariantBody,
        content_type: String,
        cache_control: &'static str,
        last_modified: Option<OffsetDateTime>,
        etag: Option<String>,
        version: u64,
        precompress: bool,
    ) -> View {
        let coded = precompress
            && etag.is_some()
            && compress::compressible(&content_type)
            && body.len() >= compress::MIN_SIZE;
        let variant = |coding: &str, bytes: Vec<u8>| Variant {
            body: VariantBody::Binary(bytes),
            etag: etag.as_deref().map(|e| coded_etag(e, coding)),
        };
        let (br, gzip) = if coded {
            (
                Some(variant("br", compress::br(body.bytes()))),
                Some(variant("gzip", compress::gzip(body.bytes()))),
            )
        } else {
            (None, None)
        };
        View {
            content_type,
            cache_control,
            last_modified_header: last_modified.map(crate::domain::time_fmt::http_date),
            last_modified,
            version,
            fresh_until: None,
            identity: Variant { body, etag },
            br,
            gzip,
        }
    }

    /// Whether the body differs by `Accept-Encoding` (then responses say `Vary`).
    pub fn varies(&self) -> bool {
        self.br.is_some() || self.gzip.is_some()
    }

    /// The variant for the client's coding, and the `Content-Encoding` it needs.
    pub fn variant(&self, coding: Coding) -> (&Variant, Option<&'static str>) {
        match (coding, &self.br, &self.gzip) {
            (Coding::Brotli, Some(br), _) => (br, Coding::Brotli.header()),
            (Coding::Gzip, _, Some(gz)) => (gz, Coding::Gzip.header()),
            _ => (&self.identity, None),
        }
    }

    /// Bytes this view holds, for the cache's budget.
    pub fn size(&self) -> usize {
        let variant = |v: &Variant| v.body.len() + v.etag.as_ref().map_or(0, String::len);
        256 + self.content_type.len()
            + variant(&self.identity)
            + self.br.as_ref().map_or(0, variant)
            + self.gzip.as_ref().map_or(0, variant)
    }
}

/// What the view cache holds for a path.
pub enum Lookup {
    /// Checked within the freshness window: serve it, no store call.
    Fresh(Arc<View>),
    /// Older: revalidate (its `version` tells whether it can be kept).
    Stale(Arc<View>),
    Miss,
}

/// Finished views by path, least recently used evicted past a byte budget.
pub struct ViewCache {
    budget: usize,
    window: Duration,
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    slots: HashMap<String, Slot>,
    bytes: usize,
    tick: u64,
}

struct Slot {
    view: Arc<View>,
    checked_at: Instant,
    used: u64,
}

impl ViewCache {
    /// The default budget: 16 MiB of views, an eighth of a 128 MB function.
    pub const DEFAULT_BUDGET: usize = 16 << 20;

    pub fn new(budget: usize, window: Duration) -> ViewCache {
        ViewCache {
            budget,
            window,
            inner: Mutex::new(Lru::default()),
        }
    }

    pub fn lookup(&self, path: &str) -> Lookup {
        let mut lru = self.lock();
        lru.tick += 1;
        let tick = lru.tick;
        match lru.slots.get_mut(path) {
            Some(slot) => {
                slot.used = tick;
                let fresh = !self.window.is_zero()
                    && slot.checked_at.elapsed() < self.window
                    && slot.view.fresh_until.is_none_or(|t| Instant::now() < t);
                if fresh {
                    Lookup::Fresh(slot.view.clone())
                } else {
                    Lookup::Stale(slot.view.clone())
                }
            }
            None => Lookup::Miss,
        }
    }

    /// Stores (or, when revalidated unchanged, re-stamps) the view for `path`, then
    /// evicts the least recently used views until the cache is within its budget. A
    /// view larger than an eighth of the budget is not kept.
    pub fn store(&self, path: &str, view: Arc<View>) {
        let size = view.size();
        let mut lru = self.lock();
        if let Some(old) = lru.slots.remove(path) {
            lru.bytes -= old.view.size();
        }
        if size > self.budget / 8 {
            return;
        }
        while lru.bytes + size > self.budget {
            let Some(oldest) = lru
                .slots
                .iter()
                .min_by_key(|(_, slot)| slot.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(slot) = lru.slots.remove(&oldest) {
                lru.bytes -= slot.view.size();
            }
        }
        lru.tick += 1;
        let used = lru.tick;
        lru.bytes += size;
        lru.slots.insert(
            path.to_owned(),
            Slot {
                view,
                checked_at: Instant::now(),
                used,
            },
        );
    }

    pub fn remove(&self, path: &str) {
        let mut lru = self.lock();
        if let Some(old) = lru.slots.remove(path) {
            lru.bytes -= old.view.size();
        }
    }

    /// Bytes held now (for tests and the bench).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(len: usize, version: u64) -> Arc<View> {
        Arc::new(View::new(
            VariantBody::Text("x".repeat(len)),
            "text/html; charset=utf-8".into(),
            "public",
            None,
            Some("\"v1\"".into()),
            version,
            false,
        ))
    }

    #[test]
    fn fresh_within_the_window_then_stale() {
        let cache = ViewCache::new(1 << 20, Duration::from_millis(50));
        assert!(matches!(cache.lookup("/a"), Lookup::Miss));
        cache.store("/a", view(10, 1));
        assert!(matches!(cache.lookup("/a"), Lookup::Fresh(v) if v.version == 1));
        std::thread::sleep(Duration::from_millis(60));
        assert!(matches!(cache.lookup("/a"), Lookup::Stale(v) if v.version == 1));
        let zero = ViewCache::new(1 << 20, Duration::ZERO);
        zero.store("/a", view(10, 1));
        assert!(matches!(zero.lookup("/a"), Lookup::Stale(_)));
    }

    #[test]
    fn the_byte_budget_evicts_the_least_recently_used() {
        let one = view(1000, 1).size();
        let cache = ViewCache::new(one * 8, Duration::from_secs(60));
        for i in 0..8 {
            cache.store(&format!("/{i}"), view(1000, i));
        }
        assert!(matches!(cache.lookup("/0"), Lookup::Fresh(_)));
        cache.store("/8", view(1000, 8));
        assert!(cache.bytes() <= one * 8);
        assert!(
            matches!(cache.lookup("/0"), Lookup::Fresh(_)),
            "recently used"
        );
        assert!(
            matches!(cache.lookup("/1"), Lookup::Miss),
            "least recently used"
        );
        // Re-storing a path replaces it, it does not double count.
        cache.store("/8", view(1000, 9));
        assert!(cache.bytes() <= one * 8);
        // Too big for the budget: not kept.
        cache.store("/big", view(one * 2, 1));
        assert!(matches!(cache.lookup("/big"), Lookup::Miss));
    }

    #[test]
    fn compressed_variants_are_made_once_with_their_own_tags() {
        let v = View::new(
            VariantBody::Text("<p>hello</p>".repeat(100)),
            "text/html; charset=utf-8".into(),
            "public",
            None,
            Some("\"v1\"".into()),
            1,
            true,
        );
        assert!(v.varies());
        let (br, enc) = v.variant(Coding::Brotli);
        assert_eq!(enc, Some("br"));
        assert_eq!(br.etag.as_deref(), Some("\"v1-br\""));
        let (_, enc) = v.variant(Coding::Gzip);
        assert_eq!(enc, Some("gzip"));
        let (id, enc) = v.variant(Coding::Identity);
        assert_eq!((enc, id.etag.as_deref()), (None, Some("\"v1\"")));
        let image = View::new(
            VariantBody::Binary(vec![0; 4096]),
            "image/png".into(),
            "public",
            None,
            Some("\"e\"".into()),
            1,
            true,
        );
        assert!(!image.varies());
    }
}
