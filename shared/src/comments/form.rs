//! Reading a comment from a request: the form (urlencoded) or JSON, into raw input, then
//! into validated fields with one message per bad field. The contact form is read by
//! the same functions.

use super::error::CommentError;
use crate::domain::{AuthorName, CommentBody, CommentEmail, CommentId, Website};
use crate::http::Request;
use crate::render::comments::{CommentForm, FieldErrors};
use serde::Deserialize;

/// The largest request body read; a full comment with every field at its limit fits.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the visitor sent, as text. `contact_me_by_fax` is the honeypot: people never see
/// it, form-filling robots do.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CommentInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub body: Option<String>,
    pub parent: Option<String>,
    pub contact_me_by_fax: Option<String>,
}

/// Why a body could not be read at all (before any field is looked at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the body could not be read")]
    Malformed,
    #[error("the body is too large")]
    TooLarge,
    #[error("unsupported content type")]
    UnsupportedMediaType,
}

impl From<FormError> for CommentError {
    fn from(e: FormError) -> Self {
        match e {
            FormError::Malformed => CommentError::Malformed,
            FormError::TooLarge => CommentError::TooLarge,
            FormError::UnsupportedMediaType => CommentError::UnsupportedMediaType,
        }
    }
}

/// A request's body in the shape it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Form,
    Json,
}

pub fn format_of(req: &Request) -> Result<Format, FormError> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Format::Json),
        "application/x-www-form-urlencoded" | "" => Ok(Format::Form),
        _ => Err(FormError::UnsupportedMediaType),
    }
}

/// Whether the caller wants a JSON answer: it sent JSON, or it asks for JSON in
/// `Accept` (a script posting a urlencoded form).
pub fn wants_json(req: &Request, format: Format) -> bool {
    format == Format::Json
        || req
            .headers()
            .get_all(http::header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|range| {
                range
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            })
}

pub fn body_bytes(req: &Request) -> Result<&[u8], FormError> {
    let bytes: &[u8] = match req.body() {
        lambda_http::Body::Text(t) => t.as_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(FormError::TooLarge);
    }
    Ok(bytes)
}

/// Parses a body of the given format into `T`.
pub fn parse<T: for<'de> Deserialize<'de>>(format: Format, bytes: &[u8]) -> Result<T, FormError> {
    match format {
        Format::Json => serde_json::from_slice(bytes).map_err(|_| FormError::Malformed),
        Format::Form => serde_urlencoded::from_bytes(bytes).map_err(|_| FormError::Malformed),
    }
}

/// The fields, each parsed by its newtype.
#[derive(Debug, Clone)]
pub struct ValidInput {
    pub name: AuthorName,
    pub email: CommentEmail,
    pub website: Option<Website>,
    pub body: CommentBody,
    pub parent: Option<CommentId>,
}

impl CommentInput {
    pub fn honeypot_filled(&self) -> bool {
        self.contact_me_by_fax
            .as_deref()
            .is_some_and(|v| !v.trim().is_empty())
    }

    /// The form as the visitor left it, for showing it back.
    pub fn form(&self, errors: FieldErrors) -> CommentForm {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        CommentForm {
            name: text(&self.name),
            email: text(&self.email),
            website: text(&self.website),
            body: text(&self.body),
            parent: text(&self.parent),
            replying_to: None,
            errors,
        }
    }

    /// The input checked field by field; refused fields say why in `t`'s language.
    pub fn validate(&self, t: &crate::i18n::Messages) -> Result<ValidInput, FieldErrors> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let name = AuthorName::parse(&text(&self.name));
        let email = CommentEmail::parse(&text(&self.email));
        let website = Website::parse_optional(&text(&self.website));
        let body = CommentBody::parse(&text(&self.body));
        let parent_text = text(&self.parent);
        let parent = match parent_text.trim() {
            "" => Ok(None),
            p => CommentId::parse(p)
                .map(Some)
                .map_err(|_| t.field_parent_elsewhere.clone()),
        };
        match (name, email, website, body, parent) {
            (Ok(name), Ok(email), Ok(website), Ok(body), Ok(parent)) => Ok(ValidInput {
                name,
                email,
                website,
                body,
                parent,
            }),
            (name, email, website, body, parent) => Err(FieldErrors {
                name: name.err().map(|e| e.text(t)),
                email: email.err().map(|e| e.text(t)),
                website: website.err().map(|e| e.text(t)),
                body: body.err().map(|e| e.text(t)),
                parent: parent.err(),
            }),
        }
    }
}
