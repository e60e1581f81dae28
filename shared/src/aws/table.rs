//! The single DynamoDB table's layout. `template.yaml` declares the same keys and index.
//! Every access pattern reads by key (GetItem, or a Query on one key range); none reads
//! a partition through a filter.
//!
//! | item              | pk                          | sk                                  | gsi1pk                 | gsi1sk                        | TTL (`expires_at`) |
//! |-------------------|-----------------------------|-------------------------------------|------------------------|-------------------------------|--------------------|
//! | post index entry  | `POST#<slug>`               | `META`                              | `PUBLISHED`            | `<utc date>#<slug>`           | –                  |
//! | post's tag        | `POST#<slug>`               | `TAG#<tag>`                         | `TAG#<tag>`            | `<utc date>#<slug>`           | –                  |
//! | approved comment  | `POST#<slug>`               | `COMMENT#<page:06>#<utc ms>#<id>`   | `COMMENTS#approved`    | `<utc ms>#<id>`               | –                  |
//! | held comment      | `HELD#<slug>`               | `COMMENT#<utc ms>#<id>`             | `COMMENTS#pending`     | `<utc ms>#<id>`               | –                  |
//! | spam comment      | `HELD#<slug>`               | `COMMENT#<utc ms>#<id>`             | `COMMENTS#spam`        | `<utc ms>#<id>`               | written + 30 days  |
//! | thread counter    | `THREAD#<slug>`             | `THREAD`                            | –                      | –                             | –                  |
//! | comment id pointer| `COMMENTID#<id>`            | `COMMENTID`                         | –                      | –                             | its comment's      |
//! | fingerprint claim | `COMMENTFP#<fingerprint>`   | `COMMENTFP`                         | –                      | –                             | its comment's      |
//! | approved author   | `AUTHOR#<email hash>`       | `APPROVED`                          | –                      | –                             | –                  |
//! | flood window      | `FLOOD#<client-… or email-…>` | `FLOOD`                           | –                      | –                             | window end + 60 s  |
//! | subscriber        | `SUBSCRIBER#<email key>`    | `SUBSCRIBER`                        | `SUBSCRIBERS#<status>` | `<utc signup>#<email key>`    | –                  |
//! | rate counter      | `RATE#signup#<client hash>` | `WINDOW#<unix start>`               | –                      | –                             | window end         |
//! | feeds publish lease | `FEEDS#PUBLISH`           | `LEASE`                             | –                      | –                             | – (`until`, epoch ms) |
//! | archive summary   | `ARCHIVE#SUMMARY`           | `SUMMARY`                           | –                      | –                             | –                  |
//! | newsletter        | `NEWSLETTER#<slug>`         | `NEWSLETTER`                        | –                      | –                             | –                  |
//! | newsletter send   | `NEWSLETTER#<slug>`         | `TO#<email key>`                    | –                      | –                             | –                  |
//!
//! `expires_at` (N, epoch seconds) is the table's TTL attribute: DynamoDB deletes an item
//! some time after it passes.
//!
//! **Posts** (`adapters::dynamodb_index`): `META` is read by `GetItem`, a post's tags by
//! `begins_with(sk, 'TAG#')`; listings query `gsi1` (`PUBLISHED`, `TAG#<tag>`). `META` also holds `etag`, its object's
//! S3 ETag, which the hourly reconcile compares with the bucket's listing. The feeds
//! function publishes under the `FEEDS#PUBLISH` lease (a conditional `UpdateItem` on
//! `holder`/`until`), so two runs never interleave their read and publish.
//!
//! **Archive** (`adapters::dynamodb_index`): `/tags` and `/archive` read the one
//! `ARCHIVE#SUMMARY` item by `GetItem` (attribute `body`: the tags and months with their
//! counts, as JSON; at most `MAX_SUMMARY_TAGS` tags, a few KB for a clinic's blog, far
//! below the 400 KB item limit). The feeds function writes it (`PutItem`) whenever it
//! rebuilds the sitemap, from the same `PUBLISHED` listing, so no view counts anything.
//! A month's page `/archive/<yyyy>/<mm>` is one `gsi1` Query on `PUBLISHED` with
//! `gsi1sk BETWEEN '<month start>' AND '<month end or now>#U+10FFFF'`, paged like the home page (a UTF-8
//! slug sorts above `~`, so the bound is the highest character, not `~`).
//!
//! **Comments** (`adapters::dynamodb_comments`): `<utc ms>` is `2024-03-12T09:00:00.123Z`.
//! The `POST#<slug>` range `COMMENT#` holds the approved comments and nothing else;
//! pending and spam live in the post's `HELD#<slug>` partition, which no view reads. The
//! approved range is ordered by thread page, then time: `<page:06>` is fixed when a
//! comment is first approved (a top-level one: the thread counter's `roots` over
//! `THREAD_PAGE_ROOTS` (50), plus one; a reply: its parent's page, from the parent's
//! pointer) and kept in the attribute `page` on the comment and its pointer, so a
//! comment that leaves the range (spam) and comes back keeps its page. A thread page is
//! one `begins_with(sk, 'COMMENT#<page:06>#')` Query plus one `GetItem` of the counter,
//! which holds `roots` (N, top-level comments ever approved: the page count) and
//! `approved` (N, comments approved now: the count every page shows), both changed in
//! the transaction of each comment change.
//! `<status>` is `pending`, `approved` or `spam`, and the same value is in the attribute
//! `status`. Comment attributes: `id`, `post`, `parent` (optional), `author`, `email`,
//! `website` (optional), `body` (Markdown source; spam keeps at most 1,000 characters),
//! `body_html` (sanitized at write time), `created_at` (RFC 3339), `client_hash`,
//! `fingerprint`, `status`, `page` (once approved), `expires_at` (spam).
//! The pointer holds `id`, `comment_pk`, `comment_sk` (where the comment is now) and
//! `page`; the claim holds `id`. The approved author item counts the address's approved
//! comments (`approved`, N, added to and taken from in the same transaction as each
//! change); `has_approved_from` is `approved > 0`. Flood windows hold `until_ms` (N).
//!
//! Every comment change is one `TransactWriteItems`: an insert puts claim, pointer and
//! comment, each only if absent (plus the author count and, for a new top-level approved
//! comment, the counter's `roots` raised only if unchanged since read); a status change
//! moves the item between `POST#` and `HELD#` (delete if present + put if absent) and
//! rewrites claim and pointer with the new `expires_at`; a delete removes all three.
//! A status change and a delete are conditional on the status read (`#st = :from` on
//! the comment's delete or put), so of two moderation links pressed at once one applies
//! and the other is refused whole. A transaction cancelled with `TransactionConflict`
//! (another one held its items) is sent again after a jittered pause, up to 10 times. So
//! no fault leaves a claim, pointer or count without its comment. Spam past 30 days is
//! removed with its claim and pointer by the comment function (`expire_spam`: a `gsi1`
//! range Query on `COMMENTS#spam` up to `now - 30 days`), TTL being the backstop.
//!
//! The feeds function reads this table's stream (template.yaml `CommentApproval`): the
//! filter passes comment items (`pk` beginning `POST#`, `sk` beginning `COMMENT#`) whose
//! `NewImage.status` or `OldImage.status` is `approved`. Only approved comments are in
//! `POST#`, so an approval is an INSERT there, and spam or a delete a REMOVE with
//! `OldImage.status = "approved"`; `feeds::events` checks again which post's thread
//! changed.
//!
//! **Subscribers** (`adapters::dynamodb_subscribers`): `<email key>` is the lowercase
//! address (`SubscriberEmail::key`), so a conditional put admits one item per address
//! and a signup is that single conditional write (or one conditional update claiming a
//! resend). Attributes: `email` (as typed), `status` (`pending` | `confirmed` |
//! `unsubscribed`), `signed_up_at`, `confirmed_at`, `unsubscribed_at`,
//! `confirmation_sent_at` (the last mail's claim), `mailed_at` (the claim whose mail was
//! reported sent; a claim without it lapses after `CLAIM_LEASE`, 30 s) (all UTC
//! `YYYY-MM-DDTHH:MM:SSZ`, lexically ordered), `source` (page path) and `client_hash`
//! (keyed hash of the client address). Rate counters hold `hits` (N).
//!
//! **Newsletters** (`newsletter::dynamodb`): one `NEWSLETTER` item per post sent, and one
//! `TO#<email key>` item per recipient, in the newsletter's partition.

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
