//! Atom (RFC 4287) with `atom_syndication`: feed and entries each carry `id`, `updated`,
//! an author and alternate links; the feed links to itself.

use super::generate::{FeedPost, FeedSite};
use crate::domain::time_fmt;
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text,
};
use time::OffsetDateTime;

fn date(t: OffsetDateTime) -> FixedDateTime {
    // Clamped into years chrono and RFC 3339 both take, so this parse cannot fail.
    time_fmt::rfc3339(time_fmt::clamp_utc(t))
        .parse()
        .expect("an RFC 3339 UTC date of years 1900-9999 parses as one")
}

fn link(href: String, rel: &str, mime_type: &str) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: Some(mime_type.into()),
        ..Link::default()
    }
}

/// `/atom.xml`. The feed's `updated` is its newest entry's (a fixed date when there is
/// none), so unchanged posts give unchanged bytes.
pub fn posts(site: &FeedSite, posts: &[FeedPost]) -> Vec<u8> {
    let author = Person {
        name: site.author.clone(),
        uri: Some(site.home()),
        ..Person::default()
    };
    let entries: Vec<Entry> = posts
        .iter()
        .map(|post| {
            let permalink = site.post_url(&post.meta.slug);
            Entry {
                title: Text::plain(post.meta.title.clone()),
                id: permalink.clone(),
                updated: date(post.modified()),
                published: Some(date(post.meta.date)),
                authors: vec![author.clone()],
                links: vec![link(permalink, "alternate", "text/html")],
                summary: Some(Text::plain(post.meta.summary.clone()))
                    .filter(|s| !s.value.is_empty()),
                content: Some(Content {
                    value: Some(post.html.clone()),
                    content_type: Some("html".into()),
                    ..Content::default()
                }),
                categories: post
                    .meta
                    .tags
                    .iter()
                    .map(|t| Category {
                        term: t.slug.to_string(),
                        label: Some(t.name.clone()),
                        scheme: Some(site.url("/tags/")),
                    })
                    .collect(),
                ..Entry::default()
            }
        })
        .collect();
    let updated = posts
        .iter()
        .map(FeedPost::modified)
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let feed = Feed {
        title: Text::plain(site.title.clone()),
        subtitle: Some(Text::plain(site.description.clone())),
        id: site.home(),
        updated: date(updated),
        authors: vec![author],
        links: vec![
            link(site.home(), "alternate", "text/html"),
            link(site.url("/atom.xml"), "self", "application/atom+xml"),
        ],
        generator: Some(Generator {
            value: "lambdapress".into(),
            ..Generator::default()
        }),
        lang: Some(site.language.clone()),
        entries,
        ..Feed::default()
    };
    feed.write_to(Vec::new())
        .expect("writing XML into memory cannot fail")
}
