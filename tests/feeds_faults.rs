//! The feeds function under faults and concurrency, on moto through the fault proxy: a
//! DynamoDB or S3 fault is a reported failure that publishes nothing wrong and succeeds
//! on retry; two interleaved runs never leave the older snapshot published.

use async_trait::async_trait;
use lambdapress::adapters::{DynamoCommentStore, DynamoPostIndex, S3Content};
use lambdapress::domain::Slug;
use lambdapress::feeds::{Feeds, FeedsError, FeedsOptions};
use lambdapress::ports::{ContentKey, PostIndex, StoreError};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fault_proxy::{Fault, FaultProxy, Match};
use lambdapress_tests::fixtures::{dynamodb_stream, s3_event};
use lambdapress_tests::moto;
use lambdapress_tests::sample::BASE_URL;
use lambdapress_tests::store_hooks::{Hooked, StoreHook, Write};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn post(title: &str, body: &str) -> Vec<u8> {
    format!("+++\ntitle = \"{title}\"\ndate = 2024-03-01\n+++\n{body}\n").into_bytes()
}

/// Holds the next plain write until the test lets it go.
#[derive(Default)]
struct Gate {
    /// (told when a write is held, released by)
    next: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

#[async_trait]
impl StoreHook for Gate {
    async fn before(&self, _key: &ContentKey, write: Write) -> Result<(), StoreError> {
        if write != Write::Put {
            return Ok(());
        }
        let gate = self.next.lock().unwrap().take();
        if let Some((held, release)) = gate {
            let _ = held.send(());
            let _ = release.await;
        }
        Ok(())
    }
}

type Gated = Hooked<S3Content, Gate>;

struct Site {
    proxy: FaultProxy,
    bucket: Bucket,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    content: Arc<Gated>,
    index: Arc<DynamoPostIndex>,
    feeds: Feeds,
}

impl Site {
    /// The feeds' clients go through the proxy; the test's own (`s3`, `dynamodb`) do not.
    async fn start(endpoint: &str, options: FeedsOptions) -> Site {
        let proxy = FaultProxy::start(endpoint).await;
        let (_, s3, name) = moto::s3_content(endpoint).await;
        let bucket = Bucket::new(s3, name);
        let (dynamodb, table) = moto::fresh_table(endpoint).await;
        let config = moto::sdk_config(&proxy.endpoint).await;
        let proxied_dynamodb = lambdapress::aws::dynamodb_client(&config);
        let content = Arc::new(Hooked::new(
            S3Content::new(lambdapress::aws::s3_client(&config), bucket.name.clone()),
            Gate::default(),
        ));
        let index = Arc::new(DynamoPostIndex::new(
            proxied_dynamodb.clone(),
            table.clone(),
        ));
        let comments = Arc::new(DynamoCommentStore::new(proxied_dynamodb, table.clone()));
        let feeds = Feeds::new(content.clone(), index.clone())
            .with_comments(comments)
            .with_options(FeedsOptions {
                base_url: Some(BASE_URL.into()),
                ..options
            });
        bucket.put_sample_settings().await;
        Site {
            proxy,
            bucket,
            dynamodb,
            table,
            content,
            index,
            feeds,
        }
    }

    async fn feeds_text(&self) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for key in ["feed.xml", "atom.xml", "feed.json", "sitemap.xml"] {
            out.push((key.to_owned(), self.bucket.text(key).await));
        }
        out
    }

    fn hold_next_write(&self) -> (oneshot::Receiver<()>, oneshot::Sender<()>) {
        let (held_tx, held_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        *self.content.hook.next.lock().unwrap() = Some((held_tx, release_rx));
        (held_rx, release_tx)
    }
}

#[tokio::test]
async fn of_two_interleaved_runs_the_older_snapshot_never_stays_published() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint, FeedsOptions::default()).await;
    let slugs = BTreeSet::from([slug("plan")]);
    site.bucket
        .put("posts/plan.md", &post("Old plan", "Old text."))
        .await;

    // Run 1 reads "Old plan" and is held at its first write.
    let (held, release) = site.hold_next_write();
    let older = site.feeds.posts_changed(&slugs);
    let newer = async {
        held.await.unwrap();
        // The owner edits the post; its event starts run 2, which indexes the edit
        // while run 1 is still publishing.
        site.bucket
            .put("posts/plan.md", &post("New plan", "New text."))
            .await;
        // Run 1 is let go once run 2 has published (nothing keeps it out) or is waiting
        // for the publishing lease (its first `UpdateItem` on the lease was refused).
        let done = std::sync::atomic::AtomicBool::new(false);
        let run2 = async {
            let report = site.feeds.posts_changed(&slugs).await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            report
        };
        let release_when_due = async {
            while !done.load(std::sync::atomic::Ordering::SeqCst)
                && site.proxy.count("UpdateItem") < 2
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            release.send(()).unwrap();
        };
        let (newer, ()) = tokio::join!(run2, release_when_due);
        newer
    };
    let (older, newer) = tokio::join!(older, newer);
    older.unwrap();
    newer.unwrap();

    for (key, text) in site.feeds_text().await {
        let text = text.unwrap_or_else(|| panic!("{key} missing"));
        if key != "sitemap.xml" {
            assert!(text.contains("New plan"), "{key}: {text}");
        }
        assert!(!text.contains("Old plan"), "{key} kept the older snapshot");
    }
    // The lease is given back: a later run does not wait.
    site.feeds.posts_changed(&slugs).await.unwrap();
}

#[tokio::test]
async fn a_lease_left_by_a_run_that_died_lapses_and_a_live_one_is_waited_for() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(
        &endpoint,
        FeedsOptions {
            lease_wait: Duration::from_millis(300),
            ..FeedsOptions::default()
        },
    )
    .await;
    site.bucket.put("posts/a.md", &post("A", "A.")).await;
    let event = s3_event("s3-object-created.json", &["posts/a.md"]);
    let now = time::OffsetDateTime::now_utc();
    let direct = DynamoPostIndex::new(site.dynamodb.clone(), site.table.clone());

    // Held by another live run: this one waits `lease_wait`, then fails (retried).
    assert!(direct
        .take_publish_lease("other", now, now + time::Duration::minutes(5))
        .await
        .unwrap());
    let busy = site.feeds.handle(event.clone()).await;
    assert!(matches!(busy, Err(FeedsError::Busy)), "{busy:?}");
    assert!(site.bucket.text("feed.xml").await.is_none());

    // A lease whose holder died (its time is past) does not block.
    assert!(direct
        .take_publish_lease("other", now, now - time::Duration::seconds(1))
        .await
        .unwrap());
    site.feeds.handle(event).await.unwrap();
    assert!(site
        .bucket
        .text("feed.xml")
        .await
        .unwrap()
        .contains("/posts/a"));
}

#[tokio::test]
async fn a_dynamodb_fault_fails_the_s3_event_and_the_retry_after_recovery_publishes() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint, FeedsOptions::default()).await;
    site.bucket.put("posts/a.md", &post("A", "A.")).await;
    site.feeds
        .handle(s3_event("s3-object-created.json", &["posts/a.md"]))
        .await
        .unwrap();
    let before = site.feeds_text().await;

    site.bucket.put("posts/b.md", &post("B", "B.")).await;
    let event = s3_event("s3-object-created.json", &["posts/b.md"]);
    for (op, fault) in [
        ("TransactWriteItems", Fault::ServerError),
        ("Query", Fault::Throttle),
        ("UpdateItem", Fault::ServerError),
    ] {
        site.proxy.fail(Match::target(op), fault);
        assert!(site.feeds.handle(event.clone()).await.is_err(), "{op}");
        site.proxy.clear();
        // Nothing published from a half-done run: the feeds are as they were.
        assert_eq!(site.feeds_text().await, before, "{op}");
    }
    site.feeds.handle(event).await.unwrap();
    for (key, text) in site.feeds_text().await {
        assert!(text.unwrap().contains("/posts/b"), "{key}");
    }
}

#[tokio::test]
async fn an_s3_fault_fails_the_run_and_leaves_every_object_a_whole_snapshot() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint, FeedsOptions::default()).await;
    site.bucket.put("posts/a.md", &post("A", "A.")).await;
    site.feeds
        .handle(s3_event("s3-object-created.json", &["posts/a.md"]))
        .await
        .unwrap();
    site.bucket.put("posts/b.md", &post("B", "B.")).await;
    let event = s3_event("s3-object-created.json", &["posts/b.md"]);

    // GetObject of the post fails: nothing is indexed or written.
    site.proxy.fail(
        Match::path(Some(http::Method::GET), "posts/b.md"),
        Fault::ServerError,
    );
    assert!(site.feeds.handle(event.clone()).await.is_err());
    site.proxy.clear();
    assert!(site.index.get(&slug("b")).await.unwrap().is_none());
    assert!(!site
        .bucket
        .text("feed.xml")
        .await
        .unwrap()
        .contains("/posts/b"));

    // One feed's PutObject is throttled: the run fails; each object is either the old
    // snapshot or the new one, whole (S3 writes are atomic per object).
    site.proxy.fail(
        Match::path(Some(http::Method::PUT), "atom.xml"),
        Fault::Throttle,
    );
    assert!(site.feeds.handle(event.clone()).await.is_err());
    site.proxy.clear();
    let atom = site.bucket.text("atom.xml").await.unwrap();
    assert!(atom.contains("/posts/a") && !atom.contains("/posts/b"));
    let rss = site.bucket.text("feed.xml").await.unwrap();
    assert!(rss.ends_with("</rss>") || rss.trim_end().ends_with("</rss>"));

    // The lease was given back despite the failure: the retry runs at once and repairs.
    site.feeds.handle(event).await.unwrap();
    for (key, text) in site.feeds_text().await {
        assert!(text.unwrap().contains("/posts/b"), "{key}");
    }
}

#[tokio::test]
async fn a_stream_batch_under_a_dynamodb_fault_is_reported_failed_then_succeeds() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint, FeedsOptions::default()).await;
    let batch = dynamodb_stream("dynamodb-stream-insert.json", "what-are-muscle-knots");
    site.proxy.fail(Match::target("Query"), Fault::ServerError);
    let failed = site.feeds.handle(batch.clone()).await.unwrap();
    let reported = failed["batchItemFailures"].as_array().unwrap();
    assert_eq!(reported.len(), batch["Records"].as_array().unwrap().len());
    assert!(site.bucket.text("comments/feed.xml").await.is_none());
    site.proxy.clear();
    let retried = site.feeds.handle(batch).await.unwrap();
    assert_eq!(retried["batchItemFailures"], serde_json::json!([]));
    assert!(site.bucket.text("comments/feed.xml").await.is_some());
}
