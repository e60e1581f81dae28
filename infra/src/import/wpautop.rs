//! WordPress's auto-paragraph rules (`wpautop`): text separated by blank lines becomes
//! paragraphs and single line breaks become `<br />`, leaving block-level HTML alone.
//! Posts made in the block editor carry their own markup and skip it, as in WordPress.

/// The block-level elements `wpautop` never wraps in a paragraph (WordPress's `$allblocks`).
const BLOCKS: &[&str] = &[
    "address",
    "area",
    "article",
    "aside",
    "blockquote",
    "caption",
    "col",
    "colgroup",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "legend",
    "li",
    "map",
    "math",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Whether the content was written in the block editor (it has `<!-- wp:... -->` marks).
pub fn has_blocks(html: &str) -> bool {
    html.contains("<!-- wp:")
}

/// Removes the block editor's `<!-- wp:... -->` and `<!-- /wp:... -->` marks.
pub fn strip_block_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<!--") {
        let after = &rest[start + 4..];
        let is_block =
            after.trim_start().starts_with("wp:") || after.trim_start().starts_with("/wp:");
        match after.find("-->") {
            Some(end) if is_block => {
                out.push_str(&rest[..start]);
                rest = &after[end + 3..];
            }
            _ => {
                out.push_str(&rest[..start + 4]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The name of the tag at the start of `s` (`<div class=x>` -> `div`, `</p>` -> `p`),
/// when `s` starts with a block-level tag.
fn block_tag_at(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('<') else {
        return false;
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = rest[..name_len].to_ascii_lowercase();
    let next = rest[name_len..].chars().next();
    BLOCKS.contains(&name.as_str())
        && matches!(next, Some(c) if c == '>' || c == '/' || c.is_whitespace())
}

/// Whether `s` ends with a block-level tag.
fn ends_with_block_tag(s: &str) -> bool {
    s.ends_with('>') && s.rfind('<').is_some_and(|at| block_tag_at(&s[at..]))
}

/// Puts blank lines around block-level tags, as WordPress does before splitting.
fn isolate_blocks(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let end = tag.find('>').map(|e| e + 1).unwrap_or(tag.len());
        if block_tag_at(tag) {
            let closing =
                tag.starts_with("</") || tag[..end].to_ascii_lowercase().starts_with("<hr");
            if closing {
                out.push_str(&tag[..end]);
                out.push_str("\n\n");
            } else {
                out.push_str("\n\n");
                out.push_str(&tag[..end]);
            }
        } else {
            out.push_str(&tag[..end]);
        }
        rest = &tag[end..];
    }
    out.push_str(rest);
    out
}

/// Single line breaks inside a paragraph become `<br />`, except next to a block tag.
fn line_breaks(chunk: &str) -> String {
    let mut out = String::with_capacity(chunk.len() + 16);
    let lines: Vec<&str> = chunk.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_end();
        out.push_str(line);
        if let Some(next) = lines.get(i + 1) {
            let next = next.trim_start();
            if ends_with_block_tag(line)
                || block_tag_at(next)
                || line.ends_with("<br />")
                || line.ends_with("<br>")
            {
                out.push('\n');
            } else {
                // No newline after it: a converter would read one as a leading space.
                out.push_str("<br />");
            }
        }
    }
    out
}

/// WordPress's `wpautop` with line breaks on. `<pre>` contents are left exactly as written.
pub fn autop(html: &str) -> String {
    let html = html.replace("\r\n", "\n").replace('\r', "\n");
    if html.trim().is_empty() {
        return String::new();
    }
    // Keep <pre> blocks out of reach, then put them back.
    let mut pres: Vec<&str> = Vec::new();
    let mut text = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(start) = find_ci(rest, "<pre") {
        let Some(end) = find_ci(&rest[start..], "</pre>").map(|e| start + e + 6) else {
            break;
        };
        text.push_str(&rest[..start]);
        text.push_str(&format!("<pre wp-pre-tag-{}></pre>", pres.len()));
        pres.push(&rest[start..end]);
        rest = &rest[end..];
    }
    text.push_str(rest);

    let text = isolate_blocks(&text);
    let mut out = String::with_capacity(text.len() + 64);
    for chunk in split_blank_lines(&text) {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        let opens = !block_tag_at(chunk);
        let closes = !ends_with_block_tag(chunk);
        if opens {
            out.push_str("<p>");
        }
        out.push_str(&line_breaks(chunk));
        if closes {
            out.push_str("</p>");
        }
        out.push('\n');
    }
    for (i, pre) in pres.iter().enumerate() {
        out = out.replace(&format!("<pre wp-pre-tag-{i}></pre>"), pre);
    }
    out
}

fn split_blank_lines(text: &str) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            // A blank line: newline, optional spaces, newline.
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'\n' {
                chunks.push(&text[start..i]);
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    chunks.push(&text[start..]);
    chunks
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_make_paragraphs_and_single_breaks_make_br() {
        assert_eq!(
            autop("First line\nsame paragraph\n\nSecond paragraph"),
            "<p>First line<br />same paragraph</p>\n<p>Second paragraph</p>\n"
        );
    }

    #[test]
    fn block_tags_are_not_wrapped() {
        assert_eq!(
            autop("Intro\n<ul>\n<li>One</li>\n<li>Two</li>\n</ul>\nOutro"),
            "<p>Intro</p>\n<ul>\n<li>One</li>\n<li>Two</li>\n</ul>\n<p>Outro</p>\n"
        );
        assert_eq!(
            autop("<h2>Title</h2>\nText"),
            "<h2>Title</h2>\n<p>Text</p>\n"
        );
    }

    #[test]
    fn pre_blocks_keep_their_lines() {
        let out = autop("Code:\n\n<pre>a\n\nb</pre>\n\nEnd");
        assert!(out.contains("<pre>a\n\nb</pre>"), "{out}");
        assert!(out.starts_with("<p>Code:</p>"), "{out}");
    }

    #[test]
    fn block_comments_are_stripped_and_other_comments_kept() {
        let html = "<!-- wp:paragraph -->\n<p>Hi</p>\n<!-- /wp:paragraph --><!-- note -->";
        assert!(has_blocks(html));
        assert_eq!(strip_block_comments(html), "\n<p>Hi</p>\n<!-- note -->");
    }
}
