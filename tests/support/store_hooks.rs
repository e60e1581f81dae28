//! A content store wrapped for fault and race tests: every write first passes the
//! test's hook (which may fail it or hold it), and everything else goes straight through.

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

/// What a test does around the wrapped store's writes.
#[async_trait]
pub trait WriteHook: Send + Sync {
    /// Before a write reaches the store: `Err` fails it (nothing is written), and a hook
    /// that awaits something holds it.
    async fn before(&self, key: &ContentKey, write: Write) -> Result<(), StoreError>;

    /// After a conditional write answered: `false` when another writer came first.
    fn after_put_if(&self, _wrote: bool) {}
}

/// `inner` with `hook` around its writes.
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
impl<S: ContentStore, H: WriteHook> ContentStore for Hooked<S, H> {
    async fn get(
        &self,
        key: &ContentKey,
        if_none_match: Option<&str>,
    ) -> Result<Fetched<StoredObject>, StoreError> {
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
