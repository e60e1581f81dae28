//! The index is a hint, the object is the truth: on moto, a post partition over 1 MB,
//! a draft the index still lists, S3 events that never arrived, a date feeds cannot
//! write and a stream batch whose writes fail; and generated front matter that never
//! makes the parser or the feeds panic.

use async_trait::async_trait;
use lambdapress::adapters::{DynamoPostIndex, S3Content};
use lambdapress::domain::{Post, Slug};
use lambdapress::feeds::generate::{posts_feeds, sitemap_and_robots, FeedPost, FeedSite};
use lambdapress::feeds::{Feeds, FeedsOptions, Report};
use lambdapress::indexer::{sync_post, IndexOutcome};
use lambdapress::ports::{ContentKey, PostIndex, StoreError};
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::fixtures::{dynamodb_stream, load, s3_event};
use lambdapress_tests::moto;
use lambdapress_tests::sample::BASE_URL;
use lambdapress_tests::store_hooks::{Hooked, StoreHook, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use time::macros::datetime;

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn post(title: &str, date: &str, extra: &str, body: &str) -> Vec<u8> {
    format!("+++\ntitle = \"{title}\"\ndate = {date}\n{extra}+++\n{body}\n").into_bytes()
}

/// Refuses every write while `broken` is set (a PutObject fault).
#[derive(Default)]
struct Broken(AtomicBool);

#[async_trait]
impl StoreHook for Broken {
    async fn before(&self, _key: &ContentKey, _write: Write) -> Result<(), StoreError> {
        if self.0.load(Ordering::SeqCst) {
            return Err(StoreError::new("S3 PutObject: injected 503 SlowDown"));
        }
        Ok(())
    }
}

type Flaky = Hooked<S3Content, Broken>;

struct Site {
    bucket: Bucket,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    content: Arc<Flaky>,
    index: Arc<DynamoPostIndex>,
    feeds: Feeds,
}

impl Site {
    async fn start(endpoint: &str) -> Site {
        let (content, s3, bucket) = moto::s3_content(endpoint).await;
        let bucket = Bucket::new(s3, bucket);
        let (dynamodb, table) = moto::fresh_table(endpoint).await;
        let index = Arc::new(DynamoPostIndex::new(dynamodb.clone(), table.clone()));
        let comments = Arc::new(lambdapress::adapters::DynamoCommentStore::new(
            dynamodb.clone(),
            table.clone(),
        ));
        let content = Arc::new(Hooked::new(content, Broken::default()));
        let feeds = Feeds::new(content.clone(), index.clone())
            .with_comments(comments)
            .with_options(FeedsOptions {
                base_url: Some(BASE_URL.into()),
                ..FeedsOptions::default()
            });
        bucket.put_sample_settings().await;
        Site {
            bucket,
            dynamodb,
            table,
            content,
            index,
            feeds,
        }
    }

    async fn posted(&self, key: &str) -> Report {
        let value = self
            .feeds
            .handle(s3_event("s3-object-created.json", &[key]))
            .await
            .unwrap();
        serde_json::from_value(value).unwrap()
    }

    async fn hourly(&self) -> Report {
        let value = self
            .feeds
            .handle(load("eventbridge-scheduled.json"))
            .await
            .unwrap();
        serde_json::from_value(value).unwrap()
    }

    async fn listed(&self) -> Vec<String> {
        let now = datetime!(2100-01-01 00:00 UTC);
        let page = self.index.newest(now, 0, 100).await.unwrap();
        page.posts.iter().map(|p| p.slug.to_string()).collect()
    }

    /// ~1.2 MB of other items in `POST#<slug>` that sort before `META` (as comments
    /// did): a Query over the whole partition stops its first page before the index's
    /// own items.
    async fn fill_partition(&self, slug: &str) {
        let filler = "x".repeat(40_000);
        for n in 0..30 {
            self.dynamodb
                .put_item()
                .table_name(&self.table)
                .item("pk", s(format!("POST#{slug}")))
                .item("sk", s(format!("COMMENT#2024-01-01T00:00:{n:02}Z#{n}")))
                .item("status", s("spam"))
                .item("body", s(filler.clone()))
                .send()
                .await
                .unwrap();
        }
    }
}

fn s(v: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}

#[tokio::test]
async fn a_post_whose_partition_holds_over_a_megabyte_still_leaves_the_index() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    let tags = "tags = [\"Back Pain\", \"Sleep\"]\n";
    for name in ["drafted", "deleted"] {
        site.bucket
            .put(
                &format!("posts/{name}.md"),
                &post("Busy", "2024-03-01", tags, "Text."),
            )
            .await;
        site.posted(&format!("posts/{name}.md")).await;
        site.fill_partition(name).await;
    }
    assert_eq!(site.listed().await, ["drafted", "deleted"]);

    site.bucket
        .put(
            "posts/drafted.md",
            &post("Busy", "2024-03-01", "draft = true\n", "Text."),
        )
        .await;
    site.bucket.remove("posts/deleted.md").await;
    let content = site.content.as_ref();
    let index = site.index.as_ref();
    assert_eq!(
        sync_post(content, index, &slug("drafted")).await.unwrap(),
        IndexOutcome::Draft
    );
    assert_eq!(
        sync_post(content, index, &slug("deleted")).await.unwrap(),
        IndexOutcome::Removed
    );
    assert!(site.listed().await.is_empty());
    for tag in ["back-pain", "sleep"] {
        let tagged = index
            .newest_tagged(&slug(tag), datetime!(2100-01-01 00:00 UTC), 0, 10)
            .await
            .unwrap();
        assert!(tagged.posts.is_empty(), "tag {tag} still lists {tagged:?}");
    }
    assert!(index.get(&slug("drafted")).await.unwrap().is_none());
}

#[tokio::test]
async fn feeds_never_publish_a_draft_the_index_still_lists() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    site.bucket
        .put(
            "posts/plan.md",
            &post("Plan", "2024-03-01", "", "Public text."),
        )
        .await;
    site.bucket
        .put(
            "posts/kept.md",
            &post("Kept", "2024-02-01", "", "Kept text."),
        )
        .await;
    site.posted("posts/plan.md").await;
    site.posted("posts/kept.md").await;
    assert!(site
        .bucket
        .text("feed.xml")
        .await
        .unwrap()
        .contains("Public text."));

    // The owner turns it into a draft with new text; the S3 event is lost.
    site.bucket
        .put(
            "posts/plan.md",
            &post("Plan", "2024-03-01", "draft = true\n", "SECRET draft text."),
        )
        .await;
    let report = site.hourly().await;
    assert_eq!(report.posts.get("plan").map(String::as_str), Some("draft"));
    for key in ["feed.xml", "atom.xml", "feed.json", "sitemap.xml"] {
        let text = site.bucket.text(key).await.unwrap();
        assert!(!text.contains("SECRET"), "{key} publishes the draft");
        assert!(!text.contains("/posts/plan"), "{key} still lists the draft");
        assert!(
            text.contains("/posts/kept"),
            "{key} lost the published post"
        );
    }
    assert_eq!(site.listed().await, ["kept"]);
}

#[tokio::test]
async fn s3_events_that_never_arrived_are_repaired_by_the_hourly_run() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    site.bucket
        .put("posts/old.md", &post("Old", "2024-01-01", "", "Old."))
        .await;
    site.posted("posts/old.md").await;

    // Created and deleted with no event reaching the function.
    site.bucket
        .put("posts/new.md", &post("New", "2024-05-01", "", "New."))
        .await;
    site.bucket.remove("posts/old.md").await;
    let report = site.hourly().await;
    assert_eq!(report.posts.get("new").map(String::as_str), Some("indexed"));
    assert_eq!(report.posts.get("old").map(String::as_str), Some("removed"));
    assert_eq!(site.listed().await, ["new"]);
    let feed = site.bucket.text("feed.xml").await.unwrap();
    assert!(feed.contains("/posts/new") && !feed.contains("/posts/old"));
    let sitemap = site.bucket.text("sitemap.xml").await.unwrap();
    assert!(sitemap.contains("/posts/new") && !sitemap.contains("/posts/old"));

    // Nothing drifted: the next tick repairs nothing and writes nothing.
    let again = site.hourly().await;
    assert!(again.posts.is_empty(), "{again:?}");
    assert!(again.written.is_empty(), "{again:?}");
}

#[tokio::test]
async fn an_edit_whose_s3_event_never_arrived_is_repaired_by_the_hourly_run() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    site.bucket
        .put(
            "posts/kept.md",
            &post("First title", "2024-01-01", "", "One."),
        )
        .await;
    site.posted("posts/kept.md").await;
    let untouched = site.hourly().await;
    assert!(untouched.posts.is_empty(), "{untouched:?}");

    // Edited in place with no event: the listing's ETag no longer matches the index's.
    site.bucket
        .put(
            "posts/kept.md",
            &post("Second title", "2024-01-01", "", "Two."),
        )
        .await;
    let report = site.hourly().await;
    assert_eq!(
        report.posts.get("kept").map(String::as_str),
        Some("indexed")
    );
    let meta = site.index.get(&slug("kept")).await.unwrap().unwrap();
    assert_eq!(meta.title, "Second title");
    let feed = site.bucket.text("feed.xml").await.unwrap();
    assert!(feed.contains("Second title") && !feed.contains("First title"));
    let sitemap = site.bucket.text("sitemap.xml").await.unwrap();
    assert!(sitemap.contains("/posts/kept"));

    // An edit that makes it a draft: the pass takes it out.
    site.bucket
        .put(
            "posts/kept.md",
            &post("Second title", "2024-01-01", "draft = true\n", "Two."),
        )
        .await;
    let report = site.hourly().await;
    assert_eq!(report.posts.get("kept").map(String::as_str), Some("draft"));
    assert!(site.listed().await.is_empty());
    let again = site.hourly().await;
    assert!(again.posts.is_empty(), "{again:?}");
}

#[tokio::test]
async fn comment_changes_whose_stream_records_never_arrived_are_repaired_by_the_hourly_run() {
    use lambdapress::domain::{
        AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus,
    };
    use lambdapress::ports::CommentStore;
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    let store =
        lambdapress::adapters::DynamoCommentStore::new(site.dynamodb.clone(), site.table.clone());
    for name in ["kept", "other"] {
        site.bucket
            .put(
                &format!("posts/{name}.md"),
                &post(name, "2024-01-01", "", "Text."),
            )
            .await;
        site.posted(&format!("posts/{name}.md")).await;
    }
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(400);
    let id = CommentId::generate();
    let old = Comment {
        fingerprint: format!("fp-{id}"),
        id,
        post: slug("kept"),
        parent: None,
        author: AuthorName::parse("Reader").unwrap(),
        email: CommentEmail::parse("reader@example.com").unwrap(),
        website: None,
        body: CommentBody::parse("source").unwrap(),
        body_html: "<p>LOST-APPROVAL</p>".into(),
        status: CommentStatus::Approved,
        created_at: at,
        client_hash: "hash".into(),
    };
    // Approved with no stream record reaching the function.
    store.insert(&old).await.unwrap();
    site.hourly().await;
    let feed = site.bucket.text("posts/kept/comments.xml").await.unwrap();
    assert!(feed.contains("LOST-APPROVAL"), "{feed}");
    assert!(site
        .bucket
        .text("comments/feed.xml")
        .await
        .unwrap()
        .contains("LOST-APPROVAL"));

    // Deleted, again unseen; it is no longer among the newest, so the hourly slice of
    // every post is what finds it.
    assert!(store.delete(&old.id).await.unwrap());
    let report = site.hourly().await;
    assert!(report
        .written
        .contains(&"posts/kept/comments.xml".to_owned()));
    let feed = site.bucket.text("posts/kept/comments.xml").await.unwrap();
    assert!(!feed.contains("LOST-APPROVAL"), "{feed}");
    // Nothing else changed: the next tick writes nothing.
    assert!(site.hourly().await.written.is_empty());
}

#[tokio::test]
async fn a_rebuild_out_of_time_continues_in_follow_up_invocations_until_all_are_indexed() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let mut site = Site::start(&endpoint).await;
    site.feeds.options.rebuild_chunk = 8;
    for n in 0..30 {
        let key = format!("posts/p{n:02}.md");
        site.bucket
            .put(&key, &post(&format!("Post {n}"), "2024-01-01", "", "Body."))
            .await;
    }
    // An entry whose object is gone: the last invocation drops it.
    site.bucket
        .put("posts/gone.md", &post("Gone", "2024-01-01", "", "x"))
        .await;
    site.posted("posts/gone.md").await;
    site.bucket.remove("posts/gone.md").await;

    // A deadline already inside the margin: one chunk per invocation.
    let mut event = serde_json::json!({"rebuild": "all"});
    let mut invocations = 0;
    let mut indexed = std::collections::BTreeSet::new();
    let mut syncs = 0;
    let mut comment_feeds = 0;
    let last = loop {
        invocations += 1;
        assert!(invocations <= 10, "a rebuild that never ends");
        let value = site
            .feeds
            .handle_until(event.clone(), std::time::Instant::now())
            .await
            .unwrap();
        let report: Report = serde_json::from_value(value).unwrap();
        syncs += report.posts.len();
        indexed.extend(report.posts.keys().cloned());
        match report.continue_with.clone() {
            Some(next) => {
                // Mid-rebuild only the chunk's comment feeds are written.
                assert!(
                    report
                        .written
                        .iter()
                        .all(|w| w.ends_with("comments.xml") || w == "comments/feed.xml"),
                    "{:?}",
                    report.written
                );
                comment_feeds += report
                    .written
                    .iter()
                    .filter(|w| w.starts_with("posts/"))
                    .count();
                // As the function re-queues it: the body of an SQS record.
                event = serde_json::json!({"Records": [{
                    "eventSource": "aws:sqs",
                    "body": next.to_string(),
                }]});
            }
            None => break report,
        }
    };
    assert_eq!(invocations, 4, "30 posts, 8 per invocation");
    assert_eq!(indexed.len(), 31, "every post, and the gone entry");
    assert_eq!(syncs, 31, "no post synced twice across the invocations");
    assert_eq!(
        comment_feeds, 24,
        "the 3 chunks before the last wrote their comment feeds"
    );
    assert_eq!(last.posts.get("gone").map(String::as_str), Some("removed"));
    let listed = site.listed().await;
    assert_eq!(listed.len(), 30);
    assert!(!listed.contains(&"gone".to_owned()));
    let sitemap = site.bucket.text("sitemap.xml").await.unwrap();
    assert!(sitemap.contains("/posts/p00") && sitemap.contains("/posts/p29"));
    assert!(last.written.iter().any(|w| w == "sitemap.xml"));
}

#[tokio::test]
async fn a_post_dated_before_1900_is_rejected_and_the_feeds_keep_updating() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    site.bucket
        .put("posts/typo.md", &post("Typo", "0224-03-12", "", "Typo."))
        .await;
    site.bucket
        .put("posts/fine.md", &post("Fine", "2024-03-12", "", "Fine."))
        .await;
    let value = site
        .feeds
        .handle(s3_event(
            "s3-object-created.json",
            &["posts/typo.md", "posts/fine.md"],
        ))
        .await
        .unwrap();
    let report: Report = serde_json::from_value(value).unwrap();
    let typo = &report.posts["typo"];
    assert!(
        typo.starts_with("rejected: posts/typo.md: field `date`:"),
        "{typo}"
    );
    assert_eq!(site.listed().await, ["fine"]);
    for key in ["feed.xml", "atom.xml", "feed.json", "sitemap.xml"] {
        assert!(
            site.bucket.text(key).await.unwrap().contains("/posts/fine"),
            "{key}"
        );
    }
}

#[tokio::test]
async fn a_stream_batch_whose_feeds_cannot_be_written_is_reported_and_succeeds_on_retry() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    let batch = dynamodb_stream("dynamodb-stream-insert.json", "what-are-muscle-knots");
    let numbers: Vec<String> = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().to_owned())
        .collect();
    assert!(!numbers.is_empty());

    site.content.hook.0.store(true, Ordering::SeqCst);
    let failed = site.feeds.handle(batch.clone()).await.unwrap();
    let reported: Vec<&str> = failed["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(reported, numbers);
    assert!(site.bucket.text("comments/feed.xml").await.is_none());

    site.content.hook.0.store(false, Ordering::SeqCst);
    let retried = site.feeds.handle(batch).await.unwrap();
    assert_eq!(retried["batchItemFailures"], serde_json::json!([]));
    assert!(site.bucket.text("comments/feed.xml").await.is_some());
}

#[tokio::test]
async fn an_s3_event_that_cannot_be_processed_is_a_reported_failure_with_no_partial_write() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let site = Site::start(&endpoint).await;
    site.bucket
        .put("posts/a.md", &post("A", "2024-03-12", "", "A."))
        .await;
    site.content.hook.0.store(true, Ordering::SeqCst);
    let event = s3_event("s3-object-created.json", &["posts/a.md"]);
    // An error goes back to Lambda: retried, then the on-failure queue.
    assert!(site.feeds.handle(event.clone()).await.is_err());
    assert!(site.bucket.text("feed.xml").await.is_none());
    site.content.hook.0.store(false, Ordering::SeqCst);
    site.feeds.handle(event).await.unwrap();
    assert!(site
        .bucket
        .text("feed.xml")
        .await
        .unwrap()
        .contains("/posts/a"));
}

/// A small deterministic generator (no proptest on this machine's package lists).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn front_matter(g: &mut Gen) -> String {
    let year = g.pick(&[
        "0000", "0224", "1899", "1900", "1970", "2024", "9999", "10000",
    ]);
    let month = g.pick(&["01", "02", "12", "13", "00"]);
    let day = g.pick(&["01", "29", "31", "32"]);
    let time = g.pick(&[
        "",
        "T00:00:00Z",
        "T23:59:59-12:00",
        "T00:00:00+14:00",
        "T24:00:00Z",
        "T12:00:00.999999999+05:30",
    ]);
    let date = format!("{year}-{month}-{day}{time}");
    let date = if g.below(4) == 0 {
        format!("\"{date}\"")
    } else {
        date
    };
    let title = g.pick(&["T", "", "<b>&amp;\u{0}</b>", "\u{202e}x", "\"q\""]);
    let mut s = format!("+++\ntitle = {title:?}\ndate = {date}\n");
    if g.below(2) == 0 {
        s.push_str(&format!("updated = {year}-{month}-01\n"));
    }
    if g.below(3) == 0 {
        s.push_str("tags = [\"A\", \"a\", \"\u{1F600}\"]\n");
    }
    if g.below(5) == 0 {
        s.push_str("draft = \"yes\"\n");
    }
    if g.below(5) == 0 {
        s.push_str("[image]\nsrc = \"javascript:x\"\nalt = \"\"\n");
    }
    s.push_str("+++\n");
    s.push_str(g.pick(&["", "body", "<script>x</script>", "[a](/x) ![i](/m.png)"]));
    // Cut somewhere: truncated files must not panic either.
    if g.below(6) == 0 {
        let cut = g.below(s.len() as u64) as usize;
        s = s
            .char_indices()
            .take_while(|(i, _)| *i < cut)
            .map(|(_, c)| c)
            .collect();
    }
    s
}

#[test]
fn no_front_matter_makes_the_parser_or_the_feeds_panic() {
    let site = FeedSite {
        title: "S".into(),
        description: "D".into(),
        base_url: "https://x.example".into(),
        language: "en".into(),
        author: "A".into(),
        items: 10,
    };
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let (mut parsed, mut rejected) = (0, 0);
    for _ in 0..3_000 {
        let source = front_matter(&mut g);
        match Post::parse(slug("p"), &source) {
            Ok(post) => {
                parsed += 1;
                let year = post.front.date.to_offset(time::UtcOffset::UTC).year();
                assert!((1900..=9999).contains(&year), "{source}");
                let feed_post = FeedPost {
                    meta: post.meta(),
                    html: post.body_markdown.clone(),
                };
                let outputs = posts_feeds(&site, std::slice::from_ref(&feed_post));
                assert_eq!(outputs.len(), 3);
                sitemap_and_robots(&site, &[post.meta()], &[]);
            }
            Err(e) => {
                rejected += 1;
                assert!(e.to_string().starts_with("posts/p.md: "), "{e}");
            }
        }
    }
    assert!(
        parsed > 30 && rejected > 100,
        "{parsed} parsed, {rejected} rejected"
    );
}

#[test]
fn feeds_clamp_dates_an_old_index_entry_holds_instead_of_panicking() {
    let site = FeedSite {
        title: "S".into(),
        description: "D".into(),
        base_url: "https://x.example".into(),
        language: "en".into(),
        author: "A".into(),
        items: 10,
    };
    let good = Post::parse(slug("p"), "+++\ntitle = \"t\"\ndate = 2024-01-01\n+++\nx").unwrap();
    for date in [
        datetime!(0224-03-12 00:00 UTC),
        datetime!(1900-01-01 00:30 +01:00),
        datetime!(9999-12-31 23:00 -05:00),
    ] {
        let mut meta = good.meta();
        meta.date = date;
        meta.updated = Some(date);
        let post = FeedPost {
            meta: meta.clone(),
            html: String::new(),
        };
        posts_feeds(&site, &[post]);
        sitemap_and_robots(&site, &[meta], &[]);
    }
}

/// Between two tags in `text`, every occurrence in order.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    text.split(open)
        .skip(1)
        .filter_map(|rest| rest.split(close).next())
        .collect()
}

/// Random sequences of post creates, edits, drafts, future dates and deletes, and comment
/// approvals and spam, each applied through the feeds function (S3 events, comment
/// changes) on the embedded adapters: after every event the posts feed lists exactly the
/// published posts of a simple model, newest first, with their current titles, and the
/// sitemap exactly their pages.
#[tokio::test]
async fn random_post_and_comment_events_keep_the_feed_and_sitemap_equal_to_a_model() {
    use lambdapress::domain::CommentStatus;
    use lambdapress::ports::CommentStore;
    use lambdapress_tests::comments_contract::comment;
    use lambdapress_tests::sample::EmbeddedSite;
    use std::collections::{BTreeMap, BTreeSet};
    let generated = |site: &EmbeddedSite, key: &str| {
        std::fs::read_to_string(site.dir.0.join("generated").join(key)).unwrap_or_default()
    };
    let mut g = Gen(0x2545_F491_4F6C_DD1D);
    for case in 0..20 {
        let site = EmbeddedSite::start().await;
        let feeds = Feeds::new(site.content.clone(), site.index.clone())
            .with_comments(site.comments.clone())
            .with_options(FeedsOptions {
                base_url: Some(BASE_URL.into()),
                clock: || datetime!(2025-01-01 00:00 UTC),
                ..FeedsOptions::default()
            });
        feeds.rebuild().await.unwrap();
        // slug -> (date, title) of every published post; the sample's to begin with.
        let mut model: BTreeMap<String, (String, String)> = [
            (
                "desk-work-neck-and-shoulder-tension",
                "2024-08-20T09",
                "Desk Work, Neck Pain and Tight Shoulders",
            ),
            (
                "acupuncture-for-better-sleep",
                "2024-05-07T09",
                "Acupuncture and Better Sleep",
            ),
            (
                "what-are-muscle-knots",
                "2024-03-12T09",
                "What Are Muscle Knots and Why Do You Have Them?",
            ),
            (
                "what-to-expect-at-your-first-visit",
                "2024-01-23T09",
                "What to Expect at Your First Acupuncture Visit",
            ),
        ]
        .into_iter()
        .map(|(s, d, t)| (s.to_owned(), (d.to_owned(), t.to_owned())))
        .collect();
        let mut files: BTreeSet<String> = BTreeSet::new();
        for step in 0..25 {
            let n = g.below(5);
            let slug = format!("p{n}");
            let event = match g.below(10) {
                0..=4 => {
                    // Dates are distinct across slugs (no ties in the order).
                    let (date, day) = if g.below(4) == 0 {
                        ("2026-01-01".to_owned(), String::new())
                    } else {
                        let day = n * 5 + g.below(5) + 1;
                        (format!("2024-10-{day:02}"), format!("2024-10-{day:02}T00"))
                    };
                    let draft = g.below(4) == 0;
                    let title = format!("Post {n} at step {step}");
                    let extra = if draft { "draft = true\n" } else { "" };
                    site.write_post(
                        &slug,
                        &String::from_utf8(post(&title, &date, extra, "Text.")).unwrap(),
                    );
                    files.insert(slug.clone());
                    if draft || day.is_empty() {
                        model.remove(&slug);
                    } else {
                        model.insert(slug.clone(), (day, title));
                    }
                    format!("write {slug} {date} draft={draft}")
                }
                5 | 6 => {
                    if files.remove(&slug) {
                        std::fs::remove_file(
                            site.dir.0.join("content/posts").join(format!("{slug}.md")),
                        )
                        .unwrap();
                    }
                    model.remove(&slug);
                    format!("delete {slug}")
                }
                _ => {
                    let on = if files.contains(&slug) {
                        slug.clone()
                    } else {
                        "what-are-muscle-knots".to_owned()
                    };
                    let status =
                        [CommentStatus::Approved, CommentStatus::Spam][g.below(2) as usize];
                    let at = datetime!(2024-12-01 00:00 UTC) + time::Duration::minutes(step);
                    site.comments
                        .insert(&comment(&on, &format!("c{step}"), at, status))
                        .await
                        .unwrap();
                    feeds
                        .comments_changed(&BTreeSet::from([Slug::parse(&on).unwrap()]))
                        .await
                        .unwrap();
                    format!("comment {status:?} on {on}")
                }
            };
            if event.starts_with("write") || event.starts_with("delete") {
                let key = format!("posts/{slug}.md");
                let fixture = if event.starts_with("write") {
                    "s3-object-created.json"
                } else {
                    "s3-object-removed.json"
                };
                feeds.handle(s3_event(fixture, &[&key])).await.unwrap();
            }
            let mut expected: Vec<_> = model.iter().collect();
            expected.sort_by(|a, b| b.1 .0.cmp(&a.1 .0));
            let expected_items: Vec<(String, String)> = expected
                .iter()
                .map(|(s, (_, t))| (format!("{BASE_URL}/posts/{s}"), t.clone()))
                .collect();
            let rss = generated(&site, "feed.xml");
            let items: Vec<(String, String)> = rss
                .split("<item>")
                .skip(1)
                .map(|item| {
                    let first = |open, close| {
                        between(item, open, close)
                            .first()
                            .map(|s| s.to_string())
                            .unwrap_or_default()
                    };
                    (first("<link>", "</link>"), first("<title>", "</title>"))
                })
                .collect();
            assert_eq!(items, expected_items, "case {case}, step {step}: {event}");
            let sitemap = generated(&site, "sitemap.xml");
            let pages: BTreeSet<&str> = between(&sitemap, "<loc>", "</loc>")
                .into_iter()
                .filter(|loc| loc.contains("/posts/"))
                .collect();
            let expected_pages: BTreeSet<&str> = expected_items
                .iter()
                .map(|(link, _)| link.as_str())
                .collect();
            assert_eq!(pages, expected_pages, "case {case}, step {step}: {event}");
        }
    }
}
