//! Mail port: sending one message. SES v2 in AWS, an outbox folder of `.eml` files locally.

use async_trait::async_trait;

/// A message to one recipient. Plain text and HTML bodies; extra headers such as
/// `List-Unsubscribe` travel with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Extra headers as (name, value), e.g. `List-Unsubscribe-Post`.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("mail not sent: {detail}")]
pub struct MailError {
    pub detail: String,
}

impl MailError {
    pub fn new(detail: impl std::fmt::Display) -> MailError {
        MailError {
            detail: detail.to_string(),
        }
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message; returns the transport's message id.
    async fn send(&self, mail: &Mail) -> Result<String, MailError>;
}
