//! RSS 2.0 with the `rss` crate: `atom:link rel="self"`, a permalink `guid` per item,
//! RFC 822 dates, the summary in `description` and the full HTML in `content:encoded`.

use super::generate::{CommentFeedItem, FeedPost, FeedSite};
use crate::domain::time_fmt;
use ::rss::extension::atom::{AtomExtension, Link};
use ::rss::{Category, Channel, Guid, Item};
use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

const GENERATOR: &str = "lambdapress";

/// RFC 822 (as updated by RFC 2822), in UTC: "Tue, 12 Mar 2024 09:00:00 +0000".
pub fn rfc822(t: OffsetDateTime) -> String {
    // The parser rejects dates outside `YEARS`; an index entry written before that rule
    // is clamped rather than allowed to stop every feed.
    time_fmt::clamp_utc(t)
        .format(&Rfc2822)
        .unwrap_or_else(|_| "Mon, 01 Jan 1900 00:00:00 +0000".to_owned())
}

fn self_link(href: String) -> AtomExtension {
    AtomExtension {
        links: vec![Link {
            href,
            rel: "self".into(),
            mime_type: Some("application/rss+xml".into()),
            ..Link::default()
        }],
    }
}

fn guid(permalink: &str) -> Guid {
    let mut guid = Guid::default();
    guid.set_value(permalink);
    guid.set_permalink(true);
    guid
}

fn channel(site: &FeedSite, title: String, link: String, description: String) -> Channel {
    let mut channel = Channel::default();
    channel.set_title(title);
    channel.set_link(link);
    channel.set_description(description);
    channel.set_language(site.language.clone());
    channel.set_generator(GENERATOR.to_owned());
    channel
}

fn to_bytes(channel: &Channel) -> Vec<u8> {
    channel
        .write_to(Vec::new())
        .expect("writing XML into memory cannot fail")
}

/// `/feed.xml`. `lastBuildDate` is the newest change among the items (never "now"), so
/// the same posts always give the same bytes.
pub fn posts(site: &FeedSite, posts: &[FeedPost]) -> Vec<u8> {
    let mut channel = channel(
        site,
        site.title.clone(),
        site.home(),
        site.description.clone(),
    );
    channel.set_atom_ext(self_link(site.url("/feed.xml")));
    channel.set_last_build_date(posts.iter().map(FeedPost::modified).max().map(rfc822));
    let items: Vec<Item> = posts
        .iter()
        .map(|post| {
            let permalink = site.post_url(&post.meta.slug);
            let mut item = Item::default();
            item.set_title(post.meta.title.clone());
            item.set_link(permalink.clone());
            item.set_guid(guid(&permalink));
            item.set_pub_date(rfc822(post.meta.date));
            // The summary is plain text; `description` is read as HTML.
            item.set_description(crate::render::escape::html(&post.meta.summary));
            item.set_content(post.html.clone());
            item.set_comments(format!("{permalink}#comments"));
            item.set_categories(
                post.meta
                    .tags
                    .iter()
                    .map(|t| Category {
                        name: t.name.clone(),
                        domain: Some(site.tag_url(&t.slug)),
                    })
                    .collect::<Vec<_>>(),
            );
            item
        })
        .collect();
    channel.set_items(items);
    to_bytes(&channel)
}

/// The channel-level text of a comments feed.
pub struct CommentsChannel {
    pub title: String,
    pub link: String,
    pub self_url: String,
    pub description: String,
}

/// A comments feed (the site's, or one post's). Item titles follow WordPress:
/// "Comment on <post> by <author>".
pub fn comments(site: &FeedSite, meta: &CommentsChannel, comments: &[CommentFeedItem]) -> Vec<u8> {
    let mut channel = channel(
        site,
        meta.title.clone(),
        meta.link.clone(),
        meta.description.clone(),
    );
    channel.set_atom_ext(self_link(meta.self_url.clone()));
    channel.set_last_build_date(comments.iter().map(|c| c.date).max().map(rfc822));
    let items: Vec<Item> = comments
        .iter()
        .map(|c| {
            let mut item = Item::default();
            item.set_title(
                site.messages()
                    .feed_comment_item_title(&c.post_title, &c.author),
            );
            item.set_link(c.permalink.clone());
            item.set_guid(guid(&c.permalink));
            item.set_pub_date(rfc822(c.date));
            item.set_description(c.html.clone());
            item.set_content(c.html.clone());
            let mut dc = ::rss::extension::dublincore::DublinCoreExtension::default();
            dc.set_creators(vec![c.author.clone()]);
            item.set_dublin_core_ext(dc);
            item
        })
        .collect();
    channel.set_items(items);
    to_bytes(&channel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_are_rfc_822_in_utc() {
        assert_eq!(
            rfc822(datetime!(2024-03-12 11:00 +02:00)),
            "Tue, 12 Mar 2024 09:00:00 +0000"
        );
    }
}
