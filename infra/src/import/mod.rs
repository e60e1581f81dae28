//! `lambdapress import wordpress`: a WordPress export (WXR) becomes posts, tags and
//! comment threads through the same ports the site reads, twice-safe.

pub mod comment;
pub mod markdown;
pub mod old_urls;
pub mod post;
pub mod progress;
pub mod run;
pub mod shortcodes;
pub mod wpautop;
pub mod wxr;

pub use run::{import_wordpress, Options, Progress, Silent, Stores, Summary};
