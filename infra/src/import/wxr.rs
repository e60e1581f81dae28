//! Streams a WordPress eXtended RSS export (WXR) one `<item>` at a time with quick-xml,
//! so an export of any size is never held in memory whole.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::io::BufRead;

/// Where an item starts in the export: its number (1-based, counting every `<item>`)
/// and the byte offset of its `<item>` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub item: usize,
    pub offset: u64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "item {} (byte {})", self.item, self.offset)
    }
}

/// A `<category>` of an item: WordPress categories (`domain="category"`) and tags
/// (`domain="post_tag"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Category {
    pub domain: String,
    pub nicename: String,
    pub name: String,
}

/// One `<wp:comment>`, every field as the export spells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrComment {
    pub id: String,
    pub author: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub date: String,
    pub date_gmt: String,
    pub content: String,
    /// `1` approved, `0` pending, `spam`, `trash`, `post-trashed`.
    pub approved: String,
    /// Empty or `comment` for comments; `pingback`, `trackback` otherwise.
    pub kind: String,
    pub parent: String,
}

/// One `<item>`: a post, page or attachment, every field as the export spells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrItem {
    pub position: Option<Position>,
    pub title: String,
    pub link: String,
    pub content: String,
    pub excerpt: String,
    pub post_id: String,
    pub post_date: String,
    pub post_date_gmt: String,
    pub post_name: String,
    /// `publish`, `draft`, `pending`, `future`, `private`, `trash`, `inherit`, ...
    pub status: String,
    /// `post`, `page`, `attachment`, `nav_menu_item`, ...
    pub post_type: String,
    pub comment_status: String,
    pub attachment_url: String,
    /// `wp:post_parent` (an attachment's post), `0` for none.
    pub post_parent: String,
    /// `dc:creator` (the author's login, as in `/author/<login>/`).
    pub creator: String,
    pub categories: Vec<Category>,
    /// `_thumbnail_id` (the featured image's attachment id).
    pub thumbnail_id: String,
    /// `_wp_attachment_image_alt` (an attachment's alt text).
    pub image_alt: String,
    /// `wp:menu_order` (a menu item's place in its menu).
    pub menu_order: String,
    /// A menu item's `_menu_item_*` metadata (`type`, `object`, `object_id`, `url`,
    /// `menu_item_parent`), keyed without the prefix.
    pub menu_item: Vec<(String, String)>,
    pub comments: Vec<WxrComment>,
}

impl WxrItem {
    /// A `_menu_item_<key>` value, empty if absent.
    pub fn menu_meta(&self, key: &str) -> &str {
        self.menu_item
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }
}

/// The export's `<channel>`: the site it came from, and its terms (categories, tags,
/// menus) with their ids, which menu items refer to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channel {
    pub title: String,
    pub link: String,
    pub description: String,
    pub language: String,
    pub base_site_url: String,
    pub base_blog_url: String,
    pub terms: Vec<Term>,
}

/// A `<wp:category>`, `<wp:tag>` or `<wp:term>` of the channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    pub id: String,
    /// `category`, `post_tag`, `nav_menu`, ...
    pub taxonomy: String,
    pub slug: String,
    pub name: String,
}

/// An item that could not be read; the reader goes on with the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub position: Position,
    pub reason: String,
}

/// Reads items from a WXR stream, one at a time.
pub struct WxrReader<R: BufRead> {
    reader: Reader<R>,
    buf: Vec<u8>,
    items: usize,
    finished: bool,
    channel: Channel,
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(source: R) -> WxrReader<R> {
        let mut reader = Reader::from_reader(source);
        // Mismatched end tags are found (and recovered from) here, item by item.
        reader.config_mut().check_end_names = false;
        WxrReader {
            reader,
            buf: Vec::with_capacity(64 * 1024),
            items: 0,
            finished: false,
            channel: Channel::default(),
        }
    }

    /// The channel's fields read so far (all of them once the first item is read, as
    /// WordPress writes them before any item).
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// The text of the element just opened, up to its end tag (nested tags skipped).
    fn read_text(&mut self, name: &[u8]) -> Result<String, quick_xml::Error> {
        let mut text = String::new();
        let mut depth = 0usize;
        loop {
            self.buf.clear();
            match self.reader.read_event_into(&mut self.buf)? {
                Event::Text(t) => text.push_str(&t.xml10_content().unwrap_or_default()),
                Event::CData(c) => text.push_str(&c.decode().unwrap_or_default()),
                Event::GeneralRef(r) => match r.resolve_char_ref() {
                    Ok(Some(c)) => text.push(c),
                    _ => {
                        let entity = String::from_utf8_lossy(&r).into_owned();
                        if let Some(s) = quick_xml::escape::resolve_predefined_entity(&entity) {
                            text.push_str(s);
                        }
                    }
                },
                Event::Start(_) => depth += 1,
                Event::End(e) if depth == 0 && e.name().as_ref() == name => return Ok(text),
                Event::End(_) => depth = depth.saturating_sub(1),
                Event::Eof => return Ok(text),
                _ => {}
            }
        }
    }

    /// A channel-level `<wp:category>` / `<wp:tag>` / `<wp:term>`.
    fn read_term(&mut self, name: &[u8]) -> Result<Term, quick_xml::Error> {
        let mut term = Term {
            taxonomy: match name {
                b"wp:category" => "category".into(),
                b"wp:tag" => "post_tag".into(),
                _ => String::new(),
            },
            ..Term::default()
        };
        loop {
            self.buf.clear();
            let child = match self.reader.read_event_into(&mut self.buf)? {
                Event::Start(e) => e.name().as_ref().to_vec(),
                Event::End(e) if e.name().as_ref() == name => return Ok(term),
                Event::Eof => return Ok(term),
                _ => continue,
            };
            let text = self.read_text(&child)?.trim().to_owned();
            match child.as_slice() {
                b"wp:term_id" => term.id = text,
                b"wp:term_taxonomy" => term.taxonomy = text,
                b"wp:category_nicename" | b"wp:tag_slug" | b"wp:term_slug" => term.slug = text,
                b"wp:cat_name" | b"wp:tag_name" | b"wp:term_name" => {
                    term.name = super::post::decode_entities(&text)
                }
                _ => {}
            }
        }
    }

    /// Bytes of the export read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn read_item(&mut self, position: Position) -> Result<WxrItem, Malformed> {
        let mut item = WxrItem {
            position: Some(position),
            ..WxrItem::default()
        };
        let mut stack: Vec<Vec<u8>> = Vec::new();
        let mut text = String::new();
        let mut comment: Option<WxrComment> = None;
        let mut category = Category::default();
        let mut meta_key = String::new();
        let mut meta_value = String::new();
        let mut problem: Option<String> = None;
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => {
                    // A syntax error leaves the rest of the document unreliable.
                    self.finished = true;
                    return Err(Malformed {
                        position,
                        reason: format!(
                            "not well-formed XML at byte {}: {e}",
                            self.reader.error_position()
                        ),
                    });
                }
            };
            match event {
                Event::Start(e) => {
                    text.clear();
                    if e.name().as_ref() == b"wp:comment" {
                        comment = Some(WxrComment::default());
                    } else if e.name().as_ref() == b"category" {
                        category = category_attributes(&e);
                    }
                    stack.push(e.name().as_ref().to_vec());
                }
                Event::Empty(e) => {
                    let parent = stack.last().map(Vec::as_slice);
                    let mut empty = String::new();
                    if e.name().as_ref() == b"category" {
                        category = category_attributes(&e);
                    }
                    assign(
                        &mut item,
                        &mut comment,
                        &mut category,
                        &mut meta_key,
                        &mut meta_value,
                        parent,
                        e.name().as_ref(),
                        &mut empty,
                    );
                }
                Event::Text(t) => match t.xml10_content() {
                    Ok(s) => text.push_str(&s),
                    Err(e) => problem = problem.or(Some(format!("text is not UTF-8: {e}"))),
                },
                Event::CData(c) => match c.decode() {
                    Ok(s) => text.push_str(&s),
                    Err(e) => problem = problem.or(Some(format!("CDATA is not UTF-8: {e}"))),
                },
                Event::GeneralRef(r) => match r.resolve_char_ref() {
                    Ok(Some(c)) => text.push(c),
                    _ => {
                        let name = String::from_utf8_lossy(&r).into_owned();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => text.push_str(s),
                            None => {
                                problem = problem.or(Some(format!("unknown entity `&{name};`")));
                            }
                        }
                    }
                },
                Event::End(e) => {
                    let name = e.name().as_ref().to_vec();
                    if stack.is_empty() && name == b"item" {
                        return match problem {
                            None => Ok(item),
                            Some(reason) => Err(Malformed { position, reason }),
                        };
                    }
                    match stack.iter().rposition(|open| *open == name) {
                        Some(at) => {
                            if at + 1 != stack.len() {
                                problem = problem.or(Some(format!(
                                    "<{}> is never closed",
                                    String::from_utf8_lossy(&stack[at + 1])
                                )));
                            }
                            stack.truncate(at);
                            let parent = stack.last().map(Vec::as_slice);
                            assign(
                                &mut item,
                                &mut comment,
                                &mut category,
                                &mut meta_key,
                                &mut meta_value,
                                parent,
                                &name,
                                &mut text,
                            );
                            text.clear();
                        }
                        None if name == b"item" => {
                            let reason = problem.unwrap_or_else(|| {
                                format!(
                                    "<{}> is never closed",
                                    String::from_utf8_lossy(&stack[stack.len() - 1])
                                )
                            });
                            return Err(Malformed { position, reason });
                        }
                        None => {
                            problem = problem.or(Some(format!(
                                "</{}> closes nothing that is open",
                                String::from_utf8_lossy(&name)
                            )));
                        }
                    }
                }
                Event::Eof => {
                    self.finished = true;
                    return Err(Malformed {
                        position,
                        reason: "the export ends inside this item (is the file complete?)".into(),
                    });
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }
}

fn category_attributes(e: &BytesStart<'_>) -> Category {
    let mut category = Category::default();
    for attr in e.attributes().flatten() {
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_default();
        match attr.key.as_ref() {
            b"domain" => category.domain = value,
            b"nicename" => category.nicename = value,
            _ => {}
        }
    }
    category
}

/// Files the text of a just-closed element under its field.
#[allow(clippy::too_many_arguments)]
fn assign(
    item: &mut WxrItem,
    comment: &mut Option<WxrComment>,
    category: &mut Category,
    meta_key: &mut String,
    meta_value: &mut String,
    parent: Option<&[u8]>,
    name: &[u8],
    text: &mut String,
) {
    let take = std::mem::take(text);
    match (parent, name) {
        (None, b"title") => item.title = take,
        (None, b"link") => item.link = take,
        (None, b"content:encoded") => item.content = take,
        (None, b"excerpt:encoded") => item.excerpt = take,
        (None, b"wp:post_id") => item.post_id = take,
        (None, b"wp:post_date") => item.post_date = take,
        (None, b"wp:post_date_gmt") => item.post_date_gmt = take,
        (None, b"wp:post_name") => item.post_name = take,
        (None, b"wp:status") => item.status = take,
        (None, b"wp:post_type") => item.post_type = take,
        (None, b"wp:comment_status") => item.comment_status = take,
        (None, b"wp:attachment_url") => item.attachment_url = take,
        (None, b"wp:post_parent") => item.post_parent = take,
        (None, b"dc:creator") => item.creator = take,
        (None, b"wp:menu_order") => item.menu_order = take,
        (None, b"category") => {
            let mut c = std::mem::take(category);
            c.name = take;
            item.categories.push(c);
        }
        (Some(b"wp:postmeta"), b"wp:meta_key") => *meta_key = take,
        (Some(b"wp:postmeta"), b"wp:meta_value") => *meta_value = take,
        (None, b"wp:postmeta") => {
            // Only the metadata the import uses is kept: some plugins store megabytes here.
            match meta_key.as_str() {
                "_thumbnail_id" => item.thumbnail_id = std::mem::take(meta_value),
                "_wp_attachment_image_alt" => item.image_alt = std::mem::take(meta_value),
                key if key.starts_with("_menu_item_") => item.menu_item.push((
                    key["_menu_item_".len()..].to_owned(),
                    std::mem::take(meta_value),
                )),
                _ => {}
            }
            meta_key.clear();
            meta_value.clear();
        }
        (Some(b"wp:comment"), field) => {
            if let Some(c) = comment.as_mut() {
                match field {
                    b"wp:comment_id" => c.id = take,
                    b"wp:comment_author" => c.author = take,
                    b"wp:comment_author_email" => c.author_email = take,
                    b"wp:comment_author_url" => c.author_url = take,
                    b"wp:comment_author_IP" => c.author_ip = take,
                    b"wp:comment_date" => c.date = take,
                    b"wp:comment_date_gmt" => c.date_gmt = take,
                    b"wp:comment_content" => c.content = take,
                    b"wp:comment_approved" => c.approved = take,
                    b"wp:comment_type" => c.kind = take,
                    b"wp:comment_parent" => c.parent = take,
                    _ => {}
                }
            }
        }
        (None, b"wp:comment") => {
            if let Some(c) = comment.take() {
                item.comments.push(c);
            }
        }
        _ => {}
    }
}

impl<R: BufRead> Iterator for WxrReader<R> {
    type Item = Result<WxrItem, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item()
    }
}

impl<R: BufRead> WxrReader<R> {
    /// The next item, or why it could not be read; `None` at the end of the export.
    pub fn next_item(&mut self) -> Option<Result<WxrItem, Malformed>> {
        while !self.finished {
            let offset = self.reader.buffer_position();
            self.buf.clear();
            match self.reader.read_event_into(&mut self.buf) {
                Ok(Event::Start(e)) if e.name().as_ref() == b"item" => {
                    self.items += 1;
                    let position = Position {
                        item: self.items,
                        offset,
                    };
                    return Some(self.read_item(position));
                }
                Ok(Event::Start(e)) => {
                    let name = e.name().as_ref().to_vec();
                    let read = match name.as_slice() {
                        b"wp:category" | b"wp:tag" | b"wp:term" => {
                            self.read_term(&name).map(|t| self.channel.terms.push(t))
                        }
                        b"title" | b"link" | b"description" | b"language" | b"wp:base_site_url"
                        | b"wp:base_blog_url" => self.read_text(&name).map(|text| {
                            let text = text.trim().to_owned();
                            let c = &mut self.channel;
                            match name.as_slice() {
                                b"title" => c.title = super::post::decode_entities(&text),
                                b"link" => c.link = text,
                                b"description" => {
                                    c.description = super::post::decode_entities(&text)
                                }
                                b"language" => c.language = text,
                                b"wp:base_site_url" => c.base_site_url = text,
                                _ => c.base_blog_url = text,
                            }
                        }),
                        // `<image>` (the site icon) has a title and link of its own.
                        b"image" => self.read_text(&name).map(|_| ()),
                        _ => Ok(()),
                    };
                    if let Err(e) = read {
                        self.finished = true;
                        return Some(Err(Malformed {
                            position: Position {
                                item: self.items + 1,
                                offset: self.reader.error_position(),
                            },
                            reason: format!(
                                "not well-formed XML: {e}; the rest of the export is unreadable"
                            ),
                        }));
                    }
                }
                Ok(Event::Eof) => self.finished = true,
                Ok(_) => {}
                Err(e) => {
                    self.finished = true;
                    return Some(Err(Malformed {
                        position: Position {
                            item: self.items + 1,
                            offset: self.reader.error_position(),
                        },
                        reason: format!(
                            "not well-formed XML: {e}; the rest of the export is unreadable"
                        ),
                    }));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Clinic</title>
  <item>
    <title>Caf&#233; &amp; tea</title>
    <content:encoded><![CDATA[<p>Hi</p>]]></content:encoded>
    <wp:post_id>7</wp:post_id>
    <category domain="post_tag" nicename="tea"><![CDATA[Tea]]></category>
    <wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>9</wp:meta_value></wp:postmeta>
    <wp:postmeta><wp:meta_key>_edit_lock</wp:meta_key><wp:meta_value>1</wp:meta_value></wp:postmeta>
    <wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_content>Nice</wp:comment_content><wp:comment_parent>0</wp:comment_parent></wp:comment>
  </item>
  <item><title>Broken <b>bold</title><wp:post_id>8</wp:post_id></item>
  <item><title>After</title><wp:post_password/></item>
</channel>
</rss>"#;

    #[test]
    fn items_stream_one_at_a_time_and_a_broken_one_is_skipped() {
        let items: Vec<_> = WxrReader::new(EXPORT.as_bytes()).collect();
        assert_eq!(items.len(), 3);
        let first = items[0].as_ref().unwrap();
        assert_eq!(first.title, "Café & tea");
        assert_eq!(first.content, "<p>Hi</p>");
        assert_eq!(first.post_id, "7");
        assert_eq!(first.thumbnail_id, "9");
        assert_eq!(
            first.categories,
            vec![Category {
                domain: "post_tag".into(),
                nicename: "tea".into(),
                name: "Tea".into()
            }]
        );
        assert_eq!(first.comments.len(), 1);
        assert_eq!(first.comments[0].content, "Nice");
        let broken = items[1].as_ref().unwrap_err();
        assert_eq!(broken.position.item, 2);
        assert_eq!(&EXPORT[broken.position.offset as usize..][..6], "<item>");
        assert!(broken.reason.contains("<b>"), "{}", broken.reason);
        assert_eq!(items[2].as_ref().unwrap().title, "After");
    }

    #[test]
    fn a_truncated_export_reports_the_item_it_ends_in() {
        let cut = &EXPORT[..EXPORT.find("<wp:comment>").unwrap()];
        let items: Vec<_> = WxrReader::new(cut.as_bytes()).collect();
        assert_eq!(items.len(), 1);
        assert!(items[0]
            .as_ref()
            .unwrap_err()
            .reason
            .contains("ends inside"));
    }
}
