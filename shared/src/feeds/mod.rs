//! The feeds function's handler: S3 events for `posts/` keep the post index current.

use crate::domain::Slug;
use crate::indexer::{sync_post, IndexOutcome};
use crate::ports::{ContentKey, ContentStore, PostIndex, StoreError};
use aws_lambda_events::s3::S3Event;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

pub struct Feeds {
    pub content: Arc<dyn ContentStore>,
    pub index: Arc<dyn PostIndex>,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedsError {
    #[error("unrecognised event: {0}")]
    UnknownEvent(String),
    /// Returned to Lambda so the event is retried: nothing is lost to a passing outage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The post slugs an S3 event touches, each once however many records name it.
/// Keys arrive URL-encoded (`+` for space); anything not `posts/<slug>.md` is ignored.
pub fn post_slugs_in(event: &S3Event) -> BTreeSet<Slug> {
    event
        .records
        .iter()
        .filter_map(|r| r.s3.object.key.as_deref())
        .filter_map(|raw| {
            let spaced = raw.replace('+', " ");
            let key = percent_encoding::percent_decode_str(&spaced)
                .decode_utf8()
                .ok()?;
            ContentKey::generated(&key)?.post_slug()
        })
        .collect()
}

impl Feeds {
    pub async fn handle(&self, event: Value) -> Result<Value, FeedsError> {
        let is_s3 = event
            .pointer("/Records/0/eventSource")
            .and_then(Value::as_str)
            .is_some_and(|s| s == "aws:s3");
        if !is_s3 {
            return Err(FeedsError::UnknownEvent(
                event.to_string().chars().take(200).collect(),
            ));
        }
        let event: S3Event =
            serde_json::from_value(event).map_err(|e| FeedsError::UnknownEvent(e.to_string()))?;
        let mut report = serde_json::Map::new();
        for slug in post_slugs_in(&event) {
            let outcome = sync_post(self.content.as_ref(), self.index.as_ref(), &slug).await?;
            let word = match outcome {
                IndexOutcome::Indexed => "indexed".to_owned(),
                IndexOutcome::Draft => "draft".to_owned(),
                IndexOutcome::Removed => "removed".to_owned(),
                IndexOutcome::Rejected(e) => format!("rejected: {e}"),
            };
            report.insert(slug.to_string(), json!(word));
        }
        Ok(json!({ "posts": report }))
    }
}
