//! The feeds function end to end on moto: S3 events (and DynamoDB stream records) in,
//! objects in the bucket out, with their headers; a repeated event writes nothing.

use lambdapress::adapters::DynamoCommentStore;
use lambdapress::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Slug,
};
use lambdapress::feeds::{Feeds, FeedsOptions, Report};
use lambdapress::ports::CommentStore;
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{dynamodb_stream, s3_event};
use lambdapress_tests::moto;
use lambdapress_tests::sample::{sample_content_dir, BASE_URL};
use std::sync::Arc;

/// A bucket holding the sample site's settings and posts, and a table for the index.
pub struct AwsSite {
    pub bucket: Bucket,
    pub feeds: Feeds,
    pub comments: Arc<DynamoCommentStore>,
}

impl AwsSite {
    async fn start(endpoint: &str) -> AwsSite {
        let (content, client, name) = moto::s3_content(endpoint).await;
        let bucket = Bucket::new(client, name);
        bucket.enable_versioning().await;
        // One table for the post index and the comments, as deployed.
        let (index, comments) = moto::dynamo_stores(endpoint).await;
        let comments = Arc::new(comments);
        bucket.put_sample_settings().await;
        AwsSite {
            bucket,
            feeds: Feeds::new(Arc::new(content), Arc::new(index))
                .with_comments(comments.clone())
                .with_options(FeedsOptions {
                    base_url: Some(BASE_URL.into()),
                    ..FeedsOptions::default()
                }),
            comments,
        }
    }

    async fn text(&self, key: &str) -> (String, Option<String>, Option<String>) {
        self.bucket
            .object(key)
            .await
            .unwrap_or_else(|| panic!("{key} is in the bucket"))
    }
}

fn report(value: serde_json::Value) -> Report {
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn publishing_a_post_to_s3_writes_every_feed_and_the_sitemap_once() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = AwsSite::start(&endpoint).await;
    let knots = std::fs::read(sample_content_dir().join("posts/what-are-muscle-knots.md")).unwrap();
    site.bucket
        .put("posts/what-are-muscle-knots.md", &knots)
        .await;
    site.bucket.put(
        "posts/caf-hours.md",
        "+++\ntitle = \"Café hours & “holidays” <2025>\"\ndate = 2024-12-01\ntags = [\"Clinic News\"]\n+++\nOpen.\n".as_bytes(),
    )
    .await;

    let first = report(
        site.feeds
            .handle(s3_event(
                "s3-object-created.json",
                &["posts/what-are-muscle-knots.md", "posts%2Fcaf-hours.md"],
            ))
            .await
            .unwrap(),
    );
    assert_eq!(first.posts["caf-hours"], "indexed");
    let mut written = first.written.clone();
    written.sort();
    assert_eq!(
        written,
        [
            "atom.xml",
            "comments/feed.xml",
            "feed.json",
            "feed.xml",
            "posts/caf-hours/comments.xml",
            "posts/what-are-muscle-knots/comments.xml",
            "robots.txt",
            "search/index.bin",
            "sitemap.xml"
        ],
        "each new post gets its (empty) comment feed at once"
    );
    for (key, expected_type) in [
        ("feed.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json; charset=utf-8"),
        ("sitemap.xml", "application/xml; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
    ] {
        let (_, content_type, cache_control) = site.text(key).await;
        assert_eq!(content_type.as_deref(), Some(expected_type), "{key}");
        assert!(
            cache_control.is_some_and(|c| c.starts_with("public, max-age=")),
            "{key}"
        );
    }
    let (rss, _, _) = site.text("feed.xml").await;
    assert!(
        rss.contains("<title>Café hours &amp; “holidays” &lt;2025&gt;</title>"),
        "{rss}"
    );
    assert!(rss.contains(&format!(
        "<guid>{BASE_URL}/posts/what-are-muscle-knots</guid>"
    )));
    if let Some(python) = lambdapress_tests::feedparser::python() {
        let parsed = lambdapress_tests::feedparser::parse_clean(&python, rss.as_bytes());
        assert_eq!(
            parsed["entries"][0]["title"],
            "Café hours & “holidays” <2025>"
        );
        assert_eq!(parsed["entries"].as_array().unwrap().len(), 2);
    }

    // The same event again (S3 delivers at least once): nothing is rewritten.
    let second = report(
        site.feeds
            .handle(s3_event(
                "s3-object-created.json",
                &["posts/what-are-muscle-knots.md"],
            ))
            .await
            .unwrap(),
    );
    assert_eq!(second.written, Vec::<String>::new());
    for key in [
        "feed.xml",
        "atom.xml",
        "feed.json",
        "sitemap.xml",
        "robots.txt",
    ] {
        assert_eq!(site.bucket.versions(key).await, 1, "{key} was written once");
    }
}

#[tokio::test]
async fn publishing_a_post_then_approving_a_comment_ends_with_every_feed_in_the_bucket() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = AwsSite::start(&endpoint).await;
    let knots = std::fs::read(sample_content_dir().join("posts/what-are-muscle-knots.md")).unwrap();
    site.bucket
        .put("posts/what-are-muscle-knots.md", &knots)
        .await;
    site.feeds
        .handle(s3_event(
            "s3-object-created.json",
            &["posts/what-are-muscle-knots.md"],
        ))
        .await
        .unwrap();

    let id = CommentId::generate();
    let comment = Comment {
        fingerprint: format!("fp-{id}"),
        id: id.clone(),
        post: Slug::parse("what-are-muscle-knots").unwrap(),
        parent: None,
        author: AuthorName::parse("Zoë & <Co>").unwrap(),
        email: CommentEmail::parse("zoe@example.com").unwrap(),
        website: None,
        body: CommentBody::parse("Merci & thanks").unwrap(),
        body_html: "<p>Merci &amp; thanks</p>".into(),
        status: CommentStatus::Pending,
        created_at: time::macros::datetime!(2024-03-15 18:30 UTC),
        client_hash: "hash".into(),
    };
    site.comments.insert(&comment).await.unwrap();
    site.comments.approve(&id).await.unwrap().expect("approved");
    let batch = dynamodb_stream(
        "dynamodb-stream-modify-approved.json",
        "what-are-muscle-knots",
    );
    let first = report(site.feeds.handle(batch.clone()).await.unwrap());
    let mut written = first.written.clone();
    written.sort();
    assert_eq!(
        written,
        [
            "comments/feed.xml",
            "posts/what-are-muscle-knots/comments.xml"
        ]
    );
    for key in [
        "comments/feed.xml",
        "posts/what-are-muscle-knots/comments.xml",
    ] {
        let (xml, content_type, _) = site.text(key).await;
        assert_eq!(
            content_type.as_deref(),
            Some("application/rss+xml; charset=utf-8")
        );
        assert!(
            xml.contains(&format!(
                "<guid>{BASE_URL}/posts/what-are-muscle-knots#comment-{id}</guid>"
            )),
            "{key}: {xml}"
        );
        assert!(xml.contains(
            "Comment on What Are Muscle Knots and Why Do You Have Them? by Zoë &amp; &lt;Co&gt;"
        ));
        if let Some(python) = lambdapress_tests::feedparser::python() {
            let parsed = lambdapress_tests::feedparser::parse_clean(&python, xml.as_bytes());
            assert_eq!(parsed["entries"].as_array().unwrap().len(), 1, "{key}");
            assert_eq!(parsed["entries"][0]["author"], "Zoë & <Co>");
        }
    }

    // The batch again: nothing is rewritten, so no object gains a version.
    let keys = [
        "comments/feed.xml",
        "posts/what-are-muscle-knots/comments.xml",
        "feed.xml",
        "sitemap.xml",
    ];
    let mut before = Vec::new();
    for key in keys {
        before.push(site.bucket.versions(key).await);
    }
    assert_eq!(
        before,
        [2, 2, 1, 1],
        "comment feeds: empty when the post was published, then with the comment"
    );
    let second = report(site.feeds.handle(batch).await.unwrap());
    assert_eq!(second.written, Vec::<String>::new());
    let mut after = Vec::new();
    for key in keys {
        after.push(site.bucket.versions(key).await);
    }
    assert_eq!(before, after);
}
