//! AWS post index: DynamoDB items in the layout of `aws::table`.
//!
//! Layout (the index's part of the table):
//!
//! | item | `pk` | `sk` | `gsi1pk` | `gsi1sk` |
//! | --- | --- | --- | --- | --- |
//! | a post's entry | `POST#<slug>` | `META` | `PUBLISHED` | `<UTC date>#<slug>` |
//! | one per tag | `POST#<slug>` | `TAG#<tag>` | `TAG#<tag>` | `<UTC date>#<slug>` |
//! | the feeds' publishing lease | `FEEDS#PUBLISH` | `LEASE` | – | – |
//! | the archive summary | `ARCHIVE#SUMMARY` | `SUMMARY` | – | – |
//!
//! Every item carries the listing's fields (title, summary, dates, tags, comments), so
//! a listing is one `gsi1` Query page. A post's own items are read by key only:
//! `GetItem(META)` and `Query begins_with(sk, 'TAG#')` followed to its last page, never
//! a read or a filter over the whole partition, which other items may share (comments
//! did): `upsert` and `remove` cost the same with no comments or with megabytes of them.

use super::dynamodb::{batch_put, post_pk, query_pages, s, unavailable, Item};
use crate::aws::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use crate::domain::archive::ArchiveSummary;
use crate::domain::time_fmt;
use crate::domain::{PostMeta, Slug, Tag};
use crate::ports::{PostIndex, PostPage, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use time::OffsetDateTime;

const META_SK: &str = "META";
const PUBLISHED: &str = "PUBLISHED";
const TAG_PREFIX: &str = "TAG#";
/// On `META`: the ETag of the object the entry was read from (see `versions`).
const ETAG: &str = "etag";
/// The feeds' publishing lease: `holder` and `until` (epoch milliseconds).
const LEASE_PK: &str = "FEEDS#PUBLISH";
const LEASE_SK: &str = "LEASE";
/// The archive summary (`/tags`, `/archive`): one item, its JSON in `body`.
const SUMMARY_PK: &str = "ARCHIVE#SUMMARY";
const SUMMARY_SK: &str = "SUMMARY";
const SUMMARY_BODY: &str = "body";
/// `TransactWriteItems` takes at most 100 actions.
const MAX_TRANSACT: usize = 100;

#[derive(Clone)]
pub struct DynamoPostIndex {
    client: Client,
    table: String,
}

impl DynamoPostIndex {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoPostIndex {
        DynamoPostIndex {
            client,
            table: table.into(),
        }
    }

    /// The entry and its tags in one transaction; the `META` item records the object's
    /// ETag when known.
    async fn write(&self, meta: &PostMeta, etag: Option<&str>) -> Result<(), StoreError> {
        let existing = self.post_items(&meta.slug).await?;
        let mut head = encode(meta, META_SK.into(), PUBLISHED.into());
        if let Some(etag) = etag {
            head.insert(ETAG.into(), s(etag));
        }
        let mut writes = vec![head];
        writes.extend(
            meta.tags
                .iter()
                .map(|t| encode(meta, format!("TAG#{}", t.slug), format!("TAG#{}", t.slug))),
        );
        let kept: Vec<&AttributeValue> = writes.iter().filter_map(|w| w.get(SK)).collect();
        let stale = existing
            .iter()
            .filter(|i| i.get(SK).is_some_and(|sk| !kept.contains(&sk)));
        let mut actions = stale
            .map(|item| self.delete_action(item))
            .collect::<Result<Vec<_>, _>>()?;
        for item in writes {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(StoreError::new)?;
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        // One transaction: a listing never sees a post without its tags or with stale ones.
        self.transact(actions).await
    }

    /// The post's own index items, read by key: `META` by `GetItem`, its tags by one
    /// `begins_with(sk, 'TAG#')` range (paged to its end). Nothing else in the partition
    /// (comments, however many megabytes) is read or filtered.
    async fn post_items(&self, slug: &Slug) -> Result<Vec<Item>, StoreError> {
        let meta = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(post_pk(slug)))
            .key(SK, s(META_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        let tags = query_pages(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :tag)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(post_pk(slug)))
                .expression_attribute_values(":tag", s(TAG_PREFIX))
                .projection_expression("#pk, #sk")
                .consistent_read(true),
            None,
        )
        .await?;
        Ok(meta.item().cloned().into_iter().chain(tags).collect())
    }

    /// Newest-first listing of one `gsi1` partition, paging until `offset + limit + 1`
    /// items are seen (the `+ 1` tells whether another page exists).
    async fn newest_in(
        &self,
        partition: String,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.newest_in_range(partition, None, now, offset, limit)
            .await
    }

    /// `newest_in`, from `from` on when given (a month of the archive: one key range).
    async fn newest_in_range(
        &self,
        partition: String,
        from: Option<OffsetDateTime>,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        let wanted = offset + limit + 1;
        let mut items: Vec<Item> = Vec::with_capacity(wanted.min(256));
        let mut start: Option<Item> = None;
        let condition = match from {
            None => "#p = :p AND #s < :upper",
            Some(_) => "#p = :p AND #s BETWEEN :lower AND :upper",
        };
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression(condition)
                .expression_attribute_names("#p", GSI1_PK)
                .expression_attribute_names("#s", GSI1_SK)
                .expression_attribute_values(":p", s(partition.clone()))
                .expression_attribute_values(":upper", s(PostMeta::sort_key_upper_bound(now)));
            if let Some(from) = from {
                query = query.expression_attribute_values(":lower", s(time_fmt::sort_key(from)));
            }
            let out = query
                .scan_index_forward(false)
                .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query", e))?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(key) if items.len() < wanted => start = Some(key.clone()),
                _ => break,
            }
        }
        let has_more = items.len() > offset + limit;
        let posts = items
            .iter()
            .skip(offset)
            .take(limit)
            .map(decode)
            .collect::<Result<_, _>>()?;
        Ok(PostPage { posts, has_more })
    }
}

impl DynamoPostIndex {
    /// Loads entries of posts not yet indexed (a fresh table: benchmarks, a bulk import)
    /// with `BatchWriteItem`, 25 items a request, in `write`'s layout. No stale-tag
    /// clean-up and no transaction: never for a post that may already be indexed.
    pub async fn load_new(&self, entries: &[(PostMeta, String)]) -> Result<(), StoreError> {
        let mut items = Vec::new();
        for (meta, etag) in entries {
            let mut head = encode(meta, META_SK.into(), PUBLISHED.into());
            head.insert(ETAG.into(), s(etag));
            items.push(head);
            items.extend(
                meta.tags
                    .iter()
                    .map(|t| encode(meta, format!("TAG#{}", t.slug), format!("TAG#{}", t.slug))),
            );
        }
        batch_put(&self.client, &self.table, items).await
    }

    fn delete_action(&self, item: &Item) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(item)))
            .build()
            .map_err(StoreError::new)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Runs the actions in transactions of at most 100; a post has at most 20 tags, so
    /// an upsert (21 puts, up to 20 stale deletes) is always one transaction.
    async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        for chunk in actions.chunks(MAX_TRANSACT) {
            self.client
                .transact_write_items()
                .set_transact_items(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| unavailable("TransactWriteItems", e))?;
        }
        Ok(())
    }
}

fn epoch_ms(t: OffsetDateTime) -> AttributeValue {
    AttributeValue::N((t.unix_timestamp_nanos() / 1_000_000).to_string())
}

fn encode(meta: &PostMeta, sk: String, gsi1pk: String) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(post_pk(&meta.slug)));
    item.insert(SK.into(), s(sk));
    item.insert(GSI1_PK.into(), s(gsi1pk));
    item.insert(GSI1_SK.into(), s(meta.sort_key()));
    item.insert("slug".into(), s(meta.slug.as_str()));
    item.insert("title".into(), s(&meta.title));
    item.insert("summary".into(), s(&meta.summary));
    item.insert("date".into(), s(time_fmt::rfc3339(meta.date)));
    if let Some(updated) = meta.updated {
        item.insert("updated".into(), s(time_fmt::rfc3339(updated)));
    }
    item.insert(
        "tags".into(),
        AttributeValue::L(meta.tags.iter().map(|t| s(&t.name)).collect()),
    );
    item.insert(
        "comments_open".into(),
        AttributeValue::Bool(meta.comments_open),
    );
    item
}

fn decode(item: &Item) -> Result<PostMeta, StoreError> {
    let corrupt =
        |field: &str| StoreError::new(format!("DynamoDB post index item has a bad `{field}`"));
    let text = |field: &str| {
        item.get(field)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| corrupt(field))
    };
    let date = |field: &str| text(field).ok().and_then(|v| time_fmt::parse_rfc3339(v));
    Ok(PostMeta {
        slug: Slug::parse(text("slug")?).map_err(|_| corrupt("slug"))?,
        title: text("title")?.clone(),
        summary: text("summary")?.clone(),
        date: date("date").ok_or_else(|| corrupt("date"))?,
        updated: date("updated"),
        tags: item
            .get("tags")
            .and_then(|v| v.as_l().ok())
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_s().ok())
                    .filter_map(|n| Tag::parse(n).ok())
                    .collect()
            })
            .unwrap_or_default(),
        comments_open: item
            .get("comments_open")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(true),
    })
}

fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(k, _)| *k == PK || *k == SK)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[async_trait]
impl PostIndex for DynamoPostIndex {
    async fn upsert(&self, meta: &PostMeta) -> Result<(), StoreError> {
        self.write(meta, None).await
    }

    async fn upsert_version(&self, meta: &PostMeta, etag: &str) -> Result<(), StoreError> {
        self.write(meta, Some(etag)).await
    }

    /// `slugs`' one `gsi1` range, projecting the `META` item's `etag` too.
    async fn versions(&self) -> Result<Vec<(Slug, Option<String>)>, StoreError> {
        let items = query_pages(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", GSI1_PK)
                .expression_attribute_names("#slug", "slug")
                .expression_attribute_names("#etag", ETAG)
                .expression_attribute_values(":p", s(PUBLISHED))
                .projection_expression("#slug, #etag"),
            None,
        )
        .await?;
        let mut versions: Vec<(Slug, Option<String>)> = items
            .iter()
            .filter_map(|i| {
                let slug = Slug::parse(i.get("slug")?.as_s().ok()?).ok()?;
                let etag = i.get(ETAG).and_then(|v| v.as_s().ok()).cloned();
                Some((slug, etag))
            })
            .collect();
        versions.sort();
        Ok(versions)
    }

    /// One conditional `UpdateItem` on the lease item: taken when absent, expired or
    /// already this holder's.
    async fn take_publish_lease(
        &self,
        holder: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(LEASE_PK))
            .key(SK, s(LEASE_SK))
            .update_expression("SET #holder = :holder, #until = :until")
            .condition_expression(
                "attribute_not_exists(#holder) OR #until < :now OR #holder = :holder",
            )
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", epoch_ms(until))
            .expression_attribute_values(":now", epoch_ms(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }

    async fn release_publish_lease(&self, holder: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(LEASE_PK))
            .key(SK, s(LEASE_SK))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Expired and taken by another run meanwhile: not ours to delete.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable("DeleteItem", e)),
        }
    }

    async fn remove(&self, slug: &Slug) -> Result<(), StoreError> {
        let existing = self.post_items(slug).await?;
        if existing.is_empty() {
            return Ok(());
        }
        let actions = existing
            .iter()
            .map(|item| self.delete_action(item))
            .collect::<Result<Vec<_>, _>>()?;
        self.transact(actions).await
    }

    async fn get(&self, slug: &Slug) -> Result<Option<PostMeta>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(post_pk(slug)))
            .key(SK, s(META_SK))
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        out.item().map(decode).transpose()
    }

    async fn newest(
        &self,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.newest_in(PUBLISHED.into(), now, offset, limit).await
    }

    /// One `gsi1` range (`PUBLISHED`), slugs only, paged to its end: about 2,000 posts
    /// per 1 MB page, with no re-reading of earlier pages.
    async fn slugs(&self) -> Result<Vec<Slug>, StoreError> {
        let items = query_pages(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", GSI1_PK)
                .expression_attribute_names("#slug", "slug")
                .expression_attribute_values(":p", s(PUBLISHED))
                .projection_expression("#slug"),
            None,
        )
        .await?;
        let mut slugs: Vec<Slug> = items
            .iter()
            .filter_map(|i| i.get("slug")?.as_s().ok())
            .filter_map(|v| Slug::parse(v).ok())
            .collect();
        slugs.sort();
        Ok(slugs)
    }

    async fn newest_tagged(
        &self,
        tag: &Slug,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.newest_in(format!("TAG#{tag}"), now, offset, limit)
            .await
    }

    async fn newest_between(
        &self,
        from: OffsetDateTime,
        until: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Result<PostPage, StoreError> {
        self.newest_in_range(PUBLISHED.into(), Some(from), until, offset, limit)
            .await
    }

    async fn archive_summary(&self) -> Result<Option<ArchiveSummary>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(SUMMARY_PK))
            .key(SK, s(SUMMARY_SK))
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        let Some(body) = out.item().and_then(|i| i.get(SUMMARY_BODY)?.as_s().ok()) else {
            return Ok(None);
        };
        serde_json::from_str(body)
            .map(Some)
            .map_err(StoreError::new)
    }

    async fn put_archive_summary(&self, summary: &ArchiveSummary) -> Result<(), StoreError> {
        let body = serde_json::to_string(summary).map_err(StoreError::new)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(SUMMARY_PK))
            .item(SK, s(SUMMARY_SK))
            .item(SUMMARY_BODY, s(body))
            .send()
            .await
            .map_err(|e| unavailable("PutItem", e))?;
        Ok(())
    }
}
