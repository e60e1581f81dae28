//! AWS mailer: SES v2 `SendEmail` with a simple (subject, text, HTML) message.

use crate::ports::{Mail, MailError, Mailer};
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};

pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesMailer {
    /// `from` is a verified SES identity (the stack's `SenderEmail`).
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> SesMailer {
        SesMailer {
            client,
            from: from.into(),
        }
    }
}

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(MailError::new)
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let mut body = Body::builder().text(content(&mail.text)?);
        if let Some(html) = &mail.html {
            body = body.html(content(html)?);
        }
        let mut message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(body.build());
        for (name, value) in &mail.headers {
            message = message.headers(
                MessageHeader::builder()
                    .name(name)
                    .value(value)
                    .build()
                    .map_err(MailError::new)?,
            );
        }
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message.build()).build())
            .send()
            .await
            .map_err(|e| MailError::new(aws_sdk_sesv2::error::DisplayErrorContext(e)))?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}
