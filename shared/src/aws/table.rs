//! The single DynamoDB table's layout. `template.yaml` declares the same keys and index.
//!
//! | item            | pk             | sk            | gsi1pk          | gsi1sk               |
//! |-----------------|----------------|---------------|-----------------|----------------------|
//! | post index entry| `POST#<slug>`  | `META`        | `PUBLISHED`     | `<utc date>#<slug>`  |
//! | post's tag      | `POST#<slug>`  | `TAG#<tag>`   | `TAG#<tag>`     | `<utc date>#<slug>`  |
//! | comment         | `POST#<slug>`  | `COMMENT#<utc ms>#<id>` | `COMMENTS#<status>` | `<utc ms>#<id>` |
//! | comment id      | `COMMENTID#<id>` | `COMMENTID` | –               | –                    |
//! | comment repeat  | `COMMENTFP#<fingerprint>` | `COMMENTFP` | –    | –                    |
//! | approved author | `AUTHOR#<email hash>` | `APPROVED` | –          | –                    |
//! | flood window    | `FLOOD#<key hash>` | `FLOOD`   | –               | –                    |
//! | subscriber      | `SUBSCRIBER#<email key>` | `SUBSCRIBER` | `SUBSCRIBERS#<status>` | `<utc signup>#<email key>` |
//! | rate counter    | `RATE#<purpose>#<client hash>` | `WINDOW#<unix start>` | — | — |
//! Feeds: `META` also holds `etag` (its object's ETag, which reconcile compares); `FEEDS#PUBLISH`/`LEASE` (`holder`, `until` epoch ms) is the publishing lease.
//!
//! A subscriber's `<email key>` is the lowercase address (`SubscriberEmail::key`), so a
//! conditional put on it admits one item per address. Subscriber attributes: `email`
//! (as typed), `status` (`pending` | `confirmed` | `unsubscribed`), `signed_up_at`,
//! `confirmed_at`, `unsubscribed_at`, `confirmation_sent_at` (UTC `YYYY-MM-DDTHH:MM:SSZ`,
//! lexically ordered), `source` (page path) and `client_hash` (keyed hash of the client
//! address). Rate counters hold `hits` (N) and `expires_at` (N, epoch seconds), the
//! table's TTL attribute, so old windows delete themselves.
//!
//! Comments (`adapters::dynamodb_comments`): `<utc ms>` is `2024-03-12T09:00:00.123Z`;
//! `<status>` is `pending`, `approved` or `spam`, and the same value is in the attribute
//! `status`. Approving a comment is one `UpdateItem` that sets `status = "approved"` and
//! moves `gsi1pk` to `COMMENTS#approved` (a MODIFY stream record); a comment approved on
//! arrival (moderation "none", or a known author) is an INSERT with that status. So a
//! DynamoDB stream filter on `sk` beginning `COMMENT#` and `NewImage.status =
//! "approved"` sees every comment that becomes visible; spam and deletes show as
//! MODIFY/REMOVE with `OldImage.status = "approved"`.
//! Other attributes: `id`, `post`, `parent` (optional), `author`, `email`, `website`
//! (optional), `body` (Markdown source), `body_html` (sanitized at write time),
//! `created_at` (RFC 3339), `client_hash`, `fingerprint`. Spam carries `expires_at`
//! (TTL, 30 days). A new comment first claims its fingerprint item with a conditional
//! put (of racing repeats exactly one wins), then writes its id pointer and itself, each
//! only if absent; a failure after the claim releases it.
//!
//! The feeds function reads this table's stream (template.yaml `CommentApproval`): the
//! filter passes comment items (`pk` beginning `POST#`, `sk` beginning `COMMENT#`) whose
//! `NewImage.status` or `OldImage.status` is `approved`, and `feeds::events` checks again
//! which post's thread changed. The feeds write no items of their own.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";

/// Creates the table as `template.yaml` does, for the emulator and for tests.
/// An existing table is left alone.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), String> {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| e.to_string())
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(|e| e.to_string())
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key(GSI1_PK, KeyType::Hash)?)
        .key_schema(key(GSI1_SK, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|e| e.to_string())?;
    let result = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(PK)?)
        .attribute_definitions(attr(SK)?)
        .attribute_definitions(attr(GSI1_PK)?)
        .attribute_definitions(attr(GSI1_SK)?)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .global_secondary_indexes(gsi)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(format!(
            "creating table {name}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(e)
        )),
    }
}
