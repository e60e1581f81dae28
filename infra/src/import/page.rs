//! A WordPress page to a lambdapress page: `pages/<slug>.md`, its slug kept unless it
//! is one of the site's own routes (then `<slug>-page`, and the summary says so).

use super::links::Links;
use super::markdown::Converter;
use super::post::{
    decode_entities, first_words, live_or_draft, numeric_id, toml_string, wanted_slug, NotAPost,
    Slugs, SUMMARY_WORDS,
};
use super::wxr::WxrItem;
use lambdapress::domain::{Page, Slug};
use std::fmt::Write as _;

/// A page ready to be written.
#[derive(Debug, Clone)]
pub struct MappedPage {
    pub slug: Slug,
    pub wp_id: String,
    pub title: String,
    pub draft: bool,
    /// The whole `pages/<slug>.md` file.
    pub source: String,
    pub notes: Vec<String>,
}

/// The slug, title and status of a `page` item (the first pass plans them all).
pub fn plan_page(
    item: &WxrItem,
    slugs: &mut Slugs,
    converter: &Converter,
) -> Result<(Slug, String, bool, Vec<String>), NotAPost> {
    if item.post_type != "page" {
        return Err(NotAPost::OtherType(item.post_type.clone()));
    }
    let draft = live_or_draft(&item.status)?;
    let wp_id = numeric_id(item)?;
    let mut notes = Vec::new();
    let title = decode_entities(&converter.plain_text(&item.title));
    let title = if title.is_empty() {
        notes.push("it has no title; it is called \"(no title)\"".to_owned());
        "(no title)".to_owned()
    } else {
        title
    };
    let mut wanted = wanted_slug(&item.post_name, &title, wp_id);
    if Page::is_reserved(wanted.as_str()) {
        let renamed = Slug::parse(&format!("{wanted}-page")).expect("a slug with a suffix");
        notes.push(format!(
            "slug `{wanted}` is a route of this site; the page is renamed `{renamed}` (its old address redirects there)"
        ));
        wanted = renamed;
    }
    let slug = slugs.claim(wanted.clone(), wp_id);
    if slug != wanted {
        notes.push(format!(
            "slug `{wanted}` is taken by another page in the export; it is `{slug}`"
        ));
    }
    Ok((slug, title, draft, notes))
}

pub fn map_page(
    item: &WxrItem,
    slugs: &mut Slugs,
    converter: &Converter,
    links: &Links,
) -> Result<MappedPage, NotAPost> {
    let (slug, title, draft, notes) = plan_page(item, slugs, converter)?;
    let content = links.rewrite_html(&item.content);
    let body = converter.post_body(&content);
    let mut summary = converter.plain_text(&item.excerpt);
    if summary.is_empty() {
        summary = first_words(&converter.first_paragraph(&content), SUMMARY_WORDS);
    }
    let mut source = String::from("+++\n");
    let _ = writeln!(source, "title = {}", toml_string(&title));
    if !summary.is_empty() {
        let _ = writeln!(source, "summary = {}", toml_string(&summary));
    }
    if draft {
        source.push_str("draft = true\n");
    }
    source.push_str("+++\n\n");
    source.push_str(&body);
    Page::parse(slug.clone(), &source).map_err(|e| NotAPost::Malformed(e.to_string()))?;
    Ok(MappedPage {
        slug,
        wp_id: item.post_id.trim().to_owned(),
        title,
        draft,
        source,
        notes,
    })
}
