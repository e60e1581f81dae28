//! Non-ASCII slugs and tags end to end: `posts/cómo-dormir.md` tagged "Niños" and
//! "Salud Mental" is served at `/posts/c%C3%B3mo-dormir`, linked percent-encoded from
//! every list, tag page, feed and the sitemap, on the embedded adapters and on S3 and
//! DynamoDB (moto); a bad encoding is a 404, never a panic.

use lambdapress::adapters::FsContent;
use lambdapress::feeds::{Feeds, FeedsOptions};
use lambdapress::http::Body;
use lambdapress::indexer::reindex_all;
use lambdapress::site::{Site, SiteOptions};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{body_text, header, http_api, s3_event};
use lambdapress_tests::sample::{EmbeddedSite, BASE_URL};
use lambdapress_tests::{feedparser, moto};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const POST: &str = "+++\ntitle = \"Cómo dormir mejor\"\nsummary = \"Consejos para dormir.\"\n\
date = 2024-05-01T09:00:00Z\ntags = [\"Niños\", \"Salud Mental\"]\n+++\n\
Dormir bien ayuda a los niños.\n";
const PATH: &str = "/posts/c%C3%B3mo-dormir";

async fn get(site: &Site, path: &str) -> lambdapress::http::Response<Body> {
    site.handle(&http_api("GET", path, &[])).await
}

async fn page(site: &Site, path: &str) -> String {
    let response = get(site, path).await;
    assert_eq!(response.status(), 200, "{path}");
    body_text(&response)
}

/// What a visitor, a feed reader and a crawler see of the post, whatever the adapters.
async fn assert_served_percent_encoded(site: &Site) {
    let article = page(site, PATH).await;
    for part in [
        "<h1>Cómo dormir mejor</h1>",
        &format!(r#"<link rel="canonical" href="{BASE_URL}{PATH}">"#),
        &format!(r#"<meta property="og:url" content="{BASE_URL}{PATH}">"#),
        &format!(r#""url":"{BASE_URL}{PATH}""#),
        r#"href="/tags/ni%C3%B1os" rel="tag">Niños</a>"#,
        r#"href="/tags/salud-mental" rel="tag">Salud Mental</a>"#,
        &format!(r#"action="{PATH}/comments""#),
        &format!(r#"href="{BASE_URL}{PATH}/comments.xml""#),
    ] {
        assert!(article.contains(part), "the article lacks {part:?}");
    }
    assert!(!article.contains("/posts/cómo"), "no raw UTF-8 in an href");
    // The same post however the path is spelled: lowercase hex, or raw UTF-8 as API
    // Gateway may hand it over.
    for spelled in ["/posts/c%c3%b3mo-dormir", "/posts/cómo-dormir"] {
        assert!(
            page(site, spelled)
                .await
                .contains("<h1>Cómo dormir mejor</h1>"),
            "{spelled}"
        );
    }

    let link = format!(r#"href="{PATH}""#);
    let home = page(site, "/").await;
    assert!(home.contains(&link), "home lists the post encoded");
    assert!(home.contains(r#"href="/tags/ni%C3%B1os""#));
    let tag = page(site, "/tags/ni%C3%B1os").await;
    assert!(tag.contains(&link) && tag.contains("Niños"), "{tag}");
    assert!(page(site, "/tags/salud-mental").await.contains(&link));
    assert!(
        page(site, "/tags/niños").await.contains(&link),
        "raw UTF-8 tag path"
    );
    let tags = page(site, "/tags").await;
    assert!(
        tags.contains(r#"href="/tags/ni%C3%B1os" rel="tag">Niños</a>"#),
        "{tags}"
    );
    assert!(page(site, "/archive/2024/05").await.contains(&link));
    let found = page(site, "/search?q=dormir").await;
    assert!(
        found.contains(&link),
        "search results link it encoded: {found}"
    );
    // The index holds the tag names: a UTF-8 query finds the post by its tag.
    let by_tag = page(site, "/search?q=ni%C3%B1os").await;
    assert!(
        by_tag.contains(&link),
        "a search for the tag finds it: {by_tag}"
    );

    // Canonical spellings redirect to the encoded path, never a raw UTF-8 Location.
    for (from, to) in [
        ("/posts/c%C3%B3mo-dormir/", PATH),
        ("/posts/cómo-dormir/", PATH),
        ("/tags/ni%C3%B1os/page/1", "/tags/ni%C3%B1os"),
        ("/tags/niños/page/1", "/tags/ni%C3%B1os"),
    ] {
        let r = get(site, from).await;
        assert_eq!(r.status(), 301, "{from}");
        assert_eq!(header(&r, "location"), Some(to), "{from}");
    }
    // Bad encodings and look-alikes: 404 pages, never a panic or another post.
    for bad in [
        "/posts/%C3",
        "/posts/c%C3%B3mo%2Fdormir",
        "/posts/%FF%FE",
        "/posts/c%B3mo-dormir",
        "/posts/C%C3%B3mo-dormir",
        "/posts/co%CC%81mo-dormir",
        "/posts/c%C3%B3mo-dormir%00",
        "/posts/c%C3%B3mo dormir",
        "/tags/ni%C3%B1os%2F..",
        "/tags/%E2%82",
        "/%C3%28",
        "/posts/c%C3%B3mo-dormir/comments.xml%2F",
    ] {
        let r = get(site, bad).await;
        assert_eq!(r.status(), 404, "{bad}");
    }

    // Feeds and sitemap, as stored by the feeds function and served by the site.
    let permalink = format!("{BASE_URL}{PATH}");
    let rss = page(site, "/feed.xml").await;
    assert!(rss.contains(&format!("<link>{permalink}</link>")), "{rss}");
    assert!(
        rss.contains(&format!(
            r#"domain="{BASE_URL}/tags/ni%C3%B1os">Niños</category>"#
        )),
        "{rss}"
    );
    let atom = page(site, "/atom.xml").await;
    assert!(atom.contains(&format!(r#"href="{permalink}""#)), "{atom}");
    let json_feed: serde_json::Value =
        serde_json::from_str(&page(site, "/feed.json").await).unwrap();
    let item = json_feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Cómo dormir mejor")
        .expect("the post is in the JSON feed");
    assert_eq!(item["url"], json!(permalink));
    let sitemap = page(site, "/sitemap.xml").await;
    for loc in [
        permalink.clone(),
        format!("{BASE_URL}/tags/ni%C3%B1os"),
        format!("{BASE_URL}/tags/salud-mental"),
    ] {
        assert!(
            sitemap.contains(&format!("<loc>{loc}</loc>")),
            "{loc} in {sitemap}"
        );
    }
    let comments = get(site, &format!("{PATH}/comments.xml")).await;
    assert_eq!(comments.status(), 200, "the post's comments feed");
    assert!(body_text(&comments).contains(&format!("<link>{permalink}</link>")));

    if let Some(python) = feedparser::python() {
        for (feed, bytes) in [("rss", rss.as_bytes()), ("atom", atom.as_bytes())] {
            let parsed = feedparser::parse_clean(&python, bytes);
            let entry = parsed["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["title"] == "Cómo dormir mejor")
                .unwrap_or_else(|| panic!("{feed}: {parsed}"));
            assert_eq!(entry["link"], json!(permalink), "{feed}");
            let tags = entry["tags"].to_string();
            assert!(
                tags.contains("Niños") || tags.contains("niños"),
                "{feed}: {tags}"
            );
        }
    }
}

#[tokio::test]
async fn a_utf8_post_and_tag_on_the_embedded_adapters() {
    let site = EmbeddedSite::start().await;
    site.write_post("cómo-dormir", POST);
    reindex_all(site.content.as_ref(), site.index.as_ref())
        .await
        .unwrap();
    Feeds::new(site.content.clone(), site.index.clone())
        .with_comments(site.comments.clone())
        .with_options(FeedsOptions {
            base_url: Some(BASE_URL.into()),
            ..FeedsOptions::default()
        })
        .handle(json!({"rebuild": "all"}))
        .await
        .unwrap();
    assert!(site.dir.0.join("content/posts/cómo-dormir.md").exists());
    assert!(site
        .dir
        .0
        .join("generated/posts/cómo-dormir/comments.xml")
        .exists());
    assert_served_percent_encoded(&site.site).await;
}

#[tokio::test]
async fn the_local_watcher_and_listing_find_a_utf8_post() {
    let site = EmbeddedSite::start().await;
    site.write_post("cómo-dormir", POST);
    // A decomposed or uppercase file name is not a slug: never listed, never a panic.
    site.write_post("Cómo-dormir", POST);
    site.write_post("co\u{301}mo-dormir", POST);
    let content = FsContent::new(site.dir.0.join("content"), site.dir.0.join("generated"));
    use lambdapress::ports::ContentStore;
    let slugs = content.list_post_slugs().await.unwrap();
    let utf8: Vec<&str> = slugs
        .iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_ascii())
        .collect();
    assert_eq!(utf8, ["cómo-dormir"]);
}

#[tokio::test]
async fn a_utf8_post_and_tag_on_s3_and_dynamodb() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, name) = moto::s3_content(&endpoint).await;
    let bucket = Bucket::new(client, name);
    bucket.put_sample_settings().await;
    bucket.put("posts/cómo-dormir.md", POST).await;
    let (index, comments) = moto::dynamo_stores(&endpoint).await;
    let (content, index, comments) = (Arc::new(content), Arc::new(index), Arc::new(comments));
    // The key as S3 notifies it: form-encoded UTF-8.
    let report = Feeds::new(content.clone(), index.clone())
        .with_comments(comments.clone())
        .with_options(FeedsOptions {
            base_url: Some(BASE_URL.into()),
            ..FeedsOptions::default()
        })
        .handle(s3_event(
            "s3-object-created.json",
            &["posts/c%C3%B3mo-dormir.md"],
        ))
        .await
        .unwrap();
    assert_eq!(report["posts"]["cómo-dormir"], "indexed", "{report}");
    let keys = bucket.keys("posts/").await;
    assert!(
        keys.contains(&"posts/cómo-dormir/comments.xml".to_owned()),
        "{keys:?}"
    );
    let site = Site::new(
        content,
        index,
        comments,
        SiteOptions {
            base_url: Some(BASE_URL.into()),
            settings_ttl: Duration::ZERO,
            view_ttl: Duration::ZERO,
            ..SiteOptions::default()
        },
    );
    assert_served_percent_encoded(&site).await;
}

#[tokio::test]
async fn a_comment_on_a_utf8_post_comes_back_to_its_encoded_address() {
    use lambdapress_tests::comments::{location, CommentSite, VISITOR_IP};
    let site = CommentSite::start("").await;
    site.embedded.write_post("cómo-dormir", POST);
    reindex_all(site.embedded.content.as_ref(), site.embedded.index.as_ref())
        .await
        .unwrap();
    let fields = |body| {
        [
            ("name", "Ana"),
            ("email", "ana@example.com"),
            ("website", ""),
            ("body", body),
            ("parent", ""),
        ]
    };
    // Either hex case reaches the same post (a second identical comment is refused as a
    // duplicate there, so each says something else).
    for (spelled, body) in [
        (PATH, "¡Muy útil, gracias!"),
        ("/posts/c%c3%b3mo-dormir", "Lo probaré esta noche."),
    ] {
        let response = site
            .post_form(&format!("{spelled}/comments"), &fields(body), VISITOR_IP)
            .await;
        assert_eq!(
            response.status(),
            303,
            "{spelled}: {}",
            body_text(&response)
        );
        assert_eq!(
            location(&response),
            format!("{PATH}?moderation=held#comment-notice")
        );
        site.advance(time::Duration::seconds(60));
    }
    let held = site.page(&format!("{PATH}?moderation=held")).await;
    assert!(held.contains("Your comment is awaiting moderation."));
    let stored = site.stored().await;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|c| c.post.as_str() == "cómo-dormir"));
    let mail = &site.mails()[0];
    assert!(
        mail.text.contains(&format!("{BASE_URL}{PATH}\n")),
        "the owner's mail links the post: {}",
        mail.text
    );
    // A bad encoding of the post is a 404, and nothing is stored.
    let bad = site
        .post_form("/posts/c%C3/comments", &fields("Otra vez."), VISITOR_IP)
        .await;
    assert_eq!(bad.status(), 404);
    assert_eq!(site.stored().await.len(), 2);
}
