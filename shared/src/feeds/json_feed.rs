//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>) through serde_json.

use super::generate::{FeedPost, FeedSite};
use crate::domain::time_fmt;
use serde::Serialize;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: String,
    feed_url: String,
    description: &'a str,
    language: &'a str,
    authors: Vec<Author<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    url: String,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
}

/// `/feed.json`.
pub fn posts(site: &FeedSite, posts: &[FeedPost]) -> Vec<u8> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &site.title,
        home_page_url: site.home(),
        feed_url: site.url("/feed.json"),
        description: &site.description,
        language: &site.language,
        authors: vec![Author {
            name: &site.author,
            url: site.home(),
        }],
        items: posts
            .iter()
            .map(|post| {
                let permalink = site.post_url(&post.meta.slug);
                JsonItem {
                    id: permalink.clone(),
                    url: permalink,
                    title: &post.meta.title,
                    content_html: &post.html,
                    summary: &post.meta.summary,
                    date_published: time_fmt::rfc3339(post.meta.date),
                    date_modified: post.meta.updated.map(time_fmt::rfc3339),
                    tags: post.meta.tags.iter().map(|t| t.name.as_str()).collect(),
                }
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&feed).expect("a feed always serializes");
    bytes.push(b'\n');
    bytes
}
