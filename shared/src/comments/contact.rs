//! `POST /<page>/message`: a page's contact form, mailed to the owner with the visitor's
//! address as Reply-To. Served by the comment function, which already holds what it
//! needs (the mailer, the flood limiter, the form reader and the page renderer), so the
//! site function links no mail. Nothing is stored but the flood window's marker.

use super::form::{self, FormError, Format};
use super::{json, CommentFunction, FloodRefusal};
use crate::domain::{AuthorName, CommentEmail, ContactMessage, Page, SiteSettings, Slug};
use crate::http::response::{self, CACHE_NONE, HTML};
use crate::http::{Body, Request, Response};
use crate::i18n::Messages;
use crate::ports::{Mail, StoreError};
use crate::render::contact::{ContactErrors, ContactForm};
use crate::site::error::SiteError;
use serde::Deserialize;

/// What the visitor sent, as text. `contact_me_by_fax` is the honeypot, as on the
/// comment form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub message: Option<String>,
    pub contact_me_by_fax: Option<String>,
}

/// The fields, each parsed by its newtype.
#[derive(Debug, Clone)]
pub struct ValidContact {
    pub name: AuthorName,
    pub email: CommentEmail,
    pub message: ContactMessage,
}

impl ContactInput {
    pub fn honeypot_filled(&self) -> bool {
        self.contact_me_by_fax
            .as_deref()
            .is_some_and(|v| !v.trim().is_empty())
    }

    /// The input checked field by field; refused fields say why in `t`'s language.
    pub fn validate(&self, t: &crate::i18n::Messages) -> Result<ValidContact, ContactErrors> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let name = AuthorName::parse(&text(&self.name));
        let email = CommentEmail::parse(&text(&self.email));
        let message = ContactMessage::parse(&text(&self.message));
        match (name, email, message) {
            (Ok(name), Ok(email), Ok(message)) => Ok(ValidContact {
                name,
                email,
                message,
            }),
            (name, email, message) => Err(ContactErrors {
                name: name.err().map(|e| e.text(t)),
                email: email.err().map(|e| e.text(t)),
                message: message.err().map(|e| e.text(t)),
                form: None,
            }),
        }
    }

    /// The form as the visitor left it, with `errors`.
    fn form(&self, page: &Page, errors: ContactErrors) -> ContactForm {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        ContactForm {
            name: text(&self.name),
            email: text(&self.email),
            message: text(&self.message),
            errors,
            ..ContactForm::for_page(&page.slug)
        }
    }
}

/// Everything that can stop a contact message, each mapped to one status and one
/// sentence a visitor can read.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error(transparent)]
    Form(#[from] FormError),
    #[error("no page with a contact form here")]
    NotFound,
    #[error("a field is invalid")]
    Invalid(ContactErrors),
    #[error("too soon after the last message")]
    TooSoon { retry_after: u64 },
    #[error("no owner address is configured")]
    NoRecipient,
    #[error("the mail was not sent: {0}")]
    MailNotSent(crate::ports::MailError),
    #[error(transparent)]
    Unavailable(#[from] StoreError),
    #[error("site: {0}")]
    Site(#[from] SiteError),
}

impl From<FloodRefusal> for ContactError {
    fn from(refusal: FloodRefusal) -> Self {
        match refusal {
            FloodRefusal::TooSoon { retry_after } => ContactError::TooSoon { retry_after },
            FloodRefusal::Unavailable(e) => ContactError::Unavailable(e),
        }
    }
}

impl ContactError {
    pub fn status(&self) -> u16 {
        match self {
            ContactError::Form(FormError::Malformed) | ContactError::Invalid(_) => 400,
            ContactError::Form(FormError::TooLarge) => 413,
            ContactError::Form(FormError::UnsupportedMediaType) => 415,
            ContactError::NotFound => 404,
            ContactError::Site(e) if e.status() == 404 => 404,
            ContactError::TooSoon { .. } => 429,
            ContactError::NoRecipient
            | ContactError::MailNotSent(_)
            | ContactError::Unavailable(_)
            | ContactError::Site(_) => 503,
        }
    }

    /// The heading and sentence a visitor reads; never the internal detail.
    pub fn public_text(&self, t: &'static Messages) -> (&'static str, &'static str) {
        let not_sent = t.contact_error_not_sent.as_str();
        match self {
            ContactError::Form(FormError::Malformed) => (not_sent, &t.error_form_unreadable),
            ContactError::Form(FormError::TooLarge) => (not_sent, &t.contact_error_too_long),
            ContactError::Form(FormError::UnsupportedMediaType) => (not_sent, &t.error_form_type),
            ContactError::NotFound => (&t.error_not_found, &t.contact_error_no_form),
            ContactError::Site(e) if e.status() == 404 => {
                (&t.error_not_found, &t.contact_error_no_form)
            }
            ContactError::Invalid(_) => (&t.contact_error_check, &t.error_fields),
            ContactError::TooSoon { .. } => (&t.comment_error_slow, &t.contact_error_slow_text),
            ContactError::NoRecipient | ContactError::MailNotSent(_) => {
                (not_sent, &t.contact_error_mail_text)
            }
            ContactError::Unavailable(_) | ContactError::Site(_) => {
                (&t.error_unavailable, &t.contact_error_unavailable_text)
            }
        }
    }
}

/// The flood window's key purpose: a contact message's client is not a commenter's.
const CLIENT_PURPOSE: &str = "contact-client";

impl CommentFunction {
    pub(super) async fn contact(&self, req: &Request, slug: &Slug) -> Response<Body> {
        let format = match form::format_of(req) {
            Ok(format) => format,
            Err(e) => {
                let wants_json = form::wants_json(req, Format::Form);
                return self.contact_error(wants_json, None, None, e.into()).await;
            }
        };
        let wants_json = form::wants_json(req, format);
        let input: ContactInput = match form::body_bytes(req).and_then(|b| form::parse(format, b)) {
            Ok(input) => input,
            Err(e) => return self.contact_error(wants_json, None, None, e.into()).await,
        };
        let page = match self.site.published_page(slug).await {
            Ok(Some(page)) if page.contact_form => page,
            Ok(_) => {
                return self
                    .contact_error(wants_json, None, None, ContactError::NotFound)
                    .await
            }
            Err(e) => return self.contact_error(wants_json, None, None, e.into()).await,
        };
        match self.send_contact(req, &page, &input).await {
            Ok(()) if wants_json => json(
                202,
                &serde_json::json!({
                    "status": "sent",
                    "message": self.messages().await.contact_sent_short,
                }),
                &[],
            ),
            Ok(()) => {
                let location = format!(
                    "{}?message=sent#contact-notice",
                    crate::site::routes::page_path(slug)
                );
                response::build(
                    303,
                    &[
                        ("location", location.as_str()),
                        ("cache-control", CACHE_NONE),
                    ],
                    Body::Empty,
                )
            }
            Err(e) => {
                self.contact_error(wants_json, Some(&page), Some(&input), e)
                    .await
            }
        }
    }

    /// Applies the defences to one message and mails it.
    async fn send_contact(
        &self,
        req: &Request,
        page: &Page,
        input: &ContactInput,
    ) -> Result<(), ContactError> {
        let settings = self.site.settings().await?;
        let valid = input
            .validate(settings.messages())
            .map_err(ContactError::Invalid)?;
        let to = self
            .owner_address(&settings)
            .ok_or(ContactError::NoRecipient)?;
        let now = (self.clock)();
        // Grouped as comments and signups group it: an IPv6 client by its /64.
        let client =
            crate::http::client_addr::limit_key(crate::http::client_addr::client_addr(req));
        let keys = [format!(
            "contact-{}",
            self.secret.keyed_hash(CLIENT_PURPOSE, &client)
        )];
        let seconds = settings.contact.flood_seconds;
        self.flood_check(seconds, &keys, now).await?;
        if input.honeypot_filled() {
            // A robot: no mail, and the answer a person gets.
            tracing::info!(page = %page.slug, "honeypot contact message dropped");
            return Ok(());
        }
        let mail = contact_mail(&settings, page, &to, &valid);
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::error!(error = %e, page = %page.slug, "contact message not sent");
            // Nothing went out: the visitor's retry is not told to wait.
            self.release_flood(seconds, &keys, now).await;
            return Err(ContactError::MailNotSent(e));
        }
        tracing::info!(page = %page.slug, "contact message sent");
        Ok(())
    }

    /// The one answer to a refused message: JSON for a script; for a browser, the page
    /// with the form as it was left and the message beside the field (or above the
    /// form), else a plain error page.
    async fn contact_error(
        &self,
        wants_json: bool,
        page: Option<&Page>,
        input: Option<&ContactInput>,
        error: ContactError,
    ) -> Response<Body> {
        match &error {
            ContactError::Unavailable(e) => tracing::error!(error = %e, "storage failure"),
            ContactError::Site(e) if e.status() != 404 => {
                tracing::error!(error = %e, "site failure")
            }
            ContactError::NoRecipient => {
                tracing::error!("a contact message came and no owner email is set")
            }
            _ => {}
        }
        let status = error.status();
        let (heading, message) = error.public_text(self.messages().await);
        let retry_after = match &error {
            ContactError::TooSoon { retry_after } => Some(retry_after.to_string()),
            _ if status == 503 => Some("60".to_owned()),
            _ => None,
        };
        let mut headers = vec![("cache-control", CACHE_NONE)];
        if let Some(after) = &retry_after {
            headers.push(("retry-after", after.as_str()));
        }
        if wants_json {
            let fields: serde_json::Map<String, serde_json::Value> = match &error {
                ContactError::Invalid(errors) => errors
                    .pairs()
                    .into_iter()
                    .map(|(f, m)| (f.to_owned(), m.into()))
                    .collect(),
                _ => Default::default(),
            };
            return json(
                status,
                &serde_json::json!({ "error": heading, "message": message, "fields": fields }),
                &headers,
            );
        }
        if let (Some(page), Some(input)) = (page, input) {
            let errors = match error {
                ContactError::Invalid(errors) => errors,
                _ => ContactErrors {
                    form: Some(message.to_owned()),
                    ..ContactErrors::default()
                },
            };
            match self.site.contact_page(page, input.form(page, errors)).await {
                Ok(html) => {
                    headers.push(("content-type", HTML));
                    return response::build(status, &headers, Body::Text(html));
                }
                Err(e) => tracing::error!(error = %e, "contact page not rendered"),
            }
        }
        self.plain_page(status, heading, message, &headers).await
    }
}

/// The mail to the owner: the visitor's words as plain text, their address as Reply-To
/// (validated: one line, no header can be smuggled in).
fn contact_mail(settings: &SiteSettings, page: &Page, to: &str, valid: &ValidContact) -> Mail {
    let t = settings.messages();
    let name = valid.name.as_str();
    let email = valid.email.as_str();
    let text = format!(
        "{intro}\n\n{message}\n\n-- \n{footer}\n",
        intro = t.contact_mail_intro(
            name,
            email,
            settings.url(&crate::site::routes::page_path(&page.slug))
        ),
        message = valid.message.as_str(),
        footer = t.contact_mail_footer(name),
    );
    Mail {
        to: to.to_owned(),
        subject: t.contact_mail_subject(name, &settings.title),
        text,
        html: None,
        headers: vec![("Reply-To".to_owned(), email.to_owned())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let input = ContactInput {
            name: Some(" ".into()),
            email: Some("not-an-address".into()),
            message: Some("Hello".into()),
            contact_me_by_fax: None,
        };
        let errors = input
            .validate(crate::i18n::messages(crate::i18n::Language::En))
            .unwrap_err();
        assert!(errors.name.is_some());
        assert!(errors.email.is_some());
        assert!(errors.message.is_none());
        assert_eq!(
            errors.pairs().iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            ["name", "email"]
        );
    }
}
