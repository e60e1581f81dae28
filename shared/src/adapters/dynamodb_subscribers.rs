//! AWS subscriber store and rate counters: items in the single table (see `aws::table`).

use super::dynamodb::{applied, condition_failed, query_pages, s, unavailable, Item};
use crate::aws::table::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use crate::domain::time_fmt::{parse_rfc3339, sort_key};
use crate::domain::SubscriberEmail;
use crate::ports::subscribers::CLAIM_LEASE;
use crate::ports::{
    ConfirmOutcome, RateCounter, Signup, SignupOutcome, StoreError, Subscriber, SubscriberStore,
    SubscriptionStatus,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use time::{Duration, OffsetDateTime};

pub const SUBSCRIBER_PREFIX: &str = "SUBSCRIBER#";
pub const RATE_PREFIX: &str = "RATE#";
const SUBSCRIBER_SK: &str = "SUBSCRIBER";
const STATUS_PARTITION: &str = "SUBSCRIBERS#";
/// The claim time (`confirmation_sent_at`) whose mail was reported sent.
const MAILED: &str = "mailed_at";

#[derive(Clone)]
pub struct DynamoSubscribers {
    client: Client,
    table: String,
}

impl DynamoSubscribers {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoSubscribers {
        DynamoSubscribers {
            client,
            table: table.into(),
        }
    }

    async fn item(&self, key: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(subscriber_pk(key)))
            .key(SK, s(SUBSCRIBER_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(out.item)
    }

    /// An UpdateItem on one subscriber's item; the caller adds the expressions.
    fn update_subscriber(&self, key: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(subscriber_pk(key)))
            .key(SK, s(SUBSCRIBER_SK))
    }
}

fn subscriber_pk(key: &str) -> String {
    format!("{SUBSCRIBER_PREFIX}{key}")
}

fn status_partition(status: SubscriptionStatus) -> String {
    format!("{STATUS_PARTITION}{}", status.as_str())
}

fn decode(item: &Item) -> Result<Subscriber, StoreError> {
    let corrupt =
        |field: &str| StoreError::new(format!("DynamoDB subscriber item has a bad `{field}`"));
    let text = |field: &str| item.get(field).and_then(|v| v.as_s().ok());
    let time = |field: &str| -> Result<Option<OffsetDateTime>, StoreError> {
        text(field)
            .map(|v| parse_rfc3339(v).ok_or_else(|| corrupt(field)))
            .transpose()
    };
    Ok(Subscriber {
        email: text("email")
            .and_then(|e| SubscriberEmail::parse(e).ok())
            .ok_or_else(|| corrupt("email"))?,
        status: text("status")
            .and_then(|v| SubscriptionStatus::parse(v))
            .ok_or_else(|| corrupt("status"))?,
        signed_up_at: time("signed_up_at")?.ok_or_else(|| corrupt("signed_up_at"))?,
        confirmed_at: time("confirmed_at")?,
        unsubscribed_at: time("unsubscribed_at")?,
        source: text("source").cloned().unwrap_or_default(),
        client_hash: text("client_hash").cloned().unwrap_or_default(),
        confirmation_sent_at: time("confirmation_sent_at")?,
    })
}

#[async_trait]
impl SubscriberStore for DynamoSubscribers {
    async fn sign_up(
        &self,
        signup: &Signup,
        resend_after: Duration,
    ) -> Result<SignupOutcome, StoreError> {
        let key = signup.email.key();
        let at = sort_key(signup.at);
        let mut item = Item::new();
        item.insert(PK.into(), s(subscriber_pk(key)));
        item.insert(SK.into(), s(SUBSCRIBER_SK));
        item.insert(
            GSI1_PK.into(),
            s(status_partition(SubscriptionStatus::Pending)),
        );
        item.insert(GSI1_SK.into(), s(format!("{at}#{key}")));
        item.insert("email".into(), s(signup.email.as_str()));
        item.insert("status".into(), s(SubscriptionStatus::Pending.as_str()));
        item.insert("signed_up_at".into(), s(&at));
        item.insert("source".into(), s(&signup.source));
        item.insert("client_hash".into(), s(&signup.client_hash));
        item.insert("confirmation_sent_at".into(), s(&at));
        // One item per address: only an absent or unsubscribed record is (re)started.
        let created = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #status = :unsubscribed")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":unsubscribed",
                s(SubscriptionStatus::Unsubscribed.as_str()),
            )
            .send()
            .await;
        match created {
            Ok(_) => return Ok(SignupOutcome::Created),
            Err(e) if condition_failed(&e) => {}
            Err(e) => return Err(unavailable("PutItem", e)),
        }
        // Pending with an old enough mail: claim the resend, so concurrent signups send one.
        let resend = self
            .update_subscriber(key)
            .update_expression("SET #sent = :at")
            // A claim holds `resend_after` once its mail was reported sent (`mailed` is
            // the claim's time), else only `CLAIM_LEASE`.
            .condition_expression(
                "#status = :pending AND (attribute_not_exists(#sent) OR #sent <= :cutoff \
                 OR ((attribute_not_exists(#mailed) OR #mailed <> #sent) AND #sent <= :lease))",
            )
            .expression_attribute_names("#sent", "confirmation_sent_at")
            .expression_attribute_names("#mailed", MAILED)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":at", s(&at))
            .expression_attribute_values(":cutoff", s(sort_key(signup.at - resend_after)))
            .expression_attribute_values(":lease", s(sort_key(signup.at - CLAIM_LEASE)))
            .expression_attribute_values(":pending", s(SubscriptionStatus::Pending.as_str()))
            .send()
            .await;
        Ok(if applied(resend, "UpdateItem")? {
            SignupOutcome::ResendConfirmation
        } else {
            SignupOutcome::Unchanged
        })
    }

    async fn confirmation_not_sent(
        &self,
        email: &SubscriberEmail,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let result = self
            .update_subscriber(email.key())
            .update_expression("REMOVE #sent")
            // Only this request's claim: a later signup's claim stands.
            .condition_expression("#status = :pending AND #sent = :at")
            .expression_attribute_names("#sent", "confirmation_sent_at")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s(SubscriptionStatus::Pending.as_str()))
            .expression_attribute_values(":at", s(sort_key(sent_at)))
            .send()
            .await;
        applied(result, "UpdateItem").map(|_| ())
    }

    async fn confirmation_sent(
        &self,
        email: &SubscriberEmail,
        sent_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = sort_key(sent_at);
        let result = self
            .update_subscriber(email.key())
            .update_expression("SET #mailed = :at")
            // Only this request's claim: a later claim is its own request's to report.
            .condition_expression("#sent = :at")
            .expression_attribute_names("#sent", "confirmation_sent_at")
            .expression_attribute_names("#mailed", MAILED)
            .expression_attribute_values(":at", s(&at))
            .send()
            .await;
        applied(result, "UpdateItem").map(|_| ())
    }

    async fn confirm(
        &self,
        email: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<ConfirmOutcome, StoreError> {
        let confirmed = self
            .update_subscriber(email.key())
            .update_expression("SET #status = :confirmed, confirmed_at = :at, #gpk = :partition")
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#gpk", GSI1_PK)
            .expression_attribute_values(":confirmed", s(SubscriptionStatus::Confirmed.as_str()))
            .expression_attribute_values(":pending", s(SubscriptionStatus::Pending.as_str()))
            .expression_attribute_values(":at", s(sort_key(at)))
            .expression_attribute_values(
                ":partition",
                s(status_partition(SubscriptionStatus::Confirmed)),
            )
            .send()
            .await;
        match confirmed {
            Ok(_) => Ok(ConfirmOutcome::Confirmed),
            Err(e) if condition_failed(&e) => {
                Ok(
                    match self
                        .item(email.key())
                        .await?
                        .as_ref()
                        .map(decode)
                        .transpose()?
                    {
                        None => ConfirmOutcome::Missing,
                        Some(s)
                            if s.status == SubscriptionStatus::Unsubscribed
                                || s.status.is_suppressed() =>
                        {
                            ConfirmOutcome::Unsubscribed
                        }
                        // Pending cannot fail the condition; it can only have changed since.
                        Some(_) => ConfirmOutcome::AlreadyConfirmed,
                    },
                )
            }
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }

    async fn unsubscribe(
        &self,
        email: &SubscriberEmail,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .update_subscriber(email.key())
            .update_expression(
                "SET #status = :unsubscribed, unsubscribed_at = :at, #gpk = :partition",
            )
            // Bounced and complained stay so: a later signup must not restart them.
            .condition_expression("#status IN (:pending, :confirmed)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#gpk", GSI1_PK)
            .expression_attribute_values(
                ":unsubscribed",
                s(SubscriptionStatus::Unsubscribed.as_str()),
            )
            .expression_attribute_values(":pending", s(SubscriptionStatus::Pending.as_str()))
            .expression_attribute_values(":confirmed", s(SubscriptionStatus::Confirmed.as_str()))
            .expression_attribute_values(":at", s(sort_key(at)))
            .expression_attribute_values(
                ":partition",
                s(status_partition(SubscriptionStatus::Unsubscribed)),
            )
            .send()
            .await;
        applied(result, "UpdateItem")
    }

    async fn get(&self, email: &SubscriberEmail) -> Result<Option<Subscriber>, StoreError> {
        self.item(email.key())
            .await?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn confirmed(&self) -> Result<Vec<Subscriber>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", GSI1_PK)
            .expression_attribute_values(":p", s(status_partition(SubscriptionStatus::Confirmed)));
        query_pages(query, None).await?.iter().map(decode).collect()
    }

    async fn erase(&self, email: &SubscriberEmail) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(subscriber_pk(email.key())))
            .key(SK, s(SUBSCRIBER_SK))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn confirmed_page(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError> {
        self.status_page(SubscriptionStatus::Confirmed, cursor, limit)
            .await
    }

    async fn status_page(
        &self,
        status: SubscriptionStatus,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Subscriber>, Option<String>), StoreError> {
        // The cursor is the query's LastEvaluatedKey (string attributes only) as JSON.
        let start: Option<Item> = match cursor {
            None => None,
            Some(c) => {
                let map: std::collections::HashMap<String, String> = serde_json::from_str(c)
                    .map_err(|_| StoreError::new("bad subscriber page cursor"))?;
                Some(map.into_iter().map(|(k, v)| (k, s(v))).collect())
            }
        };
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", GSI1_PK)
            .expression_attribute_values(":p", s(status_partition(status)))
            .set_exclusive_start_key(start)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| unavailable("Query", e))?;
        let subscribers = page.items().iter().map(decode).collect::<Result<_, _>>()?;
        let next = page.last_evaluated_key.map(|key| {
            let map: std::collections::BTreeMap<String, String> = key
                .into_iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.clone())))
                .collect();
            serde_json::to_string(&map).expect("strings serialize")
        });
        Ok((subscribers, next))
    }

    async fn suppress(
        &self,
        email: &SubscriberEmail,
        status: SubscriptionStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        if !status.is_suppressed() {
            return Err(StoreError::new("suppress takes bounced or complained"));
        }
        let result = self
            .update_subscriber(email.key())
            .update_expression("SET #status = :s, unsubscribed_at = :at, #gpk = :partition")
            .condition_expression(
                "attribute_exists(#pk) AND #status <> :bounced AND #status <> :complained",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#gpk", GSI1_PK)
            .expression_attribute_values(":s", s(status.as_str()))
            .expression_attribute_values(":at", s(sort_key(at)))
            .expression_attribute_values(":partition", s(status_partition(status)))
            .expression_attribute_values(":bounced", s(SubscriptionStatus::Bounced.as_str()))
            .expression_attribute_values(":complained", s(SubscriptionStatus::Complained.as_str()))
            .send()
            .await;
        applied(result, "UpdateItem")
    }

    async fn import(&self, subscriber: &Subscriber) -> Result<bool, StoreError> {
        let key = subscriber.email.key();
        let signed_up = sort_key(subscriber.signed_up_at);
        let mut item = Item::new();
        item.insert(PK.into(), s(subscriber_pk(key)));
        item.insert(SK.into(), s(SUBSCRIBER_SK));
        item.insert(GSI1_PK.into(), s(status_partition(subscriber.status)));
        item.insert(GSI1_SK.into(), s(format!("{signed_up}#{key}")));
        item.insert("email".into(), s(subscriber.email.as_str()));
        item.insert("status".into(), s(subscriber.status.as_str()));
        item.insert("signed_up_at".into(), s(&signed_up));
        item.insert("source".into(), s(&subscriber.source));
        item.insert("client_hash".into(), s(&subscriber.client_hash));
        for (field, at) in [
            ("confirmed_at", subscriber.confirmed_at),
            ("unsubscribed_at", subscriber.unsubscribed_at),
            ("confirmation_sent_at", subscriber.confirmation_sent_at),
        ] {
            if let Some(at) = at {
                item.insert(field.into(), s(sort_key(at)));
            }
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        applied(put, "PutItem")
    }
}

#[async_trait]
impl RateCounter for DynamoSubscribers {
    async fn hit(
        &self,
        key: &str,
        window_start: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(format!("{RATE_PREFIX}{key}")))
            .key(SK, s(format!("WINDOW#{}", window_start.unix_timestamp())))
            .update_expression("ADD hits :one SET expires_at = :expires")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N(expires_at.unix_timestamp().to_string()),
            )
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        out.attributes
            .as_ref()
            .and_then(|a| a.get("hits"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::new("DynamoDB UpdateItem returned no hit count"))
    }
}
