//! WordPress post and comment HTML to Markdown: block marks stripped, shortcodes
//! expanded, auto-paragraphs applied, then `htmd` converts. A figure (a `[caption]` or a
//! block-editor image) becomes an image alone in its paragraph with the caption as its
//! title, which is how lambdapress writes figures.

use super::{shortcodes, wpautop};
use htmd::element_handler::{HandlerResult, Handlers};
use htmd::{Element, HtmlToMarkdown};
use markup5ever_rcdom_038::{Node, NodeData};
use std::rc::Rc;

/// Converts HTML to Markdown; built once per import.
pub struct Converter {
    html: HtmlToMarkdown,
}

impl Default for Converter {
    fn default() -> Self {
        Converter::new()
    }
}

impl Converter {
    pub fn new() -> Converter {
        let html = HtmlToMarkdown::builder()
            .skip_tags(vec![
                "script", "style", "noscript", "object", "embed", "form", "button", "input",
                "select", "textarea", "head",
            ])
            .add_handler(vec!["figure"], figure)
            .add_handler(vec!["iframe", "video", "audio"], media)
            .build();
        Converter { html }
    }

    /// A post's `content:encoded` as Markdown.
    pub fn post_body(&self, content: &str) -> String {
        self.convert(&post_html(content))
    }

    /// The text of a post's first paragraph: its summary when the export has no excerpt.
    pub fn first_paragraph(&self, content: &str) -> String {
        let Ok(tree) = self.html.html_to_tree(&post_html(content)) else {
            return String::new();
        };
        let mut paragraphs = Vec::new();
        find_all(&tree, "p", &mut paragraphs);
        paragraphs
            .iter()
            .map(|p| {
                let mut text = String::new();
                collect_text(p, &mut text);
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .find(|text| !text.is_empty())
            .unwrap_or_default()
    }

    /// A comment's text (WordPress shows comments through `wpautop` too) as Markdown.
    pub fn comment_body(&self, content: &str) -> String {
        self.convert(&wpautop::autop(content))
    }

    /// Plain text of an HTML fragment (excerpts, titles): tags dropped, entities decoded,
    /// whitespace collapsed.
    pub fn plain_text(&self, html: &str) -> String {
        let tree = match self.html.html_to_tree(html) {
            Ok(tree) => tree,
            Err(_) => return html.to_owned(),
        };
        let mut text = String::new();
        collect_text(&tree, &mut text);
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn convert(&self, html: &str) -> String {
        let mut markdown = self.html.convert(html).unwrap_or_default();
        let trimmed = markdown.trim_end().len();
        markdown.truncate(trimmed);
        if !markdown.is_empty() {
            markdown.push('\n');
        }
        markdown
    }
}

/// A post's HTML as WordPress shows it: block marks stripped (block-editor posts carry
/// their own paragraphs), or shortcodes expanded and auto-paragraphs applied.
fn post_html(content: &str) -> String {
    if wpautop::has_blocks(content) {
        shortcodes::expand(&wpautop::strip_block_comments(content))
    } else {
        wpautop::autop(&shortcodes::expand(content))
    }
}

fn find_all(node: &Rc<Node>, tag: &str, found: &mut Vec<Rc<Node>>) {
    for child in node.children.borrow().iter() {
        if is_element(child, tag) {
            found.push(child.clone());
        } else {
            find_all(child, tag, found);
        }
    }
}

fn attr(node: &Node, name: &str) -> Option<String> {
    match &node.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| a.name.local.as_ref() == name)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

fn is_element(node: &Node, tag: &str) -> bool {
    matches!(&node.data, NodeData::Element { name, .. } if name.local.as_ref() == tag)
}

fn find_descendant(node: &Rc<Node>, tag: &str) -> Option<Rc<Node>> {
    for child in node.children.borrow().iter() {
        if is_element(child, tag) {
            return Some(child.clone());
        }
        if let Some(found) = find_descendant(child, tag) {
            return Some(found);
        }
    }
    None
}

fn collect_text(node: &Rc<Node>, out: &mut String) {
    if let NodeData::Text { contents } = &node.data {
        out.push_str(&contents.borrow());
    }
    if is_element(node, "script") || is_element(node, "style") {
        return;
    }
    for child in node.children.borrow().iter() {
        collect_text(child, out);
        if is_element(child, "br") || is_element(child, "p") {
            out.push(' ');
        }
    }
}

/// `![alt](src "caption")`, escaped for Markdown.
fn image_markdown(src: &str, alt: &str, caption: &str) -> String {
    let alt = alt
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]");
    let src = src
        .replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29");
    let mut out = format!("![{alt}]({src}");
    if !caption.is_empty() {
        out.push_str(" \"");
        out.push_str(&caption.replace('\\', "\\\\").replace('"', "\\\""));
        out.push('"');
    }
    out.push(')');
    out
}

/// A figure holding an image becomes the image alone in a paragraph, captioned by its
/// title; any other figure (a table, a quote) keeps its content.
fn figure(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    let node = element.node;
    let Some(img) = find_descendant(node, "img") else {
        // A block-editor embed is a figure holding the bare URL of what it embeds.
        let mut text = String::new();
        collect_text(node, &mut text);
        let text = text.trim();
        if (text.starts_with("https://") || text.starts_with("http://"))
            && !text.contains(char::is_whitespace)
        {
            return Some(format!("\n\n<{}>\n\n", text.replace('>', "%3E")).into());
        }
        return Some(handlers.walk_children(node));
    };
    let src = attr(&img, "src").unwrap_or_default();
    if src.is_empty() {
        return Some(handlers.walk_children(node));
    }
    let alt = attr(&img, "alt").unwrap_or_default();
    let caption = find_descendant(node, "figcaption")
        .map(|c| {
            let mut text = String::new();
            collect_text(&c, &mut text);
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_default();
    Some(format!("\n\n{}\n\n", image_markdown(&src, alt.trim(), &caption)).into())
}

/// Embedded players become a link to what they play.
fn media(_: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    let src = attr(element.node, "src")
        .or_else(|| find_descendant(element.node, "source").and_then(|s| attr(&s, "src")))?;
    if !(src.starts_with("https://") || src.starts_with("http://")) {
        return None;
    }
    Some(format!("\n\n<{}>\n\n", src.replace('>', "%3E")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_posts_get_paragraphs_and_figures() {
        let md = Converter::new().post_body(
            "Hello <strong>world</strong>.\nSame paragraph.\n\n[caption width=\"300\"]<img src=\"/a.jpg\" alt=\"Back\" /> Back tension[/caption]\n\nBye",
        );
        assert_eq!(
            md,
            "Hello **world**.  \nSame paragraph.\n\n![Back](/a.jpg \"Back tension\")\n\nBye\n"
        );
    }

    #[test]
    fn block_posts_lose_their_marks_and_keep_their_markup() {
        let md = Converter::new().post_body(
            "<!-- wp:heading -->\n<h2>Weight Training</h2>\n<!-- /wp:heading -->\n\n<!-- wp:image -->\n<figure class=\"wp-block-image\"><img src=\"https://x.test/a.jpg\" alt=\"\"/><figcaption>Lifting</figcaption></figure>\n<!-- /wp:image -->",
        );
        assert_eq!(
            md,
            "## Weight Training\n\n![](https://x.test/a.jpg \"Lifting\")\n"
        );
    }

    #[test]
    fn scripts_never_survive() {
        let md = Converter::new().post_body("Hi<script>alert(1)</script>");
        assert_eq!(md, "Hi\n");
    }

    #[test]
    fn plain_text_decodes_and_collapses() {
        assert_eq!(
            Converter::new().plain_text("<p>Caf&eacute;\n &amp; <em>tea</em></p>"),
            "Café & tea"
        );
    }
}
