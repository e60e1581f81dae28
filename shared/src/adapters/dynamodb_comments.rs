//! AWS comment store: DynamoDB items in the layout of `aws::table`. A post's comments sit
//! in the post's partition in time order; `gsi1` lists each status newest or oldest first.

use super::dynamodb::{post_pk, s, unavailable, Item};
use crate::aws::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use crate::domain::time_fmt;
use crate::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Slug, Website,
};
use crate::ports::comments::approved_author_key;
use crate::ports::{CommentStore, Inserted, StoreError, Throttle};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

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
    format!("COMMENT#{}", c.sort_key())
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
    item.insert(PK.into(), s(post_pk(&c.post)));
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

fn delete(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    Ok(TransactWriteItem::builder()
        .delete(
            Delete::builder()
                .table_name(table)
                .set_key(Some(key))
                .build()
                .map_err(StoreError::new)?,
        )
        .build())
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

    async fn put_item(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("PutItem", e))?;
        Ok(())
    }

    /// Writes `item` unless its key exists. `true` when written, including when an
    /// earlier attempt of this same write (an SDK retry) already wrote it.
    async fn put_if_absent(&self, item: Item, owner: &CommentId) -> Result<bool, StoreError> {
        let key: Item = item
            .iter()
            .filter(|(k, _)| *k == PK || *k == SK)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                let existing = self.get_item(key).await?;
                Ok(existing
                    .as_ref()
                    .and_then(|i| i.get("id"))
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|id| id == owner.as_str()))
            }
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    async fn release_claim(&self, fingerprint: &str) {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(fingerprint_key(fingerprint)))
            .send()
            .await;
        if let Err(e) = result {
            tracing::error!(error = %DisplayErrorContext(e), "releasing a comment fingerprint failed");
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
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        while found.len() < limit {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", GSI1_PK)
                .expression_attribute_values(":p", s(status_partition(status)))
                .scan_index_forward(!newest_first)
                .limit(i32::try_from(limit - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query", e))?;
            for item in out.items() {
                found.push(decode(item)?);
            }
            match out.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => break,
            }
        }
        found.truncate(limit);
        Ok(found)
    }
}

#[async_trait]
impl CommentStore for DynamoCommentStore {
    async fn insert(&self, comment: &Comment) -> Result<Inserted, StoreError> {
        let item = encode(comment);
        let comment_pk = item[PK].clone();
        let comment_sk = item[SK].clone();
        // The fingerprint is claimed first, with a conditional put: of any number of
        // racing repeats exactly one gets past this line.
        let mut claim = fingerprint_key(&comment.fingerprint);
        claim.insert("id".into(), s(comment.id.as_str()));
        if !self.put_if_absent(claim, &comment.id).await? {
            return Ok(Inserted::Duplicate);
        }
        let mut pointer = pointer_key(&comment.id);
        pointer.insert("id".into(), s(comment.id.as_str()));
        pointer.insert("comment_pk".into(), comment_pk);
        pointer.insert("comment_sk".into(), comment_sk);
        let written = async {
            if !self.put_if_absent(pointer, &comment.id).await? {
                return Ok(false);
            }
            if !self.put_if_absent(item, &comment.id).await? {
                return Ok(false);
            }
            if comment.status == CommentStatus::Approved {
                self.put_item(author_key(&comment.email)).await?;
            }
            Ok::<_, StoreError>(true)
        }
        .await;
        match written {
            Ok(true) => Ok(Inserted::Stored),
            // An id already taken (16 random hex digits: practically never): not stored.
            Ok(false) => {
                self.release_claim(&comment.fingerprint).await;
                Ok(Inserted::Duplicate)
            }
            Err(e) => {
                // The visitor hears 503 and may send it again: free the fingerprint.
                self.release_claim(&comment.fingerprint).await;
                Err(e)
            }
        }
    }

    async fn get(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        let Some(key) = self.comment_key(id).await? else {
            return Ok(None);
        };
        self.get_item(key).await?.as_ref().map(decode).transpose()
    }

    async fn approved_for_post(&self, post: &Slug) -> Result<Vec<Comment>, StoreError> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :comment)")
                .filter_expression("#status = :approved")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_names("#status", STATUS)
                .expression_attribute_values(":pk", s(post_pk(post)))
                .expression_attribute_values(":comment", s("COMMENT#"))
                .expression_attribute_values(":approved", s(CommentStatus::Approved.as_str()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query", e))?;
            for item in out.items() {
                found.push(decode(item)?);
            }
            match out.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => return Ok(found),
            }
        }
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
        Ok(self.get_item(author_key(email)).await?.is_some())
    }

    async fn set_status(
        &self,
        id: &CommentId,
        status: CommentStatus,
    ) -> Result<Option<Comment>, StoreError> {
        let Some(key) = self.comment_key(id).await? else {
            return Ok(None);
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", STATUS)
            .expression_attribute_names("#g", GSI1_PK)
            .expression_attribute_names("#x", "expires_at")
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":g", s(status_partition(status)))
            .return_values(ReturnValue::AllNew);
        update = if status == CommentStatus::Spam {
            update
                .update_expression("SET #status = :status, #g = :g, #x = :x")
                .expression_attribute_values(
                    ":x",
                    n((OffsetDateTime::now_utc() + SPAM_KEPT).unix_timestamp()),
                )
        } else {
            update.update_expression("SET #status = :status, #g = :g REMOVE #x")
        };
        let out = match update.send().await {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(unavailable("UpdateItem", e)),
        };
        let comment = out
            .attributes()
            .map(decode)
            .transpose()?
            .ok_or_else(|| StoreError::new("DynamoDB UpdateItem returned no item"))?;
        if status == CommentStatus::Approved {
            self.put_item(author_key(&comment.email)).await?;
        }
        Ok(Some(comment))
    }

    async fn delete(&self, id: &CommentId) -> Result<bool, StoreError> {
        let Some(key) = self.comment_key(id).await? else {
            return Ok(false);
        };
        let Some(item) = self.get_item(key.clone()).await? else {
            return Ok(false);
        };
        let comment = decode(&item)?;
        let actions = vec![
            delete(&self.table, key)?,
            delete(&self.table, pointer_key(id))?,
            delete(&self.table, fingerprint_key(&comment.fingerprint))?,
        ];
        self.client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
            .map_err(|e| unavailable("TransactWriteItems", e))?;
        Ok(true)
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
