//! Everything that can go wrong in the subscribe function, mapped to one status each.

use crate::domain::{SubscriberEmailError, TokenError};
use crate::i18n::Messages;
use crate::ports::{MailError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// The form comes back with this message beside the field and the input kept.
    #[error("invalid email: {error}")]
    InvalidEmail {
        error: SubscriberEmailError,
        input: String,
        source_page: String,
    },
    #[error("unreadable request body")]
    BadRequest,
    #[error("too many signups from one client")]
    RateLimited { retry_after_secs: u64 },
    #[error("bad link: {0}")]
    InvalidLink(TokenError),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error(transparent)]
    Unavailable(#[from] StoreError),
    /// The confirmation mail could not be sent: the visitor is told so plainly, with
    /// the form (address kept) to try again; the send claim is already released.
    #[error("confirmation mail not sent: {error}")]
    MailNotSent {
        error: MailError,
        input: String,
        source_page: String,
    },
}

impl SubscribeError {
    pub fn status(&self) -> u16 {
        match self {
            SubscribeError::InvalidEmail { .. }
            | SubscribeError::BadRequest
            | SubscribeError::InvalidLink(_) => 400,
            SubscribeError::NotFound => 404,
            SubscribeError::MethodNotAllowed { .. } => 405,
            SubscribeError::RateLimited { .. } => 429,
            SubscribeError::Unavailable(_) | SubscribeError::MailNotSent { .. } => 503,
        }
    }

    /// A stable code for JSON callers.
    pub fn code(&self) -> &'static str {
        match self {
            SubscribeError::InvalidEmail { .. } => "invalid_email",
            SubscribeError::BadRequest => "bad_request",
            SubscribeError::RateLimited { .. } => "rate_limited",
            SubscribeError::InvalidLink(_) => "invalid_link",
            SubscribeError::NotFound => "not_found",
            SubscribeError::MethodNotAllowed { .. } => "method_not_allowed",
            SubscribeError::Unavailable(_) => "unavailable",
            SubscribeError::MailNotSent { .. } => "mail_not_sent",
        }
    }

    /// The heading and sentence a visitor reads, in `t`'s language; never the
    /// internal detail.
    pub fn public_text(&self, t: &'static Messages) -> (&'static str, String) {
        let (heading, text): (&'static str, &str) = match self {
            SubscribeError::InvalidEmail { error, .. } => {
                return (&t.subscribe_error_email, email_text(error, t))
            }
            SubscribeError::RateLimited { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                return (
                    &t.subscribe_error_rate,
                    t.subscribe_error_rate_text(minutes),
                );
            }
            SubscribeError::BadRequest => (&t.subscribe_error_form, &t.error_form_unreadable),
            SubscribeError::InvalidLink(TokenError::Expired) => {
                (&t.subscribe_error_expired, &t.subscribe_error_expired_text)
            }
            SubscribeError::InvalidLink(TokenError::UnknownKey) => {
                (&t.subscribe_error_old_key, &t.subscribe_error_old_key_text)
            }
            SubscribeError::InvalidLink(_) => (
                &t.subscribe_error_bad_link,
                &t.subscribe_error_bad_link_text,
            ),
            SubscribeError::NotFound => (&t.error_not_found, &t.error_no_page_text),
            SubscribeError::MethodNotAllowed { .. } => (&t.error_method, &t.error_method_text),
            SubscribeError::MailNotSent { .. } => {
                (&t.subscribe_error_mail, &t.subscribe_error_mail_text)
            }
            SubscribeError::Unavailable(_) => {
                (&t.error_unavailable, &t.subscribe_error_unavailable_text)
            }
        };
        (heading, text.to_owned())
    }
}

/// Why an address was refused, in `t`'s language.
pub fn email_text(error: &SubscriberEmailError, t: &Messages) -> String {
    use crate::domain::SubscriberEmail;
    match error {
        SubscriberEmailError::Empty => t.subscriber_email_empty.clone(),
        SubscriberEmailError::TooLong => t.subscriber_email_too_long(SubscriberEmail::MAX_LEN),
        SubscriberEmailError::MissingAt => t.subscriber_email_missing_at.clone(),
        SubscriberEmailError::BadLocalPart => {
            t.subscriber_email_bad_local(SubscriberEmail::MAX_LOCAL_LEN)
        }
        SubscriberEmailError::BadDomain => t.subscriber_email_bad_domain.clone(),
        SubscriberEmailError::BadCharacter => t.subscriber_email_bad_character.clone(),
    }
}
