//! WordPress shortcodes: `[caption]` becomes a figure, `[embed]`, `[video]` and
//! `[audio]` a link to the media, `[gallery]` and `[playlist]` (which need WordPress to
//! render) are dropped. Any other bracketed text is kept as written: without WordPress's
//! plugin registry a plugin's shortcode cannot be told from a literal `[note]`.

/// Shortcodes that have no meaning outside WordPress and are dropped, with their content.
const DROPPED: &[&str] = &["gallery", "playlist"];
const MEDIA: &[&str] = &["video", "audio"];

/// Expands or drops the shortcodes WordPress itself defines; leaves the rest as text.
pub fn expand(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('[') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match parse_open(tail) {
            Some((name, attrs, open_len)) => {
                let body_and_close = closing(&tail[open_len..], name);
                let (content, consumed) = match body_and_close {
                    Some((content, close_len)) => {
                        (Some(content), open_len + content.len() + close_len)
                    }
                    None => (None, open_len),
                };
                match name {
                    "caption" | "wp_caption" => {
                        out.push_str(&caption(&attrs, content.unwrap_or("")))
                    }
                    "embed" => {
                        let url = content.unwrap_or("").trim();
                        if !url.is_empty() {
                            out.push_str(&media_link(url));
                        }
                    }
                    n if MEDIA.contains(&n) => {
                        let url = attrs
                            .iter()
                            .find(|(k, v)| {
                                v.starts_with("http")
                                    && matches!(
                                        k.as_str(),
                                        "src"
                                            | "mp4"
                                            | "m4v"
                                            | "webm"
                                            | "ogv"
                                            | "mp3"
                                            | "ogg"
                                            | "wav"
                                            | "m4a"
                                    )
                            })
                            .map(|(_, v)| v.as_str());
                        if let Some(url) = url {
                            out.push_str(&media_link(url));
                        }
                    }
                    _ => {}
                }
                rest = &tail[consumed..];
            }
            None => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A shortcode's attributes, lowercased names with their values.
type Attributes = Vec<(String, String)>;

/// `[name attr="v" ...]` at the start of `s`, for the shortcodes handled here: its name,
/// attributes and length.
fn parse_open(s: &str) -> Option<(&'static str, Attributes, usize)> {
    let inner = s.strip_prefix('[')?;
    let name_len = inner
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let name = &inner[..name_len];
    let known: &'static str = ["caption", "wp_caption", "embed"]
        .iter()
        .chain(DROPPED)
        .chain(MEDIA)
        .find(|k| **k == name)?;
    let after = &inner[name_len..];
    if !(after.starts_with(']') || after.starts_with(' ') || after.starts_with('/')) {
        return None;
    }
    let end = close_bracket(after)?;
    let attrs = attributes(after[..end].trim_end_matches('/'));
    Some((known, attrs, 1 + name_len + end + 1))
}

/// The index of the `]` that ends an opening tag, skipping quoted values.
fn close_bracket(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ']') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The content up to `[/name]`, and the length of that closing tag.
fn closing<'a>(s: &'a str, name: &str) -> Option<(&'a str, usize)> {
    let tag = format!("[/{name}]");
    s.find(&tag).map(|at| (&s[..at], tag.len()))
}

fn attributes(s: &str) -> Attributes {
    let mut attrs = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let key_len = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = rest[..key_len].to_ascii_lowercase();
        rest = rest[key_len..].trim_start();
        let value = if let Some(v) = rest.strip_prefix('=') {
            let v = v.trim_start();
            match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = v[1..].find(q).map(|e| e + 1).unwrap_or(v.len());
                    rest = v.get(end + 1..).unwrap_or("");
                    v[1..end].to_owned()
                }
                _ => {
                    let end = v.find(char::is_whitespace).unwrap_or(v.len());
                    rest = &v[end..];
                    v[..end].to_owned()
                }
            }
        } else {
            String::new()
        };
        if !key.is_empty() {
            attrs.push((key, value));
        }
        rest = rest.trim_start();
    }
    attrs
}

/// `[caption]<img ...> Text[/caption]` (or `caption="Text"`): the image, optionally
/// linked, then the caption, as WordPress's `img_caption_shortcode` reads it.
fn caption(attrs: &[(String, String)], content: &str) -> String {
    let content = content.trim();
    let image_end = content
        .find("<img")
        .and_then(|img| content[img..].find('>').map(|e| img + e + 1))
        .map(|end| {
            // A link around the image closes right after it.
            let after = &content[end..];
            match after.trim_start().strip_prefix("</a>") {
                Some(rest) => content.len() - rest.len(),
                None => end,
            }
        });
    let Some(image_end) = image_end else {
        return content.to_owned();
    };
    let text = attrs
        .iter()
        .find(|(k, _)| k == "caption")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| content[image_end..].trim().to_owned());
    let mut out = String::from("<figure>");
    out.push_str(&content[..image_end]);
    if !text.is_empty() {
        out.push_str("<figcaption>");
        out.push_str(&text);
        out.push_str("</figcaption>");
    }
    out.push_str("</figure>");
    out
}

fn media_link(url: &str) -> String {
    let escaped = url
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    format!("\n\n<p><a href=\"{escaped}\">{escaped}</a></p>\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_become_figures() {
        assert_eq!(
            expand(
                r#"[caption id="attachment_5" align="alignleft" width="300"]<a href="/big.jpg"><img src="/a.jpg" alt="A" /></a> Back tension[/caption]"#
            ),
            r#"<figure><a href="/big.jpg"><img src="/a.jpg" alt="A" /></a><figcaption>Back tension</figcaption></figure>"#
        );
        assert_eq!(
            expand(r#"[caption caption="Old style"]<img src="/a.jpg">[/caption]"#),
            r#"<figure><img src="/a.jpg"><figcaption>Old style</figcaption></figure>"#
        );
    }

    #[test]
    fn galleries_are_dropped_media_linked_and_unknown_brackets_kept() {
        assert_eq!(expand(r#"a [gallery ids="1,2,3"] b"#), "a  b");
        assert!(expand("[embed]https://youtu.be/x[/embed]")
            .contains(r#"<a href="https://youtu.be/x">"#));
        assert!(expand(r#"[video mp4="https://x.test/v.mp4"][/video]"#)
            .contains("https://x.test/v.mp4"));
        assert_eq!(
            expand(r#"See [contact-form-7 id="12"] and note [1] [sic]."#),
            r#"See [contact-form-7 id="12"] and note [1] [sic]."#
        );
    }
}
