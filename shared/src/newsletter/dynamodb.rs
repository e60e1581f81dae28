//! AWS newsletter ledger, in the single table. `NEWSLETTER#<slug>` partitions hold the
//! newsletter (`SK = NEWSLETTER`, created with `attribute_not_exists`) and one item per
//! recipient (`SK = TO#<email key>`): claim = conditional put, settle = update. Two
//! writes per recipient; `status` pages through the partition. The newsletter item is
//! also in GSI1 (`NEWSLETTERS`, by creation time) so that all of them can be listed.

use super::ports::{Counts, Delivery, NewsletterRecord, NewsletterStore};
use crate::adapters::dynamodb::{condition_failed, query_pages, s, unavailable, Item};
use crate::aws::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use crate::domain::time_fmt::{parse_rfc3339, sort_key};
use crate::domain::Slug;
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use time::OffsetDateTime;

const NEWSLETTER_SK: &str = "NEWSLETTER";
const TO_PREFIX: &str = "TO#";
const LIST_PARTITION: &str = "NEWSLETTERS";

#[derive(Clone)]
pub struct DynamoNewsletters {
    client: Client,
    table: String,
}

impl DynamoNewsletters {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoNewsletters {
        DynamoNewsletters {
            client,
            table: table.into(),
        }
    }
}

fn pk(slug: &Slug) -> String {
    format!("NEWSLETTER#{slug}")
}

fn to_sk(email_key: &str) -> String {
    format!("{TO_PREFIX}{email_key}")
}

fn decode(slug: &Slug, item: &Item) -> NewsletterRecord {
    NewsletterRecord {
        slug: slug.clone(),
        created_at: item
            .get("created_at")
            .and_then(|v| v.as_s().ok())
            .and_then(|v| parse_rfc3339(v))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        planned: item
            .get("planned")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()),
    }
}

#[async_trait]
impl NewsletterStore for DynamoNewsletters {
    async fn create(
        &self,
        slug: &Slug,
        at: OffsetDateTime,
    ) -> Result<Option<NewsletterRecord>, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(pk(slug)))
            .item(SK, s(NEWSLETTER_SK))
            .item("created_at", s(sort_key(at)))
            .item(GSI1_PK, s(LIST_PARTITION))
            .item(GSI1_SK, s(format!("{}#{slug}", sort_key(at))))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match put {
            Ok(_) => Ok(None),
            Err(e) if condition_failed(&e) => self.get(slug).await,
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    async fn get(&self, slug: &Slug) -> Result<Option<NewsletterRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk(slug)))
            .key(SK, s(NEWSLETTER_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(out.item.map(|item| decode(slug, &item)))
    }

    async fn planned(&self, slug: &Slug, recipients: u64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk(slug)))
            .key(SK, s(NEWSLETTER_SK))
            .update_expression("SET planned = :n")
            .expression_attribute_values(":n", AttributeValue::N(recipients.to_string()))
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        Ok(())
    }

    async fn claim(&self, slug: &Slug, email_key: &str) -> Result<bool, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(pk(slug)))
            .item(SK, s(to_sk(email_key)))
            .item("status", s("sending"))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    async fn settle(
        &self,
        slug: &Slug,
        email_key: &str,
        delivery: &Delivery,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk(slug)))
            .key(SK, s(to_sk(email_key)))
            .update_expression("SET #s = :s, detail = :d, #at = :at")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":s", s(delivery.status()))
            .expression_attribute_values(":d", s(delivery.detail()))
            .expression_attribute_values(":at", s(sort_key(at)))
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        Ok(())
    }

    async fn release(&self, slug: &Slug, email_key: &str) -> Result<(), StoreError> {
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(pk(slug)))
            .key(SK, s(to_sk(email_key)))
            .condition_expression("#s = :sending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":sending", s("sending"))
            .send()
            .await;
        match delete {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(unavailable("DeleteItem", e)),
        }
    }

    async fn counts(&self, slug: &Slug) -> Result<Counts, StoreError> {
        let mut counts = Counts {
            planned: self.get(slug).await?.and_then(|r| r.planned).unwrap_or(0),
            ..Counts::default()
        };
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :to)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":pk", s(pk(slug)))
                .expression_attribute_values(":to", s(TO_PREFIX))
                .projection_expression("#s")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query", e))?;
            for item in page.items() {
                let status = item.get("status").and_then(|v| v.as_s().ok());
                counts.add(status.map_or("", |s| s), 1);
            }
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(counts),
            }
        }
    }

    async fn list(&self) -> Result<Vec<NewsletterRecord>, StoreError> {
        let items = query_pages(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", GSI1_PK)
                .expression_attribute_values(":p", s(LIST_PARTITION))
                .scan_index_forward(false),
            None,
        )
        .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let pk = item.get(PK)?.as_s().ok()?;
                let slug = Slug::parse(pk.strip_prefix("NEWSLETTER#")?).ok()?;
                Some(decode(&slug, item))
            })
            .collect())
    }
}
