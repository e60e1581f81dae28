//! `[theme]` in site.toml: the look an owner sets without a compiler (logo, favicon,
//! colours checked against WCAG AA, a font stack from a short list, footer text, a default
//! share image), and the stylesheet of custom properties it becomes.

use super::SettingsError;
use serde::{Deserialize, Serialize};

/// The default palette (`static/style.css`'s light `:root`): what an unset colour is.
pub const DEFAULT_TEXT: &str = "#1f2a2e";
pub const DEFAULT_BACKGROUND: &str = "#fdfcf9";
pub const DEFAULT_ACCENT: &str = "#1d6f72";

/// WCAG 2.x AA for body-size text.
pub const AA_CONTRAST: f64 = 4.5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeSettings {
    /// `[theme.logo]`: shown before the site title in the header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo: Option<ThemeImage>,
    /// A media path (`/media/favicon.png`): `<link rel="icon">`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favicon: Option<String>,
    /// `#rrggbb` or `#rgb`: links, buttons, the current menu entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    /// `#rrggbb` or `#rgb`: the page (and header) background.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
    /// `#rrggbb` or `#rgb`: body text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font: Option<FontStack>,
    /// Markdown (inline: emphasis, links): a line at the foot of every page. Raw HTML
    /// shows as text and links go through the site's safe-URL check.
    pub footer: String,
    /// A raster image in media (`/media/share.jpg`): `og:image` of pages without a lead
    /// image of their own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub og_image: Option<String>,
    /// `theme/custom.css` from the bucket (not a site.toml field): the site function
    /// reads it with site.toml and sets it here, so pages link it.
    #[serde(skip)]
    pub custom_css: Option<super::CustomCss>,
}

/// A media image with its alternative text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeImage {
    pub src: String,
    pub alt: String,
}

/// The fonts an owner may pick: system stacks only (no web font downloads, nothing a
/// CSP or a visitor's privacy has to allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FontStack {
    /// The default: Georgia and its kin.
    OldStyle,
    /// The platform's interface font.
    System,
    Humanist,
    Transitional,
    Geometric,
}

impl FontStack {
    pub fn css(self) -> &'static str {
        match self {
            FontStack::OldStyle => "Georgia, \"Iowan Old Style\", \"Times New Roman\", serif",
            FontStack::System => "system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif",
            FontStack::Humanist => {
                "Seravek, \"Gill Sans Nova\", Ubuntu, Calibri, \"DejaVu Sans\", sans-serif"
            }
            FontStack::Transitional => {
                "Charter, \"Bitstream Charter\", \"Sitka Text\", Cambria, serif"
            }
            FontStack::Geometric => {
                "Avenir, Montserrat, Corbel, \"URW Gothic\", \"Century Gothic\", sans-serif"
            }
        }
    }
}

/// A validated sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour([u8; 3]);

impl Colour {
    /// `#rrggbb` or `#rgb`, either case.
    pub fn parse(s: &str) -> Option<Colour> {
        let hex = s.strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize, n: usize| u8::from_str_radix(&hex[i..i + n], 16).ok();
        match hex.len() {
            6 => Some(Colour([digit(0, 2)?, digit(2, 2)?, digit(4, 2)?])),
            3 => {
                let d = |i| digit(i, 1).map(|v| v * 17);
                Some(Colour([d(0)?, d(1)?, d(2)?]))
            }
            _ => None,
        }
    }

    /// `#rrggbb`, lowercase: the only spelling written into CSS.
    pub fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }

    /// WCAG 2.x relative luminance.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0[0]) + 0.7152 * channel(self.0[1]) + 0.0722 * channel(self.0[2])
    }

    /// WCAG 2.x contrast ratio, 1.0 to 21.0.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

/// The palette a themed page uses: the owner's colours, the defaults for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub text: Colour,
    pub background: Colour,
    pub accent: Colour,
}

impl ThemeSettings {
    /// Checks every field; the error names the setting (`theme.accent`) and, for a
    /// colour pair below AA, both colours and the ratio.
    pub fn check(&self) -> Result<(), SettingsError> {
        let bad = |field: &str, m: String| SettingsError(format!("theme.{field}: {m}"));
        if let Some(logo) = &self.logo {
            media_image(&logo.src, false).map_err(|m| bad("logo.src", m))?;
            if logo.alt.trim().is_empty() || logo.alt.chars().count() > 200 {
                return Err(bad(
                    "logo.alt",
                    "describe the logo in 1 to 200 characters (screen readers read it)".into(),
                ));
            }
        }
        if let Some(favicon) = &self.favicon {
            media_image(favicon, false).map_err(|m| bad("favicon", m))?;
        }
        if let Some(image) = &self.og_image {
            media_image(image, true).map_err(|m| bad("og_image", m))?;
        }
        if self.footer.len() > 2_000 {
            return Err(bad("footer", "at most 2000 characters".into()));
        }
        let palette = self.palette()?;
        for (field, value, against, ratio) in [
            (
                "text",
                palette.text,
                "background",
                palette.text.contrast(palette.background),
            ),
            (
                "accent",
                palette.accent,
                "background",
                palette.accent.contrast(palette.background),
            ),
        ] {
            if ratio < AA_CONTRAST {
                return Err(bad(
                    field,
                    format!(
                        "`{}` on theme.{against} `{}` has a contrast of {:.2}:1; WCAG AA needs \
                         at least {AA_CONTRAST}:1 for text (darken or lighten one of them)",
                        value.css(),
                        palette.background.css(),
                        (ratio * 100.0).floor() / 100.0,
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The owner's colours over the defaults; an invalid one is an error naming it.
    pub fn palette(&self) -> Result<Palette, SettingsError> {
        let colour = |field: &str, set: &Option<String>, default: &str| {
            let value = set.as_deref().unwrap_or(default);
            Colour::parse(value).ok_or_else(|| {
                SettingsError(format!(
                    "theme.{field}: `{value}` is not a colour; write it as #rrggbb or #rgb"
                ))
            })
        };
        Ok(Palette {
            text: colour("text", &self.text, DEFAULT_TEXT)?,
            background: colour("background", &self.background, DEFAULT_BACKGROUND)?,
            accent: colour("accent", &self.accent, DEFAULT_ACCENT)?,
        })
    }

    /// The theme's stylesheet: custom properties over `static/style.css`'s, linked after
    /// it. A palette the owner set holds in dark mode too (it was checked as a whole), so
    /// it is written for both schemes. Only validated values reach it: hex colours and
    /// font stacks from `FontStack`.
    pub fn stylesheet(&self) -> String {
        let mut vars = String::new();
        if self.accent.is_some() || self.background.is_some() || self.text.is_some() {
            if let Ok(p) = self.palette() {
                let (text, paper, accent) = (p.text.css(), p.background.css(), p.accent.css());
                vars.push_str(&format!(
                    "--ink: {text}; --muted: {text}; --paper: {paper}; --soft: {paper}; \
                     --accent: {accent}; --accent-ink: {paper}; color-scheme: light;"
                ));
            }
        }
        let font = self
            .font
            .map(|f| format!("body {{ font-family: {}; }}\n", f.css()))
            .unwrap_or_default();
        if vars.is_empty() {
            return if font.is_empty() {
                String::new()
            } else {
                format!("/* [theme] in site.toml */\n{font}")
            };
        }
        // The default sheet's fixed hover colours and dark-mode field colours follow the
        // owner's palette, so nothing is drawn in a pair that was not checked (a button
        // keeps the checked accent/paper pair on hover and shows focus by an outline).
        format!(
            "/* [theme] in site.toml */\n:root {{ {vars} }}\n\
             @media (prefers-color-scheme: dark) {{ :root {{ {vars} }} }}\n\
             a:hover, a:focus {{ color: var(--accent); }}\n\
             button:hover, button:focus {{ background: var(--accent); \
             outline: 2px solid var(--ink); outline-offset: 2px; }}\n\
             input[type=email], input[type=text], input[type=url], input[type=search], textarea \
             {{ background: var(--paper); color: var(--ink); }}\n{font}"
        )
    }
}

/// A `/media/<name>` path the media route serves as an image (`raster_only`: no SVG,
/// which share cards do not show). The media route's own rule (`MediaKey`): folders,
/// UTF-8 names and spaces, raw or percent-encoded.
fn media_image(path: &str, raster_only: bool) -> Result<(), String> {
    use crate::site::media::MediaType;
    let key = crate::ports::MediaKey::from_url_path(path)
        .ok_or_else(|| format!("`{path}` must be a file in media, written /media/<name>"))?;
    match MediaType::of(key.name()) {
        Some(MediaType::Raster(_)) => Ok(()),
        Some(MediaType::Scriptable(_)) if !raster_only => Ok(()),
        _ => Err(format!(
            "`{path}` must be an image ({})",
            if raster_only {
                "jpg, png, gif, webp or avif"
            } else {
                "jpg, png, gif, webp, avif, ico or svg"
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(toml_src: &str) -> ThemeSettings {
        toml::from_str(toml_src).unwrap()
    }

    #[test]
    fn colours_parse_in_both_spellings_and_nothing_else() {
        assert_eq!(Colour::parse("#1D6F72").unwrap().css(), "#1d6f72");
        assert_eq!(Colour::parse("#fff").unwrap().css(), "#ffffff");
        for bad in [
            "1d6f72",
            "#12",
            "#1234567",
            "#ggg",
            "red",
            "#fff;}",
            "#ｆｆｆ",
            "",
        ] {
            assert_eq!(Colour::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        let c = |s| Colour::parse(s).unwrap();
        assert!((c("#000").contrast(c("#fff")) - 21.0).abs() < 1e-9);
        assert!((c("#fff").contrast(c("#fff")) - 1.0).abs() < 1e-9);
        // WebAIM's checker: #777777 on white is 4.47:1 (fails AA), #767676 is 4.54:1.
        assert!((c("#777777").contrast(c("#ffffff")) - 4.48).abs() < 0.01);
        assert!(c("#767676").contrast(c("#ffffff")) >= AA_CONTRAST);
        assert!(c("#777777").contrast(c("#ffffff")) < AA_CONTRAST);
    }

    #[test]
    fn low_contrast_names_the_setting_and_the_ratio() {
        let e = theme("accent = \"#7fb3b5\"")
            .check()
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("site.toml: theme.accent: `#7fb3b5` on theme.background `#fdfcf9`"),
            "{e}"
        );
        assert!(e.contains("contrast of 2.2") && e.contains("4.5:1"), "{e}");
        let e = theme("text = \"#999\"\nbackground = \"#fff\"")
            .check()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("theme.text: `#999999` on theme.background `#ffffff`"),
            "{e}"
        );
        let e = theme("background = \"navy\"")
            .check()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("theme.background: `navy` is not a colour"),
            "{e}"
        );
        assert!(theme("accent = \"#0b5394\"\nbackground = \"#ffffff\"")
            .check()
            .is_ok());
        assert!(
            ThemeSettings::default().check().is_ok(),
            "the defaults pass AA"
        );
    }

    #[test]
    fn theme_images_are_media_images() {
        for (src, ok) in [
            ("/media/logo.svg", true),
            ("/media/uploads/2024/05/logo.png", true),
            ("/media/clínica/logo nuevo.png", true),
            ("/media/cl%C3%ADnica/logo%20nuevo.png", true),
            ("/media/.hidden/logo.png", false),
            ("/media/a%2F..%2Fsite.toml", false),
            ("media/logo.png", false),
            ("https://cdn.example/logo.png", false),
            ("/media/../site.toml", false),
            ("/media/logo.html", false),
            ("/media/notes.pdf", false),
            ("/posts/a", false),
        ] {
            let t = theme(&format!("[logo]\nsrc = \"{src}\"\nalt = \"Clinic\""));
            assert_eq!(t.check().is_ok(), ok, "{src}: {:?}", t.check());
        }
        let e = theme("og_image = \"/media/share.svg\"")
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("theme.og_image"), "{e}");
        let e = theme("[logo]\nsrc = \"/media/l.png\"\nalt = \" \"")
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("theme.logo.alt"), "{e}");
        assert!(toml::from_str::<ThemeSettings>("font = \"comic_sans\"").is_err());
    }

    #[test]
    fn the_stylesheet_holds_only_validated_values_for_both_schemes() {
        assert_eq!(ThemeSettings::default().stylesheet(), "");
        let css = theme("accent = \"#0B5394\"\nfont = \"humanist\"").stylesheet();
        assert!(css.contains("--accent: #0b5394;"), "{css}");
        assert!(css.contains("--paper: #fdfcf9;"), "{css}");
        assert!(css.contains("body { font-family: Seravek"), "{css}");
        assert!(css.contains("@media (prefers-color-scheme: dark)"), "{css}");
    }

    /// Every rule of the default sheet's dark scheme that draws a fixed colour (its
    /// `:root` aside, which the palette replaces) is drawn again from the owner's
    /// palette: otherwise a light palette would meet a dark-mode colour no check saw
    /// (dark text on the dark search box, a pale hover under pale button text).
    #[test]
    fn an_owners_palette_overrides_every_fixed_colour_of_the_dark_scheme() {
        let sheet = include_str!("../../static/style.css");
        let dark = sheet
            .split("@media (prefers-color-scheme: dark) {")
            .nth(1)
            .expect("the default sheet has a dark scheme");
        let dark = &dark[..dark.find("\n}").expect("the dark block ends")];
        let css = theme("accent = \"#0b5394\"").stylesheet();
        let mut selectors = 0;
        for rule in dark.lines().map(str::trim).filter(|l| l.contains('{')) {
            let selector = rule[..rule.find('{').unwrap()].trim();
            if selector == ":root" {
                continue;
            }
            for one in selector.split(',').map(str::trim) {
                selectors += 1;
                assert!(
                    css.split('{').any(|head| head
                        .rsplit('}')
                        .next()
                        .unwrap()
                        .split(',')
                        .any(|s| s.trim() == one)),
                    "the theme stylesheet leaves `{one}` in the default dark colours:\n{css}"
                );
            }
        }
        assert!(selectors >= 5, "no dark rules read from the default sheet");
    }
}
