//! The images function's handler: on an upload to `media/`, the variants are made and
//! written beside it, then listed in the variants index; on a removal, the index entry
//! goes first, then the variants.
//!
//! Crash safety. Variants are written before the index names them, and the index entry
//! goes before the variants are deleted, so a page never links a missing variant; a
//! crash between the two steps leaves only unlisted objects (harmless, and replaced by
//! the same names when the event is retried). The index is read, changed and written
//! back with `put_if`, retried from a fresh read when another writer got there first,
//! so concurrent uploads never lose each other's entries. A re-delivered event finds
//! the entry for the same bytes and writes nothing.

use super::events::{self, Change};
use super::make::{self, Refused};
use super::{content_hash, index_key, is_variant, Entry, Format, Variant, VariantsIndex};
use crate::http::response::CACHE_IMMUTABLE;
use crate::ports::{ContentStore, Fetched, MediaKey, StoreError};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// Attempts at the index's read-modify-write before the event fails (and is retried).
const INDEX_ATTEMPTS: usize = 8;

/// What one change came to (the handler's answer lists them; tests read them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Variants written and listed (how many files).
    Made(usize),
    /// The index already lists variants of these very bytes.
    Unchanged,
    /// Not ours to handle: a variant, not an image type, gone already, re-uploaded.
    Skipped(&'static str),
    /// Not decodable, or over the limits: logged, no variants.
    Refused(String),
    /// The entry and its variants removed (how many files).
    Removed(usize),
}

#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    #[error(transparent)]
    Event(#[from] events::UnknownEvent),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the variants index kept changing: {INDEX_ATTEMPTS} attempts")]
    Contended,
}

pub struct Images {
    content: Arc<dyn ContentStore>,
}

impl Images {
    pub fn new(content: Arc<dyn ContentStore>) -> Images {
        Images { content }
    }

    /// Handles an S3 event; fails (so Lambda retries the event) only on a store error.
    pub async fn handle(&self, event: Value) -> Result<Value, ImagesError> {
        let mut done = Vec::new();
        for change in events::parse(event)? {
            let outcome = match &change {
                Change::Created(key) => self.created(key).await?,
                Change::Removed(key) => self.removed(key).await?,
            };
            tracing::info!(key = %change.key(), outcome = ?outcome, "media change");
            done.push(json!({"key": change.key().name(), "outcome": format!("{outcome:?}")}));
        }
        Ok(json!({ "changes": done }))
    }

    /// Makes and lists the variants of an upload.
    pub async fn created(&self, key: &MediaKey) -> Result<Outcome, ImagesError> {
        if is_variant(key) {
            return Ok(Outcome::Skipped("a variant"));
        }
        let Some(format) = Format::of_original(key) else {
            return Ok(Outcome::Skipped("not a resizable image type"));
        };
        let original = match self.content.get(key.key(), None).await? {
            Fetched::Found(object) => object,
            Fetched::Missing | Fetched::NotModified => return Ok(Outcome::Skipped("gone")),
        };
        let hash = content_hash(&original.bytes);
        let (index, _) = self.index().await?;
        if index.get(key).is_some_and(|e| e.hash == hash) {
            return Ok(Outcome::Unchanged);
        }
        let name = key.clone();
        let etag = original.etag.clone();
        let made = tokio::task::spawn_blocking(move || {
            make::make_variants(&name, format, &original.bytes)
        })
        .await
        .map_err(|e| StoreError::new(format!("variant maker panicked: {e}")))?;
        // Only while the original is still these bytes: a newer upload's own event
        // decides about its own variants.
        let listed = index.get(key).is_some();
        let made = match made {
            Ok(made) => made,
            Err(e @ Refused::Encode(_)) => return Err(StoreError::new(e.to_string()).into()),
            Err(refused) => {
                tracing::warn!(key = %key, error = %refused, "no variants made");
                // A replaced upload's variants are not this one's.
                self.unlist(key, listed && self.unchanged(key, &etag).await?)
                    .await?;
                return Ok(Outcome::Refused(refused.to_string()));
            }
        };
        if made.files.is_empty() {
            self.unlist(key, listed && self.unchanged(key, &etag).await?)
                .await?;
            return Ok(Outcome::Skipped("no wider than the smallest variant"));
        }
        let count = made.files.len();
        for (variant, bytes, f) in made.files {
            self.content
                .put(variant.key(), bytes, f.content_type(), CACHE_IMMUTABLE)
                .await?;
        }
        if !self.unchanged(key, &etag).await? {
            return Ok(Outcome::Skipped("re-uploaded or removed meanwhile"));
        }
        let entry = made.entry;
        let replaced = self
            .update_index(|index| index.images.insert(key.name().to_owned(), entry.clone()))
            .await?;
        self.delete_unlisted(replaced, &entry.variants).await?;
        Ok(Outcome::Made(count))
    }

    /// Unlists and deletes the variants of a removed original.
    pub async fn removed(&self, key: &MediaKey) -> Result<Outcome, ImagesError> {
        if is_variant(key) || Format::of_original(key).is_none() {
            return Ok(Outcome::Skipped("not an original"));
        }
        if matches!(self.content.get(key.key(), None).await?, Fetched::Found(_)) {
            // Uploaded again since: its created event keeps the entry current.
            return Ok(Outcome::Skipped("present again"));
        }
        if self.index().await?.0.get(key).is_none() {
            return Ok(Outcome::Unchanged);
        }
        Ok(Outcome::Removed(self.unlist(key, true).await?))
    }

    /// Takes `key`'s entry out of the index, then deletes the variants it listed; how
    /// many. `listed`: whether the index read before had one (else nothing to do).
    async fn unlist(&self, key: &MediaKey, listed: bool) -> Result<usize, ImagesError> {
        if !listed {
            return Ok(0);
        }
        let removed = self
            .update_index(|index| index.images.remove(key.name()))
            .await?;
        let count = removed.as_ref().map_or(0, |e| e.variants.len());
        self.delete_unlisted(removed, &[]).await?;
        Ok(count)
    }

    /// Whether the original at `key` is still the object read with `etag`.
    async fn unchanged(&self, key: &MediaKey, etag: &str) -> Result<bool, StoreError> {
        Ok(matches!(
            self.content.get(key.key(), Some(etag)).await?,
            Fetched::NotModified
        ))
    }

    /// The index and its ETag (`None`: there is none yet).
    pub async fn index(&self) -> Result<(VariantsIndex, Option<String>), StoreError> {
        Ok(match self.content.get(&index_key(), None).await? {
            Fetched::Found(object) => (VariantsIndex::parse(&object.bytes), Some(object.etag)),
            Fetched::Missing | Fetched::NotModified => (VariantsIndex::default(), None),
        })
    }

    /// Applies `change` to the index and writes it back if no one wrote it meanwhile,
    /// else again from a fresh read. Answers what `change` answered on the write kept.
    async fn update_index(
        &self,
        change: impl Fn(&mut VariantsIndex) -> Option<Entry>,
    ) -> Result<Option<Entry>, ImagesError> {
        for _ in 0..INDEX_ATTEMPTS {
            let (mut index, etag) = self.index().await?;
            let answer = change(&mut index);
            let written = self
                .content
                .put_if(
                    &index_key(),
                    index.to_bytes(),
                    "application/json",
                    "no-cache",
                    etag.as_deref(),
                )
                .await?;
            if written {
                return Ok(answer);
            }
        }
        Err(ImagesError::Contended)
    }

    /// Deletes the variants `old` listed but `keep` does not (a replaced upload's).
    async fn delete_unlisted(
        &self,
        old: Option<Entry>,
        keep: &[Variant],
    ) -> Result<(), StoreError> {
        let Some(old) = old else { return Ok(()) };
        let kept: HashSet<&str> = keep.iter().map(|v| v.name.as_str()).collect();
        for v in old
            .variants
            .iter()
            .filter(|v| !kept.contains(v.name.as_str()))
        {
            if let Some(key) = MediaKey::parse(&v.name).filter(is_variant) {
                self.content.delete(key.key()).await?;
            }
        }
        Ok(())
    }
}
