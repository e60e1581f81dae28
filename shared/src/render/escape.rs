//! HTML escaping for the few places that build markup outside askama.

/// Escapes text for an HTML text node or a quoted attribute value.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A URL fit for an `href`/`src` written by an author, escaped for an attribute: one
/// that passes `safe_url::is_safe`, else `#`.
pub fn safe_url(url: &str) -> String {
    if super::safe_url::is_safe(url) {
        html(url.trim())
    } else {
        "#".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn only_web_urls_survive() {
        assert_eq!(safe_url("/media/a.jpg"), "/media/a.jpg");
        assert_eq!(
            safe_url("https://x.test/a?b=1&c=2"),
            "https://x.test/a?b=1&amp;c=2"
        );
        assert_eq!(safe_url(" JavaScript:alert(1)"), "#");
        assert_eq!(safe_url("data:text/html,hi"), "#");
        assert_eq!(safe_url("a/b:c"), "a/b:c");
    }
}
