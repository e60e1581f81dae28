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

/// A URL fit for an `href`/`src` written by an author: relative, or http(s)/mailto.
/// Anything else (`javascript:`, `data:`) becomes `#`.
pub fn safe_url(url: &str) -> String {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let scheme_end = lower.find(':');
    let path_start = lower.find(['/', '?', '#']).unwrap_or(lower.len());
    let allowed = match scheme_end {
        Some(i) if i < path_start => ["http", "https", "mailto"].contains(&&lower[..i]),
        _ => true,
    };
    if allowed {
        html(trimmed)
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
