//! A long article's table of contents: its `##` sections, each with the `###` under it,
//! as links to the headings' ids. Built with the Markdown, so once per post version.

use super::escape;
use super::markdown::Heading;

/// The contents list of one body, and how many `##` sections it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toc {
    /// The linked list (`<ol>…</ol>`), or empty for a body without sections; the page
    /// puts it in its `<nav>` titled in the site's language.
    pub html: String,
    pub sections: usize,
}

impl Toc {
    pub fn of(headings: &[Heading]) -> Toc {
        let listed: Vec<&Heading> = headings
            .iter()
            .filter(|h| h.level == 2 || h.level == 3)
            .collect();
        let sections = listed.iter().filter(|h| h.level == 2).count();
        if listed.is_empty() {
            return Toc::default();
        }
        let mut html = String::with_capacity(96 + listed.len() * 64);
        html.push_str("<ol>");
        // Whether a `##` item is open, and whether it has opened its `###` list.
        let (mut item_open, mut sub_open) = (false, false);
        for h in listed {
            let link = format!(
                "<a href=\"#{}\">{}</a>",
                escape::html(&h.id),
                escape::html(h.text.trim())
            );
            match (h.level, item_open) {
                (3, true) => {
                    if !sub_open {
                        html.push_str("<ol>");
                        sub_open = true;
                    }
                    html.push_str(&format!("<li>{link}</li>"));
                }
                (level, _) => {
                    if sub_open {
                        html.push_str("</ol>");
                        sub_open = false;
                    }
                    if item_open {
                        html.push_str("</li>");
                    }
                    html.push_str(&format!("\n<li>{link}"));
                    // A `###` before any `##` stands alone at the top.
                    item_open = level == 2;
                    if !item_open {
                        html.push_str("</li>");
                    }
                }
            }
        }
        if sub_open {
            html.push_str("</ol>");
        }
        if item_open {
            html.push_str("</li>");
        }
        html.push_str("\n</ol>\n");
        Toc { html, sections }
    }

    /// Whether a page shows it: front matter `toc` decides when set; otherwise a body of
    /// `threshold` sections or more (0: never by count).
    pub fn shown(&self, asked: Option<bool>, threshold: u16) -> bool {
        !self.html.is_empty()
            && asked.unwrap_or(threshold > 0 && self.sections >= usize::from(threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::super::markdown::render_markdown;

    #[test]
    fn sections_nest_their_subsections_and_link_to_the_heading_ids() {
        let body = render_markdown(
            "### Before\n\n## Causes\n\n### Dehydration\n\n### Weight & \"Training\"\n\n## Relief\n\n# Not listed\n\n#### Nor this\n",
        );
        let toc = &body.toc;
        assert_eq!(toc.sections, 2);
        insta::assert_snapshot!("toc_nested", toc.html);
        for h in body
            .headings
            .iter()
            .filter(|h| h.level == 2 || h.level == 3)
        {
            assert!(
                body.html.contains(&format!("id=\"{}\"", h.id)),
                "{} is an anchor of the body",
                h.id
            );
            assert!(toc.html.contains(&format!("href=\"#{}\"", h.id)));
        }
    }

    #[test]
    fn front_matter_decides_else_the_section_count() {
        let four = render_markdown("## a\n\n## b\n\n## c\n\n## d\n").toc;
        let three = render_markdown("## a\n\n## b\n\n## c\n").toc;
        assert!(four.shown(None, 4));
        assert!(!three.shown(None, 4));
        assert!(three.shown(Some(true), 4));
        assert!(!four.shown(Some(false), 4));
        assert!(!four.shown(None, 0), "0: only when asked");
        let none = render_markdown("Just a paragraph.\n").toc;
        assert!(none.html.is_empty());
        assert!(!none.shown(Some(true), 4), "nothing to list");
    }
}
