//! Newsletters end to end: the feeds function indexes a new post and its newsletter
//! reaches each confirmed subscriber once — embedded (folder, SQLite, in-process queue)
//! and on moto (S3, DynamoDB, SES v2) through the same scenario.

use async_trait::async_trait;
use lambdapress::adapters::{FsContent, SesMailer, SqlitePostIndex, SqliteSubscribers};
use lambdapress::domain::{Post, Secret, SiteSettings, Slug, SubscriberEmail};
use lambdapress::feeds::{Feeds, FeedsOptions};
use lambdapress::newsletter::mail::PostMail;
use lambdapress::newsletter::sqlite::SqliteNewsletters;
use lambdapress::newsletter::{Batch, LocalQueue, NewsletterStore, PlanOutcome, Planner, Sender};
use lambdapress::ports::{
    ContentStore, Mail, MailError, Mailer, PostIndex, Signup, SubscriberStore, SubscriptionStatus,
};
use lambdapress::subscribe::UNSUBSCRIBE_PURPOSE;
use lambdapress_tests::bucket::Bucket;
use lambdapress_tests::moto;
use lambdapress_tests::sample::{copy_dir, sample_content_dir, ScratchDir, BASE_URL};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    datetime!(2026-05-01 12:00 UTC)
}

fn secret() -> Secret {
    Secret::new(b"a test secret of at least thirty-two bytes".to_vec()).unwrap()
}

/// Passes mail on to the real mailer and keeps a copy of each one it accepted.
struct Recording {
    inner: Arc<dyn Mailer>,
    sent: Mutex<Vec<(Mail, String)>>,
    /// The next this-many sends answer as SES does when throttling.
    throttle_next: AtomicU32,
    calls: AtomicU32,
}

impl Recording {
    fn new(inner: Arc<dyn Mailer>) -> Recording {
        Recording {
            inner,
            sent: Mutex::default(),
            throttle_next: AtomicU32::new(0),
            calls: AtomicU32::new(0),
        }
    }

    fn to(&self, subject: &str) -> Vec<String> {
        let sent = self.sent.lock().unwrap();
        let mut to: Vec<String> = sent
            .iter()
            .filter(|(m, _)| m.subject == subject)
            .map(|(m, _)| m.to.clone())
            .collect();
        to.sort();
        to
    }
}

#[async_trait]
impl Mailer for Recording {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let throttled = self
            .throttle_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if throttled {
            return Err(MailError::new(
                "TooManyRequestsException: Maximum sending rate exceeded.",
            ));
        }
        let id = self.inner.send(mail).await?;
        self.sent.lock().unwrap().push((mail.clone(), id.clone()));
        Ok(id)
    }
}

/// A mailer that accepts everything (the embedded world's transport).
struct Accepting(AtomicU32);

#[async_trait]
impl Mailer for Accepting {
    async fn send(&self, _: &Mail) -> Result<String, MailError> {
        Ok(format!("m-{}", self.0.fetch_add(1, Ordering::SeqCst)))
    }
}

/// One set of stores, the feeds function with its newsletter, and a way to write posts.
struct World {
    feeds: Feeds,
    sender: Arc<Sender>,
    subscribers: Arc<dyn SubscriberStore>,
    ledger: Arc<dyn NewsletterStore>,
    mail: Arc<Recording>,
    /// Writes a content object by key (`posts/<slug>.md`, `site.toml`).
    write: Box<dyn Fn(String, String) -> futures::future::BoxFuture<'static, ()> + Send + Sync>,
    _dir: Option<ScratchDir>,
}

fn sender(
    content: Arc<dyn ContentStore>,
    subscribers: Arc<dyn SubscriberStore>,
    ledger: Arc<dyn NewsletterStore>,
    mail: Arc<Recording>,
) -> Sender {
    Sender {
        content,
        subscribers,
        store: ledger,
        mailer: mail,
        secret: secret(),
        base_url: Some(BASE_URL.into()),
        pace: std::time::Duration::ZERO,
        throttle_retries: 3,
        clock: now,
    }
}

fn world(
    content: Arc<dyn ContentStore>,
    index: Arc<dyn PostIndex>,
    subscribers: Arc<dyn SubscriberStore>,
    ledger: Arc<dyn NewsletterStore>,
    mailer: Arc<dyn Mailer>,
) -> (Feeds, Arc<Sender>, Arc<Recording>) {
    let mail = Arc::new(Recording::new(mailer));
    let sender = Arc::new(sender(
        content.clone(),
        subscribers.clone(),
        ledger.clone(),
        mail.clone(),
    ));
    let planner = Planner {
        content: content.clone(),
        subscribers,
        store: ledger,
        queue: Arc::new(LocalQueue {
            sender: sender.clone(),
            redeliveries: 3,
        }),
    };
    let feeds = Feeds::new(content, index)
        .with_newsletter(Arc::new(planner))
        .with_options(FeedsOptions {
            base_url: Some(BASE_URL.into()),
            clock: now,
            ..FeedsOptions::default()
        });
    (feeds, sender, mail)
}

/// `$case` as two tests, one on the embedded adapters and one on moto.
macro_rules! on_both_worlds {
    ($case:ident: $embedded:ident, $on_moto:ident) => {
        #[tokio::test]
        async fn $embedded() {
            $case(embedded()).await;
        }

        #[tokio::test]
        async fn $on_moto() {
            let Some(endpoint) = moto::endpoint() else {
                return;
            };
            $case(on_moto(&endpoint).await).await;
        }
    };
}

fn embedded() -> World {
    let dir = ScratchDir::new();
    copy_dir(&sample_content_dir(), &dir.0.join("content"));
    let content = Arc::new(FsContent::new(
        dir.0.join("content"),
        dir.0.join("generated"),
    ));
    let subscribers: Arc<dyn SubscriberStore> = Arc::new(SqliteSubscribers::in_memory().unwrap());
    let ledger: Arc<dyn NewsletterStore> = Arc::new(SqliteNewsletters::in_memory().unwrap());
    let (feeds, sender, mail) = world(
        content,
        Arc::new(SqlitePostIndex::in_memory().unwrap()),
        subscribers.clone(),
        ledger.clone(),
        Arc::new(Accepting(AtomicU32::new(0))),
    );
    let root = dir.0.join("content");
    World {
        feeds,
        sender,
        subscribers,
        ledger,
        mail,
        write: Box::new(move |key, source| {
            let path = root.join(key);
            Box::pin(async move { std::fs::write(path, source).unwrap() })
        }),
        _dir: Some(dir),
    }
}

async fn on_moto(endpoint: &str) -> World {
    let (content, s3, name) = moto::s3_content(endpoint).await;
    let bucket = Bucket::new(s3, name);
    bucket.put_sample_settings().await;
    let (client, table) = moto::fresh_table(endpoint).await;
    let config = moto::sdk_config(endpoint).await;
    let ses = lambdapress::aws::sesv2_client(&config);
    let domain = format!("{}.example", moto::unique_name("news"));
    ses.create_email_identity()
        .email_identity(&domain)
        .send()
        .await
        .unwrap();
    let subscribers: Arc<dyn SubscriberStore> = Arc::new(
        lambdapress::adapters::DynamoSubscribers::new(client.clone(), table.clone()),
    );
    let ledger: Arc<dyn NewsletterStore> = Arc::new(
        lambdapress::newsletter::dynamodb::DynamoNewsletters::new(client.clone(), table.clone()),
    );
    let (feeds, sender, mail) = world(
        Arc::new(content),
        Arc::new(lambdapress::adapters::DynamoPostIndex::new(client, table)),
        subscribers.clone(),
        ledger.clone(),
        Arc::new(SesMailer::new(ses, format!("Clinic <news@{domain}>"))),
    );
    World {
        feeds,
        sender,
        subscribers,
        ledger,
        mail,
        write: Box::new(move |key, source| {
            let bucket = bucket.clone();
            Box::pin(async move { bucket.put(&key, source).await })
        }),
        _dir: None,
    }
}

fn post_source(title: &str, date: OffsetDateTime, extra: &str, body: &str) -> String {
    let date = date
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!(
        "+++\ntitle = \"{title}\"\ndate = {date}\nsummary = \"About {title}.\"\n{extra}[image]\nsrc = \"/media/back-tension.svg\"\nalt = \"A back\"\n+++\n\n{body}\n"
    )
}

async fn subscribe(store: &dyn SubscriberStore, address: &str, confirm: bool) {
    let email = SubscriberEmail::parse(address).unwrap();
    let at = now() - Duration::days(30);
    store
        .sign_up(
            &Signup {
                email: email.clone(),
                source: "/".into(),
                client_hash: "h".into(),
                at,
            },
            Duration::hours(1),
        )
        .await
        .unwrap();
    if confirm {
        store.confirm(&email, at).await.unwrap();
    }
}

impl World {
    async fn publish(&self, slug: &str, source: String) {
        (self.write)(format!("posts/{slug}.md"), source).await;
        let slugs = BTreeSet::from([Slug::parse(slug).unwrap()]);
        self.feeds.posts_changed(&slugs).await.unwrap();
    }
}

async fn one_mail_per_new_post_and_never_twice(w: World) {
    subscribe(w.subscribers.as_ref(), "ann@example.com", true).await;
    subscribe(w.subscribers.as_ref(), "bob@example.org", false).await;
    subscribe(w.subscribers.as_ref(), "carol@example.net", true).await;

    let fresh = now() - Duration::hours(2);
    w.publish(
        "spring-hours",
        post_source("Spring hours", fresh, "", "New [hours](/contact)."),
    )
    .await;
    assert_eq!(
        w.mail.to("Spring hours"),
        ["ann@example.com", "carol@example.net"],
        "each confirmed reader gets one mail; the pending one none"
    );

    // An edit (and any re-index) sends nothing more.
    w.publish(
        "spring-hours",
        post_source("Spring hours", fresh, "", "Edited."),
    )
    .await;
    w.publish(
        "spring-hours",
        post_source("Spring hours", fresh, "", "Edited again."),
    )
    .await;
    assert_eq!(w.mail.to("Spring hours").len(), 2, "an edit mails nobody");

    // A draft toggled off and on again sends nothing more either.
    w.publish(
        "spring-hours",
        post_source("Spring hours", fresh, "draft = true\n", "D."),
    )
    .await;
    w.publish(
        "spring-hours",
        post_source("Spring hours", fresh, "", "Back."),
    )
    .await;
    assert_eq!(
        w.mail.to("Spring hours").len(),
        2,
        "a re-published draft mails nobody"
    );

    // An old imported post, and one that opts out, mail nobody.
    w.publish(
        "old-import",
        post_source("Old import", datetime!(2019-03-01 09:00 UTC), "", "Old."),
    )
    .await;
    w.publish(
        "quiet",
        post_source("Quiet", fresh, "newsletter = false\n", "Shh."),
    )
    .await;
    assert!(
        w.mail.to("Old import").is_empty(),
        "an imported old post mails nobody"
    );
    assert!(
        w.mail.to("Quiet").is_empty(),
        "newsletter = false mails nobody"
    );

    // After unsubscribing, no more mail.
    let carol = SubscriberEmail::parse("carol@example.net").unwrap();
    w.subscribers.unsubscribe(&carol, now()).await.unwrap();
    w.publish(
        "summer-hours",
        post_source("Summer hours", fresh, "", "Summer."),
    )
    .await;
    assert_eq!(w.mail.to("Summer hours"), ["ann@example.com"]);

    // The same batch delivered twice (SQS's at-least-once) sends nothing twice.
    let batch = Batch {
        posts: vec![],
        slug: "spring-hours".into(),
        recipients: vec!["ann@example.com".into(), "carol@example.net".into()],
    };
    let report = w.sender.deliver(&batch).await.unwrap();
    assert_eq!((report.sent, report.already), (0, 2), "{report:?}");
    assert_eq!(w.mail.to("Spring hours").len(), 2);

    // Owner status: planned, sent, skipped, failed.
    let counts = w
        .ledger
        .counts(&Slug::parse("spring-hours").unwrap())
        .await
        .unwrap();
    assert_eq!(
        (counts.planned, counts.sent, counts.sending),
        (2, 2, 0),
        "{counts:?}"
    );
    let summer = w
        .ledger
        .counts(&Slug::parse("summer-hours").unwrap())
        .await
        .unwrap();
    assert_eq!((summer.planned, summer.sent), (1, 1), "{summer:?}");
    assert!(w
        .ledger
        .get(&Slug::parse("old-import").unwrap())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn one_mail_per_new_post_embedded() {
    one_mail_per_new_post_and_never_twice(embedded()).await;
}

#[tokio::test]
async fn one_mail_per_new_post_on_moto() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let w = on_moto(&endpoint).await;
    let mail = w.mail.clone();
    one_mail_per_new_post_and_never_twice(w).await;
    // SES on moto recorded every message the sender says it sent.
    let dump = moto::state_dump(&endpoint).await;
    let recorded: Vec<String> = dump["ses"]["Message"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    for (m, id) in mail.sent.lock().unwrap().iter() {
        assert!(
            recorded.contains(id),
            "moto has no SES message {id} to {}",
            m.to
        );
    }
}

async fn throttled_sends_are_retried(w: World) {
    subscribe(w.subscribers.as_ref(), "ann@example.com", true).await;
    // Throttled twice: the sender backs off and the third call goes through.
    w.mail.throttle_next.store(2, Ordering::SeqCst);
    let fresh = now() - Duration::hours(1);
    w.publish("busy-day", post_source("Busy day", fresh, "", "Busy."))
        .await;
    assert_eq!(w.mail.to("Busy day"), ["ann@example.com"]);
    assert_eq!(w.mail.calls.load(Ordering::SeqCst), 3);

    // Throttled past the in-process retries: the claim is released and the batch is
    // redelivered (the queue's batch item failure), which then sends it, once.
    subscribe(w.subscribers.as_ref(), "dan@example.com", true).await;
    w.mail.throttle_next.store(5, Ordering::SeqCst);
    w.publish(
        "busier-day",
        post_source("Busier day", fresh, "", "Busier."),
    )
    .await;
    assert_eq!(
        w.mail.to("Busier day"),
        ["ann@example.com", "dan@example.com"]
    );
}

on_both_worlds!(throttled_sends_are_retried: a_throttled_send_is_retried_embedded, a_throttled_send_is_retried_on_moto);

#[tokio::test]
async fn the_mail_has_both_parts_one_click_headers_and_absolute_signed_links() {
    let settings = SiteSettings::parse(
        &std::fs::read_to_string(sample_content_dir().join("site.toml")).unwrap(),
    )
    .unwrap();
    let source =
        std::fs::read_to_string(sample_content_dir().join("posts/what-are-muscle-knots.md"))
            .unwrap();
    let post = Post::parse(Slug::parse("what-are-muscle-knots").unwrap(), &source).unwrap();
    let ann = SubscriberEmail::parse("Ann@Example.com").unwrap();
    let mail =
        PostMail::new(settings.clone(), post.clone(), Some(BASE_URL)).to(&secret(), &ann, now());

    assert_eq!(mail.subject, post.front.title);
    assert_eq!(mail.to, "Ann@Example.com");
    let html = mail.html.as_deref().expect("an HTML part");
    assert!(mail.text.contains(&post.front.summary) && html.contains("myofascial trigger points"));
    assert!(
        html.contains(&format!("src=\"{BASE_URL}/media/back-tension.svg\"")),
        "lead image absolute"
    );
    assert!(
        !html.contains("href=\"/") && !html.contains("src=\"/"),
        "no relative links"
    );
    assert!(html.contains("2016 Hillhurst Ave") && mail.text.contains("2016 Hillhurst Ave"));
    assert!(html.contains("color-scheme"), "declares dark mode support");

    // RFC 8058: an https List-Unsubscribe URI and the one-click POST marker.
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} header"))
    };
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let link = header("List-Unsubscribe");
    let url = link.trim_start_matches('<').trim_end_matches('>');
    assert!(
        url.starts_with(&format!("{BASE_URL}/unsubscribe?token=")),
        "{url}"
    );
    let token = url.split_once("token=").unwrap().1;
    assert_eq!(
        secret().verify(UNSUBSCRIBE_PURPOSE, token, now()).unwrap(),
        ann.key(),
        "the link is signed for this subscriber"
    );
    assert!(
        mail.text.contains(url) && html.contains(url),
        "both parts carry the link"
    );

    // "Read on the site" instead of the article, per site setting.
    let mut summary_only = settings;
    summary_only.newsletter.full_article = false;
    let short = PostMail::new(summary_only, post, Some(BASE_URL)).to(&secret(), &ann, now());
    let short_html = short.html.unwrap();
    assert!(!short_html.contains("myofascial trigger points"));
    assert!(short_html.contains("Read on the site"));
    assert!(short_html.contains(&format!("{BASE_URL}/posts/what-are-muscle-knots")));
}

/// On moto: the planner queues batches in SQS; the sender's handler receives the same
/// message twice (SQS delivers at least once) and mails each recipient once.
#[tokio::test]
async fn sqs_batches_delivered_twice_mail_once_on_moto() {
    use lambdapress::newsletter::sqs::{handle_sqs_event, SqsQueue};
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let w = on_moto(&endpoint).await;
    let config = moto::sdk_config(&endpoint).await;
    let sqs = lambdapress::aws::sqs_client(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name(moto::unique_name("newsletter"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for n in 0..60 {
        subscribe(
            w.subscribers.as_ref(),
            &format!("reader{n}@example.com"),
            true,
        )
        .await;
    }
    let planner = Planner {
        content: w.sender.content.clone(),
        subscribers: w.subscribers.clone(),
        store: w.ledger.clone(),
        queue: Arc::new(SqsQueue::new(sqs.clone(), queue_url.clone())),
    };
    let post = Post::parse(
        Slug::parse("queued-news").unwrap(),
        &post_source("Queued news", now() - Duration::hours(1), "", "Queued."),
    )
    .unwrap();
    (w.write)(
        "posts/queued-news.md".into(),
        post_source("Queued news", now() - Duration::hours(1), "", "Queued."),
    )
    .await;
    let outcome = planner.post_published(&post, now()).await.unwrap();
    assert_eq!(
        outcome,
        lambdapress::newsletter::PlanOutcome::Planned { recipients: 60 }
    );
    assert_eq!(
        planner.post_published(&post, now()).await.unwrap(),
        lambdapress::newsletter::PlanOutcome::AlreadyPlanned
    );

    let mut records = Vec::new();
    while records.len() < 2 {
        let out = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        assert!(
            !messages.is_empty(),
            "the planner queued two batches (50 + 10)"
        );
        for m in messages {
            records.push(serde_json::json!({
                "messageId": m.message_id.unwrap(),
                "body": m.body.unwrap(),
                "eventSource": "aws:sqs",
            }));
        }
    }
    let event = serde_json::json!({ "Records": records });
    let first = handle_sqs_event(&w.sender, event.clone()).await;
    let again = handle_sqs_event(&w.sender, event).await;
    assert_eq!(first["batchItemFailures"], serde_json::json!([]));
    assert_eq!(again["batchItemFailures"], serde_json::json!([]));
    let mut to = w.mail.to("Queued news");
    let total = to.len();
    to.dedup();
    assert_eq!(
        (total, to.len()),
        (60, 60),
        "each of 60 readers mailed exactly once"
    );
    let counts = w.ledger.counts(&post.slug).await.unwrap();
    assert_eq!((counts.planned, counts.sent), (60, 60));
}

/// The local site (`cargo site`): a new post in the content folder mails the confirmed
/// local subscribers into the outbox, once; the owner's tools see it.
#[tokio::test]
async fn the_local_site_mails_a_new_post_into_the_outbox_once() {
    use lambdapress_infra::local::{local_feeds, LocalConfig, LocalStores};
    use lambdapress_infra::newsletter_cli;
    let dir = ScratchDir::new();
    copy_dir(&sample_content_dir(), &dir.0.join("content"));
    let config = LocalConfig {
        addr: "127.0.0.1:3999".parse().unwrap(),
        content_dir: dir.0.join("content"),
        data_dir: dir.0.join("data"),
    };
    let stores = LocalStores::open(&config).unwrap();
    let ann = SubscriberEmail::parse("ann@example.com").unwrap();
    let at = OffsetDateTime::now_utc() - Duration::days(1);
    let signup = Signup {
        email: ann.clone(),
        source: "/".into(),
        client_hash: "h".into(),
        at,
    };
    stores
        .subscribers
        .sign_up(&signup, Duration::hours(1))
        .await
        .unwrap();
    stores.subscribers.confirm(&ann, at).await.unwrap();
    let feeds = local_feeds(&stores, "http://127.0.0.1:3999").unwrap();
    let outbox = || {
        std::fs::read_dir(dir.0.join("data/outbox"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let source = post_source(
        "Open on Saturdays",
        OffsetDateTime::now_utc() - Duration::hours(1),
        "",
        "From May.",
    );
    std::fs::write(dir.0.join("content/posts/open-saturdays.md"), &source).unwrap();
    let slugs = BTreeSet::from([Slug::parse("open-saturdays").unwrap()]);
    feeds.posts_changed(&slugs).await.unwrap();
    assert_eq!(outbox(), 1, "one mail in the outbox");
    std::fs::write(
        dir.0.join("content/posts/open-saturdays.md"),
        source.replace("From May.", "From June."),
    )
    .unwrap();
    feeds.posts_changed(&slugs).await.unwrap();
    assert_eq!(outbox(), 1, "an edit mails nobody");

    let status = newsletter_cli::status(stores.newsletters.as_ref(), "open-saturdays")
        .await
        .unwrap();
    assert!(
        status.contains("planned 1, sent 1, skipped 0, failed 0"),
        "{status}"
    );
    let eml = newsletter_cli::preview(
        stores.content.as_ref(),
        &stores.secret,
        "open-saturdays",
        Some("http://127.0.0.1:3999"),
    )
    .await
    .unwrap();
    assert!(
        eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{eml}"
    );
    assert!(eml.contains("multipart/alternative"), "{eml}");
    assert_eq!(
        newsletter_cli::confirmed_count(stores.subscribers.as_ref())
            .await
            .unwrap(),
        1
    );
    let all = newsletter_cli::status_all(stores.newsletters.as_ref())
        .await
        .unwrap();
    let line = all
        .lines()
        .find(|l| l.starts_with("open-saturdays "))
        .unwrap_or_else(|| panic!("{all}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&fields[2..], ["1", "1", "0", "0", "0"], "{all}");
}

/// `confirmed_page` walks every confirmed subscriber once, page by page, on both stores.
async fn pages_cover_every_confirmed_subscriber_once(store: &dyn SubscriberStore) {
    for n in 0..7 {
        subscribe(store, &format!("c{n}@example.com"), true).await;
    }
    subscribe(store, "pending1@example.com", false).await;
    subscribe(store, "pending2@example.com", false).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let (page, next) = store.confirmed_page(cursor.as_deref(), 3).await.unwrap();
        assert!(page.len() <= 3);
        pages += 1;
        seen.extend(page.into_iter().map(|s| s.email.as_str().to_owned()));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages < 10, "paging must end");
    }
    seen.sort();
    let expected: Vec<String> = (0..7).map(|n| format!("c{n}@example.com")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn confirmed_pages_embedded() {
    pages_cover_every_confirmed_subscriber_once(&SqliteSubscribers::in_memory().unwrap()).await;
}

#[tokio::test]
async fn confirmed_pages_on_moto() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    pages_cover_every_confirmed_subscriber_once(&moto::dynamo_subscribers(&endpoint).await).await;
}

/// A real SES event (AWS's documented sample, in its SNS envelope) for `to`.
fn ses_event(fixture: &str, to: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(fixture);
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text.replace("recipient@example.com", to)).unwrap()
}

async fn status_of(w: &World, address: &str) -> SubscriptionStatus {
    w.subscribers
        .get(&SubscriberEmail::parse(address).unwrap())
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn bounces_and_complaints_are_never_mailed_again(w: World) {
    use lambdapress::newsletter::mail_events::handle_sns_event;
    use lambdapress_infra::{newsletter_cli, subscribers};
    for address in [
        "ann@example.com",
        "bob@example.org",
        "carol@example.net",
        "dan@example.com",
    ] {
        subscribe(w.subscribers.as_ref(), address, true).await;
    }
    let store = w.subscribers.as_ref();
    let hard = ses_event("ses-bounce-permanent.json", "ann@example.com");
    let report = handle_sns_event(store, &hard, now()).await.unwrap();
    assert_eq!((report.bounced, report.unchanged), (1, 0), "{report:?}");
    let soft = ses_event("ses-bounce-transient.json", "bob@example.org");
    let report = handle_sns_event(store, &soft, now()).await.unwrap();
    assert_eq!((report.ignored, report.bounced), (1, 0), "{report:?}");
    let complaint = ses_event("ses-complaint.json", "carol@example.net");
    let report = handle_sns_event(store, &complaint, now()).await.unwrap();
    assert_eq!(report.complained, 1, "{report:?}");
    // SNS delivers at least once: the same event again changes nothing.
    let report = handle_sns_event(store, &hard, now()).await.unwrap();
    assert_eq!((report.bounced, report.unchanged), (0, 1), "{report:?}");
    // An address that is no subscriber (the owner's, on a comment notice) is left alone.
    let stranger = ses_event("ses-bounce-permanent.json", "owner@example.com");
    let report = handle_sns_event(store, &stranger, now()).await.unwrap();
    assert_eq!((report.bounced, report.unchanged), (0, 1), "{report:?}");

    assert_eq!(
        status_of(&w, "ann@example.com").await,
        SubscriptionStatus::Bounced
    );
    assert_eq!(
        status_of(&w, "bob@example.org").await,
        SubscriptionStatus::Confirmed
    );
    assert_eq!(
        status_of(&w, "carol@example.net").await,
        SubscriptionStatus::Complained
    );
    let ann = SubscriberEmail::parse("ann@example.com").unwrap();
    let record = store.get(&ann).await.unwrap().unwrap();
    assert_eq!(
        record.unsubscribed_at,
        Some(datetime!(2017-08-05 00:41:02 UTC)),
        "the bounce's own time is kept"
    );

    // Neither a new signup nor an unsubscribe link brings a suppressed address back.
    let again = Signup {
        email: ann.clone(),
        source: "/".into(),
        client_hash: "h".into(),
        at: now(),
    };
    assert_eq!(
        store.sign_up(&again, Duration::hours(1)).await.unwrap(),
        lambdapress::ports::SignupOutcome::Unchanged
    );
    assert!(!store.unsubscribe(&ann, now()).await.unwrap());
    assert_eq!(
        status_of(&w, "ann@example.com").await,
        SubscriptionStatus::Bounced
    );

    // A new post reaches only the readers still confirmed.
    let fresh = now() - Duration::hours(2);
    w.publish("after-bounce", post_source("After bounce", fresh, "", "A."))
        .await;
    assert_eq!(
        w.mail.to("After bounce"),
        ["bob@example.org", "dan@example.com"]
    );

    // Mid-send: dan bounces after planning; his turn in the batch skips him.
    (w.write)(
        "posts/mid-send.md".into(),
        post_source("Mid send", fresh, "", "M."),
    )
    .await;
    let dan = ses_event("ses-bounce-permanent.json", "dan@example.com");
    handle_sns_event(store, &dan, now()).await.unwrap();
    let batch = Batch {
        slug: "mid-send".into(),
        recipients: vec!["bob@example.org".into(), "dan@example.com".into()],
        posts: vec![],
    };
    let report = w.sender.deliver(&batch).await.unwrap();
    assert_eq!((report.sent, report.skipped), (1, 1), "{report:?}");
    assert_eq!(w.mail.to("Mid send"), ["bob@example.org"]);

    // The owner sees them as such in the export and in the counts.
    let csv = subscribers::export_csv(store).await.unwrap();
    assert!(
        csv.contains("ann@example.com,2026-04-01T12:00:00Z,2026-04-01T12:00:00Z,/,bounced,2017-08-05T00:41:02Z\r\n"),
        "{csv}"
    );
    assert!(csv.contains(",complained,"), "{csv}");
    assert!(
        csv.contains("bob@example.org,2026-04-01T12:00:00Z,2026-04-01T12:00:00Z,/,confirmed,\r\n"),
        "{csv}"
    );
    let counts = newsletter_cli::counts_by_status(store).await.unwrap();
    for line in [
        "confirmed     1",
        "bounced       2",
        "complained    1",
        "pending       0",
    ] {
        assert!(counts.lines().any(|l| l == line), "{line:?} in\n{counts}");
    }
}

on_both_worlds!(bounces_and_complaints_are_never_mailed_again: bounces_and_complaints_are_never_mailed_again_embedded, bounces_and_complaints_are_never_mailed_again_on_moto);

#[test]
fn only_hard_bounces_and_complaints_suppress() {
    use lambdapress::newsletter::mail_events::{parse_ses_event, MailEvent};
    let message = |fixture: &str| {
        ses_event(fixture, "x@example.com")["Records"][0]["Sns"]["Message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(matches!(
        parse_ses_event(&message("ses-bounce-permanent.json")).unwrap(),
        MailEvent::Suppress { status: SubscriptionStatus::Bounced, ref recipients, .. } if recipients == &["x@example.com"]
    ));
    assert_eq!(
        parse_ses_event(&message("ses-bounce-transient.json")).unwrap(),
        MailEvent::Ignored("a transient bounce".into())
    );
    assert!(matches!(
        parse_ses_event(&message("ses-complaint.json")).unwrap(),
        MailEvent::Suppress {
            status: SubscriptionStatus::Complained,
            ..
        }
    ));
    assert_eq!(
        parse_ses_event(r#"{"eventType":"Delivery","delivery":{}}"#).unwrap(),
        MailEvent::Ignored("a Delivery event".into())
    );
    assert!(parse_ses_event("not json").is_err());
}

async fn weekly_digest_once_per_period(w: World) {
    let settings = std::fs::read_to_string(sample_content_dir().join("site.toml")).unwrap()
        + "\n[newsletter]\nmode = \"weekly\"\ndigest_weekday = 0\ndigest_hour = 9\n";
    (w.write)("site.toml".into(), settings).await;
    subscribe(w.subscribers.as_ref(), "ann@example.com", true).await;
    subscribe(w.subscribers.as_ref(), "bob@example.org", true).await;
    subscribe(w.subscribers.as_ref(), "pending@example.org", false).await;
    // now() is Friday 2026-05-01 12:00: the period began Monday 2026-04-27 09:00 and
    // holds the posts dated since the Monday before.
    for (slug, title, date, extra) in [
        ("week-one", "Week one", datetime!(2026-04-21 10:00 UTC), ""),
        ("week-two", "Week two", datetime!(2026-04-25 10:00 UTC), ""),
        (
            "too-early",
            "Too early",
            datetime!(2026-04-19 10:00 UTC),
            "",
        ),
        (
            "opted-out",
            "Opted out",
            datetime!(2026-04-23 10:00 UTC),
            "newsletter = false\n",
        ),
        (
            "next-week",
            "Next week",
            datetime!(2026-04-28 10:00 UTC),
            "",
        ),
    ] {
        w.publish(slug, post_source(title, date, extra, "Body."))
            .await;
    }
    assert!(
        w.mail.sent.lock().unwrap().is_empty(),
        "in weekly mode a new post mails nobody by itself"
    );

    // The hourly schedule: the first tick of the period plans the digest, later ones not.
    w.feeds.publish_due().await.unwrap();
    w.feeds.publish_due().await.unwrap();
    let subject = "Cindy Albon Acupuncture: 2 new posts";
    assert_eq!(w.mail.to(subject), ["ann@example.com", "bob@example.org"]);
    assert_eq!(
        w.mail.sent.lock().unwrap().len(),
        2,
        "one digest per reader"
    );
    let (digest, _) = w.mail.sent.lock().unwrap()[0].clone();
    let html = digest.html.unwrap();
    for title in ["Week one", "Week two"] {
        assert!(
            html.contains(title) && digest.text.contains(title),
            "{title}"
        );
    }
    for title in ["Too early", "Opted out", "Next week"] {
        assert!(
            !html.contains(title) && !digest.text.contains(title),
            "{title}"
        );
    }
    assert!(
        html.contains(&format!("href=\"{BASE_URL}/posts/week-two\"")),
        "{html}"
    );
    assert!(digest
        .headers
        .iter()
        .any(|(k, v)| k == "List-Unsubscribe" && v.contains("/unsubscribe?token=")));
    let id = Slug::parse("digest-2026-04-27").unwrap();
    let counts = w.ledger.counts(&id).await.unwrap();
    assert_eq!((counts.planned, counts.sent), (2, 2), "{counts:?}");

    // The next period has one new post; the one after, nothing: nothing is sent.
    let planner = w.feeds.newsletter.clone().unwrap();
    let index = w.feeds.index.clone();
    let outcome = planner
        .digest_due(index.as_ref(), datetime!(2026-05-04 10:00 UTC))
        .await
        .unwrap();
    assert_eq!(outcome, PlanOutcome::Planned { recipients: 2 });
    assert_eq!(
        w.mail.to("Cindy Albon Acupuncture: Next week"),
        ["ann@example.com", "bob@example.org"]
    );
    assert_eq!(
        planner
            .digest_due(index.as_ref(), datetime!(2026-05-04 23:00 UTC))
            .await
            .unwrap(),
        PlanOutcome::AlreadyPlanned
    );
    assert_eq!(
        planner
            .digest_due(index.as_ref(), datetime!(2026-05-11 09:00 UTC))
            .await
            .unwrap(),
        PlanOutcome::NotMailed("no new posts since the last digest")
    );
    assert_eq!(w.mail.sent.lock().unwrap().len(), 4);

    // `newsletter status` without a slug lists both digests.
    let all = lambdapress_infra::newsletter_cli::status_all(w.ledger.as_ref())
        .await
        .unwrap();
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 3, "{all}");
    assert!(
        lines[1].starts_with("digest-2026-05-04 "),
        "newest first:\n{all}"
    );
    assert!(lines[2].starts_with("digest-2026-04-27 "), "{all}");
    let fields: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(&fields[2..], ["2", "2", "0", "0", "0"], "{all}");
}

on_both_worlds!(weekly_digest_once_per_period: weekly_digest_once_per_period_embedded, weekly_digest_once_per_period_on_moto);

#[test]
fn digest_settings_are_validated() {
    let base = std::fs::read_to_string(sample_content_dir().join("site.toml")).unwrap();
    let with = |extra: &str| SiteSettings::parse(&format!("{base}\n[newsletter]\n{extra}\n"));
    assert!(with("mode = \"weekly\"\ndigest_weekday = 6\ndigest_hour = 23").is_ok());
    let err = with("mode = \"weekly\"\ndigest_hour = 24")
        .unwrap_err()
        .to_string();
    assert!(err.contains("digest_hour 0..=23"), "{err}");
    let err = with("mode = \"monthly\"").unwrap_err().to_string();
    assert!(err.contains("monthly"), "{err}");
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

/// `subscribers import`: the three services' exports, checked whole before any write,
/// consent kept as evidence, idempotent on a re-run, `--reconfirm` mailing the rest once.
async fn imports_keep_consent_and_never_double(store: &dyn SubscriberStore) {
    use lambdapress_infra::subscribers::{import, plan_import, Consent, ImportFormat, Reconfirm};
    let get = |address: &'static str| async move {
        store
            .get(&SubscriberEmail::parse(address).unwrap())
            .await
            .unwrap()
    };
    let mail = Recording::new(Arc::new(Accepting(AtomicU32::new(0))));
    let secret = secret();
    let reconfirm = Reconfirm {
        mailer: &mail,
        secret: &secret,
        base_url: BASE_URL.into(),
        site_title: "Clinic".into(),
        messages: lambdapress::i18n::messages(Default::default()),
    };

    // Jetpack: two with consent, one pending, one unsubscribed, one duplicate.
    let plan = plan_import(
        "exports/import-jetpack.csv",
        &fixture_text("import-jetpack.csv"),
    )
    .unwrap();
    assert_eq!(plan.format, ImportFormat::Jetpack);
    assert!(plan.bad.is_empty(), "{:?}", plan.bad);
    assert_eq!(
        plan.duplicates,
        ["line 6: ANN@example.com again (first on line 2); this row is skipped"]
    );
    let dry = import(store, &plan, None, true, now()).await.unwrap();
    assert_eq!(
        (dry.imported, dry.unproven, dry.refused, dry.duplicates),
        (2, 1, 1, 1),
        "{dry}"
    );
    assert!(
        get("ann@example.com").await.is_none(),
        "a dry run writes nothing"
    );

    // A run that stopped after its first row (a crash), then the whole file again.
    let mut first_row = plan.clone();
    first_row.rows.truncate(1);
    import(store, &first_row, None, false, now()).await.unwrap();
    let done = import(store, &plan, None, false, now()).await.unwrap();
    assert_eq!((done.imported, done.already), (1, 1), "{done}");
    let again = import(store, &plan, None, false, now()).await.unwrap();
    assert_eq!((again.imported, again.already), (0, 2), "{again}");
    let ann = get("ann@example.com").await.unwrap();
    assert_eq!(ann.status, SubscriptionStatus::Confirmed);
    assert_eq!(ann.confirmed_at, Some(datetime!(2023-05-04 10:00 UTC)));
    assert_eq!(ann.signed_up_at, datetime!(2023-05-04 10:00 UTC));
    assert_eq!(ann.source, "import:jetpack:import-jetpack.csv");
    assert!(get("pending@example.org").await.is_none());
    assert!(
        get("gone@example.org").await.is_none(),
        "an unsubscribed row is never imported"
    );

    // --reconfirm: the unproven row gets one double opt-in mail, also on a re-run.
    let sent = import(store, &plan, Some(&reconfirm), false, now())
        .await
        .unwrap();
    assert_eq!((sent.reconfirm_sent, sent.already), (1, 2), "{sent}");
    import(store, &plan, Some(&reconfirm), false, now())
        .await
        .unwrap();
    let mails = mail.sent.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "one confirmation mail");
    assert_eq!(mails[0].0.to, "pending@example.org");
    assert!(mails[0]
        .0
        .text
        .contains(&format!("{BASE_URL}/subscribe/confirm?token=")));
    assert_eq!(
        get("pending@example.org").await.unwrap().status,
        SubscriptionStatus::Pending
    );

    // MailPoet: the global status decides; a bounced address is not imported.
    let plan = plan_import("import-mailpoet.csv", &fixture_text("import-mailpoet.csv")).unwrap();
    assert_eq!(plan.format, ImportFormat::MailPoet);
    let consents: Vec<bool> = plan
        .rows
        .iter()
        .map(|r| matches!(r.consent, Consent::Given { .. }))
        .collect();
    assert_eq!(consents, [true, false, false, false]);
    let done = import(store, &plan, None, false, now()).await.unwrap();
    assert_eq!(
        (done.imported, done.unproven, done.refused),
        (1, 1, 2),
        "{done}"
    );
    assert_eq!(
        get("carol@example.net").await.unwrap().confirmed_at,
        Some(datetime!(2022-11-03 08:15 UTC))
    );
    assert!(get("fay@example.com").await.is_none());

    // Mailchimp's subscribed export: OPTIN_TIME is the signup, CONFIRM_TIME the consent.
    let name = "subscribed_members_export_3f2a1b.csv";
    let plan = plan_import(name, &fixture_text(name)).unwrap();
    assert_eq!(plan.format, ImportFormat::Mailchimp);
    let done = import(store, &plan, None, false, now()).await.unwrap();
    assert_eq!(done.imported, 2, "{done}");
    let gus = get("gus@example.com").await.unwrap();
    assert_eq!(gus.signed_up_at, datetime!(2020-03-14 16:22:05 UTC));
    assert_eq!(gus.confirmed_at, Some(datetime!(2020-03-14 16:25:41 UTC)));
    // The same rows in Mailchimp's unsubscribed export are refused.
    let plan = plan_import(
        "unsubscribed_members_export_3f2a1b.csv",
        &fixture_text(name),
    )
    .unwrap();
    assert!(plan
        .rows
        .iter()
        .all(|r| matches!(r.consent, Consent::Refused(_))));

    // Bad rows: reported by line, and nothing of the file is written.
    let bad = "email_address,subscription_date,status\n\
               ok@example.com,2024-01-01,subscribed\n\
               not-an-address,2024-01-01,subscribed\n\
               late@example.com,yesterday,subscribed\n\
               odd@example.com,2024-01-01,maybe\n";
    let plan = plan_import("bad.csv", bad).unwrap();
    assert_eq!(plan.bad.len(), 3, "{:?}", plan.bad);
    assert!(
        plan.bad[0].starts_with("line 3: `not-an-address`"),
        "{:?}",
        plan.bad
    );
    assert!(
        plan.bad[1].starts_with("line 4: the date `yesterday`"),
        "{:?}",
        plan.bad
    );
    assert!(
        plan.bad[2].starts_with("line 5: the status `maybe`"),
        "{:?}",
        plan.bad
    );
    let err = import(store, &plan, None, false, now())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("nothing imported: 3 row(s) to fix first"),
        "{err}"
    );
    assert!(
        get("ok@example.com").await.is_none(),
        "nothing half-imported"
    );
    let err = plan_import("x.csv", "name,phone\nann,123\n").unwrap_err();
    assert!(err.contains("not a Jetpack"), "{err}");
}

#[tokio::test]
async fn subscribers_import_embedded() {
    let store = SqliteSubscribers::in_memory().unwrap();
    imports_keep_consent_and_never_double(&store).await;
}

#[tokio::test]
async fn subscribers_import_on_moto() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let (client, table) = moto::fresh_table(&endpoint).await;
    let store = lambdapress::adapters::DynamoSubscribers::new(client, table);
    imports_keep_consent_and_never_double(&store).await;
}
