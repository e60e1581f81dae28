//! A visitor's message from the contact form: the text, validated. (The name and the
//! reply address are the comment form's `AuthorName` and `CommentEmail`.)

use super::comment::{FieldError, Problem};

/// The message: 1..=`MAX_CHARS` characters of plain text (line breaks allowed, no other
/// control or bidirectional-override characters). Never stored; mailed to the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMessage(String);

impl ContactMessage {
    pub const MAX_CHARS: usize = 5_000;

    pub fn parse(s: &str) -> Result<ContactMessage, FieldError> {
        let s = s.trim().replace("\r\n", "\n");
        if s.is_empty() {
            return Err(FieldError(Problem::MessageMissing));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError(Problem::MessageTooLong));
        }
        let hidden = s.chars().any(|c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        });
        if hidden {
            return Err(FieldError(Problem::MessageHidden));
        }
        Ok(ContactMessage(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_trimmed_text_within_its_limit() {
        assert_eq!(
            ContactMessage::parse("  Hello\r\nthere  ")
                .unwrap()
                .as_str(),
            "Hello\nthere"
        );
        assert!(ContactMessage::parse(" \n ").is_err());
        assert!(ContactMessage::parse(&"é".repeat(ContactMessage::MAX_CHARS)).is_ok());
        assert!(ContactMessage::parse(&"é".repeat(ContactMessage::MAX_CHARS + 1)).is_err());
        assert!(ContactMessage::parse("a\u{0}b").is_err());
        assert!(ContactMessage::parse("a\u{202e}b").is_err());
    }
}
