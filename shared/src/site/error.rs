//! Everything that can go wrong serving a page, mapped to one status and page each.

use crate::domain::SettingsError;
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
    pub fn public_text(&self) -> (&'static str, &'static str) {
        match self {
            SiteError::NotFound => (
                "Page not found",
                "There is no page at this address. It may have moved, or the link may be mistyped.",
            ),
            SiteError::BadCommentPage => (
                "Bad comment page",
                "The comment page in this address is not a page number. Comment pages are numbered from 1.",
            ),
            SiteError::MethodNotAllowed => (
                "Method not allowed",
                "This address only answers GET and HEAD requests.",
            ),
            SiteError::MediaTooLarge => (
                "File too large",
                "This file is too large for the site to serve. Please let the site's owner know.",
            ),
            SiteError::Unavailable(_) | SiteError::Settings(_) => (
                "Temporarily unavailable",
                "The site cannot load this page right now. Please try again in a minute.",
            ),
        }
    }
}
