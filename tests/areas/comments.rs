//! The comment function: posting, moderation, threads, and no script injection.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../comments.rs"]
mod comments;
#[path = "../comments_xss.rs"]
mod comments_xss;
