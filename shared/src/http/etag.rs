//! Entity tags and conditional requests (RFC 9110 §13).

use crate::domain::time_fmt::parse_http_date;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A strong entity tag for these bytes: `"` + 32 hex digits of SHA-256 + `"`.
pub fn strong_etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, `*` matches all).
pub fn if_none_match_matches(header: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    header.split(',').any(|candidate| {
        let candidate = candidate.trim();
        candidate == "*" || opaque(candidate) == ours
    })
}

/// Whether the client's cached copy is still fresh: `If-None-Match` when present,
/// otherwise `If-Modified-Since` against `last_modified` (whole seconds).
pub fn is_not_modified(
    headers: &HeaderMap,
    etag: &str,
    last_modified: Option<OffsetDateTime>,
) -> bool {
    if let Some(inm) = headers.get(http::header::IF_NONE_MATCH) {
        return inm.to_str().is_ok_and(|v| if_none_match_matches(v, etag));
    }
    match (headers.get(http::header::IF_MODIFIED_SINCE), last_modified) {
        (Some(ims), Some(modified)) => ims
            .to_str()
            .ok()
            .and_then(parse_http_date)
            .is_some_and(|since| modified.unix_timestamp() <= since.unix_timestamp()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_stable_and_quoted() {
        let a = strong_etag(b"hello");
        assert_eq!(a, strong_etag(b"hello"));
        assert_ne!(a, strong_etag(b"hello!"));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_stars_match() {
        assert!(if_none_match_matches("\"a\"", "\"a\""));
        assert!(if_none_match_matches("\"x\", W/\"a\"", "\"a\""));
        assert!(if_none_match_matches("*", "\"a\""));
        assert!(!if_none_match_matches("\"b\"", "\"a\""));
    }

    #[test]
    fn if_modified_since_is_used_only_without_if_none_match() {
        let modified = time::macros::datetime!(2024-03-12 09:00 UTC);
        let mut h = HeaderMap::new();
        h.insert(
            http::header::IF_MODIFIED_SINCE,
            "Tue, 12 Mar 2024 09:00:00 GMT".parse().unwrap(),
        );
        assert!(is_not_modified(&h, "\"a\"", Some(modified)));
        assert!(!is_not_modified(
            &h,
            "\"a\"",
            Some(modified + time::Duration::seconds(1))
        ));
        h.insert(http::header::IF_NONE_MATCH, "\"b\"".parse().unwrap());
        assert!(!is_not_modified(&h, "\"a\"", Some(modified)));
    }
}
