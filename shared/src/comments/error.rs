//! Everything that can stop a comment or a moderation action, each mapped to one status
//! and one sentence a visitor can read.

use crate::domain::SettingsError;
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
    pub fn public_text(&self) -> (&'static str, &'static str) {
        match self {
            CommentError::Invalid(_) => ("Please check your comment", "Some fields need attention."),
            CommentError::Malformed => ("Comment not sent", "The form could not be read. Please go back and try again."),
            CommentError::UnsupportedMediaType => ("Comment not sent", "Send the form as application/x-www-form-urlencoded or application/json."),
            CommentError::TooLarge => ("Comment not sent", "The comment is too long."),
            CommentError::PostNotFound => ("Post not found", "There is no post at this address to comment on."),
            CommentError::Closed => ("Comments are closed", "This post no longer takes comments."),
            CommentError::BadParent => ("Comment not sent", "The comment you replied to is not on this post."),
            CommentError::TooSoon { .. } => ("Slow down", "You are posting comments too quickly. Please wait a few seconds and try again."),
            CommentError::Repeat => ("Duplicate comment", "It looks as though you have already said that."),
            CommentError::NotFound => ("Page not found", "There is no page at this address."),
            CommentError::MethodNotAllowed => ("Method not allowed", "This address does not answer that kind of request."),
            CommentError::BadLink => ("Link not valid", "This moderation link is damaged or has expired. Use a newer mail or the command line."),
            CommentError::BadAction => ("Unknown action", "A comment can be approved, marked as spam or deleted."),
            CommentError::CommentGone => ("Comment not found", "This comment has already been deleted."),
            CommentError::LinkUsed => ("Link already used", "This comment was moderated after this mail was sent, and each link works once. Its current state shows on the post; use the command line to change it again."),
            CommentError::ModeratedMeanwhile => ("Already moderated", "Another moderation link for this comment was used at the same moment and was applied first; this one changed nothing. The comment's current state shows on the post."),
            CommentError::Unavailable(_) | CommentError::Settings(_) => ("Temporarily unavailable", "The comment could not be handled right now. Please try again in a minute."),
        }
    }
}
