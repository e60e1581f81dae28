//! A comment's text: a Markdown subset (paragraphs, emphasis, code, quotes, lists,
//! links) rendered to HTML and sanitized by ammonia, once, when the comment is written.

use ammonia::Builder;
use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;
use std::sync::OnceLock;

fn sanitizer() -> &'static Builder<'static> {
    static CLEANER: OnceLock<Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = Builder::empty();
        b.tags(HashSet::from([
            "p",
            "br",
            "em",
            "strong",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
        ]))
        .tag_attributes(std::collections::HashMap::from([(
            "a",
            HashSet::from(["href"]),
        )]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("nofollow ugc noopener"))
        .strip_comments(true);
        b
    })
}

/// Renders a comment body. Raw HTML in the source is shown as text, headings and images
/// become plain text, and whatever survives is sanitized again by ammonia's allow-list.
pub fn render_comment_body(source: &str) -> String {
    // The site's one URL check first (unsafe links become text), then ammonia's.
    let events = crate::render::safe_url::inert_unsafe_urls(Parser::new_ext(
        source,
        Options::ENABLE_STRIKETHROUGH,
    ));
    let parser = events.filter_map(|event| {
        Some(match event {
            // No raw HTML: show it as the text it is.
            Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
            Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
            Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => return None,
            Event::Rule => return None,
            other => other,
        })
    });
    let mut raw = String::with_capacity(source.len() + source.len() / 4);
    html::push_html(&mut raw, parser);
    sanitizer().clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markdown_subset_renders() {
        let html = render_comment_body("Thanks *so* much!\n\n> quoted\n\n- a\n- b\n\n`x < y`");
        assert!(html.contains("<em>so</em>"), "{html}");
        assert!(html.contains("<blockquote>"), "{html}");
        assert!(html.contains("<li>a</li>"), "{html}");
        assert!(html.contains("<code>x &lt; y</code>"), "{html}");
    }

    #[test]
    fn links_are_nofollow_and_scripts_never_survive() {
        let html = render_comment_body("[site](https://example.com) [x](javascript:alert(1))");
        assert!(
            html.contains(r#"<a href="https://example.com" rel="nofollow ugc noopener">site</a>"#),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
        let html = render_comment_body("<script>alert(1)</script><img src=x onerror=alert(1)>");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "shown as text: {html}");
        let html = render_comment_body("# Big\n\n![i](https://x.test/a.png)");
        assert!(!html.contains("<h1") && !html.contains("<img"), "{html}");
    }
}
