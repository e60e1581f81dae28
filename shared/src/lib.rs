//! lambdapress: domain types, rendering, storage ports with their AWS and embedded
//! adapters, and the HTTP handlers every Lambda (and the local runner) calls into.

//!
//! Cargo features choose what a function links: `aws`, `mail-ses`, `embedded` (SQLite),
//! `comments` (the comment function and its sanitizer), `feeds`. The site function takes
//! only `aws`.

pub mod adapters;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "comments")]
pub mod comments;
/// Without the comment function, only the rules the site's pages apply.
#[cfg(not(feature = "comments"))]
pub mod comments {
    #[path = "rules.rs"]
    pub mod rules;
}
pub mod domain;
#[cfg(feature = "feeds")]
pub mod feeds;
pub mod http;
pub mod i18n;
pub mod images;
pub mod indexer;
pub mod newsletter;
pub mod ports;
pub mod redirects;
pub mod render;
pub mod search;
pub mod site;
pub mod subscribe;
