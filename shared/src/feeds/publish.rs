//! Writes generated objects, skipping any whose stored bytes and type are already the
//! same: its ETag stays, so feed readers and crawlers keep getting 304.

use super::generate::Output;
use crate::ports::{ContentStore, Fetched, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Written,
    Unchanged,
}

/// Publishes one object: one read, and a write only when something differs.
pub async fn publish(content: &dyn ContentStore, output: Output) -> Result<Published, StoreError> {
    if let Fetched::Found(stored) = content.get(&output.key, None).await? {
        let same_type = stored
            .content_type
            .as_deref()
            .is_none_or(|t| t == output.content_type);
        if stored.bytes == output.bytes && same_type {
            return Ok(Published::Unchanged);
        }
    }
    content
        .put(
            &output.key,
            output.bytes,
            output.content_type,
            output.cache_control,
        )
        .await?;
    Ok(Published::Written)
}

/// Publishes several objects concurrently; returns each key with what happened to it.
pub async fn publish_all(
    content: &dyn ContentStore,
    outputs: Vec<Output>,
) -> Result<Vec<(String, Published)>, StoreError> {
    let writes = outputs.into_iter().map(|output| async move {
        let key = output.key.to_string();
        publish(content, output).await.map(|p| (key, p))
    });
    futures::future::try_join_all(writes).await
}
