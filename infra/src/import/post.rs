//! A WordPress item to a lambdapress post: which items are posts, their slug, date,
//! tags, summary and featured image, and the `posts/<slug>.md` source written for them
//! in the front-matter format of `README.md`.

use super::links::Links;
use super::markdown::Converter;
use super::wxr::WxrItem;
use lambdapress::domain::{Image, Post, Slug, Tag};
use std::collections::HashMap;
use std::fmt::Write as _;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Media an export lists as attachments, by WordPress id: where a featured image points.
#[derive(Debug, Default)]
pub struct Attachments(HashMap<String, Attachment>);

#[derive(Debug, Clone)]
pub struct Attachment {
    pub url: String,
    pub alt: String,
    pub title: String,
    pub caption: String,
}

impl Attachments {
    pub fn add(&mut self, item: &WxrItem) {
        if item.post_type == "attachment" && !item.attachment_url.is_empty() {
            self.0.insert(
                item.post_id.trim().to_owned(),
                Attachment {
                    url: item.attachment_url.trim().to_owned(),
                    alt: decode_entities(item.image_alt.trim()),
                    title: decode_entities(item.title.trim()),
                    caption: item.excerpt.trim().to_owned(),
                },
            );
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Every attachment's file URL.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(|a| a.url.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why an item is not imported as a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAPost {
    /// Media: the file is copied, the item itself is not content.
    Attachment,
    /// A menu item, reusable block, ...: not content lambdapress keeps.
    OtherType(String),
    Trashed,
    /// WordPress's placeholder for a post that was never written.
    AutoDraft,
    UnknownStatus(String),
    /// The item is a post but a field cannot be read.
    Malformed(String),
}

impl NotAPost {
    /// The reason as the summary lists it (counted, so without item specifics).
    pub fn summary_reason(&self) -> String {
        match self {
            NotAPost::Attachment => "attachment items (their files are copied as media)".into(),
            NotAPost::OtherType(t) => {
                format!("items of type `{t}` (only posts, pages, menus and media are imported)")
            }
            NotAPost::Trashed => "posts in the trash".into(),
            NotAPost::AutoDraft => "auto-drafts (never written)".into(),
            NotAPost::UnknownStatus(s) => format!("posts with status `{s}`"),
            NotAPost::Malformed(_) => "malformed items".into(),
        }
    }
}

/// A post ready to be written.
#[derive(Debug, Clone)]
pub struct MappedPost {
    pub slug: Slug,
    pub wp_id: String,
    pub draft: bool,
    pub date: OffsetDateTime,
    /// The tags kept (their pages are where category and tag archives now go).
    pub tags: Vec<Tag>,
    /// The whole `posts/<slug>.md` file.
    pub source: String,
    /// Things the owner may want to check (a tag that has no slug, a missing image).
    pub notes: Vec<String>,
}

/// Slugs given out in this run, so two WordPress posts never share one. Collisions are
/// settled by WordPress id, so the same export always gives the same slugs.
#[derive(Debug, Default)]
pub struct Slugs(HashMap<Slug, String>);

impl Slugs {
    pub fn claim(&mut self, wanted: Slug, wp_id: &str) -> Slug {
        let owner = self
            .0
            .entry(wanted.clone())
            .or_insert_with(|| wp_id.to_owned());
        if owner == wp_id {
            return wanted;
        }
        let base = lambdapress::domain::truncate_on_char(wanted.as_str(), Slug::MAX_LEN - 21);
        let alternative = Slug::parse(&format!("{}-{wp_id}", base.trim_end_matches('-')))
            .or_else(|_| Slug::parse(&format!("post-{wp_id}")))
            .unwrap_or(wanted);
        self.0.insert(alternative.clone(), wp_id.to_owned());
        alternative
    }
}

pub const SUMMARY_WORDS: usize = 55;

/// What a post item will be, known before its body is converted: the first pass of the
/// import plans every post so links between them can be rewritten.
#[derive(Debug, Clone)]
pub struct PlannedPost {
    pub slug: Slug,
    pub wp_id: String,
    pub draft: bool,
    pub date: OffsetDateTime,
    pub title: String,
    pub tags: Vec<Tag>,
    pub notes: Vec<String>,
}

/// Plans one item. Only `post` items with a live or draft status become posts.
pub fn plan_post(
    item: &WxrItem,
    slugs: &mut Slugs,
    converter: &Converter,
) -> Result<PlannedPost, NotAPost> {
    match item.post_type.as_str() {
        "post" => {}
        "attachment" => return Err(NotAPost::Attachment),
        other => return Err(NotAPost::OtherType(other.to_owned())),
    }
    let draft = live_or_draft(&item.status)?;
    let wp_id = numeric_id(item)?;
    let date = parse_wp_date(&item.post_date_gmt)
        .or_else(|| parse_wp_date(&item.post_date))
        .ok_or_else(|| {
            NotAPost::Malformed(format!(
                "no readable date (wp:post_date_gmt `{}`, wp:post_date `{}`)",
                item.post_date_gmt, item.post_date
            ))
        })?;
    let mut notes = Vec::new();
    let title = decode_entities(&converter.plain_text(&item.title));
    let title = if title.is_empty() {
        notes.push("it has no title; it is called \"(no title)\"".to_owned());
        "(no title)".to_owned()
    } else {
        title
    };
    let wanted = wanted_slug(&item.post_name, &title, wp_id);
    let slug = slugs.claim(wanted.clone(), wp_id);
    if slug != wanted {
        notes.push(format!(
            "slug `{wanted}` is taken by another post in the export; it is `{slug}`"
        ));
    }

    let mut tags: Vec<Tag> = Vec::new();
    for category in &item.categories {
        if !matches!(category.domain.as_str(), "category" | "post_tag")
            || category.nicename == "uncategorized"
        {
            continue;
        }
        let name = decode_entities(category.name.trim());
        match Tag::parse(&name) {
            Ok(tag) if tags.iter().any(|t| t.slug == tag.slug) => {}
            Ok(tag) if tags.len() == 20 => {
                notes.push(format!(
                    "tag \"{}\" dropped: a post has at most 20",
                    tag.name
                ));
            }
            Ok(tag) => tags.push(tag),
            Err(lambdapress::domain::SlugError::Empty) => notes.push(format!(
                "tag \"{name}\" dropped: it has no letters or digits to make its page address from"
            )),
            Err(e) => notes.push(format!("tag \"{name}\" dropped: {e}")),
        }
    }

    Ok(PlannedPost {
        slug,
        wp_id: wp_id.to_owned(),
        draft,
        date,
        title,
        tags,
        notes,
    })
}

/// `publish` and `future` are live; `draft`, `pending` and `private` drafts.
pub fn live_or_draft(status: &str) -> Result<bool, NotAPost> {
    match status {
        "publish" | "future" => Ok(false),
        "draft" | "pending" | "private" => Ok(true),
        "trash" => Err(NotAPost::Trashed),
        "auto-draft" => Err(NotAPost::AutoDraft),
        other => Err(NotAPost::UnknownStatus(other.to_owned())),
    }
}

/// `wp:post_id`, which must be a number.
pub fn numeric_id(item: &WxrItem) -> Result<&str, NotAPost> {
    let wp_id = item.post_id.trim();
    if wp_id.is_empty() || !wp_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NotAPost::Malformed(format!(
            "wp:post_id `{wp_id}` is not a number"
        )));
    }
    Ok(wp_id)
}

/// Maps one item, its links (and featured image) pointing at the new site.
pub fn map_post(
    item: &WxrItem,
    attachments: &Attachments,
    slugs: &mut Slugs,
    converter: &Converter,
    links: &Links,
) -> Result<MappedPost, NotAPost> {
    let PlannedPost {
        slug,
        wp_id,
        draft,
        date,
        title,
        tags,
        mut notes,
    } = plan_post(item, slugs, converter)?;
    let content = links.rewrite_html(&item.content);
    let body = converter.post_body(&content);
    let mut summary = converter.plain_text(&item.excerpt);
    if summary.is_empty() {
        summary = first_words(&converter.first_paragraph(&content), SUMMARY_WORDS);
    }

    let image = if item.thumbnail_id.trim().is_empty() {
        None
    } else if let Some(a) = attachments.0.get(item.thumbnail_id.trim()) {
        let alt = [&a.alt, &a.title, &title]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .cloned()
            .unwrap_or_default();
        let caption = converter.plain_text(&a.caption);
        Some(Image {
            src: links.new_url(&a.url).unwrap_or_else(|| a.url.clone()),
            alt,
            caption: (!caption.is_empty()).then_some(caption),
        })
    } else {
        notes.push(format!(
            "featured image (attachment {}) is not in the export",
            item.thumbnail_id.trim()
        ));
        None
    };

    let source = front_matter(
        &title,
        date,
        &summary,
        &tags,
        item.comment_status != "closed",
        draft,
        image.as_ref(),
    ) + "\n"
        + &body;
    // What is written must read back: the same parser the site uses checks it now.
    Post::parse(slug.clone(), &source).map_err(|e| NotAPost::Malformed(e.to_string()))?;
    Ok(MappedPost {
        slug,
        wp_id,
        draft,
        date,
        tags,
        source,
        notes,
    })
}

/// `wp:post_name` when it is a slug; else one made from it (percent-decoded, as
/// WordPress stores non-ASCII slugs: `c%c3%b3mo-dormir` is `cómo-dormir`) or from the
/// title; else `post-<id>`.
pub fn wanted_slug(post_name: &str, title: &str, wp_id: &str) -> Slug {
    let name = post_name.trim();
    if let Ok(slug) = Slug::parse(name) {
        return slug;
    }
    let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    Slug::parse(&decoded)
        .or_else(|_| Slug::from_name(&decoded))
        .or_else(|_| Slug::from_name(title))
        .or_else(|_| Slug::parse(&format!("post-{wp_id}")))
        .expect("post-<digits> is a slug")
}

/// WordPress's `2024-03-12 09:00:00`; `0000-00-00 00:00:00` (an unscheduled draft) is none.
pub fn parse_wp_date(s: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(s.trim(), format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

pub fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= n {
        words.join(" ")
    } else {
        format!("{}…", words[..n].join(" "))
    }
}

/// Decodes HTML character references (`&amp;`, `&#8217;`, `&eacute;`) WordPress leaves
/// in titles and term names.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let decoded = tail.find(';').filter(|end| *end <= 32).and_then(|end| {
            let name = &tail[..end];
            let text = if let Some(num) = name.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                };
                code.and_then(char::from_u32).map(String::from)
            } else {
                quick_xml::escape::resolve_html5_entity(name).map(str::to_owned)
            };
            text.map(|t| (t, end + 1))
        });
        match decoded {
            Some((text, len)) => {
                out.push_str(&text);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The front matter exactly as `infra/sample-content/posts/*.md` writes it.
fn front_matter(
    title: &str,
    date: OffsetDateTime,
    summary: &str,
    tags: &[Tag],
    comments: bool,
    draft: bool,
    image: Option<&Image>,
) -> String {
    let mut out = String::from("+++\n");
    let _ = writeln!(out, "title = {}", toml_string(title));
    let _ = writeln!(
        out,
        "date = {}",
        lambdapress::domain::time_fmt::rfc3339(date)
    );
    let _ = writeln!(out, "summary = {}", toml_string(summary));
    let tags: Vec<String> = tags.iter().map(|t| toml_string(&t.name)).collect();
    let _ = writeln!(out, "tags = [{}]", tags.join(", "));
    let _ = writeln!(out, "comments = {comments}");
    if draft {
        out.push_str("draft = true\n");
    }
    if let Some(image) = image {
        out.push_str("[image]\n");
        let _ = writeln!(out, "src = {}", toml_string(&image.src));
        let _ = writeln!(out, "alt = {}", toml_string(&image.alt));
        if let Some(caption) = &image.caption {
            let _ = writeln!(out, "caption = {}", toml_string(caption));
        }
    }
    out.push_str("+++\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_decode_and_stray_ampersands_stay() {
        assert_eq!(decode_entities("Food &amp; Drink"), "Food & Drink");
        assert_eq!(decode_entities("It&#8217;s &eacute;t&#xE9;"), "It’s été");
        assert_eq!(decode_entities("R&D & more &nope;"), "R&D & more &nope;");
    }

    #[test]
    fn slugs_come_from_the_post_name_title_or_id() {
        assert_eq!(
            wanted_slug("muscle-knots", "x", "1").as_str(),
            "muscle-knots"
        );
        // WordPress stores a UTF-8 slug percent-encoded, in either case of hex.
        assert_eq!(
            wanted_slug("caf%c3%a9-au-lait", "x", "1").as_str(),
            "café-au-lait"
        );
        assert_eq!(
            wanted_slug("c%C3%B3mo-dormir", "x", "1").as_str(),
            "cómo-dormir"
        );
        assert_eq!(
            wanted_slug("", "Winter Hours!", "1").as_str(),
            "winter-hours"
        );
        assert_eq!(wanted_slug("", "日本語", "42").as_str(), "日本語");
        assert_eq!(wanted_slug("", "¿?", "42").as_str(), "post-42");
        // Not UTF-8 once decoded: the title's slug, not a U+FFFD one.
        assert_eq!(wanted_slug("%ff%fe", "Sueño", "7").as_str(), "sueño");
    }

    #[test]
    fn a_colliding_utf8_slug_is_cut_on_a_character() {
        let mut slugs = Slugs::default();
        let long = Slug::parse(&"ñ".repeat(50)).unwrap();
        assert_eq!(slugs.claim(long.clone(), "1"), long);
        let other = slugs.claim(long, "2");
        assert!(other.as_str().ends_with("-2"), "{other}");
        assert!(other.as_str().starts_with("ññ"), "{other}");
    }

    #[test]
    fn colliding_slugs_are_settled_by_wordpress_id() {
        let mut slugs = Slugs::default();
        let a = Slug::parse("hours").unwrap();
        assert_eq!(slugs.claim(a.clone(), "5").as_str(), "hours");
        assert_eq!(slugs.claim(a.clone(), "9").as_str(), "hours-9");
        assert_eq!(slugs.claim(a, "5").as_str(), "hours");
    }

    #[test]
    fn toml_strings_escape_what_they_must() {
        assert_eq!(toml_string("a \"b\" \\ c\n"), r#""a \"b\" \\ c\n""#);
    }

    #[test]
    fn wordpress_dates_are_utc_and_zero_dates_are_none() {
        assert_eq!(
            parse_wp_date("2024-03-12 09:00:00"),
            Some(time::macros::datetime!(2024-03-12 09:00 UTC))
        );
        assert_eq!(parse_wp_date("0000-00-00 00:00:00"), None);
    }
}
