//! AWS comment store: DynamoDB items in the layout of `aws::table`. A post's approved
//! comments are one key range ordered by thread page, then time, held ones another
//! partition; `gsi1` lists each status newest or oldest first. Every change is one
//! `TransactWriteItems`.

use super::dynamodb::{post_pk, query_pages, s, unavailable, Item};
use crate::aws::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use crate::domain::time_fmt;
use crate::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Slug, Website,
};
use crate::ports::comments::{approved_author_key, page_of_ordinal, thread_pages, SPAM_KEPT};
use crate::ports::{CommentStore, Inserted, StoreError, ThreadPage, Throttle};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// The sort key prefix of every comment item, approved or held.
const COMMENT: &str = "COMMENT#";

/// The attribute the feeds function's stream filter matches (`approved`).
pub const STATUS: &str = "status";
/// A comment's thread page, on its item and its id pointer once it was first approved.
const PAGE: &str = "page";
/// How often an approval retries when another one took the same thread ordinal.
const ORDINAL_TRIES: usize = 8;

#[derive(Clone)]
pub struct DynamoCommentStore {
    client: Client,
    table: String,
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// `COMMENT#<page, 6 digits>#<time>#<id>` when approved (the page's range, in time
/// order), `COMMENT#<time>#<id>` when held.
fn comment_sk(c: &Comment, page: Option<u32>) -> String {
    match (c.status, page) {
        (CommentStatus::Approved, Some(page)) => format!("{}{}", page_prefix(page), c.sort_key()),
        _ => format!("{COMMENT}{}", c.sort_key()),
    }
}

fn page_prefix(page: u32) -> String {
    format!("{COMMENT}{page:06}#")
}

/// The item counting a post's top-level comments ever approved (`roots`), from which a
/// new top-level comment's page follows.
fn thread_key(post: &Slug) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("THREAD#{post}"))),
        (SK.to_owned(), s("THREAD")),
    ])
}

fn number(item: Option<&Item>, field: &str) -> Option<i64> {
    item?.get(field)?.as_n().ok()?.parse().ok()
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

/// DynamoDB's TTL attribute (seconds) for spam: `SPAM_KEPT` after it was written.
fn spam_expiry(c: &Comment) -> i64 {
    (c.created_at + SPAM_KEPT).unix_timestamp()
}

fn encode(c: &Comment, page: Option<u32>) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(comment_pk(c)));
    item.insert(SK.into(), s(comment_sk(c, page)));
    if let Some(page) = page {
        item.insert(PAGE.into(), n(i64::from(page)));
    }
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
    if let Some(page) = item.get(PAGE) {
        pointer.insert(PAGE.into(), page.clone());
    }
    if let Some(x) = item.get("expires_at") {
        claim.insert("expires_at".into(), x.clone());
        pointer.insert("expires_at".into(), x.clone());
    }
    (claim, pointer)
}

/// The actions whose condition cancelled a transaction (by position; empty when only a
/// concurrent transaction on the same items did), or `None` when it failed otherwise.
fn failed_conditions<R>(
    e: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> Option<Vec<usize>> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match e.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(c) => {
            let failed: Vec<usize> = c
                .cancellation_reasons()
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(i, _)| i)
                .collect();
            let conflict = c
                .cancellation_reasons()
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"));
            (!failed.is_empty() || conflict).then_some(failed)
        }
        _ => None,
    }
}

/// Where a comment being approved goes: its page, and the thread counter's update when
/// it takes a new top-level ordinal.
struct Placement {
    page: u32,
    /// The `roots` count read, to be raised by one only if it still holds.
    ordinal: Option<i64>,
}

/// Raises the post's `roots` from `seen` to `seen + 1`, only if no other approval did.
fn take_ordinal(table: &str, post: &Slug, seen: i64) -> Result<TransactWriteItem, StoreError> {
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(thread_key(post)))
        .update_expression("SET #r = :next")
        .expression_attribute_names("#r", "roots")
        .expression_attribute_values(":next", n(seen + 1));
    update = if seen == 0 {
        update.condition_expression("attribute_not_exists(#r)")
    } else {
        update
            .condition_expression("#r = :seen")
            .expression_attribute_values(":seen", n(seen))
    };
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(StoreError::new)?)
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

    /// One transaction; `Err(positions)` when conditions refused it (nothing written).
    async fn transact_or_refused(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Vec<usize>>, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(e) => match failed_conditions(&e) {
                Some(failed) => Ok(Err(failed)),
                None => Err(unavailable("TransactWriteItems", e)),
            },
        }
    }

    /// One transaction; `Ok(false)` when a condition refused it (nothing written).
    async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        match self.transact_or_refused(actions).await? {
            Ok(()) => Ok(true),
            Err(failed) if failed.is_empty() => Err(StoreError::new(
                "DynamoDB TransactWriteItems: a concurrent transaction conflicted",
            )),
            Err(_) => Ok(false),
        }
    }

    /// The page of a comment about to be approved: `kept` (an earlier approval's), its
    /// parent's, or a new top-level ordinal's.
    async fn place(&self, c: &Comment, kept: Option<u32>) -> Result<Placement, StoreError> {
        if let Some(page) = kept {
            return Ok(Placement {
                page,
                ordinal: None,
            });
        }
        if let Some(parent) = &c.parent {
            let pointer = self.get_item(pointer_key(parent)).await?;
            if let Some(page) = number(pointer.as_ref(), PAGE) {
                return Ok(Placement {
                    page: u32::try_from(page).unwrap_or(1).max(1),
                    ordinal: None,
                });
            }
        }
        let seen = number(self.get_item(thread_key(&c.post)).await?.as_ref(), "roots")
            .unwrap_or(0)
            .max(0);
        Ok(Placement {
            page: page_of_ordinal(seen),
            ordinal: Some(seen),
        })
    }

    /// How many pages a post's thread has.
    async fn page_count(&self, post: &Slug) -> Result<u32, StoreError> {
        let roots = number(self.get_item(thread_key(post)).await?.as_ref(), "roots").unwrap_or(0);
        Ok(thread_pages(roots))
    }

    /// Every approved comment of the post whose sort keys begin with `prefix`, oldest
    /// first within the range, following `LastEvaluatedKey`.
    async fn approved_range(&self, post: &Slug, prefix: &str) -> Result<Vec<Comment>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(post_pk(post)))
            .expression_attribute_values(":prefix", s(prefix));
        query_pages(query, None).await?.iter().map(decode).collect()
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
        for _ in 0..ORDINAL_TRIES {
            let placement = if comment.status == CommentStatus::Approved {
                Some(self.place(comment, None).await?)
            } else {
                None
            };
            let item = encode(comment, placement.as_ref().map(|p| p.page));
            let (claim, pointer) = helpers(comment, &item);
            // Claim, pointer and comment (and the author's count, and the thread's
            // ordinal) in one transaction, each put only if absent: of racing repeats
            // exactly one is written, and a fault leaves nothing to refuse the retry.
            let mut actions = vec![
                put(&self.table, claim, true)?,
                put(&self.table, pointer, true)?,
                put(&self.table, item, true)?,
            ];
            if comment.status == CommentStatus::Approved {
                actions.push(count_author(&self.table, &comment.email, 1)?);
            }
            if let Some(seen) = placement.and_then(|p| p.ordinal) {
                actions.push(take_ordinal(&self.table, &comment.post, seen)?);
            }
            match self.transact_or_refused(actions).await? {
                Ok(()) => return Ok(Inserted::Stored),
                // Only the thread counter moved (or a concurrent approval conflicted):
                // place it again.
                Err(failed) if failed.is_empty() || failed == [4] => continue,
                Err(_) => return Ok(Inserted::Duplicate),
            }
        }
        Err(StoreError::new(
            "DynamoDB comment insert: the thread counter kept moving",
        ))
    }

    async fn get(&self, id: &CommentId) -> Result<Option<Comment>, StoreError> {
        let Some(key) = self.comment_key(id).await? else {
            return Ok(None);
        };
        self.get_item(key).await?.as_ref().map(decode).transpose()
    }

    async fn approved_for_post(&self, post: &Slug) -> Result<Vec<Comment>, StoreError> {
        // The approved range holds nothing else: no filter, nothing read to be dropped.
        let mut all = self.approved_range(post, COMMENT).await?;
        all.sort_by_key(Comment::sort_key);
        Ok(all)
    }

    async fn approved_page(
        &self,
        post: &Slug,
        page: Option<u32>,
    ) -> Result<ThreadPage, StoreError> {
        let (comments, page, pages) = match page {
            // The page's own key range, and the thread's counter, at once.
            Some(page) => {
                let prefix = page_prefix(page);
                let (comments, pages) =
                    tokio::join!(self.approved_range(post, &prefix), self.page_count(post));
                (comments?, page, pages?)
            }
            // The newest page: the counter says which, then its range.
            None => {
                let pages = self.page_count(post).await?;
                (
                    self.approved_range(post, &page_prefix(pages)).await?,
                    pages,
                    pages,
                )
            }
        };
        Ok(ThreadPage {
            comments,
            page,
            pages,
        })
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
        let kept = number(Some(&old_item), PAGE).and_then(|p| u32::try_from(p).ok());
        let new = Comment {
            status,
            ..old.clone()
        };
        for _ in 0..ORDINAL_TRIES {
            let placement = if status == CommentStatus::Approved {
                Some(self.place(&new, kept).await?)
            } else {
                None
            };
            let item = encode(&new, placement.as_ref().map(|p| p.page).or(kept));
            let (claim, pointer) = helpers(&new, &item);
            let mut actions = Vec::new();
            let moved = key_of(&item) != old_key;
            if moved {
                // Leaving (or entering) the approved range: the old item goes, only if it
                // is still the one read, so racing moves cannot both happen.
                actions.push(delete(
                    &self.table,
                    old_key.clone(),
                    Some("attribute_exists(pk)"),
                )?);
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
                (_, CommentStatus::Approved) => {
                    actions.push(count_author(&self.table, &old.email, 1)?)
                }
                _ => {}
            }
            let counter_at = actions.len();
            if let Some(seen) = placement.and_then(|p| p.ordinal) {
                actions.push(take_ordinal(&self.table, &new.post, seen)?);
            }
            match self.transact_or_refused(actions).await? {
                Ok(()) => return Ok(Some(new)),
                Err(failed) if failed.is_empty() || failed == [counter_at] => continue,
                Err(_) => return Ok(None),
            }
        }
        Err(StoreError::new(
            "DynamoDB comment approval: the thread counter kept moving",
        ))
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

    async fn expire_spam(&self, now: OffsetDateTime, limit: usize) -> Result<usize, StoreError> {
        // The spam partition of `gsi1` in time order: what was written up to
        // `now - SPAM_KEPT` is due, a key range read by key (TTL is the backstop).
        let due = format!("{}#~", time_fmt::sort_key_millis(now - SPAM_KEPT));
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#p = :p AND #s <= :due")
            .expression_attribute_names("#p", GSI1_PK)
            .expression_attribute_names("#s", GSI1_SK)
            .expression_attribute_values(":p", s(status_partition(CommentStatus::Spam)))
            .expression_attribute_values(":due", s(due));
        let mut removed = 0;
        for item in query_pages(query, Some(limit)).await? {
            let c = decode(&item)?;
            // Only if it is still spam: an owner's approval in between moved it.
            let actions = vec![
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_of(&item)))
                    .condition_expression("#st = :spam")
                    .expression_attribute_names("#st", STATUS)
                    .expression_attribute_values(":spam", s(CommentStatus::Spam.as_str()))
                    .build()
                    .map_err(StoreError::new)
                    .map(|d| TransactWriteItem::builder().delete(d).build())?,
                delete(&self.table, pointer_key(&c.id), None)?,
                delete(&self.table, fingerprint_key(&c.fingerprint), None)?,
            ];
            if self.transact(actions).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    async fn release_throttle(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> Result<(), StoreError> {
        let until_ms = ((now + window).unix_timestamp_nanos() / 1_000_000) as i64;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(flood_key(key)))
            .condition_expression("#until = :mine")
            .expression_attribute_names("#until", "until_ms")
            .expression_attribute_values(":mine", n(until_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("DeleteItem", e)),
        }
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
