//! In-process caches that let a warm Lambda skip work: a post is re-parsed and its
//! Markdown re-rendered only when the store's ETag changes; settings are re-read after
//! a time-to-live, and revalidated by ETag rather than downloaded again.

use crate::domain::{Post, SiteSettings, Slug};
use crate::render::RenderedMarkdown;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// A parsed post with its rendered body, as of the store's `etag`.
pub struct CachedPost {
    pub etag: String,
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

pub struct CachedSettings {
    pub etag: String,
    pub settings: Arc<SiteSettings>,
    pub checked_at: Instant,
}

pub struct SettingsCache {
    ttl: Duration,
    entry: Mutex<Option<CachedSettings>>,
}

impl SettingsCache {
    pub fn new(ttl: Duration) -> SettingsCache {
        SettingsCache {
            ttl,
            entry: Mutex::new(None),
        }
    }

    /// The cached settings if checked within the TTL.
    pub fn fresh(&self) -> Option<Arc<SiteSettings>> {
        let entry = self.lock();
        entry
            .as_ref()
            .filter(|e| !self.ttl.is_zero() && e.checked_at.elapsed() < self.ttl)
            .map(|e| e.settings.clone())
    }

    /// The cached settings and their ETag, however old, for revalidation.
    pub fn stale(&self) -> Option<(String, Arc<SiteSettings>)> {
        self.lock()
            .as_ref()
            .map(|e| (e.etag.clone(), e.settings.clone()))
    }

    pub fn store(&self, etag: String, settings: Arc<SiteSettings>) {
        *self.lock() = Some(CachedSettings {
            etag,
            settings,
            checked_at: Instant::now(),
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CachedSettings>> {
        self.entry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
