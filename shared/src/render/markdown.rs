//! Markdown to HTML with pulldown-cmark: headings get ids (stable, unique on the page,
//! `[a-z0-9-]` or an author's `{#id}` of `[A-Za-z0-9_-]`: nothing to percent-encode),
//! tables, footnotes, and a paragraph holding only an image becomes a `<figure>` whose
//! caption is the image title. The table of contents is built with them.
//! Every link and image URL goes through `safe_url`: an unsafe one becomes plain text.

use super::escape;
use crate::domain::Slug;
use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMarkdown {
    pub html: String,
    pub headings: Vec<Heading>,
    pub word_count: usize,
    /// The `##`/`###` contents list, built once with the body.
    pub toc: super::toc::Toc,
    /// The front-matter (lead) image as `<img srcset>` markup, when it has variants.
    pub lead_image_html: Option<String>,
}

/// What the images of a body are rendered with: the variants index (images listed in
/// it get `srcset`, `sizes`, `width` and `height`), and the page's lead image, the
/// one shown first, never lazy: the front matter's, or else the body's first image.
#[derive(Clone, Copy)]
pub struct BodyImages<'a> {
    pub variants: &'a crate::images::VariantsIndex,
    /// The front matter's image (its `src` and `alt`), if the page has one.
    pub lead: Option<(&'a str, &'a str)>,
}

impl BodyImages<'_> {
    /// No variants known: every image renders as written.
    pub fn none() -> BodyImages<'static> {
        static EMPTY: std::sync::OnceLock<crate::images::VariantsIndex> =
            std::sync::OnceLock::new();
        BodyImages {
            variants: EMPTY.get_or_init(Default::default),
            lead: None,
        }
    }
}

/// Renders images as the variants index allows; counts them to find the lead.
struct ImageRenderer<'a> {
    images: BodyImages<'a>,
    seen: usize,
}

impl ImageRenderer<'_> {
    /// `<img>` with its responsive attributes, or `None` (no variants: as written).
    fn responsive(&mut self, src: &str, alt: &str) -> Option<String> {
        let first = self.seen == 0;
        self.seen += 1;
        let responsive = self.images.variants.responsive(src)?;
        let lead = first && self.images.lead.is_none();
        Some(responsive.html(alt, lead))
    }
}

/// Ids the page templates give their own elements: a heading never takes one.
const TEMPLATE_IDS: &[&str] = &[
    "main",
    "comments",
    "comments-heading",
    "comment-form",
    "comment-notice",
    "reply-title",
    "subscribe-heading",
    "business-heading",
    "contact",
    "contact-heading",
    "contact-form",
    "contact-notice",
];

/// A heading's own id: an author's `{#id}` when it is plain (`[A-Za-z0-9_-]`, at most
/// 100 bytes), else a slug of it or of the text, Latin accents folded (`Qué` → `que`);
/// "section" when nothing is left.
fn heading_id(custom: Option<&str>, text: &str) -> String {
    if let Some(id) = custom {
        let plain = !id.is_empty()
            && id.len() <= Slug::MAX_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if plain {
            return id.to_owned();
        }
    }
    let folded: String = custom.unwrap_or(text).chars().map(fold_accent).collect();
    Slug::from_text(&folded)
        .map(String::from)
        .unwrap_or_else(|_| "section".into())
}

/// The unaccented letter of a common Latin one (`é` → `e`, `ñ` → `n`, `ß` → `s`).
fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'Ø' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        'ß' => 's',
        c => c,
    }
}

pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
}

fn plain_text(events: &[Event<'_>]) -> String {
    let mut text = String::new();
    for e in events {
        if let Event::Text(t) | Event::Code(t) = e {
            text.push_str(t);
        }
    }
    text
}

fn index_of_end(events: &[Event<'_>], from: usize, end: &TagEnd) -> Option<usize> {
    events[from..]
        .iter()
        .position(|e| matches!(e, Event::End(x) if x == end))
        .map(|p| from + p)
}

pub fn render_markdown(source: &str) -> RenderedMarkdown {
    render_markdown_with(source, BodyImages::none())
}

/// `render_markdown`, with images that have variants rendered responsive.
pub fn render_markdown_with(source: &str, images: BodyImages<'_>) -> RenderedMarkdown {
    let mut renderer = ImageRenderer { images, seen: 0 };
    let events: Vec<Event<'_>> =
        super::safe_url::inert_unsafe_urls(Parser::new_ext(source, options())).collect();
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut headings = Vec::new();
    let mut used_ids: HashSet<String> = TEMPLATE_IDS.iter().map(|id| (*id).to_owned()).collect();
    let mut word_count = 0;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                let end =
                    index_of_end(&events, i, &TagEnd::Heading(*level)).unwrap_or(events.len());
                let text = plain_text(&events[i + 1..end]);
                let base = heading_id(id.as_deref(), &text);
                let mut unique = base.clone();
                let mut n = 2;
                while !used_ids.insert(unique.clone()) {
                    unique = format!("{base}-{n}");
                    n += 1;
                }
                headings.push(Heading {
                    level: *level as u8,
                    id: unique.clone(),
                    text,
                });
                out.push(Event::Start(Tag::Heading {
                    level: *level,
                    id: Some(CowStr::from(unique)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                }));
                i += 1;
            }
            Event::Start(Tag::Paragraph) => {
                if let Some((figure, next)) = lone_image_figure(&events, i, &mut renderer) {
                    out.push(Event::Html(CowStr::from(figure)));
                    i = next;
                } else {
                    out.push(events[i].clone());
                    i += 1;
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                let end = index_of_end(&events, i, &TagEnd::Image).unwrap_or(events.len());
                let alt = plain_text(&events[i + 1..end]);
                match renderer.responsive(dest_url, &alt) {
                    Some(img) => {
                        out.push(Event::InlineHtml(CowStr::from(img)));
                        i = end + 1;
                    }
                    None => {
                        out.push(events[i].clone());
                        i += 1;
                    }
                }
            }
            e => {
                if let Event::Text(t) = e {
                    word_count += t.split_whitespace().count();
                }
                out.push(e.clone());
                i += 1;
            }
        }
    }
    let mut html_out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut html_out, out.into_iter());
    let toc = super::toc::Toc::of(&headings);
    let lead_image_html = images
        .lead
        .and_then(|(src, alt)| images.variants.responsive(src).map(|r| r.html(alt, true)));
    RenderedMarkdown {
        html: html_out,
        headings,
        word_count,
        toc,
        lead_image_html,
    }
}

/// A short owner-written text (the theme's footer): Markdown paragraphs, emphasis, code
/// and links. Raw HTML shows as the text it is, headings become paragraphs, images and
/// rules are dropped, and every link goes through `safe_url` (an unsafe one becomes text).
pub fn render_inline_text(source: &str) -> String {
    let events = super::safe_url::inert_unsafe_urls(Parser::new_ext(
        source,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION,
    ))
    .filter_map(|event| {
        Some(match event {
            Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
            Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
            Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) | Event::Rule => {
                return None
            }
            other => other,
        })
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// `<p><img></p>` becomes `<figure>`: returns its HTML and the index after the paragraph.
fn lone_image_figure(
    events: &[Event<'_>],
    start: usize,
    renderer: &mut ImageRenderer<'_>,
) -> Option<(String, usize)> {
    let Some(Event::Start(Tag::Image {
        dest_url, title, ..
    })) = events.get(start + 1)
    else {
        return None;
    };
    let image_end = index_of_end(events, start + 2, &TagEnd::Image)?;
    if !matches!(
        events.get(image_end + 1),
        Some(Event::End(TagEnd::Paragraph))
    ) {
        return None;
    }
    let alt = plain_text(&events[start + 2..image_end]);
    let mut figure = match renderer.responsive(dest_url, &alt) {
        Some(img) => format!("<figure>{img}"),
        None => format!(
            "<figure><img src=\"{}\" alt=\"{}\" loading=\"lazy\">",
            escape::safe_url(dest_url),
            escape::html(&alt)
        ),
    };
    if !title.is_empty() {
        figure.push_str(&format!("<figcaption>{}</figcaption>", escape::html(title)));
    }
    figure.push_str("</figure>\n");
    Some((figure, image_end + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_text_keeps_links_and_emphasis_and_never_raw_html() {
        let html = render_inline_text(
            "© Cindy *Albon* · [Privacy](/privacy) <script>alert(1)</script> [x](javascript:alert(1)) ![i](/media/a.png)\n# big",
        );
        assert!(html.contains("<em>Albon</em>"), "{html}");
        assert!(html.contains(r#"<a href="/privacy">Privacy</a>"#), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("<img") && !html.contains("<h1"), "{html}");
    }

    #[test]
    fn headings_get_unique_ids() {
        let r = render_markdown("## Weight Training\n\n## Weight Training\n\n## Custom {#mine}\n");
        assert!(
            r.html
                .contains(r#"<h2 id="weight-training">Weight Training</h2>"#),
            "{}",
            r.html
        );
        assert!(r.html.contains(r#"<h2 id="weight-training-2">"#));
        assert!(r.html.contains(r#"<h2 id="mine">"#));
        assert_eq!(r.headings.len(), 3);
    }

    #[test]
    fn heading_ids_are_percent_safe_and_never_the_templates_own() {
        let r = render_markdown(
            "## Comments\n\n## ¿Qué es la acupuntura?\n\n## 日本語\n\n## 中文\n\n## X {#über}\n\n## Y {#Mine_2}\n",
        );
        let ids: Vec<&str> = r.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "comments-2",
                "que-es-la-acupuntura",
                "section",
                "section-2",
                "uber",
                "Mine_2"
            ]
        );
        for id in ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{id}"
            );
        }
        // The same source gives the same ids: links to them keep working.
        assert_eq!(
            render_markdown("## Comments\n").headings,
            render_markdown("## Comments\n").headings
        );
    }

    #[test]
    fn a_lone_image_becomes_a_captioned_figure() {
        let r = render_markdown("![Woman's back](/media/b.jpg \"Back <Tension>\")\n");
        assert_eq!(
            r.html,
            "<figure><img src=\"/media/b.jpg\" alt=\"Woman’s back\" loading=\"lazy\"><figcaption>Back &lt;Tension&gt;</figcaption></figure>\n"
        );
        let inline = render_markdown("see ![x](/a.png) here");
        assert!(inline.html.starts_with("<p>see <img"), "{}", inline.html);
    }

    #[test]
    fn images_with_variants_get_srcset_and_only_the_lead_is_eager() {
        use crate::images::{Entry, Format, Variant, VariantsIndex};
        let mut variants = VariantsIndex::default();
        for name in ["a b.jpg", "c.jpg"] {
            let stem = name.trim_end_matches(".jpg");
            variants.images.insert(
                name.into(),
                Entry {
                    width: 2000,
                    height: 1000,
                    hash: "1a2b3c4d".into(),
                    format: Format::Jpeg,
                    variants: [480, 960, 1600]
                        .map(|w| Variant {
                            name: format!("{stem}.{w}w.1a2b3c4d.jpg"),
                            width: w,
                            height: w / 2,
                            format: Format::Jpeg,
                        })
                        .to_vec(),
                },
            );
        }
        let source = "![First](</media/a b.jpg>)\n\nSee ![inline](/media/c.jpg) and ![plain](/media/none.jpg).\n";
        let images = BodyImages {
            variants: &variants,
            lead: None,
        };
        let r = render_markdown_with(source, images);
        assert!(r.html.starts_with("<figure><img src=\"/media/a%20b.jpg\" srcset=\"/media/a%20b.480w.1a2b3c4d.jpg 480w, /media/a%20b.960w.1a2b3c4d.jpg 960w, /media/a%20b.1600w.1a2b3c4d.jpg 1600w\" sizes=\""), "{}", r.html);
        assert!(
            r.html.contains(
                "width=\"1600\" height=\"800\" alt=\"First\" fetchpriority=\"high\"></figure>"
            ),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("See <img src=\"/media/c.jpg\" srcset=\"/media/c.480w.1a2b3c4d.jpg 480w"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("alt=\"inline\" loading=\"lazy\" decoding=\"async\">"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("<img src=\"/media/none.jpg\" alt=\"plain\" />"),
            "{}",
            r.html
        );
        assert_eq!(r.lead_image_html, None);
        // With a front-matter image, that is the lead: every body image is lazy.
        let r = render_markdown_with(
            source,
            BodyImages {
                variants: &variants,
                lead: Some(("/media/c.jpg", "Lead")),
            },
        );
        assert!(!r.html.contains("fetchpriority"), "{}", r.html);
        assert_eq!(r.html.matches("loading=\"lazy\"").count(), 2, "{}", r.html);
        let lead = r.lead_image_html.unwrap();
        assert!(
            lead.contains("alt=\"Lead\" fetchpriority=\"high\">"),
            "{lead}"
        );
        // Without variants, as before.
        assert_eq!(
            render_markdown(source).html,
            render_markdown_with(source, BodyImages::none()).html
        );
        assert!(render_markdown(source)
            .html
            .starts_with("<figure><img src=\"/media/a b.jpg\" alt=\"First\" loading=\"lazy\">"));
    }

    #[test]
    fn tables_and_footnotes_render() {
        let r = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: Note.\n");
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("footnote-definition"), "{}", r.html);
    }

    #[test]
    fn javascript_image_urls_are_neutralised() {
        let r = render_markdown("![x](javascript:alert(1))\n");
        assert!(!r.html.contains("javascript:"), "{}", r.html);
    }

    #[test]
    fn unsafe_links_and_images_become_their_text() {
        for source in [
            "[click](javascript:alert(1))",
            "[click](JAVASCRIPT:alert(1))",
            "[click](&#106;avascript:alert(1))",
            "[click](javascript&#58;alert(1))",
            "[click](<java\tscript:alert(1)>)",
            "[click](vbscript:msgbox)",
            "[click](data:text/html,x)",
            "[click](file:///etc/passwd)",
            "[click][r]\n\n[r]: javascript:alert(1)",
            "<javascript:alert(1)>",
        ] {
            let r = render_markdown(source);
            assert!(!r.html.contains("<a"), "{source}: {}", r.html);
            assert!(
                !r.html.to_ascii_lowercase().contains("href"),
                "{source}: {}",
                r.html
            );
        }
        let r = render_markdown("a [b *c*](javascript:x) d");
        assert_eq!(r.html, "<p>a b <em>c</em> d</p>\n");
        let r = render_markdown("![alt text](data:image/png;base64,AAAA)\n");
        assert_eq!(r.html, "<p>alt text</p>\n");
        let r = render_markdown("[ok](/about) [mail](mailto:a@example.com) [tel](tel:+49301)");
        assert_eq!(r.html.matches("<a href").count(), 3, "{}", r.html);
    }
}
