//! A page: `pages/<slug>.md` (About, Services, Contact…), served at `/<slug>`.

use super::post::{
    aliases_field, optional_bool, optional_string, required_string, split_front_matter,
};
use super::{Image, PostError, Slug};

/// First path segments the site answers itself: a page may not take one of them.
pub const RESERVED_SLUGS: &[&str] = &[
    "posts",
    "tags",
    "page",
    "media",
    "static",
    "style",
    "css",
    "comments",
    "subscribe",
    "search",
    "archive",
    "feed",
    "feeds",
    "sitemap",
    "robots",
    "theme",
    "api",
    "admin",
    "unsubscribe",
    "confirm",
];

const KNOWN_FIELDS: &[&str] = &[
    "title",
    "summary",
    "image",
    "menu",
    "subscribe",
    "draft",
    "aliases",
    "business_details",
    "contact_form",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub image: Option<Image>,
    /// Position in the menu when the page is listed there (lower first).
    pub menu: Option<u16>,
    /// Keep the subscribe box under the page (off by default).
    pub subscribe: bool,
    /// Show the business card (address, phone, `[business]` hours, map, booking).
    pub business_details: bool,
    /// Show the contact form (name, email, message), mailed to the owner.
    pub contact_form: bool,
    pub draft: bool,
    /// `aliases = ["/old/path/"]`: hand-made old addresses that redirect here.
    pub aliases: Vec<String>,
    pub body_markdown: String,
}

impl Page {
    pub fn file_name(slug: &str) -> String {
        format!("pages/{slug}.md")
    }

    /// Whether `/<slug>` belongs to the site itself (a route, a feed or a stored file).
    pub fn is_reserved(slug: &str) -> bool {
        RESERVED_SLUGS.contains(&slug)
    }

    /// Parses a page's source. Every problem names the file and the field.
    pub fn parse(slug: Slug, source: &str) -> Result<Page, PostError> {
        let file = Page::file_name(slug.as_str());
        let err = |field: Option<&str>, message: String| PostError {
            file: file.clone(),
            field: field.map(str::to_owned),
            message,
        };
        if Page::is_reserved(slug.as_str()) {
            return Err(err(
                Some("slug"),
                format!(
                    "`{slug}` is a route of the site; rename the file (reserved: {})",
                    RESERVED_SLUGS.join(", ")
                ),
            ));
        }
        let (front, body) = split_front_matter(source).ok_or_else(|| {
            err(
                None,
                "the file must start with TOML front matter between `+++` lines".into(),
            )
        })?;
        let t: toml::Table = front.parse().map_err(|e: toml::de::Error| {
            err(
                None,
                format!("front matter is not valid TOML: {}", e.message()),
            )
        })?;
        if let Some(unknown) = t.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
            return Err(err(
                Some("front matter"),
                format!(
                    "unknown field `{unknown}` (known: {})",
                    KNOWN_FIELDS.join(", ")
                ),
            ));
        }
        let named = |(f, m): (&'static str, String)| err(Some(f), m);
        let title = required_string(&t, "title").map_err(named)?;
        let summary = optional_string(&t, "summary")
            .map_err(named)?
            .unwrap_or_default();
        let subscribe = optional_bool(&t, "subscribe")
            .map_err(named)?
            .unwrap_or(false);
        let draft = optional_bool(&t, "draft").map_err(named)?.unwrap_or(false);
        let business_details = optional_bool(&t, "business_details")
            .map_err(named)?
            .unwrap_or(false);
        let contact_form = optional_bool(&t, "contact_form")
            .map_err(named)?
            .unwrap_or(false);
        let aliases = aliases_field(&t).map_err(named)?;
        let menu = match t.get("menu") {
            None => None,
            Some(toml::Value::Integer(n)) => Some(
                u16::try_from(*n)
                    .map_err(|_| err(Some("menu"), "must be a position from 0 to 65535".into()))?,
            ),
            Some(_) => {
                return Err(err(
                    Some("menu"),
                    "must be a number (the menu position)".into(),
                ))
            }
        };
        let image = match t.get("image") {
            None => None,
            Some(toml::Value::Table(img)) => Some(Image {
                src: required_string(img, "src")
                    .map_err(|(_, m)| err(Some("image.src"), m))
                    .and_then(|src| match crate::render::safe_url::is_safe(&src) {
                        true => Ok(src),
                        false => Err(err(
                            Some("image.src"),
                            "must be a relative or https URL".into(),
                        )),
                    })?,
                alt: required_string(img, "alt").map_err(|(_, m)| err(Some("image.alt"), m))?,
                caption: optional_string(img, "caption")
                    .map_err(|(_, m)| err(Some("image.caption"), m))?,
            }),
            Some(_) => {
                return Err(err(
                    Some("image"),
                    "must be a table with src, alt and caption".into(),
                ))
            }
        };
        Ok(Page {
            slug,
            title,
            summary,
            image,
            menu,
            subscribe,
            business_details,
            contact_form,
            draft,
            aliases,
            body_markdown: body.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::parse(s).unwrap()
    }

    #[test]
    fn a_page_parses_with_its_menu_position() {
        let p = Page::parse(
            slug("about"),
            "+++\ntitle = \"About\"\nsummary = \"Who we are\"\nmenu = 1\n+++\nHello\n",
        )
        .unwrap();
        assert_eq!(p.title, "About");
        assert_eq!(p.menu, Some(1));
        assert!(!p.subscribe);
        assert!(!p.contact_form);
        assert_eq!(p.body_markdown, "Hello\n");
        let contact = Page::parse(
            slug("contact"),
            "+++\ntitle = \"Contact\"\ncontact_form = true\n+++\n",
        )
        .unwrap();
        assert!(contact.contact_form);
        let e = Page::parse(
            slug("contact"),
            "+++\ntitle = \"Contact\"\ncontact_form = \"yes\"\n+++\n",
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("contact_form"));
    }

    #[test]
    fn reserved_slugs_and_bad_fields_name_file_and_field() {
        let e = Page::parse(slug("posts"), "+++\ntitle = \"x\"\n+++\n").unwrap_err();
        assert_eq!(e.file, "pages/posts.md");
        assert_eq!(e.field.as_deref(), Some("slug"));
        let e =
            Page::parse(slug("about"), "+++\ntitle = \"x\"\nmenu = \"top\"\n+++\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("menu"));
        let e = Page::parse(
            slug("about"),
            "+++\ntitle = \"x\"\ndate = 2024-01-01\n+++\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `date`"), "{e}");
        let e = Page::parse(slug("about"), "+++\nsummary = \"x\"\n+++\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("title"));
    }
}
