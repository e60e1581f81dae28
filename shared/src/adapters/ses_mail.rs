//! AWS mailer: SES v2 `SendEmail` with `Simple` content, extra headers included.

use crate::ports::{Mail, MailError, Mailer};
use async_trait::async_trait;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};
use aws_sdk_sesv2::Client;

pub struct SesMailer {
    client: Client,
    /// The verified sender, e.g. `Cindy Albon Acupuncture <news@clinic.example>`.
    from: String,
    /// The SES configuration set every send names (bounce/complaint events), if any.
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>) -> SesMailer {
        SesMailer {
            client,
            from: from.into(),
            configuration_set: None,
        }
    }

    /// Sends through this configuration set (template.yaml's MailConfigurationSet);
    /// `None` or empty: the account's default.
    pub fn with_configuration_set(mut self, name: Option<String>) -> SesMailer {
        self.configuration_set = name.filter(|n| !n.is_empty());
        self
    }
}

fn utf8(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(MailError::new)
}

/// Whether a header travels as SES's own field rather than in the message: `Reply-To`
/// is `ReplyToAddresses` (SES sets the header from it).
fn is_reply_to(name: &str) -> bool {
    name.eq_ignore_ascii_case("reply-to")
}

/// The `Simple` content SES sends: subject, text (and HTML) body, and the extra headers
/// such as `List-Unsubscribe` and `List-Unsubscribe-Post`.
pub fn email_content(mail: &Mail) -> Result<EmailContent, MailError> {
    let mut body = Body::builder().text(utf8(&mail.text)?);
    if let Some(html) = &mail.html {
        body = body.html(utf8(html)?);
    }
    let mut message = Message::builder()
        .subject(utf8(&mail.subject)?)
        .body(body.build());
    for (name, value) in mail.headers.iter().filter(|(n, _)| !is_reply_to(n)) {
        message = message.headers(
            MessageHeader::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(MailError::new)?,
        );
    }
    Ok(EmailContent::builder().simple(message.build()).build())
}

/// The `Reply-To` addresses of a mail (a contact message's visitor), if any.
fn reply_to(mail: &Mail) -> Option<Vec<String>> {
    let addresses: Vec<String> = mail
        .headers
        .iter()
        .filter(|(n, _)| is_reply_to(n))
        .map(|(_, v)| v.clone())
        .collect();
    (!addresses.is_empty()).then_some(addresses)
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .set_configuration_set_name(self.configuration_set.clone())
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .set_reply_to_addresses(reply_to(mail))
            .content(email_content(mail)?)
            .send()
            .await
            .map_err(|e| MailError::new(DisplayErrorContext(e)))?;
        Ok(out.message_id.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_to_travels_as_ses_reply_to_addresses_not_a_message_header() {
        let mail = Mail {
            to: "owner@clinic.example".into(),
            subject: "Message".into(),
            text: "Hello".into(),
            html: None,
            headers: vec![("Reply-To".into(), "ann@example.com".into())],
        };
        assert_eq!(reply_to(&mail), Some(vec!["ann@example.com".to_owned()]));
        let content = email_content(&mail).unwrap();
        assert!(content.simple().unwrap().headers().is_empty());
        let plain = Mail {
            headers: Vec::new(),
            ..mail
        };
        assert_eq!(reply_to(&plain), None);
    }

    #[test]
    fn list_unsubscribe_headers_travel_in_the_simple_message() {
        let mail = Mail {
            to: "ann@example.com".into(),
            subject: "Confirm".into(),
            text: "Hello".into(),
            html: Some("<p>Hello</p>".into()),
            headers: vec![
                (
                    "List-Unsubscribe".into(),
                    "<https://clinic.example/unsubscribe?token=abc>".into(),
                ),
                (
                    "List-Unsubscribe-Post".into(),
                    "List-Unsubscribe=One-Click".into(),
                ),
            ],
        };
        let content = email_content(&mail).unwrap();
        let simple = content.simple().unwrap();
        let headers: Vec<(&str, &str)> = simple
            .headers()
            .iter()
            .map(|h| (h.name(), h.value()))
            .collect();
        assert_eq!(
            headers,
            [
                (
                    "List-Unsubscribe",
                    "<https://clinic.example/unsubscribe?token=abc>"
                ),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
        );
        assert_eq!(simple.subject().unwrap().data(), "Confirm");
        assert_eq!(
            simple.body().unwrap().text().unwrap().charset(),
            Some("UTF-8")
        );
        assert_eq!(
            simple.body().unwrap().html().unwrap().data(),
            "<p>Hello</p>"
        );
    }
}
