//! A visitor's comment on a post: validated fields, its moderation status, and the id
//! it is stored and linked under.

use super::slug::Slug;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// A comment's id: 16 lowercase hex digits from the system's random source. Safe in a
/// URL, an HTML id (`comment-<id>`) and a storage key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommentId(String);

impl CommentId {
    pub const LEN: usize = 16;

    pub fn generate() -> CommentId {
        let mut bytes = [0u8; Self::LEN / 2];
        getrandom::getrandom(&mut bytes).expect("the system random source is available");
        CommentId(hex::encode(bytes))
    }

    pub fn parse(s: &str) -> Result<CommentId, FieldError> {
        if s.len() == Self::LEN
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(CommentId(s.to_owned()))
        } else {
            Err(FieldError::new(Problem::NotAComment))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CommentId {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CommentId::parse(&s)
    }
}

impl From<CommentId> for String {
    fn from(id: CommentId) -> String {
        id.0
    }
}

/// Where a comment stands. Only `Approved` comments are ever shown or fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    Pending,
    Approved,
    Spam,
}

impl CommentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Pending => "pending",
            CommentStatus::Approved => "approved",
            CommentStatus::Spam => "spam",
        }
    }

    pub fn parse(s: &str) -> Option<CommentStatus> {
        match s {
            "pending" => Some(CommentStatus::Pending),
            "approved" => Some(CommentStatus::Approved),
            "spam" => Some(CommentStatus::Spam),
            _ => None,
        }
    }
}

impl fmt::Display for CommentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a field was refused; `text` is the sentence shown beside it, in the site's
/// language (`Display`: in English, for logs and the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.text(crate::i18n::messages(crate::i18n::Language::En)))]
pub struct FieldError(pub Problem);

/// Each way a form field can be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NameMissing,
    NameTooLong,
    NameNotPlain,
    EmailMissing,
    EmailTooLong,
    EmailInvalid,
    WebsiteTooLong,
    WebsiteInvalid,
    CommentMissing,
    CommentTooLong,
    CommentHidden,
    MessageMissing,
    MessageTooLong,
    MessageHidden,
    NotAComment,
}

impl FieldError {
    fn new(problem: Problem) -> FieldError {
        FieldError(problem)
    }

    /// The sentence beside the field, in `t`'s language.
    pub fn text(&self, t: &crate::i18n::Messages) -> String {
        match self.0 {
            Problem::NameMissing => t.field_name_missing.clone(),
            Problem::NameTooLong => t.field_name_too_long(AuthorName::MAX_CHARS),
            Problem::NameNotPlain => t.field_name_not_plain.clone(),
            Problem::EmailMissing => t.field_email_missing.clone(),
            Problem::EmailTooLong => t.field_email_too_long(CommentEmail::MAX_CHARS),
            Problem::EmailInvalid => t.field_email_invalid.clone(),
            Problem::WebsiteTooLong => t.field_website_too_long(Website::MAX_CHARS),
            Problem::WebsiteInvalid => t.field_website_invalid.clone(),
            Problem::CommentMissing => t.field_comment_missing.clone(),
            Problem::CommentTooLong => t.field_comment_too_long(CommentBody::MAX_CHARS),
            Problem::CommentHidden => t.field_comment_hidden.clone(),
            Problem::MessageMissing => t.field_message_missing.clone(),
            Problem::MessageTooLong => {
                t.field_message_too_long(super::contact::ContactMessage::MAX_CHARS)
            }
            Problem::MessageHidden => t.field_message_hidden.clone(),
            Problem::NotAComment => t.field_not_a_comment.clone(),
        }
    }
}

fn has_control(s: &str, allow_newlines: bool) -> bool {
    s.chars().any(|c| {
        (c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// The name a comment is shown under: 1..=245 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AuthorName(String);

impl AuthorName {
    pub const MAX_CHARS: usize = 245;

    pub fn parse(s: &str) -> Result<AuthorName, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::new(Problem::NameMissing));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Problem::NameTooLong));
        }
        if has_control(s, false) {
            return Err(FieldError::new(Problem::NameNotPlain));
        }
        Ok(AuthorName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The commenter's email: required, never shown, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommentEmail(String);

impl CommentEmail {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<CommentEmail, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::new(Problem::EmailMissing));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Problem::EmailTooLong));
        }
        let valid = match s.rsplit_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && domain
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                    && local.bytes().all(|b| {
                        b.is_ascii_graphic()
                            && !matches!(
                                b,
                                b'<' | b'>'
                                    | b'"'
                                    | b'('
                                    | b')'
                                    | b','
                                    | b';'
                                    | b':'
                                    | b'\\'
                                    | b'['
                                    | b']'
                                    | b'@'
                            )
                    })
            }
            None => false,
        };
        if !valid {
            return Err(FieldError::new(Problem::EmailInvalid));
        }
        Ok(CommentEmail(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lowercased, so `A@x.com` and `a@x.com` are one commenter for the rules.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The commenter's website: optional, http or https only, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Website(String);

impl Website {
    pub const MAX_CHARS: usize = 200;

    /// `Ok(None)` for an empty field.
    pub fn parse_optional(s: &str) -> Result<Option<Website>, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        Website::parse(s).map(Some)
    }

    pub fn parse(s: &str) -> Result<Website, FieldError> {
        let s = s.trim();
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Problem::WebsiteTooLong));
        }
        let lower = s.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        let ok = host.is_some_and(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'))
        }) && s.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\'' | b'`' | b'\\')
        });
        if !ok {
            return Err(FieldError::new(Problem::WebsiteInvalid));
        }
        Ok(Website(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The comment's Markdown source: 1..=10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommentBody(String);

impl CommentBody {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(s: &str) -> Result<CommentBody, FieldError> {
        let s = s.trim().replace("\r\n", "\n");
        if s.is_empty() {
            return Err(FieldError::new(Problem::CommentMissing));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(Problem::CommentTooLong));
        }
        if has_control(&s, true) {
            return Err(FieldError::new(Problem::CommentHidden));
        }
        Ok(CommentBody(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($t:ident => $parse:expr),*) => {$(
        impl TryFrom<String> for $t {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

string_conversions!(
    AuthorName => AuthorName::parse,
    CommentEmail => CommentEmail::parse,
    Website => Website::parse,
    CommentBody => CommentBody::parse
);

/// A stored comment. `body_html` is the body rendered and sanitized when it was
/// written; `body` keeps the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    pub post: Slug,
    pub parent: Option<CommentId>,
    pub author: AuthorName,
    pub email: CommentEmail,
    pub website: Option<Website>,
    pub body: CommentBody,
    pub body_html: String,
    pub status: CommentStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Keyed hash of the client address (never the address itself).
    pub client_hash: String,
    /// Keyed hash of (post, email, body): two comments with the same one are a repeat.
    pub fingerprint: String,
}

impl Comment {
    /// Sorts comments in time order, ties broken by id: `<utc time>#<id>`.
    pub fn sort_key(&self) -> String {
        format!(
            "{}#{}",
            crate::domain::time_fmt::sort_key_millis(self.created_at),
            self.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_nothing_else_parses() {
        let a = CommentId::generate();
        assert_eq!(a.as_str().len(), 16);
        assert_ne!(a, CommentId::generate());
        assert_eq!(CommentId::parse(a.as_str()).unwrap(), a);
        for bad in [
            "",
            "0123456789abcdeF",
            "0123456789abcde",
            "../../etc/passwd",
        ] {
            assert!(CommentId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fields_keep_to_their_limits() {
        assert!(AuthorName::parse(&"n".repeat(245)).is_ok());
        assert!(AuthorName::parse(&"n".repeat(246)).is_err());
        assert!(AuthorName::parse("  ").is_err());
        assert!(AuthorName::parse("a\u{0}b").is_err());
        assert!(CommentEmail::parse(&format!("{}@example.com", "a".repeat(88))).is_ok());
        assert!(CommentEmail::parse(&format!("{}@example.com", "a".repeat(89))).is_err());
        for bad in ["", "a", "a@b", "a@@b.c", "<a>@b.c", "a@b..c", "a b@c.d"] {
            assert!(CommentEmail::parse(bad).is_err(), "{bad:?}");
        }
        assert!(CommentBody::parse(&"x".repeat(10_000)).is_ok());
        assert!(CommentBody::parse(&"x".repeat(10_001)).is_err());
        assert!(CommentBody::parse(" \n ").is_err());
    }

    #[test]
    fn websites_are_http_or_https_only() {
        assert_eq!(Website::parse_optional("").unwrap(), None);
        assert!(Website::parse("https://example.com/a?b=1").is_ok());
        assert!(Website::parse("HTTP://EXAMPLE.COM").is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "example.com",
            "https://",
            "https://a\"onmouseover=x",
            "//example.com",
            "ftp://example.com",
        ] {
            assert!(Website::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Website::parse(&format!("https://a.com/{}", "x".repeat(190))).is_err());
    }
}
