//! Embedded mailer: each message becomes an `.eml` file in an outbox folder, readable
//! by any mail client, and its subject and file are logged for the developer.

use crate::ports::{Mail, MailError, Mailer};
use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
    counter: AtomicU64,
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> OutboxMailer {
        OutboxMailer {
            dir: dir.into(),
            from: from.into(),
            counter: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

/// RFC 2047 encoded-word for a header value that is not plain ASCII.
fn header_value(value: &str) -> String {
    let clean: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    if clean.is_ascii() {
        clean
    } else {
        format!("=?UTF-8?B?{}?=", base64(clean.as_bytes()))
    }
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Wraps base64 at 76 columns, as MIME requires.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

impl OutboxMailer {
    /// The message as RFC 5322 text with a MIME body.
    pub fn format(&self, mail: &Mail, message_id: &str) -> String {
        let date = crate::domain::time_fmt::http_date(time::OffsetDateTime::now_utc())
            .replace(" GMT", " +0000");
        let mut out = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n",
            header_value(&self.from),
            header_value(&mail.to),
            header_value(&mail.subject),
        );
        for (name, value) in &mail.headers {
            out.push_str(&format!(
                "{}: {}\r\n",
                header_value(name),
                header_value(value)
            ));
        }
        let text_part = format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64_lines(mail.text.as_bytes())
        );
        match &mail.html {
            None => out.push_str(&text_part),
            Some(html) => {
                let boundary = format!("lambdapress-{message_id}");
                out.push_str(&format!(
                    "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
                ));
                out.push_str(&format!("--{boundary}\r\n{text_part}"));
                out.push_str(&format!(
                    "--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                    base64_lines(html.as_bytes())
                ));
                out.push_str(&format!("--{boundary}--\r\n"));
            }
        }
        out
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let message_id = format!("{stamp}.{n}@lambdapress.local");
        let path = self.dir.join(format!("{stamp}-{n}.eml"));
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(MailError::new)?;
        tokio::fs::write(&path, self.format(mail, &message_id))
            .await
            .map_err(MailError::new)?;
        tracing::info!(to = %mail.to, subject = %mail.subject, file = %path.display(), "mail written to the outbox");
        Ok(message_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn headers_cannot_be_injected_and_non_ascii_is_encoded() {
        assert_eq!(header_value("Hi\r\nBcc: x@y.z"), "HiBcc: x@y.z");
        assert_eq!(header_value("Café"), "=?UTF-8?B?Q2Fmw6k=?=");
    }
}
