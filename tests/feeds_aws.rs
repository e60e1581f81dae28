//! The feeds function end to end on moto: S3 events (and DynamoDB stream records) in,
//! objects in the bucket out, with their headers; a repeated event writes nothing.

use lambdapress::feeds::{Feeds, FeedsOptions, Report};
use lambdapress_tests::fixtures::s3_event;
use lambdapress_tests::moto;
use lambdapress_tests::sample::{sample_content_dir, BASE_URL};
use std::sync::Arc;

/// A bucket holding the sample site's settings and posts, and a table for the index.
pub struct AwsSite {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub feeds: Feeds,
}

impl AwsSite {
    async fn start(endpoint: &str) -> AwsSite {
        let (content, client, bucket) = moto::s3_content(endpoint).await;
        client
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let index = moto::dynamo_index(endpoint).await;
        let site = AwsSite {
            client,
            bucket,
            feeds: Feeds::new(Arc::new(content), Arc::new(index)).with_options(FeedsOptions {
                base_url: Some(BASE_URL.into()),
                ..FeedsOptions::default()
            }),
        };
        site.upload(
            "site.toml",
            &std::fs::read(sample_content_dir().join("site.toml")).unwrap(),
        )
        .await;
        site
    }

    async fn upload(&self, key: &str, bytes: &[u8]) {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(bytes.to_vec().into())
            .send()
            .await
            .unwrap();
    }

    /// How many versions of `key` the bucket holds: one per write.
    async fn versions(&self, key: &str) -> usize {
        let out = self
            .client
            .list_object_versions()
            .bucket(&self.bucket)
            .prefix(key)
            .send()
            .await
            .unwrap();
        out.versions()
            .iter()
            .filter(|v| v.key() == Some(key))
            .count()
    }

    async fn text(&self, key: &str) -> (String, Option<String>, Option<String>) {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let content_type = out.content_type().map(str::to_owned);
        let cache_control = out.cache_control().map(str::to_owned);
        let bytes = out.body.collect().await.unwrap().into_bytes();
        (
            String::from_utf8(bytes.to_vec()).unwrap(),
            content_type,
            cache_control,
        )
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
    site.upload("posts/what-are-muscle-knots.md", &knots).await;
    site.upload(
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
            "feed.json",
            "feed.xml",
            "robots.txt",
            "sitemap.xml"
        ]
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
        assert_eq!(site.versions(key).await, 1, "{key} was written once");
    }
}
