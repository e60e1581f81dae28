//! Rendering: Markdown to HTML, askama page templates, JSON-LD.

pub mod chrome;
pub mod comments;
pub mod contact;
pub mod escape;
pub mod json_ld;
pub mod markdown;
pub mod pages;
pub mod safe_url;
pub mod toc;

pub use markdown::{render_markdown, render_markdown_with, BodyImages, RenderedMarkdown};

/// The (field, message) pairs of a form's refused fields, in form order, for JSON
/// answers: the one shape the comment and contact forms' errors share.
pub fn field_pairs<'a, const N: usize>(
    fields: [(&'static str, &'a Option<String>); N],
) -> Vec<(&'static str, &'a str)> {
    fields
        .into_iter()
        .filter_map(|(f, m)| m.as_deref().map(|m| (f, m)))
        .collect()
}
