//! Entity tags and conditional requests (RFC 9110 §13).

use crate::domain::time_fmt::parse_http_date;
use http::HeaderMap;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A strong entity tag for these bytes: `"` + 32 hex digits of SHA-256 + `"`. For the
/// embedded content store's files (as S3 tags its objects); pages use `Version`.
pub fn strong_etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

/// A version built from the versions of what a page is made of (the post's store ETag,
/// the settings' ETag, the comment thread, the build), hashed with FNV-1a 64: stable
/// across processes and Rust releases, so every warm instance gives a page the same
/// ETag, and a page's ETag costs nothing per view (no hash of the page's bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(u64);

impl Default for Version {
    fn default() -> Self {
        Version(0xcbf2_9ce4_8422_2325)
    }
}

impl Version {
    /// The version of this build's templates and stylesheet: a new deploy renders anew.
    pub fn of_build() -> Version {
        Version::default()
            .str(env!("CARGO_PKG_VERSION"))
            .str(crate::render::pages::stylesheet_version())
    }

    pub fn bytes(mut self, bytes: &[u8]) -> Version {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        self
    }

    pub fn str(self, s: &str) -> Version {
        self.bytes(s.as_bytes())
    }

    pub fn u64(self, n: u64) -> Version {
        self.bytes(&n.to_le_bytes())
    }

    /// Folds in a value's `Debug` text without allocating it.
    pub fn debug(mut self, value: &impl std::fmt::Debug) -> Version {
        use std::fmt::Write;
        let _ = write!(self, "{value:?}");
        self.bytes(&[])
    }

    pub fn value(self) -> u64 {
        self.0
    }

    /// The strong entity tag for this version: `"v` + 16 hex digits + `"`.
    pub fn etag(self) -> String {
        format!("\"v{:016x}\"", self.0)
    }
}

impl std::fmt::Write for Version {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for b in s.bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
    }
}

/// The entity tag of a content-coded variant: `"x"` → `"x-br"`. Each coding of a
/// representation needs its own strong tag (RFC 9110 §8.8.3.3).
pub fn coded_etag(etag: &str, coding: &str) -> String {
    match etag.strip_suffix('"') {
        Some(open) => format!("{open}-{coding}\""),
        None => format!("{etag}-{coding}"),
    }
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
    fn version_etags_are_stable_quoted_and_separate_parts() {
        let a = Version::default().str("hello").etag();
        assert_eq!(a, Version::default().str("hello").etag());
        assert_ne!(a, Version::default().str("hello!").etag());
        assert_ne!(
            Version::default().str("ab").str("c"),
            Version::default().str("a").str("bc")
        );
        assert_eq!(
            Version::default().debug(&("x", 1)),
            Version::default().debug(&("x", 1))
        );
        // FNV-1a is fixed: the same inputs give the same tag in every process and build.
        assert_eq!(Version::default().value(), 0xcbf2_9ce4_8422_2325);
        assert!(a.starts_with("\"v") && a.ends_with('"') && a.len() == 19);
        assert_eq!(coded_etag("\"abc\"", "br"), "\"abc-br\"");
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
