//! A content store wrapped for fault, race and counting tests: every read and write
//! first passes the test's hook (which may fail a write, hold it, or count a read).

use async_trait::async_trait;
use lambdapress::domain::Slug;
use lambdapress::ports::{
    ContentKey, ContentStore, Fetched, MediaHeaders, MediaKey, MediaLink, StoreError, StoredObject,
};

/// Which write a hook is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Put,
    PutIf,
}

/// What a test does around the wrapped store's reads and writes.
#[async_trait]
pub trait StoreHook: Send + Sync {
    /// Before a write reaches the store: `Err` fails it (nothing is written), and a hook
    /// that awaits something holds it.
    async fn before(&self, _key: &ContentKey, _write: Write) -> Result<(), StoreError> {
        Ok(())
    }

    /// After a conditional write answered: `false` when another writer came first.
    fn after_put_if(&self, _wrote: bool) {}

    /// Before a read reaches the store.
    fn on_get(&self, _key: &ContentKey) {}
}

/// `inner` with `hook` around its reads and writes; everything else goes straight through.
pub struct Hooked<S, H> {
    pub inner: S,
    pub hook: H,
}

impl<S, H> Hooked<S, H> {
    pub fn new(inner: S, hook: H) -> Hooked<S, H> {
        Hooked { inner, hook }
    }
}

#[async_trait]
impl<S: ContentStore, H: StoreHook> ContentStore for Hooked<S, H> {
    async fn get(
        &self,
        key: &ContentKey,
        if_none_match: Option<&str>,
    ) -> Result<Fetched<StoredObject>, StoreError> {
        self.hook.on_get(key);
        self.inner.get(key, if_none_match).await
    }
    async fn put(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
    ) -> Result<(), StoreError> {
        self.hook.before(key, Write::Put).await?;
        self.inner
            .put(key, bytes, content_type, cache_control)
            .await
    }
    async fn put_if(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
        expected: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.hook.before(key, Write::PutIf).await?;
        let wrote = self
            .inner
            .put_if(key, bytes, content_type, cache_control, expected)
            .await?;
        self.hook.after_put_if(wrote);
        Ok(wrote)
    }
    async fn delete(&self, key: &ContentKey) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
    async fn list_post_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        self.inner.list_post_slugs().await
    }
    async fn list_page_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        self.inner.list_page_slugs().await
    }
    async fn list_post_versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        self.inner.list_post_versions().await
    }
    async fn media_link(
        &self,
        key: &MediaKey,
        headers: &MediaHeaders,
    ) -> Result<Option<MediaLink>, StoreError> {
        self.inner.media_link(key, headers).await
    }
}

/// A hook that records every key read, for tests that count reads.
#[derive(Default)]
pub struct ReadCounter {
    gets: std::sync::Mutex<Vec<String>>,
}

impl StoreHook for ReadCounter {
    fn on_get(&self, key: &ContentKey) {
        self.gets.lock().unwrap().push(key.to_string());
    }
}

/// `inner` with every `get` recorded (the key asked for).
pub type CountedReads<S> = Hooked<S, ReadCounter>;

impl<S> Hooked<S, ReadCounter> {
    pub fn counting(inner: S) -> CountedReads<S> {
        Hooked::new(inner, ReadCounter::default())
    }

    /// The keys read since the last call, each with how many times, and forgets them.
    pub fn take(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for key in std::mem::take(&mut *self.hook.gets.lock().unwrap()) {
            *counts.entry(key).or_insert(0) += 1;
        }
        counts
    }
}
