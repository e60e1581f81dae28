//! The comment function: posting, moderation, threads, no script injection, and the
//! contact form it also serves.
//! One binary for the area; each module is one file of `tests/`.

#[path = "../comments.rs"]
mod comments;
#[path = "../comments_xss.rs"]
mod comments_xss;
#[path = "../contact.rs"]
mod contact;
