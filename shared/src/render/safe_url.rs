//! The one safe-URL check for every link and image an author or a commenter wrote:
//! relative URLs and `http:`, `https:`, `mailto:`, `tel:` pass; any other scheme
//! (`javascript:`, `vbscript:`, `data:`, `file:`, unknown ones) does not, however it
//! is spelled, and the link or image becomes its plain text.
//!
//! The check reads the URL as a browser would (WHATWG URL parsing): entities are
//! already decoded by the Markdown parser; leading and trailing C0 controls and spaces
//! are stripped and tabs and newlines removed anywhere; case is ignored. What is
//! left is refused when it holds any other control character, or when a `:` comes
//! before the first `/`, `?` or `#` and the text before it is not an allowed scheme
//! (so an odd "scheme" is refused rather than guessed at).

use pulldown_cmark::{Event, Tag, TagEnd};

const ALLOWED_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// Whether `url` may be written into an `href` or `src`.
pub fn is_safe(url: &str) -> bool {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return false;
    }
    let cleaned: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let path_start = cleaned.find(['/', '?', '#']).unwrap_or(cleaned.len());
    match cleaned[..path_start].find(':') {
        None => true,
        Some(colon) => ALLOWED_SCHEMES
            .iter()
            .any(|s| cleaned[..colon].eq_ignore_ascii_case(s)),
    }
}

/// Passes Markdown events through, turning every link and image whose URL fails
/// [`is_safe`] into its text: the `Start`/`End` pair is dropped and what was inside
/// (the link text, the image's alt text) stays as plain text.
pub fn inert_unsafe_urls<'a, I>(events: I) -> impl Iterator<Item = Event<'a>>
where
    I: Iterator<Item = Event<'a>>,
{
    // One flag per open link or image: whether its Start was dropped.
    let mut open: Vec<bool> = Vec::new();
    events.filter_map(move |event| match event {
        Event::Start(Tag::Link { ref dest_url, .. })
        | Event::Start(Tag::Image { ref dest_url, .. }) => {
            let safe = is_safe(dest_url);
            open.push(!safe);
            safe.then_some(event)
        }
        Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
            let dropped = open.pop().unwrap_or(false);
            (!dropped).then_some(event)
        }
        other => Some(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_mail_phone_and_relative_urls_pass() {
        for url in [
            "/media/a.jpg",
            "media/a.jpg",
            "#notes",
            "?page=2",
            "//cdn.example.com/x.png",
            "https://x.test/a?b=1&c=2",
            "HTTP://X.TEST",
            "mailto:ann@example.com",
            "tel:+4930123456",
            "a/b:c",
            "./odd:name",
            "",
        ] {
            assert!(is_safe(url), "{url:?}");
        }
    }

    #[test]
    fn script_data_file_and_unknown_schemes_fail_however_spelled() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\rscript:alert(1)",
            "java\u{0}script:alert(1)",
            "java\u{7f}script:alert(1)",
            "\u{a0}javascript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
            "DATA:image/svg+xml;base64,PHN2Zz4=",
            "file:///etc/passwd",
            "ftp://x.test/",
            "chrome://settings",
            "livescript:x",
            "javascript&colon;alert(1)x:y",
            "https\u{0}://x.test",
        ] {
            assert!(!is_safe(url), "{url:?}");
        }
    }

    /// A seeded xorshift64 generator: the same inputs every run.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// The scheme a browser reads from `url` (WHATWG: controls and spaces trimmed,
    /// tabs and newlines removed, then ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":").
    fn browser_scheme(url: &str) -> Option<String> {
        let cleaned: String = url
            .trim_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let colon = cleaned.find(':')?;
        let scheme = &cleaned[..colon];
        let mut chars = scheme.chars();
        let first = chars.next()?;
        (first.is_ascii_alphabetic()
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then(|| scheme.to_ascii_lowercase())
    }

    /// Random URLs over an alphabet of the characters that matter: whenever a browser
    /// would read a scheme other than the allowed ones, the check refuses the URL.
    #[test]
    fn random_urls_with_a_forbidden_scheme_never_pass() {
        let pieces = [
            "javascript",
            "JAVAscript",
            "vbscript",
            "data",
            "file",
            "http",
            "https",
            "mailto",
            "tel",
            "x",
            ":",
            ":",
            "/",
            "\\",
            "?",
            "#",
            "\t",
            "\n",
            "\r",
            " ",
            "\u{0}",
            "\u{1f}",
            "\u{7f}",
            "\u{a0}",
            "&#58;",
            "%3a",
            "+",
            "-",
            ".",
            "1",
            "alert(1)",
            "//",
        ];
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let mut refused = 0;
        for _ in 0..50_000 {
            let n = 1 + next() % 6;
            let url: String = (0..n)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            if let Some(scheme) = browser_scheme(&url) {
                if !ALLOWED_SCHEMES.contains(&scheme.as_str()) {
                    assert!(!is_safe(&url), "{url:?} reads as {scheme}:");
                    refused += 1;
                }
            }
        }
        assert!(
            refused > 1000,
            "the generator must reach forbidden schemes: {refused}"
        );
    }

    /// Every spelling a browser would still read as `javascript:`: each ASCII case of
    /// the word, with tabs, newlines or carriage returns wherever they may go and C0
    /// controls and spaces around it. None of the generated URLs may pass.
    #[test]
    fn no_spelling_of_javascript_passes() {
        let word = "javascript";
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let junk = [
            '\t', '\n', '\r', ' ', '\u{0}', '\u{1}', '\u{1f}', '\u{b}', '\u{c}',
        ];
        for _ in 0..20_000 {
            let mut url = String::new();
            for _ in 0..next() % 3 {
                url.push(junk[(next() % junk.len() as u64) as usize]);
            }
            for c in word.chars() {
                url.push(if next().is_multiple_of(2) {
                    c
                } else {
                    c.to_ascii_uppercase()
                });
                if next().is_multiple_of(5) {
                    url.push(['\t', '\n', '\r'][(next() % 3) as usize]);
                }
            }
            url.push(':');
            url.push_str("alert(1)");
            for _ in 0..next() % 3 {
                url.push(junk[(next() % junk.len() as u64) as usize]);
            }
            assert!(!is_safe(&url), "{url:?}");
        }
    }
}
