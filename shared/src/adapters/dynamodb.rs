//! What the DynamoDB adapters share: the item type, attribute builders, error mapping
//! and the partition key every post-scoped item uses (see `aws::table`).

use crate::domain::Slug;
use crate::ports::StoreError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn unavailable(what: &str, e: impl std::error::Error) -> StoreError {
    StoreError::new(format!("DynamoDB {what}: {}", DisplayErrorContext(e)))
}

/// Whether a write was refused by its condition (the expected "someone got there first").
pub fn condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// A conditional write's answer: applied, or its condition no longer held.
pub fn applied<T, E, R>(result: Result<T, SdkError<E, R>>, op: &str) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if condition_failed(&e) => Ok(false),
        Err(e) => Err(unavailable(op, e)),
    }
}

/// The partition of a post's index entry, its tags and its comments.
pub fn post_pk(slug: &Slug) -> String {
    format!("POST#{slug}")
}

/// Runs a Query to the end, following `LastEvaluatedKey` page by page, and returns its
/// items; with `limit`, stops once that many are in hand. Every Query that can page goes
/// through here.
pub async fn query_pages(
    query: QueryFluentBuilder,
    limit: Option<usize>,
) -> Result<Vec<Item>, StoreError> {
    let mut found = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut page = query.clone().set_exclusive_start_key(start.take());
        if let Some(limit) = limit {
            let left = limit.saturating_sub(found.len());
            page = page.limit(i32::try_from(left).unwrap_or(i32::MAX));
        }
        let out = page.send().await.map_err(|e| unavailable("Query", e))?;
        found.extend(out.items().iter().cloned());
        if limit.is_some_and(|l| found.len() >= l) {
            found.truncate(limit.unwrap_or(usize::MAX));
            return Ok(found);
        }
        match out.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return Ok(found),
        }
    }
}

/// Puts items with `BatchWriteItem`, 25 a request, sending unprocessed items (throttling)
/// again until none is left. Unconditional and not atomic: only for bulk loads into a
/// table that holds none of these items yet (benchmarks, imports).
pub async fn batch_put(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    items: Vec<Item>,
) -> Result<(), StoreError> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    for chunk in items.chunks(25) {
        let mut pending = chunk
            .iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .map_err(StoreError::new)?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        while !pending.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await
                .map_err(|e| unavailable("BatchWriteItem", e))?;
            pending = out
                .unprocessed_items()
                .and_then(|u| u.get(table))
                .cloned()
                .unwrap_or_default();
        }
    }
    Ok(())
}
