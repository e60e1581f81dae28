//! AWS delivery: batches as SQS messages, the sender's SQS event handler (with partial
//! batch failures, so only batches with deferred mail come back), and the send pace read
//! from SES's `GetAccount` quota.

use super::ports::{Batch, BatchQueue};
use super::sender::Sender;
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> SqsQueue {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// One message whose body is `body` (also the feeds function's rebuild continuation).
    pub async fn send(&self, body: String) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| StoreError::new(format!("SQS SendMessage: {}", DisplayErrorContext(e))))?;
        Ok(())
    }
}

#[async_trait]
impl BatchQueue for SqsQueue {
    async fn enqueue(&self, batch: &Batch) -> Result<(), StoreError> {
        self.send(serde_json::to_string(batch).expect("a batch serializes"))
            .await
    }
}

#[derive(Deserialize)]
struct SqsEvent {
    #[serde(rename = "Records", default)]
    records: Vec<SqsRecord>,
}

#[derive(Deserialize)]
struct SqsRecord {
    #[serde(rename = "messageId")]
    message_id: String,
    body: String,
}

/// One SQS event: each message is a batch. A message whose batch left mail deferred
/// (throttling, an outage) or that could not be read from the stores is reported as a
/// batch item failure (`ReportBatchItemFailures`); SQS redelivers it and the ledger
/// skips the mails already sent. A body that is not a batch goes to the DLQ.
pub async fn handle_sqs_event(sender: &Sender, event: Value) -> Value {
    let event: SqsEvent = match serde_json::from_value(event) {
        Ok(event) => event,
        Err(e) => {
            tracing::error!(error = %e, "not an SQS event");
            return json!({ "batchItemFailures": [] });
        }
    };
    let mut failures = Vec::new();
    for record in event.records {
        let retry = match serde_json::from_str::<Batch>(&record.body) {
            Ok(batch) => match sender.deliver(&batch).await {
                Ok(report) => {
                    tracing::info!(slug = %batch.slug, ?report, "newsletter batch delivered");
                    !report.retry.is_empty()
                }
                Err(e) => {
                    tracing::error!(error = %e, "newsletter batch not delivered");
                    true
                }
            },
            Err(e) => {
                tracing::error!(error = %e, "an SQS message that is not a batch");
                true
            }
        };
        if retry {
            failures.push(json!({ "itemIdentifier": record.message_id }));
        }
    }
    json!({ "batchItemFailures": failures })
}

#[cfg(feature = "mail-ses")]
/// The pause between two sends of one sender invocation so that `concurrency` senders
/// together stay within SES's `MaxSendRate`. One mail a second when the quota cannot be read.
#[cfg(feature = "mail-ses")]
pub async fn send_pace(ses: &aws_sdk_sesv2::Client, concurrency: u32) -> Duration {
    match ses.get_account().send().await {
        Ok(account) => {
            let rate = account
                .send_quota()
                .map(|q| q.max_send_rate())
                .unwrap_or(1.0);
            tracing::info!(max_send_rate = rate, concurrency, "SES quota read");
            pace_for(rate, concurrency)
        }
        Err(e) => {
            tracing::warn!(error = %DisplayErrorContext(e), "SES GetAccount failed");
            Duration::from_secs(1)
        }
    }
}

pub fn pace_for(max_send_rate: f64, concurrency: u32) -> Duration {
    if max_send_rate <= 0.0 {
        return Duration::from_secs(1);
    }
    Duration::from_secs_f64(f64::from(concurrency.max(1)) / max_send_rate)
}
