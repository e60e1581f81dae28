//! A subscriber's email address: trimmed, within RFC 5321's limits, with a dotted
//! domain, and compared case-insensitively through its lowercase key.

use std::fmt;

/// An address that passed `parse`. `as_str` is what the visitor typed (trimmed);
/// `key` is the lowercase form every store indexes by, so `Ann@Example.com` and
/// `ann@example.COM` are one subscriber.
#[derive(Debug, Clone)]
pub struct SubscriberEmail {
    address: String,
    key: String,
}

/// Why an address was refused; the message is written for the visitor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriberEmailError {
    #[error("Please enter your email address.")]
    Empty,
    #[error("That address is too long (at most 254 characters).")]
    TooLong,
    #[error("That does not look like an email address: it needs one @, like name@example.com.")]
    MissingAt,
    #[error("The part before the @ must be 1 to 64 characters.")]
    BadLocalPart,
    #[error("The part after the @ must be a domain with a dot, like example.com.")]
    BadDomain,
    #[error("Email addresses cannot contain spaces, quotes or brackets.")]
    BadCharacter,
}

impl SubscriberEmail {
    pub const MAX_LEN: usize = 254;
    pub const MAX_LOCAL_LEN: usize = 64;

    pub fn parse(input: &str) -> Result<SubscriberEmail, SubscriberEmailError> {
        let address = input.trim();
        if address.is_empty() {
            return Err(SubscriberEmailError::Empty);
        }
        if address.len() > Self::MAX_LEN {
            return Err(SubscriberEmailError::TooLong);
        }
        // Quoted local parts and bracketed literals are legal in RFC 5321 but never seen
        // in a signup form; refusing them keeps the address safe in every header.
        if address.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '"' | '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '\\'
                )
        }) {
            return Err(SubscriberEmailError::BadCharacter);
        }
        let (local, domain) = address
            .rsplit_once('@')
            .ok_or(SubscriberEmailError::MissingAt)?;
        if local.contains('@') {
            return Err(SubscriberEmailError::MissingAt);
        }
        if local.is_empty()
            || local.len() > Self::MAX_LOCAL_LEN
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
        {
            return Err(SubscriberEmailError::BadLocalPart);
        }
        if !valid_domain(domain) {
            return Err(SubscriberEmailError::BadDomain);
        }
        Ok(SubscriberEmail {
            address: address.to_owned(),
            key: address.to_lowercase(),
        })
    }

    /// The address as the visitor typed it (trimmed): where mail is sent.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The normalised (lowercase) address: the one identity of a subscriber.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Labels of letters, digits and inner hyphens (any non-ASCII letter is allowed for
/// internationalised domains), at least two of them, each at most 63 bytes.
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

impl PartialEq for SubscriberEmail {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for SubscriberEmail {}

impl std::hash::Hash for SubscriberEmail {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Display for SubscriberEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_compared_case_insensitively() {
        let a = SubscriberEmail::parse("  Ann.Lee@Example.COM \n").unwrap();
        assert_eq!(a.as_str(), "Ann.Lee@Example.COM");
        assert_eq!(a.key(), "ann.lee@example.com");
        assert_eq!(a, SubscriberEmail::parse("ann.lee@example.com").unwrap());
        assert!(SubscriberEmail::parse("o'brien+news@mail.example.co.uk").is_ok());
        assert!(SubscriberEmail::parse("jürgen@bücher.example").is_ok());
    }

    #[test]
    fn rfc_5321_length_limits_hold() {
        let local64 = "a".repeat(64);
        assert!(SubscriberEmail::parse(&format!("{local64}@example.com")).is_ok());
        assert_eq!(
            SubscriberEmail::parse(&format!("{local64}a@example.com")),
            Err(SubscriberEmailError::BadLocalPart)
        );
        // 254 characters in all is the most a path can carry.
        let domain = format!(
            "{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(57)
        );
        let longest = format!("{local64}@{domain}");
        assert_eq!(longest.len(), 254);
        assert!(SubscriberEmail::parse(&longest).is_ok());
        assert_eq!(
            SubscriberEmail::parse(&format!("a{longest}")),
            Err(SubscriberEmailError::TooLong)
        );
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        use SubscriberEmailError::*;
        for (input, why) in [
            ("", Empty),
            ("   ", Empty),
            ("ann.example.com", MissingAt),
            ("ann@@example.com", MissingAt),
            ("a@b@example.com", MissingAt),
            ("@example.com", BadLocalPart),
            (".ann@example.com", BadLocalPart),
            ("an..n@example.com", BadLocalPart),
            ("ann@localhost", BadDomain),
            ("ann@example.", BadDomain),
            ("ann@.example.com", BadDomain),
            ("ann@-example.com", BadDomain),
            ("ann@exa_mple.com", BadDomain),
            ("ann@192.168.0.1", BadDomain),
            ("ann lee@example.com", BadCharacter),
            ("<ann@example.com>", BadCharacter),
            ("ann@example.com\r\nBcc: x@y.z", BadCharacter),
            ("\"ann\"@example.com", BadCharacter),
        ] {
            assert_eq!(SubscriberEmail::parse(input), Err(why), "{input:?}");
        }
    }
}
