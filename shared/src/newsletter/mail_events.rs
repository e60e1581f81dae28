//! SES's configuration-set events through SNS: a hard bounce or a complaint marks the
//! subscriber `bounced` / `complained`, so nothing is mailed to the address again.

use crate::domain::time_fmt::parse_rfc3339;
use crate::domain::SubscriberEmail;
use crate::ports::{StoreError, SubscriberStore, SubscriptionStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// What one SES event asks of the subscriber store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailEvent {
    /// These recipients are to be marked `status` (`Bounced` or `Complained`) at `at`.
    Suppress {
        status: SubscriptionStatus,
        recipients: Vec<String>,
        at: Option<OffsetDateTime>,
    },
    /// Nothing to record, and why (a soft bounce, a delivery, another event type).
    Ignored(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    /// `eventType` with event publishing; `notificationType` for identity notifications.
    #[serde(alias = "notificationType")]
    event_type: String,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

fn time(t: &Option<String>) -> Option<OffsetDateTime> {
    // SES writes milliseconds (`2017-08-05T00:41:02.669Z`); the stored form is seconds.
    let t = t.as_deref()?;
    let seconds = match t.find('.') {
        Some(dot) => format!("{}Z", &t[..dot]),
        None => t.to_owned(),
    };
    parse_rfc3339(&seconds)
}

/// Reads one SES event record (the SNS message's text).
pub fn parse_ses_event(message: &str) -> Result<MailEvent, String> {
    let event: SesEvent =
        serde_json::from_str(message).map_err(|e| format!("not an SES event: {e}"))?;
    match (event.event_type.as_str(), event.bounce, event.complaint) {
        ("Bounce", Some(bounce), _) => {
            // Transient and Undetermined bounces (a full mailbox, an auto-reply) pass.
            if bounce.bounce_type != "Permanent" {
                return Ok(MailEvent::Ignored(format!(
                    "a {} bounce",
                    bounce.bounce_type.to_ascii_lowercase()
                )));
            }
            Ok(MailEvent::Suppress {
                status: SubscriptionStatus::Bounced,
                recipients: bounce
                    .bounced_recipients
                    .into_iter()
                    .map(|r| r.email_address)
                    .collect(),
                at: time(&bounce.timestamp),
            })
        }
        ("Complaint", _, Some(complaint)) => Ok(MailEvent::Suppress {
            status: SubscriptionStatus::Complained,
            recipients: complaint
                .complained_recipients
                .into_iter()
                .map(|r| r.email_address)
                .collect(),
            at: time(&complaint.timestamp),
        }),
        (other, _, _) => Ok(MailEvent::Ignored(format!("a {other} event"))),
    }
}

/// What one SNS delivery did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct MailEventsReport {
    pub bounced: u64,
    pub complained: u64,
    /// Suppressed already, or not a subscriber (a comment notice's owner address).
    pub unchanged: u64,
    pub ignored: u64,
    /// Records that are not SES events (logged, dropped: a retry would not help).
    pub unreadable: u64,
}

/// Whether a Lambda event is an SNS notification (rather than an SQS batch).
pub fn is_sns_event(event: &Value) -> bool {
    event["Records"][0]["EventSource"] == "aws:sns"
}

/// One SNS event of the mail-events topic. A store failure is an error, so Lambda's
/// retry of the asynchronous invocation records it later (marking is idempotent).
pub async fn handle_sns_event(
    subscribers: &dyn SubscriberStore,
    event: &Value,
    now: OffsetDateTime,
) -> Result<MailEventsReport, StoreError> {
    let mut report = MailEventsReport::default();
    let records = event["Records"].as_array().cloned().unwrap_or_default();
    for record in records {
        let message = record["Sns"]["Message"].as_str().unwrap_or_default();
        let parsed = match parse_ses_event(message) {
            Ok(parsed) => parsed,
            Err(e) => {
                tracing::warn!(error = %e, "mail event not understood");
                report.unreadable += 1;
                continue;
            }
        };
        let (status, recipients, at) = match parsed {
            MailEvent::Suppress {
                status,
                recipients,
                at,
            } => (status, recipients, at),
            MailEvent::Ignored(why) => {
                tracing::info!(why, "mail event ignored");
                report.ignored += 1;
                continue;
            }
        };
        for address in recipients {
            let Ok(email) = SubscriberEmail::parse(&address) else {
                report.unreadable += 1;
                continue;
            };
            if subscribers
                .suppress(&email, status, at.unwrap_or(now))
                .await?
            {
                tracing::info!(status = status.as_str(), "subscriber suppressed");
                match status {
                    SubscriptionStatus::Complained => report.complained += 1,
                    _ => report.bounced += 1,
                }
            } else {
                report.unchanged += 1;
            }
        }
    }
    Ok(report)
}
