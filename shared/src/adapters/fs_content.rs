//! Embedded content store: a folder laid out like the content bucket. Generated objects
//! are written to a separate overlay folder so the author's folder stays as they left it.

use crate::domain::Slug;
use crate::http::etag::strong_etag;
use crate::ports::{ContentKey, ContentStore, Fetched, StoreError, StoredObject};
use async_trait::async_trait;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

pub struct FsContent {
    root: PathBuf,
    generated: PathBuf,
    /// Makes `put_if`'s compare-and-write one step for this process (the local site
    /// and its watcher share one `FsContent`).
    conditional: tokio::sync::Mutex<()>,
}

impl FsContent {
    /// `root` holds `site.toml` and `posts/`; `generated` receives written objects.
    pub fn new(root: impl Into<PathBuf>, generated: impl Into<PathBuf>) -> FsContent {
        FsContent {
            root: root.into(),
            generated: generated.into(),
            conditional: tokio::sync::Mutex::new(()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a post's source file lives (the local runner watches these).
    pub fn post_path(&self, slug: &Slug) -> PathBuf {
        self.root.join(ContentKey::post(slug).as_str())
    }

    async fn read(path: &Path) -> Result<Option<(Vec<u8>, Option<OffsetDateTime>)>, StoreError> {
        match tokio::fs::read(path).await {
            Ok(bytes) => {
                let modified = tokio::fs::metadata(path)
                    .await
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .map(OffsetDateTime::from);
                Ok(Some((bytes, modified)))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::new(format!("reading {}: {e}", path.display()))),
        }
    }
}

#[async_trait]
impl ContentStore for FsContent {
    async fn get(
        &self,
        key: &ContentKey,
        if_none_match: Option<&str>,
    ) -> Result<Fetched<StoredObject>, StoreError> {
        let mut found = Self::read(&self.generated.join(key.as_str())).await?;
        if found.is_none() {
            found = Self::read(&self.root.join(key.as_str())).await?;
        }
        let Some((bytes, last_modified)) = found else {
            return Ok(Fetched::Missing);
        };
        let etag = strong_etag(&bytes);
        if if_none_match == Some(etag.as_str()) {
            return Ok(Fetched::NotModified);
        }
        let content_type =
            tokio::fs::read_to_string(self.generated.join(format!("{key}.content-type")))
                .await
                .ok();
        Ok(Fetched::Found(StoredObject {
            bytes,
            etag,
            last_modified,
            content_type,
        }))
    }

    async fn put(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        _cache_control: &str,
    ) -> Result<(), StoreError> {
        let path = self.generated.join(key.as_str());
        let fail = |e: std::io::Error| StoreError::new(format!("writing {}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(fail)?;
        }
        // Write then rename, so a reader never sees half an object. The temporary name
        // keeps the whole file name: `feed.xml` and `feed.json` may be written at once.
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp-write");
        let tmp = std::path::PathBuf::from(tmp);
        tokio::fs::write(&tmp, &bytes).await.map_err(fail)?;
        tokio::fs::write(
            self.generated.join(format!("{key}.content-type")),
            content_type,
        )
        .await
        .map_err(fail)?;
        tokio::fs::rename(&tmp, &path).await.map_err(fail)
    }

    /// Compares the stored bytes' ETag and writes under one lock: atomic within the
    /// process. (Another process writing the same file at the same instant — an import
    /// while the local site runs — is not covered; the next event or `reindex` repairs.)
    async fn put_if(
        &self,
        key: &ContentKey,
        bytes: Vec<u8>,
        content_type: &str,
        cache_control: &str,
        expected: Option<&str>,
    ) -> Result<bool, StoreError> {
        let _one_at_a_time = self.conditional.lock().await;
        let current = match self.get(key, None).await? {
            Fetched::Found(object) => Some(object.etag),
            Fetched::Missing | Fetched::NotModified => None,
        };
        if current.as_deref() != expected {
            return Ok(false);
        }
        self.put(key, bytes, content_type, cache_control).await?;
        Ok(true)
    }

    async fn delete(&self, key: &ContentKey) -> Result<(), StoreError> {
        for path in [
            self.generated.join(key.as_str()),
            self.generated.join(format!("{key}.content-type")),
        ] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::new(format!("deleting {}: {e}", path.display()))),
            }
        }
        Ok(())
    }

    async fn list_post_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        self.list_slugs("posts", ContentKey::post_slug_of).await
    }

    async fn list_page_slugs(&self) -> Result<Vec<Slug>, StoreError> {
        self.list_slugs("pages", ContentKey::page_slug_of).await
    }
}

impl FsContent {
    /// The slugs of `<folder>/<slug>.md` files, in the source and generated trees.
    async fn list_slugs(
        &self,
        folder: &str,
        slug_of: fn(&str) -> Option<Slug>,
    ) -> Result<Vec<Slug>, StoreError> {
        let mut slugs = Vec::new();
        for dir in [self.root.join(folder), self.generated.join(folder)] {
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(entries) => entries,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(StoreError::new(format!("listing {}: {e}", dir.display()))),
            };
            while let Some(entry) = entries.next_entry().await.map_err(StoreError::new)? {
                // A name that is not UTF-8 is no slug (a lossy `\u{fffd}` is refused).
                let key = format!("{folder}/{}", entry.file_name().to_string_lossy());
                if let Some(slug) = slug_of(&key) {
                    slugs.push(slug);
                }
            }
        }
        slugs.sort();
        slugs.dedup();
        Ok(slugs)
    }
}
