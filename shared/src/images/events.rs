//! What invoked the images function: an S3 notification's records reduced to the
//! `media/` keys created or removed, each once (the last record for a key wins).

use crate::ports::MediaKey;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Created(MediaKey),
    Removed(MediaKey),
}

impl Change {
    pub fn key(&self) -> &MediaKey {
        match self {
            Change::Created(k) | Change::Removed(k) => k,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised event: {0}")]
pub struct UnknownEvent(pub String);

/// The changes an S3 event names. Keys arrive URL-encoded (`+` for a space); a key
/// outside `media/` or not a valid media name is ignored.
pub fn parse(event: Value) -> Result<Vec<Change>, UnknownEvent> {
    if event
        .pointer("/Records/0/eventSource")
        .and_then(Value::as_str)
        != Some("aws:s3")
    {
        return Err(UnknownEvent(event.to_string().chars().take(200).collect()));
    }
    let records = event.get("Records").and_then(Value::as_array);
    let mut changes: Vec<Change> = Vec::new();
    for record in records.into_iter().flatten() {
        let Some(raw) = record.pointer("/s3/object/key").and_then(Value::as_str) else {
            continue;
        };
        let spaced = raw.replace('+', " ");
        let Ok(decoded) = percent_encoding::percent_decode_str(&spaced).decode_utf8() else {
            continue;
        };
        let Some(key) = decoded
            .strip_prefix(MediaKey::PREFIX)
            .and_then(MediaKey::parse)
        else {
            continue;
        };
        let name = record
            .get("eventName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let change = if name.starts_with("ObjectRemoved") {
            Change::Removed(key)
        } else if name.starts_with("ObjectCreated") {
            Change::Created(key)
        } else {
            continue;
        };
        changes.retain(|c| c.key() != change.key());
        changes.push(change);
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(name: &str, key: &str) -> Value {
        json!({"eventSource": "aws:s3", "eventName": name, "eventTime": "2026-12-02T17:00:00.000Z",
               "s3": {"bucket": {"name": "b"}, "object": {"key": key}}})
    }

    #[test]
    fn keys_are_decoded_and_the_last_record_for_a_key_wins() {
        let event = json!({"Records": [
            record("ObjectCreated:Put", "media/cl%C3%ADnica/a+b.jpg"),
            record("ObjectCreated:Put", "posts/a.md"),
            record("ObjectCreated:Put", "media/..%2Fsite.toml"),
            record("ObjectCreated:Put", "media/x.png"),
            record("ObjectRemoved:Delete", "media/x.png"),
        ]});
        assert_eq!(
            parse(event).unwrap(),
            [
                Change::Created(MediaKey::parse("clínica/a b.jpg").unwrap()),
                Change::Removed(MediaKey::parse("x.png").unwrap()),
            ]
        );
        assert!(parse(json!({"rebuild": "all"})).is_err());
    }
}
