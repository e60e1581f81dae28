//! `Slug` and `Tag`: the only way a path segment reaches storage or a URL.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A plain URL slug: lowercase ASCII letters and digits in hyphen-separated runs,
/// 1..=`Slug::MAX_LEN` bytes. Nothing else (no `.`, `/`, `%`, uppercase) gets in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug is at most {} characters", Slug::MAX_LEN)]
    TooLong,
    #[error("a slug uses only lowercase letters, digits and single hyphens between them")]
    BadCharacters,
}

impl Slug {
    pub const MAX_LEN: usize = 100;

    pub fn parse(s: &str) -> Result<Slug, SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let plain = s.split('-').all(|run| {
            !run.is_empty()
                && run
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !plain {
            return Err(SlugError::BadCharacters);
        }
        Ok(Slug(s.to_owned()))
    }

    /// Derives a slug from free text ("Massage & Back Pain" -> "massage-back-pain").
    /// Letters outside ASCII are dropped, so a name made only of them has no slug.
    pub fn from_text(text: &str) -> Result<Slug, SlugError> {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                if out.len() == Self::MAX_LEN {
                    break;
                }
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        while out.ends_with('-') {
            out.pop();
        }
        Slug::parse(&out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Slug::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

/// A post tag: the name as the author wrote it, and the slug its page lives at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub name: String,
    pub slug: Slug,
}

impl Tag {
    pub const MAX_NAME_LEN: usize = 60;

    pub fn parse(name: &str) -> Result<Tag, SlugError> {
        let name = name.trim();
        if name.chars().count() > Self::MAX_NAME_LEN {
            return Err(SlugError::TooLong);
        }
        let slug = Slug::from_text(name)?;
        Ok(Tag {
            name: name.to_owned(),
            slug,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_slugs_parse() {
        assert_eq!(
            Slug::parse("what-are-muscle-knots").unwrap().as_str(),
            "what-are-muscle-knots"
        );
        assert!(Slug::parse("a1-b2").is_ok());
    }

    #[test]
    fn anything_that_could_escape_a_path_is_refused() {
        for bad in [
            "", "..", "a/b", "a%2Fb", "A", "a--b", "-a", "a-", "a.md", "a b", "ü",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Slug::parse(&"a".repeat(101)), Err(SlugError::TooLong));
        assert!(Slug::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn slugs_derive_from_tag_names() {
        let tag = Tag::parse(" Massage & Back Pain ").unwrap();
        assert_eq!(tag.name, "Massage & Back Pain");
        assert_eq!(tag.slug.as_str(), "massage-back-pain");
        assert!(Tag::parse("???").is_err());
    }
}
