//! AWS comment store: DynamoDB items in the layout of `aws::table`. A post's approved
//! comments are one key range ordered by thread page, then time, held ones another
//! partition; `gsi1` lists each status newest or oldest first. Every change is one
//! `TransactWriteItems`.

use super::dynamodb::{batch_put, post_pk, query_pages, s, unavailable, Item};
use crate::aws::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use crate::domain::time_fmt;
use crate::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Slug, Website,
};
use crate::ports::comments::{approved_author_key, page_of_ordinal, thread_pages, SPAM_KEPT};
use crate::ports::{CommentStore, Inserted, StoreError, ThreadPage, Throttle, Transition};
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
/// The thread counter's attributes: top-level comments ever approved (pages follow), and
/// comments approved now (the thread's count on every page).
const ROOTS: &str = "roots";
const APPROVED: &str = "approved";
/// How often a comment change is tried again when another one took the same thread
/// ordinal, changed the comment meanwhile, or held its items (`TransactionConflict`).
const TRIES: usize = 10;

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

fn delete(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    let d = Delete::builder().table_name(table).set_key(Some(key));
    Ok(TransactWriteItem::builder()
        .delete(d.build().map_err(StoreError::new)?)
        .build())
}

/// Deletes the comment item at `key` only while its status is `status`: of two racing
/// changes from one status, the second is refused by this.
fn delete_while(
    table: &str,
    key: Item,
    status: CommentStatus,
) -> Result<TransactWriteItem, StoreError> {
    let d = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression("#st = :from")
        .expression_attribute_names("#st", STATUS)
        .expression_attribute_values(":from", s(status.as_str()))
        .build()
        .map_err(StoreError::new)?;
    Ok(TransactWriteItem::builder().delete(d).build())
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

/// Why DynamoDB cancelled a transaction, or `None` when it failed otherwise. A
/// `TransactionConflict` reason (another transaction held one of the items) is a
/// `Conflict` unless a condition also failed, which is then the answer.
fn refusal<R>(
    e: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> Option<Refused> {
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
            if !failed.is_empty() {
                Some(Refused::Conditions(failed))
            } else {
                conflict.then_some(Refused::Conflict)
            }
        }
        // A transaction still in progress on an item (DynamoDB answers this to a
        // TransactWriteItems racing another on the same items, too).
        TransactWriteItemsError::TransactionInProgressException(_) => Some(Refused::Conflict),
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

/// The thread counter's part of a comment's transaction: its `approved` count moved by
/// `delta`, and with `ordinal` (the `roots` read), `roots` raised from it by one only if
/// no other approval did. `None` when neither changes. One action, as a transaction
/// may touch an item once.
fn count_thread(
    table: &str,
    post: &Slug,
    delta: i64,
    ordinal: Option<i64>,
) -> Result<Option<TransactWriteItem>, StoreError> {
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(thread_key(post)));
    let mut set = Vec::new();
    let mut add = Vec::new();
    if delta != 0 {
        add.push("#a :d");
        update = update
            .expression_attribute_names("#a", APPROVED)
            .expression_attribute_values(":d", n(delta));
    }
    if let Some(seen) = ordinal {
        set.push("#r = :next");
        update = update
            .expression_attribute_names("#r", ROOTS)
            .expression_attribute_values(":next", n(seen + 1));
        update = if seen == 0 {
            update.condition_expression("attribute_not_exists(#r)")
        } else {
            update
                .condition_expression("#r = :seen")
                .expression_attribute_values(":seen", n(seen))
        };
    }
    if set.is_empty() && add.is_empty() {
        return Ok(None);
    }
    let mut expression = String::new();
    if !set.is_empty() {
        expression.push_str(&format!("SET {}", set.join(", ")));
    }
    if !add.is_empty() {
        if !expression.is_empty() {
            expression.push(' ');
        }
        expression.push_str(&format!("ADD {}", add.join(", ")));
    }
    Ok(Some(
        TransactWriteItem::builder()
            .update(
                update
                    .update_expression(expression)
                    .build()
                    .map_err(StoreError::new)?,
            )
            .build(),
    ))
}

/// How an approved count moves when a comment goes from `from` to `to`.
fn approved_delta(from: CommentStatus, to: CommentStatus) -> i64 {
    i64::from(to == CommentStatus::Approved) - i64::from(from == CommentStatus::Approved)
}

/// A pause before retrying a transaction DynamoDB cancelled because another one held
/// the same items (`TransactionConflict`): random within a window doubling per attempt
/// (10 ms, 20 ms, … up to 320 ms), so racing writers spread out instead of colliding again.
async fn conflict_pause(attempt: usize) {
    let window_ms = 10u64 << attempt.min(5);
    let mut bytes = [0u8; 2];
    let spread = match getrandom::getrandom(&mut bytes) {
        Ok(()) => u64::from(u16::from_le_bytes(bytes)) % window_ms,
        Err(_) => window_ms / 2,
    };
    tokio::time::sleep(std::time::Duration::from_millis(window_ms / 2 + spread)).await;
}

/// What a transaction's refusal means to the loop that sent it.
enum Refused {
    /// A concurrent transaction held the items: pause, then try again.
    Conflict,
    /// These actions' conditions failed (by position).
    Conditions(Vec<usize>),
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

    /// One transaction; `Err(why)` when DynamoDB refused it (nothing written).
    async fn transact_or_refused(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Refused>, StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(e) => match refusal(&e) {
                Some(why) => Ok(Err(why)),
                None => Err(unavailable("TransactWriteItems", e)),
            },
        }
    }

    /// One transaction, sent again (after `conflict_pause`) while another transaction
    /// on its items conflicts; `Ok(false)` when a condition refused it.
    async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        for attempt in 0..TRIES {
            match self.transact_or_refused(actions.clone()).await? {
                Ok(()) => return Ok(true),
                Err(Refused::Conditions(_)) => return Ok(false),
                Err(Refused::Conflict) => conflict_pause(attempt).await,
            }
        }
        Err(StoreError::new(
            "DynamoDB TransactWriteItems: concurrent transactions kept conflicting",
        ))
    }

    /// The comment with this id and its item's key, as they are now.
    async fn current(&self, id: &CommentId) -> Result<Option<(Item, Comment)>, StoreError> {
        let Some(key) = self.comment_key(id).await? else {
            return Ok(None);
        };
        let Some(item) = self.get_item(key).await? else {
            return Ok(None);
        };
        let comment = decode(&item)?;
        Ok(Some((item, comment)))
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
        let seen = number(self.get_item(thread_key(&c.post)).await?.as_ref(), ROOTS)
            .unwrap_or(0)
            .max(0);
        Ok(Placement {
            page: page_of_ordinal(seen),
            ordinal: Some(seen),
        })
    }

    /// Loads comments into a table that holds none of their posts' comments yet (a fresh
    /// table: benchmarks, a bulk import) with `BatchWriteItem`, 25 items a request, in
    /// the items `insert` of each in the order given would leave: every comment with its
    /// fingerprint claim and id pointer; an approved top-level comment takes the next
    /// ordinal of its post (its page follows), an approved reply its approved parent's
    /// page; then each post's thread counter and each approved author's count. No
    /// conditions and no transaction: never for a post whose thread may exist.
    pub async fn load(&self, comments: &[Comment]) -> Result<(), StoreError> {
        let mut items = Vec::with_capacity(comments.len() * 3);
        let mut pages: HashMap<&CommentId, u32> = HashMap::new();
        // Per post: (top-level comments approved, comments approved).
        let mut threads: HashMap<&Slug, (i64, i64)> = HashMap::new();
        let mut authors: HashMap<String, (&CommentEmail, i64)> = HashMap::new();
        for c in comments {
            let page = if c.status == CommentStatus::Approved {
                let thread = threads.entry(&c.post).or_default();
                thread.1 += 1;
                let parents = c.parent.as_ref().and_then(|p| pages.get(p)).copied();
                let page = parents.unwrap_or_else(|| {
                    thread.0 += 1;
                    page_of_ordinal(thread.0 - 1)
                });
                pages.insert(&c.id, page);
                authors
                    .entry(approved_author_key(&c.email))
                    .or_insert((&c.email, 0))
                    .1 += 1;
                Some(page)
            } else {
                None
            };
            let item = encode(c, page);
            let (claim, pointer) = helpers(c, &item);
            items.extend([claim, pointer, item]);
        }
        for (post, (roots, approved)) in threads {
            let mut counter = thread_key(post);
            counter.insert(ROOTS.into(), n(roots));
            counter.insert(APPROVED.into(), n(approved));
            items.push(counter);
        }
        for (email, count) in authors.into_values() {
            let mut marker = author_key(email);
            marker.insert(APPROVED.into(), n(count));
            items.push(marker);
        }
        batch_put(&self.client, &self.table, items).await
    }

    /// How many pages a post's thread has, and how many approved comments it holds.
    async fn thread_counts(&self, post: &Slug) -> Result<(u32, usize), StoreError> {
        let counter = self.get_item(thread_key(post)).await?;
        let roots = number(counter.as_ref(), ROOTS).unwrap_or(0);
        let approved = number(counter.as_ref(), APPROVED).unwrap_or(0).max(0);
        Ok((
            thread_pages(roots),
            usize::try_from(approved).unwrap_or(usize::MAX),
        ))
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
        for attempt in 0..TRIES {
            let approved = comment.status == CommentStatus::Approved;
            let placement = if approved {
                Some(self.place(comment, None).await?)
            } else {
                None
            };
            let item = encode(comment, placement.as_ref().map(|p| p.page));
            let (claim, pointer) = helpers(comment, &item);
            // Claim, pointer and comment (and the author's count, and the thread's
            // counts) in one transaction, each put only if absent: of racing repeats
            // exactly one is written, and a fault leaves nothing to refuse the retry.
            let mut actions = vec![
                put(&self.table, claim, true)?,
                put(&self.table, pointer, true)?,
                put(&self.table, item, true)?,
            ];
            if approved {
                actions.push(count_author(&self.table, &comment.email, 1)?);
            }
            let counter_at = actions.len();
            actions.extend(count_thread(
                &self.table,
                &comment.post,
                i64::from(approved),
                placement.and_then(|p| p.ordinal),
            )?);
            match self.transact_or_refused(actions).await? {
                Ok(()) => return Ok(Inserted::Stored),
                // Another transaction held these items: its outcome decides ours.
                Err(Refused::Conflict) => conflict_pause(attempt).await,
                // Only the thread counter moved: place it again.
                Err(Refused::Conditions(failed)) if failed == [counter_at] => continue,
                Err(Refused::Conditions(_)) => return Ok(Inserted::Duplicate),
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
                let (comments, counts) =
                    tokio::join!(self.approved_range(post, &prefix), self.thread_counts(post));
                (comments?, page, counts?)
            }
            // The newest page: the counter says which, then its range.
            None => {
                let counts = self.thread_counts(post).await?;
                (
                    self.approved_range(post, &page_prefix(counts.0)).await?,
                    counts.0,
                    counts,
                )
            }
        };
        let (pages, total) = pages;
        Ok(ThreadPage {
            comments,
            page,
            pages,
            total,
        })
    }

    async fn page_of(&self, post: &Slug, id: &CommentId) -> Result<Option<u32>, StoreError> {
        // The pointer says where the comment is now: in the post's approved range, and
        // on which page.
        let Some(pointer) = self.get_item(pointer_key(id)).await? else {
            return Ok(None);
        };
        let approved_here =
            pointer.get("comment_pk").and_then(|v| v.as_s().ok()) == Some(&post_pk(post));
        Ok(number(Some(&pointer), PAGE)
            .filter(|_| approved_here)
            .and_then(|p| u32::try_from(p).ok()))
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

    async fn move_status(
        &self,
        id: &CommentId,
        from: CommentStatus,
        to: CommentStatus,
    ) -> Result<Transition, StoreError> {
        for attempt in 0..TRIES {
            // Read again on every try: a refusal means something changed.
            let Some((old_item, old)) = self.current(id).await? else {
                return Ok(Transition::Missing);
            };
            if old.status != from {
                return Ok(Transition::Conflict(old));
            }
            if from == to {
                return Ok(Transition::Done(old));
            }
            let old_key = key_of(&old_item);
            let kept = number(Some(&old_item), PAGE).and_then(|p| u32::try_from(p).ok());
            let new = Comment {
                status: to,
                ..old.clone()
            };
            let placement = if to == CommentStatus::Approved {
                Some(self.place(&new, kept).await?)
            } else {
                None
            };
            let item = encode(&new, placement.as_ref().map(|p| p.page).or(kept));
            let (claim, pointer) = helpers(&new, &item);
            // The old item changes only while its status is still `from`: of two racing
            // changes, one is refused here and writes nothing.
            let mut actions = Vec::new();
            if key_of(&item) != old_key {
                // Leaving (or entering) the approved range: the old item goes, the new
                // one is put where none is.
                actions.push(delete_while(&self.table, old_key, from)?);
                actions.push(put(&self.table, item, true)?);
            } else {
                let p = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("#st = :from")
                    .expression_attribute_names("#st", STATUS)
                    .expression_attribute_values(":from", s(from.as_str()))
                    .build()
                    .map_err(StoreError::new)?;
                actions.push(TransactWriteItem::builder().put(p).build());
            }
            actions.push(put(&self.table, claim, false)?);
            actions.push(put(&self.table, pointer, false)?);
            let delta = approved_delta(from, to);
            if delta != 0 {
                actions.push(count_author(&self.table, &old.email, delta)?);
            }
            actions.extend(count_thread(
                &self.table,
                &new.post,
                delta,
                placement.and_then(|p| p.ordinal),
            )?);
            match self.transact_or_refused(actions).await? {
                Ok(()) => return Ok(Transition::Done(new)),
                Err(Refused::Conflict) => conflict_pause(attempt).await,
                // The counter moved (place again), or the comment did (read again: the
                // next round answers `Conflict` or `Missing`).
                Err(Refused::Conditions(_)) => continue,
            }
        }
        Err(StoreError::new(
            "DynamoDB comment status change: concurrent changes kept refusing it",
        ))
    }

    async fn delete_if(
        &self,
        id: &CommentId,
        from: CommentStatus,
    ) -> Result<Transition, StoreError> {
        for attempt in 0..TRIES {
            let Some((item, comment)) = self.current(id).await? else {
                return Ok(Transition::Missing);
            };
            if comment.status != from {
                return Ok(Transition::Conflict(comment));
            }
            let mut actions = vec![
                delete_while(&self.table, key_of(&item), from)?,
                delete(&self.table, pointer_key(id))?,
                delete(&self.table, fingerprint_key(&comment.fingerprint))?,
            ];
            let delta = -i64::from(from == CommentStatus::Approved);
            if delta != 0 {
                actions.push(count_author(&self.table, &comment.email, delta)?);
            }
            actions.extend(count_thread(&self.table, &comment.post, delta, None)?);
            match self.transact_or_refused(actions).await? {
                Ok(()) => return Ok(Transition::Done(comment)),
                Err(Refused::Conflict) => conflict_pause(attempt).await,
                // The comment changed meanwhile: the next round says how.
                Err(Refused::Conditions(_)) => continue,
            }
        }
        Err(StoreError::new(
            "DynamoDB comment delete: concurrent changes kept refusing it",
        ))
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
                delete_while(&self.table, key_of(&item), CommentStatus::Spam)?,
                delete(&self.table, pointer_key(&c.id))?,
                delete(&self.table, fingerprint_key(&c.fingerprint))?,
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
