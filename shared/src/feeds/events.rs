//! What invoked the feeds function: an S3 notification, a DynamoDB stream batch, the
//! hourly schedule, or an operator's `{"rebuild": "all"}`, each reduced to what changed.

use crate::domain::Slug;
use crate::ports::ContentKey;
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::s3::S3Event;
use serde_json::Value;
use std::collections::BTreeSet;

/// One invocation's work, de-duplicated: a batch naming a post (or a comment thread) many
/// times still regenerates each feed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// `posts/<slug>.md` and `pages/<slug>.md` objects were created or removed.
    Stored {
        posts: BTreeSet<Slug>,
        pages: BTreeSet<Slug>,
    },
    /// Comments whose approval changed, by the post they belong to.
    Comments(BTreeSet<Slug>),
    /// The schedule: posts whose date has arrived become visible in feeds and sitemap.
    Schedule,
    /// Re-index from the bucket listing and regenerate everything; `after` continues a
    /// rebuild an earlier invocation ran out of time for, past the last slug it did.
    Rebuild { after: Option<Slug> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised event: {0}")]
pub struct UnknownEvent(pub String);

/// Classifies an invocation's payload.
pub fn parse(event: Value) -> Result<Trigger, UnknownEvent> {
    let source = event
        .pointer("/Records/0/eventSource")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let unknown = |e: &dyn std::fmt::Display| UnknownEvent(e.to_string());
    match source.as_deref() {
        Some("aws:s3") => {
            let event: S3Event = serde_json::from_value(event).map_err(|e| unknown(&e))?;
            Ok(Trigger::Stored {
                posts: post_slugs_in(&event),
                pages: slugs_in(&event, ContentKey::page_slug_of),
            })
        }
        Some("aws:dynamodb") => {
            let event: StreamEvent = serde_json::from_value(event).map_err(|e| unknown(&e))?;
            Ok(Trigger::Comments(comment_threads_in(&event)))
        }
        _ if event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
            && event.get("source").and_then(Value::as_str) == Some("aws.events") =>
        {
            Ok(Trigger::Schedule)
        }
        // A continuation the function queued for itself (see `Feeds::rebuild_until`).
        Some("aws:sqs") => {
            let body = event
                .pointer("/Records/0/body")
                .and_then(Value::as_str)
                .ok_or_else(|| UnknownEvent("an SQS record without a body".into()))?;
            parse(serde_json::from_str(body).map_err(|e| unknown(&e))?)
        }
        _ if event.get("rebuild").and_then(Value::as_str) == Some("all") => {
            let after = match event.get("after") {
                None => None,
                Some(after) => Some(
                    after
                        .as_str()
                        .and_then(|a| Slug::parse(a).ok())
                        .ok_or_else(|| UnknownEvent(format!("a bad rebuild `after`: {after}")))?,
                ),
            };
            Ok(Trigger::Rebuild { after })
        }
        _ => Err(UnknownEvent(event.to_string().chars().take(200).collect())),
    }
}

/// The post slugs an S3 event touches, each once however many records name it.
/// Keys arrive URL-encoded (`+` for space); anything not `posts/<slug>.md` is ignored.
pub fn post_slugs_in(event: &S3Event) -> BTreeSet<Slug> {
    slugs_in(event, ContentKey::post_slug_of)
}

/// The slugs `slug_of` finds in an S3 event's keys, each once. S3 sends a key
/// form-encoded: `+` for a space, `%2B` for a `+`, UTF-8 percent-encoded
/// (`posts/c%C3%B3mo-dormir.md`), so `+` is replaced before the percent-decoding.
fn slugs_in(event: &S3Event, slug_of: fn(&str) -> Option<Slug>) -> BTreeSet<Slug> {
    event
        .records
        .iter()
        .filter_map(|r| r.s3.object.key.as_deref())
        .filter_map(|raw| {
            let spaced = raw.replace('+', " ");
            let key = percent_encoding::percent_decode_str(&spaced)
                .decode_utf8()
                .ok()?;
            slug_of(&key)
        })
        .collect()
}

/// The comment item layout the stream carries (see `aws::table`): `pk = POST#<slug>`,
/// `sk = COMMENT#...`, and a `status` attribute.
const COMMENT_SK_PREFIX: &str = "COMMENT#";
const POST_PK_PREFIX: &str = "POST#";
const APPROVED: &str = "approved";

/// The posts whose public comment threads a stream batch changed: a comment that is
/// approved before or after the change (inserted approved, approved, un-approved,
/// edited while approved, or deleted while approved). Pending-only churn changes no feed.
/// Records repeat (moto sends two INSERTs for one `UpdateItem`); the set absorbs them.
pub fn comment_threads_in(event: &StreamEvent) -> BTreeSet<Slug> {
    event
        .records
        .iter()
        .filter_map(|record| {
            let change = &record.change;
            let keys = attributes(&change.keys);
            let sk = string_attr(&keys, "sk")?;
            if !sk.starts_with(COMMENT_SK_PREFIX) {
                return None;
            }
            let old = attributes(&change.old_image);
            let new = attributes(&change.new_image);
            let was_public = string_attr(&old, "status").as_deref() == Some(APPROVED);
            let is_public = string_attr(&new, "status").as_deref() == Some(APPROVED);
            let visible_change = match record.event_name.as_str() {
                "INSERT" => is_public,
                "REMOVE" => was_public,
                _ => (was_public || is_public) && old != new,
            };
            if !visible_change {
                return None;
            }
            let pk = string_attr(&keys, "pk")?;
            Slug::parse(pk.strip_prefix(POST_PK_PREFIX)?).ok()
        })
        .collect()
}

/// The `SequenceNumber` of each record of a DynamoDB stream batch (empty for any other
/// event): the identifiers a partial-batch response names.
pub fn stream_sequence_numbers(event: &Value) -> Vec<String> {
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        return Vec::new();
    };
    records
        .iter()
        .filter(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:dynamodb"))
        .filter_map(|r| r.pointer("/dynamodb/SequenceNumber")?.as_str())
        .map(str::to_owned)
        .collect()
}

/// The `batchItemFailures` list Lambda reads with `FunctionResponseTypes:
/// [ReportBatchItemFailures]`: the records to retry, none when the batch succeeded.
pub fn batch_item_failures(sequence_numbers: &[String]) -> Value {
    sequence_numbers
        .iter()
        .map(|n| serde_json::json!({ "itemIdentifier": n }))
        .collect()
}

/// A stream image as plain DynamoDB JSON (`{"name": {"S": "..."}}`).
fn attributes(item: &impl serde::Serialize) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

fn string_attr(item: &Value, name: &str) -> Option<String> {
    item.get(name)?.get("S")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schedules_and_rebuilds_are_recognised() {
        let scheduled = json!({
            "version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2024-03-12T09:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {}
        });
        assert_eq!(parse(scheduled), Ok(Trigger::Schedule));
        assert_eq!(
            parse(json!({"rebuild": "all"})),
            Ok(Trigger::Rebuild { after: None })
        );
        assert_eq!(
            parse(json!({"rebuild": "all", "after": "hello"})),
            Ok(Trigger::Rebuild {
                after: Some(Slug::parse("hello").unwrap())
            })
        );
        assert!(parse(json!({"rebuild": "all", "after": "../x"})).is_err());
        assert!(parse(json!({"rebuild": "some"})).is_err());
        assert!(parse(json!({"detail-type": "Scheduled Event", "source": "evil"})).is_err());
    }

    /// The repository's S3 notification fixture, one record per key.
    fn s3_event(keys: &[&str]) -> Value {
        let fixture: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/s3-object-created.json"
        ))
        .unwrap();
        let record = fixture["Records"][0].clone();
        let records: Vec<Value> = keys
            .iter()
            .map(|key| {
                let mut r = record.clone();
                r["s3"]["object"]["key"] = json!(key);
                r
            })
            .collect();
        json!({ "Records": records })
    }

    #[test]
    fn utf8_keys_arrive_form_encoded_and_are_decoded_once() {
        let slugs = |names: &[&str]| -> BTreeSet<Slug> {
            names.iter().map(|n| Slug::parse(n).unwrap()).collect()
        };
        assert_eq!(
            parse(s3_event(&[
                "posts/c%C3%B3mo-dormir.md",
                "posts/c%c3%b3mo-dormir.md",
                "posts%2F%E7%9D%A1%E7%9C%A0.md",
                "pages/qui%C3%A9nes-somos.md",
                // Not slugs once decoded: a space (`+`), an uppercase letter, a decomposed
                // accent, bytes that are not UTF-8, an encoded `%`.
                "posts/c%C3%B3mo+dormir.md",
                "posts/C%C3%B3mo.md",
                "posts/co%CC%81mo.md",
                "posts/%FF%FE.md",
                "posts/a%2525.md",
            ])),
            Ok(Trigger::Stored {
                posts: slugs(&["cómo-dormir", "睡眠"]),
                pages: slugs(&["quiénes-somos"])
            })
        );
    }

    #[test]
    fn page_and_post_uploads_are_named_apart_in_one_trigger() {
        let slugs = |names: &[&str]| -> BTreeSet<Slug> {
            names.iter().map(|n| Slug::parse(n).unwrap()).collect()
        };
        assert_eq!(
            parse(s3_event(&["pages/about.md", "pages/contact.md"])),
            Ok(Trigger::Stored {
                posts: BTreeSet::new(),
                pages: slugs(&["about", "contact"])
            })
        );
        assert_eq!(
            parse(s3_event(&["pages/about.md", "posts/a.md"])),
            Ok(Trigger::Stored {
                posts: slugs(&["a"]),
                pages: slugs(&["about"])
            })
        );
        assert_eq!(
            parse(s3_event(&["pages/x/y.md", "media/a.png"])),
            Ok(Trigger::Stored {
                posts: BTreeSet::new(),
                pages: BTreeSet::new()
            })
        );
    }
}
