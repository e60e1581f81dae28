//! The feeds function's S3 handler, driven by real S3 notification JSON: created and
//! removed posts update the post index, URL-encoded keys included.

use lambdapress::feeds::Feeds;
use lambdapress::ports::PostIndex;
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::s3_event;
use lambdapress_tests::moto;
use lambdapress_tests::sample::EmbeddedSite;
use std::sync::Arc;
use time::OffsetDateTime;

fn slug(s: &str) -> lambdapress::domain::Slug {
    lambdapress::domain::Slug::parse(s).unwrap()
}

#[tokio::test]
async fn created_and_removed_posts_update_the_index() {
    let site = EmbeddedSite::start().await;
    let feeds = Feeds::new(site.content.clone(), site.index.clone());

    site.write_post(
        "cupping-basics",
        "+++\ntitle = \"Cupping basics\"\ndate = 2024-09-01\ntags = [\"Cupping\"]\n+++\nHello.\n",
    );
    let report = feeds
        .handle(s3_event(
            "s3-object-created.json",
            &["posts%2Fcupping-basics.md"],
        ))
        .await
        .unwrap();
    assert_eq!(report["posts"]["cupping-basics"], "indexed");
    let entry = site
        .index
        .get(&slug("cupping-basics"))
        .await
        .unwrap()
        .expect("indexed");
    assert_eq!(entry.title, "Cupping basics");
    let listed = site
        .index
        .newest_tagged(&slug("cupping"), OffsetDateTime::now_utc(), 0, 10)
        .await
        .unwrap();
    assert_eq!(listed.posts.len(), 1);

    std::fs::remove_file(site.dir.0.join("content/posts/cupping-basics.md")).unwrap();
    let report = feeds
        .handle(s3_event(
            "s3-object-removed.json",
            &["posts/cupping-basics.md"],
        ))
        .await
        .unwrap();
    assert_eq!(report["posts"]["cupping-basics"], "removed");
    assert_eq!(site.index.get(&slug("cupping-basics")).await.unwrap(), None);
}

#[tokio::test]
async fn a_batch_naming_one_post_many_times_syncs_it_once_and_ignores_other_keys() {
    let site = EmbeddedSite::start().await;
    let feeds = Feeds::new(site.content.clone(), site.index.clone());
    let event = s3_event(
        "s3-object-created.json",
        &[
            "posts/what-are-muscle-knots.md",
            "posts%2Fwhat-are-muscle-knots.md",
            "media/photo+1.jpg",
            "posts/Bad+Name.md",
            "posts/..%2Fsite.toml",
        ],
    );
    let report = feeds.handle(event).await.unwrap();
    assert_eq!(report["posts"].as_object().unwrap().len(), 1, "{report}");
    assert_eq!(report["posts"]["what-are-muscle-knots"], "indexed");
}

#[tokio::test]
async fn drafts_and_broken_posts_leave_the_index() {
    let site = EmbeddedSite::start().await;
    let feeds = Feeds::new(site.content.clone(), site.index.clone());
    assert!(site
        .index
        .get(&slug("what-are-muscle-knots"))
        .await
        .unwrap()
        .is_some());
    site.write_post(
        "what-are-muscle-knots",
        "+++\ntitle = \"Knots\"\ndate = 2024-03-12\ndraft = true\n+++\n",
    );
    let report = feeds
        .handle(s3_event(
            "s3-object-created.json",
            &["posts/what-are-muscle-knots.md"],
        ))
        .await
        .unwrap();
    assert_eq!(report["posts"]["what-are-muscle-knots"], "draft");
    assert_eq!(
        site.index
            .get(&slug("what-are-muscle-knots"))
            .await
            .unwrap(),
        None
    );

    site.write_post(
        "what-are-muscle-knots",
        "+++\ntitle = 5\ndate = 2024-03-12\n+++\n",
    );
    let report = feeds
        .handle(s3_event(
            "s3-object-created.json",
            &["posts/what-are-muscle-knots.md"],
        ))
        .await
        .unwrap();
    assert_eq!(
        report["posts"]["what-are-muscle-knots"],
        "rejected: posts/what-are-muscle-knots.md: field `title`: must be a string"
    );
}

#[tokio::test]
async fn events_from_elsewhere_are_refused() {
    let site = EmbeddedSite::start().await;
    let feeds = Feeds::new(site.content.clone(), site.index.clone());
    assert!(feeds
        .handle(serde_json::json!({"detail-type": "Something"}))
        .await
        .is_err());
}

#[tokio::test]
async fn the_s3_event_updates_the_dynamodb_index_from_the_bucket() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, bucket) = moto::s3_content(&endpoint).await;
    let index = Arc::new(moto::dynamo_index(&endpoint).await);
    let feeds = Feeds::new(Arc::new(content), index.clone());
    let settings =
        std::fs::read(lambdapress_tests::sample::sample_content_dir().join("site.toml")).unwrap();
    Bucket::new(client.clone(), bucket.clone())
        .put("site.toml", settings)
        .await;
    let source = "+++\ntitle = \"Déjà vu & “quotes”\"\ndate = 2024-09-01\ntags = [\"Sleep Well\"]\n+++\nHi\n";
    Bucket::new(client.clone(), bucket.clone())
        .put("posts/deja-vu.md", source)
        .await;
    feeds
        .handle(s3_event("s3-object-created.json", &["posts%2Fdeja-vu.md"]))
        .await
        .unwrap();
    let entry = index
        .get(&slug("deja-vu"))
        .await
        .unwrap()
        .expect("indexed in DynamoDB");
    assert_eq!(entry.title, "Déjà vu & “quotes”");
    assert_eq!(entry.tags[0].slug.as_str(), "sleep-well");

    client
        .delete_object()
        .bucket(&bucket)
        .key("posts/deja-vu.md")
        .send()
        .await
        .unwrap();
    feeds
        .handle(s3_event("s3-object-removed.json", &["posts/deja-vu.md"]))
        .await
        .unwrap();
    assert_eq!(index.get(&slug("deja-vu")).await.unwrap(), None);
}

async fn sitemap_of(content: &dyn lambdapress::ports::ContentStore) -> String {
    use lambdapress::ports::{ContentKey, Fetched};
    match content
        .get(&ContentKey::generated("sitemap.xml").unwrap(), None)
        .await
        .unwrap()
    {
        Fetched::Found(o) => String::from_utf8(o.bytes).unwrap(),
        other => panic!("no sitemap: {other:?}"),
    }
}

#[tokio::test]
async fn page_uploads_are_checked_and_put_in_the_sitemap_drafts_and_bad_pages_left_out() {
    let site = EmbeddedSite::start().await;
    let feeds = Feeds::new(site.content.clone(), site.index.clone());
    let dir = site.dir.0.join("content/pages");
    std::fs::write(
        dir.join("team.md"),
        "+++\ntitle = \"Our team\"\naliases = [\"/staff/\"]\n+++\nHello.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("notes.md"),
        "+++\ntitle = \"Notes\"\ndraft = true\n+++\n",
    )
    .unwrap();
    std::fs::write(dir.join("feed.md"), "+++\ntitle = \"Feed\"\n+++\n").unwrap();
    let report = feeds
        .handle(s3_event(
            "s3-object-created.json",
            &["pages%2Fteam.md", "pages/notes.md", "pages/feed.md"],
        ))
        .await
        .unwrap();
    assert_eq!(report["pages"]["team"], "indexed", "{report}");
    assert_eq!(report["pages"]["notes"], "draft", "{report}");
    let rejected = report["pages"]["feed"].as_str().unwrap();
    assert!(
        rejected.starts_with("rejected: pages/feed.md: field `slug`"),
        "{rejected}"
    );
    assert!(report["written"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k == "sitemap.xml"));
    let xml = sitemap_of(site.content.as_ref()).await;
    for page in ["about", "services", "contact", "privacy", "team"] {
        assert!(
            xml.contains(&format!("/{page}</loc>\n    <lastmod>")),
            "{page} missing: {xml}"
        );
    }
    assert!(!xml.contains("/notes<"), "a draft page is listed: {xml}");
    assert!(!xml.contains("/feed<"), "a reserved page is listed: {xml}");
    let redirect = site
        .site
        .handle(&lambdapress_tests::fixtures::http_api(
            "GET",
            "/staff/",
            &[],
        ))
        .await;
    assert_eq!(redirect.status(), 301, "the page's alias redirects");

    std::fs::remove_file(dir.join("team.md")).unwrap();
    let report = feeds
        .handle(s3_event("s3-object-removed.json", &["pages/team.md"]))
        .await
        .unwrap();
    assert_eq!(report["pages"]["team"], "removed");
    assert!(!sitemap_of(site.content.as_ref()).await.contains("/team<"));
}

#[tokio::test]
async fn a_page_put_in_the_bucket_reaches_the_sitemap_in_the_bucket() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (content, client, bucket) = moto::s3_content(&endpoint).await;
    let content = Arc::new(content);
    let index = Arc::new(moto::dynamo_index(&endpoint).await);
    let feeds = Feeds::new(content.clone(), index);
    let settings =
        std::fs::read(lambdapress_tests::sample::sample_content_dir().join("site.toml")).unwrap();
    for (key, body) in [
        ("site.toml", settings),
        (
            "pages/about.md",
            b"+++\ntitle = \"About\"\n+++\nHi\n".to_vec(),
        ),
    ] {
        Bucket::new(client.clone(), bucket.clone())
            .put(key, body)
            .await;
    }
    let report = feeds
        .handle(s3_event("s3-object-created.json", &["pages%2Fabout.md"]))
        .await
        .unwrap();
    assert_eq!(report["pages"]["about"], "indexed", "{report}");
    let xml = sitemap_of(content.as_ref()).await;
    assert!(xml.contains("/about</loc>\n    <lastmod>"), "{xml}");
}
