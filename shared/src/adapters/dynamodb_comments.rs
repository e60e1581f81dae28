//! AWS comment store: DynamoDB items in the layout of `aws::table`. A post's approved
//! comments are one key range in time order, held ones another partition; `gsi1` lists
//! each status newest or oldest first. Every change is one `TransactWriteItems`.

use super::dynamodb::{post_pk, query_pages, s, unavailable, Item};
use crate::aws::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use crate::domain::time_fmt;
use crate::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Slug, Website,
};
use crate::ports::comments::approved_author_key;
use crate::ports::{CommentStore, Inserted, StoreError, Throttle};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// The sort key prefix of every comment item, approved or held.
const COMMENT: &str = "COMMENT#";

/// The attribute the feeds function's stream filter matches (`approved`).
pub const STATUS: &str = "status";
/// Spam is kept this long for review, then DynamoDB's TTL removes it.
const SPAM_KEPT: Duration = Duration::days(30);

#[derive(Clone)]
pub struct DynamoCommentStore {
    client: Client,
    table: String,
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn comment_sk(c: &Comment) -> String {
    format!("{COMMENT}{}", c.sort_key())
}

/// Approved comments sit in the post's partition under `COMMENT#` (a range holding
/// nothing else); pending and spam in the post's `HELD#` partition, which no view reads.
fn comment_pk(c: &Comment) -> String {
    match c.status {
        CommentStatus::Approved => post_pk(&c.post),
        CommentStatus::Pending | CommentStatus::Spam => format!("HELD#{}", c.post),
    }
}

fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(k, _)| *k == PK || *k == SK)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn status_partition(status: CommentStatus) -> String {
    format!("COMMENTS#{status}")
}

fn pointer_key(id: &CommentId) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("COMMENTID#{id}"))),
        (SK.to_owned(), s("COMMENTID")),
    ])
}

fn fingerprint_key(fp: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("COMMENTFP#{fp}"))),
        (SK.to_owned(), s("COMMENTFP")),
    ])
}

fn author_key(email: &CommentEmail) -> Item {
    HashMap::from([
        (
            PK.to_owned(),
            s(format!("AUTHOR#{}", approved_author_key(email))),
        ),
        (SK.to_owned(), s("APPROVED")),
    ])
}

fn flood_key(key: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("FLOOD#{key}"))),
        (SK.to_owned(), s("FLOOD")),
    ])
}

fn spam_expiry(c: &Comment) -> i64 {
    (c.created_at + SPAM_KEPT).unix_timestamp()
}

fn encode(c: &Comment) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(comment_pk(c)));
    item.insert(SK.into(), s(comment_sk(c)));
    item.insert(GSI1_PK.into(), s(status_partition(c.status)));
    item.insert(GSI1_SK.into(), s(c.sort_key()));
    item.insert(STATUS.into(), s(c.status.as_str()));
    item.insert("id".into(), s(c.id.as_str()));
    item.insert("post".into(), s(c.post.as_str()));
    if let Some(parent) = &c.parent {
        item.insert("parent".into(), s(parent.as_str()));
    }
    item.insert("author".into(), s(c.author.as_str()));
    item.insert("email".into(), s(c.email.as_str()));
    if let Some(website) = &c.website {
        item.insert("website".into(), s(website.as_str()));
    }
    item.insert("body".into(), s(c.body.as_str()));
    item.insert("body_html".into(), s(&c.body_html));
    item.insert("created_at".into(), s(time_fmt::rfc3339(c.created_at)));
    item.insert("client_hash".into(), s(&c.client_hash));
    item.insert("fingerprint".into(), s(&c.fingerprint));
    if c.status == CommentStatus::Spam {
        item.insert("expires_at".into(), n(spam_expiry(c)));
    }
    item
}

fn decode(item: &Item) -> Result<Comment, StoreError> {
    let corrupt =
        |field: &str| StoreError::new(format!("DynamoDB comment item has a bad `{field}`"));
    let text = |field: &str| {
        item.get(field)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            .ok_or_else(|| corrupt(field))
    };
    let optional = |field: &str| {
        item.get(field)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
    };
    Ok(Comment {
        id: CommentId::parse(text("id")?).map_err(|_| corrupt("id"))?,
        post: Slug::parse(text("post")?).map_err(|_| corrupt("post"))?,
        parent: optional("parent")
            .map(CommentId::parse)
            .transpose()
            .map_err(|_| corrupt("parent"))?,
        author: AuthorName::parse(text("author")?).map_err(|_| corrupt("author"))?,
        email: CommentEmail::parse(text("email")?).map_err(|_| corrupt("email"))?,
        website: optional("website")
            .map(Website::parse)
            .transpose()
            .map_err(|_| corrupt("website"))?,
        body: CommentBody::parse(text("body")?).map_err(|_| corrupt("body"))?,
        body_html: text("body_html")?.to_owned(),
        status: CommentStatus::parse(text(STATUS)?).ok_or_else(|| corrupt(STATUS))?,
        created_at: time_fmt::parse_rfc3339(text("created_at")?)
            .ok_or_else(|| corrupt("created_at"))?,
        client_hash: text("client_hash")?.to_owned(),
        fingerprint: text("fingerprint")?.to_owned(),
    })
}

fn delete(
    table: &str,
    key: Item,
    condition: Option<&str>,
) -> Result<TransactWriteItem, StoreError> {
    let mut d = Delete::builder().table_name(table).set_key(Some(key));
    if let Some(c) = condition {
        d = d.condition_expression(c);
    }
    Ok(TransactWriteItem::builder()
        .delete(d.build().map_err(StoreError::new)?)
        .build())
}

fn put(table: &str, item: Item, if_absent: bool) -> Result<TransactWriteItem, StoreError> {
    let mut p = Put::builder().table_name(table).set_item(Some(item));
    if if_absent {
        p = p.condition_expression("attribute_not_exists(pk)");
    }
    Ok(TransactWriteItem::builder()
        .put(p.build().map_err(StoreError::new)?)
        .build())
}

/// Adds `delta` to the approved-comment count of an address (the marker
/// `has_approved_from` reads), in the same transaction as the comment's change.
fn count_author(
    table: &str,
    email: &CommentEmail,
    delta: i64,
) -> Result<TransactWriteItem, StoreError> {
    Ok(TransactWriteItem::builder()
        .update(
            Update::builder()
                .table_name(table)
                .set_key(Some(author_key(email)))
                .update_expression("ADD #c :d")
                .expression_attribute_names("#c", "approved")
                .expression_attribute_values(":d", n(delta))
                .build()
                .map_err(StoreError::new)?,
        )
        .build())
}

/// The helper items of a comment: its fingerprint claim and id pointer. They carry the
/// comment's `expires_at` (spam), so they go when it goes.
fn helpers(c: &Comment, item: &Item) -> (Item, Item) {
    let mut claim = fingerprint_key(&c.fingerprint);
    claim.insert("id".into(), s(c.id.as_str()));
    let mut pointer = pointer_key(&c.id);
    pointer.insert("id".into(), s(c.id.as_str()));
    pointer.insert("comment_pk".into(), item[PK].clone());
    pointer.insert("comment_sk".into(), item[SK].clone());
    if let Some(x) = item.get("expires_at") {
        claim.insert("expires_at".into(), x.clone());
        pointer.insert("expires_at".into(), x.clone());
    }
    (claim, pointer)
}

/// Whether a transaction was cancelled by one of its conditions.
fn cancelled_by_condition<R>(
    e: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> bool {
    e.as_service_error().is_some_and(|s| {
        s.is_transaction_canceled_exception()
            && match s {
                aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) => {
                    c.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))
                }
                _ => false,
            }
    })
}

impl DynamoCommentStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoCommentStore {
        DynamoCommentStore {
            client,
            table: table.into(),
        }
    }

    async fn get_item(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(out.item().cloned())
    }

    /// One transaction; `Ok(false)` when a condition refused it (nothing written).
    async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if cancelled_by_condition(&e) => Ok(false),
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    /// The key of a comment's item, from its id pointer.
    async fn comment_key(&self, id: &CommentId) -> Result<Option<Item>, StoreError> {
        let Some(pointer) = self.get_item(pointer_key(id)).await? else {
            return Ok(None);
        };
        let field = |f: &str| {
            pointer
                .get(f)
                .cloned()
                .ok_or_else(|| StoreError::new(format!("DynamoDB comment pointer lacks `{f}`")))
        };
        Ok(Some(HashMap::from([
            (PK.to_owned(), field("comment_pk")?),
            (SK.to_owned(), field("comment_sk")?),
        ])))
    }

    /// One `gsi1` partition in order, at most `limit` comments.
    async fn by_status(
        &self,
        status: CommentStatus,
        newest_first: bool,
        limit: usize,
    ) -> Result<Vec<Comment>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", GSI1_PK)
            .expression_attribute_values(":p", s(status_partition(status)))
            .scan_index_forward(!newest_first);
        query_pages(query, Some(limit))
            .await?
            .iter()
            .map(decode)
            .collect()
    }
}

#[async_trait]
impl CommentStore for DynamoCommentStore {
    async fn insert(&self, comment: &Comment) -> Result<Inserted, StoreError> {
        let item = encode(comment);
        let (claim, pointer) = helpers(comment, &item);
        // Claim, pointer and comment (and the author's count) in one transaction, each
        // put only if absent: of racing repeats exactly one is written, and a fault
        // leaves nothing behind to refuse the retry.
        let mut actions = vec![
            put(&self.table, claim, true)?,
            put(&self.table, pointer, true)?,
            put(&self.table, item, true)?,
        ];
        if comment.status == CommentStatus::Approved {
            actions.push(count_author(&self.table, &comment.email, 1)?);
        }
        if self.transact(actions).await? {
            return Ok(Inserted::Stored);
        }
        Ok(Inserted::Duplicate)
    }

    async fn get(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        let Some(key) = self.comment_key(id).await? else {
            return Ok(None);
        };
        self.get_item(key).await?.as_ref().map(decode).transpose()
    }

    async fn approved_for_post(&self, post: &Slug) -> Result<Vec<Comment>, StoreError> {
        // The approved range holds nothing else: no filter, nothing read to be dropped.
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :comment)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(post_pk(post)))
            .expression_attribute_values(":comment", s(COMMENT));
        query_pages(query, None).await?.iter().map(decode).collect()
    }

    async fn newest_approved(&self, limit: usize) -> Result<Vec<Comment>, StoreError> {
        self.by_status(CommentStatus::Approved, true, limit).await
    }

    async fn pending(&self, limit: usize) -> Result<Vec<Comment>, StoreError> {
        self.by_status(CommentStatus::Pending, false, limit).await
    }

    async fn is_repeat(&self, fingerprint: &str) -> Result<bool, StoreError> {
        Ok(self.get_item(fingerprint_key(fingerprint)).await?.is_some())
    }

    async fn has_approved_from(&self, email: &CommentEmail) -> Result<bool, StoreError> {
        let count = self
            .get_item(author_key(email))
            .await?
            .as_ref()
            .and_then(|i| i.get("approved"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        Ok(count > 0)
    }

    async fn set_status(
        &self,
        id: &CommentId,
        status: CommentStatus,
    ) -> Result<Option<Comment>, StoreError> {
        let Some(old_key) = self.comment_key(id).await? else {
            return Ok(None);
        };
        let Some(old_item) = self.get_item(old_key.clone()).await? else {
            return Ok(None);
        };
        let old = decode(&old_item)?;
        if old.status == status {
            return Ok(Some(old));
        }
        let new = Comment {
            status,
            ..old.clone()
        };
        let item = encode(&new);
        let (claim, pointer) = helpers(&new, &item);
        let mut actions = Vec::new();
        let moved = key_of(&item) != old_key;
        if moved {
            // Leaving (or entering) the approved range: the old item goes, only if it is
            // still the one read, so racing moves cannot both happen.
            actions.push(delete(&self.table, old_key, Some("attribute_exists(pk)"))?);
            actions.push(put(&self.table, item, true)?);
        } else {
            actions.push(put(&self.table, item, false)?);
        }
        actions.push(put(&self.table, claim, false)?);
        actions.push(put(&self.table, pointer, false)?);
        match (old.status, status) {
            (CommentStatus::Approved, _) => {
                actions.push(count_author(&self.table, &old.email, -1)?)
            }
            (_, CommentStatus::Approved) => actions.push(count_author(&self.table, &old.email, 1)?),
            _ => {}
        }
        if !self.transact(actions).await? {
            return Ok(None);
        }
        Ok(Some(new))
    }

    async fn delete(&self, id: &CommentId) -> Result<bool, StoreError> {
        let Some(key) = self.comment_key(id).await? else {
            return Ok(false);
        };
        let Some(item) = self.get_item(key.clone()).await? else {
            return Ok(false);
        };
        let comment = decode(&item)?;
        let mut actions = vec![
            delete(&self.table, key, Some("attribute_exists(pk)"))?,
            delete(&self.table, pointer_key(id), None)?,
            delete(&self.table, fingerprint_key(&comment.fingerprint), None)?,
        ];
        if comment.status == CommentStatus::Approved {
            actions.push(count_author(&self.table, &comment.email, -1)?);
        }
        self.transact(actions).await
    }

    async fn throttle(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<Throttle, StoreError> {
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let until = now + window;
        let until_ms = (until.unix_timestamp_nanos() / 1_000_000) as i64;
        let mut item = flood_key(key);
        item.insert("until_ms".into(), n(until_ms));
        // Expired windows are removed by DynamoDB's TTL (a day late at worst).
        item.insert("expires_at".into(), n(until.unix_timestamp() + 60));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #until <= :now")
            .expression_attribute_names("#until", "until_ms")
            .expression_attribute_values(":now", n(now_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Throttle::Allowed),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let held = self.get_item(flood_key(key)).await?;
                let until_ms = held
                    .as_ref()
                    .and_then(|i| i.get("until_ms"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(now_ms);
                let at =
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(until_ms) * 1_000_000)
                        .unwrap_or(now);
                Ok(Throttle::Wait(at))
            }
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }
}
