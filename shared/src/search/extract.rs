//! The searchable text of a post or page: its title, summary and tags from the front
//! matter, and its headings and body text from the Markdown (raw HTML left out).

use super::index::{DocKind, Document, DocumentText};
use crate::domain::{Page, Post};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// The headings' text and the rest of the body's, from Markdown.
pub fn markdown_text(source: &str) -> (Vec<String>, String) {
    let mut headings = Vec::new();
    let mut body = String::with_capacity(source.len());
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(source, crate::render::markdown::options()) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                headings.extend(heading.take().map(|h| h.trim().to_owned()))
            }
            Event::Text(t) | Event::Code(t) => {
                let out = heading.as_mut().unwrap_or(&mut body);
                out.push_str(&t);
            }
            // Word boundaries the text events do not carry.
            Event::SoftBreak | Event::HardBreak | Event::End(_) => {
                heading.as_mut().unwrap_or(&mut body).push(' ');
            }
            _ => {}
        }
    }
    (headings, body)
}

/// A post as the index stores and searches it; `etag` is its object's.
pub fn post_document(post: &Post, etag: &str) -> (Document, DocumentText) {
    let f = &post.front;
    let (headings, body) = markdown_text(&post.body_markdown);
    (
        Document {
            kind: DocKind::Post,
            slug: post.slug.to_string(),
            etag: etag.to_owned(),
            title: f.title.clone(),
            summary: f.summary.clone(),
            date: Some(f.date),
        },
        DocumentText {
            title: f.title.clone(),
            summary: f.summary.clone(),
            tags: f.tags.iter().map(|t| t.name.clone()).collect(),
            headings,
            body,
        },
    )
}

/// A page as the index stores and searches it (no date, no tags).
pub fn page_document(page: &Page, etag: &str) -> (Document, DocumentText) {
    let (headings, body) = markdown_text(&page.body_markdown);
    (
        Document {
            kind: DocKind::Page,
            slug: page.slug.to_string(),
            etag: etag.to_owned(),
            title: page.title.clone(),
            summary: page.summary.clone(),
            date: None,
        },
        DocumentText {
            title: page.title.clone(),
            summary: page.summary.clone(),
            tags: Vec::new(),
            headings,
            body,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_apart_from_the_body_and_html_is_left_out() {
        let (headings, body) = markdown_text(
            "Intro *text*\nnext line.\n\n## Weight Training {#wt}\n\n<script>alert(1)</script>\n\n- one\n- `two`\n\n![Back tension](/x.svg)",
        );
        assert_eq!(headings, ["Weight Training"]);
        let words: Vec<&str> = body.split_whitespace().collect();
        assert_eq!(
            words,
            ["Intro", "text", "next", "line.", "one", "two", "Back", "tension"]
        );
    }
}
