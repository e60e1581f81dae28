//! `Slug` and `Tag`: the only way a path segment reaches storage or a URL.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A URL slug: lowercase letters of any script and digits in hyphen-separated runs,
/// in Unicode NFC, 1..=`Slug::MAX_LEN` bytes of UTF-8 (`muscle-knots`, `cómo-dormir`,
/// `niños`, `ύπνος`, `睡眠`). A letter counts as lowercase when lowercasing leaves it as it
/// is, so uncased scripts (CJK, Arabic, Hebrew…) are in; a combining mark may follow a
/// letter or digit (the virama of `हिन्दी`). Nothing else gets in: no punctuation, space,
/// `.`, `/`, `%`, control or format character, uppercase or titlecase letter, and no
/// decomposed spelling (`n` + U+0303 is refused; `from_name` composes it to `ñ`), so one
/// word has one slug, one storage key and one URL.
///
/// The slug is stored as it is (`posts/cómo-dormir.md`, DynamoDB keys); in a URL it is
/// always written by `href_segment` (percent-encoded) and read back by `from_href_segment`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug is at most {} bytes of UTF-8", Slug::MAX_LEN)]
    TooLong,
    #[error("a slug uses only lowercase letters, digits and single hyphens between them")]
    BadCharacters,
    #[error("a slug must be in Unicode NFC (composed) form")]
    NotNormalized,
    #[error("a slug in a URL must be percent-encoded UTF-8 without an encoded `/`")]
    BadEncoding,
}

/// What `href_segment` escapes: every byte but ASCII letters, digits and `-` (so an ASCII
/// slug is written exactly as before, and a UTF-8 one as `c%C3%B3mo-dormir`).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-');

/// A letter or digit that is its own lowercase (CJK and other uncased letters are).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !c.is_alphanumeric() {
        return false;
    }
    let mut lower = c.to_lowercase();
    lower.next() == Some(c) && lower.next().is_none() && !c.is_uppercase()
}

/// A combining mark (Mn, Mc, Me): part of a word after a letter, never on its own.
fn is_mark(c: char) -> bool {
    use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};
    !c.is_ascii()
        && GeneralCategoryGroup::Mark
            .contains(icu_properties::CodePointMapData::<GeneralCategory>::new().get(c))
}

fn nfc() -> icu_normalizer::ComposingNormalizerBorrowed<'static> {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfc()
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn truncate_on_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Slug {
    /// Bytes of UTF-8 (100 ASCII letters, 50 accented, 33 CJK). `posts/<slug>.md` and
    /// `posts/<slug>/comments.xml` stay far below S3's 1,024-byte keys, and
    /// `POST#<slug>`/`TAG#<slug>` keys below DynamoDB's 1,024-byte sort keys; percent-encoded
    /// it is at most 300 characters of a URL.
    pub const MAX_LEN: usize = 100;

    pub fn parse(s: &str) -> Result<Slug, SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(SlugError::TooLong);
        }
        let plain = s.split('-').all(|run| {
            let mut chars = run.chars();
            chars.next().is_some_and(is_word_char) && chars.all(|c| is_word_char(c) || is_mark(c))
        });
        if !plain {
            return Err(SlugError::BadCharacters);
        }
        if !s.is_ascii() && !nfc().is_normalized(s) {
            return Err(SlugError::NotNormalized);
        }
        Ok(Slug(s.to_owned()))
    }

    /// A slug as a URL path segment spells it: percent-encoded (upper or lower case hex)
    /// or raw UTF-8, as API Gateway may hand either over. Not UTF-8 once decoded, or an
    /// encoded `/`, is `BadEncoding`; the rest is `parse`d.
    pub fn from_href_segment(segment: &str) -> Result<Slug, SlugError> {
        let decoded = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .map_err(|_| SlugError::BadEncoding)?;
        if decoded.contains('/') {
            return Err(SlugError::BadEncoding);
        }
        Slug::parse(&decoded)
    }

    /// The slug as one URL path segment, percent-encoded: the only way a slug reaches an
    /// href, a feed link, a sitemap `loc` or a redirect. ASCII slugs are unchanged.
    pub fn href_segment(&self) -> impl fmt::Display + '_ {
        percent_encoding::utf8_percent_encode(&self.0, SEGMENT)
    }

    /// Derives a slug from a name or title ("Massage & Back Pain" -> "massage-back-pain",
    /// "Salud Mental" -> "salud-mental", "Niños" -> "niños"): composed (NFC), lowercased,
    /// every run of anything but letters, digits and their marks one hyphen, cut to
    /// `MAX_LEN` bytes on a character boundary. Text with no letter or digit has no slug.
    pub fn from_name(text: &str) -> Result<Slug, SlugError> {
        let composed = nfc().normalize(text);
        let mut out = String::with_capacity(composed.len().min(4 * Self::MAX_LEN));
        for c in composed.chars().flat_map(char::to_lowercase) {
            if out.len() > 4 * Self::MAX_LEN {
                break;
            }
            let in_word = !out.is_empty() && !out.ends_with('-');
            if is_word_char(c) || (in_word && is_mark(c)) {
                out.push(c);
            } else if in_word {
                out.push('-');
            }
        }
        // Lowercasing can decompose (`İ` is `i` + U+0307): compose again, then cut.
        let composed = nfc().normalize(&out);
        let cut = truncate_on_char(&composed, Self::MAX_LEN).trim_end_matches('-');
        Slug::parse(cut)
    }

    /// An ASCII-only slug of free text, for ids inside a page (heading anchors, which
    /// fold accents first): letters outside ASCII are dropped, so a text made only of
    /// them has none. Tags, posts and imported slugs use `from_name`.
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
        let slug = Slug::from_name(name)?;
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
            "", "..", "a/b", "a%2Fb", "A", "a--b", "-a", "a-", "a.md", "a b", "a_b", "a+b", "a?b",
            "a#b",
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

    #[test]
    fn lowercase_letters_of_any_script_and_digits_are_slugs() {
        for good in [
            "niños",
            "cómo-dormir",
            "über-uns",
            "straße",
            "ύπνος-και-υγεία",
            "сон",
            "睡眠",
            "日本語-2024",
            "수면",
            "النوم",
            "हिन्दी",
            "ñ",
            "a1-ü2",
        ] {
            let slug = Slug::parse(good).unwrap_or_else(|e| panic!("{good:?}: {e}"));
            assert_eq!(slug.as_str(), good);
        }
    }

    #[test]
    fn uppercase_punctuation_escapes_and_decomposed_forms_are_refused() {
        for bad in [
            "Niños",
            "NIÑOS",
            "Ύπνος",
            "Сон",
            "ǅ",
            "a%c3%b1",
            "%",
            "a/ñ",
            "ñ.md",
            "¿qué",
            "qué?",
            "a–b",
            "a—b",
            "a·b",
            "«a»",
            "a\u{200b}b",
            "a\u{200d}b",
            "a\u{202e}b",
            "a\u{a0}b",
            "\u{303}a",
            "a-\u{301}b",
            "a\u{0}",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
        // `n` + combining tilde: the same word as `ñ`, refused so it has one key.
        assert_eq!(Slug::parse("nin\u{303}os"), Err(SlugError::NotNormalized));
        assert_eq!(Slug::from_name("Nin\u{303}os").unwrap().as_str(), "niños");
        // The length is in bytes: 50 two-byte letters fit, 51 do not; nothing splits one.
        assert!(Slug::parse(&"ñ".repeat(50)).is_ok());
        assert_eq!(Slug::parse(&"ñ".repeat(51)), Err(SlugError::TooLong));
        let cut = Slug::from_name(&"睡".repeat(40)).unwrap();
        assert_eq!(cut.as_str(), "睡".repeat(33));
    }

    #[test]
    fn tag_names_in_any_language_derive_their_slug() {
        for (name, slug) in [
            ("Niños", "niños"),
            ("Salud Mental", "salud-mental"),
            ("  Über uns ", "über-uns"),
            ("Ύπνος & Υγεία", "ύπνος-υγεία"),
            ("睡眠", "睡眠"),
            ("¿Qué es?", "qué-es"),
            ("Children's Health", "children-s-health"),
            ("Massage", "massage"),
        ] {
            assert_eq!(Tag::parse(name).unwrap().slug.as_str(), slug, "{name:?}");
        }
        assert_eq!(Tag::parse("Niños").unwrap().name, "Niños");
        assert!(Tag::parse("¿?¡!").is_err());
    }

    #[test]
    fn slugs_are_percent_encoded_in_urls_and_read_back() {
        let slug = Slug::parse("cómo-dormir").unwrap();
        assert_eq!(slug.href_segment().to_string(), "c%C3%B3mo-dormir");
        assert_eq!(
            Slug::parse("muscle-knots")
                .unwrap()
                .href_segment()
                .to_string(),
            "muscle-knots"
        );
        for spelled in ["c%C3%B3mo-dormir", "c%c3%b3mo-dormir", "cómo-dormir"] {
            assert_eq!(
                Slug::from_href_segment(spelled).as_ref(),
                Ok(&slug),
                "{spelled}"
            );
        }
        assert_eq!(Slug::from_href_segment("%C3"), Err(SlugError::BadEncoding));
        assert_eq!(
            Slug::from_href_segment("%FF%FE"),
            Err(SlugError::BadEncoding)
        );
        assert_eq!(
            Slug::from_href_segment("a%2Fb"),
            Err(SlugError::BadEncoding)
        );
        assert!(Slug::from_href_segment("a%2e%2e").is_err());
        assert!(Slug::from_href_segment("C%C3%B3mo").is_err());
        for s in ["niños", "睡眠", "ύπνος", "हिन्दी"] {
            let slug = Slug::parse(s).unwrap();
            let href = slug.href_segment().to_string();
            assert!(href
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'%' || b == b'-'));
            assert_eq!(Slug::from_href_segment(&href), Ok(slug));
        }
    }
}
