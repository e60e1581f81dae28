//! Rendering: Markdown to HTML, askama page templates, JSON-LD.

pub mod comments;
pub mod contact;
pub mod escape;
pub mod json_ld;
pub mod markdown;
pub mod pages;
pub mod safe_url;
pub mod toc;

pub use markdown::{render_markdown, RenderedMarkdown};
