//! Everything that can go wrong in the subscribe function, mapped to one status each.

use crate::domain::{SubscriberEmailError, TokenError};
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

    /// The heading and sentence a visitor reads; never the internal detail.
    pub fn public_text(&self) -> (&'static str, String) {
        match self {
            SubscribeError::InvalidEmail { error, .. } => {
                ("Please check your email address", error.to_string())
            }
            SubscribeError::BadRequest => (
                "Something went wrong with the form",
                "The form could not be read. Please go back and try again.".into(),
            ),
            SubscribeError::RateLimited { retry_after_secs } => (
                "Too many signups",
                format!(
                    "Too many signups came from your network in a short time. Please try again in {}.",
                    minutes(*retry_after_secs)
                ),
            ),
            SubscribeError::InvalidLink(TokenError::Expired) => (
                "This link has expired",
                "Links in our emails only work for a limited time. Sign up again below to get a fresh one.".into(),
            ),
            SubscribeError::InvalidLink(TokenError::UnknownKey) => (
                "This link is too old",
                "The site has changed the key its links are signed with since this link was sent. Please sign up again below to get a fresh link.".into(),
            ),
            SubscribeError::InvalidLink(_) => (
                "This link does not work",
                "The link is incomplete or was not sent by this site. Please use the link exactly as it appears in the email, or sign up again below.".into(),
            ),
            SubscribeError::NotFound => (
                "Page not found",
                "There is no page at this address.".into(),
            ),
            SubscribeError::MethodNotAllowed { .. } => (
                "Method not allowed",
                "This address does not answer that kind of request.".into(),
            ),
            SubscribeError::MailNotSent { .. } => (
                "We could not send your confirmation email",
                "Our mail service did not accept the message, so nothing was sent and you are not subscribed yet. Please try again in a few minutes.".into(),
            ),
            SubscribeError::Unavailable(_) => (
                "Temporarily unavailable",
                "We could not complete your request right now. Please try again in a minute.".into(),
            ),
        }
    }
}

fn minutes(secs: u64) -> String {
    match secs.div_ceil(60) {
        0 | 1 => "a minute".into(),
        n => format!("{n} minutes"),
    }
}
