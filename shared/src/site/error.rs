//! Everything that can go wrong serving a page, mapped to one status and page each.

use crate::domain::SettingsError;
use crate::i18n::Messages;
use crate::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// `?cpage=` that is not a page number.
    #[error("bad comment page")]
    BadCommentPage,
    /// A media file too large for a function's response (an SVG over 4 MiB).
    #[error("media file too large to serve")]
    MediaTooLarge,
    #[error(transparent)]
    Unavailable(#[from] StoreError),
    #[error("site settings: {0}")]
    Settings(#[from] SettingsError),
}

impl SiteError {
    pub fn status(&self) -> u16 {
        match self {
            SiteError::NotFound => 404,
            SiteError::MethodNotAllowed => 405,
            SiteError::BadCommentPage => 400,
            SiteError::MediaTooLarge => 500,
            SiteError::Unavailable(_) | SiteError::Settings(_) => 503,
        }
    }

    /// The heading and sentence a visitor reads; never the internal detail.
    /// The heading and sentence a visitor reads, in the site's language.
    pub fn public_text<'t>(&self, t: &'t Messages) -> (&'t str, &'t str) {
        match self {
            SiteError::NotFound => (&t.error_not_found, &t.error_not_found_text),
            SiteError::BadCommentPage => {
                (&t.error_bad_comment_page, &t.error_bad_comment_page_text)
            }
            SiteError::MethodNotAllowed => (&t.error_method, &t.error_method_get_text),
            SiteError::MediaTooLarge => (&t.error_too_large, &t.error_too_large_text),
            SiteError::Unavailable(_) | SiteError::Settings(_) => {
                (&t.error_unavailable, &t.error_unavailable_text)
            }
        }
    }
}
