//! The site's secret: a key ring that signs expiring tokens (confirm, unsubscribe,
//! moderation links) and hashes client addresses so no raw address is ever stored.
//!
//! Rotation. The ring holds the current key and, after a rotation, the previous one;
//! each has an id, and every token names the key that signed it (`<kid>.<payload>.<tag>`),
//! so tokens of either key verify and a rotation breaks no link already mailed. Keys
//! sign through subkeys derived with HKDF-SHA256, one per use (signing, keyed hashes),
//! never with the stored bytes themselves. Keyed hashes are stored (client and
//! commenter hashes), so they come from a hash root that a rotation keeps (`hash`).
//!
//! The stored value (Secrets Manager or a file) is one of:
//! - a plain string of at least 32 bytes: one key with id `k0` (what the stack
//!   generates first);
//! - `{"id":"k1","key":"…"}`: one key;
//! - `{"current":{"id":"k2","key":"…"},"previous":{"id":"k1","key":"…"},"hash":"…"}`.
//!
//! One JSON value rather than the AWSCURRENT/AWSPREVIOUS version stages: one
//! `GetSecretValue` at init reads both keys consistently, a first deployment has no
//! AWSPREVIOUS to fail on, and the hash root can ride along. [`Secret::rotated`] writes
//! the next value. Tokens without a key id (issued before key ids) still verify
//! against key `k0` under the scheme they were made with.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// The key id of a plain-string secret (and of pre-key-id tokens).
pub const FIRST_KEY_ID: &str = "k0";
const SIGNING_INFO: &[u8] = b"lambdapress/v1/token-signing";
const HASHING_INFO: &[u8] = b"lambdapress/v1/keyed-hash";

struct Key {
    id: String,
    /// The stored bytes, kept only to verify tokens made before key ids (`k0`).
    raw: Vec<u8>,
    signing: [u8; 32],
}

impl Key {
    fn new(id: &str, raw: Vec<u8>) -> Result<Key, SecretError> {
        if raw.len() < 32 {
            return Err(SecretError::TooShort);
        }
        let valid_id = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_id {
            return Err(SecretError::Format(format!(
                "key id {id:?} must be 1 to 32 letters, digits, - or _"
            )));
        }
        Ok(Key {
            id: id.to_owned(),
            signing: derive(&raw, SIGNING_INFO),
            raw,
        })
    }
}

fn derive(ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(None, ikm)
        .expand(info, &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    out
}

/// The key ring, never printed.
pub struct Secret {
    current: Key,
    previous: Option<Key>,
    hash_root: Vec<u8>,
    hashing: [u8; 32],
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        let key = |k: &Key| Key {
            id: k.id.clone(),
            raw: k.raw.clone(),
            signing: k.signing,
        };
        Secret {
            current: key(&self.current),
            previous: self.previous.as_ref().map(key),
            hash_root: self.hash_root.clone(),
            hashing: self.hashing,
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(current {}, ..)", self.current.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret must be at least 32 bytes")]
    TooShort,
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("the secret's value is not a key ring: {0}")]
    Format(String),
    #[error("the secret could not be read: {0}")]
    Unavailable(String),
}

/// Why a token was refused. Visitors see one plain message for all of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is damaged")]
    Malformed,
    #[error("the link was not issued by this site")]
    BadSignature,
    #[error("the link was signed with a key this site no longer holds")]
    UnknownKey,
    #[error("the link has expired")]
    Expired,
}

#[derive(Deserialize, Serialize)]
struct StoredKey {
    id: String,
    key: String,
}

#[derive(Deserialize, Serialize)]
#[serde(untagged)]
enum Stored {
    Ring {
        current: StoredKey,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<StoredKey>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hash: Option<String>,
    },
    One(StoredKey),
}

impl Secret {
    pub const ENV: &'static str = "LAMBDAPRESS_SECRET";

    /// One key (`k0`) from raw bytes: the local site's file, tests, the CLI.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Secret, SecretError> {
        let bytes = bytes.into();
        Ok(Secret::ring(
            Key::new(FIRST_KEY_ID, bytes.clone())?,
            None,
            bytes,
        ))
    }

    fn ring(current: Key, previous: Option<Key>, hash_root: Vec<u8>) -> Secret {
        Secret {
            hashing: derive(&hash_root, HASHING_INFO),
            hash_root,
            current,
            previous,
        }
    }

    /// From a stored value in one of the module's formats.
    pub fn parse(value: &str) -> Result<Secret, SecretError> {
        if !value.trim_start().starts_with('{') {
            return Secret::new(value.as_bytes().to_vec());
        }
        let stored: Stored =
            serde_json::from_str(value).map_err(|e| SecretError::Format(e.to_string()))?;
        let key = |k: StoredKey| Key::new(&k.id, k.key.into_bytes());
        match stored {
            Stored::One(one) => {
                let root = one.key.clone().into_bytes();
                Ok(Secret::ring(key(one)?, None, root))
            }
            Stored::Ring {
                current,
                previous,
                hash,
            } => {
                let root = hash.unwrap_or_else(|| current.key.clone()).into_bytes();
                if root.len() < 32 {
                    return Err(SecretError::TooShort);
                }
                let current = key(current)?;
                let previous = previous.map(key).transpose()?;
                if previous.as_ref().is_some_and(|p| p.id == current.id) {
                    return Err(SecretError::Format(
                        "the previous key must have its own id".into(),
                    ));
                }
                Ok(Secret::ring(current, previous, root))
            }
        }
    }

    /// The value after a rotation to `new_key` (id `new_id`): the current key becomes
    /// the previous one, the hash root stays, so no link or stored hash breaks.
    pub fn rotated(&self, new_id: &str, new_key: &str) -> Result<String, SecretError> {
        let text = |b: &[u8]| {
            String::from_utf8(b.to_vec())
                .map_err(|_| SecretError::Format("a stored key is not UTF-8".into()))
        };
        Key::new(new_id, new_key.as_bytes().to_vec())?;
        if new_id == self.current.id {
            return Err(SecretError::Format("the new key needs a new id".into()));
        }
        let stored = Stored::Ring {
            current: StoredKey {
                id: new_id.to_owned(),
                key: new_key.to_owned(),
            },
            previous: Some(StoredKey {
                id: self.current.id.clone(),
                key: text(&self.current.raw)?,
            }),
            hash: Some(text(&self.hash_root)?),
        };
        Ok(serde_json::to_string(&stored).expect("plain strings serialize"))
    }

    /// From `LAMBDAPRESS_SECRET` (the local site and the CLI; never the deployed stack,
    /// whose functions read Secrets Manager at init).
    pub fn from_env() -> Result<Secret, SecretError> {
        let value = std::env::var(Self::ENV).map_err(|_| SecretError::Missing(Self::ENV))?;
        Secret::parse(&value)
    }

    /// The id of the key that signs new tokens.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    fn key(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|k| k.id == id)
    }

    fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// A token binding `subject` to `purpose` until `expires_at`, signed by the current
    /// key and naming it. URL-safe.
    pub fn sign(&self, purpose: &str, subject: &str, expires_at: OffsetDateTime) -> String {
        let expiry = expires_at.unix_timestamp().to_string();
        let payload = format!("{subject}\n{expiry}");
        let key = &self.current;
        let tag = Self::mac(
            &key.signing,
            &[key.id.as_bytes(), purpose.as_bytes(), payload.as_bytes()],
        )
        .finalize()
        .into_bytes();
        format!(
            "{}.{}.{}",
            key.id,
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The subject of a token signed for `purpose` by the current or the previous key,
    /// if it is genuine and unexpired.
    pub fn verify(
        &self,
        purpose: &str,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<String, TokenError> {
        let mut parts = token.split('.');
        let (kid, payload, tag) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(kid), Some(payload), Some(tag), None) => (Some(kid), payload, tag),
            (Some(payload), Some(tag), None, None) => (None, payload, tag),
            _ => return Err(TokenError::Malformed),
        };
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Malformed)?;
        let mac = match kid {
            Some(kid) => {
                let key = self.key(kid).ok_or(TokenError::UnknownKey)?;
                Self::mac(
                    &key.signing,
                    &[kid.as_bytes(), purpose.as_bytes(), &payload],
                )
            }
            // Before key ids: HMAC with the stored bytes of the first key.
            None => {
                let key = self.key(FIRST_KEY_ID).ok_or(TokenError::UnknownKey)?;
                Self::mac(&key.raw, &[purpose.as_bytes(), &payload])
            }
        };
        mac.verify_slice(&tag)
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
    /// to the same key, across rotations too, and the address cannot be recovered.
    pub fn keyed_hash(&self, purpose: &str, value: &str) -> String {
        hex::encode(
            Self::mac(&self.hashing, &[purpose.as_bytes(), value.as_bytes()])
                .finalize()
                .into_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const K1: &str = "first-key-first-key-first-key-first-key";
    const K2: &str = "second-key-second-key-second-key-second";

    fn secret() -> Secret {
        Secret::new(*b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn tokens_verify_for_their_purpose_until_they_expire() {
        let now = datetime!(2024-03-12 09:00 UTC);
        let token = secret().sign("confirm", "a@example.com", now + time::Duration::hours(48));
        assert!(token.starts_with("k0."), "{token}");
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
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload =
            URL_SAFE_NO_PAD.encode(format!("b@example.com\n{}", now.unix_timestamp() + 3600));
        assert_eq!(
            secret().verify("confirm", &format!("k0.{forged_payload}.{}", parts[2]), now),
            Err(TokenError::BadSignature)
        );
        // The key id is signed too: the same tag under another id is refused.
        assert_eq!(
            secret().verify("confirm", &format!("k9.{}.{}", parts[1], parts[2]), now),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(
            secret().verify("confirm", parts[1], now),
            Err(TokenError::Malformed)
        );
        for bad in ["!!.??", "a.b.c.d", "", "k0..", "k0.!.?"] {
            assert!(secret().verify("confirm", bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_rotation_keeps_every_link_and_every_stored_hash() {
        let now = datetime!(2024-03-12 09:00 UTC);
        let later = now + time::Duration::days(1);
        let old = Secret::parse(&format!(r#"{{"id":"k1","key":"{K1}"}}"#)).unwrap();
        let old_token = old.sign("unsubscribe", "a@example.com", later);
        let new = Secret::parse(&old.rotated("k2", K2).unwrap()).unwrap();
        assert_eq!(new.current_key_id(), "k2");
        assert_eq!(
            new.verify("unsubscribe", &old_token, now).unwrap(),
            "a@example.com"
        );
        let new_token = new.sign("unsubscribe", "a@example.com", later);
        assert!(new_token.starts_with("k2."));
        assert_eq!(
            old.verify("unsubscribe", &new_token, now),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(
            new.keyed_hash("client", "198.51.100.23"),
            old.keyed_hash("client", "198.51.100.23")
        );
        // A second rotation drops k1: its tokens now fail with a clear reason.
        let newer = Secret::parse(&new.rotated("k3", &K1.repeat(2)).unwrap()).unwrap();
        assert_eq!(
            newer.verify("unsubscribe", &old_token, now),
            Err(TokenError::UnknownKey)
        );
        assert!(newer.verify("unsubscribe", &new_token, now).is_ok());
        assert!(old.rotated("k1", K2).is_err(), "a new key needs a new id");
    }

    #[test]
    fn tokens_from_before_key_ids_verify_against_the_first_key() {
        let now = datetime!(2024-03-12 09:00 UTC);
        let raw = "0123456789abcdef0123456789abcdef";
        // Made the way tokens were made before key ids: HMAC with the raw secret.
        let payload = format!("a@example.com\n{}", now.unix_timestamp() + 60);
        let tag = Secret::mac(raw.as_bytes(), &[b"confirm", payload.as_bytes()])
            .finalize()
            .into_bytes();
        let legacy = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        );
        assert_eq!(
            secret().verify("confirm", &legacy, now).unwrap(),
            "a@example.com"
        );
        let rotated = Secret::parse(&secret().rotated("k1", K1).unwrap()).unwrap();
        assert_eq!(
            rotated.verify("confirm", &legacy, now).unwrap(),
            "a@example.com"
        );
        let unrelated = Secret::parse(&format!(r#"{{"id":"k5","key":"{K2}"}}"#)).unwrap();
        assert_eq!(
            unrelated.verify("confirm", &legacy, now),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn bad_stored_values_are_refused_with_a_reason() {
        for bad in [
            r#"{"id":"k1","key":"short"}"#,
            r#"{"id":"bad id","key":"0123456789abcdef0123456789abcdef"}"#,
            r#"{"current":{"id":"k1","key":"0123456789abcdef0123456789abcdef"},"previous":{"id":"k1","key":"0123456789abcdef0123456789abcdef"}}"#,
            r#"{"nothing":1}"#,
            "{not json",
            "short",
        ] {
            assert!(Secret::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", secret()).contains("0123"));
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
        // The hash key is a derived subkey, not the token key.
        assert_ne!(s.hashing, s.current.signing);
    }
}
