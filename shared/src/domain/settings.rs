//! `site.toml`: the site's settings, kept at the root of the content bucket.

use crate::i18n::{Language, Messages};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub base_url: String,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default = "default_posts_per_page")]
    pub posts_per_page: u16,
    /// Items in each feed (posts and comments); clamped to 1..=100 when feeds are built.
    #[serde(default = "default_feed_items")]
    pub feed_items: u16,
    pub owner: Owner,
    pub address: Address,
    #[serde(default)]
    pub comments: CommentSettings,
    /// `[[menu]]`: the header's links, in order.
    #[serde(default)]
    pub menu: Vec<MenuEntry>,
    #[serde(default)]
    pub newsletter: NewsletterSettings,
    /// `[theme]`: logo, colours, font, footer (see `domain::theme`).
    #[serde(default)]
    pub theme: super::theme::ThemeSettings,
    /// `[business]`: schema.org type, opening hours, notice, map and booking links.
    #[serde(default)]
    pub business: super::business::BusinessSettings,
    /// `[contact]`: the contact form's flood limit.
    #[serde(default)]
    pub contact: ContactSettings,
    /// A post with at least this many `##` headings gets a table of contents (front
    /// matter `toc` decides either way; 0: only when the front matter asks).
    #[serde(default = "default_toc_headings")]
    pub toc_headings: u16,
}

/// One `[[menu]]` entry: a label and exactly one of a page, a tag or a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuEntry {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `[[menu.children]]`: a sub-menu, one level deep (its entries have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<MenuEntry>,
}

impl MenuEntry {
    /// Where the entry links to (validated by `SiteSettings::parse`).
    pub fn href(&self) -> String {
        match (&self.page, &self.tag, &self.url) {
            (Some(page), _, _) => super::Slug::parse(page)
                .map_or_else(|_| "/".into(), |s| crate::site::routes::page_path(&s)),
            (_, Some(tag), _) => super::Slug::parse(tag)
                .map_or_else(|_| "/".into(), |s| crate::site::routes::tag_path(&s)),
            (_, _, Some(url)) => url.clone(),
            _ => "/".into(),
        }
    }

    /// At most this many entries in the menu, and in each sub-menu.
    pub const MAX_ENTRIES: usize = 12;

    /// This entry and its sub-menu (`n`: its place, `1` or `2.3`, for the message).
    fn check_tree(&self, n: &str) -> Result<(), SettingsError> {
        self.check(n)?;
        if self.children.len() > Self::MAX_ENTRIES {
            return Err(SettingsError(format!(
                "menu entry {n} (`{}`): at most {} sub-entries",
                self.label,
                Self::MAX_ENTRIES
            )));
        }
        for (i, child) in self.children.iter().enumerate() {
            let place = format!("{n}.{}", i + 1);
            if !child.children.is_empty() {
                return Err(SettingsError(format!(
                    "menu entry {place} (`{}`): a sub-menu has one level; move its children up",
                    child.label
                )));
            }
            child.check(&place)?;
        }
        Ok(())
    }

    fn check(&self, n: &str) -> Result<(), SettingsError> {
        let bad = |m: String| SettingsError(format!("menu entry {n} (`{}`): {m}", self.label));
        if self.label.trim().is_empty() || self.label.chars().count() > 40 {
            return Err(bad("label must be 1 to 40 characters".into()));
        }
        let targets = [&self.page, &self.tag, &self.url]
            .iter()
            .filter(|t| t.is_some())
            .count();
        if targets != 1 {
            return Err(bad("give exactly one of page, tag or url".into()));
        }
        if let Some(page) = &self.page {
            if page.is_empty() {
                return Ok(()); // `page = ""` links home.
            }
            super::Slug::parse(page).map_err(|e| bad(format!("page `{page}`: {e}")))?;
            if super::Page::is_reserved(page) {
                return Err(bad(format!("page `{page}` is a route of the site")));
            }
        }
        if let Some(tag) = &self.tag {
            super::Slug::parse(tag).map_err(|e| bad(format!("tag `{tag}`: {e}")))?;
        }
        if let Some(url) = &self.url {
            if !is_link(url) {
                return Err(bad(format!(
                    "url `{url}` must be https://, http://, mailto:, tel: or a /path"
                )));
            }
        }
        Ok(())
    }
}

/// A link an owner writes in site.toml (a menu entry, the booking button): `https://`,
/// `http://`, `mailto:`, `tel:` or a `/path` (not `//host`); no spaces, quotes or
/// controls; at most 500 bytes.
pub(crate) fn is_link(url: &str) -> bool {
    let scheme = url.starts_with("https://")
        || url.starts_with("http://")
        || url.starts_with("mailto:")
        || url.starts_with("tel:")
        || (url.starts_with('/') && !url.starts_with("//"));
    scheme
        && url.len() <= 500
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
}

/// When new posts are mailed to the confirmed subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NewsletterMode {
    /// One mail per new post (Jetpack's default).
    #[default]
    Each,
    /// One mail a week with the posts published since the last one.
    Weekly,
}

/// `[newsletter]` in site.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterSettings {
    pub enabled: bool,
    pub mode: NewsletterMode,
    /// The whole article in the mail (`true`) or the summary and a "Read on the site" link.
    pub full_article: bool,
    /// A post first indexed with a date older than this never mails (imports, restores).
    pub max_age_days: u32,
    /// Weekly digest: 0 = Monday .. 6 = Sunday, and the UTC hour.
    pub digest_weekday: u8,
    pub digest_hour: u8,
}

impl Default for NewsletterSettings {
    fn default() -> Self {
        NewsletterSettings {
            enabled: true,
            mode: NewsletterMode::Each,
            full_article: true,
            max_age_days: 3,
            digest_weekday: 0,
            digest_hour: 9,
        }
    }
}

/// Who gets held for the owner before their comment shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// Every comment waits for the owner (WordPress's "must be manually approved").
    #[default]
    All,
    /// Only an address without an earlier approved comment waits.
    FirstTime,
    /// Comments show at once unless a rule below holds them.
    None,
}

/// `[comments]` in site.toml. Every number is a rule's threshold; WordPress's values are
/// the defaults, and 0 turns a rule off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommentSettings {
    pub moderation: Moderation,
    /// Hold a comment with this many links or more (0: never).
    pub hold_links: u32,
    /// Seconds between two comments from one client address or email (0: no limit).
    pub flood_seconds: u32,
    /// Words (case-insensitive, anywhere in name, email, website or text) that hold.
    pub hold_words: Vec<String>,
    /// Words that mark a comment as spam.
    pub block_words: Vec<String>,
    /// Comments close this many days after a post's date (0: never).
    pub close_after_days: u32,
    /// Replies nest at most this deep; deeper replies show at this depth.
    pub max_depth: u32,
}

impl Default for CommentSettings {
    fn default() -> Self {
        CommentSettings {
            moderation: Moderation::All,
            hold_links: 2,
            flood_seconds: 15,
            hold_words: Vec::new(),
            block_words: Vec::new(),
            close_after_days: 0,
            max_depth: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub name: String,
    #[serde(default)]
    pub credentials: String,
    /// Where held comments are announced; no mail without it.
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    pub locality: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("site.toml: {0}")]
pub struct SettingsError(pub String);

fn default_language() -> String {
    "en".into()
}

fn default_posts_per_page() -> u16 {
    10
}

fn default_feed_items() -> u16 {
    20
}

fn default_toc_headings() -> u16 {
    4
}

/// `[contact]` in site.toml: how often one client address may send the contact form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContactSettings {
    /// Seconds between two messages from one client address (0: no limit).
    pub flood_seconds: u32,
}

impl Default for ContactSettings {
    fn default() -> Self {
        ContactSettings { flood_seconds: 60 }
    }
}

impl SiteSettings {
    pub const MAX_POSTS_PER_PAGE: u16 = 100;

    pub fn parse(source: &str) -> Result<SiteSettings, SettingsError> {
        let mut s: SiteSettings =
            toml::from_str(source).map_err(|e| SettingsError(e.to_string()))?;
        if !(s.base_url.starts_with("https://") || s.base_url.starts_with("http://")) {
            return Err(SettingsError(
                "base_url must start with https:// or http://".into(),
            ));
        }
        s.base_url = s.base_url.trim_end_matches('/').to_owned();
        if Language::of_tag(&s.language).is_none() {
            return Err(SettingsError(format!(
                "language `{}`: the site speaks \"en\" (English) or \"es\" (Spanish), \
                 optionally with a region such as \"en-US\" or \"es-MX\"",
                s.language
            )));
        }
        if s.posts_per_page == 0 || s.posts_per_page > Self::MAX_POSTS_PER_PAGE {
            return Err(SettingsError(format!(
                "posts_per_page must be 1..={}",
                Self::MAX_POSTS_PER_PAGE
            )));
        }
        if s.comments.max_depth == 0 || s.comments.max_depth > 10 {
            return Err(SettingsError("comments.max_depth must be 1..=10".into()));
        }
        if s.menu.len() > MenuEntry::MAX_ENTRIES {
            return Err(SettingsError("menu: at most 12 entries".into()));
        }
        for (i, entry) in s.menu.iter().enumerate() {
            entry.check_tree(&(i + 1).to_string())?;
        }
        s.theme.check()?;
        s.business.check()?;
        if s.newsletter.digest_weekday > 6 || s.newsletter.digest_hour > 23 {
            return Err(SettingsError(
                "newsletter.digest_weekday must be 0..=6 and digest_hour 0..=23".into(),
            ));
        }
        Ok(s)
    }

    /// The language `language` chooses (validated by `parse`; English otherwise).
    pub fn lang(&self) -> Language {
        Language::of_tag(&self.language).unwrap_or_default()
    }

    /// Every visitor-facing string in the site's language.
    pub fn messages(&self) -> &'static Messages {
        crate::i18n::messages(self.lang())
    }

    /// An absolute URL on this site for a path that starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// "2016 Hillhurst Ave, Los Angeles CA 90027", as the reference page's header shows it.
    pub fn address_line(&self) -> String {
        let a = &self.address;
        let mut tail = a.locality.clone();
        for part in [&a.region, &a.postal_code] {
            if !part.is_empty() {
                tail.push(' ');
                tail.push_str(part);
            }
        }
        format!("{}, {}", a.street, tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title = \"T\"\nbase_url = \"https://example.com/\"\n[owner]\nname = \"N\"\n[address]\nstreet = \"1 Main St\"\nlocality = \"Town\"\nregion = \"CA\"\npostal_code = \"90027\"\n";

    #[test]
    fn settings_parse_with_defaults() {
        let s = SiteSettings::parse(MINIMAL).unwrap();
        assert_eq!(s.base_url, "https://example.com");
        assert_eq!(s.posts_per_page, 10);
        assert_eq!(s.feed_items, 20);
        assert_eq!(s.address_line(), "1 Main St, Town CA 90027");
        assert_eq!(s.url("/posts/a"), "https://example.com/posts/a");
        assert_eq!(s.comments, CommentSettings::default());
        assert_eq!(s.comments.hold_links, 2);
        assert_eq!(s.comments.flood_seconds, 15);
        assert_eq!(s.comments.max_depth, 5);
    }

    #[test]
    fn comment_rules_are_site_settings() {
        let s = SiteSettings::parse(&format!(
            "{MINIMAL}[comments]\nmoderation = \"first_time\"\nhold_links = 0\nblock_words = [\"casino\"]\n"
        ))
        .unwrap();
        assert_eq!(s.comments.moderation, Moderation::FirstTime);
        assert_eq!(s.comments.hold_links, 0);
        assert_eq!(
            s.comments.flood_seconds, 15,
            "unset numbers keep their default"
        );
        assert_eq!(s.comments.block_words, ["casino"]);
        let e = SiteSettings::parse(&format!("{MINIMAL}[comments]\nmoderaton = \"none\"\n"))
            .unwrap_err();
        assert!(e.to_string().contains("moderaton"), "{e}");
    }

    #[test]
    fn menu_entries_link_to_one_page_tag_or_url() {
        let s = SiteSettings::parse(&format!(
            "{MINIMAL}[[menu]]\nlabel = \"About\"\npage = \"about\"\n[[menu]]\nlabel = \"Sleep\"\ntag = \"sleep\"\n[[menu]]\nlabel = \"Book\"\nurl = \"https://book.example/x\"\n"
        ))
        .unwrap();
        let hrefs: Vec<String> = s.menu.iter().map(MenuEntry::href).collect();
        assert_eq!(hrefs, ["/about", "/tags/sleep", "https://book.example/x"]);
        let utf8 = SiteSettings::parse(&format!(
            "{MINIMAL}[[menu]]\nlabel = \"Quiénes somos\"\npage = \"quiénes-somos\"\n[[menu]]\nlabel = \"Niños\"\ntag = \"niños\"\n"
        ))
        .unwrap();
        let hrefs: Vec<String> = utf8.menu.iter().map(MenuEntry::href).collect();
        assert_eq!(hrefs, ["/qui%C3%A9nes-somos", "/tags/ni%C3%B1os"]);
        for bad in [
            "label = \"X\"\npage = \"posts\"",
            "label = \"X\"\npage = \"a\"\ntag = \"b\"",
            "label = \"X\"\nurl = \"javascript:alert(1)\"",
            "label = \"X\"\nurl = \"//evil.example\"",
            "label = \"\"\npage = \"about\"",
        ] {
            let e = SiteSettings::parse(&format!("{MINIMAL}[[menu]]\n{bad}\n")).unwrap_err();
            assert!(e.to_string().contains("menu entry 1"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_menu_entry_has_one_level_of_children_each_checked() {
        let s = SiteSettings::parse(&format!(
            "{MINIMAL}[[menu]]\nlabel = \"Services\"\npage = \"services\"\n[[menu.children]]\nlabel = \"Massage\"\npage = \"massage\"\n[[menu.children]]\nlabel = \"Book\"\nurl = \"tel:+441234\"\n[[menu]]\nlabel = \"About\"\npage = \"about\"\n"
        ))
        .unwrap();
        let tree: Vec<(String, Vec<String>)> = s
            .menu
            .iter()
            .map(|m| (m.href(), m.children.iter().map(MenuEntry::href).collect()))
            .collect();
        assert_eq!(
            tree,
            [
                (
                    "/services".into(),
                    vec!["/massage".into(), "tel:+441234".into()]
                ),
                ("/about".into(), vec![])
            ]
        );
        let parent = "[[menu]]\nlabel = \"S\"\npage = \"s\"\n";
        for (bad, says) in [
            ("[[menu.children]]\nlabel = \"X\"\nurl = \"javascript:x\"\n", "menu entry 1.1 (`X`)"),
            (
                "[[menu.children]]\nlabel = \"X\"\npage = \"x\"\n[[menu.children.children]]\nlabel = \"Y\"\npage = \"y\"\n",
                "one level",
            ),
        ] {
            let e = SiteSettings::parse(&format!("{MINIMAL}{parent}{bad}")).unwrap_err();
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
        let many = "[[menu.children]]\nlabel = \"X\"\npage = \"x\"\n".repeat(13);
        let e = SiteSettings::parse(&format!("{MINIMAL}{parent}{many}")).unwrap_err();
        assert!(e.to_string().contains("at most 12 sub-entries"), "{e}");
    }

    #[test]
    fn the_language_is_english_or_spanish_and_says_so() {
        assert_eq!(SiteSettings::parse(MINIMAL).unwrap().lang(), Language::En);
        let es = SiteSettings::parse(&format!("language = \"es\"\n{MINIMAL}")).unwrap();
        assert_eq!(es.lang(), Language::Es);
        assert_eq!(es.messages().comments_heading, "Comentarios");
        let e = SiteSettings::parse(&format!("language = \"fr\"\n{MINIMAL}")).unwrap_err();
        assert!(e.to_string().contains("language `fr`"), "{e}");
        assert!(e.to_string().contains("\"es\""), "{e}");
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let e = SiteSettings::parse(&MINIMAL.replace("https://example.com/", "example.com"))
            .unwrap_err();
        assert!(e.to_string().contains("base_url"), "{e}");
        let e = SiteSettings::parse(&format!("colour = \"red\"\n{MINIMAL}")).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
