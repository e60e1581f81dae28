//! The site's secret: signs expiring tokens (confirm, unsubscribe, moderation links)
//! and hashes client addresses so no raw address is ever stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// At least 32 bytes of key material, never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret must be at least 32 bytes")]
    TooShort,
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
}

/// Why a token was refused. Visitors see one plain message for all of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is damaged")]
    Malformed,
    #[error("the link was not issued by this site")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

impl Secret {
    pub const ENV: &'static str = "LAMBDAPRESS_SECRET";

    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Secret, SecretError> {
        let bytes = bytes.into();
        if bytes.len() < 32 {
            return Err(SecretError::TooShort);
        }
        Ok(Secret(bytes))
    }

    /// From `LAMBDAPRESS_SECRET` (the deployed stack fills it from its generated secret).
    pub fn from_env() -> Result<Secret, SecretError> {
        let value = std::env::var(Self::ENV).map_err(|_| SecretError::Missing(Self::ENV))?;
        Secret::new(value.into_bytes())
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// A token binding `subject` to `purpose` until `expires_at`. URL-safe.
    pub fn sign(&self, purpose: &str, subject: &str, expires_at: OffsetDateTime) -> String {
        let expiry = expires_at.unix_timestamp().to_string();
        let payload = format!("{subject}\n{expiry}");
        let tag = self
            .mac(&[purpose.as_bytes(), payload.as_bytes()])
            .finalize()
            .into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The subject of a token signed for `purpose`, if it is genuine and unexpired.
    pub fn verify(
        &self,
        purpose: &str,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<String, TokenError> {
        let (payload, tag) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(&[purpose.as_bytes(), &payload])
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = String::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
        let (subject, expiry) = payload.rsplit_once('\n').ok_or(TokenError::Malformed)?;
        let expiry: i64 = expiry.parse().map_err(|_| TokenError::Malformed)?;
        if now.unix_timestamp() >= expiry {
            return Err(TokenError::Expired);
        }
        Ok(subject.to_owned())
    }

    /// A stable keyed hash (hex) of `value` for `purpose`: the same address always maps
    /// to the same key, and the address cannot be recovered from it.
    pub fn keyed_hash(&self, purpose: &str, value: &str) -> String {
        hex::encode(
            self.mac(&[purpose.as_bytes(), value.as_bytes()])
                .finalize()
                .into_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn secret() -> Secret {
        Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn tokens_verify_for_their_purpose_until_they_expire() {
        let now = datetime!(2024-03-12 09:00 UTC);
        let token = secret().sign("confirm", "a@example.com", now + time::Duration::hours(48));
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
        assert_eq!(
            secret().verify("confirm", &token, now).unwrap(),
            "a@example.com"
        );
        assert_eq!(
            secret().verify("unsubscribe", &token, now),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            secret().verify("confirm", &token, now + time::Duration::hours(48)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_and_damaged_tokens_are_refused() {
        let now = datetime!(2024-03-12 09:00 UTC);
        let token = secret().sign("confirm", "a@example.com", now + time::Duration::hours(1));
        let other = Secret::new(vec![7u8; 32]).unwrap();
        assert_eq!(
            other.verify("confirm", &token, now),
            Err(TokenError::BadSignature)
        );
        let (payload, tag) = token.split_once('.').unwrap();
        let forged_payload =
            URL_SAFE_NO_PAD.encode(format!("b@example.com\n{}", now.unix_timestamp() + 3600));
        assert_eq!(
            secret().verify("confirm", &format!("{forged_payload}.{tag}"), now),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            secret().verify("confirm", payload, now),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            secret().verify("confirm", "!!.??", now),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn keyed_hashes_are_stable_and_purpose_bound() {
        let s = secret();
        assert_eq!(
            s.keyed_hash("client", "198.51.100.23"),
            s.keyed_hash("client", "198.51.100.23")
        );
        assert_ne!(
            s.keyed_hash("client", "198.51.100.23"),
            s.keyed_hash("email", "198.51.100.23")
        );
        assert!(!s.keyed_hash("client", "198.51.100.23").contains("198"));
        assert!(Secret::new(vec![0u8; 31]).is_err());
    }
}
