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

/// The partition of a post's index entry, its tags and its comments.
pub fn post_pk(slug: &Slug) -> String {
    format!("POST#{slug}")
}

/// Every item a Query matches, following `LastEvaluatedKey` page by page (a page stops
/// at 1 MB read, so a partition's items can span many). The one place the DynamoDB
/// adapters page a Query to its end.
pub async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let out = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| unavailable("Query", e))?;
        items.extend(out.items().iter().cloned());
        match out.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return Ok(items),
        }
    }
}
