//! Everything that can stop a comment or a moderation action, each mapped to one status
//! and one sentence a visitor can read.

use crate::domain::SettingsError;
use crate::i18n::Messages;
use crate::ports::StoreError;
use crate::render::comments::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    #[error("a field is invalid")]
    Invalid(FieldErrors),
    #[error("the body could not be read")]
    Malformed,
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("the body is too large")]
    TooLarge,
    #[error("no such post")]
    PostNotFound,
    #[error("comments are closed")]
    Closed,
    #[error("the parent comment is not on this post")]
    BadParent,
    #[error("too soon after the last comment")]
    TooSoon { retry_after: u64 },
    #[error("a repeat of an earlier comment")]
    Repeat,
    #[error("no such page")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("bad moderation link")]
    BadLink,
    #[error("unknown moderation action")]
    BadAction,
    #[error("the comment no longer exists")]
    CommentGone,
    #[error("the moderation link was already used")]
    LinkUsed,
    /// Another moderation of the same comment was applied between this link's check and
    /// its write (two links pressed at once): this one changed nothing.
    #[error("the comment was moderated by another link at the same moment")]
    ModeratedMeanwhile,
    #[error(transparent)]
    Unavailable(#[from] StoreError),
    #[error("site settings: {0}")]
    Settings(#[from] SettingsError),
}

impl From<crate::site::error::SiteError> for CommentError {
    fn from(e: crate::site::error::SiteError) -> Self {
        use crate::site::error::SiteError;
        match e {
            // The comment function never asks for a thread page by number.
            SiteError::NotFound | SiteError::BadCommentPage => CommentError::PostNotFound,
            SiteError::MethodNotAllowed => CommentError::MethodNotAllowed,
            // Only `/media/*` answers it, which the comment function never serves.
            SiteError::MediaTooLarge => CommentError::NotFound,
            SiteError::Unavailable(e) => CommentError::Unavailable(e),
            SiteError::Settings(e) => CommentError::Settings(e),
        }
    }
}

impl CommentError {
    pub fn status(&self) -> u16 {
        match self {
            CommentError::Invalid(_) | CommentError::Malformed | CommentError::BadAction => 400,
            CommentError::BadLink | CommentError::Closed => 403,
            CommentError::PostNotFound | CommentError::NotFound | CommentError::CommentGone => 404,
            CommentError::MethodNotAllowed => 405,
            CommentError::LinkUsed => 410,
            CommentError::Repeat | CommentError::ModeratedMeanwhile => 409,
            CommentError::TooLarge => 413,
            CommentError::UnsupportedMediaType => 415,
            CommentError::BadParent => 422,
            CommentError::TooSoon { .. } => 429,
            CommentError::Unavailable(_) | CommentError::Settings(_) => 503,
        }
    }

    /// The heading and sentence a visitor reads; never the internal detail.
    pub fn public_text(&self, t: &'static Messages) -> (&'static str, &'static str) {
        let not_sent = t.comment_error_not_sent.as_str();
        match self {
            CommentError::Invalid(_) => (&t.comment_error_check, &t.error_fields),
            CommentError::Malformed => (not_sent, &t.error_form_unreadable),
            CommentError::UnsupportedMediaType => (not_sent, &t.error_form_type),
            CommentError::TooLarge => (not_sent, &t.comment_error_too_long),
            CommentError::PostNotFound => (&t.comment_error_no_post, &t.comment_error_no_post_text),
            CommentError::Closed => (&t.comments_closed, &t.comment_error_closed_text),
            CommentError::BadParent => (not_sent, &t.field_parent_elsewhere),
            CommentError::TooSoon { .. } => (&t.comment_error_slow, &t.comment_error_slow_text),
            CommentError::Repeat => (&t.comment_error_repeat, &t.comment_error_repeat_text),
            CommentError::NotFound => (&t.error_not_found, &t.error_no_page_text),
            CommentError::MethodNotAllowed => (&t.error_method, &t.error_method_text),
            CommentError::BadLink => (&t.moderate_bad_link, &t.moderate_bad_link_text),
            CommentError::BadAction => (&t.moderate_bad_action, &t.moderate_bad_action_text),
            CommentError::CommentGone => (&t.moderate_gone, &t.moderate_gone_text),
            CommentError::LinkUsed => (&t.moderate_used, &t.moderate_used_text),
            CommentError::ModeratedMeanwhile => (&t.moderate_meanwhile, &t.moderate_meanwhile_text),
            CommentError::Unavailable(_) | CommentError::Settings(_) => {
                (&t.error_unavailable, &t.comment_error_unavailable_text)
            }
        }
    }
}
