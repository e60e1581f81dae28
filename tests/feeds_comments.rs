//! The comment feeds: DynamoDB stream batches (real record JSON: INSERT, MODIFY from
//! pending to approved, REMOVE) regenerate the site's comment feed and the affected
//! posts' comment feeds, once per batch, and feedparser reads them cleanly.

use lambdapress::adapters::SqliteCommentStore;
use lambdapress::domain::{
    AuthorName, Comment, CommentBody, CommentEmail, CommentId, CommentStatus, Slug,
};
use lambdapress::feeds::events::{parse, Trigger};
use lambdapress::feeds::{Feeds, FeedsOptions, Report};
use lambdapress::ports::{CommentStore, ContentKey, ContentStore, Fetched};
use lambdapress_tests::feedparser;
use lambdapress_tests::fixtures::{dynamodb_stream, load};
use lambdapress_tests::sample::{EmbeddedSite, BASE_URL};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::macros::datetime;
use time::OffsetDateTime;

const KNOTS: &str = "what-are-muscle-knots";
const KNOTS_TITLE: &str = "What Are Muscle Knots and Why Do You Have Them?";
const SLEEP: &str = "acupuncture-for-better-sleep";

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn slugs(list: &[&str]) -> BTreeSet<Slug> {
    list.iter().map(|s| slug(s)).collect()
}

fn january_2025() -> OffsetDateTime {
    datetime!(2025-01-01 00:00 UTC)
}

pub fn comment(post: &str, author: &str, body_html: &str, at: OffsetDateTime) -> Comment {
    let id = CommentId::generate();
    Comment {
        fingerprint: format!("fp-{id}"),
        id,
        post: slug(post),
        parent: None,
        author: AuthorName::parse(author).unwrap(),
        email: CommentEmail::parse("reader@example.com").unwrap(),
        website: None,
        body: CommentBody::parse("source").unwrap(),
        body_html: body_html.into(),
        status: CommentStatus::Pending,
        created_at: at,
        client_hash: "hash".into(),
    }
}

struct CommentedSite {
    site: EmbeddedSite,
    store: Arc<SqliteCommentStore>,
    feeds: Feeds,
}

impl CommentedSite {
    async fn start() -> CommentedSite {
        let site = EmbeddedSite::start().await;
        let store = Arc::new(SqliteCommentStore::in_memory().unwrap());
        let feeds = Feeds::new(site.content.clone(), site.index.clone())
            .with_comments(store.clone())
            .with_options(FeedsOptions {
                base_url: Some(BASE_URL.into()),
                clock: january_2025,
                ..FeedsOptions::default()
            });
        CommentedSite { site, store, feeds }
    }

    /// Stores a comment and approves it.
    async fn approved(&self, c: Comment) -> Comment {
        self.store.insert(&c).await.unwrap();
        self.store.approve(&c.id).await.unwrap().unwrap()
    }

    async fn stored(&self, key: &str) -> Option<Vec<u8>> {
        match self
            .site
            .content
            .get(&ContentKey::generated(key).unwrap(), None)
            .await
            .unwrap()
        {
            Fetched::Found(object) => Some(object.bytes),
            _ => None,
        }
    }

    async fn handle(&self, event: Value) -> Report {
        serde_json::from_value(self.feeds.handle(event).await.unwrap()).unwrap()
    }
}

#[test]
fn stream_records_name_the_threads_whose_public_comments_changed() {
    let threads = |event: Value| match parse(event).unwrap() {
        Trigger::Comments(slugs) => slugs,
        other => panic!("not a stream batch: {other:?}"),
    };
    // An approved comment inserted; the pending one beside it changes no feed.
    assert_eq!(
        threads(load("dynamodb-stream-insert.json")),
        slugs(&[KNOTS])
    );
    assert_eq!(
        threads(load("dynamodb-stream-modify-approved.json")),
        slugs(&[KNOTS])
    );
    assert_eq!(
        threads(load("dynamodb-stream-remove.json")),
        slugs(&["desk-work-neck-and-shoulder-tension"])
    );

    // moto sends two INSERT records for one UpdateItem: one thread, once.
    let mut twice = load("dynamodb-stream-insert.json");
    let first = twice["Records"][0].clone();
    twice["Records"].as_array_mut().unwrap().push(first);
    assert_eq!(threads(twice), slugs(&[KNOTS]));

    // Pending to spam: never public, no feed changes.
    let mut spam = load("dynamodb-stream-modify-approved.json");
    spam["Records"][0]["dynamodb"]["NewImage"]["status"] = json!({"S": "spam"});
    assert_eq!(threads(spam), BTreeSet::new());

    // Approved, edited while approved: the feed shows the new text.
    let mut edited = load("dynamodb-stream-modify-approved.json");
    edited["Records"][0]["dynamodb"]["OldImage"]["status"] = json!({"S": "approved"});
    edited["Records"][0]["dynamodb"]["NewImage"]["body_html"] = json!({"S": "<p>Edited</p>"});
    assert_eq!(threads(edited), slugs(&[KNOTS]));

    // Items that are not comments (a post index entry) are ignored.
    let mut other = load("dynamodb-stream-insert.json");
    other["Records"][0]["dynamodb"]["Keys"]["sk"] = json!({"S": "META"});
    assert_eq!(threads(other), BTreeSet::new());
}

#[tokio::test]
async fn approving_a_comment_regenerates_the_site_and_post_comment_feeds_once() {
    let Some(python) = feedparser::python() else {
        return;
    };
    let s = CommentedSite::start().await;
    let tricky_author = "Zoë O'Brien & <Co> \"Acme\"";
    let tricky_body = "<p>Fish &amp; chips &lt;3 — “merci” 東京</p>";
    let approved = s
        .approved(comment(
            KNOTS,
            tricky_author,
            tricky_body,
            datetime!(2024-03-15 18:30 UTC),
        ))
        .await;
    s.approved(comment(
        SLEEP,
        "Sam Lee",
        "<p>Slept well.</p>",
        datetime!(2024-05-08 08:00 UTC),
    ))
    .await;
    let pending = comment(
        KNOTS,
        "Not Yet",
        "<p>Held</p>",
        datetime!(2024-06-01 00:00 UTC),
    );
    s.store.insert(&pending).await.unwrap();

    let report = s
        .handle(dynamodb_stream(
            "dynamodb-stream-modify-approved.json",
            KNOTS,
        ))
        .await;
    let mut written = report.written.clone();
    written.sort();
    assert_eq!(
        written,
        [
            "comments/feed.xml",
            "posts/what-are-muscle-knots/comments.xml"
        ]
    );

    let site_feed = feedparser::parse_clean(&python, &s.stored("comments/feed.xml").await.unwrap());
    assert_eq!(site_feed["version"], "rss20");
    assert!(site_feed["feed"]["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "self" && l["href"] == format!("{BASE_URL}/comments/feed.xml")));
    let entries = site_feed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "approved comments only: {entries:?}");
    assert_eq!(
        entries[0]["title"], "Comment on Acupuncture and Better Sleep by Sam Lee",
        "newest first"
    );
    let knots = &entries[1];
    assert_eq!(
        knots["title"],
        format!("Comment on {KNOTS_TITLE} by {tricky_author}")
    );
    let permalink = format!("{BASE_URL}/posts/{KNOTS}#comment-{}", approved.id);
    assert_eq!(knots["link"], permalink.as_str());
    assert_eq!(knots["id"], permalink.as_str());
    assert_eq!(knots["published"], "2024-03-15T18:30:00Z");
    assert_eq!(knots["author"], tricky_author);
    assert_eq!(knots["content"][0], tricky_body);

    let post_feed = feedparser::parse_clean(
        &python,
        &s.stored("posts/what-are-muscle-knots/comments.xml")
            .await
            .unwrap(),
    );
    assert_eq!(
        post_feed["feed"]["title"],
        format!("Comments on: {KNOTS_TITLE}")
    );
    assert_eq!(
        post_feed["feed"]["link"],
        format!("{BASE_URL}/posts/{KNOTS}")
    );
    let entries = post_feed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["link"], permalink.as_str());

    // The same batch again (Lambda retries, moto's doubled records): nothing rewritten.
    let again = s
        .handle(dynamodb_stream(
            "dynamodb-stream-modify-approved.json",
            KNOTS,
        ))
        .await;
    assert_eq!(again.written, Vec::<String>::new());
    assert_eq!(again.unchanged.len(), 2);
}

#[tokio::test]
async fn a_batch_of_pending_comments_regenerates_nothing() {
    let s = CommentedSite::start().await;
    let mut pending = load("dynamodb-stream-insert.json");
    pending["Records"].as_array_mut().unwrap().remove(0);
    let report = s.handle(pending).await;
    assert_eq!(report, Report::default());
    assert!(s.stored("comments/feed.xml").await.is_none());
}

#[tokio::test]
async fn removing_an_approved_comment_takes_it_out_of_the_feeds() {
    let s = CommentedSite::start().await;
    let desk = "desk-work-neck-and-shoulder-tension";
    let c = s
        .approved(comment(
            desk,
            "Lee Park",
            "<p>Raised my screen.</p>",
            datetime!(2024-08-21 07:45 UTC),
        ))
        .await;
    s.handle(dynamodb_stream("dynamodb-stream-insert.json", desk))
        .await;
    let key = format!("posts/{desk}/comments.xml");
    let before = String::from_utf8(s.stored(&key).await.unwrap()).unwrap();
    assert_eq!(before.matches("<item>").count(), 1);

    assert!(s.store.delete(&c.id).await.unwrap());
    let report = s
        .handle(dynamodb_stream("dynamodb-stream-remove.json", desk))
        .await;
    assert!(report.written.contains(&key), "{report:?}");
    let after = String::from_utf8(s.stored(&key).await.unwrap()).unwrap();
    assert_eq!(after.matches("<item>").count(), 0);
    let site = String::from_utf8(s.stored("comments/feed.xml").await.unwrap()).unwrap();
    assert!(!site.contains("Raised my screen"));
}

#[tokio::test]
async fn comments_on_unpublished_posts_stay_out_of_the_feeds() {
    let s = CommentedSite::start().await;
    s.approved(comment(
        "draft-winter-hours",
        "Early Bird",
        "<p>Secret!</p>",
        datetime!(2024-12-03 00:00 UTC),
    ))
    .await;
    let report = s
        .feeds
        .comments_changed(&slugs(&["draft-winter-hours"]))
        .await
        .unwrap();
    assert_eq!(report.written, ["comments/feed.xml"]);
    let site = String::from_utf8(s.stored("comments/feed.xml").await.unwrap()).unwrap();
    assert!(!site.contains("Secret"));
    assert!(s
        .stored("posts/draft-winter-hours/comments.xml")
        .await
        .is_none());
}

#[tokio::test]
async fn a_rebuild_writes_a_comment_feed_for_every_published_post() {
    let s = CommentedSite::start().await;
    s.approved(comment(
        KNOTS,
        "Dana K.",
        "<p>Gone!</p>",
        datetime!(2024-03-15 18:30 UTC),
    ))
    .await;
    let report = s.feeds.rebuild().await.unwrap();
    for post in [
        "desk-work-neck-and-shoulder-tension",
        SLEEP,
        KNOTS,
        "what-to-expect-at-your-first-visit",
    ] {
        let key = format!("posts/{post}/comments.xml");
        assert!(report.written.contains(&key), "{key}: {report:?}");
    }
    assert!(report.written.contains(&"comments/feed.xml".to_owned()));
    assert!(!report.written.iter().any(|k| k.contains("draft")));
}

#[tokio::test]
async fn the_site_feed_keeps_only_the_newest_comments() {
    let s = CommentedSite::start().await;
    let settings = s.site.dir.0.join("content/site.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text.replace("posts_per_page = 10", "posts_per_page = 10\nfeed_items = 3"),
    )
    .unwrap();
    for day in 1..=5u8 {
        s.approved(comment(
            KNOTS,
            &format!("Reader {day}"),
            "<p>Hi</p>",
            time::Date::from_calendar_date(2024, time::Month::April, day)
                .unwrap()
                .midnight()
                .assume_utc(),
        ))
        .await;
    }
    s.feeds.comments_changed(&slugs(&[KNOTS])).await.unwrap();
    for key in [
        "comments/feed.xml",
        "posts/what-are-muscle-knots/comments.xml",
    ] {
        let xml = String::from_utf8(s.stored(key).await.unwrap()).unwrap();
        assert_eq!(xml.matches("<item>").count(), 3, "{key}");
        let newest = xml.find("Reader 5").unwrap();
        assert!(
            newest < xml.find("Reader 3").unwrap(),
            "{key}: newest first"
        );
        assert!(!xml.contains("Reader 2"), "{key}");
    }
}

#[tokio::test]
async fn a_deleted_post_takes_its_comment_feed_down() {
    let site = CommentedSite::start().await;
    site.approved(comment(KNOTS, "Ann", "<p>Thanks</p>", january_2025()))
        .await;
    site.feeds.comments_changed(&slugs(&[KNOTS])).await.unwrap();
    let key = format!("posts/{KNOTS}/comments.xml");
    assert!(
        site.stored(&key).await.is_some(),
        "the thread's feed was written"
    );

    std::fs::remove_file(site.site.dir.0.join(format!("content/posts/{KNOTS}.md"))).unwrap();
    let report = site.feeds.posts_changed(&slugs(&[KNOTS])).await.unwrap();
    assert_eq!(report.removed, std::slice::from_ref(&key));
    assert_eq!(
        site.stored(&key).await,
        None,
        "no feed left for a post that is gone"
    );
    // Running the same event again finds nothing more to take down.
    assert!(site
        .feeds
        .posts_changed(&slugs(&[KNOTS]))
        .await
        .unwrap()
        .removed
        .is_empty());
}
