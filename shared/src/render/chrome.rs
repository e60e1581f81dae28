//! What every page shares and only `site.toml` decides, built once per settings version:
//! the head's stylesheet and feed links, the header with its menu, the footer, the
//! og defaults and the business's JSON-LD — pages paste these pre-rendered pieces.

use super::json_ld;
use super::pages::{stylesheet_href, theme_stylesheet_version};
use crate::domain::SiteSettings;
use crate::i18n::Messages;
use askama::Template;
use std::ops::Deref;
use std::sync::Arc;

/// The settings with the chrome they make. Built when the settings are parsed and kept
/// with them (the site's settings cache), so a render only pastes; it derefs to the
/// settings for everything else.
pub struct SiteChrome {
    pub site: Arc<SiteSettings>,
    /// Every visitor-facing string in the site's language (resolved once per language).
    pub t: &'static Messages,
    /// `[[menu]]` as (label, href), each with its sub-menu.
    pub menu: Vec<MenuLink>,
    pub address_line: String,
    pub phone_href: String,
    /// The head's stylesheets, in order: the built-in one, then `[theme]`'s, then the
    /// owner's `theme/custom.css`.
    pub stylesheets: Vec<String>,
    /// `/theme/site.css?v=<hash>` when `[theme]` styles anything.
    pub theme_stylesheet: Option<String>,
    /// `/theme/custom.css?v=<hash>` when the bucket holds a usable one.
    pub custom_css: Option<String>,
    /// `theme` and `business` are the views of `[theme]` and `[business]`; the settings'
    /// own fields of those names are `settings().theme` and `settings().business`.
    pub theme: ThemeView,
    pub business: BusinessView,
    /// `og:locale`: the language with `_`.
    pub og_locale: String,
    /// `[theme] og_image`, absolute: what a share shows for a page without a lead image.
    pub og_image: Option<String>,
    /// The business node every page's JSON-LD graph ends with.
    pub business_ld: json_ld::Business,
    /// From the first stylesheet link to the last feed link (escaped HTML).
    head_links: String,
    /// `<header>…</header>` with no menu entry current, and with each menu href current.
    header: String,
    header_current: Vec<(String, String)>,
    /// `<footer>…</footer>`.
    footer: String,
}

/// One header link and the links of its sub-menu (one level).
pub struct MenuLink {
    pub label: String,
    pub href: String,
    pub children: Vec<(String, String)>,
}

/// `[theme]` as the head, header and footer show it.
pub struct ThemeView {
    pub favicon: Option<String>,
    /// (src, alt) of the header's logo.
    pub logo: Option<(String, String)>,
    /// The footer text, rendered and sanitized (empty: none).
    pub footer_html: String,
}

/// `[business]` as the header, footer and a page's business card show it (the notice
/// depends on the time: each render asks `BusinessSettings::notice_at`).
pub struct BusinessView {
    /// (days, times) rows: "Monday – Friday", "9:00 – 18:00".
    pub hours: Vec<(String, String)>,
    /// (href, label) of the booking button.
    pub booking: Option<(String, String)>,
    pub map_url: Option<String>,
}

#[derive(Template)]
#[template(path = "chrome_head.html")]
struct HeadLinks<'a> {
    chrome: &'a SiteChrome,
}

#[derive(Template)]
#[template(path = "chrome_header.html")]
struct Header<'a> {
    chrome: &'a SiteChrome,
    /// The page's path: the menu entry linking to it is marked current.
    current: &'a str,
}

#[derive(Template)]
#[template(path = "chrome_footer.html")]
struct Footer<'a> {
    chrome: &'a SiteChrome,
}

impl SiteChrome {
    pub fn new(site: Arc<SiteSettings>) -> SiteChrome {
        let theme = &site.theme;
        let b = &site.business;
        let css = theme.stylesheet();
        let theme_stylesheet = (!css.is_empty())
            .then(|| format!("/theme/site.css?v={}", theme_stylesheet_version(&css)));
        // The owner's `theme/custom.css`, linked last so its rules win.
        let custom_css = theme.custom_css.as_ref().map(|c| c.href().to_owned());
        let t = site.messages();
        let mut chrome = SiteChrome {
            t,
            menu: site
                .menu
                .iter()
                .map(|m| MenuLink {
                    label: m.label.clone(),
                    href: m.href(),
                    children: m
                        .children
                        .iter()
                        .map(|c| (c.label.clone(), c.href()))
                        .collect(),
                })
                .collect(),
            address_line: site.address_line(),
            phone_href: site
                .address
                .phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect(),
            stylesheets: std::iter::once(stylesheet_href().to_owned())
                .chain(theme_stylesheet.clone())
                .chain(custom_css.clone())
                .collect(),
            theme_stylesheet,
            custom_css,
            theme: ThemeView {
                favicon: theme
                    .favicon
                    .as_deref()
                    .map(|f| crate::site::media::href(f).into_owned()),
                logo: (theme.logo.as_ref())
                    .map(|l| (crate::site::media::href(&l.src).into_owned(), l.alt.clone())),
                footer_html: if theme.footer.trim().is_empty() {
                    String::new()
                } else {
                    super::markdown::render_inline_text(&theme.footer)
                },
            },
            business: BusinessView {
                hours: b
                    .hours
                    .iter()
                    .map(|row| (row.days_label(t), row.times_label()))
                    .collect(),
                booking: b.booking_url.as_ref().map(|url| {
                    let label = b.booking_label.as_deref().unwrap_or(&t.book_appointment);
                    (url.clone(), label.to_owned())
                }),
                map_url: b.map_url.clone(),
            },
            og_locale: site.language.replace('-', "_"),
            og_image: theme
                .og_image
                .as_deref()
                .map(|src| super::pages::absolute(&site, src)),
            business_ld: json_ld::Business::of(&site),
            head_links: String::new(),
            header: String::new(),
            header_current: Vec::new(),
            footer: String::new(),
            site,
        };
        chrome.head_links = render(&HeadLinks { chrome: &chrome });
        chrome.header = render(&Header {
            chrome: &chrome,
            current: "",
        });
        let mut hrefs: Vec<&str> = Vec::new();
        for m in &chrome.menu {
            hrefs.push(&m.href);
            hrefs.extend(m.children.iter().map(|(_, href)| href.as_str()));
        }
        hrefs.sort_unstable();
        hrefs.dedup();
        let header_current = hrefs
            .into_iter()
            .map(|href| {
                let html = render(&Header {
                    chrome: &chrome,
                    current: href,
                });
                (href.to_owned(), html)
            })
            .collect();
        chrome.header_current = header_current;
        chrome.footer = render(&Footer { chrome: &chrome });
        chrome
    }

    /// The settings this chrome was made from.
    pub fn settings(&self) -> &Arc<SiteSettings> {
        &self.site
    }

    /// The head's links (stylesheets, favicon, feeds), escaped HTML.
    pub fn head_links(&self) -> &str {
        &self.head_links
    }

    /// The header for the page at `path`: its menu entry (if any) marked current.
    pub fn header(&self, path: &str) -> &str {
        self.header_current
            .iter()
            .find(|(href, _)| href == path)
            .map_or(self.header.as_str(), |(_, html)| html.as_str())
    }

    pub fn footer(&self) -> &str {
        &self.footer
    }
}

impl Deref for SiteChrome {
    type Target = SiteSettings;

    fn deref(&self) -> &SiteSettings {
        &self.site
    }
}

/// The head's links of a page made without settings (an error while they cannot be
/// read): the built-in stylesheet alone.
pub fn plain_head_links() -> &'static str {
    static LINKS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINKS.get_or_init(|| format!("\n<link rel=\"stylesheet\" href=\"{}\">", stylesheet_href()))
}

/// The pieces are strings and validated settings: rendering them cannot fail short of
/// a bug, which would show as an empty piece rather than a panic.
fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "site chrome failed to render");
        String::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SiteSettings {
        SiteSettings::parse(include_str!("../../../infra/sample-content/site.toml")).unwrap()
    }

    #[test]
    fn the_menu_entry_of_the_page_is_current_and_no_other() {
        let chrome = SiteChrome::new(Arc::new(sample()));
        let about = chrome.header("/about");
        assert_eq!(
            about.matches(r#"aria-current="page""#).count(),
            2,
            "wide and narrow"
        );
        assert!(about.contains(r#"<a href="/about" aria-current="page">About</a>"#));
        let post = chrome.header("/posts/what-are-muscle-knots");
        assert!(!post.contains("aria-current"), "{post}");
        assert_eq!(post, chrome.header("/no-such-page"));
        assert!(post.starts_with("<header") && post.ends_with("</header>"));
        assert!(chrome.footer().starts_with("<footer") && chrome.footer().ends_with("</footer>"));
    }

    #[test]
    fn the_head_links_the_stylesheets_in_order_with_their_hashes() {
        let chrome = SiteChrome::new(Arc::new(sample()));
        let theme = chrome
            .theme_stylesheet
            .clone()
            .expect("the sample sets colours");
        let css = sample().theme.stylesheet();
        assert_eq!(
            theme,
            format!("/theme/site.css?v={}", theme_stylesheet_version(&css))
        );
        assert_eq!(
            chrome.stylesheets,
            [stylesheet_href().to_owned(), theme.clone()]
        );
        let links = chrome.head_links();
        let base = links.find(stylesheet_href()).unwrap();
        assert!(base < links.find(&theme).unwrap());
        assert!(links.starts_with("\n<link rel=\"stylesheet\""), "{links:?}");

        let mut plain = sample();
        plain.theme = Default::default();
        let chrome = SiteChrome::new(Arc::new(plain));
        assert_eq!(chrome.theme_stylesheet, None);
        assert_eq!(chrome.stylesheets, [stylesheet_href().to_owned()]);
    }

    /// A new settings version makes a new chrome: the pieces follow the settings.
    #[test]
    fn changed_settings_make_a_changed_chrome() {
        let before = SiteChrome::new(Arc::new(sample()));
        let mut changed = sample();
        changed.title = "Mosaic <Clinic>".into();
        changed.theme.footer = "New *footer*".into();
        changed.theme.accent = None;
        changed.menu.truncate(1);
        let after = SiteChrome::new(Arc::new(changed));
        let header = after.header("/");
        assert!(
            header.contains("Mosaic &") && !header.contains("<Clinic>"),
            "{header}"
        );
        assert!(!before.header("/").contains("Mosaic"));
        assert!(
            after.footer().contains("<em>footer</em>"),
            "{}",
            after.footer()
        );
        assert!(!after.header("/").contains(">About</a>"));
        assert_ne!(before.theme_stylesheet, after.theme_stylesheet);
        assert_ne!(before.business_ld, after.business_ld);
        let ld = json_ld::website(&after, &after.business_ld, "https://clinic.example/");
        assert!(ld.contains(r#""name":"Mosaic \u003cClinic\u003e""#), "{ld}");
    }
}
