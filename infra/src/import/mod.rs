//! `lambdapress import wordpress`: a WordPress export (WXR) becomes posts, pages, tags,
//! comment threads, media, a menu and redirects for every old address, through the same
//! ports the site reads, twice-safe; `switch_check` proves the new site answers them.

pub mod comment;
pub mod links;
pub mod markdown;
pub mod media;
pub mod old_urls;
pub mod page;
pub mod post;
pub mod progress;
pub mod run;
pub mod shortcodes;
pub mod site;
pub mod switch_check;
pub mod wpautop;
pub mod wxr;

pub use media::{DownloadOptions, MediaSource};
pub use run::{import_wordpress, Options, Progress, Silent, Stores, Summary};
